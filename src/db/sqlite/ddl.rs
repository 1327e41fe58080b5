//! The migration session on SQLite (the runner's own connection), and the table rebuild of
//! SQLite's 12-step procedure with its PRAGMAs.

use super::rebuild::LiveTable;
use super::SqliteDriver;
use crate::db::{
    DbResult, DdlSteps, Dialect, Driver, Session, Statements, TrackColumn, TrackKey, TrackType,
    Value,
};
use crate::error::{Error, Result};
use crate::steps::TableChange;

impl SqliteDriver {
    /// The table's `CREATE` statement and its indexes and triggers, for table rebuilds.
    fn sqlite_master(&mut self, table: &str) -> DbResult<Option<LiveTable>> {
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
        Ok(Some(LiveTable {
            create_sql,
            dependents,
        }))
    }

    /// Turns foreign key enforcement off or on (only outside a transaction).
    fn set_foreign_keys(&mut self, on: bool) -> DbResult<()> {
        let sql = if on {
            "PRAGMA foreign_keys = ON"
        } else {
            "PRAGMA foreign_keys = OFF"
        };
        self.conn.execute_batch(sql).map_err(|e| self.err(e))
    }
}

impl Statements for SqliteDriver {
    fn reset_session(&mut self) -> DbResult<()> {
        self.rollback()
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
}

/// How this engine spells one of furrow's own columns.
pub fn tracking_type(c: &TrackColumn) -> String {
    let mut out = match c.ty {
        TrackType::AutoId => return "INTEGER PRIMARY KEY AUTOINCREMENT".into(),
        // An INTEGER PRIMARY KEY is the rowid: never NULL anyway.
        TrackType::Int if c.key == TrackKey::Primary => return "INTEGER PRIMARY KEY".into(),
        TrackType::Int => "INTEGER".to_string(),
        TrackType::BigInt => "BIGINT".to_string(),
        TrackType::VarChar(n) => format!("VARCHAR({n})"),
        TrackType::Char(n) => format!("CHAR({n})"),
        TrackType::Text => "TEXT".to_string(),
        TrackType::Timestamp => "TIMESTAMP".to_string(),
    };
    crate::db::tracking_tail(c, &mut out);
    out
}

/// Knex's lock table as Knex's table-creator makes it on SQLite.
pub fn knex_lock_table(table: &str) -> String {
    let q = |c: &str| Dialect::Sqlite.quote_ident(c);
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({} integer not null primary key autoincrement, {} integer)",
        q(table),
        q("index"),
        q("is_locked")
    )
}

impl DdlSteps for SqliteDriver {
    fn tracking_type(&self, c: &TrackColumn) -> String {
        tracking_type(c)
    }

    fn knex_lock_table_sql(&self, table: &str) -> String {
        knex_lock_table(table)
    }

    fn insert_ignore(&self) -> &'static str {
        "INSERT OR IGNORE"
    }

    fn insert_or_replace(&self) -> &'static str {
        "INSERT OR REPLACE"
    }

    fn prepare_rebuilds(&mut self, on: bool) -> DbResult<()> {
        // The rebuild's DROP TABLE must neither cascade nor fail on child rows: foreign keys
        // are off around it (and checked before the commit, by check_rebuilt).
        self.set_foreign_keys(!on)
    }

    fn rebuild_table(
        &mut self,
        table: &str,
        change: &TableChange,
        trace: &mut dyn FnMut(&str),
    ) -> Result<()> {
        let live = self
            .sqlite_master(table)
            .map_err(|e| e.into_error())?
            .ok_or_else(|| Error::database(format!("no such table: {table}")))?;
        let statements = super::rebuild::sqlite_rebuild_statements(table, change, &live)
            .map_err(Error::validation)?;
        // Renaming the rebuilt table must not rewrite references to the old one; only
        // during the rebuild (a plain rename_table should update them).
        self.execute("PRAGMA legacy_alter_table = ON", &[])
            .map_err(|e| e.into_error())?;
        let result = statements.iter().try_for_each(|sql| {
            crate::interrupt::check()?;
            trace(sql);
            self.execute(sql, &[])
                .map(|_| ())
                .map_err(|e| e.into_error())
        });
        let reset = self.execute("PRAGMA legacy_alter_table = OFF", &[]);
        result?;
        reset.map(|_| ()).map_err(|e| e.into_error())
    }

    fn check_rebuilt(&mut self, file: &str) -> Result<()> {
        let rows = self
            .query("PRAGMA foreign_key_check", &[])
            .map_err(|e| e.into_error())?;
        if rows.is_empty() {
            return Ok(());
        }
        let first = rows
            .iter()
            .take(3)
            .map(|r| {
                format!(
                    "row {} of {} references missing {}",
                    r.get(1).map(|v| v.preview()).unwrap_or_default(),
                    r.first().map(|v| v.preview()).unwrap_or_default(),
                    r.get(2).map(|v| v.preview()).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::database(format!(
            "{file}: after rebuilding the table, {} row(s) violate foreign keys: {first}",
            rows.len()
        ))
        .hint("fix the data (or the foreign key) and run the migration again"))
    }

    fn drop_index_sql(&self, _table: &str, name: &str) -> String {
        format!("DROP INDEX {}", Dialect::Sqlite.quote_ident(name))
    }
}
