//! One module per paper system.

pub mod active_dendrites;
pub mod pavlovian_attention;
