//! One trait over every blocking acquisition of a raw parking_lot lock: now,
//! within a time, or for as long as it takes. Each takes `self` and gives it
//! back on failure, so an upgrade (which moves its guard) fits too.

use std::time::Duration;

use crate::meta::Flavour;
use crate::pl;

/// A way to take a raw lock.
pub(crate) trait RawAcquire: Sized {
    /// What a successful acquisition gives.
    type Guard;
    /// The API of the lock it takes (for a report's advice).
    const FLAVOUR: Flavour = Flavour::ParkingLot;
    /// Takes the lock if that needs no wait.
    fn try_now(self) -> Result<Self::Guard, Self>;
    /// Whether the lock is seen taken, by a read alone: a waiting
    /// acquisition reads before it tries, where a try would take the lock's
    /// cache line from its holder. `false` where the raw lock's own try reads
    /// first (parking_lot's do).
    fn seen_taken(&self) -> bool {
        false
    }
    /// Takes the lock, waiting at most `timeout`.
    fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self>;
    /// Takes the lock, however long that takes.
    fn block(self) -> Self::Guard;
}

macro_rules! raw_acquire {
    ($For:ty, $Guard:ty, $now:ident, $within:ident, $block:ident) => {
        impl<'a, T: ?Sized> RawAcquire for $For {
            type Guard = $Guard;
            #[inline]
            fn try_now(self) -> Result<Self::Guard, Self> {
                self.raw_lock().$now().ok_or(self)
            }
            fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
                self.raw_lock().$within(timeout).ok_or(self)
            }
            fn block(self) -> Self::Guard {
                self.raw_lock().$block()
            }
        }
    };
}

/// The raw lock behind an acquisition wrapper.
trait Raw<'a> {
    type Lock: ?Sized + 'a;
    fn raw_lock(&self) -> &'a Self::Lock;
}

macro_rules! by_reference {
    ($($Lock:ident => $Guard:ident),*) => {$(
        impl<'a, T: ?Sized> Raw<'a> for &'a crate::pl::$Lock<T> {
            type Lock = crate::pl::$Lock<T>;
            fn raw_lock(&self) -> &'a Self::Lock {
                self
            }
        }
        raw_acquire!(&'a crate::pl::$Lock<T>, crate::pl::$Guard<'a, T>, try_lock, try_lock_for, lock);
    )*};
}

by_reference!(
    Mutex => MutexGuard,
    FairMutex => FairMutexGuard,
    ReentrantMutex => ReentrantMutexGuard
);

macro_rules! rwlock_mode {
    ($($(#[$doc:meta])* $Mode:ident => $Guard:ident, $now:ident, $within:ident, $block:ident;)*) => {$(
        $(#[$doc])*
        pub(crate) struct $Mode<'a, T: ?Sized>(pub(crate) &'a parking_lot::RwLock<T>);

        // By hand: derived, they would require `T: Copy`.
        impl<T: ?Sized> Clone for $Mode<'_, T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T: ?Sized> Copy for $Mode<'_, T> {}

        impl<'a, T: ?Sized> Raw<'a> for $Mode<'a, T> {
            type Lock = parking_lot::RwLock<T>;
            fn raw_lock(&self) -> &'a Self::Lock {
                self.0
            }
        }
        raw_acquire!($Mode<'a, T>, parking_lot::$Guard<'a, T>, $now, $within, $block);
    )*};
}

rwlock_mode!(
    /// `read`.
    Read => RwLockReadGuard, try_read, try_read_for, read;
    /// `read_recursive`.
    ReadRecursive => RwLockReadGuard, try_read_recursive, try_read_recursive_for, read_recursive;
    /// `write`.
    Write => RwLockWriteGuard, try_write, try_write_for, write;
    /// `upgradable_read`.
    UpgradableRead => RwLockUpgradableReadGuard, try_upgradable_read, try_upgradable_read_for, upgradable_read;
);

type RawUpgradable<'a, T> = parking_lot::RwLockUpgradableReadGuard<'a, T>;

/// Upgrading an upgradable read to a write.
pub(crate) struct Upgrade<'a, T: ?Sized>(pub(crate) RawUpgradable<'a, T>);

impl<'a, T: ?Sized> RawAcquire for Upgrade<'a, T> {
    type Guard = parking_lot::RwLockWriteGuard<'a, T>;

    #[inline]
    fn try_now(self) -> Result<Self::Guard, Self> {
        RawUpgradable::try_upgrade(self.0).map_err(Upgrade)
    }

    fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
        RawUpgradable::try_upgrade_for(self.0, timeout).map_err(Upgrade)
    }

    fn block(self) -> Self::Guard {
        RawUpgradable::upgrade(self.0)
    }
}

/// Waiting, with the upgradable read kept, until it could be upgraded now: an
/// upgrade that is undone at once (the watched wait before an in-place upgrade,
/// `with_upgraded`, which parking_lot makes itself).
pub(crate) struct UpgradeInPlace<'g, 'a, T: ?Sized>(pub(crate) &'g mut RawUpgradable<'a, T>);

impl<T: ?Sized> RawAcquire for UpgradeInPlace<'_, '_, T> {
    type Guard = ();

    fn try_now(self) -> Result<(), Self> {
        self.0.try_with_upgraded(|_| ()).ok_or(self)
    }

    fn try_for(self, timeout: Duration) -> Result<(), Self> {
        self.0.try_with_upgraded_for(timeout, |_| ()).ok_or(self)
    }

    fn block(self) {
        self.0.with_upgraded(|_| ());
    }
}

/// A raw guard whose lock can be taken again, as the guard holds it (the
/// re-acquisition at the end of `unlocked`).
pub(crate) trait Retake<'a> {
    /// The acquisition that takes the lock again.
    type Again: RawAcquire;
    /// That acquisition, for this guard's lock.
    fn again(&self) -> Self::Again;
}

macro_rules! retake {
    ($krate:ident: $($Guard:ident => |$g:ident| $again:expr, $Again:ty;)*) => {$(
        impl<'a, T: ?Sized> Retake<'a> for $krate::$Guard<'a, T> {
            type Again = $Again;
            fn again(&self) -> Self::Again {
                let $g = self;
                $again
            }
        }
    )*};
}

retake!(pl:
    MutexGuard => |g| crate::pl::MutexGuard::mutex(g), &'a crate::pl::Mutex<T>;
    FairMutexGuard => |g| crate::pl::FairMutexGuard::mutex(g), &'a crate::pl::FairMutex<T>;
    ReentrantMutexGuard => |g| crate::pl::ReentrantMutexGuard::remutex(g), &'a crate::pl::ReentrantMutex<T>;
);

// `RwLock`s wrap parking_lot 0.12's also with the `parking_lot_013` feature.
retake!(parking_lot:
    RwLockReadGuard => |g| Read(parking_lot::RwLockReadGuard::rwlock(g)), Read<'a, T>;
    RwLockWriteGuard => |g| Write(parking_lot::RwLockWriteGuard::rwlock(g)), Write<'a, T>;
    RwLockUpgradableReadGuard => |g| UpgradableRead(RawUpgradable::rwlock(g)), UpgradableRead<'a, T>;
);
