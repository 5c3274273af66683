//! glibc allocator settings for the `ganglion` process.
//!
//! The general autodiff path (candle, `ganglion_train::autodiff`) allocates a fresh buffer for
//! every tensor operation and frees it a moment later. With glibc's defaults, freed memory at
//! the top of the heap goes back to the kernel once it passes the trim threshold, and buffers
//! above the mmap threshold are mappings of their own, so the next operation page-faults and
//! zeroes the same memory again: a quarter of a candle training step was kernel time
//! (`perf`, bench/autodiff/RESULTS.md). Keeping freed memory in the process made the small
//! transformer's step 1.4× faster (133 → 92 ms, bench medians) and `study run
//! neuroformer-lite --quick` 17.9 → 12.4 s; the engine's own loops allocate up front and are
//! unaffected (`run examples/cuba.toml` 0.06–0.08 s either way).
//!
//! The cost: up to [`TRIM_THRESHOLD`] of freed memory stays resident until the process ends.
//! A user who sets glibc's own knobs (`MALLOC_*_` variables or `GLIBC_TUNABLES`) keeps them.

/// Allocations up to this size come from the heap (glibc's largest allowed value, 32 MiB).
pub const MMAP_THRESHOLD: i32 = 32 << 20;
/// Freed memory at the heap's top is returned to the kernel only above this (1 GiB).
pub const TRIM_THRESHOLD: i32 = 1 << 30;
/// Extra memory requested whenever the heap grows (64 MiB; virtual until touched).
pub const TOP_PAD: i32 = 64 << 20;

/// Applies the settings above, unless the environment already configures glibc's malloc.
/// Call first in `main`, before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_freed_memory() {
    use std::os::raw::c_int;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_TOP_PAD: c_int = -2;
    const M_MMAP_THRESHOLD: c_int = -3;
    if std::env::vars_os().any(|(k, _)| configures_malloc(&k.to_string_lossy())) {
        return;
    }
    // SAFETY: mallopt only changes the allocator's parameters; it is called before any other
    // thread exists, with glibc's documented parameter numbers and values in range.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        mallopt(M_TOP_PAD, TOP_PAD);
    }
}

/// Whether an environment variable is one of glibc's malloc settings (`MALLOC_TRIM_THRESHOLD_`,
/// `MALLOC_TOP_PAD_`, `MALLOC_MMAP_THRESHOLD_`, ... all end in `_`) or its tunables string.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
fn configures_malloc(name: &str) -> bool {
    (name.starts_with("MALLOC_") && name.ends_with('_')) || name == "GLIBC_TUNABLES"
}

/// Other platforms keep their allocator's defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_memory() {}

#[cfg(test)]
mod tests {
    use super::configures_malloc;

    #[test]
    fn a_user_malloc_setting_is_recognised() {
        for name in [
            "MALLOC_TRIM_THRESHOLD_",
            "MALLOC_TOP_PAD_",
            "MALLOC_MMAP_THRESHOLD_",
            "GLIBC_TUNABLES",
        ] {
            assert!(configures_malloc(name), "{name}");
        }
        for name in ["MALLOC", "MALLOC_CONF", "PATH", "RAYON_NUM_THREADS"] {
            assert!(!configures_malloc(name), "{name}");
        }
    }
}
