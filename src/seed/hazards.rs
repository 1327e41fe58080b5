//! Before seeds load on a Galera node: a transaction larger than the node replicates
//! (`wsrep_max_ws_size`, `wsrep_max_ws_rows`) is refused before any row is written (CL104).

use crate::db::{ClusterFacts, Driver};
use crate::error::Result;
use crate::lint::cluster::{seed_transaction, write_set_bytes, SeedTransaction};
use crate::lint::{self, Finding};
use crate::report::Output;

use super::plan::Planned;
use super::rows;
use super::source::{Rows, SeedBody};

/// Rows, values and value bytes a seed writes (SQL seeds: unknown, counted as nothing).
#[derive(Default, Clone, Copy)]
struct Size {
    rows: u64,
    cells: u64,
    bytes: u64,
}

impl Size {
    fn add(&mut self, o: Size) {
        self.rows += o.rows;
        self.cells += o.cells;
        self.bytes += o.bytes;
    }

    fn write_set(&self) -> u64 {
        write_set_bytes(self.rows, self.cells, self.bytes)
    }
}

fn size_of(p: &Planned, g: &ClusterFacts) -> Result<Size> {
    let mut size = Size::default();
    let SeedBody::Yaml(blocks) = &p.seed.body else {
        return Ok(size);
    };
    for (b, planned) in blocks.iter().zip(&p.blocks) {
        if planned.skip {
            continue;
        }
        match &b.rows {
            Rows::Inline(r) => {
                let (cells, bytes) = r.data_size();
                size.add(Size {
                    rows: r.len() as u64,
                    cells,
                    bytes,
                });
            }
            Rows::Csv { path, display } => {
                // Every row of a CSV file takes a byte, every value one more: its write
                // set is below 20 times its size, and a file that small is not read twice.
                let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
                if len.saturating_mul(20) <= g.max_ws_size && g.max_ws_rows == 0 {
                    continue;
                }
                let mut reader = rows::open_csv(path)?;
                let (records, cells, bytes) = reader.measure().map_err(|e| {
                    crate::error::Error::validation(format!(
                        "{display} line {}: {}",
                        e.line, e.message
                    ))
                })?;
                size.add(Size {
                    rows: records.saturating_sub(1),
                    cells,
                    bytes,
                });
            }
        }
    }
    Ok(size)
}

/// Refuses a run whose transaction (a seed file's; the whole run's with `--atomic`) the
/// Galera node would not replicate.
pub fn check(d: &mut dyn Driver, out: &Output, planned: &[Planned], atomic: bool) -> Result<()> {
    let Some(g) = d.cluster_facts()? else {
        return Ok(());
    };
    let mut findings: Vec<Finding> = Vec::new();
    let mut run = Size::default();
    for p in planned {
        let size = size_of(p, &g)?;
        run.add(size);
        if !atomic {
            let t = SeedTransaction {
                file: &p.seed.file.display,
                rows: size.rows,
                write_set: size.write_set(),
                atomic,
            };
            findings.extend(seed_transaction(&t, &g));
        }
    }
    if atomic {
        let t = SeedTransaction {
            file: "the run",
            rows: run.rows,
            write_set: run.write_set(),
            atomic,
        };
        findings.extend(seed_transaction(&t, &g));
    }
    lint::enforce(
        out,
        &findings,
        &format!("refused on Galera cluster node {}", g.node),
    )
}
