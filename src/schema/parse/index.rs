//! Indexes and foreign keys: `create_index`, `drop_index`, `add_foreign_key`,
//! `drop_foreign_key`, and the same definitions inside `create_table`.

use serde_yaml::Value as Y;

use super::{did_you_mean, Fields, KnownTables, Names, Parser};
use crate::schema::ops::{
    check_ident, default_index_name, DropForeignKey, FkAction, ForeignKey, Index, OpKind,
};
use crate::schema::SchemaError;

pub(super) const INDEX_KEYS: Names = &[("columns", &[]), ("unique", &[]), ("name", &[])];
const TABLE_INDEX_KEYS: Names = &[
    ("table", &[]),
    ("columns", &[]),
    ("unique", &[]),
    ("name", &[]),
];
pub(super) const FK_KEYS: Names = &[
    ("table", &[]),
    ("columns", &[]),
    ("references", &[]),
    ("on_delete", &["onDelete"]),
    ("on_update", &["onUpdate"]),
    ("name", &[]),
];
const FK_REF_KEYS: Names = &[("table", &[]), ("columns", &[])];

impl Parser<'_> {
    pub(super) fn fk_action(&self, f: &Fields, key: &str) -> Result<Option<FkAction>, SchemaError> {
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

    pub(super) fn index_fields(
        &self,
        path: &str,
        f: &Fields,
        table: &str,
    ) -> Result<Index, SchemaError> {
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

    pub(super) fn create_index(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<Index, SchemaError> {
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

    pub(super) fn drop_index(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
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
    pub(super) fn foreign_key(
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

    pub(super) fn fk_reference(
        &self,
        path: &str,
        v: &Y,
    ) -> Result<(String, Vec<String>), SchemaError> {
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

    pub(super) fn drop_foreign_key(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
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
}
