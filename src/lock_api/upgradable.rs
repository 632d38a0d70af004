//! Upgradable reads of an [`RwLock`]: the acquisitions, and the guard with
//! its upgrades (checked and watched like any blocking acquisition), the
//! upgrades that cannot block, and the in-place ones.

use std::panic::Location;

use super::api::{
    self, RawRwLockUpgrade, RawRwLockUpgradeDowngrade, RawRwLockUpgradeFair, RawRwLockUpgradeTimed,
};
use super::raw;
use super::rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::acquire::{self, HeldToken};
use crate::held::Access;
use crate::lock::rwlock::upgradable::Upgraded;

type RawUpgradable<'a, R, T> = api::RwLockUpgradableReadGuard<'a, R, T>;

impl<R: RawRwLockUpgrade, T: ?Sized> RwLock<R, T> {
    acquire_fns!(
        Access::Upgradable, raw::UpgradableRead, RwLockUpgradableReadGuard,
        /// Locks for reading with the right to upgrade to writing later; only
        /// one thread at a time may hold an upgradable read.
        ///
        /// # Lock order
        /// Records `H -> self` for every held lock `H`, checked before blocking.
        ///
        /// # Panics
        /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if this thread
        /// already holds the lock in any mode.
        upgradable_read, upgradable_read_at, try_upgradable_read
    );
}

impl<R: RawRwLockUpgradeTimed, T: ?Sized> RwLock<R, T> {
    timed_fns!(
        Access::Upgradable,
        RwLockUpgradableReadGuard,
        upgradable_read,
        try_upgradable_read_for,
        try_upgradable_read_until
    );
}

/// An upgradable-read guard of an [`RwLock`]. Not `Send`.
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockUpgradableReadGuard<'a, R: RawRwLockUpgrade, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(super) token: HeldToken<'a>,
    pub(super) inner: RawUpgradable<'a, R, T>,
    pub(super) lock: &'a RwLock<R, T>,
}

impl<'a, R: RawRwLockUpgrade + 'a, T: ?Sized + 'a> RwLockUpgradableReadGuard<'a, R, T> {
    /// The lock this guard reads.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(());",
        "let guard = lock.upgradable_read();",
        "assert_eq!(RwLockUpgradableReadGuard::rwlock(&guard).id(), lock.id());"
    )]
    pub fn rwlock(s: &Self) -> &'a RwLock<R, T> {
        s.lock
    }

    /// Upgrades to a write lock, blocking until the other readers leave.
    ///
    /// # Lock order
    /// A blocking acquisition of this lock for writing: records `H -> self`
    /// for every other held lock `H` (a reader of this lock may be waiting
    /// for one of them), checked before blocking.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let maybe = lock.upgradable_read();",
        "if *maybe == 1 {",
        "    *RwLockUpgradableReadGuard::upgrade(maybe) = 2;",
        "}",
        "assert_eq!(*lock.read(), 2);"
    )]
    #[track_caller]
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, R, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        let suspended = acquire::suspend(&token, Some(Access::Exclusive));
        let site = Location::caller();
        let inner = acquire::take_raw(raw::Upgrade(inner), &lock.header, Access::Exclusive, site);
        suspended.resume();
        RwLockWriteGuard { inner, token, lock }
    }

    /// Upgrades to a write lock if no other reader holds the lock.
    ///
    /// # Lock order
    /// Records nothing (never blocks).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let up = lock.upgradable_read();",
        "let mut writer = RwLockUpgradableReadGuard::try_upgrade(up).expect(\"no readers\");",
        "*writer = 2;"
    )]
    pub fn try_upgrade(s: Self) -> Result<RwLockWriteGuard<'a, R, T>, Self> {
        Self::try_upgrade_with(s, RawUpgradable::try_upgrade)
    }

    fn try_upgrade_with(
        s: Self,
        attempt: impl FnOnce(
            RawUpgradable<'a, R, T>,
        )
            -> Result<api::RwLockWriteGuard<'a, R, T>, RawUpgradable<'a, R, T>>,
    ) -> Result<RwLockWriteGuard<'a, R, T>, Self> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        match attempt(inner) {
            Ok(inner) => {
                acquire::change_access(&token, Access::Exclusive);
                Ok(RwLockWriteGuard { inner, token, lock })
            }
            Err(inner) => Err(RwLockUpgradableReadGuard { inner, token, lock }),
        }
    }

    unlocked_fn!(
        RwLockUpgradableReadGuard,
        RawUpgradable<'a, R, T>,
        |s| raw::UpgradableRead(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.upgradable_read()"
    );
}

impl<'a, R: RawRwLockUpgradeTimed + 'a, T: ?Sized + 'a> RwLockUpgradableReadGuard<'a, R, T> {
    /// Upgrades to a write lock, giving up after `timeout`; gives the guard
    /// back if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::Duration;",
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let up = lock.upgradable_read();",
        "let writer = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_millis(1));",
        "assert_eq!(writer.ok().map(|w| *w), Some(1)); // no other reader"
    )]
    pub fn try_upgrade_for(
        s: Self,
        timeout: R::Duration,
    ) -> Result<RwLockWriteGuard<'a, R, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_for(inner, timeout))
    }

    /// Upgrades to a write lock, giving up at `deadline`; gives the guard
    /// back if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let up = lock.upgradable_read();",
        "let writer = RwLockUpgradableReadGuard::try_upgrade_until(up, std::time::Instant::now());",
        "assert_eq!(writer.ok().map(|w| *w), Some(1)); // no other reader: no wait"
    )]
    pub fn try_upgrade_until(
        s: Self,
        deadline: R::Instant,
    ) -> Result<RwLockWriteGuard<'a, R, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_until(inner, deadline))
    }
}

impl<'a, R: RawRwLockUpgradeDowngrade + 'a, T: ?Sized + 'a> RwLockUpgradableReadGuard<'a, R, T> {
    /// Turns the upgradable read into a plain read, without letting a writer
    /// in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let reader = RwLockUpgradableReadGuard::downgrade(lock.upgradable_read());",
        "assert!(lock.try_upgradable_read().is_none()); // still held here",
        "assert_eq!(*reader, 1);"
    )]
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, R, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        acquire::change_access(&token, Access::Read);
        RwLockReadGuard {
            inner: RawUpgradable::downgrade(inner),
            token,
            lock,
        }
    }

    /// Upgrades to a write lock in place, blocking until the other readers
    /// leave, runs `f` on the data, and turns the lock back into an
    /// upgradable read (also if `f` panics).
    ///
    /// # Lock order
    /// As [`upgrade`](Self::upgrade): a blocking acquisition of this lock for
    /// writing, which records `H -> self` for every other held lock `H`,
    /// checked before blocking. While `f` runs the lock is held for writing.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let cache = RwLock::<RawRwLock, _>::new(Vec::new());",
        "let mut up = cache.upgradable_read();",
        "up.with_upgraded(|items| items.push(\"filled\"));",
        "assert_eq!(*up, [\"filled\"]); // an upgradable read again"
    )]
    #[track_caller]
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        let site = Location::caller();
        let _upgraded = Upgraded::restore_at_end(&self.token);
        // The check `upgrade` makes; the entry comes back as held for writing.
        acquire::suspend(&self.token, Some(Access::Exclusive)).resume();
        let waited = raw::UpgradeInPlace(&mut self.inner);
        acquire::take_raw(waited, &self.lock.header, Access::Exclusive, site);
        // The upgrade could be made just now, so lock_api's own upgrade
        // rarely waits (a wait that begins in this moment is not watched).
        self.inner.with_upgraded(f)
    }

    /// Upgrades to a write lock in place if no other reader holds the lock,
    /// runs `f` on the data, and turns the lock back into an upgradable read;
    /// `None` (and `f` is not run) if another reader holds it.
    ///
    /// # Lock order
    /// Records nothing (never blocks). While `f` runs the lock is held for
    /// writing.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let mut up = lock.upgradable_read();",
        "assert_eq!(up.try_with_upgraded(|n| { *n += 1; *n }), Some(2));",
        "assert_eq!(*up, 2);"
    )]
    pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded(|data| Upgraded::during(token, || f(data)))
    }
}

impl<'a, R: RawRwLockUpgradeTimed + RawRwLockUpgradeDowngrade + 'a, T: ?Sized + 'a>
    RwLockUpgradableReadGuard<'a, R, T>
{
    /// Like [`try_with_upgraded`](Self::try_with_upgraded), waiting at most
    /// `timeout` for the other readers to leave.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever). While `f` runs
    /// the lock is held for writing.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "use std::time::Duration;",
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let mut up = lock.upgradable_read();",
        "let doubled = up.try_with_upgraded_for(Duration::from_millis(10), |n| { *n *= 2; *n });",
        "assert_eq!(doubled, Some(2));"
    )]
    pub fn try_with_upgraded_for<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        timeout: R::Duration,
        f: F,
    ) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded_for(timeout, |data| Upgraded::during(token, || f(data)))
    }

    /// Like [`try_with_upgraded`](Self::try_with_upgraded), waiting until
    /// `deadline` at most for the other readers to leave.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever). While `f` runs
    /// the lock is held for writing.
    ///
    /// # Examples
    ///
    #[doc = example!(
        "let lock = RwLock::<RawRwLock, _>::new(1);",
        "let mut up = lock.upgradable_read();",
        "assert_eq!(up.try_with_upgraded_until(std::time::Instant::now(), |n| *n + 1), Some(2));"
    )]
    pub fn try_with_upgraded_until<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        deadline: R::Instant,
        f: F,
    ) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded_until(deadline, |data| Upgraded::during(token, || f(data)))
    }
}

impl<'a, R: RawRwLockUpgradeFair + 'a, T: ?Sized + 'a> RwLockUpgradableReadGuard<'a, R, T> {
    fair_fns!(
        RwLockUpgradableReadGuard,
        RawUpgradable<'a, R, T>,
        |s| raw::UpgradableRead(&s.lock.inner),
        "RwLock::<RawRwLock, _>::new",
        "lock.upgradable_read()"
    );
}

guard_impls!(RwLockUpgradableReadGuard<R: RawRwLockUpgrade>);
