//! SQLite table rebuilds: the "12-step" procedure of <https://www.sqlite.org/lang_altertable.html>
//! for the changes SQLite's ALTER TABLE cannot make in place.
//!
//! The statements returned here are steps 4–8 of that procedure; the driver (`ddl.rs`) and the runner
//! do the rest, and this code relies on it:
//! - `PRAGMA foreign_keys=OFF` *before* the migration's transaction begins (the pragma is a no-op
//!   inside a transaction), so that `DROP TABLE` neither cascades nor fails on child rows, and
//!   `PRAGMA foreign_keys=ON` again after the commit;
//! - `PRAGMA legacy_alter_table=ON` while these statements run, so that the final
//!   `ALTER TABLE "_furrow_new_<t>" RENAME TO "<t>"` neither re-validates nor rewrites the views
//!   and triggers of other tables that mention `<t>` (they keep naming `<t>`, which exists again
//!   after the rename), and `OFF` afterwards so a plain `rename_table` updates references;
//! - `PRAGMA foreign_key_check` after the statements, inside the transaction, failing the
//!   migration (and so rolling it back) if it reports any row.
//!
//! The new table's definition is the live `CREATE TABLE` text with the change applied: column
//! definitions and table constraints are split at top-level commas (honouring quotes, parentheses
//! and comments) and edited as text, so CHECK constraints, collations, defaults and table options
//! (`WITHOUT ROWID`, `STRICT`) survive.

mod definition;
mod lex;
mod outline;

use crate::steps::{ColumnSql, DropForeignKeySql, ForeignKeySql, TableChange};
use crate::value::Dialect;
use definition::{
    column_clauses, column_expr_mentions, find_foreign_key, is_generated, parse_item, ConsKind,
    FkAt, IndexSql, Item, TableDef,
};
use lex::{eq, mentions, Toks, K};
pub use outline::outline;

/// Everything a rebuild needs from sqlite_master about the live table.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTable {
    /// `sql` of the table's row in sqlite_master.
    pub create_sql: String,
    /// Indexes and triggers on the table: (type, name, sql); sql is None for auto-indexes.
    pub dependents: Vec<(String, String, Option<String>)>,
}

/// Statements (in order, all inside the migration's transaction) that rebuild `table` with the
/// change: `CREATE TABLE "_furrow_new_<t>"` (modified definition), INSERT INTO … SELECT (common
/// columns), sqlite_sequence carried over for AUTOINCREMENT tables, DROP TABLE, ALTER TABLE …
/// RENAME TO, then the indexes and triggers re-created. A `DropColumns` change whose columns
/// nothing else uses becomes SQLite's native `ALTER TABLE … DROP COLUMN` instead.
pub fn sqlite_rebuild_statements(
    table: &str,
    change: &TableChange,
    live: &LiveTable,
) -> Result<Vec<String>, String> {
    let mut def = TableDef::parse(&live.create_sql)?;
    let mut copy: Vec<String> = def
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Column { name, text } if !is_generated(text) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut dependents: Vec<String> = live
        .dependents
        .iter()
        .filter_map(|(_, _, sql)| sql.clone())
        .collect();
    match change {
        TableChange::AlterColumn(col) => alter_column(&mut def, col, table)?,
        TableChange::AddColumns(cols) => add_columns(&mut def, cols, table)?,
        TableChange::DropColumns(cols) => {
            for c in cols {
                def.find_column(c).ok_or_else(|| no_column(table, c))?;
            }
            if def.columns().iter().all(|c| cols.iter().any(|x| eq(x, c))) {
                return Err(format!(
                    "cannot drop every column of `{table}`: drop the table instead"
                ));
            }
            if let Some(stmts) = native_drop(&def, cols, live) {
                return Ok(stmts);
            }
            drop_columns(&mut def, cols, table)?;
            copy.retain(|c| !cols.iter().any(|x| eq(x, c)));
            dependents = drop_columns_from_dependents(live, cols)?;
        }
        TableChange::AddForeignKey(fk) => add_foreign_key(&mut def, fk, table)?,
        TableChange::DropForeignKey(dfk) => drop_foreign_key(&mut def, dfk, table)?,
    }
    Ok(swap_statements(&def, &copy, dependents))
}

fn no_column(table: &str, c: &str) -> String {
    format!("table `{table}` has no column `{c}`")
}

/// The column's new definition in place of the old; what alter_column does not describe (the
/// key, uniqueness, foreign keys) is kept from the old one.
fn alter_column(def: &mut TableDef, col: &ColumnSql, table: &str) -> Result<(), String> {
    let i = def
        .find_column(&col.name)
        .ok_or_else(|| no_column(table, &col.name))?;
    let old = def.items[i].text().to_string();
    let in_table_pk = def.items.iter().any(|it| match it {
        Item::Constraint { cons, .. } => {
            cons.kind == ConsKind::PrimaryKey && cons.columns.iter().any(|c| eq(c, &col.name))
        }
        _ => false,
    });
    let clauses = column_clauses(&old);
    let inline_pk = clauses.iter().any(|c| c.kind == "PRIMARY");
    let mut text = if in_table_pk || inline_pk {
        col.definition_in_key.clone()
    } else {
        col.definition.clone()
    };
    if inline_pk && !col.increments {
        text.push_str(" PRIMARY KEY");
    }
    for c in &clauses {
        if c.kind == "UNIQUE" || c.kind == "REFERENCES" {
            text.push(' ');
            text.push_str(old[c.start..c.end].trim());
        }
    }
    def.items[i] = Item::Column {
        name: col.name.clone(),
        text,
    };
    Ok(())
}

/// The columns after the last one, then their primary key and foreign keys as table constraints.
fn add_columns(def: &mut TableDef, cols: &[ColumnSql], table: &str) -> Result<(), String> {
    let last_col = def
        .items
        .iter()
        .rposition(|it| it.column().is_some())
        .unwrap_or(0);
    let mut new_items = Vec::new();
    let mut pk = Vec::new();
    let mut fks = Vec::new();
    for c in cols {
        if def.find_column(&c.name).is_some() {
            return Err(format!("table `{table}` already has a column `{}`", c.name));
        }
        new_items.push(Item::Column {
            name: c.name.clone(),
            text: c.definition.clone(),
        });
        if c.primary && !c.increments {
            pk.push(c.name.clone());
        }
        fks.extend(c.foreign_key.as_deref());
    }
    let at = last_col + 1;
    def.items.splice(at..at, new_items);
    if !pk.is_empty() {
        let d = Dialect::Sqlite;
        let cols = pk
            .iter()
            .map(|c| d.quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        def.items
            .push(parse_item(&format!("PRIMARY KEY ({cols})"))?);
    }
    for fk in fks {
        def.items.push(parse_item(fk)?);
    }
    Ok(())
}

fn add_foreign_key(def: &mut TableDef, fk: &ForeignKeySql, table: &str) -> Result<(), String> {
    if find_foreign_key(def, &fk.name, &[], None).is_some() {
        return Err(format!(
            "table `{table}` already has a constraint named `{}`",
            fk.name
        ));
    }
    for c in &fk.columns {
        def.find_column(c).ok_or_else(|| no_column(table, c))?;
    }
    def.items.push(parse_item(&fk.clause)?);
    Ok(())
}

fn drop_foreign_key(
    def: &mut TableDef,
    dfk: &DropForeignKeySql,
    table: &str,
) -> Result<(), String> {
    let ref_table = dfk.ref_table.as_deref();
    match find_foreign_key(def, &dfk.name, &dfk.columns, ref_table) {
        Some(FkAt::Table(i)) => {
            def.items.remove(i);
        }
        Some(FkAt::Inline(i, start, end)) => {
            let Item::Column { name, text } = &def.items[i] else {
                unreachable!("inline foreign keys are in columns")
            };
            let mut t = text.clone();
            t.replace_range(start..end, "");
            def.items[i] = Item::Column {
                name: name.clone(),
                text: t.trim_end().to_string(),
            };
        }
        None => {
            let on = if dfk.columns.is_empty() {
                String::new()
            } else {
                format!(" (nor one on ({}))", dfk.columns.join(", "))
            };
            return Err(format!(
                "table `{table}` has no foreign key named `{}`{on}",
                dfk.name
            ));
        }
    }
    Ok(())
}

/// The new table, the copy of the `copy` columns, the sqlite_sequence carry-over, the swap and
/// the `dependents` re-created.
fn swap_statements(def: &TableDef, copy: &[String], dependents: Vec<String>) -> Vec<String> {
    let d = Dialect::Sqlite;
    let new_name = format!("_furrow_new_{}", def.name);
    let (qt, qn) = (d.quote_ident(&def.name), d.quote_ident(&new_name));
    let create = def.render(&new_name);
    let cols = copy
        .iter()
        .map(|c| d.quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = vec![
        create.clone(),
        format!("INSERT INTO {qn} ({cols}) SELECT {cols} FROM {qt}"),
    ];
    let autoincrement = Toks::new(&create)
        .t
        .iter()
        .any(|t| t.k == K::Word && eq(&create[t.s..t.e], "AUTOINCREMENT"));
    if autoincrement {
        // Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are never reused.
        out.push(format!(
            "DELETE FROM sqlite_sequence WHERE name = {}",
            d.quote_str(&new_name)
        ));
        out.push(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence WHERE name = {}",
            d.quote_str(&new_name),
            d.quote_str(&def.name)
        ));
    }
    out.push(format!("DROP TABLE {qt}"));
    out.push(format!("ALTER TABLE {qn} RENAME TO {qt}"));
    out.extend(dependents);
    out
}

/// SQLite's own DROP COLUMN, when no key, index, constraint, expression or trigger uses the columns.
fn native_drop(def: &TableDef, cols: &[String], live: &LiveTable) -> Option<Vec<String>> {
    for it in &def.items {
        match it {
            Item::Column { name, text } => {
                let dropped = cols.iter().any(|c| eq(c, name));
                let clauses = column_clauses(text);
                if dropped
                    && clauses.iter().any(|c| {
                        matches!(
                            c.kind.as_str(),
                            "PRIMARY" | "UNIQUE" | "REFERENCES" | "AS" | "GENERATED"
                        )
                    })
                {
                    return None;
                }
                if !dropped && mentions(&column_expr_mentions(text), cols) {
                    return None;
                }
            }
            Item::Constraint { cons, .. } => {
                if mentions(&cons.columns, cols) {
                    return None;
                }
            }
        }
    }
    for (_, _, sql) in &live.dependents {
        if let Some(sql) = sql {
            if mentions(&Toks::new(sql).names_in(0, usize::MAX), cols) {
                return None;
            }
        }
    }
    let qt = Dialect::Sqlite.quote_ident(&def.name);
    Some(
        cols.iter()
            .map(|c| {
                format!(
                    "ALTER TABLE {qt} DROP COLUMN {}",
                    Dialect::Sqlite.quote_ident(c)
                )
            })
            .collect(),
    )
}

/// Removes the columns and the constraints only they use; refuses when a constraint or expression
/// also uses other columns (silently weakening it would be worse).
fn drop_columns(def: &mut TableDef, cols: &[String], table: &str) -> Result<(), String> {
    let all: Vec<String> = def.columns().iter().map(|c| c.to_string()).collect();
    let mut kept = Vec::new();
    for it in def.items.drain(..) {
        match &it {
            Item::Column { name, text } => {
                if cols.iter().any(|c| eq(c, name)) {
                    continue;
                }
                let used = column_expr_mentions(text);
                if let Some(c) = cols.iter().find(|c| used.iter().any(|u| eq(u, c))) {
                    return Err(format!(
                        "column `{name}` of `{table}` has a CHECK or generated expression that uses `{c}`: change it first (alter_column)"
                    ));
                }
                kept.push(it);
            }
            Item::Constraint { cons, text } => {
                let hit: Vec<&String> = cons
                    .columns
                    .iter()
                    .filter(|c| cols.iter().any(|x| eq(x, c)))
                    .collect();
                if hit.is_empty() {
                    kept.push(it);
                    continue;
                }
                let others = cons.columns.iter().any(|c| {
                    !cols.iter().any(|x| eq(x, c))
                        && (cons.kind != ConsKind::Check || all.iter().any(|a| eq(a, c)))
                });
                match cons.kind {
                    ConsKind::ForeignKey => {} // the key goes with its column
                    _ if !others => {}         // only dropped columns: the constraint goes too
                    _ => {
                        return Err(format!(
                            "the table constraint `{}` of `{table}` also uses other columns than `{}`: drop or change it first (a `sql:` operation)",
                            text.trim(),
                            hit[0]
                        ))
                    }
                }
            }
        }
    }
    def.items = kept;
    Ok(())
}

/// The dependents' SQL without the dropped columns: an index loses them (and goes when none is
/// left, as in MySQL); a partial index or trigger that uses them is refused.
fn drop_columns_from_dependents(live: &LiveTable, cols: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (kind, name, sql) in &live.dependents {
        let Some(sql) = sql else { continue };
        if kind.eq_ignore_ascii_case("index") {
            let Some(idx) = IndexSql::parse(sql) else {
                if mentions(&Toks::new(sql).names_in(0, usize::MAX), cols) {
                    return Err(format!("cannot read index `{name}`, which seems to use a dropped column: drop it first"));
                }
                out.push(sql.clone());
                continue;
            };
            if !mentions(&idx.all_names(), cols) {
                out.push(sql.clone());
                continue;
            }
            if mentions(&idx.where_names(), cols) {
                return Err(format!("the WHERE clause of index `{name}` uses a dropped column: drop the index first (drop_index)"));
            }
            let keep: Vec<usize> = (0..idx.items.len())
                .filter(|&i| !mentions(&idx.item_names(i), cols))
                .collect();
            if !keep.is_empty() {
                out.push(idx.with_items(&keep));
            }
        } else {
            if mentions(&Toks::new(sql).names_in(0, usize::MAX), cols) {
                return Err(format!(
                    "{kind} `{name}` uses a dropped column: drop it first (a `sql:` operation) and re-create it after"
                ));
            }
            out.push(sql.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
