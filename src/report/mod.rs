//! Reports: the violations lockgraph finds, their text, and their delivery.

pub(crate) mod deliver;
mod display;
mod violation;

pub use deliver::{Handler, set_handler};
pub(crate) use violation::ThreadLabel;
pub use violation::{
    BlockedThread, CapturedBacktrace, Cycle, Deadlock, HeldRef, LockRef, LongWait, OrderEdge,
    OrderViolation, SelfDeadlock, Violation, ViolationKind,
};
