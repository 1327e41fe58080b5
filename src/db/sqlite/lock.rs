//! The runner lock: a row in `<tableName>_lock`, taken in a write transaction; a holder
//! known to be dead (same host, process gone) is replaced.

use super::SqliteDriver;
use crate::db::{DbResult, Dialect, Driver, Holder, LockSpec, RunnerLock, Value};

impl SqliteDriver {
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
            node: String::new(),
        })?;
        Ok(rows.into_iter().next())
    }
}

impl RunnerLock for SqliteDriver {
    fn current_holder(&mut self, spec: &LockSpec) -> DbResult<Option<Holder>> {
        if !crate::db::Introspect::table_exists(self, &spec.table)? {
            return Ok(None);
        }
        Ok(self.holder(spec)?.filter(crate::process::holder_alive))
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
}
