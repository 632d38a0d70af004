//! [`RawAcquire`] for std's locks, so that `stdsync` waits are watched too.
//!
//! std has no timed lock: a wait "for at most `timeout`" polls `try_*` with a
//! backoff (spin, then yield, then sleeps growing to [`LONGEST_NAP`]). Only an
//! acquisition that found the lock taken gets here; the uncontended path is a
//! single `try_*`. A poisoned lock counts as taken, with std's `Err`.

use std::sync::{LockResult, TryLockError, TryLockResult};
use std::time::{Duration, Instant};

use super::raw::RawAcquire;
use crate::meta::Flavour;

/// The longest sleep between two polls of a contended std lock.
const LONGEST_NAP: Duration = Duration::from_micros(500);

/// Polls `attempt` until it takes the lock or `timeout` has passed.
fn poll<G>(
    timeout: Duration,
    mut attempt: impl FnMut() -> TryLockResult<G>,
) -> Option<LockResult<G>> {
    let deadline = Instant::now() + timeout;
    let mut nap = Duration::from_micros(5);
    for round in 0u32.. {
        match attempt() {
            Ok(guard) => return Some(Ok(guard)),
            Err(TryLockError::Poisoned(poisoned)) => return Some(Err(poisoned)),
            Err(TryLockError::WouldBlock) if Instant::now() >= deadline => return None,
            Err(TryLockError::WouldBlock) => match round {
                0..16 => std::hint::spin_loop(),
                16..32 => std::thread::yield_now(),
                _ => {
                    std::thread::sleep(nap.min(deadline.saturating_duration_since(Instant::now())));
                    nap = (nap * 2).min(LONGEST_NAP);
                }
            },
        }
    }
    None
}

/// Takes the lock now, if that needs no wait.
fn now<G>(result: TryLockResult<G>) -> Option<LockResult<G>> {
    match result {
        Ok(guard) => Some(Ok(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Some(Err(poisoned)),
        Err(TryLockError::WouldBlock) => None,
    }
}

macro_rules! std_acquire {
    ($($(#[$doc:meta])* $Mode:ident over $Lock:ident => $Guard:ident, $try:ident, $block:ident;)*) => {$(
        $(#[$doc])*
        pub(crate) struct $Mode<'a, T: ?Sized>(pub(crate) &'a std::sync::$Lock<T>);

        // By hand: derived, they would require `T: Copy`.
        impl<T: ?Sized> Clone for $Mode<'_, T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T: ?Sized> Copy for $Mode<'_, T> {}

        impl<'a, T: ?Sized> RawAcquire for $Mode<'a, T> {
            type Guard = LockResult<std::sync::$Guard<'a, T>>;
            const FLAVOUR: Flavour = Flavour::Std;

            #[inline]
            fn try_now(self) -> Result<Self::Guard, Self> {
                now(self.0.$try()).ok_or(self)
            }

            fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
                poll(timeout, || self.0.$try()).ok_or(self)
            }

            fn block(self) -> Self::Guard {
                self.0.$block()
            }
        }
    )*};
}

std_acquire!(
    /// `std::sync::Mutex::lock`.
    StdLock over Mutex => MutexGuard, try_lock, lock;
    /// `std::sync::RwLock::read`.
    StdRead over RwLock => RwLockReadGuard, try_read, read;
    /// `std::sync::RwLock::write`.
    StdWrite over RwLock => RwLockWriteGuard, try_write, write;
);
