//! The process-wide state: the lock-order graph and the backtraces of its edges,
//! behind one raw (uninstrumented) lock.
//!
//! The lock is only ever held for graph work: never while a handler runs, never
//! while waiting for a user lock, and nothing called under it takes it again, so
//! the detector cannot deadlock.

use std::panic::Location;
use std::sync::LazyLock;

use parking_lot::Mutex as RawMutex;

use crate::graph::order::{Insert, LockGraph, PathEdge};
use crate::graph::{EdgeInfo, LockInfo, Snapshot};
use crate::hash::FastMap;
use crate::held::HeldLock;
use crate::id::LockId;
use crate::report::{CapturedBacktrace, LockRef, OrderEdge, ThreadLabel};

/// What an edge remembers about how it was first established.
#[derive(Clone, Debug)]
pub(crate) struct EdgeData {
    pub(crate) thread: ThreadLabel,
    pub(crate) from_site: &'static Location<'static>,
    pub(crate) to_site: &'static Location<'static>,
    /// Index of the edge's backtrace in [`Backtraces::captured`] (an index, not
    /// a shared pointer: no reference count to touch per edge).
    pub(crate) backtrace: u32,
}

pub(crate) type Graph = LockGraph<LockRef, EdgeData>;

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
    backtraces: Backtraces,
}

/// One backtrace per distinct pair of call sites, shared by all their edges
/// (as many as there are pairs of call sites in the program, never more).
#[derive(Default)]
struct Backtraces {
    by_sites: FastMap<SitePair, u32>,
    captured: Vec<CapturedBacktrace>,
}

static GLOBAL: LazyLock<RawMutex<Global>> = LazyLock::new(|| {
    RawMutex::new(Global {
        graph: LockGraph::new(),
        backtraces: Backtraces::default(),
    })
});

/// Runs `f` with the global state locked.
pub(crate) fn with<R>(f: impl FnOnce(&mut Global) -> R) -> R {
    f(&mut GLOBAL.lock())
}

/// A refused edge: the held lock it came from and the existing path back to it.
pub(crate) type Refused = (HeldLock, Vec<OrderEdge>);

impl Global {
    /// Inserts `h -> target` for every held `h` in `sources`, and marks `h` as
    /// a `source` when the edge is in the graph (inserted or already there). An
    /// edge that would close a cycle is refused and returned with its path.
    pub(crate) fn record(
        &mut self,
        sources: &mut [HeldLock],
        target: &LockRef,
        site: &'static Location<'static>,
        thread: &ThreadLabel,
    ) -> Vec<Refused> {
        let mut refused = Vec::new();
        let Global { graph, backtraces } = self;
        for held in sources {
            let from = LockRef::new(held.id, held.origin);
            let data = || EdgeData {
                thread: thread.clone(),
                from_site: held.site,
                to_site: site,
                backtrace: backtraces.index_for((held.site, site), (held.id, target.id), thread),
            };
            match graph.insert(
                (held.id, || from.clone()),
                (target.id, || target.clone()),
                data,
            ) {
                Insert::Known | Insert::Added => held.source = true,
                Insert::Cycle(path) => {
                    let path = path.into_iter().map(|e| backtraces.order_edge(e));
                    refused.push((*held, path.collect()));
                }
            }
        }
        refused
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
        let edges = self.graph.edges().map(|(from, to, data)| EdgeInfo {
            from: from.id(),
            to: to.id(),
            thread: data.thread.to_string(),
            site: data.to_site,
        });
        Snapshot {
            locks: locks.collect(),
            edges: edges.collect(),
        }
    }

    /// The index of the backtrace of the call-site pair `sites`, captured
    /// now if the pair is new, as `thread`'s stack when it made `edge`.
    pub(crate) fn backtrace_index(
        &mut self,
        sites: (&'static Location<'static>, &'static Location<'static>),
        edge: (LockId, LockId),
        thread: &ThreadLabel,
    ) -> u32 {
        self.backtraces.index_for(sites, edge, thread)
    }

    /// The backtrace at `index`.
    pub(crate) fn backtrace(&self, index: u32) -> Option<CapturedBacktrace> {
        self.backtraces.captured.get(index as usize).cloned()
    }
}

impl Backtraces {
    /// The backtrace of the call-site pair `(from, to)`: captured now if the
    /// pair is new (unresolved: symbols are looked up only for a report), as
    /// the stack of `thread` making `edge`. Every later edge made at these
    /// two sites, by any thread, shares it (its report says whose it is).
    fn index_for(
        &mut self,
        (from, to): (&'static Location<'static>, &'static Location<'static>),
        edge: (LockId, LockId),
        thread: &ThreadLabel,
    ) -> u32 {
        let Backtraces { by_sites, captured } = self;
        *by_sites.entry(site_pair(from, to)).or_insert_with(|| {
            captured.push(CapturedBacktrace::capture(thread.clone(), Some(edge)));
            u32::try_from(captured.len() - 1).expect("fewer than 2^32 call-site pairs")
        })
    }

    fn order_edge(&self, edge: PathEdge<LockRef, EdgeData>) -> OrderEdge {
        let backtrace = self.captured.get(edge.info.backtrace as usize);
        OrderEdge {
            from: edge.from,
            to: edge.to,
            thread: edge.info.thread,
            from_site: edge.info.from_site,
            to_site: edge.info.to_site,
            backtrace: backtrace.cloned(),
        }
    }
}
