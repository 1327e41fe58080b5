//! UTC time stamps, written the same way on every engine.

use chrono::Utc;

/// `2024-01-31 12:00:00` (UTC), the form stored in tracking tables.
pub fn now_utc() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `20240131120000`, the prefix of a new migration's file name.
pub fn timestamp_prefix() -> String {
    Utc::now().format("%Y%m%d%H%M%S").to_string()
}
