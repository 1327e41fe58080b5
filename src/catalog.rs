//! The live schema as plain data: what each engine reads (`db/sqlite/catalog.rs`,
//! `db/mysql/catalog.rs`), what a schema file prints and what `schema:drift` compares.
//! A leaf: it imports nothing of ours but the dialect.

use crate::value::Dialect;

/// Every object of one database, in the order a schema file creates them.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub dialect: Dialect,
    /// Sorted by name.
    pub tables: Vec<Table>,
    /// Routines, then views (each after the views it reads), then triggers, then events.
    pub objects: Vec<Object>,
}

/// One table: its parts for comparing, its statements for printing.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    /// In table order; `definition` is everything after the column's name.
    pub columns: Vec<Part>,
    /// Keys, indexes, foreign keys and checks, sorted by kind, then name.
    pub parts: Vec<Part>,
    /// What follows the column list (MySQL: `ENGINE=InnoDB COMMENT='…'`; SQLite: `STRICT`).
    pub options: String,
    /// The statements that create it, as a schema file prints them: `CREATE TABLE`, then
    /// (SQLite) its `CREATE INDEX` statements.
    pub statements: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartKind {
    Column,
    PrimaryKey,
    /// A `UNIQUE` table constraint (SQLite).
    Unique,
    UniqueIndex,
    Index,
    ForeignKey,
    Check,
}

impl PartKind {
    pub fn noun(self) -> &'static str {
        match self {
            PartKind::Column => "column",
            PartKind::PrimaryKey => "primary key",
            PartKind::Unique => "unique constraint",
            PartKind::UniqueIndex => "unique index",
            PartKind::Index => "index",
            PartKind::ForeignKey => "foreign key",
            PartKind::Check => "check",
        }
    }
}

/// A column, key, index, foreign key or check. An unnamed one (SQLite's table constraints)
/// is named by its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub kind: PartKind,
    pub name: String,
    pub definition: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    Function,
    Procedure,
    View,
    Trigger,
    Event,
}

impl ObjectKind {
    pub fn noun(self) -> &'static str {
        match self {
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::View => "view",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Event => "event",
        }
    }

    /// Its body is a compound statement (`BEGIN … END`) that the MySQL client needs another
    /// delimiter for.
    pub fn has_body(self) -> bool {
        !matches!(self, ObjectKind::View)
    }
}

/// A view, routine, trigger or event: its name and its `CREATE` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: ObjectKind,
    pub name: String,
    pub sql: String,
}

impl Catalog {
    /// Leaves out the tables named in `names` (furrow's tracking tables).
    pub fn without_tables(mut self, names: &[String]) -> Catalog {
        self.tables.retain(|t| !names.iter().any(|n| n == &t.name));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.objects.is_empty()
    }

    /// "2 tables, 1 view, 3 triggers": what the catalog holds, in words.
    pub fn summary(&self) -> String {
        let mut words = vec![count(self.tables.len(), "table")];
        let indexes = self
            .tables
            .iter()
            .flat_map(|t| &t.parts)
            .filter(|p| matches!(p.kind, PartKind::Index | PartKind::UniqueIndex))
            .count();
        words.push(count(indexes, "index"));
        for kind in [
            ObjectKind::View,
            ObjectKind::Trigger,
            ObjectKind::Function,
            ObjectKind::Procedure,
            ObjectKind::Event,
        ] {
            let n = self.objects.iter().filter(|o| o.kind == kind).count();
            if n > 0 {
                words.push(count(n, kind.noun()));
            }
        }
        words.join(", ")
    }
}

/// "1 table", "2 indexes".
pub fn count(n: usize, noun: &str) -> String {
    let plural = match noun {
        "index" => "indexes".to_string(),
        _ => format!("{noun}s"),
    };
    format!("{n} {}", if n == 1 { noun } else { &plural })
}

/// Puts the views in an order that creates each after the views it reads (MySQL refuses a
/// view over one that does not exist yet); otherwise by name. `sql` is each view's text.
pub fn order_views(mut views: Vec<Object>) -> Vec<Object> {
    views.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out: Vec<Object> = Vec::with_capacity(views.len());
    while !views.is_empty() {
        let ready = views
            .iter()
            .position(|v| {
                !views
                    .iter()
                    .any(|other| other.name != v.name && mentions(&v.sql, &other.name))
            })
            // A cycle (a false match in a string): the rest goes by name.
            .unwrap_or(0);
        out.push(views.remove(ready));
    }
    out
}

/// Whether `sql` names `name` as a whole word (quoted or not, any case) after its first `AS`.
fn mentions(sql: &str, name: &str) -> bool {
    let lower = sql.to_lowercase();
    let name = name.to_lowercase();
    let body = lower.find(" as ").map_or(&lower[..], |i| &lower[i..]);
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    body.match_indices(&name).any(|(i, _)| {
        let before = body[..i].chars().next_back();
        let after = body[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, sql: &str) -> Object {
        Object {
            kind: ObjectKind::View,
            name: name.into(),
            sql: sql.into(),
        }
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let views = vec![
            view(
                "a_totals",
                "CREATE VIEW `a_totals` AS select * from `z_base`",
            ),
            view("z_base", "CREATE VIEW `z_base` AS select 1 AS `n`"),
            view("m", "CREATE VIEW m AS SELECT * FROM a_totals"),
        ];
        let names: Vec<String> = order_views(views).into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["z_base", "a_totals", "m"]);
    }

    #[test]
    fn a_name_inside_a_longer_word_is_not_a_mention() {
        assert!(!mentions("CREATE VIEW x AS SELECT * FROM base_2", "base"));
        assert!(mentions("CREATE VIEW x AS SELECT * FROM \"Base\"", "base"));
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count(1, "index"), "1 index");
        assert_eq!(count(2, "index"), "2 indexes");
        assert_eq!(count(0, "table"), "0 tables");
    }
}
