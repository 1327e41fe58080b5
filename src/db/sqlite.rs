//! SQLite through rusqlite (bundled): one connection, foreign keys on, busy waits bounded.

use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};

use super::load::{self, LoadError, LoadSpec, LoadStats, RowSource, SeedMode};
use super::{
    canonical_int, ColumnInfo, DbError, DbResult, Dialect, Driver, Holder, LockSpec, OpenMode,
    Session, Value,
};
use crate::config::SqlitePath;
use crate::error::{Error, Result};

pub struct SqliteDriver {
    conn: Connection,
    busy_timeout: Duration,
    /// The database file as shown in messages.
    path: String,
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Float(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn from_ref(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

impl SqliteDriver {
    pub fn open(path: &SqlitePath, mode: OpenMode, busy_timeout: Duration) -> Result<Self> {
        let shown = describe(path);
        let conn = match path {
            SqlitePath::Memory => Connection::open_in_memory(),
            SqlitePath::File(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if !dir.is_dir() {
                        return Err(Error::connection(format!(
                            "cannot open the SQLite database {}: its directory {} does not exist",
                            p.display(),
                            dir.display()
                        ))
                        .hint(format!(
                            "create it (mkdir -p {}) or fix `connection.filename` in the knexfile",
                            dir.display()
                        )));
                    }
                }
                check_header(p)?;
                match mode {
                    // A dry run never creates the file: a missing one reads as an empty database.
                    OpenMode::ReadOnly if !p.exists() => Connection::open_in_memory(),
                    OpenMode::ReadOnly => Connection::open_with_flags(
                        p,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    ),
                    OpenMode::ReadWrite => Connection::open(p),
                }
            }
        }
        .map_err(|e| {
            Error::connection(format!("cannot open the SQLite database {shown}: {e}")).hint(
                "check that this user may read and write the file and its directory, or fix `connection.filename` in the knexfile",
            )
        })?;
        // Double-quoted strings are identifiers only: SQLite's fallback would turn a
        // misspelt column ("emial") into a string constant, silently (and not on MySQL).
        for flag in [
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL,
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML,
        ] {
            let _ = conn.set_db_config(flag, false);
        }
        // SQLite silently opens a write-protected file read-only: say so now, not at the
        // first write (which is the lock, and would seem to blame it).
        if mode == OpenMode::ReadWrite && conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::connection(format!(
                "cannot write to the SQLite database {shown}: this user may only read it"
            ))
            .hint(READ_ONLY_HINT));
        }
        let d = SqliteDriver {
            conn,
            busy_timeout,
            path: shown,
        };
        d.conn
            .busy_timeout(busy_timeout)
            .and_then(|_| d.conn.execute_batch("PRAGMA foreign_keys = ON"))
            .map_err(|e| {
                Error::connection(format!("cannot open the SQLite database {}: {e}", d.path))
            })?;
        Ok(d)
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn err(&self, e: rusqlite::Error) -> DbError {
        let (failure, msg) = match &e {
            rusqlite::Error::SqliteFailure(f, msg) => (*f, msg.clone()),
            rusqlite::Error::SqlInputError {
                error,
                msg,
                sql,
                offset,
            } => (
                *error,
                // rusqlite quotes the whole statement: a few hundred characters are enough.
                Some(format!(
                    "{msg} in {} at offset {offset}",
                    crate::text::cut(sql)
                )),
            ),
            _ => return DbError::new(e.to_string()),
        };
        let mut out = DbError::new(msg.unwrap_or_else(|| failure.to_string()));
        out.code = Some(format!("{:?}", failure.code));
        match failure.code {
            ErrorCode::OperationInterrupted => out.interrupted = true,
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                out.message = format!(
                    "the database is locked by another process (waited {}s): {}",
                    self.busy_timeout.as_secs(),
                    out.message
                );
            }
            ErrorCode::NotADatabase => {
                out.message = format!(
                    "{} is not a SQLite database ({}): {NOT_A_DATABASE_HINT}",
                    self.path, out.message
                );
            }
            ErrorCode::ReadOnly => {
                out.message = format!(
                    "cannot write to the SQLite database {} ({}): {READ_ONLY_HINT}",
                    self.path, out.message
                );
            }
            ErrorCode::CannotOpen => {
                out.message = format!(
                    "cannot open a file of the SQLite database {} ({}): {READ_ONLY_HINT}",
                    self.path, out.message
                );
            }
            _ => {}
        }
        out
    }

    fn bind_and_run<T>(
        &self,
        sql: &str,
        params: &[Value],
        mut each_row: impl FnMut(&rusqlite::Row<'_>) -> T,
    ) -> DbResult<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        for (i, p) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, p).map_err(|e| self.err(e))?;
        }
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            out.push(each_row(row));
        }
        Ok(out)
    }

    /// Runs one multi-row INSERT of the first `rows` rows of `buf`; returns the rows changed.
    /// When it fails, the rows are replayed one by one (SQLite undoes just the failed
    /// statement) to name the row at fault.
    fn insert_batch(
        &self,
        spec: &LoadSpec<'_>,
        sql: &str,
        buf: &[Value],
        rows: usize,
        integer: &[bool],
        first: u64,
    ) -> Result<u64, LoadError> {
        let width = spec.columns.len().max(1);
        let run = |sql: &str, values: &[Value]| -> rusqlite::Result<usize> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Text(t) if integer[i % width] => match canonical_int(t) {
                        Some(n) => stmt.raw_bind_parameter(i + 1, n)?,
                        None => stmt.raw_bind_parameter(i + 1, v)?,
                    },
                    _ => stmt.raw_bind_parameter(i + 1, v)?,
                }
            }
            stmt.raw_execute()
        };
        match run(sql, &buf[..rows * width]) {
            Ok(c) => Ok(c as u64),
            Err(e) if rows == 1 || !self.may_search_for_the_row(&e) => Err(LoadError {
                error: self.err(e).into_error(),
                rows: (first, first + rows as u64 - 1),
            }),
            Err(e) => {
                let one = load::insert_sql(Dialect::Sqlite, spec, 1);
                for r in 0..rows {
                    if let Err(e) = run(&one, &buf[r * width..(r + 1) * width]) {
                        let at = first + r as u64;
                        return Err(LoadError {
                            error: self.err(e).into_error(),
                            rows: (at, at),
                        });
                    }
                }
                Err(LoadError {
                    error: self.err(e).into_error(),
                    rows: (first, first + rows as u64 - 1),
                })
            }
        }
    }

    /// After a failed batch, replaying its rows one by one to name the bad one is safe only
    /// for a constraint error inside a transaction that is still open: SQLite ends the
    /// transaction itself on SQLITE_FULL, SQLITE_INTERRUPT, I/O errors …, and each replayed
    /// row would then commit on its own.
    fn may_search_for_the_row(&self, e: &rusqlite::Error) -> bool {
        let constraint = matches!(
            e,
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch)
        );
        constraint && !self.conn.is_autocommit() && !crate::interrupt::requested()
    }

    fn holder(&self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        let sql = format!(
            "SELECT owner, host, pid, acquired_at FROM {} WHERE id = 1",
            Dialect::Sqlite.quote_ident(&spec.table)
        );
        let rows = self.bind_and_run(&sql, &[], |r| Holder {
            owner: r.get(0).unwrap_or_default(),
            host: r.get(1).unwrap_or_default(),
            pid: r.get(2).unwrap_or_default(),
            since: r.get(3).unwrap_or_default(),
        })?;
        Ok(rows.into_iter().next())
    }
}

const READ_ONLY_HINT: &str = "check that this user may write the file and its directory (SQLite writes a journal file beside the database), or fix `connection.filename` in the knexfile";
const NOT_A_DATABASE_HINT: &str =
    "check `connection.filename` in the knexfile: it names a file that is not a SQLite database";

/// A file that exists, is not empty and does not start as every SQLite database does is
/// refused before SQLite reads it (it would say only "file is not a database", later).
fn check_header(p: &std::path::Path) -> Result<()> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let Ok(mut f) = std::fs::File::open(p) else {
        return Ok(()); // missing (created later) or unreadable (SQLite says which)
    };
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Ok(()),
        }
    }
    if head[..n] == MAGIC[..n] {
        return Ok(());
    }
    Err(Error::connection(format!(
        "cannot open the SQLite database {}: the file is not a SQLite database",
        p.display()
    ))
    .hint(NOT_A_DATABASE_HINT))
}

fn describe(path: &SqlitePath) -> String {
    match path {
        SqlitePath::Memory => ":memory:".into(),
        SqlitePath::File(p) => p.display().to_string(),
    }
}

impl Driver for SqliteDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        // Statements that return rows (PRAGMA, SELECT) are run to the end too.
        self.bind_and_run(sql, params, |_| ())?;
        Ok(self.conn.changes())
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Vec<Value>>> {
        self.bind_and_run(sql, params, |r| {
            let n = r.as_ref().column_count();
            (0..n).map(|i| from_ref(r.get_ref_unwrap(i))).collect()
        })
    }

    fn begin(&mut self) -> DbResult<()> {
        // IMMEDIATE takes the write lock now, so two writers never deadlock on an upgrade.
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))
    }

    fn commit(&mut self) -> DbResult<()> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))
    }

    fn rollback(&mut self) -> DbResult<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(|e| self.err(e))
    }

    fn table_exists(&mut self, table: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
            &[Value::Text(table.to_string())],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }

    fn columns(&mut self, table: &str) -> DbResult<Vec<ColumnInfo>> {
        let sql = format!("PRAGMA table_info({})", Dialect::Sqlite.quote_ident(table));
        self.bind_and_run(&sql, &[], |r| ColumnInfo {
            name: r.get(1).unwrap_or_default(),
            data_type: r.get(2).unwrap_or_default(),
            nullable: r.get::<_, i64>(3).unwrap_or(0) == 0,
            default: r.get(4).ok(),
            primary_key: r.get::<_, i64>(5).unwrap_or(0) as usize,
        })
    }

    fn commits_implicitly(&self, _sql: &str) -> bool {
        false
    }

    fn session_after(&mut self, _sql: &str, _before: Session) -> DbResult<Session> {
        Ok(Session {
            autocommit: true,
            in_transaction: !self.conn.is_autocommit(),
        })
    }

    fn may_commit(&self, sql: &str, before: Session) -> bool {
        // `RELEASE sp` of the outermost savepoint commits too.
        !before.in_transaction
            || crate::sql::is_transaction_control(sql)
            || crate::sql::first_word(sql) == "RELEASE"
    }

    fn is_session_setting(&self, sql: &str) -> bool {
        crate::sql::first_word(sql) == "PRAGMA"
    }

    fn object_exists(&mut self, kind: &str, name: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2 COLLATE NOCASE",
            &[Value::Text(kind.to_string()), Value::Text(name.to_string())],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }

    fn try_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<Option<Holder>> {
        // A cheap read first: while a live runner holds the lock, no write lock is needed.
        if let Some(h) = self.holder(spec)? {
            if h.owner != me.owner && crate::process::holder_alive(&h) {
                return Ok(Some(h));
            }
        }
        self.begin()?;
        let result = (|| {
            let current = self.holder(spec)?;
            let table = Dialect::Sqlite.quote_ident(&spec.table);
            match current {
                Some(h) if h.owner != me.owner && crate::process::holder_alive(&h) => Ok(Some(h)),
                _ => {
                    // Free, ours, or left by a runner that died (kill -9): take it.
                    self.execute(
                        &format!(
                            "INSERT OR REPLACE INTO {table} (id, owner, host, pid, acquired_at) VALUES (1, ?1, ?2, ?3, ?4)"
                        ),
                        &[
                            Value::Text(me.owner.clone()),
                            Value::Text(me.host.clone()),
                            Value::Int(me.pid),
                            Value::Text(me.since.clone()),
                        ],
                    )?;
                    Ok(None)
                }
            }
        })();
        match result {
            Ok(r) => {
                self.commit()?;
                Ok(r)
            }
            Err(e) => {
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    fn release_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<()> {
        let _ = self.rollback();
        let sql = format!(
            "DELETE FROM {} WHERE id = 1 AND owner = ?1",
            Dialect::Sqlite.quote_ident(&spec.table)
        );
        self.execute(&sql, &[Value::Text(me.owner.clone())])
            .map(|_| ())
    }

    fn force_unlock(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        let held = self.holder(spec)?;
        let sql = format!("DELETE FROM {}", Dialect::Sqlite.quote_ident(&spec.table));
        self.execute(&sql, &[])?;
        Ok(held)
    }

    fn interrupter(&self) -> Box<dyn Fn() + Send + Sync> {
        let handle = self.conn.get_interrupt_handle();
        Box::new(move || handle.interrupt())
    }

    fn unique_keys(&mut self, table: &str) -> DbResult<Vec<Vec<String>>> {
        let mut keys = Vec::new();
        let pk = self.primary_key(table)?;
        if !pk.is_empty() {
            keys.push(pk);
        }
        let q = Dialect::Sqlite.quote_ident(table);
        let indexes = self.bind_and_run(&format!("PRAGMA index_list({q})"), &[], |r| {
            (
                r.get::<_, String>(1).unwrap_or_default(),
                r.get::<_, i64>(2).unwrap_or(0),
                r.get::<_, i64>(4).unwrap_or(0),
            )
        })?;
        for (name, unique, partial) in indexes {
            if unique == 1 && partial == 0 {
                let cols = self.bind_and_run(
                    &format!("PRAGMA index_info({})", Dialect::Sqlite.quote_ident(&name)),
                    &[],
                    |r| r.get::<_, Option<String>>(2).unwrap_or_default(),
                )?;
                if cols.iter().all(Option::is_some) {
                    keys.push(cols.into_iter().flatten().collect());
                }
            }
        }
        Ok(keys)
    }

    fn load(
        &mut self,
        spec: &LoadSpec<'_>,
        src: &mut (dyn RowSource + Send),
        progress: &mut dyn FnMut(u64),
    ) -> Result<LoadStats, LoadError> {
        if spec.mode.uses_key() && !spec.key_unique {
            return load::load_by_lookup(self, spec, src, progress);
        }
        let count_sql = format!(
            "SELECT COUNT(*) FROM {}",
            Dialect::Sqlite.quote_ident(spec.table)
        );
        let count = |d: &Self| -> Result<u64, LoadError> {
            d.conn
                .query_row(&count_sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| LoadError::from(d.err(e).into_error()))
        };
        let before = if spec.mode == SeedMode::Upsert {
            count(self)?
        } else {
            0
        };
        // Text bound to an INTEGER-affinity column is converted by SQLite anyway; binding
        // canonical integers as integers stores the same and saves that work on every row.
        let integer =
            load::integer_columns(self, spec, |ty| ty.to_ascii_uppercase().contains("INT"))?;
        // Multi-row statements of up to 128 rows: SQLite's per-statement work (a VM run, a
        // halt) is paid once per batch instead of once per row.
        let width = spec.columns.len().max(1);
        let per = (32_000 / width).clamp(1, 128);
        let full_sql = load::insert_sql(Dialect::Sqlite, spec, per);
        // A second thread reads rows (parsing CSV is a good part of the work) while this one
        // binds and runs them, 8 statements' worth at a time.
        let mut changed = 0u64;
        let n = load::pipelined(src, width, per * 8, &mut |chunk, rows, first| {
            for start in (0..rows).step_by(per) {
                let count = per.min(rows - start);
                let partial;
                let sql: &str = if count == per {
                    &full_sql
                } else {
                    partial = load::insert_sql(Dialect::Sqlite, spec, count);
                    &partial
                };
                let values = &chunk[start * width..(start + count) * width];
                changed +=
                    self.insert_batch(spec, sql, values, count, &integer, first + start as u64)?;
            }
            progress(first + rows as u64 - 1);
            Ok(())
        })?;
        progress(n);
        Ok(match spec.mode {
            SeedMode::Insert | SeedMode::Replace => LoadStats {
                inserted: n,
                ..Default::default()
            },
            SeedMode::InsertMissing => LoadStats {
                inserted: changed,
                unchanged: n - changed,
                ..Default::default()
            },
            SeedMode::Upsert => {
                let inserted = count(self)? - before;
                LoadStats {
                    inserted,
                    updated: changed - inserted,
                    unchanged: n - changed,
                    deleted: 0,
                }
            }
        })
    }

    fn index_exists(&mut self, table: &str, name: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND name = ?2",
            &[
                Value::Text(table.to_string()),
                Value::Text(name.to_string()),
            ],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }

    fn foreign_keys_on(&mut self, _table: &str, _columns: &[String]) -> DbResult<Vec<String>> {
        // SQLite's foreign keys have no names of their own: a rebuild drops them with the column.
        Ok(Vec::new())
    }

    fn relax_foreign_keys(&mut self, relax: bool) -> DbResult<()> {
        // Deferred to commit (SQLite switches this off by itself at every commit).
        if relax {
            self.conn
                .execute_batch("PRAGMA defer_foreign_keys = ON")
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn sqlite_master(&mut self, table: &str) -> DbResult<Option<crate::schema::LiveTable>> {
        let create = self.bind_and_run(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            &[Value::Text(table.to_string())],
            |r| r.get::<_, String>(0).unwrap_or_default(),
        )?;
        let Some(create_sql) = create.into_iter().next() else {
            return Ok(None);
        };
        let dependents = self.bind_and_run(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?1 AND type IN ('index', 'trigger') ORDER BY rowid",
            &[Value::Text(table.to_string())],
            |r| {
                (
                    r.get::<_, String>(0).unwrap_or_default(),
                    r.get::<_, String>(1).unwrap_or_default(),
                    r.get::<_, Option<String>>(2).unwrap_or_default(),
                )
            },
        )?;
        Ok(Some(crate::schema::LiveTable {
            create_sql,
            dependents,
        }))
    }

    fn set_foreign_keys(&mut self, on: bool) -> DbResult<()> {
        let sql = if on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        };
        self.conn.execute_batch(sql).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use crate::db::canonical_int;

    #[test]
    fn only_canonical_integers_are_bound_as_integers() {
        assert_eq!(canonical_int("12"), Some(12));
        assert_eq!(canonical_int("-3"), Some(-3));
        assert_eq!(canonical_int("0"), Some(0));
        for s in [
            "012",
            "+1",
            "1.0",
            "-0",
            "",
            "-",
            "1e3",
            " 1",
            "9999999999999999999",
        ] {
            assert_eq!(canonical_int(s), None, "{s:?}");
        }
    }
}
