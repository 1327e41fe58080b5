//! Everything furrow prints goes through here: human lines (colour on terminals only),
//! or exactly one JSON document with `--json`. Known secrets are scrubbed from both.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};

use colored::Colorize;
use serde_json::{json, Map, Value as J};

use crate::error::Error;

pub struct Output {
    pub json: bool,
    pub verbose: bool,
    /// Progress bars and waiting notices: only on a terminal, never with --json.
    pub interactive: bool,
    secrets: RefCell<Vec<String>>,
    warnings: RefCell<Vec<String>>,
}

impl Output {
    pub fn new(json: bool, verbose: bool, no_color: bool) -> Self {
        let env_no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !json && !no_color && !env_no_color && std::io::stdout().is_terminal();
        colored::control::set_override(color);
        Output {
            json,
            verbose,
            interactive: !json && std::io::stderr().is_terminal(),
            secrets: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
        }
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
        if !self.verbose {
            return;
        }
        let text = self.scrub(sql);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{} {}", format!("[{origin}]").dimmed(), text);
    }

    /// A warning: on stderr for people, in `warnings` for --json.
    pub fn warn(&self, msg: impl Into<String>) {
        let msg = self.scrub(&msg.into());
        if self.json {
            self.warnings.borrow_mut().push(msg);
        } else {
            eprintln!("{} {}", "warning:".yellow().bold(), msg);
        }
    }

    /// A passing notice (waiting for a lock …): stderr, people only.
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.json {
            eprintln!("{}", self.scrub(msg.as_ref()).dimmed());
        }
    }

    fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
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
    }
}

/// Prints a finished command's report; returns its exit code.
pub fn emit(out: &Output, report: Report) -> i32 {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if out.json {
        let mut doc = Map::new();
        doc.insert("ok".into(), J::Bool(true));
        doc.insert("command".into(), J::String(report.command));
        doc.extend(report.data);
        let warnings = out.take_warnings();
        if !warnings.is_empty() {
            doc.insert("warnings".into(), json!(warnings));
        }
        let _ = writeln!(stdout, "{}", out.scrub(&J::Object(doc).to_string()));
    } else {
        for (style, text) in &report.lines {
            let _ = writeln!(stdout, "{}", out.scrub(&paint(style, text)));
        }
    }
    let _ = stdout.flush();
    report.exit_code
}

/// Prints an error (stderr for people; the one JSON document on stdout with --json);
/// returns the exit code.
pub fn emit_error(out: &Output, command: &str, err: &Error) -> i32 {
    if out.json {
        let mut error = Map::new();
        error.insert("code".into(), J::String(err.kind.code().into()));
        error.insert("message".into(), J::String(err.message.clone()));
        if let Some(h) = &err.hint {
            error.insert("hint".into(), J::String(h.clone()));
        }
        if !err.details.is_empty() {
            error.insert("details".into(), json!(err.details));
        }
        let mut doc = Map::new();
        doc.insert("ok".into(), J::Bool(false));
        doc.insert("command".into(), J::String(command.to_string()));
        doc.insert("error".into(), J::Object(error));
        if let Some(data) = &err.data {
            for (k, v) in data.iter() {
                doc.insert(k.clone(), v.clone());
            }
        }
        let warnings = out.take_warnings();
        if !warnings.is_empty() {
            doc.insert("warnings".into(), json!(warnings));
        }
        println!("{}", out.scrub(&J::Object(doc).to_string()));
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
