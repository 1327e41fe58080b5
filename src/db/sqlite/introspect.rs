//! Reading the live schema: PRAGMA table_info / index_list, sqlite_master.

use super::SqliteDriver;
use crate::db::{ColumnInfo, DbResult, Dialect, Introspect, Value};

impl Introspect for SqliteDriver {
    fn table_exists(&mut self, table: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?1",
            &[Value::Text(table.to_string())],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }

    fn columns(&mut self, table: &str) -> DbResult<Vec<ColumnInfo>> {
        let sql = format!("PRAGMA table_info({})", Dialect::Sqlite.quote_ident(table));
        self.bind_and_run(&sql, &[], |r| ColumnInfo {
            name: r.get(1).unwrap_or_default(),
            data_type: r.get(2).unwrap_or_default(),
            nullable: r.get::<_, i64>(3).unwrap_or(0) == 0,
            default: r.get(4).ok(),
            primary_key: r.get::<_, i64>(5).unwrap_or(0) as usize,
        })
    }

    fn table_named(&mut self, table: &str) -> DbResult<Option<String>> {
        let rows = self.bind_and_run(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE LIMIT 1",
            &[Value::Text(table.to_string())],
            |r| r.get::<_, String>(0).unwrap_or_default(),
        )?;
        Ok(rows.into_iter().next())
    }

    fn indexed_columns(&mut self, table: &str) -> DbResult<Vec<(String, bool)>> {
        let mut out: Vec<(String, bool)> = Vec::new();
        let mut add = |c: String, unique: bool| match out.iter_mut().find(|(n, _)| *n == c) {
            Some(e) => e.1 |= unique,
            None => out.push((c, unique)),
        };
        for c in self.primary_key(table)? {
            add(c.to_ascii_lowercase(), true);
        }
        let rows = self.bind_and_run(
            "SELECT LOWER(ii.name), il.\"unique\" FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii WHERE ii.name IS NOT NULL",
            &[Value::Text(table.to_string())],
            |r| {
                (
                    r.get::<_, String>(0).unwrap_or_default(),
                    r.get::<_, i64>(1).unwrap_or(0) == 1,
                )
            },
        )?;
        for (c, unique) in rows {
            add(c, unique);
        }
        Ok(out)
    }

    fn referencing_tables(&mut self, table: &str) -> DbResult<Vec<String>> {
        self.bind_and_run(
            "SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f \
             WHERE m.type = 'table' AND f.\"table\" = ?1 COLLATE NOCASE AND m.name <> ?1 COLLATE NOCASE",
            &[Value::Text(table.to_string())],
            |r| r.get::<_, String>(0).unwrap_or_default(),
        )
    }

    fn row_estimate(&mut self, table: &str) -> DbResult<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {}",
            Dialect::Sqlite.quote_ident(table)
        );
        let n = self.bind_and_run(&sql, &[], |r| r.get::<_, i64>(0).unwrap_or(0))?;
        Ok(n.first().copied().unwrap_or(0).max(0) as u64)
    }

    fn unique_keys(&mut self, table: &str) -> DbResult<Vec<Vec<String>>> {
        let mut keys = Vec::new();
        let pk = self.primary_key(table)?;
        if !pk.is_empty() {
            keys.push(pk);
        }
        let q = Dialect::Sqlite.quote_ident(table);
        let indexes = self.bind_and_run(&format!("PRAGMA index_list({q})"), &[], |r| {
            (
                r.get::<_, String>(1).unwrap_or_default(),
                r.get::<_, i64>(2).unwrap_or(0),
                r.get::<_, i64>(4).unwrap_or(0),
            )
        })?;
        for (name, unique, partial) in indexes {
            if unique == 1 && partial == 0 {
                let cols = self.bind_and_run(
                    &format!("PRAGMA index_info({})", Dialect::Sqlite.quote_ident(&name)),
                    &[],
                    |r| r.get::<_, Option<String>>(2).unwrap_or_default(),
                )?;
                if cols.iter().all(Option::is_some) {
                    keys.push(cols.into_iter().flatten().collect());
                }
            }
        }
        Ok(keys)
    }

    fn index_exists(&mut self, table: &str, name: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND name = ?2",
            &[
                Value::Text(table.to_string()),
                Value::Text(name.to_string()),
            ],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }

    fn foreign_keys_on(&mut self, _table: &str, _columns: &[String]) -> DbResult<Vec<String>> {
        // SQLite's foreign keys have no names of their own: a rebuild drops them with the column.
        Ok(Vec::new())
    }

    fn object_exists(&mut self, kind: &str, name: &str) -> DbResult<bool> {
        let rows = self.bind_and_run(
            "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2 COLLATE NOCASE",
            &[Value::Text(kind.to_string()), Value::Text(name.to_string())],
            |_| (),
        )?;
        Ok(!rows.is_empty())
    }
}
