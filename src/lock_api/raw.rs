//! lock_api's locks as the acquisition pipeline takes them: one
//! [`RawAcquire`](crate::acquire::RawAcquire) per mode, and the upgrades.

use std::time::Duration;

use super::api;
use crate::acquire::{RawAcquire, poll};

acquisition!(
    /// `Mutex::lock`.
    Lock<R: api::RawMutex> of Mutex => MutexGuard, try_lock, lock
);
acquisition!(
    /// `ReentrantMutex::lock`.
    Reentrant<R: api::RawMutex, G: api::GetThreadId> of ReentrantMutex => ReentrantMutexGuard, try_lock, lock
);
acquisition!(
    /// `RwLock::read`.
    Read<R: api::RawRwLock> of RwLock => RwLockReadGuard, try_read, read
);
acquisition!(
    /// `RwLock::write`.
    Write<R: api::RawRwLock> of RwLock => RwLockWriteGuard, try_write, write
);
acquisition!(
    /// `RwLock::upgradable_read`.
    UpgradableRead<R: api::RawRwLockUpgrade> of RwLock => RwLockUpgradableReadGuard, try_upgradable_read, upgradable_read
);

type RawUpgradable<'a, R, T> = api::RwLockUpgradableReadGuard<'a, R, T>;

/// Upgrading an upgradable read to a write.
pub(crate) struct Upgrade<'a, R: api::RawRwLockUpgrade, T: ?Sized>(
    pub(crate) RawUpgradable<'a, R, T>,
);

impl<'a, R: api::RawRwLockUpgrade + 'a, T: ?Sized + 'a> RawAcquire for Upgrade<'a, R, T> {
    type Guard = api::RwLockWriteGuard<'a, R, T>;

    #[inline]
    fn try_now(self) -> Result<Self::Guard, Self> {
        RawUpgradable::try_upgrade(self.0).map_err(Upgrade)
    }

    fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
        poll::within(self, timeout, Self::try_now)
    }

    fn block(self) -> Self::Guard {
        RawUpgradable::upgrade(self.0)
    }
}

/// Waiting, with the upgradable read kept, until it could be upgraded now
/// (the watched wait before an in-place upgrade, which lock_api makes
/// itself).
pub(crate) struct UpgradeInPlace<'g, 'a, R: api::RawRwLockUpgrade, T: ?Sized>(
    pub(crate) &'g mut RawUpgradable<'a, R, T>,
);

impl<R: api::RawRwLockUpgradeDowngrade, T: ?Sized> RawAcquire for UpgradeInPlace<'_, '_, R, T> {
    type Guard = ();

    fn try_now(self) -> Result<(), Self> {
        self.0.try_with_upgraded(|_| ()).ok_or(self)
    }

    fn try_for(self, timeout: Duration) -> Result<(), Self> {
        poll::within(self, timeout, Self::try_now)
    }

    fn block(self) {
        self.0.with_upgraded(|_| ());
    }
}
