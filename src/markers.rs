//! SQL files with marker lines, for both kinds: `-- migrate:up key:value` /
//! `-- migrate:down` and `-- seed:undo`. Finds the markers, cuts the sections between
//! them and splits each into statements, with errors that name the file and line.

use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::sql::Statement;

/// A line `-- <prefix>:<rest>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker<'t> {
    /// What follows `<prefix>:` on the line (trimmed at its end).
    pub rest: &'t str,
    /// 1-based line number.
    pub line: usize,
    /// Byte offset where the marker line starts.
    pub start: usize,
    /// Byte offset just past the marker line.
    pub body_start: usize,
}

/// Every marker line of `prefix` in `text`, in order.
pub fn find<'t>(text: &'t str, prefix: &str) -> Vec<Marker<'t>> {
    let mut markers = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let Some(rest) = raw.trim().strip_prefix("--") else {
            continue;
        };
        let Some(rest) = rest
            .trim_start()
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        markers.push(Marker {
            rest,
            line: i + 1,
            start,
            body_start: offset,
        });
    }
    markers
}

/// The text a marker heads: from its line to the next marker (or the end).
pub fn body<'t>(text: &'t str, markers: &[Marker<'_>], m: &Marker<'_>) -> &'t str {
    let end = markers
        .iter()
        .map(|o| o.start)
        .filter(|s| *s > m.start)
        .min()
        .unwrap_or(text.len());
    &text[m.body_start.min(end)..end]
}

/// Splits a part of a file into statements; `first_line` is the line it starts on.
pub fn split(
    display: &str,
    part: &str,
    first_line: usize,
    dialect: Dialect,
) -> Result<Vec<Statement>> {
    crate::sql::split(part, first_line, dialect)
        .map_err(|e| Error::validation(format!("{display} line {}: {}", e.line, e.message)))
}

/// Whether a statement begins, commits or rolls back a transaction: furrow runs a file in
/// a transaction of its own, so such a statement is refused before anything runs.
pub fn controls_transaction(s: &Statement) -> bool {
    crate::sql::is_transaction_control(&s.sql)
}

/// The first statement that controls the transaction.
pub fn transaction_control(statements: &[Statement]) -> Option<&Statement> {
    statements.iter().find(|s| controls_transaction(s))
}

/// An error about one statement: `<file> line L: statement N (ITS FIRST WORDS) <why>`,
/// with `words` of its first words shown (none for 0).
pub fn statement_error(display: &str, s: &Statement, words: usize, why: &str) -> Error {
    let shown = match words {
        0 => String::new(),
        n => format!(" ({})", crate::sql::leading_words(&s.sql, n).join(" ")),
    };
    Error::validation(format!(
        "{display} line {}: statement {}{shown} {why}",
        s.line, s.number
    ))
}

/// A file with nothing in it, and what to write there.
pub fn empty_file(display: &str, hint: &str) -> Error {
    Error::validation(format!("{display}: the file is empty")).hint(hint.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_and_their_bodies() {
        let text =
            "-- a comment\n-- migrate:up transaction:false\nSELECT 1;\n--migrate:down\nSELECT 2;\n";
        let m = find(text, "migrate");
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].rest, m[0].line), ("up transaction:false", 2));
        assert_eq!((m[1].rest, m[1].line), ("down", 4));
        assert_eq!(body(text, &m, &m[0]), "SELECT 1;\n");
        assert_eq!(body(text, &m, &m[1]), "SELECT 2;\n");
        assert!(find(text, "seed").is_empty());
        assert_eq!(
            find("INSERT 1;\n  -- seed:undo  \n", "seed")[0].rest,
            "undo"
        );
    }

    #[test]
    fn refuses_transaction_control() {
        let s = split(
            "f.sql",
            "INSERT INTO a VALUES (1);\nCOMMIT;\n",
            1,
            Dialect::Sqlite,
        )
        .unwrap();
        assert_eq!(transaction_control(&s).map(|s| s.number), Some(2));
        let e = split("f.sql", "SELECT 'x", 3, Dialect::Sqlite).unwrap_err();
        assert!(e.message.starts_with("f.sql line 3:"), "{}", e.message);
    }
}
