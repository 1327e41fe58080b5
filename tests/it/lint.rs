//! `migrate:lint`: a golden set of migrations with the findings each must give (both
//! dialects, offline), and the verdicts that are claims about the server checked against the
//! real MariaDB: each ALTER lint judges is run with `ALGORITHM=INSTANT` and with
//! `ALGORITHM=INPLACE, LOCK=NONE`, and the rows lint counts make the statement fail.

use crate::mysql_test;
use crate::support::*;

const MYSQL_BASE: &str = "-- migrate:up\nCREATE TABLE accounts (id INT PRIMARY KEY, name VARCHAR(50), email VARCHAR(100), age INT, bio TEXT, KEY k_age (age));\nCREATE TABLE orders (id INT PRIMARY KEY, account_id INT, total DECIMAL(10,2), note TEXT);\n\n-- migrate:down\nDROP TABLE orders;\nDROP TABLE accounts;\n";

const SQLITE_BASE: &str = "-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(100), age INT, bio TEXT);\nCREATE INDEX k_age ON accounts (age);\nCREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INT REFERENCES accounts (id), total NUMERIC, note TEXT);\n\n-- migrate:down\nDROP TABLE orders;\nDROP TABLE accounts;\n";

/// A SQL migration with a down section, so RV101 stays out of cases about something else.
fn sql(up: &str) -> String {
    format!("-- migrate:up\n{up}\n\n-- migrate:down\nSELECT 1;\n")
}

/// (dialect, file extension, body, the codes lint must give, in order)
fn golden() -> Vec<(&'static str, &'static str, String, Vec<&'static str>)> {
    let m = |up: &str, codes: &[&'static str]| ("mysql", "sql", sql(up), codes.to_vec());
    let s = |up: &str, codes: &[&'static str]| ("sqlite", "sql", sql(up), codes.to_vec());
    let y = |d: &'static str, body: &str, codes: &[&'static str]| {
        (d, "yaml", body.to_string(), codes.to_vec())
    };
    vec![
        m("ALTER TABLE accounts ADD COLUMN x INT;", &[]),
        m("ALTER TABLE accounts ADD COLUMN x INT NOT NULL;", &["MF102"]),
        m("ALTER TABLE accounts ADD COLUMN x INT NOT NULL DEFAULT 0;", &[]),
        m("ALTER TABLE accounts DROP COLUMN bio;", &["DS102", "BC101"]),
        m("ALTER TABLE accounts MODIFY name VARCHAR(20);", &["DS103", "LK101"]),
        m("ALTER TABLE accounts MODIFY name VARCHAR(100);", &[]),
        m("ALTER TABLE accounts MODIFY age BIGINT;", &["LK101"]),
        m("ALTER TABLE accounts MODIFY age TINYINT;", &["DS103", "LK101"]),
        m("ALTER TABLE accounts MODIFY age INT NOT NULL;", &["MF102"]),
        m("ALTER TABLE accounts CHANGE name full_name VARCHAR(50);", &["BC101"]),
        m("ALTER TABLE accounts RENAME COLUMN email TO mail;", &["BC101"]),
        m("ALTER TABLE accounts ADD UNIQUE KEY u_email (email);", &["MF101"]),
        m("CREATE UNIQUE INDEX u_email ON accounts (email);", &["MF101"]),
        m("ALTER TABLE accounts ADD INDEX i_name (name);", &[]),
        m("ALTER TABLE accounts ADD FULLTEXT INDEX f_bio (bio);", &["LK102"]),
        m("ALTER TABLE orders ADD CONSTRAINT fk_account FOREIGN KEY (account_id) REFERENCES accounts (id);", &["MF103", "LK101"]),
        m("ALTER TABLE accounts CONVERT TO CHARACTER SET latin1;", &["LK101"]),
        m("ALTER TABLE accounts MODIFY age BIGINT, ALGORITHM=INPLACE;", &["LK105"]),
        m("ALTER TABLE accounts ADD COLUMN x INT, ALGORITHM=INSTANT;", &[]),
        m("ALTER TABLE accounts ADD COLUMN seq INT AUTO_INCREMENT UNIQUE;", &["LK102"]),
        m("ALTER TABLE accounts DROP PRIMARY KEY;", &["LK101"]),
        m("ALTER TABLE accounts ENGINE=InnoDB;", &[]),
        m("DROP TABLE orders;", &["DS101", "BC102"]),
        m("RENAME TABLE orders TO purchases;", &["BC102"]),
        m("TRUNCATE TABLE orders;", &["DS104"]),
        m("DELETE FROM orders;", &["DS105"]),
        m("DELETE FROM orders WHERE id < 10;", &[]),
        m("UPDATE orders SET note = '';", &["DS105"]),
        m("LOCK TABLES orders WRITE;\nUNLOCK TABLES;", &["LK103"]),
        m("CREATE TABLE x (id INT PRIMARY KEY);\nINSERT INTO x VALUES (1);", &["MY101"]),
        m("CREATE TABLE x (id INT);\nALTER TABLE x ADD UNIQUE KEY u (id);\nDROP TABLE x;", &[]),
        m("-- lint:ignore DS101 orders moved to the billing service\nDROP TABLE orders;", &["BC102"]),
        m("-- lint:ignore DS101,BC102\nDROP TABLE orders;", &["LN101"]),
        ("mysql", "sql", "-- migrate:up\nCREATE TABLE y (id INT PRIMARY KEY);\n".to_string(), vec!["RV101"]),
        y("mysql", "up:\n  - drop_column: { table: accounts, column: bio }\n", &["DS102", "BC101", "RV101"]),
        y("mysql", "up:\n  - add_column: { table: accounts, column: { name: bio2, type: text } }\n", &["RV102"]),
        y("mysql", "up:\n  - create_table:\n      name: tags\n      columns:\n        - { name: id, type: increments }\n    lint: { ignore: [RV102], reason: nothing is written to it before the next release }\n", &[]),
        m("ALTER TABLE accounts ADD COLUMN status VARCHAR(10);\nUPDATE accounts SET status = 'active';", &["MY101"]),
        m("CREATE TABLE staging (id INT PRIMARY KEY);\nDELETE FROM staging;", &["MY101"]),
        m("DROP TABLE IF EXISTS tmp_import;", &[]),
        m("CREATE TABLE posts (id INT PRIMARY KEY, body TEXT);\nCREATE FULLTEXT INDEX f_body ON posts (body);", &[]),
        m("ALTER TABLE Accounts DROP COLUMN bio;", &["DS102", "BC101"]),
        s("CREATE TEMP TABLE scratch (x INT);\nDROP TABLE scratch;", &[]),
        s("CREATE TABLE accounts_new (id INTEGER PRIMARY KEY, name VARCHAR(50));\nINSERT INTO accounts_new SELECT id, name FROM accounts;\nDROP TABLE accounts;\nALTER TABLE accounts_new RENAME TO accounts;", &[]),
        s("ALTER TABLE accounts ADD COLUMN x INT NOT NULL;", &["MF102"]),
        s("ALTER TABLE accounts ADD COLUMN x INT NOT NULL DEFAULT 0;", &[]),
        s("ALTER TABLE accounts DROP COLUMN age;", &["DS102", "BC101", "SQ102"]),
        s("ALTER TABLE accounts DROP COLUMN bio;", &["DS102", "BC101"]),
        s("DROP TABLE orders;", &["DS101", "BC102"]),
        s("DELETE FROM orders;", &["DS105"]),
        s("UPDATE orders SET note = NULL WHERE id = 1;", &[]),
        s("CREATE UNIQUE INDEX u_email ON accounts (email);", &["MF101"]),
        s("ALTER TABLE accounts RENAME COLUMN email TO mail;", &["BC101"]),
        s("CREATE TABLE x (id INTEGER PRIMARY KEY);\nINSERT INTO x VALUES (1);", &[]),
        s("ALTER TABLE accounts RENAME TO people;", &["BC102"]),
        y("sqlite", "up:\n  - drop_column: { table: accounts, column: age }\n", &["DS102", "BC101", "RV101"]),
        y("sqlite", "up:\n  - drop_column: { table: accounts, column: bio }\n    lint: { ignore: [DS102, BC101], reason: bio moved to profiles in 2023 }\ndown:\n  - add_column: { table: accounts, column: { name: bio, type: text } }\n", &[]),
    ]
}

/// A project for `dialect` that lint must judge offline: SQLite before its database file
/// exists, MySQL with a server that refuses connections (and `--server-version`).
fn offline_project(dialect: &str) -> Project {
    let p = Project::new(Backend::Sqlite);
    if dialect == "mysql" {
        p.write(
            "knexfile.yaml",
            "development:\n  client: mysql\n  connection: mysql://app:secret-pw@127.0.0.1:1/app\n  migrations:\n    extension: sql\n",
        );
    }
    p
}

#[test]
fn the_golden_set_gives_exactly_its_findings() {
    let cases = golden();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, (dialect, ext, body, want)) in cases.iter().enumerate() {
        let p = offline_project(dialect);
        p.migration(
            "20240101000000_base.sql",
            if *dialect == "mysql" {
                MYSQL_BASE
            } else {
                SQLITE_BASE
            },
        );
        let name = format!("20240102000000_case.{ext}");
        p.migration(&name, body);
        let out = p.run(&[
            "--json",
            "migrate:lint",
            &name,
            "--server-version",
            "10.11.6-MariaDB",
        ]);
        let j = out.json();
        let got: Vec<String> = j["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("case {i}: {}", out.all()))
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        let errors = j["errors"].as_u64().unwrap();
        let expected_exit = if errors > 0 { 1 } else { 0 };
        if got != *want || out.code != expected_exit {
            failures.push(format!(
                "case {i} ({dialect}): {body}\n  want {want:?}, got {got:?} (exit {})\n  {}",
                out.code, j["findings"]
            ));
        }
        assert!(!out.all().contains("secret-pw"), "{}", out.all());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn human_output_is_grouped_by_file_with_what_to_do() {
    let p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_base.sql", SQLITE_BASE);
    p.migration(
        "20240102000000_drop.sql",
        &sql("DELETE FROM orders;\nDROP TABLE orders;"),
    );
    p.migration(
        "20240103000000_fine.sql",
        &sql("CREATE TABLE tags (id INTEGER PRIMARY KEY);"),
    );
    let out = p.run(&["migrate:lint"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let want = "migrations/20240102000000_drop.sql\n  statement 1 (line 2): error DS105 DELETE without WHERE deletes every row of `orders`\n      → add a WHERE";
    assert!(out.stdout.contains(want), "{}", out.all());
    assert!(
        out.stdout
            .contains("statement 2 (line 3): error DS101 drops table `orders` and every row in it"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("2 errors, 1 warning in 1 of 3 migrations"),
        "{}",
        out.all()
    );
    assert!(
        !out.stdout.contains("20240103000000_fine.sql"),
        "{}",
        out.all()
    );
    p.run(&["migrate:lint", "fine"])
        .ok()
        .has("No findings in 1 migration");
    p.run(&["migrate:lint", "nope"])
        .code(2)
        .has("no migration file named `nope`");
}

#[test]
fn migrations_lint_decides_what_migrate_latest_does_with_findings() {
    let mut p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_base.sql", SQLITE_BASE);
    p.run(&["migrate:latest"]).ok();
    p.migration("20240102000000_drop.sql", &sql("DROP TABLE orders;"));
    // error: refused, nothing ran.
    p.set_extra("  migrations:\n    extension: sql\n    lint: error\n");
    p.run(&["migrate:latest"])
        .code(1)
        .has("migrations.lint is `error`: 1 lint error in the pending migrations, nothing ran")
        .has("DS101 drops table `orders`");
    assert!(p.db().has_table("orders"));
    // off: silent.
    p.set_extra("  migrations:\n    extension: sql\n    lint: off\n");
    p.run(&["migrate:latest", "--dry-run"]).ok().lacks("DS101");
    // warn (the default): printed, and it runs.
    p.set_extra("");
    p.run(&["migrate:latest"])
        .ok()
        .has("warning: lint: migrations/20240102000000_drop.sql statement 1 (line 2): DS101");
    assert!(!p.db().has_table("orders"));
    p.set_extra("  migrations:\n    lint: sometimes\n");
    p.run(&["migrate:status"])
        .code(2)
        .has("`lint` must be `off`, `warn` or `error`");
}

/// The ALTERs whose verdicts lint claims, on the table `t` (and `f`, referencing `p`).
const SCRATCH: &str = "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c VARCHAR(50) NOT NULL DEFAULT '', d TEXT, e INT NOT NULL, KEY ia (a), UNIQUE KEY ub (b)) ENGINE=InnoDB; CREATE TABLE p (id INT PRIMARY KEY) ENGINE=InnoDB; CREATE TABLE f (id INT PRIMARY KEY, pid INT, CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id)) ENGINE=InnoDB";

const ALTERS: [&str; 33] = [
    "t ADD COLUMN x INT",
    "t ADD COLUMN x INT FIRST",
    "t ADD COLUMN x INT NOT NULL DEFAULT 0",
    "t ADD COLUMN x INT AUTO_INCREMENT UNIQUE",
    "t ADD COLUMN x INT AS (a + 1) STORED",
    "t ADD COLUMN x INT AS (a + 1) VIRTUAL",
    "t DROP COLUMN d",
    "t DROP COLUMN a",
    "t MODIFY b VARCHAR(40)",
    "t MODIFY b VARCHAR(10)",
    "t MODIFY a BIGINT",
    "t MODIFY a INT NOT NULL",
    "t MODIFY e INT NULL",
    "t MODIFY c VARCHAR(50) NOT NULL DEFAULT 'x'",
    "t ALTER COLUMN c SET DEFAULT 'y'",
    "t CHANGE a a2 INT",
    "t RENAME COLUMN a TO a2",
    "t ADD INDEX ix (e)",
    "t ADD UNIQUE INDEX ux (e)",
    "t ADD FULLTEXT INDEX fx (d)",
    "t DROP INDEX ia",
    "t RENAME INDEX ia TO ia2",
    "t DROP PRIMARY KEY",
    "t DROP PRIMARY KEY, ADD PRIMARY KEY (id, e)",
    "t ENGINE=InnoDB",
    "t CONVERT TO CHARACTER SET latin1",
    "t ADD CONSTRAINT ck CHECK (e > 0)",
    "t ROW_FORMAT=COMPACT",
    "t COMMENT 'x'",
    "t MODIFY c VARCHAR(50) NOT NULL DEFAULT '' AFTER e",
    "t ADD COLUMN x INT, ADD INDEX ix (x)",
    "f DROP FOREIGN KEY fk",
    "f ADD CONSTRAINT fk2 FOREIGN KEY (pid) REFERENCES p (id)",
];

fn accepted(db: &mut Db, alter: &str, clause: &str) -> bool {
    db.exec("DROP TABLE IF EXISTS f, t, p");
    for s in SCRATCH.split("; ") {
        db.exec(s);
    }
    match db {
        Db::Mysql(c) => {
            use mysql::prelude::Queryable;
            c.query_drop(format!("ALTER TABLE {alter}, {clause}"))
                .is_ok()
        }
        Db::Sqlite(_) => unreachable!(),
    }
}

mysql_test! {
    fn every_locking_verdict_is_the_servers_own(p) {
        let mut db = p.db();
        for s in SCRATCH.split("; ") {
            db.exec(s);
        }
        // Every rule is seen both ways in the set.
        let mut seen: Vec<(String, bool)> = Vec::new();
        let mut wrong = Vec::new();
        for (i, alter) in ALTERS.iter().enumerate() {
            let name = format!("{}_alter.sql", 20240101000000u64 + i as u64);
            p.migration(&name, &sql(&format!("ALTER TABLE {alter};")));
            let out = p.run(&["--json", "migrate:lint", &name]);
            p.remove(&format!("migrations/{name}"));
            let j = out.json();
            let verdict = j["verdicts"][0]["algorithm"].as_str().unwrap_or_else(|| panic!("{alter}: no verdict\n{}", out.all())).to_string();
            let codes: Vec<String> = j["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect();
            let instant = accepted(&mut db, alter, "ALGORITHM=INSTANT");
            let online = accepted(&mut db, alter, "ALGORITHM=INPLACE, LOCK=NONE");
            let says_instant = verdict == "instant";
            let says_online = ["instant", "nocopy", "inplace"].contains(&verdict.as_str());
            if instant != says_instant || online != says_online {
                wrong.push(format!("{alter}: lint says {verdict}; the server took INSTANT: {instant}, INPLACE+LOCK=NONE: {online}"));
            }
            // The findings follow the verdict: LK101 for a copy, LK102 for a blocking build.
            let lk101 = codes.iter().any(|c| c == "LK101");
            let lk102 = codes.iter().any(|c| c == "LK102");
            if lk101 != (verdict == "copy") || lk102 != (verdict == "inplace-shared") {
                wrong.push(format!("{alter}: verdict {verdict} but findings {codes:?}"));
            }
            seen.push(("LK101".into(), lk101));
            seen.push(("LK102".into(), lk102));
            seen.push(("INSTANT".into(), says_instant));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        for rule in ["LK101", "LK102", "INSTANT"] {
            assert!(seen.contains(&(rule.into(), true)) && seen.contains(&(rule.into(), false)), "{rule} flagged and passed");
        }
        // An explicit ALGORITHM lint says the server refuses (LK105) is refused.
        p.migration("20240201000000_forced.sql", &sql("ALTER TABLE t MODIFY a BIGINT, ALGORITHM=INPLACE;"));
        p.run(&["migrate:lint", "forced"]).code(1).has("LK105");
        db.exec("DROP TABLE IF EXISTS f, t, p");
        for s in SCRATCH.split("; ") {
            db.exec(s);
        }
        p.run(&["migrate:latest"]).code(1).has("ALGORITHM=INPLACE is not supported");
    }

    fn data_dependent_counts_are_the_rows_that_make_the_alter_fail(p) {
        p.migration("20240101000000_base.sql", MYSQL_BASE);
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        db.exec("INSERT INTO accounts (id, name, email, age) VALUES (1, 'a', 'x@example.com', NULL), (2, 'b', 'x@example.com', 3), (3, 'c', 'y@example.com', NULL), (4, 'd', 'y@example.com', 5), (5, 'e', 'z@example.com', 6)");
        db.exec("INSERT INTO orders (id, account_id) VALUES (1, 1), (2, 99), (3, 98), (4, NULL)");
        let cases = [
            ("20240102000000_unique.sql", "ALTER TABLE accounts ADD UNIQUE KEY u_email (email);", "MF101", "the live table has 2 repeated values now"),
            ("20240103000000_notnull.sql", "ALTER TABLE accounts MODIFY age INT NOT NULL;", "MF102", "the live table has 2 rows with NULL now"),
            ("20240104000000_fk.sql", "ALTER TABLE orders ADD CONSTRAINT fk_acc FOREIGN KEY (account_id) REFERENCES accounts (id);", "MF103", "the live table has 2 rows pointing nowhere now"),
        ];
        for (name, up, code, count) in cases {
            p.migration(name, &sql(up));
            let out = p.run(&["migrate:lint", name]);
            assert_eq!(out.code, 1, "{}", out.all());
            assert!(out.stdout.contains(&format!("error {code}")) && out.stdout.contains(count), "{}", out.all());
            // The server agrees: the statement fails on those rows.
            p.run(&["migrate:latest"]).code(1);
            p.remove(&format!("migrations/{name}"));
        }
        // Fixed rows: the same statements pass, and lint says none breaks them today.
        db.exec("UPDATE accounts SET email = CONCAT(id, email), age = 0 WHERE age IS NULL OR id IN (2, 4)");
        db.exec("DELETE FROM orders WHERE account_id > 10");
        for (name, up, code, _) in cases {
            p.migration(name, &sql(up));
            p.run(&["migrate:lint", name]).ok().has(&format!("warning {code}")).has("none does today");
            p.run(&["migrate:latest"]).ok();
        }
    }

    fn counts_use_the_tables_own_names_and_the_referenced_columns(p) {
        // A table with capitals (case-sensitive on Linux), and a key onto a unique column
        // that is not the primary key.
        p.migration("20240101000000_base.sql", &sql("CREATE TABLE Users (id INT PRIMARY KEY, email VARCHAR(100), country_code CHAR(2));\nCREATE TABLE countries (id INT PRIMARY KEY, code CHAR(2) NOT NULL UNIQUE);"));
        p.run(&["migrate:latest"]).ok();
        let mut db = p.db();
        db.exec("INSERT INTO countries VALUES (1, 'FR'), (2, 'DE')");
        db.exec("INSERT INTO Users VALUES (1, 'a@x', 'FR'), (2, 'a@x', 'DE'), (3, 'b@x', 'XX')");
        p.migration("20240102000000_unique.sql", &sql("ALTER TABLE Users ADD UNIQUE KEY u_email (email);"));
        p.run(&["migrate:lint", "unique"]).code(1).has("error MF101").has("the live table has 1 repeated value now");
        p.remove("migrations/20240102000000_unique.sql");
        p.migration("20240103000000_fk.sql", &sql("ALTER TABLE Users ADD CONSTRAINT fk_country FOREIGN KEY (country_code) REFERENCES countries (code);"));
        p.run(&["migrate:lint", "fk"]).code(1).has("error MF103").has("the live table has 1 row pointing nowhere now");
        p.run(&["migrate:latest"]).code(1);
        db.exec("UPDATE Users SET country_code = 'DE' WHERE id = 3");
        p.run(&["migrate:lint", "fk"]).ok().has("warning MF103").has("none does today");
        p.run(&["migrate:latest"]).ok();
    }
}

#[test]
fn a_sqlite_rebuild_of_a_referenced_table_is_flagged_with_its_children() {
    let p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_base.sql", SQLITE_BASE);
    p.run(&["migrate:latest"]).ok();
    p.migration(
        "20240102000000_wider.yaml",
        "up:\n  - alter_column:\n      table: accounts\n      column: { name: name, type: string, length: 200 }\n",
    );
    let out = p.run(&["--json", "migrate:lint", "--pending"]);
    let j = out.json();
    let sq: Vec<&serde_json::Value> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SQ101")
        .collect();
    assert_eq!(sq.len(), 1, "{}", out.all());
    assert!(
        sq[0]["message"]
            .as_str()
            .unwrap()
            .contains("orders reference it"),
        "{}",
        out.all()
    );
    assert_eq!(sq[0]["at"], "up[0].alter_column");
}

mysql_test! {
    fn one_statement_over_a_large_table_is_flagged_with_its_size(p) {
        p.migration("20240101000000_big.sql", &sql("CREATE TABLE big (id INT PRIMARY KEY, v INT);\nINSERT INTO big SELECT seq, 0 FROM seq_1_to_150000;"));
        p.run(&["migrate:latest"]).ok();
        p.db().exec("ANALYZE TABLE big");
        p.migration("20240102000000_touch.sql", &sql("UPDATE big SET v = 1 WHERE v = 0;"));
        p.migration("20240103000000_small.sql", &sql("UPDATE big SET v = 2 WHERE id = 1 LIMIT 1;\nDELETE FROM big WHERE id = 2;"));
        let out = p.run(&["migrate:lint", "--pending"]);
        assert!(out.stdout.contains("warning LK104 one statement over about 1"), "{}", out.all());
        assert!(out.stdout.contains("rows of `big` (the server's plan)"), "{}", out.all());
        assert_eq!(out.stdout.matches("LK104").count(), 1, "the UPDATE of every row, not those of one row: {}", out.all());
    }
}

#[test]
fn schema_drift_replays_history_without_linting_it() {
    let mut p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_base.sql", SQLITE_BASE);
    p.migration("20240102000000_drop.sql", &sql("DROP TABLE orders;"));
    p.run(&["migrate:latest"]).ok();
    p.set_extra("  migrations:\n    extension: sql\n    lint: error\n");
    p.run(&["schema:drift"]).ok().lacks("lint").lacks("DS101");
}
