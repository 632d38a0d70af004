//! What the watchdog finds among threads that wait: an actual deadlock, or a
//! wait longer than the long-wait threshold.

use std::panic::Location;
use std::time::Duration;

use super::{CapturedBacktrace, HeldRef, LockRef, ThreadLabel};
use crate::held::Access;

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
