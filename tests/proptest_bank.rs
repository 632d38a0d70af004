//! The recipe for users: a bank whose `transfer` takes two account locks,
//! exercised by proptest with random transfers on two threads. lockgraph turns
//! the classic inversion into a deterministic panic, proptest shrinks it to
//! `transfer(a, b)` against `transfer(b, a)`, and the fixed bank (`lock_all`)
//! passes.
//!
//! The tests set the global policy, so they serialise on one lock.
#![cfg(feature = "proptest")]

use std::sync::{Mutex as StdMutex, MutexGuard as StdGuard};

use lockgraph::{Mutex, Policy, ViolationKind, lock_all, set_kind_policy, set_policy};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRng, TestRunner};

static SERIAL: StdMutex<()> = StdMutex::new(());

fn serial() -> StdGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    set_policy(Policy::Panic);
    // Class edges outlive a case: "alice -> carol" in one case and "carol ->
    // alice" in a later one is a class cycle, which fails that later case
    // alone but cannot shrink (the earlier case is not part of its input).
    // A property test checks instances; class cycles are for unit tests.
    set_kind_policy(ViolationKind::ClassCycle, Policy::Ignore);
    guard
}

const ACCOUNTS: usize = 3;
const NAMES: [&str; ACCOUNTS] = ["alice", "bob", "carol"];

/// A transfer of one unit from one account to another.
type Transfer = (usize, usize);

struct Bank {
    accounts: Vec<Mutex<i64>>,
    /// Whether `transfer` takes both locks at once (the fix).
    ordered: bool,
}

impl Bank {
    fn new(ordered: bool) -> Bank {
        let accounts = NAMES.iter().map(|name| Mutex::named(name, 100)).collect();
        Bank { accounts, ordered }
    }

    /// Locks `from`, then `to` (the bug), or both in one `lock_all` (the fix).
    fn transfer(&self, (from, to): Transfer) {
        let (from, to) = (&self.accounts[from], &self.accounts[to]);
        let (mut debit, mut credit) = if self.ordered {
            lock_all((from, to))
        } else {
            (from.lock(), to.lock())
        };
        *debit -= 1;
        *credit += 1;
    }

    fn total(&self) -> i64 {
        self.accounts.iter().map(|a| *a.lock()).sum()
    }
}

/// One customer's transfers: from their own account to random others. (A
/// single thread that sends a -> b and later b -> a is an inversion too, which
/// lockgraph reports; giving each thread one payer keeps the demonstration to
/// two threads.)
fn transfers() -> impl Strategy<Value = Vec<Transfer>> {
    (0..ACCOUNTS).prop_flat_map(|payer| {
        let payee = (0..ACCOUNTS).prop_filter("another account", move |&to| to != payer);
        let payees = proptest::collection::vec(payee, 0..6);
        payees.prop_map(move |payees| payees.into_iter().map(|to| (payer, to)).collect())
    })
}

/// Runs the two threads' transfers at the same time on a fresh bank.
fn run_bank(ordered: bool, first: &[Transfer], second: &[Transfer]) -> Result<(), TestCaseError> {
    let bank = Bank::new(ordered);
    let outcome = std::thread::scope(|s| {
        let one = s.spawn(|| first.iter().for_each(|&t| bank.transfer(t)));
        let two = s.spawn(|| second.iter().for_each(|&t| bank.transfer(t)));
        [one.join(), two.join()]
    });
    for joined in outcome {
        if let Err(panic) = joined {
            let report = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            return Err(TestCaseError::fail(report));
        }
    }
    prop_assert_eq!(bank.total(), 100 * ACCOUNTS as i64);
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    TestRunner::new_with_rng(config, rng)
}

#[test]
fn the_inversion_shrinks_to_two_opposite_transfers() {
    let _serial = serial();
    let result = runner(256).run(&(transfers(), transfers()), |(first, second)| {
        run_bank(false, &first, &second)
    });
    let Err(TestError::Fail(reason, (first, second))) = result else {
        panic!("the buggy bank passed: {result:?}");
    };
    assert!(
        reason
            .message()
            .starts_with("lockgraph: potential deadlock"),
        "{reason}"
    );
    let [(a, b)] = first[..] else {
        panic!("not one transfer on the first thread: {first:?} / {second:?}");
    };
    assert_eq!(second, [(b, a)], "first thread: {first:?}");
}

#[test]
fn the_fixed_bank_passes_a_thousand_cases() {
    let _serial = serial();
    runner(1000)
        .run(&(transfers(), transfers()), |(first, second)| {
            run_bank(true, &first, &second)
        })
        .unwrap();
}
