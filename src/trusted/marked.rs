//! [`Marked`]: a reference with two bits of its owner's in the address's low
//! bits, which the referent's alignment leaves free. The one-word guards of
//! `stdsync` keep their lock this way, with what the guard must remember
//! (not recorded in the held set, taken while panicking) as the marks.

use std::marker::PhantomData;
use std::ptr::NonNull;

/// How many low bits of a [`Marked`] reference are its owner's marks.
const MARK_BITS: u32 = 2;

/// The marks' bits of the address.
pub(crate) const MARKS: usize = (1 << MARK_BITS) - 1;

/// A `&'a L` with marks (below 4) in its address's low bits: one word for a
/// sized `L`. The referent's alignment must be above the marks (checked when
/// one is made; every lock with a header is 8-byte aligned).
pub(crate) struct Marked<'a, L: ?Sized> {
    /// The address of the `&'a L`, with the marks in its low bits.
    tagged: NonNull<L>,
    _life: PhantomData<&'a L>,
}

// By hand: derived, they would require `L: Copy`.
impl<L: ?Sized> Clone for Marked<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<L: ?Sized> Copy for Marked<'_, L> {}

// SAFETY: a `Marked` is a `&'a L` (and gives out nothing else), which is
// `Send` and `Sync` when `L` is `Sync`.
unsafe impl<L: ?Sized + Sync> Send for Marked<'_, L> {}
// SAFETY: as for `Send`.
unsafe impl<L: ?Sized + Sync> Sync for Marked<'_, L> {}

impl<'a, L: ?Sized> Marked<'a, L> {
    /// `lock`, with no marks.
    ///
    /// # Panics
    /// If `L`'s alignment leaves no room for the marks.
    #[inline(always)]
    pub(crate) fn new(lock: &'a L) -> Self {
        assert!(
            std::mem::align_of_val(lock) > MARKS,
            "too small an alignment for marks"
        );
        Marked {
            tagged: NonNull::from(lock),
            _life: PhantomData,
        }
    }

    /// This reference with `marks` (their bits below [`MARKS`]) added to its
    /// marks.
    #[inline(always)]
    pub(crate) fn marked(self, marks: usize) -> Self {
        Marked {
            tagged: self.tagged.map_addr(|addr| addr | (marks & MARKS)),
            _life: PhantomData,
        }
    }

    /// The marks.
    #[inline(always)]
    pub(crate) fn marks(self) -> usize {
        self.tagged.addr().get() & MARKS
    }

    /// The reference.
    #[inline(always)]
    pub(crate) fn get(self) -> &'a L {
        let untagged = self.tagged.as_ptr().map_addr(|addr| addr & !MARKS);
        // SAFETY: without the marks, which only ever occupy bits that the
        // referent's alignment keeps zero in its address (`new` checks it),
        // this is the pointer of the `&'a L` this value was made from.
        unsafe { &*untagged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_kept_apart_from_the_reference() {
        let value = 7u64;
        let plain = Marked::new(&value);
        assert_eq!((plain.marks(), *plain.get()), (0, 7));
        for marks in 1..=MARKS {
            let marked = plain.marked(marks);
            assert_eq!(marked.marks(), marks);
            assert!(std::ptr::eq(marked.get(), &value));
        }
        assert_eq!(plain.marked(1).marked(2).marks(), 3);
        // Only the marks' bits are taken.
        assert_eq!(plain.marked(MARKS + 1).marks(), 0);
        // An unsized referent keeps its length.
        let slice: &[u64] = &[1, 2, 3];
        assert_eq!(Marked::new(slice).marked(3).get(), [1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "too small an alignment")]
    fn a_referent_without_room_for_marks_is_refused() {
        let _ = Marked::new(&0u8);
    }
}
