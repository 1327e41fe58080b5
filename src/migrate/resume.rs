//! Finishing a partial migration: where it goes on, and whether its committed statements
//! are still as they were.

use super::*;

/// Before resuming a partial migration, its committed statements must be unchanged.
pub(super) fn check_resume(job: &Job<'_>, progress: &str, done: usize) -> Result<()> {
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
pub(super) fn resume_job<'a>(
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
            let (skip, said) = after_kill(&job, res, n, d)?;
            note = Some(said);
            skip
        }
    };
    check_resume(&job, &res.progress, res.done.min(total))?;
    job.skip = skip;
    Ok((job, note))
}

/// The file checksum recorded in a migration's row.
pub(super) fn res_checksum<'r>(rows: &'r [AppliedRow], name: &str) -> &'r str {
    rows.iter()
        .find(|r| r.name == name)
        .map_or("", |r| r.checksum.as_str())
}

pub(super) fn span_text(from: usize, to: usize) -> String {
    if from == to {
        format!("statement {from}")
    } else {
        format!("statements {from}–{to}")
    }
}

pub(super) fn latest_jobs<'a>(
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

/// Where a run goes on after the runner stopped while statement `n` ran (file unchanged):
/// after it when the database shows it committed, at it when it shows it did not, else the
/// user says (`--resume-from`). Returns the statements to skip, and what to say.
fn after_kill(
    job: &Job<'_>,
    res: &Resume,
    n: usize,
    d: &mut dyn Driver,
) -> Result<(usize, String)> {
    let steps = &job.section.steps;
    let total = steps.len();
    let display = &job.file.display;
    // The check reads the knexfile's database: after a `USE` it would read the wrong one.
    let moved = steps[..(n - 1).min(total)].iter().any(|s| {
        matches!(&s.kind, schema::StepKind::Sql { sql, .. } if crate::sql::first_word(sql) == "USE")
    });
    let checked = match steps.get(n - 1).map(|s| &s.kind) {
        Some(schema::StepKind::Sql { sql, .. }) if n == res.done + 1 && !moved => {
            d.committed(sql)?
        }
        _ => None,
    };
    let origin = steps
        .get(n - 1)
        .map_or("its closing COMMIT".to_string(), |s| s.origin.clone());
    match checked {
        Some(true) => Ok((
            n,
            format!("{display}: {origin} was running when the last runner stopped; the database shows it committed, so the run goes on after it"),
        )),
        Some(false) => Ok((
            res.done,
            format!("{display}: {origin} was running when the last runner stopped; the database shows it did not commit, so the run starts with it"),
        )),
        None => Err(cannot_tell(job, res, n, &origin)),
    }
}

/// Nothing can tell whether statement `n` committed: the user looks and chooses.
fn cannot_tell(job: &Job<'_>, res: &Resume, n: usize, origin: &str) -> Error {
    let total = job.section.steps.len();
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
    Error::new(Kind::Partial, format!("{}: {what}", job.file.display))
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
        )
}
