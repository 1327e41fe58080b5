//! Ctrl-C: the first press stops the running statements, rolls back and releases the locks;
//! a second press exits at once. Each thread that works on a database registers what stops
//! its statement (a fleet runs several targets at once, one per thread).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;

use crate::error::{Error, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);
pub type Hook = Box<dyn Fn() + Send + Sync>;
/// The hook of each thread that registered one.
static HOOKS: Mutex<Vec<(ThreadId, Hook)>> = Mutex::new(Vec::new());
/// Hooks `quiesce` took away, by thread, until `resume`.
static STASHED: Mutex<Vec<(ThreadId, Hook)>> = Mutex::new(Vec::new());

/// Installs the Ctrl-C handler (once, at start-up).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        if let Ok(hooks) = HOOKS.lock() {
            for (_, h) in hooks.iter() {
                h();
            }
        }
    });
}

fn put(list: &Mutex<Vec<(ThreadId, Hook)>>, hook: Hook) {
    let me = std::thread::current().id();
    if let Ok(mut l) = list.lock() {
        l.retain(|(t, _)| *t != me);
        l.push((me, hook));
    }
}

fn take(list: &Mutex<Vec<(ThreadId, Hook)>>) -> Option<Hook> {
    let me = std::thread::current().id();
    let mut l = list.lock().ok()?;
    let i = l.iter().position(|(t, _)| *t == me)?;
    Some(l.swap_remove(i).1)
}

/// Registers what stops the statement running on this thread (the connection's interrupter).
pub fn set_hook(hook: Hook) {
    put(&HOOKS, hook);
}

/// Forgets this thread's hook (its connection is closed).
pub fn clear_hook() {
    drop(take(&HOOKS));
    drop(take(&STASHED));
}

/// Takes this thread's hook away, waiting for an interrupt in flight (the handler holds the
/// hooks while it runs): after this, nothing interrupts the statements that follow on this
/// thread, until `resume`. Nested calls are fine: the first one keeps the hook, the others
/// find none.
pub fn quiesce() {
    if let Some(hook) = take(&HOOKS) {
        put(&STASHED, hook);
    }
}

/// Puts back the hook `quiesce` took.
pub fn resume() {
    if let Some(hook) = take(&STASHED) {
        set_hook(hook);
    }
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Err(Interrupted) once Ctrl-C was pressed: called between statements and while waiting.
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::interrupted())
    } else {
        Ok(())
    }
}
