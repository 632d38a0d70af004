//! The API shared by the instrumented cells, written once: the once-cell API
//! (crate-root `OnceCell`, `stdsync::OnceLock`) and the lazy-value API
//! (crate-root `Lazy`, `stdsync::LazyLock`). Each cell is the underlying
//! crate's cell plus a [`LockHeader`](crate::acquire::LockHeader); the
//! initialisation paths go through [`as_held`](super::init::as_held).

/// A once cell `$Cell<T>` over `$Inner<T>` (imported under that name by the
/// caller); `$path` is its public path, used in the doc examples.
macro_rules! once_cell_type {
    ($(#[$doc:meta])* $Cell:ident over $Inner:ident, $path:literal) => {
        $(#[$doc])*
        pub struct $Cell<T> {
            header: $crate::acquire::LockHeader,
            inner: $Inner<T>,
        }

        impl<T> $Cell<T> {
            /// Creates an empty cell; reports name it by this call's `file:line:column`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::<u8>::new();
            /// assert!(cell.get().is_none());
            /// ```
            #[track_caller]
            pub const fn new() -> $Cell<T> {
                $Cell {
                    header: $crate::lock::init::created_header(std::panic::Location::caller()),
                    inner: $Inner::new(),
                }
            }

            /// Creates an empty cell that reports call `name` (its first 126 bytes,
            /// cut at a character boundary, if it is longer).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// static CACHE: Cell<Vec<u8>> = Cell::named("cache");
            /// assert!(CACHE.get_or_init(Vec::new).is_empty());
            /// ```
            pub const fn named(name: &'static str) -> $Cell<T> {
                $Cell {
                    header: $crate::lock::init::named_header(name),
                    inner: $Inner::new(),
                }
            }

            /// The value, if initialised (never blocks).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::new();
            /// assert_eq!(cell.get(), None);
            /// cell.set(3).unwrap();
            /// assert_eq!(cell.get(), Some(&3));
            /// ```
            pub fn get(&self) -> Option<&T> {
                self.inner.get()
            }

            /// A mutable reference to the value, if initialised.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let mut cell = Cell::from(1);
            /// *cell.get_mut().unwrap() += 1;
            /// assert_eq!(cell.get(), Some(&2));
            /// ```
            pub fn get_mut(&mut self) -> Option<&mut T> {
                self.inner.get_mut()
            }

            /// Blocks until the cell is initialised, and returns the value.
            ///
            /// # Lock order
            /// As [`get_or_init`](Self::get_or_init).
            ///
            /// # Panics
            /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if called
            /// from the cell's own initialiser.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::new();
            /// std::thread::scope(|s| {
            ///     s.spawn(|| cell.set("ready").unwrap());
            ///     assert_eq!(*cell.wait(), "ready");
            /// });
            /// ```
            #[track_caller]
            pub fn wait(&self) -> &T {
                match self.inner.get() {
                    Some(value) => value,
                    None => $crate::lock::init::as_held(&self.header, std::panic::Location::caller(), || self.inner.wait()),
                }
            }

            /// Initialises the cell with `value`, or gives it back as `Err` if
            /// the cell was already initialised. Blocks while another thread
            /// initialises it.
            ///
            /// # Lock order
            /// As [`get_or_init`](Self::get_or_init).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::new();
            /// assert_eq!(cell.set(1), Ok(()));
            /// assert_eq!(cell.set(2), Err(2));
            /// ```
            #[track_caller]
            pub fn set(&self, value: T) -> Result<(), T> {
                match self.inner.get() {
                    Some(_) => Err(value),
                    None => $crate::lock::init::as_held(&self.header, std::panic::Location::caller(), || self.inner.set(value)),
                }
            }

            /// The value, initialising it with `f` if the cell is empty. Of
            /// several threads racing here, one runs its `f`; the others wait
            /// for its value. If `f` panics, the panic propagates and the cell
            /// stays empty.
            ///
            /// # Lock order
            /// If the cell is not initialised yet: records `H -> cell` for every
            /// held lock `H` (checked before running or waiting for the
            /// initialiser), and the cell is held while `f` runs, so the locks
            /// `f` takes get `cell -> L` edges. An initialised cell records nothing.
            ///
            /// # Panics
            /// Under `Panic`, on a cycle; under `Panic` and `Warn`, if `f`
            /// initialises this same cell (which would otherwise deadlock).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::new();
            /// assert_eq!(*cell.get_or_init(|| 1), 1);
            /// assert_eq!(*cell.get_or_init(|| 2), 1);
            /// ```
            ///
            /// A re-entrant initialisation is reported instead of hanging:
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            /// use std::panic::{AssertUnwindSafe, catch_unwind};
            ///
            /// let cell = Cell::<u32>::named("cell");
            /// let again = || *cell.get_or_init(|| *cell.get_or_init(|| 1) + 1);
            /// let caught = catch_unwind(AssertUnwindSafe(again)); // panics: self-deadlock
            /// let report = *caught.unwrap_err().downcast::<String>().unwrap();
            /// assert!(report.starts_with("lockgraph: self-deadlock"));
            /// ```
            #[track_caller]
            pub fn get_or_init<F>(&self, f: F) -> &T
            where
                F: FnOnce() -> T,
            {
                match self.inner.get() {
                    Some(value) => value,
                    None => $crate::lock::init::as_held(&self.header, std::panic::Location::caller(), || self.inner.get_or_init(f)),
                }
            }

            /// Takes the value out, leaving the cell empty.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let mut cell = Cell::from(5);
            /// assert_eq!(cell.take(), Some(5));
            /// assert_eq!(cell.get(), None);
            /// ```
            pub fn take(&mut self) -> Option<T> {
                self.inner.take()
            }

            /// Consumes the cell and returns the value, if initialised.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// assert_eq!(Cell::from("x").into_inner(), Some("x"));
            /// ```
            pub fn into_inner(self) -> Option<T> {
                let $Cell { header, inner } = self;
                drop(header);
                inner.into_inner()
            }

            /// This cell's id in the lock-order graph (assigned now if never used).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Cell;")]
            ///
            /// let cell = Cell::<()>::new();
            /// assert_eq!(cell.id(), cell.id());
            /// ```
            pub fn id(&self) -> $crate::LockId {
                self.header.id()
            }

            /// This cell's class: its creation site, or its name (see
            /// [`LockClass`]($crate::LockClass)).
            pub fn class(&self) -> $crate::LockClass {
                $crate::LockClass::of(self.header.origin())
            }
        }

        impl<T> Default for $Cell<T> {
            #[track_caller]
            fn default() -> Self {
                $Cell::new()
            }
        }

        impl<T> From<T> for $Cell<T> {
            #[track_caller]
            fn from(value: T) -> Self {
                $Cell {
                    header: $crate::lock::init::created_header(std::panic::Location::caller()),
                    inner: $Inner::from(value),
                }
            }
        }

        impl<T: Clone> Clone for $Cell<T> {
            fn clone(&self) -> Self {
                $Cell {
                    header: $crate::lock::init::copy_header(&self.header),
                    inner: self.inner.clone(),
                }
            }
        }

        impl<T: PartialEq> PartialEq for $Cell<T> {
            fn eq(&self, other: &Self) -> bool {
                self.inner == other.inner
            }
        }

        impl<T: Eq> Eq for $Cell<T> {}

        impl<T: std::fmt::Debug> std::fmt::Debug for $Cell<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}
pub(crate) use once_cell_type;

/// A lazy value `$Lazy<T, F>` over `$Inner<T, F>` (imported under that name by
/// the caller); `$path` is its public path, used in the doc examples. `get`
/// and `get_mut` take the inner type's bounds (`F: FnOnce() -> T` for
/// once_cell, none for std).
macro_rules! lazy_type {
    (
        $(#[$doc:meta])* $Lazy:ident over $Inner:ident, $path:literal,
        get where [$($get_bound:tt)*]
    ) => {
        $(#[$doc])*
        pub struct $Lazy<T, F = fn() -> T> {
            header: $crate::acquire::LockHeader,
            inner: $Inner<T, F>,
        }

        impl<T, F: FnOnce() -> T> $Lazy<T, F> {
            /// Creates a lazy value initialised by `f`; reports name it by this
            /// call's `file:line:column`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let lazy = Lazy::new(|| 6 * 7);
            /// assert_eq!(*lazy, 42);
            /// ```
            #[track_caller]
            pub const fn new(f: F) -> Self {
                $Lazy {
                    header: $crate::lock::init::created_header(std::panic::Location::caller()),
                    inner: $Inner::new(f),
                }
            }

            /// Creates a lazy value initialised by `f` that reports call `name` (its
            /// first 126 bytes, cut at a character boundary, if it is longer).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// static ROUTES: Lazy<Vec<&str>> = Lazy::named("routes", || vec!["/", "/about"]);
            /// assert_eq!(ROUTES.len(), 2);
            /// ```
            pub const fn named(name: &'static str, f: F) -> Self {
                $Lazy {
                    header: $crate::lock::init::named_header(name),
                    inner: $Inner::new(f),
                }
            }

            /// The value, initialising it first if needed (the same as
            /// dereferencing).
            ///
            /// # Lock order
            /// If the value is not initialised yet: records `H -> cell` for every
            /// held lock `H`, checked before running or waiting for the
            /// initialiser; the cell is held while the initialiser runs. An
            /// initialised value records nothing.
            ///
            /// # Panics
            /// If the initialiser panics now or panicked before (the value is
            /// then poisoned); under `Panic`, on a cycle; under `Panic` and
            /// `Warn`, if called from its own initialiser.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let lazy = Lazy::new(|| String::from("hi"));
            /// assert_eq!(Lazy::force(&lazy), "hi");
            /// ```
            #[track_caller]
            pub fn force(this: &$Lazy<T, F>) -> &T {
                match $Inner::get(&this.inner) {
                    Some(value) => value,
                    None => $crate::lock::init::as_held(
                        &this.header,
                        std::panic::Location::caller(),
                        || $Inner::force(&this.inner),
                    ),
                }
            }

            /// A mutable reference to the value, initialising it first if
            /// needed (no other thread can wait on it: nothing is tracked).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let mut lazy = Lazy::new(|| 1);
            /// *Lazy::force_mut(&mut lazy) += 1;
            /// assert_eq!(*lazy, 2);
            /// ```
            pub fn force_mut(this: &mut $Lazy<T, F>) -> &mut T {
                $Inner::force_mut(&mut this.inner)
            }

            /// This cell's id in the lock-order graph (an associated function,
            /// so that it does not hide a method of `T`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let lazy = Lazy::new(|| 1);
            /// assert_eq!(Lazy::id(&lazy), Lazy::id(&lazy));
            /// ```
            pub fn id(this: &$Lazy<T, F>) -> $crate::LockId {
                this.header.id()
            }

            /// This cell's class: its creation site, or its name (see
            /// [`LockClass`]($crate::LockClass)).
            pub fn class(this: &$Lazy<T, F>) -> $crate::LockClass {
                $crate::LockClass::of(this.header.origin())
            }
        }

        impl<T, F> $Lazy<T, F>
        where
            $($get_bound)*
        {
            /// The value, if initialised (never blocks, never initialises).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let lazy = Lazy::new(|| 1);
            /// assert_eq!(Lazy::get(&lazy), None);
            /// let _ = *lazy;
            /// assert_eq!(Lazy::get(&lazy), Some(&1));
            /// ```
            pub fn get(this: &$Lazy<T, F>) -> Option<&T> {
                $Inner::get(&this.inner)
            }

            /// A mutable reference to the value, if initialised.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use ", $path, " as Lazy;")]
            ///
            /// let mut lazy = Lazy::new(|| 1);
            /// assert_eq!(Lazy::get_mut(&mut lazy), None);
            /// ```
            pub fn get_mut(this: &mut $Lazy<T, F>) -> Option<&mut T> {
                $Inner::get_mut(&mut this.inner)
            }
        }

        impl<T, F: FnOnce() -> T> std::ops::Deref for $Lazy<T, F> {
            type Target = T;

            /// The value, initialising it first if needed: see `force`.
            #[track_caller]
            fn deref(&self) -> &T {
                $Lazy::force(self)
            }
        }

        impl<T, F: FnOnce() -> T> std::ops::DerefMut for $Lazy<T, F> {
            fn deref_mut(&mut self) -> &mut T {
                $Lazy::force_mut(self)
            }
        }

        impl<T: Default> Default for $Lazy<T> {
            #[track_caller]
            fn default() -> Self {
                $Lazy::new(T::default)
            }
        }

        impl<T: std::fmt::Debug, F> std::fmt::Debug for $Lazy<T, F> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}
pub(crate) use lazy_type;
