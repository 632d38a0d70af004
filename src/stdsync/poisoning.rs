//! Carrying std's poisoning results over from std's guards to ours.
//!
//! The error types are std's own ([`PoisonError::new`] is public), so a
//! program matching on them sees exactly what it would see with `std::sync`.

use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

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
        /// Whether a thread panicked while holding the lock exclusively.
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
            self.inner.clear_poison()
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
