//! Schema files and drift: `schema:dump`, `schema:drift`, `schema:load`, and
//! `migrations.schemaFile`, on both engines; the scratch databases of `schema:drift` on MySQL.

use std::process::{Command, Stdio};

use crate::support::*;
use crate::{both, mysql_test};

const SAKILA_SQLITE: &str = include_str!("fixtures/sakila_sqlite.sql");
const SAKILA_MYSQL: &str = include_str!("fixtures/sakila_mysql.sql");

/// The Sakila-style fixture of the project's engine, as its first migration.
fn sakila(p: &Project) {
    let text = match p.backend {
        Backend::Sqlite => SAKILA_SQLITE,
        Backend::Mysql => SAKILA_MYSQL,
    };
    p.migration("20240101000000_sakila.sql", text);
}

/// Two small migrations: a table with an index and a trigger, then a second table.
fn accounts(p: &Project) {
    let trigger = match p.backend {
        Backend::Sqlite => "CREATE TRIGGER accounts_trim AFTER INSERT ON accounts BEGIN UPDATE accounts SET name = trim(name) WHERE id = NEW.id; END;",
        Backend::Mysql => "CREATE TRIGGER accounts_trim BEFORE INSERT ON accounts FOR EACH ROW SET NEW.name = TRIM(NEW.name);",
    };
    p.migration(
        "20240101000000_accounts.sql",
        &format!("-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, email VARCHAR(255));\nCREATE INDEX accounts_name_index ON accounts (name);\n{trigger}\n-- migrate:down\nDROP TABLE accounts;\n"),
    );
    p.migration(
        "20240102000000_roles.sql",
        "-- migrate:up\nCREATE TABLE roles (code VARCHAR(20) PRIMARY KEY, label VARCHAR(100));\n-- migrate:down\nDROP TABLE roles;\n",
    );
}

fn dump(p: &Project) -> String {
    let r = p.run(&["schema:dump"]).ok();
    assert!(!r.stdout.contains("Using environment"), "{}", r.stdout);
    r.stdout
}

/// The dump without its trailing block of migrations (which the engine's CLI cannot record).
fn schema_part(dump: &str) -> &str {
    match dump.find("\n-- furrow:migrations") {
        Some(i) => &dump[..i],
        None => dump,
    }
}

/// Loads `file` into the project's database with the engine's own CLI.
fn load_with_cli(p: &Project, file: &std::path::Path) {
    let stdin = std::fs::File::open(file).unwrap();
    let mut c = match p.backend {
        Backend::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.arg(p.path("dev.sqlite3"));
            c
        }
        Backend::Mysql => {
            let url = mysql_admin_url().unwrap();
            let rest = url.trim_start_matches("mysql://").trim_end_matches('/');
            let (auth, host) = rest.split_once('@').unwrap();
            let (user, pass) = auth.split_once(':').unwrap();
            let (host, port) = host.split_once(':').unwrap();
            let client = if Command::new("mariadb").arg("--version").output().is_ok() {
                "mariadb"
            } else {
                "mysql"
            };
            let mut c = Command::new(client);
            c.args([
                "--no-defaults",
                &format!("-u{user}"),
                &format!("-p{pass}"),
                &format!("-h{host}"),
                &format!("-P{port}"),
                p.database.as_deref().unwrap(),
            ]);
            c
        }
    };
    let out = c
        .stdin(Stdio::from(stdin))
        .output()
        .expect("the engine's CLI (sqlite3 / mariadb) is installed; scripts/test.sh installs it");
    assert!(
        out.status.success(),
        "the engine's CLI refused the dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The scratch databases on the server made by process `pid`.
fn scratch_databases(pid: u32) -> Vec<String> {
    use mysql::prelude::Queryable;
    let mut admin = admin_conn();
    let names: Vec<String> = admin
        .query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'furrow\\_drift\\_%'")
        .unwrap();
    names
        .into_iter()
        .filter(|n| n.split('_').nth(3) == Some(pid.to_string().as_str()))
        .collect()
}

/// Runs furrow as a child; returns what it did and its pid (which names its scratch database).
fn run_with_pid(p: &Project, args: &[&str]) -> (Run, u32) {
    let child = p
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (to_run(child.wait_with_output().unwrap()), pid)
}

/// A `schema:drift` stopped (FURROW_TEST_PAUSE) once its scratch database exists, and the name
/// of that database.
fn paused_drift(p: &Project) -> (std::process::Child, String) {
    let marker = p.path("paused");
    let child = p
        .command(&["schema:drift"])
        .env("FURROW_TEST_PAUSE", "drift-scratch")
        .env("FURROW_TEST_PAUSE_FILE", &marker)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(60, || marker.exists()),
        "the run never reached its scratch database"
    );
    let mut made = scratch_databases(child.id());
    assert_eq!(made.len(), 1, "{made:?}");
    (child, made.remove(0))
}

both! {
    fn dump_is_sorted_deterministic_and_leaves_out_tracking(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let first = dump(&p);
        assert!(first.contains("accounts_name_index") && first.contains("accounts_trim"), "{first}");
        assert!(first.find("CREATE TABLE").unwrap() < first.find("accounts_trim").unwrap());
        assert!(!first.contains("furrow_migrations (") && !first.contains("`furrow_migrations`"), "{first}");
        assert!(first.contains("-- furrow:migrations"), "{first}");
        assert!(first.contains("-- 20240101000000_accounts.sql "), "{first}");
        // Rows, and AUTO_INCREMENT counters with them, change nothing.
        let mut db = p.db();
        db.exec("INSERT INTO accounts (id, name) VALUES (7, 'x')");
        db.exec("INSERT INTO roles (code) VALUES ('admin')");
        drop(db);
        assert_eq!(dump(&p), first);
        assert!(!first.contains("AUTO_INCREMENT="));
        let tracked = p.run(&["schema:dump", "--include-tracking"]).ok().stdout;
        assert!(tracked.contains("furrow_migrations"), "{tracked}");
        // schema:load skips them (it makes its own) and records the migrations.
        let fresh = Project::new(p.backend);
        fresh.write("tracked.sql", &tracked);
        fresh
            .run(&["schema:load", "tracked.sql"])
            .ok()
            .has("of furrow's tracking tables (furrow makes its own)")
            .has("Recorded 2 migrations as applied");
        assert_eq!(dump(&fresh), first);
        // --output writes the same bytes; --json is one document holding them.
        p.run(&["schema:dump", "--output", "schema.sql"]).ok().has("Wrote schema.sql: 2 tables, 1 index, 1 trigger; made by 2 applied migrations");
        assert_eq!(std::fs::read_to_string(p.path("schema.sql")).unwrap(), first);
        let j = p.run(&["schema:dump", "--json"]).ok().json();
        assert_eq!(j["sql"].as_str().unwrap(), first);
        assert_eq!(j["tables"], 2);
    }

    fn engine_cli_loads_the_dump_and_it_dumps_back_to_itself(p) {
        sakila(&p);
        p.run(&["migrate:latest"]).ok();
        p.run(&["schema:dump", "-o", "schema.sql"]).ok();
        let original = std::fs::read_to_string(p.path("schema.sql")).unwrap();
        for object in ["film_list", "a_short_films", "film_rate_positive", "idx_actor_last_name", "FOREIGN KEY", "CHECK ("] {
            assert!(original.contains(object), "{object} missing:\n{original}");
        }
        if p.backend == Backend::Mysql {
            for object in ["FUNCTION `inventory_in_stock`", "PROCEDURE `film_in_stock`", "EVENT `purge_old_rentals`", "TRIGGER ins_film", "FULLTEXT KEY", "CHARSET=latin1", "CHARACTER SET ascii", "COMMENT='films for rent'"] {
                assert!(original.contains(object), "{object} missing:\n{original}");
            }
            assert!(!original.contains("DEFINER="), "{original}");
            assert!(!original.contains("STARTS"), "{original}");
            assert!(!original.contains("/*!"), "{original}");
            // A view is created after the view it reads, whatever their names.
            assert!(original.find("VIEW `film_list`").unwrap() < original.find("VIEW `a_short_films`").unwrap());
        } else {
            for object in ["WITHOUT ROWID", "WHERE return_date IS NULL", "CREATE UNIQUE INDEX film_title_year", "actor_trigger_ai"] {
                assert!(original.contains(object), "{object} missing:\n{original}");
            }
        }
        let copy = Project::new(p.backend);
        load_with_cli(&copy, &p.path("schema.sql"));
        let again = dump(&copy);
        assert_eq!(again, schema_part(&original));
        // A restart of the process (a new connection) and another run change nothing.
        assert_eq!(dump(&p), original);
    }

    fn load_then_latest_equals_a_full_replay(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        p.run(&["schema:dump", "-o", "schema.sql"]).ok();
        let third = "-- migrate:up\nALTER TABLE roles ADD COLUMN rank INTEGER;\n-- migrate:down\nALTER TABLE roles DROP COLUMN rank;\n";

        let fresh = Project::new(p.backend);
        accounts(&fresh);
        fresh.migration("20240103000000_rank.sql", third);
        std::fs::copy(p.path("schema.sql"), fresh.path("schema.sql")).unwrap();
        fresh
            .run(&["schema:load", "schema.sql"])
            .ok()
            .has("Recorded 2 migrations as applied (batch 1)");
        let mut db = fresh.db();
        assert_eq!(
            db.col("SELECT name FROM furrow_migrations ORDER BY id"),
            ["20240101000000_accounts.sql", "20240102000000_roles.sql"]
        );
        assert_eq!(db.col("SELECT state FROM furrow_migrations WHERE batch = 1"), ["applied", "applied"]);
        drop(db);
        fresh.run(&["migrate:status"]).ok().lacks("modified").lacks("pending  20240101");
        fresh
            .run(&["migrate:latest"])
            .ok()
            .has("Batch 2 run: 1 migrations")
            .has("20240103000000_rank.sql")
            .lacks("20240101000000_accounts.sql");

        let full = Project::new(p.backend);
        accounts(&full);
        full.migration("20240103000000_rank.sql", third);
        full.run(&["migrate:latest"]).ok();
        assert_eq!(dump(&fresh), dump(&full));
        fresh.run(&["schema:drift"]).ok().has("No drift");
    }

    fn load_refuses_a_database_that_is_not_empty(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        p.run(&["schema:dump", "-o", "schema.sql"]).ok();
        p.run(&["schema:load", "schema.sql"])
            .code(1)
            .has("only loads into an empty database")
            .has("2 migrations recorded in furrow_migrations")
            .has("table accounts");
        let other = Project::new(p.backend);
        other.db().exec("CREATE TABLE leftover (id INTEGER)");
        std::fs::copy(p.path("schema.sql"), other.path("schema.sql")).unwrap();
        other.run(&["schema:load", "schema.sql"]).code(1).has("table leftover");
        let j = other.run(&["schema:load", "schema.sql", "--json"]).code(1).json();
        assert_eq!(j["error"]["code"], "validation");
        other.run(&["schema:load", "nope.sql"]).code(1).has("nope.sql").has("it does not exist");
    }

    fn load_names_the_bad_line_and_keeps_nothing_of_a_failed_load(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let text = p.run(&["schema:dump"]).ok().stdout;
        let fresh = Project::new(p.backend);
        let cut = text.replace("-- furrow:end\n", "");
        fresh.write("cut.sql", &cut);
        fresh.run(&["schema:load", "cut.sql"]).code(1).has("cut.sql: line").has("no `-- furrow:end` line");
        // A statement that fails: nothing of the load is kept.
        let broken = text.replacen("-- furrow:migrations", "CREATE TABLE no_such_syntax (;\n\n-- furrow:migrations", 1);
        fresh.write("broken.sql", &broken);
        fresh.run(&["schema:load", "broken.sql"]).code(1).has("broken.sql: statement").has("failed");
        assert!(fresh.tables().iter().all(|t| t.starts_with("furrow_")), "{:?}", fresh.tables());
        assert_eq!(fresh.db().scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        fresh.write("good.sql", &text);
        fresh.run(&["schema:load", "good.sql"]).ok();
    }

    fn drift_reports_nothing_on_a_clean_database(p) {
        sakila(&p);
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        p.run(&["schema:drift"])
            .ok()
            .has("Replayed 3 applied migrations")
            .has("No drift: the live database matches its 3 applied migrations");
        let j = p.run(&["schema:drift", "--json"]).ok().json();
        assert_eq!(j["equal"], true);
        assert_eq!(j["differences"].as_array().unwrap().len(), 0);
        // Only applied migrations are replayed: a pending one is not drift.
        p.migration("20240105000000_later.sql", "-- migrate:up\nCREATE TABLE later (id INTEGER);\n-- migrate:down\nDROP TABLE later;\n");
        p.run(&["schema:drift"]).ok().has("Replayed 3 applied migrations");
    }

    fn drift_finds_each_kind_of_hand_made_change(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        match p.backend {
            Backend::Sqlite => db.exec(
                "ALTER TABLE accounts ADD COLUMN bio TEXT;
                 DROP INDEX accounts_name_index;
                 CREATE TABLE audit (id INTEGER);
                 DROP TRIGGER accounts_trim;
                 CREATE TRIGGER accounts_trim AFTER INSERT ON accounts BEGIN UPDATE accounts SET name = upper(name) WHERE id = NEW.id; END;
                 PRAGMA writable_schema = ON;
                 UPDATE sqlite_master SET sql = replace(sql, 'email VARCHAR(255)', 'email VARCHAR(320)') WHERE name = 'accounts';
                 PRAGMA writable_schema = OFF;",
            ),
            Backend::Mysql => {
                for s in [
                    "ALTER TABLE accounts ADD COLUMN bio TEXT",
                    "ALTER TABLE accounts MODIFY email VARCHAR(320)",
                    "DROP INDEX accounts_name_index ON accounts",
                    "CREATE TABLE audit (id INTEGER)",
                    "DROP TRIGGER accounts_trim",
                    "CREATE TRIGGER accounts_trim BEFORE INSERT ON accounts FOR EACH ROW SET NEW.name = UPPER(NEW.name)",
                ] {
                    db.exec(s);
                }
            }
        }
        drop(db);
        let r = p.run(&["schema:drift"]).code(3);
        let r = r
            .has("column accounts.bio: only in the live database")
            .has("accounts.email: live VARCHAR(320), migrations VARCHAR(255)")
            .has("index accounts_name_index: only in the migrations")
            .has("table audit: only in the live database")
            .has("trigger accounts_trim:")
            .has("Drift: 5 differences");
        assert!(r.stdout.contains("upper(name)") || r.stdout.contains("UPPER(NEW.name)"), "{}", r.stdout);
        let j = p.run(&["schema:drift", "--json"]).code(3).json();
        assert_eq!(j["equal"], false);
        let objects: Vec<&str> = j["differences"].as_array().unwrap().iter().map(|d| d["object"].as_str().unwrap()).collect();
        assert_eq!(objects, ["column", "column", "index", "table", "trigger"], "{j}");
        assert_eq!(j["differences"][0]["name"], "accounts.email");
    }

    fn drift_cannot_tell_without_the_files(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        p.remove("migrations/20240101000000_accounts.sql");
        p.run(&["schema:drift"])
            .code(1)
            .has("cannot tell whether the schema drifted")
            .has("20240101000000_accounts.sql is applied but has no migration file");
        // A migration that no longer replays: the error says where.
        p.migration("20240101000000_accounts.sql", "-- migrate:up\nCREATE TABLE accounts (;\n-- migrate:down\nDROP TABLE accounts;\n");
        p.run(&["schema:drift"])
            .code(1)
            .has("replaying the migrations into")
            .has("changed since they ran");
    }

    fn schema_file_is_rewritten_by_migrations_that_change_the_schema(p) {
        let mut p = p;
        p.set_extra("  migrations:\n    extension: sql\n    schemaFile: ./db/schema.sql\n");
        std::fs::create_dir_all(p.path("db")).unwrap();
        accounts(&p);
        p.run(&["migrate:latest", "--dry-run"]).ok();
        assert!(!p.path("db/schema.sql").exists());
        p.run(&["migrate:latest"]).ok().has("Wrote db/schema.sql");
        let written = std::fs::read_to_string(p.path("db/schema.sql")).unwrap();
        assert_eq!(written, dump(&p));
        assert!(written.contains("roles"));
        p.run(&["migrate:latest"]).ok().lacks("Wrote db/schema.sql");
        p.run(&["migrate:down"]).ok().has("Wrote db/schema.sql");
        let after = std::fs::read_to_string(p.path("db/schema.sql")).unwrap();
        assert!(!after.contains("roles") && after.contains("accounts"), "{after}");
        let j = p.run(&["migrate:up", "--json"]).ok().json();
        assert_eq!(j["schema_file"], "db/schema.sql");
        p.run(&["migrate:rollback", "--all"]).ok().has("Wrote db/schema.sql");
        assert!(!std::fs::read_to_string(p.path("db/schema.sql")).unwrap().contains("CREATE TABLE"));
        p.set_extra("  migrations:\n    schemaFile: ./db/\n");
        p.run(&["schema:dump"]).code(2).has("`schemaFile` must be the path of a file").has("line");
    }
}

mysql_test! {
    fn drift_drops_its_scratch_database_after_a_failure(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        p.migration("20240102000000_roles.sql", "-- migrate:up\nCREATE TABLE roles (code VARCHAR(20) PRIMARY KEY, nope no_such_type);\n-- migrate:down\nDROP TABLE roles;\n");
        let (r, pid) = run_with_pid(&p, &["schema:drift"]);
        let r = r.code(1).has("replaying the migrations into the scratch database `furrow_drift_");
        assert!(r.all().contains("cannot tell"), "{}", r.all());
        assert_eq!(scratch_databases(pid), Vec::<String>::new());
    }

    fn drift_scratch_database_of_a_killed_run_is_dropped_by_the_next(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let (mut child, left) = paused_drift(&p);
        let pid = child.id();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(scratch_databases(pid), std::slice::from_ref(&left), "a killed run cannot drop anything");
        // The server frees the killed connection's lock: that is what marks the database stale.
        let mut admin = admin_conn();
        assert!(wait_for(30, || {
            use mysql::prelude::Queryable;
            let held: Option<Option<i64>> = admin.exec_first("SELECT IS_USED_LOCK(?)", (left.as_str(),)).unwrap();
            held.flatten().is_none()
        }));
        let (next, next_pid) = run_with_pid(&p, &["schema:drift"]);
        next.ok().has("No drift");
        assert_eq!(scratch_databases(pid), Vec::<String>::new());
        assert_eq!(scratch_databases(next_pid), Vec::<String>::new());
    }

    fn drift_drops_its_scratch_database_on_ctrl_c(p) {
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let (child, _) = paused_drift(&p);
        let pid = child.id();
        // SAFETY: sending SIGINT to our own child.
        unsafe { libc::kill(pid as i32, libc::SIGINT) };
        to_run(child.wait_with_output().unwrap()).code(130).has("interrupted");
        assert_eq!(scratch_databases(pid), Vec::<String>::new());
    }

    fn drift_names_the_privilege_it_lacks(p) {
        use mysql::prelude::Queryable;
        accounts(&p);
        p.run(&["migrate:latest"]).ok();
        let db = p.database.clone().unwrap();
        let user = format!("furrow_lim_{}", std::process::id());
        let mut admin = admin_conn();
        admin.query_drop(format!("DROP USER IF EXISTS '{user}'@'%'")).unwrap();
        admin.query_drop(format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'lim-pw-1234'")).unwrap();
        admin.query_drop(format!("GRANT ALL PRIVILEGES ON `{db}`.* TO '{user}'@'%'")).unwrap();
        let url = mysql_admin_url().unwrap();
        let host = url.split('@').nth(1).unwrap().trim_end_matches('/');
        let conn = format!("mysql://{user}:lim-pw-1234@{host}/{db}");
        let r = p.run(&["--connection", &conn, "schema:drift"]);
        admin.query_drop(format!("DROP USER IF EXISTS '{user}'@'%'")).unwrap();
        r.code(1)
            .has("cannot tell whether the schema drifted")
            .has("lacks the CREATE privilege")
            .has("GRANT ALL PRIVILEGES ON `furrow\\_drift\\_%`.*")
            .lacks("lim-pw-1234");
    }
}
