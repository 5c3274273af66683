//! Study `ca3-memory` (work in progress).

pub mod model;
