//! The seed runner: one transaction per file (or per run with --atomic), each file's
//! blocks loaded in their modes, recorded in the tracking table; and undo.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::Event;
use serde_json::json;

use crate::ctx::Ctx;
use crate::db::load::{LoadError, LoadSpec, LoadStats, SeedMode};
use crate::db::{Driver, Value};
use crate::error::{Error, Result};
use crate::report::Output;
use crate::track;

use super::plan::{Planned, PlannedBlock};
use super::rows::{self, CsvSource, InlineSource, LineRing};
use super::source::{self, Block, InlineRows, ParsedSeed, Rows, SeedBody, SeedFile, SeedFormat};

/// What ran: each seed's name, outcome and format, in order.
pub type Ran = Vec<(String, FileOutcome, SeedFormat)>;

/// Runs the planned seeds (the caller holds the lock): each in its transaction, or all in
/// one with `atomic`; a failure rolls back and says what ran before it.
pub fn run_all(
    d: &mut dyn Driver,
    ctx: &Ctx,
    table: &str,
    planned: &[Planned],
    atomic: bool,
) -> Result<(Ran, Vec<String>)> {
    let mut ran: Ran = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    if atomic {
        d.begin()?;
    }
    for p in planned {
        if p.skipped_entirely() {
            skipped.push(p.seed.file.name.clone());
            continue;
        }
        if !atomic {
            d.begin()?;
        }
        match run_recorded(d, ctx, table, p) {
            Ok(o) => {
                if !atomic {
                    d.commit()?;
                }
                ran.push((p.seed.file.name.clone(), o, p.seed.file.format));
            }
            Err(e) => {
                let _ = d.rollback();
                return Err(seed_failure(e, &p.seed.file, &ran, atomic));
            }
        }
    }
    if atomic {
        d.commit()?;
    }
    Ok((ran, skipped))
}

/// Runs one seed and records it, on the open transaction.
fn run_recorded(d: &mut dyn Driver, ctx: &Ctx, table: &str, p: &Planned) -> Result<FileOutcome> {
    // The checksum reads the CSVs again: on the other core, while the rows load.
    std::thread::scope(|s| {
        let checksum = s.spawn(|| p.seed.checksum());
        let outcome = run_planned(d, p, ctx);
        let checksum = checksum
            .join()
            .unwrap_or_else(|_| Err(Error::io("computing the seed's checksum failed")));
        let (o, sum) = (outcome?, checksum?);
        track::record_seed(
            d,
            table,
            &p.seed.file.name,
            &sum,
            o.rows() as i64,
            o.duration_ms,
        )?;
        Ok(o)
    })
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
pub struct FileOutcome {
    pub stats: LoadStats,
    /// SQL seeds: rows the statements changed.
    pub affected: u64,
    pub skipped_blocks: Vec<String>,
    pub duration_ms: i64,
}

impl FileOutcome {
    pub fn rows(&self) -> u64 {
        self.stats.written() + self.affected
    }

    pub fn summary(&self, format: SeedFormat) -> String {
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
                    d.relax_foreign_keys(true)?;
                }
                let result = run_block(d, p, b, pb, ctx, &mut replaced);
                if relax {
                    let reset = d.relax_foreign_keys(false);
                    if result.is_ok() {
                        reset?;
                    }
                }
                outcome.stats.add(result?);
            }
        }
    }
    outcome.duration_ms = started.elapsed().as_millis() as i64;
    Ok(outcome)
}

/// Loads one block's rows (after clearing its table, once per run, in mode replace).
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
    if b.mode == SeedMode::Replace && replaced.insert(b.table.to_ascii_lowercase()) {
        // DELETE, not TRUNCATE: TRUNCATE would commit on MySQL.
        let sql = format!("DELETE FROM {}", d.dialect().quote_ident(&b.table));
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
    let load = Load {
        seed,
        b,
        pb,
        mode,
        label: format!("{} → {}", seed.file.name, b.table),
    };
    stats.add(match &b.rows {
        Rows::Inline(rows) => load.inline(d, rows, ctx)?,
        Rows::Csv { path, display } => load.csv(d, path, display, ctx)?,
    });
    Ok(stats)
}

/// One block being loaded.
struct Load<'a> {
    seed: &'a ParsedSeed,
    b: &'a Block,
    pb: &'a PlannedBlock,
    mode: SeedMode,
    label: String,
}

impl Load<'_> {
    fn spec<'s>(&'s self, columns: &'s [String]) -> LoadSpec<'s> {
        LoadSpec {
            table: &self.b.table,
            columns,
            key: &self.pb.key,
            mode: self.mode,
            key_unique: self.pb.key_unique,
        }
    }

    /// Inline rows, loaded in runs of rows that name the same columns.
    fn inline(&self, d: &mut dyn Driver, rows: &InlineRows, ctx: &Ctx) -> Result<LoadStats> {
        let (seed, b) = (self.seed, self.b);
        let mut stats = LoadStats::default();
        let mut progress = Progress::new(ctx.out, &self.label, Some(rows.len() as u64));
        let mut start = 0;
        while start < rows.len() {
            let shape = rows.shape(start);
            let end = (start..rows.len())
                .find(|&r| rows.shape(r) != shape)
                .unwrap_or(rows.len());
            let spec = self.spec(&rows.shapes[shape]);
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
            match crate::db::load::load(d, &spec, &mut src, &mut |n| {
                progress.at(base + n);
                ctx.out.event(Event::SeedRows {
                    seed: &self.label,
                    rows: base + n,
                });
            }) {
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
                    return Err(
                        seed.error_at(&path, format!("{}, {which}: {}", b.label(), error.message))
                    );
                }
            }
            start = end;
        }
        progress.finish();
        Ok(stats)
    }

    /// A CSV file, streamed.
    fn csv(&self, d: &mut dyn Driver, path: &Path, display: &str, ctx: &Ctx) -> Result<LoadStats> {
        let (seed, b) = (self.seed, self.b);
        let (reader, header) = rows::open_csv_with_header(path, display)?;
        let key_idx: Vec<usize> = if self.mode.uses_key() {
            self.pb
                .key
                .iter()
                .filter_map(|k| header.iter().position(|h| h == k))
                .collect()
        } else {
            Vec::new()
        };
        let spec = self.spec(&header);
        ctx.out.statement(
            &seed.file.name,
            &crate::db::load::insert_sql(d.dialect(), &spec, 1),
        );
        let mut progress = Progress::new(ctx.out, &self.label, None);
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
        let result = crate::db::load::load(d, &spec, &mut src, &mut |n| {
            progress.at(n);
            ctx.out.event(Event::SeedRows {
                seed: &self.label,
                rows: n,
            });
        });
        progress.finish();
        let ring = src.ring;
        let LoadError {
            error,
            rows: (a, z),
        } = match result {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        if error.is_interrupted() || error.message.starts_with(display) {
            return Err(error.context(format!("{}: {}", seed.file.display, b.label())));
        }
        let where_ = if a == z {
            format!("line {}", ring.get(a))
        } else {
            format!("lines {}–{}", ring.get(a), ring.get(z))
        };
        Err(Error::database(format!(
            "{display} {where_}: {} (seed {}, {})",
            error.message,
            seed.file.display,
            b.label()
        )))
    }
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

/// Deletes exactly the rows a YAML seed declares (by key), or runs an SQL seed's undo part.
pub fn undo_one(d: &mut dyn Driver, p: &Planned, ctx: &Ctx) -> Result<u64> {
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
                if !pb.skip {
                    deleted += undo_block(d, p, b, pb, ctx)?;
                }
            }
        }
    }
    Ok(deleted)
}

/// Deletes a block's rows by key.
fn undo_block(
    d: &mut dyn Driver,
    p: &Planned,
    b: &Block,
    pb: &PlannedBlock,
    ctx: &Ctx,
) -> Result<u64> {
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
    let mut deleted = 0;
    let mut delete = |values: Vec<Value>| -> Result<()> {
        deleted += d.execute(&sql, &values)?;
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
        Rows::Csv { path, display } => csv_keys(path, display, &pb.key, &mut delete)?,
    }
    Ok(deleted)
}

/// Each CSV row's key values, in key order.
fn csv_keys(
    path: &Path,
    display: &str,
    key: &[String],
    each: &mut dyn FnMut(Vec<Value>) -> Result<()>,
) -> Result<()> {
    let (mut reader, header) = rows::open_csv_with_header(path, display)?;
    let idx: Vec<usize> = key
        .iter()
        .map(|k| {
            header.iter().position(|h| h == k).ok_or_else(|| {
                Error::validation(format!(
                    "{display} line 1: the header has no key column `{k}`"
                ))
            })
        })
        .collect::<Result<_>>()?;
    while let Some((line, rec)) = reader
        .next_record()
        .map_err(|e| Error::validation(format!("{display} line {}: {}", e.line, e.message)))?
    {
        let values = idx
            .iter()
            .map(|&i| {
                rec.get(i)
                    .cloned()
                    .flatten()
                    .map(Value::Text)
                    .ok_or_else(|| {
                        Error::validation(format!("{display} line {line}: the key column is empty"))
                    })
            })
            .collect::<Result<_>>()?;
        each(values)?;
    }
    Ok(())
}
