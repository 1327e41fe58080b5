//! Databases that Knex and dbmate wrote: Knex's lock protocol, Knex history matched by
//! stem, other tools' tables read (or refused) without being altered, migrate:adopt.
//! Fixtures are written here in the shapes those tools create.

use std::process::Stdio;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use sha2::{Digest, Sha256};

use crate::both;
use crate::mysql_test;
use crate::support::*;

const KNEX: &str =
    "  migrations:\n    tableName: knex_migrations\n    extension: yaml\n    lockTimeout: 1\n";

/// `knex_migrations` and `knex_migrations_lock` as Knex creates them (table-creator.js), its
/// one lock row, three migrations Knex ran in two batches, and the tables they made.
/// Knex on SQLite stores migration_time as milliseconds since the epoch.
fn knex_fixture(p: &Project) {
    let mut db = p.db();
    match p.backend {
        Backend::Sqlite => db.exec(
            "CREATE TABLE `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime);
             CREATE TABLE `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer);
             INSERT INTO `knex_migrations_lock` (`is_locked`) VALUES (0);
             INSERT INTO `knex_migrations` (`name`, `batch`, `migration_time`) VALUES
               ('20240101000000_create_users.js', 1, 1704103200000),
               ('20240102000000_add_email.js', 1, 1704103200150),
               ('20240103000000_create_posts.js', 2, 1704189600000);",
        ),
        Backend::Mysql => db.exec(
            "CREATE TABLE `knex_migrations` (`id` int unsigned not null auto_increment primary key, `name` varchar(255), `batch` int, `migration_time` timestamp NULL DEFAULT NULL) DEFAULT CHARSET=utf8mb4;
             CREATE TABLE `knex_migrations_lock` (`index` int unsigned not null auto_increment primary key, `is_locked` int) DEFAULT CHARSET=utf8mb4;
             INSERT INTO `knex_migrations_lock` (`is_locked`) VALUES (0);
             INSERT INTO `knex_migrations` (`name`, `batch`, `migration_time`) VALUES
               ('20240101000000_create_users.js', 1, '2024-01-01 10:00:00'),
               ('20240102000000_add_email.js', 1, '2024-01-01 10:00:00'),
               ('20240103000000_create_posts.js', 2, '2024-01-02 10:00:00');",
        ),
    }
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255), email VARCHAR(255))");
    db.exec("CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(255))");
}

/// The furrow versions of Knex's three migrations, and one new migration.
fn furrow_versions(p: &Project) {
    p.migration(
        "20240101000000_create_users.yaml",
        "up:\n  - create_table:\n      name: users\n      columns:\n        - { name: id, type: increments }\n        - { name: name, type: string }\n",
    );
    p.migration(
        "20240102000000_add_email.yaml",
        "up:\n  - add_column:\n      table: users\n      column: { name: email, type: string }\n",
    );
    p.migration(
        "20240103000000_create_posts.yaml",
        "up:\n  - create_table:\n      name: posts\n      columns:\n        - { name: id, type: increments }\n        - { name: title, type: string }\n",
    );
    p.migration(
        "20240104000000_create_tags.yaml",
        "up:\n  - create_table:\n      name: tags\n      columns:\n        - { name: id, type: increments }\n",
    );
}

/// The Knex files themselves, as `knex migrate:make` writes them.
fn knex_files(p: &Project) {
    for n in [
        "20240101000000_create_users",
        "20240102000000_add_email",
        "20240103000000_create_posts",
    ] {
        p.migration(
            &format!("{n}.js"),
            "exports.up = function (knex) {};\nexports.down = function (knex) {};\n",
        );
    }
}

fn columns(db: &mut Db, table: &str) -> Vec<String> {
    match db {
        Db::Sqlite(_) => db.col(&format!("SELECT name FROM pragma_table_info('{table}')")),
        Db::Mysql(_) => db.col(&format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"
        )),
    }
}

/// Everything a test can compare to say "the database was left exactly as it was".
fn snapshot(p: &Project) -> Vec<String> {
    let mut db = p.db();
    let mut out = Vec::new();
    for t in db.tables() {
        let cols = columns(&mut db, &t);
        let rows = db.rows(&format!("SELECT * FROM `{t}`"));
        out.push(format!("{t}({}) {rows:?}", cols.join(",")));
    }
    out
}

/// Knex's `_lockMigrations`: one transaction, `UPDATE … SET is_locked = 1 WHERE is_locked = 0`;
/// true when it changed one row (Knex takes the lock), false for "already locked".
fn knex_acquires(p: &Project) -> bool {
    let sql = "UPDATE knex_migrations_lock SET is_locked = 1 WHERE is_locked = 0";
    let changed = match p.db() {
        Db::Sqlite(mut c) => {
            let tx = c.transaction().unwrap();
            let n = tx.execute(sql, []).unwrap();
            tx.commit().unwrap();
            n as u64
        }
        Db::Mysql(mut c) => {
            c.query_drop("START TRANSACTION").unwrap();
            c.query_drop(sql).unwrap();
            let n = c.affected_rows();
            c.query_drop("COMMIT").unwrap();
            n
        }
    };
    changed == 1
}

fn is_locked(p: &Project) -> Vec<String> {
    p.db().col("SELECT is_locked FROM knex_migrations_lock")
}

both! {
    fn read_only_commands_read_a_knex_table_without_altering_it(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        knex_fixture(&p);
        furrow_versions(&p);
        let before = snapshot(&p);
        p.run(&["migrate:status"])
            .code(0)
            .has("applied  20240101000000_create_users.yaml")
            .has("applied by Knex as 20240101000000_create_users.js")
            .has("applied by Knex as 20240103000000_create_posts.js")
            .has("pending  20240104000000_create_tags.yaml")
            .has("3 applied, 1 pending")
            .lacks("missing");
        let j = p.run(&["migrate:status", "--json"]).ok().json();
        assert_eq!(j["items"][0]["state"], "applied");
        assert_eq!(j["items"][0]["applied_by"], "knex");
        assert_eq!(j["items"][0]["tracked_as"], "20240101000000_create_users.js");
        p.run(&["migrate:list"]).ok().has("Found 3 Completed").has("Found 1 Pending").has("20240104000000_create_tags.yaml");
        p.run(&["migrate:currentVersion"]).ok().has("Current Version: 20240103000000");
        p.run(&["migrate:latest", "--dry-run"]).ok().has("Batch 3 would run: 1 migrations").has("20240104000000_create_tags.yaml");
        assert_eq!(snapshot(&p), before, "read-only commands changed nothing");

        // The first command that writes completes the table; Knex's rows and lock stay Knex's.
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 1 migrations").has("20240104000000_create_tags.yaml");
        let mut db = p.db();
        assert!(db.has_table("tags"));
        assert!(columns(&mut db, "knex_migrations").contains(&"checksum".to_string()));
        assert_eq!(columns(&mut db, "knex_migrations_lock"), vec!["index", "is_locked"]);
        assert_eq!(
            db.col("SELECT name FROM knex_migrations ORDER BY id"),
            vec![
                "20240101000000_create_users.js",
                "20240102000000_add_email.js",
                "20240103000000_create_posts.js",
                "20240104000000_create_tags.yaml",
            ]
        );
        assert_eq!(db.col("SELECT batch FROM knex_migrations ORDER BY id"), vec!["1", "1", "2", "3"]);
        assert_eq!(is_locked(&p), vec!["0"]);
        p.run(&["migrate:latest"]).ok().has("Already up to date");
    }

    fn rollback_of_a_migration_knex_applied_runs_the_furrow_down_and_deletes_the_knex_row(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        knex_fixture(&p);
        furrow_versions(&p);
        p.remove("migrations/20240104000000_create_tags.yaml");
        p.run(&["migrate:rollback"])
            .ok()
            .has("Batch 2 rolled back: 1 migrations")
            .has("20240103000000_create_posts.yaml (applied by Knex as 20240103000000_create_posts.js)");
        let mut db = p.db();
        assert!(!db.has_table("posts"), "the furrow file's derived down ran");
        assert_eq!(
            db.col("SELECT name FROM knex_migrations ORDER BY id"),
            vec!["20240101000000_create_users.js", "20240102000000_add_email.js"]
        );
        // Applying it again records the furrow name.
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 1 migrations");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM knex_migrations WHERE name = '20240103000000_create_posts.yaml'"), 1);
    }

    fn in_the_knex_directory_applied_js_files_are_applied_by_knex_not_missing(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        knex_fixture(&p);
        knex_files(&p);
        p.migration("20240104000000_create_tags.sql", &create_table_migration("tags"));
        p.run(&["migrate:status"])
            .code(0)
            .has("applied  20240101000000_create_users.js")
            .has("applied by Knex, from a Knex file furrow does not run")
            .has("3 applied, 1 pending")
            .lacks("missing");
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 1 migrations");
        p.run(&["migrate:status", "--check"]).code(0);
        // Without the Knex files the rows are missing, as they are.
        p.remove("migrations/20240102000000_add_email.js");
        p.run(&["migrate:status"]).ok().has("missing  20240102000000_add_email.js");
        // A Knex file cannot be rolled back by furrow: refused before anything runs.
        knex_files(&p);
        p.run(&["migrate:rollback", "--all"])
            .code(1)
            .has("cannot roll back 20240103000000_create_posts.js")
            .has("knex migrate:down");
        assert!(p.db().has_table("tags"), "nothing was rolled back");
    }

    fn furrow_waits_for_the_lock_knex_holds_then_fails_naming_it(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        knex_fixture(&p);
        furrow_versions(&p);
        // Knex is running (or died): is_locked = 1.
        p.db().exec("UPDATE knex_migrations_lock SET is_locked = 1");
        let start = Instant::now();
        let r = p.run(&["migrate:latest", "--json"]).code(1);
        assert!(start.elapsed() >= Duration::from_secs(1), "it waited lockTimeout");
        let j = r.json();
        assert_eq!(j["error"]["code"], "lock_timeout");
        let msg = j["error"]["message"].as_str().unwrap();
        assert!(msg.contains("Knex holds the migration lock `knex_migrations_lock`"), "{msg}");
        assert!(msg.contains("(lockTimeout)"), "{msg}");
        let mut db = p.db();
        assert!(!db.has_table("tags"), "nothing ran");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM knex_migrations"), 3);
        assert_eq!(is_locked(&p), vec!["1"], "Knex's lock is Knex's");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM knex_migrations_furrow_lock"), 0, "furrow's own lock was released");
        assert_eq!(columns(&mut db, "knex_migrations"), vec!["id", "name", "batch", "migration_time"], "Knex's table is altered only under the lock");
        // `migrate:unlock` clears it like `knex migrate:unlock`.
        p.run(&["migrate:unlock"]).ok().has("Knex's migration lock `knex_migrations_lock` released (is_locked was 1)");
        assert_eq!(is_locked(&p), vec!["0"]);
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 1 migrations");
    }

    fn furrow_holds_knex_lock_while_it_runs_and_frees_it(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        knex_fixture(&p);
        furrow_versions(&p);
        // A migration that records what a Knex run would see while furrow works.
        p.migration(
            "20240105000000_observe.yaml",
            "up:\n  - sql: CREATE TABLE seen AS SELECT is_locked FROM knex_migrations_lock\ndown:\n  - sql: DROP TABLE seen\n",
        );
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 2 migrations");
        let mut db = p.db();
        assert_eq!(db.col("SELECT is_locked FROM seen"), vec!["1"], "Knex saw it locked during the run");
        assert_eq!(is_locked(&p), vec!["0"], "and free after");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM knex_migrations_lock"), 1);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM knex_migrations_furrow_lock"), 0);
        assert!(knex_acquires(&p), "Knex takes the lock after furrow");
    }

    fn a_fresh_knex_migrations_table_gets_knexs_lock_table(p) {
        let p = { let mut p = p; p.set_extra(KNEX); p };
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        assert_eq!(columns(&mut db, "knex_migrations_lock"), vec!["index", "is_locked"]);
        assert_eq!(is_locked(&p), vec!["0"]);
        assert!(knex_acquires(&p));
        p.run(&["migrate:status"]).ok();
        p.run(&["migrate:rollback"]).code(1).has("Knex holds the migration lock");
    }

    fn a_dbmate_table_is_refused_unaltered_and_pointed_to_adopt(p) {
        let p = { let mut p = p; p.set_extra("  migrations:\n    tableName: schema_migrations\n    extension: sql\n"); p };
        dbmate_fixture(&p);
        let before = snapshot(&p);
        for args in [&["migrate:status"][..], &["migrate:latest"], &["migrate:latest", "--dry-run"], &["migrate:list"], &["migrate:rollback"]] {
            p.run(args)
                .code(1)
                .has("the migrations table `schema_migrations` was not written by furrow or Knex")
                .has("its columns are version varchar")
                .has("furrow migrate:adopt --from dbmate --table schema_migrations")
                .lacks("missing");
        }
        assert_eq!(snapshot(&p), before, "nothing was created or altered");
    }

    fn adopt_from_dbmate_records_each_version_by_its_file(p) {
        dbmate_fixture(&p);
        dbmate_files(&p);
        let dbmate_before = p.db().rows("SELECT * FROM schema_migrations ORDER BY version");
        let before = snapshot(&p);
        p.run(&["migrate:adopt", "--from", "dbmate", "--dry-run"]).ok().has("would record 2 migrations");
        assert_eq!(snapshot(&p), before, "a dry run changes nothing");
        let j = p.run(&["migrate:adopt", "--from", "dbmate", "--json"]).ok().json();
        assert_eq!(j["command"], "migrate:adopt");
        assert_eq!(j["adopted"][0]["name"], "20240101000000_create_users.sql");
        assert_eq!(j["adopted"][1]["version"], "20240102000000");
        let mut db = p.db();
        let rows = db.rows("SELECT name, batch, checksum, state FROM furrow_migrations ORDER BY id");
        let sum = |f: &str| {
            let bytes = std::fs::read(p.path(&format!("migrations/{f}"))).unwrap();
            Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        assert_eq!(
            rows,
            vec![
                vec!["20240101000000_create_users.sql".to_string(), "1".into(), sum("20240101000000_create_users.sql"), "applied".into()],
                vec!["20240102000000_add_email.sql".to_string(), "1".into(), sum("20240102000000_add_email.sql"), "applied".into()],
            ]
        );
        assert_eq!(db.rows("SELECT * FROM schema_migrations ORDER BY version"), dbmate_before, "dbmate's table is untouched");
        assert_eq!(columns(&mut db, "schema_migrations"), vec!["version"]);
        p.run(&["migrate:status"]).ok().has("2 applied, 1 pending");
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 1 migrations").has("20240103000000_create_posts.sql");
        assert!(db.has_table("posts"));
        p.run(&["migrate:adopt", "--from", "dbmate"]).ok().has("Nothing to adopt");
        // And back down through dbmate's own down sections.
        p.run(&["migrate:rollback", "--all"]).ok().has("rolled back: 3 migrations");
        assert!(!db.has_table("users"));
    }

    fn adopt_refuses_versions_without_files_before_writing_anything(p) {
        dbmate_fixture(&p);
        dbmate_files(&p);
        p.db().exec("INSERT INTO schema_migrations (version) VALUES ('20231231000000')");
        let before = snapshot(&p);
        p.run(&["migrate:adopt", "--from", "dbmate"])
            .code(1)
            .has("1 version(s) have no migration file")
            .has("20231231000000")
            .has("nothing was written");
        assert_eq!(snapshot(&p), before, "not even furrow's table was created");
        p.run(&["migrate:adopt", "--from", "dbmate", "--table", "nope"]).code(1).has("there is no table `nope`");
        p.run(&["migrate:adopt", "--from", "knex"]).code(2).has("needs no adoption");
        assert_eq!(snapshot(&p), before);
    }
}

/// dbmate's table as its sqlite and mysql drivers create it, with two applied versions.
fn dbmate_fixture(p: &Project) {
    let mut db = p.db();
    db.exec("create table if not exists schema_migrations (version varchar(128) primary key)");
    db.exec("insert into schema_migrations (version) values ('20240101000000')");
    db.exec("insert into schema_migrations (version) values ('20240102000000')");
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255))");
    db.exec("ALTER TABLE users ADD COLUMN email VARCHAR(255)");
}

/// dbmate's migration files (`dbmate new`), read by furrow as they are.
fn dbmate_files(p: &Project) {
    p.migration(
        "20240101000000_create_users.sql",
        "-- migrate:up\ncreate table users (id integer primary key, name varchar(255));\n\n-- migrate:down\ndrop table users;\n",
    );
    p.migration(
        "20240102000000_add_email.sql",
        "-- migrate:up\nalter table users add column email varchar(255);\n\n-- migrate:down\nalter table users drop column email;\n",
    );
    p.migration(
        "20240103000000_create_posts.sql",
        &create_table_migration("posts"),
    );
}

/// A migration the SQLite test stops inside (FURROW_TEST_PAUSE), after its first statement.
const SQLITE_LONG: &str = "-- migrate:up\nCREATE TABLE long_1 (id INTEGER);\nCREATE TABLE long_2 (id INTEGER);\n-- migrate:down\nDROP TABLE long_2;\nDROP TABLE long_1;\n";

fn kill_9_while_holding_knex_lock(
    p: &Project,
    long: &str,
    env: &[(&str, &std::path::Path)],
    mut started: impl FnMut() -> bool,
) {
    knex_fixture(p);
    furrow_versions(p);
    // Everything but the long migration first, so the killed run is inside that one.
    p.run(&["migrate:latest"]).ok();
    p.migration("20240105000000_long.sql", long);
    let mut cmd = p.command(&["migrate:latest"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = wait_for(30, &mut started);
    if !seen {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the runner never reached the long migration holding Knex's lock");
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the runner was still running when killed"
    );
    assert_eq!(
        is_locked(p),
        vec!["1"],
        "the killed runner left is_locked = 1"
    );
    assert!(
        !knex_acquires(p),
        "Knex is locked out until furrow clears it"
    );
    // The next furrow run proves the setter is dead and clears it.
    p.migration(
        "20240105000000_long.sql",
        "-- migrate:up\n-- migrate:down\n",
    );
    p.run(&["migrate:latest"])
        .ok()
        .has("Cleared Knex's lock `knex_migrations_lock`")
        .has("run: 1 migrations")
        .has("20240105000000_long.sql");
    // The migration that committed before the kill stays applied, once.
    assert_eq!(
        p.db().scalar(
            "SELECT COUNT(*) FROM knex_migrations WHERE name = '20240104000000_create_tags.yaml'"
        ),
        1
    );
    assert_eq!(is_locked(p), vec!["0"]);
    assert_eq!(
        p.db()
            .scalar("SELECT COUNT(*) FROM knex_migrations_furrow_lock"),
        0
    );
    assert!(knex_acquires(p), "a Knex run takes the lock again");
}

#[test]
fn kill_9_while_holding_knex_lock_sqlite() {
    let mut p = Project::new(Backend::Sqlite);
    p.set_extra(KNEX);
    // The runner stops after the long migration's first statement, holding Knex's lock.
    let marker = p.path("paused");
    kill_9_while_holding_knex_lock(
        &p,
        SQLITE_LONG,
        &[
            (
                "FURROW_TEST_PAUSE",
                std::path::Path::new("migrate-statement"),
            ),
            ("FURROW_TEST_PAUSE_FILE", &marker),
        ],
        || marker.exists(),
    );
}

mysql_test! {
    fn a_knex_transaction_holding_the_lock_row_is_waited_on_only_for_lock_timeout(p) {
        let mut p = p;
        p.set_extra(KNEX);
        knex_fixture(&p);
        furrow_versions(&p);
        // Knex's default: the lock UPDATE and its migrations in one open transaction.
        let mut knex = match p.db() { Db::Mysql(c) => c, Db::Sqlite(_) => unreachable!() };
        knex.query_drop("START TRANSACTION").unwrap();
        knex.query_drop("UPDATE knex_migrations_lock SET is_locked = 1 WHERE is_locked = 0").unwrap();
        let start = Instant::now();
        p.run(&["migrate:latest"]).code(1).has("Knex holds the migration lock `knex_migrations_lock`");
        assert!(start.elapsed() < Duration::from_secs(20), "bounded by lockTimeout, not innodb_lock_wait_timeout: {:?}", start.elapsed());
        knex.query_drop("ROLLBACK").unwrap();
        assert!(!p.db().has_table("tags"));
        // Once Knex is done, furrow runs.
        p.run(&["migrate:latest"]).ok().has("Batch 3 run: 1 migrations");
        assert_eq!(is_locked(&p), vec!["0"]);
    }

    fn kill_9_while_holding_knex_lock_mysql(p) {
        let mut p = p;
        p.set_extra(KNEX);
        let db = p.database.clone().unwrap();
        let mut admin = admin_conn();
        kill_9_while_holding_knex_lock(&p, "-- migrate:up\nDO SLEEP(60);\n-- migrate:down\n", &[], || {
            admin
                .query_first::<i64, _>(format!(
                    "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '{db}' AND info LIKE 'DO SLEEP%'"
                ))
                .unwrap()
                .unwrap_or(0)
                > 0
        });
    }
}
