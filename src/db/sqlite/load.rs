//! Seed loading: multi-row INSERTs of up to 128 rows through one prepared statement.

use rusqlite::ErrorCode;

use super::SqliteDriver;
use crate::db::load::{self, LoadError, LoadSpec, LoadStats, RowSource, SeedMode};
use crate::db::{canonical_int, BulkLoad, DbResult, Dialect, Value};
use crate::error::Result;

impl SqliteDriver {
    /// Runs one multi-row INSERT of the first `rows` rows of `buf`; returns the rows changed.
    /// When it fails, the rows are replayed one by one (SQLite undoes just the failed
    /// statement) to name the row at fault.
    fn insert_batch(
        &self,
        spec: &LoadSpec<'_>,
        sql: &str,
        buf: &[Value],
        rows: usize,
        integer: &[bool],
        first: u64,
    ) -> Result<u64, LoadError> {
        let width = spec.columns.len().max(1);
        let run = |sql: &str, values: &[Value]| -> rusqlite::Result<usize> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            for (i, v) in values.iter().enumerate() {
                match v {
                    Value::Text(t) if integer[i % width] => match canonical_int(t) {
                        Some(n) => stmt.raw_bind_parameter(i + 1, n)?,
                        None => stmt.raw_bind_parameter(i + 1, v)?,
                    },
                    _ => stmt.raw_bind_parameter(i + 1, v)?,
                }
            }
            stmt.raw_execute()
        };
        match run(sql, &buf[..rows * width]) {
            Ok(c) => Ok(c as u64),
            Err(e) if rows == 1 || !self.may_search_for_the_row(&e) => Err(LoadError {
                error: self.err(e).into_error(),
                rows: (first, first + rows as u64 - 1),
            }),
            Err(e) => {
                let one = load::insert_sql(Dialect::Sqlite, spec, 1);
                for r in 0..rows {
                    if let Err(e) = run(&one, &buf[r * width..(r + 1) * width]) {
                        let at = first + r as u64;
                        return Err(LoadError {
                            error: self.err(e).into_error(),
                            rows: (at, at),
                        });
                    }
                }
                Err(LoadError {
                    error: self.err(e).into_error(),
                    rows: (first, first + rows as u64 - 1),
                })
            }
        }
    }

    /// After a failed batch, replaying its rows one by one to name the bad one is safe only
    /// for a constraint error inside a transaction that is still open: SQLite ends the
    /// transaction itself on SQLITE_FULL, SQLITE_INTERRUPT, I/O errors …, and each replayed
    /// row would then commit on its own.
    fn may_search_for_the_row(&self, e: &rusqlite::Error) -> bool {
        let constraint = matches!(
            e,
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch)
        );
        constraint && !self.conn.is_autocommit() && !crate::interrupt::requested()
    }
}

impl BulkLoad for SqliteDriver {
    fn load(
        &mut self,
        spec: &LoadSpec<'_>,
        src: &mut (dyn RowSource + Send),
        progress: &mut dyn FnMut(u64),
    ) -> Result<LoadStats, LoadError> {
        let count_sql = format!(
            "SELECT COUNT(*) FROM {}",
            Dialect::Sqlite.quote_ident(spec.table)
        );
        let count = |d: &Self| -> Result<u64, LoadError> {
            d.conn
                .query_row(&count_sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| LoadError::from(d.err(e).into_error()))
        };
        let before = if spec.mode == SeedMode::Upsert {
            count(self)?
        } else {
            0
        };
        // Text bound to an INTEGER-affinity column is converted by SQLite anyway; binding
        // canonical integers as integers stores the same and saves that work on every row.
        let integer =
            load::integer_columns(self, spec, |ty| ty.to_ascii_uppercase().contains("INT"))?;
        // Multi-row statements of up to 128 rows: SQLite's per-statement work (a VM run, a
        // halt) is paid once per batch instead of once per row.
        let width = spec.columns.len().max(1);
        let per = (32_000 / width).clamp(1, 128);
        let full_sql = load::insert_sql(Dialect::Sqlite, spec, per);
        // A second thread reads rows (parsing CSV is a good part of the work) while this one
        // binds and runs them, 8 statements' worth at a time.
        let mut changed = 0u64;
        let n = load::pipelined(src, width, per * 8, &mut |chunk, rows, first| {
            for start in (0..rows).step_by(per) {
                let count = per.min(rows - start);
                let partial;
                let sql: &str = if count == per {
                    &full_sql
                } else {
                    partial = load::insert_sql(Dialect::Sqlite, spec, count);
                    &partial
                };
                let values = &chunk[start * width..(start + count) * width];
                changed +=
                    self.insert_batch(spec, sql, values, count, &integer, first + start as u64)?;
            }
            progress(first + rows as u64 - 1);
            Ok(())
        })?;
        progress(n);
        Ok(match spec.mode {
            SeedMode::Insert | SeedMode::Replace => LoadStats {
                inserted: n,
                ..Default::default()
            },
            SeedMode::InsertMissing => LoadStats {
                inserted: changed,
                unchanged: n - changed,
                ..Default::default()
            },
            SeedMode::Upsert => {
                let inserted = count(self)? - before;
                LoadStats {
                    inserted,
                    updated: changed - inserted,
                    unchanged: n - changed,
                    deleted: 0,
                }
            }
        })
    }

    fn relax_foreign_keys(&mut self, relax: bool) -> DbResult<()> {
        // Deferred to commit (SQLite switches this off by itself at every commit).
        if relax {
            self.conn
                .execute_batch("PRAGMA defer_foreign_keys = ON")
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}
