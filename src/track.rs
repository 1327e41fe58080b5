//! The tracking tables and the runner lock, shared by the migration and seed runners.

use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::db::{Driver, Holder, LockSpec, Value};
use crate::error::{Error, Kind, Result};
use crate::report::Output;

mod interop;
pub use interop::{
    classify, force_unlock_knex, furrow_lock_table, insert_adopted, lock_mode, migration_lock,
    migration_table_shape, with_migration_lock, LockMode, MigrationLock, TableShape,
};

use crate::db::{TrackColumn, TrackKey, TrackType};

const fn col(name: &'static str, ty: TrackType, not_null: bool) -> TrackColumn {
    TrackColumn {
        name,
        ty,
        not_null,
        default: None,
        key: TrackKey::None,
    }
}

const fn with_default(c: TrackColumn, default: &'static str) -> TrackColumn {
    TrackColumn {
        default: Some(default),
        ..c
    }
}

const fn keyed(c: TrackColumn, key: TrackKey) -> TrackColumn {
    TrackColumn { key, ..c }
}

use TrackType::{AutoId, BigInt, Char, Int, Text, Timestamp, VarChar};

// The first four are Knex's knex_migrations, so a table Knex wrote can be adopted:
// the others are added to it when missing.
const MIGRATION_COLUMNS: &[TrackColumn] = &[
    col("id", AutoId, true),
    keyed(col("name", VarChar(255), true), TrackKey::Unique),
    col("batch", Int, true),
    col("migration_time", Timestamp, true),
    with_default(col("checksum", Char(64), true), "''"),
    col("duration_ms", Int, false),
    with_default(col("state", VarChar(16), true), "'applied'"),
    col("statements_applied", Int, false),
    col("error", Text, false),
    // Written by furrow before 0.2: the checksums of a partial migration's committed
    // statements, one per statement. Read (folded into progress_checksum), never written.
    col("statement_checksums", Text, false),
    // A chained checksum of the statements counted in statements_applied, so a resume can
    // tell whether they were edited: constant size, whatever the number of statements.
    col("progress_checksum", Char(64), false),
    // The statement (1-based) where the run stopped: with `error` set it failed; without,
    // it was running when progress was last recorded and may have committed.
    col("statement_running", Int, false),
];

const SEED_COLUMNS: &[TrackColumn] = &[
    keyed(col("name", VarChar(255), true), TrackKey::Primary),
    col("checksum", Char(64), true),
    with_default(col("run_count", Int, true), "0"),
    col("first_run_at", Timestamp, false),
    col("last_run_at", Timestamp, false),
    col("last_rows", Int, false),
    col("last_duration_ms", Int, false),
];

const LOCK_COLUMNS: &[TrackColumn] = &[
    keyed(col("id", Int, true), TrackKey::Primary),
    col("owner", VarChar(255), true),
    col("host", VarChar(255), true),
    col("pid", BigInt, true),
    col("acquired_at", VarChar(32), true),
    // A cluster's lease row: the node the holder went through, and until when (the
    // server's clock, ms since the epoch) the lease holds unless renewed.
    col("node", VarChar(64), false),
    col("expires_at", BigInt, false),
];

fn create_table_sql(d: &dyn Driver, table: &str, cols: &[TrackColumn]) -> String {
    table_sql(
        d.dialect(),
        &|c| d.tracking_type(c),
        d.tracking_table_options(),
        table,
        cols,
    )
}

fn table_sql(
    dialect: crate::db::Dialect,
    spell: &dyn Fn(&TrackColumn) -> String,
    options: &str,
    table: &str,
    cols: &[TrackColumn],
) -> String {
    let body: Vec<String> = cols
        .iter()
        .map(|c| format!("{} {}", dialect.quote_ident(c.name), spell(c)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}){options}",
        dialect.quote_ident(table),
        body.join(", ")
    )
}

/// Creates a tracking table, or adds the columns an older or Knex-written one lacks.
fn ensure_table(d: &mut dyn Driver, table: &str, cols: &[TrackColumn]) -> Result<()> {
    retry_conflicts(|| ensure_table_once(d, table, cols))
}

/// Runs an idempotent step again while it loses to a concurrent one: on Galera a statement
/// that holds a table another node's DDL needs is aborted (error 1213, "deadlock").
pub fn retry_conflicts<T>(mut step: impl FnMut() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        match step() {
            Err(e) if tries < 5 && conflict(&e) => tries += 1,
            other => return other,
        }
    }
}

fn ensure_table_once(d: &mut dyn Driver, table: &str, cols: &[TrackColumn]) -> Result<()> {
    let dialect = d.dialect();
    let existing = d.columns(table)?;
    if existing.is_empty() {
        d.execute(&create_table_sql(d, table, cols), &[])
            .map_err(|e| {
                e.into_error()
                    .context(format!("cannot create the tracking table `{table}`"))
            })?;
        return Ok(());
    }
    for c in cols {
        if existing.iter().any(|e| e.name.eq_ignore_ascii_case(c.name)) {
            continue;
        }
        // Added columns must accept the rows already there: keep only the type and default
        // (an added id is a plain integer with a unique index, below).
        let added = TrackColumn {
            ty: if c.ty == AutoId { Int } else { c.ty },
            not_null: c.not_null && c.default.is_some(),
            key: TrackKey::None,
            ..*c
        };
        let ty = d.tracking_type(&added);
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {} {ty}",
            dialect.quote_ident(table),
            dialect.quote_ident(c.name)
        );
        d.execute(&sql, &[]).map_err(|e| {
            e.into_error()
                .context(format!("cannot add column `{}` to `{table}`", c.name))
        })?;
        if c.name == "id" {
            let sql = format!(
                "CREATE UNIQUE INDEX {} ON {} ({})",
                dialect.quote_ident(&format!("{table}_id_unique")),
                dialect.quote_ident(table),
                dialect.quote_ident("id")
            );
            d.execute(&sql, &[])?;
        }
    }
    Ok(())
}

/// Creates or completes the migrations table and its lock tables (a command that writes).
/// A table of another tool's shape is refused before anything changes.
pub fn ensure_migration_tables(d: &mut dyn Driver, table: &str) -> Result<()> {
    let shape = migration_table_shape(d, table)?;
    ensure_migration_tables_as(d, table, &shape)
}

/// `ensure_migration_tables` for a table whose shape was just read.
pub fn ensure_migration_tables_as(
    d: &mut dyn Driver,
    table: &str,
    shape: &TableShape,
) -> Result<()> {
    interop::ensure_lock_tables(d, table, shape)?;
    if *shape != TableShape::Furrow {
        complete_migration_table(d, table)?;
    }
    Ok(())
}

/// The lock tables, before the lock is taken (refusing a migrations table of another tool's
/// shape); the migrations table itself is then completed holding the lock.
pub fn ensure_migration_lock_tables(d: &mut dyn Driver, table: &str) -> Result<()> {
    let shape = migration_table_shape(d, table)?;
    interop::ensure_lock_tables(d, table, &shape)
}

/// Creates the migrations table, or adds the columns a Knex-written or older one lacks.
pub fn complete_migration_table(d: &mut dyn Driver, table: &str) -> Result<()> {
    ensure_table(d, table, MIGRATION_COLUMNS)
}

pub fn ensure_seed_tables(d: &mut dyn Driver, table: &str) -> Result<()> {
    ensure_table(d, table, SEED_COLUMNS)?;
    ensure_table(d, &lock_table(table), LOCK_COLUMNS)
}

pub fn lock_table(table: &str) -> String {
    format!("{table}_lock")
}

/// The lock of one runner kind on one database.
pub fn lock_spec(table: &str, database: &str, timeout: Duration, lease: Duration) -> LockSpec {
    LockSpec {
        table: lock_table(table),
        // MySQL lock names are at most 64 characters.
        name: format!("furrow:{database}:{table}")
            .chars()
            .take(64)
            .collect(),
        timeout,
        lease,
    }
}

/// Waits for the lock up to its timeout, saying who holds it; Ctrl-C stops the wait.
pub fn acquire(d: &mut dyn Driver, spec: &LockSpec, me: &Holder, out: &Output) -> Result<()> {
    let start = Instant::now();
    let mut announced = false;
    let mut pause = Duration::from_millis(20);
    loop {
        crate::interrupt::check()?;
        let holder = d.try_lock(spec, me).map_err(|e| {
            if e.interrupted {
                Error::interrupted()
            } else {
                Error::new(
                    Kind::Lock,
                    format!("cannot take the lock `{}`: {e}", spec.table),
                )
            }
        })?;
        let Some(holder) = holder else {
            return Ok(());
        };
        if start.elapsed() >= spec.timeout {
            return Err(Error::new(
                Kind::Lock,
                format!(
                    "another runner holds the lock `{}`: {holder}; waited {}s (lockTimeout)",
                    spec.table,
                    spec.timeout.as_secs()
                ),
            )
            .hint(
                "wait for it to finish, raise lockTimeout, or if that process is gone for good run `furrow migrate:unlock` (seeds: `furrow seed:unlock`)",
            )
            .with_data(
                "holder",
                serde_json::json!({"host": holder.host, "pid": holder.pid, "since": holder.since}),
            ));
        }
        if !announced {
            out.note(format!(
                "Waiting for the lock `{}` held by {holder} (up to {}s)…",
                spec.table,
                spec.timeout.as_secs()
            ));
            announced = true;
        }
        sleep(pause.min(spec.timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Runs `body` holding the lock; the lock is released whatever happens (and a transaction
/// left open by a failure is rolled back first).
pub fn with_lock<T>(
    d: &mut dyn Driver,
    spec: &LockSpec,
    out: &Output,
    body: impl FnOnce(&mut dyn Driver) -> Result<T>,
) -> Result<T> {
    let me = crate::process::me();
    acquire(d, spec, &me, out)?;
    let result = body(d);
    // A Ctrl-C whose interrupt is still on its way must land before the clean-up, never on it.
    crate::interrupt::quiesce();
    if result.is_err() {
        let _ = d.rollback();
    }
    let released = d.release_lock(spec, &me);
    crate::interrupt::resume();
    match (result, released) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into_error().context(format!(
            "the work is done, but releasing the lock `{}` failed",
            spec.table
        ))),
        (Err(e), _) => Err(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    Applied,
    Partial,
}

/// One row of the migrations tracking table.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedRow {
    pub id: i64,
    pub name: String,
    pub batch: i64,
    pub migration_time: String,
    pub checksum: String,
    pub duration_ms: Option<i64>,
    pub state: RowState,
    pub statements_applied: Option<i64>,
    pub error: Option<String>,
    /// The chained checksum of the first `statements_applied` statements (see `chain`).
    pub progress_checksum: Option<String>,
    /// The statement (1-based) where the run stopped: with `error` it failed; without, it
    /// was running when progress was last recorded and may have committed.
    pub statement_running: Option<i64>,
}

/// A deadlock, or on Galera a certification conflict (MySQL error 1213): the transaction was
/// rolled back whole, and running it again is safe.
pub fn conflict(e: &Error) -> bool {
    e.message.contains("(MySQL error 1213)")
}

/// The error recorded for a statement that Ctrl-C stopped: it did not commit, and the file
/// needs no fix before the run goes on.
pub const INTERRUPTED: &str = "interrupted by Ctrl-C";

/// The error recorded when the connection was lost inside a transaction the migration
/// opened: that transaction rolled back, and the run can go on as the file is.
pub const CONNECTION_LOST: &str =
    "the connection was lost inside the migration's open transaction, which rolled back";

/// What an older furrow wrote while a statement ran: read as "that statement was running".
const LEGACY_IN_PROGRESS: &str = "in progress (or the runner was killed)";

/// The progress checksum after one more statement: SHA-256 over the previous one and the
/// statement's own checksum (the empty string before the first statement).
pub fn chain(previous: &str, statement_checksum: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    h.update(b":");
    h.update(statement_checksum.as_bytes());
    crate::checksum::hex(&h.finalize())
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) => Some(*f as i64),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Every row of a tracking table: these columns, in this order.
fn select_all(
    d: &mut dyn Driver,
    table: &str,
    columns: &[&str],
    order_by: &str,
) -> Result<Vec<Vec<Value>>> {
    let dialect = d.dialect();
    // Qualified, so that SQLite's double-quoted-string fallback cannot read a missing column
    // as a string literal.
    let t = dialect.quote_ident(table);
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("{t}.{}", dialect.quote_ident(c)))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        d.table_ref(table),
        dialect.quote_ident(order_by)
    );
    let fail = |e: crate::db::DbError| {
        e.into_error()
            .context(format!("cannot read the tracking table `{table}`"))
    };
    match d.query(&sql, &[]) {
        Ok(rows) => Ok(rows),
        Err(e) => {
            // A table Knex (or an older furrow) wrote, read without altering it: the
            // columns it lacks read as NULL.
            let live = d.columns(table).map_err(fail)?;
            let has = |c: &str| live.iter().any(|l| l.name.eq_ignore_ascii_case(c));
            if live.is_empty() || columns.iter().all(|c| has(c)) {
                return Err(fail(e));
            }
            let cols: Vec<String> = columns
                .iter()
                .map(|c| {
                    if has(c) {
                        dialect.quote_ident(c)
                    } else {
                        format!("NULL AS {}", dialect.quote_ident(c))
                    }
                })
                .collect();
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                cols.join(", "),
                dialect.quote_ident(table),
                dialect.quote_ident(order_by)
            );
            d.query(&sql, &[]).map_err(fail)
        }
    }
}

/// Knex on SQLite stores migration_time as milliseconds since the epoch: show it as a date.
fn time_text(v: &Value) -> String {
    match v {
        Value::Int(ms) => chrono::DateTime::from_timestamp_millis(*ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| ms.to_string()),
        other => text(other).unwrap_or_default(),
    }
}

pub fn read_migrations(d: &mut dyn Driver, table: &str) -> Result<Vec<AppliedRow>> {
    let rows = select_all(
        d,
        table,
        &[
            "id",
            "name",
            "batch",
            "migration_time",
            "checksum",
            "duration_ms",
            "state",
            "statements_applied",
            "error",
            "statement_checksums",
            "progress_checksum",
            "statement_running",
        ],
        "id",
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut r = r.into_iter();
            let mut next = || r.next().unwrap_or(Value::Null);
            let mut row = AppliedRow {
                id: int(&next()).unwrap_or(0),
                name: owned_text(next()).unwrap_or_default(),
                batch: int(&next()).unwrap_or(0),
                migration_time: match next() {
                    Value::Text(s) => s,
                    other => time_text(&other),
                },
                checksum: owned_text(next()).unwrap_or_default(),
                duration_ms: int(&next()),
                state: if matches!(next(), Value::Text(s) if s == "partial") {
                    RowState::Partial
                } else {
                    RowState::Applied
                },
                statements_applied: int(&next()),
                error: owned_text(next()),
                progress_checksum: None,
                statement_running: None,
            };
            let legacy = owned_text(next());
            row.progress_checksum = owned_text(next());
            row.statement_running = int(&next());
            if row.state == RowState::Partial && row.progress_checksum.is_none() {
                // A row an older furrow wrote: fold its list into the chained checksum.
                row.progress_checksum = Some(
                    legacy
                        .unwrap_or_default()
                        .split(',')
                        .filter(|x| !x.is_empty())
                        .fold(String::new(), |h, c| chain(&h, c)),
                );
                if row.error.as_deref() == Some(LEGACY_IN_PROGRESS) {
                    row.statement_running = Some(row.statements_applied.unwrap_or(0) + 1);
                    row.error = None;
                }
            }
            row
        })
        .collect())
}

/// Like `text`, without copying a string that is already there.
fn owned_text(v: Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s),
        other => text(&other),
    }
}

/// What the runner records about one migration.
pub struct MigrationRecord<'a> {
    pub name: &'a str,
    pub batch: i64,
    pub checksum: &'a str,
    pub duration_ms: i64,
    pub state: RowState,
    pub statements_applied: Option<i64>,
    pub error: Option<&'a str>,
    pub progress_checksum: Option<&'a str>,
    pub statement_running: Option<i64>,
}

const RECORD_COLUMNS: [&str; 8] = [
    "batch",
    "migration_time",
    "checksum",
    "duration_ms",
    "state",
    "statements_applied",
    "error",
    "progress_checksum",
];

fn record_params(r: &MigrationRecord<'_>) -> Vec<Value> {
    let state = match r.state {
        RowState::Applied => "applied",
        RowState::Partial => "partial",
    };
    let opt_text = |t: Option<&str>| t.map(|e| Value::Text(e.to_string())).unwrap_or(Value::Null);
    vec![
        Value::Int(r.batch),
        Value::Text(crate::clock::now_utc()),
        Value::Text(r.checksum.to_string()),
        Value::Int(r.duration_ms),
        Value::Text(state.to_string()),
        r.statements_applied.map(Value::Int).unwrap_or(Value::Null),
        opt_text(r.error),
        opt_text(r.progress_checksum),
        r.statement_running.map(Value::Int).unwrap_or(Value::Null),
        Value::Text(r.name.to_string()),
    ]
}

/// Writes the migration's row: an INSERT when `exists` is false, else an UPDATE of it.
/// (The caller knows: matching on "rows changed" fails on MySQL when nothing changed.)
pub fn record_migration(
    d: &mut dyn Driver,
    table: &str,
    r: &MigrationRecord<'_>,
    exists: bool,
) -> Result<()> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    let mut cols: Vec<String> = RECORD_COLUMNS.iter().map(|c| q(c)).collect();
    cols.push(q("statement_running"));
    let sql = if exists {
        let sets: Vec<String> = cols.iter().map(|c| format!("{c} = ?")).collect();
        format!(
            "UPDATE {} SET {}, {} = NULL WHERE {} = ?",
            d.table_ref(table),
            sets.join(", "),
            q("statement_checksums"),
            q("name")
        )
    } else {
        cols.push(q("name"));
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            d.table_ref(table),
            cols.join(", "),
            vec!["?"; cols.len()].join(", ")
        )
    };
    d.execute(&sql, &record_params(r)).map(|_| ()).map_err(|e| {
        e.into_error()
            .context(format!("cannot record `{}`", r.name))
    })
}

/// `record_migration` on a connection in autocommit (the runner's own): on Galera such a
/// one-row write can lose a certification race to a replicated DDL statement (error 1213),
/// and is simply written again.
pub fn record_progress(
    d: &mut dyn Driver,
    table: &str,
    r: &MigrationRecord<'_>,
    exists: bool,
) -> Result<()> {
    retry_conflicts(|| record_migration(d, table, r, exists))
}

pub fn delete_migration(d: &mut dyn Driver, table: &str, name: &str) -> Result<()> {
    delete_row(d, table, name).map_err(|e| e.context(format!("cannot remove the row of `{name}`")))
}

/// Deletes a tracking row by name.
fn delete_row(d: &mut dyn Driver, table: &str, name: &str) -> Result<()> {
    let dialect = d.dialect();
    let sql = format!(
        "DELETE FROM {} WHERE {} = ?",
        d.table_ref(table),
        dialect.quote_ident("name")
    );
    d.execute(&sql, &[Value::Text(name.to_string())])
        .map(|_| ())
        .map_err(|e| e.into_error())
}

/// Notes a failed rollback on an applied migration's row (its state stays `applied`).
pub fn record_down_error(d: &mut dyn Driver, table: &str, name: &str, error: &str) -> Result<()> {
    set_migration_error(d, table, name, Some(error))
}

/// Sets (or clears) the `error` of a migration's row.
pub fn set_migration_error(
    d: &mut dyn Driver,
    table: &str,
    name: &str,
    error: Option<&str>,
) -> Result<()> {
    let dialect = d.dialect();
    let sql = format!(
        "UPDATE {} SET {} = ? WHERE {} = ?",
        d.table_ref(table),
        dialect.quote_ident("error"),
        dialect.quote_ident("name")
    );
    d.execute(
        &sql,
        &[
            error
                .map(|e| Value::Text(e.to_string()))
                .unwrap_or(Value::Null),
            Value::Text(name.to_string()),
        ],
    )
    .map(|_| ())
    .map_err(|e| e.into_error())
}

/// One row of the seeds tracking table.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub name: String,
    pub checksum: String,
    pub run_count: i64,
    pub first_run_at: String,
    pub last_run_at: String,
    pub last_rows: Option<i64>,
    pub last_duration_ms: Option<i64>,
}

pub fn read_seeds(d: &mut dyn Driver, table: &str) -> Result<Vec<SeedRow>> {
    let rows = select_all(
        d,
        table,
        &[
            "name",
            "checksum",
            "run_count",
            "first_run_at",
            "last_run_at",
            "last_rows",
            "last_duration_ms",
        ],
        "name",
    )?;
    Ok(rows
        .iter()
        .map(|r| SeedRow {
            name: text(&r[0]).unwrap_or_default(),
            checksum: text(&r[1]).unwrap_or_default(),
            run_count: int(&r[2]).unwrap_or(0),
            first_run_at: time_text(&r[3]),
            last_run_at: time_text(&r[4]),
            last_rows: int(&r[5]),
            last_duration_ms: int(&r[6]),
        })
        .collect())
}

/// Counts one more run of a seed (its row is created on the first).
pub fn record_seed(
    d: &mut dyn Driver,
    table: &str,
    name: &str,
    checksum: &str,
    rows: i64,
    duration_ms: i64,
) -> Result<()> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    let now = crate::clock::now_utc();
    let update = format!(
        "UPDATE {} SET {} = ?, {} = {} + 1, {} = ?, {} = ?, {} = ? WHERE {} = ?",
        q(table),
        q("checksum"),
        q("run_count"),
        q("run_count"),
        q("last_run_at"),
        q("last_rows"),
        q("last_duration_ms"),
        q("name")
    );
    let fail = |e: crate::db::DbError| {
        e.into_error()
            .context(format!("cannot record the seed `{name}`"))
    };
    let changed = d
        .execute(
            &update,
            &[
                Value::Text(checksum.to_string()),
                Value::Text(now.clone()),
                Value::Int(rows),
                Value::Int(duration_ms),
                Value::Text(name.to_string()),
            ],
        )
        .map_err(fail)?;
    if changed == 0 {
        let insert = format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}) VALUES (?, ?, 1, ?, ?, ?, ?)",
            q(table),
            q("name"),
            q("checksum"),
            q("run_count"),
            q("first_run_at"),
            q("last_run_at"),
            q("last_rows"),
            q("last_duration_ms")
        );
        d.execute(
            &insert,
            &[
                Value::Text(name.to_string()),
                Value::Text(checksum.to_string()),
                Value::Text(now.clone()),
                Value::Text(now),
                Value::Int(rows),
                Value::Int(duration_ms),
            ],
        )
        .map_err(fail)?;
    }
    Ok(())
}

pub fn delete_seed(d: &mut dyn Driver, table: &str, name: &str) -> Result<()> {
    delete_row(d, table, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_table_ddl_per_dialect() {
        use crate::db::Dialect;
        let s = table_sql(
            Dialect::Sqlite,
            &crate::db::sqlite::tracking_type,
            "",
            "t_lock",
            LOCK_COLUMNS,
        );
        assert_eq!(
            s,
            "CREATE TABLE IF NOT EXISTS \"t_lock\" (\"id\" INTEGER PRIMARY KEY, \"owner\" VARCHAR(255) NOT NULL, \"host\" VARCHAR(255) NOT NULL, \"pid\" BIGINT NOT NULL, \"acquired_at\" VARCHAR(32) NOT NULL, \"node\" VARCHAR(64), \"expires_at\" BIGINT)"
        );
        let m = table_sql(
            Dialect::Mysql,
            &crate::db::mysql::tracking_type,
            crate::db::mysql::TABLE_OPTIONS,
            "furrow_seeds",
            SEED_COLUMNS,
        );
        assert!(m.starts_with(
            "CREATE TABLE IF NOT EXISTS `furrow_seeds` (`name` VARCHAR(255) NOT NULL PRIMARY KEY"
        ));
        assert!(m.ends_with(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"));
        let mig = table_sql(
            Dialect::Mysql,
            &crate::db::mysql::tracking_type,
            "",
            "m",
            &MIGRATION_COLUMNS[..6],
        );
        assert_eq!(
            mig,
            "CREATE TABLE IF NOT EXISTS `m` (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(255) NOT NULL UNIQUE, `batch` INT NOT NULL, `migration_time` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `checksum` CHAR(64) NOT NULL DEFAULT '', `duration_ms` INT)"
        );
        let seeds = table_sql(
            Dialect::Sqlite,
            &crate::db::sqlite::tracking_type,
            "",
            "s",
            SEED_COLUMNS,
        );
        assert_eq!(
            seeds,
            "CREATE TABLE IF NOT EXISTS \"s\" (\"name\" VARCHAR(255) NOT NULL PRIMARY KEY, \"checksum\" CHAR(64) NOT NULL, \"run_count\" INTEGER NOT NULL DEFAULT 0, \"first_run_at\" TIMESTAMP, \"last_run_at\" TIMESTAMP, \"last_rows\" INTEGER, \"last_duration_ms\" INTEGER)"
        );
    }

    #[test]
    fn knex_millisecond_times_read_as_dates() {
        assert_eq!(time_text(&Value::Int(0)), "1970-01-01 00:00:00");
        assert_eq!(
            time_text(&Value::Text("2024-01-01 10:00:00".into())),
            "2024-01-01 10:00:00"
        );
    }
}
