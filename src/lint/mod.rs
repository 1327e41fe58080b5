//! Findings about what a migration or seed will do before it runs: a stable code, a level,
//! where, what will happen, what to do instead; and the `lint:ignore` directives that
//! silence one where it is meant. The cluster rules (`cluster`) run before every batch and
//! seed run on a Galera node.

pub mod cluster;
pub mod online;
pub mod rules;

use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Refused: nothing runs.
    Error,
    /// Printed; the run goes on.
    Warning,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Letters then digits, never reused (the README lists them).
    pub code: &'static str,
    pub level: Level,
    /// The file, as shown to people.
    pub file: String,
    /// Where in it: `statement 2 (line 5)`, `up[0].create_table`.
    pub at: String,
    /// What will happen, in one sentence.
    pub what: String,
    /// What to do instead.
    pub fix: String,
}

impl Finding {
    /// `file statement 2 (line 5): CL101 what; fix`.
    pub fn text(&self) -> String {
        let at = if self.at.is_empty() {
            String::new()
        } else {
            format!(" {}", self.at)
        };
        format!(
            "{}{at}: {} {} — {}",
            self.file, self.code, self.what, self.fix
        )
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "code": self.code, "level": self.level.name(), "file": self.file,
            "at": self.at, "message": self.what, "fix": self.fix,
        })
    }
}

/// `-- lint:ignore CODE reason` before a SQL statement, or `lint: {ignore: [CODE], reason: …}`
/// beside a YAML op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub code: String,
    pub reason: Option<String>,
}

/// The `-- lint:ignore CODE[,CODE…] reason` lines of a SQL file, with their 1-based lines.
pub fn sql_ignores(text: &str) -> Vec<(usize, Ignore)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("--") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("lint:ignore") else {
            continue;
        };
        let rest = rest.trim();
        let (codes, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = Some(reason.trim().to_string()).filter(|r| !r.is_empty());
        for code in codes.split(',').filter(|c| !c.is_empty()) {
            out.push((
                i + 1,
                Ignore {
                    code: code.to_ascii_uppercase(),
                    reason: reason.clone(),
                },
            ));
        }
    }
    out
}

/// The directives of `ignores` that stand before the statement at `line` and after the one
/// before it (at `previous`, 0 for the first).
pub fn ignores_before(ignores: &[(usize, Ignore)], previous: usize, line: usize) -> Vec<Ignore> {
    ignores
        .iter()
        .filter(|(l, _)| *l > previous && *l < line)
        .map(|(_, i)| i.clone())
        .collect()
}

/// One statement to check, and the directives written for it.
pub struct Unit<'a> {
    pub file: &'a str,
    pub at: &'a str,
    pub sql: &'a str,
    pub ignores: Vec<Ignore>,
}

/// Drops the findings their statement's directives silence; an ignore without a reason is
/// a warning of its own (LN101).
pub fn silence(findings: Vec<(usize, Finding)>, units: &[Unit<'_>]) -> Vec<Finding> {
    let mut out: Vec<Finding> = findings
        .into_iter()
        .filter(|(u, f)| !units[*u].ignores.iter().any(|i| i.code == f.code))
        .map(|(_, f)| f)
        .collect();
    for u in units {
        let bare: Vec<&str> = u
            .ignores
            .iter()
            .filter(|i| i.reason.is_none())
            .map(|i| i.code.as_str())
            .collect();
        if !bare.is_empty() {
            out.push(Finding {
                code: "LN101",
                level: Level::Warning,
                file: u.file.to_string(),
                at: u.at.to_string(),
                what: format!("`lint:ignore {}` gives no reason", bare.join(",")),
                fix: "say why after the code, e.g. `-- lint:ignore CL101 one row, written by one node`, so the next reader knows".into(),
            });
        }
    }
    out
}

/// Prints the warnings; refuses, with every error found, when there is one.
pub fn enforce(
    out: &crate::report::Output,
    findings: &[Finding],
    refused: &str,
) -> crate::error::Result<()> {
    for f in findings.iter().filter(|f| f.level == Level::Warning) {
        out.warn(f.text());
    }
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let mut e = crate::error::Error::validation(format!(
        "{refused}: {} hazard{} found before anything ran",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    for f in &errors {
        e = e.detail(f.text());
    }
    Err(e
        .with_data(
            "findings",
            serde_json::Value::Array(findings.iter().map(Finding::to_json).collect()),
        )
        .hint("fix the statement; or, if you know it is safe here, write `-- lint:ignore CODE why` on the line before it (beside a YAML op: `lint: {ignore: [CODE], reason: \"why\"}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_directives_apply_to_the_next_statement_only() {
        let text = "-- migrate:up\n-- lint:ignore CL101,cl103 one node writes it\nCREATE TABLE a (x INT);\n-- lint:ignore CL102\nCREATE TABLE b (x INT);\nCREATE TABLE c (x INT);\n";
        let d = sql_ignores(text);
        assert_eq!(d.len(), 3);
        let a = ignores_before(&d, 0, 3);
        assert_eq!(
            a.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
            ["CL101", "CL103"]
        );
        assert_eq!(a[0].reason.as_deref(), Some("one node writes it"));
        let b = ignores_before(&d, 3, 5);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].reason, None);
        assert!(ignores_before(&d, 5, 6).is_empty());
    }
}
