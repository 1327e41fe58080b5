//! `migrate:lint`, and the lint `migrate:latest` runs first (`migrations.lint`): what each
//! migration's up section will do, read against the live database when furrow can reach it
//! (its tables, rows, server version, cluster), else offline for the environment's dialect.

use serde_json::json;

use crate::config::LintPolicy;
use crate::ctx::Ctx;
use crate::db::Driver;
use crate::error::{Error, Kind, Result};
use crate::lint::online::Server;
use crate::lint::rules::{self, Down, Linted, Live, Migration, Rebuild, Target};
use crate::lint::{self, Finding, Level, Unit};
use crate::report::{Report, Style};
use crate::schema::{self, Direction, OpKind, StepKind};
use crate::session::{self, Migrations};
use crate::sql::ColumnDef;
use crate::track::AppliedRow;
use crate::value::Dialect;

use super::hazards::step_ignores;
use super::source::{self, Format, MigrationFile, Section};

/// The live database, for the rules.
struct LiveDb<'d, 's> {
    d: &'d mut (dyn Driver + 's),
}

impl Live for LiveDb<'_, '_> {
    fn resolve(&mut self, table: &str) -> Option<String> {
        self.d.table_named(table).ok().flatten()
    }

    fn columns(&mut self, table: &str) -> Option<Vec<(String, Option<ColumnDef>)>> {
        let cols = self.d.columns(table).ok()?;
        if cols.is_empty() {
            return None;
        }
        Some(
            cols.into_iter()
                .map(|c| {
                    let mut def = crate::sql::column(&format!("x {}", c.data_type));
                    if let Some(d) = &mut def {
                        d.name = c.name.to_ascii_lowercase();
                        d.not_null = !c.nullable;
                        d.has_default = c.default.is_some();
                    }
                    (c.name, def)
                })
                .collect(),
        )
    }

    fn indexed(&mut self, table: &str) -> Vec<(String, bool)> {
        self.d.indexed_columns(table).unwrap_or_default()
    }

    fn referencing(&mut self, table: &str) -> Vec<String> {
        self.d.referencing_tables(table).unwrap_or_default()
    }

    fn rows(&mut self, table: &str) -> Option<u64> {
        self.d.row_estimate(table).ok()
    }

    fn touched(&mut self, sql: &str) -> Option<u64> {
        self.d.rows_touched(sql).ok().flatten()
    }

    fn count(&mut self, sql: &str) -> Option<u64> {
        let rows = self.d.query(sql, &[]).ok()?;
        crate::db::cell_text(rows.first()?.first()?).parse().ok()
    }
}

/// A migration's up section and down, read for linting.
struct Parsed<'f> {
    file: &'f MigrationFile,
    up: Section,
    down: Down,
}

fn parse<'f>(file: &'f MigrationFile, dialect: Dialect, ctx: &Ctx) -> Result<Parsed<'f>> {
    let up = source::parse(file, Direction::Up, dialect, ctx.config)?.unwrap_or(Section {
        steps: Vec::new(),
        transaction: true,
    });
    let down = match source::parse(file, Direction::Down, dialect, ctx.config) {
        Ok(None) => Down::Missing,
        Err(e) if e.kind == Kind::Irreversible => Down::Missing,
        Err(e) => return Err(e),
        Ok(Some(_)) if file.format == Format::Sql => Down::Written,
        Ok(Some(_)) => derived_down(file),
    };
    Ok(Parsed { file, up, down })
}

/// A YAML migration's down: written, or derived (and then which of its reverses drop data).
fn derived_down(file: &MigrationFile) -> Down {
    let Some(m) = std::str::from_utf8(&file.content)
        .ok()
        .and_then(|t| schema::parse_migration(t).ok())
    else {
        return Down::Written;
    };
    if m.down.is_some() {
        return Down::Written;
    }
    let lossy =
        m.up.iter()
            .filter_map(|op| {
                let what = match &op.kind {
                    OpKind::CreateTable(t) => format!("drops table `{}`", t.name),
                    OpKind::AddColumns { table, columns } => format!(
                        "drops column{} {} of `{table}`",
                        if columns.len() == 1 { "" } else { "s" },
                        columns
                            .iter()
                            .map(|c| format!("`{}`", c.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => return None,
                };
                Some((op.path.clone(), what, op.lint_ignore.clone()))
            })
            .collect();
    Down::Derived(lossy)
}

fn units<'p>(p: &'p Parsed<'_>) -> (Vec<Unit<'p>>, Vec<Rebuild>) {
    let ignores = step_ignores(p.file, &p.up.steps);
    let mut units = Vec::new();
    let mut rebuilds = Vec::new();
    for (step, ig) in p.up.steps.iter().zip(ignores) {
        match &step.kind {
            StepKind::Sql { sql, .. } => units.push(Unit {
                file: &p.file.display,
                at: &step.origin,
                sql,
                ignores: ig,
            }),
            StepKind::SqliteRebuild { table, change } => rebuilds.push(Rebuild {
                at: step.origin.clone(),
                table: table.to_ascii_lowercase(),
                dropped: match change {
                    crate::steps::TableChange::DropColumns(c) => {
                        c.iter().map(|c| c.to_ascii_lowercase()).collect()
                    }
                    _ => Vec::new(),
                },
                ignores: ig,
            }),
            _ => {}
        }
    }
    (units, rebuilds)
}

/// The findings for `chosen`, with `earlier` (the files that run before them and are not
/// applied yet, or all earlier files offline) read into the model first.
fn findings<'d, 's: 'd>(
    ctx: &Ctx,
    chosen: &[&MigrationFile],
    others: &[&MigrationFile],
    d: Option<&'d mut (dyn Driver + 's)>,
    server: Option<Server>,
    count: bool,
) -> Result<Linted> {
    let dialect = ctx.config.client.dialect();
    // The linted files and, read into the model only, the others that run between them.
    let last = chosen.iter().map(|f| f.name.as_str()).max().unwrap_or("");
    let mut all: Vec<(&MigrationFile, bool)> = chosen.iter().map(|f| (*f, false)).collect();
    all.extend(
        others
            .iter()
            .filter(|f| f.name.as_str() < last && !chosen.iter().any(|c| c.name == f.name))
            .map(|f| (*f, true)),
    );
    all.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut parsed: Vec<(Parsed<'_>, bool)> = Vec::new();
    for (f, quiet) in all {
        match parse(f, dialect, ctx) {
            Ok(p) => parsed.push((p, quiet)),
            Err(e) if !quiet => return Err(e),
            Err(_) => {}
        }
    }
    let mut migrations: Vec<Migration<'_>> = Vec::new();
    for (p, quiet) in &parsed {
        let (u, rebuilds) = units(p);
        migrations.push(Migration {
            file: &p.file.display,
            units: u,
            rebuilds,
            down: p.down.clone(),
            quiet: *quiet,
        });
    }
    let mut galera = None;
    let mut out = {
        let mut live_db = d.map(|d| LiveDb { d });
        if let Some(l) = live_db.as_mut() {
            galera = l.d.cluster_facts().ok().flatten();
        }
        let mut target = Target {
            dialect,
            server,
            live: live_db.as_mut().map(|l| l as &mut dyn Live),
            count,
        };
        rules::lint(&migrations, &mut target)
    };
    for m in migrations.iter().filter(|m| !m.quiet) {
        if let Some(g) = &galera {
            let cluster = lint::cluster::migrations(&m.units, g);
            out.findings.extend(
                lint::silence(cluster, &m.units)
                    .into_iter()
                    .filter(|f| f.code != "LN101"),
            );
        }
        out.findings.extend(lint::silence(Vec::new(), &m.units));
    }
    // On Galera, LOCK TABLES is CL103's; the plain-server wording would repeat it.
    if galera.is_some() {
        out.findings.retain(|f| f.code != "LK103");
    }
    Ok(out)
}

/// The server a MySQL lint judges locking for: `--server-version`, else the live one's.
fn server_of(d: Option<&mut (dyn Driver + '_)>, flag: Option<&str>) -> Result<Option<Server>> {
    if let Some(v) = flag {
        return Server::parse(v).map(Some).ok_or_else(|| {
            Error::usage(format!("--server-version {v}: expected a version like `10.11`, `mariadb-10.6` or `mysql-8.0.36`"))
        });
    }
    let Some(d) = d else { return Ok(None) };
    let rows = d.query("SELECT VERSION()", &[]).ok();
    let text = rows
        .and_then(|r| r.into_iter().next())
        .and_then(|r| r.into_iter().next())
        .map(|v| crate::db::cell_text(&v));
    Ok(text.and_then(|t| Server::parse(&t)))
}

pub struct LintOpts<'a> {
    pub names: &'a [String],
    pub pending: bool,
    pub server_version: Option<&'a str>,
}

/// `furrow migrate:lint [NAME…] [--pending] [--server-version V]`.
pub fn command(ctx: &Ctx, opts: &LintOpts<'_>) -> Result<Report> {
    let files = source::list(ctx.config, ctx.out)?;
    let dialect = ctx.config.client.dialect();
    let opened = session::peek::<Migrations>(ctx);
    let (mut d, rows): (Option<Box<dyn Driver>>, Vec<AppliedRow>) = match opened {
        Ok((d, rows)) => (Some(d), rows),
        Err(e) if opts.pending => {
            return Err(e.context("--pending needs the database, to know what is applied"))
        }
        Err(e) => {
            ctx.out.warn(format!(
                "linting offline, for {dialect} (the database cannot be read: {})",
                e.message
            ));
            (None, Vec::new())
        }
    };
    let applied = |f: &MigrationFile| rows.iter().any(|r| r.name == f.name);
    let chosen: Vec<&MigrationFile> = if !opts.names.is_empty() {
        let mut chosen = Vec::new();
        for name in opts.names {
            let f = source::resolve(name, &files, |f| f.name.as_str()).map_err(|names| {
                Error::usage(format!(
                    "no migration file named `{name}`{}",
                    crate::text::did_you_mean(name, names.iter().copied())
                ))
                .hint("`furrow migrate:status` lists the migrations")
            })?;
            if !chosen.iter().any(|c: &&MigrationFile| c.name == f.name) {
                chosen.push(f);
            }
        }
        chosen.sort_by(|a, b| a.name.cmp(&b.name));
        chosen
    } else if opts.pending {
        files.iter().filter(|f| !applied(f)).collect()
    } else {
        files.iter().collect()
    };
    let connected = d.is_some();
    let server = if dialect == Dialect::Mysql {
        server_of(d.as_deref_mut(), opts.server_version)?
    } else {
        None
    };
    if dialect == Dialect::Mysql && server.is_none() {
        ctx.out.warn("no server version (the database cannot be read; pass --server-version, e.g. 10.11): which ALTERs copy or lock a table is not judged");
    }
    // What is applied is in the live tables already: it is read against the migrations
    // before it, offline; what is pending, against the live database.
    let (done, pending): (Vec<&MigrationFile>, Vec<&MigrationFile>) =
        chosen.iter().partition(|f| connected && applied(f));
    let mut found = Linted::default();
    if !done.is_empty() {
        // Read against every migration before it (they are what the live tables came from).
        let l = findings(
            ctx,
            &done,
            &files.iter().collect::<Vec<_>>(),
            None,
            server,
            false,
        )?;
        found.findings.extend(l.findings);
        found.verdicts.extend(l.verdicts);
    }
    if !pending.is_empty() {
        // Read against the live tables and the pending migrations that run between.
        let unapplied: Vec<&MigrationFile> = files.iter().filter(|f| !applied(f)).collect();
        let others = if connected {
            unapplied
        } else {
            files.iter().collect()
        };
        let l = findings(ctx, &pending, &others, d.as_deref_mut(), server, true)?;
        found.findings.extend(l.findings);
        found.verdicts.extend(l.verdicts);
    }
    Ok(report(ctx, &chosen, &found, server))
}

fn report(ctx: &Ctx, chosen: &[&MigrationFile], linted: &Linted, server: Option<Server>) -> Report {
    let found = &linted.findings;
    let mut r = ctx.report("migrate:lint");
    let errors = found.iter().filter(|f| f.level == Level::Error).count();
    let warnings = found.len() - errors;
    let mut files: Vec<&str> = Vec::new();
    for f in found {
        if !files.contains(&f.file.as_str()) {
            files.push(&f.file);
        }
    }
    if ctx.out.verbose {
        for v in &linted.verdicts {
            if !files.contains(&v.file.as_str()) {
                files.push(&v.file);
            }
        }
        files.sort();
    }
    for file in &files {
        r.line(Style::Plain, file.to_string());
        if ctx.out.verbose {
            for v in linted.verdicts.iter().filter(|v| v.file == *file) {
                r.line(
                    Style::Dim,
                    format!("  {}: `{}` changes {}", v.at, v.table, v.algorithm.words()),
                );
            }
        }
        for f in found.iter().filter(|f| f.file == *file) {
            let style = if f.level == Level::Error {
                Style::Problem
            } else {
                Style::Attention
            };
            let at = if f.at.is_empty() {
                String::new()
            } else {
                format!("{}: ", f.at)
            };
            r.line(
                style,
                format!("{at}{} {} {}", f.level.name(), f.code, f.what),
            );
            r.line(Style::Dim, format!("      → {}", f.fix));
        }
    }
    let n = chosen.len();
    let summary = if found.is_empty() {
        format!(
            "No findings in {n} migration{}",
            if n == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{errors} error{}, {warnings} warning{} in {} of {n} migration{}",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            files.len(),
            if n == 1 { "" } else { "s" }
        )
    };
    r.line(
        if errors > 0 {
            Style::Plain
        } else {
            Style::Success
        },
        summary,
    );
    r.set(
        "findings",
        json!(found.iter().map(Finding::to_json).collect::<Vec<_>>()),
    )
    .set("errors", errors)
    .set("warnings", warnings)
    .set("migrations", n)
    .set("server", server.map(|s| s.name()))
    .set(
        "verdicts",
        json!(linted
            .verdicts
            .iter()
            .map(|v| json!({"file": v.file, "at": v.at, "table": v.table, "algorithm": v.algorithm.code()}))
            .collect::<Vec<_>>()),
    );
    if errors > 0 {
        r.exit_code = 1;
    }
    r
}

/// Before a batch runs (`migrations.lint`: warn prints the findings, error refuses when one
/// is an error, off skips). Runs on the runner's connection, under the lock.
pub fn before_batch(
    ctx: &Ctx,
    d: &mut dyn Driver,
    files: &[&MigrationFile],
    all: &[MigrationFile],
    applied: &[AppliedRow],
) -> Result<()> {
    let policy = ctx.config.migrations.lint;
    if policy == LintPolicy::Off || !ctx.config.migrations.checks || files.is_empty() {
        return Ok(());
    }
    let others: Vec<&MigrationFile> = all
        .iter()
        .filter(|f| !applied.iter().any(|r| r.name == f.name))
        .collect();
    let server = if d.dialect() == Dialect::Mysql {
        server_of(Some(&mut *d), None)?
    } else {
        None
    };
    // No row counts here: a scan of each table before every batch would cost what the
    // migration costs; `migrate:lint` counts.
    let mut found = findings(ctx, files, &others, Some(d), server, false)?.findings;
    // The cluster's own check (before every batch) says those already.
    found.retain(|f| !f.code.starts_with("CL") && f.code != "LN101");
    let errors = found.iter().filter(|f| f.level == Level::Error).count();
    if policy == LintPolicy::Error && errors > 0 {
        let mut e = Error::validation(format!(
            "migrations.lint is `error`: {errors} lint error{} in the pending migrations, nothing ran",
            if errors == 1 { "" } else { "s" }
        ));
        for f in found.iter().filter(|f| f.level == Level::Error) {
            e = e.detail(f.text());
        }
        return Err(e
            .with_data("findings", json!(found.iter().map(Finding::to_json).collect::<Vec<_>>()))
            .hint("fix them, silence one you mean with `-- lint:ignore CODE why`, or set `migrations.lint: warn`"));
    }
    for f in &found {
        ctx.out.warn(format!("lint: {}", f.text()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn op_paths_find_their_steps() {
        let m = crate::schema::parse_migration("up:\n  - create_table:\n      name: a\n      columns:\n        - { name: id, type: increments }\n  - drop_table: b\n").unwrap();
        assert_eq!(
            super::super::hazards::op_of(&m.up, "up[1].drop_table").map(|o| o.path.as_str()),
            Some("up[1].drop_table")
        );
        assert_eq!(
            super::super::hazards::op_of(&m.up, "down (derived from up[0].create_table)")
                .map(|o| o.path.as_str()),
            Some("up[0].create_table")
        );
    }
}
