//! What a lock knows about itself: its lazily assigned id and where it came from.
//!
//! This is the one place a lock's name and creation site live; the graph copies
//! the [`Origin`] into a node when the lock first gets an edge.

use std::fmt;
use std::panic::Location;

use crate::id::{LazyId, LockId};
use crate::trusted::LockWord;

pub(crate) use crate::trusted::Origin;

impl Origin {
    /// Whether the lock was made by a `#[track_caller]` constructor called
    /// through a function pointer (`(0..n).map(Mutex::new)`): Rust then gives
    /// a place inside the standard library as its creation site, the same
    /// for every such lock.
    pub(crate) fn made_through_fn_pointer(self) -> bool {
        let in_std = |file: &str| {
            let file = file.replace('\\', "/");
            file.starts_with("/rustc/") || std_crate_of(&file).is_some()
        };
        self.name().is_none() && self.site().is_some_and(|site| in_std(site.file()))
    }
}

/// The path prefix (`std::`, `core::`, `alloc::`) of the standard library
/// crate whose source file `file` (with `/` separators) is, as a caller's
/// location or a frame's debug info names it
/// (`/rustc/HASH/library/core/src/ops/function.rs`, or the sources' own
/// path where std was built locally).
pub(crate) fn std_crate_of(file: &str) -> Option<&'static str> {
    let library = [
        ("/library/std/", "std::"),
        ("/library/core/", "core::"),
        ("/library/alloc/", "alloc::"),
    ];
    let (_, krate) = library.iter().find(|(dir, _)| file.contains(dir))?;
    Some(krate)
}

/// How a lock is described in reports: the name given to `named`, or else
/// `lock created at file:line:column` (`lock made through a function
/// pointer` where Rust gave no site of the program's).
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.site() {
            Some(_) if self.made_through_fn_pointer() => {
                f.write_str("lock made through a function pointer")
            }
            Some(site) => write!(f, "lock created at {site}"),
            None => write!(f, "\"{}\"", self.name().unwrap_or_default()),
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.site() {
            Some(site) => f.debug_tuple("Created").field(&site).finish(),
            None => f
                .debug_tuple("Named")
                .field(&self.name().unwrap_or_default())
                .finish(),
        }
    }
}

/// Which API a lock belongs to: the advice a report gives depends on it
/// (std's `RwLock` has no `read_recursive`; a cell cannot go through
/// `lock_all`). Not stored in the lock (its header has no room to
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

/// Origins are equal when they describe a lock alike (the same name, or the
/// same creation site), wherever the name is stored.
impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        self.name() == other.name() && self.site() == other.site()
    }
}

impl Eq for Origin {}

/// The tracking header every lockgraph lock carries next to its raw lock:
/// the lazily assigned 64-bit id and the origin, in 16 bytes (a `Mutex<()>`
/// fits in 24). The origin is a pointer plus 7 bits of the id word
/// ([`LockWord`]); a name longer than [`NAME_MAX`](crate::trusted::NAME_MAX)
/// bytes is cut to that length (at a character boundary).
pub(crate) struct LockMeta {
    id: LazyId,
}

impl LockMeta {
    /// An unnamed lock created at `site`.
    pub(crate) const fn created(site: &'static Location<'static>) -> Self {
        LockMeta {
            id: LazyId::with_origin(LockWord::new(Origin::created(site))),
        }
    }

    /// A lock named `name`.
    pub(crate) const fn named(name: &'static str) -> Self {
        LockMeta {
            id: LazyId::with_origin(LockWord::new(Origin::named(name))),
        }
    }

    #[inline]
    pub(crate) fn id(&self) -> LockId {
        self.id.get()
    }

    pub(crate) fn lazy_id(&self) -> &LazyId {
        &self.id
    }

    /// A lock described as `origin`.
    pub(crate) const fn with_origin(origin: Origin) -> Self {
        LockMeta {
            id: LazyId::with_origin(LockWord::new(origin)),
        }
    }

    #[inline(always)]
    pub(crate) fn origin(&self) -> Origin {
        self.id.origin()
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
