//! Publish/subscribe through named exchanges. An exchange fans each message
//! out to the tasks attached to it; tasks are actors (a thread and a
//! mailbox). `get_exchange(name)` finds an exchange in a process-wide
//! registry, creating it on first use, so publishers and subscribers only
//! need to agree on a name. A subscription guard detaches its tasks when it
//! is dropped.
//!
//! Shown here: a display task and a log task on "news"; a late task that
//! receives news only while its subscription guard lives; publisher threads
//! looking the exchange up concurrently; and a relay task that forwards the
//! alerts it sees on "news" to a second exchange, "alerts". Every lock is a
//! lockgraph lock (the registry's `Mutex`, each exchange's `RwLock` of
//! subscribers, the mailboxes' `Mutex` and `Condvar`s), and the run is free
//! of reports.
//!
//! ```text
//! cargo run --example pubsub -- --publishers 4 --messages 50
//! ```

#[path = "recipes/actor.rs"]
mod actor;
#[path = "recipes/cli.rs"]
mod cli;
#[path = "recipes/exchange.rs"]
mod exchange;
#[path = "recipes/queue.rs"]
mod queue;

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

use lockgraph::{Lazy, Mutex};

use actor::Actor;
use exchange::Exchange;

/// Every exchange by name, created on first use.
/// The registry of named exchanges, built on first use by an instrumented
/// `Lazy` (its initialiser counts as a held lock) around a lockgraph `Mutex`.
type Registry = Mutex<HashMap<String, Arc<Exchange<String>>>>;
static EXCHANGES: Lazy<Registry> = Lazy::named("exchange registry init", || {
    Mutex::named("exchange registry", HashMap::new())
});

/// The exchange called `name`, created the first time anyone asks for it.
fn get_exchange(name: &str) -> Arc<Exchange<String>> {
    let mut exchanges = EXCHANGES.lock();
    let exchange = exchanges.entry(name.to_owned()).or_default();
    Arc::clone(exchange)
}

/// A task that appends every message it receives to a shared log.
fn log_task(name: &str) -> (Actor<String>, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::named("task log", Vec::new()));
    let received = Arc::clone(&log);
    let task = Actor::spawn(name, move |message| received.lock().push(message));
    (task, log)
}

fn main() {
    let publishers = cli::arg("publishers", 3usize);
    let messages = cli::arg("messages", 20usize);

    let news = get_exchange("news");
    assert!(
        Arc::ptr_eq(&news, &get_exchange("news")),
        "one exchange per name"
    );
    println!("-- \"news\" created on first use; asking again gives the same exchange");

    let display = Actor::spawn("display", |message: String| {
        println!("  display: {message}")
    });
    let (log, logged) = log_task("log");
    let (late, late_logged) = log_task("late");
    let relay = Actor::spawn("relay", |message: String| {
        if message.starts_with("alert") {
            get_exchange("alerts").send(format!("relayed {message}"));
        }
    });
    let (alerts_log, alerts_logged) = log_task("alerts log");
    get_exchange("alerts").attach(alerts_log.mailbox());

    let subscription = news.subscribe(&[display.mailbox(), log.mailbox(), relay.mailbox()]);
    println!("-- {} tasks attached to \"news\"", news.subscribers());
    news.send("hello, subscribers".to_owned());
    {
        let _late = news.subscribe(&[late.mailbox()]);
        news.send("alert: the late task is listening".to_owned());
        news.send("still listening".to_owned());
    } // the guard drops: "late" is detached
    news.send("the late task has left".to_owned());
    drop(subscription);
    news.attach(log.mailbox()); // the log keeps listening, quietly
    println!("-- display and relay detached; {publishers} publishers send {messages} each");
    publish_concurrently(publishers, messages);

    relay.stop(); // everything it forwards is posted before it stops
    for task in [display, log, late, alerts_log] {
        task.stop();
    }
    check(&logged, &late_logged, &alerts_logged, publishers * messages);
}

/// Threads that each look "news" up in the registry and send `messages`.
fn publish_concurrently(publishers: usize, messages: usize) {
    thread::scope(|scope| {
        for publisher in 0..publishers {
            scope.spawn(move || {
                for n in 0..messages {
                    get_exchange("news").send(format!("publisher {publisher} message {n}"));
                }
            });
        }
    });
}

/// Checks what each log received.
fn check(
    logged: &Mutex<Vec<String>>,
    late_logged: &Mutex<Vec<String>>,
    alerts_logged: &Mutex<Vec<String>>,
    published: usize,
) {
    let (logged, late, alerts) = (logged.lock(), late_logged.lock(), alerts_logged.lock());
    println!("-- the log task received {} messages", logged.len());
    assert_eq!(logged.len(), 4 + published);
    println!("-- the late task received only what was sent while subscribed: {late:?}");
    assert_eq!(late.len(), 2);
    println!("-- \"alerts\" received: {alerts:?}");
    assert_eq!(*alerts, ["relayed alert: the late task is listening"]);
    let names = EXCHANGES.lock().len();
    println!("-- {names} exchanges in the registry; every task closed and joined");
}
