//! What a set is made of: [`SetLock`] and [`SetReadLock`] for every lock type
//! (crate root and `stdsync`), and the members built on them: `&lock`
//! (taken for writing) and [`ForRead`] (taken for reading).

use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};
use std::time::Instant;

use super::{SetLock, SetMember, SetReadLock};
use crate::acquire::SetChain;
use crate::id::LockId;
use crate::report::LockRef;
use crate::stdsync;
use crate::{FairMutex, Mutex, ReentrantMutex, RwLock};
use crate::{FairMutexGuard, MutexGuard, ReentrantMutexGuard, RwLockReadGuard, RwLockWriteGuard};

/// A lock of a set, to be taken for reading: what
/// [`RwLock::for_read`](crate::RwLock::for_read) and
/// [`stdsync::RwLock::for_read`](crate::stdsync::RwLock::for_read) return. A
/// bare `&lock` in a set is taken for writing.
///
/// `Copy`: it is a reference to the lock and nothing else, so an
/// [`OrderedSet`](crate::OrderedSet) can keep it and take it again and again.
///
/// # Lock order
/// A reader in a set is a member like any other: it is taken in ascending id
/// order with the rest, and its blocking read records `H -> lock` for every
/// lock `H` held by then (the set's lower members included).
///
/// # Examples
///
/// ```
/// use lockgraph::{lock_all, ForRead, Mutex, RwLock};
///
/// let prices = RwLock::named("prices", vec![3, 4]);
/// let basket = Mutex::named("basket", 0);
/// // Two threads may read `prices` at once, each with its own basket.
/// let (prices, mut basket) = lock_all((ForRead::new(&prices), &basket));
/// *basket = prices.iter().sum();
/// assert_eq!(*basket, 7);
/// ```
pub struct ForRead<'a, L: ?Sized>(&'a L);

impl<'a, L: ?Sized> ForRead<'a, L> {
    /// `lock`, to be taken for reading (the same as `lock.for_read()`).
    ///
    /// # Lock order
    /// Records nothing: no lock is taken until the set is.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new(1);
    /// let (guard,) = lockgraph::lock_all((lockgraph::ForRead::new(&lock),));
    /// assert_eq!(*guard, 1);
    /// assert!(lock.try_read().is_none()); // held here: busy for this thread
    /// ```
    pub const fn new(lock: &'a L) -> Self {
        ForRead(lock)
    }

    /// The lock.
    ///
    /// # Lock order
    /// Records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new(1);
    /// assert_eq!(lock.for_read().lock().id(), lock.id());
    /// ```
    pub const fn lock(self) -> &'a L {
        self.0
    }
}

// By hand: derived, they would require `L: Clone`.
impl<L: ?Sized> Clone for ForRead<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<L: ?Sized> Copy for ForRead<'_, L> {}

impl<L: ?Sized + SetLock> std::fmt::Debug for ForRead<'_, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ForRead({})", self.0.lock_ref())
    }
}

/// `&lock` is a member taken as [`SetLock`] says (for writing).
impl<'a, L: SetLock + ?Sized> SetMember for &'a L {
    type Guard = L::Guard<'a>;

    #[inline(always)]
    fn lock_ref(&self) -> LockRef {
        (**self).lock_ref()
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        (**self).lock_id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_member(self) -> Self::Guard {
        self.lock_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_member(self) -> Option<Self::Guard> {
        self.try_lock_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_member_until(self, deadline: Instant) -> Option<Self::Guard> {
        self.try_lock_in_set_until(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn take_known(self, chain: &SetChain) -> Option<Self::Guard> {
        self.lock_known_in_set(chain)
    }
}

impl<'a, L: SetReadLock + ?Sized> SetMember for ForRead<'a, L> {
    type Guard = L::ReadGuard<'a>;

    #[inline(always)]
    fn lock_ref(&self) -> LockRef {
        self.0.lock_ref()
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        self.0.lock_id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_member(self) -> Self::Guard {
        self.0.read_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_member(self) -> Option<Self::Guard> {
        self.0.try_read_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_member_until(self, deadline: Instant) -> Option<Self::Guard> {
        self.0.try_read_in_set_until(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn take_known(self, chain: &SetChain) -> Option<Self::Guard> {
        self.0.read_known_in_set(chain)
    }
}

/// A reference to a lock is a lock too, so `&[&Mutex<T>]` is a set. The
/// guards borrow the lock, not the reference.
impl<'b, L: SetLock + ?Sized> SetLock for &'b L {
    type Guard<'a>
        = L::Guard<'b>
    where
        Self: 'a;

    #[inline(always)]
    fn lock_ref(&self) -> LockRef {
        (**self).lock_ref()
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        (**self).lock_id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_in_set(&self) -> L::Guard<'b> {
        (*self).lock_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_in_set(&self) -> Option<L::Guard<'b>> {
        (*self).try_lock_in_set()
    }

    #[track_caller]
    #[inline(always)]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<L::Guard<'b>> {
        (*self).try_lock_in_set_until(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<L::Guard<'b>> {
        (*self).lock_known_in_set(chain)
    }
}

/// Readers can make a slice too: `&[ForRead<'_, RwLock<T>>]` is a set of reads.
impl<'b, L: SetReadLock + ?Sized> SetLock for ForRead<'b, L> {
    type Guard<'a>
        = L::ReadGuard<'b>
    where
        Self: 'a;

    fn lock_ref(&self) -> LockRef {
        self.0.lock_ref()
    }

    fn lock_id(&self) -> LockId {
        self.0.lock_id()
    }

    #[track_caller]
    fn lock_in_set(&self) -> L::ReadGuard<'b> {
        self.0.read_in_set()
    }

    #[track_caller]
    fn try_lock_in_set(&self) -> Option<L::ReadGuard<'b>> {
        self.0.try_read_in_set()
    }

    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<L::ReadGuard<'b>> {
        self.0.try_read_in_set_until(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<L::ReadGuard<'b>> {
        self.0.read_known_in_set(chain)
    }
}

/// `SetLock` for a crate-root lock type: its blocking, `try_` and `_until`
/// acquisitions of one mode, by name.
macro_rules! root_set_lock {
    ($Lock:ident, $Guard:ident, $lock:ident, $lock_at:ident, $try:ident, $until:ident) => {
        impl<T: ?Sized> SetLock for $Lock<T> {
            type Guard<'a>
                = $Guard<'a, T>
            where
                T: 'a;

            fn lock_ref(&self) -> LockRef {
                let header = self.header();
                LockRef::new(header.id(), header.origin())
            }

            #[inline(always)]
            fn lock_id(&self) -> LockId {
                self.header().id()
            }

            #[track_caller]
            #[inline(always)]
            fn lock_in_set(&self) -> $Guard<'_, T> {
                self.$lock()
            }

            #[track_caller]
            #[inline]
            fn try_lock_in_set(&self) -> Option<$Guard<'_, T>> {
                self.$try()
            }

            #[track_caller]
            fn try_lock_in_set_until(&self, deadline: Instant) -> Option<$Guard<'_, T>> {
                self.$until(deadline)
            }

            #[track_caller]
            #[inline(always)]
            fn lock_known_in_set(&self, chain: &SetChain) -> Option<$Guard<'_, T>> {
                self.$lock_at(Location::caller(), chain)
            }
        }
    };
}

root_set_lock!(Mutex, MutexGuard, lock, lock_at, try_lock, try_lock_until);
root_set_lock!(
    FairMutex,
    FairMutexGuard,
    lock,
    lock_at,
    try_lock,
    try_lock_until
);
root_set_lock!(
    ReentrantMutex,
    ReentrantMutexGuard,
    lock,
    lock_at,
    try_lock,
    try_lock_until
);
root_set_lock!(
    RwLock,
    RwLockWriteGuard,
    write,
    write_at,
    try_write,
    try_write_until
);

impl<T: ?Sized> SetReadLock for RwLock<T> {
    type ReadGuard<'a>
        = RwLockReadGuard<'a, T>
    where
        T: 'a;

    #[track_caller]
    #[inline(always)]
    fn read_in_set(&self) -> RwLockReadGuard<'_, T> {
        self.read()
    }

    #[track_caller]
    #[inline]
    fn try_read_in_set(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.try_read()
    }

    #[track_caller]
    fn try_read_in_set_until(&self, deadline: Instant) -> Option<RwLockReadGuard<'_, T>> {
        self.try_read_until(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn read_known_in_set(&self, chain: &SetChain) -> Option<RwLockReadGuard<'_, T>> {
        self.read_at(Location::caller(), chain)
    }
}

/// A `try_*` of a `stdsync` lock as a set member sees it: busy is `None`; a
/// poisoned lock is taken, so it is `Some(Err(..))` with the guard inside.
#[inline]
fn taken<G>(result: TryLockResult<G>) -> Option<LockResult<G>> {
    match result {
        Ok(guard) => Some(Ok(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Some(Err(poisoned)),
        Err(TryLockError::WouldBlock) => None,
    }
}

impl<T: ?Sized> SetLock for stdsync::Mutex<T> {
    type Guard<'a>
        = LockResult<stdsync::MutexGuard<'a, T>>
    where
        T: 'a;

    fn lock_ref(&self) -> LockRef {
        LockRef::new(self.header.id(), self.header.origin())
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        self.header.id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_in_set(&self) -> Self::Guard<'_> {
        self.lock()
    }

    #[track_caller]
    #[inline]
    fn try_lock_in_set(&self) -> Option<Self::Guard<'_>> {
        taken(self.try_lock())
    }

    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>> {
        self.try_lock_until_in_set(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<Self::Guard<'_>> {
        self.lock_at(Location::caller(), chain)
    }
}

impl<T: ?Sized> SetLock for stdsync::RwLock<T> {
    type Guard<'a>
        = LockResult<stdsync::RwLockWriteGuard<'a, T>>
    where
        T: 'a;

    fn lock_ref(&self) -> LockRef {
        LockRef::new(self.header.id(), self.header.origin())
    }

    #[inline(always)]
    fn lock_id(&self) -> LockId {
        self.header.id()
    }

    #[track_caller]
    #[inline(always)]
    fn lock_in_set(&self) -> Self::Guard<'_> {
        self.write()
    }

    #[track_caller]
    #[inline]
    fn try_lock_in_set(&self) -> Option<Self::Guard<'_>> {
        taken(self.try_write())
    }

    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>> {
        self.try_write_until_in_set(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<Self::Guard<'_>> {
        self.write_at(Location::caller(), chain)
    }
}

impl<T: ?Sized> SetReadLock for stdsync::RwLock<T> {
    type ReadGuard<'a>
        = LockResult<stdsync::RwLockReadGuard<'a, T>>
    where
        T: 'a;

    #[track_caller]
    #[inline(always)]
    fn read_in_set(&self) -> Self::ReadGuard<'_> {
        self.read()
    }

    /// Busy (`None`) if this thread holds the lock, also for reading (std's
    /// own `try_read` would read again): as every set member.
    #[track_caller]
    #[inline]
    fn try_read_in_set(&self) -> Option<Self::ReadGuard<'_>> {
        if crate::acquire::held_here(&self.header) {
            return None;
        }
        taken(self.try_read())
    }

    #[track_caller]
    fn try_read_in_set_until(&self, deadline: Instant) -> Option<Self::ReadGuard<'_>> {
        self.try_read_until_in_set(deadline)
    }

    #[track_caller]
    #[inline(always)]
    fn read_known_in_set(&self, chain: &SetChain) -> Option<Self::ReadGuard<'_>> {
        self.read_at(Location::caller(), chain)
    }
}
