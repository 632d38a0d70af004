//! The vocabulary of lock-order programs: which locks exist, what each thread
//! does, and in which order the threads take their turns.

/// The kind of a lock in a [`Program`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// A [`Mutex`](crate::Mutex).
    Mutex,
    /// An [`RwLock`](crate::RwLock).
    RwLock,
    /// A [`ReentrantMutex`](crate::ReentrantMutex).
    ReentrantMutex,
    /// A [`stdsync::Mutex`](crate::stdsync::Mutex).
    StdMutex,
    /// A [`stdsync::RwLock`](crate::stdsync::RwLock): `read_recursive` is a
    /// plain `read` (std has no other), `upgradable_read` a `write`.
    StdRwLock,
}

impl LockKind {
    /// Every kind.
    pub const ALL: [LockKind; 5] = [
        LockKind::Mutex,
        LockKind::RwLock,
        LockKind::ReentrantMutex,
        LockKind::StdMutex,
        LockKind::StdRwLock,
    ];

    /// Whether the kind can be read (a reader-writer lock).
    pub fn reads(self) -> bool {
        matches!(self, LockKind::RwLock | LockKind::StdRwLock)
    }
}

/// One operation of one thread. Locks are named by their slot (an index into
/// [`Program::kinds`]); an operation on a dropped slot does nothing.
///
/// # Examples
///
/// A plain `read` of an `RwLock` this thread already reads is a potential
/// deadlock (it goes on); `read_recursive` is not, and neither is re-taking a
/// `ReentrantMutex`; re-taking a mutex is a self-deadlock:
///
/// ```
/// use lockgraph::proptest::{plan, LockKind, Op, Program, Verdict};
///
/// let program = Program {
///     kinds: vec![LockKind::RwLock, LockKind::ReentrantMutex, LockKind::Mutex],
///     classes: vec![],
///     threads: vec![vec![
///         Op::Read(0),
///         Op::ReadRecursive(0),
///         Op::Lock(1),
///         Op::Lock(1),
///         Op::Read(0),
///         Op::Lock(2),
///         Op::Lock(2),
///     ]],
///     turns: vec![],
/// };
/// let verdicts: Vec<Verdict> = plan(&program).into_iter().flat_map(|(_, v)| v).collect();
/// assert_eq!(verdicts, [Verdict::RecursiveRead { lock: 0 }, Verdict::SelfDeadlock { lock: 2 }]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `lock()` (`write()` on an `RwLock`).
    Lock(usize),
    /// `write()` (`lock()` on a mutex).
    Write(usize),
    /// `read()` (`lock()` on a mutex).
    Read(usize),
    /// `read_recursive()` (`lock()` on a mutex).
    ReadRecursive(usize),
    /// `upgradable_read()` (`lock()` on a mutex).
    UpgradableRead(usize),
    /// `try_lock()` (`try_write()` on an `RwLock`): never blocks, never reports.
    TryLock(usize),
    /// Drops this thread's most recent guard of the lock, whatever its position.
    Unlock(usize),
    /// Drops every guard this thread holds (every thread does so after its last op).
    UnlockAll,
    /// [`lock_all`](crate::lock_all) over the listed locks (any kinds mixed),
    /// each taken as `lock()` (`write()` on an `RwLock`).
    LockAll(Vec<usize>),
    /// An [`OrderedSet`](crate::OrderedSet) of the listed `(slot, read)`
    /// members, locked once: a reader-writer lock with `read` set is a
    /// `for_read()` member; `read` means nothing for a mutex.
    LockSet(Vec<(usize, bool)>),
    /// [`try_lock_all`](crate::try_lock_all) over `(slot, read)` members as
    /// [`Op::LockSet`]: all or nothing, never blocks, never reports.
    TryLockAll(Vec<(usize, bool)>),
    /// Creates a fresh lock in a dropped slot (a new id, the same kind and name).
    Create(usize),
    /// Drops the lock in a slot: its node and edges leave the graph.
    Drop(usize),
    /// Switches [`Mode::Ascending`](crate::Mode::Ascending) on (`true`) or
    /// back to [`Mode::Graph`](crate::Mode::Graph), process-wide, for the
    /// following steps.
    Ascending(bool),
}

/// A lock-order program: the locks, what each thread does, and the order in
/// which threads take their turns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Program {
    /// The kind of each lock slot; every slot starts with a live lock.
    pub kinds: Vec<LockKind>,
    /// The [class](crate::LockClass) of each lock slot, by number: every
    /// lock made in the slot is of it (a slot past the end is of class 0).
    /// The runner makes the classes anew for each run, so that a run's class
    /// edges never meet another run's.
    pub classes: Vec<usize>,
    /// Each thread's operations, in program order.
    pub threads: Vec<Vec<Op>>,
    /// Whose turn it is, one entry per step; entries naming a thread that has
    /// nothing left to do are ignored. When the entries run out, the remaining
    /// operations run thread by thread.
    pub turns: Vec<usize>,
}

/// One operation of one thread, at its place in the run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    /// The thread (its index in [`Program::threads`]).
    pub thread: usize,
    /// What it does.
    pub op: Op,
}

impl Program {
    /// The class of the locks of `slot`.
    pub(crate) fn class_of(&self, slot: usize) -> usize {
        self.classes.get(slot).copied().unwrap_or(0)
    }

    /// The program as one sequence of steps, in the order the turns give, with
    /// an [`Op::UnlockAll`] after each thread's last operation.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::proptest::{LockKind, Op, Program, Step};
    ///
    /// let program = Program {
    ///     kinds: vec![LockKind::Mutex],
    ///     classes: vec![],
    ///     threads: vec![vec![Op::Lock(0)], vec![Op::Lock(0)]],
    ///     turns: vec![1],
    /// };
    /// let threads: Vec<usize> = program.steps().iter().map(|s| s.thread).collect();
    /// assert_eq!(threads, [1, 1, 0, 0]);
    /// ```
    pub fn steps(&self) -> Vec<Step> {
        let mut next = vec![0; self.threads.len()];
        let mut steps = Vec::new();
        let rest =
            (0..self.threads.len()).flat_map(|t| std::iter::repeat_n(t, self.threads[t].len()));
        for thread in self.turns.iter().copied().chain(rest) {
            let Some(ops) = self.threads.get(thread) else {
                continue;
            };
            let Some(op) = ops.get(next[thread]) else {
                continue;
            };
            next[thread] += 1;
            steps.push(Step {
                thread,
                op: op.clone(),
            });
            if next[thread] == ops.len() {
                steps.push(Step {
                    thread,
                    op: Op::UnlockAll,
                });
            }
        }
        steps
    }
}

/// How a thread holds a lock (the model's and the runner's shared reading of an op).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// A mutex, or an `RwLock` taken for writing.
    Exclusive,
    /// `read`.
    Read,
    /// `read_recursive`.
    ReadRecursive,
    /// `upgradable_read`.
    Upgradable,
    /// A `ReentrantMutex`.
    Reentrant,
}

impl Hold {
    /// How a blocking acquisition of a lock of `kind` by `op` holds it.
    pub(crate) fn of(kind: LockKind, op: &Op) -> Hold {
        match (kind, op) {
            (LockKind::Mutex | LockKind::StdMutex, _) => Hold::Exclusive,
            (LockKind::ReentrantMutex, _) => Hold::Reentrant,
            (LockKind::RwLock, Op::Read(_)) => Hold::Read,
            (LockKind::RwLock, Op::ReadRecursive(_)) => Hold::ReadRecursive,
            (LockKind::RwLock, Op::UpgradableRead(_)) => Hold::Upgradable,
            (LockKind::StdRwLock, Op::Read(_) | Op::ReadRecursive(_)) => Hold::Read,
            (LockKind::RwLock | LockKind::StdRwLock, _) => Hold::Exclusive,
        }
    }

    /// How a set member of a lock of `kind` holds it (`read`: a `for_read()`
    /// member).
    pub(crate) fn of_member(kind: LockKind, read: bool) -> Hold {
        match read && kind.reads() {
            true => Hold::Read,
            false => Hold::of(kind, &Op::Lock(0)),
        }
    }

    /// Whether taking a lock as `self` waits for another thread holding it as `other`.
    pub(crate) fn waits_for(self, other: Hold) -> bool {
        match self {
            Hold::Read | Hold::ReadRecursive => other == Hold::Exclusive,
            Hold::Upgradable => matches!(other, Hold::Exclusive | Hold::Upgradable),
            Hold::Exclusive | Hold::Reentrant => true,
        }
    }

    /// Whether a thread holding a lock as `previous` may take it again as `self`
    /// (anything else is a self-deadlock).
    /// Whether this is a plain read of a lock already held for reading (a
    /// potential deadlock through a queued writer, which goes on).
    pub(crate) fn reads_again(self, previous: Hold) -> bool {
        self == Hold::Read
            && matches!(
                previous,
                Hold::Read | Hold::ReadRecursive | Hold::Upgradable
            )
    }

    pub(crate) fn reenters(self, previous: Hold) -> bool {
        match self {
            Hold::Reentrant => previous == Hold::Reentrant,
            Hold::ReadRecursive => {
                matches!(
                    previous,
                    Hold::Read | Hold::ReadRecursive | Hold::Upgradable
                )
            }
            _ => false,
        }
    }
}

impl Op {
    /// The slot a single-lock operation names.
    pub(crate) fn slot(&self) -> Option<usize> {
        match *self {
            Op::Lock(s)
            | Op::Write(s)
            | Op::Read(s)
            | Op::ReadRecursive(s)
            | Op::UpgradableRead(s)
            | Op::TryLock(s)
            | Op::Unlock(s)
            | Op::Create(s)
            | Op::Drop(s) => Some(s),
            Op::UnlockAll
            | Op::LockAll(_)
            | Op::LockSet(_)
            | Op::TryLockAll(_)
            | Op::Ascending(_) => None,
        }
    }
}
