//! The locks one thread holds, in the order it took them.
//!
//! A plain data structure: it knows nothing of the graph or of other threads.
//! Releases may come in any order, so removal searches from the most recent
//! entry (the usual case is the last one) and keeps the rest in order.
//!
//! Every entry also carries the chain key of the set up to and including it: a
//! 64-bit hash of the ids held, in order (lockdep's chain key). The tracker uses
//! it to recognise in one lookup a held set it has already checked.

use std::panic::Location;

use crate::id::LockId;
use crate::meta::Origin;

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A mutex, or an `RwLock` taken for writing.
    Exclusive,
    /// A shared `read`.
    Read,
    /// A `read_recursive` (never blocks behind a queued writer).
    ReadRecursive,
    /// An `upgradable_read`.
    Upgradable,
    /// A `ReentrantMutex`: the owning thread may take it again.
    Reentrant,
}

impl Access {
    /// The verb a report uses for an acquisition of this kind.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Access::Exclusive | Access::Reentrant => "lock",
            Access::Read | Access::ReadRecursive => "read",
            Access::Upgradable => "upgradable_read",
        }
    }
}

/// One held lock: which, how, and where this thread took it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLock {
    pub(crate) id: LockId,
    pub(crate) origin: Origin,
    pub(crate) access: Access,
    pub(crate) site: &'static Location<'static>,
    /// An edge from this lock was inserted into the graph while it was held.
    pub(crate) source: bool,
    /// The chain key of the held set up to and including this entry (set by
    /// [`HeldLocks::push`]).
    pub(crate) chain: u64,
}

/// The chain key of an empty held set.
const EMPTY_CHAIN: u64 = 0x243F_6A88_85A3_08D3;

/// The chain key of a set `chain` followed by `id`.
#[inline]
fn extend_chain(chain: u64, id: LockId) -> u64 {
    (chain.rotate_left(23) ^ u64::from(id.as_u32())).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The held set of one thread.
#[derive(Default)]
pub(crate) struct HeldLocks {
    entries: Vec<HeldLock>,
}

impl HeldLocks {
    pub(crate) const fn new() -> Self {
        HeldLocks {
            entries: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, mut lock: HeldLock) {
        lock.chain = extend_chain(self.chain(), lock.id);
        self.entries.push(lock);
    }

    /// The chain key of the whole held set (a hash of the held ids, in order).
    #[inline]
    pub(crate) fn chain(&self) -> u64 {
        self.entries.last().map_or(EMPTY_CHAIN, |last| last.chain)
    }

    /// Removes the most recent entry for `id`, if any; returns it and where it was.
    #[inline]
    pub(crate) fn remove(&mut self, id: LockId) -> Option<(usize, HeldLock)> {
        match self.entries.last() {
            Some(last) if last.id == id => {
                let last = self.entries.pop()?;
                Some((self.entries.len(), last))
            }
            _ => self.remove_out_of_order(id),
        }
    }

    /// Removes the last entry if it is `id` (the usual release) and returns
    /// whether it was the source of an edge; `None` if the last entry is another lock.
    #[inline]
    pub(crate) fn pop_if_last(&mut self, id: LockId) -> Option<bool> {
        let source = self.entries.last().filter(|last| last.id == id)?.source;
        self.entries.truncate(self.entries.len() - 1);
        Some(source)
    }

    #[cold]
    fn remove_out_of_order(&mut self, id: LockId) -> Option<(usize, HeldLock)> {
        let index = self.entries.iter().rposition(|held| held.id == id)?;
        let removed = self.entries.remove(index);
        self.rechain_from(index);
        Some((index, removed))
    }

    /// Recomputes the chain keys of the entries from `index` on.
    fn rechain_from(&mut self, index: usize) {
        let mut chain = index
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |i| self.entries[i].chain);
        for held in &mut self.entries[index..] {
            chain = extend_chain(chain, held.id);
            held.chain = chain;
        }
    }

    /// The most recent entry for `id`.
    #[inline]
    pub(crate) fn find(&self, id: LockId) -> Option<&HeldLock> {
        self.entries.iter().rev().find(|held| held.id == id)
    }

    /// Changes how the most recent entry for `id` is held (upgrade, downgrade).
    /// Returns the index of the changed entry.
    pub(crate) fn set_access(&mut self, id: LockId, access: Access) -> Option<usize> {
        let index = self.entries.iter().rposition(|held| held.id == id)?;
        self.entries[index].access = access;
        Some(index)
    }

    pub(crate) fn as_slice(&self) -> &[HeldLock] {
        &self.entries
    }

    /// Marks every held entry of a lock that is a `source` in `sources` as the
    /// source of a graph edge.
    pub(crate) fn mark_sources(&mut self, sources: &[HeldLock]) {
        for held in &mut self.entries {
            if sources.iter().any(|s| s.source && s.id == held.id) {
                held.source = true;
            }
        }
    }

    /// The held lock with the highest id that is not one of `except`.
    pub(crate) fn highest_outside(&self, except: &[LockId]) -> Option<&HeldLock> {
        let others = self
            .entries
            .iter()
            .filter(|held| !except.contains(&held.id));
        others.max_by_key(|held| held.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    fn held(id: LockId) -> HeldLock {
        HeldLock {
            id,
            origin: Origin::Named("test"),
            access: Access::Exclusive,
            site: Location::caller(),
            source: false,
            chain: 0,
        }
    }

    #[test]
    fn out_of_order_release_keeps_the_rest_in_order() {
        let ids: Vec<LockId> = (0..3).map(|_| LazyId::new().get()).collect();
        let mut set = HeldLocks::new();
        ids.iter().for_each(|&id| set.push(held(id)));
        assert_eq!(
            set.remove(ids[0]).map(|(at, h)| (at, h.id)),
            Some((0, ids[0]))
        );
        let left: Vec<LockId> = set.as_slice().iter().map(|h| h.id).collect();
        assert_eq!(left, [ids[1], ids[2]]);
        assert!(set.remove(ids[0]).is_none());
        assert_eq!(set.highest_outside(&[ids[2]]).map(|h| h.id), Some(ids[1]));
    }

    #[test]
    fn the_chain_key_follows_the_held_ids_in_order() {
        let ids: Vec<LockId> = (0..3).map(|_| LazyId::new().get()).collect();
        let chain_of = |order: &[usize]| {
            let mut set = HeldLocks::new();
            order.iter().for_each(|&i| set.push(held(ids[i])));
            set
        };
        let mut set = chain_of(&[0, 1, 2]);
        assert_ne!(set.chain(), chain_of(&[0, 2, 1]).chain());
        set.remove(ids[1]);
        assert_eq!(set.chain(), chain_of(&[0, 2]).chain());
        set.remove(ids[2]);
        assert_eq!(set.chain(), chain_of(&[0]).chain());
        set.remove(ids[0]);
        assert_eq!(set.chain(), HeldLocks::new().chain());
    }
}
