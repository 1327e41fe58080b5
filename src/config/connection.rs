//! Clients and connections: a URL or path string parsed into a connection, SSL modes, SQLite paths,
//! and how a connection is shown (never with its password).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long connecting to MySQL may take when `connectTimeout` does not say (mysql2's default).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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

    pub fn dialect(self) -> crate::value::Dialect {
        match self {
            Client::Sqlite => crate::value::Dialect::Sqlite,
            Client::Mysql => crate::value::Dialect::Mysql,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlitePath {
    Memory,
    File(PathBuf),
    /// An in-memory database every connection of this process opens by its name, alive
    /// while one of them is open (a library `Project::in_memory()` holds one).
    Shared(String),
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
    pub(super) fn parse(s: &str) -> Option<SslMode> {
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
    /// `connectTimeout` (milliseconds, as in mysql2): how long connecting may take in all.
    pub connect_timeout: Duration,
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
    /// The password, which must never be printed.
    pub fn password(&self) -> Option<String> {
        match self {
            Connection::Mysql(m) => m.password.clone().filter(|p| !p.is_empty()),
            _ => None,
        }
    }

    /// How the connection is shown to people: never with a password.
    pub fn redacted(&self) -> String {
        match self {
            Connection::Sqlite(SqlitePath::Memory) => "sqlite::memory:".into(),
            Connection::Sqlite(SqlitePath::Shared(n)) => format!("sqlite::memory:{n}"),
            Connection::Sqlite(SqlitePath::File(p)) => format!("sqlite://{}", p.display()),
            Connection::Mysql(m) => m.redacted(),
            Connection::Unusable(_) => "(none)".into(),
        }
    }
}

pub(super) fn sqlite_path(s: &str, base: &Path) -> SqlitePath {
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
            .map_err(|_| {
                // `mysql://user:secret/db` (no `@host`) would show the password as a port.
                if auth.is_none() {
                    "the URL has `user:…` but no `@host`: write mysql://user:password@host:port/database".to_string()
                } else {
                    format!("the port `{p}` in the URL is not a number from 1 to 65535")
                }
            })?,
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
        connect_timeout: DEFAULT_CONNECT_TIMEOUT,
    };
    url_options(&mut conn, query.unwrap_or(""))?;
    Ok(conn)
}

/// The `?ssl-mode=…&ssl-ca=…&socket=…` options of a MySQL URL.
fn url_options(conn: &mut MysqlConn, query: &str) -> Result<(), String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
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
            "connectTimeout" => conn.connect_timeout = parse_connect_timeout(&v)?,
            "charset" | "timezone" => {}
            other => {
                return Err(format!(
                    "unknown URL option `{other}`; furrow reads ssl-mode, ssl-ca, socket and connectTimeout"
                ))
            }
        }
    }
    Ok(())
}

/// `connectTimeout`: a positive number of milliseconds.
pub(super) fn parse_connect_timeout(ms: &str) -> Result<Duration, String> {
    match ms.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_millis(n)),
        _ => Err(format!(
            "`connectTimeout` must be a positive number of milliseconds, not `{ms}`"
        )),
    }
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

pub(super) fn absolutize(base: &Path, p: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // No `@host`: the password would read as a port.
        let err =
            parse_connection_string("mysql://app:s3cret-pw/db", Client::Mysql, base).unwrap_err();
        assert!(
            !err.contains("s3cret-pw") && err.contains("no `@host`"),
            "{err}"
        );
    }
}
