//! The read-only commands: migrate:status, migrate:list, migrate:currentVersion.

use super::*;

/// Reads the migration files while `db_work` runs: a second thread starts reading, and this
/// one joins it when its database work is done (with many files, reading them and SQLite
/// loading a large schema take about as long as each other).
pub(super) fn with_files<T>(
    ctx: &Ctx,
    db_work: impl FnOnce() -> Result<T>,
) -> Result<(Vec<MigrationFile>, T)> {
    if ctx.config.migrations.embedded.is_some() {
        let files = source::list(ctx.config, ctx.out)?;
        return Ok((files, db_work()?));
    }
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
pub(super) fn read_state(ctx: &Ctx) -> Result<(Vec<MigrationFile>, Vec<AppliedRow>)> {
    with_files(ctx, || {
        session::read::<Migrations>(ctx).map(|(_, rows)| rows)
    })
}

pub fn status(ctx: &Ctx, check: bool) -> Result<Report> {
    let (files, (rows, holder)) = with_files(ctx, || {
        let (mut d, rows) = session::read::<Migrations>(ctx)?;
        let lock = <Migrations as session::Tracked>::lock(&mut *d, ctx.config)?;
        let holder = d.current_holder(&lock.spec)?;
        Ok((rows, holder))
    })?;
    let knex_files = knex::knex_files(ctx.config, &rows);
    let items = plan::status(&files, &rows, &knex_files);
    let mut r = ctx.report("migrate:status");
    if let Some(h) = &holder {
        r.line(
            Style::Attention,
            format!("A runner holds the migration lock: {h}"),
        );
        r.set(
            "lock_holder",
            json!({"host": h.host, "pid": h.pid, "since": h.since, "node": h.node}),
        );
    }
    let mut json_items = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for it in &items {
        *counts.entry(it.state.name()).or_default() += 1;
        let (style, detail) = status_detail(it);
        let label = format!("{:<9}{}", it.state.name(), it.name);
        r.line(style, session::status_line(label, &detail));
        if ctx.out.json {
            json_items.push(status_json(it));
        }
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

/// The style and the words after a migration's name in `migrate:status`.
fn status_detail(it: &plan::StatusItem<'_>) -> (Style, String) {
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
    (style, detail)
}

/// One item of `migrate:status --json`.
fn status_json(it: &plan::StatusItem<'_>) -> serde_json::Value {
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
    j
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
