//! Finding seed files and reading them: YAML data seeds (one block or a list of blocks)
//! and SQL seeds (with an optional `-- seed:undo` part).

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value as Y};
use sha2::{Digest, Sha256};

use crate::checksum::hex;
use crate::config::Config;
use crate::db::load::SeedMode;
use crate::db::{Dialect, Value};
use crate::error::{io_error, Error, Result};
use crate::files;
use crate::markers;
use crate::report::Output;
use crate::text::did_you_mean;
use crate::yamlpos::{locate, parse_path};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedFormat {
    Yaml,
    Sql,
}

/// A seed file on disk.
#[derive(Debug, Clone)]
pub struct SeedFile {
    /// The path relative to its seeds directory, with `/`: the name tracked in the database.
    pub name: String,
    pub path: PathBuf,
    pub display: String,
    pub format: SeedFormat,
    /// Compiled into the binary (the library): read from here, not from `path`.
    pub content: Option<&'static [u8]>,
}

impl SeedFile {
    /// The file name without extension, for `--specific` matching.
    pub fn stem(&self) -> &str {
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base)
    }
}

fn seed_format(file_name: &str) -> Option<SeedFormat> {
    match file_name.rsplit_once('.').map(|(_, e)| e) {
        Some("yaml" | "yml") => Some(SeedFormat::Yaml),
        Some("sql") => Some(SeedFormat::Sql),
        _ => None,
    }
}

fn valid_component(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// Every seed file of the configured directories, ordered by relative path. A configured
/// directory that does not exist is an error (as for migrations), and so is an entry named
/// like a seed that is not a readable file (a dangling link, a link loop, a directory).
/// Links are followed (a linked seed is a seed; a linked folder is walked when recursive).
pub fn list(config: &Config, _out: &Output) -> Result<Vec<SeedFile>> {
    if let Some(e) = &config.seeds.embedded {
        return embedded(config, e);
    }
    let spec = files::Spec {
        what: "seed",
        dirs_word: "seeds",
        directories: &config.seeds.directories,
        recursive: config.seeds.recursive,
        follow_links: true,
        candidate: |name| seed_format(name).is_some(),
        display: &|_, _, path| config.display_path(path),
    };
    let found = files::discover(&config.base_dir, &spec, |e| {
        if !e.name.split('/').all(valid_component) {
            return Err(Error::validation(format!(
                "{}: a seed's path may hold only letters, digits, _, . and -",
                e.display
            ))
            .hint("rename it (e.g. spaces to _)"));
        }
        Ok(seed_format(&e.name).unwrap_or(SeedFormat::Yaml))
    })?;
    Ok(found
        .into_iter()
        .map(|(e, format)| SeedFile {
            name: e.name,
            path: e.path,
            display: e.display,
            format,
            content: None,
        })
        .collect())
}

/// The seeds compiled into the binary. A CSV file a seed reads (`rows_from`) is streamed
/// from disk, so the project writes those to a directory of its own first and names it
/// here (`config.seeds.directories[0]`); the seeds themselves are read from memory.
fn embedded(config: &Config, e: &crate::embedded::Embedded) -> Result<Vec<SeedFile>> {
    let dir = config
        .seeds
        .directories
        .first()
        .cloned()
        .unwrap_or_else(|| config.base_dir.join(e.directory()));
    let mut out = Vec::new();
    for (name, bytes) in e.files() {
        let Some(format) = seed_format(name) else {
            continue;
        };
        if name.contains('/') && !config.seeds.recursive {
            continue;
        }
        if !name.split('/').all(valid_component) {
            return Err(Error::validation(format!(
                "{}/{name} (embedded): a seed's path may hold only letters, digits, _, . and -",
                e.directory()
            )));
        }
        out.push(SeedFile {
            name: name.to_string(),
            path: dir.join(name),
            display: format!("{}/{name}", e.directory()),
            format,
            content: Some(bytes),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Rows written in a seed file, stored compactly: each distinct list of columns ("shape")
/// once, each row as cells in its shape's order, and all text in one buffer. A big YAML seed
/// costs no allocation per value, and a run of rows can be lent to the loader as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InlineRows {
    pub shapes: Vec<Vec<String>>,
    /// Each row: its shape, and where its cells start in `cells`.
    rows: Vec<(usize, usize)>,
    cells: Vec<Cell>,
    text: String,
    /// Where the cells of the row being added start.
    pending: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Float(f64),
    /// A range of `text`.
    Text(usize, usize),
}

impl InlineRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// How many values the rows hold, and their bytes (a number counts 8).
    pub fn data_size(&self) -> (u64, u64) {
        let numbers = self
            .cells
            .iter()
            .filter(|c| matches!(c, Cell::Int(_) | Cell::Float(_)))
            .count();
        (
            self.cells.len() as u64,
            self.text.len() as u64 + 8 * numbers as u64,
        )
    }

    /// Adds a value to the row being built.
    pub fn add(&mut self, v: Value) {
        let cell = match v {
            Value::Null => Cell::Null,
            Value::Int(i) => Cell::Int(i),
            Value::Float(f) => Cell::Float(f),
            Value::Text(s) => return self.add_text(&s),
            Value::Bytes(b) => return self.add_text(&String::from_utf8_lossy(&b)),
        };
        self.cells.push(cell);
    }

    /// Adds a text value to the row being built.
    pub fn add_text(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.cells.push(Cell::Text(start, s.len()));
    }

    /// Ends the row being built: its column names, in the order its values were added.
    pub fn end_row<K: AsRef<str>>(&mut self, columns: &[K]) {
        let same = |shape: &Vec<String>| {
            shape.len() == columns.len() && shape.iter().zip(columns).all(|(a, b)| a == b.as_ref())
        };
        // Most rows have the shape of the row before them.
        let shape = match self.rows.last() {
            Some((s, _)) if same(&self.shapes[*s]) => *s,
            _ => match self.shapes.iter().position(same) {
                Some(s) => s,
                None => {
                    self.shapes
                        .push(columns.iter().map(|c| c.as_ref().to_string()).collect());
                    self.shapes.len() - 1
                }
            },
        };
        self.rows.push((shape, self.pending));
        self.pending = self.cells.len();
    }

    /// The shape (index into `shapes`) of a row.
    pub fn shape(&self, row: usize) -> usize {
        self.rows[row].0
    }

    pub fn columns(&self, row: usize) -> &[String] {
        &self.shapes[self.rows[row].0]
    }

    fn value_of(&self, c: Cell) -> Value {
        match c {
            Cell::Null => Value::Null,
            Cell::Int(i) => Value::Int(i),
            Cell::Float(f) => Value::Float(f),
            Cell::Text(a, n) => Value::Text(self.text[a..a + n].to_string()),
        }
    }

    fn cells(&self, row: usize) -> &[Cell] {
        let (shape, start) = self.rows[row];
        &self.cells[start..start + self.shapes[shape].len()]
    }

    /// The value a row gives a column, if it names it.
    pub fn value(&self, row: usize, column: &str) -> Option<Value> {
        let i = self.columns(row).iter().position(|c| c == column)?;
        Some(self.value_of(self.cells(row)[i]))
    }

    /// Whether a row gives a column a null (`None`: it does not name the column).
    pub fn is_null(&self, row: usize, column: &str) -> Option<bool> {
        let i = self.columns(row).iter().position(|c| c == column)?;
        Some(matches!(self.cells(row)[i], Cell::Null))
    }

    /// Writes a row's values into `out` (in its shape's order), reusing the strings there.
    pub fn row_into(&self, row: usize, out: &mut [Value]) {
        for (c, slot) in self.cells(row).iter().zip(out.iter_mut()) {
            match (*c, slot) {
                (Cell::Text(a, n), Value::Text(s)) => {
                    s.clear();
                    s.push_str(&self.text[a..a + n]);
                }
                (Cell::Int(i), slot) => *slot = Value::Int(i),
                (c, slot) => *slot = self.value_of(c),
            }
        }
    }

    /// Adds the rows of `other` after these.
    pub fn append(&mut self, other: InlineRows) {
        let text_base = self.text.len();
        let cell_base = self.cells.len();
        self.text.push_str(&other.text);
        self.cells.extend(other.cells.iter().map(|c| match *c {
            Cell::Text(a, n) => Cell::Text(a + text_base, n),
            c => c,
        }));
        let map: Vec<usize> = other
            .shapes
            .iter()
            .map(|shape| match self.shapes.iter().position(|s| s == shape) {
                Some(i) => i,
                None => {
                    self.shapes.push(shape.clone());
                    self.shapes.len() - 1
                }
            })
            .collect();
        self.rows.extend(
            other
                .rows
                .iter()
                .map(|(shape, start)| (map[*shape], start + cell_base)),
        );
        self.pending = self.cells.len();
    }

    /// Every row as column: value pairs.
    pub fn to_pairs(&self) -> Vec<Vec<(String, Value)>> {
        (0..self.len())
            .map(|r| {
                self.columns(r)
                    .iter()
                    .cloned()
                    .zip(self.cells(r).iter().map(|c| self.value_of(*c)))
                    .collect()
            })
            .collect()
    }
}

/// Where a block's rows come from.
#[derive(Debug, Clone)]
pub enum Rows {
    /// Rows written in the file.
    Inline(InlineRows),
    /// `rows_from: file.csv` beside the seed, streamed.
    Csv { path: PathBuf, display: String },
}

/// One table's worth of a YAML seed.
#[derive(Debug, Clone)]
pub struct Block {
    /// `""` for a file of one block, `"[i]"` in a list (the prefix of YAML paths in errors).
    pub prefix: String,
    /// 1-based position in the file, for messages.
    pub number: usize,
    pub table: String,
    pub mode: SeedMode,
    pub key: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub foreign_key_checks: bool,
    pub rows: Rows,
}

impl Block {
    pub fn applies_to(&self, env: &str) -> bool {
        self.env.as_ref().is_none_or(|e| e.iter().any(|x| x == env))
    }

    /// "block 2 (accounts)" or "table accounts" for a one-block file.
    pub fn label(&self) -> String {
        if self.prefix.is_empty() {
            format!("table {}", self.table)
        } else {
            format!("block {} ({})", self.number, self.table)
        }
    }
}

/// A parsed seed file, ready to plan.
#[derive(Debug, Clone)]
pub struct ParsedSeed {
    pub file: SeedFile,
    pub text: String,
    pub body: SeedBody,
}

impl ParsedSeed {
    /// SHA-256 of the file and of its CSV files, `\r\n` normalised. Reads the CSVs: a run
    /// computes it on the other core while the rows load.
    pub fn checksum(&self) -> Result<String> {
        let mut hasher = Sha256::new();
        crate::checksum::hash_normalized(&mut hasher, self.text.as_bytes());
        if let SeedBody::Yaml(blocks) = &self.body {
            for b in blocks {
                if let Rows::Csv { path, .. } = &b.rows {
                    let f = std::fs::File::open(path).map_err(|e| io_error("read", path, &e))?;
                    hasher.update([0u8]);
                    super::csv::hash_stream(
                        std::io::BufReader::with_capacity(256 * 1024, f),
                        &mut hasher,
                    )
                    .map_err(|e| io_error("read", path, &e))?;
                }
            }
        }
        Ok(hex(&hasher.finalize()))
    }
}

#[derive(Debug, Clone)]
pub enum SeedBody {
    Yaml(Vec<Block>),
    Sql {
        run: Vec<crate::sql::Statement>,
        undo: Option<Vec<crate::sql::Statement>>,
    },
}

const BLOCK_KEYS: [&str; 7] = [
    "table",
    "mode",
    "key",
    "env",
    "rows",
    "rows_from",
    "foreign_key_checks",
];

/// Reads and checks a seed file (everything that can be checked without the database).
pub fn parse(file: &SeedFile, dialect: Dialect) -> Result<ParsedSeed> {
    let bytes = match file.content {
        Some(b) => b.to_vec(),
        None => std::fs::read(&file.path).map_err(|e| io_error("read", &file.path, &e))?,
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        crate::error::utf8_error(&file.display, e.as_bytes(), e.utf8_error().valid_up_to())
    })?;
    parse_text(file, text, dialect)
}

/// Checks a seed's text (its CSV files must exist).
pub fn parse_text(file: &SeedFile, text: String, dialect: Dialect) -> Result<ParsedSeed> {
    let body = match file.format {
        SeedFormat::Sql => parse_sql(file, &text, dialect)?,
        SeedFormat::Yaml => {
            let blocks = parse_yaml(file, &text)?;
            for b in &blocks {
                if let Rows::Csv { path, display } = &b.rows {
                    std::fs::metadata(path).map_err(|e| {
                        Error::validation(format!(
                            "{}: {}: rows_from {display}: {}",
                            file.display,
                            b.label(),
                            if e.kind() == std::io::ErrorKind::NotFound {
                                "the file does not exist".to_string()
                            } else {
                                e.to_string()
                            }
                        ))
                        .hint("rows_from names a CSV file beside the seed file")
                    })?;
                }
            }
            SeedBody::Yaml(blocks)
        }
    };
    Ok(ParsedSeed {
        file: file.clone(),
        text,
        body,
    })
}

fn parse_sql(file: &SeedFile, text: &str, dialect: Dialect) -> Result<SeedBody> {
    // `-- seed:undo` on its own line starts the undo part.
    let mut undo_markers = markers::find(text, "seed")
        .into_iter()
        .filter(|m| m.rest == "undo");
    let marker = undo_markers.next();
    if let Some(second) = undo_markers.next() {
        return Err(Error::validation(format!(
            "{} line {}: a second `-- seed:undo` marker",
            file.display, second.line
        )));
    }
    let split =
        |part: &str, first_line: usize| markers::split(&file.display, part, first_line, dialect);
    let (run, undo) = match marker {
        None => (split(text, 1)?, None),
        Some(m) => (
            split(&text[..m.start], 1)?,
            Some(split(&text[m.body_start..], m.line + 1)?),
        ),
    };
    if text.trim().is_empty() {
        return Err(markers::empty_file(
            &file.display,
            "write the statements that load the data",
        ));
    }
    for s in run.iter().chain(undo.iter().flatten()) {
        if markers::controls_transaction(s) {
            return Err(markers::statement_error(
                &file.display,
                s,
                0,
                "controls the transaction, but furrow runs each seed in one",
            )
            .hint("remove it"));
        }
        if crate::sql::commits_implicitly(dialect, &s.sql) {
            return Err(markers::statement_error(
                &file.display,
                s,
                3,
                &format!(
                    "is DDL, which {} commits implicitly, so the seed could be left half-loaded",
                    dialect.engine()
                ),
            )
            .hint("put schema changes in a migration; seeds load data"));
        }
    }
    Ok(SeedBody::Sql { run, undo })
}

struct SeedText<'a> {
    file: &'a SeedFile,
    text: &'a str,
}

impl SeedText<'_> {
    fn err(&self, path: &str, msg: impl std::fmt::Display) -> Error {
        let at = match locate(self.text, &parse_path(path)) {
            Some((line, _)) => format!(" line {line}"),
            None => String::new(),
        };
        let path_part = if path.is_empty() {
            String::new()
        } else {
            format!(" `{path}`")
        };
        Error::validation(format!("{}{at}:{path_part} {msg}", self.file.display))
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn parse_yaml(file: &SeedFile, text: &str) -> Result<Vec<Block>> {
    // Big seeds are mostly one-line rows: read those without the general YAML parser.
    if let Some(fast) = super::fastyaml::split(text) {
        let mut blocks = parse_yaml_document(file, text, &fast.header)?;
        if let [block] = blocks.as_mut_slice() {
            if matches!(&block.rows, Rows::Inline(r) if r.is_empty()) {
                let cx = SeedText { file, text };
                if let (Some(k), true) = (&block.key, block.mode.uses_key()) {
                    check_key_values(&cx, &block.prefix, k, &fast.rows)?;
                }
                block.rows = Rows::Inline(fast.rows);
                return Ok(blocks);
            }
        }
    }
    parse_yaml_document(file, text, text)
}

/// Parses `doc` (the file, or the file with its rows blanked out) with the full YAML parser;
/// errors are located in `text`, the file as written.
fn parse_yaml_document(file: &SeedFile, text: &str, doc: &str) -> Result<Vec<Block>> {
    let cx = SeedText { file, text };
    if text.trim().is_empty() {
        return Err(
            Error::validation(format!("{}: the file is empty", file.display))
                .hint("write `table:` and `rows:` (see `furrow seed:make`)"),
        );
    }
    let doc: Y = serde_yaml::from_str(doc).map_err(|e| {
        // libyaml places this one at the start of the file: say where the character is.
        let control = e.to_string().contains("control characters are not allowed");
        if let Some(i) = super::fastyaml::forbidden_char(text).filter(|_| control) {
            let line = text[..i].matches('\n').count() + 1;
            let column = text[..i].rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let c = text[i..].chars().next().unwrap_or('\0');
            return Error::validation(format!(
                "{} line {line} column {column}: invalid YAML: the character U+{:04X} (a control character) is not allowed in YAML",
                file.display, c as u32
            ))
            .hint("remove it; to store such a character, write it as an escape in a double-quoted string (e.g. \"a\\0b\")");
        }
        let at = e
            .location()
            .map(|l| format!(" line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Error::validation(format!("{}{at}: invalid YAML: {msg}", file.display))
            .hint("fix the YAML syntax (indentation, quotes, colons) at that place")
    })?;
    match &doc {
        Y::Mapping(m) => Ok(vec![parse_block(&cx, m, "", 1)?]),
        Y::Sequence(items) => {
            if items.is_empty() {
                return Err(cx.err("", "the list of blocks is empty"));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let prefix = format!("[{i}]");
                    match item {
                        Y::Mapping(m) => parse_block(&cx, m, &prefix, i + 1),
                        _ => Err(cx.err(
                            &prefix,
                            "each block must be a map with `table:` and `rows:`",
                        )),
                    }
                })
                .collect()
        }
        _ => Err(cx.err(
            "",
            "a seed is a map with `table:` and `rows:` (or a list of such maps)",
        )),
    }
}

fn string_list(cx: &SeedText<'_>, v: &Y, path: &str, what: &str) -> Result<Vec<String>> {
    let items: Vec<&Y> = match v {
        Y::String(_) => vec![v],
        Y::Sequence(s) => s.iter().collect(),
        _ => return Err(cx.err(path, format!("expected {what}: a name or a list of names"))),
    };
    items
        .iter()
        .map(|i| match i {
            Y::String(s) if !s.is_empty() => Ok(s.clone()),
            Y::Number(n) => Ok(n.to_string()),
            _ => Err(cx.err(path, format!("expected {what}: a list of names"))),
        })
        .collect()
}

/// `table:` of a block: a valid table name.
fn block_table(cx: &SeedText<'_>, m: &Mapping, prefix: &str) -> Result<String> {
    match m.get("table") {
        Some(Y::String(t))
            if crate::config::valid_identifier(t) || crate::schema::check_ident(t).is_ok() =>
        {
            Ok(t.clone())
        }
        Some(_) => Err(cx.err(&join(prefix, "table"), "`table` must be a table name")),
        None => Err(cx
            .err(prefix, "no `table:`")
            .hint("name the table the rows go into: `table: accounts`")),
    }
}

/// `mode:` of a block (upsert when absent).
fn block_mode(cx: &SeedText<'_>, m: &Mapping, prefix: &str) -> Result<SeedMode> {
    match m.get("mode") {
        None => Ok(SeedMode::Upsert),
        Some(Y::String(s)) => SeedMode::parse(s).ok_or_else(|| {
            cx.err(
                &join(prefix, "mode"),
                format!(
                    "unknown mode `{s}`{}; modes: {}",
                    did_you_mean(s, SeedMode::NAMES),
                    SeedMode::NAMES.join(", ")
                ),
            )
        }),
        Some(_) => Err(cx.err(
            &join(prefix, "mode"),
            "`mode` must be one of upsert, insert_missing, replace, insert",
        )),
    }
}

fn parse_block(cx: &SeedText<'_>, m: &Mapping, prefix: &str, number: usize) -> Result<Block> {
    for k in m.keys() {
        let key = k.as_str().unwrap_or("?");
        if !BLOCK_KEYS.contains(&key) {
            return Err(cx
                .err(
                    &join(prefix, key),
                    format!("unknown key `{key}`{}", did_you_mean(key, BLOCK_KEYS)),
                )
                .hint(format!("a seed block has: {}", BLOCK_KEYS.join(", "))));
        }
    }
    let table = block_table(cx, m, prefix)?;
    let mode = block_mode(cx, m, prefix)?;
    let key = m
        .get("key")
        .map(|v| string_list(cx, v, &join(prefix, "key"), "key columns"))
        .transpose()?;
    if key.as_ref().is_some_and(|k| k.is_empty()) {
        return Err(cx.err(&join(prefix, "key"), "`key` lists no column"));
    }
    let env = m
        .get("env")
        .map(|v| string_list(cx, v, &join(prefix, "env"), "environment names"))
        .transpose()?;
    let foreign_key_checks = match m.get("foreign_key_checks") {
        None => true,
        Some(Y::Bool(b)) => *b,
        Some(_) => {
            return Err(cx.err(
                &join(prefix, "foreign_key_checks"),
                "`foreign_key_checks` must be true or false",
            ))
        }
    };
    let rows = parse_rows(cx, m, prefix)?;
    if let (Some(k), Rows::Inline(rows)) = (&key, &rows) {
        if mode.uses_key() {
            check_key_values(cx, prefix, k, rows)?;
        }
    }
    Ok(Block {
        prefix: prefix.to_string(),
        number,
        table,
        mode,
        key,
        env,
        foreign_key_checks,
        rows,
    })
}

/// Where a block's rows come from: `rows:` written in the file, or `rows_from:` a CSV file.
fn parse_rows(cx: &SeedText<'_>, m: &Mapping, prefix: &str) -> Result<Rows> {
    Ok(match (m.get("rows"), m.get("rows_from")) {
        (Some(_), Some(_)) => {
            return Err(cx
                .err(&join(prefix, "rows_from"), "a block has `rows` or `rows_from`, not both"))
        }
        (None, None) => {
            return Err(cx
                .err(prefix, "no `rows:` (or `rows_from:`)")
                .hint("list the rows, e.g. `rows: [{ id: 1, name: John Smith }]`, or `rows_from: accounts.csv`"))
        }
        (None, Some(Y::String(f))) => {
            let dir = cx.file.path.parent().unwrap_or(Path::new("."));
            let path = dir.join(f);
            let display = cx
                .file
                .display
                .rsplit_once('/')
                .map(|(d, _)| format!("{d}/{f}"))
                .unwrap_or_else(|| f.clone());
            Rows::Csv { path, display }
        }
        (None, Some(_)) => return Err(cx.err(&join(prefix, "rows_from"), "`rows_from` must be a CSV file name")),
        (Some(Y::Null), None) => Rows::Inline(InlineRows::default()),
        (Some(Y::Sequence(items)), None) => {
            let mut rows = InlineRows::default();
            for (i, item) in items.iter().enumerate() {
                let path = join(prefix, &format!("rows[{i}]"));
                let Y::Mapping(rm) = item else {
                    return Err(cx.err(&path, format!("row {} must be a map of column: value", i + 1)));
                };
                let mut columns: Vec<&str> = Vec::with_capacity(rm.len());
                for (k, v) in rm {
                    match k {
                        Y::String(s) => columns.push(s),
                        _ => return Err(cx.err(&path, format!("row {}: column names must be strings", i + 1))),
                    };
                    rows.add(Value::from_yaml(v));
                }
                if columns.is_empty() {
                    return Err(cx.err(&path, format!("row {} has no columns", i + 1)));
                }
                rows.end_row(&columns);
            }
            Rows::Inline(rows)
        }
        (Some(_), None) => return Err(cx.err(&join(prefix, "rows"), "`rows` must be a list of maps")),
    })
}

/// Every row names every key column, with a value.
pub fn check_key_values(
    cx_file: impl KeyCheckCtx,
    prefix: &str,
    key: &[String],
    rows: &InlineRows,
) -> Result<()> {
    for i in 0..rows.len() {
        for k in key {
            match rows.is_null(i, k) {
                None => return Err(cx_file
                    .error(
                        &join(prefix, &format!("rows[{i}]")),
                        format!("row {} has no value for the key column `{k}`", i + 1),
                    )
                    .hint(
                        "every row must name the key columns, so furrow can find it on a re-run",
                    )),
                Some(true) => {
                    return Err(cx_file.error(
                        &join(prefix, &format!("rows[{i}].{k}")),
                        format!("row {}: the key column `{k}` is null", i + 1),
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Lets the key check run at parse time (key given) and at plan time (key read from the table).
pub trait KeyCheckCtx {
    fn error(&self, path: &str, msg: String) -> Error;
}

impl KeyCheckCtx for &SeedText<'_> {
    fn error(&self, path: &str, msg: String) -> Error {
        self.err(path, msg)
    }
}

/// Errors located in a parsed seed, at plan time.
pub struct SeedLocator<'a>(pub &'a ParsedSeed);

impl KeyCheckCtx for SeedLocator<'_> {
    fn error(&self, path: &str, msg: String) -> Error {
        SeedText {
            file: &self.0.file,
            text: &self.0.text,
        }
        .err(path, msg)
    }
}

impl ParsedSeed {
    /// A located error for a YAML path in this seed.
    pub fn error_at(&self, path: &str, msg: impl std::fmt::Display) -> Error {
        SeedText {
            file: &self.file,
            text: &self.text,
        }
        .err(path, msg)
    }
}

pub fn block_path(b: &Block, key: &str) -> String {
    join(&b.prefix, key)
}
