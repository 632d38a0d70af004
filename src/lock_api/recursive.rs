//! Recursive reads of an [`RwLock`] (lock_api 0.4's `RawRwLockRecursive`;
//! lock_api 0.5 has none).

use super::api::{self, RawRwLockRecursive, RawRwLockRecursiveTimed};
use super::rwlock::{RwLock, RwLockReadGuard};
use crate::held::Access;

acquisition!(
    /// `RwLock::read_recursive`.
    ReadRecursive<R: api::RawRwLockRecursive> of RwLock => RwLockReadGuard, try_read_recursive, read_recursive
);

impl<R: RawRwLockRecursive, T: ?Sized> RwLock<R, T> {
    acquire_fns!(
        Access::ReadRecursive, ReadRecursive, RwLockReadGuard,
        /// Locks for shared reading even if a writer is waiting, so a thread
        /// that already reads may read again.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, unless this thread
        /// already reads the lock (then it records nothing).
        ///
        /// # Panics
        /// Under `Panic` and `Warn`, if this thread holds the lock for writing.
        read_recursive, read_recursive_at, try_read_recursive
    );
}

impl<R: RawRwLockRecursiveTimed, T: ?Sized> RwLock<R, T> {
    timed_fns!(
        Access::ReadRecursive,
        RwLockReadGuard,
        read_recursive,
        try_read_recursive_for,
        try_read_recursive_until
    );
}
