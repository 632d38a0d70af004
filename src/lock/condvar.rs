//! `Condvar`, working with lockgraph's own [`MutexGuard`].

use std::time::{Duration, Instant};

use crate::pl::WaitTimeoutResult;

use crate::acquire;
use crate::lock::mutex::MutexGuard;

/// Runs a raw wait with the mutex out of this thread's held set; its
/// re-acquisition is checked first.
#[track_caller]
fn released<'a, T: ?Sized, R>(
    guard: &mut MutexGuard<'a, T>,
    wait: impl FnOnce(&mut crate::pl::MutexGuard<'a, T>) -> R,
) -> R {
    let suspended = acquire::suspend(&guard.token, None);
    let result = wait(&mut guard.inner);
    suspended.resume();
    result
}

/// A condition variable (parking_lot's, with its signatures) that waits on a
/// lockgraph [`MutexGuard`](crate::MutexGuard).
///
/// During a wait the mutex leaves the thread's held set; its re-acquisition
/// after the wait is a blocking acquisition, checked before the thread waits.
/// A condition-variable wait is never reported as a deadlock or a long wait.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use lockgraph::{Condvar, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = Arc::clone(&pair);
/// std::thread::spawn(move || {
///     *pair2.0.lock() = true;
///     pair2.1.notify_one();
/// });
/// let (started, cvar) = &*pair;
/// let mut started = started.lock();
/// cvar.wait_while(&mut started, |started| !*started);
/// assert!(*started);
/// ```
#[derive(Debug, Default)]
pub struct Condvar {
    inner: crate::pl::Condvar,
}

impl Condvar {
    /// Creates a condition variable.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "static READY: lockgraph::Condvar = lockgraph::Condvar::new();"]
    #[doc = "assert!(!READY.notify_one()); // nobody waits"]
    #[doc = "```"]
    pub const fn new() -> Self {
        Condvar {
            inner: crate::pl::Condvar::new(),
        }
    }

    /// Wakes one waiting thread; returns whether one was woken.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let cv = lockgraph::Condvar::new();"]
    #[doc = "assert!(!cv.notify_one());"]
    #[doc = "```"]
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread; returns how many were woken.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "let cv = lockgraph::Condvar::new();"]
    #[doc = "assert_eq!(cv.notify_all(), 0);"]
    #[doc = "```"]
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Blocks until notified, releasing the mutex while it waits.
    ///
    /// # Lock order
    /// Records `H -> mutex` for every other lock `H` this thread holds (the
    /// re-acquisition), checked before waiting.
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::sync::Arc;"]
    #[doc = "use lockgraph::{Condvar, Mutex};"]
    #[doc = "let pair = Arc::new((Mutex::new(false), Condvar::new()));"]
    #[doc = "let other = Arc::clone(&pair);"]
    #[doc = "std::thread::spawn(move || {"]
    #[doc = "    *other.0.lock() = true;"]
    #[doc = "    other.1.notify_one();"]
    #[doc = "});"]
    #[doc = "let mut ready = pair.0.lock();"]
    #[doc = "while !*ready {"]
    #[doc = "    pair.1.wait(&mut ready);"]
    #[doc = "}"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        released(guard, |inner| self.inner.wait(inner));
    }

    /// Waits until `condition` returns false, checking it before each wait.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::sync::Arc;"]
    #[doc = "use lockgraph::{Condvar, Mutex};"]
    #[doc = "let pair = Arc::new((Mutex::new(0), Condvar::new()));"]
    #[doc = "let other = Arc::clone(&pair);"]
    #[doc = "std::thread::spawn(move || {"]
    #[doc = "    *other.0.lock() = 3;"]
    #[doc = "    other.1.notify_all();"]
    #[doc = "});"]
    #[doc = "let mut count = pair.0.lock();"]
    #[doc = "pair.1.wait_while(&mut count, |n| *n < 3);"]
    #[doc = "assert_eq!(*count, 3);"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait_while<T: ?Sized, F>(&self, guard: &mut MutexGuard<'_, T>, condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        released(guard, |inner| self.inner.wait_while(inner, condition));
    }

    /// Waits until notified or until `deadline`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::time::{Duration, Instant};"]
    #[doc = "let (m, cv) = (lockgraph::Mutex::new(()), lockgraph::Condvar::new());"]
    #[doc = "let mut guard = m.lock();"]
    #[doc = "let deadline = Instant::now() + Duration::from_millis(5);"]
    #[doc = "assert!(cv.wait_until(&mut guard, deadline).timed_out());"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        released(guard, |inner| self.inner.wait_until(inner, deadline))
    }

    /// Waits until notified or for at most `timeout`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::time::Duration;"]
    #[doc = "let (m, cv) = (lockgraph::Mutex::new(()), lockgraph::Condvar::new());"]
    #[doc = "let mut guard = m.lock();"]
    #[doc = "assert!(cv.wait_for(&mut guard, Duration::from_millis(5)).timed_out());"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        released(guard, |inner| self.inner.wait_for(inner, timeout))
    }

    /// Waits until `condition` returns false or until `deadline`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::time::{Duration, Instant};"]
    #[doc = "let (m, cv) = (lockgraph::Mutex::new(0), lockgraph::Condvar::new());"]
    #[doc = "let mut guard = m.lock();"]
    #[doc = "let deadline = Instant::now() + Duration::from_millis(5);"]
    #[doc = "assert!(cv.wait_while_until(&mut guard, |n| *n == 0, deadline).timed_out());"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait_while_until<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        deadline: Instant,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        released(guard, |inner| {
            self.inner.wait_while_until(inner, condition, deadline)
        })
    }

    /// Waits until `condition` returns false or for at most `timeout`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    #[doc = "```"]
    #[doc = "use std::time::Duration;"]
    #[doc = "let (m, cv) = (lockgraph::Mutex::new(1), lockgraph::Condvar::new());"]
    #[doc = "let mut guard = m.lock();"]
    #[doc = "// The condition is already false: no wait at all."]
    #[doc = "assert!(!cv.wait_while_for(&mut guard, |n| *n == 0, Duration::from_secs(5)).timed_out());"]
    #[doc = "```"]
    #[track_caller]
    pub fn wait_while_for<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        released(guard, |inner| {
            self.inner.wait_while_for(inner, condition, timeout)
        })
    }
}
