//! Pure: the differences between the live catalog and the one the migrations build, each
//! in plain words (`accounts.email: live VARCHAR(320), migrations VARCHAR(255)`).

use std::collections::BTreeMap;

use serde_json::json;

use crate::catalog::{Catalog, Object, Part, PartKind, Table};

/// One difference: what it is about, and each side's text (`None`: not on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// `table`, `column`, `index`, `trigger` …
    pub object: &'static str,
    /// `accounts`, `accounts.email`, `accounts_name_index` …
    pub name: String,
    pub live: Option<String>,
    pub migrations: Option<String>,
    /// The sentence for people.
    pub message: String,
}

impl Difference {
    fn new(
        object: &'static str,
        name: String,
        live: Option<&str>,
        migrations: Option<&str>,
    ) -> Self {
        let message = match (live, migrations) {
            (Some(_), None) => format!("{object} {name}: only in the live database"),
            (None, Some(_)) => format!("{object} {name}: only in the migrations"),
            (Some(a), Some(b)) => format!("{object} {name}: {}", contrast(a, b)),
            (None, None) => format!("{object} {name}"),
        };
        Difference {
            object,
            name,
            live: live.map(str::to_string),
            migrations: migrations.map(str::to_string),
            message,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "object": self.object,
            "name": self.name,
            "live": self.live,
            "migrations": self.migrations,
            "message": self.message,
        })
    }
}

/// `live X, migrations Y`: for texts of several lines, the first line that differs; of a
/// long line, the words that differ, with two words around them.
fn contrast(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if la.len() <= 1 && lb.len() <= 1 {
        let (x, y) = differing_words(a, b);
        return format!("live `{x}`, migrations `{y}`");
    }
    let at = (0..la.len().max(lb.len()))
        .find(|&i| la.get(i) != lb.get(i))
        .unwrap_or(0);
    let (x, y) = match (la.get(at), lb.get(at)) {
        (Some(x), Some(y)) => {
            let (x, y) = differing_words(x.trim(), y.trim());
            (format!("`{x}`"), format!("`{y}`"))
        }
        (x, y) => {
            let shown = |l: Option<&&str>| {
                l.map_or("(the end)".to_string(), |s| {
                    format!("`{}`", crate::text::cut(s.trim()))
                })
            };
            (shown(x), shown(y))
        }
    };
    format!(
        "definitions differ from line {}: live {x}, migrations {y}",
        at + 1
    )
}

/// The words of two texts from a little before their first difference to a little after
/// their last, `…` where words were left out.
fn differing_words(a: &str, b: &str) -> (String, String) {
    const AROUND: usize = 2;
    let (wa, wb): (Vec<&str>, Vec<&str>) = (
        a.split_whitespace().collect(),
        b.split_whitespace().collect(),
    );
    if wa.len() + wb.len() <= 16 {
        return (
            crate::text::cut(a).into_owned(),
            crate::text::cut(b).into_owned(),
        );
    }
    let prefix = wa.iter().zip(&wb).take_while(|(x, y)| x == y).count();
    let max_suffix = wa.len().min(wb.len()) - prefix;
    let suffix = wa
        .iter()
        .rev()
        .zip(wb.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let window = |w: &[&str]| {
        let from = prefix.saturating_sub(AROUND);
        let to = (w.len() - suffix + AROUND).min(w.len());
        let mut s = String::new();
        if from > 0 {
            s.push_str("… ");
        }
        s.push_str(&w[from..to].join(" "));
        if to < w.len() {
            s.push_str(" …");
        }
        crate::text::cut(&s).into_owned()
    };
    (window(&wa), window(&wb))
}

/// A column's type (its first word, with `unsigned`/`zerofill`) and the rest of it.
fn split_type(definition: &str) -> (String, &str) {
    let mut depth = 0i32;
    let mut end = definition.len();
    for (i, c) in definition.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c.is_whitespace() && depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let (ty, mut rest) = definition.split_at(end);
    let mut ty = match ty.find('(') {
        Some(p) => format!("{}{}", ty[..p].to_uppercase(), &ty[p..]),
        None => ty.to_uppercase(),
    };
    for word in ["unsigned", "zerofill"] {
        let trimmed = rest.trim_start();
        if trimmed.len() >= word.len() && trimmed[..word.len()].eq_ignore_ascii_case(word) {
            ty.push(' ');
            ty.push_str(&word.to_uppercase());
            rest = &trimmed[word.len()..];
        }
    }
    (ty, rest.trim())
}

fn column_difference(table: &str, live: &Part, ours: &Part) -> Difference {
    let name = format!("{table}.{}", live.name);
    let (lt, lrest) = split_type(&live.definition);
    let (mt, mrest) = split_type(&ours.definition);
    let message = if lrest == mrest && lt != mt {
        format!("{name}: live {lt}, migrations {mt}")
    } else {
        format!(
            "{name}: live `{}`, migrations `{}`",
            live.definition, ours.definition
        )
    };
    Difference {
        object: "column",
        name,
        live: Some(live.definition.clone()),
        migrations: Some(ours.definition.clone()),
        message,
    }
}

fn columns(live: &Table, ours: &Table, out: &mut Vec<Difference>) {
    for l in &live.columns {
        match ours.columns.iter().find(|m| m.name == l.name) {
            None => out.push(Difference::new(
                "column",
                format!("{}.{}", live.name, l.name),
                Some(&l.definition),
                None,
            )),
            Some(m) if m.definition != l.definition => {
                out.push(column_difference(&live.name, l, m))
            }
            Some(_) => {}
        }
    }
    for m in &ours.columns {
        if !live.columns.iter().any(|l| l.name == m.name) {
            out.push(Difference::new(
                "column",
                format!("{}.{}", ours.name, m.name),
                None,
                Some(&m.definition),
            ));
        }
    }
    let order = |t: &Table| -> Vec<String> { t.columns.iter().map(|c| c.name.clone()).collect() };
    let (lo, mo) = (order(live), order(ours));
    let mut ls = lo.clone();
    let mut ms = mo.clone();
    ls.sort();
    ms.sort();
    if ls == ms && lo != mo {
        let mut d = Difference::new(
            "table",
            live.name.clone(),
            Some(&lo.join(", ")),
            Some(&mo.join(", ")),
        );
        d.message = format!(
            "table {}: columns in another order: live {}; migrations {}",
            live.name,
            lo.join(", "),
            mo.join(", ")
        );
        out.push(d);
    }
}

fn keyed<T>(items: &[T], key: impl Fn(&T) -> (u8, String)) -> BTreeMap<(u8, String), &T> {
    items.iter().map(|i| (key(i), i)).collect()
}

fn part_key(p: &Part) -> (u8, String) {
    (p.kind as u8, p.name.clone())
}

/// Walks two keyed maps: `f(live, migrations)` for every key on either side.
fn pair<'a, T>(
    live: &BTreeMap<(u8, String), &'a T>,
    ours: &BTreeMap<(u8, String), &'a T>,
    mut f: impl FnMut(Option<&'a T>, Option<&'a T>),
) {
    let mut keys: Vec<&(u8, String)> = live.keys().chain(ours.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        f(live.get(k).copied(), ours.get(k).copied());
    }
}

fn table(live: &Table, ours: &Table, out: &mut Vec<Difference>) {
    let before = out.len();
    columns(live, ours, out);
    pair(
        &keyed(&live.parts, part_key),
        &keyed(&ours.parts, part_key),
        |l, m| {
            let Some(p) = l.or(m) else { return };
            if l.map(|x| &x.definition) == m.map(|x| &x.definition) {
                return;
            }
            // A part named by its text (SQLite's unnamed constraints) reads better as `table: …`.
            let name = if p.name == p.definition || p.kind == PartKind::PrimaryKey {
                live.name.clone()
            } else {
                p.name.clone()
            };
            let mut d = Difference::new(
                p.kind.noun(),
                name,
                l.map(|x| x.definition.as_str()),
                m.map(|x| x.definition.as_str()),
            );
            if p.name == p.definition {
                d.message = format!(
                    "table {}: {} `{}`: only in the {}",
                    live.name,
                    p.kind.noun(),
                    p.definition,
                    if l.is_some() {
                        "live database"
                    } else {
                        "migrations"
                    }
                );
            }
            out.push(d);
        },
    );
    if live.options != ours.options {
        let shown = |s: &str| {
            if s.is_empty() {
                "(none)".to_string()
            } else {
                s.to_string()
            }
        };
        let mut d = Difference::new(
            "table",
            live.name.clone(),
            Some(&live.options),
            Some(&ours.options),
        );
        d.message = format!(
            "table {}: options: live {}, migrations {}",
            live.name,
            shown(&live.options),
            shown(&ours.options)
        );
        out.push(d);
    }
    // Anything the parts do not show (a virtual table, spacing, a comment).
    if out.len() == before && live.statements != ours.statements {
        let (a, b) = (live.statements.join(";\n"), ours.statements.join(";\n"));
        out.push(Difference::new(
            "table",
            live.name.clone(),
            Some(&a),
            Some(&b),
        ));
    }
}

/// Every difference, tables first (by name), then the other objects.
pub fn diff(live: &Catalog, ours: &Catalog) -> Vec<Difference> {
    let mut out = Vec::new();
    let tkey = |t: &Table| (0u8, t.name.clone());
    pair(
        &keyed(&live.tables, tkey),
        &keyed(&ours.tables, tkey),
        |l, m| match (l, m) {
            (Some(l), Some(m)) => table(l, m, &mut out),
            (Some(t), None) | (None, Some(t)) => {
                let text = t.statements.join(";\n");
                out.push(Difference::new(
                    "table",
                    t.name.clone(),
                    l.map(|_| text.as_str()),
                    m.map(|_| text.as_str()),
                ))
            }
            (None, None) => {}
        },
    );
    let okey = |o: &Object| (o.kind as u8, o.name.clone());
    pair(
        &keyed(&live.objects, okey),
        &keyed(&ours.objects, okey),
        |l, m| {
            let Some(o) = l.or(m) else { return };
            if l.map(|x| &x.sql) != m.map(|x| &x.sql) {
                out.push(Difference::new(
                    o.kind.noun(),
                    o.name.clone(),
                    l.map(|x| x.sql.as_str()),
                    m.map(|x| x.sql.as_str()),
                ));
            }
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ObjectKind, PartKind};
    use crate::value::Dialect;

    fn col(name: &str, def: &str) -> Part {
        Part {
            kind: PartKind::Column,
            name: name.into(),
            definition: def.into(),
        }
    }

    fn accounts(columns: Vec<Part>, parts: Vec<Part>) -> Catalog {
        Catalog {
            dialect: Dialect::Mysql,
            tables: vec![Table {
                name: "accounts".into(),
                columns,
                parts,
                options: "ENGINE=InnoDB".into(),
                statements: vec!["CREATE TABLE accounts".into()],
            }],
            objects: vec![],
        }
    }

    fn messages(a: &Catalog, b: &Catalog) -> Vec<String> {
        diff(a, b).into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn a_changed_type_reads_as_types() {
        let live = accounts(vec![col("email", "varchar(320) DEFAULT NULL")], vec![]);
        let ours = accounts(vec![col("email", "varchar(255) DEFAULT NULL")], vec![]);
        assert_eq!(
            messages(&live, &ours),
            ["accounts.email: live VARCHAR(320), migrations VARCHAR(255)"]
        );
        let ours = accounts(vec![col("email", "varchar(320) NOT NULL")], vec![]);
        assert_eq!(
            messages(&live, &ours),
            ["accounts.email: live `varchar(320) DEFAULT NULL`, migrations `varchar(320) NOT NULL`"]
        );
        assert_eq!(
            split_type("int(10) unsigned NOT NULL").0,
            "INT(10) UNSIGNED"
        );
    }

    #[test]
    fn columns_indexes_and_objects_on_one_side() {
        let index = Part {
            kind: PartKind::Index,
            name: "accounts_name_index".into(),
            definition: "KEY `accounts_name_index` (`name`)".into(),
        };
        let mut live = accounts(vec![col("id", "int"), col("bio", "text")], vec![index]);
        live.objects.push(Object {
            kind: ObjectKind::Trigger,
            name: "stamp".into(),
            sql: "CREATE TRIGGER stamp\nBEGIN\nSET NEW.a = 1;\nEND".into(),
        });
        let mut ours = accounts(vec![col("id", "int")], vec![]);
        ours.objects.push(Object {
            kind: ObjectKind::Trigger,
            name: "stamp".into(),
            sql: "CREATE TRIGGER stamp\nBEGIN\nSET NEW.a = 2;\nEND".into(),
        });
        assert_eq!(
            messages(&live, &ours),
            [
                "column accounts.bio: only in the live database",
                "index accounts_name_index: only in the live database",
                "trigger stamp: definitions differ from line 3: live `SET NEW.a = 1;`, migrations `SET NEW.a = 2;`",
            ]
        );
        assert!(diff(&live, &live).is_empty());
    }

    #[test]
    fn tables_and_column_order() {
        let live = accounts(vec![col("a", "int"), col("b", "int")], vec![]);
        let ours = accounts(vec![col("b", "int"), col("a", "int")], vec![]);
        assert_eq!(
            messages(&live, &ours),
            ["table accounts: columns in another order: live a, b; migrations b, a"]
        );
        let empty = Catalog {
            dialect: Dialect::Mysql,
            tables: vec![],
            objects: vec![],
        };
        assert_eq!(
            messages(&empty, &live),
            ["table accounts: only in the migrations"]
        );
    }
}
