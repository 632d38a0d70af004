//! Lock identities: [`LockId`] and the lazily assigned id stored in every lock.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

/// The identity of one lock: a process-wide counter, never reused.
///
/// Ids are assigned lazily, at a lock's first acquisition or first call to its
/// `id()` method, so that `new` can stay `const` and locks can live in `static`s.
/// They therefore follow first use, not creation. Because an id is never given
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

/// Set in a lock's id word once the lock may have a node in the lock-order graph,
/// so that dropping a lock that never had an edge never takes the graph lock.
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

    /// The id if one was assigned (a lock never used has none).
    #[inline]
    pub(crate) fn assigned(&self) -> Option<LockId> {
        match self.0.load(Relaxed) & !IN_GRAPH {
            0 => None,
            id => Some(LockId(id)),
        }
    }

    #[cold]
    fn assign(&self) -> LockId {
        let fresh = next_id();
        match self.0.compare_exchange(0, fresh, Relaxed, Relaxed) {
            Ok(_) => LockId(fresh),
            // Another thread assigned one first; ours is simply never used.
            Err(current) => LockId(current & !IN_GRAPH),
        }
    }

    /// Records that the lock may have a node in the graph.
    #[inline]
    pub(crate) fn mark_in_graph(&self) {
        self.0.fetch_or(IN_GRAPH, Relaxed);
    }

    /// Whether the lock may have a node in the graph.
    #[inline]
    pub(crate) fn in_graph(&self) -> bool {
        self.0.load(Relaxed) & IN_GRAPH != 0
    }
}

fn next_id() -> u32 {
    let taken = NEXT_ID.fetch_update(Relaxed, Relaxed, |n| (n < UNTRACKED).then_some(n + 1));
    taken.unwrap_or_else(|_| {
        if !EXHAUSTED_REPORTED.swap(true, Relaxed) {
            eprintln!(
                "lockgraph: all 2^31 - 2 lock ids are used; locks used from now on are not checked"
            );
        }
        UNTRACKED
    })
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
}
