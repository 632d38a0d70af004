//! `Condvar`, working with lockgraph's own [`MutexGuard`].

use std::time::{Duration, Instant};

use parking_lot::WaitTimeoutResult;

use crate::lock::mutex::MutexGuard;
use crate::tracker;

/// Runs a raw wait with the mutex out of this thread's held set; its
/// re-acquisition is checked first.
#[track_caller]
fn released<'a, T: ?Sized, R>(
    guard: &mut MutexGuard<'a, T>,
    wait: impl FnOnce(&mut parking_lot::MutexGuard<'a, T>) -> R,
) -> R {
    let suspended = tracker::suspend(&guard.token, None);
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
    inner: parking_lot::Condvar,
}

impl Condvar {
    /// Creates a condition variable.
    pub const fn new() -> Self {
        Condvar {
            inner: parking_lot::Condvar::new(),
        }
    }

    /// Wakes one waiting thread; returns whether one was woken.
    pub fn notify_one(&self) -> bool {
        self.inner.notify_one()
    }

    /// Wakes every waiting thread; returns how many were woken.
    pub fn notify_all(&self) -> usize {
        self.inner.notify_all()
    }

    /// Blocks until notified, releasing the mutex while it waits.
    ///
    /// # Lock order
    /// Records `H -> mutex` for every other lock `H` this thread holds (the
    /// re-acquisition), checked before waiting.
    #[track_caller]
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        released(guard, |inner| self.inner.wait(inner));
    }

    /// Waits until `condition` returns false, checking it before each wait.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
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
