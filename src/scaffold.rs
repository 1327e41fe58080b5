//! Files furrow writes for people (init, migrate:make, seed:make), from tera templates.
//! Built-ins are embedded; a project's own `templates/` folder overrides them file by file.

use std::path::{Path, PathBuf};

use crate::error::{io_error, Error, Result};

pub const KNEXFILE: &str = "knexfile.yaml.tera";
pub const MIGRATION_SQL: &str = "migration.sql.tera";
pub const MIGRATION_YAML: &str = "migration.yaml.tera";
pub const SEED_YAML: &str = "seed.yaml.tera";
pub const SEED_SQL: &str = "seed.sql.tera";

fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        KNEXFILE => include_str!("../templates/knexfile.yaml.tera"),
        MIGRATION_SQL => include_str!("../templates/migration.sql.tera"),
        MIGRATION_YAML => include_str!("../templates/migration.yaml.tera"),
        SEED_YAML => include_str!("../templates/seed.yaml.tera"),
        SEED_SQL => include_str!("../templates/seed.sql.tera"),
        _ => return None,
    })
}

/// Renders a template: `<project>/templates/<name>` when it exists, else the built-in one.
pub fn render(project_dir: Option<&Path>, name: &str, context: &tera::Context) -> Result<String> {
    let custom: Option<PathBuf> = project_dir
        .map(|d| d.join("templates").join(name))
        .filter(|p| p.is_file());
    let (source, origin) = match &custom {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| io_error("read the template", p, &e))?,
            p.display().to_string(),
        ),
        None => (
            builtin(name)
                .ok_or_else(|| Error::io(format!("no built-in template {name}")))?
                .to_string(),
            format!("built-in template {name}"),
        ),
    };
    tera::Tera::one_off(&source, context, false).map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(&format!(": {s}"));
            src = s.source();
        }
        Error::validation(format!("cannot render {origin}: {msg}"))
            .hint("fix the template (tera syntax), or delete it to use the built-in one")
    })
}

/// The kinds of file `make` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaffold {
    Migration,
    Seed,
}

impl Scaffold {
    fn word(self) -> &'static str {
        match self {
            Scaffold::Migration => "migration",
            Scaffold::Seed => "seed",
        }
    }
}

/// `migrate:make` / `seed:make`: checks the name, picks the template for the extension
/// (`sql`, else YAML), asks `place` where the file goes and what its template is given
/// (besides `name`), renders it and writes the new file; returns its path.
pub fn make(
    kind: Scaffold,
    project_dir: &Path,
    name: &str,
    ext: &str,
    place: impl FnOnce(&str) -> Result<(PathBuf, tera::Context)>,
) -> Result<PathBuf> {
    check_name(name, kind.word())?;
    let (template, ext) = match (kind, ext) {
        (Scaffold::Migration, "sql") => (MIGRATION_SQL, "sql"),
        (Scaffold::Migration, _) => (MIGRATION_YAML, "yaml"),
        (Scaffold::Seed, "sql") => (SEED_SQL, "sql"),
        (Scaffold::Seed, _) => (SEED_YAML, "yaml"),
    };
    let (path, mut context) = place(ext)?;
    context.insert("name", name);
    let content = render(Some(project_dir), template, &context)?;
    write_new(&path, &content)?;
    Ok(path)
}

/// Checks a name given to migrate:make / seed:make: letters, digits, `_` and `-`.
pub fn check_name(name: &str, what: &str) -> Result<()> {
    let problem = if name.trim().is_empty() {
        Some("it is empty".to_string())
    } else if name.contains('/') || name.contains('\\') {
        Some("it contains a path separator".to_string())
    } else if name.contains("..") {
        Some("it contains `..`".to_string())
    } else if name.chars().any(char::is_whitespace) {
        Some("it contains spaces".to_string())
    } else {
        name.chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map(|c| format!("it contains `{c}`"))
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(
            Error::usage(format!("invalid {what} name `{name}`: {p}")).hint(format!(
                "use letters, digits, _ and -, e.g. `furrow {}`",
                match what {
                    "seed" => "seed:make accounts",
                    _ => "migrate:make create_accounts",
                }
            )),
        ),
    }
}

/// Writes a new file, never overwriting one.
pub fn write_new(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error("create the directory", dir, &e))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::validation(format!(
                    "{} already exists; furrow never overwrites a file",
                    path.display()
                ))
                .hint("choose another name, or delete the file first")
            } else {
                io_error("create", path, &e)
            }
        })?;
    f.write_all(content.as_bytes())
        .map_err(|e| io_error("write", path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("create_accounts", "migration").is_ok());
        assert!(check_name("add-roles2", "migration").is_ok());
        for bad in ["", " ", "a/b", "..", "a b", "x;y"] {
            assert!(check_name(bad, "migration").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn builtin_templates_render() {
        let mut ctx = tera::Context::new();
        ctx.insert("name", "create_accounts");
        ctx.insert("timestamp", "20240101000000");
        let sql = render(None, MIGRATION_SQL, &ctx).unwrap();
        assert!(sql.contains("-- migrate:up"));
        assert!(sql.contains("-- migrate:down"));
    }
}
