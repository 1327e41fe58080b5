//! The operations of a YAML migration: what `parse` produces and `render` turns into SQL.
//! Pure data, plus the identifier rules and Knex's default constraint names.

use crate::value::Value;

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
    /// `lint: {ignore: [CODE…], reason: …}` beside the op: the findings it silences.
    pub lint_ignore: Vec<crate::lint::Ignore>,
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
    pub(super) fn is_numeric(&self) -> bool {
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
