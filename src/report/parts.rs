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
