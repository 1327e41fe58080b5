//! A scratch database for `schema:drift`: in memory, shared by name between the connections
//! of this process (SQLite's `mode=memory&cache=shared` URI), gone when the last one closes,
//! so nothing is ever left behind, even after a kill.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The name of an in-memory database no other scratch database of this process has.
pub fn scratch_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!("furrow_drift_{}_{n}", std::process::id())
}
