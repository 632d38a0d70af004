//! RwLock rules: reads and writes are ordered alike, recursive reads are free,
//! a plain second read is a self-deadlock.

mod common;

use common::panic_message;
use lockgraph::{Mutex, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};

#[test]
fn read_read_cycle_is_reported() {
    let a = RwLock::new(0);
    let b = RwLock::new(0);
    drop((a.read(), b.read()));
    let report = panic_message(|| drop((b.read(), a.read()))).expect("cycle");
    assert!(
        report.starts_with("lockgraph: potential deadlock"),
        "{report}"
    );
    assert!(report.contains("read("), "{report}");
}

#[test]
fn read_write_mixed_cycle_is_reported() {
    let a = RwLock::new(0);
    let m = Mutex::new(0);
    drop((a.write(), m.lock()));
    assert!(common::reports(common::CYCLE, || drop((
        m.lock(),
        a.read()
    ))));
}

#[test]
fn read_recursive_on_a_read_lock_adds_nothing() {
    let a = RwLock::new(1);
    let r1 = a.read();
    let r2 = a.read_recursive();
    assert_eq!(*r1 + *r2, 2);
    drop(r2);
    // The first read is still held (and recorded once): a later lock is ordered after it.
    let (while_held, after) = (lockgraph::Mutex::new(()), lockgraph::Mutex::new(()));
    drop(while_held.lock());
    drop(r1);
    drop(after.lock());
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(a.id(), while_held.id()));
    assert!(!snapshot.has_edge(a.id(), after.id()));
}

#[test]
fn a_second_plain_read_is_a_self_deadlock() {
    let a = RwLock::named("config", 1);
    let _r = a.read();
    let report = panic_message(|| a.read()).expect("self-deadlock");
    assert!(report.contains("read_recursive"), "{report}");
}

#[test]
fn write_while_reading_is_a_self_deadlock() {
    let a = RwLock::new(1);
    let _r = a.read_recursive();
    assert!(common::reports(common::SELF_DEADLOCK, || drop(a.write())));
}

#[test]
fn try_read_and_try_write_never_report() {
    let a = RwLock::new(1);
    let _w = a.write();
    assert!(a.try_read().is_none());
    assert!(a.try_write().is_none());
    assert!(a.try_upgradable_read().is_none());
}

#[test]
fn upgrade_is_checked_against_other_held_locks() {
    // Thread holds upgradable(L), then M, then upgrades L: a reader of L that
    // waits for M would deadlock with it. That is M -> L against L -> M.
    let l = RwLock::new(0);
    let m = Mutex::new(0);
    let report = panic_message(|| {
        let up = l.upgradable_read();
        let _m = m.lock(); // L -> M
        RwLockUpgradableReadGuard::upgrade(up) // M -> L: cycle
    });
    assert!(report.expect("cycle").contains("potential deadlock"));
}

#[test]
fn downgrade_and_upgrade_keep_the_held_mode() {
    let l = RwLock::new(5);
    let w = l.write();
    let r = RwLockWriteGuard::downgrade(w);
    assert_eq!(*r, 5);
    // Held for reading now: a recursive read is fine.
    drop(l.read_recursive());
    drop(r);
    let up = l.upgradable_read();
    let mut w = RwLockUpgradableReadGuard::upgrade(up);
    *w += 1;
    let up = RwLockWriteGuard::downgrade_to_upgradable(w);
    let Ok(w) = RwLockUpgradableReadGuard::try_upgrade(up) else {
        panic!("no other readers: the upgrade must succeed");
    };
    assert_eq!(*w, 6);
}

#[test]
fn mapped_guards_keep_the_lock_held() {
    let l = RwLock::new((1, 2));
    let first = lockgraph::RwLockReadGuard::map(l.read(), |pair| &pair.0);
    assert_eq!(*first, 1);
    assert!(l.try_write().is_none());
    drop(first);
    let mut second = RwLockWriteGuard::map(l.write(), |pair| &mut pair.1);
    *second = 3;
    drop(second);
    assert_eq!(l.into_inner(), (1, 3));
}

#[test]
fn try_of_a_lock_this_thread_holds_is_busy_in_every_mode() {
    let a = RwLock::new(1);
    let reading = a.read();
    assert!(a.try_read().is_none());
    assert!(a.try_read_recursive().is_none());
    assert!(a.try_upgradable_read().is_none());
    let start = std::time::Instant::now();
    assert!(a.try_write_for(std::time::Duration::from_secs(5)).is_none());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(1),
        "busy at once"
    );
    drop(reading);
    // Another thread's read does not make it busy here.
    std::thread::scope(|s| {
        let held = a.read();
        s.spawn(|| assert!(a.try_read().is_some())).join().unwrap();
        drop(held);
    });
}
