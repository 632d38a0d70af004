//! Lock classes: inversions between locks made at the same places, found
//! across instances (each test building its own objects).

use std::panic::{AssertUnwindSafe, catch_unwind};

use lockgraph::{Mutex, lock_all, stdsync};

/// The report of a panic, if `f` panicked with one.
fn report_of(f: impl FnOnce()) -> Option<String> {
    let panic = catch_unwind(AssertUnwindSafe(f)).err()?;
    panic.downcast_ref::<String>().cloned()
}

/// Runs `f` on a thread of its own, as a test of its own would.
fn on_own_thread<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

struct Ledger {
    items: Mutex<Vec<u32>>,
    log: Mutex<Vec<String>>,
}

impl Ledger {
    fn new() -> Self {
        Ledger {
            items: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
        }
    }

    fn add(&self, item: u32) {
        let mut items = self.items.lock();
        self.log.lock().push(format!("add {item}"));
        items.push(item);
    }

    fn audit(&self) -> usize {
        let log = self.log.lock();
        log.len() + self.items.lock().len()
    }
}

#[test]
fn two_tests_with_their_own_objects_in_opposite_orders_are_a_class_cycle() {
    on_own_thread(|| Ledger::new().add(1));
    let report = on_own_thread(|| {
        report_of(|| {
            Ledger::new().audit();
        })
    });
    let report = report.expect("audit closes the class cycle");
    assert!(
        report.starts_with("lockgraph: potential deadlock (lock class inversion of 2 classes)"),
        "{report}"
    );
    assert!(
        report.contains("the instances differ in this run"),
        "{report}"
    );
    // The earlier edge's stack names the method that made it (by its path,
    // or by its bare name where it was inlined in a build with line tables
    // only).
    assert!(
        report.contains("Ledger::add") || report.contains("at add ("),
        "{report}"
    );
    assert!(report.contains("possible deadlock:"), "{report}");
    // Once per class cycle.
    assert_eq!(
        on_own_thread(|| report_of(|| {
            Ledger::new().audit();
        })),
        None
    );
}

#[test]
fn locks_of_one_class_nest_in_any_order() {
    let accounts: Vec<Mutex<u32>> = (0..4).map(|_| Mutex::new(0)).collect();
    assert_eq!(accounts[0].class(), accounts[3].class());
    // One class: two accounts taken in both orders by different instances.
    let (x, y) = (&accounts[0], &accounts[1]);
    drop((x.lock(), y.lock()));
    let (p, q) = (&accounts[2], &accounts[3]);
    assert_eq!(report_of(|| drop((q.lock(), p.lock()))), None);
}

#[test]
fn an_instance_cycle_is_reported_as_a_cycle_not_a_class_cycle() {
    let (a, b) = (Mutex::new(()), Mutex::new(()));
    drop((a.lock(), b.lock()));
    let report = report_of(|| drop((b.lock(), a.lock()))).expect("a cycle");
    assert!(
        report.contains("(lock order inversion of 2 locks)"),
        "{report}"
    );
}

#[test]
fn lock_all_orders_instances_so_its_members_make_no_class_edges() {
    let make = |first: bool| {
        let (a, b) = (
            Mutex::named("class-set-a", ()),
            Mutex::named("class-set-b", ()),
        );
        // Ids follow first use: make either one the lower.
        if first {
            let _ = a.id();
        } else {
            let _ = b.id();
        }
        (a, b)
    };
    for first in [true, false, true, false] {
        let (a, b) = make(first);
        assert_eq!(report_of(|| drop(lock_all((&a, &b)))), None);
    }
}

#[test]
fn stdsync_locks_have_classes_too() {
    let pair = || {
        (
            stdsync::Mutex::named("class-std-a", ()),
            stdsync::RwLock::named("class-std-b", ()),
        )
    };
    let (a, b) = pair();
    assert_eq!(a.class().to_string(), "class-std-a");
    drop((a.lock().unwrap(), b.write().unwrap()));
    let (a, b) = pair();
    let report = report_of(|| drop((b.read().unwrap(), a.lock().unwrap())));
    let report = report.expect("a class cycle through stdsync locks");
    assert!(report.contains("lock class inversion"), "{report}");
    // Not poisoned by the report.
    assert!(!a.is_poisoned() && !b.is_poisoned());
}

#[test]
fn a_class_is_the_creation_site_or_the_name() {
    let here = || Mutex::new(());
    assert_eq!(here().class(), here().class(), "one site, one class");
    assert_ne!(Mutex::new(()).class(), here().class());
    let named = Mutex::named("class-by-name", ());
    assert_eq!(named.class(), Mutex::named("class-by-name", 1).class());
    assert_eq!(named.class().name(), Some("class-by-name"));
    let site = here().class().site().expect("made with new");
    assert!(site.file().ends_with("classes.rs"));
    assert_eq!(format!("{:?}", named.class()), "LockClass(class-by-name)");
}

#[test]
fn a_class_cycle_draws_its_classes() {
    use std::sync::{Arc, Mutex as StdMutex};
    let dots = Arc::new(StdMutex::new(Vec::new()));
    let sink = Arc::clone(&dots);
    lockgraph::set_handler(Some(Box::new(move |v: &lockgraph::Violation| {
        sink.lock().unwrap().push(v.to_dot());
    })));
    let pair = || (Mutex::named("dot-x", ()), Mutex::named("dot-y", ()));
    let (x, y) = pair();
    drop((x.lock(), y.lock()));
    let (x, y) = pair();
    let report = report_of(|| drop((y.lock(), x.lock())));
    lockgraph::set_handler(None);
    assert!(report.is_some());
    let dots = dots.lock().unwrap();
    let dot = dots.iter().find(|d| d.contains("dot-x")).expect("drawn");
    assert!(dot.contains("lock class inversion"), "{dot}");
    assert!(dot.contains(r#"[label="dot-x"]"#), "{dot}");
    assert!(dot.contains(r#"[label="dot-y"]"#), "{dot}");
    assert_eq!(dot.matches(" -> c").count(), 2, "two class edges: {dot}");
    assert_eq!(dot.matches("style=dashed").count(), 1, "{dot}");
}

/// A generic constructor that makes every slot's lock at one line: with
/// `new`, all of them would be one class; the caller chooses instead.
struct Slots<T> {
    slots: Vec<Mutex<T>>,
}

impl<T> Slots<T> {
    fn new(class: lockgraph::LockClass, values: Vec<T>) -> Self {
        let slots = values
            .into_iter()
            .map(|v| Mutex::with_class(class, v))
            .collect();
        Slots { slots }
    }
}

#[test]
fn classes_chosen_by_the_caller_order_like_any_other() {
    use lockgraph::LockClass;
    static INBOX: LockClass = LockClass::named("slots.inbox");
    let outbox = LockClass::named("slots.outbox");
    on_own_thread(|| {
        let (inbox, out) = (Slots::new(INBOX, vec![1]), Slots::new(outbox, vec![2]));
        drop((inbox.slots[0].lock(), out.slots[0].lock()));
    });
    // Same-class nesting stays silent: inbox slots in both orders (other
    // instances each time).
    on_own_thread(|| {
        let inbox = Slots::new(INBOX, vec![1, 2]);
        drop((inbox.slots[0].lock(), inbox.slots[1].lock()));
        let inbox = Slots::new(INBOX, vec![1, 2]);
        drop((inbox.slots[1].lock(), inbox.slots[0].lock()))
    });
    let report = on_own_thread(|| {
        report_of(|| {
            let (inbox, out) = (Slots::new(INBOX, vec![1]), Slots::new(outbox, vec![2]));
            drop((out.slots[0].lock(), inbox.slots[0].lock()));
        })
    });
    let report = report.expect("outbox -> inbox closes a class cycle");
    assert!(
        report.contains("class slots.outbox -> class slots.inbox"),
        "{report}"
    );
}

/// On a new thread, fresh locks of classes `b` then `a` taken one after
/// the other close the class cycle `a -> b -> a` (its `a -> b` half made
/// before): the report says so.
fn assert_b_then_a_closes_a_class_cycle(a: lockgraph::LockClass, b: lockgraph::LockClass) {
    let report = on_own_thread(|| {
        report_of(|| {
            let (a, b) = (Mutex::with_class(a, ()), Mutex::with_class(b, ()));
            drop((b.lock(), a.lock())); // B -> A
        })
    });
    let report = report.expect("B -> A closes the class cycle A -> B -> A");
    assert!(report.contains("lock class inversion"), "{report}");
}

/// An order first taken inside a `lock_all` set (which makes no class edge
/// among its members) and later one lock after the other is a class edge
/// like any other.
#[test]
fn an_order_taken_in_a_set_and_then_one_by_one_is_a_class_edge() {
    use lockgraph::LockClass;
    const A: LockClass = LockClass::named("set-then-alone.a");
    const B: LockClass = LockClass::named("set-then-alone.b");
    on_own_thread(|| {
        let (a, b) = (Mutex::with_class(A, ()), Mutex::with_class(B, ()));
        let _ = (a.id(), b.id()); // a's id is the lower: the set takes a, then b
        drop(lock_all((&a, &b)));
        drop(lock_all((&a, &b))); // known now: taken with no set bookkeeping
        drop((a.lock(), b.lock())); // A -> B, one after the other
    });
    assert_b_then_a_closes_a_class_cycle(A, B);
}

/// The same, with the set taken again under another held set (its edges
/// then narrow in the thread's private graph): still no shortcut for the
/// one-by-one order.
#[test]
fn an_order_taken_in_sets_under_two_held_sets_and_then_one_by_one_is_a_class_edge() {
    use lockgraph::LockClass;
    const A: LockClass = LockClass::named("sets-then-alone.a");
    const B: LockClass = LockClass::named("sets-then-alone.b");
    on_own_thread(|| {
        let outer = Mutex::new(());
        let (a, b) = (Mutex::with_class(A, ()), Mutex::with_class(B, ()));
        let _ = (outer.id(), a.id(), b.id()); // outer, then a, then b
        let held = outer.lock();
        drop(lock_all((&a, &b))); // a -> b gated by outer
        drop(held);
        drop(lock_all((&a, &b))); // another held set: a -> b narrows
        drop((a.lock(), b.lock())); // A -> B, one after the other
    });
    assert_b_then_a_closes_a_class_cycle(A, B);
}

/// A member of a set let go and taken again under the rest of the set is
/// an acquisition of its own: its order after the other members is a class
/// edge (the proptest model found this missed: the members kept the set's
/// chain keys).
#[test]
fn a_member_taken_again_under_the_rest_of_its_set_makes_its_class_edge() {
    use lockgraph::LockClass;
    const A: LockClass = LockClass::named("member-again.a");
    const B: LockClass = LockClass::named("member-again.b");
    let report = on_own_thread(|| {
        report_of(|| {
            let outer = Mutex::with_class(B, ());
            let (a, b) = (Mutex::with_class(A, ()), Mutex::with_class(B, ()));
            let _ = (outer.id(), a.id(), b.id());
            let _outer = outer.lock(); // B -> A in the set (outer is no member)
            let (ga, gb) = lock_all((&a, &b));
            drop(gb);
            let _gb = b.lock(); // A -> B, one after the other: closes B -> A -> B
            drop(ga);
        })
    });
    let report = report.expect("A -> B closes the class cycle B -> A -> B");
    assert!(report.contains("lock class inversion"), "{report}");
}

/// A class edge made under a reentrant gate held twice names the gate once.
#[test]
fn a_gate_held_twice_is_named_once() {
    use lockgraph::{LockClass, ReentrantMutex};
    const A: LockClass = LockClass::named("gate-twice.a");
    const B: LockClass = LockClass::named("gate-twice.b");
    on_own_thread(|| {
        let gate = ReentrantMutex::named("gate-twice.gate", ());
        let (a, b) = (Mutex::with_class(A, ()), Mutex::with_class(B, ()));
        let _outer = gate.lock();
        let _inner = gate.lock();
        drop((a.lock(), b.lock())); // A -> B, gated by the gate
    });
    let report = on_own_thread(|| {
        report_of(|| {
            let (a, b) = (Mutex::with_class(A, ()), Mutex::with_class(B, ()));
            drop((b.lock(), a.lock())); // B -> A, with no gate
        })
    });
    let report = report.expect("B -> A closes the class cycle A -> B -> A");
    assert!(
        report.contains("always made while holding \"gate-twice.gate\" (a gate"),
        "{report}"
    );
}

/// Locks made through a function pointer (`.map(Mutex::new)`): Rust gives
/// them all one caller, a place inside the standard library, so as a class
/// it would join unrelated collections. Such a lock has no class: two
/// collections made that way in two places, each taken in its own order
/// with a third lock on objects of their own, make no class cycle; an
/// inversion on the same instances is still a cycle.
#[test]
fn locks_made_through_a_function_pointer_have_no_class() {
    fn accounts(n: u32) -> Vec<Mutex<u32>> {
        (0..n).map(Mutex::new).collect()
    }
    fn sessions(n: u32) -> Vec<Mutex<u32>> {
        (0..n).map(Mutex::new).collect()
    }
    fn audit() -> Mutex<u32> {
        Mutex::new(0) // one class for every audit lock
    }
    let site = |m: &Mutex<u32>| m.class().to_string();
    let (a, s) = (accounts(1), sessions(1));
    assert_eq!(site(&a[0]), site(&s[0]), "one caller for both, inside std");
    let report = on_own_thread(|| {
        report_of(|| {
            let (accounts, audit) = (accounts(1), audit());
            drop((accounts[0].lock(), audit.lock())); // account -> audit
        })
    });
    assert_eq!(report, None);
    let report = on_own_thread(|| {
        report_of(|| {
            let (sessions, audit) = (sessions(1), audit());
            drop((audit.lock(), sessions[0].lock())); // audit -> session: no class cycle
        })
    });
    assert_eq!(report, None, "a false class cycle through std's call site");
    let locks = accounts(2);
    let report = on_own_thread(|| {
        report_of(|| {
            drop((locks[0].lock(), locks[1].lock()));
            drop((locks[1].lock(), locks[0].lock()));
        })
    });
    let report = report.expect("an inversion on the same instances");
    assert!(
        report.starts_with("lockgraph: potential deadlock (lock order inversion"),
        "{report}"
    );
    // Named for what is known of them, not by std's line.
    assert!(
        report.contains("lock made through a function pointer [1]"),
        "{report}"
    );
    assert!(!report.contains("function.rs"), "{report}");
    // No allowance of std's line (it would allow every such lock).
    let advice = "To allow that order, give the locks made through a function pointer a class \
                  of their own first: `.map(|v| Mutex::new(v))` or `named`.";
    assert!(report.contains(advice), "{report}");
}
