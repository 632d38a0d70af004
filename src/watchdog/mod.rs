//! The watchdog: actual deadlocks and long waits, found by the blocked
//! threads themselves (no helper thread).
//!
//! The lock-order graph reports *potential* deadlocks; some real ones still
//! happen (under `Warn` or `Ignore`, or when a lock is held far too long). A
//! blocking acquisition that cannot proceed at once waits on the raw lock one
//! [`set_deadlock_check`](crate::set_deadlock_check) interval at a time (the
//! acquisition pipeline's last step, `acquire::take_raw`) and, at each
//! timeout, checks the wait-for graph of the blocked threads for a cycle
//! through itself ([`Violation::Deadlock`](crate::Violation::Deadlock)) and
//! its own wait against the [`set_long_wait`](crate::set_long_wait) threshold
//! ([`Violation::LongWait`](crate::Violation::LongWait)).
//!
//! This module is only the watched wait: [`Watch`] (a published wait and its
//! checks), the registry of threads and their published waits and mirrored
//! held sets (`registry`), and the search for a wait-for cycle (`cycle`).
//!
//! Condition-variable waits and timed acquisitions (`try_lock_for`, ...) are
//! never watched: they are not lock waits, or cannot last forever.

mod cycle;
pub(crate) mod registry;
mod watch;

pub(crate) use watch::{Watch, first_interval};
