//! A potential deadlock between lock classes: the locks of this run are
//! different objects, but locks made at the same places were taken in both
//! orders.

use std::panic::Location;

use super::{Cycle, HeldRef, LockRef, OrderEdge};
use crate::class::LockClass;

/// A potential deadlock between lock classes: taking `acquiring` while
/// holding `holding` adds the class edge `class(holding) -> class(acquiring)`,
/// and the opposite path between the classes is already known, made with
/// other instances (typically by another test, which built its own objects).
///
/// Two threads that run the two orders on the *same* objects can deadlock,
/// which is why it is reported as a cycle is: once per class cycle, at the
/// acquisition that closes it, before it blocks, under the policy of
/// [`ViolationKind::ClassCycle`](crate::ViolationKind::ClassCycle)
/// (`LOCKGRAPH` kind `class`). A cycle among the instances themselves is a
/// [`Cycle`](super::Cycle), never both.
///
/// # Examples
///
/// Two "tests", each with its own account and log, in opposite orders:
///
/// ```standalone_crate
/// use std::panic::{catch_unwind, AssertUnwindSafe};
/// use lockgraph::{Mutex, Violation};
///
/// struct Ledger {
///     items: Mutex<Vec<u32>>,
///     log: Mutex<Vec<String>>,
/// }
/// impl Ledger {
///     fn new() -> Self {
///         Ledger { items: Mutex::new(Vec::new()), log: Mutex::new(Vec::new()) }
///     }
///     fn add(&self, item: u32) {
///         let mut items = self.items.lock();
///         self.log.lock().push(format!("add {item}")); // items -> log
///         items.push(item);
///     }
///     fn audit(&self) -> usize {
///         let log = self.log.lock();
///         log.len() + self.items.lock().len() // log -> items
///     }
/// }
///
/// Ledger::new().add(1);
/// let report = catch_unwind(AssertUnwindSafe(|| Ledger::new().audit())).unwrap_err();
/// let text = report.downcast_ref::<String>().unwrap();
/// assert!(text.starts_with("lockgraph: potential deadlock (lock class inversion"));
/// ```
#[derive(Clone, Debug)]
pub struct ClassCycle(
    /// The parts a [`Cycle`] has; its path is the existing class path
    /// `class(acquiring) -> ... -> class(holding)`, each step as the
    /// instance edge that first made it.
    pub(crate) Cycle,
);

impl ClassCycle {
    /// The thread that made the acquisition (its name, or its `ThreadId`).
    pub fn thread(&self) -> &str {
        &self.0.thread
    }

    /// The lock the thread was taking.
    pub fn acquiring(&self) -> &LockRef {
        &self.0.acquiring
    }

    /// How it was taking it, as the method a report names (see [`HeldRef::verb`]).
    pub fn verb(&self) -> &'static str {
        self.0.access.verb()
    }

    /// The held lock whose class edge into the acquired lock's class closes
    /// the cycle.
    pub fn holding(&self) -> &HeldRef {
        &self.0.holding
    }

    /// Every lock the thread held, in the order it took them.
    pub fn held(&self) -> &[HeldRef] {
        &self.0.held
    }

    /// The known class edges from the acquired lock's class back to the held
    /// lock's, each as the instance edge (locks, thread, sites, stack) that
    /// first made it.
    pub fn path(&self) -> &[OrderEdge] {
        &self.0.path
    }

    /// The classes of the cycle, starting with the acquired lock's.
    ///
    /// # Examples
    ///
    /// ```standalone_crate
    /// use std::sync::{Arc, Mutex as StdMutex};
    /// use lockgraph::{Mutex, Violation};
    ///
    /// fn pair() -> (Mutex<()>, Mutex<()>) {
    ///     (Mutex::named("items", ()), Mutex::named("log", ()))
    /// }
    /// lockgraph::set_kind_policy(lockgraph::ViolationKind::ClassCycle, lockgraph::Policy::Ignore);
    /// let found = Arc::new(StdMutex::new(Vec::new()));
    /// let sink = Arc::clone(&found);
    /// lockgraph::set_handler(Some(Box::new(move |v: &Violation| {
    ///     if let Violation::ClassCycle(c) = v {
    ///         sink.lock().unwrap().push(c.classes());
    ///     }
    /// })));
    /// lockgraph::set_kind_policy(lockgraph::ViolationKind::ClassCycle, lockgraph::Policy::Warn);
    /// let (items, log) = pair();
    /// drop((items.lock(), log.lock())); // items -> log
    /// let (items, log) = pair();
    /// drop((log.lock(), items.lock())); // log -> items: reported
    /// let classes = found.lock().unwrap().pop().expect("a class cycle");
    /// let names: Vec<_> = classes.iter().map(|c| c.to_string()).collect();
    /// assert_eq!(names, ["items", "log"]);
    /// ```
    pub fn classes(&self) -> Vec<LockClass> {
        let cycle = &self.0;
        let mut classes = vec![LockClass::of(cycle.acquiring.origin)];
        let path = cycle.path.iter().map(|edge| LockClass::of(edge.to.origin));
        classes.extend(path.take(cycle.path.len().saturating_sub(1)));
        classes.push(LockClass::of(cycle.holding.lock.origin));
        classes
    }

    /// Where the acquisition was made.
    pub fn site(&self) -> &'static Location<'static> {
        self.0.site
    }
}
