//! The differential checks: the model's verdicts against lockgraph's reports,
//! and the model's edge set against the real graph.

use std::collections::BTreeSet;

use super::model::{Model, Verdict, plan};
use super::op::{Program, Step};
use super::run::{LiveLocks, Observed, run, run_checked};
use crate::LockId;
use crate::graph::{self, Snapshot};

/// Runs `program` in the model and on real locks, and compares the violations,
/// step by step (same kind, same locks, same order). Returns every violation
/// seen, in order.
///
/// Changes process-wide settings while it runs (see [`run`]).
///
/// # Errors
/// The first step where lockgraph and the model disagree, or a run error.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{check, LockKind, Op, Program};
///
/// let reentry = Program {
///     kinds: vec![LockKind::ReentrantMutex, LockKind::RwLock],
///     classes: vec![],
///     threads: vec![vec![Op::Lock(0), Op::Lock(0), Op::Read(1), Op::ReadRecursive(1)]],
///     turns: vec![],
/// };
/// assert!(check(&reentry).unwrap().is_empty());
/// ```
pub fn check(program: &Program) -> Result<Vec<Observed>, String> {
    compare(program)
}

fn compare(program: &Program) -> Result<Vec<Observed>, String> {
    let planned = plan(program);
    let steps: Vec<Step> = planned.iter().map(|(step, _)| step.clone()).collect();
    let seen = run(program, &steps)?;
    let mut reports = Vec::new();
    for ((step, expected), observed) in planned.iter().zip(&seen) {
        let verdicts: Vec<Verdict> = observed.iter().map(|o| o.verdict.clone()).collect();
        if &verdicts != expected {
            return Err(disagreement(program, step, expected, observed));
        }
        for o in observed {
            check_report(o)?;
        }
        reports.extend(observed.iter().cloned());
    }
    Ok(reports)
}

/// What a class cycle's report must say besides its verdict: the kind of
/// report, and the scenario for an inversion of two classes.
fn check_report(observed: &Observed) -> Result<(), String> {
    let Verdict::ClassCycle { path, .. } = &observed.verdict else {
        return Ok(());
    };
    let report = &observed.report;
    let head = match path.len() {
        1 => "lockgraph: potential deadlock (lock class inversion of 2 classes)",
        n => &format!(
            "lockgraph: potential deadlock (lock class cycle of {} classes)",
            n + 1
        ),
    };
    let says = |text: &str| report.contains(text);
    let complete = report.starts_with(head)
        && says("the instances differ in this run")
        && (path.len() > 1 || says("possible deadlock:"));
    match complete {
        true => Ok(()),
        false => Err(format!(
            "a class cycle's report is not as expected:\n{report}"
        )),
    }
}

fn disagreement(program: &Program, step: &Step, expected: &[Verdict], seen: &[Observed]) -> String {
    let reports: Vec<&str> = seen.iter().map(|o| o.report.as_str()).collect();
    format!(
        "lockgraph and the model disagree at {step:?}\n  model:     {expected:?}\n  lockgraph: {:?}\n\
         program: {program:?}\nreports:\n{}",
        seen.iter().map(|o| &o.verdict).collect::<Vec<_>>(),
        reports.join("\n\n")
    )
}

/// Runs `program` on real locks and, after every step, compares the real
/// lock-order graph with the model's: the same edges among the run's locks,
/// no edge touching a dropped lock, and no cycle anywhere but through the
/// edges kept aside as gated.
///
/// Reads the process-wide graph: other locks in use at the same time must not
/// share it with the run's locks (their edges are ignored, but a cycle is not).
///
/// # Errors
/// The first step after which the graphs differ, or a run error.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{check_graph, LockKind, Op, Program};
///
/// let program = Program {
///     kinds: vec![LockKind::Mutex, LockKind::RwLock],
///     classes: vec![],
///     threads: vec![vec![Op::Lock(0), Op::Read(1), Op::UnlockAll, Op::Drop(1), Op::Create(1)]],
///     turns: vec![],
/// };
/// check_graph(&program).unwrap();
/// ```
pub fn check_graph(program: &Program) -> Result<(), String> {
    let planned = plan(program);
    let steps: Vec<Step> = planned.iter().map(|(step, _)| step.clone()).collect();
    let mut model = Model::new(program);
    let mut next = steps.iter();
    run_checked(program, &steps, |locks| {
        let step = next.next().ok_or("more steps ran than were planned")?;
        model.step(step);
        same_graph(&model, locks, &graph::snapshot())
            .map_err(|e| format!("after {step:?}: {e}\nprogram: {program:?}"))
    })?;
    Ok(())
}

fn same_graph(model: &Model, locks: &LiveLocks<'_>, snapshot: &Snapshot) -> Result<(), String> {
    let number = |id| locks.ids.iter().position(|&known| known == id);
    let mut edges = BTreeSet::new();
    for edge in &snapshot.edges {
        let (Some(from), Some(to)) = (number(edge.from), number(edge.to)) else {
            continue;
        };
        if !locks.live[from] || !locks.live[to] {
            return Err(format!("edge {from} -> {to} touches a dropped lock"));
        }
        edges.insert((from, to));
    }
    if &edges != model.edges() {
        return Err(format!("graph {edges:?}, model {:?}", model.edges()));
    }
    let kept: Vec<(LockId, LockId)> = model
        .kept()
        .map(|(a, b)| (locks.ids[a], locks.ids[b]))
        .collect();
    acyclic(snapshot, &kept)
}

/// Kahn's algorithm over the whole snapshot but the `kept` edges.
fn acyclic(snapshot: &Snapshot, kept: &[(LockId, LockId)]) -> Result<(), String> {
    let edges = snapshot.edges.iter().map(|e| (e.from, e.to));
    let mut edges: Vec<_> = edges.filter(|edge| !kept.contains(edge)).collect();
    loop {
        let sources: BTreeSet<_> = edges.iter().map(|&(from, _)| from).collect();
        let before = edges.len();
        // Drop edges out of locks that no remaining edge points to.
        let targets: BTreeSet<_> = edges.iter().map(|&(_, to)| to).collect();
        edges.retain(|(from, _)| targets.contains(from));
        if edges.is_empty() {
            return Ok(());
        }
        if edges.len() == before {
            return Err(format!("the graph has a cycle among {sources:?}"));
        }
    }
}
