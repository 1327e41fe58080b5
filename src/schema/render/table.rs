//! Table ops: create_table, add_column and drop_column per dialect, and the plain-data
//! changes handed to the SQLite driver when it must rebuild the table.

use super::column::{column_def, column_extras, create_index_sql, default_is_constant, fk_clause};
use super::{q, qlist, Out};
use crate::schema::ops::*;
use crate::schema::StepKind;
use crate::steps::{ColumnSql, DropForeignKeySql, ForeignKeySql, TableChange};
use crate::value::{Dialect, Value};

pub(super) fn create_table(t: &CreateTable, d: Dialect, out: &mut Out) {
    let in_pk = |c: &Column| {
        t.primary_key
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&c.name))
    };
    let mut items: Vec<String> = t
        .columns
        .iter()
        .map(|c| column_def(c, d, in_pk(c), false))
        .collect();
    if !t.primary_key.is_empty() {
        items.push(format!("PRIMARY KEY ({})", qlist(d, &t.primary_key)));
    }
    if d == Dialect::Mysql {
        // Inline, so that the table and its indexes are one (implicitly committed) statement.
        for idx in &t.indexes {
            items.push(format!(
                "{}INDEX {} ({})",
                if idx.unique { "UNIQUE " } else { "" },
                q(d, &idx.name),
                qlist(d, &idx.columns)
            ));
        }
    }
    for fk in &t.foreign_keys {
        items.push(fk_clause(fk, d));
    }
    let mut sql = format!(
        "CREATE TABLE {}{} ({})",
        if t.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
        q(d, &t.name),
        items.join(", ")
    );
    if let (Some(c), Dialect::Mysql) = (&t.comment, d) {
        sql.push_str(" COMMENT = ");
        sql.push_str(&d.quote_str(c));
    }
    out.sql(sql);
    if d == Dialect::Sqlite {
        for idx in &t.indexes {
            out.sql(create_index_sql(idx, d, t.if_not_exists));
        }
    }
}

/// Whether SQLite's `ALTER TABLE … ADD COLUMN` cannot add this column, so the table is rebuilt.
fn sqlite_add_needs_rebuild(c: &Column) -> bool {
    let not_null_without_default = c.nullable == Some(false)
        && matches!(&c.default, None | Some(DefaultValue::Literal(Value::Null)));
    c.primary
        || c.ty.is_increments()
        || c.references.is_some()
        || not_null_without_default
        || c.default
            .as_ref()
            .is_some_and(|def| !default_is_constant(def))
}

pub(super) fn add_columns(table: &str, columns: &[Column], d: Dialect, out: &mut Out) {
    let mut indexes = Vec::new();
    let mut fks = Vec::new();
    for c in columns {
        let (idx, fk) = column_extras(table, c);
        indexes.extend(idx);
        fks.extend(fk);
    }
    match d {
        Dialect::Mysql => {
            // One ALTER TABLE: MySQL applies it whole or not at all.
            let mut parts: Vec<String> = columns
                .iter()
                .map(|c| format!("ADD COLUMN {}", column_def(c, d, false, false)))
                .collect();
            let pk: Vec<String> = columns
                .iter()
                .filter(|c| c.primary && !c.ty.is_increments())
                .map(|c| c.name.clone())
                .collect();
            if !pk.is_empty() {
                parts.push(format!("ADD PRIMARY KEY ({})", qlist(d, &pk)));
            }
            for idx in &indexes {
                parts.push(format!(
                    "ADD {}INDEX {} ({})",
                    if idx.unique { "UNIQUE " } else { "" },
                    q(d, &idx.name),
                    qlist(d, &idx.columns)
                ));
            }
            for fk in &fks {
                parts.push(format!("ADD {}", fk_clause(fk, d)));
            }
            out.sql(format!("ALTER TABLE {} {}", q(d, table), parts.join(", ")));
        }
        Dialect::Sqlite => {
            if columns.iter().any(sqlite_add_needs_rebuild) {
                let change = columns.iter().map(|c| rebuild_column(table, c)).collect();
                out.rebuild(table, TableChange::AddColumns(change));
            } else {
                for c in columns {
                    out.sql(format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        q(d, table),
                        column_def(c, d, false, false)
                    ));
                }
            }
            for idx in &indexes {
                out.sql(create_index_sql(idx, d, false));
            }
        }
    }
}

pub(super) fn drop_columns(table: &str, columns: &[String], d: Dialect, out: &mut Out) {
    match d {
        Dialect::Sqlite => out.rebuild(table, TableChange::DropColumns(columns.to_vec())),
        Dialect::Mysql => {
            // As on SQLite, a column's foreign keys go with it.
            out.push(StepKind::DropForeignKeysOn {
                table: table.to_string(),
                columns: columns.to_vec(),
            });
            out.sql(format!(
                "ALTER TABLE {} {}",
                q(d, table),
                columns
                    .iter()
                    .map(|c| format!("DROP COLUMN {}", q(d, c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

pub(super) fn alter_column(table: &str, column: &Column, d: Dialect, out: &mut Out) {
    match d {
        Dialect::Sqlite => out.rebuild(
            table,
            TableChange::AlterColumn(rebuild_column(table, column)),
        ),
        Dialect::Mysql => out.sql(format!(
            "ALTER TABLE {} MODIFY COLUMN {}",
            q(d, table),
            column_def(column, d, false, true)
        )),
    }
}

pub(super) fn add_foreign_key(fk: &ForeignKey, d: Dialect, out: &mut Out) {
    match d {
        Dialect::Sqlite => out.rebuild(
            &fk.table,
            TableChange::AddForeignKey(rebuild_foreign_key(fk)),
        ),
        Dialect::Mysql => out.sql(format!(
            "ALTER TABLE {} ADD {}",
            q(d, &fk.table),
            fk_clause(fk, d)
        )),
    }
}

pub(super) fn drop_foreign_key(dfk: &DropForeignKey, d: Dialect, out: &mut Out) {
    match d {
        Dialect::Sqlite => out.rebuild(
            &dfk.table,
            TableChange::DropForeignKey(rebuild_drop_foreign_key(dfk)),
        ),
        Dialect::Mysql => out.sql(format!(
            "ALTER TABLE {} DROP FOREIGN KEY {}",
            q(d, &dfk.table),
            q(d, &dfk.name)
        )),
    }
}

/// A column of `table` as the SQLite rebuild takes it: rendered, with its `references:` as a
/// table constraint (used when the column is added).
pub(crate) fn rebuild_column(table: &str, c: &Column) -> ColumnSql {
    let d = Dialect::Sqlite;
    ColumnSql {
        name: c.name.clone(),
        definition: column_def(c, d, false, false),
        definition_in_key: column_def(c, d, true, false),
        increments: c.ty.is_increments(),
        primary: c.primary,
        foreign_key: column_extras(table, c).1.map(|fk| fk_clause(&fk, d)),
    }
}

pub(crate) fn rebuild_foreign_key(fk: &ForeignKey) -> ForeignKeySql {
    ForeignKeySql {
        name: fk.name.clone(),
        columns: fk.columns.clone(),
        clause: fk_clause(fk, Dialect::Sqlite),
    }
}

pub(crate) fn rebuild_drop_foreign_key(dfk: &DropForeignKey) -> DropForeignKeySql {
    DropForeignKeySql {
        name: dfk.name.clone(),
        columns: dfk.columns.clone(),
        ref_table: dfk.spec.as_ref().map(|s| s.ref_table.clone()),
    }
}
