//! Violations as values: what was found, which locks, which threads, which lines.
//!
//! The human report is each type's `Display` (see `display.rs`); what happens next
//! is decided by the policy and the handler (see `deliver.rs`).

use std::error::Error;

use super::{
    ClassCycle, Cycle, Deadlock, LongWait, Notice, OrderViolation, RecursiveRead, SelfDeadlock,
};
use crate::id::LockId;

/// The kind of a [`Violation`], used to set a policy per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// A potential deadlock: a lock-order cycle ([`Violation::Cycle`]).
    Cycle,
    /// A breach of the ascending-id rule ([`Violation::OrderViolation`]).
    OrderViolation,
    /// A thread re-taking a lock it holds ([`Violation::SelfDeadlock`]).
    SelfDeadlock,
    /// An actual deadlock among blocked threads ([`Violation::Deadlock`]).
    Deadlock,
    /// A thread blocked longer than the long-wait threshold ([`Violation::LongWait`]).
    LongWait,
    /// Not a lock-order problem, but something lockgraph tells you: a lock
    /// dropped while its guard was leaked, the id space used up
    /// ([`Violation::Notice`]). `Warn` unless set for this kind itself (see
    /// [`Policy`](crate::Policy)).
    Notice,
    /// A potential deadlock between lock classes: locks made at the same
    /// places taken in both orders, in this run by different instances
    /// ([`Violation::ClassCycle`]).
    ClassCycle,
    /// A plain read of an `RwLock` this thread already reads, which hangs if
    /// a writer queues in between ([`Violation::RecursiveRead`]).
    RecursiveRead,
}

impl ViolationKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ViolationKind; 8] = [
        ViolationKind::Cycle,
        ViolationKind::OrderViolation,
        ViolationKind::SelfDeadlock,
        ViolationKind::Deadlock,
        ViolationKind::LongWait,
        ViolationKind::Notice,
        ViolationKind::ClassCycle,
        ViolationKind::RecursiveRead,
    ];

    /// The spelling used in the `LOCKGRAPH` environment variable
    /// (`cycle`, `order`, `self`, `deadlock`, `long-wait`, `notice`).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::ViolationKind;
    /// assert_eq!(ViolationKind::LongWait.env_name(), "long-wait");
    /// assert_eq!(ViolationKind::Notice.env_name(), "notice");
    /// ```
    pub fn env_name(self) -> &'static str {
        match self {
            ViolationKind::Cycle => "cycle",
            ViolationKind::OrderViolation => "order",
            ViolationKind::SelfDeadlock => "self",
            ViolationKind::Deadlock => "deadlock",
            ViolationKind::LongWait => "long-wait",
            ViolationKind::Notice => "notice",
            ViolationKind::ClassCycle => "class",
            ViolationKind::RecursiveRead => "recursive-read",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The kind as `LOCKGRAPH` spells it ([`ViolationKind::env_name`]).
///
/// # Examples
///
/// ```
/// use lockgraph::ViolationKind;
/// assert_eq!(ViolationKind::ClassCycle.to_string(), "class");
/// assert_eq!(format!("{}", ViolationKind::SelfDeadlock), "self");
/// ```
impl std::fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.env_name())
    }
}

/// A lock-order problem found by lockgraph.
///
/// `Display` gives the full human report, which starts with `lockgraph: `.
/// Under the default [`Policy::Panic`](crate::Policy::Panic) the report is the
/// panic message.
///
/// # Examples
///
/// A handler sees each violation as a value before the policy acts (in a
/// process of its own: the handler is process-wide):
///
/// ```standalone_crate
/// use std::panic::{catch_unwind, AssertUnwindSafe};
/// use std::sync::{Arc, Mutex as StdMutex};
/// use lockgraph::{set_handler, Mutex, Violation, ViolationKind};
///
/// let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
/// let ours = [a.id(), b.id()];
/// let seen = Arc::new(StdMutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// let previous = set_handler(Some(Box::new(move |v: &Violation| {
///     if v.locks().iter().all(|id| ours.contains(id)) {
///         sink.lock().unwrap().push(v.clone());
///     }
/// })));
/// drop((a.lock(), b.lock())); // a -> b
/// let _ = catch_unwind(AssertUnwindSafe(|| {
///     let _b = b.lock();
///     let _a = a.lock(); // b -> a closes the cycle
/// }));
/// set_handler(previous);
/// let seen = seen.lock().unwrap();
/// assert!(matches!(&seen[..], [Violation::Cycle(_)]));
/// assert_eq!(seen[0].kind(), ViolationKind::Cycle);
/// assert!(seen[0].to_string().starts_with("lockgraph: potential deadlock"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Violation {
    /// A potential deadlock: a lock-order cycle, found before it could happen.
    Cycle(Cycle),
    /// The ascending-id rule was broken.
    OrderViolation(OrderViolation),
    /// A thread re-took a non-reentrant lock it holds; it would block forever.
    SelfDeadlock(SelfDeadlock),
    /// Threads are actually deadlocked on lockgraph locks.
    Deadlock(Deadlock),
    /// A thread has waited for a lock longer than the long-wait threshold.
    LongWait(LongWait),
    /// Not a lock-order problem: a lock dropped while its guard was leaked,
    /// or the id space used up.
    Notice(Notice),
    /// A potential deadlock between lock classes (see [`ClassCycle`]).
    ClassCycle(ClassCycle),
    /// A second plain read of a lock this thread reads (see [`RecursiveRead`]).
    RecursiveRead(RecursiveRead),
}

impl Violation {
    /// The kind of this violation.
    pub fn kind(&self) -> ViolationKind {
        match self {
            Violation::Cycle(_) => ViolationKind::Cycle,
            Violation::OrderViolation(_) => ViolationKind::OrderViolation,
            Violation::SelfDeadlock(_) => ViolationKind::SelfDeadlock,
            Violation::Deadlock(_) => ViolationKind::Deadlock,
            Violation::LongWait(_) => ViolationKind::LongWait,
            Violation::Notice(_) => ViolationKind::Notice,
            Violation::ClassCycle(_) => ViolationKind::ClassCycle,
            Violation::RecursiveRead(_) => ViolationKind::RecursiveRead,
        }
    }

    /// The locks involved: for a cycle, the lock being taken and then every lock
    /// along the cycle; for an order violation, the held lock and the lock being
    /// taken; for a deadlock, the lock each thread waits for; for a notice,
    /// its lock.
    pub fn locks(&self) -> Vec<LockId> {
        match self {
            Violation::Cycle(c) => {
                let mut locks = vec![c.acquiring.id];
                locks.extend(c.path.iter().map(|edge| edge.to.id));
                locks
            }
            Violation::OrderViolation(o) => vec![o.higher.lock.id, o.acquiring.id],
            Violation::SelfDeadlock(s) => vec![s.lock.id],
            Violation::Deadlock(d) => d.threads.iter().map(|t| t.waiting_for.id).collect(),
            Violation::LongWait(w) => vec![w.waiter.waiting_for.id],
            Violation::Notice(n) => vec![n.lock.id],
            Violation::RecursiveRead(r) => vec![r.lock.id],
            Violation::ClassCycle(c) => {
                let mut locks = vec![c.0.acquiring.id, c.0.holding.lock.id];
                locks.extend(c.0.path.iter().flat_map(|edge| [edge.from.id, edge.to.id]));
                locks
            }
        }
    }

    /// Two reports of the same problem have the same key (kind and lock set).
    pub(crate) fn key(&self) -> (ViolationKind, Vec<LockId>) {
        let mut locks = self.locks();
        locks.sort();
        locks.dedup();
        (self.kind(), locks)
    }
}

impl Error for Violation {}
