//! Before a batch runs on a Galera node: the cluster hazards of its statements
//! (`lint::cluster`), with the `lint:ignore` directives written for them.

use crate::db::Driver;
use crate::error::Result;
use crate::lint::{self, Ignore, Unit};
use crate::report::Output;
use crate::schema::{self, Step, StepKind};

use super::runner::Job;
use super::source::{Format, MigrationFile};

/// The line in "statement 3 (line 14)", the origin of a SQL file's statement.
fn origin_line(origin: &str) -> Option<usize> {
    let rest = &origin[origin.rfind("(line ")? + 6..];
    rest.strip_suffix(')')?.parse().ok()
}

/// The directives of each step the job will run, in order.
fn job_ignores(job: &Job<'_>) -> Vec<Vec<Ignore>> {
    // Over the whole section, so a resumed run's first statement gets only its own.
    let skip = job.skip.min(job.section.steps.len());
    step_ignores(job.file, &job.section.steps).split_off(skip)
}

/// The `lint:ignore` directives written for each of a file's steps: the comment lines
/// before a SQL statement, the `lint:` key beside a YAML op.
pub fn step_ignores(file: &MigrationFile, steps: &[Step]) -> Vec<Vec<Ignore>> {
    let Ok(text) = std::str::from_utf8(&file.content) else {
        return vec![Vec::new(); steps.len()];
    };
    match file.format {
        Format::Sql => {
            let directives = lint::sql_ignores(text);
            // A directive belongs to the next statement: not past a section's marker, and
            // not to the first statement a resumed run starts at if written for an earlier one.
            let markers: Vec<usize> = crate::markers::find(text, "migrate")
                .iter()
                .map(|m| m.line)
                .collect();
            let mut previous = 0;
            steps
                .iter()
                .map(|s| match origin_line(&s.origin) {
                    Some(line) => {
                        let marker = markers.iter().copied().filter(|m| *m < line).max();
                        let from = previous.max(marker.unwrap_or(0));
                        let found = lint::ignores_before(&directives, from, line);
                        previous = line;
                        found
                    }
                    None => Vec::new(),
                })
                .collect()
        }
        Format::Yaml => {
            let ops = schema::parse_migration(text)
                .map(|m| {
                    m.up.into_iter()
                        .chain(m.down.into_iter().flatten())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            steps
                .iter()
                .map(|s| {
                    op_of(&ops, &s.origin)
                        .map(|op| op.lint_ignore.clone())
                        .unwrap_or_default()
                })
                .collect()
        }
    }
}

/// The op a step comes from, by its origin (`up[2].create_table …`, `down (derived from …)`).
pub fn op_of<'o>(ops: &'o [schema::Op], origin: &str) -> Option<&'o schema::Op> {
    ops.iter().find(|op| {
        origin == op.path
            || origin.starts_with(&format!("{} ", op.path))
            || origin.contains(&format!("derived from {})", op.path))
    })
}

/// Refuses a batch with a Galera hazard (and prints its warnings); nothing has run yet.
pub fn check(jobs: &[Job<'_>], d: &mut dyn Driver, out: &Output) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let Some(g) = d.cluster_facts()? else {
        return Ok(());
    };
    let mut units = Vec::new();
    for job in jobs {
        let steps = &job.section.steps[job.skip.min(job.section.steps.len())..];
        for (step, ignores) in steps.iter().zip(job_ignores(job)) {
            if let StepKind::Sql { sql, .. } = &step.kind {
                units.push(Unit {
                    file: &job.file.display,
                    at: &step.origin,
                    sql,
                    ignores,
                });
            }
        }
    }
    let findings = lint::silence(lint::cluster::migrations(&units, &g), &units);
    lint::enforce(
        out,
        &findings,
        &format!("refused on Galera cluster node {}", g.node),
    )
}
