//! knexfile.yaml: the configuration furrow runs with, and where it comes from.
//!
//! `knexfile` finds and reads the file (the environment's block, strict keys), `interpolate`
//! fills in `${VAR}` from the environment and `.env`, `environment` turns the block into a
//! [`Config`], `connection` parses connections.

mod connection;
mod environment;
mod interpolate;
mod knexfile;
mod targets;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::{Mapping, Value as Y};

use crate::error::{Error, Result};
use knexfile::KnexFile;

pub use connection::{parse_connection_string, Client, Connection, MysqlConn, SqlitePath, SslMode};
pub use environment::valid_identifier;
pub use interpolate::{interpolate, InterpError};
pub use knexfile::{environment_names, find_knexfile};
pub use targets::{Target, TargetsSpec};

/// Flags that override or replace the knexfile.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub knexfile: Option<PathBuf>,
    pub env: Option<String>,
    pub client: Option<String>,
    pub connection: Option<String>,
    pub migrations_directory: Option<PathBuf>,
    pub migrations_table_name: Option<String>,
    pub seeds_directory: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumPolicy {
    Warn,
    Strict,
}

/// `migrations.lint`: what `migrate:latest` does with the lint of the pending migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintPolicy {
    Off,
    /// Print the findings; refuse nothing (the default).
    Warn,
    /// Refuse the batch when a finding is an error.
    Error,
}

#[derive(Debug, Clone)]
pub struct MigrationsConfig {
    pub directories: Vec<PathBuf>,
    pub table_name: String,
    pub extension: String,
    pub disable_transactions: bool,
    pub lock_timeout: Duration,
    /// How long a cluster lock (Galera's lease row) outlives a holder that stopped renewing it.
    pub lock_lease: Duration,
    pub checksums: ChecksumPolicy,
    pub lint: LintPolicy,
    /// The checks before a batch (lint, the cluster's hazards): off for a replay of
    /// migrations that already ran (`schema:drift`).
    pub checks: bool,
    /// Files compiled into the binary, read instead of `directories` (the library).
    pub embedded: Option<crate::embedded::Embedded>,
    /// `schemaFile`: rewritten by every `migrate:*` that changed the schema.
    pub schema_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct SeedsConfig {
    pub directories: Vec<PathBuf>,
    pub table_name: String,
    pub extension: String,
    pub recursive: bool,
    pub lock_timeout: Duration,
    /// How long a cluster lock (Galera's lease row) outlives a holder that stopped renewing it.
    pub lock_lease: Duration,
    pub timestamp_filename_prefix: bool,
    /// Files compiled into the binary, read instead of `directories` (the library).
    pub embedded: Option<crate::embedded::Embedded>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The knexfile read, if any (none with --client and --connection alone).
    pub knexfile: Option<PathBuf>,
    /// Where relative paths resolve: the knexfile's directory, else the working directory.
    pub base_dir: PathBuf,
    pub env: String,
    pub client: Client,
    pub client_name: String,
    pub connection: Connection,
    /// The environment's fleet (`targets`, `targets_from`), expanded when a fleet runs.
    pub targets: Option<TargetsSpec>,
    pub migrations: MigrationsConfig,
    pub seeds: SeedsConfig,
}

impl Config {
    /// Passwords that must never be printed: the connection's and the listed targets'.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets: Vec<String> = self.connection.password().into_iter().collect();
        if let Some(t) = &self.targets {
            secrets.extend(t.secrets());
        }
        secrets
    }

    /// The fleet of this environment, expanded and named (see `TargetsSpec`).
    pub fn fleet(&self, lookup_env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Target>> {
        targets::resolve(self, lookup_env)
    }

    /// The targets `--target NAME`… pick of the fleet.
    pub fn select_targets(&self, fleet: Vec<Target>, names: &[String]) -> Result<Vec<Target>> {
        targets::select(fleet, names, self)
    }

    /// "known targets (N): a, b, c", for messages.
    pub fn known_targets(fleet: &[Target]) -> String {
        targets::known(fleet)
    }

    /// The same configuration on another database of the fleet.
    pub fn for_target(&self, target: &Target) -> Config {
        Config {
            knexfile: self.knexfile.clone(),
            base_dir: self.base_dir.clone(),
            env: self.env.clone(),
            client: self.client,
            client_name: self.client_name.clone(),
            connection: target.connection.clone(),
            targets: None,
            // One file per database: a fleet's targets would write it in turn.
            migrations: MigrationsConfig {
                schema_file: None,
                ..self.migrations.clone()
            },
            seeds: self.seeds.clone(),
        }
    }

    /// Names the database for lock names: two runners on one database agree on it.
    pub fn database_key(&self) -> String {
        match &self.connection {
            Connection::Sqlite(SqlitePath::Memory) => ":memory:".into(),
            Connection::Sqlite(SqlitePath::Shared(n)) => format!(":memory:{n}"),
            Connection::Sqlite(SqlitePath::File(p)) => p.display().to_string(),
            Connection::Mysql(m) => m.database.clone().unwrap_or_default(),
            Connection::Unusable(_) => String::new(),
        }
    }

    /// `path` shown relative to the project when it is inside it.
    pub fn display_path(&self, path: &Path) -> String {
        display_relative(&self.base_dir, path)
    }
}

pub fn display_relative(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// Loads the configuration for the chosen environment.
/// `lookup_env` reads real environment variables (a parameter, so tests stay pure).
pub fn load(
    cwd: &Path,
    ov: &Overrides,
    lookup_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let knexfile = find_knexfile(cwd, ov.knexfile.as_deref())?;
    let env_name = ov
        .env
        .clone()
        .or_else(|| lookup_env("FURROW_ENV").filter(|s| !s.is_empty()))
        .or_else(|| lookup_env("NODE_ENV").filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "development".to_string());

    let Some(knexfile) = knexfile else {
        if ov.client.is_some() && ov.connection.is_some() {
            return from_flags_only(cwd, ov, env_name);
        }
        let mut e = Error::config(format!(
            "no knexfile.yaml found in {} or any parent directory",
            cwd.display()
        ))
        .hint("run `furrow init` to create one, pass --knexfile PATH, or give --client and --connection");
        for js in ["knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs"] {
            if cwd.join(js).is_file() {
                e = e.detail(format!(
                    "found {js}: furrow reads YAML; copy its settings into knexfile.yaml"
                ));
            }
        }
        return Err(e);
    };

    let text = std::fs::read_to_string(&knexfile)
        .map_err(|e| Error::config(format!("cannot read {}: {e}", knexfile.display())))?;
    let base_dir = knexfile
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf());
    let dotenv = interpolate::read_dotenv(&base_dir)?;
    let lookup = |name: &str| lookup_env(name).or_else(|| dotenv.get(name).cloned());
    parse_knexfile(&text, &knexfile, base_dir, env_name, ov, &lookup)
}

/// A configuration from `client` and `connection` alone (and the other overrides), with no
/// knexfile looked for: a project built in code (the library).
pub fn without_knexfile(cwd: &Path, ov: &Overrides) -> Result<Config> {
    from_flags_only(cwd, ov, "development".to_string())
}

fn from_flags_only(cwd: &Path, ov: &Overrides, env: String) -> Result<Config> {
    let mut root = Mapping::new();
    root.insert(
        "client".into(),
        Y::String(ov.client.clone().unwrap_or_default()),
    );
    let block = Y::Mapping(root);
    let file = KnexFile {
        path: None,
        text: String::new(),
    };
    environment::build(&file, &block, &[], cwd.to_path_buf(), env, ov)
}

fn parse_knexfile(
    text: &str,
    path: &Path,
    base_dir: PathBuf,
    env_name: String,
    ov: &Overrides,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let (file, block, prefix) = knexfile::read_environment(text, path, &env_name, lookup)?;
    environment::build(&file, &block, &prefix, base_dir, env_name, ov)
}

#[cfg(test)]
mod tests {
    use super::*;
    use interpolate::vars;

    fn parse(text: &str, env_name: &str, pairs: &[(&str, &str)]) -> Result<Config> {
        let lookup = vars(pairs);
        parse_knexfile(
            text,
            Path::new("/p/knexfile.yaml"),
            PathBuf::from("/p"),
            env_name.to_string(),
            &Overrides::default(),
            &lookup,
        )
    }

    #[test]
    fn reads_environments_and_resolves_paths() {
        let text = "development:\n  client: sqlite3\n  connection:\n    filename: ./db/dev.sqlite3\n  migrations:\n    directory: [./m1, ../m2]\n    tableName: knex_migrations\n  useNullAsDefault: true\nproduction:\n  client: mysql\n  connection: mysql://app:${PW}@db:3307/app\n";
        let c = parse(text, "development", &[]).unwrap();
        assert_eq!(c.client, Client::Sqlite);
        assert_eq!(
            c.connection,
            Connection::Sqlite(SqlitePath::File("/p/db/dev.sqlite3".into()))
        );
        assert_eq!(
            c.migrations.directories,
            vec![PathBuf::from("/p/m1"), PathBuf::from("/m2")]
        );
        assert_eq!(c.migrations.table_name, "knex_migrations");
        // An unset variable in another environment does not matter.
        let p = parse(text, "production", &[("PW", "s3cret")]).unwrap();
        match &p.connection {
            Connection::Mysql(m) => {
                assert_eq!(
                    (m.host.as_str(), m.port, m.user.as_str()),
                    ("db", 3307, "app")
                );
                assert_eq!(m.password.as_deref(), Some("s3cret"));
                assert_eq!(m.database.as_deref(), Some("app"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p.connection.redacted(), "mysql://app:***@db:3307/app");
        assert_eq!(p.secrets(), vec!["s3cret".to_string()]);
    }

    #[test]
    fn reports_unknown_environment_with_the_known_ones() {
        let text = "development:\n  client: sqlite3\n  connection: ':memory:'\nstaging:\n  client: sqlite3\n  connection: ':memory:'\n";
        let e = parse(text, "prod", &[]).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Config);
        assert!(
            e.message.contains("unknown environment `prod`"),
            "{}",
            e.message
        );
        assert!(e.message.contains("development, staging"), "{}", e.message);
    }

    #[test]
    fn reports_unset_variables_with_key_and_line() {
        let text = "client: mysql\nconnection:\n  host: h\n  password: ${DB_PASSWORD}\n";
        let e = parse(text, "development", &[]).unwrap_err();
        assert!(e.message.contains("`DB_PASSWORD`"), "{}", e.message);
        assert!(e.message.contains("connection.password"), "{}", e.message);
    }

    #[test]
    fn suggests_the_nearest_key() {
        let text = "client: sqlite3\nconnection: ':memory:'\nmigrations:\n  directroy: ./m\n";
        let e = parse(text, "development", &[]).unwrap_err();
        assert!(
            e.message.contains("unknown key `directroy`"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("did you mean `directory`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn rejects_unsupported_clients() {
        let text = "client: pg\nconnection: postgres://x\n";
        let e = parse(text, "development", &[]).unwrap_err();
        assert!(
            e.message.contains("unsupported client `pg`"),
            "{}",
            e.message
        );
    }
}
