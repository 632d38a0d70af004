//! [`StdRawMutex`] and [`StdCondvar`]: std's own mutex and condition variable
//! algorithms (Linux's futex-based ones), with parking_lot's parking lot
//! standing in for the futex, under `stdsync::Mutex` and `stdsync::Condvar`.
//!
//! Why not parking_lot's mutex, as the crate root has: its release is a
//! compare-exchange (it must keep a "parked" bit right), std's an exchange,
//! and `stdsync` is compared with std on the uncontended lock+unlock, where
//! that difference shows (docs/performance.md). And why not std's mutex
//! itself: std has
//! no timed acquisition, and a watched wait needs one, to park and still wake
//! at every watchdog interval. The parking lot gives both the wait with a
//! deadline and every platform parking_lot runs on.
//!
//! Contended, the algorithms behave as std's do, but for the spin (see
//! [`StdRawMutex::spin`]): a short spin, then the waiter marks the lock
//! contended and sleeps; a release that finds it
//! contended wakes one sleeper, which takes the lock if no one was quicker
//! (no hand-off). A condition variable's wait may wake spuriously, as std's
//! may.

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::lock_api;
use parking_lot_core::{DEFAULT_PARK_TOKEN, DEFAULT_UNPARK_TOKEN, ParkResult};

/// Free.
const UNLOCKED: u8 = 0;
/// Held, and no thread sleeps on it (as far as its holder knows).
const LOCKED: u8 = 1;
/// Held, and a thread may sleep on it: its release wakes one.
const CONTENDED: u8 = 2;

/// std's mutex algorithm: a byte that is [`UNLOCKED`], [`LOCKED`] or
/// [`CONTENDED`]. Taking it is one compare-exchange, releasing it one
/// exchange (and a wake-up if it was contended).
pub(crate) struct StdRawMutex(AtomicU8);

/// A mutex over [`StdRawMutex`].
pub(crate) type StdMutex<T> = lock_api::Mutex<StdRawMutex, T>;

/// The guard of a [`StdMutex`].
pub(crate) type StdMutexGuard<'a, T> = lock_api::MutexGuard<'a, StdRawMutex, T>;

// SAFETY: every way to take the lock returns (true) only after this thread
// changed the byte from UNLOCKED to LOCKED or CONTENDED with Acquire ordering
// (`try_lock`'s compare-exchange, or the exchange in `lock_until`), so at
// most one holder exists at a time and it sees what the previous holder
// wrote; `unlock`, which lock_api only calls for the holder, sets UNLOCKED
// with Release ordering, publishing the holder's writes to the next one.
unsafe impl lock_api::RawMutex for StdRawMutex {
    #[allow(clippy::declare_interior_mutable_const)] // the trait's initial value
    const INIT: StdRawMutex = StdRawMutex(AtomicU8::new(UNLOCKED));

    type GuardMarker = lock_api::GuardNoSend;

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            self.lock_until(None);
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        if self.0.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            self.wake_one();
        }
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed) != UNLOCKED
    }
}

// SAFETY: both take the lock only through `lock_until`, as `lock` does (see
// the `RawMutex` impl).
//
// Neither tries the lock first: they are a contended acquisition's waits,
// and `lock_until` reads the byte before it writes it. A write (even a failed
// compare-exchange) takes the cache line away from the holder, which then
// pays to take it back for its release.
unsafe impl lock_api::RawMutexTimed for StdRawMutex {
    type Duration = Duration;
    type Instant = Instant;

    fn try_lock_for(&self, timeout: Duration) -> bool {
        self.lock_until(Instant::now().checked_add(timeout))
    }

    fn try_lock_until(&self, deadline: Instant) -> bool {
        self.lock_until(Some(deadline))
    }
}

impl StdRawMutex {
    /// The parking lot's key for this lock's sleepers.
    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Takes the lock, waiting until `deadline` at most (forever if `None`);
    /// returns whether it took it. std's slow path: spin while the lock is
    /// held and uncontended, then mark it contended and sleep until a release
    /// wakes this thread (or the deadline passes).
    #[cold]
    #[inline(never)]
    fn lock_until(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.spin();
        if state == UNLOCKED {
            match self
                .0
                .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
        loop {
            // CONTENDED, not LOCKED: this thread may sleep, so whoever holds
            // the lock must wake a sleeper on release. Taken this way, the
            // lock stays marked contended: another may still sleep.
            if state != CONTENDED && self.0.swap(CONTENDED, Ordering::Acquire) == UNLOCKED {
                return true;
            }
            let parked = park(
                self.key(),
                || self.0.load(Ordering::Relaxed) == CONTENDED,
                deadline,
            );
            if parked == ParkResult::TimedOut {
                return false;
            }
            state = self.spin();
        }
    }

    /// Spins a little while the lock is held and no one sleeps on it; returns
    /// the state it last read.
    ///
    /// Unlike std, which reads the byte at every pause, the reads back off
    /// (2, 4, ... 64 pauses apart, ten reads in all): each read takes the
    /// cache line from the holder, which then waits to take it back for its
    /// release; so the holder keeps it longer, and two threads that hammer
    /// one mutex pass it between them less often.
    fn spin(&self) -> u8 {
        let mut pauses = 2;
        for _ in 0..10 {
            let state = self.0.load(Ordering::Relaxed);
            if state != LOCKED {
                return state;
            }
            for _ in 0..pauses {
                std::hint::spin_loop();
            }
            pauses = (pauses * 2).min(64);
        }
        self.0.load(Ordering::Relaxed)
    }

    /// Wakes one thread sleeping on the lock, if any.
    #[cold]
    #[inline(never)]
    extern "C" fn wake_one(&self) {
        // `unlock` calls this after its exchange, by which time another
        // thread may have taken, released and freed the mutex (as std's
        // futex mutex allows): then the key may be a new object's, and this
        // wakes one of its sleepers for nothing, which every sleeper here
        // tolerates (see `unpark_one`).
        unpark_one(self.key());
    }
}

/// Sleeps on `key` (the address of a [`StdRawMutex`] or [`StdCondvar`])
/// unless `validate`, run under the parking lot's lock for `key`, says not
/// to; wakes when woken, or at `deadline`.
fn park(key: usize, validate: impl FnOnce() -> bool, deadline: Option<Instant>) -> ParkResult {
    // SAFETY: `park`'s contract: the key is the address of one of this
    // module's locks, which no other kind of object parks on while it lives,
    // and nothing here parks while it holds the parking lot's lock; every
    // caller's `validate` is one atomic load, and the other callbacks do
    // nothing, so none panics or calls into the parking lot.
    unsafe {
        parking_lot_core::park(
            key,
            validate,
            || {},
            |_, _| {},
            DEFAULT_PARK_TOKEN,
            deadline,
        )
    }
}

/// Wakes one thread sleeping on `key`, if any. A stray wake-up (a key
/// reused by a new object, see [`StdRawMutex::wake_one`]) is harmless to
/// parking_lot's mutexes and RwLocks and to this module's locks, which try
/// again after any wake-up (only parking_lot's Condvar, which promises no
/// spurious wake-up, would return early from a wait).
fn unpark_one(key: usize) {
    // SAFETY: as in `park`; the callback neither panics nor calls into the
    // parking lot.
    unsafe {
        parking_lot_core::unpark_one(key, |_| DEFAULT_UNPARK_TOKEN);
    }
}

/// std's condition variable algorithm: a counter that every notification
/// bumps; a waiter reads it with the mutex held, releases the mutex, and
/// sleeps unless the counter moved since. So a notification between the
/// release and the sleep is not lost; a waiter may also wake spuriously.
#[derive(Default)]
pub(crate) struct StdCondvar(AtomicU32);

impl std::fmt::Debug for StdCondvar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Condvar { .. }")
    }
}

impl StdCondvar {
    pub(crate) const fn new() -> Self {
        StdCondvar(AtomicU32::new(0))
    }

    /// The parking lot's key for this condition variable's sleepers.
    fn key(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Releases `guard`'s mutex, sleeps until notified (or spuriously woken,
    /// or `deadline` passes), and takes the mutex again; returns whether the
    /// deadline passed.
    pub(super) fn wait_until<T: ?Sized>(
        &self,
        guard: &mut StdMutexGuard<'_, T>,
        deadline: Option<Instant>,
    ) -> bool {
        // Read with the mutex held: a notification after it moves the
        // counter, and the sleep below then does not begin.
        let seen = self.0.load(Ordering::Relaxed);
        let parked = StdMutexGuard::unlocked(guard, || {
            park(
                self.key(),
                || self.0.load(Ordering::Relaxed) == seen,
                deadline,
            )
        });
        parked == ParkResult::TimedOut
    }

    /// Wakes one waiting thread, if any.
    pub(crate) fn notify_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        unpark_one(self.key());
    }

    /// Wakes every waiting thread.
    pub(crate) fn notify_all(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as in `park`; nothing here parks.
        unsafe {
            parking_lot_core::unpark_all(self.key(), DEFAULT_UNPARK_TOKEN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_mutex_excludes_under_contention_and_sleepers_wake() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 20_000;
        // A plain (non-atomic) read-modify-write: lost updates show if two
        // hold the lock; the yields make holders sleep on it now and then.
        let counter = StdMutex::new(0usize);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for round in 0..ROUNDS {
                        let mut value = counter.lock();
                        let read = *value;
                        if round % 1000 == 0 {
                            std::thread::yield_now();
                        }
                        *value = read + 1;
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), THREADS * ROUNDS);
    }

    #[test]
    fn a_timed_take_gives_up_at_its_deadline_and_takes_a_free_lock() {
        let mutex = StdMutex::new(());
        let held = mutex.lock();
        let start = Instant::now();
        assert!(mutex.try_lock_for(Duration::from_millis(20)).is_none());
        assert!(start.elapsed() >= Duration::from_millis(20));
        drop(held);
        let again = mutex.try_lock_for(Duration::from_millis(20));
        assert!(again.is_some() && mutex.is_locked());
        drop(again);
        assert!(!mutex.is_locked());
    }

    /// Runs `f` on its own thread; fails if it has not ended within `limit`
    /// (a lost wake-up hangs rather than fails).
    fn within(limit: Duration, f: impl FnOnce() + Send + 'static) {
        let (done, finished) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            f();
            let _ = done.send(());
        });
        match finished.recv_timeout(limit) {
            Ok(()) => worker.join().unwrap(),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(worker.join().unwrap_err())
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("blocked for {limit:?}"),
        }
    }

    #[test]
    fn a_timed_out_waiter_leaves_the_lock_contended_and_a_sleeper_still_wakes() {
        within(Duration::from_secs(10), || {
            let mutex = Arc::new(StdMutex::new(0u32));
            let held = mutex.lock();
            let timed = Arc::clone(&mutex);
            let gave_up =
                std::thread::spawn(move || timed.try_lock_for(Duration::from_millis(2)).is_none());
            assert!(gave_up.join().unwrap());
            // The timed waiter marked the lock contended and left: the release
            // below wakes no one, or the sleeper that came after it.
            // SAFETY: a read of the raw lock's byte, which this test does not
            // change.
            assert_eq!(unsafe { mutex.raw() }.0.load(Ordering::Relaxed), CONTENDED);
            let blocked = Arc::clone(&mutex);
            let sleeper = std::thread::spawn(move || *blocked.lock() += 1);
            std::thread::sleep(Duration::from_millis(10));
            drop(held);
            sleeper.join().unwrap();
            assert!(!mutex.is_locked());
            assert_eq!(*mutex.try_lock().expect("free"), 1);
        });
    }

    #[test]
    fn timed_plain_and_tried_takes_mixed_exclude_and_lose_no_wake_up() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 3_000;
        within(Duration::from_secs(20), || {
            let counter = Arc::new(StdMutex::new(0usize));
            let threads: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let counter = Arc::clone(&counter);
                    std::thread::spawn(move || {
                        let mut taken = 0;
                        for round in 0..ROUNDS {
                            // Timeouts from 0 to 30µs: many end while the
                            // waiter sleeps, some just as it is woken.
                            let timeout = Duration::from_micros(((round * 7 + thread) % 31) as u64);
                            let guard = match (round + thread) % 3 {
                                0 => Some(counter.lock()),
                                1 => counter.try_lock_for(timeout),
                                _ => counter.try_lock(),
                            };
                            let Some(mut guard) = guard else { continue };
                            let read = *guard;
                            if round % 50 == 0 {
                                std::thread::sleep(Duration::from_micros(20));
                            }
                            *guard = read + 1;
                            taken += 1;
                        }
                        taken
                    })
                })
                .collect();
            let taken: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
            assert!(!counter.is_locked());
            assert_eq!(*counter.lock(), taken);
        });
    }

    #[test]
    fn a_notification_wakes_a_waiter_and_a_timed_wait_times_out() {
        let pair = Arc::new((StdMutex::new(false), StdCondvar::new()));
        let other = Arc::clone(&pair);
        let notifier = std::thread::spawn(move || {
            *other.0.lock() = true;
            other.1.notify_one();
        });
        let mut ready = pair.0.lock();
        while !*ready {
            pair.1.wait_until(&mut ready, None);
        }
        drop(ready);
        notifier.join().unwrap();
        let mut guard = pair.0.lock();
        assert!(
            pair.1
                .wait_until(&mut guard, Some(Instant::now() + Duration::from_millis(5)))
        );
    }
}
