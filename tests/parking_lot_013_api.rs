//! Code written against parking_lot 0.13's API compiles against lockgraph's
//! crate root with `parking_lot::` replaced by `lockgraph::` (and 0.12's API
//! still does): `RecursiveRwLock`, `Once`/`OnceState`, the `const_*`
//! constructors, both names of the mapped read guard's `try_map_or_*`. The
//! bodies below are written as a 0.13 user would, and check behaviour too.

mod common;

use common::{CYCLE, held_here, reports};
use lockgraph::{
    MappedRecursiveRwLockReadGuard, Once, OnceState, RecursiveRwLock, RecursiveRwLockReadGuard,
    RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard, RwLock, RwLockReadGuard,
};

static TABLE: RecursiveRwLock<Vec<u32>> = RecursiveRwLock::new(Vec::new());
static START: Once = Once::new();
static DONE_ALREADY: Once = Once::new_completed();

#[test]
fn recursive_rwlock_reads_nest_without_a_report() {
    let lock = RecursiveRwLock::new(1);
    let outer: RecursiveRwLockReadGuard<'_, i32> = lock.read();
    let inner = lock.read(); // no RecursiveRead report: this lock's reads nest
    assert_eq!(*outer + *inner, 2);
    assert!(lock.try_write().is_none());
    drop((outer, inner));
    let mut writer: RecursiveRwLockWriteGuard<'_, i32> = lock.write();
    *writer = 5;
    let reader = RecursiveRwLockWriteGuard::downgrade(writer);
    let mapped: MappedRecursiveRwLockReadGuard<'_, i32> =
        RecursiveRwLockReadGuard::map(reader, |v| v);
    assert_eq!(*mapped, 5);
}

#[test]
fn a_plain_rwlock_nested_read_is_still_reported() {
    let lock = RwLock::new(());
    let _outer = lock.read();
    assert!(reports("lockgraph:", || drop(lock.read())));
}

#[test]
fn recursive_rwlock_upgrades_and_statics_work() {
    TABLE.write().push(1);
    let up = TABLE.upgradable_read();
    RecursiveRwLockUpgradableReadGuard::upgrade(up).push(2);
    assert_eq!(*TABLE.read(), [1, 2]);
}

#[test]
fn a_cycle_through_a_recursive_rwlock_is_reported() {
    let table = RecursiveRwLock::named("table", ());
    let index = lockgraph::Mutex::named("index", ());
    {
        let _t = table.read();
        let _i = index.lock(); // table -> index
    }
    let _i = index.lock();
    assert!(reports(CYCLE, || drop(table.write())));
    assert!(!held_here(table.id()));
}

#[test]
fn once_has_both_versions_api() {
    assert_eq!(START.state(), OnceState::New);
    START.call_once(|| assert_eq!(START.state(), OnceState::InProgress));
    assert!(START.is_completed() && START.state().done() && START.state().is_completed());
    START.wait();
    START.wait_force();
    DONE_ALREADY.call_once(|| unreachable!("completed from the start"));
    assert!(DONE_ALREADY.is_completed());
}

#[test]
fn a_poisoned_once_runs_again_when_forced() {
    let once = Once::new();
    let _ = std::panic::catch_unwind(|| once.call_once(|| panic!("boom")));
    assert_eq!(once.state(), OnceState::Poisoned);
    assert!(once.state().poisoned() && once.state().is_poisoned());
    assert!(std::panic::catch_unwind(|| once.call_once(|| {})).is_err());
    let mut seen = None;
    once.call_once_force(|state| seen = Some(state));
    assert_eq!(seen, Some(OnceState::Poisoned));
    assert_eq!(once.state(), OnceState::Done);
}

#[test]
fn a_cycle_through_a_once_initialiser_is_reported() {
    let once = Once::named("init");
    let config = lockgraph::Mutex::named("config", ());
    {
        let _c = config.lock();
        // config -> init; the panic leaves `init` poisoned, so it runs again.
        let first = std::panic::AssertUnwindSafe(|| once.call_once(|| panic!("first try")));
        assert!(std::panic::catch_unwind(first).is_err());
    }
    // init -> config closes the cycle, inside the initialiser.
    let report = common::panic_message(|| once.call_once_force(|_| drop(config.lock())));
    let report = report.expect("a cycle through the Once");
    assert!(report.starts_with(CYCLE), "{report}");
    assert!(
        report.contains("init") && report.contains("config"),
        "{report}"
    );
}

#[test]
fn const_constructors_of_0_12_build_statics() {
    static M: lockgraph::Mutex<u8> = lockgraph::const_mutex(1);
    static F: lockgraph::FairMutex<u8> = lockgraph::const_fair_mutex(2);
    static R: lockgraph::ReentrantMutex<u8> = lockgraph::const_reentrant_mutex(3);
    static W: lockgraph::RwLock<u8> = lockgraph::const_rwlock(4);
    assert_eq!(*M.lock() + *F.lock() + *R.lock() + *W.read(), 10);
}

#[test]
fn mapped_read_guards_have_both_names_of_try_map_or() {
    let lock = RwLock::new(vec![1, 2]);
    let all = RwLockReadGuard::map(lock.read(), |v| v);
    let first = lockgraph::MappedRwLockReadGuard::try_map_or_err(all, |v| v.first().ok_or(()));
    let Ok(first) = first else { panic!("one item") };
    assert_eq!(*first, 1);
    drop(first);
    let all = RwLockReadGuard::map(lock.read(), |v| v);
    let third = lockgraph::MappedRwLockReadGuard::try_map_or_else(all, |v| v.get(2).ok_or(()));
    assert!(third.is_err());
}
