//! Lock-order programs for property tests and fuzzing (feature `proptest`).
//!
//! A [`Program`] is a few threads, each a sequence of [`Op`]s on named locks
//! (mutexes, rwlocks, reentrant mutexes, and `stdsync`'s mutexes and
//! rwlocks), taken one by one or in sets mixing kinds and readers
//! ([`Op::LockAll`], [`Op::LockSet`], [`Op::TryLockAll`]). [`plan`] runs it in a naive
//! reference [`Model`] of lockgraph's rules and says which violations each
//! step must report; [`run`] runs it on real lockgraph locks, one step at a
//! time, and collects what lockgraph actually reported; [`check`] compares the
//! two. The [`programs`] strategies generate programs for proptest.
//!
//! # Examples
//!
//! ```
//! use lockgraph::proptest::{check, LockKind, Op, Program};
//!
//! let inversion = Program {
//!     kinds: vec![LockKind::Mutex; 2],
//!     classes: vec![],
//!     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(1), Op::Lock(0)]],
//!     turns: vec![],
//! };
//! let reports = check(&inversion).unwrap();
//! assert_eq!(reports.len(), 1);
//! assert!(reports[0].report.starts_with("lockgraph: potential deadlock"));
//! ```

mod bytes;
mod check;
mod classes;
mod model;
mod op;
mod run;
mod strategy;
mod table;

pub use check::{check, check_graph};
pub use classes::ClassEdge;
pub use model::{Model, Outcome, Verdict, plan};
pub use op::{LockKind, Op, Program, Step};
pub use run::{LOCK_ALL_MAX, LiveLocks, Observed, run, run_checked};
pub use strategy::{Planted, acquisition_programs, consistent_programs, cyclic_programs, programs};
