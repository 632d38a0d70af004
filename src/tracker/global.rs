//! The process-wide state: the lock-order graph and the backtraces of its edges,
//! behind one raw (uninstrumented) lock.
//!
//! The lock is only ever held for graph work: never while a handler runs, never
//! while waiting for a user lock, and nothing called under it takes it again, so
//! the detector cannot deadlock.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex as RawMutex;

use crate::graph::order::{Insert, LockGraph, PathEdge};
use crate::held::HeldLock;
use crate::id::LockId;
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

type SitePair = (&'static Location<'static>, &'static Location<'static>);

pub(crate) struct Global {
    pub(crate) graph: Graph,
    /// One backtrace per distinct pair of call sites, shared by all their edges.
    backtraces: HashMap<SitePair, EdgeBacktrace>,
}

static GLOBAL: LazyLock<RawMutex<Global>> = LazyLock::new(|| {
    RawMutex::new(Global {
        graph: LockGraph::new(),
        backtraces: HashMap::new(),
    })
});

/// Runs `f` with the global state locked.
pub(crate) fn with<R>(f: impl FnOnce(&mut Global) -> R) -> R {
    f(&mut GLOBAL.lock())
}

/// The result of recording the edges into one acquisition.
pub(crate) struct Recorded {
    /// Edges now known to be in the graph (inserted or already there).
    pub(crate) known: Vec<LockId>,
    /// For each refused edge: the held lock and the existing path back to it.
    pub(crate) cycles: Vec<(HeldLock, Vec<OrderEdge>)>,
}

impl Global {
    /// Inserts `h -> target` for every held `h` in `sources`; an edge that would
    /// close a cycle is refused and returned with its path.
    pub(crate) fn record(
        &mut self,
        sources: &[HeldLock],
        target: &LockRef,
        site: &'static Location<'static>,
        thread: &ThreadLabel,
    ) -> Recorded {
        let mut recorded = Recorded {
            known: Vec::new(),
            cycles: Vec::new(),
        };
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
                Insert::Known | Insert::Added => recorded.known.push(held.id),
                Insert::Cycle(path) => recorded
                    .cycles
                    .push((*held, path.into_iter().map(order_edge).collect())),
            }
        }
        recorded
    }
}

fn backtrace_for(
    cache: &mut HashMap<SitePair, EdgeBacktrace>,
    from: &'static Location<'static>,
    to: &'static Location<'static>,
) -> EdgeBacktrace {
    let captured = cache.entry((from, to)).or_insert_with(|| {
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
