//! An environment's block of the knexfile (or the flags alone) into a [`Config`]: the client,
//! the connection, the migrations and seeds settings, with the flags that override them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::{Mapping, Value as Y};

use super::connection::{absolutize, parse_connect_timeout, sqlite_path, DEFAULT_CONNECT_TIMEOUT};
use super::knexfile::{as_map, check_keys, join, path_text, scalar_string, KnexFile};
use super::{
    parse_connection_string, ChecksumPolicy, Client, Config, Connection, LintPolicy,
    MigrationsConfig, MysqlConn, Overrides, SeedsConfig, SslMode,
};
use crate::error::{Error, Result};
use crate::text::did_you_mean;
use crate::yamlpos::Seg;

const CLIENT_NAMES: [&str; 6] = [
    "sqlite3",
    "better-sqlite3",
    "sqlite",
    "mysql",
    "mysql2",
    "mariadb",
];

// Keys with a meaning here, and Knex-only keys accepted and ignored.
const ENV_KEYS: [&str; 6] = [
    "client",
    "connection",
    "migrations",
    "seeds",
    "targets",
    "targets_from",
];
const ENV_IGNORED: [&str; 12] = [
    "useNullAsDefault",
    "pool",
    "debug",
    "asyncStackTraces",
    "acquireConnectionTimeout",
    "log",
    "searchPath",
    "version",
    "wrapIdentifier",
    "postProcessResponse",
    "compileSqlOnError",
    "fetchAsString",
];
const MIGRATIONS_KEYS: [&str; 9] = [
    "directory",
    "lint",
    "tableName",
    "extension",
    "disableTransactions",
    "lockTimeout",
    "lockLease",
    "checksums",
    "table_name",
];
/// `migrations.schemaFile`: the schema file every `migrate:*` that changes the schema rewrites.
const MIGRATIONS_SCHEMA_KEYS: [&str; 2] = ["schemaFile", "schema_file"];
const MIGRATIONS_IGNORED: [&str; 7] = [
    "loadExtensions",
    "sortDirsSeparately",
    "stub",
    "schemaName",
    "disableMigrationsListValidation",
    "migrationSource",
    "timestampFilenamePrefix",
];
const SEEDS_KEYS: [&str; 8] = [
    "directory",
    "tableName",
    "extension",
    "recursive",
    "lockTimeout",
    "lockLease",
    "timestampFilenamePrefix",
    "table_name",
];
const SEEDS_IGNORED: [&str; 4] = ["loadExtensions", "sortDirsSeparately", "stub", "specific"];
const SQLITE_CONN_KEYS: [&str; 1] = ["filename"];
const SQLITE_CONN_IGNORED: [&str; 2] = ["flags", "options"];
const MYSQL_CONN_KEYS: [&str; 8] = [
    "host",
    "port",
    "user",
    "password",
    "database",
    "socketPath",
    "ssl",
    "connectTimeout",
];
const MYSQL_CONN_IGNORED: [&str; 7] = [
    "charset",
    "timezone",
    "supportBigNumbers",
    "bigNumberStrings",
    "dateStrings",
    "multipleStatements",
    "typeCast",
];
const SSL_KEYS: [&str; 2] = ["mode", "ca"];
const SSL_IGNORED: [&str; 4] = ["rejectUnauthorized", "cert", "key", "minVersion"];

/// One environment's block (already interpolated) into a [`Config`], with the flags applied.
pub(super) fn build(
    file: &KnexFile,
    block: &Y,
    prefix: &[Seg],
    base_dir: PathBuf,
    env: String,
    ov: &Overrides,
) -> Result<Config> {
    let map = as_map(block, file, prefix, "the environment's configuration")?;
    check_keys(map, &ENV_KEYS, &ENV_IGNORED, file, prefix)?;
    let (client_name, client) = client(map, file, prefix, &env, ov)?;
    let connection = connection(map, client, &client_name, &base_dir, file, prefix, ov)?;
    let targets = super::targets::spec(map, client, &base_dir, file, prefix)?;
    let mut migrations = migrations(map, &base_dir, file, prefix)?;
    let mut seeds = seeds(map, &base_dir, file, prefix)?;
    if let Some(d) = &ov.migrations_directory {
        migrations.directories = vec![absolutize(&base_dir, d)];
    }
    if let Some(t) = &ov.migrations_table_name {
        if !valid_identifier(t) {
            return Err(Error::config(format!(
                "--migrations-table-name `{t}` is not a valid table name (letters, digits, _ and $, up to 64)"
            )));
        }
        migrations.table_name = t.clone();
    }
    if let Some(d) = &ov.seeds_directory {
        seeds.directories = vec![absolutize(&base_dir, d)];
    }
    if migrations.table_name == seeds.table_name {
        return Err(Error::config(format!(
            "{}: migrations and seeds use the same tracking table `{}`; give them different `tableName`s",
            file.at(prefix),
            seeds.table_name
        )));
    }
    Ok(Config {
        knexfile: file.path.clone(),
        base_dir,
        env,
        client,
        client_name,
        connection,
        targets,
        migrations,
        seeds,
    })
}

/// The client as written (`--client` first) and the engine it names.
fn client(
    map: &Mapping,
    file: &KnexFile,
    prefix: &[Seg],
    env: &str,
    ov: &Overrides,
) -> Result<(String, Client)> {
    let client_name = match &ov.client {
        Some(c) => c.clone(),
        None => match map.get("client") {
            Some(v) => scalar_string(v).ok_or_else(|| {
                Error::config(format!(
                    "{}: `client` must be a string such as sqlite3 or mysql",
                    file.at(&join(prefix, "client"))
                ))
            })?,
            None => {
                return Err(Error::config(format!(
                    "{}: no `client` in environment `{env}`",
                    file.at(prefix)
                ))
                .hint("add `client: sqlite3` (or mysql) to it"))
            }
        },
    };
    let client = Client::from_name(&client_name).ok_or_else(|| {
        Error::config(format!(
            "{}: unsupported client `{client_name}`{}",
            file.at(&join(prefix, "client")),
            did_you_mean(&client_name, CLIENT_NAMES)
        ))
        .hint("furrow supports sqlite3 (also better-sqlite3, sqlite) and mysql (also mysql2, mariadb)")
    })?;
    Ok((client_name, client))
}

/// The connection: `--connection` first, else the environment's `connection`.
fn connection(
    map: &Mapping,
    client: Client,
    client_name: &str,
    base_dir: &Path,
    file: &KnexFile,
    prefix: &[Seg],
    ov: &Overrides,
) -> Result<Connection> {
    if let Some(url) = &ov.connection {
        return parse_connection_string(url, client, base_dir)
            .map_err(|m| Error::config(format!("--connection: {m}")));
    }
    match map.get("connection") {
        // `--client` for another engine than the file's: its connection cannot serve.
        Some(_)
            if ov.client.is_some()
                && map
                    .get("client")
                    .and_then(scalar_string)
                    .and_then(|c| Client::from_name(&c))
                    .is_some_and(|c| c != client) =>
        {
            Ok(Connection::Unusable(format!(
                "--client {client_name} overrides the knexfile's client, whose connection is written for another engine; give --connection too"
            )))
        }
        Some(v) => connection_from_yaml(v, client, base_dir, file, &join(prefix, "connection")),
        // A fleet needs no default database: its commands name their targets.
        None if map.contains_key("targets") || map.contains_key("targets_from") => {
            Ok(Connection::Unusable(format!(
                "{}: the environment has no `connection`, only a fleet (`targets`): name a target with --target NAME, or run on every one with --all-targets",
                file.at(prefix)
            )))
        }
        None => match client {
            Client::Sqlite => Err(Error::config(format!(
                "{}: no `connection` for the sqlite3 client",
                file.at(prefix)
            ))
            .hint("add `connection: { filename: ./dev.sqlite3 }`")),
            Client::Mysql => Err(Error::config(format!(
                "{}: no `connection` for the mysql client",
                file.at(prefix)
            ))
            .hint("add `connection: mysql://user:${DB_PASSWORD}@127.0.0.1:3306/dbname` or a map with host, port, user, password, database")),
        },
    }
}

/// The environment's `migrations` block over the defaults.
fn migrations(
    map: &Mapping,
    base_dir: &Path,
    file: &KnexFile,
    prefix: &[Seg],
) -> Result<MigrationsConfig> {
    let mut migrations = MigrationsConfig {
        directories: vec![base_dir.join("migrations")],
        table_name: "furrow_migrations".into(),
        extension: "yaml".into(),
        disable_transactions: false,
        lock_timeout: Duration::from_secs(60),
        lock_lease: Duration::from_secs(30),
        checksums: ChecksumPolicy::Warn,
        lint: LintPolicy::Warn,
        checks: true,
        embedded: None,
        schema_file: None,
    };
    let Some(m) = map.get("migrations") else {
        return Ok(migrations);
    };
    let p = join(prefix, "migrations");
    let mm = as_map(m, file, &p, "`migrations`")?;
    let valid = [&MIGRATIONS_KEYS[..], &MIGRATIONS_SCHEMA_KEYS[..]].concat();
    check_keys(mm, &valid, &MIGRATIONS_IGNORED, file, &p)?;
    for (k, v) in mm {
        let key = k.as_str().unwrap_or_default();
        let kp = join(&p, key);
        match key {
            "directory" => migrations.directories = directories(v, base_dir, file, &kp)?,
            "tableName" | "table_name" => migrations.table_name = identifier(v, file, &kp)?,
            "extension" => migrations.extension = extension(v, file, &kp)?,
            "disableTransactions" => migrations.disable_transactions = boolean(v, file, &kp)?,
            "lockTimeout" => migrations.lock_timeout = seconds(v, file, &kp)?,
            "lockLease" => migrations.lock_lease = seconds(v, file, &kp)?,
            "schemaFile" | "schema_file" => {
                migrations.schema_file = Some(schema_file(v, base_dir, file, &kp)?)
            }
            "lint" => {
                migrations.lint = match scalar_string(v).as_deref() {
                    Some("off") | Some("false") => LintPolicy::Off,
                    Some("warn") => LintPolicy::Warn,
                    Some("error") => LintPolicy::Error,
                    _ => {
                        return Err(Error::config(format!(
                            "{}: `lint` must be `off`, `warn` or `error`",
                            file.at(&kp)
                        )))
                    }
                }
            }
            "checksums" => {
                migrations.checksums = match scalar_string(v).as_deref() {
                    Some("warn") => ChecksumPolicy::Warn,
                    Some("strict") => ChecksumPolicy::Strict,
                    _ => {
                        return Err(Error::config(format!(
                            "{}: `checksums` must be `warn` or `strict`",
                            file.at(&kp)
                        )))
                    }
                }
            }
            _ => {}
        }
    }
    Ok(migrations)
}

/// The environment's `seeds` block over the defaults.
fn seeds(map: &Mapping, base_dir: &Path, file: &KnexFile, prefix: &[Seg]) -> Result<SeedsConfig> {
    let mut seeds = SeedsConfig {
        directories: vec![base_dir.join("seeds")],
        table_name: "furrow_seeds".into(),
        extension: "yaml".into(),
        recursive: false,
        lock_timeout: Duration::from_secs(60),
        lock_lease: Duration::from_secs(30),
        timestamp_filename_prefix: false,
        embedded: None,
    };
    let Some(s) = map.get("seeds") else {
        return Ok(seeds);
    };
    let p = join(prefix, "seeds");
    let sm = as_map(s, file, &p, "`seeds`")?;
    check_keys(sm, &SEEDS_KEYS, &SEEDS_IGNORED, file, &p)?;
    for (k, v) in sm {
        let key = k.as_str().unwrap_or_default();
        let kp = join(&p, key);
        match key {
            "directory" => seeds.directories = directories(v, base_dir, file, &kp)?,
            "tableName" | "table_name" => seeds.table_name = identifier(v, file, &kp)?,
            "extension" => seeds.extension = extension(v, file, &kp)?,
            "recursive" => seeds.recursive = boolean(v, file, &kp)?,
            "lockTimeout" => seeds.lock_timeout = seconds(v, file, &kp)?,
            "lockLease" => seeds.lock_lease = seconds(v, file, &kp)?,
            "timestampFilenamePrefix" => seeds.timestamp_filename_prefix = boolean(v, file, &kp)?,
            _ => {}
        }
    }
    Ok(seeds)
}

fn boolean(v: &Y, file: &KnexFile, path: &[Seg]) -> Result<bool> {
    match v {
        Y::Bool(b) => Ok(*b),
        Y::String(s) if s == "true" => Ok(true),
        Y::String(s) if s == "false" => Ok(false),
        _ => Err(Error::config(format!(
            "{}: `{}` must be true or false",
            file.at(path),
            path_text(path)
        ))),
    }
}

fn seconds(v: &Y, file: &KnexFile, path: &[Seg]) -> Result<Duration> {
    let n = match v {
        Y::Number(n) => n.as_f64(),
        Y::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 0.0 && n.is_finite() => Ok(Duration::from_secs_f64(n)),
        _ => Err(Error::config(format!(
            "{}: `{}` must be a number of seconds",
            file.at(path),
            path_text(path)
        ))),
    }
}

fn extension(v: &Y, file: &KnexFile, path: &[Seg]) -> Result<String> {
    match scalar_string(v).as_deref() {
        Some("yaml") | Some("yml") => Ok("yaml".into()),
        Some("sql") => Ok("sql".into()),
        other => Err(Error::config(format!(
            "{}: extension `{}` is not supported; use yaml or sql",
            file.at(path),
            other.unwrap_or("?")
        ))),
    }
}

pub fn valid_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn identifier(v: &Y, file: &KnexFile, path: &[Seg]) -> Result<String> {
    match scalar_string(v) {
        Some(s) if valid_identifier(&s) => Ok(s),
        _ => Err(Error::config(format!(
            "{}: `{}` must be a table name of letters, digits, _ and $ (up to 64)",
            file.at(path),
            path_text(path)
        ))),
    }
}

/// `migrations.schemaFile`: a path, relative to the knexfile's directory.
fn schema_file(v: &Y, base: &Path, file: &KnexFile, path: &[Seg]) -> Result<PathBuf> {
    match scalar_string(v) {
        Some(s) if !s.trim().is_empty() && !s.ends_with('/') => Ok(absolutize(base, Path::new(&s))),
        _ => Err(Error::config(format!(
            "{}: `schemaFile` must be the path of a file, e.g. ./schema.sql",
            file.at(path)
        ))),
    }
}

fn directories(v: &Y, base: &Path, file: &KnexFile, path: &[Seg]) -> Result<Vec<PathBuf>> {
    let list: Vec<String> = match v {
        Y::String(s) => vec![s.clone()],
        Y::Sequence(items) => items
            .iter()
            .map(scalar_string)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                Error::config(format!(
                    "{}: `directory` must be a path or a list of paths",
                    file.at(path)
                ))
            })?,
        _ => {
            return Err(Error::config(format!(
                "{}: `directory` must be a path or a list of paths",
                file.at(path)
            )))
        }
    };
    if list.is_empty() {
        return Err(Error::config(format!(
            "{}: `directory` lists no directory",
            file.at(path)
        )));
    }
    Ok(list
        .iter()
        .map(|d| absolutize(base, Path::new(d)))
        .collect())
}

/// A `connection:` as written in the knexfile: a string, or a map with strict keys.
pub(super) fn connection_from_yaml(
    v: &Y,
    client: Client,
    base: &Path,
    file: &KnexFile,
    path: &[Seg],
) -> Result<Connection> {
    if let Some(s) = scalar_string(v) {
        return parse_connection_string(&s, client, base)
            .map_err(|m| Error::config(format!("{}: {m}", file.at(path))));
    }
    let map = as_map(v, file, path, "`connection`")?;
    match client {
        Client::Sqlite => {
            check_keys(map, &SQLITE_CONN_KEYS, &SQLITE_CONN_IGNORED, file, path)?;
            let fname = map.get("filename").and_then(scalar_string).ok_or_else(|| {
                Error::config(format!(
                    "{}: the sqlite3 connection needs `filename` (a path, or \":memory:\")",
                    file.at(path)
                ))
            })?;
            Ok(Connection::Sqlite(sqlite_path(&fname, base)))
        }
        Client::Mysql => mysql_from_yaml(map, base, file, path).map(Connection::Mysql),
    }
}

fn mysql_from_yaml(map: &Mapping, base: &Path, file: &KnexFile, path: &[Seg]) -> Result<MysqlConn> {
    check_keys(map, &MYSQL_CONN_KEYS, &MYSQL_CONN_IGNORED, file, path)?;
    let get = |k: &str| map.get(k).and_then(scalar_string);
    let port = match get("port") {
        Some(p) => p.trim().parse::<u16>().map_err(|_| {
            Error::config(format!(
                "{}: `port` must be a number from 1 to 65535, not `{p}`",
                file.at(&join(path, "port"))
            ))
        })?,
        None => 3306,
    };
    let (ssl_mode, ssl_ca) = ssl_from_yaml(map.get("ssl"), base, file, path)?;
    let connect_timeout = match get("connectTimeout") {
        Some(ms) => parse_connect_timeout(&ms).map_err(|m| {
            Error::config(format!("{}: {m}", file.at(&join(path, "connectTimeout"))))
        })?,
        None => DEFAULT_CONNECT_TIMEOUT,
    };
    Ok(MysqlConn {
        host: get("host").unwrap_or_else(|| "127.0.0.1".into()),
        port,
        user: get("user").unwrap_or_else(|| "root".into()),
        password: get("password"),
        database: get("database").filter(|d| !d.is_empty()),
        socket: get("socketPath").map(PathBuf::from),
        ssl_mode,
        ssl_ca,
        connect_timeout,
    })
}

/// `ssl:` of a MySQL connection map: true/false, a mode name, or `{ mode, ca }`.
fn ssl_from_yaml(
    ssl: Option<&Y>,
    base: &Path,
    file: &KnexFile,
    path: &[Seg],
) -> Result<(SslMode, Option<PathBuf>)> {
    Ok(match ssl {
        None | Some(Y::Null) => (SslMode::Disabled, None),
        Some(Y::Bool(true)) => (SslMode::Required, None),
        Some(Y::Bool(false)) => (SslMode::Disabled, None),
        Some(Y::String(s)) => (
            SslMode::parse(s).ok_or_else(|| ssl_mode_error(s, file, path))?,
            None,
        ),
        Some(Y::Mapping(sm)) => {
            let sp = join(path, "ssl");
            check_keys(sm, &SSL_KEYS, &SSL_IGNORED, file, &sp)?;
            let ca = sm
                .get("ca")
                .and_then(scalar_string)
                .map(|c| absolutize(base, Path::new(&c)));
            let mode = match sm.get("mode").and_then(scalar_string) {
                Some(m) => SslMode::parse(&m).ok_or_else(|| ssl_mode_error(&m, file, path))?,
                None if ca.is_some() => SslMode::VerifyCa,
                None => SslMode::Required,
            };
            (mode, ca)
        }
        Some(_) => {
            return Err(Error::config(format!(
                "{}: `ssl` must be a mode name or a map with `mode` and `ca`",
                file.at(&join(path, "ssl"))
            )))
        }
    })
}

fn ssl_mode_error(m: &str, file: &KnexFile, path: &[Seg]) -> Error {
    Error::config(format!(
        "{}: unknown ssl mode `{m}`; use disabled, preferred, required, verify_ca or verify_identity",
        file.at(&join(path, "ssl"))
    ))
}
