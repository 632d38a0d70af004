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
//! far is public. An edge goes into a private graph only when its target is
//! private to the thread taking it and its source is private to it too, or
//! public with the target taken for the first time (an *incoming* edge, the
//! shape of short-lived locks made under a shared registry lock); otherwise
//! the private graphs of every lock involved are published first and the
//! edge goes to the global graph. So the edges out of a private lock all end
//! at private locks of one thread, and no path leads from a private lock to
//! a public one: a cycle through a private lock consists of private edges
//! and is found by the private check, a cycle through public locks only by
//! the global one (an incoming edge is published, with its target, before
//! another thread can make an edge out of the target), and no cycle is ever
//! missed. Publishing is also what `graph::snapshot` does first,
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
//!
//! This module is the store and its publication; the pieces it is made of:
//! `edges` (the edge list and the path search), `sites` (the cache of
//! backtraces by call-site pair), `dead` (the queue of dropped sinks) and
//! `watermark` (the registry of live stores and the public watermark).

mod dead;
mod edges;
mod sites;
#[cfg(test)]
mod tests;
mod watermark;

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

use super::global::{self, EdgeData, Sources};
use crate::graph::dep::{Kind, Kinds};
use crate::graph::gate::{Gate, Outermost, StoredGate};
use crate::held::{Access, HeldLock, HeldLocks, INLINE, Slot};
use crate::id::{self, LockId};
use crate::meta::Origin;
use crate::report::{LockRef, ThreadLabel};
use crate::trusted::{OwnerGuard, OwnerMutex};
use dead::{DEAD, DeadQueue};
use edges::{Private, PrivateEdge, Target};
pub(crate) use watermark::below_public;
use watermark::{PUBLIC_BELOW, STORES, recompute_public_below, store_of};

/// A private graph with more edges than this is published.
const EDGES: usize = 256;

/// One thread's private graph.
pub(crate) struct Store {
    thread: u32,
    /// Every id below this is public (raised by each publication).
    published_below: AtomicU64,
    /// Whether a publication ever moved edges into the global graph (then a
    /// dropped public lock of this thread may have a node there).
    published_edges: AtomicU32,
    /// Dropped sinks not yet removed from `graph` (or from the global graph,
    /// if a publication moved their edges there first).
    dead: DeadQueue,
    graph: OwnerMutex<Private>,
}

impl Store {
    /// A store for this thread, registered so other threads can publish it.
    /// Ids this thread handed out below `public_below` are public: they may
    /// already have global edges.
    pub(crate) fn register(label: ThreadLabel, public_below: u64) -> Arc<Store> {
        let thread = id::this_thread();
        let store = Arc::new(Store {
            thread,
            published_below: AtomicU64::new(public_below),
            published_edges: AtomicU32::new(0),
            dead: DeadQueue::new(),
            graph: OwnerMutex::new(Private::new(label)),
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
        self.publish_with(&mut self.graph.lock(), u64::MAX);
        let mut stores = STORES.write();
        stores.remove(&self.thread);
        recompute_public_below(&stores);
    }

    /// Whether `id` is private to this store's thread: final under the
    /// graph's lock; read without it, `false` is final (publication only ever
    /// raises the bound) and `true` only a hint.
    pub(crate) fn owns(&self, id: LockId) -> bool {
        id.as_u64() >= self.published_below.load(Relaxed) && self.handed_out(id)
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
                true if id.as_u64() >= public_below => mine_private = true,
                true => public = true,
                false => others = true,
            }
        }
        (mine_private, public, others)
    }

    /// Records `source -> target` for every source, made under the gate in
    /// `gates` (one per source, for a new edge; a known one narrows to the
    /// locks `held_set` holds exclusively now; each is left as the edge's gate), if all
    /// of them and `target` are private to this thread (unchecked if `target`
    /// is `fresh`: its first use, with no edge out of it); marks each
    /// recorded source as `source`.
    /// `Err`: not all private, or an edge would close a cycle (the graph is
    /// published, and the global graph decides, with the gates, whether the
    /// cycle is reported), nothing recorded; every lock of this thread
    /// involved is public now, and the error says whether other threads'
    /// private graphs may need publishing (false when every lock involved is
    /// below [`PUBLIC_BELOW`]: a caller that has seen that with
    /// [`below_public`] need not call).
    pub(crate) fn record(
        &self,
        (sources, gates, held_set): Sources<'_>,
        access: Access,
        target: &LockRef,
        site: &'static Location<'static>,
        fresh: bool,
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
        // Each source's edge, if this graph has it already (made before
        // under another held set or another way: a gated edge is not in the
        // thread's edge cache), the most recent first (found twice, not
        // kept: no allocation).
        let made = |graph: &Private, held: &HeldLock| match fresh {
            true => None,
            false => graph.find(held.id, target.id),
        };
        // A fresh lock has no edge out of it, and an edge already here closes
        // no cycle (the graph has none): only a new edge into a lock used
        // before may.
        let closes = |graph: &Private| {
            let mut new = sources.iter().filter(|held| made(graph, held).is_none());
            !fresh && new.any(|held| graph.path(target.id, held.id).is_some())
        };
        if public || others || closes(&graph) {
            if mine_private {
                self.publish_with(&mut graph, id::handed_out_below());
            }
            return Err(others);
        }
        for (held, gate) in sources.iter_mut().zip(gates.iter_mut()) {
            let kind = Kind::of(held.access, access);
            match made(&graph, held) {
                Some(at) => {
                    // Its gate narrows, its kinds grow.
                    let edge = &mut graph.edges[at];
                    edge.gate.narrow_to(|id| held_set.holds_exclusively(id));
                    edge.kinds.insert(kind);
                    *gate = edge.gate;
                }
                None => {
                    let to = (target.id, target.origin, site, access);
                    graph.push_edge(held, to, (*gate, kind));
                }
            }
            held.source = true;
        }
        self.publish_if_full(&mut graph);
        Ok(())
    }

    /// [`Self::record`] for a held set every edge of which into the private
    /// lock `target` (taken as `access`) is in this graph already, made under
    /// other held sets: each edge's gate narrows to the locks `held` holds
    /// around it too, and its kinds grow. Nothing to check: a private graph
    /// has no cycle (an edge that would close one is published instead), and
    /// narrowing a gate or adding a kind makes none. Returns one bit per
    /// inline entry of `held` whose edge is ungated now, or `None`, changing
    /// nothing, if some edge is not here (new, or published) or `target` is
    /// not private (then [`Self::record`] decides).
    pub(crate) fn narrow(
        &self,
        held_set: &HeldLocks,
        target: LockId,
        access: Access,
    ) -> Option<u64> {
        let (held, mut graph) = self.lock_for(held_set, |_| self.owns(target))?;
        // One pass, the most recent first (a loop re-makes the edges it made
        // last), until every held lock's edge is found (a lock taken twice,
        // by recursive reads, has one edge: its entries are found together).
        // If one is missing, the edges narrowed already stay so: the slow
        // path narrows them the same way.
        let every = match held.len() {
            0 => return None,
            len => u64::MAX >> (u64::BITS as usize - len),
        };
        let exclusively = |id| held.iter().any(|slot| slot.holds_exclusively(id));
        let (mut found, mut ungated) = (0u64, 0u64);
        for edge in graph.edges.iter_mut().rev() {
            if edge.to != target {
                continue;
            }
            let from = edge.from;
            let entries = held
                .iter()
                .enumerate()
                .filter(|(_, slot)| slot.id() == from);
            let entries = entries.fold(0u64, |bits, (index, _)| bits | 1 << index);
            if entries == 0 {
                continue;
            }
            let first = entries.trailing_zeros() as usize;
            edge.gate.narrow_to(exclusively);
            edge.kinds
                .insert(Kind::of_bits(held[first].access_bits(), access));
            if edge.gate.is_empty() {
                ungated |= 1 << first;
            }
            found |= entries;
            if found == every {
                return Some(ungated);
            }
        }
        None
    }

    /// [`Self::record`] for the first use of the lock `target` (its id was
    /// assigned just now) in the usual case: `target` is private to this
    /// thread, the store's owner, and every lock `held` is private to it or
    /// public (a lock another thread used first: see
    /// [`Self::admit_public_source`]). Records an edge from each distinct
    /// held lock, unchecked: no edge leaves a fresh lock that is still private
    /// (an edge out of it by another thread would have published this store
    /// first, and the check below, under the store's lock, sees that).
    /// Returns false, recording nothing, if `target` is not private or a held
    /// lock is another thread's private lock.
    pub(crate) fn record_fresh(
        &self,
        held: &HeldLocks,
        (target, target_origin, site, access): Target,
    ) -> Option<u64> {
        // This thread handed `target` out just now: it is this thread's,
        // and private unless a publication raised the bound past it since.
        debug_assert!(self.handed_out(target));
        let (held, mut graph) = self.lock_for(held, |bound| target.as_u64() >= bound)?;
        let to = (target, target_origin, site, access);
        if let [only] = held {
            // The usual case, without the loop's bookkeeping.
            let source = only.get();
            if !self.may_source(&mut graph, &source) {
                return None;
            }
            let kind = Kind::of_bits(only.access_bits(), access);
            graph.push_edge(&source, to, (Gate::NONE, kind));
            self.publish_if_full(&mut graph);
            return Some(1);
        }
        // One pass: the edges pushed so far are taken back if a source is
        // another thread's private lock.
        let recorded_before = graph.edges.len();
        let outermost = Outermost::of(held.iter().map(Slot::id_and_access));
        let mut ungated = 0;
        for (index, slot) in held.iter().enumerate() {
            let source = slot.get();
            if !self.may_source(&mut graph, &source) {
                graph.edges.truncate(recorded_before);
                return None;
            }
            if held[..index].iter().any(|slot| slot.id() == source.id) {
                continue; // taken twice (a recursive read): one edge
            }
            let gate = outermost.gate_of(source.id);
            if gate.is_empty() {
                ungated |= 1 << index;
            }
            graph.push_edge(&source, to, (gate, Kind::of(source.access, access)));
        }
        self.publish_if_full(&mut graph);
        Some(ungated)
    }

    /// The entries of `held` (all of them, or `None` if some are past the
    /// inline ones) and this graph, locked, if the target is private to this
    /// thread (`private`, given the bound below which every id is public):
    /// what [`Self::narrow`] and [`Self::record_fresh`] work on.
    #[inline(always)]
    fn lock_for<'h>(
        &self,
        held: &'h HeldLocks,
        private: impl FnOnce(u64) -> bool,
    ) -> Option<(&'h [Slot], OwnerGuard<'_, Private>)> {
        const { assert!(INLINE <= u64::BITS as usize) };
        if held.len() > INLINE {
            return None;
        }
        let graph = self.graph.lock();
        private(self.published_below.load(Relaxed)).then_some((held.inline(), graph))
    }

    /// Whether an edge from the held `source` into a fresh lock private to
    /// this thread can be kept here: `source` is private to this thread too,
    /// or public (see [`Self::admit_public_source`]), not another thread's
    /// private lock (whose edges must all stay in that thread's graph).
    /// (The id and origin only, by value, for the out-of-line part: a
    /// reference would make the whole entry be written out first.)
    #[inline(always)]
    fn may_source(&self, graph: &mut Private, source: &HeldLock) -> bool {
        self.owns(source.id) || self.public_source(graph, source.id, source.origin)
    }

    /// [`Self::may_source`] for a source not private to this thread.
    #[cold]
    #[inline(never)]
    fn public_source(&self, graph: &mut Private, id: LockId, origin: Origin) -> bool {
        graph.is_public_source(id) || self.admit_public_source(graph, id, origin)
    }

    /// Whether the held lock `id`, not private to this thread, is public;
    /// if so, it gets a node in the global graph (if it has none) and is
    /// remembered as a public source.
    ///
    /// An edge from a public lock into a private one stays in the private
    /// graph: it closes no cycle while its target is private (the edges out
    /// of a private lock all end at private locks of the same thread, so no
    /// path leads from it back to a public lock), and the publication that
    /// makes the target public, which comes before any other thread can make
    /// an edge out of it, moves it into the global graph. The node is how
    /// that publication knows whether the source is still alive: a dropped
    /// lock's node is removed (the held entry is marked as a source, so its
    /// lock is marked as in the graph when released), ids are never reused,
    /// and an edge whose source has no node is dropped instead of bringing
    /// a dead lock back.
    fn admit_public_source(&self, graph: &mut Private, id: LockId, origin: Origin) -> bool {
        if !self.is_public(id) {
            return false;
        }
        global::with(|g| g.graph.add_node(id, || LockRef::new(id, origin)));
        graph.remember_public_source(id);
        true
    }

    /// Whether `id`, not private to this thread, is public (for good:
    /// publication only ever raises a bound).
    fn is_public(&self, id: LockId) -> bool {
        if self.handed_out(id) || below_public(std::iter::once(id)) {
            return true;
        }
        // An ended thread published everything (0: no known owner, no store).
        store_of(id::thread_of(id))
            .is_none_or(|store| id.as_u64() < store.published_below.load(Acquire))
    }

    /// Moves every private edge into the global graph and makes every id
    /// below `public_below` public. An edge from a public lock (see
    /// [`Self::admit_public_source`]) moves only if that lock still has its
    /// node; otherwise the lock was dropped, and the edge goes with it.
    fn publish_with(&self, graph: &mut Private, public_below: u64) {
        self.bury(graph);
        if !graph.edges.is_empty() {
            self.published_edges.store(1, Release);
            global::with(|g| {
                for edge in &graph.edges {
                    // Before the bound is raised below: true exactly for the
                    // edges between this thread's private locks.
                    if !self.owns(edge.from) && !g.graph.has_node(edge.from) {
                        continue;
                    }
                    let (from, to) = edge.ends();
                    let data = || EdgeData {
                        thread: graph.label.clone(),
                        backtrace: edge.backtrace,
                        gate: StoredGate::new(edge.gate),
                        kinds: edge.kinds,
                    };
                    g.publish((from, to), data, (edge.gate, edge.kinds));
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
    /// (a publication moved them there after they were queued). Inlined: the
    /// queue is usually empty.
    #[inline]
    fn bury(&self, graph: &mut Private) {
        if !self.dead.is_empty() {
            self.bury_with(graph, None);
        }
    }

    /// [`Self::bury`], with `also` (a private sink of this thread being
    /// dropped now) buried with the queued ones.
    fn bury_with(&self, graph: &mut Private, also: Option<LockId>) {
        if self.dead.is_empty() && also.is_none() {
            return;
        }
        let mut dead = [0u64; DEAD + 1];
        let mut count = self
            .dead
            .take((&mut dead[..DEAD]).try_into().expect("DEAD ids"));
        if let Some(id) = also {
            dead[count] = id.as_u64();
            count += 1;
        }
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
            let buried = |id: LockId| match id.as_u64().wrapping_sub(first) {
                k if k < 64 => bits & 1 << k != 0,
                _ => private.binary_search(&id.as_u64()).is_ok(),
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
            let ids = public.iter().map(|&id| LockId::from_u64(id));
            global::with(|g| ids.for_each(|id| g.remove(id)));
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
    fn forget(
        &self,
        id: LockId,
        sink: bool,
        ungated: Option<impl FnMut(Ungated)>,
    ) -> Result<(), bool> {
        if id.as_u64() >= self.published_below.load(Acquire) && sink && self.dead.push(id) {
            return Ok(()); // removed by the next holder of the lock
        }
        self.forget_now(id, sink, ungated)
    }

    /// [`Self::forget`] for a lock not queued as a dead sink (a source, or
    /// the queue is full). (A sink gates nothing: a gate is held around
    /// the edges it gates, so it is the source of edges into their locks.)
    #[inline(never)]
    fn forget_now(
        &self,
        id: LockId,
        sink: bool,
        ungated: Option<impl FnMut(Ungated)>,
    ) -> Result<(), bool> {
        if id.as_u64() >= self.published_below.load(Acquire) {
            let mut graph = self.graph.lock();
            if self.owns(id) {
                match sink {
                    // With the queued ones: a sink's edges are usually the
                    // newest, after theirs, and `bury` then only pops edges
                    // off the end (buried first, they would be in its way).
                    true => self.bury_with(&mut graph, Some(id)),
                    false => {
                        self.bury(&mut graph);
                        graph.remove(
                            id,
                            ungated.map(|mut ungated| {
                                move |edge: &PrivateEdge| {
                                    let (from, to) = (edge.from, edge.to);
                                    let ends = ((from, edge.from_origin), (to, edge.to_origin));
                                    ungated((ends.0, ends.1, edge.kinds));
                                }
                            }),
                        );
                    }
                }
                return Ok(());
            }
            self.bury(&mut graph);
        }
        Err(self.published_edges.load(Acquire) != 0)
    }

    /// Publishes this store if `id` is private to it; returns whether it did.
    fn publish_if_owner(&self, id: LockId) -> bool {
        if id.as_u64() < self.published_below.load(Acquire) {
            return false; // public already (publication only ever raises the bound)
        }
        let mut graph = self.graph.lock();
        let owns = self.owns(id);
        if owns {
            self.publish_with(&mut graph, id::handed_out_below());
        }
        owns
    }
}

/// Publishes the private graph owning each of `ids` that is private (one
/// store at a time); afterwards every one of `ids` is public. Returns
/// whether one was private.
pub(crate) fn publish_owners(ids: impl Iterator<Item = LockId>) -> bool {
    let mut published = false;
    for id in ids {
        if let Some(store) = store_of(id::owner(id)) {
            published |= store.publish_if_owner(id);
        }
    }
    published
}

/// Publishes every thread's private graph (before a snapshot of the whole graph).
pub(crate) fn publish_all() {
    let stores: Vec<Arc<Store>> = STORES.read().values().cloned().collect();
    for store in stores {
        store.publish_with(&mut store.graph.lock(), id::handed_out_below());
    }
}

/// An edge of this thread's private graph whose gate a dropped lock left
/// empty (see [`forget`]): its two locks (ids and origins) and the ways it
/// was made.
pub(crate) type Ungated = ((LockId, Origin), (LockId, Origin), Kinds);

/// A lock is being dropped (`sink`: it was never the source of an edge).
/// `Ok` if it was private (its edges are gone with it, or queued to go);
/// `Err` if it is public, saying whether it may have a node in the global
/// graph from a publication. Dropped by its owner, the lock leaves every
/// private gate it was in, and `ungated` sees each edge that that leaves
/// ungated (an edge the thread may then know without narrowing it).
/// Dropped by another thread, it leaves them as they are: its owner may
/// still hold it through a leaked guard (its held entry stays), and keep
/// making edges under it, which must then find their gates as made.
pub(crate) fn forget(
    id: LockId,
    sink: bool,
    mine: Option<&Arc<Store>>,
    ungated: impl FnMut(Ungated),
) -> Result<(), bool> {
    let thread = id::thread_of(id);
    match mine {
        Some(store) if store.thread == thread => store.forget(id, sink, Some(ungated)),
        // Only the owner queues; the owner has ended (and published
        // everything) if it has no store.
        _ => store_of(thread).map_or(Err(true), |store| {
            store.forget(id, false, None::<fn(Ungated)>)
        }),
    }
}
