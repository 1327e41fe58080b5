//! A runner's session with the database, for both kinds of tracked files: open → ensure the
//! tracking tables → lock → read the rows; its read-only twins; and `unlock`.

use std::time::Duration;

use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::{self, Driver, OpenMode};
use crate::error::Result;
use crate::report::{Report, Style};
use crate::track::{self, AppliedRow, MigrationLock, SeedRow, TableShape};

/// What differs between migrations and seeds in their tracking tables.
pub trait Tracked {
    type Row;
    /// "migration" or "seed", in messages; "migrate" or "seed" in command names.
    const NOUN: &'static str;
    const COMMANDS: &'static str;
    fn table(config: &Config) -> &str;
    fn lock_timeout(config: &Config) -> Duration;
    /// The tables the lock needs, before it is taken.
    fn prepare_lock(d: &mut dyn Driver, table: &str) -> Result<()>;
    fn lock(d: &mut dyn Driver, config: &Config) -> Result<MigrationLock>;
    /// Holding the lock, before the rows are read.
    fn complete(d: &mut dyn Driver, table: &str) -> Result<()>;
    fn read(d: &mut dyn Driver, table: &str) -> Result<Vec<Self::Row>>;
    /// Every tracking table, created or completed (unlock).
    fn ensure(d: &mut dyn Driver, table: &str) -> Result<()>;
    /// The tables ready to be read by a command that takes no lock.
    fn ensure_for_reading(d: &mut dyn Driver, table: &str) -> Result<()>;
    /// The rows, creating nothing (dry runs): none when the table does not exist.
    fn read_if_any(d: &mut dyn Driver, table: &str) -> Result<Vec<Self::Row>>;
}

pub struct Migrations;
pub struct Seeds;

impl Tracked for Migrations {
    type Row = AppliedRow;
    const NOUN: &'static str = "migration";
    const COMMANDS: &'static str = "migrate";
    fn table(config: &Config) -> &str {
        &config.migrations.table_name
    }
    fn lock_timeout(config: &Config) -> Duration {
        config.migrations.lock_timeout
    }
    fn prepare_lock(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::ensure_migration_lock_tables(d, table)
    }
    /// furrow's migration lock, and Knex's when `<tableName>_lock` is Knex's (tables exist).
    fn lock(d: &mut dyn Driver, config: &Config) -> Result<MigrationLock> {
        track::migration_lock(
            d,
            &config.migrations.table_name,
            &config.database_key(),
            config.migrations.lock_timeout,
            config.migrations.lock_lease,
        )
    }
    fn complete(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::complete_migration_table(d, table)
    }
    fn read(d: &mut dyn Driver, table: &str) -> Result<Vec<AppliedRow>> {
        track::read_migrations(d, table)
    }
    fn ensure(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::ensure_migration_tables(d, table)
    }
    /// A table Knex wrote is read as it is (the columns it lacks read as defaults), and
    /// another tool's table is refused, unaltered.
    fn ensure_for_reading(d: &mut dyn Driver, table: &str) -> Result<()> {
        let shape = track::migration_table_shape(d, table)?;
        if shape != TableShape::Knex {
            track::ensure_migration_tables_as(d, table, &shape)?;
        }
        Ok(())
    }
    /// A table of another tool's shape is refused.
    fn read_if_any(d: &mut dyn Driver, table: &str) -> Result<Vec<AppliedRow>> {
        match track::migration_table_shape(d, table)? {
            TableShape::Absent => Ok(Vec::new()),
            _ => track::read_migrations(d, table),
        }
    }
}

impl Tracked for Seeds {
    type Row = SeedRow;
    const NOUN: &'static str = "seed";
    const COMMANDS: &'static str = "seed";
    fn table(config: &Config) -> &str {
        &config.seeds.table_name
    }
    fn lock_timeout(config: &Config) -> Duration {
        config.seeds.lock_timeout
    }
    fn prepare_lock(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::ensure_seed_tables(d, table)
    }
    fn lock(_: &mut dyn Driver, config: &Config) -> Result<MigrationLock> {
        Ok(MigrationLock {
            spec: track::lock_spec(
                &config.seeds.table_name,
                &config.database_key(),
                config.seeds.lock_timeout,
                config.seeds.lock_lease,
            ),
            knex: None,
        })
    }
    fn complete(_: &mut dyn Driver, _: &str) -> Result<()> {
        Ok(())
    }
    fn read(d: &mut dyn Driver, table: &str) -> Result<Vec<SeedRow>> {
        track::read_seeds(d, table)
    }
    fn ensure(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::ensure_seed_tables(d, table)
    }
    fn ensure_for_reading(d: &mut dyn Driver, table: &str) -> Result<()> {
        track::ensure_seed_tables(d, table)
    }
    fn read_if_any(d: &mut dyn Driver, table: &str) -> Result<Vec<SeedRow>> {
        if d.table_exists(table)? {
            track::read_seeds(d, table)
        } else {
            Ok(Vec::new())
        }
    }
}

/// An open database and the rows read from it.
pub type Opened<K> = (Box<dyn Driver>, Vec<<K as Tracked>::Row>);

/// Opens the database with the lock timeout of the kind.
pub fn open<K: Tracked>(ctx: &Ctx, mode: OpenMode) -> Result<Box<dyn Driver>> {
    db::open(ctx.config, mode, K::lock_timeout(ctx.config))
}

/// Runs `body` on the open database holding the kind's lock, with its tracking tables
/// ready and its rows read under the lock.
pub fn locked<K: Tracked, T>(
    ctx: &Ctx,
    body: impl FnOnce(&mut dyn Driver, Vec<K::Row>) -> Result<T>,
) -> Result<T> {
    let mut d = open::<K>(ctx, OpenMode::ReadWrite)?;
    let table = K::table(ctx.config).to_string();
    K::prepare_lock(&mut *d, &table)?;
    let lock = K::lock(&mut *d, ctx.config)?;
    let asked = std::time::Instant::now();
    track::with_migration_lock(&mut *d, &lock, ctx.out, |d| {
        if ctx.out.verbose {
            ctx.out.note(format!(
                "Took the {} lock in {} ms",
                K::NOUN,
                asked.elapsed().as_millis()
            ));
        }
        K::complete(d, &table)?;
        let rows = K::read(d, &table)?;
        body(d, rows)
    })
}

/// The rows for a command that reads (status): the tables are created on first use, no
/// lock is taken.
pub fn read<K: Tracked>(ctx: &Ctx) -> Result<Opened<K>> {
    let mut d = open::<K>(ctx, OpenMode::ReadWrite)?;
    let table = K::table(ctx.config);
    K::ensure_for_reading(&mut *d, table)?;
    let rows = K::read(&mut *d, table)?;
    Ok((d, rows))
}

/// The rows for a dry run: read-only, nothing created.
pub fn peek<K: Tracked>(ctx: &Ctx) -> Result<Opened<K>> {
    let mut d = open::<K>(ctx, OpenMode::ReadOnly)?;
    let rows = K::read_if_any(&mut *d, K::table(ctx.config))?;
    Ok((d, rows))
}

/// `migrate:unlock` / `seed:unlock`: releases the lock whoever holds it (and Knex's
/// migration lock, as `knex migrate:unlock` does, on a table shared with Knex).
pub fn unlock<K: Tracked>(ctx: &Ctx) -> Result<Report> {
    let mut d = open::<K>(ctx, OpenMode::ReadWrite)?;
    K::ensure(&mut *d, K::table(ctx.config))?;
    let lock = K::lock(&mut *d, ctx.config)?;
    let held = d.force_unlock(&lock.spec)?;
    let mut r = ctx.report(&format!("{}:unlock", K::COMMANDS));
    if let Some(knex) = &lock.knex {
        let was_set = track::force_unlock_knex(&mut *d, knex)?;
        r.line(
            Style::Success,
            if was_set {
                format!("Knex's migration lock `{knex}` released (is_locked was 1)")
            } else {
                format!("Knex's migration lock `{knex}` was not held")
            },
        );
        r.set("knex_lock_was_held", was_set);
    }
    let noun = K::NOUN;
    match &held {
        Some(h) => r.line(
            Style::Success,
            format!(
                "{}{} lock released (it was held by {h})",
                noun[..1].to_uppercase(),
                &noun[1..]
            ),
        ),
        None => r.line(Style::Success, format!("The {noun} lock was not held")),
    };
    r.set("was_held", held.is_some());
    Ok(r)
}

/// A status line: the state and name, then what more there is to say, in parentheses.
pub fn status_line(label: String, detail: &str) -> String {
    if detail.is_empty() {
        label
    } else {
        format!("{label}  ({detail})")
    }
}
