//! [`LockSet`] for tuples of 1 to 8 members (no allocation: the order is a
//! small array) and for slices of one lock type.

use std::time::Instant;

use super::{LockSet, SetLock, SetMember, Take, check_set, take};
use crate::acquire::SetChain;
use crate::id::LockId;

/// The most members a tuple set has.
pub(crate) const MAX: usize = 8;

/// A set's members' ids in ascending order, and for each the member's
/// position in the tuple.
pub(crate) type Order = ([LockId; MAX], [u8; MAX]);

pub(crate) mod sealed {
    use super::{LockId, MAX, SetChain, Take};
    use crate::report::LockRef;

    /// A tuple of members, reachable by position (not nameable outside the
    /// crate: the tuples' impls are all there is).
    pub trait Members {
        /// The guards, in argument order.
        type Guards;
        /// The number of members.
        const LEN: usize;
        /// The members' ids in argument order (past `LEN`: zero).
        fn ids(&self) -> [LockId; MAX];
        /// The member at `position`, as reports name it.
        fn describe(&self, position: usize) -> LockRef;
        /// Takes the members at the positions `order` gives, in that order
        /// (their ids, ascending: `ids`), as `how` says, their held entries
        /// then put in the tuple's order; at the first that is not taken,
        /// releases those taken (in reverse) and returns `None`.
        #[track_caller]
        fn take_ordered(self, ids: &[LockId], order: &[u8], how: Take<'_>) -> Option<Self::Guards>;
        /// Tries every member in argument order on the known path (see
        /// [`SetChain`]): the guards, or `None` with nothing taken.
        fn take_known(self, chain: &SetChain) -> Option<Self::Guards>;
        /// Takes the members at the positions `order` gives, in that order,
        /// blocking.
        #[track_caller]
        fn lock_ordered(self, order: &[u8]) -> Self::Guards;
    }
}

use sealed::Members;

/// The members' ids sorted ascending (a stable insertion sort: at most 8),
/// with their positions.
#[inline(always)]
pub(crate) fn ascending<S: Members>(set: &S) -> Order {
    let mut ids = set.ids();
    let mut order = [0, 1, 2, 3, 4, 5, 6, 7];
    for i in 1..S::LEN {
        let mut j = i;
        while j > 0 && ids[j - 1] > ids[j] {
            ids.swap(j - 1, j);
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    (ids, order)
}

/// A blocking acquisition of a tuple set already sorted as `(ids, order)`:
/// the known path, else the set checks, then every member in ascending
/// order.
#[track_caller]
#[inline(always)]
pub(crate) fn lock_sorted<S: Members + Copy>(set: S, sorted: &Order) -> S::Guards {
    if let Some(guards) = take_known(set) {
        return guards;
    }
    lock_sorted_usual(set, sorted)
}

/// The usual path of [`lock_sorted`], out of line as [`lock_set_usual`].
#[track_caller]
#[inline(never)]
fn lock_sorted_usual<S: Members + Copy>(set: S, (ids, order): &Order) -> S::Guards {
    lock_usual(set, &ids[..S::LEN], &order[..S::LEN])
}

/// The usual path of a tuple set sorted as `(ids, order)`: the set checks,
/// then every member in ascending order.
#[track_caller]
#[inline(always)]
fn lock_usual<S: Members + Copy>(set: S, ids: &[LockId], order: &[u8]) -> S::Guards {
    let guards = {
        let _scope = check_set(ids, &|i| set.describe(usize::from(order[i])));
        set.lock_ordered(order)
    };
    // Once the set's scope has looked at the members in id order.
    crate::tracker::finish_usual_set(ids, Some(order));
    guards
}

/// A blocking acquisition of a tuple set on the usual path: the set
/// checks, then every member in ascending order. Out of line: the known
/// path needs no ids.
#[track_caller]
#[inline(never)]
fn lock_set_usual<S: Members + Copy>(set: S) -> S::Guards {
    let (ids, order) = ascending(&set);
    lock_usual(set, &ids[..S::LEN], &order[..S::LEN])
}

/// A blocking acquisition of a tuple set on the known path (see
/// [`crate::acquire::SetChain`]): every member tried in argument order and
/// recorded with no check, or `None` with nothing taken, and the set takes
/// the usual path.
#[track_caller]
#[inline(always)]
fn take_known<S: Members>(set: S) -> Option<S::Guards> {
    let chain = crate::tracker::start_known_set(S::LEN)?;
    set.take_known(&chain)
}

macro_rules! tuple_set {
    ($(($M:ident, $guard:ident, $index:tt)),+) => {
        impl<$($M: SetMember),+> Members for ($($M,)+) {
            type Guards = ($($M::Guard,)+);
            const LEN: usize = [$($index),+].len();

            #[inline(always)]
            fn ids(&self) -> [LockId; MAX] {
                let mut ids = [LockId::from_u64(0); MAX];
                $(ids[$index] = self.$index.lock_id();)+
                ids
            }

            fn describe(&self, position: usize) -> crate::report::LockRef {
                match position {
                    $($index => self.$index.lock_ref(),)+
                    _ => unreachable!("a position out of the tuple"),
                }
            }

            #[track_caller]
            #[inline(always)]
            fn lock_ordered(self, order: &[u8]) -> Self::Guards {
                // Named in id order already (the common case): straight
                // through, a tuple expression is evaluated left to right.
                if order.iter().enumerate().all(|(i, &p)| usize::from(p) == i) {
                    // (The first member's key was salted when the set was
                    // entered.)
                    return ($({
                        if $index != 0 {
                            crate::tracker::before_member();
                        }
                        self.$index.lock_member()
                    },)+);
                }
                $(let mut $guard = None;)+
                for &position in order {
                    match position {
                        $($index => {
                            crate::tracker::before_member();
                            $guard = Some(self.$index.lock_member());
                        })+
                        _ => unreachable!("a position out of the tuple"),
                    }
                }
                ($(match $guard {
                    Some(guard) => guard,
                    None => unreachable!("every member is taken"),
                },)+)
            }

            #[track_caller]
            #[inline(always)]
            fn take_known(self, chain: &SetChain) -> Option<Self::Guards> {
                // In argument order, straight through (tries: the order
                // cannot deadlock); a member that cannot be taken ends the
                // tuple expression, and the guards made so far are
                // dropped, last first.
                Some(($(self.$index.take_known(chain)?,)+))
            }

            // Always inlined: out of line, the known path's call would take
            // the chain's address, which keeps it in memory on the paths
            // above too.
            #[track_caller]
            #[inline(always)]
            fn take_ordered(
                self,
                ids: &[LockId],
                order: &[u8],
                how: Take<'_>,
            ) -> Option<Self::Guards> {
                $(let mut $guard = None;)+
                for (taken, &position) in order.iter().enumerate() {
                    let got = match position {
                        $($index => {
                            $guard = take(self.$index, how);
                            $guard.is_some()
                        })+
                        _ => unreachable!("a position out of the tuple"),
                    };
                    if !got {
                        // All or nothing: let go of what was taken, last first.
                        for &position in order[..taken].iter().rev() {
                            match position {
                                $($index => drop($guard.take()),)+
                                _ => {}
                            }
                        }
                        return None;
                    }
                }
                crate::tracker::name_set_order(ids, order);
                Some(($($guard?,)+))
            }
        }

        impl<'a, $($M: SetMember),+> LockSet<'a> for ($($M,)+) {
            type Guards = ($($M::Guard,)+);

            #[track_caller]
            #[inline(always)]
            fn lock_set(self) -> Self::Guards {
                if let Some(guards) = take_known(self) {
                    return guards;
                }
                lock_set_usual(self)
            }

            #[track_caller]
            fn try_lock_set(self) -> Option<Self::Guards> {
                let (ids, order) = ascending(&self);
                self.take_ordered(&ids[..Self::LEN], &order[..Self::LEN], Take::Try)
            }

            #[track_caller]
            fn try_lock_set_until(self, deadline: Instant) -> Option<Self::Guards> {
                let (ids, order) = ascending(&self);
                let how = Take::Until(deadline);
                self.take_ordered(&ids[..Self::LEN], &order[..Self::LEN], how)
            }
        }
    };
}

/// `tuple_set!` for every prefix of the list: tuples of 1 to 8 members.
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

/// The slice's ids sorted ascending, with each one's index.
fn slice_order<L: SetLock>(locks: &[L]) -> (Vec<LockId>, Vec<usize>) {
    let mut keyed: Vec<(LockId, usize)> = locks
        .iter()
        .enumerate()
        .map(|(index, lock)| (lock.lock_id(), index))
        .collect();
    keyed.sort_by_key(|&(id, _)| id); // stable: equal ids keep slice order
    keyed.into_iter().unzip()
}

/// Takes the locks of a slice at the indices `order` gives, in that order;
/// all or nothing, as `Members::take_ordered`.
#[track_caller]
fn take_slice<'a, L: SetLock>(
    locks: &'a [L],
    order: &[usize],
    how: Take<'_>,
) -> Option<Vec<L::Guard<'a>>> {
    let mut guards: Vec<Option<L::Guard<'a>>> = locks.iter().map(|_| None).collect();
    for (taken, &index) in order.iter().enumerate() {
        match take(&locks[index], how) {
            Some(guard) => guards[index] = Some(guard),
            None => {
                for &index in order[..taken].iter().rev() {
                    guards[index] = None;
                }
                return None;
            }
        }
    }
    guards.into_iter().collect()
}

impl<'a, L: SetLock> LockSet<'a> for &'a [L] {
    type Guards = Vec<L::Guard<'a>>;

    #[track_caller]
    fn lock_set(self) -> Self::Guards {
        // Tried in id order on the known path too (see `known_set`): the
        // entries stay in id order either way.
        let (ids, order) = slice_order(self);
        if let Some(chain) = crate::tracker::start_known_set(ids.len())
            && let Some(guards) = take_slice(self, &order, Take::Known(&chain))
        {
            return guards;
        }
        let guards = {
            let _scope = check_set(&ids, &|i| self[order[i]].lock_ref());
            take_slice(self, &order, Take::Block)
        };
        crate::tracker::finish_usual_set(&ids, None);
        match guards {
            Some(guards) => guards,
            None => unreachable!("a blocking acquisition always takes its lock"),
        }
    }

    #[track_caller]
    fn try_lock_set(self) -> Option<Self::Guards> {
        let (_, order) = slice_order(self);
        take_slice(self, &order, Take::Try)
    }

    #[track_caller]
    fn try_lock_set_until(self, deadline: Instant) -> Option<Self::Guards> {
        let (_, order) = slice_order(self);
        take_slice(self, &order, Take::Until(deadline))
    }
}
