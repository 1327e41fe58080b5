//! The YAML schema language, end to end on both engines: what each operation does to the
//! schema and the rows (read back directly from the catalog: PRAGMA table_info / index_list /
//! foreign_key_list on SQLite, information_schema on MySQL), how it rolls back, SQLite table
//! rebuilds, validation errors, `migrate:sql` / `--dry-run` rendering, `migrate:make` and
//! Knex's camelCase spellings.

use std::fmt::Write as _;

use mysql::prelude::Queryable;

use crate::both;
use crate::support::*;

/// Like `both!`, with attributes for each engine's test: `[sqlite attrs] [mysql attrs]`, for
/// the tests of furrow bugs (`ignore = "furrow bug: …"` on the engine that has it).
macro_rules! both_attrs {
    ([$($sa:meta),*] [$($ma:meta),*] fn $name:ident($p:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            $(#[$sa])*
            fn sqlite() {
                let $p = Project::new(Backend::Sqlite);
                $body
            }
            #[test]
            $(#[$ma])*
            fn mysql() {
                if !mysql_available(concat!(module_path!(), "::mysql")) {
                    return;
                }
                let $p = Project::new(Backend::Mysql);
                $body
            }
        }
    };
}

// -------------------------------------------------------------------------------------------
// Helpers: files, statements that may fail, and the schema as a user reads it.

/// The text of a YAML file written indented in the test: drops a leading newline and the
/// common indentation, so line numbers count from the first line of the YAML.
fn yaml(s: &str) -> String {
    let s = s.strip_prefix('\n').unwrap_or(s);
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    s.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Writes `migrations/<name>.yaml`.
fn mig(p: &Project, name: &str, text: &str) {
    p.migration(&format!("{name}.yaml"), &yaml(text));
}

/// Runs a statement directly, returning the engine's error instead of panicking.
fn try_exec(db: &mut Db, sql: &str) -> Result<(), String> {
    match db {
        Db::Sqlite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
        Db::Mysql(c) => c.query_drop(sql).map_err(|e| e.to_string()),
    }
}

/// A direct connection that enforces foreign keys (SQLite connections do not by default).
fn db_fk(p: &Project) -> Db {
    let mut db = p.db();
    if p.backend == Backend::Sqlite {
        db.exec("PRAGMA foreign_keys = ON");
    }
    db
}

fn is_mysql(db: &Db) -> bool {
    matches!(db, Db::Mysql(_))
}

/// Tables (and views) the migrations made: everything but furrow's tracking tables.
fn user_tables(db: &mut Db) -> Vec<String> {
    db.tables()
        .into_iter()
        .filter(|t| !t.starts_with("furrow_"))
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
struct ColInfo {
    name: String,
    /// SQLite: the declared type as written; MySQL: column_type (display widths of integer
    /// types other than tinyint(1) removed, MariaDB's `longtext` JSON alias shown as `json`),
    /// plus ` auto_increment` from `extra`.
    ty: String,
    /// NOT NULL, or part of the primary key (SQLite reports an INTEGER PRIMARY KEY as nullable).
    not_null: bool,
    /// Normalised: quotes stripped, lower-cased, `current_timestamp()` → `current_timestamp`,
    /// numbers in their shortest form (`0.00` → `0`); None when there is none.
    default: Option<String>,
    /// MySQL's column comment ("" on SQLite).
    comment: String,
}

fn norm_default(raw: &str) -> Option<String> {
    if raw == "NULL" {
        return None;
    }
    let mut s = raw.trim().to_string();
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        s = s[1..s.len() - 1].replace("''", "'");
    }
    if let Ok(f) = s.parse::<f64>() {
        return Some(f.to_string());
    }
    let lower = s.to_ascii_lowercase();
    Some(lower.strip_suffix("()").unwrap_or(&lower).to_string())
}

fn mysql_type(column_type: &str, extra: &str) -> String {
    let mut t = column_type.to_ascii_lowercase();
    let int = ["int", "bigint", "smallint", "tinyint", "mediumint"]
        .iter()
        .any(|p| t.starts_with(&format!("{p}(")));
    if int && !t.starts_with("tinyint(1)") {
        if let (Some(a), Some(b)) = (t.find('('), t.find(')')) {
            t.replace_range(a..=b, "");
        }
    }
    if t == "longtext" {
        t = "json".into(); // MariaDB: JSON is an alias of LONGTEXT (with a json_valid CHECK)
    }
    if extra.to_ascii_lowercase().contains("auto_increment") {
        t.push_str(" auto_increment");
    }
    t
}

fn columns(db: &mut Db, t: &str) -> Vec<ColInfo> {
    if is_mysql(db) {
        db.rows(&format!(
            "SELECT column_name, column_type, is_nullable, column_default, extra, column_comment \
             FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{t}' \
             ORDER BY ordinal_position"
        ))
        .into_iter()
        .map(|r| ColInfo {
            name: r[0].clone(),
            ty: mysql_type(&r[1], &r[4]),
            not_null: r[2] == "NO",
            default: norm_default(&r[3]),
            comment: r[5].clone(),
        })
        .collect()
    } else {
        db.rows(&format!(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}') ORDER BY cid"
        ))
        .into_iter()
        .map(|r| ColInfo {
            name: r[0].clone(),
            ty: r[1].clone(),
            not_null: r[2] == "1" || r[4] != "0",
            default: norm_default(&r[3]),
            comment: String::new(),
        })
        .collect()
    }
}

fn col(db: &mut Db, t: &str, c: &str) -> ColInfo {
    columns(db, t)
        .into_iter()
        .find(|x| x.name == c)
        .unwrap_or_else(|| panic!("table {t} has no column {c}"))
}

fn col_names(db: &mut Db, t: &str) -> Vec<String> {
    columns(db, t).into_iter().map(|c| c.name).collect()
}

fn primary_key(db: &mut Db, t: &str) -> Vec<String> {
    if is_mysql(db) {
        db.col(&format!(
            "SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE() \
             AND table_name = '{t}' AND index_name = 'PRIMARY' ORDER BY seq_in_index"
        ))
    } else {
        db.col(&format!(
            "SELECT name FROM pragma_table_info('{t}') WHERE pk > 0 ORDER BY pk"
        ))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Idx {
    name: String,
    unique: bool,
    columns: Vec<String>,
}

/// Secondary indexes (not the primary key), by name.
fn indexes(db: &mut Db, t: &str) -> Vec<Idx> {
    let mut out: Vec<Idx> = Vec::new();
    if is_mysql(db) {
        for r in db.rows(&format!(
            "SELECT index_name, non_unique, column_name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{t}' AND index_name <> 'PRIMARY' \
             ORDER BY index_name, seq_in_index"
        )) {
            match out.iter_mut().find(|i| i.name == r[0]) {
                Some(i) => i.columns.push(r[2].clone()),
                None => out.push(Idx {
                    name: r[0].clone(),
                    unique: r[1] == "0",
                    columns: vec![r[2].clone()],
                }),
            }
        }
    } else {
        for r in db.rows(&format!(
            "SELECT name, \"unique\" FROM pragma_index_list('{t}') WHERE origin <> 'pk'"
        )) {
            let columns = db.col(&format!(
                "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                r[0]
            ));
            out.push(Idx {
                name: r[0].clone(),
                unique: r[1] == "1",
                columns,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn index(db: &mut Db, t: &str, name: &str) -> Option<Idx> {
    indexes(db, t).into_iter().find(|i| i.name == name)
}

fn idx(name: &str, unique: bool, cols: &[&str]) -> Idx {
    Idx {
        name: name.into(),
        unique,
        columns: cols.iter().map(|c| c.to_string()).collect(),
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Fk {
    columns: Vec<String>,
    ref_table: String,
    ref_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

fn fk(cols: &[&str], t: &str, rcols: &[&str], on_delete: &str) -> Fk {
    Fk {
        columns: cols.iter().map(|c| c.to_string()).collect(),
        ref_table: t.into(),
        ref_columns: rcols.iter().map(|c| c.to_string()).collect(),
        on_delete: on_delete.into(),
        on_update: "NO ACTION".into(),
    }
}

/// RESTRICT and NO ACTION: MySQL reports RESTRICT for a key without an action, SQLite
/// NO ACTION; both refuse the change, so they are shown as NO ACTION.
fn norm_action(a: &str) -> String {
    match a.to_ascii_uppercase().as_str() {
        "RESTRICT" | "NO ACTION" => "NO ACTION".into(),
        other => other.into(),
    }
}

fn foreign_keys(db: &mut Db, t: &str) -> Vec<Fk> {
    let mut out: Vec<(String, Fk)> = Vec::new();
    let rows = if is_mysql(db) {
        db.rows(&format!(
            "SELECT k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, \
             r.update_rule, r.delete_rule \
             FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r \
             ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
             AND r.table_name = k.table_name \
             WHERE k.table_schema = DATABASE() AND k.table_name = '{t}' AND k.referenced_table_name IS NOT NULL \
             ORDER BY k.constraint_name, k.ordinal_position"
        ))
    } else {
        db.rows(&format!(
            "SELECT id, \"from\", \"table\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{t}') ORDER BY id, seq"
        ))
    };
    for r in rows {
        match out.iter_mut().find(|(k, _)| *k == r[0]) {
            Some((_, f)) => {
                f.columns.push(r[1].clone());
                f.ref_columns.push(r[3].clone());
            }
            None => out.push((
                r[0].clone(),
                Fk {
                    columns: vec![r[1].clone()],
                    ref_table: r[2].clone(),
                    ref_columns: vec![r[3].clone()],
                    on_update: norm_action(&r[4]),
                    on_delete: norm_action(&r[5]),
                },
            )),
        }
    }
    let mut fks: Vec<Fk> = out.into_iter().map(|(_, f)| f).collect();
    fks.sort_by(|a, b| a.columns.cmp(&b.columns));
    fks
}

/// The names of the table's foreign key constraints (SQLite: read from its CREATE TABLE text).
fn fk_names(db: &mut Db, t: &str) -> Vec<String> {
    let mut names = if is_mysql(db) {
        db.col(&format!(
            "SELECT constraint_name FROM information_schema.referential_constraints \
             WHERE constraint_schema = DATABASE() AND table_name = '{t}'"
        ))
    } else {
        let sql = create_sql(db, t);
        let mut names = Vec::new();
        let mut rest = sql.as_str();
        while let Some(i) = rest.find("CONSTRAINT \"") {
            let after = &rest[i + 12..];
            let end = after.find('"').unwrap();
            if after[end + 1..].trim_start().starts_with("FOREIGN KEY") {
                names.push(after[..end].to_string());
            }
            rest = &after[end..];
        }
        names
    };
    names.sort();
    names
}

fn create_sql(db: &mut Db, t: &str) -> String {
    db.col(&format!(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{t}'"
    ))
    .pop()
    .unwrap_or_else(|| panic!("no table {t}"))
}

fn triggers(db: &mut Db, t: &str) -> Vec<String> {
    if is_mysql(db) {
        db.col(&format!(
            "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() \
             AND event_object_table = '{t}' ORDER BY trigger_name"
        ))
    } else {
        db.col(&format!(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{t}' ORDER BY name"
        ))
    }
}

/// Everything a user could check about the schema, per table (columns sorted by name: a
/// rollback re-adds columns at the end).
fn schema(p: &Project) -> String {
    let mut db = p.db();
    let mut out = String::new();
    for t in user_tables(&mut db) {
        writeln!(out, "table {t}").unwrap();
        let mut cols = columns(&mut db, &t);
        cols.sort_by(|a, b| a.name.cmp(&b.name));
        for c in cols {
            writeln!(
                out,
                "  col {} {} {} default={:?} comment={:?}",
                c.name,
                c.ty,
                if c.not_null { "NOT NULL" } else { "NULL" },
                c.default,
                c.comment
            )
            .unwrap();
        }
        writeln!(out, "  pk {:?}", primary_key(&mut db, &t)).unwrap();
        for i in indexes(&mut db, &t) {
            writeln!(out, "  index {i:?}").unwrap();
        }
        for f in foreign_keys(&mut db, &t) {
            writeln!(out, "  fk {f:?}").unwrap();
        }
        writeln!(out, "  fk names {:?}", fk_names(&mut db, &t)).unwrap();
        for g in triggers(&mut db, &t) {
            writeln!(out, "  trigger {g}").unwrap();
        }
    }
    out
}

/// The engine-neutral family of a column type.
fn family(ty: &str) -> &'static str {
    let t = ty.to_ascii_lowercase();
    if t == "boolean" || t.starts_with("tinyint(1)") {
        "boolean"
    } else if t.starts_with("decimal") {
        "decimal"
    } else if t.contains("int") {
        "integer"
    } else if t.starts_with("float") || t.starts_with("double") || t.starts_with("real") {
        "real"
    } else if t.starts_with("date") || t.starts_with("time") {
        "date-time"
    } else if t.starts_with("blob") || t.contains("binary") {
        "blob"
    } else if t.contains("char")
        || t.starts_with("text")
        || t.starts_with("json")
        || t.starts_with("enum")
    {
        "text"
    } else {
        panic!("no family for column type {ty:?}")
    }
}

/// The schema in engine-neutral terms: column names in order, type family, nullability,
/// whether there is a default, the primary key, indexes (name, uniqueness, columns) and
/// foreign keys (columns → table.columns, ON DELETE). On MySQL, the index InnoDB creates by
/// itself for a foreign key that no other index covers (named after the constraint) is left
/// out: SQLite has no such index, and it comes and goes with the key.
fn describe(p: &Project) -> Vec<String> {
    let mut db = p.db();
    let mut out = Vec::new();
    for t in user_tables(&mut db) {
        out.push(format!("table {t}"));
        for c in columns(&mut db, &t) {
            out.push(format!(
                "  {} {} {}{}",
                c.name,
                family(&c.ty),
                if c.not_null { "not null" } else { "null" },
                if c.default.is_some() { " default" } else { "" }
            ));
        }
        out.push(format!("  pk ({})", primary_key(&mut db, &t).join(", ")));
        let fk_index_names = if is_mysql(&db) {
            fk_names(&mut db, &t)
        } else {
            Vec::new()
        };
        for i in indexes(&mut db, &t) {
            if fk_index_names.contains(&i.name) {
                continue;
            }
            out.push(format!(
                "  {} {} ({})",
                if i.unique { "unique" } else { "index" },
                i.name,
                i.columns.join(", ")
            ));
        }
        for f in foreign_keys(&mut db, &t) {
            out.push(format!(
                "  fk ({}) -> {}({}) on delete {}",
                f.columns.join(", "),
                f.ref_table,
                f.ref_columns.join(", "),
                f.on_delete
            ));
        }
    }
    out
}

fn applied(p: &Project) -> Vec<String> {
    let mut db = p.db();
    if !db.has_table("furrow_migrations") {
        return Vec::new();
    }
    db.col("SELECT name FROM furrow_migrations ORDER BY name")
}

// -------------------------------------------------------------------------------------------
// 1. Each op family: apply, read back, roll back, read again.

both! {
    fn create_table_with_every_column_type(p) {
        mig(&p, "20240101000000_create", r#"
            up:
              - create_table:
                  name: users
                  comment: People who sign in
                  columns:
                    - { name: id, type: increments }
                    - { name: login, type: string(50), nullable: false, unique: true }
                    - { name: email, type: string, comment: where we write }
                    - { name: age, type: integer, default: 18 }
                    - { name: views, type: big_integer, unsigned: true, nullable: false, default: 0 }
                    - { name: rating, type: small_integer }
                    - { name: flags, type: tiny_integer }
                    - { name: weight, type: float }
                    - { name: lat, type: double }
                    - { name: price, type: "decimal(10,2)", nullable: false, default: 0 }
                    - { name: active, type: boolean, default: true }
                    - { name: bio, type: text }
                    - { name: born_on, type: date }
                    - { name: opens_at, type: time }
                    - { name: starts_at, type: datetime }
                    - { name: seen_at, type: timestamp, default: { sql: CURRENT_TIMESTAMP } }
                    - { name: settings, type: json }
                    - { name: public_id, type: uuid, index: true }
                    - { name: avatar, type: binary }
                    - { name: status, type: enum, values: [draft, published], default: draft }
                    - { name: nick, type: string, length: 30 }
                    - { name: hash, type: binary(16) }
                    - { name: fee, type: decimal }
                    - { name: tax, type: decimal, precision: 5, scale: 3 }
                  timestamps: true
              - create_table:
                  name: groups
                  columns:
                    - { name: id, type: big_increments }
                    - { name: code, type: string(20), nullable: false }
              - create_table:
                  name: memberships
                  columns:
                    - { name: user_id, type: integer, unsigned: true, nullable: false, references: users.id, on_delete: cascade }
                    - { name: group_id, type: big_integer, unsigned: true, nullable: false }
                    - { name: role, type: string(20), nullable: false, default: member }
                    - { name: note, type: string(100) }
                  primary_key: [user_id, group_id]
                  indexes:
                    - { columns: [role, note] }
                    - { columns: [group_id, role], unique: true, name: memberships_by_group }
                  foreign_keys:
                    - { columns: [group_id], references: { table: groups, columns: [id] }, on_delete: restrict }
        "#);
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), vec!["groups", "memberships", "users"]);

        // Types, per the SPEC's type table.
        let expected_types: &[(&str, &str, &str)] = &[
            ("id", "INTEGER", "int unsigned auto_increment"),
            ("login", "VARCHAR(50)", "varchar(50)"),
            ("email", "VARCHAR(255)", "varchar(255)"),
            ("age", "INTEGER", "int"),
            ("views", "BIGINT", "bigint unsigned"),
            ("rating", "SMALLINT", "smallint"),
            ("flags", "TINYINT", "tinyint"),
            ("weight", "FLOAT", "float"),
            ("lat", "DOUBLE", "double"),
            ("price", "DECIMAL(10, 2)", "decimal(10,2)"),
            ("active", "BOOLEAN", "tinyint(1)"),
            ("bio", "TEXT", "text"),
            ("born_on", "DATE", "date"),
            ("opens_at", "TIME", "time"),
            ("starts_at", "DATETIME", "datetime"),
            ("seen_at", "TIMESTAMP", "timestamp"),
            ("settings", "JSON", "json"),
            ("public_id", "CHAR(36)", "char(36)"),
            ("avatar", "BLOB", "blob"),
            ("status", "TEXT", "enum('draft','published')"),
            ("nick", "VARCHAR(30)", "varchar(30)"),
            ("hash", "BLOB", "varbinary(16)"),
            ("fee", "DECIMAL(8, 2)", "decimal(8,2)"),
            ("tax", "DECIMAL(5, 3)", "decimal(5,3)"),
            ("created_at", "TIMESTAMP", "timestamp"),
            ("updated_at", "TIMESTAMP", "timestamp"),
        ];
        let cols = columns(&mut db, "users");
        let got: Vec<(String, String)> = cols.iter().map(|c| (c.name.clone(), c.ty.clone())).collect();
        let want: Vec<(String, String)> = expected_types
            .iter()
            .map(|(n, s, m)| (n.to_string(), if p.backend == Backend::Sqlite { s } else { m }.to_string()))
            .collect();
        assert_eq!(got, want);
        if p.backend == Backend::Sqlite {
            let sql = create_sql(&mut db, "users");
            assert!(sql.contains("\"id\" INTEGER PRIMARY KEY AUTOINCREMENT"), "{sql}");
            assert!(sql.contains("CHECK (\"status\" IN ('draft', 'published'))"), "{sql}");
            assert!(create_sql(&mut db, "groups").contains("\"id\" INTEGER PRIMARY KEY AUTOINCREMENT"));
        } else {
            assert_eq!(col(&mut db, "groups", "id").ty, "bigint unsigned auto_increment");
            assert_eq!(col(&mut db, "memberships", "group_id").ty, "bigint unsigned");
            assert_eq!(
                db.col("SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'users'"),
                vec!["People who sign in"]
            );
            assert_eq!(col(&mut db, "users", "email").comment, "where we write");
        }

        // Nullability and defaults.
        let not_null: Vec<String> = cols.iter().filter(|c| c.not_null).map(|c| c.name.clone()).collect();
        assert_eq!(not_null, vec!["id", "login", "views", "price", "created_at", "updated_at"]);
        let defaults: Vec<(String, String)> = cols
            .iter()
            .filter_map(|c| c.default.clone().map(|d| (c.name.clone(), d)))
            .collect();
        let d = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            defaults,
            vec![
                d("age", "18"), d("views", "0"), d("price", "0"), d("active", "1"),
                d("seen_at", "current_timestamp"), d("status", "draft"),
                d("created_at", "current_timestamp"), d("updated_at", "current_timestamp"),
            ]
        );

        // Keys and indexes.
        assert_eq!(primary_key(&mut db, "users"), vec!["id"]);
        assert_eq!(primary_key(&mut db, "groups"), vec!["id"]);
        assert_eq!(primary_key(&mut db, "memberships"), vec!["user_id", "group_id"]);
        assert_eq!(
            indexes(&mut db, "users"),
            vec![idx("users_login_unique", true, &["login"]), idx("users_public_id_index", false, &["public_id"])]
        );
        assert_eq!(indexes(&mut db, "groups"), vec![]);
        assert_eq!(
            indexes(&mut db, "memberships"),
            vec![
                idx("memberships_by_group", true, &["group_id", "role"]),
                idx("memberships_role_note_index", false, &["role", "note"]),
            ]
        );
        assert_eq!(
            foreign_keys(&mut db, "memberships"),
            vec![fk(&["group_id"], "groups", &["id"], "NO ACTION"), fk(&["user_id"], "users", &["id"], "CASCADE")]
        );
        assert_eq!(fk_names(&mut db, "memberships"), vec!["memberships_group_id_foreign", "memberships_user_id_foreign"]);
        drop(db);

        // The schema behaves: defaults fill in, the enum and NOT NULL refuse, keys are enforced.
        let mut db = db_fk(&p);
        db.exec("INSERT INTO users (login, price) VALUES ('ann', 9.5)");
        assert_eq!(
            db.rows("SELECT id, age, views, active, status, created_at IS NOT NULL, seen_at IS NOT NULL FROM users"),
            vec![vec!["1", "18", "0", "1", "draft", "1", "1"]]
        );
        assert!(try_exec(&mut db, "INSERT INTO users (login, price, status) VALUES ('bob', 1, 'bogus')").is_err(), "enum accepts only its values");
        assert!(try_exec(&mut db, "INSERT INTO users (login) VALUES (NULL)").is_err(), "login is NOT NULL");
        assert!(try_exec(&mut db, "INSERT INTO users (login, price) VALUES ('ann', 1)").is_err(), "login is unique");
        db.exec("INSERT INTO groups (code) VALUES ('g')");
        db.exec("INSERT INTO memberships (user_id, group_id) VALUES (1, 1)");
        assert_eq!(db.col("SELECT role FROM memberships"), vec!["member"]);
        assert!(try_exec(&mut db, "INSERT INTO memberships (user_id, group_id) VALUES (1, 1)").is_err(), "composite primary key");
        assert!(try_exec(&mut db, "INSERT INTO memberships (user_id, group_id) VALUES (7, 1)").is_err(), "foreign key to users");
        assert!(try_exec(&mut db, "DELETE FROM groups").is_err(), "ON DELETE RESTRICT");
        db.exec("DELETE FROM users");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM memberships"), 0, "ON DELETE CASCADE");
        drop(db);

        p.run(&["migrate:rollback"]).ok().has("Batch 1 rolled back: 1 migrations");
        assert_eq!(user_tables(&mut p.db()), Vec::<String>::new());
        assert!(applied(&p).is_empty());
    }

    fn add_and_drop_columns(p) {
        mig(&p, "20240101000000_accounts", r#"
            up:
              - create_table:
                  name: accounts
                  columns:
                    - { name: id, type: increments }
                    - { name: name, type: string(50), nullable: false }
              - insert:
                  table: accounts
                  rows:
                    - { id: 1, name: John Smith }
                    - { id: 2, name: Ed Williams }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_add", r#"
            up:
              - add_column: { table: accounts, column: { name: bio, type: text } }
              - add_column:
                  table: accounts
                  columns:
                    - { name: age, type: integer, nullable: false, default: 0 }
                    - { name: email, type: string(100), unique: true }
                    - { name: city, type: string(40), index: true }
                    - { name: parent_id, type: integer, unsigned: true, references: accounts.id, on_delete: set null }
                    - { name: joined_at, type: timestamp, nullable: false, default: { sql: CURRENT_TIMESTAMP } }
        "#);
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(col_names(&mut db, "accounts"), vec!["id", "name", "bio", "age", "email", "city", "parent_id", "joined_at"]);
        let age = col(&mut db, "accounts", "age");
        assert!(age.not_null && age.default.as_deref() == Some("0"), "{age:?}");
        let joined = col(&mut db, "accounts", "joined_at");
        assert!(joined.not_null && joined.default.as_deref() == Some("current_timestamp"), "{joined:?}");
        assert_eq!(
            indexes(&mut db, "accounts").into_iter().filter(|i| i.name != "accounts_parent_id_foreign").collect::<Vec<_>>(),
            vec![idx("accounts_city_index", false, &["city"]), idx("accounts_email_unique", true, &["email"])]
        );
        assert_eq!(foreign_keys(&mut db, "accounts"), vec![fk(&["parent_id"], "accounts", &["id"], "SET NULL")]);
        assert_eq!(fk_names(&mut db, "accounts"), vec!["accounts_parent_id_foreign"]);
        // Existing rows are kept and get the defaults.
        assert_eq!(
            db.rows("SELECT id, name, age, joined_at IS NOT NULL, bio FROM accounts ORDER BY id"),
            vec![vec!["1", "John Smith", "0", "1", "NULL"], vec!["2", "Ed Williams", "0", "1", "NULL"]]
        );
        drop(db);

        p.run(&["migrate:rollback"]).ok().has("Batch 2 rolled back: 1 migrations");
        assert_eq!(schema(&p), before, "the derived down drops the columns, their indexes and key");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM accounts"), 2);

        p.run(&["migrate:latest"]).ok();
        let with_columns = schema(&p);
        mig(&p, "20240103000000_drop", r#"
            up:
              - drop_column: { table: accounts, column: bio }
              - drop_column: { table: accounts, columns: [age, city] }
            down:
              - add_column:
                  table: accounts
                  columns:
                    - { name: bio, type: text }
                    - { name: age, type: integer, nullable: false, default: 0 }
                    - { name: city, type: string(40), index: true }
        "#);
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(col_names(&mut db, "accounts"), vec!["id", "name", "email", "parent_id", "joined_at"]);
        assert!(index(&mut db, "accounts", "accounts_city_index").is_none());
        assert!(index(&mut db, "accounts", "accounts_email_unique").is_some());
        assert_eq!(foreign_keys(&mut db, "accounts").len(), 1);
        assert_eq!(db.col("SELECT name FROM accounts ORDER BY id"), vec!["John Smith", "Ed Williams"]);
        drop(db);
        p.run(&["migrate:rollback"]).ok().has("Batch 3 rolled back: 1 migrations");
        assert_eq!(schema(&p), with_columns, "the explicit down re-adds the columns and the index");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM accounts"), 2);
    }

    fn rename_column_and_table(p) {
        mig(&p, "20240101000000_people", r#"
            up:
              - create_table:
                  name: people
                  columns:
                    - { name: id, type: increments }
                    - { name: full_name, type: string(60), index: true }
              - create_table:
                  name: pets
                  columns:
                    - { name: id, type: increments }
                    - { name: owner_id, type: integer, unsigned: true, references: people.id }
              - insert: { table: people, rows: [ { id: 1, full_name: Ann } ] }
              - insert: { table: pets, rows: [ { id: 1, owner_id: 1 } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_rename", r#"
            up:
              - rename_column: { table: people, from: full_name, to: display_name }
              - rename_table: { from: people, to: persons }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), vec!["persons", "pets"]);
        assert_eq!(col_names(&mut db, "persons"), vec!["id", "display_name"]);
        assert_eq!(indexes(&mut db, "persons"), vec![idx("people_full_name_index", false, &["display_name"])]);
        assert_eq!(db.rows("SELECT id, display_name FROM persons"), vec![vec!["1", "Ann"]]);
        assert_eq!(foreign_keys(&mut db, "pets"), vec![fk(&["owner_id"], "persons", &["id"], "NO ACTION")], "the key follows the renamed table");
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before);
        assert_eq!(p.db().rows("SELECT id, full_name FROM people"), vec![vec!["1", "Ann"]]);
    }

    fn create_and_drop_index(p) {
        mig(&p, "20240101000000_cities", r#"
            up:
              - create_table:
                  name: cities
                  columns:
                    - { name: id, type: increments }
                    - { name: name, type: string(50) }
                    - { name: country, type: string(2) }
                    - { name: zip, type: string(10) }
              - insert: { table: cities, rows: [ { id: 1, name: Paris, country: FR, zip: "75001" } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_indexes", r#"
            up:
              - create_index: { table: cities, columns: [country, name] }
              - create_index: { table: cities, columns: [zip], unique: true }
              - create_index: { table: cities, columns: [name], name: by_name }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(
            indexes(&mut db, "cities"),
            vec![
                idx("by_name", false, &["name"]),
                idx("cities_country_name_index", false, &["country", "name"]),
                idx("cities_zip_unique", true, &["zip"]),
            ]
        );
        assert!(try_exec(&mut db, "INSERT INTO cities (name, zip) VALUES ('Paris 2', '75001')").is_err(), "zip is unique");
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before);

        p.run(&["migrate:latest"]).ok();
        let with_indexes = schema(&p);
        mig(&p, "20240103000000_drop_indexes", r#"
            up:
              - drop_index: { table: cities, name: by_name }
              - drop_index: { table: cities, columns: [zip], unique: true }
            down:
              - create_index: { table: cities, columns: [zip], unique: true }
              - create_index: { table: cities, columns: [name], name: by_name }
        "#);
        p.run(&["migrate:latest"]).ok();
        assert_eq!(indexes(&mut p.db(), "cities"), vec![idx("cities_country_name_index", false, &["country", "name"])]);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), with_indexes);
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM cities"), 1);
    }

    fn add_and_drop_foreign_key(p) {
        mig(&p, "20240101000000_posts", r#"
            up:
              - create_table:
                  name: authors
                  columns:
                    - { name: id, type: increments }
                    - { name: name, type: string(50) }
              - create_table:
                  name: posts
                  columns:
                    - { name: id, type: increments }
                    - { name: author_id, type: integer, unsigned: true, index: true }
                    - { name: title, type: string(50) }
              - insert: { table: authors, rows: [ { id: 1, name: Ann }, { id: 2, name: Bob } ] }
              - insert: { table: posts, rows: [ { id: 1, author_id: 1, title: Hello }, { id: 2, author_id: 2, title: Bye } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_fk", r#"
            up:
              - add_foreign_key:
                  table: posts
                  columns: [author_id]
                  references: { table: authors, columns: [id] }
                  on_delete: cascade
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = db_fk(&p);
        assert_eq!(foreign_keys(&mut db, "posts"), vec![fk(&["author_id"], "authors", &["id"], "CASCADE")]);
        assert_eq!(fk_names(&mut db, "posts"), vec!["posts_author_id_foreign"]);
        assert!(try_exec(&mut db, "INSERT INTO posts (author_id, title) VALUES (99, 'x')").is_err());
        db.exec("DELETE FROM authors WHERE id = 2");
        assert_eq!(db.col("SELECT title FROM posts ORDER BY id"), vec!["Hello"], "ON DELETE CASCADE");
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before, "the derived down drops the key");
        assert_eq!(p.db().col("SELECT title FROM posts"), vec!["Hello"]);

        p.run(&["migrate:latest"]).ok();
        let with_fk = schema(&p);
        // A drop with the full definition is re-created by the derived down.
        mig(&p, "20240103000000_drop_fk", r#"
            up:
              - drop_foreign_key:
                  table: posts
                  columns: [author_id]
                  references: authors.id
                  on_delete: cascade
        "#);
        p.run(&["migrate:latest"]).ok();
        assert_eq!(foreign_keys(&mut p.db(), "posts"), vec![]);
        assert_eq!(fk_names(&mut p.db(), "posts"), Vec::<String>::new());
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), with_fk, "the derived down re-creates the key");
        p.remove("migrations/20240103000000_drop_fk.yaml");

        // By name only: needs (and uses) a down.
        mig(&p, "20240104000000_drop_fk_by_name", r#"
            up:
              - drop_foreign_key: { table: posts, name: posts_author_id_foreign }
            down:
              - add_foreign_key: { table: posts, columns: [author_id], references: authors.id, on_delete: cascade }
        "#);
        p.run(&["migrate:latest"]).ok();
        assert_eq!(foreign_keys(&mut p.db(), "posts"), vec![]);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), with_fk);
        assert_eq!(p.db().col("SELECT title FROM posts"), vec!["Hello"]);
    }

    fn alter_column_with_down(p) {
        mig(&p, "20240101000000_products", r#"
            up:
              - create_table:
                  name: products
                  columns:
                    - { name: id, type: increments }
                    - { name: name, type: string(50) }
                    - { name: qty, type: integer }
              - insert: { table: products, rows: [ { id: 1, name: Pen, qty: 3 }, { id: 2, name: Ink, qty: 40 } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_alter", r#"
            up:
              - alter_column:
                  table: products
                  column: { name: name, type: string(120), nullable: false, default: unnamed }
              - alter_column:
                  table: products
                  column: { name: qty, type: big_integer, nullable: false, default: 0, comment: on hand }
            down:
              - alter_column: { table: products, column: { name: qty, type: integer } }
              - alter_column: { table: products, column: { name: name, type: string(50) } }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        let name = col(&mut db, "products", "name");
        let qty = col(&mut db, "products", "qty");
        let (name_ty, qty_ty) = match p.backend {
            Backend::Sqlite => ("VARCHAR(120)", "BIGINT"),
            Backend::Mysql => ("varchar(120)", "bigint"),
        };
        assert_eq!((name.ty.as_str(), name.not_null, name.default.as_deref()), (name_ty, true, Some("unnamed")));
        assert_eq!((qty.ty.as_str(), qty.not_null, qty.default.as_deref()), (qty_ty, true, Some("0")));
        if p.backend == Backend::Mysql {
            assert_eq!(qty.comment, "on hand");
        }
        assert_eq!(db.rows("SELECT id, name, qty FROM products ORDER BY id"), vec![vec!["1", "Pen", "3"], vec!["2", "Ink", "40"]]);
        db.exec("INSERT INTO products (id) VALUES (3)");
        assert_eq!(db.rows("SELECT name, qty FROM products WHERE id = 3"), vec![vec!["unnamed", "0"]]);
        db.exec("DELETE FROM products WHERE id = 3");
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before, "the explicit down restores the definitions");
        assert_eq!(p.db().rows("SELECT id, name, qty FROM products ORDER BY id"), vec![vec!["1", "Pen", "3"], vec!["2", "Ink", "40"]]);
    }

    fn sql_op_portable_and_per_dialect(p) {
        mig(&p, "20240101000000_notes", r#"
            up:
              - create_table:
                  name: notes
                  columns:
                    - { name: id, type: increments }
                    - { name: body, type: string(50) }
                    - { name: engine, type: string(10) }
              - sql: |
                  INSERT INTO notes (body) VALUES ('semi;colon');
                  -- a comment; with a semicolon
                  INSERT INTO notes (body) VALUES ('two');
                  CREATE VIEW note_bodies AS SELECT body FROM notes;
              - sql:
                  sqlite: "UPDATE notes SET engine = 'sqlite'"
                  mysql: "UPDATE notes SET engine = 'mysql'"
            down:
              - sql: DROP VIEW note_bodies
              - drop_table: notes
        "#);
        p.run(&["migrate:latest"]).ok();
        let engine = match p.backend {
            Backend::Sqlite => "sqlite",
            Backend::Mysql => "mysql",
        };
        let mut db = p.db();
        assert_eq!(
            db.rows("SELECT body, engine FROM notes ORDER BY id"),
            vec![vec!["semi;colon", engine], vec!["two", engine]]
        );
        assert_eq!(db.col("SELECT body FROM note_bodies ORDER BY body"), vec!["semi;colon", "two"]);
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), Vec::<String>::new(), "view and table dropped by the down");
        if p.backend == Backend::Sqlite {
            assert_eq!(db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'view'"), 0);
        }
    }

    fn insert_rows_and_derived_delete(p) {
        mig(&p, "20240101000000_roles", r#"
            up:
              - create_table:
                  name: roles
                  columns:
                    - { name: id, type: increments }
                    - { name: code, type: string(20), nullable: false, unique: true }
                    - { name: name, type: string(50) }
                    - { name: active, type: boolean, default: true }
                    - { name: permissions, type: json }
              - create_table:
                  name: countries
                  columns:
                    - { name: code, type: string(2), primary: true }
                    - { name: name, type: string(50) }
              - create_table:
                  name: pairs
                  columns:
                    - { name: a, type: integer }
                    - { name: b, type: string(5) }
                    - { name: v, type: double }
                  primary_key: [a, b]
              - insert: { table: roles, rows: [ { id: 1, code: admin, name: Administrator } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        db.exec("INSERT INTO roles (id, code, name) VALUES (10, 'custom', 'Made by hand')");
        db.exec("INSERT INTO countries (code, name) VALUES ('ZZ', 'Other')");
        db.exec("INSERT INTO pairs (a, b) VALUES (1, 'y'), (2, 'x')");
        drop(db);
        mig(&p, "20240102000000_seed", r#"
            up:
              - insert:
                  table: roles
                  rows:
                    - { id: 2, code: member, name: Member, permissions: [read, write] }
                    - { id: 3, code: guest, name: null, active: false }
                    - { id: 4, code: "o'neil", name: "Quote ' and \" test" }
              - insert:
                  table: countries
                  key: [code]
                  rows:
                    - { code: FR, name: France }
                    - { code: DE, name: Germany }
              - insert:
                  table: countries
                  rows:
                    - { code: IT, name: Italy }
              - insert:
                  table: pairs
                  rows:
                    - { a: 1, b: x, v: 1.5 }
                    - { a: 2, b: y, v: -2 }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(
            db.rows("SELECT id, code, name, active, permissions FROM roles ORDER BY id"),
            vec![
                vec!["1", "admin", "Administrator", "1", "NULL"],
                vec!["2", "member", "Member", "1", r#"["read","write"]"#],
                vec!["3", "guest", "NULL", "0", "NULL"],
                vec!["4", "o'neil", "Quote ' and \" test", "1", "NULL"],
                vec!["10", "custom", "Made by hand", "1", "NULL"],
            ]
        );
        assert_eq!(db.col("SELECT code FROM countries ORDER BY code"), vec!["DE", "FR", "IT", "ZZ"]);
        assert_eq!(db.rows("SELECT a, b, v FROM pairs WHERE v IS NOT NULL ORDER BY a"), vec![vec!["1", "x", "1.5"], vec!["2", "y", "-2"]]);
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        let mut db = p.db();
        assert_eq!(db.col("SELECT code FROM roles ORDER BY id"), vec!["admin", "custom"], "only the inserted rows go");
        assert_eq!(db.col("SELECT code FROM countries"), vec!["ZZ"]);
        assert_eq!(db.rows("SELECT a, b FROM pairs ORDER BY a"), vec![vec!["1", "y"], vec!["2", "x"]], "by the composite key");
        drop(db);
        // The first migration inserted into a table it created: its down drops the table.
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(user_tables(&mut p.db()), Vec::<String>::new());
    }

    fn delete_with_down(p) {
        mig(&p, "20240101000000_roles", r#"
            up:
              - create_table:
                  name: roles
                  columns:
                    - { name: id, type: increments }
                    - { name: code, type: string(20) }
                    - { name: retired_at, type: date }
              - insert:
                  table: roles
                  rows:
                    - { id: 1, code: admin }
                    - { id: 2, code: guest }
                    - { id: 3, code: guest, retired_at: "2020-01-01" }
        "#);
        p.run(&["migrate:latest"]).ok();
        mig(&p, "20240102000000_delete", r#"
            up:
              - delete: { table: roles, where: { code: guest, retired_at: null } }
            down:
              - insert: { table: roles, rows: [ { id: 2, code: guest } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        assert_eq!(p.db().col("SELECT id FROM roles ORDER BY id"), vec!["1", "3"]);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(p.db().rows("SELECT id, code, retired_at FROM roles ORDER BY id"), vec![
            vec!["1", "admin", "NULL"], vec!["2", "guest", "NULL"], vec!["3", "guest", "2020-01-01"],
        ]);
    }
}

// -------------------------------------------------------------------------------------------
// 2. One file, one schema: both engines held to the same description.

const PORTABLE: &str = r#"
    up:
      - create_table:
          name: countries
          columns:
            - { name: code, type: string(2), primary: true }
            - { name: name, type: string(100), nullable: false }
      - create_table:
          name: users
          columns:
            - { name: id, type: increments }
            - { name: email, type: string, nullable: false, unique: true }
            - { name: country, type: string(2), references: countries.code, on_delete: set null }
            - { name: score, type: double, default: 0 }
            - { name: ratio, type: float }
            - { name: balance, type: "decimal(12,4)" }
            - { name: admin, type: boolean, nullable: false, default: false }
            - { name: visits, type: big_integer, unsigned: true }
            - { name: level, type: tiny_integer }
            - { name: rank, type: small_integer }
            - { name: avatar, type: binary }
            - { name: bio, type: text }
            - { name: born_on, type: date }
            - { name: wakes_at, type: time }
            - { name: seen_at, type: datetime }
            - { name: status, type: enum, values: [a, b], default: a }
            - { name: tags, type: json }
            - { name: uid, type: uuid }
          timestamps: true
          indexes:
            - { columns: [country, born_on] }
      - create_table:
          name: follows
          columns:
            - { name: follower_id, type: integer, unsigned: true }
            - { name: followed_id, type: integer, unsigned: true }
            - { name: since, type: datetime, default: { sql: CURRENT_TIMESTAMP } }
          primary_key: [follower_id, followed_id]
          foreign_keys:
            - { columns: [followed_id], references: { table: users, columns: [id] }, on_delete: cascade }
            - { columns: [follower_id], references: users.id }
"#;

both! {
    fn one_file_gives_the_same_schema_on_both_engines(p) {
        mig(&p, "20240101000000_portable", PORTABLE);
        p.run(&["migrate:latest"]).ok();
        let expected: Vec<&str> = vec![
            "table countries",
            "  code text not null",
            "  name text not null",
            "  pk (code)",
            "table follows",
            "  follower_id integer not null",
            "  followed_id integer not null",
            "  since date-time null default",
            "  pk (follower_id, followed_id)",
            "  fk (followed_id) -> users(id) on delete CASCADE",
            "  fk (follower_id) -> users(id) on delete NO ACTION",
            "table users",
            "  id integer not null",
            "  email text not null",
            "  country text null",
            "  score real null default",
            "  ratio real null",
            "  balance decimal null",
            "  admin boolean not null default",
            "  visits integer null",
            "  level integer null",
            "  rank integer null",
            "  avatar blob null",
            "  bio text null",
            "  born_on date-time null",
            "  wakes_at date-time null",
            "  seen_at date-time null",
            "  status text null default",
            "  tags text null",
            "  uid text null",
            "  created_at date-time not null default",
            "  updated_at date-time not null default",
            "  pk (id)",
            "  index users_country_born_on_index (country, born_on)",
            "  unique users_email_unique (email)",
            "  fk (country) -> countries(code) on delete SET NULL",
        ];
        assert_eq!(describe(&p), expected);
        // The same file rolls back to nothing on both.
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(describe(&p), Vec::<String>::new());
    }
}

// -------------------------------------------------------------------------------------------
// 3. Table rebuilds (SQLite; MySQL runs ALTER TABLE and is held to the same outcome).

/// owners ← items (trigger on insert writes audit rows) ← tags.
const REBUILD_FIXTURE: &str = r#"
    up:
      - create_table:
          name: owners
          columns:
            - { name: id, type: increments }
            - { name: name, type: string(20) }
      - create_table:
          name: items
          columns:
            - { name: id, type: increments }
            - { name: owner_id, type: integer, unsigned: true, index: true }
            - { name: maker_id, type: integer, unsigned: true, index: true, references: owners.id }
            - { name: sku, type: string(20), nullable: false, unique: true }
            - { name: label, type: string(50), index: true }
            - { name: qty, type: integer }
            - { name: note, type: string(30), index: true }
          indexes:
            - { columns: [label, note], name: items_label_note }
      - create_table:
          name: tags
          columns:
            - { name: id, type: increments }
            - { name: item_id, type: integer, unsigned: true, references: items.id, on_delete: cascade }
            - { name: tag, type: string(20) }
      - create_table:
          name: audit
          columns:
            - { name: id, type: increments }
            - { name: what, type: string(40) }
      - insert: { table: owners, rows: [ { id: 1, name: ann }, { id: 2, name: bob } ] }
      - insert:
          table: items
          rows:
            - { id: 1, owner_id: 1, maker_id: 1, sku: A1, label: apple, qty: 5, note: red }
            - { id: 2, owner_id: 2, maker_id: 2, sku: B2, label: banana, qty: 7, note: yellow }
            - { id: 3, owner_id: 1, maker_id: 1, sku: C3, label: cherry, qty: 0, note: null }
            - { id: 4, owner_id: 2, maker_id: 2, sku: D4, label: date, qty: 1, note: brown }
      - insert: { table: tags, rows: [ { id: 1, item_id: 1, tag: fruit }, { id: 2, item_id: 2, tag: fruit } ] }
      - sql:
          sqlite: "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN INSERT INTO audit (what) VALUES ('item ' || new.sku); END"
          mysql: "CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('item ', NEW.sku))"
"#;

const ITEM_ROWS: &str =
    "SELECT id, owner_id, maker_id, sku, label, qty, note FROM items ORDER BY id";

/// Applies the fixture and deletes item 4 directly (so an AUTOINCREMENT counter that is not
/// carried over by a rebuild would hand out id 4 again).
fn rebuild_fixture(p: &Project) {
    mig(p, "20240101000000_fixture", REBUILD_FIXTURE);
    p.run(&["migrate:latest"]).ok();
    let mut db = p.db();
    db.exec("DELETE FROM items WHERE id = 4");
    assert_eq!(triggers(&mut db, "items"), vec!["items_audit"]);
}

/// After a change to `items`: the rows, the tags pointing at them, the trigger (which still
/// fires: a later migration's insert writes an audit row) and the AUTOINCREMENT counter.
fn assert_items_survived(p: &Project, rows_before: &[Vec<String>], next_migration: &str) {
    let mut db = p.db();
    assert_eq!(db.rows(ITEM_ROWS), rows_before, "every row is kept");
    assert_eq!(
        db.rows("SELECT id, item_id, tag FROM tags ORDER BY id"),
        vec![vec!["1", "1", "fruit"], vec!["2", "2", "fruit"]],
        "child rows are not cascaded away"
    );
    assert_eq!(
        foreign_keys(&mut db, "tags"),
        vec![fk(&["item_id"], "items", &["id"], "CASCADE")]
    );
    assert_eq!(triggers(&mut db, "items"), vec!["items_audit"]);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM audit"), 0);
    drop(db);
    mig(
        p,
        next_migration,
        r#"
        up:
          - insert: { table: items, rows: [ { owner_id: 1, maker_id: 1, sku: E5, label: elder } ] }
        down:
          - delete: { table: items, where: { sku: E5 } }
    "#,
    );
    p.run(&["migrate:latest"]).ok();
    let mut db = p.db();
    assert_eq!(
        db.col("SELECT what FROM audit"),
        vec!["item E5"],
        "the trigger still fires"
    );
    assert_eq!(
        db.col("SELECT id FROM items WHERE sku = 'E5'"),
        vec!["5"],
        "the AUTOINCREMENT counter is kept"
    );
}

/// A later migration inserting a tag for a missing item fails: the key is still enforced.
fn assert_tags_fk_enforced(p: &Project, name: &str) {
    mig(
        p,
        name,
        "up:\n  - insert: { table: tags, rows: [ { id: 9, item_id: 99, tag: orphan } ] }\n",
    );
    let r = p.run(&["migrate:latest"]).code(1);
    assert!(
        r.all().to_lowercase().contains("foreign key"),
        "{}",
        r.all()
    );
    assert_eq!(p.db().scalar("SELECT COUNT(*) FROM tags WHERE id = 9"), 0);
    p.remove(&format!("migrations/{name}.yaml"));
}

both! {
    fn rebuild_alter_column_keeps_rows_indexes_trigger_and_keys(p) {
        rebuild_fixture(&p);
        let mut db = p.db();
        let rows = db.rows(ITEM_ROWS);
        let idx_before = indexes(&mut db, "items");
        let fks_before = foreign_keys(&mut db, "items");
        drop(db);
        mig(&p, "20240102000000_alter", r#"
            up:
              - alter_column: { table: items, column: { name: qty, type: big_integer, nullable: false, default: 0 } }
            down:
              - alter_column: { table: items, column: { name: qty, type: integer } }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        let qty = col(&mut db, "items", "qty");
        assert!(qty.ty.eq_ignore_ascii_case("bigint") && qty.not_null && qty.default.as_deref() == Some("0"), "{qty:?}");
        assert_eq!(indexes(&mut db, "items"), idx_before, "the other indexes are kept");
        assert_eq!(foreign_keys(&mut db, "items"), fks_before);
        assert_eq!(fk_names(&mut db, "items"), vec!["items_maker_id_foreign"]);
        if p.backend == Backend::Sqlite {
            assert!(!db.has_table("_furrow_new_items"));
        }
        drop(db);
        assert_items_survived(&p, &rows, "20240103000000_insert");
        assert_tags_fk_enforced(&p, "20240104000000_orphan");
        // items.maker_id → owners is still enforced too.
        mig(&p, "20240104000000_bad_maker", "up:\n  - insert: { table: items, rows: [ { id: 50, maker_id: 99, sku: Z9 } ] }\n");
        p.run(&["migrate:latest"]).code(1);
        p.remove("migrations/20240104000000_bad_maker.yaml");
        p.run(&["migrate:rollback"]).ok();
        p.run(&["migrate:rollback"]).ok();
        let qty = col(&mut p.db(), "items", "qty");
        assert!(qty.ty.to_ascii_lowercase().starts_with("int") && !qty.not_null && qty.default.is_none(), "{qty:?}");
        assert_eq!(p.db().rows(ITEM_ROWS), rows);
    }

    fn rebuild_add_foreign_key_is_enforced_afterwards(p) {
        rebuild_fixture(&p);
        let mut db = p.db();
        let rows = db.rows(ITEM_ROWS);
        let idx_before = indexes(&mut db, "items");
        drop(db);
        let before = schema(&p);
        mig(&p, "20240102000000_fk", r#"
            up:
              - add_foreign_key: { table: items, columns: [owner_id], references: owners.id, on_delete: set null }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(
            foreign_keys(&mut db, "items"),
            vec![fk(&["maker_id"], "owners", &["id"], "NO ACTION"), fk(&["owner_id"], "owners", &["id"], "SET NULL")]
        );
        assert_eq!(fk_names(&mut db, "items"), vec!["items_maker_id_foreign", "items_owner_id_foreign"]);
        assert_eq!(indexes(&mut db, "items"), idx_before);
        drop(db);
        assert_items_survived(&p, &rows, "20240103000000_insert");
        assert_tags_fk_enforced(&p, "20240104000000_orphan");
        mig(&p, "20240104000000_bad_owner", "up:\n  - insert: { table: items, rows: [ { id: 50, owner_id: 99, sku: Z9 } ] }\n");
        p.run(&["migrate:latest"]).code(1);
        p.remove("migrations/20240104000000_bad_owner.yaml");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM items WHERE id = 50"), 0);
        // ON DELETE SET NULL acts.
        let mut db = db_fk(&p);
        db.exec("UPDATE items SET maker_id = 1 WHERE id = 2");
        db.exec("DELETE FROM owners WHERE id = 2");
        assert_eq!(
            db.rows("SELECT id, owner_id FROM items ORDER BY id"),
            vec![vec!["1", "1"], vec!["2", "NULL"], vec!["3", "1"], vec!["5", "1"]]
        );
        drop(db);
        p.run(&["migrate:rollback"]).ok(); // the E5 insert
        p.remove("migrations/20240103000000_insert.yaml");
        p.run(&["migrate:rollback"]).ok(); // the key, by a rebuild on SQLite
        assert_eq!(schema(&p), before);
    }

    fn rebuild_drop_foreign_key_and_derived_readd(p) {
        rebuild_fixture(&p);
        let mut db = p.db();
        let rows = db.rows(ITEM_ROWS);
        let idx_before = indexes(&mut db, "items");
        drop(db);
        let before = schema(&p);
        mig(&p, "20240102000000_drop_fk", r#"
            up:
              - drop_foreign_key: { table: items, columns: [maker_id], references: owners.id }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(foreign_keys(&mut db, "items"), vec![]);
        assert_eq!(fk_names(&mut db, "items"), Vec::<String>::new());
        assert_eq!(indexes(&mut db, "items"), idx_before);
        drop(db);
        assert_items_survived(&p, &rows, "20240103000000_insert");
        assert_tags_fk_enforced(&p, "20240104000000_orphan");
        // The key is gone: a maker that does not exist is accepted now.
        mig(&p, "20240104000000_free_maker", "up:\n  - insert: { table: items, rows: [ { id: 50, maker_id: 99, sku: Z9 } ] }\n");
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:rollback"]).ok(); // deletes item 50 (derived: by primary key)
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM items WHERE id = 50"), 0);
        p.remove("migrations/20240104000000_free_maker.yaml");
        p.run(&["migrate:rollback"]).ok(); // the E5 insert
        p.remove("migrations/20240103000000_insert.yaml");
        p.run(&["migrate:rollback"]).ok(); // re-creates the key by a rebuild
        p.remove("migrations/20240102000000_drop_fk.yaml");
        let after = schema(&p);
        assert_eq!(after, before, "the derived down re-creates the key");
        mig(&p, "20240105000000_bad_maker", "up:\n  - insert: { table: items, rows: [ { id: 50, maker_id: 99, sku: Z9 } ] }\n");
        p.run(&["migrate:latest"]).code(1);
    }

    fn rebuild_drop_indexed_column(p) {
        rebuild_fixture(&p);
        let mut db = p.db();
        let rows: Vec<Vec<String>> = db
            .rows(ITEM_ROWS)
            .into_iter()
            .map(|mut r| { r.pop(); r })
            .collect();
        drop(db);
        mig(&p, "20240102000000_drop_note", r#"
            up:
              - drop_column: { table: items, column: note }
            down:
              - add_column: { table: items, column: { name: note, type: string(30), index: true } }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(col_names(&mut db, "items"), vec!["id", "owner_id", "maker_id", "sku", "label", "qty"]);
        assert_eq!(
            indexes(&mut db, "items"),
            vec![
                idx("items_label_index", false, &["label"]),
                idx("items_label_note", false, &["label"]),
                idx("items_maker_id_index", false, &["maker_id"]),
                idx("items_owner_id_index", false, &["owner_id"]),
                idx("items_sku_unique", true, &["sku"]),
            ],
            "the column's own index goes, the composite one loses the column, the others stay"
        );
        assert_eq!(foreign_keys(&mut db, "items"), vec![fk(&["maker_id"], "owners", &["id"], "NO ACTION")]);
        assert_eq!(db.rows("SELECT id, owner_id, maker_id, sku, label, qty FROM items ORDER BY id"), rows);
        assert_eq!(triggers(&mut db, "items"), vec!["items_audit"]);
        drop(db);
        // The trigger fires; keys to and from items are enforced.
        mig(&p, "20240103000000_insert", "up:\n  - insert: { table: items, rows: [ { owner_id: 1, maker_id: 1, sku: E5, label: elder } ] }\ndown:\n  - delete: { table: items, where: { sku: E5 } }\n");
        p.run(&["migrate:latest"]).ok();
        assert_eq!(p.db().col("SELECT what FROM audit"), vec!["item E5"]);
        assert_eq!(p.db().col("SELECT id FROM items WHERE sku = 'E5'"), vec!["5"]);
        assert_tags_fk_enforced(&p, "20240104000000_orphan");
        mig(&p, "20240104000000_bad_maker", "up:\n  - insert: { table: items, rows: [ { id: 50, maker_id: 99, sku: Z9 } ] }\n");
        p.run(&["migrate:latest"]).code(1);
        p.remove("migrations/20240104000000_bad_maker.yaml");
        p.run(&["migrate:rollback"]).ok();
        p.run(&["migrate:rollback"]).ok();
        let mut db = p.db();
        assert!(col_names(&mut db, "items").contains(&"note".to_string()));
        assert_eq!(index(&mut db, "items", "items_note_index"), Some(idx("items_note_index", false, &["note"])));
    }

    fn rebuild_violating_new_foreign_key_changes_nothing(p) {
        rebuild_fixture(&p);
        let mut db = p.db();
        db.exec("INSERT INTO items (id, owner_id, sku) VALUES (20, 99, 'X1')");
        let rows = db.rows(ITEM_ROWS);
        let create = if p.backend == Backend::Sqlite { create_sql(&mut db, "items") } else { String::new() };
        drop(db);
        let before = schema(&p);
        mig(&p, "20240102000000_fk", r#"
            up:
              - add_foreign_key: { table: items, columns: [owner_id], references: owners.id }
        "#);
        let r = p.run(&["migrate:latest"]).code(1).has("20240102000000_fk.yaml");
        assert!(r.all().to_lowercase().contains("foreign key"), "{}", r.all());
        assert_eq!(schema(&p), before, "the table is as before");
        let mut db = p.db();
        assert_eq!(db.rows(ITEM_ROWS), rows, "and so are its rows");
        if p.backend == Backend::Sqlite {
            assert_eq!(create_sql(&mut db, "items"), create);
            assert!(!db.has_table("_furrow_new_items"));
        }
        drop(db);
        assert_eq!(applied(&p), vec!["20240101000000_fixture.yaml"]);
    }
}

#[test]
fn sqlite_failed_rebuild_undoes_the_whole_migration() {
    let p = Project::new(Backend::Sqlite);
    rebuild_fixture(&p);
    let mut db = p.db();
    db.exec("INSERT INTO items (id, owner_id, sku, qty) VALUES (20, 99, 'X1', 0)");
    let rows = db.rows(ITEM_ROWS);
    let create = create_sql(&mut db, "items");
    drop(db);
    let before = schema(&p);
    mig(
        &p,
        "20240102000000_two_rebuilds",
        r#"
        up:
          - alter_column: { table: items, column: { name: qty, type: big_integer, nullable: false, default: 0 } }
          - add_column: { table: owners, column: { name: email, type: string(50) } }
          - add_foreign_key: { table: items, columns: [owner_id], references: owners.id }
        down:
          - alter_column: { table: items, column: { name: qty, type: integer } }
    "#,
    );
    p.run(&["migrate:latest"])
        .code(1)
        .has("migrations/20240102000000_two_rebuilds.yaml")
        .has("violate foreign keys")
        .has("none of its statements were applied");
    assert_eq!(
        schema(&p),
        before,
        "the first rebuild and the add_column are undone too"
    );
    let mut db = p.db();
    assert_eq!(create_sql(&mut db, "items"), create);
    assert_eq!(db.rows(ITEM_ROWS), rows);
    drop(db);
    assert_eq!(applied(&p), vec!["20240101000000_fixture.yaml"]);
}

// -------------------------------------------------------------------------------------------
// 4. Reversibility.

both! {
    fn reversible_ups_roll_back_without_down(p) {
        mig(&p, "20240101000000_base", r#"
            up:
              - create_table:
                  name: base
                  columns:
                    - { name: id, type: increments }
                    - { name: a, type: string(20) }
              - insert: { table: base, rows: [ { id: 1, a: one } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_many", r#"
            up:
              - create_table:
                  name: extra
                  columns:
                    - { name: id, type: increments }
                    - { name: base_id, type: integer, unsigned: true, index: true }
              - add_column: { table: base, column: { name: b, type: integer, default: 1 } }
              - create_index: { table: base, columns: [a, b] }
              - rename_column: { table: base, from: a, to: c }
              - add_foreign_key: { table: extra, columns: [base_id], references: base.id }
              - rename_table: { from: extra, to: extras }
              - insert: { table: base, rows: [ { id: 50, c: fifty } ] }
              - insert: { table: extras, rows: [ { id: 1, base_id: 1 } ] }
        "#);
        p.run(&["migrate:sql", "many", "--down"]).ok().has("DROP TABLE");
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), vec!["base", "extras"]);
        assert_eq!(col_names(&mut db, "base"), vec!["id", "c", "b"]);
        assert_eq!(index(&mut db, "base", "base_a_b_index"), Some(idx("base_a_b_index", false, &["c", "b"])));
        assert_eq!(foreign_keys(&mut db, "extras"), vec![fk(&["base_id"], "base", &["id"], "NO ACTION")]);
        assert_eq!(db.rows("SELECT id, c, b FROM base ORDER BY id"), vec![vec!["1", "one", "1"], vec!["50", "fifty", "1"]]);
        drop(db);
        p.run(&["migrate:rollback"]).ok().has("Batch 2 rolled back: 1 migrations");
        assert_eq!(schema(&p), before);
        assert_eq!(p.db().rows("SELECT id, a FROM base"), vec![vec!["1", "one"]]);
    }

    fn irreversible_drop_column_is_refused_before_anything_runs(p) {
        mig(&p, "20240101000000_t1", r#"
            up:
              - create_table:
                  name: t1
                  columns:
                    - { name: id, type: increments }
                    - { name: name, type: string(20) }
        "#);
        p.run(&["migrate:latest"]).ok();
        // Batch 2: the older file is irreversible, the newer one (rolled back first) is not.
        mig(&p, "20240102000000_drop_it", r#"
            up:
              - add_column: { table: t1, column: { name: extra, type: integer } }
              - drop_column: { table: t1, column: name }
        "#);
        mig(&p, "20240103000000_t3", r#"
            up:
              - create_table: { name: t3, columns: [ { name: id, type: increments } ] }
        "#);
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 2 migrations");
        let before = schema(&p);
        p.run(&["migrate:rollback"])
            .code(1)
            .has("migrations/20240102000000_drop_it.yaml: line 3: up[1].drop_column: `drop_column` has no automatic reverse: write a `down:` section");
        assert_eq!(schema(&p), before, "nothing was rolled back, not even t3");
        assert_eq!(applied(&p).len(), 3);
        p.run(&["migrate:rollback", "--dry-run"]).code(1).has("up[1].drop_column");
        // The newest alone can go.
        p.run(&["migrate:down"]).ok().has("20240103000000_t3.yaml");
        assert!(!p.db().has_table("t3"));
    }

    fn explicit_down_is_used_instead_of_the_derived_one(p) {
        mig(&p, "20240101000000_widgets", r#"
            up:
              - create_table: { name: widgets, columns: [ { name: id, type: increments } ] }
            down:
              - drop_table: widgets
              - create_table: { name: down_ran, columns: [ { name: id, type: increments } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:sql", "widgets", "--down"]).ok().has("down_ran");
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(user_tables(&mut p.db()), vec!["down_ran"]);
        p.remove("migrations/20240101000000_widgets.yaml");
        // `down: []`: nothing to undo.
        mig(&p, "20240102000000_keep", r#"
            up:
              - create_table: { name: keepme, columns: [ { name: id, type: increments } ] }
            down: []
        "#);
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:rollback"]).ok().has("rolled back: 1 migrations");
        assert!(p.db().has_table("keepme"));
        assert!(applied(&p).is_empty());
    }
}

/// Every op without an automatic reverse is named when its rollback is asked for (migrate:sql
/// --down reads the file only: no database needed).
#[test]
fn ops_without_reverse_name_their_position() {
    let p = Project::new(Backend::Sqlite);
    let cases = [
        ("drop_table", "drop_table: old"),
        ("drop_column", "drop_column: { table: t, column: c }"),
        (
            "alter_column",
            "alter_column: { table: t, column: { name: c, type: text } }",
        ),
        ("drop_index", "drop_index: { table: t, name: i }"),
        (
            "drop_foreign_key",
            "drop_foreign_key: { table: t, columns: [c] }",
        ),
        ("sql", "sql: UPDATE t SET c = 1"),
        ("delete", "delete: { table: t, where: { c: 1 } }"),
    ];
    for (op, text) in cases {
        p.migration(
            "20240101000000_x.yaml",
            &format!("up:\n  - create_index: {{ table: t, columns: [c] }}\n  - {text}\n"),
        );
        let r = p.run(&["migrate:sql", "x", "--down"]).code(1);
        assert!(
            r.all().contains(&format!(
                "migrations/20240101000000_x.yaml: line 3: up[1].{op}: "
            )) && r.all().contains("`down:`"),
            "{op}: {}",
            r.all()
        );
        p.run(&["migrate:sql", "x"]).ok();
    }
    assert!(!p.sqlite_exists());
}

// The derived down of an `insert` into a table created earlier in the same file is skipped
// ("dropping the table removes the rows"), but that drop comes later in the down: a delete of
// parent rows inserted after the table was created meets child rows that still reference them.
both_attrs! {
    []
    []
    fn derived_down_of_inserts_keeps_foreign_keys_satisfied(p) {
        mig(&p, "20240101000000_parents", r#"
            up:
              - create_table: { name: parents, columns: [ { name: id, type: increments } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        // Natural order: create the tables, then load reference data, parents first.
        mig(&p, "20240102000000_children", r#"
            up:
              - create_table:
                  name: children
                  columns:
                    - { name: id, type: increments }
                    - { name: parent_id, type: integer, unsigned: true, references: parents.id }
              - insert: { table: parents, rows: [ { id: 1 } ] }
              - insert: { table: children, rows: [ { id: 1, parent_id: 1 } ] }
        "#);
        p.run(&["migrate:latest"]).ok();
        // The exact reverse deletes the child row, then the parent row, then drops children.
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before);
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM parents"), 0);
    }
}

// The derived down of an insert whose rows do not give the table's primary key cannot delete
// them; that must be refused before anything runs (SPEC §5), not found half-way through the
// down, after MySQL has committed the DDL before it.
both_attrs! {
    []
    []
    fn rollback_of_keyless_insert_is_refused_before_anything_runs(p) {
        mig(&p, "20240101000000_roles", r#"
            up:
              - create_table:
                  name: roles
                  columns:
                    - { name: id, type: increments }
                    - { name: code, type: string(20) }
        "#);
        mig(&p, "20240102000000_member", r#"
            up:
              - insert: { table: roles, rows: [ { code: member } ] }
              - add_column: { table: roles, column: { name: extra, type: integer } }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        p.run(&["migrate:rollback"])
            .code(1)
            .has("migrations/20240102000000_member.yaml")
            .has("up[0].insert");
        assert_eq!(schema(&p), before, "nothing of the down ran");
        assert_eq!(applied(&p).len(), 2);
    }
}

// MySQL creates an index for a foreign key that no index covers; the derived down of
// add_foreign_key drops the key but leaves that index, so the schema is not as before.
both_attrs! {
    []
    []
    fn rollback_of_add_foreign_key_restores_the_indexes(p) {
        mig(&p, "20240101000000_posts", r#"
            up:
              - create_table: { name: authors, columns: [ { name: id, type: increments } ] }
              - create_table:
                  name: posts
                  columns:
                    - { name: id, type: increments }
                    - { name: author_id, type: integer, unsigned: true }
        "#);
        p.run(&["migrate:latest"]).ok();
        let before = schema(&p);
        mig(&p, "20240102000000_fk", r#"
            up:
              - add_foreign_key: { table: posts, columns: [author_id], references: authors.id }
        "#);
        p.run(&["migrate:latest"]).ok();
        assert_eq!(foreign_keys(&mut p.db(), "posts").len(), 1);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(schema(&p), before);
    }
}

// SQLite drops a column's foreign key with the column (README: "its foreign key … go with
// it"); MySQL refuses to drop a column its foreign key needs, so the same file fails there.
both_attrs! {
    []
    []
    fn drop_column_with_a_foreign_key_works_on_both_engines(p) {
        mig(&p, "20240101000000_posts", r#"
            up:
              - create_table: { name: authors, columns: [ { name: id, type: increments } ] }
              - create_table:
                  name: posts
                  columns:
                    - { name: id, type: increments }
                    - { name: title, type: string(50) }
                    - { name: author_id, type: integer, unsigned: true, references: authors.id }
              - insert: { table: authors, rows: [ { id: 1 } ] }
              - insert: { table: posts, rows: [ { id: 1, title: Hi, author_id: 1 } ] }
        "#);
        mig(&p, "20240102000000_drop", r#"
            up:
              - drop_column: { table: posts, column: author_id }
            down:
              - add_column: { table: posts, column: { name: author_id, type: integer, unsigned: true, references: authors.id } }
        "#);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(col_names(&mut db, "posts"), vec!["id", "title"]);
        assert_eq!(foreign_keys(&mut db, "posts"), vec![]);
        assert_eq!(indexes(&mut db, "posts"), vec![]);
        assert_eq!(db.rows("SELECT id, title FROM posts"), vec![vec!["1", "Hi"]]);
    }
}

// -------------------------------------------------------------------------------------------
// 5. Validation errors: before anything runs, naming the file, the line and the op position.

both! {
    fn invalid_files_are_refused_before_anything_runs(p) {
        mig(&p, "20240101000000_early", r#"
            up:
              - create_table: { name: early, columns: [ { name: id, type: increments } ] }
        "#);
        let (this, other) = match p.backend {
            Backend::Sqlite => ("sqlite", "mysql"),
            Backend::Mysql => ("mysql", "sqlite"),
        };
        let sql_case = format!(r#"
            up:
              - create_table:
                  name: t
                  columns:
                    - {{ name: id, type: increments }}
              - sql:
                  {other}: "UPDATE t SET id = id"
        "#);
        let sql_msg = format!("line 6: up[1].sql: this `sql` operation has no text for {this} (only `{other}:`); add a `{this}:` text to run it on {this}");
        let cases: Vec<(&str, &str)> = vec![
            (r#"
                up:
                  - crate_table:
                      name: t
                      columns:
                        - { name: id, type: increments }
             "#, "line 2: up[0].crate_table: unknown operation `crate_table`; did you mean `create_table`?"),
            (r#"
                up:
                  - create_table:
                      name: t
                      columns:
                        - { name: id, type: increments }
                        - { name: n, type: integr }
             "#, "line 6: up[0].create_table.columns[1].type: unknown type `integr`; did you mean `integer`?"),
            (r#"
                up:
                  - create_table:
                      name: t
                      columns:
                        - { name: id, type: increments }
                        - { name: n, type: integer, nulable: false }
             "#, "line 6: up[0].create_table.columns[1].nulable: unknown key `nulable`; did you mean `nullable`?"),
            (r#"
                up:
                  - create_table:
                      columns:
                        - { name: id, type: increments }
             "#, "line 2: up[0].create_table: missing required key `name`"),
            (r#"
                up:
                  - create_table:
                      name: t
                      columns:
                        - { name: id, type: increments }
                        - { name: s, type: enum }
             "#, "line 6: up[0].create_table.columns[1]: type `enum` needs `values:`"),
            (r#"
                up:
                  - add_column:
                      table: posts
                      column: { name: user_id, type: integer, references: users_id }
             "#, "line 4: up[0].add_column.column.references: `references` must be `table.column` (e.g. `users.id`), found `users_id`"),
            (r#"
                up:
                  - create_table:
                      name: roles
                      columns:
                        - { name: id, type: increments }
                        - { name: name, type: string }
                  - insert:
                      table: roles
                      rows:
                        - { id: 1, name: Admin }
                        - { id: 2, nmae: Guest }
             "#, "line 11: up[1].insert.rows[1].nmae: table `roles` (created above in this file) has no column `nmae`; did you mean `name`?"),
            (&sql_case, &sql_msg),
        ];
        for (text, msg) in cases {
            mig(&p, "20240102000000_bad", text);
            let r = p.run(&["migrate:latest"]).code(1);
            let want = format!("migrations/20240102000000_bad.yaml: {msg}");
            assert!(r.all().contains(&want), "expected {want:?} in\n{}", r.all());
            assert!(!p.db().has_table("early"), "the valid earlier migration is not applied either");
            assert!(applied(&p).is_empty());
        }
        assert_eq!(user_tables(&mut p.db()), Vec::<String>::new());
        p.remove("migrations/20240102000000_bad.yaml");
        p.run(&["migrate:latest"]).ok();
        assert!(p.db().has_table("early"));
    }
}

// -------------------------------------------------------------------------------------------
// 6. migrate:sql and --dry-run show the rendering without changing anything.

const ACCOUNTS: &str = r#"
    up:
      - create_table:
          name: accounts
          columns:
            - { name: id, type: increments }
            - { name: name, type: string(50), nullable: false }
      - insert:
          table: accounts
          rows:
            - { id: 1, name: "O'Brien" }
"#;

/// The SQL of a migrate:sql output (its comment header lines left out).
fn sql_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--"))
        .map(str::to_string)
        .collect()
}

both! {
    fn migrate_sql_renders_each_dialect_without_connecting(p) {
        mig(&p, "20240101000000_accounts", ACCOUNTS);
        mig(&p, "20240102000000_widen", r#"
            up:
              - alter_column: { table: accounts, column: { name: name, type: string(80), nullable: false } }
            down:
              - alter_column: { table: accounts, column: { name: name, type: string(50), nullable: false } }
        "#);
        let unreachable_mysql = "mysql://nobody:secret@127.0.0.1:9/nowhere";
        let sqlite_args: Vec<&str> = vec!["--client", "sqlite3", "--connection", "./never.sqlite3"];
        let mysql_args: Vec<&str> = vec!["--client", "mysql", "--connection", unreachable_mysql];
        let run_sql = |extra: &[&str], name: &str, down: bool| {
            let mut args = vec!["migrate:sql", name];
            if down {
                args.push("--down");
            }
            args.extend_from_slice(extra);
            p.run(&args).ok()
        };

        // SQLite rendering.
        let s = run_sql(&sqlite_args, "accounts", false)
            .has(r#"CREATE TABLE "accounts" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" VARCHAR(50) NOT NULL);"#)
            .has(r#"INSERT INTO "accounts" ("id", "name") VALUES (1, 'O''Brien');"#)
            .lacks("AUTO_INCREMENT")
            .lacks("`");
        run_sql(&sqlite_args, "accounts", true).has(r#"DROP TABLE "accounts";"#);
        run_sql(&sqlite_args, "widen", false).has(r#"-- rebuild table "accounts""#).lacks("MODIFY");
        // MySQL rendering.
        let m = run_sql(&mysql_args, "accounts", false)
            .has("CREATE TABLE `accounts` (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(50) NOT NULL);")
            .has("INSERT INTO `accounts` (`id`, `name`) VALUES (1, ")
            .lacks("AUTOINCREMENT")
            .lacks("\"accounts\"");
        run_sql(&mysql_args, "accounts", true).has("DROP TABLE `accounts`;");
        run_sql(&mysql_args, "widen", false).has("ALTER TABLE `accounts` MODIFY COLUMN `name` VARCHAR(80) NOT NULL;").lacks("rebuild");
        assert!(!p.path("never.sqlite3").exists(), "migrate:sql never connects");

        // The environment's own dialect, no flag: the same text; still no connection (on MySQL,
        // the connection is pointed somewhere that does not answer).
        let own: Vec<&str> = match p.backend {
            Backend::Sqlite => vec![],
            Backend::Mysql => vec!["--connection", unreachable_mysql],
        };
        let o = run_sql(&own, "accounts", false);
        let expected = if p.backend == Backend::Sqlite { &s } else { &m };
        assert_eq!(sql_lines(&o.stdout), sql_lines(&expected.stdout));
        assert!(!p.sqlite_exists());

        // --dry-run prints the same statements and creates nothing.
        let d = p.run(&["migrate:latest", "--dry-run"]).ok().has("Batch 1 would run: 2 migrations").has("Dry run");
        for line in sql_lines(&o.stdout) {
            assert!(d.stdout.contains(&line), "dry run lacks {line:?}:\n{}", d.stdout);
        }
        assert!(p.tables().is_empty(), "a dry run creates nothing");
        assert!(!p.sqlite_exists());
        p.run(&["migrate:latest"]).ok();
        assert_eq!(p.db().rows("SELECT id, name FROM accounts"), vec![vec!["1", "O'Brien"]]);
    }
}

// -------------------------------------------------------------------------------------------
// 7. migrate:make writes YAML by default, and what it writes runs.

fn created_path(r: &Run) -> String {
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("Created Migration: "))
        .unwrap_or_else(|| panic!("no `Created Migration:` in\n{}", r.all()));
    line.trim_start_matches("Created Migration: ")
        .trim_start_matches("./")
        .to_string()
}

both! {
    fn migrate_make_writes_yaml_that_applies_and_rolls_back(p) {
        let mut p = p;
        p.set_extra("  migrations:\n    directory: ./migrations\n");
        let made = created_path(&p.run(&["migrate:make", "create_widgets"]).ok());
        assert!(made.starts_with("migrations/") && made.ends_with("_create_widgets.yaml"), "{made}");
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), vec!["widgets"]);
        assert_eq!(primary_key(&mut db, "widgets"), vec!["id"]);
        drop(db);
        let made2 = created_path(&p.run(&["migrate:make", "add_color_to_widgets"]).ok());
        assert!(made2.ends_with("_add_color_to_widgets.yaml") && made2 > made, "{made2}");
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 1 migrations");
        let color = col(&mut p.db(), "widgets", "color");
        assert_eq!(family(&color.ty), "text");
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(col_names(&mut p.db(), "widgets"), vec!["id"]);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(user_tables(&mut p.db()), Vec::<String>::new());

        let sql = created_path(&p.run(&["migrate:make", "raw", "-x", "sql"]).ok());
        assert!(sql.ends_with("_raw.sql"), "{sql}");
        assert!(std::fs::read_to_string(p.path(&sql)).unwrap().contains("-- migrate:up"));
        p.remove(&sql);

        // `extension: sql` makes SQL the default (the harness's knexfile); -x yaml still works.
        p.set_extra("");
        let sql = created_path(&p.run(&["migrate:make", "raw2"]).ok());
        assert!(sql.ends_with("_raw2.sql"), "{sql}");
        p.remove(&sql);
        let y = created_path(&p.run(&["migrate:make", "create_gadgets", "-x", "yaml"]).ok());
        assert!(y.ends_with("_create_gadgets.yaml"), "{y}");
        p.run(&["migrate:latest"]).ok();
        assert!(p.db().has_table("gadgets"));
    }
}

// -------------------------------------------------------------------------------------------
// 8. Knex's camelCase spellings mean the same as snake_case.

const SNAKE: &str = r#"
    up:
      - create_table:
          name: teams
          if_not_exists: true
          columns:
            - { name: id, type: big_increments }
            - { name: name, type: string(40), nullable: false, default: unnamed }
            - { name: founded, type: datetime }
      - create_table:
          name: players
          columns:
            - { name: team_id, type: big_integer, unsigned: true, nullable: false }
            - { name: number, type: small_integer, nullable: false }
            - { name: joined, type: datetime }
            - { name: level, type: tiny_integer }
          primary_key: [team_id, number]
          foreign_keys:
            - { columns: [team_id], references: { table: teams, columns: [id] }, on_delete: cascade, on_update: cascade }
      - create_table:
          name: coaches
          columns:
            - { name: id, type: increments }
            - { name: team_id, type: big_integer, unsigned: true, references: teams.id, on_delete: set null }
      - add_column: { table: players, columns: [ { name: nick, type: string(20) }, { name: ok, type: boolean, default: true } ] }
      - create_index: { table: players, columns: [nick], unique: true }
      - rename_column: { table: players, from: joined, to: joined_at }
      - add_foreign_key: { table: coaches, columns: [team_id], references: { table: teams, columns: [id] }, on_delete: cascade, name: coaches_team_fk }
      - drop_foreign_key: { table: coaches, name: coaches_team_fk }
      - drop_column: { table: players, column: level }
    down:
      - drop_table: { name: coaches, if_exists: true }
      - drop_table: players
      - drop_table: teams
"#;

const CAMEL: &str = r#"
    up:
      - createTable:
          name: teams
          ifNotExists: true
          columns:
            - { name: id, type: bigIncrements }
            - { name: name, type: string(40), nullable: false, defaultTo: unnamed }
            - { name: founded, type: dateTime }
      - createTable:
          name: players
          columns:
            - { name: team_id, type: bigInteger, unsigned: true, nullable: false }
            - { name: number, type: smallInteger, nullable: false }
            - { name: joined, type: dateTime }
            - { name: level, type: tinyInteger }
          primaryKey: [team_id, number]
          foreignKeys:
            - { columns: [team_id], references: { table: teams, columns: [id] }, onDelete: cascade, onUpdate: cascade }
      - createTable:
          name: coaches
          columns:
            - { name: id, type: increments }
            - { name: team_id, type: bigInteger, unsigned: true, references: teams.id, onDelete: set null }
      - addColumn: { table: players, columns: [ { name: nick, type: string(20) }, { name: ok, type: bool, defaultTo: true } ] }
      - createIndex: { table: players, columns: [nick], unique: true }
      - renameColumn: { table: players, from: joined, to: joined_at }
      - addForeignKey: { table: coaches, columns: [team_id], references: { table: teams, columns: [id] }, onDelete: cascade, name: coaches_team_fk }
      - dropForeignKey: { table: coaches, name: coaches_team_fk }
      - dropColumn: { table: players, column: level }
    down:
      - dropTable: { name: coaches, ifExists: true }
      - dropTable: players
      - dropTable: teams
"#;

both! {
    fn camel_case_spellings_work_like_snake_case(p) {
        let snake = Project::new(p.backend);
        mig(&snake, "20240101000000_teams", SNAKE);
        snake.run(&["migrate:latest"]).ok();
        mig(&p, "20240101000000_teams", CAMEL);
        p.run(&["migrate:latest"]).ok();
        let s = schema(&p);
        assert_eq!(s, schema(&snake));
        // And it is the schema the file describes.
        let mut db = p.db();
        assert_eq!(user_tables(&mut db), vec!["coaches", "players", "teams"]);
        assert_eq!(col_names(&mut db, "players"), vec!["team_id", "number", "joined_at", "nick", "ok"]);
        assert_eq!(primary_key(&mut db, "players"), vec!["team_id", "number"]);
        let mut players_fk = fk(&["team_id"], "teams", &["id"], "CASCADE");
        players_fk.on_update = "CASCADE".into();
        assert_eq!(foreign_keys(&mut db, "players"), vec![players_fk]);
        assert_eq!(foreign_keys(&mut db, "coaches"), vec![fk(&["team_id"], "teams", &["id"], "SET NULL")]);
        assert_eq!(index(&mut db, "players", "players_nick_unique"), Some(idx("players_nick_unique", true, &["nick"])));
        assert_eq!(col(&mut db, "teams", "name").default.as_deref(), Some("unnamed"));
        assert_eq!(col(&mut db, "players", "ok").default.as_deref(), Some("1"));
        assert_eq!(family(&col(&mut db, "teams", "founded").ty), "date-time");
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert_eq!(user_tables(&mut p.db()), Vec::<String>::new());
    }
}
