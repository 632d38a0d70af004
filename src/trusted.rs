//! The crate's only unsafe code: six small facts the compiler cannot check,
//! each behind a safe interface.
//!
//! - [`with_local`]: a thread-local reached without a closure boundary, so that
//!   the acquisition fast path compiles to straight-line code.
//! - [`AtomicSite`]: a call site (`&'static Location`) kept in an atomic, for
//!   the watchdog's mirror of held sets that other threads read.
//! - [`OwnerLock`]: a raw lock for data one thread uses all the time and other
//!   threads rarely, whose release is a plain store.
//! - [`LockWord`] and [`Origin`]: a lock's name or creation site kept as a
//!   pointer plus 7 bits of its id word, so that a lock's header is 16 bytes
//!   with a 64-bit id.
//! - [`arc::ArcHeld`] (feature `arc_lock`): a lock held through its `Arc`,
//!   with the guard kept apart, for the `Arc*Guard`s.
//! - [`std_mutex`]: std's mutex and condition variable algorithms on
//!   parking_lot's parking lot, under `stdsync`'s `Mutex` and `Condvar`; with
//!   [`held`] and [`marked`], the one-word holds inside `stdsync`'s guards
//!   (a reference with two marks in its low bits).

use std::panic::Location;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

use parking_lot::lock_api;
use std::thread::LocalKey;

#[cfg(feature = "arc_lock")]
pub(crate) mod arc;
pub(crate) mod held;
pub(crate) mod marked;
pub(crate) mod std_mutex;

/// Runs `f` on this thread's value of `key`, like [`LocalKey::try_with`]
/// (`None` where that fails), but with `f` outside `try_with`'s closure, so
/// that the compiler can inline both into the caller.
///
/// `LocalKey::try_with` is a generic function the compiler declines to inline
/// once the closure is more than a few instructions; on the lock fast path
/// that call boundary alone costs as much as the bookkeeping.
#[inline(always)]
pub(crate) fn with_local<T: 'static, R>(
    key: &'static LocalKey<T>,
    f: impl FnOnce(&T) -> R,
) -> Option<R> {
    let value: *const T = key.try_with(|value| ptr::from_ref(value)).ok()?;
    // SAFETY: `try_with` succeeded, so this thread's value is alive and was
    // not yet destroyed. Only the thread-local destructors that run when this
    // thread exits can end its life, and they are run one after another by
    // the runtime, never from inside the code running on this thread: not
    // while `f` (called right here, on this thread) runs. The reference is
    // given to `f` for the duration of that call only, as `try_with` would.
    Some(f(unsafe { &*value }))
}

/// A `&'static Location<'static>` (or nothing) in an atomic.
pub(crate) struct AtomicSite(AtomicPtr<Location<'static>>);

impl AtomicSite {
    pub(crate) const fn empty() -> Self {
        AtomicSite(AtomicPtr::new(ptr::null_mut()))
    }

    pub(crate) fn store(&self, site: &'static Location<'static>, order: Ordering) {
        self.0.store(ptr::from_ref(site).cast_mut(), order);
    }

    pub(crate) fn load(&self, order: Ordering) -> Option<&'static Location<'static>> {
        let site = self.0.load(order);
        // SAFETY: the pointer is either the initial null, which `as_ref` turns
        // into `None`, or was stored from a `&'static Location<'static>` by
        // `store`; such a location is never freed or mutated.
        unsafe { site.as_ref() }
    }
}

/// A lock's id word and the pointer half of its origin: the tracking header
/// every lockgraph lock carries, in 16 bytes.
///
/// The word's bits 1..8 describe the origin: the length of a name (at most
/// [`NAME_MAX`] bytes), or [`SITE`] for a creation site; `origin` points to
/// the name's bytes or to the [`Location`]. They are set by the constructors
/// and no method changes them, so the pointer and the bits always describe
/// one origin. The other bits belong to the owner of the word (the id and its
/// flag, `crate::id::LazyId`): bit 0 and bits 8..64.
///
/// Why: with a 64-bit id word (8-byte aligned) and a 16-byte `&'static str`
/// beside it, the header would be 24 bytes and a `Mutex<()>` 32 (Rust never
/// puts the next field into a struct's tail padding, so the raw lock's byte
/// could not use the 4 bytes a 12-byte origin would leave free either).
pub(crate) struct LockWord {
    word: AtomicU64,
    origin: NonNull<u8>,
}

/// The bits of a [`LockWord`]'s word that belong to the origin.
const ORIGIN_BITS: u64 = 0xFE;
/// The origin bits (shifted down by one) of a creation site; smaller values
/// are a name's length.
const SITE: u8 = 0x7F;
/// The longest name a lock keeps, in bytes: a longer one is cut to at most
/// this many, at a character boundary (the origin bits hold the length).
pub(crate) const NAME_MAX: usize = SITE as usize - 1;

// SAFETY: `origin` is only ever read, and points to immutable `'static` data
// (a `str`'s bytes or a `Location`, both `Sync`); the word is an atomic.
unsafe impl Send for LockWord {}
// SAFETY: as for `Send`.
unsafe impl Sync for LockWord {}

impl LockWord {
    /// The header of a lock described by `origin`; the rest of the word is 0.
    pub(crate) const fn new(origin: Origin) -> Self {
        LockWord {
            // Bit 0 is not the origin's (an origin copied out of a word may have it).
            word: AtomicU64::new(origin.low as u64 & ORIGIN_BITS),
            origin: origin.ptr,
        }
    }

    /// The whole word (the origin bits included).
    #[inline(always)]
    pub(crate) fn load(&self, order: Ordering) -> u64 {
        self.word.load(order)
    }

    /// Replaces the word with `new` if it is `current`; the origin bits of
    /// `new` are ignored (the word keeps its own).
    #[inline]
    pub(crate) fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u64, u64> {
        // If the exchange happens, `current` was the word, origin bits included.
        let new = (new & !ORIGIN_BITS) | (current & ORIGIN_BITS);
        self.word.compare_exchange(current, new, success, failure)
    }

    /// Sets bit 0 if it is clear: a plain store of the word as loaded with the
    /// bit set (no read-modify-write), so the caller must make sure that no
    /// other write can come between (see `LazyId::mark_in_graph`). Loads with
    /// `Acquire`, stores with `Release`.
    #[inline]
    pub(crate) fn set_bit_0(&self) {
        let word = self.word.load(Ordering::Acquire);
        if word & 1 == 0 {
            // The loaded word's origin bits are the word's own: they never change.
            self.word.store(word | 1, Ordering::Release);
        }
    }

    /// Where the lock came from.
    #[inline(always)]
    pub(crate) fn origin(&self) -> Origin {
        self.read(Ordering::Relaxed).origin()
    }

    /// The word, as one load read it, with the lock: its origin can be read
    /// later from that same load.
    #[inline(always)]
    pub(crate) fn read(&self, order: Ordering) -> WordRead<'_> {
        WordRead {
            word: self.word.load(order),
            lock: self,
        }
    }
}

/// A [`LockWord`]'s word as one load read it, and the lock it was read from.
#[derive(Clone, Copy)]
pub(crate) struct WordRead<'a> {
    word: u64,
    lock: &'a LockWord,
}

impl WordRead<'_> {
    /// The word read.
    #[inline(always)]
    pub(crate) fn word(self) -> u64 {
        self.word
    }

    /// The lock's origin: its pointer, read now, and the origin bits of the
    /// word read (the lock's own: they never change). The fast path stores the
    /// bits straight from the register that holds the word.
    #[inline(always)]
    pub(crate) fn origin(self) -> Origin {
        Origin {
            ptr: self.lock.origin,
            // Bit 0 (not the origin's) is ignored when the origin is read.
            low: self.word as u8,
        }
    }
}

/// Where a lock came from: the name given to `named`, or else the place where
/// it was created. A pointer, and in `low` a name's length or [`SITE`]
/// (shifted up by one; bit 0 is not the origin's and is ignored), as in a
/// [`LockWord`]: 16 bytes with padding, copied as they are into held-set
/// entries and graph nodes, and decoded only to be shown.
///
/// Made only from a `&'static str` or a `&'static Location`, or copied out of
/// a [`LockWord`] so made, so the pointer and `low` always agree.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    ptr: NonNull<u8>,
    low: u8,
}

// SAFETY: as for `LockWord`: the pointer is only read, and points to
// immutable `'static`, `Sync` data.
unsafe impl Send for Origin {}
// SAFETY: as for `Send`.
unsafe impl Sync for Origin {}

/// `name` cut to at most [`NAME_MAX`] bytes, at a character boundary: what a
/// lock keeps of its name.
pub(crate) const fn cut_name(name: &'static str) -> &'static str {
    let mut len = if name.len() < NAME_MAX {
        name.len()
    } else {
        NAME_MAX
    };
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    name.split_at(len).0
}

impl Origin {
    /// The name `name`, cut to at most [`NAME_MAX`] bytes at a character boundary.
    pub(crate) const fn named(name: &'static str) -> Self {
        let kept = cut_name(name);
        Origin {
            ptr: NonNull::from_ref(kept).cast::<u8>(),
            low: (kept.len() as u8) << 1, // at most NAME_MAX, below SITE
        }
    }

    /// The creation site `site`.
    pub(crate) const fn created(site: &'static Location<'static>) -> Self {
        Origin {
            ptr: NonNull::from_ref(site).cast::<u8>(),
            low: SITE << 1,
        }
    }

    /// The name given at creation, if any (cut as [`Self::named`] cuts it).
    #[inline]
    pub(crate) fn name(self) -> Option<&'static str> {
        match self.low >> 1 {
            SITE => None,
            len => {
                // SAFETY: `low` is not `SITE`, so `named` made this origin
                // (see the type's doc): `ptr` and `len` are the start and
                // the length of a `&'static str` (the prefix of the name
                // that `split_at` returned), valid UTF-8, never freed or mutated.
                let name = unsafe {
                    let bytes = std::slice::from_raw_parts(self.ptr.as_ptr(), usize::from(len));
                    std::str::from_utf8_unchecked(bytes)
                };
                Some(name)
            }
        }
    }

    /// The origin as a class cache key: its address and bits (bit 0, not
    /// the origin's, cleared).
    #[inline]
    pub(crate) fn key(self) -> (usize, u8) {
        (self.ptr.as_ptr().addr(), self.low & !1)
    }

    /// The creation site (known for locks made with `new`).
    #[inline]
    pub(crate) fn site(self) -> Option<&'static Location<'static>> {
        match self.low >> 1 {
            SITE => {
                let site = self.ptr.cast::<Location<'static>>();
                // SAFETY: `low` is `SITE` only when `created` made this origin
                // (see the type's doc), from a `&'static Location<'static>`
                // whose address `ptr` is; such a location is never freed or
                // mutated.
                Some(unsafe { site.as_ref() })
            }
            _ => None,
        }
    }
}

/// A raw lock for data that its owning thread locks all the time and other
/// threads rarely (a thread's private graph): taking it is one
/// compare-exchange, releasing it a plain store, where parking_lot's mutex
/// pays a second read-modify-write to release (it must see whether a thread
/// sleeps on it). A contended take spins briefly, then yields, then sleeps a
/// little between tries (so that a waiter of higher real-time priority than
/// the holder, on the same processor, cannot keep it from running forever).
/// Waiters are other threads publishing this thread's graph, which is rare;
/// a waiter may sleep up to 50 µs past the release. With the plain-store
/// release, the owner's release is a plain store instead of a second
/// read-modify-write on every new edge and every drop.
pub(crate) struct OwnerLock(AtomicBool);

/// A mutex over [`OwnerLock`].
pub(crate) type OwnerMutex<T> = lock_api::Mutex<OwnerLock, T>;

/// The guard of an [`OwnerMutex`].
pub(crate) type OwnerGuard<'a, T> = lock_api::MutexGuard<'a, OwnerLock, T>;

// SAFETY: `lock` and `try_lock` return (true) only after this call changed the
// flag from false to true, with Acquire ordering, so at most one holder exists
// at a time and it sees everything the previous holder wrote; `unlock`, which
// lock_api only calls for the holder, stores false with Release ordering,
// publishing the holder's writes to the next one.
unsafe impl lock_api::RawMutex for OwnerLock {
    #[allow(clippy::declare_interior_mutable_const)] // the trait's initial value
    const INIT: OwnerLock = OwnerLock(AtomicBool::new(false));

    type GuardMarker = lock_api::GuardNoSend;

    #[inline]
    fn lock(&self) {
        if !self.try_lock() {
            self.lock_contended();
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        self.0
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl OwnerLock {
    /// Waits for the lock: a few spins, then yielding the processor between
    /// tries, then sleeping.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut tries = 0u32;
        loop {
            while self.0.load(Ordering::Relaxed) {
                tries = tries.saturating_add(1);
                match tries {
                    0..64 => std::hint::spin_loop(),
                    64..128 => std::thread::yield_now(),
                    _ => std::thread::sleep(std::time::Duration::from_micros(50)),
                }
            }
            if lock_api::RawMutex::try_lock(self) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_mutex_excludes_under_contention() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 20_000;
        // A plain (non-atomic) counter: lost updates show if two hold the lock.
        let counter = OwnerMutex::new(0usize);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..ROUNDS {
                        let mut value = counter.lock();
                        let read = *value;
                        std::hint::spin_loop();
                        *value = read + 1;
                    }
                });
            }
        });
        assert_eq!(counter.into_inner(), THREADS * ROUNDS);
    }

    #[test]
    fn origins_read_back_and_long_names_are_cut_at_a_character_boundary() {
        let site = Location::caller();
        assert_eq!(Origin::created(site).site(), Some(site));
        assert_eq!(Origin::created(site).name(), None);
        assert_eq!(Origin::named("bank").name(), Some("bank"));
        assert_eq!(Origin::named("bank").site(), None);
        assert_eq!(Origin::named("").name(), Some(""));
        let long: &'static str = "x".repeat(300).leak();
        assert_eq!(Origin::named(long).name(), Some(&long[..NAME_MAX]));
        // A two-byte character across the limit is left out whole.
        let straddling: &'static str = format!("{}é", "y".repeat(NAME_MAX - 1)).leak();
        assert_eq!(straddling.len(), NAME_MAX + 1);
        assert_eq!(
            Origin::named(straddling).name(),
            Some(&straddling[..NAME_MAX - 1])
        );
        let exact: &'static str = "z".repeat(NAME_MAX).leak();
        assert_eq!(Origin::named(exact).name(), Some(exact));
    }

    #[test]
    fn a_lock_word_keeps_its_origin_whatever_is_written() {
        let word = LockWord::new(Origin::named("kept"));
        let unassigned = word.load(Ordering::Relaxed);
        assert_eq!(unassigned & !ORIGIN_BITS, 0);
        // Origin bits in a new word are ignored; the rest is written.
        let written = word.compare_exchange(
            unassigned,
            u64::MAX << 8 | 0xFE,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        assert_eq!(written, Ok(unassigned));
        assert_eq!(word.load(Ordering::Relaxed), u64::MAX << 8 | unassigned);
        word.set_bit_0();
        assert_eq!(word.load(Ordering::Relaxed), u64::MAX << 8 | unassigned | 1);
        assert_eq!(word.origin().name(), Some("kept"));
        // A copy made from an origin read out of a word (bit 0 set) starts clear.
        let copy = LockWord::new(word.origin());
        assert_eq!(copy.load(Ordering::Relaxed), unassigned);
        let site = LockWord::new(Origin::created(Location::caller()));
        assert!(site.origin().site().is_some());
    }

    #[test]
    fn owner_mutex_try_lock_fails_while_held() {
        let lock = OwnerMutex::new(());
        let held = lock.lock();
        assert!(lock.try_lock().is_none() && lock.is_locked());
        drop(held);
        assert!(lock.try_lock().is_some());
    }
}
