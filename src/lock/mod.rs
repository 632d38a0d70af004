//! The lock types: thin layers over parking_lot's locks that call the tracker
//! before blocking and keep a [`HeldToken`](crate::acquire::HeldToken) in every guard.

#[cfg(feature = "arc_lock")]
pub(crate) mod arc;
pub(crate) mod cell_api;
pub(crate) mod condvar;
pub(crate) mod const_fns;
pub(crate) mod init;
pub(crate) mod lazy;
pub(crate) mod mutex;
pub(crate) mod once;
pub(crate) mod once_cell;
pub(crate) mod recursive_rwlock;
pub(crate) mod reentrant;
pub(crate) mod rwlock;
#[cfg(feature = "serde")]
mod serde;

/// `Deref` (and optionally `DerefMut`), `Debug` and `Display` for a guard that
/// keeps its raw guard in `inner`.
macro_rules! guard_impls {
    ($Guard:ident, mut) => {
        guard_impls!($Guard);
        impl<T: ?Sized> std::ops::DerefMut for $Guard<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
    ($Guard:ident) => {
        impl<T: ?Sized> std::ops::Deref for $Guard<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }
        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }
        impl<T: ?Sized + std::fmt::Display> std::fmt::Display for $Guard<'_, T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}
pub(crate) use guard_impls;

/// `map`, `try_map` and `try_map_or_err` for a guard whose fields are `inner`
/// (a raw guard of type `$Raw`), `token` and `$rest`; the guards they make are
/// `$Mapped`. `shared` guards hand out `&T`, `exclusive` ones `&mut T`. For the
/// docs: `$what` names the lock ("mutex", "lock"), `$Lock` its type, and
/// `$take` is (a string of) an expression giving a `$Guard` of `lock`.
macro_rules! map_fns {
    (shared $($args:tt)*) => {
        $crate::lock::map_fns!(@ [] ["&"] ["get"] ["first"] $($args)*);
    };
    (exclusive $($args:tt)*) => {
        $crate::lock::map_fns!(@ [mut] ["&mut "] ["get_mut"] ["first_mut"] $($args)*);
    };
    (@ [$($mut:ident)?] [$amp:literal] [$get:literal] [$first:literal]
        $Guard:ident { $($rest:ident),* } => $Mapped:ident, $Raw:ty, $raw_try:ident,
        $what:literal, $Lock:ident, $take:expr
    ) => {
        /// Makes a guard for a part of the data.
        ///
        /// # Lock order
        #[doc = concat!("Records nothing: the ", $what, " stays held, by this thread, until the new")]
        /// guard is dropped.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("use lockgraph::{", stringify!($Lock), ", ", stringify!($Guard), "};")]
        #[doc = concat!("let lock = ", stringify!($Lock), "::new(((1, 2), 3));")]
        #[doc = concat!("let guard = ", $take, ";")]
        #[doc = concat!("let second = ", stringify!($Guard), "::map(guard, |all| ", $amp, "all.0.1);")]
        #[doc = "assert_eq!(*second, 2);"]
        #[doc = "```"]
        pub fn map<U: ?Sized, F>(s: Self, f: F) -> $Mapped<'a, U>
        where
            F: FnOnce(&$($mut)? T) -> &$($mut)? U,
        {
            let $Guard { inner, token, .. } = s;
            $Mapped { inner: <$Raw>::map(inner, f), token }
        }

        /// Makes a guard for a part of the data, if `f` finds one; otherwise
        /// gives the guard back.
        ///
        /// # Lock order
        #[doc = concat!("Records nothing: the ", $what, " stays held, by this thread, by whichever")]
        /// guard comes back.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("use lockgraph::{", stringify!($Lock), ", ", stringify!($Guard), "};")]
        #[doc = concat!("let lock = ", stringify!($Lock), "::new(vec![1]);")]
        #[doc = concat!("let list = ", $take, ";")]
        #[doc = concat!("let list = ", stringify!($Guard), "::try_map(list, |v| v.", $get, "(1)).expect_err(\"one item\");")]
        #[doc = concat!("let first = ", stringify!($Guard), "::try_map(list, |v| v.", $first, "());")]
        #[doc = "assert_eq!(first.ok().map(|g| *g), Some(1));"]
        #[doc = "```"]
        pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$Mapped<'a, U>, Self>
        where
            F: FnOnce(&$($mut)? T) -> Option<&$($mut)? U>,
        {
            // `try_map_or_err` with no error to give back.
            Self::try_map_or_err(s, |data| f(data).ok_or(())).map_err(|(guard, ())| guard)
        }

        /// Makes a guard for a part of the data, if `f` finds one; otherwise
        /// gives the guard back with `f`'s error.
        ///
        /// # Lock order
        /// As [`try_map`](Self::try_map): records nothing.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("use lockgraph::{", stringify!($Lock), ", ", stringify!($Guard), "};")]
        #[doc = concat!("let lock = ", stringify!($Lock), "::new(vec![1]);")]
        #[doc = concat!("let list = ", $take, ";")]
        #[doc = concat!("let found = ", stringify!($Guard), "::try_map_or_err(list, |v| v.", $get, "(1).ok_or(\"no 2nd\"));")]
        #[doc = "let (list, error) = found.expect_err(\"one item\");"]
        #[doc = "assert_eq!((list.len(), error), (1, \"no 2nd\")); // still held"]
        #[doc = "```"]
        pub fn try_map_or_err<U: ?Sized, F, E>(
            s: Self,
            f: F,
        ) -> Result<$Mapped<'a, U>, (Self, E)>
        where
            F: FnOnce(&$($mut)? T) -> Result<&$($mut)? U, E>,
        {
            let $Guard { inner, token $(, $rest)* } = s;
            match <$Raw>::$raw_try(inner, f) {
                Ok(inner) => Ok($Mapped { inner, token }),
                Err((inner, e)) => Err(($Guard { inner, token $(, $rest)* }, e)),
            }
        }
    };
}
pub(crate) use map_fns;

/// `Default`, `From<T>` and a `Debug` that never blocks, for a lock type with
/// `new`, a `header` and a raw `inner` lock.
/// `Default` and `From` for a lock type with `new(value)` (at the caller's
/// location, so a lock made by either is of the caller's class).
macro_rules! constructor_impls {
    ($Lock:ident) => {
        impl<T: Default> Default for $Lock<T> {
            #[track_caller]
            fn default() -> Self {
                $Lock::new(T::default())
            }
        }
        impl<T> From<T> for $Lock<T> {
            #[track_caller]
            fn from(value: T) -> Self {
                $Lock::new(value)
            }
        }
    };
}
pub(crate) use constructor_impls;

macro_rules! lock_impls {
    ($Lock:ident) => {
        $crate::lock::constructor_impls!($Lock);
        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Lock<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($Lock))
                    .field("lock", &self.header)
                    .field("inner", &&self.inner)
                    .finish()
            }
        }
    };
}
pub(crate) use lock_impls;

/// `unlocked`, `unlock_fair`, `unlocked_fair` and `bump` for a guard with fields
/// `inner` (the raw guard of type `$Raw`) and `token`.
macro_rules! relock_fns {
    ($Guard:ident, $Raw:ty, $Lock:ident, $take:ident) => {
        /// Unlocks the lock, runs `f`, and takes it again.
        ///
        /// # Lock order
        /// The lock leaves this thread's held set while `f` runs; taking it again
        /// is a blocking acquisition, checked before `f` runs.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("let lock = lockgraph::", stringify!($Lock), "::new(0);")]
        #[doc = concat!("let mut guard = lock.", stringify!($take), "();")]
        #[doc = concat!("let free_inside = lockgraph::", stringify!($Guard), "::unlocked(&mut guard, || !lock.is_locked());")]
        #[doc = "assert!(free_inside && lock.is_locked());"]
        #[doc = "```"]
        #[track_caller]
        pub fn unlocked<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            let suspended = $crate::acquire::suspend(&s.token, None);
            let relock = $crate::acquire::Relock::new(&s.inner, &s.token, &suspended);
            let result = <$Raw>::unlocked(&mut s.inner, || relock.after(f));
            suspended.resume();
            result
        }

        /// Unlocks with a fair unlock: a waiting thread gets the lock first.
        ///
        /// # Lock order
        /// Records nothing; the lock leaves this thread's held set.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("let lock = lockgraph::", stringify!($Lock), "::new(0);")]
        #[doc = concat!("lockgraph::", stringify!($Guard), "::unlock_fair(lock.", stringify!($take), "());")]
        #[doc = "assert!(!lock.is_locked());"]
        #[doc = "```"]
        pub fn unlock_fair(s: Self) {
            let $Guard { inner, token, .. } = s;
            <$Raw>::unlock_fair(inner);
            drop(token);
        }

        /// Like [`unlocked`](Self::unlocked), with a fair unlock.
        ///
        /// # Lock order
        /// As [`unlocked`](Self::unlocked).
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("let lock = lockgraph::", stringify!($Lock), "::new(0);")]
        #[doc = concat!("let mut guard = lock.", stringify!($take), "();")]
        #[doc = concat!("assert_eq!(lockgraph::", stringify!($Guard), "::unlocked_fair(&mut guard, || 7), 7);")]
        #[doc = "```"]
        #[track_caller]
        pub fn unlocked_fair<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            let suspended = $crate::acquire::suspend(&s.token, None);
            let relock = $crate::acquire::Relock::new(&s.inner, &s.token, &suspended);
            let result = <$Raw>::unlocked_fair(&mut s.inner, || relock.after(f));
            suspended.resume();
            result
        }

        /// Lets a waiting thread take the lock, then takes it back (a fair
        /// unlock and a re-lock, also when no thread waits).
        ///
        /// # Lock order
        /// Taking it back is a blocking acquisition, checked first.
        ///
        /// # Examples
        ///
        #[doc = "```"]
        #[doc = concat!("let lock = lockgraph::", stringify!($Lock), "::new(0);")]
        #[doc = concat!("let mut guard = lock.", stringify!($take), "();")]
        #[doc = concat!("lockgraph::", stringify!($Guard), "::bump(&mut guard); // no one waits: keeps going")]
        #[doc = "assert!(lock.is_locked());"]
        #[doc = "```"]
        #[track_caller]
        pub fn bump(s: &mut Self) {
            Self::unlocked_fair(s, || ());
        }
    };
}
pub(crate) use relock_fns;

/// `new`, `named` and `into_inner` for a lock type with fields `header` and
/// `inner` (a raw lock of type `$Raw` with a `const fn new` and `into_inner`).
macro_rules! constructors {
    ($Lock:ident, $Raw:ty) => {
        impl<T> $Lock<T> {
            /// Creates an unlocked lock; reports name it by this call's `file:line:column`.
            ///
            /// `const`, so the lock can live in a `static`; its id is assigned at first use.
            ///
            /// # Examples
            ///
            #[doc = concat!("```\nstatic COUNTER: lockgraph::", stringify!($Lock), "<u32> = lockgraph::", stringify!($Lock), "::new(0);\nassert_eq!(COUNTER.id(), COUNTER.id());\n```")]
            #[track_caller]
            pub const fn new(value: T) -> Self {
                let site = std::panic::Location::caller();
                $Lock {
                    header: $crate::acquire::LockHeader::new($crate::meta::LockMeta::created(site)),
                    inner: <$Raw>::new(value),
                }
            }

            /// Creates an unlocked lock that reports call `name` (its first 126
            /// bytes, cut at a character boundary, if it is longer).
            ///
            /// # Examples
            ///
            #[doc = concat!("```\nlet accounts = lockgraph::", stringify!($Lock), "::named(\"accounts\", vec![100, 50]);\nlet info = format!(\"{accounts:?}\");\nassert!(info.contains(\"accounts\"));\n```")]
            pub const fn named(name: &'static str, value: T) -> Self {
                $Lock {
                    header: $crate::acquire::LockHeader::new($crate::meta::LockMeta::named(name)),
                    inner: <$Raw>::new(value),
                }
            }

            /// Creates an unlocked lock of the class `class`
            /// ([`LockClass::named`](crate::LockClass::named) or
            /// [`LockClass::here`](crate::LockClass::here)): for locks that one
            /// generic constructor makes for unrelated uses, whose classes its
            /// callers choose (lockdep's explicit class keys). Reports call it
            /// by the class's name, or by the class's site.
            ///
            /// # Examples
            ///
            #[doc = concat!("```\nuse lockgraph::{LockClass, ", stringify!($Lock), "};\n\nstatic JOBS: LockClass = LockClass::named(\"pool.jobs\");\nfn slots<T>(class: LockClass, values: Vec<T>) -> Vec<", stringify!($Lock), "<T>> {\n    values.into_iter().map(|v| ", stringify!($Lock), "::with_class(class, v)).collect()\n}\nlet jobs = slots(JOBS, vec![1, 2]);\nlet results = slots(LockClass::named(\"pool.results\"), vec![3]);\nassert_eq!(jobs[1].class(), JOBS);\nassert_ne!(jobs[0].class(), results[0].class());\n```")]
            pub const fn with_class(class: $crate::LockClass, value: T) -> Self {
                $Lock {
                    header: $crate::acquire::LockHeader::new(class.meta()),
                    inner: <$Raw>::new(value),
                }
            }

            /// Consumes the lock and returns the value; its graph node and edges go with it.
            ///
            /// # Examples
            ///
            #[doc = concat!("```\nlet lock = lockgraph::", stringify!($Lock), "::new(String::from(\"done\"));\nassert_eq!(lock.into_inner(), \"done\");\n```")]
            pub fn into_inner(self) -> T {
                let $Lock { header, inner } = self;
                drop(header);
                inner.into_inner()
            }
        }
    };
}
pub(crate) use constructors;
