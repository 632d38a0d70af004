//! [`OrderedSet`]: a set sorted once, taken many times.

use std::fmt;
use std::time::{Duration, Instant};

use super::tuples::{Order, ascending, lock_sorted, sealed::Members};
use super::{Take, deadline_after};
use crate::id::LockId;

/// A set of up to 8 locks sorted once, like a prepared statement, to be
/// taken many times: [`lock`](Self::lock) is [`lock_all`](crate::lock_all)
/// without the sort, and allocates nothing.
///
/// Built from the same tuple of members as `lock_all` takes (`&lock` for
/// writing, `lock.for_read()` for reading, any lock types mixed). Building it
/// assigns the locks their ids if they have none yet; a lock's id never
/// changes once assigned, so the order stays right for the set's whole life.
/// The guards come back in argument order and borrow the locks, not the set.
///
/// # Lock order
/// [`lock`](Self::lock) records what `lock_all` records (edges in ascending
/// id order, and from every lock already held) and runs the same set checks
/// (the same lock twice, a held lock above the set's lowest);
/// [`try_lock`](Self::try_lock) and [`try_lock_for`](Self::try_lock_for)
/// record no edge into the set, as [`try_lock_all`](crate::try_lock_all).
///
/// # Examples
///
/// ```
/// use lockgraph::{OrderedSet, Mutex, RwLock};
///
/// let rates = RwLock::named("rates", 2);
/// let total = Mutex::named("total", 1);
/// let step = OrderedSet::new((&total, rates.for_read()));
/// for _ in 0..3 {
///     let (mut total, rates) = step.lock();
///     *total *= *rates;
/// }
/// assert_eq!(*total.lock(), 8);
/// ```
#[derive(Clone, Copy)]
pub struct OrderedSet<S> {
    set: S,
    sorted: Order,
}

impl<S: Members + Copy> OrderedSet<S> {
    /// Sorts the members of `set` (a tuple of 1 to 8 [`SetMember`](crate::SetMember)s:
    /// `&lock`, `lock.for_read()`) by id, once. (`S`'s bound, a tuple of
    /// members, is sealed: the tuples are all there is.)
    ///
    /// # Lock order
    /// Records nothing: no lock is taken (ids are assigned if need be).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{OrderedSet, stdsync::Mutex};
    ///
    /// let (a, b) = (Mutex::new(1), Mutex::new(2));
    /// let set = OrderedSet::new((&b, &a));
    /// assert_eq!(set.ids(), [a.id().min(b.id()), a.id().max(b.id())]);
    /// ```
    pub fn new(set: S) -> Self {
        OrderedSet {
            sorted: ascending(&set),
            set,
        }
    }

    /// Takes every lock of the set in ascending id order and returns the
    /// guards in argument order: [`lock_all`](crate::lock_all) of the set.
    ///
    /// # Lock order
    /// As `lock_all`: edges `lower -> higher` within the set, and `H ->
    /// member` from every lock `H` already held (a set taken before under
    /// the same held locks is tried in argument order and records nothing
    /// new, as `lock_all` says).
    ///
    /// # Panics
    /// As `lock_all`: the same lock twice in the set is a
    /// [`SelfDeadlock`](crate::Violation::SelfDeadlock), a held lock above the
    /// set's lowest an [`OrderViolation`](crate::Violation::OrderViolation).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{OrderedSet, stdsync::Mutex};
    ///
    /// let (a, b) = (Mutex::new(1), Mutex::new(2));
    /// let set = OrderedSet::new((&b, &a));
    /// let (b_guard, a_guard) = set.lock();
    /// assert_eq!((*a_guard.unwrap(), *b_guard.unwrap()), (1, 2));
    /// ```
    #[track_caller]
    #[inline]
    pub fn lock(&self) -> S::Guards {
        lock_sorted(self.set, &self.sorted)
    }

    /// Takes every lock of the set if none is busy, all or nothing:
    /// [`try_lock_all`](crate::try_lock_all) of the set.
    ///
    /// # Lock order
    /// Records no edge into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{OrderedSet, Mutex};
    ///
    /// let (a, b) = (Mutex::new(1), Mutex::new(2));
    /// let set = OrderedSet::new((&a, &b));
    /// let held = a.lock();
    /// assert!(set.try_lock().is_none());
    /// assert!(!b.is_locked());
    /// drop(held);
    /// assert!(set.try_lock().is_some());
    /// ```
    #[track_caller]
    pub fn try_lock(&self) -> Option<S::Guards> {
        self.take(Take::Try)
    }

    /// [`try_lock`](Self::try_lock), waiting up to `timeout` in all for
    /// busy members: [`try_lock_all_for`](crate::try_lock_all_for).
    ///
    /// # Lock order
    /// Records no edge into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lockgraph::{OrderedSet, RwLock};
    ///
    /// let (a, b) = (RwLock::new(1), RwLock::new(2));
    /// let set = OrderedSet::new((a.for_read(), &b));
    /// let reading = std::thread::scope(|s| s.spawn(|| *a.read()).join().unwrap());
    /// let (ra, mut wb) = set.try_lock_for(Duration::from_millis(10)).unwrap();
    /// *wb += *ra + reading;
    /// assert_eq!(*wb, 4);
    /// ```
    #[track_caller]
    pub fn try_lock_for(&self, timeout: Duration) -> Option<S::Guards> {
        self.take(Take::Until(deadline_after(timeout)))
    }

    /// [`try_lock`](Self::try_lock), waiting until `deadline` at most.
    ///
    /// # Lock order
    /// Records no edge into the set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Instant;
    /// use lockgraph::{OrderedSet, Mutex};
    ///
    /// let m = Mutex::new(5);
    /// let set = OrderedSet::new((&m,));
    /// assert_eq!(set.try_lock_until(Instant::now()).map(|(g,)| *g), Some(5));
    /// ```
    #[track_caller]
    pub fn try_lock_until(&self, deadline: Instant) -> Option<S::Guards> {
        self.take(Take::Until(deadline))
    }

    /// The members' ids, ascending: the order the set waits for them in
    /// (a set taken before under the same held locks is tried in argument
    /// order, see [`lock_all`](crate::lock_all)).
    ///
    /// # Lock order
    /// Records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{OrderedSet, Mutex};
    ///
    /// let (a, b) = (Mutex::new(()), Mutex::new(()));
    /// let _ = (a.id(), b.id()); // a first
    /// assert_eq!(OrderedSet::new((&b, &a)).ids(), [a.id(), b.id()]);
    /// ```
    pub fn ids(&self) -> &[LockId] {
        &self.sorted.0[..S::LEN]
    }

    /// The members, as given to [`new`](Self::new).
    ///
    /// # Lock order
    /// Records nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{OrderedSet, Mutex};
    ///
    /// let (a, b) = (Mutex::new(1), Mutex::new(2));
    /// let (first, _) = OrderedSet::new((&a, &b)).members();
    /// assert_eq!(first.id(), a.id());
    /// ```
    pub fn members(&self) -> S {
        self.set
    }

    #[track_caller]
    fn take(&self, how: Take<'_>) -> Option<S::Guards> {
        let (ids, order) = (&self.sorted.0[..S::LEN], &self.sorted.1[..S::LEN]);
        self.set.take_ordered(ids, order, how)
    }
}

impl<S: Members> fmt::Debug for OrderedSet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderedSet")
            .field("ids", &&self.sorted.0[..S::LEN])
            .finish_non_exhaustive()
    }
}
