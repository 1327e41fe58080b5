//! A table's `CREATE TABLE` text as the parts `schema:drift` compares: each column's
//! definition, each table constraint, the options after the column list.

use super::definition::{ConsKind, Item, TableDef};
use super::lex::Toks;
use crate::catalog::{Part, PartKind};

/// The columns (in order), the table constraints (in order) and the options of a table;
/// `None` when the text is not a plain `CREATE TABLE … (…)` (a virtual table, `AS SELECT`).
pub fn outline(sql: &str) -> Option<(Vec<Part>, Vec<Part>, String)> {
    let def = TableDef::parse(sql).ok()?;
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    for item in &def.items {
        match item {
            Item::Column { name, text } => {
                let t = Toks::new(text);
                let after_name = t.t.first().map_or(0, |tok| tok.e);
                columns.push(Part {
                    kind: PartKind::Column,
                    name: name.clone(),
                    definition: text[after_name..].trim().to_string(),
                });
            }
            Item::Constraint { cons, text } => constraints.push(Part {
                kind: match cons.kind {
                    ConsKind::PrimaryKey => PartKind::PrimaryKey,
                    ConsKind::Unique => PartKind::Unique,
                    ConsKind::Check => PartKind::Check,
                    ConsKind::ForeignKey => PartKind::ForeignKey,
                },
                // SQLite's table constraints are seldom named: the text names them then.
                name: cons.name.clone().unwrap_or_else(|| text.clone()),
                definition: text.clone(),
            }),
        }
    }
    Some((columns, constraints, def.suffix.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_constraints_and_options() {
        let (cols, cons, options) = outline(
            "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL DEFAULT 'x', CONSTRAINT pos CHECK (id > 0), FOREIGN KEY (name) REFERENCES u(n)) STRICT",
        )
        .unwrap();
        assert_eq!(cols[0].name, "id");
        assert_eq!(cols[0].definition, "INTEGER PRIMARY KEY");
        assert_eq!(cols[1].definition, "VARCHAR(50) NOT NULL DEFAULT 'x'");
        assert_eq!(cons[0].name, "pos");
        assert_eq!(cons[0].kind, PartKind::Check);
        assert_eq!(cons[1].name, "FOREIGN KEY (name) REFERENCES u(n)");
        assert_eq!(options, "STRICT");
        assert!(outline("CREATE VIRTUAL TABLE f USING fts5(body)").is_none());
    }
}
