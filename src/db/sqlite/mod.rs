//! SQLite through rusqlite (bundled): one connection, foreign keys on, double-quoted strings
//! off, busy waits bounded. Everything SQLite-specific lives here: seed loading (`load`), the
//! runner lock (`lock`), schema reads (`introspect`), the migration session and the table
//! rebuild with its PRAGMAs (`ddl`, which runs the statements `rebuild` writes).

pub mod catalog;
mod ddl;
mod introspect;
mod load;
mod lock;
pub(crate) mod rebuild;
pub mod scratch;

pub use ddl::{knex_lock_table, tracking_type};

use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, ToSql};

use super::{DbError, DbResult, Dialect, Driver, OpenMode, Value};
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

/// The URI of a named in-memory database shared by the connections of this process.
pub fn shared_uri(name: &str) -> String {
    format!("file:{name}?mode=memory&cache=shared")
}

impl SqliteDriver {
    pub fn open(path: &SqlitePath, mode: OpenMode, busy_timeout: Duration) -> Result<Self> {
        let shown = describe(path);
        let conn = match path {
            SqlitePath::Memory => Connection::open_in_memory(),
            SqlitePath::Shared(name) => Connection::open_with_flags(
                shared_uri(name),
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
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
        SqlitePath::Shared(n) => format!("the in-memory database {n}"),
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

    fn interrupter(&self) -> Box<dyn Fn() + Send + Sync> {
        let handle = self.conn.get_interrupt_handle();
        Box::new(move || handle.interrupt())
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
