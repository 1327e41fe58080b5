//! Fleets (SPEC §8): one command on many databases. Each target runs the very same
//! single-database command the CLI runs (with its own configuration, whose connection is
//! the target's, and its own `Output`, which keeps what it would print), on a thread of its
//! own, at most `--parallel` at once (`pool`). So each target has its own lock, tracking
//! tables, atomicity, partial records and checksums, exactly as a single run. Here: which
//! targets, in what order (canaries first), when to stop, and the fleet's report
//! (`outcome` names what each target's run came to).

mod outcome;
mod pool;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Map, Value as J};

use crate::config::{Config, Connection, Target};
use crate::ctx::Ctx;
use crate::error::{Error, Kind, Result};
use crate::report::{self, Live, Output, Report, Style};

use outcome::Outcome;

/// How a fleet runs, from its flags.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `--target NAME`…; empty: every target (`--all-targets`).
    pub names: Vec<String>,
    /// At most this many targets at once.
    pub parallel: usize,
    /// `--on-error stop`: start no target after one failed.
    pub stop_on_error: bool,
    /// `--canary K`: these first, and nothing more if one of them fails.
    pub canary: Option<usize>,
}

/// The single-database command, run once per target.
pub type Command<'a> = dyn Fn(&Ctx) -> Result<Report> + Sync + 'a;

/// One target's run, as its thread hands it back.
struct Ran {
    /// The command's own `--json` document (of its result, or of its error).
    doc: J,
    lines: Vec<(Style, String)>,
    error: Option<Error>,
    exit_code: i32,
    notes: Vec<String>,
}

/// What the fleet knows of a target at the end.
struct Finished {
    outcome: Outcome,
    ran: Option<Ran>,
}

/// A fleet run: the command, and the targets it runs on.
struct Run<'a> {
    config: &'a Config,
    plan: &'a Plan,
    name: &'a str,
    command: &'a Command<'a>,
    targets: Vec<Target>,
    /// A status command: the targets are shown in groups at the end, not one by one.
    grouped: bool,
}

/// Runs `command` on the chosen targets of the environment's fleet.
pub fn run(
    config: &Config,
    out: &Output,
    plan: &Plan,
    name: &str,
    command: &Command,
    lookup_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Report> {
    let fleet = config.fleet(lookup_env)?;
    let targets = if plan.names.is_empty() {
        fleet
    } else {
        config.select_targets(fleet, &plan.names)?
    };
    for t in &targets {
        out.add_secrets(t.connection.password().into_iter().collect());
    }
    let run = Run {
        config,
        plan,
        name,
        command,
        grouped: name.ends_with(":status"),
        targets,
    };
    let n = run.targets.len();
    let mut live = Live::new(out, n);
    live.line(
        Style::Dim,
        &format!(
            "Using environment: {} ({n} target{}, up to {} at once)",
            config.env,
            if n == 1 { "" } else { "s" },
            plan.parallel.min(n)
        ),
    );
    let finished = execute(&run, out, &live);
    live.finish();
    conclude(&run, out, &live, finished)
}

/// The canaries, then the others (unless a canary failed, a failure stops the run, or
/// Ctrl-C): what each target came to, in the fleet's order.
fn execute(run: &Run, out: &Output, live: &Live) -> Vec<Finished> {
    let targets = &run.targets;
    let mut finished: Vec<Option<Finished>> = (0..targets.len()).map(|_| None).collect();
    let stop = AtomicBool::new(false);
    let (secrets, verbose) = (out.secrets(), out.verbose);
    let work = |i: usize| run_target(run, &targets[i], verbose, &secrets);
    let stops = |r: &Ran| run.plan.stop_on_error && r.error.is_some();
    let work = pool::Work {
        run: &work,
        stops: &stops,
    };
    let canaries = run.plan.canary.unwrap_or(0).min(targets.len());
    let phases = [
        (0..canaries).collect::<Vec<_>>(),
        (canaries..targets.len()).collect(),
    ];
    let mut running: Vec<usize> = Vec::new();
    let mut why_not = String::new();
    for (phase, items) in phases.iter().enumerate().filter(|(_, i)| !i.is_empty()) {
        let parallel = if phase == 0 {
            run.plan.parallel.min(canaries)
        } else {
            run.plan.parallel
        };
        pool::run(items, parallel, &stop, &work, &mut |event| match event {
            pool::Event::Started(i) => running.push(i),
            pool::Event::Finished(i, ran) => {
                running.retain(|r| *r != i);
                let outcome = outcome_of(run.name, &targets[i], &ran);
                show(live, verbose, run.grouped, &targets[i].name, &outcome, &ran);
                finished[i] = Some(Finished {
                    outcome,
                    ran: Some(ran),
                });
                let names: Vec<&str> = running.iter().map(|&r| targets[r].name.as_str()).collect();
                live.advance(&names.join(", "));
            }
        });
        let failed = failures(targets, &finished, items);
        why_not = if crate::interrupt::requested() {
            "interrupted (Ctrl-C)".into()
        } else if phase == 0 && !failed.is_empty() {
            format!("the canary target(s) {} failed", failed.join(", "))
        } else if stop.load(Ordering::SeqCst) {
            format!("--on-error stop, after {} failed", failed.join(", "))
        } else {
            continue;
        };
        break;
    }
    finished
        .into_iter()
        .map(|f| {
            f.unwrap_or_else(|| Finished {
                outcome: outcome::not_run(&why_not),
                ran: None,
            })
        })
        .collect()
}

/// One target, start to end, on the calling (worker) thread.
fn run_target(run: &Run, target: &Target, verbose: bool, secrets: &[String]) -> Ran {
    let out = Output::for_target(&target.name, verbose, secrets.to_vec());
    let cfg = run.config.for_target(target);
    let ctx = Ctx {
        config: &cfg,
        out: &out,
    };
    let result = catch_unwind(AssertUnwindSafe(|| (run.command)(&ctx))).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(Error::new(
            Kind::Database,
            format!("furrow stopped on this target: {why}"),
        )
        .hint("this is a bug in furrow; the other targets went on"))
    });
    crate::interrupt::clear_hook();
    match result {
        Ok(mut r) => {
            let lines = std::mem::take(&mut r.lines);
            let exit_code = r.exit_code;
            Ran {
                doc: report::document(&out, r),
                lines,
                error: None,
                exit_code,
                notes: out.take_notes(),
            }
        }
        Err(e) => Ran {
            doc: report::error_document(&out, run.name, &e),
            lines: Vec::new(),
            exit_code: e.kind.exit_code(),
            error: Some(e),
            notes: out.take_notes(),
        },
    }
}

fn outcome_of(name: &str, target: &Target, ran: &Ran) -> Outcome {
    match &ran.error {
        // A server that cannot be reached; a SQLite file that cannot be opened has failed.
        Some(e) => outcome::of_failure(e, matches!(target.connection, Connection::Mysql(_))),
        None => outcome::of_success(name, &ran.doc, &ran.lines, ran.exit_code),
    }
}

/// The names of the targets among `items` that failed.
fn failures<'a>(
    targets: &'a [Target],
    finished: &[Option<Finished>],
    items: &[usize],
) -> Vec<&'a str> {
    items
        .iter()
        .filter(|&&i| {
            finished[i]
                .as_ref()
                .and_then(|f| f.ran.as_ref())
                .is_some_and(|r| r.error.is_some())
        })
        .map(|&i| targets[i].name.as_str())
        .collect()
}

/// A target's line as it finishes (the status view shows groups at the end instead), its
/// warnings and notes.
fn show(live: &Live, verbose: bool, grouped: bool, target: &str, o: &Outcome, ran: &Ran) {
    for n in &ran.notes {
        live.note(&format!("{target}: {n}"));
    }
    if let Some(ws) = ran.doc.get("warnings").and_then(J::as_array) {
        for w in ws.iter().filter_map(J::as_str) {
            live.warn(&format!("{target}: {w}"));
        }
    }
    if grouped && !verbose {
        return;
    }
    match &ran.error {
        Some(_) => live.line(
            Style::Failed,
            &format!("{target}: {}: {}", outcome::words(o.key), o.headline),
        ),
        None => {
            let style = match o.key {
                "migrated" | "rolled_back" | "seeded" => Style::Success,
                _ => Style::Plain,
            };
            live.line(style, &format!("{target}: {}", o.headline));
        }
    }
    if verbose {
        let extra = ran
            .lines
            .iter()
            .filter(|(s, t)| *s != Style::Dim && *t != o.headline);
        for (_, text) in extra {
            live.line(Style::Item, text);
        }
    }
}

/// The summary (and for status commands the groups), then the fleet's result: a report, or
/// an error when a target failed or Ctrl-C stopped the run.
fn conclude(run: &Run, out: &Output, live: &Live, finished: Vec<Finished>) -> Result<Report> {
    let mut data = Map::new();
    data.insert("environment".into(), json!(run.config.env));
    data.insert("summary".into(), summarize(run, live, &finished));
    if run.grouped {
        data.insert("groups".into(), show_groups(run, out, live, &finished));
    }
    let failed: Vec<(&Target, Error)> = run
        .targets
        .iter()
        .zip(&finished)
        .filter_map(|(t, f)| Some((t, f.ran.as_ref()?.error.clone()?)))
        .collect();
    let not_run: Vec<&str> = run
        .targets
        .iter()
        .zip(&finished)
        .filter(|(_, f)| f.ran.is_none())
        .map(|(t, _)| t.name.as_str())
        .collect();
    let needs_work = finished.iter().any(|f| f.outcome.needs_work);
    // A command that succeeded with an exit code of its own (lint's 1, status --check's 3):
    // the fleet's is the gravest.
    let exit_codes: Vec<i32> = finished
        .iter()
        .filter_map(|f| f.ran.as_ref().map(|r| r.exit_code))
        .collect();
    let entries: Vec<J> = run
        .targets
        .iter()
        .zip(finished)
        .map(|(t, f)| entry(t, f))
        .collect();
    data.insert("targets".into(), J::Array(entries));
    if failed.is_empty() && not_run.is_empty() {
        let mut r = Report::new(run.name);
        r.data = data;
        r.data.insert("up_to_date".into(), json!(!needs_work));
        r.exit_code = if exit_codes.contains(&1) {
            1
        } else if exit_codes.contains(&3) {
            3
        } else {
            0
        };
        return Ok(r);
    }
    let mut err = failure(run, &failed, &not_run);
    err.data = Some(Box::new(data));
    Err(err)
}

/// `200 targets: 196 migrated, 3 up to date, 1 failed`, printed; the counts for --json.
fn summarize(run: &Run, live: &Live, finished: &[Finished]) -> J {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for f in finished {
        match counts.iter_mut().find(|(k, _)| *k == f.outcome.key) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.outcome.key, 1)),
        }
    }
    counts.sort_by_key(|(k, _)| outcome::rank(k));
    let n = run.targets.len();
    let said: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{n} {}", outcome::words(k)))
        .collect();
    live.line(
        Style::Plain,
        &format!(
            "{n} target{}: {}",
            if n == 1 { "" } else { "s" },
            said.join(", ")
        ),
    );
    J::Object(
        counts
            .iter()
            .map(|(k, n)| (k.to_string(), json!(n)))
            .collect(),
    )
}

/// The status view: the targets by group, printed; the groups for --json.
fn show_groups(run: &Run, out: &Output, live: &Live, finished: &[Finished]) -> J {
    let groups = groups(&run.targets, finished);
    for (label, key, names) in &groups {
        let text = if *key == "up_to_date" && !out.verbose {
            format!("{label} ({})", names.len())
        } else {
            format!("{label} ({}): {}", names.len(), names.join(", "))
        };
        live.line(style_of(key), &text);
    }
    json!(groups
        .iter()
        .map(|(label, key, names)| json!({"group": label, "state": key, "targets": names}))
        .collect::<Vec<_>>())
}

/// The fleet's error: how many failed, each failure with its error and hint, what did not run.
fn failure(run: &Run, failed: &[(&Target, Error)], not_run: &[&str]) -> Error {
    let mut err = if crate::interrupt::requested() {
        Error::interrupted()
    } else {
        Error::new(
            Kind::Targets,
            format!(
                "{} of {} targets failed{}",
                failed.len(),
                run.targets.len(),
                if not_run.is_empty() {
                    String::new()
                } else {
                    format!(", {} not run", not_run.len())
                }
            ),
        )
    };
    for (t, e) in failed {
        err = err.detail(format!("{}: {}", t.name, e.message));
        for d in &e.details {
            err = err.detail(format!("  {d}"));
        }
        if let Some(h) = &e.hint {
            err = err.detail(format!("  hint: {h}"));
        }
    }
    if !not_run.is_empty() {
        err = err.detail(format!("not run: {}", not_run.join(", ")));
    }
    if err.is_interrupted() {
        err.hint(
            "run the same command again to finish: targets already done have nothing left to do",
        )
    } else if !failed.is_empty() && !run.grouped && run.name != "migrate:list" {
        err.hint("fix what failed and run the same command again: targets already done have nothing left to do")
    } else {
        err
    }
}

fn style_of(key: &str) -> Style {
    match key {
        "up_to_date" => Style::Item,
        "failed" | "unreachable" | "partial" | "missing" | "invalid" => Style::Problem,
        _ => Style::Attention,
    }
}

/// The targets by group (`pending 2`, `up to date` …), in the summary's order.
fn groups<'a>(
    targets: &'a [Target],
    finished: &[Finished],
) -> Vec<(String, &'static str, Vec<&'a str>)> {
    let mut groups: Vec<(String, &'static str, Vec<&str>)> = Vec::new();
    for (t, f) in targets.iter().zip(finished) {
        let o = &f.outcome;
        match groups.iter_mut().find(|(g, _, _)| *g == o.group) {
            Some((_, _, names)) => names.push(&t.name),
            None => groups.push((o.group.clone(), o.key, vec![&t.name])),
        }
    }
    groups.sort_by(|a, b| {
        outcome::rank(a.1)
            .cmp(&outcome::rank(b.1))
            .then_with(|| natural(&b.0).cmp(&natural(&a.0)))
    });
    groups
}

/// Groups of one state by their count, most behind first ("pending 12" before "pending 2").
fn natural(label: &str) -> (usize, String) {
    let n = label
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (n, label.to_string())
}

/// A target in the `--json` document: its name, ok, what it came to, and the command's own
/// result or its error.
fn entry(t: &Target, f: Finished) -> J {
    let mut e = Map::new();
    e.insert("name".into(), json!(t.name));
    e.insert(
        "ok".into(),
        json!(f.ran.as_ref().is_some_and(|r| r.error.is_none())),
    );
    e.insert("outcome".into(), json!(f.outcome.key));
    match f.ran {
        Some(Ran {
            doc, error: None, ..
        }) => {
            e.insert("result".into(), doc);
        }
        Some(Ran {
            doc: J::Object(doc),
            ..
        }) => {
            for (k, v) in doc {
                if !matches!(k.as_str(), "ok" | "command") {
                    e.insert(k, v);
                }
            }
        }
        _ => {
            e.insert(
                "error".into(),
                json!({"code": "not_run", "message": f.outcome.headline}),
            );
        }
    }
    J::Object(e)
}
