//! The run's locks: real lockgraph locks of the three kinds, by lock number,
//! and what a program thread does with them for each operation.

use super::model::Verdict;
use super::op::{Hold, LockKind, Op};
use super::run::LiveLocks;
use crate::{
    LockId, Mode, Mutex, ReentrantMutex, RwLock, Violation, ViolationKind, lock_all, set_mode,
};

/// Lock names by slot, so that reports read the same from run to run.
const NAMES: [&str; 16] = [
    "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10", "l11", "l12", "l13", "l14",
    "l15",
];

/// One of the three lock kinds, holding `()`.
enum AnyLock {
    Mutex(Mutex<()>),
    RwLock(RwLock<()>),
    Reentrant(ReentrantMutex<()>),
}

/// Anything held only to be dropped later: a guard of any lock type.
pub(super) trait Held {}
impl<T> Held for T {}

pub(super) type Guard<'a> = Box<dyn Held + 'a>;

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

/// `lock_all` over one to [`LOCK_ALL_MAX`](super::LOCK_ALL_MAX) locks of one type, in the given
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
pub(super) struct LockTable {
    locks: Vec<Option<AnyLock>>,
    ids: Vec<LockId>,
    slots: Vec<Option<usize>>,
    kinds: Vec<LockKind>,
}

impl LockTable {
    pub(super) fn new(kinds: &[LockKind]) -> LockTable {
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
            kind => Err(format!("unexpected {kind:?}: {violation}")),
        }
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
