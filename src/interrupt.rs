//! Ctrl-C: the first press stops the running statement, rolls back and releases the lock;
//! a second press exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);
pub type Hook = Box<dyn Fn() + Send + Sync>;
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);
static STASHED: Mutex<Option<Hook>> = Mutex::new(None);

/// Installs the Ctrl-C handler (once, at start-up).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        if let Ok(hook) = HOOK.lock() {
            if let Some(h) = hook.as_ref() {
                h();
            }
        }
    });
}

/// Registers what stops the running statement (the connection's interrupter).
pub fn set_hook(hook: Hook) {
    if let Ok(mut h) = HOOK.lock() {
        *h = Some(hook);
    }
}

/// Takes the hook away, waiting for an interrupt in flight (the handler holds the hook while
/// it runs): after this, nothing interrupts the statements that follow, until `resume`.
/// Nested calls are fine: the first one keeps the hook, the others find none.
pub fn quiesce() {
    let taken = HOOK.lock().ok().and_then(|mut h| h.take());
    if let (Some(hook), Ok(mut stash)) = (taken, STASHED.lock()) {
        *stash = Some(hook);
    }
}

/// Puts back the hook `quiesce` took.
pub fn resume() {
    let stashed = STASHED.lock().ok().and_then(|mut s| s.take());
    if let Some(hook) = stashed {
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
