//! The steps of the schema language that MySQL carries out its own way: dropping the index
//! InnoDB made for a foreign key, and the foreign keys on columns about to be dropped.

use super::MysqlDriver;
use crate::db::{DbResult, DdlSteps, Dialect, Driver, Introspect};

impl DdlSteps for MysqlDriver {
    fn drop_index_if_exists(
        &mut self,
        table: &str,
        name: &str,
        trace: &mut dyn FnMut(&str),
    ) -> DbResult<bool> {
        if !self.index_exists(table, name)? {
            return Ok(false);
        }
        let q = |n: &str| Dialect::Mysql.quote_ident(n);
        let sql = format!("DROP INDEX {} ON {}", q(name), q(table));
        trace(&sql);
        self.execute(&sql, &[]).map(|_| true)
    }

    fn drop_foreign_keys_on(
        &mut self,
        table: &str,
        columns: &[String],
        trace: &mut dyn FnMut(&str),
    ) -> DbResult<()> {
        let q = |n: &str| Dialect::Mysql.quote_ident(n);
        for name in self.foreign_keys_on(table, columns)? {
            let sql = format!("ALTER TABLE {} DROP FOREIGN KEY {}", q(table), q(&name));
            trace(&sql);
            self.execute(&sql, &[])?;
        }
        Ok(())
    }
}
