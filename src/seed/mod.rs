//! The seed commands and their one runner: tracked in `furrow_seeds`, one transaction per
//! file (or per run with --atomic), idempotent modes, CSV streamed.

pub mod csv;
mod fastyaml;
pub mod source;

use std::collections::HashSet;
use std::io::BufReader;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::config::Config;
use crate::db::load::{LoadError, LoadSpec, LoadStats, RowSource, SeedMode};
use crate::db::{self, Driver, OpenMode, Value};
use crate::error::{io_error, Error, Kind, Result};
use crate::report::{Output, Report, Style};
use crate::text::did_you_mean;
use crate::track::{self, SeedRow};
use crate::Ctx;

use source::{Block, InlineRows, ParsedSeed, Rows, SeedBody, SeedFile, SeedFormat, SeedLocator};

#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    pub specific: Vec<String>,
    pub changed: bool,
    pub atomic: bool,
    pub dry_run: bool,
    pub force: bool,
}

fn open(ctx: &Ctx, mode: OpenMode) -> Result<Box<dyn Driver>> {
    db::open(ctx.config, mode, ctx.config.seeds.lock_timeout)
}

fn lock(config: &Config) -> db::LockSpec {
    track::lock_spec(
        &config.seeds.table_name,
        &config.database_key(),
        config.seeds.lock_timeout,
    )
}

/// Finds the seeds a person named with --specific / seed:undo NAME: the relative path,
/// with or without extension, or the file name, with or without extension.
pub fn resolve<'a>(query: &str, files: &'a [SeedFile]) -> Result<&'a SeedFile> {
    let q = query.trim_start_matches("./").trim_start_matches("seeds/");
    let exact: Vec<&SeedFile> = files
        .iter()
        .filter(|f| {
            f.name == q
                || f.name.rsplit_once('.').map(|(s, _)| s) == Some(q)
                || f.name.rsplit('/').next() == Some(q)
        })
        .collect();
    let found = if exact.is_empty() {
        files.iter().filter(|f| f.stem() == q).collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::validation(format!(
            "no seed file named `{query}`{}",
            did_you_mean(q, files.iter().map(|f| f.name.as_str()))
        ))
        .hint("`furrow seed:status` lists the seeds; give a file name or its path under the seeds directory")),
        many => Err(Error::validation(format!(
            "`{query}` matches several seeds: {}",
            many.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ))
        .hint("give the path under the seeds directory")),
    }
}

/// A block checked against the live table.
struct PlannedBlock {
    key: Vec<String>,
    key_unique: bool,
    skip: bool,
}

struct Planned {
    seed: ParsedSeed,
    blocks: Vec<PlannedBlock>,
}

impl Planned {
    fn skipped_entirely(&self) -> bool {
        matches!(self.seed.body, SeedBody::Yaml(_))
            && !self.blocks.is_empty()
            && self.blocks.iter().all(|b| b.skip)
    }
}

/// Checks every block against the live database, before any row is written.
fn plan(d: &mut dyn Driver, seed: ParsedSeed, ctx: &Ctx, force: bool) -> Result<Planned> {
    let SeedBody::Yaml(blocks) = &seed.body else {
        return Ok(Planned {
            seed,
            blocks: Vec::new(),
        });
    };
    let mut planned = Vec::with_capacity(blocks.len());
    for b in blocks {
        if !b.applies_to(&ctx.config.env) {
            planned.push(PlannedBlock {
                key: Vec::new(),
                key_unique: false,
                skip: true,
            });
            continue;
        }
        let at = |key: &str| source::block_path(b, key);
        if b.mode == SeedMode::Replace && ctx.config.env == "production" && !force {
            return Err(seed
                .error_at(&at("mode"), format!(
                    "{}: mode `replace` deletes every row of `{}` first, and this is the production environment",
                    b.label(),
                    b.table
                ))
                .hint("pass --force if that is really meant, or use mode upsert"));
        }
        let columns = d.columns(&b.table).map_err(|e| e.into_error())?;
        if columns.is_empty() {
            return Err(seed
                .error_at(
                    &at("table"),
                    format!("{}: the table `{}` does not exist", b.label(), b.table),
                )
                .hint("create it in a migration and run `furrow migrate:latest` first"));
        }
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let has = |c: &str| names.iter().any(|n| n.eq_ignore_ascii_case(c));
        let unknown = |c: &str, path: String| {
            seed.error_at(
                &path,
                format!(
                    "{}: the table `{}` has no column `{c}`{}",
                    b.label(),
                    b.table,
                    did_you_mean(c, names.iter().copied())
                ),
            )
            .hint(format!("its columns: {}", names.join(", ")))
        };
        match &b.rows {
            Rows::Inline(rows) => {
                for (shape, columns) in rows.shapes.iter().enumerate() {
                    if let Some(c) = columns.iter().find(|c| !has(c)) {
                        let i = (0..rows.len())
                            .find(|&r| rows.shape(r) == shape)
                            .unwrap_or(0);
                        return Err(unknown(c, at(&format!("rows[{i}].{c}"))));
                    }
                }
            }
            Rows::Csv { path, display } => {
                let header = csv_header(path, display, &seed.file)?;
                for c in header.iter() {
                    if !has(c) {
                        return Err(
                            unknown(c, at("rows_from")).context(format!("{display} line 1"))
                        );
                    }
                }
            }
        }
        let key = match &b.key {
            Some(k) => {
                for c in k {
                    if !has(c) {
                        return Err(unknown(c, at("key")));
                    }
                }
                k.clone()
            }
            None => d.primary_key(&b.table).map_err(|e| e.into_error())?,
        };
        let mut key_unique = false;
        if b.mode.uses_key() || b.mode == SeedMode::Replace || b.mode == SeedMode::Insert {
            if key.is_empty() && b.mode.uses_key() {
                return Err(seed
                    .error_at(&at("table"), format!(
                        "{}: mode `{}` finds rows by key, but `{}` has no primary key and the block gives no `key:`",
                        b.label(),
                        b.mode.name(),
                        b.table
                    ))
                    .hint("add `key: [column, …]` naming the columns that identify a row"));
            }
            if b.mode.uses_key() {
                match &b.rows {
                    Rows::Inline(rows) if b.key.is_none() => {
                        source::check_key_values(SeedLocator(&seed), &b.prefix, &key, rows)?
                    }
                    Rows::Csv { path, display } => {
                        let header = csv_header(path, display, &seed.file)?;
                        if let Some(k) = key.iter().find(|k| !header.contains(k)) {
                            return Err(Error::validation(format!(
                                "{display} line 1: the header has no key column `{k}` (seed {}, {})",
                                seed.file.display,
                                b.label()
                            ))
                            .hint("add the column, or give the block a `key:` that the CSV has"));
                        }
                    }
                    _ => {}
                }
                let mut wanted: Vec<String> = key.iter().map(|k| k.to_ascii_lowercase()).collect();
                wanted.sort();
                key_unique = d
                    .unique_keys(&b.table)
                    .map_err(|e| e.into_error())?
                    .into_iter()
                    .any(|mut u| {
                        u.iter_mut().for_each(|c| *c = c.to_ascii_lowercase());
                        u.sort();
                        u == wanted
                    });
            }
        }
        planned.push(PlannedBlock {
            key,
            key_unique,
            skip: false,
        });
    }
    Ok(Planned {
        seed,
        blocks: planned,
    })
}

fn open_csv(path: &std::path::Path) -> Result<csv::CsvReader<BufReader<std::fs::File>>> {
    let f = std::fs::File::open(path).map_err(|e| io_error("open", path, &e))?;
    Ok(csv::CsvReader::new(BufReader::with_capacity(256 * 1024, f)))
}

/// A CSV reader past its header, and the header's column names.
fn open_csv_with_header(
    path: &std::path::Path,
    display: &str,
) -> Result<(csv::CsvReader<BufReader<std::fs::File>>, Vec<String>)> {
    let mut reader = open_csv(path)?;
    match reader.next_record() {
        Ok(Some((_, h))) => Ok((
            reader,
            h.into_iter()
                .map(|c| c.unwrap_or_default().trim().to_string())
                .collect(),
        )),
        Ok(None) => Err(Error::validation(format!("{display}: the file is empty"))),
        Err(e) => Err(Error::validation(format!(
            "{display} line {}: {}",
            e.line, e.message
        ))),
    }
}

fn csv_header(path: &std::path::Path, display: &str, seed: &SeedFile) -> Result<Vec<String>> {
    let mut r = open_csv(path)?;
    let header = r
        .next_record()
        .map_err(|e| Error::validation(format!("{display} line {}: {}", e.line, e.message)))?
        .ok_or_else(|| {
            Error::validation(format!(
                "{display}: the file is empty; its first line must name the columns (seed {})",
                seed.display
            ))
        })?
        .1;
    header
        .into_iter()
        .enumerate()
        .map(|(i, h)| match h {
            Some(h) if !h.trim().is_empty() => Ok(h.trim().to_string()),
            _ => Err(Error::validation(format!(
                "{display} line 1: column {} of the header has no name",
                i + 1
            ))),
        })
        .collect()
}

/// Shows rows/s for a seed that runs longer than a second, on a terminal only.
struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: bool,
}

impl Progress {
    fn new(out: &Output, label: &str, total: Option<u64>) -> Self {
        let bar = out.interactive.then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
            let style = match total {
                Some(_) => ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} rows ({rate}, {elapsed})",
                ),
                None => {
                    ProgressStyle::with_template("{spinner} {msg} {pos} rows ({rate}, {elapsed})")
                }
            }
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", s.per_sec());
                },
            );
            bar.set_style(style.progress_chars("=> "));
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: false,
        }
    }

    fn at(&mut self, n: u64) {
        let Some(bar) = &self.bar else { return };
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        bar.set_position(n);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What one seed file did.
#[derive(Debug, Default, Clone)]
struct FileOutcome {
    stats: LoadStats,
    /// SQL seeds: rows the statements changed.
    affected: u64,
    skipped_blocks: Vec<String>,
    duration_ms: i64,
}

impl FileOutcome {
    fn rows(&self) -> u64 {
        self.stats.written() + self.affected
    }

    fn summary(&self, format: SeedFormat) -> String {
        let s = &self.stats;
        let mut parts = Vec::new();
        match format {
            SeedFormat::Sql => parts.push(format!("{} rows affected", self.affected)),
            SeedFormat::Yaml => {
                if s.deleted > 0 {
                    parts.push(format!("{} deleted", s.deleted));
                }
                parts.push(format!("{} inserted", s.inserted));
                parts.push(format!("{} updated", s.updated));
                parts.push(format!("{} unchanged", s.unchanged));
            }
        }
        if !self.skipped_blocks.is_empty() {
            parts.push(format!("skipped {}", self.skipped_blocks.join(", ")));
        }
        parts.join(", ")
    }
}

/// Runs one planned seed on the open transaction.
fn run_planned(d: &mut dyn Driver, p: &Planned, ctx: &Ctx) -> Result<FileOutcome> {
    let started = Instant::now();
    let mut outcome = FileOutcome::default();
    match &p.seed.body {
        SeedBody::Sql { run, .. } => {
            for s in run {
                crate::interrupt::check()?;
                ctx.out.statement(
                    &format!("{} statement {}", p.seed.file.name, s.number),
                    &s.sql,
                );
                outcome.affected += d.execute(&s.sql, &[]).map_err(|e| {
                    let e = e.into_error();
                    if e.is_interrupted() {
                        e
                    } else {
                        e.context(format!(
                            "{} line {}: statement {} failed",
                            p.seed.file.display, s.line, s.number
                        ))
                    }
                })?;
            }
        }
        SeedBody::Yaml(blocks) => {
            let mut replaced: HashSet<String> = HashSet::new();
            for (b, pb) in blocks.iter().zip(&p.blocks) {
                if pb.skip {
                    outcome.skipped_blocks.push(format!(
                        "{} (env: {})",
                        b.label(),
                        b.env.as_deref().unwrap_or_default().join(", ")
                    ));
                    continue;
                }
                let relax = !b.foreign_key_checks;
                if relax {
                    d.relax_foreign_keys(true).map_err(|e| e.into_error())?;
                }
                let result = run_block(d, p, b, pb, ctx, &mut replaced);
                if relax {
                    let reset = d.relax_foreign_keys(false);
                    if result.is_ok() {
                        reset.map_err(|e| e.into_error())?;
                    }
                }
                outcome.stats.add(result?);
            }
        }
    }
    outcome.duration_ms = started.elapsed().as_millis() as i64;
    Ok(outcome)
}

/// Lines of the last rows pulled from a CSV, so a failed batch can name its lines.
struct LineRing {
    lines: Vec<usize>,
}

impl LineRing {
    const SIZE: usize = 8192;
    fn new() -> Self {
        LineRing {
            lines: vec![0; Self::SIZE],
        }
    }
    fn set(&mut self, row: u64, line: usize) {
        self.lines[(row as usize) % Self::SIZE] = line;
    }
    fn get(&self, row: u64) -> usize {
        self.lines[(row as usize) % Self::SIZE]
    }
}

/// Lends a run of inline rows as they are stored.
struct InlineSource<'a> {
    rows: &'a InlineRows,
    next: usize,
    end: usize,
    buf: Vec<Value>,
}

impl RowSource for InlineSource<'_> {
    fn next_row(&mut self) -> Result<Option<&[Value]>> {
        if self.next >= self.end {
            return Ok(None);
        }
        let width = self.rows.columns(self.next).len();
        self.buf.resize(width, Value::Null);
        self.rows.row_into(self.next, &mut self.buf);
        self.next += 1;
        Ok(Some(&self.buf))
    }

    fn fill_row(&mut self, out: &mut [Value]) -> Result<bool> {
        if self.next >= self.end {
            return Ok(false);
        }
        self.rows.row_into(self.next, out);
        self.next += 1;
        Ok(true)
    }
}

/// Streams a CSV file, one reused row buffer: no allocation per row.
struct CsvSource<'a, R> {
    reader: csv::CsvReader<R>,
    row: Vec<Value>,
    width: usize,
    key_idx: Vec<usize>,
    header: &'a [String],
    ring: LineRing,
    row_no: u64,
    display: &'a str,
}

impl<R: std::io::BufRead> CsvSource<'_, R> {
    /// Checks a record just read into `row`.
    fn check(&mut self, line: usize, fields: usize, row: &[Value]) -> Result<()> {
        let display = self.display;
        self.row_no += 1;
        self.ring.set(self.row_no, line);
        if fields != self.width {
            return Err(Error::validation(format!(
                "{display} line {line}: {fields} field(s), but the header has {}",
                self.width
            ))
            .hint("every line needs one value per header column (an empty field is NULL; \"\" is an empty string)"));
        }
        for &k in &self.key_idx {
            if row[k].is_null() {
                return Err(Error::validation(format!(
                    "{display} line {line}: the key column `{}` is empty",
                    self.header[k]
                )));
            }
        }
        Ok(())
    }

    fn read_error(&self, e: csv::CsvError) -> Error {
        Error::validation(format!("{} line {}: {}", self.display, e.line, e.message))
    }
}

impl<R: std::io::BufRead> RowSource for CsvSource<'_, R> {
    fn next_row(&mut self) -> Result<Option<&[Value]>> {
        let mut row = std::mem::take(&mut self.row);
        let read = self.reader.read_into(&mut row);
        let result = match read {
            Err(e) => Err(self.read_error(e)),
            Ok(None) => Ok(None),
            Ok(Some((line, fields))) => self.check(line, fields, &row).map(|_| Some(fields)),
        };
        self.row = row;
        Ok(result?.map(|fields| &self.row[..fields]))
    }

    fn fill_row(&mut self, out: &mut [Value]) -> Result<bool> {
        match self.reader.read_into_slots(out) {
            Err(e) => Err(self.read_error(e)),
            Ok(None) => Ok(false),
            Ok(Some((line, fields))) => self.check(line, fields, out).map(|_| true),
        }
    }
}

fn run_block(
    d: &mut dyn Driver,
    p: &Planned,
    b: &Block,
    pb: &PlannedBlock,
    ctx: &Ctx,
    replaced: &mut HashSet<String>,
) -> Result<LoadStats> {
    let mut stats = LoadStats::default();
    let seed = &p.seed;
    let q = |s: &str| d.dialect().quote_ident(s);
    if b.mode == SeedMode::Replace && replaced.insert(b.table.to_ascii_lowercase()) {
        // DELETE, not TRUNCATE: TRUNCATE would commit on MySQL.
        let sql = format!("DELETE FROM {}", q(&b.table));
        ctx.out.statement(&seed.file.name, &sql);
        stats.deleted += d.execute(&sql, &[]).map_err(|e| {
            e.into_error().context(format!(
                "{}: {}: clearing the table failed",
                seed.file.display,
                b.label()
            ))
        })?;
    }
    let mode = if b.mode == SeedMode::Replace {
        SeedMode::Insert
    } else {
        b.mode
    };
    let label = format!("{} → {}", seed.file.name, b.table);
    match &b.rows {
        Rows::Inline(rows) => {
            let mut progress = Progress::new(ctx.out, &label, Some(rows.len() as u64));
            // Rows are loaded in runs of rows that name the same columns.
            let mut start = 0;
            while start < rows.len() {
                let shape = rows.shape(start);
                let end = (start..rows.len())
                    .find(|&r| rows.shape(r) != shape)
                    .unwrap_or(rows.len());
                let spec = LoadSpec {
                    table: &b.table,
                    columns: &rows.shapes[shape],
                    key: &pb.key,
                    mode,
                    key_unique: pb.key_unique,
                };
                ctx.out.statement(
                    &seed.file.name,
                    &crate::db::load::insert_sql(d.dialect(), &spec, 1),
                );
                let mut src = InlineSource {
                    rows,
                    next: start,
                    end,
                    buf: Vec::new(),
                };
                let base = start as u64;
                let result = d.load(&spec, &mut src, &mut |n| progress.at(base + n));
                match result {
                    Ok(s) => stats.add(s),
                    Err(LoadError {
                        error,
                        rows: (a, z),
                    }) => {
                        progress.finish();
                        if error.is_interrupted() {
                            return Err(error);
                        }
                        let first = start + a.max(1) as usize - 1;
                        let last = start + z.max(1) as usize - 1;
                        let path = source::block_path(b, &format!("rows[{first}]"));
                        let which = if first == last {
                            format!("row {}", first + 1)
                        } else {
                            format!("rows {}–{}", first + 1, last + 1)
                        };
                        return Err(seed.error_at(
                            &path,
                            format!("{}, {which}: {}", b.label(), error.message),
                        ));
                    }
                }
                start = end;
            }
            progress.finish();
        }
        Rows::Csv { path, display } => {
            let (reader, header) = open_csv_with_header(path, display)?;
            let key_idx: Vec<usize> = if mode.uses_key() {
                pb.key
                    .iter()
                    .filter_map(|k| header.iter().position(|h| h == k))
                    .collect()
            } else {
                Vec::new()
            };
            let spec = LoadSpec {
                table: &b.table,
                columns: &header,
                key: &pb.key,
                mode,
                key_unique: pb.key_unique,
            };
            ctx.out.statement(
                &seed.file.name,
                &crate::db::load::insert_sql(d.dialect(), &spec, 1),
            );
            let mut progress = Progress::new(ctx.out, &label, None);
            let mut src = CsvSource {
                reader,
                row: Vec::with_capacity(header.len()),
                width: header.len(),
                key_idx,
                header: &header,
                ring: LineRing::new(),
                row_no: 0,
                display,
            };
            let result = d.load(&spec, &mut src, &mut |n| progress.at(n));
            progress.finish();
            let ring = src.ring;
            match result {
                Ok(s) => stats.add(s),
                Err(LoadError {
                    error,
                    rows: (a, z),
                }) => {
                    if error.is_interrupted() || error.message.starts_with(display.as_str()) {
                        return Err(error.context(format!("{}: {}", seed.file.display, b.label())));
                    }
                    let where_ = if a == z {
                        format!("line {}", ring.get(a))
                    } else {
                        format!("lines {}–{}", ring.get(a), ring.get(z))
                    };
                    return Err(Error::database(format!(
                        "{display} {where_}: {} (seed {}, {})",
                        error.message,
                        seed.file.display,
                        b.label()
                    )));
                }
            }
        }
    }
    Ok(stats)
}

/// Parses the chosen seeds and checks them against the database: all before anything runs.
fn parse_all(files: &[&SeedFile], dialect: db::Dialect) -> Result<Vec<ParsedSeed>> {
    files.iter().map(|f| source::parse(f, dialect)).collect()
}

fn select<'a>(files: &'a [SeedFile], opts: &RunOpts) -> Result<Vec<&'a SeedFile>> {
    if opts.specific.is_empty() {
        return Ok(files.iter().collect());
    }
    let mut chosen: Vec<&SeedFile> = Vec::new();
    for s in &opts.specific {
        let f = resolve(s, files)?;
        if !chosen.iter().any(|c| c.name == f.name) {
            chosen.push(f);
        }
    }
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(chosen)
}

pub fn run(ctx: &Ctx, opts: &RunOpts) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let chosen = select(&files, opts)?;
    let mut r = ctx.report("seed:run");
    if files.is_empty() {
        r.line(Style::Success, "No seed files exist")
            .set("seeds", json!([]));
        return Ok(r);
    }
    let table = ctx.config.seeds.table_name.clone();
    if opts.dry_run {
        let mut d = open(ctx, OpenMode::ReadOnly)?;
        let rows = if d.table_exists(&table).map_err(|e| e.into_error())? {
            track::read_seeds(&mut *d, &table)?
        } else {
            Vec::new()
        };
        let planned = prepare(&mut *d, ctx, &chosen, &rows, opts)?;
        return Ok(dry_run_report(ctx, r, &planned));
    }
    let mut d = open(ctx, OpenMode::ReadWrite)?;
    track::ensure_seed_tables(&mut *d, &table)?;
    track::with_lock(&mut *d, &lock(ctx.config), ctx.out, |d| {
        let rows = track::read_seeds(d, &table)?;
        let planned = prepare(d, ctx, &chosen, &rows, opts)?;
        let mut ran: Vec<(String, FileOutcome, SeedFormat)> = Vec::new();
        let mut skipped: Vec<String> = Vec::new();
        if opts.atomic {
            d.begin().map_err(|e| e.into_error())?;
        }
        for p in &planned {
            if p.skipped_entirely() {
                skipped.push(p.seed.file.name.clone());
                continue;
            }
            if !opts.atomic {
                d.begin().map_err(|e| e.into_error())?;
            }
            // The checksum reads the CSVs again: on the other core, while the rows load.
            let result = std::thread::scope(|s| {
                let checksum = s.spawn(|| p.seed.checksum());
                let outcome = run_planned(d, p, ctx);
                let checksum = checksum
                    .join()
                    .unwrap_or_else(|_| Err(Error::io("computing the seed's checksum failed")));
                let (o, sum) = (outcome?, checksum?);
                track::record_seed(
                    d,
                    &table,
                    &p.seed.file.name,
                    &sum,
                    o.rows() as i64,
                    o.duration_ms,
                )?;
                Ok(o)
            });
            match result {
                Ok(o) => {
                    if !opts.atomic {
                        d.commit().map_err(|e| e.into_error())?;
                    }
                    ran.push((p.seed.file.name.clone(), o, p.seed.file.format));
                }
                Err(e) => {
                    let _ = d.rollback();
                    return Err(seed_failure(e, &p.seed.file, &ran, opts.atomic));
                }
            }
        }
        if opts.atomic {
            d.commit().map_err(|e| e.into_error())?;
        }
        let mut items = Vec::new();
        let n = ran.len();
        r.line(
            Style::Success,
            format!("Ran {n} seed file{}", if n == 1 { "" } else { "s" }),
        );
        for (name, o, format) in &ran {
            r.line(
                Style::Item,
                format!("{name}: {} ({} ms)", o.summary(*format), o.duration_ms),
            );
            items.push(json!({
                "name": name, "inserted": o.stats.inserted, "updated": o.stats.updated,
                "unchanged": o.stats.unchanged, "deleted": o.stats.deleted, "affected": o.affected,
                "duration_ms": o.duration_ms, "skipped_blocks": o.skipped_blocks,
            }));
        }
        if !skipped.is_empty() {
            r.line(
                Style::Plain,
                format!(
                    "Skipped {} seed file(s) not meant for environment `{}`:",
                    skipped.len(),
                    ctx.config.env
                ),
            );
            for s in &skipped {
                r.line(Style::Dim, format!("  {s}"));
            }
        }
        if n == 0 && skipped.is_empty() && opts.changed {
            r.line(Style::Plain, "No new or changed seeds.");
        }
        r.set("seeds", json!(items)).set("skipped", json!(skipped));
        Ok(r)
    })
}

fn seed_failure(
    e: Error,
    file: &SeedFile,
    ran: &[(String, FileOutcome, SeedFormat)],
    atomic: bool,
) -> Error {
    if e.is_interrupted() {
        return Error::interrupted()
            .context(format!("{} was rolled back", file.display))
            .detail(if atomic {
                "the whole run was rolled back (--atomic)"
            } else {
                "seeds that finished before it are kept"
            });
    }
    let names: Vec<&str> = ran.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut e = e.detail(format!(
        "{} was rolled back: none of its rows were written",
        file.name
    ));
    if !names.is_empty() {
        e = if atomic {
            e.detail(format!(
                "--atomic: the seeds before it were rolled back too: {}",
                names.join(", ")
            ))
        } else {
            e.detail(format!(
                "seeds that ran before it are kept: {}",
                names.join(", ")
            ))
            .with_data("ran", json!(names))
        };
    }
    e
}

/// Picks, parses and plans the seeds of a run: everything is checked before anything runs.
fn prepare(
    d: &mut dyn Driver,
    ctx: &Ctx,
    chosen: &[&SeedFile],
    rows: &[SeedRow],
    opts: &RunOpts,
) -> Result<Vec<Planned>> {
    let parsed = parse_all(chosen, d.dialect())?;
    let parsed: Vec<ParsedSeed> = if opts.changed {
        let mut changed = Vec::new();
        for p in parsed {
            let sum = p.checksum()?;
            if !rows
                .iter()
                .any(|r| r.name == p.file.name && r.checksum == sum)
            {
                changed.push(p);
            }
        }
        changed
    } else {
        parsed
    };
    parsed
        .into_iter()
        .map(|p| plan(d, p, ctx, opts.force))
        .collect()
}

fn dry_run_report(_ctx: &Ctx, mut r: Report, planned: &[Planned]) -> Report {
    r.set("dry_run", true);
    r.line(
        Style::Success,
        format!(
            "Would run {} seed file(s):",
            planned.iter().filter(|p| !p.skipped_entirely()).count()
        ),
    );
    let mut items = Vec::new();
    for p in planned {
        match &p.seed.body {
            SeedBody::Sql { run, .. } => {
                r.line(
                    Style::Item,
                    format!("{}: {} SQL statement(s)", p.seed.file.name, run.len()),
                );
                items.push(json!({"name": p.seed.file.name, "statements": run.len()}));
            }
            SeedBody::Yaml(blocks) => {
                let mut bl = Vec::new();
                for (b, pb) in blocks.iter().zip(&p.blocks) {
                    let count = match &b.rows {
                        Rows::Inline(rows) => Some(rows.len() as u64),
                        Rows::Csv { path, .. } => count_csv_rows(path),
                    };
                    let count_text = count.map(|c| c.to_string()).unwrap_or_else(|| "?".into());
                    let state = if pb.skip { " (skipped: env)" } else { "" };
                    r.line(
                        Style::Item,
                        format!(
                            "{}: {} ← {count_text} rows, mode {}{}{state}",
                            p.seed.file.name,
                            b.table,
                            b.mode.name(),
                            if pb.key.is_empty() {
                                String::new()
                            } else {
                                format!(", key {}", pb.key.join(", "))
                            }
                        ),
                    );
                    bl.push(json!({"table": b.table, "mode": b.mode.name(), "key": pb.key, "rows": count, "skipped": pb.skip}));
                }
                items.push(json!({"name": p.seed.file.name, "blocks": bl}));
            }
        }
    }
    r.line(Style::Dim, "Dry run: nothing was changed.");
    r.set("seeds", json!(items));
    r
}

fn count_csv_rows(path: &std::path::Path) -> Option<u64> {
    let mut r = open_csv(path).ok()?;
    let mut n = 0u64;
    while r.next_record().ok()?.is_some() {
        n += 1;
    }
    Some(n.saturating_sub(1))
}

/// The states `seed:status` shows.
fn state_of(
    parsed: &std::result::Result<ParsedSeed, Error>,
    row: Option<&SeedRow>,
) -> &'static str {
    match (parsed, row) {
        (Err(_), _) => "invalid",
        (Ok(_), None) => "never_run",
        (Ok(p), Some(r)) if p.checksum().is_ok_and(|c| c == r.checksum) => "up_to_date",
        (Ok(_), Some(_)) => "changed",
    }
}

pub fn status(ctx: &Ctx) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let mut d = open(ctx, OpenMode::ReadWrite)?;
    let table = &ctx.config.seeds.table_name;
    track::ensure_seed_tables(&mut *d, table)?;
    let rows = track::read_seeds(&mut *d, table)?;
    let dialect = d.dialect();
    let mut r = ctx.report("seed:status");
    let mut items = Vec::new();
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for row in &rows {
        if !names.contains(&row.name.as_str()) {
            names.push(&row.name);
        }
    }
    names.sort_unstable();
    for name in names {
        let row = rows.iter().find(|r| r.name == name);
        let file = files.iter().find(|f| f.name == name);
        let (state, detail, style) = match file {
            None => (
                "missing",
                "tracked, but the file is gone".to_string(),
                Style::Problem,
            ),
            Some(f) => {
                let parsed = source::parse(f, dialect);
                let state = state_of(&parsed, row);
                let detail = match (state, row, &parsed) {
                    ("invalid", _, Err(e)) => e.message.clone(),
                    ("up_to_date", Some(r), _) => {
                        format!("runs: {}, last run {}", r.run_count, r.last_run_at)
                    }
                    ("changed", Some(r), _) => format!(
                        "changed since its last run {} (runs: {})",
                        r.last_run_at, r.run_count
                    ),
                    _ => String::new(),
                };
                let style = match state {
                    "up_to_date" => Style::Item,
                    "never_run" | "changed" => Style::Attention,
                    _ => Style::Problem,
                };
                (state, detail, style)
            }
        };
        let label = format!("{:<11}{name}", state.replace('_', " "));
        r.line(
            style,
            if detail.is_empty() {
                label
            } else {
                format!("{label}  ({detail})")
            },
        );
        let mut j = json!({"name": name, "state": state});
        if let Some(row) = row {
            j["run_count"] = json!(row.run_count);
            j["first_run_at"] = json!(row.first_run_at);
            j["last_run_at"] = json!(row.last_run_at);
            j["last_rows"] = json!(row.last_rows);
        }
        items.push(j);
    }
    if items.is_empty() {
        r.line(Style::Plain, "No seed files exist");
    }
    r.set("items", json!(items));
    Ok(r)
}

pub fn undo(ctx: &Ctx, name: Option<&str>, all: bool) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let table = ctx.config.seeds.table_name.clone();
    let mut d = open(ctx, OpenMode::ReadWrite)?;
    track::ensure_seed_tables(&mut *d, &table)?;
    track::with_lock(&mut *d, &lock(ctx.config), ctx.out, |d| {
        let rows = track::read_seeds(d, &table)?;
        let mut r = ctx.report("seed:undo");
        // Which seeds: the named one, all tracked ones (newest name first), or the last run.
        let targets: Vec<&SeedFile> = if let Some(n) = name {
            let f = resolve(n, &files)?;
            if !rows.iter().any(|row| row.name == f.name) {
                r.line(
                    Style::Success,
                    format!("Nothing to undo: {} has not been run", f.name),
                )
                .set("undone", json!([]));
                return Ok(r);
            }
            vec![f]
        } else {
            let mut tracked: Vec<&SeedRow> = rows.iter().collect();
            if all {
                tracked.sort_by(|a, b| b.name.cmp(&a.name));
            } else {
                tracked.sort_by(|a, b| b.last_run_at.cmp(&a.last_run_at).then(b.name.cmp(&a.name)));
                tracked.truncate(1);
            }
            let missing: Vec<&str> = tracked
                .iter()
                .filter(|t| !files.iter().any(|f| f.name == t.name))
                .map(|t| t.name.as_str())
                .collect();
            if !missing.is_empty() {
                return Err(Error::new(
                    Kind::MissingFile,
                    format!(
                    "cannot undo {}: the file is gone, so furrow cannot tell which rows it wrote",
                    missing.join(", ")
                ),
                )
                .hint("restore the file(s) from version control; nothing was undone"));
            }
            tracked
                .iter()
                .filter_map(|t| files.iter().find(|f| f.name == t.name))
                .collect()
        };
        if targets.is_empty() {
            r.line(Style::Success, "Nothing to undo: no seed has been run")
                .set("undone", json!([]));
            return Ok(r);
        }
        // Plan, then act: every seed is read and checked first.
        let parsed = parse_all(&targets, d.dialect())?;
        let mut planned = Vec::new();
        for p in parsed {
            if let SeedBody::Sql { undo: None, .. } = &p.body {
                return Err(Error::validation(format!(
                    "{} cannot be undone: it has no `-- seed:undo` section",
                    p.file.display
                ))
                .hint("add `-- seed:undo` followed by the statements that remove its rows"));
            }
            planned.push(plan(d, p, ctx, true)?);
        }
        let mut done = Vec::new();
        for p in &planned {
            d.begin().map_err(|e| e.into_error())?;
            let result = undo_one(d, p, ctx).and_then(|n| {
                track::delete_seed(d, &table, &p.seed.file.name)?;
                Ok(n)
            });
            match result {
                Ok(n) => {
                    d.commit().map_err(|e| e.into_error())?;
                    r.line(
                        Style::Item,
                        format!("{}: {n} rows deleted", p.seed.file.name),
                    );
                    done.push(json!({"name": p.seed.file.name, "deleted": n}));
                }
                Err(e) => {
                    let _ = d.rollback();
                    return Err(
                        e.detail(format!("{} was not undone (rolled back)", p.seed.file.name))
                    );
                }
            }
        }
        r.lines.insert(
            1,
            (
                Style::Success,
                format!(
                    "Undid {} seed file{}",
                    done.len(),
                    if done.len() == 1 { "" } else { "s" }
                ),
            ),
        );
        r.set("undone", json!(done));
        Ok(r)
    })
}

/// Deletes exactly the rows a YAML seed declares (by key), or runs an SQL seed's undo part.
fn undo_one(d: &mut dyn Driver, p: &Planned, ctx: &Ctx) -> Result<u64> {
    let mut deleted = 0;
    match &p.seed.body {
        SeedBody::Sql { undo, .. } => {
            for s in undo.iter().flatten() {
                ctx.out.statement(&p.seed.file.name, &s.sql);
                deleted += d.execute(&s.sql, &[]).map_err(|e| {
                    e.into_error().context(format!(
                        "{} line {}: undo statement {} failed",
                        p.seed.file.display, s.line, s.number
                    ))
                })?;
            }
        }
        SeedBody::Yaml(blocks) => {
            for (b, pb) in blocks.iter().zip(&p.blocks).rev() {
                if pb.skip {
                    continue;
                }
                if pb.key.is_empty() {
                    return Err(Error::validation(format!(
                        "{}: {}: cannot tell its rows apart: `{}` has no primary key and the block gives no `key:`",
                        p.seed.file.display,
                        b.label(),
                        b.table
                    ))
                    .hint("add `key:` to the block"));
                }
                let q = |s: &str| d.dialect().quote_ident(s);
                let cond: Vec<String> = pb.key.iter().map(|k| format!("{} = ?", q(k))).collect();
                let sql = format!("DELETE FROM {} WHERE {}", q(&b.table), cond.join(" AND "));
                ctx.out.statement(&p.seed.file.name, &sql);
                let mut delete = |values: Vec<Value>| -> Result<()> {
                    deleted += d.execute(&sql, &values).map_err(|e| e.into_error())?;
                    Ok(())
                };
                match &b.rows {
                    Rows::Inline(rows) => {
                        for i in 0..rows.len() {
                            let values = pb
                                .key
                                .iter()
                                .map(|k| rows.value(i, k).unwrap_or(Value::Null))
                                .collect();
                            delete(values)?;
                        }
                    }
                    Rows::Csv { path, display } => {
                        let (mut reader, header) = open_csv_with_header(path, display)?;
                        let idx: Vec<usize> = pb
                            .key
                            .iter()
                            .map(|k| {
                                header.iter().position(|h| h == k).ok_or_else(|| {
                                    Error::validation(format!(
                                        "{display} line 1: the header has no key column `{k}`"
                                    ))
                                })
                            })
                            .collect::<Result<_>>()?;
                        while let Some((line, rec)) = reader.next_record().map_err(|e| {
                            Error::validation(format!("{display} line {}: {}", e.line, e.message))
                        })? {
                            let values = idx
                                .iter()
                                .map(|&i| {
                                    rec.get(i).cloned().flatten().map(Value::Text).ok_or_else(
                                        || {
                                            Error::validation(format!(
                                                "{display} line {line}: the key column is empty"
                                            ))
                                        },
                                    )
                                })
                                .collect::<Result<_>>()?;
                            delete(values)?;
                        }
                    }
                }
            }
        }
    }
    Ok(deleted)
}

pub fn unlock(ctx: &Ctx) -> Result<Report> {
    let mut d = open(ctx, OpenMode::ReadWrite)?;
    track::ensure_seed_tables(&mut *d, &ctx.config.seeds.table_name)?;
    let held = d
        .force_unlock(&lock(ctx.config))
        .map_err(|e| e.into_error())?;
    let mut r = ctx.report("seed:unlock");
    match &held {
        Some(h) => r.line(
            Style::Success,
            format!("Seed lock released (it was held by {h})"),
        ),
        None => r.line(Style::Success, "The seed lock was not held"),
    };
    r.set("was_held", held.is_some());
    Ok(r)
}

/// `seed:make NAME`: a new seed file; with a live table of that name, the template names
/// its key and carries a sample row with every column and its type.
pub fn make(ctx: &Ctx, name: &str, ext: Option<&str>, timestamp_prefix: bool) -> Result<Report> {
    crate::scaffold::check_name(name, "seed")?;
    let ext = ext.unwrap_or(&ctx.config.seeds.extension);
    let (template, ext) = match ext {
        "sql" => (crate::scaffold::SEED_SQL, "sql"),
        _ => (crate::scaffold::SEED_YAML, "yaml"),
    };
    let file_name = if timestamp_prefix || ctx.config.seeds.timestamp_filename_prefix {
        format!("{}_{name}.{ext}", crate::clock::timestamp_prefix())
    } else {
        format!("{name}.{ext}")
    };
    let path = ctx.config.seeds.directories[0].join(&file_name);
    if path.exists() {
        return Err(Error::validation(format!(
            "{} already exists; furrow never overwrites a file",
            ctx.config.display_path(&path)
        ))
        .hint("choose another name, or edit the existing seed"));
    }
    let mut tctx = tera::Context::new();
    tctx.insert("name", name);
    tctx.insert("table", name);
    let mut live = false;
    // The database is a help here, not a requirement.
    if let Ok(mut d) = open(ctx, OpenMode::ReadOnly) {
        if let Ok(cols) = d.columns(name) {
            if !cols.is_empty() {
                live = true;
                let key = d.primary_key(name).unwrap_or_default();
                let columns: Vec<serde_json::Value> = cols
                    .iter()
                    .map(|c| {
                        let mut notes = vec![c.data_type.clone()];
                        if c.primary_key > 0 {
                            notes.push("primary key".into());
                        }
                        if !c.nullable {
                            notes.push("not null".into());
                        }
                        if let Some(def) = &c.default {
                            notes.push(format!("default {def}"));
                        }
                        json!({"name": c.name, "type": c.data_type, "sample": sample_value(&c.data_type), "notes": notes.join(", ")})
                    })
                    .collect();
                tctx.insert("columns", &columns);
                tctx.insert("key", &key);
            }
        }
    }
    tctx.insert("live", &live);
    let content = crate::scaffold::render(Some(&ctx.config.base_dir), template, &tctx)?;
    crate::scaffold::write_new(&path, &content)?;
    let shown = ctx.config.display_path(&path);
    let mut r = Report::new("seed:make");
    r.line(Style::Success, format!("Created seed file: {shown}"));
    if live {
        r.line(
            Style::Dim,
            format!("The template lists the columns of the live table `{name}`."),
        );
    }
    r.set("path", shown).set("table_found", live);
    Ok(r)
}

/// A plausible sample value for a column type, for the commented sample row.
fn sample_value(ty: &str) -> String {
    let t = ty.to_ascii_lowercase();
    if t.contains("int") {
        "1".into()
    } else if t.contains("bool") {
        "true".into()
    } else if t.contains("dec")
        || t.contains("float")
        || t.contains("double")
        || t.contains("real")
        || t.contains("num")
    {
        "1.5".into()
    } else if t.starts_with("datetime") || t.starts_with("timestamp") {
        "\"2024-01-01 00:00:00\"".into()
    } else if t.starts_with("date") {
        "\"2024-01-01\"".into()
    } else if t.starts_with("time") {
        "\"12:00:00\"".into()
    } else if t.contains("json") {
        "{}".into()
    } else {
        "\"\"".into()
    }
}
