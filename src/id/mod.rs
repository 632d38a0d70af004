//! Lock identities: [`LockId`] and the lazily assigned id stored in every lock.
//!
//! Ids come from per-thread blocks ([`blocks`]), which also say which thread
//! handed out an id (its owner). Ids are 64-bit and never reused; they are
//! below [`LIMIT`] (2^56), which no realistic run reaches. A graph node is identified by a `LockId`:
//! the lock-order graph and the reports know nodes only by id, so other kinds
//! of node (a lock class, an event such as a condvar or a channel) can take
//! their ids from the same space when they come.

use std::fmt;
use std::sync::atomic::{
    AtomicU8,
    Ordering::{Relaxed, Release},
};

mod blocks;

use crate::meta::Origin;
use crate::trusted::{LockWord, WordRead};
use blocks::next_id;
pub(crate) use blocks::{handed_out_below, owner, skip_to, this_thread, thread_of};

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
/// Ids are 64-bit numbers below 2^56: enough for a new lock every 10
/// nanoseconds for over 22 years.
///
/// # Examples
///
/// ```
/// let a = lockgraph::Mutex::new(1);
/// let b = lockgraph::Mutex::new(2);
/// assert!(a.id() < b.id()); // `a` was used first
/// assert_eq!(a.id(), a.id());
/// assert_eq!(a.id().to_string(), format!("#{}", a.id().as_u64()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockId(u64);

/// Every id handed out is below this (2^56). The bound is the room in the
/// words that carry an id: a lock's id word keeps it above its 8 low bits,
/// and so does a held-set entry's word; a graph node's order key keeps it
/// above 8 bits of its own. No realistic run hands out that many ids
/// (docs/design.md, "Ids are assigned at first use").
pub(crate) const LIMIT: u64 = 1 << 56;

impl LockId {
    /// Never a lock's id: marks an unused held-set slot.
    pub(crate) const VACANT: LockId = LockId(0);

    /// The id with this number (an id read back from a held-set word).
    #[inline]
    pub(crate) const fn from_u64(id: u64) -> LockId {
        LockId(id)
    }

    /// The number behind this id: unique in this process, never reused, and
    /// below 2^56; except that locks first used after the id space is used
    /// up (which no realistic run reaches) all share `u64::MAX` and are not
    /// checked.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = lockgraph::Mutex::new(());
    /// assert_ne!(lock.id().as_u64(), 0);
    /// assert!(lock.id().as_u64() < 1 << 56);
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Whether this lock is tracked. Once the id space (2^56 - 1 ids) is used
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
/// ever had edges into it may be forgotten lazily. Set in a word with no id,
/// it marks a lock past the end of the id space ([`UNTRACKED`]).
const IN_GRAPH: u64 = 1;
/// Where the id starts in a lock's id word: the 8 bits below are the
/// [`IN_GRAPH`] flag and the lock's origin (see [`LockWord`]).
const ID_SHIFT: u32 = 8;
/// The id of every lock first used after the id space is exhausted: never
/// checked, and never stored (such a lock's word has no id and the
/// [`IN_GRAPH`] flag), so it need not fit in the word.
const UNTRACKED: u64 = u64::MAX;

/// Whether the id space is used up, and whether anyone was told.
static EXHAUSTION: Exhaustion = Exhaustion::new();

/// The id word stored in a lock: the id (0 until first use) above 8 bits that
/// hold the `IN_GRAPH` flag (bit 0) and the lock's origin (bits 1..8, see
/// [`LockWord`]), with the origin's pointer beside it. A word with no id is
/// unassigned, or, with the flag, untracked.
pub(crate) struct LazyId(LockWord);

impl LazyId {
    /// An unassigned id word with `origin`.
    pub(crate) const fn with_origin(origin: LockWord) -> Self {
        LazyId(origin)
    }

    /// An unassigned id word of a lock named "" (for tests that need ids).
    #[cfg(test)]
    pub(crate) const fn new() -> Self {
        LazyId(LockWord::new(Origin::named("")))
    }

    /// The lock's origin.
    #[inline(always)]
    pub(crate) fn origin(&self) -> Origin {
        self.0.origin()
    }

    /// The lock's id, assigned now if this is its first use.
    #[inline]
    pub(crate) fn get(&self) -> LockId {
        match self.0.load(Relaxed) {
            word if word >> ID_SHIFT == 0 => self.assign(word),
            word => LockId(word >> ID_SHIFT),
        }
    }

    /// The id of a lock this thread holds (a recorded acquisition's lock has
    /// one): read without the check for "not assigned yet".
    #[inline(always)]
    pub(crate) fn assigned_to_held(&self) -> LockId {
        LockId(self.0.load(Relaxed) >> ID_SHIFT)
    }

    /// The id if one was assigned (a lock never used has none).
    #[inline]
    pub(crate) fn assigned(&self) -> Option<LockId> {
        match self.0.load(Relaxed) {
            word if word >> ID_SHIFT != 0 => Some(LockId(word >> ID_SHIFT)),
            word if word & IN_GRAPH != 0 => Some(LockId(UNTRACKED)),
            _ => None,
        }
    }

    /// The lock's id, and whether this call assigned it: then this is the
    /// lock's first use, with no edge anywhere. If this thread takes a new
    /// block of ids for it, `on_new_block` is told the block's first id
    /// before the id is stored (and so before another thread can see it):
    /// the tracker registers the thread's private graph there.
    #[inline]
    pub(crate) fn get_fresh(&self, on_new_block: impl FnOnce(u64)) -> (LockId, bool) {
        match self.0.load(Relaxed) {
            word if word >> ID_SHIFT == 0 => self.assign_fresh(word, on_new_block),
            word => (LockId(word >> ID_SHIFT), false),
        }
    }

    #[cold]
    fn assign(&self, unassigned: u64) -> LockId {
        self.assign_fresh(unassigned, |_| {}).0
    }

    /// Assigns a fresh id to the word, read as `unassigned` (no id): unless
    /// it is untracked already, or the id space is exhausted, which makes it
    /// untracked.
    #[inline]
    fn assign_fresh(&self, unassigned: u64, on_new_block: impl FnOnce(u64)) -> (LockId, bool) {
        if unassigned & IN_GRAPH != 0 {
            return (LockId(UNTRACKED), false);
        }
        let fresh = next_id(on_new_block);
        if fresh == UNTRACKED {
            return (self.untrack(unassigned), false);
        }
        // Release: a thread that reads the id (or the word marked later, see
        // `mark_in_graph`) and then fences sees the owner's private graph
        // registered (see `tracker::private::PUBLIC_BELOW`).
        match (self.0).compare_exchange(unassigned, fresh << ID_SHIFT, Release, Relaxed) {
            Ok(_) => (LockId(fresh), true),
            // Another thread assigned one first; ours is simply never used.
            Err(current) => (Self::id_of(current), false),
        }
    }

    /// Marks the word, read as `unassigned`, untracked: the id space is used up.
    #[cold]
    fn untrack(&self, unassigned: u64) -> LockId {
        match (self.0).compare_exchange(unassigned, unassigned | IN_GRAPH, Relaxed, Relaxed) {
            Ok(_) => LockId(UNTRACKED),
            Err(current) => Self::id_of(current),
        }
    }

    /// The id in a word that another thread assigned (or made untracked).
    #[cold]
    fn id_of(word: u64) -> LockId {
        match word >> ID_SHIFT {
            0 => LockId(UNTRACKED),
            id => LockId(id),
        }
    }

    /// The id if one was assigned and is tracked (one compare: the fast
    /// path's test).
    #[inline(always)]
    pub(crate) fn tracked(&self) -> Option<LockId> {
        self.tracked_read().map(|(id, _)| id)
    }

    /// [`Self::tracked`], with the word as read: the lock's origin is then
    /// read from the same load.
    #[inline(always)]
    pub(crate) fn tracked_read(&self) -> Option<(LockId, WordRead<'_>)> {
        let read = self.0.read(Relaxed);
        let id = read.word() >> ID_SHIFT;
        // An unassigned word, and an untracked one, have no id.
        (id != 0).then_some((LockId(id), read))
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
        debug_assert!(
            self.0.load(Relaxed) >> ID_SHIFT != 0,
            "marking a lock with no id"
        );
        const { assert!(IN_GRAPH == 1) }; // the bit `set_bit_0` sets
        self.0.set_bit_0();
    }

    /// Whether the lock may have a node in the global graph or an edge out of
    /// it (see [`IN_GRAPH`]; for a tracked lock).
    #[inline]
    pub(crate) fn in_graph(&self) -> bool {
        self.0.load(Relaxed) & IN_GRAPH != 0
    }
}

/// The id of a lock asked for once every id is used: the one untracked id.
pub(super) fn exhausted() -> u64 {
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

    #[test]
    fn the_last_id_of_the_space_fits_in_the_word_beside_the_flag_and_origin() {
        let lazy = LazyId::with_origin(LockWord::new(Origin::named("top")));
        let unassigned = lazy.0.load(Relaxed);
        let last = LIMIT - 1;
        let assigned = lazy
            .0
            .compare_exchange(unassigned, last << ID_SHIFT, Release, Relaxed);
        assert!(assigned.is_ok());
        assert_eq!(lazy.tracked(), Some(LockId(last)));
        assert!(!lazy.in_graph());
        lazy.mark_in_graph();
        assert!(lazy.in_graph());
        assert_eq!(lazy.get(), LockId(last));
        assert_eq!(lazy.assigned_to_held(), LockId(last));
        assert_eq!(lazy.tracked(), Some(LockId(last)));
        assert_eq!(lazy.origin().name(), Some("top"));
    }

    #[test]
    fn a_lock_past_the_end_of_the_id_space_stays_untracked_and_keeps_its_origin() {
        let lazy = LazyId::new();
        let unassigned = lazy.0.load(Relaxed);
        assert_eq!(lazy.untrack(unassigned), LockId(UNTRACKED));
        assert_eq!(lazy.tracked(), None);
        assert_eq!(lazy.assigned(), Some(LockId(UNTRACKED)));
        // Later uses neither take an id nor a block.
        assert_eq!(lazy.get(), LockId(UNTRACKED));
        let fresh = lazy.get_fresh(|_| panic!("no block is taken"));
        assert_eq!(fresh, (LockId(UNTRACKED), false));
        assert!(!LockId(UNTRACKED).is_tracked());
        assert_eq!(LockId(UNTRACKED).as_u64(), u64::MAX);
        assert_eq!(lazy.origin().name(), Some(""));
        // Losing the race to a thread that assigned an id: that id.
        let raced = LazyId::new();
        let unassigned = raced.0.load(Relaxed);
        let id = raced.get();
        assert_eq!(raced.untrack(unassigned), id);
        assert_eq!(raced.tracked(), Some(id));
    }
}
