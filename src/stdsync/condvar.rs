//! `stdsync::Condvar`: std's condition variable API over lockgraph's
//! std-flavoured guard, on std's condition variable algorithm.

use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::sync::LockResult;
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;
use crate::acquire;
use crate::meta::Flavour;
use crate::trusted::held::HeldStd;
use crate::trusted::std_mutex::StdCondvar;

/// Waits by `wait` with `guard`'s mutex out of the held set (its
/// re-acquisition checked first, at `site`), and hands the guard back as std
/// does: inside `Err` if the mutex is poisoned.
fn released<'a, T: ?Sized, R>(
    mut guard: MutexGuard<'a, T>,
    site: &'static Location<'static>,
    wait: impl FnOnce(&mut HeldStd<'a, T>) -> R,
) -> LockResult<(MutexGuard<'a, T>, R)> {
    let check = catch_unwind(AssertUnwindSafe(|| {
        guard.with_token(|token| acquire::suspend_at(token, None, site, Flavour::Std))
    }));
    let suspended = match check {
        Ok(suspended) => suspended,
        Err(report) => {
            // Released outside the report's unwinding, which has already
            // marked the other held locks: the mutex is not poisoned.
            drop(guard);
            resume_unwind(report)
        }
    };
    let waited = wait(&mut guard.inner);
    suspended.resume();
    let poison = &guard.inner.lock().poison;
    poison.result((guard, waited))
}

/// Whether a wait with a timeout ended because the time was up: std's
/// `WaitTimeoutResult`, which cannot be made outside std.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lockgraph::stdsync::{Condvar, Mutex, WaitTimeoutResult};
///
/// let (m, cvar) = (Mutex::new(()), Condvar::new());
/// let (_guard, result): (_, WaitTimeoutResult) =
///     cvar.wait_timeout(m.lock().unwrap(), Duration::from_millis(1)).unwrap();
/// assert!(result.timed_out());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// Whether the wait ended because its time was up.
    #[must_use]
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

/// A condition variable with [`std::sync::Condvar`]'s API that waits on a
/// lockgraph [`stdsync::MutexGuard`](MutexGuard).
///
/// During a wait the mutex leaves the thread's held set; its re-acquisition is
/// a blocking acquisition, checked before the thread waits. Poisoning is std's:
/// a wait returns `Err(PoisonError)` with the guard if the mutex is poisoned
/// (never by a lockgraph report's unwinding: see [the module
/// docs](super#poisoning-and-lockgraphs-reports)), and `wait_while` stops.
///
/// # Examples
///
/// ```
/// use lockgraph::stdsync::{Arc, Condvar, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Condvar::new()));
/// let pair2 = Arc::clone(&pair);
/// std::thread::spawn(move || {
///     *pair2.0.lock().unwrap() = true;
///     pair2.1.notify_one();
/// });
/// let (started, cvar) = &*pair;
/// let started = cvar.wait_while(started.lock().unwrap(), |s| !*s).unwrap();
/// assert!(*started);
/// ```
#[derive(Debug, Default)]
pub struct Condvar {
    inner: StdCondvar,
}

impl Condvar {
    /// Creates a condition variable.
    ///
    /// # Examples
    ///
    /// ```
    /// static READY: lockgraph::stdsync::Condvar = lockgraph::stdsync::Condvar::new();
    /// READY.notify_all();
    /// ```
    pub const fn new() -> Self {
        Condvar {
            inner: StdCondvar::new(),
        }
    }

    /// Blocks until notified, releasing the mutex while it waits. As with
    /// std's, a wait may also end without a notification (a spurious
    /// wake-up), so callers check their condition in a loop, or use
    /// [`wait_while`](Self::wait_while).
    ///
    /// # Lock order
    /// Records `H -> mutex` for every other lock `H` this thread holds (the
    /// re-acquisition), checked before waiting.
    ///
    /// # Panics
    /// Under `Panic`, if the re-acquisition closes a cycle (the mutex is then
    /// released, not poisoned).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{Arc, Condvar, Mutex};
    ///
    /// let pair = Arc::new((Mutex::new(0), Condvar::new()));
    /// let pair2 = Arc::clone(&pair);
    /// std::thread::spawn(move || {
    ///     *pair2.0.lock().unwrap() = 1;
    ///     pair2.1.notify_one();
    /// });
    /// let mut value = pair.0.lock().unwrap();
    /// while *value == 0 {
    ///     value = pair.1.wait(value).unwrap();
    /// }
    /// assert_eq!(*value, 1);
    /// ```
    #[track_caller]
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let waited = released(guard, Location::caller(), |held| {
            held.wait_on(&self.inner, None)
        });
        forget_result(waited)
    }

    /// Waits until `condition` returns false, checking it before each wait.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::stdsync::{Condvar, Mutex};
    ///
    /// let (queue, cvar) = (Mutex::new(vec![1]), Condvar::new());
    /// let queue = cvar.wait_while(queue.lock().unwrap(), |q| q.is_empty()).unwrap();
    /// assert_eq!(*queue, [1]);
    /// ```
    #[track_caller]
    pub fn wait_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        let site = Location::caller();
        // std's loop: a poisoned mutex ends it.
        while condition(&mut *guard) {
            guard = forget_result(released(guard, site, |held| {
                held.wait_on(&self.inner, None)
            }))?;
        }
        Ok(guard)
    }

    /// Waits until notified or for at most `dur`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lockgraph::stdsync::{Condvar, Mutex};
    ///
    /// let (m, cvar) = (Mutex::new(()), Condvar::new());
    /// let (_guard, result) = cvar.wait_timeout(m.lock().unwrap(), Duration::from_millis(1)).unwrap();
    /// assert!(result.timed_out());
    /// ```
    #[track_caller]
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        dur: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        released(guard, Location::caller(), |held| {
            WaitTimeoutResult(held.wait_on(&self.inner, Instant::now().checked_add(dur)))
        })
    }

    /// Waits until `condition` returns false or for at most `dur`.
    ///
    /// # Lock order
    /// As [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lockgraph::stdsync::{Condvar, Mutex};
    ///
    /// let (m, cvar) = (Mutex::new(false), Condvar::new());
    /// let (ready, result) = cvar
    ///     .wait_timeout_while(m.lock().unwrap(), Duration::from_millis(1), |ready| !*ready)
    ///     .unwrap();
    /// assert!(result.timed_out() && !*ready);
    /// ```
    #[track_caller]
    pub fn wait_timeout_while<'a, T, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        dur: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let (site, start) = (Location::caller(), Instant::now());
        // std's loop: the condition, then the time left, then a wait; a
        // poisoned mutex ends it.
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            let Some(left) = dur.checked_sub(start.elapsed()) else {
                return Ok((guard, WaitTimeoutResult(true)));
            };
            guard = released(guard, site, |held| {
                WaitTimeoutResult(held.wait_on(&self.inner, Instant::now().checked_add(left)))
            })?
            .0;
        }
    }

    /// Wakes one waiting thread.
    ///
    /// # Examples
    ///
    /// ```
    /// lockgraph::stdsync::Condvar::new().notify_one(); // no one waits: nothing happens
    /// ```
    pub fn notify_one(&self) {
        self.inner.notify_one();
    }

    /// Wakes every waiting thread.
    ///
    /// # Examples
    ///
    /// ```
    /// lockgraph::stdsync::Condvar::new().notify_all();
    /// ```
    pub fn notify_all(&self) {
        self.inner.notify_all();
    }
}

/// The guard of a wait's result, without what the wait returned.
fn forget_result<G, R>(waited: LockResult<(G, R)>) -> LockResult<G> {
    match waited {
        Ok((guard, _)) => Ok(guard),
        Err(poisoned) => Err(std::sync::PoisonError::new(poisoned.into_inner().0)),
    }
}
