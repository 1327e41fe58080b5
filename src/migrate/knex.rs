//! Working beside Knex and taking over from dbmate: the Knex files of the migrations
//! directories, and `migrate:adopt`, which records dbmate's history in furrow's table.

use serde_json::json;

use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::{Driver, OpenMode, Value};
use crate::error::{Error, Kind, Result};
use crate::report::{Report, Style};
use crate::track::{self, AppliedRow};

use super::plan::{knex_stem, KNEX_EXTENSIONS};
use super::source::{self, MigrationFile};

/// The Knex files (`.js`, `.ts` …) in the migrations directories, by file name. Read only
/// when a row names one (Knex's history), so furrow's own runs pay nothing for it.
pub fn knex_files(config: &Config, rows: &[AppliedRow]) -> Vec<String> {
    if config.migrations.embedded.is_some() || !rows.iter().any(|r| knex_stem(&r.name).is_some()) {
        return Vec::new();
    }
    let mut names = Vec::new();
    for dir in &config.migrations.directories {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let knex = name
                .rsplit_once('.')
                .is_some_and(|(_, ext)| KNEX_EXTENSIONS.contains(&ext));
            if knex && !name.starts_with('.') && e.path().is_file() {
                names.push(name);
            }
        }
    }
    names.sort();
    names
}

/// The tool whose history `migrate:adopt` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    Dbmate,
    Knex,
}

/// One dbmate version and the furrow file that carries it.
struct Adoption<'a> {
    version: String,
    file: &'a MigrationFile,
}

/// Reads dbmate's versions (text, whatever the column's type), oldest first.
fn dbmate_versions(d: &mut dyn Driver, table: &str) -> Result<Vec<String>> {
    let cols = d.columns(table)?;
    if cols.is_empty() {
        return Err(Error::validation(format!(
            "there is no table `{table}` in this database to adopt from"
        ))
        .hint("name dbmate's table with --table (dbmate's default is schema_migrations; see its --migrations-table)"));
    }
    if !cols.iter().any(|c| c.name.eq_ignore_ascii_case("version")) {
        let names: Vec<String> = cols
            .iter()
            .map(|c| format!("{} {}", c.name, c.data_type.to_lowercase()))
            .collect();
        return Err(Error::validation(format!(
            "`{table}` is not dbmate's migrations table: its columns are {}, and dbmate's has `version`",
            names.join(", ")
        ))
        .hint("name dbmate's table with --table"));
    }
    let dialect = d.dialect();
    let rows = d
        .query(
            &format!(
                "SELECT {} FROM {} ORDER BY {}",
                dialect.quote_ident("version"),
                dialect.quote_ident(table),
                dialect.quote_ident("version")
            ),
            &[],
        )
        .map_err(|e| {
            e.into_error()
                .context(format!("cannot read dbmate's table `{table}`"))
        })?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .map(|v| match v {
            Value::Text(s) => s,
            Value::Int(i) => i.to_string(),
            Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            Value::Float(f) => f.to_string(),
            Value::Null => String::new(),
        })
        .collect())
}

/// Pure: the file of each version (its 14-digit prefix), or the versions that have none or
/// several.
fn match_versions<'a>(
    versions: &[String],
    files: &'a [MigrationFile],
) -> std::result::Result<Vec<Adoption<'a>>, (Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let mut ambiguous = Vec::new();
    for v in versions {
        let of: Vec<&MigrationFile> = files.iter().filter(|f| f.version() == v).collect();
        match of.as_slice() {
            [f] => found.push(Adoption {
                version: v.clone(),
                file: f,
            }),
            [] => missing.push(v.clone()),
            many => ambiguous.push(format!(
                "{v} ({})",
                many.iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if missing.is_empty() && ambiguous.is_empty() {
        Ok(found)
    } else {
        Err((missing, ambiguous))
    }
}

/// `migrate:adopt --from dbmate [--table T] [--dry-run]`.
pub fn adopt(ctx: &Ctx, from: From, source_table: Option<&str>, dry_run: bool) -> Result<Report> {
    let table = ctx.config.migrations.table_name.clone();
    if from == From::Knex {
        return Err(Error::usage(
            "a Knex history needs no adoption: furrow reads `knex_migrations` as it is",
        )
        .hint("set migrations.tableName to knex_migrations (Knex's tableName); rows Knex wrote for `….js` files count for furrow files of the same name stem (`….yaml`, `….sql`)"));
    }
    let source_table = source_table.unwrap_or("schema_migrations").to_string();
    if source_table == table {
        return Err(Error::config(format!(
            "`{source_table}` is both dbmate's table and migrations.tableName: furrow records the adopted history in a table of its own"
        ))
        .hint("set migrations.tableName to a new table (the default, furrow_migrations, is fine) and run the adoption again"));
    }
    let files = source::list(ctx.config, ctx.out)?;
    let mode = if dry_run {
        OpenMode::ReadOnly
    } else {
        OpenMode::ReadWrite
    };
    let mut d = crate::db::open(ctx.config, mode, ctx.config.migrations.lock_timeout)?;
    // Everything is checked before anything is written.
    let versions = dbmate_versions(&mut *d, &source_table)?;
    let adoptions = match_versions(&versions, &files)
        .map_err(|(missing, ambiguous)| unmatched(ctx, &source_table, &missing, &ambiguous))?;
    let already = |rows: &[AppliedRow], f: &MigrationFile| rows.iter().any(|r| r.name == f.name);
    let names = Names {
        source_table: &source_table,
        table: &table,
        dry_run,
    };
    let report = |rows: &[AppliedRow]| adopt_report(ctx, &names, &adoptions, rows);
    if dry_run {
        let rows = if track::migration_table_shape(&mut *d, &table)? == track::TableShape::Absent {
            Vec::new()
        } else {
            track::read_migrations(&mut *d, &table)?
        };
        return Ok(report(&rows));
    }
    drop(d);
    super::locked(ctx, |d, rows| {
        let todo: Vec<&Adoption> = adoptions
            .iter()
            .filter(|a| !already(&rows, a.file))
            .collect();
        if !todo.is_empty() {
            d.begin()?;
            let written = todo.iter().try_for_each(|a| {
                track::insert_adopted(d, &table, &a.file.name, 1, &a.file.checksum)
            });
            match written {
                Ok(()) => d.commit()?,
                Err(e) => {
                    let _ = d.rollback();
                    return Err(e.detail("nothing was written"));
                }
            }
        }
        Ok(report(&rows))
    })
}

/// The tables an adoption reads and writes, and whether it writes at all.
struct Names<'a> {
    source_table: &'a str,
    table: &'a str,
    dry_run: bool,
}

/// Versions of dbmate's table with no file, or with several: nothing is adopted.
fn unmatched(ctx: &Ctx, source_table: &str, missing: &[String], ambiguous: &[String]) -> Error {
    let dirs: Vec<String> = ctx
        .config
        .migrations
        .directories
        .iter()
        .map(|p| ctx.config.display_path(p))
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "{} version(s) have no migration file <version>_<name>.sql|yaml in {}: {}",
            missing.len(),
            dirs.join(", "),
            missing.join(", ")
        ));
    }
    if !ambiguous.is_empty() {
        parts.push(format!(
            "{} version(s) have several files: {}",
            ambiguous.len(),
            ambiguous.join("; ")
        ));
    }
    Error::new(
        Kind::MissingFile,
        format!(
            "cannot adopt dbmate's `{source_table}`: {}",
            parts.join("; ")
        ),
    )
    .hint("copy dbmate's migration files (db/migrations/*.sql) into the migrations directory, or point migrations.directory at them, and run the adoption again")
    .detail("nothing was written")
    .with_data("missing", json!(missing))
    .with_data("ambiguous", json!(ambiguous))
}

/// What an adoption did (or, dry, would do), given the rows recorded before it.
fn adopt_report(
    ctx: &Ctx,
    n: &Names<'_>,
    adoptions: &[Adoption<'_>],
    rows: &[AppliedRow],
) -> Report {
    let (source_table, table) = (n.source_table, n.table);
    let mut r = ctx.report("migrate:adopt");
    let (old, new): (Vec<&Adoption>, Vec<&Adoption>) = adoptions
        .iter()
        .partition(|a| rows.iter().any(|r| r.name == a.file.name));
    let verb = if n.dry_run {
        "would record"
    } else {
        "recorded"
    };
    if new.is_empty() {
        r.line(
            Style::Success,
            format!(
                "Nothing to adopt: every version of dbmate's `{source_table}` ({}) is recorded in `{table}` already",
                adoptions.len()
            ),
        );
    } else {
        r.line(
            Style::Success,
            format!(
                "Adopted from dbmate's `{source_table}`: {verb} {} migrations in `{table}` as applied, batch 1",
                new.len()
            ),
        );
        for a in &new {
            r.line(Style::Item, a.file.name.clone());
        }
        if !old.is_empty() {
            r.line(Style::Dim, format!("{} were recorded already", old.len()));
        }
        r.line(
            Style::Dim,
            format!("dbmate's `{source_table}` was left as it is."),
        );
    }
    let item = |a: &&Adoption| json!({"version": a.version, "name": a.file.name, "checksum": a.file.checksum});
    r.set("from", "dbmate")
        .set("source_table", source_table)
        .set("table", table)
        .set("dry_run", n.dry_run)
        .set("adopted", json!(new.iter().map(item).collect::<Vec<_>>()))
        .set(
            "already_recorded",
            json!(old.iter().map(|a| a.file.name.clone()).collect::<Vec<_>>()),
        );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::source::{checksum, Format};
    use std::path::PathBuf;

    fn file(name: &str) -> MigrationFile {
        MigrationFile {
            name: name.into(),
            path: PathBuf::from(name),
            display: format!("migrations/{name}"),
            format: Format::Sql,
            checksum: checksum(name.as_bytes()),
            content: Vec::new(),
        }
    }

    #[test]
    fn dbmate_versions_name_their_files_by_prefix() {
        let files = vec![
            file("20240101000000_create_users.sql"),
            file("20240102000000_add_email.sql"),
            file("20240103000000_new.sql"),
        ];
        let v = vec!["20240101000000".to_string(), "20240102000000".to_string()];
        let m = match_versions(&v, &files).ok().unwrap();
        let names: Vec<&str> = m.iter().map(|a| a.file.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "20240101000000_create_users.sql",
                "20240102000000_add_email.sql"
            ]
        );
        let v = vec!["20240101000000".to_string(), "1".to_string()];
        let (missing, ambiguous) = match_versions(&v, &files).err().unwrap();
        assert_eq!(missing, vec!["1".to_string()]);
        assert!(ambiguous.is_empty());
        let twice = vec![file("20240101000000_a.sql"), file("20240101000000_b.yaml")];
        let (_, ambiguous) = match_versions(&v[..1], &twice).err().unwrap();
        assert_eq!(
            ambiguous,
            vec!["20240101000000 (20240101000000_a.sql, 20240101000000_b.yaml)".to_string()]
        );
    }
}
