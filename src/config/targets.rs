//! A fleet: the databases an environment names with `targets:` (a list of connections, or
//! for SQLite a glob) or `targets_from:` (a file of one connection per line), their names,
//! and picking some of them by name. Nothing here connects.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value as Y};

use super::connection::absolutize;
use super::interpolate::{interpolate, read_dotenv, InterpError};
use super::knexfile::{join, scalar_string, KnexFile};
use super::{display_relative, parse_connection_string, Client, Config, Connection, SqlitePath};
use crate::error::{Error, Result};
use crate::text::did_you_mean;
use crate::yamlpos::Seg;

/// How an environment names its fleet, as the knexfile wrote it.
#[derive(Debug, Clone)]
pub enum TargetsSpec {
    /// `targets:` entries: connections (parsed when the knexfile is read), or SQLite globs
    /// (expanded when a fleet runs).
    List(Vec<Entry>),
    /// `targets_from: FILE`, read when a fleet runs.
    File { path: PathBuf, at: String },
}

#[derive(Debug, Clone)]
pub enum Entry {
    Connection { connection: Connection, at: String },
    Glob { pattern: String, at: String },
}

/// One database of a fleet.
#[derive(Debug, Clone)]
pub struct Target {
    /// The shortest of its names that no other target shares (see `names`).
    pub name: String,
    pub connection: Connection,
    /// Where it was named (a knexfile line, a line of the targets file, a glob).
    pub origin: String,
    /// Every name it answers to with `--target`, shortest first.
    names: Vec<String>,
}

impl TargetsSpec {
    /// Passwords of the targets the knexfile lists itself.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            TargetsSpec::List(entries) => entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Connection { connection, .. } => connection.password(),
                    Entry::Glob { .. } => None,
                })
                .collect(),
            TargetsSpec::File { .. } => Vec::new(),
        }
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `targets:` / `targets_from:` of an environment's block.
pub(super) fn spec(
    map: &Mapping,
    client: Client,
    base: &Path,
    file: &KnexFile,
    prefix: &[Seg],
) -> Result<Option<TargetsSpec>> {
    match (map.get("targets"), map.get("targets_from")) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(Error::config(format!(
            "{}: `targets` and `targets_from` both name the fleet; keep one",
            file.at(&join(prefix, "targets_from"))
        ))),
        (None, Some(v)) => {
            let at = file.at(&join(prefix, "targets_from"));
            let path = scalar_string(v).ok_or_else(|| {
                Error::config(format!(
                    "{at}: `targets_from` must be the path of a file with one connection per line"
                ))
            })?;
            Ok(Some(TargetsSpec::File {
                path: absolutize(base, Path::new(&path)),
                at,
            }))
        }
        (Some(v), None) => {
            let p = join(prefix, "targets");
            let items: Vec<(Vec<Seg>, &Y)> = match v {
                Y::Sequence(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut ip = p.clone();
                        ip.push(Seg::Index(i));
                        (ip, item)
                    })
                    .collect(),
                other => vec![(p.clone(), other)],
            };
            if items.is_empty() {
                return Err(Error::config(format!(
                    "{}: `targets` lists no database",
                    file.at(&p)
                )));
            }
            let entries = items
                .into_iter()
                .map(|(ip, item)| entry(item, client, base, file, &ip))
                .collect::<Result<Vec<_>>>()?;
            Ok(Some(TargetsSpec::List(entries)))
        }
    }
}

fn entry(v: &Y, client: Client, base: &Path, file: &KnexFile, path: &[Seg]) -> Result<Entry> {
    let at = file.at(path);
    match scalar_string(v) {
        Some(s) if client == Client::Sqlite && has_wildcard(&s) => {
            Ok(Entry::Glob { pattern: s, at })
        }
        _ => Ok(Entry::Connection {
            connection: super::environment::connection_from_yaml(v, client, base, file, path)?,
            at,
        }),
    }
}

/// The fleet of the environment, expanded (globs, the targets file) and named; a glob that
/// matches nothing and a database named twice are configuration errors.
pub fn resolve(
    config: &Config,
    lookup_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Target>> {
    let Some(spec) = &config.targets else {
        return Err(Error::config(format!(
            "environment `{}` names no fleet",
            config.env
        ))
        .hint("add `targets:` (a list of connections; for SQLite also a glob such as ./tenants/*.sqlite3) or `targets_from: FILE` (one connection per line) to it"));
    };
    let mut found: Vec<(Connection, String)> = Vec::new();
    match spec {
        TargetsSpec::List(entries) => {
            for e in entries {
                match e {
                    Entry::Connection { connection, at } => {
                        found.push((connection.clone(), at.clone()))
                    }
                    Entry::Glob { pattern, at } => {
                        for path in expand(&config.base_dir, pattern, at)? {
                            found.push((
                                Connection::Sqlite(SqlitePath::File(path)),
                                format!("{at} (`{pattern}`)"),
                            ));
                        }
                    }
                }
            }
        }
        TargetsSpec::File { path, at } => found = read_file(config, path, at, lookup_env)?,
    }
    let targets = name(found, &config.base_dir);
    check_duplicates(&targets)?;
    Ok(targets)
}

/// `targets_from`: one connection per line; blank lines and `#` comments are skipped, and
/// `${VAR}` is filled in as in the knexfile.
fn read_file(
    config: &Config,
    path: &Path,
    at: &str,
    lookup_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(Connection, String)>> {
    let shown = config.display_path(path);
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(format!("{at}: cannot read the targets file {shown}: {e}"))
            .hint("fix `targets_from` (relative paths start at the knexfile's directory)")
    })?;
    let dotenv: HashMap<String, String> = read_dotenv(&config.base_dir)?;
    let lookup = |k: &str| lookup_env(k).or_else(|| dotenv.get(k).cloned());
    let mut found = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let where_ = format!("{shown} line {}", i + 1);
        let line = interpolate(line, &lookup).map_err(|e| match e {
            InterpError::Unset(var) => Error::config(format!(
                "{where_}: environment variable `{var}` is not set"
            ))
            .hint(format!(
                "set {var}, add it to .env beside the knexfile, or write ${{{var}:-default}}"
            )),
            InterpError::Syntax(m) => Error::config(format!("{where_}: {m}")),
        })?;
        if config.client == Client::Sqlite && has_wildcard(&line) {
            for p in expand(&config.base_dir, &line, &where_)? {
                found.push((Connection::Sqlite(SqlitePath::File(p)), where_.clone()));
            }
            continue;
        }
        let c = parse_connection_string(&line, config.client, &config.base_dir)
            .map_err(|m| Error::config(format!("{where_}: {m}")))?;
        found.push((c, where_));
    }
    if found.is_empty() {
        return Err(
            Error::config(format!("{at}: the targets file {shown} lists no database"))
                .hint("write one connection per line (`#` starts a comment)"),
        );
    }
    Ok(found)
}

/// A line without its `#` comment (a `#` at the start, or after a space).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// What makes two entries the same database.
fn identity(c: &Connection) -> String {
    match c {
        Connection::Sqlite(SqlitePath::File(p)) => p.display().to_string(),
        Connection::Sqlite(SqlitePath::Memory) => ":memory:".into(),
        Connection::Sqlite(SqlitePath::Shared(n)) => format!(":memory:{n}"),
        Connection::Mysql(m) => match &m.socket {
            Some(s) => format!("{}/{}", s.display(), m.database.as_deref().unwrap_or("")),
            None => format!(
                "{}:{}/{}",
                m.host.to_ascii_lowercase(),
                m.port,
                m.database.as_deref().unwrap_or("")
            ),
        },
        Connection::Unusable(why) => why.clone(),
    }
}

/// The names a target answers to, shortest first: a MySQL database's name, host:port/name
/// and its URL without the password; a SQLite file's stem, its file name and its path.
fn names_of(c: &Connection, base: &Path) -> Vec<String> {
    let mut names = match c {
        Connection::Sqlite(SqlitePath::File(p)) => {
            let file = p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = Path::new(&file)
                .file_stem()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            vec![
                stem,
                file,
                display_relative(base, p),
                p.display().to_string(),
            ]
        }
        Connection::Mysql(m) => {
            let db = m.database.clone().unwrap_or_default();
            let at = match &m.socket {
                Some(s) => format!("{}/{db}", s.display()),
                None => format!("{}:{}/{db}", m.host, m.port),
            };
            vec![db, at, without_password(&m.redacted())]
        }
        other => vec![other.redacted()],
    };
    names.retain(|n| !n.is_empty());
    names.dedup();
    names
}

/// `mysql://user:***@host/db` → `mysql://user@host/db`.
fn without_password(redacted: &str) -> String {
    redacted.replacen(":***@", "@", 1)
}

/// Names each target by the first of its names that no other target answers to.
fn name(found: Vec<(Connection, String)>, base: &Path) -> Vec<Target> {
    let all: Vec<Vec<String>> = found.iter().map(|(c, _)| names_of(c, base)).collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for names in &all {
        for n in names {
            *count.entry(n.as_str()).or_default() += 1;
        }
    }
    let chosen: Vec<String> = all
        .iter()
        .map(|names| {
            names
                .iter()
                .find(|n| count[n.as_str()] == 1)
                .or(names.last())
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    found
        .into_iter()
        .zip(all)
        .zip(chosen)
        .map(|(((connection, origin), names), name)| Target {
            name,
            connection,
            origin,
            names,
        })
        .collect()
}

fn check_duplicates(targets: &[Target]) -> Result<()> {
    let mut seen: HashMap<String, &Target> = HashMap::new();
    for t in targets {
        if let Some(first) = seen.insert(identity(&t.connection), t) {
            return Err(Error::config(format!(
                "the fleet names the database `{}` twice: {} and {}",
                t.name, first.origin, t.origin
            ))
            .detail(known(targets))
            .hint("remove one of them"));
        }
    }
    Ok(())
}

/// "known targets: a, b, c" (the first 50).
pub fn known(targets: &[Target]) -> String {
    const SHOWN: usize = 50;
    let names: Vec<&str> = targets
        .iter()
        .take(SHOWN)
        .map(|t| t.name.as_str())
        .collect();
    let more = targets.len().saturating_sub(SHOWN);
    format!(
        "known targets ({}): {}{}",
        targets.len(),
        names.join(", "),
        if more > 0 {
            format!(" … and {more} more (`furrow migrate:list --all-targets` lists every one)")
        } else {
            String::new()
        }
    )
}

/// The targets `--target NAME`… pick, in the fleet's order; a name no target answers to,
/// or that several answer to, is a configuration error that lists the known ones.
pub fn select(targets: Vec<Target>, wanted: &[String], config: &Config) -> Result<Vec<Target>> {
    let mut chosen = vec![false; targets.len()];
    for w in wanted {
        let hits: Vec<usize> = targets
            .iter()
            .enumerate()
            .filter(|(_, t)| answers_to(t, w, config))
            .map(|(i, _)| i)
            .collect();
        // A URL given as a name is shown without its password.
        let shown = match parse_connection_string(w, config.client, &config.base_dir) {
            Ok(c) if w.contains("://") => without_password(&c.redacted()),
            _ if w.contains("://") => "(a URL)".into(),
            _ => w.clone(),
        };
        match hits.as_slice() {
            [] => {
                return Err(Error::config(format!(
                    "--target `{shown}`: no target of environment `{}` has that name{}",
                    config.env,
                    did_you_mean(&shown, targets.iter().map(|t| t.name.as_str()))
                ))
                .detail(known(&targets))
                .hint("name a target by its database name, its file name, or its URL without the password"))
            }
            [one] => chosen[*one] = true,
            many => {
                return Err(Error::config(format!(
                    "--target `{shown}` names several targets: {}",
                    many.iter()
                        .map(|&i| targets[i].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .hint("use one of those names"))
            }
        }
    }
    Ok(targets
        .into_iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(t, _)| t)
        .collect())
}

fn answers_to(t: &Target, wanted: &str, config: &Config) -> bool {
    if t.names.iter().any(|n| n == wanted) {
        return true;
    }
    // A URL or path, with or without a password: the same database.
    match parse_connection_string(wanted, config.client, &config.base_dir) {
        Ok(c) if wanted.contains("://") || wanted.contains('/') => {
            identity(&c) == identity(&t.connection)
        }
        _ => false,
    }
}

/// The files a SQLite glob matches, sorted; none is a configuration error that says what
/// the directory holds.
fn expand(base: &Path, pattern: &str, at: &str) -> Result<Vec<PathBuf>> {
    let full = absolutize(base, Path::new(pattern));
    let mut dirs = vec![PathBuf::new()];
    let parts: Vec<_> = full.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let text = part.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for d in &dirs {
            if !has_wildcard(&text) {
                let p = d.join(part.as_os_str());
                if (last && p.is_file()) || (!last && p.is_dir()) {
                    next.push(p);
                }
                continue;
            }
            let Ok(entries) = std::fs::read_dir(d) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let p = e.path();
                if wildcard_match(&text, &name) && ((last && p.is_file()) || (!last && p.is_dir()))
                {
                    next.push(p);
                }
            }
        }
        dirs = next;
    }
    dirs.sort();
    if dirs.is_empty() {
        return Err(no_match(base, pattern, &full, at));
    }
    Ok(dirs)
}

fn no_match(base: &Path, pattern: &str, full: &Path, at: &str) -> Error {
    // The deepest directory of the pattern without wildcards, and what it holds.
    let mut dir = PathBuf::new();
    for part in full.components() {
        if has_wildcard(&part.as_os_str().to_string_lossy()) {
            break;
        }
        dir.push(part.as_os_str());
    }
    while !dir.is_dir() && dir.pop() {}
    let shown = display_relative(base, &dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let holds = if names.is_empty() {
        format!("{shown} is empty")
    } else {
        let more = names.len().saturating_sub(20);
        names.truncate(20);
        format!(
            "{shown} holds: {}{}",
            names.join(", "),
            if more > 0 {
                format!(" … and {more} more")
            } else {
                String::new()
            }
        )
    };
    Error::config(format!(
        "{at}: the targets glob `{pattern}` matches no file"
    ))
    .detail(holds)
    .hint("fix the pattern (relative to the knexfile's directory), or create the databases first")
}

/// A shell-style match of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]`; a
/// leading `.` is matched only by a `.` (hidden files stay hidden, as in a shell).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|k| match_from(&p[1..], &n[k..])),
        Some('?') => !n.is_empty() && match_from(&p[1..], &n[1..]),
        Some('[') => match (class(&p[1..]), n.first()) {
            (Some((matches, len)), Some(&c)) => matches(c) && match_from(&p[1 + len..], &n[1..]),
            (None, Some(&c)) => c == '[' && match_from(&p[1..], &n[1..]),
            (_, None) => false,
        },
        Some(&c) => n.first() == Some(&c) && match_from(&p[1..], &n[1..]),
    }
}

type Class = (Box<dyn Fn(char) -> bool>, usize);

/// `[…]` after its `[`: a test and how many characters it took (with the `]`).
fn class(p: &[char]) -> Option<Class> {
    let negate = matches!(p.first(), Some('!') | Some('^'));
    let start = usize::from(negate);
    let end = p.iter().skip(start + 1).position(|&c| c == ']')? + start + 1;
    let set: Vec<char> = p[start..end].to_vec();
    let test = move |c: char| {
        let mut i = 0;
        let mut hit = false;
        while i < set.len() {
            if i + 2 < set.len() && set[i + 1] == '-' {
                hit |= set[i] <= c && c <= set[i + 2];
                i += 3;
            } else {
                hit |= set[i] == c;
                i += 1;
            }
        }
        hit != negate
    };
    Some((Box::new(test), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_a_shell() {
        assert!(wildcard_match("*.sqlite3", "tenant_a.sqlite3"));
        assert!(!wildcard_match("*.sqlite3", "tenant_a.sqlite3-wal"));
        assert!(!wildcard_match("*.sqlite3", ".hidden.sqlite3"));
        assert!(wildcard_match("t?.db", "t1.db"));
        assert!(!wildcard_match("t?.db", "t12.db"));
        assert!(wildcard_match("t[0-9].db", "t7.db"));
        assert!(!wildcard_match("t[!0-9].db", "t7.db"));
        assert!(wildcard_match("t[!0-9].db", "tx.db"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn strips_comments() {
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("mysql://a@h/db  # acme"), "mysql://a@h/db  ");
        assert_eq!(strip_comment("mysql://a:p#w@h/db"), "mysql://a:p#w@h/db");
    }

    fn sqlite(p: &str) -> (Connection, String) {
        (
            Connection::Sqlite(SqlitePath::File(PathBuf::from(p))),
            "test".into(),
        )
    }

    #[test]
    fn names_are_the_shortest_unique_ones() {
        let t = name(
            vec![
                sqlite("/p/a/tenant_x.sqlite3"),
                sqlite("/p/b/tenant_x.sqlite3"),
                sqlite("/p/a/tenant_y.sqlite3"),
            ],
            Path::new("/p"),
        );
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["a/tenant_x.sqlite3", "b/tenant_x.sqlite3", "tenant_y"]
        );
    }

    #[test]
    fn a_database_named_twice_is_refused() {
        let t = name(
            vec![sqlite("/p/a.db"), sqlite("/p/b.db"), sqlite("/p/a.db")],
            Path::new("/p"),
        );
        let e = check_duplicates(&t).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Config);
        assert!(e.message.contains("twice"), "{}", e.message);
    }
}
