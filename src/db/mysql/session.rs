//! The session that runs a migration's statements: what commits implicitly, whether a
//! transaction is open after a statement, and a clean session for every migration.

use mysql::prelude::Queryable;
use mysql::Conn;

use super::{db_err, MysqlDriver};
use crate::db::{DbError, DbResult, Dialect, Driver, Session, Statements, Value};

/// How a statement changes the transaction state of its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Commits implicitly and leaves no transaction open (DDL, LOCK TABLES).
    Ddl,
    /// Reads or writes rows: joins the open transaction, or opens one when autocommit is off.
    Dml,
    /// Anything else (SET, COMMIT, CALL …): ask the server.
    Other,
}

/// `START TRANSACTION …`, `BEGIN [WORK]`, `XA START|BEGIN`: a transaction is open after it.
fn opens_transaction(sql: &str) -> bool {
    let w = crate::sql::leading_words(sql, 2);
    match w.first().map(String::as_str) {
        Some("START") => w.get(1).is_some_and(|x| x == "TRANSACTION"),
        Some("BEGIN") => crate::sql::is_transaction_control(sql),
        Some("XA") => w.get(1).is_some_and(|x| x == "START" || x == "BEGIN"),
        _ => false,
    }
}

fn effect(sql: &str) -> Effect {
    let first = crate::sql::first_word(sql);
    match first.as_str() {
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "SELECT" | "WITH" | "VALUES" | "TABLE" => {
            Effect::Dml
        }
        "LOAD" if !crate::sql::commits_implicitly_mysql(sql) => Effect::Dml,
        "SET" | "START" | "BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "XA" => Effect::Other,
        _ if crate::sql::commits_implicitly_mysql(sql) => Effect::Ddl,
        _ => Effect::Other,
    }
}

impl MysqlDriver {
    /// Asks the server for the session's autocommit and transaction state after `sql` ran
    /// in a session in state `before`.
    fn ask_session(&mut self, sql: &str, before: Session) -> DbResult<Session> {
        if self.has_in_transaction_var {
            match self
                .conn
                .query_first::<(i64, i64), _>("SELECT @@autocommit, @@in_transaction")
            {
                Ok(Some((ac, tx))) => {
                    return Ok(Session {
                        autocommit: ac != 0,
                        in_transaction: tx != 0,
                    })
                }
                Ok(None) => return Err(DbError::new("the server did not say its session state")),
                // 1193: unknown system variable (MySQL has no @@in_transaction).
                Err(mysql::Error::MySqlError(e)) if e.code == 1193 => {
                    self.has_in_transaction_var = false
                }
                Err(e) => return Err(db_err(e)),
            }
        }
        let row: Option<(i64, i64)> = self
            .conn
            .query_first(
                "SELECT @@autocommit, (SELECT COUNT(*) FROM information_schema.innodb_trx \
                 WHERE trx_mysql_thread_id = CONNECTION_ID())",
            )
            .map_err(db_err)?;
        let (ac, tx) = row.unwrap_or((1, 0));
        // innodb_trx lists a transaction only once it touched InnoDB (and reads empty without
        // the PROCESS privilege): an explicit transaction stays open until a statement ends it,
        // and with autocommit off one counts as open (nothing is counted as committed).
        let ends = crate::sql::commits_implicitly_mysql(sql)
            || matches!(crate::sql::first_word(sql).as_str(), "COMMIT" | "ROLLBACK");
        Ok(Session {
            autocommit: ac != 0,
            in_transaction: tx != 0 || ac == 0 || (before.in_transaction && !ends),
        })
    }
}

impl Statements for MysqlDriver {
    fn shorten_lock_waits(&mut self) -> DbResult<Option<Value>> {
        let saved = self
            .query("SELECT @@SESSION.innodb_lock_wait_timeout", &[])?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(|v| match v {
                Value::Int(i) => Some(Value::Int(i)),
                // The server may answer as text: the variable takes only an integer.
                Value::Text(t) => t.trim().parse().ok().map(Value::Int),
                _ => None,
            });
        self.execute("SET SESSION innodb_lock_wait_timeout = 1", &[])?;
        Ok(saved)
    }

    fn restore_lock_waits(&mut self, saved: Option<Value>) -> DbResult<()> {
        match saved {
            Some(v) => self
                .execute("SET SESSION innodb_lock_wait_timeout = ?", &[v])
                .map(|_| ()),
            None => Ok(()),
        }
    }

    fn commits_implicitly(&self, sql: &str) -> bool {
        crate::sql::commits_implicitly_mysql(sql)
    }

    fn open_session(&self) -> DbResult<Option<Box<dyn Driver>>> {
        let conn = Conn::new(self.opts.clone()).map_err(db_err)?;
        Ok(Some(Box::new(MysqlDriver {
            conn,
            opts: self.opts.clone(),
            database: self.database.clone(),
            in_tx: false,
            max_packet: self.max_packet,
            has_in_transaction_var: self.has_in_transaction_var,
            cluster: None,
            cluster_checked: false,
            renewer: None,
        })))
    }

    fn reset_session(&mut self) -> DbResult<()> {
        self.in_tx = false;
        // COM_RESET_CONNECTION: rolls back, unlocks tables, clears variables (and runs the
        // connection's init statements again); the current database is set back by hand.
        self.conn.reset().map_err(db_err)?;
        let sql = format!("USE {}", Dialect::Mysql.quote_ident(&self.database));
        self.conn.query_drop(sql).map_err(db_err)
    }

    fn session_after(&mut self, sql: &str, before: Session) -> DbResult<Session> {
        match effect(sql) {
            // With no transaction open and autocommit on, DDL cannot leave one open; otherwise
            // ask (`UNLOCK TABLES` with no tables locked commits nothing, for one).
            Effect::Ddl if !before.in_transaction && before.autocommit => Ok(Session {
                in_transaction: false,
                ..before
            }),
            Effect::Dml => Ok(Session {
                in_transaction: before.in_transaction || !before.autocommit,
                ..before
            }),
            Effect::Other if opens_transaction(sql) => Ok(Session {
                in_transaction: true,
                ..before
            }),
            Effect::Ddl | Effect::Other => self.ask_session(sql, before),
        }
    }

    fn session_after_error(&mut self, sql: &str, before: Session) -> DbResult<Session> {
        // A statement that commits implicitly commits the open transaction before it runs,
        // even when it then fails (a syntax error, found first, does not): ask.
        if before.in_transaction && effect(sql) != Effect::Dml {
            return self.ask_session(sql, before);
        }
        Ok(before)
    }

    fn may_commit(&self, sql: &str, before: Session) -> bool {
        !(effect(sql) == Effect::Dml && (before.in_transaction || !before.autocommit))
    }

    fn is_session_setting(&self, sql: &str) -> bool {
        let toks = crate::sql::leading_words(sql, 2);
        match toks.first().map(String::as_str) {
            Some("USE") => true,
            Some("SET") => !matches!(
                toks.get(1).map(String::as_str),
                Some("PASSWORD" | "ROLE" | "DEFAULT" | "GLOBAL" | "PERSIST")
            ),
            _ => false,
        }
    }
}
