//! `stdsync::Condvar`: std's condition variable over lockgraph's std-flavoured guard.

use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::sync::{LockResult, PoisonError, WaitTimeoutResult};
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;
use super::poisoning::{StdPoison, map_lock, settle};
use crate::acquire::{self, HeldToken, PoisonSeen, Suspended};
use crate::meta::{Flavour, LockMeta};

/// A guard taken apart for a wait: its mutex is out of the held set.
struct Parked<'a> {
    token: HeldToken<'a>,
    suspended: Suspended,
}

impl<'a> Parked<'a> {
    /// Takes `guard`'s mutex out of the held set and checks its re-acquisition.
    /// A report that panics drops std's guard first, outside the unwinding, so
    /// lockgraph's panic does not poison the mutex.
    fn park<T: ?Sized>(
        guard: MutexGuard<'a, T>,
        site: &'static Location<'static>,
    ) -> (std::sync::MutexGuard<'a, T>, Self) {
        let MutexGuard { inner, token } = guard;
        match catch_unwind(AssertUnwindSafe(|| {
            acquire::suspend_at(&token, None, site, Flavour::Std)
        })) {
            Ok(suspended) => (inner, Parked { token, suspended }),
            Err(report) => {
                drop(inner);
                resume_unwind(report)
            }
        }
    }

    /// The mutex is held again.
    fn resume<T: ?Sized>(self, inner: std::sync::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let Parked { token, suspended } = self;
        suspended.resume();
        MutexGuard { inner, token }
    }

    /// The mutex's header, if the guard was recorded.
    fn header(&self) -> Option<&'a LockMeta> {
        self.token.meta()
    }
}

/// What a wait sees of the mutex: not the mutex itself (std's guard does not
/// give it back), so its poison flag can be neither read again nor cleared.
struct MutexUnseen;

impl StdPoison for MutexUnseen {
    fn poisoned(&self) -> bool {
        true // as std said
    }
    fn clear(&self) {} // never asked: the wait says it cannot
}

/// std's result of a wait, the mutex taken again (`header` its header, if it
/// was recorded): poison left by a report's unwinding is forgiven (but stays
/// set until the mutex is next taken with `lock`).
fn after_wait<G>(result: LockResult<G>, header: Option<&LockMeta>) -> LockResult<G> {
    match header {
        Some(header) => settle(result, &MutexUnseen, header, PoisonSeen::TakenAfterWait),
        None => result,
    }
}

/// A condition variable with [`std::sync::Condvar`]'s API that waits on a
/// lockgraph [`stdsync::MutexGuard`](MutexGuard).
///
/// During a wait the mutex leaves the thread's held set; its re-acquisition is
/// a blocking acquisition, checked before the thread waits. Poisoning is std's:
/// a wait returns `Err(PoisonError)` with the guard if the mutex is poisoned,
/// unless by a lockgraph report's unwinding (see [the module
/// docs](super#poisoning-and-lockgraphs-reports)); `wait_while` then waits on.
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
    inner: std::sync::Condvar,
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
            inner: std::sync::Condvar::new(),
        }
    }

    /// Blocks until notified, releasing the mutex while it waits (spurious
    /// wake-ups are possible, as with std).
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
        let (inner, parked) = Parked::park(guard, Location::caller());
        let header = parked.header();
        after_wait(
            map_lock(self.inner.wait(inner), |inner| parked.resume(inner)),
            header,
        )
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
        loop {
            let (inner, parked) = Parked::park(guard, site);
            let header = parked.header();
            match self.inner.wait_while(inner, &mut condition) {
                Ok(inner) => return Ok(parked.resume(inner)),
                // std stops waiting when it sees poison: a forgiven one is no
                // reason to stop, so wait on (std checks the condition first).
                Err(poisoned) => {
                    let again = parked.resume(poisoned.into_inner());
                    guard = after_wait(Err(PoisonError::new(again)), header)?;
                }
            }
        }
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
        let (inner, parked) = Parked::park(guard, Location::caller());
        let header = parked.header();
        let waited = map_lock(self.inner.wait_timeout(inner, dur), |(inner, result)| {
            (parked.resume(inner), result)
        });
        after_wait(waited, header)
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
        loop {
            let (inner, parked) = Parked::park(guard, site);
            let header = parked.header();
            let left = dur.saturating_sub(start.elapsed());
            match self.inner.wait_timeout_while(inner, left, &mut condition) {
                Ok((inner, result)) => return Ok((parked.resume(inner), result)),
                // As in `wait_while`; std checks the condition, then the time
                // left, before it waits again.
                Err(poisoned) => {
                    let (inner, result) = poisoned.into_inner();
                    let again = (parked.resume(inner), result);
                    guard = after_wait(Err(PoisonError::new(again)), header)?.0;
                }
            }
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
        self.inner.notify_one()
    }

    /// Wakes every waiting thread.
    ///
    /// # Examples
    ///
    /// ```
    /// lockgraph::stdsync::Condvar::new().notify_all();
    /// ```
    pub fn notify_all(&self) {
        self.inner.notify_all()
    }
}
