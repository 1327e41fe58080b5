//! SQLite table rebuilds: the "12-step" procedure of <https://www.sqlite.org/lang_altertable.html>
//! for the changes SQLite's ALTER TABLE cannot make in place.
//!
//! The statements returned here are steps 4–8 of that procedure; the runner does the rest, and
//! this code relies on it:
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

use super::ops::{Column, DropForeignKey, ForeignKey};
use super::render::{column_def, fk_clause};
use crate::value::Dialect;

/// What a rebuild changes.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    /// Columns SQLite's ADD COLUMN refuses (primary key, foreign key, NOT NULL without a default,
    /// a non-constant default). Their `unique`/`index` indexes are separate steps after the rebuild.
    AddColumns(Vec<Column>),
    /// Dropped natively (`ALTER TABLE … DROP COLUMN`) when nothing else uses the columns.
    DropColumns(Vec<String>),
    /// The column's full new definition; its inline PRIMARY KEY, UNIQUE and REFERENCES are kept.
    AlterColumn(Column),
    AddForeignKey(ForeignKey),
    DropForeignKey(DropForeignKey),
}

impl TableChange {
    /// One line for previews.
    pub fn describe(&self) -> String {
        let d = Dialect::Sqlite;
        match self {
            TableChange::AddColumns(cols) => format!(
                "add {}",
                cols.iter()
                    .map(|c| column_def(c, d, false, false))
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
                column_def(c, d, false, false)
            ),
            TableChange::AddForeignKey(fk) => format!("add {}", fk_clause(fk, d)),
            TableChange::DropForeignKey(dfk) => {
                format!("drop foreign key {}", d.quote_ident(&dfk.name))
            }
        }
    }
}

/// Everything a rebuild needs from sqlite_master about the live table.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTable {
    /// `sql` of the table's row in sqlite_master.
    pub create_sql: String,
    /// Indexes and triggers on the table: (type, name, sql); sql is None for auto-indexes.
    pub dependents: Vec<(String, String, Option<String>)>,
}

// ---------------------------------------------------------------------------------------------
// A small SQLite lexer: enough to find top-level commas, parentheses, names and keywords.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Word,
    /// `"x"`, `` `x` ``, `[x]`
    Quoted,
    Str,
    Num,
    LParen,
    RParen,
    Comma,
    Dot,
    Other,
    Space,
    LineComment,
    BlockComment,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    k: K,
    s: usize,
    e: usize,
}

impl Tok {
    fn significant(&self) -> bool {
        !matches!(self.k, K::Space | K::LineComment | K::BlockComment)
    }
}

fn lex(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let k = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                K::Space
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                K::LineComment
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                K::BlockComment
            }
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < b.len() {
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                if c == b'\'' {
                    K::Str
                } else {
                    K::Quoted
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                K::Quoted
            }
            b'(' => {
                i += 1;
                K::LParen
            }
            b')' => {
                i += 1;
                K::RParen
            }
            b',' => {
                i += 1;
                K::Comma
            }
            b'.' => {
                i += 1;
                K::Dot
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                K::Word
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                K::Num
            }
            _ => {
                i += 1;
                K::Other
            }
        };
        out.push(Tok { k, s: start, e: i });
    }
    out
}

/// The significant tokens of a text.
struct Toks<'a> {
    src: &'a str,
    t: Vec<Tok>,
}

impl<'a> Toks<'a> {
    fn new(src: &'a str) -> Toks<'a> {
        Toks {
            src,
            t: lex(src).into_iter().filter(Tok::significant).collect(),
        }
    }
    fn text(&self, i: usize) -> &'a str {
        &self.src[self.t[i].s..self.t[i].e]
    }
    fn kind(&self, i: usize) -> Option<K> {
        self.t.get(i).map(|t| t.k)
    }
    /// The keyword at `i`, upper-cased (bare words only).
    fn word(&self, i: usize) -> Option<String> {
        match self.kind(i) {
            Some(K::Word) => Some(self.text(i).to_ascii_uppercase()),
            _ => None,
        }
    }
    fn is_word(&self, i: usize, w: &str) -> bool {
        self.word(i).as_deref() == Some(w)
    }
    /// The name at `i` (bare, quoted or a string literal used as a name).
    fn name(&self, i: usize) -> Option<String> {
        let t = self.t.get(i)?;
        let raw = self.text(i);
        match t.k {
            K::Word => Some(raw.to_string()),
            K::Quoted | K::Str => Some(unquote(raw)),
            _ => None,
        }
    }
    /// Index of the parenthesis closing the one opened at `open`.
    fn close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for i in open..self.t.len() {
            match self.t[i].k {
                K::LParen => depth += 1,
                K::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }
    /// Token index ranges between `open` and its closing parenthesis, split at top-level commas.
    fn list(&self, open: usize) -> Option<(Vec<(usize, usize)>, usize)> {
        let close = self.close(open)?;
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = open + 1;
        for i in open + 1..close {
            match self.t[i].k {
                K::LParen => depth += 1,
                K::RParen => depth -= 1,
                K::Comma if depth == 0 => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push((start, close));
        Some((items, close))
    }
    /// Names (bare or quoted words) mentioned in tokens `from..to`.
    fn names_in(&self, from: usize, to: usize) -> Vec<String> {
        (from..to.min(self.t.len()))
            .filter(|&i| matches!(self.t[i].k, K::Word | K::Quoted))
            .filter_map(|i| self.name(i))
            .collect()
    }
}

fn unquote(raw: &str) -> String {
    let first = raw.chars().next().unwrap_or(' ');
    let (open, close) = match first {
        '"' => ('"', '"'),
        '`' => ('`', '`'),
        '\'' => ('\'', '\''),
        '[' => ('[', ']'),
        _ => return raw.to_string(),
    };
    let inner = raw.strip_prefix(open).unwrap_or(raw);
    let inner = inner.strip_suffix(close).unwrap_or(inner);
    if open == '[' {
        inner.to_string()
    } else {
        inner.replace(&format!("{close}{close}"), &close.to_string())
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn mentions(names: &[String], any_of: &[String]) -> bool {
    names.iter().any(|n| any_of.iter().any(|c| eq(n, c)))
}

// ---------------------------------------------------------------------------------------------
// The table definition, as text items.

#[derive(Debug, Clone, PartialEq)]
enum ConsKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
}

#[derive(Debug, Clone)]
struct Constraint {
    name: Option<String>,
    kind: ConsKind,
    /// PRIMARY KEY / UNIQUE / FOREIGN KEY: the columns; CHECK: the names its expression mentions.
    columns: Vec<String>,
    ref_table: Option<String>,
}

#[derive(Debug, Clone)]
enum Item {
    Column { name: String, text: String },
    Constraint { cons: Constraint, text: String },
}

impl Item {
    fn text(&self) -> &str {
        match self {
            Item::Column { text, .. } | Item::Constraint { text, .. } => text,
        }
    }
    fn column(&self) -> Option<&str> {
        match self {
            Item::Column { name, .. } => Some(name),
            Item::Constraint { .. } => None,
        }
    }
}

struct TableDef {
    name: String,
    items: Vec<Item>,
    /// Table options after the closing parenthesis (`WITHOUT ROWID`, `STRICT`).
    suffix: String,
}

impl TableDef {
    fn parse(sql: &str) -> Result<TableDef, String> {
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

    fn columns(&self) -> Vec<&str> {
        self.items.iter().filter_map(Item::column).collect()
    }

    fn find_column(&self, name: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|it| it.column().is_some_and(|c| eq(c, name)))
    }

    fn render(&self, new_name: &str) -> String {
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

fn ends_with_line_comment(text: &str) -> bool {
    lex(text)
        .iter()
        .rev()
        .find(|t| t.k != K::Space)
        .is_some_and(|t| t.k == K::LineComment)
}

const TABLE_CONSTRAINT_WORDS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

fn parse_item(text: &str) -> Result<Item, String> {
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
struct Clause {
    /// PRIMARY, NOT (NULL), NULL, UNIQUE, CHECK, DEFAULT, COLLATE, REFERENCES, GENERATED, AS
    kind: String,
    name: Option<String>,
    start: usize,
    end: usize,
    /// For REFERENCES: the referenced table; for CHECK/AS/GENERATED: the names in the expression.
    ref_table: Option<String>,
    mentions: Vec<String>,
}

/// The constraint clauses of a column definition (after its name and type).
fn column_clauses(text: &str) -> Vec<Clause> {
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
    let t = Toks::new(text);
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
fn column_expr_mentions(text: &str) -> Vec<String> {
    column_clauses(text)
        .into_iter()
        .flat_map(|c| c.mentions)
        .collect()
}

fn is_generated(text: &str) -> bool {
    column_clauses(text)
        .iter()
        .any(|c| c.kind == "AS" || c.kind == "GENERATED")
}

/// A dependent index, read from its CREATE INDEX text.
struct IndexSql<'a> {
    toks: Toks<'a>,
    items: Vec<(usize, usize)>,
    open: usize,
    close: usize,
}

impl<'a> IndexSql<'a> {
    fn parse(sql: &'a str) -> Option<IndexSql<'a>> {
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
    fn item_names(&self, i: usize) -> Vec<String> {
        let (a, b) = self.items[i];
        self.toks.names_in(a, b)
    }
    fn where_names(&self) -> Vec<String> {
        self.toks.names_in(self.close + 1, self.toks.t.len())
    }
    fn all_names(&self) -> Vec<String> {
        self.toks.names_in(self.open, self.toks.t.len())
    }
    /// The statement keeping only the column items `keep`.
    fn with_items(&self, keep: &[usize]) -> String {
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

// ---------------------------------------------------------------------------------------------

/// Statements (in order, all inside the migration's transaction) that rebuild `table` with the
/// change: CREATE TABLE "_furrow_new_<t>" (modified definition), INSERT INTO … SELECT (common
/// columns), sqlite_sequence carried over for AUTOINCREMENT tables, DROP TABLE, ALTER TABLE …
/// RENAME TO, then the indexes and triggers re-created. A `DropColumns` change whose columns
/// nothing else uses becomes SQLite's native `ALTER TABLE … DROP COLUMN` instead.
pub fn sqlite_rebuild_statements(
    table: &str,
    change: &TableChange,
    live: &LiveTable,
) -> Result<Vec<String>, String> {
    let d = Dialect::Sqlite;
    let mut def = TableDef::parse(&live.create_sql)?;
    let old_columns: Vec<String> = def
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Column { name, text } if !is_generated(text) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut copy = old_columns.clone();
    let mut dependents: Vec<String> = live
        .dependents
        .iter()
        .filter_map(|(_, _, sql)| sql.clone())
        .collect();
    let no_column = |c: &str| format!("table `{table}` has no column `{c}`");

    match change {
        TableChange::AlterColumn(col) => {
            let i = def
                .find_column(&col.name)
                .ok_or_else(|| no_column(&col.name))?;
            let old = def.items[i].text().to_string();
            let in_table_pk = def.items.iter().any(|it| match it {
                Item::Constraint { cons, .. } => {
                    cons.kind == ConsKind::PrimaryKey
                        && cons.columns.iter().any(|c| eq(c, &col.name))
                }
                _ => false,
            });
            let clauses = column_clauses(&old);
            let inline_pk = clauses.iter().any(|c| c.kind == "PRIMARY");
            let mut text = column_def(col, d, in_table_pk || inline_pk, false);
            // Keep what alter_column does not describe: the key, uniqueness, foreign keys.
            if inline_pk && !col.ty.is_increments() {
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
        }
        TableChange::AddColumns(cols) => {
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
                    text: column_def(c, d, c.primary, false),
                });
                if c.primary && !c.ty.is_increments() {
                    pk.push(c.name.clone());
                }
                if let (_, Some(fk)) = super::render::column_extras(&def.name, c) {
                    fks.push(fk);
                }
            }
            let at = last_col + 1;
            def.items.splice(at..at, new_items);
            if !pk.is_empty() {
                let cols = pk
                    .iter()
                    .map(|c| d.quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                def.items
                    .push(parse_item(&format!("PRIMARY KEY ({cols})"))?);
            }
            for fk in fks {
                def.items.push(parse_item(&fk_clause(&fk, d))?);
            }
        }
        TableChange::DropColumns(cols) => {
            for c in cols {
                def.find_column(c).ok_or_else(|| no_column(c))?;
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
        TableChange::AddForeignKey(fk) => {
            if find_foreign_key(&def, &fk.name, &[], None).is_some() {
                return Err(format!(
                    "table `{table}` already has a constraint named `{}`",
                    fk.name
                ));
            }
            for c in &fk.columns {
                def.find_column(c).ok_or_else(|| no_column(c))?;
            }
            def.items.push(parse_item(&fk_clause(fk, d))?);
        }
        TableChange::DropForeignKey(dfk) => {
            let ref_table = dfk.spec.as_ref().map(|s| s.ref_table.as_str());
            match find_foreign_key(&def, &dfk.name, &dfk.columns, ref_table) {
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
        }
    }

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
    Ok(out)
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

enum FkAt {
    /// A table constraint: the item index.
    Table(usize),
    /// A column's REFERENCES clause: item index and byte range in its text.
    Inline(usize, usize, usize),
}

/// A foreign key by name, else (when `columns` are given) by its columns and referenced table.
fn find_foreign_key(
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
