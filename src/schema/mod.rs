//! The YAML schema language: parse and validate migration files (`parse`) into operations
//! (`ops`), render them to SQL per dialect (`render`), with the changes SQLite cannot make in
//! place handed to its driver as plain-data table rebuilds. Pure: no connection; the runner
//! executes the steps.

mod ops;
mod parse;
mod render;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rebuild;

use std::fmt;

use crate::value::{Dialect, Value};

pub use crate::steps::TableChange;
pub use ops::{
    check_ident, default_index_name, Column, ColumnReference, ColumnType, CreateTable,
    DefaultValue, DropForeignKey, FkAction, ForeignKey, Index, Insert, Op, OpKind, SqlText,
    MAX_IDENT,
};

/// An error in a YAML migration, located: `path` like `up[2].create_table.columns[1].type`,
/// `line` 1-based in the file when known.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    pub message: String,
    pub path: String,
    pub line: Option<usize>,
}

impl SchemaError {
    /// An error at `path`, with the line found in `text` (or that of the nearest enclosing node).
    pub(crate) fn located(text: &str, path: &str, message: String) -> SchemaError {
        SchemaError {
            line: locate_line(text, path),
            path: path.to_string(),
            message,
        }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.path.is_empty()) {
            (Some(l), false) => write!(f, "line {l}: {}: {}", self.path, self.message),
            (Some(l), true) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.path, self.message),
            (None, true) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SchemaError {}

/// The line of `path` in `text`; when the node itself cannot be found (a missing key), the line
/// of the nearest enclosing one.
pub(crate) fn locate_line(text: &str, path: &str) -> Option<usize> {
    if path.is_empty() {
        return None;
    }
    let mut segs = crate::yamlpos::parse_path(path);
    while !segs.is_empty() {
        if let Some((line, _)) = crate::yamlpos::locate(text, &segs) {
            return Some(line);
        }
        segs.pop();
    }
    None
}

/// The line where the text of a scalar at `path` starts: the line after `key: |` for block
/// scalars (and for plain scalars that start on the next line).
pub(crate) fn text_start_line(text: &str, path: &str) -> Option<usize> {
    let line = locate_line(text, path)?;
    let src = text.lines().nth(line - 1)?;
    let key = path.rsplit('.').next().unwrap_or(path);
    let after = match src.find(&format!("{key}:")) {
        Some(i) => src[i + key.len() + 1..].trim(),
        None => src.trim(),
    };
    let after = after.split(" #").next().unwrap_or("").trim();
    let block = after.is_empty() || after.starts_with('|') || after.starts_with('>');
    Some(if block { line + 1 } else { line })
}

/// A parsed, validated migration file.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlMigration {
    pub up: Vec<Op>,
    /// The explicit `down:`, when given (an empty list: nothing to undo).
    pub down: Option<Vec<Op>>,
    /// `transaction:`, when given (default true).
    pub transaction: Option<bool>,
}

/// Parses and validates a YAML migration.
pub fn parse_migration(text: &str) -> Result<YamlMigration, SchemaError> {
    parse::Parser { text }.migration()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// One thing the runner executes, in order, inside the migration's transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Where it comes from: `up[2].create_table`, `down (derived from up[0].insert)`,
    /// `up[3].sql statement 2 (line 14)`.
    pub origin: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// One SQL statement (never more than one) with its bound parameters.
    Sql { sql: String, params: Vec<Value> },
    /// SQLite only: rebuild `table` per SQLite's documented 12-step procedure; its SQL depends on
    /// the live definition, so the SQLite driver reads sqlite_master at run time and writes
    /// the statements (`db::sqlite::rebuild`).
    SqliteRebuild { table: String, change: TableChange },
    /// Delete these rows by the table's primary key, read from the live database at run time
    /// (the derived down of an `insert` without `key:` into a table not created in the same
    /// file); rows newest first. See [`delete_by_key`].
    DeleteByPrimaryKey {
        table: String,
        rows: Vec<Vec<(String, Value)>>,
    },
    /// MySQL: drop the index `name` of `table` if it exists (the one InnoDB creates by itself
    /// for a foreign key, which dropping the key leaves behind).
    DropIndexIfExists { table: String, name: String },
    /// MySQL: drop every foreign key that uses one of `columns` of `table`, read from the live
    /// schema (MySQL refuses to drop a column a foreign key uses).
    DropForeignKeysOn { table: String, columns: Vec<String> },
}

/// Up: the rendered `up` ops. Down: the explicit `down:` if present, else the up ops reversed,
/// each replaced by its inverse. An op with no inverse (and no `down:`) is an error at its path.
pub fn steps(
    m: &YamlMigration,
    dir: Direction,
    dialect: Dialect,
) -> Result<Vec<Step>, SchemaError> {
    let mut out = Vec::new();
    match (dir, &m.down) {
        (Direction::Up, _) => {
            for op in &m.up {
                render::render(op, dialect, &op.path, &mut out)?;
            }
        }
        (Direction::Down, Some(down)) => {
            for op in down {
                render::render(op, dialect, &op.path, &mut out)?;
            }
        }
        (Direction::Down, None) => out = render::derive_down(&m.up, dialect)?,
    }
    Ok(out)
}

/// DELETE statements for [`StepKind::DeleteByPrimaryKey`] once the key is known.
pub fn delete_by_key(
    table: &str,
    key: &[String],
    rows: &[Vec<(String, Value)>],
    dialect: Dialect,
) -> Result<Vec<(String, Vec<Value>)>, String> {
    render::delete_rows(table, key, rows, dialect)
}

/// Human-readable, runnable SQL for `migrate:sql` / `--dry-run` previews (no connection). Sql
/// steps: the statement with its parameters as quoted literals (a preview: never executed).
/// SqliteRebuild: a comment block. DeleteByPrimaryKey: a comment, then the DELETEs by `id` when
/// every row has one (the key actually used is read at run time).
pub fn preview(step: &Step, dialect: Dialect) -> String {
    match &step.kind {
        StepKind::Sql { sql, params } => {
            let text = render::inline_params(sql, params, dialect);
            let text = text.trim_end().trim_end_matches(';').trim_end();
            if dialect == Dialect::Mysql && text.contains(';') {
                // A trigger or procedure body: the mysql client needs another delimiter.
                format!("DELIMITER $$\n{text}$$\nDELIMITER ;")
            } else {
                format!("{text};")
            }
        }
        StepKind::SqliteRebuild { table, change } => {
            let q = Dialect::Sqlite.quote_ident(table);
            let native = match change {
                TableChange::DropColumns(_) => {
                    "\n-- (or ALTER TABLE … DROP COLUMN, when no key, index, constraint or trigger uses the column)"
                }
                _ => "",
            };
            format!(
                "-- rebuild table {q}: {}\n\
                 -- the SQL depends on the live table definition, read from sqlite_master at run time:\n\
                 -- CREATE TABLE \"_furrow_new_{table}\" (…with the change…); INSERT INTO \"_furrow_new_{table}\" SELECT … FROM {q};\n\
                 -- DROP TABLE {q}; ALTER TABLE \"_furrow_new_{table}\" RENAME TO {q}; then its indexes and triggers are re-created{native}",
                change.describe().replace('\n', " ")
            )
        }
        StepKind::DropIndexIfExists { table, name } => format!(
            "-- when it exists (InnoDB creates it for a foreign key):\nDROP INDEX {} ON {};",
            dialect.quote_ident(name),
            dialect.quote_ident(table)
        ),
        StepKind::DropForeignKeysOn { table, columns } => format!(
            "-- drop the foreign keys of {} that use {} (read from the live schema at run time)",
            dialect.quote_ident(table),
            columns
                .iter()
                .map(|c| dialect.quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepKind::DeleteByPrimaryKey { table, rows } => {
            let q = dialect.quote_ident(table);
            let mut s = format!(
                "-- delete the {} inserted row(s) from {q} by its primary key, read from the database at run time",
                rows.len()
            );
            let id = vec!["id".to_string()];
            match render::delete_rows(table, &id, rows, dialect) {
                Ok(stmts) => {
                    s.push_str("; assuming it is (id):");
                    for (sql, params) in stmts {
                        s.push('\n');
                        s.push_str(&render::inline_params(&sql, &params, dialect));
                        s.push(';');
                    }
                }
                Err(_) => {
                    s.push_str(" (the rows do not all have an `id`, so no DELETE can be shown)")
                }
            }
            s
        }
    }
}
