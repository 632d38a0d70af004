//! Lock identities: [`LockId`] and the lazily assigned id stored in every lock.
//!
//! Ids come from per-thread blocks ([`blocks`]), which also say which thread
//! handed out an id (its owner). A graph node is identified by a `LockId`:
//! the lock-order graph and the reports know nodes only by id, so other kinds
//! of node (a lock class, an event such as a condvar or a channel) can take
//! their ids from the same space when they come.

use std::fmt;
use std::sync::atomic::{
    AtomicU8, AtomicU32,
    Ordering::{Acquire, Relaxed, Release},
};

mod blocks;

use blocks::next_id;
pub(crate) use blocks::{handed_out_below, owner, this_thread, thread_of};

/// The identity of one lock: unique in the process, never reused.
///
/// Ids are assigned lazily, at a lock's first acquisition or first call to its
/// `id()` method, so that `new` can stay `const` and locks can live in `static`s.
/// Each thread hands out ids from its own block of consecutive numbers, so on
/// one thread they follow first use (not creation); locks first used on
/// different threads are ordered by their blocks. Because an id is never given
/// to a second lock, an edge recorded for a dropped lock can never attach to a
/// new one (the address-reuse problem of identifying locks by address).
///
/// # Examples
///
/// ```
/// let a = lockgraph::Mutex::new(1);
/// let b = lockgraph::Mutex::new(2);
/// assert!(a.id() < b.id()); // `a` was used first
/// assert_eq!(a.id(), a.id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockId(u32);

impl LockId {
    /// Never a lock's id: marks an unused held-set slot.
    pub(crate) const VACANT: LockId = LockId(0);

    /// The id with this number (an id read back from a held-set word).
    #[inline]
    pub(crate) const fn from_u32(id: u32) -> LockId {
        LockId(id)
    }

    /// The number behind this id (unique in this process, never reused).
    pub fn as_u32(self) -> u32 {
        self.0
    }

    /// Whether this lock is tracked. Once the id space (2^31 - 2 locks) is used
    /// up, further locks share one "untracked" id and are not checked.
    #[inline]
    pub(crate) fn is_tracked(self) -> bool {
        self.0 != UNTRACKED
    }
}

impl fmt::Debug for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockId({})", self.0)
    }
}

impl fmt::Display for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Set in a lock's id word once the lock may have a node in the global
/// lock-order graph or an edge out of it in any graph, so that dropping a lock
/// that never had one never takes the global graph lock, and a lock that only
/// ever had edges into it may be forgotten lazily.
const IN_GRAPH: u32 = 1 << 31;
/// Shared by all locks created after the id space is exhausted; never checked.
const UNTRACKED: u32 = IN_GRAPH - 1;

/// Whether the id space is used up, and whether anyone was told.
static EXHAUSTION: Exhaustion = Exhaustion::new();

/// The id word stored in a lock: 0 until first use, then the id, plus the
/// `IN_GRAPH` flag bit.
pub(crate) struct LazyId(AtomicU32);

impl LazyId {
    pub(crate) const fn new() -> Self {
        LazyId(AtomicU32::new(0))
    }

    /// The lock's id, assigned now if this is its first use.
    #[inline]
    pub(crate) fn get(&self) -> LockId {
        match self.0.load(Relaxed) & !IN_GRAPH {
            0 => self.assign(),
            id => LockId(id),
        }
    }

    /// The id of a lock this thread holds (a recorded acquisition's lock has
    /// one): read without the check for "not assigned yet".
    #[inline(always)]
    pub(crate) fn assigned_to_held(&self) -> LockId {
        LockId(self.0.load(Relaxed) & !IN_GRAPH)
    }

    /// The id if one was assigned (a lock never used has none).
    #[inline]
    pub(crate) fn assigned(&self) -> Option<LockId> {
        match self.0.load(Relaxed) & !IN_GRAPH {
            0 => None,
            id => Some(LockId(id)),
        }
    }

    /// The lock's id, and whether this call assigned it: then this is the
    /// lock's first use, with no edge anywhere. If this thread takes a new
    /// block of ids for it, `on_new_block` is told the block's first id
    /// before the id is stored (and so before another thread can see it):
    /// the tracker registers the thread's private graph there.
    #[inline]
    pub(crate) fn get_fresh(&self, on_new_block: impl FnOnce(u32)) -> (LockId, bool) {
        match self.0.load(Relaxed) & !IN_GRAPH {
            0 => self.assign_fresh(on_new_block),
            id => (LockId(id), false),
        }
    }

    #[cold]
    fn assign(&self) -> LockId {
        self.assign_fresh(|_| {}).0
    }

    #[inline]
    fn assign_fresh(&self, on_new_block: impl FnOnce(u32)) -> (LockId, bool) {
        let fresh = next_id(on_new_block);
        // Release: a thread that reads the id (or the word marked later, see
        // `mark_in_graph`) and then fences sees the owner's private graph
        // registered (see `tracker::private::PUBLIC_BELOW`).
        match self.0.compare_exchange(0, fresh, Release, Relaxed) {
            Ok(_) => (LockId(fresh), true),
            // Another thread assigned one first; ours is simply never used.
            Err(current) => (LockId(current & !IN_GRAPH), false),
        }
    }

    /// The id if one was assigned and is tracked (one compare: the fast
    /// path's test).
    #[inline(always)]
    pub(crate) fn tracked(&self) -> Option<LockId> {
        let id = self.0.load(Relaxed) & !IN_GRAPH;
        // 0 (unassigned) wraps to the top; UNTRACKED - 1 is the last tracked id.
        (id.wrapping_sub(1) < UNTRACKED - 1).then_some(LockId(id))
    }

    /// Records that the lock may have a node in the global graph or an edge
    /// out of it (see [`IN_GRAPH`]). The id must be assigned.
    ///
    /// A plain store, not a read-modify-write: once the id is assigned, every
    /// write to the word stores that same id with the flag set, so racing
    /// writers cannot lose anything (and the flag is never cleared). Acquire
    /// and release (no cost on x86): whoever reads the marked word then
    /// happens after the id's assignment, as if it had read that (see
    /// `tracker::private::PUBLIC_BELOW`).
    #[inline]
    pub(crate) fn mark_in_graph(&self) {
        let word = self.0.load(Acquire);
        debug_assert!(word & !IN_GRAPH != 0, "marking a lock with no id");
        if word & IN_GRAPH == 0 {
            self.0.store(word | IN_GRAPH, Release);
        }
    }

    /// Whether the lock may have a node in the global graph or an edge out of
    /// it (see [`IN_GRAPH`]).
    #[inline]
    pub(crate) fn in_graph(&self) -> bool {
        self.0.load(Relaxed) & IN_GRAPH != 0
    }
}

/// The id of a lock asked for once every id is used: the one untracked id.
pub(super) fn exhausted() -> u32 {
    EXHAUSTION.reach();
    UNTRACKED
}

/// True once per process, for the first caller after the id space was used
/// up: that caller tells the user (the tracker, at a point where it may
/// deliver a notice; here no report can be delivered, since the id may be
/// asked for with a lock taken).
pub(crate) fn exhaustion_untold() -> bool {
    EXHAUSTION.take_untold()
}

/// Marks the id space as used up (and untold), without using it up.
#[cfg(test)]
pub(crate) fn reach_exhaustion_for_tests() {
    EXHAUSTION.reach();
}

/// A one-way state: not reached, reached but untold, told.
struct Exhaustion(AtomicU8);

impl Exhaustion {
    const NOT_REACHED: u8 = 0;
    const UNTOLD: u8 = 1;
    const TOLD: u8 = 2;

    const fn new() -> Self {
        Exhaustion(AtomicU8::new(Self::NOT_REACHED))
    }

    fn reach(&self) {
        let (from, to) = (Self::NOT_REACHED, Self::UNTOLD);
        let _ = self.0.compare_exchange(from, to, Relaxed, Relaxed);
    }

    /// Whether the state was "untold" and this call made it "told". A load
    /// first: every untracked acquisition asks, and should not write.
    fn take_untold(&self) -> bool {
        let (from, to) = (Self::UNTOLD, Self::TOLD);
        self.0.load(Relaxed) == from && self.0.compare_exchange(from, to, Relaxed, Relaxed).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_assigned_once_and_keep_the_flag_separate() {
        let lazy = LazyId::new();
        assert_eq!(lazy.assigned(), None);
        let id = lazy.get();
        assert!(id.is_tracked());
        lazy.mark_in_graph();
        assert!(lazy.in_graph());
        assert_eq!(lazy.get(), id);
        assert_eq!(lazy.assigned(), Some(id));
    }

    #[test]
    fn exhaustion_is_told_once_and_only_once_reached() {
        let state = Exhaustion::new();
        assert!(!state.take_untold(), "not reached yet");
        state.reach();
        state.reach();
        assert!(state.take_untold());
        assert!(!state.take_untold(), "told already");
        state.reach();
        assert!(!state.take_untold(), "reaching it again tells nothing new");
    }

    #[test]
    fn fresh_ids_grow() {
        let (a, b) = (LazyId::new(), LazyId::new());
        assert!(a.get() < b.get());
    }
}
