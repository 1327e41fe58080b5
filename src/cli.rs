//! The command tree. Names carry colons like Knex's (`migrate:latest`, `seed:run`).
//! Its doc comments are clap's help text, written for the terminal (`<NAME>`), not rustdoc.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

#[derive(Parser, Debug)]
#[command(
    name = "furrow",
    version,
    about = "Schema migrations and tracked, idempotent seeds for SQLite and MySQL/MariaDB, the Knex way.",
    long_about = "Schema migrations and tracked, idempotent seeds for SQLite and MySQL/MariaDB, the Knex way.\n\nfurrow reads knexfile.yaml in this directory or the nearest parent. Migrations (migrations/) run once, in order, in batches; seeds (seeds/) run whenever asked and are tracked too.",
    after_help = "Examples:\n  furrow init\n  furrow migrate:make create_accounts\n  furrow migrate:latest\n  furrow migrate:status --check\n  furrow seed:run\n  furrow --env production migrate:latest --dry-run\n  furrow --env production migrate:latest --all-targets --parallel 8   # every database of the fleet\n  furrow migrate:status --all-targets --check\n\nExit codes: 0 success, 1 the work failed (on a fleet: a target failed), 2 usage or\nconfiguration error, 3 migrate:status --check found work to do, 130 interrupted.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The knexfile to read (default: knexfile.yaml in this directory or the nearest parent).
    #[arg(long, global = true, value_name = "PATH")]
    pub knexfile: Option<PathBuf>,
    /// Work as if started in DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// The environment block of the knexfile (default: $FURROW_ENV, $NODE_ENV, development).
    #[arg(long, global = true, value_name = "NAME", add = ArgValueCompleter::new(crate::complete::environments))]
    pub env: Option<String>,
    /// Override the client: sqlite3 (better-sqlite3, sqlite) or mysql (mysql2, mariadb).
    #[arg(long, global = true, value_name = "NAME")]
    pub client: Option<String>,
    /// Override the connection, e.g. ./dev.sqlite3, sqlite://./dev.sqlite3 or
    /// mysql://user:pass@127.0.0.1:3306/db. With --client, no knexfile is needed.
    #[arg(long, global = true, value_name = "URL")]
    pub connection: Option<String>,
    /// Override migrations.directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub migrations_directory: Option<PathBuf>,
    /// Override migrations.tableName.
    #[arg(long, global = true, value_name = "NAME")]
    pub migrations_table_name: Option<String>,
    /// Override seeds.directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub seeds_directory: Option<PathBuf>,
    /// Print exactly one JSON document on stdout (errors too).
    #[arg(long, global = true)]
    pub json: bool,
    /// No colour (also $NO_COLOR; there is none when stdout is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print every SQL statement as it runs, on stderr (passwords and seed values are not printed).
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Ext {
    Yaml,
    Yml,
    Sql,
}

impl Ext {
    pub fn name(self) -> &'static str {
        match self {
            Ext::Yaml | Ext::Yml => "yaml",
            Ext::Sql => "sql",
        }
    }
}

/// What a fleet does when a target fails.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum OnError {
    /// Go on with the other targets.
    #[default]
    Continue,
    /// Start no more targets (those already running finish).
    Stop,
}

/// Running a command on a fleet: the databases an environment lists under `targets:` or
/// `targets_from:`.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Fleet options (targets: / targets_from: in the knexfile)")]
pub struct FleetArgs {
    /// Run on every target of the environment's fleet.
    #[arg(long, conflicts_with = "target")]
    pub all_targets: bool,
    /// Run on this target only; repeatable. NAME is the database name, the SQLite file name
    /// (with or without extension), or the URL without its password.
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// At most N targets at once [default: 4]. Each target uses the connections a single run
    /// does: on MySQL, migrate:latest/rollback hold 2 while migrations run (the runner's and
    /// its statements'; 3 on Galera, whose lock lease is renewed on its own), so up to 2N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallel: Option<u32>,
    /// What a failed target does to the others: continue, or stop starting new ones
    /// [default: continue].
    #[arg(long, value_enum, value_name = "WHAT")]
    pub on_error: Option<OnError>,
    /// Run K targets first (in the fleet's order); if one of them fails, run no other.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub canary: Option<u32>,
}

impl FleetArgs {
    /// A fleet run was asked for (`--all-targets` or `--target`).
    pub fn selected(&self) -> bool {
        self.all_targets || !self.target.is_empty()
    }
}

/// The tool whose history `migrate:adopt` records.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AdoptFrom {
    Dbmate,
    Knex,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write knexfile.yaml (SQLite for development, MySQL for production, commented),
    /// migrations/ and seeds/. Never overwrites a knexfile.
    Init,

    /// Create a migration file from the template: migrations/<UTC timestamp>_<NAME>.<ext>.
    #[command(name = "migrate:make", visible_alias = "make:migration")]
    MigrateMake {
        /// Letters, digits, _ and - (e.g. create_accounts).
        name: String,
        /// yaml (portable schema language) or sql (default: migrations.extension).
        #[arg(short = 'x', long = "extension", value_enum)]
        extension: Option<Ext>,
    },

    /// Apply every pending migration, in order, as one new batch.
    #[command(name = "migrate:latest")]
    MigrateLatest {
        /// Print the SQL that would run; change nothing (not even the tracking tables).
        #[arg(long)]
        dry_run: bool,
        /// Go on although files of applied migrations are missing.
        #[arg(long)]
        ignore_missing: bool,
        /// Finish a partial migration from statement N (1-based) of its file, as it is:
        /// for when furrow cannot tell whether the statement running at a kill committed
        /// (N re-runs it; N+1 skips it), or to retry a statement that failed for a passing
        /// reason. `furrow migrate:status` shows where it stopped.
        #[arg(long, value_name = "N")]
        resume_from: Option<usize>,
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// Revert the last batch of migrations (or all of them), newest first.
    #[command(name = "migrate:rollback")]
    MigrateRollback {
        /// Revert every applied migration.
        #[arg(long)]
        all: bool,
        /// Print the SQL that would run; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Go on although files of other applied migrations are missing.
        #[arg(long)]
        ignore_missing: bool,
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// Apply the next pending migration (or the named one) as a new batch.
    #[command(name = "migrate:up")]
    MigrateUp {
        /// File name, with or without extension, or the part after the timestamp.
        #[arg(add = ArgValueCompleter::new(crate::complete::migrations))]
        name: Option<String>,
        #[arg(long)]
        ignore_missing: bool,
        /// Finish a partial migration from statement N of its file (see migrate:latest).
        #[arg(long, value_name = "N")]
        resume_from: Option<usize>,
    },

    /// Revert the last applied migration (or the named one).
    #[command(name = "migrate:down")]
    MigrateDown {
        /// File name, with or without extension, or the part after the timestamp.
        #[arg(add = ArgValueCompleter::new(crate::complete::migrations))]
        name: Option<String>,
    },

    /// One line per migration: applied, pending, modified, missing or partial.
    #[command(name = "migrate:status")]
    MigrateStatus {
        /// Exit with 3 when anything is not applied and clean (for CI and deploy checks).
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// What each migration will do to a live database before it runs: findings with a
    /// stable code, a level, where, and what to do instead. Exit 1 if any is an error.
    #[command(name = "migrate:lint")]
    MigrateLint {
        /// Migrations to lint (file name, with or without extension, or the part after the
        /// timestamp); default: every migration.
        #[arg(add = ArgValueCompleter::new(crate::complete::migrations))]
        names: Vec<String>,
        /// Only the migrations not applied yet.
        #[arg(long)]
        pending: bool,
        /// Judge locking for this server (`10.11`, `mariadb-10.6`, `mysql-8.0.36`) instead of
        /// the live one's version.
        #[arg(long, value_name = "VERSION")]
        server_version: Option<String>,
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// List completed and pending migrations, as Knex does.
    #[command(name = "migrate:list")]
    MigrateList {
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// The timestamp of the newest applied migration.
    #[command(
        name = "migrate:currentVersion",
        visible_alias = "migrate:current-version"
    )]
    MigrateCurrentVersion,

    /// Clear a migration lock left by a runner that cannot be checked (e.g. on another host).
    #[command(name = "migrate:unlock")]
    MigrateUnlock,

    /// Record another tool's migration history in furrow's table, so furrow takes over.
    ///
    /// From dbmate: every version in dbmate's table becomes one applied row of
    /// migrations.tableName (batch 1, with the file's checksum), named by the migration file
    /// whose 14-digit prefix is that version. furrow runs dbmate's files as they are
    /// (`-- migrate:up` / `-- migrate:down`). Versions without a file are refused before
    /// anything is written; dbmate's own table is only read, never changed.
    #[command(
        name = "migrate:adopt",
        after_help = "Examples:
  furrow migrate:adopt --from dbmate --dry-run
  furrow migrate:adopt --from dbmate --table schema_migrations
  furrow migrate:status

Knex needs no adoption: with migrations.tableName: knex_migrations furrow reads Knex's
table as it is, and a row Knex wrote for `….js` counts for the furrow file of the same stem."
    )]
    MigrateAdopt {
        /// The tool that wrote the history: dbmate (knex is answered with how to share its table).
        #[arg(long, value_enum, value_name = "TOOL")]
        from: AdoptFrom,
        /// That tool's tracking table (dbmate's default: schema_migrations).
        #[arg(long, value_name = "NAME")]
        table: Option<String>,
        /// Say what would be recorded; change nothing.
        #[arg(long)]
        dry_run: bool,
    },

    /// Print the SQL of one migration for this environment's dialect (no connection needed).
    #[command(name = "migrate:sql")]
    MigrateSql {
        /// File name, with or without extension, or the part after the timestamp.
        #[arg(add = ArgValueCompleter::new(crate::complete::migrations))]
        name: String,
        /// The down section instead of the up section.
        #[arg(long)]
        down: bool,
    },

    /// Create a seed file from the template: seeds/<NAME>.<ext>. When the database is
    /// reachable and table NAME exists, the file names its key and lists its columns.
    #[command(name = "seed:make", visible_alias = "make:seed")]
    SeedMake {
        /// Letters, digits, _ and - (usually the table's name, e.g. accounts).
        name: String,
        /// yaml (data seed) or sql (default: seeds.extension).
        #[arg(short = 'x', long = "extension", value_enum)]
        extension: Option<Ext>,
        /// Prefix the file name with a UTC timestamp (orders seeds by creation).
        #[arg(long)]
        timestamp_filename_prefix: bool,
    },

    /// Run every seed (or the named ones) in order, each file in one transaction, tracked in
    /// furrow_seeds. Modes upsert and insert_missing make re-runs safe.
    #[command(name = "seed:run")]
    SeedRun {
        /// Only this seed (file name with or without extension, or its path); repeatable.
        #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(crate::complete::seeds))]
        specific: Vec<String>,
        /// Only seeds that are new or changed since their last run.
        #[arg(long)]
        changed: bool,
        /// The whole run in one transaction: all seeds or none.
        #[arg(long)]
        atomic: bool,
        /// Say what would run (files, tables, modes, row counts); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow `replace` seeds in an environment named production.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// One line per seed: never run, up to date, changed since its last run, or missing.
    #[command(name = "seed:status")]
    SeedStatus {
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// Reverse a seed: a YAML seed deletes exactly the rows it declares (by key); an SQL seed
    /// runs its `-- seed:undo` part. Without NAME, the seed run last.
    #[command(name = "seed:undo")]
    SeedUndo {
        /// File name with or without extension, or its path.
        #[arg(add = ArgValueCompleter::new(crate::complete::seeds))]
        name: Option<String>,
        /// Undo every seed that has run.
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },

    /// Print the shell completion script (commands, flags, and the project's environments,
    /// migrations and seeds), e.g. `furrow completions bash > ~/.local/share/bash-completion/completions/furrow`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_parser = crate::complete::SHELLS)]
        shell: String,
    },

    /// Print the manual page (roff), of furrow or of one command: `furrow man | man -l -`.
    Man {
        /// A command (`migrate:latest` …) for its own page.
        command: Option<String>,
    },

    /// Clear a seed lock left by a runner that cannot be checked (e.g. on another host).
    #[command(name = "seed:unlock")]
    SeedUnlock,

    /// Write the live schema as SQL for its dialect: tables, indexes, foreign keys, checks,
    /// views, triggers (and on MySQL routines and events), sorted, with no AUTO_INCREMENT
    /// counters, definers or timestamps, so two databases with one schema dump alike. Its
    /// last lines name the applied migrations, for `schema:load`.
    #[command(
        name = "schema:dump",
        after_help = "Examples:
  furrow schema:dump                      # to stdout
  furrow schema:dump --output schema.sql
  furrow --env production schema:dump -o prod.sql && diff schema.sql prod.sql

With `migrations.schemaFile: ./schema.sql` in the knexfile, every migrate:* that changes
the schema rewrites that file, so a review shows the schema change beside the migration."
    )]
    SchemaDump {
        /// Write to FILE (relative to the working directory) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also dump furrow's tracking tables (furrow_migrations, furrow_seeds and their locks).
        #[arg(long)]
        include_tracking: bool,
    },

    /// Compare the live schema with what the applied migrations build: replays them, in the
    /// order they ran, into a scratch database (SQLite: in memory; MySQL: a database
    /// `furrow_drift_…` that it drops again) and prints each difference.
    #[command(
        name = "schema:drift",
        after_help = "Examples:
  furrow schema:drift
  furrow --env production schema:drift --json

Exit codes: 0 no drift, 3 the schemas differ, 1 it cannot tell (the reason is printed:
e.g. the user may not create the scratch database, or a migration file is missing)."
    )]
    SchemaDrift {
        #[command(flatten)]
        fleet: FleetArgs,
    },

    /// Create the schema of a dump (schema:dump) in an empty database, and record the
    /// migrations it names as applied, so a new environment needs no replay. Refused on a
    /// database that has tables or migrations already.
    #[command(
        name = "schema:load",
        after_help = "Examples:
  furrow --env test schema:load schema.sql
  furrow --env test migrate:latest        # then only what is newer than the dump"
    )]
    SchemaLoad {
        /// The dump (relative to the working directory).
        file: PathBuf,
    },
}

impl Command {
    /// The fleet flags of a command that runs across a fleet; `None` for the others.
    pub fn fleet(&self) -> Option<&FleetArgs> {
        match self {
            Command::MigrateLatest { fleet, .. }
            | Command::MigrateRollback { fleet, .. }
            | Command::MigrateStatus { fleet, .. }
            | Command::MigrateList { fleet }
            | Command::MigrateLint { fleet, .. }
            | Command::SeedRun { fleet, .. }
            | Command::SeedStatus { fleet }
            | Command::SchemaDrift { fleet } => Some(fleet),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Command::Init => "init",
            Command::MigrateMake { .. } => "migrate:make",
            Command::MigrateLatest { .. } => "migrate:latest",
            Command::MigrateRollback { .. } => "migrate:rollback",
            Command::MigrateUp { .. } => "migrate:up",
            Command::MigrateDown { .. } => "migrate:down",
            Command::MigrateStatus { .. } => "migrate:status",
            Command::MigrateList { .. } => "migrate:list",
            Command::MigrateLint { .. } => "migrate:lint",
            Command::MigrateCurrentVersion => "migrate:currentVersion",
            Command::MigrateUnlock => "migrate:unlock",
            Command::MigrateAdopt { .. } => "migrate:adopt",
            Command::MigrateSql { .. } => "migrate:sql",
            Command::SeedMake { .. } => "seed:make",
            Command::SeedRun { .. } => "seed:run",
            Command::SeedStatus { .. } => "seed:status",
            Command::SeedUndo { .. } => "seed:undo",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
            Command::SeedUnlock => "seed:unlock",
            Command::SchemaDump { .. } => "schema:dump",
            Command::SchemaDrift { .. } => "schema:drift",
            Command::SchemaLoad { .. } => "schema:load",
        }
    }
}
