//! The deadlock-avoidance recipe: take several locks in one global order.
//!
//! 1. Two threads take locks `x` and `y` over and over, naming them in
//!    opposite orders, through `lockgraph::lock_all`, which always takes them
//!    in ascending id order: no deadlock, and no report.
//! 2. The naive version: one thread takes `x` then `y`, another `y` then `x`.
//!    The two run one after the other, so nothing hangs, yet lockgraph reports
//!    the inversion (the report is printed on stderr: this part runs under
//!    `Policy::Warn`, then restores the previous policy).
//! 3. The dining philosophers: five philosophers, five forks, each taking
//!    (left, right) fork; the last one's pair is in the opposite order from
//!    its neighbour's. With `lock_all` they all eat and nobody deadlocks.
//! 4. The std flavour (`lockgraph::stdsync`): a bank whose tellers move money
//!    between two `stdsync::Mutex` accounts while reading the rates from a
//!    `stdsync::RwLock` in the same set (`rates.for_read()`), through a
//!    prepared `OrderedSet` or `lock_all` in opposite argument orders; an
//!    auditor takes everything at once with `try_lock_all_for`. One account
//!    is poisoned first: `lock_all` still hands out its guard, inside `Err`.
//!
//! Parts 1, 3 and 4 run under the default `Policy::Panic`: a report there would
//! stop the program. A handler counts the reports to show which part made one.
//!
//! ```text
//! cargo run --example ordered_locks -- --rounds 100000 --meals 1000
//! ```

#[path = "recipes/cli.rs"]
mod cli;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use std::time::Duration;

use lockgraph::stdsync;
use lockgraph::{Mutex, OrderedSet, Policy, lock_all, try_lock_all_for};

fn main() {
    let rounds = cli::arg("rounds", 20_000u64);
    let meals = cli::arg("meals", 500u64);
    let reports = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reports);
    let previous_handler = lockgraph::set_handler(Some(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    })));

    opposite_orders_with_lock_all(rounds);
    println!("  reports so far: {}", reports.load(Ordering::SeqCst));
    assert_eq!(reports.load(Ordering::SeqCst), 0);

    naive_opposite_orders();
    println!("  reports so far: {}", reports.load(Ordering::SeqCst));
    assert_eq!(
        reports.load(Ordering::SeqCst),
        1,
        "the inversion is reported once"
    );

    dining_philosophers(meals);
    println!("  reports so far: {}", reports.load(Ordering::SeqCst));
    assert_eq!(
        reports.load(Ordering::SeqCst),
        1,
        "the philosophers add no report"
    );

    std_flavour(rounds / 4);
    println!("  reports so far: {}", reports.load(Ordering::SeqCst));
    assert_eq!(
        reports.load(Ordering::SeqCst),
        1,
        "the std flavour adds no report"
    );

    lockgraph::set_handler(previous_handler);
}

/// Part 1: `lock_all((&x, &y))` against `lock_all((&y, &x))`, concurrently.
fn opposite_orders_with_lock_all(rounds: u64) {
    println!(
        "-- 1. two threads, opposite argument orders, through lock_all ({rounds} rounds each)"
    );
    let x = Mutex::named("x", 0u64);
    let y = Mutex::named("y", 0u64);
    thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..rounds {
                let (mut x, mut y) = lock_all((&x, &y));
                *x += 1;
                *y += 1;
            }
        });
        scope.spawn(|| {
            for _ in 0..rounds {
                let (mut y, mut x) = lock_all((&y, &x));
                *y += 1;
                *x += 1;
            }
        });
    });
    let (x, y) = (x.into_inner(), y.into_inner());
    assert_eq!((x, y), (2 * rounds, 2 * rounds));
    println!("  done: x = {x}, y = {y}, no deadlock, no report");
}

/// Part 2: `x` then `y` in one thread, `y` then `x` in another, under `Warn`.
fn naive_opposite_orders() {
    println!("-- 2. the naive version: x then y, later y then x (Warn policy; report on stderr)");
    let previous = lockgraph::set_policy(Policy::Warn);
    let x = Mutex::named("naive x", 0u64);
    let y = Mutex::named("naive y", 0u64);
    thread::scope(|scope| {
        let first = thread::Builder::new().name("x then y".into());
        first
            .spawn_scoped(scope, || {
                let (mut x, mut y) = (x.lock(), y.lock()); // records x -> y
                *x += 1;
                *y += 1;
            })
            .expect("spawn")
            .join()
            .expect("x then y");
        let second = thread::Builder::new().name("y then x".into());
        second
            .spawn_scoped(scope, || {
                let mut y = y.lock();
                let mut x = x.lock(); // y -> x closes the cycle: reported here
                *y += 1;
                *x += 1;
            })
            .expect("spawn")
            .join()
            .expect("y then x: Warn lets it go on");
    });
    lockgraph::set_policy(previous);
    println!("  both threads finished (they never overlapped), and lockgraph reported the order");
}

/// Part 3: five philosophers, each eating `meals` times with (left, right).
fn dining_philosophers(meals: u64) {
    const SEATS: usize = 5;
    println!(
        "-- 3. dining philosophers: {SEATS} seats, {meals} meals each, forks through lock_all"
    );
    let forks: Vec<Mutex<u64>> = (0..SEATS).map(|_| Mutex::named("fork", 0)).collect();
    let eaten: Vec<u64> = thread::scope(|scope| {
        let seats: Vec<_> = (0..SEATS)
            .map(|seat| {
                let (left, right) = (&forks[seat], &forks[(seat + 1) % SEATS]);
                scope.spawn(move || philosopher(left, right, meals))
            })
            .collect();
        seats
            .into_iter()
            .map(|s| s.join().expect("philosopher"))
            .collect()
    });
    for (seat, meals) in eaten.iter().enumerate() {
        println!("  philosopher {seat} ate {meals} times");
    }
    let uses: Vec<u64> = forks.into_iter().map(Mutex::into_inner).collect();
    assert!(
        uses.iter().all(|&n| n == 2 * meals),
        "each fork is used by two neighbours"
    );
    println!(
        "  every fork was used {} times; nobody deadlocked",
        2 * meals
    );
}

/// One philosopher: takes both forks at once, eats, puts them down.
fn philosopher(left: &Mutex<u64>, right: &Mutex<u64>, meals: u64) -> u64 {
    for _ in 0..meals {
        let (mut left, mut right) = lock_all((left, right));
        *left += 1;
        *right += 1;
    }
    meals
}

/// Part 4: `stdsync` locks in sets, readers among them, poisoning reported
/// per member.
fn std_flavour(rounds: u64) {
    println!("-- 4. the std flavour: two accounts and the rates, {rounds} transfers per teller");
    let checking = stdsync::Mutex::named("checking", 1_000_000i64);
    let savings = stdsync::Mutex::named("savings", 0i64);
    let rates = stdsync::RwLock::named("rates", 1i64);
    // A teller panics while holding `savings`: std's poisoning marks it
    // (the panic message is kept off stderr for the demonstration).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let crash = std::panic::catch_unwind(|| {
        let _savings = savings.lock().unwrap();
        panic!("a teller crashed while holding savings (on purpose)");
    });
    std::panic::set_hook(hook);
    assert!(crash.is_err() && savings.is_poisoned());
    println!("  savings is poisoned; lock_all still hands out its guard, inside Err");

    // Poisoned or not, a member's guard is handed out: take it back.
    fn ok<G>(result: stdsync::LockResult<G>) -> G {
        result.unwrap_or_else(stdsync::PoisonError::into_inner)
    }
    thread::scope(|scope| {
        // Teller 1: a prepared set, sorted once, taken every round.
        scope.spawn(|| {
            let transfer = OrderedSet::new((&checking, &savings, rates.for_read()));
            for _ in 0..rounds {
                let (from, to, rate) = transfer.lock();
                let amount = *ok(rate);
                *ok(from) -= amount;
                *ok(to) += amount;
            }
        });
        // Teller 2: the other way round, naming the locks in the other order.
        scope.spawn(|| {
            for _ in 0..rounds {
                let (rate, from, to) = lock_all((rates.for_read(), &savings, &checking));
                let amount = *ok(rate);
                *ok(from) -= amount;
                *ok(to) += amount;
            }
        });
        // The auditor: everything at once, or nothing, waiting at most 1 s.
        scope.spawn(|| {
            for _ in 0..rounds / 100 {
                if let Some((a, b, rates)) =
                    try_lock_all_for((&savings, &checking, &rates), Duration::from_secs(1))
                {
                    assert_eq!(*ok(a) + *ok(b), 1_000_000, "money is never lost");
                    drop(rates);
                }
            }
        });
    });
    let (checking, savings) = lock_all((&checking, &savings));
    let (checking, savings) = (*ok(checking), *ok(savings));
    assert_eq!((checking, savings), (1_000_000, 0));
    println!("  done: checking = {checking}, savings = {savings}, no deadlock, no report");
}
