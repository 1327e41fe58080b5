//! Galera hazards, found before anything runs (on a Galera node only):
//!
//! | code | level | what |
//! |---|---|---|
//! | CL101 | error | a table without a primary key (created, or its key dropped) |
//! | CL102 | error | a table that is not InnoDB (its rows are not replicated) |
//! | CL103 | warning | `LOCK TABLES` (it locks one node only) |
//! | CL104 | error | a seed transaction larger than `wsrep_max_ws_size` / `wsrep_max_ws_rows` |

use crate::db::ClusterFacts;
use crate::sql;

use super::{Finding, Level, Unit};

fn finding(u: &Unit<'_>, code: &'static str, level: Level, what: String, fix: &str) -> Finding {
    Finding {
        code,
        level,
        file: u.file.to_string(),
        at: u.at.to_string(),
        what,
        fix: fix.to_string(),
    }
}

fn is_innodb(engine: &str) -> bool {
    engine.eq_ignore_ascii_case("InnoDB") || engine.eq_ignore_ascii_case("XtraDB")
}

/// The hazards of a batch's statements, in order (statement index, finding). A table
/// created without a primary key is fine when a later statement of the batch adds one.
pub fn migrations(units: &[Unit<'_>], g: &ClusterFacts) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    let mut keyless: Vec<(String, usize, Finding)> = Vec::new();
    for (k, u) in units.iter().enumerate() {
        if sql::locks_tables(u.sql) {
            out.push((k, finding(u, "CL103", Level::Warning,
                format!("LOCK TABLES locks on node {} only: writes through the other nodes are not held off (Galera certifies them at commit instead)", g.node),
                "harmless in a dump being loaded; to keep writers out, stop them instead (mysqldump --skip-add-locks leaves the statement out)")));
        }
        let Some(t) = sql::table_shape(u.sql) else {
            continue;
        };
        if t.temporary {
            continue;
        }
        let key = t.name.to_ascii_lowercase();
        if t.adds_primary_key {
            keyless.retain(|(n, ..)| *n != key);
        }
        let fix = "declare a PRIMARY KEY (`id INT AUTO_INCREMENT PRIMARY KEY` will do), or add one later in the batch with ALTER TABLE … ADD PRIMARY KEY";
        if t.creates && !t.like && !t.adds_primary_key {
            let what = format!("table `{}` has no primary key: Galera does not support DELETE on such a table, and its rows may be ordered differently on each node", t.name);
            keyless.push((key, k, finding(u, "CL101", Level::Error, what, fix)));
        } else if !t.creates && t.drops_primary_key && !t.adds_primary_key {
            let what = format!("table `{}` loses its primary key: Galera does not support DELETE on a table without one, and its rows may be ordered differently on each node", t.name);
            keyless.push((key, k, finding(u, "CL101", Level::Error, what, fix)));
        }
        let (engine, from_default) = match &t.engine {
            Some(e) => (e.clone(), false),
            None if t.creates && !t.like => (g.default_engine.clone(), true),
            None => continue,
        };
        if engine.is_empty() || is_innodb(&engine) {
            continue;
        }
        let what = if from_default {
            format!("table `{}` gets this node's default_storage_engine, {engine}: Galera replicates only InnoDB rows, so rows written to it stay on the node that wrote them", t.name)
        } else {
            format!("table `{}` uses ENGINE={engine}: Galera replicates only InnoDB rows, so rows written to it stay on the node that wrote them", t.name)
        };
        out.push((
            k,
            finding(u, "CL102", Level::Error, what, "write ENGINE=InnoDB"),
        ));
    }
    out.extend(keyless.into_iter().map(|(_, k, f)| (k, f)));
    out.sort_by_key(|(k, _)| *k);
    out
}

/// The write set a transaction of `rows` rows holding `value_bytes` bytes of values (over
/// `columns` columns) replicates. Measured on MariaDB 10.11 / galera-4: 14 bytes a row plus
/// twice the row image (each value's bytes and a length byte); e.g. 100,000 bytes hold
/// 3,729 rows of (INT, 1 char) and 803 rows of (INT, 50 chars).
pub fn write_set_bytes(rows: u64, columns: u64, value_bytes: u64) -> u64 {
    rows * 16 + 2 * (value_bytes + rows * columns)
}

/// What one seed transaction would replicate, against the node's limits.
pub struct SeedTransaction<'a> {
    pub file: &'a str,
    pub rows: u64,
    pub write_set: u64,
    /// `--atomic`: the transaction holds every seed of the run.
    pub atomic: bool,
}

fn megabytes(n: u64) -> String {
    if n >= 10 << 20 {
        format!("{} MB", n >> 20)
    } else {
        format!("{:.1} MB", n as f64 / (1 << 20) as f64)
    }
}

/// CL104: a seed transaction Galera would refuse (`Maximum writeset size exceeded`).
pub fn seed_transaction(t: &SeedTransaction<'_>, g: &ClusterFacts) -> Option<Finding> {
    let over_size = g.max_ws_size > 0 && t.write_set > g.max_ws_size;
    let over_rows = g.max_ws_rows > 0 && t.rows > g.max_ws_rows;
    if !over_size && !over_rows {
        return None;
    }
    let what = if over_size {
        format!(
            "{} rows would replicate as one write set of about {}; node {}'s wsrep_max_ws_size is {}, so Galera would refuse it",
            t.rows,
            megabytes(t.write_set),
            g.node,
            megabytes(g.max_ws_size)
        )
    } else {
        format!(
            "{} rows in one transaction; node {}'s wsrep_max_ws_rows is {}, so Galera would refuse it",
            t.rows, g.node, g.max_ws_rows
        )
    };
    let per_file = if over_size {
        (t.rows * g.max_ws_size / t.write_set.max(1)).max(1) * 9 / 10
    } else {
        g.max_ws_rows * 9 / 10
    };
    let fix = if t.atomic {
        format!("run without --atomic (which makes every seed of the run one transaction), split the rows into files of at most ~{per_file} rows each, or raise the limit on every node")
    } else {
        format!("split the rows into seed files of at most ~{per_file} rows (each file is its own transaction), or raise the limit on every node")
    };
    Some(Finding {
        code: "CL104",
        level: Level::Error,
        file: t.file.to_string(),
        at: String::new(),
        what,
        fix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> ClusterFacts {
        ClusterFacts {
            node: "node1".into(),
            default_engine: "InnoDB".into(),
            max_ws_size: 1 << 20,
            max_ws_rows: 0,
        }
    }

    fn check(sqls: &[&str], g: &ClusterFacts) -> Vec<(usize, &'static str)> {
        let units: Vec<Unit<'_>> = sqls
            .iter()
            .map(|s| Unit {
                file: "m.sql",
                at: "",
                sql: s,
                ignores: Vec::new(),
            })
            .collect();
        migrations(&units, g)
            .into_iter()
            .map(|(k, f)| (k, f.code))
            .collect()
    }

    #[test]
    fn a_keyless_table_is_refused_unless_the_batch_adds_a_key() {
        let g = node();
        assert_eq!(check(&["CREATE TABLE t (a INT)"], &g), vec![(0, "CL101")]);
        assert_eq!(
            check(
                &[
                    "CREATE TABLE t (a INT)",
                    "ALTER TABLE `t` ADD PRIMARY KEY (a)"
                ],
                &g
            ),
            vec![]
        );
        assert_eq!(
            check(&["ALTER TABLE t DROP PRIMARY KEY"], &g),
            vec![(0, "CL101")]
        );
        assert_eq!(
            check(&["CREATE TEMPORARY TABLE t (a INT) ENGINE=MEMORY"], &g),
            vec![]
        );
        assert_eq!(check(&["CREATE TABLE t LIKE u"], &g), vec![]);
    }

    #[test]
    fn engines_other_than_innodb_are_refused_and_lock_tables_warned() {
        let mut g = node();
        assert_eq!(
            check(&["CREATE TABLE t (id INT PRIMARY KEY) ENGINE=MyISAM"], &g),
            vec![(0, "CL102")]
        );
        assert_eq!(
            check(&["ALTER TABLE t ENGINE=Aria"], &g),
            vec![(0, "CL102")]
        );
        assert_eq!(check(&["CREATE TABLE t (id INT PRIMARY KEY)"], &g), vec![]);
        g.default_engine = "MyISAM".into();
        assert_eq!(
            check(&["CREATE TABLE t (id INT PRIMARY KEY)"], &g),
            vec![(0, "CL102")]
        );
        assert_eq!(
            check(
                &[
                    "LOCK TABLES t WRITE",
                    "INSERT INTO t VALUES (1)",
                    "UNLOCK TABLES"
                ],
                &node()
            ),
            vec![(0, "CL103")]
        );
    }

    #[test]
    fn a_seed_over_the_write_set_limit_is_refused_with_a_size_that_fits() {
        let g = node();
        let ok = SeedTransaction {
            file: "s.yaml",
            rows: 1000,
            write_set: 50_000,
            atomic: false,
        };
        assert!(seed_transaction(&ok, &g).is_none());
        let big = SeedTransaction {
            file: "s.yaml",
            rows: 40_000,
            write_set: 4 << 20,
            atomic: false,
        };
        let f = seed_transaction(&big, &g).unwrap();
        assert_eq!(f.code, "CL104");
        assert!(f.what.contains("wsrep_max_ws_size is 1.0 MB"), "{}", f.what);
        assert!(f.fix.contains("at most ~9000 rows"), "{}", f.fix);
        assert_eq!(
            write_set_bytes(3729, 2, 3729 * 5),
            3729 * 16 + 2 * (3729 * 7)
        );
    }
}
