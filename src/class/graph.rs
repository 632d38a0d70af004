//! The process-wide class graph, behind one raw (uninstrumented) lock that
//! is only held for its own work (never while a handler runs or a user lock
//! is awaited, and nothing under it takes it again).
//!
//! Every class edge keeps the instance edge that first made it (locks,
//! thread, sites, a backtrace), which is what a report shows. Edges are never
//! removed: a class outlives its locks, and the graph is bounded by the
//! number of classes in the program.

use std::collections::VecDeque;
use std::panic::Location;

use parking_lot::Mutex as RawMutex;

use super::LockClass;
use crate::hash::FastMap;
use crate::held::HeldLock;
use crate::report::{CapturedBacktrace, LockRef, OrderEdge, ThreadLabel};

#[derive(Default)]
struct ClassGraph {
    index: FastMap<LockClass, u32>,
    /// The classes each class has an edge to.
    out: Vec<Vec<u32>>,
    /// The first instance edge of each class edge.
    edges: FastMap<(u32, u32), OrderEdge>,
}

static GRAPH: RawMutex<Option<ClassGraph>> = RawMutex::new(None);

/// A class edge that closed a cycle: the held lock it came from, and the
/// existing class path from the acquired lock's class back to the held
/// lock's, as the instance edges that first made each step.
pub(crate) type Closed = (HeldLock, Vec<OrderEdge>);

/// Records the class edges `class(h) -> class(target)` of `thread` taking
/// `target` at `site` while holding each `h` of `sources` (of another class
/// than `target`); returns the ones that closed a class cycle. Each new
/// class edge keeps this instance edge, and a backtrace of this thread.
pub(crate) fn record(
    sources: &[HeldLock],
    target: &LockRef,
    site: &'static Location<'static>,
    thread: &ThreadLabel,
) -> Vec<Closed> {
    let mut guard = GRAPH.lock();
    let graph = guard.get_or_insert_with(ClassGraph::default);
    let to = graph.node(LockClass::of(target.origin));
    let mut closed = Vec::new();
    #[cfg(feature = "record")]
    let mut recorded = Vec::new();
    for held in sources {
        let from = graph.node(LockClass::of(held.origin));
        if from == to || graph.edges.contains_key(&(from, to)) {
            continue;
        }
        let path = graph.path(to, from);
        let first = OrderEdge {
            from: LockRef::new(held.id, held.origin),
            to: target.clone(),
            thread: thread.clone(),
            from_site: held.site,
            to_site: site,
            backtrace: Some(CapturedBacktrace::capture(
                thread.clone(),
                Some((held.id, target.id)),
            )),
        };
        #[cfg(feature = "record")]
        if crate::record::on() {
            recorded.push(first.clone());
        }
        graph.edges.insert((from, to), first);
        graph.out[from as usize].push(to);
        if let Some(path) = path {
            closed.push((*held, path));
        }
    }
    drop(guard);
    // Written with the graph unlocked (resolving a backtrace takes a while).
    #[cfg(feature = "record")]
    crate::record::write(&recorded);
    closed
}

/// Runs `start` (which turns recording on) under the graph's lock, and
/// returns the class edges known until then: each is written by the caller,
/// every later one by [`record`], none twice and none missed.
#[cfg(feature = "record")]
pub(crate) fn start_recording(start: impl FnOnce()) -> Vec<OrderEdge> {
    let guard = GRAPH.lock();
    start();
    guard
        .as_ref()
        .map_or_else(Vec::new, |graph| graph.edges.values().cloned().collect())
}

impl ClassGraph {
    fn node(&mut self, class: LockClass) -> u32 {
        let next = u32::try_from(self.out.len()).expect("fewer than 2^32 classes");
        let index = *self.index.entry(class).or_insert(next);
        if index == next {
            self.out.push(Vec::new());
        }
        index
    }

    /// The shortest path `from -> ... -> to` (breadth first), as the first
    /// instance edges of its class edges; `None` if there is none.
    fn path(&self, from: u32, to: u32) -> Option<Vec<OrderEdge>> {
        let mut parent: FastMap<u32, u32> = FastMap::default();
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            if node == to {
                let mut steps = Vec::new();
                let mut at = to;
                while at != from {
                    let before = parent[&at];
                    steps.push(self.edges[&(before, at)].clone());
                    at = before;
                }
                steps.reverse();
                return Some(steps);
            }
            for &next in &self.out[node as usize] {
                if next != from && !parent.contains_key(&next) {
                    parent.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        None
    }
}
