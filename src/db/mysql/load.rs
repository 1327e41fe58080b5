//! Seed loading: prepared multi-row INSERTs sized under max_allowed_packet.

use mysql::prelude::Queryable;

use super::{db_err, to_mysql, MysqlDriver};
use crate::db::load::{self, LoadError, LoadSpec, LoadStats, RowSource, SeedMode};
use crate::db::{canonical_int, BulkLoad, DbResult, Dialect, Value};
use crate::error::Result;

/// What one multi-row INSERT did, from the rows sent, the rows affected and the
/// "Duplicates" of the server's info (multi-row statements only).
fn batch_stats(mode: SeedMode, rows: u64, affected: u64, dups: Option<u64>) -> LoadStats {
    let mut stats = LoadStats::default();
    match mode {
        SeedMode::Insert | SeedMode::Replace => stats.inserted = rows,
        SeedMode::InsertMissing => {
            stats.inserted = affected;
            stats.unchanged = rows - affected.min(rows);
        }
        SeedMode::Upsert => {
            // Affected rows count 1 per insert and 2 per changed row (0 when unchanged);
            // the info's "Duplicates" counts the changed rows.
            let (inserted, updated) = match dups {
                Some(d) => (affected.saturating_sub(2 * d), d),
                None => (u64::from(affected == 1), u64::from(affected == 2)),
            };
            stats.inserted = inserted;
            stats.updated = updated;
            stats.unchanged = rows - inserted - updated;
        }
    }
    stats
}

impl MysqlDriver {
    /// The server's max_allowed_packet, which bounds multi-row INSERT batches.
    pub fn max_allowed_packet(&mut self) -> DbResult<usize> {
        if let Some(p) = self.max_packet {
            return Ok(p);
        }
        let v: Option<u64> = self
            .conn
            .query_first("SELECT @@max_allowed_packet")
            .map_err(db_err)?;
        let p = v.unwrap_or(4 << 20) as usize;
        self.max_packet = Some(p);
        Ok(p)
    }

    /// Sends one multi-row INSERT; returns (affected rows, duplicates) where the server says.
    fn insert_batch(
        &mut self,
        spec: &LoadSpec<'_>,
        rows: usize,
        values: Vec<mysql::Value>,
    ) -> DbResult<(u64, Option<u64>)> {
        let sql = load::insert_sql(Dialect::Mysql, spec, rows);
        let result = self
            .conn
            .exec_iter(sql.as_str(), mysql::Params::Positional(values))
            .map_err(db_err)?;
        let affected = result.affected_rows();
        // "Records: 3  Duplicates: 1  Warnings: 0" (multi-row statements only).
        let info = result.info_str().into_owned();
        drop(result);
        let duplicates = info
            .split("Duplicates:")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok());
        Ok((affected, duplicates))
    }
}

impl BulkLoad for MysqlDriver {
    fn load(
        &mut self,
        spec: &LoadSpec<'_>,
        src: &mut (dyn RowSource + Send),
        progress: &mut dyn FnMut(u64),
    ) -> Result<LoadStats, LoadError> {
        let max_packet = self
            .max_allowed_packet()
            .map_err(|e| LoadError::from(e.into_error()))?;
        let ncols = spec.columns.len().max(1);
        // Multi-row batches: at most 65535 placeholders, well under max_allowed_packet, and
        // not much over 1,000 rows (larger statements are slower for the server).
        let max_rows = (65_535 / ncols).clamp(1, 1000);
        let budget = (max_packet / 2).max(64 * 1024);
        let mut stats = LoadStats::default();
        // Canonical integers go to integer columns as integers, as a program would send them,
        // sparing the server a conversion per value.
        let integer = load::integer_columns(self, spec, |ty| {
            let ty = ty.to_ascii_lowercase();
            ["int", "tinyint", "smallint", "mediumint", "bigint"]
                .iter()
                .any(|p| ty.starts_with(p))
        })?;
        let integer = &integer;
        // A second thread reads the next rows while the server runs this batch.
        load::pipelined(src, ncols, max_rows, &mut |chunk, rows, first| {
            let mut values: Vec<mysql::Value> = Vec::with_capacity(rows * ncols);
            let (mut in_batch, mut bytes, mut batch_first) = (0usize, 0usize, first);
            for (r, row) in chunk.chunks(ncols).enumerate() {
                for (i, v) in row.iter().enumerate() {
                    bytes += match v {
                        Value::Text(s) => s.len() + 9,
                        Value::Bytes(b) => b.len() + 9,
                        _ => 9,
                    };
                    values.push(match v {
                        Value::Text(t) if integer[i] => canonical_int(t)
                            .map(mysql::Value::Int)
                            .unwrap_or_else(|| to_mysql(v)),
                        _ => to_mysql(v),
                    });
                }
                in_batch += 1;
                if bytes >= budget || r + 1 == rows {
                    let sent = std::mem::take(&mut values);
                    let (affected, dups) =
                        self.insert_batch(spec, in_batch, sent)
                            .map_err(|e| LoadError {
                                error: e.into_error(),
                                rows: (batch_first, batch_first + in_batch as u64 - 1),
                            })?;
                    stats.add(batch_stats(spec.mode, in_batch as u64, affected, dups));
                    batch_first += in_batch as u64;
                    (in_batch, bytes) = (0, 0);
                }
            }
            progress(first + rows as u64 - 1);
            Ok(())
        })?;
        Ok(stats)
    }

    fn relax_foreign_keys(&mut self, relax: bool) -> DbResult<()> {
        let sql = if relax {
            "SET foreign_key_checks = 0"
        } else {
            "SET foreign_key_checks = 1"
        };
        self.conn.query_drop(sql).map_err(db_err)
    }
}
