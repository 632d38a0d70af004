//! Instruction counts per operation, for `valgrind --tool=callgrind`.
//!
//! Timings on a shared machine move with the host's load; instruction counts
//! do not. `scripts/instructions.sh` runs each scenario below under callgrind
//! with two iteration counts and divides the difference of the totals by the
//! difference of the counts, so start-up and warm-up cancel out.
//!
//! By hand: `cargo bench --bench instructions --no-run`, then run the binary
//! with `SCENARIO ITERATIONS` (no arguments lists the scenarios).

use std::hint::black_box;

/// A caller's own small wrapper around `lock()`, as real programs (and
/// lockbench) have: it must be inlined for the steady state to be cheap.
#[inline]
fn lock_through_wrapper<T>(m: &lockgraph::Mutex<T>) -> lockgraph::MutexGuard<'_, T> {
    m.lock()
}

#[inline]
fn std_lock_through_wrapper<T>(
    m: &lockgraph::stdsync::Mutex<T>,
) -> lockgraph::stdsync::MutexGuard<'_, T> {
    m.lock().unwrap()
}

#[inline]
fn read_through_wrapper<T>(m: &lockgraph::RwLock<T>) -> lockgraph::RwLockReadGuard<'_, T> {
    m.read()
}

#[inline]
fn std_read_through_wrapper<T>(
    m: &lockgraph::stdsync::RwLock<T>,
) -> lockgraph::stdsync::RwLockReadGuard<'_, T> {
    m.read().unwrap()
}

#[inline]
fn pl_read_through_wrapper<T>(m: &parking_lot::RwLock<T>) -> parking_lot::RwLockReadGuard<'_, T> {
    m.read()
}

#[inline]
fn std_baseline_lock_through_wrapper<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap()
}

#[inline]
fn std_baseline_read_through_wrapper<T>(
    m: &std::sync::RwLock<T>,
) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap()
}

#[inline]
fn pl_lock_through_wrapper<T>(m: &parking_lot::Mutex<T>) -> parking_lot::MutexGuard<'_, T> {
    m.lock()
}

/// A lock taken through a trait method, from generic code, as lockbench's
/// harness and a program's generic helpers do: the compiler cannot inline the
/// method before it knows the type, so only the final inlining decides
/// whether the acquisition is inlined (the wrappers above may be inlined
/// earlier, when their caller is not generic).
trait Take {
    type Guard<'a>: std::ops::Deref<Target = u64>
    where
        Self: 'a;
    fn take(&self) -> Self::Guard<'_>;
}

macro_rules! take {
    ($($Lock:ty => $Guard:ty, |$m:ident| $take:expr;)*) => {$(
        impl Take for $Lock {
            type Guard<'a> = $Guard;
            #[inline]
            fn take(&self) -> Self::Guard<'_> {
                let $m = self;
                $take
            }
        }
    )*};
}

take!(
    lockgraph::Mutex<u64> => lockgraph::MutexGuard<'a, u64>, |m| m.lock();
    lockgraph::RwLock<u64> => lockgraph::RwLockReadGuard<'a, u64>, |m| m.read();
    lockgraph::stdsync::Mutex<u64> => lockgraph::stdsync::MutexGuard<'a, u64>, |m| m.lock().unwrap();
    lockgraph::stdsync::RwLock<u64> => lockgraph::stdsync::RwLockReadGuard<'a, u64>, |m| m.read().unwrap();
);

/// Takes and releases `lock` `n` times through [`Take`], from generic code.
fn generic<L: Take>(lock: L, n: u64) {
    for _ in 0..n {
        black_box(*black_box(&lock).take());
    }
}

/// [`generic`] with `held` held: a second caller of each [`Take::take`], as
/// a program has many (one caller would make the compiler inline it anyway).
fn generic_held<L: Take>(held: L, lock: L, n: u64) {
    let _held = held.take();
    generic(lock, n);
}

type Scenario = (&'static str, &'static str, fn(u64));

const SCENARIOS: &[Scenario] = &[
    ("s1", "lockgraph::Mutex lock+unlock, nothing held", s1),
    (
        "s1-wrapper",
        "the same through a caller's #[inline] wrapper",
        s1_wrapper,
    ),
    (
        "s1-pl",
        "parking_lot::Mutex lock+unlock (the baseline)",
        s1_pl,
    ),
    (
        "s2-wrapper",
        "lock+unlock under one held lock, through a wrapper",
        s2_wrapper,
    ),
    ("s2-pl", "parking_lot: the same", s2_pl),
    (
        "s3-wrapper",
        "lock+unlock under 8 held locks, through a wrapper",
        s3_wrapper,
    ),
    ("s3-pl", "parking_lot: the same", s3_pl),
    ("s1-std", "stdsync::Mutex lock+unlock, nothing held", s1_std),
    (
        "s1-std-wrapper",
        "the same through a caller's #[inline] wrapper",
        s1_std_wrapper,
    ),
    (
        "s2-std-wrapper",
        "stdsync: lock+unlock under one held lock, through a wrapper",
        s2_std_wrapper,
    ),
    (
        "s3-std-wrapper",
        "stdsync: lock+unlock under 8 held locks, through a wrapper",
        s3_std_wrapper,
    ),
    (
        "s1-std-baseline",
        "std::sync::Mutex lock+unlock (the baseline)",
        s1_std_baseline,
    ),
    (
        "s2-std-baseline",
        "std::sync: lock+unlock under one held lock, through a wrapper",
        s2_std_baseline,
    ),
    (
        "s3-std-baseline",
        "std::sync: lock+unlock under 8 held locks, through a wrapper",
        s3_std_baseline,
    ),
    ("s6", "create a lock, take it under a held one, drop it", s6),
    ("s6-std", "stdsync: the same", s6_std),
    (
        "s6-public",
        "s6 under a lock another thread used first (public)",
        s6_public,
    ),
    (
        "s1-generic",
        "lockgraph::Mutex through a trait, from generic code",
        |n| generic(lockgraph::Mutex::new(0), n),
    ),
    (
        "s1-std-generic",
        "stdsync::Mutex through a trait, from generic code",
        |n| generic(lockgraph::stdsync::Mutex::new(0), n),
    ),
    ("s2-generic", "s1-generic under one held lock", |n| {
        generic_held(lockgraph::Mutex::new(0), lockgraph::Mutex::new(0), n)
    }),
    (
        "s2-std-generic",
        "s1-std-generic under one held lock",
        |n| {
            let new = lockgraph::stdsync::Mutex::new;
            generic_held(new(0), new(0), n)
        },
    ),
    (
        "s7-generic",
        "lockgraph::RwLock read through a trait, from generic code",
        |n| generic(lockgraph::RwLock::new(0), n),
    ),
    (
        "s7-std-generic",
        "stdsync::RwLock read through a trait, from generic code",
        |n| generic(lockgraph::stdsync::RwLock::new(0), n),
    ),
    (
        "s7-held-generic",
        "s7-generic under another read lock",
        |n| generic_held(lockgraph::RwLock::new(0), lockgraph::RwLock::new(0), n),
    ),
    (
        "s7-std-held-generic",
        "s7-std-generic under another read lock",
        |n| {
            let new = lockgraph::stdsync::RwLock::new;
            generic_held(new(0), new(0), n)
        },
    ),
    ("s7", "RwLock read+unlock, nothing held", s7),
    (
        "s7-wrapper",
        "the same through a caller's #[inline] wrapper",
        s7_wrapper,
    ),
    ("s7-pl", "parking_lot::RwLock read through a wrapper", s7_pl),
    (
        "s7-std-wrapper",
        "stdsync::RwLock read+unlock through a wrapper",
        s7_std_wrapper,
    ),
    (
        "s7-std-baseline",
        "std::sync::RwLock read through a wrapper",
        s7_std_baseline,
    ),
    (
        "two-pl",
        "parking_lot: two mutexes taken one by one, both released",
        two_pl,
    ),
    ("two", "lockgraph::Mutex: the same", two),
    (
        "two-std",
        "std::sync: two mutexes taken one by one (lock().unwrap()), both released",
        two_std,
    ),
    (
        "lock-all-std",
        "lockgraph::lock_all of two stdsync mutexes, both unwrapped",
        lock_all_two_std,
    ),
    (
        "lock-all",
        "lockgraph::lock_all of the same two mutexes",
        lock_all_two,
    ),
    (
        "lock-all-reversed",
        "the same, named against id order",
        lock_all_reversed,
    ),
    (
        "s9",
        "lockbench's S9: each new mutex taken under the previous 4, released last in first out",
        s9,
    ),
    ("s9-pl", "parking_lot: lockbench's S9", s9_pl),
    (
        "s10",
        "a new edge in a big graph: 20,000 mutexes, 60,000 edges, then new ones",
        s10,
    ),
    (
        "s10-big",
        "lockbench's S10: 100,000 mutexes, 300,000 edges (gaps 1-16, random), then new ones",
        s10_big,
    ),
    ("s10-big-pl", "parking_lot: the same", s10_big_pl),
    (
        "s9-fifo",
        "the same window, the guards released first in first out (a dropped Vec of guards)",
        s9_fifo,
    ),
];

fn s1(n: u64) {
    let m = lockgraph::Mutex::new(0u64);
    for _ in 0..n {
        *black_box(&m).lock() += 1;
    }
}

fn s1_wrapper(n: u64) {
    let m = lockgraph::Mutex::new(0u64);
    for _ in 0..n {
        *lock_through_wrapper(black_box(&m)) += 1;
    }
}

fn s1_pl(n: u64) {
    let m = parking_lot::Mutex::new(0u64);
    for _ in 0..n {
        *pl_lock_through_wrapper(black_box(&m)) += 1;
    }
}

fn s2_wrapper(n: u64) {
    let (a, b) = (lockgraph::Mutex::new(0u64), lockgraph::Mutex::new(0u64));
    let _a = a.lock();
    for _ in 0..n {
        *lock_through_wrapper(black_box(&b)) += 1;
    }
}

fn s2_pl(n: u64) {
    let (a, b) = (parking_lot::Mutex::new(0u64), parking_lot::Mutex::new(0u64));
    let _a = a.lock();
    for _ in 0..n {
        *pl_lock_through_wrapper(black_box(&b)) += 1;
    }
}

/// Eight locks of one kind taken in creation order, held while `bump` runs.
macro_rules! under_eight {
    ($new:expr, $lock:expr, $n:ident, $bump:expr) => {{
        let held: Vec<_> = (0..8u64).map($new).collect();
        let last = $new(8);
        let _guards: Vec<_> = held.iter().map($lock).collect();
        for _ in 0..$n {
            $bump(&last);
        }
    }};
}

fn s3_wrapper(n: u64) {
    under_eight!(lockgraph::Mutex::new, lockgraph::Mutex::lock, n, |m| {
        *lock_through_wrapper(black_box(m)) += 1
    });
}

fn s3_pl(n: u64) {
    under_eight!(parking_lot::Mutex::new, parking_lot::Mutex::lock, n, |m| {
        *pl_lock_through_wrapper(black_box(m)) += 1
    });
}

fn s3_std_wrapper(n: u64) {
    under_eight!(
        lockgraph::stdsync::Mutex::new,
        std_lock_through_wrapper,
        n,
        |m| *std_lock_through_wrapper(black_box(m)) += 1
    );
}

fn s3_std_baseline(n: u64) {
    under_eight!(
        std::sync::Mutex::new,
        std_baseline_lock_through_wrapper,
        n,
        |m| *std_baseline_lock_through_wrapper(black_box(m)) += 1
    );
}

fn s2_std_baseline(n: u64) {
    let (a, b) = (std::sync::Mutex::new(0u64), std::sync::Mutex::new(0u64));
    let _a = a.lock().unwrap();
    for _ in 0..n {
        *std_baseline_lock_through_wrapper(black_box(&b)) += 1;
    }
}

fn s1_std(n: u64) {
    let m = lockgraph::stdsync::Mutex::new(0u64);
    for _ in 0..n {
        *black_box(&m).lock().unwrap() += 1;
    }
}

fn s1_std_wrapper(n: u64) {
    let m = lockgraph::stdsync::Mutex::new(0u64);
    for _ in 0..n {
        *std_lock_through_wrapper(black_box(&m)) += 1;
    }
}

fn s2_std_wrapper(n: u64) {
    let (a, b) = (
        lockgraph::stdsync::Mutex::new(0u64),
        lockgraph::stdsync::Mutex::new(0u64),
    );
    let _a = a.lock().unwrap();
    for _ in 0..n {
        *std_lock_through_wrapper(black_box(&b)) += 1;
    }
}

fn s1_std_baseline(n: u64) {
    let m = std::sync::Mutex::new(0u64);
    for _ in 0..n {
        *black_box(&m).lock().unwrap() += 1;
    }
}

fn s6(n: u64) {
    let outer = lockgraph::Mutex::new(0u64);
    let _outer = outer.lock();
    for i in 0..n {
        let inner = lockgraph::Mutex::new(i);
        *black_box(&inner).lock() += 1;
    }
}

/// S6 under a lock another thread took first (and that thread has ended):
/// the outer lock is public, the new ones private to this thread.
fn s6_public(n: u64) {
    let outer = std::thread::spawn(|| {
        let m = lockgraph::Mutex::new(0u64);
        *m.lock() += 1;
        m
    });
    let outer = outer.join().unwrap();
    let _outer = outer.lock();
    for i in 0..n {
        let inner = lockgraph::Mutex::new(i);
        *black_box(&inner).lock() += 1;
    }
}

fn s6_std(n: u64) {
    let outer = lockgraph::stdsync::Mutex::new(0u64);
    let _outer = outer.lock().unwrap();
    for i in 0..n {
        let inner = lockgraph::stdsync::Mutex::new(i);
        *black_box(&inner).lock().unwrap() += 1;
    }
}

fn s7(n: u64) {
    let m = lockgraph::RwLock::new(0u64);
    for _ in 0..n {
        black_box(*black_box(&m).read());
    }
}

fn s7_wrapper(n: u64) {
    let m = lockgraph::RwLock::new(0u64);
    for _ in 0..n {
        black_box(*read_through_wrapper(black_box(&m)));
    }
}

fn s7_pl(n: u64) {
    let m = parking_lot::RwLock::new(0u64);
    for _ in 0..n {
        black_box(*pl_read_through_wrapper(black_box(&m)));
    }
}

fn s7_std_wrapper(n: u64) {
    let m = lockgraph::stdsync::RwLock::new(0u64);
    for _ in 0..n {
        black_box(*std_read_through_wrapper(black_box(&m)));
    }
}

fn s7_std_baseline(n: u64) {
    let m = std::sync::RwLock::new(0u64);
    for _ in 0..n {
        black_box(*std_baseline_read_through_wrapper(black_box(&m)));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`: nothing to time here.
    let named = args.iter().find(|a| !a.starts_with('-'));
    let Some(name) = named else {
        println!("scenarios (run one as: SCENARIO ITERATIONS):");
        SCENARIOS
            .iter()
            .for_each(|(name, what, _)| println!("  {name:16} {what}"));
        return;
    };
    let iterations = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    match SCENARIOS.iter().find(|(n, _, _)| n == name) {
        // A thread of its own: a fresh held set and private graph, as lockbench.
        Some(&(_, _, run)) => std::thread::spawn(move || run(iterations)).join().unwrap(),
        None => {
            eprintln!("unknown scenario {name:?}; run without arguments for the list");
            std::process::exit(2);
        }
    }
}

fn two_pl(n: u64) {
    let (a, b) = (parking_lot::Mutex::new(0u64), parking_lot::Mutex::new(0u64));
    for _ in 0..n {
        let (mut x, mut y) = (black_box(&a).lock(), black_box(&b).lock());
        *x += 1;
        *y += 1;
    }
}

fn two(n: u64) {
    let (a, b) = (lockgraph::Mutex::new(0u64), lockgraph::Mutex::new(0u64));
    let _ = (a.id(), b.id());
    for _ in 0..n {
        let (mut x, mut y) = (black_box(&a).lock(), black_box(&b).lock());
        *x += 1;
        *y += 1;
    }
}

fn two_std(n: u64) {
    let (a, b) = (std::sync::Mutex::new(0u64), std::sync::Mutex::new(0u64));
    for _ in 0..n {
        let mut x = black_box(&a).lock().unwrap();
        let mut y = black_box(&b).lock().unwrap();
        *x += 1;
        *y += 1;
    }
}

fn lock_all_two_std(n: u64) {
    let (a, b) = (
        lockgraph::stdsync::Mutex::new(0u64),
        lockgraph::stdsync::Mutex::new(0u64),
    );
    let _ = (a.id(), b.id());
    for _ in 0..n {
        let (x, y) = lockgraph::lock_all((black_box(&a), black_box(&b)));
        let (mut x, mut y) = (x.unwrap(), y.unwrap());
        *x += 1;
        *y += 1;
    }
}

fn lock_all_two(n: u64) {
    let (a, b) = (lockgraph::Mutex::new(0u64), lockgraph::Mutex::new(0u64));
    let _ = (a.id(), b.id());
    for _ in 0..n {
        let (mut x, mut y) = lockgraph::lock_all((black_box(&a), black_box(&b)));
        *x += 1;
        *y += 1;
    }
}

fn lock_all_reversed(n: u64) {
    let (a, b) = (lockgraph::Mutex::new(0u64), lockgraph::Mutex::new(0u64));
    let _ = (a.id(), b.id());
    for _ in 0..n {
        // Named against id order, the guards bound in argument order.
        let (mut y, mut x) = lockgraph::lock_all((black_box(&b), black_box(&a)));
        *x += 1;
        *y += 1;
    }
}

/// lockbench's S9 for one mutex type: each new mutex is taken under the
/// previous 4 (in creation order), the guards released last in first out,
/// then the oldest mutex dropped.
macro_rules! sliding_window {
    ($mutex:ty, $n:expr) => {{
        let mut window: std::collections::VecDeque<$mutex> = Default::default();
        for i in 0..$n {
            let new = <$mutex>::new(i);
            {
                let mut guards: Vec<_> = window.iter().map(|m| black_box(m).lock()).collect();
                *black_box(&new).lock() += 1;
                while guards.pop().is_some() {}
            }
            window.push_back(new);
            if window.len() > 4 {
                window.pop_front();
            }
        }
    }};
}

fn s9(n: u64) {
    sliding_window!(lockgraph::Mutex<u64>, n)
}

fn s9_pl(n: u64) {
    sliding_window!(parking_lot::Mutex<u64>, n)
}

/// lockbench's S10 in small: a graph of `LOCKS` long-lived mutexes with
/// edges `i -> i + 1..=3` (made untimed: the same at every `n`), then `n`
/// new edges `i -> i + d`, `4 <= d <= 16`, each made once, spread over the
/// graph.
fn s10(n: u64) {
    const LOCKS: u64 = 20_000;
    let locks: Vec<lockgraph::Mutex<u64>> = (0..LOCKS).map(lockgraph::Mutex::new).collect();
    for i in 0..LOCKS as usize - 3 {
        let _held = locks[i].lock();
        for d in 1..=3 {
            *locks[i + d].lock() += 1;
        }
    }
    let sources = LOCKS - 17;
    for k in 0..n {
        let i = (k * 7919 % sources) as usize;
        let d = 4 + (k / sources % 13) as usize;
        let _held = black_box(&locks[i]).lock();
        *black_box(&locks[i + d]).lock() += 1;
    }
}

/// SplitMix64: the same random edges in every run, so that two runs of
/// different lengths share their first edges.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// Lockbench's S10 with `pair` (take `a`, then `b` under it) for a lock type: 100,000 locks,
/// each taken in turn with 3 targets at most 16 ahead, chosen at random
/// (ids follow first use, so the order the graph keeps is not the index
/// order, as in lockbench), then `n` new edges of the same kind, at random.
fn s10_shape<M>(n: u64, new: impl Fn(u64) -> M, pair: impl Fn(&M, &M)) {
    const LOCKS: usize = 100_000;
    const GAP: usize = 16;
    let mut rng = SplitMix(0x5EED_0010);
    let mut used = vec![0u16; LOCKS];
    let mut pick = |i: usize, used: &mut [u16]| loop {
        let d = 1 + rng.below((LOCKS - 1 - i).min(GAP));
        if used[i] & (1 << (d - 1)) == 0 {
            used[i] |= 1 << (d - 1);
            break i + d;
        }
    };
    let locks: Vec<M> = (0..LOCKS as u64).map(new).collect();
    for i in 0..LOCKS - 1 {
        for _ in 0..3.min(LOCKS - 1 - i) {
            let j = pick(i, &mut used);
            pair(&locks[i], &locks[j]);
        }
    }
    let mut sources = SplitMix(0x5EED_0011);
    for _ in 0..n {
        let i = loop {
            let i = sources.below(LOCKS - GAP - 1);
            if used[i] != u16::MAX {
                break i;
            }
        };
        let j = pick(i, &mut used);
        pair(black_box(&locks[i]), black_box(&locks[j]));
    }
    // Lockbench times the new edges only: dropping the locks here would add
    // the removal of every new edge to each one's count.
    std::mem::forget(locks);
}

fn s10_big(n: u64) {
    s10_shape(n, lockgraph::Mutex::new, |a, b| {
        let _a = a.lock();
        *b.lock() += 1;
    });
}

fn s10_big_pl(n: u64) {
    s10_shape(n, parking_lot::Mutex::new, |a, b| {
        let _a = a.lock();
        *b.lock() += 1;
    });
}

fn s9_fifo(n: u64) {
    use std::collections::VecDeque;
    let mut window: VecDeque<lockgraph::Mutex<u64>> = VecDeque::new();
    for i in 0..n {
        window.push_back(lockgraph::Mutex::new(i));
        let guards: Vec<_> = window.iter().map(|m| black_box(m).lock()).collect();
        drop(guards);
        if window.len() > 4 {
            window.pop_front();
        }
    }
}
