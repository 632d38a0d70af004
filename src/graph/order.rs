//! The lock-order graph as a pure data structure: no threads, no globals, no
//! unsafe. Nodes are lock ids with a payload `N`; edges "A before B" carry a
//! payload `E` that is built only when the edge is new.
//!
//! `petgraph::acyclic::Acyclic` keeps a topological order up to date as edges
//! arrive (Pearce–Kelly), so a new edge that agrees with the order costs O(1) and
//! one that does not searches only the affected region. An edge that would close
//! a cycle is refused and never inserted; the cycle comes back as data.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use petgraph::Direction;
use petgraph::acyclic::Acyclic;
use petgraph::data::Build;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};

use crate::id::LockId;

/// One edge of a cycle: `from` was held when `to` was taken.
#[derive(Clone, Debug)]
pub(crate) struct PathEdge<N, E> {
    pub(crate) from: N,
    pub(crate) to: N,
    pub(crate) info: E,
}

/// What inserting an edge did.
#[derive(Debug)]
pub(crate) enum Insert<N, E> {
    /// The edge was already in the graph.
    Known,
    /// The edge is new and was inserted.
    Added,
    /// The edge would close a cycle: the existing path from the new edge's
    /// target back to its source (shortest first), which the new edge would close.
    Cycle(Vec<PathEdge<N, E>>),
}

/// A hash map with [`FastHasher`]: for keys that are small integers or
/// addresses, not chosen by an adversary.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A multiply-rotate hasher (as rustc's FxHash) for integer keys: a few cycles
/// where SipHash takes dozens, which matters with a graph node added and removed
/// for every short-lived lock.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.write_u64(u64::from(b)));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517C_C1B7_2722_0A95);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A directed acyclic graph of lock ids.
pub(crate) struct LockGraph<N, E> {
    dag: Acyclic<StableDiGraph<N, E>>,
    index: FastMap<LockId, NodeIndex>,
    /// Every edge, by its two node indices: "is a -> b there?" in one hash
    /// lookup, where `find_edge` walks `a`'s out-edges (one cache miss per edge
    /// in a big graph).
    pairs: FastMap<(NodeIndex, NodeIndex), ()>,
}

impl<N: Clone + 'static, E: Clone + 'static> LockGraph<N, E> {
    pub(crate) fn new() -> Self {
        LockGraph {
            dag: Acyclic::new(),
            index: FastMap::default(),
            pairs: FastMap::default(),
        }
    }

    /// Inserts `from -> to` unless it would close a cycle. The payloads are only
    /// built when a node or the edge is new.
    pub(crate) fn insert(
        &mut self,
        from: (LockId, impl FnOnce() -> N),
        to: (LockId, impl FnOnce() -> N),
        info: impl FnOnce() -> E,
    ) -> Insert<N, E> {
        let a = self.node(from.0, from.1);
        let b = self.node(to.0, to.1);
        if self.pairs.contains_key(&(a, b)) {
            return Insert::Known;
        }
        // `from == to` never reaches here: the tracker handles re-acquisition.
        match self.dag.try_add_edge(a, b, info()) {
            Ok(_) => {
                self.pairs.insert((a, b), ());
                Insert::Added
            }
            Err(_) => Insert::Cycle(self.shortest_path(b, a)),
        }
    }

    /// Whether `from -> to` is in the graph.
    #[cfg(test)]
    pub(crate) fn contains(&self, from: LockId, to: LockId) -> bool {
        match (self.index.get(&from), self.index.get(&to)) {
            (Some(&a), Some(&b)) => self.pairs.contains_key(&(a, b)),
            _ => false,
        }
    }

    /// Removes a lock and every edge into or out of it.
    pub(crate) fn remove(&mut self, id: LockId) {
        if let Some(node) = self.index.remove(&id) {
            let graph = self.dag.inner();
            let outgoing = graph.edges_directed(node, Direction::Outgoing);
            let incoming = graph.edges_directed(node, Direction::Incoming);
            for edge in outgoing.chain(incoming) {
                self.pairs.remove(&(edge.source(), edge.target()));
            }
            self.dag.remove_node(node);
        }
    }

    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.index.len()
    }

    #[cfg(test)]
    pub(crate) fn edge_count(&self) -> usize {
        self.dag.edge_count()
    }

    /// Every node, in topological order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &N> + '_ {
        self.dag.nodes_iter().map(|node| &self.dag[node])
    }

    /// Every edge as (from, to, payload).
    pub(crate) fn edges(&self) -> impl Iterator<Item = (&N, &N, &E)> + '_ {
        let graph = self.dag.inner();
        graph
            .edge_references()
            .map(|e| (&graph[e.source()], &graph[e.target()], e.weight()))
    }

    fn node(&mut self, id: LockId, payload: impl FnOnce() -> N) -> NodeIndex {
        if let Some(&node) = self.index.get(&id) {
            return node;
        }
        let node = self.dag.add_node(payload());
        self.index.insert(id, node);
        node
    }

    /// Breadth-first search from `start` to `goal`; the caller knows a path exists.
    fn shortest_path(&self, start: NodeIndex, goal: NodeIndex) -> Vec<PathEdge<N, E>> {
        let graph = self.dag.inner();
        let mut came_from = HashMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            if node == goal {
                break;
            }
            for edge in graph.edges(node) {
                let next = edge.target();
                if next != start && !came_from.contains_key(&next) {
                    came_from.insert(next, edge.id());
                    queue.push_back(next);
                }
            }
        }
        let mut path = Vec::new();
        let mut node = goal;
        while node != start {
            let Some(&edge) = came_from.get(&node) else {
                break;
            };
            let (from, to) = graph.edge_endpoints(edge).expect("edge is live");
            path.push(PathEdge {
                from: graph[from].clone(),
                to: graph[to].clone(),
                info: graph[edge].clone(),
            });
            node = from;
        }
        path.reverse();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    fn ids(n: usize) -> Vec<LockId> {
        (0..n).map(|_| LazyId::new().get()).collect()
    }

    fn insert(g: &mut LockGraph<LockId, ()>, a: LockId, b: LockId) -> Insert<LockId, ()> {
        g.insert((a, || a), (b, || b), || ())
    }

    #[test]
    fn closing_edge_is_refused_with_the_shortest_path() {
        let l = ids(4);
        let mut g = LockGraph::new();
        assert!(matches!(insert(&mut g, l[0], l[1]), Insert::Added));
        assert!(matches!(insert(&mut g, l[0], l[1]), Insert::Known));
        assert!(matches!(insert(&mut g, l[1], l[2]), Insert::Added));
        assert!(matches!(insert(&mut g, l[2], l[3]), Insert::Added));
        assert!(matches!(insert(&mut g, l[1], l[3]), Insert::Added));
        let Insert::Cycle(path) = insert(&mut g, l[3], l[0]) else {
            panic!("cycle expected");
        };
        let hops: Vec<(LockId, LockId)> = path.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(hops, [(l[0], l[1]), (l[1], l[3])]);
        assert!(!g.contains(l[3], l[0]));
        assert_eq!(g.edge_count(), 4);
    }

    #[test]
    fn removing_a_node_removes_its_edges() {
        let l = ids(3);
        let mut g = LockGraph::new();
        insert(&mut g, l[0], l[1]);
        insert(&mut g, l[1], l[2]);
        g.remove(l[1]);
        assert_eq!((g.node_count(), g.edge_count()), (2, 0));
        assert!(matches!(insert(&mut g, l[2], l[0]), Insert::Added));
    }

    #[test]
    fn a_reused_node_slot_inherits_no_edge() {
        let l = ids(3);
        let mut g = LockGraph::new();
        insert(&mut g, l[0], l[1]);
        g.remove(l[1]);
        // l[2] takes the slot l[1] had: the old pair must not answer for it.
        assert!(matches!(insert(&mut g, l[2], l[0]), Insert::Added));
        assert!(!g.contains(l[0], l[2]));
        assert!(g.contains(l[2], l[0]));
    }
}
