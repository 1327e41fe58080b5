//! The migrate commands: thin layers over source (files), plan (what to do) and the runner.

pub mod columns;
mod hazards;
mod jobs;
pub mod knex;
pub mod lint;
pub mod plan;
mod resume;
pub mod runner;
pub mod source;
mod status;

use serde_json::json;

use crate::config::{ChecksumPolicy, Config};
use crate::ctx::Ctx;
use crate::db::{self, Driver};
use crate::error::{Error, Kind, Result};
use crate::report::{Report, Style};
use crate::scaffold::{self, Scaffold};
use crate::schema::{self, Direction};
use crate::session::{self, Migrations};
use crate::track::{self, AppliedRow};

use plan::{Policy, Resume, Revert, State, Stop};
use runner::{Done, Job, Runner};
use source::{MigrationFile, Section};

use jobs::{down_jobs, furrow_names, tracked_files, up_jobs, with_prior_errors};
use resume::latest_jobs;
use status::read_state;
pub use status::{current_version, list, status};

/// Flags shared by the commands that change the schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateOpts {
    pub dry_run: bool,
    pub ignore_missing: bool,
    /// `--resume-from N`: where a partial migration goes on (1-based statement).
    pub resume_from: Option<usize>,
}

fn policy(config: &Config, ignore_missing: bool, rows: &[AppliedRow]) -> Policy {
    Policy {
        ignore_missing,
        strict_checksums: config.migrations.checksums == ChecksumPolicy::Strict,
        knex_files: knex::knex_files(config, rows),
    }
}

/// Runs `body` on the open database holding the migration lock, with the tracking tables ready.
fn locked<T>(
    ctx: &Ctx,
    body: impl FnOnce(&mut dyn Driver, Vec<AppliedRow>) -> Result<T>,
) -> Result<T> {
    session::locked::<Migrations, T>(ctx, body)
}

fn done_json(done: &[Done]) -> serde_json::Value {
    json!(done
        .iter()
        .map(|d| json!({"name": d.name, "duration_ms": d.duration_ms, "statements": d.statements}))
        .collect::<Vec<_>>())
}

fn done_lines(r: &mut Report, done: &[Done]) {
    for d in done {
        r.line(Style::Item, format!("{} ({} ms)", d.name, d.duration_ms));
    }
}

/// The SQL a job would run, for dry runs and migrate:sql.
fn preview(job: &Job<'_>, dialect: db::Dialect) -> Vec<String> {
    job.section.steps[job.skip..]
        .iter()
        .map(|s| {
            let text = schema::preview(s, dialect);
            if text.trim_end().ends_with(';') || text.trim_start().starts_with("--") {
                text
            } else {
                format!("{text};")
            }
        })
        .collect()
}

fn dry_run_report(
    ctx: &Ctx,
    command: &str,
    title: String,
    jobs: &[Job<'_>],
    dialect: db::Dialect,
    dir: &str,
) -> Report {
    let mut r = ctx.report(command);
    r.set("dry_run", true);
    r.line(Style::Success, title);
    let mut items = Vec::new();
    for job in jobs {
        let sql = preview(job, dialect);
        r.line(Style::Plain, format!("-- {} ({dir})", job.file.name));
        for s in &sql {
            r.line(Style::Plain, s.clone());
        }
        items.push(json!({"name": job.file.name, "sql": sql}));
    }
    r.line(Style::Dim, "Dry run: nothing was changed.");
    r.set("migrations", json!(items));
    r
}

fn warn_history(ctx: &Ctx, modified: &[String], missing: &[String]) {
    if !modified.is_empty() {
        ctx.out.warn(format!(
            "applied migration(s) changed since they ran: {} (checksum differs); put schema changes in a new migration",
            modified.join(", ")
        ));
    }
    if !missing.is_empty() {
        ctx.out.warn(format!(
            "applied migration(s) have no file (ignored with --ignore-missing): {}",
            missing.join(", ")
        ));
    }
}

/// Everything checked before a batch runs: the columns its indexes name, the cluster's hazards.
fn before_batch(jobs: &[Job<'_>], d: &mut dyn Driver, ctx: &Ctx) -> Result<()> {
    columns::check_index_columns(jobs, d)?;
    cluster_hazards(jobs, d, ctx)
}

/// The cluster's hazards (on a Galera node), unless the checks are off (a replay).
fn cluster_hazards(jobs: &[Job<'_>], d: &mut dyn Driver, ctx: &Ctx) -> Result<()> {
    if !ctx.config.migrations.checks {
        return Ok(());
    }
    hazards::check(jobs, d, ctx.out)
}

pub fn latest(ctx: &Ctx, opts: MigrateOpts) -> Result<Report> {
    let table = ctx.config.migrations.table_name.clone();
    if opts.dry_run {
        let files = source::list(ctx.config, ctx.out)?;
        let (mut d, rows) = session::peek::<Migrations>(ctx)?;
        let pol = policy(ctx.config, opts.ignore_missing, &rows);
        let p = plan::latest(&files, &rows, &pol)?;
        warn_history(ctx, &p.modified, &p.missing);
        let jobs = latest_jobs(ctx, &files, &rows, &p, &mut *d, opts.resume_from)?;
        before_batch(&jobs, &mut *d, ctx)?;
        if jobs.is_empty() {
            let mut r = ctx.report("migrate:latest");
            r.line(Style::Success, "Already up to date")
                .set("dry_run", true)
                .set("migrations", json!([]));
            return Ok(r);
        }
        let title = format!("Batch {} would run: {} migrations", p.batch, jobs.len());
        return Ok(dry_run_report(
            ctx,
            "migrate:latest",
            title,
            &jobs,
            d.dialect(),
            "up",
        ));
    }
    // Nothing pending is nothing pending whoever else runs: answer without taking the lock
    // (a write transaction, and its fsyncs).
    // Partial rows are judged only under the lock: another runner may be working on one.
    let (files, rows) = read_state(ctx)?;
    let pol = policy(ctx.config, opts.ignore_missing, &rows);
    if opts.resume_from.is_none() {
        let p = plan::latest(&files, &rows, &pol)?;
        if p.resume.is_none() && p.pending.is_empty() {
            warn_history(ctx, &p.modified, &p.missing);
            let mut r = ctx.report("migrate:latest");
            r.line(Style::Success, "Already up to date")
                .set("batch", serde_json::Value::Null)
                .set("migrations", json!([]));
            return Ok(r);
        }
    }
    locked(ctx, |d, rows| {
        let p = plan::latest(&files, &rows, &pol)?;
        warn_history(ctx, &p.modified, &p.missing);
        let jobs = latest_jobs(ctx, &files, &rows, &p, d, opts.resume_from)?;
        before_batch(&jobs, d, ctx)?;
        let fresh: Vec<&MigrationFile> = jobs
            .iter()
            .filter(|j| j.skip == 0)
            .map(|j| j.file)
            .collect();
        lint::before_batch(ctx, d, &fresh, &files, &rows)?;
        let mut r = ctx.report("migrate:latest");
        if jobs.is_empty() {
            r.line(Style::Success, "Already up to date")
                .set("batch", serde_json::Value::Null)
                .set("migrations", json!([]));
            return Ok(r);
        }
        let done = Runner::new(d, &table, ctx.out)?.run(jobs, Direction::Up, p.batch)?;
        r.line(
            Style::Success,
            format!("Batch {} run: {} migrations", p.batch, done.len()),
        );
        done_lines(&mut r, &done);
        r.set("batch", p.batch).set("migrations", done_json(&done));
        Ok(r)
    })
}

pub fn rollback(ctx: &Ctx, all: bool, opts: MigrateOpts) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let table = ctx.config.migrations.table_name.clone();
    let summary = |reverts: &[Revert<'_>], n: usize, verb: &str| -> String {
        let batches: Vec<i64> = reverts.iter().map(|r| r.row.batch).collect();
        let (lo, hi) = (
            batches.iter().min().copied().unwrap_or(0),
            batches.iter().max().copied().unwrap_or(0),
        );
        if lo == hi {
            format!("Batch {hi} {verb}: {n} migrations")
        } else {
            format!("Batches {lo}–{hi} {verb}: {n} migrations")
        }
    };
    if opts.dry_run {
        let (mut d, rows) = session::peek::<Migrations>(ctx)?;
        let pol = policy(ctx.config, opts.ignore_missing, &rows);
        let reverts = plan::rollback(&files, &rows, all, &pol)?;
        if reverts.is_empty() {
            let mut r = ctx.report("migrate:rollback");
            r.line(Style::Success, "Already at the base migration")
                .set("dry_run", true)
                .set("migrations", json!([]));
            return Ok(r);
        }
        let tracked = tracked_files(&files, &reverts);
        let jobs = with_prior_errors(down_jobs(&tracked, &mut *d, ctx.config)?, &reverts);
        cluster_hazards(&jobs, &mut *d, ctx)?;
        let title = summary(&reverts, jobs.len(), "would roll back");
        return Ok(dry_run_report(
            ctx,
            "migrate:rollback",
            title,
            &jobs,
            d.dialect(),
            "down",
        ));
    }
    locked(ctx, |d, rows| {
        let pol = policy(ctx.config, opts.ignore_missing, &rows);
        let reverts = plan::rollback(&files, &rows, all, &pol)?;
        let mut r = ctx.report("migrate:rollback");
        if reverts.is_empty() {
            r.line(Style::Success, "Already at the base migration")
                .set("migrations", json!([]));
            return Ok(r);
        }
        let tracked = tracked_files(&files, &reverts);
        let jobs = with_prior_errors(down_jobs(&tracked, &mut *d, ctx.config)?, &reverts);
        let title = summary(&reverts, jobs.len(), "rolled back");
        cluster_hazards(&jobs, &mut *d, ctx)?;
        let done = Runner::new(d, &table, ctx.out)?.run(jobs, Direction::Down, 0)?;
        let done = furrow_names(done, &files, &reverts);
        r.line(Style::Success, title);
        done_lines(&mut r, &done);
        r.set("migrations", done_json(&done));
        Ok(r)
    })
}

pub fn up(ctx: &Ctx, name: Option<&str>, opts: MigrateOpts) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let table = ctx.config.migrations.table_name.clone();
    locked(ctx, |d, rows| {
        let pol = policy(ctx.config, opts.ignore_missing, &rows);
        let p = plan::latest(&files, &rows, &pol)?;
        warn_history(ctx, &p.modified, &p.missing);
        let mut r = ctx.report("migrate:up");
        // A fixed partial migration is finished first, whatever was asked.
        let jobs = if (p.resume.is_some() || opts.resume_from.is_some()) && name.is_none() {
            let mut jobs = latest_jobs(ctx, &files, &rows, &p, d, opts.resume_from)?;
            jobs.truncate(1);
            jobs
        } else {
            match plan::up(&files, &rows, name)? {
                Some(i) => up_jobs(&files, &[i], &*d, ctx.config)?,
                None => Vec::new(),
            }
        };
        before_batch(&jobs, d, ctx)?;
        if jobs.is_empty() {
            r.line(Style::Success, "Already up to date")
                .set("migrations", json!([]));
            return Ok(r);
        }
        let done = Runner::new(d, &table, ctx.out)?.run(jobs, Direction::Up, p.batch)?;
        r.line(
            Style::Success,
            format!("Batch {} ran the following migrations:", p.batch),
        );
        done_lines(&mut r, &done);
        r.set("batch", p.batch).set("migrations", done_json(&done));
        Ok(r)
    })
}

pub fn down(ctx: &Ctx, name: Option<&str>) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let table = ctx.config.migrations.table_name.clone();
    locked(ctx, |d, rows| {
        let mut r = ctx.report("migrate:down");
        let Some(revert) = plan::down(&files, &rows, name)? else {
            r.line(Style::Success, "Already at the base migration")
                .set("migrations", json!([]));
            return Ok(r);
        };
        let batch = revert.row.batch;
        let reverts = std::slice::from_ref(&revert);
        let tracked = tracked_files(&files, reverts);
        let jobs = with_prior_errors(down_jobs(&tracked, &mut *d, ctx.config)?, reverts);
        cluster_hazards(&jobs, &mut *d, ctx)?;
        let done = Runner::new(d, &table, ctx.out)?.run(jobs, Direction::Down, 0)?;
        let done = furrow_names(done, &files, reverts);
        r.line(
            Style::Success,
            format!("Batch {batch} rolled back the following migrations:"),
        );
        done_lines(&mut r, &done);
        r.set("batch", batch).set("migrations", done_json(&done));
        Ok(r)
    })
}

pub fn unlock(ctx: &Ctx) -> Result<Report> {
    session::unlock::<Migrations>(ctx)
}

/// `migrate:sql NAME [--down]`: the SQL of one migration for this environment's dialect,
/// without connecting.
pub fn sql(ctx: &Ctx, name: &str, down: bool) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let file = source::resolve(name, &files, |f| f.name.as_str()).map_err(|names| {
        Error::validation(format!(
            "no migration file named `{name}`{}",
            crate::text::did_you_mean(name, names.iter().copied())
        ))
        .hint("`furrow migrate:status` lists the migrations")
    })?;
    let dialect = ctx.config.client.dialect();
    let dir = if down { Direction::Down } else { Direction::Up };
    let section = source::parse(file, dir, dialect, ctx.config)?.ok_or_else(|| {
        Error::new(
            Kind::Irreversible,
            format!("{} has no `-- migrate:down` section", file.display),
        )
    })?;
    let job = Job {
        file,
        section,
        skip: 0,
        row_exists: false,
        prior_error: None,
    };
    let sql = preview(&job, dialect);
    let mut r = Report::new("migrate:sql");
    r.line(
        Style::Dim,
        format!(
            "-- {} ({}, {}{})",
            file.name,
            if down { "down" } else { "up" },
            dialect,
            if job.section.transaction {
                ""
            } else {
                ", no transaction"
            }
        ),
    );
    for s in &sql {
        r.line(Style::Plain, s.clone());
    }
    r.set("name", file.name.clone())
        .set("direction", if down { "down" } else { "up" })
        .set("dialect", dialect.name())
        .set("transaction", job.section.transaction)
        .set("sql", json!(sql));
    Ok(r)
}

/// `migrate:make NAME`: a new migration file with a unique timestamp.
pub fn make(ctx: &Ctx, name: &str, ext: Option<&str>) -> Result<Report> {
    let ext = ext.unwrap_or(&ctx.config.migrations.extension);
    let dirs = &ctx.config.migrations.directories;
    let path = scaffold::make(
        Scaffold::Migration,
        &ctx.config.base_dir,
        name,
        ext,
        |ext| {
            let taken: Vec<String> = dirs
                .iter()
                .filter_map(|d| std::fs::read_dir(d).ok())
                .flatten()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().chars().take(14).collect())
                .collect();
            let mut ts = chrono::Utc::now().naive_utc();
            let mut stamp = ts.format("%Y%m%d%H%M%S").to_string();
            while taken.contains(&stamp) {
                ts += chrono::Duration::seconds(1);
                stamp = ts.format("%Y%m%d%H%M%S").to_string();
            }
            let mut tctx = tera::Context::new();
            tctx.insert("timestamp", &stamp);
            Ok((dirs[0].join(format!("{stamp}_{name}.{ext}")), tctx))
        },
    )?;
    let shown = ctx.config.display_path(&path);
    let mut r = Report::new("migrate:make");
    r.line(Style::Success, format!("Created Migration: {shown}"))
        .set("path", shown);
    Ok(r)
}
