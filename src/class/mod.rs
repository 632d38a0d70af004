//! Lock classes: locks made at one place (or given one name) are one class,
//! and the order of classes is checked across instances.
//!
//! Every instance edge `H -> L` also makes the class edge
//! `class(H) -> class(L)` (unless both are one class: same-class nesting,
//! such as two accounts or hand-over-hand list nodes, is left to the
//! instance graph, `lock_all` and `Mode::Ascending`). A new class edge that
//! closes a cycle of classes is a [`ClassCycle`](crate::report::ClassCycle):
//! two threads running the two orders on shared objects can deadlock, even
//! though the objects of this run were different (each test builds its own).
//!
//! The class graph ([`graph`]) is process-wide, behind one raw lock, and
//! bounded by the number of creation sites and names, not of locks. A
//! thread remembers the class edges it knows to be in it ([`ClassKey`] pairs
//! in the thread's caches), so that only an instance edge between classes
//! it has not seen together goes to the graph.

pub(crate) mod graph;

use std::fmt;
use std::panic::Location;

use crate::graph::dep::Kind;
use crate::meta::{LockMeta, Origin};

/// The class of a lock: where it was created (the `#[track_caller]`
/// location of `new`, also for `const` locks in `static`s), or the name given
/// to `named` (every lock with that name is of one class).
///
/// lockgraph orders classes as well as locks (see
/// [`ClassCycle`](crate::report::ClassCycle)): "`items` then `log`" in one
/// test and "`log` then `items`" in another is reported even when each test
/// builds its own locks.
///
/// # Choosing the class
///
/// A lock made inside a helper is of the helper's class: every lock that
/// `fn new_queue() -> Mutex<..>` makes is one class, whatever it is used
/// for. Give locks that play different roles their own class by making them
/// where they are used (a `#[track_caller]` constructor passes its caller's
/// location on to `new`), or by name with `named`:
///
/// ```
/// use lockgraph::Mutex;
///
/// struct Queue {
///     items: Mutex<Vec<u32>>,
/// }
///
/// impl Queue {
///     #[track_caller] // each caller's queue is a class of its own
///     fn new() -> Self {
///         Queue { items: Mutex::new(Vec::new()) }
///     }
/// }
///
/// let (jobs, results) = (Queue::new(), Queue::new());
/// assert_ne!(jobs.items.class(), results.items.class());
///
/// // By name: one class for every lock named "cache".
/// let (a, b) = (Mutex::named("cache", 1), Mutex::named("cache", 2));
/// assert_eq!(a.class(), b.class());
/// assert_eq!(a.class().to_string(), "cache");
/// ```
///
/// Or choose it explicitly, as lockdep's class keys do: a constructor that
/// makes locks for its callers takes a `LockClass` ([`LockClass::named`],
/// [`LockClass::here`]) and makes them with `with_class`. The same way,
/// locks of one type nested at known levels (a parent node's lock, then a
/// child's: lockdep's subclasses) can be given a class per level, so that
/// their order is checked instead of left to the instances:
///
/// ```
/// use lockgraph::{LockClass, Mutex};
///
/// const PARENT: LockClass = LockClass::named("node.parent");
/// const CHILD: LockClass = LockClass::named("node.child");
/// let (dir, file) = (Mutex::with_class(PARENT, "dir"), Mutex::with_class(CHILD, "file"));
/// drop((dir.lock(), file.lock())); // node.parent -> node.child
/// assert_ne!(dir.class(), file.class());
/// ```
///
/// A constructor passed as a function (`(0..n).map(Mutex::new)`) gets, from
/// Rust, a caller inside the standard library, the same for every such lock
/// of the program: `class()` returns that place, and these locks make no
/// class edges (as a class it would join unrelated collections). A closure
/// gives them your line:
///
/// ```
/// use lockgraph::Mutex;
///
/// let through_fn: Vec<Mutex<u32>> = (0..2).map(Mutex::new).collect();
/// let per_line: Vec<Mutex<u32>> = (0..2).map(|v| Mutex::new(v)).collect();
/// assert!(per_line[0].class().to_string().contains(file!()));
/// assert!(!through_fn[0].class().to_string().contains(file!()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockClass(Class);

/// Compared and hashed by value: a site by file, line and column, a name by
/// its text (the same `#[track_caller]` location or literal can have more
/// than one address).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Site(&'static Location<'static>),
    Name(&'static str),
}

impl LockClass {
    /// The class of a lock described by `origin`.
    pub(crate) fn of(origin: Origin) -> LockClass {
        match (origin.name(), origin.site()) {
            (Some(name), _) => LockClass(Class::Name(name)),
            (None, Some(site)) => LockClass(Class::Site(site)),
            (None, None) => unreachable!("an origin is a name or a site"),
        }
    }

    /// The class of every lock named `name` (its first 126 bytes, as a lock
    /// keeps them): for [`Mutex::with_class`](crate::Mutex::with_class) and
    /// its like, and for comparing with [`class()`](crate::Mutex::class).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{LockClass, Mutex};
    ///
    /// static QUEUES: LockClass = LockClass::named("queues");
    /// let m = Mutex::with_class(QUEUES, ());
    /// assert_eq!(m.class(), QUEUES);
    /// assert_eq!(Mutex::named("queues", ()).class(), QUEUES);
    /// ```
    pub const fn named(name: &'static str) -> LockClass {
        LockClass(Class::Name(crate::trusted::cut_name(name)))
    }

    /// The class of the locks created where this is called: one class for
    /// every lock made with it, wherever that is (as if they were all made
    /// with `new` at this line).
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::{LockClass, Mutex};
    ///
    /// let shard = LockClass::here();
    /// let shards: Vec<Mutex<u32>> = (0..4).map(|_| Mutex::with_class(shard, 0)).collect();
    /// assert!(shards.iter().all(|m| m.class() == shard));
    /// assert_eq!(shard.site().map(|s| s.line()), Some(line!() - 3));
    /// ```
    #[track_caller]
    pub const fn here() -> LockClass {
        LockClass(Class::Site(Location::caller()))
    }

    /// What a lock of this class knows about itself: the class's name, or
    /// the class's site as its creation site.
    pub(crate) const fn meta(self) -> LockMeta {
        match self.0 {
            Class::Name(name) => LockMeta::named(name),
            Class::Site(site) => LockMeta::created(site),
        }
    }

    /// The name shared by the class's locks, if they were made with `named`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::Mutex::named("accounts", ());
    /// assert_eq!(m.class().name(), Some("accounts"));
    /// assert_eq!(lockgraph::Mutex::new(()).class().name(), None);
    /// ```
    pub const fn name(&self) -> Option<&'static str> {
        match self.0 {
            Class::Name(name) => Some(name),
            Class::Site(_) => None,
        }
    }

    /// Where the class's locks are created, if they were made with `new`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lockgraph::Mutex::new(());
    /// assert_eq!(m.class().site().unwrap().line(), line!() - 1);
    /// ```
    pub const fn site(&self) -> Option<&'static Location<'static>> {
        match self.0 {
            Class::Site(site) => Some(site),
            Class::Name(_) => None,
        }
    }
}

/// The name, or the creation site as `file:line:column`.
impl fmt::Display for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Class::Name(name) => f.write_str(name),
            Class::Site(site) => write!(f, "{site}"),
        }
    }
}

impl fmt::Debug for LockClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockClass({self})")
    }
}

/// A class as a thread's cache keys it: the origin's address and bits, so
/// that the lookup compares words, not file names. Two keys of one class
/// (one site at two addresses) only cost a second trip to the graph.
pub(crate) type ClassKey = (usize, u8);

/// The cache key of a class edge `from -> to` made as `kind`, never 0.
pub(crate) fn edge_key(from: Origin, to: Origin, kind: Kind) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let word = |(addr, bits): ClassKey| (addr as u64).wrapping_mul(K) ^ u64::from(bits);
    let to = word(to.key()) ^ u64::from(kind.bits()) << 61;
    (word(from.key()).rotate_left(17) ^ to).wrapping_mul(K) | 1
}

/// The cache key of a class edge (`edge_key`) made under the held set whose
/// chain key is `chain`: a gated class edge is known under the held sets
/// that already narrowed its gate, not under others. Never 0.
pub(crate) fn under(edge_key: u64, chain: u64) -> u64 {
    (edge_key ^ chain.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
}
