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
use std::thread::{Scope, ScopedJoinHandle};
use std::time::Duration;

use super::model::Verdict;
use super::op::{Op, Program, Step};
use super::table::{Guard, LockTable, execute};
use crate::config;
use crate::{
    Handler, LockId, Mode, Policy, Violation, ViolationKind, set_handler, set_kind_policy,
    set_mode, set_policy,
};

/// The longest a single step may take before the run is declared hung.
const HANG: Duration = Duration::from_secs(20);

/// The most locks one [`Op::LockAll`] takes (the runner uses tuples).
pub const LOCK_ALL_MAX: usize = 4;

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
///     classes: vec![],
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
///     classes: vec![],
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
    let mut table = LockTable::new(program);
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

/// The Warn policy (for class cycles too, whatever their own policy was),
/// not printed, and a collecting handler, for the length of a run.
struct Capture {
    violations: Arc<StdMutex<Vec<Violation>>>,
    handler: Option<Handler>,
    policy: Policy,
    class_policy: u8,
    mode: Mode,
    quietly: bool,
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
        let class_policy = config::kind_setting(ViolationKind::ClassCycle);
        set_kind_policy(ViolationKind::ClassCycle, Policy::Warn);
        let mode = set_mode(Mode::Graph);
        let quietly = crate::report::deliver::set_warn_quietly(true);
        Capture {
            violations,
            handler,
            policy,
            class_policy,
            mode,
            quietly,
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
        config::restore_kind_setting(ViolationKind::ClassCycle, self.class_policy);
        set_mode(self.mode);
        crate::report::deliver::set_warn_quietly(self.quietly);
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
            let (turns, workers): (Vec<Sender<Op>>, Vec<_>) = (0..self.threads)
                .map(|t| self.spawn(scope, t, done_tx.clone()))
                .unzip();
            let result = (|| {
                for step in steps {
                    turns[step.thread]
                        .send(step.op.clone())
                        .map_err(|_| format!("thread t{} is gone", step.thread))?;
                    wait(&done, step)?;
                    seen.push(self.observed()?);
                    check(&self.table.live_locks())?;
                }
                Ok(())
            })();
            // Joined one by one, not left to the scope: the scope only waits
            // for the threads' closures, not for their thread-locals' teardown,
            // and a leak checker run right after (libFuzzer's, between
            // inputs) would see the thread-local state of a thread still
            // tearing down as leaked.
            drop(turns);
            // Every worker joined before a panic is raised again (collected,
            // not the first found: the rest would go back to the scope's join).
            let panics: Vec<_> = workers.into_iter().filter_map(|w| w.join().err()).collect();
            if let Some(panic) = panics.into_iter().next() {
                std::panic::resume_unwind(panic);
            }
            result
        })
    }

    fn spawn<'s>(
        &'s self,
        scope: &'s Scope<'s, '_>,
        thread: usize,
        done: Sender<Result<(), String>>,
    ) -> (Sender<Op>, ScopedJoinHandle<'s, ()>) {
        let (turn, ops) = mpsc::channel();
        let table = self.table;
        let worker = std::thread::Builder::new()
            .name(format!("t{thread}"))
            .spawn_scoped(scope, move || worker(table, &ops, &done))
            .expect("spawn a program thread");
        (turn, worker)
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
            let text = format!("lockgraph::proptest: step {step:?} hung for {HANG:?}\n");
            crate::report::deliver::print_whole(text);
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
