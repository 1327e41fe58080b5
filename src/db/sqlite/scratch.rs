//! A scratch database for `schema:drift`: in memory, shared by name between the connections
//! of this process (SQLite's `mode=memory&cache=shared` URI), gone when the last one closes,
//! so nothing is ever left behind, even after a kill.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A name no other scratch database of this process has.
pub fn scratch_path() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    PathBuf::from(format!(
        "file:furrow_drift_{}_{n}?mode=memory&cache=shared",
        std::process::id()
    ))
}
