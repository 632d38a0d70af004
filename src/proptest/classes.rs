//! The reference model of lock classes: the class graph, its gates and kinds,
//! and the class cycles lockgraph reports, written for clarity, not speed.
//!
//! Every instance edge `h -> l` between locks of two classes is also the class
//! edge `class(h) -> class(l)`, made under the same gate (lock *instances*)
//! and as the same kind. A class edge that is new, or whose gate narrows or
//! kinds grow, and that closes a class cycle that can deadlock (no one gate
//! lock instance on every edge, strong by the recursive-read rule), reports
//! it, once per set of classes. Class edges are never removed.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Made, Verdict};
use super::walk::deadlock_walk;

/// A class edge as a [`Verdict::ClassCycle`] shows it: the instance edge that
/// first made it, and how it was made since.
///
/// # Examples
///
/// ```
/// use lockgraph::proptest::{plan, ClassEdge, LockKind, Op, Program, Verdict};
///
/// // t0 reads lock 0 (class 0), then takes lock 1 (class 1); t1 takes
/// // locks 3 (class 1) and 2 (class 0).
/// let program = Program {
///     kinds: vec![LockKind::RwLock, LockKind::Mutex, LockKind::RwLock, LockKind::Mutex],
///     classes: vec![0, 1, 0, 1],
///     threads: vec![vec![Op::Read(0), Op::Lock(1)], vec![Op::Lock(3), Op::Write(2)]],
///     turns: vec![],
/// };
/// let verdicts: Vec<Verdict> = plan(&program).into_iter().flat_map(|(_, v)| v).collect();
/// let first = ClassEdge { from: 0, to: 1, thread: 0, kinds: vec!["SN"], gate: vec![] };
/// assert_eq!(
///     verdicts,
///     [Verdict::ClassCycle { acquiring: 2, holding: 3, path: vec![first], again: false }]
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClassEdge {
    /// The held lock of the instance edge that first made it, by number.
    pub from: usize,
    /// The lock taken then, by number.
    pub to: usize,
    /// The thread that made it first.
    pub thread: usize,
    /// Every way it was made, as lockdep writes them (`EN`, `ER`, `SN`,
    /// `SR`), in that order.
    pub kinds: Vec<&'static str>,
    /// The locks held exclusively around every instance edge that made it
    /// (its gate), by number, ascending.
    pub gate: Vec<usize>,
}

/// A class edge: the instance edge that first made it, and how it was made.
#[derive(Clone, Debug)]
struct Known {
    first: (usize, usize, usize),
    made: Made,
}

/// An instance edge being recorded as a class edge.
pub(super) struct Making {
    /// The classes: `class(holding) -> class(acquiring)`.
    pub(super) classes: (usize, usize),
    /// The held lock.
    pub(super) holding: usize,
    /// The lock being taken.
    pub(super) acquiring: usize,
    pub(super) thread: usize,
    /// Its gate and kind, as a new edge keeps them.
    pub(super) made: Made,
    /// Every lock held exclusively around it (but its ends) and its kind:
    /// what a known edge's gate narrows to.
    pub(super) again: Made,
}

/// The class graph of one run.
#[derive(Clone, Debug, Default)]
pub(super) struct ClassGraph {
    edges: BTreeMap<(usize, usize), Known>,
    /// The classes each class has an edge to, in the order the edges were
    /// made: the order in which lockgraph's walk tries them, which decides
    /// the path a report shows when two are equally short.
    out: BTreeMap<usize, Vec<usize>>,
    /// The class cycles reported, by their classes, ascending.
    reported: BTreeSet<Vec<usize>>,
}

impl ClassGraph {
    /// The class edges `from -> to`.
    pub(super) fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.edges.keys().copied()
    }

    /// Records `edge`; returns the class cycle it closes, if it is new or
    /// made a new way, closes a cycle that can deadlock, and that cycle's
    /// classes were not reported before.
    pub(super) fn record(&mut self, edge: Making) -> Option<Verdict> {
        let (from, to) = edge.classes;
        let again = self.edges.contains_key(&edge.classes);
        let made = match self.edges.get_mut(&edge.classes) {
            Some(known) => match known.made.add(&edge.again) {
                true => known.made.clone(),
                false => return None,
            },
            None => {
                let first = (edge.holding, edge.acquiring, edge.thread);
                let known = Known {
                    first,
                    made: edge.made.clone(),
                };
                self.edges.insert(edge.classes, known);
                self.out.entry(from).or_default().push(to);
                edge.made
            }
        };
        let out = |class: usize| {
            let next = self.out.get(&class).into_iter().flatten();
            next.map(|&to| (to, &self.edges[&(class, to)].made))
                .collect()
        };
        // Over the edges in the order they were made, as lockgraph's walk
        // tries them: that decides the path a report shows, of walks equally
        // short.
        let path = deadlock_walk(to, from, &made, out)?;
        let mut classes: Vec<usize> = path.iter().map(|&(a, _)| a).chain([from]).collect();
        classes.sort_unstable();
        classes.dedup();
        if !self.reported.insert(classes) {
            return None;
        }
        Some(Verdict::ClassCycle {
            acquiring: edge.acquiring,
            holding: edge.holding,
            path: path.iter().map(|pair| self.shown(pair)).collect(),
            again,
        })
    }

    fn shown(&self, pair: &(usize, usize)) -> ClassEdge {
        let known = &self.edges[pair];
        let (from, to, thread) = known.first;
        let letters = |&(shared, recursive): &(bool, bool)| match (shared, recursive) {
            (false, false) => "EN",
            (false, true) => "ER",
            (true, false) => "SN",
            (true, true) => "SR",
        };
        ClassEdge {
            from,
            to,
            thread,
            kinds: known.made.kinds.iter().map(letters).collect(),
            gate: known.made.gate.iter().copied().collect(),
        }
    }
}
