//! One record per thread that takes lockgraph locks, in a process-wide list.
//!
//! A record has two parts. The *mirror* copies the thread's held set (lock id,
//! mode, site) into atomics that only the owning thread writes, with relaxed
//! stores to its own cache lines: no lock and no shared write on the fast path.
//! It is kept only while long waits are on (each time they are switched on
//! starts a new generation, and a mirror of an older one is not believed).
//! Other threads read it, racily, only to name the holders of a lock in a
//! long-wait report. The *wait* is published by a thread only after it has
//! been blocked for a whole check interval: what it waits for and a copy of
//! what it holds (which cannot change while it is blocked). The deadlock check
//! reads only published waits.
//!
//! The list holds weak references: a record goes when its thread's state is
//! torn down, and the dead entries are swept when a thread registers.

use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use parking_lot::Mutex as RawMutex;

use crate::held::{Access, HeldLock, Slot};
use crate::id::LockId;
use crate::report::{BlockedThread, ThreadLabel};
use crate::trusted::AtomicSite;

/// Held locks mirrored per thread; deeper nesting is not seen by long-wait reports.
const MIRRORED: usize = 32;

/// Where the encoded access starts in a [`MirrorSlot`]'s word: the id is below
/// (ids are below 2^56, `crate::id::LIMIT`).
const ACCESS_SHIFT: u32 = 56;
const _: () = assert!(crate::id::LIMIT <= 1 << ACCESS_SHIFT);

static THREADS: RawMutex<Vec<Weak<ThreadRecord>>> = RawMutex::new(Vec::new());

/// What the watchdog knows about one thread.
pub(crate) struct ThreadRecord {
    pub(crate) label: ThreadLabel,
    mirror: HeldMirror,
    wait: RawMutex<Option<Arc<Waiting>>>,
}

/// A blocked thread's published wait.
#[derive(Debug)]
pub(crate) struct Waiting {
    /// Unique per wait, process-wide: the same serial seen twice is the same wait.
    pub(crate) serial: u64,
    pub(crate) started: Instant,
    /// The thread, the lock and mode it waits for, where, and what it holds.
    pub(crate) blocked: BlockedThread,
}

/// The owner-written copy of a held set.
#[repr(align(128))]
struct HeldMirror {
    /// The mirror generation the entries belong to.
    generation: AtomicU32,
    len: AtomicUsize,
    slots: [MirrorSlot; MIRRORED],
}

struct MirrorSlot {
    /// The lock id in the low 56 bits (ids are below 2^56), the encoded
    /// [`Access`] above.
    lock: AtomicU64,
    /// Always a `&'static Location<'static>` (or null before the first store).
    site: AtomicSite,
}

impl ThreadRecord {
    /// A record for the current thread, registered in the process-wide list.
    pub(crate) fn register(label: ThreadLabel) -> Arc<ThreadRecord> {
        let record = Arc::new(ThreadRecord {
            label,
            mirror: HeldMirror::new(),
            wait: RawMutex::new(None),
        });
        let mut threads = THREADS.lock();
        threads.retain(|weak| weak.strong_count() > 0);
        threads.push(Arc::downgrade(&record));
        record
    }

    /// Copies `held[from..]` (all of it if the mirror is of an older
    /// generation) into the mirror and sets its length (called by the owning
    /// thread after every change to its held set while mirrors are kept).
    #[inline]
    pub(crate) fn mirror(&self, held: &[Slot], mut from: usize, generation: u32) {
        if self.mirror.generation.load(Ordering::Relaxed) != generation {
            self.mirror.generation.store(generation, Ordering::Relaxed);
            from = 0;
        }
        let len = held.len().min(MIRRORED);
        for (slot, lock) in self.mirror.slots[..len].iter().zip(held).skip(from) {
            slot.store(&lock.get());
        }
        self.mirror.len.store(len, Ordering::Release);
    }

    /// How and where this thread holds `lock`, as its mirror of `generation`
    /// says now (racy).
    pub(crate) fn holding(
        &self,
        lock: LockId,
        generation: u32,
    ) -> Vec<(Access, &'static Location<'static>)> {
        if self.mirror.generation.load(Ordering::Relaxed) != generation {
            return Vec::new();
        }
        let len = self.mirror.len.load(Ordering::Acquire).min(MIRRORED);
        let slots = self.mirror.slots[..len].iter().filter_map(MirrorSlot::load);
        slots
            .filter(|&(id, _, _)| id == lock.as_u64())
            .map(|(_, access, site)| (access, site))
            .collect()
    }

    /// Publishes (or with `None` withdraws) this thread's wait.
    pub(crate) fn publish(&self, wait: Option<Arc<Waiting>>) {
        *self.wait.lock() = wait;
    }

    fn waiting(&self) -> Option<Arc<Waiting>> {
        self.wait.lock().clone()
    }
}

/// Every live thread record.
pub(crate) fn threads() -> Vec<Arc<ThreadRecord>> {
    THREADS.lock().iter().filter_map(Weak::upgrade).collect()
}

/// Every published wait.
pub(crate) fn waits() -> Vec<Arc<Waiting>> {
    threads().iter().filter_map(|t| t.waiting()).collect()
}

/// A new wait serial.
pub(crate) fn next_serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl HeldMirror {
    fn new() -> Self {
        HeldMirror {
            generation: AtomicU32::new(0),
            len: AtomicUsize::new(0),
            slots: std::array::from_fn(|_| MirrorSlot {
                lock: AtomicU64::new(0),
                site: AtomicSite::empty(),
            }),
        }
    }
}

impl MirrorSlot {
    #[inline]
    fn store(&self, held: &HeldLock) {
        let packed = held.id.as_u64() | (u64::from(encode(held.access)) << ACCESS_SHIFT);
        self.lock.store(packed, Ordering::Relaxed);
        self.site.store(held.site, Ordering::Relaxed);
    }

    fn load(&self) -> Option<(u64, Access, &'static Location<'static>)> {
        let packed = self.lock.load(Ordering::Relaxed);
        let access = decode((packed >> ACCESS_SHIFT) as u8)?;
        let site = self.site.load(Ordering::Relaxed)?;
        Some((packed & ((1 << ACCESS_SHIFT) - 1), access, site))
    }
}

fn encode(access: Access) -> u8 {
    match access {
        Access::Exclusive => 1,
        Access::Read => 2,
        Access::ReadRecursive => 3,
        Access::Upgradable => 4,
        Access::Reentrant => 5,
    }
}

fn decode(raw: u8) -> Option<Access> {
    Some(match raw {
        1 => Access::Exclusive,
        2 => Access::Read,
        3 => Access::ReadRecursive,
        4 => Access::Upgradable,
        5 => Access::Reentrant,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Origin;

    #[test]
    fn a_mirror_slot_keeps_ids_from_all_over_the_id_space() {
        let slot = MirrorSlot {
            lock: AtomicU64::new(0),
            site: AtomicSite::empty(),
        };
        assert!(slot.load().is_none(), "nothing stored yet");
        let ids = [1, (1 << 32) + 1, (1 << 40) + 3, crate::id::LIMIT - 1];
        let accesses = [Access::Exclusive, Access::Read, Access::Reentrant];
        for (id, access) in ids.into_iter().flat_map(|id| accesses.map(|a| (id, a))) {
            slot.store(&HeldLock {
                id: LockId::from_u64(id),
                origin: Origin::named("mirrored"),
                access,
                site: Location::caller(),
                source: true,
                poison: crate::held::PoisonMarks::NONE,
                chain: 0,
            });
            let (read, read_access, _) = slot.load().expect("stored");
            assert_eq!((read, read_access), (id, access));
        }
    }
}
