//! Test hooks, so black-box tests can stop the binary at an exact point instead of guessing
//! with a sleep: with `FURROW_TEST_PAUSE=<point>`, the process writes the point's name to
//! `$FURROW_TEST_PAUSE_FILE` when it gets there and waits (until killed, or Ctrl-C).
//! Unset, a hook costs a load of a cached value.

use std::sync::OnceLock;
use std::time::Duration;

fn wanted() -> Option<&'static str> {
    static WANTED: OnceLock<Option<String>> = OnceLock::new();
    WANTED
        .get_or_init(|| std::env::var("FURROW_TEST_PAUSE").ok())
        .as_deref()
}

/// Pauses here when the tests asked for this point.
pub fn pause(point: &str) {
    if wanted() != Some(point) {
        return;
    }
    if let Ok(file) = std::env::var("FURROW_TEST_PAUSE_FILE") {
        let _ = std::fs::write(file, point);
    }
    while !crate::interrupt::requested() {
        std::thread::sleep(Duration::from_millis(20));
    }
}
