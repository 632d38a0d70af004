//! This module's locks as members of [`lock_all`](crate::lock_all) and the
//! other set acquisitions: [`SetLock`] for each (an `RwLock` for writing),
//! [`SetReadLock`] for `RwLock`.
//!
//! A set's timed acquisition (`try_lock_all_until`) waits until an
//! [`Instant`], which a raw lock's own timed acquisition may not take (its
//! `Instant` is its own type, and it may have none): it polls the raw lock's
//! try instead (see `crate::acquire::poll`).

use std::panic::Location;
use std::time::Instant;

use super::api::{GetThreadId, RawMutex, RawRwLock};
use super::raw;
use super::{Mutex, MutexGuard, ReentrantMutex, ReentrantMutexGuard};
use super::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::acquire::SetChain;
use crate::held::Access;
use crate::id::LockId;
use crate::report::LockRef;
use crate::{SetLock, SetReadLock};

/// `SetLock` for a mutex `$Lock<P.., T>`: its `lock` and `try_lock`, and a
/// polling wait until a deadline.
macro_rules! mutex_set_lock {
    ($Lock:ident<$($P:ident: $B:path),*> => $Guard:ident) => {
        impl<$($P: $B,)* T: ?Sized> SetLock for $Lock<$($P,)* T> {
            type Guard<'a>
                = $Guard<'a, $($P,)* T>
            where
                Self: 'a;

            fn lock_ref(&self) -> LockRef {
                self.reported_as()
            }

            #[inline(always)]
            fn lock_id(&self) -> LockId {
                self.id()
            }

            #[track_caller]
            #[inline(always)]
            fn lock_in_set(&self) -> Self::Guard<'_> {
                self.lock()
            }

            #[track_caller]
            fn try_lock_in_set(&self) -> Option<Self::Guard<'_>> {
                self.try_lock()
            }

            #[track_caller]
            fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>> {
                self.try_lock_polling(deadline)
            }

            #[track_caller]
            #[inline(always)]
            fn lock_known_in_set(&self, chain: &SetChain) -> Option<Self::Guard<'_>> {
                self.lock_at(Location::caller(), chain)
            }
        }
    };
}

mutex_set_lock!(Mutex<R: RawMutex> => MutexGuard);
mutex_set_lock!(ReentrantMutex<R: RawMutex, G: GetThreadId> => ReentrantMutexGuard);

impl<R: RawRwLock, T: ?Sized> SetLock for RwLock<R, T> {
    type Guard<'a>
        = RwLockWriteGuard<'a, R, T>
    where
        Self: 'a;

    fn lock_ref(&self) -> LockRef {
        self.reported_as()
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        self.id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_in_set(&self) -> Self::Guard<'_> {
        self.write()
    }

    #[track_caller]
    fn try_lock_in_set(&self) -> Option<Self::Guard<'_>> {
        self.try_write()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<Self::Guard<'_>> {
        self.write_at(Location::caller(), chain)
    }

    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>> {
        let raw = raw::Write(&self.inner);
        self.try_polling(raw, Access::Exclusive, deadline, |inner, token| {
            RwLockWriteGuard {
                inner,
                token,
                lock: self,
            }
        })
    }
}

impl<R: RawRwLock, T: ?Sized> SetReadLock for RwLock<R, T> {
    type ReadGuard<'a>
        = RwLockReadGuard<'a, R, T>
    where
        Self: 'a;

    #[track_caller]
    #[inline(always)]
    fn read_in_set(&self) -> Self::ReadGuard<'_> {
        self.read()
    }

    #[track_caller]
    fn try_read_in_set(&self) -> Option<Self::ReadGuard<'_>> {
        self.try_read()
    }

    #[track_caller]
    #[inline(always)]
    fn read_known_in_set(&self, chain: &SetChain) -> Option<Self::ReadGuard<'_>> {
        self.read_at(Location::caller(), chain)
    }

    #[track_caller]
    fn try_read_in_set_until(&self, deadline: Instant) -> Option<Self::ReadGuard<'_>> {
        let raw = raw::Read(&self.inner);
        self.try_polling(raw, Access::Read, deadline, |inner, token| {
            RwLockReadGuard {
                inner,
                token,
                lock: self,
            }
        })
    }
}
