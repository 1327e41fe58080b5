//! Golden tests: the exact SQL of every op and type per dialect, derived downs, errors.

use super::*;
use crate::value::Dialect::{Mysql, Sqlite};

fn parse(y: &str) -> YamlMigration {
    parse_migration(y).unwrap_or_else(|e| panic!("{e}"))
}

fn show(kind: StepKind) -> String {
    match kind {
        StepKind::Sql { sql, .. } => sql,
        other => format!("{other:?}"),
    }
}

/// The SQL of every step (non-SQL steps in Debug form).
fn up(y: &str, d: Dialect) -> Vec<String> {
    steps(&parse(y), Direction::Up, d)
        .unwrap()
        .into_iter()
        .map(|s| show(s.kind))
        .collect()
}

fn down(y: &str, d: Dialect) -> Vec<String> {
    steps(&parse(y), Direction::Down, d)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|s| show(s.kind))
        .collect()
}

fn err(y: &str) -> SchemaError {
    match parse_migration(y) {
        Ok(m) => panic!("expected an error, parsed {m:?}"),
        Err(e) => e,
    }
}

fn down_err(y: &str, d: Dialect) -> SchemaError {
    match steps(&parse(y), Direction::Down, d) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

fn assert_err(e: &SchemaError, path: &str, line: usize, message: &str) {
    assert_eq!(
        (e.path.as_str(), e.line, e.message.as_str()),
        (path, Some(line), message),
        "full error: {e}"
    );
}

fn sql_step(sql: &str, params: Vec<Value>) -> StepKind {
    StepKind::Sql {
        sql: sql.to_string(),
        params,
    }
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

// --- types ------------------------------------------------------------------------------------

pub(super) const ALL_TYPES: &str = r#"up:
  - create_table:
      name: all_types
      columns:
        - { name: id, type: increments }
        - { name: i, type: integer }
        - { name: bi, type: big_integer }
        - { name: si, type: small_integer }
        - { name: ti, type: tiny_integer }
        - { name: f, type: float }
        - { name: d, type: double }
        - { name: dec, type: decimal }
        - { name: dec2, type: "decimal(10, 4)" }
        - { name: dec3, type: decimal, precision: 6, scale: 0 }
        - { name: b, type: boolean }
        - { name: s, type: string }
        - { name: s50, type: string(50) }
        - { name: s20, type: string, length: 20 }
        - { name: t, type: text }
        - { name: dt, type: date }
        - { name: tm, type: time }
        - { name: dtm, type: datetime }
        - { name: ts, type: timestamp }
        - { name: j, type: json }
        - { name: u, type: uuid }
        - { name: bin, type: binary }
        - { name: vb, type: binary(16) }
        - { name: e, type: enum, values: [a, "b'c"] }
"#;

#[test]
fn every_type_on_sqlite() {
    assert_eq!(
        up(ALL_TYPES, Sqlite),
        [concat!(
            r#"CREATE TABLE "all_types" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "i" INTEGER, "bi" BIGINT, "#,
            r#""si" SMALLINT, "ti" TINYINT, "f" FLOAT, "d" DOUBLE, "dec" DECIMAL(8, 2), "dec2" DECIMAL(10, 4), "#,
            r#""dec3" DECIMAL(6, 0), "b" BOOLEAN, "s" VARCHAR(255), "s50" VARCHAR(50), "s20" VARCHAR(20), "t" TEXT, "#,
            r#""dt" DATE, "tm" TIME, "dtm" DATETIME, "ts" TIMESTAMP, "j" JSON, "u" CHAR(36), "bin" BLOB, "vb" BLOB, "#,
            r#""e" TEXT CHECK ("e" IN ('a', 'b''c')))"#
        )]
    );
}

#[test]
fn every_type_on_mysql() {
    assert_eq!(
        up(ALL_TYPES, Mysql),
        [concat!(
            "CREATE TABLE `all_types` (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `i` INT NULL, ",
            "`bi` BIGINT NULL, `si` SMALLINT NULL, `ti` TINYINT NULL, `f` FLOAT NULL, `d` DOUBLE NULL, ",
            "`dec` DECIMAL(8, 2) NULL, `dec2` DECIMAL(10, 4) NULL, `dec3` DECIMAL(6, 0) NULL, `b` TINYINT(1) NULL, ",
            "`s` VARCHAR(255) NULL, `s50` VARCHAR(50) NULL, `s20` VARCHAR(20) NULL, `t` TEXT NULL, `dt` DATE NULL, ",
            "`tm` TIME NULL, `dtm` DATETIME NULL, `ts` TIMESTAMP NULL, `j` JSON NULL, `u` CHAR(36) NULL, ",
            "`bin` BLOB NULL, `vb` VARBINARY(16) NULL, `e` ENUM('a', 'b''c') NULL)"
        )]
    );
}

#[test]
fn big_increments_and_unsigned() {
    let y = "up:\n  - create_table: {name: t, columns: [{name: id, type: big_increments}, {name: n, type: integer, unsigned: true}, {name: x, type: double, unsigned: true}]}\n";
    assert_eq!(
        up(y, Sqlite),
        [r#"CREATE TABLE "t" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "n" INTEGER, "x" DOUBLE)"#]
    );
    assert_eq!(
        up(y, Mysql),
        ["CREATE TABLE `t` (`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `n` INT UNSIGNED NULL, `x` DOUBLE UNSIGNED NULL)"]
    );
}

#[test]
fn knex_type_names_are_accepted() {
    let pairs = [
        ("increments", "increments"),
        ("bigIncrements", "big_increments"),
        ("bigInteger", "big_integer"),
        ("smallint", "small_integer"),
        ("smallInteger", "small_integer"),
        ("tinyint", "tiny_integer"),
        ("tinyInteger", "tiny_integer"),
        ("bool", "boolean"),
        ("varchar", "string"),
        ("varchar(12)", "string(12)"),
        ("dateTime", "datetime"),
        ("jsonb", "json"),
        ("Integer", "integer"),
        ("BIG_INTEGER", "big_integer"),
    ];
    for (knex, ours) in pairs {
        let a = format!(
            "up:\n  - create_table: {{name: t, columns: [{{name: c, type: \"{knex}\"}}]}}\n"
        );
        let b = format!(
            "up:\n  - create_table: {{name: t, columns: [{{name: c, type: \"{ours}\"}}]}}\n"
        );
        for d in [Sqlite, Mysql] {
            assert_eq!(up(&a, d), up(&b, d), "{knex} vs {ours} on {d}");
        }
    }
    let e = "up:\n  - create_table: {name: t, columns: [{name: c, type: enu, values: [x]}]}\n";
    assert_eq!(up(e, Mysql), ["CREATE TABLE `t` (`c` ENUM('x') NULL)"]);
}

// --- create_table -----------------------------------------------------------------------------

const POSTS: &str = r#"up:
  - create_table:
      name: posts
      if_not_exists: true
      comment: Blog posts
      columns:
        - { name: author_id, type: integer, unsigned: true, nullable: false, references: users.id, on_delete: cascade }
        - { name: slug, type: string(100), nullable: false, unique: true }
        - { name: lang, type: string, length: 2, default: en, index: true, comment: ISO 639-1 }
        - { name: score, type: "decimal(5,1)", default: 0.5 }
        - { name: published, type: boolean, default: false }
        - { name: seq, type: integer }
        - { name: note, type: text, default: "it's" }
        - { name: uid, type: uuid, default: { sql: "lower(hex(randomblob(16)))" } }
      primary_key: [author_id, seq]
      indexes:
        - { columns: [lang, published] }
        - { columns: [slug, lang], unique: true, name: posts_slug_lang }
      foreign_keys:
        - { columns: [lang], references: { table: languages, columns: [code] }, on_update: CASCADE, on_delete: set null }
      timestamps: true
"#;

#[test]
fn create_table_with_everything_on_sqlite() {
    assert_eq!(
        up(POSTS, Sqlite),
        [
            concat!(
                r#"CREATE TABLE IF NOT EXISTS "posts" ("author_id" INTEGER NOT NULL, "slug" VARCHAR(100) NOT NULL, "#,
                r#""lang" VARCHAR(2) DEFAULT 'en', "score" DECIMAL(5, 1) DEFAULT 0.5, "published" BOOLEAN DEFAULT 0, "#,
                r#""seq" INTEGER NOT NULL, "note" TEXT DEFAULT 'it''s', "uid" CHAR(36) DEFAULT (lower(hex(randomblob(16)))), "#,
                r#""created_at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "#,
                r#""updated_at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY ("author_id", "seq"), "#,
                r#"CONSTRAINT "posts_author_id_foreign" FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON DELETE CASCADE, "#,
                r#"CONSTRAINT "posts_lang_foreign" FOREIGN KEY ("lang") REFERENCES "languages" ("code") ON DELETE SET NULL ON UPDATE CASCADE)"#
            )
            .to_string(),
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "posts_slug_unique" ON "posts" ("slug")"#.into(),
            r#"CREATE INDEX IF NOT EXISTS "posts_lang_index" ON "posts" ("lang")"#.into(),
            r#"CREATE INDEX IF NOT EXISTS "posts_lang_published_index" ON "posts" ("lang", "published")"#.into(),
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "posts_slug_lang" ON "posts" ("slug", "lang")"#.into(),
        ]
    );
}

#[test]
fn create_table_with_everything_on_mysql() {
    assert_eq!(
        up(POSTS, Mysql),
        [concat!(
            "CREATE TABLE IF NOT EXISTS `posts` (`author_id` INT UNSIGNED NOT NULL, `slug` VARCHAR(100) NOT NULL, ",
            "`lang` VARCHAR(2) NULL DEFAULT 'en' COMMENT 'ISO 639-1', `score` DECIMAL(5, 1) NULL DEFAULT 0.5, ",
            "`published` TINYINT(1) NULL DEFAULT 0, `seq` INT NOT NULL, `note` TEXT NULL DEFAULT 'it''s', ",
            "`uid` CHAR(36) NULL DEFAULT (lower(hex(randomblob(16)))), ",
            "`created_at` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `updated_at` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, ",
            "PRIMARY KEY (`author_id`, `seq`), UNIQUE INDEX `posts_slug_unique` (`slug`), INDEX `posts_lang_index` (`lang`), ",
            "INDEX `posts_lang_published_index` (`lang`, `published`), UNIQUE INDEX `posts_slug_lang` (`slug`, `lang`), ",
            "CONSTRAINT `posts_author_id_foreign` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE CASCADE, ",
            "CONSTRAINT `posts_lang_foreign` FOREIGN KEY (`lang`) REFERENCES `languages` (`code`) ON DELETE SET NULL ON UPDATE CASCADE) ",
            "COMMENT = 'Blog posts'"
        )]
    );
}

#[test]
fn the_spec_example_on_both_dialects() {
    let y = r#"up:
  - create_table:
      name: accounts
      columns:
        - { name: id, type: increments }
        - { name: name, type: string, length: 50, nullable: false }
        - { name: description, type: string, length: 200 }
  - insert:                       # seeding in the upgrade, Alembic-style
      table: accounts
      rows:
        - { id: 1, name: John Smith, description: CEO }
# down: optional; when absent it is derived by reversing each `up` op
transaction: true                 # optional, default true
"#;
    let m = parse(y);
    assert_eq!(m.transaction, Some(true));
    assert_eq!(
        steps(&m, Direction::Up, Sqlite).unwrap(),
        [
            Step {
                origin: "up[0].create_table".into(),
                kind: sql_step(
                    r#"CREATE TABLE "accounts" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" VARCHAR(50) NOT NULL, "description" VARCHAR(200))"#,
                    vec![]
                ),
            },
            Step {
                origin: "up[1].insert".into(),
                kind: sql_step(
                    r#"INSERT INTO "accounts" ("id", "name", "description") VALUES (?, ?, ?)"#,
                    vec![Value::Int(1), t("John Smith"), t("CEO")]
                ),
            },
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            "CREATE TABLE `accounts` (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, `name` VARCHAR(50) NOT NULL, `description` VARCHAR(200) NULL)",
            "INSERT INTO `accounts` (`id`, `name`, `description`) VALUES (?, ?, ?)"
        ]
    );
    // The table is created in this file: its rows go whole (no key needed), then the table.
    assert_eq!(
        down(y, Sqlite),
        [r#"DELETE FROM "accounts""#, r#"DROP TABLE "accounts""#]
    );
    assert_eq!(
        down(y, Mysql),
        ["DELETE FROM `accounts`", "DROP TABLE `accounts`"]
    );
}

#[test]
fn primary_true_columns_form_the_primary_key() {
    let y = "up:\n  - create_table: {name: t, columns: [{name: a, type: string, primary: true}, {name: b, type: integer, primary: true}]}\n";
    assert_eq!(
        up(y, Sqlite),
        [
            r#"CREATE TABLE "t" ("a" VARCHAR(255) NOT NULL, "b" INTEGER NOT NULL, PRIMARY KEY ("a", "b"))"#
        ]
    );
    assert_eq!(
        up(y, Mysql),
        ["CREATE TABLE `t` (`a` VARCHAR(255) NOT NULL, `b` INT NOT NULL, PRIMARY KEY (`a`, `b`))"]
    );
}

#[test]
fn camel_case_ops_and_keys() {
    let camel = r#"up:
  - createTable:
      name: t
      ifNotExists: true
      primaryKey: [a]
      foreignKeys: [{columns: [b], references: u.id, onDelete: CASCADE, onUpdate: RESTRICT}]
      columns: [{name: a, type: integer}, {name: b, type: integer}]
  - addColumn: {table: t, column: {name: c, type: integer}}
  - renameColumn: {table: t, from: c, to: d}
  - dropColumn: {table: t, column: d}
  - createIndex: {table: t, columns: [b]}
  - dropIndex: {table: t, columns: [b]}
  - addForeignKey: {table: t, columns: [a], references: {table: v, columns: [id]}}
  - dropForeignKey: {table: t, columns: [a]}
  - alterColumn: {table: t, column: {name: b, type: big_integer}}
  - renameTable: {from: t, to: t2}
  - dropTable: {name: t2, ifExists: true}
"#;
    let snake = camel
        .replace("createTable", "create_table")
        .replace("ifNotExists", "if_not_exists")
        .replace("primaryKey", "primary_key")
        .replace("foreignKeys", "foreign_keys")
        .replace("onDelete", "on_delete")
        .replace("onUpdate", "on_update")
        .replace("addColumn", "add_column")
        .replace("renameColumn", "rename_column")
        .replace("dropColumn", "drop_column")
        .replace("createIndex", "create_index")
        .replace("dropIndex", "drop_index")
        .replace("addForeignKey", "add_foreign_key")
        .replace("dropForeignKey", "drop_foreign_key")
        .replace("alterColumn", "alter_column")
        .replace("renameTable", "rename_table")
        .replace("dropTable", "drop_table")
        .replace("ifExists", "if_exists");
    assert!(!snake.contains("Key:") && snake.contains("drop_table"));
    for d in [Sqlite, Mysql] {
        let (a, b) = (parse(camel), parse(&snake));
        let kinds = |m: &YamlMigration| -> Vec<StepKind> {
            steps(m, Direction::Up, d)
                .unwrap()
                .into_iter()
                .map(|s| s.kind)
                .collect()
        };
        assert_eq!(kinds(&a), kinds(&b));
        // MySQL drops a dropped column's foreign keys first (one step more).
        assert_eq!(kinds(&a).len(), if d == Mysql { 12 } else { 11 });
    }
    assert_eq!(
        up(camel, Mysql)[0],
        "CREATE TABLE IF NOT EXISTS `t` (`a` INT NOT NULL, `b` INT NULL, PRIMARY KEY (`a`), CONSTRAINT `t_b_foreign` FOREIGN KEY (`b`) REFERENCES `u` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT)"
    );
}

// --- the other ops ----------------------------------------------------------------------------

#[test]
fn drop_table_and_rename_table() {
    let y = "up:\n  - drop_table: old\n  - drop_table: {name: older, if_exists: true}\n  - rename_table: {from: a, to: b}\n";
    assert_eq!(
        up(y, Sqlite),
        [
            r#"DROP TABLE "old""#,
            r#"DROP TABLE IF EXISTS "older""#,
            r#"ALTER TABLE "a" RENAME TO "b""#
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            "DROP TABLE `old`",
            "DROP TABLE IF EXISTS `older`",
            "RENAME TABLE `a` TO `b`"
        ]
    );
}

#[test]
fn add_column_simple() {
    let y = r#"up:
  - add_column: {table: users, column: {name: bio, type: text}}
  - add_column:
      table: users
      columns:
        - { name: age, type: integer, nullable: false, default: 0 }
        - { name: email, type: string, unique: true, comment: login }
        - { name: city, type: string(40), index: true }
"#;
    assert_eq!(
        up(y, Sqlite),
        [
            r#"ALTER TABLE "users" ADD COLUMN "bio" TEXT"#,
            r#"ALTER TABLE "users" ADD COLUMN "age" INTEGER NOT NULL DEFAULT 0"#,
            r#"ALTER TABLE "users" ADD COLUMN "email" VARCHAR(255)"#,
            r#"ALTER TABLE "users" ADD COLUMN "city" VARCHAR(40)"#,
            r#"CREATE UNIQUE INDEX "users_email_unique" ON "users" ("email")"#,
            r#"CREATE INDEX "users_city_index" ON "users" ("city")"#,
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            "ALTER TABLE `users` ADD COLUMN `bio` TEXT NULL",
            concat!(
                "ALTER TABLE `users` ADD COLUMN `age` INT NOT NULL DEFAULT 0, ADD COLUMN `email` VARCHAR(255) NULL COMMENT 'login', ",
                "ADD COLUMN `city` VARCHAR(40) NULL, ADD UNIQUE INDEX `users_email_unique` (`email`), ADD INDEX `users_city_index` (`city`)"
            ),
        ]
    );
}

#[test]
fn add_column_that_sqlite_cannot_add_in_place_is_a_rebuild() {
    for col in [
        "{name: c, type: integer, references: other.id}",
        "{name: c, type: integer, nullable: false}",
        "{name: c, type: timestamp, default: {sql: CURRENT_TIMESTAMP}}",
        "{name: c, type: string, primary: true}",
    ] {
        let y = format!("up:\n  - add_column: {{table: t, column: {col}}}\n");
        let m = parse(&y);
        let s = steps(&m, Direction::Up, Sqlite).unwrap();
        let OpKind::AddColumns { columns, .. } = &m.up[0].kind else {
            panic!()
        };
        assert_eq!(
            s,
            [Step {
                origin: "up[0].add_column".into(),
                kind: StepKind::SqliteRebuild {
                    table: "t".into(),
                    change: TableChange::AddColumns(
                        columns
                            .iter()
                            .map(|c| render::rebuild_column("t", c))
                            .collect()
                    )
                }
            }],
            "{col}"
        );
    }
    // A constant default is fine in place, and unique comes as an index after the rebuild.
    let y = "up:\n  - add_column: {table: t, columns: [{name: c, type: integer, nullable: false, default: 1}, {name: d, type: integer, references: o.id, unique: true}]}\n";
    let out = up(y, Sqlite);
    assert_eq!(out.len(), 2);
    assert!(out[0].starts_with("SqliteRebuild"), "{}", out[0]);
    assert_eq!(out[1], r#"CREATE UNIQUE INDEX "t_d_unique" ON "t" ("d")"#);
    assert_eq!(
        up(y, Mysql),
        ["ALTER TABLE `t` ADD COLUMN `c` INT NOT NULL DEFAULT 1, ADD COLUMN `d` INT NULL, ADD UNIQUE INDEX `t_d_unique` (`d`), ADD CONSTRAINT `t_d_foreign` FOREIGN KEY (`d`) REFERENCES `o` (`id`)"]
    );
}

#[test]
fn drop_rename_alter_column() {
    let y = r#"up:
  - drop_column: {table: t, column: a}
  - drop_column: {table: t, columns: [b, c]}
  - rename_column: {table: t, from: d, to: e}
  - alter_column: {table: t, column: {name: f, type: string(20), nullable: false, default: x, comment: eff}}
  - alter_column: {table: t, column: {name: id, type: increments}}
"#;
    let m = parse(y);
    let OpKind::AlterColumn { column: f, .. } = &m.up[3].kind else {
        panic!()
    };
    let OpKind::AlterColumn { column: id, .. } = &m.up[4].kind else {
        panic!()
    };
    let kinds: Vec<StepKind> = steps(&m, Direction::Up, Sqlite)
        .unwrap()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            StepKind::SqliteRebuild {
                table: "t".into(),
                change: TableChange::DropColumns(vec!["a".into()])
            },
            StepKind::SqliteRebuild {
                table: "t".into(),
                change: TableChange::DropColumns(vec!["b".into(), "c".into()])
            },
            sql_step(r#"ALTER TABLE "t" RENAME COLUMN "d" TO "e""#, vec![]),
            StepKind::SqliteRebuild {
                table: "t".into(),
                change: TableChange::AlterColumn(render::rebuild_column("t", f))
            },
            StepKind::SqliteRebuild {
                table: "t".into(),
                change: TableChange::AlterColumn(render::rebuild_column("t", id))
            },
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            "DropForeignKeysOn { table: \"t\", columns: [\"a\"] }",
            "ALTER TABLE `t` DROP COLUMN `a`",
            "DropForeignKeysOn { table: \"t\", columns: [\"b\", \"c\"] }",
            "ALTER TABLE `t` DROP COLUMN `b`, DROP COLUMN `c`",
            "ALTER TABLE `t` RENAME COLUMN `d` TO `e`",
            "ALTER TABLE `t` MODIFY COLUMN `f` VARCHAR(20) NOT NULL DEFAULT 'x' COMMENT 'eff'",
            "ALTER TABLE `t` MODIFY COLUMN `id` INT UNSIGNED NOT NULL AUTO_INCREMENT",
        ]
    );
}

#[test]
fn indexes() {
    let y = r#"up:
  - create_index: {table: users, columns: [last_name, first_name]}
  - create_index: {table: users, columns: email, unique: true}
  - create_index: {table: users, columns: [city], name: by_city}
  - drop_index: {table: users, name: by_city}
  - drop_index: {table: users, columns: [email], unique: true}
  - drop_index: {table: users, columns: [last_name, first_name]}
"#;
    assert_eq!(
        up(y, Sqlite),
        [
            r#"CREATE INDEX "users_last_name_first_name_index" ON "users" ("last_name", "first_name")"#,
            r#"CREATE UNIQUE INDEX "users_email_unique" ON "users" ("email")"#,
            r#"CREATE INDEX "by_city" ON "users" ("city")"#,
            r#"DROP INDEX "by_city""#,
            r#"DROP INDEX "users_email_unique""#,
            r#"DROP INDEX "users_last_name_first_name_index""#,
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            "CREATE INDEX `users_last_name_first_name_index` ON `users` (`last_name`, `first_name`)",
            "CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`)",
            "CREATE INDEX `by_city` ON `users` (`city`)",
            "DROP INDEX `by_city` ON `users`",
            "DROP INDEX `users_email_unique` ON `users`",
            "DROP INDEX `users_last_name_first_name_index` ON `users`",
        ]
    );
}

#[test]
fn knex_default_names_are_lower_case() {
    let y = "up:\n  - create_index: {table: My-Table, columns: [Email]}\n";
    assert_eq!(
        up(y, Mysql),
        ["CREATE INDEX `my_table_email_index` ON `My-Table` (`Email`)"]
    );
}

#[test]
fn foreign_keys() {
    let y = r#"up:
  - add_foreign_key:
      table: posts
      columns: [author_id]
      references: { table: users, columns: [id] }
      on_delete: CASCADE
  - add_foreign_key: {table: posts, columns: [a, b], references: {table: pairs, columns: [x, y]}, name: posts_pair, on_update: no action}
  - drop_foreign_key: {table: posts, columns: [author_id]}
  - drop_foreign_key: {table: posts, name: posts_pair}
"#;
    let m = parse(y);
    let OpKind::AddForeignKey(fk) = &m.up[0].kind else {
        panic!()
    };
    assert_eq!(fk.name, "posts_author_id_foreign");
    let kinds: Vec<StepKind> = steps(&m, Direction::Up, Sqlite)
        .unwrap()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert!(
        matches!(&kinds[0], StepKind::SqliteRebuild { table, change: TableChange::AddForeignKey(f) } if table == "posts" && *f == render::rebuild_foreign_key(fk))
    );
    assert!(
        matches!(&kinds[3], StepKind::SqliteRebuild { change: TableChange::DropForeignKey(d), .. } if d.name == "posts_pair" && d.ref_table.is_none())
    );
    assert_eq!(
        up(y, Mysql),
        [
            "ALTER TABLE `posts` ADD CONSTRAINT `posts_author_id_foreign` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE CASCADE",
            "ALTER TABLE `posts` ADD CONSTRAINT `posts_pair` FOREIGN KEY (`a`, `b`) REFERENCES `pairs` (`x`, `y`) ON UPDATE NO ACTION",
            "ALTER TABLE `posts` DROP FOREIGN KEY `posts_author_id_foreign`",
            "ALTER TABLE `posts` DROP FOREIGN KEY `posts_pair`",
        ]
    );
}

#[test]
fn sql_op_is_split_into_statements() {
    let y = r#"up:
  - sql: |
      CREATE VIEW v AS SELECT 1 AS one;
      -- a comment
      INSERT INTO t (s) VALUES ('a;b');
  - sql:
      sqlite: "PRAGMA user_version = 3"
      mysql: "SET @x = 1; SET @y = 2"
"#;
    let m = parse(y);
    let s = steps(&m, Direction::Up, Sqlite).unwrap();
    assert_eq!(
        s,
        [
            Step {
                origin: "up[0].sql statement 1 (line 3)".into(),
                kind: sql_step("CREATE VIEW v AS SELECT 1 AS one", vec![])
            },
            Step {
                origin: "up[0].sql statement 2 (line 5)".into(),
                kind: sql_step("INSERT INTO t (s) VALUES ('a;b')", vec![])
            },
            Step {
                origin: "up[1].sql".into(),
                kind: sql_step("PRAGMA user_version = 3", vec![])
            },
        ]
    );
    assert_eq!(
        up(y, Mysql)[2..],
        ["SET @x = 1".to_string(), "SET @y = 2".to_string()]
    );
}

#[test]
fn sql_op_without_text_for_the_dialect_fails_at_plan_time() {
    let y = "up:\n  - create_index: {table: t, columns: [a]}\n  - sql:\n      sqlite: SELECT 1\n";
    assert!(steps(&parse(y), Direction::Up, Sqlite).is_ok());
    let e = steps(&parse(y), Direction::Up, Mysql).unwrap_err();
    assert_err(
        &e,
        "up[1].sql",
        3,
        "this `sql` operation has no text for mysql (only `sqlite:`); add a `mysql:` text to run it on mysql",
    );
}

#[test]
fn sql_op_split_errors_carry_the_file_line() {
    let y = "up:\n  - sql: |\n      SELECT 1;\n      SELECT 'oops\n";
    let e = steps(&parse(y), Direction::Up, Sqlite).unwrap_err();
    assert_eq!(e.path, "up[0].sql");
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.message.contains("unterminated"), "{e}");
}

#[test]
fn insert_binds_every_value() {
    let y = r#"up:
  - insert:
      table: settings
      rows:
        - { key: a, value: 1, enabled: true, meta: { x: [1, 2] }, note: null }
        - { key: b, value: 2.5, enabled: false, meta: [a], note: "Robert'); DROP TABLE x;--" }
"#;
    let s = steps(&parse(y), Direction::Up, Sqlite).unwrap();
    assert_eq!(
        s[0].kind,
        sql_step(
            r#"INSERT INTO "settings" ("key", "value", "enabled", "meta", "note") VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"#,
            vec![
                t("a"),
                Value::Int(1),
                Value::Int(1),
                t(r#"{"x":[1,2]}"#),
                Value::Null,
                t("b"),
                Value::Float(2.5),
                Value::Int(0),
                t(r#"["a"]"#),
                t("Robert'); DROP TABLE x;--"),
            ]
        )
    );
    assert_eq!(s.len(), 1);
}

#[test]
fn insert_rows_with_different_columns_leave_missing_ones_out() {
    let y = r#"up:
  - insert:
      table: t
      rows:
        - { a: 1, b: 2 }
        - { b: 4, a: 3 }
        - { a: 5 }
        - { a: 6, b: 7 }
"#;
    let s = steps(&parse(y), Direction::Up, Mysql).unwrap();
    let kinds: Vec<StepKind> = s.into_iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            sql_step(
                "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?)",
                vec![Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(4)]
            ),
            sql_step("INSERT INTO `t` (`a`) VALUES (?)", vec![Value::Int(5)]),
            sql_step(
                "INSERT INTO `t` (`a`, `b`) VALUES (?, ?)",
                vec![Value::Int(6), Value::Int(7)]
            ),
        ]
    );
}

#[test]
fn insert_is_chunked() {
    let mut y = String::from("up:\n  - insert:\n      table: t\n      rows:\n");
    for i in 0..2500 {
        y.push_str(&format!("        - {{ a: {i}, b: x }}\n"));
    }
    let s = steps(&parse(&y), Direction::Up, Sqlite).unwrap();
    let sizes: Vec<usize> = s
        .iter()
        .map(|s| match &s.kind {
            StepKind::Sql { params, .. } => params.len(),
            _ => 0,
        })
        .collect();
    assert_eq!(sizes, [2000, 2000, 1000]);
    // Wide rows: at most 10000 parameters per statement.
    let cols: Vec<String> = (0..40).map(|i| format!("c{i}: {i}")).collect();
    let mut y = String::from("up:\n  - insert:\n      table: t\n      rows:\n");
    for _ in 0..300 {
        y.push_str(&format!("        - {{ {} }}\n", cols.join(", ")));
    }
    let s = steps(&parse(&y), Direction::Up, Sqlite).unwrap();
    let sizes: Vec<usize> = s
        .iter()
        .map(|s| match &s.kind {
            StepKind::Sql { params, .. } => params.len(),
            _ => 0,
        })
        .collect();
    assert_eq!(sizes, [250 * 40, 50 * 40]);
}

#[test]
fn delete_op() {
    let y = "up:\n  - delete: {table: t, where: {a: 1, b: null, c: x}}\n";
    let s = steps(&parse(y), Direction::Up, Sqlite).unwrap();
    assert_eq!(
        s[0].kind,
        sql_step(
            r#"DELETE FROM "t" WHERE "a" = ? AND "b" IS NULL AND "c" = ?"#,
            vec![Value::Int(1), t("x")]
        )
    );
    assert_eq!(
        up(y, Mysql),
        ["DELETE FROM `t` WHERE `a` = ? AND `b` IS NULL AND `c` = ?"]
    );
}

#[test]
fn identifiers_are_quoted() {
    let y = "up:\n  - create_table: {name: 'we\"ird`', columns: [{name: 'a b', type: integer}]}\n";
    assert_eq!(
        up(y, Sqlite),
        [r#"CREATE TABLE "we""ird`" ("a b" INTEGER)"#]
    );
    assert_eq!(up(y, Mysql), ["CREATE TABLE `we\"ird``` (`a b` INT NULL)"]);
}

#[test]
fn defaults_of_every_kind() {
    let y = r#"up:
  - create_table:
      name: t
      columns:
        - { name: a, type: string, default: "back\\slash 'q'" }
        - { name: b, type: integer, default: -3 }
        - { name: c, type: boolean, default: true }
        - { name: d, type: datetime, default: { sql: CURRENT_TIMESTAMP } }
        - { name: e, type: integer, default: { sql: "1 + 1" } }
        - { name: f, type: string, default: null }
"#;
    assert_eq!(
        up(y, Sqlite),
        [
            r#"CREATE TABLE "t" ("a" VARCHAR(255) DEFAULT 'back\slash ''q''', "b" INTEGER DEFAULT -3, "c" BOOLEAN DEFAULT 1, "d" DATETIME DEFAULT CURRENT_TIMESTAMP, "e" INTEGER DEFAULT (1 + 1), "f" VARCHAR(255) DEFAULT NULL)"#
        ]
    );
    assert_eq!(
        up(y, Mysql),
        [
            r"CREATE TABLE `t` (`a` VARCHAR(255) NULL DEFAULT 'back\\slash ''q''', `b` INT NULL DEFAULT -3, `c` TINYINT(1) NULL DEFAULT 1, `d` DATETIME NULL DEFAULT CURRENT_TIMESTAMP, `e` INT NULL DEFAULT (1 + 1), `f` VARCHAR(255) NULL DEFAULT NULL)"
        ]
    );
}

#[test]
fn yaml_anchors_and_merge_keys_work() {
    let y = r#"up:
  - create_table:
      name: t
      columns:
        - &money { name: price, type: decimal, precision: 10, scale: 2, nullable: false }
        - { <<: *money, name: cost }
"#;
    assert_eq!(
        up(y, Sqlite),
        [r#"CREATE TABLE "t" ("price" DECIMAL(10, 2) NOT NULL, "cost" DECIMAL(10, 2) NOT NULL)"#]
    );
}

// --- explicit and derived downs ---------------------------------------------------------------

#[test]
fn explicit_down_is_used_as_written() {
    let y = "up:\n  - drop_table: old\ndown:\n  - create_table: {name: old, columns: [{name: id, type: increments}]}\n";
    let s = steps(&parse(y), Direction::Down, Sqlite).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].origin, "down[0].create_table");
    let y = "up:\n  - drop_table: old\ndown: []\n";
    assert_eq!(steps(&parse(y), Direction::Down, Sqlite).unwrap(), []);
    let m = parse("up:\n  - drop_table: old\ndown:\n");
    assert_eq!(m.down, Some(vec![]));
}

#[test]
fn derived_down_of_every_reversible_op_on_mysql() {
    let y = r#"up:
  - create_table: {name: a, columns: [{name: id, type: increments}]}
  - rename_table: {from: b, to: c}
  - add_column: {table: c, columns: [{name: x, type: integer}, {name: y, type: integer, references: a.id}]}
  - rename_column: {table: c, from: p, to: q}
  - create_index: {table: c, columns: [x], unique: true}
  - add_foreign_key: {table: c, columns: [x], references: {table: a, columns: [id]}, on_delete: cascade}
  - drop_foreign_key: {table: c, columns: [q], references: a.id, on_update: restrict}
  - insert: {table: c, rows: [{x: 1, q: 2}, {x: 3, q: 4}], key: [x]}
  - insert: {table: a, rows: [{id: 5}]}
"#;
    let s = steps(&parse(y), Direction::Down, Mysql).unwrap();
    let got: Vec<(String, String)> = s
        .iter()
        .map(|s| (s.origin.clone(), show(s.kind.clone())))
        .collect();
    let want = [
        ("up[8].insert", "DELETE FROM `a`"),
        ("up[7].insert", "DELETE FROM `c` WHERE `x` IN (?, ?)"),
        ("up[6].drop_foreign_key", "ALTER TABLE `c` ADD CONSTRAINT `c_q_foreign` FOREIGN KEY (`q`) REFERENCES `a` (`id`) ON UPDATE RESTRICT"),
        ("up[5].add_foreign_key", "ALTER TABLE `c` DROP FOREIGN KEY `c_x_foreign`"),
        ("up[5].add_foreign_key", "DropIndexIfExists { table: \"c\", name: \"c_x_foreign\" }"),
        ("up[4].create_index", "DROP INDEX `c_x_unique` ON `c`"),
        ("up[3].rename_column", "ALTER TABLE `c` RENAME COLUMN `q` TO `p`"),
        ("up[2].add_column", "ALTER TABLE `c` DROP FOREIGN KEY `c_y_foreign`"),
        ("up[2].add_column", "DropForeignKeysOn { table: \"c\", columns: [\"y\", \"x\"] }"),
        ("up[2].add_column", "ALTER TABLE `c` DROP COLUMN `y`, DROP COLUMN `x`"),
        ("up[1].rename_table", "RENAME TABLE `c` TO `b`"),
        ("up[0].create_table", "DROP TABLE `a`"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(o, s)| (format!("down (derived from {o})"), s.to_string()))
        .collect();
    assert_eq!(got, want);
    // The rows are deleted newest first, by the given key.
    assert_eq!(
        s[1].kind,
        sql_step(
            "DELETE FROM `c` WHERE `x` IN (?, ?)",
            vec![Value::Int(3), Value::Int(1)]
        )
    );
}

#[test]
fn derived_down_of_every_reversible_op_on_sqlite() {
    let y = r#"up:
  - create_table: {name: a, columns: [{name: id, type: increments}]}
  - rename_table: {from: b, to: c}
  - add_column: {table: c, column: {name: x, type: integer}}
  - rename_column: {table: c, from: p, to: q}
  - create_index: {table: c, columns: [x]}
  - add_foreign_key: {table: c, columns: [x], references: {table: a, columns: [id]}}
  - drop_foreign_key: {table: c, columns: [q], references: a.id}
"#;
    let m = parse(y);
    let OpKind::AddForeignKey(added) = &m.up[5].kind else {
        panic!()
    };
    let OpKind::DropForeignKey(dropped) = &m.up[6].kind else {
        panic!()
    };
    let kinds: Vec<StepKind> = steps(&m, Direction::Down, Sqlite)
        .unwrap()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    let rebuild = |change| StepKind::SqliteRebuild {
        table: "c".into(),
        change,
    };
    assert_eq!(
        kinds,
        [
            rebuild(TableChange::AddForeignKey(render::rebuild_foreign_key(
                dropped.spec.as_ref().unwrap()
            ))),
            rebuild(TableChange::DropForeignKey(
                render::rebuild_drop_foreign_key(&DropForeignKey {
                    table: "c".into(),
                    name: "c_x_foreign".into(),
                    columns: vec!["x".into()],
                    spec: Some(added.clone()),
                })
            )),
            sql_step(r#"DROP INDEX "c_x_index""#, vec![]),
            sql_step(r#"ALTER TABLE "c" RENAME COLUMN "q" TO "p""#, vec![]),
            rebuild(TableChange::DropColumns(vec!["x".into()])),
            sql_step(r#"ALTER TABLE "c" RENAME TO "b""#, vec![]),
            sql_step(r#"DROP TABLE "a""#, vec![]),
        ]
    );
}

#[test]
fn derived_down_of_insert_without_key_deletes_by_primary_key_at_run_time() {
    let y = "up:\n  - insert: {table: roles, rows: [{id: 1, name: admin}, {id: 2, name: user}]}\n";
    let s = steps(&parse(y), Direction::Down, Sqlite).unwrap();
    assert_eq!(
        s,
        [Step {
            origin: "down (derived from up[0].insert)".into(),
            kind: StepKind::DeleteByPrimaryKey {
                table: "roles".into(),
                rows: vec![
                    vec![("id".into(), Value::Int(2)), ("name".into(), t("user"))],
                    vec![("id".into(), Value::Int(1)), ("name".into(), t("admin"))],
                ]
            }
        }]
    );
}

#[test]
fn derived_down_empties_tables_created_in_the_file_even_after_a_rename() {
    let y = r#"up:
  - create_table: {name: a, columns: [{name: id, type: increments}, {name: n, type: string}]}
  - rename_table: {from: a, to: b}
  - insert: {table: b, rows: [{n: x}]}
"#;
    assert_eq!(
        down(y, Sqlite),
        [
            r#"DELETE FROM "b""#,
            r#"ALTER TABLE "b" RENAME TO "a""#,
            r#"DROP TABLE "a""#
        ]
    );
}

#[test]
fn irreversible_ops_are_refused_when_rolling_back() {
    let cases = [
        ("drop_table: t", "drop_table"),
        ("drop_column: {table: t, column: c}", "drop_column"),
        (
            "alter_column: {table: t, column: {name: c, type: text}}",
            "alter_column",
        ),
        ("drop_index: {table: t, name: i}", "drop_index"),
        ("sql: SELECT 1", "sql"),
        ("delete: {table: t, where: {id: 1}}", "delete"),
    ];
    for (op, name) in cases {
        let y = format!("up:\n  - create_index: {{table: t, columns: [c]}}\n  - {op}\n");
        for d in [Sqlite, Mysql] {
            let e = down_err(&y, d);
            assert_err(
                &e,
                &format!("up[1].{name}"),
                3,
                &format!("`{name}` has no automatic reverse: write a `down:` section"),
            );
        }
        // With a `down:` it is fine.
        let y = format!("{y}down: []\n");
        assert_eq!(steps(&parse(&y), Direction::Down, Sqlite).unwrap(), []);
    }
    let y = "up:\n  - drop_foreign_key: {table: t, name: fk}\n";
    let e = down_err(y, Mysql);
    assert_eq!(
        (e.path.as_str(), e.line),
        ("up[0].drop_foreign_key", Some(2))
    );
    assert!(
        e.message
            .starts_with("`drop_foreign_key` has no automatic reverse"),
        "{e}"
    );
    assert!(e.message.contains("write a `down:` section"), "{e}");
}

#[test]
fn derived_down_of_insert_with_a_key_missing_from_a_row_is_refused() {
    // Caught when parsing: every row must have the key columns.
    let y = "up:\n  - insert:\n      table: t\n      key: [code]\n      rows:\n        - {code: a}\n        - {name: b}\n";
    assert_err(
        &err(y),
        "up[0].insert.rows[1]",
        7,
        "this row has no value for the key column `code`",
    );
}

#[test]
fn delete_by_key_batches() {
    let rows = vec![
        vec![("a".to_string(), Value::Int(1)), ("b".to_string(), t("x"))],
        vec![
            ("a".to_string(), Value::Int(2)),
            ("b".to_string(), Value::Null),
        ],
    ];
    assert_eq!(
        delete_by_key("t", &["A".into()], &rows, Sqlite).unwrap(),
        [(
            r#"DELETE FROM "t" WHERE "A" IN (?, ?)"#.to_string(),
            vec![Value::Int(1), Value::Int(2)]
        )]
    );
    assert_eq!(
        delete_by_key("t", &["a".into(), "b".into()], &rows, Mysql).unwrap(),
        [(
            "DELETE FROM `t` WHERE (`a` = ? AND `b` = ?) OR (`a` = ? AND `b` IS NULL)".to_string(),
            vec![Value::Int(1), t("x"), Value::Int(2)]
        )]
    );
    assert_eq!(
        delete_by_key("t", &["b".into()], &rows, Sqlite).unwrap(),
        [
            (r#"DELETE FROM "t" WHERE "b" IS NULL"#.to_string(), vec![]),
            (
                r#"DELETE FROM "t" WHERE "b" IN (?)"#.to_string(),
                vec![t("x")]
            ),
        ]
    );
    assert_eq!(
        delete_by_key("t", &["id".into()], &rows, Sqlite).unwrap_err(),
        "row 1 inserted into `t` has no value for the key column `id`, so it cannot be deleted by key"
    );
    assert!(delete_by_key("t", &[], &rows, Sqlite).is_err());
    let many: Vec<Vec<(String, Value)>> = (0..2500)
        .map(|i| vec![("id".to_string(), Value::Int(i))])
        .collect();
    let stmts = delete_by_key("t", &["id".into()], &many, Sqlite).unwrap();
    assert_eq!(
        stmts.iter().map(|(_, p)| p.len()).collect::<Vec<_>>(),
        [1000, 1000, 500]
    );
}

// --- previews ---------------------------------------------------------------------------------

#[test]
fn previews() {
    let step = Step {
        origin: "up[0].insert".into(),
        kind: sql_step(
            r#"INSERT INTO "a?b" ("x", "y", "z", "w") VALUES (?, ?, ?, ?)"#,
            vec![
                t("it's ?"),
                Value::Null,
                Value::Float(2.0),
                Value::Bytes(vec![1, 171]),
            ],
        ),
    };
    assert_eq!(
        preview(&step, Sqlite),
        r#"INSERT INTO "a?b" ("x", "y", "z", "w") VALUES ('it''s ?', NULL, 2.0, X'01AB');"#
    );
    let step = Step {
        origin: "up[0].insert".into(),
        kind: sql_step("INSERT INTO `t` (`x`) VALUES (?)", vec![t("a\\b")]),
    };
    assert_eq!(
        preview(&step, Mysql),
        r"INSERT INTO `t` (`x`) VALUES ('a\\b');"
    );
    let trigger = Step {
        origin: "up[0].sql".into(),
        kind: sql_step(
            "CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END",
            vec![],
        ),
    };
    assert_eq!(
        preview(&trigger, Mysql),
        "DELIMITER $$\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END$$\nDELIMITER ;"
    );

    let y = "up:\n  - alter_column: {table: users, column: {name: name, type: string(100), nullable: false}}\n";
    let s = steps(&parse(y), Direction::Up, Sqlite).unwrap();
    assert_eq!(
        preview(&s[0], Sqlite),
        concat!(
            "-- rebuild table \"users\": change column \"name\" to \"name\" VARCHAR(100) NOT NULL\n",
            "-- the SQL depends on the live table definition, read from sqlite_master at run time:\n",
            "-- CREATE TABLE \"_furrow_new_users\" (…with the change…); INSERT INTO \"_furrow_new_users\" SELECT … FROM \"users\";\n",
            "-- DROP TABLE \"users\"; ALTER TABLE \"_furrow_new_users\" RENAME TO \"users\"; then its indexes and triggers are re-created"
        )
    );

    let y = "up:\n  - insert: {table: roles, rows: [{id: 1, name: admin}, {id: 2, name: user}]}\n";
    let s = steps(&parse(y), Direction::Down, Mysql).unwrap();
    assert_eq!(
        preview(&s[0], Mysql),
        "-- delete the 2 inserted row(s) from `roles` by its primary key, read from the database at run time; assuming it is (id):\nDELETE FROM `roles` WHERE `id` IN (2, 1);"
    );
}

// --- errors -----------------------------------------------------------------------------------

#[test]
fn unknown_key_names_the_nearest() {
    let y = r#"up:
  - create_table:
      name: users
      columns:
        - name: id
          type: increments
        - name: email
          type: string
          nulable: false
"#;
    assert_err(
        &err(y),
        "up[0].create_table.columns[1].nulable",
        9,
        "unknown key `nulable`; did you mean `nullable`?",
    );
    let y = "up:\n  - create_table:\n      name: t\n      primarykey: [a]\n      columns: [{name: a, type: integer}]\n";
    assert_err(
        &err(y),
        "up[0].create_table.primarykey",
        4,
        "unknown key `primarykey`; did you mean `primary_key`?",
    );
    let y = "up:\n  - create_table:\n      name: t\n      colour: red\n";
    assert_err(
        &err(y),
        "up[0].create_table.colour",
        4,
        "unknown key `colour`",
    );
}

#[test]
fn unknown_op_names_the_nearest() {
    let y = "up:\n  - create_index: {table: t, columns: [a]}\n  - crate_table:\n      name: t\n";
    assert_err(
        &err(y),
        "up[1].crate_table",
        3,
        "unknown operation `crate_table`; did you mean `create_table`?",
    );
    let y = "up:\n  - addColum: {table: t}\n";
    assert_err(
        &err(y),
        "up[0].addColum",
        2,
        "unknown operation `addColum`; did you mean `addColumn`?",
    );
}

#[test]
fn unknown_type_names_the_nearest() {
    let y = "up:\n  - create_table:\n      name: t\n      columns:\n        - { name: a, type: integr }\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0].type",
        5,
        "unknown type `integr`; did you mean `integer`?",
    );
    let y = "up:\n  - create_table:\n      name: t\n      columns:\n        - name: a\n          type: strin(20)\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0].type",
        6,
        "unknown type `strin`; did you mean `string`?",
    );
}

#[test]
fn missing_required_fields() {
    let y = "up:\n  - create_table:\n      name: t\n      columns:\n        - name: a\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0]",
        5,
        "missing required key `type` (e.g. `type: string`)",
    );
    let y = "up:\n  - create_table:\n      columns: [{name: a, type: integer}]\n";
    assert_err(
        &err(y),
        "up[0].create_table",
        2,
        "missing required key `name`",
    );
    let y = "up:\n  - rename_column: {table: t, from: a}\n";
    assert_err(
        &err(y),
        "up[0].rename_column",
        2,
        "missing required key `to`",
    );
    let y = "up:\n  - add_column: {table: t}\n";
    assert_err(
        &err(y),
        "up[0].add_column",
        2,
        "missing required key `column` (one column definition) or `columns` (a list)",
    );
    let y = "down: []\n";
    assert_eq!(
        err(y).message,
        "missing required key `up` (the list of operations to apply)"
    );
}

#[test]
fn enum_without_values() {
    let y = "up:\n  - create_table:\n      name: t\n      columns:\n        - { name: status, type: enum }\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0]",
        5,
        "type `enum` needs `values:`, the list of allowed values (e.g. `values: [draft, published]`)",
    );
    let y = "up:\n  - create_table:\n      name: t\n      columns:\n        - { name: status, type: enum, values: [] }\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0].values",
        5,
        "expected a non-empty list of values, found a list",
    );
}

#[test]
fn malformed_references() {
    for bad in ["users", "users.id.x", ".id", "users."] {
        let y = format!("up:\n  - add_column:\n      table: t\n      column:\n        name: user_id\n        type: integer\n        references: \"{bad}\"\n");
        assert_err(
            &err(&y),
            "up[0].add_column.column.references",
            7,
            &format!("`references` must be `table.column` (e.g. `users.id`), found `{bad}`"),
        );
    }
    let y =
        "up:\n  - add_column: {table: t, column: {name: a, type: integer, on_delete: cascade}}\n";
    assert_err(
        &err(y),
        "up[0].add_column.column.on_delete",
        2,
        "`on_delete` needs `references: table.column`",
    );
    let y = "up:\n  - add_column: {table: t, column: {name: a, type: integer, references: u.id, on_delete: explode}}\n";
    assert_err(
        &err(y),
        "up[0].add_column.column.on_delete",
        2,
        "unknown action `explode` for `on_delete`; expected one of CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION",
    );
}

#[test]
fn insert_row_with_a_column_the_new_table_lacks() {
    let y = r#"up:
  - create_table:
      name: roles
      columns:
        - { name: id, type: increments }
        - { name: name, type: string }
  - insert:
      table: roles
      rows:
        - { id: 1, name: admin }
        - { id: 2, nmae: user }
"#;
    assert_err(
        &err(y),
        "up[1].insert.rows[1].nmae",
        11,
        "table `roles` (created above in this file) has no column `nmae`; did you mean `name`?",
    );
    // After an add_column the column is known; after a `sql:` op nothing is assumed.
    let ok = y.replace(
        "  - insert:",
        "  - add_column: {table: roles, column: {name: nmae, type: string}}\n  - insert:",
    );
    parse(&ok);
    let ok = y.replace(
        "  - insert:",
        "  - sql: ALTER TABLE roles ADD COLUMN nmae TEXT\n  - insert:",
    );
    parse(&ok);
}

#[test]
fn columns_of_a_new_table_are_checked_by_other_ops() {
    let y = "up:\n  - create_table: {name: t, columns: [{name: a, type: integer}]}\n  - create_index: {table: t, columns: [a, b]}\n";
    assert_err(
        &err(y),
        "up[1].create_index.columns[1]",
        3,
        "table `t` (created above in this file) has no column `b`",
    );
    let y = "up:\n  - create_table:\n      name: t\n      columns: [{name: a, type: integer}]\n      indexes: [{columns: [aa]}]\n";
    assert_err(
        &err(y),
        "up[0].create_table.indexes[0].columns[0]",
        5,
        "table `t` has no column `aa`; did you mean `a`?",
    );
}

#[test]
fn wrong_value_types() {
    let y = "up:\n  - create_index: {table: t, columns: {a: 1}}\n";
    assert_err(
        &err(y),
        "up[0].create_index.columns",
        2,
        "expected a list of column names, found a map",
    );
    let y = "up:\n  - create_table:\n      name: t\n      columns: [{name: a, type: integer, nullable: nope}]\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0].nullable",
        4,
        "expected true or false for `nullable`, found a string",
    );
    let y = "up:\n  - create_table:\n      name: [t]\n      columns: [{name: a, type: integer}]\n";
    assert_err(
        &err(y),
        "up[0].create_table.name",
        3,
        "expected a table name (a string), found a list",
    );
    let y = "up:\n  - create_table:\n      name: t\n      columns: a\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns",
        4,
        "expected a list of columns, found a string",
    );
    let y = "up:\n  - insert: {table: t, rows: {a: 1}}\n";
    assert_err(
        &err(y),
        "up[0].insert.rows",
        2,
        "expected a list of rows (maps of column: value), found a map",
    );
    let y = "up:\n  - create_table: {name: t, columns: [{name: a, type: string, length: long}]}\n";
    assert_err(
        &err(y),
        "up[0].create_table.columns[0].length",
        2,
        "expected a whole number from 1 to 65535 for `length`, found `long`",
    );
    let y = "transaction: yes please\nup:\n  - drop_table: t\n";
    assert_err(
        &err(y),
        "transaction",
        1,
        "expected true or false for `transaction`, found a string",
    );
}

#[test]
fn invalid_identifiers() {
    let long = "x".repeat(65);
    let y = format!("up:\n  - drop_table: {long}\n");
    assert_err(
        &err(&y),
        "up[0].drop_table",
        2,
        &format!("`{long}` is longer than 64 characters (MySQL's limit for identifiers)"),
    );
    let y = "up:\n  - drop_table: ''\n";
    assert_err(
        &err(y),
        "up[0].drop_table",
        2,
        "an empty name is not a valid identifier",
    );
    let y = "up:\n  - drop_table: \"a\\0b\"\n";
    assert_err(
        &err(y),
        "up[0].drop_table",
        2,
        "`a\\0b` contains a NUL character",
    );
    // A default index name over 64 characters must be named explicitly.
    let y = format!(
        "up:\n  - create_index: {{table: {}, columns: [a]}}\n",
        "t".repeat(60)
    );
    let e = err(&y);
    assert_eq!(e.path, "up[0].create_index");
    assert!(
        e.message.starts_with("the default index name is too long"),
        "{e}"
    );
}

#[test]
fn top_level_errors() {
    let y = "up:\n  - drop_table: t\ndwon: []\n";
    assert_err(
        &err(y),
        "dwon",
        3,
        "unknown key `dwon`; did you mean `down`?",
    );
    let y = "up: []\n";
    assert_err(
        &err(y),
        "up",
        1,
        "`up` is empty: give at least one operation",
    );
    assert_eq!(
        err("").message,
        "the file is empty: a YAML migration needs an `up:` list of operations"
    );
    assert_eq!(
        err("- drop_table: t\n").message,
        "expected a map with `up:` (and optionally `down:`, `transaction:`), found a list"
    );
    let y = "up:\n  - drop_table: t\n    rename_table: {from: a, to: b}\n";
    assert_err(
        &err(y),
        "up[0]",
        2,
        "each operation is a map with one key (the operation's name), found 2: `drop_table`, `rename_table`; check the indentation of its fields",
    );
    let y = "up:\n  - create_table\n";
    assert_err(
        &err(y),
        "up[0]",
        2,
        "expected an operation like `- create_table: {…}`, found the string `create_table`",
    );
}

#[test]
fn yaml_syntax_errors_carry_serde_yaml_line() {
    let y = "up:\n  - create_table:\n      name: t\n     columns: [\n";
    let e = err(y);
    assert_eq!(e.path, "");
    assert!(e.line.is_some_and(|l| l >= 4), "{e}");
    assert!(e.message.starts_with("invalid YAML: "), "{e}");
    assert!(!e.message.contains(" at line "), "{e}");
    assert!(e
        .to_string()
        .starts_with(&format!("line {}: invalid YAML", e.line.unwrap())));
}

#[test]
fn other_validation_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: integer}, {name: A, type: text}]}\n",
            "up[0].create_table.columns[1]",
            "column `A` is defined twice",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: increments}, {name: b, type: increments}]}\n",
            "up[0].create_table.columns[1]",
            "a table has at most one increments column; `a` is already one",
        ),
        (
            "up:\n  - create_table: {name: t, primary_key: [b], columns: [{name: a, type: increments}, {name: b, type: integer}]}\n",
            "up[0].create_table",
            "`a` is an increments column, which is already the primary key; remove the other primary key columns (b)",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: text, unsigned: true}]}\n",
            "up[0].create_table.columns[0].unsigned",
            "`unsigned` applies only to numeric types",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: integer, length: 3}]}\n",
            "up[0].create_table.columns[0].length",
            "`length` does not apply to type `integer`",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: string(3), length: 3}]}\n",
            "up[0].create_table.columns[0].length",
            "the size is given twice: in `type: string(3)` and in `length`",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: \"decimal(2,5)\"}]}\n",
            "up[0].create_table.columns[0].type",
            "decimal(2,5): the precision must be 1 to 65 and the scale at most the precision",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: text(5)}]}\n",
            "up[0].create_table.columns[0].type",
            "type `text` takes no size",
        ),
        (
            "up:\n  - alter_column: {table: t, column: {name: a, type: integer, unique: true}}\n",
            "up[0].alter_column.column.unique",
            "alter_column changes a column's type, nullability, default and comment; for `unique` use create_index / drop_index",
        ),
        (
            "up:\n  - add_foreign_key: {table: t, columns: [a, b], references: u.id}\n",
            "up[0].add_foreign_key.references",
            "2 referencing column(s) but 1 referenced: the lists must have the same length",
        ),
        (
            "up:\n  - drop_index: {table: t}\n",
            "up[0].drop_index",
            "missing required key `name` (or `columns`, from which the default name is derived)",
        ),
        (
            "up:\n  - delete: {table: t, where: {}}\n",
            "up[0].delete.where",
            "`where` is empty: to delete every row, use a `sql:` operation",
        ),
        (
            "up:\n  - create_table: {name: t, primaryKey: [a], primary_key: [a], columns: [{name: a, type: integer}]}\n",
            "up[0].create_table.primary_key",
            "`primary_key` and `primaryKey` are the same key: give it once",
        ),
        (
            "up:\n  - create_table: {name: t, timestamps: true, columns: [{name: created_at, type: integer}]}\n",
            "up[0].create_table.timestamps",
            "`timestamps: true` adds `created_at`, which is already a column",
        ),
        (
            "up:\n  - create_table: {name: t, columns: [{name: a, type: integer, unique: true}], indexes: [{columns: [a], unique: true}]}\n",
            "up[0].create_table",
            "two indexes or foreign keys are named `t_a_unique`: give one of them another `name:`",
        ),
        (
            "up:\n  - sql: {postgres: SELECT 1}\n",
            "up[0].sql.postgres",
            "unknown key `postgres`",
        ),
        (
            "up:\n  - insert: {table: t, rows: [{a: 1, A: 2}]}\n",
            "up[0].insert.rows[0].A",
            "column `A` is given twice",
        ),
    ];
    for (y, path, message) in cases {
        let e = err(y);
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            (*path, *message),
            "{y}"
        );
        assert_eq!(e.line, Some(2), "{e}");
    }
}

#[test]
fn error_display() {
    let e = SchemaError {
        message: "m".into(),
        path: "up[0]".into(),
        line: Some(3),
    };
    assert_eq!(e.to_string(), "line 3: up[0]: m");
    let e = SchemaError { line: None, ..e };
    assert_eq!(e.to_string(), "up[0]: m");
}

#[test]
fn create_table_if_not_exists_has_no_derived_down() {
    let y = "up:\n  - create_table: {name: a, if_not_exists: true, columns: [{name: id, type: increments}]}\n";
    let e = steps(&parse(y), Direction::Down, Sqlite).unwrap_err();
    assert_eq!(e.path, "up[0].create_table");
    assert!(
        e.message.contains("may have existed before"),
        "{}",
        e.message
    );
    let with_down = format!("{y}down:\n  - drop_table: a\n");
    assert_eq!(down(&with_down, Sqlite), [r#"DROP TABLE "a""#]);
}

#[test]
fn a_lint_key_beside_an_op_silences_codes_and_is_checked() {
    let m = parse(
        "up:\n  - create_table:\n      name: audit\n      columns:\n        - { name: msg, type: text }\n    lint: { ignore: [cl101, CL102], reason: one node writes it }\n  - drop_table: old\n",
    );
    let ignores: Vec<(&str, Option<&str>)> = m.up[0]
        .lint_ignore
        .iter()
        .map(|i| (i.code.as_str(), i.reason.as_deref()))
        .collect();
    assert_eq!(
        ignores,
        [
            ("CL101", Some("one node writes it")),
            ("CL102", Some("one node writes it"))
        ]
    );
    assert!(m.up[1].lint_ignore.is_empty());
    let e = err("up:\n  - drop_table: old\n    lint: [CL101]\n");
    assert_eq!(e.path, "up[0].lint");
    assert!(e.message.contains("lint: {ignore: [CODE"), "{e}");
}
