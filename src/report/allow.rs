//! Allowed lock orders: a cycle one of whose edges the program declares
//! harmless (an order that only happens at start-up, two classes whose
//! instances never meet) is not delivered, but counted and kept for
//! [`allowed`].
//!
//! An order is named by the classes of its two locks, as reports print
//! them: a name given to `named`, or a creation site `file:line:column` (or
//! `file:line`, for every column of that line). It is declared with
//! [`allow_order`] or by a line `FROM -> TO: reason` in the file named by
//! `LOCKGRAPH_ALLOW` (read at the first report; `#` starts a comment).

use std::sync::{LazyLock, Once};

use parking_lot::Mutex as RawMutex;

use super::deliver::print_whole;
use super::{LockRef, OrderEdge, Violation};
use crate::class::LockClass;

/// The environment variable naming a file of allowed orders.
pub const ENV_ALLOW: &str = "LOCKGRAPH_ALLOW";

/// One declared order.
#[derive(Clone, Debug)]
struct Allowance {
    from: String,
    to: String,
    reason: String,
}

/// A report kept back by an allowance: the first such violation, the
/// allowance's reason, and how many times it was kept back.
#[derive(Clone, Debug)]
pub struct Allowed {
    /// The violation as it would have been reported the first time.
    pub violation: Violation,
    /// The declared order that allowed it, as `FROM -> TO`.
    pub order: String,
    /// The reason given with the allowance.
    pub reason: String,
    /// How many times it was found (and kept back).
    pub count: u64,
}

static ALLOWANCES: RawMutex<Vec<Allowance>> = RawMutex::new(Vec::new());
static KEPT: LazyLock<RawMutex<Vec<Allowed>>> = LazyLock::new(|| RawMutex::new(Vec::new()));
static FILE: Once = Once::new();

/// Allows the lock order `from -> to`: a [`Cycle`](super::Cycle) or
/// [`ClassCycle`](super::ClassCycle) with an edge from a lock of class
/// `from` to one of class `to` is not reported, but counted and listed by
/// [`allowed`]. `from` and `to` name classes as reports print them: a
/// lock's name, or its creation site as `file:line:column` (or `file:line`).
///
/// Every report of a cycle says how to write the line that allows it. An
/// allowed instance cycle is still found at each acquisition that makes
/// it (the edge that closes it is never added), so it costs a trip to the
/// graph each time.
///
/// # Examples
///
/// ```standalone_crate
/// use lockgraph::Mutex;
///
/// let (config, registry) = (Mutex::named("config", ()), Mutex::named("registry", ()));
/// drop((config.lock(), registry.lock())); // the order of every request
/// lockgraph::allow_order("registry", "config", "only at start-up, before any request");
/// drop((registry.lock(), config.lock())); // closes the cycle: allowed
/// let kept = lockgraph::allowed();
/// assert_eq!((kept.len(), kept[0].count), (1, 1));
/// assert_eq!(kept[0].order, "registry -> config");
/// ```
pub fn allow_order(from: &str, to: &str, reason: &str) {
    ALLOWANCES.lock().push(Allowance {
        from: from.trim().to_string(),
        to: to.trim().to_string(),
        reason: reason.trim().to_string(),
    });
}

/// The reports kept back by an allowance so far, each once, with its
/// count (never silently lost).
///
/// # Examples
///
/// ```
/// assert!(lockgraph::allowed().is_empty()); // nothing allowed yet
/// ```
pub fn allowed() -> Vec<Allowed> {
    KEPT.lock().clone()
}

/// Whether `violation` is allowed; if so it is counted and kept.
pub(crate) fn keep_back(violation: &Violation) -> bool {
    FILE.call_once(read_file);
    let edges = cycle_edges(violation);
    if edges.is_empty() {
        return false;
    }
    let found = {
        let allowances = ALLOWANCES.lock();
        allowances
            .iter()
            .find(|a| {
                let named =
                    |lock: &LockRef, pattern: &str| matches(LockClass::of(lock.origin), pattern);
                edges
                    .iter()
                    .any(|(from, to)| named(from, &a.from) && named(to, &a.to))
            })
            .cloned()
    };
    let Some(allowance) = found else {
        return false;
    };
    let key = violation.key();
    let mut kept = KEPT.lock();
    match kept.iter_mut().find(|k| k.violation.key() == key) {
        Some(known) => known.count += 1,
        None => kept.push(Allowed {
            violation: violation.clone(),
            order: format!("{} -> {}", allowance.from, allowance.to),
            reason: allowance.reason,
            count: 1,
        }),
    }
    true
}

/// The edges of the cycle a violation shows, the one being added included.
fn cycle_edges(violation: &Violation) -> Vec<(LockRef, LockRef)> {
    let (path, holding, acquiring): (&[OrderEdge], _, _) = match violation {
        Violation::Cycle(c) => (&c.path, &c.holding.lock, &c.acquiring),
        Violation::ClassCycle(c) => (&c.0.path, &c.0.holding.lock, &c.0.acquiring),
        _ => return Vec::new(),
    };
    let mut edges: Vec<(LockRef, LockRef)> = path
        .iter()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    edges.push((holding.clone(), acquiring.clone()));
    edges
}

/// Whether `class` is the one `pattern` names.
fn matches(class: LockClass, pattern: &str) -> bool {
    if class.to_string() == pattern {
        return true;
    }
    class
        .site()
        .is_some_and(|site| format!("{}:{}", site.file(), site.line()) == pattern)
}

/// The line that allows the order `from -> to` of classes, as reports
/// suggest it.
pub(crate) fn suggestion(from: &LockRef, to: &LockRef) -> String {
    if from.origin.made_through_fn_pointer() || to.origin.made_through_fn_pointer() {
        // Their "class" would be std's line, every such lock's: no line to allow.
        return "To allow that order, give the locks made through a function pointer a class of \
                their own first: `.map(|v| Mutex::new(v))` or `named`."
            .to_string();
    }
    let (from, to) = (LockClass::of(from.origin), LockClass::of(to.origin));
    format!(
        "If that order is harmless (it never runs alongside the other), allow it: \
         lockgraph::allow_order({:?}, {:?}, \"why\"), or the line `{from} -> {to}: why` in the \
         file named by {ENV_ALLOW}.",
        from.to_string(),
        to.to_string()
    )
}

/// Reads the file named by `LOCKGRAPH_ALLOW`, if set: every good line is
/// an allowance; each bad one is named on stderr (one message), and the
/// rest still count.
fn read_file() {
    let Some(path) = std::env::var_os(ENV_ALLOW) else {
        return;
    };
    let shown = path.to_string_lossy().into_owned();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            print_whole(format!(
                "lockgraph: ignoring {ENV_ALLOW}={shown:?}: cannot read it ({error})\n"
            ));
            return;
        }
    };
    let (allowances, bad) = parse(&text);
    ALLOWANCES.lock().extend(allowances);
    if !bad.is_empty() {
        let lines: Vec<String> = bad.iter().map(|n| format!("{shown}:{n}")).collect();
        print_whole(format!(
            "lockgraph: ignoring lines of {ENV_ALLOW} that are not `FROM -> TO: reason`: {}\n",
            lines.join(", ")
        ));
    }
}

/// The allowances of a `LOCKGRAPH_ALLOW` file, and the numbers of its bad lines.
fn parse(text: &str) -> (Vec<Allowance>, Vec<usize>) {
    let (mut allowances, mut bad) = (Vec::new(), Vec::new());
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once("->").and_then(|(from, rest)| {
            let (to, reason) = rest.split_once(": ").unwrap_or((rest, ""));
            let (from, to) = (from.trim(), to.trim());
            (!from.is_empty() && !to.is_empty()).then(|| Allowance {
                from: from.to_string(),
                to: to.to_string(),
                reason: reason.trim().to_string(),
            })
        });
        match parsed {
            Some(allowance) => allowances.push(allowance),
            None => bad.push(index + 1),
        }
    }
    (allowances, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gives_orders_and_names_its_bad_lines() {
        let text = "# start-up\nregistry -> config: only at start-up\n\n\
                    src/a.rs:10 -> src/b.rs:3:9   # no reason\nnot an order\n -> x: empty\n";
        let (allowances, bad) = parse(text);
        let pairs: Vec<(&str, &str, &str)> = allowances
            .iter()
            .map(|a| (a.from.as_str(), a.to.as_str(), a.reason.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("registry", "config", "only at start-up"),
                ("src/a.rs:10", "src/b.rs:3:9", "")
            ]
        );
        assert_eq!(bad, [5, 6]);
    }

    #[test]
    fn a_site_matches_with_or_without_its_column() {
        let site = std::panic::Location::caller();
        let class = LockClass::of(crate::meta::Origin::created(site));
        let line = format!("{}:{}", site.file(), site.line());
        assert!(matches(class, &line));
        assert!(matches(class, &format!("{line}:{}", site.column())));
        assert!(!matches(class, &format!("{line}9")));
        let named = LockClass::of(crate::meta::Origin::named("config"));
        assert!(matches(named, "config") && !matches(named, "confi"));
    }
}
