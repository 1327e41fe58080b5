//! At most N jobs at once, each on a thread of its own from start to end, results handed to
//! the caller's thread as they finish. No job waits for another: a slow one holds only its
//! own thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// What the caller's thread hears from the workers.
pub enum Event<R> {
    Started(usize),
    Finished(usize, R),
}

/// The work of a run: what each item does, and which results stop the run.
pub struct Work<'a, R> {
    pub run: &'a (dyn Fn(usize) -> R + Sync),
    /// A result that starts no further item (decided on the worker, before the next take).
    pub stops: &'a (dyn Fn(&R) -> bool + Sync),
}

/// Runs `work.run(i)` for each `i` of `items` on at most `parallel` threads; `on_event`
/// sees each start and each result on the caller's thread (it may print: nothing else
/// does). Once `stop` is set (by a stopping result, or before), or after Ctrl-C, no further
/// item starts; those running finish. Items never started are not reported.
pub fn run<R: Send>(
    items: &[usize],
    parallel: usize,
    stop: &AtomicBool,
    work: &Work<'_, R>,
    on_event: &mut dyn FnMut(Event<R>),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Event<R>>();
    // Takes items until there are none left, or the run stops.
    let drain = |tx: mpsc::Sender<Event<R>>| loop {
        if stop.load(Ordering::SeqCst) || crate::interrupt::requested() {
            break;
        }
        let Some(&item) = items.get(next.fetch_add(1, Ordering::SeqCst)) else {
            break;
        };
        if tx.send(Event::Started(item)).is_err() {
            break;
        }
        let result = (work.run)(item);
        if (work.stops)(&result) {
            stop.store(true, Ordering::SeqCst);
        }
        if tx.send(Event::Finished(item, result)).is_err() {
            break;
        }
    };
    std::thread::scope(|s| {
        let mut workers = 0;
        for _ in 0..parallel.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            // The main thread's stack size: a target's command runs here as it would there.
            let worker = std::thread::Builder::new().stack_size(8 << 20);
            if worker.spawn_scoped(s, || drain(tx)).is_ok() {
                workers += 1;
            }
        }
        if workers == 0 {
            // No thread to be had: one at a time, here.
            drain(tx.clone());
            for event in rx.try_iter() {
                on_event(event);
            }
            return;
        }
        drop(tx);
        for event in rx {
            on_event(event);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn runs_each_item_once_and_never_more_than_n_at_once() {
        let items: Vec<usize> = (0..50).collect();
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let seen = Mutex::new(Vec::new());
        let work = |i: usize| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            std::thread::yield_now();
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        };
        let work = Work {
            run: &work,
            stops: &|_| false,
        };
        run(&items, 3, &stop, &work, &mut |e| {
            if let Event::Finished(i, r) = e {
                assert_eq!(r, i * 2);
                seen.lock().unwrap().push(i);
            }
        });
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, items);
        assert!(most.load(Ordering::SeqCst) <= 3);
    }

    #[test]
    fn stop_starts_nothing_new() {
        let items: Vec<usize> = (0..20).collect();
        let stop = AtomicBool::new(false);
        let mut finished = Vec::new();
        let work = Work {
            run: &|i| i,
            stops: &|r: &usize| *r == 3,
        };
        run(&items, 1, &stop, &work, &mut |e| {
            if let Event::Finished(i, _) = e {
                finished.push(i);
            }
        });
        assert_eq!(finished, [0, 1, 2, 3]);
    }
}
