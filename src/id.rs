//! Lock identities: [`LockId`] and the lazily assigned id stored in every lock.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::atomic::{
    AtomicBool, AtomicU32,
    Ordering::{Acquire, Relaxed, Release},
};

use parking_lot::RwLock as RawRwLock;

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

static NEXT_ID: AtomicU32 = AtomicU32::new(1);
static EXHAUSTED_REPORTED: AtomicBool = AtomicBool::new(false);

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
    /// lock's first use, and it is private to this thread with no edge
    /// anywhere (until another thread uses it, which publishes this thread's
    /// private graph first).
    #[inline]
    pub(crate) fn get_fresh(&self) -> (LockId, bool) {
        match self.0.load(Relaxed) & !IN_GRAPH {
            0 => self.assign_fresh(),
            id => (LockId(id), false),
        }
    }

    #[cold]
    fn assign(&self) -> LockId {
        self.assign_fresh().0
    }

    #[inline]
    fn assign_fresh(&self) -> (LockId, bool) {
        let fresh = next_id();
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

/// A thread's block of ids: `next..end` are still free.
#[derive(Clone, Copy)]
struct Block {
    first: u32,
    next: u32,
    end: u32,
    /// The size of the next block to take (blocks grow as a thread uses more locks).
    size: u32,
    /// This thread's number (0 until it takes its first block).
    thread: u32,
}

/// The smallest and the largest block a thread takes.
const FIRST_BLOCK: u32 = 16;
const LARGEST_BLOCK: u32 = 4096;

thread_local! {
    /// No destructor: ids can be handed out during thread-local teardown too.
    static BLOCK: Cell<Block> = const {
        Cell::new(Block { first: 0, next: 0, end: 0, size: FIRST_BLOCK, thread: 0 })
    };
}

/// Which thread each block went to: (first id, thread number), by first id.
static OWNERS: RawRwLock<Vec<(u32, u32)>> = RawRwLock::new(Vec::new());
static NEXT_THREAD: AtomicU32 = AtomicU32::new(1);

/// This thread's number: small, unique, never reused (0 if it cannot be known).
pub(crate) fn this_thread() -> u32 {
    BLOCK
        .try_with(|block| {
            let mut current = block.get();
            if current.thread == 0 {
                current.thread = NEXT_THREAD.fetch_add(1, Relaxed);
                block.set(current);
            }
            current.thread
        })
        .unwrap_or(0)
}

/// This thread's number if it handed out `id` from the block it uses now
/// (the usual case of [`owner`], with one thread-local read).
#[inline]
fn current_block_thread(id: LockId) -> Option<u32> {
    let block = BLOCK.try_with(Cell::get).ok()?;
    (block.first..block.end)
        .contains(&id.0)
        .then_some(block.thread)
}

/// The number of the thread that handed out `id`: [`owner`], answered from
/// this thread's current block when it is one of its ids.
#[inline]
pub(crate) fn thread_of(id: LockId) -> u32 {
    current_block_thread(id).unwrap_or_else(|| owner(id))
}

/// An upper bound of every id handed out so far.
pub(crate) fn handed_out_below() -> u32 {
    NEXT_ID.load(Relaxed)
}

thread_local! {
    /// The block [`owner`] found last: (first id, end, thread).
    static LAST_OWNER: Cell<(u32, u32, u32)> = const { Cell::new((0, 0, 0)) };
    /// This thread's copy of the first entries of [`OWNERS`] (they never
    /// change, only grow), and the end of the ids they cover: most lookups
    /// then take no lock.
    static OWNERS_SEEN: RefCell<(Vec<(u32, u32)>, u32)> = const { RefCell::new((Vec::new(), 0)) };
}

/// The most blocks a thread copies (beyond, lookups read [`OWNERS`] itself).
const COPIED_BLOCKS: usize = 1 << 12;

/// The thread of the block that holds `id` in `owners` (sorted by first id,
/// every block below `covered` listed), remembered in [`LAST_OWNER`] with the
/// block's extent: the next lookup is most often in it again.
fn owner_in(owners: &[(u32, u32)], id: u32, covered: u32) -> Option<u32> {
    let after = owners.partition_point(|&(first, _)| first <= id);
    let (first, thread) = owners[after.checked_sub(1)?];
    let end = owners.get(after).map_or(covered, |&(next, _)| next);
    let _ = LAST_OWNER.try_with(|last| last.set((first, end, thread)));
    Some(thread)
}

/// The number of the thread that handed out `id` (0 if none is known).
#[inline]
pub(crate) fn owner(id: LockId) -> u32 {
    match LAST_OWNER.try_with(Cell::get) {
        Ok((first, end, thread)) if (first..end).contains(&id.0) => thread,
        _ => owner_not_last(id),
    }
}

/// [`owner`] for an id outside the block found last.
#[cold]
#[inline(never)]
fn owner_not_last(id: LockId) -> u32 {
    let copied = OWNERS_SEEN.try_with(|seen| {
        let (owners, covered) = &mut *seen.borrow_mut();
        if id.0 >= *covered {
            let global = OWNERS.read();
            if global.len() > COPIED_BLOCKS {
                return None;
            }
            owners.extend_from_slice(&global[owners.len()..]);
            // Every block below the next free id is in `OWNERS` (taken under its lock).
            *covered = NEXT_ID.load(Relaxed);
        }
        owner_in(owners, id.0, *covered)
    });
    match copied {
        Ok(Some(thread)) => thread,
        // Too many blocks to copy: look in the table itself. Every block below
        // the next free id is in it (taken under its lock).
        _ => owner_in(&OWNERS.read(), id.0, NEXT_ID.load(Relaxed)).unwrap_or(0),
    }
}

/// A fresh id: the next one of this thread's block.
#[inline]
fn next_id() -> u32 {
    let from_block = BLOCK.try_with(|block| {
        let current = block.get();
        (current.next < current.end).then(|| {
            block.set(Block {
                next: current.next + 1,
                ..current
            });
            current.next
        })
    });
    match from_block {
        Ok(Some(id)) => id,
        _ => next_id_from_new_block(),
    }
}

/// [`next_id`] when this thread's block is used up (or it has none yet).
#[cold]
#[inline(never)]
fn next_id_from_new_block() -> u32 {
    let from_block = BLOCK.try_with(|block| {
        let mut current = block.get();
        let first_block = current.end == 0;
        if current.next == current.end {
            if current.thread == 0 {
                current.thread = NEXT_THREAD.fetch_add(1, Relaxed);
            }
            // Taken and recorded under one lock, so that `OWNERS` stays sorted.
            let mut owners = OWNERS.write();
            let (first, end) = take_block(current.size)?;
            // A block right after this thread's last one extends that entry
            // (it covers every id up to the next entry): a thread churning
            // through locks alone keeps one entry, not one per block.
            if owners
                .last()
                .is_none_or(|&(_, thread)| thread != current.thread)
            {
                owners.push((first, current.thread));
            }
            drop(owners);
            current = Block {
                first,
                next: first,
                end,
                size: (current.size * 2).min(LARGEST_BLOCK),
                thread: current.thread,
            };
        }
        block.set(Block {
            next: current.next + 1,
            ..current
        });
        Some((current.next, first_block))
    });
    match from_block {
        Ok(Some((id, first_block))) => {
            if first_block {
                // Before any other thread can see the id: its owner's private graph.
                crate::tracker::private::thread_hands_out_ids(id);
            }
            id
        }
        // Out of ids (or thread-local access failed): one untracked id for all.
        _ => exhausted(),
    }
}

/// `first..end`: the next `size` free ids (fewer near the end of the id space).
fn take_block(size: u32) -> Option<(u32, u32)> {
    let grow = |n: u32| (n < UNTRACKED).then(|| n.saturating_add(size).min(UNTRACKED));
    let first = NEXT_ID.fetch_update(Relaxed, Relaxed, grow).ok()?;
    Some((first, first.saturating_add(size).min(UNTRACKED)))
}

fn exhausted() -> u32 {
    if !EXHAUSTED_REPORTED.swap(true, Relaxed) {
        eprintln!(
            "lockgraph: all 2^31 - 2 lock ids are used; locks used from now on are not checked"
        );
    }
    UNTRACKED
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
    fn fresh_ids_grow() {
        let (a, b) = (LazyId::new(), LazyId::new());
        assert!(a.get() < b.get());
    }

    #[test]
    fn every_id_knows_the_thread_that_handed_it_out() {
        // Enough ids on each thread to span several blocks, interleaved.
        let take = |n: usize| {
            let ids: Vec<LockId> = (0..n).map(|_| LazyId::new().get()).collect();
            (this_thread(), ids)
        };
        let (here, mine) = take(100);
        let (there, theirs) = std::thread::spawn(move || take(300)).join().unwrap();
        let (here_again, more) = take(5000);
        assert_eq!(here, here_again);
        assert_ne!(here, there);
        for id in mine.iter().chain(&more) {
            assert_eq!(owner(*id), here, "{id:?}");
        }
        for id in &theirs {
            assert_eq!(owner(*id), there, "{id:?}");
        }
        let all: std::collections::HashSet<LockId> =
            mine.iter().chain(&theirs).chain(&more).copied().collect();
        assert_eq!(all.len(), 5400, "ids are unique");
    }

    #[test]
    fn a_thread_taking_blocks_alone_keeps_one_entry_per_run_of_them() {
        let (thread, ids) = std::thread::spawn(|| {
            // Blocks of 16, 32, ..., 4096, then three more of 4096: 12 blocks.
            let ids: Vec<LockId> = (0..20_000).map(|_| LazyId::new().get()).collect();
            (this_thread(), ids)
        })
        .join()
        .unwrap();
        let entries = OWNERS.read().iter().filter(|e| e.1 == thread).count();
        // One entry per run of blocks no other thread's block came between
        // (other tests take blocks meanwhile, rarely at the same moment).
        assert!(
            (1..12).contains(&entries),
            "{entries} entries for 12 blocks"
        );
        for id in ids.iter().step_by(97) {
            assert_eq!(owner(*id), thread, "{id:?}");
        }
    }
}
