//! Per-thread caches of what is known to be in the graph: single edges, and
//! whole held sets (chain keys) whose edges into a lock are all there.
//!
//! Ids are never reused, so "edge a -> b is in the graph" stays true for as long
//! as either lock can still be taken: a cached edge is never stale in a way that
//! matters. A hit means the acquisition needs no graph work at all.

use std::cell::Cell;

use crate::held::extend_chain;
use crate::id::LockId;

const SLOTS: usize = 1024;

/// Direct-mapped set of 64-bit keys: one key per slot, a newer key evicts an
/// older one. 0 is never a key (it marks an empty slot). Keys are hashes
/// already: a key's slot is its top bits.
pub(crate) struct KeyCache {
    slots: [Cell<u64>; SLOTS],
}

impl KeyCache {
    pub(crate) const fn new() -> Self {
        KeyCache {
            slots: [const { Cell::new(0) }; SLOTS],
        }
    }

    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.slots[slot(key)].get() == key
    }

    pub(crate) fn insert(&self, key: u64) {
        self.slots[slot(key)].set(key);
    }
}

/// The key of edge `from -> to`, never 0: a hash as [`extend_chain`]'s of
/// `from` then `to` (unshifted, so with its rotation at most 8, as ids are
/// below 2^56). Two 56-bit ids do not fit in one key, so, as with chain keys,
/// two pairs may share a key, with odds about 2^-64: no pattern of ids always
/// collides (see [`extend_chain`]). (With 31-bit ids the key was the pair,
/// exactly.)
#[inline]
pub(crate) fn edge_key(from: LockId, to: LockId) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    const { assert!(crate::id::LIMIT <= 1 << (64 - 8)) };
    (from.as_u64().wrapping_mul(K).rotate_left(8) ^ to.as_u64()).wrapping_mul(K) | 1
}

/// The key of "every lock of the held set with chain key `chain` -> `to`":
/// the chain key of that set with `to` added (which the acquisition computes
/// anyway, for its held-set entry), never 0. A 64-bit hash, as lockdep's
/// chain keys: two different held sets share a key with probability about 2^-64.
#[inline(always)]
pub(crate) fn chain_key(chain: u64, to: LockId) -> u64 {
    extend_chain(chain, to) | 1
}

#[inline]
fn slot(key: u64) -> usize {
    (key >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    #[test]
    fn remembers_edges_by_direction() {
        let (a, b) = (LazyId::new().get(), LazyId::new().get());
        let cache = KeyCache::new();
        assert!(!cache.contains(edge_key(a, b)));
        cache.insert(edge_key(a, b));
        assert!(cache.contains(edge_key(a, b)));
        assert!(!cache.contains(edge_key(b, a)));
    }

    #[test]
    fn chain_keys_depend_on_the_set_and_the_target() {
        let (a, b) = (LazyId::new().get(), LazyId::new().get());
        let cache = KeyCache::new();
        cache.insert(chain_key(7, a));
        assert!(cache.contains(chain_key(7, a)));
        assert!(!cache.contains(chain_key(7, b)));
        assert!(!cache.contains(chain_key(8, a)));
    }
}
