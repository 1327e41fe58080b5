//! MySQL / MariaDB only: implicit DDL commits and partial migrations, statement splitting
//! (DELIMITER, trigger bodies), connection and TLS errors, the GET_LOCK runner lock, kill -9
//! and Ctrl-C. Every test skips without a server (or fails under FURROW_TEST_REQUIRE_MYSQL=1).

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::mysql_test;
use crate::support::*;

/// `mysql_test!` that also takes attributes (`#[ignore = "furrow bug: …"]`).
macro_rules! mysql_test_attrs {
    ($($(#[$m:meta])* fn $name:ident($p:ident) $body:block)*) => {
        $(
            #[test]
            $(#[$m])*
            fn $name() {
                if !mysql_available(concat!(module_path!(), "::", stringify!($name))) {
                    return;
                }
                let $p = Project::new(Backend::Mysql);
                $body
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// host, port, user and password of the test server's admin URL.
struct Server {
    host: String,
    port: u16,
    user: String,
    password: String,
}

fn server() -> Server {
    let url = mysql_admin_url().expect("FURROW_TEST_MYSQL_URL");
    let opts = mysql::Opts::from_url(&url).expect("admin URL");
    Server {
        host: opts.get_ip_or_hostname().to_string(),
        port: opts.get_tcp_port(),
        user: opts.get_user().unwrap_or("root").to_string(),
        password: opts.get_pass().unwrap_or("").to_string(),
    }
}

pub(crate) fn db_name(p: &Project) -> &str {
    p.database.as_deref().expect("a MySQL project")
}

/// The name furrow gives its GET_LOCK (track::lock_spec): `furrow:<database>:<table>`, at
/// most 64 characters.
pub(crate) fn lock_name(p: &Project) -> String {
    format!("furrow:{}:furrow_migrations", db_name(p))
        .chars()
        .take(64)
        .collect()
}

/// The connection id holding the migration lock, if any.
pub(crate) fn lock_holder(db: &mut Db, name: &str) -> Option<i64> {
    db.col(&format!("SELECT IS_USED_LOCK('{name}')"))
        .remove(0)
        .parse()
        .ok()
}

/// Is a statement starting with `prefix` running in the project's database right now?
pub(crate) fn running(db: &mut Db, p: &Project, prefix: &str) -> bool {
    db.scalar(&format!(
        "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '{}' AND info LIKE '{prefix}%'",
        db_name(p)
    )) > 0
}

/// A knexfile with one development block for `connection` (YAML, already indented by 2).
fn knexfile(client: &str, connection: &str, extra: &str) -> String {
    format!(
        "development:\n  client: {client}\n{connection}  migrations:\n    extension: sql\n{extra}"
    )
}

/// A local TCP port nothing listens on.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub(crate) fn spawn(p: &Project, args: &[&str]) -> Child {
    p.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn furrow")
}

/// Kills a child that is still running when a test fails half-way (so it never lingers).
pub(crate) struct Reap(pub(crate) Option<Child>);

impl Reap {
    pub(crate) fn take(&mut self) -> Child {
        self.0.take().unwrap()
    }
}

impl Drop for Reap {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs the same failing command in human, --verbose, --json and --json --verbose mode: each must exit 1,
/// never show `secret`, and with --json print one document with ok:false. Returns the
/// human run and the JSON document.
fn fails_in_every_output_mode(
    p: &Project,
    args: &[&str],
    secret: &str,
) -> (Run, serde_json::Value) {
    let human = p.run(args).code(1).lacks(secret);
    let mut verbose_args = args.to_vec();
    verbose_args.push("--verbose");
    p.run(&verbose_args).code(1).lacks(secret);
    let mut json_args = vec!["--json"];
    json_args.extend_from_slice(args);
    let json = p.run(&json_args).code(1).lacks(secret);
    let doc = json.json();
    assert_eq!(doc["ok"], false, "{}", json.all());
    let mut both_args = json_args.clone();
    both_args.push("--verbose");
    let both = p.run(&both_args).code(1).lacks(secret);
    assert_eq!(both.json()["ok"], false);
    (human, doc)
}

// ---------------------------------------------------------------------------------------
// 1. Partial DDL migrations
// ---------------------------------------------------------------------------------------

const ABC: &str = "20240101000000_abc.sql";

fn abc(first: &str, third: &str) -> String {
    format!(
        "-- migrate:up\n{first}\nCREATE TABLE b (id INT PRIMARY KEY);\n{third}\nCREATE TABLE c (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE IF EXISTS c;\nDROP TABLE IF EXISTS a2;\nDROP TABLE IF EXISTS b;\nDROP TABLE IF EXISTS a;\n"
    )
}

const A_OK: &str = "CREATE TABLE a (id INT PRIMARY KEY);";
const A_DUP: &str = "CREATE TABLE a (dup INT);";
const A2: &str = "CREATE TABLE a2 (id INT PRIMARY KEY);";

mysql_test! {
    fn partial_ddl_migration_is_recorded_refused_and_resumed(p) {
        p.migration(ABC, &abc(A_OK, A_DUP));
        p.migration("20240102000000_d.sql", &create_table_migration("d"));
        let out = p
            .run(&["migrate:latest"])
            .code(1)
            .has(&format!("migrations/{ABC}: statement 3 (line 4) failed"))
            .has("already exists")
            .has("statements 1–2 of 4 committed and cannot be undone")
            .has("recorded as partial")
            .has("fix statement 3");
        assert!(!out.stdout.contains("Batch"), "{}", out.all());
        let mut db = p.db();
        assert!(db.has_table("a") && db.has_table("b"), "statements 1–2 committed");
        assert!(!db.has_table("c") && !db.has_table("d"), "nothing after the failure ran");
        assert_eq!(
            db.rows("SELECT name, state, statements_applied FROM furrow_migrations"),
            vec![vec![ABC.to_string(), "partial".into(), "2".into()]]
        );
        let error = db.col("SELECT error FROM furrow_migrations").remove(0);
        assert!(error.contains("already exists"), "{error}");
        drop(db);

        p.run(&["migrate:status"])
            .ok()
            .has(&format!("partial  {ABC}"))
            .has("2 statement(s) committed")
            .has("pending  20240102000000_d.sql");
        p.run(&["migrate:status", "--check"]).code(3);
        let j = p.run(&["--json", "migrate:status"]).ok().json();
        assert_eq!(j["items"][0]["state"], "partial");
        assert_eq!(j["items"][0]["statements_applied"], 2);

        // Unchanged file: refused, and nothing else runs either.
        p.run(&["migrate:latest"])
            .code(1)
            .has("partially applied")
            .has(ABC)
            .has("statement 3");
        let j = p.run(&["--json", "migrate:latest"]).code(1).json();
        assert_eq!(j["error"]["code"], "partial");
        assert!(!p.db().has_table("d"));

        // Data written into the committed table between the runs must survive the resume.
        p.db().exec("INSERT INTO a (id) VALUES (7)");

        // A committed statement edited: refused, naming it.
        p.migration(ABC, &abc("CREATE TABLE a (id INT PRIMARY KEY, extra INT);", A2));
        p.run(&["migrate:latest"])
            .code(1)
            .has("statements 1–2 changed since they were committed");
        let mut db = p.db();
        assert!(!db.has_table("a2") && !db.has_table("c") && !db.has_table("d"));
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["partial"]);
        drop(db);

        // Only the failed statement fixed: resumes at statement 3.
        p.migration(ABC, &abc(A_OK, A2));
        p.run(&["migrate:latest"])
            .ok()
            .has("run: 2 migrations")
            .has(ABC)
            .has("20240102000000_d.sql");
        let mut db = p.db();
        for t in ["a", "b", "a2", "c", "d"] {
            assert!(db.has_table(t), "table {t} exists");
        }
        assert_eq!(db.col("SELECT id FROM a"), vec!["7"], "table a was not re-created");
        assert_eq!(
            db.rows(&format!("SELECT state, statements_applied, error FROM furrow_migrations WHERE name = '{ABC}'")),
            vec![vec!["applied".to_string(), "4".into(), "NULL".into()]]
        );
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations WHERE state = 'applied'"), 2);
        drop(db);
        p.run(&["migrate:status", "--check"]).ok().has(&format!("applied  {ABC}"));
        p.run(&["migrate:latest"]).ok().has("Already up to date");
    }

    fn partial_ddl_migration_can_be_taken_down_by_name(p) {
        p.migration(ABC, &abc(A_OK, A_DUP));
        p.run(&["migrate:latest"]).code(1).has("statement 3 (line 4) failed");
        assert_eq!(p.db().col("SELECT state FROM furrow_migrations"), vec!["partial"]);
        p.run(&["migrate:down", ABC])
            .ok()
            .has("rolled back the following migrations:")
            .has(ABC);
        let mut db = p.db();
        assert!(!db.has_table("a") && !db.has_table("b"), "its down section ran");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        drop(db);
        p.run(&["migrate:status"]).ok().has(&format!("pending  {ABC}"));
        // Fixed, it then runs from the start.
        p.migration(ABC, &abc(A_OK, A2));
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert!(db.has_table("a") && db.has_table("a2") && db.has_table("c"));
        assert_eq!(db.col("SELECT state FROM furrow_migrations"), vec!["applied"]);
    }
}

// ---------------------------------------------------------------------------------------
// 2. An error in the 3rd statement of a line holding several must not be drained away
// ---------------------------------------------------------------------------------------

mysql_test! {
    fn dml_error_after_other_statements_on_the_line_fails_and_rolls_back(p) {
        p.migration(
            "20240101000000_t.sql",
            "-- migrate:up\nCREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;\n-- migrate:down\nDROP TABLE t;\n",
        );
        p.run(&["migrate:latest"]).ok();
        p.migration(
            "20240102000000_rows.sql",
            "-- migrate:up\nINSERT INTO t VALUES (1, 'one'); INSERT INTO t VALUES (2, 'two');\nINSERT INTO t VALUES (1, 'dup'); INSERT INTO t VALUES (3, 'three');\n-- migrate:down\nDELETE FROM t;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("migrations/20240102000000_rows.sql: statement 3 (line 3) failed")
            .has("Duplicate entry")
            .has("none of its statements were applied")
            .lacks("Batch 2");
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM t"), 0, "all DML is rolled back whole");
        assert_eq!(
            db.col("SELECT name FROM furrow_migrations"),
            vec!["20240101000000_t.sql"],
            "no tracking row, not even a partial one"
        );
        drop(db);
        let j = p.run(&["--json", "migrate:latest"]).code(1).json();
        assert_eq!(j["ok"], false);
        assert_eq!(j["error"]["code"], "database");
        assert!(j["error"]["message"].as_str().unwrap().contains("statement 3"));
        p.run(&["migrate:status"]).ok().has("pending  20240102000000_rows.sql");
    }
}

// ---------------------------------------------------------------------------------------
// 3. Stored programs: DELIMITER, and trigger bodies without it
// ---------------------------------------------------------------------------------------

const PROGRAMS: &str = "-- migrate:up
CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL);
CREATE TABLE audit (n INT AUTO_INCREMENT PRIMARY KEY, item_id INT, note VARCHAR(100));

DELIMITER $$
CREATE TRIGGER items_ai AFTER INSERT ON items
FOR EACH ROW
BEGIN
  IF NEW.qty > 10 THEN
    INSERT INTO audit (item_id, note) VALUES (NEW.id, 'big; order');
  ELSE
    INSERT INTO audit (item_id, note) VALUES (NEW.id, 'small');
  END IF;
END$$

CREATE PROCEDURE fill_items(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 1;
  WHILE i <= n DO
    IF MOD(i, 2) = 0 THEN
      INSERT INTO items (id, qty) VALUES (100 + i, i * 10);
    ELSE
      INSERT INTO items (id, qty) VALUES (100 + i, i);
    END IF;
    SET i = i + 1;
  END WHILE;
END$$
DELIMITER ;

-- No DELIMITER: the splitter keeps BEGIN ... END; together.
CREATE TRIGGER items_bd BEFORE DELETE ON items
FOR EACH ROW
BEGIN
  DECLARE msg VARCHAR(100);
  SET msg = CONCAT('deleted ', OLD.id);
  INSERT INTO audit (item_id, note) VALUES (OLD.id, msg);
END;
INSERT INTO items (id, qty) VALUES (1, 50);

-- migrate:down
DROP TRIGGER IF EXISTS items_bd;
DROP PROCEDURE IF EXISTS fill_items;
DROP TRIGGER IF EXISTS items_ai;
DROP TABLE audit;
DROP TABLE items;
";

fn programs(db: &mut Db) -> (Vec<String>, Vec<String>) {
    (
        db.col("SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY trigger_name"),
        db.col("SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() ORDER BY routine_name"),
    )
}

mysql_test! {
    fn triggers_and_procedures_with_and_without_delimiter(p) {
        p.migration("20240101000000_programs.sql", PROGRAMS);
        let j = p.run(&["--json", "migrate:latest"]).ok().json();
        assert_eq!(j["migrations"][0]["name"], "20240101000000_programs.sql");
        assert_eq!(j["migrations"][0]["statements"], 6, "tables, 2 triggers, procedure, insert");
        let mut db = p.db();
        assert_eq!(
            programs(&mut db),
            (vec!["items_ai".to_string(), "items_bd".into()], vec!["fill_items".to_string()])
        );
        // The trigger fired for the migration's own insert, with the `;` inside its string intact.
        assert_eq!(db.rows("SELECT item_id, note FROM audit ORDER BY n"), vec![vec!["1".to_string(), "big; order".into()]]);
        // The IF/WHILE procedure, and the trigger for each row it inserts.
        db.exec("CALL fill_items(3)");
        assert_eq!(
            db.rows("SELECT id, qty FROM items ORDER BY id"),
            vec![vec!["1".to_string(), "50".into()], vec!["101".into(), "1".into()], vec!["102".into(), "20".into()], vec!["103".into(), "3".into()]]
        );
        assert_eq!(
            db.col("SELECT note FROM audit WHERE item_id > 100 ORDER BY item_id"),
            vec!["small", "big; order", "small"]
        );
        // The trigger written without DELIMITER runs all of its body.
        db.exec("DELETE FROM items WHERE id = 102");
        assert_eq!(db.col("SELECT note FROM audit ORDER BY n DESC LIMIT 1"), vec!["deleted 102"]);
        drop(db);

        p.run(&["migrate:rollback"]).ok().has("Batch 1 rolled back: 1 migrations");
        let mut db = p.db();
        assert_eq!(programs(&mut db), (vec![], vec![]), "the down section dropped them");
        assert!(!db.has_table("items") && !db.has_table("audit"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        drop(db);
        // And it applies again from scratch.
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(programs(&mut p.db()).1, vec!["fill_items"]);
    }
}

// ---------------------------------------------------------------------------------------
// 4. Connection errors
// ---------------------------------------------------------------------------------------

mysql_test! {
    fn wrong_password_names_user_and_server_and_never_shows_the_password(p) {
        let s = server();
        let secret = "WrongPw-9c1f";
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let url = format!("mysql://{}:{secret}@{}:{}/{}", s.user, s.host, s.port, db_name(&p));
        p.write("knexfile.yaml", &knexfile("mysql", &format!("  connection: {url}\n"), ""));
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:latest"], secret);
        let human = human
            .has("access denied")
            .has(&format!("`{}`", s.user))
            .has(&format!("{}:{}", s.host, s.port))
            .has("check the user and password");
        assert!(human.stderr.contains("error:"), "{}", human.all());
        assert_eq!(doc["error"]["code"], "connection");
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&s.user) && msg.contains(&s.port.to_string()), "{doc}");
        assert!(doc["error"]["hint"].as_str().unwrap().contains("password"), "{doc}");
        // The same through the map form of the connection.
        p.write(
            "knexfile.yaml",
            &knexfile(
                "mysql",
                &format!(
                    "  connection:\n    host: {}\n    port: {}\n    user: {}\n    password: {secret}\n    database: {}\n",
                    s.host, s.port, s.user, db_name(&p)
                ),
                "",
            ),
        );
        fails_in_every_output_mode(&p, &["migrate:status"], secret).0.has("access denied");
        assert!(p.tables().is_empty(), "nothing was created");
    }

    fn unknown_database_is_named_with_a_create_database_hint(p) {
        let s = server();
        let missing = format!("{}_nosuch", db_name(&p));
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let url = format!("mysql://{}:{}@{}:{}/{missing}", s.user, s.password, s.host, s.port);
        p.write("knexfile.yaml", &knexfile("mysql", &format!("  connection: {url}\n"), ""));
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:latest"], &s.password);
        human
            .has(&format!("unknown database `{missing}`"))
            .has(&format!("{}:{}", s.host, s.port))
            .has(&format!("CREATE DATABASE `{missing}`"));
        assert_eq!(doc["error"]["code"], "connection");
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        assert_eq!(
            admin.scalar(&format!("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{missing}'")),
            0,
            "furrow does not create the database"
        );
    }
}

mysql_test_attrs! {

    fn closed_port_is_connection_refused_with_the_docker_hint(p) {
        let s = server();
        let port = free_port();
        let secret = "Refused-Pw-71ab";
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let url = format!("mysql://{}:{secret}@127.0.0.1:{port}/{}", s.user, db_name(&p));
        p.write("knexfile.yaml", &knexfile("mysql", &format!("  connection: {url}\n"), ""));
        let start = Instant::now();
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:latest"], secret);
        assert!(start.elapsed() < Duration::from_secs(20), "refusals are immediate: {:?}", start.elapsed());
        human
            .has("connection refused")
            .has(&format!("127.0.0.1:{port}"))
            .has(&format!("`{}`", s.user))
            .has("is the server running")
            .has("Docker")
            .has("published port")
            .lacks("DriverError {");
        assert_eq!(doc["error"]["code"], "connection");
        assert!(doc["error"]["hint"].as_str().is_some_and(|h| h.contains(&port.to_string())), "{doc}");
    }


    fn missing_socket_path_is_named_with_a_hint(p) {
        let s = server();
        let sock = p.path("no-such.sock");
        p.write(
            "knexfile.yaml",
            &knexfile(
                "mysql",
                &format!(
                    "  connection:\n    socketPath: {}\n    user: {}\n    password: {}\n    database: {}\n",
                    sock.display(), s.user, s.password, db_name(&p)
                ),
                "",
            ),
        );
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:status"], &s.password);
        human
            .has(&format!("socket {}", sock.display()))
            .has("does not exist")
            .has("socketPath")
            .lacks("DriverError {");
        assert_eq!(doc["error"]["code"], "connection");
    }
}

// ---------------------------------------------------------------------------------------
// 5. TLS
// ---------------------------------------------------------------------------------------

/// The REQUIRE SSL test user and the CA that signed the server's certificate.
struct Tls {
    /// mysql://user:pw@host:port (no database, no options)
    base: String,
    user: String,
    password: String,
    host: String,
    port: u16,
    ca: String,
}

fn tls(test: &str) -> Option<Tls> {
    let url = std::env::var("FURROW_TEST_MYSQL_TLS_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let ca = std::env::var("FURROW_TEST_MYSQL_CA")
        .ok()
        .filter(|s| !s.is_empty());
    let (Some(url), Some(ca)) = (url, ca) else {
        if std::env::var("FURROW_TEST_REQUIRE_MYSQL").is_ok_and(|v| v == "1") {
            panic!("{test}: FURROW_TEST_REQUIRE_MYSQL=1 but FURROW_TEST_MYSQL_TLS_URL or FURROW_TEST_MYSQL_CA is not set");
        }
        eprintln!("SKIPPED {test}: FURROW_TEST_MYSQL_TLS_URL / FURROW_TEST_MYSQL_CA not set");
        return None;
    };
    let opts = mysql::Opts::from_url(&url).expect("FURROW_TEST_MYSQL_TLS_URL");
    Some(Tls {
        base: url.trim_end_matches('/').to_string(),
        user: opts.get_user().expect("TLS user").to_string(),
        password: opts.get_pass().expect("TLS password").to_string(),
        host: opts.get_ip_or_hostname().to_string(),
        port: opts.get_tcp_port(),
        ca,
    })
}

impl Tls {
    fn url_knexfile(&self, p: &Project, query: &str) -> String {
        knexfile(
            "mysql",
            &format!("  connection: \"{}/{}?{query}\"\n", self.base, db_name(p)),
            "",
        )
    }

    fn map_knexfile(&self, p: &Project, mode: &str, ca: &str) -> String {
        knexfile(
            "mysql",
            &format!(
                "  connection:\n    host: {}\n    port: {}\n    user: {}\n    password: {}\n    database: {}\n    ssl:\n      mode: {mode}\n      ca: {ca}\n",
                self.host, self.port, self.user, self.password, db_name(p)
            ),
            "",
        )
    }
}

/// Records the session's TLS cipher (empty without TLS), as seen by furrow's own connection.
const CIPHER_MIGRATION: &str = "-- migrate:up\nCREATE TABLE tls_check (cipher VARCHAR(200));\nINSERT INTO tls_check SELECT variable_value FROM information_schema.session_status WHERE variable_name = 'Ssl_cipher';\n\n-- migrate:down\nDROP TABLE tls_check;\n";

fn cipher(p: &Project) -> String {
    p.db().col("SELECT cipher FROM tls_check").remove(0)
}

mysql_test! {
    fn tls_modes_required_verify_ca_and_verify_identity(p) {
        let Some(t) = tls("tls_modes_required_verify_ca_and_verify_identity") else { return };
        p.migration("20240101000000_tls.sql", CIPHER_MIGRATION);

        // The check can fail: without TLS the cipher is empty.
        p.run(&["migrate:latest"]).ok();
        assert_eq!(cipher(&p), "", "the test's own connection does not use TLS");
        p.run(&["migrate:rollback"]).ok();

        // A REQUIRE SSL user without TLS is refused.
        p.write("knexfile.yaml", &t.url_knexfile(&p, "ssl-mode=disabled"));
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:latest"], &t.password);
        let all = human.all().to_lowercase();
        assert!(all.contains("access denied") || all.contains("tls"), "{}", human.all());
        assert!(human.all().contains(&format!("`{}`", t.user)), "{}", human.all());
        assert_eq!(doc["error"]["code"], "connection");
        assert!(!p.db().has_table("tls_check"));

        // ssl-mode=required: encrypted.
        p.write("knexfile.yaml", &t.url_knexfile(&p, "ssl-mode=required"));
        p.run(&["migrate:latest", "--verbose"])
            .ok()
            .has("Batch 1 run: 1 migrations")
            .lacks(&t.password);
        assert!(!cipher(&p).is_empty(), "furrow's session uses TLS");
        p.run(&["migrate:rollback"]).ok();

        // verify_ca with the CA that signed the server's certificate, in the map form.
        p.write("knexfile.yaml", &t.map_knexfile(&p, "verify_ca", &t.ca));
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert!(!cipher(&p).is_empty());
        p.run(&["migrate:rollback"]).ok();

        // verify_identity: the certificate names 127.0.0.1 (URL form with ssl-ca).
        p.write(
            "knexfile.yaml",
            &t.url_knexfile(&p, &format!("ssl-mode=verify_identity&ssl-ca={}", t.ca)),
        );
        p.run(&["migrate:latest"]).ok();
        assert!(!cipher(&p).is_empty());
    }
}

/// A throwaway self-signed CA in the project directory (it signed nothing the server has).
fn wrong_ca(p: &Project) -> String {
    let dir = p.path("wrong-ca");
    std::fs::create_dir_all(&dir).unwrap();
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=not-the-furrow-test-ca",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("ca.pem"))
        .output()
        .expect("run openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    "./wrong-ca/ca.pem".to_string()
}

mysql_test_attrs! {

    fn tls_with_a_ca_that_did_not_sign_the_server_certificate_is_a_tls_error(p) {
        let Some(t) = tls("tls_with_a_ca_that_did_not_sign_the_server_certificate_is_a_tls_error") else { return };
        p.migration("20240101000000_tls.sql", CIPHER_MIGRATION);
        let ca = wrong_ca(&p);
        p.write("knexfile.yaml", &t.map_knexfile(&p, "verify_ca", &ca));
        let (human, doc) = fails_in_every_output_mode(&p, &["migrate:latest"], &t.password);
        human
            .has("TLS")
            .has(&format!("{}:{}", t.host, t.port))
            .has("ssl.ca")
            .lacks("CodecError {");
        assert_eq!(doc["error"]["code"], "connection");
        assert!(doc["error"]["hint"].as_str().is_some_and(|h| h.contains("ssl.ca")), "{doc}");
        // The same CA through the URL.
        p.write(
            "knexfile.yaml",
            &t.url_knexfile(&p, &format!("ssl-mode=verify_ca&ssl-ca={}", p.path("wrong-ca/ca.pem").display())),
        );
        p.run(&["migrate:latest"]).code(1).has("TLS").lacks(&t.password);
        assert!(p.tables().is_empty(), "nothing was created");
    }
}

// ---------------------------------------------------------------------------------------
// 6. The GET_LOCK runner lock
// ---------------------------------------------------------------------------------------

mysql_test! {
    fn lock_held_by_a_live_connection_times_out_refuses_unlock_and_frees_on_release(p) {
        let mut p = p;
        p.set_extra("  migrations:\n    extension: sql\n    lockTimeout: 1\n");
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let name = lock_name(&p);
        let mut holder = p.db();
        assert_eq!(holder.scalar(&format!("SELECT GET_LOCK('{name}', 0)")), 1);
        let id = holder.scalar("SELECT CONNECTION_ID()");

        let start = Instant::now();
        p.run(&["migrate:latest"])
            .code(1)
            .has("another runner holds the lock")
            .has(&format!("MySQL connection {id}"))
            .has("lockTimeout");
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(900), "waited lockTimeout: {waited:?}");
        assert!(waited < Duration::from_secs(10), "{waited:?}");
        let j = p.run(&["--json", "migrate:latest"]).code(1).json();
        assert_eq!(j["error"]["code"], "lock_timeout");
        let mut db = p.db();
        assert!(!db.has_table("a"), "nothing applied");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        drop(db);

        // unlock cannot take a live connection's lock: it says which one and how to end it.
        p.run(&["migrate:unlock"])
            .code(1)
            .has(&format!("MySQL connection {id}"))
            .has(&format!("KILL {id}"));
        assert_eq!(lock_holder(&mut p.db(), &name), Some(id), "still held");

        assert_eq!(holder.scalar(&format!("SELECT RELEASE_LOCK('{name}')")), 1);
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(lock_holder(&mut p.db(), &name), None, "furrow released it");

        // A holder that disconnects frees it too.
        assert_eq!(holder.scalar(&format!("SELECT GET_LOCK('{name}', 0)")), 1);
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        p.run(&["migrate:latest"]).code(1).has("another runner holds the lock");
        drop(holder);
        assert!(wait_for(5, || lock_holder(&mut p.db(), &name).is_none()));
        p.run(&["migrate:unlock"]).ok().has("not held");
        p.run(&["migrate:latest"]).ok().has("Batch 2 run: 1 migrations");
        assert!(p.db().has_table("b"));
    }

    fn kill_9_mid_migration_leaves_no_lock_that_blocks_the_next_run(p) {
        let mut p = p;
        p.set_extra("  migrations:\n    extension: sql\n    lockTimeout: 30\n");
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.migration(
            "20240102000000_big.sql",
            "-- migrate:up\nCREATE TABLE big (x INT);\nDO SLEEP(30);\n\n-- migrate:down\nDROP TABLE big;\n",
        );
        let name = lock_name(&p);
        let mut admin = Db::Mysql(Box::new(admin_conn()));
        let mut child = Reap(Some(spawn(&p, &["migrate:latest"])));
        assert!(wait_for(20, || running(&mut admin, &p, "DO SLEEP")), "the runner reached the long statement");
        assert!(lock_holder(&mut admin, &name).is_some(), "the runner holds the lock");
        let mut c = child.take();
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();

        // Its committed work is on record honestly.
        let mut db = p.db();
        assert!(db.has_table("big"));
        assert_eq!(
            db.rows("SELECT state, statements_applied FROM furrow_migrations WHERE name = '20240102000000_big.sql'"),
            vec![vec!["partial".to_string(), "1".into()]]
        );
        drop(db);

        p.migration(
            "20240102000000_big.sql",
            "-- migrate:up\nCREATE TABLE big (x INT);\nINSERT INTO big VALUES (1);\n\n-- migrate:down\nDROP TABLE big;\n",
        );
        let start = Instant::now();
        p.run(&["migrate:latest"]).ok().has("run: 1 migrations").has("20240102000000_big.sql");
        let took = start.elapsed();
        assert!(took < Duration::from_secs(10), "the dead runner's lock did not block: took {took:?}");
        let mut db = p.db();
        assert_eq!(db.col("SELECT x FROM big"), vec!["1"]);
        assert_eq!(db.col("SELECT DISTINCT state FROM furrow_migrations"), vec!["applied"]);
        assert_eq!(db.scalar("SELECT COUNT(*) FROM furrow_migrations"), 2);
        assert_eq!(lock_holder(&mut db, &name), None);
    }
}

// ---------------------------------------------------------------------------------------
// 7. Ctrl-C
// ---------------------------------------------------------------------------------------

/// Starts `migrate:latest`, waits until the statement starting with `prefix` runs under the
/// lock, sends SIGINT, and returns the run and how long it took to end after the signal.
fn interrupt_during(p: &Project, prefix: &str) -> (Run, Duration) {
    let name = lock_name(p);
    let mut admin = Db::Mysql(Box::new(admin_conn()));
    let mut child = Reap(Some(spawn(p, &["migrate:latest"])));
    assert!(
        wait_for(20, || running(&mut admin, p, prefix)),
        "the runner reached the long statement"
    );
    assert!(
        lock_holder(&mut admin, &name).is_some(),
        "the runner holds the lock"
    );
    let c = child.take();
    let sent = Instant::now();
    // SAFETY: sending SIGINT to our own child.
    unsafe { libc::kill(c.id() as i32, libc::SIGINT) };
    let out = to_run(c.wait_with_output().unwrap());
    let took = sent.elapsed();
    assert_eq!(
        lock_holder(&mut admin, &name),
        None,
        "the lock is released\n{}",
        out.all()
    );
    assert!(!running(&mut admin, p, prefix), "the statement was stopped");
    (out, took)
}

fn log_then(p: &Project, slow: &str) {
    p.migration("20240101000000_log.sql", "-- migrate:up\nCREATE TABLE log (n INT) ENGINE=InnoDB;\n-- migrate:down\nDROP TABLE log;\n");
    p.run(&["migrate:latest"]).ok();
    p.migration(
        "20240102000000_slow.sql",
        &format!("-- migrate:up\nINSERT INTO log VALUES (1);\n{slow}\n\n-- migrate:down\nDELETE FROM log;\n"),
    );
}

fn assert_interrupted_and_rolled_back(p: &Project, out: &Run, took: Duration) {
    assert_eq!(out.code, 130, "{}", out.all());
    assert!(out.stderr.contains("interrupted (Ctrl-C)"), "{}", out.all());
    assert!(
        !out.stderr.contains("interrupted: interrupted"),
        "{}",
        out.all()
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let mut db = p.db();
    assert_eq!(db.scalar("SELECT COUNT(*) FROM log"), 0, "rolled back");
    assert_eq!(
        db.col("SELECT name FROM furrow_migrations"),
        vec!["20240101000000_log.sql"]
    );
    drop(db);
    p.run(&["migrate:status"])
        .ok()
        .has("pending  20240102000000_slow.sql");
}

mysql_test! {
    fn ctrl_c_during_a_transactional_migration_rolls_back_and_exits_130(p) {
        // KILL QUERY makes `SELECT SLEEP()` fail with error 1317.
        log_then(&p, "SELECT SLEEP(30);");
        let (out, took) = interrupt_during(&p, "SELECT SLEEP");
        assert_interrupted_and_rolled_back(&p, &out, took);
    }

    fn ctrl_c_during_a_ddl_migration_records_it_partial_and_exits_130(p) {
        // The sleep lasts while `gate` has a row (so the resumed run, file unchanged, is quick).
        p.db().exec("CREATE TABLE gate (n INT); INSERT INTO gate VALUES (1);");
        p.migration(
            "20240101000000_slow.sql",
            "-- migrate:up\nCREATE TABLE s (id INT);\nSELECT SLEEP((SELECT COUNT(*) FROM gate) * 30);\nCREATE TABLE s2 (id INT);\n\n-- migrate:down\nDROP TABLE IF EXISTS s2;\nDROP TABLE IF EXISTS s;\n",
        );
        let (out, took) = interrupt_during(&p, "SELECT SLEEP");
        assert_eq!(out.code, 130, "{}", out.all());
        assert!(out.stderr.contains("interrupted"), "{}", out.all());
        assert!(out.stderr.contains("of 3 committed"), "{}", out.all());
        assert!(out.stderr.contains("20240101000000_slow.sql: interrupted"), "{}", out.all());
        assert!(took < Duration::from_secs(5), "took {took:?}");
        let mut db = p.db();
        assert!(db.has_table("s") && !db.has_table("s2"));
        assert_eq!(
            db.rows("SELECT state, statements_applied FROM furrow_migrations"),
            vec![vec!["partial".to_string(), "1".into()]],
            "not recorded as applied"
        );
        let error = db.col("SELECT error FROM furrow_migrations").remove(0);
        assert!(error.contains("interrupted"), "{error}");
        drop(db);
        p.run(&["migrate:status"]).ok().has("partial  20240101000000_slow.sql");
        // Nothing to fix: the next run goes on at the interrupted statement, file as it is.
        p.db().exec("DELETE FROM gate");
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert!(p.db().has_table("s2"));
    }
}

mysql_test_attrs! {

    fn ctrl_c_during_a_last_statement_that_then_ends_normally_still_rolls_back(p) {
        // KILL QUERY makes `DO SLEEP()` return early *without* an error: the runner must
        // still notice the Ctrl-C before it commits.
        log_then(&p, "DO SLEEP(30);");
        let (out, took) = interrupt_during(&p, "DO SLEEP");
        assert_interrupted_and_rolled_back(&p, &out, took);
    }

}

// ---------------------------------------------------------------------------------------
// 8. Configuration forms on MySQL
// ---------------------------------------------------------------------------------------

mysql_test! {
    fn map_connection_with_password_from_environment_and_dotenv(p) {
        let s = server();
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.write(
            "knexfile.yaml",
            &knexfile(
                "mariadb",
                &format!(
                    "  connection:\n    host: {}\n    port: {}\n    user: {}\n    password: ${{DB_PASSWORD}}\n    database: {}\n",
                    s.host, s.port, s.user, db_name(&p)
                ),
                "",
            ),
        );
        // Unset: a configuration error naming the variable.
        p.run(&["migrate:status"]).code(2).has("DB_PASSWORD");
        // From the environment.
        p.run_env(&["migrate:latest", "--verbose"], &[("DB_PASSWORD", &s.password)])
            .ok()
            .has("Batch 1 run: 1 migrations")
            .lacks(&s.password);
        assert!(p.db().has_table("a"));
        // From .env beside the knexfile (run from a subdirectory: it is the knexfile's .env).
        p.write(".env", &format!("# test\nDB_PASSWORD={}\n", s.password));
        p.migration("20240102000000_b.sql", &create_table_migration("b"));
        std::fs::create_dir_all(p.path("sub")).unwrap();
        let out = p
            .command(&["migrate:latest", "--verbose"])
            .current_dir(p.path("sub"))
            .output()
            .unwrap();
        to_run(out).ok().has("Batch 2 run: 1 migrations").lacks(&s.password);
        assert!(p.db().has_table("b"));
        // The real environment wins over .env.
        p.migration("20240103000000_c.sql", &create_table_migration("c"));
        let wrong = "EnvWins-5d2e";
        p.run_env(&["migrate:latest"], &[("DB_PASSWORD", wrong)])
            .code(1)
            .has("access denied")
            .lacks(wrong)
            .lacks(&s.password);
        assert!(!p.db().has_table("c"));
    }

    fn client_and_connection_flags_without_a_knexfile(p) {
        p.remove("knexfile.yaml");
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        let url = p.connection();
        let password = server().password;
        p.run(&["--client", "mysql", "--connection", &url, "migrate:latest", "--verbose"])
            .ok()
            .has("Batch 1 run: 1 migrations")
            .lacks(&password);
        assert!(p.db().has_table("a"));
        let j = p
            .run(&["--json", "--client", "mysql2", "--connection", &url, "migrate:status"])
            .ok()
            .json();
        assert_eq!(j["items"][0]["state"], "applied");
        assert!(!j.to_string().contains(&password));
        p.run(&["--client", "mysql", "--connection", &url, "migrate:rollback"]).ok();
        assert!(!p.db().has_table("a"));
    }
}
