//! What a seed will do, or why not: its blocks checked against facts fetched from the live
//! tables (columns, keys) and the CSV headers. Pure: nothing here reads or writes.

use crate::db::load::SeedMode;
use crate::error::{Error, Result};
use crate::text::did_you_mean;

use super::source::{self, Block, ParsedSeed, Rows, SeedBody, SeedLocator};

/// What the plan needs to know of a block's table, fetched before it is planned.
#[derive(Debug, Clone, Default)]
pub struct TableFacts {
    /// The live table's columns; none when the table does not exist.
    pub columns: Vec<String>,
    /// Its primary key (fetched when the block gives no `key:`).
    pub primary_key: Vec<String>,
    /// Its unique keys (fetched when the mode finds rows by key).
    pub unique_keys: Vec<Vec<String>>,
    /// The header of the block's CSV file, when its rows come from one.
    pub header: Option<Result<Vec<String>>>,
}

/// A block checked against the live table.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedBlock {
    pub key: Vec<String>,
    pub key_unique: bool,
    pub skip: bool,
}

impl PlannedBlock {
    /// A block not meant for this environment.
    pub fn skipped() -> Self {
        PlannedBlock {
            key: Vec::new(),
            key_unique: false,
            skip: true,
        }
    }
}

/// A parsed seed and what each of its blocks will do.
pub struct Planned {
    pub seed: ParsedSeed,
    pub blocks: Vec<PlannedBlock>,
}

impl Planned {
    pub fn skipped_entirely(&self) -> bool {
        matches!(self.seed.body, SeedBody::Yaml(_))
            && !self.blocks.is_empty()
            && self.blocks.iter().all(|b| b.skip)
    }
}

/// Refuses what is never done without being asked: `replace` in production.
pub fn check_mode(seed: &ParsedSeed, b: &Block, env: &str, force: bool) -> Result<()> {
    if b.mode == SeedMode::Replace && env == "production" && !force {
        return Err(seed
            .error_at(&source::block_path(b, "mode"), format!(
                "{}: mode `replace` deletes every row of `{}` first, and this is the production environment",
                b.label(),
                b.table
            ))
            .hint("pass --force if that is really meant, or use mode upsert"));
    }
    Ok(())
}

/// Plans one block (meant for this environment) from its table's facts.
pub fn block(
    seed: &ParsedSeed,
    b: &Block,
    facts: &TableFacts,
    env: &str,
    force: bool,
) -> Result<PlannedBlock> {
    check_mode(seed, b, env, force)?;
    let at = |key: &str| source::block_path(b, key);
    if facts.columns.is_empty() {
        return Err(seed
            .error_at(
                &at("table"),
                format!("{}: the table `{}` does not exist", b.label(), b.table),
            )
            .hint("create it in a migration and run `furrow migrate:latest` first"));
    }
    check_columns(seed, b, facts)?;
    let key = match &b.key {
        Some(k) => {
            if let Some(c) = k.iter().find(|c| !has(facts, c)) {
                return Err(unknown_column(seed, b, facts, c, at("key")));
            }
            k.clone()
        }
        None => facts.primary_key.clone(),
    };
    if !b.mode.uses_key() {
        return Ok(PlannedBlock {
            key,
            key_unique: false,
            skip: false,
        });
    }
    if key.is_empty() {
        return Err(seed
            .error_at(&at("table"), format!(
                "{}: mode `{}` finds rows by key, but `{}` has no primary key and the block gives no `key:`",
                b.label(),
                b.mode.name(),
                b.table
            ))
            .hint("add `key: [column, …]` naming the columns that identify a row"));
    }
    check_key_columns(seed, b, facts, &key)?;
    Ok(PlannedBlock {
        key_unique: is_unique(&key, &facts.unique_keys),
        key,
        skip: false,
    })
}

fn has(facts: &TableFacts, c: &str) -> bool {
    facts.columns.iter().any(|n| n.eq_ignore_ascii_case(c))
}

fn header(facts: &TableFacts) -> Result<&[String]> {
    match &facts.header {
        Some(Ok(h)) => Ok(h),
        Some(Err(e)) => Err(e.clone()),
        None => Ok(&[]),
    }
}

fn unknown_column(
    seed: &ParsedSeed,
    b: &Block,
    facts: &TableFacts,
    c: &str,
    path: String,
) -> Error {
    let names = facts.columns.iter().map(String::as_str);
    seed.error_at(
        &path,
        format!(
            "{}: the table `{}` has no column `{c}`{}",
            b.label(),
            b.table,
            did_you_mean(c, names)
        ),
    )
    .hint(format!("its columns: {}", facts.columns.join(", ")))
}

/// Every column the rows name is one of the table's.
fn check_columns(seed: &ParsedSeed, b: &Block, facts: &TableFacts) -> Result<()> {
    match &b.rows {
        Rows::Inline(rows) => {
            for (shape, columns) in rows.shapes.iter().enumerate() {
                if let Some(c) = columns.iter().find(|c| !has(facts, c)) {
                    let i = (0..rows.len())
                        .find(|&r| rows.shape(r) == shape)
                        .unwrap_or(0);
                    let path = source::block_path(b, &format!("rows[{i}].{c}"));
                    return Err(unknown_column(seed, b, facts, c, path));
                }
            }
        }
        Rows::Csv { display, .. } => {
            if let Some(c) = header(facts)?.iter().find(|c| !has(facts, c)) {
                let path = source::block_path(b, "rows_from");
                return Err(
                    unknown_column(seed, b, facts, c, path).context(format!("{display} line 1"))
                );
            }
        }
    }
    Ok(())
}

/// Every row gives the key a value: inline rows (when the key is the table's primary key;
/// a key the block gives was checked as the file was read), and the CSV's header.
fn check_key_columns(
    seed: &ParsedSeed,
    b: &Block,
    facts: &TableFacts,
    key: &[String],
) -> Result<()> {
    match &b.rows {
        Rows::Inline(rows) if b.key.is_none() => {
            source::check_key_values(SeedLocator(seed), &b.prefix, key, rows)
        }
        Rows::Csv { display, .. } => {
            let header = header(facts)?;
            match key.iter().find(|k| !header.contains(k)) {
                Some(k) => Err(Error::validation(format!(
                    "{display} line 1: the header has no key column `{k}` (seed {}, {})",
                    seed.file.display,
                    b.label()
                ))
                .hint("add the column, or give the block a `key:` that the CSV has")),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Whether the key is one of the table's unique keys (in any order and case).
fn is_unique(key: &[String], unique_keys: &[Vec<String>]) -> bool {
    let mut wanted: Vec<String> = key.iter().map(|k| k.to_ascii_lowercase()).collect();
    wanted.sort();
    unique_keys.iter().any(|u| {
        let mut u: Vec<String> = u.iter().map(|c| c.to_ascii_lowercase()).collect();
        u.sort();
        u == wanted
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Dialect;
    use crate::seed::source::{SeedFile, SeedFormat};

    fn seed(text: &str) -> ParsedSeed {
        let file = SeedFile {
            name: "accounts.yaml".into(),
            path: "seeds/accounts.yaml".into(),
            display: "seeds/accounts.yaml".into(),
            format: SeedFormat::Yaml,
            content: None,
        };
        source::parse_text(&file, text.to_string(), Dialect::Sqlite).unwrap()
    }

    fn first_block(p: &ParsedSeed) -> &Block {
        match &p.body {
            SeedBody::Yaml(blocks) => &blocks[0],
            SeedBody::Sql { .. } => panic!("a YAML seed"),
        }
    }

    fn facts(columns: &[&str], pk: &[&str]) -> TableFacts {
        TableFacts {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            primary_key: pk.iter().map(|c| c.to_string()).collect(),
            unique_keys: vec![pk.iter().map(|c| c.to_string()).collect()],
            header: None,
        }
    }

    const ACCOUNTS: &str = "table: accounts\nrows:\n  - { id: 1, name: a }\n";

    #[test]
    fn upsert_finds_rows_by_the_primary_key() {
        let s = seed(ACCOUNTS);
        let p = block(
            &s,
            first_block(&s),
            &facts(&["id", "name"], &["id"]),
            "dev",
            false,
        );
        assert_eq!(
            p.unwrap(),
            PlannedBlock {
                key: vec!["id".into()],
                key_unique: true,
                skip: false
            }
        );
    }

    #[test]
    fn a_missing_table_or_column_is_refused_with_its_place() {
        let s = seed(ACCOUNTS);
        let e = block(&s, first_block(&s), &TableFacts::default(), "dev", false).unwrap_err();
        assert!(
            e.message.contains("the table `accounts` does not exist"),
            "{}",
            e.message
        );
        let e = block(
            &s,
            first_block(&s),
            &facts(&["id", "nam"], &["id"]),
            "dev",
            false,
        )
        .unwrap_err();
        assert!(
            e.message.contains(
                "line 3: `rows[0].name` table accounts: the table `accounts` has no column `name`"
            ),
            "{}",
            e.message
        );
        assert_eq!(e.hint.as_deref(), Some("its columns: id, nam"));
    }

    #[test]
    fn a_key_mode_needs_a_key() {
        let s = seed(ACCOUNTS);
        let e = block(
            &s,
            first_block(&s),
            &facts(&["id", "name"], &[]),
            "dev",
            false,
        )
        .unwrap_err();
        assert!(
            e.message.contains("mode `upsert` finds rows by key"),
            "{}",
            e.message
        );
        let s = seed("table: accounts\nmode: insert\nrows:\n  - { id: 1, name: a }\n");
        let p = block(
            &s,
            first_block(&s),
            &facts(&["id", "name"], &[]),
            "dev",
            false,
        )
        .unwrap();
        assert!(p.key.is_empty() && !p.key_unique);
    }

    #[test]
    fn a_key_that_is_not_unique_is_planned_as_such() {
        let s = seed("table: accounts\nkey: name\nrows:\n  - { id: 1, name: a }\n");
        let p = block(
            &s,
            first_block(&s),
            &facts(&["id", "NAME"], &["id"]),
            "dev",
            false,
        )
        .unwrap();
        assert_eq!(p.key, vec!["name".to_string()]);
        assert!(!p.key_unique);
        assert!(is_unique(
            &["B".into(), "a".into()],
            &[vec!["a".into(), "b".into()]]
        ));
    }

    #[test]
    fn replace_in_production_needs_force() {
        let s = seed("table: accounts\nmode: replace\nrows:\n  - { id: 1, name: a }\n");
        let f = facts(&["id", "name"], &["id"]);
        let e = block(&s, first_block(&s), &f, "production", false).unwrap_err();
        assert!(
            e.message.contains("this is the production environment"),
            "{}",
            e.message
        );
        assert!(block(&s, first_block(&s), &f, "production", true).is_ok());
        assert!(block(&s, first_block(&s), &f, "development", false).is_ok());
    }

    #[test]
    fn a_csv_header_is_checked_against_the_table_and_the_key() {
        let mut f = facts(&["id", "name"], &["id"]);
        let mut s = seed(ACCOUNTS);
        if let SeedBody::Yaml(blocks) = &mut s.body {
            blocks[0].rows = Rows::Csv {
                path: "seeds/accounts.csv".into(),
                display: "seeds/accounts.csv".into(),
            };
        }
        f.header = Some(Ok(vec!["id".into(), "nme".into()]));
        let e = block(&s, first_block(&s), &f, "dev", false).unwrap_err();
        assert!(e.message.contains("has no column `nme`"), "{}", e.message);
        f.header = Some(Ok(vec!["name".into()]));
        let e = block(&s, first_block(&s), &f, "dev", false).unwrap_err();
        assert!(
            e.message
                .starts_with("seeds/accounts.csv line 1: the header has no key column `id`"),
            "{}",
            e.message
        );
        f.header = Some(Err(Error::validation(
            "seeds/accounts.csv: the file is empty",
        )));
        let e = block(&s, first_block(&s), &f, "dev", false).unwrap_err();
        assert_eq!(e.message, "seeds/accounts.csv: the file is empty");
    }

    #[test]
    fn a_seed_whose_blocks_are_all_skipped_is_skipped() {
        let p = Planned {
            seed: seed(ACCOUNTS),
            blocks: vec![PlannedBlock::skipped()],
        };
        assert!(p.skipped_entirely());
        let p = Planned {
            seed: seed(ACCOUNTS),
            blocks: vec![],
        };
        assert!(!p.skipped_entirely());
    }
}
