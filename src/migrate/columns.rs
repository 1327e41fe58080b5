//! Before a batch runs: the columns each YAML `create_index` names must exist in its table as
//! the migrations before it leave the table — read from the live database, then changed op by
//! op. (SQLite would otherwise index a misspelt name as a string constant, and MySQL would
//! fail only after the batch's earlier DDL committed.) Raw SQL can change anything, so the
//! check stops at the first `sql` op or SQL file of the batch.

use std::collections::HashMap;

use crate::db::Driver;
use crate::error::{Error, Result};
use crate::schema::{self, OpKind};

use super::runner::Job;
use super::source::Format;

/// The tables a batch touches, as each op will find them.
struct BatchSchema<'d> {
    d: &'d mut dyn Driver,
    /// Lower-cased name → its columns, or `None` when the table does not exist.
    tables: HashMap<String, Option<Vec<String>>>,
    /// Raw SQL ran before: nothing more is known.
    blind: bool,
}

impl BatchSchema<'_> {
    fn columns(&mut self, table: &str) -> Result<Option<&mut Vec<String>>> {
        let key = table.to_ascii_lowercase();
        if !self.tables.contains_key(&key) {
            let live = self.d.columns(table)?;
            let cols = (!live.is_empty()).then(|| live.into_iter().map(|c| c.name).collect());
            self.tables.insert(key.clone(), cols);
        }
        Ok(self.tables.get_mut(&key).and_then(|c| c.as_mut()))
    }

    fn apply(&mut self, op: &OpKind) -> Result<()> {
        match op {
            OpKind::CreateTable(t) => {
                let cols = t.columns.iter().map(|c| c.name.clone()).collect();
                self.tables.insert(t.name.to_ascii_lowercase(), Some(cols));
            }
            OpKind::DropTable { name, .. } => {
                self.tables.insert(name.to_ascii_lowercase(), None);
            }
            OpKind::RenameTable { from, to } => {
                let cols = self.columns(from)?.map(|c| c.clone());
                self.tables.insert(from.to_ascii_lowercase(), None);
                self.tables.insert(to.to_ascii_lowercase(), cols);
            }
            OpKind::AddColumns { table, columns } => {
                if let Some(cols) = self.columns(table)? {
                    cols.extend(columns.iter().map(|c| c.name.clone()));
                }
            }
            OpKind::DropColumns { table, columns } => {
                if let Some(cols) = self.columns(table)? {
                    cols.retain(|c| !columns.iter().any(|d| d.eq_ignore_ascii_case(c)));
                }
            }
            OpKind::RenameColumn { table, from, to } => {
                if let Some(cols) = self.columns(table)? {
                    for c in cols.iter_mut().filter(|c| c.eq_ignore_ascii_case(from)) {
                        *c = to.clone();
                    }
                }
            }
            OpKind::Sql(_) => self.blind = true,
            _ => {}
        }
        Ok(())
    }
}

/// Checks the up sections of `jobs`, in order; `Err` names the file, op and column.
pub fn check_index_columns(jobs: &[Job<'_>], d: &mut dyn Driver) -> Result<()> {
    let mut schema = BatchSchema {
        d,
        tables: HashMap::new(),
        blind: false,
    };
    for job in jobs {
        // A resumed migration is half-applied: the live tables no longer say what it meets.
        if job.skip > 0 || job.file.format == Format::Sql {
            return Ok(());
        }
        let Ok(text) = std::str::from_utf8(&job.file.content) else {
            return Ok(());
        };
        let Ok(m) = schema::parse_migration(text) else {
            return Ok(());
        };
        for op in &m.up {
            if schema.blind {
                return Ok(());
            }
            if let OpKind::CreateIndex(idx) = &op.kind {
                let Some(cols) = schema.columns(&idx.table)? else {
                    continue;
                };
                if let Some(bad) = idx
                    .columns
                    .iter()
                    .find(|c| !cols.iter().any(|x| x.eq_ignore_ascii_case(c)))
                {
                    let at = op.line.map(|l| format!(" (line {l})")).unwrap_or_default();
                    return Err(Error::validation(format!(
                        "{}: {}{at}: table `{}` has no column `{bad}`{}",
                        job.file.display,
                        op.path,
                        idx.table,
                        crate::text::did_you_mean(bad, cols.iter().map(String::as_str))
                    ))
                    .hint("fix the column name in `columns:`")
                    .detail("nothing was applied"));
                }
            }
            schema.apply(&op.kind)?;
        }
    }
    Ok(())
}
