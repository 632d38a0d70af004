//! The model's search for a cycle that can deadlock, over instance edges and
//! over class edges alike: breadth first, so the shortest way round.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::model::Made;

/// A state of the walk: where it is, the locks of the closing edge's gate
/// that the edges so far lack, and whether it came in by a recursive read.
type State = (usize, BTreeSet<usize>, bool);

/// The shortest walk `start -> ... -> goal`, as its edges, that with the
/// edge `goal -> start` (made as `closing`) closes a cycle that can
/// deadlock: no one lock of the closing gate in every edge's gate, and no
/// node wanted as a recursive read (an edge in ending in `R`) while held
/// shared (the edge out starting with `S`). The closing edge's kinds are
/// tried in the order `EN`, `ER`, `SN`, `SR`: the first that closes such a
/// cycle counts. The walk passes `start` and `goal` once; `out(node)` gives
/// the edges out of a node, each as its target and how it was made, in the
/// order to try them (which decides between walks equally short).
pub(super) fn deadlock_walk<'m>(
    start: usize,
    goal: usize,
    closing: &Made,
    out: impl Fn(usize) -> Vec<(usize, &'m Made)>,
) -> Option<Vec<(usize, usize)>> {
    let walk_as = |kind| walk(start, goal, &closing.gate, kind, &out);
    closing.kinds.iter().find_map(|&kind| walk_as(kind))
}

/// [`deadlock_walk`] for one kind of the closing edge.
fn walk<'m>(
    start: usize,
    goal: usize,
    gate: &BTreeSet<usize>,
    (closing_shared, closing_recursive): (bool, bool),
    out: &impl Fn(usize) -> Vec<(usize, &'m Made)>,
) -> Option<Vec<(usize, usize)>> {
    let first: State = (start, BTreeSet::new(), closing_recursive);
    let mut came: BTreeMap<State, (State, (usize, usize))> = BTreeMap::new();
    let mut queue = VecDeque::from([first.clone()]);
    while let Some(state) = queue.pop_front() {
        let (node, broken, recursive) = &state;
        if *node == goal {
            if broken.len() == gate.len() && !(*recursive && closing_shared) {
                return Some(way_back(&came, state, &first));
            }
            continue;
        }
        for (next, made) in out(*node) {
            // Coming in by a recursive read, only an edge whose source was
            // held exclusively stops it.
            let usable: Vec<_> = (made.kinds.iter())
                .filter(|(shared, _)| !(*recursive && *shared))
                .collect();
            if usable.is_empty() {
                continue;
            }
            let mut now = broken.clone();
            now.extend(gate.iter().filter(|g| !made.gate.contains(g)));
            let reached = (next, now, usable.iter().all(|(_, r)| *r));
            if next != start && !came.contains_key(&reached) {
                came.insert(reached.clone(), (state.clone(), (*node, next)));
                queue.push_back(reached);
            }
        }
    }
    None
}

/// The edges that led from `first` to `state`, in order.
fn way_back(
    came: &BTreeMap<State, (State, (usize, usize))>,
    mut state: State,
    first: &State,
) -> Vec<(usize, usize)> {
    let mut path = Vec::new();
    while &state != first {
        let (before, edge) = came[&state].clone();
        path.push(edge);
        state = before;
    }
    path.reverse();
    path
}
