//! furrow against the raw engine, in one run (issue 6, SPEC §6).
//!
//! Runs the release binary as a child process, exactly as a user would, on workloads
//! generated here in temporary directories, each measurement from a fresh database, and
//! prints one table: furrow, the raw baseline from the same run, the ratio against the
//! target, and furrow's peak RSS (`ru_maxrss` of that one child, from `wait4`).
//!
//! `cargo bench --bench furrow` runs the SQLite part; with `FURROW_TEST_MYSQL_URL`
//! set (`scripts/bench.sh` starts a throwaway MariaDB and sets it) the MariaDB part too.
//!
//! Knobs (environment):
//!   FURROW_BENCH_RUNS       runs per measurement, median reported (default 9)
//!   FURROW_BENCH_NOOP_RUNS  runs per no-op measurement (default 20)
//!   FURROW_BENCH_BIG_RUNS   runs of the 1,000,000-row seed (default 1)
//!   FURROW_BENCH_ROWS       rows of the seed workloads (default 100000)
//!   FURROW_BENCH_BIG_ROWS   rows of the memory workload (default 1000000)
//!   FURROW_BENCH_MYSQL_BATCH rows per INSERT of the raw MariaDB loop (default 1000)
//!   FURROW_BENCH_ONLY       comma list of parts: noop,migrate,dumps,seed,yaml,memory,cluster,fleet
//!                           (default all; `cluster` needs FURROW_TEST_GALERA_URLS, three node URLs)
//!   FURROW_BENCH_FLEET_RUNS runs per MariaDB fleet measurement (default 3)
//!   FURROW_BIN              the binary to measure (default: the one cargo built)
//!   FURROW_BENCH_DBMATE     a dbmate binary: its no-op runs are measured beside furrow's
//!                           (scripts/bench.sh installs one from npm when npm is there)

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;

// ---------------------------------------------------------------------------------------
// Settings

struct Settings {
    bin: PathBuf,
    runs: usize,
    noop_runs: usize,
    /// dbmate, to compare the no-op runs with (FURROW_BENCH_DBMATE, or `dbmate` on PATH).
    dbmate: Option<PathBuf>,
    big_runs: usize,
    rows: usize,
    big_rows: usize,
    only: Option<Vec<String>>,
    mysql: Option<MysqlTarget>,
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        _ => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        let bin = std::env::var_os("FURROW_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_furrow")));
        let only = std::env::var("FURROW_BENCH_ONLY")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.split(',').map(|p| p.trim().to_string()).collect());
        let mysql = std::env::var("FURROW_TEST_MYSQL_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|url| MysqlTarget::new(&url));
        Settings {
            bin,
            runs: env_usize("FURROW_BENCH_RUNS", 9).max(1),
            noop_runs: env_usize("FURROW_BENCH_NOOP_RUNS", 20).max(1),
            dbmate: std::env::var_os("FURROW_BENCH_DBMATE")
                .map(PathBuf::from)
                .filter(|p| p.is_file())
                .or_else(|| {
                    Command::new("dbmate")
                        .arg("--version")
                        .output()
                        .ok()
                        .filter(|o| o.status.success())
                        .map(|_| PathBuf::from("dbmate"))
                }),
            big_runs: env_usize("FURROW_BENCH_BIG_RUNS", 1).max(1),
            rows: env_usize("FURROW_BENCH_ROWS", 100_000).max(1),
            big_rows: env_usize("FURROW_BENCH_BIG_ROWS", 1_000_000).max(1),
            only,
            mysql,
        }
    }

    fn part(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|p| p == name))
    }
}

// ---------------------------------------------------------------------------------------
// Running a child and measuring it

#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    /// Peak RSS of that one child, KiB.
    rss_kib: u64,
}

/// Runs `cmd` to completion; wall time from spawn to reaping, and the child's own peak
/// RSS from `wait4` (not RUSAGE_CHILDREN, which keeps the maximum over every child).
/// stdout and stderr go to files in `log_dir`; a failure panics with them.
fn run_child(mut cmd: Command, stdin: Option<&Path>, log_dir: &Path) -> Sample {
    let out_path = log_dir.join("stdout.log");
    let err_path = log_dir.join("stderr.log");
    cmd.stdout(File::create(&out_path).expect("stdout log"))
        .stderr(File::create(&err_path).expect("stderr log"));
    match stdin {
        Some(p) => cmd.stdin(File::open(p).expect("stdin file")),
        None => cmd.stdin(Stdio::null()),
    };
    let desc = format!("{cmd:?}");
    let start = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {desc}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = loop {
        // SAFETY: pid is our own child, not yet reaped; the pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    // The child is reaped: std's handle must not wait for it again (dropping does not).
    drop(child);
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !ok {
        let out = std::fs::read_to_string(&out_path).unwrap_or_default();
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        panic!(
            "{desc} failed (wait status {status:#x})\n--- stdout\n{}\n--- stderr\n{}",
            tail(&out),
            tail(&err)
        );
    }
    Sample {
        wall,
        rss_kib: ru.ru_maxrss as u64,
    }
}

fn tail(s: &str) -> &str {
    let n = s.len();
    if n > 4000 {
        let mut i = n - 4000;
        while !s.is_char_boundary(i) {
            i += 1;
        }
        &s[i..]
    } else {
        s
    }
}

/// Runs furrow in `project` (its knexfile is found in the working directory).
fn furrow(s: &Settings, project: &Path, args: &[&str]) -> Sample {
    let mut cmd = Command::new(&s.bin);
    cmd.args(args)
        .current_dir(project)
        .env("NO_COLOR", "1")
        .env_remove("FURROW_ENV")
        .env_remove("NODE_ENV");
    run_child(cmd, None, project)
}

#[derive(Clone, Copy, Debug)]
struct Stats {
    median: Duration,
    min: Duration,
    max: Duration,
    /// The highest peak RSS over the runs, KiB.
    rss_kib: u64,
    runs: usize,
}

fn stats(samples: &[Sample]) -> Stats {
    assert!(!samples.is_empty());
    let mut w: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    w.sort();
    let n = w.len();
    let median = if n % 2 == 1 {
        w[n / 2]
    } else {
        (w[n / 2 - 1] + w[n / 2]) / 2
    };
    Stats {
        median,
        min: w[0],
        max: w[n - 1],
        rss_kib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
        runs: n,
    }
}

// ---------------------------------------------------------------------------------------
// MariaDB

struct MysqlTarget {
    /// The admin URL without the trailing slash.
    base: String,
    opts: mysql::Opts,
}

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

impl MysqlTarget {
    fn new(url: &str) -> MysqlTarget {
        let base = url.trim_end_matches('/').to_string();
        let opts = mysql::Opts::from_url(&base)
            .unwrap_or_else(|e| panic!("FURROW_TEST_MYSQL_URL is not a MySQL URL: {e}"));
        MysqlTarget { base, opts }
    }

    fn admin(&self) -> mysql::Conn {
        mysql::Conn::new(self.opts.clone()).unwrap_or_else(|e| {
            panic!(
                "cannot connect to FURROW_TEST_MYSQL_URL ({}:{}): {e}",
                self.opts.get_ip_or_hostname(),
                self.opts.get_tcp_port()
            )
        })
    }

    /// A new, empty database, dropped when the guard goes.
    fn fresh_db(&self) -> FreshDb<'_> {
        let name = format!(
            "furrow_bench_{}_{}",
            std::process::id(),
            DB_COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        self.admin()
            .query_drop(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            ))
            .expect("CREATE DATABASE");
        FreshDb { target: self, name }
    }

    fn db_opts(&self, db: &str) -> mysql::OptsBuilder {
        mysql::OptsBuilder::from_opts(self.opts.clone()).db_name(Some(db))
    }
}

struct FreshDb<'a> {
    target: &'a MysqlTarget,
    name: String,
}

impl FreshDb<'_> {
    fn url(&self) -> String {
        format!("{}/{}", self.target.base, self.name)
    }
}

impl Drop for FreshDb<'_> {
    fn drop(&mut self) {
        let _ = self
            .target
            .admin()
            .query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Engine {
    Sqlite,
    Mariadb,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Mariadb => "MariaDB",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Workloads

const ACCOUNTS_DDL: &str = "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, description VARCHAR(200))";

fn write(path: &Path, content: &str) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn migration_name(i: usize) -> String {
    format!("{:014}_create_t_{i}.sql", 20240101000000u64 + i as u64)
}

fn one_table_up(i: usize) -> String {
    format!("CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, name VARCHAR(50), created_at TIMESTAMP);")
}

/// `n` one-table `.sql` migrations in `dir`.
fn write_migrations(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let up = one_table_up(i);
        write(
            &dir.join(migration_name(i)),
            &format!("-- migrate:up\n{up}\n-- migrate:down\nDROP TABLE t_{i};\n"),
        );
    }
}

/// A project directory whose knexfile points at a fresh database and at the shared
/// migrations and seeds directories of a workload.
fn project(
    dir: &Path,
    engine: Engine,
    db: Option<&FreshDb<'_>>,
    migrations: &Path,
    seeds: &Path,
) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let conn = match engine {
        Engine::Sqlite => "  connection:\n    filename: ./bench.sqlite3\n".to_string(),
        Engine::Mariadb => format!("  connection: {}\n", db.expect("a database").url()),
    };
    let client = match engine {
        Engine::Sqlite => "sqlite3",
        Engine::Mariadb => "mysql",
    };
    write(
        &dir.join("knexfile.yaml"),
        &format!(
            "development:\n  client: {client}\n{conn}  migrations:\n    directory: {}\n  seeds:\n    directory: {}\n",
            migrations.display(),
            seeds.display()
        ),
    );
    dir.to_path_buf()
}

fn row_name(i: usize) -> String {
    format!("name {i}")
}

fn row_description(i: usize) -> String {
    format!("a description for row {i}")
}

fn write_csv(path: &Path, rows: usize) {
    let mut w = BufWriter::new(File::create(path).unwrap());
    w.write_all(b"id,name,description\n").unwrap();
    for i in 1..=rows {
        writeln!(w, "{i},name {i},a description for row {i}").unwrap();
    }
    w.flush().unwrap();
}

fn write_yaml_rows(path: &Path, rows: usize, mode: &str) {
    let mut w = BufWriter::new(File::create(path).unwrap());
    writeln!(w, "table: accounts\nmode: {mode}\nrows:").unwrap();
    for i in 1..=rows {
        writeln!(
            w,
            "  - {{ id: {i}, name: name {i}, description: a description for row {i} }}"
        )
        .unwrap();
    }
    w.flush().unwrap();
}

/// A seeds directory with one seed file: CSV (`rows_from`) or YAML (`rows:`).
fn seed_dir(root: &Path, label: &str, csv: Option<&Path>, mode: &str, rows: usize) -> PathBuf {
    let dir = root.join(format!("seeds_{label}"));
    std::fs::create_dir_all(&dir).unwrap();
    match csv {
        Some(csv) => {
            let data = dir.join("accounts.csv");
            if std::fs::hard_link(csv, &data).is_err() {
                std::fs::copy(csv, &data).unwrap();
            }
            write(
                &dir.join("accounts.yaml"),
                &format!("table: accounts\nmode: {mode}\nrows_from: accounts.csv\n"),
            );
        }
        None => write_yaml_rows(&dir.join("accounts.yaml"), rows, mode),
    }
    dir
}

/// The migrations directory of the seed workloads: the `accounts` table.
fn accounts_migrations(root: &Path) -> PathBuf {
    let dir = root.join("migrations_accounts");
    write(
        &dir.join("20240101000000_create_accounts.sql"),
        &format!("-- migrate:up\n{ACCOUNTS_DDL};\n-- migrate:down\nDROP TABLE accounts;\n"),
    );
    dir
}

// ---------------------------------------------------------------------------------------
// Report

struct Row {
    work: String,
    furrow: String,
    baseline: String,
    verdict: String,
    rss: String,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
    met: std::cell::Cell<usize>,
    missed: std::cell::Cell<usize>,
}

impl Report {
    fn add(
        &mut self,
        work: String,
        furrow: String,
        baseline: String,
        verdict: String,
        rss: String,
    ) {
        self.rows.push(Row {
            work,
            furrow,
            baseline,
            verdict,
            rss,
        });
    }

    /// Counts a target as met or missed; its mark.
    fn check(&self, ok: bool) -> &'static str {
        let c = if ok { &self.met } else { &self.missed };
        c.set(c.get() + 1);
        if ok {
            "✓"
        } else {
            "✗"
        }
    }

    fn print(&self) {
        let head = [
            "work",
            "furrow",
            "raw baseline",
            "ratio (target)",
            "furrow peak RSS",
        ];
        let cells: Vec<[&str; 5]> = self
            .rows
            .iter()
            .map(|r| {
                [
                    r.work.as_str(),
                    r.furrow.as_str(),
                    r.baseline.as_str(),
                    r.verdict.as_str(),
                    r.rss.as_str(),
                ]
            })
            .collect();
        let width = |i: usize| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([head[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..5).map(width).collect();
        let line = |c: &[&str; 5]| {
            let mut s = String::from("|");
            for (i, cell) in c.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let _ = write!(s, " {cell}{} |", " ".repeat(pad));
            }
            s
        };
        println!();
        println!("{}", line(&head));
        let mut sep = String::from("|");
        for w in &widths {
            let _ = write!(sep, "{}|", "-".repeat(w + 2));
        }
        println!("{sep}");
        for c in &cells {
            println!("{}", line(c));
        }
        println!();
        for n in &self.notes {
            println!("{n}");
        }
        println!(
            "targets: {} met, {} missed",
            self.met.get(),
            self.missed.get()
        );
    }
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 100.0 {
        format!("{v:.1} ms")
    } else if v < 1000.0 {
        format!("{v:.0} ms")
    } else {
        format!("{:.2} s", v / 1000.0)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn rate(rows: usize, d: Duration) -> f64 {
    rows as f64 / d.as_secs_f64()
}

fn krows(rows: usize, d: Duration) -> String {
    format!("{:.0} k rows/s ({})", rate(rows, d) / 1000.0, ms(d))
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn progress(msg: &str) {
    eprintln!("  · {msg}");
}

fn spread(st: &Stats) -> String {
    format!("median of {}, {}–{}", st.runs, ms(st.min), ms(st.max))
}

// ---------------------------------------------------------------------------------------
// a. No-op migrate:latest / migrate:status

fn bench_noop(s: &Settings, root: &Path, rep: &mut Report) {
    let sizes = [100usize, 1_000, 10_000];
    // Medians, [latest, status] per size.
    let mut medians = Vec::new();
    for &n in &sizes {
        let migrations = root.join(format!("noop_migrations_{n}"));
        write_migrations(&migrations, n);
        let seeds = root.join("noop_seeds");
        std::fs::create_dir_all(&seeds).unwrap();
        let p = project(
            &root.join(format!("noop_{n}")),
            Engine::Sqlite,
            None,
            &migrations,
            &seeds,
        );
        apply_once(s, &p, &migrations, &seeds, n);
        for cmd in ["migrate:latest", "migrate:status"] {
            furrow(s, &p, &[cmd]); // warm-up: the files are in the page cache
            let samples: Vec<Sample> = (0..s.noop_runs).map(|_| furrow(s, &p, &[cmd])).collect();
            let st = stats(&samples);
            progress(&format!(
                "no-op {cmd}, {} files: {} ({})",
                thousands(n),
                ms(st.median),
                spread(&st)
            ));
            let verdict = if n == 1_000 {
                let ok = st.median < Duration::from_millis(10);
                format!("target < 10 ms {}", rep.check(ok))
            } else {
                "—".to_string()
            };
            // The peer to beat, on the same files, when it is installed.
            let peer = match (&s.dbmate, n) {
                (Some(dbmate), 1_000) => {
                    let dbm = dbmate_noop(s, dbmate, root, &migrations, cmd);
                    format!(
                        "{} (dbmate {}; furrow {:.1}× faster)",
                        ms(dbm),
                        if cmd == "migrate:latest" {
                            "up"
                        } else {
                            "status"
                        },
                        dbm.as_secs_f64() / st.median.as_secs_f64()
                    )
                }
                _ => "—".into(),
            };
            rep.add(
                format!("no-op `{cmd}`, {} files, SQLite", thousands(n)),
                format!("{} per run", ms(st.median)),
                peer,
                verdict,
                mib(st.rss_kib),
            );
            medians.push(st.median);
        }
    }
    // Growth per 10× files, for each command.
    for (k, cmd) in ["migrate:latest", "migrate:status"].iter().enumerate() {
        let t: Vec<f64> = (0..sizes.len())
            .map(|i| medians[i * 2 + k].as_secs_f64())
            .collect();
        let g1 = t[1] / t[0];
        let g2 = t[2] / t[1];
        let ok = g1 <= 10.0 && g2 <= 10.0;
        rep.add(
            format!("no-op `{cmd}` growth, 100 → 1,000 → 10,000 files"),
            // The cost of one more file, from each step: flat when growth is linear.
            format!(
                "×{g1:.1} then ×{g2:.1} ({:.0} then {:.0} µs/file)",
                (t[1] - t[0]) / 900.0 * 1e6,
                (t[2] - t[1]) / 9000.0 * 1e6
            ),
            "—".into(),
            format!("≤ ×10 per 10× files (linear) {}", rep.check(ok)),
            "".into(),
        );
    }
}

/// dbmate's no-op `up` (for migrate:latest) or `status` on the same migration files, its
/// database brought up to date once first: median wall time.
fn dbmate_noop(s: &Settings, dbmate: &Path, root: &Path, migrations: &Path, cmd: &str) -> Duration {
    let dir = root.join("dbmate_noop");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("dbmate.sqlite3");
    let run = |args: &[&str]| {
        let mut c = Command::new(dbmate);
        c.arg("--migrations-dir")
            .arg(migrations)
            .arg("--no-dump-schema")
            .args(args)
            .env("DATABASE_URL", format!("sqlite:{}", db.display()))
            .current_dir(&dir);
        run_child(c, None, &dir)
    };
    if !db.exists() {
        // Applied on tmpfs when there is one, as for furrow: 1,000 commits are slow on disk.
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            let t = tempfile::Builder::new()
                .prefix("dbmate-bench.")
                .tempdir_in(shm)
                .unwrap();
            let staged = t.path().join("dbmate.sqlite3");
            let mut c = Command::new(dbmate);
            c.arg("--migrations-dir")
                .arg(migrations)
                .arg("--no-dump-schema")
                .arg("up")
                .env("DATABASE_URL", format!("sqlite:{}", staged.display()))
                .current_dir(t.path());
            run_child(c, None, t.path());
            std::fs::copy(&staged, &db).unwrap();
        } else {
            run(&["up"]);
        }
    }
    let args: &[&str] = if cmd == "migrate:latest" {
        &["up"]
    } else {
        &["status"]
    };
    run(args); // warm-up
    let samples: Vec<Sample> = (0..s.noop_runs).map(|_| run(args)).collect();
    let st = stats(&samples);
    progress(&format!(
        "dbmate {} (1,000 files): {} ({})",
        args[0],
        ms(st.median),
        spread(&st)
    ));
    st.median
}

/// Applies every migration of `project` once (not measured). Each SQLite commit costs
/// a few fsyncs, so 10,000 migrations take minutes on a slow disk: where a tmpfs is at
/// hand, furrow applies them there and the database file is copied into the project.
fn apply_once(s: &Settings, project_dir: &Path, migrations: &Path, seeds: &Path, n: usize) {
    let start = Instant::now();
    let shm = Path::new("/dev/shm");
    let staged = if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("furrow-bench.")
            .tempdir_in(shm)
            .ok()
    } else {
        None
    };
    let how = match staged {
        Some(t) => {
            let p = project(t.path(), Engine::Sqlite, None, migrations, seeds);
            furrow(s, &p, &["migrate:latest"]);
            for entry in std::fs::read_dir(&p).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name();
                if name.to_string_lossy().starts_with("bench.sqlite3") {
                    std::fs::copy(entry.path(), project_dir.join(&name)).unwrap();
                }
            }
            "on tmpfs, database copied"
        }
        None => {
            furrow(s, project_dir, &["migrate:latest"]);
            "in place"
        }
    };
    // The copy is up to date: furrow says so.
    furrow(s, project_dir, &["migrate:status", "--check"]);
    progress(&format!(
        "no-op: applied {} migrations once ({how}) in {}",
        thousands(n),
        ms(start.elapsed())
    ));
}

// ---------------------------------------------------------------------------------------
// b. 300 one-table migrations vs the engine's CLI

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn bench_migrate(s: &Settings, root: &Path, engine: Engine, rep: &mut Report) {
    let work = format!("300 one-table migrations, {}", engine.name());
    migrations_versus_cli(s, root, engine, &work, Some(1.3), rep);
}

fn migrations_versus_cli(
    s: &Settings,
    root: &Path,
    engine: Engine,
    work: &str,
    target: Option<f64>,
    rep: &mut Report,
) {
    const N: usize = 300;
    let migrations = root.join("migrations_300");
    if !migrations.is_dir() {
        write_migrations(&migrations, N);
    }
    let up_sql = root.join("up_300.sql");
    let mut sql = String::new();
    for i in 0..N {
        sql.push_str(&one_table_up(i));
        sql.push('\n');
    }
    write(&up_sql, &sql);
    versus_cli(s, root, engine, work, &migrations, &up_sql, target, rep);
}

/// "Took the migration lock in N ms" (furrow --verbose), from a run's stderr.
fn lock_time(stderr: &str) -> Option<Duration> {
    let rest = &stderr[stderr.find("Took the migration lock in ")? + 27..];
    let ms: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_millis(ms))
}

/// A 3-node Galera cluster (FURROW_TEST_GALERA_URLS): 300 migrations through one node
/// against the mariadb CLI on the same node; the lease: how long one runner takes to get
/// it, and how long each of 9 runners (3 a node, started together) waits for it.
fn bench_cluster(s: &Settings, root: &Path, rep: &mut Report) {
    let urls: Vec<String> = std::env::var("FURROW_TEST_GALERA_URLS")
        .unwrap_or_default()
        .split_whitespace()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    if urls.len() < 3 {
        rep.notes.push("Galera: skipped (FURROW_TEST_GALERA_URLS has no 3 node URLs; `. scripts/galera.sh; galera_start` sets it)".into());
        return;
    }
    let node = Settings {
        mysql: Some(MysqlTarget::new(&urls[0])),
        ..Settings::from_env()
    };
    migrations_versus_cli(
        &node,
        root,
        Engine::Mariadb,
        "300 one-table migrations, Galera node",
        // Two replicated commits a migration (the record before its DDL, and after) that
        // the CLI does not make: the price of knowing what committed; no target.
        None,
        rep,
    );
    let target = node.mysql.as_ref().unwrap();
    let one = root.join("cluster_one_migration");
    write_migrations(&one, 1);
    let seeds = root.join("empty_seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    let runner = |dir: &Path, url: &str| {
        let mut c = Command::new(&s.bin);
        c.args(["--verbose", "--connection", url, "migrate:latest"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let taken = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        lock_time(&String::from_utf8_lossy(&o.stderr))
            .expect("furrow --verbose says how long the lock took")
    };
    let mut single = Vec::new();
    for run in 0..s.runs {
        let db = target.fresh_db();
        let p = project(
            &root.join(format!("cluster_one_{run}")),
            Engine::Mariadb,
            Some(&db),
            &one,
            &seeds,
        );
        single.push(taken(runner(&p, &db.url()).output().unwrap()));
    }
    let mut waits = Vec::new();
    for run in 0..s.runs.min(3) {
        let db = target.fresh_db();
        let p = project(
            &root.join(format!("cluster_nine_{run}")),
            Engine::Mariadb,
            Some(&db),
            &one,
            &seeds,
        );
        let children: Vec<_> = (0..9)
            .map(|i| {
                runner(&p, &format!("{}/{}", urls[i % 3], db.name))
                    .spawn()
                    .unwrap()
            })
            .collect();
        waits.extend(
            children
                .into_iter()
                .map(|c| taken(c.wait_with_output().unwrap())),
        );
    }
    single.sort();
    waits.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    progress(&format!(
        "Galera lease: one runner {} (min {}, max {}); 9 runners: median wait {}, max {}",
        ms(median(&single)),
        ms(single[0]),
        ms(single[single.len() - 1]),
        ms(median(&waits)),
        ms(waits[waits.len() - 1])
    ));
    rep.add(
        "Galera lease: one runner takes the lock".into(),
        ms(median(&single)),
        "—".into(),
        format!(
            "min {}, max {} (no target)",
            ms(single[0]),
            ms(single[single.len() - 1])
        ),
        "—".into(),
    );
    rep.add(
        "Galera lease: 9 runners on 3 nodes, wait each".into(),
        ms(median(&waits)),
        "—".into(),
        format!(
            "median of {}; max {} (no target)",
            waits.len(),
            ms(waits[waits.len() - 1])
        ),
        "—".into(),
    );
}

/// furrow `migrate:latest` of `migrations` against the engine's CLI fed `up_sql` (the same
/// statements in one file), each run on a fresh database; one line of the report.
#[allow(clippy::too_many_arguments)]
fn versus_cli(
    s: &Settings,
    root: &Path,
    engine: Engine,
    work: &str,
    migrations: &Path,
    up_sql: &Path,
    target: Option<f64>,
    rep: &mut Report,
) {
    let label: String = work
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let seeds = root.join("empty_seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    let mut furrow_samples = Vec::new();
    let mut cli_samples = Vec::new();
    let cli = match engine {
        Engine::Sqlite => ["sqlite3"].into_iter().find(|c| have(c)),
        Engine::Mariadb => ["mariadb", "mysql"].into_iter().find(|c| have(c)),
    };
    for run in 0..s.runs {
        // furrow on a fresh database
        {
            let db = (engine == Engine::Mariadb).then(|| s.mysql.as_ref().unwrap().fresh_db());
            let p = project(
                &root.join(format!("{label}_furrow_{run}")),
                engine,
                db.as_ref(),
                migrations,
                &seeds,
            );
            furrow_samples.push(furrow(s, &p, &["migrate:latest"]));
        }
        // the engine's CLI on a fresh database, the same statements from one file
        if let Some(cli) = cli {
            let dir = root.join(format!("{label}_cli_{run}"));
            std::fs::create_dir_all(&dir).unwrap();
            match engine {
                Engine::Sqlite => {
                    let mut cmd = Command::new(cli);
                    cmd.arg(dir.join("cli.sqlite3"));
                    cli_samples.push(run_child(cmd, Some(up_sql), &dir));
                }
                Engine::Mariadb => {
                    let target = s.mysql.as_ref().unwrap();
                    let db = target.fresh_db();
                    let o = &target.opts;
                    let mut cmd = Command::new(cli);
                    cmd.arg("--no-defaults")
                        .arg(format!("-h{}", o.get_ip_or_hostname()))
                        .arg(format!("-P{}", o.get_tcp_port()))
                        .arg(format!("-u{}", o.get_user().unwrap_or("root")))
                        .env("MYSQL_PWD", o.get_pass().unwrap_or(""))
                        .arg(&db.name);
                    cli_samples.push(run_child(cmd, Some(up_sql), &dir));
                }
            }
        }
    }
    let f = stats(&furrow_samples);
    match cli {
        Some(cli) => {
            let c = stats(&cli_samples);
            let ratio = f.median.as_secs_f64() / c.median.as_secs_f64();
            progress(&format!(
                "{work}: furrow {} ({}), {cli} CLI {} ({})",
                ms(f.median),
                spread(&f),
                ms(c.median),
                spread(&c)
            ));
            let verdict = match target {
                Some(t) => format!(
                    "{ratio:.2}× CLI time (target ≤ {t}×) {}",
                    rep.check(ratio <= t)
                ),
                None => format!("{ratio:.2}× CLI time (no target)"),
            };
            rep.add(
                work.to_string(),
                ms(f.median),
                format!("{} ({cli} CLI)", ms(c.median)),
                verdict,
                mib(f.rss_kib),
            );
        }
        None => {
            rep.notes.push(format!(
                "note: no {} CLI found; {work} has no baseline",
                engine.name()
            ));
            rep.add(
                work.to_string(),
                ms(f.median),
                "n/a (no CLI)".into(),
                "—".into(),
                mib(f.rss_kib),
            );
        }
    }
}

/// Dump files as one migration each (MariaDB): the shape of the official `world.sql`
/// (SET AUTOCOMMIT=0, three tables, 5,302 one-row INSERTs, COMMIT), and of
/// `mysqldump --skip-extended-insert` (4,000 one-row INSERTs, each committing on its own).
fn bench_dumps(s: &Settings, root: &Path, rep: &mut Report) {
    let world = {
        let mut up = String::from(
            "SET NAMES utf8mb4;\nSET @old_autocommit=@@autocommit;\nSET AUTOCOMMIT=0;\n",
        );
        up.push_str("CREATE TABLE `city` (`ID` int NOT NULL AUTO_INCREMENT, `Name` char(35) NOT NULL DEFAULT '', `CountryCode` char(3) NOT NULL DEFAULT '', `District` char(20) NOT NULL DEFAULT '', `Population` int NOT NULL DEFAULT '0', PRIMARY KEY (`ID`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n");
        up.push_str("CREATE TABLE `country` (`Code` char(3) NOT NULL DEFAULT '', `Name` char(52) NOT NULL DEFAULT '', `Population` int NOT NULL DEFAULT '0', PRIMARY KEY (`Code`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n");
        up.push_str("CREATE TABLE `countrylanguage` (`CountryCode` char(3) NOT NULL DEFAULT '', `Language` char(30) NOT NULL DEFAULT '', `IsOfficial` enum('T','F') NOT NULL DEFAULT 'F', `Percentage` decimal(4,1) NOT NULL DEFAULT '0.0', PRIMARY KEY (`CountryCode`,`Language`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n");
        for i in 1..=4079 {
            up.push_str(&format!(
                "INSERT INTO `city` VALUES ({i},'City {i}','{:03}','District {i}',{});\n",
                i % 239,
                1000 + i * 7
            ));
        }
        for i in 0..239 {
            up.push_str(&format!(
                "INSERT INTO `country` VALUES ('{i:03}','Country {i}',{});\n",
                100_000 + i
            ));
        }
        for i in 0..984 {
            up.push_str(&format!(
                "INSERT INTO `countrylanguage` VALUES ('{:03}','Language {i}','{}',{}.{});\n",
                i % 239,
                if i % 3 == 0 { "T" } else { "F" },
                i % 100,
                i % 10
            ));
        }
        up.push_str("COMMIT;\nSET AUTOCOMMIT=@old_autocommit;\n");
        up
    };
    let one_row = {
        let mut up = String::from("CREATE TABLE `accounts` (`id` int NOT NULL, `name` varchar(50) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n");
        for i in 1..=4000 {
            up.push_str(&format!(
                "INSERT INTO `accounts` VALUES ({i},'Name {i}');\n"
            ));
        }
        up
    };
    for (label, up, target) in [
        (
            "world.sql-shaped dump (5,302 INSERTs under SET AUTOCOMMIT=0), MariaDB",
            world,
            Some(1.3),
        ),
        (
            "4,000 one-row autocommit INSERTs in one migration, MariaDB",
            one_row,
            None,
        ),
    ] {
        let key: String = label
            .chars()
            .take(8)
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let dir = root.join(format!("dump_{key}"));
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir.join("20240101000000_dump.sql"),
            &format!("-- migrate:up\n{up}\n-- migrate:down\nSELECT 1;\n"),
        );
        let up_sql = root.join(format!("dump_{key}.sql"));
        write(&up_sql, &up);
        versus_cli(s, root, Engine::Mariadb, label, &dir, &up_sql, target, rep);
    }
}

// ---------------------------------------------------------------------------------------
// c–f. Seeds

/// furrow `seed:run` of the seed in `seeds`, each run on a fresh database with the
/// `accounts` table created by `migrate:latest` (not timed).
fn furrow_seed(
    s: &Settings,
    root: &Path,
    engine: Engine,
    label: &str,
    seeds: &Path,
    rows: usize,
    runs: Range<usize>,
) -> Vec<Sample> {
    let migrations = accounts_migrations(root);
    let mut samples = Vec::new();
    for run in runs {
        let db = (engine == Engine::Mariadb).then(|| s.mysql.as_ref().unwrap().fresh_db());
        let dir = root.join(format!("seed_{}_{label}_{run}", engine.name()));
        let p = project(&dir, engine, db.as_ref(), &migrations, seeds);
        furrow(s, &p, &["migrate:latest"]);
        samples.push(furrow(s, &p, &["seed:run"]));
        let loaded: i64 = match &db {
            None => rusqlite::Connection::open(p.join("bench.sqlite3"))
                .unwrap()
                .query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))
                .unwrap(),
            Some(db) => mysql::Conn::new(s.mysql.as_ref().unwrap().db_opts(&db.name))
                .unwrap()
                .query_first("SELECT COUNT(*) FROM accounts")
                .unwrap()
                .unwrap(),
        };
        assert_eq!(
            loaded as usize, rows,
            "furrow seed:run ({label}) loaded {loaded} rows"
        );
        let _ = std::fs::remove_file(p.join("bench.sqlite3"));
    }
    samples
}

struct Rows {
    data: Vec<(i64, String, String)>,
}

impl Rows {
    fn new(n: usize) -> Rows {
        Rows {
            data: (1..=n)
                .map(|i| (i as i64, row_name(i), row_description(i)))
                .collect(),
        }
    }
}

/// The raw rusqlite loop: one transaction, one prepared statement, rows from memory.
fn raw_sqlite(root: &Path, rows: &Rows, runs: Range<usize>) -> Vec<Sample> {
    let mut samples = Vec::new();
    for run in runs {
        let path = root.join(format!("raw_{run}.sqlite3"));
        let _ = std::fs::remove_file(&path);
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(ACCOUNTS_DDL)
            .unwrap();
        let start = Instant::now();
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            {
                let mut st = tx
                    .prepare("INSERT INTO accounts (id, name, description) VALUES (?1, ?2, ?3)")
                    .unwrap();
                for (id, name, desc) in &rows.data {
                    st.execute(rusqlite::params![id, name, desc]).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        samples.push(Sample {
            wall: start.elapsed(),
            rss_kib: 0,
        });
        let _ = std::fs::remove_file(&path);
    }
    samples
}

/// The raw multi-row INSERT loop through the mysql crate: bound parameters, batches of
/// 1,000 rows (FURROW_BENCH_MYSQL_BATCH), one transaction.
fn raw_mysql_insert(target: &MysqlTarget, rows: &Rows, runs: Range<usize>) -> Vec<Sample> {
    let batch = env_usize("FURROW_BENCH_MYSQL_BATCH", 1_000).clamp(1, 20_000);
    let stmt_sql = |n: usize| {
        let mut q = String::from("INSERT INTO accounts (id, name, description) VALUES ");
        for i in 0..n {
            q.push_str(if i == 0 { "(?,?,?)" } else { ",(?,?,?)" });
        }
        q
    };
    let mut samples = Vec::new();
    for _ in runs {
        let db = target.fresh_db();
        let opts = target.db_opts(&db.name);
        mysql::Conn::new(opts.clone())
            .unwrap()
            .query_drop(ACCOUNTS_DDL)
            .unwrap();
        let start = Instant::now();
        {
            let mut conn = mysql::Conn::new(opts).unwrap();
            let mut tx = conn.start_transaction(mysql::TxOpts::default()).unwrap();
            let full = tx.prep(stmt_sql(batch)).unwrap();
            for chunk in rows.data.chunks(batch) {
                let mut params: Vec<mysql::Value> = Vec::with_capacity(chunk.len() * 3);
                for (id, name, desc) in chunk {
                    params.push(mysql::Value::Int(*id));
                    params.push(mysql::Value::Bytes(name.as_bytes().to_vec()));
                    params.push(mysql::Value::Bytes(desc.as_bytes().to_vec()));
                }
                if chunk.len() == batch {
                    tx.exec_drop(&full, params).unwrap();
                } else {
                    let last = tx.prep(stmt_sql(chunk.len())).unwrap();
                    tx.exec_drop(&last, params).unwrap();
                }
            }
            tx.commit().unwrap();
        }
        samples.push(Sample {
            wall: start.elapsed(),
            rss_kib: 0,
        });
        let n: u64 = mysql::Conn::new(target.db_opts(&db.name))
            .unwrap()
            .query_first("SELECT COUNT(*) FROM accounts")
            .unwrap()
            .unwrap();
        assert_eq!(n as usize, rows.data.len());
    }
    samples
}

/// Makes sure the server accepts LOAD DATA LOCAL; Err says why not.
fn enable_local_infile(target: &MysqlTarget) -> Result<(), String> {
    let mut c = target.admin();
    let on: Option<i64> = c
        .query_first("SELECT @@GLOBAL.local_infile")
        .map_err(|e| e.to_string())?;
    if on == Some(1) {
        return Ok(());
    }
    c.query_drop("SET GLOBAL local_infile = 1")
        .map_err(|e| format!("local_infile is OFF and cannot be set: {e}"))
}

/// `LOAD DATA LOCAL INFILE` of the CSV through the mysql crate, in one transaction.
fn raw_mysql_load_data(
    target: &MysqlTarget,
    csv: &Path,
    rows: usize,
    runs: Range<usize>,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    for _ in runs {
        let db = target.fresh_db();
        let opts = target.db_opts(&db.name);
        mysql::Conn::new(opts.clone())
            .unwrap()
            .query_drop(ACCOUNTS_DDL)
            .unwrap();
        let csv_path = csv.to_path_buf();
        let handler = mysql::LocalInfileHandler::new(move |_name, out| {
            let mut f = File::open(&csv_path)?;
            std::io::copy(&mut f, out)?;
            Ok(())
        });
        let start = Instant::now();
        {
            let mut conn = mysql::Conn::new(opts.local_infile_handler(Some(handler))).unwrap();
            let mut tx = conn.start_transaction(mysql::TxOpts::default()).unwrap();
            tx.query_drop(
                "LOAD DATA LOCAL INFILE 'accounts.csv' INTO TABLE accounts \
                 CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' \
                 LINES TERMINATED BY '\\n' IGNORE 1 LINES (id, name, description)",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        samples.push(Sample {
            wall: start.elapsed(),
            rss_kib: 0,
        });
        let n: u64 = mysql::Conn::new(target.db_opts(&db.name))
            .unwrap()
            .query_first("SELECT COUNT(*) FROM accounts")
            .unwrap()
            .unwrap();
        assert_eq!(
            n as usize, rows,
            "LOAD DATA loaded a different number of rows"
        );
    }
    samples
}

struct SeedResults {
    csv_insert: Option<Stats>,
}

fn bench_seeds(
    s: &Settings,
    root: &Path,
    engine: Engine,
    csv: &Path,
    rows: &Rows,
    rep: &mut Report,
) -> SeedResults {
    let n = rows.data.len();
    let nn = thousands(n);
    let en = engine.name();
    let target = s.mysql.as_ref();
    let seed = s.part("seed");
    let yaml = s.part("yaml");
    let insert_dir = seed_dir(root, &format!("csv_insert_{en}"), Some(csv), "insert", n);
    let upsert_dir =
        seed.then(|| seed_dir(root, &format!("csv_upsert_{en}"), Some(csv), "upsert", n));
    let yaml_dir = yaml.then(|| seed_dir(root, &format!("yaml_insert_{en}"), None, "insert", n));
    let load_data = if seed && engine == Engine::Mariadb {
        match enable_local_infile(target.unwrap()) {
            Ok(()) => true,
            Err(e) => {
                rep.notes
                    .push(format!("note: LOAD DATA LOCAL baseline skipped: {e}"));
                false
            }
        }
    } else {
        false
    };
    // Rounds: every variant once per round, so that the machine's noise (other builds,
    // the disk) falls on furrow and on its baselines alike.
    let (mut ins, mut ups, mut yml, mut raw, mut load) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..s.runs {
        let r = run..run + 1;
        ins.extend(furrow_seed(
            s,
            root,
            engine,
            "csv_insert",
            &insert_dir,
            n,
            r.clone(),
        ));
        if let Some(dir) = &upsert_dir {
            ups.extend(furrow_seed(
                s,
                root,
                engine,
                "csv_upsert",
                dir,
                n,
                r.clone(),
            ));
            match engine {
                Engine::Sqlite => raw.extend(raw_sqlite(root, rows, r.clone())),
                Engine::Mariadb => {
                    raw.extend(raw_mysql_insert(target.unwrap(), rows, r.clone()));
                    if load_data {
                        load.extend(raw_mysql_load_data(target.unwrap(), csv, n, r.clone()));
                    }
                }
            }
        }
        if let Some(dir) = &yaml_dir {
            yml.extend(furrow_seed(
                s,
                root,
                engine,
                "yaml_insert",
                dir,
                n,
                r.clone(),
            ));
        }
    }
    let show = |what: &str, st: &Stats| {
        progress(&format!(
            "{what} {nn} rows, {en}: {} ({})",
            krows(n, st.median),
            spread(st)
        ))
    };
    let insert = stats(&ins);
    show("furrow seed CSV insert", &insert);
    if seed {
        let upsert = stats(&ups);
        show("furrow seed CSV upsert", &upsert);
        let raw = stats(&raw);
        let load = load_data.then(|| stats(&load));
        let (raw_name, target_ratio) = match engine {
            Engine::Sqlite => ("rusqlite loop", 0.8),
            Engine::Mariadb => ("multi-row INSERT", 1.0),
        };
        show(&format!("raw {raw_name}"), &raw);
        if let Some(l) = &load {
            show("raw LOAD DATA LOCAL INFILE", l);
        }
        for (mode, st) in [("insert", insert), ("upsert", upsert)] {
            let ratio = raw.median.as_secs_f64() / st.median.as_secs_f64();
            let ok = ratio >= target_ratio;
            rep.add(
                format!("seed {nn} rows, CSV, mode {mode}, {en}"),
                krows(n, st.median),
                format!("{} ({raw_name})", krows(n, raw.median)),
                format!(
                    "{ratio:.2}× raw (target ≥ {target_ratio:.1}×) {}",
                    rep.check(ok)
                ),
                mib(st.rss_kib),
            );
            if let Some(l) = &load {
                let ratio = l.median.as_secs_f64() / st.median.as_secs_f64();
                let ok = ratio >= 0.7;
                rep.add(
                    format!("  ″ mode {mode}, vs LOAD DATA"),
                    "″".into(),
                    format!("{} (LOAD DATA LOCAL)", krows(n, l.median)),
                    format!("{ratio:.2}× raw (target ≥ 0.7×) {}", rep.check(ok)),
                    "″".into(),
                );
            }
        }
    }
    if yaml {
        let y = stats(&yml);
        show("furrow seed YAML insert", &y);
        let ratio = y.median.as_secs_f64() / insert.median.as_secs_f64();
        let ok = ratio <= 1.5;
        rep.add(
            format!("seed {nn} rows, YAML `rows:`, mode insert, {en}"),
            krows(n, y.median),
            format!("{} (furrow, same rows from CSV)", krows(n, insert.median)),
            format!(
                "YAML takes {ratio:.2}× CSV time (target ≤ 1.5×) {}",
                rep.check(ok)
            ),
            mib(y.rss_kib),
        );
    }
    SeedResults {
        csv_insert: Some(insert),
    }
}

fn bench_memory(s: &Settings, root: &Path, small: Option<Stats>, rep: &mut Report) {
    let n = s.big_rows;
    let csv = root.join(format!("accounts_{n}.csv"));
    write_csv(&csv, n);
    let small = small.unwrap_or_else(|| {
        let csv = root.join("accounts_mem_small.csv");
        write_csv(&csv, s.rows);
        let dir = seed_dir(root, "mem_small", Some(&csv), "insert", s.rows);
        stats(&furrow_seed(
            s,
            root,
            Engine::Sqlite,
            "mem_small",
            &dir,
            s.rows,
            0..1,
        ))
    });
    let dir = seed_dir(root, "mem_big", Some(&csv), "insert", n);
    let big = stats(&furrow_seed(
        s,
        root,
        Engine::Sqlite,
        "mem_big",
        &dir,
        n,
        0..s.big_runs,
    ));
    progress(&format!(
        "seed {} rows CSV insert, SQLite: {}, peak RSS {}",
        thousands(n),
        krows(n, big.median),
        mib(big.rss_kib)
    ));
    let growth = big.rss_kib as f64 / small.rss_kib.max(1) as f64;
    let ok = big.rss_kib < 50 * 1024 && big.rss_kib <= small.rss_kib + small.rss_kib / 10 + 1024;
    rep.add(
        format!("seed {} rows, CSV, mode insert, SQLite", thousands(n)),
        krows(n, big.median),
        "—".into(),
        format!(
            "RSS {} vs {} at {} rows, ×{growth:.2} (target < 50 MiB, flat) {}",
            mib(big.rss_kib),
            mib(small.rss_kib),
            thousands(s.rows),
            rep.check(ok)
        ),
        mib(big.rss_kib),
    );
}

// ---------------------------------------------------------------------------------------

fn main() {
    let s = Settings::from_env();
    let started = Instant::now();
    assert!(
        s.bin.is_file(),
        "no furrow binary at {} (build it with `cargo build --release`, or set FURROW_BIN)",
        s.bin.display()
    );
    let tmp = tempfile::Builder::new()
        .prefix("furrow-bench.")
        .tempdir()
        .expect("temp dir");
    let root = tmp.path();
    eprintln!(
        "furrow bench: {} ; runs {} (no-op {}, {}-row seed {}); workloads in {}",
        s.bin.display(),
        s.runs,
        s.noop_runs,
        thousands(s.big_rows),
        s.big_runs,
        root.display()
    );
    let mut rep = Report::default();
    let engines: Vec<Engine> = if s.mysql.is_some() {
        vec![Engine::Sqlite, Engine::Mariadb]
    } else {
        rep.notes.push(
            "MariaDB: skipped (FURROW_TEST_MYSQL_URL is not set; scripts/bench.sh starts a throwaway server)"
                .into(),
        );
        vec![Engine::Sqlite]
    };
    if let Some(m) = &s.mysql {
        let mut c = m.admin();
        let v: Option<String> = c.query_first("SELECT VERSION()").unwrap();
        eprintln!(
            "MariaDB {} at {}:{}",
            v.unwrap_or_default(),
            m.opts.get_ip_or_hostname(),
            m.opts.get_tcp_port()
        );
    }

    if s.part("noop") {
        eprintln!("a. no-op migrate:latest / migrate:status (SQLite)");
        bench_noop(&s, root, &mut rep);
    }
    if s.part("migrate") {
        eprintln!("b. 300 one-table migrations vs the engine's CLI");
        for &e in &engines {
            bench_migrate(&s, root, e, &mut rep);
        }
    }
    if s.part("dumps") && s.mysql.is_some() {
        eprintln!("b'. dump files as migrations vs the mariadb CLI");
        bench_dumps(&s, root, &mut rep);
    }
    if s.part("cluster") {
        eprintln!("g. a 3-node Galera cluster: 300 migrations vs the CLI, the lease");
        bench_cluster(&s, root, &mut rep);
    }
    let mut small_insert = None;
    if s.part("seed") || s.part("yaml") || s.part("memory") {
        let rows = Rows::new(s.rows);
        let csv = root.join("accounts.csv");
        write_csv(&csv, s.rows);
        if s.part("seed") || s.part("yaml") {
            eprintln!(
                "c–e. seeds of {} rows (CSV insert/upsert, YAML) vs the raw engine",
                thousands(s.rows)
            );
            for &e in &engines {
                let r = bench_seeds(&s, root, e, &csv, &rows, &mut rep);
                if e == Engine::Sqlite {
                    small_insert = r.csv_insert;
                }
            }
        }
    }
    if s.part("memory") {
        eprintln!(
            "f. memory: a {}-row CSV seed (SQLite)",
            thousands(s.big_rows)
        );
        bench_memory(&s, root, small_insert, &mut rep);
    }

    if s.part("fleet") {
        eprintln!("g. fleets: 100 and 1,000 up-to-date SQLite tenants; 100 MariaDB databases");
        bench_fleet(&s, root, &mut rep);
    }

    rep.print();
    println!(
        "(furrow: whole process, median of {} runs (no-op: {}), each from a fresh database; \
         raw loops: in this process, connect to commit; total bench time {:.0} s)",
        s.runs,
        s.noop_runs,
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// g. Fleets: one command on many databases

/// A project whose fleet is `fleet` (YAML under `development:`), migrations from `migrations`.
fn fleet_project(dir: &Path, client: &str, fleet: &str, migrations: &Path) -> PathBuf {
    write(
        &dir.join("knexfile.yaml"),
        &format!(
            "development:\n  client: {client}\n{fleet}  migrations:\n    directory: {}\n",
            migrations.display()
        ),
    );
    dir.to_path_buf()
}

fn bench_fleet(s: &Settings, root: &Path, rep: &mut Report) {
    let migrations = root.join("fleet_migrations");
    write_migrations(&migrations, 10);
    // SQLite: every tenant up to date, `migrate:latest --all-targets` (the deploy-time no-op).
    let mut medians = Vec::new();
    for n in [100usize, 1_000] {
        let dir = root.join(format!("fleet_sqlite_{n}"));
        for i in 0..n {
            write(&dir.join(format!("tenants/tenant_{i:04}.sqlite3")), "");
        }
        let p = fleet_project(
            &dir,
            "sqlite3",
            "  targets: ./tenants/*.sqlite3\n",
            &migrations,
        );
        furrow(s, &p, &["migrate:latest", "--all-targets"]); // applies the 10 migrations
        furrow(s, &p, &["migrate:latest", "--all-targets"]); // warm-up
        let samples: Vec<Sample> = (0..s.runs)
            .map(|_| furrow(s, &p, &["migrate:latest", "--all-targets"]))
            .collect();
        let st = stats(&samples);
        progress(&format!(
            "fleet no-op, {} SQLite tenants: {} ({})",
            thousands(n),
            ms(st.median),
            spread(&st)
        ));
        let verdict = if n == 1_000 {
            format!(
                "target ≤ 2 s {}",
                rep.check(st.median <= Duration::from_secs(2))
            )
        } else {
            "—".into()
        };
        rep.add(
            format!(
                "fleet `migrate:latest --all-targets`, {} up-to-date SQLite tenants",
                thousands(n)
            ),
            format!(
                "{} ({:.2} ms a tenant)",
                ms(st.median),
                st.median.as_secs_f64() * 1000.0 / n as f64
            ),
            "—".into(),
            verdict,
            mib(st.rss_kib),
        );
        medians.push(st.median.as_secs_f64());
    }
    let growth = medians[1] / medians[0];
    rep.add(
        "fleet growth, 100 → 1,000 SQLite tenants".into(),
        format!("×{growth:.1}"),
        "—".into(),
        format!("≤ ×10 (linear) {}", rep.check(growth <= 10.0)),
        "".into(),
    );
    let Some(m) = &s.mysql else {
        rep.notes
            .push("fleet on MariaDB: skipped (no FURROW_TEST_MYSQL_URL)".into());
        return;
    };
    bench_fleet_mariadb(s, root, m, &migrations, rep);
}

/// 100 databases with 10 pending migrations each, `--parallel 1` against `--parallel 8`,
/// every run from fresh databases.
fn bench_fleet_mariadb(
    s: &Settings,
    root: &Path,
    m: &MysqlTarget,
    migrations: &Path,
    rep: &mut Report,
) {
    const DBS: usize = 100;
    let runs = env_usize("FURROW_BENCH_FLEET_RUNS", 3).max(1);
    let names: Vec<String> = (0..DBS)
        .map(|i| format!("furrow_bench_fleet_{}_{i:03}", std::process::id()))
        .collect();
    let dir = root.join("fleet_mariadb");
    let list: String = names
        .iter()
        .map(|db| format!("{}/{db}\n", m.base))
        .collect();
    write(
        &dir.join("targets.txt"),
        &format!("# {DBS} tenants\n{list}"),
    );
    let p = fleet_project(&dir, "mysql", "  targets_from: ./targets.txt\n", migrations);
    let fresh = |drop_only: bool| {
        let mut admin = m.admin();
        for db in &names {
            admin
                .query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
                .unwrap();
            if !drop_only {
                admin.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
            }
        }
    };
    let mut medians = Vec::new();
    for parallel in ["1", "8"] {
        let samples: Vec<Sample> = (0..runs)
            .map(|_| {
                fresh(false);
                furrow(
                    s,
                    &p,
                    &["migrate:latest", "--all-targets", "--parallel", parallel],
                )
            })
            .collect();
        let st = stats(&samples);
        progress(&format!(
            "fleet, {DBS} MariaDB databases × 10 migrations, --parallel {parallel}: {} ({})",
            ms(st.median),
            spread(&st)
        ));
        rep.add(
            format!("fleet `migrate:latest --all-targets --parallel {parallel}`, {DBS} MariaDB databases × 10 pending"),
            format!("{} ({:.1} ms a database)", ms(st.median), st.median.as_secs_f64() * 1000.0 / DBS as f64),
            "—".into(),
            "—".into(),
            mib(st.rss_kib),
        );
        medians.push(st.median.as_secs_f64());
    }
    fresh(true);
    rep.add(
        format!("fleet speed-up, --parallel 8 over --parallel 1 ({DBS} MariaDB databases)"),
        format!("×{:.1}", medians[0] / medians[1]),
        "—".into(),
        "(printed, not a target)".into(),
        "".into(),
    );
}
