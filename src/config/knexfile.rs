//! Reading knexfile.yaml: finding it, choosing the environment, `${VAR}` in its strings, and
//! the strict reading of its maps (Knex-only keys accepted and ignored, typos named).

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value as Y};

use super::interpolate::{interpolate, InterpError};
use crate::error::{Error, Result};
use crate::text::did_you_mean;
use crate::yamlpos::{locate, Seg};

const KNEXFILE_NAMES: [&str; 2] = ["knexfile.yaml", "knexfile.yml"];

/// Finds the knexfile: `--knexfile`, else knexfile.yaml/.yml in `cwd` or its nearest parent.
pub fn find_knexfile(cwd: &Path, explicit: Option<&Path>) -> Result<Option<PathBuf>> {
    if let Some(p) = explicit {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        if !p.is_file() {
            return Err(Error::config(format!(
                "the knexfile {} given with --knexfile does not exist",
                p.display()
            ))
            .hint("check the path, or run `furrow init` to create one"));
        }
        return Ok(Some(p));
    }
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        for name in KNEXFILE_NAMES {
            let p = d.join(name);
            if p.is_file() {
                return Ok(Some(p));
            }
        }
        dir = d.parent();
    }
    Ok(None)
}

/// The knexfile being read, for error messages with lines.
pub(super) struct KnexFile {
    pub(super) path: Option<PathBuf>,
    pub(super) text: String,
}

impl KnexFile {
    /// "knexfile.yaml line 7" for the node at `path` (segments from the document root).
    pub(super) fn at(&self, path: &[Seg]) -> String {
        let name = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "command line".to_string());
        match locate(&self.text, path) {
            Some((line, _)) => format!("{name} line {line}"),
            None => name,
        }
    }
}

/// Parses the knexfile's text and picks the block of `env_name` (the whole file when it is a
/// single configuration), with `${VAR}` filled in: the file, the block, and the block's path.
pub(super) fn read_environment(
    text: &str,
    path: &Path,
    env_name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(KnexFile, Y, Vec<Seg>)> {
    let file = KnexFile {
        path: Some(path.to_path_buf()),
        text: text.to_string(),
    };
    let root: Y = serde_yaml::from_str(text).map_err(|e| {
        let at = match e.location() {
            Some(l) => format!(" at line {} column {}", l.line(), l.column()),
            None => String::new(),
        };
        Error::config(format!(
            "{} is not valid YAML{at}: {}",
            path.display(),
            strip_location(&e.to_string())
        ))
        .hint("fix the YAML syntax (indentation, quotes, colons) at that place")
    })?;
    let Y::Mapping(map) = &root else {
        return Err(Error::config(format!(
            "{}: expected a map of environments (development:, production: …) or a single configuration with `client:`",
            path.display()
        )));
    };
    let single = map.contains_key("client") || map.contains_key("connection");
    let (block, prefix): (&Y, Vec<Seg>) = if single {
        (&root, Vec::new())
    } else {
        match map.get(env_name) {
            Some(b) => (b, vec![Seg::Key(env_name.to_string())]),
            None => {
                let known: Vec<String> = map
                    .keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect();
                return Err(Error::config(format!(
                    "unknown environment `{env_name}` in {}; known environments: {}",
                    path.display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
                .hint("pick one with --env NAME or FURROW_ENV (NODE_ENV is read too)"));
            }
        }
    };
    let block = interpolate_value(block, &file, &prefix, lookup)?;
    Ok((file, block, prefix))
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

pub(super) fn join(prefix: &[Seg], key: &str) -> Vec<Seg> {
    let mut p = prefix.to_vec();
    p.push(Seg::Key(key.to_string()));
    p
}

pub(super) fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

pub(super) fn as_map<'a>(
    v: &'a Y,
    file: &KnexFile,
    path: &[Seg],
    what: &str,
) -> Result<&'a Mapping> {
    v.as_mapping()
        .ok_or_else(|| Error::config(format!("{}: {what} must be a map of keys", file.at(path))))
}

pub(super) fn check_keys(
    map: &Mapping,
    valid: &[&str],
    ignored: &[&str],
    file: &KnexFile,
    path: &[Seg],
) -> Result<()> {
    for k in map.keys() {
        let Some(key) = k.as_str() else {
            return Err(Error::config(format!(
                "{}: keys must be strings",
                file.at(path)
            )));
        };
        if !valid.contains(&key) && !ignored.contains(&key) {
            let where_ = if path.is_empty() {
                "the configuration".to_string()
            } else {
                format!("`{}`", path_text(path))
            };
            return Err(Error::config(format!(
                "{}: unknown key `{key}` in {where_}{}",
                file.at(&join(path, key)),
                did_you_mean(key, valid.iter().chain(ignored).copied())
            ))
            .hint(format!("valid keys here: {}", valid.join(", "))));
        }
    }
    Ok(())
}

pub(super) fn scalar_string(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` in every string of `v`.
fn interpolate_value(
    v: &Y,
    file: &KnexFile,
    path: &[Seg],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Y> {
    Ok(match v {
        Y::String(s) => Y::String(interpolate(s, lookup).map_err(|e| {
            let where_ = file.at(path);
            match e {
                InterpError::Unset(var) => Error::config(format!(
                    "{where_}: environment variable `{var}` used in `{}` is not set",
                    path_text(path)
                ))
                .hint(format!(
                    "set {var}, add it to .env beside the knexfile, or write ${{{var}:-default}}"
                )),
                InterpError::Syntax(m) => {
                    Error::config(format!("{where_}: in `{}`: {m}", path_text(path)))
                }
            }
        })?),
        Y::Sequence(items) => Y::Sequence(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let mut p = path.to_vec();
                    p.push(Seg::Index(i));
                    interpolate_value(item, file, &p, lookup)
                })
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Mapping::new();
            for (k, item) in m {
                let p = join(path, k.as_str().unwrap_or_default());
                out.insert(k.clone(), interpolate_value(item, file, &p, lookup)?);
            }
            Y::Mapping(out)
        }
        other => other.clone(),
    })
}

/// The environments a knexfile names (none for a single configuration, or a file that
/// cannot be read): for shell completion.
pub fn environment_names(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(Y::Mapping(map)) = serde_yaml::from_str::<Y>(&text) else {
        return Vec::new();
    };
    if map.contains_key("client") || map.contains_key("connection") {
        return Vec::new();
    }
    map.iter()
        .filter(|(_, v)| v.is_mapping())
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect()
}
