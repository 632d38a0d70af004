//! The execution context: one thread's view (the locks it holds, the edges
//! it knows are in the graph) and the checks an acquisition runs before it
//! may block.
//!
//! [`with`] is the seam: it gives the state of the context that is running
//! now, a thread. An async task would be a second kind of context with the
//! same [`ThreadState`] (held set, edge and chain caches), reached through the
//! same function while the task runs; the cold state (private graph, label,
//! watchdog record) stays per thread.

mod known_set;

use std::cell::{Cell, OnceCell};
use std::panic::Location;
use std::sync::Arc;

use super::edge_cache::{KeyCache, chain_key, edge_key};
use super::global;
use super::poison;
use super::private::{self, Store};
use crate::class;
use crate::config;
use crate::graph::dep::Kind;
use crate::graph::gate::{Gate, Outermost};
use crate::held::{Access, EMPTY_CHAIN, HeldLock, HeldLocks, INLINE, PoisonMarks, Slot};
use crate::id::LockId;
use crate::meta::{Flavour, LockMeta, Origin};
use crate::report::{
    ClassCycle, Closing, Cycle, HeldRef, LockRef, OrderViolation, RecursiveRead, SelfDeadlock,
    ThreadLabel, Violation,
};
use crate::watchdog::registry::ThreadRecord;
pub use known_set::SetChain;

/// What the fast path touches: plain cells, nothing to drop, so the
/// thread-local needs no destructor and stays usable while other
/// thread-locals are torn down (locking in their destructors is tracked).
/// This thread's private graph; published when the thread ends.
struct PrivateStore(Arc<Store>);

impl Drop for PrivateStore {
    fn drop(&mut self) {
        self.0.retire();
    }
}

pub(crate) struct ThreadState {
    held: HeldLocks,
    /// Edges known to be in the graph.
    edges: KeyCache,
    /// Held sets (chain keys) whose edges into a lock are all in the graph.
    chains: KeyCache,
    /// The members of the `lock_all` set being taken, if it has at most
    /// [`SET_INLINE`] (see [`taking_set`]); a bigger set's are in
    /// [`ColdState::set`].
    set: SetMembers,
    /// Where the members of the `lock_all` set whose scope ended last start
    /// in the held set, and the set's salt, if the scope found every member
    /// known (see [`known_set`]); `(usize::MAX, 0)` if not.
    known_set: Cell<(usize, u64)>,
}

/// The most members of a set kept in [`ThreadState::set`].
const SET_INLINE: usize = 8;

/// The members of a small set being taken: here, in the thread-local with no
/// destructor, so that entering and leaving a set is a plain store.
struct SetMembers {
    len: Cell<usize>,
    /// A cell per member, so that entering a set of two writes two ids.
    ids: [Cell<LockId>; SET_INLINE],
}

impl SetMembers {
    const fn new() -> Self {
        SetMembers {
            len: Cell::new(0),
            ids: [const { Cell::new(LockId::from_u64(0)) }; SET_INLINE],
        }
    }

    #[inline]
    fn put(&self, members: &[LockId]) {
        for (cell, &id) in self.ids.iter().zip(members) {
            cell.set(id);
        }
        self.len.set(members.len());
    }

    fn contains(&self, id: LockId) -> bool {
        self.ids[..self.len.get()]
            .iter()
            .any(|cell| cell.get() == id)
    }
}

/// What only the slow paths use, and must be dropped with the thread.
struct ColdState {
    /// The edges among this thread's private locks.
    private: OnceCell<PrivateStore>,
    /// Reused by the slow path, so that recording edges does not allocate.
    scratch: Cell<Vec<HeldLock>>,
    /// The gates of the edges being recorded, reused the same way.
    gates: Cell<Vec<Gate>>,
    /// The members of the `lock_all` set being taken, if one is (see
    /// [`taking_set`]).
    set: Cell<Vec<LockId>>,
    label: OnceCell<ThreadLabel>,
    /// The watchdog's view of this thread (its mirrored held set).
    record: OnceCell<Arc<ThreadRecord>>,
}

impl Drop for ColdState {
    /// The thread is ending: the held set (in a thread-local with no
    /// destructor) gives back its overflow buffer, if it has one. Entries
    /// forgotten this way (more than `INLINE` guards leaked) are untracked.
    fn drop(&mut self) {
        let _ = with(|state| state.held.free_overflow());
    }
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            held: HeldLocks::new(),
            edges: KeyCache::new(),
            chains: KeyCache::new(),
            set: SetMembers::new(),
            known_set: Cell::new((usize::MAX, 0)),
        }
    };
    static COLD: ColdState = const {
        ColdState {
            private: OnceCell::new(),
            scratch: Cell::new(Vec::new()),
            gates: Cell::new(Vec::new()),
            set: Cell::new(Vec::new()),
            label: OnceCell::new(),
            record: OnceCell::new(),
        }
    };
}

/// Runs `f` on this thread's state; `None` only if the thread-local cannot
/// be reached at all (it has no destructor, so not even during teardown).
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    crate::trusted::with_local(&STATE, f)
}

/// Runs `f` on this thread's cold state, or on `None` once it is torn down.
fn with_cold<R>(f: impl FnOnce(Option<&ColdState>) -> R) -> R {
    let mut f = Some(f);
    match COLD.try_with(|cold| f.take().expect("runs once")(Some(cold))) {
        Ok(done) => done,
        Err(_) => f.take().expect("runs once")(None),
    }
}

/// Runs `f` on this thread's private graph, if it has one.
pub(crate) fn with_private_store<R>(f: impl FnOnce(Option<&Arc<Store>>) -> R) -> R {
    with_cold(|cold| {
        f(cold
            .and_then(|cold| cold.private.get())
            .map(|store| &store.0))
    })
}

/// A lock is being dropped: [`private::forget`] with this thread's store;
/// the private edges that leaves ungated go into this thread's edge cache.
pub(crate) fn forget_private(id: LockId, sink: bool) -> Result<(), bool> {
    let forget = |state: Option<&ThreadState>| {
        let cache = |edge| {
            if let Some(state) = state {
                state.cache_ungated(edge);
            }
        };
        with_private_store(|mine| private::forget(id, sink, mine, cache))
    };
    match with(|state| forget(Some(state))) {
        Some(forgotten) => forgotten,
        None => forget(None),
    }
}

/// This thread's label (its name, else its `ThreadId`), also while its
/// thread-locals are torn down.
pub(crate) fn label() -> ThreadLabel {
    with_label(ThreadLabel::clone)
}

/// Runs `f` on this thread's label, borrowed (a clone would be two atomic
/// read-modify-writes on every new edge).
fn with_label<R>(f: impl FnOnce(&ThreadLabel) -> R) -> R {
    with_cold(|cold| match cold {
        Some(cold) => f(cold.label.get_or_init(current_label)),
        None => f(&current_label()),
    })
}

impl ThreadState {
    /// The checks a blocking acquisition of `meta` runs before it blocks.
    /// Reports violations (and may panic, before anything is recorded).
    ///
    /// The steady state is one lookup: this held set (its chain key) was
    /// already checked against `id`, so `id` is not held and every edge into it
    /// is in the graph.
    #[inline]
    pub(crate) fn check_blocking(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
    ) {
        let Some((_, chain)) = self.held.last_key() else {
            return;
        };
        let key = chain_key(chain, id, access);
        if !self.chains.contains(key) || config::ascending() {
            self.check_new_chain(meta, id, access, site, flavour, key);
        }
    }

    /// A held set not yet checked against `id`: re-entry, then the edges one
    /// by one; remembers the set once all its edges are known to be in the graph.
    #[cold]
    #[inline(never)]
    fn check_new_chain(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
        key: u64,
    ) {
        if let Some(previous) = self.held.find(id) {
            return self.check_reentry(meta, previous, access, site, flavour);
        }
        let graph = config::graph_checks();
        let clean = match config::ascending() || graph && !self.knows_edges_into(id, access) {
            true => self.check_slow(meta, id, access, site, flavour),
            false => true,
        };
        if graph && clean && !config::ascending() {
            self.chains.insert(key);
        }
    }

    /// A held set not yet checked against `id`, but whose every edge into
    /// `id` is known to be in the graph, `id` not held: there is nothing to
    /// check, so the set is remembered and the acquisition recorded. Returns
    /// whether it was recorded, or `None` (nothing done) if a check is needed.
    pub(crate) fn acquire_known(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> Option<bool> {
        let (_, chain) = self.held.last_key()?;
        let known = !config::ascending()
            && config::graph_checks()
            && !self.holds(id)
            && (self.knows_edges_into(id, access) || self.narrow_private(meta, id, access));
        if !known {
            return None;
        }
        self.chains.insert(chain_key(chain, id, access));
        Some(self.record_new(meta, id, access, site))
    }

    /// [`Self::acquire_checked`] after [`Self::acquire_known`] found that
    /// it could not record the acquisition: when that was because some edge
    /// into `id` is not known to be in the graph (the usual reason: a new
    /// edge), the checks it already made (`id` not held, no edge to narrow
    /// privately, the mode) are not made again.
    pub(crate) fn acquire_unknown(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
    ) -> bool {
        let plain = !config::ascending() && config::graph_checks() && !self.holds(id);
        let Some((_, chain)) = self.held.last_key().filter(|_| plain) else {
            return self.acquire_checked(meta, id, access, site, flavour);
        };
        let key = chain_key(chain, id, access);
        if !self.chains.contains(key) && self.check_slow(meta, id, access, site, flavour) {
            self.chains.insert(key);
        }
        self.record_held(new_entry(meta, id, access, site))
    }

    /// For a held set whose every edge into `id` is in this thread's private
    /// graph already, made under other held sets (and whose class edges this
    /// thread knows): narrows their gates in place (see [`Store::narrow`]),
    /// which can close no cycle, and caches the ungated ones. Returns whether
    /// it did; if not, nothing changed and the slow path decides.
    #[inline(never)]
    fn narrow_private(&self, meta: &LockMeta, id: LockId, access: Access) -> bool {
        let narrow = |cold: &ColdState| {
            let store = &cold.private.get()?.0;
            // Cheap tests first: a public lock's edges are not here.
            let here = store.owns(id) && self.knows_class_edges_into(meta.origin(), access);
            here.then(|| store.narrow(&self.held, id, access)).flatten()
        };
        let Some(ungated) = COLD.try_with(narrow).ok().flatten() else {
            return false;
        };
        for (index, slot) in self.held.inline().iter().enumerate() {
            slot.mark_source();
            if ungated >> index & 1 != 0 {
                let kind = Kind::of_bits(slot.access_bits(), access);
                self.edges.insert(edge_key(slot.id(), id, kind));
            }
        }
        true
    }

    /// Caches a private edge of this thread that a dropped gate left
    /// ungated, as [`Self::narrow_private`] would on its next make, if
    /// this thread knows its class edges too (a class edge still gated by
    /// the dead lock must be narrowed on that make, which a cached edge
    /// skips).
    #[inline]
    fn cache_ungated(&self, ((from, from_origin), (to, to_origin), kinds): private::Ungated) {
        for kind in kinds.iter() {
            let class_known = !config::class_checks()
                || from_origin.key() == to_origin.key()
                || self
                    .edges
                    .contains(class::edge_key(from_origin, to_origin, kind));
            if class_known {
                self.edges.insert(edge_key(from, to, kind));
            }
        }
    }

    /// See [`super::name_set_order`].
    pub(crate) fn name_set_order(&self, ids: &[LockId], order: &[u8]) {
        if let Some(from) = self.held.name_order(ids, order) {
            self.mirror(from);
        }
    }

    /// See [`super::before_member`].
    #[inline]
    pub(crate) fn salt_top(&self) {
        self.held.salt_top();
    }

    /// Whether `a` and `b` are both members of a `lock_all` set being taken
    /// (whose edges among themselves make no class edges).
    #[inline]
    fn set_pair(&self, a: LockId, b: LockId) -> bool {
        self.held.taking_set() && self.set_pair_slow(a, b)
    }

    #[cold]
    fn set_pair_slow(&self, a: LockId, b: LockId) -> bool {
        if self.set.len.get() != 0 {
            return self.set.contains(a) && self.set.contains(b);
        }
        let cold = |cold: &ColdState| {
            let members = cold.set.take();
            let both = members.contains(&a) && members.contains(&b);
            cold.set.set(members);
            both
        };
        COLD.try_with(cold).unwrap_or(false)
    }

    /// Whether every edge from a held lock into `id` is known to be in the graph.
    fn knows_edges_into(&self, id: LockId, access: Access) -> bool {
        let mut sources = self.held.ids_and_access();
        sources.all(|(held, how)| {
            self.edges
                .contains(edge_key(held, id, Kind::of_bits(how, access)))
        })
    }

    /// The steady state of a blocking acquisition, for when no [`crate::flags`] are
    /// set: records it and returns true if this held set (its chain key) is
    /// known to have every edge into `id` in the graph; otherwise does nothing
    /// and returns false (the caller then runs [`Self::acquire_checked`]).
    #[inline(always)]
    pub(crate) fn acquire_fast(
        &self,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
    ) -> bool {
        // The set's chain key with `id` added is also the cache key.
        self.held.push_if_known(id, origin, access, site, |chain| {
            self.chains.contains(chain | 1)
        })
    }

    /// The plainest release, for when no [`crate::flags`] are set: the last entry is
    /// `id` and was not the source of an edge. Returns whether it was that.
    #[inline(always)]
    pub(crate) fn release_fast(&self, id: LockId) -> bool {
        self.held.pop_plain(id)
    }

    /// Checks a blocking acquisition of `meta` (as [`Self::check_blocking`])
    /// and records it as held; returns whether it was recorded. Every case the
    /// fast path ([`Self::acquire_fast`]) leaves out.
    pub(crate) fn acquire_checked(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
    ) -> bool {
        // Leaves the held set as it was (or panics, before recording anything).
        self.check_blocking(meta, id, access, site, flavour);
        self.record_new(meta, id, access, site)
    }

    /// [`Self::acquire_checked`] for a lock's first use (its id was assigned just now),
    /// when no [`crate::flags`] are set. Such a lock is not held, and while it
    /// is private to this thread no edge leaves it, so no edge into it can
    /// close a cycle: the edges from the held locks go into the private graph
    /// without the checks. (Another thread that takes the lock as soon as its
    /// id is assigned, and an edge out of it, first publishes this thread's
    /// private graph, under its lock; the edges then take the checked global
    /// path, which reports any cycle as usual.)
    pub(crate) fn acquire_fresh(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> bool {
        // Before anything is recorded: a class cycle's report may panic.
        let held: Vec<HeldLock> = self.held.iter().collect();
        let target = LockRef::new(id, meta.origin());
        let class_cycles = self.record_classes(&held, &target, access, site, &[]);
        class_cycles.into_iter().for_each(super::report);
        if let Some(recorded) = self.record_fresh_private_held(meta, id, access, site) {
            return recorded;
        }
        if let Some((_, chain)) = self.held.last_key() {
            let target = LockRef::new(id, meta.origin());
            // Checked globally: another thread may have taken an edge out
            // of the lock since its id was assigned (see above).
            let cycles = self.record_edges(meta, &target, access, site, true);
            if cycles.is_empty() {
                self.chains.insert(chain_key(chain, id, access));
            }
            cycles.into_iter().for_each(super::report);
        }
        self.record_new(meta, id, access, site)
    }

    /// [`Self::acquire_fresh`] when its edges can stay private and their
    /// class edges are known to this thread, which needs no check at all:
    /// returns whether it was recorded, or `None` (nothing done) if some lock
    /// involved is public or a class edge is new (it may close a class
    /// cycle, and nothing can be reported here: the caller holds the lock).
    pub(crate) fn acquire_fresh_private(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> Option<bool> {
        if !self.knows_class_edges_into(meta.origin(), access) {
            return None;
        }
        self.record_fresh_private_held(meta, id, access, site)
    }

    /// Whether this thread knows the class edge from every held lock's class
    /// into the class of `to` (or it is the same class), so that no new class
    /// edge comes with edges into a lock of that class.
    fn knows_class_edges_into(&self, to: Origin, access: Access) -> bool {
        if self.held.len() > INLINE {
            return false; // rare: the slow path looks at every entry
        }
        if !config::class_checks() {
            return true;
        }
        // Ungated edges first, with no call on the way: the usual case, and
        // a pass that needs no registers saved.
        let to_key = to.key();
        let ungated = |slot: &Slot| {
            let from = slot.origin();
            let kind = Kind::of_bits(slot.access_bits(), access);
            from.key() == to_key || self.edges.contains(class::edge_key(from, to, kind))
        };
        self.held.inline().iter().all(ungated) || self.knows_gated_class_edges_into(to, access)
    }

    /// [`Self::knows_class_edges_into`] when some class edge is not known
    /// ungated: each known ungated or with its gate narrowed by this held set.
    #[cold]
    #[inline(never)]
    fn knows_gated_class_edges_into(&self, to: Origin, access: Access) -> bool {
        let to_key = to.key();
        let known = |slot: &Slot| {
            let from = slot.origin();
            let kind = Kind::of_bits(slot.access_bits(), access);
            from.key() == to_key || self.knows_class_edge((from, to, kind), || self.chain())
        };
        self.held.inline().iter().all(known)
    }

    /// Whether this thread knows the class edge `from -> to` to be in the
    /// class graph with its gate narrowed by the held set `chain` (an
    /// ungated one under any held set).
    #[inline]
    fn knows_class_edge(
        &self,
        (from, to, kind): (Origin, Origin, Kind),
        chain: impl Fn() -> u64,
    ) -> bool {
        let key = class::edge_key(from, to, kind);
        self.edges.contains(key) || self.edges.contains(class::under(key, chain()))
    }

    /// The chain key of the held set.
    #[inline]
    fn chain(&self) -> u64 {
        self.held.last_key().map_or(EMPTY_CHAIN, |(_, chain)| chain)
    }

    /// [`Self::acquire_fresh_private`] with the class edges already dealt with.
    #[inline(always)]
    fn record_fresh_private_held(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> Option<bool> {
        if self.held.len() > 0 && config::graph_checks() {
            // A held lock still private to another thread cannot be the
            // source of an edge kept here (its edges stay in its owner's
            // graph). Publishing its owner's graph, as the global path would,
            // makes it public, and the edges can stay private after all
            // (without publishing this thread's graph, and the rest of its
            // block of ids, with them).
            let record = || self.record_fresh_private(meta, id, access, site);
            let ungated = match record() {
                Some(ungated) => ungated,
                None => self.publish_other_owners().then(record).flatten()?,
            };
            // `record_fresh` records nothing for a held set past the inline
            // entries, so these are all of it.
            debug_assert!(self.held.len() <= INLINE);
            let inline = self.held.inline();
            for (index, slot) in inline.iter().enumerate() {
                // A gated edge stays out of the cache (see `record_edges`).
                // (With one lock held, `ungated` is 1: said again, it
                // spares the shift.)
                let ungated = inline.len() == 1 || ungated >> index & 1 != 0;
                if ungated && !self.set_pair(slot.id(), id) {
                    let kind = Kind::of_bits(slot.access_bits(), access);
                    self.edges.insert(edge_key(slot.id(), id, kind));
                }
                slot.mark_source();
            }
            // No chain-cache entry: this held set plus a fresh lock is a key
            // never seen before, and most new locks are short-lived, not taken
            // again under the same set, so the entry would mostly evict a live
            // one. An acquisition of the lock under the same set again finds
            // its edges in the edge cache (one trip through the slow path)
            // and adds the chain then.
        }
        Some(self.record_new(meta, id, access, site))
    }

    /// Publishes the private graphs of the other threads that handed out a
    /// held lock; returns whether a held lock was private to one of them.
    #[cold]
    fn publish_other_owners(&self) -> bool {
        let this = crate::id::this_thread();
        let others = self
            .held
            .ids()
            .filter(|&held| crate::id::thread_of(held) != this);
        private::publish_owners(others)
    }

    /// The edges into a fresh lock when every lock involved is private to
    /// this thread (see [`Store::record_fresh`]); returns, if it recorded
    /// them, one bit per held entry whose edge is ungated.
    fn record_fresh_private(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> Option<u64> {
        let record = |cold: &ColdState| {
            let store = cold.private.get()?;
            let target = (id, meta.origin(), site, access);
            store.0.record_fresh(&self.held, target)
        };
        COLD.try_with(record).ok().flatten()
    }

    /// Records an acquisition of `meta` as held ([`Self::record_held`]),
    /// noting whether its lock is in the graph already (then its release
    /// need not mark it). Inlined, as [`Self::record_held`].
    #[inline(always)]
    fn record_new(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> bool {
        let recorded = self.record_held(new_entry(meta, id, access, site));
        if recorded && meta.lazy_id().in_graph() {
            self.held.mark_last_in_graph();
        }
        recorded
    }

    /// Adds an entry to the held set (and to the watchdog's mirror); returns
    /// whether it was recorded. Inlined: passed by reference, the entry's
    /// fields would be stored byte by byte and read back as a word, which
    /// stalls store forwarding.
    #[inline(always)]
    fn record_held(&self, entry: HeldLock) -> bool {
        let recorded = self.held.push(entry);
        if recorded {
            self.mirror(self.held.len() - 1);
        }
        recorded
    }

    /// Forgets the most recent acquisition of `meta` (a guard is dropped):
    /// every case that neither the fast path ([`Self::release_fast`]) nor
    /// [`Self::pop_in_place`] (which the caller tries first) takes. The raw
    /// lock is still held.
    pub(crate) fn release(&self, meta: &LockMeta, id: LockId) {
        if let Some(held) = self.pop(meta, id)
            && poison::released(held.poison)
        {
            self.held.mark_reported(false);
        }
    }

    /// The releases next to the plainest, with no flags set: the last entry,
    /// the source of an edge (a lock other locks were taken under); or the
    /// one below it (two locks let go in the order they were taken). Returns
    /// whether the entry taken out was a source (its lock is then to be
    /// marked as in the graph), or `None` if it was not one of them. Nothing
    /// in it can panic.
    #[inline]
    pub(crate) fn pop_in_place(&self, id: LockId) -> Option<bool> {
        match crate::config::flags::get() {
            0 => self
                .held
                .pop_last(id)
                .or_else(|| self.held.pop_below_last(id)),
            _ => None,
        }
    }

    /// A report's panic is about to be raised: every lock this thread holds
    /// may be released by its unwinding (see [`poison`]).
    pub(crate) fn mark_reported(&self) {
        self.held.mark_reported(true);
    }

    /// Changes the poison marks of this thread's most recent entry of `id`.
    pub(crate) fn mark_poison(&self, id: LockId, change: impl FnOnce(&mut PoisonMarks)) {
        self.held.mark_poison(id, change);
    }

    /// The poison marks of this thread's most recent entry of `id`, if it
    /// holds the lock.
    pub(crate) fn marks(&self, id: LockId) -> Option<PoisonMarks> {
        self.held.marks(id)
    }

    /// Records an acquisition that has succeeded; returns whether it was recorded.
    pub(crate) fn push(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> bool {
        self.record_new(meta, id, access, site)
    }

    /// Forgets the most recent acquisition of `meta`; returns it if it was recorded.
    #[inline]
    pub(crate) fn pop(&self, meta: &LockMeta, id: LockId) -> Option<HeldLock> {
        let (index, held) = self.held.remove(id)?;
        self.mirror(index);
        mark_if_source(meta, held.source);
        Some(held)
    }

    /// Puts back an entry taken out by [`Self::pop`] (after a condition-variable wait).
    pub(crate) fn restore(&self, held: HeldLock) {
        let _ = self.record_held(held);
    }

    pub(crate) fn set_access(&self, id: LockId, access: Access) {
        if let Some(index) = self.held.set_access(id, access) {
            self.mirror(index);
        }
    }

    /// Mirrors the held set from entry `from` on for the watchdog, if long
    /// waits are on (one flag test otherwise).
    #[inline(always)]
    fn mirror(&self, from: usize) {
        if crate::config::flags::get() & crate::config::flags::MIRROR != 0 {
            self.mirror_from(from);
        }
    }

    /// [`Self::mirror`], out of line so that the paths that call it stay small.
    #[cold]
    #[inline(never)]
    fn mirror_from(&self, from: usize) {
        self.mirror_prefix(self.held.inline(), from);
    }

    /// Mirrors `held` (a prefix of the held set) from entry `from` on.
    fn mirror_prefix(&self, held: &[Slot], from: usize) {
        let generation = crate::config::watchdog::mirror_generation();
        if generation != 0
            && let Some(record) = self.record()
        {
            record.mirror(held, from, generation);
        }
    }

    /// Registers this thread's private graph if it has none yet, with every
    /// id below `first` public: called when this thread takes a new block of
    /// ids (`first` is its first) for a lock's first acquisition, before any
    /// of them can be seen by another thread. The ids handed out from then on
    /// can be private; an id handed out before (by `id()`, which registers
    /// nothing) may already be known to other threads, and stays public.
    pub(crate) fn ensure_private_store(&self, first: u64) {
        let label = || self.label();
        // Once the thread's destructors have run there is no store, and every
        // lock of this thread is public.
        let _ = COLD.try_with(|cold| {
            cold.private
                .get_or_init(|| PrivateStore(Store::register(label(), first)));
        });
    }

    /// This thread's watchdog record, registered at first use (`None` once
    /// the thread's destructors have run).
    pub(crate) fn record(&self) -> Option<Arc<ThreadRecord>> {
        let label = || self.label();
        let record = |cold: &ColdState| {
            let record = cold.record.get_or_init(|| ThreadRecord::register(label()));
            Arc::clone(record)
        };
        COLD.try_with(record).ok()
    }

    /// Leaves the last held entry out of the mirror if it is `id` (a lock
    /// recorded before its raw lock is taken); returns whether it did.
    pub(crate) fn hide_wait(&self, id: LockId) -> bool {
        let len = self.held.len();
        let waiting = self.held.last().is_some_and(|last| last.id == id);
        if waiting {
            let inline = self.held.inline();
            self.mirror_prefix(&inline[..inline.len().min(len - 1)], len);
        }
        waiting
    }

    /// Mirrors the whole held set again.
    pub(crate) fn unhide_wait(&self) {
        self.mirror(self.held.len().saturating_sub(1));
    }

    /// Whether this thread holds `id` (one word read per entry).
    #[inline]
    pub(crate) fn holds(&self, id: LockId) -> bool {
        self.held.ids().any(|held| held == id)
    }

    pub(crate) fn held_refs(&self) -> Vec<HeldRef> {
        self.held
            .iter()
            .map(|held| HeldRef::from_held(&held))
            .collect()
    }

    /// Whether this thread holds a lock with an id above `floor` that is not
    /// one of `except` (one word read per held lock).
    #[inline]
    pub(crate) fn holds_above_outside(&self, floor: LockId, except: &[LockId]) -> bool {
        self.held.any_above_outside(floor, except)
    }

    /// The held lock with the highest id that is not one of `except`.
    pub(crate) fn highest_held_outside(&self, except: &[LockId]) -> Option<HeldLock> {
        self.held.highest_outside(except)
    }

    pub(crate) fn label(&self) -> ThreadLabel {
        with_label(ThreadLabel::clone)
    }

    /// A thread taking a lock it already holds: allowed for reentrant mutexes and
    /// recursive reads, a certain deadlock otherwise.
    #[cold]
    fn check_reentry(
        &self,
        meta: &LockMeta,
        previous: HeldLock,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
    ) {
        let reads = matches!(
            previous.access,
            Access::Read | Access::ReadRecursive | Access::Upgradable
        );
        let allowed = match access {
            Access::Reentrant => previous.access == Access::Reentrant,
            Access::ReadRecursive => reads,
            _ => false,
        };
        if access == Access::Read && reads {
            // Hangs only if a writer queues in between: potential, and the
            // read goes on once the policy lets it.
            super::report(Violation::RecursiveRead(RecursiveRead {
                thread: self.label(),
                lock: LockRef::new(previous.id, meta.origin()),
                site,
                first: HeldRef::from_held(&previous),
                flavour,
            }));
        } else if !allowed {
            super::report(Violation::SelfDeadlock(SelfDeadlock {
                thread: self.label(),
                lock: LockRef::new(previous.id, meta.origin()),
                access,
                site,
                first: Some(HeldRef::from_held(&previous)),
                flavour,
            }));
        }
    }

    /// The ascending-order rule and the graph work for edges not yet known to
    /// be in the graph. Slow path: runs only the first time this thread sees an
    /// order (or on every acquisition under `Mode::Ascending`). Returns whether
    /// no violation was found.
    #[cold]
    #[inline(never)]
    fn check_slow(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
        flavour: Flavour,
    ) -> bool {
        let target = LockRef::new(id, meta.origin());
        let higher = || self.highest_held_outside(&[id]).filter(|h| h.id > id);
        let higher = config::ascending().then(higher).flatten();
        let cycles = match config::graph_checks() {
            true => self.record_edges(meta, &target, access, site, false),
            false => Vec::new(),
        };
        if higher.is_none() && cycles.is_empty() {
            return true;
        }
        // (Its report is the same made after the edges: they change no
        // entry's id, access or site.)
        let order =
            higher.map(|higher| self.order_violation(&target, site, &higher, false, flavour));
        order.into_iter().chain(cycles).for_each(super::report);
        false
    }

    /// Inserts the edges into `target` that this thread does not know to be in
    /// the graph (every edge, if `target` is `fresh`: see
    /// [`Self::acquire_fresh`]); returns the cycles the refused ones would have closed.
    fn record_edges(
        &self,
        meta: &LockMeta,
        target: &LockRef,
        access: Access,
        site: &'static Location<'static>,
        fresh: bool,
    ) -> Vec<Violation> {
        let mut sources = COLD
            .try_with(|cold| cold.scratch.take())
            .unwrap_or_default();
        self.collect_unknown_sources(target.id, access, fresh, &mut sources);
        if sources.is_empty() {
            let _ = COLD.try_with(|cold| cold.scratch.set(sources));
            return Vec::new();
        }
        let mut gates = COLD.try_with(|cold| cold.gates.take()).unwrap_or_default();
        gates.clear();
        // The candidates once for every source (as `Gate::around` each).
        let others = self
            .held
            .ids_and_access()
            .filter(|&(id, _)| id != target.id);
        let outermost = Outermost::of(others);
        for source in sources.iter() {
            gates.push(outermost.gate_of(source.id));
        }
        let ids = sources.iter().map(|s| s.id).chain([target.id]);
        // Public everywhere (the usual case in a big graph): no private
        // graph can keep the edges, and none is looked at.
        let private = match private::below_public(ids) {
            true => Err(false),
            false => COLD
                .try_with(|cold| match cold.private.get() {
                    Some(store) => {
                        let made = (&mut sources[..], &mut gates[..], &self.held);
                        store.0.record(made, access, target, site, fresh)
                    }
                    None => Err(true),
                })
                .unwrap_or(Err(true)),
        };
        let cycles = match private {
            Ok(()) => Vec::new(),
            Err(others) => {
                // Some lock is public: publish the private ones, then insert globally.
                if others {
                    let involved = sources.iter().map(|s| s.id);
                    private::publish_owners(involved.chain([target.id]));
                }
                with_label(|thread| {
                    global::with(|g| {
                        let made = (&mut sources[..], &mut gates[..], &self.held);
                        let cycles = g.record(made, access, target, site, thread);
                        meta.lazy_id().mark_in_graph();
                        cycles
                    })
                })
            }
        };
        // Released, a source is marked in its lock (see `mark_if_source`).
        self.held.mark_sources(&sources);
        // A gated edge stays out of the cache: made under another held set,
        // it must come back to narrow its gate (the chain cache keeps the
        // held sets already seen from coming back).
        // So does an edge between two members of a set being taken: it makes
        // no class edge, and the same locks taken one by one must.
        for (source, _) in sources
            .iter()
            .zip(&gates)
            .filter(|(s, g)| s.source && g.is_empty() && !self.set_pair(s.id, target.id))
        {
            self.edges.insert(edge_key(
                source.id,
                target.id,
                Kind::of(source.access, access),
            ));
        }
        let closers: Vec<LockId> = cycles.iter().map(|c| c.holding.id).collect();
        let class_cycles = self.record_classes(&sources, target, access, site, &closers);
        let _ = COLD.try_with(|cold| {
            cold.scratch.set(sources);
            cold.gates.set(gates);
        });
        if cycles.is_empty() {
            return class_cycles;
        }
        let cycles = self.closed_cycles(cycles, target, access, site);
        cycles.map(Violation::Cycle).chain(class_cycles).collect()
    }

    /// The cycles this thread's acquisition of `target` (as `access` at
    /// `site`) would close, one per held lock and path back to it: the parts
    /// of a [`Cycle`] report, and of a [`ClassCycle`]'s.
    fn closed_cycles(
        &self,
        closed: Vec<Closing>,
        target: &LockRef,
        access: Access,
        site: &'static Location<'static>,
    ) -> impl Iterator<Item = Cycle> {
        let (held, thread, target) = (self.held_refs(), self.label(), target.clone());
        closed.into_iter().map(move |closing| Cycle {
            thread: thread.clone(),
            acquiring: target.clone(),
            access,
            site,
            held: held.clone(),
            holding: HeldRef::from_held(&closing.holding),
            path: closing.path,
            again: closing.again,
        })
    }

    /// Records the class edges of the instance edges `sources -> target`
    /// (taken as `access` at `site`) that this thread does not know to be in
    /// the class graph; returns the class cycles they close, as reports
    /// (but those of the edges from `closers`, which closed a lock cycle:
    /// that is reported as a [`Cycle`], not twice).
    fn record_classes(
        &self,
        sources: &[HeldLock],
        target: &LockRef,
        access: Access,
        site: &'static Location<'static>,
        closers: &[LockId],
    ) -> Vec<Violation> {
        if !config::class_checks() {
            return Vec::new();
        }
        let to = target.origin;
        // Edges within one class make no class edge (the common case of
        // many locks made at one site): nothing to look up or collect.
        if sources.iter().all(|h| h.origin.key() == to.key()) {
            return Vec::new();
        }
        let chain = self.chain();
        // A lock made through a function pointer has no class: Rust names a
        // place inside std as its site, every such lock's, which as a class
        // would join unrelated locks (false class cycles, true ones hidden as
        // nesting within one class). Its pairs make no class edge, known as
        // such from now on, so that the fast path does not come here again.
        let to_classless = to.made_through_fn_pointer();
        let mut new: Vec<HeldLock> = Vec::new();
        for held in sources.iter().filter(|h| h.origin.key() != to.key()) {
            let kind = Kind::of(held.access, access);
            if to_classless || held.origin.made_through_fn_pointer() {
                self.edges.insert(class::edge_key(held.origin, to, kind));
            } else if !self.set_pair(held.id, target.id)
                && !self.knows_class_edge((held.origin, to, kind), || chain)
            {
                new.push(*held);
            }
        }
        if new.is_empty() {
            return Vec::new();
        }
        let held_set: Vec<HeldLock> = self.held.iter().collect();
        let mut gates: Vec<Gate> = new
            .iter()
            .map(|h| {
                Gate::around(
                    held_set.iter().map(|h| (h.id, h.access as u8)),
                    h.id,
                    target.id,
                )
            })
            .collect();
        let record = |thread: &ThreadLabel| {
            class::graph::record(&new, &held_set, &mut gates, access, target, site, thread)
        };
        let closed = with_label(record);
        for (held, gate) in new.iter().zip(&gates) {
            // A gated class edge is known only under this held set: under
            // another, its gate may narrow.
            let key = class::edge_key(held.origin, to, Kind::of(held.access, access));
            match gate.is_empty() {
                true => self.edges.insert(key),
                false => self.edges.insert(class::under(key, chain)),
            }
        }
        // The class cycle of an edge that closed a lock cycle is that cycle
        // (reported as a `Cycle`, not twice); the other edges' are not.
        let closed: Vec<_> = closed
            .into_iter()
            .filter(|class_cycle| !closers.contains(&class_cycle.holding.id))
            .collect();
        if closed.is_empty() {
            return Vec::new();
        }
        let cycles = self.closed_cycles(closed, target, access, site);
        cycles
            .map(|cycle| Violation::ClassCycle(ClassCycle(cycle)))
            .collect()
    }

    /// The held locks (each once, not `target`) with an edge into `target` not
    /// known to be in the graph (none is, into a `fresh` lock), into `sources`
    /// (emptied first).
    fn collect_unknown_sources(
        &self,
        target: LockId,
        access: Access,
        fresh: bool,
        sources: &mut Vec<HeldLock>,
    ) {
        sources.clear();
        for held in self.held.iter() {
            let repeated = held.id == target || sources.iter().any(|s| s.id == held.id);
            let key = || edge_key(held.id, target, Kind::of(held.access, access));
            if !repeated && (fresh || !self.edges.contains(key())) {
                sources.push(HeldLock {
                    source: false,
                    ..held
                });
            }
        }
    }

    pub(crate) fn order_violation(
        &self,
        target: &LockRef,
        site: &'static Location<'static>,
        higher: &HeldLock,
        in_lock_all: bool,
        flavour: Flavour,
    ) -> Violation {
        Violation::OrderViolation(OrderViolation {
            thread: self.label(),
            acquiring: target.clone(),
            site,
            higher: HeldRef::from_held(higher),
            held: self.held_refs(),
            in_lock_all,
            flavour,
        })
    }
}

/// A `lock_all` set is being taken: its members' edges among themselves
/// make no class edges until the returned scope ends. They are taken in
/// ascending id order, which orders instances, not classes: the members'
/// classes come in any order from one set to the next, and no deadlock can
/// come of it.
///
/// A set of at most [`SET_INLINE`] members is kept in the thread's state (a
/// few plain stores); a bigger one is copied into a buffer the thread keeps
/// (emptied, not freed, when the scope ends), so no set allocates once its
/// thread has taken one.
fn taking_set(members: &[LockId]) -> SetScope {
    let kept = match members.len() <= SET_INLINE {
        true => {
            let _ = with(|state| {
                state.set.put(members);
                state.held.salt_chains(members);
            });
            Kept::Here
        }
        false => {
            let _ = with(|state| {
                state.held.salt_chains(members);
            });
            let _ = COLD.try_with(|cold| {
                let mut set = cold.set.take();
                set.clear();
                set.extend_from_slice(members);
                cold.set.set(set);
            });
            Kept::Cold
        }
    };
    SetScope(Some((kept, members.len())))
}

/// [`taking_set`], and whether this thread holds a lock with an id above
/// `lowest` that is not a member (the ascending rule), in one visit to the
/// thread's state.
#[inline]
pub(crate) fn enter_set(members: &[LockId], lowest: LockId) -> (SetScope, bool) {
    if members.len() > SET_INLINE {
        let above = with(|state| state.holds_above_outside(lowest, members));
        return (taking_set(members), above == Some(true));
    }
    let above = with(|state| {
        state.set.put(members);
        state.held.salt_chains(members);
        state.holds_above_outside(lowest, members)
    });
    (
        SetScope(Some((Kept::Here, members.len()))),
        above == Some(true),
    )
}

/// The scope of [`taking_set`]: where the members are kept, if anywhere,
/// and how many there are.
pub(crate) struct SetScope(Option<(Kept, usize)>);

/// Where a set's members are kept.
enum Kept {
    /// In [`ThreadState::set`].
    Here,
    /// In [`ColdState::set`].
    Cold,
}

impl SetScope {
    /// No set: nothing to undo (tracking is off).
    pub(crate) const NONE: SetScope = SetScope(None);

    /// The set checks reported something: the set is never remembered for
    /// its known path, which has no checks (see [`known_set`]).
    pub(crate) fn forget_set(&mut self) {
        if let Some((_, members)) = &mut self.0 {
            *members = 0;
        }
    }
}

impl Drop for SetScope {
    /// The set is taken: its members' keys are made plain again, and it is
    /// noted whether the cache knew every member (see [`known_set`]).
    #[inline]
    fn drop(&mut self) {
        let Some((kept, members)) = &self.0 else {
            return;
        };
        let _ = with(|state| {
            if let Kept::Here = kept {
                state.set.len.set(0);
            }
            let unsalted = state.held.unsalt_chains();
            let known =
                unsalted.filter(|&(salt, entered)| state.all_known(salt, entered, *members));
            let (salt, entered) = known.unwrap_or((0, usize::MAX));
            state.known_set.set((entered, salt));
        });
        if let Kept::Cold = kept {
            let _ = COLD.try_with(|cold| {
                let mut set = cold.set.take();
                set.clear();
                cold.set.set(set);
            });
        }
    }
}

/// The held-set entry for an acquisition (its chain key is set by the push).
#[inline]
fn new_entry(
    meta: &LockMeta,
    id: LockId,
    access: Access,
    site: &'static Location<'static>,
) -> HeldLock {
    HeldLock {
        id,
        origin: meta.origin(),
        access,
        site,
        source: false,
        poison: PoisonMarks::NONE,
        chain: 0,
    }
}

/// A released lock that was the source of a graph edge (private or global)
/// is marked: its drop must then remove it from the graph at once, while a
/// lock that only ever had edges into it may be forgotten lazily (see
/// [`private`]).
#[inline(always)]
fn mark_if_source(meta: &LockMeta, source: bool) {
    if source {
        meta.lazy_id().mark_in_graph();
    }
}

fn current_label() -> ThreadLabel {
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => name.into(),
        None => format!("{:?}", thread.id()).into(),
    }
}
