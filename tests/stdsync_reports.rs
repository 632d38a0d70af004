//! What `lockgraph::stdsync` adds to std: reports, and that they never poison
//! the lock being taken nor the locks their panic unwinds through (see also
//! `report_unwinding.rs`). Every test builds its own locks; the policy is the
//! default (`Panic`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;
use std::time::Duration;

use lockgraph::stdsync::{Condvar, Mutex, RwLock, TryLockError};

fn report_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a lockgraph report");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(_) => panic!("the panic was not a lockgraph report"),
    }
}

/// Records `first -> second` on another thread.
fn establish_order<T, U: Send>(first: &Mutex<T>, second: &Mutex<U>)
where
    T: Send,
{
    thread::scope(|s| {
        s.spawn(|| {
            let _first = first.lock().unwrap();
            let _second = second.lock().unwrap();
        });
    });
}

#[test]
fn a_cycle_is_reported_before_the_lock_is_taken_and_does_not_poison_it() {
    let a = Mutex::named("stdsync a", 1);
    let b = Mutex::named("stdsync b", 2);
    establish_order(&a, &b);
    let report = report_of(|| {
        let _b = b.lock().unwrap();
        let _a = a.lock().unwrap();
    });
    assert!(
        report.starts_with("lockgraph: potential deadlock"),
        "{report}"
    );
    assert!(
        report.contains("stdsync a") && report.contains("stdsync b"),
        "{report}"
    );
    assert!(
        !a.is_poisoned(),
        "the lock being taken must not be poisoned"
    );
    // `b` was held when the report panicked: its unwinding is not poison.
    assert!(!b.is_poisoned());
    assert_eq!(*a.lock().unwrap(), 1);
    assert_eq!(*b.lock().unwrap(), 2);
}

#[test]
fn a_condvar_reacquisition_that_closes_a_cycle_does_not_poison_the_mutex() {
    let state = Mutex::named("condvar state", 0);
    let other = Mutex::named("condvar other", ());
    let cvar = Condvar::new();
    let report = report_of(|| {
        let guard = state.lock().unwrap();
        let _other = other.lock().unwrap(); // state -> other
        // Re-taking `state` after the wait while holding `other` is other -> state.
        let _ = cvar.wait_timeout(guard, Duration::from_millis(1));
    });
    assert!(
        report.starts_with("lockgraph: potential deadlock"),
        "{report}"
    );
    assert!(
        !state.is_poisoned(),
        "lockgraph's report must not poison the mutex"
    );
    assert!(!other.is_poisoned(), "nor the one it unwinds through");
}

#[test]
fn try_lock_on_a_lock_this_thread_holds_is_would_block_and_reports_nothing() {
    let mutex = Mutex::named("held by me", ());
    let rwlock = RwLock::named("written by me", ());
    let _m = mutex.lock().unwrap();
    let _w = rwlock.write().unwrap();
    assert!(matches!(mutex.try_lock(), Err(TryLockError::WouldBlock)));
    assert!(matches!(rwlock.try_read(), Err(TryLockError::WouldBlock)));
    assert!(matches!(rwlock.try_write(), Err(TryLockError::WouldBlock)));
}

#[test]
fn relocking_a_held_mutex_is_a_self_deadlock_instead_of_a_hang() {
    let mutex = Mutex::named("relocked", ());
    let report = report_of(|| {
        let _first = mutex.lock().unwrap();
        let _second = mutex.lock().unwrap();
    });
    assert!(report.starts_with("lockgraph: self-deadlock"), "{report}");
}

#[test]
fn a_second_read_on_one_thread_is_a_potential_deadlock() {
    let rwlock = RwLock::named("read twice", 0);
    let report = report_of(|| {
        let _first = rwlock.read().unwrap();
        let _second = rwlock.read().unwrap();
    });
    assert!(
        report.starts_with("lockgraph: potential deadlock (a second read of 1 lock"),
        "{report}"
    );
    // std's RwLock has no read_recursive: the advice must not name it.
    assert!(!report.contains("read_recursive"), "{report}");
    assert!(report.contains("std has no recursive read"), "{report}");
    assert!(
        !rwlock.is_poisoned(),
        "a panic while reading does not poison"
    );
}

#[test]
fn an_edge_into_a_condvar_mutex_is_recorded_by_the_wait() {
    let outer = Mutex::named("outer", ());
    let inner = Mutex::named("waited on", false);
    let cvar = Condvar::new();
    {
        let _outer = outer.lock().unwrap();
        // try_lock records no edge into `inner`: only the wait's re-acquisition can.
        let guard = inner.try_lock().unwrap();
        let edge = || lockgraph::graph::snapshot().has_edge(outer.id(), inner.id());
        assert!(!edge());
        let _ = cvar.wait_timeout(guard, Duration::from_millis(1)).unwrap();
        assert!(
            edge(),
            "the wait's re-acquisition records outer -> waited on"
        );
    }
    let report = report_of(|| {
        let _inner = inner.lock().unwrap();
        let _outer = outer.lock().unwrap(); // waited on -> outer: a cycle
    });
    assert!(
        report.contains("outer") && report.contains("waited on"),
        "{report}"
    );
}
