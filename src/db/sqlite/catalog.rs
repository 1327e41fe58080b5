//! The live schema for schema files and drift: `sqlite_master`'s own text of every table,
//! index, view and trigger (what SQLite keeps is what was written, so it loads back to
//! itself), with each table cut into the parts drift compares.

use crate::catalog::{order_views, Catalog, Object, ObjectKind, Part, PartKind, Table};
use crate::db::{cell_text as text, DbResult, Dialect, Driver};

use super::rebuild::outline;

/// Reads every table (but SQLite's own and the shadow tables of virtual tables), index,
/// view and trigger.
pub fn read(d: &mut dyn Driver) -> DbResult<Catalog> {
    // The shadow tables of a virtual table (FTS5's `<t>_data` …) come with it.
    let shadow: Vec<String> = d
        .query(
            "SELECT name FROM pragma_table_list WHERE type = 'shadow'",
            &[],
        )?
        .iter()
        .map(|r| text(&r[0]))
        .collect();
    let rows = d.query(
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        &[],
    )?;
    let rows: Vec<[String; 4]> = rows
        .iter()
        .map(|r| [text(&r[0]), text(&r[1]), text(&r[2]), text(&r[3])])
        .filter(|[_, name, table, _]| !shadow.contains(name) && !shadow.contains(table))
        .collect();
    let mut tables = Vec::new();
    for [_, name, _, sql] in rows.iter().filter(|r| r[0] == "table") {
        let indexes: Vec<&[String; 4]> = rows
            .iter()
            .filter(|r| r[0] == "index" && r[2] == *name)
            .collect();
        let (columns, mut parts, options) =
            outline(sql).unwrap_or_else(|| (Vec::new(), Vec::new(), String::new()));
        let mut statements = vec![sql.clone()];
        for [_, index, _, index_sql] in &indexes {
            let unique = index_sql
                .split_whitespace()
                .nth(1)
                .is_some_and(|w| w.eq_ignore_ascii_case("UNIQUE"));
            parts.push(Part {
                kind: if unique {
                    PartKind::UniqueIndex
                } else {
                    PartKind::Index
                },
                name: index.clone(),
                definition: index_sql.clone(),
            });
            statements.push(index_sql.clone());
        }
        parts.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        tables.push(Table {
            name: name.clone(),
            columns,
            parts,
            options,
            statements,
        });
    }
    let objects_of = |kind: &str, as_kind: ObjectKind| -> Vec<Object> {
        rows.iter()
            .filter(|r| r[0] == kind)
            .map(|[_, name, _, sql]| Object {
                kind: as_kind,
                name: name.clone(),
                sql: sql.clone(),
            })
            .collect()
    };
    let mut objects = order_views(objects_of("view", ObjectKind::View));
    objects.extend(objects_of("trigger", ObjectKind::Trigger));
    Ok(Catalog {
        dialect: Dialect::Sqlite,
        tables,
        objects,
    })
}
