//! What a target's run came to, in the fleet's words: the summary's word for it
//! (`migrated`, `up to date`, `failed` …), the group the status view puts it in
//! (`pending 2`, `partial` …), and the single-database command's own headline.

use serde_json::Value as J;

use crate::error::{Error, Kind};
use crate::report::Style;

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The summary's word, snake_case in `--json` (`up_to_date`), spaced for people.
    pub key: &'static str,
    /// The group of the status view: the key, with a count where it has one (`pending 2`).
    pub group: String,
    /// What the single-database command said, in one line.
    pub headline: String,
    /// The target needs work (`migrate:status --check` exits 3).
    pub needs_work: bool,
}

/// The words of the summary, in the order it lists them.
const ORDER: [&str; 20] = [
    "migrated",
    "would_migrate",
    "rolled_back",
    "would_roll_back",
    "seeded",
    "would_seed",
    "up_to_date",
    "at_base",
    "no_seeds",
    "clean",
    "ok",
    "with_warnings",
    "with_errors",
    "pending",
    "never_run",
    "changed",
    "modified",
    "missing",
    "partial",
    "invalid",
];

/// Where `key` sits in the summary: results first, failures and what did not run last.
pub fn rank(key: &str) -> usize {
    match key {
        "failed" => ORDER.len(),
        "unreachable" => ORDER.len() + 1,
        "interrupted" => ORDER.len() + 2,
        "not_run" => ORDER.len() + 3,
        k => ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(ORDER.len() - 1),
    }
}

/// "up_to_date" → "up to date".
pub fn words(key: &str) -> String {
    key.replace('_', " ")
}

fn len(doc: &J, key: &str) -> usize {
    doc.get(key).and_then(J::as_array).map_or(0, Vec::len)
}

/// The first line that says what happened (the report starts with "Using environment").
fn headline(lines: &[(Style, String)]) -> String {
    lines
        .iter()
        .find(|(s, _)| *s == Style::Success)
        .or_else(|| lines.iter().find(|(s, _)| *s != Style::Dim))
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| "done".into())
}

fn simple(key: &'static str, headline: String, needs_work: bool) -> Outcome {
    Outcome {
        key,
        group: words(key),
        headline,
        needs_work,
    }
}

/// A target whose command succeeded.
pub fn of_success(command: &str, doc: &J, lines: &[(Style, String)], exit_code: i32) -> Outcome {
    let said = headline(lines);
    let dry = doc.get("dry_run").and_then(J::as_bool) == Some(true);
    let did = |did: &'static str, would: &'static str| if dry { would } else { did };
    match command {
        "migrate:latest" if len(doc, "migrations") > 0 => {
            simple(did("migrated", "would_migrate"), said, false)
        }
        "migrate:latest" => simple("up_to_date", said, false),
        "migrate:rollback" if len(doc, "migrations") > 0 => {
            simple(did("rolled_back", "would_roll_back"), said, false)
        }
        "migrate:rollback" => simple("at_base", said, false),
        "seed:run" if len(doc, "seeds") > 0 => simple(did("seeded", "would_seed"), said, false),
        "seed:run" if said == "No seed files exist" => simple("no_seeds", said, false),
        "seed:run" => simple("up_to_date", said, false),
        "migrate:list" => {
            let (done, pending) = (len(doc, "completed"), len(doc, "pending"));
            let said = format!("{done} completed, {pending} pending");
            match pending {
                0 => simple("up_to_date", said, false),
                n => counted("pending", n, said),
            }
        }
        "migrate:status" => status(doc, MIGRATION_STATES, exit_code),
        "migrate:lint" => lint(doc, lines),
        "seed:status" => status(doc, SEED_STATES, exit_code),
        "schema:drift" => match len(doc, "differences") {
            0 => simple("no_drift", said, false),
            n => counted("drifted", n, said),
        },
        _ => simple("ok", said, exit_code == 3),
    }
}

/// `migrate:lint`: clean, or with warnings, or with errors (which fail it, exit 1); its
/// summary line is its last.
fn lint(doc: &J, lines: &[(Style, String)]) -> Outcome {
    let said = lines.last().map(|(_, t)| t.clone()).unwrap_or_default();
    let count = |k: &str| doc.get(k).and_then(J::as_u64).unwrap_or(0);
    match (count("errors"), count("warnings")) {
        (0, 0) => simple("clean", said, false),
        (0, _) => simple("with_warnings", said, false),
        _ => simple("with_errors", said, true),
    }
}

fn counted(key: &'static str, n: usize, headline: String) -> Outcome {
    Outcome {
        key,
        group: format!("{} {n}", words(key)),
        headline,
        needs_work: true,
    }
}

/// The states of a status command's items, worst first, and whether a count says more.
type States = &'static [(&'static str, &'static str, bool)];
const MIGRATION_STATES: States = &[
    ("partial", "partial", false),
    ("modified", "modified", false),
    ("missing", "missing", false),
    ("pending", "pending", true),
];
const SEED_STATES: States = &[
    ("invalid", "invalid", false),
    ("missing", "missing", false),
    ("changed", "changed", true),
    ("never_run", "never_run", true),
];

/// A status command's target, grouped by its worst state; its headline counts every state.
fn status(doc: &J, worst_first: States, exit_code: i32) -> Outcome {
    let items = doc
        .get("items")
        .and_then(J::as_array)
        .cloned()
        .unwrap_or_default();
    let state = |i: &J| i.get("state").and_then(J::as_str).unwrap_or("").to_string();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for i in &items {
        let s = state(i);
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let said = if counts.is_empty() {
        "no files".to_string()
    } else {
        counts
            .iter()
            .map(|(k, n)| format!("{n} {}", words(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let count_of = |k: &str| counts.iter().find(|(s, _)| s == k).map_or(0, |(_, n)| *n);
    for (state, key, with_count) in worst_first {
        let n = count_of(state);
        if n > 0 {
            let mut o = if *with_count {
                counted(key, n, said)
            } else {
                simple(key, said, true)
            };
            o.needs_work = true;
            return o;
        }
    }
    simple("up_to_date", said, exit_code == 3)
}

/// A target whose command failed: `unreachable` when its server could not be connected to.
pub fn of_failure(err: &Error, server: bool) -> Outcome {
    let key = match err.kind {
        Kind::Connection if server => "unreachable",
        Kind::Interrupted => "interrupted",
        _ => "failed",
    };
    simple(key, err.message.clone(), true)
}

/// A target the fleet did not start (a stop, a failed canary, Ctrl-C).
pub fn not_run(why: &str) -> Outcome {
    simple("not_run", format!("not run: {why}"), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_what_each_command_did() {
        let lines = vec![
            (Style::Dim, "Using environment: development".to_string()),
            (Style::Success, "Batch 4 run: 2 migrations".to_string()),
        ];
        let o = of_success("migrate:latest", &json!({"migrations": [1, 2]}), &lines, 0);
        assert_eq!(
            (o.key, o.headline.as_str()),
            ("migrated", "Batch 4 run: 2 migrations")
        );
        let o = of_success("migrate:latest", &json!({"migrations": []}), &lines, 0);
        assert_eq!(o.key, "up_to_date");
        let o = of_success(
            "migrate:list",
            &json!({"completed": ["a"], "pending": ["b", "c"]}),
            &lines,
            0,
        );
        assert_eq!(
            (o.group.as_str(), o.headline.as_str()),
            ("pending 2", "1 completed, 2 pending")
        );
    }

    #[test]
    fn groups_a_status_by_its_worst_state() {
        let doc = json!({"items": [
            {"state": "applied"}, {"state": "pending"}, {"state": "pending"}, {"state": "modified"}
        ]});
        let o = of_success("migrate:status", &doc, &[], 3);
        assert_eq!(o.group, "modified");
        assert_eq!(o.headline, "1 applied, 2 pending, 1 modified");
        let doc = json!({"items": [{"state": "applied"}, {"state": "pending"}]});
        assert_eq!(
            of_success("migrate:status", &doc, &[], 3).group,
            "pending 1"
        );
        let doc = json!({"items": [{"state": "applied"}]});
        let o = of_success("migrate:status", &doc, &[], 0);
        assert_eq!((o.group.as_str(), o.needs_work), ("up to date", false));
    }

    #[test]
    fn failures_come_last_in_the_summary() {
        assert!(rank("migrated") < rank("up_to_date"));
        assert!(rank("up_to_date") < rank("failed"));
        assert!(rank("failed") < rank("not_run"));
        let e = Error::connection("cannot connect");
        assert_eq!(of_failure(&e, true).key, "unreachable");
        assert_eq!(of_failure(&e, false).key, "failed");
    }
}
