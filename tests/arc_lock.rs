//! The `arc_lock` feature: guards that own an `Arc` of their lock record and
//! release exactly what the borrowing guards do.
#![cfg(feature = "arc_lock")]

mod common;

use std::sync::Arc;

use common::{CYCLE, SELF_DEADLOCK, held_here, reports};
use lockgraph::{
    ArcMutexGuard, ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard, ArcRwLockWriteGuard,
    FairMutex, Mutex, RawFairMutex, RawMutex, RawRwLock, RwLock,
};

#[test]
fn a_cycle_through_arc_guards_is_reported() {
    let a = Arc::new(Mutex::named("a", ()));
    let b = Arc::new(RwLock::named("b", ()));
    {
        let _a = a.lock_arc();
        let _b = b.write_arc(); // a -> b
    }
    let _b = b.read_arc();
    assert!(reports(CYCLE, || drop(a.lock_arc())));
    assert!(!held_here(a.id()), "the report left `a` free and not held");
}

#[test]
fn an_arc_guard_records_edges_while_held_and_releases_on_drop() {
    let outer = Arc::new(FairMutex::named("outer", 0));
    let inner = Mutex::named("inner", 0);
    let guard: ArcMutexGuard<RawFairMutex, i32> = outer.lock_arc();
    assert!(held_here(outer.id()));
    drop(inner.lock());
    assert!(lockgraph::graph::snapshot().has_edge(outer.id(), inner.id()));
    drop(guard);
    assert!(!held_here(outer.id()) && !outer.is_locked());
}

#[test]
fn an_arc_guard_keeps_its_lock_alive_and_can_be_stored() {
    struct Holder {
        guard: ArcMutexGuard<RawMutex, Vec<u8>>,
    }
    let lock = Arc::new(Mutex::new(vec![1]));
    let id = lock.id();
    let mut holder = Holder {
        guard: lock.lock_arc(),
    };
    drop(lock); // the guard owns the last `Arc`
    holder.guard.push(2);
    assert!(held_here(id));
    let lock = ArcMutexGuard::into_arc(holder.guard);
    assert!(!held_here(id) && !lock.is_locked());
    assert_eq!(*lock.lock(), [1, 2]);
}

#[test]
fn retaking_a_mutex_held_by_an_arc_guard_is_a_self_deadlock() {
    let lock = Arc::new(Mutex::new(()));
    let _held = lock.lock_arc();
    assert!(
        lock.try_lock_arc().is_none(),
        "busy for this thread: no report"
    );
    assert!(reports(SELF_DEADLOCK, || drop(lock.lock_arc())));
}

#[test]
fn unlocked_releases_for_the_closure_and_survives_a_panic_in_it() {
    let lock = Arc::new(Mutex::new(1));
    let mut guard = lock.lock_arc();
    let id = lock.id();
    assert!(ArcMutexGuard::unlocked(&mut guard, || !held_here(id) && !lock.is_locked()));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ArcMutexGuard::unlocked(&mut guard, || panic!("in the closure"))
    }));
    assert!(caught.is_err());
    // Still held, and usable.
    *guard += 1;
    assert!(held_here(id) && lock.is_locked());
    drop(guard);
    assert!(!held_here(id) && !lock.is_locked());
}

#[test]
fn rwlock_arc_guards_change_mode_and_stay_held() {
    let lock = Arc::new(RwLock::new(1));
    let id = lock.id();
    let up: ArcRwLockUpgradableReadGuard<RawRwLock, i32> = lock.upgradable_read_arc();
    let mut writer: ArcRwLockWriteGuard<RawRwLock, i32> = ArcRwLockUpgradableReadGuard::upgrade(up);
    *writer = 2;
    assert!(lock.is_locked_exclusive() && held_here(id));
    let up = ArcRwLockWriteGuard::downgrade_to_upgradable(writer);
    let reader: ArcRwLockReadGuard<RawRwLock, i32> = ArcRwLockUpgradableReadGuard::downgrade(up);
    assert!(!lock.is_locked_exclusive() && held_here(id));
    let other = lock.read_arc_recursive(); // this thread reads it: recursive read adds nothing
    assert_eq!(*reader + *other, 4);
    drop((reader, other));
    assert!(!held_here(id) && !lock.is_locked());
}

#[test]
fn a_failed_try_upgrade_gives_the_upgradable_guard_back() {
    let lock = Arc::new(RwLock::new(()));
    let up = lock.upgradable_read_arc();
    let reader = lock.read_arc_recursive();
    let up = ArcRwLockUpgradableReadGuard::try_upgrade(up).expect_err("a reader is in");
    assert!(held_here(lock.id()));
    drop(reader);
    let writer = ArcRwLockUpgradableReadGuard::try_upgrade(up).expect("alone now");
    assert!(lock.is_locked_exclusive());
    drop(writer);
    assert!(!lock.is_locked() && !held_here(lock.id()));
}

#[test]
fn a_reentrant_arc_guard_nests_and_releases_once_per_guard() {
    use lockgraph::{ArcReentrantMutexGuard, RawThreadId, ReentrantMutex};
    let lock = Arc::new(ReentrantMutex::named("log", ()));
    let outer: ArcReentrantMutexGuard<RawMutex, RawThreadId, ()> = lock.lock_arc();
    let inner = lock.lock_arc(); // re-entry: no wait, no report
    drop(outer);
    assert!(
        lock.is_locked() && held_here(lock.id()),
        "inner still holds it"
    );
    let lock = ArcReentrantMutexGuard::into_arc(inner);
    assert!(!lock.is_locked() && !held_here(lock.id()));
}

#[test]
fn recursive_rwlock_arc_guards_read_recursively() {
    use lockgraph::{RawRwLockRecursive, RecursiveRwLock};
    let lock = Arc::new(RecursiveRwLock::named("cache", 1));
    let outer: ArcRwLockReadGuard<RawRwLockRecursive, i32> = lock.read_arc();
    let inner = lock.read_arc(); // nested read of a recursive lock: no report
    assert_eq!(*outer + *inner, 2);
    assert!(lock.try_write_arc().is_none());
    drop((outer, inner));
    let up = lock.upgradable_read_arc();
    *ArcRwLockUpgradableReadGuard::upgrade(up) = 5;
    assert!(!lock.is_locked() && !held_here(lock.id()));
    assert_eq!(*lock.read(), 5);
}
