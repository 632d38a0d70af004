//! The locks one thread holds, in the order it took them.
//!
//! A plain data structure: it knows nothing of the graph or of other threads.
//! Releases may come in any order, so removal searches from the most recent
//! entry (the usual case is the last one) and keeps the rest in order.
//!
//! Every entry also carries the chain key of the set up to and including it: a
//! 64-bit hash of the ids held, in order (lockdep's chain key). The tracker uses
//! it to recognise in one lookup a held set it has already checked.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::panic::Location;

use crate::id::LockId;
use crate::meta::Origin;

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A mutex, or an `RwLock` taken for writing.
    Exclusive,
    /// A shared `read`.
    Read,
    /// A `read_recursive` (never blocks behind a queued writer).
    ReadRecursive,
    /// An `upgradable_read`.
    Upgradable,
    /// A `ReentrantMutex`: the owning thread may take it again.
    Reentrant,
}

impl Access {
    /// The inverse of `access as u8`.
    fn from_bits(bits: u8) -> Access {
        const READ: u8 = Access::Read as u8;
        const READ_RECURSIVE: u8 = Access::ReadRecursive as u8;
        const UPGRADABLE: u8 = Access::Upgradable as u8;
        const REENTRANT: u8 = Access::Reentrant as u8;
        match bits {
            READ => Access::Read,
            READ_RECURSIVE => Access::ReadRecursive,
            UPGRADABLE => Access::Upgradable,
            REENTRANT => Access::Reentrant,
            _ => Access::Exclusive,
        }
    }

    /// Whether a lock held this way serialises the threads that hold it
    /// (see [`crate::graph::gate::serialises`]).
    pub(crate) fn serialises(self) -> bool {
        crate::graph::gate::serialises(self as u8)
    }

    /// The verb a report uses for an acquisition of this kind.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Access::Exclusive | Access::Reentrant => "lock",
            Access::Read | Access::ReadRecursive => "read",
            Access::Upgradable => "upgradable_read",
        }
    }
}

/// One held lock: which, how, and where this thread took it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLock {
    pub(crate) id: LockId,
    pub(crate) origin: Origin,
    pub(crate) access: Access,
    pub(crate) site: &'static Location<'static>,
    /// An edge from this lock was inserted into the graph while it was held.
    pub(crate) source: bool,
    /// What the release must know about std's poisoning (`stdsync` only).
    pub(crate) poison: PoisonMarks,
    /// The chain key of the held set up to and including this entry (set by
    /// [`HeldLocks::push`]).
    pub(crate) chain: u64,
}

/// What an entry remembers for the poisoning of a `stdsync` lock: whether a
/// poison the release may cause comes from a lockgraph report's unwinding
/// (see `tracker::poison`). All false for a new entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PoisonMarks {
    /// The entry was held when a report's panic was raised on this thread:
    /// its release may be part of that unwinding.
    pub(crate) reported: bool,
}

impl PoisonMarks {
    /// No mark: what every acquisition records.
    pub(crate) const NONE: PoisonMarks = PoisonMarks { reported: false };

    /// The marks as bits of a [`Slot`]'s word.
    fn bits(self) -> u64 {
        if self.reported { REPORTED } else { 0 }
    }

    fn from_bits(word: u64) -> PoisonMarks {
        PoisonMarks {
            reported: word & REPORTED != 0,
        }
    }
}

/// The chain key of an empty held set. Zero, so that a set of one lock costs
/// a multiplication (`extend_chain(0, id)` is the shifted id times the odd
/// constant, still one key per lock) and no constant to load and mix in first.
pub(crate) const EMPTY_CHAIN: u64 = 0;

/// The chain key of a set `chain` followed by `id` (a multiplicative hash:
/// its top bits are well mixed).
///
/// The id is hashed as a held-set word holds it (shifted up by 8), so that
/// the fast path computes that once. The rotation is small on purpose.
/// Multiplying spreads a difference only upwards, so two sets whose first
/// locks have ids equal modulo a power of two give chains that differ only in
/// their high bits, and rotating moves those down. With a rotation of 23, ids
/// equal modulo 2^41 gave chains that differ only in bits 8..22, which the
/// next locks' ids cancel when they are a few thousand apart: a collision for
/// every such pair of sets. With a rotation of 8, those bits land in the low
/// byte, where shifted ids have none: they must all happen to be zero (1 in
/// 256), and the next locks' ids then differ by a multiple of 2^48. So no
/// pattern of ids makes sets of locks less than 2^32 ids apart collide (a
/// test checks ids equal modulo 2^16 to 2^55); otherwise keys collide only
/// when pseudo-random bits match, about 2^-64 per pair of sets.
///
/// The access is hashed too (in the low bits, as the word holds it): a held
/// set is checked per way of holding its locks, since an edge's gate and
/// its kind ([`crate::graph::dep`]) depend on them.
#[inline(always)]
pub(crate) fn extend_chain(chain: u64, id: LockId, access: Access) -> u64 {
    const { assert!(crate::id::LIMIT <= 1 << (64 - CHAIN_ROTATION)) };
    let id = id.as_u64() << ID_SHIFT | u64::from(access as u8);
    (chain.rotate_left(CHAIN_ROTATION) ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// See [`extend_chain`].
pub(crate) const CHAIN_ROTATION: u32 = 8;

/// [`extend_chain`] with the lock a [`Slot`]'s `word` holds, as it is held:
/// the id and access as the word has them (one mask, nothing decoded).
#[inline(always)]
fn extend_chain_word(chain: u64, word: u64) -> u64 {
    const AS_HASHED: u64 = !((1 << ID_SHIFT) - 1) | ACCESS;
    (chain.rotate_left(CHAIN_ROTATION) ^ word & AS_HASHED).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// How many entries live inline, without allocation; a thread holding more
/// keeps the rest in a vector.
pub(crate) const INLINE: usize = 64;

/// Where [`HeldLocks::salt_chains`] starts from: any constant.
pub(crate) const SET_SALT: u64 = 0x5E75_A17E_D00D_F00D;

/// Whether a `lock_all` set whose member at position `order[k]` is the
/// `k`-th in ascending id order was named in id order (its held entries,
/// taken in id order, are then in its own order already).
#[inline(always)]
pub(crate) fn in_id_order(order: &[u8]) -> bool {
    order.iter().enumerate().all(|(k, &p)| usize::from(p) == k)
}

/// The salt of a `lock_all` set of `members` (ascending ids): what
/// [`HeldLocks::salt_chains`] mixes into its chain keys. Never 0.
#[inline]
pub(crate) fn set_salt(members: &[LockId]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mix = |salt: u64, id: &LockId| (salt ^ id.as_u64()).wrapping_mul(K);
    members.iter().fold(SET_SALT, mix) | 1
}

/// Read for an overflow entry that is not there (never, while `len` is
/// right): matches no lock.
const VACANT: HeldLock = HeldLock {
    id: LockId::VACANT,
    origin: Origin::named(""),
    access: Access::Exclusive,
    site: Location::caller(),
    source: false,
    poison: PoisonMarks::NONE,
    chain: 0,
};

/// The entries past [`INLINE`]. Never dropped, so that a held set in a
/// thread-local needs no destructor and stays usable while other
/// thread-locals are torn down: its buffer is freed instead whenever the set
/// shrinks back to its inline entries (see [`HeldLocks::remove`]) and by
/// [`HeldLocks::free_overflow`]. A set dropped while it still holds more than
/// [`INLINE`] entries (a thread that ends with that many guards leaked) leaks
/// the buffer.
type Overflow = RefCell<ManuallyDrop<Vec<HeldLock>>>;

/// Where the id starts in a [`Slot`]'s word: below it are the source flag
/// ([`SOURCE`]) and the access (bits 0..3). A lock's id word has its id at
/// the same place (`crate::id`), so an acquisition turns one into the other
/// by clearing the low byte, and a release compares them the same way. Ids
/// are below 2^56 (`crate::id::LIMIT`): they fit.
const ID_SHIFT: u32 = 8;
/// The source flag in a [`Slot`]'s word.
const SOURCE: u64 = 1 << 7;
/// The access bits of a [`Slot`]'s word.
const ACCESS: u64 = 0b111;
/// [`PoisonMarks::reported`] in a [`Slot`]'s word.
const REPORTED: u64 = 1 << 3;
/// The marks whose release must go through `tracker`'s slow path: an entry
/// with one of them never matches the fast path's compare (no extra test).
const SLOW_RELEASE: u64 = REPORTED;
/// In a [`Slot`]'s word: the lock was marked as in the graph when it was
/// taken (see `LazyId::mark_in_graph`, for good once set), so being the
/// source of an edge needs no mark at its release: [`Slot::mark_source`]
/// leaves [`SOURCE`] clear, and the plainest release still applies. Set by
/// the slow paths only.
const IN_GRAPH_WHEN_TAKEN: u64 = 1 << 4;
/// The bits a release ignores when it compares a word with an id: the
/// access, and whether the lock was in the graph.
const IGNORED_ON_RELEASE: u64 = ACCESS | IN_GRAPH_WHEN_TAKEN;
const _: () = assert!(
    SLOW_RELEASE & IGNORED_ON_RELEASE == 0
        && SLOW_RELEASE & SOURCE == 0
        && SOURCE & IGNORED_ON_RELEASE == 0
        && (ACCESS | REPORTED) & IN_GRAPH_WHEN_TAKEN == 0
);

/// A [`Slot`]'s word.
#[inline(always)]
fn word(id: LockId, access: Access, source: bool) -> u64 {
    const { assert!(crate::id::LIMIT <= 1 << (64 - ID_SHIFT)) };
    id.as_u64() << ID_SHIFT | u64::from(access as u8) | if source { SOURCE } else { 0 }
}

/// One inline entry, a cell per field: an acquisition writes each field
/// straight into place (the id, access and source flag as one word), and a
/// release reads only that word.
pub(crate) struct Slot {
    /// The id (above [`ID_SHIFT`]), the source flag ([`SOURCE`]), the
    /// access ([`ACCESS`]) and the [`PoisonMarks`].
    word: Cell<u64>,
    origin: Cell<Origin>,
    site: Cell<&'static Location<'static>>,
    chain: Cell<u64>,
}

impl Slot {
    /// A slot past the end of the set (never read).
    const fn vacant() -> Slot {
        Slot {
            word: Cell::new(0),
            origin: Cell::new(Origin::named("")),
            site: Cell::new(Location::caller()),
            chain: Cell::new(0),
        }
    }

    #[inline(always)]
    pub(crate) fn get(&self) -> HeldLock {
        let word = self.word.get();
        HeldLock {
            id: self.id(),
            origin: self.origin.get(),
            access: Access::from_bits((word & ACCESS) as u8),
            site: self.site.get(),
            source: word & SOURCE != 0,
            poison: PoisonMarks::from_bits(word),
            chain: self.chain.get(),
        }
    }

    #[inline(always)]
    pub(crate) fn id(&self) -> LockId {
        LockId::from_u64(self.word.get() >> ID_SHIFT)
    }

    /// The held lock's id and how it is held (`access as u8`), from one word.
    #[inline(always)]
    pub(crate) fn id_and_access(&self) -> (LockId, u8) {
        (self.id(), self.access_bits())
    }

    /// Whether this entry holds `id` in a way that serialises the threads
    /// that hold it (see [`Access::serialises`]), from one word.
    #[inline(always)]
    pub(crate) fn holds_exclusively(&self, id: LockId) -> bool {
        let (held, how) = self.id_and_access();
        held == id && crate::graph::gate::serialises(how)
    }

    /// How the lock is held, as `access as u8` (undecoded).
    #[inline(always)]
    pub(crate) fn access_bits(&self) -> u8 {
        (self.word.get() & ACCESS) as u8
    }

    /// The held lock's origin.
    #[inline(always)]
    pub(crate) fn origin(&self) -> Origin {
        self.origin.get()
    }

    /// Moves the entry of `above` (the next slot) down into this one, whose
    /// entry is gone: its chain key made again on top of `below`, the key of
    /// the entry under this slot. Returns that key.
    #[inline(always)]
    fn take_from_above(&self, above: &Slot, below: u64) -> u64 {
        let word = above.word.get();
        let chain = extend_chain_word(below, word);
        self.word.set(word);
        self.origin.set(above.origin.get());
        self.site.set(above.site.get());
        self.chain.set(chain);
        chain
    }

    /// Marks the entry as the source of a graph edge, unless its lock was
    /// marked as in the graph already (its release then has nothing to mark).
    #[inline(always)]
    pub(crate) fn mark_source(&self) {
        let word = self.word.get();
        if word & IN_GRAPH_WHEN_TAKEN == 0 {
            self.word.set(word | SOURCE);
        }
    }

    /// Sets or clears `marks` (bits of the word).
    fn set_marks(&self, marks: u64, on: bool) {
        let word = self.word.get();
        self.word.set(if on { word | marks } else { word & !marks });
    }

    #[inline(always)]
    fn set(&self, entry: HeldLock) {
        self.word
            .set(word(entry.id, entry.access, entry.source) | entry.poison.bits());
        self.origin.set(entry.origin);
        self.site.set(entry.site);
        self.chain.set(entry.chain);
    }
}

/// The held set of one thread: the first [`INLINE`] entries in place (so that
/// the usual acquisition and release are a few plain stores), the rest in an
/// overflow vector. Interior mutability throughout: the set lives in a
/// thread-local and its methods take `&self`.
pub(crate) struct HeldLocks {
    len: Cell<usize>,
    /// While a `lock_all` set is being taken, what is mixed into the chain
    /// keys of the entries its members are taken under (see
    /// [`Self::salt_chains`]), else 0: the orders among a set's members make
    /// no class edges, so the chain keys of their acquisitions must not be
    /// those of the same locks taken one by one, which must make them.
    salt: Cell<u64>,
    /// How many entries the set had when the salt last reached its top one.
    salted_len: Cell<usize>,
    /// How many entries the set had when the `lock_all` set was entered.
    entered: Cell<usize>,
    inline: [Slot; INLINE],
    overflow: Overflow,
}

impl HeldLocks {
    pub(crate) const fn new() -> Self {
        HeldLocks {
            len: Cell::new(0),
            salt: Cell::new(0),
            salted_len: Cell::new(0),
            entered: Cell::new(0),
            inline: [const { Slot::vacant() }; INLINE],
            overflow: RefCell::new(ManuallyDrop::new(Vec::new())),
        }
    }

    /// Runs `f` on the entries past [`INLINE`].
    fn overflow<R>(&self, f: impl FnOnce(&mut Vec<HeldLock>) -> R) -> R {
        f(&mut self.overflow.borrow_mut())
    }

    /// The entry at `index` (>= [`INLINE`]).
    #[cold]
    #[inline(never)]
    fn overflow_entry(&self, index: usize) -> HeldLock {
        let entry = self.overflow(|entries| entries.get(index - INLINE).copied());
        entry.unwrap_or(VACANT)
    }

    /// Frees the buffer of the entries past [`INLINE`] (they are forgotten):
    /// for an owner about to drop the set, which would leak it.
    pub(crate) fn free_overflow(&self) {
        self.overflow(std::mem::take);
        self.len.set(self.len().min(INLINE));
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    /// The entry at `index` (< `len`).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> HeldLock {
        match self.inline.get(index) {
            Some(slot) => slot.get(),
            None => self.overflow_entry(index),
        }
    }

    fn set(&self, index: usize, entry: HeldLock) {
        match self.inline.get(index) {
            Some(slot) => slot.set(entry),
            None => {
                self.overflow(|entries| entries.get_mut(index - INLINE).map(|slot| *slot = entry));
            }
        }
    }

    /// The entries, oldest first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = HeldLock> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }

    /// The entries kept in place (the first [`INLINE`]).
    pub(crate) fn inline(&self) -> &[Slot] {
        &self.inline[..self.len().min(INLINE)]
    }

    /// The most recent entry.
    #[inline]
    pub(crate) fn last(&self) -> Option<HeldLock> {
        let len = self.len();
        (len != 0).then(|| self.get(len - 1))
    }

    /// The most recent entry's id and chain key (the set's key).
    #[inline(always)]
    pub(crate) fn last_key(&self) -> Option<(LockId, u64)> {
        let index = self.len().checked_sub(1)?;
        match self.inline.get(index) {
            Some(slot) => Some((slot.id(), slot.chain.get())),
            None => {
                let last = self.overflow_entry(index);
                Some((last.id, last.chain))
            }
        }
    }

    /// Whether a `lock_all` set is being taken (see [`Self::salt_chains`]).
    #[inline]
    pub(crate) fn taking_set(&self) -> bool {
        self.salt.get() != 0
    }

    /// A `lock_all` set of `members` is being taken: now, and from now on
    /// before each member is taken ([`Self::salt_top`]), a salt made of the
    /// members is mixed into the chain key of the top entry, so that the keys of the
    /// members' acquisitions are the set's own (one set's orders are not
    /// another's: a lock held outside a set is a source of class edges into
    /// it, and a member of another). The fast path is untouched.
    #[inline]
    pub(crate) fn salt_chains(&self, members: &[LockId]) {
        self.salt.set(set_salt(members));
        self.salted_len.set(0);
        self.entered.set(self.len());
        self.salt_top();
    }

    /// Before a member of the set being taken is taken: salts the top
    /// entry's chain key, once.
    #[inline]
    pub(crate) fn salt_top(&self) {
        let (salt, len) = (self.salt.get(), self.len());
        if salt != 0 && len > self.salted_len.get() {
            self.xor_chain(len - 1, salt);
            self.salted_len.set(len);
        }
    }

    /// The set is taken: the entry held before it gets its own chain key
    /// back, and the members get the keys of the same locks taken one by one
    /// (theirs were made from salted ones): a member let go and taken again
    /// under the rest is an acquisition of its own, with its class edges,
    /// and must not find the set's key. Returns the set's salt and the held
    /// set's length when it was entered, if the entries from there on are
    /// the set's (whatever of it was recorded).
    #[inline]
    pub(crate) fn unsalt_chains(&self) -> Option<(u64, usize)> {
        let (salt, entered, salted) = (self.salt.get(), self.entered.get(), self.salted_len.get());
        self.salt.set(0);
        self.salted_len.set(0);
        if salt != 0 && self.len() >= entered {
            if entered > 0 && salted >= entered {
                self.xor_chain(entered - 1, salt);
            }
            self.rechain(entered);
            return Some((salt, entered));
        }
        None
    }

    /// Puts the members of a `lock_all` set just taken, the top entries in
    /// ascending id order (`ids`; the one at place `k` is the member at
    /// position `order[k]` of the set), in the set's own order (the member
    /// at position `p` at place `p`), their chain keys made again (as the
    /// same locks taken one by one in that order). Guards bound as
    /// `let (a, b) = lock_all((&a, &b))` are dropped last first, so each
    /// release then takes the top entry, whichever order the set was named
    /// in. Returns the place of the first member, or `None`, changing
    /// nothing, if the top entries are not the members (some were not
    /// recorded) or are not all in place (past [`INLINE`]).
    pub(crate) fn name_order(&self, ids: &[LockId], order: &[u8]) -> Option<usize> {
        const MOST: usize = 8;
        let len = self.len();
        let from = len.checked_sub(order.len())?;
        let members = self.inline.get(from..len)?;
        // A permutation of the places (the sort made it one).
        let places = order.iter().fold(0u16, |bits, &p| bits | 1 << (p & 15));
        if order.len() > MOST || ids.len() != order.len() || places != (1 << order.len()) - 1 {
            return None;
        }
        if !members.iter().zip(ids).all(|(slot, &id)| slot.id() == id) {
            return None;
        }
        let mut moved = [(0, Origin::named(""), Location::caller()); MOST];
        for (slot, &position) in members.iter().zip(order) {
            let entry = (slot.word.get(), slot.origin.get(), slot.site.get());
            *moved.get_mut(usize::from(position))? = entry;
        }
        for (slot, &(word, origin, site)) in members.iter().zip(&moved) {
            slot.word.set(word);
            slot.origin.set(origin);
            slot.site.set(site);
        }
        self.rechain(from);
        Some(from)
    }

    /// Recomputes the chain keys of the entries from `from` on, each from
    /// the one before it.
    fn rechain(&self, from: usize) {
        let mut chain = from
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |i| self.get(i).chain);
        for index in from..self.len() {
            let entry = self.get(index);
            chain = extend_chain(chain, entry.id, entry.access);
            match self.inline.get(index) {
                Some(slot) => slot.chain.set(chain),
                None => self.overflow(|entries| entries[index - INLINE].chain = chain),
            }
        }
    }

    fn xor_chain(&self, index: usize, salt: u64) {
        match self.inline.get(index) {
            Some(slot) => slot.chain.set(slot.chain.get() ^ salt),
            None => self.overflow(|entries| {
                if let Some(entry) = entries.get_mut(index - INLINE) {
                    entry.chain ^= salt;
                }
            }),
        }
    }

    /// For the fast path: `None` if the set has more than [`INLINE`] entries,
    /// else the last entry's chain key (`None` if the set is empty).
    #[inline(always)]
    pub(crate) fn last_inline_chain(&self) -> Option<Option<u64>> {
        match self.len().checked_sub(1) {
            None => Some(None),
            Some(index) => Some(Some(self.inline.get(index)?.chain.get())),
        }
    }

    /// For the fast path: appends a new entry if it fits in place; returns
    /// whether it did.
    #[inline(always)]
    pub(crate) fn push_inline(
        &self,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
        chain: u64,
    ) -> bool {
        let len = self.len();
        let Some(slot) = self.inline.get(len) else {
            return false;
        };
        self.fill(slot, len, id, origin, access, site, chain);
        true
    }

    /// Writes a new entry into `slot`, the place at `len` (the set's length),
    /// and counts it.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)] // an entry's fields, written in place
    fn fill(
        &self,
        slot: &Slot,
        len: usize,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
        chain: u64,
    ) {
        slot.word.set(word(id, access, false));
        // Read from the lock here, right where it is stored: loaded earlier it
        // goes through the stack.
        slot.origin.set(origin());
        slot.site.set(site);
        slot.chain.set(chain);
        self.len.set(len + 1);
    }

    /// The fast path of an acquisition: appends an entry for `id` if it fits
    /// in place and, unless the set is empty, `known` says yes to the new
    /// chain key; returns whether it did (nothing changed if not).
    ///
    /// An empty set needs no check: no edge goes into a lock taken alone.
    #[inline(always)]
    pub(crate) fn push_if_known(
        &self,
        id: LockId,
        origin: impl FnOnce() -> Origin,
        access: Access,
        site: &'static Location<'static>,
        known: impl FnOnce(u64) -> bool,
    ) -> bool {
        let len = self.len();
        let chain = match len.checked_sub(1) {
            None => extend_chain(EMPTY_CHAIN, id, access),
            // One compare for both bounds: the last entry is in place and
            // there is room after it.
            Some(last) if last < INLINE - 1 => {
                match extend_chain(self.inline[last].chain.get(), id, access) {
                    chain if known(chain) => chain,
                    _ => return false,
                }
            }
            Some(_) => return false,
        };
        self.fill(&self.inline[len], len, id, origin, access, site, chain);
        true
    }

    /// For the fast path: removes the last entry if it is `id`, kept in place,
    /// not the source of an edge and with no [`SLOW_RELEASE`] mark; returns
    /// whether it did.
    #[inline(always)]
    pub(crate) fn pop_plain(&self, id: LockId) -> bool {
        let len = self.len();
        // An empty set wraps around past the inline entries: one compare.
        let plain = self
            .inline
            .get(len.wrapping_sub(1))
            .is_some_and(|last| last.word.get() & !IGNORED_ON_RELEASE == id.as_u64() << ID_SHIFT);
        if plain {
            self.len.set(len - 1);
        }
        plain
    }

    /// Removes the last entry if it is `id`, kept in place and with no
    /// [`SLOW_RELEASE`] mark; returns whether it was the source of an edge,
    /// or `None` (nothing done) if it was not that entry.
    #[inline]
    pub(crate) fn pop_last(&self, id: LockId) -> Option<bool> {
        let len = self.len();
        // An empty set wraps around past the inline entries: one compare.
        let word = self.inline.get(len.wrapping_sub(1))?.word.get();
        (word & !(IGNORED_ON_RELEASE | SOURCE) == id.as_u64() << ID_SHIFT).then(|| {
            self.len.set(len - 1);
            word & SOURCE != 0
        })
    }

    /// Removes the entry just below the last if it is `id`, both kept in
    /// place and that entry with no [`SLOW_RELEASE`] mark: the last entry
    /// moves down into its place, with its chain key made again. Returns
    /// whether the removed entry was the source of an edge, or `None`
    /// (nothing done).
    ///
    /// The release of the first guard of a pair bound against the order it
    /// was taken in: `let (a, b) = (x.lock(), y.lock()); drop(a)`.
    #[inline]
    pub(crate) fn pop_below_last(&self, id: LockId) -> Option<bool> {
        let len = self.len();
        // An empty set or a set of one wraps around past the inline entries.
        let last = self.inline.get(len.wrapping_sub(1))?;
        let below = self.inline.get(len.wrapping_sub(2))?;
        let word = below.word.get();
        if word & !(IGNORED_ON_RELEASE | SOURCE) != id.as_u64() << ID_SHIFT {
            return None;
        }
        // (`get` throughout: nothing here can panic, see `tracker::release`.)
        let under = self.inline.get(len.wrapping_sub(3));
        below.take_from_above(last, under.map_or(EMPTY_CHAIN, |under| under.chain.get()));
        self.len.set(len - 1);
        Some(word & SOURCE != 0)
    }

    /// The chain key of the whole held set (a hash of the held ids, in order).
    #[inline]
    pub(crate) fn chain(&self) -> u64 {
        self.last_key().map_or(EMPTY_CHAIN, |(_, chain)| chain)
    }

    #[cold]
    #[inline(never)]
    fn push_overflow(&self, lock: HeldLock) -> bool {
        self.overflow(|entries| entries.push(lock));
        self.len.set(self.len() + 1);
        true
    }

    /// Appends `lock` (its chain key is computed here); returns whether it
    /// was recorded (always: the signature leaves room for a bounded set).
    #[inline(always)]
    pub(crate) fn push(&self, lock: HeldLock) -> bool {
        let chain = extend_chain(self.chain(), lock.id, lock.access);
        let len = self.len();
        let Some(slot) = self.inline.get(len) else {
            return self.push_overflow(HeldLock { chain, ..lock });
        };
        slot.set(HeldLock { chain, ..lock });
        self.len.set(len + 1);
        true
    }

    /// Notes that the most recent entry's lock was marked as in the graph
    /// when it was taken (see [`IN_GRAPH_WHEN_TAKEN`]); an entry past the
    /// inline ones is left as it is.
    pub(crate) fn mark_last_in_graph(&self) {
        if let Some(slot) = self.inline.get(self.len().wrapping_sub(1)) {
            slot.word.set(slot.word.get() | IN_GRAPH_WHEN_TAKEN);
        }
    }

    /// Removes the most recent entry for `id`, if any; returns it and where it was.
    pub(crate) fn remove(&self, id: LockId) -> Option<(usize, HeldLock)> {
        // The usual case: the most recent entry, kept in place.
        let last = self.len().wrapping_sub(1);
        if let Some(slot) = self.inline.get(last)
            && slot.id() == id
        {
            self.len.set(last);
            return Some((last, slot.get()));
        }
        if let Some(slots) = self.inline.get(..self.len()) {
            return self.remove_in_place(slots, id);
        }
        let index = self.position(id)?;
        let removed = self.get(index);
        let mut chain = index
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |i| self.get(i).chain);
        // Shift the later entries down one place, recomputing their chain keys.
        for later in index + 1..self.len() {
            let mut entry = self.get(later);
            chain = extend_chain(chain, entry.id, entry.access);
            entry.chain = chain;
            self.set(later - 1, entry);
        }
        let len = self.len() - 1;
        if len >= INLINE {
            self.overflow(|entries| match len == INLINE {
                true => drop(std::mem::take(entries)), // back to inline: free the buffer
                false => drop(entries.pop()),
            });
        }
        self.len.set(len);
        Some((index, removed))
    }

    /// [`Self::remove`] when every entry is in place (`slots`, the whole
    /// set): a lock let go out of order (a `Vec` of guards is dropped first
    /// to last). Slot to slot, each later entry's chain key made again.
    fn remove_in_place(&self, slots: &[Slot], id: LockId) -> Option<(usize, HeldLock)> {
        let index = slots.iter().rposition(|slot| slot.id() == id)?;
        let removed = slots[index].get();
        let mut chain = index
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |below| slots[below].chain.get());
        for pair in slots[index..].windows(2) {
            chain = pair[0].take_from_above(&pair[1], chain);
        }
        self.len.set(slots.len() - 1);
        Some((index, removed))
    }

    /// Whether `id` is held in a way that serialises the threads that hold
    /// it (see [`Access::serialises`]).
    pub(crate) fn holds_exclusively(&self, id: LockId) -> bool {
        let mut held = self.ids_and_access();
        held.any(|(held, how)| held == id && crate::graph::gate::serialises(how))
    }

    /// Where the most recent entry for `id` is.
    fn position(&self, id: LockId) -> Option<usize> {
        let mut ids = self.ids().enumerate().rev();
        ids.find(|&(_, held)| held == id).map(|(index, _)| index)
    }

    /// The most recent entry for `id`.
    #[inline]
    pub(crate) fn find(&self, id: LockId) -> Option<HeldLock> {
        self.position(id).map(|index| self.get(index))
    }

    /// The ids of the held locks and how each is held (`access as u8`),
    /// oldest first (one word read per inline entry).
    pub(crate) fn ids_and_access(&self) -> impl Iterator<Item = (LockId, u8)> + '_ {
        (0..self.len()).map(|index| match self.inline.get(index) {
            Some(slot) => (slot.id(), slot.access_bits()),
            None => {
                let entry = self.overflow_entry(index);
                (entry.id, entry.access as u8)
            }
        })
    }

    /// The ids held, oldest first (reads one word per inline entry).
    #[inline]
    pub(crate) fn ids(&self) -> impl DoubleEndedIterator<Item = LockId> + ExactSizeIterator + '_ {
        (0..self.len()).map(|index| match self.inline.get(index) {
            Some(slot) => slot.id(),
            None => self.overflow_entry(index).id,
        })
    }

    /// Changes how the most recent entry for `id` is held (upgrade, downgrade).
    /// Returns the index of the changed entry.
    pub(crate) fn set_access(&self, id: LockId, access: Access) -> Option<usize> {
        let index = self.position(id)?;
        let mut chain = index
            .checked_sub(1)
            .map_or(EMPTY_CHAIN, |i| self.get(i).chain);
        // The chain keys from here on hash the new access.
        for at in index..self.len() {
            let mut entry = self.get(at);
            if at == index {
                entry.access = access;
            }
            chain = extend_chain(chain, entry.id, entry.access);
            entry.chain = chain;
            self.set(at, entry);
        }
        Some(index)
    }

    /// Marks every held entry of a lock that is a `source` in `sources` as the
    /// source of a graph edge.
    pub(crate) fn mark_sources(&self, sources: &[HeldLock]) {
        let marked = |id: LockId| sources.iter().any(|s| s.source && s.id == id);
        // In place in the inline entries: one word each, not the whole entry.
        for slot in self.inline() {
            if marked(slot.id()) {
                slot.mark_source();
            }
        }
        for index in INLINE..self.len() {
            let held = self.get(index);
            if marked(held.id) {
                self.set(
                    index,
                    HeldLock {
                        source: true,
                        ..held
                    },
                );
            }
        }
    }

    /// Sets (or clears) [`PoisonMarks::reported`] on every entry.
    pub(crate) fn mark_reported(&self, on: bool) {
        self.inline()
            .iter()
            .for_each(|slot| slot.set_marks(REPORTED, on));
        if self.len() > INLINE {
            self.overflow(|entries| entries.iter_mut().for_each(|e| e.poison.reported = on));
        }
    }

    /// Changes the poison marks of the most recent entry for `id`.
    pub(crate) fn mark_poison(&self, id: LockId, change: impl FnOnce(&mut PoisonMarks)) {
        if let Some(index) = self.position(id) {
            let mut entry = self.get(index);
            change(&mut entry.poison);
            self.set(index, entry);
        }
    }

    /// The poison marks of the most recent entry for `id`.
    pub(crate) fn marks(&self, id: LockId) -> Option<PoisonMarks> {
        self.position(id).map(|index| self.get(index).poison)
    }

    /// The held lock with the highest id that is not one of `except`.
    pub(crate) fn highest_outside(&self, except: &[LockId]) -> Option<HeldLock> {
        let others = self.iter().filter(|held| !except.contains(&held.id));
        others.max_by_key(|held| held.id)
    }

    /// Whether a lock with an id above `floor` that is not one of `except`
    /// is held (reads one word per entry).
    #[inline]
    pub(crate) fn any_above_outside(&self, floor: LockId, except: &[LockId]) -> bool {
        self.ids().any(|id| id > floor && !except.contains(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::LazyId;

    /// Every way of holding a lock.
    const ACCESSES: [Access; 5] = [
        Access::Exclusive,
        Access::Read,
        Access::ReadRecursive,
        Access::Upgradable,
        Access::Reentrant,
    ];

    fn held(id: LockId) -> HeldLock {
        HeldLock {
            id,
            origin: Origin::named("test"),
            access: Access::Exclusive,
            site: Location::caller(),
            source: false,
            poison: PoisonMarks::NONE,
            chain: 0,
        }
    }

    /// The chain key made from a slot's word is the one made from its id
    /// and access, whatever marks the word carries.
    #[test]
    fn a_word_extends_a_chain_as_its_id_and_access_do() {
        let accesses = ACCESSES;
        let marks = [0, SOURCE, REPORTED, IN_GRAPH_WHEN_TAKEN, SOURCE | REPORTED];
        for id in [1, 0x1234, (1 << 55) + 7].map(LockId::from_u64) {
            for access in accesses {
                for mark in marks {
                    let word = word(id, access, false) | mark;
                    let chain = 0xDEAD_BEEF_u64.wrapping_mul(id.as_u64());
                    assert_eq!(
                        extend_chain_word(chain, word),
                        extend_chain(chain, id, access),
                        "{id:?} {access:?} {mark:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn out_of_order_release_keeps_the_rest_in_order() {
        let ids: Vec<LockId> = (0..3).map(|_| LazyId::new().get()).collect();
        let set = HeldLocks::new();
        ids.iter().for_each(|&id| assert!(set.push(held(id))));
        assert_eq!(
            set.remove(ids[0]).map(|(at, h)| (at, h.id)),
            Some((0, ids[0]))
        );
        let left: Vec<LockId> = set.iter().map(|h| h.id).collect();
        assert_eq!(left, [ids[1], ids[2]]);
        assert!(set.remove(ids[0]).is_none());
        assert_eq!(set.highest_outside(&[ids[2]]).map(|h| h.id), Some(ids[1]));
    }

    #[test]
    fn only_the_last_entry_pops_and_says_whether_it_was_a_source() {
        let ids: Vec<LockId> = (0..2).map(|_| LazyId::new().get()).collect();
        let set = HeldLocks::new();
        assert_eq!(set.pop_last(ids[0]), None, "an empty set pops nothing");
        assert!(set.push(HeldLock {
            source: true,
            ..held(ids[0])
        }));
        assert!(set.push(held(ids[1])));
        assert_eq!(set.pop_last(ids[0]), None, "not the last entry");
        assert_eq!(set.len(), 2);
        assert_eq!(set.pop_last(ids[1]), Some(false));
        assert_eq!(set.pop_last(ids[0]), Some(true));
        assert_eq!(set.len(), 0);
    }

    /// The entry below the last goes, the last moves down into its place
    /// (kept whole, with the chain key of the set it is in now), and the
    /// release says whether the entry removed was a source.
    #[test]
    fn the_entry_below_the_last_pops_and_the_last_moves_down() {
        let ids: Vec<LockId> = (0..3).map(|_| LazyId::new().get()).collect();
        let chain_of = |entries: &[HeldLock]| {
            let set = HeldLocks::new();
            entries.iter().for_each(|&entry| assert!(set.push(entry)));
            set.chain()
        };
        let (a, b) = (held(ids[0]), held(ids[1]));
        let (a, c) = (
            HeldLock { source: true, ..a },
            HeldLock {
                access: Access::Read,
                origin: Origin::named("c"),
                ..held(ids[2])
            },
        );
        let set = HeldLocks::new();
        assert_eq!(set.pop_below_last(ids[0]), None, "an empty set");
        [a, b, c].iter().for_each(|&entry| assert!(set.push(entry)));
        assert_eq!(set.pop_below_last(ids[2]), None, "the last entry");
        assert_eq!(set.pop_below_last(ids[0]), None, "not below the last");
        assert_eq!(set.pop_below_last(ids[1]), Some(false));
        assert_eq!(set.ids().collect::<Vec<_>>(), [ids[0], ids[2]]);
        let moved = set.get(1);
        assert_eq!(
            (moved.access, moved.origin, moved.site),
            (c.access, c.origin, c.site)
        );
        assert_eq!(set.chain(), chain_of(&[a, c]));
        assert_eq!(set.pop_below_last(ids[0]), Some(true));
        assert_eq!(set.chain(), chain_of(&[c]));
        assert_eq!(set.pop_below_last(ids[2]), None, "a set of one");
        // An entry that must be released the slow way stays.
        assert!(set.push(b));
        set.mark_poison(ids[2], |marks| marks.reported = true);
        assert_eq!(set.pop_below_last(ids[2]), None);
        assert_eq!(set.len(), 2);
    }

    /// An entry whose lock was in the graph when taken is never marked a
    /// source (its release has nothing to mark), and still pops plainly.
    #[test]
    fn a_lock_in_the_graph_when_taken_is_not_marked_a_source() {
        let ids: Vec<LockId> = (0..2).map(|_| LazyId::new().get()).collect();
        let set = HeldLocks::new();
        for &id in &ids {
            assert!(set.push(held(id)));
        }
        set.mark_last_in_graph();
        set.inline()[0].mark_source();
        set.inline()[1].mark_source();
        assert!(set.get(0).source, "not in the graph when taken: marked");
        assert!(!set.get(1).source, "in the graph when taken: not marked");
        assert!(set.pop_plain(ids[1]));
        assert!(!set.pop_plain(ids[0]), "a source does not pop plainly");
        assert_eq!(set.pop_last(ids[0]), Some(true));
    }

    #[test]
    fn a_reported_mark_keeps_the_entry_from_the_fast_releases() {
        let ids: Vec<LockId> = (0..2).map(|_| LazyId::new().get()).collect();
        let set = HeldLocks::new();
        ids.iter().for_each(|&id| assert!(set.push(held(id))));
        assert_eq!(set.marks(ids[1]), Some(PoisonMarks::NONE));
        set.mark_reported(true);
        assert!(set.iter().all(|held| held.poison.reported));
        assert_eq!(set.marks(ids[0]), Some(PoisonMarks { reported: true }));
        assert!(!set.pop_plain(ids[1]) && set.pop_last(ids[1]).is_none());
        set.mark_reported(false);
        assert!(set.pop_plain(ids[1]));
        assert_eq!(set.marks(ids[1]), None, "released");
        set.mark_poison(ids[0], |marks| marks.reported = true);
        assert!(!set.pop_plain(ids[0]) && set.pop_last(ids[0]).is_none());
        let (_, removed) = set.remove(ids[0]).unwrap();
        assert!(removed.poison.reported);
    }

    #[test]
    fn entries_keep_ids_from_all_over_the_id_space() {
        let limit = crate::id::LIMIT;
        let ids = [
            1,
            (1 << 32) - 1,
            1 << 32,
            (1 << 40) + 5,
            limit - 2,
            limit - 1,
        ];
        let ids = ids.map(LockId::from_u64);
        let accesses = ACCESSES;
        let how = |k: usize| (accesses[k % accesses.len()], k % 2 == 1);
        let set = HeldLocks::new();
        for (k, &id) in ids.iter().enumerate() {
            let (access, source) = how(k);
            assert!(set.push(HeldLock {
                access,
                source,
                ..held(id)
            }));
        }
        for (k, entry) in set.iter().enumerate() {
            assert_eq!((entry.id, (entry.access, entry.source)), (ids[k], how(k)));
        }
        assert_eq!(set.ids().collect::<Vec<_>>(), ids);
        // An id that differs only in its high bits is another lock.
        let (last, below) = (ids[5], ids[4]);
        let other = LockId::from_u64(last.as_u64() ^ 1 << 50);
        assert!(!set.pop_plain(other) && set.pop_last(other).is_none());
        assert!(set.find(other).is_none());
        // The last entry is a source: only `pop_last` takes it, and says so.
        assert!(!set.pop_plain(last));
        assert_eq!(set.pop_last(last), Some(true));
        assert!(set.pop_plain(below));
        assert_eq!(
            set.remove(ids[1]).map(|(at, h)| (at, h.id)),
            Some((1, ids[1]))
        );
        assert_eq!(set.ids().collect::<Vec<_>>(), [ids[0], ids[2], ids[3]]);
        set.mark_sources(&[HeldLock {
            source: true,
            ..held(ids[0])
        }]);
        assert!(set.get(0).source && set.get(0).id == ids[0]);
        assert!(!set.get(1).source && set.get(1).access == how(2).0);
    }

    #[test]
    fn the_chain_key_follows_the_held_ids_in_order() {
        let ids: Vec<LockId> = (0..3).map(|_| LazyId::new().get()).collect();
        let chain_of = |order: &[usize]| {
            let set = HeldLocks::new();
            order.iter().for_each(|&i| assert!(set.push(held(ids[i]))));
            set
        };
        let set = chain_of(&[0, 1, 2]);
        assert_ne!(set.chain(), chain_of(&[0, 2, 1]).chain());
        set.remove(ids[1]);
        assert_eq!(set.chain(), chain_of(&[0, 2]).chain());
        set.remove(ids[2]);
        assert_eq!(set.chain(), chain_of(&[0]).chain());
        set.remove(ids[0]);
        assert_eq!(set.chain(), HeldLocks::new().chain());
    }

    #[test]
    fn a_set_past_its_inline_entries_owns_its_overflow_and_frees_it() {
        let ids: Vec<LockId> = (0..INLINE + 10).map(|_| LazyId::new().get()).collect();
        let (one, two) = (HeldLocks::new(), HeldLocks::new());
        ids.iter().for_each(|&id| assert!(one.push(held(id))));
        ids[..INLINE + 1]
            .iter()
            .for_each(|&id| assert!(two.push(held(id))));
        // Each set has its own overflow entries.
        assert_eq!(one.len(), INLINE + 10);
        assert_eq!(two.len(), INLINE + 1);
        assert_eq!(one.last().map(|h| h.id), ids.last().copied());
        assert_eq!(two.last().map(|h| h.id), Some(ids[INLINE]));
        // An entry inline goes out of order: the overflow entries move down.
        assert!(one.remove(ids[3]).is_some());
        let left: Vec<LockId> = one.ids().collect();
        let expected: Vec<LockId> = ids.iter().copied().filter(|&id| id != ids[3]).collect();
        assert_eq!(left, expected);
        assert_eq!(one.chain(), {
            let again = HeldLocks::new();
            expected
                .iter()
                .for_each(|&id| assert!(again.push(held(id))));
            let chain = again.chain();
            again.free_overflow();
            chain
        });
        // Back to its inline entries: the buffer is freed.
        for &id in expected[INLINE..].iter().rev() {
            assert!(one.remove(id).is_some());
        }
        assert_eq!(one.len(), INLINE);
        assert_eq!(one.overflow.borrow().capacity(), 0);
        two.free_overflow();
        assert_eq!(two.len(), INLINE);
        assert_eq!(two.overflow.borrow().capacity(), 0);
    }
}
