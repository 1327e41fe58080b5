//! The one migration runner, used by every migrate command: runs sections in order, each
//! with its tracking row in one transaction where the engine allows it, and records honest
//! progress where it does not.

use std::time::Instant;

use crate::db::{Driver, Session};
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
    /// Statements already committed by an earlier, partial run (they are skipped; the
    /// session settings among them are replayed first).
    pub skip: usize,
    /// Its tracking row exists already (a partial one being finished).
    pub row_exists: bool,
    /// Down jobs: the row's `error` before this run, put back when nothing of the down ran.
    pub prior_error: Option<String>,
}

/// Where a statement-by-statement run stopped: at statement `k` (0-based; the section's
/// length for its closing commit); `lost`: the connection went away; `may_commit`: the
/// statement could commit on its own (it did not run inside a transaction left open).
#[derive(Debug, Clone, Copy)]
struct Stop {
    k: usize,
    lost: bool,
    may_commit: bool,
}

/// The start of a row's `error` while its down section is stopped half-way.
pub const DOWN_STOPPED: &str = "rollback stopped at down statement";

/// A migration that ran.
#[derive(Debug, Clone)]
pub struct Done {
    pub name: String,
    pub duration_ms: i64,
    pub statements: usize,
}

pub struct Runner<'a> {
    /// The runner's own connection: the lock and the tracking rows.
    pub driver: &'a mut dyn Driver,
    /// The connection that runs the migrations' statements, where the engine needs one of
    /// its own (MySQL); `None`: `driver` runs them too.
    pub work: Option<Box<dyn Driver>>,
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
            d.dialect().engine()
        )
    })
}

/// One statement-by-statement run of a job: what every step of it needs to know.
struct StepRun<'r, 'j> {
    job: &'r Job<'j>,
    dir: Direction,
    batch: i64,
    /// Why it does not run in one transaction.
    reason: &'r str,
    started: Instant,
}

/// The lines that say what committed, what rolled back and what may have.
fn stop_details(
    run: &StepRun<'_, '_>,
    stop: Stop,
    p: &Progress,
    uncertain: bool,
    rolled_back: Option<&(String, bool)>,
) -> Vec<String> {
    let total = run.job.section.steps.len();
    let mut details = Vec::new();
    if p.durable > 0 {
        details.push(format!(
            "{} of {total} committed and cannot be undone: {}",
            span(1, p.durable),
            run.reason
        ));
    }
    if let Some((rb, several)) = rolled_back {
        details.push(format!(
            "{rb} ran inside a transaction the migration opened (SET AUTOCOMMIT=0 or START TRANSACTION) and {} rolled back",
            if *several { "were" } else { "was" }
        ));
    }
    if uncertain {
        details.push(if stop.k < total {
            format!(
                "statement {} was running when the connection was lost: it may have committed",
                stop.k + 1
            )
        } else {
            "its closing COMMIT was running when the connection was lost: it may have committed"
                .to_string()
        });
    }
    if p.durable == 0 && !uncertain {
        details.push(match run.dir {
            Direction::Up => "nothing of it was applied".to_string(),
            Direction::Down => "nothing of its down section ran; its row is unchanged".to_string(),
        });
    }
    details
}

/// "statements 1–3" / "statement 2".
fn span(from: usize, to: usize) -> String {
    if from == to {
        format!("statement {from}")
    } else {
        format!("statements {from}–{to}")
    }
}

/// Where a statement-by-statement run stands.
struct Progress {
    session: Session,
    /// Statements (from the start of the section) whose effects are durable.
    durable: usize,
    /// The chained checksum of those statements.
    durable_hash: String,
    /// The chained checksum of every statement run so far.
    hash: String,
    row_exists: bool,
}

impl<'a> Runner<'a> {
    /// A runner on `driver`, with a connection of its own for the statements where the
    /// engine needs one; Ctrl-C then interrupts that connection.
    pub fn new(driver: &'a mut dyn Driver, table: &'a str, out: &'a Output) -> Result<Self> {
        let work = driver.open_session().map_err(|e| {
            e.into_error()
                .context("cannot open a second connection for the migrations' statements")
        })?;
        if let Some(w) = &work {
            interrupt::set_hook(w.interrupter());
        }
        Ok(Runner {
            driver,
            work,
            table,
            out,
        })
    }

    /// The connection that runs the statements.
    fn w(&mut self) -> &mut dyn Driver {
        match &mut self.work {
            Some(w) => &mut **w,
            None => &mut *self.driver,
        }
    }

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
            self.w().prepare_rebuilds(true)?;
        }
        let result = match non_transactional_reason(self.w(), &job.section) {
            None => {
                // A transaction that lost a deadlock or, on Galera, a certification conflict
                // (another node's DDL or write came first) was rolled back whole: run it again.
                let mut tries = 0;
                loop {
                    let r = self.run_transactional(job, dir, batch, rebuilds, started);
                    match r {
                        Err(e) if tries < 3 && track::conflict(&e) => {
                            tries += 1;
                            let _ = self.w().reset_session();
                        }
                        r => break r,
                    }
                }
            }
            Some(reason) => self.run_statementwise(job, dir, batch, &reason, started),
        };
        if rebuilds {
            let _ = self.w().prepare_rebuilds(false);
        }
        // The next migration starts in a clean session, whatever this one set.
        if self.work.is_some() {
            let reset = self.w().reset_session();
            if let (Ok(_), Err(e)) = (&result, reset) {
                return Err(e
                    .into_error()
                    .context("cannot reset the session after the migration"));
            }
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
        self.w().begin()?;
        let body = (|| -> Result<()> {
            for step in &job.section.steps[job.skip..] {
                interrupt::check()?;
                self.exec(step)
                    .map_err(|e| step_error(file, step, e, dir))?;
                crate::failpoint::pause("migrate-statement");
            }
            // Ctrl-C may have cut a statement short without an error (MariaDB's DO SLEEP):
            // it still means "stop", and nothing is committed yet.
            interrupt::check()?;
            if check_fks {
                self.w().check_rebuilt(&file.display)?;
            }
            // The tracking row commits with the migration, on the same connection.
            let (table, rec) = (self.table, self.record_of(job, dir, batch, started));
            let w = self.w();
            match dir {
                Direction::Up => track::record_migration(w, table, &rec, job.row_exists),
                Direction::Down => track::delete_migration(w, table, &file.name),
            }
        })();
        match body {
            Ok(()) => match self.w().commit() {
                Ok(()) => Ok(self.done(job, started)),
                // The COMMIT's answer was lost (or a late interrupt hit it): the tracking
                // table, read on the runner's own connection, says whether it went through.
                Err(e) if self.work.is_some() && self.committed_after_all(job, dir) => {
                    self.out.warn(format!(
                        "{}: the server's answer to COMMIT was an error ({e}), but the migration is recorded: it committed",
                        file.display
                    ));
                    Ok(self.done(job, started))
                }
                Err(e) => Err(e
                    .into_error()
                    .context(format!("{}: cannot commit", file.display))),
            },
            Err(e) => {
                let _ = self.w().rollback();
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

    /// After a failed COMMIT: does the tracking table show the migration's change?
    fn committed_after_all(&mut self, job: &Job<'_>, dir: Direction) -> bool {
        let Ok(rows) = track::read_migrations(self.driver, self.table) else {
            return false;
        };
        let row = rows.iter().find(|r| r.name == job.file.name);
        match dir {
            Direction::Up => row.is_some_and(|r| r.state == RowState::Applied),
            Direction::Down => row.is_none(),
        }
    }

    /// Records on the runner's own connection that statement `running` (1-based) is about
    /// to run, so that a kill at any moment leaves an account that is true.
    fn record_running(
        &mut self,
        job: &Job<'_>,
        batch: i64,
        p: &mut Progress,
        running: usize,
        started: Instant,
    ) -> Result<()> {
        let rec = MigrationRecord {
            name: &job.file.name,
            batch,
            checksum: &job.file.checksum,
            duration_ms: elapsed_ms(started),
            state: RowState::Partial,
            statements_applied: Some(p.durable as i64),
            error: None,
            progress_checksum: Some(&p.durable_hash),
            statement_running: Some(running as i64),
        };
        track::record_progress(self.driver, self.table, &rec, p.row_exists)?;
        p.row_exists = true;
        Ok(())
    }

    fn run_statementwise(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        reason: &str,
        started: Instant,
    ) -> Result<Done> {
        let run = StepRun {
            job,
            dir,
            batch,
            reason,
            started,
        };
        let steps = &job.section.steps;
        let skip = job.skip.min(steps.len());
        let checksums: Vec<String> = steps.iter().map(step_checksum).collect();
        let skipped_hash = checksums[..skip]
            .iter()
            .fold(String::new(), |h, c| track::chain(&h, c));
        let mut p = Progress {
            session: Session::FRESH,
            durable: job.skip,
            durable_hash: skipped_hash.clone(),
            hash: skipped_hash,
            row_exists: job.row_exists,
        };
        self.replay_settings(&run, &mut p)?;
        for (k, step) in steps.iter().enumerate().skip(job.skip) {
            self.statement(&run, &mut p, k, step)?;
            crate::failpoint::pause("migrate-statement");
            p.hash = track::chain(&p.hash, &checksums[k]);
            if !p.session.in_transaction {
                p.durable = k + 1;
                p.durable_hash = p.hash.clone();
            }
        }
        self.close_open_transaction(&run, &mut p)?;
        self.record(job, dir, batch, started, p.row_exists)?;
        Ok(self.done(job, started))
    }

    /// A resumed run replays the session settings (SET, USE …) of the statements it skips,
    /// so the rest runs as it would have in one go.
    fn replay_settings(&mut self, run: &StepRun<'_, '_>, p: &mut Progress) -> Result<()> {
        let steps = &run.job.section.steps;
        for step in &steps[..run.job.skip.min(steps.len())] {
            let StepKind::Sql { sql, params } = &step.kind else {
                continue;
            };
            if !self.w().is_session_setting(sql) {
                continue;
            }
            self.out.statement(&step.origin, sql);
            let w = self.w();
            let replayed = w
                .execute(sql, params)
                .and_then(|_| w.session_after(sql, p.session));
            p.session = replayed.map_err(|e| {
                step_error(run.job.file, step, e.into_error(), run.dir).detail(
                    "replaying the session settings before the resume point failed; nothing of it ran",
                )
            })?;
        }
        Ok(())
    }

    /// Runs statement `k`, recording first that it runs when it may commit; a failure comes
    /// back as the whole account of the stop (see `stopped_at`).
    fn statement(
        &mut self,
        run: &StepRun<'_, '_>,
        p: &mut Progress,
        k: usize,
        step: &Step,
    ) -> Result<()> {
        if let Err(e) = interrupt::check() {
            let stop = Stop {
                k,
                lost: false,
                may_commit: false,
            };
            return Err(self.stopped_at(run, stop, p, e));
        }
        let sql = match &step.kind {
            StepKind::Sql { sql, .. } => sql.as_str(),
            _ => "",
        };
        let may_commit =
            !matches!(step.kind, StepKind::Sql { .. }) || self.w().may_commit(sql, p.session);
        if may_commit {
            self.record_before(run, p, k)?;
        }
        let mut lost = false;
        let outcome = self.exec_tracking_loss(step, &mut lost).and_then(|_| {
            let session = p.session;
            self.w().session_after(sql, session).map_err(|e| {
                lost = e.connection_lost;
                e.into_error()
            })
        });
        let e = match outcome {
            Ok(session) => {
                p.session = session;
                return Ok(());
            }
            Err(e) => e,
        };
        if !lost && p.session.in_transaction {
            // A failed DDL statement may still have committed the open transaction.
            if let Ok(after) = self.w().session_after_error(sql, p.session) {
                if !after.in_transaction {
                    p.durable = k;
                    p.durable_hash = p.hash.clone();
                }
                p.session = after;
            }
        }
        let e = step_error(run.job.file, step, e, run.dir);
        let stop = Stop {
            k,
            lost,
            may_commit,
        };
        Err(self.stopped_at(run, stop, p, e))
    }

    /// Before a statement that may commit: the up direction records that it runs; a down
    /// section notes it on the row, so a kill in its middle leaves a trace too.
    fn record_before(&mut self, run: &StepRun<'_, '_>, p: &mut Progress, k: usize) -> Result<()> {
        match run.dir {
            Direction::Up => self.record_running(run.job, run.batch, p, k + 1, run.started),
            Direction::Down => track::record_down_error(
                self.driver,
                self.table,
                &run.job.file.name,
                &format!(
                    "{DOWN_STOPPED} {} of {} (it was running when the runner stopped; it may have committed)",
                    k + 1,
                    run.job.section.steps.len()
                ),
            ),
        }
    }

    /// The migration left a transaction open (SET AUTOCOMMIT=0 without a COMMIT): its
    /// statements are applied when it commits, as if the file ended with COMMIT.
    fn close_open_transaction(&mut self, run: &StepRun<'_, '_>, p: &mut Progress) -> Result<()> {
        if !p.session.in_transaction {
            return Ok(());
        }
        let total = run.job.section.steps.len();
        if run.dir == Direction::Up {
            self.record_running(run.job, run.batch, p, total + 1, run.started)?;
        }
        let Err(e) = self.w().commit() else {
            return Ok(());
        };
        let lost = e.connection_lost;
        let e = e.into_error().context(format!(
            "{}: cannot commit the transaction the migration left open",
            run.job.file.display
        ));
        let stop = Stop {
            k: total,
            lost,
            may_commit: true,
        };
        Err(self.stopped_at(run, stop, p, e))
    }

    /// Runs a step, noting whether a failure lost the connection.
    fn exec_tracking_loss(&mut self, step: &Step, lost: &mut bool) -> Result<u64> {
        if let StepKind::Sql { sql, params } = &step.kind {
            self.out.statement(&step.origin, sql);
            return self.w().execute(sql, params).map_err(|e| {
                *lost = e.connection_lost;
                e.into_error()
            });
        }
        self.exec(step)
    }

    /// A statement-by-statement run stopped (see `Stop`): undo what a transaction the
    /// migration opened still holds, record the truth, and say it.
    fn stopped_at(
        &mut self,
        run: &StepRun<'_, '_>,
        stop: Stop,
        p: &mut Progress,
        e: Error,
    ) -> Error {
        let file = run.job.file;
        // Lost while a statement ran that could not commit on its own (inside an open
        // transaction): nothing of it is uncertain, it all rolled back.
        let uncertain = stop.lost && stop.may_commit;
        let rolled_back = self.undo_open_transaction(stop, p);
        let interrupted = e.is_interrupted();
        let message = if interrupted {
            track::INTERRUPTED.to_string()
        } else if stop.lost && !uncertain {
            track::CONNECTION_LOST.to_string()
        } else {
            e.message.clone()
        };
        let nothing = p.durable == 0 && !uncertain && rolled_back.is_none();
        let details = stop_details(run, stop, p, uncertain, rolled_back.as_ref());
        let recorded = self.record_stop(run, stop, p, uncertain, nothing, &message);
        let mut err = if interrupted {
            Error::interrupted().context(&file.display)
        } else {
            Error {
                kind: if nothing { e.kind } else { Kind::Partial },
                ..e
            }
        };
        for d in details {
            err = err.detail(d);
        }
        if nothing {
            return err;
        }
        match recorded {
            Ok(()) => self.stop_hint(run, stop, p, err, uncertain || interrupted || stop.lost),
            Err(re) => err.detail(format!(
                "recording this in `{}` failed too: {}",
                self.table, re.message
            )),
        }
    }

    /// Rolls back what ran inside a transaction the migration opened; returns which
    /// statements that was, and whether there were several. (A statement cut off by a lost
    /// connection inside the transaction went with it.)
    fn undo_open_transaction(&mut self, stop: Stop, p: &Progress) -> Option<(String, bool)> {
        let last = if stop.lost && !stop.may_commit {
            stop.k + 1
        } else {
            stop.k
        };
        (p.durable < last && p.session.in_transaction).then(|| {
            let _ = self.w().reset_session();
            (span(p.durable + 1, last), last - p.durable > 1)
        })
    }

    /// What a later run reads: a clean failure (fix, or resume as is when the cause passes),
    /// or a statement that may have committed; nothing at all when nothing ran.
    fn record_stop(
        &mut self,
        run: &StepRun<'_, '_>,
        stop: Stop,
        p: &Progress,
        uncertain: bool,
        nothing: bool,
        message: &str,
    ) -> Result<()> {
        let (job, file) = (run.job, run.job.file);
        let total = job.section.steps.len();
        match run.dir {
            // Nothing committed and nothing may have: no row, as if it never ran.
            Direction::Up if nothing && !p.row_exists => Ok(()),
            Direction::Up if nothing && job.skip == 0 && !job.row_exists => {
                track::delete_migration(self.driver, self.table, &file.name)
            }
            Direction::Up => track::record_progress(
                self.driver,
                self.table,
                &MigrationRecord {
                    name: &file.name,
                    batch: run.batch,
                    checksum: &file.checksum,
                    duration_ms: 0,
                    state: RowState::Partial,
                    statements_applied: Some(p.durable as i64),
                    error: (!uncertain).then_some(message),
                    progress_checksum: Some(&p.durable_hash),
                    statement_running: Some(stop.k as i64 + 1),
                },
                p.row_exists,
            ),
            // Nothing of the down ran: the row says what it said before.
            Direction::Down if p.durable == 0 && !uncertain => track::set_migration_error(
                self.driver,
                self.table,
                &file.name,
                job.prior_error.as_deref(),
            ),
            Direction::Down => track::record_down_error(
                self.driver,
                self.table,
                &file.name,
                &format!("{DOWN_STOPPED} {} of {total}: {message}", stop.k + 1),
            ),
        }
    }

    /// What to do next, once the stop is on record.
    fn stop_hint(
        &self,
        run: &StepRun<'_, '_>,
        stop: Stop,
        p: &Progress,
        err: Error,
        as_is: bool,
    ) -> Error {
        let file = run.job.file;
        let total = run.job.section.steps.len();
        if run.dir == Direction::Down {
            return err.hint(format!(
                "{} keeps its row in `{}`, marked as half rolled back; make its down section safe to re-run (e.g. IF EXISTS) and run `furrow migrate:down {}` again",
                file.name, self.table, file.name
            ));
        }
        let hint = if as_is {
            format!(
                "run `furrow migrate:latest` to finish it from statement {}, or `furrow migrate:down {}` to run its down section",
                p.durable + 1,
                file.name
            )
        } else {
            format!(
                "fix statement {} and run `furrow migrate:latest` to resume at statement {}, or run `furrow migrate:down {}` to run its down section",
                stop.k + 1,
                p.durable + 1,
                file.name
            )
        };
        err.detail(format!(
            "{} is recorded as partial in `{}`",
            file.name, self.table
        ))
        .hint(hint)
        .with_data(
            "partial",
            serde_json::json!({"name": file.name, "statements_applied": p.durable, "statements": total}),
        )
    }

    fn record_of<'j>(
        &self,
        job: &'j Job<'_>,
        _dir: Direction,
        batch: i64,
        started: Instant,
    ) -> MigrationRecord<'j> {
        MigrationRecord {
            name: &job.file.name,
            batch,
            checksum: &job.file.checksum,
            duration_ms: elapsed_ms(started),
            state: RowState::Applied,
            statements_applied: Some(job.section.steps.len() as i64),
            error: None,
            progress_checksum: None,
            statement_running: None,
        }
    }

    fn record(
        &mut self,
        job: &Job<'_>,
        dir: Direction,
        batch: i64,
        started: Instant,
        exists: bool,
    ) -> Result<()> {
        match dir {
            Direction::Up => {
                let rec = self.record_of(job, dir, batch, started);
                track::record_progress(self.driver, self.table, &rec, exists)
            }
            Direction::Down => track::delete_migration(self.driver, self.table, &job.file.name),
        }
    }

    fn done(&self, job: &Job<'_>, started: Instant) -> Done {
        let duration_ms = elapsed_ms(started);
        self.out.event(crate::report::Event::Migrated {
            name: &job.file.name,
            duration_ms: duration_ms as u64,
        });
        Done {
            name: job.file.name.clone(),
            duration_ms,
            statements: job.section.steps.len() - job.skip,
        }
    }

    /// Runs one step on the connection.
    fn exec(&mut self, step: &Step) -> Result<u64> {
        match &step.kind {
            StepKind::Sql { sql, params } => {
                self.out.statement(&step.origin, sql);
                self.w().execute(sql, params).map_err(|e| e.into_error())
            }
            StepKind::SqliteRebuild { table, change } => {
                let (out, origin) = (self.out, &step.origin);
                self.w()
                    .rebuild_table(table, change, &mut |sql| out.statement(origin, sql))?;
                Ok(0)
            }
            StepKind::DropIndexIfExists { table, name } => {
                if !self.w().index_exists(table, name)? {
                    return Ok(0);
                }
                let sql = self.w().drop_index_sql(table, name);
                self.out.statement(&step.origin, &sql);
                Ok(self.w().execute(&sql, &[])?)
            }
            StepKind::DropForeignKeysOn { table, columns } => {
                let (out, origin) = (self.out, &step.origin);
                self.w()
                    .drop_foreign_keys_on(table, columns, &mut |sql| out.statement(origin, sql))?;
                Ok(0)
            }
            StepKind::DeleteByPrimaryKey { table, rows } => {
                let key = self.w().primary_key(table)?;
                if key.is_empty() {
                    return Err(Error::validation(format!(
                        "cannot delete the inserted rows of `{table}`: it has no primary key"
                    ))
                    .hint("give the insert a `key:` listing the columns that identify its rows"));
                }
                let dialect = self.w().dialect();
                let statements =
                    schema::delete_by_key(table, &key, rows, dialect).map_err(Error::validation)?;
                let mut n = 0;
                for (sql, params) in statements {
                    interrupt::check()?;
                    self.out.statement(&step.origin, &sql);
                    n += self.w().execute(&sql, &params)?;
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
