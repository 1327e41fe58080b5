//! Finding migration files and turning one into the steps the runner executes.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{io_error, Error, Result};
use crate::files;
use crate::markers;
use crate::report::Output;
use crate::schema::{self, Direction, Step, StepKind};
use crate::value::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sql,
    Yaml,
}

/// A migration file on disk.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The file name with its extension: the name tracked in the database.
    pub name: String,
    pub path: PathBuf,
    /// The path as shown to people (relative to the project).
    pub display: String,
    pub format: Format,
    /// SHA-256 of the bytes with `\r\n` normalised to `\n`, in hex.
    pub checksum: String,
    pub content: Vec<u8>,
}

impl Found {
    /// The file name with its extension.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl MigrationFile {
    /// The 14-digit timestamp the name starts with.
    pub fn version(&self) -> &str {
        &self.name[..14]
    }
}

pub use crate::checksum::{checksum, hash_normalized, hex};

/// A migration file name: `<14-digit timestamp>_<name>.<sql|yaml|yml>`.
pub fn valid_name(file_name: &str) -> Option<Format> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    let format = match ext {
        "sql" => Format::Sql,
        "yaml" | "yml" => Format::Yaml,
        _ => return None,
    };
    let b = stem.as_bytes();
    let ok = b.len() > 15
        && b[..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'_'
        && b[15..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-');
    ok.then_some(format)
}

fn is_candidate(file_name: &str) -> bool {
    !file_name.starts_with('.')
        && matches!(
            file_name.rsplit_once('.').map(|(_, e)| e),
            Some("sql" | "yaml" | "yml")
        )
}

/// Reads a whole small file with open, read … and close only: `read_to_end` on a File
/// would also stat and seek it, and syscalls are most of the cost of a no-op run. The
/// scratch buffer is reused; the content is copied out at its exact size.
fn read_small(path: &Path, scratch: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    if scratch.len() < 16 * 1024 {
        scratch.resize(16 * 1024, 0);
    }
    let mut filled = 0;
    loop {
        if filled == scratch.len() {
            scratch.resize(scratch.len() * 2, 0);
        }
        match f.read(&mut scratch[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(scratch[..filled].to_vec())
}

/// A migration file found in a directory, not read yet.
pub struct Found {
    name: String,
    path: PathBuf,
    display: String,
    format: Format,
}

/// Reads and checksums found files. Any number of threads may call `work` on one reader:
/// each takes the next unread file until none is left.
pub struct Reader<'a> {
    found: &'a [Found],
    next: std::sync::atomic::AtomicUsize,
}

impl<'a> Reader<'a> {
    pub fn new(found: &'a [Found]) -> Self {
        Reader {
            found,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Reads files until none is left; returns them with their positions.
    pub fn work(&self) -> Result<Vec<(usize, MigrationFile)>> {
        use std::sync::atomic::Ordering;
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(f) = self.found.get(i) else {
                return Ok(out);
            };
            let content =
                read_small(&f.path, &mut scratch).map_err(|e| io_error("read", &f.path, &e))?;
            out.push((
                i,
                MigrationFile {
                    checksum: checksum(&content),
                    name: f.name.clone(),
                    path: f.path.clone(),
                    display: f.display.clone(),
                    format: f.format,
                    content,
                },
            ));
        }
    }

    /// Puts the parts read by several threads back in order.
    pub fn assemble(parts: Vec<Vec<(usize, MigrationFile)>>) -> Vec<MigrationFile> {
        let mut all: Vec<(usize, MigrationFile)> = parts.into_iter().flatten().collect();
        all.sort_unstable_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, f)| f).collect()
    }

    /// Reads everything, with a second thread when there are many files.
    pub fn read_all(&self) -> Result<Vec<MigrationFile>> {
        if self.len() < 256 {
            return Ok(Self::assemble(vec![self.work()?]));
        }
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| self.work());
            (self.work(), h.join())
        });
        let b = b.map_err(|_| Error::io("a thread reading migration files failed"))??;
        Ok(Self::assemble(vec![a?, b]))
    }
}

/// Every migration file of the configured directories (or compiled in), sorted by name.
pub fn list(config: &Config, out: &Output) -> Result<Vec<MigrationFile>> {
    if let Some(e) = &config.migrations.embedded {
        return embedded(e);
    }
    let found = discover(config)?;
    for w in found.warnings {
        out.warn(w);
    }
    Reader::new(&found.found).read_all()
}

/// The migration files of the configured directories, sorted by name and checked, not read
/// yet; and warnings to give.
pub struct Discovery {
    pub found: Vec<Found>,
    pub warnings: Vec<String>,
}

/// A configured directory that does not exist is an error, and so is an entry named like a
/// migration that is not a readable file (see `files::discover`). Other names are ignored.
pub fn discover(config: &Config) -> Result<Discovery> {
    let spec = files::Spec {
        what: "migration",
        dirs_word: "migrations",
        directories: &config.migrations.directories,
        recursive: false,
        follow_links: false,
        candidate: is_candidate,
        display: &|dir, name, _| format!("{dir}/{name}"),
    };
    let found = files::discover(&config.base_dir, &spec, |e| {
        valid_name(&e.name).ok_or_else(|| {
            Error::validation(format!(
                "{}: a migration's name must be <14-digit UTC timestamp>_<name>.<sql|yaml>, with a name of letters, digits, _ and -",
                e.display
            ))
            .hint(format!(
                "rename it, e.g. to {}_{}; `furrow migrate:make NAME` writes names this way",
                crate::clock::timestamp_prefix(),
                sanitize(&e.name)
            ))
        })
    })?;
    let found = found
        .into_iter()
        .map(|(e, format)| Found {
            name: e.name,
            path: e.path,
            display: e.display,
            format,
        })
        .collect();
    Ok(Discovery {
        found,
        warnings: Vec::new(),
    })
}

/// The migrations compiled into the binary: the same names are accepted, and each has the
/// checksum the file on disk has.
fn embedded(e: &crate::embedded::Embedded) -> Result<Vec<MigrationFile>> {
    let mut out = Vec::new();
    for (name, bytes) in e.files() {
        if name.contains('/') || !is_candidate(name) {
            continue;
        }
        let display = format!("{}/{name}", e.directory());
        let format = valid_name(name).ok_or_else(|| {
            Error::validation(format!(
                "{display} (embedded): a migration's name must be <14-digit UTC timestamp>_<name>.<sql|yaml>"
            ))
            .hint("rename the file and rebuild")
        })?;
        out.push(MigrationFile {
            checksum: checksum(bytes),
            name: name.to_string(),
            path: PathBuf::from(&display),
            display,
            format,
            content: bytes.to_vec(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn sanitize(file_name: &str) -> String {
    let stem_start = file_name
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(0);
    file_name[stem_start..]
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The statements of one direction of a migration, ready to run.
#[derive(Debug, Clone)]
pub struct Section {
    pub steps: Vec<Step>,
    pub transaction: bool,
}

/// Reads one direction of a migration; `Ok(None)` for a down that does not exist
/// (an irreversible migration). Every error names the file and where in it.
pub fn parse(
    file: &MigrationFile,
    dir: Direction,
    dialect: Dialect,
    config: &Config,
) -> Result<Option<Section>> {
    let text = std::str::from_utf8(&file.content)
        .map_err(|e| crate::error::utf8_error(&file.display, &file.content, e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err(markers::empty_file(
            &file.display,
            match file.format {
                Format::Sql => "write `-- migrate:up` followed by its statements (and `-- migrate:down` with the statements that undo them)",
                Format::Yaml => "write an `up:` list of operations",
            },
        ));
    }
    let default_tx = !config.migrations.disable_transactions;
    match file.format {
        Format::Sql => parse_sql(file, text, dir, dialect, default_tx),
        Format::Yaml => parse_yaml(file, text, dir, dialect, default_tx),
    }
}

fn parse_yaml(
    file: &MigrationFile,
    text: &str,
    dir: Direction,
    dialect: Dialect,
    default_tx: bool,
) -> Result<Option<Section>> {
    let located = |e: schema::SchemaError| Error::validation(format!("{}: {e}", file.display));
    let m = schema::parse_migration(text).map_err(located)?;
    let steps = schema::steps(&m, dir, dialect).map_err(|e| {
        let irreversible = dir == Direction::Down;
        let err = Error::validation(format!("{}: {e}", file.display));
        if irreversible {
            Error {
                kind: crate::error::Kind::Irreversible,
                ..err
            }
        } else {
            err
        }
    })?;
    Ok(Some(Section {
        steps,
        transaction: m.transaction.unwrap_or(default_tx),
    }))
}

/// A `-- migrate:up` / `-- migrate:down` marker line and its options.
struct Marker<'t> {
    kind: Direction,
    at: markers::Marker<'t>,
    transaction: Option<bool>,
}

fn find_markers<'t>(file: &MigrationFile, text: &'t str) -> Result<Vec<Marker<'t>>> {
    let mut found: Vec<Marker<'t>> = Vec::new();
    for at in markers::find(text, "migrate") {
        let line_no = at.line;
        let mut words = at.rest.split_whitespace();
        let kind = match words.next() {
            Some("up") => Direction::Up,
            Some("down") => Direction::Down,
            other => {
                return Err(Error::validation(format!(
                    "{} line {line_no}: unknown marker `-- migrate:{}`",
                    file.display,
                    other.unwrap_or("")
                ))
                .hint("the markers are `-- migrate:up` and `-- migrate:down`"))
            }
        };
        let mut transaction = None;
        for opt in words {
            match opt.split_once(':') {
                Some(("transaction", "false")) => transaction = Some(false),
                Some(("transaction", "true")) => transaction = Some(true),
                _ => {
                    return Err(Error::validation(format!(
                        "{} line {line_no}: unknown option `{opt}` on the marker",
                        file.display
                    ))
                    .hint("the only option is `transaction:false` (or `transaction:true`)"))
                }
            }
        }
        if found.iter().any(|m| m.kind == kind) {
            return Err(Error::validation(format!(
                "{} line {line_no}: a second `-- migrate:{}` marker",
                file.display,
                if kind == Direction::Up { "up" } else { "down" }
            ))
            .hint("a file has one up section and at most one down section"));
        }
        found.push(Marker {
            kind,
            at,
            transaction,
        });
    }
    Ok(found)
}

fn parse_sql(
    file: &MigrationFile,
    text: &str,
    dir: Direction,
    dialect: Dialect,
    default_tx: bool,
) -> Result<Option<Section>> {
    let found = find_markers(file, text)?;
    if !found.iter().any(|m| m.kind == Direction::Up) {
        return Err(Error::validation(format!(
            "{}: no `-- migrate:up` marker",
            file.display
        ))
        .hint("start the statements that apply the migration with a line `-- migrate:up` (and the ones that undo it with `-- migrate:down`)"));
    };
    // Anything but comments before the first marker would never run.
    let first = found.iter().map(|m| m.at.start).min().unwrap_or(0);
    let before = markers::split(&file.display, &text[..first], 1, dialect)?;
    if let Some(s) = before.first() {
        return Err(Error::validation(format!(
            "{} line {}: a statement before the first marker would never run",
            file.display, s.line
        ))
        .hint("move it below `-- migrate:up` or `-- migrate:down`"));
    }
    // Both sections are split, so a broken down section is found before it is needed.
    let all: Vec<markers::Marker<'_>> = found.iter().map(|m| m.at.clone()).collect();
    let mut sections: Vec<(Direction, Section)> = Vec::new();
    for m in &found {
        let body = markers::body(text, &all, &m.at);
        let transaction = m.transaction.unwrap_or(default_tx);
        let stmts = markers::split(&file.display, body, m.at.line + 1, dialect)?;
        // A section with a statement the engine commits implicitly (MySQL's COMMIT is
        // one) runs statement by statement anyway; only one furrow wraps is refused.
        let wrapped = transaction
            && !stmts
                .iter()
                .any(|s| crate::sql::commits_implicitly(dialect, &s.sql));
        if wrapped {
            if let Some(s) = markers::transaction_control(&stmts) {
                return Err(markers::statement_error(
                    &file.display,
                    s,
                    2,
                    "controls the transaction, but furrow already runs this migration in one",
                )
                .hint("remove it, or write `-- migrate:up transaction:false` to manage transactions yourself"));
            }
        }
        let steps = stmts
            .into_iter()
            .map(|s| Step {
                origin: format!("statement {} (line {})", s.number, s.line),
                kind: StepKind::Sql {
                    sql: s.sql,
                    params: Vec::new(),
                },
            })
            .collect();
        sections.push((m.kind, Section { steps, transaction }));
    }
    Ok(sections
        .into_iter()
        .find(|(k, _)| *k == dir)
        .map(|(_, s)| s))
}

/// Finds a migration by what a person typed: the file name, the name without its
/// extension, or the part after the timestamp.
pub fn resolve<'a, T>(
    query: &str,
    items: &'a [T],
    name_of: impl Fn(&T) -> &str,
) -> std::result::Result<&'a T, Vec<&'a str>> {
    const TIERS: [files::Tier; 3] = [
        files::Tier {
            matches: |q, n| n == q,
            unique: false,
        },
        files::Tier {
            matches: |q, n| files::stem(n) == q,
            unique: false,
        },
        files::Tier {
            matches: |q, n| {
                let s = files::stem(n);
                s.len() > 15 && &s[15..] == q
            },
            unique: true,
        },
    ];
    match files::resolve(query, items, &name_of, &TIERS) {
        files::Lookup::One(i) => Ok(i),
        files::Lookup::Several(many) => Err(many.into_iter().map(&name_of).collect()),
        files::Lookup::None => Err(items.iter().map(&name_of).collect()),
    }
}

/// A statement's own checksum (its text and parameters), chained into a partial
/// migration's progress checksum.
pub fn step_checksum(step: &Step) -> String {
    let mut h = Sha256::new();
    match &step.kind {
        StepKind::Sql { sql, params } => {
            h.update(sql.as_bytes());
            for p in params {
                h.update(format!("{p:?}").as_bytes());
            }
        }
        other => h.update(format!("{other:?}").as_bytes()),
    }
    hex(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_normalises_crlf() {
        assert_eq!(checksum(b"a\r\nb\r\n"), checksum(b"a\nb\n"));
        assert_ne!(checksum(b"a\rb"), checksum(b"ab"));
        assert_eq!(
            checksum(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn validates_names() {
        assert_eq!(valid_name("20240101000000_create.sql"), Some(Format::Sql));
        assert_eq!(valid_name("20240101000000_a-b_c.yml"), Some(Format::Yaml));
        assert_eq!(valid_name("2024_create.sql"), None);
        assert_eq!(valid_name("20240101000000_.sql"), None);
        assert_eq!(valid_name("20240101000000_a b.sql"), None);
        assert_eq!(valid_name("20240101000000_a.js"), None);
    }

    #[test]
    fn resolves_names_loosely_but_uniquely() {
        let names = vec![
            "20240101000000_create_accounts.sql".to_string(),
            "20240102000000_add_roles.yaml".to_string(),
        ];
        let r = |q: &str| resolve(q, &names, |s| s.as_str()).map(|s| s.as_str());
        assert_eq!(
            r("20240101000000_create_accounts.sql"),
            Ok("20240101000000_create_accounts.sql")
        );
        assert_eq!(
            r("20240102000000_add_roles"),
            Ok("20240102000000_add_roles.yaml")
        );
        assert_eq!(r("add_roles"), Ok("20240102000000_add_roles.yaml"));
        assert!(r("nope").is_err());
    }
}
