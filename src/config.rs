//! knexfile.yaml: discovery, environments, `${VAR}` interpolation, `.env`, connections.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::{Mapping, Value as Y};

use crate::error::{Error, Result};
use crate::text::did_you_mean;
use crate::yamlpos::{locate, Seg};

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
pub enum Client {
    Sqlite,
    Mysql,
}

impl Client {
    pub fn from_name(name: &str) -> Option<Client> {
        match name {
            "sqlite3" | "better-sqlite3" | "sqlite" => Some(Client::Sqlite),
            "mysql" | "mysql2" | "mariadb" => Some(Client::Mysql),
            _ => None,
        }
    }

    pub fn dialect(self) -> crate::db::Dialect {
        match self {
            Client::Sqlite => crate::db::Dialect::Sqlite,
            Client::Mysql => crate::db::Dialect::Mysql,
        }
    }
}

const CLIENT_NAMES: [&str; 6] = [
    "sqlite3",
    "better-sqlite3",
    "sqlite",
    "mysql",
    "mysql2",
    "mariadb",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlitePath {
    Memory,
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "disabled" | "disable" | "false" => Some(SslMode::Disabled),
            "preferred" | "prefer" => Some(SslMode::Preferred),
            "required" | "require" | "true" => Some(SslMode::Required),
            "verify_ca" => Some(SslMode::VerifyCa),
            "verify_identity" | "verify_full" => Some(SslMode::VerifyIdentity),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disabled => "disabled",
            SslMode::Preferred => "preferred",
            SslMode::Required => "required",
            SslMode::VerifyCa => "verify_ca",
            SslMode::VerifyIdentity => "verify_identity",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MysqlConn {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub database: Option<String>,
    pub socket: Option<PathBuf>,
    pub ssl_mode: SslMode,
    pub ssl_ca: Option<PathBuf>,
}

impl MysqlConn {
    /// The connection as a URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        let pw = if self.password.is_some() { ":***" } else { "" };
        let db = self.database.as_deref().unwrap_or("");
        match &self.socket {
            Some(s) => format!(
                "mysql://{}{pw}@localhost/{db}?socket={}",
                self.user,
                s.display()
            ),
            None => format!("mysql://{}{pw}@{}:{}/{db}", self.user, self.host, self.port),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Sqlite(SqlitePath),
    Mysql(MysqlConn),
    /// `--client` names another engine than the knexfile's connection is written for:
    /// fine for commands that need no connection (migrate:sql), an error for the others.
    Unusable(String),
}

impl Connection {
    /// How the connection is shown to people: never with a password.
    pub fn redacted(&self) -> String {
        match self {
            Connection::Sqlite(SqlitePath::Memory) => "sqlite::memory:".into(),
            Connection::Sqlite(SqlitePath::File(p)) => format!("sqlite://{}", p.display()),
            Connection::Mysql(m) => m.redacted(),
            Connection::Unusable(_) => "(none)".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumPolicy {
    Warn,
    Strict,
}

#[derive(Debug, Clone)]
pub struct MigrationsConfig {
    pub directories: Vec<PathBuf>,
    pub table_name: String,
    pub extension: String,
    pub disable_transactions: bool,
    pub lock_timeout: Duration,
    pub checksums: ChecksumPolicy,
}

#[derive(Debug, Clone)]
pub struct SeedsConfig {
    pub directories: Vec<PathBuf>,
    pub table_name: String,
    pub extension: String,
    pub recursive: bool,
    pub lock_timeout: Duration,
    pub timestamp_filename_prefix: bool,
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
    pub migrations: MigrationsConfig,
    pub seeds: SeedsConfig,
}

impl Config {
    /// Passwords that must never be printed.
    pub fn secrets(&self) -> Vec<String> {
        match &self.connection {
            Connection::Mysql(MysqlConn {
                password: Some(p), ..
            }) if !p.is_empty() => vec![p.clone()],
            _ => Vec::new(),
        }
    }

    /// Names the database for lock names: two runners on one database agree on it.
    pub fn database_key(&self) -> String {
        match &self.connection {
            Connection::Sqlite(SqlitePath::Memory) => ":memory:".into(),
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

const KNEXFILE_NAMES: [&str; 2] = ["knexfile.yaml", "knexfile.yml"];

// Keys with a meaning here, and Knex-only keys accepted and ignored.
const ENV_KEYS: [&str; 4] = ["client", "connection", "migrations", "seeds"];
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
const MIGRATIONS_KEYS: [&str; 7] = [
    "directory",
    "tableName",
    "extension",
    "disableTransactions",
    "lockTimeout",
    "checksums",
    "table_name",
];
const MIGRATIONS_IGNORED: [&str; 7] = [
    "loadExtensions",
    "sortDirsSeparately",
    "stub",
    "schemaName",
    "disableMigrationsListValidation",
    "migrationSource",
    "timestampFilenamePrefix",
];
const SEEDS_KEYS: [&str; 7] = [
    "directory",
    "tableName",
    "extension",
    "recursive",
    "lockTimeout",
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

/// Finds the knexfile: `--knexfile`, else knexfile.yaml/.yml in `cwd` or its nearest parent.
pub fn find_knexfile(cwd: &Path, explicit: Option<&Path>) -> Result<Option<PathBuf>> {
    if let Some(p) = explicit {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        if !p.is_file() {
            return Err(Error::config(format!(
                "the knexfile {} given with --knexfile does not exist",
                p.display()
            ))
            .hint("check the path, or run `furrow init` to create one"));
        }
        return Ok(Some(p));
    }
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        for name in KNEXFILE_NAMES {
            let p = d.join(name);
            if p.is_file() {
                return Ok(Some(p));
            }
        }
        dir = d.parent();
    }
    Ok(None)
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
    let dotenv = read_dotenv(&base_dir)?;
    let lookup = |name: &str| lookup_env(name).or_else(|| dotenv.get(name).cloned());
    parse_knexfile(&text, &knexfile, base_dir, env_name, ov, &lookup)
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
    build(&file, &block, &[], cwd.to_path_buf(), env, ov)
}

/// The knexfile being read, for error messages with lines.
struct KnexFile {
    path: Option<PathBuf>,
    text: String,
}

impl KnexFile {
    /// "knexfile.yaml line 7" for the node at `path` (segments from the document root).
    fn at(&self, path: &[Seg]) -> String {
        let name = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "command line".to_string());
        match locate(&self.text, path) {
            Some((line, _)) => format!("{name} line {line}"),
            None => name,
        }
    }
}

fn parse_knexfile(
    text: &str,
    path: &Path,
    base_dir: PathBuf,
    env_name: String,
    ov: &Overrides,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let file = KnexFile {
        path: Some(path.to_path_buf()),
        text: text.to_string(),
    };
    let root: Y = serde_yaml::from_str(text).map_err(|e| {
        let at = match e.location() {
            Some(l) => format!(" at line {} column {}", l.line(), l.column()),
            None => String::new(),
        };
        Error::config(format!(
            "{} is not valid YAML{at}: {}",
            path.display(),
            strip_location(&e.to_string())
        ))
        .hint("fix the YAML syntax (indentation, quotes, colons) at that place")
    })?;
    let Y::Mapping(map) = &root else {
        return Err(Error::config(format!(
            "{}: expected a map of environments (development:, production: …) or a single configuration with `client:`",
            path.display()
        )));
    };
    let single = map.contains_key("client") || map.contains_key("connection");
    let (block, prefix): (&Y, Vec<Seg>) = if single {
        (&root, Vec::new())
    } else {
        match map.get(env_name.as_str()) {
            Some(b) => (b, vec![Seg::Key(env_name.clone())]),
            None => {
                let known: Vec<String> = map
                    .keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect();
                return Err(Error::config(format!(
                    "unknown environment `{env_name}` in {}; known environments: {}",
                    path.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
                .hint("pick one with --env NAME or FURROW_ENV (NODE_ENV is read too)"));
            }
        }
    };
    let block = interpolate_value(block, &file, &prefix, lookup)?;
    build(&file, &block, &prefix, base_dir, env_name, ov)
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn build(
    file: &KnexFile,
    block: &Y,
    prefix: &[Seg],
    base_dir: PathBuf,
    env: String,
    ov: &Overrides,
) -> Result<Config> {
    let map = as_map(block, file, prefix, "the environment's configuration")?;
    check_keys(map, &ENV_KEYS, &ENV_IGNORED, file, prefix)?;

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

    let connection = match &ov.connection {
        Some(url) => parse_connection_string(url, client, &base_dir)
            .map_err(|m| Error::config(format!("--connection: {m}")))?,
        None => match map.get("connection") {
            // `--client` for another engine than the file's: its connection cannot serve.
            Some(_)
                if ov.client.is_some()
                    && map
                        .get("client")
                        .and_then(scalar_string)
                        .and_then(|c| Client::from_name(&c))
                        .is_some_and(|c| c != client) =>
            {
                Connection::Unusable(format!(
                    "--client {client_name} overrides the knexfile's client, whose connection is written for another engine; give --connection too"
                ))
            }
            Some(v) => connection_from_yaml(v, client, &base_dir, file, &join(prefix, "connection"))?,
            None => match client {
                Client::Sqlite => {
                    return Err(Error::config(format!(
                        "{}: no `connection` for the sqlite3 client",
                        file.at(prefix)
                    ))
                    .hint("add `connection: { filename: ./dev.sqlite3 }`"))
                }
                Client::Mysql => {
                    return Err(Error::config(format!(
                        "{}: no `connection` for the mysql client",
                        file.at(prefix)
                    ))
                    .hint("add `connection: mysql://user:${DB_PASSWORD}@127.0.0.1:3306/dbname` or a map with host, port, user, password, database"))
                }
            },
        },
    };

    let mut migrations = MigrationsConfig {
        directories: vec![base_dir.join("migrations")],
        table_name: "furrow_migrations".into(),
        extension: "yaml".into(),
        disable_transactions: false,
        lock_timeout: Duration::from_secs(60),
        checksums: ChecksumPolicy::Warn,
    };
    if let Some(m) = map.get("migrations") {
        let p = join(prefix, "migrations");
        let mm = as_map(m, file, &p, "`migrations`")?;
        check_keys(mm, &MIGRATIONS_KEYS, &MIGRATIONS_IGNORED, file, &p)?;
        for (k, v) in mm {
            let key = k.as_str().unwrap_or_default();
            let kp = join(&p, key);
            match key {
                "directory" => migrations.directories = directories(v, &base_dir, file, &kp)?,
                "tableName" | "table_name" => migrations.table_name = identifier(v, file, &kp)?,
                "extension" => migrations.extension = extension(v, file, &kp)?,
                "disableTransactions" => migrations.disable_transactions = boolean(v, file, &kp)?,
                "lockTimeout" => migrations.lock_timeout = seconds(v, file, &kp)?,
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
    }
    let mut seeds = SeedsConfig {
        directories: vec![base_dir.join("seeds")],
        table_name: "furrow_seeds".into(),
        extension: "yaml".into(),
        recursive: false,
        lock_timeout: Duration::from_secs(60),
        timestamp_filename_prefix: false,
    };
    if let Some(s) = map.get("seeds") {
        let p = join(prefix, "seeds");
        let sm = as_map(s, file, &p, "`seeds`")?;
        check_keys(sm, &SEEDS_KEYS, &SEEDS_IGNORED, file, &p)?;
        for (k, v) in sm {
            let key = k.as_str().unwrap_or_default();
            let kp = join(&p, key);
            match key {
                "directory" => seeds.directories = directories(v, &base_dir, file, &kp)?,
                "tableName" | "table_name" => seeds.table_name = identifier(v, file, &kp)?,
                "extension" => seeds.extension = extension(v, file, &kp)?,
                "recursive" => seeds.recursive = boolean(v, file, &kp)?,
                "lockTimeout" => seeds.lock_timeout = seconds(v, file, &kp)?,
                "timestampFilenamePrefix" => {
                    seeds.timestamp_filename_prefix = boolean(v, file, &kp)?
                }
                _ => {}
            }
        }
    }
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
        migrations,
        seeds,
    })
}

fn join(prefix: &[Seg], key: &str) -> Vec<Seg> {
    let mut p = prefix.to_vec();
    p.push(Seg::Key(key.to_string()));
    p
}

fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn as_map<'a>(v: &'a Y, file: &KnexFile, path: &[Seg], what: &str) -> Result<&'a Mapping> {
    v.as_mapping()
        .ok_or_else(|| Error::config(format!("{}: {what} must be a map of keys", file.at(path))))
}

fn check_keys(
    map: &Mapping,
    valid: &[&str],
    ignored: &[&str],
    file: &KnexFile,
    path: &[Seg],
) -> Result<()> {
    for k in map.keys() {
        let Some(key) = k.as_str() else {
            return Err(Error::config(format!(
                "{}: keys must be strings",
                file.at(path)
            )));
        };
        if !valid.contains(&key) && !ignored.contains(&key) {
            let where_ = if path.is_empty() {
                "the configuration".to_string()
            } else {
                format!("`{}`", path_text(path))
            };
            return Err(Error::config(format!(
                "{}: unknown key `{key}` in {where_}{}",
                file.at(&join(path, key)),
                did_you_mean(key, valid.iter().chain(ignored).copied())
            ))
            .hint(format!("valid keys here: {}", valid.join(", "))));
        }
    }
    Ok(())
}

fn scalar_string(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
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

fn absolutize(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    normalize(&joined)
}

/// Removes `.` components and folds `..` lexically, so paths print cleanly.
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
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

fn connection_from_yaml(
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
        Client::Mysql => {
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
            let (ssl_mode, ssl_ca) = match map.get("ssl") {
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
                        Some(m) => {
                            SslMode::parse(&m).ok_or_else(|| ssl_mode_error(&m, file, path))?
                        }
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
            };
            Ok(Connection::Mysql(MysqlConn {
                host: get("host").unwrap_or_else(|| "127.0.0.1".into()),
                port,
                user: get("user").unwrap_or_else(|| "root".into()),
                password: get("password"),
                database: get("database").filter(|d| !d.is_empty()),
                socket: get("socketPath").map(PathBuf::from),
                ssl_mode,
                ssl_ca,
            }))
        }
    }
}

fn ssl_mode_error(m: &str, file: &KnexFile, path: &[Seg]) -> Error {
    Error::config(format!(
        "{}: unknown ssl mode `{m}`; use disabled, preferred, required, verify_ca or verify_identity",
        file.at(&join(path, "ssl"))
    ))
}

fn sqlite_path(s: &str, base: &Path) -> SqlitePath {
    if s == ":memory:" || s.is_empty() {
        SqlitePath::Memory
    } else {
        SqlitePath::File(absolutize(base, Path::new(s)))
    }
}

/// A connection given as one string: a sqlite path or URL, or a mysql:// URL.
/// Errors never repeat the string (it may hold a password).
pub fn parse_connection_string(s: &str, client: Client, base: &Path) -> Result<Connection, String> {
    let s = s.trim();
    match client {
        Client::Sqlite => {
            if s == "sqlite::memory:" || s == ":memory:" {
                return Ok(Connection::Sqlite(SqlitePath::Memory));
            }
            let path = if let Some(rest) = s.strip_prefix("sqlite://") {
                rest
            } else if let Some(rest) = s.strip_prefix("sqlite3://") {
                rest
            } else if let Some(rest) = s.strip_prefix("sqlite:") {
                rest
            } else if s.contains("://") {
                return Err(
                    "the sqlite3 client takes a file path, \":memory:\" or a sqlite:// URL".into(),
                );
            } else {
                s
            };
            let path = path.split('?').next().unwrap_or(path);
            Ok(Connection::Sqlite(sqlite_path(
                &percent_decode(path)?,
                base,
            )))
        }
        Client::Mysql => parse_mysql_url(s).map(Connection::Mysql),
    }
}

fn parse_mysql_url(s: &str) -> Result<MysqlConn, String> {
    let rest = ["mysql://", "mariadb://", "mysql2://"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .ok_or("a MySQL connection URL starts with mysql:// (mysql://user:password@host:port/database)")?;
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (auth, hostpart) = match main.rsplit_once('@') {
        Some((a, h)) => (Some(a), h),
        None => (None, main),
    };
    let (user, password) = match auth {
        Some(a) => match a.split_once(':') {
            Some((u, p)) => (percent_decode(u)?, Some(percent_decode(p)?)),
            None => (percent_decode(a)?, None),
        },
        None => ("root".to_string(), None),
    };
    let (hostport, db) = match hostpart.split_once('/') {
        Some((h, d)) => (h, Some(percent_decode(d)?)),
        None => (hostpart, None),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, after) = h
            .split_once(']')
            .ok_or("unclosed [ in the host of the URL")?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("the port `{p}` in the URL is not a number from 1 to 65535"))?,
        None => 3306,
    };
    let mut conn = MysqlConn {
        host: if host.is_empty() {
            "127.0.0.1".into()
        } else {
            host
        },
        port,
        user: if user.is_empty() { "root".into() } else { user },
        password,
        database: db.filter(|d| !d.is_empty()),
        socket: None,
        ssl_mode: SslMode::Disabled,
        ssl_ca: None,
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v)?;
        match k {
            "ssl-mode" | "sslmode" | "ssl_mode" => {
                conn.ssl_mode = SslMode::parse(&v).ok_or_else(|| {
                    format!("unknown ssl-mode `{v}`; use disabled, preferred, required, verify_ca or verify_identity")
                })?
            }
            "ssl-ca" | "sslca" | "ssl_ca" => {
                conn.ssl_ca = Some(PathBuf::from(v));
                if conn.ssl_mode == SslMode::Disabled {
                    conn.ssl_mode = SslMode::VerifyCa;
                }
            }
            "socket" => conn.socket = Some(PathBuf::from(v)),
            "charset" | "timezone" | "connectTimeout" => {}
            other => {
                return Err(format!(
                    "unknown URL option `{other}`; furrow reads ssl-mode, ssl-ca and socket"
                ))
            }
        }
    }
    Ok(conn)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a `%` in the URL is not followed by two hex digits (write %25 for %)")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL decodes to invalid UTF-8".to_string())
}

/// Reads `.env` beside the knexfile into a map (the real environment wins over it).
fn read_dotenv(dir: &Path) -> Result<HashMap<String, String>> {
    let path = dir.join(".env");
    let mut vars = HashMap::new();
    if !path.is_file() {
        return Ok(vars);
    }
    let iter = dotenvy::from_path_iter(&path)
        .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
    for item in iter {
        let (k, v) = item.map_err(|e| {
            Error::config(format!("{} is not a valid .env file: {e}", path.display()))
                .hint("write one KEY=value per line")
        })?;
        vars.insert(k, v);
    }
    Ok(vars)
}

/// Replaces `${VAR}` and `${VAR:-default}` in every string of `v`.
fn interpolate_value(
    v: &Y,
    file: &KnexFile,
    path: &[Seg],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Y> {
    Ok(match v {
        Y::String(s) => Y::String(interpolate(s, lookup).map_err(|e| {
            let where_ = file.at(path);
            match e {
                InterpError::Unset(var) => Error::config(format!(
                    "{where_}: environment variable `{var}` used in `{}` is not set",
                    path_text(path)
                ))
                .hint(format!(
                    "set {var}, add it to .env beside the knexfile, or write ${{{var}:-default}}"
                )),
                InterpError::Syntax(m) => {
                    Error::config(format!("{where_}: in `{}`: {m}", path_text(path)))
                }
            }
        })?),
        Y::Sequence(items) => Y::Sequence(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let mut p = path.to_vec();
                    p.push(Seg::Index(i));
                    interpolate_value(item, file, &p, lookup)
                })
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Mapping::new();
            for (k, item) in m {
                let p = join(path, k.as_str().unwrap_or_default());
                out.insert(k.clone(), interpolate_value(item, file, &p, lookup)?);
            }
            Y::Mapping(out)
        }
        other => other.clone(),
    })
}

#[derive(Debug, PartialEq)]
pub enum InterpError {
    Unset(String),
    Syntax(String),
}

/// `${VAR}`, `${VAR:-default}`; `$${` writes a literal `${`.
pub fn interpolate(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpError> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix("${") {
            out.push_str("${");
            rest = a;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| InterpError::Syntax("`${` without a closing `}`".to_string()))?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(InterpError::Syntax(format!(
                    "`${{{inner}}}` is not a variable reference; names are letters, digits and _"
                )));
            }
            match (
                lookup(name).filter(|v| !(v.is_empty() && default.is_some())),
                default,
            ) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return Err(InterpError::Unset(name.to_string())),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn interpolates_variables_and_defaults() {
        let e = env(&[("A", "1"), ("EMPTY", "")]);
        assert_eq!(interpolate("x${A}y", &e).unwrap(), "x1y");
        assert_eq!(interpolate("${B:-def}", &e).unwrap(), "def");
        assert_eq!(interpolate("${EMPTY:-def}", &e).unwrap(), "def");
        assert_eq!(interpolate("${EMPTY}", &e).unwrap(), "");
        assert_eq!(interpolate("$${A} $5", &e).unwrap(), "${A} $5");
        assert_eq!(interpolate("${B}", &e), Err(InterpError::Unset("B".into())));
        assert!(matches!(
            interpolate("${A", &e),
            Err(InterpError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("${A B}", &e),
            Err(InterpError::Syntax(_))
        ));
    }

    fn parse(text: &str, env_name: &str, vars: &[(&str, &str)]) -> Result<Config> {
        let lookup = env(vars);
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

    #[test]
    fn parses_connection_strings() {
        let base = Path::new("/p");
        assert_eq!(
            parse_connection_string("sqlite://./a.db", Client::Sqlite, base).unwrap(),
            Connection::Sqlite(SqlitePath::File("/p/a.db".into()))
        );
        assert_eq!(
            parse_connection_string("sqlite:///abs/a.db", Client::Sqlite, base).unwrap(),
            Connection::Sqlite(SqlitePath::File("/abs/a.db".into()))
        );
        assert_eq!(
            parse_connection_string(":memory:", Client::Sqlite, base).unwrap(),
            Connection::Sqlite(SqlitePath::Memory)
        );
        let Connection::Mysql(m) = parse_connection_string(
            "mysql://u%40x:p%3Aw@[::1]:3310/db?ssl-mode=verify_ca&ssl-ca=/ca.pem",
            Client::Mysql,
            base,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(m.user, "u@x");
        assert_eq!(m.password.as_deref(), Some("p:w"));
        assert_eq!((m.host.as_str(), m.port), ("::1", 3310));
        assert_eq!(m.ssl_mode, SslMode::VerifyCa);
        assert_eq!(m.ssl_ca, Some(PathBuf::from("/ca.pem")));
        let err =
            parse_connection_string("mysql://u:secret@h:99999/d", Client::Mysql, base).unwrap_err();
        assert!(!err.contains("secret"));
    }
}
