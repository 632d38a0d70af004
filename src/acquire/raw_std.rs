//! [`RawAcquire`] for `stdsync`'s locks: their raw locks (std's mutex
//! algorithm on parking_lot's parking lot, parking_lot's reader-writer lock),
//! taken as the crate root takes its own, with reports that give std's advice.
//!
//! `stdsync` keeps std's API and poisoning on locks with a timed acquisition
//! (see `crate::stdsync`): std's have none, and a watched wait needs one, to
//! sleep and still wake at every watchdog interval.

use std::time::Duration;

use super::raw::RawAcquire;
use crate::meta::Flavour;
use crate::trusted::held::Hold;

/// The acquisition `R`, of a `stdsync` lock.
#[derive(Clone, Copy)]
pub(crate) struct Std<R>(pub(crate) R);

impl<R: RawAcquire> RawAcquire for Std<R> {
    type Guard = R::Guard;
    const FLAVOUR: Flavour = Flavour::Std;

    #[inline(always)]
    fn try_now(self) -> Result<Self::Guard, Self> {
        self.0.try_now().map_err(Std)
    }

    fn seen_taken(&self) -> bool {
        self.0.seen_taken()
    }

    fn try_for(self, timeout: Duration) -> Result<Self::Guard, Self> {
        self.0.try_for(timeout).map_err(Std)
    }

    fn block(self) -> Self::Guard {
        self.0.block()
    }
}

/// Taking the lock of a one-word hold `H` (a `stdsync` exclusive lock): the
/// hold takes it itself, and is the acquisition's guard.
pub(crate) struct Holding<'a, H: Hold<'a>>(pub(crate) &'a H::Lock);

// By hand: derived, they would require `H: Copy`.
impl<'a, H: Hold<'a>> Clone for Holding<'a, H> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<'a, H: Hold<'a>> Copy for Holding<'a, H> {}

impl<'a, H: Hold<'a>> RawAcquire for Holding<'a, H> {
    type Guard = H;

    #[inline(always)]
    fn try_now(self) -> Result<H, Self> {
        H::try_now(self.0).ok_or(self)
    }

    fn seen_taken(&self) -> bool {
        H::seen_taken(self.0)
    }

    fn try_for(self, timeout: Duration) -> Result<H, Self> {
        H::try_for(self.0, timeout).ok_or(self)
    }

    fn block(self) -> H {
        H::block(self.0)
    }
}
