//! The crate's only unsafe code: three small facts the compiler cannot check,
//! each behind a safe interface.
//!
//! - [`with_local`]: a thread-local reached without a closure boundary, so that
//!   the acquisition fast path compiles to straight-line code.
//! - [`AtomicSite`]: a call site (`&'static Location`) kept in an atomic, for
//!   the watchdog's mirror of held sets that other threads read.
//! - [`OwnerLock`]: a raw lock for data one thread uses all the time and other
//!   threads rarely, whose release is a plain store.

use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use parking_lot::lock_api;
use std::thread::LocalKey;

/// Runs `f` on this thread's value of `key`, like [`LocalKey::try_with`]
/// (`None` where that fails), but with `f` outside `try_with`'s closure, so
/// that the compiler can inline both into the caller.
///
/// `LocalKey::try_with` is a generic function the compiler declines to inline
/// once the closure is more than a few instructions; on the lock fast path
/// that call boundary alone costs as much as the bookkeeping.
#[inline(always)]
pub(crate) fn with_local<T: 'static, R>(
    key: &'static LocalKey<T>,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    let value: *const T = key.try_with(|value| ptr::from_ref(value)).ok()?;
    // SAFETY: `try_with` succeeded, so this thread's value is alive and was
    // not yet destroyed. Only the thread-local destructors that run when this
    // thread exits can end its life, and they are run one after another by
    // the runtime, never from inside the code running on this thread: not
    // while `f` (called right here, on this thread) runs. The reference is
    // given to `f` for the duration of that call only, as `try_with` would.
    Some(f(unsafe { &*value }))
}

/// A `&'static Location<'static>` (or nothing) in an atomic.
pub(crate) struct AtomicSite(AtomicPtr<Location<'static>>);

impl AtomicSite {
    pub(crate) const fn empty() -> Self {
        AtomicSite(AtomicPtr::new(ptr::null_mut()))
    }

    pub(crate) fn store(&self, site: &'static Location<'static>, order: Ordering) {
        self.0.store(ptr::from_ref(site).cast_mut(), order);
    }

    pub(crate) fn load(&self, order: Ordering) -> Option<&'static Location<'static>> {
        let site = self.0.load(order);
        // SAFETY: the pointer is either the initial null, which `as_ref` turns
        // into `None`, or was stored from a `&'static Location<'static>` by
        // `store`; such a location is never freed or mutated.
        unsafe { site.as_ref() }
    }
}

/// A raw lock for data that its owning thread locks all the time and other
/// threads rarely (a thread's private graph): taking it is one
/// compare-exchange, releasing it a plain store, where parking_lot's mutex
/// pays a second read-modify-write to release (it must see whether a thread
/// sleeps on it). A contended take spins briefly, then yields, then sleeps a
/// little between tries (so that a waiter of higher real-time priority than
/// the holder, on the same processor, cannot keep it from running forever).
/// Waiters are other threads publishing this thread's graph, which is rare;
/// a waiter may sleep up to 50 µs past the release. With the plain-store
/// release, a loop that creates a lock, gives it a new edge and drops it runs
/// faster than with parking_lot's raw mutex (measured: docs/performance.md).
pub(crate) struct OwnerLock(AtomicBool);

/// A mutex over [`OwnerLock`].
pub(crate) type OwnerMutex<T> = lock_api::Mutex<OwnerLock, T>;

// SAFETY: `lock` and `try_lock` return (true) only after this call changed the
// flag from false to true, with Acquire ordering, so at most one holder exists
// at a time and it sees everything the previous holder wrote; `unlock`, which
// lock_api only calls for the holder, stores false with Release ordering,
// publishing the holder's writes to the next one.
unsafe impl lock_api::RawMutex for OwnerLock {
    #[allow(clippy::declare_interior_mutable_const)] // the trait's initial value
    const INIT: OwnerLock = OwnerLock(AtomicBool::new(false));

    type GuardMarker = lock_api::GuardNoSend;

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl OwnerLock {
    /// Waits for the lock: a few spins, then yielding the processor between
    /// tries, then sleeping.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut tries = 0u32;
        loop {
            while self.0.load(Ordering::Relaxed) {
                tries = tries.saturating_add(1);
                match tries {
                    0..64 => std::hint::spin_loop(),
                    64..128 => std::thread::yield_now(),
                    _ => std::thread::sleep(std::time::Duration::from_micros(50)),
                }
            }
            if lock_api::RawMutex::try_lock(self) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_mutex_excludes_under_contention() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 20_000;
        // A plain (non-atomic) counter: lost updates show if two hold the lock.
        let counter = OwnerMutex::new(0usize);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..ROUNDS {
                        let mut value = counter.lock();
                        let read = *value;
                        std::hint::spin_loop();
                        *value = read + 1;
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), THREADS * ROUNDS);
    }

    #[test]
    fn owner_mutex_try_lock_fails_while_held() {
        let lock = OwnerMutex::new(());
        let held = lock.lock();
        assert!(lock.try_lock().is_none() && lock.is_locked());
        drop(held);
        assert!(lock.try_lock().is_some());
    }
}
