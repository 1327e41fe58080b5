//! A column's SQL: its type, definition and default; foreign-key and index clauses; the
//! indexes and key a column's `unique`, `index` and `references` imply.

use super::{q, qlist};
use crate::schema::ops::*;
use crate::value::{Dialect, Value};

/// The column's type as SQL (for increments: the whole key definition).
pub(super) fn type_sql(c: &Column, d: Dialect, modify: bool) -> String {
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
pub(super) fn column_def(c: &Column, d: Dialect, in_pk: bool, modify: bool) -> String {
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

pub(super) fn literal(v: &Value, d: Dialect) -> String {
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

pub(super) fn is_simple_default(expr: &str) -> bool {
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
pub(super) fn default_sql(def: &DefaultValue, d: Dialect) -> String {
    match def {
        DefaultValue::Literal(v) => literal(v, d),
        DefaultValue::Sql(e) if is_simple_default(e) => e.trim().to_string(),
        DefaultValue::Sql(e) => format!("({})", e.trim()),
    }
}

/// Whether SQLite's `ALTER TABLE … ADD COLUMN` accepts this default (a constant).
pub(super) fn default_is_constant(def: &DefaultValue) -> bool {
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
pub(super) fn fk_clause(fk: &ForeignKey, d: Dialect) -> String {
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

pub(super) fn create_index_sql(idx: &Index, d: Dialect, if_not_exists: bool) -> String {
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

pub(super) fn drop_index_sql(table: &str, name: &str, d: Dialect) -> String {
    match d {
        Dialect::Sqlite => format!("DROP INDEX {}", q(d, name)),
        Dialect::Mysql => format!("DROP INDEX {} ON {}", q(d, name), q(d, table)),
    }
}

/// The indexes and foreign key implied by a column's `unique`, `index` and `references`.
pub(super) fn column_extras(table: &str, c: &Column) -> (Vec<Index>, Option<ForeignKey>) {
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
