//! Files on disk + rows in the tracking table → what to do, or why not. Pure functions.

use std::collections::HashMap;

use crate::error::{Error, Kind, Result};
use crate::track::{AppliedRow, RowState};

use super::source::{resolve, MigrationFile};

/// The state of one migration, as `migrate:status` shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Applied, and the file is as it was.
    Applied,
    /// Applied, but the file changed since.
    Modified,
    /// Not applied yet.
    Pending,
    /// Applied, but the file is gone.
    Missing,
    /// Some statements committed, then one failed (engines whose DDL is not transactional).
    Partial,
}

impl State {
    pub fn name(&self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Modified => "modified",
            State::Pending => "pending",
            State::Missing => "missing",
            State::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatusItem<'a> {
    pub name: String,
    pub state: State,
    pub row: Option<&'a AppliedRow>,
    pub file: Option<&'a MigrationFile>,
    /// Applied by Knex: under another name, or from a Knex file furrow does not run.
    pub by_knex: Option<ByKnex>,
}

/// How a migration Knex applied is known to furrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByKnex {
    /// The furrow file has the stem of the Knex row (its name, tracked).
    TrackedAs(String),
    /// The row names a Knex file of the migrations directory, which furrow does not run.
    KnexFile,
}

/// The extensions of Knex's own migration files (JavaScript and TypeScript).
pub const KNEX_EXTENSIONS: &[&str] = &["js", "ts", "cjs", "mjs"];

/// The stem of a name Knex recorded for one of its own files
/// (`20240101000000_create_users.js` → `20240101000000_create_users`).
pub fn knex_stem(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    KNEX_EXTENSIONS.contains(&ext).then_some(stem)
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Which row records each file: the row of its own name, or else a row Knex wrote for a
/// file of the same stem (`….js` for `….yaml`). A row records one file at most.
struct Matching<'a> {
    by_file: Vec<Option<&'a AppliedRow>>,
    file_of_row: HashMap<&'a str, usize>,
}

fn matching<'a>(files: &[MigrationFile], rows: &'a [AppliedRow]) -> Matching<'a> {
    let by_name: HashMap<&str, &AppliedRow> = rows.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut by_stem: HashMap<&str, &AppliedRow> = rows
        .iter()
        .filter_map(|r| knex_stem(&r.name).map(|s| (s, r)))
        .collect();
    let mut file_of_row = HashMap::new();
    let by_file = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let row = by_name
                .get(f.name.as_str())
                .copied()
                .or_else(|| by_stem.remove(stem(&f.name)));
            if let Some(r) = row {
                file_of_row.insert(r.name.as_str(), i);
            }
            row
        })
        .collect();
    Matching {
        by_file,
        file_of_row,
    }
}

/// Knex treats a row without a checksum (written by Knex) as unverifiable, not modified.
fn modified(file: &MigrationFile, row: &AppliedRow) -> bool {
    !row.checksum.is_empty() && row.checksum != file.checksum
}

/// Every migration, files and rows merged, in name order. `knex_files` are the Knex files
/// (`.js` …) of the migrations directories: rows naming them were applied by Knex.
pub fn status<'a>(
    files: &'a [MigrationFile],
    rows: &'a [AppliedRow],
    knex_files: &[String],
) -> Vec<StatusItem<'a>> {
    let m = matching(files, rows);
    let mut items: Vec<StatusItem<'a>> = files
        .iter()
        .zip(&m.by_file)
        .map(|(f, row)| {
            let row = *row;
            let state = match row {
                None => State::Pending,
                Some(r) if r.state == RowState::Partial => State::Partial,
                Some(r) if modified(f, r) => State::Modified,
                Some(_) => State::Applied,
            };
            StatusItem {
                name: f.name.clone(),
                state,
                row,
                file: Some(f),
                by_knex: row
                    .filter(|r| r.name != f.name)
                    .map(|r| ByKnex::TrackedAs(r.name.clone())),
            }
        })
        .collect();
    items.extend(
        rows.iter()
            .filter(|r| !m.file_of_row.contains_key(r.name.as_str()))
            .map(|r| {
                let knex_file = knex_stem(&r.name).is_some() && knex_files.contains(&r.name);
                StatusItem {
                    name: r.name.clone(),
                    state: if knex_file {
                        State::Applied
                    } else {
                        State::Missing
                    },
                    row: Some(r),
                    file: None,
                    by_knex: knex_file.then_some(ByKnex::KnexFile),
                }
            }),
    );
    items.sort_by(|a, b| a.name.cmp(&b.name));
    items
}

/// The batch a new run gets. A partial row does not count: finishing it is part of the new run.
pub fn next_batch(rows: &[AppliedRow]) -> i64 {
    rows.iter()
        .filter(|r| r.state == RowState::Applied)
        .map(|r| r.batch)
        .max()
        .unwrap_or(0)
        + 1
}

/// A partial migration to finish.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub file: usize,
    /// Statements known to be committed (the run starts after them).
    pub done: usize,
    /// Their chained checksum, compared with the file's before resuming.
    pub progress: String,
    pub stop: Stop,
}

/// How a partial migration stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A statement failed; `file_changed` says whether the file was edited since.
    Failed { file_changed: bool },
    /// The runner stopped (killed, lost its connection) while this statement (1-based) ran:
    /// it may have committed.
    Running(usize),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LatestPlan {
    pub resume: Option<Resume>,
    /// Indexes into the file list, in order.
    pub pending: Vec<usize>,
    /// Applied migrations whose file changed.
    pub modified: Vec<String>,
    /// Applied migrations whose file is gone (only with --ignore-missing).
    pub missing: Vec<String>,
    pub batch: i64,
}

pub struct Policy {
    pub ignore_missing: bool,
    pub strict_checksums: bool,
    /// The Knex files (`.js` …) of the migrations directories, by file name.
    pub knex_files: Vec<String>,
}

fn missing_error(missing: &[String]) -> Error {
    let mut e = Error::new(
        Kind::MissingFile,
        format!(
            "{} applied migration file(s) are missing from the migrations directory: {}",
            missing.len(),
            missing.join(", ")
        ),
    )
    .hint("restore the files (e.g. from version control), point `migrations.directory` at them, or pass --ignore-missing to go on without them");
    e = e.with_data("missing", serde_json::json!(missing));
    e
}

/// Checks shared by every command that changes the schema.
fn check_history(
    files: &[MigrationFile],
    rows: &[AppliedRow],
    policy: &Policy,
) -> Result<(Vec<String>, Vec<String>)> {
    let items = status(files, rows, &policy.knex_files);
    let missing: Vec<String> = items
        .iter()
        .filter(|i| i.state == State::Missing)
        .map(|i| i.name.clone())
        .collect();
    if !missing.is_empty() && !policy.ignore_missing {
        return Err(missing_error(&missing));
    }
    let modified: Vec<String> = items
        .iter()
        .filter(|i| i.state == State::Modified)
        .map(|i| i.name.clone())
        .collect();
    if !modified.is_empty() && policy.strict_checksums {
        return Err(Error::validation(format!(
            "applied migration(s) changed since they ran: {}",
            modified.join(", ")
        ))
        .hint("`migrations.checksums: strict` forbids this: restore the files and put the change in a new migration")
        .with_data("modified", serde_json::json!(modified)));
    }
    Ok((modified, missing))
}

/// `migrate:latest`: finish a partial migration if its file was fixed, then every pending one.
pub fn latest(files: &[MigrationFile], rows: &[AppliedRow], policy: &Policy) -> Result<LatestPlan> {
    let (modified, missing) = check_history(files, rows, policy)?;
    let mut plan = LatestPlan {
        modified,
        missing,
        batch: next_batch(rows),
        ..Default::default()
    };
    if let Some(row) = rows.iter().find(|r| r.state == RowState::Partial) {
        let Some(idx) = files.iter().position(|f| f.name == row.name) else {
            return Err(Error::new(
                Kind::Partial,
                format!("the partially applied migration {} has no file", row.name),
            )
            .hint(
                "restore the file, then run migrate:latest to finish it or migrate:down to undo it",
            ));
        };
        if let Some(e) = row
            .error
            .as_deref()
            .filter(|e| e.starts_with(super::runner::DOWN_STOPPED))
        {
            return Err(Error::new(
                Kind::Partial,
                format!("{} is half rolled back: its {e}", row.name),
            )
            .hint(format!(
                "make its down section safe to re-run (e.g. IF EXISTS) and run `furrow migrate:down {}` again; then `furrow migrate:latest` applies it from the start",
                row.name
            ))
            .with_data("partial", serde_json::json!(row.name)));
        }
        let file = &files[idx];
        let done = row.statements_applied.unwrap_or(0).max(0) as usize;
        let stop = match row.statement_running {
            Some(n) if n > 0 && row.error.is_none() => Stop::Running(n as usize),
            // Ctrl-C, or a lost connection that rolled the open transaction back: nothing
            // to fix, go on where it stopped.
            _ if matches!(
                row.error.as_deref(),
                Some(crate::track::INTERRUPTED | crate::track::CONNECTION_LOST)
            ) =>
            {
                Stop::Failed { file_changed: true }
            }
            _ => Stop::Failed {
                file_changed: file.checksum != row.checksum,
            },
        };
        plan.resume = Some(Resume {
            file: idx,
            done,
            progress: row.progress_checksum.clone().unwrap_or_default(),
            stop,
        });
        // A fixed partial migration is no longer "modified": it is being finished.
        plan.modified.retain(|n| n != &row.name);
    }
    plan.pending = pending(files, rows);
    Ok(plan)
}

/// The files no row records (by name, or Knex's by stem), as indexes in order.
pub fn pending(files: &[MigrationFile], rows: &[AppliedRow]) -> Vec<usize> {
    matching(files, rows)
        .by_file
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| i)
        .collect()
}

pub fn partial_error(row: &AppliedRow, display: &str) -> Error {
    let done = row.statements_applied.unwrap_or(0);
    let stopped_at = row.statement_running.filter(|n| *n > 0);
    if let (Some(n), None) = (stopped_at, &row.error) {
        return Error::new(
            Kind::Partial,
            format!(
                "{display} is partially applied: {done} statement(s) committed, and statement {n} was running when the runner stopped (it may have committed)"
            ),
        )
        .hint("run `furrow migrate:latest` to finish it (it checks what it can, or tells you how to choose where to resume), or `furrow migrate:down NAME` to run its down section")
        .with_data("partial", serde_json::json!(row.name));
    }
    Error::new(
        Kind::Partial,
        format!(
            "{display} is partially applied: {done} statement(s) committed, then it failed: {}",
            row.error.as_deref().unwrap_or("unknown error")
        ),
    )
    .hint(format!(
        "fix statement {} and run `furrow migrate:latest` to resume at statement {} (or, if it failed for a passing reason, `furrow migrate:latest --resume-from {}`), or run `furrow migrate:down {}` to run its down section",
        stopped_at.unwrap_or(done + 1),
        done + 1,
        done + 1,
        row.name
    ))
    .with_data("partial", serde_json::json!(row.name))
}

/// A migration to revert: its row, and its file (whose name may differ from the row's
/// when Knex applied it: the row is the one deleted).
#[derive(Debug, Clone)]
pub struct Revert<'a> {
    pub row: &'a AppliedRow,
    pub file: usize,
}

fn revert_item<'a>(m: &Matching<'_>, row: &'a AppliedRow) -> Result<Revert<'a>> {
    match m.file_of_row.get(row.name.as_str()) {
        Some(&file) => Ok(Revert { row, file }),
        None if knex_stem(&row.name).is_some() => Err(Error::new(
            Kind::MissingFile,
            format!(
                "cannot roll back {}: Knex applied it from a JavaScript/TypeScript file, which furrow cannot run, and no furrow file {}.sql or {}.yaml says how to undo it",
                row.name,
                stem(&row.name),
                stem(&row.name)
            ),
        )
        .hint(format!(
            "roll it back with `knex migrate:down {}`, or write its furrow version {}.yaml (or .sql) with a down section",
            row.name,
            stem(&row.name)
        ))
        .detail("nothing was rolled back")),
        None => Err(Error::new(
            Kind::MissingFile,
            format!(
                "cannot roll back {}: its file is missing, so its down section cannot be read",
                row.name
            ),
        )
        .hint("restore the file (e.g. from version control), then run the rollback again")),
    }
}

/// `migrate:rollback`: the last batch (or every batch), newest first.
pub fn rollback<'a>(
    files: &[MigrationFile],
    rows: &'a [AppliedRow],
    all: bool,
    policy: &Policy,
) -> Result<Vec<Revert<'a>>> {
    check_history(files, rows, policy)?;
    let last = rows.iter().map(|r| r.batch).max();
    let mut chosen: Vec<&AppliedRow> = rows
        .iter()
        .filter(|r| all || Some(r.batch) == last)
        .collect();
    chosen.sort_by_key(|r| std::cmp::Reverse(r.id));
    let m = matching(files, rows);
    chosen.into_iter().map(|r| revert_item(&m, r)).collect()
}

fn unknown_name(query: &str, names: &[&str], what: &str) -> Error {
    Error::validation(format!(
        "no {what} named `{query}`{}",
        crate::text::did_you_mean(query, names.iter().copied())
    ))
    .hint("give the file name (with or without extension) or the part after the timestamp; `furrow migrate:status` lists them")
}

/// `migrate:up [NAME]`: the next pending migration, or the named one.
pub fn up(
    files: &[MigrationFile],
    rows: &[AppliedRow],
    name: Option<&str>,
) -> Result<Option<usize>> {
    let m = matching(files, rows);
    match name {
        None => Ok(m.by_file.iter().position(Option::is_none)),
        Some(q) => {
            let file = resolve(q, files, |f| f.name.as_str()).map_err(|names| {
                if names.len() < files.len() && !names.is_empty() {
                    Error::validation(format!(
                        "`{q}` matches several migrations: {}",
                        names.join(", ")
                    ))
                } else {
                    unknown_name(q, &names, "migration file")
                }
            })?;
            let idx = files.iter().position(|f| f.name == file.name);
            if let Some(r) = idx.and_then(|i| m.by_file[i]) {
                if r.state == RowState::Partial {
                    return Err(partial_error(r, &file.display));
                }
                let by = if r.name == file.name {
                    String::new()
                } else {
                    format!(", by Knex as {}", r.name)
                };
                return Err(Error::validation(format!(
                    "{} is already applied (batch {}{by})",
                    file.name, r.batch
                ))
                .hint("`furrow migrate:down NAME` reverts it first"));
            }
            Ok(idx)
        }
    }
}

/// `migrate:down [NAME]`: the last applied migration, or the named one.
pub fn down<'a>(
    files: &[MigrationFile],
    rows: &'a [AppliedRow],
    name: Option<&str>,
) -> Result<Option<Revert<'a>>> {
    let row = match name {
        None => match rows.iter().max_by_key(|r| r.id) {
            Some(r) => r,
            None => return Ok(None),
        },
        Some(q) => match resolve(q, rows, |r| r.name.as_str()) {
            Ok(r) => r,
            Err(_) => {
                // Say whether it exists as a file at all.
                if let Ok(f) = resolve(q, files, |f| f.name.as_str()) {
                    return Err(Error::validation(format!(
                        "{} is not applied, so there is nothing to roll back",
                        f.name
                    ))
                    .hint("`furrow migrate:status` shows what is applied"));
                }
                let names: Vec<&str> = rows
                    .iter()
                    .map(|r| r.name.as_str())
                    .chain(files.iter().map(|f| f.name.as_str()))
                    .collect();
                return Err(unknown_name(q, &names, "migration"));
            }
        },
    };
    revert_item(&matching(files, rows), row).map(Some)
}

#[cfg(test)]
mod tests;
