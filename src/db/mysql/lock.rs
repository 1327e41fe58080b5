//! The runner lock: GET_LOCK on the runner's own connection (the server frees it when the
//! connection dies), and a row that says who holds it. On a Galera cluster GET_LOCK is
//! local to one node, so the row itself is the lock: a lease, taken in a short transaction
//! (a certification conflict at COMMIT, error 1213, means another runner won), renewed while
//! the holder works, and taken over once it expires (a holder killed, a node lost).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::Conn;

use super::MysqlDriver;
use crate::db::{DbError, DbResult, Dialect, Driver, Holder, LockSpec, RunnerLock, Value};

impl MysqlDriver {
    fn holder(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        let sql = format!(
            "SELECT owner, host, pid, acquired_at, COALESCE(node, '') FROM {} WHERE id = 1",
            Dialect::Mysql.quote_ident(&spec.table)
        );
        let rows = self.query(&sql, &[])?;
        Ok(rows.into_iter().next().map(|r| {
            let text = |v: &Value| match v {
                Value::Text(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                _ => String::new(),
            };
            Holder {
                owner: text(&r[0]),
                host: text(&r[1]),
                pid: match &r[2] {
                    Value::Int(i) => *i,
                    Value::Text(s) => s.parse().unwrap_or(0),
                    _ => 0,
                },
                since: text(&r[3]),
                node: text(&r[4]),
            }
        }))
    }

    /// Tries GET_LOCK once; when it is ours, records who holds it.
    fn get_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<bool> {
        let got = self.query("SELECT GET_LOCK(?, 0)", &[Value::Text(spec.name.clone())])?;
        if !matches!(got.first().and_then(|r| r.first()), Some(Value::Int(1))) {
            return Ok(false);
        }
        let sql = format!(
            "REPLACE INTO {} (id, owner, host, pid, acquired_at) VALUES (1, ?, ?, ?, ?)",
            Dialect::Mysql.quote_ident(&spec.table)
        );
        self.execute(
            &sql,
            &[
                Value::Text(self.lock_owner(me)),
                Value::Text(me.host.clone()),
                Value::Int(me.pid),
                Value::Text(me.since.clone()),
            ],
        )?;
        Ok(true)
    }

    /// The owner written to the lock table: the process, and the connection holding GET_LOCK.
    fn lock_owner(&self, me: &Holder) -> String {
        format!("{}#conn={}", me.owner, self.conn.connection_id())
    }

    fn lock_user(&mut self, spec: &LockSpec) -> DbResult<Option<i64>> {
        let rows = self.query("SELECT IS_USED_LOCK(?)", &[Value::Text(spec.name.clone())])?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(|v| match v {
                Value::Int(i) => Some(i),
                Value::Text(s) => s.parse().ok(),
                _ => None,
            }))
    }
}

impl RunnerLock for MysqlDriver {
    fn current_holder(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        if !crate::db::Introspect::table_exists(self, &spec.table)? {
            return Ok(None);
        }
        if self.cluster()?.is_some() {
            if self.lease_expired(spec)? {
                return Ok(None);
            }
            return self.holder(spec);
        }
        match self.lock_user(spec)? {
            Some(_) => Ok(self.holder(spec)?.or_else(|| Some(unknown_holder()))),
            None => Ok(None),
        }
    }

    fn try_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<Option<Holder>> {
        if self.cluster()?.is_some() {
            return self.try_lease(spec, me);
        }
        // GET_LOCK belongs to this connection: the server frees it when the runner dies.
        if self.get_lock(spec, me)? {
            return Ok(None);
        }
        let conn_id = self.lock_user(spec)?;
        let row = self.holder(spec)?;
        // A runner killed with -9 keeps its lock until the server notices the dead client,
        // which can take as long as its statement runs. When the row proves that the
        // connection holding the lock belongs to a process of this host that is gone,
        // end that connection.
        if let (Some(id), Some(h)) = (conn_id, &row) {
            let suffix = format!("#conn={id}");
            let process = h.owner.strip_suffix(&suffix).map(|owner| Holder {
                owner: owner.to_string(),
                ..h.clone()
            });
            if process.is_some_and(|p| !crate::process::holder_alive(&p)) {
                let _ = self.conn.query_drop(format!("KILL {id}"));
                if self.get_lock(spec, me)? {
                    return Ok(None);
                }
            }
        }
        let mut holder = row.unwrap_or_else(unknown_holder);
        if let Some(id) = conn_id {
            holder.host = format!("{} (MySQL connection {id})", holder.host);
        }
        Ok(Some(holder))
    }

    fn release_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<()> {
        let _ = self.rollback();
        if self.cluster.is_some() {
            return self.release_lease(spec, me);
        }
        let sql = format!(
            "DELETE FROM {} WHERE id = 1 AND owner = ?",
            Dialect::Mysql.quote_ident(&spec.table)
        );
        self.execute(&sql, &[Value::Text(self.lock_owner(me))])?;
        self.query("SELECT RELEASE_LOCK(?)", &[Value::Text(spec.name.clone())])?;
        Ok(())
    }

    fn force_unlock(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        let held = self.holder(spec)?;
        if self.cluster()?.is_some() {
            if let (Some(h), false) = (&held, self.lease_expired(spec)?) {
                return Err(DbError::new(format!(
                    "the lease `{}` is held by {h}, and renewed while it runs; it expires {}s after that runner stops",
                    spec.table,
                    spec.lease.as_secs()
                )));
            }
            let sql = format!("DELETE FROM {}", Dialect::Mysql.quote_ident(&spec.table));
            self.execute(&sql, &[])?;
            return Ok(held);
        }
        if let Some(id) = self.lock_user(spec)? {
            let who = held
                .as_ref()
                .map(|h| h.to_string())
                .unwrap_or_else(|| "an unknown runner".into());
            return Err(DbError::new(format!(
                "the lock `{}` is held by MySQL connection {id}, {who}, which is still connected; \
                 the server releases it when that runner ends. To end it now: KILL {id};",
                spec.table
            )));
        }
        let sql = format!("DELETE FROM {}", Dialect::Mysql.quote_ident(&spec.table));
        self.execute(&sql, &[])?;
        Ok(held)
    }
}

/// An integer result, whichever protocol sent it (the text protocol sends digits).
fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Text(t) => t.trim().parse().unwrap_or(-1),
        _ => -1,
    }
}

/// A placeholder for a holder whose row could not be read (yet).
fn unknown_holder() -> Holder {
    Holder {
        owner: String::new(),
        host: "?".into(),
        pid: 0,
        since: "?".into(),
        node: String::new(),
    }
}

/// A Galera node furrow is connected to.
#[derive(Debug, Clone)]
pub(super) struct Cluster {
    pub(super) node: String,
}

/// MySQL error 1213: on Galera, a certification conflict (another node's transaction on the
/// same row committed first), or a brute-force abort.
fn lost_race(e: &DbError) -> bool {
    e.code.as_deref() == Some("1213")
}

/// The server's clock, in ms since the epoch, as SQL (every node of a cluster agrees on it
/// as far as NTP does; the runners' own clocks need not).
const NOW_MS: &str = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";

impl MysqlDriver {
    /// Whether this is a Galera node (asked once). On one, reads wait until the node has
    /// applied every write committed anywhere before them (`wsrep_sync_wait`).
    pub(super) fn cluster(&mut self) -> DbResult<Option<Cluster>> {
        if let Some(c) = &self.cluster {
            return Ok(Some(c.clone()));
        }
        if self.cluster_checked {
            return Ok(None);
        }
        self.cluster_checked = true;
        let row: Option<(String, String)> = match self
            .conn
            .query_first("SELECT @@wsrep_on, @@wsrep_node_name")
        {
            Ok(r) => r,
            // 1193: no such variable (not MariaDB, or no wsrep).
            Err(mysql::Error::MySqlError(e)) if e.code == 1193 => None,
            Err(e) => return Err(super::db_err(e)),
        };
        match row {
            Some((on, node)) if on == "1" || on.eq_ignore_ascii_case("ON") => {
                self.conn
                    .query_drop("SET SESSION wsrep_sync_wait = 1")
                    .map_err(super::db_err)?;
                let c = Cluster { node };
                self.cluster = Some(c.clone());
                Ok(Some(c))
            }
            _ => Ok(None),
        }
    }

    fn lease_expired(&mut self, spec: &LockSpec) -> DbResult<bool> {
        let rows = self.query(
            &format!(
                "SELECT COALESCE(expires_at, 0) <= {NOW_MS} FROM {} WHERE id = 1",
                Dialect::Mysql.quote_ident(&spec.table)
            ),
            &[],
        )?;
        Ok(rows.first().and_then(|r| r.first()).map(int) != Some(0))
    }

    /// One try at the lease: free, expired, ours, or left by a process of this host that is
    /// gone → take it; else say who holds it.
    fn try_lease(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<Option<Holder>> {
        let node = self
            .cluster
            .as_ref()
            .map(|c| c.node.clone())
            .unwrap_or_default();
        let result = self
            .begin()
            .and_then(|_| match self.lease_in_transaction(spec, me, &node) {
                Ok(Some(holder)) => {
                    let _ = self.rollback();
                    Ok(Some(holder))
                }
                Ok(None) => self.commit().map(|_| None),
                Err(e) => {
                    let _ = self.rollback();
                    Err(e)
                }
            });
        match result {
            Ok(None) => {
                self.renewer = Some(Renewer::start(self.opts.clone(), spec, me)?);
                Ok(None)
            }
            Ok(Some(holder)) => Ok(Some(holder)),
            // Another runner took it at the same moment, through another node, and won
            // (at COMMIT, or by aborting this transaction on the way).
            Err(e) if lost_race(&e) => {
                self.in_tx = false;
                Ok(Some(self.holder(spec)?.unwrap_or_else(unknown_holder)))
            }
            Err(e) => Err(e),
        }
    }

    fn lease_in_transaction(
        &mut self,
        spec: &LockSpec,
        me: &Holder,
        node: &str,
    ) -> DbResult<Option<Holder>> {
        let t = Dialect::Mysql.quote_ident(&spec.table);
        let rows = self.query(
            &format!("SELECT COALESCE(expires_at, 0) <= {NOW_MS} FROM {t} WHERE id = 1 FOR UPDATE"),
            &[],
        )?;
        let expired = rows.first().and_then(|r| r.first()).map(int) != Some(0);
        if !rows.is_empty() && !expired {
            if let Some(h) = self.holder(spec)? {
                let gone = h.host == me.host && !crate::process::holder_alive(&h);
                if h.owner != me.owner && !gone {
                    return Ok(Some(h));
                }
            }
        }
        self.execute(
            &format!(
                "REPLACE INTO {t} (id, owner, host, pid, acquired_at, node, expires_at) \
                 VALUES (1, ?, ?, ?, ?, ?, {NOW_MS} + ?)"
            ),
            &[
                Value::Text(me.owner.clone()),
                Value::Text(me.host.clone()),
                Value::Int(me.pid),
                Value::Text(me.since.clone()),
                Value::Text(node.to_string()),
                Value::Int(spec.lease.as_millis() as i64),
            ],
        )?;
        Ok(None)
    }

    fn release_lease(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<()> {
        // Stop renewing first: the renewal must not bring the row back.
        self.renewer = None;
        let sql = format!(
            "DELETE FROM {} WHERE id = 1 AND owner = ?",
            Dialect::Mysql.quote_ident(&spec.table)
        );
        let mut tries = 0;
        loop {
            match self.execute(&sql, &[Value::Text(me.owner.clone())]) {
                Ok(_) => return Ok(()),
                Err(e) if lost_race(&e) && tries < 10 => tries += 1,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Renews a lease row every third of the lease, from a thread and a connection of its own
/// (the runner's connections are busy with the work); stops when dropped.
pub(super) struct Renewer {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Renewer {
    fn start(opts: mysql::OptsBuilder, spec: &LockSpec, me: &Holder) -> DbResult<Renewer> {
        let mut conn = Conn::new(opts).map_err(super::db_err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let sql = format!(
            "UPDATE {} SET expires_at = {NOW_MS} + ? WHERE id = 1 AND owner = ?",
            Dialect::Mysql.quote_ident(&spec.table)
        );
        let lease_ms = spec.lease.as_millis() as i64;
        let owner = me.owner.clone();
        let every = (spec.lease / 3).max(Duration::from_millis(100));
        let handle = std::thread::spawn(move || {
            let step = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(step);
                waited += step;
                if waited < every {
                    continue;
                }
                waited = Duration::ZERO;
                // A lost race or a passing error is retried at the next tick.
                let _ = conn.exec_drop(sql.as_str(), (lease_ms, owner.as_str()));
            }
        });
        Ok(Renewer {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Renewer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
