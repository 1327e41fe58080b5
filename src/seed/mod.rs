//! The seed commands: thin layers over source (files), plan (what to do) and the runner.
//! Seeds are tracked in `furrow_seeds`, run one transaction per file (or per run with
//! --atomic), in idempotent modes, CSV streamed.

pub mod csv;
mod fastyaml;
mod hazards;
pub mod plan;
mod rows;
pub mod runner;
pub mod source;

use serde_json::json;

use crate::ctx::Ctx;
use crate::db::{self, Driver, OpenMode};
use crate::error::{Error, Kind, Result};
use crate::files;
use crate::report::{Report, Style};
use crate::scaffold::{self, Scaffold};
use crate::session::{self, Seeds};
use crate::text::did_you_mean;
use crate::track::{self, SeedRow};

use plan::{Planned, PlannedBlock, TableFacts};
use source::{ParsedSeed, Rows, SeedBody, SeedFile};

#[derive(Debug, Clone, Default)]
pub struct SeedRunOpts {
    pub specific: Vec<String>,
    pub changed: bool,
    pub atomic: bool,
    pub dry_run: bool,
    pub force: bool,
}

/// Finds the seeds a person named with --specific / seed:undo NAME: the relative path,
/// with or without extension, or the file name, with or without extension.
pub fn resolve<'a>(query: &str, files: &'a [SeedFile]) -> Result<&'a SeedFile> {
    const TIERS: [files::Tier; 2] = [
        files::Tier {
            matches: |q, n| n == q || files::stem(n) == q || n.rsplit('/').next() == Some(q),
            unique: true,
        },
        files::Tier {
            matches: |q, n| files::stem(n.rsplit('/').next().unwrap_or(n)) == q,
            unique: true,
        },
    ];
    let q = query.trim_start_matches("./").trim_start_matches("seeds/");
    match files::resolve(q, files, |f| f.name.as_str(), &TIERS) {
        files::Lookup::One(one) => Ok(one),
        files::Lookup::None => Err(Error::validation(format!(
            "no seed file named `{query}`{}",
            did_you_mean(q, files.iter().map(|f| f.name.as_str()))
        ))
        .hint("`furrow seed:status` lists the seeds; give a file name or its path under the seeds directory")),
        files::Lookup::Several(many) => Err(Error::validation(format!(
            "`{query}` matches several seeds: {}",
            many.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ))
        .hint("give the path under the seeds directory")),
    }
}

/// Plans a seed against the live database: each block's table facts are fetched, then
/// the block is planned, before any row is written.
fn plan(d: &mut dyn Driver, seed: ParsedSeed, ctx: &Ctx, force: bool) -> Result<Planned> {
    let env = &ctx.config.env;
    let mut blocks = Vec::new();
    if let SeedBody::Yaml(bs) = &seed.body {
        for b in bs {
            if !b.applies_to(env) {
                blocks.push(PlannedBlock::skipped());
                continue;
            }
            plan::check_mode(&seed, b, env, force)?;
            let facts = fetch(d, &seed, b)?;
            blocks.push(plan::block(&seed, b, &facts, env, force)?);
        }
    }
    Ok(Planned { seed, blocks })
}

/// What planning a block needs to know of its table (and of its CSV file's header).
fn fetch(d: &mut dyn Driver, seed: &ParsedSeed, b: &source::Block) -> Result<TableFacts> {
    let columns: Vec<String> = d.columns(&b.table)?.into_iter().map(|c| c.name).collect();
    if columns.is_empty() {
        return Ok(TableFacts::default());
    }
    let header = match &b.rows {
        Rows::Csv { path, display } => Some(rows::csv_header(path, display, &seed.file)),
        Rows::Inline(_) => None,
    };
    let primary_key = match &b.key {
        Some(_) => Vec::new(),
        None => d.primary_key(&b.table)?,
    };
    let unique_keys = if b.mode.uses_key() {
        d.unique_keys(&b.table)?
    } else {
        Vec::new()
    };
    Ok(TableFacts {
        columns,
        primary_key,
        unique_keys,
        header,
    })
}

/// Parses the chosen seeds and checks them against the database: all before anything runs.
fn parse_all(files: &[&SeedFile], dialect: db::Dialect) -> Result<Vec<ParsedSeed>> {
    files.iter().map(|f| source::parse(f, dialect)).collect()
}

fn select<'a>(files: &'a [SeedFile], opts: &SeedRunOpts) -> Result<Vec<&'a SeedFile>> {
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

pub fn run(ctx: &Ctx, opts: &SeedRunOpts) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let chosen = select(&files, opts)?;
    let mut r = ctx.report("seed:run");
    if files.is_empty() {
        r.line(Style::Success, "No seed files exist")
            .set("seeds", json!([]));
        return Ok(r);
    }
    if opts.dry_run {
        let (mut d, rows) = session::peek::<Seeds>(ctx)?;
        let planned = prepare(&mut *d, ctx, &chosen, &rows, opts)?;
        return Ok(dry_run_report(r, &planned));
    }
    let table = ctx.config.seeds.table_name.clone();
    session::locked::<Seeds, _>(ctx, |d, rows| {
        let planned = prepare(d, ctx, &chosen, &rows, opts)?;
        hazards::check(d, ctx.out, &planned, opts.atomic)?;
        let (ran, skipped) = runner::run_all(d, ctx, &table, &planned, opts.atomic)?;
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

/// Picks, parses and plans the seeds of a run: everything is checked before anything runs.
fn prepare(
    d: &mut dyn Driver,
    ctx: &Ctx,
    chosen: &[&SeedFile],
    rows: &[SeedRow],
    opts: &SeedRunOpts,
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

fn dry_run_report(mut r: Report, planned: &[Planned]) -> Report {
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
                        Rows::Csv { path, .. } => rows::count_csv_rows(path),
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
    let (d, rows) = session::read::<Seeds>(ctx)?;
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
        r.line(style, session::status_line(label, &detail));
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
    session::locked::<Seeds, _>(ctx, |d, rows| {
        let mut r = ctx.report("seed:undo");
        let Some(targets) = undo_targets(&files, &rows, name, all, &mut r)? else {
            return Ok(r);
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
            d.begin()?;
            let result = runner::undo_one(d, p, ctx).and_then(|n| {
                track::delete_seed(d, &table, &p.seed.file.name)?;
                Ok(n)
            });
            match result {
                Ok(n) => {
                    d.commit()?;
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

/// Which seeds to undo: the named one, all tracked ones (newest name first), or the last
/// run; `None` when the named one has not run (said in the report).
fn undo_targets<'a>(
    files: &'a [SeedFile],
    rows: &[SeedRow],
    name: Option<&str>,
    all: bool,
    r: &mut Report,
) -> Result<Option<Vec<&'a SeedFile>>> {
    if let Some(n) = name {
        let f = resolve(n, files)?;
        if !rows.iter().any(|row| row.name == f.name) {
            r.line(
                Style::Success,
                format!("Nothing to undo: {} has not been run", f.name),
            )
            .set("undone", json!([]));
            return Ok(None);
        }
        return Ok(Some(vec![f]));
    }
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
    Ok(Some(
        tracked
            .iter()
            .filter_map(|t| files.iter().find(|f| f.name == t.name))
            .collect(),
    ))
}

pub fn unlock(ctx: &Ctx) -> Result<Report> {
    session::unlock::<Seeds>(ctx)
}

/// `seed:make NAME`: a new seed file; with a live table of that name, the template names
/// its key and carries a sample row with every column and its type.
pub fn make(ctx: &Ctx, name: &str, ext: Option<&str>, timestamp_prefix: bool) -> Result<Report> {
    let ext = ext.unwrap_or(&ctx.config.seeds.extension);
    let mut live = false;
    let path = scaffold::make(Scaffold::Seed, &ctx.config.base_dir, name, ext, |ext| {
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
        tctx.insert("table", name);
        live = live_table(ctx, name, &mut tctx);
        tctx.insert("live", &live);
        Ok((path, tctx))
    })?;
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

/// The columns and key of a live table of that name, for the template; the database is a
/// help here, not a requirement.
fn live_table(ctx: &Ctx, name: &str, tctx: &mut tera::Context) -> bool {
    let Ok(mut d) = session::open::<Seeds>(ctx, OpenMode::ReadOnly) else {
        return false;
    };
    let cols = match d.columns(name) {
        Ok(cols) if !cols.is_empty() => cols,
        _ => return false,
    };
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
    true
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
