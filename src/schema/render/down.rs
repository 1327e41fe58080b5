//! Derived downs: each up op's inverse, last op first.

use super::column::column_extras;
use super::rows::delete_rows;
use super::{q, render_kind, Out};
use crate::schema::ops::*;
use crate::schema::{SchemaError, Step, StepKind};
use crate::value::{Dialect, Value};

/// The down steps derived from `up`: each op's inverse, last op first.
pub(crate) fn derive_down(up: &[Op], d: Dialect) -> Result<Vec<Step>, SchemaError> {
    let mut steps = Vec::new();
    for (i, op) in up.iter().enumerate().rev() {
        let origin = format!("down (derived from {})", op.path);
        let mut out = Out {
            origin: &origin,
            steps: &mut steps,
        };
        if let OpKind::Insert(ins) = &op.kind {
            insert_down(op, ins, created_before(up, i, &ins.table), d, &mut out)?;
            continue;
        }
        let inverse = inverse(op, d, &mut out)?;
        render_kind(op, &inverse, d, &mut out)?;
        if let (OpKind::AddForeignKey(fk), Dialect::Mysql) = (&op.kind, d) {
            // InnoDB created an index for the key if none could serve it: it goes too.
            out.push(StepKind::DropIndexIfExists {
                table: fk.table.clone(),
                name: fk.name.clone(),
            });
        }
    }
    Ok(steps)
}

/// The op that undoes `op` (any step needed before it goes to `out`), or why there is none.
fn inverse(op: &Op, d: Dialect, out: &mut Out) -> Result<OpKind, SchemaError> {
    let error = |message: String| SchemaError {
        message,
        path: op.path.clone(),
        line: op.line,
    };
    Ok(match &op.kind {
        OpKind::CreateTable(t) if t.if_not_exists => {
            // The table may have been there before: dropping it could lose it.
            return Err(error("`create_table` with `if_not_exists` has no automatic reverse (the table may have existed before this migration): write a `down:` section".into()));
        }
        OpKind::CreateTable(t) => OpKind::DropTable {
            name: t.name.clone(),
            if_exists: false,
        },
        OpKind::RenameTable { from, to } => OpKind::RenameTable {
            from: to.clone(),
            to: from.clone(),
        },
        OpKind::AddColumns { table, columns } => {
            if d == Dialect::Mysql {
                // MySQL refuses to drop a column that a foreign key uses: drop the key first.
                for c in columns.iter().rev() {
                    if let (_, Some(fk)) = column_extras(table, c) {
                        out.sql(format!(
                            "ALTER TABLE {} DROP FOREIGN KEY {}",
                            q(d, table),
                            q(d, &fk.name)
                        ));
                    }
                }
            }
            OpKind::DropColumns {
                table: table.clone(),
                columns: columns.iter().rev().map(|c| c.name.clone()).collect(),
            }
        }
        OpKind::RenameColumn { table, from, to } => OpKind::RenameColumn {
            table: table.clone(),
            from: to.clone(),
            to: from.clone(),
        },
        OpKind::CreateIndex(idx) => OpKind::DropIndex {
            table: idx.table.clone(),
            name: idx.name.clone(),
        },
        OpKind::AddForeignKey(fk) => OpKind::DropForeignKey(DropForeignKey {
            table: fk.table.clone(),
            name: fk.name.clone(),
            columns: fk.columns.clone(),
            spec: Some(fk.clone()),
        }),
        OpKind::DropForeignKey(dfk) => match &dfk.spec {
            Some(spec) => OpKind::AddForeignKey(spec.clone()),
            None => return Err(error("`drop_foreign_key` has no automatic reverse without the key's definition: give `columns:` and `references:` (then it is re-created on rollback), or write a `down:` section".into())),
        },
        OpKind::Insert(_)
        | OpKind::DropTable { .. }
        | OpKind::DropColumns { .. }
        | OpKind::AlterColumn { .. }
        | OpKind::DropIndex { .. }
        | OpKind::Sql(_)
        | OpKind::Delete { .. } => {
            return Err(error(format!(
                "`{}` has no automatic reverse: write a `down:` section",
                op.name()
            )))
        }
    })
}

/// The down of an insert: every row when this file created the table, else the rows by `key:`,
/// else by the primary key read at run time.
fn insert_down(
    op: &Op,
    ins: &Insert,
    table_created_here: bool,
    d: Dialect,
    out: &mut Out,
) -> Result<(), SchemaError> {
    if table_created_here {
        // The table is dropped later in this down, rows and all; its rows go now,
        // so that rows of other tables they reference can be deleted before it.
        out.sql(format!("DELETE FROM {}", q(d, &ins.table)));
        return Ok(());
    }
    let rows: Vec<Vec<(String, Value)>> = ins.rows.iter().rev().cloned().collect();
    match &ins.key {
        Some(key) => {
            let stmts = delete_rows(&ins.table, key, &rows, d).map_err(|m| SchemaError {
                message: m,
                path: op.path.clone(),
                line: op.line,
            })?;
            for (sql, params) in stmts {
                out.sql_with(sql, params);
            }
        }
        None => out.push(StepKind::DeleteByPrimaryKey {
            table: ins.table.clone(),
            rows,
        }),
    }
    Ok(())
}

/// Whether `table` is created by an op before `index` (following renames, forgetting drops).
fn created_before(up: &[Op], index: usize, table: &str) -> bool {
    let mut created: Vec<String> = Vec::new();
    for op in &up[..index] {
        match &op.kind {
            OpKind::CreateTable(t) => created.push(t.name.to_ascii_lowercase()),
            OpKind::DropTable { name, .. } => created.retain(|c| !c.eq_ignore_ascii_case(name)),
            OpKind::RenameTable { from, to } => {
                if let Some(c) = created.iter_mut().find(|c| c.eq_ignore_ascii_case(from)) {
                    *c = to.to_ascii_lowercase();
                }
            }
            _ => {}
        }
    }
    created.iter().any(|c| c.eq_ignore_ascii_case(table))
}
