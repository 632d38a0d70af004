//! The watchdog on lock_api locks without a timed acquisition: their waits
//! poll the raw lock, and an actual deadlock is still found. In a file of its
//! own: it ignores cycles, a process-wide setting.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};

use lockgraph::lock_api::{GuardSend, Mutex, RawMutex};
use lockgraph::{Policy, Violation, ViolationKind};

/// A raw spin lock: no timed acquisition.
struct RawSpin(AtomicBool);

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

#[test]
fn an_actual_deadlock_on_spin_locks_is_found_by_the_watchdog() {
    // Cycles ignored: only the watchdog can find this one.
    lockgraph::set_kind_policy(ViolationKind::Cycle, Policy::Ignore);
    let seen: &'static std::sync::Mutex<Vec<Violation>> = Box::leak(Box::default());
    lockgraph::set_handler(Some(Box::new(|v| seen.lock().unwrap().push(v.clone()))));
    let a = Mutex::<RawSpin, _>::named("a", ());
    let b = Mutex::<RawSpin, _>::named("b", ());
    let both = Barrier::new(2);
    let outcomes = std::thread::scope(|s| {
        let one = s.spawn(|| {
            let _a = a.lock();
            both.wait();
            drop(b.lock());
        });
        let two = s.spawn(|| {
            let _b = b.lock();
            both.wait();
            drop(a.lock());
        });
        [one.join().is_err(), two.join().is_err()]
    });
    assert_eq!(outcomes.iter().filter(|&&p| p).count(), 1, "one panics out");
    let seen = seen.lock().unwrap();
    let deadlocks: Vec<_> = seen
        .iter()
        .filter(|v| v.kind() == ViolationKind::Deadlock)
        .collect();
    assert_eq!(deadlocks.len(), 1, "{seen:?}");
    let text = deadlocks[0].to_string();
    assert!(text.contains("\"a\"") && text.contains("\"b\""), "{text}");
}
