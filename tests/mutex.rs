//! Mutex and FairMutex: the guard API keeps the held set exact.

mod common;

use common::panic_message;
use lockgraph::{FairMutex, FairMutexGuard, MappedMutexGuard, Mutex, MutexGuard};

#[test]
fn map_and_try_map_keep_the_lock_held() {
    let m = Mutex::new((1, 2));
    let mut second = MutexGuard::map(m.lock(), |pair| &mut pair.1);
    *second += 10;
    assert!(m.is_locked());
    drop(second);
    let Err(kept) = MutexGuard::try_map(m.lock(), |_| None::<&mut u8>) else {
        panic!("no part was found: the guard comes back");
    };
    assert_eq!(*kept, (1, 12));
    let Ok(first) = MutexGuard::try_map(kept, |pair| Some(&mut pair.0)) else {
        panic!("a part was found");
    };
    let first = MappedMutexGuard::map(first, |x| x);
    assert_eq!(*first, 1);
    drop(first);
    assert!(!m.is_locked());
}

#[test]
fn unlocked_releases_and_retakes() {
    let m = Mutex::new(0);
    let other = Mutex::new(());
    let mut g = m.lock();
    let was_free = MutexGuard::unlocked(&mut g, || {
        let free = !m.is_locked();
        drop(other.lock()); // m is not held here: no m -> other edge
        free
    });
    assert!(was_free);
    drop(g);
    assert!(!lockgraph::graph::snapshot().has_edge(m.id(), other.id()));
}

#[test]
fn unlocked_retake_is_checked() {
    let m = Mutex::new(());
    let outer = Mutex::new(());
    drop((m.lock(), outer.lock())); // m -> outer
    let mut g = m.try_lock().expect("free");
    let report = panic_message(|| {
        let _o = outer.lock();
        MutexGuard::unlocked(&mut g, || ()); // retake m while holding outer
    });
    assert!(report.expect("cycle").contains("potential deadlock"));
}

#[test]
fn fair_unlocks_and_bump() {
    let f = FairMutex::new(1);
    let mut g = f.lock();
    FairMutexGuard::bump(&mut g);
    *g += 1;
    FairMutexGuard::unlock_fair(g);
    assert!(!f.is_locked());
    let m = Mutex::new(3);
    MutexGuard::unlock_fair(m.lock());
    assert_eq!(m.into_inner(), 3);
    assert_eq!(f.into_inner(), 2);
}

#[test]
fn timed_lock_adds_no_edge_into_the_lock() {
    let a = Mutex::new(());
    let b = Mutex::new(());
    let _a = a.lock();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(5);
    drop(b.try_lock_until(deadline).expect("free"));
    drop(
        b.try_lock_for(std::time::Duration::from_millis(5))
            .expect("free"),
    );
    assert!(!lockgraph::graph::snapshot().has_edge(a.id(), b.id()));
}

#[test]
fn a_lock_dropped_while_its_leaked_guard_holds_it_is_forgotten() {
    let holder = Mutex::new(());
    let leaked = Box::new(Mutex::named("leaked", 5));
    *MutexGuard::leak(leaked.lock()) += 1;
    drop(leaked); // prints a warning, must not panic
    // The thread's held set no longer has it: taking `holder` records no edge.
    let other = Mutex::new(());
    drop((holder.lock(), other.lock()));
    let snapshot = lockgraph::graph::snapshot();
    assert!(snapshot.has_edge(holder.id(), other.id()));
    assert_eq!(
        snapshot
            .edges
            .iter()
            .filter(|e| e.to == holder.id())
            .count(),
        0
    );
}

#[test]
fn debug_never_blocks_and_names_the_lock() {
    let m = Mutex::named("config", 7);
    let text = format!("{m:?}");
    assert!(text.contains("\"config\"") && text.contains('7'), "{text}");
    let _g = m.lock();
    let locked = format!("{m:?}");
    assert!(locked.contains("locked"), "{locked}");
    assert_eq!(format!("{:?}", m.try_lock().map(|_| ())), "None");
}

#[test]
fn get_mut_and_default_and_from() {
    let mut m: Mutex<Vec<u8>> = Mutex::default();
    m.get_mut().push(1);
    let n = Mutex::from(2u8);
    assert_eq!((m.into_inner(), n.into_inner()), (vec![1], 2));
}

#[test]
fn a_panic_inside_unlocked_keeps_the_lock_in_the_held_set() {
    let a = Mutex::new(());
    let b = Mutex::new(());
    let mut guard = a.lock();
    let message = panic_message(|| MutexGuard::unlocked(&mut guard, || panic!("in f")));
    assert_eq!(message.as_deref(), Some("in f"));
    assert!(a.is_locked(), "parking_lot takes it again on unwind");
    drop(b.lock()); // still held by this thread: records a -> b
    drop(guard);
    assert!(lockgraph::graph::snapshot().has_edge(a.id(), b.id()));
}

#[test]
fn a_panicking_wait_condition_keeps_the_lock_in_the_held_set() {
    let a = Mutex::new(0);
    let b = Mutex::new(());
    let cv = lockgraph::Condvar::new();
    let mut guard = a.lock();
    let message = panic_message(|| cv.wait_while(&mut guard, |_| panic!("in condition")));
    assert_eq!(message.as_deref(), Some("in condition"));
    drop(b.lock());
    drop(guard);
    assert!(lockgraph::graph::snapshot().has_edge(a.id(), b.id()));
}

#[test]
fn a_timed_try_on_a_mutex_this_thread_holds_is_busy_at_once() {
    let m = Mutex::new(());
    let _held = m.lock();
    let start = std::time::Instant::now();
    assert!(m.try_lock_for(std::time::Duration::from_secs(5)).is_none());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    assert!(m.try_lock_until(deadline).is_none());
    assert!(start.elapsed() < std::time::Duration::from_secs(4));
}

#[test]
fn try_map_or_err_gives_back_a_guard_that_is_still_held() {
    let m = Mutex::new((1, vec![2]));
    let failed = MutexGuard::try_map_or_err(m.lock(), |_| Err::<&mut u8, _>("no part"));
    let (kept, error) = failed.expect_err("f failed: the guard comes back");
    assert_eq!(error, "no part");
    assert!(common::held_here(m.id()));
    assert!(common::reports(common::SELF_DEADLOCK, || drop(m.lock())));
    let Ok(list) = MutexGuard::try_map_or_err(kept, |pair| Ok::<_, ()>(&mut pair.1)) else {
        panic!("a part was found");
    };
    let failed = MappedMutexGuard::try_map_or_err(list, |v| v.get_mut(5).ok_or(5));
    let (list, error) = failed.expect_err("too short: the mapped guard comes back");
    assert_eq!(error, 5);
    assert!(common::held_here(m.id()));
    let mut first =
        MappedMutexGuard::try_map_or_err(list, |v| v.first_mut().ok_or(0)).expect("one item");
    *first += 1;
    drop(first);
    assert!(!common::held_here(m.id()));
    assert_eq!(m.into_inner(), (1, vec![3]));
}

#[test]
fn mapped_try_map_keeps_the_lock_held_and_unlock_fair_releases_it() {
    let m = Mutex::new((1, 2));
    let pair = MutexGuard::map(m.lock(), |pair| pair);
    let pair = MappedMutexGuard::try_map(pair, |_| None::<&mut u8>)
        .expect_err("no part: the mapped guard comes back");
    assert!(common::held_here(m.id()));
    MappedMutexGuard::unlock_fair(pair);
    assert!(!m.is_locked());
    assert!(!common::held_here(m.id()));
    drop(m.lock()); // not held: no self-deadlock

    let f = FairMutex::new(vec![1]);
    let first = FairMutexGuard::map(f.lock(), |v| &mut v[0]);
    assert!(common::held_here(f.id()));
    lockgraph::MappedFairMutexGuard::unlock_fair(first);
    assert!(!f.is_locked());
    assert!(!common::held_here(f.id()));
}
