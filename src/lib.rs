//! furrow: schema migrations and tracked, idempotent seeds for SQLite and MySQL/MariaDB.
//!
//! Data flows one way: command → configuration → plan → run → report.

pub mod app;
pub mod catalog;
pub mod checksum;
pub mod cli;
pub mod clock;
pub mod complete;
pub mod config;
pub mod ctx;
pub mod db;
pub mod embedded;
pub mod error;
pub mod failpoint;
pub mod files;
pub mod fleet;
pub mod interrupt;
pub mod lint;
pub mod markers;
pub mod migrate;
pub mod process;
pub mod report;
pub mod scaffold;
pub mod schema;
pub mod schemafile;
pub mod seed;
pub mod session;
pub mod sql;
pub mod steps;
pub mod text;
pub mod track;
pub mod value;
pub mod yamlpos;

pub use app::run;
