//! Carrying std's poisoning results over from std's guards to ours.
//!
//! The error types are std's own ([`PoisonError::new`] is public), so a
//! program matching on them sees exactly what it would see with `std::sync`.
//!
//! One exception: poison left by the unwinding of a lockgraph report is not
//! poison. Whoever finds a lock poisoned asks [`acquire::poison_found`]
//! whether a report left it; if so the flag is cleared and the result is
//! `Ok` (the rule, and why it only ever undoes a report's poison, are in
//! `tracker::poison`). Only the `Err` paths ask: taking a lock that is not
//! poisoned costs nothing more.

use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

use crate::acquire::{self, PoisonSeen};
use crate::meta::LockMeta;

/// std's lock behind a `stdsync` lock: its poison flag.
pub(crate) trait StdPoison {
    fn poisoned(&self) -> bool;
    fn clear(&self);
}

macro_rules! std_poison {
    ($($Lock:ident),*) => {$(
        impl<T: ?Sized> StdPoison for std::sync::$Lock<T> {
            fn poisoned(&self) -> bool {
                self.is_poisoned()
            }
            fn clear(&self) {
                self.clear_poison()
            }
        }
    )*};
}

std_poison!(Mutex, RwLock);

/// [`map_lock`] for std's result of taking `lock` (whose header is `header`),
/// with poison left by a report's unwinding forgiven. The taken lock is
/// recorded in this thread's held set before this runs, so that a lock taken
/// poisoned is remembered as such. The `Ok` path is `map_lock`'s.
#[inline(always)]
pub(crate) fn settle_map<G, W>(
    result: LockResult<G>,
    lock: &(impl StdPoison + ?Sized),
    header: &LockMeta,
    wrap: impl FnOnce(G) -> W,
) -> LockResult<W> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => map_lock(
            settle_poisoned(poisoned, lock, header, PoisonSeen::Taken),
            wrap,
        ),
    }
}

/// std's `result` of taking `lock`, as [`settle_map`] leaves it.
pub(crate) fn settle<G>(
    result: LockResult<G>,
    lock: &(impl StdPoison + ?Sized),
    header: &LockMeta,
    seen: PoisonSeen,
) -> LockResult<G> {
    match result {
        Ok(guard) => Ok(guard),
        Err(poisoned) => settle_poisoned(poisoned, lock, header, seen),
    }
}

#[cold]
#[inline(never)]
fn settle_poisoned<G>(
    poisoned: PoisonError<G>,
    lock: &(impl StdPoison + ?Sized),
    header: &LockMeta,
    seen: PoisonSeen,
) -> LockResult<G> {
    match acquire::poison_found(header, seen, || lock.poisoned(), &|| lock.clear()) {
        true => Ok(poisoned.into_inner()),
        false => Err(poisoned),
    }
}

/// Clears `lock`'s poison if a report's unwinding left it, for a caller that
/// only looks at the flag (`is_poisoned`, `get_mut`, `into_inner`).
pub(crate) fn forgive_looked(lock: &(impl StdPoison + ?Sized), header: &LockMeta) {
    if lock.poisoned() {
        let looked = PoisonSeen::Looked;
        let _ = acquire::poison_found(header, looked, || lock.poisoned(), &|| lock.clear());
    }
}

/// [`settle`] for a `try_*` result.
pub(crate) fn settle_try<G>(
    result: TryLockResult<G>,
    lock: &(impl StdPoison + ?Sized),
    header: &LockMeta,
) -> TryLockResult<G> {
    match result {
        Err(TryLockError::Poisoned(poisoned)) => {
            settle_poisoned(poisoned, lock, header, PoisonSeen::Taken)
                .map_err(TryLockError::Poisoned)
        }
        other => other,
    }
}

/// Wraps the guard inside a (possibly poisoned) lock result.
pub(crate) fn map_lock<G, W>(result: LockResult<G>, wrap: impl FnOnce(G) -> W) -> LockResult<W> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => Err(PoisonError::new(wrap(poisoned.into_inner()))),
    }
}

/// Wraps the guard inside a `try_*` result; `WouldBlock` has none.
pub(crate) fn map_try<G, W>(
    result: TryLockResult<G>,
    wrap: impl FnOnce(G) -> W,
) -> TryLockResult<W> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Err(TryLockError::Poisoned(PoisonError::new(
            wrap(poisoned.into_inner()),
        ))),
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}

/// `is_poisoned`, `clear_poison`, `get_mut` and `id` for a lock with a std
/// lock in `inner` and a `header`; `$write` is its exclusive acquisition.
macro_rules! poisoning_fns {
    ($Lock:ident, $write:ident) => {
        /// Whether a thread panicked while holding the lock exclusively (not
        /// counting a lockgraph report's panic: see the
        /// [module docs](crate::stdsync#poisoning-and-lockgraphs-reports)).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(0);")]
        /// let _ = std::panic::catch_unwind(|| {
        #[doc = concat!("    let _guard = lock.", stringify!($write), "().unwrap();")]
        ///     panic!("while holding");
        /// });
        /// assert!(lock.is_poisoned());
        /// ```
        pub fn is_poisoned(&self) -> bool {
            forgive_looked(&self.inner, &self.header);
            self.inner.is_poisoned()
        }

        /// Clears the poisoned state.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(0);")]
        /// let _ = std::panic::catch_unwind(|| {
        #[doc = concat!("    let _guard = lock.", stringify!($write), "().unwrap();")]
        ///     panic!("while holding");
        /// });
        /// lock.clear_poison();
        #[doc = concat!("assert!(lock.", stringify!($write), "().is_ok());")]
        /// ```
        pub fn clear_poison(&self) {
            self.inner.clear_poison();
            $crate::acquire::poison_cleared(&self.header);
        }

        /// A mutable reference to the value (no locking is needed); `Err` if
        /// poisoned.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let mut lock = lockgraph::stdsync::", stringify!($Lock), "::new(1);")]
        /// *lock.get_mut().unwrap() = 5;
        /// assert_eq!(lock.into_inner().unwrap(), 5);
        /// ```
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            forgive_looked(&self.inner, &self.header);
            self.inner.get_mut()
        }

        /// This lock's id (assigned now if it was never used).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let lock = lockgraph::stdsync::", stringify!($Lock), "::new(());")]
        /// assert_eq!(lock.id(), lock.id());
        /// ```
        pub fn id(&self) -> LockId {
            self.header.id()
        }
    };
}
pub(crate) use poisoning_fns;
