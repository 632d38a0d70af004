//! Two uncontended mutexes taken, bumped and released, every way a program
//! writes it, timed interleaved in one process: one round times every variant
//! once (20,000 iterations each), so a busy host slows them all alike, and
//! the medians over the rounds are compared with parking_lot's and std's one
//! by one in the same run. `benches/lock_all.rs` times the same closures
//! with criterion, one variant after the other.
//!
//! "Tuple" means `let (a, b) = (x.lock(), y.lock());`: the first guard is
//! moved into the tuple while the second is taken. Where the compiler keeps
//! it on the stack, a guard of three words may be copied with a wide load
//! of two narrower stores (a stalled store forward: in one program this
//! form took 20 ns against 12 for `let a = x.lock(); let b = y.lock();`);
//! here it may or may not, depending on the code around it. `lock_all`
//! returns its guards as a tuple too.
//!
//! Run: `cargo bench --bench lock_all_pairs` (`-- ROUNDS` to change the rounds).

use std::hint::black_box;
use std::time::Instant;

use lockgraph::{OrderedSet, lock_all};

const ITERATIONS: u64 = 20_000;

/// Nanoseconds per iteration of `body`.
#[inline(always)]
fn time(mut body: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..ITERATIONS {
        body();
    }
    start.elapsed().as_nanos() as f64 / ITERATIONS as f64
}

// Each variant is a function of its own, so that the compiler treats each
// as a program would a lone use.

#[inline(never)]
fn pl_lets(a: &parking_lot::Mutex<u64>, b: &parking_lot::Mutex<u64>) -> f64 {
    time(|| {
        let mut x = black_box(a).lock();
        let mut y = black_box(b).lock();
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn root_lets(a: &lockgraph::Mutex<u64>, b: &lockgraph::Mutex<u64>) -> f64 {
    time(|| {
        let mut x = black_box(a).lock();
        let mut y = black_box(b).lock();
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn root_tuple(a: &lockgraph::Mutex<u64>, b: &lockgraph::Mutex<u64>) -> f64 {
    time(|| {
        let (mut x, mut y) = (black_box(a).lock(), black_box(b).lock());
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn root_lock_all(a: &lockgraph::Mutex<u64>, b: &lockgraph::Mutex<u64>) -> f64 {
    time(|| {
        let (mut x, mut y) = lock_all((black_box(a), black_box(b)));
        *x += 1;
        *y += 1;
    })
}

/// [`root_lock_all`] with the members named against id order (`b` was made
/// after `a`), as `transfer(from, to)` names them half the time.
#[inline(never)]
fn root_lock_all_reversed(a: &lockgraph::Mutex<u64>, b: &lockgraph::Mutex<u64>) -> f64 {
    time(|| {
        let (mut y, mut x) = lock_all((black_box(b), black_box(a)));
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn root_ordered(set: &OrderedSet<(&lockgraph::Mutex<u64>, &lockgraph::Mutex<u64>)>) -> f64 {
    time(|| {
        let (mut x, mut y) = black_box(set).lock();
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn std_lets(a: &std::sync::Mutex<u64>, b: &std::sync::Mutex<u64>) -> f64 {
    time(|| {
        let mut x = black_box(a).lock().unwrap();
        let mut y = black_box(b).lock().unwrap();
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn stdsync_lets(a: &lockgraph::stdsync::Mutex<u64>, b: &lockgraph::stdsync::Mutex<u64>) -> f64 {
    time(|| {
        let mut x = black_box(a).lock().unwrap();
        let mut y = black_box(b).lock().unwrap();
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn stdsync_lock_all(a: &lockgraph::stdsync::Mutex<u64>, b: &lockgraph::stdsync::Mutex<u64>) -> f64 {
    time(|| {
        let (x, y) = lock_all((black_box(a), black_box(b)));
        let (mut x, mut y) = (x.unwrap(), y.unwrap());
        *x += 1;
        *y += 1;
    })
}

/// [`stdsync_lock_all`] with the members named against id order.
#[inline(never)]
fn stdsync_lock_all_reversed(
    a: &lockgraph::stdsync::Mutex<u64>,
    b: &lockgraph::stdsync::Mutex<u64>,
) -> f64 {
    time(|| {
        let (y, x) = lock_all((black_box(b), black_box(a)));
        let (mut y, mut x) = (y.unwrap(), x.unwrap());
        *x += 1;
        *y += 1;
    })
}

#[inline(never)]
fn stdsync_ordered(
    set: &OrderedSet<(
        &lockgraph::stdsync::Mutex<u64>,
        &lockgraph::stdsync::Mutex<u64>,
    )>,
) -> f64 {
    time(|| {
        let (x, y) = black_box(set).lock();
        let (mut x, mut y) = (x.unwrap(), y.unwrap());
        *x += 1;
        *y += 1;
    })
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(300);
    let pl = (parking_lot::Mutex::new(0), parking_lot::Mutex::new(0));
    // A pair of lockgraph mutexes per variant, ids in creation order: a
    // variant's edges and chain keys are its own.
    let root: Vec<_> = (0..6)
        .map(|_| (lockgraph::Mutex::new(0), lockgraph::Mutex::new(0)))
        .inspect(|(a, b)| {
            let _ = (a.id(), b.id());
        })
        .collect();
    let std = (std::sync::Mutex::new(0), std::sync::Mutex::new(0));
    let stdsync: Vec<_> = (0..4)
        .map(|_| {
            let pair = (
                lockgraph::stdsync::Mutex::new(0),
                lockgraph::stdsync::Mutex::new(0),
            );
            let _ = (pair.0.id(), pair.1.id());
            pair
        })
        .collect();
    let ordered = OrderedSet::new((&root[5].0, &root[5].1));
    let std_ordered = OrderedSet::new((&stdsync[3].0, &stdsync[3].1));
    let variants: [(&str, &str, &dyn Fn() -> f64); 11] = [
        ("parking_lot", "one by one", &|| pl_lets(&pl.0, &pl.1)),
        ("lockgraph", "one by one", &|| {
            root_lets(&root[0].0, &root[0].1)
        }),
        ("lockgraph", "one by one, tuple", &|| {
            root_tuple(&root[1].0, &root[1].1)
        }),
        ("lockgraph", "lock_all", &|| {
            root_lock_all(&root[2].0, &root[2].1)
        }),
        ("lockgraph", "lock_all, against id order", &|| {
            root_lock_all_reversed(&root[3].0, &root[3].1)
        }),
        ("lockgraph", "OrderedSet::lock", &|| root_ordered(&ordered)),
        ("std", "one by one", &|| std_lets(&std.0, &std.1)),
        ("stdsync", "one by one", &|| {
            stdsync_lets(&stdsync[0].0, &stdsync[0].1)
        }),
        ("stdsync", "lock_all", &|| {
            stdsync_lock_all(&stdsync[1].0, &stdsync[1].1)
        }),
        ("stdsync", "lock_all, against id order", &|| {
            stdsync_lock_all_reversed(&stdsync[2].0, &stdsync[2].1)
        }),
        ("stdsync", "OrderedSet::lock", &|| {
            stdsync_ordered(&std_ordered)
        }),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); variants.len()];
    for _ in 0..rounds {
        for (at, (_, _, run)) in variants.iter().enumerate() {
            times[at].push(run());
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let median_of = |lock: &str| {
        let at = variants
            .iter()
            .position(|&(l, how, _)| l == lock && how == "one by one");
        medians[at.expect("a one-by-one baseline")]
    };
    let (pl_median, std_median) = (median_of("parking_lot"), median_of("std"));
    println!(
        "| lock | two mutexes | ns per iteration (median of {rounds}) | / parking_lot or std one by one |"
    );
    println!("|---|---|---:|---:|");
    for ((lock, how, _), median) in variants.iter().zip(&medians) {
        let base = match *lock {
            "std" | "stdsync" => std_median,
            _ => pl_median,
        };
        println!("| {lock} | {how} | {median:.1} | {:.2} |", median / base);
    }
}
