//! `${VAR}` and `${VAR:-default}` in knexfile strings, and the `.env` file beside it.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads `.env` beside the knexfile into a map (the real environment wins over it).
pub(super) fn read_dotenv(dir: &Path) -> Result<HashMap<String, String>> {
    let path = dir.join(".env");
    let mut vars = HashMap::new();
    if !path.is_file() {
        return Ok(vars);
    }
    let iter = dotenvy::from_path_iter(&path)
        .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
    for item in iter {
        let (k, v) = item.map_err(|e| {
            Error::config(format!("{} is not a valid .env file: {e}", path.display()))
                .hint("write one KEY=value per line")
        })?;
        vars.insert(k, v);
    }
    Ok(vars)
}

#[derive(Debug, PartialEq)]
pub enum InterpError {
    Unset(String),
    Syntax(String),
}

/// `${VAR}`, `${VAR:-default}`; `$${` writes a literal `${`.
pub fn interpolate(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpError> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix("${") {
            out.push_str("${");
            rest = a;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| InterpError::Syntax("`${` without a closing `}`".to_string()))?;
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(InterpError::Syntax(format!(
                    "`${{{inner}}}` is not a variable reference; names are letters, digits and _"
                )));
            }
            match (
                lookup(name).filter(|v| !(v.is_empty() && default.is_some())),
                default,
            ) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return Err(InterpError::Unset(name.to_string())),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A variable lookup over fixed pairs, for tests.
#[cfg(test)]
pub(super) fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_variables_and_defaults() {
        let e = vars(&[("A", "1"), ("EMPTY", "")]);
        assert_eq!(interpolate("x${A}y", &e).unwrap(), "x1y");
        assert_eq!(interpolate("${B:-def}", &e).unwrap(), "def");
        assert_eq!(interpolate("${EMPTY:-def}", &e).unwrap(), "def");
        assert_eq!(interpolate("${EMPTY}", &e).unwrap(), "");
        assert_eq!(interpolate("$${A} $5", &e).unwrap(), "${A} $5");
        assert_eq!(interpolate("${B}", &e), Err(InterpError::Unset("B".into())));
        assert!(matches!(
            interpolate("${A", &e),
            Err(InterpError::Syntax(_))
        ));
        assert!(matches!(
            interpolate("${A B}", &e),
            Err(InterpError::Syntax(_))
        ));
    }
}
