//! What a lock knows about itself: its lazily assigned id and where it came from.
//!
//! This is the one place a lock's name and creation site live; the graph copies
//! the [`Origin`] into a node when the lock first gets an edge.

use std::fmt;
use std::panic::Location;

use crate::id::{LazyId, LockId};

/// How a lock is described in reports: the name given to `named`, or else the
/// `file:line:column` where the lock was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Named(&'static str),
    Created(&'static Location<'static>),
}

impl Origin {
    /// The name given at creation, if any.
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Origin::Named(name) => Some(name),
            Origin::Created(_) => None,
        }
    }

    /// The creation site (known for locks made with `new`).
    pub(crate) fn site(self) -> Option<&'static Location<'static>> {
        match self {
            Origin::Named(_) => None,
            Origin::Created(site) => Some(site),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Named(name) => write!(f, "\"{name}\""),
            Origin::Created(site) => write!(f, "lock created at {site}"),
        }
    }
}

/// Which API a lock belongs to: the advice a report gives depends on it
/// (std's `RwLock` has no `read_recursive`, and only the crate root's locks
/// go through `lock_all`). Not stored in the lock (its header has no room to
/// spare): each acquisition passes its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// The crate root's locks (parking_lot's API).
    ParkingLot,
    /// `lockgraph::stdsync`'s locks (std's API).
    Std,
    /// A one-time initialisation cell, held while its initialiser runs.
    Cell,
}

/// The tracking header every lockgraph lock carries next to its raw lock
/// (20 bytes: a `Mutex<()>` fits in 24).
pub(crate) struct LockMeta {
    id: LazyId,
    origin: PackedOrigin,
}

/// An [`Origin`] at 4-byte alignment, so that [`LockMeta`] needs no padding;
/// only ever read by value.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct PackedOrigin(Origin);

impl LockMeta {
    /// An unnamed lock created at `site`.
    pub(crate) const fn created(site: &'static Location<'static>) -> Self {
        LockMeta {
            id: LazyId::new(),
            origin: PackedOrigin(Origin::Created(site)),
        }
    }

    /// A lock named `name`.
    pub(crate) const fn named(name: &'static str) -> Self {
        LockMeta {
            id: LazyId::new(),
            origin: PackedOrigin(Origin::Named(name)),
        }
    }

    #[inline]
    pub(crate) fn id(&self) -> LockId {
        self.id.get()
    }

    pub(crate) fn lazy_id(&self) -> &LazyId {
        &self.id
    }

    pub(crate) fn origin(&self) -> Origin {
        let PackedOrigin(origin) = self.origin;
        origin
    }
}

impl fmt::Debug for LockMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.origin();
        match self.id.assigned() {
            Some(id) => write!(f, "{id} {origin}"),
            None => write!(f, "{origin}"),
        }
    }
}
