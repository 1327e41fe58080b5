//! The table definition as text items (columns and table constraints), the clauses of a
//! column definition, dependent indexes, and finding a foreign key in them.

use super::lex::{eq, lex, Toks, K};
use crate::value::Dialect;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum ConsKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
}

#[derive(Debug, Clone)]
pub(super) struct Constraint {
    pub(super) name: Option<String>,
    pub(super) kind: ConsKind,
    /// PRIMARY KEY / UNIQUE / FOREIGN KEY: the columns; CHECK: the names its expression mentions.
    pub(super) columns: Vec<String>,
    pub(super) ref_table: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Item {
    Column { name: String, text: String },
    Constraint { cons: Constraint, text: String },
}

impl Item {
    pub(super) fn text(&self) -> &str {
        match self {
            Item::Column { text, .. } | Item::Constraint { text, .. } => text,
        }
    }
    pub(super) fn column(&self) -> Option<&str> {
        match self {
            Item::Column { name, .. } => Some(name),
            Item::Constraint { .. } => None,
        }
    }
}

pub(super) struct TableDef {
    pub(super) name: String,
    pub(super) items: Vec<Item>,
    /// Table options after the closing parenthesis (`WITHOUT ROWID`, `STRICT`).
    pub(super) suffix: String,
}

impl TableDef {
    pub(super) fn parse(sql: &str) -> Result<TableDef, String> {
        let t = Toks::new(sql);
        let bad = |why: &str| format!("cannot read the table definition ({why}): {}", sql.trim());
        let mut i = 0;
        if !t.is_word(i, "CREATE") {
            return Err(bad("it does not start with CREATE"));
        }
        i += 1;
        if t.is_word(i, "TEMP") || t.is_word(i, "TEMPORARY") {
            i += 1;
        }
        if !t.is_word(i, "TABLE") {
            return Err(bad("not a CREATE TABLE"));
        }
        i += 1;
        if t.is_word(i, "IF") {
            i += 3;
        }
        let mut name = t.name(i).ok_or_else(|| bad("no table name"))?;
        i += 1;
        if t.kind(i) == Some(K::Dot) {
            name = t.name(i + 1).ok_or_else(|| bad("no table name"))?;
            i += 2;
        }
        if t.kind(i) != Some(K::LParen) {
            return Err(bad(
                "expected `(` after the table name; CREATE TABLE … AS SELECT cannot be rebuilt",
            ));
        }
        let (ranges, close) = t.list(i).ok_or_else(|| bad("unbalanced parentheses"))?;
        let mut items = Vec::new();
        for (a, b) in ranges {
            if a == b {
                return Err(bad("an empty column definition"));
            }
            // The item's text: from the end of the previous separator to the start of the next, so
            // comments inside it stay with it.
            let start = t.t[a - 1].e;
            let end = t.t[b].s;
            let text = sql[start..end].trim().to_string();
            items.push(parse_item(&text).map_err(|why| bad(&why))?);
        }
        Ok(TableDef {
            name,
            items,
            suffix: sql[t.t[close].e..]
                .trim_end()
                .trim_end_matches(';')
                .to_string(),
        })
    }

    pub(super) fn columns(&self) -> Vec<&str> {
        self.items.iter().filter_map(Item::column).collect()
    }

    pub(super) fn find_column(&self, name: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|it| it.column().is_some_and(|c| eq(c, name)))
    }

    pub(super) fn render(&self, new_name: &str) -> String {
        let mut body = String::new();
        for (i, it) in self.items.iter().enumerate() {
            body.push_str(it.text());
            if ends_with_line_comment(it.text()) {
                body.push('\n');
            }
            if i + 1 < self.items.len() {
                body.push_str(", ");
            }
        }
        format!(
            "CREATE TABLE {} ({body}){}",
            Dialect::Sqlite.quote_ident(new_name),
            self.suffix
        )
    }
}

pub(super) fn ends_with_line_comment(text: &str) -> bool {
    lex(text)
        .iter()
        .rev()
        .find(|t| t.k != K::Space)
        .is_some_and(|t| t.k == K::LineComment)
}

pub(super) const TABLE_CONSTRAINT_WORDS: [&str; 5] =
    ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

pub(super) fn parse_item(text: &str) -> Result<Item, String> {
    let t = Toks::new(text);
    let first = t.word(0).unwrap_or_default();
    if !TABLE_CONSTRAINT_WORDS.contains(&first.as_str()) {
        let name = t
            .name(0)
            .ok_or_else(|| format!("no column name in `{text}`"))?;
        return Ok(Item::Column {
            name,
            text: text.to_string(),
        });
    }
    let mut i = 0;
    let mut name = None;
    if first == "CONSTRAINT" {
        name = t.name(1);
        i = 2;
    }
    let kw = t.word(i).unwrap_or_default();
    let kind = match kw.as_str() {
        "PRIMARY" => ConsKind::PrimaryKey,
        "UNIQUE" => ConsKind::Unique,
        "CHECK" => ConsKind::Check,
        "FOREIGN" => ConsKind::ForeignKey,
        other => return Err(format!("unknown table constraint `{other}`")),
    };
    let open = (i..t.t.len()).find(|&j| t.kind(j) == Some(K::LParen));
    let mut columns = Vec::new();
    let mut ref_table = None;
    if let Some(open) = open {
        let (ranges, close) = t.list(open).ok_or("unbalanced parentheses")?;
        if kind == ConsKind::Check {
            columns = t.names_in(open, close);
        } else {
            columns = ranges.iter().filter_map(|&(a, _)| t.name(a)).collect();
            if kind == ConsKind::ForeignKey && t.is_word(close + 1, "REFERENCES") {
                ref_table = t.name(close + 2);
            }
        }
    }
    Ok(Item::Constraint {
        cons: Constraint {
            name,
            kind,
            columns,
            ref_table,
        },
        text: text.to_string(),
    })
}

/// One constraint clause of a column definition, as a byte range of its text.
#[derive(Debug, Clone)]
pub(super) struct Clause {
    /// PRIMARY, NOT (NULL), NULL, UNIQUE, CHECK, DEFAULT, COLLATE, REFERENCES, GENERATED, AS
    pub(super) kind: String,
    pub(super) name: Option<String>,
    pub(super) start: usize,
    pub(super) end: usize,
    /// For REFERENCES: the referenced table; for CHECK/AS/GENERATED: the names in the expression.
    pub(super) ref_table: Option<String>,
    pub(super) mentions: Vec<String>,
}

/// The token indexes where the clauses of a column definition start.
fn clause_starts(t: &Toks) -> Vec<usize> {
    const STARTS: [&str; 11] = [
        "CONSTRAINT",
        "PRIMARY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
    ];
    let mut starts: Vec<usize> = Vec::new();
    let mut depth = 0i32;
    let mut after_constraint_name = false;
    for i in 1..t.t.len() {
        match t.t[i].k {
            K::LParen => depth += 1,
            K::RParen => depth -= 1,
            _ => {}
        }
        if depth != 0 || t.t[i].k != K::Word {
            continue;
        }
        let w = t.word(i).unwrap_or_default();
        let prev = t.word(i - 1).unwrap_or_default();
        let starts_clause = STARTS.contains(&w.as_str())
            && match w.as_str() {
                "NOT" => t.is_word(i + 1, "NULL"),
                "NULL" => prev != "NOT" && prev != "SET",
                "DEFAULT" => prev != "SET",
                "AS" => prev != "ALWAYS",
                _ => true,
            };
        if starts_clause {
            if after_constraint_name {
                after_constraint_name = false;
                continue;
            }
            starts.push(i);
            if w == "CONSTRAINT" {
                after_constraint_name = true;
            }
        }
    }
    starts
}

/// The constraint clauses of a column definition (after its name and type).
pub(super) fn column_clauses(text: &str) -> Vec<Clause> {
    let t = Toks::new(text);
    let starts = clause_starts(&t);
    let mut out = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let end_tok = starts.get(n + 1).copied();
        let end = end_tok.map_or(text.len(), |e| t.t[e].s);
        let mut k = s;
        let mut name = None;
        if t.is_word(s, "CONSTRAINT") {
            name = t.name(s + 1);
            k = s + 2;
        }
        let kind = t.word(k).unwrap_or_default();
        let stop = end_tok.unwrap_or(t.t.len());
        let ref_table = if kind == "REFERENCES" {
            t.name(k + 1)
        } else {
            None
        };
        let mentions = if matches!(kind.as_str(), "CHECK" | "AS" | "GENERATED") {
            t.names_in(k + 1, stop)
        } else {
            Vec::new()
        };
        out.push(Clause {
            kind,
            name,
            start: t.t[s].s,
            end,
            ref_table,
            mentions,
        });
    }
    out
}

/// The names a column definition's CHECK and generated-column expressions mention.
pub(super) fn column_expr_mentions(text: &str) -> Vec<String> {
    column_clauses(text)
        .into_iter()
        .flat_map(|c| c.mentions)
        .collect()
}

pub(super) fn is_generated(text: &str) -> bool {
    column_clauses(text)
        .iter()
        .any(|c| c.kind == "AS" || c.kind == "GENERATED")
}

/// A dependent index, read from its CREATE INDEX text.
pub(super) struct IndexSql<'a> {
    pub(super) toks: Toks<'a>,
    pub(super) items: Vec<(usize, usize)>,
    pub(super) open: usize,
    pub(super) close: usize,
}

impl<'a> IndexSql<'a> {
    pub(super) fn parse(sql: &'a str) -> Option<IndexSql<'a>> {
        let toks = Toks::new(sql);
        let on = (0..toks.t.len()).find(|&i| toks.is_word(i, "ON"))?;
        let open = (on..toks.t.len()).find(|&i| toks.kind(i) == Some(K::LParen))?;
        let (items, close) = toks.list(open)?;
        Some(IndexSql {
            toks,
            items,
            open,
            close,
        })
    }
    pub(super) fn item_names(&self, i: usize) -> Vec<String> {
        let (a, b) = self.items[i];
        self.toks.names_in(a, b)
    }
    pub(super) fn where_names(&self) -> Vec<String> {
        self.toks.names_in(self.close + 1, self.toks.t.len())
    }
    pub(super) fn all_names(&self) -> Vec<String> {
        self.toks.names_in(self.open, self.toks.t.len())
    }
    /// The statement keeping only the column items `keep`.
    pub(super) fn with_items(&self, keep: &[usize]) -> String {
        let src = self.toks.src;
        let head = &src[..self.toks.t[self.open].e];
        let tail = &src[self.toks.t[self.close].s..];
        let items: Vec<&str> = keep
            .iter()
            .map(|&i| {
                let (a, b) = self.items[i];
                src[self.toks.t[a].s..self.toks.t[b - 1].e].trim()
            })
            .collect();
        format!("{head}{}{tail}", items.join(", "))
    }
}

pub(super) enum FkAt {
    /// A table constraint: the item index.
    Table(usize),
    /// A column's REFERENCES clause: item index and byte range in its text.
    Inline(usize, usize, usize),
}

/// A foreign key by name, else (when `columns` are given) by its columns and referenced table.
pub(super) fn find_foreign_key(
    def: &TableDef,
    name: &str,
    columns: &[String],
    ref_table: Option<&str>,
) -> Option<FkAt> {
    let same_cols =
        |a: &[String]| a.len() == columns.len() && a.iter().zip(columns).all(|(x, y)| eq(x, y));
    let ref_ok = |t: &Option<String>| match (ref_table, t) {
        (Some(want), Some(got)) => eq(want, got),
        _ => true,
    };
    let mut by_columns = None;
    for (i, it) in def.items.iter().enumerate() {
        match it {
            Item::Constraint { cons, .. } => {
                if cons.name.as_deref().is_some_and(|n| eq(n, name)) {
                    return Some(FkAt::Table(i));
                }
                if cons.kind == ConsKind::ForeignKey
                    && !columns.is_empty()
                    && same_cols(&cons.columns)
                    && ref_ok(&cons.ref_table)
                {
                    by_columns.get_or_insert(FkAt::Table(i));
                }
            }
            Item::Column { name: col, text } => {
                for c in column_clauses(text) {
                    if c.kind != "REFERENCES" {
                        continue;
                    }
                    if c.name.as_deref().is_some_and(|n| eq(n, name)) {
                        return Some(FkAt::Inline(i, c.start, c.end));
                    }
                    if columns.len() == 1 && eq(&columns[0], col) && ref_ok(&c.ref_table) {
                        by_columns.get_or_insert(FkAt::Inline(i, c.start, c.end));
                    }
                }
            }
        }
    }
    by_columns
}
