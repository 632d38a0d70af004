//! Tests of the private graphs: registration, publication, sinks, the watermark.

use super::sites::recent_set;
use super::*;
use crate::Mutex;

/// This thread's store (it has handed out ids).
fn this_store() -> Arc<Store> {
    super::super::context::with_private_store(|store| {
        Arc::clone(store.expect("this thread hands out ids"))
    })
}

/// The edge count of this thread's private graph.
fn private_edges() -> usize {
    this_store().graph.lock().edges.len()
}

/// Runs `test` on a new thread (a private graph of its own), to the end.
fn on_a_new_thread(test: impl FnOnce() + Send + 'static) {
    std::thread::spawn(test).join().unwrap();
}

/// Two call-site pairs that share a set of the recent-pairs cache, used
/// in turn (a lock taken under several others), both stay in it, and
/// every lookup, cached or not, gives the pair's own backtrace index.
#[test]
fn two_pairs_sharing_a_recent_set_both_stay_and_keep_their_indexes() {
    #[track_caller]
    fn site() -> &'static Location<'static> {
        Location::caller()
    }
    let sites = [site(), site(), site(), site(), site(), site()];
    let pairs: Vec<_> = sites
        .iter()
        .flat_map(|&a| sites.iter().map(move |&b| (a, b)))
        .filter(|(a, b)| !std::ptr::eq(*a, *b))
        .collect();
    let mut graph = Private::new(ThreadLabel::from("test"));
    let edge = (LockId::from_u64(1), LockId::from_u64(2));
    let indexes: Vec<u32> = pairs
        .iter()
        .map(|&pair| graph.backtrace(pair, edge))
        .collect();
    let distinct: std::collections::HashSet<u32> = indexes.iter().copied().collect();
    assert_eq!(distinct.len(), pairs.len(), "one backtrace per pair");
    // 30 pairs in 8 sets: two of them share one.
    let set_of = |&(a, b): &(&'static Location<'static>, &'static Location<'static>)| {
        recent_set(global::site_pair(a, b))
    };
    let (first, second) = (0..pairs.len())
        .flat_map(|i| (i + 1..pairs.len()).map(move |j| (i, j)))
        .find(|&(i, j)| set_of(&pairs[i]) == set_of(&pairs[j]))
        .expect("pigeonhole");
    for _ in 0..3 {
        for k in [first, second] {
            let (a, b) = pairs[k];
            assert_eq!(graph.backtrace((a, b), edge), indexes[k]);
            let newest = graph.recent_backtraces[set_of(&pairs[k])][0];
            assert_eq!(newest, Some((global::site_pair(a, b), indexes[k])));
        }
    }
    let cached: Vec<_> = graph.recent_backtraces[set_of(&pairs[first])]
        .iter()
        .flatten()
        .map(|&(pair, _)| pair)
        .collect();
    for k in [first, second] {
        let (a, b) = pairs[k];
        assert!(cached.contains(&global::site_pair(a, b)));
    }
    for (k, &(a, b)) in pairs.iter().enumerate().rev() {
        assert_eq!(graph.backtrace((a, b), edge), indexes[k]);
    }
}

/// A new lock's first use caches its edges but not its held set: taking
/// it again and again under the same lock must find the edge there
/// (through the slow path once), not record it a second time.
#[test]
fn a_new_lock_taken_again_under_the_same_lock_adds_one_private_edge() {
    on_a_new_thread(|| {
        let outer = Mutex::new(0);
        let inner = Mutex::new(0);
        let _held = outer.lock();
        let before = private_edges();
        for _ in 0..100 {
            *inner.lock() += 1;
        }
        assert_eq!(private_edges(), before + 1);
    });
}

/// A thread registers its private graph when an acquisition takes a new
/// block of ids, not before: an id it handed out earlier (through `id()`)
/// may already be known to other threads, so it stays public, and the
/// locks first used from the new block on are private.
#[test]
fn ids_handed_out_before_the_private_graph_is_registered_stay_public() {
    on_a_new_thread(|| {
        let registered = || super::super::context::with_private_store(|s| s.is_some());
        let early = Mutex::new(0);
        let early_id = early.id(); // the thread's first block, no acquisition
        // Locks used until the acquisitions reach a new block.
        let mut used = Vec::new();
        while !registered() {
            used.push(Mutex::new(0));
            drop(used.last().unwrap().lock());
            assert!(used.len() <= 16, "the first block has 16 ids");
        }
        let (outer, inner) = (Mutex::new(0), Mutex::new(0));
        {
            let _outer = outer.lock();
            drop(inner.lock());
        }
        let store = this_store();
        let graph = store.graph.lock();
        assert!(!store.owns(early_id), "handed out before registration");
        assert!(!store.owns(used[0].id()), "from the first block too");
        assert!(
            store.owns(used.last().unwrap().id()),
            "the new block's first"
        );
        assert!(store.owns(outer.id()) && store.owns(inner.id()));
        drop(graph);
        assert_eq!(private_edges(), 1, "outer -> inner stays private");
        {
            let _outer = outer.lock();
            drop(early.lock());
        }
        // An edge into a public lock publishes the private graph.
        assert_eq!(private_edges(), 0);
        assert!(global::with(|g| g.graph.contains(outer.id(), early_id)));
    });
}

#[test]
fn a_thread_churning_sinks_keeps_a_small_private_graph() {
    on_a_new_thread(|| {
        let outer = Mutex::new(0);
        let _held = outer.lock();
        for i in 0..10 * DEAD {
            let sink = Mutex::new(i);
            *sink.lock() += 1;
            drop(sink);
            // Queued, not removed: at most a queue's worth of dead edges.
            assert!(private_edges() <= DEAD + 1, "{} edges", private_edges());
        }
        // A lock with an edge out of it is forgotten at once.
        let middle = Mutex::new(0);
        let last = Mutex::new(0);
        let before = private_edges();
        {
            let _middle = middle.lock();
            drop(last.lock());
        }
        // outer -> middle, outer -> last, middle -> last
        assert_eq!(private_edges(), before + 3);
        drop(middle);
        // Its edges, and the queued sinks' with them.
        assert_eq!(private_edges(), 1, "only outer -> last is left");
    });
}

#[test]
fn a_sink_made_public_before_it_is_buried_leaves_the_global_graph() {
    on_a_new_thread(|| {
        let outer = Mutex::new(0);
        let sink = Mutex::new(0);
        {
            let _held = outer.lock();
            drop(sink.lock());
        }
        let store = this_store();
        let (from, to) = (outer.id(), sink.id());
        assert_eq!(private_edges(), 1);
        // Another thread publishes this store (it needs one of its locks) ...
        store.publish_if_owner(to);
        assert!(global::with(|g| g.graph.contains(from, to)));
        // ... just before the sink, dropped, is queued as private.
        assert!(store.dead.push(to));
        std::mem::forget(sink);
        store.bury(&mut store.graph.lock());
        assert!(!global::with(|g| g.graph.contains(from, to)));
        assert!(store.dead.is_empty());
    });
}

#[test]
fn a_private_lock_of_a_live_thread_is_never_below_the_public_watermark() {
    use std::sync::mpsc::channel;
    let (ids, received) = channel();
    let (done, finish) = channel::<()>();
    let owner = std::thread::spawn(move || {
        let (outer, inner) = (Mutex::new(0), Mutex::new(0));
        {
            let _outer = outer.lock();
            drop(inner.lock()); // a private edge outer -> inner
        }
        assert_eq!(private_edges(), 1);
        ids.send((outer.id(), inner.id())).unwrap();
        finish.recv().unwrap();
        // Published (the global graph needs them), they may go below it.
        let store = this_store();
        store.publish_if_owner(inner.id());
        let bound = store.published_below.load(Relaxed);
        assert!(PUBLIC_BELOW.load(Relaxed) <= bound);
    });
    let (outer, inner) = received.recv().unwrap();
    // Seen from another thread, while their owner keeps them private.
    assert!(!below_public([outer].into_iter()));
    assert!(!below_public([inner].into_iter()));
    assert!(!below_public([LockId::from_u64(1), inner].into_iter()));
    done.send(()).unwrap();
    owner.join().unwrap();
}

/// The watermark, checked against the stores with every writer of either
/// kept out.
fn assert_watermark_is_the_lowest_bound() {
    let stores = STORES.write();
    let lowest = stores
        .values()
        .map(|s| s.published_below.load(Relaxed))
        .min();
    assert_eq!(PUBLIC_BELOW.load(Relaxed), lowest.unwrap_or(u64::MAX));
}

#[test]
fn the_watermark_is_the_lowest_bound_of_the_live_stores() {
    assert_watermark_is_the_lowest_bound();
    on_a_new_thread(|| {
        let (outer, inner) = (Mutex::new(0), Mutex::new(0));
        drop((outer.lock(), inner.lock())); // registers, with a private edge
        assert_watermark_is_the_lowest_bound();
        let store = this_store();
        store.publish_if_owner(inner.id()); // its bound rises
        assert_watermark_is_the_lowest_bound();
    }); // its store retires
    assert_watermark_is_the_lowest_bound();
}

#[test]
fn a_fresh_lock_under_another_threads_private_lock_publishes_that_thread_first() {
    let theirs = Arc::new(Mutex::new(0));
    drop(theirs.lock()); // its id is this thread's, private to it
    let theirs_id = theirs.id();
    let store = this_store();
    let theirs = Arc::clone(&theirs);
    on_a_new_thread(move || {
        let (mine, fresh) = (Mutex::new(0), Mutex::new(0));
        let _mine = mine.lock();
        let _theirs = theirs.try_lock().expect("free"); // no edge into it
        assert_eq!(private_edges(), 0);
        drop(fresh.lock());
        // Their graph was published (their lock is public now), not this
        // one: both edges stay here, each once (the first attempt's edge
        // from `mine` was taken back when `theirs` turned out private).
        assert_eq!(private_edges(), 2);
        assert!(store_of(id::this_thread()).is_some_and(|s| s.owns(fresh.id())));
        assert!(!global::with(|g| g.graph.contains(mine.id(), fresh.id())));
        assert!(!global::with(|g| g.graph.contains(theirs_id, fresh.id())));
    });
    assert!(!store.owns(theirs_id), "published");
}

#[test]
fn the_dead_queue_holds_a_queue_full_and_refuses_more() {
    let queue = DeadQueue::new();
    // Ids on both sides of 2^32, up to the last of the id space.
    let id = |k: usize| (1 << 32) - 8 + k as u64;
    for k in 1..DEAD {
        assert!(queue.push(LockId::from_u64(id(k))));
    }
    assert!(queue.push(LockId::from_u64(crate::id::LIMIT - 1)));
    assert!(!queue.push(LockId::from_u64(999)));
    let mut out = [0; DEAD];
    assert_eq!(queue.take(&mut out), DEAD);
    assert_eq!(out[0], id(1));
    assert_eq!(out[DEAD - 2], id(DEAD - 1));
    assert_eq!(out[DEAD - 1], crate::id::LIMIT - 1);
    assert!(queue.is_empty());
    // Wraps around.
    assert!(queue.push(LockId::from_u64(7)));
    assert_eq!(queue.take(&mut out), 1);
    assert_eq!(out[0], 7);
}

/// A lock that another thread took first, and that thread has ended: public.
fn public_lock() -> Arc<Mutex<i32>> {
    let made = std::thread::spawn(|| {
        let lock = Arc::new(Mutex::new(0));
        drop(lock.lock());
        lock
    });
    made.join().unwrap()
}

#[test]
fn a_fresh_lock_under_a_public_one_keeps_its_edge_private_until_published() {
    let public = public_lock();
    on_a_new_thread(move || {
        let _public = public.lock();
        let fresh = Mutex::new(0);
        drop(fresh.lock());
        let (from, to) = (public.id(), fresh.id());
        assert_eq!(private_edges(), 1, "public -> fresh is private");
        assert!(!global::with(|g| g.graph.contains(from, to)));
        assert!(
            global::with(|g| g.graph.has_node(from)),
            "the source's node"
        );
        // Another thread needs the fresh lock: the edge moves with it.
        this_store().publish_if_owner(to);
        assert_eq!(private_edges(), 0);
        assert!(global::with(|g| g.graph.contains(from, to)));
    });
}

#[test]
fn fresh_locks_dropped_under_a_public_one_never_reach_the_global_graph() {
    let public = public_lock();
    on_a_new_thread(move || {
        let _public = public.lock();
        let mut ids = Vec::new();
        for i in 0..3 * DEAD {
            let fresh = Mutex::new(i);
            *fresh.lock() += 1;
            ids.push(fresh.id());
            assert!(private_edges() <= DEAD + 1, "{} edges", private_edges());
        }
        this_store().publish_if_owner(*ids.last().unwrap());
        let reached = |id: &LockId| global::with(|g| g.graph.has_node(*id));
        assert!(!ids.iter().any(reached));
    });
}

#[test]
fn a_private_edge_from_a_dropped_public_lock_is_dropped_at_publication() {
    let public = public_lock();
    on_a_new_thread(move || {
        let fresh = Mutex::new(0);
        let from = public.id();
        {
            let _public = public.lock();
            drop(fresh.lock());
        }
        assert_eq!(private_edges(), 1);
        drop(Arc::into_inner(public).expect("the last handle"));
        assert!(
            !global::with(|g| g.graph.has_node(from)),
            "dropped: no node"
        );
        this_store().publish_if_owner(fresh.id());
        assert_eq!(private_edges(), 0);
        assert!(
            !global::with(|g| g.graph.has_node(from)),
            "not brought back"
        );
    });
}
