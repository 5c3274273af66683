//! The worker-thread count, fixed in the environment for the `ganglion` process.
//!
//! candle 0.11 (the general autodiff path, `ganglion_train::autodiff`) asks for its thread
//! count on every matrix product (`candle_core::utils::get_num_threads`). With
//! `RAYON_NUM_THREADS` unset it counts the physical cores with `num_cpus::get_physical`, which
//! reads and parses `/proc/cpuinfo` each time: `perf` put ~13 % of an ELM training step (about
//! a thousand small products) in the kernel's `/proc/cpuinfo` formatting and its parsing
//! (`bench/autodiff/RESULTS.md`). Setting the variable makes that lookup an environment read.
//!
//! The value is the CPU count rayon itself uses by default (`available_parallelism`), so the
//! engine's thread pool is unchanged; candle's products then split over the same number of
//! threads as the pool they run on. A user who sets `RAYON_NUM_THREADS` keeps it.

/// The environment variable rayon and candle read.
const VAR: &str = "RAYON_NUM_THREADS";

/// Sets `RAYON_NUM_THREADS` to the available CPU count unless it is set. Call first in
/// `main`, before any thread starts.
pub fn pin_thread_count() {
    if let Some(value) = value_to_set(std::env::var_os(VAR).is_some()) {
        // SAFETY: called at the start of `main`, before any other thread exists, so nothing
        // reads the environment while it changes.
        unsafe { std::env::set_var(VAR, value) };
    }
}

/// The value to set, or `None` when the user already set the variable.
fn value_to_set(already_set: bool) -> Option<String> {
    (!already_set).then(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::value_to_set;

    #[test]
    fn sets_the_cpu_count_only_when_unset() {
        assert_eq!(value_to_set(true), None);
        let n: usize = value_to_set(false)
            .expect("a value")
            .parse()
            .expect("a number");
        assert!(n >= 1);
        assert_eq!(
            n,
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
}
