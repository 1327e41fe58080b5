//! The migrate commands: thin layers over source (files), plan (what to do) and the runner.

pub mod columns;
pub mod knex;
pub mod plan;
pub mod runner;
pub mod source;

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

/// Flags shared by the commands that change the schema.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOpts {
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

/// Copies of the files to revert, named as their rows are (a migration Knex applied as
/// `….js` is reverted by the furrow file of its stem, and its Knex row is deleted).
fn tracked_files(files: &[MigrationFile], reverts: &[Revert<'_>]) -> Vec<MigrationFile> {
    reverts
        .iter()
        .map(|r| {
            let mut f = files[r.file].clone();
            f.name.clone_from(&r.row.name);
            f
        })
        .collect()
}

/// Done items named by the furrow file again, saying under which name Knex had applied it.
fn furrow_names(mut done: Vec<Done>, files: &[MigrationFile], reverts: &[Revert<'_>]) -> Vec<Done> {
    for d in &mut done {
        if let Some(r) = reverts.iter().find(|r| r.row.name == d.name) {
            let file = &files[r.file].name;
            if *file != d.name {
                d.name = format!("{file} (applied by Knex as {})", r.row.name);
            }
        }
    }
    done
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

/// Parses the up sections of the files to apply: every one before the first statement runs.
fn up_jobs<'a>(
    files: &'a [MigrationFile],
    idxs: &[usize],
    d: &dyn Driver,
    config: &Config,
) -> Result<Vec<Job<'a>>> {
    idxs.iter()
        .map(|&i| {
            let file = &files[i];
            let section =
                source::parse(file, Direction::Up, d.dialect(), config)?.unwrap_or(Section {
                    steps: Vec::new(),
                    transaction: true,
                });
            Ok(Job {
                file,
                section,
                skip: 0,
                row_exists: false,
                prior_error: None,
            })
        })
        .collect()
}

/// Parses the down sections of the migrations to revert, refusing irreversible ones.
fn down_jobs<'a>(
    tracked: &'a [MigrationFile],
    d: &mut dyn Driver,
    config: &Config,
) -> Result<Vec<Job<'a>>> {
    tracked
        .iter()
        .map(|file| {
            match source::parse(file, Direction::Down, d.dialect(), config)? {
                Some(section) => {
                    check_deletes_by_key(file, &section, d)?;
                    Ok(Job {
                        file,
                        section,
                        skip: 0,
                        row_exists: true,
                        prior_error: None,
                    })
                }
                None => Err(Error::new(
                    Kind::Irreversible,
                    format!(
                        "{} cannot be rolled back: it has no `-- migrate:down` section",
                        file.display
                    ),
                )
                .hint("add a `-- migrate:down` section with the statements that undo it (an empty one if there is nothing to undo)")
                .detail("nothing was rolled back")),
            }
        })
        .collect()
}

/// Down jobs carry their row's error, put back when nothing of a failed down ran.
fn with_prior_errors<'a>(mut jobs: Vec<Job<'a>>, reverts: &[Revert<'_>]) -> Vec<Job<'a>> {
    for (job, r) in jobs.iter_mut().zip(reverts) {
        job.prior_error.clone_from(&r.row.error);
    }
    jobs
}

/// A derived down that deletes inserted rows by the table's primary key must be able to:
/// checked against the live table before anything runs (MySQL could not undo what ran before).
fn check_deletes_by_key(file: &MigrationFile, section: &Section, d: &mut dyn Driver) -> Result<()> {
    for step in &section.steps {
        let schema::StepKind::DeleteByPrimaryKey { table, rows } = &step.kind else {
            continue;
        };
        let key = d.primary_key(table).map_err(|e| e.into_error())?;
        let missing = if key.is_empty() {
            Some(format!("`{table}` has no primary key"))
        } else {
            rows.iter().enumerate().find_map(|(i, row)| {
                key.iter()
                    .find(|k| !row.iter().any(|(c, _)| c.eq_ignore_ascii_case(k)))
                    .map(|k| {
                        format!(
                            "inserted row {} does not give `{k}`, the primary key of `{table}`",
                            rows.len() - i
                        )
                    })
            })
        };
        if let Some(why) = missing {
            return Err(Error::new(
                Kind::Irreversible,
                format!(
                    "{}: {}: the rollback cannot find the inserted rows: {why}",
                    file.display, step.origin
                ),
            )
            .hint("give the `insert` a `key:` naming columns its rows give, or write a `down:` section")
            .detail("nothing was rolled back"));
        }
    }
    Ok(())
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

/// Before resuming a partial migration, its committed statements must be unchanged.
fn check_resume(job: &Job<'_>, progress: &str, done: usize) -> Result<()> {
    let steps = &job.section.steps;
    if steps.len() < done {
        return Err(Error::new(
            Kind::Partial,
            format!(
                "{}: it now has {} statement(s), fewer than the {done} already committed",
                job.file.display,
                steps.len(),
            ),
        )
        .hint(format!(
            "restore the first {done} statement(s) as they were, or run `furrow migrate:down {}` and start over",
            job.file.name
        )));
    }
    let now = steps[..done].iter().fold(String::new(), |h, s| {
        track::chain(&h, &source::step_checksum(s))
    });
    if now != progress {
        return Err(Error::new(
            Kind::Partial,
            format!(
                "{}: statements 1–{done} changed since they were committed, so furrow cannot resume this partial migration",
                job.file.display
            ),
        )
        .hint(format!(
            "restore the first {done} statement(s) as they were and fix only the failed one, or run `furrow migrate:down {}` and start over",
            job.file.name
        )));
    }
    Ok(())
}

/// Where a partial migration goes on: after its committed statements, after the statement
/// that was running at a kill when the database shows it committed, or where the user says.
fn resume_job<'a>(
    files: &'a [MigrationFile],
    res: &Resume,
    rows: &[AppliedRow],
    d: &mut dyn Driver,
    config: &Config,
    resume_from: Option<usize>,
) -> Result<(Job<'a>, Option<String>)> {
    let mut job = up_jobs(files, &[res.file], &*d, config)?.remove(0);
    job.row_exists = true;
    let total = job.section.steps.len();
    let display = job.file.display.clone();
    let mut note = None;
    let skip = match (resume_from, res.stop) {
        (Some(n), _) if n == 0 || n > total + 1 => {
            return Err(Error::usage(format!(
                "--resume-from {n}: {display} has {total} statement(s); give 1–{} ({} marks it done without running more)",
                total + 1,
                total + 1
            )))
        }
        (Some(n), _) => n - 1,
        (None, Stop::Failed { file_changed: true }) => res.done,
        (None, Stop::Failed {
            file_changed: false,
        }) => {
            let row = rows
                .iter()
                .find(|r| r.name == job.file.name)
                .expect("the partial row");
            return Err(plan::partial_error(row, &display));
        }
        (None, Stop::Running(n)) if job.file.checksum != res_checksum(rows, &job.file.name) => {
            note = Some(format!(
                "{display}: statement {n} was running when the last runner stopped; the file changed since, so the run starts at statement {} (`--resume-from N` chooses another)",
                res.done + 1
            ));
            res.done
        }
        (None, Stop::Running(n)) => {
            // The check reads the knexfile's database: after a `USE` it would read the wrong one.
            let moved = job.section.steps[..(n - 1).min(total)].iter().any(|s| {
                matches!(&s.kind, schema::StepKind::Sql { sql, .. } if crate::sql::first_word(sql) == "USE")
            });
            let checked = match job.section.steps.get(n - 1).map(|s| &s.kind) {
                Some(schema::StepKind::Sql { sql, .. }) if n == res.done + 1 && !moved => {
                    d.committed(sql).map_err(|e| e.into_error())?
                }
                _ => None,
            };
            let origin = job
                .section
                .steps
                .get(n - 1)
                .map_or("its closing COMMIT".to_string(), |s| s.origin.clone());
            match checked {
                Some(true) => {
                    note = Some(format!(
                        "{display}: {origin} was running when the last runner stopped; the database shows it committed, so the run goes on after it"
                    ));
                    n
                }
                Some(false) => {
                    note = Some(format!(
                        "{display}: {origin} was running when the last runner stopped; the database shows it did not commit, so the run starts with it"
                    ));
                    res.done
                }
                None => {
                    let (again, after) = (res.done + 1, (n + 1).min(total + 1));
                    let what = if n > res.done + 1 {
                        format!(
                            "{origin} was running when the runner stopped; it commits {} together, and furrow cannot tell whether it did",
                            span_text(res.done + 1, n)
                        )
                    } else {
                        format!(
                            "{origin} was running when the runner stopped, and furrow cannot tell whether it committed"
                        )
                    };
                    return Err(Error::new(Kind::Partial, format!("{display}: {what}"))
                        .detail(if res.done == 0 {
                            "no statement before it is recorded as committed".to_string()
                        } else {
                            format!("{} committed", span_text(1, res.done))
                        })
                        .hint(format!(
                            "check the database, then run `furrow migrate:latest --resume-from {again}` if it did not commit (it runs again), or `--resume-from {after}` if it did; or `furrow migrate:down {}` to run its down section",
                            job.file.name
                        ))
                        .with_data(
                            "partial",
                            serde_json::json!({"name": job.file.name, "statements_applied": res.done, "statement_running": n}),
                        ));
                }
            }
        }
    };
    check_resume(&job, &res.progress, res.done.min(total))?;
    job.skip = skip;
    Ok((job, note))
}

/// The file checksum recorded in a migration's row.
fn res_checksum<'r>(rows: &'r [AppliedRow], name: &str) -> &'r str {
    rows.iter()
        .find(|r| r.name == name)
        .map_or("", |r| r.checksum.as_str())
}

fn span_text(from: usize, to: usize) -> String {
    if from == to {
        format!("statement {from}")
    } else {
        format!("statements {from}–{to}")
    }
}

pub fn latest(ctx: &Ctx, opts: RunOpts) -> Result<Report> {
    let table = ctx.config.migrations.table_name.clone();
    if opts.dry_run {
        let files = source::list(ctx.config, ctx.out)?;
        let (mut d, rows) = session::peek::<Migrations>(ctx)?;
        let pol = policy(ctx.config, opts.ignore_missing, &rows);
        let p = plan::latest(&files, &rows, &pol)?;
        warn_history(ctx, &p.modified, &p.missing);
        let jobs = latest_jobs(ctx, &files, &rows, &p, &mut *d, opts.resume_from)?;
        columns::check_index_columns(&jobs, &mut *d)?;
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
        columns::check_index_columns(&jobs, d)?;
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

fn latest_jobs<'a>(
    ctx: &Ctx,
    files: &'a [MigrationFile],
    rows: &[AppliedRow],
    p: &plan::LatestPlan,
    d: &mut dyn Driver,
    resume_from: Option<usize>,
) -> Result<Vec<Job<'a>>> {
    let mut jobs = Vec::new();
    match &p.resume {
        Some(res) => {
            let (job, note) = resume_job(files, res, rows, d, ctx.config, resume_from)?;
            if let Some(n) = note {
                ctx.out.note(n);
            }
            jobs.push(job);
        }
        None if resume_from.is_some() => {
            return Err(Error::usage(
                "--resume-from: no migration is partially applied, so there is nothing to resume",
            )
            .hint("`furrow migrate:status` shows partial migrations"))
        }
        None => {}
    }
    jobs.extend(up_jobs(files, &p.pending, &*d, ctx.config)?);
    Ok(jobs)
}

pub fn rollback(ctx: &Ctx, all: bool, opts: RunOpts) -> Result<Report> {
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
        let done = Runner::new(d, &table, ctx.out)?.run(jobs, Direction::Down, 0)?;
        let done = furrow_names(done, &files, &reverts);
        r.line(Style::Success, title);
        done_lines(&mut r, &done);
        r.set("migrations", done_json(&done));
        Ok(r)
    })
}

pub fn up(ctx: &Ctx, name: Option<&str>, opts: RunOpts) -> Result<Report> {
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
        columns::check_index_columns(&jobs, d)?;
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

/// Reads the migration files while `db_work` runs: a second thread starts reading, and this
/// one joins it when its database work is done (with many files, reading them and SQLite
/// loading a large schema take about as long as each other).
fn with_files<T>(
    ctx: &Ctx,
    db_work: impl FnOnce() -> Result<T>,
) -> Result<(Vec<MigrationFile>, T)> {
    let found = source::discover(ctx.config)?;
    for w in &found.warnings {
        ctx.out.warn(w.clone());
    }
    let reader = source::Reader::new(&found.found);
    let (theirs, mine, other) = std::thread::scope(|s| {
        let theirs = (reader.len() >= 64).then(|| s.spawn(|| reader.work()));
        let other = db_work();
        let mine = reader.work();
        (theirs.map(|h| h.join()), mine, other)
    });
    let mut parts = vec![mine?];
    if let Some(t) = theirs {
        parts.push(t.map_err(|_| Error::io("a thread reading migration files failed"))??);
    }
    Ok((source::Reader::assemble(parts), other?))
}

/// Reads files and rows for the read-only commands (see `session::read`).
fn read_state(ctx: &Ctx) -> Result<(Vec<MigrationFile>, Vec<AppliedRow>)> {
    with_files(ctx, || {
        session::read::<Migrations>(ctx).map(|(_, rows)| rows)
    })
}

pub fn status(ctx: &Ctx, check: bool) -> Result<Report> {
    let (files, rows) = read_state(ctx)?;
    let knex_files = knex::knex_files(ctx.config, &rows);
    let items = plan::status(&files, &rows, &knex_files);
    let mut r = ctx.report("migrate:status");
    let mut json_items = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for it in &items {
        *counts.entry(it.state.name()).or_default() += 1;
        let (style, detail) = match (&it.state, it.row) {
            (State::Applied, Some(row)) => (
                Style::Item,
                format!("batch {}, {}", row.batch, row.migration_time),
            ),
            (State::Modified, Some(row)) => (
                Style::Attention,
                format!(
                    "batch {}, {}; the file changed since it was applied",
                    row.batch, row.migration_time
                ),
            ),
            (State::Pending, _) => (Style::Attention, String::new()),
            (State::Missing, Some(row)) => (
                Style::Problem,
                format!(
                    "batch {}, {}; the file is missing",
                    row.batch, row.migration_time
                ),
            ),
            (State::Partial, Some(row)) => (
                Style::Problem,
                match row.statement_running.filter(|_| row.error.is_none()) {
                    Some(n) => format!(
                        "{} statement(s) committed; statement {n} was running when progress was last recorded, and may have committed",
                        row.statements_applied.unwrap_or(0)
                    ),
                    None => format!(
                        "{} statement(s) committed, then failed: {}",
                        row.statements_applied.unwrap_or(0),
                        row.error.as_deref().unwrap_or("?")
                    ),
                },
            ),
            _ => (Style::Item, String::new()),
        };
        let detail = match &it.by_knex {
            Some(plan::ByKnex::TrackedAs(n)) => format!("{detail}; applied by Knex as {n}"),
            Some(plan::ByKnex::KnexFile) => {
                format!("{detail}; applied by Knex, from a Knex file furrow does not run")
            }
            None => detail,
        };
        let label = format!("{:<9}{}", it.state.name(), it.name);
        r.line(style, session::status_line(label, &detail));
        if !ctx.out.json {
            continue;
        }
        let mut j = json!({"name": it.name, "state": it.state.name()});
        if let Some(row) = it.row {
            j["batch"] = json!(row.batch);
            j["applied_at"] = json!(row.migration_time);
            j["duration_ms"] = json!(row.duration_ms);
            if it.state == State::Partial {
                j["statements_applied"] = json!(row.statements_applied);
                j["statement_running"] = json!(row.statement_running);
                j["error"] = json!(row.error);
            }
        }
        if let Some(f) = it.file {
            j["file"] = json!(f.display);
        }
        match &it.by_knex {
            Some(plan::ByKnex::TrackedAs(n)) => {
                j["applied_by"] = json!("knex");
                j["tracked_as"] = json!(n);
            }
            Some(plan::ByKnex::KnexFile) => j["applied_by"] = json!("knex"),
            None => {}
        }
        json_items.push(j);
    }
    if items.is_empty() {
        r.line(Style::Plain, "No migrations found.");
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    if !summary.is_empty() {
        r.line(Style::Plain, format!("{}.", summary.join(", ")));
    }
    let needs_work = items.iter().any(|i| i.state != State::Applied);
    r.set("items", json!(json_items))
        .set("up_to_date", !needs_work);
    if check && needs_work {
        r.exit_code = 3;
    }
    Ok(r)
}

pub fn list(ctx: &Ctx) -> Result<Report> {
    let (files, rows) = read_state(ctx)?;
    let mut r = ctx.report("migrate:list");
    let mut completed: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    completed.sort_unstable();
    let pending: Vec<&str> = plan::pending(&files, &rows)
        .into_iter()
        .map(|i| files[i].name.as_str())
        .collect();
    for (names, what) in [(&completed, "Completed"), (&pending, "Pending")] {
        if names.is_empty() {
            r.line(Style::Plain, format!("No {what} Migration files Found."));
        } else {
            r.line(
                Style::Success,
                format!("Found {} {what} Migration file/files.", names.len()),
            );
            for n in names.iter() {
                r.line(Style::Plain, n.to_string());
            }
        }
    }
    r.set("completed", json!(completed))
        .set("pending", json!(pending));
    Ok(r)
}

pub fn current_version(ctx: &Ctx) -> Result<Report> {
    let (_, rows) = read_state(ctx)?;
    let version = rows
        .iter()
        .filter_map(|r| {
            r.name
                .split('_')
                .next()
                .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        })
        .max()
        .map(str::to_string);
    let mut r = ctx.report("migrate:currentVersion");
    r.line(
        Style::Success,
        format!("Current Version: {}", version.as_deref().unwrap_or("none")),
    )
    .set("version", json!(version));
    Ok(r)
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
