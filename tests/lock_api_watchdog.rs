//! The watchdog on lock_api locks without a timed acquisition: their waits
//! poll the raw lock, and an actual deadlock is still found. In a file of its
//! own: it ignores cycles, a process-wide setting.

#[path = "common/raw_spin.rs"]
mod raw_spin;

use std::sync::Barrier;

use lockgraph::lock_api::Mutex;
use lockgraph::{Policy, Violation, ViolationKind};
use raw_spin::RawSpin;

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
