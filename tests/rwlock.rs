//! RwLock rules: reads and writes are ordered alike, recursive reads are free,
//! a plain second read is a potential deadlock.

mod common;

use common::panic_message;
use lockgraph::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, Mutex, Policy, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard, ViolationKind,
};

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

#[test]
fn try_map_or_err_gives_back_guards_that_are_still_held() {
    let l = RwLock::new(vec![1]);
    let failed = RwLockReadGuard::try_map_or_err(l.read(), |v| v.get(5).ok_or("short"));
    let (reading, error) = failed.expect_err("the read guard comes back");
    assert_eq!(error, "short");
    assert!(common::held_here(l.id()));
    assert!(l.try_read().is_none(), "busy: this thread reads it");
    let first = RwLockReadGuard::try_map_or_err(reading, |v| v.first().ok_or("empty"));
    assert_eq!(first.ok().map(|g| *g), Some(1));
    assert!(!common::held_here(l.id()));

    let failed = RwLockWriteGuard::try_map_or_err(l.write(), |v| v.get_mut(5).ok_or(5));
    let (mut writing, error) = failed.expect_err("the write guard comes back");
    assert_eq!(error, 5);
    writing.push(2);
    assert!(common::held_here(l.id()));
    assert!(common::reports(common::SELF_DEADLOCK, || drop(l.read())));
    let Ok(mut last) = RwLockWriteGuard::try_map_or_err(writing, |v| v.last_mut().ok_or(0)) else {
        panic!("not empty");
    };
    *last = 20;
    drop(last);
    assert_eq!(l.into_inner(), [1, 20]);
}

#[test]
fn mapped_read_guards_try_map_and_unlock_fair() {
    let l = RwLock::new((vec![1], 2));
    let list = RwLockReadGuard::map(l.read(), |pair| &pair.0);
    let list = MappedRwLockReadGuard::try_map(list, |v| v.get(3))
        .expect_err("no part: the guard comes back");
    let (list, error) = MappedRwLockReadGuard::try_map_or_err(list, |v| v.get(3).ok_or(3))
        .expect_err("no part: the guard comes back");
    assert_eq!(error, 3);
    let (list, _) = MappedRwLockReadGuard::try_map_or_else(list, |v| v.get(3).ok_or(()))
        .expect_err("the lock_api spelling does the same");
    assert!(common::held_here(l.id()));
    assert!(
        common::reports(common::CYCLE, || drop(l.read())),
        "read again"
    );
    let first = MappedRwLockReadGuard::try_map(list, |v| v.first()).ok();
    let first = first.expect("one item");
    assert_eq!(*first, 1);
    MappedRwLockReadGuard::unlock_fair(first);
    assert!(!l.is_locked());
    assert!(!common::held_here(l.id()));
    drop(l.read()); // not held: no self-deadlock
}

#[test]
fn mapped_write_guards_try_map_and_unlock_fair() {
    let l = RwLock::new((vec![1], 2));
    let list = RwLockWriteGuard::map(l.write(), |pair| &mut pair.0);
    let list = MappedRwLockWriteGuard::try_map(list, |v| v.get_mut(3))
        .expect_err("no part: the guard comes back");
    let (mut list, error) = MappedRwLockWriteGuard::try_map_or_err(list, |v| v.get_mut(3).ok_or(3))
        .expect_err("no part: the guard comes back");
    assert_eq!(error, 3);
    list.push(5);
    assert!(common::held_here(l.id()));
    assert!(l.try_read().is_none());
    let last = MappedRwLockWriteGuard::try_map(list, |v| v.last_mut()).ok();
    let mut last = last.expect("two items");
    *last += 1;
    MappedRwLockWriteGuard::unlock_fair(last);
    assert!(!l.is_locked());
    assert!(!common::held_here(l.id()));
    assert_eq!(l.into_inner(), (vec![1, 6], 2));
}

#[test]
fn with_upgraded_holds_for_writing_inside_and_upgradable_after() {
    let l = RwLock::new(1);
    let mut up = l.upgradable_read();
    let inside = up.with_upgraded(|n| {
        *n += 1;
        // Held for writing here: a recursive read would wait for itself.
        let recursive = panic_message(|| drop(l.read_recursive()));
        (*n, l.is_locked_exclusive(), recursive)
    });
    let (value, exclusive, recursive) = inside;
    assert_eq!(value, 2);
    assert!(exclusive);
    assert!(
        recursive
            .expect("a self-deadlock")
            .starts_with(common::SELF_DEADLOCK)
    );
    // An upgradable read again, in the lock and in the held set.
    assert!(!l.is_locked_exclusive());
    assert!(common::held_here(l.id()));
    drop(l.read_recursive()); // fine with an upgradable read
    assert_eq!(*RwLockUpgradableReadGuard::upgrade(up), 2);
}

#[test]
fn a_panic_inside_with_upgraded_leaves_an_upgradable_read() {
    let l = RwLock::new(1);
    let mut up = l.upgradable_read();
    let message = panic_message(|| {
        up.with_upgraded(|n| {
            *n = 5;
            panic!("user panic")
        })
    });
    assert_eq!(message.as_deref(), Some("user panic"));
    assert!(l.is_locked() && !l.is_locked_exclusive());
    drop(l.read_recursive()); // held as an upgradable read, not for writing
    assert!(common::held_here(l.id()));
    drop(up);
    assert!(!common::held_here(l.id()));
    assert_eq!(l.into_inner(), 5);
}

#[test]
fn with_upgraded_is_checked_like_upgrade_and_try_with_upgraded_is_not() {
    // Upgradable L, then M, then upgrading L: M -> L against L -> M.
    let l = RwLock::new(0);
    let m = Mutex::new(());
    let mut up = l.upgradable_read();
    let m_held = m.lock(); // L -> M
    let ran = std::cell::Cell::new(false);
    let report = panic_message(|| up.with_upgraded(|_| ran.set(true))); // M -> L
    assert!(report.expect("cycle").starts_with(common::CYCLE));
    assert!(!ran.get(), "reported before upgrading");
    assert!(!l.is_locked_exclusive());
    // A try cannot block: it records nothing and reports nothing.
    assert_eq!(up.try_with_upgraded(|n| *n + 1), Some(1));
    let timeout = std::time::Duration::from_millis(10);
    assert_eq!(up.try_with_upgraded_for(timeout, |n| *n + 2), Some(2));
    let deadline = std::time::Instant::now();
    assert_eq!(up.try_with_upgraded_until(deadline, |n| *n + 3), Some(3));
    drop(m_held);
    assert!(common::held_here(l.id()));
    drop(l.read_recursive()); // still an upgradable read
}

#[test]
fn upgrades_in_place_wait_for_readers() {
    use std::sync::Barrier;
    use std::time::Duration;
    let l = RwLock::new(0);
    let (reading, release) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            let read = l.read();
            reading.wait();
            release.wait();
            std::thread::sleep(Duration::from_millis(50));
            drop(read);
        });
        reading.wait();
        let mut up = l.upgradable_read();
        assert_eq!(up.try_with_upgraded(|n| *n = 1), None, "another reader");
        let short = Duration::from_millis(5);
        assert_eq!(up.try_with_upgraded_for(short, |n| *n = 2), None);
        assert!(common::held_here(l.id()), "the guard is still held");
        release.wait();
        up.with_upgraded(|n| *n = 3); // waits until the reader leaves
        assert_eq!(*up, 3);
    });
}

#[test]
fn a_second_plain_read_is_a_potential_deadlock_not_a_certain_one() {
    let lock = RwLock::named("twice-read", 1);
    let report = panic_message(|| {
        let _first = lock.read();
        let _second = lock.read();
    })
    .expect("reported under Panic");
    assert!(
        report.starts_with("lockgraph: potential deadlock (a second read of 1 lock"),
        "{report}"
    );
    assert!(report.contains("use read_recursive"), "{report}");
    assert!(lock.try_write().is_some(), "nothing stays held");
    // Under Warn (this kind only) it is printed and the read goes on.
    let before = lockgraph::set_kind_policy(ViolationKind::RecursiveRead, Policy::Warn);
    let (first, second) = (lock.read(), lock.read());
    assert_eq!(*first + *second, 2);
    drop((first, second));
    lockgraph::set_kind_policy(ViolationKind::RecursiveRead, before);
    // Re-taking for writing while reading stays certain.
    let certain = panic_message(|| {
        let _read = lock.read();
        let _write = lock.write();
    })
    .expect("a self-deadlock");
    assert!(certain.starts_with("lockgraph: self-deadlock"), "{certain}");
}
