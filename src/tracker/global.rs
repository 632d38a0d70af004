//! The process-wide state: the lock-order graph and the backtraces of its edges,
//! behind one raw (uninstrumented) lock.
//!
//! The lock is only ever held for graph work: never while a handler runs, never
//! while waiting for a user lock, and nothing called under it takes it again, so
//! the detector cannot deadlock.

use std::panic::Location;
use std::sync::LazyLock;

use parking_lot::Mutex as RawMutex;

use crate::graph::dep::{Kind, Kinds};
use crate::graph::gate::{Gate, StoredGate};
use crate::graph::order::{Insert, LockGraph, PathEdge};
use crate::graph::walk::ClosingEdge;
use crate::graph::{EdgeInfo, LockInfo, Snapshot};
use crate::hash::FastMap;
use crate::held::{Access, HeldLock, HeldLocks};
use crate::id::LockId;
use crate::report::{CapturedBacktrace, LockRef, OrderEdge, ThreadLabel};

/// What an edge remembers about how it was first established.
#[derive(Clone, Debug)]
pub(crate) struct EdgeData {
    pub(crate) thread: ThreadLabel,
    /// Index of the edge's call-site pair and its backtrace in
    /// [`Backtraces::captured`]: the pair is one per index, so the edge
    /// keeps only the index (an index, not a shared pointer: no reference
    /// count to touch per edge; and 16 bytes less per edge than the two sites).
    pub(crate) backtrace: u32,
    /// The locks held around the edge every time it was made.
    pub(crate) gate: StoredGate,
    /// The ways the edge was made.
    pub(crate) kinds: Kinds,
}

pub(crate) type Graph = LockGraph<LockRef, EdgeData>;

/// The call sites of an edge's two ends: where the source was taken, and
/// the target.
pub(crate) type Sites = (&'static Location<'static>, &'static Location<'static>);

/// Two call sites by address (comparing `Location`s by content would compare
/// file names on every lookup).
pub(crate) type SitePair = (usize, usize);

/// The key of the call-site pair `from`, `to`.
pub(crate) fn site_pair(
    from: &'static Location<'static>,
    to: &'static Location<'static>,
) -> SitePair {
    (
        std::ptr::from_ref(from).addr(),
        std::ptr::from_ref(to).addr(),
    )
}

pub(crate) struct Global {
    pub(crate) graph: Graph,
    /// Edges that close a cycle no way round which can deadlock (gated, see
    /// [`crate::graph::gate`], or not strong, see [`crate::graph::dep`]):
    /// kept out of the graph, which stays acyclic, and looked at again by
    /// every search for a cycle.
    kept: Vec<(LockId, LockId, EdgeData)>,
    backtraces: Backtraces,
}

/// One backtrace per distinct pair of call sites, shared by all their edges
/// (as many as there are pairs of call sites in the program, never more).
#[derive(Default)]
struct Backtraces {
    by_sites: FastMap<SitePair, u32>,
    /// By index: the call sites (from, to) and their backtrace.
    captured: Vec<(Sites, CapturedBacktrace)>,
    /// The pair looked up last and its index: edges come in runs from one
    /// pair of call sites (a loop taking locks), and a hit skips the hash.
    last: Option<(SitePair, u32)>,
}

static GLOBAL: LazyLock<RawMutex<Global>> = LazyLock::new(|| {
    RawMutex::new(Global {
        graph: LockGraph::new(),
        kept: Vec::new(),
        backtraces: Backtraces::default(),
    })
});

/// Runs `f` with the global state locked.
pub(crate) fn with<R>(f: impl FnOnce(&mut Global) -> R) -> R {
    f(&mut GLOBAL.lock())
}

pub(crate) use crate::report::Closing;

/// The held locks an acquisition makes edges from, the gate of each edge if
/// it is new (see [`Gate::around`]; each is left as its edge's gate), and
/// the held set, to whose locks held exclusively a known edge's gate
/// narrows.
pub(crate) type Sources<'a> = (&'a mut [HeldLock], &'a mut [Gate], &'a HeldLocks);

impl Global {
    /// Inserts `h -> target` for every held `h` in `sources`, made under the
    /// gate in `gates` (one per source, for a new edge; a known one narrows to
    /// the locks `held_set` holds exclusively now) with `target` taken as `access`, and
    /// marks `h` as a `source` when the edge is kept (in the graph, or aside).
    /// An edge that closes a cycle that can deadlock (see
    /// [`crate::graph::walk`]), or that narrows its gate or is made a new way
    /// so that a cycle through it now can, is returned with the rest of that
    /// cycle (an edge that would close a cycle is refused, or kept aside if
    /// the cycle cannot deadlock). Each of `gates` is left as the edge's gate
    /// now.
    pub(crate) fn record(
        &mut self,
        (sources, gates, held_set): Sources<'_>,
        access: Access,
        target: &LockRef,
        site: &'static Location<'static>,
        thread: &ThreadLabel,
    ) -> Vec<Closing> {
        let held_exclusively = |id: LockId| held_set.holds_exclusively(id);
        let mut refused = Vec::new();
        for (held, gate) in sources.iter_mut().zip(gates.iter_mut()) {
            let (id, from) = (held.id, LockRef::new(held.id, held.origin));
            let (sites, kind) = ((held.site, site), Kind::of(held.access, access));
            let data = |backtraces: &mut Backtraces, gate: Gate| EdgeData {
                thread: thread.clone(),
                backtrace: backtraces.index_for(sites, (id, target.id), thread),
                gate: StoredGate::new(gate),
                kinds: Kinds::one(kind),
            };
            let inserted = self.graph.insert(
                (id, || from.clone()),
                (target.id, || target.clone()),
                || data(&mut self.backtraces, *gate),
            );
            let known = matches!(inserted, Insert::Known);
            let (check, kinds) = match inserted {
                Insert::Added => (!self.kept.is_empty(), Kinds::one(kind)),
                Insert::Known => {
                    let edge = self.graph.edge_mut(id, target.id).expect("a known edge");
                    let changed = edge.gate.narrow_to(held_exclusively) | edge.kinds.insert(kind);
                    *gate = edge.gate.get();
                    (changed && !self.kept.is_empty(), edge.kinds)
                }
                Insert::Cycle => {
                    // Made before under another held set or another way: its
                    // gate narrows, its kinds grow.
                    let pair = |(a, b, _): &(LockId, LockId, EdgeData)| (*a, *b) == (id, target.id);
                    let kept = self.kept.iter().position(pair);
                    let kinds = match kept {
                        Some(at) => {
                            let edge = &mut self.kept[at].2;
                            edge.gate.narrow_to(held_exclusively);
                            edge.kinds.insert(kind);
                            *gate = edge.gate.get();
                            edge.kinds
                        }
                        None => Kinds::one(kind),
                    };
                    match self.deadlock_path_back(id, target.id, *gate, kinds) {
                        Some(path) => refused.push(Closing::new(*held, path, kept.is_some())),
                        None if kept.is_none() => {
                            // A cycle that cannot deadlock: the edge is kept aside.
                            let data = data(&mut self.backtraces, *gate);
                            self.kept.push((id, target.id, data));
                            held.source = true;
                        }
                        None => held.source = true,
                    }
                    continue;
                }
            };
            held.source = true;
            if check && let Some(path) = self.deadlock_path_back(id, target.id, *gate, kinds) {
                refused.push(Closing::new(*held, path, known));
            }
        }
        refused
    }

    /// The way back from `target` to `held` that, with the edge
    /// `held -> target` (its gate `gate`, made as `kinds`), makes a cycle
    /// that can deadlock, if there is one, as report edges. (A kept edge on
    /// it stays kept: it was made, and closes the cycle again, reported as a
    /// refused edge is, whenever it is made again; which kept edges a report
    /// names never changes a verdict.)
    fn deadlock_path_back(
        &self,
        held: LockId,
        target: LockId,
        gate: Gate,
        kinds: Kinds,
    ) -> Option<Vec<OrderEdge>> {
        let kept = &self.kept;
        let path = kinds.iter().find_map(|kind| {
            let closing = ClosingEdge { gate, kind };
            self.graph
                .deadlock_path(target, held, kept, closing, |e| (e.gate.get(), e.kinds))
        })?;
        Some(path.into_iter().map(|e| self.order_edge(e)).collect())
    }

    /// A path edge as a report shows it: with its backtrace, and its gate's
    /// locks that are still in the graph.
    fn order_edge(&self, edge: PathEdge<LockRef, EdgeData>) -> OrderEdge {
        let (sites, backtrace) = self.backtraces.of(&edge.info);
        let gate = edge.info.gate.get();
        let gate = gate.ids().iter();
        OrderEdge {
            from: edge.from,
            to: edge.to,
            thread: edge.info.thread,
            from_site: sites.0,
            to_site: sites.1,
            backtrace: Some(backtrace.clone()),
            gate: gate
                .filter_map(|&id| self.graph.payload_of(id).cloned())
                .collect(),
            kinds: edge.info.kinds,
        }
    }

    /// Inserts an edge of a private graph being published (never a cycle:
    /// its locks had no global edges), or, if it is there, narrows its gate
    /// and adds its kinds (the private edge's, `made`).
    pub(crate) fn publish(
        &mut self,
        (from, to): (LockRef, LockRef),
        data: impl FnOnce() -> EdgeData,
        (gate, kinds): (Gate, Kinds),
    ) {
        let (a, b) = (from.id, to.id);
        match self.graph.insert((a, || from), (b, || to), data) {
            Insert::Added => {}
            Insert::Known => {
                let edge = self.graph.edge_mut(a, b).expect("a known edge");
                edge.gate.narrow(&gate);
                edge.kinds.extend(kinds);
            }
            Insert::Cycle => debug_assert!(false, "a published private edge closed a cycle"),
        }
    }

    /// Removes a lock, its edges and its kept edges.
    pub(crate) fn remove(&mut self, id: LockId) {
        self.graph.remove(id);
        self.kept.retain(|(a, b, _)| *a != id && *b != id);
    }
}

impl Global {
    /// A copy of the graph's locks and edges.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let locks = self.graph.nodes().map(|lock| LockInfo {
            id: lock.id(),
            name: lock.name(),
            created_at: lock.created_at(),
        });
        let info = |from: LockId, to: LockId, data: &EdgeData| EdgeInfo {
            from,
            to,
            thread: data.thread.to_string(),
            site: self.backtraces.of(data).0.1,
            gate: data.gate.get().ids().to_vec(),
        };
        let edges = self
            .graph
            .edges()
            .map(|(from, to, data)| info(from.id(), to.id(), data));
        let kept = self
            .kept
            .iter()
            .map(|(from, to, data)| info(*from, *to, data));
        let edges = edges.chain(kept);
        Snapshot {
            locks: locks.collect(),
            edges: edges.collect(),
        }
    }

    /// The index of the backtrace of the call-site pair `sites`, captured
    /// now if the pair is new, as `thread`'s stack when it made `edge`.
    pub(crate) fn backtrace_index(
        &mut self,
        sites: Sites,
        edge: (LockId, LockId),
        thread: &ThreadLabel,
    ) -> u32 {
        self.backtraces.index_for(sites, edge, thread)
    }
}

impl Backtraces {
    /// The call sites and backtrace of `edge` (its index is one this table
    /// gave out: entries are never removed).
    fn of(&self, edge: &EdgeData) -> (Sites, &CapturedBacktrace) {
        let (sites, backtrace) = &self.captured[edge.backtrace as usize];
        (*sites, backtrace)
    }

    /// The backtrace of the call-site pair `(from, to)`: captured now if the
    /// pair is new (unresolved: symbols are looked up only for a report), as
    /// the stack of `thread` making `edge`. Every later edge made at these
    /// two sites, by any thread, shares it (its report says whose it is).
    #[inline]
    fn index_for(&mut self, sites: Sites, edge: (LockId, LockId), thread: &ThreadLabel) -> u32 {
        match self.last {
            Some((last, index)) if last == site_pair(sites.0, sites.1) => index,
            _ => self.look_up(sites, edge, thread),
        }
    }

    /// [`Self::index_for`] past the last pair, out of line.
    #[inline(never)]
    fn look_up(&mut self, (from, to): Sites, edge: (LockId, LockId), thread: &ThreadLabel) -> u32 {
        let pair = site_pair(from, to);
        let Backtraces {
            by_sites, captured, ..
        } = self;
        let index = *by_sites.entry(pair).or_insert_with(|| {
            let backtrace = CapturedBacktrace::capture(thread.clone(), Some(edge));
            captured.push(((from, to), backtrace));
            u32::try_from(captured.len() - 1).expect("fewer than 2^32 call-site pairs")
        });
        self.last = Some((pair, index));
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_keeps_four_words() {
        // Every edge of the graph keeps one, and a new edge writes it: its
        // call sites are found from its backtrace index, its gate is boxed
        // (only a gated edge's, so most edges allocate nothing for it).
        assert!(size_of::<EdgeData>() <= 32, "{}", size_of::<EdgeData>());
        assert_eq!(size_of::<Gate>(), Gate::MAX * size_of::<LockId>());
    }
}
