//! The migration runner, end to end, on both engines.

use crate::both;
use crate::support::*;

fn accounts_sql() -> &'static str {
    "-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, description VARCHAR(200));\nINSERT INTO accounts (id, name, description) VALUES (1, 'John Smith', 'CEO');\n\n-- migrate:down\nDROP TABLE accounts;\n"
}

both! {
    fn walkthrough(p) {
        // init writes a knexfile; this one points at the test database.
        std::fs::remove_file(p.path("knexfile.yaml")).unwrap();
        std::fs::remove_dir(p.path("migrations")).unwrap();
        p.run(&["init"]).ok().has("Created ./knexfile.yaml").has("Created ./migrations/");
        assert!(p.path("seeds").is_dir());
        p.run(&["init"]).code(1).has("already exists");
        p.write_knexfile();
        let made = p.run(&["migrate:make", "create_accounts", "-x", "sql"]).ok();
        let made = made.stdout.lines().find(|l| l.starts_with("Created Migration: ")).unwrap().to_string();
        let rel = made.trim_start_matches("Created Migration: ").to_string();
        assert!(rel.starts_with("migrations/") && rel.ends_with("_create_accounts.sql"), "{rel}");
        let template = std::fs::read_to_string(p.path(&rel)).unwrap();
        assert!(template.contains("-- migrate:up") && template.contains("-- migrate:down"));
        p.write(&rel, accounts_sql());

        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations").has("_create_accounts.sql");
        let mut db = p.db();
        assert_eq!(db.col("SELECT name FROM accounts"), vec!["John Smith"]);
        assert_eq!(db.scalar("SELECT batch FROM furrow_migrations"), 1);
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
        let checksum = db.col("SELECT checksum FROM furrow_migrations").remove(0);
        assert_eq!(checksum.len(), 64);
        drop(db);
        p.run(&["migrate:latest"]).ok().has("Already up to date");

        p.run(&["migrate:rollback"]).ok().has("Batch 1 rolled back: 1 migrations");
        let mut db = p.db();
        assert!(!db.has_table("accounts"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        drop(db);
        p.run(&["migrate:rollback"]).ok().has("Already at the base migration");

        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM accounts"), 1);
    }

    fn batches_and_rollback_order(p) {
        p.migration("20240101000000_log.sql", "-- migrate:up\nCREATE TABLE log (n INTEGER, what VARCHAR(20));\n-- migrate:down\nDROP TABLE log;\n");
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        for (i, t) in ["b", "c"].iter().enumerate() {
            p.migration(
                &format!("2024010200000{i}_{t}.sql"),
                &format!("-- migrate:up\nINSERT INTO log VALUES ({i}, 'up {t}');\n-- migrate:down\nINSERT INTO log VALUES ({}, 'down {t}');\n", i + 10),
            );
        }
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 2 migrations");
        assert_eq!(
            p.db().col("SELECT name FROM furrow_migrations WHERE batch = 2 ORDER BY id"),
            vec!["20240102000000_b.sql", "20240102000001_c.sql"]
        );
        p.run(&["migrate:rollback"]).ok().has("Batch 2 rolled back: 2 migrations");
        // Newest first.
        assert_eq!(
            p.db().col("SELECT what FROM log WHERE what LIKE 'down%' ORDER BY n"),
            vec!["down b", "down c"]
        );
        let mut db = p.db();
        let order = db.col("SELECT what FROM log ORDER BY n DESC");
        assert_eq!(order[0], "down c");
        assert_eq!(db.col("SELECT name FROM furrow_migrations"), vec!["20240101000000_log.sql"]);
        drop(db);
        // Batch 1 is the last one now.
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 2 migrations");
        p.run(&["migrate:rollback", "--all"]).ok().has("rolled back: 3 migrations");
        assert!(!p.db().has_table("log"));
    }

    fn up_and_down_by_name(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.migration("20240103000000_c.sql", &create_table_migration("c"));
        p.run(&["migrate:up"]).ok().has("Batch 1 ran the following migrations:").has("20240101000000_a.sql");
        p.run(&["migrate:up", "c"]).ok().has("Batch 2 ran the following migrations:").has("20240103000000_c.sql");
        let mut db = p.db();
        assert!(db.has_table("a") && !db.has_table("b") && db.has_table("c"));
        drop(db);
        p.run(&["migrate:up", "c"]).code(1).has("already applied");
        p.run(&["migrate:up", "nosuch"]).code(1).has("no migration file named `nosuch`");
        p.run(&["migrate:down", "20240102000000_b"]).code(1).has("is not applied");
        p.run(&["migrate:down", "20240101000000_a.sql"]).ok().has("Batch 1 rolled back the following migrations:");
        p.run(&["migrate:down"]).ok().has("20240103000000_c.sql");
        p.run(&["migrate:down"]).ok().has("Already at the base migration");
        let mut db = p.db();
        assert!(!db.has_table("a") && !db.has_table("c"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
    }

    fn status_list_and_current_version(p) {
        p.run(&["migrate:currentVersion"]).ok().has("Current Version: none");
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.run(&["migrate:list"]).ok().has("No Completed Migration files Found.").has("Found 2 Pending Migration file/files.");
        p.run(&["migrate:up"]).ok();
        p.run(&["migrate:status"]).ok().has("applied  20240101000000_a.sql").has("pending  20240102000000_b.sql");
        p.run(&["migrate:status", "--check"]).code(3);
        p.run(&["migrate:list"]).ok().has("Found 1 Completed Migration file/files.").has("Found 1 Pending Migration file/files.");
        p.run(&["migrate:currentVersion"]).ok().has("Current Version: 20240101000000");
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:status", "--check"]).ok();
        let j = p.run(&["--json", "migrate:status"]).ok().json();
        assert_eq!(j["ok"], true);
        assert_eq!(j["items"][0]["name"], "20240101000000_a.sql");
        assert_eq!(j["items"][0]["state"], "applied");
        assert_eq!(j["items"][1]["batch"], 2);
        // Modified and missing.
        p.migration("20240101000000_a.sql", &create_table_migration("a").replace("name", "title"));
        p.remove("migrations/20240102000000_b.sql");
        p.run(&["migrate:status"]).ok().has("modified 20240101000000_a.sql").has("missing  20240102000000_b.sql");
        p.run(&["migrate:status", "--check"]).code(3);
    }

    fn modified_files_warn_or_refuse(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        p.migration("20240101000000_a.sql", &format!("-- edited\n{}", create_table_migration("a")));
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.run(&["migrate:latest"]).ok().has("warning:").has("20240101000000_a.sql").has("changed since they ran");
        // CRLF line endings alone are not a change.
        p.migration("20240102000000_b.sql", &create_table_migration("b").replace('\n', "\r\n"));
        p.run(&["migrate:status"]).ok().has("applied  20240102000000_b.sql");
        let mut p = p;
        p.set_extra("  migrations:\n    extension: sql\n    checksums: strict\n");
        p.migration("20240103000000_c.sql", &create_table_migration("c"));
        p.run(&["migrate:latest"]).code(1).has("changed since they ran").has("20240101000000_a.sql");
        assert!(!p.db().has_table("c"));
    }

    fn missing_files_are_refused_unless_ignored(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        p.remove("migrations/20240101000000_a.sql");
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.run(&["migrate:latest"]).code(1).has("missing").has("20240101000000_a.sql").has("--ignore-missing");
        assert!(!p.db().has_table("b"));
        p.run(&["migrate:latest", "--ignore-missing"]).ok().has("Batch 2 run: 1 migrations");
        assert!(p.db().has_table("b"));
        let j = p.run(&["--json", "migrate:rollback"]).code(1).json();
        assert_eq!(j["error"]["code"], "missing_file");
    }

    fn irreversible_rollback_is_refused_before_anything_runs(p) {
        p.migration("20240101000000_a.sql", "-- migrate:up\nCREATE TABLE a (id INTEGER);\n");
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:rollback"]).code(1).has("20240101000000_a.sql").has("no `-- migrate:down` section");
        let mut db = p.db();
        assert!(db.has_table("a") && db.has_table("b"), "nothing may be rolled back");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 2);
    }

    fn dry_run_changes_nothing(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let out = p.run(&["migrate:latest", "--dry-run"]).ok().has("Batch 1 would run: 1 migrations").has("CREATE TABLE a");
        assert!(out.stdout.contains("Dry run"));
        assert!(p.tables().is_empty(), "a dry run creates nothing, not even tracking tables");
        if p.backend == Backend::Sqlite {
            assert!(!p.sqlite_exists());
        }
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:rollback", "--dry-run"]).ok().has("Batch 1 would roll back: 1 migrations").has("DROP TABLE a");
        assert!(p.db().has_table("a"));
        let j = p.run(&["--json", "migrate:rollback", "--dry-run"]).ok().json();
        assert_eq!(j["dry_run"], true);
        assert_eq!(j["migrations"][0]["sql"][0], "DROP TABLE a;");
    }

    fn statement_errors_name_file_statement_and_line(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.migration(
            "20240102000000_b.sql",
            "-- migrate:up\nINSERT INTO a (id, name) VALUES (1, 'x');\n\nINSERT INTO no_such_table VALUES (1);\nINSERT INTO a (id, name) VALUES (2, 'y');\n-- migrate:down\nDELETE FROM a;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("migrations/20240102000000_b.sql: statement 2 (line 4) failed")
            .has("no_such_table")
            .has("applied before the failure: 20240101000000_a.sql");
        let mut db = p.db();
        // The failed migration is rolled back whole (it holds only DML, transactional on both engines).
        assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 0);
        assert_eq!(db.col("SELECT name FROM furrow_migrations"), vec!["20240101000000_a.sql"]);
    }

    fn json_output_is_one_document(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let j = p.run(&["migrate:latest", "--json"]).ok().json();
        assert_eq!(j["ok"], true);
        assert_eq!(j["command"], "migrate:latest");
        assert_eq!(j["batch"], 1);
        assert_eq!(j["migrations"][0]["name"], "20240101000000_a.sql");
        let j = p.run(&["--json", "migrate:up", "nope"]).code(1).json();
        assert_eq!(j["ok"], false);
        assert_eq!(j["error"]["code"], "validation");
        assert!(j["error"]["message"].as_str().unwrap().contains("nope"));
        let j = p.run(&["--json", "migrate:frobnicate"]).code(2).json();
        assert_eq!(j["error"]["code"], "usage");
    }

    fn concurrent_runners_apply_each_migration_once(p) {
        for i in 0..15 {
            p.migration(
                &format!("202401010000{i:02}_m{i}.sql"),
                &format!("-- migrate:up\nCREATE TABLE t{i} (id INTEGER);\n-- migrate:down\nDROP TABLE t{i};\n"),
            );
        }
        let children: Vec<_> = (0..6)
            .map(|_| p.command(&["migrate:latest"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap())
            .collect();
        let outs: Vec<Run> = children.into_iter().map(|c| to_run(c.wait_with_output().unwrap())).collect();
        for o in &outs {
            assert_eq!(o.code, 0, "{}", o.all());
        }
        let ran: usize = outs.iter().filter(|o| o.stdout.contains("run: 15 migrations")).count();
        let idle: usize = outs.iter().filter(|o| o.stdout.contains("Already up to date")).count();
        assert_eq!((ran, idle), (1, 5), "one runner applies all, the others find nothing to do");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 15);
        assert_eq!(db.scalar("SELECT COUNT(DISTINCT name) FROM furrow_migrations"), 15);
        assert_eq!(db.scalar("SELECT COUNT(DISTINCT batch) FROM furrow_migrations"), 1);
    }

    fn verbose_prints_statements(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let out = p.run(&["migrate:latest", "--verbose"]).ok();
        assert!(out.stderr.contains("CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(50))"), "{}", out.all());
        assert!(out.stderr.contains("statement 1 (line 2)"), "{}", out.all());
        p.run(&["migrate:rollback"]).ok().lacks("DROP TABLE");
    }

    fn migrate_sql_prints_without_connecting(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:sql", "a"]).ok().has("CREATE TABLE a (id INTEGER PRIMARY KEY, name VARCHAR(50));");
        p.run(&["migrate:sql", "20240101000000_a.sql", "--down"]).ok().has("DROP TABLE a;");
        // No connection is made: a wrong one does not matter.
        p.run(&["migrate:sql", "a", "--client", "mysql", "--connection", "mysql://u:p@127.0.0.1:1/none"]).ok().has("CREATE TABLE a");
        assert!(p.tables().is_empty());
    }

    fn lock_held_by_a_live_runner_elsewhere_times_out_and_unlock_clears_it(p) {
        let mut p = p;
        p.set_extra("  migrations:\n    extension: sql\n    lockTimeout: 1\n");
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:status"]).ok();
        // A holder on another host cannot be checked, so it is respected.
        match p.backend {
            Backend::Sqlite => p.db().exec("INSERT INTO furrow_migrations_lock (id, owner, host, pid, acquired_at) VALUES (1, 'elsewhere:42:1', 'elsewhere', 42, '2024-01-01 00:00:00')"),
            Backend::Mysql => {}
        }
        if p.backend == Backend::Sqlite {
            p.run(&["migrate:latest"]).code(1).has("another runner holds the lock").has("process 42 on host elsewhere").has("migrate:unlock");
            assert!(!p.db().has_table("a"));
            p.run(&["migrate:unlock"]).ok().has("released").has("elsewhere");
        }
        p.run(&["migrate:unlock"]).ok().has("not held");
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
    }

    fn transaction_false_failure_is_partial_and_resumable(p) {
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up transaction:false\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO missing_table VALUES (1);\nINSERT INTO a VALUES (3);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).code(1).has("statement 3 (line 4) failed").has("statements 1–2 of 4 committed").has("recorded as partial");
        let mut db = p.db();
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["partial"]);
        assert_eq!(db.scalar("SELECT statements_applied FROM furrow_migrations"), 2);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM a"), 1);
        drop(db);
        p.run(&["migrate:status"]).ok().has("partial  20240101000000_a.sql").has("2 statement(s) committed");
        // Not fixed: refused.
        p.run(&["migrate:latest"]).code(1).has("partially applied").has("fix statement 3");
        // An edit to a committed statement: refused, naming it.
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up transaction:false\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (100);\nINSERT INTO a VALUES (2);\nINSERT INTO a VALUES (3);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).code(1).has("statements 1–2 changed since they were committed");
        // Fixed: resumes at statement 3.
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up transaction:false\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2);\nINSERT INTO a VALUES (3);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(db.col("SELECT id FROM a ORDER BY id"), vec!["1", "2", "3"]);
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
    }

    fn partial_migration_can_be_taken_down(p) {
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up transaction:false\nCREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\n\n-- migrate:down\nDROP TABLE IF EXISTS a;\n",
        );
        p.run(&["migrate:latest"]).code(1);
        p.run(&["migrate:down", "a"]).ok().has("rolled back the following migrations:");
        let mut db = p.db();
        assert!(!db.has_table("a"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
    }
}

mod bad_input {
    use crate::both;
    use crate::support::*;

    both! {
        fn migration_without_up_marker(p) {
            p.migration("20240101000000_a.sql", "CREATE TABLE a (id INTEGER);\n");
            p.run(&["migrate:latest"]).code(1).has("20240101000000_a.sql").has("no `-- migrate:up` marker");
            assert!(!p.db().has_table("a"));
        }

        fn empty_file(p) {
            p.migration("20240101000000_a.sql", &create_table_migration("a"));
            p.migration("20240102000000_b.sql", "  \n");
            p.run(&["migrate:latest"]).code(1).has("20240102000000_b.sql: the file is empty");
            assert!(!p.db().has_table("a"), "plan, then act: nothing runs");
        }

        fn non_utf8_file(p) {
            p.write_bytes("migrations/20240101000000_a.sql", b"-- migrate:up\nSELECT 1;\nSELECT '\xff\xfe';\n");
            p.run(&["migrate:latest"]).code(1).has("20240101000000_a.sql: line 3 is not valid UTF-8");
        }

        fn name_without_timestamp(p) {
            p.migration("create_accounts.sql", &create_table_migration("a"));
            p.run(&["migrate:latest"]).code(1).has("create_accounts.sql").has("14-digit");
            // Other files are ignored.
            p.remove("migrations/create_accounts.sql");
            p.write("migrations/README.md", "notes");
            p.write("migrations/.hidden.sql", "x");
            p.migration("20240101000000_a.sql", &create_table_migration("a"));
            p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        }

        fn same_name_in_two_directories(p) {
            let mut p = p;
            p.set_extra("  migrations:\n    extension: sql\n    directory: [./migrations, ./more]\n");
            p.migration("20240101000000_a.sql", &create_table_migration("a"));
            p.write("more/20240101000000_a.sql", &create_table_migration("a"));
            p.run(&["migrate:latest"]).code(1).has("exists twice").has("more/20240101000000_a.sql");
            p.remove("more/20240101000000_a.sql");
            p.write("more/20240102000000_b.sql", &create_table_migration("b"));
            p.run(&["migrate:latest"]).ok().has("Batch 1 run: 2 migrations");
        }

        fn unterminated_string(p) {
            p.migration("20240101000000_a.sql", "-- migrate:up\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES ('oops);\n");
            p.run(&["migrate:latest"]).code(1).has("20240101000000_a.sql line 3").has("unterminated");
            assert!(!p.db().has_table("a"));
        }

        fn unterminated_comment(p) {
            p.migration("20240101000000_a.sql", "-- migrate:up\nCREATE TABLE a (id INTEGER);\n/* never closed\nSELECT 1;\n");
            p.run(&["migrate:latest"]).code(1).has("20240101000000_a.sql line 3").has("unterminated");
            assert!(!p.db().has_table("a"));
        }

        fn transaction_control_in_a_transactional_migration(p) {
            p.migration("20240101000000_a.sql", "-- migrate:up\nBEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n");
            if p.backend == Backend::Sqlite {
                p.run(&["migrate:latest"]).code(1).has("line 2").has("controls the transaction").has("transaction:false");
            } else {
                // MySQL commits the DDL implicitly, so the migration runs statement by
                // statement, transaction control included (as dumps need).
                p.run(&["migrate:latest"]).ok();
                assert!(p.db().has_table("a"));
            }
        }

        fn make_rejects_bad_names(p) {
            for bad in ["a/b", "../x", "two words", ""] {
                p.run(&["migrate:make", bad]).code(2).has("invalid migration name");
            }
            assert_eq!(std::fs::read_dir(p.path("migrations")).unwrap().count(), 0);
        }
    }

    #[test]
    fn database_directory_missing() {
        let p = Project::new(Backend::Sqlite);
        p.write(
            "knexfile.yaml",
            "development:\n  client: sqlite3\n  connection:\n    filename: ./nodir/dev.sqlite3\n",
        );
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"])
            .code(1)
            .has("nodir")
            .has("does not exist")
            .has("mkdir -p");
        assert!(!p.path("nodir").exists());
    }
}

mod sqlite_only {
    use crate::support::*;
    use std::time::{Duration, Instant};

    #[test]
    fn failing_statement_rolls_back_the_whole_migration() {
        let p = Project::new(Backend::Sqlite);
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.migration(
            "20240102000000_b.sql",
            "-- migrate:up\nCREATE TABLE b (id INTEGER);\nALTER TABLE b ADD COLUMN x INTEGER;\nCREATE TABLE a (dup INTEGER);\n-- migrate:down\nDROP TABLE b;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("statement 3 (line 4) failed")
            .has("table a already exists")
            .has("none of its statements were applied");
        let mut db = p.db();
        assert!(db.has_table("a"));
        assert!(!db.has_table("b"), "DDL is transactional on SQLite");
        assert_eq!(
            db.col("SELECT name FROM furrow_migrations"),
            vec!["20240101000000_a.sql"]
        );
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let p = Project::new(Backend::Sqlite);
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up\nCREATE TABLE parent (id INTEGER PRIMARY KEY);\nCREATE TABLE child (id INTEGER, parent_id INTEGER REFERENCES parent(id));\nINSERT INTO child VALUES (1, 99);\n-- migrate:down\nDROP TABLE child; DROP TABLE parent;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("FOREIGN KEY constraint failed");
        assert!(!p.db().has_table("parent"));
    }

    fn long_migration() -> String {
        // Two statements: the tests stop the runner between them (FURROW_TEST_PAUSE).
        "-- migrate:up\nCREATE TABLE big (x INTEGER);\nINSERT INTO big VALUES (1);\n-- migrate:down\nDROP TABLE big;\n".to_string()
    }

    fn lock_row(p: &Project) -> bool {
        p.sqlite_exists()
            && rusqlite::Connection::open(p.path("dev.sqlite3"))
                .and_then(|c| {
                    c.query_row("SELECT COUNT(*) FROM furrow_migrations_lock", [], |r| {
                        r.get::<_, i64>(0)
                    })
                })
                .map(|n| n == 1)
                .unwrap_or(false)
    }

    #[test]
    fn kill_9_leaves_no_lock_that_blocks_the_next_run() {
        let p = Project::with(
            Backend::Sqlite,
            "  migrations:\n    extension: sql\n    lockTimeout: 30\n",
        );
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        p.migration("20240102000000_big.sql", &long_migration());
        // The runner stops inside the migration's transaction, holding the lock.
        let marker = p.path("paused");
        let mut child = p
            .command(&["migrate:latest"])
            .env("FURROW_TEST_PAUSE", "migrate-statement")
            .env("FURROW_TEST_PAUSE_FILE", &marker)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            wait_for(20, || marker.exists()),
            "the runner is inside a migration"
        );
        assert!(lock_row(&p), "the runner took the lock");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The lock row of the dead runner is still there …
        assert!(lock_row(&p));
        // … but the next run does not wait for it.
        p.migration(
            "20240102000000_big.sql",
            "-- migrate:up\nCREATE TABLE big (x INTEGER);\n-- migrate:down\nDROP TABLE big;\n",
        );
        let start = Instant::now();
        p.run(&["migrate:latest"])
            .ok()
            .has("run: 1 migrations")
            .has("20240102000000_big.sql");
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "took {:?}",
            start.elapsed()
        );
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 2);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM big"), 0);
        assert!(!lock_row(&p));
    }

    #[test]
    fn ctrl_c_rolls_back_releases_the_lock_and_exits_130() {
        let p = Project::new(Backend::Sqlite);
        p.migration("20240101000000_big.sql", &long_migration());
        let marker = p.path("paused");
        let child = p
            .command(&["migrate:latest"])
            .env("FURROW_TEST_PAUSE", "migrate-statement")
            .env("FURROW_TEST_PAUSE_FILE", &marker)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        assert!(
            wait_for(20, || marker.exists()),
            "the runner is inside the migration"
        );
        assert!(lock_row(&p));
        // SAFETY: sending SIGINT to our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let out = to_run(child.wait_with_output().unwrap());
        assert_eq!(out.code, 130, "{}", out.all());
        // Once, with the file: not `interrupted: interrupted`.
        assert!(
            out.stderr
                .contains("migrations/20240101000000_big.sql: interrupted (Ctrl-C)"),
            "{}",
            out.all()
        );
        assert_eq!(
            out.stderr.matches("interrupted").count(),
            1,
            "{}",
            out.all()
        );
        assert!(!lock_row(&p), "the lock is released");
        let mut db = p.db();
        assert!(!db.has_table("big"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
    }

    #[test]
    fn busy_database_is_waited_on_then_reported() {
        let p = Project::with(
            Backend::Sqlite,
            "  migrations:\n    extension: sql\n    lockTimeout: 1\n",
        );
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:status"]).ok();
        let holder = rusqlite::Connection::open(p.path("dev.sqlite3")).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let start = Instant::now();
        p.run(&["migrate:latest"]).code(1).has("locked");
        assert!(start.elapsed() >= Duration::from_millis(900));
        holder.execute_batch("ROLLBACK").unwrap();
        p.run(&["migrate:latest"]).ok();
    }

    #[test]
    fn knex_tables_are_adopted() {
        let p = Project::with(
            Backend::Sqlite,
            "  migrations:\n    extension: sql\n    tableName: knex_migrations\n",
        );
        let db = rusqlite::Connection::open(p.path("dev.sqlite3")).unwrap();
        db.execute_batch("CREATE TABLE knex_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255), batch INTEGER, migration_time DATETIME);
            INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20230101000000_old.sql', 1, 1672531200000);
            CREATE TABLE knex_migrations_lock (\"index\" INTEGER PRIMARY KEY AUTOINCREMENT, is_locked INTEGER);
            INSERT INTO knex_migrations_lock (is_locked) VALUES (0);").unwrap();
        drop(db);
        p.migration(
            "20230101000000_old.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n",
        );
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:status"])
            .ok()
            .has("applied  20230101000000_old.sql")
            .has("2023-01-01 00:00:00");
        p.run(&["migrate:latest"])
            .ok()
            .has("Batch 2 run: 1 migrations");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM knex_migrations"), 2);
    }

    #[test]
    fn project_templates_override_the_built_in_ones() {
        let p = Project::new(Backend::Sqlite);
        p.write(
            "templates/migration.sql.tera",
            "-- team template for {{ name }}\n-- migrate:up\n\n-- migrate:down\n",
        );
        p.run(&["migrate:make", "add_x", "-x", "sql"]).ok();
        let f = std::fs::read_dir(p.path("migrations"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert!(std::fs::read_to_string(f)
            .unwrap()
            .starts_with("-- team template for add_x"));
    }

    #[test]
    fn make_gives_unique_timestamps() {
        let p = Project::new(Backend::Sqlite);
        for _ in 0..3 {
            p.run(&["migrate:make", "same", "-x", "sql"]).ok();
        }
        let mut names: Vec<String> = std::fs::read_dir(p.path("migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy()[..14].to_string())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 3);
    }
}
