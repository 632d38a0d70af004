//! What happens when a violation is found: the policy per kind, the checking
//! mode, and the `LOCKGRAPH` environment variable that sets them.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};

use super::{ensure_read, env, flags};
use crate::report::ViolationKind;
use crate::report::deliver::print_whole;

/// What lockgraph does when it finds a violation.
///
/// Set for every kind with [`set_policy`] (the default is `Panic`), for one
/// kind with [`set_kind_policy`], or by the `LOCKGRAPH` environment variable.
///
/// **Notices** ([`ViolationKind::Notice`]: a lock dropped while its guard was
/// leaked, the id space used up) are not lock-order problems and never panic
/// unless asked to: their policy is `Warn`, whatever [`set_policy`] says,
/// except that `set_policy(Policy::Ignore)` (`LOCKGRAPH=off`) silences them
/// too. A policy set for the kind itself ([`set_kind_policy`], or
/// `LOCKGRAPH=...,notice=panic`) applies as given.
///
/// # Examples
///
/// ```
/// use lockgraph::{clear_kind_policy, policy, set_kind_policy, set_policy, Policy, ViolationKind};
/// let before = set_policy(Policy::Panic);
/// assert_eq!(policy(ViolationKind::Cycle), Policy::Panic);
/// assert_eq!(policy(ViolationKind::Notice), Policy::Warn); // notices stay Warn
/// set_policy(Policy::Ignore);
/// assert_eq!(policy(ViolationKind::Notice), Policy::Ignore); // off is off
/// set_kind_policy(ViolationKind::Notice, Policy::Panic); // asked for: applies
/// assert_eq!(policy(ViolationKind::Notice), Policy::Panic);
/// clear_kind_policy(ViolationKind::Notice);
/// set_policy(before);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Panic at the violating acquisition, before it blocks; the panic message
    /// is the report. The default. A violation found while the thread is
    /// already panicking is printed instead (a double panic would abort).
    Panic,
    /// Print each distinct violation once to stderr and let the acquisition go
    /// on. Printed to the process's stderr, not through `eprint!`, so the test
    /// harness does not capture it: a passing test shows it too. A [`Violation::SelfDeadlock`](crate::Violation::SelfDeadlock) still
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

    pub(super) fn parse(word: &str) -> Option<Policy> {
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
static KIND_POLICY: [AtomicU8; ViolationKind::ALL.len()] =
    [const { AtomicU8::new(0) }; ViolationKind::ALL.len()];
static DEFAULT_POLICY: AtomicU8 = AtomicU8::new(1);
/// False when cycles are ignored: then no graph work is done.
static GRAPH_CHECKS: AtomicBool = AtomicBool::new(true);
/// Whether class cycles are checked (the kind is not ignored).
static CLASS_CHECKS: AtomicBool = AtomicBool::new(true);

/// The environment variable that sets the policy.
pub const ENV_POLICY: &str = "LOCKGRAPH";

/// Sets the policy for every kind that has no policy of its own, and returns the
/// previous one. Overrides the `LOCKGRAPH` environment variable.
///
/// Notices ([`ViolationKind::Notice`]) follow it only to `Ignore`; otherwise
/// they stay `Warn` (see [`Policy`]).
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
    ensure_read();
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
    ensure_read();
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
    clear_kind_setting(kind)
}

/// The policy set for `kind` itself (not the default it follows), as
/// stored: `0` when none is set. For [`restore_kind_setting`].
#[cfg(feature = "proptest")]
pub(crate) fn kind_setting(kind: ViolationKind) -> u8 {
    ensure_read();
    KIND_POLICY[kind.index()].load(Relaxed)
}

/// Puts back what [`kind_setting`] returned.
#[cfg(feature = "proptest")]
pub(crate) fn restore_kind_setting(kind: ViolationKind, setting: u8) {
    KIND_POLICY[kind.index()].store(setting, Relaxed);
    refresh();
}

fn clear_kind_setting(kind: ViolationKind) -> Policy {
    ensure_read();
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
    ensure_read();
    policy_now(kind)
}

fn policy_now(kind: ViolationKind) -> Policy {
    if let Some(own) = Policy::decode(KIND_POLICY[kind.index()].load(Relaxed)) {
        return own;
    }
    let default = Policy::decode(DEFAULT_POLICY.load(Relaxed)).unwrap_or(Policy::Panic);
    match kind {
        // A notice is not a lock-order problem: never a panic unless asked
        // for, but silenced with everything else.
        ViolationKind::Notice if default != Policy::Ignore => Policy::Warn,
        _ => default,
    }
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

/// Whether [`Mode::Ascending`] is in force (one relaxed load).
#[inline]
pub(crate) fn ascending() -> bool {
    flags::get() & flags::ASCENDING != 0
}

/// Whether cycles are checked (graph work).
#[inline]
pub(crate) fn graph_checks() -> bool {
    GRAPH_CHECKS.load(Relaxed)
}

/// Whether class cycles are checked (class graph work, on the instance
/// graph's slow paths: with cycles ignored, there is none).
#[inline]
pub(crate) fn class_checks() -> bool {
    CLASS_CHECKS.load(Relaxed)
}

fn refresh() {
    let ignored = |kind| policy_now(kind) == Policy::Ignore;
    let all_ignored = ViolationKind::ALL.iter().all(|&kind| ignored(kind));
    flags::set(flags::OFF, all_ignored);
    GRAPH_CHECKS.store(!ignored(ViolationKind::Cycle), Relaxed);
    CLASS_CHECKS.store(!ignored(ViolationKind::ClassCycle), Relaxed);
}

/// Applies the value of `LOCKGRAPH`, if it is set (from [`super::read_env`]).
pub(super) fn apply_env(value: Option<&str>) {
    if let Some(value) = value {
        match env::parse_policies(value) {
            Ok((default, kinds)) => {
                if let Some(policy) = default {
                    DEFAULT_POLICY.store(policy.encode(), Relaxed);
                }
                for (kind, policy) in kinds {
                    KIND_POLICY[kind.index()].store(policy.encode(), Relaxed);
                }
            }
            Err(bad) => {
                let kinds = ViolationKind::ALL.map(ViolationKind::env_name).join(", ");
                print_whole(format!(
                    "lockgraph: ignoring {ENV_POLICY}={value:?}: {bad:?} is not understood; \
                     accepted: panic, warn, off, optionally followed by kind=policy pairs with \
                     kinds {kinds} (e.g. LOCKGRAPH=warn,deadlock=panic); keeping the default policy \
                     (panic)\n"
                ))
            }
        }
    }
    refresh();
}
