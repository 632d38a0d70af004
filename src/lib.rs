//! Drop-in lock types that find deadlocks before they happen.
//!
//! lockgraph's locks have parking_lot's API (and, in [`stdsync`], std's). Each
//! lock gets a [`LockId`]; each thread remembers, in thread-local state, the
//! locks it holds and in what order it took them; and every "took B while
//! holding A" becomes an edge `A -> B` in one process-wide lock-order graph. An
//! acquisition whose edge would close a cycle is a **potential deadlock**: it is
//! reported at that acquisition, before it blocks, whether or not the threads
//! involved ever actually collided.
//!
//! ```
//! use lockgraph::Mutex;
//!
//! let a = Mutex::named("a", 0);
//! let b = Mutex::named("b", 0);
//! std::thread::scope(|s| {
//!     s.spawn(|| { let _a = a.lock(); let _b = b.lock(); }).join().unwrap();
//! });
//! // Another thread, later, takes them the other way round. Nothing blocks,
//! // but with unlucky timing these two threads would deadlock:
//! let _b = b.lock();
//! let lock_a = std::panic::AssertUnwindSafe(|| drop(a.lock()));
//! let caught = std::panic::catch_unwind(lock_a); // panics with the report
//! let report = *caught.unwrap_err().downcast::<String>().unwrap();
//! assert!(report.starts_with("lockgraph: potential deadlock"));
//! ```
//!
//! # In your tests, in three steps
//!
//! 1. Add `lockgraph = "0.1"` to `[dev-dependencies]` (or `[dependencies]`,
//!    with [`debug`] to keep the plain locks in release builds).
//! 2. Swap the `use` lines: `parking_lot::Mutex` becomes `lockgraph::Mutex`,
//!    `std::sync::Mutex` becomes [`lockgraph::stdsync::Mutex`](stdsync::Mutex),
//!    and so on (nothing else changes).
//! 3. Run `cargo test`. A lock-order inversion fails the test that closes it,
//!    with the report as the panic message: the locks, the threads, the lines
//!    and a two-thread scenario. `LOCKGRAPH=warn cargo test` prints every
//!    report instead and lets the tests go on; [`allow_order`] declares an
//!    order harmless.
//!
//! Coming from tracing-mutex or parking_lot's `deadlock_detection`: see
//! `docs/migrating.md` in the repository.
//!
//! # Swapping it in
//!
//! Replace `parking_lot::{Mutex, RwLock, ...}` with `lockgraph::{Mutex, RwLock,
//! ...}`, `once_cell::sync::{OnceCell, Lazy}` with [`OnceCell`] and [`Lazy`],
//! or `use std::sync;` with `use lockgraph::stdsync as sync;` ([`stdsync`]).
//! The [`debug`] module has the same names, which are lockgraph's types when
//! `debug_assertions` are on and the plain parking_lot / std types otherwise.
//! Locks built on `lock_api` (spin locks, a crate's own raw lock) keep their
//! raw lock: `lock_api::Mutex<R, T>` becomes
//! [`lockgraph::lock_api::Mutex<R, T>`](lock_api::Mutex), and likewise
//! `RwLock` and `ReentrantMutex` ([`lock_api`]; for lock_api 0.5, the feature
//! `lock_api_05`).
//!
//! One-time initialisation is a lock too: while an initialiser runs, its cell
//! counts as held, so a cycle through an initialiser is reported like any other.
//!
//! # parking_lot 0.12 and 0.13, and optional features
//!
//! The crate root has the API of parking_lot 0.12 and of 0.13 together, so
//! code written for either compiles after `parking_lot::` becomes
//! `lockgraph::`: 0.12's `read_recursive`, `const_mutex` and friends, and
//! 0.13's [`RecursiveRwLock`] and [`Once`] methods. One API rather than one per
//! version, because cargo features are additive: two crates of one program
//! may be written for different versions. The feature `parking_lot_013`
//! (Rust 1.95) only chooses the raw locks: 0.13's for the crate root's mutexes
//! and condition variables (parking_lot 0.13 reworked contended hand-offs;
//! `stdsync`'s run std's algorithms either way), and 0.13's
//! types for [`debug`] in release builds. `RwLock` keeps 0.12's raw lock,
//! since 0.13's cannot read recursively. Feature `arc_lock` adds `lock_arc`,
//! `read_arc`, ... and the `Arc*Guard`s; feature `serde` adds `Serialize` and
//! `Deserialize` for the locks, as parking_lot's features of those names do.
//! Guards are `!Send` even when parking_lot's `send_guard` is on (another
//! crate may turn it on): a guard released on another thread would corrupt
//! both threads' held sets. `docs/migrating.md` lists every difference.
//!
//! # Modules
//!
//! The lock types, [`lock_all`] and the settings are at the crate root; the
//! rest is in modules:
//!
//! - [`stdsync`]: the names of `std::sync`, with lockgraph's locks and cells.
//! - [`debug`]: lockgraph's types in debug builds, the plain ones in release.
//! - [`lock_api`]: `Mutex`, `RwLock` and `ReentrantMutex` over any lock_api
//!   0.4 raw lock; `lock_api_05` (feature `lock_api_05`): the same for
//!   lock_api 0.5.
//! - [`graph`]: a read-only [`snapshot`](graph::snapshot) of the lock-order
//!   graph, with Graphviz output.
//! - [`report`]: the report types a [`Violation`] carries
//!   (`lockgraph::report::{Cycle, OrderEdge, Deadlock, ...}`).
//! - `proptest` (feature `proptest`): lock-order programs, a reference model
//!   and strategies, for property tests and fuzzing.
//! - `record` (feature `record`, on by default): class graphs recorded to
//!   files (`LOCKGRAPH_RECORD=DIR`, `record_to`) and checked together, for
//!   class cycles whose halves ran in different processes.
//!
//! # The model
//!
//! - **Edges.** A call that can block (`lock`, `read`, `write`,
//!   `upgradable_read`, an upgrade, the re-acquisition after a [`Condvar`]
//!   wait) of lock `L` while holding `H1..Hk` records `Hi -> L` for every `Hi`.
//!   A `try_*` (also timed) cannot block forever, so it records no edge into
//!   `L`; while `L` is held, later blocking acquisitions get edges from it
//!   (lockdep's rule).
//! - **Check before blocking.** An edge that would close a cycle is never
//!   inserted; it is reported (a [`Violation::Cycle`], naming every lock of the
//!   shortest cycle, the thread and the call site that first made each edge,
//!   and a two-thread deadlock scenario) before the thread blocks, so an
//!   inversion that would deadlock right now is reported instead of hanging.
//! - **Lock classes.** Every lock has a [`LockClass`]: where it was created,
//!   or the name given to `named`. Each new edge `H -> L` also records the
//!   class edge `class(H) -> class(L)`, in a process-wide class graph bounded
//!   by the number of classes. A class edge that closes a cycle of classes
//!   while the locks themselves made none is a [`Violation::ClassCycle`]
//!   (kind `class`): two tests that each build their own objects and take
//!   their locks in opposite orders are reported, as lockdep reports them.
//!   Locks of one class nest in any order (two accounts, list nodes), and the
//!   members of one [`lock_all`] set make no class edges among themselves
//!   (ascending ids order instances, not classes). A lock made by passing
//!   its constructor as a function (`(0..n).map(Mutex::new)`) has no class:
//!   Rust gives every such call one caller, a place inside the standard
//!   library, which would join unrelated locks into one class; it makes lock
//!   edges only (write `.map(|v| Mutex::new(v))` to give it your line as its
//!   class). Class edges are recorded
//!   on the slow paths only (a thread remembers the ones it has seen), so the
//!   steady state does not pay for them.
//! - **Gate locks.** Each edge keeps its *gate*: the locks held exclusively
//!   (a mutex, a write or upgradable lock) around it every time it was made,
//!   the intersection over the held sets it was seen under. A cycle each of
//!   whose edges has one and the same lock `G` in its gate cannot deadlock
//!   (every thread running it holds `G` first, so they are serialised) and is
//!   not reported (the common-lockset rule); the edge that closes it is kept
//!   aside. The acquisition that makes an edge of such a cycle without `G`,
//!   or closes a new cycle through a kept edge that no lock gates, is
//!   reported. For a class cycle the gate is a lock *instance*: one shared
//!   outer lock (a `static`, a registry) gates it, but every object's own
//!   outer lock does not (two threads on two objects hold two different
//!   gates). A lock held for reading is no gate. [`graph::snapshot`] shows
//!   each edge's gate.
//! - **Recursive reads.** Each edge also keeps the ways it was made
//!   (lockdep's four kinds: the first lock held **E**xclusively or
//!   **S**hared, the second taken as a lock or plain read, **N**, or as a
//!   `read_recursive`, **R**). A recursive read waits only for a writer that
//!   holds the lock, never for a reader, so a cycle in which a lock is wanted
//!   as a recursive read while the next thread holds it shared cannot
//!   deadlock there: only a *strong* cycle (no `-(*R)->` edge followed by an
//!   `-(S*)->` one) is reported (lockdep's rule). A plain `read` queues behind
//!   a waiting writer (parking_lot's and std's locks prefer writers), so a
//!   cycle of plain reads is strong, and reported. Reports say how each edge
//!   was made ([`OrderEdge::kinds`](report::OrderEdge::kinds)).
//! - **Self-deadlocks.** Re-taking a non-reentrant lock this thread holds is
//!   certain to hang: it is a [`Violation::SelfDeadlock`] and panics under
//!   `Panic` and `Warn`. A plain `read` of an `RwLock` it already reads hangs
//!   only if a writer queues in between: a [`Violation::RecursiveRead`], a
//!   potential deadlock that follows the policies as a cycle does.
//! - **One-time initialisation.** [`OnceCell`], [`Lazy`] and stdsync's
//!   `OnceLock`, `LazyLock` and `Once` run their initialiser as if the cell
//!   were a held lock: getting a cell that is not initialised yet is a blocking
//!   acquisition of it (other threads wait for the initialiser), so a cycle
//!   through an initialiser is reported like any other, and initialising a
//!   cell from its own initialiser is a self-deadlock, not a hang. An
//!   initialised cell is not tracked at all.
//! - **Ordered acquisition.** [`lock_all`] takes a set of locks of any types
//!   (readers too, through `for_read()`) in ascending id order;
//!   [`try_lock_all`] and [`try_lock_all_for`] take all or nothing and record
//!   no edge into the set; an [`OrderedSet`] sorts a set once.
//!   [`set_mode`]`(`[`Mode::Ascending`]`)` requires every blocking
//!   acquisition to follow that order ([`Violation::OrderViolation`]).
//! - **Actual deadlocks and long waits.** Some deadlocks still happen (under
//!   `Warn` or `Ignore`, or through a lock held far too long). A blocking
//!   acquisition that cannot proceed at once waits on the raw lock one
//!   [`set_deadlock_check`] interval at a time (100 ms by default) and checks,
//!   at each timeout, the wait-for graph of the blocked threads for a cycle
//!   through itself: a [`Violation::Deadlock`], reported once, within about
//!   two intervals, by one thread of the cycle (under `Panic` that thread
//!   panics out of its wait and its unwinding releases its locks). A wait
//!   longer than [`set_long_wait`] (off by default) is a [`Violation::LongWait`]
//!   naming the holders. Condition-variable waits and timed acquisitions are
//!   never watched. No helper thread is involved.
//! - **Policy.** [`Policy::Panic`] (default), [`Policy::Warn`] (print each
//!   distinct violation once, go on) or [`Policy::Ignore`], globally
//!   ([`set_policy`]), per kind ([`set_kind_policy`]) or from the `LOCKGRAPH`
//!   environment variable (`panic`, `warn`, `off`, plus `kind=policy` pairs
//!   such as `LOCKGRAPH=warn,deadlock=panic`). A [`set_handler`] handler sees
//!   every violation first. The [`report`] module has the report types.
//! - **Notices.** What is not a lock-order problem but changes what lockgraph
//!   checks (a lock dropped while its guard is leaked, the id space used up)
//!   is a [`Violation::Notice`], delivered the same way: to the handler, then
//!   the policy of [`ViolationKind::Notice`] (`notice` in `LOCKGRAPH`), which
//!   is `Warn` (printed once, never a panic) unless set for that kind itself;
//!   `set_policy(Policy::Ignore)` silences notices too.
//!
//! # Why it is sound
//!
//! If threads deadlock on lockgraph locks, each waits for a lock held by the
//! next, so the acquisition each is blocked in would add an edge from a lock it
//! holds to a lock the next one holds: together these edges form a cycle. The
//! graph refuses the edge that closes any cycle, at the acquisition that tries
//! to add it, before it blocks; so one of those threads is reported before the
//! deadlock can form. (Two kinds of cycle are the exception, and rightly: one
//! whose every edge was made under one gate lock, since the threads would
//! each hold the gate, so all but one of them would be waiting for the gate,
//! not in the cycle; and one that is not strong, since one of its waits is a
//! recursive read of a lock held shared, which does not wait. An edge's gate
//! only ever shrinks and its kinds only grow, and every acquisition that
//! changes them, or adds an edge while edges are kept aside, looks again at
//! the cycles through it.) Ids are never reused, so edges of dropped locks (which
//! are removed from the graph) can never attach to new ones, and a per-thread
//! cache of edges known to be in the graph never lies.
//!
//! The graph is kept in two layers, with the same answers as one. Edges among
//! locks that only one thread has used so far stay in that thread's *private*
//! graph (its own small lock, no global one); such a lock's edges all lead to
//! and from private locks of the same thread, so any cycle through it is made
//! of private edges and is checked there. The moment another thread uses one
//! of those locks in an edge, the owner's private graph is *published*: moved
//! into the global graph before the new edge is checked. [`graph::snapshot`]
//! publishes every private graph first, and so does a thread that ends.
//!
//! # Cost
//!
//! The steady state — an acquisition order this thread has seen before —
//! touches only thread-local data and the lock itself: no global lock, no
//! shared write, no allocation. It reads one global word of flags, looks up
//! the held set's chain key (a hash of the held ids, lockdep's idea) in a
//! thread-local cache, and writes one held-set entry in place (the first 64
//! entries need no allocation). A blocking acquisition first tries the raw
//! lock and, if it was free, checks after taking it: the lock's id is then
//! read from a cache line this core already owns, which keeps a contended
//! lock's hand-offs as quick as parking_lot's. A violation found that way is
//! reported only once the lock is let go again (it is then taken the usual
//! way), so no handler or panic ever runs with it taken. A new edge among
//! locks private to the thread takes only that thread's private-graph lock (a
//! compare-exchange to take, a plain store to release); any other new edge
//! takes the global graph's lock (a raw, uninstrumented parking_lot mutex,
//! never held while user code runs), where a topological order kept up to
//! date (Pearce–Kelly) makes an edge that agrees with it cost a few lookups
//! (`docs/design.md` in the repository says how those are kept cheap in a
//! graph of 100,000 locks, and what that costs in memory). A lock's first
//! acquisition records its edges into the private graph without a cycle check
//! (no edge leaves a lock still private to its first user, so none can close a
//! cycle), and dropping a private lock that never had an edge out of it only
//! queues its id for its edges to be removed later, with others, taking no
//! lock.
//! A backtrace is captured once per distinct pair of call sites. With every
//! kind ignored, acquisitions skip the bookkeeping altogether. The watchdog costs
//! nothing until an acquisition has to wait: it first tries the raw lock
//! without blocking, then waits with the raw lock's timed acquisition, and
//! publishes its wait only after a whole check interval. While long waits are
//! on, each thread also mirrors its held set into atomics only it writes.
//! `docs/performance.md` in the repository says how to measure these costs
//! against raw parking_lot, and why the choices above were made.
//!
//! # Limits
//!
//! - A report means the order *can* deadlock, not that it did: the threads may
//!   never run at the same time in practice (for example, one lock order is used
//!   only during start-up). Reports are about orders, not timings.
//! - A gate is a lock *instance*: a class cycle whose orders ran under each
//!   object's own outer lock (a different gate per object) is reported,
//!   since two threads on two objects would not be serialised; if your objects
//!   never share their inner locks, allow the order ([`allow_order`]).
//!   An edge's gate is every lock held exclusively around it each time it
//!   was made, up to eight: an edge first made under more than eight other
//!   exclusively held locks keeps the outermost eight (a common lock inside
//!   them is not seen as a gate, and the cycle is reported). Every new held
//!   set a gated edge is made under looks its gate up again, so code that
//!   makes the same orders under ever new outer locks (a sliding window of
//!   locks) pays for it.
//! - Only lockgraph locks are seen: an inversion that goes through a plain
//!   `std` or parking_lot lock, a channel, or a join is not.
//! - Lock ids follow first use, not creation (so `new` can be `const`), and
//!   each thread hands them out from its own blocks, so ids of locks first
//!   used on different threads are not in first-use order.
//! - Ids do not run out in practice: they are 64-bit and never reused, 2^56 - 1
//!   of them, more than any realistic run creates. Locks first used after
//!   that would share one id ([`LockId::as_u64`] gives `u64::MAX`) and not be
//!   checked.
//! - A lock keeps at most 126 bytes of its name: reports show a longer name cut
//!   there, at a character boundary.
//! - Acquisitions made inside thread-local destructors after lockgraph's own
//!   thread state is gone are not tracked.
//! - Guards are not `Send`, arc guards included, whatever parking_lot's
//!   `send_guard` feature says: the held set is per thread.
//! - The watchdog sees waits on lockgraph locks only. For the re-acquisition
//!   at the end of a guard's `unlocked` (and `bump`), which parking_lot makes
//!   itself, it waits until the lock is free first; a wait that begins in the
//!   moment between is not watched.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// Where things are (dependencies point down this list):
//
// - `lock/`, `stdsync/`, `lock_api/`, `lock_all.rs`: the lock types. They
//   take and release locks only through `acquire`. `lock_api/` is built twice
//   (lock_api 0.4 and, with `lock_api_05`, 0.5) from the same files.
// - `acquire/`: the acquisition pipeline, in one place: fast path, first use,
//   check, wait (spin, park, watched wait), as a table in its docs.
// - `tracker/`: where an acquisition is checked and recorded: the execution
//   context (`context.rs`: a thread's held set and caches; an async task is
//   the next kind of context), the private graphs (`private/`) and the global
//   one (`global.rs`).
// - `watchdog/`: the watched wait only: published waits, wait-for cycles,
//   long waits.
// - `report/`: where a report is built (the public types and `Display`) and
//   delivered (`deliver.rs`: handler, then policy).
// - `record/` (feature `record`): the class graph appended to a file per
//   process as edges appear (`LOCKGRAPH_RECORD`), and the checker that
//   merges such files (`lockgraph check`, `src/bin/lockgraph.rs`).
// - `config/`: where settings come from: policy, mode, watchdog intervals,
//   the environment read once, the flags word of the fast path.
// - `held.rs`, `graph/` (the pure lock-order graph, and the public snapshot),
//   `id/`, `meta.rs`, `hash.rs`: data structures that know nothing of threads
//   or policies. A graph node is a lock id today; lock classes and events
//   (condvars, channels) are the next kinds of node.
// - `trusted.rs`: the only unsafe code.

mod acquire;
mod class;
mod config;
pub mod debug;
pub mod graph;
mod hash;
mod held;
mod id;
mod lock;
mod lock_all;
pub mod lock_api;
#[cfg(feature = "lock_api_05")]
#[cfg_attr(docsrs, doc(cfg(feature = "lock_api_05")))]
#[path = "lock_api/v05.rs"]
#[allow(clippy::duplicate_mod)] // on purpose: `lock_api`'s files again, over lock_api 0.5
pub mod lock_api_05;
mod meta;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod proptest;
#[cfg(feature = "record")]
#[cfg_attr(docsrs, doc(cfg(feature = "record")))]
pub mod record;
pub mod report;
pub mod stdsync;
mod tracker;
#[allow(unsafe_code)] // the crate's only unsafe code, each block with its SAFETY argument
mod trusted;
mod watchdog;

// The parking_lot whose locks lockgraph's locks (crate root and `stdsync`)
// wrap: 0.12, or 0.13 with the `parking_lot_013` feature. lockgraph's own
// internal locks stay on 0.12 either way.
#[cfg(not(feature = "parking_lot_013"))]
use parking_lot as pl;
#[cfg(feature = "parking_lot_013")]
use parking_lot_013 as pl;

pub use class::LockClass;
pub use config::{
    ENV_DEADLOCK_CHECK, ENV_LONG_WAIT, ENV_POLICY, Mode, Policy, clear_kind_policy, mode, policy,
    set_deadlock_check, set_kind_policy, set_long_wait, set_mode, set_policy,
};
pub use id::LockId;
#[cfg(feature = "arc_lock")]
#[cfg_attr(docsrs, doc(cfg(feature = "arc_lock")))]
pub use lock::arc::{
    ArcMutexGuard, ArcReentrantMutexGuard, ArcRwLockReadGuard, ArcRwLockUpgradableReadGuard,
    ArcRwLockWriteGuard, RawFairMutex, RawMutex, RawRwLock, RawRwLockRecursive, RawThreadId,
};
pub use lock::condvar::Condvar;
pub use lock::const_fns::{const_fair_mutex, const_mutex, const_reentrant_mutex, const_rwlock};
pub use lock::lazy::Lazy;
pub use lock::mutex::{
    FairMutex, FairMutexGuard, MappedFairMutexGuard, MappedMutexGuard, Mutex, MutexGuard,
};
pub use lock::once::{Once, OnceState};
pub use lock::once_cell::OnceCell;
pub use lock::recursive_rwlock::{
    MappedRecursiveRwLockReadGuard, MappedRecursiveRwLockWriteGuard, RecursiveRwLock,
    RecursiveRwLockReadGuard, RecursiveRwLockUpgradableReadGuard, RecursiveRwLockWriteGuard,
};
pub use lock::reentrant::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
pub use lock::rwlock::{
    MappedRwLockReadGuard, MappedRwLockWriteGuard, RwLock, RwLockReadGuard,
    RwLockUpgradableReadGuard, RwLockWriteGuard,
};
pub use lock_all::{
    ForRead, LockSet, OrderedSet, SetLock, SetMember, SetReadLock, lock_all, try_lock_all,
    try_lock_all_for, try_lock_all_until,
};
pub use pl::WaitTimeoutResult;
#[cfg(feature = "record")]
#[cfg_attr(docsrs, doc(cfg(feature = "record")))]
pub use record::{ENV_RECORD, record_to};
pub use report::deliver::set_handler;
pub use report::{Handler, Violation, ViolationKind};
pub use report::{allow_order, allowed};

/// Support for lockgraph's own tests; not part of the API, and may change.
#[doc(hidden)]
pub mod __testing {
    /// Moves the process-wide id counter up to `next` (never down, and at
    /// most to the end of the id space), and makes the calling thread take a
    /// new block of ids: its next new lock gets an id of at least `next`.
    /// Returns the next free id. Lets a test reach ids near 2^32 or the end of
    /// the id space without creating billions of locks first.
    pub fn skip_ids_to(next: u64) -> u64 {
        crate::id::skip_to(next)
    }
}
