//! A `lock_all` set whose every member this thread has taken before under
//! the same held set: taken with no set bookkeeping at all.
//!
//! A blocking set normally enters a scope (its members kept in the thread's
//! state, a salt mixed into the chain key of the entry each member is taken
//! under, see `HeldLocks::salt_chains`) so that the orders among its members
//! make no class edges. That scope matters only when something is recorded.
//! When the chain key of every member's acquisition, salted as the scope would
//! salt it, is in the chain cache, nothing is: each member is tried, pushed
//! with the key the scope would have left it, and the set is done. The first
//! member the cache does not know, or that is busy, ends this path: the
//! members taken are released (in reverse) and the set takes the usual one.

use std::cell::Cell;
use std::panic::Location;

use super::ThreadState;
use crate::held::{Access, EMPTY_CHAIN, extend_chain, set_salt};
use crate::id::LockId;
use crate::meta::Origin;

/// Where a set taken on the known path is: the salted chain key the next
/// member's key extends, whether that key must be in the cache (not for a
/// first member taken with nothing held, as for a lone acquisition), the
/// set's salt, and the chain key of the held set so far as one by one (what
/// the next member's entry keeps, as the usual path leaves it). Made by
/// [`ThreadState::start_known_set`]; each member taken moves it on.
///
/// Public only to appear in [`SetLock`](crate::SetLock)'s hidden methods; it
/// cannot be named or made outside the crate.
pub struct SetChain {
    prev: Cell<u64>,
    check: Cell<bool>,
    plain: Cell<u64>,
    salt: u64,
}

impl ThreadState {
    /// A set of locks with the ascending `ids` may go the known path (with
    /// no [`crate::flags`] set, which the caller checks): no lock twice, and
    /// no held lock above the lowest outside the set (each a report of the
    /// usual path). (An untracked member, or one past the inline held set,
    /// is not taken on the known path: the set then takes the usual one.)
    #[inline]
    pub(crate) fn start_known_set(&self, ids: &[LockId]) -> Option<SetChain> {
        let (&lowest, _) = ids.split_first()?;
        let distinct = ids.windows(2).all(|pair| pair[0] != pair[1]);
        if !distinct || self.holds_above_outside(lowest, ids) {
            return None;
        }
        let salt = set_salt(ids);
        let (prev, check, plain) = match self.held.last_inline_chain()? {
            None => (EMPTY_CHAIN, false, EMPTY_CHAIN),
            Some(top) => (top ^ salt, true, top),
        };
        Some(SetChain {
            prev: Cell::new(prev),
            check: Cell::new(check),
            plain: Cell::new(plain),
            salt,
        })
    }

    /// Records the next member of a set on the known path, its raw lock
    /// taken: its salted key must be known (see [`SetChain`]); pushed with
    /// the key of the held set as one by one, as the usual path leaves
    /// every member. Returns whether it was; if not, nothing changed.
    #[inline(always)]
    pub(crate) fn take_known_member(
        &self,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
        chain: &SetChain,
    ) -> bool {
        let key = extend_chain(chain.prev.get(), id, access);
        if chain.check.get() && !self.chains.contains(key | 1) {
            return false;
        }
        let plain = extend_chain(chain.plain.get(), id, access);
        if !self.held.push_inline(id, origin, access, site, plain) {
            return false;
        }
        chain.prev.set(key ^ chain.salt);
        chain.check.set(true);
        chain.plain.set(plain);
        #[cfg(test)]
        tests::TAKEN.with(|taken| taken.set(taken.get() + 1));
        true
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use crate::held::{Access, EMPTY_CHAIN};
    use crate::tracker::context::with;
    use crate::{Mutex, RwLock, lock_all, stdsync};

    thread_local! {
        /// Members this thread took on the known path.
        pub(super) static TAKEN: Cell<usize> = const { Cell::new(0) };
    }

    fn taken() -> usize {
        TAKEN.with(Cell::get)
    }

    /// The chain keys of the held set's entries, oldest first.
    fn chains() -> Vec<u64> {
        with(|state| state.held.iter().map(|entry| entry.chain).collect()).unwrap()
    }

    /// Whether the set of `ids` would go the known path now.
    fn known(ids: &[crate::id::LockId]) -> bool {
        with(|state| state.start_known_set(ids).is_some()).unwrap()
    }

    /// Runs `test` on a new thread, with the environment read (until it
    /// is, the flags send every set the usual way).
    fn on_a_new_thread(test: impl FnOnce() + Send + 'static) {
        crate::config::flags::current();
        std::thread::spawn(test).join().unwrap();
    }

    /// A set taken again goes the known path and leaves the held set with
    /// the keys the usual path leaves: what is taken under it, and the
    /// release, see no difference.
    #[test]
    fn the_known_path_leaves_the_keys_of_the_usual_one() {
        on_a_new_thread(|| {
            let outer = Mutex::new(0);
            let _ = outer.id(); // below the set: the ascending rule holds
            let (a, b, c) = (Mutex::new(1), RwLock::new(2), stdsync::Mutex::new(3));
            let ids = {
                let mut ids = [a.id(), b.id(), c.id()];
                ids.sort();
                ids
            };
            let _outer = outer.lock();
            let usual = {
                let (_a, _b, _c) = lock_all((&a, b.for_read(), &c));
                chains()
            };
            assert!(known(&ids), "taken once, the set is known");
            assert_eq!(taken(), 0);
            let again = {
                let (gc, ga, gb) = lock_all((&c, &a, b.for_read()));
                let gc = gc.unwrap();
                assert_eq!((*ga, *gb, *gc), (1, 2, 3));
                chains()
            };
            assert_eq!(taken(), 3, "the second time on the known path");
            assert_eq!(again, usual);
            assert_eq!(chains().len(), 1, "only the outer lock is left");
        });
    }

    /// A member the cache does not know, or that is busy, sends the whole
    /// set to the usual path, with nothing of the known one left behind.
    #[test]
    fn an_unknown_or_busy_member_takes_the_usual_path() {
        on_a_new_thread(|| {
            let held = Mutex::new(0);
            let _ = held.id(); // below the set: the ascending rule holds
            let (a, b) = (Mutex::new(1), Mutex::new(2));
            drop(lock_all((&a, &b)));
            // With nothing held a first member needs no known key, as a lone
            // acquisition; b's is unknown the first time.
            assert_eq!(taken(), 1);
            // Under a lock never held around the set: a's key is unknown.
            let guard = held.lock();
            let (ga, gb) = lock_all((&a, &b));
            assert_eq!(chains().len(), 3);
            drop((gb, ga, guard));
            assert_eq!(taken(), 1);
            drop(lock_all((&a, &b)));
            assert_eq!(taken(), 3, "known with nothing held");
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
            assert_eq!(
                taken(),
                4,
                "a on the known path, then b busy: the usual one"
            );
            assert!(chains().is_empty());
        });
    }

    /// A set named against id order goes the known path the same way: the
    /// members taken in id order, and a member the cache does not know lets
    /// go of those taken before it.
    #[test]
    fn a_set_named_against_id_order_takes_the_known_path_in_id_order() {
        on_a_new_thread(|| {
            let (a, b) = (Mutex::new(1), Mutex::new(2));
            let (gb, ga) = lock_all((&b, &a));
            assert_eq!(taken(), 1, "a (nothing held) known, then b not: undone");
            assert_eq!((*ga, *gb), (1, 2));
            assert_eq!(chains().len(), 2);
            drop((gb, ga));
            assert!(chains().is_empty());
            let (gb, ga) = lock_all((&b, &a));
            assert_eq!(taken(), 3, "the second time on the known path");
            drop(ga); // taken first: let go out of order
            let alone = crate::held::extend_chain(EMPTY_CHAIN, b.id(), Access::Exclusive);
            assert_eq!(chains(), [alone], "b's key as if taken alone");
            drop(gb);
            assert!(chains().is_empty());
            // Three, last first and in another order: each taken in id order.
            let c = Mutex::new(3);
            drop(lock_all((&c, &b, &a)));
            let before = taken();
            let (gc, gb, ga) = lock_all((&c, &b, &a));
            assert_eq!((*ga, *gb, *gc), (1, 2, 3));
            assert_eq!(taken(), before + 3, "reversed, on the known path");
            drop((ga, gb, gc));
            let (_, _, _) = lock_all((&b, &c, &a));
            assert_eq!(taken(), before + 6, "mixed, on the known path");
        });
    }

    /// The same lock twice, or a held lock above the lowest member, never
    /// goes the known path (the usual one reports them).
    #[test]
    fn what_the_set_checks_report_is_never_known() {
        on_a_new_thread(|| {
            let (a, b) = (Mutex::new(1), Mutex::new(2));
            assert!(!known(&[a.id(), a.id()]));
            drop(lock_all((&a, &b)));
            assert!(known(&[a.id(), b.id()]));
            let _above = Mutex::new(3);
            let _held = _above.lock();
            assert!(!known(&[a.id(), b.id()]));
        });
    }
}
