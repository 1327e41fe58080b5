//! Values bound to statements, and the SQL dialects furrow speaks.

use std::fmt;

/// The SQL dialect of a connection: how identifiers are quoted, which statements
/// commit implicitly, how an upsert is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Mysql,
}

impl Dialect {
    /// The engine's name, for messages: "SQLite", "MySQL".
    pub fn engine(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Mysql => "MySQL",
        }
    }

    /// The short name used in YAML (`sql: {sqlite: …, mysql: …}`) and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
        }
    }

    /// Quotes an identifier for this dialect, doubling any embedded quote character.
    pub fn quote_ident(self, ident: &str) -> String {
        let q = match self {
            Dialect::Sqlite => '"',
            Dialect::Mysql => '`',
        };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// A string literal for places where SQL cannot take a bound parameter (DDL defaults).
    pub fn quote_str(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Mysql => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value bound to a statement parameter. Never spliced into SQL text.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// Converts a YAML scalar (or a map/list, which becomes its JSON text) into a value:
    /// null → NULL, booleans → 1/0, numbers, strings.
    pub fn from_yaml(v: &serde_yaml::Value) -> Value {
        use serde_yaml::Value as Y;
        match v {
            Y::Null => Value::Null,
            Y::Bool(b) => Value::Int(i64::from(*b)),
            Y::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    // Larger than i64: keep every digit by sending it as text.
                    Value::Text(u.to_string())
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Y::String(s) => Value::Text(s.clone()),
            Y::Tagged(t) => Value::from_yaml(&t.value),
            Y::Sequence(_) | Y::Mapping(_) => {
                Value::Text(serde_json::to_string(&yaml_to_json(v)).unwrap_or_default())
            }
        }
    }

    /// A short rendering for messages and dry runs (strings quoted, long ones cut).
    pub fn preview(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(s) => {
                let cut: String = s.chars().take(40).collect();
                if cut.len() < s.len() {
                    format!("'{cut}…'")
                } else {
                    format!("'{cut}'")
                }
            }
            Value::Bytes(b) => format!("<{} bytes>", b.len()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// An integer written the way the engines print it ("12", "-3"; not "012", "+1", "1.0"):
/// text that an integer column would store as exactly this number.
pub fn canonical_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

/// YAML → JSON for map and list values stored as JSON text.
pub fn yaml_to_json(v: &serde_yaml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_yaml::Value as Y;
    match v {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0))
                    .map(J::Number)
                    .unwrap_or(J::Null)
            }
        }
        Y::String(s) => J::String(s.clone()),
        Y::Sequence(items) => J::Array(items.iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut obj = serde_json::Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                obj.insert(key, yaml_to_json(v));
            }
            J::Object(obj)
        }
        Y::Tagged(t) => yaml_to_json(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers_per_dialect() {
        assert_eq!(Dialect::Sqlite.quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Mysql.quote_ident("a`b"), "`a``b`");
    }

    #[test]
    fn quotes_strings_per_dialect() {
        assert_eq!(Dialect::Sqlite.quote_str("it's \\"), "'it''s \\'");
        assert_eq!(Dialect::Mysql.quote_str("it's \\"), "'it''s \\\\'");
    }

    #[test]
    fn yaml_values_convert() {
        let y: serde_yaml::Value =
            serde_yaml::from_str("[null, true, 3, 2.5, x, {a: 1}, [1, 2]]").unwrap();
        let got: Vec<Value> = y
            .as_sequence()
            .unwrap()
            .iter()
            .map(Value::from_yaml)
            .collect();
        assert_eq!(
            got,
            vec![
                Value::Null,
                Value::Int(1),
                Value::Int(3),
                Value::Float(2.5),
                Value::Text("x".into()),
                Value::Text("{\"a\":1}".into()),
                Value::Text("[1,2]".into()),
            ]
        );
    }
}
