//! A per-thread cache of edges known to be in the graph.
//!
//! Ids are never reused, so "edge a -> b is in the graph" stays true for as long
//! as either lock can still be taken: a cached edge is never stale in a way that
//! matters. A hit means the acquisition needs no graph work at all.

use std::cell::Cell;

use crate::id::LockId;

const SLOTS: usize = 1024;

/// Direct-mapped: one edge per slot, a newer edge evicts an older one.
pub(crate) struct EdgeCache {
    slots: [Cell<u64>; SLOTS],
}

impl EdgeCache {
    pub(crate) const fn new() -> Self {
        EdgeCache {
            slots: [const { Cell::new(0) }; SLOTS],
        }
    }

    #[inline]
    pub(crate) fn contains(&self, from: LockId, to: LockId) -> bool {
        let key = key(from, to);
        self.slots[slot(key)].get() == key
    }

    pub(crate) fn insert(&self, from: LockId, to: LockId) {
        let key = key(from, to);
        self.slots[slot(key)].set(key);
    }
}

/// Never 0: ids start at 1, so an empty slot matches nothing.
#[inline]
fn key(from: LockId, to: LockId) -> u64 {
    (u64::from(from.as_u32()) << 32) | u64::from(to.as_u32())
}

#[inline]
fn slot(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    #[test]
    fn remembers_edges_by_direction() {
        let (a, b) = (LazyId::new().get(), LazyId::new().get());
        let cache = EdgeCache::new();
        assert!(!cache.contains(a, b));
        cache.insert(a, b);
        assert!(cache.contains(a, b));
        assert!(!cache.contains(b, a));
    }
}
