//! lockgraph against its reference model, on generated lock-order programs.
//!
//! Every run sets the global policy and handler, so the tests of this file
//! serialise on one lock.
#![cfg(feature = "proptest")]

use std::sync::{Mutex, MutexGuard};

use lockgraph::proptest::{
    LockKind, Op, Program, Step, Verdict, acquisition_programs, check, check_graph,
    consistent_programs, cyclic_programs, plan, programs, run,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRng, TestRunner};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn lockgraph_agrees_with_the_model(program in programs(4, 3, 10)) {
        let _serial = serial();
        check(&program).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn the_graph_matches_the_model_after_every_step(program in programs(3, 2, 8)) {
        let _serial = serial();
        check_graph(&program).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn consistent_orders_never_report(program in consistent_programs(5, 3, 3)) {
        let _serial = serial();
        let seen = check(&program).map_err(TestCaseError::fail)?;
        prop_assert!(seen.is_empty(), "reported: {:?}", seen);
    }

    #[test]
    fn a_planted_cycle_is_always_reported(planted in cyclic_programs(6, 4, 2)) {
        let _serial = serial();
        let seen = check(&planted.program).map_err(TestCaseError::fail)?;
        let verdicts: Vec<Verdict> = seen.into_iter().map(|o| o.verdict).collect();
        let k = planted.cycle.len();
        // The initial locks are numbered by slot.
        let closing = Verdict::Cycle { acquiring: planted.cycle[0], holding: planted.cycle[k - 1], hops: k - 1 };
        prop_assert_eq!(verdicts, vec![closing]);
    }
}

/// `programs` with their threads run one after the other, in a random order.
fn one_thread_after_another(
    programs: impl Strategy<Value = (Program, u8)>,
) -> impl Strategy<Value = (Program, u8)> {
    programs
        .prop_flat_map(|(program, mode)| {
            let order: Vec<usize> = (0..program.threads.len()).collect();
            (Just((program, mode)), Just(order).prop_shuffle())
        })
        .prop_map(|((mut program, mode), order)| {
            let lengths: Vec<usize> = program.threads.iter().map(Vec::len).collect();
            program.turns = order
                .iter()
                .flat_map(|&t| std::iter::repeat_n(t, lengths[t]))
                .collect();
            (program, mode)
        })
}

/// A cycle of `k` locks (slots 1..=k), one thread per edge, each taking
/// the gate (slot 0) first: in `mode` 0 every thread takes it exclusively
/// (`lock`, or `write`/`upgradable_read` of an `RwLock` gate), in mode 1 one
/// thread does not take it, in mode 2 every thread takes it with `read`.
/// Noise threads take pairs of the cycle's locks in its order, under the
/// gate (in mode 0; with or without it otherwise: without, they end the
/// gating). The threads run one after the other, in a random order
/// (a thread waiting for the gate would skip it).
fn gated_cycles() -> impl Strategy<Value = (Program, u8)> {
    let shape = (2usize..=4, 0u8..3, any::<bool>(), any::<bool>());
    let with_noise = shape.prop_flat_map(|shape| {
        let (k, ..) = shape;
        (Just(shape), 0..k, vec((1..=k, any::<bool>()), 0..=2))
    });
    let programs =
        with_noise.prop_map(|((k, mode, gate_is_rwlock, upgradable), skipper, noise)| {
            // A mutex gate cannot be read: mode 2 is mode 0 for it.
            let mode = if mode == 2 && !gate_is_rwlock {
                0
            } else {
                mode
            };
            let gate_kind = if gate_is_rwlock {
                LockKind::RwLock
            } else {
                LockKind::Mutex
            };
            let mut kinds = vec![gate_kind];
            kinds.extend(vec![LockKind::Mutex; k]);
            let take_gate = |thread: usize| match (mode, gate_is_rwlock, upgradable) {
                (1, _, _) if thread == skipper => None,
                (2, true, _) => Some(Op::Read(0)),
                (_, true, true) => Some(Op::UpgradableRead(0)),
                _ => Some(Op::Lock(0)),
            };
            let mut threads: Vec<Vec<Op>> = (0..k)
                .map(|i| {
                    let pair = [Op::Lock(1 + i), Op::Lock(1 + (i + 1) % k)];
                    take_gate(i).into_iter().chain(pair).collect()
                })
                .collect();
            // Pairs in the cycle's order (never closing it by themselves).
            for (first, gated) in noise {
                let second = first % k + 1;
                if second > first {
                    let gate = (gated || mode == 0).then_some(Op::Lock(0));
                    threads.push(
                        gate.into_iter()
                            .chain([Op::Lock(first), Op::Lock(second)])
                            .collect(),
                    );
                }
            }
            (
                Program {
                    kinds,
                    classes: vec![],
                    threads,
                    turns: Vec::new(),
                },
                mode,
            )
        });
    one_thread_after_another(programs)
}

/// A cycle of `k` classes over separate instances: thread `i` takes a lock of
/// class `i`, then one of class `i + 1` (wrapping around), each thread its own
/// two locks, of any kinds, taken as locks, writes, plain or upgradable
/// reads (so every cycle is strong). In `mode` 0 every thread first takes
/// one shared gate lock exclusively, in mode 1 one thread does not take it,
/// in mode 2 every thread reads it, in mode 3 every thread takes a gate of
/// its own, all gates of one class (per-object outer locks, which gate
/// nothing across objects). The threads run one after the other, in a
/// random order.
fn gated_class_cycles() -> impl Strategy<Value = (Program, u8)> {
    let take = prop_oneof![
        Just(Op::Lock as fn(usize) -> Op),
        Just(Op::Read as fn(usize) -> Op),
        Just(Op::UpgradableRead as fn(usize) -> Op)
    ];
    let kind = prop_oneof![
        Just(LockKind::Mutex),
        Just(LockKind::RwLock),
        Just(LockKind::ReentrantMutex),
        Just(LockKind::StdMutex),
        Just(LockKind::StdRwLock),
    ];
    let shape = (2usize..=3, 0u8..4, any::<bool>());
    let with_locks = shape.prop_flat_map(move |shape| {
        let (k, ..) = shape;
        let pairs = vec((kind.clone(), take.clone(), kind.clone(), take.clone()), k);
        (Just(shape), 0..k, pairs)
    });
    let programs = with_locks.prop_map(|((k, mode, upgradable), skipper, pairs)| {
        // Slots 2i and 2i + 1 are thread i's pair; then the gate(s).
        let mut kinds = Vec::new();
        let mut classes = Vec::new();
        let mut threads = Vec::new();
        for (i, &(first_kind, first, second_kind, second)) in pairs.iter().enumerate() {
            kinds.extend([first_kind, second_kind]);
            classes.extend([i, (i + 1) % k]);
            let gate = match mode {
                1 if i == skipper => None,
                2 => Some(Op::Read(2 * k)),
                3 => Some(Op::Lock(2 * k + i)),
                _ if upgradable => Some(Op::UpgradableRead(2 * k)),
                _ => Some(Op::Lock(2 * k)),
            };
            threads.push(
                gate.into_iter()
                    .chain([first(2 * i), second(2 * i + 1)])
                    .collect(),
            );
        }
        let gates = if mode == 3 { k } else { 1 };
        kinds.extend(vec![LockKind::RwLock; gates]);
        classes.extend(vec![k; gates]);
        let program = Program {
            kinds,
            classes,
            threads,
            turns: Vec::new(),
        };
        (program, mode)
    });
    one_thread_after_another(programs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_cycle_under_one_gate_is_silent_and_without_it_reported((program, mode) in gated_cycles()) {
        let _serial = serial();
        let seen = check(&program).map_err(TestCaseError::fail)?;
        let cycles = seen.iter().filter(|o| matches!(o.verdict, Verdict::Cycle { .. })).count();
        match mode {
            0 => prop_assert_eq!(cycles, 0, "reported under one gate: {:?}", seen),
            _ => prop_assert!(cycles > 0, "not reported without a gate: {:?}", program),
        }
    }

    #[test]
    fn a_class_cycle_under_one_gate_is_silent_and_without_it_reported((program, mode) in gated_class_cycles()) {
        let _serial = serial();
        let seen = check(&program).map_err(TestCaseError::fail)?;
        let verdicts: Vec<&Verdict> = seen.iter().map(|o| &o.verdict).collect();
        let k = program.threads.len();
        match mode {
            0 => prop_assert!(verdicts.is_empty(), "reported under one gate: {:?}", seen),
            _ => prop_assert!(
                matches!(&verdicts[..], [Verdict::ClassCycle { path, .. }] if path.len() == k - 1),
                "not reported once without a gate: {:?}\n{:?}", program, seen
            ),
        }
    }
}

/// The rule of `lock_all` (README, "Ordered acquisition"): taking a set
/// while holding a lock whose id is higher than the set's lowest is an
/// `OrderViolation`. A held member of the set
/// (taken again, reentrantly) does not hide a higher lock held outside it:
/// the rule is about the highest held lock outside the set, not the highest
/// held lock.
#[test]
fn lock_all_sees_a_higher_lock_held_outside_the_set() {
    let _serial = serial();
    let program = Program {
        kinds: vec![LockKind::ReentrantMutex; 3],
        classes: vec![],
        threads: vec![vec![Op::Lock(1), Op::Lock(2), Op::LockAll(vec![0, 2])]],
        turns: vec![],
    };
    // Lock 2 is a member (reentrant, held again); lock 1 is held outside the
    // set and above its lowest, 0: one order violation, naming 1 and 0.
    let seen = check(&program).unwrap_or_else(|e| panic!("{e}"));
    let expected = Verdict::OrderViolation {
        higher: 1,
        acquiring: 0,
    };
    assert!(
        matches!(&seen[..], [only] if only.verdict == expected),
        "{seen:?}"
    );
}

#[test]
fn mixed_sets_with_readers_follow_the_model() {
    let _serial = serial();
    use LockKind::{Mutex as M, RwLock as R, StdMutex as SM, StdRwLock as SR};
    // t0 reads lock 2, then takes a set whose lowest (0) is below it.
    let program = Program {
        kinds: vec![SM, SR, R, M],
        classes: vec![],
        threads: vec![vec![
            Op::Read(2),
            Op::LockSet(vec![(3, false), (1, true), (0, false)]),
        ]],
        turns: vec![],
    };
    let seen = check(&program).unwrap_or_else(|e| panic!("{e}"));
    let expected = Verdict::OrderViolation {
        higher: 2,
        acquiring: 0,
    };
    assert!(
        matches!(&seen[..], [only] if only.verdict == expected),
        "{seen:?}"
    );

    // Readers share across threads; try_lock_all is all or nothing and
    // silent; the same std lock read twice in a set is a self-deadlock.
    let program = Program {
        kinds: vec![SM, SR, R, M],
        classes: vec![],
        threads: vec![
            vec![
                Op::TryLockAll(vec![(1, true), (0, false)]),
                Op::Lock(3),
                Op::UnlockAll,
                Op::LockSet(vec![(1, true), (1, true)]),
            ],
            vec![
                Op::LockSet(vec![(2, true), (1, true)]),
                Op::TryLockAll(vec![(3, false), (0, false)]),
                Op::LockAll(vec![3, 2]),
            ],
        ],
        turns: vec![0, 0, 1, 1, 1],
    };
    let seen = check(&program).unwrap_or_else(|e| panic!("{e}"));
    let verdicts: Vec<&Verdict> = seen.iter().map(|o| &o.verdict).collect();
    assert_eq!(verdicts, [&Verdict::SelfDeadlock { lock: 1 }], "{seen:?}");
    check_graph(&program).unwrap_or_else(|e| panic!("{e}"));
}

/// An acquisition that closes an instance cycle (reported as a `Cycle`)
/// and, through another held lock, a class cycle of other classes, which the
/// instance cycle is not: both are reported.
#[test]
fn an_instance_cycle_does_not_hide_another_class_cycle() {
    let _serial = serial();
    // Slots: t and t2 of class 0, h1 of class 1, h2 and k2 of class 2.
    let program = Program {
        kinds: vec![LockKind::Mutex; 5],
        classes: vec![0, 1, 2, 0, 2],
        threads: vec![vec![
            Op::Lock(0), // t -> h1
            Op::Lock(1),
            Op::UnlockAll,
            Op::Lock(3), // class 0 -> class 2, other instances
            Op::Lock(4),
            Op::UnlockAll,
            Op::Lock(2),
            Op::Lock(1),
            Op::Lock(0), // h1 -> t: a cycle; h2 -> t: class 2 -> class 0
        ]],
        turns: vec![],
    };
    let steps: Vec<Step> = plan(&program).into_iter().map(|(step, _)| step).collect();
    let seen = run(&program, &steps).unwrap_or_else(|e| panic!("{e}"));
    let last: Vec<&Verdict> = seen[8].iter().map(|o| &o.verdict).collect();
    assert!(
        matches!(
            &last[..],
            [
                Verdict::Cycle { .. },
                Verdict::ClassCycle { holding: 2, .. }
            ]
        ),
        "{last:?}"
    );
}

fn has_cycle(program: &Program) -> Result<bool, TestCaseError> {
    let seen = check(program).map_err(TestCaseError::fail)?;
    Ok(seen
        .iter()
        .any(|o| matches!(o.verdict, Verdict::Cycle { .. })))
}

#[test]
fn a_failing_program_shrinks_to_the_minimal_inversion() {
    let _serial = serial();
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&acquisition_programs(4, 3, 5), |program| {
        prop_assert!(!has_cycle(&program)?);
        Ok(())
    });
    let Err(TestError::Fail(_, shrunk)) = result else {
        panic!("no failing program found: {result:?}");
    };
    let [first, second] = &shrunk.threads[..] else {
        panic!("not two threads: {shrunk:?}");
    };
    let [Op::Lock(a), Op::Lock(b)] = first[..] else {
        panic!("not two acquisitions: {shrunk:?}");
    };
    assert_ne!(a, b, "{shrunk:?}");
    assert_eq!(second, &[Op::Lock(b), Op::Lock(a)], "{shrunk:?}");
    assert_eq!(shrunk.kinds[a], LockKind::Mutex, "{shrunk:?}");
    assert_eq!(shrunk.kinds[b], LockKind::Mutex, "{shrunk:?}");
}

/// The kinds of the reports, and the reports, of two runs of `program`.
fn two_runs(program: &Program) -> [(Vec<String>, Vec<String>); 2] {
    [(); 2].map(|()| {
        let seen = check(program).unwrap_or_else(|e| panic!("{e}"));
        let kind = |v: &Verdict| format!("{v:?}").split(' ').next().unwrap_or("").to_string();
        let mut kinds: Vec<String> = seen.iter().map(|o| kind(&o.verdict)).collect();
        kinds.sort();
        kinds.dedup();
        (kinds, seen.into_iter().map(|o| o.report).collect())
    })
}

/// A three-lock cycle, a self-deadlock, and then `last` on a thread of its own.
fn eventful(last: Vec<Op>) -> Program {
    Program {
        kinds: vec![LockKind::Mutex, LockKind::RwLock, LockKind::Mutex],
        classes: vec![],
        threads: vec![
            vec![Op::Lock(0), Op::Read(1)],
            vec![Op::Write(1), Op::Lock(2)],
            vec![Op::Lock(2), Op::Lock(0), Op::Lock(0)],
            last,
        ],
        turns: vec![],
    }
}

/// The same program, run twice on fresh locks, reads the same: reports name
/// locks and threads, never ids or addresses.
#[test]
fn reports_read_the_same_from_run_to_run() {
    let _serial = serial();
    let [(kinds, first), (_, second)] = two_runs(&eventful(vec![Op::Lock(1), Op::Lock(0)]));
    assert_eq!(kinds, ["Cycle", "SelfDeadlock"]);
    assert_eq!(first, second);
}

/// The same for an order violation, whose report shows lock ids.
#[test]
fn order_violation_reports_read_the_same_from_run_to_run() {
    let _serial = serial();
    let [(kinds, first), (_, second)] =
        two_runs(&eventful(vec![Op::Write(1), Op::LockAll(vec![2, 0])]));
    assert_eq!(kinds, ["Cycle", "OrderViolation", "SelfDeadlock"]);
    assert_eq!(first, second);
}
