//! The one migration runner, used by every migrate command: runs sections in order, each
//! with its tracking row in one transaction where the engine allows it, and records honest
//! progress where it does not.

use std::time::Instant;

use crate::db::{Dialect, Driver};
use crate::error::{Error, Kind, Result};
use crate::interrupt;
use crate::report::Output;
use crate::schema::{self, Direction, Step, StepKind};
use crate::track::{self, MigrationRecord, RowState};

use super::source::{step_checksum, MigrationFile, Section};

/// One migration to run in one direction.
pub struct Job<'a> {
    pub file: &'a MigrationFile,
    pub section: Section,
    /// Statements already committed by an earlier, partial run (they are skipped).
    pub skip: usize,
}

/// A migration that ran.
#[derive(Debug, Clone)]
pub struct Done {
    pub name: String,
    pub duration_ms: i64,
    pub statements: usize,
}

pub struct Runner<'a> {
    pub driver: &'a mut dyn Driver,
    pub table: &'a str,
    pub out: &'a Output,
}

/// Why a section cannot run inside one transaction, if it cannot.
fn non_transactional_reason(d: &dyn Driver, section: &Section) -> Option<String> {
    if !section.transaction {
        return Some("it runs without a transaction (transaction:false)".into());
    }
    let ddl = section.steps.iter().find_map(|s| match &s.kind {
        StepKind::Sql { sql, .. } if d.commits_implicitly(sql) => Some(s.origin.clone()),
        _ => None,
    });
    ddl.map(|origin| {
        format!(
            "{} commits DDL statements implicitly ({origin} is one), so a transaction cannot undo them",
            engine_name(d.dialect())
        )
    })
}

fn engine_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "SQLite",
        Dialect::Mysql => "MySQL",
    }
}

impl Runner<'_> {
    /// Runs the jobs in order; stops at the first failure. `batch` is the batch new rows get.
    pub fn run(&mut self, jobs: Vec<Job<'_>>, dir: Direction, batch: i64) -> Result<Vec<Done>> {
        let mut done: Vec<Done> = Vec::new();
        for job in jobs {
            if let Err(e) = interrupt::check() {
                return Err(with_done(e, &done, dir));
            }
            match self.run_one(&job, dir, batch) {
                Ok(d) => done.push(d),
                Err(e) => return Err(with_done(e, &done, dir)),
            }
        }
        Ok(done)
    }

    fn run_one(&mut self, job: &Job<'_>, dir: Direction, batch: i64) -> Result<Done> {
        let started = Instant::now();
        let rebuilds = job
            .section
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::SqliteRebuild { .. }));
        if rebuilds {
            // SQLite's table rebuild needs foreign key enforcement off, which only
            // works outside a transaction; violations are checked before commit.
            self.driver
                .set_foreign_keys(false)
                .map_err(|e| e.into_error())?;
        }
        let result = match non_transactional_reason(&*self.driver, &job.section) {
            None => self.run_transactional(job, dir, batch, rebuilds, started),
            Some(reason) => self.run_statementwise(job, dir, batch, &reason, started),
        };
        if rebuilds {
            let _ = self.driver.set_foreign_keys(true);
        }
        result
    }

    fn run_transactional(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        check_fks: bool,
        started: Instant,
    ) -> Result<Done> {
        let file = job.file;
        self.driver.begin().map_err(|e| e.into_error())?;
        let body = (|| -> Result<()> {
            for step in &job.section.steps[job.skip..] {
                interrupt::check()?;
                self.exec(step)
                    .map_err(|e| step_error(file, step, e, dir))?;
            }
            // Ctrl-C may have cut a statement short without an error (MariaDB's DO SLEEP):
            // it still means "stop", and nothing is committed yet.
            interrupt::check()?;
            if check_fks {
                self.check_foreign_keys(file)?;
            }
            self.record(job, dir, batch, started)
        })();
        match body {
            Ok(()) => {
                self.driver.commit().map_err(|e| {
                    e.into_error()
                        .context(format!("{}: cannot commit", file.display))
                })?;
                Ok(self.done(job, started))
            }
            Err(e) => {
                let _ = self.driver.rollback();
                let what = match dir {
                    Direction::Up => {
                        "the migration was rolled back: none of its statements were applied"
                    }
                    Direction::Down => "its rollback was undone: the migration is still applied",
                };
                Err(if e.is_interrupted() {
                    Error::interrupted().context(&file.display).detail(what)
                } else {
                    e.detail(what)
                })
            }
        }
    }

    fn run_statementwise(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        reason: &str,
        started: Instant,
    ) -> Result<Done> {
        let file = job.file;
        let steps = &job.section.steps;
        let total = steps.len();
        let checksums: Vec<String> = steps.iter().map(step_checksum).collect();
        for (k, step) in steps.iter().enumerate().skip(job.skip) {
            let outcome = interrupt::check()
                .and_then(|_| self.exec(step).map_err(|e| step_error(file, step, e, dir)));
            if let Err(e) = outcome {
                return Err(self.stopped_at(job, dir, batch, k, total, &checksums, reason, e));
            }
            // Record progress while more statements follow, so even a killed run leaves
            // an honest account of what committed.
            if dir == Direction::Up && k + 1 < total {
                track::record_migration(
                    self.driver,
                    self.table,
                    &MigrationRecord {
                        name: &file.name,
                        batch,
                        checksum: &file.checksum,
                        duration_ms: elapsed_ms(started),
                        state: RowState::Partial,
                        statements_applied: Some((k + 1) as i64),
                        error: Some("in progress (or the runner was killed)"),
                        statement_checksums: &checksums[..=k],
                    },
                )?;
            }
        }
        self.record(job, dir, batch, started)?;
        Ok(self.done(job, started))
    }

    /// A statement-by-statement run stopped at statement `k` (0-based).
    #[allow(clippy::too_many_arguments)]
    fn stopped_at(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        k: usize,
        total: usize,
        checksums: &[String],
        reason: &str,
        e: Error,
    ) -> Error {
        let file = job.file;
        if k == 0 {
            let e = e.detail(match dir {
                Direction::Up => "nothing of it was applied (its first statement failed)",
                Direction::Down => "nothing of its down section ran (its first statement failed); it is still applied",
            });
            return if e.is_interrupted() {
                Error::interrupted().context(&file.display)
            } else {
                e
            };
        }
        let message = if e.is_interrupted() {
            "interrupted by Ctrl-C".to_string()
        } else {
            e.message.clone()
        };
        let committed = if k == 1 {
            format!("statement 1 of {total} committed and cannot be undone: {reason}")
        } else {
            format!("statements 1–{k} of {total} committed and cannot be undone: {reason}")
        };
        let recorded = match dir {
            Direction::Up => track::record_migration(
                self.driver,
                self.table,
                &MigrationRecord {
                    name: &file.name,
                    batch,
                    checksum: &file.checksum,
                    duration_ms: 0,
                    state: RowState::Partial,
                    statements_applied: Some(k as i64),
                    error: Some(&message),
                    statement_checksums: &checksums[..k],
                },
            ),
            Direction::Down => track::record_down_error(
                self.driver,
                self.table,
                &file.name,
                &format!(
                    "rollback stopped at down statement {} of {total}: {message}",
                    k + 1
                ),
            ),
        };
        let mut err = Error {
            kind: if e.is_interrupted() {
                Kind::Interrupted
            } else {
                Kind::Partial
            },
            ..e
        };
        err = err.detail(committed);
        match (dir, recorded) {
            (Direction::Up, Ok(())) => {
                err = err
                    .detail(format!(
                        "{} is recorded as partial in `{}`",
                        file.name, self.table
                    ))
                    .hint(format!(
                        "fix statement {} and run `furrow migrate:latest` to resume from it, or run `furrow migrate:down {}` to run its down section",
                        k + 1,
                        file.name
                    ))
                    .with_data("partial", serde_json::json!({"name": file.name, "statements_applied": k, "statements": total}));
            }
            (Direction::Down, Ok(())) => {
                err = err.hint(format!(
                    "{} is still recorded as applied; make its down section safe to re-run (e.g. IF EXISTS) and roll back again",
                    file.name
                ));
            }
            (_, Err(re)) => {
                err = err.detail(format!(
                    "recording this in `{}` failed too: {}",
                    self.table, re.message
                ));
            }
        }
        err
    }

    fn record(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        started: Instant,
    ) -> Result<()> {
        match dir {
            Direction::Up => track::record_migration(
                self.driver,
                self.table,
                &MigrationRecord {
                    name: &job.file.name,
                    batch,
                    checksum: &job.file.checksum,
                    duration_ms: elapsed_ms(started),
                    state: RowState::Applied,
                    statements_applied: Some(job.section.steps.len() as i64),
                    error: None,
                    statement_checksums: &[],
                },
            ),
            Direction::Down => track::delete_migration(self.driver, self.table, &job.file.name),
        }
    }

    fn done(&self, job: &Job<'_>, started: Instant) -> Done {
        Done {
            name: job.file.name.clone(),
            duration_ms: elapsed_ms(started),
            statements: job.section.steps.len() - job.skip,
        }
    }

    fn check_foreign_keys(&mut self, file: &MigrationFile) -> Result<()> {
        let rows = self
            .driver
            .query("PRAGMA foreign_key_check", &[])
            .map_err(|e| e.into_error())?;
        if rows.is_empty() {
            return Ok(());
        }
        let first = rows
            .iter()
            .take(3)
            .map(|r| {
                format!(
                    "row {} of {} references missing {}",
                    r.get(1).map(|v| v.preview()).unwrap_or_default(),
                    r.first().map(|v| v.preview()).unwrap_or_default(),
                    r.get(2).map(|v| v.preview()).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::database(format!(
            "{}: after rebuilding the table, {} row(s) violate foreign keys: {first}",
            file.display,
            rows.len()
        ))
        .hint("fix the data (or the foreign key) and run the migration again"))
    }

    /// Runs one step on the connection.
    fn exec(&mut self, step: &Step) -> Result<u64> {
        match &step.kind {
            StepKind::Sql { sql, params } => {
                self.out.statement(&step.origin, sql);
                self.driver.execute(sql, params).map_err(|e| e.into_error())
            }
            StepKind::SqliteRebuild { table, change } => {
                let live = self
                    .driver
                    .sqlite_master(table)
                    .map_err(|e| e.into_error())?
                    .ok_or_else(|| Error::database(format!("no such table: {table}")))?;
                let statements = schema::sqlite_rebuild_statements(table, change, &live)
                    .map_err(Error::validation)?;
                // Renaming the rebuilt table must not rewrite references to the old one;
                // only during the rebuild (a plain rename_table should update them).
                self.driver
                    .execute("PRAGMA legacy_alter_table = ON", &[])
                    .map_err(|e| e.into_error())?;
                let result = statements.iter().try_for_each(|sql| {
                    interrupt::check()?;
                    self.out.statement(&step.origin, sql);
                    self.driver
                        .execute(sql, &[])
                        .map(|_| ())
                        .map_err(|e| e.into_error())
                });
                let reset = self.driver.execute("PRAGMA legacy_alter_table = OFF", &[]);
                result?;
                reset.map_err(|e| e.into_error())?;
                Ok(0)
            }
            StepKind::DropIndexIfExists { table, name } => {
                if !self
                    .driver
                    .index_exists(table, name)
                    .map_err(|e| e.into_error())?
                {
                    return Ok(0);
                }
                let d = self.driver.dialect();
                let sql = match d {
                    Dialect::Mysql => format!(
                        "DROP INDEX {} ON {}",
                        d.quote_ident(name),
                        d.quote_ident(table)
                    ),
                    Dialect::Sqlite => format!("DROP INDEX {}", d.quote_ident(name)),
                };
                self.out.statement(&step.origin, &sql);
                self.driver.execute(&sql, &[]).map_err(|e| e.into_error())
            }
            StepKind::DropForeignKeysOn { table, columns } => {
                let names = self
                    .driver
                    .foreign_keys_on(table, columns)
                    .map_err(|e| e.into_error())?;
                let d = self.driver.dialect();
                for name in names {
                    let sql = format!(
                        "ALTER TABLE {} DROP FOREIGN KEY {}",
                        d.quote_ident(table),
                        d.quote_ident(&name)
                    );
                    self.out.statement(&step.origin, &sql);
                    self.driver.execute(&sql, &[]).map_err(|e| e.into_error())?;
                }
                Ok(0)
            }
            StepKind::DeleteByPrimaryKey { table, rows } => {
                let key = self.driver.primary_key(table).map_err(|e| e.into_error())?;
                if key.is_empty() {
                    return Err(Error::validation(format!(
                        "cannot delete the inserted rows of `{table}`: it has no primary key"
                    ))
                    .hint("give the insert a `key:` listing the columns that identify its rows"));
                }
                let dialect = self.driver.dialect();
                let statements =
                    schema::delete_by_key(table, &key, rows, dialect).map_err(Error::validation)?;
                let mut n = 0;
                for (sql, params) in statements {
                    interrupt::check()?;
                    self.out.statement(&step.origin, &sql);
                    n += self
                        .driver
                        .execute(&sql, &params)
                        .map_err(|e| e.into_error())?;
                }
                Ok(n)
            }
        }
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    started.elapsed().as_millis().min(i64::MAX as u128) as i64
}

/// "migrations/x.sql: statement 3 (line 12) failed: no such table: foo".
fn step_error(file: &MigrationFile, step: &Step, e: Error, dir: Direction) -> Error {
    if e.is_interrupted() {
        return e;
    }
    let section = match dir {
        Direction::Up => "",
        Direction::Down => "down section, ",
    };
    Error {
        message: format!(
            "{}: {section}{} failed: {}",
            file.display, step.origin, e.message
        ),
        ..e
    }
}

/// Adds what ran before a failure to the error.
fn with_done(e: Error, done: &[Done], dir: Direction) -> Error {
    if done.is_empty() {
        return e;
    }
    let names: Vec<&str> = done.iter().map(|d| d.name.as_str()).collect();
    let verb = match dir {
        Direction::Up => "applied",
        Direction::Down => "rolled back",
    };
    e.detail(format!("{verb} before the failure: {}", names.join(", ")))
        .with_data(verb.replace(' ', "_").as_str(), serde_json::json!(names))
}
