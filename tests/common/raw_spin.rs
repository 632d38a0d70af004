//! A raw spin lock implementing lock_api 0.4's `RawMutex` (through
//! `lockgraph::lock_api`), for the tests of `lockgraph::lock_api`.

use std::sync::atomic::{AtomicBool, Ordering};

use lockgraph::lock_api::{GuardSend, RawMutex};

/// A raw spin lock: no timed acquisition, no fair unlock, guards `Send`.
pub struct RawSpin(AtomicBool);

// SAFETY: the flag is set with Acquire by the one thread that finds it clear
// and cleared with Release by the holder: mutual exclusion.
unsafe impl RawMutex for RawSpin {
    #[allow(clippy::declare_interior_mutable_const)] // lock_api's INIT
    const INIT: Self = RawSpin(AtomicBool::new(false));
    type GuardMarker = GuardSend;

    fn lock(&self) {
        while !self.try_lock() {
            std::hint::spin_loop();
        }
    }

    fn try_lock(&self) -> bool {
        let free = self
            .0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed);
        free.is_ok()
    }

    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }
}
