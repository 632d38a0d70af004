//! Running a program on real lockgraph locks.
//!
//! Every thread of the program is a real OS thread, but only one step runs at
//! a time, in the order the program gives: the coordinator hands a step to its
//! thread and waits until it is done. So nothing ever waits for a lock (the
//! steps come from [`plan`](super::plan), which leaves out every step that
//! would), and every violation can be attributed to the step that found it.
//!
//! The lock table changes only between steps with no lock held (creating and
//! dropping locks), so the threads of one stretch of steps borrow it; they are
//! started again, under the same names, after each change.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex as StdMutex};
use std::thread::Scope;
use std::time::Duration;

use super::model::Verdict;
use super::op::{Hold, LockKind, Op, Program, Step};
use crate::{
    Handler, LockId, Mode, Mutex, Policy, ReentrantMutex, RwLock, Violation, ViolationKind,
    lock_all, set_handler, set_mode, set_policy,
};

/// The longest a single step may take before the run is declared hung.
const HANG: Duration = Duration::from_secs(20);

/// The most locks one [`Op::LockAll`] takes (the runner uses tuples).
pub const LOCK_ALL_MAX: usize = 4;

/// Lock names by slot, so that reports read the same from run to run.
const NAMES: [&str; 16] = [
    "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11", "l12", "l13", "l14",
    "l15",
];

/// A violation seen while a step ran: the model's reading of it and its report.
#[derive(Clone, Debug)]
pub struct Observed {
    /// Kind and locks, by lock number.
    pub verdict: Verdict,
    /// The full human report (`Display` of the violation).
    pub report: String,
}

/// The run's locks after a step, for checks against the model.
#[derive(Debug)]
pub struct LiveLocks<'a> {
    /// The id of every lock created so far, by lock number.
    pub ids: &'a [LockId],
    /// Whether each lock (by number) is still alive.
    pub live: Vec<bool>,
}

/// Runs `steps` (from [`plan`](super::plan) of `program`) on fresh real locks,
/// with the Warn policy and a handler that collects every violation, and
/// returns what each step reported. The previous policy, handler and mode are
/// restored afterwards.
///
/// Changes process-wide settings: callers serialise runs (and anything else
/// that sets the policy or the handler).
///
/// # Errors
/// A panic other than a lockgraph report, or a violation about a lock that is
/// not the run's.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{plan, run, LockKind, Op, Program};
///
/// let program = Program {
///     kinds: vec![LockKind::Mutex; 2],
///     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(1), Op::Lock(0)]],
///     turns: vec![],
/// };
/// let planned = plan(&program);
/// let steps: Vec<_> = planned.iter().map(|(step, _)| step.clone()).collect();
/// let seen = run(&program, &steps).unwrap();
/// let reported: Vec<_> = seen.iter().flatten().map(|o| o.verdict.clone()).collect();
/// let expected: Vec<_> = planned.into_iter().flat_map(|(_, v)| v).collect();
/// assert_eq!(reported, expected);
/// ```
pub fn run(program: &Program, steps: &[Step]) -> Result<Vec<Vec<Observed>>, String> {
    run_checked(program, steps, |_| Ok(()))
}

/// [`run`], calling `check` after every step.
///
/// # Errors
/// As [`run`], and the first error `check` returns.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{plan, run_checked, LockKind, Op, Program};
///
/// let program = Program {
///     kinds: vec![LockKind::Mutex],
///     threads: vec![vec![Op::Drop(0), Op::Create(0)]],
///     turns: vec![],
/// };
/// let steps: Vec<_> = plan(&program).into_iter().map(|(step, _)| step).collect();
/// let mut live = Vec::new();
/// run_checked(&program, &steps, |locks| Ok(live.push(locks.live.clone()))).unwrap();
/// assert_eq!(live, [vec![false], vec![false, true]]);
/// ```
pub fn run_checked(
    program: &Program,
    steps: &[Step],
    mut check: impl FnMut(&LiveLocks<'_>) -> Result<(), String>,
) -> Result<Vec<Vec<Observed>>, String> {
    let capture = Capture::install();
    let mut table = LockTable::new(&program.kinds);
    let mut seen = Vec::with_capacity(steps.len());
    let mut rest = steps;
    while let Some(first) = rest.first() {
        if matches!(first.op, Op::Create(_) | Op::Drop(_)) {
            table.apply(&first.op);
            seen.push(Vec::new());
            check(&table.live_locks())?;
            rest = &rest[1..];
            continue;
        }
        let stretch = rest
            .iter()
            .position(|s| matches!(s.op, Op::Create(_) | Op::Drop(_)));
        let (now, later) = rest.split_at(stretch.unwrap_or(rest.len()));
        let threads = program.threads.len();
        let stretch = Stretch {
            table: &table,
            capture: &capture,
            threads,
        };
        stretch.run(now, &mut seen, &mut check)?;
        rest = later;
    }
    Ok(seen)
}

/// The Warn policy and a collecting handler, for the length of a run.
struct Capture {
    violations: Arc<StdMutex<Vec<Violation>>>,
    handler: Option<Handler>,
    policy: Policy,
    mode: Mode,
}

impl Capture {
    fn install() -> Capture {
        let violations = Arc::new(StdMutex::new(Vec::new()));
        let sink = violations.clone();
        let handler = set_handler(Some(Box::new(move |v: &Violation| {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(v.clone());
        })));
        let policy = set_policy(Policy::Warn);
        let mode = set_mode(Mode::Graph);
        Capture {
            violations,
            handler,
            policy,
            mode,
        }
    }

    fn take(&self) -> Vec<Violation> {
        std::mem::take(&mut *self.violations.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        set_handler(self.handler.take());
        set_policy(self.policy);
        set_mode(self.mode);
    }
}

/// One of the three lock kinds, holding `()`.
enum AnyLock {
    Mutex(Mutex<()>),
    RwLock(RwLock<()>),
    Reentrant(ReentrantMutex<()>),
}

/// Anything held only to be dropped later: a guard of any lock type.
trait Held {}
impl<T> Held for T {}

type Guard<'a> = Box<dyn Held + 'a>;

impl AnyLock {
    fn new(kind: LockKind, slot: usize) -> AnyLock {
        let name = NAMES.get(slot).copied().unwrap_or("l?");
        match kind {
            LockKind::Mutex => AnyLock::Mutex(Mutex::named(name, ())),
            LockKind::RwLock => AnyLock::RwLock(RwLock::named(name, ())),
            LockKind::ReentrantMutex => AnyLock::Reentrant(ReentrantMutex::named(name, ())),
        }
    }

    fn id(&self) -> LockId {
        match self {
            AnyLock::Mutex(m) => m.id(),
            AnyLock::RwLock(l) => l.id(),
            AnyLock::Reentrant(r) => r.id(),
        }
    }

    fn kind(&self) -> LockKind {
        match self {
            AnyLock::Mutex(_) => LockKind::Mutex,
            AnyLock::RwLock(_) => LockKind::RwLock,
            AnyLock::Reentrant(_) => LockKind::ReentrantMutex,
        }
    }

    /// The blocking acquisition `op` names.
    fn acquire(&self, op: &Op) -> Guard<'_> {
        match self {
            AnyLock::Mutex(m) => Box::new(m.lock()),
            AnyLock::Reentrant(r) => Box::new(r.lock()),
            AnyLock::RwLock(l) => match Hold::of(LockKind::RwLock, op) {
                Hold::Read => Box::new(l.read()),
                Hold::ReadRecursive => Box::new(l.read_recursive()),
                Hold::Upgradable => Box::new(l.upgradable_read()),
                _ => Box::new(l.write()),
            },
        }
    }

    fn try_acquire(&self) -> Option<Guard<'_>> {
        match self {
            AnyLock::Mutex(m) => m.try_lock().map(|g| Box::new(g) as Guard<'_>),
            AnyLock::Reentrant(r) => r.try_lock().map(|g| Box::new(g) as Guard<'_>),
            AnyLock::RwLock(l) => l.try_write().map(|g| Box::new(g) as Guard<'_>),
        }
    }
}

fn boxed<'a, G: 'a>(guard: G) -> Guard<'a> {
    Box::new(guard)
}

/// `lock_all` over one to [`LOCK_ALL_MAX`] locks of one type, in the given
/// order (tuples, so that the guards borrow the locks, not a slice of them).
macro_rules! lock_all_of {
    ($locks:expr) => {
        match $locks[..] {
            [a] => {
                let (g,) = lock_all((a,));
                vec![boxed(g)]
            }
            [a, b] => {
                let (g, h) = lock_all((a, b));
                vec![boxed(g), boxed(h)]
            }
            [a, b, c] => {
                let (g, h, i) = lock_all((a, b, c));
                vec![boxed(g), boxed(h), boxed(i)]
            }
            [a, b, c, d] => {
                let (g, h, i, j) = lock_all((a, b, c, d));
                vec![boxed(g), boxed(h), boxed(i), boxed(j)]
            }
            _ => Vec::new(),
        }
    };
}

/// The run's locks: every lock by number (`None` once dropped) and each slot's
/// live lock.
struct LockTable {
    locks: Vec<Option<AnyLock>>,
    ids: Vec<LockId>,
    slots: Vec<Option<usize>>,
    kinds: Vec<LockKind>,
}

impl LockTable {
    fn new(kinds: &[LockKind]) -> LockTable {
        let mut table = LockTable {
            locks: Vec::new(),
            ids: Vec::new(),
            slots: vec![None; kinds.len()],
            kinds: kinds.to_vec(),
        };
        (0..kinds.len()).for_each(|slot| table.create(slot));
        table
    }

    /// A fresh lock in `slot`; its id is assigned now, so ids follow lock numbers.
    fn create(&mut self, slot: usize) {
        let lock = AnyLock::new(self.kinds[slot], slot);
        self.ids.push(lock.id());
        self.slots[slot] = Some(self.locks.len());
        self.locks.push(Some(lock));
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Create(slot) if self.slots.get(slot) == Some(&None) => self.create(slot),
            Op::Drop(slot) => {
                if let Some(number) = self.slots.get_mut(slot).and_then(Option::take) {
                    self.locks[number] = None;
                }
            }
            _ => {}
        }
    }

    /// The live lock in `slot`, with its number.
    fn lock(&self, slot: usize) -> Option<(usize, &AnyLock)> {
        let number = (*self.slots.get(slot)?)?;
        Some((number, self.locks[number].as_ref()?))
    }

    fn live_locks(&self) -> LiveLocks<'_> {
        LiveLocks {
            ids: &self.ids,
            live: self.locks.iter().map(Option::is_some).collect(),
        }
    }

    /// The lock number of a reported lock.
    fn number(&self, id: LockId) -> Result<usize, String> {
        let found = self.ids.iter().position(|&known| known == id);
        found.ok_or_else(|| format!("a violation names {id}, which is not a lock of this run"))
    }

    /// A reported violation as the model states it.
    fn verdict(&self, violation: &Violation) -> Result<Verdict, String> {
        let locks: Vec<usize> = violation
            .locks()
            .into_iter()
            .map(|id| self.number(id))
            .collect::<Result<_, _>>()?;
        let (first, last) = match (locks.first(), locks.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => return Err(format!("a violation names no lock: {violation}")),
        };
        match violation.kind() {
            ViolationKind::Cycle => Ok(Verdict::Cycle {
                acquiring: first,
                holding: last,
                hops: locks.len() - 1,
            }),
            ViolationKind::OrderViolation => Ok(Verdict::OrderViolation {
                higher: first,
                acquiring: last,
            }),
            ViolationKind::SelfDeadlock => Ok(Verdict::SelfDeadlock { lock: first }),
            kind => Err(format!("unexpected {kind:?}: {violation}")),
        }
    }
}

/// A stretch of steps between two changes of the lock table, run by one set of
/// threads that borrow the table.
struct Stretch<'t> {
    table: &'t LockTable,
    capture: &'t Capture,
    threads: usize,
}

impl Stretch<'_> {
    fn run(
        &self,
        steps: &[Step],
        seen: &mut Vec<Vec<Observed>>,
        check: &mut impl FnMut(&LiveLocks<'_>) -> Result<(), String>,
    ) -> Result<(), String> {
        std::thread::scope(|scope| {
            let (done_tx, done) = mpsc::channel();
            let turns: Vec<Sender<Op>> = (0..self.threads)
                .map(|t| self.spawn(scope, t, done_tx.clone()))
                .collect();
            for step in steps {
                turns[step.thread]
                    .send(step.op.clone())
                    .map_err(|_| format!("thread t{} is gone", step.thread))?;
                wait(&done, step)?;
                seen.push(self.observed()?);
                check(&self.table.live_locks())?;
            }
            Ok(())
        })
    }

    fn spawn<'s>(
        &'s self,
        scope: &'s Scope<'s, '_>,
        thread: usize,
        done: Sender<Result<(), String>>,
    ) -> Sender<Op> {
        let (turn, ops) = mpsc::channel();
        let table = self.table;
        std::thread::Builder::new()
            .name(format!("t{thread}"))
            .spawn_scoped(scope, move || worker(table, &ops, &done))
            .expect("spawn a program thread");
        turn
    }

    fn observed(&self) -> Result<Vec<Observed>, String> {
        let violations = self.capture.take().into_iter();
        let observed = violations.map(|v| {
            let verdict = self.table.verdict(&v)?;
            Ok(Observed {
                verdict,
                report: v.to_string(),
            })
        });
        observed.collect()
    }
}

fn wait(done: &Receiver<Result<(), String>>, step: &Step) -> Result<(), String> {
    match done.recv_timeout(HANG) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => {
            // The thread is stuck in a lock and the scope cannot end: give up loudly.
            eprintln!("lockgraph::proptest: step {step:?} hung for {HANG:?}");
            std::process::abort();
        }
        Err(RecvTimeoutError::Disconnected) => Err("every program thread is gone".into()),
    }
}

/// One program thread: runs each op it is given, holding its guards between turns.
fn worker(table: &LockTable, ops: &Receiver<Op>, done: &Sender<Result<(), String>>) {
    let mut held: Vec<(usize, Guard<'_>)> = Vec::new();
    for op in ops {
        let ran = catch_unwind(AssertUnwindSafe(|| execute(table, &op, &mut held)));
        let result = ran.or_else(|panic| expected_panic(&*panic));
        if done.send(result).is_err() {
            return;
        }
    }
}

/// A lockgraph report (a self-deadlock panics even under Warn) is expected;
/// any other panic is an error.
fn expected_panic(panic: &(dyn std::any::Any + Send)) -> Result<(), String> {
    let message = (panic.downcast_ref::<String>().map(String::as_str))
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    if message.starts_with("lockgraph: ") {
        Ok(())
    } else {
        Err(format!("unexpected panic: {message}"))
    }
}

fn execute<'t>(table: &'t LockTable, op: &Op, held: &mut Vec<(usize, Guard<'t>)>) {
    match op {
        Op::UnlockAll => held.clear(),
        Op::Unlock(slot) => {
            let number = table.lock(*slot).map(|(number, _)| number);
            if let Some(index) = held.iter().rposition(|(n, _)| Some(*n) == number) {
                held.remove(index);
            }
        }
        Op::TryLock(slot) => {
            let Some((number, lock)) = table.lock(*slot) else {
                return;
            };
            held.extend(lock.try_acquire().map(|guard| (number, guard)));
        }
        Op::LockAll(slots) => held.extend(lock_set(table, slots)),
        Op::Ascending(on) => {
            set_mode(if *on { Mode::Ascending } else { Mode::Graph });
        }
        Op::Create(_) | Op::Drop(_) => {}
        acquisition => {
            let Some(slot) = acquisition.slot() else {
                return;
            };
            if let Some((number, lock)) = table.lock(slot) {
                held.push((number, lock.acquire(acquisition)));
            }
        }
    }
}

/// `lock_all` over the named slots (all of one kind), guards paired with lock numbers.
fn lock_set<'t>(table: &'t LockTable, slots: &[usize]) -> Vec<(usize, Guard<'t>)> {
    let members: Vec<(usize, &AnyLock)> = slots.iter().filter_map(|&s| table.lock(s)).collect();
    let numbers = members.iter().map(|&(number, _)| number);
    let locks = members.iter().map(|&(_, lock)| lock);
    let guards = match members.first().map(|(_, lock)| lock.kind()) {
        Some(LockKind::Mutex) => lock_all_of!(&of_kind(locks, |l| match l {
            AnyLock::Mutex(m) => Some(m),
            _ => None,
        })),
        Some(LockKind::RwLock) => lock_all_of!(&of_kind(locks, |l| match l {
            AnyLock::RwLock(m) => Some(m),
            _ => None,
        })),
        Some(LockKind::ReentrantMutex) => lock_all_of!(&of_kind(locks, |l| match l {
            AnyLock::Reentrant(m) => Some(m),
            _ => None,
        })),
        None => Vec::new(),
    };
    numbers.zip(guards).collect()
}

fn of_kind<'t, L>(
    locks: impl Iterator<Item = &'t AnyLock>,
    pick: impl Fn(&'t AnyLock) -> Option<&'t L>,
) -> Vec<&'t L> {
    locks.filter_map(pick).collect()
}
