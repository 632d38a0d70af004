//! Poison left by a report's unwinding: a `stdsync` lock a report's panic
//! unwinds through is poisoned by std's guard, and is then taken as if it were
//! not.
//!
//! **Why.** A report under `Panic` is the failure to show. If the thread holds
//! a `stdsync` guard when it panics, unwinding drops the guard and std's rule
//! poisons the lock; any code that then takes it with `.lock().unwrap()` (a
//! destructor running in the same unwinding, typically) panics again, and a
//! panic during a panic aborts the process: the report turns into an abort in
//! code that was right about its own locks.
//!
//! **The rule.** Only poison that the report's unwinding caused is undone:
//!
//! - When a report's panic is raised, every entry of the thread's held set is
//!   marked [`reported`](PoisonMarks::reported) (which sends its release down
//!   the slow path: the fast path's compare fails on the mark).
//! - A marked entry released while the thread panics, held exclusively (the
//!   only way std poisons), and not taken on an already poisoned lock
//!   ([`taken_poisoned`](PoisonMarks::taken_poisoned)), is a lock whose poison
//!   will be the report's: its id goes into [`MARKED`] now, *before* std's
//!   guard poisons and unlocks it. So there is no moment in which another
//!   thread could take the lock, poisoned, and not find the mark.
//! - Whoever then finds the lock poisoned (`lock`, `read`, `write`, `try_*`,
//!   `is_poisoned`, `get_mut`, `into_inner`, a condvar wait) asks [`forgive`]:
//!   a marked lock's poison is cleared and the mark removed, under one lock;
//!   the acquisition returns `Ok`.
//! - A marked entry released while the thread is *not* panicking means the
//!   report's panic was caught with the lock still held: nothing the thread
//!   holds is unwound by it any more, so every entry loses its mark.
//!
//! A user's own panic is never marked: it poisons as std's. A mark can be
//! wrong only if a report's panic was caught inside a guard's scope and
//! another panic then unwound through that guard before any marked release
//! was seen outside a panic, or if a guard taken while the thread panicked
//! (std does not poison on its release) outlived that panic and was then
//! unwound by a report.
//!
//! Marks of locks that are never poisoned (the crate root's locks: the
//! release does not know the lock's API) are removed when the lock is dropped.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

use parking_lot::Mutex as RawMutex;

use crate::held::{Access, PoisonMarks};
use crate::id::LockId;

/// The locks whose poison comes from a report's unwinding (few: the locks
/// held exclusively when a report panicked, until taken or dropped).
static MARKED: RawMutex<Vec<LockId>> = RawMutex::new(Vec::new());
/// How many ids are in [`MARKED`], for a test without its lock.
static COUNT: AtomicUsize = AtomicUsize::new(0);
/// Whether a lock was ever marked: until then, poison is std's alone and
/// [`forgive`] answers without a lock.
static EVER: AtomicBool = AtomicBool::new(false);

/// A held entry is released while its thread may unwind from a report (its
/// [`reported`](PoisonMarks::reported) or [`forgiven`](PoisonMarks::forgiven)
/// mark is set); the raw lock is still held. Returns whether every entry of
/// the thread should lose its `reported` mark (the report's panic is over).
pub(super) fn released(id: LockId, access: Access, marks: PoisonMarks) -> bool {
    let panicking = std::thread::panicking();
    if marks.reported && !panicking {
        return true;
    }
    if !panicking || access != Access::Exclusive {
        return false; // no poison: a read, or a release outside any panic
    }
    if marks.reported && !marks.taken_poisoned {
        mark(id); // std's guard, dropped next, poisons it: the report's doing
    } else if marks.forgiven && !marks.reported {
        unmark(id); // a panic of the holder's own: the poison is its now
    }
    false
}

fn mark(id: LockId) {
    let mut marked = MARKED.lock();
    if !marked.contains(&id) {
        marked.push(id);
    }
    COUNT.store(marked.len(), Relaxed);
    EVER.store(true, Relaxed);
}

/// Removes the mark of `id`, if it has one; returns whether it had.
fn unmark(id: LockId) -> bool {
    let mut marked = MARKED.lock();
    let found = marked.iter().position(|&m| m == id);
    if let Some(at) = found {
        marked.swap_remove(at);
        COUNT.store(marked.len(), Relaxed);
    }
    found.is_some()
}

/// A lock is dropped: its mark, if any, goes with it (one load when there
/// are none).
#[inline]
pub(super) fn dropped(id: LockId) {
    if COUNT.load(Relaxed) != 0 {
        unmark(id);
    }
}

/// The lock `id` (`None`: it never had one) was found poisoned by a caller
/// that holds it or looks at it; `poisoned_now` reads the flag again, `clear`
/// clears it (`None`: the caller cannot, a condvar wait). Returns whether the
/// poison is to be treated as absent: it was left by a report's unwinding
/// (then it is cleared, and the mark removed, unless `clear` is `None`), or
/// it has been cleared since the caller saw it (by a reader of the same lock
/// that found the mark first, or by `clear_poison`).
///
/// Nothing can poison the lock again while the caller holds it (std poisons
/// only on an exclusive holder's release), so what `poisoned_now` says under
/// [`MARKED`]'s lock holds until the caller lets the lock go.
#[cold]
pub(crate) fn forgive(
    id: Option<LockId>,
    poisoned_now: impl FnOnce() -> bool,
    clear: Option<&dyn Fn()>,
) -> bool {
    // Acquiring the lock synchronised with the release that marked it.
    if !EVER.load(Relaxed) {
        return false;
    }
    let mut marked = MARKED.lock();
    let found = id.and_then(|id| marked.iter().position(|&m| m == id));
    match (found, clear) {
        (Some(at), Some(clear)) => {
            clear();
            marked.swap_remove(at);
            COUNT.store(marked.len(), Relaxed);
            true
        }
        (Some(_), None) => true, // forgiven, still set: the next taker clears it
        (None, _) => !poisoned_now(),
    }
}

/// `clear_poison` was called: the lock's poison, whoever caused it, is gone.
pub(crate) fn cleared(id: Option<LockId>) {
    if let Some(id) = id
        && EVER.load(Relaxed)
    {
        unmark(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    const NONE: PoisonMarks = PoisonMarks::NONE;
    const REPORTED: PoisonMarks = PoisonMarks {
        reported: true,
        ..NONE
    };

    #[test]
    fn outside_a_panic_a_reported_release_ends_the_reports_unwinding() {
        let id = LazyId::new().get();
        assert!(released(id, Access::Exclusive, REPORTED));
        assert!(!released(id, Access::Exclusive, NONE));
        assert!(!forgive(Some(id), || true, None), "nothing was marked");
    }

    #[test]
    fn only_an_exclusive_release_unwound_by_a_report_marks_the_lock() {
        let (exclusive, read, taken_poisoned) = (
            LazyId::new().get(),
            LazyId::new().get(),
            LazyId::new().get(),
        );
        let unwound = std::panic::catch_unwind(|| {
            struct Release(LockId, Access, PoisonMarks);
            impl Drop for Release {
                fn drop(&mut self) {
                    assert!(!released(self.0, self.1, self.2));
                }
            }
            let _releases = [
                Release(exclusive, Access::Exclusive, REPORTED),
                Release(read, Access::Read, REPORTED),
                Release(
                    taken_poisoned,
                    Access::Exclusive,
                    PoisonMarks {
                        taken_poisoned: true,
                        ..REPORTED
                    },
                ),
            ];
            panic!("the report");
        });
        assert!(unwound.is_err());
        let cleared = std::cell::Cell::new(false);
        let clear = || cleared.set(true);
        assert!(forgive(Some(exclusive), || true, Some(&clear)));
        assert!(cleared.take(), "the report's poison is cleared");
        assert!(!forgive(Some(exclusive), || true, Some(&clear)), "once");
        assert!(
            forgive(Some(exclusive), || false, Some(&clear)),
            "cleared since"
        );
        assert!(!forgive(Some(read), || true, Some(&clear)));
        assert!(!forgive(Some(taken_poisoned), || true, Some(&clear)));
        assert!(!cleared.get());
    }

    #[test]
    fn a_dropped_or_cleared_lock_loses_its_mark() {
        let (dropped_lock, cleared_lock) = (LazyId::new().get(), LazyId::new().get());
        mark(dropped_lock);
        mark(cleared_lock);
        dropped(dropped_lock);
        cleared(Some(cleared_lock));
        assert!(!forgive(Some(dropped_lock), || true, None));
        assert!(!forgive(Some(cleared_lock), || true, None));
    }
}
