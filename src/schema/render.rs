//! Rendering ops to SQL, per dialect; derived downs; insert/delete batching.

use super::ops::*;
use super::rebuild::TableChange;
use super::{SchemaError, Step, StepKind};
use crate::value::{Dialect, Value};

/// Most rows in one INSERT/DELETE statement.
const MAX_ROWS: usize = 1000;
/// Most bound parameters in one statement: far below SQLite's 32766 and MySQL's 65535.
const MAX_PARAMS: usize = 10_000;
/// Rough payload cap per statement, far below MySQL's smallest usual max_allowed_packet (4 MiB).
const MAX_BYTES: usize = 1 << 20;

fn q(d: Dialect, s: &str) -> String {
    d.quote_ident(s)
}

fn qlist(d: Dialect, cols: &[String]) -> String {
    cols.iter().map(|c| q(d, c)).collect::<Vec<_>>().join(", ")
}

/// The column's type as SQL (for increments: the whole key definition).
pub(crate) fn type_sql(c: &Column, d: Dialect, modify: bool) -> String {
    use ColumnType as T;
    let sqlite = d == Dialect::Sqlite;
    let base = match &c.ty {
        T::Increments | T::BigIncrements if sqlite => {
            return "INTEGER PRIMARY KEY AUTOINCREMENT".into()
        }
        T::Increments | T::BigIncrements => {
            let int = if c.ty == T::Increments {
                "INT"
            } else {
                "BIGINT"
            };
            let pk = if modify { "" } else { " PRIMARY KEY" };
            return format!("{int} UNSIGNED NOT NULL AUTO_INCREMENT{pk}");
        }
        T::Integer if sqlite => "INTEGER".to_string(),
        T::Integer => "INT".to_string(),
        T::BigInteger => "BIGINT".into(),
        T::SmallInteger => "SMALLINT".into(),
        T::TinyInteger => "TINYINT".into(),
        T::Float => "FLOAT".into(),
        T::Double => "DOUBLE".into(),
        T::Decimal { precision, scale } => format!("DECIMAL({precision}, {scale})"),
        T::Boolean if sqlite => "BOOLEAN".into(),
        T::Boolean => "TINYINT(1)".into(),
        T::String { length } => format!("VARCHAR({length})"),
        T::Text => "TEXT".into(),
        T::Date => "DATE".into(),
        T::Time => "TIME".into(),
        T::Datetime => "DATETIME".into(),
        T::Timestamp => "TIMESTAMP".into(),
        T::Json => "JSON".into(),
        T::Uuid => "CHAR(36)".into(),
        T::Binary { length: Some(n) } if !sqlite => format!("VARBINARY({n})"),
        T::Binary { .. } => "BLOB".into(),
        T::Enum { values } => {
            let list = values
                .iter()
                .map(|v| d.quote_str(v))
                .collect::<Vec<_>>()
                .join(", ");
            if sqlite {
                format!("TEXT CHECK ({} IN ({list}))", q(d, &c.name))
            } else {
                format!("ENUM({list})")
            }
        }
    };
    if c.unsigned && !sqlite {
        format!("{base} UNSIGNED")
    } else {
        base
    }
}

/// `"name" TYPE [NOT NULL|NULL] [DEFAULT …] [COMMENT …]`. Never includes UNIQUE, an index, a
/// foreign key or (except for increments) PRIMARY KEY: those are rendered as named constraints.
pub(crate) fn column_def(c: &Column, d: Dialect, in_pk: bool, modify: bool) -> String {
    let mut s = format!("{} {}", q(d, &c.name), type_sql(c, d, modify));
    if !c.ty.is_increments() {
        let not_null = in_pk || c.primary || c.nullable == Some(false);
        if not_null {
            s.push_str(" NOT NULL");
        } else if d == Dialect::Mysql {
            // Explicit, so that MySQL never turns a TIMESTAMP into NOT NULL with an implicit default.
            s.push_str(" NULL");
        }
        if let Some(def) = &c.default {
            s.push_str(" DEFAULT ");
            s.push_str(&default_sql(def, d));
        }
    }
    if let (Some(comment), Dialect::Mysql) = (&c.comment, d) {
        s.push_str(" COMMENT ");
        s.push_str(&d.quote_str(comment));
    }
    s
}

fn literal(v: &Value, d: Dialect) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => {
            let s = f.to_string();
            if s.contains(['.', 'e', 'E']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Float(_) => "NULL".into(),
        Value::Text(s) => d.quote_str(s),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            format!("X'{hex}'")
        }
    }
}

fn is_simple_default(expr: &str) -> bool {
    let t = expr.trim();
    let up = t.to_ascii_uppercase();
    let quoted = t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'');
    quoted
        || t.parse::<f64>().is_ok()
        || ["NULL", "TRUE", "FALSE"].contains(&up.as_str())
        || up.starts_with("CURRENT_TIMESTAMP")
        || up.starts_with("CURRENT_DATE")
        || up.starts_with("CURRENT_TIME")
        || up.starts_with("LOCALTIMESTAMP")
        || (t.starts_with('(') && t.ends_with(')'))
}

/// A DDL default: scalars as literals; `{sql: EXPR}` as written, parenthesised when it is an
/// expression (SQLite and MySQL 8 require that; MariaDB accepts it).
fn default_sql(def: &DefaultValue, d: Dialect) -> String {
    match def {
        DefaultValue::Literal(v) => literal(v, d),
        DefaultValue::Sql(e) if is_simple_default(e) => e.trim().to_string(),
        DefaultValue::Sql(e) => format!("({})", e.trim()),
    }
}

/// Whether SQLite's `ALTER TABLE … ADD COLUMN` accepts this default (a constant).
fn default_is_constant(def: &DefaultValue) -> bool {
    match def {
        DefaultValue::Literal(_) => true,
        DefaultValue::Sql(e) => {
            let t = e.trim();
            let up = t.to_ascii_uppercase();
            (t.len() >= 2 && t.starts_with('\'') && t.ends_with('\''))
                || t.parse::<f64>().is_ok()
                || ["NULL", "TRUE", "FALSE"].contains(&up.as_str())
        }
    }
}

/// `CONSTRAINT "n" FOREIGN KEY ("a") REFERENCES "t" ("id") [ON DELETE …] [ON UPDATE …]`
pub(crate) fn fk_clause(fk: &ForeignKey, d: Dialect) -> String {
    let mut s = format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        q(d, &fk.name),
        qlist(d, &fk.columns),
        q(d, &fk.ref_table),
        qlist(d, &fk.ref_columns)
    );
    if let Some(a) = fk.on_delete {
        s.push_str(" ON DELETE ");
        s.push_str(a.sql());
    }
    if let Some(a) = fk.on_update {
        s.push_str(" ON UPDATE ");
        s.push_str(a.sql());
    }
    s
}

pub(crate) fn create_index_sql(idx: &Index, d: Dialect, if_not_exists: bool) -> String {
    format!(
        "CREATE {}INDEX {}{} ON {} ({})",
        if idx.unique { "UNIQUE " } else { "" },
        if if_not_exists && d == Dialect::Sqlite {
            "IF NOT EXISTS "
        } else {
            ""
        },
        q(d, &idx.name),
        q(d, &idx.table),
        qlist(d, &idx.columns)
    )
}

fn drop_index_sql(table: &str, name: &str, d: Dialect) -> String {
    match d {
        Dialect::Sqlite => format!("DROP INDEX {}", q(d, name)),
        Dialect::Mysql => format!("DROP INDEX {} ON {}", q(d, name), q(d, table)),
    }
}

/// The indexes and foreign key implied by a column's `unique`, `index` and `references`.
pub(crate) fn column_extras(table: &str, c: &Column) -> (Vec<Index>, Option<ForeignKey>) {
    let cols = vec![c.name.clone()];
    let mut idx = Vec::new();
    for (flag, unique, suffix) in [(c.unique, true, "unique"), (c.index, false, "index")] {
        if flag {
            idx.push(Index {
                table: table.to_string(),
                columns: cols.clone(),
                unique,
                name: default_index_name(table, &cols, suffix),
            });
        }
    }
    let fk = c.references.as_ref().map(|r| ForeignKey {
        table: table.to_string(),
        columns: cols.clone(),
        ref_table: r.table.clone(),
        ref_columns: vec![r.column.clone()],
        on_delete: r.on_delete,
        on_update: r.on_update,
        name: default_index_name(table, &cols, "foreign"),
    });
    (idx, fk)
}

/// Collects the steps of one op.
struct Out<'a> {
    origin: &'a str,
    steps: &'a mut Vec<Step>,
}

impl Out<'_> {
    fn sql(&mut self, sql: String) {
        self.sql_with(sql, Vec::new());
    }
    fn sql_with(&mut self, sql: String, params: Vec<Value>) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind: StepKind::Sql { sql, params },
        });
    }
    fn push(&mut self, kind: StepKind) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind,
        });
    }
    fn rebuild(&mut self, table: &str, change: TableChange) {
        self.steps.push(Step {
            origin: self.origin.to_string(),
            kind: StepKind::SqliteRebuild {
                table: table.to_string(),
                change,
            },
        });
    }
}

/// Renders one op as steps.
pub(crate) fn render(
    op: &Op,
    d: Dialect,
    origin: &str,
    steps: &mut Vec<Step>,
) -> Result<(), SchemaError> {
    let mut out = Out { origin, steps };
    render_kind(op, &op.kind, d, &mut out)
}

fn render_kind(op: &Op, kind: &OpKind, d: Dialect, out: &mut Out) -> Result<(), SchemaError> {
    match kind {
        OpKind::CreateTable(t) => create_table(t, d, out),
        OpKind::DropTable { name, if_exists } => out.sql(format!(
            "DROP TABLE {}{}",
            if *if_exists { "IF EXISTS " } else { "" },
            q(d, name)
        )),
        OpKind::RenameTable { from, to } => out.sql(match d {
            Dialect::Sqlite => format!("ALTER TABLE {} RENAME TO {}", q(d, from), q(d, to)),
            Dialect::Mysql => format!("RENAME TABLE {} TO {}", q(d, from), q(d, to)),
        }),
        OpKind::AddColumns { table, columns } => add_columns(table, columns, d, out),
        OpKind::DropColumns { table, columns } => match d {
            Dialect::Sqlite => out.rebuild(table, TableChange::DropColumns(columns.clone())),
            Dialect::Mysql => {
                // As on SQLite, a column's foreign keys go with it.
                out.push(StepKind::DropForeignKeysOn {
                    table: table.clone(),
                    columns: columns.clone(),
                });
                out.sql(format!(
                    "ALTER TABLE {} {}",
                    q(d, table),
                    columns
                        .iter()
                        .map(|c| format!("DROP COLUMN {}", q(d, c)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        },
        OpKind::RenameColumn { table, from, to } => out.sql(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            q(d, table),
            q(d, from),
            q(d, to)
        )),
        OpKind::AlterColumn { table, column } => match d {
            Dialect::Sqlite => out.rebuild(table, TableChange::AlterColumn(column.clone())),
            Dialect::Mysql => out.sql(format!(
                "ALTER TABLE {} MODIFY COLUMN {}",
                q(d, table),
                column_def(column, d, false, true)
            )),
        },
        OpKind::CreateIndex(idx) => out.sql(create_index_sql(idx, d, false)),
        OpKind::DropIndex { table, name } => out.sql(drop_index_sql(table, name, d)),
        OpKind::AddForeignKey(fk) => match d {
            Dialect::Sqlite => out.rebuild(&fk.table, TableChange::AddForeignKey(fk.clone())),
            Dialect::Mysql => out.sql(format!(
                "ALTER TABLE {} ADD {}",
                q(d, &fk.table),
                fk_clause(fk, d)
            )),
        },
        OpKind::DropForeignKey(dfk) => match d {
            Dialect::Sqlite => out.rebuild(&dfk.table, TableChange::DropForeignKey(dfk.clone())),
            Dialect::Mysql => out.sql(format!(
                "ALTER TABLE {} DROP FOREIGN KEY {}",
                q(d, &dfk.table),
                q(d, &dfk.name)
            )),
        },
        OpKind::Sql(text) => return sql_op(op, text, d, out),
        OpKind::Insert(ins) => {
            for (sql, params) in insert_statements(&ins.table, &ins.rows, d) {
                out.sql_with(sql, params);
            }
        }
        OpKind::Delete { table, conditions } => {
            let mut params = Vec::new();
            let mut conds = Vec::new();
            for (c, v) in conditions {
                if v.is_null() {
                    conds.push(format!("{} IS NULL", q(d, c)));
                } else {
                    conds.push(format!("{} = ?", q(d, c)));
                    params.push(v.clone());
                }
            }
            out.sql_with(
                format!("DELETE FROM {} WHERE {}", q(d, table), conds.join(" AND ")),
                params,
            );
        }
    }
    Ok(())
}

fn create_table(t: &CreateTable, d: Dialect, out: &mut Out) {
    let in_pk = |c: &Column| {
        t.primary_key
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&c.name))
    };
    let mut items: Vec<String> = t
        .columns
        .iter()
        .map(|c| column_def(c, d, in_pk(c), false))
        .collect();
    if !t.primary_key.is_empty() {
        items.push(format!("PRIMARY KEY ({})", qlist(d, &t.primary_key)));
    }
    if d == Dialect::Mysql {
        // Inline, so that the table and its indexes are one (implicitly committed) statement.
        for idx in &t.indexes {
            items.push(format!(
                "{}INDEX {} ({})",
                if idx.unique { "UNIQUE " } else { "" },
                q(d, &idx.name),
                qlist(d, &idx.columns)
            ));
        }
    }
    for fk in &t.foreign_keys {
        items.push(fk_clause(fk, d));
    }
    let mut sql = format!(
        "CREATE TABLE {}{} ({})",
        if t.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
        q(d, &t.name),
        items.join(", ")
    );
    if let (Some(c), Dialect::Mysql) = (&t.comment, d) {
        sql.push_str(" COMMENT = ");
        sql.push_str(&d.quote_str(c));
    }
    out.sql(sql);
    if d == Dialect::Sqlite {
        for idx in &t.indexes {
            out.sql(create_index_sql(idx, d, t.if_not_exists));
        }
    }
}

/// Whether SQLite's `ALTER TABLE … ADD COLUMN` cannot add this column, so the table is rebuilt.
fn sqlite_add_needs_rebuild(c: &Column) -> bool {
    let not_null_without_default = c.nullable == Some(false)
        && matches!(&c.default, None | Some(DefaultValue::Literal(Value::Null)));
    c.primary
        || c.ty.is_increments()
        || c.references.is_some()
        || not_null_without_default
        || c.default
            .as_ref()
            .is_some_and(|def| !default_is_constant(def))
}

fn add_columns(table: &str, columns: &[Column], d: Dialect, out: &mut Out) {
    let mut indexes = Vec::new();
    let mut fks = Vec::new();
    for c in columns {
        let (idx, fk) = column_extras(table, c);
        indexes.extend(idx);
        fks.extend(fk);
    }
    match d {
        Dialect::Mysql => {
            // One ALTER TABLE: MySQL applies it whole or not at all.
            let mut parts: Vec<String> = columns
                .iter()
                .map(|c| format!("ADD COLUMN {}", column_def(c, d, false, false)))
                .collect();
            let pk: Vec<String> = columns
                .iter()
                .filter(|c| c.primary && !c.ty.is_increments())
                .map(|c| c.name.clone())
                .collect();
            if !pk.is_empty() {
                parts.push(format!("ADD PRIMARY KEY ({})", qlist(d, &pk)));
            }
            for idx in &indexes {
                parts.push(format!(
                    "ADD {}INDEX {} ({})",
                    if idx.unique { "UNIQUE " } else { "" },
                    q(d, &idx.name),
                    qlist(d, &idx.columns)
                ));
            }
            for fk in &fks {
                parts.push(format!("ADD {}", fk_clause(fk, d)));
            }
            out.sql(format!("ALTER TABLE {} {}", q(d, table), parts.join(", ")));
        }
        Dialect::Sqlite => {
            if columns.iter().any(sqlite_add_needs_rebuild) {
                out.rebuild(table, TableChange::AddColumns(columns.to_vec()));
            } else {
                for c in columns {
                    out.sql(format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        q(d, table),
                        column_def(c, d, false, false)
                    ));
                }
            }
            for idx in &indexes {
                out.sql(create_index_sql(idx, d, false));
            }
        }
    }
}

fn sql_op(op: &Op, text: &SqlText, d: Dialect, out: &mut Out) -> Result<(), SchemaError> {
    let (body, first_line) = match (&text.portable, d) {
        (Some(p), _) => (Some(p), text.first_line),
        (None, Dialect::Sqlite) => (text.sqlite.as_ref(), text.first_line),
        (None, Dialect::Mysql) => (text.mysql.as_ref(), text.mysql_first_line),
    };
    let Some(body) = body else {
        let other = if d == Dialect::Sqlite {
            "mysql"
        } else {
            "sqlite"
        };
        return Err(SchemaError {
            message: format!(
                "this `sql` operation has no text for {d} (only `{other}:`); add a `{d}:` text to run it on {d}"
            ),
            path: op.path.clone(),
            line: op.line,
        });
    };
    let statements = crate::sql::split(body, first_line, d).map_err(|e| SchemaError {
        message: e.message.clone(),
        path: op.path.clone(),
        line: Some(e.line),
    })?;
    if statements.is_empty() {
        return Err(SchemaError {
            message: "the SQL text holds no statement".into(),
            path: op.path.clone(),
            line: op.line,
        });
    }
    let many = statements.len() > 1;
    for st in statements {
        let origin = if many {
            format!("{} statement {} (line {})", out.origin, st.number, st.line)
        } else {
            out.origin.to_string()
        };
        out.steps.push(Step {
            origin,
            kind: StepKind::Sql {
                sql: st.sql,
                params: Vec::new(),
            },
        });
    }
    Ok(())
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::Text(s) => s.len() + 4,
        Value::Bytes(b) => b.len() * 2 + 4,
        _ => 8,
    }
}

/// Multi-row INSERTs with bound parameters. Consecutive rows with the same set of columns share
/// statements; a column a row does not give is left out (so its default applies), never NULL.
pub(crate) fn insert_statements(
    table: &str,
    rows: &[Vec<(String, Value)>],
    d: Dialect,
) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    let same_set = |a: &[(String, Value)], b: &[(String, Value)]| {
        a.len() == b.len()
            && a.iter()
                .all(|(n, _)| b.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)))
    };
    let mut i = 0;
    while i < rows.len() {
        let cols: Vec<String> = rows[i].iter().map(|(n, _)| n.clone()).collect();
        let per_stmt = (MAX_PARAMS / cols.len().max(1)).clamp(1, MAX_ROWS);
        let mut j = i;
        let mut params: Vec<Value> = Vec::new();
        let mut bytes = 0;
        let mut count = 0;
        let flush =
            |params: &mut Vec<Value>, count: &mut usize, out: &mut Vec<(String, Vec<Value>)>| {
                if *count == 0 {
                    return;
                }
                let one = format!("({})", vec!["?"; cols.len()].join(", "));
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    q(d, table),
                    qlist(d, &cols),
                    vec![one; *count].join(", ")
                );
                out.push((sql, std::mem::take(params)));
                *count = 0;
            };
        while j < rows.len() && same_set(&rows[i], &rows[j]) {
            let row = &rows[j];
            let size: usize = row.iter().map(|(_, v)| value_size(v)).sum();
            if count == per_stmt || (count > 0 && bytes + size > MAX_BYTES) {
                flush(&mut params, &mut count, &mut out);
                bytes = 0;
            }
            for c in &cols {
                let v = row
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(c))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null);
                params.push(v);
            }
            bytes += size;
            count += 1;
            j += 1;
        }
        flush(&mut params, &mut count, &mut out);
        i = j;
    }
    out
}

/// DELETEs that remove exactly these rows, identified by `key` (rows newest first).
pub(crate) fn delete_rows(
    table: &str,
    key: &[String],
    rows: &[Vec<(String, Value)>],
    d: Dialect,
) -> Result<Vec<(String, Vec<Value>)>, String> {
    if key.is_empty() {
        return Err(format!(
            "table `{table}` has no primary key to delete the inserted rows by"
        ));
    }
    let mut keyed: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut vals = Vec::with_capacity(key.len());
        for k in key {
            match row.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
                Some((_, v)) => vals.push(v.clone()),
                None => {
                    return Err(format!(
                        "row {} inserted into `{table}` has no value for the key column `{k}`, so it cannot be deleted by key",
                        i + 1
                    ))
                }
            }
        }
        keyed.push(vals);
    }
    let mut out = Vec::new();
    let table_q = q(d, table);
    if key.len() == 1 {
        let col = q(d, &key[0]);
        if keyed.iter().any(|v| v[0].is_null()) {
            out.push((
                format!("DELETE FROM {table_q} WHERE {col} IS NULL"),
                Vec::new(),
            ));
        }
        let values: Vec<Value> = keyed
            .into_iter()
            .map(|mut v| v.remove(0))
            .filter(|v| !v.is_null())
            .collect();
        for chunk in values.chunks(MAX_ROWS) {
            let marks = vec!["?"; chunk.len()].join(", ");
            out.push((
                format!("DELETE FROM {table_q} WHERE {col} IN ({marks})"),
                chunk.to_vec(),
            ));
        }
    } else {
        let per = (MAX_PARAMS / key.len()).clamp(1, MAX_ROWS / 2);
        for chunk in keyed.chunks(per) {
            let mut params = Vec::new();
            let mut ors = Vec::new();
            for vals in chunk {
                let mut ands = Vec::new();
                for (k, v) in key.iter().zip(vals) {
                    if v.is_null() {
                        ands.push(format!("{} IS NULL", q(d, k)));
                    } else {
                        ands.push(format!("{} = ?", q(d, k)));
                        params.push(v.clone());
                    }
                }
                ors.push(format!("({})", ands.join(" AND ")));
            }
            out.push((
                format!("DELETE FROM {table_q} WHERE {}", ors.join(" OR ")),
                params,
            ));
        }
    }
    Ok(out)
}

/// The down steps derived from `up`: each op's inverse, last op first.
pub(crate) fn derive_down(up: &[Op], d: Dialect) -> Result<Vec<Step>, SchemaError> {
    let mut steps = Vec::new();
    for (i, op) in up.iter().enumerate().rev() {
        let origin = format!("down (derived from {})", op.path);
        let mut out = Out {
            origin: &origin,
            steps: &mut steps,
        };
        let irreversible = || SchemaError {
            message: format!(
                "`{}` has no automatic reverse: write a `down:` section",
                op.name()
            ),
            path: op.path.clone(),
            line: op.line,
        };
        let inverse = match &op.kind {
            OpKind::CreateTable(t) if t.if_not_exists => {
                // The table may have been there before: dropping it could lose it.
                return Err(SchemaError {
                    message: "`create_table` with `if_not_exists` has no automatic reverse (the table may have existed before this migration): write a `down:` section".into(),
                    path: op.path.clone(),
                    line: op.line,
                });
            }
            OpKind::CreateTable(t) => OpKind::DropTable {
                name: t.name.clone(),
                if_exists: false,
            },
            OpKind::RenameTable { from, to } => OpKind::RenameTable {
                from: to.clone(),
                to: from.clone(),
            },
            OpKind::AddColumns { table, columns } => {
                if d == Dialect::Mysql {
                    // MySQL refuses to drop a column that a foreign key uses: drop the key first.
                    for c in columns.iter().rev() {
                        if let (_, Some(fk)) = column_extras(table, c) {
                            out.sql(format!(
                                "ALTER TABLE {} DROP FOREIGN KEY {}",
                                q(d, table),
                                q(d, &fk.name)
                            ));
                        }
                    }
                }
                OpKind::DropColumns {
                    table: table.clone(),
                    columns: columns.iter().rev().map(|c| c.name.clone()).collect(),
                }
            }
            OpKind::RenameColumn { table, from, to } => OpKind::RenameColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            OpKind::CreateIndex(idx) => OpKind::DropIndex {
                table: idx.table.clone(),
                name: idx.name.clone(),
            },
            OpKind::AddForeignKey(fk) => OpKind::DropForeignKey(DropForeignKey {
                table: fk.table.clone(),
                name: fk.name.clone(),
                columns: fk.columns.clone(),
                spec: Some(fk.clone()),
            }),
            OpKind::DropForeignKey(dfk) => match &dfk.spec {
                Some(spec) => OpKind::AddForeignKey(spec.clone()),
                None => {
                    return Err(SchemaError {
                        message: "`drop_foreign_key` has no automatic reverse without the key's definition: give `columns:` and `references:` (then it is re-created on rollback), or write a `down:` section".into(),
                        path: op.path.clone(),
                        line: op.line,
                    })
                }
            },
            OpKind::Insert(ins) => {
                if created_before(up, i, &ins.table) {
                    // The table is dropped later in this down, rows and all; its rows go now,
                    // so that rows of other tables they reference can be deleted before it.
                    out.sql(format!("DELETE FROM {}", q(d, &ins.table)));
                    continue;
                }
                let rows: Vec<Vec<(String, Value)>> = ins.rows.iter().rev().cloned().collect();
                match &ins.key {
                    Some(key) => {
                        let stmts = delete_rows(&ins.table, key, &rows, d).map_err(|m| SchemaError {
                            message: m,
                            path: op.path.clone(),
                            line: op.line,
                        })?;
                        for (sql, params) in stmts {
                            out.sql_with(sql, params);
                        }
                    }
                    None => out.steps.push(Step {
                        origin: origin.clone(),
                        kind: StepKind::DeleteByPrimaryKey {
                            table: ins.table.clone(),
                            rows,
                        },
                    }),
                }
                continue;
            }
            OpKind::DropTable { .. }
            | OpKind::DropColumns { .. }
            | OpKind::AlterColumn { .. }
            | OpKind::DropIndex { .. }
            | OpKind::Sql(_)
            | OpKind::Delete { .. } => return Err(irreversible()),
        };
        render_kind(op, &inverse, d, &mut out)?;
        if let (OpKind::AddForeignKey(fk), Dialect::Mysql) = (&op.kind, d) {
            // InnoDB created an index for the key if none could serve it: it goes too.
            out.push(StepKind::DropIndexIfExists {
                table: fk.table.clone(),
                name: fk.name.clone(),
            });
        }
    }
    Ok(steps)
}

/// Whether `table` is created by an op before `index` (following renames, forgetting drops).
fn created_before(up: &[Op], index: usize, table: &str) -> bool {
    let mut created: Vec<String> = Vec::new();
    for op in &up[..index] {
        match &op.kind {
            OpKind::CreateTable(t) => created.push(t.name.to_ascii_lowercase()),
            OpKind::DropTable { name, .. } => created.retain(|c| !c.eq_ignore_ascii_case(name)),
            OpKind::RenameTable { from, to } => {
                if let Some(c) = created.iter_mut().find(|c| c.eq_ignore_ascii_case(from)) {
                    *c = to.to_ascii_lowercase();
                }
            }
            _ => {}
        }
    }
    created.iter().any(|c| c.eq_ignore_ascii_case(table))
}

/// The statement with its parameters as literals, for previews (never executed).
pub(crate) fn inline_params(sql: &str, params: &[Value], d: Dialect) -> String {
    let mut out = String::with_capacity(sql.len() + params.len() * 4);
    let mut params = params.iter();
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(qc) => {
                out.push(c);
                if c == qc {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '?' => match params.next() {
                    Some(v) => out.push_str(&literal(v, d)),
                    None => out.push('?'),
                },
                _ => out.push(c),
            },
        }
    }
    out
}
