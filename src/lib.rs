//! furrow: schema migrations and tracked, idempotent seeds for SQLite and MySQL/MariaDB,
//! the Knex way — as a command-line tool, and as this library.
//!
//! A [`Project`] is a database with its migrations and seeds, opened from a knexfile
//! ([`Project::open`]) or built in code ([`Project::sqlite`], [`Project::mysql`],
//! [`Project::in_memory`]). It has one method per command, each returning what the
//! command's `--json` prints, typed ([`Migrated`], [`Status`], [`SeedRun`] …), and errors of
//! the kinds and exit codes the CLI has ([`Error`], [`Kind`]). It runs the same code the CLI
//! runs: the lock, the checksums, the records of partly applied migrations and the redaction
//! of passwords hold for it too. Nothing is printed; [`Project::on_event`] hears what
//! happens.
//!
//! With [`embed!`] the migrations and seeds are compiled into the binary, and a deployed
//! program migrates its database at start-up with no files beside it:
//!
//! ```no_run
//! fn main() -> Result<(), furrow::Error> {
//!     let run = furrow::Project::sqlite("app.sqlite3")?
//!         .migrations(furrow::embed!("migrations"))
//!         .seeds(furrow::embed!("seeds"))?
//!         .migrate_latest()?;
//!     println!("batch {:?}: {} migrations", run.batch, run.migrations.len());
//!     Ok(())
//! }
//! ```
//!
//! A complete example, on an in-memory database:
//!
//! ```
//! # fn main() -> Result<(), furrow::Error> {
//! use furrow::{Embedded, Project, State};
//!
//! const MIGRATIONS: Embedded = Embedded::new("migrations", &[
//!     ("20240101000000_create_accounts.sql", b"-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT);\n\n-- migrate:down\nDROP TABLE accounts;\n"),
//! ]);
//! const SEEDS: Embedded = Embedded::new("seeds", &[
//!     ("accounts.yaml", b"table: accounts\nrows:\n  - { id: 1, name: John Smith, description: CEO }\n  - { id: 2, name: Ed Williams, description: CTO }\n"),
//! ]);
//!
//! let project = Project::in_memory()?.migrations(MIGRATIONS).seeds(SEEDS)?;
//! assert_eq!(project.status()?.items[0].state, State::Pending);
//! project.migrate_latest()?;
//! let seeded = project.seed_run()?;
//! assert_eq!(seeded.seeds[0].inserted, 2);
//! // Seeds are idempotent: a second run changes nothing.
//! assert_eq!(project.seed_run()?.seeds[0].unchanged, 2);
//! // Errors carry the CLI's kinds and exit codes.
//! let e = project.migrate_down(Some("nope")).unwrap_err();
//! assert_eq!(e.kind.exit_code(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! The modules below the API are the command-line tool's; they are not part of the
//! library's interface.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod catalog;
#[doc(hidden)]
pub mod checksum;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod complete;
#[doc(hidden)]
pub mod config;
#[doc(hidden)]
pub mod ctx;
#[doc(hidden)]
pub mod db;
#[doc(hidden)]
pub mod embedded;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod failpoint;
#[doc(hidden)]
pub mod files;
#[doc(hidden)]
pub mod fleet;
#[doc(hidden)]
pub mod interrupt;
#[doc(hidden)]
pub mod lint;
#[doc(hidden)]
pub mod markers;
#[doc(hidden)]
pub mod migrate;
#[doc(hidden)]
pub mod process;
mod project;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod scaffold;
#[doc(hidden)]
pub mod schema;
#[doc(hidden)]
pub mod schemafile;
#[doc(hidden)]
pub mod seed;
#[doc(hidden)]
pub mod session;
#[doc(hidden)]
pub mod sql;
#[doc(hidden)]
pub mod steps;
#[doc(hidden)]
pub mod text;
#[doc(hidden)]
pub mod track;
#[doc(hidden)]
pub mod value;
#[doc(hidden)]
pub mod yamlpos;

pub use app::run;
pub use embedded::Embedded;
pub use error::{Error, Kind, Result};
pub use furrow_embed::embed;
pub use project::{
    Finding, Lint, LockHolder, Migrated, MigrationRun, MigrationStatus, Project, SeedOptions,
    SeedRun, SeedRunItem, SeedState, SeedStatus, State, Status,
};
pub use report::Event;
