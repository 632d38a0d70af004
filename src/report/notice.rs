//! Notices: things lockgraph tells you that are not lock-order problems, but
//! that change what it can check (a lock it stops tracking, ids it runs out
//! of). They are reported as [`Violation::Notice`](super::Violation::Notice),
//! through the handler and the policies like every other kind.

use super::{LockRef, ThreadLabel};

/// What a [`Notice`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoticeKind {
    /// A lock was dropped while the thread dropping it still held it: its
    /// guard was leaked (`mem::forget`, `MutexGuard::leak`). lockgraph forgets
    /// the lock; it is not a deadlock.
    DroppedWhileHeld,
    /// All 2^56 - 1 lock ids are used: locks used from now on share one
    /// untracked id and are not checked. Given once per process.
    IdsExhausted,
}

/// Something lockgraph tells you that is not a lock-order problem: a lock
/// dropped while its guard was leaked, or the end of the id space.
///
/// Its policy is [`Policy::Warn`](crate::Policy::Warn) unless set for
/// [`ViolationKind::Notice`](super::ViolationKind::Notice) itself (see
/// [`Policy`](crate::Policy)): printed once, never a panic.
///
/// # Examples
///
/// A handler sees a lock dropped with its guard leaked (in a process of its
/// own: the handler is process-wide):
///
/// ```standalone_crate
/// use std::sync::{Arc, Mutex as StdMutex};
/// use lockgraph::report::{Notice, NoticeKind};
/// use lockgraph::{set_handler, Mutex, Violation};
///
/// let found = Arc::new(StdMutex::new(None));
/// let sink = Arc::clone(&found);
/// set_handler(Some(Box::new(move |v: &Violation| {
///     if let Violation::Notice(notice) = v {
///         *sink.lock().unwrap() = Some(notice.clone());
///     }
/// })));
/// let lock = Mutex::named("leaky", 0);
/// std::mem::forget(lock.lock()); // the guard is never dropped
/// drop(lock); // a notice, printed once; no panic
/// set_handler(None);
/// let notice: Notice = found.lock().unwrap().take().expect("a notice");
/// assert_eq!(notice.kind(), NoticeKind::DroppedWhileHeld);
/// assert_eq!((notice.lock().name(), notice.thread()), (Some("leaky"), "main"));
/// assert!(notice.to_string().starts_with("lockgraph: notice: "));
/// ```
#[derive(Clone, Debug)]
pub struct Notice {
    pub(crate) kind: NoticeKind,
    pub(crate) lock: LockRef,
    pub(crate) thread: ThreadLabel,
}

impl Notice {
    /// What happened.
    pub fn kind(&self) -> NoticeKind {
        self.kind
    }

    /// The lock it happened to: the lock dropped, or, for
    /// [`NoticeKind::IdsExhausted`], the first lock taken without an id of its
    /// own (its [`id`](LockRef::id) is the one all such locks share).
    pub fn lock(&self) -> &LockRef {
        &self.lock
    }

    /// The thread it happened on (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.thread
    }
}
