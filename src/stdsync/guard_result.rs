//! Carrying std's poisoning results over from std's guards to ours.
//!
//! The error types are std's own ([`PoisonError::new`] is public), so a
//! program matching on them sees exactly what it would see with `std::sync`.

use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};

/// Wraps the guard inside a (possibly poisoned) lock result.
pub(crate) fn map_lock<G, W>(result: LockResult<G>, wrap: impl FnOnce(G) -> W) -> LockResult<W> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(poisoned) => Err(PoisonError::new(wrap(poisoned.into_inner()))),
    }
}

/// Wraps the guard inside a `try_*` result; `WouldBlock` has none.
pub(crate) fn map_try<G, W>(
    result: TryLockResult<G>,
    wrap: impl FnOnce(G) -> W,
) -> TryLockResult<W> {
    match result {
        Ok(guard) => Ok(wrap(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Err(TryLockError::Poisoned(PoisonError::new(
            wrap(poisoned.into_inner()),
        ))),
        Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
    }
}
