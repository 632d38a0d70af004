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
//! A private lock that was only ever the target of edges (a *sink*) is
//! forgotten lazily: its owner queues its id when it is dropped, without taking
//! the store's lock, and the edges of the queued sinks are removed together,
//! when the queue is full, before a publication, or when the graph is full. Edges
//! into a lock with no edge out of it lie on no cycle, so until then they
//! change no verdict; they only stay a little longer in memory.
//!
//! Lock order: a store's lock may be held while taking the global graph lock
//! or the table of stores, never the other way round, and never two stores'
//! locks at once.

use std::panic::Location;
use std::sync::atomic::{
    AtomicU32,
    Ordering::{Acquire, Relaxed, Release},
    fence,
};
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock as RawRwLock;

use super::global::{self, EdgeData, Refused};
use crate::graph::order::Insert;
use crate::hash::FastMap;
use crate::held::{HeldLock, HeldLocks, INLINE};
use crate::id::{self, LockId};
use crate::meta::Origin;
use crate::report::{LockRef, OrderEdge, ThreadLabel};
use crate::trusted::OwnerMutex;

/// A private graph with more edges than this is published.
const EDGES: usize = 256;

/// How many dropped sinks a store queues before its owner takes the lock to
/// forget them all at once (or a publication or a full graph does).
const DEAD: usize = 64;

/// The ids of dropped sinks, queued by the store's owner without the store's
/// lock and taken out under it: one producer (the owner), one consumer at a
/// time (whoever holds the lock). Plain loads and stores on both sides.
struct DeadQueue {
    ids: [AtomicU32; DEAD],
    /// Written only by the owner: the count of ids ever queued.
    head: AtomicU32,
    /// Written only under the store's lock: the count of ids ever taken out.
    tail: AtomicU32,
}

impl DeadQueue {
    fn new() -> Self {
        DeadQueue {
            ids: std::array::from_fn(|_| AtomicU32::new(0)),
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
        }
    }

    /// Whether nothing is queued (a hint, unless the store's lock is held
    /// and the caller is the owner).
    fn is_empty(&self) -> bool {
        self.head.load(Relaxed) == self.tail.load(Relaxed)
    }

    /// Queues `id` (the owner only); false if the queue is full.
    fn push(&self, id: LockId) -> bool {
        let head = self.head.load(Relaxed);
        // Acquire: the consumer has read the slots it took out before we reuse them.
        if head.wrapping_sub(self.tail.load(Acquire)) as usize >= DEAD {
            return false;
        }
        self.ids[head as usize % DEAD].store(id.as_u32(), Relaxed);
        // Release: a consumer that sees the new head sees the slot.
        self.head.store(head.wrapping_add(1), Release);
        true
    }

    /// Takes out every queued id into `out` (call with the store's lock
    /// held); returns how many there were.
    fn take(&self, out: &mut [u32; DEAD]) -> usize {
        let tail = self.tail.load(Relaxed);
        let head = self.head.load(Acquire);
        let count = head.wrapping_sub(tail) as usize;
        for (k, id) in out.iter_mut().take(count).enumerate() {
            *id = self.ids[tail.wrapping_add(k as u32) as usize % DEAD].load(Relaxed);
        }
        // Release: the slots were read before the owner may reuse them.
        self.tail.store(head, Release);
        count
    }
}

/// One thread's private graph.
pub(crate) struct Store {
    thread: u32,
    label: ThreadLabel,
    /// Every id below this is public (raised by each publication).
    published_below: AtomicU32,
    /// Whether a publication ever moved edges into the global graph (then a
    /// dropped public lock of this thread may have a node there).
    published_edges: AtomicU32,
    /// Dropped sinks not yet removed from `graph` (or from the global graph,
    /// if a publication moved their edges there first).
    dead: DeadQueue,
    graph: OwnerMutex<Private>,
}

#[derive(Default)]
struct Private {
    edges: Vec<PrivateEdge>,
    /// Backtrace indexes (in the global store) by call-site pair.
    backtraces: FastMap<global::SitePair, u32>,
    /// The pairs looked up last, in sets chosen by a hash of the pair, two
    /// to a set, the more recent first: a loop makes the same few edge shapes
    /// again and again. (One to a set, two of the four pairs of a lock taken
    /// under four others shared a set in more than half of the layouts of
    /// the call sites, and each then evicted the other: a hash lookup per
    /// edge, 120 more instructions per lock in S9.)
    recent_backtraces: [[Option<(global::SitePair, u32)>; 2]; RECENT_SETS],
}

/// How many sets of two call-site pairs a private graph remembers without a
/// hash lookup.
const RECENT_SETS: usize = 8;

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

/// Every id below it is public in every store: the lowest bound of the live
/// stores (of none: every id). An edge among such locks goes straight to the
/// global graph, without finding out which thread handed each id out.
///
/// Lowered when a store registers (before its thread hands out any id of the
/// store), recomputed when a bound rises or a store goes; always under the
/// write lock of [`STORES`], so it is exactly the lowest bound. A thread that sees
/// an id handed out by another thread sees the lowered value: the id is
/// assigned with `Release` after the registration, the only other write to
/// the id word (`LazyId::mark_in_graph`) reads it with `Acquire` and writes it
/// back with `Release`, and [`below_public`] fences with `Acquire` after the
/// ids were read.
static PUBLIC_BELOW: AtomicU32 = AtomicU32::new(u32::MAX);

/// Whether every one of `ids` is public in every store (see [`PUBLIC_BELOW`]).
fn below_public(mut ids: impl Iterator<Item = LockId>) -> bool {
    fence(Acquire);
    let public_below = PUBLIC_BELOW.load(Relaxed);
    ids.all(|id| id.as_u32() < public_below)
}

/// Sets [`PUBLIC_BELOW`] from the stores (call with [`STORES`] locked).
fn recompute_public_below(stores: &FastMap<u32, Arc<Store>>) {
    let lowest = stores
        .values()
        .map(|s| s.published_below.load(Acquire))
        .min()
        .unwrap_or(u32::MAX);
    // Written only if it changes: every new edge reads its cache line.
    if PUBLIC_BELOW.load(Relaxed) != lowest {
        PUBLIC_BELOW.store(lowest, Release);
    }
}

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
            dead: DeadQueue::new(),
            graph: OwnerMutex::new(Private::default()),
        });
        let mut stores = STORES.write();
        stores.insert(thread, Arc::clone(&store));
        PUBLIC_BELOW.fetch_min(public_below, Release);
        drop(stores);
        store
    }

    /// The thread is ending: its locks become public.
    pub(crate) fn retire(&self) {
        // Publish first: until its bound is raised, other threads must still
        // find this store to publish it before they put an edge on its locks
        // (or to forget a dropped one).
        self.publish_with(&mut self.graph.lock(), u32::MAX);
        let mut stores = STORES.write();
        stores.remove(&self.thread);
        recompute_public_below(&stores);
    }

    /// Whether `id` is private to this store's thread (call with the graph locked).
    fn owns(&self, id: LockId) -> bool {
        id.as_u32() >= self.published_below.load(Relaxed) && self.handed_out(id)
    }

    /// Whether this store's thread handed out `id`.
    fn handed_out(&self, id: LockId) -> bool {
        id::thread_of(id) == self.thread
    }

    /// Whether any of the locks is private to this thread, any is public and
    /// this thread's, and any is another thread's (final for the first only
    /// under the store's lock).
    fn classify(&self, sources: &[HeldLock], target: &LockRef) -> (bool, bool, bool) {
        let public_below = self.published_below.load(Relaxed);
        let (mut mine_private, mut public, mut others) = (false, false, false);
        for id in sources.iter().map(|s| s.id).chain([target.id]) {
            match self.handed_out(id) {
                true if id.as_u32() >= public_below => mine_private = true,
                true => public = true,
                false => others = true,
            }
        }
        (mine_private, public, others)
    }

    /// Records `source -> target` for every source, if all of them and
    /// `target` are private to this thread (unchecked if `target` is `fresh`:
    /// its first use, with no edge out of it); marks each recorded source as
    /// `source` and adds the refused ones (their edges would close a cycle)
    /// to `refused`. (An out-parameter: returned by value, the vector went
    /// through the stack in pieces that the caller read back whole, a
    /// store-forwarding stall on every new edge.)
    /// `Err`: not all private, nothing recorded; every lock of this thread
    /// involved is public now, and the error says whether other threads'
    /// private graphs may need publishing (false when every lock involved is
    /// below [`PUBLIC_BELOW`]).
    pub(crate) fn record(
        &self,
        sources: &mut [HeldLock],
        target: &LockRef,
        site: &'static Location<'static>,
        fresh: bool,
        refused: &mut Vec<Refused>,
    ) -> Result<(), bool> {
        // Public everywhere: no lookup of the threads that handed them out.
        if below_public(sources.iter().map(|s| s.id).chain([target.id])) {
            return Err(false);
        }
        // Publication only ever raises the bound: with no lock of this thread
        // private now, none will be, and the store's lock is not needed.
        if let (false, _, others) = self.classify(sources, target) {
            return Err(others);
        }
        let mut graph = self.graph.lock();
        let (mine_private, public, others) = self.classify(sources, target);
        if public || others {
            if mine_private {
                self.publish_with(&mut graph, id::handed_out_below());
            }
            return Err(others);
        }
        // No check for an edge already here: this thread's edge cache said it
        // was not known, so it is almost always new; a repeat only takes room.
        for held in sources.iter_mut() {
            // A fresh lock has no edge out of it: no path back to a source.
            if let Some(path) = (!fresh).then(|| graph.path(target.id, held.id)).flatten() {
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
        self.publish_if_full(&mut graph);
        Ok(())
    }

    /// [`Self::record`] for the first use of the lock `target` (its id was
    /// assigned just now) in the usual case: every lock `held` is private to
    /// this thread, the store's owner. Records an edge from each distinct held
    /// lock, unchecked: no edge leaves a fresh lock that is still private (an
    /// edge out of it by another thread would have published this store first,
    /// and the check below, under the store's lock, sees that). Returns false,
    /// recording nothing, if some lock is not private.
    pub(crate) fn record_fresh(
        &self,
        held: &HeldLocks,
        target: LockId,
        target_origin: Origin,
        site: &'static Location<'static>,
    ) -> bool {
        if held.len() > INLINE {
            return false;
        }
        let held = held.inline(); // all of it
        let mut graph = self.graph.lock();
        if !self.owns(target) {
            return false;
        }
        let to = (target, target_origin, site);
        if let [only] = held {
            // The usual case, without the loop's bookkeeping.
            let source = only.get();
            if !self.owns(source.id) {
                return false;
            }
            graph.push_edge(&source, to);
        } else {
            // One pass: the edges pushed so far are taken back if a source is public.
            let recorded_before = graph.edges.len();
            for (index, slot) in held.iter().enumerate() {
                let source = slot.get();
                if !self.owns(source.id) {
                    graph.edges.truncate(recorded_before);
                    return false;
                }
                if held[..index].iter().any(|slot| slot.id() == source.id) {
                    continue; // taken twice (a recursive read): one edge
                }
                graph.push_edge(&source, to);
            }
        }
        self.publish_if_full(&mut graph);
        true
    }

    /// Moves every private edge into the global graph and makes every id
    /// below `public_below` public.
    fn publish_with(&self, graph: &mut Private, public_below: u32) {
        self.bury(graph);
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
        let before = self.published_below.fetch_max(public_below, Release);
        if before < public_below {
            recompute_public_below(&STORES.write());
        }
    }

    /// Removes the edges of the queued dead sinks (call with the graph locked):
    /// from this graph if they are still private, else from the global one
    /// (a publication moved them there after they were queued).
    fn bury(&self, graph: &mut Private) {
        if self.dead.is_empty() {
            return;
        }
        let mut dead = [0u32; DEAD];
        let count = self.dead.take(&mut dead);
        let dead = &mut dead[..count];
        if !dead.is_sorted() {
            dead.sort_unstable(); // usually queued in ascending order already
        }
        // Still private: the edges are here; else a publication moved them.
        let public_below = self.published_below.load(Relaxed);
        let (public, private) = dead.split_at(dead.partition_point(|&id| id < public_below));
        if let Some(&first) = private.first() {
            // Ids dropped together are usually close: a bitmap of the 64 from
            // the lowest, then a binary search for the rest.
            let near = private.iter().map(|&id| id - first).filter(|&k| k < 64);
            let bits = near.fold(0u64, |bits, k| bits | 1 << k);
            let buried = |id: LockId| match id.as_u32().wrapping_sub(first) {
                k if k < 64 => bits & 1 << k != 0,
                _ => private.binary_search(&id.as_u32()).is_ok(),
            };
            // Edges out of a sink are not expected; removed too, should a
            // held entry left by a leaked guard on another thread have made one.
            let gone = |e: &PrivateEdge| buried(e.to) || buried(e.from);
            // Locks made, used once and dropped in turn: their edges are the
            // newest, at the end.
            while graph.edges.last().is_some_and(gone) {
                graph.edges.pop();
            }
            if graph.edges.iter().any(gone) {
                graph.edges.retain(|e| !gone(e));
            }
        }
        if !public.is_empty() {
            let ids = public.iter().map(|&id| LockId::from_u32(id));
            global::with(|g| ids.for_each(|id| g.graph.remove(id)));
        }
    }

    /// Publishes the graph if it has more than [`EDGES`] edges once the dead
    /// sinks are buried.
    fn publish_if_full(&self, graph: &mut Private) {
        if graph.edges.len() > EDGES {
            self.bury(graph);
            if graph.edges.len() > EDGES {
                self.publish_with(graph, id::handed_out_below());
            }
        }
    }

    /// [`forget`] for a lock this store's thread handed out; `sink`: the lock
    /// was never the source of an edge, and this thread is the store's owner.
    #[inline]
    fn forget(&self, id: LockId, sink: bool) -> Result<(), bool> {
        if id.as_u32() >= self.published_below.load(Acquire) && sink && self.dead.push(id) {
            return Ok(()); // removed by the next holder of the lock
        }
        self.forget_now(id)
    }

    /// [`Self::forget`] for a lock not queued as a dead sink.
    #[inline(never)]
    fn forget_now(&self, id: LockId) -> Result<(), bool> {
        if id.as_u32() >= self.published_below.load(Acquire) {
            let mut graph = self.graph.lock();
            self.bury(&mut graph);
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

    /// Adds the edge from the held `source` to the lock `to` (its id and
    /// origin, and where it is being taken).
    #[inline]
    fn push_edge(
        &mut self,
        source: &HeldLock,
        (target, target_origin, site): (LockId, Origin, &'static Location<'static>),
    ) {
        let backtrace = self.backtrace(source.site, site);
        self.edges.push(PrivateEdge {
            from: source.id,
            to: target,
            from_origin: source.origin,
            to_origin: target_origin,
            from_site: source.site,
            to_site: site,
            backtrace,
        });
    }

    /// The backtrace index of the call-site pair, captured (globally) if new.
    #[inline]
    fn backtrace(
        &mut self,
        from: &'static Location<'static>,
        to: &'static Location<'static>,
    ) -> u32 {
        let pair = global::site_pair(from, to);
        let set = recent_set(pair);
        let ways = &mut self.recent_backtraces[set];
        match *ways {
            [Some((recent, index)), _] if recent == pair => index,
            [other, Some((recent, index))] if recent == pair => {
                *ways = [Some((recent, index)), other];
                index
            }
            _ => self.backtrace_not_recent(from, to, set),
        }
    }

    /// [`Self::backtrace`] for a pair not among the recent ones.
    #[cold]
    #[inline(never)]
    fn backtrace_not_recent(
        &mut self,
        from: &'static Location<'static>,
        to: &'static Location<'static>,
        set: usize,
    ) -> u32 {
        let pair = global::site_pair(from, to);
        let index = *self
            .backtraces
            .entry(pair)
            .or_insert_with(|| global::with(|g| g.backtrace_index(from, to)));
        let ways = &mut self.recent_backtraces[set];
        *ways = [Some((pair, index)), ways[0]];
        index
    }

    /// Removes the edges of a dropped lock. Each removed edge is replaced by
    /// the last one, not closed up on: the edges of a lock that others were
    /// taken under lie spread over the newest ones, and `retain` moved nearly
    /// all of them (64 bytes each) at every drop of such a lock (S9: 2,086
    /// instructions per lock before, 2,043 after). No verdict depends on the
    /// order of the edges. It decides how fast [`Store::bury`] is (its
    /// shortcut is for locks dropped in the order they were made; otherwise
    /// it makes its full pass), and, where there are several, which shortest
    /// path a report shows and which of two edges between the same locks
    /// gives the call sites once published.
    fn remove(&mut self, id: LockId) {
        let mut index = 0;
        while let Some(edge) = self.edges.get(index) {
            if edge.from == id || edge.to == id {
                self.edges.swap_remove(index);
            } else {
                index += 1;
            }
        }
    }
}

/// The set of `pair` among a private graph's recent call-site pairs
/// (`Location`s are 24-byte statics: their addresses differ in the low bits).
fn recent_set((from, to): global::SitePair) -> usize {
    let (from, to) = (from as u64, to as u64);
    let mixed = (from ^ to.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (u64::BITS - RECENT_SETS.trailing_zeros())) as usize
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

/// A lock is being dropped (`sink`: it was never the source of an edge).
/// `Ok` if it was private (its edges are gone with it, or queued to go);
/// `Err` if it is public, saying whether it may have a node in the global
/// graph from a publication.
pub(crate) fn forget(id: LockId, sink: bool, mine: Option<&Arc<Store>>) -> Result<(), bool> {
    let thread = id::thread_of(id);
    match mine {
        Some(store) if store.thread == thread => store.forget(id, sink),
        // Only the owner queues; the owner has ended (and published
        // everything) if it has no store.
        _ => store_of(thread).map_or(Err(true), |store| store.forget(id, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mutex;

    /// This thread's store (it has handed out ids).
    fn this_store() -> Arc<Store> {
        super::super::context::with_private_store(|store| {
            Arc::clone(store.expect("this thread hands out ids"))
        })
    }

    /// The edge count of this thread's private graph.
    fn private_edges() -> usize {
        this_store().graph.lock().edges.len()
    }

    /// Runs `test` on a new thread (a private graph of its own), to the end.
    fn on_a_new_thread(test: impl FnOnce() + Send + 'static) {
        std::thread::spawn(test).join().unwrap();
    }

    /// Two call-site pairs that share a set of the recent-pairs cache, used
    /// in turn (a lock taken under several others), both stay in it, and
    /// every lookup, cached or not, gives the pair's own backtrace index.
    #[test]
    fn two_pairs_sharing_a_recent_set_both_stay_and_keep_their_indexes() {
        #[track_caller]
        fn site() -> &'static Location<'static> {
            Location::caller()
        }
        let sites = [site(), site(), site(), site(), site(), site()];
        let pairs: Vec<_> = sites
            .iter()
            .flat_map(|&a| sites.iter().map(move |&b| (a, b)))
            .filter(|(a, b)| !std::ptr::eq(*a, *b))
            .collect();
        let mut graph = Private::default();
        let indexes: Vec<u32> = pairs.iter().map(|&(a, b)| graph.backtrace(a, b)).collect();
        let distinct: std::collections::HashSet<u32> = indexes.iter().copied().collect();
        assert_eq!(distinct.len(), pairs.len(), "one backtrace per pair");
        // 30 pairs in 8 sets: two of them share one.
        let set_of = |&(a, b): &(&'static Location<'static>, &'static Location<'static>)| {
            recent_set(global::site_pair(a, b))
        };
        let (first, second) = (0..pairs.len())
            .flat_map(|i| (i + 1..pairs.len()).map(move |j| (i, j)))
            .find(|&(i, j)| set_of(&pairs[i]) == set_of(&pairs[j]))
            .expect("pigeonhole");
        for _ in 0..3 {
            for k in [first, second] {
                let (a, b) = pairs[k];
                assert_eq!(graph.backtrace(a, b), indexes[k]);
                let newest = graph.recent_backtraces[set_of(&pairs[k])][0];
                assert_eq!(newest, Some((global::site_pair(a, b), indexes[k])));
            }
        }
        let cached: Vec<_> = graph.recent_backtraces[set_of(&pairs[first])]
            .iter()
            .flatten()
            .map(|&(pair, _)| pair)
            .collect();
        for k in [first, second] {
            let (a, b) = pairs[k];
            assert!(cached.contains(&global::site_pair(a, b)));
        }
        for (k, &(a, b)) in pairs.iter().enumerate().rev() {
            assert_eq!(graph.backtrace(a, b), indexes[k]);
        }
    }

    /// A new lock's first use caches its edges but not its held set: taking
    /// it again and again under the same lock must find the edge there
    /// (through the slow path once), not record it a second time.
    #[test]
    fn a_new_lock_taken_again_under_the_same_lock_adds_one_private_edge() {
        on_a_new_thread(|| {
            let outer = Mutex::new(0);
            let inner = Mutex::new(0);
            let _held = outer.lock();
            let before = private_edges();
            for _ in 0..100 {
                *inner.lock() += 1;
            }
            assert_eq!(private_edges(), before + 1);
        });
    }

    /// A thread registers its private graph when an acquisition takes a new
    /// block of ids, not before: an id it handed out earlier (through `id()`)
    /// may already be known to other threads, so it stays public, and the
    /// locks first used from the new block on are private.
    #[test]
    fn ids_handed_out_before_the_private_graph_is_registered_stay_public() {
        on_a_new_thread(|| {
            let registered = || super::super::context::with_private_store(|s| s.is_some());
            let early = Mutex::new(0);
            let early_id = early.id(); // the thread's first block, no acquisition
            // Locks used until the acquisitions reach a new block.
            let mut used = Vec::new();
            while !registered() {
                used.push(Mutex::new(0));
                drop(used.last().unwrap().lock());
                assert!(used.len() <= 16, "the first block has 16 ids");
            }
            let (outer, inner) = (Mutex::new(0), Mutex::new(0));
            {
                let _outer = outer.lock();
                drop(inner.lock());
            }
            let store = this_store();
            let graph = store.graph.lock();
            assert!(!store.owns(early_id), "handed out before registration");
            assert!(!store.owns(used[0].id()), "from the first block too");
            assert!(
                store.owns(used.last().unwrap().id()),
                "the new block's first"
            );
            assert!(store.owns(outer.id()) && store.owns(inner.id()));
            drop(graph);
            assert_eq!(private_edges(), 1, "outer -> inner stays private");
            {
                let _outer = outer.lock();
                drop(early.lock());
            }
            // An edge into a public lock publishes the private graph.
            assert_eq!(private_edges(), 0);
            assert!(global::with(|g| g.graph.contains(outer.id(), early_id)));
        });
    }

    #[test]
    fn a_thread_churning_sinks_keeps_a_small_private_graph() {
        on_a_new_thread(|| {
            let outer = Mutex::new(0);
            let _held = outer.lock();
            for i in 0..10 * DEAD {
                let sink = Mutex::new(i);
                *sink.lock() += 1;
                drop(sink);
                // Queued, not removed: at most a queue's worth of dead edges.
                assert!(private_edges() <= DEAD + 1, "{} edges", private_edges());
            }
            // A lock with an edge out of it is forgotten at once.
            let middle = Mutex::new(0);
            let last = Mutex::new(0);
            let before = private_edges();
            {
                let _middle = middle.lock();
                drop(last.lock());
            }
            // outer -> middle, outer -> last, middle -> last
            assert_eq!(private_edges(), before + 3);
            drop(middle);
            // Its edges, and the queued sinks' with them.
            assert_eq!(private_edges(), 1, "only outer -> last is left");
        });
    }

    #[test]
    fn a_sink_made_public_before_it_is_buried_leaves_the_global_graph() {
        on_a_new_thread(|| {
            let outer = Mutex::new(0);
            let sink = Mutex::new(0);
            {
                let _held = outer.lock();
                drop(sink.lock());
            }
            let store = this_store();
            let (from, to) = (outer.id(), sink.id());
            assert_eq!(private_edges(), 1);
            // Another thread publishes this store (it needs one of its locks) ...
            store.publish_if_owner(to);
            assert!(global::with(|g| g.graph.contains(from, to)));
            // ... just before the sink, dropped, is queued as private.
            assert!(store.dead.push(to));
            std::mem::forget(sink);
            store.bury(&mut store.graph.lock());
            assert!(!global::with(|g| g.graph.contains(from, to)));
            assert!(store.dead.is_empty());
        });
    }

    #[test]
    fn a_private_lock_of_a_live_thread_is_never_below_the_public_watermark() {
        use std::sync::mpsc::channel;
        let (ids, received) = channel();
        let (done, finish) = channel::<()>();
        let owner = std::thread::spawn(move || {
            let (outer, inner) = (Mutex::new(0), Mutex::new(0));
            {
                let _outer = outer.lock();
                drop(inner.lock()); // a private edge outer -> inner
            }
            assert_eq!(private_edges(), 1);
            ids.send((outer.id(), inner.id())).unwrap();
            finish.recv().unwrap();
            // Published (the global graph needs them), they may go below it.
            let store = this_store();
            store.publish_if_owner(inner.id());
            let bound = store.published_below.load(Relaxed);
            assert!(PUBLIC_BELOW.load(Relaxed) <= bound);
        });
        let (outer, inner) = received.recv().unwrap();
        // Seen from another thread, while their owner keeps them private.
        assert!(!below_public([outer].into_iter()));
        assert!(!below_public([inner].into_iter()));
        assert!(!below_public([LockId::from_u32(1), inner].into_iter()));
        done.send(()).unwrap();
        owner.join().unwrap();
    }

    /// The watermark, checked against the stores with every writer of either
    /// kept out.
    fn assert_watermark_is_the_lowest_bound() {
        let stores = STORES.write();
        let lowest = stores
            .values()
            .map(|s| s.published_below.load(Relaxed))
            .min();
        assert_eq!(PUBLIC_BELOW.load(Relaxed), lowest.unwrap_or(u32::MAX));
    }

    #[test]
    fn the_watermark_is_the_lowest_bound_of_the_live_stores() {
        assert_watermark_is_the_lowest_bound();
        on_a_new_thread(|| {
            let (outer, inner) = (Mutex::new(0), Mutex::new(0));
            drop((outer.lock(), inner.lock())); // registers, with a private edge
            assert_watermark_is_the_lowest_bound();
            let store = this_store();
            store.publish_if_owner(inner.id()); // its bound rises
            assert_watermark_is_the_lowest_bound();
        }); // its store retires
        assert_watermark_is_the_lowest_bound();
    }

    #[test]
    fn a_fresh_lock_under_a_public_one_leaves_no_private_edge_behind() {
        let public = Arc::new(Mutex::new(0));
        drop(public.lock()); // its id is this thread's: another thread's lock
        let public_id = public.id();
        let public = Arc::clone(&public);
        on_a_new_thread(move || {
            let (mine, fresh) = (Mutex::new(0), Mutex::new(0));
            let _mine = mine.lock();
            let _public = public.try_lock().expect("free"); // no edge into it
            assert_eq!(private_edges(), 0);
            // mine -> fresh would be private, public -> fresh cannot: both global.
            drop(fresh.lock());
            assert_eq!(private_edges(), 0, "nothing private is left");
            assert!(global::with(|g| g.graph.contains(mine.id(), fresh.id())));
            assert!(global::with(|g| g.graph.contains(public_id, fresh.id())));
        });
    }

    #[test]
    fn the_dead_queue_holds_a_queue_full_and_refuses_more() {
        let queue = DeadQueue::new();
        for k in 1..=DEAD as u32 {
            assert!(queue.push(LockId::from_u32(k)));
        }
        assert!(!queue.push(LockId::from_u32(999)));
        let mut out = [0; DEAD];
        assert_eq!(queue.take(&mut out), DEAD);
        assert_eq!(out[0], 1);
        assert_eq!(out[DEAD - 1], DEAD as u32);
        assert!(queue.is_empty());
        // Wraps around.
        assert!(queue.push(LockId::from_u32(7)));
        assert_eq!(queue.take(&mut out), 1);
        assert_eq!(out[0], 7);
    }
}
