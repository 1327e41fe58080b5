//! The jobs a command runs, built from files and tracking rows: every section parsed (and a
//! rollback's reversibility checked) before the first statement runs.

use super::*;

/// Copies of the files to revert, named as their rows are (a migration Knex applied as
/// `….js` is reverted by the furrow file of its stem, and its Knex row is deleted).
pub(super) fn tracked_files(files: &[MigrationFile], reverts: &[Revert<'_>]) -> Vec<MigrationFile> {
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
pub(super) fn furrow_names(
    mut done: Vec<Done>,
    files: &[MigrationFile],
    reverts: &[Revert<'_>],
) -> Vec<Done> {
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

/// Parses the up sections of the files to apply: every one before the first statement runs.
pub(super) fn up_jobs<'a>(
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
pub(super) fn down_jobs<'a>(
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
pub(super) fn with_prior_errors<'a>(
    mut jobs: Vec<Job<'a>>,
    reverts: &[Revert<'_>],
) -> Vec<Job<'a>> {
    for (job, r) in jobs.iter_mut().zip(reverts) {
        job.prior_error.clone_from(&r.row.error);
    }
    jobs
}

/// A derived down that deletes inserted rows by the table's primary key must be able to:
/// checked against the live table before anything runs (MySQL could not undo what ran before).
pub(super) fn check_deletes_by_key(
    file: &MigrationFile,
    section: &Section,
    d: &mut dyn Driver,
) -> Result<()> {
    for step in &section.steps {
        let schema::StepKind::DeleteByPrimaryKey { table, rows } = &step.kind else {
            continue;
        };
        let key = d.primary_key(table)?;
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
