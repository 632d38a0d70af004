//! `RwLockUpgradableReadGuard`: upgrades that block (checked and watched like
//! any blocking acquisition), upgrades that cannot, and in-place upgrades.

use std::panic::Location;
use std::time::{Duration, Instant};

use super::{RawUpgradable, RawWrite, RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::acquire::raw;
use crate::acquire::{self, HeldToken};
use crate::held::Access;
use crate::lock::{guard_impls, relock_fns};

/// An upgradable-read guard of an [`RwLock`].
#[must_use = "if unused the RwLock will immediately unlock"]
#[clippy::has_significant_drop]
pub struct RwLockUpgradableReadGuard<'a, T: ?Sized> {
    /// Before `inner`, so dropped first: see [`HeldToken`].
    pub(crate) token: HeldToken<'a>,
    pub(crate) inner: RawUpgradable<'a, T>,
    pub(crate) lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockUpgradableReadGuard<'a, T> {
    /// The lock this guard reads.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::RwLock::new(());
    /// let guard = lock.upgradable_read();
    /// let of = lockgraph::RwLockUpgradableReadGuard::rwlock(&guard);
    /// assert_eq!(of.id(), lock.id());
    /// ```
    pub fn rwlock(s: &Self) -> &'a RwLock<T> {
        s.lock
    }

    /// Upgrades to a write lock, blocking until the other readers leave.
    ///
    /// # Lock order
    /// A blocking acquisition of this lock for writing: records `H -> self` for
    /// every other held lock `H` (a reader of this lock may be waiting for one
    /// of them), checked before blocking.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use lockgraph::{RwLock, RwLockUpgradableReadGuard};"]
    #[doc = "let lock = RwLock::new(1);"]
    #[doc = "let maybe = lock.upgradable_read();"]
    #[doc = "if *maybe == 1 {"]
    #[doc = "    let mut writer = RwLockUpgradableReadGuard::upgrade(maybe);"]
    #[doc = "    *writer = 2;"]
    #[doc = "}"]
    #[doc = "assert_eq!(*lock.read(), 2);"]
    #[doc = "```"]
    #[track_caller]
    pub fn upgrade(s: Self) -> RwLockWriteGuard<'a, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        let suspended = acquire::suspend(&token, Some(Access::Exclusive));
        let inner = acquire::take_raw(
            raw::Upgrade(inner),
            &lock.header,
            Access::Exclusive,
            Location::caller(),
        );
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
    #[doc = "```"]
    #[doc = "use lockgraph::{RwLock, RwLockUpgradableReadGuard};"]
    #[doc = "let lock = RwLock::new(1);"]
    #[doc = "let up = lock.upgradable_read();"]
    #[doc = "// No other reader: the upgrade succeeds without waiting."]
    #[doc = "let mut writer = RwLockUpgradableReadGuard::try_upgrade(up).expect(\"no readers\");"]
    #[doc = "*writer = 2;"]
    #[doc = "```"]
    pub fn try_upgrade(s: Self) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, RawUpgradable::try_upgrade)
    }

    /// Upgrades to a write lock, giving up after `timeout`; gives the guard
    /// back if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Barrier;
    /// use std::time::Duration;
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    ///
    /// let lock = RwLock::new(1);
    /// let up = lock.upgradable_read();
    /// let (reading, done) = (Barrier::new(2), Barrier::new(2));
    /// let up = std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let _read = lock.read();
    ///         reading.wait();
    ///         done.wait();
    ///     });
    ///     reading.wait(); // another thread reads: the upgrade times out
    ///     let up = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_millis(5))
    ///         
    ///         .expect_err("the guard comes back");
    ///     done.wait();
    ///     up
    /// });
    /// let writer = RwLockUpgradableReadGuard::try_upgrade_for(up, Duration::from_secs(5));
    /// assert_eq!(writer.ok().map(|w| *w), Some(1));
    /// ```
    pub fn try_upgrade_for(s: Self, timeout: Duration) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_for(inner, timeout))
    }

    /// Upgrades to a write lock, giving up at `deadline`; gives the guard back
    /// if it could not.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let up = lock.upgradable_read();
    /// let writer = RwLockUpgradableReadGuard::try_upgrade_until(up, Instant::now());
    /// assert_eq!(writer.ok().map(|w| *w), Some(1)); // no other reader: no wait
    /// ```
    pub fn try_upgrade_until(s: Self, deadline: Instant) -> Result<RwLockWriteGuard<'a, T>, Self> {
        Self::try_upgrade_with(s, |inner| RawUpgradable::try_upgrade_until(inner, deadline))
    }

    fn try_upgrade_with(
        s: Self,
        attempt: impl FnOnce(RawUpgradable<'a, T>) -> Result<RawWrite<'a, T>, RawUpgradable<'a, T>>,
    ) -> Result<RwLockWriteGuard<'a, T>, Self> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        match attempt(inner) {
            Ok(inner) => {
                acquire::change_access(&token, Access::Exclusive);
                Ok(RwLockWriteGuard { inner, token, lock })
            }
            Err(inner) => Err(RwLockUpgradableReadGuard { inner, token, lock }),
        }
    }

    /// Turns the upgradable read into a plain read, without letting a writer
    /// in between.
    ///
    /// # Lock order
    /// Records nothing (never blocks); the lock is now held for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, RwLockUpgradableReadGuard};
    /// let lock = RwLock::new(1);
    /// let reader = RwLockUpgradableReadGuard::downgrade(lock.upgradable_read());
    /// assert!(lock.try_upgradable_read().is_none()); // still held here
    /// assert_eq!(*reader, 1);
    /// ```
    pub fn downgrade(s: Self) -> RwLockReadGuard<'a, T> {
        let RwLockUpgradableReadGuard { inner, token, lock } = s;
        acquire::change_access(&token, Access::Read);
        RwLockReadGuard {
            inner: RawUpgradable::downgrade(inner),
            token,
            lock,
        }
    }

    /// Upgrades to a write lock in place, blocking until the other readers
    /// leave, runs `f` on the data, and turns the lock back into an upgradable
    /// read (also if `f` panics).
    ///
    /// # Lock order
    /// As [`upgrade`](Self::upgrade): a blocking acquisition of this lock for
    /// writing, which records `H -> self` for every other held lock `H`,
    /// checked before blocking. While `f` runs the lock is held for writing.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if the upgrade closes a
    /// lock-order cycle (before it blocks; the guard stays an upgradable read).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::RwLock;
    /// let cache = RwLock::new(Vec::new());
    /// let mut up = cache.upgradable_read();
    /// if up.is_empty() {
    ///     up.with_upgraded(|items| items.push("filled"));
    /// }
    /// assert_eq!(*up, ["filled"]); // an upgradable read again
    /// ```
    #[track_caller]
    pub fn with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Ret {
        let site = Location::caller();
        let _upgraded = Upgraded::restore_at_end(&self.token);
        // The check `upgrade` makes; the entry comes back as held for writing.
        acquire::suspend(&self.token, Some(Access::Exclusive)).resume();
        let waited = raw::UpgradeInPlace(&mut self.inner);
        acquire::take_raw(waited, &self.lock.header, Access::Exclusive, site);
        // The upgrade could be made just now, so parking_lot's own upgrade
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
    /// ```
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// assert_eq!(up.try_with_upgraded(|n| { *n += 1; *n }), Some(2)); // no other reader
    /// assert_eq!(*up, 2);
    /// ```
    pub fn try_with_upgraded<Ret, F: FnOnce(&mut T) -> Ret>(&mut self, f: F) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded(|data| Upgraded::during(token, || f(data)))
    }

    /// Like [`try_with_upgraded`](Self::try_with_upgraded), waiting at most
    /// `timeout` for the other readers to leave.
    ///
    /// # Lock order
    /// Records nothing (a timed wait cannot block forever). While `f` runs the
    /// lock is held for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// let doubled = up.try_with_upgraded_for(Duration::from_millis(10), |n| { *n *= 2; *n });
    /// assert_eq!(doubled, Some(2));
    /// ```
    pub fn try_with_upgraded_for<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        timeout: Duration,
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
    /// Records nothing (a timed wait cannot block forever). While `f` runs the
    /// lock is held for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::RwLock;
    /// let lock = RwLock::new(1);
    /// let mut up = lock.upgradable_read();
    /// assert_eq!(up.try_with_upgraded_until(Instant::now(), |n| *n + 1), Some(2));
    /// ```
    pub fn try_with_upgraded_until<Ret, F: FnOnce(&mut T) -> Ret>(
        &mut self,
        deadline: Instant,
        f: F,
    ) -> Option<Ret> {
        let token = &self.token;
        self.inner
            .try_with_upgraded_until(deadline, |data| Upgraded::during(token, || f(data)))
    }

    relock_fns!(
        RwLockUpgradableReadGuard,
        RawUpgradable<'a, T>,
        RwLock,
        upgradable_read
    );
}

guard_impls!(RwLockUpgradableReadGuard);

/// An in-place upgrade of an upgradable guard (`with_upgraded` and its `try`
/// forms): the held set says "held for writing" until this is dropped, then
/// "upgradable read" again, also when the caller's closure panics.
pub(crate) struct Upgraded<'t, 'a>(&'t HeldToken<'a>);

impl<'t, 'a> Upgraded<'t, 'a> {
    /// Restores the upgradable mode when dropped (the caller records the write).
    pub(crate) fn restore_at_end(token: &'t HeldToken<'a>) -> Self {
        Upgraded(token)
    }

    /// Runs `f` with the lock recorded as held for writing.
    pub(crate) fn during<U>(token: &'t HeldToken<'a>, f: impl FnOnce() -> U) -> U {
        acquire::change_access(token, Access::Exclusive);
        let _upgraded = Upgraded(token);
        f()
    }
}

impl Drop for Upgraded<'_, '_> {
    fn drop(&mut self) {
        acquire::change_access(self.0, Access::Upgradable);
    }
}
