//! What an acquisition is refused for, before it blocks: a lock-order cycle, a
//! breach of the ascending-id rule, or a lock the thread already holds.

use std::panic::Location;

use super::{HeldRef, LockRef, OrderEdge, ThreadLabel};
use crate::held::Access;
use crate::meta::Flavour;

/// A potential deadlock: taking `acquiring` while holding `holding` would close a
/// cycle in the lock-order graph.
///
/// # Examples
///
/// A handler reads the parts of the report (in a process of its own: the
/// handler is process-wide):
///
/// ```standalone_crate
/// use std::panic::{catch_unwind, AssertUnwindSafe};
/// use std::sync::{Arc, Mutex as StdMutex};
/// use lockgraph::{set_handler, Mutex, Violation};
///
/// let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
/// let found = Arc::new(StdMutex::new(None));
/// let sink = Arc::clone(&found);
/// set_handler(Some(Box::new(move |v: &Violation| {
///     if let Violation::Cycle(cycle) = v {
///         *sink.lock().unwrap() = Some(cycle.clone());
///     }
/// })));
/// drop((a.lock(), b.lock())); // a -> b
/// let _ = catch_unwind(AssertUnwindSafe(|| {
///     let _b = b.lock();
///     let _a = a.lock(); // b -> a closes the cycle
/// }));
/// set_handler(None);
/// let cycle = found.lock().unwrap().take().expect("a cycle");
/// assert_eq!(cycle.thread(), "main");
/// assert_eq!((cycle.acquiring().name(), cycle.verb()), (Some("a"), "lock"));
/// assert_eq!(cycle.holding().lock().name(), Some("b"));
/// assert_eq!(cycle.held().len(), 1); // b only
/// assert_eq!(cycle.path()[0].from().name(), Some("a")); // the known a -> b
/// ```
#[derive(Clone, Debug)]
pub struct Cycle {
    pub(crate) thread: ThreadLabel,
    pub(crate) acquiring: LockRef,
    pub(crate) access: Access,
    pub(crate) site: &'static Location<'static>,
    pub(crate) held: Vec<HeldRef>,
    pub(crate) holding: HeldRef,
    /// The existing path `acquiring -> ... -> holding`.
    pub(crate) path: Vec<OrderEdge>,
    /// The order `holding -> acquiring` was made before, when the cycle could
    /// not deadlock (see [`Cycle::safe_until_now`]).
    pub(crate) again: bool,
}

/// An edge that closes a cycle, found by a graph: the held lock it comes
/// from, the existing path back to it, and whether the edge was made before
/// (its cycle was gated until now).
pub(crate) struct Closing {
    pub(crate) holding: crate::held::HeldLock,
    pub(crate) path: Vec<OrderEdge>,
    pub(crate) again: bool,
}

impl Closing {
    pub(crate) fn new(holding: crate::held::HeldLock, path: Vec<OrderEdge>, again: bool) -> Self {
        Closing {
            holding,
            path,
            again,
        }
    }
}

impl Cycle {
    /// The thread that made the refused acquisition (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// Whether the closing order `holding -> acquiring` was made before,
    /// when the cycle could not deadlock (a gate lock held around every
    /// edge, see [`OrderEdge::gate`], or a recursive read of a lock held
    /// shared, see [`OrderEdge::kinds`]), and is made now in a way that can:
    /// the cycle was kept aside as safe until this acquisition.
    pub fn safe_until_now(&self) -> bool {
        self.again
    }

    /// The lock the thread was taking.
    pub fn acquiring(&self) -> &LockRef {
        &self.acquiring
    }

    /// How it was taking it, as the method a report names (see [`HeldRef::verb`]).
    pub fn verb(&self) -> &'static str {
        self.access.verb()
    }

    /// The held lock the refused edge starts from: taking
    /// [`acquiring`](Self::acquiring) while holding it would close the cycle.
    pub fn holding(&self) -> &HeldRef {
        &self.holding
    }

    /// Every lock the thread held, in the order it took them.
    pub fn held(&self) -> &[HeldRef] {
        &self.held
    }

    /// The existing edges that the refused edge would have closed into a cycle,
    /// from the lock being taken back to the held lock.
    pub fn path(&self) -> &[OrderEdge] {
        &self.path
    }

    /// Where the offending acquisition was made.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }
}

/// A breach of the ascending-id rule (`lock_all`, or any blocking acquisition
/// under [`Mode::Ascending`](crate::Mode::Ascending)).
///
/// # Examples
///
/// A handler reads the parts of the report (in a process of its own: the
/// handler is process-wide):
///
/// ```standalone_crate
/// use std::panic::{catch_unwind, AssertUnwindSafe};
/// use std::sync::{Arc, Mutex as StdMutex};
/// use lockgraph::{lock_all, set_handler, Mutex, Violation};
///
/// let (low, high) = (Mutex::named("low", ()), Mutex::named("high", ()));
/// assert!(low.id() < high.id()); // ids follow first use
/// let found = Arc::new(StdMutex::new(None));
/// let sink = Arc::clone(&found);
/// set_handler(Some(Box::new(move |v: &Violation| {
///     if let Violation::OrderViolation(order) = v {
///         *sink.lock().unwrap() = Some(order.clone());
///     }
/// })));
/// let _ = catch_unwind(AssertUnwindSafe(|| {
///     let _high = high.lock();
///     let _low = lock_all((&low,)); // holds a higher id than the set's lowest
/// }));
/// set_handler(None);
/// let order = found.lock().unwrap().take().expect("an order violation");
/// assert!(order.in_lock_all());
/// assert_eq!(order.acquiring().name(), Some("low"));
/// assert_eq!(order.higher().lock().name(), Some("high"));
/// assert_eq!(order.held().len(), 1);
/// assert_eq!(order.site().file(), order.higher().site().file());
/// ```
#[derive(Clone, Debug)]
pub struct OrderViolation {
    pub(crate) thread: ThreadLabel,
    pub(crate) acquiring: LockRef,
    pub(crate) site: &'static Location<'static>,
    pub(crate) higher: HeldRef,
    pub(crate) held: Vec<HeldRef>,
    pub(crate) in_lock_all: bool,
    /// The API of the lock being taken (the advice depends on it).
    pub(crate) flavour: Flavour,
}

impl OrderViolation {
    /// The thread that broke the rule (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// The lock the thread was taking.
    pub fn acquiring(&self) -> &LockRef {
        &self.acquiring
    }

    /// A held lock whose id is higher than [`acquiring`](Self::acquiring)'s.
    pub fn higher(&self) -> &HeldRef {
        &self.higher
    }

    /// Every lock the thread held, in the order it took them.
    pub fn held(&self) -> &[HeldRef] {
        &self.held
    }

    /// Where the offending acquisition was made.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }

    /// Whether the acquisition was a [`lock_all`](crate::lock_all) (else a
    /// blocking acquisition under [`Mode::Ascending`](crate::Mode::Ascending)).
    pub fn in_lock_all(&self) -> bool {
        self.in_lock_all
    }
}

/// A thread re-taking a lock it already holds in a way that can never succeed.
///
/// # Examples
///
/// A handler reads the parts of the report (in a process of its own: the
/// handler is process-wide):
///
/// ```standalone_crate
/// use std::panic::{catch_unwind, AssertUnwindSafe};
/// use std::sync::{Arc, Mutex as StdMutex};
/// use lockgraph::{set_handler, RwLock, Violation};
///
/// let config = RwLock::named("config", ());
/// let found = Arc::new(StdMutex::new(None));
/// let sink = Arc::clone(&found);
/// set_handler(Some(Box::new(move |v: &Violation| {
///     if let Violation::SelfDeadlock(report) = v {
///         *sink.lock().unwrap() = Some(report.clone());
///     }
/// })));
/// let _ = catch_unwind(AssertUnwindSafe(|| {
///     let _first = config.write();
///     let _again = config.read(); // would wait for itself forever
/// }));
/// set_handler(None);
/// let report = found.lock().unwrap().take().expect("a self-deadlock");
/// assert_eq!((report.lock().name(), report.verb()), (Some("config"), "read"));
/// let first = report.first().expect("the write is still held");
/// assert_eq!(first.verb(), "lock");
/// assert_eq!(first.site().line() + 1, report.site().line());
/// ```
#[derive(Clone, Debug)]
pub struct SelfDeadlock {
    pub(crate) thread: ThreadLabel,
    pub(crate) lock: LockRef,
    pub(crate) access: Access,
    pub(crate) site: &'static Location<'static>,
    /// The earlier acquisition, or `None` for the same lock twice in one `lock_all`.
    pub(crate) first: Option<HeldRef>,
    /// The API of the lock (the advice depends on it).
    pub(crate) flavour: Flavour,
}

impl SelfDeadlock {
    /// The thread that re-took the lock (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// The lock it re-took.
    pub fn lock(&self) -> &LockRef {
        &self.lock
    }

    /// How it re-took it, as the method a report names (see [`HeldRef::verb`]).
    pub fn verb(&self) -> &'static str {
        self.access.verb()
    }

    /// Where it re-took it.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }

    /// The earlier acquisition, still held; `None` when the same lock was
    /// passed twice to one [`lock_all`](crate::lock_all).
    pub fn first(&self) -> Option<&HeldRef> {
        self.first.as_ref()
    }
}

/// A potential deadlock of one lock: a plain `read` of an `RwLock` this
/// thread already reads.
///
/// It hangs only if a writer queues between the two reads: the writer waits
/// for the first read to end, and the second read waits behind the writer
/// (parking_lot's and std's reader-writer locks let no new read pass a
/// queued writer). Single-threaded code, and code whose writers never run
/// at that moment, reads twice safely; so it is a potential deadlock, under
/// the policy of [`ViolationKind::RecursiveRead`](crate::ViolationKind::RecursiveRead)
/// (`LOCKGRAPH` kind `recursive-read`), not a certain [`SelfDeadlock`].
/// Once reported (or ignored) the read goes on, as the raw lock's would.
///
/// # Examples
///
/// ```standalone_crate
/// use lockgraph::{RwLock, Policy, ViolationKind, set_kind_policy};
///
/// set_kind_policy(ViolationKind::RecursiveRead, Policy::Warn); // printed, then goes on
/// let table = RwLock::named("table", 7);
/// let first = table.read();
/// let second = table.read(); // a writer queued now would deadlock both
/// assert_eq!(*first + *second, 14);
/// ```
#[derive(Clone, Debug)]
pub struct RecursiveRead {
    pub(crate) thread: ThreadLabel,
    pub(crate) lock: LockRef,
    pub(crate) site: &'static Location<'static>,
    /// The read this thread already holds.
    pub(crate) first: HeldRef,
    pub(crate) flavour: Flavour,
}

impl RecursiveRead {
    /// The thread that reads again (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// The lock it reads again.
    pub fn lock(&self) -> &LockRef {
        &self.lock
    }

    /// Where it reads again.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }

    /// The read it already holds, and where it took it.
    pub fn first(&self) -> &HeldRef {
        &self.first
    }
}
