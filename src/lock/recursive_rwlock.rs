//! `RecursiveRwLock`: parking_lot 0.13's reader-biased lock, whose every read
//! may nest, built on [`RwLock`]'s recursive reads.
//!
//! parking_lot 0.13 moved `read_recursive` out of `RwLock` into this type; the
//! crate root has both, so code written against 0.12 or 0.13 compiles. The
//! guards are [`RwLock`]'s (the names below are aliases): a guard's
//! `rwlock()` gives the `RwLock` inside, where 0.13 gives the
//! `RecursiveRwLock`.

use std::time::{Duration, Instant};

use super::rwlock::{RwLock, RwLockReadGuard, RwLockUpgradableReadGuard, RwLockWriteGuard};
use crate::id::LockId;

/// A read guard of a [`RecursiveRwLock`] (parking_lot 0.13's name).
pub type RecursiveRwLockReadGuard<'a, T> = RwLockReadGuard<'a, T>;
/// A write guard of a [`RecursiveRwLock`] (parking_lot 0.13's name).
pub type RecursiveRwLockWriteGuard<'a, T> = RwLockWriteGuard<'a, T>;
/// An upgradable-read guard of a [`RecursiveRwLock`] (parking_lot 0.13's name).
pub type RecursiveRwLockUpgradableReadGuard<'a, T> = RwLockUpgradableReadGuard<'a, T>;
/// A mapped read guard of a [`RecursiveRwLock`] (parking_lot 0.13's name).
pub type MappedRecursiveRwLockReadGuard<'a, T> = crate::MappedRwLockReadGuard<'a, T>;
/// A mapped write guard of a [`RecursiveRwLock`] (parking_lot 0.13's name).
pub type MappedRecursiveRwLockWriteGuard<'a, T> = crate::MappedRwLockWriteGuard<'a, T>;

/// A reader-writer lock whose reads never wait for a queued writer, so a
/// thread may read it again while it reads it (parking_lot 0.13's
/// `RecursiveRwLock`), with lock-order checking.
///
/// Every read is [`RwLock::read_recursive`]: a nested read by the same thread
/// records nothing and is never reported, where a nested [`RwLock::read`] is a
/// [`RecursiveRead`](crate::Violation::RecursiveRead). Writers may starve
/// while readers keep coming, as with parking_lot's type.
///
/// # Examples
///
/// ```
/// use lockgraph::RecursiveRwLock;
///
/// let table = RecursiveRwLock::named("table", vec![1, 2]);
/// let outer = table.read();
/// let inner = table.read(); // nested: no wait, no report
/// assert_eq!(outer.len() + inner.len(), 4);
/// drop((outer, inner));
/// table.write().push(3);
/// assert_eq!(table.into_inner(), [1, 2, 3]);
/// ```
// `repr(transparent)`: an `Arc` of one is an `Arc` of the `RwLock` inside
// (`trusted::arc::recursive_as_rwlock`, for the arc guards).
#[repr(transparent)]
pub struct RecursiveRwLock<T: ?Sized>(RwLock<T>);

/// Methods that are [`RwLock`]'s `$inner`: its recursive reads, and the
/// other methods under the same names.
macro_rules! from_rwlock {
    ($($(#[$doc:meta])* $name:ident => $inner:ident($($arg:ident: $Arg:ty),*) -> $Ret:ty;)*) => {$(
        $(#[$doc])*
        #[track_caller]
        #[inline]
        pub fn $name(&self $(, $arg: $Arg)*) -> $Ret {
            self.0.$inner($($arg),*)
        }
    )*};
}

impl<T> RecursiveRwLock<T> {
    /// Creates an unlocked lock; reports name it by this call's `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// static CACHE: lockgraph::RecursiveRwLock<u8> = lockgraph::RecursiveRwLock::new(0);
    /// assert_eq!(*CACHE.read(), 0);
    /// ```
    #[track_caller]
    pub const fn new(value: T) -> Self {
        RecursiveRwLock(RwLock::new(value))
    }

    /// Creates an unlocked lock that reports call `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RecursiveRwLock::named("routes", ());
    /// assert!(format!("{lock:?}").contains("routes"));
    /// ```
    pub const fn named(name: &'static str, value: T) -> Self {
        RecursiveRwLock(RwLock::named(name, value))
    }

    /// Consumes the lock and returns the value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lockgraph::RecursiveRwLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> RecursiveRwLock<T> {
    from_rwlock! {
        /// Locks for shared reading; never waits for a queued writer, so a
        /// thread that reads the lock may read it again.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before
        /// blocking, unless this thread already reads the lock (then nothing).
        ///
        /// # Panics
        /// Under `Panic` and `Warn`, if this thread holds the lock for writing.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// let (a, b) = (lock.read(), lock.read());
        /// assert_eq!(*a + *b, 2);
        /// ```
        read => read_recursive() -> RecursiveRwLockReadGuard<'_, T>;
        /// Attempts [`read`](Self::read) without blocking.
        ///
        /// # Lock order
        /// Records no edge into this lock (it cannot block).
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert_eq!(lock.try_read().map(|g| *g), Some(1));
        /// ```
        try_read => try_read_recursive() -> Option<RecursiveRwLockReadGuard<'_, T>>;
        /// Attempts [`read`](Self::read), giving up after `timeout`.
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_read_for(std::time::Duration::from_millis(1)).is_some());
        /// ```
        try_read_for => try_read_recursive_for(timeout: Duration) -> Option<RecursiveRwLockReadGuard<'_, T>>;
        /// Attempts [`read`](Self::read), giving up at `deadline`.
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_read_until(std::time::Instant::now()).is_some());
        /// ```
        try_read_until => try_read_recursive_until(deadline: Instant) -> Option<RecursiveRwLockReadGuard<'_, T>>;
    }

    from_rwlock! {
        /// Locks for exclusive writing: [`RwLock::write`].
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// *lock.write() += 1;
        /// assert_eq!(*lock.read(), 2);
        /// ```
        write => write() -> RecursiveRwLockWriteGuard<'_, T>;
        /// [`RwLock::try_write`].
        ///
        /// # Lock order
        /// Records no edge into this lock (it cannot block).
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// let reader = lock.read();
        /// assert!(lock.try_write().is_none());
        /// ```
        try_write => try_write() -> Option<RecursiveRwLockWriteGuard<'_, T>>;
        /// [`RwLock::try_write_for`].
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_write_for(std::time::Duration::from_millis(1)).is_some());
        /// ```
        try_write_for => try_write_for(timeout: Duration) -> Option<RecursiveRwLockWriteGuard<'_, T>>;
        /// [`RwLock::try_write_until`].
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_write_until(std::time::Instant::now()).is_some());
        /// ```
        try_write_until => try_write_until(deadline: Instant) -> Option<RecursiveRwLockWriteGuard<'_, T>>;
        /// Locks for reading with the right to upgrade: [`RwLock::upgradable_read`].
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Examples
        ///
        /// ```
        /// use lockgraph::{RecursiveRwLock, RecursiveRwLockUpgradableReadGuard};
        /// let lock = RecursiveRwLock::new(1);
        /// let up = lock.upgradable_read();
        /// *RecursiveRwLockUpgradableReadGuard::upgrade(up) = 2;
        /// assert_eq!(*lock.read(), 2);
        /// ```
        upgradable_read => upgradable_read() -> RecursiveRwLockUpgradableReadGuard<'_, T>;
        /// [`RwLock::try_upgradable_read`].
        ///
        /// # Lock order
        /// Records no edge into this lock (it cannot block).
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_upgradable_read().is_some());
        /// ```
        try_upgradable_read => try_upgradable_read() -> Option<RecursiveRwLockUpgradableReadGuard<'_, T>>;
        /// [`RwLock::try_upgradable_read_for`].
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_upgradable_read_for(std::time::Duration::from_millis(1)).is_some());
        /// ```
        try_upgradable_read_for => try_upgradable_read_for(timeout: Duration) -> Option<RecursiveRwLockUpgradableReadGuard<'_, T>>;
        /// [`RwLock::try_upgradable_read_until`].
        ///
        /// # Lock order
        /// A timed wait cannot block forever: no edge into this lock.
        ///
        /// # Examples
        ///
        /// ```
        /// let lock = lockgraph::RecursiveRwLock::new(1);
        /// assert!(lock.try_upgradable_read_until(std::time::Instant::now()).is_some());
        /// ```
        try_upgradable_read_until => try_upgradable_read_until(deadline: Instant) -> Option<RecursiveRwLockUpgradableReadGuard<'_, T>>;
    }

    /// A mutable reference to the value; no locking is needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = lockgraph::RecursiveRwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }

    /// Whether the lock is held in any mode (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RecursiveRwLock::new(());
    /// let reader = lock.read();
    /// assert!(lock.is_locked() && !lock.is_locked_exclusive());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.0.is_locked()
    }

    /// Whether the lock is held for writing (a racy snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RecursiveRwLock::new(());
    /// let _writer = lock.write();
    /// assert!(lock.is_locked_exclusive());
    /// ```
    pub fn is_locked_exclusive(&self) -> bool {
        self.0.is_locked_exclusive()
    }

    /// This lock's id (assigned now if it was never used).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RecursiveRwLock::new(());
    /// assert_eq!(lock.id(), lock.id());
    /// ```
    pub fn id(&self) -> LockId {
        self.0.id()
    }

    /// This lock's class: its creation site, or its name (see
    /// [`LockClass`](crate::LockClass)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = (lockgraph::RecursiveRwLock::new(()), lockgraph::RecursiveRwLock::new(()));
    /// assert_ne!(a.class(), b.class()); // made at two places
    /// ```
    pub fn class(&self) -> crate::LockClass {
        self.0.class()
    }
}

super::constructor_impls!(RecursiveRwLock);

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for RecursiveRwLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RecursiveRwLock").field(&&self.0).finish()
    }
}
