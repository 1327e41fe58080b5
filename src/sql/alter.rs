//! What a DDL or DML statement does, read from its tokens, for the linter: the actions of an
//! `ALTER TABLE`, the columns and keys of a `CREATE TABLE`, and the shape of `DROP`,
//! `TRUNCATE`, `DELETE`, `UPDATE`, `RENAME TABLE`, `CREATE INDEX`.

use super::lex::{Lexer, Tok};

/// A column as a statement defines it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ColumnDef {
    pub name: String,
    /// The type's name, upper-cased (`VARCHAR`, `INT`, `BIGINT` …).
    pub ty: String,
    /// Its numbers: `VARCHAR(20)` → `[20]`, `DECIMAL(10,2)` → `[10, 2]`.
    pub args: Vec<u64>,
    pub unsigned: bool,
    pub not_null: bool,
    pub has_default: bool,
    pub auto_increment: bool,
    /// `AS (…) STORED|PERSISTENT` (true) or `VIRTUAL` (false).
    pub generated: Option<bool>,
    pub charset: Option<String>,
    /// `FIRST` or `AFTER x`.
    pub positioned: bool,
    pub unique: bool,
    pub primary: bool,
    pub references: Option<String>,
}

impl ColumnDef {
    /// `VARCHAR(20)`, `INT UNSIGNED`.
    pub fn type_text(&self) -> String {
        let mut t = self.ty.clone();
        if !self.args.is_empty() {
            let a: Vec<String> = self.args.iter().map(u64::to_string).collect();
            t.push_str(&format!("({})", a.join(",")));
        }
        if self.unsigned {
            t.push_str(" UNSIGNED");
        }
        t
    }
}

/// What an index or key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Plain,
    Unique,
    Primary,
    Fulltext,
    Spatial,
    Foreign,
    Check,
}

/// An index, key or constraint a statement adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDef {
    pub kind: KeyKind,
    pub name: Option<String>,
    pub columns: Vec<String>,
    /// A foreign key's parent table.
    pub references: Option<String>,
    /// The parent's columns it references, in order (`REFERENCES p (a, b)`).
    pub ref_columns: Vec<String>,
}

/// One action of an `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterAction {
    AddColumn(ColumnDef),
    DropColumn(String),
    /// `MODIFY c def` (from = to) or `CHANGE old def-with-new-name`.
    ModifyColumn {
        from: String,
        def: ColumnDef,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    /// `ALTER COLUMN c SET DEFAULT … | DROP DEFAULT`.
    ColumnDefault(String),
    AddKey(KeyDef),
    DropIndex(String),
    DropPrimaryKey,
    DropForeignKey(String),
    DropConstraint(String),
    RenameIndex,
    RenameTable(String),
    /// `ENGINE=`, with the engine.
    Engine(String),
    /// `CONVERT TO CHARACTER SET`.
    ConvertCharset,
    /// `ROW_FORMAT=`, `FORCE`, `KEY_BLOCK_SIZE=`: a rebuild.
    Rebuild,
    /// `ALGORITHM=X` as written, upper-cased.
    Algorithm(String),
    /// `LOCK=X` as written, upper-cased.
    Lock(String),
    /// `COMMENT=`, `AUTO_INCREMENT=`, `DEFAULT CHARSET=` and the like: metadata only.
    Option,
    /// Anything else, as its first words.
    Other(String),
}

/// A statement, as the linter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ddl {
    CreateTable {
        name: String,
        temporary: bool,
        /// `CREATE TABLE t LIKE u` / `(LIKE u)`: a copy of another table's definition.
        like: bool,
        columns: Vec<ColumnDef>,
        keys: Vec<KeyDef>,
        /// The `ENGINE =` table option, upper-cased.
        engine: Option<String>,
    },
    Alter {
        table: String,
        actions: Vec<AlterAction>,
    },
    /// `DROP TABLE [IF EXISTS] a, b`.
    DropTable {
        names: Vec<String>,
        if_exists: bool,
    },
    RenameTable(Vec<(String, String)>),
    Truncate(String),
    /// `DELETE FROM t …` / `UPDATE t …`, and whether it has a WHERE.
    Delete {
        table: String,
        filtered: bool,
    },
    Update {
        table: String,
        filtered: bool,
    },
    /// `INSERT … SELECT` / `REPLACE … SELECT` into a table.
    InsertSelect(String),
    /// `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name ON t (cols)`.
    CreateIndex {
        table: String,
        key: KeyDef,
    },
    /// `DROP INDEX name ON t`.
    DropIndex {
        table: String,
        name: String,
    },
}

struct Toks {
    t: Vec<Tok>,
}

impl Toks {
    fn new(sql: &str) -> Toks {
        let mut lx = Lexer::new(sql);
        Toks {
            t: std::iter::from_fn(|| lx.next_tok()).collect(),
        }
    }

    fn word(&self, i: usize, w: &str) -> bool {
        matches!(self.t.get(i), Some(Tok::Word(x)) if x == w)
    }

    fn punct(&self, i: usize, c: u8) -> bool {
        matches!(self.t.get(i), Some(Tok::Punct(x)) if *x == c)
    }

    fn name(&self, i: usize) -> Option<String> {
        match self.t.get(i)? {
            Tok::Word(w) | Tok::Ident(w) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    /// A possibly qualified name at `i`: (the last part, the index after it).
    fn qualified(&self, i: usize) -> Option<(String, usize)> {
        let mut name = self.name(i)?;
        let mut j = i + 1;
        while self.punct(j, b'.') {
            name = self.name(j + 1)?;
            j += 2;
        }
        Some((name, j))
    }

    /// Index of the `)` closing the `(` at `i`.
    fn close(&self, i: usize) -> usize {
        let mut depth = 0;
        for k in i..self.t.len() {
            match self.t[k] {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return k;
                    }
                }
                _ => {}
            }
        }
        self.t.len()
    }

    /// The depth-0 comma-separated runs of `from..to`.
    fn items(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let (mut depth, mut start) = (0i32, from);
        for k in from..to.min(self.t.len()) {
            match self.t[k] {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => depth -= 1,
                Tok::Punct(b',') if depth == 0 => {
                    out.push((start, k));
                    start = k + 1;
                }
                _ => {}
            }
        }
        if start < to.min(self.t.len()) {
            out.push((start, to.min(self.t.len())));
        }
        out
    }

    /// The names in the parenthesised list at `i` (`(a, b(10), c DESC)` → [a, b, c]).
    fn name_list(&self, i: usize) -> (Vec<String>, usize) {
        if !self.punct(i, b'(') {
            return (Vec::new(), i);
        }
        let end = self.close(i);
        let names = self
            .items(i + 1, end)
            .into_iter()
            .filter_map(|(a, _)| self.name(a))
            .collect();
        (names, end + 1)
    }

    fn has_word(&self, from: usize, to: usize, w: &str) -> bool {
        (from..to.min(self.t.len())).any(|k| self.word(k, w))
    }
}

fn number(t: &Tok) -> Option<u64> {
    match t {
        Tok::Word(w) => w.parse().ok(),
        _ => None,
    }
}

/// A column definition in `a..b` (its name first).
fn column_def(t: &Toks, a: usize, b: usize) -> Option<ColumnDef> {
    let mut c = ColumnDef {
        name: t.name(a)?,
        ..ColumnDef::default()
    };
    let mut k = a + 1;
    if let Some(Tok::Word(ty)) = t.t.get(k) {
        c.ty = ty.clone();
        k += 1;
        // DOUBLE PRECISION, CHARACTER VARYING
        if (c.ty == "DOUBLE" && t.word(k, "PRECISION"))
            || (c.ty == "CHARACTER" && t.word(k, "VARYING"))
        {
            k += 1;
        }
    }
    if t.punct(k, b'(') {
        let end = t.close(k);
        c.args = (k + 1..end).filter_map(|i| number(&t.t[i])).collect();
        k = end + 1;
    }
    while k < b {
        match &t.t[k] {
            Tok::Word(w) => match w.as_str() {
                "UNSIGNED" => c.unsigned = true,
                "NOT" if t.word(k + 1, "NULL") => {
                    c.not_null = true;
                    k += 1;
                }
                "DEFAULT" => c.has_default = true,
                "AUTO_INCREMENT" => c.auto_increment = true,
                "AS" if c.generated.is_none() => {
                    c.generated = Some(false);
                    if t.punct(k + 1, b'(') {
                        k = t.close(k + 1);
                    }
                }
                "STORED" | "PERSISTENT" if c.generated.is_some() => c.generated = Some(true),
                "CHARACTER" | "CHARSET" => {
                    let j = if t.word(k + 1, "SET") { k + 2 } else { k + 1 };
                    c.charset = t.name(j);
                    k = j;
                }
                "FIRST" | "AFTER" => c.positioned = true,
                "UNIQUE" => c.unique = true,
                "PRIMARY" => c.primary = true,
                "REFERENCES" => {
                    c.references = t.qualified(k + 1).map(|(n, _)| n);
                }
                _ => {}
            },
            Tok::Punct(b'(') => k = t.close(k),
            _ => {}
        }
        k += 1;
    }
    Some(c)
}

/// A key or constraint definition in `a..b` (after ADD, or in a CREATE TABLE's list), or
/// None when the item is a column.
fn key_def(t: &Toks, a: usize, b: usize) -> Option<KeyDef> {
    let mut k = a;
    let mut name = None;
    if t.word(k, "CONSTRAINT") {
        k += 1;
        if !t.word(k, "PRIMARY")
            && !t.word(k, "UNIQUE")
            && !t.word(k, "FOREIGN")
            && !t.word(k, "CHECK")
        {
            name = t.name(k);
            k += 1;
        }
    }
    let kind = match &t.t.get(k)? {
        Tok::Word(w) => match w.as_str() {
            "PRIMARY" => KeyKind::Primary,
            "UNIQUE" => KeyKind::Unique,
            "FULLTEXT" => KeyKind::Fulltext,
            "SPATIAL" => KeyKind::Spatial,
            "FOREIGN" => KeyKind::Foreign,
            "CHECK" => KeyKind::Check,
            "INDEX" | "KEY" => KeyKind::Plain,
            _ => return None,
        },
        _ => return None,
    };
    k += 1;
    while t.word(k, "KEY") || t.word(k, "INDEX") {
        k += 1;
    }
    if kind == KeyKind::Check {
        return Some(KeyDef {
            kind,
            name,
            columns: Vec::new(),
            references: None,
            ref_columns: Vec::new(),
        });
    }
    if !t.punct(k, b'(') {
        if name.is_none() {
            name = t.name(k);
        }
        k += 1;
        if t.word(k, "USING") {
            k += 2;
        }
    }
    let (columns, after) = t.name_list(k);
    let at = (after..b).find(|&i| t.word(i, "REFERENCES"));
    let parent = at.and_then(|i| t.qualified(i + 1));
    let ref_columns = parent
        .as_ref()
        .map(|(_, j)| t.name_list(*j).0)
        .unwrap_or_default();
    Some(KeyDef {
        kind,
        name,
        columns,
        references: parent.map(|(n, _)| n),
        ref_columns,
    })
}

/// A column definition written as `name type …` (or a type as an engine reports it,
/// `varchar(20)`, after a name).
pub fn column(text: &str) -> Option<ColumnDef> {
    let t = Toks::new(text);
    column_def(&t, 0, t.t.len())
}

fn alter_action(t: &Toks, a: usize, b: usize) -> AlterAction {
    let w = |i: usize| match t.t.get(i) {
        Some(Tok::Word(x)) if i < b => x.as_str(),
        _ => "",
    };
    let other = || {
        AlterAction::Other(
            (a..b.min(a + 3))
                .filter_map(|i| t.name(i))
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_uppercase(),
        )
    };
    let value = |i: usize| {
        let j = if t.punct(i, b'=') { i + 1 } else { i };
        t.name(j).unwrap_or_default()
    };
    match w(a) {
        "ADD" => {
            let mut k = a + 1;
            if let Some(key) = key_def(t, k, b) {
                return AlterAction::AddKey(key);
            }
            if w(k) == "COLUMN" {
                k += 1;
            }
            if w(k) == "IF" {
                k += 3;
            }
            if t.punct(k, b'(') {
                // ADD (a INT, b INT): the first column stands for them all.
                let end = t.close(k);
                return t
                    .items(k + 1, end)
                    .first()
                    .and_then(|(x, y)| column_def(t, *x, *y))
                    .map_or_else(other, AlterAction::AddColumn);
            }
            column_def(t, k, b).map_or_else(other, AlterAction::AddColumn)
        }
        "DROP" => {
            let mut k = a + 1;
            match w(k) {
                "PRIMARY" => return AlterAction::DropPrimaryKey,
                "INDEX" | "KEY" => {
                    k += 1;
                    if w(k) == "IF" {
                        k += 2;
                    }
                    return AlterAction::DropIndex(t.name(k).unwrap_or_default());
                }
                "FOREIGN" => {
                    k += 2;
                    if w(k) == "IF" {
                        k += 2;
                    }
                    return AlterAction::DropForeignKey(t.name(k).unwrap_or_default());
                }
                "CONSTRAINT" | "CHECK" => {
                    return AlterAction::DropConstraint(t.name(k + 1).unwrap_or_default())
                }
                "COLUMN" => k += 1,
                _ => {}
            }
            if w(k) == "IF" {
                k += 2;
            }
            t.name(k).map_or_else(other, AlterAction::DropColumn)
        }
        "MODIFY" | "CHANGE" => {
            let mut k = a + 1;
            if w(k) == "COLUMN" {
                k += 1;
            }
            if w(k) == "IF" {
                k += 2;
            }
            let Some(from) = t.name(k) else {
                return other();
            };
            let def_at = if w(a) == "CHANGE" { k + 1 } else { k };
            column_def(t, def_at, b)
                .map_or_else(other, |def| AlterAction::ModifyColumn { from, def })
        }
        "ALTER" => {
            let k = if w(a + 1) == "COLUMN" { a + 2 } else { a + 1 };
            t.name(k).map_or_else(other, AlterAction::ColumnDefault)
        }
        "RENAME" => match w(a + 1) {
            "COLUMN" => match (t.name(a + 2), t.name(a + 4)) {
                (Some(from), Some(to)) => AlterAction::RenameColumn { from, to },
                _ => other(),
            },
            "INDEX" | "KEY" => AlterAction::RenameIndex,
            "TO" | "AS" => {
                AlterAction::RenameTable(t.qualified(a + 2).map(|(n, _)| n).unwrap_or_default())
            }
            _ => AlterAction::RenameTable(t.qualified(a + 1).map(|(n, _)| n).unwrap_or_default()),
        },
        "ENGINE" => AlterAction::Engine(value(a + 1)),
        "CONVERT" => AlterAction::ConvertCharset,
        "ROW_FORMAT" | "FORCE" | "KEY_BLOCK_SIZE" => AlterAction::Rebuild,
        "ALGORITHM" => AlterAction::Algorithm(value(a + 1).to_ascii_uppercase()),
        "LOCK" => AlterAction::Lock(value(a + 1).to_ascii_uppercase()),
        "COMMENT" | "AUTO_INCREMENT" | "DEFAULT" | "CHARACTER" | "CHARSET" | "COLLATE"
        | "STATS_PERSISTENT" | "STATS_AUTO_RECALC" | "STATS_SAMPLE_PAGES" | "PACK_KEYS" => {
            AlterAction::Option
        }
        _ => other(),
    }
}

/// The `ENGINE [=] X` among a CREATE TABLE's options (from `from`, until a `SELECT`).
fn table_engine(t: &Toks, from: usize) -> Option<String> {
    let mut k = from;
    while k < t.t.len() {
        match &t.t[k] {
            Tok::Word(w) if w == "SELECT" || w == "AS" => return None,
            Tok::Word(w) if w == "ENGINE" => {
                let j = if t.punct(k + 1, b'=') { k + 2 } else { k + 1 };
                return match t.t.get(j) {
                    Some(Tok::Word(e) | Tok::Ident(e)) => Some(e.clone()),
                    _ => None,
                };
            }
            Tok::Punct(b'(') => k = t.close(k),
            _ => {}
        }
        k += 1;
    }
    None
}

fn head(t: &Toks, words: &[&str]) -> bool {
    words.iter().enumerate().all(|(i, w)| t.word(i, w))
}

/// Reads a statement; None for one the linter has nothing to say about.
pub fn ddl(sql: &str) -> Option<Ddl> {
    let t = Toks::new(sql);
    let mut k: usize;
    match t.t.first() {
        Some(Tok::Word(w)) if w == "CREATE" => {
            k = 1;
            if t.word(k, "OR") {
                k += 2;
            }
            let temporary = t.word(k, "TEMPORARY") || t.word(k, "TEMP");
            if temporary {
                k += 1;
            }
            if t.word(k, "TABLE") {
                k += 1;
                if t.word(k, "IF") {
                    k += 3;
                }
                let (name, after) = t.qualified(k)?;
                let like =
                    t.word(after, "LIKE") || (t.punct(after, b'(') && t.word(after + 1, "LIKE"));
                let (mut columns, mut keys) = (Vec::new(), Vec::new());
                let mut options = after;
                if t.punct(after, b'(') && !like {
                    let end = t.close(after);
                    for (a, b) in t.items(after + 1, end) {
                        match key_def(&t, a, b) {
                            Some(key) => keys.push(key),
                            None => columns.extend(column_def(&t, a, b)),
                        }
                    }
                    options = end + 1;
                }
                return Some(Ddl::CreateTable {
                    name,
                    temporary,
                    like,
                    columns,
                    keys,
                    engine: table_engine(&t, options),
                });
            }
            let kind = match t.t.get(k) {
                Some(Tok::Word(w)) if w == "UNIQUE" => KeyKind::Unique,
                Some(Tok::Word(w)) if w == "FULLTEXT" => KeyKind::Fulltext,
                Some(Tok::Word(w)) if w == "SPATIAL" => KeyKind::Spatial,
                _ => KeyKind::Plain,
            };
            if kind != KeyKind::Plain {
                k += 1;
            }
            if !t.word(k, "INDEX") {
                return None;
            }
            k += 1;
            if t.word(k, "IF") {
                k += 3;
            }
            let name = t.name(k);
            let on = (k..t.t.len()).find(|&i| t.word(i, "ON"))?;
            let (table, after) = t.qualified(on + 1)?;
            let (columns, _) = t.name_list(after);
            Some(Ddl::CreateIndex {
                table,
                key: KeyDef {
                    kind,
                    name,
                    columns,
                    references: None,
                    ref_columns: Vec::new(),
                },
            })
        }
        Some(Tok::Word(w)) if w == "ALTER" => {
            k = 1;
            while t.word(k, "ONLINE") || t.word(k, "IGNORE") {
                k += 1;
            }
            if !t.word(k, "TABLE") {
                return None;
            }
            k += 1;
            if t.word(k, "IF") {
                k += 2;
            }
            let (table, after) = t.qualified(k)?;
            let actions = t
                .items(after, t.t.len())
                .into_iter()
                .filter(|(a, b)| a < b)
                .map(|(a, b)| alter_action(&t, a, b))
                .collect();
            Some(Ddl::Alter { table, actions })
        }
        Some(Tok::Word(w)) if w == "DROP" => {
            k = 1;
            if t.word(k, "TEMPORARY") {
                return None;
            }
            if t.word(k, "INDEX") {
                let name = t.name(k + 1)?;
                let on = (k..t.t.len()).find(|&i| t.word(i, "ON"))?;
                let (table, _) = t.qualified(on + 1)?;
                return Some(Ddl::DropIndex { table, name });
            }
            if !t.word(k, "TABLE") {
                return None;
            }
            k += 1;
            let if_exists = t.word(k, "IF");
            if if_exists {
                k += 2;
            }
            let names = t
                .items(k, t.t.len())
                .into_iter()
                .filter_map(|(a, _)| t.qualified(a).map(|(n, _)| n))
                .collect();
            Some(Ddl::DropTable { names, if_exists })
        }
        Some(Tok::Word(w)) if w == "RENAME" && t.word(1, "TABLE") => {
            let pairs = t
                .items(2, t.t.len())
                .into_iter()
                .filter_map(|(a, _)| {
                    let (from, j) = t.qualified(a)?;
                    let (to, _) = t.qualified(j + 1)?;
                    Some((from, to))
                })
                .collect();
            Some(Ddl::RenameTable(pairs))
        }
        Some(Tok::Word(w)) if w == "TRUNCATE" => {
            let k = if t.word(1, "TABLE") { 2 } else { 1 };
            Some(Ddl::Truncate(t.qualified(k)?.0))
        }
        Some(Tok::Word(w)) if w == "DELETE" => {
            let from = (1..t.t.len().min(6)).find(|&i| t.word(i, "FROM"))?;
            let (table, _) = t.qualified(from + 1)?;
            let filtered =
                t.has_word(from, t.t.len(), "WHERE") || t.has_word(from, t.t.len(), "LIMIT");
            Some(Ddl::Delete { table, filtered })
        }
        Some(Tok::Word(w)) if w == "UPDATE" => {
            let mut k = 1;
            while t.word(k, "LOW_PRIORITY") || t.word(k, "IGNORE") {
                k += 1;
            }
            let (table, _) = t.qualified(k)?;
            let filtered = t.has_word(k, t.t.len(), "WHERE") || t.has_word(k, t.t.len(), "LIMIT");
            Some(Ddl::Update { table, filtered })
        }
        Some(Tok::Word(w))
            if (w == "INSERT" || w == "REPLACE") && !head(&t, &["INSERT", "INTO", "DUAL"]) =>
        {
            let into = (1..t.t.len().min(6)).find(|&i| t.word(i, "INTO"))?;
            let (table, _) = t.qualified(into + 1)?;
            t.has_word(into, t.t.len(), "SELECT")
                .then_some(Ddl::InsertSelect(table))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alter(sql: &str) -> Vec<AlterAction> {
        match ddl(sql) {
            Some(Ddl::Alter { actions, .. }) => actions,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn alter_actions_are_read_one_by_one() {
        let a = alter("ALTER TABLE `shop`.`orders` ADD COLUMN note VARCHAR(200) NOT NULL DEFAULT '' AFTER id, DROP COLUMN old, MODIFY total DECIMAL(12,2) UNSIGNED, CHANGE a b BIGINT, ALGORITHM=INSTANT, LOCK = NONE");
        assert_eq!(a.len(), 6, "{a:?}");
        let AlterAction::AddColumn(c) = &a[0] else {
            panic!("{a:?}")
        };
        assert_eq!(
            (
                c.name.as_str(),
                c.type_text(),
                c.not_null,
                c.has_default,
                c.positioned
            ),
            ("note", "VARCHAR(200)".to_string(), true, true, true)
        );
        assert_eq!(a[1], AlterAction::DropColumn("old".into()));
        let AlterAction::ModifyColumn { from, def } = &a[2] else {
            panic!()
        };
        assert_eq!(
            (from.as_str(), def.type_text()),
            ("total", "DECIMAL(12,2) UNSIGNED".to_string())
        );
        let AlterAction::ModifyColumn { from, def } = &a[3] else {
            panic!()
        };
        assert_eq!(
            (from.as_str(), def.name.as_str(), def.ty.as_str()),
            ("a", "b", "BIGINT")
        );
        assert_eq!(a[4], AlterAction::Algorithm("INSTANT".into()));
        assert_eq!(a[5], AlterAction::Lock("NONE".into()));
    }

    #[test]
    fn keys_and_constraints() {
        let a = alter("ALTER TABLE t ADD UNIQUE INDEX u (email), ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE, ADD FULLTEXT (body), DROP INDEX ix, DROP FOREIGN KEY fk2, DROP PRIMARY KEY, ADD PRIMARY KEY (id, e)");
        let AlterAction::AddKey(u) = &a[0] else {
            panic!("{a:?}")
        };
        assert_eq!(
            (u.kind, u.name.as_deref(), u.columns.clone()),
            (KeyKind::Unique, Some("u"), vec!["email".to_string()])
        );
        let AlterAction::AddKey(fk) = &a[1] else {
            panic!()
        };
        assert_eq!(
            (fk.kind, fk.references.as_deref()),
            (KeyKind::Foreign, Some("p"))
        );
        assert!(
            matches!(&a[2], AlterAction::AddKey(k) if k.kind == KeyKind::Fulltext && k.columns == ["body"])
        );
        assert_eq!(a[3], AlterAction::DropIndex("ix".into()));
        assert_eq!(a[4], AlterAction::DropForeignKey("fk2".into()));
        assert_eq!(a[5], AlterAction::DropPrimaryKey);
        assert!(matches!(&a[6], AlterAction::AddKey(k) if k.kind == KeyKind::Primary));
    }

    #[test]
    fn other_statements() {
        let Some(Ddl::CreateTable { name, columns, keys, .. }) = ddl("CREATE TABLE IF NOT EXISTS a.b (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(320) NOT NULL, x INT AS (id + 1) STORED, KEY k (email), CONSTRAINT f FOREIGN KEY (id) REFERENCES c (id))") else { panic!() };
        assert_eq!(name, "b");
        assert_eq!(columns.len(), 3);
        assert!(columns[0].primary && columns[0].auto_increment);
        assert_eq!(columns[2].generated, Some(true));
        assert_eq!(keys.len(), 2);
        assert_eq!(
            ddl("DROP TABLE IF EXISTS a, `b`"),
            Some(Ddl::DropTable {
                names: vec!["a".into(), "b".into()],
                if_exists: true
            })
        );
        assert_eq!(
            ddl("TRUNCATE TABLE logs"),
            Some(Ddl::Truncate("logs".into()))
        );
        assert_eq!(
            ddl("DELETE FROM logs"),
            Some(Ddl::Delete {
                table: "logs".into(),
                filtered: false
            })
        );
        assert_eq!(
            ddl("UPDATE t SET a = 1 WHERE id = 2"),
            Some(Ddl::Update {
                table: "t".into(),
                filtered: true
            })
        );
        assert_eq!(
            ddl("INSERT INTO t SELECT * FROM u"),
            Some(Ddl::InsertSelect("t".into()))
        );
        assert_eq!(ddl("INSERT INTO t VALUES (1)"), None);
        assert_eq!(
            ddl("RENAME TABLE a TO b, c TO d"),
            Some(Ddl::RenameTable(vec![
                ("a".into(), "b".into()),
                ("c".into(), "d".into())
            ]))
        );
        assert!(
            matches!(ddl("CREATE UNIQUE INDEX u ON t (a, b)"), Some(Ddl::CreateIndex { table, key }) if table == "t" && key.kind == KeyKind::Unique && key.columns.len() == 2)
        );
        assert_eq!(
            ddl("DROP INDEX ix ON t"),
            Some(Ddl::DropIndex {
                table: "t".into(),
                name: "ix".into()
            })
        );
    }
}
