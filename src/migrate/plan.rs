//! Files on disk + rows in the tracking table → what to do, or why not. Pure functions.

use std::collections::{HashMap, HashSet};

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
}

/// Knex treats a row without a checksum (written by Knex) as unverifiable, not modified.
fn modified(file: &MigrationFile, row: &AppliedRow) -> bool {
    !row.checksum.is_empty() && row.checksum != file.checksum
}

/// Every migration, files and rows merged, in name order.
pub fn status<'a>(files: &'a [MigrationFile], rows: &'a [AppliedRow]) -> Vec<StatusItem<'a>> {
    let by_name: HashMap<&str, &AppliedRow> = rows.iter().map(|r| (r.name.as_str(), r)).collect();
    let file_names: HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let mut items: Vec<StatusItem<'a>> = files
        .iter()
        .map(|f| {
            let row = by_name.get(f.name.as_str()).copied();
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
            }
        })
        .collect();
    items.extend(
        rows.iter()
            .filter(|r| !file_names.contains(r.name.as_str()))
            .map(|r| StatusItem {
                name: r.name.clone(),
                state: State::Missing,
                row: Some(r),
                file: None,
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
    let items = status(files, rows);
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
    let applied: HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
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
        let file = &files[idx];
        let done = row.statements_applied.unwrap_or(0).max(0) as usize;
        let stop = match row.statement_running {
            Some(n) if n > 0 && row.error.is_none() => Stop::Running(n as usize),
            // Ctrl-C stopped a statement: nothing to fix, go on where it stopped.
            _ if row.error.as_deref() == Some(crate::track::INTERRUPTED) => {
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
    plan.pending = files
        .iter()
        .enumerate()
        .filter(|(_, f)| !applied.contains(f.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    Ok(plan)
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

/// A migration to revert: its row, and its file when it exists.
#[derive(Debug, Clone)]
pub struct Revert<'a> {
    pub row: &'a AppliedRow,
    pub file: usize,
}

fn revert_item<'a>(files: &[MigrationFile], row: &'a AppliedRow) -> Result<Revert<'a>> {
    match files.iter().position(|f| f.name == row.name) {
        Some(file) => Ok(Revert { row, file }),
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
    chosen.into_iter().map(|r| revert_item(files, r)).collect()
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
    let applied: HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    match name {
        None => Ok(files
            .iter()
            .position(|f| !applied.contains(f.name.as_str()))),
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
            if let Some(r) = rows.iter().find(|r| r.name == file.name) {
                if r.state == RowState::Partial {
                    return Err(partial_error(r, &file.display));
                }
                return Err(Error::validation(format!(
                    "{} is already applied (batch {})",
                    file.name, r.batch
                ))
                .hint("`furrow migrate:down NAME` reverts it first"));
            }
            Ok(files.iter().position(|f| f.name == file.name))
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
    revert_item(files, row).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::source::{checksum, Format};
    use std::path::PathBuf;

    fn file(name: &str, body: &str) -> MigrationFile {
        MigrationFile {
            name: name.into(),
            path: PathBuf::from(name),
            display: format!("migrations/{name}"),
            format: Format::Sql,
            checksum: checksum(body.as_bytes()),
            content: body.as_bytes().to_vec(),
        }
    }

    fn row(id: i64, name: &str, batch: i64, body: &str) -> AppliedRow {
        AppliedRow {
            id,
            name: name.into(),
            batch,
            migration_time: "2024-01-01 00:00:00".into(),
            checksum: checksum(body.as_bytes()),
            duration_ms: Some(1),
            state: RowState::Applied,
            statements_applied: None,
            error: None,
            progress_checksum: None,
            statement_running: None,
        }
    }

    const LAX: Policy = Policy {
        ignore_missing: false,
        strict_checksums: false,
    };

    #[test]
    fn status_merges_files_and_rows() {
        let files = vec![
            file("20240101000000_a.sql", "a"),
            file("20240102000000_b.sql", "b2"),
            file("20240103000000_c.sql", "c"),
        ];
        let rows = vec![
            row(1, "20240101000000_a.sql", 1, "a"),
            row(2, "20240102000000_b.sql", 1, "b"),
            row(3, "20231231000000_z.sql", 1, "z"),
        ];
        let s: Vec<(String, State)> = status(&files, &rows)
            .into_iter()
            .map(|i| (i.name, i.state))
            .collect();
        assert_eq!(
            s,
            vec![
                ("20231231000000_z.sql".into(), State::Missing),
                ("20240101000000_a.sql".into(), State::Applied),
                ("20240102000000_b.sql".into(), State::Modified),
                ("20240103000000_c.sql".into(), State::Pending),
            ]
        );
    }

    #[test]
    fn latest_plans_pending_in_order_with_a_new_batch() {
        let files = vec![
            file("20240101000000_a.sql", "a"),
            file("20240102000000_b.sql", "b"),
            file("20240103000000_c.sql", "c"),
        ];
        let rows = vec![row(1, "20240102000000_b.sql", 3, "b")];
        let p = latest(&files, &rows, &LAX).unwrap();
        assert_eq!(p.pending, vec![0, 2]);
        assert_eq!(p.batch, 4);
    }

    #[test]
    fn latest_refuses_missing_files_unless_told() {
        let files = vec![file("20240102000000_b.sql", "b")];
        let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
        let e = latest(&files, &rows, &LAX).unwrap_err();
        assert_eq!(e.kind, Kind::MissingFile);
        assert!(e.message.contains("20240101000000_a.sql"));
        let p = latest(
            &files,
            &rows,
            &Policy {
                ignore_missing: true,
                strict_checksums: false,
            },
        )
        .unwrap();
        assert_eq!(p.pending, vec![0]);
        assert_eq!(p.missing, vec!["20240101000000_a.sql".to_string()]);
    }

    #[test]
    fn strict_checksums_refuse_modified_history() {
        let files = vec![file("20240101000000_a.sql", "edited")];
        let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
        assert_eq!(
            latest(&files, &rows, &LAX).unwrap().modified,
            vec!["20240101000000_a.sql".to_string()]
        );
        let e = latest(
            &files,
            &rows,
            &Policy {
                ignore_missing: false,
                strict_checksums: true,
            },
        )
        .unwrap_err();
        assert!(e.message.contains("changed since they ran"));
    }

    #[test]
    fn partial_migrations_block_until_fixed_then_resume() {
        let files = vec![
            file("20240101000000_a.sql", "a"),
            file("20240102000000_b.sql", "b"),
        ];
        let mut r = row(1, "20240101000000_a.sql", 1, "a");
        r.state = RowState::Partial;
        r.statements_applied = Some(2);
        r.progress_checksum = Some("h2".into());
        r.error = Some("no such table: x".into());
        r.statement_running = Some(3);
        let p = latest(&files, std::slice::from_ref(&r), &LAX).unwrap();
        assert_eq!(
            p.resume.as_ref().map(|r| r.stop),
            Some(Stop::Failed {
                file_changed: false
            })
        );
        let e = partial_error(&r, "migrations/a.sql");
        assert_eq!(e.kind, Kind::Partial);
        assert!(e.message.contains("then it failed"), "{}", e.message);
        assert!(e.hint.as_deref().unwrap_or("").contains("fix statement 3"));
        let fixed = vec![
            file("20240101000000_a.sql", "a fixed"),
            file("20240102000000_b.sql", "b"),
        ];
        let p = latest(&fixed, std::slice::from_ref(&r), &LAX).unwrap();
        assert_eq!(
            p.resume,
            Some(Resume {
                file: 0,
                done: 2,
                progress: "h2".into(),
                stop: Stop::Failed { file_changed: true }
            })
        );
        // Killed while statement 3 ran: resumable with the file as it is.
        r.statement_running = Some(3);
        r.error = None;
        let p = latest(&files, std::slice::from_ref(&r), &LAX).unwrap();
        assert_eq!(p.resume.as_ref().map(|r| r.stop), Some(Stop::Running(3)));
        assert!(partial_error(&r, "a")
            .message
            .contains("statement 3 was running"));
        assert_eq!(p.pending, vec![1]);
        assert!(p.modified.is_empty());
    }

    #[test]
    fn rollback_takes_the_last_batch_newest_first() {
        let files = vec![
            file("20240101000000_a.sql", "a"),
            file("20240102000000_b.sql", "b"),
            file("20240103000000_c.sql", "c"),
        ];
        let rows = vec![
            row(1, "20240101000000_a.sql", 1, "a"),
            row(2, "20240102000000_b.sql", 2, "b"),
            row(3, "20240103000000_c.sql", 2, "c"),
        ];
        let names = |v: Vec<Revert>| v.iter().map(|r| r.row.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(rollback(&files, &rows, false, &LAX).unwrap()),
            vec!["20240103000000_c.sql", "20240102000000_b.sql"]
        );
        assert_eq!(names(rollback(&files, &rows, true, &LAX).unwrap()).len(), 3);
        assert!(rollback(&files, &[], false, &LAX).unwrap().is_empty());
    }

    #[test]
    fn up_and_down_by_name() {
        let files = vec![
            file("20240101000000_a.sql", "a"),
            file("20240102000000_b.sql", "b"),
        ];
        let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
        assert_eq!(up(&files, &rows, None).unwrap(), Some(1));
        assert_eq!(up(&files, &rows, Some("b")).unwrap(), Some(1));
        assert!(up(&files, &rows, Some("a"))
            .unwrap_err()
            .message
            .contains("already applied"));
        assert!(up(&files, &rows, Some("zzz"))
            .unwrap_err()
            .message
            .contains("no migration file named"));
        assert_eq!(
            down(&files, &rows, None).unwrap().unwrap().row.name,
            "20240101000000_a.sql"
        );
        assert!(down(&files, &rows, Some("b"))
            .unwrap_err()
            .message
            .contains("is not applied"));
        assert!(down(&files, &[], None).unwrap().is_none());
    }
}
