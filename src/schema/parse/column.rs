//! One column definition: its name, type (with size), nullability, default, key flags and
//! `references:`; and the indexes and foreign key a column implies.

use serde_yaml::Value as Y;

use super::{all_names, describe, did_you_mean, scalar_text, ColumnUse, Fields, Names, Parser};
use crate::schema::ops::{
    check_ident, default_index_name, Column, ColumnReference, ColumnType, DefaultValue, ForeignKey,
    Index,
};
use crate::schema::SchemaError;
use crate::value::Value;

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

impl Parser<'_> {
    /// The indexes and foreign key implied by a column's `unique`, `index` and `references`.
    pub(super) fn column_extras(
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

    pub(super) fn unknown_column(
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

    pub(super) fn column(
        &self,
        path: &str,
        v: &Y,
        usage: ColumnUse,
    ) -> Result<Column, SchemaError> {
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
        let default = self.column_default(&f)?;
        let references = self.column_reference(&f)?;
        let column = Column {
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
        };
        self.check_column_rules(&f, &column, usage)?;
        Ok(column)
    }

    /// `default:` a scalar, or `{sql: EXPR}`.
    fn column_default(&self, f: &Fields) -> Result<Option<DefaultValue>, SchemaError> {
        Ok(match f.get("default") {
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
        })
    }

    /// `references: table.column`, with `on_delete:` / `on_update:`.
    fn column_reference(&self, f: &Fields) -> Result<Option<ColumnReference>, SchemaError> {
        let on_delete = self.fk_action(f, "on_delete")?;
        let on_update = self.fk_action(f, "on_update")?;
        let Some((p, v)) = f.get("references") else {
            for key in ["on_delete", "on_update"] {
                if let Some((p, _)) = f.get(key) {
                    return Err(self.err(&p, format!("`{key}` needs `references: table.column`")));
                }
            }
            return Ok(None);
        };
        let s = self.string(&p, v, "`table.column`")?;
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() != 2 || parts.iter().any(|x| x.trim().is_empty()) {
            return Err(self.err(
                &p,
                format!("`references` must be `table.column` (e.g. `users.id`), found `{s}`"),
            ));
        }
        let (t, c) = (parts[0].trim(), parts[1].trim());
        check_ident(t).map_err(|m| self.err(&p, m))?;
        check_ident(c).map_err(|m| self.err(&p, m))?;
        Ok(Some(ColumnReference {
            table: t.to_string(),
            column: c.to_string(),
            on_delete,
            on_update,
        }))
    }

    /// The rules between a column's keys, and what `alter_column` cannot change.
    fn check_column_rules(
        &self,
        f: &Fields,
        col: &Column,
        usage: ColumnUse,
    ) -> Result<(), SchemaError> {
        if col.unsigned && !col.ty.is_numeric() {
            let p = f.get("unsigned").expect("given").0;
            return Err(self.err(&p, "`unsigned` applies only to numeric types"));
        }
        if col.ty.is_increments() {
            if col.nullable == Some(true) {
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
        if col.primary && col.nullable == Some(true) {
            let p = f.get("nullable").expect("given").0;
            return Err(self.err(&p, "a primary key column cannot be nullable"));
        }
        if usage != ColumnUse::Alter {
            return Ok(());
        }
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
        Ok(())
    }

    /// `type:` a name (canonical or alias), with a size in place (`string(50)`,
    /// `decimal(10,2)`) or in the column's `length` / `precision` / `scale` / `values`.
    pub(super) fn column_type(
        &self,
        path: &str,
        v: &Y,
        f: &Fields,
    ) -> Result<ColumnType, SchemaError> {
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
        let (base, args) = self.type_size(path, &raw)?;
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
        self.check_type_size(path, f, canonical, &raw, args.as_deref())?;
        self.sized_type(path, f, canonical, args.as_deref())
    }

    /// `string(50)`, `decimal(10, 2)`: the base name and the size in place, if any.
    fn type_size<'r>(
        &self,
        path: &str,
        raw: &'r str,
    ) -> Result<(&'r str, Option<Vec<u32>>), SchemaError> {
        let Some(i) = raw.find('(') else {
            return Ok((raw, None));
        };
        let inner = raw[i + 1..].strip_suffix(')').ok_or_else(|| {
            self.err(
                path,
                format!("`{raw}`: expected `name(size)`, e.g. `string(50)` or `decimal(10,2)`"),
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
        Ok((raw[..i].trim(), Some(nums)))
    }

    /// The size in place fits the type, and is not given again in the column's keys.
    fn check_type_size(
        &self,
        path: &str,
        f: &Fields,
        canonical: &str,
        raw: &str,
        args: Option<&[u32]>,
    ) -> Result<(), SchemaError> {
        let arg_count = args.map_or(0, <[u32]>::len);
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
        Ok(())
    }

    /// The type named `canonical`, with its size from `args` or the column's keys.
    fn sized_type(
        &self,
        path: &str,
        f: &Fields,
        canonical: &str,
        args: Option<&[u32]>,
    ) -> Result<ColumnType, SchemaError> {
        let arg = |i: usize| args.and_then(|a| a.get(i).copied());
        Ok(match canonical {
            "increments" => ColumnType::Increments,
            "big_increments" => ColumnType::BigIncrements,
            "integer" => ColumnType::Integer,
            "big_integer" => ColumnType::BigInteger,
            "small_integer" => ColumnType::SmallInteger,
            "tiny_integer" => ColumnType::TinyInteger,
            "float" => ColumnType::Float,
            "double" => ColumnType::Double,
            "decimal" => self.decimal_type(path, f, arg(0), arg(1))?,
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
            "enum" => ColumnType::Enum {
                values: self.enum_values(f)?,
            },
            _ => unreachable!("every type is handled"),
        })
    }

    fn decimal_type(
        &self,
        path: &str,
        f: &Fields,
        precision: Option<u32>,
        scale: Option<u32>,
    ) -> Result<ColumnType, SchemaError> {
        let precision = match precision {
            Some(p) => p,
            None => self.opt_u32(f, "precision", 1, 65)?.unwrap_or(8),
        };
        let scale = match scale {
            Some(s) => s,
            None => self.opt_u32(f, "scale", 0, 30)?.unwrap_or(2),
        };
        if precision == 0 || precision > 65 || scale > precision {
            return Err(self.err(
                path,
                format!("decimal({precision},{scale}): the precision must be 1 to 65 and the scale at most the precision"),
            ));
        }
        Ok(ColumnType::Decimal { precision, scale })
    }

    /// An enum's `values:`.
    fn enum_values(&self, f: &Fields) -> Result<Vec<String>, SchemaError> {
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
        Ok(values)
    }
}
