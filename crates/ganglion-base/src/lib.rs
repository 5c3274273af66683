//! # ganglion-base
//!
//! The foundations every Ganglion crate shares, with no dependencies of their own:
//!
//! - [`units`]: physical quantities written as strings (`"20 ms"`) and their dimensions;
//! - [`rng`]: counter-based random streams (SplitMix64), so results never depend on how work is
//!   split across threads;
//! - [`npy`]: `.npy` reading and writing;
//! - [`files`]: atomic file writes and results folders that never replace data by surprise;
//! - [`names`]: "did you mean" hints and file-safe names;
//! - [`state`]: the checkpoint format (values written and read back in one order);
//! - [`sync`]: the step barrier (spin briefly, then block).
//!
//! ```
//! use ganglion_base::units::{parse_quantity, Dim};
//! assert_eq!(parse_quantity("2 s").unwrap(), (2000.0, Dim::Time));
//! assert_eq!(ganglion_base::names::closest("tau_mem", ["tau_m", "C_m"]), Some("tau_m"));
//! ```

pub mod files;
pub mod names;
pub mod npy;
pub mod rng;
pub mod state;
pub mod sync;
pub mod units;
