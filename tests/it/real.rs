//! Real material (issue 9): files in the shapes that mysqldump and the Sakila and `world`
//! dumps have, kills at a statement, concurrent runners, a full disk. Fixtures are written
//! here, in those shapes.

use crate::mysql::{db_name, lock_holder, lock_name, running, spawn, Reap};
use crate::support::*;
use crate::{both, mysql_test};

/// A table dumped by `mysqldump` (default options: extended inserts, LOCK TABLES, the
/// version-conditional comments), with its preamble and trailer.
fn mysqldump(rows: usize) -> String {
    let values: Vec<String> = (1..=rows)
        .map(|i| {
            format!(
                "({i},'Name {i}','{}')",
                if i % 2 == 0 { "CTO" } else { "CEO" }
            )
        })
        .collect();
    format!(
        "-- migrate:up
-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: app
-- ------------------------------------------------------
-- Server version\t8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `accounts`
--

DROP TABLE IF EXISTS `accounts`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `accounts` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(50) NOT NULL,
  `description` varchar(200) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT={next} DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `accounts`
--

LOCK TABLES `accounts` WRITE;
/*!40000 ALTER TABLE `accounts` DISABLE KEYS */;
INSERT INTO `accounts` VALUES {values};
/*!40000 ALTER TABLE `accounts` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2024-01-01 10:00:00

-- migrate:down
DROP TABLE `accounts`;
",
        next = rows + 1,
        values = values.join(",")
    )
}

/// A migration that records the session it runs in.
const PROBE: &str = "-- migrate:up
CREATE TABLE probe AS SELECT @@foreign_key_checks AS fk, @@autocommit AS ac, @leak AS v, DATABASE() AS db, @@sql_mode AS m;

-- migrate:down
DROP TABLE probe;
";

/// Waits until no statement starting with `prefix` runs in the project's database: the
/// server has finished what a killed runner sent it.
fn finished_on_server(p: &Project, prefix: &str) -> bool {
    let mut admin = Db::Mysql(Box::new(admin_conn()));
    wait_for(60, || !running(&mut admin, p, prefix))
}

/// The connection id running the statement that starts with `prefix`.
fn statement_connection(admin: &mut Db, p: &Project, prefix: &str) -> i64 {
    admin.scalar(&format!(
        "SELECT id FROM information_schema.processlist WHERE db = '{}' AND info LIKE '{prefix}%' LIMIT 1",
        db_name(p)
    ))
}

fn kill_while_running(p: &Project, args: &[&str], prefix: &str) {
    let mut admin = Db::Mysql(Box::new(admin_conn()));
    let mut child = Reap(Some(spawn(p, args)));
    assert!(
        wait_for(30, || running(&mut admin, p, prefix)),
        "the runner reached `{prefix}`"
    );
    let mut c = child.take();
    c.kill().unwrap(); // SIGKILL
    c.wait().unwrap();
    assert!(
        finished_on_server(p, prefix),
        "the server finished `{prefix}`"
    );
}

mysql_test! {
    fn a_mysqldump_file_runs_whole_and_its_session_does_not_leak(p) {
        p.migration("20240101000000_dump.sql", &mysqldump(500));
        // Session state a migration leaves behind, with no restore at its end.
        p.migration(
            "20240102000000_leaky.sql",
            "-- migrate:up\nSET FOREIGN_KEY_CHECKS=0;\nSET @leak = 1;\nSET SQL_MODE='';\nSET AUTOCOMMIT=0;\nLOCK TABLES accounts WRITE;\nUPDATE accounts SET description = 'CFO' WHERE id = 3;\n\n-- migrate:down\nSELECT 1;\n",
        );
        p.migration("20240103000000_probe.sql", PROBE);
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 3 migrations");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM accounts"), 500);
        // The UPDATE ran under SET AUTOCOMMIT=0 and LOCK TABLES: it committed with the migration.
        assert_eq!(db.col("SELECT description FROM accounts WHERE id = 3"), vec!["CFO"]);
        // The next migration started in a clean session, in the knexfile's database.
        assert_eq!(
            db.rows("SELECT fk, ac, COALESCE(v, 'NULL'), db, m = @@GLOBAL.sql_mode FROM probe"),
            vec![vec!["1".to_string(), "1".into(), "NULL".into(), db_name(&p).to_string(), "1".into()]]
        );
        assert_eq!(
            db.rows("SELECT state, statements_applied FROM furrow_migrations ORDER BY id"),
            vec![
                vec!["applied".to_string(), "28".into()],
                vec!["applied".to_string(), "6".into()],
                vec!["applied".to_string(), "1".into()],
            ]
        );
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations_lock"), 0);
        assert_eq!(lock_holder(&mut db, &lock_name(&p)), None);
        drop(db);
        p.run(&["migrate:status", "--check"]).ok();
        p.run(&["migrate:rollback"]).ok().has("rolled back: 3 migrations");
        assert!(!p.db().has_table("accounts"));
    }

    fn autocommit_off_like_sakila_and_world_commits_and_is_recorded(p) {
        // world.sql / sakila-data.sql: SET AUTOCOMMIT=0, the data, COMMIT; and one that
        // forgets its COMMIT (furrow commits what the file left open).
        let mut inserts = String::new();
        for i in 1..=300 {
            inserts.push_str(&format!("INSERT INTO `city` VALUES ({i},'City {i}','AFG',{});\n", i * 1000));
        }
        p.migration(
            "20240101000000_world.sql",
            &format!("-- migrate:up\nSET NAMES utf8mb4;\nSET @old_autocommit=@@autocommit;\nSET AUTOCOMMIT=0;\nCREATE TABLE `city` (`ID` int NOT NULL AUTO_INCREMENT, `Name` char(35) NOT NULL DEFAULT '', `CountryCode` char(3) NOT NULL DEFAULT '', `Population` int NOT NULL DEFAULT '0', PRIMARY KEY (`ID`)) ENGINE=InnoDB;\n{inserts}COMMIT;\nSET AUTOCOMMIT=@old_autocommit;\n\n-- migrate:down\nDROP TABLE city;\n"),
        );
        p.migration(
            "20240102000000_open.sql",
            "-- migrate:up\nSET AUTOCOMMIT=0;\nCREATE TABLE t (id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 2 migrations");
        // Read from a new connection: only what committed is there.
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM city"), 300);
        assert_eq!(db.scalar("SELECT SUM(Population) FROM city"), 1000 * 300 * 301 / 2);
        assert_eq!(db.col("SELECT id FROM t ORDER BY id"), vec!["1", "2"]);
        assert_eq!(db.col("SELECT state FROM furrow_migrations ORDER BY id"), vec!["applied", "applied"]);
        drop(db);
        p.run(&["migrate:status", "--check"]).ok();
        p.run(&["migrate:latest"]).ok().has("Already up to date");
    }

    fn use_of_another_database_keeps_the_tracking_and_later_migrations_home(p) {
        let other = format!("{}_other", db_name(&p));
        p.migration(
            "20240101000000_elsewhere.sql",
            &format!("-- migrate:up\nCREATE DATABASE `{other}`;\nUSE `{other}`;\nCREATE TABLE elsewhere (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP DATABASE `{other}`;\n"),
        );
        p.migration("20240102000000_here.sql", &create_table_migration("here"));
        // A transactional migration (DML only) that switches database too.
        p.migration(
            "20240103000000_dml.sql",
            &format!("-- migrate:up\nUSE `{other}`;\nINSERT INTO elsewhere VALUES (1);\n\n-- migrate:down\nDELETE FROM `{other}`.elsewhere;\n"),
        );
        let run = p.run(&["migrate:latest"]);
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        let cleanup = format!("DROP DATABASE IF EXISTS `{other}`");
        if run.code != 0 {
            admin.exec(&cleanup);
        }
        run.ok().has("Batch 1 run: 3 migrations");
        let mut db = p.db();
        assert!(db.has_table("here"), "the next migration ran in the knexfile's database");
        assert_eq!(db.scalar(&format!("SELECT COUNT(*) FROM `{other}`.elsewhere")), 1);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations WHERE state = 'applied'"), 3);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations_lock"), 0);
        assert_eq!(
            admin.scalar(&format!("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{other}' AND table_name LIKE 'furrow%'")),
            0,
            "no tracking table in the other database"
        );
        drop(db);
        let back = p.run(&["migrate:rollback"]);
        if back.code != 0 {
            admin.exec(&cleanup);
        }
        back.ok().has("rolled back: 3 migrations");
        assert!(!p.db().has_table("here"));
        assert_eq!(admin.scalar(&format!("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{other}'")), 0);
    }

    fn thousands_of_one_row_inserts_are_recorded_in_constant_space(p) {
        // `mysqldump --skip-extended-insert`: one INSERT per row, autocommit on.
        let mut body = String::from("-- migrate:up\nCREATE TABLE c (id INT PRIMARY KEY, name VARCHAR(20));\n");
        for i in 1..=5000 {
            body.push_str(&format!("INSERT INTO `c` VALUES ({i},'row {i}');\n"));
        }
        body.push_str("\n-- migrate:down\nDROP TABLE c;\n");
        p.migration("20240101000000_rows.sql", &body);
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM c"), 5000);
        assert_eq!(
            db.rows("SELECT state, statements_applied, COALESCE(error, 'NULL') FROM furrow_migrations"),
            vec![vec!["applied".to_string(), "5001".into(), "NULL".into()]]
        );
        drop(db);
        // A failure at statement 4,500 records progress (the list of checksums used to
        // overflow its column) and resumes after the fix.
        let broken = body.replace("INSERT INTO `c` VALUES (4500,'row 4500');", "INSERT INTO `c` VALUES (1,'duplicate');");
        p.migration("20240102000000_more.sql", &broken.replace("CREATE TABLE c (", "CREATE TABLE d (").replace("`c`", "`d`").replace("DROP TABLE c", "DROP TABLE d"));
        p.run(&["migrate:latest"]).code(1).has("statement 4501").has("statements 1–4500 of 5001 committed");
        assert_eq!(p.db().scalar("SELECT statements_applied FROM furrow_migrations WHERE state = 'partial'"), 4500);
        p.migration("20240102000000_more.sql", &body.replace("CREATE TABLE c (", "CREATE TABLE d (").replace("`c`", "`d`").replace("DROP TABLE c", "DROP TABLE d"));
        p.run(&["migrate:latest"]).ok();
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM d"), 5000);
    }

    fn a_kill_during_a_first_ddl_statement_is_on_record_and_resumes_after_it(p) {
        p.migration(
            "20240101000000_slow.sql",
            "-- migrate:up\nCREATE TABLE slow AS SELECT SLEEP(2) AS x;\nCREATE TABLE after_slow (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE after_slow;\nDROP TABLE slow;\n",
        );
        kill_while_running(&p, &["migrate:latest"], "CREATE TABLE slow");
        let mut db = p.db();
        assert!(db.has_table("slow"), "the statement committed on the server after the client died");
        assert_eq!(
            db.rows("SELECT state, statements_applied, statement_running FROM furrow_migrations"),
            vec![vec!["partial".to_string(), "0".into(), "1".into()]]
        );
        drop(db);
        p.run(&["migrate:status"]).ok().has("partial").has("statement 1 was running");
        p.run(&["migrate:latest"]).ok().has("the database shows it committed").has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM slow"), 1);
        assert!(db.has_table("after_slow"));
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
    }

    fn a_kill_during_an_insert_asks_where_to_resume(p) {
        p.migration(
            "20240101000000_rows.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY, v INT);\nINSERT INTO t SELECT 1, SLEEP(2);\nINSERT INTO t VALUES (2, 0);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        kill_while_running(&p, &["migrate:latest"], "INSERT INTO t SELECT");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM t"), 1, "the INSERT committed after the kill");
        let j = p.run(&["--json", "migrate:latest"]).code(1).json();
        assert_eq!(j["error"]["code"], "partial");
        p.run(&["migrate:latest"])
            .code(1)
            .has("cannot tell whether it committed")
            .has("--resume-from 2")
            .has("--resume-from 3");
        p.run(&["migrate:latest", "--resume-from", "9"]).code(2).has("give 1–4");
        p.run(&["migrate:latest", "--resume-from", "3"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(db.col("SELECT id FROM t ORDER BY id"), vec!["1", "2"]);
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
    }

    fn a_killed_migration_can_be_taken_down_by_name(p) {
        p.migration(
            "20240101000000_rows.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY, v INT);\nINSERT INTO t SELECT 1, SLEEP(2);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        kill_while_running(&p, &["migrate:latest"], "INSERT INTO t SELECT");
        p.run(&["migrate:down", "20240101000000_rows.sql"]).ok().has("rolled back the following migrations");
        let mut db = p.db();
        assert!(!db.has_table("t"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        drop(db);
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM t"), 1);
    }

    fn runners_started_during_a_ddl_migration_wait_and_find_nothing_to_do(p) {
        p.migration(
            "20240101000000_slow.sql",
            "-- migrate:up\nCREATE TABLE s1 (id INT PRIMARY KEY);\nDO SLEEP(120);\nCREATE TABLE s2 (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE s2;\nDROP TABLE s1;\n",
        );
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        let mut first = Reap(Some(spawn(&p, &["migrate:latest"])));
        assert!(wait_for(30, || running(&mut admin, &p, "DO SLEEP")), "the first runner is inside the migration");
        // Its in-progress row is there for the others to see.
        assert_eq!(p.db().col("SELECT state FROM furrow_migrations"), vec!["partial"]);
        let logs: Vec<std::path::PathBuf> = (0..4).map(|i| p.path(&format!("runner_{i}.log"))).collect();
        let others: Vec<_> = logs
            .iter()
            .map(|log| {
                Reap(Some(
                    p.command(&["migrate:latest"])
                        .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
                        .stderr(std::fs::File::create(log).unwrap())
                        .spawn()
                        .unwrap(),
                ))
            })
            .collect();
        // Every other runner has read the partial row and is waiting for the lock …
        assert!(
            wait_for(60, || logs.iter().all(|l| std::fs::read_to_string(l).unwrap_or_default().contains("Waiting for the lock"))),
            "all four wait for the lock"
        );
        // … then the first one goes on (KILL QUERY makes DO SLEEP return early, without error).
        let id = statement_connection(&mut admin, &p, "DO SLEEP");
        admin.exec(&format!("KILL QUERY {id}"));
        let first = to_run(first.take().wait_with_output().unwrap());
        first.ok().has("Batch 1 run: 1 migrations");
        for (mut o, log) in others.into_iter().zip(&logs) {
            let status = o.take().wait().unwrap();
            let out = std::fs::read_to_string(log.with_extension("out")).unwrap();
            assert!(status.success(), "{out}\n{}", std::fs::read_to_string(log).unwrap());
            assert!(out.contains("Already up to date"), "{out}");
        }
        let mut db = p.db();
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
        assert!(db.has_table("s2"));
    }

    fn a_failed_ddl_statement_still_commits_the_open_transaction_and_says_so(p) {
        // MySQL commits the open transaction before a DDL statement runs, even one that fails.
        p.migration(
            "20240101000000_rows.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY);\nSET AUTOCOMMIT=0;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nALTER TABLE t ADD COLUMN a INT, ADD COLUMN a INT;\nINSERT INTO t (id) VALUES (3);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("statement 5 (line 6) failed")
            .has("statements 1–4 of 6 committed")
            .lacks("rolled back")
            .has("resume at statement 5");
        let mut db = p.db();
        assert_eq!(db.col("SELECT id FROM t ORDER BY id"), vec!["1", "2"]);
        assert_eq!(db.scalar("SELECT statements_applied FROM furrow_migrations"), 4);
        drop(db);
        p.migration(
            "20240101000000_rows.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY);\nSET AUTOCOMMIT=0;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nALTER TABLE t ADD COLUMN a INT;\nINSERT INTO t (id) VALUES (3);\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(p.db().col("SELECT id FROM t ORDER BY id"), vec!["1", "2", "3"]);
    }

    fn a_lost_connection_inside_an_open_transaction_resumes_without_asking(p) {
        // The third statement sleeps while `gate` has a row, so the test can cut its
        // connection while it runs, and the resumed run is quick.
        p.db().exec("CREATE TABLE gate (n INT); INSERT INTO gate VALUES (1);");
        p.migration(
            "20240101000000_rows.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY);\nSET AUTOCOMMIT=0;\nINSERT INTO t VALUES (1);\nINSERT INTO t SELECT 2 FROM DUAL WHERE SLEEP((SELECT COUNT(*) FROM gate) * 60) = 0;\nCOMMIT;\n\n-- migrate:down\nDROP TABLE t;\n",
        );
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        let child = Reap(Some(spawn(&p, &["migrate:latest"])));
        assert!(wait_for(30, || running(&mut admin, &p, "INSERT INTO t SELECT")), "the runner reached the slow INSERT");
        let id = statement_connection(&mut admin, &p, "INSERT INTO t SELECT");
        admin.exec(&format!("KILL CONNECTION {id}"));
        let mut child = child;
        let out = to_run(child.take().wait_with_output().unwrap());
        let out = out.code(1).has("the connection to the MySQL server was lost").has("statements 3–4 ran inside a transaction the migration opened (SET AUTOCOMMIT=0 or START TRANSACTION) and were rolled back").lacks("may have committed");
        drop(out);
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM t"), 0, "the open transaction rolled back");
        assert_eq!(
            db.rows("SELECT state, statements_applied FROM furrow_migrations"),
            vec![vec!["partial".to_string(), "2".into()]]
        );
        db.exec("DELETE FROM gate");
        drop(db);
        // Nothing to fix or choose: it goes on at statement 3, SET AUTOCOMMIT=0 replayed.
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(p.db().col("SELECT id FROM t ORDER BY id"), vec!["1", "2"]);
    }

    fn a_kill_during_a_create_in_another_database_is_not_taken_as_committed(p) {
        let other = format!("{}_d", db_name(&p));
        p.db().exec("CREATE TABLE users (id INT PRIMARY KEY)");
        p.migration(
            "20240101000000_other.sql",
            &format!("-- migrate:up\nCREATE DATABASE `{other}`;\nCREATE TABLE `{other}`.users AS SELECT SLEEP(2) AS s;\n\n-- migrate:down\nDROP DATABASE `{other}`;\n"),
        );
        kill_while_running(&p, &["migrate:latest"], "CREATE TABLE `");
        let run = p.run(&["migrate:latest"]);
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        admin.exec(&format!("DROP DATABASE IF EXISTS `{other}`"));
        run.code(1).has("cannot tell whether it committed").lacks("the database shows");
    }

    fn a_down_section_stopped_half_way_is_on_record_and_runs_again(p) {
        p.migration(
            "20240101000000_ab.sql",
            "-- migrate:up\nCREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE b;\nDROP TABLE missing_table;\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).ok();
        p.run(&["migrate:rollback"])
            .code(1)
            .has("down section, statement 2 (line 7) failed")
            .has("statement 1 of 3 committed")
            .has("half rolled back");
        let mut db = p.db();
        assert!(!db.has_table("b") && db.has_table("a"));
        let error = db.col("SELECT error FROM furrow_migrations").remove(0);
        assert!(error.starts_with("rollback stopped at down statement 2 of 3"), "{error}");
        drop(db);
        p.migration(
            "20240101000000_ab.sql",
            "-- migrate:up\nCREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE IF EXISTS b;\nDROP TABLE IF EXISTS missing_table;\nDROP TABLE a;\n",
        );
        p.run(&["migrate:rollback"]).ok().has("rolled back: 1 migrations");
        let mut db = p.db();
        assert!(!db.has_table("a"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
    }
}

both! {
    fn a_create_index_on_a_misspelt_column_is_refused_before_anything_runs(p) {
        p.write_knexfile();
        p.migration(
            "20240101000000_accounts.yaml",
            "up:\n  - create_table:\n      name: accounts\n      columns:\n        - { name: id, type: increments }\n        - { name: email, type: string }\n",
        );
        p.run(&["migrate:latest"]).ok();
        // One batch: the first migration adds a column and indexes it (fine: the check
        // follows the batch op by op); the second names a column the table does not have.
        p.migration(
            "20240102000000_phone.yaml",
            "up:\n  - add_column: { table: accounts, column: { name: phone, type: string } }\n  - create_index: { table: accounts, columns: [phone] }\n",
        );
        p.migration(
            "20240103000000_index.yaml",
            "up:\n  - create_index: { table: accounts, columns: [emial] }\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("20240103000000_index.yaml")
            .has("up[0].create_index")
            .has("table `accounts` has no column `emial`; did you mean `email`?")
            .has("nothing was applied");
        p.run(&["migrate:latest", "--dry-run"]).code(1).has("has no column `emial`");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 1);
        let phone = match p.backend {
            Backend::Sqlite => db.scalar("SELECT COUNT(*) FROM pragma_table_info('accounts') WHERE name = 'phone'"),
            Backend::Mysql => db.scalar("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'accounts' AND column_name = 'phone'"),
        };
        assert_eq!(phone, 0, "the batch's first migration did not run either");
        drop(db);
        // SQLite itself no longer takes "emial" for a string: raw SQL fails too.
        p.remove("migrations/20240103000000_index.yaml");
        p.migration(
            "20240103000000_index.yaml",
            "up:\n  - sql: CREATE INDEX accounts_emial ON accounts (\"emial\")\ndown:\n  - sql: DROP INDEX accounts_emial ON accounts\n",
        );
        let run = p.run(&["migrate:latest"]).code(1);
        assert!(run.all().contains("emial"), "{}", run.all());
    }
}

mod sqlite_only {
    use super::*;

    /// A 3 MB filesystem of its own (tmpfs), unmounted when dropped. `None` where this user
    /// may not mount one (the test then skips, saying so; the test script runs as root).
    struct SmallDisk(std::path::PathBuf);

    impl SmallDisk {
        fn mount(at: std::path::PathBuf) -> Option<SmallDisk> {
            std::fs::create_dir_all(&at).unwrap();
            let ok = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
                .arg(&at)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            ok.then_some(SmallDisk(at))
        }
    }

    impl Drop for SmallDisk {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }

    #[test]
    fn a_full_disk_mid_seed_leaves_no_rows_and_says_so() {
        let p = Project::new(Backend::Sqlite);
        let Some(_disk) = SmallDisk::mount(p.path("disk")) else {
            if std::env::var("FURROW_TEST_REQUIRE_MYSQL").is_ok_and(|v| v == "1") && is_root() {
                panic!("cannot mount a tmpfs as root");
            }
            eprintln!("SKIPPED real::sqlite_only::a_full_disk_mid_seed_leaves_no_rows_and_says_so: cannot mount a small filesystem (needs root)");
            return;
        };
        p.write(
            "knexfile.yaml",
            "development:\n  client: sqlite3\n  connection:\n    filename: ./disk/dev.sqlite3\n  migrations:\n    extension: sql\n",
        );
        p.migration("20240101000000_accounts.sql", "-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, description TEXT);\n\n-- migrate:down\nDROP TABLE accounts;\n");
        p.run(&["migrate:latest"]).ok();
        p.seed(
            "01_first.yaml",
            "table: accounts\nrows:\n  - { id: 1, name: John Smith, description: CEO }\n",
        );
        let mut csv = String::from("id,name,description\n");
        for i in 2..=200_000 {
            csv.push_str(&format!(
                "{i},name {i},a description long enough to fill the disk {i}\n"
            ));
        }
        p.write("seeds/accounts.csv", &csv);
        p.seed(
            "02_accounts.yaml",
            "table: accounts\nmode: insert\nrows_from: accounts.csv\n",
        );
        let run = p.run(&["seed:run"]).code(1);
        assert!(run.all().contains("02_accounts.yaml"), "{}", run.all());
        assert!(run.all().contains("full"), "{}", run.all());
        let db = rusqlite::Connection::open(p.path("disk/dev.sqlite3")).unwrap();
        let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(
            count("SELECT COUNT(*) FROM accounts"),
            1,
            "no row of the failed seed committed"
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM furrow_seeds WHERE name = '02_accounts.yaml'"),
            0
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM furrow_seeds WHERE name = '01_first.yaml'"),
            1
        );
    }

    fn is_root() -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    }
}
