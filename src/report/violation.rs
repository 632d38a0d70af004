//! Violations as values: what was found, which locks, which threads, which lines.
//!
//! The human report is each type's `Display` (see `display.rs`); what happens next
//! is decided by the policy and the handler (see `deliver.rs`).

use std::error::Error;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::held::{Access, HeldLock};
use crate::id::LockId;
use crate::meta::Origin;

/// What a thread is called in reports: its name, or else its `ThreadId`.
pub(crate) type ThreadLabel = Arc<str>;

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
}

impl ViolationKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ViolationKind; 5] = [
        ViolationKind::Cycle,
        ViolationKind::OrderViolation,
        ViolationKind::SelfDeadlock,
        ViolationKind::Deadlock,
        ViolationKind::LongWait,
    ];

    /// The spelling used in the `LOCKGRAPH` environment variable
    /// (`cycle`, `order`, `self`, `deadlock`, `long-wait`).
    pub fn env_name(self) -> &'static str {
        match self {
            ViolationKind::Cycle => "cycle",
            ViolationKind::OrderViolation => "order",
            ViolationKind::SelfDeadlock => "self",
            ViolationKind::Deadlock => "deadlock",
            ViolationKind::LongWait => "long-wait",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A lock as a report names it.
#[derive(Clone, Debug)]
pub struct LockRef {
    pub(crate) id: LockId,
    pub(crate) origin: Origin,
}

impl LockRef {
    pub(crate) fn new(id: LockId, origin: Origin) -> Self {
        LockRef { id, origin }
    }

    /// The lock's id.
    pub fn id(&self) -> LockId {
        self.id
    }

    /// The name given to `named`, if any.
    pub fn name(&self) -> Option<&'static str> {
        self.origin.name()
    }

    /// Where the lock was created (known for locks made with `new`).
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.origin.site()
    }
}

/// A lock some thread holds, and where that thread took it.
#[derive(Clone, Debug)]
pub struct HeldRef {
    pub(crate) lock: LockRef,
    pub(crate) access: Access,
    pub(crate) site: &'static Location<'static>,
}

impl HeldRef {
    pub(crate) fn from_held(held: &HeldLock) -> Self {
        HeldRef {
            lock: LockRef::new(held.id, held.origin),
            access: held.access,
            site: held.site,
        }
    }

    /// The lock.
    pub fn lock(&self) -> &LockRef {
        &self.lock
    }

    /// Where the thread took it.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }

    /// How the thread took it, as the method a report names: `"lock"` (a
    /// mutex, a reentrant mutex or a write), `"read"` (also `read_recursive`)
    /// or `"upgradable_read"`.
    pub fn verb(&self) -> &'static str {
        self.access.verb()
    }
}

/// A captured, lazily resolved backtrace: shared by every edge established by
/// the same pair of call sites, or taken when a blocked thread publishes its wait.
#[derive(Clone, Debug)]
pub struct CapturedBacktrace(pub(crate) Arc<parking_lot::Mutex<backtrace::Backtrace>>);

impl CapturedBacktrace {
    /// The current thread's stack, unresolved (symbols are looked up only
    /// when a report is printed).
    pub(crate) fn capture() -> Self {
        let backtrace = backtrace::Backtrace::new_unresolved();
        CapturedBacktrace(Arc::new(parking_lot::Mutex::new(backtrace)))
    }
}

/// One "A before B" edge of the lock-order graph, as it was first established.
#[derive(Clone, Debug)]
pub struct OrderEdge {
    pub(crate) from: LockRef,
    pub(crate) to: LockRef,
    pub(crate) thread: ThreadLabel,
    pub(crate) from_site: &'static Location<'static>,
    pub(crate) to_site: &'static Location<'static>,
    pub(crate) backtrace: Option<CapturedBacktrace>,
}

impl OrderEdge {
    /// The lock that was held.
    pub fn from(&self) -> &LockRef {
        &self.from
    }

    /// The lock that was taken while `from` was held.
    pub fn to(&self) -> &LockRef {
        &self.to
    }

    /// The thread that first established the edge.
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// Where `to` was taken when the edge was first established.
    pub fn site(&self) -> &'static Location<'static> {
        self.to_site
    }

    /// The stack when the edge was first established (shared by every edge made
    /// by the same pair of call sites); its `Display` shows the caller's frames.
    pub fn backtrace(&self) -> Option<&CapturedBacktrace> {
        self.backtrace.as_ref()
    }
}

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
}

impl Cycle {
    /// The thread that made the refused acquisition (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
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

/// One thread of an actual deadlock.
#[derive(Clone, Debug)]
pub struct BlockedThread {
    pub(crate) thread: ThreadLabel,
    pub(crate) waiting_for: LockRef,
    pub(crate) access: Access,
    pub(crate) since: &'static Location<'static>,
    pub(crate) holds: Vec<HeldRef>,
    /// Where the thread was when it started waiting (captured once the wait
    /// outlasted a check interval; resolved only when printed).
    pub(crate) backtrace: Option<CapturedBacktrace>,
}

impl BlockedThread {
    /// The thread's name, or its `ThreadId`.
    pub fn thread(&self) -> &str {
        &self.thread
    }

    /// The lock it waits for.
    pub fn waiting_for(&self) -> &LockRef {
        &self.waiting_for
    }

    /// How it waits to take that lock, as the method a report names (see
    /// [`HeldRef::verb`]).
    pub fn verb(&self) -> &'static str {
        self.access.verb()
    }

    /// Where it called the acquisition it waits in.
    pub fn site(&self) -> &'static Location<'static> {
        self.since
    }

    /// The locks it holds.
    pub fn holds(&self) -> &[HeldRef] {
        &self.holds
    }

    /// The stack where it started waiting (captured once the wait outlasted a
    /// check interval).
    pub fn backtrace(&self) -> Option<&CapturedBacktrace> {
        self.backtrace.as_ref()
    }
}

/// An actual deadlock: every thread of a wait-for cycle among lockgraph locks.
///
/// # Examples
///
/// Two threads that really deadlock; the watchdog finds the wait-for cycle
/// and a handler receives it (the threads stay blocked: a real deadlock has
/// no way out; that is fine here only because each doc test runs in its own
/// process, which ends when the example returns).
///
/// ```
/// use std::sync::{Arc, Barrier, mpsc};
/// use std::time::Duration;
/// use lockgraph::{Mutex, Policy, Violation, ViolationKind};
///
/// lockgraph::set_kind_policy(ViolationKind::Cycle, Policy::Ignore);
/// lockgraph::set_kind_policy(ViolationKind::Deadlock, Policy::Warn);
/// lockgraph::set_deadlock_check(Some(Duration::from_millis(20)));
/// let (found, reports) = mpsc::channel();
/// let found = std::sync::Mutex::new(found);
/// lockgraph::set_handler(Some(Box::new(move |v: &Violation| {
///     if let Violation::Deadlock(deadlock) = v {
///         let _ = found.lock().unwrap().send(deadlock.clone());
///     }
/// })));
///
/// let locks = [Mutex::named("left", ()), Mutex::named("right", ())];
/// let locks: &'static [Mutex<()>; 2] = Box::leak(Box::new(locks));
/// let barrier = Arc::new(Barrier::new(2));
/// for (name, first, second) in [("one", 0, 1), ("two", 1, 0)] {
///     let barrier = Arc::clone(&barrier);
///     std::thread::Builder::new().name(name.into()).spawn(move || {
///         let _held = locks[first].lock();
///         barrier.wait();
///         let _never = locks[second].lock(); // both wait here for good
///     }).unwrap();
/// }
///
/// let deadlock = reports.recv_timeout(Duration::from_secs(20)).expect("reported");
/// let mut threads: Vec<_> = deadlock.threads().iter().collect();
/// threads.sort_by_key(|t| t.thread().to_owned());
/// assert_eq!(threads[0].thread(), "one");
/// assert_eq!(threads[0].waiting_for().name(), Some("right"));
/// assert_eq!(threads[0].verb(), "lock");
/// assert_eq!(threads[0].holds()[0].lock().name(), Some("left"));
/// assert_eq!(threads[1].waiting_for().name(), Some("left"));
/// assert!(threads[1].site().file().ends_with(".rs"));
/// println!("{}", Violation::Deadlock(deadlock.clone()));
/// ```
#[derive(Clone, Debug)]
pub struct Deadlock {
    pub(crate) threads: Vec<BlockedThread>,
}

impl Deadlock {
    /// The threads of the cycle, each waiting for a lock the next one holds.
    pub fn threads(&self) -> &[BlockedThread] {
        &self.threads
    }
}

/// A thread that has waited for a lock longer than the long-wait threshold.
///
/// # Examples
///
/// Reading a long wait in a handler (in a process of its own: the handler and
/// the threshold are process-wide):
///
/// ```standalone_crate
/// use std::sync::{Arc, Barrier, Mutex as StdMutex};
/// use std::time::Duration;
/// use lockgraph::{set_handler, set_long_wait, set_policy, Mutex, Policy, Violation};
///
/// set_policy(Policy::Warn);
/// set_long_wait(Some(Duration::from_millis(20)));
/// let seen = Arc::new(StdMutex::new(Vec::new()));
/// let sink = seen.clone();
/// set_handler(Some(Box::new(move |v| {
///     if let Violation::LongWait(wait) = v {
///         let (holder, held) = wait.holders().next().expect("the holder is known");
///         sink.lock().unwrap().push((
///             wait.thread().to_string(),
///             wait.waiting_for().name(),
///             holder.to_string(),
///             held.verb(),
///             wait.waited() >= Duration::from_millis(20),
///         ));
///     }
/// })));
/// let lock = Arc::new(Mutex::named("slow", ()));
/// let taken = Arc::new(Barrier::new(2));
/// let holder = {
///     let (lock, taken) = (lock.clone(), taken.clone());
///     std::thread::Builder::new().name("holder".into()).spawn(move || {
///         let _held = lock.lock();
///         taken.wait();
///         std::thread::sleep(Duration::from_millis(300));
///     }).unwrap()
/// };
/// taken.wait();
/// let waiter = std::thread::Builder::new().name("waiter".into());
/// waiter.spawn(move || drop(lock.lock())).unwrap().join().unwrap();
/// holder.join().unwrap();
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen.len(), 1, "one report per wait");
/// assert_eq!(seen[0], ("waiter".into(), Some("slow"), "holder".into(), "lock", true));
/// ```
#[derive(Clone, Debug)]
pub struct LongWait {
    pub(crate) waiter: BlockedThread,
    pub(crate) waited: Duration,
    /// The threads holding the lock (known only for threads that are blocked
    /// themselves or were holding it when the waiter looked), with their sites.
    pub(crate) holders: Vec<(ThreadLabel, HeldRef)>,
}

impl LongWait {
    /// The waiting thread: its name, the lock it waits for, where, and what it holds.
    pub fn waiter(&self) -> &BlockedThread {
        &self.waiter
    }

    /// The waiting thread's name, or its `ThreadId` (as `waiter().thread()`).
    pub fn thread(&self) -> &str {
        &self.waiter.thread
    }

    /// The lock it waits for (as `waiter().waiting_for()`).
    pub fn waiting_for(&self) -> &LockRef {
        &self.waiter.waiting_for
    }

    /// Where it called the acquisition it waits in (as `waiter().site()`).
    pub fn site(&self) -> &'static Location<'static> {
        self.waiter.since
    }

    /// The other threads that held the lock when the wait was reported, each
    /// with its name and how and where it took the lock. Empty when no holder
    /// is known (one that took the lock without tracking, or before long waits
    /// were switched on).
    pub fn holders(&self) -> impl ExactSizeIterator<Item = (&str, &HeldRef)> {
        self.holders.iter().map(|(thread, held)| (&**thread, held))
    }

    /// How long the thread had waited when it was reported.
    pub fn waited(&self) -> Duration {
        self.waited
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
        }
    }

    /// The locks involved: for a cycle, the lock being taken and then every lock
    /// along the cycle; for an order violation, the held lock and the lock being
    /// taken; for a deadlock, the lock each thread waits for.
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
