//! The library: a [`Project`] is one database, its migrations and its seeds, opened from a
//! knexfile or built in code; one method per command, each returning the structure that the
//! command's `--json` prints, typed. It runs the very functions the CLI runs (the CLI parses
//! flags into the same configuration and prints what they return), so the lock, the
//! checksums, the partial-migration records and the redaction of passwords hold here too.
//! Nothing is printed: warnings come back in the result, and what happens meanwhile goes to
//! the [`on_event`](Project::on_event) callback.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{self, Config, Connection, Overrides, SqlitePath};
use crate::ctx::Ctx;
use crate::embedded::Embedded;
use crate::error::{Error, Result};
use crate::report::{Event, Output, Report};

/// A database with its migrations and seeds.
///
/// ```
/// # fn main() -> Result<(), furrow::Error> {
/// let project = furrow::Project::in_memory()?.migrations(furrow::Embedded::new(
///     "migrations",
///     &[(
///         "20240101000000_create_accounts.sql",
///         b"-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);\n\n-- migrate:down\nDROP TABLE accounts;\n",
///     )],
/// ));
/// let run = project.migrate_latest()?;
/// assert_eq!(run.batch, Some(1));
/// assert_eq!(run.migrations[0].name, "20240101000000_create_accounts.sql");
/// assert!(project.status()?.up_to_date);
/// # Ok(())
/// # }
/// ```
pub struct Project {
    config: Config,
    listener: Option<crate::report::Listener>,
    /// Keeps a [`Project::in_memory`] database alive between calls.
    _memory: Option<rusqlite::Connection>,
    /// Embedded seeds' CSV files, written out for the streaming reader.
    csv_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("environment", &self.config.env)
            .field("connection", &self.config.connection.redacted())
            .finish()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if let Some(d) = &self.csv_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

static MEMORY: AtomicUsize = AtomicUsize::new(0);

impl Project {
    /// Opens a knexfile (`knexfile.yaml`) and one of its environments, as `furrow --knexfile
    /// PATH --env ENV` does: `${VAR}` and `.env` are read, relative paths are the knexfile's.
    pub fn open(knexfile: impl AsRef<Path>, environment: &str) -> Result<Project> {
        let path = knexfile.as_ref();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let ov = Overrides {
            knexfile: Some(path.to_path_buf()),
            env: Some(environment.to_string()),
            ..Overrides::default()
        };
        let config = config::load(&dir, &ov, &|k| std::env::var(k).ok())?;
        Ok(Project::with(config))
    }

    /// A SQLite database file (created on first use), with `./migrations` and `./seeds`
    /// beside the working directory until [`migrations_dir`](Project::migrations_dir) or
    /// [`migrations`](Project::migrations) say otherwise.
    pub fn sqlite(path: impl AsRef<Path>) -> Result<Project> {
        Project::built("sqlite3", &path.as_ref().to_string_lossy())
    }

    /// A MySQL or MariaDB database, by URL (`mysql://user:password@host:3306/db`); the
    /// password never appears in a result, an error or an event.
    pub fn mysql(url: &str) -> Result<Project> {
        Project::built("mysql", url)
    }

    /// A SQLite database in memory, private to this project and alive as long as it is.
    pub fn in_memory() -> Result<Project> {
        let name = format!(
            "furrow-{}-{}",
            std::process::id(),
            MEMORY.fetch_add(1, Ordering::Relaxed)
        );
        let keep = rusqlite::Connection::open_with_flags(
            crate::db::sqlite::shared_uri(&name),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| Error::connection(format!("cannot open an in-memory SQLite database: {e}")))?;
        let mut p = Project::built("sqlite3", ":memory:")?;
        p.config.connection = Connection::Sqlite(SqlitePath::Shared(name));
        p._memory = Some(keep);
        Ok(p)
    }

    fn built(client: &str, connection: &str) -> Result<Project> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::io(format!("cannot read the working directory: {e}")))?;
        let ov = Overrides {
            client: Some(client.to_string()),
            connection: Some(connection.to_string()),
            ..Overrides::default()
        };
        Ok(Project::with(config::without_knexfile(&cwd, &ov)?))
    }

    fn with(config: Config) -> Project {
        Project {
            config,
            listener: None,
            _memory: None,
            csv_dir: None,
        }
    }

    /// Read migrations from this directory (relative: to the working directory).
    pub fn migrations_dir(mut self, dir: impl AsRef<Path>) -> Project {
        self.config.migrations.directories = vec![self.config.base_dir.join(dir)];
        self.config.migrations.embedded = None;
        self
    }

    /// Read seeds from this directory (relative: to the working directory).
    pub fn seeds_dir(mut self, dir: impl AsRef<Path>) -> Project {
        self.config.seeds.directories = vec![self.config.base_dir.join(dir)];
        self.config.seeds.embedded = None;
        self
    }

    /// Run these migrations, compiled in with [`embed!`](crate::embed), instead of a
    /// directory's.
    pub fn migrations(mut self, files: Embedded) -> Project {
        self.config.migrations.embedded = Some(files);
        self
    }

    /// Run these seeds, compiled in with [`embed!`](crate::embed), instead of a directory's.
    /// A seed's `rows_from:` CSV is embedded too, and streamed from a private temporary copy.
    pub fn seeds(mut self, files: Embedded) -> Result<Project> {
        let csvs: Vec<_> = files
            .files()
            .iter()
            .filter(|(n, _)| n.ends_with(".csv"))
            .collect();
        if !csvs.is_empty() {
            let dir = std::env::temp_dir().join(format!(
                "furrow-seeds-{}-{}",
                std::process::id(),
                MEMORY.fetch_add(1, Ordering::Relaxed)
            ));
            // Removed with the project, even when writing a file below fails.
            self.csv_dir = Some(dir.clone());
            for (name, bytes) in csvs {
                let path = dir.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| crate::error::io_error("create", parent, &e))?;
                }
                std::fs::write(&path, bytes)
                    .map_err(|e| crate::error::io_error("write", &path, &e))?;
            }
            self.config.seeds.directories = vec![dir];
        }
        self.config.seeds.recursive = true;
        self.config.seeds.embedded = Some(files);
        Ok(self)
    }

    /// The tracking table (`furrow_migrations`); its lock table is `<name>_lock`.
    pub fn migrations_table(mut self, name: &str) -> Project {
        self.config.migrations.table_name = name.to_string();
        self
    }

    /// Calls `f` for each thing that happens while a command runs: lock waits, warnings,
    /// each statement, each migration done, seed rows loaded.
    ///
    /// ```
    /// # fn main() -> Result<(), furrow::Error> {
    /// use std::sync::{Arc, Mutex};
    /// let done = Arc::new(Mutex::new(Vec::new()));
    /// let seen = done.clone();
    /// let project = furrow::Project::in_memory()?
    ///     .migrations(furrow::Embedded::new("migrations", &[
    ///         ("20240101000000_a.sql", b"-- migrate:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n"),
    ///     ]))
    ///     .on_event(move |e| {
    ///         if let furrow::Event::Migrated { name, .. } = e {
    ///             seen.lock().unwrap().push(name.to_string());
    ///         }
    ///     });
    /// project.migrate_latest()?;
    /// assert_eq!(*done.lock().unwrap(), ["20240101000000_a.sql"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_event(mut self, f: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Project {
        self.listener = Some(Arc::new(f));
        self
    }

    /// The environment's name (`development` for a project built in code).
    pub fn environment(&self) -> &str {
        &self.config.env
    }

    /// Runs one command as the CLI does, and reads its `--json` document as `T`.
    fn call<T: DeserializeOwned>(&self, command: impl FnOnce(&Ctx) -> Result<Report>) -> Result<T> {
        let out = Output::for_library(self.listener.clone(), self.config.secrets());
        let ctx = Ctx {
            config: &self.config,
            out: &out,
        };
        let result = command(&ctx);
        // The connection's Ctrl-C hook (set on this thread by the CLI's machinery) is gone
        // with the connection: a program's threads keep none.
        crate::interrupt::clear_hook();
        let report = result.map_err(|e| scrubbed(e, &out))?;
        let name = report.command.clone();
        let mut data = report.data;
        // Lint's own `warnings` is a count: its messages go beside it.
        let key = if data.contains_key("warnings") {
            "output_warnings"
        } else {
            "warnings"
        };
        data.insert(key.into(), serde_json::json!(out.take_warnings()));
        let doc = crate::report::scrub_json(&out, serde_json::Value::Object(data));
        serde_json::from_value(doc).map_err(|e| {
            Error::io(format!(
                "furrow {name}: its result does not read as {}: {e}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// A migrate command, then the schema file rewritten (`migrations.schemaFile`), as the
    /// CLI does after one.
    fn migrate<T: DeserializeOwned>(
        &self,
        command: impl FnOnce(&Ctx) -> Result<Report>,
    ) -> Result<T> {
        self.call(|ctx| command(ctx).map(|r| crate::schemafile::after_migrate(ctx, r)))
    }

    /// `migrate:latest`: every pending migration, in order, as one new batch.
    pub fn migrate_latest(&self) -> Result<Migrated> {
        self.migrate(|ctx| crate::migrate::latest(ctx, Default::default()))
    }

    /// `migrate:rollback` (`all`: `--all`): the last batch, newest first.
    pub fn rollback(&self, all: bool) -> Result<Migrated> {
        self.migrate(|ctx| crate::migrate::rollback(ctx, all, Default::default()))
    }

    /// `migrate:up [NAME]`: the next pending migration, or the named one.
    pub fn migrate_up(&self, name: Option<&str>) -> Result<Migrated> {
        self.migrate(|ctx| crate::migrate::up(ctx, name, Default::default()))
    }

    /// `migrate:down [NAME]`: the last applied migration, or the named one.
    pub fn migrate_down(&self, name: Option<&str>) -> Result<Migrated> {
        self.migrate(|ctx| crate::migrate::down(ctx, name))
    }

    /// `migrate:status`: each migration's state.
    pub fn status(&self) -> Result<Status> {
        self.call(|ctx| crate::migrate::status(ctx, false))
    }

    /// `migrate:lint`: the findings of every migration (see the README's "Lint").
    pub fn lint(&self) -> Result<Lint> {
        self.call(|ctx| {
            crate::migrate::lint::command(
                ctx,
                &crate::migrate::lint::LintOpts {
                    names: &[],
                    pending: false,
                    server_version: None,
                },
            )
        })
    }

    /// `seed:run`: every seed, in order, each file in one transaction.
    pub fn seed_run(&self) -> Result<SeedRun> {
        self.seed_run_with(&SeedOptions::default())
    }

    /// `seed:run` with its flags.
    pub fn seed_run_with(&self, options: &SeedOptions) -> Result<SeedRun> {
        let opts = crate::seed::SeedRunOpts {
            specific: options.specific.clone(),
            changed: options.changed,
            atomic: options.atomic,
            dry_run: false,
            force: options.force,
        };
        self.call(|ctx| crate::seed::run(ctx, &opts))
    }

    /// `seed:status`: each seed's state.
    pub fn seed_status(&self) -> Result<SeedStatus> {
        self.call(crate::seed::status)
    }

    /// `schema:dump`: the live schema as SQL for its dialect.
    pub fn schema_dump(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Dump {
            sql: String,
        }
        let d: Dump = self.call(|ctx| crate::schemafile::dump(ctx, None, false))?;
        Ok(d.sql)
    }
}

fn scrubbed(mut e: Error, out: &Output) -> Error {
    e.message = out.scrub(&e.message);
    e.hint = e.hint.map(|h| out.scrub(&h));
    e.details = e.details.iter().map(|d| out.scrub(d)).collect();
    e.data = e.data.map(
        |d| match crate::report::scrub_json(out, serde_json::Value::Object(*d)) {
            serde_json::Value::Object(m) => Box::new(m),
            _ => Box::default(),
        },
    );
    e
}

/// The flags of `seed:run`.
#[derive(Debug, Clone, Default)]
pub struct SeedOptions {
    /// Only these seeds (`--specific`).
    pub specific: Vec<String>,
    /// Only seeds new or changed since their last run (`--changed`).
    pub changed: bool,
    /// The whole run in one transaction (`--atomic`).
    pub atomic: bool,
    /// Allow `replace` seeds in an environment named production (`--force`).
    pub force: bool,
}

/// What `migrate:latest`, `rollback`, `migrate:up` and `migrate:down` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migrated {
    /// The batch that ran (None when nothing was pending, and for a rollback).
    #[serde(default)]
    pub batch: Option<i64>,
    /// Each migration that ran, in order.
    pub migrations: Vec<MigrationRun>,
    /// Warnings (e.g. an applied migration whose file changed).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One migration that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationRun {
    /// The file name, as tracked.
    pub name: String,
    /// How long it took.
    pub duration_ms: u64,
    /// How many statements ran.
    pub statements: usize,
}

/// `migrate:status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Each migration, in order.
    pub items: Vec<MigrationStatus>,
    /// Everything is applied and unchanged.
    pub up_to_date: bool,
    /// A runner holding the migration lock now, if any.
    #[serde(default)]
    pub lock_holder: Option<LockHolder>,
    /// Warnings.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A migration's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Applied, and its file is unchanged.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but its file changed since.
    Modified,
    /// Applied, and its file is gone.
    Missing,
    /// Partly applied: a run stopped in its middle (see the README).
    Partial,
}

/// One line of `migrate:status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationStatus {
    /// The file name, as tracked.
    pub name: String,
    /// Its state.
    pub state: State,
    /// The batch it was applied in.
    #[serde(default)]
    pub batch: Option<i64>,
    /// When it was applied (UTC).
    #[serde(default)]
    pub applied_at: Option<String>,
    /// The file, as shown to people.
    #[serde(default)]
    pub file: Option<String>,
}

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The holder's host.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// Since when (UTC).
    pub since: String,
    /// The Galera node it runs through, on a cluster.
    #[serde(default)]
    pub node: Option<String>,
}

/// `seed:run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// Each seed file that ran.
    pub seeds: Vec<SeedRunItem>,
    /// Seed files not meant for this environment.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// Warnings.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One seed file that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRunItem {
    /// Its path relative to the seeds directory, as tracked.
    pub name: String,
    /// Rows inserted.
    pub inserted: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows already as the seed says.
    pub unchanged: u64,
    /// Rows deleted (`replace`).
    pub deleted: u64,
    /// How long it took.
    pub duration_ms: u64,
}

/// `seed:status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedStatus {
    /// Each seed.
    pub items: Vec<SeedState>,
    /// Warnings.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One line of `seed:status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedState {
    /// Its path relative to the seeds directory.
    pub name: String,
    /// `never_run`, `up_to_date`, `changed`, `missing` or `invalid`.
    pub state: String,
    /// How many times it ran.
    #[serde(default)]
    pub run_count: Option<i64>,
    /// When it last ran (UTC).
    #[serde(default)]
    pub last_run_at: Option<String>,
}

/// `migrate:lint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lint {
    /// Each finding, by file and statement.
    pub findings: Vec<Finding>,
    /// How many are errors.
    pub errors: usize,
    /// How many are warnings.
    pub warnings: usize,
    /// Warnings about the run itself (e.g. linting offline).
    #[serde(default, rename = "output_warnings")]
    pub messages: Vec<String>,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule (`DS101` …), stable.
    pub code: String,
    /// `error` or `warning`.
    pub level: String,
    /// The migration file.
    pub file: String,
    /// Where in it (`statement 2 (line 5)`, `up[0].create_table`).
    pub at: String,
    /// What will happen.
    pub message: String,
    /// What to do instead.
    pub fix: String,
}
