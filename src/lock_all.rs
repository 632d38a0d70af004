//! Ordered acquisition, the recipe lockgraph starts from: take a set of locks in
//! ascending [`LockId`](crate::LockId) order, whatever order the caller names
//! them in, so two threads locking the same set can never deadlock.

use std::panic::Location;

use crate::acquire;
use crate::report::LockRef;
use crate::{FairMutex, Mutex, ReentrantMutex, RwLock};
use crate::{FairMutexGuard, MutexGuard, ReentrantMutexGuard, RwLockWriteGuard};

mod sealed {
    /// Only lockgraph's lock types can be taken by `lock_all`.
    pub trait Sealed {}
}

/// A lock that [`lock_all`] can take: [`Mutex`], [`FairMutex`],
/// [`ReentrantMutex`], and [`RwLock`] (for writing).
pub trait SetLock: sealed::Sealed {
    /// The guard `lock_all` returns for this lock.
    type Guard<'a>
    where
        Self: 'a;

    /// The lock as reports name it.
    fn lock_ref(&self) -> LockRef;

    /// Takes the lock as a member of a set (a blocking acquisition).
    #[track_caller]
    fn lock_in_set(&self) -> Self::Guard<'_>;
}

macro_rules! set_lock {
    ($Lock:ident, $Guard:ident, $method:ident) => {
        impl<T: ?Sized> sealed::Sealed for $Lock<T> {}

        impl<T: ?Sized> SetLock for $Lock<T> {
            type Guard<'a>
                = $Guard<'a, T>
            where
                T: 'a;

            fn lock_ref(&self) -> LockRef {
                let header = self.header();
                LockRef::new(header.id(), header.origin())
            }

            #[track_caller]
            fn lock_in_set(&self) -> $Guard<'_, T> {
                self.$method()
            }
        }
    };
}

impl<L: SetLock + ?Sized> sealed::Sealed for &L {}

/// A reference to a lock is a lock too, so `&[&Mutex<T>]` is a set.
impl<L: SetLock + ?Sized> SetLock for &L {
    type Guard<'a>
        = L::Guard<'a>
    where
        Self: 'a;

    fn lock_ref(&self) -> LockRef {
        (**self).lock_ref()
    }

    #[track_caller]
    fn lock_in_set(&self) -> Self::Guard<'_> {
        (**self).lock_in_set()
    }
}

set_lock!(Mutex, MutexGuard, lock);
set_lock!(FairMutex, FairMutexGuard, lock);
set_lock!(ReentrantMutex, ReentrantMutexGuard, lock);
set_lock!(RwLock, RwLockWriteGuard, write);

/// A set of locks that [`lock_all`] takes together: a tuple of up to 8
/// references to lock types (mixed freely), or a slice of one lock type.
pub trait LockSet<'a> {
    /// A tuple of guards in argument order (a `Vec` for slices).
    type Guards;

    /// Takes every lock of the set in ascending id order.
    #[track_caller]
    fn lock_set(self) -> Self::Guards;
}

/// The order in which to take `locks`: indices sorted by ascending id. Runs the
/// set checks first (the same lock twice, a held lock above the set's lowest).
#[track_caller]
fn ascending_order(locks: &[LockRef]) -> (Vec<usize>, acquire::SetScope) {
    let mut order: Vec<usize> = (0..locks.len()).collect();
    order.sort_by_key(|&index| locks[index].id());
    let sorted: Vec<LockRef> = order.iter().map(|&index| locks[index].clone()).collect();
    acquire::check_set(&sorted, Location::caller());
    let scope = acquire::taking_set(sorted.iter().map(LockRef::id).collect());
    (order, scope)
}

/// Takes every lock of `set` in ascending [`LockId`](crate::LockId) order,
/// whatever the argument order, and returns the guards in argument order.
///
/// Two threads that take the same set through `lock_all`, in any argument
/// order, can never deadlock on it.
///
/// # Lock order
/// Each lock is a blocking acquisition in ascending id order, so the set
/// records only edges that agree with id order (`lower -> higher`), plus
/// `H -> member` for every lock `H` already held.
///
/// # Panics
/// - The same lock twice in the set is a
///   [`Violation::SelfDeadlock`](crate::Violation::SelfDeadlock): it panics
///   (under `Panic` and `Warn`) instead of hanging.
/// - Holding a lock whose id is higher than the set's lowest is a
///   [`Violation::OrderViolation`](crate::Violation::OrderViolation) (panics
///   under `Panic`).
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
/// // The other argument order takes the locks in the same (id) order.
/// let (b, a) = lock_all((&to, &from));
/// assert_eq!((*a, *b), (70, 30));
/// drop((a, b));
///
/// // Slices give a Vec of guards in slice order.
/// let accounts = [Mutex::new(1), Mutex::new(2), Mutex::new(3)];
/// let guards = lock_all(&accounts[..]);
/// assert_eq!(guards.iter().map(|g| **g).sum::<i32>(), 6);
/// ```
#[track_caller]
pub fn lock_all<'a, S: LockSet<'a>>(set: S) -> S::Guards {
    set.lock_set()
}

macro_rules! tuple_set {
    ($(($L:ident, $guard:ident, $index:tt)),+) => {
        impl<'a, $($L: SetLock + ?Sized),+> LockSet<'a> for ($(&'a $L,)+) {
            type Guards = ($($L::Guard<'a>,)+);

            #[track_caller]
            fn lock_set(self) -> Self::Guards {
                let (order, _set) = ascending_order(&[$(self.$index.lock_ref()),+]);
                $(let mut $guard = None;)+
                for index in order {
                    match index {
                        $($index => $guard = Some(self.$index.lock_in_set()),)+
                        _ => unreachable!("index out of the tuple"),
                    }
                }
                ($($guard.expect("every member was taken"),)+)
            }
        }
    };
}

/// `tuple_set!` for every prefix of the list: tuples of 1 to 8 locks.
macro_rules! tuple_sets {
    ([$($done:tt)*]) => {};
    ([$($done:tt)*] $next:tt $($rest:tt)*) => {
        tuple_set!($($done,)* $next);
        tuple_sets!([$($done)* $next] $($rest)*);
    };
}

tuple_sets!([](A, a, 0)(B, b, 1)(C, c, 2)(D, d, 3)(E, e, 4)(F, f, 5)(
    G, g, 6
)(H, h, 7));

/// Takes the locks of a slice in ascending id order; guards in slice order.
#[track_caller]
fn lock_slice<'a, L: SetLock + ?Sized + 'a>(locks: &[&'a L]) -> Vec<L::Guard<'a>> {
    let refs: Vec<LockRef> = locks.iter().map(|lock| lock.lock_ref()).collect();
    let mut guards: Vec<Option<L::Guard<'a>>> = locks.iter().map(|_| None).collect();
    let (order, _set) = ascending_order(&refs);
    for index in order {
        guards[index] = Some(locks[index].lock_in_set());
    }
    guards
        .into_iter()
        .map(|g| g.expect("every member was taken"))
        .collect()
}

impl<'a, L: SetLock> LockSet<'a> for &'a [L] {
    type Guards = Vec<L::Guard<'a>>;

    #[track_caller]
    fn lock_set(self) -> Self::Guards {
        lock_slice(&self.iter().collect::<Vec<_>>())
    }
}
