//! Schema files and drift: `schema:dump` writes the live schema as SQL, `schema:drift`
//! compares it with what the applied migrations build, `schema:load` starts a new database
//! from a dump. (Not `schema/`, which is the YAML migration language.)
//!
//! The engines read their catalogs (`db::read_catalog`); this module prints them (`text`),
//! compares them (`diff`), and replays migrations through the one migration runner into a
//! scratch database (`scratch`).

mod diff;
mod scratch;
mod text;

use std::path::Path;

use serde_json::json;

use crate::catalog::{count, Catalog};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::{self, Dialect, Driver};
use crate::error::{self, Error, Kind, Result};
use crate::migrate::{self, plan, source};
use crate::report::{Report, Style};
use crate::session::{self, Migrations};
use crate::track::{self, AppliedRow, RowState};

use scratch::Scratch;
use text::Applied;

/// furrow's own tables, left out of schema files and comparisons: the configured ones,
/// their lock tables, and the default names.
fn tracking_tables(config: &Config) -> Vec<String> {
    let m = &config.migrations.table_name;
    let s = &config.seeds.table_name;
    let mut names = Vec::new();
    for table in [m.as_str(), "furrow_migrations", s.as_str(), "furrow_seeds"] {
        names.push(table.to_string());
        names.push(track::lock_table(table));
    }
    names.push(track::furrow_lock_table(m));
    names.sort();
    names.dedup();
    names
}

/// The applied migrations, in the order they ran.
fn applied(rows: &[AppliedRow]) -> Vec<Applied> {
    rows.iter()
        .filter(|r| r.state == RowState::Applied)
        .map(|r| Applied {
            name: r.name.clone(),
            checksum: r.checksum.clone(),
        })
        .collect()
}

fn catalog(d: &mut dyn Driver, config: &Config, include_tracking: bool) -> Result<Catalog> {
    let c = db::read_catalog(d).map_err(|e| e.into_error().context("cannot read the schema"))?;
    Ok(if include_tracking {
        c
    } else {
        c.without_tables(&tracking_tables(config))
    })
}

/// The live schema as a schema file's text, and what it holds.
fn dump_text(ctx: &Ctx, include_tracking: bool) -> Result<(String, Catalog, usize)> {
    let (mut d, rows) = session::peek::<Migrations>(ctx)?;
    let c = catalog(&mut *d, ctx.config, include_tracking)?;
    let applied = applied(&rows);
    Ok((text::render(&c, &applied), c, applied.len()))
}

/// Writes `text` to `path` through a file beside it, so a reader never sees half of it.
fn write_file(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.{}.furrow-tmp",
        std::process::id(),
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            error::io_error("write", path, &e)
        })
}

fn holds(c: &Catalog, migrations: usize) -> String {
    match migrations {
        0 => format!("{}; no applied migrations to list", c.summary()),
        n => format!("{}; made by {}", c.summary(), count(n, "applied migration")),
    }
}

/// `schema:dump [--output FILE] [--include-tracking]`.
pub fn dump(ctx: &Ctx, output: Option<&Path>, include_tracking: bool) -> Result<Report> {
    let (sql, c, migrations) = dump_text(ctx, include_tracking)?;
    let mut r = Report::new("schema:dump");
    r.set("environment", ctx.config.env.clone())
        .set("dialect", c.dialect.name())
        .set("tables", c.tables.len())
        .set("objects", c.objects.len())
        .set("migrations", migrations);
    match output {
        None => {
            for line in sql.lines() {
                r.line(Style::Plain, line);
            }
            r.set("sql", sql);
        }
        Some(path) => {
            write_file(path, &sql)?;
            let shown = ctx.config.display_path(path);
            r.line(
                Style::Success,
                format!("Wrote {shown}: {}", holds(&c, migrations)),
            );
            r.set("output", shown);
        }
    }
    Ok(r)
}

/// After a `migrate:*` command: rewrites `migrations.schemaFile` when migrations ran.
pub fn after_migrate(ctx: &Ctx, mut report: Report) -> Report {
    let Some(path) = &ctx.config.migrations.schema_file else {
        return report;
    };
    let ran = report
        .data
        .get("migrations")
        .and_then(|m| m.as_array())
        .is_some_and(|m| !m.is_empty());
    let dry = report.data.get("dry_run").and_then(|v| v.as_bool()) == Some(true);
    let changes_schema = matches!(
        report.command.as_str(),
        "migrate:latest" | "migrate:rollback" | "migrate:up" | "migrate:down"
    );
    if !ran || dry || !changes_schema {
        return report;
    }
    let shown = ctx.config.display_path(path);
    let written = dump_text(ctx, false).and_then(|(sql, _, _)| {
        if std::fs::read(path).ok().as_deref() == Some(sql.as_bytes()) {
            return Ok(false);
        }
        write_file(path, &sql).map(|_| true)
    });
    match written {
        Ok(true) => {
            report.line(Style::Dim, format!("Wrote {shown}"));
        }
        Ok(false) => {
            report.line(Style::Dim, format!("{shown} is up to date"));
        }
        Err(e) => {
            ctx.out.warn(format!(
                "the migrations ran, but {shown} (migrations.schemaFile) was not rewritten: {}",
                e.message
            ));
            return report;
        }
    }
    report.set("schema_file", shown);
    report
}

/// "cannot tell whether …": schema:drift could not compare (exit 1).
fn cannot_tell(e: Error) -> Error {
    if e.is_interrupted() {
        return e;
    }
    e.context("schema:drift cannot tell whether the schema drifted")
}

/// The files of the applied migrations, in the order they ran; refused when one cannot be
/// replayed (no file, partial).
fn replay_files<'f>(
    ctx: &Ctx,
    files: &'f [source::MigrationFile],
    rows: &'f [AppliedRow],
) -> Result<Vec<&'f source::MigrationFile>> {
    let knex = migrate::knex::knex_files(ctx.config, rows);
    let items = plan::status(files, rows, &knex);
    let mut problems = Vec::new();
    let mut out: Vec<(i64, &source::MigrationFile)> = Vec::new();
    let mut modified = Vec::new();
    for item in &items {
        let Some(row) = item.row else { continue };
        match (&item.state, item.file) {
            (plan::State::Partial, _) => problems.push(format!(
                "{} is partially applied: finish it (migrate:latest) or roll it back first",
                item.name
            )),
            (_, None) => problems.push(format!(
                "{} is applied but has no migration file furrow can run, so it cannot be replayed",
                item.name
            )),
            (state, Some(f)) => {
                if *state == plan::State::Modified {
                    modified.push(f.name.clone());
                }
                out.push((row.id, f));
            }
        }
    }
    if !problems.is_empty() {
        let mut e = Error::validation("some applied migrations cannot be replayed").hint(
            "restore the missing files (or fix the partial migration), then run schema:drift again",
        );
        for p in problems {
            e = e.detail(p);
        }
        return Err(e);
    }
    if !modified.is_empty() {
        ctx.out.warn(format!(
            "replaying applied migration(s) that changed since they ran, as they are now: {}",
            modified.join(", ")
        ));
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out.into_iter().map(|(_, f)| f).collect())
}

/// Runs `replay` into the scratch database with the one migration runner: `migrate:latest`
/// when they are every file in file order, else `migrate:up NAME` for each, in order.
fn replay_into(
    ctx: &Ctx,
    config: &Config,
    files: &[source::MigrationFile],
    replay: &[&source::MigrationFile],
) -> Result<()> {
    let scratch = Ctx {
        config,
        out: ctx.out,
    };
    let opts = migrate::MigrateOpts::default();
    let in_file_order =
        replay.len() == files.len() && replay.iter().zip(files).all(|(a, b)| a.name == b.name);
    if in_file_order {
        if !replay.is_empty() {
            migrate::latest(&scratch, opts)?;
        }
        return Ok(());
    }
    for f in replay {
        migrate::up(&scratch, Some(&f.name), opts)?;
    }
    Ok(())
}

/// `schema:drift`: the live schema against a replay of its applied migrations.
pub fn drift(ctx: &Ctx) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out).map_err(cannot_tell)?;
    let (mut live, rows) = session::read::<Migrations>(ctx).map_err(cannot_tell)?;
    let replay = replay_files(ctx, &files, &rows).map_err(cannot_tell)?;
    let live_catalog = catalog(&mut *live, ctx.config, false).map_err(cannot_tell)?;
    let scratch = Scratch::create(ctx.config).map_err(cannot_tell)?;
    let replayed = (|| {
        crate::failpoint::pause("drift-scratch");
        crate::interrupt::check()?;
        replay_into(ctx, &scratch.config, &files, &replay)?;
        let mut reader = scratch.open()?;
        catalog(&mut *reader, &scratch.config, false)
    })();
    let describe = scratch.describe();
    let scratch_name = scratch.name().map(str::to_string);
    let stale = scratch.dropped_stale.clone();
    let closed = scratch.close();
    let replayed = replayed
        .map_err(|e| {
            if e.is_interrupted() {
                e
            } else {
                e.context(format!("replaying the migrations into {describe} failed"))
            }
        })
        .map_err(cannot_tell)?;
    closed?;

    let differences = diff::diff(&live_catalog, &replayed);
    let mut r = ctx.report("schema:drift");
    if !stale.is_empty() {
        r.line(
            Style::Dim,
            format!(
                "Dropped {} left by runs that were killed: {}",
                count(stale.len(), "scratch database"),
                stale.join(", ")
            ),
        );
    }
    r.line(
        Style::Dim,
        format!(
            "Replayed {} into {describe}{}",
            count(replay.len(), "applied migration"),
            if scratch_name.is_some() {
                ", then dropped it"
            } else {
                ""
            }
        ),
    );
    for d in &differences {
        r.line(Style::Problem, d.message.clone());
    }
    if differences.is_empty() {
        r.line(
            Style::Success,
            format!(
                "No drift: the live database matches its {}",
                count(replay.len(), "applied migration")
            ),
        );
    } else {
        r.line(
            Style::Attention,
            format!(
                "Drift: {} between the live database and its migrations",
                count(differences.len(), "difference")
            ),
        );
        r.exit_code = 3;
    }
    r.set("equal", differences.is_empty())
        .set(
            "replayed",
            json!(replay.iter().map(|f| f.name.clone()).collect::<Vec<_>>()),
        )
        .set("scratch", json!(scratch_name))
        .set("stale_dropped", json!(stale))
        .set(
            "differences",
            json!(differences
                .iter()
                .map(diff::Difference::json)
                .collect::<Vec<_>>()),
        );
    Ok(r)
}

/// `schema:load FILE`: a dump into an empty database, its migrations recorded as applied.
pub fn load(ctx: &Ctx, path: &Path) -> Result<Report> {
    let shown = ctx.config.display_path(path);
    let bytes = std::fs::read(path).map_err(|e| error::io_error("read", path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| error::utf8_error(&shown, e.as_bytes(), e.utf8_error().valid_up_to()))?;
    let listed = text::applied_block(&text)
        .map_err(|(line, why)| Error::validation(format!("{shown}: line {line}: {why}")))?;
    let dialect = ctx.config.client.dialect();
    let statements = crate::sql::split(&text, 1, dialect)
        .map_err(|e| Error::validation(format!("{shown}: line {}: {}", e.line, e.message)))?;
    let files = source::list(ctx.config, ctx.out)?;
    let tracking = tracking_tables(ctx.config);
    let table = ctx.config.migrations.table_name.clone();
    let (ran, skipped) = session::locked::<Migrations, _>(ctx, |d, rows| {
        refuse_unless_empty(d, ctx.config, &rows)?;
        let result = run_dump(d, &statements, &tracking, &shown, dialect).and_then(|counts| {
            for a in &listed {
                track::insert_adopted(d, &table, &a.name, 1, &a.checksum)?;
            }
            Ok(counts)
        });
        match result {
            Ok(counts) => {
                if dialect == Dialect::Sqlite {
                    d.commit()?;
                }
                Ok(counts)
            }
            Err(e) => {
                let _ = d.rollback();
                let emptied = match dialect {
                    Dialect::Sqlite => Ok(()),
                    Dialect::Mysql => {
                        // After Ctrl-C too: the clean-up must not be interrupted.
                        crate::interrupt::quiesce();
                        let emptied = empty_again(d, ctx.config);
                        crate::interrupt::resume();
                        emptied
                    }
                };
                Err(match emptied {
                    Ok(()) => e.detail("nothing of it was kept: the database is empty again"),
                    Err(why) => e.detail(format!(
                        "what ran before it could not all be dropped again ({}): drop the database's tables before the next schema:load",
                        why.message
                    )),
                })
            }
        }
    })?;
    for a in &listed {
        match files.iter().find(|f| f.name == a.name) {
            None => ctx.out.warn(format!(
                "{} is recorded as applied but is not in the migrations directories",
                a.name
            )),
            Some(f) if f.checksum != a.checksum => ctx.out.warn(format!(
                "{}: the file differs from the one the dump was made with (checksum)",
                a.name
            )),
            Some(_) => {}
        }
    }
    let mut r = ctx.report("schema:load");
    r.line(
        Style::Success,
        format!("Loaded {shown}: {}", count(ran, "statement")),
    );
    if skipped > 0 {
        r.line(
            Style::Dim,
            format!(
                "Skipped {} of furrow's tracking tables (furrow makes its own)",
                count(skipped, "statement")
            ),
        );
    }
    r.line(
        Style::Plain,
        if listed.is_empty() {
            format!("{shown} names no migrations: none were recorded")
        } else {
            format!(
                "Recorded {} as applied (batch 1)",
                count(listed.len(), "migration")
            )
        },
    );
    for a in &listed {
        r.line(Style::Item, a.name.clone());
    }
    r.set("file", shown).set("statements", ran).set(
        "migrations",
        json!(listed.iter().map(|a| a.name.clone()).collect::<Vec<_>>()),
    );
    Ok(r)
}

/// schema:load starts a new database: one with tables, views … or migrations is refused.
fn refuse_unless_empty(d: &mut dyn Driver, config: &Config, rows: &[AppliedRow]) -> Result<()> {
    let c = catalog(d, config, false)?;
    if rows.is_empty() && c.is_empty() {
        return Ok(());
    }
    let mut what: Vec<String> = c
        .tables
        .iter()
        .map(|t| format!("table {}", t.name))
        .chain(
            c.objects
                .iter()
                .map(|o| format!("{} {}", o.kind.noun(), o.name)),
        )
        .collect();
    if !rows.is_empty() {
        what.insert(
            0,
            format!(
                "{} recorded in {}",
                count(rows.len(), "migration"),
                config.migrations.table_name
            ),
        );
    }
    let more = what.len().saturating_sub(5);
    what.truncate(5);
    Err(Error::validation(format!(
        "schema:load only loads into an empty database, and this one has {}{}",
        what.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
    .hint("point the environment at a new, empty database, or bring this one up to date with `furrow migrate:latest`"))
}

/// Runs a dump's statements (SQLite: in one transaction, which the caller ends); returns how
/// many ran and how many were skipped (furrow's own tables).
fn run_dump(
    d: &mut dyn Driver,
    statements: &[crate::sql::Statement],
    tracking: &[String],
    shown: &str,
    dialect: Dialect,
) -> Result<(usize, usize)> {
    // MySQL: the statements' session settings (SET FOREIGN_KEY_CHECKS) stay off the lock's
    // connection.
    let mut session = d.open_session()?;
    let work: &mut dyn Driver = match session.as_deref_mut() {
        Some(s) => s,
        None => d,
    };
    if dialect == Dialect::Sqlite {
        work.begin()?;
    }
    let (mut ran, mut skipped) = (0, 0);
    for s in statements {
        crate::interrupt::check()?;
        let own = crate::sql::created_or_dropped(&s.sql).is_some_and(|(creates, _, name)| {
            creates && tracking.iter().any(|t| t.eq_ignore_ascii_case(&name))
        });
        if own {
            skipped += 1;
            continue;
        }
        work.execute(&s.sql, &[]).map_err(|e| {
            let e = e.into_error();
            if e.is_interrupted() {
                return e;
            }
            Error::new(
                Kind::Database,
                format!(
                    "{shown}: statement {} (line {}) failed: {}",
                    s.number, s.line, e.message
                ),
            )
        })?;
        ran += 1;
    }
    Ok((ran, skipped))
}

/// MySQL after a failed load: drops what it created (the database was empty before).
fn empty_again(d: &mut dyn Driver, config: &Config) -> Result<()> {
    let c = catalog(d, config, false)?;
    let q = |n: &str| Dialect::Mysql.quote_ident(n);
    d.execute("SET FOREIGN_KEY_CHECKS = 0", &[])?;
    for o in c.objects.iter().rev() {
        let kind = o.kind.noun().to_uppercase();
        d.execute(&format!("DROP {kind} IF EXISTS {}", q(&o.name)), &[])?;
    }
    for t in &c.tables {
        d.execute(&format!("DROP TABLE IF EXISTS {}", q(&t.name)), &[])?;
    }
    d.execute("SET FOREIGN_KEY_CHECKS = 1", &[])?;
    Ok(())
}
