//! Shell completion and the manual page, both from the clap definitions in `cli`, so help,
//! completions and the page never disagree. Completion is clap's dynamic completion: the
//! shell asks the binary (`FURROW_COMPLETE=<shell> furrow -- …`), which answers commands and flags
//! from the clap tree, and environments, migrations and seeds from the project it runs in.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;

use crate::cli::Cli;
use crate::config::{self, Config, Overrides};
use crate::error::{Error, Result};
use crate::report::Output;

/// The variable the shell sets when it asks for completions.
pub const VAR: &str = "FURROW_COMPLETE";

/// The shells `furrow completions` writes a script for.
pub const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "powershell", "elvish"];

/// Answers a completion request and exits, when the shell made one; else returns.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .bin("furrow")
        .completer("furrow")
        .complete();
}

/// The script that registers furrow's completion with `shell`.
pub fn script(shell: &str) -> Result<String> {
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(shell) else {
        return Err(Error::usage(format!(
            "no completion for the shell `{shell}`; give one of: {}",
            SHELLS.join(", ")
        )));
    };
    let mut out = Vec::new();
    if shell == "bash" {
        // furrow's commands carry colons (`migrate:up`), which bash would split a word at.
        out.extend_from_slice(b"COMP_WORDBREAKS=${COMP_WORDBREAKS//:}\n");
    }
    completer
        .write_registration(VAR, "furrow", "furrow", "furrow", &mut out)
        .map_err(|e| Error::io(format!("cannot write the completion script: {e}")))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The manual page (roff) of furrow, or of one of its commands.
pub fn man(command: Option<&str>) -> Result<String> {
    let root = Cli::command();
    let cmd = match command {
        None => root,
        Some(name) => {
            let found = root
                .get_subcommands()
                .find(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name))
                .cloned();
            let Some(sub) = found else {
                let names: Vec<String> = root
                    .get_subcommands()
                    .map(|c| c.get_name().to_string())
                    .collect();
                return Err(Error::usage(format!(
                    "no command `{name}`{}",
                    crate::text::did_you_mean(name, names.iter().map(String::as_str))
                )));
            };
            let full = format!("furrow-{}", sub.get_name().replace(':', "-"));
            sub.name(clap::builder::Str::from(
                Box::leak(full.into_boxed_str()) as &'static str
            ))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::io(format!("cannot write the manual page: {e}")))?;
    let _ = out.flush();
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The project's configuration as the shell's working directory gives it, quietly (a
/// variable that is not set reads as empty: completion must not fail on it).
fn project() -> Option<Config> {
    let cwd = std::env::current_dir().ok()?;
    config::load(&cwd, &Overrides::default(), &|k| {
        Some(std::env::var(k).unwrap_or_default())
    })
    .ok()
}

fn matching(names: impl IntoIterator<Item = String>, current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    names
        .into_iter()
        .filter(|n| n.starts_with(current.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// `--env`: the environments of the knexfile.
pub fn environments(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(cwd) = std::env::current_dir().ok() else {
        return Vec::new();
    };
    let Ok(Some(path)) = config::find_knexfile(&cwd, None) else {
        return Vec::new();
    };
    matching(config::environment_names(Path::new(&path)), current)
}

/// Migration names (`migrate:up|down|sql|lint`).
pub fn migrations(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(config) = project() else {
        return Vec::new();
    };
    let Ok(found) = crate::migrate::source::discover(&config) else {
        return Vec::new();
    };
    matching(found.found.iter().map(|f| f.name().to_string()), current)
}

/// Seed names (`seed:run --specific`, `seed:undo`).
pub fn seeds(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(config) = project() else {
        return Vec::new();
    };
    let quiet = Output::new(true, false, true);
    let Ok(files) = crate::seed::source::list(&config, &quiet) else {
        return Vec::new();
    };
    matching(files.into_iter().map(|f| f.name), current)
}
