//! One thread's view: the locks it holds, the edges it knows are in the graph,
//! and the checks an acquisition runs before it may block.

use std::cell::{OnceCell, RefCell};
use std::panic::Location;
use std::sync::Arc;

use super::edge_cache::EdgeCache;
use super::global;
use crate::handler;
use crate::held::{Access, HeldLock, HeldLocks};
use crate::id::LockId;
use crate::meta::LockMeta;
use crate::policy;
use crate::violation::{
    Cycle, HeldRef, LockRef, OrderViolation, SelfDeadlock, ThreadLabel, Violation,
};
use crate::watchdog::{self, registry::ThreadRecord};

/// What a blocking acquisition found before it may go on.
pub(crate) enum Entry {
    /// A first acquisition: record it once the lock is taken.
    First,
    /// A permitted re-entry (reentrant mutex, recursive read): record it, no edges.
    Again,
}

pub(crate) struct ThreadState {
    held: RefCell<HeldLocks>,
    cache: EdgeCache,
    label: OnceCell<ThreadLabel>,
    /// The watchdog's view of this thread (its mirrored held set).
    record: OnceCell<Arc<ThreadRecord>>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            held: RefCell::new(HeldLocks::new()),
            cache: EdgeCache::new(),
            label: OnceCell::new(),
            record: OnceCell::new(),
        }
    };
}

/// Runs `f` on this thread's state; `None` while thread-locals are being torn
/// down (locking in a thread-local destructor is then simply not tracked).
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> Option<R> {
    STATE.try_with(f).ok()
}

impl ThreadState {
    /// The checks a blocking acquisition of `meta` runs before it blocks.
    /// Reports violations (and may panic, before anything is recorded).
    #[inline]
    pub(crate) fn check_blocking(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) -> Entry {
        let held = self.held.borrow();
        if held.is_empty() {
            return Entry::First;
        }
        if let Some(&previous) = held.find(id) {
            drop(held);
            return self.check_reentry(meta, previous, access, site);
        }
        let graph = policy::graph_checks();
        let slow = policy::ascending()
            || graph
                && held
                    .as_slice()
                    .iter()
                    .any(|h| !self.cache.contains(h.id, id));
        drop(held);
        if slow {
            self.check_slow(meta, id, access, site);
        }
        Entry::First
    }

    /// Records an acquisition that has succeeded.
    #[inline]
    pub(crate) fn push(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) {
        let mut held = self.held.borrow_mut();
        held.push(HeldLock {
            id,
            origin: meta.origin(),
            access,
            site,
            source: false,
        });
        self.mirror(held.as_slice(), held.as_slice().len() - 1);
    }

    /// Forgets the most recent acquisition of `meta`; returns it if it was recorded.
    #[inline]
    pub(crate) fn pop(&self, meta: &LockMeta, id: LockId) -> Option<HeldLock> {
        let mut set = self.held.borrow_mut();
        let (index, held) = set.remove(id)?;
        self.mirror(set.as_slice(), index);
        if held.source {
            meta.lazy_id().mark_in_graph();
        }
        Some(held)
    }

    /// Puts back an entry taken out by [`Self::pop`] (after a condition-variable wait).
    pub(crate) fn restore(&self, held: HeldLock) {
        let mut set = self.held.borrow_mut();
        set.push(held);
        self.mirror(set.as_slice(), set.as_slice().len() - 1);
    }

    pub(crate) fn set_access(&self, id: LockId, access: Access) {
        let mut set = self.held.borrow_mut();
        if let Some(index) = set.set_access(id, access) {
            self.mirror(set.as_slice(), index);
        }
    }

    /// Mirrors `held[from..]` for the watchdog, if long waits are on.
    #[inline]
    fn mirror(&self, held: &[HeldLock], from: usize) {
        let generation = watchdog::settings::mirror_generation();
        if generation != 0 {
            self.mirror_now(held, from, generation);
        }
    }

    /// Out of line, so that the fast path stays small while no mirror is kept.
    #[cold]
    #[inline(never)]
    fn mirror_now(&self, held: &[HeldLock], from: usize, generation: u32) {
        self.record().mirror(held, from, generation);
    }

    /// This thread's watchdog record, registered at first use.
    #[inline]
    pub(crate) fn record(&self) -> &Arc<ThreadRecord> {
        self.record
            .get_or_init(|| ThreadRecord::register(self.label()))
    }

    /// Leaves the last held entry out of the mirror if it is `id` (a lock
    /// recorded before its raw lock is taken); returns whether it did.
    pub(crate) fn hide_wait(&self, id: LockId) -> bool {
        let set = self.held.borrow();
        let entries = set.as_slice();
        let waiting = entries.last().is_some_and(|last| last.id == id);
        if waiting {
            self.mirror(&entries[..entries.len() - 1], entries.len());
        }
        waiting
    }

    /// Mirrors the whole held set again.
    pub(crate) fn unhide_wait(&self) {
        let set = self.held.borrow();
        let len = set.as_slice().len();
        self.mirror(set.as_slice(), len.saturating_sub(1));
    }

    pub(crate) fn holds(&self, id: LockId) -> bool {
        self.held.borrow().find(id).is_some()
    }

    pub(crate) fn held_refs(&self) -> Vec<HeldRef> {
        self.held
            .borrow()
            .as_slice()
            .iter()
            .map(HeldRef::from_held)
            .collect()
    }

    pub(crate) fn highest_held_other_than(&self, id: LockId) -> Option<HeldLock> {
        self.held.borrow().highest_other_than(id).copied()
    }

    pub(crate) fn label(&self) -> ThreadLabel {
        self.label.get_or_init(current_label).clone()
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
    ) -> Entry {
        let reads = matches!(
            previous.access,
            Access::Read | Access::ReadRecursive | Access::Upgradable
        );
        let allowed = match access {
            Access::Reentrant => previous.access == Access::Reentrant,
            Access::ReadRecursive => reads,
            _ => false,
        };
        if !allowed {
            handler::report(Violation::SelfDeadlock(SelfDeadlock {
                thread: self.label(),
                lock: LockRef::new(previous.id, meta.origin()),
                access,
                site,
                first: Some(HeldRef::from_held(&previous)),
            }));
        }
        Entry::Again
    }

    /// The ascending-order rule and the graph work for edges not yet known to
    /// be in the graph. Slow path: runs only the first time this thread sees an
    /// order (or on every acquisition under `Mode::Ascending`).
    #[cold]
    #[inline(never)]
    fn check_slow(
        &self,
        meta: &LockMeta,
        id: LockId,
        access: Access,
        site: &'static Location<'static>,
    ) {
        let target = LockRef::new(id, meta.origin());
        let mut violations = Vec::new();
        if policy::ascending() {
            if let Some(higher) = self.highest_held_other_than(id).filter(|h| h.id > id) {
                violations.push(self.order_violation(&target, site, &higher, false));
            }
        }
        if policy::graph_checks() {
            violations.extend(self.record_edges(meta, &target, access, site));
        }
        violations.into_iter().for_each(handler::report);
    }

    fn record_edges(
        &self,
        meta: &LockMeta,
        target: &LockRef,
        access: Access,
        site: &'static Location<'static>,
    ) -> Vec<Violation> {
        let mut sources: Vec<HeldLock> = self.held.borrow().as_slice().to_vec();
        let mut seen = Vec::with_capacity(sources.len());
        sources.retain(|h| {
            let fresh = h.id != target.id && !seen.contains(&h.id);
            seen.push(h.id);
            fresh && !self.cache.contains(h.id, target.id)
        });
        if sources.is_empty() {
            return Vec::new();
        }
        let thread = self.label();
        let recorded = global::with(|g| {
            let recorded = g.record(&sources, target, site, &thread);
            meta.lazy_id().mark_in_graph();
            recorded
        });
        for &from in &recorded.known {
            self.cache.insert(from, target.id);
        }
        self.held.borrow_mut().mark_sources(&recorded.known);
        let held = self.held_refs();
        let cycles = recorded.cycles.into_iter();
        cycles
            .map(|(holding, path)| {
                Violation::Cycle(Cycle {
                    thread: thread.clone(),
                    acquiring: target.clone(),
                    access,
                    site,
                    held: held.clone(),
                    holding: HeldRef::from_held(&holding),
                    path,
                })
            })
            .collect()
    }

    pub(crate) fn order_violation(
        &self,
        target: &LockRef,
        site: &'static Location<'static>,
        higher: &HeldLock,
        in_lock_all: bool,
    ) -> Violation {
        Violation::OrderViolation(OrderViolation {
            thread: self.label(),
            acquiring: target.clone(),
            site,
            higher: HeldRef::from_held(higher),
            held: self.held_refs(),
            in_lock_all,
        })
    }
}

fn current_label() -> ThreadLabel {
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => name.into(),
        None => format!("{:?}", thread.id()).into(),
    }
}
