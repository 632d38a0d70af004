//! proptest strategies for lock-order programs.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::subsequence;

use super::op::{Hold, LockKind, Op, Program};
use super::run::LOCK_ALL_MAX;

/// The most lock slots a program may have (locks are named `l0` to `l15`).
const MAX_LOCKS: usize = 16;

/// The most classes a generated program has.
const MAX_CLASSES: usize = 3;

/// An acquisition of one slot.
type Acquisition = fn(usize) -> Op;

/// The class of each of `locks` slots, of up to [`MAX_CLASSES`], shrinking
/// towards one class (which makes no class edges).
fn classes(locks: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(0..MAX_CLASSES, locks)
}

/// Any lock kind.
fn kind() -> impl Strategy<Value = LockKind> {
    prop_oneof![
        2 => Just(LockKind::Mutex),
        2 => Just(LockKind::RwLock),
        1 => Just(LockKind::ReentrantMutex),
        1 => Just(LockKind::StdMutex),
        1 => Just(LockKind::StdRwLock),
    ]
}

/// The members of a set over `slots`: each slot, read or not.
fn set_members(slots: Vec<usize>) -> impl Strategy<Value = Vec<(usize, bool)>> {
    let reads = vec(any::<bool>(), slots.len());
    reads.prop_map(move |reads| slots.iter().copied().zip(reads).collect())
}

/// A blocking acquisition (`lock`, `write`, `read`, `read_recursive`, `upgradable_read`).
fn blocking() -> impl Strategy<Value = Acquisition> {
    prop_oneof![
        4 => Just(Op::Lock as Acquisition),
        1 => Just(Op::Write as Acquisition),
        2 => Just(Op::Read as Acquisition),
        1 => Just(Op::ReadRecursive as Acquisition),
        1 => Just(Op::UpgradableRead as Acquisition),
    ]
}

/// Any operation on `locks` slots.
fn op(locks: usize) -> impl Strategy<Value = Op> {
    let slot = 0..locks;
    prop_oneof![
        8 => (blocking(), slot.clone()).prop_map(|(acquire, s)| acquire(s)),
        1 => slot.clone().prop_map(Op::TryLock),
        3 => slot.clone().prop_map(Op::Unlock),
        1 => Just(Op::UnlockAll),
        1 => vec(slot.clone(), 1..=LOCK_ALL_MAX).prop_map(Op::LockAll),
        1 => vec(slot.clone(), 1..=LOCK_ALL_MAX)
            .prop_flat_map(set_members)
            .prop_map(Op::LockSet),
        1 => vec(slot.clone(), 1..=LOCK_ALL_MAX)
            .prop_flat_map(set_members)
            .prop_map(Op::TryLockAll),
        1 => slot.clone().prop_map(Op::Create),
        1 => slot.prop_map(Op::Drop),
        1 => any::<bool>().prop_map(Op::Ascending),
    ]
}

fn check_shape(locks: usize, threads: usize) {
    assert!((1..=MAX_LOCKS).contains(&locks), "1 to {MAX_LOCKS} locks");
    assert!(threads >= 1, "at least one thread");
}

/// Programs of `locks` locks (each a `Mutex`, `RwLock` or `ReentrantMutex`,
/// of up to three classes), one to `threads` threads of up to `ops` operations each (the whole
/// vocabulary: acquisitions, `try_lock`, releases in any order, `lock_all`,
/// `OrderedSet`s and `try_lock_all` of mixed kinds with readers, creating and
/// dropping locks, switching `Mode::Ascending`), and an arbitrary
/// interleaving.
///
/// # Panics
/// Unless `1 <= locks <= 16` and `threads >= 1`.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{check, programs};
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(8), |(program in programs(3, 2, 6))| {
///     check(&program).map_err(TestCaseError::fail)?;
/// });
/// ```
pub fn programs(locks: usize, threads: usize, ops: usize) -> impl Strategy<Value = Program> {
    check_shape(locks, threads);
    let bodies = vec(vec(op(locks), 0..=ops), 1..=threads);
    let turns = vec(0..threads, 0..=threads * ops);
    let locks = (vec(kind(), locks), classes(locks));
    (locks, bodies, turns).prop_map(|((kinds, classes), threads, turns)| Program {
        kinds,
        classes,
        threads,
        turns,
    })
}

/// Programs whose threads only take locks (blocking `lock`, `write`, `read`,
/// ...), one after another, releasing everything when they end: a failing
/// program shrinks to the fewest threads, locks and acquisitions.
///
/// # Panics
/// Unless `1 <= locks <= 16` and `threads >= 1`.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::acquisition_programs;
/// use lockgraph::proptest::Op;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let program = acquisition_programs(2, 2, 3)
///     .new_tree(&mut TestRunner::default())
///     .unwrap()
///     .current();
/// assert!(program.threads.iter().flatten().all(|op| !matches!(op, Op::Unlock(_))));
/// ```
pub fn acquisition_programs(
    locks: usize,
    threads: usize,
    ops: usize,
) -> impl Strategy<Value = Program> {
    check_shape(locks, threads);
    let acquisition = (blocking(), 0..locks).prop_map(|(acquire, s)| acquire(s));
    let bodies = vec(vec(acquisition, 0..=ops), 1..=threads);
    (vec(kind(), locks), classes(locks), bodies).prop_map(|(kinds, classes, threads)| Program {
        kinds,
        classes,
        threads,
        turns: Vec::new(),
    })
}

/// A stretch of one thread that takes some of `allowed` (ascending slots) and
/// releases them all: blocking or `try_lock` acquisitions released in any
/// order, or one set (`lock_all`, an `OrderedSet` or `try_lock_all`, of any
/// kinds, readers among them, named in any order).
fn section(allowed: Vec<usize>) -> BoxedStrategy<Vec<Op>> {
    if allowed.is_empty() {
        return Just(Vec::new()).boxed();
    }
    let most = allowed.len().min(LOCK_ALL_MAX);
    let ascending = subsequence(allowed, 1..=most);
    let try_lock = Just(Op::TryLock as Acquisition);
    let how = prop_oneof![4 => blocking(), 1 => try_lock];
    let one_by_one = ascending.clone().prop_flat_map(move |members| {
        let release = Just(members.clone()).prop_shuffle();
        (vec(how.clone(), members.len()), Just(members), release)
    });
    let one_by_one = one_by_one.prop_map(|(hows, members, release)| {
        let takes = members.iter().zip(hows).map(|(&s, acquire)| acquire(s));
        takes.chain(release.into_iter().map(Op::Unlock)).collect()
    });
    let set = ascending
        .prop_flat_map(|members| Just(members).prop_shuffle())
        .prop_flat_map(set_members);
    let together = (set, 0..3u8).prop_map(|(members, how)| {
        let op = match how {
            0 => Op::LockAll(members.into_iter().map(|(slot, _)| slot).collect()),
            1 => Op::LockSet(members),
            _ => Op::TryLockAll(members),
        };
        vec![op, Op::UnlockAll]
    });
    prop_oneof![3 => one_by_one, 1 => together].boxed()
}

/// Up to `count` sections over `allowed`, one after another.
fn sections(allowed: &[usize], count: usize) -> BoxedStrategy<Vec<Op>> {
    let one = section(allowed.to_vec());
    vec(one, 0..=count).prop_map(|parts| parts.concat()).boxed()
}

/// Programs that only ever take locks in one global order (ascending slots,
/// of classes that never descend), with an arbitrary interleaving: lockgraph
/// must report nothing.
///
/// # Panics
/// Unless `1 <= locks <= 16` and `threads >= 1`.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{check, consistent_programs};
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(8), |(program in consistent_programs(3, 2, 3))| {
///     prop_assert!(check(&program).map_err(TestCaseError::fail)?.is_empty());
/// });
/// ```
pub fn consistent_programs(
    locks: usize,
    threads: usize,
    sections_per_thread: usize,
) -> impl Strategy<Value = Program> {
    check_shape(locks, threads);
    let ascending = classes(locks).prop_map(|mut classes| {
        classes.sort_unstable();
        classes
    });
    (vec(kind(), locks), ascending).prop_flat_map(move |(kinds, classes)| {
        let all: Vec<usize> = (0..locks).collect();
        let bodies = vec(sections(&all, sections_per_thread), 1..=threads);
        let turns = vec(0..threads, 0..=threads * sections_per_thread * 4);
        let locks = Just((kinds, classes));
        (locks, bodies, turns).prop_map(|((kinds, classes), threads, turns)| Program {
            kinds,
            classes,
            threads,
            turns,
        })
    })
}

/// A program with exactly one lock-order cycle planted in it, and the cycle.
#[derive(Clone, Debug)]
pub struct Planted {
    /// The program.
    pub program: Program,
    /// The slots of the cycle: thread `i` takes `cycle[i]` then `cycle[i + 1]`
    /// (wrapping around), so the last of these threads closes the cycle when
    /// it takes `cycle[0]` while holding its last slot.
    pub cycle: Vec<usize>,
}

/// Programs with exactly one cycle of 2 to `min(locks, threads)` locks: thread
/// `i` of the cycle takes `cycle[i]` then `cycle[i + 1]`. Around it, every
/// thread (and up to one extra thread) does up to `noise` sections of
/// consistent locking on the locks outside the cycle. Threads run one after
/// another. The cycle can deadlock: a recursive read it would take of a lock
/// the next thread holds shared (which waits for no one) is a plain read.
///
/// The locks of the cycle are of one class, or each of a class of its own
/// (then their class cycle closes with the planted cycle, and is reported as
/// the `Cycle` only); the others are of one more class.
///
/// # Panics
/// Unless `2 <= locks <= 16` and `threads >= 2`.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{check, cyclic_programs};
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(8), |(planted in cyclic_programs(3, 3, 1))| {
///     prop_assert_eq!(check(&planted.program).map_err(TestCaseError::fail)?.len(), 1);
/// });
/// ```
pub fn cyclic_programs(
    locks: usize,
    threads: usize,
    noise: usize,
) -> impl Strategy<Value = Planted> {
    check_shape(locks, threads);
    assert!(
        locks >= 2 && threads >= 2,
        "a cycle needs two locks and two threads"
    );
    let longest = locks.min(threads);
    let cycle = (2..=longest)
        .prop_flat_map(move |k| subsequence((0..locks).collect::<Vec<_>>(), k).prop_shuffle());
    (vec(kind(), locks), cycle, any::<bool>()).prop_flat_map(move |(kinds, cycle, own)| {
        let outside: Vec<usize> = (0..locks).filter(|s| !cycle.contains(s)).collect();
        let noise_around = (sections(&outside, noise), sections(&outside, noise));
        let pairs = vec((blocking(), blocking()), cycle.len());
        let cycle_threads = (pairs, vec(noise_around, cycle.len()));
        let extra = vec(sections(&outside, noise), 0..=1);
        let classes = (0..locks).map(|slot| match cycle.iter().position(|&s| s == slot) {
            Some(at) if own => 1 + at,
            Some(_) => 1,
            None => 0,
        });
        let locks = Just((kinds, classes.collect()));
        (locks, Just(cycle), cycle_threads, extra).prop_map(plant)
    })
}

/// Each cycle thread's two acquisitions, and its noise before and after them.
type CycleThreads = (Vec<(Acquisition, Acquisition)>, Vec<(Vec<Op>, Vec<Op>)>);

/// The kind and class of every slot.
type Locks = (Vec<LockKind>, Vec<usize>);

fn plant(
    ((kinds, classes), cycle, (pairs, noise), extra): (
        Locks,
        Vec<usize>,
        CycleThreads,
        Vec<Vec<Op>>,
    ),
) -> Planted {
    let k = cycle.len();
    let mut threads: Vec<Vec<Op>> = (0..k)
        .map(|i| {
            let (first, second) = pairs[i];
            let (before, after) = &noise[i];
            let (a, b) = (cycle[i], cycle[(i + 1) % k]);
            // A recursive read of a lock the next thread holds shared waits
            // for no one: the cycle would not be one (lockdep's strong
            // rule). Planted cycles deadlock: such a read is a plain read.
            let next_first = pairs[(i + 1) % k].0;
            let held_shared = matches!(
                Hold::of(kinds[b], &next_first(b)),
                Hold::Read | Hold::ReadRecursive | Hold::Upgradable
            );
            let second = match second(b) {
                Op::ReadRecursive(_) if held_shared => Op::Read(b),
                op => op,
            };
            let pair = [first(a), second, Op::Unlock(a), Op::Unlock(b)];
            [before.as_slice(), &pair, after.as_slice()].concat()
        })
        .collect();
    threads.extend(extra);
    Planted {
        program: Program {
            kinds,
            classes,
            threads,
            turns: Vec::new(),
        },
        cycle,
    }
}
