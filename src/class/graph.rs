//! The process-wide class graph, behind one raw (uninstrumented) lock that
//! is only held for its own work (never while a handler runs or a user lock
//! is awaited, and nothing under it takes it again).
//!
//! Every class edge keeps the instance edge that first made it (locks,
//! thread, sites, a backtrace), which is what a report shows. Edges are never
//! removed: a class outlives its locks, and the graph is bounded by the
//! number of classes in the program.

use std::collections::HashSet;
use std::panic::Location;

use parking_lot::Mutex as RawMutex;

use super::LockClass;
use crate::graph::dep::{Kind, Kinds};
use crate::graph::gate::Gate;
use crate::graph::walk::{self, ClosingEdge, Step};
use crate::hash::FastMap;
use crate::held::Access;
use crate::held::HeldLock;
use crate::id::LockId;
use crate::report::{CapturedBacktrace, LockRef, OrderEdge, ThreadLabel};

#[derive(Default)]
struct ClassGraph {
    index: FastMap<LockClass, u32>,
    /// The classes each class has an edge to.
    out: Vec<Vec<u32>>,
    /// The first instance edge of each class edge, and its gate: the lock
    /// instances held around every instance edge that made it.
    edges: FastMap<(u32, u32), (OrderEdge, Gate)>,
    /// The class cycles reported, by their classes in ascending order: a
    /// cycle is reported once, by the edge that closes it or by the one
    /// whose narrowed gate no longer gates it, whichever comes first.
    reported: HashSet<Vec<u32>>,
}

static GRAPH: RawMutex<Option<ClassGraph>> = RawMutex::new(None);

/// Forgets every edge of the `classes` (and the cycles reported through
/// them): for the proptest runner, which names each run's classes afresh, so
/// that a long run of programs (a fuzzer's) does not keep every one's edges.
/// The classes must never be used again.
#[cfg(feature = "proptest")]
pub(crate) fn forget(classes: &[LockClass]) {
    let mut guard = GRAPH.lock();
    let Some(graph) = guard.as_mut() else {
        return;
    };
    let gone: Vec<u32> = classes
        .iter()
        .filter_map(|class| graph.index.remove(class))
        .collect();
    if gone.is_empty() {
        return;
    }
    graph
        .edges
        .retain(|(from, to), _| !gone.contains(from) && !gone.contains(to));
    for (node, out) in graph.out.iter_mut().enumerate() {
        match gone.contains(&(node as u32)) {
            true => *out = Vec::new(),
            false => out.retain(|to| !gone.contains(to)),
        }
    }
    graph
        .reported
        .retain(|cycle| !cycle.iter().any(|class| gone.contains(class)));
}

/// A class edge that closed a cycle: the held lock it came from, and the
/// existing class path from the acquired lock's class back to the held
/// lock's, as the instance edges that first made each step.
pub(crate) type Closed = crate::report::Closing;

/// Records the class edges `class(h) -> class(target)` of `thread` taking
/// `target` at `site` while holding each `h` of `sources` (of another class
/// than `target`), each made under the gate in `gates` (one per source; each
/// is left as the class edge's gate now); returns the ones that closed a
/// class cycle that no one lock instance gates, or narrowed a gate so that a
/// class cycle through them is no longer gated. Each new class edge keeps
/// this instance edge, and a backtrace of this thread.
///
/// A class edge's gate is made of lock *instances*: two threads running two
/// class orders are serialised only by one and the same gate lock, not by
/// two locks of one class (each object's own outer lock).
pub(crate) fn record(
    sources: &[HeldLock],
    held_set: &[HeldLock],
    gates: &mut [Gate],
    access: Access,
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
    for (held, gate) in sources.iter().zip(gates.iter_mut()) {
        let from = graph.node(LockClass::of(held.origin));
        if from == to {
            continue;
        }
        let kind = Kind::of(held.access, access);
        let again = graph.edges.contains_key(&(from, to));
        if let Some((first, known)) = graph.edges.get_mut(&(from, to)) {
            let new_kind = first.kinds.insert(kind);
            // Instances of other edges of the class edge may be this one's
            // ends, which gate nothing here.
            let around = |id| id != held.id && id != target.id;
            let exclusive = |id| held_set.iter().any(|h| h.id == id && h.access.serialises());
            let changed = known.narrow_to(|id| around(id) && exclusive(id)) | new_kind;
            *gate = *known;
            first.gate.retain(|lock| known.contains(lock.id));
            // A record learns the new kind too (the checker unites them).
            #[cfg(feature = "record")]
            if new_kind && crate::record::on() {
                recorded.push(first.clone());
            }
            if !changed {
                continue;
            }
        } else {
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
                gate: gate_locks(held_set, gate),
                kinds: Kinds::one(kind),
            };
            #[cfg(feature = "record")]
            if crate::record::on() {
                recorded.push(first.clone());
            }
            graph.edges.insert((from, to), (first, *gate));
            graph.out[from as usize].push(to);
        }
        let kinds = graph.edges[&(from, to)].0.kinds;
        if let Some(path) = graph.deadlock_path(to, from, *gate, kinds) {
            closed.push(Closed::new(*held, path, again));
        }
    }
    drop(guard);
    // Written with the graph unlocked (resolving a backtrace takes a while).
    #[cfg(feature = "record")]
    crate::record::write(&recorded);
    closed
}

/// The locks of `gate`, as the held set `held` names them: each once, though
/// a reentrant lock is in the held set once per acquisition.
fn gate_locks(held: &[HeldLock], gate: &Gate) -> Vec<LockRef> {
    let named = |&id: &LockId| held.iter().find(|h| h.id == id);
    let in_gate = gate.ids().iter().filter_map(named);
    in_gate.map(|h| LockRef::new(h.id, h.origin)).collect()
}

/// Runs `start` (which turns recording on) under the graph's lock, and
/// returns the class edges known until then: each is written by the caller,
/// every later one by [`record`], none twice and none missed.
#[cfg(feature = "record")]
pub(crate) fn start_recording(start: impl FnOnce()) -> Vec<OrderEdge> {
    let guard = GRAPH.lock();
    start();
    guard.as_ref().map_or_else(Vec::new, |graph| {
        graph.edges.values().map(|(edge, _)| edge.clone()).collect()
    })
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

    /// The shortest path `from -> ... -> to` that, with the class edge
    /// `to -> from` (its gate `gate`, made as `kinds`), closes a class cycle
    /// that can deadlock (see [`walk::deadlock_walk`]), as the first instance
    /// edges of its class edges, unless that cycle was reported before;
    /// `None` if there is none.
    fn deadlock_path(
        &mut self,
        from: u32,
        to: u32,
        gate: Gate,
        kinds: Kinds,
    ) -> Option<Vec<OrderEdge>> {
        let walk = kinds.iter().find_map(|kind| {
            walk::deadlock_walk(from, to, ClosingEdge { gate, kind }, |node, out| {
                for &next in &self.out[node as usize] {
                    let (first, gate) = &self.edges[&(node, next)];
                    out.push(Step {
                        to: next,
                        gate: *gate,
                        kinds: first.kinds,
                        edge: (),
                    });
                }
            })
        })?;
        let mut classes: Vec<u32> = walk.iter().map(|&(a, _, ())| a).chain([to]).collect();
        classes.sort_unstable();
        classes.dedup();
        if !self.reported.insert(classes) {
            return None;
        }
        let edges = walk.iter().map(|&(a, b, ())| self.edges[&(a, b)].0.clone());
        Some(edges.collect())
    }
}

#[cfg(all(test, feature = "proptest"))]
mod tests {
    use super::*;

    /// The class graph's edges between `x` and `y`, either way.
    fn edges_between(x: LockClass, y: LockClass) -> usize {
        let graph = GRAPH.lock();
        let Some(graph) = graph.as_ref() else {
            return 0;
        };
        let (Some(&x), Some(&y)) = (graph.index.get(&x), graph.index.get(&y)) else {
            return 0;
        };
        let between = |&&(a, b): &&(u32, u32)| (a, b) == (x, y) || (a, b) == (y, x);
        graph.edges.keys().filter(between).count()
    }

    #[test]
    fn forgotten_classes_leave_no_edges() {
        let (x, y) = (LockClass::named("forget.x"), LockClass::named("forget.y"));
        let (a, b) = (
            crate::Mutex::with_class(x, ()),
            crate::Mutex::with_class(y, ()),
        );
        let taken = std::thread::spawn(move || drop((a.lock(), b.lock())));
        taken.join().expect("x -> y taken");
        assert_eq!(edges_between(x, y), 1);
        forget(&[x, y]);
        assert_eq!(edges_between(x, y), 0);
        let graph = GRAPH.lock();
        let graph = graph.as_ref().expect("a class graph");
        assert!(!graph.index.contains_key(&x) && !graph.index.contains_key(&y));
    }
}
