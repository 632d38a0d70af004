//! The reference model: lockgraph's rules (the README's "Semantics") written for
//! clarity, not speed. The edge set is a plain set and reachability is
//! recomputed from scratch for every new edge.
//!
//! Locks are numbered in creation order (the program's initial locks first,
//! then each [`Op::Create`]); the runner gives real locks ids in that order, so
//! the model's numbers order like [`LockId`](crate::LockId)s.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::op::{Hold, LockKind, Op, Program, Step};
use super::run::LOCK_ALL_MAX;

/// What lockgraph must report for one step: the kind and the locks, by number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Taking `acquiring` while holding `holding` closes a cycle; the shortest
    /// existing path from `acquiring` back to `holding` has `hops` edges.
    Cycle {
        /// The lock being taken.
        acquiring: usize,
        /// The held lock whose edge was refused.
        holding: usize,
        /// The length of the shortest path `acquiring -> ... -> holding`.
        hops: usize,
    },
    /// `lock_all` while holding `higher`, whose id is above the set's lowest,
    /// `acquiring`; or, under `Mode::Ascending`, any blocking acquisition of
    /// `acquiring` while holding `higher`, the highest held lock, above it.
    OrderViolation {
        /// The held lock.
        higher: usize,
        /// The set's lowest lock.
        acquiring: usize,
    },
    /// A thread re-taking `lock` in a way that can never succeed.
    SelfDeadlock {
        /// The lock.
        lock: usize,
    },
    /// A plain read of `lock`, an `RwLock` the thread already reads: it
    /// goes on (nothing waits in a planned run), recording no edge.
    RecursiveRead {
        /// The lock.
        lock: usize,
    },
}

/// What a step did in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The step cannot run: it would wait for another thread (which, one step
    /// at a time, could never release), names a dropped lock, releases a lock
    /// not held, creates or drops a lock while some thread holds a lock, or is a
    /// set of more than [`LOCK_ALL_MAX`] locks.
    Skipped,
    /// The step runs and lockgraph reports these violations, in this order.
    Ran(Vec<Verdict>),
}

/// The model's state: live locks, each thread's held set, the edge set.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{LockKind, Model, Op, Outcome, Program, Step, Verdict};
///
/// let program = Program { kinds: vec![LockKind::Mutex; 2], threads: vec![vec![]; 2], turns: vec![] };
/// let mut model = Model::new(&program);
/// let step = |thread, op| Step { thread, op };
/// assert_eq!(model.step(&step(0, Op::Lock(0))), Outcome::Ran(vec![]));
/// assert_eq!(model.step(&step(0, Op::Lock(1))), Outcome::Ran(vec![]));
/// assert!(model.edges().contains(&(0, 1)));
/// // Thread 1 would wait for thread 0, which holds lock 1: the step cannot run.
/// assert_eq!(model.step(&step(1, Op::Lock(1))), Outcome::Skipped);
/// assert_eq!(model.step(&step(0, Op::Lock(0))), Outcome::Ran(vec![Verdict::SelfDeadlock { lock: 0 }]));
/// assert_eq!(model.step(&step(0, Op::UnlockAll)), Outcome::Ran(vec![]));
/// assert_eq!(model.step(&step(0, Op::Drop(1))), Outcome::Ran(vec![]));
/// assert!(model.edges().is_empty());
/// assert_eq!(model.live().collect::<Vec<_>>(), [0]);
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    slot_kinds: Vec<LockKind>,
    slots: Vec<Option<usize>>,
    created: usize,
    held: Vec<Vec<(usize, Hold)>>,
    /// The edges of the graph, each with its gate.
    edges: BTreeMap<(usize, usize), BTreeSet<usize>>,
    /// Edges that closed a cycle gated by one lock, each with its gate: kept
    /// out of the graph (whose edge set [`Model::edges`] shows).
    kept: BTreeMap<(usize, usize), BTreeSet<usize>>,
    /// The edges of `edges` and `kept`, as a set (what [`Model::edges`] shows).
    edge_set: BTreeSet<(usize, usize)>,
    ascending: bool,
}

/// The most locks a gate keeps (lockgraph's `Gate::MAX`): the outermost.
const GATE_MAX: usize = 3;

impl Model {
    /// The state before `program` runs: every slot holds a live lock.
    pub fn new(program: &Program) -> Model {
        let locks = program.kinds.len();
        Model {
            slot_kinds: program.kinds.clone(),
            slots: (0..locks).map(Some).collect(),
            created: locks,
            held: vec![Vec::new(); program.threads.len()],
            edges: BTreeMap::new(),
            kept: BTreeMap::new(),
            edge_set: BTreeSet::new(),
            ascending: false,
        }
    }

    /// The edges `from -> to` of the lock-order graph, by lock number (those
    /// kept aside as gated too, as `graph::snapshot` shows them).
    pub fn edges(&self) -> &BTreeSet<(usize, usize)> {
        &self.edge_set
    }

    /// The edges kept out of the graph because one lock gates every cycle
    /// they close.
    pub(crate) fn kept(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.kept.keys().copied()
    }

    /// The live locks, by number.
    pub fn live(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().flatten().copied()
    }

    /// Runs one step.
    pub fn step(&mut self, step: &Step) -> Outcome {
        let thread = step.thread;
        match &step.op {
            Op::Unlock(slot) => self.unlock(thread, *slot),
            Op::UnlockAll if self.held[thread].is_empty() => Outcome::Skipped,
            Op::UnlockAll => {
                self.held[thread].clear();
                Outcome::Ran(Vec::new())
            }
            Op::Ascending(on) => {
                self.ascending = *on;
                Outcome::Ran(Vec::new())
            }
            Op::Create(slot) => self.create(*slot),
            Op::Drop(slot) => self.drop_lock(*slot),
            Op::TryLock(slot) => self.try_lock(thread, *slot),
            Op::LockAll(slots) => {
                let members: Vec<(usize, bool)> = slots.iter().map(|&s| (s, false)).collect();
                self.lock_all(thread, &members)
            }
            Op::LockSet(members) => self.lock_all(thread, members),
            Op::TryLockAll(members) => self.try_lock_all(thread, members),
            op => self.lock_one(thread, op),
        }
    }

    fn lock_number(&self, slot: usize) -> Option<(usize, LockKind)> {
        let lock = (*self.slots.get(slot)?)?;
        Some((lock, self.slot_kinds[slot]))
    }

    fn quiescent(&self) -> bool {
        self.held.iter().all(Vec::is_empty)
    }

    fn unlock(&mut self, thread: usize, slot: usize) -> Outcome {
        let Some((lock, _)) = self.lock_number(slot) else {
            return Outcome::Skipped;
        };
        let held = &mut self.held[thread];
        match held.iter().rposition(|&(h, _)| h == lock) {
            Some(index) => {
                held.remove(index);
                Outcome::Ran(Vec::new())
            }
            None => Outcome::Skipped,
        }
    }

    fn create(&mut self, slot: usize) -> Outcome {
        if !self.quiescent() || self.slots.get(slot) != Some(&None) {
            return Outcome::Skipped;
        }
        self.slots[slot] = Some(self.created);
        self.created += 1;
        Outcome::Ran(Vec::new())
    }

    fn drop_lock(&mut self, slot: usize) -> Outcome {
        let Some((lock, _)) = self.lock_number(slot) else {
            return Outcome::Skipped;
        };
        if !self.quiescent() {
            return Outcome::Skipped;
        }
        self.slots[slot] = None;
        let other = |&(from, to): &(usize, usize)| from != lock && to != lock;
        self.edges.retain(|edge, _| other(edge));
        self.kept.retain(|edge, _| other(edge));
        self.edge_set.retain(other);
        Outcome::Ran(Vec::new())
    }

    fn try_lock(&mut self, thread: usize, slot: usize) -> Outcome {
        let Some((lock, kind)) = self.lock_number(slot) else {
            return Outcome::Skipped;
        };
        let hold = Hold::of(kind, &Op::TryLock(slot));
        let mine = self.previous_hold(thread, lock);
        let free = match mine {
            Some(previous) => hold == Hold::Reentrant && hold.reenters(previous),
            None => !self.waits(thread, lock, hold),
        };
        if free {
            self.held[thread].push((lock, hold));
        }
        Outcome::Ran(Vec::new())
    }

    fn lock_one(&mut self, thread: usize, op: &Op) -> Outcome {
        let slot = op.slot().expect("a single-lock operation");
        let Some((lock, kind)) = self.lock_number(slot) else {
            return Outcome::Skipped;
        };
        let hold = Hold::of(kind, op);
        if self.previous_hold(thread, lock).is_none() && self.waits(thread, lock, hold) {
            return Outcome::Skipped;
        }
        let mut verdicts = Vec::new();
        let _ = self.acquire(thread, lock, hold, &mut verdicts);
        Outcome::Ran(verdicts)
    }

    fn lock_all(&mut self, thread: usize, slots: &[(usize, bool)]) -> Outcome {
        let Some(mut members) = self.set_members(slots) else {
            return Outcome::Skipped;
        };
        if members
            .iter()
            .any(|&(lock, hold)| self.waits(thread, lock, hold))
        {
            return Outcome::Skipped;
        }
        members.sort_by_key(|&(lock, _)| lock); // stable, as lockgraph's sort
        let locks: Vec<usize> = members.iter().map(|&(lock, _)| lock).collect();
        let mut verdicts = Vec::new();
        if let Some(pair) = locks.windows(2).find(|pair| pair[0] == pair[1]) {
            verdicts.push(Verdict::SelfDeadlock { lock: pair[0] });
            return Outcome::Ran(verdicts);
        }
        let acquiring = locks[0];
        if let Some(higher) = self.highest_held_outside(thread, &locks)
            && higher > acquiring
        {
            verdicts.push(Verdict::OrderViolation { higher, acquiring });
        }
        let before = self.held[thread].len();
        for &(lock, hold) in &members {
            if self.acquire(thread, lock, hold, &mut verdicts).is_err() {
                // The panic unwinds the set: the members taken so far are released.
                self.held[thread].truncate(before);
                break;
            }
        }
        Outcome::Ran(verdicts)
    }

    /// `try_lock_all`: the members in ascending order, each as a `try`; at the
    /// first busy one, those taken are released. Reports nothing.
    fn try_lock_all(&mut self, thread: usize, slots: &[(usize, bool)]) -> Outcome {
        let Some(mut members) = self.set_members(slots) else {
            return Outcome::Skipped;
        };
        members.sort_by_key(|&(lock, _)| lock);
        let before = self.held[thread].len();
        for (lock, hold) in members {
            let free = match self.previous_hold(thread, lock) {
                Some(previous) => hold == Hold::Reentrant && hold.reenters(previous),
                None => !self.waits(thread, lock, hold),
            };
            if !free {
                self.held[thread].truncate(before);
                break;
            }
            self.held[thread].push((lock, hold));
        }
        Outcome::Ran(Vec::new())
    }

    /// The members of a set, each with how it is held, if they are live and
    /// 1 to [`LOCK_ALL_MAX`] of them.
    fn set_members(&self, slots: &[(usize, bool)]) -> Option<Vec<(usize, Hold)>> {
        let members: Option<Vec<_>> = slots
            .iter()
            .map(|&(slot, read)| {
                let (lock, kind) = self.lock_number(slot)?;
                Some((lock, Hold::of_member(kind, read)))
            })
            .collect();
        members.filter(|m| (1..=LOCK_ALL_MAX).contains(&m.len()))
    }

    fn highest_held_outside(&self, thread: usize, set: &[usize]) -> Option<usize> {
        let held = self.held[thread].iter().map(|&(lock, _)| lock);
        held.filter(|lock| !set.contains(lock)).max()
    }

    /// A blocking acquisition by a thread that will not wait for another:
    /// the self-deadlock rules, then the edges from every held lock.
    fn acquire(
        &mut self,
        thread: usize,
        lock: usize,
        hold: Hold,
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(), ()> {
        if let Some(previous) = self.previous_hold(thread, lock) {
            if hold.reads_again(previous) {
                verdicts.push(Verdict::RecursiveRead { lock });
            } else if !hold.reenters(previous) {
                verdicts.push(Verdict::SelfDeadlock { lock });
                return Err(());
            }
        } else {
            self.check_ascending(thread, lock, verdicts);
            self.add_edges(thread, lock, verdicts);
        }
        self.held[thread].push((lock, hold));
        Ok(())
    }

    /// Under `Mode::Ascending`, holding a lock above `lock` is an order violation.
    fn check_ascending(&self, thread: usize, lock: usize, verdicts: &mut Vec<Verdict>) {
        let held = self.held[thread].iter().map(|&(h, _)| h);
        if let Some(higher) = held.max().filter(|&h| self.ascending && h > lock) {
            verdicts.push(Verdict::OrderViolation {
                higher,
                acquiring: lock,
            });
        }
    }

    /// The edges from every held lock into `lock`, with the gate rule: an
    /// edge narrows its gate (the locks held exclusively around it every
    /// time); an edge that closes a cycle is reported unless one lock gates
    /// every edge of every way round (then it is kept aside); while edges are
    /// kept, a new or narrowed edge is reported if a cycle through it is not
    /// gated.
    fn add_edges(&mut self, thread: usize, lock: usize, verdicts: &mut Vec<Verdict>) {
        let mut sources: Vec<usize> = Vec::new();
        for &(held, _) in &self.held[thread] {
            if !sources.contains(&held) {
                sources.push(held);
            }
        }
        for holding in sources {
            let mut gate = self.gate_around(thread, holding, lock);
            let edge = (holding, lock);
            let check = if let Some(known) = self.edges.get_mut(&edge) {
                let before = known.len();
                known.retain(|g| gate.contains(g));
                gate = known.clone();
                known.len() != before && !self.kept.is_empty()
            } else if self
                .distance(lock, holding, &BTreeSet::new(), false)
                .is_none()
            {
                self.edges.insert(edge, gate.clone());
                self.edge_set.insert(edge);
                !self.kept.is_empty()
            } else {
                if let Some(kept) = self.kept.get_mut(&edge) {
                    kept.retain(|g| gate.contains(g));
                    gate = kept.clone();
                }
                match self.distance(lock, holding, &gate, true) {
                    Some(hops) => verdicts.push(Verdict::Cycle {
                        acquiring: lock,
                        holding,
                        hops,
                    }),
                    None => {
                        self.kept.entry(edge).or_insert(gate);
                        self.edge_set.insert(edge);
                    }
                }
                continue;
            };
            if let Some(hops) = check
                .then(|| self.distance(lock, holding, &gate, true))
                .flatten()
            {
                verdicts.push(Verdict::Cycle {
                    acquiring: lock,
                    holding,
                    hops,
                });
            }
        }
    }

    /// The gate candidates of `holding -> lock` taken by `thread`: the other
    /// locks it holds exclusively, outermost first, at most [`GATE_MAX`].
    fn gate_around(&self, thread: usize, holding: usize, lock: usize) -> BTreeSet<usize> {
        let mut gate = Vec::new();
        for &(held, hold) in &self.held[thread] {
            let serialises = matches!(hold, Hold::Exclusive | Hold::Upgradable | Hold::Reentrant);
            if gate.len() < GATE_MAX
                && serialises
                && held != holding
                && held != lock
                && !gate.contains(&held)
            {
                gate.push(held);
            }
        }
        gate.into_iter().collect()
    }

    /// The number of edges on the shortest walk `from -> ... -> to`, over the
    /// graph's edges and the kept ones, whose edges' gates together lack
    /// every lock of `gate` (so that with an edge `to -> from` gated by
    /// `gate`, the cycle is not gated by any one lock), if any. The walk
    /// passes `from` and `to` once. Without `kept`, over the graph's edges only.
    fn distance(
        &self,
        from: usize,
        to: usize,
        gate: &BTreeSet<usize>,
        kept: bool,
    ) -> Option<usize> {
        let full: BTreeSet<usize> = gate.clone();
        let start = (from, BTreeSet::new());
        let mut queue = VecDeque::from([(start.clone(), 0)]);
        let mut seen: HashMap<(usize, Vec<usize>), ()> = HashMap::new();
        seen.insert((from, Vec::new()), ());
        while let Some(((node, broken), hops)) = queue.pop_front() {
            if node == to {
                if broken == full {
                    return Some(hops);
                }
                continue;
            }
            let kept = self.kept.iter().filter(|_| kept);
            let out = self
                .edges
                .iter()
                .chain(kept)
                .filter(|((a, _), _)| *a == node);
            for (&(_, next), edge_gate) in out {
                let mut now = broken.clone();
                now.extend(gate.iter().filter(|g| !edge_gate.contains(g)));
                let key = (next, now.iter().copied().collect::<Vec<_>>());
                if next != from && !seen.contains_key(&key) {
                    seen.insert(key, ());
                    queue.push_back(((next, now), hops + 1));
                }
            }
        }
        None
    }

    fn previous_hold(&self, thread: usize, lock: usize) -> Option<Hold> {
        let mut held = self.held[thread].iter().rev();
        held.find(|&&(h, _)| h == lock).map(|&(_, hold)| hold)
    }

    /// Whether taking `lock` as `hold` would wait for another thread.
    fn waits(&self, thread: usize, lock: usize, hold: Hold) -> bool {
        let others = self.held.iter().enumerate().filter(|&(t, _)| t != thread);
        others
            .flat_map(|(_, held)| held)
            .any(|&(h, other)| h == lock && hold.waits_for(other))
    }
}

/// Runs `program` in the model: the steps that can run, each with the
/// violations lockgraph must report for it.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{plan, LockKind, Op, Program, Verdict};
///
/// let program = Program {
///     kinds: vec![LockKind::Mutex; 2],
///     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(1), Op::Lock(0)]],
///     turns: vec![],
/// };
/// let verdicts: Vec<Verdict> = plan(&program).into_iter().flat_map(|(_, v)| v).collect();
/// assert_eq!(verdicts, [Verdict::Cycle { acquiring: 0, holding: 1, hops: 1 }]);
/// ```
pub fn plan(program: &Program) -> Vec<(Step, Vec<Verdict>)> {
    let mut model = Model::new(program);
    let steps = program.steps().into_iter();
    let ran = steps.filter_map(|step| match model.step(&step) {
        Outcome::Skipped => None,
        Outcome::Ran(verdicts) => Some((step, verdicts)),
    });
    ran.collect()
}
