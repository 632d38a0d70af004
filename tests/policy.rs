//! Policies, per-kind policies, modes and the handler. These change global
//! settings, so every test here takes `SETTINGS` first.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::panic_message;
use lockgraph::{
    Mode, Mutex, Policy, Violation, ViolationKind, clear_kind_policy, set_handler, set_kind_policy,
    set_mode, set_policy,
};

static SETTINGS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn settings() -> std::sync::MutexGuard<'static, ()> {
    SETTINGS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Restores the default settings when dropped, even if the test fails.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        set_policy(Policy::Panic);
        for kind in ViolationKind::ALL {
            clear_kind_policy(kind);
        }
        set_mode(Mode::Graph);
        set_handler(None);
    }
}

fn inversion(a: &Mutex<()>, b: &Mutex<()>) {
    drop((a.lock(), b.lock()));
    drop((b.lock(), a.lock()));
}

/// `Policy::Warn`, with a handler that counts the reports (call with the
/// settings taken and a `Restore` alive).
fn counting_under_warn() -> Arc<AtomicUsize> {
    set_policy(Policy::Warn);
    counting_handler()
}

fn counting_handler() -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    set_handler(Some(Box::new(move |_: &Violation| {
        seen.fetch_add(1, Ordering::SeqCst);
    })));
    count
}

#[test]
fn warn_goes_on_and_keeps_detecting_other_cycles() {
    let _s = settings();
    let _r = Restore;
    assert_eq!(set_policy(Policy::Warn), Policy::Panic);
    let count = counting_handler();
    let (a, b, c) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
    inversion(&a, &b); // reported, goes on
    inversion(&a, &b); // the same cycle again: handler sees it, stderr only once
    inversion(&b, &c); // a different cycle: still detected
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn ignore_reports_nothing_and_calls_no_handler() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Ignore);
    let count = counting_handler();
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    inversion(&a, &b);
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[test]
fn panic_policy_panics_before_blocking_and_leaves_nothing_locked() {
    let _s = settings();
    let _r = Restore;
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    drop((a.lock(), b.lock()));
    let held_b = b.lock();
    assert!(common::reports(common::CYCLE, || drop(a.lock())));
    assert!(!a.is_locked(), "the panicking acquisition took nothing");
    drop(held_b);
}

#[test]
fn per_kind_policy_overrides_the_default() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    assert_eq!(
        set_kind_policy(ViolationKind::Cycle, Policy::Panic),
        Policy::Warn
    );
    assert_eq!(lockgraph::policy(ViolationKind::Cycle), Policy::Panic);
    assert_eq!(lockgraph::policy(ViolationKind::Deadlock), Policy::Warn);
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    drop((a.lock(), b.lock()));
    let _b = b.lock();
    assert!(common::reports(common::CYCLE, || drop(a.lock())));
}

#[test]
fn self_deadlock_panics_even_under_warn() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    let m = Mutex::new(());
    let _g = m.lock();
    let report = panic_message(|| m.lock()).expect("certain deadlocks always panic");
    assert!(report.starts_with("lockgraph: self-deadlock"));
}

#[test]
fn a_handler_may_take_lockgraph_locks() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    let log = Arc::new(Mutex::named("log", Vec::<String>::new()));
    let sink = Arc::clone(&log);
    set_handler(Some(Box::new(move |v: &Violation| {
        sink.lock().push(format!("{:?}", v.kind()));
    })));
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    drop((a.lock(), b.lock()));
    let _b = b.lock();
    let _a = a.lock(); // handler runs here, while this thread holds b
    assert_eq!(*log.lock(), ["Cycle"]);
}

/// The lock whose acquisition closes the cycle is free when the handler runs,
/// although the raw lock was taken before the check found the cycle: each of
/// `RwLock`'s blocking acquisitions.
#[test]
fn the_handler_runs_with_the_lock_being_taken_free() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    let free_when_reported = Arc::new(std::sync::Mutex::new(Vec::<bool>::new()));
    let (a, b) = (
        Arc::new(lockgraph::RwLock::new(())),
        Arc::new(Mutex::new(())),
    );
    let (seen, lock) = (Arc::clone(&free_when_reported), Arc::clone(&a));
    set_handler(Some(Box::new(move |_: &Violation| {
        // Not held by anyone: the handler itself can take it for writing.
        seen.lock().unwrap().push(lock.try_write().is_some());
    })));
    drop((a.write(), b.lock())); // a -> b
    let held_b = b.lock();
    drop(a.read()); // b -> a: reported, then taken
    drop(a.write()); // the same cycle again
    drop(a.upgradable_read());
    drop(held_b);
    assert_eq!(*free_when_reported.lock().unwrap(), [true, true, true]);
    // Under Warn the acquisitions went on, and none left the lock taken.
    assert!(a.try_write().is_some());
}

/// The same for the other lock types: `Mutex`, `FairMutex` and `stdsync`'s
/// `Mutex` and `RwLock`. Each case takes its lock `x` as the first of a pair,
/// then under the second, and the handler checks that `x` is free.
#[test]
fn the_handler_runs_with_the_lock_being_taken_free_for_every_lock_type() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    type Probe = Box<dyn Fn() -> bool + Send + Sync>;
    let probe: Arc<std::sync::Mutex<Option<Probe>>> = Arc::default();
    let free = Arc::new(std::sync::Mutex::new(Vec::<bool>::new()));
    let (current, seen) = (Arc::clone(&probe), Arc::clone(&free));
    set_handler(Some(Box::new(move |_: &Violation| {
        if let Some(is_free) = current.lock().unwrap().as_ref() {
            seen.lock().unwrap().push(is_free());
        }
    })));
    let second = Mutex::new(());
    let set = |check: Probe| *probe.lock().unwrap() = Some(check);

    let x = Arc::new(Mutex::new(()));
    let p = Arc::clone(&x);
    set(Box::new(move || p.try_lock().is_some()));
    drop((x.lock(), second.lock()));
    drop((second.lock(), x.lock()));

    let x = Arc::new(lockgraph::FairMutex::new(()));
    let p = Arc::clone(&x);
    set(Box::new(move || p.try_lock().is_some()));
    drop((x.lock(), second.lock()));
    drop((second.lock(), x.lock()));

    let x = Arc::new(lockgraph::stdsync::Mutex::new(()));
    let p = Arc::clone(&x);
    set(Box::new(move || p.try_lock().is_ok()));
    drop((x.lock(), second.lock()));
    drop((second.lock(), x.lock()));
    assert!(!x.is_poisoned());

    let x = Arc::new(lockgraph::stdsync::RwLock::new(()));
    let p = Arc::clone(&x);
    set(Box::new(move || p.try_write().is_ok()));
    drop((x.write(), second.lock()));
    drop((second.lock(), x.read()));
    drop((second.lock(), x.write()));

    *probe.lock().unwrap() = None;
    assert_eq!(*free.lock().unwrap(), [true; 5]);
}

/// Under `Panic`, a cycle closed by a lock that was free is reported (the
/// handler, then the panic) with the lock free again, and leaves it free.
#[test]
fn a_cycle_closed_by_a_free_lock_panics_with_the_lock_free() {
    let _s = settings();
    let _r = Restore;
    let (a, b) = (Arc::new(Mutex::new(1)), Mutex::new(2));
    let (seen, lock) = (Arc::new(AtomicUsize::new(0)), Arc::clone(&a));
    let free_when_reported = Arc::clone(&seen);
    set_handler(Some(Box::new(move |_: &Violation| {
        if lock.try_lock().is_some() {
            free_when_reported.fetch_add(1, Ordering::SeqCst);
        }
    })));
    drop((a.lock(), b.lock()));
    let report = panic_message(|| {
        let _b = b.lock();
        let _a = a.lock();
    })
    .expect("the cycle panics");
    assert!(
        report.starts_with("lockgraph: potential deadlock"),
        "{report}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1, "a was free for the handler");
    assert_eq!(a.try_lock().map(|a| *a), Some(1), "a is free");
    assert_eq!(
        b.try_lock().map(|b| *b),
        Some(2),
        "b was released by the unwinding"
    );
}

#[test]
fn a_violation_inside_the_handler_goes_to_the_policy_only() {
    let _s = settings();
    let _r = Restore;
    set_policy(Policy::Warn);
    let calls = Arc::new(AtomicUsize::new(0));
    let (x, y) = (Arc::new(Mutex::new(())), Arc::new(Mutex::new(())));
    let (hx, hy, seen) = (Arc::clone(&x), Arc::clone(&y), Arc::clone(&calls));
    set_handler(Some(Box::new(move |_: &Violation| {
        seen.fetch_add(1, Ordering::SeqCst);
        inversion(&hx, &hy); // a cycle found inside the handler
    })));
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    inversion(&a, &b);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "no recursion into the handler"
    );
}

#[test]
fn set_handler_returns_the_previous_handler() {
    let _s = settings();
    let _r = Restore;
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let counting = move |_: &Violation| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    };
    assert!(set_handler(Some(Box::new(counting))).is_none());
    let previous = set_handler(None).expect("the handler set above");
    // With no handler the policy alone acts (Panic here), and the counter is untouched.
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    drop((a.lock(), b.lock()));
    let held = b.lock();
    let report = panic_message(|| a.lock()).unwrap();
    assert!(report.starts_with("lockgraph:"), "{report}");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    // (Held, `b` would gate the inversion `dummy_violation` makes.)
    drop(held);
    // What came back is the very handler installed above.
    previous(&dummy_violation());
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

fn dummy_violation() -> Violation {
    let _r = Restore;
    set_policy(Policy::Warn);
    let seen = Arc::new(std::sync::Mutex::new(None));
    let slot = Arc::clone(&seen);
    set_handler(Some(Box::new(move |v: &Violation| {
        *slot.lock().unwrap() = Some(v.clone());
    })));
    let m = Mutex::new(());
    let (x, y) = (Mutex::new(()), Mutex::new(()));
    drop(m);
    inversion(&x, &y);
    set_handler(None);
    let v = seen.lock().unwrap().take();
    v.expect("a violation was captured")
}

#[test]
fn ascending_mode_rejects_descending_acquisitions() {
    let _s = settings();
    let _r = Restore;
    assert_eq!(set_mode(Mode::Ascending), Mode::Graph);
    let low = Mutex::named("low", ());
    let high = Mutex::named("high", ());
    assert!(low.id() < high.id());
    drop((low.lock(), high.lock())); // ascending: fine
    let _h = high.lock();
    assert!(low.try_lock().is_some(), "try_lock is exempt");
    let report = panic_message(|| low.lock()).expect("descending");
    assert!(
        report.starts_with("lockgraph: lock order violation"),
        "{report}"
    );
    assert!(report.contains("Mode::Ascending"), "{report}");
}

#[test]
fn violations_know_their_kind_and_locks() {
    let _s = settings();
    let v = dummy_violation();
    assert_eq!(v.kind(), ViolationKind::Cycle);
    assert_eq!(v.locks().len(), 2);
    let text = v.to_string();
    assert!(text.starts_with("lockgraph: potential deadlock"));
    let Violation::Cycle(cycle) = &v else {
        unreachable!("dummy_violation makes a cycle")
    };
    let first = &cycle.path()[0];
    let backtrace = first.backtrace().expect("every edge has one").to_string();
    // With debug info the frames name their files; without (a release
    // build), their functions.
    assert!(
        backtrace.contains("policy.rs") || backtrace.contains("policy::inversion"),
        "the caller's frames: {backtrace}"
    );
    assert!(!backtrace.contains("lockgraph::"), "{backtrace}");
    let as_error: &dyn std::error::Error = &v;
    assert_eq!(as_error.to_string(), text);
}

#[test]
fn a_lock_all_set_the_set_checks_reported_is_reported_every_time_under_warn() {
    let _s = settings();
    let _r = Restore;
    let count = counting_under_warn();
    let (low, high, other) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
    let _ = (low.id(), high.id(), other.id()); // ids in this order
    let held = high.lock();
    // Each time the whole set is taken (Warn goes on), every member known
    // from the second time: still reported, as the set checks say.
    for round in 1..=4 {
        drop(lockgraph::lock_all((&other, &low)));
        assert_eq!(count.load(Ordering::SeqCst), round, "round {round}");
    }
    drop(held);
    // Without the higher lock held, nothing to report.
    for _ in 0..3 {
        drop(lockgraph::lock_all((&other, &low)));
    }
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[test]
fn a_lock_all_set_whose_member_is_reported_is_reported_every_time_under_warn() {
    let _s = settings();
    let _r = Restore;
    let count = counting_under_warn();
    let (shared, other) = (lockgraph::RwLock::new(()), Mutex::new(()));
    let _ = (shared.id(), other.id()); // ids in this order
    let outside = shared.read();
    // The set reads `shared` again (a recursive read, reported) and takes
    // `other`: the set checks find nothing, the member is reported, so the
    // set is never known and the read is reported every round.
    for round in 1..=4 {
        drop(lockgraph::lock_all((shared.for_read(), &other)));
        assert_eq!(count.load(Ordering::SeqCst), round, "round {round}");
    }
    drop(outside);
}
