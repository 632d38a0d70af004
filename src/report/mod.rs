//! Reports: what lockgraph found, as values and as text, and how they reach you.
//!
//! A report is a [`Violation`]: one problem, with the locks, the threads and
//! the source lines involved. Locks are named by the name given to `named`,
//! else by their creation site; threads by their name, else their `ThreadId`.
//!
//! # The types
//!
//! [`Violation`] is an enum with one variant per kind ([`ViolationKind`],
//! which is what a per-kind policy is set for). Each variant carries a struct:
//!
//! - found at an acquisition, before it blocks: a [`Cycle`] (a potential
//!   deadlock: the acquisition would close a cycle in the lock-order graph), an
//!   [`OrderViolation`] (a breach of the ascending-id rule of
//!   [`lock_all`](crate::lock_all) and [`Mode::Ascending`](crate::Mode::Ascending))
//!   and a [`SelfDeadlock`] (a thread re-taking a lock it holds);
//! - found by the watchdog among waiting threads: a [`Deadlock`] (every
//!   [`BlockedThread`] of a wait-for cycle) and a [`LongWait`];
//! - not a lock-order problem, but something that changes what lockgraph
//!   checks: a [`Notice`] (its [`NoticeKind`]: a lock dropped while its guard
//!   was leaked, the id space used up), `Warn` by default.
//!
//! Their parts: a [`LockRef`] is a lock as a report names it, a [`HeldRef`] a
//! lock some thread holds with where it took it, an [`OrderEdge`] one edge of
//! the lock-order graph with the thread and the line that first made it, and a
//! [`CapturedBacktrace`] the stack at that moment. All of them are plain
//! values (`Clone`, `Debug`) that can be kept after the report is delivered.
//!
//! # The text
//!
//! `Display` is the human report. A [`Violation`] displays as the report it
//! carries, and each of those ([`Cycle`], [`OrderViolation`], [`SelfDeadlock`],
//! [`Deadlock`], [`LongWait`], [`Notice`]) is a whole report: a first line that starts
//! with `lockgraph: ` and says what was found, then the threads, the locks and
//! the lines, what each thread holds where that matters and, for a two-lock
//! cycle, a two-column "possible deadlock" scenario like lockdep's. A [`LockRef`]
//! displays as reports name the lock, and a [`CapturedBacktrace`] as the
//! program's frames, from the first one outside lockgraph and the crates it
//! is built on, resolved only when printed. A stack is kept once per pair of
//! call sites, so under an edge whose own it is not (see
//! [`OrderEdge::backtrace_is_own`]) a report says whose it is. Reports never
//! show an id or an address (locks that share a label are told apart by
//! `[1]`, `[2]`, ...), so the same program gives the same report on every run.
//!
//! # Delivery: the handler, then the policy
//!
//! A violation is first handed to the [`Handler`] installed with
//! [`set_handler`](crate::set_handler), on the thread that found it and with
//! none of lockgraph's internal locks held (so the handler may take lockgraph
//! locks). Then the [`Policy`](crate::Policy) for its kind acts: `Panic` (the
//! default; `Warn` for notices) panics with the report as the message, `Warn`
//! prints each distinct violation once to stderr (in one write) and lets the
//! thread go on, and `Ignore` drops it without calling the handler. A
//! [`SelfDeadlock`] panics under `Warn` too, since going on would hang the
//! thread; a violation found while the thread is already panicking is
//! printed, never panicked on.
//!
//! # Examples
//!
//! Catching a cycle in a handler and reading it through these types (in a
//! process of its own: the handler is process-wide):
//!
//! ```standalone_crate
//! use std::panic::{catch_unwind, AssertUnwindSafe};
//! use std::sync::{Arc, Mutex as StdMutex};
//! use lockgraph::report::{Cycle, HeldRef, LockRef, OrderEdge, Violation, ViolationKind};
//! use lockgraph::{set_handler, Mutex};
//!
//! let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
//! let found: Arc<StdMutex<Vec<Violation>>> = Arc::default();
//! let sink = Arc::clone(&found);
//! let previous = set_handler(Some(Box::new(move |v: &Violation| {
//!     sink.lock().unwrap().push(v.clone());
//! })));
//! drop((a.lock(), b.lock())); // a -> b
//! let caught = catch_unwind(AssertUnwindSafe(|| {
//!     let _b = b.lock();
//!     let _a = a.lock(); // b -> a would close the cycle
//! }));
//! set_handler(previous);
//!
//! // The handler saw the value first; then the policy (Panic) panicked with its text.
//! let violation = found.lock().unwrap().pop().expect("the handler saw it");
//! assert_eq!(violation.kind(), ViolationKind::Cycle);
//! let message = caught.unwrap_err().downcast::<String>().unwrap();
//! assert_eq!(*message, violation.to_string());
//! assert!(message.starts_with("lockgraph: potential deadlock"));
//!
//! let cycle: &Cycle = match &violation {
//!     Violation::Cycle(cycle) => cycle,
//!     other => panic!("not a cycle: {other}"),
//! };
//! let taking: &LockRef = cycle.acquiring();
//! let holding: &HeldRef = cycle.holding();
//! assert_eq!((taking.to_string(), cycle.verb()), ("\"a\"".to_string(), "lock"));
//! assert_eq!(holding.lock().name(), Some("b"));
//! let known: &OrderEdge = &cycle.path()[0]; // the a -> b made before
//! assert_eq!((known.from().name(), known.to().name()), (Some("a"), Some("b")));
//! assert_eq!(known.thread(), "main");
//! ```

mod acquisition;
mod allow;
mod class_cycle;
pub(crate) mod deliver;
mod display;
mod dot;
mod frames;
mod notice;
mod parts;
mod violation;
mod waiting;

pub(crate) use acquisition::Closing;
pub use acquisition::{Cycle, OrderViolation, RecursiveRead, SelfDeadlock};
pub use allow::{Allowed, ENV_ALLOW, allow_order, allowed};
pub use class_cycle::ClassCycle;
pub use deliver::Handler;
pub use notice::{Notice, NoticeKind};
pub(crate) use parts::ThreadLabel;
pub use parts::{CapturedBacktrace, HeldRef, LockRef, OrderEdge};
pub use violation::{Violation, ViolationKind};
pub use waiting::{BlockedThread, Deadlock, LongWait};
