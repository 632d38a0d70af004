//! Ordered acquisition, the recipe lockgraph starts from: take a set of locks in
//! ascending [`LockId`] order, whatever order the caller names them in, so two
//! threads locking the same set can never deadlock.
//!
//! - [`lock_all`] takes a set (a tuple of up to 8 members, or a slice),
//!   blocking; [`try_lock_all`], [`try_lock_all_for`] and
//!   [`try_lock_all_until`] take all of it or nothing, without blocking
//!   forever.
//! - A member is `&lock` (taken for writing) or `lock.for_read()` (a
//!   [`ForRead`], taken for reading), of any lock type: the crate root's and
//!   [`stdsync`](crate::stdsync)'s, mixed freely.
//! - [`OrderedSet`] sorts a set once and takes it many times.
//! - [`SetLock`] (and [`SetReadLock`]) is all a lock type needs to be a member.

mod members;
mod ordered;
mod tuples;

use std::panic::Location;
use std::time::{Duration, Instant};

use crate::acquire::{self, SetChain};
use crate::id::LockId;
use crate::report::LockRef;

pub use members::ForRead;
pub use ordered::OrderedSet;

/// A lock type that [`lock_all`] and the other set acquisitions can take:
/// every lockgraph lock ([`Mutex`](crate::Mutex),
/// [`FairMutex`](crate::FairMutex), [`ReentrantMutex`](crate::ReentrantMutex),
/// [`RwLock`](crate::RwLock) for writing, and
/// [`stdsync::Mutex`](crate::stdsync::Mutex) and
/// [`stdsync::RwLock`](crate::stdsync::RwLock)), references to them, and
/// [`ForRead`].
///
/// `&lock` is then a set member (see [`SetMember`]). The guard is whatever
/// the lock type's own blocking acquisition returns: for `stdsync` locks a
/// [`LockResult`](std::sync::LockResult), which says whether that lock was
/// poisoned and hands out its guard either way.
///
/// # Implementing it for a new lock type
///
/// A lock type joins every set by implementing this trait (and
/// [`SetReadLock`] if it can be read): name the lock, and take it the three
/// ways, each through the type's own acquisitions (the blocking one checked
/// and recorded as usual; the `try` ones recording no edge into the lock).
/// The set code does the sorting, the set checks, and the all-or-nothing
/// release. A type built on a lockgraph lock forwards to it:
///
/// ```
/// use std::time::Instant;
/// use lockgraph::report::LockRef;
/// use lockgraph::{lock_all, try_lock_all, Mutex, MutexGuard, SetLock};
///
/// /// An account: a balance behind a lock.
/// struct Account {
///     balance: Mutex<i64>,
/// }
///
/// impl SetLock for Account {
///     type Guard<'a> = MutexGuard<'a, i64>;
///
///     fn lock_ref(&self) -> LockRef {
///         self.balance.lock_ref()
///     }
///     fn lock_in_set(&self) -> Self::Guard<'_> {
///         self.balance.lock()
///     }
///     fn try_lock_in_set(&self) -> Option<Self::Guard<'_>> {
///         self.balance.try_lock()
///     }
///     fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>> {
///         self.balance.try_lock_until(deadline)
///     }
/// }
///
/// let (from, to) = (Account { balance: Mutex::new(50) }, Account { balance: Mutex::new(0) });
/// let (mut a, mut b) = lock_all((&from, &to));
/// (*a, *b) = (*a - 20, *b + 20);
/// drop((a, b));
/// let (a, b) = try_lock_all((&to, &from)).expect("free");
/// assert_eq!((*a, *b), (20, 30));
/// ```
///
/// Every lockgraph lock implements it, the [`lock_api`](crate::lock_api)
/// wrappers too, so all of them mix in one set; a lock type added later
/// does the same.
///
/// # Lock order
/// Whatever the type's own acquisitions record: `lock_in_set` is a blocking
/// acquisition (edges `H -> lock` for every held `H`), the `try` forms record
/// no edge into the lock.
pub trait SetLock {
    /// The guard a set returns for this lock.
    type Guard<'a>
    where
        Self: 'a;

    /// The lock as reports name it (its id and name or creation site).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{Mutex, SetLock};
    /// let m = Mutex::named("m", ());
    /// assert_eq!(m.lock_ref().name(), Some("m"));
    /// ```
    fn lock_ref(&self) -> LockRef;

    /// The lock's id (assigned now if it was never used); the order a set
    /// takes it in. The default reads it from [`lock_ref`](Self::lock_ref).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{stdsync::Mutex, SetLock};
    /// let m = Mutex::new(());
    /// assert_eq!(m.lock_id(), m.id());
    /// ```
    fn lock_id(&self) -> LockId {
        self.lock_ref().id()
    }

    /// Takes the lock as a member of a set: a blocking acquisition (for
    /// writing, for a reader-writer lock).
    ///
    /// # Lock order
    /// Records `H -> lock` for every held lock `H`, checked before blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, SetLock};
    /// let lock = RwLock::new(1);
    /// *lock.lock_in_set() += 1; // a write
    /// assert_eq!(*lock.read(), 2);
    /// ```
    #[track_caller]
    fn lock_in_set(&self) -> Self::Guard<'_>;

    /// Takes the lock if that needs no wait; `None` if it is busy (also when
    /// this thread holds it, for a lock that is not reentrant).
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{stdsync::Mutex, SetLock};
    /// let m = Mutex::new(1);
    /// let held = m.try_lock_in_set().expect("free");
    /// assert!(m.try_lock_in_set().is_none()); // busy
    /// assert_eq!(*held.unwrap(), 1); // a LockResult: not poisoned
    /// ```
    #[track_caller]
    fn try_lock_in_set(&self) -> Option<Self::Guard<'_>>;

    /// Takes the lock, waiting at most until `deadline`; `None` if it is
    /// still busy then (at once when this thread holds it, for a lock that is
    /// not reentrant).
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use lockgraph::{Mutex, SetLock};
    /// let m = Mutex::new(());
    /// let _held = m.lock();
    /// let deadline = Instant::now() + Duration::from_millis(5);
    /// assert!(m.try_lock_in_set_until(deadline).is_none()); // held here: at once
    /// ```
    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Self::Guard<'_>>;

    /// Not part of the API (its argument cannot be named outside the crate):
    /// takes the lock as a member of a set that this thread has taken before
    /// under the same held set, with nothing to check or record but the
    /// acquisition itself; `None`, taking nothing, if that does not apply
    /// (the set then takes every member with
    /// [`lock_in_set`](Self::lock_in_set)). The default always declines.
    ///
    /// # Lock order
    /// Records no edge: every edge into the lock is in the graph already.
    #[doc(hidden)]
    #[track_caller]
    #[inline(always)]
    fn lock_known_in_set(&self, chain: &SetChain) -> Option<Self::Guard<'_>> {
        let _ = chain;
        None
    }
}

/// A [`SetLock`] that can also be taken for reading: a member
/// [`ForRead`] of it (`lock.for_read()`) is read, not written. Implemented
/// by [`RwLock`](crate::RwLock) and [`stdsync::RwLock`](crate::stdsync::RwLock);
/// a new reader-writer lock type implements it as [`SetLock`] (with its read
/// acquisitions).
///
/// # Lock order
/// As [`SetLock`]: the blocking read records edges into the lock, the `try`
/// forms do not.
///
/// # Examples
///
/// ```
/// use lockgraph::{lock_all, RwLock, SetReadLock};
///
/// let table = RwLock::new(vec![1, 2]);
/// let guard = table.read_in_set(); // what `lock_all((table.for_read(),))` does
/// assert_eq!(guard.len(), 2);
/// ```
pub trait SetReadLock: SetLock {
    /// The guard a set returns for a read of this lock.
    type ReadGuard<'a>
    where
        Self: 'a;

    /// Takes the lock for reading, as a member of a set (blocking).
    ///
    /// # Lock order
    /// Records `H -> lock` for every held lock `H`, checked before blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{stdsync::RwLock, SetReadLock};
    /// let lock = RwLock::new(3);
    /// assert_eq!(*lock.read_in_set().unwrap(), 3);
    /// ```
    #[track_caller]
    fn read_in_set(&self) -> Self::ReadGuard<'_>;

    /// Takes the lock for reading if that needs no wait.
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, SetReadLock};
    /// let lock = RwLock::new(3);
    /// let writing = lock.write();
    /// assert!(lock.try_read_in_set().is_none());
    /// drop(writing);
    /// assert!(lock.try_read_in_set().is_some());
    /// ```
    #[track_caller]
    fn try_read_in_set(&self) -> Option<Self::ReadGuard<'_>>;

    /// Takes the lock for reading, waiting at most until `deadline`.
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{RwLock, SetReadLock};
    /// let lock = RwLock::new(3);
    /// assert!(lock.try_read_in_set_until(Instant::now()).is_some());
    /// ```
    #[track_caller]
    fn try_read_in_set_until(&self, deadline: Instant) -> Option<Self::ReadGuard<'_>>;

    /// Not part of the API: [`SetLock::lock_known_in_set`] for a read.
    ///
    /// # Lock order
    /// Records no edge: every edge into the lock is in the graph already.
    #[doc(hidden)]
    #[track_caller]
    #[inline(always)]
    fn read_known_in_set(&self, chain: &SetChain) -> Option<Self::ReadGuard<'_>> {
        let _ = chain;
        None
    }
}

/// One member of a set, as a tuple passed to [`lock_all`] holds it: `&lock`
/// for any [`SetLock`] (taken for writing), or a [`ForRead`] (taken for
/// reading). A member is a `Copy` handle on a lock; its guard borrows the
/// lock, not the member or the tuple.
///
/// Implemented for `&L` and `ForRead<'_, L>`; a new lock type implements
/// [`SetLock`] instead.
///
/// # Lock order
/// As the lock's [`SetLock`] or [`SetReadLock`] acquisitions.
///
/// # Examples
///
/// ```
/// use lockgraph::{Mutex, RwLock, SetMember};
///
/// fn ids<A: SetMember, B: SetMember>(a: A, b: B) -> (u64, u64) {
///     (a.lock_id().as_u64(), b.lock_id().as_u64())
/// }
/// let (m, r) = (Mutex::new(()), RwLock::new(()));
/// assert_eq!(ids(&m, r.for_read()), (m.id().as_u64(), r.id().as_u64()));
/// ```
pub trait SetMember: Copy {
    /// The guard this member gives.
    type Guard;

    /// The member's lock as reports name it.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, SetMember};
    /// let lock = RwLock::named("table", ());
    /// assert_eq!(lock.for_read().lock_ref().name(), Some("table"));
    /// ```
    fn lock_ref(&self) -> LockRef;

    /// The member's lock id.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{Mutex, SetMember};
    /// let m = Mutex::new(());
    /// assert_eq!((&m).lock_id(), m.id());
    /// ```
    fn lock_id(&self) -> LockId {
        self.lock_ref().id()
    }

    /// Takes the member (blocking).
    ///
    /// # Lock order
    /// Records `H -> lock` for every held lock `H`, checked before blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{RwLock, SetMember};
    /// let lock = RwLock::new(1);
    /// let reading = lock.for_read().lock_member();
    /// assert_eq!(*reading, 1);
    /// ```
    #[track_caller]
    fn lock_member(self) -> Self::Guard;

    /// Takes the member if that needs no wait.
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{Mutex, SetMember};
    /// let m = Mutex::new(1);
    /// assert_eq!((&m).try_lock_member().map(|g| *g), Some(1));
    /// ```
    #[track_caller]
    fn try_lock_member(self) -> Option<Self::Guard>;

    /// Takes the member, waiting at most until `deadline`.
    ///
    /// # Lock order
    /// Records no edge into the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{stdsync::Mutex, SetMember};
    /// let m = Mutex::new(1);
    /// assert!((&m).try_lock_member_until(Instant::now()).is_some());
    /// ```
    #[track_caller]
    fn try_lock_member_until(self, deadline: Instant) -> Option<Self::Guard>;

    /// Not part of the API: [`SetLock::lock_known_in_set`] for the member.
    ///
    /// # Lock order
    /// Records no edge: every edge into the lock is in the graph already.
    #[doc(hidden)]
    #[track_caller]
    #[inline(always)]
    fn take_known(self, chain: &SetChain) -> Option<Self::Guard> {
        let _ = chain;
        None
    }
}

/// A set of locks that [`lock_all`] takes together: a tuple of 1 to 8
/// [`SetMember`]s (`&lock`, `lock.for_read()`, of any lock types, mixed
/// freely), or a slice of one [`SetLock`] type (`&[Mutex<T>]`,
/// `&[&stdsync::Mutex<T>]`, `&[ForRead<'_, RwLock<T>>]`, ...).
///
/// The guards come back in argument order: a tuple of guards for a tuple, a
/// `Vec` for a slice. They borrow the locks, not the set.
///
/// # Lock order
/// See [`lock_all`] (blocking) and [`try_lock_all`] (no edge into the set).
///
/// # Examples
///
/// ```
/// use lockgraph::{LockSet, Mutex};
///
/// let (a, b) = (Mutex::new(1), Mutex::new(2));
/// let (ga, gb) = (&b, &a).try_lock_set().map(|(gb, ga)| (ga, gb)).unwrap();
/// assert_eq!(*ga + *gb, 3);
/// ```
pub trait LockSet<'a>: Sized {
    /// The guards, in argument order.
    type Guards;

    /// Takes every lock of the set in ascending id order: [`lock_all`].
    ///
    /// # Lock order
    /// As [`lock_all`]: ascending edges within the set, and from every held lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{LockSet, Mutex};
    /// let locks = [Mutex::new(1), Mutex::new(2)];
    /// assert_eq!(locks[..].lock_set().len(), 2);
    /// ```
    #[track_caller]
    fn lock_set(self) -> Self::Guards;

    /// Tries every lock of the set in ascending id order, all or nothing:
    /// [`try_lock_all`].
    ///
    /// # Lock order
    /// Records no edge into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{LockSet, Mutex};
    /// let locks = [Mutex::new(1), Mutex::new(2)];
    /// let held = locks[1].lock();
    /// assert!(locks[..].try_lock_set().is_none());
    /// assert!(!locks[0].is_locked());
    /// drop(held);
    /// ```
    #[track_caller]
    fn try_lock_set(self) -> Option<Self::Guards>;

    /// [`try_lock_set`](Self::try_lock_set), each lock waited for until
    /// `deadline`: [`try_lock_all_until`].
    ///
    /// # Lock order
    /// Records no edge into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{LockSet, RwLock};
    /// let (a, b) = (RwLock::new(1), RwLock::new(2));
    /// let (ra, wb) = (a.for_read(), &b).try_lock_set_until(Instant::now()).unwrap();
    /// assert_eq!(*ra + *wb, 3);
    /// ```
    #[track_caller]
    fn try_lock_set_until(self, deadline: Instant) -> Option<Self::Guards>;
}

/// How the members of a set are taken (not nameable outside the crate).
#[derive(Clone, Copy)]
pub enum Take<'c> {
    /// Blocking.
    Block,
    /// If no wait is needed.
    Try,
    /// Waiting at most until then.
    Until(Instant),
    /// On the known path of a slice set (taken before under the same held
    /// set): tried and recorded with no check. A tuple tries its members
    /// in argument order in its own code.
    Known(&'c SetChain),
}

/// Takes `member` as `how` says.
#[track_caller]
#[inline(always)]
fn take<M: SetMember>(member: M, how: Take<'_>) -> Option<M::Guard> {
    match how {
        Take::Block => {
            crate::tracker::before_member();
            Some(member.lock_member())
        }
        Take::Try => member.try_lock_member(),
        Take::Until(deadline) => member.try_lock_member_until(deadline),
        Take::Known(chain) => member.take_known(chain),
    }
}

/// The set checks before a blocking set acquisition, on the members' ids in
/// ascending order: the same lock twice, a held lock above the lowest. The
/// returned scope, kept while the members are taken, says that their edges
/// among themselves make no class edges (ids order instances, not classes).
#[track_caller]
#[inline]
#[must_use]
fn check_set(ascending: &[LockId], describe: &dyn Fn(usize) -> LockRef) -> acquire::SetScope {
    acquire::check_set(ascending, describe, Location::caller())
}

/// `now + timeout`, or a deadline so far away that it never comes.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    let far = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(timeout)
        .or_else(|| now.checked_add(far))
        .unwrap_or(now)
}

/// Takes every lock of `set` in ascending [`LockId`] order, whatever the
/// argument order (or tries them, see "Lock order"), and returns the guards
/// in argument order.
///
/// Two threads that take the same set through `lock_all`, in any argument
/// order, can never deadlock on it. A set is a tuple of up to 8 members —
/// `&lock` (for writing) or `lock.for_read()` (for reading), of any lockgraph
/// lock types mixed — or a slice of one lock type (see [`LockSet`]).
///
/// A `stdsync` member's guard is std's [`LockResult`](std::sync::LockResult):
/// `Err(PoisonError)` says that lock is poisoned, and still holds its guard,
/// as [`stdsync::Mutex::lock`](crate::stdsync::Mutex::lock) does. Every lock
/// is taken either way.
///
/// The guards may be dropped in any order. A tuple's locks are held (in the
/// thread's held set) in argument order, so guards bound in argument order,
/// `let (a, b) = lock_all((&x, &y))`, and dropped at the end of the scope,
/// last first, each let go of the most recent lock: the cheapest release.
///
/// # Lock order
/// Each lock is a blocking acquisition in ascending id order, so the set
/// records only edges that agree with id order (`lower -> higher`, a read
/// like a write), plus `H -> member` for every lock `H` already held.
/// A set this thread has taken before under the same held locks, with
/// nothing to report, is *tried* in argument order instead (a slice's in id
/// order; a try never blocks, so no order of tries can deadlock) and
/// records nothing new, at the cost of the same locks taken one by one; if
/// a member is busy, or the set is not known, the locks tried are let go
/// and the set waits for them in ascending id order.
/// [`Mode::Ascending`](crate::Mode::Ascending) checks each member as it
/// checks any blocking acquisition, so a set never breaks it.
///
/// # Panics
/// - The same lock twice in the set (also once read and once written) is a
///   [`Violation::SelfDeadlock`](crate::Violation::SelfDeadlock): it panics
///   (under `Panic` and `Warn`) instead of hanging, before any lock is
///   waited for (the known path may have tried and let go of some).
/// - Holding a lock whose id is higher than the set's lowest is a
///   [`Violation::OrderViolation`](crate::Violation::OrderViolation) (panics
///   under `Panic`, before any lock is waited for).
/// - Any member's own report, as its blocking acquisition would make it
///   (the members taken before it are released by the unwinding).
///
/// # Examples
///
/// ```
/// use lockgraph::{lock_all, Mutex, RwLock};
///
/// let from = Mutex::named("from", 100);
/// let to = Mutex::named("to", 0);
/// let audit = RwLock::named("audit", Vec::new());
///
/// let (mut a, mut b, mut log) = lock_all((&from, &to, &audit));
/// *a -= 30;
/// *b += 30;
/// log.push("moved 30");
/// drop((a, b, log));
///
/// // The other argument order takes the locks in the same (id) order;
/// // `for_read` takes a reader-writer lock for reading.
/// let (b, a, log) = lock_all((&to, &from, audit.for_read()));
/// assert_eq!((*a, *b, log.len()), (70, 30, 1));
/// drop((a, b, log));
///
/// // Slices give a Vec of guards in slice order.
/// let accounts = [Mutex::new(1), Mutex::new(2), Mutex::new(3)];
/// let guards = lock_all(&accounts[..]);
/// assert_eq!(guards.iter().map(|g| **g).sum::<i32>(), 6);
/// ```
///
/// The std flavour, with std's poisoning:
///
/// ```
/// use lockgraph::lock_all;
/// use lockgraph::stdsync::{Mutex, RwLock};
///
/// let stock = Mutex::named("stock", 10);
/// let orders = RwLock::named("orders", vec![3]);
/// let _ = std::panic::catch_unwind(|| {
///     let _writing = orders.write().unwrap();
///     panic!("a bug while writing orders"); // poisons `orders`
/// });
///
/// let (orders, stock) = lock_all((orders.for_read(), &stock));
/// let mut stock = stock.unwrap(); // not poisoned
/// let orders = orders.unwrap_or_else(|poisoned| poisoned.into_inner()); // poisoned, still held
/// *stock -= orders.iter().sum::<i32>();
/// assert_eq!(*stock, 7);
/// ```
#[track_caller]
#[inline(always)]
pub fn lock_all<'a, S: LockSet<'a>>(set: S) -> S::Guards {
    set.lock_set()
}

/// Takes every lock of `set` if none of them is busy, in ascending id order,
/// and returns the guards in argument order; otherwise takes nothing and
/// returns `None`. It never blocks.
///
/// All or nothing: the members are tried in ascending id order, and at the
/// first busy one those already taken are released (in reverse order) before
/// `None` comes back. A member this thread already holds is busy (unless
/// the lock is reentrant), so the same lock twice in the set is `None`, not a
/// report. A poisoned `stdsync` member is not busy: it is taken, and its
/// guard is `Err(PoisonError)` inside the `Some`.
///
/// # Lock order
/// Records no edge into any member (no `try` can block forever), and no
/// set check runs ([`Mode::Ascending`](crate::Mode::Ascending) does not
/// apply to `try` acquisitions). While the guards are held, later blocking
/// acquisitions get edges from the members.
///
/// # Examples
///
/// ```
/// use lockgraph::{try_lock_all, Mutex};
///
/// let (a, b) = (Mutex::new(1), Mutex::new(2));
/// let held = b.lock();
/// assert!(try_lock_all((&a, &b)).is_none());
/// assert!(!a.is_locked(), "nothing stays held");
/// drop(held);
/// let (ga, gb) = try_lock_all((&a, &b)).unwrap();
/// assert_eq!(*ga + *gb, 3);
/// ```
#[track_caller]
pub fn try_lock_all<'a, S: LockSet<'a>>(set: S) -> Option<S::Guards> {
    set.try_lock_set()
}

/// [`try_lock_all`], waiting up to `timeout` in all (one deadline for the
/// whole set) for the members that are busy: all the guards, or `None` and
/// nothing held.
///
/// # Lock order
/// As [`try_lock_all`]: a timed wait cannot block forever, so it records no
/// edge into any member.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use lockgraph::{try_lock_all_for, stdsync::Mutex};
///
/// let (a, b) = (Mutex::new(1), Mutex::new(2));
/// let held = a.lock().unwrap();
/// std::thread::scope(|s| {
///     let start = Instant::now();
///     let other = s.spawn(|| try_lock_all_for((&b, &a), Duration::from_millis(20)).is_none());
///     assert!(other.join().unwrap());
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// drop(held);
/// let (gb, ga) = try_lock_all_for((&b, &a), Duration::from_millis(20)).unwrap();
/// assert_eq!(*ga.unwrap() + *gb.unwrap(), 3);
/// ```
#[track_caller]
pub fn try_lock_all_for<'a, S: LockSet<'a>>(set: S, timeout: Duration) -> Option<S::Guards> {
    set.try_lock_set_until(deadline_after(timeout))
}

/// [`try_lock_all_for`] with the deadline given: every member is waited for
/// until `deadline` at most.
///
/// # Lock order
/// As [`try_lock_all`]: no edge into any member.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use lockgraph::{try_lock_all_until, RwLock};
///
/// let (a, b) = (RwLock::new(1), RwLock::new(2));
/// let deadline = Instant::now() + Duration::from_millis(5);
/// let (ra, rb) = try_lock_all_until((a.for_read(), b.for_read()), deadline).unwrap();
/// assert_eq!(*ra + *rb, 3);
/// ```
#[track_caller]
pub fn try_lock_all_until<'a, S: LockSet<'a>>(set: S, deadline: Instant) -> Option<S::Guards> {
    set.try_lock_set_until(deadline)
}
