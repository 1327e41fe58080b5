//! The parser of the YAML migration language, from `serde_yaml::Value` to `ops`: the file and
//! its op list here; tables, columns, indexes and foreign keys, and data ops in the submodules.
//!
//! Parsing is done by hand (not with `#[serde(deny_unknown_fields)]`) so that every error names
//! its path (`up[2].create_table.columns[1].type`), the offending key or value, and the nearest
//! valid spelling.

mod column;
mod data;
mod index;
mod table;

use std::collections::HashMap;

use serde_yaml::{Mapping, Value as Y};

use super::ops::{check_ident, Op, OpKind};
use super::SchemaError;
pub(super) use crate::text::did_you_mean;

// ---------------------------------------------------------------------------------------------
// Names: canonical spelling first, then accepted aliases (Knex's camelCase).

type Names = &'static [(&'static str, &'static [&'static str])];

const TOP_KEYS: Names = &[("up", &[]), ("down", &[]), ("transaction", &[])];

const OP_NAMES: Names = &[
    ("create_table", &["createTable"]),
    ("drop_table", &["dropTable"]),
    ("rename_table", &["renameTable"]),
    ("add_column", &["addColumn", "add_columns", "addColumns"]),
    (
        "drop_column",
        &["dropColumn", "drop_columns", "dropColumns"],
    ),
    ("rename_column", &["renameColumn"]),
    ("alter_column", &["alterColumn"]),
    ("create_index", &["createIndex"]),
    ("drop_index", &["dropIndex"]),
    ("add_foreign_key", &["addForeignKey"]),
    ("drop_foreign_key", &["dropForeignKey"]),
    ("sql", &["raw"]),
    ("insert", &[]),
    ("delete", &[]),
];

// ---------------------------------------------------------------------------------------------
// Messages.

fn all_names(names: Names) -> impl Iterator<Item = &'static str> {
    names
        .iter()
        .flat_map(|(c, a)| std::iter::once(*c).chain(a.iter().copied()))
}

fn describe(v: &Y) -> &'static str {
    match v {
        Y::Null => "nothing (null)",
        Y::Bool(_) => "a boolean",
        Y::Number(_) => "a number",
        Y::String(_) => "a string",
        Y::Sequence(_) => "a list",
        Y::Mapping(_) => "a map",
        Y::Tagged(_) => "a tagged value",
    }
}

fn scalar_text(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn shown(v: &Y) -> String {
    scalar_text(v).map_or_else(|| describe(v).to_string(), |s| format!("`{s}`"))
}

// ---------------------------------------------------------------------------------------------
// The parser.

pub(crate) struct Parser<'a> {
    pub text: &'a str,
}

/// A map's entries, resolved to canonical key names.
struct Fields<'m> {
    path: String,
    entries: Vec<(&'static str, String, &'m Y)>,
}

impl<'m> Fields<'m> {
    fn get(&self, key: &str) -> Option<(String, &'m Y)> {
        self.entries
            .iter()
            .find(|(c, _, _)| *c == key)
            .map(|(_, written, v)| (join(&self.path, written), *v))
    }
    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(c, _, _)| *c == key)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Parser<'a> {
    pub fn err(&self, path: &str, message: impl Into<String>) -> SchemaError {
        SchemaError::located(self.text, path, message.into())
    }

    fn fields<'m>(
        &self,
        v: &'m Y,
        path: &str,
        names: Names,
        what: &str,
    ) -> Result<Fields<'m>, SchemaError> {
        let map = match v {
            Y::Mapping(m) => m,
            other => {
                return Err(self.err(
                    path,
                    format!("expected {what} (a map), found {}", describe(other)),
                ))
            }
        };
        self.fields_of(map, path, names)
    }

    fn fields_of<'m>(
        &self,
        map: &'m Mapping,
        path: &str,
        names: Names,
    ) -> Result<Fields<'m>, SchemaError> {
        let mut entries: Vec<(&'static str, String, &'m Y)> = Vec::new();
        for (k, v) in map {
            let key = match k {
                Y::String(s) => s.clone(),
                other => {
                    let shown = scalar_text(other).unwrap_or_else(|| describe(other).to_string());
                    return Err(self.err(path, format!("unexpected key `{shown}`: keys are names")));
                }
            };
            let canonical = names
                .iter()
                .find(|(c, a)| *c == key || a.contains(&key.as_str()))
                .map(|(c, _)| *c);
            let Some(canonical) = canonical else {
                return Err(self.err(
                    &join(path, &key),
                    format!(
                        "unknown key `{key}`{}",
                        did_you_mean(&key, all_names(names))
                    ),
                ));
            };
            if let Some((_, first, _)) = entries.iter().find(|(c, _, _)| *c == canonical) {
                return Err(self.err(
                    &join(path, &key),
                    format!("`{key}` and `{first}` are the same key: give it once"),
                ));
            }
            entries.push((canonical, key, v));
        }
        Ok(Fields {
            path: path.to_string(),
            entries,
        })
    }

    fn required<'m>(
        &self,
        f: &Fields<'m>,
        key: &str,
        hint: &str,
    ) -> Result<(String, &'m Y), SchemaError> {
        f.get(key)
            .ok_or_else(|| self.err(&f.path, format!("missing required key `{key}`{hint}")))
    }

    fn string(&self, path: &str, v: &Y, what: &str) -> Result<String, SchemaError> {
        match v {
            Y::String(s) => Ok(s.clone()),
            other => Err(self.err(
                path,
                format!("expected {what} (a string), found {}", describe(other)),
            )),
        }
    }

    fn ident(&self, path: &str, v: &Y, what: &str) -> Result<String, SchemaError> {
        let s = self.string(path, v, what)?;
        check_ident(&s).map_err(|m| self.err(path, m))?;
        Ok(s)
    }

    fn req_ident(&self, f: &Fields, key: &str, what: &str) -> Result<String, SchemaError> {
        let (p, v) = self.required(f, key, "")?;
        self.ident(&p, v, what)
    }

    fn opt_string(&self, f: &Fields, key: &str, what: &str) -> Result<Option<String>, SchemaError> {
        match f.get(key) {
            None | Some((_, Y::Null)) => Ok(None),
            Some((p, v)) => self.string(&p, v, what).map(Some),
        }
    }

    fn opt_ident(&self, f: &Fields, key: &str, what: &str) -> Result<Option<String>, SchemaError> {
        match f.get(key) {
            None | Some((_, Y::Null)) => Ok(None),
            Some((p, v)) => self.ident(&p, v, what).map(Some),
        }
    }

    fn opt_bool(&self, f: &Fields, key: &str) -> Result<Option<bool>, SchemaError> {
        match f.get(key) {
            None | Some((_, Y::Null)) => Ok(None),
            Some((_, Y::Bool(b))) => Ok(Some(*b)),
            Some((p, other)) => Err(self.err(
                &p,
                format!(
                    "expected true or false for `{key}`, found {}",
                    describe(other)
                ),
            )),
        }
    }

    fn opt_u32(
        &self,
        f: &Fields,
        key: &str,
        min: u32,
        max: u32,
    ) -> Result<Option<u32>, SchemaError> {
        match f.get(key) {
            None | Some((_, Y::Null)) => Ok(None),
            Some((p, v)) => {
                let n = v.as_u64().filter(|n| (min as u64..=max as u64).contains(n));
                match n {
                    Some(n) => Ok(Some(n as u32)),
                    None => Err(self.err(
                        &p,
                        format!(
                            "expected a whole number from {min} to {max} for `{key}`, found {}",
                            shown(v)
                        ),
                    )),
                }
            }
        }
    }

    /// A list of column names; a single string is a list of one.
    fn ident_list(&self, path: &str, v: &Y, what: &str) -> Result<Vec<String>, SchemaError> {
        let items = match v {
            Y::String(_) => return Ok(vec![self.ident(path, v, what)?]),
            Y::Sequence(items) if !items.is_empty() => items,
            Y::Sequence(_) => {
                return Err(self.err(
                    path,
                    format!("expected a list of {what}s, found an empty list"),
                ))
            }
            other => {
                return Err(self.err(
                    path,
                    format!("expected a list of {what}s, found {}", describe(other)),
                ))
            }
        };
        let mut out: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let name = self.ident(&p, item, what)?;
            if out.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                return Err(self.err(&p, format!("`{name}` is listed twice")));
            }
            out.push(name);
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------

    pub fn migration(&self) -> Result<super::YamlMigration, SchemaError> {
        let mut root: Y = serde_yaml::from_str(self.text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C": the line is reported separately.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            SchemaError {
                message: format!("invalid YAML: {message}"),
                path: String::new(),
                line,
            }
        })?;
        root.apply_merge()
            .map_err(|e| self.err("", format!("invalid YAML merge (`<<`): {e}")))?;
        let f = match &root {
            Y::Mapping(m) => self.fields_of(m, "", TOP_KEYS)?,
            Y::Null => {
                return Err(self.err(
                    "",
                    "the file is empty: a YAML migration needs an `up:` list of operations",
                ))
            }
            other => {
                return Err(self.err(
                    "",
                    format!(
                    "expected a map with `up:` (and optionally `down:`, `transaction:`), found {}",
                    describe(other)
                ),
                ))
            }
        };
        let (up_path, up_v) = self.required(&f, "up", " (the list of operations to apply)")?;
        let up = match up_v {
            Y::Sequence(items) if !items.is_empty() => self.op_list(&up_path, items)?,
            Y::Sequence(_) | Y::Null => {
                return Err(self.err(&up_path, "`up` is empty: give at least one operation"))
            }
            other => {
                return Err(self.err(
                    &up_path,
                    format!("expected a list of operations, found {}", describe(other)),
                ))
            }
        };
        let down = match f.get("down") {
            None => None,
            Some((_, Y::Null)) => Some(Vec::new()),
            Some((p, Y::Sequence(items))) => Some(self.op_list(&p, items)?),
            Some((p, other)) => {
                return Err(self.err(
                    &p,
                    format!(
                        "expected a list of operations (or `[]` for nothing to undo), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        let transaction = self.opt_bool(&f, "transaction")?;
        Ok(super::YamlMigration {
            up,
            down,
            transaction,
        })
    }

    fn op_list(&self, path: &str, items: &[Y]) -> Result<Vec<Op>, SchemaError> {
        let mut known = KnownTables::default();
        let mut ops = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let op = self.op(&item_path, item, &known)?;
            known.apply(&op.kind);
            ops.push(op);
        }
        Ok(ops)
    }

    fn op(&self, path: &str, item: &Y, known: &KnownTables) -> Result<Op, SchemaError> {
        let (item, lint_ignore) = self.lint_key(path, item)?;
        let (written, v) = self.op_entry(path, &item)?;
        let op_path = format!("{path}.{written}");
        let canonical = OP_NAMES
            .iter()
            .find(|(c, a)| *c == written || a.contains(&written.as_str()))
            .map(|(c, _)| *c);
        let Some(canonical) = canonical else {
            return Err(self.err(
                &op_path,
                format!(
                    "unknown operation `{written}`{}",
                    did_you_mean(&written, all_names(OP_NAMES))
                ),
            ));
        };
        let kind = self.op_kind(canonical, &op_path, v, known)?;
        Ok(Op {
            line: super::locate_line(self.text, &op_path),
            path: op_path,
            kind,
            lint_ignore,
        })
    }

    /// Takes `lint: {ignore: [CODE…], reason: "…"}` out of an op's map (beside its one key).
    fn lint_key(&self, path: &str, item: &Y) -> Result<(Y, Vec<crate::lint::Ignore>), SchemaError> {
        let Y::Mapping(map) = item else {
            return Ok((item.clone(), Vec::new()));
        };
        let key = Y::String("lint".into());
        let Some(lint) = map.get(&key) else {
            return Ok((item.clone(), Vec::new()));
        };
        let at = format!("{path}.lint");
        let bad = || self.err(&at, "expected `lint: {ignore: [CODE, …], reason: \"why\"}`");
        let Y::Mapping(lm) = lint else {
            return Err(bad());
        };
        let mut codes = Vec::new();
        let mut reason = None;
        for (k, v) in lm {
            match (k.as_str(), v) {
                (Some("ignore"), Y::Sequence(items)) => {
                    for c in items {
                        codes.push(c.as_str().ok_or_else(bad)?.to_ascii_uppercase());
                    }
                }
                (Some("ignore"), Y::String(c)) => codes.push(c.to_ascii_uppercase()),
                (Some("reason"), Y::String(r)) if !r.trim().is_empty() => {
                    reason = Some(r.trim().to_string())
                }
                (Some("reason"), _) => {}
                _ => return Err(bad()),
            }
        }
        let mut rest = map.clone();
        rest.remove(&key);
        let ignores = codes
            .into_iter()
            .map(|code| crate::lint::Ignore {
                code,
                reason: reason.clone(),
            })
            .collect();
        Ok((Y::Mapping(rest), ignores))
    }

    /// The one entry of an op's map: the op name as written, and its value.
    fn op_entry<'m>(&self, path: &str, item: &'m Y) -> Result<(String, &'m Y), SchemaError> {
        let map = match item {
            Y::Mapping(m) => m,
            Y::String(s) => {
                return Err(self.err(
                    path,
                    format!(
                    "expected an operation like `- create_table: {{…}}`, found the string `{s}`"
                ),
                ))
            }
            other => {
                return Err(self.err(
                    path,
                    format!(
                        "expected an operation like `- create_table: {{…}}`, found {}",
                        describe(other)
                    ),
                ))
            }
        };
        if map.len() != 1 {
            let keys: Vec<String> = map
                .keys()
                .map(|k| format!("`{}`", scalar_text(k).unwrap_or_default()))
                .collect();
            let message = if map.is_empty() {
                "expected an operation like `- create_table: {…}`, found an empty map".to_string()
            } else {
                format!(
                    "each operation is a map with one key (the operation's name), found {}: {}; check the indentation of its fields",
                    keys.len(),
                    keys.join(", ")
                )
            };
            return Err(self.err(path, message));
        }
        let (k, v) = map.iter().next().expect("one entry");
        match k {
            Y::String(s) => Ok((s.clone(), v)),
            other => Err(self.err(
                path,
                format!("expected an operation name, found {}", describe(other)),
            )),
        }
    }

    /// Parses the value of the op named `canonical`.
    fn op_kind(
        &self,
        canonical: &str,
        op_path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
        Ok(match canonical {
            "create_table" => OpKind::CreateTable(self.create_table(op_path, v)?),
            "drop_table" => self.drop_table(op_path, v)?,
            "rename_table" => self.rename_table(op_path, v)?,
            "add_column" => self.add_column(op_path, v, known)?,
            "drop_column" => self.drop_column(op_path, v, known)?,
            "rename_column" => self.rename_column(op_path, v, known)?,
            "alter_column" => self.alter_column(op_path, v, known)?,
            "create_index" => OpKind::CreateIndex(self.create_index(op_path, v, known)?),
            "drop_index" => self.drop_index(op_path, v)?,
            "add_foreign_key" => OpKind::AddForeignKey(self.foreign_key(op_path, v, None, known)?),
            "drop_foreign_key" => self.drop_foreign_key(op_path, v)?,
            "sql" => OpKind::Sql(self.sql(op_path, v)?),
            "insert" => OpKind::Insert(self.insert(op_path, v, known)?),
            "delete" => self.delete(op_path, v, known)?,
            _ => unreachable!("every op name is handled"),
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ColumnUse {
    Create,
    Add,
    Alter,
}

/// The tables whose columns are known statically: created earlier in the same list of ops.
/// A `sql:` op may change anything, so it forgets them all.
#[derive(Default)]
pub(crate) struct KnownTables {
    tables: HashMap<String, Vec<String>>,
}

impl KnownTables {
    fn key(t: &str) -> String {
        t.to_ascii_lowercase()
    }

    /// `Some(true/false)` when the table is known, `None` otherwise.
    fn has_column(&self, table: &str, col: &str) -> Option<bool> {
        self.tables
            .get(&Self::key(table))
            .map(|cols| cols.iter().any(|c| c.eq_ignore_ascii_case(col)))
    }

    fn check_column(
        &self,
        p: &Parser,
        table: &str,
        col: &str,
        path: &str,
    ) -> Result<(), SchemaError> {
        if self.has_column(table, col) == Some(false) {
            let cols = &self.tables[&Self::key(table)];
            return Err(p.err(
                path,
                format!(
                    "table `{table}` (created above in this file) has no column `{col}`{}",
                    did_you_mean(col, cols.iter().map(String::as_str))
                ),
            ));
        }
        Ok(())
    }

    pub fn apply(&mut self, op: &OpKind) {
        match op {
            OpKind::CreateTable(t) => {
                self.tables.insert(
                    Self::key(&t.name),
                    t.columns.iter().map(|c| c.name.clone()).collect(),
                );
            }
            OpKind::DropTable { name, .. } => {
                self.tables.remove(&Self::key(name));
            }
            OpKind::RenameTable { from, to } => {
                if let Some(cols) = self.tables.remove(&Self::key(from)) {
                    self.tables.insert(Self::key(to), cols);
                }
            }
            OpKind::AddColumns { table, columns } => {
                if let Some(cols) = self.tables.get_mut(&Self::key(table)) {
                    cols.extend(columns.iter().map(|c| c.name.clone()));
                }
            }
            OpKind::DropColumns { table, columns } => {
                if let Some(cols) = self.tables.get_mut(&Self::key(table)) {
                    cols.retain(|c| !columns.iter().any(|d| d.eq_ignore_ascii_case(c)));
                }
            }
            OpKind::RenameColumn { table, from, to } => {
                if let Some(cols) = self.tables.get_mut(&Self::key(table)) {
                    for c in cols.iter_mut() {
                        if c.eq_ignore_ascii_case(from) {
                            *c = to.clone();
                        }
                    }
                }
            }
            OpKind::Sql(_) => self.tables.clear(),
            _ => {}
        }
    }
}
