//! The live schema for schema files and drift: the server's own `SHOW CREATE` text of every
//! table, view, routine, trigger and event, made the same in every database that has the same
//! schema: no AUTO_INCREMENT counter, no DEFINER (the loading user becomes it), no table
//! charset or collation that is the database's default, no event STARTS time (the server
//! sets it to the creation time when none is given), keys in name order.

use crate::catalog::{order_views, Catalog, Object, ObjectKind, Part, PartKind, Table};
use crate::db::{cell_text as text, DbError, DbResult, Dialect, Driver};

fn q(name: &str) -> String {
    Dialect::Mysql.quote_ident(name)
}

/// One column of `SHOW CREATE …`'s single row.
fn show_create(d: &mut dyn Driver, what: &str, name: &str, column: usize) -> DbResult<String> {
    let rows = d.query(&format!("SHOW CREATE {what} {}", q(name)), &[])?;
    match rows.first().and_then(|r| r.get(column)) {
        Some(v) if !v.is_null() => Ok(text(v)),
        _ => Err(DbError::new(format!(
            "cannot read the definition of {} `{name}`: the server shows it only to its definer, or to a user with SELECT on mysql.proc (or the SHOW CREATE ROUTINE privilege of MariaDB 11.3+, SHOW_ROUTINE of MySQL 8)",
            what.to_lowercase()
        ))),
    }
}

fn names(d: &mut dyn Driver, sql: &str) -> DbResult<Vec<Vec<String>>> {
    Ok(d.query(sql, &[])?
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect())
}

pub fn read(d: &mut dyn Driver) -> DbResult<Catalog> {
    let defaults = names(
        d,
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
    )?;
    let (charset, collation) = match defaults.first() {
        Some(r) => (r[0].clone(), r[1].clone()),
        None => (String::new(), String::new()),
    };
    let mut listed = names(
        d,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )?;
    listed.sort();
    let mut tables = Vec::new();
    let mut views = Vec::new();
    for row in &listed {
        let name = &row[0];
        match row[1].as_str() {
            "BASE TABLE" | "SYSTEM VERSIONED" => {
                let sql = show_create(d, "TABLE", name, 1)?;
                tables.push(table(name, &sql, &charset, &collation));
            }
            "VIEW" => views.push(Object {
                kind: ObjectKind::View,
                name: name.clone(),
                sql: strip_definer(&show_create(d, "VIEW", name, 1)?),
            }),
            // Sequences are left out: their definition holds their next value.
            _ => {}
        }
    }
    let mut objects = Vec::new();
    let mut routines = names(
        d,
        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
    )?;
    routines.sort_by(|a, b| (&a[1], &a[0]).cmp(&(&b[1], &b[0])));
    for r in &routines {
        let (what, kind) = if r[0] == "FUNCTION" {
            ("FUNCTION", ObjectKind::Function)
        } else {
            ("PROCEDURE", ObjectKind::Procedure)
        };
        objects.push(Object {
            kind,
            name: r[1].clone(),
            sql: strip_definer(&show_create(d, what, &r[1], 2)?),
        });
    }
    // Functions that views call must exist before the views.
    objects.extend(order_views(views));
    // Triggers of one table and event in their firing order, so loading keeps it.
    for r in names(
        d,
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, TRIGGER_NAME",
    )? {
        objects.push(Object {
            kind: ObjectKind::Trigger,
            name: r[0].clone(),
            sql: strip_definer(&show_create(d, "TRIGGER", &r[0], 2)?),
        });
    }
    let mut events = names(
        d,
        "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
    )?;
    events.sort();
    for r in &events {
        objects.push(Object {
            kind: ObjectKind::Event,
            name: r[0].clone(),
            sql: strip_starts(&strip_definer(&show_create(d, "EVENT", &r[0], 3)?)),
        });
    }
    Ok(Catalog {
        dialect: Dialect::Mysql,
        tables,
        objects,
    })
}

/// A `SHOW CREATE TABLE` text (one item a line, as the server prints it) as parts, and
/// printed again with its keys in name order and its options made portable.
fn table(name: &str, sql: &str, charset: &str, collation: &str) -> Table {
    let mut lines = sql.lines();
    let head = lines.next().unwrap_or_default().to_string();
    let mut items: Vec<(Part, String)> = Vec::new();
    let mut tail: Vec<String> = Vec::new();
    for line in lines {
        if !tail.is_empty() || line.starts_with(')') {
            tail.push(line.to_string());
            continue;
        }
        let raw = line.trim_start().trim_end_matches(',').to_string();
        match item(&raw) {
            Some(part) => items.push((part, raw)),
            // Not an item's start: the item before goes on (a line break the server kept).
            None => {
                if let Some((part, text)) = items.last_mut() {
                    text.push('\n');
                    text.push_str(&raw);
                    part.definition.push('\n');
                    part.definition.push_str(&raw);
                }
            }
        }
    }
    let options = portable_options(
        tail.join("\n").trim_start_matches(')').trim(),
        charset,
        collation,
    );
    let (columns, mut parts): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|(p, _)| p.kind == PartKind::Column);
    parts.sort_by(|(a, _), (b, _)| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let body: Vec<String> = columns
        .iter()
        .chain(parts.iter())
        .map(|(_, raw)| format!("  {raw}"))
        .collect();
    let statement = format!(
        "{head}\n{}\n){}{options}",
        body.join(",\n"),
        if options.is_empty() { "" } else { " " }
    );
    Table {
        name: name.to_string(),
        columns: columns.into_iter().map(|(p, _)| p).collect(),
        parts: parts.into_iter().map(|(p, _)| p).collect(),
        options,
        statements: vec![statement],
    }
}

/// The backquoted name at the start of `s`, and what follows it.
fn quoted_name(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix('`')?;
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '`' {
            if chars.peek().map(|(_, n)| *n) == Some('`') {
                chars.next();
                name.push('`');
                continue;
            }
            return Some((name, &rest[i + 1..]));
        }
        name.push(c);
    }
    None
}

/// One line of the column list: a column, key or constraint.
fn item(raw: &str) -> Option<Part> {
    if raw.starts_with('`') {
        let (name, rest) = quoted_name(raw)?;
        return Some(Part {
            kind: PartKind::Column,
            name,
            definition: rest.trim().to_string(),
        });
    }
    let part = |kind, name: String| {
        Some(Part {
            kind,
            name,
            definition: raw.to_string(),
        })
    };
    if raw.starts_with("PRIMARY KEY ") {
        return part(PartKind::PrimaryKey, "PRIMARY".into());
    }
    if let Some(rest) = raw.strip_prefix("CONSTRAINT ") {
        let (name, after) = quoted_name(rest)?;
        let kind = if after.trim_start().starts_with("FOREIGN KEY") {
            PartKind::ForeignKey
        } else {
            PartKind::Check
        };
        return part(kind, name);
    }
    for (prefix, kind) in [
        ("UNIQUE KEY ", PartKind::UniqueIndex),
        ("KEY ", PartKind::Index),
        ("FULLTEXT KEY ", PartKind::Index),
        ("SPATIAL KEY ", PartKind::Index),
        ("VECTOR KEY ", PartKind::Index),
    ] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let (name, _) = quoted_name(rest)?;
            return part(kind, name);
        }
    }
    None
}

/// Table options without the AUTO_INCREMENT counter, and without the charset and collation
/// when they are the database's defaults.
fn portable_options(options: &str, charset: &str, collation: &str) -> String {
    // A COMMENT is printed last (before partitions): nothing after its quote is an option.
    let (head, comment) = match options.find(" COMMENT='") {
        Some(i) => options.split_at(i),
        None if options.starts_with("COMMENT='") => ("", options),
        None => (options, ""),
    };
    let words: Vec<&str> = head.split(' ').filter(|w| !w.is_empty()).collect();
    let value = |key: &str| {
        words
            .iter()
            .find_map(|w| w.strip_prefix(key))
            .map(str::to_string)
    };
    let default_charset = value("CHARSET=").is_some_and(|c| c == charset)
        && value("COLLATE=").is_none_or(|c| c == collation);
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.starts_with("AUTO_INCREMENT=") {
            i += 1;
            continue;
        }
        if default_charset {
            if w == "DEFAULT" && words.get(i + 1).is_some_and(|n| n.starts_with("CHARSET=")) {
                i += 2;
                continue;
            }
            if w.starts_with("CHARSET=") || w.starts_with("COLLATE=") {
                i += 1;
                continue;
            }
        }
        kept.push(w);
        i += 1;
    }
    let mut out = kept.join(" ");
    let comment = comment.trim();
    if !comment.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(comment);
    }
    out
}

/// `CREATE DEFINER=`u`@`h` TRIGGER …` → `CREATE TRIGGER …`: whoever loads the file becomes
/// the definer, as on the server the migrations ran on.
fn strip_definer(sql: &str) -> String {
    let Some(at) = sql.find(" DEFINER=").filter(|&i| i < 200) else {
        return sql.to_string();
    };
    let value = &sql[at + " DEFINER=".len()..];
    let mut end = 0;
    let b = value.as_bytes();
    while end < b.len() && !b[end].is_ascii_whitespace() {
        if b[end] == b'`' {
            end += 1;
            while end < b.len() && b[end] != b'`' {
                end += 1;
            }
        }
        end += 1;
    }
    let end = end.min(value.len());
    format!("{}{}", &sql[..at], &value[end..])
}

/// An `EVERY` event's `STARTS '…'`, which the server fills in with the creation time.
fn strip_starts(sql: &str) -> String {
    let Some(every) = sql.find(" ON SCHEDULE EVERY ") else {
        return sql.to_string();
    };
    let body = sql.find(" DO ").unwrap_or(sql.len());
    let Some(starts) = sql[every..body].find(" STARTS '").map(|i| every + i) else {
        return sql.to_string();
    };
    let open = starts + " STARTS '".len();
    let Some(close) = sql[open..].find('\'').map(|i| open + i + 1) else {
        return sql.to_string();
    };
    format!("{}{}", &sql[..starts], &sql[close..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: &str = "CREATE TABLE `a` (\n  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n  `email` varchar(320) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `z_email` (`email`),\n  KEY `a_name` (`email`),\n  CONSTRAINT `c2` CHECK (`id` < 100)\n) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='a COLLATE=x'";

    #[test]
    fn tables_lose_counters_and_default_charsets_and_sort_keys() {
        let t = table("a", SHOWN, "utf8mb4", "utf8mb4_general_ci");
        assert_eq!(t.columns.len(), 2);
        assert_eq!(t.columns[1].name, "email");
        assert_eq!(t.columns[1].definition, "varchar(320) DEFAULT NULL");
        let names: Vec<&str> = t.parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["PRIMARY", "z_email", "a_name", "c2"]);
        assert_eq!(t.options, "ENGINE=InnoDB COMMENT='a COLLATE=x'");
        assert_eq!(
            t.statements[0],
            "CREATE TABLE `a` (\n  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n  `email` varchar(320) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `z_email` (`email`),\n  KEY `a_name` (`email`),\n  CONSTRAINT `c2` CHECK (`id` < 100)\n) ENGINE=InnoDB COMMENT='a COLLATE=x'"
        );
        // Another database default: the table's charset stays.
        let t = table("a", SHOWN, "latin1", "latin1_swedish_ci");
        assert!(t
            .options
            .contains("DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"));
    }

    #[test]
    fn definers_and_event_start_times_go() {
        assert_eq!(
            strip_definer("CREATE ALGORITHM=UNDEFINED DEFINER=`my user`@`%` SQL SECURITY DEFINER VIEW `w` AS select 1"),
            "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `w` AS select 1"
        );
        assert_eq!(
            strip_starts(&strip_definer("CREATE DEFINER=`furrow`@`%` EVENT `e` ON SCHEDULE EVERY 1 DAY STARTS '2026-12-02 00:41:29' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM b")),
            "CREATE EVENT `e` ON SCHEDULE EVERY 1 DAY ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM b"
        );
        let at = "CREATE EVENT `e2` ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM b";
        assert_eq!(strip_starts(at), at);
    }
}
