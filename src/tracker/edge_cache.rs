//! Per-thread caches of what is known to be in the graph: single edges, and
//! whole held sets (chain keys) whose edges into a lock are all there.
//!
//! Ids are never reused, so "edge a -> b is in the graph" stays true for as long
//! as either lock can still be taken: a cached edge is never stale in a way that
//! matters. A hit means the acquisition needs no graph work at all.

use std::cell::Cell;

use crate::graph::dep::Kind;
use crate::held::{Access, extend_chain};
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

/// The key of edge `from -> to` made as `kind`, never 0: a hash as [`extend_chain`]'s of
/// `from` then `to` (unshifted, so with its rotation at most 8, as ids are
/// below 2^56). Two 56-bit ids do not fit in one key, so, as with chain keys,
/// two pairs may share a key, with odds about 2^-64: no pattern of ids always
/// collides (see [`extend_chain`]). (With 31-bit ids the key was the pair,
/// exactly.)
#[inline]
pub(crate) fn edge_key(from: LockId, to: LockId, kind: Kind) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    const { assert!(crate::id::LIMIT <= 1 << (64 - 8)) };
    // The kind goes above the ids (below 2^56).
    let to = to.as_u64() | u64::from(kind.bits()) << 60;
    (from.as_u64().wrapping_mul(K).rotate_left(8) ^ to).wrapping_mul(K) | 1
}

/// The key of "every lock of the held set with chain key `chain` -> `to`":
/// the chain key of that set with `to` added (which the acquisition computes
/// anyway, for its held-set entry), never 0. A 64-bit hash, as lockdep's
/// chain keys: two different held sets share a key with probability about 2^-64.
#[inline(always)]
pub(crate) fn chain_key(chain: u64, to: LockId, access: Access) -> u64 {
    extend_chain(chain, to, access) | 1
}

#[inline]
fn slot(key: u64) -> usize {
    (key >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::{CHAIN_ROTATION, EMPTY_CHAIN};
    use crate::id::LazyId;

    const EN: Kind = Kind::EXCLUSIVE;

    #[test]
    fn remembers_edges_by_direction() {
        let (a, b) = (LazyId::new().get(), LazyId::new().get());
        let cache = KeyCache::new();
        assert!(!cache.contains(edge_key(a, b, EN)));
        cache.insert(edge_key(a, b, EN));
        assert!(cache.contains(edge_key(a, b, EN)));
        assert!(!cache.contains(edge_key(b, a, EN)));
        let sr = Kind::of(Access::Read, Access::ReadRecursive);
        assert!(!cache.contains(edge_key(a, b, sr)));
    }

    /// Ids from all over the id space: runs near 0, 2^32, 2^40 and its end,
    /// and ids equal modulo high powers of two (which a multiplicative hash
    /// tells apart only in its high bits).
    fn ids_with_patterns() -> Vec<u64> {
        let limit = crate::id::LIMIT;
        let mut ids: Vec<u64> = [1, (1 << 32) - 16, (1 << 40) - 16, limit - 40]
            .iter()
            .flat_map(|&first| first..first + 32)
            .collect();
        for bits in [16, 24, 32, 40, 41, 47, 48, 52, 55] {
            ids.extend((1..=8).map(|k| 7 + (k << bits)).filter(|&id| id < limit));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    #[test]
    fn no_pattern_of_ids_makes_keys_collide() {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let ids = ids_with_patterns();
        let mut edges = std::collections::HashSet::new();
        let mut chains = std::collections::HashSet::new();
        for &a in &ids {
            for &b in ids.iter().filter(|&&b| b != a) {
                let (a, b) = (LockId::from_u64(a), LockId::from_u64(b));
                assert!(edges.insert(edge_key(a, b, EN)), "{a} -> {b}");
                let chain = chain_key(
                    extend_chain(EMPTY_CHAIN, a, Access::Exclusive),
                    b,
                    Access::Exclusive,
                );
                assert!(chains.insert(chain), "[{a}] then {b}");
            }
        }
        // Stronger: whatever the second id, two keys from different first ids
        // collide only when the second ids differ by `needed`, which for these
        // ids is never a small difference (nor, for chain keys, one an id can
        // make at all when its low byte is set).
        for &a in &ids {
            for &other in ids.iter().filter(|&&other| other != a) {
                let rotated = |id: u64| id.wrapping_mul(K).rotate_left(8);
                let needed = rotated(a) ^ rotated(other);
                assert!(needed >= 1 << 32, "edge keys of {a} and {other}");
                let shifted =
                    |id: u64| extend_chain(EMPTY_CHAIN, LockId::from_u64(id), Access::Exclusive);
                let needed = shifted(a).rotate_left(CHAIN_ROTATION)
                    ^ shifted(other).rotate_left(CHAIN_ROTATION);
                assert!(
                    needed & 0xFF != 0 || needed >> 8 >= 1 << 32,
                    "chain keys of {a} and {other}"
                );
            }
        }
    }

    #[test]
    fn chain_keys_depend_on_the_set_and_the_target() {
        let (a, b) = (LazyId::new().get(), LazyId::new().get());
        let cache = KeyCache::new();
        let key = |chain, id| chain_key(chain, id, Access::Exclusive);
        cache.insert(key(7, a));
        assert!(cache.contains(key(7, a)));
        assert!(!cache.contains(key(7, b)));
        assert!(!cache.contains(key(8, a)));
        assert!(!cache.contains(chain_key(7, a, Access::Read)));
    }
}
