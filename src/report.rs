//! Everything furrow prints goes through here: human lines (colour on terminals only),
//! or exactly one JSON document with `--json`. Known secrets are scrubbed from both.
//! A fleet's targets each get an `Output` that keeps what they would print, and the fleet
//! prints a line per target as it finishes (`Live`).

use std::cell::RefCell;
use std::io::{IsTerminal, Write};

use colored::Colorize;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Map, Value as J};

use crate::error::Error;

/// What a library caller hears while a command runs ([`Project::on_event`](crate::Project::on_event)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A passing notice: waiting for the lock (and who holds it), resuming a partial migration.
    Note(&'a str),
    /// A warning (an edited applied migration, a lint finding …).
    Warning(&'a str),
    /// A statement about to run, and where it comes from (`statement 2 (line 5)`).
    Statement { origin: &'a str, sql: &'a str },
    /// A migration finished (up or down).
    Migrated { name: &'a str, duration_ms: u64 },
    /// Rows of a seed loaded so far.
    SeedRows { seed: &'a str, rows: u64 },
}

/// A library caller's event handler.
pub type Listener = std::sync::Arc<dyn Fn(&Event<'_>) + Send + Sync>;

pub struct Output {
    pub json: bool,
    pub verbose: bool,
    /// Progress bars and waiting notices: only on a terminal, never with --json.
    pub interactive: bool,
    /// A fleet target's output (see `for_target`): its name.
    target: Option<String>,
    secrets: RefCell<Vec<String>>,
    warnings: RefCell<Vec<String>>,
    notes: RefCell<Vec<String>>,
    listener: Option<Listener>,
}

impl Output {
    pub fn new(json: bool, verbose: bool, no_color: bool) -> Self {
        let env_no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !json && !no_color && !env_no_color && std::io::stdout().is_terminal();
        colored::control::set_override(color);
        Output {
            interactive: !json && std::io::stderr().is_terminal(),
            ..Output::quiet(json, verbose, Vec::new())
        }
    }

    /// Prints nothing itself but what its fields allow; no target, no listener.
    fn quiet(json: bool, verbose: bool, secrets: Vec<String>) -> Self {
        Output {
            json,
            verbose,
            interactive: false,
            target: None,
            secrets: RefCell::new(secrets),
            warnings: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
            listener: None,
        }
    }

    /// A library call's output: it prints nothing; warnings are kept for the result, and
    /// everything that happens goes to `listener`, if any.
    pub fn for_library(listener: Option<Listener>, secrets: Vec<String>) -> Self {
        Output {
            listener,
            ..Output::quiet(true, false, secrets)
        }
    }

    /// Tells the library caller, if there is one.
    pub fn event(&self, e: Event<'_>) {
        if let Some(l) = &self.listener {
            l(&e);
        }
    }

    /// The output of one target of a fleet, on the thread that runs it. It prints nothing
    /// but `--verbose` statements (named by the target); the command's JSON data, warnings
    /// and notes are kept for the fleet's report.
    pub fn for_target(target: &str, verbose: bool, secrets: Vec<String>) -> Self {
        Output {
            target: Some(target.to_string()),
            ..Output::quiet(true, verbose, secrets)
        }
    }

    /// The secrets known so far, for the outputs of a fleet's targets.
    pub fn secrets(&self) -> Vec<String> {
        self.secrets.borrow().clone()
    }

    /// Passwords to replace with `***` wherever they would appear.
    pub fn add_secrets(&self, secrets: Vec<String>) {
        self.secrets.borrow_mut().extend(secrets);
    }

    pub fn scrub(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in self.secrets.borrow().iter() {
            // Very short passwords would mangle ordinary text; they are redacted at the source.
            if secret.len() >= 4 {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// `--verbose`: each statement as it runs, on stderr (stdout stays the report).
    pub fn statement(&self, origin: &str, sql: &str) {
        if self.listener.is_some() {
            let text = self.scrub(sql);
            self.event(Event::Statement { origin, sql: &text });
        }
        if !self.verbose {
            return;
        }
        let text = self.scrub(sql);
        let origin = match &self.target {
            Some(t) => format!("[{t}: {origin}]"),
            None => format!("[{origin}]"),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {}", origin.dimmed(), text);
    }

    /// A warning: on stderr for people, in `warnings` for --json (and for a fleet's target).
    pub fn warn(&self, msg: impl Into<String>) {
        let msg = self.scrub(&msg.into());
        self.event(Event::Warning(&msg));
        if self.json {
            self.warnings.borrow_mut().push(msg);
        } else {
            eprintln!("{} {}", "warning:".yellow().bold(), msg);
        }
    }

    /// A passing notice (waiting for a lock …): stderr, people only; a fleet's target keeps it.
    pub fn note(&self, msg: impl AsRef<str>) {
        if self.listener.is_some() {
            self.event(Event::Note(&self.scrub(msg.as_ref())));
        }
        if self.target.is_some() {
            self.notes.borrow_mut().push(self.scrub(msg.as_ref()));
        } else if !self.json {
            eprintln!("{}", self.scrub(msg.as_ref()).dimmed());
        }
    }

    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }
}

/// How a human line is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Style {
    /// The summary line of a success ("Batch 1 run: 2 migrations").
    Success,
    /// An ordinary line.
    Plain,
    /// A listed item, indented.
    Item,
    /// Something that needs attention (pending work, a modified file).
    Attention,
    /// Something wrong (missing file, partial migration).
    Problem,
    /// Secondary information.
    Dim,
    /// What failed, unindented (a fleet's target).
    Failed,
}

pub struct Report {
    pub command: String,
    pub lines: Vec<(Style, String)>,
    pub data: Map<String, J>,
    pub exit_code: i32,
}

impl Report {
    pub fn new(command: &str) -> Self {
        Report {
            command: command.to_string(),
            lines: Vec::new(),
            data: Map::new(),
            exit_code: 0,
        }
    }

    pub fn line(&mut self, style: Style, text: impl Into<String>) -> &mut Self {
        self.lines.push((style, text.into()));
        self
    }

    pub fn set(&mut self, key: &str, value: impl Into<J>) -> &mut Self {
        self.data.insert(key.to_string(), value.into());
        self
    }
}

fn paint(style: &Style, text: &str) -> String {
    match style {
        Style::Success => text.green().to_string(),
        Style::Plain => text.to_string(),
        Style::Item => format!("  {text}"),
        Style::Attention => format!("  {}", text.yellow()),
        Style::Problem => format!("  {}", text.red()),
        Style::Dim => text.dimmed().to_string(),
        Style::Failed => text.red().to_string(),
    }
}

/// The `--json` document of a finished command (its warnings taken, secrets scrubbed).
pub fn document(out: &Output, report: Report) -> J {
    let mut doc = Map::new();
    doc.insert("ok".into(), J::Bool(true));
    doc.insert("command".into(), J::String(report.command));
    doc.extend(report.data);
    let warnings = out.take_warnings();
    if !warnings.is_empty() {
        doc.insert("warnings".into(), json!(warnings));
    }
    scrub_json(out, J::Object(doc))
}

/// An error as the `error` object of a `--json` document.
pub fn error_object(out: &Output, err: &Error) -> J {
    let mut error = Map::new();
    error.insert("code".into(), J::String(err.kind.code().into()));
    error.insert("message".into(), J::String(err.message.clone()));
    if let Some(h) = &err.hint {
        error.insert("hint".into(), J::String(h.clone()));
    }
    if !err.details.is_empty() {
        error.insert("details".into(), json!(err.details));
    }
    scrub_json(out, J::Object(error))
}

/// The `--json` document of a failed command.
pub fn error_document(out: &Output, command: &str, err: &Error) -> J {
    let mut doc = Map::new();
    doc.insert("ok".into(), J::Bool(false));
    doc.insert("command".into(), J::String(command.to_string()));
    doc.insert("error".into(), error_object(out, err));
    if let Some(data) = &err.data {
        for (k, v) in data.iter() {
            doc.insert(k.clone(), v.clone());
        }
    }
    let warnings = out.take_warnings();
    if !warnings.is_empty() {
        doc.insert("warnings".into(), json!(warnings));
    }
    scrub_json(out, J::Object(doc))
}

/// A JSON value with every secret scrubbed from its strings.
pub fn scrub_json(out: &Output, doc: J) -> J {
    match doc {
        J::String(s) => J::String(out.scrub(&s)),
        J::Array(items) => J::Array(items.into_iter().map(|v| scrub_json(out, v)).collect()),
        J::Object(map) => J::Object(
            map.into_iter()
                .map(|(k, v)| (out.scrub(&k), scrub_json(out, v)))
                .collect(),
        ),
        other => other,
    }
}

/// Prints a finished command's report; returns its exit code.
pub fn emit(out: &Output, report: Report) -> i32 {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let code = report.exit_code;
    if out.json {
        let _ = writeln!(stdout, "{}", document(out, report));
    } else {
        for (style, text) in &report.lines {
            let _ = writeln!(stdout, "{}", out.scrub(&paint(style, text)));
        }
    }
    let _ = stdout.flush();
    code
}

/// Prints an error (stderr for people; the one JSON document on stdout with --json);
/// returns the exit code.
pub fn emit_error(out: &Output, command: &str, err: &Error) -> i32 {
    if out.json {
        println!("{}", error_document(out, command, err));
    } else {
        // An interruption's message says "interrupted (Ctrl-C)" itself: no label to repeat it.
        let mut text = if err.is_interrupted() {
            err.message.yellow().bold().to_string()
        } else {
            format!("{} {}", "error:".red().bold(), err.message)
        };
        for d in &err.details {
            text.push_str(&format!("\n  {d}"));
        }
        if let Some(h) = &err.hint {
            text.push_str(&format!("\n{} {h}", "hint:".cyan().bold()));
        }
        eprintln!("{}", out.scrub(&text));
    }
    err.kind.exit_code()
}

/// A fleet's live output for people: a line per target as it finishes (stdout), under a
/// progress bar on a terminal (stderr). With `--json` it prints nothing: the one document
/// comes at the end.
pub struct Live<'a> {
    out: &'a Output,
    bar: Option<ProgressBar>,
}

impl<'a> Live<'a> {
    pub fn new(out: &'a Output, total: usize) -> Self {
        let bar = out.interactive.then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} targets {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar
        });
        Live { out, bar }
    }

    fn print(&self, to_stderr: bool, text: String) {
        let text = self.out.scrub(&text);
        let write = || {
            if to_stderr {
                eprintln!("{text}");
            } else {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{text}");
                let _ = stdout.flush();
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// A line of the report, as it happens (people only).
    pub fn line(&self, style: Style, text: &str) {
        if !self.out.json {
            self.print(false, paint(&style, text));
        }
    }

    /// A warning, as it happens (people only; --json keeps them in the document).
    pub fn warn(&self, text: &str) {
        if !self.out.json {
            self.print(true, format!("{} {text}", "warning:".yellow().bold()));
        }
    }

    /// A passing notice (people only).
    pub fn note(&self, text: &str) {
        if !self.out.json {
            self.print(true, text.dimmed().to_string());
        }
    }

    /// The progress bar is done: what follows prints under the last target's line.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// One more target finished; `running` names what is still at work.
    pub fn advance(&self, running: &str) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(running.to_string());
        }
    }
}

impl Drop for Live<'_> {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
