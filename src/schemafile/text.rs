//! A schema file's text: the catalog as SQL for its dialect, and the trailing comment block
//! that names the migrations it is made of (`schema:load` records them as applied).

use crate::catalog::Catalog;
use crate::value::Dialect;

/// One migration the schema is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub name: String,
    pub checksum: String,
}

const BLOCK_START: &str = "-- furrow:migrations";
const BLOCK_END: &str = "-- furrow:end";

/// The schema file: no timestamps, no server versions, nothing that differs between two
/// databases with the same schema and history.
pub fn render(c: &Catalog, applied: &[Applied]) -> String {
    let mut out = String::new();
    match c.dialect {
        Dialect::Sqlite => out.push_str(
            "-- furrow schema:dump (SQLite). Load it into an empty database with\n-- `furrow schema:load FILE`, or `sqlite3 DB < FILE`.\n",
        ),
        Dialect::Mysql => out.push_str(
            "-- furrow schema:dump (MySQL/MariaDB). Load it into an empty database with\n-- `furrow schema:load FILE`, or `mariadb DB < FILE`.\n\nSET FOREIGN_KEY_CHECKS = 0;\n",
        ),
    }
    for t in &c.tables {
        out.push('\n');
        for s in &t.statements {
            push_statement(&mut out, s, ";");
        }
    }
    let mut in_block = false;
    let mut last = None;
    for o in &c.objects {
        let block = c.dialect == Dialect::Mysql && o.kind.has_body();
        if block != in_block || last.is_none() {
            if in_block {
                out.push_str("DELIMITER ;\n");
            }
            out.push('\n');
            if block {
                out.push_str("DELIMITER ;;\n");
            }
            in_block = block;
        } else if last != Some(o.kind) {
            out.push('\n');
        }
        last = Some(o.kind);
        push_statement(&mut out, &o.sql, if block { ";;" } else { ";" });
    }
    if in_block {
        out.push_str("DELIMITER ;\n");
    }
    if c.dialect == Dialect::Mysql {
        out.push_str("\nSET FOREIGN_KEY_CHECKS = 1;\n");
    }
    if !applied.is_empty() {
        out.push('\n');
        out.push_str(BLOCK_START);
        out.push_str(
            " (made by these migrations, in the order they ran; schema:load records them)\n",
        );
        for a in applied {
            out.push_str(&format!("-- {} {}\n", a.name, a.checksum));
        }
        out.push_str(BLOCK_END);
        out.push('\n');
    }
    out
}

/// A statement and its delimiter; on a line of its own after a trailing `--` comment.
fn push_statement(out: &mut String, sql: &str, delimiter: &str) {
    let sql = sql.trim_end();
    out.push_str(sql);
    if sql.lines().next_back().is_some_and(|l| l.contains("--")) {
        out.push('\n');
    }
    out.push_str(delimiter);
    out.push('\n');
}

/// The migrations named in a schema file's trailing block (none when it has no block), or
/// the line that is wrong and why.
pub fn applied_block(text: &str) -> Result<Vec<Applied>, (usize, String)> {
    let mut lines = text.lines().enumerate();
    let Some((start, _)) = lines.find(|(_, l)| l.trim_end().starts_with(BLOCK_START)) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, line) in lines {
        let line = line.trim_end();
        if line == BLOCK_END {
            return Ok(out);
        }
        let Some(entry) = line.strip_prefix("-- ") else {
            return Err((
                i + 1,
                format!("expected `-- <migration> <checksum>` or `{BLOCK_END}` in the block of migrations that starts at line {}", start + 1),
            ));
        };
        let mut words = entry.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(name), Some(sum), None) if is_checksum(sum) => out.push(Applied {
                name: name.to_string(),
                checksum: sum.to_string(),
            }),
            _ => {
                return Err((
                    i + 1,
                    format!("expected `-- <migration> <checksum>` (a file name and 64 hex digits), found `{line}`"),
                ))
            }
        }
    }
    Err((
        start + 1,
        format!("the block of migrations that starts here has no `{BLOCK_END}` line: the file was cut short"),
    ))
}

fn is_checksum(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Object, ObjectKind, Table};

    fn catalog(dialect: Dialect) -> Catalog {
        Catalog {
            dialect,
            tables: vec![Table {
                name: "a".into(),
                columns: vec![],
                parts: vec![],
                options: String::new(),
                statements: vec!["CREATE TABLE a (id INT)".into()],
            }],
            objects: vec![
                Object {
                    kind: ObjectKind::Function,
                    name: "f".into(),
                    sql: "CREATE FUNCTION f() RETURNS INT RETURN 1".into(),
                },
                Object {
                    kind: ObjectKind::View,
                    name: "v".into(),
                    sql: "CREATE VIEW v AS SELECT 1 -- one".into(),
                },
                Object {
                    kind: ObjectKind::Trigger,
                    name: "t".into(),
                    sql:
                        "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.id = 1; END"
                            .into(),
                },
            ],
        }
    }

    #[test]
    fn mysql_bodies_get_their_own_delimiter() {
        let text = render(&catalog(Dialect::Mysql), &[]);
        assert!(text.contains("\nDELIMITER ;;\nCREATE FUNCTION f() RETURNS INT RETURN 1;;\nDELIMITER ;\n\nCREATE VIEW v AS SELECT 1 -- one\n;\n\nDELIMITER ;;\nCREATE TRIGGER"), "{text}");
        assert!(
            text.ends_with("END;;\nDELIMITER ;\n\nSET FOREIGN_KEY_CHECKS = 1;\n"),
            "{text}"
        );
        let sqlite = render(&catalog(Dialect::Sqlite), &[]);
        assert!(!sqlite.contains("DELIMITER"));
    }

    #[test]
    fn the_block_of_migrations_reads_back() {
        let sum = "a".repeat(64);
        let applied = vec![
            Applied {
                name: "20240101000000_a.sql".into(),
                checksum: sum.clone(),
            },
            Applied {
                name: "20240102000000_b.yaml".into(),
                checksum: sum.clone(),
            },
        ];
        let text = render(&catalog(Dialect::Sqlite), &applied);
        assert_eq!(applied_block(&text).unwrap(), applied);
        assert_eq!(applied_block("CREATE TABLE a (id INT);\n").unwrap(), vec![]);
        let cut = text.replace("-- furrow:end\n", "");
        assert!(applied_block(&cut)
            .unwrap_err()
            .1
            .contains("no `-- furrow:end`"));
        let bad = text.replace(&format!(" {sum}\n-- furrow:end"), " xyz\n-- furrow:end");
        let (line, why) = applied_block(&bad).unwrap_err();
        assert_eq!(line, bad.lines().count() - 1);
        assert!(why.contains("64 hex digits"), "{why}");
    }
}
