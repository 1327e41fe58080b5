//! The rules of `migrate:lint`: what each statement of a migration's up section will do to a
//! live database — destroy data, fail on rows that are there, lock or copy a table, commit
//! half of a migration, break the release still running — read against a model of the schema
//! (the live tables when connected, changed by each earlier statement; else built from the
//! earlier migrations' own statements).

use std::collections::HashMap;

use crate::sql::{self, AlterAction, ColumnDef, Ddl, KeyKind};
use crate::value::Dialect;

use super::online::{self, Algorithm, Before, Server, TypeChange};
use super::{Finding, Ignore, Level, Unit};

/// What the linter may ask the live database (see `migrate::lint`).
pub trait Live {
    /// The table's name as the database spells it (MySQL names are case-sensitive), or
    /// None when there is no such table.
    fn resolve(&mut self, table: &str) -> Option<String>;
    /// The columns of a table (name, definition as the engine reports it), or None when it
    /// does not exist.
    fn columns(&mut self, table: &str) -> Option<Vec<(String, Option<ColumnDef>)>>;
    fn indexed(&mut self, table: &str) -> Vec<(String, bool)>;
    fn referencing(&mut self, table: &str) -> Vec<String>;
    fn rows(&mut self, table: &str) -> Option<u64>;
    /// The rows the server's plan expects a DML statement to touch.
    fn touched(&mut self, sql: &str) -> Option<u64>;
    /// The first column of the first row of a counting query.
    fn count(&mut self, sql: &str) -> Option<u64>;
}

/// A migration's down, as far as the rules go.
#[derive(Clone)]
pub enum Down {
    Written,
    /// Derived from the up: the ops whose reverse loses data written since (a dropped table
    /// or column), with where they are.
    Derived(Vec<(String, String, Vec<Ignore>)>),
    Missing,
}

/// One migration to lint.
pub struct Migration<'a> {
    pub file: &'a str,
    pub units: Vec<Unit<'a>>,
    /// SQLite table rebuilds its YAML ops make.
    pub rebuilds: Vec<Rebuild>,
    pub down: Down,
    /// Not linted: a migration that runs before the linted ones, read into the model only.
    pub quiet: bool,
}

/// A SQLite table rebuild a YAML op makes.
pub struct Rebuild {
    pub at: String,
    pub table: String,
    /// The columns it drops.
    pub dropped: Vec<String>,
    pub ignores: Vec<Ignore>,
}

/// Where the migrations will run.
pub struct Target<'l> {
    pub dialect: Dialect,
    pub server: Option<Server>,
    pub live: Option<&'l mut dyn Live>,
    /// Count the rows that break a data-dependent change (a scan of the table): for
    /// `migrate:lint`, not before every batch.
    pub count: bool,
}

/// Rows above which a single DML statement in one transaction is worth a warning.
pub const LARGE_DML_ROWS: u64 = 100_000;

#[derive(Debug, Clone, Default)]
struct Col {
    def: Option<ColumnDef>,
    indexed: bool,
    unique: bool,
}

impl Col {
    /// A column as a statement defines it (its own UNIQUE or PRIMARY KEY indexes it).
    fn defined(c: &ColumnDef) -> Col {
        Col {
            def: Some(c.clone()),
            indexed: c.unique || c.primary,
            unique: c.unique || c.primary,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Table {
    cols: Vec<(String, Col)>,
    /// The migration (index in the run) that created it; None: it was there before.
    created_in: Option<usize>,
    /// Read from the live database (its row count can be asked).
    live: bool,
    /// Its name as the database spells it (for the queries that count rows).
    name: String,
    /// The last migration that added a column to it (an UPDATE then is a backfill).
    columns_added_in: Option<usize>,
}

impl Table {
    fn col(&self, name: &str) -> Option<&Col> {
        self.cols.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    fn col_mut(&mut self, name: &str) -> Option<&mut Col> {
        self.cols
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }
}

struct Model<'l, 't> {
    /// Lower-cased name → the table, or None once dropped.
    tables: HashMap<String, Option<Table>>,
    live: Option<&'l mut (dyn Live + 't)>,
    /// Count rows for the data-dependent rules (see `Target::count`).
    count: bool,
}

impl Model<'_, '_> {
    fn table(&mut self, name: &str) -> Option<&mut Table> {
        if !self.tables.contains_key(name) {
            let loaded = self.live.as_mut().and_then(|l| {
                let real = l.resolve(name)?;
                let cols = l.columns(&real)?;
                let indexed = l.indexed(&real);
                Some(Table {
                    cols: cols
                        .into_iter()
                        .map(|(n, def)| {
                            let n = n.to_ascii_lowercase();
                            let ix = indexed.iter().find(|(c, _)| *c == n);
                            let col = Col {
                                def,
                                indexed: ix.is_some(),
                                unique: ix.is_some_and(|(_, u)| *u),
                            };
                            (n, col)
                        })
                        .collect(),
                    created_in: None,
                    live: true,
                    name: real,
                    columns_added_in: None,
                })
            });
            if loaded.is_none() && self.live.is_some() {
                // Connected, and not there: known absent.
                self.tables.insert(name.to_string(), None);
                return None;
            }
            match loaded {
                Some(t) => self.tables.insert(name.to_string(), Some(t)),
                None => return None,
            };
        }
        self.tables.get_mut(name).and_then(|t| t.as_mut())
    }

    /// Whether the table holds rows that were there before migration `m` (created earlier,
    /// or unknown: a statement that alters a table implies it exists).
    fn existed_before(&mut self, name: &str, m: usize) -> bool {
        match self.table(name) {
            Some(t) => t.created_in != Some(m),
            None => !matches!(self.tables.get(name), Some(None)),
        }
    }

    /// The live table's name as the database spells it; None for one not (yet) live.
    fn live_name(&mut self, name: &str) -> Option<String> {
        self.table(name)
            .filter(|t| t.live && t.created_in.is_none())
            .map(|t| t.name.clone())
    }

    fn rows(&mut self, name: &str) -> Option<u64> {
        let real = self.live_name(name)?;
        self.live.as_mut()?.rows(&real)
    }

    /// Whether anything is known of the table (a live lookup, or an earlier statement).
    fn known(&mut self, name: &str) -> bool {
        self.table(name).is_some() || self.tables.contains_key(name)
    }

    fn create(&mut self, name: &str, columns: &[ColumnDef], keys: &[sql::KeyDef], m: usize) {
        let mut t = Table {
            created_in: Some(m),
            name: name.to_string(),
            ..Table::default()
        };
        for c in columns {
            t.cols.push((c.name.clone(), Col::defined(c)));
        }
        for k in keys {
            mark_indexed(&mut t, k);
        }
        self.tables.insert(name.to_string(), Some(t));
    }
}

fn mark_indexed(t: &mut Table, k: &sql::KeyDef) {
    let unique = matches!(k.kind, KeyKind::Unique | KeyKind::Primary);
    for c in &k.columns {
        if let Some(col) = t.col_mut(c) {
            col.indexed = true;
            col.unique |= unique;
        }
    }
}

struct Out<'a> {
    findings: Vec<(usize, Finding)>,
    verdicts: Vec<Verdict>,
    file: &'a str,
    /// Tables a statement of this migration renames another onto (SQLite's documented
    /// rebuild: create `t_new`, copy, drop `t`, rename `t_new` to `t`): dropping one is not
    /// the end of its data.
    renamed_onto: Vec<String>,
}

/// How the server will carry out one ALTER of an existing table (MySQL/MariaDB).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub file: String,
    pub at: String,
    pub table: String,
    pub algorithm: Algorithm,
}

/// What the rules found: findings (silenced ones left out) and the locking verdicts.
#[derive(Debug, Default)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub verdicts: Vec<Verdict>,
}

impl Out<'_> {
    /// DS102 and BC101: a column dropped from a table that was there before.
    fn dropped_column(&mut self, k: usize, at: &str, table: &str, c: &str) {
        self.add(
            k,
            at,
            "DS102",
            Level::Error,
            format!("drops column `{table}.{c}` and its data"),
            "make sure nothing needs the data; drop it a release after the code stops using it",
        );
        self.add(
            k,
            at,
            "BC101",
            Level::Warning,
            format!(
                "drops column `{table}.{c}`, which the release still running may read or write"
            ),
            "stop using it in one release, drop it in the next",
        );
    }

    /// BC101: a column renamed under the release still running.
    fn renamed_column(&mut self, k: usize, at: &str, table: &str, from: &str, to: &str) {
        self.add(k, at, "BC101", Level::Warning,
            format!("renames column `{table}.{from}` to `{to}`: the release still running uses the old name"),
            "add the new column, write both, switch reads, drop the old one in a later release");
    }

    fn add(
        &mut self,
        unit: usize,
        at: &str,
        code: &'static str,
        level: Level,
        what: String,
        fix: &str,
    ) {
        self.findings.push((
            unit,
            Finding {
                code,
                level,
                file: self.file.to_string(),
                at: at.to_string(),
                what,
                fix: fix.to_string(),
            },
        ));
    }
}

fn q(d: Dialect, ident: &str) -> String {
    d.quote_ident(ident)
}

/// The model after a statement.
fn apply(model: &mut Model<'_, '_>, ddl: Option<&Ddl>, m: usize) {
    match ddl {
        Some(Ddl::CreateTable {
            name,
            columns,
            keys,
            ..
        }) => {
            model.create(name, columns, keys, m);
        }
        Some(Ddl::DropTable { names, .. }) => {
            for n in names {
                model.tables.insert(n.clone(), None);
            }
        }
        Some(Ddl::RenameTable(pairs)) => {
            for (from, to) in pairs {
                let t = model.table(from).cloned();
                model.tables.insert(from.clone(), None);
                if let Some(t) = t {
                    model.tables.insert(to.clone(), Some(t));
                }
            }
        }
        Some(Ddl::CreateIndex { table, key }) => {
            if let Some(t) = model.table(table) {
                mark_indexed(t, key);
            }
        }
        Some(Ddl::Alter { table, actions }) => {
            let mut renamed = None;
            if let Some(t) = model.table(table) {
                for a in actions {
                    match a {
                        AlterAction::AddColumn(c) => {
                            t.columns_added_in = Some(m);
                            t.cols.push((c.name.clone(), Col::defined(c)));
                        }
                        AlterAction::DropColumn(c) => t.cols.retain(|(n, _)| n != c),
                        AlterAction::ModifyColumn { from, def } => {
                            if let Some((n, col)) = t.cols.iter_mut().find(|(n, _)| n == from) {
                                *n = def.name.clone();
                                col.def = Some(def.clone());
                            }
                        }
                        AlterAction::RenameColumn { from, to } => {
                            if let Some((n, _)) = t.cols.iter_mut().find(|(n, _)| n == from) {
                                *n = to.clone();
                            }
                        }
                        AlterAction::AddKey(k) => mark_indexed(t, k),
                        AlterAction::RenameTable(to) => renamed = Some(to.clone()),
                        _ => {}
                    }
                }
            }
            if let Some(to) = renamed {
                let t = model.tables.insert(table.clone(), None).flatten();
                model.tables.insert(to, t);
            }
        }
        _ => {}
    }
}

const DML: [&str; 4] = ["INSERT", "UPDATE", "DELETE", "REPLACE"];

/// Every finding of the migrations, in order, with the statement each belongs to (an index
/// into the concatenation of their units), before `lint:ignore` directives are applied.
pub fn lint(migrations: &[Migration<'_>], target: &mut Target<'_>) -> Linted {
    let dialect = target.dialect;
    let server = target.server;
    let mut model = Model {
        tables: HashMap::new(),
        live: target.live.as_deref_mut(),
        count: target.count,
    };
    let mut all = Linted::default();
    for (m, mig) in migrations.iter().enumerate() {
        if mig.quiet {
            for u in &mig.units {
                apply(&mut model, sql::ddl(u.sql).as_ref(), m);
            }
            continue;
        }
        let renamed_onto = mig
            .units
            .iter()
            .filter_map(|u| match sql::ddl(u.sql) {
                Some(Ddl::RenameTable(pairs)) => {
                    Some(pairs.into_iter().map(|(_, to)| to).collect())
                }
                Some(Ddl::Alter { actions, .. }) => Some(
                    actions
                        .into_iter()
                        .filter_map(|a| match a {
                            AlterAction::RenameTable(to) => Some(to),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        let mut out = Out {
            findings: Vec::new(),
            verdicts: Vec::new(),
            file: mig.file,
            renamed_onto,
        };
        let mut first_ddl = None;
        let mut first_dml = None;
        for (k, u) in mig.units.iter().enumerate() {
            let head = sql::first_word(u.sql);
            if dialect == Dialect::Mysql {
                if sql::commits_implicitly_mysql(u.sql)
                    && !sql::is_transaction_control(u.sql)
                    && head != "LOCK"
                    && head != "UNLOCK"
                    && head != "SET"
                {
                    first_ddl.get_or_insert(k);
                } else if DML.contains(&head.as_str()) {
                    first_dml.get_or_insert(k);
                }
                if sql::locks_tables(u.sql) {
                    out.add(k, u.at, "LK103", Level::Warning,
                        "LOCK TABLES holds every other session off the tables until UNLOCK TABLES (and commits what is open)".into(),
                        "drop it unless the migration must keep writers out; on a dump, mysqldump --skip-add-locks leaves it out");
                }
            }
            let ddl = sql::ddl(u.sql);
            statement(
                &mut model,
                &mut out,
                ddl.as_ref(),
                k,
                u,
                m,
                dialect,
                server.as_ref(),
            );
            apply(&mut model, ddl.as_ref(), m);
        }
        if let (Some(d), Some(k)) = (first_ddl, first_dml) {
            let u = &mig.units[k];
            out.add(k, u.at, "MY101", Level::Warning,
                format!("this migration mixes DDL (statement {}) with DML: MySQL commits each DDL statement, so a failure leaves part of it applied and the DML is not undone with the rest", d + 1),
                "put the DML in a migration of its own (or a seed), so each migration is one transaction or one DDL");
        }
        for (r, rb) in mig.rebuilds.iter().enumerate() {
            let (k, at, table) = (mig.units.len() + r, rb.at.as_str(), rb.table.as_str());
            if model.existed_before(table, m) {
                for c in &rb.dropped {
                    out.dropped_column(k, at, table, c);
                }
            }
            let children = model
                .live
                .as_mut()
                .map(|l| l.referencing(table))
                .unwrap_or_default();
            if !children.is_empty() {
                out.add(k, at, "SQ101", Level::Warning,
                    format!("SQLite rebuilds `{table}` (copy, drop, rename), and {} reference it: with foreign keys on, dropping the old table would delete or null their rows", children.join(", ")),
                    "furrow rebuilds with foreign_keys off and checks the keys after (so no row is lost); with any other tool, or in raw SQL, turn PRAGMA foreign_keys off around the rebuild");
            }
            if let Some(t) = model.table(table) {
                t.cols.retain(|(n, _)| !rb.dropped.contains(n));
            }
        }
        match &mig.down {
            Down::Missing => out.add(usize::MAX, "", "RV101", Level::Warning,
                "no down section: `migrate:rollback` cannot undo this migration".into(),
                "write a `-- migrate:down` (or `down:`) section, or accept that rolling back past it is refused"),
            Down::Derived(lossy) => {
                for (at, what, _) in lossy {
                    out.add(usize::MAX - 1, at, "RV102", Level::Warning,
                        format!("the derived down {what}: rows written after the migration ran are lost on rollback"),
                        "write an explicit `down:` if that data must survive a rollback (e.g. copy it aside first)");
                }
            }
            Down::Written => {}
        }
        // Silence per statement (rebuilds and downs carry their own directives).
        let mut units_ignores: Vec<&[Ignore]> =
            mig.units.iter().map(|u| u.ignores.as_slice()).collect();
        units_ignores.extend(mig.rebuilds.iter().map(|r| r.ignores.as_slice()));
        out.findings.sort_by_key(|(k, _)| *k);
        all.verdicts.append(&mut out.verdicts);
        for (k, f) in out.findings {
            let ignores: &[Ignore] = match k {
                usize::MAX => &[],
                x if x == usize::MAX - 1 => match &mig.down {
                    Down::Derived(l) => l
                        .iter()
                        .find(|(at, ..)| *at == f.at)
                        .map(|(_, _, i)| i.as_slice())
                        .unwrap_or(&[]),
                    _ => &[],
                },
                x => units_ignores.get(x).copied().unwrap_or(&[]),
            };
            if !ignores.iter().any(|i| i.code == f.code) {
                all.findings.push(f);
            }
        }
    }
    all
}

#[allow(clippy::too_many_arguments)]
fn statement(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    ddl: Option<&Ddl>,
    k: usize,
    u: &Unit<'_>,
    m: usize,
    dialect: Dialect,
    server: Option<&Server>,
) {
    let at = u.at;
    match ddl {
        Some(Ddl::DropTable { names, if_exists }) => {
            for n in names {
                // `IF EXISTS` of a table nothing is known of: a clean-up, not a loss.
                let unknown = *if_exists && !model.known(n);
                if !unknown && !out.renamed_onto.contains(n) && model.existed_before(n, m) {
                    out.add(k, at, "DS101", Level::Error, format!("drops table `{n}` and every row in it"),
                        "make sure nothing needs the data (back it up, or rename the table and drop it in a later release)");
                    out.add(
                        k,
                        at,
                        "BC102",
                        Level::Warning,
                        format!("drops table `{n}`, which the release still running reads"),
                        "stop reading it in one release, drop it in the next",
                    );
                }
            }
        }
        Some(Ddl::RenameTable(pairs)) => {
            for (from, to) in pairs {
                if model.existed_before(from, m) {
                    out.add(k, at, "BC102", Level::Warning, format!("renames table `{from}` to `{to}`: the release still running reads `{from}`"),
                        "add the new name (a view or a copy) first, switch the code, drop the old name in a later release");
                }
            }
        }
        Some(Ddl::Truncate(t)) if model.existed_before(t, m) => out.add(
            k,
            at,
            "DS104",
            Level::Error,
            format!("TRUNCATE deletes every row of `{t}` (and cannot be rolled back on MySQL)"),
            "delete what you mean with a WHERE, or make sure the data is not needed",
        ),
        Some(
            Ddl::Delete {
                table,
                filtered: false,
            }
            | Ddl::Update {
                table,
                filtered: false,
            },
        ) if model.existed_before(table, m) && !backfill(model, ddl, table, m) => {
            let what = match ddl {
                Some(Ddl::Delete { .. }) => "DELETE without WHERE deletes",
                _ => "UPDATE without WHERE changes",
            };
            out.add(
                k,
                at,
                "DS105",
                Level::Error,
                format!("{what} every row of `{table}`"),
                "add a WHERE (write `WHERE 1 = 1` to say you mean every row)",
            )
        }
        _ => {}
    }
    if let Some(Ddl::Delete { table, .. } | Ddl::Update { table, .. } | Ddl::InsertSelect(table)) =
        ddl
    {
        if dialect == Dialect::Mysql {
            // The server's plan says how many rows the statement touches (a live table only).
            let live = model.rows(table).is_some();
            let touched = if live {
                model.live.as_mut().and_then(|l| l.touched(u.sql))
            } else {
                None
            };
            if let Some(rows) = touched.filter(|r| *r >= LARGE_DML_ROWS) {
                out.add(k, at, "LK104", Level::Warning,
                    format!("one statement over about {rows} rows of `{table}` (the server's plan) runs as one transaction: its row locks and undo grow with the table, and replicas apply it as one"),
                    "work in batches (`… LIMIT 10000`, repeated) in a migration with `transaction:false`, or as a seed");
            }
        }
    }
    if let Some(Ddl::CreateIndex { table, key }) = ddl {
        let existed = model.existed_before(table, m);
        if key.kind == KeyKind::Unique && existed {
            unique_rows(model, out, k, at, table, &key.columns, dialect);
        }
        if dialect == Dialect::Mysql && existed {
            let alg = match key.kind {
                KeyKind::Fulltext | KeyKind::Spatial => Algorithm::Blocking,
                _ => Algorithm::NoCopy,
            };
            locking(model, out, k, at, table, alg, None, None, server);
        }
    }
    if let Some(Ddl::Alter { table, actions }) = ddl {
        alter(model, out, k, at, table, actions, m, dialect, server);
    }
}

/// An UPDATE of a table a column was just added to, in the same migration: a backfill.
fn backfill(model: &mut Model<'_, '_>, ddl: Option<&Ddl>, table: &str, m: usize) -> bool {
    matches!(ddl, Some(Ddl::Update { .. }))
        && model
            .table(table)
            .is_some_and(|t| t.columns_added_in == Some(m))
}

fn unique_rows(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    k: usize,
    at: &str,
    table: &str,
    cols: &[String],
    d: Dialect,
) {
    let list: Vec<String> = cols.iter().map(|c| q(d, c)).collect();
    let non_null: Vec<String> = list.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    let real = model.live_name(table).unwrap_or_else(|| table.to_string());
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM {} WHERE {} GROUP BY {} HAVING COUNT(*) > 1) AS dups",
        q(d, &real),
        non_null.join(" AND "),
        list.join(", ")
    );
    let what = format!(
        "a UNIQUE key on `{table}` ({}) fails if existing rows repeat a value",
        cols.join(", ")
    );
    data_rule(
        model,
        out,
        k,
        at,
        "MF101",
        table,
        &sql,
        what,
        ("repeated value", "repeated values"),
        "remove or merge the duplicates first (a data migration before this one)",
    );
}

/// MF103: a foreign key added to a table with rows; counted when both tables are live and
/// the key's columns are known (`REFERENCES p (a, b)`).
#[allow(clippy::too_many_arguments)]
fn foreign_key_rows(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    k: usize,
    at: &str,
    table: &str,
    parent: &str,
    key: &sql::KeyDef,
    d: Dialect,
) {
    let what = format!(
        "a foreign key from `{table}` ({}) to `{parent}` fails if existing rows point at no `{parent}` row",
        key.columns.join(", ")
    );
    let fix = "delete or fix the orphans first (a data migration before this one)";
    let names = (model.live_name(table), model.live_name(parent));
    let (Some(child), Some(parent_name)) = names else {
        out.add(k, at, "MF103", Level::Warning, what, fix);
        return;
    };
    if key.columns.is_empty() || key.columns.len() != key.ref_columns.len() {
        out.add(k, at, "MF103", Level::Warning, what, fix);
        return;
    }
    let set: Vec<String> = key
        .columns
        .iter()
        .map(|c| format!("c.{} IS NOT NULL", q(d, c)))
        .collect();
    let eq: Vec<String> = key
        .columns
        .iter()
        .zip(&key.ref_columns)
        .map(|(c, pc)| format!("p.{} = c.{}", q(d, pc), q(d, c)))
        .collect();
    let sql = format!(
        "SELECT COUNT(*) FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
        q(d, &child),
        set.join(" AND "),
        q(d, &parent_name),
        eq.join(" AND ")
    );
    data_rule(
        model,
        out,
        k,
        at,
        "MF103",
        table,
        &sql,
        what,
        ("row pointing nowhere", "rows pointing nowhere"),
        fix,
    );
}

/// A rule whose verdict depends on the rows: a warning offline, an error with the count
/// when the live table has rows that break it.
#[allow(clippy::too_many_arguments)]
fn data_rule(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    k: usize,
    at: &str,
    code: &'static str,
    table: &str,
    count_sql: &str,
    what: String,
    noun: (&str, &str),
    fix: &str,
) {
    let live = model.count && model.live_name(table).is_some();
    let counted = if live {
        model.live.as_mut().and_then(|l| l.count(count_sql))
    } else {
        None
    };
    match counted {
        Some(0) => out.add(
            k,
            at,
            code,
            Level::Warning,
            format!("{what}; none does today, but rows written before it runs may"),
            fix,
        ),
        Some(n) => {
            let noun = if n == 1 { noun.0 } else { noun.1 };
            out.add(
                k,
                at,
                code,
                Level::Error,
                format!("{what}: the live table has {n} {noun} now, so it will fail"),
                fix,
            )
        }
        None => out.add(k, at, code, Level::Warning, what, fix),
    }
}

#[allow(clippy::too_many_arguments)]
fn alter(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    k: usize,
    at: &str,
    table: &str,
    actions: &[AlterAction],
    m: usize,
    d: Dialect,
    server: Option<&Server>,
) {
    let existed = model.existed_before(table, m);
    let mut verdicts = Vec::new();
    let mut unknown = false;
    let (mut algorithm, mut lock) = (None, None);
    for a in actions {
        let col_name = match a {
            AlterAction::DropColumn(c) => Some(c.clone()),
            AlterAction::ModifyColumn { from, .. } => Some(from.clone()),
            _ => None,
        };
        let before_col = col_name
            .as_ref()
            .and_then(|c| model.table(table).and_then(|t| t.col(c).cloned()));
        let before = Before {
            def: before_col.as_ref().and_then(|c| c.def.as_ref()),
            indexed: before_col.as_ref().is_some_and(|c| c.indexed),
        };
        match a {
            AlterAction::Algorithm(x) => algorithm = Some(x.clone()),
            AlterAction::Lock(x) => lock = Some(x.clone()),
            AlterAction::AddColumn(c) if c.not_null && !c.has_default && existed && c.generated.is_none() && !c.auto_increment => {
                if d == Dialect::Sqlite {
                    out.add(k, at, "MF102", Level::Error, format!("SQLite refuses to add NOT NULL column `{}` without a default to `{table}`", c.name),
                        "give it a DEFAULT, or add it nullable, fill it, then rebuild it NOT NULL");
                } else {
                    out.add(k, at, "MF102", Level::Warning, format!("NOT NULL column `{}` without a default: the rows already in `{table}` get the type's implicit default (0, '', a zero date)", c.name),
                        "give it the DEFAULT you mean, or add it nullable and fill it before making it NOT NULL");
                }
            }
            AlterAction::DropColumn(c) if existed => {
                out.dropped_column(k, at, table, c);
                if d == Dialect::Sqlite && before_col.as_ref().is_some_and(|c| c.indexed) {
                    out.add(k, at, "SQ102", Level::Error, format!("SQLite refuses ALTER TABLE DROP COLUMN of `{c}`: it is indexed, unique or part of a key"),
                        "drop the index first, or use a YAML `drop_column`, which rebuilds the table");
                }
            }
            AlterAction::ModifyColumn { from, def } if existed => {
                if let Some(old) = before.def {
                    if online::type_change(old, def) == Some(TypeChange::Narrow) {
                        out.add(k, at, "DS103", Level::Error, format!("narrows `{table}.{from}` from {} to {}: values that don't fit are cut, or the statement fails", old.type_text(), def.type_text()),
                            "check the longest value first (SELECT MAX(LENGTH(…))), or keep the wider type");
                    }
                    if def.not_null && !old.not_null {
                        let real = model.live_name(table).unwrap_or_else(|| table.to_string());
                        let sql = format!("SELECT COUNT(*) FROM {} WHERE {} IS NULL", q(d, &real), q(d, from));
                        data_rule(model, out, k, at, "MF102", table, &sql,
                            format!("making `{table}.{from}` NOT NULL fails on rows where it is NULL"), ("row with NULL", "rows with NULL"),
                            "fill the NULLs first (UPDATE … SET … WHERE … IS NULL)");
                    }
                }
                if *from != def.name {
                    out.renamed_column(k, at, table, from, &def.name);
                }
            }
            AlterAction::RenameColumn { from, to } if existed => {
                out.renamed_column(k, at, table, from, to)
            }
            AlterAction::RenameTable(to) if existed => out.add(k, at, "BC102", Level::Warning,
                format!("renames table `{table}` to `{to}`: the release still running reads `{table}`"),
                "add the new name (a view or a copy) first, switch the code, drop the old name in a later release"),
            AlterAction::AddKey(key) if existed && matches!(key.kind, KeyKind::Unique | KeyKind::Primary) => {
                unique_rows(model, out, k, at, table, &key.columns, d);
            }
            AlterAction::AddKey(key) if existed && key.kind == KeyKind::Foreign => {
                if let Some(parent) = &key.references {
                    foreign_key_rows(model, out, k, at, table, parent, key, d);
                }
            }
            _ => {}
        }
        if d == Dialect::Mysql {
            if let Some(server) = server {
                match online::action(server, a, &before, actions) {
                    Some(v) => verdicts.push(v),
                    None => unknown = true,
                }
            }
        }
    }
    if d != Dialect::Mysql || unknown || !existed {
        return;
    }
    let Some(server) = server else { return };
    let verdict = online::statement(&verdicts, actions);
    locking(
        model,
        out,
        k,
        at,
        table,
        verdict,
        algorithm.as_deref(),
        lock.as_deref(),
        Some(server),
    );
}

/// The locking verdict of a statement on an existing table.
#[allow(clippy::too_many_arguments)]
fn locking(
    model: &mut Model<'_, '_>,
    out: &mut Out<'_>,
    k: usize,
    at: &str,
    table: &str,
    verdict: Algorithm,
    algorithm: Option<&str>,
    lock: Option<&str>,
    server: Option<&Server>,
) {
    let Some(server) = server else { return };
    out.verdicts.push(Verdict {
        file: out.file.to_string(),
        at: at.to_string(),
        table: table.to_string(),
        algorithm: verdict,
    });
    let size = model
        .rows(table)
        .map(|r| format!(" (about {r} rows)"))
        .unwrap_or_default();
    if (algorithm.is_some() || lock.is_some()) && !verdict.allows(algorithm, lock) {
        out.add(k, at, "LK105", Level::Error,
            format!("{} refuses this ALTER as written: it can only run {}", server.name(), verdict.words()),
            "drop the ALGORITHM/LOCK clause to let it run that way, or change the statement (e.g. split it)");
        return;
    }
    match verdict {
        Algorithm::Copy => out.add(k, at, "LK101", Level::Warning,
            format!("{} runs this {}: `{table}`{size} takes no writes until it is done", server.name(), verdict.words()),
            "on a large table, use an online schema change tool (gh-ost, pt-online-schema-change), or add `, ALGORITHM=INSTANT` / `, ALGORITHM=INPLACE, LOCK=NONE` to make the server refuse rather than copy"),
        Algorithm::Blocking => out.add(k, at, "LK102", Level::Warning,
            format!("{} runs this {}: `{table}`{size} takes no writes until it is done", server.name(), verdict.words()),
            "run it when writes can wait, or add `, LOCK=NONE` to make the server refuse rather than block"),
        _ => {}
    }
}
