//! The small driver surface both engines implement; everything else is written once on top.

pub use crate::process::Holder;
pub use crate::value::*;

pub mod load;

pub mod mysql;
pub mod sqlite;

use std::fmt;
use std::time::Duration;

use crate::config::{Config, Connection};
use crate::error::{Error, Result};

/// A failed database call, as the engine reported it.
#[derive(Debug, Clone)]
pub struct DbError {
    pub message: String,
    /// The engine's error code (SQLite extended code name, MySQL error number).
    pub code: Option<String>,
    /// The statement was cut short by Ctrl-C.
    pub interrupted: bool,
    /// The connection is gone: nothing more can be sent on it.
    pub connection_lost: bool,
}

impl DbError {
    pub fn new(message: impl Into<String>) -> Self {
        DbError {
            message: message.into(),
            code: None,
            interrupted: false,
            connection_lost: false,
        }
    }

    /// Turns the engine error into the tool's error (or Interrupted after Ctrl-C).
    pub fn into_error(self) -> Error {
        if self.interrupted || crate::interrupt::requested() {
            Error::interrupted()
        } else {
            Error::database(self.message)
        }
    }
}

/// `?` on a database call inside a function returning the tool's `Result`.
impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        e.into_error()
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type DbResult<T> = std::result::Result<T, DbError>;

/// One column of a live table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    /// The declared type as the engine reports it (e.g. `VARCHAR(50)`, `int(10) unsigned`).
    pub data_type: String,
    pub nullable: bool,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub primary_key: usize,
    pub default: Option<String>,
}

/// A runner lock: one for migrations, one for seeds.
#[derive(Debug, Clone)]
pub struct LockSpec {
    /// The table that records the holder (`<tableName>_lock`).
    pub table: String,
    /// A name unique to this database and runner kind (MySQL's GET_LOCK name).
    pub name: String,
    pub timeout: Duration,
    /// On a cluster (Galera), how long the lease row holds without being renewed.
    pub lease: Duration,
}

/// How to open the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the database file if needed; the normal case.
    ReadWrite,
    /// `--dry-run`: change nothing, create nothing (a missing SQLite file reads as empty).
    ReadOnly,
}

/// The transaction state of the session that runs a migration's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub autocommit: bool,
    /// A transaction is open: what ran since it began commits only with it.
    pub in_transaction: bool,
}

impl Session {
    /// A new (or reset) connection.
    pub const FRESH: Session = Session {
        autocommit: true,
        in_transaction: false,
    };
}

/// The engine behind one pinned connection: the small core every caller needs. What an
/// engine does beyond it sits in the capability traits below, which every driver implements.
pub trait Driver: Introspect + RunnerLock + BulkLoad + Statements + DdlSteps {
    fn dialect(&self) -> Dialect;

    /// A tracking table's name as SQL, unambiguous whatever the session's current database
    /// (MySQL qualifies it with the configured database).
    fn table_ref(&self, table: &str) -> String {
        self.dialect().quote_ident(table)
    }

    /// Runs one statement with bound parameters; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64>;

    /// Runs one query and returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Vec<Value>>>;

    fn begin(&mut self) -> DbResult<()>;
    fn commit(&mut self) -> DbResult<()>;
    fn rollback(&mut self) -> DbResult<()>;

    /// A function that interrupts the statement running on this connection (Ctrl-C).
    fn interrupter(&self) -> Box<dyn Fn() + Send + Sync>;
}

/// Reading the live schema.
pub trait Introspect {
    fn table_exists(&mut self, table: &str) -> DbResult<bool>;

    /// The columns of a live table, in order (empty when it does not exist).
    fn columns(&mut self, table: &str) -> DbResult<Vec<ColumnInfo>>;

    /// The primary key columns of a live table, in key order.
    fn primary_key(&mut self, table: &str) -> DbResult<Vec<String>> {
        let mut cols: Vec<ColumnInfo> = self
            .columns(table)?
            .into_iter()
            .filter(|c| c.primary_key > 0)
            .collect();
        cols.sort_by_key(|c| c.primary_key);
        Ok(cols.into_iter().map(|c| c.name).collect())
    }

    /// The primary key and every unique index of a live table, as column lists.
    fn unique_keys(&mut self, table: &str) -> DbResult<Vec<Vec<String>>>;

    /// Whether `table` has an index called `name`.
    fn index_exists(&mut self, table: &str, name: &str) -> DbResult<bool>;

    /// The names of the foreign keys of `table` that use any of `columns`.
    fn foreign_keys_on(&mut self, table: &str, columns: &[String]) -> DbResult<Vec<String>>;

    /// Whether a table or view of this name exists (names compared without case).
    fn object_exists(&mut self, kind: &str, name: &str) -> DbResult<bool>;

    /// The name of the table called `table` as the database spells it (compared without
    /// case), or None when there is none.
    fn table_named(&mut self, table: &str) -> DbResult<Option<String>>;

    /// Every column that is part of an index (or the primary key) of `table`, lower-cased,
    /// with whether that index is unique.
    fn indexed_columns(&mut self, table: &str) -> DbResult<Vec<(String, bool)>>;

    /// The tables whose foreign keys reference `table`.
    fn referencing_tables(&mut self, table: &str) -> DbResult<Vec<String>>;

    /// About how many rows `table` has (MySQL: the statistics' estimate; SQLite: a count).
    fn row_estimate(&mut self, table: &str) -> DbResult<u64>;

    /// How many rows the server expects a DML statement to touch (its plan's estimate;
    /// nothing is run). None where the engine does not say.
    fn rows_touched(&mut self, _sql: &str) -> DbResult<Option<u64>> {
        Ok(None)
    }

    /// On a Galera node: its name and the limits it puts on what a migration or seed may do.
    fn cluster_facts(&mut self) -> DbResult<Option<ClusterFacts>> {
        Ok(None)
    }
}

/// What a Galera node is, and what it refuses or silently does not replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterFacts {
    /// `wsrep_node_name`.
    pub node: String,
    /// `default_storage_engine`: what a `CREATE TABLE` without `ENGINE=` gets.
    pub default_engine: String,
    /// `wsrep_max_ws_size`: the largest write set (bytes) one transaction may replicate.
    pub max_ws_size: u64,
    /// `wsrep_max_ws_rows`: the most rows one transaction may write (0: no limit).
    pub max_ws_rows: u64,
}

/// The runner lock, one per runner kind and database.
pub trait RunnerLock {
    /// Tries once to take the lock: `None` when taken, `Some(holder)` when another runner has it.
    /// A holder that is known to be dead is replaced.
    fn try_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<Option<Holder>>;

    /// Releases a lock this runner holds.
    fn release_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<()>;

    /// `migrate:unlock`: clears the lock whoever holds it; returns who held it.
    fn force_unlock(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>>;

    /// Who holds the lock right now, if a live runner does (for `migrate:status`).
    fn current_holder(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>>;
}

/// Loading seed rows.
pub trait BulkLoad {
    /// Loads rows into one table in one of the seed modes, inside the caller's transaction,
    /// by the engine's bulk path (`load::load` picks the row-by-row one where no unique index
    /// backs the key). `progress` is told how many rows were pulled so far, now and then.
    fn load(
        &mut self,
        spec: &load::LoadSpec<'_>,
        rows: &mut (dyn load::RowSource + Send),
        progress: &mut dyn FnMut(u64),
    ) -> Result<load::LoadStats, load::LoadError>;

    /// Seeds with `foreign_key_checks: false`: lets rows be loaded in any order
    /// (SQLite defers the checks to commit; MySQL turns them off for the session).
    fn relax_foreign_keys(&mut self, relax: bool) -> DbResult<()>;
}

/// Running a migration's statements: what commits, and the session they run in.
pub trait Statements: Introspect {
    /// True when the engine commits on its own before or after this statement (MySQL DDL),
    /// so a transaction cannot make the migration atomic.
    fn commits_implicitly(&self, sql: &str) -> bool;

    /// A second connection to the same database for the statements of migrations, so that
    /// what they do to their session (SET AUTOCOMMIT=0, LOCK TABLES, USE) cannot reach the
    /// runner's lock and bookkeeping. `None`: run them on this connection (SQLite).
    fn open_session(&self) -> DbResult<Option<Box<dyn Driver>>> {
        Ok(None)
    }

    /// Ends what a migration left in its session: an open transaction (rolled back), table
    /// locks, variables, the current database; the next migration starts as on a new
    /// connection.
    fn reset_session(&mut self) -> DbResult<()>;

    /// The session's state after `sql` ran, from the state before it.
    fn session_after(&mut self, sql: &str, before: Session) -> DbResult<Session>;

    /// The session's state after `sql` failed: on MySQL a failed DDL statement has still
    /// committed the transaction that was open (its implicit commit comes first).
    fn session_after_error(&mut self, _sql: &str, before: Session) -> DbResult<Session> {
        Ok(before)
    }

    /// Makes row-lock waits of this session short (a second), so a wait for another tool's
    /// transaction never outlasts lockTimeout; returns what to restore.
    fn shorten_lock_waits(&mut self) -> DbResult<Option<Value>> {
        Ok(None)
    }

    fn restore_lock_waits(&mut self, _saved: Option<Value>) -> DbResult<()> {
        Ok(())
    }

    /// Whether running `sql` in a session in state `before` may commit anything.
    fn may_commit(&self, sql: &str, before: Session) -> bool;

    /// Whether `sql` only sets session state (SET, USE, PRAGMA): replayed before a resumed
    /// migration's remaining statements so they run as they would have.
    fn is_session_setting(&self, sql: &str) -> bool;

    /// After a run stopped while `sql` ran: did it commit? `None` when nothing can tell.
    fn committed(&mut self, sql: &str) -> DbResult<Option<bool>> {
        // Statements that leave nothing durable behind are safe to run again.
        if matches!(
            crate::sql::first_word(sql).as_str(),
            "SELECT" | "DO" | "SET" | "SHOW" | "USE" | "EXPLAIN" | "DESCRIBE"
        ) {
            return Ok(Some(false));
        }
        let Some((creates, kind, name)) = crate::sql::created_or_dropped(sql) else {
            return Ok(None);
        };
        let exists = self.object_exists(kind, &name)?;
        Ok(Some(exists == creates))
    }
}

/// A column of furrow's own tables, described once; each engine spells its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackColumn {
    pub name: &'static str,
    pub ty: TrackType,
    pub not_null: bool,
    /// SQL text of the default (`''`, `0`, `'applied'`).
    pub default: Option<&'static str>,
    pub key: TrackKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackType {
    /// An auto-incremented integer primary key.
    AutoId,
    Int,
    BigInt,
    VarChar(u16),
    Char(u16),
    Text,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKey {
    None,
    Primary,
    Unique,
}

/// The steps of the portable schema language that each engine carries out its own way.
pub trait DdlSteps {
    /// The type, nullability, default and key of one of furrow's own columns, as SQL.
    fn tracking_type(&self, c: &TrackColumn) -> String;

    /// What follows a tracking table's column list (MySQL: its engine and charset).
    fn tracking_table_options(&self) -> &'static str {
        ""
    }

    /// Knex's own lock table, as Knex's table-creator makes it on this engine
    /// (`increments('index')`, `integer('is_locked')`).
    fn knex_lock_table_sql(&self, table: &str) -> String;

    /// `INSERT OR IGNORE` / `INSERT IGNORE`.
    fn insert_ignore(&self) -> &'static str;

    /// `INSERT OR REPLACE` / `REPLACE`.
    fn insert_or_replace(&self) -> &'static str;

    /// What makes a read lock what it reads until the commit (MySQL: ` FOR UPDATE`; SQLite's
    /// write transaction holds the whole database already).
    fn locking_read(&self) -> &'static str {
        ""
    }

    /// Before a migration that rebuilds tables (SQLite: foreign keys off, which works only
    /// outside a transaction), and after it.
    fn prepare_rebuilds(&mut self, _on: bool) -> DbResult<()> {
        Ok(())
    }

    /// Rebuilds `table` with `change`, telling `trace` each statement it runs.
    fn rebuild_table(
        &mut self,
        table: &str,
        _change: &crate::steps::TableChange,
        _trace: &mut dyn FnMut(&str),
    ) -> Result<()> {
        Err(Error::validation(format!(
            "this engine does not rebuild tables (`{table}`)"
        )))
    }

    /// After rebuilds, before the commit: rows that now violate foreign keys fail the
    /// migration (and so roll it back).
    fn check_rebuilt(&mut self, _file: &str) -> Result<()> {
        Ok(())
    }

    /// How this engine drops index `name` of `table`.
    fn drop_index_sql(&self, table: &str, name: &str) -> String;

    /// Drops every foreign key of `table` that uses one of `columns`.
    fn drop_foreign_keys_on(
        &mut self,
        _table: &str,
        _columns: &[String],
        _trace: &mut dyn FnMut(&str),
    ) -> DbResult<()> {
        Ok(())
    }
}

/// Opens the configured database; Ctrl-C will interrupt the statement running on it.
/// `wait` bounds how long a busy database is waited on (the runner's lockTimeout).
pub fn open(config: &Config, mode: OpenMode, wait: Duration) -> Result<Box<dyn Driver>> {
    let d: Box<dyn Driver> = match &config.connection {
        Connection::Sqlite(path) => Box::new(sqlite::SqliteDriver::open(path, mode, wait)?),
        Connection::Mysql(m) => Box::new(open_mysql(m, &config.base_dir)?),
        Connection::Unusable(why) => return Err(Error::config(why.clone())),
    };
    crate::interrupt::set_hook(d.interrupter());
    Ok(d)
}

/// Connects within `connectTimeout` in all. The driver bounds the TCP connect itself, but a
/// server that accepts and then never answers would hold the handshake for good: the connect
/// runs on a thread of its own, and when the time is up the target has failed (that thread
/// ends with its socket, or with the process).
fn open_mysql(m: &crate::config::MysqlConn, base: &std::path::Path) -> Result<mysql::MysqlDriver> {
    use std::sync::mpsc::RecvTimeoutError;
    let (tx, rx) = std::sync::mpsc::channel();
    let (conn, dir) = (m.clone(), base.to_path_buf());
    std::thread::Builder::new()
        .name("furrow-connect".into())
        .spawn(move || {
            let _ = tx.send(mysql::MysqlDriver::open(&conn, &dir));
        })
        .map_err(|e| Error::connection(format!("cannot start connecting: {e}")))?;
    let deadline = std::time::Instant::now() + m.connect_timeout;
    loop {
        // Ctrl-C is looked at while waiting, as it is between statements.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(opened) => return opened,
            Err(RecvTimeoutError::Timeout) if !left.is_zero() => crate::interrupt::check()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::connection(format!(
                    "cannot connect to {}: the connecting thread stopped",
                    m.redacted()
                )))
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(Error::connection(format!(
                    "cannot connect to {}: no answer within {} (connectTimeout)",
                    m.redacted(),
                    seconds(m.connect_timeout)
                ))
                .hint("check that the server runs and is not overloaded, and the host and port; `connectTimeout` (milliseconds) in the connection sets how long to wait"))
            }
        }
    }
}

/// "1.5s", "10s".
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The parts of a column definition both engines spell alike: `NOT NULL`, `DEFAULT`, key.
pub fn tracking_tail(c: &TrackColumn, out: &mut String) {
    if c.not_null {
        out.push_str(" NOT NULL");
    }
    if let Some(d) = c.default {
        out.push_str(" DEFAULT ");
        out.push_str(d);
    }
    match c.key {
        TrackKey::None => {}
        TrackKey::Primary => out.push_str(" PRIMARY KEY"),
        TrackKey::Unique => out.push_str(" UNIQUE"),
    }
}

/// A cell read as text ("" for NULL): names and definitions from the engine's catalog.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => String::new(),
    }
}

/// Every table, index, view, trigger (and on MySQL routine and event) of the database, as
/// a schema file prints them.
pub fn read_catalog(d: &mut dyn Driver) -> DbResult<crate::catalog::Catalog> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::catalog::read(d),
        Dialect::Mysql => mysql::catalog::read(d),
    }
}
