//! What happens when a violation is found: the policy per kind, the checking
//! mode, and the `LOCKGRAPH` environment variable that sets them.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};

use crate::flags;
use crate::report::ViolationKind;

/// What lockgraph does when it finds a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Panic at the violating acquisition, before it blocks; the panic message
    /// is the report. The default. A violation found while the thread is
    /// already panicking is printed instead (a double panic would abort).
    Panic,
    /// Print each distinct violation once to stderr and let the acquisition go
    /// on. A [`Violation::SelfDeadlock`](crate::Violation::SelfDeadlock) still
    /// panics: going on would hang the thread forever.
    Warn,
    /// Report nothing (the handler is not called). When every kind is ignored,
    /// lockgraph skips its bookkeeping altogether.
    Ignore,
}

impl Policy {
    fn encode(self) -> u8 {
        match self {
            Policy::Panic => 1,
            Policy::Warn => 2,
            Policy::Ignore => 3,
        }
    }

    fn decode(raw: u8) -> Option<Policy> {
        match raw {
            1 => Some(Policy::Panic),
            2 => Some(Policy::Warn),
            3 => Some(Policy::Ignore),
            _ => None,
        }
    }

    fn parse(word: &str) -> Option<Policy> {
        match word {
            "panic" => Some(Policy::Panic),
            "warn" => Some(Policy::Warn),
            "off" | "ignore" => Some(Policy::Ignore),
            _ => None,
        }
    }
}

/// Which acquisitions lockgraph checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Report lock-order cycles (potential deadlocks). The default.
    Graph,
    /// Also require every blocking acquisition to take a lock with a higher id
    /// than every lock the thread holds (the ascending-order recipe); a breach
    /// is a [`Violation::OrderViolation`](crate::Violation::OrderViolation).
    /// `try_*` calls cannot block and are exempt.
    Ascending,
}

/// Per kind: 0 = use the default, else an encoded [`Policy`].
static KIND_POLICY: [AtomicU8; 5] = [const { AtomicU8::new(0) }; 5];
static DEFAULT_POLICY: AtomicU8 = AtomicU8::new(1);
/// False when cycles are ignored: then no graph work is done.
static GRAPH_CHECKS: AtomicBool = AtomicBool::new(true);
static ENV_READ: Once = Once::new();

/// The environment variable that sets the policy.
pub const ENV_POLICY: &str = "LOCKGRAPH";

/// Sets the policy for every kind that has no policy of its own, and returns the
/// previous one. Overrides the `LOCKGRAPH` environment variable.
///
/// # Examples
///
/// ```
/// use lockgraph::{set_policy, Policy};
/// let previous = set_policy(Policy::Warn);
/// // ... code whose reports should only be printed ...
/// set_policy(previous);
/// ```
pub fn set_policy(policy: Policy) -> Policy {
    init_from_env();
    let previous = DEFAULT_POLICY.swap(policy.encode(), Relaxed);
    refresh();
    Policy::decode(previous).unwrap_or(Policy::Panic)
}

/// Sets the policy for one kind of violation, overriding [`set_policy`], and
/// returns the policy that kind had before (the one in force, whether its own
/// or the default: setting it back pins the kind; [`clear_kind_policy`]
/// makes it follow [`set_policy`] again).
///
/// # Examples
///
/// Warn on potential deadlocks, fail on certain ones:
///
/// ```
/// use lockgraph::{clear_kind_policy, set_kind_policy, set_policy, Policy, ViolationKind};
/// let before = set_policy(Policy::Warn);
/// set_kind_policy(ViolationKind::Deadlock, Policy::Panic);
/// assert_eq!(lockgraph::policy(ViolationKind::Deadlock), Policy::Panic);
/// assert_eq!(lockgraph::policy(ViolationKind::Cycle), Policy::Warn);
/// clear_kind_policy(ViolationKind::Deadlock); // follows the default again
/// set_policy(before);
/// ```
pub fn set_kind_policy(kind: ViolationKind, policy: Policy) -> Policy {
    init_from_env();
    let previous = policy_now(kind);
    KIND_POLICY[kind.index()].store(policy.encode(), Relaxed);
    refresh();
    previous
}

/// Removes the policy of one kind, so that it follows [`set_policy`] again, and
/// returns the policy that kind had before.
///
/// # Examples
///
/// ```
/// use lockgraph::{clear_kind_policy, policy, set_kind_policy, set_policy, Policy, ViolationKind};
/// let before = set_kind_policy(ViolationKind::LongWait, Policy::Ignore);
/// clear_kind_policy(ViolationKind::LongWait);
/// assert_eq!(policy(ViolationKind::LongWait), policy(ViolationKind::Cycle));
/// # let _ = before;
/// ```
pub fn clear_kind_policy(kind: ViolationKind) -> Policy {
    init_from_env();
    let previous = policy_now(kind);
    KIND_POLICY[kind.index()].store(0, Relaxed);
    refresh();
    previous
}

/// The policy in force for one kind of violation.
///
/// # Examples
///
/// ```
/// use lockgraph::{policy, Policy, ViolationKind};
/// // The default, unless LOCKGRAPH says otherwise:
/// # if std::env::var_os("LOCKGRAPH").is_none() {
/// assert_eq!(policy(ViolationKind::Cycle), Policy::Panic);
/// # }
/// ```
pub fn policy(kind: ViolationKind) -> Policy {
    init_from_env();
    policy_now(kind)
}

fn policy_now(kind: ViolationKind) -> Policy {
    let own = Policy::decode(KIND_POLICY[kind.index()].load(Relaxed));
    own.or_else(|| Policy::decode(DEFAULT_POLICY.load(Relaxed)))
        .unwrap_or(Policy::Panic)
}

/// Sets the checking mode and returns the previous one.
///
/// # Examples
///
/// ```
/// use lockgraph::{set_mode, Mode, Mutex};
/// let previous = set_mode(Mode::Ascending);
/// let (a, b) = (Mutex::new(0), Mutex::new(0));
/// let _ga = a.lock(); // `a` gets the lower id: it is used first
/// let _gb = b.lock(); // ascending: allowed
/// set_mode(previous);
/// ```
pub fn set_mode(mode: Mode) -> Mode {
    if flags::set(flags::ASCENDING, mode == Mode::Ascending) {
        Mode::Ascending
    } else {
        Mode::Graph
    }
}

/// The checking mode in force.
///
/// # Examples
///
#[doc = "```"]
#[doc = "assert_eq!(lockgraph::mode(), lockgraph::Mode::Graph); // the default"]
#[doc = "```"]
pub fn mode() -> Mode {
    if ascending() {
        Mode::Ascending
    } else {
        Mode::Graph
    }
}

#[inline]
pub(crate) fn ascending() -> bool {
    flags::get() & flags::ASCENDING != 0
}

/// Whether any bookkeeping is needed at all. The first acquisition of the
/// process reads `LOCKGRAPH`, so that `off` skips all bookkeeping from the start.
#[inline]
pub(crate) fn tracking() -> bool {
    flags::current() & flags::OFF == 0
}

/// Whether cycles are checked (graph work).
#[inline]
pub(crate) fn graph_checks() -> bool {
    GRAPH_CHECKS.load(Relaxed)
}

fn refresh() {
    let ignored = |kind| policy_now(kind) == Policy::Ignore;
    let all_ignored = ViolationKind::ALL.iter().all(|&kind| ignored(kind));
    flags::set(flags::OFF, all_ignored);
    GRAPH_CHECKS.store(!ignored(ViolationKind::Cycle), Relaxed);
}

/// Reads `LOCKGRAPH` once per process (called on every thread's first use).
pub(crate) fn init_from_env() {
    ENV_READ.call_once(|| {
        if let Ok(value) = std::env::var(ENV_POLICY) {
            apply_env(&value);
        }
        refresh();
    });
}

fn apply_env(value: &str) {
    match parse_env(value) {
        Ok((default, kinds)) => {
            if let Some(policy) = default {
                DEFAULT_POLICY.store(policy.encode(), Relaxed);
            }
            for (kind, policy) in kinds {
                KIND_POLICY[kind.index()].store(policy.encode(), Relaxed);
            }
            refresh();
        }
        Err(bad) => eprintln!(
            "lockgraph: ignoring {ENV_POLICY}={value:?}: {bad:?} is not understood; \
             accepted: panic, warn, off, optionally followed by kind=policy pairs with kinds \
             cycle, order, self, deadlock, long-wait (e.g. LOCKGRAPH=warn,deadlock=panic); \
             keeping the default policy (panic)"
        ),
    }
}

type EnvSetting = (Option<Policy>, Vec<(ViolationKind, Policy)>);

/// Parses `policy[,kind=policy]*` (also `kind=policy` alone); returns the bad part on error.
pub(crate) fn parse_env(value: &str) -> Result<EnvSetting, String> {
    let mut default = None;
    let mut kinds = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let lower = part.to_ascii_lowercase();
        match lower.split_once('=') {
            None => default = Some(Policy::parse(&lower).ok_or_else(|| part.to_string())?),
            Some((kind, policy)) => {
                let kind = ViolationKind::ALL
                    .into_iter()
                    .find(|k| k.env_name() == kind.trim());
                let policy = Policy::parse(policy.trim());
                match (kind, policy) {
                    (Some(kind), Some(policy)) => kinds.push((kind, policy)),
                    _ => return Err(part.to_string()),
                }
            }
        }
    }
    if default.is_none() && kinds.is_empty() {
        return Err(value.to_string());
    }
    Ok((default, kinds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_parse() {
        assert_eq!(parse_env("warn"), Ok((Some(Policy::Warn), vec![])));
        assert_eq!(
            parse_env("warn, deadlock=panic,long-wait=off"),
            Ok((
                Some(Policy::Warn),
                vec![
                    (ViolationKind::Deadlock, Policy::Panic),
                    (ViolationKind::LongWait, Policy::Ignore)
                ]
            ))
        );
        assert_eq!(parse_env("OFF"), Ok((Some(Policy::Ignore), vec![])));
        assert_eq!(parse_env("warm"), Err("warm".to_string()));
        assert_eq!(parse_env("cycles=warn"), Err("cycles=warn".to_string()));
        assert_eq!(parse_env(""), Err(String::new()));
    }
}
