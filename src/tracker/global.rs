//! The process-wide state: the lock-order graph and the backtraces of its edges,
//! behind one raw (uninstrumented) lock.
//!
//! The lock is only ever held for graph work: never while a handler runs, never
//! while waiting for a user lock, and nothing called under it takes it again, so
//! the detector cannot deadlock.

use std::panic::Location;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex as RawMutex;

use crate::graph::order::{FastMap, Insert, LockGraph, PathEdge};
use crate::held::HeldLock;
use crate::violation::{EdgeBacktrace, LockRef, OrderEdge, ThreadLabel};

/// What an edge remembers about how it was first established.
#[derive(Clone, Debug)]
pub(crate) struct EdgeData {
    pub(crate) thread: ThreadLabel,
    pub(crate) from_site: &'static Location<'static>,
    pub(crate) to_site: &'static Location<'static>,
    pub(crate) backtrace: EdgeBacktrace,
}

pub(crate) type Graph = LockGraph<LockRef, EdgeData>;

/// Two call sites by address (comparing `Location`s by content would compare
/// file names on every lookup).
type SitePair = (usize, usize);

pub(crate) struct Global {
    pub(crate) graph: Graph,
    /// One backtrace per distinct pair of call sites, shared by all their edges.
    backtraces: FastMap<SitePair, EdgeBacktrace>,
}

static GLOBAL: LazyLock<RawMutex<Global>> = LazyLock::new(|| {
    RawMutex::new(Global {
        graph: LockGraph::new(),
        backtraces: FastMap::default(),
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
                backtrace: backtrace_for(backtraces, held.site, site),
            };
            match graph.insert(
                (held.id, || from.clone()),
                (target.id, || target.clone()),
                data,
            ) {
                Insert::Known | Insert::Added => held.source = true,
                Insert::Cycle(path) => {
                    refused.push((*held, path.into_iter().map(order_edge).collect()));
                }
            }
        }
        refused
    }
}

fn backtrace_for(
    cache: &mut FastMap<SitePair, EdgeBacktrace>,
    from: &'static Location<'static>,
    to: &'static Location<'static>,
) -> EdgeBacktrace {
    let sites = (
        std::ptr::from_ref(from).addr(),
        std::ptr::from_ref(to).addr(),
    );
    let captured = cache.entry(sites).or_insert_with(|| {
        EdgeBacktrace(Arc::new(RawMutex::new(
            backtrace::Backtrace::new_unresolved(),
        )))
    });
    captured.clone()
}

fn order_edge(edge: PathEdge<LockRef, EdgeData>) -> OrderEdge {
    OrderEdge {
        from: edge.from,
        to: edge.to,
        thread: edge.info.thread,
        from_site: edge.info.from_site,
        to_site: edge.info.to_site,
        backtrace: Some(edge.info.backtrace),
    }
}
