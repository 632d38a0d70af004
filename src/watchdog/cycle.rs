//! The wait-for graph of blocked threads, and the search for a cycle through
//! one of them. Pure: it works on the published waits it is given.
//!
//! Thread `W` waits for thread `T` when `T` holds the lock `W` waits for in a
//! mode that excludes `W`'s, or when `W` wants to read and `T` is a writer
//! queued on the same lock (parking_lot lets no new reader pass a queued
//! writer; recursive reads are the exception). Only blocked threads can be
//! part of a deadlock, and a blocked thread's held set cannot change, so the
//! holders of interest are all in the published waits.

use std::sync::Arc;

use super::registry::Waiting;
use crate::held::Access;

/// The cycle of waits through `start`, beginning with `start`, each waiting
/// for the next; `None` if `start` is in no cycle.
pub(crate) fn through(waits: &[Arc<Waiting>], start: u64) -> Option<Vec<Arc<Waiting>>> {
    let first = waits.iter().position(|w| w.serial == start)?;
    let mut path = vec![first];
    let mut visited = vec![false; waits.len()];
    visited[first] = true;
    search(waits, &mut path, &mut visited)
        .then(|| path.iter().map(|&i| Arc::clone(&waits[i])).collect())
}

/// Depth-first search from the end of `path` back to its start. Slow path:
/// runs only in a thread blocked for a whole check interval.
fn search(waits: &[Arc<Waiting>], path: &mut Vec<usize>, visited: &mut [bool]) -> bool {
    let last = path[path.len() - 1];
    for next in (0..waits.len()).filter(|&n| waits_for(&waits[last], &waits[n])) {
        if next == path[0] {
            return true;
        }
        if !visited[next] {
            visited[next] = true;
            path.push(next);
            if search(waits, path, visited) {
                return true;
            }
            path.pop();
        }
    }
    false
}

/// Whether `waiter` cannot go on until `other` does.
fn waits_for(waiter: &Waiting, other: &Waiting) -> bool {
    if waiter.serial == other.serial {
        return false;
    }
    let lock = waiter.blocked.waiting_for.id;
    let wanted = waiter.blocked.access;
    let holds = other.blocked.holds.iter().filter(|h| h.lock.id == lock);
    let held_against = holds.into_iter().any(|h| excludes(h.access, wanted));
    let queued_writer = other.blocked.waiting_for.id == lock
        && other.blocked.access == Access::Exclusive
        && matches!(wanted, Access::Read | Access::Upgradable);
    held_against || queued_writer
}

/// Whether a lock held as `held` keeps out an acquisition as `wanted`.
fn excludes(held: Access, wanted: Access) -> bool {
    let shared = |a| matches!(a, Access::Read | Access::ReadRecursive);
    match wanted {
        Access::Read | Access::ReadRecursive => !shared(held) && held != Access::Upgradable,
        Access::Upgradable => !shared(held),
        Access::Exclusive | Access::Reentrant => true,
    }
}

#[cfg(test)]
mod tests {
    use std::panic::Location;
    use std::time::Instant;

    use super::*;
    use crate::id::{LazyId, LockId};
    use crate::meta::Origin;
    use crate::report::{BlockedThread, HeldRef, LockRef};

    fn lock_ref(id: LockId) -> LockRef {
        LockRef::new(id, Origin::named("test"))
    }

    fn wait(serial: u64, on: (LockId, Access), holds: &[(LockId, Access)]) -> Arc<Waiting> {
        let holds = holds.iter().map(|&(id, access)| HeldRef {
            lock: lock_ref(id),
            access,
            site: Location::caller(),
        });
        Arc::new(Waiting {
            serial,
            started: Instant::now(),
            blocked: BlockedThread {
                thread: format!("t{serial}").into(),
                waiting_for: lock_ref(on.0),
                access: on.1,
                since: Location::caller(),
                holds: holds.collect(),
                backtrace: None,
            },
        })
    }

    fn ids<const N: usize>() -> [LockId; N] {
        std::array::from_fn(|_| LazyId::new().get())
    }

    fn serials(cycle: Option<Vec<Arc<Waiting>>>) -> Option<Vec<u64>> {
        cycle.map(|c| c.iter().map(|w| w.serial).collect())
    }

    #[test]
    fn three_threads_in_a_ring_are_found_in_order() {
        use Access::Exclusive as X;
        let [a, b, c] = ids();
        let waits = [
            wait(1, (b, X), &[(a, X)]),
            wait(2, (c, X), &[(b, X)]),
            wait(3, (a, X), &[(c, X)]),
        ];
        assert_eq!(serials(through(&waits, 2)), Some(vec![2, 3, 1]));
    }

    #[test]
    fn a_chain_without_a_way_back_is_no_cycle() {
        use Access::Exclusive as X;
        let [a, b, c] = ids();
        let waits = [wait(1, (b, X), &[(a, X)]), wait(2, (c, X), &[(b, X)])];
        assert_eq!(serials(through(&waits, 1)), None);
        assert_eq!(serials(through(&waits, 9)), None);
    }

    #[test]
    fn readers_block_a_writer_but_not_each_other() {
        use Access::{Exclusive as X, Read as R};
        let [a, b] = ids();
        let writer_cycle = [wait(1, (a, X), &[(b, X)]), wait(2, (b, R), &[(a, R)])];
        assert_eq!(serials(through(&writer_cycle, 1)), Some(vec![1, 2]));
        let readers = [wait(1, (a, R), &[(b, X)]), wait(2, (b, R), &[(a, R)])];
        assert_eq!(serials(through(&readers, 1)), None);
    }

    #[test]
    fn a_reader_waits_behind_a_queued_writer() {
        use Access::{Exclusive as X, Read as R, ReadRecursive as RR};
        let [a, b] = ids();
        // 1 reads a and wants b; 2 holds b and wants to read a, behind writer 3.
        let waits = [
            wait(1, (b, X), &[(a, R)]),
            wait(2, (a, R), &[(b, X)]),
            wait(3, (a, X), &[]),
        ];
        assert_eq!(serials(through(&waits, 2)), Some(vec![2, 3, 1]));
        let recursive = [
            waits[0].clone(),
            wait(2, (a, RR), &[(b, X)]),
            waits[2].clone(),
        ];
        assert_eq!(serials(through(&recursive, 2)), None);
    }
}
