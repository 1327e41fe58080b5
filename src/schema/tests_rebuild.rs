//! SQLite rebuilds: the exact statements for a realistic table, then the statements (and whole
//! migrations) run against a real in-memory SQLite the way the runner runs them.

use super::*;
use crate::db::sqlite::rebuild::{sqlite_rebuild_statements, LiveTable};
use crate::value::Dialect::Sqlite;
use rusqlite::Connection;

const ORDER_ITEMS: &str = r#"CREATE TABLE "order items" (
  "order_id" INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, -- the order
  "line" INTEGER NOT NULL,
  sku VARCHAR(32) NOT NULL COLLATE NOCASE,
  "qty" INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0),
  price DECIMAL(10, 2) NOT NULL DEFAULT 0.00,
  "note, with comma" TEXT DEFAULT 'a, (b)',
  /* composite key */
  PRIMARY KEY ("order_id", "line"),
  CONSTRAINT "order_items_sku_foreign" FOREIGN KEY (sku) REFERENCES products (sku),
  CHECK (price >= 0)
)"#;

const INDEX: &str = r#"CREATE INDEX "order_items_sku_index" ON "order items" (sku, "line" DESC)"#;
const TRIGGER: &str = r#"CREATE TRIGGER order_items_touch AFTER UPDATE OF qty ON "order items" BEGIN UPDATE orders SET updated = 1 WHERE id = NEW.order_id; END"#;

fn live() -> LiveTable {
    LiveTable {
        create_sql: ORDER_ITEMS.into(),
        dependents: vec![
            (
                "index".into(),
                "sqlite_autoindex_order items_1".into(),
                None,
            ),
            (
                "index".into(),
                "order_items_sku_index".into(),
                Some(INDEX.into()),
            ),
            (
                "trigger".into(),
                "order_items_touch".into(),
                Some(TRIGGER.into()),
            ),
        ],
    }
}

/// The change of the first step of a one-op migration.
fn change(y: &str) -> TableChange {
    let m = parse_migration(y).unwrap_or_else(|e| panic!("{e}"));
    match steps(&m, Direction::Up, Sqlite).unwrap().remove(0).kind {
        StepKind::SqliteRebuild { change, .. } => change,
        other => panic!("{other:?}"),
    }
}

fn rebuild(y: &str) -> Result<Vec<String>, String> {
    sqlite_rebuild_statements("order items", &change(y), &live())
}

const COPY_ALL: &str = r#"INSERT INTO "_furrow_new_order items" ("order_id", "line", "sku", "qty", "price", "note, with comma") SELECT "order_id", "line", "sku", "qty", "price", "note, with comma" FROM "order items""#;
const SWAP: [&str; 2] = [
    r#"DROP TABLE "order items""#,
    r#"ALTER TABLE "_furrow_new_order items" RENAME TO "order items""#,
];
const HEAD: &str = r#"CREATE TABLE "_furrow_new_order items" ("order_id" INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, -- the order
  "line" INTEGER NOT NULL, sku VARCHAR(32) NOT NULL COLLATE NOCASE, "qty" INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0), "#;

fn expected(create: String, copy: &str, index: &str) -> Vec<String> {
    vec![
        create,
        copy.into(),
        SWAP[0].into(),
        SWAP[1].into(),
        index.into(),
        TRIGGER.into(),
    ]
}

#[test]
fn rebuild_for_alter_column() {
    let y = "up:\n  - alter_column: {table: order items, column: {name: price, type: \"decimal(12,3)\", nullable: false, default: 0}}\n";
    let create = format!(
        "{HEAD}{}",
        r#""price" DECIMAL(12, 3) NOT NULL DEFAULT 0, "note, with comma" TEXT DEFAULT 'a, (b)', /* composite key */
  PRIMARY KEY ("order_id", "line"), CONSTRAINT "order_items_sku_foreign" FOREIGN KEY (sku) REFERENCES products (sku), CHECK (price >= 0))"#
    );
    assert_eq!(rebuild(y).unwrap(), expected(create, COPY_ALL, INDEX));
}

#[test]
fn rebuild_for_alter_column_keeps_inline_key_and_references() {
    // order_id is in the composite key (NOT NULL) and has an inline REFERENCES clause.
    let y = "up:\n  - alter_column: {table: order items, column: {name: order_id, type: big_integer}}\n";
    let out = rebuild(y).unwrap();
    assert!(
        out[0].starts_with(
            r#"CREATE TABLE "_furrow_new_order items" ("order_id" BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE, -- the order"#
        ),
        "{}",
        out[0]
    );
    let live = LiveTable {
        create_sql:
            r#"CREATE TABLE t (code TEXT PRIMARY KEY, n INT UNIQUE, e TEXT CHECK (e IN ('a')))"#
                .into(),
        dependents: vec![],
    };
    let s = |y: &str| {
        sqlite_rebuild_statements("t", &change(y), &live)
            .unwrap()
            .remove(0)
    };
    assert_eq!(
        s("up:\n  - alter_column: {table: t, column: {name: code, type: string(10)}}\n"),
        r#"CREATE TABLE "_furrow_new_t" ("code" VARCHAR(10) NOT NULL PRIMARY KEY, n INT UNIQUE, e TEXT CHECK (e IN ('a')))"#
    );
    assert_eq!(
        s("up:\n  - alter_column: {table: t, column: {name: N, type: big_integer, nullable: false}}\n"),
        r#"CREATE TABLE "_furrow_new_t" (code TEXT PRIMARY KEY, "N" BIGINT NOT NULL UNIQUE, e TEXT CHECK (e IN ('a')))"#
    );
    // An enum's CHECK is part of the definition that alter_column replaces.
    assert_eq!(
        s("up:\n  - alter_column: {table: t, column: {name: e, type: enum, values: [a, b]}}\n"),
        r#"CREATE TABLE "_furrow_new_t" (code TEXT PRIMARY KEY, n INT UNIQUE, "e" TEXT CHECK ("e" IN ('a', 'b')))"#
    );
}

#[test]
fn rebuild_for_add_foreign_key() {
    let y = "up:\n  - add_foreign_key: {table: order items, columns: [order_id, line], references: {table: order_lines, columns: [order_id, line]}, name: oi_ol, on_delete: cascade}\n";
    let create = format!(
        "{HEAD}{}",
        r#"price DECIMAL(10, 2) NOT NULL DEFAULT 0.00, "note, with comma" TEXT DEFAULT 'a, (b)', /* composite key */
  PRIMARY KEY ("order_id", "line"), CONSTRAINT "order_items_sku_foreign" FOREIGN KEY (sku) REFERENCES products (sku), CHECK (price >= 0), CONSTRAINT "oi_ol" FOREIGN KEY ("order_id", "line") REFERENCES "order_lines" ("order_id", "line") ON DELETE CASCADE)"#
    );
    assert_eq!(rebuild(y).unwrap(), expected(create, COPY_ALL, INDEX));
    let dup = "up:\n  - add_foreign_key: {table: order items, columns: [sku], references: products.sku, name: ORDER_ITEMS_SKU_FOREIGN}\n";
    assert_eq!(
        rebuild(dup).unwrap_err(),
        "table `order items` already has a constraint named `ORDER_ITEMS_SKU_FOREIGN`"
    );
    let missing = "up:\n  - add_foreign_key: {table: order items, columns: [nope], references: products.sku}\n";
    assert_eq!(
        rebuild(missing).unwrap_err(),
        "table `order items` has no column `nope`"
    );
}

#[test]
fn rebuild_for_drop_foreign_key() {
    let by_name =
        "up:\n  - drop_foreign_key: {table: order items, name: order_items_sku_foreign}\n";
    let create = format!(
        "{HEAD}{}",
        r#"price DECIMAL(10, 2) NOT NULL DEFAULT 0.00, "note, with comma" TEXT DEFAULT 'a, (b)', /* composite key */
  PRIMARY KEY ("order_id", "line"), CHECK (price >= 0))"#
    );
    assert_eq!(rebuild(by_name).unwrap(), expected(create, COPY_ALL, INDEX));
    // An unnamed inline REFERENCES, found by its column and referenced table.
    let inline = "up:\n  - drop_foreign_key: {table: order items, columns: [order_id], references: orders.id}\n";
    let out = rebuild(inline).unwrap();
    assert!(
        out[0].starts_with(
            r#"CREATE TABLE "_furrow_new_order items" ("order_id" INTEGER NOT NULL, -- the order"#
        ),
        "{}",
        out[0]
    );
    assert!(out[0].contains(r#"CONSTRAINT "order_items_sku_foreign""#));
    let missing = "up:\n  - drop_foreign_key: {table: order items, columns: [line]}\n";
    assert_eq!(
        rebuild(missing).unwrap_err(),
        "table `order items` has no foreign key named `order items_line_foreign` (nor one on (line))"
    );
}

#[test]
fn rebuild_for_drop_column_with_an_index() {
    let y = "up:\n  - drop_column: {table: order items, column: sku}\n";
    let create = r#"CREATE TABLE "_furrow_new_order items" ("order_id" INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, -- the order
  "line" INTEGER NOT NULL, "qty" INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0), price DECIMAL(10, 2) NOT NULL DEFAULT 0.00, "note, with comma" TEXT DEFAULT 'a, (b)', /* composite key */
  PRIMARY KEY ("order_id", "line"), CHECK (price >= 0))"#;
    let copy = r#"INSERT INTO "_furrow_new_order items" ("order_id", "line", "qty", "price", "note, with comma") SELECT "order_id", "line", "qty", "price", "note, with comma" FROM "order items""#;
    assert_eq!(
        rebuild(y).unwrap(),
        expected(
            create.into(),
            copy,
            r#"CREATE INDEX "order_items_sku_index" ON "order items" ("line" DESC)"#
        )
    );
}

#[test]
fn drop_column_decisions() {
    // Nothing else uses it: SQLite's own DROP COLUMN.
    assert_eq!(
        rebuild("up:\n  - drop_column: {table: order items, column: 'note, with comma'}\n")
            .unwrap(),
        [r#"ALTER TABLE "order items" DROP COLUMN "note, with comma""#]
    );
    // A CHECK that uses only the dropped column goes with it.
    let out = rebuild("up:\n  - drop_column: {table: order items, column: price}\n").unwrap();
    assert!(
        out[0].ends_with(r#"FOREIGN KEY (sku) REFERENCES products (sku))"#),
        "{}",
        out[0]
    );
    assert!(!out[0].contains("price"));
    // A trigger that uses it is refused, as is a key that also uses other columns.
    assert_eq!(
        rebuild("up:\n  - drop_column: {table: order items, column: qty}\n").unwrap_err(),
        "trigger `order_items_touch` uses a dropped column: drop it first (a `sql:` operation) and re-create it after"
    );
    assert_eq!(
        rebuild("up:\n  - drop_column: {table: order items, column: line}\n").unwrap_err(),
        r#"the table constraint `/* composite key */
  PRIMARY KEY ("order_id", "line")` of `order items` also uses other columns than `line`: drop or change it first (a `sql:` operation)"#
    );
    assert_eq!(
        rebuild("up:\n  - drop_column: {table: order items, column: nope}\n").unwrap_err(),
        "table `order items` has no column `nope`"
    );
}

#[test]
fn rebuild_for_add_column() {
    let y = "up:\n  - add_column: {table: order items, column: {name: added, type: datetime, nullable: false, default: {sql: CURRENT_TIMESTAMP}, references: x.y}}\n";
    let out = rebuild(y).unwrap();
    assert_eq!(
        out[0],
        format!(
            "{HEAD}{}",
            r#"price DECIMAL(10, 2) NOT NULL DEFAULT 0.00, "note, with comma" TEXT DEFAULT 'a, (b)', "added" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, /* composite key */
  PRIMARY KEY ("order_id", "line"), CONSTRAINT "order_items_sku_foreign" FOREIGN KEY (sku) REFERENCES products (sku), CHECK (price >= 0), CONSTRAINT "order items_added_foreign" FOREIGN KEY ("added") REFERENCES "x" ("y"))"#
        )
    );
    assert_eq!(out[1], COPY_ALL);
}

// --- against a real SQLite ----------------------------------------------------------------------

fn to_sql(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as R;
    match v {
        Value::Null => R::Null,
        Value::Int(i) => R::Integer(*i),
        Value::Float(f) => R::Real(*f),
        Value::Text(s) => R::Text(s.clone()),
        Value::Bytes(b) => R::Blob(b.clone()),
    }
}

fn read_live(conn: &Connection, table: &str) -> LiveTable {
    let create_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let mut st = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ?1 COLLATE NOCASE AND type IN ('index', 'trigger') ORDER BY type, rowid")
        .unwrap();
    let dependents = st
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    LiveTable {
        create_sql,
        dependents,
    }
}

/// What the runner does around a rebuild; returns the foreign_key_check rows.
fn run_rebuild(conn: &Connection, table: &str, change: &TableChange) -> Result<usize, String> {
    let stmts = sqlite_rebuild_statements(table, change, &read_live(conn, table))?;
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN; PRAGMA legacy_alter_table = ON;")
        .unwrap();
    for s in &stmts {
        if let Err(e) = conn.execute(s, []) {
            conn.execute_batch(
                "ROLLBACK; PRAGMA legacy_alter_table = OFF; PRAGMA foreign_keys = ON;",
            )
            .unwrap();
            return Err(format!("{s}: {e}"));
        }
    }
    let problems: usize = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |_| Ok(()))
        .unwrap()
        .count();
    conn.execute_batch("PRAGMA legacy_alter_table = OFF; COMMIT; PRAGMA foreign_keys = ON;")
        .unwrap();
    Ok(problems)
}

/// Runs a migration's steps the way the runner does.
fn run(conn: &Connection, y: &str, dir: Direction) -> Result<(), String> {
    let m = parse_migration(y).map_err(|e| e.to_string())?;
    for step in steps(&m, dir, Sqlite).map_err(|e| e.to_string())? {
        match &step.kind {
            StepKind::Sql { sql, params } => {
                conn.execute(sql, rusqlite::params_from_iter(params.iter().map(to_sql)))
                    .map_err(|e| format!("{sql}: {e}"))?;
            }
            StepKind::SqliteRebuild { table, change } => {
                let problems = run_rebuild(conn, table, change)?;
                if problems > 0 {
                    return Err(format!("foreign_key_check found {problems} problem(s)"));
                }
            }
            StepKind::DeleteByPrimaryKey { table, rows } => {
                let mut st = conn
                    .prepare(&format!("PRAGMA table_info({})", Sqlite.quote_ident(table)))
                    .unwrap();
                let mut key: Vec<(i64, String)> = st
                    .query_map([], |r| Ok((r.get::<_, i64>(5)?, r.get::<_, String>(1)?)))
                    .unwrap()
                    .map(Result::unwrap)
                    .filter(|(pk, _)| *pk > 0)
                    .collect();
                key.sort();
                let key: Vec<String> = key.into_iter().map(|(_, n)| n).collect();
                for (sql, params) in delete_by_key(table, &key, rows, Sqlite)? {
                    conn.execute(&sql, rusqlite::params_from_iter(params.iter().map(to_sql)))
                        .unwrap();
                }
            }
            StepKind::DropIndexIfExists { .. } | StepKind::DropForeignKeysOn { .. } => {
                return Err("a MySQL-only step in a SQLite migration".into())
            }
        }
    }
    Ok(())
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn schema_objects(conn: &Connection) -> Vec<(String, String)> {
    let mut st = conn
        .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn shop() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        r#"PRAGMA foreign_keys = ON;
        CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, updated INT DEFAULT 0);
        CREATE TABLE products (sku VARCHAR(32) PRIMARY KEY);
        CREATE TABLE order_lines (order_id INT, line INT, PRIMARY KEY (order_id, line));
        {ORDER_ITEMS};
        {INDEX};
        {TRIGGER};
        CREATE VIEW big_items AS SELECT * FROM "order items" WHERE qty > 5;
        INSERT INTO orders (id) VALUES (1), (2);
        INSERT INTO products VALUES ('A'), ('B');
        INSERT INTO order_lines VALUES (1, 1), (1, 2), (2, 1);
        INSERT INTO "order items" VALUES (1, 1, 'A', 2, 9.5, 'x'), (1, 2, 'B', 7, 1, NULL), (2, 1, 'A', 10, 0, 'y');"#
    ))
    .unwrap();
    conn
}

fn dependents_present(conn: &Connection) -> bool {
    count(conn, "SELECT count(*) FROM sqlite_master WHERE name IN ('order_items_sku_index', 'order_items_touch')") == 2
}

#[test]
fn sqlite_alter_column_keeps_rows_constraints_index_trigger_and_view() {
    let conn = shop();
    let y = "up:\n  - alter_column: {table: order items, column: {name: price, type: \"decimal(12,3)\", nullable: false, default: 0}}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(y)), Ok(0));
    assert_eq!(count(&conn, r#"SELECT count(*) FROM "order items""#), 3);
    assert_eq!(count(&conn, r#"SELECT sum(qty) FROM "order items""#), 19);
    assert!(dependents_present(&conn));
    assert!(read_live(&conn, "order items")
        .create_sql
        .contains(r#""price" DECIMAL(12, 3) NOT NULL DEFAULT 0"#));
    assert_eq!(count(&conn, "SELECT count(*) FROM big_items"), 2);
    // The CHECK constraints and the collation survived.
    assert!(conn
        .execute(
            r#"INSERT INTO "order items" VALUES (2, 2, 'A', 0, 1, NULL)"#,
            []
        )
        .is_err());
    assert!(conn
        .execute(
            r#"INSERT INTO "order items" VALUES (2, 2, 'A', 1, -1, NULL)"#,
            []
        )
        .is_err());
    assert_eq!(
        count(
            &conn,
            r#"SELECT count(*) FROM "order items" WHERE sku = 'b'"#
        ),
        1
    );
    // The trigger still fires, and the foreign keys still hold.
    conn.execute(r#"UPDATE "order items" SET qty = 3 WHERE order_id = 2"#, [])
        .unwrap();
    assert_eq!(count(&conn, "SELECT updated FROM orders WHERE id = 2"), 1);
    assert!(conn
        .execute(
            r#"INSERT INTO "order items" VALUES (9, 1, 'A', 1, 1, NULL)"#,
            []
        )
        .is_err());
    conn.execute("DELETE FROM orders WHERE id = 1", []).unwrap();
    assert_eq!(
        count(&conn, r#"SELECT count(*) FROM "order items""#),
        1,
        "ON DELETE CASCADE survived"
    );
}

#[test]
fn sqlite_add_and_drop_foreign_key() {
    let conn = shop();
    let add = "up:\n  - add_foreign_key: {table: order items, columns: [order_id, line], references: {table: order_lines, columns: [order_id, line]}, name: oi_ol}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(add)), Ok(0));
    assert!(dependents_present(&conn));
    conn.execute("INSERT INTO orders (id) VALUES (3)", [])
        .unwrap();
    assert!(conn
        .execute(
            r#"INSERT INTO "order items" VALUES (3, 1, 'A', 1, 1, NULL)"#,
            []
        )
        .is_err());
    // Existing rows that break the new key are found by foreign_key_check (the runner fails).
    conn.execute_batch(r#"PRAGMA foreign_keys = OFF; DELETE FROM order_lines WHERE order_id = 2; PRAGMA foreign_keys = ON;"#)
        .unwrap();
    let again = add.replace("oi_ol", "oi_ol2");
    assert_eq!(run_rebuild(&conn, "order items", &change(&again)), Ok(2));

    let conn = shop();
    let drop = "up:\n  - drop_foreign_key: {table: order items, name: order_items_sku_foreign}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(drop)), Ok(0));
    conn.execute(
        r#"INSERT INTO "order items" VALUES (2, 2, 'no such sku', 1, 1, NULL)"#,
        [],
    )
    .unwrap();
    let inline = "up:\n  - drop_foreign_key: {table: order items, columns: [order_id], references: orders.id}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(inline)), Ok(0));
    conn.execute(
        r#"INSERT INTO "order items" VALUES (99, 1, 'A', 1, 1, NULL)"#,
        [],
    )
    .unwrap();
    assert!(dependents_present(&conn));
}

#[test]
fn sqlite_drop_column_with_index_and_native_drop() {
    let conn = shop();
    let y = "up:\n  - drop_column: {table: order items, column: sku}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(y)), Ok(0));
    assert!(dependents_present(&conn));
    let idx: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'order_items_sku_index'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        idx,
        r#"CREATE INDEX "order_items_sku_index" ON "order items" ("line" DESC)"#
    );
    assert_eq!(
        count(
            &conn,
            r#"SELECT count(*) FROM pragma_table_info('order items') WHERE name = 'sku'"#
        ),
        0
    );
    assert_eq!(count(&conn, r#"SELECT sum(qty) FROM "order items""#), 19);

    let y = "up:\n  - drop_column: {table: order items, column: 'note, with comma'}\n";
    assert_eq!(run_rebuild(&conn, "order items", &change(y)), Ok(0));
    assert_eq!(
        count(
            &conn,
            r#"SELECT count(*) FROM pragma_table_info('order items')"#
        ),
        4
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM big_items"), 2);
}

#[test]
fn sqlite_rebuild_keeps_the_autoincrement_high_water_mark() {
    let conn = Connection::open_in_memory().unwrap();
    let y = "up:\n  - create_table: {name: t, columns: [{name: id, type: increments}, {name: n, type: integer}]}\n  - insert: {table: t, rows: [{n: 1}, {n: 2}, {n: 3}]}\n";
    run(&conn, y, Direction::Up).unwrap();
    conn.execute("DELETE FROM t WHERE id = 3", []).unwrap();
    run(&conn, "up:\n  - alter_column: {table: t, column: {name: n, type: big_integer, nullable: false, default: 0}}\n", Direction::Up)
        .unwrap();
    conn.execute("INSERT INTO t (n) VALUES (4)", []).unwrap();
    assert_eq!(
        count(&conn, "SELECT max(id) FROM t"),
        4,
        "id 3 must not be reused"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_sequence"), 1);
}

#[test]
fn sqlite_runs_every_op_and_its_derived_down() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON; CREATE TABLE keep (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO keep VALUES (1, 'a');")
        .unwrap();
    let before = schema_objects(&conn);
    let y = r#"up:
  - create_table:
      name: users
      columns:
        - { name: id, type: increments }
        - { name: email, type: string, nullable: false, unique: true }
        - { name: role, type: enum, values: [admin, user], default: user }
        - { name: settings, type: json }
      timestamps: true
  - create_table:
      name: posts
      columns:
        - { name: id, type: big_increments }
        - { name: user_id, type: integer, unsigned: true, references: users.id, on_delete: cascade }
        - { name: title, type: string(200), nullable: false }
        - { name: price, type: "decimal(10,2)", default: 0 }
      indexes: [{ columns: [user_id, title] }]
  - insert:
      table: users
      rows:
        - { email: a@x, role: admin, settings: { theme: dark } }
        - { email: b@x }
  - insert: { table: keep, rows: [{ id: 2, v: b }, { id: 3 }] }
  - add_column: { table: keep, column: { name: slug, type: string, unique: true } }
  - add_column: { table: keep, column: { name: owner, type: integer, references: users.id } }
  - add_column: { table: keep, column: { name: at, type: datetime, nullable: false, default: { sql: CURRENT_TIMESTAMP } } }
  - rename_column: { table: keep, from: v, to: value }
  - create_index: { table: keep, columns: [value] }
  - add_foreign_key: { table: keep, columns: [owner], references: { table: users, columns: [id] }, name: keep_owner_fk2 }
  - drop_foreign_key: { table: keep, name: keep_owner_fk2, columns: [owner], references: users.id }
  - rename_table: { from: keep, to: kept }
"#;
    run(&conn, y, Direction::Up).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM users"), 2);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM users WHERE role = 'user' AND created_at IS NOT NULL"
        ),
        1
    );
    assert!(
        conn.execute("INSERT INTO users (email, role) VALUES ('c@x', 'boss')", [])
            .is_err(),
        "enum CHECK"
    );
    assert!(
        conn.execute("INSERT INTO users (email) VALUES ('a@x')", [])
            .is_err(),
        "unique email"
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM kept WHERE at IS NOT NULL"),
        3
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_master WHERE name IN ('keep_slug_unique', 'keep_value_index')"), 2);
    assert!(
        conn.execute("UPDATE kept SET owner = 42", []).is_err(),
        "keep_owner_foreign"
    );
    conn.execute("UPDATE kept SET owner = 1 WHERE id = 1", [])
        .unwrap();

    run(&conn, y, Direction::Down).unwrap();
    assert_eq!(schema_objects(&conn), before);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM keep"),
        1,
        "the inserted rows are deleted by primary key"
    );
    let v: String = conn
        .query_row("SELECT v FROM keep", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, "a");
}

#[test]
fn sqlite_creates_every_type() {
    let conn = Connection::open_in_memory().unwrap();
    run(&conn, super::tests::ALL_TYPES, Direction::Up).unwrap();
    assert_eq!(
        count(&conn, "SELECT count(*) FROM pragma_table_info('all_types')"),
        24
    );
    assert!(conn
        .execute("INSERT INTO all_types (e) VALUES ('z')", [])
        .is_err());
    conn.execute("INSERT INTO all_types (e) VALUES ('b''c')", [])
        .unwrap();
}

#[test]
fn sqlite_add_not_null_column_without_default() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE empty (id INTEGER PRIMARY KEY); CREATE TABLE full (id INTEGER PRIMARY KEY); INSERT INTO full VALUES (1);")
        .unwrap();
    let add = |t: &str| {
        format!("up:\n  - add_column: {{table: {t}, column: {{name: c, type: integer, nullable: false}}}}\n")
    };
    run(&conn, &add("empty"), Direction::Up).unwrap();
    let e = run(&conn, &add("full"), Direction::Up).unwrap_err();
    assert!(e.contains("NOT NULL constraint failed"), "{e}");
    assert_eq!(
        count(&conn, "SELECT count(*) FROM pragma_table_info('full')"),
        1,
        "rolled back"
    );
}

#[test]
fn sqlite_rebuild_reads_any_create_table_spelling() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        r#"CREATE TABLE IF NOT EXISTS main.[kv] (k TEXT NOT NULL, `v` INT, PRIMARY KEY (k)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS s (id INTEGER PRIMARY KEY, n INT) STRICT;
        INSERT INTO kv VALUES ('a', 1); INSERT INTO s VALUES (1, 2);"#,
    )
    .unwrap();
    let y = "up:\n  - alter_column: {table: kv, column: {name: v, type: big_integer, default: 7}}\n  - alter_column: {table: s, column: {name: n, type: integer, nullable: false}}\n";
    run(&conn, y, Direction::Up).unwrap();
    assert_eq!(
        read_live(&conn, "kv").create_sql,
        r#"CREATE TABLE "kv" (k TEXT NOT NULL, "v" BIGINT DEFAULT 7, PRIMARY KEY (k)) WITHOUT ROWID"#
    );
    assert_eq!(
        read_live(&conn, "s").create_sql,
        r#"CREATE TABLE "s" (id INTEGER PRIMARY KEY, "n" INTEGER NOT NULL) STRICT"#
    );
    assert!(
        conn.execute("INSERT INTO s VALUES (2, 'not a number')", [])
            .is_err(),
        "STRICT kept"
    );
    assert_eq!(count(&conn, "SELECT v + n FROM kv, s"), 3);
}
