//! Sharing a database with Knex (and taking over from dbmate): what shape a tracking table
//! has, and Knex's lock protocol on `<tableName>_lock`, taken alongside furrow's own lock.
//!
//! Knex's lock table holds one row `(index, is_locked)`. Knex takes it with
//! `UPDATE … SET is_locked = 1 WHERE is_locked = 0` in a transaction (0 rows changed means
//! "already locked"), frees it with `is_locked = 0`, and `knex migrate:unlock` deletes the
//! rows and inserts `{is_locked: 0}`. furrow does the same, and keeps its own lock (owner,
//! host, pid, dead-holder detection, GET_LOCK) in `<tableName>_furrow_lock`.

use std::thread::sleep;
use std::time::{Duration, Instant};

use super::{col, ensure_table, LOCK_COLUMNS, MIGRATION_COLUMNS};
use crate::db::{DbError, Driver, Holder, LockSpec, Value};
use crate::db::{TrackColumn, TrackType};
use crate::error::{Error, Kind, Result};
use crate::report::Output;

/// Knex's own columns of `knex_migrations`: a table with these is Knex's (or furrow's).
const KNEX_COLUMNS: &[&str] = &["id", "name", "batch", "migration_time"];

/// The shape of an existing migrations tracking table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableShape {
    Absent,
    /// Every column furrow writes.
    Furrow,
    /// Knex's columns (Knex wrote it, or an older furrow): read as is; furrow's columns are
    /// added by the first command that writes.
    Knex,
    /// Neither: refused, never altered. Its columns, as `name type`.
    Foreign(Vec<String>),
}

/// Pure: a table's shape from its `(name, type)` columns.
pub fn classify(columns: &[(String, String)]) -> TableShape {
    if columns.is_empty() {
        return TableShape::Absent;
    }
    let has = |c: &str| columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(c));
    if !KNEX_COLUMNS.iter().all(|c| has(c)) {
        return TableShape::Foreign(
            columns
                .iter()
                .map(|(n, t)| format!("{n} {}", t.to_lowercase()))
                .collect(),
        );
    }
    if MIGRATION_COLUMNS.iter().all(|c| has(c.name)) {
        TableShape::Furrow
    } else {
        TableShape::Knex
    }
}

/// Reads the shape of `table`; a table of another tool's shape is refused, unaltered.
pub fn migration_table_shape(d: &mut dyn Driver, table: &str) -> Result<TableShape> {
    let cols: Vec<(String, String)> = d
        .columns(table)?
        .into_iter()
        .map(|c| (c.name, c.data_type))
        .collect();
    match classify(&cols) {
        TableShape::Foreign(cols) => Err(foreign_table_error(table, &cols)),
        shape => Ok(shape),
    }
}

fn foreign_table_error(table: &str, cols: &[String]) -> Error {
    let dbmate = cols.iter().any(|c| c.split(' ').next() == Some("version"));
    let hint = if dbmate {
        format!(
            "this looks like dbmate's table: point migrations.tableName at a table of furrow's own (the default, furrow_migrations, is fine), then run `furrow migrate:adopt --from dbmate --table {table}` to record dbmate's history there"
        )
    } else {
        "point migrations.tableName (or --migrations-table-name) at a table of furrow's own, e.g. furrow_migrations".to_string()
    };
    Error::validation(format!(
        "the migrations table `{table}` was not written by furrow or Knex: its columns are {}, and furrow needs id, name, batch and migration_time; it was left as it is",
        cols.join(", ")
    ))
    .hint(hint)
    .with_data("table", serde_json::json!(table))
    .with_data("columns", serde_json::json!(cols))
}

/// The table of furrow's own lock when `<tableName>_lock` is Knex's.
pub fn furrow_lock_table(table: &str) -> String {
    format!("{table}_furrow_lock")
}

/// Which lock protocol a migrations table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// furrow's lock in `<tableName>_lock`.
    Furrow,
    /// Knex's `is_locked` row in `<tableName>_lock`, furrow's own lock in `<tableName>_furrow_lock`.
    Knex,
}

/// Pure: Knex's protocol when its lock table is there, or when furrow is about to create the
/// lock table of a Knex-written table or of a table named like Knex's.
pub fn lock_mode(table: &str, shape: &TableShape, lock_columns: &[String]) -> LockMode {
    let has = |c: &str| lock_columns.iter().any(|n| n.eq_ignore_ascii_case(c));
    if has("is_locked") {
        LockMode::Knex
    } else if !lock_columns.is_empty() {
        LockMode::Furrow
    } else if *shape == TableShape::Knex || table == "knex_migrations" {
        LockMode::Knex
    } else {
        LockMode::Furrow
    }
}

fn column_names(d: &mut dyn Driver, table: &str) -> Result<Vec<String>> {
    Ok(d.columns(table)?.into_iter().map(|c| c.name).collect())
}

/// The record, in furrow's lock table, that its holder set Knex's `is_locked`: row 2
/// (row 1 is the holder), so a successor can undo it when that holder died.
const CLAIM_ID: i64 = 2;

/// The column of the claim row naming the Knex lock row it set (`knex migrate:unlock`
/// replaces that row, which voids the claim).
const CLAIM_COLUMNS: &[TrackColumn] = &[col("knex_index", TrackType::BigInt, false)];

/// Creates Knex's lock table and its one row as Knex would, and furrow's own lock table.
pub(super) fn ensure_knex_lock_tables(
    d: &mut dyn Driver,
    table: &str,
    lock_columns: &[String],
) -> Result<()> {
    let dialect = d.dialect();
    let knex = super::lock_table(table);
    let q = |c: &str| dialect.quote_ident(c);
    let fail = |e: DbError| {
        e.into_error()
            .context(format!("cannot prepare Knex's lock table `{knex}`"))
    };
    if lock_columns.is_empty() {
        d.execute(&d.knex_lock_table_sql(&knex), &[])
            .map_err(fail)?;
    } else if lock_columns.iter().any(|c| c == "owner") {
        // An older furrow added its columns and its holder rows here; Knex never writes NULL.
        d.execute(
            &format!("DELETE FROM {} WHERE {} IS NULL", q(&knex), q("is_locked")),
            &[],
        )
        .map_err(fail)?;
    }
    let rows = d
        .query(&format!("SELECT COUNT(*) FROM {}", q(&knex)), &[])
        .map_err(fail)?;
    if super::int(&rows[0][0]) == Some(0) {
        d.execute(
            &format!(
                "{} INTO {} ({}, {}) VALUES (1, 0)",
                d.insert_ignore(),
                q(&knex),
                q("index"),
                q("is_locked")
            ),
            &[],
        )
        .map_err(fail)?;
    }
    let own = furrow_lock_table(table);
    ensure_table(d, &own, LOCK_COLUMNS)?;
    ensure_table(d, &own, CLAIM_COLUMNS)
}

/// Decides the lock protocol before creating anything (the lock table's columns are read
/// before the migrations table is completed), then creates what is missing.
pub(super) fn ensure_lock_tables(
    d: &mut dyn Driver,
    table: &str,
    shape: &TableShape,
) -> Result<()> {
    let lock_columns = column_names(d, &super::lock_table(table))?;
    match lock_mode(table, shape, &lock_columns) {
        LockMode::Knex => ensure_knex_lock_tables(d, table, &lock_columns),
        LockMode::Furrow
            if LOCK_COLUMNS
                .iter()
                .all(|c| lock_columns.iter().any(|n| n.eq_ignore_ascii_case(c.name))) =>
        {
            Ok(())
        }
        LockMode::Furrow => ensure_table(d, &super::lock_table(table), LOCK_COLUMNS),
    }
}

/// The migration lock of one database: furrow's, and Knex's when the table is shared.
#[derive(Debug, Clone)]
pub struct MigrationLock {
    pub spec: LockSpec,
    /// Knex's lock table, when `<tableName>_lock` is Knex's.
    pub knex: Option<String>,
}

/// Reads which protocol the (existing) lock table uses.
pub fn migration_lock(
    d: &mut dyn Driver,
    table: &str,
    database: &str,
    timeout: Duration,
    lease: Duration,
) -> Result<MigrationLock> {
    let mut spec = super::lock_spec(table, database, timeout, lease);
    let cols = column_names(d, &spec.table)?;
    if cols.iter().any(|c| c.eq_ignore_ascii_case("is_locked")) {
        let knex = std::mem::replace(&mut spec.table, furrow_lock_table(table));
        return Ok(MigrationLock {
            spec,
            knex: Some(knex),
        });
    }
    Ok(MigrationLock { spec, knex: None })
}

/// Runs `body` holding furrow's lock and, on a table shared with Knex, Knex's lock too
/// (taken after furrow's, released before it).
pub fn with_migration_lock<T>(
    d: &mut dyn Driver,
    lock: &MigrationLock,
    out: &Output,
    body: impl FnOnce(&mut dyn Driver) -> Result<T>,
) -> Result<T> {
    let Some(knex) = &lock.knex else {
        return super::with_lock(d, &lock.spec, out, body);
    };
    super::with_lock(d, &lock.spec, out, |d| {
        let me = crate::process::me();
        acquire_knex(d, &lock.spec, knex, &me, out)?;
        let result = body(d);
        // As in with_lock: an interrupt still on its way must not land on the clean-up.
        // The outer with_lock puts the hook back once its own clean-up is done too.
        crate::interrupt::quiesce();
        if result.is_err() {
            let _ = d.rollback();
        }
        let released = release_knex(d, &lock.spec.table, knex, &me);
        match (result, released) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) => Err(e.context(format!(
                "the work is done, but setting is_locked = 0 in Knex's lock table `{knex}` failed; `furrow migrate:unlock` clears it"
            ))),
            (Err(e), _) => Err(e),
        }
    })
}

/// A claim row of furrow's lock table: who set Knex's is_locked, on which Knex row.
struct Claim {
    owner: String,
    host: String,
    pid: i64,
    knex_index: Option<i64>,
}

fn read_claim(d: &mut dyn Driver, own: &str) -> std::result::Result<Option<Claim>, DbError> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    let rows = d.query(
        &format!(
            "SELECT {}, {}, {}, {} FROM {} WHERE {} = ?",
            q("owner"),
            q("host"),
            q("pid"),
            q("knex_index"),
            q(own),
            q("id")
        ),
        &[Value::Int(CLAIM_ID)],
    )?;
    Ok(rows.into_iter().next().map(|r| Claim {
        owner: super::text(&r[0]).unwrap_or_default(),
        host: super::text(&r[1]).unwrap_or_default(),
        pid: super::int(&r[2]).unwrap_or(0),
        knex_index: super::int(&r[3]),
    }))
}

fn in_transaction<T>(
    d: &mut dyn Driver,
    work: impl FnOnce(&mut dyn Driver) -> std::result::Result<T, DbError>,
) -> std::result::Result<T, DbError> {
    d.begin()?;
    match work(d) {
        Ok(v) => {
            d.commit()?;
            Ok(v)
        }
        Err(e) => {
            let _ = d.rollback();
            Err(e)
        }
    }
}

/// Takes Knex's lock, holding furrow's: first undoes an `is_locked` left by a furrow that
/// died holding it (furrow's lock is ours now, so its holder is gone), then waits for Knex up
/// to lockTimeout.
fn acquire_knex(
    d: &mut dyn Driver,
    spec: &LockSpec,
    knex: &str,
    me: &Holder,
    out: &Output,
) -> Result<()> {
    // Knex (on MySQL) holds its row in an open transaction while its migrations run: a
    // lock wait of our own must not outlast lockTimeout, so each try waits briefly.
    let saved = d.shorten_lock_waits()?;
    let result = acquire_knex_waiting(d, spec, knex, me, out);
    let restored = d.restore_lock_waits(saved).map_err(|e| e.into_error());
    result.and(restored)
}

fn acquire_knex_waiting(
    d: &mut dyn Driver,
    spec: &LockSpec,
    knex: &str,
    me: &Holder,
    out: &Output,
) -> Result<()> {
    let fail = |e: DbError| {
        e.into_error()
            .context(format!("cannot take Knex's lock in `{knex}`"))
    };
    let cleared =
        in_transaction(d, |d| clear_dead_claim(d, &spec.table, knex, me)).map_err(fail)?;
    if let Some(c) = cleared {
        out.note(format!(
            "Cleared Knex's lock `{knex}`: it was set by furrow process {} on host {}, which is gone",
            c.pid, c.host
        ));
    }
    let start = Instant::now();
    let mut announced = false;
    let mut pause = Duration::from_millis(20);
    loop {
        crate::interrupt::check()?;
        match in_transaction(d, |d| try_knex_lock(d, &spec.table, knex, me)) {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            // MySQL 1205: Knex holds the row in its open transaction (a lock wait timeout).
            Err(e) if e.code.as_deref() == Some("1205") => {}
            Err(e) => return Err(fail(e)),
        }
        let waited = start.elapsed();
        if waited >= spec.timeout {
            return Err(Error::new(
                Kind::Lock,
                format!(
                    "Knex holds the migration lock `{knex}` (is_locked = 1, or a Knex transaction holds its row); waited {}s (lockTimeout)",
                    seconds(spec.timeout)
                ),
            )
            .hint(
                "wait for the Knex migration to finish and run furrow again, or raise lockTimeout; if no Knex migration is running, a Knex process died holding it: `knex migrate:unlock` or `furrow migrate:unlock` clears it"
            )
            .with_data("knex_lock_table", serde_json::json!(knex))
            .detail("nothing was run"));
        }
        if !announced {
            out.note(format!(
                "Waiting for Knex's migration lock `{knex}` (is_locked = 1) (up to {}s)…",
                seconds(spec.timeout)
            ));
            announced = true;
        }
        sleep(pause.min(spec.timeout.saturating_sub(waited)));
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// A claim left by a furrow process that is gone (holding furrow's lock proves it): clears
/// the `is_locked` it set and the claim. A claim on a row that `knex migrate:unlock` has
/// replaced since is void.
fn clear_dead_claim(
    d: &mut dyn Driver,
    own: &str,
    knex: &str,
    me: &Holder,
) -> std::result::Result<Option<Claim>, DbError> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    let Some(claim) = read_claim(d, own)? else {
        return Ok(None);
    };
    if claim.owner == me.owner {
        return Ok(None);
    }
    let changed = match claim.knex_index {
        Some(index) => d.execute(
            &format!(
                "UPDATE {} SET {} = 0 WHERE {} = ? AND {} <> 0",
                q(knex),
                q("is_locked"),
                q("index"),
                q("is_locked")
            ),
            &[Value::Int(index)],
        )?,
        None => 0,
    };
    d.execute(
        &format!("DELETE FROM {} WHERE {} = ?", q(own), q("id")),
        &[Value::Int(CLAIM_ID)],
    )?;
    Ok((changed > 0).then_some(claim))
}

/// One try at Knex's lock, as Knex takes it (`is_locked` 0 → 1), with furrow's claim beside
/// it in the same transaction. `false`: Knex (or another tool) holds it.
fn try_knex_lock(
    d: &mut dyn Driver,
    own: &str,
    knex: &str,
    me: &Holder,
) -> std::result::Result<bool, DbError> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    let lock_read = d.locking_read();
    let free = d.query(
        &format!(
            "SELECT MIN({}) FROM {} WHERE {} = 0{lock_read}",
            q("index"),
            q(knex),
            q("is_locked")
        ),
        &[],
    )?;
    let Some(index) = free.first().and_then(|r| super::int(&r[0])) else {
        return Ok(false);
    };
    let changed = d.execute(
        &format!(
            "UPDATE {} SET {} = 1 WHERE {} = 0",
            q(knex),
            q("is_locked"),
            q("is_locked")
        ),
        &[],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    let upsert = d.insert_or_replace();
    d.execute(
        &format!(
            "{upsert} INTO {} ({}, {}, {}, {}, {}, {}) VALUES (?, ?, ?, ?, ?, ?)",
            q(own),
            q("id"),
            q("owner"),
            q("host"),
            q("pid"),
            q("acquired_at"),
            q("knex_index")
        ),
        &[
            Value::Int(CLAIM_ID),
            Value::Text(me.owner.clone()),
            Value::Text(me.host.clone()),
            Value::Int(me.pid),
            Value::Text(crate::clock::now_utc()),
            Value::Int(index),
        ],
    )?;
    Ok(true)
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", d.as_secs())
    } else {
        format!("{s}")
    }
}

/// Frees Knex's lock as Knex does (`is_locked = 0`) and drops the claim, in one transaction.
fn release_knex(d: &mut dyn Driver, own: &str, knex: &str, me: &Holder) -> Result<()> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    in_transaction(d, |d| {
        d.execute(
            &format!("UPDATE {} SET {} = 0", q(knex), q("is_locked")),
            &[],
        )?;
        d.execute(
            &format!(
                "DELETE FROM {} WHERE {} = ? AND {} = ?",
                q(own),
                q("id"),
                q("owner")
            ),
            &[Value::Int(CLAIM_ID), Value::Text(me.owner.clone())],
        )?;
        Ok(())
    })
    .map_err(|e| e.into_error())
}

/// `migrate:unlock` on a table shared with Knex: resets Knex's lock as `knex migrate:unlock`
/// does (its rows deleted, one `is_locked = 0` row inserted). Returns whether it was set.
pub fn force_unlock_knex(d: &mut dyn Driver, knex: &str) -> Result<bool> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    in_transaction(d, |d| {
        let held = d.query(
            &format!(
                "SELECT COUNT(*) FROM {} WHERE {} <> 0",
                q(knex),
                q("is_locked")
            ),
            &[],
        )?;
        d.execute(&format!("DELETE FROM {}", q(knex)), &[])?;
        d.execute(
            &format!("INSERT INTO {} ({}) VALUES (0)", q(knex), q("is_locked")),
            &[],
        )?;
        Ok(held.first().and_then(|r| super::int(&r[0])).unwrap_or(0) > 0)
    })
    .map_err(|e| {
        e.into_error()
            .context(format!("cannot clear Knex's lock in `{knex}`"))
    })
}

/// `migrate:adopt`: one applied row, inserted with the columns every furrow version has.
pub fn insert_adopted(
    d: &mut dyn Driver,
    table: &str,
    name: &str,
    batch: i64,
    checksum: &str,
) -> Result<()> {
    let dialect = d.dialect();
    let q = |c: &str| dialect.quote_ident(c);
    d.execute(
        &format!(
            "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES (?, ?, ?, ?, ?)",
            q(table),
            q("name"),
            q("batch"),
            q("migration_time"),
            q("checksum"),
            q("state")
        ),
        &[
            Value::Text(name.to_string()),
            Value::Int(batch),
            Value::Text(crate::clock::now_utc()),
            Value::Text(checksum.to_string()),
            Value::Text("applied".to_string()),
        ],
    )
    .map(|_| ())
    .map_err(|e| e.into_error().context(format!("cannot record `{name}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), "INTEGER".to_string()))
            .collect()
    }

    #[test]
    fn tables_are_classified_by_their_columns() {
        assert_eq!(classify(&[]), TableShape::Absent);
        assert_eq!(
            classify(&cols(&["id", "name", "batch", "migration_time"])),
            TableShape::Knex
        );
        let all: Vec<&str> = MIGRATION_COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(classify(&cols(&all)), TableShape::Furrow);
        assert_eq!(
            classify(&[("version".into(), "VARCHAR(128)".into())]),
            TableShape::Foreign(vec!["version varchar(128)".into()])
        );
    }

    #[test]
    fn knex_protocol_when_its_lock_table_or_its_table_is_there() {
        let none: Vec<String> = vec![];
        let knex_lock = vec!["index".to_string(), "is_locked".to_string()];
        let ours = vec!["id".to_string(), "owner".to_string()];
        assert_eq!(
            lock_mode("furrow_migrations", &TableShape::Furrow, &knex_lock),
            LockMode::Knex
        );
        assert_eq!(
            lock_mode("knex_migrations", &TableShape::Furrow, &ours),
            LockMode::Furrow
        );
        assert_eq!(
            lock_mode("migrations", &TableShape::Knex, &none),
            LockMode::Knex
        );
        assert_eq!(
            lock_mode("knex_migrations", &TableShape::Absent, &none),
            LockMode::Knex
        );
        assert_eq!(
            lock_mode("furrow_migrations", &TableShape::Absent, &none),
            LockMode::Furrow
        );
    }

    #[test]
    fn knex_lock_table_ddl_is_knexs() {
        assert_eq!(
            crate::db::sqlite::knex_lock_table("knex_migrations_lock"),
            "CREATE TABLE IF NOT EXISTS \"knex_migrations_lock\" (\"index\" integer not null primary key autoincrement, \"is_locked\" integer)"
        );
    }

    #[test]
    fn foreign_tables_name_their_columns_and_the_way_in() {
        let e = foreign_table_error("schema_migrations", &["version varchar(128)".into()]);
        assert!(e.message.contains("`schema_migrations`"));
        assert!(e.message.contains("version varchar(128)"));
        assert!(e
            .hint
            .unwrap()
            .contains("furrow migrate:adopt --from dbmate --table schema_migrations"));
    }
}
