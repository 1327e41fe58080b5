//! The steps of the schema language that MySQL carries out its own way: dropping the index
//! InnoDB made for a foreign key, and the foreign keys on columns about to be dropped.

use super::MysqlDriver;
use crate::db::{DbResult, DdlSteps, Dialect, Driver, Introspect, TrackColumn, TrackType};

/// What follows the column list of furrow's own tables.
pub const TABLE_OPTIONS: &str = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/// How this engine spells one of furrow's own columns.
pub fn tracking_type(c: &TrackColumn) -> String {
    let mut out = match c.ty {
        TrackType::AutoId => return "INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY".into(),
        TrackType::Int => "INT".to_string(),
        TrackType::BigInt => "BIGINT".to_string(),
        TrackType::VarChar(n) => format!("VARCHAR({n})"),
        TrackType::Char(n) => format!("CHAR({n})"),
        TrackType::Text => "TEXT".to_string(),
        // MySQL's TIMESTAMP columns are NOT NULL unless told: say which.
        TrackType::Timestamp if !c.not_null => return "TIMESTAMP NULL".into(),
        TrackType::Timestamp if c.default.is_none() => {
            return "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP".into()
        }
        TrackType::Timestamp => "TIMESTAMP".to_string(),
    };
    crate::db::tracking_tail(c, &mut out);
    out
}

impl DdlSteps for MysqlDriver {
    fn tracking_type(&self, c: &TrackColumn) -> String {
        tracking_type(c)
    }

    fn tracking_table_options(&self) -> &'static str {
        TABLE_OPTIONS
    }

    fn knex_lock_table_sql(&self, table: &str) -> String {
        let q = |c: &str| Dialect::Mysql.quote_ident(c);
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({} int unsigned not null auto_increment primary key, {} int){TABLE_OPTIONS}",
            q(table),
            q("index"),
            q("is_locked")
        )
    }

    fn insert_ignore(&self) -> &'static str {
        "INSERT IGNORE"
    }

    fn insert_or_replace(&self) -> &'static str {
        "REPLACE"
    }

    fn locking_read(&self) -> &'static str {
        " FOR UPDATE"
    }

    fn drop_index_sql(&self, table: &str, name: &str) -> String {
        let q = |n: &str| Dialect::Mysql.quote_ident(n);
        format!("DROP INDEX {} ON {}", q(name), q(table))
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
