//! Which graph node a lock id has: a table of pages of node indices, by id.
//!
//! A hash map from id to node keeps 8 bytes and a control byte per entry in a
//! table up to twice the size, and a lookup reads the control bytes, then the
//! entry: in a graph of 100,000 locks, two cache misses. Ids are handed out in
//! blocks per thread, so the locks in the graph mostly have ids close
//! together: pages of [`PAGE`] consecutive ids keep 4 bytes per id, and the
//! small map from page number to page stays in cache. A page is freed when its
//! last node leaves (one is kept for the next page needed), so memory follows
//! the live nodes; the worst case, one live node per page, costs a page per
//! node.

use petgraph::stable_graph::NodeIndex;

use crate::hash::FastMap;
use crate::id::LockId;

/// Ids per page.
const PAGE: usize = 64;

/// The node indices of [`PAGE`] consecutive ids.
struct Page {
    /// `NodeIndex::end()` where an id has no node.
    nodes: [NodeIndex; PAGE],
    /// How many ids of the page have a node.
    live: u32,
}

/// Lock id to graph node.
#[derive(Default)]
pub(crate) struct NodeIndexById {
    pages: FastMap<u64, Box<Page>>,
    /// The last page freed, kept for the next one needed: a lock churning
    /// alone on its page would otherwise allocate and free a page each time.
    spare: Option<Box<Page>>,
}

/// The page number and the place in the page of `id`.
fn place(id: LockId) -> (u64, usize) {
    let id = id.as_u64();
    (id / PAGE as u64, (id % PAGE as u64) as usize)
}

impl NodeIndexById {
    /// The node of `id`, if it has one.
    #[inline]
    pub(crate) fn get(&self, id: LockId) -> Option<NodeIndex> {
        let (page, at) = place(id);
        let node = self.pages.get(&page)?.nodes[at];
        (node != NodeIndex::end()).then_some(node)
    }

    /// Records `node` as the node of `id` (which has none).
    pub(crate) fn insert(&mut self, id: LockId, node: NodeIndex) {
        debug_assert_ne!(node, NodeIndex::end());
        let (page, at) = place(id);
        let spare = &mut self.spare;
        let page = self.pages.entry(page).or_insert_with(|| {
            spare.take().unwrap_or_else(|| {
                Box::new(Page {
                    nodes: [NodeIndex::end(); PAGE],
                    live: 0,
                })
            })
        });
        debug_assert_eq!(page.nodes[at], NodeIndex::end(), "{id} has a node");
        page.nodes[at] = node;
        page.live += 1;
    }

    /// Forgets the node of `id` and returns it, if it had one.
    pub(crate) fn remove(&mut self, id: LockId) -> Option<NodeIndex> {
        let (number, at) = place(id);
        let page = self.pages.get_mut(&number)?;
        let node = std::mem::replace(&mut page.nodes[at], NodeIndex::end());
        if node == NodeIndex::end() {
            return None;
        }
        page.live -= 1;
        if page.live == 0 {
            // Every slot is empty again: ready for any page number.
            self.spare = self.pages.remove(&number);
        }
        Some(node)
    }

    /// How many ids have a node (counted: only tests ask).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pages.values().map(|page| page.live as usize).sum()
    }

    /// How many pages are allocated.
    #[cfg(test)]
    fn pages(&self) -> usize {
        self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::id::LIMIT;

    #[test]
    fn agrees_with_a_hash_map_and_frees_empty_pages() {
        let mut index = NodeIndexById::default();
        let mut model: HashMap<u64, NodeIndex> = HashMap::new();
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        for step in 0..20_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Ids clustered in a few blocks, as threads hand them out (some
            // around 2^32, 2^40 and the end of the id space), plus strays.
            let near = [1_000, 1 << 32, (1 << 40) - 100, 5_000, LIMIT - 10_000];
            let id = match seed % 8 {
                0 => (seed >> 8) % LIMIT,
                k => near[k as usize % near.len()] + (k << 10) + (seed >> 16) % 200,
            };
            let lock = LockId::from_u64(id);
            if seed & 0x100 == 0 {
                let node = NodeIndex::new(step as usize);
                if index.get(lock).is_none() {
                    index.insert(lock, node);
                    model.insert(id, node);
                }
            } else {
                assert_eq!(index.remove(lock), model.remove(&id), "remove {id}");
            }
            assert_eq!(index.get(lock), model.get(&id).copied(), "get {id}");
            assert_eq!(index.len(), model.len());
        }
        let live_pages: std::collections::HashSet<u64> =
            model.keys().map(|&id| id / PAGE as u64).collect();
        assert_eq!(
            index.pages(),
            live_pages.len(),
            "a page per page with a node"
        );
        for (&id, &node) in &model {
            assert_eq!(index.get(LockId::from_u64(id)), Some(node));
        }
        for &id in model.keys() {
            index.remove(LockId::from_u64(id));
        }
        assert_eq!((index.len(), index.pages()), (0, 0));
    }
}
