//! The queue of a store's dropped sinks: locks that were only ever the
//! target of edges, forgotten lazily (their edges lie on no cycle).

use std::sync::atomic::{
    AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};

use crate::id::LockId;

/// How many dropped sinks a store queues before its owner takes the lock to
/// forget them all at once (or a publication or a full graph does).
pub(super) const DEAD: usize = 64;

/// The ids of dropped sinks, queued by the store's owner without the store's
/// lock and taken out under it: one producer (the owner), one consumer at a
/// time (whoever holds the lock). Plain loads and stores on both sides.
pub(super) struct DeadQueue {
    ids: [AtomicU64; DEAD],
    /// Written only by the owner: the count of ids ever queued.
    head: AtomicU32,
    /// Written only under the store's lock: the count of ids ever taken out.
    tail: AtomicU32,
}

impl DeadQueue {
    pub(super) fn new() -> Self {
        DeadQueue {
            ids: std::array::from_fn(|_| AtomicU64::new(0)),
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
        }
    }

    /// Whether nothing is queued (a hint, unless the store's lock is held
    /// and the caller is the owner).
    pub(super) fn is_empty(&self) -> bool {
        self.head.load(Relaxed) == self.tail.load(Relaxed)
    }

    /// Queues `id` (the owner only); false if the queue is full.
    pub(super) fn push(&self, id: LockId) -> bool {
        let head = self.head.load(Relaxed);
        // Acquire: the consumer has read the slots it took out before we reuse them.
        if head.wrapping_sub(self.tail.load(Acquire)) as usize >= DEAD {
            return false;
        }
        self.ids[head as usize % DEAD].store(id.as_u64(), Relaxed);
        // Release: a consumer that sees the new head sees the slot.
        self.head.store(head.wrapping_add(1), Release);
        true
    }

    /// Takes out every queued id into `out` (call with the store's lock
    /// held); returns how many there were.
    pub(super) fn take(&self, out: &mut [u64; DEAD]) -> usize {
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
