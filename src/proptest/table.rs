//! The run's locks: real lockgraph locks of every kind, by lock number, and
//! what a program thread does with them for each operation.
//!
//! Sets of mixed kinds go through [`SetLock`], implemented here for a member
//! of any kind (`Member`): the way a new lock type joins `lock_all`.

use std::collections::BTreeMap;
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use super::classes::ClassEdge;
use super::model::Verdict;
use super::op::{Hold, LockKind, Op, Program};
use super::run::LiveLocks;
use crate::report::{ClassCycle, LockRef, OrderEdge};
use crate::stdsync;
use crate::{
    LockClass, LockId, Mode, Mutex, OrderedSet, ReentrantMutex, RwLock, SetLock, SetReadLock,
    Violation, ViolationKind, lock_all, set_mode, try_lock_all,
};

/// The class of each slot's locks for one run of `program`. A program of one
/// class has it by its number alone (`c0`): its locks never make a class
/// edge, so every run can share it, and its reports read the same from run
/// to run. A program of several has them made anew for the run
/// (`c1 (run 7)`): class edges outlive the run that made them, and another
/// run's must not meet them.
pub(super) fn run_classes(program: &Program) -> Vec<LockClass> {
    static SHARED: StdMutex<BTreeMap<usize, LockClass>> = StdMutex::new(BTreeMap::new());
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let classes: Vec<usize> = (0..program.kinds.len())
        .map(|s| program.class_of(s))
        .collect();
    let several = classes.iter().any(|&c| c != classes[0]);
    let run = several.then(|| RUNS.fetch_add(1, Relaxed));
    let mut made: BTreeMap<usize, LockClass> = BTreeMap::new();
    let mut class = |number: usize| match run {
        Some(run) => *made
            .entry(number)
            .or_insert_with(|| class_named(format!("c{number} (run {run})"))),
        None => *SHARED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(number)
            .or_insert_with(|| class_named(format!("c{number}"))),
    };
    classes.into_iter().map(&mut class).collect()
}

/// A class named `name`, for good: a class's name is a `&'static str`, so it
/// is leaked, and kept in a list so that a leak checker (libFuzzer's, after
/// each input) sees it still reachable, as it is for the class graph.
fn class_named(name: String) -> LockClass {
    static NAMES: StdMutex<Vec<&'static str>> = StdMutex::new(Vec::new());
    let name: &'static str = Box::leak(name.into_boxed_str());
    NAMES.lock().unwrap_or_else(|e| e.into_inner()).push(name);
    LockClass::named(name)
}

/// A lock of any kind, holding `()`.
enum AnyLock {
    Mutex(Mutex<()>),
    RwLock(RwLock<()>),
    Reentrant(ReentrantMutex<()>),
    StdMutex(stdsync::Mutex<()>),
    StdRwLock(stdsync::RwLock<()>),
}

/// Anything held only to be dropped later: a guard of any lock type.
pub(super) trait Held {}
impl<T> Held for T {}

pub(super) type Guard<'a> = Box<dyn Held + 'a>;

impl AnyLock {
    /// A lock of `kind` and `class` (reports call it by the class's name).
    fn new(kind: LockKind, class: LockClass) -> AnyLock {
        match kind {
            LockKind::Mutex => AnyLock::Mutex(Mutex::with_class(class, ())),
            LockKind::RwLock => AnyLock::RwLock(RwLock::with_class(class, ())),
            LockKind::ReentrantMutex => AnyLock::Reentrant(ReentrantMutex::with_class(class, ())),
            LockKind::StdMutex => AnyLock::StdMutex(stdsync::Mutex::with_class(class, ())),
            LockKind::StdRwLock => AnyLock::StdRwLock(stdsync::RwLock::with_class(class, ())),
        }
    }

    fn id(&self) -> LockId {
        match self {
            AnyLock::Mutex(m) => m.id(),
            AnyLock::RwLock(l) => l.id(),
            AnyLock::Reentrant(r) => r.id(),
            AnyLock::StdMutex(m) => m.id(),
            AnyLock::StdRwLock(l) => l.id(),
        }
    }

    /// The blocking acquisition `op` names (a poisoned `stdsync` lock's
    /// guard is kept inside its `Err`).
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
            AnyLock::StdMutex(m) => Box::new(m.lock()),
            AnyLock::StdRwLock(l) => match Hold::of(LockKind::StdRwLock, op) {
                Hold::Read => Box::new(l.read()),
                _ => Box::new(l.write()),
            },
        }
    }

    fn try_acquire(&self) -> Option<Guard<'_>> {
        match self {
            AnyLock::Mutex(m) => m.try_lock().map(boxed),
            AnyLock::Reentrant(r) => r.try_lock().map(boxed),
            AnyLock::RwLock(l) => l.try_write().map(boxed),
            AnyLock::StdMutex(m) => m.try_lock_in_set().map(boxed),
            AnyLock::StdRwLock(l) => l.try_lock_in_set().map(boxed),
        }
    }
}

fn boxed<'a, G: 'a>(guard: G) -> Guard<'a> {
    Box::new(guard)
}

/// A set member of any kind: the lock and whether a reader-writer lock is
/// read (`for_read()`).
#[derive(Clone, Copy)]
struct Member<'t> {
    lock: &'t AnyLock,
    read: bool,
}

/// `$body` with `$l` bound to the member's lock (a `SetLock`): `$read` when it
/// is read, `$write` otherwise.
macro_rules! per_kind {
    ($member:expr, |$l:ident| $write:expr, $read:expr) => {
        match ($member.lock, $member.read) {
            (AnyLock::Mutex($l), _) => boxed_opt($write),
            (AnyLock::Reentrant($l), _) => boxed_opt($write),
            (AnyLock::StdMutex($l), _) => boxed_opt($write),
            (AnyLock::RwLock($l), false) => boxed_opt($write),
            (AnyLock::StdRwLock($l), false) => boxed_opt($write),
            (AnyLock::RwLock($l), true) => boxed_opt($read),
            (AnyLock::StdRwLock($l), true) => boxed_opt($read),
        }
    };
}

/// A guard, or an optional guard, boxed.
trait BoxedOpt<'a> {
    fn boxed_opt(self) -> Option<Guard<'a>>;
}

/// Wraps a blocking acquisition's guard so that it boxes like an optional one.
struct Taken<G>(G);

impl<'a, G: 'a> BoxedOpt<'a> for Taken<G> {
    fn boxed_opt(self) -> Option<Guard<'a>> {
        Some(boxed(self.0))
    }
}

impl<'a, G: 'a> BoxedOpt<'a> for Option<G> {
    fn boxed_opt(self) -> Option<Guard<'a>> {
        self.map(boxed)
    }
}

fn boxed_opt<'a>(guard: impl BoxedOpt<'a>) -> Option<Guard<'a>> {
    guard.boxed_opt()
}

impl<'t> SetLock for Member<'t> {
    type Guard<'a>
        = Guard<'t>
    where
        Self: 'a;

    fn lock_ref(&self) -> LockRef {
        match self.lock {
            AnyLock::Mutex(l) => l.lock_ref(),
            AnyLock::RwLock(l) => l.lock_ref(),
            AnyLock::Reentrant(l) => l.lock_ref(),
            AnyLock::StdMutex(l) => l.lock_ref(),
            AnyLock::StdRwLock(l) => l.lock_ref(),
        }
    }

    #[track_caller]
    fn lock_in_set(&self) -> Guard<'t> {
        let taken = per_kind!(self, |l| Taken(l.lock_in_set()), Taken(l.read_in_set()));
        taken.expect("a blocking acquisition takes its lock")
    }

    #[track_caller]
    fn try_lock_in_set(&self) -> Option<Guard<'t>> {
        per_kind!(self, |l| l.try_lock_in_set(), l.try_read_in_set())
    }

    #[track_caller]
    fn try_lock_in_set_until(&self, deadline: Instant) -> Option<Guard<'t>> {
        per_kind!(
            self,
            |l| l.try_lock_in_set_until(deadline),
            l.try_read_in_set_until(deadline)
        )
    }
}

/// `lock_all` (or, with `prepared`, an [`OrderedSet`] locked once) over one
/// to [`LOCK_ALL_MAX`](super::LOCK_ALL_MAX) members, in the given order
/// (tuples, so that the guards borrow the locks, not a slice of them).
macro_rules! lock_all_of {
    ($members:expr, $prepared:expr) => {
        match (&$members[..], $prepared) {
            ([a], false) => {
                let (g,) = lock_all((a,));
                vec![g]
            }
            ([a], true) => {
                let (g,) = OrderedSet::new((a,)).lock();
                vec![g]
            }
            ([a, b], false) => {
                let (g, h) = lock_all((a, b));
                vec![g, h]
            }
            ([a, b], true) => {
                let (g, h) = OrderedSet::new((a, b)).lock();
                vec![g, h]
            }
            ([a, b, c], false) => {
                let (g, h, i) = lock_all((a, b, c));
                vec![g, h, i]
            }
            ([a, b, c], true) => {
                let (g, h, i) = OrderedSet::new((a, b, c)).lock();
                vec![g, h, i]
            }
            ([a, b, c, d], false) => {
                let (g, h, i, j) = lock_all((a, b, c, d));
                vec![g, h, i, j]
            }
            ([a, b, c, d], true) => {
                let (g, h, i, j) = OrderedSet::new((a, b, c, d)).lock();
                vec![g, h, i, j]
            }
            _ => Vec::new(),
        }
    };
}

/// The run's locks: every lock by number (`None` once dropped) and each slot's
/// live lock.
pub(super) struct LockTable {
    locks: Vec<Option<AnyLock>>,
    ids: Vec<LockId>,
    slots: Vec<Option<usize>>,
    kinds: Vec<LockKind>,
    classes: Vec<LockClass>,
}

impl Drop for LockTable {
    /// The run is over: its classes' edges go (they are named for this run,
    /// and never used again).
    fn drop(&mut self) {
        self.locks.clear();
        crate::class::graph::forget(&self.classes);
    }
}

impl LockTable {
    /// The initial locks of `program`, of the classes made for this run.
    pub(super) fn new(program: &Program) -> LockTable {
        let kinds = &program.kinds;
        let mut table = LockTable {
            locks: Vec::new(),
            ids: Vec::new(),
            slots: vec![None; kinds.len()],
            kinds: kinds.to_vec(),
            classes: run_classes(program),
        };
        (0..kinds.len()).for_each(|slot| table.create(slot));
        table
    }

    /// A fresh lock in `slot`; its id is assigned now, so ids follow lock numbers.
    fn create(&mut self, slot: usize) {
        let lock = AnyLock::new(self.kinds[slot], self.classes[slot]);
        self.ids.push(lock.id());
        self.slots[slot] = Some(self.locks.len());
        self.locks.push(Some(lock));
    }

    pub(super) fn apply(&mut self, op: &Op) {
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

    pub(super) fn live_locks(&self) -> LiveLocks<'_> {
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
    pub(super) fn verdict(&self, violation: &Violation) -> Result<Verdict, String> {
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
            ViolationKind::RecursiveRead => Ok(Verdict::RecursiveRead { lock: first }),
            ViolationKind::ClassCycle => match violation {
                Violation::ClassCycle(cycle) => self.class_cycle(cycle),
                _ => Err(format!("not a class cycle: {violation}")),
            },
            kind => Err(format!("unexpected {kind:?}: {violation}")),
        }
    }

    fn class_cycle(&self, cycle: &ClassCycle) -> Result<Verdict, String> {
        let path = cycle.path().iter().map(|edge| self.class_edge(edge));
        Ok(Verdict::ClassCycle {
            acquiring: self.number(cycle.acquiring().id)?,
            holding: self.number(cycle.holding().lock.id)?,
            path: path.collect::<Result<_, _>>()?,
            again: cycle.0.again,
        })
    }

    /// A class edge of a report as the model states it.
    fn class_edge(&self, edge: &OrderEdge) -> Result<ClassEdge, String> {
        let thread = edge.thread().strip_prefix('t').and_then(|t| t.parse().ok());
        let gate = edge.gate().iter().map(|lock| self.number(lock.id));
        let mut gate: Vec<usize> = gate.collect::<Result<_, _>>()?;
        gate.sort_unstable();
        Ok(ClassEdge {
            from: self.number(edge.from().id)?,
            to: self.number(edge.to().id)?,
            thread: thread.ok_or_else(|| format!("a thread not of the run: {}", edge.thread()))?,
            kinds: edge.kinds(),
            gate,
        })
    }
}

pub(super) fn execute<'t>(table: &'t LockTable, op: &Op, held: &mut Vec<(usize, Guard<'t>)>) {
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
        Op::LockAll(slots) => {
            let members: Vec<(usize, bool)> = slots.iter().map(|&s| (s, false)).collect();
            held.extend(lock_set(table, &members, false));
        }
        Op::LockSet(members) => held.extend(lock_set(table, members, true)),
        Op::TryLockAll(members) => held.extend(try_lock_set(table, members)),
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

/// The live members among `slots`, with their lock numbers.
fn members<'t>(table: &'t LockTable, slots: &[(usize, bool)]) -> Vec<(usize, Member<'t>)> {
    let live = slots.iter().filter_map(|&(slot, read)| {
        let (number, lock) = table.lock(slot)?;
        Some((number, Member { lock, read }))
    });
    live.collect()
}

/// `lock_all` (or an `OrderedSet`, if `prepared`) over the named members,
/// guards paired with lock numbers.
fn lock_set<'t>(
    table: &'t LockTable,
    slots: &[(usize, bool)],
    prepared: bool,
) -> Vec<(usize, Guard<'t>)> {
    let (numbers, members): (Vec<usize>, Vec<Member<'t>>) =
        members(table, slots).into_iter().unzip();
    let guards: Vec<Guard<'t>> = lock_all_of!(members, prepared);
    numbers.into_iter().zip(guards).collect()
}

/// `try_lock_all` over the named members (a slice), guards paired with lock
/// numbers; nothing if any member is busy.
fn try_lock_set<'t>(table: &'t LockTable, slots: &[(usize, bool)]) -> Vec<(usize, Guard<'t>)> {
    let (numbers, members): (Vec<usize>, Vec<Member<'t>>) =
        members(table, slots).into_iter().unzip();
    let guards = try_lock_all(&members[..]).unwrap_or_default();
    numbers.into_iter().zip(guards).collect()
}
