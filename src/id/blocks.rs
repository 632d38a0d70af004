//! Per-thread blocks of ids, and which thread handed out each id.
//!
//! A thread hands out ids from its own block of consecutive numbers (16 at
//! first, doubling up to 4,096), taken from one process-wide counter. The
//! table of blocks (first id, thread number) answers "which thread handed out
//! this id" (its *owner*), which decides whether a lock is private to a thread.
//! A block right after the same thread's previous one extends that entry, so a
//! thread churning through locks alone keeps one entry.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use parking_lot::RwLock as RawRwLock;

use super::{LIMIT, LockId, UNTRACKED, exhausted};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A thread's block of ids: `next..end` are still free.
#[derive(Clone, Copy)]
struct Block {
    first: u64,
    next: u64,
    end: u64,
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
static OWNERS: RawRwLock<Vec<(u64, u32)>> = RawRwLock::new(Vec::new());
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
pub(crate) fn handed_out_below() -> u64 {
    NEXT_ID.load(Relaxed)
}

thread_local! {
    /// The block [`owner`] found last: (first id, end, thread).
    static LAST_OWNER: Cell<(u64, u64, u32)> = const { Cell::new((0, 0, 0)) };
    /// This thread's copy of the first entries of [`OWNERS`] (they never
    /// change, only grow), and the end of the ids they cover: most lookups
    /// then take no lock.
    static OWNERS_SEEN: RefCell<(Vec<(u64, u32)>, u64)> = const { RefCell::new((Vec::new(), 0)) };
}

/// The most blocks a thread copies (beyond, lookups read [`OWNERS`] itself).
const COPIED_BLOCKS: usize = 1 << 12;

/// The thread of the block that holds `id` in `owners` (sorted by first id,
/// every block below `covered` listed), remembered in [`LAST_OWNER`] with the
/// block's extent: the next lookup is most often in it again.
fn owner_in(owners: &[(u64, u32)], id: u64, covered: u64) -> Option<u32> {
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

/// A fresh id: the next one of this thread's block. When the thread takes a
/// new block for it, `on_new_block` is told its first id before the id is
/// returned (so before any other thread can see it).
#[inline]
pub(super) fn next_id(on_new_block: impl FnOnce(u64)) -> u64 {
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
        _ => next_id_from_new_block(on_new_block),
    }
}

/// [`next_id`] when this thread's block is used up (or it has none yet).
#[cold]
#[inline(never)]
fn next_id_from_new_block(on_new_block: impl FnOnce(u64)) -> u64 {
    let from_block = BLOCK.try_with(|block| {
        let mut current = block.get();
        let mut new_block = None;
        if current.next == current.end {
            if current.thread == 0 {
                current.thread = NEXT_THREAD.fetch_add(1, Relaxed);
            }
            // Taken and recorded under one lock, so that `OWNERS` stays sorted.
            let mut owners = OWNERS.write();
            let (first, end) = take_block(u64::from(current.size))?;
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
            new_block = Some(first);
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
        Some((current.next, new_block))
    });
    match from_block {
        Ok(Some((id, new_block))) => {
            new_block.map(on_new_block);
            id
        }
        // Out of ids: one untracked id for all.
        Ok(None) => exhausted(),
        // Never: the block has no destructor, so it is there during teardown too.
        Err(_) => UNTRACKED,
    }
}

/// `first..end`: the next `size` free ids (fewer near the end of the id space).
fn take_block(size: u64) -> Option<(u64, u64)> {
    let grow = |n: u64| (n < LIMIT).then(|| n.saturating_add(size).min(LIMIT));
    let first = NEXT_ID.fetch_update(Relaxed, Relaxed, grow).ok()?;
    Some((first, first.saturating_add(size).min(LIMIT)))
}

/// Moves the next free id up to `next` (at most [`LIMIT`]; never down, so no
/// id is handed out twice), and makes this thread take a new block for its
/// next id: a test's locks then get ids from `next` on, without a run of
/// billions of locks first. Returns the next free id.
pub(crate) fn skip_to(next: u64) -> u64 {
    let next = NEXT_ID
        .fetch_max(next.min(LIMIT), Relaxed)
        .max(next.min(LIMIT));
    // The rest of this thread's block is never handed out.
    let _ = BLOCK.try_with(|block| {
        let current = block.get();
        block.set(Block {
            next: current.end,
            ..current
        });
    });
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;
    use crate::id::LockId;

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
