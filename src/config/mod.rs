//! Every setting in one place, and the environment read once.
//!
//! | setting | API | environment | kept in |
//! |---|---|---|---|
//! | policy, per kind | [`set_policy`], [`set_kind_policy`], [`clear_kind_policy`], [`policy`] | `LOCKGRAPH` (`warn,deadlock=panic`) | [`policy`](mod@policy) |
//! | checking mode | [`set_mode`], [`mode`] | — | the `ASCENDING` flag |
//! | deadlock check interval | [`set_deadlock_check`] | `LOCKGRAPH_DEADLOCK_CHECK` (`250ms`, `off`) | [`watchdog`] |
//! | long-wait threshold | [`set_long_wait`] | `LOCKGRAPH_LONG_WAIT` (`30s`, `off`) | [`watchdog`] |
//! | recording (feature `record`) | `record_to` | `LOCKGRAPH_RECORD` (a directory) | `record` |
//!
//! Every acquisition reads one word first, the [`flags`]: each bit is a reason
//! to leave the fast path (bookkeeping off, environment not read yet,
//! ascending mode, held sets mirrored for the watchdog). The settings above
//! keep those bits up to date.
//!
//! **The environment is read once per process**, at the first acquisition or
//! the first call of any function above, whichever comes first. "Not read yet"
//! is one state: the [`flags::UNREAD`] bit, set from the start and cleared
//! when [`read_env`] has applied both variables. A value set through the API
//! overrides the environment, because the API reads the environment first.
//! A value that cannot be parsed is reported once on stderr, and the default
//! kept.

mod env;
pub(crate) mod flags;
pub(crate) mod policy;
pub(crate) mod watchdog;

use std::sync::Once;

pub use policy::{
    ENV_POLICY, Mode, Policy, clear_kind_policy, mode, policy, set_kind_policy, set_mode,
    set_policy,
};
pub use watchdog::{ENV_DEADLOCK_CHECK, ENV_LONG_WAIT, set_deadlock_check, set_long_wait};

/// Serialises the first read: a thread that finds [`flags::UNREAD`] set waits
/// here until another thread has finished applying the environment.
static READING: Once = Once::new();

/// Reads the environment now if it has not been read yet (one relaxed load
/// when it has).
#[inline]
pub(crate) fn ensure_read() {
    if flags::get() & flags::UNREAD != 0 {
        read_env();
    }
}

/// Applies `LOCKGRAPH`, `LOCKGRAPH_DEADLOCK_CHECK` and `LOCKGRAPH_LONG_WAIT`,
/// once per process, then clears [`flags::UNREAD`]. Nothing called from here
/// may call [`ensure_read`] (it would wait for itself).
#[cold]
#[inline(never)]
pub(crate) fn read_env() {
    READING.call_once(|| {
        policy::apply_env(std::env::var(ENV_POLICY).ok().as_deref());
        watchdog::apply_env(
            std::env::var(ENV_DEADLOCK_CHECK).ok().as_deref(),
            std::env::var(ENV_LONG_WAIT).ok().as_deref(),
        );
        record_env();
        flags::set(flags::UNREAD, false);
    });
}

/// Applies `LOCKGRAPH_RECORD` (see [`crate::record`]).
#[cfg(feature = "record")]
fn record_env() {
    crate::record::apply_env(std::env::var_os(crate::record::ENV_RECORD));
}

/// Says once that `LOCKGRAPH_RECORD` is not applied without the `record` feature.
#[cfg(not(feature = "record"))]
fn record_env() {
    if std::env::var_os("LOCKGRAPH_RECORD").is_some() {
        crate::report::deliver::print_whole(
            "lockgraph: LOCKGRAPH_RECORD is set, but lockgraph was built without its `record` feature; not recording\n"
                .to_string(),
        );
    }
}

/// Whether any bookkeeping is needed at all (the environment read first, so
/// that `LOCKGRAPH=off` skips all bookkeeping from the start).
#[inline]
pub(crate) fn tracking() -> bool {
    flags::current() & flags::OFF == 0
}

pub(crate) use policy::{ascending, class_checks, graph_checks};
#[cfg(feature = "proptest")]
pub(crate) use policy::{kind_setting, restore_kind_setting};
