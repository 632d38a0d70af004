//! What a lock knows about itself: its lazily assigned id and where it came from.
//!
//! This is the one place a lock's name and creation site live; the graph copies
//! the [`Origin`] into a node when the lock first gets an edge. It is also the
//! crate's only module with `unsafe` code: the packing of the origin.

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

/// Marks an origin that is a creation site rather than a name.
const SITE: u32 = u32::MAX;

/// The tracking header every lockgraph lock carries next to its raw lock.
///
/// 16 bytes: the id word, and the origin packed into a pointer and a length
/// (an [`Origin`] enum would take 16 bytes alone and push `Mutex<()>` past 24).
///
/// Invariant (relied on by every `unsafe` block below): if `len == SITE`,
/// `ptr` was made from a `&'static Location<'static>`; otherwise `ptr` and
/// `len` were made from a `&'static str` of `len` bytes. Both are immutable
/// `'static` data, so the pointer is valid to read from any thread, forever.
pub(crate) struct LockMeta {
    id: LazyId,
    len: u32,
    ptr: *const u8,
}

// SAFETY: `ptr` only ever points to immutable `'static` data (the invariant
// above), which may be read from any thread.
unsafe impl Send for LockMeta {}
// SAFETY: as for `Send`: shared access only reads immutable `'static` data.
unsafe impl Sync for LockMeta {}

impl LockMeta {
    /// An unnamed lock created at `site`.
    pub(crate) const fn created(site: &'static Location<'static>) -> Self {
        let ptr = std::ptr::from_ref(site).cast::<u8>();
        LockMeta {
            id: LazyId::new(),
            len: SITE,
            ptr,
        }
    }

    /// A lock named `name`.
    ///
    /// # Panics
    /// If the name is 4 GiB long or longer.
    pub(crate) const fn named(name: &'static str) -> Self {
        assert!(
            name.len() < SITE as usize,
            "a lock name must be shorter than 4 GiB"
        );
        LockMeta {
            id: LazyId::new(),
            len: name.len() as u32,
            ptr: name.as_ptr(),
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
        if self.len == SITE {
            // SAFETY: `len == SITE`, so `ptr` came from a `&'static Location`.
            Origin::Created(unsafe { &*self.ptr.cast::<Location<'static>>() })
        } else {
            // SAFETY: `ptr` and `len` came from a `&'static str`: valid UTF-8
            // of `len` bytes that lives forever.
            let name = unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    self.ptr,
                    self.len as usize,
                ))
            };
            Origin::Named(name)
        }
    }
}

impl fmt::Debug for LockMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id.assigned() {
            Some(id) => write!(f, "{} {}", id, self.origin()),
            None => write!(f, "{}", self.origin()),
        }
    }
}
