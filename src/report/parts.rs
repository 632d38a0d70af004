//! The pieces reports are made of: locks as a report names them, held
//! locks, the edges of the lock-order graph, and captured backtraces.

use std::panic::Location;
use std::sync::Arc;

use crate::held::{Access, HeldLock};
use crate::id::LockId;
use crate::meta::Origin;

/// What a thread is called in reports: its name, or else its `ThreadId`.
pub(crate) type ThreadLabel = Arc<str>;

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

/// A captured, lazily resolved stack: the stack of the thread that first
/// took locks at an edge's two call sites in that order (kept once per pair
/// of call sites and shared by every edge made there, see
/// [`OrderEdge::backtrace_is_own`]), or of a blocked thread when it published
/// its wait.
///
/// Its `Display` shows the program's frames: from the first frame outside
/// lockgraph, the crates it is built on and the standard library, at most
/// eight of them, with std's frames left out.
#[derive(Clone, Debug)]
pub struct CapturedBacktrace(pub(crate) Arc<Captured>);

/// What [`CapturedBacktrace`] shares.
#[derive(Debug)]
pub(crate) struct Captured {
    /// Unresolved until a report is printed (then resolved in place).
    pub(crate) frames: parking_lot::Mutex<backtrace::Backtrace>,
    /// The thread whose stack it is.
    pub(crate) thread: ThreadLabel,
    /// The edge (from, to) it was captured for, if any.
    pub(crate) edge: Option<(LockId, LockId)>,
}

impl CapturedBacktrace {
    /// The current thread's stack, unresolved (symbols are looked up only
    /// when a report is printed), as the stack of `thread` when it made
    /// `edge`, if it is captured for an edge.
    pub(crate) fn capture(thread: ThreadLabel, edge: Option<(LockId, LockId)>) -> Self {
        CapturedBacktrace(Arc::new(Captured {
            frames: parking_lot::Mutex::new(backtrace::Backtrace::new_unresolved()),
            thread,
            edge,
        }))
    }

    /// The thread whose stack this is (its name, or else its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.0.thread
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
    /// The edge's gate when the report was made (see [`OrderEdge::gate`]).
    pub(crate) gate: Vec<LockRef>,
    /// The ways the edge was made (see [`OrderEdge::kinds`]).
    pub(crate) kinds: crate::graph::dep::Kinds,
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

    /// The edge's gate: the locks held (exclusively) around it every time it
    /// was made, as far as they are still alive. In a reported cycle, no one
    /// lock is in the gate of every edge (such a cycle is not reported); a
    /// gate here shows the lock that serialised part of the cycle only.
    pub fn gate(&self) -> &[LockRef] {
        &self.gate
    }

    /// The ways the edge was made, as lockdep writes them: `E` or `S` for
    /// the lock that was held (exclusively, or shared: a read, a recursive
    /// read or an upgradable read), then `N` or `R` for the lock taken (as a
    /// lock, a write, an upgradable or a plain read; or as a recursive read,
    /// which waits for no reader). A cycle in which one lock is taken as a
    /// recursive read (`*R` into it) while held shared (`S*` out of it)
    /// cannot deadlock there, and is not reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex as StdMutex};
    /// use lockgraph::{Mutex, Policy, RwLock, Violation};
    ///
    /// let seen: Arc<StdMutex<Vec<Violation>>> = Default::default();
    /// let keep = Arc::clone(&seen);
    /// lockgraph::set_handler(Some(Box::new(move |v| keep.lock().unwrap().push(v.clone()))));
    /// lockgraph::set_policy(Policy::Warn);
    /// let (table, log) = (RwLock::new(()), Mutex::new(()));
    /// drop((table.read(), log.lock())); // table -(SN)-> log
    /// drop((log.lock(), table.write())); // log -(EN)-> table: closes it
    /// let seen = seen.lock().unwrap();
    /// let Some(Violation::Cycle(cycle)) = seen.first() else { panic!("no cycle") };
    /// assert_eq!(cycle.path()[0].kinds(), ["SN"]);
    /// ```
    pub fn kinds(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|kind| kind.letters()).collect()
    }

    /// A stack of the thread that first took locks at this edge's two call
    /// sites in this order: captured once per pair of call sites, not once
    /// per edge, so it is this edge's own only if
    /// [`backtrace_is_own`](Self::backtrace_is_own); otherwise it is the stack
    /// of [`CapturedBacktrace::thread`] when it took other locks at these two
    /// lines. Its `Display` shows the caller's frames.
    pub fn backtrace(&self) -> Option<&CapturedBacktrace> {
        self.backtrace.as_ref()
    }

    /// Whether [`backtrace`](Self::backtrace) was captured when this very edge
    /// was established (by [`thread`](Self::thread), with these two locks).
    /// False when it comes from an earlier edge made at the same two call
    /// sites, possibly by another thread, and when there is no backtrace.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex as StdMutex};
    /// use lockgraph::{Mutex, Policy, Violation};
    ///
    /// let seen: Arc<StdMutex<Vec<Violation>>> = Default::default();
    /// let keep = Arc::clone(&seen);
    /// lockgraph::set_handler(Some(Box::new(move |v| keep.lock().unwrap().push(v.clone()))));
    /// lockgraph::set_policy(Policy::Warn);
    /// let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| drop((a.lock(), b.lock())));
    /// });
    /// drop((b.lock(), a.lock())); // closes the cycle: reported (Warn)
    /// let seen = seen.lock().unwrap();
    /// let Some(Violation::Cycle(cycle)) = seen.first() else { panic!("no cycle") };
    /// let earlier = &cycle.path()[0];
    /// assert!(earlier.backtrace_is_own());
    /// assert_eq!(earlier.backtrace().map(|bt| bt.thread()), Some(earlier.thread()));
    /// ```
    pub fn backtrace_is_own(&self) -> bool {
        self.backtrace
            .as_ref()
            .is_some_and(|b| b.0.edge == Some((self.from.id, self.to.id)))
    }
}
