//! MySQL / MariaDB through the `mysql` crate, TLS by rustls. Every statement is sent on its
//! own and every result set is drained and checked (the crate silently drops errors of the
//! 2nd..Nth statement of a multi-statement string). Everything MySQL-specific lives here:
//! connecting (`connect`), the GET_LOCK runner lock (`lock`), seed loading (`load`), what
//! commits implicitly and the migration session (`session`), schema reads (`introspect`) and
//! the DDL steps the schema language leaves to the engine (`ddl`).

pub mod catalog;
mod connect;
mod ddl;
mod introspect;
mod load;
mod lock;
pub mod scratch;
mod session;

pub use ddl::{tracking_type, TABLE_OPTIONS};

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use super::{DbError, DbResult, Dialect, Driver, Value};

pub struct MysqlDriver {
    conn: Conn,
    opts: OptsBuilder,
    /// The configured database: furrow's own tables are always named in it.
    database: String,
    in_tx: bool,
    max_packet: Option<usize>,
    /// The server has `@@in_transaction` (MariaDB); MySQL needs another way to ask.
    has_in_transaction_var: bool,
    /// A Galera node (`@@wsrep_on`), and its name: the lock is a lease row then.
    cluster: Option<lock::Cluster>,
    /// Whether `cluster` was asked already.
    cluster_checked: bool,
    /// Renews the lease while this runner holds it.
    renewer: Option<lock::Renewer>,
}

fn to_mysql(v: &Value) -> mysql::Value {
    match v {
        Value::Null => mysql::Value::NULL,
        Value::Int(i) => mysql::Value::Int(*i),
        Value::Float(f) => mysql::Value::Double(*f),
        Value::Text(s) => mysql::Value::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => mysql::Value::Bytes(b.clone()),
    }
}

pub fn params(values: &[Value]) -> mysql::Params {
    if values.is_empty() {
        mysql::Params::Empty
    } else {
        mysql::Params::Positional(values.iter().map(to_mysql).collect())
    }
}

fn from_mysql(v: mysql::Value) -> Value {
    match v {
        mysql::Value::NULL => Value::Null,
        mysql::Value::Bytes(b) => match String::from_utf8(b) {
            Ok(s) => Value::Text(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        mysql::Value::Int(i) => Value::Int(i),
        mysql::Value::UInt(u) => i64::try_from(u)
            .map(Value::Int)
            .unwrap_or_else(|_| Value::Text(u.to_string())),
        mysql::Value::Float(f) => Value::Float(f64::from(f)),
        mysql::Value::Double(f) => Value::Float(f),
        mysql::Value::Date(y, mo, d, h, mi, s, _) => {
            Value::Text(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
        }
        mysql::Value::Time(neg, days, h, mi, s, _) => Value::Text(format!(
            "{}{:02}:{mi:02}:{s:02}",
            if neg { "-" } else { "" },
            u32::from(h) + days * 24
        )),
    }
}

/// Reads every result set of a statement (an error in any of them is the statement's error);
/// returns the rows affected.
fn drain<P: mysql::prelude::Protocol>(
    mut result: mysql::QueryResult<'_, '_, '_, P>,
    rows: &mut Vec<Vec<Value>>,
) -> DbResult<u64> {
    let mut affected = 0;
    while let Some(set) = result.iter() {
        affected += set.affected_rows();
        for row in set {
            rows.push(
                row.map_err(db_err)?
                    .unwrap()
                    .into_iter()
                    .map(from_mysql)
                    .collect(),
            );
        }
    }
    Ok(affected)
}

/// A server or driver error, worded for people (never the driver's debug text).
fn db_err(e: mysql::Error) -> DbError {
    /// What an I/O error on the server connection means, in words.
    fn io_words(io: &std::io::Error) -> String {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::UnexpectedEof => "the server closed the connection".into(),
            K::BrokenPipe => "broken pipe: the server closed the connection".into(),
            K::ConnectionReset => "the server reset the connection".into(),
            K::ConnectionAborted => "the connection was aborted".into(),
            K::TimedOut | K::WouldBlock => "no answer from the server in time".into(),
            K::NotConnected => "not connected".into(),
            _ => io.to_string(),
        }
    }
    let lost = |why: String| {
        let mut out = DbError::new(format!(
            "the connection to the MySQL server was lost ({why})"
        ));
        out.connection_lost = true;
        out
    };
    match e {
        // 1927: the server killed this connection (KILL CONNECTION, a shutdown): it is gone.
        mysql::Error::MySqlError(me) if me.code == 1927 => {
            let mut out = lost(format!("{}, MySQL error 1927", me.message));
            out.code = Some(me.code.to_string());
            out
        }
        mysql::Error::MySqlError(me) => {
            // Galera's refusal of a transaction too large to replicate.
            let why = if me.code == 1105 && me.message.contains("writeset size exceeded") {
                ": the transaction is larger than this Galera node replicates (wsrep_max_ws_size, wsrep_max_ws_rows); nothing of it was kept — split it (a seed: into several files, without --atomic), or raise the limit on every node"
            } else {
                ""
            };
            let mut out = DbError::new(format!(
                "{} (MySQL error {}){why}",
                crate::text::cut_near(&me.message),
                me.code
            ));
            out.code = Some(me.code.to_string());
            // 1317: query interrupted (KILL QUERY from Ctrl-C).
            out.interrupted = me.code == 1317;
            out
        }
        mysql::Error::IoError(io) => lost(io_words(&io)),
        mysql::Error::CodecError(c) => {
            // The codec's error is an I/O error, or a protocol one (not re-exported by the crate).
            let io = std::error::Error::source(&c).and_then(|s| s.downcast_ref::<std::io::Error>());
            match io {
                Some(io) => lost(io_words(io)),
                None if c.to_string().contains("max_allowed_packet") => {
                    let mut out = DbError::new(
                        "a statement is larger than max_allowed_packet: raise max_allowed_packet on the server, or split the statement",
                    );
                    out.connection_lost = true;
                    out
                }
                None => lost(format!("the server's reply could not be read: {c}")),
            }
        }
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout) => {
            lost("no answer from the server in time".into())
        }
        mysql::Error::DriverError(d) => DbError::new(format!("the MySQL driver failed: {d}")),
        other => DbError::new(other.to_string()),
    }
}

impl MysqlDriver {
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Runs a statement and drains every result set, so no error goes unseen.
    fn run(&mut self, sql: &str, values: &[Value]) -> DbResult<(u64, Vec<Vec<Value>>)> {
        // A read outside a transaction that a Galera node aborted for another node's DDL
        // (error 1213) changed nothing: it runs again.
        let mut tries = 0;
        loop {
            match self.run_once(sql, values) {
                Err(e)
                    if tries < 5
                        && !self.in_tx
                        && e.code.as_deref() == Some("1213")
                        && matches!(crate::sql::first_word(sql).as_str(), "SELECT" | "SHOW") =>
                {
                    tries += 1
                }
                other => return other,
            }
        }
    }

    fn run_once(&mut self, sql: &str, values: &[Value]) -> DbResult<(u64, Vec<Vec<Value>>)> {
        let mut rows = Vec::new();
        let affected = if values.is_empty() {
            // The text protocol: some statements (CREATE TRIGGER, procedures …) cannot be prepared.
            drain(self.conn.query_iter(sql).map_err(db_err)?, &mut rows)?
        } else {
            drain(
                self.conn.exec_iter(sql, params(values)).map_err(db_err)?,
                &mut rows,
            )?
        };
        Ok((affected, rows))
    }
}

impl Driver for MysqlDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn table_ref(&self, table: &str) -> String {
        format!(
            "{}.{}",
            Dialect::Mysql.quote_ident(&self.database),
            Dialect::Mysql.quote_ident(table)
        )
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<u64> {
        self.run(sql, params).map(|(n, _)| n)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Vec<Value>>> {
        self.run(sql, params).map(|(_, rows)| rows)
    }

    fn begin(&mut self) -> DbResult<()> {
        self.conn.query_drop("START TRANSACTION").map_err(db_err)?;
        self.in_tx = true;
        Ok(())
    }

    fn commit(&mut self) -> DbResult<()> {
        self.in_tx = false;
        self.conn.query_drop("COMMIT").map_err(db_err)
    }

    fn rollback(&mut self) -> DbResult<()> {
        if !self.in_tx {
            return Ok(());
        }
        self.in_tx = false;
        self.conn.query_drop("ROLLBACK").map_err(db_err)
    }

    fn interrupter(&self) -> Box<dyn Fn() + Send + Sync> {
        // A statement on this connection can only be stopped from another one.
        let opts = self.opts.clone();
        let id = self.conn.connection_id();
        Box::new(move || {
            if let Ok(mut c) = Conn::new(opts.clone()) {
                let _ = c.query_drop(format!("KILL QUERY {id}"));
            }
        })
    }
}
