//! A report as a picture: Graphviz `dot` text for the cycle a violation
//! shows, and the lock-order graph with that cycle highlighted.

use std::fmt::Write as _;

use super::{ClassCycle, Cycle, HeldRef, LockRef, OrderEdge, Violation};
use crate::class::LockClass;
use crate::graph::Snapshot;

/// One edge of a picture: from, to, label, and whether it is the edge the
/// report is about (drawn dashed: it was refused, or would be added now).
struct Arrow {
    from: String,
    to: String,
    label: String,
    now: bool,
}

/// Every lock (or class) of a picture by its node name, with its label.
#[derive(Default)]
struct Picture {
    nodes: Vec<(String, String)>,
    arrows: Vec<Arrow>,
}

impl Picture {
    fn node(&mut self, name: String, label: String) -> String {
        if !self.nodes.iter().any(|(known, _)| *known == name) {
            self.nodes.push((name.clone(), label));
        }
        name
    }

    fn lock(&mut self, lock: &LockRef) -> String {
        self.node(format!("n{}", lock.id.as_u64()), lock.to_string())
    }

    fn class(&mut self, class: LockClass) -> String {
        // Classes are told apart by label: one class, one label.
        let label = class.to_string();
        let index = match self.nodes.iter().position(|(_, known)| *known == label) {
            Some(index) => index,
            None => self.nodes.len(),
        };
        self.node(format!("c{index}"), label)
    }

    fn render(self, title: &str) -> String {
        let mut dot = format!("digraph lockgraph {{\n    label={title:?};\n");
        for (name, label) in &self.nodes {
            let _ = writeln!(dot, "    {name} [label={label:?}];");
        }
        for arrow in &self.arrows {
            let style = if arrow.now {
                ", style=dashed, color=red"
            } else {
                ""
            };
            let _ = writeln!(
                dot,
                "    {} -> {} [label={:?}{style}];",
                arrow.from, arrow.to, arrow.label
            );
        }
        dot.push_str("}\n");
        dot
    }
}

fn edge_label(edge: &OrderEdge) -> String {
    let mut label = format!("thread {:?} at {}", &*edge.thread, edge.to_site);
    if !edge.gate.is_empty() {
        let gate: Vec<String> = edge.gate.iter().map(LockRef::to_string).collect();
        let _ = write!(label, ", gated by {}", gate.join(", "));
    }
    label
}

fn now_label(thread: &str, site: &std::panic::Location<'static>) -> String {
    format!("thread {thread:?} at {site} (now)")
}

impl Cycle {
    fn picture(&self) -> Picture {
        let mut picture = Picture::default();
        for edge in &self.path {
            let (from, to) = (picture.lock(&edge.from), picture.lock(&edge.to));
            let label = edge_label(edge);
            picture.arrows.push(Arrow {
                from,
                to,
                label,
                now: false,
            });
        }
        let from = picture.lock(&self.holding.lock);
        let to = picture.lock(&self.acquiring);
        let label = now_label(&self.thread, self.site);
        picture.arrows.push(Arrow {
            from,
            to,
            label,
            now: true,
        });
        picture
    }
}

impl ClassCycle {
    fn picture(&self) -> Picture {
        let mut picture = Picture::default();
        let class = |lock: &LockRef| LockClass::of(lock.origin);
        for edge in &self.0.path {
            let from = picture.class(class(&edge.from));
            let to = picture.class(class(&edge.to));
            let label = format!("{} -> {}: {}", edge.from, edge.to, edge_label(edge));
            picture.arrows.push(Arrow {
                from,
                to,
                label,
                now: false,
            });
        }
        let from = picture.class(class(&self.0.holding.lock));
        let to = picture.class(class(&self.0.acquiring));
        let label = now_label(&self.0.thread, self.0.site);
        picture.arrows.push(Arrow {
            from,
            to,
            label,
            now: true,
        });
        picture
    }
}

impl Violation {
    /// The report as a Graphviz `dot` graph: the cycle of a [`Cycle`] (locks)
    /// or a [`ClassCycle`] (classes), each edge labelled with the thread and
    /// the line that made it, the edge being added now dashed and red; the
    /// wait-for cycle of a [`Deadlock`](super::Deadlock); the locks of any
    /// other report. Render it with `dot -Tsvg`.
    ///
    /// # Examples
    ///
    /// ```standalone_crate
    /// use std::panic::{catch_unwind, AssertUnwindSafe};
    /// use std::sync::{Arc, Mutex as StdMutex};
    /// use lockgraph::{set_handler, Mutex, Violation};
    ///
    /// let (a, b) = (Mutex::named("a", ()), Mutex::named("b", ()));
    /// let dot = Arc::new(StdMutex::new(String::new()));
    /// let sink = Arc::clone(&dot);
    /// set_handler(Some(Box::new(move |v: &Violation| *sink.lock().unwrap() = v.to_dot())));
    /// drop((a.lock(), b.lock()));
    /// let _ = catch_unwind(AssertUnwindSafe(|| drop((b.lock(), a.lock()))));
    /// set_handler(None);
    /// let dot = dot.lock().unwrap().clone();
    /// assert!(dot.starts_with("digraph lockgraph {"));
    /// assert!(dot.contains(r#"[label="\"a\""]"#) && dot.contains("style=dashed"));
    /// ```
    pub fn to_dot(&self) -> String {
        let title = self.to_string();
        let title = title.lines().next().unwrap_or("lockgraph");
        let picture = match self {
            Violation::Cycle(cycle) => cycle.picture(),
            Violation::ClassCycle(cycle) => cycle.picture(),
            Violation::Deadlock(deadlock) => {
                let mut picture = Picture::default();
                let threads = deadlock.threads();
                for (index, blocked) in threads.iter().enumerate() {
                    let next = &threads[(index + 1) % threads.len()];
                    let from = picture.lock(&blocked.waiting_for);
                    let to = picture.lock(&next.waiting_for);
                    let label = format!(
                        "thread {:?} holds {} and waits for {}",
                        &*next.thread, blocked.waiting_for, next.waiting_for
                    );
                    picture.arrows.push(Arrow {
                        from,
                        to,
                        label,
                        now: true,
                    });
                }
                picture
            }
            other => {
                let mut picture = Picture::default();
                for lock in other.lock_refs() {
                    picture.lock(&lock);
                }
                picture
            }
        };
        picture.render(title)
    }

    /// The locks a report names, as it names them.
    fn lock_refs(&self) -> Vec<LockRef> {
        match self {
            Violation::OrderViolation(o) => vec![o.higher.lock.clone(), o.acquiring.clone()],
            Violation::SelfDeadlock(s) => vec![s.lock.clone()],
            Violation::RecursiveRead(r) => vec![r.lock.clone()],
            Violation::LongWait(w) => vec![w.waiter.waiting_for.clone()],
            Violation::Notice(n) => vec![n.lock.clone()],
            Violation::Cycle(c) => held_and(&c.held, &c.acquiring),
            Violation::ClassCycle(c) => held_and(&c.0.held, &c.0.acquiring),
            Violation::Deadlock(d) => d.threads.iter().map(|t| t.waiting_for.clone()).collect(),
        }
    }
}

fn held_and(held: &[HeldRef], lock: &LockRef) -> Vec<LockRef> {
    let mut locks: Vec<LockRef> = held.iter().map(|h| h.lock.clone()).collect();
    locks.push(lock.clone());
    locks
}

impl Snapshot {
    /// [`to_dot`](Self::to_dot), with the locks of `violation` (see
    /// [`Violation::locks`]) and the edges among them drawn in red.
    ///
    /// # Examples
    ///
    /// ```standalone_crate
    /// use std::panic::{catch_unwind, AssertUnwindSafe};
    /// use std::sync::{Arc, Mutex as StdMutex};
    /// use lockgraph::{set_handler, Mutex, Violation};
    ///
    /// let (a, b, c) = (Mutex::new(()), Mutex::new(()), Mutex::new(()));
    /// drop((a.lock(), b.lock(), c.lock())); // a -> b, a -> c, b -> c
    /// let found = Arc::new(StdMutex::new(None));
    /// let sink = Arc::clone(&found);
    /// set_handler(Some(Box::new(move |v: &Violation| *sink.lock().unwrap() = Some(v.clone()))));
    /// let _ = catch_unwind(AssertUnwindSafe(|| drop((b.lock(), a.lock())))); // b -> a
    /// set_handler(None);
    /// let violation = found.lock().unwrap().take().expect("the cycle a -> b -> a");
    /// let dot = lockgraph::graph::snapshot().to_dot_highlighting(&violation);
    /// let (na, nb, nc) = (a.id().as_u64(), b.id().as_u64(), c.id().as_u64());
    /// assert!(dot.contains(&format!("n{na} -> n{nb} [label=")));
    /// assert!(dot.lines().any(|l| l.contains(&format!("n{na} -> n{nb} ")) && l.contains("color=red")));
    /// assert!(dot.lines().any(|l| l.contains(&format!("n{nb} -> n{nc} ")) && !l.contains("color=red")));
    /// ```
    pub fn to_dot_highlighting(&self, violation: &Violation) -> String {
        self.dot(&violation.locks())
    }
}
