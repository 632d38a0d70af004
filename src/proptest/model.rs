//! The reference model: lockgraph's rules (the README's "Semantics") written for
//! clarity, not speed. The edge set is a plain set and reachability is
//! recomputed from scratch for every new edge.
//!
//! Locks are numbered in creation order (the program's initial locks first,
//! then each [`Op::Create`]); the runner gives real locks ids in that order, so
//! the model's numbers order like [`LockId`](crate::LockId)s.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::classes::{ClassEdge, ClassGraph, Making};
use super::op::{Hold, LockKind, Op, Program, Step};
use super::run::LOCK_ALL_MAX;
use super::walk::deadlock_walk;

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
    /// Taking `acquiring` while holding `holding` makes the class edge
    /// `class(holding) -> class(acquiring)` (new, or made a new way), which
    /// closes a cycle of classes that can deadlock, though not of these locks
    /// (that would be a [`Verdict::Cycle`], reported instead).
    ClassCycle {
        /// The lock being taken.
        acquiring: usize,
        /// The held lock.
        holding: usize,
        /// The shortest class path from `acquiring`'s class back to
        /// `holding`'s that closes such a cycle, each class edge as its
        /// report shows it.
        path: Vec<ClassEdge>,
        /// Whether the class edge was known before (now made in a way that
        /// can deadlock: without the gate, or not as a recursive read).
        again: bool,
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

/// The model's state: live locks, each thread's held set, the edge set, the
/// class graph.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{LockKind, Model, Op, Outcome, Program, Step, Verdict};
///
/// let program = Program { kinds: vec![LockKind::Mutex; 2], classes: vec![], threads: vec![vec![]; 2], turns: vec![] };
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
    slot_classes: Vec<usize>,
    slots: Vec<Option<usize>>,
    /// The class of every lock, by number.
    classes_of: Vec<usize>,
    created: usize,
    held: Vec<Vec<(usize, Hold)>>,
    /// The edges of the graph, each with how it was made.
    edges: BTreeMap<(usize, usize), Made>,
    /// Edges that closed a cycle that cannot deadlock (gated by one lock, or
    /// not strong), each with how it was made: kept out of the graph.
    kept: BTreeMap<(usize, usize), Made>,
    /// The edges of `edges` and `kept`, as a set (what [`Model::edges`] shows).
    edge_set: BTreeSet<(usize, usize)>,
    ascending: bool,
    classes: ClassGraph,
    /// The members of the set being taken (their edges among themselves
    /// make no class edges).
    set: Vec<usize>,
}

/// The most locks a new edge's gate keeps (lockgraph's `Gate::MAX`): the
/// outermost candidates, all of them for a held set of up to that many
/// other exclusive locks (the exact intersection from the first make on). A
/// known edge's gate narrows to every lock held exclusively when it is
/// made again.
const GATE_MAX: usize = 8;

/// How an edge was made: its gate (the locks held exclusively around it
/// every time) and its kinds (whether the source was held shared, whether
/// the target was taken as a recursive read).
#[derive(Clone, Debug)]
pub(super) struct Made {
    pub(super) gate: BTreeSet<usize>,
    pub(super) kinds: BTreeSet<(bool, bool)>,
}

impl Made {
    /// Narrows the gate to `other`'s and adds its kinds; returns whether
    /// that changed anything.
    pub(super) fn add(&mut self, other: &Made) -> bool {
        let before = (self.gate.len(), self.kinds.len());
        self.gate.retain(|g| other.gate.contains(g));
        self.kinds.extend(other.kinds.iter().copied());
        before != (self.gate.len(), self.kinds.len())
    }
}

/// Whether a lock held as `hold` is held shared.
fn shared(hold: Hold) -> bool {
    matches!(hold, Hold::Read | Hold::ReadRecursive | Hold::Upgradable)
}

impl Model {
    /// The state before `program` runs: every slot holds a live lock.
    pub fn new(program: &Program) -> Model {
        let locks = program.kinds.len();
        let slot_classes: Vec<usize> = (0..locks).map(|slot| program.class_of(slot)).collect();
        Model {
            slot_kinds: program.kinds.clone(),
            classes_of: slot_classes.clone(),
            slot_classes,
            slots: (0..locks).map(Some).collect(),
            created: locks,
            held: vec![Vec::new(); program.threads.len()],
            edges: BTreeMap::new(),
            kept: BTreeMap::new(),
            edge_set: BTreeSet::new(),
            ascending: false,
            classes: ClassGraph::default(),
            set: Vec::new(),
        }
    }

    /// The class edges `from -> to` (classes by number) made so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::proptest::{LockKind, Model, Op, Program, Step};
    ///
    /// let program = Program {
    ///     kinds: vec![LockKind::Mutex; 3],
    ///     classes: vec![0, 1, 1],
    ///     threads: vec![vec![]],
    ///     turns: vec![],
    /// };
    /// let mut model = Model::new(&program);
    /// for slot in [0, 1, 2] {
    ///     model.step(&Step { thread: 0, op: Op::Lock(slot) });
    /// }
    /// // 1 -> 2 is within class 1: no class edge.
    /// assert_eq!(model.class_edges().collect::<Vec<_>>(), [(0, 1)]);
    /// ```
    pub fn class_edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.classes.edges()
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
        self.classes_of.push(self.slot_classes[slot]);
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
        let named: Vec<usize> = members.iter().map(|&(lock, _)| lock).collect();
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
        self.set = locks;
        let mut taken = true;
        for &(lock, hold) in &members {
            if self.acquire(thread, lock, hold, &mut verdicts).is_err() {
                // The panic unwinds the set: the members taken so far are released.
                self.held[thread].truncate(before);
                taken = false;
                break;
            }
        }
        self.set.clear();
        if taken {
            // Taken in id order, held in the set's own order (its guards are
            // bound in that order and dropped last first).
            let mut in_id_order = self.held[thread].split_off(before);
            for lock in named {
                let at = in_id_order.iter().position(|&(held, _)| held == lock);
                self.held[thread].extend(at.map(|at| in_id_order.remove(at)));
            }
            self.held[thread].extend(in_id_order);
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
            self.add_edges(thread, lock, hold, verdicts);
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

    /// The edges from every held lock into `lock` (taken as `hold`), with the
    /// gate and strong rules: an edge narrows its gate (the locks held
    /// exclusively around it every time) and adds its kind; an edge that
    /// closes a cycle is reported if a way round can deadlock, else kept
    /// aside; while edges are kept, an edge that is new, narrowed or made a
    /// new way is reported if a cycle through it can deadlock.
    fn add_edges(&mut self, thread: usize, lock: usize, hold: Hold, verdicts: &mut Vec<Verdict>) {
        let before = verdicts.len();
        let made = self.add_instance_edges(thread, lock, hold, verdicts);
        let class_cycles = self.add_class_edges(thread, lock, made);
        // An edge that closes an instance cycle is reported as a `Cycle`,
        // not also for its class cycle (which counts as reported); another
        // edge's class cycle is reported.
        let closers: Vec<usize> = verdicts[before..]
            .iter()
            .filter_map(|v| match v {
                Verdict::Cycle { holding, .. } => Some(*holding),
                _ => None,
            })
            .collect();
        verdicts.extend(class_cycles.into_iter().filter(|v| match v {
            Verdict::ClassCycle { holding, .. } => !closers.contains(holding),
            _ => true,
        }));
    }

    /// The instance edges of [`Self::add_edges`]; returns each source with how
    /// its edge was made (as a new edge keeps it, and with every lock held
    /// exclusively around it, as a known one narrows to).
    fn add_instance_edges(
        &mut self,
        thread: usize,
        lock: usize,
        hold: Hold,
        verdicts: &mut Vec<Verdict>,
    ) -> Vec<(usize, Made, Made)> {
        let mut all_made = Vec::new();
        let mut sources: Vec<(usize, Hold)> = Vec::new();
        for &(held, how) in &self.held[thread] {
            if !sources.iter().any(|&(s, _)| s == held) {
                sources.push((held, how));
            }
        }
        for (holding, how) in sources {
            let candidates = self.gate_candidates(thread, holding, lock);
            let kinds = BTreeSet::from([(shared(how), hold == Hold::ReadRecursive)]);
            let edge = (holding, lock);
            // A new edge keeps the outermost candidates; a known one narrows
            // to all of them.
            let made = Made {
                gate: candidates.iter().take(GATE_MAX).copied().collect(),
                kinds: kinds.clone(),
            };
            let again = Made {
                gate: candidates.into_iter().collect(),
                kinds,
            };
            all_made.push((holding, made.clone(), again.clone()));
            let (check, made) = if let Some(known) = self.edges.get_mut(&edge) {
                let changed = known.add(&again);
                (changed && !self.kept.is_empty(), known.clone())
            } else if !self.reaches(lock, holding) {
                self.edges.insert(edge, made.clone());
                self.edge_set.insert(edge);
                (!self.kept.is_empty(), made)
            } else {
                let was_kept = self.kept.contains_key(&edge);
                let made = match self.kept.get_mut(&edge) {
                    Some(kept) => {
                        kept.add(&again);
                        kept.clone()
                    }
                    None => made,
                };
                match self.distance(lock, holding, &made) {
                    Some(hops) => verdicts.push(Verdict::Cycle {
                        acquiring: lock,
                        holding,
                        hops,
                    }),
                    None if !was_kept => {
                        self.kept.insert(edge, made);
                        self.edge_set.insert(edge);
                    }
                    None => {}
                }
                continue;
            };
            if let Some(hops) = check.then(|| self.distance(lock, holding, &made)).flatten() {
                verdicts.push(Verdict::Cycle {
                    acquiring: lock,
                    holding,
                    hops,
                });
            }
        }
        all_made
    }

    /// The class edges of the instance edges from each held lock (with how
    /// it was made) into `lock`: none between locks of one class, nor
    /// between two members of the set being taken. Returns the class cycles
    /// they close.
    fn add_class_edges(
        &mut self,
        thread: usize,
        lock: usize,
        made: Vec<(usize, Made, Made)>,
    ) -> Vec<Verdict> {
        let mut cycles = Vec::new();
        for (holding, made, again) in made {
            let classes = (self.classes_of[holding], self.classes_of[lock]);
            if classes.0 == classes.1 {
                continue;
            }
            if self.set.contains(&holding) && self.set.contains(&lock) {
                continue;
            }
            let making = Making {
                classes,
                holding,
                acquiring: lock,
                thread,
                made,
                again,
            };
            cycles.extend(self.classes.record(making));
        }
        cycles
    }

    /// The gate candidates of `holding -> lock` taken by `thread`: the other
    /// locks it holds exclusively, outermost first.
    fn gate_candidates(&self, thread: usize, holding: usize, lock: usize) -> Vec<usize> {
        let mut gate = Vec::new();
        for &(held, hold) in &self.held[thread] {
            let serialises = matches!(hold, Hold::Exclusive | Hold::Upgradable | Hold::Reentrant);
            if serialises && held != holding && held != lock && !gate.contains(&held) {
                gate.push(held);
            }
        }
        gate
    }

    /// Whether the graph's edges (not the kept ones) lead from `from` to `to`.
    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = BTreeSet::from([from]);
        let mut queue = VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            if node == to {
                return true;
            }
            for &(_, next) in self.edges.keys().filter(|&&(a, _)| a == node) {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        false
    }

    /// The number of edges on the shortest walk `from -> ... -> to`, over the
    /// graph's edges and the kept ones, that with the edge `to -> from` (made
    /// as `closing`) closes a cycle that can deadlock (see
    /// [`deadlock_walk`]).
    fn distance(&self, from: usize, to: usize, closing: &Made) -> Option<usize> {
        let out = |node: usize| {
            let edges = self.edges.iter().chain(&self.kept);
            let out = edges.filter(|((a, _), _)| *a == node);
            out.map(|(&(_, next), made)| (next, made)).collect()
        };
        deadlock_walk(from, to, closing, out).map(|walk| walk.len())
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
///     classes: vec![],
///     threads: vec![vec![Op::Lock(0), Op::Lock(1)], vec![Op::Lock(1), Op::Lock(0)]],
///     turns: vec![],
/// };
/// let verdicts: Vec<Verdict> = plan(&program).into_iter().flat_map(|(_, v)| v).collect();
/// assert_eq!(verdicts, [Verdict::Cycle { acquiring: 0, holding: 1, hops: 1 }]);
/// ```
pub fn plan(program: &Program) -> Vec<(Step, Vec<Verdict>)> {
    let mut model = Model::new(program);
    let mut planned = Vec::new();
    for step in program.steps() {
        if let Outcome::Ran(verdicts) = model.step(&step) {
            planned.push((step, verdicts));
        }
    }
    planned
}
