//! Delivering a violation: the user's handler first, then the policy.
//!
//! Nothing here runs while lockgraph's graph lock is held, so a handler may use
//! lockgraph locks. A violation found inside the handler goes to the policy only
//! (never to the handler again), so a handler cannot recurse forever.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::Arc;

use parking_lot::Mutex as RawMutex;

use crate::config::{Policy, policy};
use crate::id::LockId;
use crate::report::{Violation, ViolationKind};

/// A function called for every violation, before the policy acts.
pub type Handler = Box<dyn Fn(&Violation) + Send + Sync>;

static HANDLER: RawMutex<Option<Arc<Handler>>> = RawMutex::new(None);
/// The key of every violation already printed under `Warn`.
type Warned = HashSet<(ViolationKind, Vec<LockId>)>;

static WARNED: RawMutex<Option<Warned>> = RawMutex::new(None);

/// Whether `Warn` leaves printing to the handler: while `lockgraph::proptest`
/// runs a program, which collects every violation through its handler and
/// reports the failing case itself (printed, each case of a shrinking run
/// would show its violations).
#[cfg(feature = "proptest")]
static WARN_QUIETLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether `Warn` prints (see [`WARN_QUIETLY`]); returns the setting
/// before.
#[cfg(feature = "proptest")]
pub(crate) fn set_warn_quietly(quietly: bool) -> bool {
    WARN_QUIETLY.swap(quietly, std::sync::atomic::Ordering::Relaxed)
}

/// Whether a `Warn` report is printed.
fn warn_prints() -> bool {
    #[cfg(feature = "proptest")]
    if WARN_QUIETLY.load(std::sync::atomic::Ordering::Relaxed) {
        return false;
    }
    true
}

thread_local! {
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
    /// Whether [`deferring`] runs, and whether it has held a violation back.
    static DEFERRING: Cell<Deferring> = const { Cell::new(Deferring::No) };
    /// The violations held back by [`deferring`].
    static DEFERRED: RefCell<Vec<Violation>> = const { RefCell::new(Vec::new()) };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Deferring {
    No,
    NothingFound,
    Found,
}

/// Runs `check` with every violation it reports held back instead of
/// delivered, and returns whether it held any back (those the policy ignores
/// are dropped as usual). For a check made while the thread holds the raw lock
/// it checks: the caller lets the lock go, then delivers them with
/// [`deliver_held_back`], so a handler never runs with that lock taken. Costs
/// a few thread-local reads and writes when nothing is found.
pub(crate) fn deferring<T>(check: impl FnOnce() -> T) -> (T, bool) {
    /// Ends the deferral, also if `check` unwinds (an internal error): then
    /// what it held back is dropped, not delivered at some later acquisition.
    struct End(Deferring);
    impl Drop for End {
        fn drop(&mut self) {
            if DEFERRING.replace(self.0) == Deferring::Found {
                let _ = DEFERRED.try_with(|deferred| deferred.borrow_mut().clear());
            }
        }
    }
    let end = End(DEFERRING.replace(Deferring::NothingFound));
    let value = check();
    let found = DEFERRING.replace(Deferring::NothingFound) == Deferring::Found;
    drop(end);
    (value, found)
}

/// Whether [`deferring`] can hold violations back on this thread: not while
/// its thread-locals are torn down (the list of held-back violations has a
/// destructor, and may be gone before a user's thread-local whose destructor
/// takes locks).
pub(crate) fn can_defer() -> bool {
    DEFERRED.try_with(|_| ()).is_ok()
}

/// Delivers (as [`report`]) the violations [`deferring`] held back.
pub(crate) fn deliver_held_back(before_panic: &dyn Fn()) {
    let held_back = DEFERRED.try_with(|deferred| std::mem::take(&mut *deferred.borrow_mut()));
    let held_back = held_back.unwrap_or_default().into_iter();
    held_back.for_each(|violation| report(violation, before_panic));
}

/// Installs (or with `None` removes) the handler called for every violation
/// before the policy acts, and returns the previous handler.
///
/// The handler runs on the thread that found the violation, with none of
/// lockgraph's internal locks held: it may take lockgraph locks. A violation
/// found while the handler runs on that thread is not handed to the handler
/// again, only to the policy. Under [`Policy::Ignore`] the handler is not called.
///
/// # Examples
///
/// Count potential deadlocks instead of panicking (in a process of its own:
/// the handler is process-wide):
///
/// ```standalone_crate
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use lockgraph::{set_handler, set_policy, Mutex, Policy};
///
/// let seen = Arc::new(AtomicUsize::new(0));
/// let counter = seen.clone();
/// let previous_handler = set_handler(Some(Box::new(move |v| {
///     assert!(v.to_string().starts_with("lockgraph: "));
///     counter.fetch_add(1, Ordering::SeqCst);
/// })));
/// let previous_policy = set_policy(Policy::Ignore);
/// set_policy(Policy::Warn); // the handler runs under Warn and Panic
/// let (a, b) = (Mutex::new(()), Mutex::new(()));
/// drop((a.lock(), b.lock()));
/// let _b = b.lock();
/// let _a = a.lock(); // closes the cycle a -> b -> a
/// assert_eq!(seen.load(Ordering::SeqCst), 1);
/// set_handler(previous_handler);
/// set_policy(previous_policy);
/// ```
pub fn set_handler(handler: Option<Handler>) -> Option<Handler> {
    let previous = std::mem::replace(&mut *HANDLER.lock(), handler.map(Arc::new));
    previous.map(|old| match Arc::try_unwrap(old) {
        Ok(handler) => handler,
        // Still running on some thread: hand back a handler that calls it.
        Err(shared) => Box::new(move |v: &Violation| shared(v)),
    })
}

/// Hands a violation to the handler, then acts on it as the policy says.
/// `before_panic` runs right before the report's panic is raised (not when
/// the thread is already panicking, nor for a panic of the handler's own):
/// the tracker marks the locks the thread holds as unwound by a report.
pub(crate) fn report(violation: Violation, before_panic: &dyn Fn()) {
    let policy = policy(violation.kind());
    if policy == Policy::Ignore || super::allow::keep_back(&violation) {
        return;
    }
    if DEFERRING.get() != Deferring::No {
        let mut violation = Some(violation);
        let _ = DEFERRED.try_with(|deferred| deferred.borrow_mut().extend(violation.take()));
        let Some(violation) = violation else {
            DEFERRING.set(Deferring::Found); // held back by `deferring`
            return;
        };
        // Unreachable: `deferring` runs only where `can_defer` said yes, and
        // the list is torn down only after every use of it.
        return deliver(violation, policy, before_panic);
    }
    deliver(violation, policy, before_panic);
}

/// [`report`] once the violation is to be delivered.
fn deliver(violation: Violation, policy: Policy, before_panic: &dyn Fn()) {
    call_handler(&violation);
    let certain = violation.kind() == ViolationKind::SelfDeadlock;
    if policy == Policy::Warn && !certain {
        if warn_prints() && first_time(&violation) {
            print_whole(format!("{violation}\n\n"));
        }
    } else if std::thread::panicking() {
        print_whole(format!(
            "{violation}\n(found while this thread was already panicking: not panicking again)\n\n"
        ));
    } else {
        before_panic();
        panic!("{violation}");
    }
}

/// Writes `text` to the process's stderr in one piece: formatted in full
/// first, then one write of the whole string. A format with several parts is
/// written part by part, and whatever other threads or processes write to the
/// same stderr (a test suite running in parallel) can land between the parts.
/// Not through `eprint!`: the test harness captures that for each test and
/// shows it only if the test fails, so a bad `LOCKGRAPH` value or a `Warn`
/// report in a passing test would never be seen (and a capture is lost if
/// the process aborts). Every message lockgraph prints goes through here.
pub(crate) fn print_whole(text: String) {
    use std::io::Write;
    // Nowhere else to say it if stderr is closed.
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn call_handler(violation: &Violation) {
    let Some(handler) = HANDLER.lock().clone() else {
        return;
    };
    // Not available while thread-locals are torn down: then run no handler.
    if IN_HANDLER
        .try_with(|flag| flag.replace(true))
        .unwrap_or(true)
    {
        return;
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = IN_HANDLER.try_with(|flag| flag.set(false));
        }
    }
    let _reset = Reset;
    handler(violation);
}

/// Forgets what was printed once this many distinct violations were (ids are
/// never reused, so a long run that keeps making new locks would grow forever).
const WARNED_LIMIT: usize = 100_000;

fn first_time(violation: &Violation) -> bool {
    let mut warned = WARNED.lock();
    let warned = warned.get_or_insert_with(HashSet::new);
    if warned.len() >= WARNED_LIMIT {
        warned.clear();
    }
    warned.insert(violation.key())
}
