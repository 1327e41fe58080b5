//! Scratch databases for `schema:drift`. Each is named `furrow_drift_<unix time>_<pid>_<random>`
//! and is held, for as long as the run lives, by a named lock (`GET_LOCK` of its own name) on
//! the connection that created it; the lock is taken before the database exists. The run
//! drops it at the end, on error and on Ctrl-C. A run that could not (kill -9, a lost
//! connection) leaves a database whose lock the server freed with the connection: the next
//! run drops every such one before it starts.

use crate::db::{cell_text, DbResult, Dialect, Driver, Value};
use crate::error::{Error, Result};

fn q(name: &str) -> String {
    Dialect::Mysql.quote_ident(name)
}

pub const PREFIX: &str = "furrow_drift_";

/// On a cluster a named lock is one node's: another node's live run looks unlocked from
/// here, so there only scratch databases older than this are taken for stale.
const CLUSTER_STALE_SECS: u64 = 24 * 3600;

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A new name: the time and pid say who made it, the random part that no one else did.
pub fn new_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let pid = std::process::id();
    format!(
        "{PREFIX}{}_{pid}_{:06x}",
        unix_now(),
        (nanos ^ pid.rotate_left(16)) & 0xff_ffff
    )
}

fn one(d: &mut dyn Driver, sql: &str, params: &[Value]) -> DbResult<Value> {
    Ok(d.query(sql, params)?
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or(Value::Null))
}

/// Takes the scratch database's lock, then creates it with the defaults of the connection's
/// database (so the replayed tables get the same charset and collation).
pub fn create(d: &mut dyn Driver, name: &str) -> Result<()> {
    let lock = Value::Text(name.to_string());
    if one(d, "SELECT GET_LOCK(?, 0)", std::slice::from_ref(&lock))? != Value::Int(1) {
        return Err(Error::database(format!(
            "cannot take the lock of the scratch database `{name}`: another connection holds it"
        )));
    }
    let defaults = d.query(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
        &[],
    )?;
    let options = match defaults.first() {
        Some(r) => format!(
            " CHARACTER SET {} COLLATE {}",
            cell_text(&r[0]),
            cell_text(&r[1])
        ),
        None => String::new(),
    };
    let sql = format!("CREATE DATABASE {}{options}", q(name));
    d.execute(&sql, &[]).map_err(|e| {
        let denied = matches!(e.code.as_deref(), Some("1044" | "1142" | "1227"));
        let err = e.into_error();
        if !denied || err.is_interrupted() {
            return err.context(format!("cannot create the scratch database `{name}`"));
        }
        Error::database(format!(
            "this user may not create the scratch database `{name}` that the migrations are replayed into: it lacks the CREATE privilege on it ({})",
            err.message
        ))
        .hint(format!(
            "grant it on the scratch databases only: GRANT ALL PRIVILEGES ON `{}%`.* TO the user (the replay runs every migration there), or run schema:drift as a user who may create databases",
            PREFIX.replace('_', "\\_")
        ))
    })?;
    Ok(())
}

/// Drops the scratch database and releases its lock.
pub fn drop(d: &mut dyn Driver, name: &str) -> DbResult<()> {
    d.execute(&format!("DROP DATABASE IF EXISTS {}", q(name)), &[])?;
    one(
        d,
        "SELECT RELEASE_LOCK(?)",
        &[Value::Text(name.to_string())],
    )?;
    Ok(())
}

/// Drops the scratch databases that no live run holds; returns their names.
pub fn drop_stale(d: &mut dyn Driver, cluster: bool) -> DbResult<Vec<String>> {
    let pattern = format!("{}%", PREFIX.replace('_', "\\_"));
    let found: Vec<String> = d
        .query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
            &[Value::Text(pattern)],
        )?
        .iter()
        .map(|r| cell_text(&r[0]))
        .collect();
    let mut dropped = Vec::new();
    for name in found {
        let held = one(d, "SELECT IS_USED_LOCK(?)", &[Value::Text(name.clone())])?;
        if !held.is_null() {
            continue;
        }
        if cluster {
            let made: u64 = name[PREFIX.len()..]
                .split('_')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(u64::MAX);
            if unix_now().saturating_sub(made) < CLUSTER_STALE_SECS {
                continue;
            }
        }
        d.execute(&format!("DROP DATABASE IF EXISTS {}", q(&name)), &[])?;
        dropped.push(name);
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognisable_and_fit() {
        let n = new_name();
        assert!(n.starts_with(PREFIX), "{n}");
        assert!(n.len() <= 64, "{n}");
        assert!(n[PREFIX.len()..]
            .split('_')
            .next()
            .unwrap()
            .parse::<u64>()
            .is_ok());
    }
}
