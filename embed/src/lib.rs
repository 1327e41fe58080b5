//! `furrow::embed!("migrations")`: every file of a directory (relative to the crate's
//! `Cargo.toml`, walked recursively, in name order) compiled into the binary with
//! `include_bytes!`, so an edited file rebuilds the crate. A file added to or removed from
//! the directory is seen on the next build of the crate; to make cargo rebuild for that too,
//! put `println!("cargo:rerun-if-changed=migrations");` in the crate's `build.rs`.
//!
//! Written without `syn`/`quote`: the macro takes one string literal and writes tokens.

use proc_macro::{Literal, TokenStream, TokenTree};
use std::path::{Path, PathBuf};

fn error(message: &str) -> TokenStream {
    format!("::core::compile_error!({})", Literal::string(message))
        .parse()
        .expect("a compile_error! call")
}

/// The directory the literal names.
fn argument(input: TokenStream) -> Result<String, String> {
    let mut tokens = input.into_iter();
    let (Some(TokenTree::Literal(lit)), None) = (tokens.next(), tokens.next()) else {
        return Err(
            "furrow::embed! takes one string: the directory, e.g. embed!(\"migrations\")".into(),
        );
    };
    let text = lit.to_string();
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(|| format!("furrow::embed!: expected a string literal, found {text}"))?;
    if inner.contains('\\') {
        return Err("furrow::embed!: write the directory without escapes (use `/`)".into());
    }
    Ok(inner.to_string())
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("furrow::embed!: cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("furrow::embed!: {e}"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            walk(&path, &rel_name, out)?;
        } else if path.is_file() {
            out.push((rel_name, path));
        }
    }
    Ok(())
}

/// Every file of a directory, compiled in: `furrow::embed!("migrations")` is a
/// `furrow::Embedded` holding each file's path (relative to the directory, with `/`) and
/// bytes.
#[proc_macro]
pub fn embed(input: TokenStream) -> TokenStream {
    let dir = match argument(input) {
        Ok(d) => d,
        Err(e) => return error(&e),
    };
    let root = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(m) => PathBuf::from(m).join(&dir),
        None => PathBuf::from(&dir),
    };
    if !root.is_dir() {
        return error(&format!(
            "furrow::embed!: {} is not a directory (the path is relative to the crate's Cargo.toml)",
            root.display()
        ));
    }
    let mut files = Vec::new();
    if let Err(e) = walk(&root, "", &mut files) {
        return error(&e);
    }
    files.sort();
    let mut items = String::new();
    for (rel, path) in &files {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        items.push_str(&format!(
            "({}, ::core::include_bytes!({}) as &'static [u8]),",
            Literal::string(rel),
            Literal::string(&abs.to_string_lossy())
        ));
    }
    format!(
        "::furrow::Embedded::new({}, &[{items}])",
        Literal::string(&dir)
    )
    .parse()
    .unwrap_or_else(|_| error("furrow::embed!: could not write the file list"))
}
