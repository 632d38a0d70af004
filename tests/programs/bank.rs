// A small multi-threaded bank written for `std::sync`. It names no lock crate:
// the including file decides with one line, `use std::sync;` or
// `use lockgraph::stdsync as sync;` (see bank_std.rs and bank_lockgraph.rs).

use std::collections::VecDeque;
use std::thread;
use std::time::Duration;

use sync::atomic::{AtomicU64, Ordering};
use sync::{Arc, Barrier, Condvar, LazyLock, Mutex, OnceLock, RwLock, mpsc};

const ACCOUNTS: usize = 8;
const OPENING_BALANCE: u64 = 1_000;
const TRANSFERS: usize = 400;
const TELLERS: usize = 4;

/// Fee brackets: (smallest amount, fee), built on first use.
static FEES: LazyLock<Vec<(u64, u64)>> = LazyLock::new(|| vec![(0, 0), (50, 1), (200, 3)]);
/// Set once by whichever teller starts first.
static OPENED_BY: OnceLock<usize> = OnceLock::new();

struct Transfer {
    from: usize,
    to: usize,
    amount: u64,
}

enum Audit {
    Done { teller: usize, fee: u64 },
    Rejected { teller: usize },
}

struct Queue {
    pending: VecDeque<Transfer>,
    closed: bool,
}

struct Bank {
    accounts: Vec<Mutex<u64>>,
    fees: Mutex<u64>,
    queue: Mutex<Queue>,
    work: Condvar,
    per_teller: RwLock<Vec<u64>>,
    processed: AtomicU64,
}

fn fee_for(amount: u64) -> u64 {
    FEES.iter().rev().find(|(from, _)| amount >= *from).map_or(0, |&(_, fee)| fee)
}

impl Bank {
    fn new() -> Self {
        Bank {
            accounts: (0..ACCOUNTS).map(|_| Mutex::new(OPENING_BALANCE)).collect(),
            fees: Mutex::new(0),
            queue: Mutex::new(Queue { pending: VecDeque::new(), closed: false }),
            work: Condvar::new(),
            per_teller: RwLock::new(vec![0; TELLERS]),
            processed: AtomicU64::new(0),
        }
    }

    /// Locks both accounts in index order (so tellers never deadlock), then
    /// the fee account.
    fn transfer(&self, t: &Transfer) -> Option<u64> {
        let (low, high) = (t.from.min(t.to), t.from.max(t.to));
        let mut low_balance = self.accounts[low].lock().unwrap();
        let mut high_balance = self.accounts[high].lock().unwrap();
        let (from, to) = if t.from == low {
            (&mut *low_balance, &mut *high_balance)
        } else {
            (&mut *high_balance, &mut *low_balance)
        };
        let fee = fee_for(t.amount);
        if *from < t.amount + fee {
            return None;
        }
        *from -= t.amount + fee;
        *to += t.amount;
        *self.fees.lock().unwrap() += fee;
        Some(fee)
    }

    fn next_transfer(&self) -> Option<Transfer> {
        let queue = self.queue.lock().unwrap();
        let mut queue = self
            .work
            .wait_while(queue, |q| q.pending.is_empty() && !q.closed)
            .unwrap();
        queue.pending.pop_front()
    }

    fn teller(&self, teller: usize, audit: mpsc::Sender<Audit>) {
        OPENED_BY.get_or_init(|| teller);
        while let Some(transfer) = self.next_transfer() {
            let event = match self.transfer(&transfer) {
                Some(fee) => Audit::Done { teller, fee },
                None => Audit::Rejected { teller },
            };
            self.per_teller.write().unwrap()[teller] += 1;
            self.processed.fetch_add(1, Ordering::Relaxed);
            audit.send(event).unwrap();
        }
    }

    fn submit(&self, transfer: Transfer) {
        self.queue.lock().unwrap().pending.push_back(transfer);
        self.work.notify_one();
    }

    fn close(&self) {
        self.queue.lock().unwrap().closed = true;
        self.work.notify_all();
    }

    fn total(&self) -> u64 {
        let balances: u64 = self.accounts.iter().map(|a| *a.lock().unwrap()).sum();
        balances + *self.fees.lock().unwrap()
    }
}

/// A deterministic stream of transfers (a linear congruential generator).
fn transfers() -> impl Iterator<Item = Transfer> {
    let mut seed = 0x2545_f491_u64;
    std::iter::from_fn(move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let from = (seed >> 33) as usize % ACCOUNTS;
        let to = (from + 1 + (seed >> 40) as usize % (ACCOUNTS - 1)) % ACCOUNTS;
        Some(Transfer { from, to, amount: (seed >> 20) % 400 })
    })
    .take(TRANSFERS)
}

#[test]
fn the_bank_balances_its_books() {
    let bank = Arc::new(Bank::new());
    let start = Arc::new(Barrier::new(TELLERS + 1));
    let (audit_tx, audit_rx) = mpsc::channel();
    let tellers: Vec<_> = (0..TELLERS)
        .map(|teller| {
            let (bank, start, audit) = (Arc::clone(&bank), Arc::clone(&start), audit_tx.clone());
            thread::spawn(move || {
                let leader = start.wait().is_leader();
                bank.teller(teller, audit);
                leader
            })
        })
        .collect();
    drop(audit_tx);
    let auditor = thread::spawn(move || {
        let (mut done, mut rejected, mut fees) = (0, 0, 0);
        for event in audit_rx {
            match event {
                Audit::Done { fee, teller } => {
                    assert!(teller < TELLERS);
                    done += 1;
                    fees += fee;
                }
                Audit::Rejected { teller } => {
                    assert!(teller < TELLERS);
                    rejected += 1;
                }
            }
        }
        (done, rejected, fees)
    });
    let leader = start.wait().is_leader();
    for transfer in transfers() {
        bank.submit(transfer);
    }
    thread::sleep(Duration::from_millis(10));
    bank.close();
    let leaders = tellers.into_iter().map(|t| t.join().unwrap());
    let leaders = leaders.chain([leader]).filter(|&l| l).count();
    let (done, rejected, fees) = auditor.join().unwrap();

    assert_eq!(done + rejected, TRANSFERS);
    assert!(done > 0);
    assert_eq!(fees, *bank.fees.lock().unwrap());
    assert_eq!(bank.total(), ACCOUNTS as u64 * OPENING_BALANCE);
    assert_eq!(bank.processed.load(Ordering::Relaxed), TRANSFERS as u64);
    assert_eq!(bank.per_teller.read().unwrap().iter().sum::<u64>(), TRANSFERS as u64);
    assert!(*OPENED_BY.get().unwrap() < TELLERS);
    assert_eq!(leaders, 1);
    assert!(Arc::try_unwrap(bank).is_ok());
}
