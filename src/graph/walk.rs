//! The search for a cycle that can deadlock: through an edge `goal -> start`
//! (the closing edge), a way back from `start` to `goal` such that no one
//! lock gates every edge ([`gate`](super::gate)) and no lock of the cycle is
//! wanted as a recursive read while held shared ([`dep`](super::dep)).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use super::dep::{self, Kind, Kinds};
use super::gate::Gate;

/// What the search knows of an edge out of a node: where it goes, how it was
/// made, and the edge itself (as the caller names it).
pub(crate) struct Step<Node, Edge> {
    pub(crate) to: Node,
    pub(crate) gate: Gate,
    pub(crate) kinds: Kinds,
    pub(crate) edge: Edge,
}

/// The closing edge `goal -> start`: its gate and how it was made.
#[derive(Clone, Copy)]
pub(crate) struct ClosingEdge {
    pub(crate) gate: Gate,
    pub(crate) kind: Kind,
}

/// The shortest walk from `start` back to `goal` that makes, with the
/// closing edge, a cycle that can deadlock, as the edges it takes (`from`,
/// `to`, the edge as `steps` named it); `None` if there is none. `steps(node,
/// out)` lists the edges out of `node`.
///
/// The search runs over (node, locks of the closing gate broken so far,
/// whether the node was reached by a recursive read). It may pass a node in
/// the middle twice (a walk through two cycles, each safe on its own), which
/// can only make it report, never miss a cycle; it never passes `start` or
/// `goal` twice.
pub(crate) fn deadlock_walk<Node: Copy + Eq + Hash, Edge: Clone>(
    start: Node,
    goal: Node,
    closing: ClosingEdge,
    mut steps: impl FnMut(Node, &mut Vec<Step<Node, Edge>>),
) -> Option<Vec<(Node, Node, Edge)>> {
    type State<N> = (N, u8, bool);
    let full = closing.gate.all_bits();
    let first: State<Node> = (start, 0, closing.kind.taken_recursive());
    let mut came: HashMap<State<Node>, (State<Node>, Edge)> = HashMap::new();
    let mut queue = VecDeque::from([first]);
    let mut out = Vec::new();
    let mut found = None;
    while let Some(state @ (node, bits, recursive)) = queue.pop_front() {
        if node == goal {
            // The closing edge leaves `goal` held shared: a recursive reader
            // coming in would not wait for it.
            if bits == full && !(recursive && closing.kind.held_shared()) {
                found = Some(state);
                break;
            }
            continue;
        }
        out.clear();
        steps(node, &mut out);
        for step in out.drain(..) {
            let Some(now_recursive) = dep::step(recursive, step.kinds) else {
                continue;
            };
            let next = (
                step.to,
                bits | closing.gate.broken_by(&step.gate),
                now_recursive,
            );
            if step.to != start && !came.contains_key(&next) {
                came.insert(next, (state, step.edge));
                queue.push_back(next);
            }
        }
    }
    let mut at = found?;
    let mut walk = Vec::new();
    while at != first {
        let (before, edge) = came.remove(&at).expect("every reached state has a way in");
        walk.push((before.0, at.0, edge));
        at = before;
    }
    walk.reverse();
    Some(walk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::Access::{self, *};

    /// The kernel's selftest shapes: a cycle X -> Y -> Z -> X, each edge's
    /// kind given; the last edge closes it.
    fn deadlocks(kinds: [(Access, Access); 3]) -> bool {
        let kind = |(held, taken)| Kind::of(held, taken);
        // X = 0, Y = 1, Z = 2; the edges X -> Y and Y -> Z are there.
        let edges = [(0, 1, kind(kinds[0])), (1, 2, kind(kinds[1]))];
        let closing = ClosingEdge {
            gate: Gate::NONE,
            kind: kind(kinds[2]),
        };
        let walk = deadlock_walk(0, 2, closing, |node, out| {
            for &(a, b, k) in edges.iter().filter(|e| e.0 == node) {
                let kinds = Kinds::one(k);
                out.push(Step {
                    to: b,
                    gate: Gate::NONE,
                    kinds,
                    edge: (a, b),
                });
            }
        });
        walk.is_some()
    }

    #[test]
    fn the_kernel_recursive_read_selftests() {
        // X -(ER)-> Y -(ER)-> Z -(ER)-> X: deadlock.
        assert!(deadlocks([(Exclusive, ReadRecursive); 3]));
        // X -(EN)-> Y -(SR)-> Z -(ER)-> X: deadlock.
        let en = (Exclusive, Exclusive);
        let sr = (ReadRecursive, ReadRecursive);
        let er = (Exclusive, ReadRecursive);
        let sn = (Read, Exclusive);
        assert!(deadlocks([en, sr, er]));
        // X -(EN)-> Y -(SR)-> Z -(SN)-> X: no deadlock.
        assert!(!deadlocks([en, sr, sn]));
        // X -(ER)-> Y -(SR)-> Z -(EN)-> X: no deadlock.
        assert!(!deadlocks([er, sr, en]));
    }
}
