//! Test projects: a temporary directory with a knexfile for one backend, the binary run
//! in it, and a direct connection to read what happened.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mysql::prelude::Queryable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Mysql,
}

pub const BIN: &str = env!("CARGO_BIN_EXE_furrow");

/// The admin URL of the test MariaDB (set by scripts/test.sh), e.g. mysql://root:pw@127.0.0.1:3399/
pub fn mysql_admin_url() -> Option<String> {
    std::env::var("FURROW_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Without a server, MySQL tests skip with a visible message, unless the test script
/// requires them (FURROW_TEST_REQUIRE_MYSQL=1), where a missing server is a failure.
pub fn mysql_available(test: &str) -> bool {
    if mysql_admin_url().is_some() {
        return true;
    }
    if std::env::var("FURROW_TEST_REQUIRE_MYSQL").is_ok_and(|v| v == "1") {
        panic!("{test}: FURROW_TEST_REQUIRE_MYSQL=1 but FURROW_TEST_MYSQL_URL is not set");
    }
    eprintln!(
        "SKIPPED {test}: no MySQL server (run ./scripts/test.sh, or set FURROW_TEST_MYSQL_URL)"
    );
    false
}

/// Generates a `sqlite` and a `mysql` test from one body.
#[macro_export]
macro_rules! both {
    ($(fn $name:ident($p:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[test]
                fn sqlite() {
                    let $p = $crate::support::Project::new($crate::support::Backend::Sqlite);
                    $body
                }
                #[test]
                fn mysql() {
                    if !$crate::support::mysql_available(concat!(module_path!(), "::mysql")) {
                        return;
                    }
                    let $p = $crate::support::Project::new($crate::support::Backend::Mysql);
                    $body
                }
            }
        )*
    };
}

/// `sqlite_only!` / `mysql_only!` bodies for engine-specific behaviour.
#[macro_export]
macro_rules! mysql_test {
    ($(fn $name:ident($p:ident) $body:block)*) => {
        $(
            #[test]
            fn $name() {
                if !$crate::support::mysql_available(concat!(module_path!(), "::", stringify!($name))) {
                    return;
                }
                let $p = $crate::support::Project::new($crate::support::Backend::Mysql);
                $body
            }
        )*
    };
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct Project {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    /// MySQL: this test's own database.
    pub database: Option<String>,
    /// Lines added to the development block of the knexfile.
    extra: String,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "expected exit {code}\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn has(self, needle: &str) -> Self {
        assert!(
            self.all().contains(needle),
            "expected output to contain {needle:?}\n{}",
            self.all()
        );
        self
    }

    #[track_caller]
    pub fn lacks(self, needle: &str) -> Self {
        assert!(
            !self.all().contains(needle),
            "expected output not to contain {needle:?}\n{}",
            self.all()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.all()))
    }
}

pub fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

impl Project {
    pub fn new(backend: Backend) -> Project {
        Self::with(backend, "")
    }

    /// `extra` is YAML added under `development:` (indented by two spaces).
    pub fn with(backend: Backend, extra: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Mysql => {
                let n = COUNTER.fetch_add(1, Ordering::SeqCst);
                let name = format!("furrow_t{}_{n}", std::process::id());
                let mut admin = admin_conn();
                admin
                    .query_drop(format!(
                        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                    ))
                    .expect("create test database");
                Some(name)
            }
        };
        let p = Project {
            dir,
            backend,
            database,
            extra: extra.to_string(),
        };
        std::fs::create_dir_all(p.path("migrations")).unwrap();
        std::fs::create_dir_all(p.path("seeds")).unwrap();
        p.write_knexfile();
        p
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The connection string furrow gets for this project.
    pub fn connection(&self) -> String {
        match self.backend {
            Backend::Sqlite => "./dev.sqlite3".to_string(),
            Backend::Mysql => {
                let admin = mysql_admin_url().expect("mysql url");
                format!(
                    "{}/{}",
                    admin.trim_end_matches('/'),
                    self.database.as_ref().unwrap()
                )
            }
        }
    }

    pub fn client(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite3",
            Backend::Mysql => "mysql",
        }
    }

    pub fn knexfile_text(&self, extra: &str) -> String {
        let conn = match self.backend {
            Backend::Sqlite => "  connection:\n    filename: ./dev.sqlite3\n".to_string(),
            Backend::Mysql => format!("  connection: {}\n", self.connection()),
        };
        let mut s = format!("development:\n  client: {}\n{conn}", self.client());
        if !extra.contains("migrations:") {
            s.push_str("  migrations:\n    extension: sql\n");
        }
        s.push_str(extra);
        s
    }

    pub fn write_knexfile(&self) {
        self.write("knexfile.yaml", &self.knexfile_text(&self.extra));
    }

    /// Replaces the extra YAML of the development block.
    pub fn set_extra(&mut self, extra: &str) {
        self.extra = extra.to_string();
        self.write_knexfile();
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, content).unwrap();
    }

    pub fn write_bytes(&self, rel: &str, content: &[u8]) {
        std::fs::write(self.path(rel), content).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
    }

    /// Writes migrations/<name>.
    pub fn migration(&self, name: &str, content: &str) {
        self.write(&format!("migrations/{name}"), content);
    }

    pub fn seed(&self, name: &str, content: &str) {
        self.write(&format!("seeds/{name}"), content);
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.root())
            .env_remove("FURROW_ENV")
            .env_remove("NODE_ENV")
            .env_remove("NO_COLOR")
            .env_remove("DB_PASSWORD")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        to_run(self.command(args).output().expect("run furrow"))
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        to_run(c.output().expect("run furrow"))
    }

    pub fn db(&self) -> Db {
        match self.backend {
            Backend::Sqlite => Db::Sqlite(
                rusqlite::Connection::open(self.path("dev.sqlite3")).expect("open sqlite"),
            ),
            Backend::Mysql => Db::Mysql(Box::new(
                mysql::Conn::new(mysql::Opts::from_url(&self.connection()).unwrap())
                    .expect("connect mysql"),
            )),
        }
    }

    /// For checks that must not create the SQLite file: does the database hold anything?
    pub fn tables(&self) -> Vec<String> {
        if self.backend == Backend::Sqlite && !self.path("dev.sqlite3").exists() {
            return Vec::new();
        }
        self.db().tables()
    }

    pub fn sqlite_exists(&self) -> bool {
        self.path("dev.sqlite3").exists()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if let Some(db) = &self.database {
            if let Ok(mut admin) = std::panic::catch_unwind(admin_conn) {
                let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"));
            }
        }
    }
}

pub fn admin_conn() -> mysql::Conn {
    let url = mysql_admin_url().expect("FURROW_TEST_MYSQL_URL");
    let opts = mysql::OptsBuilder::from_opts(mysql::Opts::from_url(&url).unwrap())
        .tcp_connect_timeout(Some(Duration::from_secs(10)));
    mysql::Conn::new(opts).expect("connect to the test MySQL server")
}

pub enum Db {
    Sqlite(rusqlite::Connection),
    Mysql(Box<mysql::Conn>),
}

impl Db {
    pub fn exec(&mut self, sql: &str) {
        match self {
            Db::Sqlite(c) => c
                .execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Db::Mysql(c) => c.query_drop(sql).unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// Every value as text ("NULL" for null).
    pub fn rows(&mut self, sql: &str) -> Vec<Vec<String>> {
        match self {
            Db::Sqlite(c) => {
                let mut st = c.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = st.column_count();
                st.query_map([], |r| {
                    Ok((0..n)
                        .map(|i| match r.get_ref_unwrap(i) {
                            rusqlite::types::ValueRef::Null => "NULL".to_string(),
                            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                            rusqlite::types::ValueRef::Real(f) => f.to_string(),
                            rusqlite::types::ValueRef::Text(t) => {
                                String::from_utf8_lossy(t).into_owned()
                            }
                            rusqlite::types::ValueRef::Blob(b) => {
                                String::from_utf8_lossy(b).into_owned()
                            }
                        })
                        .collect())
                })
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
            }
            Db::Mysql(c) => {
                let rows: Vec<mysql::Row> = c.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.into_iter()
                    .map(|r| {
                        r.unwrap()
                            .into_iter()
                            .map(|v| match v {
                                mysql::Value::NULL => "NULL".to_string(),
                                mysql::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                                mysql::Value::Int(i) => i.to_string(),
                                mysql::Value::UInt(u) => u.to_string(),
                                mysql::Value::Float(f) => f.to_string(),
                                mysql::Value::Double(f) => f.to_string(),
                                other => other.as_sql(true),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    pub fn scalar(&mut self, sql: &str) -> i64 {
        let rows = self.rows(sql);
        rows.first()
            .and_then(|r| r.first())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{sql}: not one number: {rows:?}"))
    }

    /// One column as a list.
    pub fn col(&mut self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect()
    }

    pub fn tables(&mut self) -> Vec<String> {
        match self {
            Db::Sqlite(_) => self.col(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            ),
            Db::Mysql(_) => self.col(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name",
            ),
        }
    }

    pub fn has_table(&mut self, t: &str) -> bool {
        self.tables().iter().any(|x| x == t)
    }
}

/// A simple two-section migration creating table `t` with an id and a name.
pub fn create_table_migration(t: &str) -> String {
    format!(
        "-- migrate:up\nCREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(50));\n\n-- migrate:down\nDROP TABLE {t};\n"
    )
}

/// Waits until `cond` holds, up to `secs` seconds.
pub fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}
