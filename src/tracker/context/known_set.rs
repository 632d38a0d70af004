//! A `lock_all` set whose every member this thread has taken before under
//! the same held set: taken with no set bookkeeping at all.
//!
//! A blocking set normally runs its set checks, enters a scope (its members
//! kept in the thread's state, a salt mixed into the chain key of the entry
//! each member is taken under, see `HeldLocks::salt_chains`) so that the
//! orders among its members make no class edges, and takes its members in
//! ascending id order. That matters only when something is recorded or
//! reported. When the scope ends, the set checks found nothing, and every
//! member's acquisition, with its salted key, is in the chain cache by then
//! (checked clean, its edges recorded), the set's held entries are put in its own
//! (argument) order and one more key goes in the cache: the *set key*, made
//! of the chain key of the held set with the members on top and the number
//! of members ([`set_key`]).
//!
//! The next time, each member is *tried* in argument order and pushed with
//! its one-by-one key (a multiplication each), and the last member looks the
//! set key up before it is pushed. No id is read first, nothing is sorted,
//! and no set check runs: a try never blocks, so the order of the tries
//! cannot deadlock; and the chain key names every lock held and how, in
//! order, and the count where the set starts, so the set key says all that
//! the set checks and each member's salted key said when it went in (that
//! nothing is reported, that every edge is known), none of which can change
//! while the locks live (ids are never reused). If the set key is not there, or a member is busy, the
//! members tried are let go (last first) and the set takes the usual path,
//! which waits for its members in ascending id order.
//!
//! A set named in another order is a set of its own here (its key is made
//! in its order); a slice set keeps its entries, and its tries, in id order.

use std::cell::Cell;
use std::panic::Location;

use super::ThreadState;
use crate::held::{Access, EMPTY_CHAIN, INLINE, extend_chain, in_id_order, set_salt};
use crate::id::LockId;
use crate::meta::Origin;

/// Where a set taken on the known path is: the chain key of the held set
/// with the members taken so far (what the next member's entry extends),
/// how many members the set has and how many are left. Made by
/// [`ThreadState::start_known_set`]; each member taken moves it on, and the
/// last looks the set up.
///
/// Public only to appear in [`SetLock`](crate::SetLock)'s hidden methods; it
/// cannot be named or made outside the crate.
pub struct SetChain {
    /// How many members the set has.
    count: usize,
    plain: Cell<u64>,
    /// The members not yet taken.
    left: Cell<usize>,
}

/// The key in the chain cache of a `lock_all` set of `members` locks that
/// leaves the held set with chain key `top` (see the [module docs](self)),
/// never 0. The chain key names the whole held set in order, so the count
/// says which of its locks are the set and which were held below it. Made
/// of a chain key and a count, not a chain key and an id, it equals a chain
/// key with odds about 2^-64, as two different inputs do.
#[inline(always)]
pub(crate) fn set_key(top: u64, members: usize) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    const MARK: u64 = 0x0C7E_D5E7_5A17_B0A7;
    // The count multiplied: it then changes every bit of the key's input.
    (top.rotate_left(32) ^ MARK ^ (members as u64).wrapping_mul(K)).wrapping_mul(K) | 1
}

impl ThreadState {
    /// A set of `members` locks may try the known path (with no
    /// [`crate::flags`] set, which the caller checks). (A member past the
    /// inline held set, or untracked, ends it: the set then takes the usual
    /// path.)
    #[inline]
    pub(crate) fn start_known_set(&self, members: usize) -> Option<SetChain> {
        let below = self.held.last_inline_chain()?.unwrap_or(EMPTY_CHAIN);
        Some(SetChain {
            count: members,
            plain: Cell::new(below),
            left: Cell::new(members),
        })
    }

    /// Records the next member of a set on the known path, its raw lock
    /// taken: pushed with the key of the held set as one by one, as the
    /// usual path leaves every member. The last member looks the set up
    /// first (see the [module docs](self)). Returns whether it was pushed
    /// (the set known, and the entry inline); if not, nothing changed, and
    /// the caller lets go of the members taken before it.
    #[inline(always)]
    pub(crate) fn take_known_member(
        &self,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
        chain: &SetChain,
    ) -> bool {
        let plain = extend_chain(chain.plain.get(), id, access);
        let (members, left) = (chain.count, chain.left.get().wrapping_sub(1));
        if left == 0 && !self.chains.contains(set_key(plain, members)) {
            return false;
        }
        if !self.held.push_inline(id, origin, access, site, plain) {
            return false;
        }
        chain.plain.set(plain);
        chain.left.set(left);
        #[cfg(test)]
        if left == 0 {
            tests::KNOWN.with(|sets| sets.set(sets.get() + 1));
        }
        true
    }

    /// Whether every member of the set whose scope is ending (`members`
    /// locks, none of them reported by the set checks; `salt`: the set's,
    /// see `HeldLocks::salt_chains`; `entered`: the held set's length when
    /// the set was entered) is recorded, on top of the held set in
    /// ascending id order, with the salted key of its acquisition in the
    /// chain cache, the members' keys just made plain again. (With nothing
    /// held below, the first member needs no key: it is taken as a lone
    /// acquisition would be.)
    pub(crate) fn all_known(&self, salt: u64, entered: usize, members: usize) -> bool {
        let len = self.held.len();
        if members == 0 || len != entered + members || len > INLINE {
            return false;
        }
        let entries = &self.held.inline()[..len];
        let below = entered
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |i| entries[i].get().chain);
        let mut salted = match entered {
            0 => EMPTY_CHAIN,
            _ => below ^ salt,
        };
        let mut previous: Option<LockId> = None;
        for (index, entry) in entries.iter().enumerate().skip(entered) {
            let entry = entry.get();
            let key = extend_chain(salted, entry.id, entry.access);
            let ascending = previous.is_none_or(|previous| previous < entry.id);
            let needs_key = entered > 0 || index > 0;
            if !ascending || needs_key && !self.chains.contains(key | 1) {
                return false;
            }
            salted = key ^ salt;
            previous = Some(entry.id);
        }
        true
    }

    /// See [`super::super::finish_usual_set`].
    pub(crate) fn finish_usual_set(&self, ids: &[LockId], order: Option<&[u8]>) {
        // The scope that ended last was this set's (its salt is made of the
        // same members), not one left by an unwinding set.
        let (from, salt) = self.known_set.replace((usize::MAX, 0));
        let this_set = from != usize::MAX && salt == set_salt(ids);
        if let Some(order) = order
            && !in_id_order(order)
        {
            self.name_set_order(ids, order);
        }
        let len = self.held.len();
        if !this_set || len != from + ids.len() || len > INLINE {
            return;
        }
        let top = self.held.inline()[len - 1].get().chain;
        self.chains.insert(set_key(top, ids.len()));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use crate::held::{Access, EMPTY_CHAIN};
    use crate::tracker::context::with;
    use crate::{Mutex, RwLock, lock_all, stdsync};

    thread_local! {
        /// Sets this thread took on the known path.
        pub(super) static KNOWN: Cell<usize> = const { Cell::new(0) };
    }

    fn known_sets() -> usize {
        KNOWN.with(Cell::get)
    }

    /// The chain keys of the held set's entries, oldest first.
    fn chains() -> Vec<u64> {
        with(|state| state.held.iter().map(|entry| entry.chain).collect()).unwrap()
    }

    /// Runs `test` on a new thread, with the environment read (until it
    /// is, the flags send every set the usual way).
    fn on_a_new_thread(test: impl FnOnce() + Send + 'static) {
        crate::config::flags::current();
        std::thread::spawn(test).join().unwrap();
    }

    /// A set taken again goes the known path and leaves the held set with
    /// the keys the usual path leaves: what is taken under it, and the
    /// release, see no difference. Either way the members' entries are in
    /// the set's own order, with the keys of the same locks taken one by
    /// one in that order.
    #[test]
    fn the_known_path_leaves_the_keys_of_the_usual_one() {
        on_a_new_thread(|| {
            let outer = Mutex::new(0);
            let _ = outer.id(); // below the set: the ascending rule holds
            let (a, b, c) = (Mutex::new(1), RwLock::new(2), stdsync::Mutex::new(3));
            let _outer = outer.lock();
            let take = || {
                let (gc, ga, gb) = lock_all((&c, &a, b.for_read()));
                let gc = gc.unwrap();
                assert_eq!((*ga, *gb, *gc), (1, 2, 3));
                chains()
            };
            let usual = take();
            assert_eq!(known_sets(), 0);
            let again = take();
            assert_eq!(known_sets(), 1, "the second time on the known path");
            assert_eq!(again, usual);
            let one_by_one = [
                (c.id(), Access::Exclusive),
                (a.id(), Access::Exclusive),
                (b.id(), Access::Read),
            ]
            .into_iter()
            .scan(usual[0], |chain, (id, access)| {
                *chain = crate::held::extend_chain(*chain, id, access);
                Some(*chain)
            });
            assert_eq!(usual[1..], one_by_one.collect::<Vec<_>>()[..]);
            assert_eq!(chains().len(), 1, "only the outer lock is left");
        });
    }

    /// A set the cache does not know under the held set, or with a busy
    /// member, takes the usual path, with nothing of the known one left
    /// behind; the usual path remembers it once every member was known.
    #[test]
    fn an_unknown_set_or_a_busy_member_takes_the_usual_path() {
        on_a_new_thread(|| {
            let held = Mutex::new(0);
            let _ = held.id(); // below the set: the ascending rule holds
            let (a, b) = (Mutex::new(1), Mutex::new(2));
            drop(lock_all((&a, &b)));
            assert_eq!(known_sets(), 0, "the first time: not known");
            assert!(chains().is_empty(), "the known path's members let go");
            // Under a lock never held around the set: not known either.
            let guard = held.lock();
            let (ga, gb) = lock_all((&a, &b));
            assert_eq!(chains().len(), 3);
            drop((gb, ga, guard));
            assert_eq!(known_sets(), 0);
            drop(lock_all((&a, &b)));
            assert_eq!(known_sets(), 1, "known with nothing held");
            // b busy on another thread: the set waits for it, as usual.
            let b_taken = std::sync::Barrier::new(2);
            std::thread::scope(|s| {
                s.spawn(|| {
                    let busy = b.lock();
                    b_taken.wait();
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    drop(busy);
                });
                b_taken.wait();
                let (ga, gb) = lock_all((&a, &b));
                assert_eq!(*ga + *gb, 3);
                assert_eq!(chains().len(), 2);
            });
            assert_eq!(known_sets(), 1, "b busy: the usual path");
            assert!(chains().is_empty());
        });
    }

    /// A set key names the held set below the set as well as the members:
    /// the members of a set known over one held set are not known as a
    /// smaller set over a held set with the rest of them in it.
    #[test]
    fn a_set_key_names_where_the_set_starts() {
        on_a_new_thread(|| {
            let (a, b) = (Mutex::new(1), Mutex::new(2));
            drop(lock_all((&a, &b)));
            drop(lock_all((&a, &b)));
            assert_eq!(known_sets(), 1);
            // The same held set at the end, a taken on its own first.
            let ga = a.lock();
            let (gb,) = lock_all((&b,));
            assert_eq!(known_sets(), 1, "b alone over a: a set of its own");
            drop((gb, ga));
            let ga = a.lock();
            drop(lock_all((&b,)));
            assert_eq!(known_sets(), 2, "taken once, known");
            drop(ga);
            drop(lock_all((&a, &b)));
            assert_eq!(known_sets(), 3, "the pair is still known");
        });
    }

    /// A set named against id order goes the known path the same way (its
    /// members tried in argument order), and a set not known lets go of the
    /// members tried. On either path the held entries end in the set's own
    /// order, with the keys of the locks taken one by one in that order.
    #[test]
    fn a_set_named_against_id_order_takes_the_known_path_in_argument_order() {
        on_a_new_thread(|| {
            let (a, b, c) = (Mutex::new(1), Mutex::new(2), Mutex::new(3));
            let _ = (a.id(), b.id(), c.id()); // ids in that order
            let one_by_one = |locks: &[&Mutex<i32>]| -> Vec<u64> {
                let mut chain = EMPTY_CHAIN;
                let chains = locks.iter().map(|lock| {
                    chain = crate::held::extend_chain(chain, lock.id(), Access::Exclusive);
                    chain
                });
                chains.collect()
            };
            let (gb, ga) = lock_all((&b, &a));
            assert_eq!(known_sets(), 0, "not known the first time: undone");
            assert_eq!((*ga, *gb), (1, 2));
            assert_eq!(chains(), one_by_one(&[&b, &a]), "the usual path");
            drop((gb, ga));
            assert!(chains().is_empty());
            let (gb, ga) = lock_all((&b, &a));
            assert_eq!(known_sets(), 1, "the second time on the known path");
            assert_eq!(chains(), one_by_one(&[&b, &a]), "the known path");
            drop(ga); // taken first, but named last: the top entry
            assert_eq!(chains(), one_by_one(&[&b]), "b's key as if taken alone");
            drop(gb);
            assert!(chains().is_empty());
            // Three, last first and in another order: each taken in id order.
            drop(lock_all((&c, &b, &a)));
            let (gc, gb, ga) = lock_all((&c, &b, &a));
            assert_eq!((*ga, *gb, *gc), (1, 2, 3));
            assert_eq!(known_sets(), 2, "reversed, on the known path");
            assert_eq!(chains(), one_by_one(&[&c, &b, &a]));
            drop((ga, gb, gc));
            drop(lock_all((&b, &c, &a)));
            assert_eq!(known_sets(), 2, "another order: a set of its own");
            let (_, _, _) = lock_all((&b, &c, &a));
            assert_eq!(known_sets(), 3, "mixed, on the known path");
            // All or nothing, the same.
            let taken = crate::try_lock_all((&c, &a, &b)).expect("all free");
            assert_eq!(chains(), one_by_one(&[&c, &a, &b]));
            drop(taken);
            assert!(chains().is_empty());
        });
    }

    /// The set checks run on the usual path only: a set they report (the
    /// same lock twice, a held lock above the lowest member) is never
    /// remembered, so it is reported every time.
    #[test]
    fn what_the_set_checks_report_is_never_known() {
        on_a_new_thread(|| {
            let reported = |take: &dyn Fn()| {
                let taken = std::panic::catch_unwind(std::panic::AssertUnwindSafe(take));
                taken.is_err()
            };
            let (low, high, other) = (Mutex::new(1), Mutex::new(2), Mutex::new(3));
            let _ = (low.id(), high.id(), other.id()); // ids in this order
            let held = high.lock();
            for _ in 0..3 {
                assert!(reported(&|| drop(lock_all((&other, &low)))), "above");
            }
            drop(held);
            let twice = crate::ReentrantMutex::new(0);
            for _ in 0..3 {
                assert!(reported(&|| drop(lock_all((&twice, &twice)))), "twice");
            }
            assert_eq!(known_sets(), 0);
            assert!(chains().is_empty(), "nothing left held");
            // Without them, the same sets are known the second time.
            drop(lock_all((&other, &low)));
            drop(lock_all((&other, &low)));
            assert_eq!(known_sets(), 1);
        });
    }
}
