//! The runner lock: GET_LOCK on the runner's own connection (the server frees it when the
//! connection dies), and a row that says who holds it.

use mysql::prelude::Queryable;

use super::MysqlDriver;
use crate::db::{DbError, DbResult, Dialect, Driver, Holder, LockSpec, RunnerLock, Value};

impl MysqlDriver {
    fn holder(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        let sql = format!(
            "SELECT owner, host, pid, acquired_at FROM {} WHERE id = 1",
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
    fn try_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<Option<Holder>> {
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
        let mut holder = row.unwrap_or(Holder {
            owner: String::new(),
            host: "?".into(),
            pid: 0,
            since: "?".into(),
        });
        if let Some(id) = conn_id {
            holder.host = format!("{} (MySQL connection {id})", holder.host);
        }
        Ok(Some(holder))
    }

    fn release_lock(&mut self, spec: &LockSpec, me: &Holder) -> DbResult<()> {
        let _ = self.rollback();
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
