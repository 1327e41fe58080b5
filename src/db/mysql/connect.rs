//! Connecting: options, TLS, and connection errors worded so a person can act on them
//! (never with the password).

use std::path::Path;
use std::time::Duration;

use mysql::{Conn, OptsBuilder, SslOpts};

use super::MysqlDriver;
use crate::config::{MysqlConn, SslMode};
use crate::error::{Error, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn where_(m: &MysqlConn) -> String {
    match &m.socket {
        Some(s) => format!("socket {}", s.display()),
        None => format!("{}:{}", m.host, m.port),
    }
}

/// Turns a failed connection into an error that says what to check (never the password).
fn connect_error(m: &MysqlConn, e: &mysql::Error) -> Error {
    let at = where_(m);
    let user = &m.user;
    // The crate reports a failed connect as CouldNotConnect(addr, description, kind).
    let io_kind = match e {
        mysql::Error::IoError(io) => Some((io.kind(), io.to_string())),
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((_, desc, kind)))) => {
            Some((*kind, desc.clone()))
        }
        _ => None,
    };
    // rustls failures arrive as codec I/O errors once the handshake has started.
    if m.ssl_mode != SslMode::Disabled {
        if let mysql::Error::CodecError(c) = e {
            return Error::connection(format!("TLS with the MySQL server at {at} failed: {c}"))
                .hint("check `ssl.ca` (the CA that signed the server's certificate) and the ssl mode (verify_identity also checks the host name)");
        }
    }
    match (e, io_kind) {
        (_, Some((kind, io))) => network_error(m, kind, &io),
        (mysql::Error::DriverError(mysql::DriverError::ConnectTimeout), _) => {
            network_error(m, std::io::ErrorKind::TimedOut, "")
        }
        (mysql::Error::DriverError(mysql::DriverError::TlsNotSupported), _) => Error::connection(
            format!("cannot connect to MySQL at {at}: the server does not offer TLS, but ssl mode `{}` requires it", m.ssl_mode.name()),
        )
        .hint("enable TLS on the server, or use `ssl: { mode: preferred }` / `disabled`"),
        (mysql::Error::MySqlError(me), _) => server_refusal(m, me),
        (mysql::Error::TlsError(t), _) => Error::connection(format!(
            "TLS with the MySQL server at {at} failed: {t}"
        ))
        .hint("check `ssl.ca` (the CA that signed the server's certificate) and the ssl mode"),
        (other, _) => Error::connection(format!(
            "cannot connect to MySQL at {at} as user `{user}`: {other}"
        )),
    }
}

/// The server could not be reached: refused, no answer, no socket.
fn network_error(m: &MysqlConn, kind: std::io::ErrorKind, io: &str) -> Error {
    let (at, user) = (where_(m), &m.user);
    match kind {
        std::io::ErrorKind::ConnectionRefused => Error::connection(format!(
            "cannot connect to MySQL at {at} as user `{user}`: connection refused"
        ))
        .hint(format!(
            "is the server running and listening on port {}? If it runs in Docker, use the published port (e.g. 3307 for `3307:3306`)",
            m.port
        )),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::connection(
            format!(
                "cannot connect to MySQL at {at} as user `{user}`: no answer within {}s",
                CONNECT_TIMEOUT.as_secs()
            ),
        )
        .hint("check the host name and port, and that no firewall drops the connection"),
        std::io::ErrorKind::NotFound if m.socket.is_some() => Error::connection(format!(
            "cannot connect to MySQL through {at}: the socket does not exist"
        ))
        .hint("is the server running? check `socketPath`"),
        _ => Error::connection(format!(
            "cannot connect to MySQL at {at} as user `{user}`: {io}"
        ))
        .hint("check the host name and port in the knexfile's connection"),
    }
}

/// The server answered, and refused: access, database, privileges, TLS.
fn server_refusal(m: &MysqlConn, me: &mysql::MySqlError) -> Error {
    let (at, user) = (where_(m), &m.user);
    let db = m.database.clone().unwrap_or_default();
    match me.code {
        1045 => Error::connection(format!(
            "access denied for user `{user}` at {at} (MySQL error 1045): {}",
            me.message
        ))
        .hint(if m.ssl_mode == SslMode::Disabled {
            "check the user and password (e.g. the DB_PASSWORD variable) and the user's allowed hosts; if the account requires TLS, set `ssl: { mode: required }` (?ssl-mode=required)"
        } else {
            "check the user and password (e.g. the DB_PASSWORD variable) and the user's allowed hosts"
        }),
        1049 => Error::connection(format!("unknown database `{db}` at {at} (MySQL error 1049)"))
            .hint(format!(
                "create it: CREATE DATABASE `{db}` CHARACTER SET utf8mb4; (or fix the database name)"
            )),
        1044 => Error::connection(format!(
            "user `{user}` may not use database `{db}` at {at}: {}",
            me.message
        ))
        .hint("GRANT the user privileges on that database"),
        3159 => Error::connection(format!(
            "the server at {at} requires TLS for user `{user}`: {}",
            me.message
        ))
        .hint("set `ssl: { mode: required }` (or ?ssl-mode=required in the URL)"),
        _ => Error::connection(format!(
            "cannot connect to MySQL at {at} as user `{user}`: {}",
            me.message
        )),
    }
}

fn ssl_opts(m: &MysqlConn, base: &Path) -> Option<SslOpts> {
    let ca = m.ssl_ca.as_ref().map(|p| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    });
    match m.ssl_mode {
        SslMode::Disabled => None,
        // Encrypt, without checking whose certificate it is (MySQL's own meaning of these modes).
        SslMode::Preferred | SslMode::Required => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
        SslMode::VerifyCa => Some(
            SslOpts::default()
                .with_root_cert_path(ca)
                .with_danger_skip_domain_validation(true),
        ),
        SslMode::VerifyIdentity => Some(SslOpts::default().with_root_cert_path(ca)),
    }
}

fn builder(m: &MysqlConn, ssl: Option<SslOpts>) -> OptsBuilder {
    let b = OptsBuilder::new()
        .user(Some(m.user.clone()))
        .pass(m.password.clone())
        .db_name(m.database.clone())
        .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
        .prefer_socket(false)
        .ssl_opts(ssl)
        .init(vec!["SET time_zone = '+00:00'"]);
    match &m.socket {
        Some(s) => b.socket(Some(s.display().to_string())),
        None => b.ip_or_hostname(Some(m.host.clone())).tcp_port(m.port),
    }
}

impl MysqlDriver {
    pub fn open(m: &MysqlConn, base: &Path) -> Result<Self> {
        if m.database.is_none() {
            return Err(Error::config(format!(
                "the MySQL connection to {} names no database",
                where_(m)
            ))
            .hint("add it to the URL (mysql://user:pass@host:3306/dbname) or set `database:` in the connection"));
        }
        if let Some(ca) = &m.ssl_ca {
            let p = if ca.is_absolute() {
                ca.clone()
            } else {
                base.join(ca)
            };
            if !p.is_file() {
                return Err(Error::config(format!(
                    "the TLS CA file {} does not exist",
                    p.display()
                ))
                .hint(
                    "fix `ssl.ca` (a PEM file; relative paths start at the knexfile's directory)",
                ));
            }
        }
        let opts = builder(m, ssl_opts(m, base));
        let conn = match Conn::new(opts.clone()) {
            Ok(c) => c,
            // "preferred": TLS when the server offers it, plain otherwise.
            Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
                if m.ssl_mode == SslMode::Preferred =>
            {
                Conn::new(builder(m, None)).map_err(|e| connect_error(m, &e))?
            }
            Err(e) => return Err(connect_error(m, &e)),
        };
        Ok(MysqlDriver {
            conn,
            opts,
            database: m.database.clone().unwrap_or_default(),
            in_tx: false,
            max_packet: None,
            has_in_transaction_var: true,
            cluster: None,
            cluster_checked: false,
            renewer: None,
        })
    }
}
