//! The data ops: `sql` (portable or per dialect), `insert` and `delete`.

use serde_yaml::Value as Y;

use super::{describe, scalar_text, KnownTables, Parser};
use crate::schema::ops::{check_ident, Insert, OpKind, SqlText};
use crate::schema::SchemaError;
use crate::value::Value;

impl Parser<'_> {
    pub(super) fn sql(&self, path: &str, v: &Y) -> Result<SqlText, SchemaError> {
        let line_of =
            |p: &str| -> usize { crate::schema::text_start_line(self.text, p).unwrap_or(1) };
        match v {
            Y::String(s) => {
                if s.trim().is_empty() {
                    return Err(self.err(path, "the SQL text is empty"));
                }
                Ok(SqlText {
                    portable: Some(s.clone()),
                    sqlite: None,
                    mysql: None,
                    first_line: line_of(path),
                    mysql_first_line: line_of(path),
                })
            }
            Y::Mapping(_) => {
                let f = self.fields(
                    v,
                    path,
                    &[("sqlite", &["sqlite3"]), ("mysql", &["mariadb"])],
                    "",
                )?;
                if f.entries.is_empty() {
                    return Err(self.err(path, "expected `sqlite:` and/or `mysql:` SQL text"));
                }
                let sqlite = self.opt_string(&f, "sqlite", "SQL text")?;
                let mysql = self.opt_string(&f, "mysql", "SQL text")?;
                let sp = f
                    .get("sqlite")
                    .map(|x| x.0)
                    .unwrap_or_else(|| path.to_string());
                let mp = f
                    .get("mysql")
                    .map(|x| x.0)
                    .unwrap_or_else(|| path.to_string());
                Ok(SqlText {
                    portable: None,
                    sqlite,
                    mysql,
                    first_line: line_of(&sp),
                    mysql_first_line: line_of(&mp),
                })
            }
            other => Err(self.err(
                path,
                format!(
                    "expected SQL text (a string) or `{{sqlite: …, mysql: …}}`, found {}",
                    describe(other)
                ),
            )),
        }
    }

    pub(super) fn insert(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<Insert, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("rows", &[]), ("key", &[])],
            "`{table, rows: [{…}], key?}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let (rp, rv) =
            self.required(&f, "rows", " (a list of rows, each a map of column: value)")?;
        let items = match rv {
            Y::Sequence(items) if !items.is_empty() => items,
            Y::Sequence(_) => return Err(self.err(&rp, "`rows` is empty: give at least one row")),
            other => {
                return Err(self.err(
                    &rp,
                    format!(
                        "expected a list of rows (maps of column: value), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        let key = match f.get("key") {
            Some((p, v)) => {
                let k = self.ident_list(&p, v, "column name")?;
                for c in &k {
                    known.check_column(self, &table, c, &p)?;
                }
                Some(k)
            }
            None => None,
        };
        let mut rows = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p = format!("{rp}[{i}]");
            rows.push(self.row(&p, item, &table, known)?);
            if let Some(k) = &key {
                let row = rows.last().expect("pushed");
                if let Some(missing) = k
                    .iter()
                    .find(|c| !row.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)))
                {
                    return Err(self.err(
                        &p,
                        format!("this row has no value for the key column `{missing}`"),
                    ));
                }
            }
        }
        Ok(Insert { table, rows, key })
    }

    pub(super) fn row(
        &self,
        path: &str,
        v: &Y,
        table: &str,
        known: &KnownTables,
    ) -> Result<Vec<(String, Value)>, SchemaError> {
        let Y::Mapping(m) = v else {
            return Err(self.err(
                path,
                format!(
                    "expected a row (a map of column: value), found {}",
                    describe(v)
                ),
            ));
        };
        if m.is_empty() {
            return Err(self.err(path, "a row needs at least one column"));
        }
        let mut row: Vec<(String, Value)> = Vec::with_capacity(m.len());
        for (k, val) in m {
            let Some(col) = scalar_text(k) else {
                return Err(self.err(
                    path,
                    format!("expected a column name as key, found {}", describe(k)),
                ));
            };
            let p = format!("{path}.{col}");
            check_ident(&col).map_err(|e| self.err(&p, e))?;
            known.check_column(self, table, &col, &p)?;
            if row.iter().any(|(n, _)| n.eq_ignore_ascii_case(&col)) {
                return Err(self.err(&p, format!("column `{col}` is given twice")));
            }
            row.push((col, Value::from_yaml(val)));
        }
        Ok(row)
    }

    pub(super) fn delete(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("where", &[])],
            "`{table, where: {column: value}}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let (wp, wv) = self.required(
            &f,
            "where",
            " (the rows to delete: `where: {id: 1}`; to empty a table use `sql:`)",
        )?;
        if let Y::Mapping(m) = wv {
            if m.is_empty() {
                return Err(self.err(
                    &wp,
                    "`where` is empty: to delete every row, use a `sql:` operation",
                ));
            }
        }
        let conditions = self.row(&wp, wv, &table, known)?;
        Ok(OpKind::Delete { table, conditions })
    }
}
