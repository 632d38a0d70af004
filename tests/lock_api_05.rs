//! `lockgraph::lock_api_05` (feature `lock_api_05`): lock_api 0.5 raw locks,
//! whose acquisitions return state the unlock consumes, get the same checks
//! as `lockgraph::lock_api`'s (built from the same source).
#![cfg(feature = "lock_api_05")]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{CYCLE, SELF_DEADLOCK, held_here, reports};
use lockgraph::graph::snapshot;
use lockgraph::lock_api_05::{
    GetThreadId, GuardSend, Mutex, MutexGuard, RawMutex, RawRwLock, ReentrantMutex, RwLock,
    RwLockReadGuard,
};
use lockgraph::{lock_all, try_lock_all_until};

/// A raw spin lock for lock_api 0.5: no timed acquisition.
struct RawSpin(AtomicBool);

// SAFETY: the flag is set with Acquire by the one thread that finds it clear
// and cleared with Release by the holder of the guard state: mutual exclusion.
unsafe impl RawMutex for RawSpin {
    #[allow(clippy::declare_interior_mutable_const)] // lock_api's INIT
    const INIT: Self = RawSpin(AtomicBool::new(false));
    type Guard = GuardSend;

    fn lock(&self) -> GuardSend {
        loop {
            if let Some(guard) = self.try_lock() {
                return guard;
            }
            std::hint::spin_loop();
        }
    }

    fn try_lock(&self) -> Option<GuardSend> {
        let free = self
            .0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed);
        free.ok().map(|_| GuardSend::new())
    }

    unsafe fn unlock(&self, _guard: GuardSend) {
        self.0.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A raw reader-writer spin lock for lock_api 0.5: the count of readers, or
/// `WRITER`.
struct RawSpinRw(AtomicUsize);

const WRITER: usize = usize::MAX;

// SAFETY: a writer swaps 0 for WRITER and a reader increments a count that
// is not WRITER, both with Acquire; each unlock undoes its own change with
// Release: a writer excludes every other holder.
unsafe impl RawRwLock for RawSpinRw {
    #[allow(clippy::declare_interior_mutable_const)] // lock_api's INIT
    const INIT: Self = RawSpinRw(AtomicUsize::new(0));
    type SharedGuard = GuardSend;
    type ExclusiveGuard = GuardSend;

    fn lock_shared(&self) -> GuardSend {
        spin(|| self.try_lock_shared())
    }

    fn try_lock_shared(&self) -> Option<GuardSend> {
        let count = self.0.load(Ordering::Relaxed);
        let more = count != WRITER && count + 1 != WRITER;
        let taken = more
            && self
                .0
                .compare_exchange(count, count + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok();
        taken.then(GuardSend::new)
    }

    unsafe fn unlock_shared(&self, _guard: GuardSend) {
        self.0.fetch_sub(1, Ordering::Release);
    }

    fn lock_exclusive(&self) -> GuardSend {
        spin(|| self.try_lock_exclusive())
    }

    fn try_lock_exclusive(&self) -> Option<GuardSend> {
        let free = self
            .0
            .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed);
        free.ok().map(|_| GuardSend::new())
    }

    unsafe fn unlock_exclusive(&self, _guard: GuardSend) {
        self.0.store(0, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    fn is_locked_exclusive(&self) -> bool {
        self.0.load(Ordering::Relaxed) == WRITER
    }
}

fn spin<G>(mut attempt: impl FnMut() -> Option<G>) -> G {
    loop {
        if let Some(guard) = attempt() {
            return guard;
        }
        std::hint::spin_loop();
    }
}

/// The current thread, by the address of a thread-local.
struct ThreadId;

// SAFETY: a thread-local's address is unique among the threads alive, and
// never zero.
unsafe impl GetThreadId for ThreadId {
    const INIT: Self = ThreadId;

    fn nonzero_thread_id(&self) -> std::num::NonZeroUsize {
        thread_local!(static HERE: u8 = const { 0 });
        HERE.with(|here| std::num::NonZeroUsize::new(here as *const u8 as usize).unwrap())
    }
}

type Spin<T> = Mutex<RawSpin, T>;
type Rw<T> = RwLock<RawSpinRw, T>;
type Reentrant<T> = ReentrantMutex<RawSpin, ThreadId, T>;

#[test]
fn a_cycle_through_lock_api_05_locks_and_a_crate_root_lock_is_reported() {
    let a = Spin::named("05 a", ());
    let rw = Rw::named("05 rw", ());
    let root = lockgraph::Mutex::named("05 root", ());
    drop((a.lock(), rw.read(), root.lock())); // a -> rw -> root
    let message = common::panic_message(|| drop((root.lock(), a.lock()))).expect("reported");
    assert!(message.starts_with(CYCLE), "{message}");
    assert!(!a.is_locked(), "let go by the unwinding");
}

#[test]
fn try_acquisitions_record_no_edge_and_a_held_lock_is_busy() {
    let held = Spin::new(());
    let tried = Spin::new(());
    let rw = Rw::new(());
    let _held = held.lock();
    let _tried = tried.try_lock().expect("free");
    let _write = rw.try_write().expect("free");
    assert!(!snapshot().has_edge(held.id(), tried.id()));
    assert!(!snapshot().has_edge(held.id(), rw.id()));
    assert!(held_here(tried.id()) && held_here(rw.id()));
    assert!(tried.try_lock().is_none() && rw.try_read().is_none());
    assert!(reports(SELF_DEADLOCK, || drop(held.lock())));
}

#[test]
fn reentrant_relocking_is_silent() {
    let r = Reentrant::new(1);
    let m = Spin::new(());
    let outer = r.lock();
    let _m = m.lock(); // r -> m
    let inner = r.lock(); // re-entry while holding m: no m -> r edge
    assert_eq!(*outer + *inner, 2);
    drop(inner);
    assert!(!snapshot().has_edge(m.id(), r.id()));
}

#[test]
fn guards_map_and_unlock_with_the_held_set_exact() {
    let pair = Spin::new((1, 2));
    let after = Spin::new(());
    let mut second = MutexGuard::map(pair.lock(), |p| &mut p.1);
    *second += 1;
    drop(after.lock()); // pair -> after, through the mapped guard
    drop(second);
    assert!(!pair.is_locked() && snapshot().has_edge(pair.id(), after.id()));
    let rw = Rw::new(0);
    let mut reader = rw.read();
    let free = RwLockReadGuard::unlocked(&mut reader, || !rw.is_locked());
    assert!(free && rw.is_locked());
}

#[test]
fn lock_all_takes_lock_api_05_members() {
    let spin = Spin::new(1);
    let rw = Rw::new(2);
    let (mut s, r) = lock_all((&spin, rw.for_read()));
    *s += *r;
    drop((s, r));
    assert_eq!(*spin.lock(), 3);
    let _w = rw.write();
    std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_millis(10);
            assert!(try_lock_all_until((&spin, &rw), deadline).is_none());
            assert!(!spin.is_locked(), "nothing kept");
        });
    });
}

#[test]
fn parking_lot_013_raw_locks_timed_and_upgradable() {
    type Timed<T> = Mutex<parking_lot_013::RawMutex, T>;
    type Upgradable<T> = RwLock<parking_lot_013::RawRwLock, T>;
    let held = Timed::new(());
    let timed = Timed::new(());
    let rw = Upgradable::new(1);
    let _held = held.lock();
    let _timed = timed.try_lock_for(Duration::from_millis(5)).expect("free");
    assert!(
        !snapshot().has_edge(held.id(), timed.id()),
        "timed: no edge"
    );
    assert!(
        timed.try_lock_for(Duration::from_secs(5)).is_none(),
        "held here: busy"
    );
    let up = rw.upgradable_read(); // held -> rw, timed -> rw
    let mut writer = lockgraph::lock_api_05::RwLockUpgradableReadGuard::upgrade(up);
    *writer = 2;
    drop((writer, _timed, _held));
    assert!(snapshot().has_edge(held.id(), rw.id()));
    assert!(reports(CYCLE, || drop((rw.write(), held.lock()))));
}
