//! Reports: the violations lockgraph finds, their text, and their delivery.

mod acquisition;
pub(crate) mod deliver;
mod display;
mod parts;
mod violation;
mod waiting;

pub use acquisition::{Cycle, OrderViolation, SelfDeadlock};
pub use deliver::{Handler, set_handler};
pub(crate) use parts::ThreadLabel;
pub use parts::{CapturedBacktrace, HeldRef, LockRef, OrderEdge};
pub use violation::{Violation, ViolationKind};
pub use waiting::{BlockedThread, Deadlock, LongWait};
