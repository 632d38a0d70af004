//! `stdsync::Mutex`: std's API and poisoning on std's mutex algorithm, plus a
//! lock-order header.

use std::mem::ManuallyDrop;
use std::panic::Location;
use std::sync::{LockResult, TryLockError, TryLockResult};
use std::time::Instant;

use super::poisoning::{self, Poison, poisoning_fns, std_lock_impls};
use crate::acquire::raw_std::{Holding, Std};
use crate::acquire::{self, HeldToken, LockHeader};
use crate::held::Access;
use crate::id::LockId;
use crate::lock::guard_impls;
use crate::meta::LockMeta;
use crate::trusted::held::HeldStd;
use crate::trusted::std_mutex::StdMutex;

/// A mutual-exclusion lock with [`std::sync::Mutex`]'s API and poisoning that
/// checks lock order.
///
/// It poisons as std's mutex does: a panic while a guard is held poisons it,
/// and [`lock`](Mutex::lock) then returns `Err(PoisonError)` carrying the
/// guard. Inside is std's mutex algorithm on parking_lot's parking lot, so a
/// contended `lock` sleeps as with std (and wakes at every watchdog interval
/// to check the wait). A lock-order report under
/// [`Policy::Panic`](crate::Policy::Panic) happens before the mutex is taken,
/// so it never poisons it; nor does a report's panic that unwinds through a
/// guard of it (see [the module docs](super#poisoning-and-lockgraphs-reports)).
///
/// # Examples
///
/// ```
/// use lockgraph::stdsync::{Arc, Mutex};
///
/// let counter = Arc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..4)
///     .map(|_| {
///         let counter = Arc::clone(&counter);
///         std::thread::spawn(move || *counter.lock().unwrap() += 1)
///     })
///     .collect();
/// handles.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(*counter.lock().unwrap(), 4);
/// ```
pub struct Mutex<T: ?Sized> {
    pub(crate) header: LockHeader,
    pub(crate) poison: Poison,
    pub(crate) inner: StdMutex<T>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex; reports name it by this call's `file:line:column`.
    ///
    /// # Examples
    ///
    /// ```
    /// static COUNT: lockgraph::stdsync::Mutex<u32> = lockgraph::stdsync::Mutex::new(0);
    /// *COUNT.lock().unwrap() += 1;
    /// ```
    #[track_caller]
    pub const fn new(value: T) -> Self {
        Mutex {
            header: LockHeader::new(LockMeta::created(Location::caller())),
            poison: Poison::new(),
            inner: StdMutex::new(value),
        }
    }

    /// Creates an unlocked mutex that reports call `name` (its first 126 bytes, cut at a
    /// character boundary, if it is longer).
    ///
    /// # Examples
    ///
    /// ```
    /// let accounts = lockgraph::stdsync::Mutex::named("accounts", vec![10, 20]);
    /// assert_eq!(accounts.lock().unwrap().len(), 2);
    /// ```
    pub const fn named(name: &'static str, value: T) -> Self {
        Mutex {
            header: LockHeader::new(LockMeta::named(name)),
            poison: Poison::new(),
            inner: StdMutex::new(value),
        }
    }

    /// Creates an unlocked mutex of the class `class`, as
    /// [`crate::Mutex::with_class`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::LockClass;
    ///
    /// static SHARDS: LockClass = LockClass::named("shards");
    /// let m = lockgraph::stdsync::Mutex::with_class(SHARDS, 1);
    /// assert_eq!(m.class(), SHARDS);
    /// ```
    pub const fn with_class(class: crate::LockClass, value: T) -> Self {
        Mutex {
            header: LockHeader::new(class.meta()),
            poison: Poison::new(),
            inner: StdMutex::new(value),
        }
    }

    /// Consumes the mutex and returns the value; `Err` (with the value) if it
    /// is poisoned.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::stdsync::Mutex::new(7);
    /// assert_eq!(m.into_inner().unwrap(), 7);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        let Mutex {
            header,
            poison,
            inner,
        } = self;
        drop(header);
        poison.result(inner.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquires the mutex, blocking the current thread until it is free.
    ///
    /// Returns `Err(PoisonError)` (which still holds the guard) if another
    /// thread panicked while holding the mutex.
    ///
    /// # Lock order
    /// Records `H -> self` for every lock `H` this thread holds, and checks them
    /// before blocking.
    ///
    /// # Panics
    /// Under [`Policy::Panic`](crate::Policy::Panic), if this acquisition closes a
    /// lock-order cycle, before it blocks and with the mutex left free (a free
    /// mutex is taken, checked, and let go again before the report): nothing
    /// is held or poisoned; under `Panic` and `Warn`, if this thread already
    /// holds the mutex (std would deadlock or panic).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::stdsync::Mutex::new(1);
    /// *m.lock().unwrap() += 1;
    /// assert_eq!(*m.lock().unwrap(), 2);
    /// ```
    #[track_caller]
    #[inline(always)]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        self.lock_at(Location::caller(), acquire::Blocking)
    }

    /// [`lock`](Self::lock), called at `site`, by `route`.
    #[inline(always)]
    pub(crate) fn lock_at<P: acquire::Route>(
        &self,
        site: &'static Location<'static>,
        route: P,
    ) -> P::Out<LockResult<MutexGuard<'_, T>>> {
        // Read once, before any path of the acquisition: the guard's drop
        // then tests one value whichever path took the lock.
        let panicking = std::thread::panicking();
        route.take(
            Std(Holding::<HeldStd<'_, T>>(self)),
            &self.header,
            Access::Exclusive,
            site,
            |inner, token| self.poison.result(MutexGuard::new(inner, token, panicking)),
        )
    }

    /// Attempts to acquire the mutex without blocking.
    ///
    /// Returns `Err(TryLockError::WouldBlock)` when the mutex is held, also
    /// when this thread holds it (nothing is reported: it cannot block).
    ///
    /// # Lock order
    /// Records no edge into this mutex; while it is held, later blocking
    /// acquisitions get edges from it.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{Mutex, TryLockError};
    ///
    /// let m = Mutex::new(());
    /// let held = m.lock().unwrap();
    /// assert!(matches!(m.try_lock(), Err(TryLockError::WouldBlock)));
    /// drop(held);
    /// assert!(m.try_lock().is_ok());
    /// ```
    #[track_caller]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let site = Location::caller();
        let inner = HeldStd::try_now(self).ok_or(TryLockError::WouldBlock)?;
        let token = acquire::after_try(&self.header, Access::Exclusive, site);
        let guard = MutexGuard::new(inner, token, poisoning::panicking());
        self.poison.try_result(guard)
    }

    /// A timed `try_lock` for [`try_lock_all_for`](crate::try_lock_all_for)
    /// (std has none): busy (`None`) at once if this thread holds the mutex,
    /// else `None` once `deadline` passes; a poisoned mutex is taken, `Err`
    /// inside.
    #[track_caller]
    pub(crate) fn try_lock_until_in_set(
        &self,
        deadline: Instant,
    ) -> Option<LockResult<MutexGuard<'_, T>>> {
        if acquire::held_here(&self.header) {
            return None;
        }
        let inner = HeldStd::try_until(self, deadline)?;
        let token = acquire::after_try(&self.header, Access::Exclusive, Location::caller());
        let guard = MutexGuard::new(inner, token, poisoning::panicking());
        Some(self.poison.result(guard))
    }

    poisoning_fns!(Mutex, lock);
}

std_lock_impls!(Mutex, try_lock);

/// An RAII guard of a [`Mutex`]; the mutex is unlocked when it is dropped (and
/// poisoned if the thread is panicking then, unless with a lockgraph report:
/// see [the module docs](super#poisoning-and-lockgraphs-reports)).
///
/// Not `Send`, like std's.
///
/// # Examples
///
/// ```
/// let m = lockgraph::stdsync::Mutex::new(String::from("a"));
/// let mut guard: lockgraph::stdsync::MutexGuard<'_, String> = m.lock().unwrap();
/// guard.push('b');
/// assert_eq!(*guard, "ab");
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
#[clippy::has_significant_drop]
pub struct MutexGuard<'a, T: ?Sized + 'a> {
    /// The raw lock, whose drop forgets the mutex (see [`HeldToken`]) and
    /// poisons it under std's rule before the raw lock is released. Its marks
    /// are [`poisoning::UNTRACKED`] and [`poisoning::PANICKING`]: the guard is
    /// one word.
    pub(crate) inner: HeldStd<'a, T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The guard of `inner`, recorded as `token` says, taken while the
    /// thread was `panicking` or not.
    #[inline(always)]
    fn new(inner: HeldStd<'a, T>, token: HeldToken<'a>, panicking: bool) -> Self {
        MutexGuard {
            inner: inner.marked(poisoning::marks(token, panicking)),
        }
    }

    /// Runs `f` with the guard's held-set token (which stays the guard's).
    pub(crate) fn with_token<R>(&self, f: impl FnOnce(&HeldToken<'a>) -> R) -> R {
        let header = &self.inner.lock().header;
        f(&ManuallyDrop::new(poisoning::token(
            header,
            self.inner.marks(),
        )))
    }
}

guard_impls!(MutexGuard, mut);
