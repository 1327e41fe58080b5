//! `create_table` and the ops that change a table's columns: drop, rename, add, drop, alter.

use serde_yaml::Value as Y;

use super::index::{FK_KEYS, INDEX_KEYS};
use super::{describe, ColumnUse, Fields, KnownTables, Names, Parser};
use crate::schema::ops::{
    Column, ColumnType, CreateTable, DefaultValue, ForeignKey, Index, OpKind,
};
use crate::schema::SchemaError;

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

/// What the column list of a `create_table` declares, before the table-level keys.
#[derive(Default)]
struct TableColumns {
    columns: Vec<Column>,
    indexes: Vec<Index>,
    foreign_keys: Vec<ForeignKey>,
    /// The columns marked `primary: true`.
    primary: Vec<String>,
    increments: Option<String>,
}

impl Parser<'_> {
    pub(super) fn create_table(&self, path: &str, v: &Y) -> Result<CreateTable, SchemaError> {
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
        let mut t = self.table_columns(&cols_path, items, &name)?;
        self.timestamps(&f, &mut t.columns)?;
        let primary_key =
            self.primary_key(&f, &name, std::mem::take(&mut t.primary), &t.columns)?;
        if let (Some(inc), false) = (&t.increments, primary_key.is_empty()) {
            return Err(self.err(
                path,
                format!(
                    "`{inc}` is an increments column, which is already the primary key; remove the other primary key columns ({})",
                    primary_key.join(", ")
                ),
            ));
        }
        self.table_indexes(&f, &name, &t.columns, &mut t.indexes)?;
        self.table_foreign_keys(&f, &name, &t.columns, &mut t.foreign_keys)?;
        self.check_constraint_names(path, &t.indexes, &t.foreign_keys)?;
        Ok(CreateTable {
            name,
            columns: t.columns,
            primary_key,
            indexes: t.indexes,
            foreign_keys: t.foreign_keys,
            if_not_exists: self.opt_bool(&f, "if_not_exists")?.unwrap_or(false),
            comment: self.opt_string(&f, "comment", "a comment")?,
        })
    }

    /// The columns of a `create_table`, with the keys, indexes and foreign keys they declare.
    fn table_columns(
        &self,
        cols_path: &str,
        items: &[Y],
        table: &str,
    ) -> Result<TableColumns, SchemaError> {
        let mut t = TableColumns::default();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{cols_path}[{i}]");
            let col = self.column(&p, item, ColumnUse::Create)?;
            if t.columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(&col.name))
            {
                return Err(self.err(&p, format!("column `{}` is defined twice", col.name)));
            }
            if col.ty.is_increments() {
                if let Some(first) = &t.increments {
                    return Err(self.err(
                        &p,
                        format!(
                            "a table has at most one increments column; `{first}` is already one"
                        ),
                    ));
                }
                t.increments = Some(col.name.clone());
            } else if col.primary {
                t.primary.push(col.name.clone());
            }
            self.column_extras(&p, table, &col, &mut t.indexes, &mut t.foreign_keys)?;
            t.columns.push(col);
        }
        Ok(t)
    }

    /// `timestamps: true`: `created_at` and `updated_at`, not null, defaulting to now.
    fn timestamps(&self, f: &Fields, columns: &mut Vec<Column>) -> Result<(), SchemaError> {
        if !(f.has("timestamps") && self.opt_bool(f, "timestamps")? == Some(true)) {
            return Ok(());
        }
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
        Ok(())
    }

    /// The table's `primary_key:`, or else the columns marked `primary: true` (`marked`).
    fn primary_key(
        &self,
        f: &Fields,
        table: &str,
        marked: Vec<String>,
        columns: &[Column],
    ) -> Result<Vec<String>, SchemaError> {
        let Some((pk_path, pk_v)) = f.get("primary_key") else {
            return Ok(marked);
        };
        let list = self.ident_list(&pk_path, pk_v, "column name")?;
        if !marked.is_empty() {
            return Err(self.err(
                &pk_path,
                "the primary key is given twice: use either `primary_key:` or `primary: true` on the columns",
            ));
        }
        for (i, c) in list.iter().enumerate() {
            if !has_column(columns, c) {
                return Err(self.unknown_column(&format!("{pk_path}[{i}]"), table, c, columns));
            }
        }
        Ok(list)
    }

    /// The table's `indexes:`, appended to `indexes`.
    fn table_indexes(
        &self,
        f: &Fields,
        table: &str,
        columns: &[Column],
        indexes: &mut Vec<Index>,
    ) -> Result<(), SchemaError> {
        let Some((ip, iv)) = f.get("indexes") else {
            return Ok(());
        };
        let Y::Sequence(list) = iv else {
            return Err(self.err(
                &ip,
                format!("expected a list of indexes, found {}", describe(iv)),
            ));
        };
        for (i, item) in list.iter().enumerate() {
            let p = format!("{ip}[{i}]");
            let g = self.fields(item, &p, INDEX_KEYS, "an index `{columns, unique?, name?}`")?;
            let idx = self.index_fields(&p, &g, table)?;
            self.check_listed_columns(&g, table, &idx.columns, columns)?;
            indexes.push(idx);
        }
        Ok(())
    }

    /// The table's `foreign_keys:`, appended to `foreign_keys`.
    fn table_foreign_keys(
        &self,
        f: &Fields,
        table: &str,
        columns: &[Column],
        foreign_keys: &mut Vec<ForeignKey>,
    ) -> Result<(), SchemaError> {
        let Some((fp, fv)) = f.get("foreign_keys") else {
            return Ok(());
        };
        let Y::Sequence(list) = fv else {
            return Err(self.err(
                &fp,
                format!("expected a list of foreign keys, found {}", describe(fv)),
            ));
        };
        for (i, item) in list.iter().enumerate() {
            let p = format!("{fp}[{i}]");
            let fk = self.foreign_key(&p, item, Some(table), &KnownTables::default())?;
            let g = self.fields(item, &p, FK_KEYS, "")?;
            self.check_listed_columns(&g, table, &fk.columns, columns)?;
            foreign_keys.push(fk);
        }
        Ok(())
    }

    /// Each of `listed` (from `g`'s `columns:`) is one of the table's `columns`.
    fn check_listed_columns(
        &self,
        g: &Fields,
        table: &str,
        listed: &[String],
        columns: &[Column],
    ) -> Result<(), SchemaError> {
        for (j, c) in listed.iter().enumerate() {
            if !has_column(columns, c) {
                let cp = format!("{}[{j}]", g.get("columns").expect("required").0);
                return Err(self.unknown_column(&cp, table, c, columns));
            }
        }
        Ok(())
    }

    // Index and constraint names share one namespace per table on MySQL (and per schema for
    // indexes on SQLite): catch duplicates here rather than half-way through a migration.
    fn check_constraint_names(
        &self,
        path: &str,
        indexes: &[Index],
        foreign_keys: &[ForeignKey],
    ) -> Result<(), SchemaError> {
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
        Ok(())
    }

    pub(super) fn drop_table(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
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

    pub(super) fn rename_table(&self, path: &str, v: &Y) -> Result<OpKind, SchemaError> {
        let f = self.fields(v, path, &[("from", &[]), ("to", &[])], "`{from, to}`")?;
        Ok(OpKind::RenameTable {
            from: self.req_ident(&f, "from", "a table name")?,
            to: self.req_ident(&f, "to", "a table name")?,
        })
    }

    pub(super) fn rename_column(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
        let f = self.fields(
            v,
            path,
            &[("table", &[]), ("from", &[]), ("to", &[])],
            "`{table, from, to}`",
        )?;
        let table = self.req_ident(&f, "table", "a table name")?;
        let from = self.req_ident(&f, "from", "a column name")?;
        known.check_column(self, &table, &from, &f.get("from").expect("required").0)?;
        Ok(OpKind::RenameColumn {
            table,
            from,
            to: self.req_ident(&f, "to", "a column name")?,
        })
    }

    /// `column: X` or `columns: [X, …]`, each with its path.
    pub(super) fn one_or_many<'m>(
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

    pub(super) fn add_column(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
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

    pub(super) fn drop_column(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
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

    pub(super) fn alter_column(
        &self,
        path: &str,
        v: &Y,
        known: &KnownTables,
    ) -> Result<OpKind, SchemaError> {
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
}

fn has_column(columns: &[Column], name: &str) -> bool {
    columns.iter().any(|x| x.name.eq_ignore_ascii_case(name))
}
