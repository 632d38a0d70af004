//! `lockgraph::lock_api`: lock_api 0.4 raw locks (the tests' spin lock,
//! parking_lot's) get the crate root's checks, mix with its locks in one
//! graph, and are members of `lock_all` sets.

mod common;
#[path = "common/raw_spin.rs"]
mod raw_spin;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{CYCLE, SELF_DEADLOCK, held_here, reports};
use lockgraph::graph::snapshot;
use lockgraph::lock_api::{
    MappedMutexGuard, Mutex, MutexGuard, ReentrantMutex, RwLock, RwLockUpgradableReadGuard,
};
use lockgraph::{OrderedSet, lock_all, try_lock_all};
use raw_spin::RawSpin;

type Spin<T> = Mutex<RawSpin, T>;
type Parking<T> = Mutex<parking_lot::RawMutex, T>;
type Rw<T> = RwLock<parking_lot::RawRwLock, T>;
type Reentrant<T> = ReentrantMutex<RawSpin, parking_lot::RawThreadId, T>;

#[test]
fn a_cycle_through_spin_locks_is_reported() {
    let a = Spin::named("spin a", 0);
    let b = Spin::named("spin b", 0);
    drop((a.lock(), b.lock())); // a -> b
    let message = common::panic_message(|| drop((b.lock(), a.lock()))).expect("reported");
    assert!(message.starts_with(CYCLE), "{message}");
    assert!(
        message.contains("spin a") && message.contains("spin b"),
        "{message}"
    );
    assert!(
        !a.is_locked() && !b.is_locked(),
        "both let go by the unwinding"
    );
}

#[test]
fn lock_api_locks_share_the_graph_with_the_crate_roots() {
    let root = lockgraph::Mutex::named("shared root", ());
    let spin = Spin::named("shared spin", ());
    let rw = Rw::named("shared rw", ());
    drop((root.lock(), spin.lock(), rw.read())); // root -> spin -> rw
    assert!(snapshot().has_edge(root.id(), spin.id()));
    assert!(snapshot().has_edge(spin.id(), rw.id()));
    assert!(reports(CYCLE, || drop((rw.write(), root.lock()))));
}

#[test]
fn try_and_timed_acquisitions_record_no_edge_into_the_lock() {
    let held = Spin::new(());
    let tried = Spin::new(());
    let timed = Parking::new(());
    let rw = Rw::new(());
    let _held = held.lock();
    let _tried = tried.try_lock().expect("free");
    let _timed = timed.try_lock_for(Duration::from_millis(5)).expect("free");
    let _read = rw.try_read_until(Instant::now()).expect("free");
    let graph = snapshot();
    for target in [tried.id(), timed.id(), rw.id()] {
        assert!(!graph.has_edge(held.id(), target));
    }
    // Held all the same: later blocking acquisitions get edges from them.
    assert!(held_here(tried.id()) && held_here(timed.id()) && held_here(rw.id()));
}

#[test]
fn a_try_of_a_lock_this_thread_holds_is_busy_and_reports_nothing() {
    let m = Spin::new(1);
    let timed = Parking::new(());
    let _m = m.lock();
    let _timed = timed.lock();
    assert!(m.try_lock().is_none());
    let start = Instant::now();
    assert!(timed.try_lock_for(Duration::from_secs(5)).is_none());
    assert!(start.elapsed() < Duration::from_secs(1), "busy at once");
}

#[test]
fn taking_a_held_spin_lock_again_is_a_self_deadlock_not_a_hang() {
    let m = Spin::named("again", ());
    let _held = m.lock();
    assert!(reports(SELF_DEADLOCK, || drop(m.lock())));
}

#[test]
fn reentrant_relocking_is_silent() {
    let r = Reentrant::new(1);
    let m = Spin::new(());
    let outer = r.lock();
    let _m = m.lock(); // r -> m
    let inner = r.lock(); // re-entry while holding m: no m -> r edge, no report
    assert_eq!(*outer + *inner, 2);
    assert!(r.try_lock().is_some(), "re-entry succeeds for a try too");
    drop(inner);
    assert!(!snapshot().has_edge(m.id(), r.id()));
    assert!(snapshot().has_edge(r.id(), m.id()));
}

#[test]
fn lock_all_takes_lock_api_members_with_the_crate_roots() {
    let spin = Spin::named("set spin", 1);
    let rw = Rw::named("set rw", 2);
    let root = lockgraph::Mutex::named("set root", 3);
    let reentrant = Reentrant::named("set reentrant", 4);
    let ids = [spin.id(), rw.id(), root.id(), reentrant.id()];
    let (mut s, r, m, re) = lock_all((&spin, rw.for_read(), &root, &reentrant));
    *s += *r + *m + *re;
    drop((s, r, m, re));
    assert_eq!(*spin.lock(), 10);
    // Taken in ascending id order: every edge among them goes up.
    let graph = snapshot();
    for (i, low) in ids.iter().enumerate() {
        for high in &ids[i + 1..] {
            assert!(!graph.has_edge(*high.max(low), *high.min(low)));
        }
    }
    let set = OrderedSet::new((&rw, &spin));
    let (mut w, _s) = set.lock();
    *w += 1;
}

#[test]
fn try_lock_all_of_lock_api_members_is_all_or_nothing() {
    let spin = Spin::new(());
    let rw = Rw::new(());
    let busy = Arc::new(Barrier::new(2));
    std::thread::scope(|s| {
        let holder = s.spawn(|| {
            let _w = rw.write();
            busy.wait();
            busy.wait();
        });
        busy.wait();
        assert!(try_lock_all((&spin, &rw)).is_none());
        let deadline = Instant::now() + Duration::from_millis(20);
        assert!(lockgraph::try_lock_all_until((&spin, rw.for_read()), deadline).is_none());
        assert!(Instant::now() >= deadline, "waited for the deadline");
        assert!(!spin.is_locked(), "nothing kept");
        busy.wait();
        holder.join().unwrap();
    });
    let within = Duration::from_millis(20);
    assert!(lockgraph::try_lock_all_for((&spin, &rw), within).is_some());
}

#[test]
fn rwlock_reads_are_ordered_and_recursive_reads_are_not() {
    let rw = Rw::named("read rw", 0);
    let spin = Spin::named("read spin", ());
    {
        let _r = rw.read();
        let _again = rw.read_recursive(); // this thread reads already: no edge, no report
        let _s = spin.lock(); // rw -> spin
    }
    // A plain second read can deadlock behind a queued writer: reported.
    let _r = rw.read();
    assert!(reports(
        "lockgraph: potential deadlock (a second read",
        || drop(rw.read())
    ));
    drop(_r);
    // spin -> rw, by a read, closes the cycle.
    assert!(reports(CYCLE, || drop((spin.lock(), rw.read()))));
}

#[test]
fn upgrades_and_downgrades_keep_the_held_set_exact() {
    let rw = Rw::new(1);
    let spin = Spin::new(());
    let up = rw.upgradable_read();
    let mut w = RwLockUpgradableReadGuard::upgrade(up);
    *w = 2;
    let r = lockgraph::lock_api::RwLockWriteGuard::downgrade(w);
    drop(spin.lock()); // rw (read) -> spin
    drop(r);
    assert!(!held_here(rw.id()));
    assert!(snapshot().has_edge(rw.id(), spin.id()));
    let mut up = rw.upgradable_read();
    assert_eq!(up.with_upgraded(|n| *n * 10), 20);
    assert_eq!(*up, 2);
}

#[test]
fn mapped_guards_keep_the_lock_held() {
    let pair = Spin::new((1, 2));
    let after = Spin::new(());
    let second = MutexGuard::map(pair.lock(), |p| &mut p.1);
    drop(after.lock()); // pair -> after, through the mapped guard
    assert_eq!(*second, 2);
    let mapped = MappedMutexGuard::map(second, |n| n);
    drop(mapped);
    assert!(!pair.is_locked());
    assert!(snapshot().has_edge(pair.id(), after.id()));
}

#[test]
fn unlocked_lets_the_lock_go_and_checks_taking_it_back() {
    let spin = Spin::new(0);
    let other = Spin::new(());
    let mut guard = spin.lock();
    let free = MutexGuard::unlocked(&mut guard, || !spin.is_locked() && !held_here(spin.id()));
    assert!(free && spin.is_locked());
    drop(other.lock());
    assert!(snapshot().has_edge(spin.id(), other.id()), "held again");
    let fair = Parking::new(());
    let mut guard = fair.lock();
    MutexGuard::bump(&mut guard);
    assert!(fair.is_locked());
}

#[test]
fn locks_debug_without_blocking_and_name_themselves() {
    let m = Spin::named("shown", 5);
    let _held = m.lock();
    let text = format!("{m:?}");
    assert!(text.contains("shown") && text.contains("locked"), "{text}");
    let by_default: Spin<u8> = Spin::default();
    let from: Rw<u8> = Rw::from(3);
    assert_ne!(by_default.class(), from.class(), "made on two lines");
    static STATIC: Spin<u32> = Spin::new(0);
    *STATIC.lock() += 1;
    assert_eq!(*STATIC.lock(), 1);
}

#[test]
fn locks_are_send_and_sync() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Spin<u8>>();
    is_send_sync::<Rw<u8>>();
    is_send_sync::<Reentrant<u8>>();
}

#[test]
fn set_members_name_themselves_through_set_lock() {
    use lockgraph::SetLock;
    let m = Spin::named("member", ());
    assert_eq!(m.lock_ref().name(), Some("member"));
    assert_eq!(m.lock_id(), m.id());
}
