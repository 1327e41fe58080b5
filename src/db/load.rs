//! Loading seed rows: the SQL of each mode per dialect, and the row-by-row path for keys
//! that no unique index backs. The engine-specific loops live in the drivers.

use super::{Dialect, Driver, Value};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedMode {
    Upsert,
    InsertMissing,
    Replace,
    Insert,
}

impl SeedMode {
    pub fn parse(s: &str) -> Option<SeedMode> {
        Some(match s {
            "upsert" => SeedMode::Upsert,
            "insert_missing" | "insertMissing" => SeedMode::InsertMissing,
            "replace" => SeedMode::Replace,
            "insert" => SeedMode::Insert,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SeedMode::Upsert => "upsert",
            SeedMode::InsertMissing => "insert_missing",
            SeedMode::Replace => "replace",
            SeedMode::Insert => "insert",
        }
    }

    pub const NAMES: [&'static str; 4] = ["upsert", "insert_missing", "replace", "insert"];

    /// Whether the mode matches rows by key.
    pub fn uses_key(self) -> bool {
        matches!(self, SeedMode::Upsert | SeedMode::InsertMissing)
    }
}

/// One run of rows with the same columns into one table.
#[derive(Debug, Clone)]
pub struct LoadSpec<'a> {
    pub table: &'a str,
    pub columns: &'a [String],
    /// Columns that identify a row (upsert, insert_missing).
    pub key: &'a [String],
    /// `Replace` loads as `Insert`: the runner deletes the rows first.
    pub mode: SeedMode,
    /// A primary key or unique index covers exactly `key`, so the engine's upsert applies.
    pub key_unique: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

impl LoadStats {
    pub fn add(&mut self, o: LoadStats) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.deleted += o.deleted;
    }

    /// Rows written (what `last_rows` records).
    pub fn written(&self) -> u64 {
        self.inserted + self.updated + self.deleted
    }
}

/// Where rows come from: each call lends the next row (values in `LoadSpec::columns` order),
/// `Ok(None)` at the end. Lending, not returning, lets a source reuse its buffers: no
/// allocation per row.
pub trait RowSource {
    fn next_row(&mut self) -> Result<Option<&[Value]>>;

    /// Writes the next row into `out` (one slot per column), reusing the strings there;
    /// `false` at the end. Sources override it to copy each value once.
    fn fill_row(&mut self, out: &mut [Value]) -> Result<bool> {
        match self.next_row()? {
            Some(row) => {
                for (slot, v) in out.iter_mut().zip(row) {
                    assign(slot, v);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Copies a value into a reused slot, keeping the slot's string buffer.
pub fn assign(slot: &mut Value, v: &Value) {
    match (slot, v) {
        (Value::Text(a), Value::Text(b)) => {
            a.clear();
            a.push_str(b);
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// For each column of the load, whether the live table's column is an integer one, by the
/// engine's rule `is_integer` on its declared type.
pub fn integer_columns(
    d: &mut dyn Driver,
    spec: &LoadSpec<'_>,
    is_integer: impl Fn(&str) -> bool,
) -> Result<Vec<bool>, LoadError> {
    let cols = d
        .columns(spec.table)
        .map_err(|e| LoadError::from(e.into_error()))?;
    Ok(spec
        .columns
        .iter()
        .map(|c| {
            cols.iter()
                .find(|t| t.name.eq_ignore_ascii_case(c))
                .is_some_and(|t| is_integer(&t.data_type))
        })
        .collect())
}

/// Takes a chunk of rows: their values (row after row), how many rows, the first's number.
pub type ChunkSink<'a> = dyn FnMut(&[Value], usize, u64) -> Result<(), LoadError> + 'a;

/// Reads rows on a second thread, in chunks of up to `chunk_rows` rows filled into reused
/// buffers (`width` values a row, no allocation per row once they have grown), while this
/// thread hands each chunk to `consume` with its row count and the 1-based number of its
/// first row. Returns the number of rows read.
pub fn pipelined(
    src: &mut (dyn RowSource + Send),
    width: usize,
    chunk_rows: usize,
    consume: &mut ChunkSink<'_>,
) -> Result<u64, LoadError> {
    let width = width.max(1);
    let chunk_rows = chunk_rows.max(1);
    std::thread::scope(|scope| {
        type Filled = Result<(Vec<Value>, usize, u64), LoadError>;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Filled>(2);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Value>>();
        scope.spawn(move || {
            let mut read = 0u64;
            loop {
                let mut buf = back_rx.try_recv().unwrap_or_default();
                if buf.len() < chunk_rows * width {
                    buf.resize(chunk_rows * width, Value::Null);
                }
                let first = read + 1;
                let mut rows = 0usize;
                let mut done = false;
                while rows < chunk_rows {
                    match src.fill_row(&mut buf[rows * width..(rows + 1) * width]) {
                        Ok(true) => {
                            rows += 1;
                            read += 1;
                        }
                        Ok(false) => {
                            done = true;
                            break;
                        }
                        Err(error) => {
                            let _ = tx.send(Err(LoadError {
                                error,
                                rows: (read + 1, read + 1),
                            }));
                            return;
                        }
                    }
                }
                if rows > 0 && tx.send(Ok((buf, rows, first))).is_err() {
                    return; // the loader stopped
                }
                if done {
                    return;
                }
            }
        });
        let mut total = 0u64;
        for chunk in rx {
            let (buf, rows, first) = chunk?;
            consume(&buf[..rows * width], rows, first)?;
            if first == 1 {
                crate::failpoint::pause("seed-load");
            }
            total = first + rows as u64 - 1;
            crate::interrupt::check().map_err(|e| LoadError {
                error: e,
                rows: (total, total),
            })?;
            let _ = back_tx.send(buf);
        }
        Ok(total)
    })
}

/// A statement that failed while loading: which rows it held (1-based, within this load).
#[derive(Debug)]
pub struct LoadError {
    pub error: Error,
    pub rows: (u64, u64),
}

impl From<Error> for LoadError {
    fn from(error: Error) -> Self {
        LoadError {
            error,
            rows: (0, 0),
        }
    }
}

/// `INSERT INTO t (cols) VALUES (?, …), … [mode clause]` for `rows` rows.
pub fn insert_sql(d: Dialect, spec: &LoadSpec<'_>, rows: usize) -> String {
    let q = |c: &str| d.quote_ident(c);
    let cols: Vec<String> = spec.columns.iter().map(|c| q(c)).collect();
    let one = format!("({})", vec!["?"; spec.columns.len()].join(", "));
    let mut sql = String::with_capacity(64 + rows * (one.len() + 2));
    sql.push_str(&format!(
        "INSERT INTO {} ({}) VALUES ",
        q(spec.table),
        cols.join(", ")
    ));
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&one);
    }
    let non_key: Vec<&String> = spec
        .columns
        .iter()
        .filter(|c| !spec.key.contains(c))
        .collect();
    let key: Vec<String> = spec.key.iter().map(|c| q(c)).collect();
    match (d, spec.mode) {
        (_, SeedMode::Insert | SeedMode::Replace) => {}
        (Dialect::Sqlite, SeedMode::InsertMissing) => {
            sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", key.join(", ")));
        }
        (Dialect::Sqlite, SeedMode::Upsert) => {
            if non_key.is_empty() {
                sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", key.join(", ")));
            } else {
                // Only rows whose values differ count as updated.
                let set: Vec<String> = non_key
                    .iter()
                    .map(|c| format!("{0} = excluded.{0}", q(c)))
                    .collect();
                let differs: Vec<String> = non_key
                    .iter()
                    .map(|c| format!("{}.{1} IS NOT excluded.{1}", q(spec.table), q(c)))
                    .collect();
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
                    key.join(", "),
                    set.join(", "),
                    differs.join(" OR ")
                ));
            }
        }
        (Dialect::Mysql, SeedMode::InsertMissing) => {
            // A no-op update: existing rows stay, and other errors are not silenced
            // (which INSERT IGNORE would do).
            sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {0} = {0}", key[0]));
        }
        (Dialect::Mysql, SeedMode::Upsert) => {
            if non_key.is_empty() {
                sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {0} = {0}", key[0]));
            } else {
                let set: Vec<String> = non_key
                    .iter()
                    .map(|c| format!("{0} = VALUES({0})", q(c)))
                    .collect();
                sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {}", set.join(", ")));
            }
        }
    }
    sql
}

/// Null-safe equality, spelled per dialect.
fn same(d: Dialect, col: &str) -> String {
    match d {
        Dialect::Sqlite => format!("{} IS ?", d.quote_ident(col)),
        Dialect::Mysql => format!("{} <=> ?", d.quote_ident(col)),
    }
}

/// Loads rows as `spec` says: row by row (look up, then insert or update) where no unique
/// index backs the key, else by the engine's bulk path.
pub fn load(
    d: &mut dyn Driver,
    spec: &LoadSpec<'_>,
    src: &mut (dyn RowSource + Send),
    progress: &mut dyn FnMut(u64),
) -> Result<LoadStats, LoadError> {
    if spec.mode.uses_key() && !spec.key_unique {
        return load_by_lookup(d, spec, src, progress);
    }
    d.load(spec, src, progress)
}

/// Row by row, for keys without a unique index: look the row up by key, then update
/// (only if something differs) or insert. Works on any engine.
pub fn load_by_lookup(
    d: &mut dyn Driver,
    spec: &LoadSpec<'_>,
    src: &mut (dyn RowSource + Send),
    progress: &mut dyn FnMut(u64),
) -> Result<LoadStats, LoadError> {
    let sql = LookupSql::new(d.dialect(), spec);
    let mut stats = LoadStats::default();
    let mut n = 0u64;
    while let Some(row) = src.next_row().map_err(|e| LoadError {
        error: e,
        rows: (n + 1, n + 1),
    })? {
        n += 1;
        let fail = |e: super::DbError| LoadError {
            error: e.into_error(),
            rows: (n, n),
        };
        let key_vals: Vec<Value> = sql.key_idx.iter().map(|&i| row[i].clone()).collect();
        let found = d.query(&sql.exists, &key_vals).map_err(fail)?;
        let count = match found.first().and_then(|r| r.first()) {
            Some(Value::Int(i)) => *i,
            Some(Value::Text(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        if count == 0 {
            d.execute(&sql.insert, row).map_err(fail)?;
            stats.inserted += 1;
        } else if let (SeedMode::Upsert, Some(update)) = (spec.mode, &sql.update) {
            let mut params: Vec<Value> = sql.rest_idx.iter().map(|&i| row[i].clone()).collect();
            params.extend(key_vals);
            params.extend(sql.rest_idx.iter().map(|&i| row[i].clone()));
            let changed = d.execute(update, &params).map_err(fail)?;
            if changed > 0 {
                stats.updated += 1;
            } else {
                stats.unchanged += 1;
            }
        } else {
            stats.unchanged += 1;
        }
        if n.is_multiple_of(1024) {
            progress(n);
            crate::interrupt::check().map_err(|e| LoadError {
                error: e,
                rows: (n, n),
            })?;
        }
    }
    progress(n);
    Ok(stats)
}

/// The statements of a keyed load without a unique index: look the key up, then insert,
/// or update the other columns when they differ.
struct LookupSql {
    key_idx: Vec<usize>,
    rest_idx: Vec<usize>,
    exists: String,
    insert: String,
    update: Option<String>,
}

impl LookupSql {
    fn new(dialect: Dialect, spec: &LoadSpec<'_>) -> LookupSql {
        let q = |c: &str| dialect.quote_ident(c);
        let key_idx: Vec<usize> = spec
            .key
            .iter()
            .map(|k| spec.columns.iter().position(|c| c == k).unwrap_or(0))
            .collect();
        let rest_idx: Vec<usize> = (0..spec.columns.len())
            .filter(|i| !key_idx.contains(i))
            .collect();
        let key_where: Vec<String> = spec.key.iter().map(|k| format!("{} = ?", q(k))).collect();
        let exists = format!(
            "SELECT COUNT(*) FROM {} WHERE {}",
            q(spec.table),
            key_where.join(" AND ")
        );
        let insert = insert_sql(
            dialect,
            &LoadSpec {
                mode: SeedMode::Insert,
                ..spec.clone()
            },
            1,
        );
        let update = (!rest_idx.is_empty()).then(|| {
            let set: Vec<String> = rest_idx
                .iter()
                .map(|&i| format!("{} = ?", q(&spec.columns[i])))
                .collect();
            let same_all: Vec<String> = rest_idx
                .iter()
                .map(|&i| same(dialect, &spec.columns[i]))
                .collect();
            format!(
                "UPDATE {} SET {} WHERE {} AND NOT ({})",
                q(spec.table),
                set.join(", "),
                key_where.join(" AND "),
                same_all.join(" AND ")
            )
        });
        LookupSql {
            key_idx,
            rest_idx,
            exists,
            insert,
            update,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(cols: &'a [String], key: &'a [String], mode: SeedMode) -> LoadSpec<'a> {
        LoadSpec {
            table: "accounts",
            columns: cols,
            key,
            mode,
            key_unique: true,
        }
    }

    #[test]
    fn mode_sql_per_dialect() {
        let cols = vec!["id".to_string(), "name".to_string()];
        let key = vec!["id".to_string()];
        assert_eq!(
            insert_sql(Dialect::Sqlite, &spec(&cols, &key, SeedMode::Upsert), 1),
            "INSERT INTO \"accounts\" (\"id\", \"name\") VALUES (?, ?) ON CONFLICT (\"id\") DO UPDATE SET \"name\" = excluded.\"name\" WHERE \"accounts\".\"name\" IS NOT excluded.\"name\""
        );
        assert_eq!(
            insert_sql(Dialect::Sqlite, &spec(&cols, &key, SeedMode::InsertMissing), 1),
            "INSERT INTO \"accounts\" (\"id\", \"name\") VALUES (?, ?) ON CONFLICT (\"id\") DO NOTHING"
        );
        assert_eq!(
            insert_sql(Dialect::Mysql, &spec(&cols, &key, SeedMode::Upsert), 2),
            "INSERT INTO `accounts` (`id`, `name`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`)"
        );
        assert_eq!(
            insert_sql(Dialect::Mysql, &spec(&cols, &key, SeedMode::InsertMissing), 1),
            "INSERT INTO `accounts` (`id`, `name`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `id` = `id`"
        );
        assert_eq!(
            insert_sql(Dialect::Mysql, &spec(&cols, &key, SeedMode::Replace), 1),
            "INSERT INTO `accounts` (`id`, `name`) VALUES (?, ?)"
        );
    }
}
