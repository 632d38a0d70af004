//! Which releases belong to a report's unwinding: a `stdsync` guard released
//! by it does not poison its lock.
//!
//! **Why.** A report under `Panic` is the failure to show. If the thread holds
//! a `stdsync` guard when it panics, unwinding drops the guard, and under
//! std's rule the lock would be poisoned; any code that then takes it with
//! `.lock().unwrap()` (a destructor running in the same unwinding, typically)
//! would panic again, and a panic during a panic aborts the process: the
//! report would turn into an abort in code that was right about its own
//! locks.
//!
//! **The rule.** `stdsync` keeps its own poison flag (see
//! `crate::stdsync::poisoning`), which an exclusive guard sets when it is
//! released by a panic that began after it was taken, unless
//! [`unwound_by_report`] says the release is a report's:
//!
//! - When a report's panic is raised, every entry of the thread's held set is
//!   marked [`reported`](PoisonMarks::reported) (which sends its release down
//!   the slow path: the fast path's compare fails on the mark).
//! - A marked entry released while the thread panics is released by that
//!   report's unwinding: it does not poison.
//! - A marked entry released while the thread is *not* panicking means the
//!   report's panic was caught with the lock still held: nothing the thread
//!   holds is unwound by it any more, so every entry loses its mark
//!   ([`released`]).
//!
//! A user's own panic is never marked: it poisons as std's. A mark can be
//! wrong only if a report's panic was caught inside a guard's scope and
//! another panic then unwound through that guard before any marked release
//! was seen outside a panic.

use super::context;
use crate::held::PoisonMarks;
use crate::meta::LockMeta;

/// Whether `token`'s guard, released now by a panic, is released by a
/// lockgraph report's unwinding (its entry is still in the held set).
#[cold]
pub(crate) fn unwound_by_report(meta: Option<&LockMeta>) -> bool {
    let Some(id) = meta.and_then(|meta| meta.lazy_id().assigned()) else {
        return false;
    };
    context::with(|state| state.marks(id).is_some_and(|marks| marks.reported)).unwrap_or(false)
}

/// An entry with `marks` has left the held set. Returns whether every entry
/// of the thread should lose its `reported` mark: the report's panic is over.
pub(super) fn released(marks: PoisonMarks) -> bool {
    marks.reported && !std::thread::panicking()
}
