//! Lock-order programs for property tests and fuzzing (feature `proptest`).
//!
//! A [`Program`] is a few threads, each a sequence of [`Op`]s on locks
//! (mutexes, rwlocks, reentrant mutexes, and `stdsync`'s mutexes and
//! rwlocks) of a few [classes](crate::LockClass), taken one by one or in sets
//! mixing kinds and readers ([`Op::LockAll`], [`Op::LockSet`],
//! [`Op::TryLockAll`]). [`plan`] runs it in a naive reference [`Model`] of
//! lockgraph's rules and says which violations each step must report; [`run`]
//! runs it on real lockgraph locks, one step at a time, and collects what
//! lockgraph actually reported; [`check`] compares the two. The [`programs`]
//! strategies generate programs for proptest.
//!
//! The model covers instance cycles with their gate locks and lockdep's
//! strong rule for recursive reads, self-deadlocks, recursive reads, the
//! ascending rule, and lock classes: the class edges every instance edge
//! makes (none within a class or among a set's members), their gates (lock
//! instances) and kinds, and which class cycles are reported
//! ([`Verdict::ClassCycle`]: once per set of classes, not for an edge that
//! closed an instance cycle). Each run makes its classes anew, so one run's
//! class edges never meet another's.
//!
//! # Examples
//!
//! Two threads in opposite orders, on locks of two classes: one inversion,
//! reported as a cycle of locks, not also as one of classes.
//!
//! ```
//! use lockgraph::proptest::{check, LockKind, Op, Program};
//!
//! let inversion = Program {
//!     kinds: vec![LockKind::Mutex; 2],
//!     classes: vec![0, 1],
//!     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(1), Op::Lock(0)]],
//!     turns: vec![],
//! };
//! let reports = check(&inversion).unwrap();
//! assert_eq!(reports.len(), 1);
//! assert!(reports[0].report.starts_with("lockgraph: potential deadlock (lock order"));
//! ```
//!
//! The same orders on other locks of the same classes: a class inversion.
//!
//! ```
//! use lockgraph::proptest::{check, LockKind, Op, Program, Verdict};
//!
//! let classes = Program {
//!     kinds: vec![LockKind::Mutex; 4],
//!     classes: vec![0, 1, 0, 1],
//!     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(3), Op::Lock(2)]],
//!     turns: vec![],
//! };
//! let reports = check(&classes).unwrap();
//! assert!(matches!(reports[..], [ref only] if matches!(
//!     only.verdict,
//!     Verdict::ClassCycle { acquiring: 2, holding: 3, .. }
//! )));
//! assert!(reports[0].report.contains("lock class inversion of 2 classes"));
//! ```

mod bytes;
mod check;
mod classes;
mod model;
mod op;
mod run;
mod strategy;
mod table;
mod walk;

pub use check::{check, check_graph};
pub use classes::ClassEdge;
pub use model::{Model, Outcome, Verdict, plan};
pub use op::{LockKind, Op, Program, Step};
pub use run::{LOCK_ALL_MAX, LiveLocks, Observed, run, run_checked};
pub use strategy::{Planted, acquisition_programs, consistent_programs, cyclic_programs, programs};
