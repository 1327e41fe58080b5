//! Finding the files of one kind (migrations, seeds) in their configured directories, with
//! the errors for what cannot be read; and finding one of them by what a person typed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::display_relative;
use crate::error::{io_error, Error, Result};

/// How one kind of file is found.
pub struct Spec<'a> {
    /// "migration" or "seed", in messages.
    pub what: &'a str,
    /// "migrations" or "seeds": the directory's name in messages.
    pub dirs_word: &'a str,
    pub directories: &'a [PathBuf],
    /// Whether folders (and links to folders) are walked.
    pub recursive: bool,
    /// Whether links are followed as the walk meets them (a linked folder is walked).
    pub follow_links: bool,
    /// Whether a name is one of this kind's (other names are ignored, readable or not).
    pub candidate: fn(&str) -> bool,
    /// The path shown for an entry: (directory as shown, relative name, path).
    pub display: &'a dyn Fn(&str, &str, &Path) -> String,
}

/// A file found, not read yet.
pub struct Entry {
    /// The path relative to its directory, with `/`: the name tracked in the database.
    pub name: String,
    pub path: PathBuf,
    pub display: String,
}

/// Every file of the configured directories, sorted by name, each checked by `classify`
/// (which names the kind's own rules) and refused when two directories hold one name. A
/// configured directory that does not exist is an error (a typo in the knexfile must not
/// read as "nothing to do"); so is an entry named like one of the files that is not a
/// readable file (a dangling link, a link loop, a directory).
pub fn discover<F>(
    base_dir: &Path,
    spec: &Spec<'_>,
    mut classify: impl FnMut(&Entry) -> Result<F>,
) -> Result<Vec<(Entry, F)>> {
    let mut found: Vec<(Entry, F)> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for dir in spec.directories {
        let dir_display = display_relative(base_dir, dir);
        let entries = std::fs::read_dir(dir)
            .map_err(|e| missing_directory(&e, dir, &dir_display, spec.dirs_word))?;
        let mut walk = Walk {
            spec,
            dir,
            dir_display: &dir_display,
            ancestors: Vec::new(),
            out: Vec::new(),
        };
        if spec.follow_links {
            walk.ancestors.extend(identity(dir));
        }
        walk.folder(entries, "")?;
        for entry in walk.out {
            let kind = classify(&entry)?;
            if let Some(other) = seen.get(&entry.name) {
                return Err(Error::validation(format!(
                    "the {} {} exists twice: {other} and {}",
                    spec.what, entry.name, entry.display
                ))
                .hint(format!(
                    "names must be unique across all {} directories: rename or remove one",
                    spec.what
                )));
            }
            seen.insert(entry.name.clone(), entry.display.clone());
            found.push((entry, kind));
        }
    }
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(found)
}

/// A folder's device and inode: how a link back to a folder being walked is recognised.
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// One configured directory being walked, depth first, in file-name order.
struct Walk<'a> {
    spec: &'a Spec<'a>,
    dir: &'a Path,
    dir_display: &'a str,
    ancestors: Vec<(u64, u64)>,
    out: Vec<Entry>,
}

impl Walk<'_> {
    fn folder(&mut self, entries: std::fs::ReadDir, prefix: &str) -> Result<()> {
        let mut list = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                io_error(
                    &format!("read the {} directory", self.spec.dirs_word),
                    self.dir,
                    &e,
                )
            })?;
            list.push(entry);
        }
        list.sort_by_key(|e| e.file_name());
        for entry in list {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            // Dot-files and dot-folders (an editor's lock link, .git) are never read.
            if file_name.starts_with('.') {
                continue;
            }
            let name = format!("{prefix}{file_name}");
            self.entry(&entry, &file_name, name)?;
        }
        Ok(())
    }

    fn entry(&mut self, entry: &std::fs::DirEntry, file_name: &str, name: String) -> Result<()> {
        let spec = self.spec;
        let candidate = (spec.candidate)(file_name);
        let path = entry.path();
        let display = || (spec.display)(self.dir_display, &name, &path);
        // The directory listing says what an entry is; only links need a stat.
        let t = entry.file_type().map_err(|e| io_error("read", &path, &e))?;
        let followed = t.is_symlink() && spec.follow_links;
        let (is_file, is_dir) = if followed {
            match std::fs::metadata(&path) {
                Ok(m) => (m.is_file(), m.is_dir()),
                Err(_) if !candidate => return Ok(()),
                Err(e) => {
                    not_a_file(&path, &display(), true, spec.what)?;
                    return Err(Error::io(format!("cannot read {}: {e}", display())));
                }
            }
        } else {
            (t.is_file(), t.is_dir())
        };
        let id = if is_dir && (spec.recursive || followed) {
            identity(&path)
        } else {
            None
        };
        if followed && is_dir && id.is_some_and(|id| self.ancestors.contains(&id)) {
            if !candidate {
                return Ok(());
            }
            return Err(Error::io(format!(
                "{} is a link to a folder that contains it (a loop)",
                display()
            ))
            .hint(format!(
                "furrow reads every file named like a {}: fix or remove the link",
                spec.what
            )));
        }
        if candidate {
            if !is_file {
                not_a_file(&path, &display(), t.is_symlink(), spec.what)?;
            }
            self.out.push(Entry {
                display: display(),
                name,
                path,
            });
        } else if is_dir && spec.recursive {
            // A folder that cannot be listed holds nothing furrow reads.
            let Ok(entries) = std::fs::read_dir(&path) else {
                return Ok(());
            };
            self.ancestors.extend(id);
            self.folder(entries, &format!("{name}/"))?;
            if id.is_some() {
                self.ancestors.pop();
            }
        }
        Ok(())
    }
}

/// A configured migrations or seeds directory that cannot be listed, worded for people.
pub fn missing_directory(e: &std::io::Error, dir: &Path, display: &str, kind: &str) -> Error {
    let (make, key) = match kind {
        "seeds" => ("seed:make", "seeds.directory"),
        _ => ("migrate:make", "migrations.directory"),
    };
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::new(
            crate::error::Kind::MissingFile,
            format!("the {kind} directory {display} does not exist"),
        )
        .hint(format!(
            "create it (`furrow {make} NAME` does), or fix `{key}` in the knexfile"
        )),
        std::io::ErrorKind::NotADirectory => Error::new(
            crate::error::Kind::MissingFile,
            format!("the {kind} directory {display} is a file, not a directory"),
        )
        .hint(format!("fix `{key}` in the knexfile")),
        _ => io_error(&format!("read the {kind} directory"), dir, e),
    }
}

/// The entry named like a `what` file at `path` is not a regular file: Ok(()) when it is a
/// link to one, else an error that says what it is and what to do.
pub fn not_a_file(path: &Path, display: &str, is_link: bool, what: &str) -> Result<()> {
    let why = format!("furrow reads every file named like a {what}");
    let remove = format!("{why}: fix it or remove it");
    if is_link {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".into());
        return match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(()),
            Ok(m) if m.is_dir() => Err(Error::validation(format!(
                "{display} is a link to the directory {target}, not a {what} file"
            ))
            .hint(remove)),
            Ok(_) => Err(Error::validation(format!(
                "{display} is a link to {target}, which is not a regular file"
            ))
            .hint(remove)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::new(
                crate::error::Kind::MissingFile,
                format!("{display} is a link to {target}, which does not exist"),
            )
            .hint(format!(
                "restore the file it points to, or remove the link ({why})"
            ))),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(Error::io(format!(
                "{display} is a link that leads back to itself (a loop of symbolic links, via {target})"
            ))
            .hint(format!("point it at a real file, or remove it ({why})"))),
            Err(e) => Err(io_error("read", path, &e)),
        };
    }
    if path.is_dir() {
        return Err(Error::validation(format!(
            "{display} is a directory, but its name is that of a {what} file"
        ))
        .hint(format!(
            "{what}s are files: rename the directory or move it out of there"
        )));
    }
    Err(Error::validation(format!(
        "{display} is not a regular file (a {what} must be one)"
    ))
    .hint(remove))
}

/// One way a typed name may match an item's name, and whether it must match only one.
pub struct Tier {
    pub matches: fn(query: &str, name: &str) -> bool,
    /// Several matches are ambiguous (else the first, in order, is taken).
    pub unique: bool,
}

/// What a typed name found.
#[derive(Debug, PartialEq)]
pub enum Lookup<'a, T> {
    One(&'a T),
    Several(Vec<&'a T>),
    None,
}

/// Finds an item by what a person typed: the tiers are tried in order, and the first one
/// that matches anything decides.
pub fn resolve<'a, T>(
    query: &str,
    items: &'a [T],
    name_of: impl Fn(&T) -> &str,
    tiers: &[Tier],
) -> Lookup<'a, T> {
    for tier in tiers {
        let mut found = items.iter().filter(|i| (tier.matches)(query, name_of(i)));
        let Some(first) = found.next() else {
            continue;
        };
        if !tier.unique {
            return Lookup::One(first);
        }
        let rest: Vec<&T> = found.collect();
        if rest.is_empty() {
            return Lookup::One(first);
        }
        return Lookup::Several(std::iter::once(first).chain(rest).collect());
    }
    Lookup::None
}

/// A name without its extension.
pub fn stem(name: &str) -> &str {
    name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds_in(base: &Path, recursive: bool) -> Result<Vec<String>> {
        let dirs = [base.join("seeds")];
        let spec = Spec {
            what: "seed",
            dirs_word: "seeds",
            directories: &dirs,
            recursive,
            follow_links: true,
            candidate: |n| n.ends_with(".yaml"),
            display: &|_, _, path| display_relative(base, path),
        };
        let found = discover(base, &spec, |_| Ok(()))?;
        Ok(found.into_iter().map(|(e, _)| e.name).collect())
    }

    #[test]
    fn walks_folders_and_linked_folders_but_not_loops() {
        use std::os::unix::fs::symlink;
        let base = std::env::temp_dir().join(format!("furrow-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        for d in ["seeds/sub", "seeds/.hidden", "shared"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        for f in [
            "seeds/01.yaml",
            "seeds/sub/02.yaml",
            "seeds/.hidden/03.yaml",
            "shared/04.yaml",
            "seeds/README.md",
        ] {
            std::fs::write(base.join(f), "").unwrap();
        }
        symlink("../shared", base.join("seeds/linked")).unwrap();
        symlink("..", base.join("seeds/sub/back")).unwrap();
        symlink("nowhere", base.join("seeds/notes.txt")).unwrap();
        assert_eq!(
            seeds_in(&base, true).unwrap(),
            ["01.yaml", "linked/04.yaml", "sub/02.yaml"]
        );
        assert_eq!(seeds_in(&base, false).unwrap(), ["01.yaml"]);
        symlink("..", base.join("seeds/sub/x.yaml")).unwrap();
        let e = seeds_in(&base, true).unwrap_err();
        assert_eq!(
            e.message,
            "seeds/sub/x.yaml is a link to a folder that contains it (a loop)"
        );
        symlink("gone.yaml", base.join("seeds/05.yaml")).unwrap();
        let e = seeds_in(&base, false).unwrap_err();
        assert_eq!(
            e.message,
            "seeds/05.yaml is a link to gone.yaml, which does not exist"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn the_first_tier_that_matches_decides() {
        let names = ["a.sql", "b.sql", "b.yaml"];
        let tiers = [
            Tier {
                matches: |q, n| q == n,
                unique: true,
            },
            Tier {
                matches: |q, n| stem(n) == q,
                unique: true,
            },
        ];
        let r = |q: &str| resolve(q, &names, |s| s, &tiers);
        assert_eq!(r("a.sql"), Lookup::One(&"a.sql"));
        assert_eq!(r("a"), Lookup::One(&"a.sql"));
        assert_eq!(r("b"), Lookup::Several(vec![&"b.sql", &"b.yaml"]));
        assert_eq!(r("c"), Lookup::None);
        let first = [Tier {
            matches: |q, n| stem(n) == q,
            unique: false,
        }];
        assert_eq!(resolve("b", &names, |s| s, &first), Lookup::One(&"b.sql"));
    }
}
