//! Condvar with lockgraph's own MutexGuard.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::panic_message;
use lockgraph::{Condvar, Mutex};

#[test]
fn normal_use_is_silent() {
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let producer = {
        let pair = Arc::clone(&pair);
        std::thread::spawn(move || {
            for _ in 0..100 {
                let (count, cv) = &*pair;
                *count.lock() += 1;
                cv.notify_all();
            }
        })
    };
    let (count, cv) = &*pair;
    let mut guard = count.lock();
    cv.wait_while(&mut guard, |n| *n < 100);
    assert_eq!(*guard, 100);
    drop(guard);
    producer.join().unwrap();
}

#[test]
fn timeouts_report_timed_out() {
    let m = Mutex::new(());
    let cv = Condvar::new();
    let mut g = m.lock();
    assert!(cv.wait_for(&mut g, Duration::from_millis(10)).timed_out());
    let deadline = std::time::Instant::now() + Duration::from_millis(10);
    assert!(cv.wait_while_until(&mut g, |_| true, deadline).timed_out());
    assert!(!cv.notify_one());
}

#[test]
fn the_mutex_is_held_again_after_the_wait_and_released_once() {
    // The wait takes the mutex out of the held set and puts it back: a lock
    // taken after the wait is ordered after it, and once the guard is dropped
    // nothing is (the entry was not duplicated or lost by the wait).
    let m = Mutex::new(());
    let (after_wait, after_drop) = (Mutex::new(()), Mutex::new(()));
    let cv = Condvar::new();
    let mut g = m.lock();
    assert!(cv.wait_for(&mut g, Duration::from_millis(1)).timed_out());
    drop(after_wait.lock());
    drop(g);
    drop(after_drop.lock());
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(m.id(), after_wait.id()));
    assert!(!snapshot.has_edge(m.id(), after_drop.id()));
}

#[test]
fn inversion_through_the_reacquire_is_reported() {
    let m = Mutex::named("m", ());
    let outer = Mutex::named("outer", ());
    let cv = Condvar::new();
    // m -> outer
    drop((m.lock(), outer.lock()));
    // Waiting on m while holding `outer`: the re-acquire of m is outer -> m.
    let mut g = m.try_lock().expect("free");
    let report = panic_message(|| {
        let _o = outer.lock(); // m (held) -> outer: known
        cv.wait_for(&mut g, Duration::from_millis(1)); // re-acquire: outer -> m
    });
    assert!(report.expect("cycle").contains("\"m\""));
}
