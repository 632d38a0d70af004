//! The human report: `Display` for [`Violation`] and its parts.
//!
//! Reports name locks by name or creation site and threads by name, never by
//! address, so the same program gives the same report from run to run.

use std::fmt::{self, Display, Formatter};

use crate::held::Access;
use crate::violation::{
    BlockedThread, Cycle, Deadlock, EdgeBacktrace, HeldRef, LockRef, LongWait, OrderEdge,
    OrderViolation, SelfDeadlock, Violation,
};

/// Frames shown per backtrace, counted from the first frame outside lockgraph.
const BACKTRACE_FRAMES: usize = 8;

impl Display for Violation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Cycle(v) => v.fmt(f),
            Violation::OrderViolation(v) => v.fmt(f),
            Violation::SelfDeadlock(v) => v.fmt(f),
            Violation::Deadlock(v) => v.fmt(f),
            Violation::LongWait(v) => v.fmt(f),
        }
    }
}

impl Display for LockRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.origin.fmt(f)
    }
}

impl Display for HeldRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} at {})", self.lock, self.access.verb(), self.site)
    }
}

fn held_list(f: &mut Formatter<'_>, title: &str, held: &[HeldRef]) -> fmt::Result {
    if held.is_empty() {
        return writeln!(f, "{title}: nothing");
    }
    writeln!(f, "{title}:")?;
    held.iter().try_for_each(|h| writeln!(f, "    {h}"))
}

impl Display for Cycle {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kind = if self.path.len() == 1 {
            "lock order inversion"
        } else {
            "lock order cycle"
        };
        writeln!(
            f,
            "lockgraph: potential deadlock ({kind} of {} locks)",
            self.path.len() + 1
        )?;
        writeln!(
            f,
            "thread \"{}\" is taking {} ({} at {})",
            self.thread,
            self.acquiring,
            self.access.verb(),
            self.site
        )?;
        writeln!(
            f,
            "while holding {} (taken at {}),",
            self.holding.lock, self.holding.site
        )?;
        writeln!(f, "but the opposite order is already known:")?;
        for edge in &self.path {
            write_edge(f, edge)?;
        }
        writeln!(
            f,
            "  {} -> {}    would be added now by thread \"{}\" at {}",
            self.holding.lock, self.acquiring, self.thread, self.site
        )?;
        held_list(f, "locks held by this thread", &self.held)?;
        if let [edge] = self.path.as_slice() {
            scenario(f, edge, self)?;
        }
        write!(
            f,
            "No deadlock has happened yet: these orders can deadlock when the threads run at the same time."
        )
    }
}

fn write_edge(f: &mut Formatter<'_>, edge: &OrderEdge) -> fmt::Result {
    writeln!(
        f,
        "  {} -> {}    first by thread \"{}\": held since {}, then took the second at {}",
        edge.from, edge.to, edge.thread, edge.from_site, edge.to_site
    )?;
    if let Some(backtrace) = &edge.backtrace {
        write_backtrace(f, backtrace)?;
    }
    Ok(())
}

/// The two-column "possible deadlock" picture for a two-lock cycle, as lockdep draws it.
fn scenario(f: &mut Formatter<'_>, edge: &OrderEdge, cycle: &Cycle) -> fmt::Result {
    let one = |lock: &LockRef, access: &str| format!("{access}({lock})");
    let rows = [
        (one(&edge.from, "lock"), String::new()),
        (
            String::new(),
            one(&cycle.holding.lock, cycle.holding.access.verb()),
        ),
        (one(&edge.to, "lock"), String::new()),
        (String::new(), one(&cycle.acquiring, cycle.access.verb())),
    ];
    let title1 = format!("thread 1 (\"{}\")", edge.thread);
    let title2 = format!("thread 2 (\"{}\")", cycle.thread);
    let widest = rows.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
    let width = widest.max(title1.len()) + 4;
    writeln!(f, "possible deadlock:")?;
    writeln!(f, "    {title1:width$}{title2}")?;
    writeln!(f, "    {:width$}{}", "--------", "--------")?;
    for (left, right) in rows {
        writeln!(f, "{}", format!("    {left:width$}{right}").trim_end())?;
    }
    writeln!(
        f,
        "    *** DEADLOCK: each thread waits for the lock the other holds ***"
    )
}

fn write_backtrace(f: &mut Formatter<'_>, backtrace: &EdgeBacktrace) -> fmt::Result {
    let mut captured = backtrace.0.lock();
    captured.resolve();
    let symbols: Vec<(String, String)> = captured
        .frames()
        .iter()
        .flat_map(|frame| frame.symbols())
        .map(|symbol| {
            let name = symbol.name().map(|n| format!("{n:#}")).unwrap_or_default();
            let place = match (symbol.filename(), symbol.lineno()) {
                (Some(file), Some(line)) => format!(" ({}:{line})", file.display()),
                _ => String::new(),
            };
            (name, place)
        })
        .collect();
    // The user's frames start after the last frame inside lockgraph.
    let start = symbols
        .iter()
        .rposition(|(name, _)| name.starts_with("lockgraph::"))
        .map_or(0, |last| last + 1);
    let internal = |name: &str| {
        let name = name.trim_start_matches('<');
        ["core::", "std::", "alloc::"]
            .iter()
            .any(|p| name.starts_with(p))
    };
    let runtime = |name: &str| name.starts_with("__rust") || name.starts_with("std::rt::");
    let user = symbols[start..]
        .iter()
        .take_while(|(name, _)| !runtime(name))
        .filter(|(name, _)| !name.is_empty() && !internal(name));
    for (name, place) in user.take(BACKTRACE_FRAMES) {
        writeln!(f, "        at {name}{place}")?;
    }
    Ok(())
}

impl Display for OrderViolation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let rule = if self.in_lock_all {
            "lock_all takes its locks in ascending id order"
        } else {
            "Mode::Ascending requires locks to be taken in ascending id order"
        };
        writeln!(f, "lockgraph: lock order violation ({rule})")?;
        writeln!(
            f,
            "thread \"{}\" is taking {} ({}) at {}",
            self.thread, self.acquiring, self.acquiring.id, self.site
        )?;
        writeln!(
            f,
            "while holding {} ({}), taken at {}, which has a higher id",
            self.higher.lock, self.higher.lock.id, self.higher.site
        )?;
        held_list(f, "locks held by this thread", &self.held)?;
        write!(
            f,
            "Release the higher lock first, or take all of them in one lock_all."
        )
    }
}

impl Display for SelfDeadlock {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "lockgraph: self-deadlock: a thread re-takes a lock it holds"
        )?;
        writeln!(
            f,
            "thread \"{}\" calls {} on {} at {}",
            self.thread,
            self.access.verb(),
            self.lock,
            self.site
        )?;
        match &self.first {
            Some(first) => writeln!(
                f,
                "but already holds it ({} at {})",
                first.access.verb(),
                first.site
            )?,
            None => writeln!(f, "and passes the same lock twice to one lock_all")?,
        }
        let why = match (&self.first, self.access) {
            (Some(first), Access::Read)
                if matches!(first.access, Access::Read | Access::ReadRecursive) =>
            {
                "a second read blocks behind any queued writer, which waits for the first read (use read_recursive)"
            }
            _ => "the lock is not reentrant, so this thread would wait for itself forever",
        };
        write!(f, "This always deadlocks: {why}.")
    }
}

impl Display for BlockedThread {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  thread \"{}\" waits to {} {} since {}",
            self.thread,
            self.access.verb(),
            self.waiting_for,
            self.since
        )?;
        for held in &self.holds {
            writeln!(f, "      holding {held}")?;
        }
        Ok(())
    }
}

impl Display for Deadlock {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "lockgraph: deadlock: {} threads are blocked in a cycle",
            self.threads.len()
        )?;
        self.threads.iter().try_for_each(|t| t.fmt(f))?;
        write!(
            f,
            "Each thread waits for a lock held by the next one; none can go on."
        )
    }
}

impl Display for LongWait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "lockgraph: long wait: thread \"{}\" has waited {:.1?} for {}",
            self.waiter.thread, self.waited, self.waiter.waiting_for
        )?;
        self.waiter.fmt(f)?;
        if self.holders.is_empty() {
            writeln!(
                f,
                "  the holder is not known (it took the lock without tracking)"
            )?;
        }
        for (thread, held) in &self.holders {
            writeln!(f, "  held by thread \"{thread}\": {held}")?;
        }
        write!(
            f,
            "This is not a deadlock (yet): the holder may still release it."
        )
    }
}
