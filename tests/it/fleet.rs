//! Fleets (SPEC §8): one command on many databases. SQLite fleets of files named by a glob,
//! a list or a targets file; MariaDB fleets of databases on the test server. Every test
//! checks the databases directly, and waits on what it can observe, never on time.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::Duration;

use mysql::prelude::Queryable;

use crate::support::*;

const A: &str = "20240101000000_a.sql";
const B: &str = "20240101000001_b.sql";

fn migrations(p: &Project) {
    p.migration(A, &create_table_migration("accounts"));
    p.migration(B, &create_table_migration("roles"));
}

/// A SQLite project whose fleet is `extra` (YAML under `development:`).
fn sqlite_fleet(extra: &str) -> Project {
    let p = Project::new(Backend::Sqlite);
    p.write(
        "knexfile.yaml",
        &format!("development:\n  client: sqlite3\n  migrations:\n    extension: sql\n    lockTimeout: 2\n{extra}"),
    );
    migrations(&p);
    p
}

/// `n` empty SQLite files tenants/t01.sqlite3 …, and tenants/broken.sqlite3 that is no database.
fn tenants(p: &Project, n: usize, broken: bool) -> Vec<String> {
    std::fs::create_dir_all(p.path("tenants")).unwrap();
    let names: Vec<String> = (1..=n).map(|i| format!("t{i:02}")).collect();
    for t in &names {
        p.write(&format!("tenants/{t}.sqlite3"), "");
    }
    if broken {
        p.write(
            "tenants/broken.sqlite3",
            &"this is a text file, not a SQLite database\n".repeat(10),
        );
    }
    names
}

fn tenant_db(p: &Project, name: &str) -> Db {
    Db::Sqlite(rusqlite::Connection::open(p.path(&format!("tenants/{name}.sqlite3"))).unwrap())
}

const GLOB: &str = "  targets: ./tenants/*.sqlite3\n";

#[test]
fn a_fleet_of_41_sqlite_files_one_not_a_database() {
    let p = sqlite_fleet(GLOB);
    let names = tenants(&p, 40, true);
    let r = p.run(&["migrate:latest", "--all-targets"]).code(1);
    for t in &names {
        assert!(
            r.stdout
                .contains(&format!("{t}: Batch 1 run: 2 migrations")),
            "{t}\n{}",
            r.all()
        );
    }
    let r = r
        .has("41 targets: 40 migrated, 1 failed")
        .has("broken: failed: cannot open the SQLite database")
        .has("not a SQLite database")
        .has("1 of 41 targets failed");
    assert!(!r.stdout.contains("Already up to date"));
    for t in &names {
        let mut db = tenant_db(&p, t);
        assert!(db.has_table("accounts") && db.has_table("roles"), "{t}");
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM furrow_migrations WHERE batch = 1"),
            2
        );
    }
    // Re-running touches only what is still behind: nothing here.
    p.run(&["migrate:latest", "--all-targets"])
        .code(1)
        .has("41 targets: 40 up to date, 1 failed");
    // Without the broken file the fleet converges; a new migration reaches every target once.
    std::fs::remove_file(p.path("tenants/broken.sqlite3")).unwrap();
    p.migration("20240101000002_c.sql", &create_table_migration("teams"));
    p.run(&["migrate:latest", "--all-targets", "--parallel", "8"])
        .ok()
        .has("40 targets: 40 migrated")
        .has("t17: Batch 2 run: 1 migrations");
    p.run(&["migrate:latest", "--all-targets"])
        .ok()
        .has("40 targets: 40 up to date");
    for t in &names {
        assert_eq!(
            tenant_db(&p, t).scalar("SELECT COUNT(*) FROM furrow_migrations"),
            3
        );
    }
}

#[test]
fn configuration_errors_exit_2_and_list_what_is_known() {
    let p = sqlite_fleet("  targets: ./tenants/*.db\n");
    tenants(&p, 3, false);
    p.run(&["migrate:latest", "--all-targets"])
        .code(2)
        .has("the targets glob `./tenants/*.db` matches no file")
        .has("tenants holds: t01.sqlite3, t02.sqlite3, t03.sqlite3");

    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  targets:\n    - ./tenants/t01.sqlite3\n    - ./tenants/t02.sqlite3\n    - tenants/t01.sqlite3\n",
    );
    p.run(&["migrate:latest", "--all-targets"])
        .code(2)
        .has("names the database `")
        .has("twice")
        .has("line 4")
        .has("line 6")
        .has("known targets (3)");

    let p = sqlite_fleet(GLOB);
    tenants(&p, 3, false);
    p.run(&["migrate:latest", "--target", "t04"])
        .code(2)
        .has("--target `t04`: no target of environment `development` has that name")
        .has("known targets (3): t01, t02, t03");
    let r = p
        .run(&["--json", "migrate:status", "--target", "nope"])
        .code(2);
    assert_eq!(r.json()["error"]["code"], "config");
    // Fleet flags need a fleet; commands that make files take none.
    p.run(&["migrate:latest", "--parallel", "2"])
        .code(2)
        .has("--parallel applies to a fleet");
    p.run(&["migrate:latest", "--all-targets", "--target", "t01"])
        .code(2);
    p.run(&["migrate:latest", "--all-targets", "--parallel", "0"])
        .code(2);
    p.run(&["migrate:make", "x", "--all-targets"])
        .code(2)
        .has("--all-targets");
    p.run(&["init", "--target", "t01"]).code(2);
    p.run(&["seed:make", "x", "--target", "t01"]).code(2);
    // No default connection: a single-database command says how to name one.
    p.run(&["migrate:latest"])
        .code(2)
        .has("no `connection`, only a fleet")
        .has("--target NAME");
    let p = Project::new(Backend::Sqlite);
    p.run(&["migrate:latest", "--all-targets"])
        .code(2)
        .has("environment `development` names no fleet");
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  targets: ./a/*.db\n  targets_from: ./t.txt\n",
    );
    p.run(&["migrate:status", "--all-targets"])
        .code(2)
        .has("keep one");
}

#[test]
fn target_picks_by_name_file_name_or_path() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 5, false);
    p.run(&[
        "migrate:latest",
        "--target",
        "t02",
        "--target",
        "t04.sqlite3",
        "--target",
        "tenants/t05.sqlite3",
    ])
    .ok()
    .has("3 targets: 3 migrated")
    .lacks("t01:")
    .lacks("t03:");
    for (t, done) in [
        ("t01", false),
        ("t02", true),
        ("t03", false),
        ("t04", true),
        ("t05", true),
    ] {
        assert_eq!(tenant_db(&p, t).has_table("accounts"), done, "{t}");
    }
}

#[test]
fn targets_from_a_file_with_comments_and_variables() {
    let p = sqlite_fleet("  targets_from: ./tenants.txt\n");
    tenants(&p, 3, false);
    p.write(
        "tenants.txt",
        "# the fleet\n./tenants/t01.sqlite3\n\n${TENANT_DIR}/t02.sqlite3   # acme\n./tenants/t03.sqlite3\n",
    );
    p.run_env(
        &["migrate:latest", "--all-targets"],
        &[("TENANT_DIR", "./tenants")],
    )
    .ok()
    .has("3 targets: 3 migrated");
    p.run(&["migrate:latest", "--all-targets"])
        .code(2)
        .has("tenants.txt line 4: environment variable `TENANT_DIR` is not set");
}

#[test]
fn on_error_stop_starts_nothing_after_a_failure() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 4, true); // broken.sqlite3 sorts first
    let r = p
        .run(&[
            "--json",
            "migrate:latest",
            "--all-targets",
            "--parallel",
            "1",
            "--on-error",
            "stop",
        ])
        .code(1);
    let doc = r.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["code"], "targets_failed");
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets[0]["name"], "broken");
    assert_eq!(targets[0]["outcome"], "failed");
    for t in &targets[1..] {
        assert_eq!(t["outcome"], "not_run", "{t}");
        assert!(t["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--on-error stop, after broken failed"));
    }
    assert_eq!(doc["summary"]["not_run"], 4);
    for i in 1..=4 {
        assert!(!tenant_db(&p, &format!("t{i:02}")).has_table("accounts"));
    }
    // The default goes on.
    p.run(&["migrate:latest", "--all-targets", "--parallel", "1"])
        .code(1)
        .has("5 targets: 4 migrated, 1 failed");
}

#[test]
fn a_failed_canary_stops_the_rest() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 6, true);
    p.run(&["migrate:latest", "--all-targets", "--canary", "2"])
        .code(1)
        .has("7 targets: 1 migrated, 1 failed, 5 not run")
        .has("not run: t02, t03, t04, t05, t06");
    assert!(tenant_db(&p, "t01").has_table("accounts"));
    assert!(!tenant_db(&p, "t02").has_table("accounts"));
    std::fs::remove_file(p.path("tenants/broken.sqlite3")).unwrap();
    p.run(&["migrate:latest", "--all-targets", "--canary", "2"])
        .ok()
        .has("6 targets: 5 migrated, 1 up to date");
}

#[test]
fn json_is_one_document_with_a_targets_array() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 3, false);
    let r = p.run(&["--json", "migrate:latest", "--all-targets"]).ok();
    let doc = r.json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["command"], "migrate:latest");
    assert_eq!(doc["summary"]["migrated"], 3);
    let targets = doc["targets"].as_array().unwrap();
    let names: Vec<&str> = targets
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t01", "t02", "t03"]);
    for t in targets {
        assert_eq!(t["ok"], true);
        assert_eq!(t["outcome"], "migrated");
        // The single-database command's own document.
        assert_eq!(t["result"]["command"], "migrate:latest");
        assert_eq!(t["result"]["batch"], 1);
        assert_eq!(t["result"]["migrations"].as_array().unwrap().len(), 2);
    }
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let doc = p
        .run(&["--json", "migrate:list", "--all-targets"])
        .ok()
        .json();
    assert_eq!(
        doc["targets"][0]["result"]["completed"],
        serde_json::json!([A, B])
    );
}

#[test]
fn status_groups_targets_and_check_exits_3() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 6, false);
    std::fs::remove_file(p.path(&format!("migrations/{B}"))).unwrap();
    p.run(&[
        "migrate:latest",
        "--target",
        "t01",
        "--target",
        "t02",
        "--target",
        "t03",
    ])
    .ok();
    migrations(&p);
    p.run(&["migrate:latest", "--target", "t01", "--target", "t02"])
        .ok();
    // t04 was changed by hand: its record no longer matches the file.
    p.run(&["migrate:latest", "--target", "t04"]).ok();
    tenant_db(&p, "t04")
        .exec("UPDATE furrow_migrations SET checksum = 'x' WHERE name = '20240101000000_a.sql'");
    p.run(&["migrate:status", "--all-targets", "--check"])
        .code(3)
        .has("6 targets: 2 up to date, 3 pending, 1 modified")
        .has("up to date (2)")
        .has("pending 2 (2): t05, t06")
        .has("pending 1 (1): t03")
        .has("modified (1): t04")
        .lacks("t01");
    p.run(&["migrate:status", "--all-targets"]).ok();
    let doc = p
        .run(&["--json", "migrate:status", "--all-targets", "--check"])
        .code(3)
        .json();
    assert_eq!(doc["up_to_date"], false);
    let groups = doc["groups"].as_array().unwrap();
    let g: Vec<(&str, usize)> = groups
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap(),
                g["targets"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        g,
        [
            ("up to date", 2),
            ("pending 2", 2),
            ("pending 1", 1),
            ("modified", 1)
        ]
    );
    p.run(&["migrate:status", "--target", "t01", "--check"])
        .ok();
    // --verbose names the targets that are up to date too.
    p.run(&["migrate:status", "--all-targets", "--verbose"])
        .ok()
        .has("up to date (2): t01, t02");
}

#[test]
fn rollback_list_and_seeds_across_a_fleet() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 4, false);
    p.seed(
        "accounts.yaml",
        "table: accounts\nrows:\n  - { id: 1, name: John Smith }\n  - { id: 2, name: Ed Williams }\n",
    );
    p.run(&["migrate:latest", "--all-targets"]).ok();
    p.run(&["migrate:list", "--all-targets"])
        .ok()
        .has("t03: 2 completed, 0 pending")
        .has("4 targets: 4 up to date");
    p.run(&["seed:status", "--all-targets"])
        .ok()
        .has("never run 1 (4): t01, t02, t03, t04");
    p.run(&["seed:run", "--all-targets"])
        .ok()
        .has("t02: Ran 1 seed file")
        .has("4 targets: 4 seeded");
    assert_eq!(
        tenant_db(&p, "t04").scalar("SELECT COUNT(*) FROM accounts"),
        2
    );
    p.run(&["seed:status", "--all-targets"])
        .ok()
        .has("4 targets: 4 up to date");
    p.run(&["migrate:rollback", "--all-targets", "--all"])
        .ok()
        .has("t01: Batch 1 rolled back: 2 migrations")
        .has("4 targets: 4 rolled back");
    assert!(!tenant_db(&p, "t01").has_table("accounts"));
    p.run(&["migrate:rollback", "--all-targets"])
        .ok()
        .has("4 targets: 4 at base");
    p.run(&["migrate:latest", "--all-targets", "--dry-run"])
        .ok()
        .has("t01: Batch 1 would run: 2 migrations")
        .has("4 targets: 4 would migrate");
    assert!(!tenant_db(&p, "t01").has_table("accounts"));
}

/// Kills a fleet run with SIGKILL once `ready` holds; waits for it.
fn kill_when(mut child: Child, ready: impl FnMut() -> bool) {
    let seen = wait_for(60, ready);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen, "the fleet never reached the point the test waits for");
}

#[test]
fn kill_9_of_a_fleet_run_then_the_next_run_converges() {
    let p = sqlite_fleet(GLOB);
    let names = tenants(&p, 12, false);
    p.run(&["migrate:latest", "--target", "t01", "--target", "t02"])
        .ok();
    p.migration("20240101000002_c.sql", "-- migrate:up\nCREATE TABLE teams (id INTEGER);\nCREATE TABLE members (id INTEGER);\n-- migrate:down\nDROP TABLE members;\nDROP TABLE teams;\n");
    let marker = p.path("paused");
    let child = p
        .command(&["migrate:latest", "--all-targets", "--parallel", "3"])
        .env("FURROW_TEST_PAUSE", "migrate-statement")
        .env("FURROW_TEST_PAUSE_FILE", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    kill_when(child, || marker.exists());
    // Each target as a single kill leaves it: every migration applied, or absent.
    for t in &names {
        let mut db = tenant_db(&p, t);
        if !db.has_table("furrow_migrations") {
            continue;
        }
        for row in db.rows("SELECT name, state FROM furrow_migrations") {
            assert_eq!(row[1], "applied", "{t}: {row:?}");
        }
        let c =
            db.scalar("SELECT COUNT(*) FROM furrow_migrations WHERE name = '20240101000002_c.sql'");
        assert_eq!(db.has_table("teams"), c == 1, "{t}");
        assert_eq!(db.has_table("members"), c == 1, "{t}");
    }
    // No lock left blocks the next run (lockTimeout is 2 s: a held lock would fail it).
    p.run(&["migrate:latest", "--all-targets"])
        .ok()
        .has("12 targets:")
        .lacks("Waiting for the lock")
        .lacks("failed");
    p.run(&["migrate:status", "--all-targets", "--check"])
        .ok()
        .has("12 targets: 12 up to date");
    for t in &names {
        assert_eq!(
            tenant_db(&p, t).scalar("SELECT COUNT(*) FROM furrow_migrations"),
            3,
            "{t}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// MariaDB

/// Databases on the test server, dropped at the end.
struct Databases {
    names: Vec<String>,
    users: Vec<String>,
}

impl Databases {
    fn new(tag: &str, n: usize) -> Databases {
        let mut admin = admin_conn();
        let names: Vec<String> = (0..n)
            .map(|i| format!("furrow_f{}_{tag}_{i}", std::process::id()))
            .collect();
        for db in &names {
            admin
                .query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
                .unwrap();
            admin.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
        }
        Databases {
            names,
            users: Vec::new(),
        }
    }

    fn user(&mut self, user: &str, password: &str, db: &str) {
        let mut admin = admin_conn();
        admin
            .query_drop(format!("DROP USER IF EXISTS '{user}'@'%'"))
            .unwrap();
        admin
            .query_drop(format!(
                "CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"
            ))
            .unwrap();
        admin
            .query_drop(format!("GRANT ALL PRIVILEGES ON `{db}`.* TO '{user}'@'%'"))
            .unwrap();
        self.users.push(user.to_string());
    }

    fn count(&self, db: &str, sql: &str) -> i64 {
        let mut admin = admin_conn();
        admin.query_drop(format!("USE `{db}`")).unwrap();
        admin.query_first::<i64, _>(sql).unwrap().unwrap_or(0)
    }

    fn has_table(&self, db: &str, table: &str) -> bool {
        self.count(
            db,
            &format!("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"),
        ) == 1
    }
}

impl Drop for Databases {
    fn drop(&mut self) {
        if let Ok(mut admin) = std::panic::catch_unwind(admin_conn) {
            for db in &self.names {
                let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"));
            }
            for u in &self.users {
                let _ = admin.query_drop(format!("DROP USER IF EXISTS '{u}'@'%'"));
            }
        }
    }
}

/// The test server's host:port, from its admin URL.
fn server() -> String {
    let url = mysql_admin_url().unwrap();
    let rest = url.split('@').nth(1).unwrap();
    rest.trim_end_matches('/').to_string()
}

fn admin_prefix() -> String {
    mysql_admin_url().unwrap().trim_end_matches('/').to_string()
}

fn mysql_fleet(targets: &[String], gate: &str) -> Project {
    let p = Project::new(Backend::Mysql);
    let list: String = targets.iter().map(|t| format!("    - {t}\n")).collect();
    p.write(
        "knexfile.yaml",
        &format!("development:\n  client: mysql\n  targets:\n{list}  migrations:\n    extension: sql\n    lockTimeout: 5\n"),
    );
    p.migration(A, &create_table_migration("accounts"));
    // Waits at a gate the test holds (GET_LOCK), then sleeps 1 s: while the gate is shut,
    // the sessions waiting at it are the targets running at once.
    p.migration(
        B,
        &format!("-- migrate:up\nSELECT GET_LOCK('{gate}', 120);\nSELECT RELEASE_LOCK('{gate}');\nSELECT SLEEP(1);\nCREATE TABLE roles (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE roles;\n"),
    );
    p
}

fn waiting_at(admin: &mut mysql::Conn, gate: &str) -> i64 {
    admin
        .query_first::<i64, _>(format!(
            "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT GET_LOCK(''{gate}''%' AND id <> CONNECTION_ID()"
        ))
        .unwrap()
        .unwrap_or(0)
}

/// The lines a child prints, as they come.
fn lines_of(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn output_of(child: Child) -> Run {
    to_run(child.wait_with_output().unwrap())
}

#[test]
fn mysql_fleet_runs_n_at_once_and_never_prints_a_password() {
    if !mysql_available("fleet::mysql_fleet_runs_n_at_once_and_never_prints_a_password") {
        return;
    }
    let mut dbs = Databases::new("par", 6);
    const SECRET: &str = "Fl33t-Secret-Pw9";
    let user = format!("fleet_{}", std::process::id());
    dbs.user(&user, SECRET, &dbs.names[5].clone());
    let gate = format!("fleet_gate_{}", std::process::id());
    let mut targets: Vec<String> = dbs.names[..5]
        .iter()
        .map(|db| format!("{}/{db}", admin_prefix()))
        .collect();
    targets.insert(
        2,
        format!(
            "{}/furrow_no_such_db_{}",
            admin_prefix(),
            std::process::id()
        ),
    );
    targets.push(format!(
        "mysql://{user}:${{TENANT_PW}}@{}/{}",
        server(),
        dbs.names[5]
    ));
    let p = mysql_fleet(&targets, &gate);

    let mut admin = admin_conn();
    admin
        .query_drop(format!("SELECT GET_LOCK('{gate}', 10)"))
        .unwrap();
    let child = p
        .command(&[
            "migrate:latest",
            "--all-targets",
            "--parallel",
            "3",
            "--verbose",
        ])
        .env("TENANT_PW", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Three targets wait at the gate at once; never a fourth.
    let three = wait_for(60, || waiting_at(&mut admin, &gate) == 3);
    let samples: Vec<i64> = (0..10).map(|_| waiting_at(&mut admin, &gate)).collect();
    admin
        .query_drop(format!("SELECT RELEASE_LOCK('{gate}')"))
        .unwrap();
    let r = output_of(child);
    assert!(
        three,
        "three targets never waited at the gate together\n{}",
        r.all()
    );
    assert!(samples.iter().all(|&n| n <= 3), "{samples:?}");
    let r = r
        .code(1)
        .has("7 targets: 6 migrated, 1 unreachable")
        .has("unknown database `furrow_no_such_db_")
        .has(&format!("{}: Batch 1 run: 2 migrations", dbs.names[5]))
        .lacks(SECRET);
    drop(r);
    for db in &dbs.names {
        assert!(dbs.has_table(db, "roles"), "{db}");
        assert_eq!(
            dbs.count(db, "SELECT COUNT(*) FROM furrow_migrations"),
            2,
            "{db}"
        );
    }
    // Nothing left behind: the re-run is up to date everywhere, the password still unsaid.
    let r = p
        .run_env(
            &[
                "--json",
                "migrate:status",
                "--all-targets",
                "--check",
                "--verbose",
            ],
            &[("TENANT_PW", SECRET)],
        )
        .code(1)
        .lacks(SECRET);
    let doc = r.json();
    assert_eq!(doc["summary"]["up_to_date"], 6);
    assert_eq!(doc["summary"]["unreachable"], 1);
    let groups: Vec<&str> = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["up to date", "unreachable"]);
    // A target named by its URL without the password.
    p.run_env(
        &[
            "migrate:status",
            "--target",
            &format!("mysql://{user}@{}/{}", server(), dbs.names[5]),
            "--check",
        ],
        &[("TENANT_PW", SECRET)],
    )
    .ok()
    .has("1 target: 1 up to date")
    .lacks(SECRET);
    // A wrong password is an access error that names no password either.
    p.run_env(
        &["migrate:latest", "--target", &dbs.names[5]],
        &[("TENANT_PW", "wrong-password-x")],
    )
    .code(1)
    .has("access denied")
    .lacks("wrong-password-x");
}

/// A server that accepts connections and never answers; `hold` keeps the sockets until dropped.
fn black_hole() -> (u16, std::sync::mpsc::Receiver<std::net::TcpStream>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            if tx.send(s).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

#[test]
fn mysql_a_target_that_never_answers_delays_no_other() {
    if !mysql_available("fleet::mysql_a_target_that_never_answers_delays_no_other") {
        return;
    }
    let dbs = Databases::new("slow", 3);
    let (port, accepted) = black_hole();
    let mut targets = vec![format!(
        "mysql://nobody@127.0.0.1:{port}/silent?connectTimeout=600000"
    )];
    targets.extend(
        dbs.names
            .iter()
            .map(|db| format!("{}/{db}", admin_prefix())),
    );
    let p = mysql_fleet(&targets, &format!("fleet_open_{}", std::process::id()));
    let mut child = p
        .command(&["migrate:latest", "--all-targets", "--parallel", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held = accepted
        .recv_timeout(Duration::from_secs(60))
        .expect("the fleet connects to the silent server");
    // Every other target's line comes while the silent one still waits for its handshake.
    let lines = lines_of(child.stdout.take().unwrap());
    let mut out = Vec::new();
    let others_done = wait_for(120, || {
        out.extend(lines.try_iter());
        dbs.names.iter().all(|db| {
            out.iter()
                .any(|l| l.starts_with(&format!("{db}: Batch 1 run")))
        })
    });
    let still_running = child.try_wait().unwrap().is_none();
    let silent_before = out.iter().any(|l| l.starts_with("silent:"));
    drop(held); // the silent server hangs up: its target fails
    let r = output_of(child);
    out.extend(lines.iter());
    let out = out.join("\n");
    assert!(
        others_done && still_running && !silent_before,
        "{out}\n{}",
        r.all()
    );
    assert!(out.contains("silent: unreachable: "), "{out}");
    assert!(
        out.contains("4 targets: 3 migrated, 1 unreachable"),
        "{out}"
    );

    // connectTimeout bounds the wait: the run ends although the server never answers.
    let (port, _accepted) = black_hole();
    let p = mysql_fleet(
        &[format!(
            "mysql://nobody@127.0.0.1:{port}/silent?connectTimeout=300"
        )],
        "unused_gate",
    );
    let mut child = p
        .command(&["migrate:latest", "--all-targets"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ended = wait_for(60, || child.try_wait().unwrap().is_some());
    if !ended {
        let _ = child.kill();
    }
    let r = output_of(child);
    assert!(
        ended,
        "a silent server held the fleet past connectTimeout\n{}",
        r.all()
    );
    r.code(1).has("no answer within 0.3s (connectTimeout)");
}

#[test]
fn mysql_kill_9_of_a_fleet_run_leaves_no_lock() {
    if !mysql_available("fleet::mysql_kill_9_of_a_fleet_run_leaves_no_lock") {
        return;
    }
    let dbs = Databases::new("kill", 6);
    let targets: Vec<String> = dbs
        .names
        .iter()
        .map(|db| format!("{}/{db}", admin_prefix()))
        .collect();
    let gate = format!("fleet_kill_gate_{}", std::process::id());
    let p = mysql_fleet(&targets, &gate);
    let mut admin = admin_conn();
    admin
        .query_drop(format!("SELECT GET_LOCK('{gate}', 10)"))
        .unwrap();
    let child = p
        .command(&["migrate:latest", "--all-targets", "--parallel", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed while three targets hold their runner locks, inside the gated migration.
    kill_when(child, || waiting_at(&mut admin, &gate) == 3);
    admin
        .query_drop(format!("SELECT RELEASE_LOCK('{gate}')"))
        .unwrap();
    // The killed sessions' statements end with them (the server may take a moment to see it).
    assert!(wait_for(60, || waiting_at(&mut admin, &gate) == 0));
    let r = p.run(&["migrate:latest", "--all-targets", "--parallel", "6"]);
    let r = r.ok().lacks("Waiting for the lock").has("6 targets:");
    drop(r);
    for db in &dbs.names {
        assert_eq!(
            dbs.count(
                db,
                "SELECT COUNT(*) FROM furrow_migrations WHERE state = 'applied'"
            ),
            2,
            "{db}"
        );
        assert!(dbs.has_table(db, "roles"), "{db}");
    }
}

#[test]
fn lint_runs_on_each_target_and_its_errors_exit_1() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 3, false);
    p.run(&["migrate:lint", "--all-targets"])
        .ok()
        .has("t01: No findings in 2 migrations")
        .has("3 targets: 3 clean");
    p.run(&["migrate:latest", "--all-targets"]).ok();
    p.migration(
        "20240102000000_drop_name.sql",
        "-- migrate:up\nALTER TABLE accounts DROP COLUMN name;\n",
    );
    p.run(&["migrate:lint", "--all-targets", "--pending"])
        .code(1)
        .has("t02: 1 error")
        .has("3 targets: 3 with errors");
    let doc = p
        .run(&["--json", "migrate:lint", "--target", "t03", "--pending"])
        .code(1)
        .json();
    assert_eq!(doc["targets"][0]["outcome"], "with_errors");
    assert_eq!(doc["targets"][0]["result"]["findings"][0]["code"], "DS102");
}

#[test]
fn schema_drift_across_a_fleet_names_the_tenant_changed_by_hand() {
    let p = sqlite_fleet(GLOB);
    tenants(&p, 4, false);
    p.run(&["migrate:latest", "--all-targets"]).ok();
    p.run(&["schema:drift", "--all-targets"])
        .ok()
        .has("4 targets: 4 no drift");
    tenant_db(&p, "t03").exec("ALTER TABLE accounts ADD COLUMN nickname TEXT");
    let out = p.run(&["--json", "schema:drift", "--all-targets"]);
    assert_eq!(out.code, 3, "{}", out.all());
    let j = out.json();
    let drifted: Vec<&str> = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["result"]["equal"] == false)
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(drifted, ["t03"], "{j}");
    p.run(&["schema:drift", "--all-targets"])
        .code(3)
        .has("4 targets: 3 no drift, 1 drifted")
        .has("t03: column accounts.nickname: only in the live database");
}

#[test]
fn a_fleet_run_writes_no_schema_file() {
    // One file, many databases: the targets would write it in turn (and race to).
    let p = sqlite_fleet(GLOB);
    p.write(
        "knexfile.yaml",
        &format!("development:\n  client: sqlite3\n  migrations:\n    extension: sql\n    schemaFile: ./schema.sql\n{GLOB}"),
    );
    tenants(&p, 3, false);
    p.run(&["migrate:latest", "--all-targets"]).ok();
    assert!(!p.path("schema.sql").exists());
    for t in ["t01", "t02", "t03"] {
        assert!(tenant_db(&p, t).has_table("accounts"), "{t}");
    }
}
