//! Placeholder until the schema language lands (replaced by the schema module).
use crate::db::{Dialect, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub origin: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Sql {
        sql: String,
        params: Vec<Value>,
    },
    SqliteRebuild {
        table: String,
        change: TableChange,
    },
    DeleteByPrimaryKey {
        table: String,
        rows: Vec<Vec<(String, Value)>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableChange;

pub struct LiveTable {
    pub create_sql: String,
    pub dependents: Vec<(String, String, Option<String>)>,
}

pub fn sqlite_rebuild_statements(
    _t: &str,
    _c: &TableChange,
    _l: &LiveTable,
) -> Result<Vec<String>, String> {
    Err("not yet".into())
}

pub fn delete_by_key(
    _t: &str,
    _k: &[String],
    _r: &[Vec<(String, Value)>],
    _d: Dialect,
) -> Result<Vec<(String, Vec<Value>)>, String> {
    Err("not yet".into())
}

pub fn preview(step: &Step, _d: Dialect) -> String {
    match &step.kind {
        StepKind::Sql { sql, .. } => sql.clone(),
        _ => String::new(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    pub message: String,
    pub path: String,
    pub line: Option<usize>,
}
impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}
pub struct YamlMigration {
    pub transaction: Option<bool>,
}
pub fn parse_migration(_t: &str) -> Result<YamlMigration, SchemaError> {
    Err(SchemaError {
        message: "YAML migrations are not ready".into(),
        path: String::new(),
        line: None,
    })
}
pub fn steps(_m: &YamlMigration, _d: Direction, _di: Dialect) -> Result<Vec<Step>, SchemaError> {
    Ok(vec![])
}
