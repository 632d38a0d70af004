//! The same scenarios, written for `std::sync`, run against `std::sync` and
//! against `lockgraph::stdsync`: every observable result must be identical.

mod with_std {
    use std::sync;
    include!("flavours/scenarios.rs");
}

mod with_lockgraph {
    use lockgraph::stdsync as sync;
    include!("flavours/scenarios.rs");
}

macro_rules! same_as_std {
    ($($scenario:ident),* $(,)?) => {
        $(
            #[test]
            fn $scenario() {
                // Compared through `Debug`: each flavour has its own copy of the types.
                let lockgraph = format!("{:?}", with_lockgraph::$scenario());
                assert_eq!(lockgraph, format!("{:?}", with_std::$scenario()));
            }
        )*
    };
}

same_as_std!(
    normal_use,
    panic_while_holding_poisons,
    guards_taken_during_unwinding,
    clear_poison,
    try_lock_on_held_locks,
    condvar_timeouts,
    once_lock_race,
    lazy_lock_panicking_initialiser,
    once_poisoning,
    downgrade,
    downgrade_during_unwinding,
);
