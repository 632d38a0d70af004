//! Violations as values: every field a report shows can be read through an
//! accessor. Each test makes a real violation, records it with a handler and
//! checks the accessors against the locks, threads and lines that made it.
//!
//! The handler and the policies are process-wide, so every test takes
//! [`common::Settings`] first, which restores the defaults when it ends.

mod common;

use std::panic::Location;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use common::on_thread;
use lockgraph::{
    LockId, Mode, Mutex, Policy, RwLock, Violation, ViolationKind, lock_all, set_handler,
    set_kind_policy, set_long_wait, set_mode,
};

static SEEN: std::sync::Mutex<Vec<Violation>> = std::sync::Mutex::new(Vec::new());

/// Takes the settings and records every violation until dropped.
struct Recording {
    _settings: common::Settings,
}

impl Recording {
    fn start() -> Recording {
        let settings = common::Settings::take();
        seen().clear();
        set_handler(Some(Box::new(|v: &Violation| seen().push(v.clone()))));
        Recording {
            _settings: settings,
        }
    }

    /// The one violation recorded that involves only `locks`.
    fn only_on(&self, locks: &[LockId]) -> Violation {
        let seen = seen();
        let ours = |v: &&Violation| v.locks().iter().all(|id| locks.contains(id));
        let mut found = seen.iter().filter(ours);
        let first = found.next().expect("a violation on these locks").clone();
        assert!(found.next().is_none(), "one violation: {seen:?}");
        first
    }
}

fn seen() -> std::sync::MutexGuard<'static, Vec<Violation>> {
    SEEN.lock().unwrap_or_else(|e| e.into_inner())
}

fn line(site: &Location<'static>) -> (&'static str, u32) {
    (site.file(), site.line())
}

fn ids(held: &[lockgraph::report::HeldRef]) -> Vec<LockId> {
    held.iter().map(|h| h.lock().id()).collect()
}

#[test]
fn cycle_names_the_thread_both_locks_the_held_set_and_the_sites() {
    let recording = Recording::start();
    let a = RwLock::named("a", ());
    let b = RwLock::named("b", ());
    let c = Mutex::named("c", ());
    drop((a.read(), b.write())); // a -> b
    let mut sites = Vec::new();
    let panic = on_thread("cycle-finder", || {
        let (_c, c_at) = (c.lock(), Location::caller());
        let (_b, b_at) = (b.upgradable_read(), Location::caller());
        sites.extend([c_at, b_at]);
        let _a = a.read(); // b -> a closes the cycle
    });
    assert!(panic.expect("Panic policy").starts_with(common::CYCLE));
    let Violation::Cycle(cycle) = recording.only_on(&[a.id(), b.id(), c.id()]) else {
        panic!("not a cycle");
    };
    assert_eq!(cycle.thread(), "cycle-finder");
    assert_eq!(cycle.acquiring().id(), a.id());
    assert_eq!(cycle.acquiring().name(), Some("a"));
    assert_eq!(cycle.verb(), "read");
    assert_eq!(cycle.holding().lock().id(), b.id());
    assert_eq!(cycle.holding().verb(), "upgradable_read");
    assert_eq!(line(cycle.holding().site()), line(sites[1]));
    assert_eq!(ids(cycle.held()), [c.id(), b.id()]);
    assert_eq!(line(cycle.held()[0].site()), line(sites[0]));
    assert_eq!(cycle.held()[0].verb(), "lock");
    assert_eq!(cycle.site().file(), file!());
    assert!(cycle.site().line() > sites[1].line());
    let path: Vec<(LockId, LockId)> = cycle
        .path()
        .iter()
        .map(|e| (e.from().id(), e.to().id()))
        .collect();
    assert_eq!(path, [(a.id(), b.id())]);
}

#[test]
fn order_violation_in_lock_all_names_the_higher_held_lock() {
    let recording = Recording::start();
    let low = Mutex::named("low", ());
    let mid = Mutex::named("mid", ());
    let high = Mutex::named("high", ());
    assert!(low.id() < mid.id() && mid.id() < high.id());
    let mut sites = Vec::new();
    let panic = on_thread("orderer", || {
        let (_high, high_at) = (high.lock(), Location::caller());
        sites.push(high_at);
        let _set = lock_all((&mid, &low)); // holds high, which is above low
    });
    assert!(
        panic
            .expect("Panic policy")
            .starts_with("lockgraph: lock order violation")
    );
    let Violation::OrderViolation(order) = recording.only_on(&[low.id(), mid.id(), high.id()])
    else {
        panic!("not an order violation");
    };
    assert_eq!(order.thread(), "orderer");
    assert!(order.in_lock_all());
    assert_eq!(order.acquiring().id(), low.id(), "the set's lowest lock");
    assert_eq!(order.higher().lock().id(), high.id());
    assert_eq!(order.higher().lock().name(), Some("high"));
    assert_eq!(order.higher().verb(), "lock");
    assert_eq!(line(order.higher().site()), line(sites[0]));
    assert_eq!(ids(order.held()), [high.id()]);
    assert_eq!(order.site().file(), file!());
    assert!(order.site().line() > sites[0].line());
}

#[test]
fn order_violation_under_ascending_mode_is_not_in_lock_all() {
    let recording = Recording::start();
    set_mode(Mode::Ascending);
    let low = Mutex::named("low", ());
    let high = RwLock::named("high", ());
    assert!(low.id() < high.id());
    let panic = on_thread("descender", || {
        let _high = high.read();
        let _low = low.lock();
    });
    assert!(panic.is_some(), "Panic policy");
    let Violation::OrderViolation(order) = recording.only_on(&[low.id(), high.id()]) else {
        panic!("not an order violation");
    };
    assert_eq!(order.thread(), "descender");
    assert!(!order.in_lock_all());
    assert_eq!(order.acquiring().id(), low.id());
    assert_eq!(order.higher().lock().id(), high.id());
    assert_eq!(order.higher().verb(), "read");
    assert_eq!(ids(order.held()), [high.id()]);
}

#[test]
fn order_violation_advice_names_lock_all_for_both_flavours() {
    let recording = Recording::start();
    set_mode(Mode::Ascending);
    let (low, high) = (Mutex::named("pl low", ()), Mutex::named("pl high", ()));
    let (std_low, std_high) = (
        lockgraph::stdsync::Mutex::named("std low", ()),
        lockgraph::stdsync::Mutex::named("std high", ()),
    );
    assert!(low.id() < high.id() && std_low.id() < std_high.id());
    let crate_root = on_thread("descender", || drop((high.lock(), low.lock())));
    let std_flavour = on_thread("std descender", || {
        let _high = std_high.lock().unwrap();
        let _low = std_low.lock().unwrap();
    });
    let advice = |report: Option<String>| {
        report
            .expect("Panic policy")
            .lines()
            .last()
            .map(String::from)
    };
    assert_eq!(
        advice(crate_root).as_deref(),
        Some("Release the higher lock first, or take all of them in one lock_all.")
    );
    // lock_all takes stdsync's locks too.
    assert_eq!(
        advice(std_flavour).as_deref(),
        Some("Release the higher lock first, or take all of them in one lock_all.")
    );
    let orders = [
        recording.only_on(&[low.id(), high.id()]),
        recording.only_on(&[std_low.id(), std_high.id()]),
    ];
    assert!(
        orders
            .iter()
            .all(|v| v.kind() == ViolationKind::OrderViolation)
    );
}

#[test]
fn self_deadlock_names_both_acquisitions() {
    let recording = Recording::start();
    let lock = RwLock::named("twice", ());
    let mut first_at = None;
    let panic = on_thread("rereader", || {
        let (_first, at) = (lock.write(), Location::caller());
        first_at = Some(at);
        let _again = lock.read(); // a read while writing: a self-deadlock
    });
    assert!(
        panic
            .expect("always panics")
            .starts_with(common::SELF_DEADLOCK)
    );
    let Violation::SelfDeadlock(report) = recording.only_on(&[lock.id()]) else {
        panic!("not a self-deadlock");
    };
    let first_at = first_at.unwrap();
    assert_eq!(report.thread(), "rereader");
    assert_eq!(report.lock().id(), lock.id());
    assert_eq!(report.lock().name(), Some("twice"));
    assert_eq!(report.verb(), "read");
    assert_eq!(report.site().file(), file!());
    assert_eq!(report.site().line(), first_at.line() + 2);
    let first = report.first().expect("the earlier acquisition");
    assert_eq!(first.lock().id(), lock.id());
    assert_eq!(first.verb(), "lock");
    assert_eq!(line(first.site()), line(first_at));
}

#[test]
fn a_second_read_names_both_reads() {
    let recording = Recording::start();
    let lock = RwLock::named("read twice", ());
    let mut first_at = None;
    let panic = on_thread("rereader", || {
        let (_first, at) = (lock.read(), Location::caller());
        first_at = Some(at);
        let _again = lock.read(); // a plain read again: potential
    });
    assert!(
        panic
            .expect("panics under Panic")
            .starts_with(common::CYCLE)
    );
    let Violation::RecursiveRead(report) = recording.only_on(&[lock.id()]) else {
        panic!("not a recursive read");
    };
    assert_eq!(report.thread(), "rereader");
    assert_eq!(report.lock().name(), Some("read twice"));
    assert_eq!(report.site().line(), first_at.unwrap().line() + 2);
    assert_eq!(report.first().verb(), "read");
    assert_eq!(line(report.first().site()), line(first_at.unwrap()));
}

#[test]
fn self_deadlock_in_one_lock_all_has_no_first_acquisition() {
    let recording = Recording::start();
    let (lock, created_at) = (Mutex::new(()), Location::caller());
    let panic = on_thread("doubler", || drop(lock_all((&lock, &lock))));
    assert!(
        panic
            .expect("always panics")
            .starts_with(common::SELF_DEADLOCK)
    );
    let Violation::SelfDeadlock(report) = recording.only_on(&[lock.id()]) else {
        panic!("not a self-deadlock");
    };
    assert_eq!(report.thread(), "doubler");
    assert_eq!(report.lock().id(), lock.id());
    assert_eq!(report.lock().name(), None);
    assert_eq!(report.lock().created_at().map(line), Some(line(created_at)));
    assert_eq!(report.verb(), "lock");
    assert!(report.first().is_none());
}

#[test]
fn long_wait_names_the_waiter_the_lock_and_its_holder() {
    let recording = Recording::start();
    set_kind_policy(ViolationKind::LongWait, Policy::Warn);
    let limit = Duration::from_millis(100);
    set_long_wait(Some(limit));
    let slow = Arc::new(Mutex::named("slow", 0));
    let other = Arc::new(Mutex::named("other", ()));
    let taken = Arc::new(Barrier::new(2));
    let holder = {
        let (slow, taken) = (Arc::clone(&slow), Arc::clone(&taken));
        thread::Builder::new().name("holder".into()).spawn(move || {
            let (mut guard, at) = (slow.lock(), Location::caller());
            taken.wait();
            thread::sleep(10 * limit); // the report comes while it holds the lock
            *guard += 1;
            at
        })
    };
    taken.wait();
    let waiter = {
        let (slow, other) = (Arc::clone(&slow), Arc::clone(&other));
        thread::Builder::new().name("waiter".into()).spawn(move || {
            let (_other, other_at) = (other.lock(), Location::caller());
            let (value, at) = (*slow.lock(), Location::caller());
            assert_eq!(value, 1);
            (other_at, at)
        })
    };
    let held_at = holder.unwrap().join().unwrap();
    let (other_at, waited_at) = waiter.unwrap().join().unwrap();
    let Violation::LongWait(wait) = recording.only_on(&[slow.id()]) else {
        panic!("not a long wait");
    };
    assert!(wait.waited() >= limit);
    assert_eq!(wait.thread(), "waiter");
    assert_eq!(wait.waiting_for().id(), slow.id());
    assert_eq!(line(wait.site()), line(waited_at));
    let blocked = wait.waiter();
    assert_eq!(blocked.thread(), "waiter");
    assert_eq!(blocked.waiting_for().id(), slow.id());
    assert_eq!(blocked.verb(), "lock");
    assert_eq!(line(blocked.site()), line(waited_at));
    assert_eq!(ids(blocked.holds()), [other.id()]);
    assert_eq!(line(blocked.holds()[0].site()), line(other_at));
    let holders: Vec<_> = wait.holders().collect();
    assert_eq!(holders.len(), 1, "{holders:?}");
    let (thread, held) = holders[0];
    assert_eq!(thread, "holder");
    assert_eq!(held.lock().id(), slow.id());
    assert_eq!(held.verb(), "lock");
    assert_eq!(line(held.site()), line(held_at));
}
