//! Rendering ops to SQL, per dialect: a column's SQL (`column`), table ops and the SQLite
//! rebuild changes (`table`), row batching (`rows`), derived downs (`down`).

mod column;
mod down;
mod rows;
mod table;

use super::ops::*;
use super::{SchemaError, Step, StepKind};
use crate::steps::TableChange;
use crate::value::{Dialect, Value};
use column::{create_index_sql, drop_index_sql};

pub(crate) use down::derive_down;
pub(crate) use rows::{delete_rows, inline_params};

fn q(d: Dialect, s: &str) -> String {
    d.quote_ident(s)
}

fn qlist(d: Dialect, cols: &[String]) -> String {
    cols.iter().map(|c| q(d, c)).collect::<Vec<_>>().join(", ")
}

/// Collects the steps of one op.
struct Out<'a> {
    origin: &'a str,
    steps: &'a mut Vec<Step>,
}

impl Out<'_> {
    fn sql(&mut self, sql: String) {
        self.sql_with(sql, Vec::new());
    }
    fn sql_with(&mut self, sql: String, params: Vec<Value>) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind: StepKind::Sql { sql, params },
        });
    }
    fn push(&mut self, kind: StepKind) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind,
        });
    }
    fn rebuild(&mut self, table: &str, change: TableChange) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind: StepKind::SqliteRebuild {
                table: table.to_string(),
                change,
            },
        });
    }
}

/// Renders one op as steps.
pub(crate) fn render(
    op: &Op,
    d: Dialect,
    origin: &str,
    steps: &mut Vec<Step>,
) -> Result<(), SchemaError> {
    let mut out = Out { origin, steps };
    render_kind(op, &op.kind, d, &mut out)
}

fn render_kind(op: &Op, kind: &OpKind, d: Dialect, out: &mut Out) -> Result<(), SchemaError> {
    match kind {
        OpKind::CreateTable(t) => table::create_table(t, d, out),
        OpKind::DropTable { name, if_exists } => out.sql(format!(
            "DROP TABLE {}{}",
            if *if_exists { "IF EXISTS " } else { "" },
            q(d, name)
        )),
        OpKind::RenameTable { from, to } => out.sql(match d {
            Dialect::Sqlite => format!("ALTER TABLE {} RENAME TO {}", q(d, from), q(d, to)),
            Dialect::Mysql => format!("RENAME TABLE {} TO {}", q(d, from), q(d, to)),
        }),
        OpKind::AddColumns { table, columns } => table::add_columns(table, columns, d, out),
        OpKind::DropColumns { table, columns } => table::drop_columns(table, columns, d, out),
        OpKind::RenameColumn { table, from, to } => out.sql(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            q(d, table),
            q(d, from),
            q(d, to)
        )),
        OpKind::AlterColumn { table, column } => table::alter_column(table, column, d, out),
        OpKind::CreateIndex(idx) => out.sql(create_index_sql(idx, d, false)),
        OpKind::DropIndex { table, name } => out.sql(drop_index_sql(table, name, d)),
        OpKind::AddForeignKey(fk) => table::add_foreign_key(fk, d, out),
        OpKind::DropForeignKey(dfk) => table::drop_foreign_key(dfk, d, out),
        OpKind::Sql(text) => return sql_op(op, text, d, out),
        OpKind::Insert(ins) => {
            for (sql, params) in rows::insert_statements(&ins.table, &ins.rows, d) {
                out.sql_with(sql, params);
            }
        }
        OpKind::Delete { table, conditions } => {
            let (sql, params) = rows::delete_where(table, conditions, d);
            out.sql_with(sql, params);
        }
    }
    Ok(())
}

fn sql_op(op: &Op, text: &SqlText, d: Dialect, out: &mut Out) -> Result<(), SchemaError> {
    let (body, first_line) = match (&text.portable, d) {
        (Some(p), _) => (Some(p), text.first_line),
        (None, Dialect::Sqlite) => (text.sqlite.as_ref(), text.first_line),
        (None, Dialect::Mysql) => (text.mysql.as_ref(), text.mysql_first_line),
    };
    let Some(body) = body else {
        let other = if d == Dialect::Sqlite {
            "mysql"
        } else {
            "sqlite"
        };
        return Err(SchemaError {
            message: format!(
                "this `sql` operation has no text for {d} (only `{other}:`); add a `{d}:` text to run it on {d}"
            ),
            path: op.path.clone(),
            line: op.line,
        });
    };
    let statements = crate::sql::split(body, first_line, d).map_err(|e| SchemaError {
        message: e.message.clone(),
        path: op.path.clone(),
        line: Some(e.line),
    })?;
    if statements.is_empty() {
        return Err(SchemaError {
            message: "the SQL text holds no statement".into(),
            path: op.path.clone(),
            line: op.line,
        });
    }
    let many = statements.len() > 1;
    for st in statements {
        let origin = if many {
            format!("{} statement {} (line {})", out.origin, st.number, st.line)
        } else {
            out.origin.to_string()
        };
        out.steps.push(Step {
            origin,
            kind: StepKind::Sql {
                sql: st.sql,
                params: Vec::new(),
            },
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) use table::{rebuild_column, rebuild_drop_foreign_key, rebuild_foreign_key};
