//! What the lock types and guards of this module have in common, as macros
//! (each type has its own generic parameters: the raw lock, and for the
//! reentrant mutex its thread id).
//!
//! Doc examples are written with `example!`, which the including module
//! defines: it adds the hidden lines that import the module and name a raw
//! lock of each kind (`RawMutex`, `RawRwLock`, `RawThreadId`).

/// `Deref` (and with `mut`, `DerefMut`), `Debug` and `Display` for a guard
/// `$Guard<'a, P.., T>` that keeps its raw guard in `inner`.
macro_rules! guard_impls {
    ($Guard:ident<$($P:ident: $B:path),*> mut) => {
        guard_impls!($Guard<$($P: $B),*>);
        impl<'a, $($P: $B + 'a,)* T: ?Sized + 'a> std::ops::DerefMut for $Guard<'a, $($P,)* T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
    ($Guard:ident<$($P:ident: $B:path),*>) => {
        impl<'a, $($P: $B + 'a,)* T: ?Sized + 'a> std::ops::Deref for $Guard<'a, $($P,)* T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }
        impl<'a, $($P: $B + 'a,)* T: ?Sized + std::fmt::Debug + 'a> std::fmt::Debug
            for $Guard<'a, $($P,)* T>
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }
        impl<'a, $($P: $B + 'a,)* T: ?Sized + std::fmt::Display + 'a> std::fmt::Display
            for $Guard<'a, $($P,)* T>
        {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}

/// `map`, `try_map` and `try_map_or_err` for a guard with fields `inner` (a
/// raw guard of type `$Raw`), `token` and `$rest`, making `$Mapped` guards.
/// `shared` guards hand out `&T`, `exclusive` ones `&mut T`; `$raw_try` is
/// the raw guard's `try_map_or_err`. For the docs, `$new` makes a lock and
/// `$take` a `$Guard` of `lock`.
macro_rules! map_fns {
    (shared $($args:tt)*) => {
        map_fns!(@ [] ["&"] ["get"] ["first"] $($args)*);
    };
    (exclusive $($args:tt)*) => {
        map_fns!(@ [mut] ["&mut "] ["get_mut"] ["first_mut"] $($args)*);
    };
    (@ [$($mut:ident)?] [$amp:literal] [$get:literal] [$first:literal]
        $Guard:ident { $($rest:ident),* } => $Mapped:ident<$($P:ident),*>,
        $Raw:ty, $raw_try:expr, $new:literal, $take:literal
    ) => {
        /// Makes a guard for a part of the data.
        ///
        /// # Lock order
        /// Records nothing: the lock stays held, by this thread, until the new
        /// guard is dropped.
        ///
        /// # Examples
        ///
        #[doc = example!(
            concat!("let lock = ", $new, "(((1, 2), 3));"),
            concat!("let second = ", stringify!($Guard), "::map(", $take, ", |all| ", $amp, "all.0.1);"),
            "assert_eq!(*second, 2);"
        )]
        pub fn map<U: ?Sized, F>(s: Self, f: F) -> $Mapped<'a, $($P,)* U>
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
        /// Records nothing: the lock stays held, by this thread, by whichever
        /// guard comes back.
        ///
        /// # Examples
        ///
        #[doc = example!(
            concat!("let lock = ", $new, "(vec![1]);"),
            concat!("let list = ", stringify!($Guard), "::try_map(", $take, ", |v| v.", $get, "(1)).expect_err(\"one item\");"),
            concat!("let first = ", stringify!($Guard), "::try_map(list, |v| v.", $first, "());"),
            "assert_eq!(first.ok().map(|g| *g), Some(1));"
        )]
        pub fn try_map<U: ?Sized, F>(s: Self, f: F) -> Result<$Mapped<'a, $($P,)* U>, Self>
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
        #[doc = example!(
            concat!("let lock = ", $new, "(vec![1]);"),
            concat!("let found = ", stringify!($Guard), "::try_map_or_err(", $take, ", |v| v.", $get, "(1).ok_or(\"no 2nd\"));"),
            "let (list, error) = found.expect_err(\"one item\");",
            "assert_eq!((list.len(), error), (1, \"no 2nd\")); // still held"
        )]
        pub fn try_map_or_err<U: ?Sized, F, E>(
            s: Self,
            f: F,
        ) -> Result<$Mapped<'a, $($P,)* U>, (Self, E)>
        where
            F: FnOnce(&$($mut)? T) -> Result<&$($mut)? U, E>,
        {
            let $Guard { inner, token $(, $rest)* } = s;
            match ($raw_try)(inner, f) {
                Ok(inner) => Ok($Mapped { inner, token }),
                Err((inner, e)) => Err(($Guard { inner, token $(, $rest)* }, e)),
            }
        }
    };
}

/// The body of `unlocked` and `unlocked_fair`: `$unlock` (the raw guard's)
/// lets the lock go while `$f` runs and takes it back itself; the lock
/// leaves the held set meanwhile, and its re-acquisition is checked at once
/// and waited for (watched) before the raw guard's own.
macro_rules! around_unlock {
    ($guard:ident, |$s:ident| $again:expr, $unlock:expr, $f:ident) => {{
        let again = {
            let $s = &*$guard;
            $again
        };
        let suspended = crate::acquire::suspend(&$guard.token, None);
        let relock = crate::acquire::Relock::new(&again, &$guard.token, &suspended);
        let result = ($unlock)(&mut $guard.inner, || relock.after($f));
        suspended.resume();
        result
    }};
}

/// `unlocked` for a guard with fields `inner` (the raw guard of type `$Raw`)
/// and `token`, whose lock `$again` (an expression of the guard `s`) takes
/// again. For the docs, `$new` makes a lock and `$take` a guard of `lock`.
macro_rules! unlocked_fn {
    ($Guard:ident, $Raw:ty, |$s:ident| $again:expr, $new:literal, $take:literal) => {
        /// Unlocks the lock, runs `f`, and takes it again.
        ///
        /// # Lock order
        /// The lock leaves this thread's held set while `f` runs; taking it
        /// again is a blocking acquisition, checked before `f` runs.
        ///
        /// # Examples
        ///
        #[doc = example!(
                    concat!("let lock = ", $new, "(0);"),
                    concat!("let mut guard = ", $take, ";"),
                    concat!("let free_inside = ", stringify!($Guard), "::unlocked(&mut guard, || !lock.is_locked());"),
                    "assert!(free_inside && lock.is_locked());"
                )]
        #[track_caller]
        pub fn unlocked<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            around_unlock!(s, |$s| $again, <$Raw>::unlocked, f)
        }
    };
}

/// `unlock_fair`, `unlocked_fair` and `bump` for a guard as
/// [`unlocked_fn`]'s, of a raw lock with fair unlocking.
macro_rules! fair_fns {
    ($Guard:ident, $Raw:ty, |$s:ident| $again:expr, $new:literal, $take:literal) => {
        /// Unlocks with a fair unlock: a waiting thread gets the lock first.
        ///
        /// # Lock order
        /// Records nothing; the lock leaves this thread's held set.
        ///
        /// # Examples
        ///
        #[doc = example!(
            concat!("let lock = ", $new, "(0);"),
            concat!(stringify!($Guard), "::unlock_fair(", $take, ");"),
            "assert!(!lock.is_locked());"
        )]
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
        #[doc = example!(
            concat!("let lock = ", $new, "(0);"),
            concat!("let mut guard = ", $take, ";"),
            concat!("assert_eq!(", stringify!($Guard), "::unlocked_fair(&mut guard, || 7), 7);")
        )]
        #[track_caller]
        pub fn unlocked_fair<F, U>(s: &mut Self, f: F) -> U
        where
            F: FnOnce() -> U,
        {
            around_unlock!(s, |$s| $again, <$Raw>::unlocked_fair, f)
        }

        /// Lets a waiting thread take the lock, then takes it back (a fair
        /// unlock and a re-lock, also when no thread waits).
        ///
        /// # Lock order
        /// Taking it back is a blocking acquisition, checked first.
        ///
        /// # Examples
        ///
        #[doc = example!(
            concat!("let lock = ", $new, "(0);"),
            concat!("let mut guard = ", $take, ";"),
            concat!(stringify!($Guard), "::bump(&mut guard); // no one waits: keeps going"),
            "assert!(lock.is_locked());"
        )]
        #[track_caller]
        pub fn bump(s: &mut Self) {
            Self::unlocked_fair(s, || ());
        }
    };
}

/// `unlock_fair` for a mapped guard (fields `inner`, of type `$Raw`, and
/// `token`). For the docs, `$new` makes a lock and `$mapped` a `$Guard` of it.
macro_rules! mapped_unlock_fair {
    ($Guard:ident, $Raw:ty, $new:literal, $mapped:literal) => {
        /// Unlocks the lock with a fair unlock: a waiting thread gets it first.
        ///
        /// # Lock order
        /// Records nothing; this guard's hold leaves this thread's held set.
        ///
        /// # Examples
        ///
        #[doc = example!(
                                    concat!("let lock = ", $new, "((1, 2));"),
                                    concat!(stringify!($Guard), "::unlock_fair(", $mapped, ");"),
                                    "assert!(!lock.is_locked());"
                                )]
        pub fn unlock_fair(s: Self) {
            let $Guard { inner, token } = s;
            <$Raw>::unlock_fair(inner);
            drop(token);
        }
    };
}

/// `id`, `class` and the header, for a lock type with a `header`. For the
/// docs, `$new` makes a lock.
macro_rules! identity_fns {
    ($new:literal) => {
        /// This lock's id (assigned now if it was never used).
        ///
        /// # Examples
        ///
        #[doc = example!(
                                    concat!("let (a, b) = (", $new, "(()), ", $new, "(()));"),
                                    "assert!(a.id() < b.id()); // ids follow first use",
                                    "assert_eq!(a.id(), a.id());"
                                )]
        pub fn id(&self) -> crate::LockId {
            self.header.id()
        }

        /// This lock's class: its creation site, or its name (see
        /// [`LockClass`](crate::LockClass)).
        ///
        /// # Examples
        ///
        #[doc = example!(
                                    concat!("let a = ", $new, "(());"),
                                    concat!("let b = ", $new, "(());"),
                                    "assert_ne!(a.class(), b.class()); // made at two places"
                                )]
        pub fn class(&self) -> crate::LockClass {
            crate::LockClass::of(self.header.origin())
        }

        /// The lock as reports name it.
        pub(super) fn reported_as(&self) -> crate::report::LockRef {
            crate::report::LockRef::new(self.header.id(), self.header.origin())
        }
    };
}

/// `new`, `named`, `from_raw` and `into_inner` for `$Lock<P.., T>`, whose raw
/// lock (`inner`, of type `$Inner`) is made by `$Inner::new(value)` or
/// `$Inner::from_raw(raw.., value)`, from the raw parts `$raw: $Raw`.
macro_rules! constructors {
    ($Lock:ident<$($P:ident: $B:path),*>, $Inner:ident, ($($raw:ident: $Raw:ident),*), $new:literal) => {
        impl<$($P: $B,)* T> $Lock<$($P,)* T> {
            /// Creates an unlocked lock (its raw lock is the raw type's
            /// `INIT`); reports name it by this call's `file:line:column`.
            ///
            /// `const`, so the lock can live in a `static`; its id is
            /// assigned at first use.
            ///
            /// # Examples
            ///
            #[doc = example!(
                concat!("let lock = ", $new, "(0);"),
                "assert_eq!(lock.id(), lock.id());"
            )]
            #[track_caller]
            pub const fn new(value: T) -> Self {
                $Lock {
                    header: LockHeader::new(LockMeta::created(Location::caller())),
                    inner: api::$Inner::new(value),
                }
            }

            /// Creates an unlocked lock that reports call `name` (its first
            /// 126 bytes, cut at a character boundary, if it is longer).
            ///
            /// # Examples
            ///
            #[doc = example!(
                concat!("let accounts = ", stringify!($Lock), "::<", $(stringify!($Raw), ", ",)* "_>::named(\"accounts\", vec![100, 50]);"),
                "assert!(format!(\"{accounts:?}\").contains(\"accounts\"));"
            )]
            pub const fn named(name: &'static str, value: T) -> Self {
                $Lock {
                    header: LockHeader::new(LockMeta::named(name)),
                    inner: api::$Inner::new(value),
                }
            }

            /// Creates an unlocked lock of the class `class`, as
            /// [`crate::Mutex::with_class`] does.
            ///
            /// # Examples
            ///
            #[doc = example!(
                concat!("let lock = ", stringify!($Lock), "::<", $(stringify!($Raw), ", ",)* "_>::with_class(lockgraph::LockClass::named(\"pool\"), 1);"),
                "assert_eq!(lock.class(), lockgraph::LockClass::named(\"pool\"));"
            )]
            pub const fn with_class(class: crate::LockClass, value: T) -> Self {
                $Lock {
                    header: LockHeader::new(class.meta()),
                    inner: api::$Inner::new(value),
                }
            }

            /// Creates a lock from raw parts in the given state (lock_api's
            /// `from_raw`); reports name it by this call's `file:line:column`.
            ///
            /// # Examples
            ///
            #[doc = example!(
                concat!("let lock = ", stringify!($Lock), "::from_raw(", $(stringify!($Raw), "::INIT, ",)* "5);"),
                "assert_eq!(lock.into_inner(), 5);"
            )]
            #[track_caller]
            pub const fn from_raw($($raw: $P,)* value: T) -> Self {
                $Lock {
                    header: LockHeader::new(LockMeta::created(Location::caller())),
                    inner: api::$Inner::from_raw($($raw,)* value),
                }
            }

            /// Consumes the lock and returns the value; its graph node and
            /// edges go with it.
            ///
            /// # Examples
            ///
            #[doc = example!(
                concat!("let lock = ", $new, "(String::from(\"done\"));"),
                "assert_eq!(lock.into_inner(), \"done\");"
            )]
            pub fn into_inner(self) -> T {
                let $Lock { header, inner } = self;
                drop(header);
                inner.into_inner()
            }
        }

        impl<$($P: $B,)* T: Default> Default for $Lock<$($P,)* T> {
            #[track_caller]
            fn default() -> Self {
                $Lock::new(T::default())
            }
        }

        impl<$($P: $B,)* T> From<T> for $Lock<$($P,)* T> {
            #[track_caller]
            fn from(value: T) -> Self {
                $Lock::new(value)
            }
        }

        /// Never blocks: a lock held elsewhere shows as locked.
        impl<$($P: $B,)* T: ?Sized + std::fmt::Debug> std::fmt::Debug for $Lock<$($P,)* T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($Lock))
                    .field("lock", &self.header)
                    .field("inner", &&self.inner)
                    .finish()
            }
        }
    };
}

/// A blocking acquisition of a lock_api lock in one mode, as the pipeline
/// takes it ([`RawAcquire`](crate::acquire::RawAcquire)): `$now` tries,
/// `$block` waits for as long as it takes, and a wait that must end (the
/// watched wait) polls `$now` (see `crate::acquire::poll`): the raw lock
/// need not have a timed acquisition. Taking it again at the end of an
/// `unlocked` is the same acquisition ([`Retake`](crate::acquire::raw::Retake)).
macro_rules! acquisition {
    ($(#[$doc:meta])* $Name:ident<$($P:ident: $B:path),*> of $Lock:ident => $Guard:ident, $now:ident, $block:ident) => {
        $(#[$doc])*
        pub(crate) struct $Name<'a, $($P: $B,)* T: ?Sized>(pub(crate) &'a api::$Lock<$($P,)* T>);

        // By hand: derived, they would require the parameters to be `Copy`.
        impl<$($P: $B,)* T: ?Sized> Clone for $Name<'_, $($P,)* T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($P: $B,)* T: ?Sized> Copy for $Name<'_, $($P,)* T> {}

        impl<'a, $($P: $B + 'a,)* T: ?Sized + 'a> crate::acquire::RawAcquire for $Name<'a, $($P,)* T> {
            type Guard = api::$Guard<'a, $($P,)* T>;

            #[inline]
            fn try_now(self) -> Result<Self::Guard, Self> {
                self.0.$now().ok_or(self)
            }

            fn try_for(self, timeout: std::time::Duration) -> Result<Self::Guard, Self> {
                crate::acquire::poll::within(self, timeout, Self::try_now)
            }

            fn block(self) -> Self::Guard {
                self.0.$block()
            }
        }

        impl<'a, $($P: $B + 'a,)* T: ?Sized + 'a> crate::acquire::raw::Retake<'a> for $Name<'a, $($P,)* T> {
            type Again = Self;
            fn again(&self) -> Self {
                *self
            }
        }
    };
}

/// The lock types and guards, exported by each module built from these files.
macro_rules! exports {
    () => {
        pub use mutex::{MappedMutexGuard, Mutex, MutexGuard};
        pub use reentrant::{MappedReentrantMutexGuard, ReentrantMutex, ReentrantMutexGuard};
        pub use rwlock::{MappedRwLockReadGuard, MappedRwLockWriteGuard};
        pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
        pub use upgradable::RwLockUpgradableReadGuard;
    };
}
