//! Thread-private parts of the lock-order graph.
//!
//! Most locks are only ever used by one thread, and many live briefly (a lock
//! made, used under another and dropped). Putting their edges in the global
//! graph would cost the global lock for every new edge and every drop. Instead
//! each thread keeps, behind its own lock, the edges among its *private* locks.
//!
//! A lock is private to the thread that handed out its id (its owner, see
//! [`crate::id::owner`]) until that thread's private graph is *published*:
//! moved into the global graph, after which every id the owner handed out so
//! far is public. An edge goes into a private graph only when both its locks
//! are private to the thread taking it; otherwise the private graphs of every
//! lock involved are published first and the edge goes to the global graph.
//! So a private lock's edges all join private locks of one thread: a cycle
//! through a private lock consists of private edges and is found by the
//! private check, a cycle through public locks only by the global one, and no
//! cycle is ever missed. Publishing is also what `graph::snapshot` does first,
//! what a thread does when it exits, and what happens when a private graph
//! grows past [`EDGES`] edges.
//!
//! Lock order: a store's lock may be held while taking the global graph lock,
//! never the other way round, and never two stores' locks at once.

use std::panic::Location;
use std::sync::atomic::{
    AtomicU32,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, LazyLock};

use parking_lot::{Mutex as RawMutex, RwLock as RawRwLock};

use super::global::{self, EdgeData, Refused};
use crate::graph::order::{FastMap, Insert};
use crate::held::HeldLock;
use crate::id::{self, LockId};
use crate::meta::Origin;
use crate::violation::{LockRef, OrderEdge, ThreadLabel};

/// A private graph with more edges than this is published.
const EDGES: usize = 256;

/// One thread's private graph.
pub(crate) struct Store {
    thread: u32,
    label: ThreadLabel,
    /// Every id below this is public (raised by each publication).
    published_below: AtomicU32,
    /// Whether a publication ever moved edges into the global graph (then a
    /// dropped public lock of this thread may have a node there).
    published_edges: AtomicU32,
    graph: RawMutex<Private>,
}

#[derive(Default)]
struct Private {
    edges: Vec<PrivateEdge>,
    /// Backtrace indexes (in the global store) by call-site pair.
    backtraces: FastMap<global::SitePair, u32>,
    /// The last pair looked up (a loop makes the same edge shape again and again).
    last_backtrace: Option<(global::SitePair, u32)>,
}

#[derive(Clone, Copy)]
struct PrivateEdge {
    from: LockId,
    to: LockId,
    from_origin: Origin,
    to_origin: Origin,
    from_site: &'static Location<'static>,
    to_site: &'static Location<'static>,
    backtrace: u32,
}

impl PrivateEdge {
    /// The two locks it joins.
    fn ends(&self) -> (LockRef, LockRef) {
        (
            LockRef::new(self.from, self.from_origin),
            LockRef::new(self.to, self.to_origin),
        )
    }
}

/// The live threads' stores, by thread number.
static STORES: LazyLock<RawRwLock<FastMap<u32, Arc<Store>>>> = LazyLock::new(Default::default);

impl Store {
    /// A store for this thread, registered so other threads can publish it.
    /// Ids this thread handed out below `public_below` are public: they may
    /// already have global edges.
    pub(crate) fn register(label: ThreadLabel, public_below: u32) -> Arc<Store> {
        let thread = id::this_thread();
        let store = Arc::new(Store {
            thread,
            label,
            published_below: AtomicU32::new(public_below),
            published_edges: AtomicU32::new(0),
            graph: RawMutex::new(Private::default()),
        });
        STORES.write().insert(thread, Arc::clone(&store));
        store
    }

    /// The thread is ending: its locks become public.
    pub(crate) fn retire(&self) {
        // Publish first: until its bound is raised, other threads must still
        // find this store to publish it before they put an edge on its locks
        // (or to forget a dropped one).
        self.publish_with(&mut self.graph.lock(), u32::MAX);
        STORES.write().remove(&self.thread);
    }

    /// Whether `id` is private to this store's thread (call with the graph locked).
    fn owns(&self, id: LockId) -> bool {
        id.as_u32() >= self.published_below.load(Relaxed) && self.handed_out(id)
    }

    /// Whether this store's thread handed out `id`.
    fn handed_out(&self, id: LockId) -> bool {
        id::from_current_block(id) && id::this_thread() == self.thread
            || id::owner(id) == self.thread
    }

    /// Records `source -> target` for every source, if all of them and
    /// `target` are private to this thread; marks each recorded source as
    /// `source` and adds the refused ones (their edges would close a cycle)
    /// to `refused`. (An out-parameter: returned by value, the vector went
    /// through the stack in pieces that the caller read back whole, a
    /// store-forwarding stall on every new edge.)
    /// `Err`: not all private, nothing recorded; every lock of this thread
    /// involved is public now, and the error says whether locks of other
    /// threads are involved (their private graphs may need publishing).
    pub(crate) fn record(
        &self,
        sources: &mut [HeldLock],
        target: &LockRef,
        site: &'static Location<'static>,
        refused: &mut Vec<Refused>,
    ) -> Result<(), bool> {
        let mut graph = self.graph.lock();
        let public_below = self.published_below.load(Relaxed);
        let (mut mine_private, mut public, mut others) = (false, false, false);
        for id in sources.iter().map(|s| s.id).chain([target.id]) {
            match self.handed_out(id) {
                true if id.as_u32() >= public_below => mine_private = true,
                true => public = true,
                false => others = true,
            }
        }
        if public || others {
            if mine_private {
                self.publish_with(&mut graph, id::handed_out_below());
            }
            return Err(others);
        }
        // No check for an edge already here: this thread's edge cache said it
        // was not known, so it is almost always new; a repeat only takes room.
        for held in sources.iter_mut() {
            if let Some(path) = graph.path(target.id, held.id) {
                let path = path.iter().map(|edge| graph.order_edge(edge, &self.label));
                refused.push((*held, path.collect()));
                continue;
            }
            let backtrace = graph.backtrace(held.site, site);
            graph.edges.push(PrivateEdge {
                from: held.id,
                to: target.id,
                from_origin: held.origin,
                to_origin: target.origin,
                from_site: held.site,
                to_site: site,
                backtrace,
            });
            held.source = true;
        }
        if graph.edges.len() > EDGES {
            self.publish_with(&mut graph, id::handed_out_below());
        }
        Ok(())
    }

    /// Moves every private edge into the global graph and makes every id
    /// below `public_below` public.
    fn publish_with(&self, graph: &mut Private, public_below: u32) {
        if !graph.edges.is_empty() {
            self.published_edges.store(1, Release);
            global::with(|g| {
                for edge in &graph.edges {
                    let (from, to) = edge.ends();
                    let data = || EdgeData {
                        thread: self.label.clone(),
                        from_site: edge.from_site,
                        to_site: edge.to_site,
                        backtrace: edge.backtrace,
                    };
                    // Never a cycle: private locks had no global edges.
                    let inserted = g
                        .graph
                        .insert((from.id, || from.clone()), (to.id, || to), data);
                    debug_assert!(
                        !matches!(inserted, Insert::Cycle(_)),
                        "a published private edge closed a cycle"
                    );
                }
            });
        }
        graph.edges.clear();
        // Release: a thread that sees the new bound also sees `published_edges`.
        self.published_below.fetch_max(public_below, Release);
    }

    /// [`forget`] for a lock this store's thread handed out.
    fn forget(&self, id: LockId) -> Result<(), bool> {
        if id.as_u32() >= self.published_below.load(Acquire) {
            let mut graph = self.graph.lock();
            if self.owns(id) {
                graph.remove(id);
                return Ok(());
            }
        }
        Err(self.published_edges.load(Acquire) != 0)
    }

    /// Publishes this store if `id` is private to it.
    fn publish_if_owner(&self, id: LockId) {
        if id.as_u32() < self.published_below.load(Acquire) {
            return; // public already (publication only ever raises the bound)
        }
        let mut graph = self.graph.lock();
        if self.owns(id) {
            self.publish_with(&mut graph, id::handed_out_below());
        }
    }
}

impl Private {
    /// The shortest path of private edges from `from` to `to` (breadth first).
    fn path(&self, from: LockId, to: LockId) -> Option<Vec<PrivateEdge>> {
        if !self.edges.iter().any(|e| e.from == from) {
            return None; // the usual case: `from` is new, a sink
        }
        // (lock reached, index of the edge that reached it)
        let mut reached: Vec<(LockId, Option<usize>)> = vec![(from, None)];
        let mut next = 0;
        while let Some(&(at, _)) = reached.get(next) {
            next += 1;
            for (index, edge) in self.edges.iter().enumerate() {
                if edge.from != at || reached.iter().any(|&(r, _)| r == edge.to) {
                    continue;
                }
                reached.push((edge.to, Some(index)));
                if edge.to == to {
                    return Some(self.walk_back(&reached, to));
                }
            }
        }
        None
    }

    fn walk_back(&self, reached: &[(LockId, Option<usize>)], to: LockId) -> Vec<PrivateEdge> {
        let mut path = Vec::new();
        let mut at = to;
        while let Some(&(_, Some(index))) = reached.iter().find(|&&(r, _)| r == at) {
            let edge = self.edges[index];
            path.push(edge);
            at = edge.from;
        }
        path.reverse();
        path
    }

    fn order_edge(&self, edge: &PrivateEdge, thread: &ThreadLabel) -> OrderEdge {
        let (from, to) = edge.ends();
        OrderEdge {
            from,
            to,
            thread: thread.clone(),
            from_site: edge.from_site,
            to_site: edge.to_site,
            backtrace: global::with(|g| g.backtrace(edge.backtrace)),
        }
    }

    /// The backtrace index of the call-site pair, captured (globally) if new.
    fn backtrace(
        &mut self,
        from: &'static Location<'static>,
        to: &'static Location<'static>,
    ) -> u32 {
        let pair = global::site_pair(from, to);
        if let Some((last, index)) = self.last_backtrace
            && last == pair
        {
            return index;
        }
        let index = *self
            .backtraces
            .entry(pair)
            .or_insert_with(|| global::with(|g| g.backtrace_index(from, to)));
        self.last_backtrace = Some((pair, index));
        index
    }

    fn remove(&mut self, id: LockId) {
        self.edges.retain(|e| e.from != id && e.to != id);
    }
}

/// This thread takes its first block of ids: it gets its private graph now,
/// before any of those ids can have an edge anywhere.
pub(crate) fn thread_hands_out_ids(first: u32) {
    let _ = super::thread::with(|state| state.private_store_with(|| first));
}

/// The store of thread `thread`, if it is alive.
fn store_of(thread: u32) -> Option<Arc<Store>> {
    STORES.read().get(&thread).cloned()
}

/// Publishes the private graph owning each of `ids` that is private (one
/// store at a time); afterwards every one of `ids` is public.
pub(crate) fn publish_owners(ids: impl Iterator<Item = LockId>) {
    for id in ids {
        if let Some(store) = store_of(id::owner(id)) {
            store.publish_if_owner(id);
        }
    }
}

/// Publishes every thread's private graph (before a snapshot of the whole graph).
pub(crate) fn publish_all() {
    let stores: Vec<Arc<Store>> = STORES.read().values().cloned().collect();
    for store in stores {
        store.publish_with(&mut store.graph.lock(), id::handed_out_below());
    }
}

/// A lock is being dropped. Returns true if it was private (its edges are
/// gone with it); false if it is public, and whether it may have a node in the
/// global graph from a publication.
pub(crate) fn forget(id: LockId, mine: Option<&Arc<Store>>) -> Result<(), bool> {
    let thread = match id::from_current_block(id) {
        true => id::this_thread(),
        false => id::owner(id),
    };
    match mine {
        Some(store) if store.thread == thread => store.forget(id),
        // The owner has ended (and published everything) if it has no store.
        _ => store_of(thread).map_or(Err(true), |store| store.forget(id)),
    }
}
