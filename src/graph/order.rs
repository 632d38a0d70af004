//! The lock-order graph as a pure data structure: no threads, no globals, no
//! unsafe. Nodes are lock ids with a payload `N`; edges "A before B" carry a
//! payload `E` that is built only when the edge is new.
//!
//! The graph keeps a topological order up to date as edges arrive
//! (Pearce–Kelly, "A dynamic topological sort algorithm for directed acyclic
//! graphs", 2006): every node has a key, and every edge goes from a smaller key
//! to a larger one. A new edge that agrees with the keys costs O(1); one that
//! does not searches only the nodes whose keys lie between its two ends, and
//! either finds the cycle it would close (the edge is refused, never inserted)
//! or swaps the keys of the nodes it found. Keys start as the lock ids, so locks
//! taken in the order they were created never need reordering.

#[cfg(test)]
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU64;

use petgraph::Direction::{self, Incoming, Outgoing};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences, IntoNodeReferences};

use super::dep::Kinds;
use super::gate::Gate;
use super::index::NodeIndexById;
use super::walk::{self, ClosingEdge, Step};
use crate::hash::FastMap;
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
pub(crate) enum Insert {
    /// The edge was already in the graph.
    Known,
    /// The edge is new and was inserted.
    Added,
    /// The edge would close a cycle (the caller looks for the path back,
    /// see [`LockGraph::deadlock_path`]); it was not inserted.
    Cycle,
}

/// A directed acyclic graph of lock ids.
pub(crate) struct LockGraph<N, E> {
    graph: StableDiGraph<Node, E>,
    /// Each node's payload, by node index: kept out of the nodes, which the
    /// order checks read at random in a big graph (smaller nodes, fewer misses).
    payloads: Vec<Option<N>>,
    index: NodeIndexById,
    /// The edges out of nodes with more than [`INLINE`] of them, by their
    /// two node indices ("is a -> b there?" in one hash lookup, where
    /// `find_edge` walks `a`'s out-edges: one cache miss per edge in a big graph).
    pairs: FastMap<(NodeIndex, NodeIndex), ()>,
    /// Buffers of the reordering search, kept so that it does not allocate.
    search: Search,
    /// Nodes added so far (the last part of a new node's key).
    added: u32,
}

/// A lock in the graph (its payload is in [`LockGraph::payloads`]).
///
/// In this order (`repr(C)`), the key last: petgraph puts its two edge-list
/// heads right after a node's weight, and the target of a new edge is read
/// only there (its key, and the head of its list of edges in, which a new
/// edge changes), 16 bytes on a 16-byte boundary that never straddles two
/// cache lines (a node is 48 bytes with petgraph's heads, and half of them
/// straddle two lines).
#[repr(C)]
struct Node {
    /// The targets of the edges out of the node, so that "is a -> b there?"
    /// reads only `a`, which the order check reads anyway (in `pairs` once
    /// there are too many), and the forward search needs no walk through
    /// the edges. (Not the sources too: only the backward search, which runs
    /// only for an edge that disagrees with the order, would use them, and
    /// they would make every node bigger and so every new edge's order check
    /// in a big graph slower.)
    out: [NodeIndex; INLINE],
    /// The last search that reached the node (see [`Search::mark`]).
    mark: u32,
    /// How many targets `out` lists, while at most [`INLINE`] ([`OVERFLOWED`]
    /// once there were more).
    out_len: u8,
    /// The low part of the node's [`Key`] (in the room the out-list's length
    /// leaves before the key: the node stays 40 bytes).
    key_low: [u8; 3],
    /// The high part of the node's [`Key`].
    /// (Non-zero, so that petgraph's `Option` around a node takes no room.)
    key: NonZeroU64,
}

/// A node's place in the topological order: every edge goes from a smaller
/// key to a larger one. A new node's key is its lock id, then the count of
/// nodes added before it (modulo 2^32), so keys are distinct; reordering only
/// ever permutes the keys of existing nodes. (Ids are never reused, so two
/// live nodes could share a key only if one lock came back, after its node
/// was removed, exactly a multiple of 2^32 node additions later: a lock
/// dropped while a leaked guard's entry still names it, re-added by that
/// entry billions of nodes later.)
///
/// Stored in a node as `high` (the id above the count's low 8 bits: ids are
/// below 2^56, so it fits, and is never zero) and `low` (the count's upper 24
/// bits, most significant first, so that the fields compare as one number).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Key {
    high: NonZeroU64,
    low: [u8; 3],
}

impl Key {
    /// The key of a new node for `id`, the `added`-th added.
    fn new(id: LockId, added: u32) -> Key {
        const { assert!(crate::id::LIMIT <= 1 << 56) }; // `id << 8` fits
        debug_assert!(id.as_u64() < crate::id::LIMIT, "{id} is past the id space");
        let [_, low @ ..] = (added >> 8).to_be_bytes();
        let high = id.as_u64() << 8 | u64::from(added & 0xFF);
        Key {
            high: NonZeroU64::new(high).expect("ids are never 0"),
            low,
        }
    }
}

/// How many neighbours a node lists itself.
const INLINE: usize = 6;

/// [`Node::out_len`] once there were too many to list.
const OVERFLOWED: u8 = u8::MAX;

impl Node {
    fn new(key: Key) -> Self {
        Node {
            out: [NodeIndex::end(); INLINE],
            mark: 0,
            out_len: 0,
            key_low: key.low,
            key: key.high,
        }
    }

    #[inline]
    fn key(&self) -> Key {
        Key {
            high: self.key,
            low: self.key_low,
        }
    }

    /// Whether this node's key is above `other`'s: [`Key`]'s order, with
    /// the low parts read only when the high ones tie (the same lock id
    /// twice: almost never), so that the target of a new edge is read only
    /// in its last 16 bytes (see [`Node`]).
    #[inline]
    fn key_above(&self, other: &Node) -> bool {
        match self.key.cmp(&other.key) {
            std::cmp::Ordering::Equal => self.key_low > other.key_low,
            order => order.is_gt(),
        }
    }

    fn set_key(&mut self, key: Key) {
        self.key = key.high;
        self.key_low = key.low;
    }

    /// The targets listed, unless the list overflowed.
    fn out_list(&self) -> Option<&[NodeIndex]> {
        self.out.get(..usize::from(self.out_len))
    }

    /// Lists `node`; false if the list overflows now (it was full).
    fn push_out(&mut self, node: NodeIndex) -> bool {
        match usize::from(self.out_len) {
            len if len < INLINE => {
                self.out[len] = node;
                self.out_len += 1;
                true
            }
            INLINE => {
                self.out_len = OVERFLOWED;
                false
            }
            _ => true,
        }
    }

    /// Takes `node` off the list (if it has not overflowed).
    fn remove_out(&mut self, node: NodeIndex) {
        let len = usize::from(self.out_len);
        if let Some(at) = self
            .out_list()
            .and_then(|l| l.iter().position(|&n| n == node))
        {
            self.out.copy_within(at + 1..len, at);
            self.out_len -= 1;
        }
    }
}

/// What the reordering search reuses from one edge to the next.
#[derive(Default)]
struct Search {
    /// Reached from the new edge's target, keys below its source's.
    forward: Vec<NodeIndex>,
    /// Reaching the new edge's source, keys above its target's.
    backward: Vec<NodeIndex>,
    stack: Vec<NodeIndex>,
    /// The neighbours of the node being searched.
    adjacent: Vec<NodeIndex>,
    keys: Vec<Key>,
    /// Marks of the last search (two per search: forward, backward).
    mark: u32,
}

impl<N: Clone + 'static, E: Clone + 'static> LockGraph<N, E> {
    pub(crate) fn new() -> Self {
        LockGraph {
            graph: StableDiGraph::default(),
            payloads: Vec::new(),
            index: NodeIndexById::default(),
            pairs: FastMap::default(),
            search: Search::default(),
            added: 0,
        }
    }

    /// Inserts `from -> to` unless it would close a cycle. The payloads are only
    /// built when a node or the edge is new.
    pub(crate) fn insert(
        &mut self,
        from: (LockId, impl FnOnce() -> N),
        to: (LockId, impl FnOnce() -> N),
        info: impl FnOnce() -> E,
    ) -> Insert {
        let a = self.node(from.0, from.1);
        let b = self.node(to.0, to.1);
        // `from == to` never reaches here: the tracker handles re-acquisition.
        if self.graph[a].key_above(&self.graph[b]) {
            // No such edge yet: edges go from smaller keys to larger ones.
            if !self.reorder(a, b) {
                return Insert::Cycle;
            }
        } else if self.has_edge(a, b) {
            return Insert::Known;
        }
        self.graph.add_edge(a, b, info());
        self.note_edge(a, b);
        Insert::Added
    }

    fn has_edge(&self, a: NodeIndex, b: NodeIndex) -> bool {
        match self.graph[a].out_list() {
            Some(targets) => targets.contains(&b),
            None => self.pairs.contains_key(&(a, b)),
        }
    }

    /// Lists the new edge `a -> b` in `a` (or in `pairs`).
    fn note_edge(&mut self, a: NodeIndex, b: NodeIndex) {
        let node = &mut self.graph[a];
        let listed = node.out;
        if !node.push_out(b) {
            let all = listed.iter().chain([&b]);
            self.pairs.extend(all.map(|&t| ((a, t), ())));
        } else if node.out_len == OVERFLOWED {
            self.pairs.insert((a, b), ());
        }
    }

    /// Takes the edge `a -> b` off `a`'s list (it is being removed).
    fn forget_edge(&mut self, a: NodeIndex, b: NodeIndex) {
        let node = &mut self.graph[a];
        match node.out_list() {
            Some(_) => node.remove_out(b),
            None => _ = self.pairs.remove(&(a, b)),
        }
    }

    /// Makes room in the order for the new edge `a -> b`, where `b`'s key is
    /// below `a`'s; false (nothing changed) if `b` reaches `a`, so that the
    /// edge would close a cycle.
    fn reorder(&mut self, a: NodeIndex, b: NodeIndex) -> bool {
        let (upper, lower) = (self.graph[a].key(), self.graph[b].key());
        if self.search.mark > u32::MAX - 2 {
            // Every mark was used: forget them all (once in 2^31 reorderings).
            self.graph.node_weights_mut().for_each(|node| node.mark = 0);
            self.search.mark = 0;
        }
        let (forward, backward) = (self.search.mark + 1, self.search.mark + 2);
        self.search.mark = backward;
        // Forward from `b`: what must come after `a`. Only keys below `a`'s
        // can be misplaced; reaching `a` itself means a cycle.
        if !self.reach(b, Outgoing, forward, |key| key < upper, Some(a)) {
            return false;
        }
        // Backward from `a`: what must come before `b`.
        self.reach(a, Incoming, backward, |key| key > lower, None);
        // Together they take the keys they had, those reaching `a` first.
        let Search {
            forward,
            backward,
            keys,
            ..
        } = &mut self.search;
        let graph = &mut self.graph;
        keys.clear();
        keys.extend(
            backward
                .iter()
                .chain(forward.iter())
                .map(|&n| graph[n].key()),
        );
        keys.sort_unstable();
        backward.sort_unstable_by_key(|&n| graph[n].key());
        forward.sort_unstable_by_key(|&n| graph[n].key());
        for (&node, &key) in backward.iter().chain(forward.iter()).zip(keys.iter()) {
            graph[node].set_key(key);
        }
        true
    }

    /// Depth-first search from `start` along `direction`, through nodes whose
    /// key passes `within`, marking them with `mark` and listing them (start
    /// included) in the search's forward or backward list. False, as soon as
    /// it is seen, if `goal` is reached.
    fn reach(
        &mut self,
        start: NodeIndex,
        direction: Direction,
        mark: u32,
        within: impl Fn(Key) -> bool,
        goal: Option<NodeIndex>,
    ) -> bool {
        let Search {
            forward,
            backward,
            stack,
            adjacent,
            ..
        } = &mut self.search;
        let found = match direction {
            Outgoing => forward,
            Incoming => backward,
        };
        found.clear();
        stack.clear();
        self.graph[start].mark = mark;
        found.push(start);
        stack.push(start);
        while let Some(node) = stack.pop() {
            adjacent.clear();
            let at = &self.graph[node];
            let listed = at.out_list().filter(|_| direction == Outgoing);
            match listed {
                // No walk through the edges (one cache miss each in a big graph).
                Some(listed) => adjacent.extend_from_slice(listed),
                None => adjacent.extend(self.graph.neighbors_directed(node, direction)),
            }
            for &other in adjacent.iter() {
                if Some(other) == goal {
                    return false;
                }
                let seen = &mut self.graph[other];
                if seen.mark != mark && within(seen.key()) {
                    seen.mark = mark;
                    found.push(other);
                    stack.push(other);
                }
            }
        }
        true
    }

    /// The payload of the edge `from -> to`, if it is in the graph.
    pub(crate) fn edge_mut(&mut self, from: LockId, to: LockId) -> Option<&mut E> {
        let (a, b) = (self.index.get(from)?, self.index.get(to)?);
        let edge = self.graph.find_edge(a, b)?;
        self.graph.edge_weight_mut(edge)
    }

    /// The shortest path from `from` to `to`, over the graph's edges and the
    /// `extra` ones (edges kept outside the graph because the cycles they
    /// close cannot deadlock), that with the edge `to -> from` made as
    /// `closing` closes a cycle that can (see [`walk::deadlock_walk`]); an
    /// edge's gate and kinds by `made`.
    pub(crate) fn deadlock_path(
        &self,
        from: LockId,
        to: LockId,
        extra: &[(LockId, LockId, E)],
        closing: ClosingEdge,
        made: impl Fn(&E) -> (Gate, Kinds),
    ) -> Option<Vec<PathEdge<N, E>>> {
        #[derive(Clone)]
        enum Via {
            Graph(EdgeIndex),
            Extra(usize),
        }
        let (start, goal) = (self.index.get(from)?, self.index.get(to)?);
        let extra_out: Vec<(NodeIndex, NodeIndex, usize)> = extra
            .iter()
            .enumerate()
            .filter_map(|(k, (a, b, _))| Some((self.index.get(*a)?, self.index.get(*b)?, k)))
            .collect();
        let step = |to, info: &E, edge| {
            let (gate, kinds) = made(info);
            Step {
                to,
                gate,
                kinds,
                edge,
            }
        };
        let walk = walk::deadlock_walk(start, goal, closing, |node, out| {
            let edges = self.graph.edges(node);
            out.extend(edges.map(|e| step(e.target(), e.weight(), Via::Graph(e.id()))));
            let extra_edges = extra_out.iter().filter(|(a, _, _)| *a == node);
            out.extend(extra_edges.map(|&(_, b, k)| step(b, &extra[k].2, Via::Extra(k))));
        })?;
        let path = walk.into_iter().map(|(a, b, via)| PathEdge {
            from: self.payload(a).clone(),
            to: self.payload(b).clone(),
            info: match via {
                Via::Graph(edge) => self.graph[edge].clone(),
                Via::Extra(k) => extra[k].2.clone(),
            },
        });
        Some(path.collect())
    }

    /// Whether `from -> to` is in the graph.
    #[cfg(test)]
    pub(crate) fn contains(&self, from: LockId, to: LockId) -> bool {
        match (self.index.get(from), self.index.get(to)) {
            (Some(a), Some(b)) => self.has_edge(a, b),
            _ => false,
        }
    }

    /// The payload of `id`'s node, if it has one.
    pub(crate) fn payload_of(&self, id: LockId) -> Option<&N> {
        self.index.get(id).map(|node| self.payload(node))
    }

    /// Whether `id` has a node (a lock whose node was removed never gets one
    /// back, but from a leaked guard's entry: see [`Key`]).
    pub(crate) fn has_node(&self, id: LockId) -> bool {
        self.index.get(id).is_some()
    }

    /// Adds a node for `id`, with no edge, unless it has one.
    pub(crate) fn add_node(&mut self, id: LockId, payload: impl FnOnce() -> N) {
        self.node(id, payload);
    }

    /// Removes a lock and every edge into or out of it.
    pub(crate) fn remove(&mut self, id: LockId) {
        if let Some(node) = self.index.remove(id) {
            let mut targets = self.graph.neighbors_directed(node, Outgoing).detach();
            while let Some(to) = targets.next_node(&self.graph) {
                self.forget_edge(node, to);
            }
            let mut sources = self.graph.neighbors_directed(node, Incoming).detach();
            while let Some(from) = sources.next_node(&self.graph) {
                self.forget_edge(from, node);
            }
            self.graph.remove_node(node);
            self.payloads[node.index()] = None;
        }
    }

    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.index.len()
    }

    #[cfg(test)]
    pub(crate) fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Every node, in topological order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &N> + '_ {
        let mut nodes: Vec<(NodeIndex, &Node)> = self.graph.node_references().collect();
        nodes.sort_unstable_by_key(|(_, node)| node.key());
        nodes.into_iter().map(|(index, _)| self.payload(index))
    }

    /// Every edge as (from, to, payload).
    pub(crate) fn edges(&self) -> impl Iterator<Item = (&N, &N, &E)> + '_ {
        let graph = &self.graph;
        graph.edge_references().map(|e| {
            let (from, to) = (self.payload(e.source()), self.payload(e.target()));
            (from, to, e.weight())
        })
    }

    fn node(&mut self, id: LockId, payload: impl FnOnce() -> N) -> NodeIndex {
        if let Some(node) = self.index.get(id) {
            return node;
        }
        let payload = payload(); // first: nothing is left half-added if it panics
        let key = Key::new(id, self.added);
        self.added = self.added.wrapping_add(1);
        let node = self.graph.add_node(Node::new(key));
        let at = node.index();
        if at >= self.payloads.len() {
            self.payloads.resize_with(at + 1, || None);
        }
        self.payloads[at] = Some(payload);
        self.index.insert(id, node);
        node
    }

    /// The payload of a live node.
    fn payload(&self, node: NodeIndex) -> &N {
        self.payloads[node.index()]
            .as_ref()
            .expect("a live node has a payload")
    }

    /// Breadth-first search from `start` to `goal`; the caller knows a path exists.
    #[cfg(test)]
    fn shortest_path(&self, start: NodeIndex, goal: NodeIndex) -> Vec<PathEdge<N, E>> {
        let graph = &self.graph;
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
                from: self.payload(from).clone(),
                to: self.payload(to).clone(),
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

    #[test]
    fn a_node_is_small_and_its_option_takes_no_room() {
        // The order checks read two nodes at random per new edge, so a node
        // stays within 40 bytes (petgraph adds 8), its payload kept apart:
        // fewer cache lines per new edge in a big graph.
        assert!(size_of::<Node>() <= 40, "{}", size_of::<Node>());
        assert_eq!(size_of::<Option<Node>>(), size_of::<Node>());
        // The key last, petgraph's list heads right after it, and a node a
        // multiple of 16 bytes: what a new edge reads of its target (the
        // last 16 bytes) lies on one cache line.
        assert_eq!(std::mem::offset_of!(Node, key), size_of::<Node>() - 8);
        type Stored = petgraph::graph::Node<Option<Node>, u32>;
        assert_eq!(std::mem::offset_of!(Stored, weight), 0);
        assert_eq!(size_of::<Stored>(), size_of::<Node>() + 8);
        assert_eq!(size_of::<Stored>() % 16, 0);
    }

    #[test]
    fn key_above_orders_as_keys_do() {
        let node = |id: u64, added: u32| Node::new(Key::new(LockId::from_u64(id), added));
        // High parts apart, and tied (the same id, counts that differ only
        // above their low 8 bits).
        let nodes = [
            node(5, 0),
            node(5, 1 << 8),
            node(5, 3 << 20),
            node(6, 0),
            node(4, u32::MAX),
            node(5, 1),
        ];
        for a in &nodes {
            for b in &nodes {
                assert_eq!(a.key_above(b), a.key() > b.key());
            }
        }
    }

    impl LockGraph<LockId, ()> {
        /// The shortest path back from `to` to `from`, for a refused `from -> to`.
        fn path_back(&self, from: LockId, to: LockId) -> Vec<PathEdge<LockId, ()>> {
            let (a, b) = (self.index.get(from).unwrap(), self.index.get(to).unwrap());
            self.shortest_path(b, a)
        }
    }

    fn ids(n: usize) -> Vec<LockId> {
        (0..n).map(|_| LazyId::new().get()).collect()
    }

    fn insert(g: &mut LockGraph<LockId, ()>, a: LockId, b: LockId) -> Insert {
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
        let Insert::Cycle = insert(&mut g, l[3], l[0]) else {
            panic!("cycle expected");
        };
        let path = g.path_back(l[3], l[0]);
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
        // ... and names the lock that has it now, in every view.
        let nodes: Vec<LockId> = g.nodes().copied().collect();
        assert_eq!(nodes.len(), 2);
        assert!(nodes.contains(&l[0]) && nodes.contains(&l[2]));
        let edges: Vec<(LockId, LockId)> = g.edges().map(|(a, b, _)| (*a, *b)).collect();
        assert_eq!(edges, [(l[2], l[0])]);
        let Insert::Cycle = insert(&mut g, l[0], l[2]) else {
            panic!("l[2] -> l[0] is there");
        };
        let path = g.path_back(l[0], l[2]);
        assert_eq!((path[0].from, path[0].to), (l[2], l[0]));
    }

    /// Whether `to` can be reached from `from` over `edges`.
    fn reaches(edges: &[(usize, usize)], from: usize, to: usize) -> bool {
        let mut seen = vec![from];
        let mut next = 0;
        while let Some(&at) = seen.get(next) {
            next += 1;
            for &(_, b) in edges.iter().filter(|&&(a, _)| a == at) {
                if b == to {
                    return true;
                }
                if !seen.contains(&b) {
                    seen.push(b);
                }
            }
        }
        false
    }

    #[test]
    fn agrees_with_a_plain_reachability_check_and_keeps_the_order() {
        agrees_with_a_plain_reachability_check(ids(120));
    }

    /// Ids from `first` on, `step` apart.
    fn ids_from(first: u64, step: u64, n: usize) -> Vec<LockId> {
        (0..n as u64)
            .map(|k| LockId::from_u64(first + k * step))
            .collect()
    }

    #[test]
    fn ids_near_the_edges_of_the_id_space_order_like_small_ones() {
        let limit = crate::id::LIMIT;
        // Across 2^32, across 2^40 and 2^41, up to the last id of the space,
        // and spread over all of it.
        agrees_with_a_plain_reachability_check(ids_from((1 << 32) - 60, 1, 120));
        agrees_with_a_plain_reachability_check(ids_from((1 << 40) - 60, 1 << 34, 120));
        agrees_with_a_plain_reachability_check(ids_from(limit - 120, 1, 120));
        agrees_with_a_plain_reachability_check(ids_from(1, (limit - 2) / 119, 120));
    }

    #[test]
    fn keys_order_by_id_and_every_bit_of_the_count_tells_them_apart() {
        let last = LockId::from_u64(crate::id::LIMIT - 1);
        let before = LockId::from_u64(crate::id::LIMIT - 2);
        assert!(Key::new(before, u32::MAX) < Key::new(last, 0));
        let one = LockId::from_u64(1);
        assert!(Key::new(one, u32::MAX) < Key::new(LockId::from_u64(2), 0));
        // The same id re-added: a different key unless 2^32 nodes apart.
        for bit in 0..32 {
            assert_ne!(Key::new(last, 0), Key::new(last, 1 << bit), "bit {bit}");
        }
        assert_eq!(Key::new(last, 7), Key::new(last, 7));
    }

    fn agrees_with_a_plain_reachability_check(l: Vec<LockId>) {
        let n = l.len();
        let mut g = LockGraph::new();
        let mut accepted: Vec<(usize, usize)> = Vec::new();
        let (mut reordered, mut refused) = (0, 0);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut random = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for step in 0..4000 {
            if step % 300 == 299 {
                // Drop a lock now and then; its id may come back (a leaked
                // guard's entry can do that), as a new node.
                let gone = random(n);
                g.remove(l[gone]);
                accepted.retain(|&(a, b)| a != gone && b != gone);
            }
            let (x, y) = (random(n), random(n));
            if x == y {
                continue;
            }
            let backwards = g.index.get(l[x]).zip(g.index.get(l[y]));
            let backwards = backwards.is_some_and(|(a, b)| g.graph[a].key() > g.graph[b].key());
            match insert(&mut g, l[x], l[y]) {
                Insert::Known => assert!(accepted.contains(&(x, y))),
                Insert::Added => {
                    assert!(!accepted.contains(&(x, y)) && !reaches(&accepted, y, x));
                    reordered += usize::from(backwards);
                    accepted.push((x, y));
                }
                Insert::Cycle => {
                    let path = g.path_back(l[x], l[y]);
                    assert!(reaches(&accepted, y, x));
                    let at = |id: LockId| l.iter().position(|&k| k == id).unwrap();
                    let hops: Vec<(usize, usize)> =
                        path.iter().map(|e| (at(e.from), at(e.to))).collect();
                    assert_eq!(hops.first().map(|h| h.0), Some(y));
                    assert_eq!(hops.last().map(|h| h.1), Some(x));
                    assert!(hops.windows(2).all(|w| w[0].1 == w[1].0));
                    assert!(hops.iter().all(|hop| accepted.contains(hop)));
                    refused += 1;
                }
            }
            for edge in g.graph.edge_references() {
                assert!(g.graph[edge.source()].key() < g.graph[edge.target()].key());
            }
            assert_eq!(g.edge_count(), accepted.len());
        }
        // The run exercised all three outcomes of a new edge, and both ways
        // of finding a known one.
        assert!(reordered > 50 && refused > 50, "{reordered} {refused}");
        let overflowed = g.graph.node_weights().filter(|n| n.out_len == OVERFLOWED);
        let listed = g.graph.node_weights().filter(|n| n.out_len > 1);
        assert!(overflowed.count() > 10 && listed.count() > 10);
    }

    #[test]
    fn edges_in_creation_order_never_reorder() {
        let l = ids(64);
        let mut g = LockGraph::new();
        // Later locks first: their nodes are added before the earlier ones.
        for (i, j) in (0..63)
            .rev()
            .flat_map(|i| (i + 1..64).step_by(7).map(move |j| (i, j)))
        {
            assert!(matches!(insert(&mut g, l[i], l[j]), Insert::Added));
        }
        assert_eq!(g.search.mark, 0, "no reordering search ran");
    }
}
