//! A 3-node MariaDB Galera cluster on loopback (scripts/test.sh starts it): runners on
//! different nodes serialise on the lease row, apply each migration once, and take over from
//! a holder that was killed. Without a cluster these tests skip, saying so (under the test
//! script, FURROW_TEST_REQUIRE_GALERA=1 makes a missing cluster a failure).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;

use crate::support::*;

static N: AtomicUsize = AtomicUsize::new(0);

/// The cluster's three node URLs (no database), or a visible skip.
fn nodes(test: &str) -> Option<Vec<String>> {
    let urls: Vec<String> = std::env::var("FURROW_TEST_GALERA_URLS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if urls.len() == 3 {
        return Some(urls);
    }
    if std::env::var("FURROW_TEST_REQUIRE_GALERA").is_ok_and(|v| v == "1") {
        panic!("{test}: FURROW_TEST_REQUIRE_GALERA=1 but FURROW_TEST_GALERA_URLS has no 3 nodes");
    }
    eprintln!(
        "SKIPPED {test}: no Galera cluster (run ./scripts/test.sh, or set FURROW_TEST_GALERA_URLS)"
    );
    None
}

/// A project whose database lives on the cluster; runners reach it through any node.
struct ClusterProject {
    dir: tempfile::TempDir,
    nodes: Vec<String>,
    db: String,
}

impl ClusterProject {
    fn new(nodes: Vec<String>, extra: &str) -> ClusterProject {
        let db = format!(
            "furrow_g{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut c = conn(&nodes[0], "");
        c.query_drop(format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4"))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        std::fs::create_dir_all(dir.path().join("seeds")).unwrap();
        let p = ClusterProject { dir, nodes, db };
        std::fs::write(
            p.dir.path().join("knexfile.yaml"),
            format!(
                "development:\n  client: mysql\n  connection: {}\n  migrations:\n    extension: sql\n    lockTimeout: 120\n    lockLease: 3\n  seeds:\n    lockTimeout: 120\n    lockLease: 3\n{extra}",
                p.url(0)
            ),
        )
        .unwrap();
        p
    }

    fn url(&self, node: usize) -> String {
        format!("{}{}", self.nodes[node], self.db)
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.path().join(rel), text).unwrap();
    }

    /// furrow through `node`.
    fn command(&self, node: usize, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--connection")
            .arg(self.url(node))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("FURROW_ENV")
            .env_remove("NODE_ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn spawn(&self, node: usize, args: &[&str]) -> Child {
        self.command(node, args).spawn().expect("spawn furrow")
    }

    fn db(&self, node: usize) -> mysql::Conn {
        conn(&self.nodes[node], &self.db)
    }

    fn scalar(&self, node: usize, sql: &str) -> i64 {
        let mut c = self.db(node);
        // Read what every node has committed.
        c.query_drop("SET SESSION wsrep_sync_wait = 1").unwrap();
        c.query_first::<i64, _>(sql).unwrap().unwrap_or(-1)
    }
}

impl Drop for ClusterProject {
    fn drop(&mut self) {
        if let Ok(mut c) = mysql::Conn::new(mysql::Opts::from_url(&self.nodes[0]).unwrap()) {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.db));
        }
    }
}

fn conn(node: &str, db: &str) -> mysql::Conn {
    let opts = mysql::OptsBuilder::from_opts(mysql::Opts::from_url(node).unwrap())
        .db_name(Some(db).filter(|d| !d.is_empty()))
        .tcp_connect_timeout(Some(Duration::from_secs(10)));
    mysql::Conn::new(opts).expect("connect to a Galera node")
}

/// Twenty migrations: tables, and one of plain DML whose second application would show.
fn twenty_migrations(p: &ClusterProject) {
    p.write(
        "migrations/20240101000000_marks.sql",
        "-- migrate:up\nCREATE TABLE marks (id INT AUTO_INCREMENT PRIMARY KEY, v INT);\n\n-- migrate:down\nDROP TABLE marks;\n",
    );
    for i in 1..20 {
        let name = format!("migrations/{}_m{i}.sql", 20240101000000u64 + i as u64);
        if i == 10 {
            p.write(&name, "-- migrate:up\nINSERT INTO marks (v) VALUES (10);\n\n-- migrate:down\nDELETE FROM marks WHERE v = 10;\n");
        } else {
            p.write(&name, &format!("-- migrate:up\nCREATE TABLE t_{i} (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE t_{i};\n"));
        }
    }
}

#[test]
fn nine_runners_on_three_nodes_apply_each_migration_once() {
    let Some(nodes) = nodes("galera::nine_runners_on_three_nodes_apply_each_migration_once") else {
        return;
    };
    for round in 0..3 {
        let p = ClusterProject::new(nodes.clone(), "");
        twenty_migrations(&p);
        let runners: Vec<Child> = (0..9)
            .map(|i| p.spawn(i % 3, &["migrate:latest"]))
            .collect();
        let mut ran = 0;
        for r in runners {
            let out = to_run(r.wait_with_output().unwrap());
            assert_eq!(
                out.code,
                0,
                "round {round}: every runner exits 0\n{}",
                out.all()
            );
            assert!(!out.all().contains("Deadlock"), "{}", out.all());
            if out.stdout.contains("Batch 1 run: 20 migrations") {
                ran += 1;
            } else {
                assert!(out.stdout.contains("Already up to date"), "{}", out.all());
            }
        }
        assert_eq!(ran, 1, "round {round}: one runner applied the batch");
        for node in 0..3 {
            assert_eq!(
                p.scalar(node, "SELECT COUNT(*) FROM furrow_migrations"),
                20,
                "node {node}"
            );
            assert_eq!(
                p.scalar(
                    node,
                    "SELECT COUNT(DISTINCT name) FROM furrow_migrations WHERE state = 'applied'"
                ),
                20
            );
            assert_eq!(
                p.scalar(node, "SELECT COUNT(*) FROM marks"),
                1,
                "node {node}: the DML migration ran once"
            );
            assert_eq!(
                p.scalar(node, "SELECT COUNT(*) FROM furrow_migrations_lock"),
                0,
                "node {node}: the lease is released"
            );
        }
    }
}

#[test]
fn six_seed_runs_on_three_nodes_load_once_and_count_six() {
    let Some(nodes) = nodes("galera::six_seed_runs_on_three_nodes_load_once_and_count_six") else {
        return;
    };
    let p = ClusterProject::new(nodes, "");
    p.write(
        "migrations/20240101000000_accounts.sql",
        "-- migrate:up\nCREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50), description VARCHAR(200));\n\n-- migrate:down\nDROP TABLE accounts;\n",
    );
    p.write(
        "seeds/accounts.yaml",
        "table: accounts\nmode: upsert\nrows:\n  - { id: 1, name: John Smith, description: CEO }\n  - { id: 2, name: Ed Williams, description: CTO }\n  - { id: 3, name: Wendy Jones, description: CFO }\n",
    );
    let out = to_run(p.command(0, &["migrate:latest"]).output().unwrap());
    assert_eq!(out.code, 0, "{}", out.all());
    let runs: Vec<Child> = (0..6).map(|i| p.spawn(i % 3, &["seed:run"])).collect();
    for r in runs {
        let out = to_run(r.wait_with_output().unwrap());
        assert_eq!(out.code, 0, "every seed run exits 0\n{}", out.all());
        assert!(!out.all().contains("Deadlock"), "{}", out.all());
    }
    for node in 0..3 {
        assert_eq!(p.scalar(node, "SELECT COUNT(*) FROM accounts"), 3);
        assert_eq!(
            p.scalar(
                node,
                "SELECT run_count FROM furrow_seeds WHERE name = 'accounts.yaml'"
            ),
            6,
            "node {node}: no lost update"
        );
    }
}

#[test]
fn a_killed_holder_is_replaced_after_its_lease() {
    let Some(nodes) = nodes("galera::a_killed_holder_is_replaced_after_its_lease") else {
        return;
    };
    let p = ClusterProject::new(nodes, "");
    // The INSERT sleeps when it runs through node 1: the first runner is killed inside it;
    // the one that takes over, through node 2, runs it at once.
    let mut c = p.db(0);
    c.query_drop("CREATE TABLE marks (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
        .unwrap();
    p.write(
        "migrations/20240101000000_mark.sql",
        "-- migrate:up\nINSERT INTO marks (v) SELECT 1 FROM DUAL WHERE SLEEP(IF(@@wsrep_node_name = 'node1', 60, 0)) = 0;\n\n-- migrate:down\nDELETE FROM marks;\n",
    );
    let mut first = p.spawn(0, &["migrate:latest"]);
    let mut admin = conn(&p.nodes[0], "");
    let running = |admin: &mut mysql::Conn| {
        admin
            .query_first::<i64, _>(format!(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '{}' AND info LIKE 'INSERT INTO marks%'",
                p.db
            ))
            .unwrap()
            .unwrap_or(0)
            > 0
    };
    assert!(
        wait_for(60, || running(&mut admin)),
        "the first runner is inside the migration"
    );
    // Status, through another node, names the holder and the node it runs through.
    let status = to_run(p.command(2, &["migrate:status"]).output().unwrap());
    assert_eq!(status.code, 0, "{}", status.all());
    assert!(
        status.stdout.contains("A runner holds the migration lock")
            && status.stdout.contains("through cluster node node1"),
        "{}",
        status.all()
    );
    first.kill().unwrap(); // SIGKILL: its lease is no longer renewed
    first.wait().unwrap();
    // As if it had run on another machine, where nobody can see that its process is gone:
    // only the lease's expiry frees the lock.
    c.query_drop("UPDATE furrow_migrations_lock SET host = 'another-host' WHERE id = 1")
        .unwrap();
    let started = Instant::now();
    let out = to_run(p.command(1, &["migrate:latest"]).output().unwrap());
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("Batch 1 run: 1 migrations"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("through cluster node node1"),
        "the wait names the holder's node\n{}",
        out.all()
    );
    assert!(
        took < Duration::from_secs(40),
        "took over within the lease (3 s) and a margin: {took:?}"
    );
    // The killed runner's statement still sleeps on node 1: end it; its transaction, never
    // committed, rolls back.
    let orphan: Option<i64> = admin
        .query_first(format!(
            "SELECT id FROM information_schema.processlist WHERE db = '{}' AND info LIKE 'INSERT INTO marks%'",
            p.db
        ))
        .unwrap();
    if let Some(id) = orphan {
        let _ = admin.query_drop(format!("KILL {id}"));
    }
    for node in 0..3 {
        assert_eq!(
            p.scalar(node, "SELECT COUNT(*) FROM marks"),
            1,
            "node {node}: applied exactly once"
        );
        assert_eq!(
            p.scalar(
                node,
                "SELECT COUNT(*) FROM furrow_migrations WHERE state = 'applied'"
            ),
            1
        );
    }
}
