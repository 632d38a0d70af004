//! ReentrantMutex: re-entry on the owning thread records nothing; the first
//! acquisition is ordered like any other lock.

mod common;

use lockgraph::{Mutex, ReentrantMutex, ReentrantMutexGuard};

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
