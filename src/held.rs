//! The locks one thread holds, in the order it took them.
//!
//! A plain data structure: it knows nothing of the graph or of other threads.
//! Releases may come in any order, so removal searches from the most recent
//! entry (the usual case is the last one) and keeps the rest in order.

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
    pub(crate) fn push(&mut self, lock: HeldLock) {
        self.entries.push(lock);
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

    fn remove_out_of_order(&mut self, id: LockId) -> Option<(usize, HeldLock)> {
        let index = self.entries.iter().rposition(|held| held.id == id)?;
        Some((index, self.entries.remove(index)))
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

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Marks every held entry of the given locks as the source of a graph edge.
    pub(crate) fn mark_sources(&mut self, ids: &[LockId]) {
        for held in &mut self.entries {
            if ids.contains(&held.id) {
                held.source = true;
            }
        }
    }

    /// The held lock with the highest id that is not `except`.
    pub(crate) fn highest_other_than(&self, except: LockId) -> Option<&HeldLock> {
        let others = self.entries.iter().filter(|held| held.id != except);
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
        assert_eq!(set.highest_other_than(ids[2]).map(|h| h.id), Some(ids[1]));
    }
}
