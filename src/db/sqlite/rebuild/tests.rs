//! The rebuild on plain-data changes. The statements for changes written in the schema
//! language, and whole migrations run against a real SQLite, are in `schema/tests_rebuild.rs`.

use super::*;

#[test]
fn unreadable_definitions_are_reported() {
    let live = LiveTable {
        create_sql: "CREATE TABLE t AS SELECT 1".into(),
        dependents: vec![],
    };
    let e = sqlite_rebuild_statements("t", &TableChange::DropColumns(vec!["a".into()]), &live)
        .unwrap_err();
    assert!(
        e.starts_with("cannot read the table definition (expected `(` after the table name"),
        "{e}"
    );
}
