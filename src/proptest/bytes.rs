//! Programs from raw bytes, for fuzzers: every byte string is a program, and
//! small inputs are small programs, so a fuzzer's minimised input reads as a
//! short program.
//!
//! The layout: one byte for the number of locks, one per lock for its kind
//! and class,
//! one for the number of threads; then, until the bytes run out, one step per
//! group: the thread, the operation, and its lock(s). Steps run in input
//! order. Missing bytes read as zero, and a choice with one option reads no
//! byte. The bytes are read through the
//! `arbitrary` crate's `Unstructured`, as cargo-fuzz targets usually do.

use arbitrary::Unstructured;

use super::op::{LockKind, Op, Program};
use super::run::LOCK_ALL_MAX;

/// The most locks a decoded program has.
const LOCKS: usize = 6;
/// The most threads a decoded program has.
const THREADS: usize = 4;
/// The most steps a decoded program has.
const STEPS: usize = 96;
/// The most classes a decoded program has.
const CLASSES: usize = 3;

/// Reads small choices from a byte string.
struct Choices<'a> {
    bytes: Unstructured<'a>,
}

impl Choices<'_> {
    /// A number below `n` (zero once the bytes run out).
    fn below(&mut self, n: usize) -> usize {
        let last = u8::try_from(n - 1).unwrap_or(u8::MAX);
        usize::from(self.bytes.int_in_range(0..=last).unwrap_or(0))
    }

    /// A lock's kind and class, from one byte: a byte below 5 (as inputs
    /// written before classes existed have) is a kind of class 0.
    fn kind_and_class(&mut self) -> (LockKind, usize) {
        let kinds = LockKind::ALL.len();
        let choice = self.below(kinds * CLASSES);
        (LockKind::ALL[choice % kinds], choice / kinds)
    }

    /// The `(slot, read)` members of a set.
    fn members(&mut self, locks: usize) -> Vec<(usize, bool)> {
        let members = 1 + self.below(LOCK_ALL_MAX);
        (0..members)
            .map(|_| (self.below(locks), self.below(2) == 1))
            .collect()
    }

    fn op(&mut self, locks: usize) -> Op {
        let code = self.below(14);
        if code == 12 {
            return Op::LockSet(self.members(locks));
        }
        if code == 13 {
            return Op::TryLockAll(self.members(locks));
        }
        if code == 9 {
            let members = 1 + self.below(LOCK_ALL_MAX);
            return Op::LockAll((0..members).map(|_| self.below(locks)).collect());
        }
        if code == 10 {
            return Op::UnlockAll;
        }
        if code == 11 {
            return Op::Ascending(self.below(2) == 1);
        }
        let make = [
            Op::Lock,
            Op::Write,
            Op::Read,
            Op::ReadRecursive,
            Op::UpgradableRead,
            Op::TryLock,
            Op::Unlock,
            Op::Create,
            Op::Drop,
        ][code];
        make(self.below(locks))
    }
}

impl Program {
    /// Decodes a program from any byte string (see the module docs for the
    /// layout). The same bytes always give the same program.
    ///
    /// # Examples
    ///
    /// ```
    /// use lockgraph::proptest::{LockKind, Op, Program};
    ///
    /// // 2 locks (mutexes), 2 threads; t0 locks l0, t0 locks l1, t1 locks l1, t1 locks l0.
    /// let program = Program::from_bytes(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0]);
    /// assert_eq!(program.kinds, [LockKind::Mutex, LockKind::Mutex]);
    /// assert_eq!(program.threads[1], [Op::Lock(1), Op::Lock(0)]);
    /// assert_eq!(program.turns, [0, 0, 1, 1]);
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Program {
        let mut input = Choices {
            bytes: Unstructured::new(bytes),
        };
        let locks = 1 + input.below(LOCKS);
        let (kinds, classes) = (0..locks).map(|_| input.kind_and_class()).unzip();
        let threads = 1 + input.below(THREADS);
        let mut program = Program {
            kinds,
            classes,
            threads: vec![Vec::new(); threads],
            turns: Vec::new(),
        };
        while !input.bytes.is_empty() && program.turns.len() < STEPS {
            let thread = input.below(threads);
            program.threads[thread].push(input.op(locks));
            program.turns.push(thread);
        }
        program
    }
}
