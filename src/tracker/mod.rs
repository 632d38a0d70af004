//! The tracker: checks and records acquisitions. It is the policy glue
//! between the acquisition pipeline ([`crate::acquire`], which calls it) and
//! the pieces that know nothing of each other: the held set, the lock-order
//! graph, the ids and the reports.
//!
//! - [`record_if_known`]: the steady state (this held set is known to have
//!   every edge into the lock): one lookup and a push.
//! - [`after_taking`]: a blocking acquisition whose lock was free and is
//!   taken, when the steady state did not apply; reports are held back.
//! - [`before_blocking`]: the same checks before an acquisition that may block.
//! - [`after_try`]: a successful `try_*`, recorded with no edge into the lock.
//! - [`suspend`]: a lock leaving the held set for a while (condvar wait,
//!   `unlocked`, upgrade), its re-acquisition checked at once.
//! - [`LockHeader`]'s drop: a lock dropped, its node and edges removed.
//! - [`report`]: every violation found on this thread is delivered through
//!   it, so that a report's panic first marks the held locks ([`poison`]).
//!
//! Each returns or keeps a [`HeldToken`]; dropping it (with the guard) forgets
//! the lock. The steady state touches only thread-local data.
//!
//! **Execution contexts.** The held set and the per-context caches belong to
//! an execution context, reached through `context::with`: the current
//! thread today. An async task is the next kind of context: it would keep
//! its own held set and caches and be reached the same way, while private
//! graphs (`private`) and id blocks stay per thread.
//!
//! **Graph layers.** An edge goes into the current thread's private graph
//! when both its locks are private to it (`private`), else into the global
//! graph (`global`); the two answer exactly as one graph.

mod context;
mod edge_cache;
pub(crate) mod global;
mod poison;
pub(crate) mod private;

pub use context::SetChain;
pub(crate) use context::SetScope;
pub(crate) use poison::unwound_by_report;

use std::marker::PhantomData;
use std::panic::Location;
use std::sync::Arc;

use crate::config;
use crate::config::flags;
use crate::held::{Access, HeldLock};
use crate::id::LockId;
use crate::meta::{Flavour, LockMeta};
use crate::report::deliver;
use crate::report::{HeldRef, LockRef, Notice, NoticeKind, SelfDeadlock, ThreadLabel, Violation};
use crate::watchdog::registry::ThreadRecord;

/// An acquisition recorded in this thread's held set; dropping it forgets it.
///
/// Guards keep it next to the raw guard, declared before it so that it is
/// dropped first: the held set forgets the lock just before the raw lock is
/// released, inside the critical section. The thread then goes from its unlock
/// to its next lock as quickly as with a plain lock, which keeps a contended
/// lock's hand-offs as rare as parking_lot's: with the bookkeeping after the
/// unlock, the longer gap lets a waiting thread take the lock more often.
/// It refers to the lock's header so that
/// the release can mark the lock as a graph node (for a cheap drop later).
pub(crate) struct HeldToken<'a> {
    meta: Option<&'a LockMeta>,
    /// Never `Send`, whatever the raw guard beside it is (parking_lot's
    /// `send_guard` feature, enabled by any crate of a program, makes its
    /// guards `Send`): the held set it forgets the lock in is this thread's.
    /// `Sync` as a guard is.
    _this_thread: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<'a> HeldToken<'a> {
    /// A token that records nothing (tracking was off for this acquisition).
    pub(crate) const UNTRACKED: HeldToken<'static> = HeldToken {
        meta: None,
        _this_thread: PhantomData,
    };

    /// The token of an acquisition of `meta` that was recorded in this
    /// thread's held set (by [`record_if_known`] or a slower path).
    #[inline(always)]
    pub(crate) fn recorded(meta: &'a LockMeta) -> Self {
        HeldToken {
            meta: Some(meta),
            _this_thread: PhantomData,
        }
    }

    /// The lock's header, if the acquisition was recorded.
    pub(crate) fn meta(&self) -> Option<&'a LockMeta> {
        self.meta
    }

    /// Whether the acquisition was recorded; the token itself is forgotten.
    /// For a guard that keeps this bit instead of the token, and makes the
    /// token again ([`recorded`](Self::recorded) or [`UNTRACKED`](Self::UNTRACKED))
    /// from its lock's header to release it.
    #[inline(always)]
    pub(crate) fn keep(self) -> bool {
        let recorded = self.meta.is_some();
        std::mem::forget(self);
        recorded
    }
}

impl HeldToken<'_> {
    /// The inline part of the release: forgets the lock if that is the
    /// plainest release ([`context::ThreadState::release_fast`]). Returns
    /// whether the release is done (also when there is nothing to forget);
    /// if it is, the token must then be forgotten, not dropped.
    #[inline(always)]
    pub(crate) fn release_plain(&self) -> bool {
        match self.meta {
            Some(meta) => release_plain(meta),
            None => true,
        }
    }
}

impl Drop for HeldToken<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(meta) = self.meta
            && !release_plain(meta)
        {
            release(meta);
        }
    }
}

/// The plainest release of `meta` ([`context::ThreadState::release_fast`]),
/// if it applies; returns whether it did.
#[inline(always)]
fn release_plain(meta: &LockMeta) -> bool {
    let id = meta.lazy_id().assigned_to_held();
    flags::get() == 0
        && context::with(
            #[inline(always)]
            |state| state.release_fast(id),
        ) == Some(true)
}

/// [`HeldToken`]'s drop for every case its inline fast path
/// ([`context::ThreadState::release_fast`]) leaves out.
///
/// It cannot unwind, and the compiler knows it (the `"C"` ABI): a guard's
/// drop that calls a function that may unwind also needs a landing pad that
/// releases the raw lock on that path, which would make `stdsync`'s guard
/// drop too big to inline (std's unlock has no cold path to hide it in): a
/// call more per lock+unlock. Nothing in it
/// panics; should a bug make it, the panic is printed by the hook and caught
/// here, and the raw lock is released as usual.
///
/// It reads the lock's id again rather than take it from the caller: the
/// inline part then needs the id only as the held-set word has it.
#[inline(never)]
extern "C" fn release(meta: &LockMeta) {
    let id = meta.lazy_id().assigned_to_held();
    // The common ones first, outside the catch: they cannot panic (an entry
    // had the id, so the lock has one, as marking it checks).
    if let Some(Some(source)) = context::with(|state| state.pop_in_place(id)) {
        if source {
            meta.lazy_id().mark_in_graph();
        }
        return;
    }
    let forget = || context::with(|state| state.release(meta, id));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(forget));
}

/// Delivers a violation found on this thread ([`deliver::report`]); if its
/// panic is raised, the locks this thread holds are marked as unwound by a
/// report first (see [`poison`]).
pub(crate) fn report(violation: Violation) {
    deliver::report(violation, &raising);
}

/// [`report`] for a thread blocked in a wait for `waiting_for`: that lock's
/// entry is recorded but the lock is not taken, so the report's unwinding
/// releases nothing there.
pub(crate) fn report_while_waiting(violation: Violation, waiting_for: LockId) {
    deliver::report(violation, &|| {
        raising();
        context::with(|state| state.mark_poison(waiting_for, |marks| marks.reported = false));
    });
}

/// Run right before a report's panic is raised on this thread.
fn raising() {
    context::with(|state| state.mark_reported());
}

/// Checks a blocking acquisition of `meta` (self-deadlock, ascending order, lock
/// order) before the caller blocks, then records it as held.
///
/// The caller takes the raw lock right after; a panic here (the Panic policy)
/// happens before anything is taken or recorded.
#[inline(always)]
pub(crate) fn before_blocking<'a>(
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    flavour: Flavour,
) -> HeldToken<'a> {
    let flags = flags::get();
    if flags != 0 {
        if flags::is_off(flags) {
            return HeldToken::UNTRACKED; // the runtime off switch: no bookkeeping
        }
    } else if record_if_known(meta, access, site) {
        // The steady state: nothing to do but a chain-key lookup and a push.
        return HeldToken::recorded(meta);
    }
    check_and_record(meta, access, site, flavour)
}

/// What [`after_taking`] made of an acquisition whose raw lock is taken.
pub(crate) enum Taken<'a> {
    /// Checked and recorded: the caller keeps the lock.
    Recorded(HeldToken<'a>),
    /// Violations to report, and nothing recorded: the caller lets the raw
    /// lock go, calls [`report_then_record`], and blocks for the lock as usual.
    Found,
    /// Nothing done, and nothing can be held back (this thread's
    /// thread-locals are being torn down): the caller lets the raw lock go,
    /// then checks before blocking ([`before_blocking`]).
    CheckFirst,
}

/// The steady state of a blocking acquisition (with no [`flags`] set):
/// records it and returns true if this held set is known to have every edge
/// into the lock; otherwise does nothing and returns false. Called after the
/// raw lock was found free and taken (the lock's id is then read from a cache
/// line this core already owns; the caller falls back to [`after_taking`]),
/// and by [`before_blocking`] before it may block (which falls back to the
/// full check).
///
/// A `bool` rather than the token: the caller builds the token itself on
/// this path, so that the steady state does not merge with the slow one's
/// [`Taken`] and test it again.
#[inline(always)]
pub(crate) fn record_if_known(
    meta: &LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> bool {
    match meta.lazy_id().tracked_read() {
        Some((id, read)) => {
            context::with(
                #[inline(always)]
                |state| state.acquire_fast(id, || read.origin(), access, site),
            ) == Some(true)
        }
        None => false,
    }
}

/// Checks and records a blocking acquisition whose raw lock was free and is
/// taken now (with no [`flags`] set), when [`record_if_known`] did not: the same
/// work as [`before_blocking`], but reports are held back (see
/// [`Taken::Found`]) so that none is delivered with the lock taken.
///
/// Inlined into its one caller, itself inlined into an out-of-line one
/// (`acquire`'s `check`), so that a lock's first use pays one call, not two;
/// the price is a copy of this body in every `check` (one per raw lock
/// type and data type).
#[inline(always)]
pub(crate) fn after_taking<'a>(
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    flavour: Flavour,
) -> Taken<'a> {
    // Nothing to report, so nothing to defer: a lock's first use whose edges
    // stay private, or a new held set whose edges into the lock are all known.
    let mut looked_at = None;
    if config::tracking()
        && let (id, fresh) = fresh_id(meta)
        && id.is_tracked()
    {
        let recorded = context::with(|state| match fresh {
            true => state.acquire_fresh_private(meta, id, access, site),
            false => state.acquire_known(meta, id, access, site),
        });
        match recorded {
            Some(Some(recorded)) => return Taken::Recorded(token(meta, Some(recorded))),
            None => return Taken::Recorded(HeldToken::UNTRACKED), // thread-locals gone
            Some(None) => looked_at = Some((id, fresh)),          // checked below
        }
    }
    if !deliver::can_defer() {
        return Taken::CheckFirst;
    }
    // A first use stays one (its id is assigned now): its edges may still
    // stay private once its new class edges are checked.
    let check = || match looked_at {
        Some((id, fresh)) => token(
            meta,
            context::with(|state| match fresh {
                true => state.acquire_fresh(meta, id, access, site),
                false => state.acquire_unknown(meta, id, access, site, flavour),
            }),
        ),
        None => check_and_record(meta, access, site, flavour),
    };
    match deliver::deferring(check) {
        (token, false) => Taken::Recorded(token),
        // As if checked before the lock was taken: not held yet.
        (_token, true) => Taken::Found,
    }
}

/// Delivers what [`after_taking`] found (the raw lock let go again), then
/// records the acquisition as [`before_blocking`] does after its reports; the
/// caller then blocks for the lock.
#[cold]
pub(crate) fn report_then_record<'a>(
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> HeldToken<'a> {
    deliver::deliver_held_back(&raising);
    after_try(meta, access, site)
}

/// Every blocking acquisition but the steady state: the first use of a lock,
/// a held set not seen before, any [`flags`] set.
#[inline(never)]
fn check_and_record<'a>(
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
    flavour: Flavour,
) -> HeldToken<'a> {
    if !config::tracking() {
        return HeldToken::UNTRACKED;
    }
    let (id, fresh) = fresh_id(meta);
    if !id.is_tracked() {
        // Here, not where the id was asked for: with the raw lock taken, the
        // notice is held back until it is let go.
        if let Some(notice) = exhaustion_notice(meta, id) {
            report(notice);
        }
        return HeldToken::UNTRACKED;
    }
    let recorded = context::with(|state| match fresh && flags::get() == 0 {
        true => state.acquire_fresh(meta, id, access, site),
        false => state.acquire_checked(meta, id, access, site, flavour),
    });
    token(meta, recorded)
}

/// The lock's id, and whether this call assigned it (its first use). A new
/// block of ids taken for it first registers this thread's private graph,
/// so that the lock can be private to it.
#[inline(always)]
fn fresh_id(meta: &LockMeta) -> (LockId, bool) {
    meta.lazy_id().get_fresh(|first| {
        context::with(|state| state.ensure_private_store(first));
    })
}

/// The lock's id (assigned now if need be), unless bookkeeping is off or the
/// lock is not tracked.
fn tracked(meta: &LockMeta) -> Option<LockId> {
    if !config::tracking() {
        return None;
    }
    let id = meta.id();
    id.is_tracked().then_some(id)
}

/// Records a successful non-blocking (or timed) acquisition: no edge into
/// `meta`, but later blocking acquisitions get edges from it.
#[inline]
pub(crate) fn after_try<'a>(
    meta: &'a LockMeta,
    access: Access,
    site: &'static Location<'static>,
) -> HeldToken<'a> {
    let Some(id) = tracked(meta) else {
        return HeldToken::UNTRACKED;
    };
    let recorded = context::with(|state| state.push(meta, id, access, site));
    token(meta, recorded)
}

#[inline(always)]
/// The token of an acquisition of `meta`, if it was recorded (`None`: the
/// thread's state could not be reached).
fn token(meta: &LockMeta, recorded: Option<bool>) -> HeldToken<'_> {
    match recorded {
        Some(true) => HeldToken::recorded(meta),
        _ => HeldToken::UNTRACKED,
    }
}

/// A held lock released for a while and then taken again by a blocking call:
/// a condition-variable wait, `unlocked`, `bump`, or an upgrade.
///
/// Dropping it without [`Suspended::resume`] (a panic in the check, in the
/// user's closure, or in a wait condition) also puts the entry back: the raw
/// lock is held again by then (parking_lot re-locks on unwind), so the held set
/// stays exact.
pub(crate) struct Suspended {
    entry: Option<HeldLock>,
}

/// Takes `token`'s lock out of the held set and checks, now, before anything
/// blocks, its re-acquisition (edges from every other held lock), as held
/// before or, for an upgrade, as `access`.
#[track_caller]
pub(crate) fn suspend(token: &HeldToken<'_>, access: Option<Access>) -> Suspended {
    suspend_at(token, access, Location::caller(), Flavour::ParkingLot)
}

/// [`suspend`] for a caller that knows the call site (one running the check
/// inside a closure, such as `catch_unwind`), or that is not one of the
/// crate root's locks.
pub(crate) fn suspend_at(
    token: &HeldToken<'_>,
    access: Option<Access>,
    site: &'static Location<'static>,
    flavour: Flavour,
) -> Suspended {
    let Some(meta) = token.meta else {
        return Suspended { entry: None };
    };
    let id = meta.id();
    let entry = context::with(|state| state.pop(meta, id)).flatten();
    let suspended = Suspended {
        entry: entry.map(|mut entry| {
            entry.access = access.unwrap_or(entry.access);
            entry
        }),
    };
    if let Some(entry) = suspended.entry {
        // A report that panics here drops `suspended`, which puts the entry back.
        context::with(|state| state.check_blocking(meta, id, entry.access, site, flavour));
    }
    suspended
}

impl Suspended {
    /// How the lock is to be taken again, if it was recorded.
    pub(crate) fn access(&self) -> Option<Access> {
        self.entry.map(|entry| entry.access)
    }

    /// The lock is held again.
    pub(crate) fn resume(mut self) {
        self.restore();
    }

    fn restore(&mut self) {
        if let Some(entry) = self.entry.take() {
            context::with(|state| state.restore(entry));
        }
    }
}

impl Drop for Suspended {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Whether this thread holds the lock (a `try_*` of such a lock is busy).
pub(crate) fn held_here(meta: &LockMeta) -> bool {
    let Some(id) = meta.lazy_id().assigned() else {
        return false;
    };
    config::tracking() && context::with(|state| state.holds(id)).unwrap_or(false)
}

/// Records that `token`'s lock is now held as `access` (a downgrade, or an
/// upgrade that did not block).
pub(crate) fn change_access(token: &HeldToken<'_>, access: Access) {
    if let Some(meta) = token.meta {
        context::with(|state| state.set_access(meta.id(), access));
    }
}

/// This thread's watchdog record, name and held locks, for a wait on `lock`
/// (left out: a blocking acquisition records its lock before it waits).
pub(crate) fn waiter(lock: LockId) -> Option<(Arc<ThreadRecord>, ThreadLabel, Vec<HeldRef>)> {
    context::with(|state| {
        let mut holds = state.held_refs();
        holds.retain(|held| held.lock.id() != lock);
        Some((state.record()?, state.label(), holds))
    })
    .flatten()
}

/// Keeps a lock this thread waits for out of its mirrored held set, so other
/// threads' long-wait reports do not name it as a holder; returns whether it
/// was recorded (then [`unhide_wait`] puts it back once it is taken).
pub(crate) fn hide_wait(lock: LockId) -> bool {
    if crate::config::watchdog::mirror_generation() == 0 {
        return false; // no mirror is kept
    }
    context::with(|state| state.hide_wait(lock)).unwrap_or(false)
}

/// Puts back the lock [`hide_wait`] left out.
pub(crate) fn unhide_wait() {
    context::with(|state| state.unhide_wait());
}

/// The tracking header of every lockgraph lock; dropping it removes the lock
/// from the graph.
pub(crate) struct LockHeader(LockMeta);

impl LockHeader {
    pub(crate) const fn new(meta: LockMeta) -> Self {
        LockHeader(meta)
    }
}

impl std::ops::Deref for LockHeader {
    type Target = LockMeta;

    fn deref(&self) -> &LockMeta {
        &self.0
    }
}

impl Drop for LockHeader {
    fn drop(&mut self) {
        lock_dropped(&self.0);
    }
}

impl std::fmt::Debug for LockHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A lock is being dropped: remove its node and edges from the graph.
fn lock_dropped(meta: &LockMeta) {
    let Some(id) = meta.lazy_id().tracked() else {
        return; // never used, or past the end of the id space: never tracked
    };
    // Every entry of the lock (leaked guards, recursive reads): popping them
    // also marks the lock if one was the source of an edge.
    let leaked = context::with(|state| {
        // Usually not held at all: one scan of the ids, no removal.
        let leaked = state.holds(id);
        while leaked && state.pop(meta, id).is_some() {}
        leaked
    });
    if leaked == Some(true) {
        // No internal lock is held here, and the handler cannot take this lock.
        notice(
            NoticeKind::DroppedWhileHeld,
            LockRef::new(id, meta.origin()),
        );
    }
    let sink = !meta.lazy_id().in_graph();
    let published = match context::forget_private(id, sink) {
        Ok(()) => return, // it was private: its edges went with it
        Err(published) => published,
    };
    if published || meta.lazy_id().in_graph() {
        global::with(|g| g.remove(id));
    }
}

/// Reports a [`Notice`] about `lock` on this thread (through the handler and
/// the notice policy, `Warn` by default). The caller holds no internal lock
/// and no raw lock that the handler might take.
#[cold]
fn notice(kind: NoticeKind, lock: LockRef) {
    report(notice_here(kind, lock));
}

fn notice_here(kind: NoticeKind, lock: LockRef) -> Violation {
    let thread = context::label();
    Violation::Notice(Notice { kind, lock, thread })
}

/// The notice that the id space is used up, for the first acquisition of a
/// lock with the untracked `id` after it was (once per process).
#[cold]
fn exhaustion_notice(meta: &LockMeta, id: LockId) -> Option<Violation> {
    let lock = LockRef::new(id, meta.origin());
    crate::id::exhaustion_untold().then(|| notice_here(NoticeKind::IdsExhausted, lock))
}

/// The whole lock-order graph as it is now (every private graph published
/// into the global one first): what `graph::snapshot` shows.
pub(crate) fn snapshot() -> crate::graph::Snapshot {
    private::publish_all();
    global::with(|g| g.snapshot())
}

/// The checks `lock_all` runs on its whole set before taking any lock: the same
/// lock twice is a self-deadlock, and holding a lock with a higher id than the
/// set's lowest breaks the ascending rule. `set` holds the members' ids,
/// sorted; `describe(i)` names the member with the `i`-th id (only for a
/// report, so the check itself reads nothing but ids and allocates nothing).
///
/// Inlined into the set's code: with nothing to report it reads the flags,
/// the set's ids and this thread's held ids, and calls nothing.
///
/// Returns the set's scope (see `context::enter_set`): kept while the members are
/// taken, so that their edges among themselves make no class edges.
#[inline]
#[must_use]
pub(crate) fn check_set(
    set: &[LockId],
    describe: &dyn Fn(usize) -> LockRef,
    site: &'static Location<'static>,
) -> SetScope {
    let Some(&lowest) = set.first() else {
        return SetScope::NONE;
    };
    if flags::current() & flags::OFF != 0 {
        return SetScope::NONE; // not tracking
    }
    // Locks past the end of the id space share one id, and are not checked.
    let twice = set
        .windows(2)
        .any(|pair| pair[0] == pair[1] && pair[0].is_tracked());
    let (mut scope, above) = context::enter_set(set, lowest);
    if twice || above {
        // Never known: the next time must report it too.
        scope.forget_set();
        report_set(set, describe, site);
    }
    scope
}

/// The start of a `lock_all` set of `members` locks on the known path (see
/// [`SetChain`]), or `None` if it must take the usual one.
#[inline]
pub(crate) fn start_known_set(members: usize) -> Option<SetChain> {
    if flags::get() != 0 {
        return None;
    }
    context::with(|state| state.start_known_set(members)).flatten()
}

/// A `lock_all` set of the ascending `ids` was just taken on the usual
/// path, the member at position `order[k]` of the set `k`-th (`None`: a
/// slice, whose entries stay in id order), its scope ended: a tuple's held
/// entries are put in the set's own order (see
/// [`crate::held::HeldLocks::name_order`]), so that guards bound in that
/// order and dropped last first release the top entry each; and the set is
/// remembered for its known path if its scope found every member known.
#[inline(never)]
pub(crate) fn finish_usual_set(ids: &[LockId], order: Option<&[u8]>) {
    let _ = context::with(|state| state.finish_usual_set(ids, order));
}

/// A `lock_all` set of the ascending `ids`, the member at position
/// `order[k]` `k`-th, was just taken all or nothing: its held entries are
/// put in the set's own order, as [`finish_usual_set`] does.
#[inline]
pub(crate) fn name_set_order(ids: &[LockId], order: &[u8]) {
    if !crate::held::in_id_order(order) {
        name_set_order_now(ids, order);
    }
}

/// [`name_set_order`] for a set named against id order.
#[inline(never)]
fn name_set_order_now(ids: &[LockId], order: &[u8]) {
    let _ = context::with(|state| state.name_set_order(ids, order));
}

/// Records a member of a set on the known path, its raw lock taken; returns
/// whether it did (if not, nothing changed).
#[inline(always)]
pub(crate) fn record_known_member(
    meta: &LockMeta,
    access: Access,
    site: &'static Location<'static>,
    chain: &SetChain,
) -> bool {
    match meta.lazy_id().tracked_read() {
        Some((id, read)) => {
            context::with(
                #[inline(always)]
                |state| state.take_known_member(id, || read.origin(), access, site, chain),
            ) == Some(true)
        }
        None => false,
    }
}

/// Before a member of the `lock_all` set being taken is taken (blocking):
/// the top held entry's chain key gets the set's salt (see
/// [`crate::held::HeldLocks::salt_chains`]). Nothing outside a set.
#[inline]
pub(crate) fn before_member() {
    let _ = context::with(|state| state.salt_top());
}

/// [`check_set`] found something: reports it.
#[cold]
#[inline(never)]
fn report_set(
    set: &[LockId],
    describe: &dyn Fn(usize) -> LockRef,
    site: &'static Location<'static>,
) {
    let lowest = set[0];
    context::with(|state| {
        let same = |pair: &[LockId]| pair[0] == pair[1] && pair[0].is_tracked();
        if let Some(at) = set.windows(2).position(same) {
            report(Violation::SelfDeadlock(SelfDeadlock {
                thread: state.label(),
                lock: describe(at),
                access: Access::Exclusive,
                site,
                first: None,
                flavour: Flavour::ParkingLot,
            }));
        }
        // A held lock that is also in the set is a self-deadlock, found when it is taken.
        let higher = state.highest_held_outside(set);
        if let Some(higher) = higher.filter(|h| h.id > lowest) {
            // Every lock type goes through lock_all: one advice for all.
            let flavour = Flavour::ParkingLot;
            report(state.order_violation(&describe(0), site, &higher, true, flavour));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_untracked_acquisition_after_the_ids_ran_out_gets_the_notice() {
        let meta = LockMeta::named("first unchecked");
        let untracked = LockId::from_u64(u64::MAX);
        assert!(!untracked.is_tracked());
        crate::id::reach_exhaustion_for_tests();
        let named = std::thread::Builder::new().name("late".into());
        let notices = named.spawn(move || {
            let first = exhaustion_notice(&meta, untracked);
            (first, exhaustion_notice(&meta, untracked))
        });
        let (first, second) = notices.unwrap().join().unwrap();
        let Some(Violation::Notice(notice)) = first else {
            panic!("expected the notice, got {first:?}");
        };
        assert_eq!(notice.kind(), NoticeKind::IdsExhausted);
        assert_eq!(notice.lock().name(), Some("first unchecked"));
        assert_eq!(notice.thread(), "late");
        let text = notice.to_string();
        assert!(
            text.starts_with("lockgraph: notice: all 2^56 - 1 lock ids are used"),
            "{text}"
        );
        assert!(
            text.contains("\"first unchecked\" on thread \"late\""),
            "{text}"
        );
        assert!(second.is_none(), "told once per process");
    }
}
