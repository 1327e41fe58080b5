//! Leaf: the plain-data changes the schema language hands to an engine, already rendered
//! (column definitions, foreign-key clauses, names), so that engines need no schema types.

use crate::value::Dialect;

/// A column of an `add_column` or `alter_column` change, rendered for SQLite.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSql {
    pub name: String,
    /// `"name" TYPE [NOT NULL] [DEFAULT …]`: never UNIQUE, an index or a foreign key.
    pub definition: String,
    /// The same, for a column that is part of the table's primary key (so NOT NULL).
    pub definition_in_key: String,
    /// An `increments` column: its definition is the whole key.
    pub increments: bool,
    /// `primary: true`.
    pub primary: bool,
    /// Its `references:`, as a `CONSTRAINT … FOREIGN KEY …` table constraint.
    pub foreign_key: Option<String>,
}

/// A foreign key to add.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeySql {
    pub name: String,
    pub columns: Vec<String>,
    /// `CONSTRAINT "n" FOREIGN KEY (…) REFERENCES "t" (…) [ON DELETE …] [ON UPDATE …]`
    pub clause: String,
}

/// A foreign key to drop: by name, else (when `columns` are given) by its columns and
/// referenced table.
#[derive(Debug, Clone, PartialEq)]
pub struct DropForeignKeySql {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: Option<String>,
}

/// What a table rebuild changes.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    /// Columns SQLite's ADD COLUMN refuses (primary key, foreign key, NOT NULL without a default,
    /// a non-constant default). Their `unique`/`index` indexes are separate steps after the rebuild.
    AddColumns(Vec<ColumnSql>),
    /// Dropped natively (`ALTER TABLE … DROP COLUMN`) when nothing else uses the columns.
    DropColumns(Vec<String>),
    /// The column's full new definition; its inline PRIMARY KEY, UNIQUE and REFERENCES are kept.
    AlterColumn(ColumnSql),
    AddForeignKey(ForeignKeySql),
    DropForeignKey(DropForeignKeySql),
}

impl TableChange {
    /// One line for previews.
    pub fn describe(&self) -> String {
        let d = Dialect::Sqlite;
        match self {
            TableChange::AddColumns(cols) => format!(
                "add {}",
                cols.iter()
                    .map(|c| c.definition.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TableChange::DropColumns(cols) => format!(
                "drop column{} {}",
                if cols.len() == 1 { "" } else { "s" },
                cols.iter()
                    .map(|c| d.quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TableChange::AlterColumn(c) => format!(
                "change column {} to {}",
                d.quote_ident(&c.name),
                c.definition
            ),
            TableChange::AddForeignKey(fk) => format!("add {}", fk.clause),
            TableChange::DropForeignKey(dfk) => {
                format!("drop foreign key {}", d.quote_ident(&dfk.name))
            }
        }
    }
}
