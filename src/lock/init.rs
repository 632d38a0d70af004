//! One-time initialisation seen as a lock: the shared rule of every
//! instrumented cell (`OnceCell`, `Lazy`, and std's `OnceLock`, `LazyLock`,
//! `Once` in `stdsync`).
//!
//! Running an initialiser, or waiting for another thread's, is a blocking
//! acquisition of the cell: other threads block on it until the initialiser
//! returns. So it is checked like one (edges from every held lock, a cycle
//! reported before blocking) and the cell stays in the held set while the
//! initialiser runs (the locks it takes get edges from the cell). A thread
//! initialising a cell from its own initialiser is then a
//! [`SelfDeadlock`](crate::Violation::SelfDeadlock) instead of a hang.
//! Callers check "already initialised" first, so a ready cell costs nothing.

use std::panic::Location;

use crate::acquire::{self, LockHeader};
use crate::held::Access;
use crate::meta::{Flavour, LockMeta};

/// Runs `init` (an initialiser, or a wait for one) with the cell held.
#[cold]
pub(crate) fn as_held<R>(
    header: &LockHeader,
    site: &'static Location<'static>,
    init: impl FnOnce() -> R,
) -> R {
    let _token = acquire::before_blocking(header, Access::Exclusive, site, Flavour::Cell);
    init()
}

/// The header of a cell made with `new` at `site`.
pub(crate) const fn created_header(site: &'static Location<'static>) -> LockHeader {
    LockHeader::new(LockMeta::created(site))
}

/// The header of a cell made with `named`.
pub(crate) const fn named_header(name: &'static str) -> LockHeader {
    LockHeader::new(LockMeta::named(name))
}

/// A header for a copy of a cell (`Clone`): a new lock, described as the original.
pub(crate) fn copy_header(header: &LockHeader) -> LockHeader {
    LockHeader::new(LockMeta::with_origin(header.origin()))
}
