//! One error type for the whole tool. Each kind knows its exit code and its JSON code.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bad flags or arguments (exit 2).
    Usage,
    /// No, unreadable or invalid knexfile; unknown environment; unset variable (exit 2).
    Config,
    /// A migration or seed file that cannot be used as written (exit 1).
    Validation,
    /// The database could not be reached (exit 1).
    Connection,
    /// A statement failed (exit 1).
    Database,
    /// Another runner holds the lock past lockTimeout (exit 1).
    Lock,
    /// Files of applied migrations are missing (exit 1).
    MissingFile,
    /// A rollback of a migration that has no down (exit 1).
    Irreversible,
    /// A migration is recorded as partially applied and must be fixed first (exit 1).
    Partial,
    /// A file system error (exit 1).
    Io,
    /// Targets of a fleet failed (exit 1); each target's own error is in the details.
    Targets,
    /// Ctrl-C (exit 130).
    Interrupted,
}

impl Kind {
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Usage | Kind::Config => 2,
            Kind::Interrupted => 130,
            _ => 1,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Config => "config",
            Kind::Validation => "validation",
            Kind::Connection => "connection",
            Kind::Database => "database",
            Kind::Lock => "lock_timeout",
            Kind::MissingFile => "missing_file",
            Kind::Irreversible => "irreversible",
            Kind::Partial => "partial",
            Kind::Io => "io",
            Kind::Targets => "targets_failed",
            Kind::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    /// What to do next, in one sentence.
    pub hint: Option<String>,
    /// Extra lines: what was applied before a failure, the list of missing files …
    pub details: Vec<String>,
    /// Extra fields merged into the `--json` document (e.g. `applied` before a failure).
    pub data: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            details: Vec::new(),
            data: None,
        }
    }

    pub fn usage(m: impl Into<String>) -> Self {
        Self::new(Kind::Usage, m)
    }
    pub fn config(m: impl Into<String>) -> Self {
        Self::new(Kind::Config, m)
    }
    pub fn validation(m: impl Into<String>) -> Self {
        Self::new(Kind::Validation, m)
    }
    pub fn database(m: impl Into<String>) -> Self {
        Self::new(Kind::Database, m)
    }
    pub fn connection(m: impl Into<String>) -> Self {
        Self::new(Kind::Connection, m)
    }
    pub fn io(m: impl Into<String>) -> Self {
        Self::new(Kind::Io, m)
    }
    pub fn interrupted() -> Self {
        Self::new(Kind::Interrupted, "interrupted (Ctrl-C)")
    }

    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.details.push(d.into());
        self
    }

    pub fn with_data(mut self, key: &str, value: serde_json::Value) -> Self {
        self.data
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value);
        self
    }

    /// Prefixes the message with where it happened ("migrations/x.sql: …").
    pub fn context(mut self, prefix: impl fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    pub fn is_interrupted(&self) -> bool {
        self.kind == Kind::Interrupted
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// "file: line N is not valid UTF-8 text", for bytes that failed to decode.
pub fn utf8_error(display: &str, bytes: &[u8], valid_up_to: usize) -> Error {
    let line = bytes[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
    Error::validation(format!("{display}: line {line} is not valid UTF-8 text"))
        .hint("save the file as UTF-8")
}

/// An I/O error on a path, worded for people.
pub fn io_error(action: &str, path: &std::path::Path, e: &std::io::Error) -> Error {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "it does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    Error::io(format!("cannot {action} {}: {why}", path.display()))
}
