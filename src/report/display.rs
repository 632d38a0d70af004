//! The human report: `Display` for [`Violation`] and its parts.
//!
//! Reports name locks by name or creation site and threads by name, never by
//! address, so the same program gives the same report from run to run.

use std::fmt::{self, Display, Formatter};

use super::allow::suggestion;
use super::frames::write_backtrace;
use super::{
    BlockedThread, CapturedBacktrace, ClassCycle, Cycle, Deadlock, HeldRef, LockRef, LongWait,
    Notice, NoticeKind, OrderEdge, OrderViolation, RecursiveRead, SelfDeadlock, Violation,
};
use crate::class::LockClass;
use crate::graph::dep::{Kind, Kinds};
use crate::held::Access;
use crate::id::LockId;
use crate::meta::Flavour;

impl Display for Violation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Cycle(v) => v.fmt(f),
            Violation::OrderViolation(v) => v.fmt(f),
            Violation::SelfDeadlock(v) => v.fmt(f),
            Violation::Deadlock(v) => v.fmt(f),
            Violation::LongWait(v) => v.fmt(f),
            Violation::Notice(v) => v.fmt(f),
            Violation::ClassCycle(v) => v.fmt(f),
            Violation::RecursiveRead(v) => v.fmt(f),
        }
    }
}

impl Display for LockRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.origin.fmt(f)
    }
}

/// What each lock of one report is called: its name or creation site, plus
/// `[1]`, `[2]`, ... (in order of appearance) when several locks of the report
/// share a label, as locks created in a loop do. Never an id or an address, so
/// the same program gives the same report.
struct Names(Vec<(LockId, String)>);

impl Names {
    fn of<'a>(locks: impl IntoIterator<Item = &'a LockRef>) -> Names {
        let mut names: Vec<(LockId, String)> = Vec::new();
        for lock in locks {
            if !names.iter().any(|(id, _)| *id == lock.id) {
                names.push((lock.id, lock.to_string()));
            }
        }
        let labels: Vec<String> = names.iter().map(|(_, label)| label.clone()).collect();
        for (index, (_, label)) in names.iter_mut().enumerate() {
            let same = |other: &String| other == &labels[index];
            if labels.iter().filter(|other| same(other)).count() > 1 {
                let rank = labels[..=index].iter().filter(|other| same(other)).count();
                label.push_str(&format!(" [{rank}]"));
            }
        }
        Names(names)
    }

    fn get(&self, lock: &LockRef) -> &str {
        let found = self.0.iter().find(|(id, _)| *id == lock.id);
        found.map_or("an unknown lock", |(_, label)| label)
    }

    /// What the report calls `lock`, or its label if the report does not
    /// name it otherwise.
    fn or_label(&self, lock: &LockRef) -> String {
        let found = self.0.iter().find(|(id, _)| *id == lock.id);
        found.map_or_else(|| lock.to_string(), |(_, label)| label.clone())
    }

    fn held(&self, held: &HeldRef) -> String {
        format!(
            "{} ({}() at {})",
            self.get(&held.lock),
            held.access.verb(),
            held.site
        )
    }
}

fn held_list(f: &mut Formatter<'_>, names: &Names, title: &str, held: &[HeldRef]) -> fmt::Result {
    if held.is_empty() {
        return writeln!(f, "{title}: nothing");
    }
    writeln!(f, "{title}:")?;
    held.iter()
        .try_for_each(|h| writeln!(f, "    {}", names.held(h)))
}

/// What the reports of a [`Cycle`] and a [`ClassCycle`] (which carries
/// one) share: the acquisition that closes the cycle and the path it closes.
impl Cycle {
    fn names(&self) -> Names {
        let path = self.path.iter().flat_map(|edge| [&edge.from, &edge.to]);
        let held = self.held.iter().map(|h| &h.lock);
        Names::of(
            [&self.acquiring, &self.holding.lock]
                .into_iter()
                .chain(path)
                .chain(held),
        )
    }

    /// The first lines: what was found (`what`, an inversion of two or a
    /// cycle of more `units`), and the acquisition that closes it.
    fn head(&self, f: &mut Formatter<'_>, names: &Names, what: &str, units: &str) -> fmt::Result {
        let kind = match self.path.len() {
            1 => "inversion",
            _ => "cycle",
        };
        let count = self.path.len() + 1;
        writeln!(
            f,
            "lockgraph: potential deadlock ({what} {kind} of {count} {units})"
        )?;
        let (taking, holding) = (names.get(&self.acquiring), names.get(&self.holding.lock));
        let verb = self.access.verb();
        writeln!(
            f,
            "thread \"{}\" calls {verb}() on {taking} at {}",
            self.thread, self.site
        )?;
        writeln!(
            f,
            "while it holds {holding}, taken at {}.",
            self.holding.site
        )
    }
}

impl Display for Cycle {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = self.names();
        self.head(f, &names, "lock order", "locks")?;
        let (taking, holding) = (names.get(&self.acquiring), names.get(&self.holding.lock));
        writeln!(f, "The opposite order is already known:")?;
        for edge in &self.path {
            write_edge(f, &names, edge)?;
        }
        writeln!(
            f,
            "  {holding} -> {taking}    {} by thread \"{}\" at {}{}",
            closing_verb(self.again),
            self.thread,
            self.site,
            closing_kind(self.holding.access, self.access)
        )?;
        held_list(f, &names, "locks held by this thread", &self.held)?;
        if let [edge] = self.path.as_slice() {
            let taking = (&self.acquiring, self.access);
            scenario(f, &names, edge, &self.thread, &self.holding, taking)?;
        }
        writeln!(f, "{}", suggestion(&self.holding.lock, &self.acquiring))?;
        write!(
            f,
            "No deadlock has happened yet: these orders can deadlock when the threads run at the same time."
        )
    }
}

/// How the closing edge of a cycle comes about: new, or made again without
/// the lock that gated the cycle until then.
fn closing_verb(again: bool) -> &'static str {
    match again {
        false => "would be added now",
        true => {
            "made again now, in a way that can deadlock (until now a gate lock or a recursive read kept the cycle safe),"
        }
    }
}

/// What the letters of an edge's kind mean (lockdep's notation).
const KIND_LEGEND: &str = "E/S: the first lock held exclusively/shared; \
N/R: the second taken as a lock or plain read/as a recursive read";

/// The kind of the closing edge, when it is not the plain `EN`.
fn closing_kind(held: Access, taken: Access) -> String {
    match Kind::of(held, taken) {
        Kind::EXCLUSIVE => String::new(),
        kind => format!(", as {}", kind.letters()),
    }
}

fn write_edge(f: &mut Formatter<'_>, names: &Names, edge: &OrderEdge) -> fmt::Result {
    writeln!(
        f,
        "  {} -> {}    first by thread \"{}\": held since {}, then took the second at {}",
        names.get(&edge.from),
        names.get(&edge.to),
        edge.thread,
        edge.from_site,
        edge.to_site
    )?;
    if edge.kinds != Kinds::one(Kind::EXCLUSIVE) {
        let kinds: Vec<&str> = edge.kinds.iter().map(Kind::letters).collect();
        writeln!(f, "        made as {} ({KIND_LEGEND})", kinds.join(", "))?;
    }
    if !edge.gate.is_empty() {
        let gate: Vec<String> = edge.gate.iter().map(|lock| names.or_label(lock)).collect();
        writeln!(
            f,
            "        always made while holding {} (a gate for this edge, not for every edge of the cycle)",
            gate.join(", ")
        )?;
    }
    let Some(backtrace) = &edge.backtrace else {
        return Ok(());
    };
    // Kept once per pair of call sites: say whose stack it is when it was
    // captured for another edge (made at these two lines by this or another
    // thread, with other locks), so that it is not read as this edge's.
    if !edge.backtrace_is_own() {
        writeln!(
            f,
            "        (stack of thread \"{}\" when it first took these two lines in this order, with other locks)",
            backtrace.thread()
        )?;
    }
    write_backtrace(f, backtrace)
}

impl Display for ClassCycle {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let cycle = &self.0;
        let names = cycle.names();
        cycle.head(f, &names, "lock class", "classes")?;
        writeln!(
            f,
            "These are not the locks that were taken in the opposite order: the instances differ in \
             this run, but locks made at the same places (of the same classes) were:"
        )?;
        for edge in &cycle.path {
            let (from, to) = (
                LockClass::of(edge.from.origin),
                LockClass::of(edge.to.origin),
            );
            writeln!(f, "  class {from} -> class {to}, with these locks:")?;
            write_edge(f, &names, edge)?;
        }
        writeln!(
            f,
            "  class {} -> class {}    {} by thread \"{}\" at {}",
            LockClass::of(cycle.holding.lock.origin),
            LockClass::of(cycle.acquiring.origin),
            closing_verb(cycle.again),
            cycle.thread,
            cycle.site
        )?;
        if Kind::of(cycle.holding.access, cycle.access) != Kind::EXCLUSIVE {
            let kind = closing_kind(cycle.holding.access, cycle.access);
            writeln!(f, "        (made now{kind})")?;
        }
        held_list(f, &names, "locks held by this thread", &cycle.held)?;
        if let [edge] = cycle.path.as_slice() {
            writeln!(f, "with both orders on the same objects:")?;
            let taking = (&cycle.acquiring, cycle.access);
            scenario(f, &names, edge, &cycle.thread, &cycle.holding, taking)?;
        }
        writeln!(f, "{}", suggestion(&cycle.holding.lock, &cycle.acquiring))?;
        write!(
            f,
            "No deadlock has happened yet: two threads that run these orders on shared objects can deadlock."
        )
    }
}

/// The two-column "possible deadlock" picture for a two-lock cycle, as
/// lockdep draws it: `edge` by its thread, then `thread` holding `holding`
/// and taking `taking`.
fn scenario(
    f: &mut Formatter<'_>,
    names: &Names,
    edge: &OrderEdge,
    thread: &str,
    holding: &HeldRef,
    (taking, access): (&LockRef, Access),
) -> fmt::Result {
    let step = |lock: &LockRef, access: Access| format!("{}({})", access.verb(), names.get(lock));
    let rows = [
        (step(&edge.from, Access::Exclusive), String::new()),
        (String::new(), step(&holding.lock, holding.access)),
        (step(&edge.to, Access::Exclusive), String::new()),
        (String::new(), step(taking, access)),
    ];
    let title1 = format!("thread 1 (\"{}\")", edge.thread);
    let title2 = format!("thread 2 (\"{}\")", thread);
    let widest = rows.iter().map(|(left, _)| left.len()).max().unwrap_or(0);
    let width = widest.max(title1.len()) + 4;
    writeln!(f, "possible deadlock:")?;
    writeln!(f, "    {title1:width$}{title2}")?;
    let rule = "--------";
    writeln!(f, "    {rule:width$}{rule}")?;
    for (left, right) in rows {
        writeln!(f, "{}", format!("    {left:width$}{right}").trim_end())?;
    }
    writeln!(
        f,
        "    *** DEADLOCK: each thread waits for the lock the other holds ***"
    )
}

/// The program's frames (see `report::frames`), resolved now
/// (symbol names and `file:line`, no addresses).
impl Display for CapturedBacktrace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_backtrace(f, self)
    }
}

impl Display for OrderViolation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let held = self.held.iter().map(|h| &h.lock);
        let names = Names::of([&self.acquiring, &self.higher.lock].into_iter().chain(held));
        let rule = match self.in_lock_all {
            true => "lock_all takes its locks in ascending id order",
            false => "Mode::Ascending requires locks to be taken in ascending id order",
        };
        let advice = match self.flavour {
            // lock_all takes every lock type, the crate root's and stdsync's.
            Flavour::ParkingLot | Flavour::Std => {
                "Release the higher lock first, or take all of them in one lock_all."
            }
            Flavour::Cell => {
                "Release the higher lock first, or take the locks in ascending id order."
            }
        };
        writeln!(f, "lockgraph: lock order violation ({rule})")?;
        let (taking, higher) = (names.get(&self.acquiring), names.get(&self.higher.lock));
        writeln!(
            f,
            "thread \"{}\" takes {taking} at {}",
            self.thread, self.site
        )?;
        writeln!(
            f,
            "while it holds {higher}, taken at {}, which has a higher id (it was used first).",
            self.higher.site
        )?;
        held_list(f, &names, "locks held by this thread", &self.held)?;
        write!(f, "{advice}")
    }
}

impl Display for SelfDeadlock {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = Names::of([&self.lock]);
        let lock = names.get(&self.lock);
        writeln!(
            f,
            "lockgraph: self-deadlock: a thread re-takes a lock it holds"
        )?;
        let verb = self.access.verb();
        writeln!(
            f,
            "thread \"{}\" calls {verb}() on {lock} at {}",
            self.thread, self.site
        )?;
        match &self.first {
            Some(first) => writeln!(
                f,
                "but already holds it ({}() at {})",
                first.access.verb(),
                first.site
            )?,
            None => writeln!(f, "and passes the same lock twice to one lock_all")?,
        }
        let reading = |access| matches!(access, Access::Read | Access::ReadRecursive);
        let second_read = self.access == Access::Read
            && (self.first.as_ref()).is_some_and(|first| reading(first.access));
        let why = match self.flavour {
            Flavour::ParkingLot if second_read => {
                "a second read blocks behind any queued writer, which waits for the first read (use read_recursive)"
            }
            Flavour::Std if second_read => {
                "std's RwLock may queue a second read behind a waiting writer, which waits for the first read (std has no recursive read: use the guard this thread already holds)"
            }
            Flavour::Cell => {
                "the cell is being initialised by this thread, which would wait for its own initialiser forever"
            }
            _ => "the lock is not reentrant, so this thread would wait for itself forever",
        };
        write!(f, "This always deadlocks: {why}.")
    }
}

impl Display for RecursiveRead {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let lock = Names::of([&self.lock]).get(&self.lock).to_string();
        writeln!(
            f,
            "lockgraph: potential deadlock (a second read of 1 lock, through a queued writer)"
        )?;
        writeln!(
            f,
            "thread \"{}\" calls read() on {lock} at {}",
            self.thread, self.site
        )?;
        writeln!(
            f,
            "while it already reads it ({}() at {}).",
            self.first.access.verb(),
            self.first.site
        )?;
        writeln!(
            f,
            "A writer that queues between the two reads waits for the first, and the second waits behind the writer: both threads hang."
        )?;
        let fix = match self.flavour {
            Flavour::Std => {
                "std has no recursive read: use the guard this thread already holds, or let it go before reading again"
            }
            _ => "use read_recursive for the second read, or let the first go before reading again",
        };
        write!(f, "No deadlock has happened yet: {fix}.")
    }
}

fn write_blocked(f: &mut Formatter<'_>, names: &Names, blocked: &BlockedThread) -> fmt::Result {
    writeln!(
        f,
        "  thread \"{}\" waits to {} {} since {}",
        blocked.thread,
        blocked.access.verb(),
        names.get(&blocked.waiting_for),
        blocked.since
    )?;
    blocked
        .holds
        .iter()
        .try_for_each(|held| writeln!(f, "      holding {}", names.held(held)))?;
    match &blocked.backtrace {
        Some(backtrace) => write_backtrace(f, backtrace),
        None => Ok(()),
    }
}

fn blocked_locks(blocked: &BlockedThread) -> impl Iterator<Item = &LockRef> {
    std::iter::once(&blocked.waiting_for).chain(blocked.holds.iter().map(|h| &h.lock))
}

impl Display for Deadlock {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = Names::of(self.threads.iter().flat_map(blocked_locks));
        let count = self.threads.len();
        writeln!(
            f,
            "lockgraph: deadlock: {count} threads are blocked in a cycle"
        )?;
        self.threads
            .iter()
            .try_for_each(|t| write_blocked(f, &names, t))?;
        write!(
            f,
            "Each thread waits for a lock held by the next one; none can go on."
        )
    }
}

impl Display for LongWait {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let holders = self.holders.iter().map(|(_, held)| &held.lock);
        let names = Names::of(blocked_locks(&self.waiter).chain(holders));
        let waiter = &self.waiter;
        let lock = names.get(&waiter.waiting_for);
        let waited = self.waited;
        writeln!(
            f,
            "lockgraph: long wait: thread \"{}\" has waited {waited:.1?} for {lock}",
            waiter.thread
        )?;
        write_blocked(f, &names, waiter)?;
        if self.holders.is_empty() {
            writeln!(
                f,
                "  the holder is not known (it took the lock without tracking)"
            )?;
        }
        for (thread, held) in &self.holders {
            writeln!(f, "  held by thread \"{thread}\": {}", names.held(held))?;
        }
        write!(
            f,
            "This is not a deadlock (yet): the holder may still release it."
        )
    }
}

impl Display for Notice {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (lock, thread) = (&self.lock, &self.thread);
        match self.kind {
            NoticeKind::DroppedWhileHeld => write!(
                f,
                "lockgraph: notice: {lock} was dropped while thread \"{thread}\" still held it \
                 (its guard was leaked or forgotten); it is no longer tracked"
            ),
            NoticeKind::IdsExhausted => write!(
                f,
                "lockgraph: notice: all 2^56 - 1 lock ids are used; locks used from now on are \
                 not checked, from {lock} on thread \"{thread}\""
            ),
        }
    }
}
