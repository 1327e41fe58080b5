//! The operations of a YAML migration, and their parsing and validation from `serde_yaml::Value`.
//!
//! Parsing is done by hand (not with `#[serde(deny_unknown_fields)]`) so that every error names
//! its path (`up[2].create_table.columns[1].type`), the offending key or value, and the nearest
//! valid spelling.

use std::collections::HashMap;

use serde_yaml::{Mapping, Value as Y};

use super::SchemaError;
use crate::db::Value;
use crate::text::did_you_mean;

/// Longest identifier accepted (MySQL's limit; SQLite has none).
pub const MAX_IDENT: usize = 64;

/// One operation of a migration, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// `up[2].create_table` (the op name as written, so it can be located in the file).
    pub path: String,
    /// 1-based line of the op in the file, when known.
    pub line: Option<usize>,
    pub kind: OpKind,
}

impl Op {
    /// The canonical (snake_case) op name.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    CreateTable(CreateTable),
    DropTable {
        name: String,
        if_exists: bool,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumns {
        table: String,
        columns: Vec<Column>,
    },
    DropColumns {
        table: String,
        columns: Vec<String>,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    AlterColumn {
        table: String,
        column: Column,
    },
    CreateIndex(Index),
    DropIndex {
        table: String,
        name: String,
    },
    AddForeignKey(ForeignKey),
    DropForeignKey(DropForeignKey),
    Sql(SqlText),
    Insert(Insert),
    Delete {
        table: String,
        /// Equality conditions, ANDed; a NULL value means `IS NULL`.
        conditions: Vec<(String, Value)>,
    },
}

impl OpKind {
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::CreateTable(_) => "create_table",
            OpKind::DropTable { .. } => "drop_table",
            OpKind::RenameTable { .. } => "rename_table",
            OpKind::AddColumns { .. } => "add_column",
            OpKind::DropColumns { .. } => "drop_column",
            OpKind::RenameColumn { .. } => "rename_column",
            OpKind::AlterColumn { .. } => "alter_column",
            OpKind::CreateIndex(_) => "create_index",
            OpKind::DropIndex { .. } => "drop_index",
            OpKind::AddForeignKey(_) => "add_foreign_key",
            OpKind::DropForeignKey(_) => "drop_foreign_key",
            OpKind::Sql(_) => "sql",
            OpKind::Insert(_) => "insert",
            OpKind::Delete { .. } => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub name: String,
    /// Includes `created_at` / `updated_at` when `timestamps: true` was given.
    pub columns: Vec<Column>,
    /// From `primary_key:` or the columns marked `primary: true` (never an `increments` column).
    pub primary_key: Vec<String>,
    /// Every index: the columns' `unique:` / `index:` first, then `indexes:`.
    pub indexes: Vec<Index>,
    /// Every foreign key: the columns' `references:` first, then `foreign_keys:`.
    pub foreign_keys: Vec<ForeignKey>,
    pub if_not_exists: bool,
    pub comment: Option<String>,
}

impl CreateTable {
    /// The primary key columns, including an `increments` column.
    pub fn key_columns(&self) -> Vec<String> {
        match self.columns.iter().find(|c| c.ty.is_increments()) {
            Some(c) => vec![c.name.clone()],
            None => self.primary_key.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    /// `None` when not given: nullable, except in a primary key.
    pub nullable: Option<bool>,
    pub default: Option<DefaultValue>,
    pub primary: bool,
    pub unique: bool,
    pub unsigned: bool,
    pub index: bool,
    pub references: Option<ColumnReference>,
    pub comment: Option<String>,
}

impl Column {
    /// A plain column of a type (used for `timestamps: true` and in tests).
    pub fn new(name: &str, ty: ColumnType) -> Column {
        Column {
            name: name.to_string(),
            ty,
            nullable: None,
            default: None,
            primary: false,
            unique: false,
            unsigned: false,
            index: false,
            references: None,
            comment: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnReference {
    pub table: String,
    pub column: String,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    Cascade,
    SetNull,
    SetDefault,
    Restrict,
    NoAction,
}

impl FkAction {
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
            FkAction::Restrict => "RESTRICT",
            FkAction::NoAction => "NO ACTION",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A scalar: rendered as a literal (strings through `Dialect::quote_str`, booleans as 1/0).
    Literal(Value),
    /// `{sql: EXPR}`: the expression as written.
    Sql(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    Increments,
    BigIncrements,
    Integer,
    BigInteger,
    SmallInteger,
    TinyInteger,
    Float,
    Double,
    Decimal { precision: u32, scale: u32 },
    Boolean,
    String { length: u32 },
    Text,
    Date,
    Time,
    Datetime,
    Timestamp,
    Json,
    Uuid,
    Binary { length: Option<u32> },
    Enum { values: Vec<String> },
}

impl ColumnType {
    pub fn is_increments(&self) -> bool {
        matches!(self, ColumnType::Increments | ColumnType::BigIncrements)
    }
    fn is_numeric(&self) -> bool {
        matches!(
            self,
            ColumnType::Increments
                | ColumnType::BigIncrements
                | ColumnType::Integer
                | ColumnType::BigInteger
                | ColumnType::SmallInteger
                | ColumnType::TinyInteger
                | ColumnType::Float
                | ColumnType::Double
                | ColumnType::Decimal { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub table: String,
    pub columns: Vec<String>,
    pub unique: bool,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub table: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropForeignKey {
    pub table: String,
    /// Given, or derived from the columns as Knex does.
    pub name: String,
    /// The columns, when given (used by SQLite to find an unnamed constraint).
    pub columns: Vec<String>,
    /// The full definition, when `references:` was given: what makes the op reversible.
    pub spec: Option<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqlText {
    /// Text for every dialect (`sql: STRING`).
    pub portable: Option<String>,
    pub sqlite: Option<String>,
    pub mysql: Option<String>,
    /// 1-based line where each text starts in the file (portable/sqlite, mysql).
    pub first_line: usize,
    pub mysql_first_line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: String,
    /// Each row: its columns in the order written, with their bound values.
    pub rows: Vec<Vec<(String, Value)>>,
    pub key: Option<Vec<String>>,
}

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

const CREATE_TABLE_KEYS: Names = &[
    ("name", &[]),
    ("columns", &[]),
    ("primary_key", &["primaryKey"]),
    ("indexes", &[]),
    ("foreign_keys", &["foreignKeys"]),
    ("timestamps", &[]),
    ("if_not_exists", &["ifNotExists"]),
    ("comment", &[]),
];

const COLUMN_KEYS: Names = &[
    ("name", &[]),
    ("type", &[]),
    ("length", &[]),
    ("precision", &[]),
    ("scale", &[]),
    ("values", &[]),
    ("nullable", &[]),
    ("default", &["defaultTo"]),
    ("primary", &[]),
    ("unique", &[]),
    ("unsigned", &[]),
    ("index", &[]),
    ("references", &[]),
    ("on_delete", &["onDelete"]),
    ("on_update", &["onUpdate"]),
    ("comment", &[]),
];

const INDEX_KEYS: Names = &[("columns", &[]), ("unique", &[]), ("name", &[])];
const TABLE_INDEX_KEYS: Names = &[
    ("table", &[]),
    ("columns", &[]),
    ("unique", &[]),
    ("name", &[]),
];
const FK_KEYS: Names = &[
    ("table", &[]),
    ("columns", &[]),
    ("references", &[]),
    ("on_delete", &["onDelete"]),
    ("on_update", &["onUpdate"]),
    ("name", &[]),
];
const FK_REF_KEYS: Names = &[("table", &[]), ("columns", &[])];

/// Type names: canonical, then aliases (matched ignoring case and underscores).
const TYPE_NAMES: Names = &[
    ("increments", &[]),
    ("big_increments", &["bigIncrements"]),
    ("integer", &[]),
    ("big_integer", &["bigInteger"]),
    ("small_integer", &["smallInteger", "smallint"]),
    ("tiny_integer", &["tinyInteger", "tinyint"]),
    ("float", &[]),
    ("double", &[]),
    ("decimal", &[]),
    ("boolean", &["bool"]),
    ("string", &["varchar"]),
    ("text", &[]),
    ("date", &[]),
    ("time", &[]),
    ("datetime", &["dateTime"]),
    ("timestamp", &[]),
    ("json", &["jsonb"]),
    ("uuid", &[]),
    ("binary", &[]),
    ("enum", &["enu"]),
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

/// Checks an identifier: non-empty, no NUL, at most 64 characters.
pub fn check_ident(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty name is not a valid identifier".into());
    }
    if name.contains('\0') {
        return Err(format!(
            "`{}` contains a NUL character",
            name.escape_debug()
        ));
    }
    if name.chars().count() > MAX_IDENT {
        return Err(format!(
            "`{name}` is longer than {MAX_IDENT} characters (MySQL's limit for identifiers)"
        ));
    }
    Ok(())
}

/// Knex's default index and foreign key names: `<table>_<col1>_<col2>_<suffix>`, lower-cased,
/// with `.` and `-` in the table name replaced by `_`.
pub fn default_index_name(table: &str, columns: &[String], suffix: &str) -> String {
    let table = table.replace(['.', '-'], "_");
    format!("{}_{}_{}", table, columns.join("_"), suffix).to_lowercase()
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

    fn fk_action(&self, f: &Fields, key: &str) -> Result<Option<FkAction>, SchemaError> {
        let Some((p, v)) = f.get(key) else {
            return Ok(None);
        };
        let s = self.string(&p, v, "a referential action")?;
        let norm = s.trim().to_ascii_lowercase().replace(['_', ' '], "");
        let action = match norm.as_str() {
            "cascade" => FkAction::Cascade,
            "setnull" => FkAction::SetNull,
            "setdefault" => FkAction::SetDefault,
            "restrict" => FkAction::Restrict,
            "noaction" => FkAction::NoAction,
            _ => {
                let valid = [
                    "CASCADE",
                    "SET NULL",
                    "SET DEFAULT",
                    "RESTRICT",
                    "NO ACTION",
                ];
                return Err(self.err(
                    &p,
                    format!(
                        "unknown action `{s}` for `{key}`{}; expected one of CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION",
                        did_you_mean(&s.to_ascii_uppercase(), valid)
                    ),
                ));
            }
        };
        Ok(Some(action))
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
        let written = match k {
            Y::String(s) => s.clone(),
            other => {
                return Err(self.err(
                    path,
                    format!("expected an operation name, found {}", describe(other)),
                ))
            }
        };
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
        let kind = match canonical {
            "create_table" => OpKind::CreateTable(self.create_table(&op_path, v)?),
            "drop_table" => self.drop_table(&op_path, v)?,
            "rename_table" => {
                let f = self.fields(v, &op_path, &[("from", &[]), ("to", &[])], "`{from, to}`")?;
                OpKind::RenameTable {
                    from: self.req_ident(&f, "from", "a table name")?,
                    to: self.req_ident(&f, "to", "a table name")?,
                }
            }
            "add_column" => self.add_column(&op_path, v, known)?,
            "drop_column" => self.drop_column(&op_path, v, known)?,
            "rename_column" => {
                let f = self.fields(
                    v,
                    &op_path,
                    &[("table", &[]), ("from", &[]), ("to", &[])],
                    "`{table, from, to}`",
                )?;
                let table = self.req_ident(&f, "table", "a table name")?;
                let from = self.req_ident(&f, "from", "a column name")?;
                known.check_column(self, &table, &from, &f.get("from").expect("required").0)?;
                OpKind::RenameColumn {
                    table,
                    from,
                    to: self.req_ident(&f, "to", "a column name")?,
                }
            }
            "alter_column" => self.alter_column(&op_path, v, known)?,
            "create_index" => OpKind::CreateIndex(self.create_index(&op_path, v, known)?),
            "drop_index" => self.drop_index(&op_path, v)?,
            "add_foreign_key" => OpKind::AddForeignKey(self.foreign_key(&op_path, v, None, known)?),
            "drop_foreign_key" => self.drop_foreign_key(&op_path, v)?,
            "sql" => OpKind::Sql(self.sql(&op_path, v)?),
            "insert" => OpKind::Insert(self.insert(&op_path, v, known)?),
            "delete" => self.delete(&op_path, v, known)?,
            _ => unreachable!("every op name is handled"),
        };
        Ok(Op {
            line: super::locate_line(self.text, &op_path),
            path: op_path,
            kind,
        })
    }

    fn create_table(&self, path: &str, v: &Y) -> Result<CreateTable, SchemaError> {
        let f = self.fields(v, path, CREATE_TABLE_KEYS, "a table definition")?;
        let name = self.req_ident(&f, "name", "a table name")?;
        let (cols_path, cols_v) =
            self.required(&f, "columns", " (the list of the table's columns)")?;
        let items = match cols_v {
            Y::Sequence(items) if !items.is_empty() => items,
            Y::Sequence(_) => {
                return Err(self.err(
                    &cols_path,
                    "`columns` is empty: a table needs at least one column",
                ))
            }
            other => {
                return Err(self.err(
                    &cols_path,
                    format!("expected a list of columns, found {}", describe(other)),
                ))
            }
        };
        let mut columns: Vec<Column> = Vec::new();
        let mut indexes: Vec<Index> = Vec::new();
        let mut foreign_keys: Vec<ForeignKey> = Vec::new();
        let mut primary_cols: Vec<String> = Vec::new();
        let mut increments: Option<String> = None;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{cols_path}[{i}]");
            let col = self.column(&p, item, ColumnUse::Create)?;
            if columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&col.name))
            {
                return Err(self.err(&p, format!("column `{}` is defined twice", col.name)));
            }
            if col.ty.is_increments() {
                if let Some(first) = &increments {
                    return Err(self.err(
                        &p,
                        format!(
                            "a table has at most one increments column; `{first}` is already one"
                        ),
                    ));
                }
                increments = Some(col.name.clone());
            } else if col.primary {
                primary_cols.push(col.name.clone());
            }
            self.column_extras(&p, &name, &col, &mut indexes, &mut foreign_keys)?;
            columns.push(col);
        }
        if f.has("timestamps") && self.opt_bool(&f, "timestamps")? == Some(true) {
            let tp = f.get("timestamps").expect("present").0;
            for ts in ["created_at", "updated_at"] {
                if columns.iter().any(|c| c.name.eq_ignore_ascii_case(ts)) {
                    return Err(self.err(
                        &tp,
                        format!("`timestamps: true` adds `{ts}`, which is already a column"),
                    ));
                }
                let mut c = Column::new(ts, ColumnType::Timestamp);
                c.nullable = Some(false);
                c.default = Some(DefaultValue::Sql("CURRENT_TIMESTAMP".into()));
                columns.push(c);
            }
        }
        let has = |c: &str| columns.iter().any(|x| x.name.eq_ignore_ascii_case(c));
        let mut primary_key = primary_cols;
        if let Some((pk_path, pk_v)) = f.get("primary_key") {
            let list = self.ident_list(&pk_path, pk_v, "column name")?;
            if !primary_key.is_empty() {
                return Err(self.err(
                    &pk_path,
                    "the primary key is given twice: use either `primary_key:` or `primary: true` on the columns",
                ));
            }
            for (i, c) in list.iter().enumerate() {
                if !has(c) {
                    return Err(self.unknown_column(
                        &format!("{pk_path}[{i}]"),
                        &name,
                        c,
                        &columns,
                    ));
                }
            }
            primary_key = list;
        }
        if let (Some(inc), false) = (&increments, primary_key.is_empty()) {
            return Err(self.err(
                path,
                format!(
                    "`{inc}` is an increments column, which is already the primary key; remove the other primary key columns ({})",
                    primary_key.join(", ")
                ),
            ));
        }
        if let Some((ip, iv)) = f.get("indexes") {
            let Y::Sequence(list) = iv else {
                return Err(self.err(
                    &ip,
                    format!("expected a list of indexes, found {}", describe(iv)),
                ));
            };
            for (i, item) in list.iter().enumerate() {
                let p = format!("{ip}[{i}]");
                let g =
                    self.fields(item, &p, INDEX_KEYS, "an index `{columns, unique?, name?}`")?;
                let idx = self.index_fields(&p, &g, &name)?;
                for (j, c) in idx.columns.iter().enumerate() {
                    if !has(c) {
                        let cp = format!("{}[{j}]", g.get("columns").expect("required").0);
                        return Err(self.unknown_column(&cp, &name, c, &columns));
                    }
                }
                indexes.push(idx);
            }
        }
        if let Some((fp, fv)) = f.get("foreign_keys") {
            let Y::Sequence(list) = fv else {
                return Err(self.err(
                    &fp,
                    format!("expected a list of foreign keys, found {}", describe(fv)),
                ));
            };
            for (i, item) in list.iter().enumerate() {
                let p = format!("{fp}[{i}]");
                let fk = self.foreign_key(&p, item, Some(&name), &KnownTables::default())?;
                let g = self.fields(item, &p, FK_KEYS, "")?;
                for (j, c) in fk.columns.iter().enumerate() {
                    if !has(c) {
                        let cp = format!("{}[{j}]", g.get("columns").expect("required").0);
                        return Err(self.unknown_column(&cp, &name, c, &columns));
                    }
                }
                foreign_keys.push(fk);
            }
        }
        // Index and constraint names share one namespace per table on MySQL (and per schema for
        // indexes on SQLite): catch duplicates here rather than half-way through a migration.
        let mut seen: Vec<&str> = Vec::new();
        for n in indexes
            .iter()
            .map(|i| i.name.as_str())
            .chain(foreign_keys.iter().map(|f| f.name.as_str()))
        {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(n)) {
                return Err(self.err(
                    path,
                    format!("two indexes or foreign keys are named `{n}`: give one of them another `name:`"),
                ));
            }
            seen.push(n);
        }
        Ok(CreateTable {
            name,
            columns,
            primary_key,
            indexes,
            foreign_keys,
            if_not_exists: self.opt_bool(&f, "if_not_exists")?.unwrap_or(false),
            comment: self.opt_string(&f, "comment", "a comment")?,
        })
    }

    /// The indexes and foreign key implied by a column's `unique`, `index` and `references`.
    fn column_extras(
        &self,
        path: &str,
        table: &str,
        col: &Column,
        indexes: &mut Vec<Index>,
        fks: &mut Vec<ForeignKey>,
    ) -> Result<(), SchemaError> {
        let cols = vec![col.name.clone()];
        let named = |suffix: &str| -> Result<String, SchemaError> {
            let n = default_index_name(table, &cols, suffix);
            check_ident(&n).map_err(|m| {
                self.err(
                    path,
                    format!("the default name of the {suffix} constraint is too long: {m}; declare it under the table's `indexes:` / `foreign_keys:` with a `name:`"),
                )
            })?;
            Ok(n)
        };
        if col.unique {
            indexes.push(Index {
                table: table.to_string(),
                columns: cols.clone(),
                unique: true,
                name: named("unique")?,
            });
        }
        if col.index {
            indexes.push(Index {
                table: table.to_string(),
                columns: cols.clone(),
                unique: false,
                name: named("index")?,
            });
        }
        if let Some(r) = &col.references {
            fks.push(ForeignKey {
                table: table.to_string(),
                columns: cols.clone(),
                ref_table: r.table.clone(),
                ref_columns: vec![r.column.clone()],
                on_delete: r.on_delete,
                on_update: r.on_update,
                name: named("foreign")?,
            });
        }
        Ok(())
    }

    fn unknown_column(
        &self,
        path: &str,
        table: &str,
        col: &str,
        columns: &[Column],
    ) -> SchemaError {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        self.err(
            path,
            format!(
                "table `{table}` has no column `{col}`{}",
                did_you_mean(col, names.iter().copied())
            ),
        )
    }

    fn column(&self, path: &str, v: &Y, usage: ColumnUse) -> Result<Column, SchemaError> {
        let f = self.fields(v, path, COLUMN_KEYS, "a column `{name, type, …}`")?;
        let name = self.req_ident(&f, "name", "a column name")?;
        let (type_path, type_v) = self.required(&f, "type", " (e.g. `type: string`)")?;
        let ty = self.column_type(&type_path, type_v, &f)?;
        let nullable = self.opt_bool(&f, "nullable")?;
        let primary = self.opt_bool(&f, "primary")?.unwrap_or(false);
        let unique = self.opt_bool(&f, "unique")?.unwrap_or(false);
        let unsigned = self.opt_bool(&f, "unsigned")?.unwrap_or(false);
        let index = self.opt_bool(&f, "index")?.unwrap_or(false);
        let comment = self.opt_string(&f, "comment", "a comment")?;
        let default = match f.get("default") {
            None => None,
            Some((p, Y::Mapping(m))) => {
                let g = self.fields_of(m, &p, &[("sql", &["raw"])])?;
                let (sp, sv) =
                    self.required(&g, "sql", " (`default: {sql: CURRENT_TIMESTAMP}`)")?;
                let expr = self.string(&sp, sv, "an SQL expression")?;
                if expr.trim().is_empty() || expr.contains(';') {
                    return Err(self.err(&sp, "expected one SQL expression (not empty, no `;`)"));
                }
                Some(DefaultValue::Sql(expr.trim().to_string()))
            }
            Some((p, Y::Sequence(_))) => {
                return Err(self.err(
                    &p,
                    "expected a scalar default (or `{sql: EXPR}`), found a list",
                ))
            }
            Some((_, v)) => Some(DefaultValue::Literal(Value::from_yaml(v))),
        };
        let on_delete = self.fk_action(&f, "on_delete")?;
        let on_update = self.fk_action(&f, "on_update")?;
        let references = match f.get("references") {
            None => {
                for key in ["on_delete", "on_update"] {
                    if let Some((p, _)) = f.get(key) {
                        return Err(
                            self.err(&p, format!("`{key}` needs `references: table.column`"))
                        );
                    }
                }
                None
            }
            Some((p, v)) => {
                let s = self.string(&p, v, "`table.column`")?;
                let parts: Vec<&str> = s.split('.').collect();
                if parts.len() != 2 || parts.iter().any(|x| x.trim().is_empty()) {
                    return Err(self.err(
                        &p,
                        format!(
                            "`references` must be `table.column` (e.g. `users.id`), found `{s}`"
                        ),
                    ));
                }
                let (t, c) = (parts[0].trim(), parts[1].trim());
                check_ident(t).map_err(|m| self.err(&p, m))?;
                check_ident(c).map_err(|m| self.err(&p, m))?;
                Some(ColumnReference {
                    table: t.to_string(),
                    column: c.to_string(),
                    on_delete,
                    on_update,
                })
            }
        };
        if unsigned && !ty.is_numeric() {
            let p = f.get("unsigned").expect("given").0;
            return Err(self.err(&p, "`unsigned` applies only to numeric types"));
        }
        if ty.is_increments() {
            if nullable == Some(true) {
                let p = f.get("nullable").expect("given").0;
                return Err(self.err(
                    &p,
                    "an increments column is the primary key: it cannot be nullable",
                ));
            }
            if let Some((p, _)) = f.get("default") {
                return Err(self.err(&p, "an increments column cannot have a default"));
            }
        }
        if primary && nullable == Some(true) {
            let p = f.get("nullable").expect("given").0;
            return Err(self.err(&p, "a primary key column cannot be nullable"));
        }
        if usage == ColumnUse::Alter {
            for key in ["primary", "unique", "index", "references"] {
                if let Some((p, v)) = f.get(key) {
                    if v != &Y::Bool(false) {
                        let instead = match key {
                            "references" => "add_foreign_key / drop_foreign_key",
                            "primary" => "a `sql:` operation",
                            _ => "create_index / drop_index",
                        };
                        return Err(self.err(
                            &p,
                            format!("alter_column changes a column's type, nullability, default and comment; for `{key}` use {instead}"),
                        ));
                    }
                }
            }
        }
        Ok(Column {
            name,
            ty,
            nullable,
            default,
            primary,
            unique,
            unsigned,
            index,
            references,
            comment,
        })
    }

    fn column_type(&self, path: &str, v: &Y, f: &Fields) -> Result<ColumnType, SchemaError> {
        let raw = match v {
            Y::String(s) => s.trim().to_string(),
            other => {
                return Err(self.err(
                    path,
                    format!(
                        "expected a type name like `string` or `integer`, found {}",
                        describe(other)
                    ),
                ))
            }
        };
        // `string(50)`, `decimal(10, 2)`: a size in place.
        let (base, args): (&str, Option<Vec<u32>>) = match raw.find('(') {
            None => (raw.as_str(), None),
            Some(i) => {
                let inner = raw[i + 1..].strip_suffix(')').ok_or_else(|| {
                    self.err(
                        path,
                        format!(
                            "`{raw}`: expected `name(size)`, e.g. `string(50)` or `decimal(10,2)`"
                        ),
                    )
                })?;
                let mut nums = Vec::new();
                for part in inner.split(',') {
                    let n: u32 = part.trim().parse().map_err(|_| {
                        self.err(
                            path,
                            format!("`{raw}`: `{}` is not a whole number", part.trim()),
                        )
                    })?;
                    nums.push(n);
                }
                (raw[..i].trim(), Some(nums))
            }
        };
        let norm = base.to_ascii_lowercase().replace('_', "");
        let canonical = TYPE_NAMES
            .iter()
            .find(|(c, a)| {
                c.replace('_', "") == norm || a.iter().any(|x| x.to_ascii_lowercase() == norm)
            })
            .map(|(c, _)| *c);
        let Some(canonical) = canonical else {
            return Err(self.err(
                path,
                format!(
                    "unknown type `{base}`{}",
                    did_you_mean(base, all_names(TYPE_NAMES))
                ),
            ));
        };
        let arg_count = args.as_ref().map_or(0, Vec::len);
        let takes = match canonical {
            "string" | "binary" => 1,
            "decimal" => 2,
            _ => 0,
        };
        if arg_count > takes || (args.is_some() && takes == 0) {
            return Err(self.err(
                path,
                match takes {
                    0 => format!("type `{canonical}` takes no size"),
                    1 => {
                        format!("type `{canonical}` takes one size, its length: `{canonical}(50)`")
                    }
                    _ => format!(
                        "type `{canonical}` takes a precision and a scale: `{canonical}(10,2)`"
                    ),
                },
            ));
        }
        // Keys that only some types take.
        let allowed: &[&str] = match canonical {
            "string" | "binary" => &["length"],
            "decimal" => &["precision", "scale"],
            "enum" => &["values"],
            _ => &[],
        };
        for key in ["length", "precision", "scale", "values"] {
            if let Some((p, _)) = f.get(key) {
                if !allowed.contains(&key) {
                    return Err(
                        self.err(&p, format!("`{key}` does not apply to type `{canonical}`"))
                    );
                }
                if args.is_some() {
                    return Err(self.err(
                        &p,
                        format!("the size is given twice: in `type: {raw}` and in `{key}`"),
                    ));
                }
            }
        }
        let arg = |i: usize| args.as_ref().and_then(|a| a.get(i).copied());
        Ok(match canonical {
            "increments" => ColumnType::Increments,
            "big_increments" => ColumnType::BigIncrements,
            "integer" => ColumnType::Integer,
            "big_integer" => ColumnType::BigInteger,
            "small_integer" => ColumnType::SmallInteger,
            "tiny_integer" => ColumnType::TinyInteger,
            "float" => ColumnType::Float,
            "double" => ColumnType::Double,
            "decimal" => {
                let precision = match arg(0) {
                    Some(p) => p,
                    None => self.opt_u32(f, "precision", 1, 65)?.unwrap_or(8),
                };
                let scale = match arg(1) {
                    Some(s) => s,
                    None => self.opt_u32(f, "scale", 0, 30)?.unwrap_or(2),
                };
                if precision == 0 || precision > 65 || scale > precision {
                    return Err(self.err(
                        path,
                        format!("decimal({precision},{scale}): the precision must be 1 to 65 and the scale at most the precision"),
                    ));
                }
                ColumnType::Decimal { precision, scale }
            }
            "boolean" => ColumnType::Boolean,
            "string" => {
                let length = match arg(0) {
                    Some(n) => n,
                    None => self.opt_u32(f, "length", 1, 65535)?.unwrap_or(255),
                };
                if length == 0 || length > 65535 {
                    return Err(
                        self.err(path, format!("string length {length}: expected 1 to 65535"))
                    );
                }
                ColumnType::String { length }
            }
            "text" => ColumnType::Text,
            "date" => ColumnType::Date,
            "time" => ColumnType::Time,
            "datetime" => ColumnType::Datetime,
            "timestamp" => ColumnType::Timestamp,
            "json" => ColumnType::Json,
            "uuid" => ColumnType::Uuid,
            "binary" => ColumnType::Binary {
                length: match arg(0) {
                    Some(n) => Some(n),
                    None => self.opt_u32(f, "length", 1, 65535)?,
                },
            },
            "enum" => {
                let Some((vp, vv)) = f.get("values") else {
                    return Err(self.err(
                        &f.path,
                        "type `enum` needs `values:`, the list of allowed values (e.g. `values: [draft, published]`)",
                    ));
                };
                let items = match vv {
                    Y::Sequence(items) if !items.is_empty() => items,
                    other => {
                        return Err(self.err(
                            &vp,
                            format!(
                                "expected a non-empty list of values, found {}",
                                describe(other)
                            ),
                        ))
                    }
                };
                let mut values = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let s = scalar_text(item).ok_or_else(|| {
                        self.err(
                            &format!("{vp}[{i}]"),
                            format!("expected a value (a string), found {}", describe(item)),
                        )
                    })?;
                    values.push(s);
                }
                ColumnType::Enum { values }
            }
            _ => unreachable!("every type is handled"),
        })
    }

    fn drop_table(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
        if let Y::String(_) = v {
            return Ok(OpKind::DropTable {
                name: self.ident(path, v, "a table name")?,
                if_exists: false,
            });
        }
        let f = self.fields(
            v,
            path,
            &[("name", &[]), ("if_exists", &["ifExists"])],
            "a table name or `{name, if_exists?}`",
        )?;
        Ok(OpKind::DropTable {
            name: self.req_ident(&f, "name", "a table name")?,
            if_exists: self.opt_bool(&f, "if_exists")?.unwrap_or(false),
        })
    }

    /// `column: X` or `columns: [X, …]`, each with its path.
    fn one_or_many<'m>(
        &self,
        f: &Fields<'m>,
        what: &str,
    ) -> Result<Vec<(String, &'m Y)>, SchemaError> {
        match (f.get("column"), f.get("columns")) {
            (Some(_), Some((p, _))) => {
                Err(self.err(&p, "give either `column:` or `columns:`, not both"))
            }
            (None, None) => Err(self.err(
                &f.path,
                format!("missing required key `column` (one {what}) or `columns` (a list)"),
            )),
            (Some((p, v)), None) => Ok(vec![(p, v)]),
            (None, Some((p, Y::Sequence(items)))) if !items.is_empty() => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{p}[{i}]"), v))
                .collect()),
            (None, Some((p, Y::Sequence(_)))) => Err(self.err(
                &p,
                format!("expected a list of {what}s, found an empty list"),
            )),
            (None, Some((p, other))) => Err(self.err(
                &p,
                format!("expected a list of {what}s, found {}", describe(other)),
            )),
        }
    }

    fn add_column(&self, path: &str, v: &Y, known: &KnownTables) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("column", &[]), ("columns", &[])],
            "`{table, column: {…}}` or `{table, columns: [{…}]}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let items = self.one_or_many(&f, "column definition")?;
        let mut columns: Vec<Column> = Vec::new();
        for (p, item) in items {
            let col = self.column(&p, item, ColumnUse::Add)?;
            if columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&col.name))
                || known.has_column(&table, &col.name) == Some(true)
            {
                return Err(self.err(
                    &p,
                    format!("table `{table}` already has a column `{}`", col.name),
                ));
            }
            // Validate the default names now (they are used when rendering).
            self.column_extras(&p, &table, &col, &mut Vec::new(), &mut Vec::new())?;
            columns.push(col);
        }
        Ok(OpKind::AddColumns { table, columns })
    }

    fn drop_column(&self, path: &str, v: &Y, known: &KnownTables) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("column", &[]), ("columns", &[])],
            "`{table, column: NAME}` or `{table, columns: [NAME]}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let columns =
            match (f.get("column"), f.get("columns")) {
                (Some(_), Some((p, _))) => {
                    return Err(self.err(&p, "give either `column:` or `columns:`, not both"))
                }
                (None, None) => return Err(self.err(
                    &f.path,
                    "missing required key `column` (a column name) or `columns` (a list of names)",
                )),
                (Some((p, v)), None) => vec![(p.clone(), self.ident(&p, v, "a column name")?)],
                (None, Some((p, v))) => {
                    let list = self.ident_list(&p, v, "column name")?;
                    let single = matches!(v, Y::String(_));
                    list.into_iter()
                        .enumerate()
                        .map(|(i, c)| {
                            (
                                if single {
                                    p.clone()
                                } else {
                                    format!("{p}[{i}]")
                                },
                                c,
                            )
                        })
                        .collect()
                }
            };
        for (p, c) in &columns {
            known.check_column(self, &table, c, p)?;
        }
        Ok(OpKind::DropColumns {
            table,
            columns: columns.into_iter().map(|(_, c)| c).collect(),
        })
    }

    fn alter_column(&self, path: &str, v: &Y, known: &KnownTables) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("column", &[])],
            "`{table, column: {…}}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let (cp, cv) = self.required(&f, "column", " (the column's full new definition)")?;
        let column = self.column(&cp, cv, ColumnUse::Alter)?;
        known.check_column(self, &table, &column.name, &cp)?;
        Ok(OpKind::AlterColumn { table, column })
    }

    fn index_fields(&self, path: &str, f: &Fields, table: &str) -> Result<Index, SchemaError> {
        let (cp, cv) = self.required(f, "columns", " (the indexed columns)")?;
        let columns = self.ident_list(&cp, cv, "column name")?;
        let unique = self.opt_bool(f, "unique")?.unwrap_or(false);
        let name = match self.opt_ident(f, "name", "an index name")? {
            Some(n) => n,
            None => {
                let n =
                    default_index_name(table, &columns, if unique { "unique" } else { "index" });
                check_ident(&n).map_err(|m| {
                    self.err(
                        path,
                        format!("the default index name is too long: {m}; give `name:`"),
                    )
                })?;
                n
            }
        };
        Ok(Index {
            table: table.to_string(),
            columns,
            unique,
            name,
        })
    }

    fn create_index(&self, path: &str, v: &Y, known: &KnownTables) -> Result<Index, SchemaError> {
        let f = self.fields(
            v,
            path,
            TABLE_INDEX_KEYS,
            "`{table, columns, unique?, name?}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let idx = self.index_fields(path, &f, &table)?;
        let cp = f.get("columns").expect("required").0;
        for (i, c) in idx.columns.iter().enumerate() {
            let p = if matches!(f.get("columns"), Some((_, Y::String(_)))) {
                cp.clone()
            } else {
                format!("{cp}[{i}]")
            };
            known.check_column(self, &table, c, &p)?;
        }
        Ok(idx)
    }

    fn drop_index(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            TABLE_INDEX_KEYS,
            "`{table, name}` or `{table, columns, unique?}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let name = match (f.has("name"), f.has("columns")) {
            (true, true) => {
                let p = f.get("columns").expect("given").0;
                return Err(self.err(&p, "give either `name:` or `columns:` (to derive the name), not both"));
            }
            (false, false) => {
                return Err(self.err(
                    &f.path,
                    "missing required key `name` (or `columns`, from which the default name is derived)",
                ))
            }
            (true, false) => {
                if let Some((p, _)) = f.get("unique") {
                    return Err(self.err(&p, "`unique` only matters with `columns:` (to derive the name)"));
                }
                self.req_ident(&f, "name", "an index name")?
            }
            (false, true) => self.index_fields(path, &f, &table)?.name,
        };
        Ok(OpKind::DropIndex { table, name })
    }

    /// `{table, columns, references: {table, columns}, on_delete?, on_update?, name?}`; inside a
    /// create_table, `table` is implied.
    fn foreign_key(
        &self,
        path: &str,
        v: &Y,
        in_table: Option<&str>,
        known: &KnownTables,
    ) -> Result<ForeignKey, SchemaError> {
        let f = self.fields(
            v,
            path,
            FK_KEYS,
            "a foreign key `{columns, references: {table, columns}}`",
        )?;
        let table = match in_table {
            Some(t) => {
                if let Some((p, _)) = f.get("table") {
                    return Err(self.err(&p, "inside create_table, a foreign key's table is the table being created: remove `table`"));
                }
                t.to_string()
            }
            None => self.req_ident(&f, "table", "a table name")?,
        };
        let (cp, cv) = self.required(&f, "columns", " (the referencing columns)")?;
        let columns = self.ident_list(&cp, cv, "column name")?;
        if in_table.is_none() {
            for c in &columns {
                known.check_column(self, &table, c, &cp)?;
            }
        }
        let (rp, rv) = self.required(
            &f,
            "references",
            " (`references: {table: users, columns: [id]}`)",
        )?;
        let (ref_table, ref_columns) = self.fk_reference(&rp, rv)?;
        if ref_columns.len() != columns.len() {
            return Err(self.err(
                &rp,
                format!(
                    "{} referencing column(s) but {} referenced: the lists must have the same length",
                    columns.len(),
                    ref_columns.len()
                ),
            ));
        }
        let name = match self.opt_ident(&f, "name", "a constraint name")? {
            Some(n) => n,
            None => {
                let n = default_index_name(&table, &columns, "foreign");
                check_ident(&n).map_err(|m| {
                    self.err(
                        path,
                        format!("the default foreign key name is too long: {m}; give `name:`"),
                    )
                })?;
                n
            }
        };
        Ok(ForeignKey {
            table,
            columns,
            ref_table,
            ref_columns,
            on_delete: self.fk_action(&f, "on_delete")?,
            on_update: self.fk_action(&f, "on_update")?,
            name,
        })
    }

    fn fk_reference(&self, path: &str, v: &Y) -> Result<(String, Vec<String>), SchemaError> {
        if let Y::String(s) = v {
            let parts: Vec<&str> = s.split('.').collect();
            if parts.len() != 2 || parts.iter().any(|x| x.trim().is_empty()) {
                return Err(self.err(
                    path,
                    format!(
                        "`references` must be `{{table, columns}}` or `table.column`, found `{s}`"
                    ),
                ));
            }
            for p in &parts {
                check_ident(p.trim()).map_err(|m| self.err(path, m))?;
            }
            return Ok((
                parts[0].trim().to_string(),
                vec![parts[1].trim().to_string()],
            ));
        }
        let g = self.fields(v, path, FK_REF_KEYS, "`{table, columns}`")?;
        let table = self.req_ident(&g, "table", "a table name")?;
        let (cp, cv) = self.required(&g, "columns", " (the referenced columns)")?;
        Ok((table, self.ident_list(&cp, cv, "column name")?))
    }

    fn drop_foreign_key(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            FK_KEYS,
            "`{table, columns, references?, name?}` or `{table, name}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        if f.has("references") {
            let spec = self.foreign_key(path, v, None, &KnownTables::default())?;
            return Ok(OpKind::DropForeignKey(DropForeignKey {
                table,
                name: spec.name.clone(),
                columns: spec.columns.clone(),
                spec: Some(spec),
            }));
        }
        for key in ["on_delete", "on_update"] {
            if let Some((p, _)) = f.get(key) {
                return Err(self.err(
                    &p,
                    format!(
                        "`{key}` only matters with `references:` (which makes the drop reversible)"
                    ),
                ));
            }
        }
        let columns = match f.get("columns") {
            Some((p, v)) => self.ident_list(&p, v, "column name")?,
            None => Vec::new(),
        };
        let name = match self.opt_ident(&f, "name", "a constraint name")? {
            Some(n) => n,
            None if !columns.is_empty() => default_index_name(&table, &columns, "foreign"),
            None => {
                return Err(self.err(
                    &f.path,
                    "missing required key `name` (or `columns`, from which the default name is derived)",
                ))
            }
        };
        Ok(OpKind::DropForeignKey(DropForeignKey {
            table,
            name,
            columns,
            spec: None,
        }))
    }

    fn sql(&self, path: &str, v: &Y) -> Result<SqlText, SchemaError> {
        let line_of = |p: &str| -> usize { super::text_start_line(self.text, p).unwrap_or(1) };
        match v {
            Y::String(s) => {
                if s.trim().is_empty() {
                    return Err(self.err(path, "the SQL text is empty"));
                }
                Ok(SqlText {
                    portable: Some(s.clone()),
                    sqlite: None,
                    mysql: None,
                    first_line: line_of(path),
                    mysql_first_line: line_of(path),
                })
            }
            Y::Mapping(_) => {
                let f = self.fields(
                    v,
                    path,
                    &[("sqlite", &["sqlite3"]), ("mysql", &["mariadb"])],
                    "",
                )?;
                if f.entries.is_empty() {
                    return Err(self.err(path, "expected `sqlite:` and/or `mysql:` SQL text"));
                }
                let sqlite = self.opt_string(&f, "sqlite", "SQL text")?;
                let mysql = self.opt_string(&f, "mysql", "SQL text")?;
                let sp = f
                    .get("sqlite")
                    .map(|x| x.0)
                    .unwrap_or_else(|| path.to_string());
                let mp = f
                    .get("mysql")
                    .map(|x| x.0)
                    .unwrap_or_else(|| path.to_string());
                Ok(SqlText {
                    portable: None,
                    sqlite,
                    mysql,
                    first_line: line_of(&sp),
                    mysql_first_line: line_of(&mp),
                })
            }
            other => Err(self.err(
                path,
                format!(
                    "expected SQL text (a string) or `{{sqlite: …, mysql: …}}`, found {}",
                    describe(other)
                ),
            )),
        }
    }

    fn insert(&self, path: &str, v: &Y, known: &KnownTables) -> Result<Insert, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("rows", &[]), ("key", &[])],
            "`{table, rows: [{…}], key?}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let (rp, rv) =
            self.required(&f, "rows", " (a list of rows, each a map of column: value)")?;
        let items = match rv {
            Y::Sequence(items) if !items.is_empty() => items,
            Y::Sequence(_) => return Err(self.err(&rp, "`rows` is empty: give at least one row")),
            other => {
                return Err(self.err(
                    &rp,
                    format!(
                        "expected a list of rows (maps of column: value), found {}",
                        describe(other)
                    ),
                ))
            }
        };
        let key = match f.get("key") {
            Some((p, v)) => {
                let k = self.ident_list(&p, v, "column name")?;
                for c in &k {
                    known.check_column(self, &table, c, &p)?;
                }
                Some(k)
            }
            None => None,
        };
        let mut rows = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p = format!("{rp}[{i}]");
            rows.push(self.row(&p, item, &table, known)?);
            if let Some(k) = &key {
                let row = rows.last().expect("pushed");
                if let Some(missing) = k
                    .iter()
                    .find(|c| !row.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)))
                {
                    return Err(self.err(
                        &p,
                        format!("this row has no value for the key column `{missing}`"),
                    ));
                }
            }
        }
        Ok(Insert { table, rows, key })
    }

    fn row(
        &self,
        path: &str,
        v: &Y,
        table: &str,
        known: &KnownTables,
    ) -> Result<Vec<(String, Value)>, SchemaError> {
        let Y::Mapping(m) = v else {
            return Err(self.err(
                path,
                format!(
                    "expected a row (a map of column: value), found {}",
                    describe(v)
                ),
            ));
        };
        if m.is_empty() {
            return Err(self.err(path, "a row needs at least one column"));
        }
        let mut row: Vec<(String, Value)> = Vec::with_capacity(m.len());
        for (k, val) in m {
            let Some(col) = scalar_text(k) else {
                return Err(self.err(
                    path,
                    format!("expected a column name as key, found {}", describe(k)),
                ));
            };
            let p = format!("{path}.{col}");
            check_ident(&col).map_err(|e| self.err(&p, e))?;
            known.check_column(self, table, &col, &p)?;
            if row.iter().any(|(n, _)| n.eq_ignore_ascii_case(&col)) {
                return Err(self.err(&p, format!("column `{col}` is given twice")));
            }
            row.push((col, Value::from_yaml(val)));
        }
        Ok(row)
    }

    fn delete(&self, path: &str, v: &Y, known: &KnownTables) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("where", &[])],
            "`{table, where: {column: value}}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let (wp, wv) = self.required(
            &f,
            "where",
            " (the rows to delete: `where: {id: 1}`; to empty a table use `sql:`)",
        )?;
        if let Y::Mapping(m) = wv {
            if m.is_empty() {
                return Err(self.err(
                    &wp,
                    "`where` is empty: to delete every row, use a `sql:` operation",
                ));
            }
        }
        let conditions = self.row(&wp, wv, &table, known)?;
        Ok(OpKind::Delete { table, conditions })
    }
}

fn shown(v: &Y) -> String {
    scalar_text(v).map_or_else(|| describe(v).to_string(), |s| format!("`{s}`"))
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
