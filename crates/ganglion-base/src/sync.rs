//! The step barrier that the engine's partitions (and the reservoir's threads) meet at once
//! per step.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The step barrier: threads spin briefly (a step of a small network takes microseconds),
/// then block on a condition variable, so that a thread that lost its core to another
/// process does not leave the others spinning (spinning with `yield_now` alone made a
/// 2-thread CUBA run 200× slower next to one busy process).
pub struct SpinBarrier {
    count: AtomicUsize,
    generation: AtomicUsize,
    n: usize,
    lock: Mutex<()>,
    wake: std::sync::Condvar,
}

impl SpinBarrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Self {
        SpinBarrier {
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            n,
            lock: Mutex::new(()),
            wake: std::sync::Condvar::new(),
        }
    }
    /// Block until all `n` threads have called `wait` for this generation.
    pub fn wait(&self) {
        let seen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            // Advance under the lock: a waiter that checked the generation under the lock
            // is then already waiting on the condition variable and gets the notification.
            let guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.generation.fetch_add(1, Ordering::Release);
            drop(guard);
            self.wake.notify_all();
            return;
        }
        for _ in 0..4_000 {
            if self.generation.load(Ordering::Acquire) != seen {
                return;
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        while self.generation.load(Ordering::Acquire) == seen {
            guard = self.wake.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }
}
