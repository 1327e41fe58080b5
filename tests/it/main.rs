//! Black-box tests: run the furrow binary on temporary projects and read the database
//! directly. Tests written with `both!` run on SQLite and on MariaDB (scripts/test.sh
//! starts one; without it, MySQL tests skip with a message).

mod support;

mod client;
mod config;
mod files;
mod fleet;
mod galera;
mod knex;
mod library;
mod lint;
mod migrate;
mod mysql;
mod real;
mod schema;
mod seeds;
mod shell;
mod yaml;
