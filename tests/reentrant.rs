//! ReentrantMutex: re-entry on the owning thread records nothing; the first
//! acquisition is ordered like any other lock.

mod common;

use lockgraph::{MappedReentrantMutexGuard, Mutex, ReentrantMutex, ReentrantMutexGuard};

#[test]
fn reentry_records_nothing() {
    let r = ReentrantMutex::new(1);
    let m = Mutex::new(());
    let outer = r.lock();
    let _m = m.lock(); // r -> m
    let inner = r.lock(); // re-entry while holding m: no m -> r edge
    assert_eq!(*outer + *inner, 2);
    drop(inner);
    assert!(!lockgraph::graph::snapshot().has_edge(m.id(), r.id()));
}

#[test]
fn first_acquisition_is_ordered() {
    let r = ReentrantMutex::new(());
    let m = Mutex::new(());
    drop((r.lock(), m.lock()));
    assert!(common::reports(common::CYCLE, || drop((
        m.lock(),
        r.lock()
    ))));
}

#[test]
fn nested_guards_release_in_any_order() {
    let r = ReentrantMutex::new(());
    let m = Mutex::new(());
    let g1 = r.lock();
    let g2 = r.try_lock().expect("owner may re-enter");
    drop(g1);
    drop(m.lock()); // r still held through g2: r -> m
    drop(g2);
    assert!(lockgraph::graph::snapshot().has_edge(r.id(), m.id()));
    assert!(!r.is_locked());
}

#[test]
fn mapped_and_unlocked() {
    let r = ReentrantMutex::new((1, 2));
    let mut g = r.lock();
    let seen = ReentrantMutexGuard::unlocked(&mut g, || r.is_owned_by_current_thread());
    assert!(!seen);
    let first = ReentrantMutexGuard::map(g, |pair| &pair.0);
    assert_eq!(*first, 1);
}

#[test]
fn try_map_or_err_gives_back_a_guard_that_is_still_held() {
    let r = ReentrantMutex::new((vec![1], 2));
    let failed = ReentrantMutexGuard::try_map_or_err(r.lock(), |_| Err::<&u8, _>("no part"));
    let (kept, error) = failed.expect_err("the guard comes back");
    assert_eq!(error, "no part");
    assert!(common::held_here(r.id()));
    let list = ReentrantMutexGuard::try_map_or_err(kept, |pair| Ok::<_, ()>(&pair.0));
    let list = list.expect("a part was found");
    let (list, error) = MappedReentrantMutexGuard::try_map_or_err(list, |v| v.get(3).ok_or(3))
        .expect_err("too short: the mapped guard comes back");
    assert_eq!(error, 3);
    let list = MappedReentrantMutexGuard::try_map(list, |v| v.get(3))
        .expect_err("too short: the mapped guard comes back");
    assert!(common::held_here(r.id()));
    let first = MappedReentrantMutexGuard::try_map(list, |v| v.first());
    assert_eq!(first.ok().map(|g| *g), Some(1));
    assert!(!common::held_here(r.id()));
}

#[test]
fn mapped_unlock_fair_releases_the_lock() {
    let r = ReentrantMutex::new((1, 2));
    let first = ReentrantMutexGuard::map(r.lock(), |pair| &pair.0);
    let first = MappedReentrantMutexGuard::map(first, |x| x);
    assert!(common::held_here(r.id()));
    MappedReentrantMutexGuard::unlock_fair(first);
    assert!(!r.is_locked());
    assert!(!common::held_here(r.id()));
}
