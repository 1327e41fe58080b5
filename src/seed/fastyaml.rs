//! A fast reader for the common shape of a big YAML seed — one block whose `rows:` is a list
//! of one-line flow maps of simple scalars:
//!
//! ```yaml
//! table: accounts
//! rows:
//!   - { id: 1, name: John Smith, description: CEO }
//! ```
//!
//! libyaml spends ~20,000 instructions a row on that; this reader a few hundred. It accepts
//! only a conservative subset whose meaning is certain, and returns `None` for anything else,
//! so the full YAML parser decides every other case. Scalars resolve exactly as serde_yaml
//! resolves them (YAML 1.2 core schema).

use std::borrow::Cow;

use super::source::InlineRows;
use crate::db::Value;

/// Where the `rows:` list of a one-block seed is, and its rows, when the fast reader can read it.
pub struct FastRows {
    /// The document with the rows blanked out (`rows: []`), line numbers unchanged.
    pub header: String,
    pub rows: InlineRows,
}

/// Splits off and reads the rows; `None` means "use the full parser".
pub fn split(text: &str) -> Option<FastRows> {
    let bytes = text.as_bytes();
    if memchr::memchr2(b'\t', b'\r', bytes).is_some() || yaml_would_object(bytes) {
        return None;
    }
    let lines = |from: usize| {
        let mut pos = from;
        std::iter::from_fn(move || {
            (pos < bytes.len()).then(|| {
                let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
                let line = (pos, end);
                pos = end;
                line
            })
        })
    };
    let trimmed = |(a, b): (usize, usize)| text[a..b].trim_end_matches(['\n', ' ']);
    let is_rows_key = |t: &str| t == "rows:" || t.starts_with("rows: #");
    let is_marker = |t: &str| t.starts_with("---") || t.starts_with("...");
    // The `rows:` line, then the list under it: up to the next line at indent 0 that is not
    // an item, a comment or blank.
    let mut rows_line = None;
    for line in lines(0) {
        let t = trimmed(line);
        if is_marker(t) {
            return None;
        }
        if is_rows_key(t) {
            rows_line = Some(line);
            break;
        }
    }
    let (rows_start, region_start) = rows_line?;
    let mut region_end = bytes.len();
    for (a, b) in lines(region_start) {
        let t = trimmed((a, b));
        let content = t.trim_start_matches(' ');
        if t.len() == content.len()
            && !content.is_empty()
            && !content.starts_with('#')
            && !content.starts_with("- ")
        {
            region_end = a;
            break;
        }
    }
    for line in lines(region_end) {
        let t = trimmed(line);
        if is_marker(t) || is_rows_key(t) {
            return None;
        }
    }
    let region = &text[region_start..region_end];
    let rows = read_region(region)?;
    let mut header = String::with_capacity(rows_start + 64 + (bytes.len() - region_end));
    header.push_str(&text[..rows_start]);
    header.push_str("rows: []\n");
    header.extend(std::iter::repeat_n(
        '\n',
        memchr::memchr_iter(b'\n', region.as_bytes()).count(),
    ));
    header.push_str(&text[region_end..]);
    Some(FastRows { header, rows })
}

/// Reads the list items of the `rows:` region; big lists in two halves, on two cores.
fn read_region(region: &str) -> Option<InlineRows> {
    if region.len() <= 256 * 1024 {
        return Some(parse_items(region)?.0);
    }
    let mid = region.len() / 2;
    let cut =
        memchr::memchr(b'\n', &region.as_bytes()[mid..]).map_or(region.len(), |i| mid + i + 1);
    let (first, second) = region.split_at(cut);
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| parse_items(second));
        (parse_items(first), h.join().ok().flatten())
    });
    let (mut a, b) = (a?, b?);
    if a.1.is_some() && b.1.is_some() && a.1 != b.1 {
        return None; // items at different indentation: not a list we understand
    }
    a.0.append(b.0);
    Some(a.0)
}

/// Characters libyaml refuses ("control characters are not allowed": C0 controls but tab and
/// line breaks, DEL, C1 controls but NEL, U+FFFE, U+FFFF) or reads as line breaks (NEL, U+2028,
/// U+2029): the full parser must see them, so both readers give a file the same outcome.
fn yaml_would_object(bytes: &[u8]) -> bool {
    special_char(bytes, true).is_some()
}

/// Where the first character is that YAML does not allow in a file (libyaml's "control
/// characters are not allowed"), as a byte offset.
pub fn forbidden_char(text: &str) -> Option<usize> {
    special_char(text.as_bytes(), false)
}

fn special_char(bytes: &[u8], or_line_break: bool) -> Option<usize> {
    let at = |i: usize| bytes.get(i).copied();
    bytes.iter().enumerate().position(|(i, &b)| match b {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1f | 0x7f => true,
        // 0xC2 0x80–0x9F: U+0080–U+009F (C1 controls; U+0085, NEL, is a line break).
        0xc2 => {
            at(i + 1).is_some_and(|c| (0x80..=0x9f).contains(&c) && (c != 0x85 || or_line_break))
        }
        // 0xE2 0x80 0xA8/0xA9: U+2028, U+2029 (line breaks to libyaml).
        0xe2 => or_line_break && at(i + 1) == Some(0x80) && matches!(at(i + 2), Some(0xa8 | 0xa9)),
        // 0xEF 0xBF 0xBE/0xBF: U+FFFE, U+FFFF.
        0xef => at(i + 1) == Some(0xbf) && matches!(at(i + 2), Some(0xbe | 0xbf)),
        _ => false,
    })
}

/// Reads the items of a list region: each line blank, a comment, or `- { … }`, all at one
/// indentation (returned with the rows).
fn parse_items(region: &str) -> Option<(InlineRows, Option<usize>)> {
    let mut rows = InlineRows::default();
    let mut keys: Vec<Cow<'_, str>> = Vec::with_capacity(16);
    let mut item_indent: Option<usize> = None;
    for line in region.split_inclusive('\n') {
        let t = line.trim_end_matches(['\n', ' ']);
        let content = t.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = t.len() - content.len();
        if !content.starts_with("- ") {
            return None;
        }
        match item_indent {
            None => item_indent = Some(indent),
            Some(i) if i != indent => return None,
            _ => {}
        }
        keys.clear();
        parse_row(&content[2..], &mut keys, &mut rows)?;
        rows.end_row(&keys);
    }
    Some((rows, item_indent))
}

/// `{ key: value, key: value }` with an optional trailing comment.
fn parse_row<'a>(s: &'a str, keys: &mut Vec<Cow<'a, str>>, row: &mut InlineRows) -> Option<()> {
    let s = s.trim_start();
    let mut rest = s.strip_prefix('{')?;
    loop {
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix('}') {
            return end_of_line(after).then_some(());
        }
        let (key, after_key) = scalar_token(rest, true)?;
        let key: Cow<'a, str> = match key {
            Token::Plain(k) if is_simple_key(k) => Cow::Borrowed(k),
            Token::Quoted(k) => Cow::Owned(k),
            _ => return None,
        };
        rest = after_key.trim_start_matches(' ').strip_prefix(':')?;
        if !rest.starts_with(' ') {
            return None;
        }
        rest = rest.trim_start_matches(' ');
        let (value, after_value) = scalar_token(rest, false)?;
        let value = match value {
            Token::Plain(v) => resolve_plain(v)?,
            Token::Quoted(v) => Resolved::Text(Cow::Owned(v)),
        };
        if keys.contains(&key) {
            // serde_yaml reports duplicate keys: let it.
            return None;
        }
        keys.push(key);
        match value {
            Resolved::Text(t) => row.add_text(&t),
            Resolved::Value(v) => row.add(v),
        }
        rest = after_value.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if !rest.starts_with('}') {
            return None;
        }
    }
}

fn end_of_line(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.starts_with('#')
}

fn is_simple_key(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

enum Token<'a> {
    Plain(&'a str),
    Quoted(String),
}

/// A quoted scalar, or a plain one that ends at `,` `}` (or `:` for keys).
fn scalar_token(s: &str, key: bool) -> Option<(Token<'_>, &str)> {
    match s.as_bytes().first()? {
        b'\'' => {
            let mut out = String::new();
            let mut rest = &s[1..];
            loop {
                let i = memchr::memchr(b'\'', rest.as_bytes())?;
                out.push_str(&rest[..i]);
                if rest[i + 1..].starts_with('\'') {
                    out.push('\'');
                    rest = &rest[i + 2..];
                } else {
                    return Some((Token::Quoted(out), &rest[i + 1..]));
                }
            }
        }
        b'"' => {
            let body = &s[1..];
            let end = memchr::memchr(b'"', body.as_bytes())?;
            let inner = &body[..end];
            if inner.contains('\\') {
                return None;
            }
            Some((Token::Quoted(inner.to_string()), &body[end + 1..]))
        }
        _ => {
            let end = if key {
                memchr::memchr3(b',', b'}', b':', s.as_bytes())
            } else {
                memchr::memchr2(b',', b'}', s.as_bytes())
            }
            .unwrap_or(s.len());
            let v = s[..end].trim_end_matches(' ');
            if v.is_empty() || !plain_is_safe(v) {
                return None;
            }
            Some((Token::Plain(v), &s[end..]))
        }
    }
}

/// Characters that would make a plain scalar mean something else in YAML.
fn plain_is_safe(v: &str) -> bool {
    let first = v.as_bytes()[0];
    !matches!(
        first,
        b'-' | b'?'
            | b':'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b'.'
            | b'+'
    ) && !v
        .bytes()
        .any(|c| matches!(c, b':' | b'#' | b'[' | b']' | b'{' | b'}' | b'\'' | b'"'))
        || is_number_like(v)
}

fn is_number_like(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// A scalar's value; text stays borrowed from the file until it is stored.
enum Resolved<'a> {
    Text(Cow<'a, str>),
    Value(Value),
}

/// The value serde_yaml gives a plain scalar, for the shapes whose meaning is certain.
fn resolve_plain(v: &str) -> Option<Resolved<'_>> {
    match v {
        "null" | "Null" | "NULL" | "~" => return Some(Resolved::Value(Value::Null)),
        "true" | "True" | "TRUE" => return Some(Resolved::Value(Value::Int(1))),
        "false" | "False" | "FALSE" => return Some(Resolved::Value(Value::Int(0))),
        _ => {}
    }
    let b = v.as_bytes();
    let digits = v.strip_prefix('-').unwrap_or(v);
    if b[0].is_ascii_digit() || b[0] == b'-' {
        // Decimal integers without leading zeros, that fit in i64.
        if !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && digits.len() <= 18
        {
            return v
                .parse::<i64>()
                .ok()
                .map(|i| Resolved::Value(Value::Int(i)));
        }
        // Plain decimals like 2.5 (no exponent, no leading zeros but `0.`).
        if let Some((int, frac)) = digits.split_once('.') {
            let int_ok = int == "0" || (!int.is_empty() && !int.starts_with('0'));
            if int_ok
                && int.bytes().all(|c| c.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|c| c.is_ascii_digit())
                && int.len() + frac.len() <= 15
            {
                return v
                    .parse::<f64>()
                    .ok()
                    .map(|f| Resolved::Value(Value::Float(f)));
            }
        }
        // Anything else that starts like a number (0x1F, 1e5, 007, 1_000 …): the full parser.
        return None;
    }
    if b[0].is_ascii_alphabetic() || b[0] >= 0x80 || b[0] == b'_' || b[0] == b'/' || b[0] == b'(' {
        return Some(Resolved::Text(Cow::Borrowed(v)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(rows: &InlineRows) -> Vec<Vec<(String, Value)>> {
        rows.to_pairs()
    }

    /// The full parser's reading of the same rows, for comparison.
    fn slow(text: &str) -> Vec<Vec<(String, Value)>> {
        let doc: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        doc["rows"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_mapping()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap().to_string(), Value::from_yaml(v)))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn reads_what_the_full_parser_reads() {
        let text = "# demo\ntable: accounts\nmode: upsert\nrows:\n  - { id: 1, name: John Smith, description: CEO }\n  # a comment\n\n  - {id: 2, name: 'Ed O''Neil', description: \"C, T: O\", n: -3, f: 2.5, z: 0, b: true, x: null, y: ~, u: Ünïcode, p: /path/x }   # trailing\n  - { id: 3, name: Wendy Jones, neg: -0.5, big: 123456789012345678 }\nkey: [id]\n";
        let fast = split(text).expect("fast path applies");
        assert_eq!(pairs(&fast.rows), slow(text));
        assert_eq!(fast.rows.len(), 3);
        // The header keeps every other key, and the line numbers.
        assert_eq!(fast.header.lines().count(), text.lines().count());
        let header: serde_yaml::Value = serde_yaml::from_str(&fast.header).unwrap();
        assert_eq!(header["key"][0], "id");
        assert_eq!(header["rows"].as_sequence().unwrap().len(), 0);
    }

    #[test]
    fn leaves_uncertain_shapes_to_the_full_parser() {
        for row in [
            "{ id: 0x1F }",
            "{ id: 1e5 }",
            "{ id: 007 }",
            "{ id: 1_000 }",
            "{ id: .inf }",
            "{ id: +1 }",
            "{ id: 1, name: a: b }",
            "{ id: 1, name: \"esc\\n\" }",
            "{ id: 1, id: 2 }",
            "{ id: 1, tags: [a, b] }",
            "{ id: 1, name: &anchor x }",
            "{ id: 1, name: }",
            "{ id: 1 } extra",
        ] {
            let text = format!("table: t\nrows:\n  - {row}\n");
            assert!(split(&text).is_none(), "{row}");
        }
        // Block-style rows, lists of blocks, flow lists: the full parser.
        assert!(split("table: t\nrows:\n  - id: 1\n    name: x\n").is_none());
        assert!(split("- table: t\n  rows:\n    - { id: 1 }\n").is_none());
        assert!(split("table: t\nrows: [{ id: 1 }]\n").is_none());
        assert!(split("table: t\nrows:\n  - { id: 1 }\n    - { id: 2 }\n").is_none());
    }

    #[test]
    fn generated_rows_agree_with_the_full_parser() {
        let samples = [
            "1",
            "-17",
            "0",
            "3.25",
            "-0.75",
            "true",
            "False",
            "NULL",
            "~",
            "plain text",
            "'quoted, with comma'",
            "\"double quoted\"",
            "'it''s'",
            "Zürich",
            "_under",
            "x-y.z",
            "(paren)",
            "/slash",
            "a b  c",
        ];
        let mut text = String::from("table: t\nrows:\n");
        for (i, a) in samples.iter().enumerate() {
            let b = samples[(i * 7 + 3) % samples.len()];
            text.push_str(&format!("  - {{ id: {i}, a: {a}, b: {b} }}\n"));
        }
        let fast = split(&text).expect("all simple");
        assert_eq!(pairs(&fast.rows), slow(&text));
    }

    #[test]
    fn control_characters_go_to_the_full_parser_which_refuses_them() {
        for bad in [
            "\0", "\u{1}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9f}", "\u{2028}", "\u{ffff}",
        ] {
            let text = format!("table: t\nrows:\n  - {{ id: 1, name: a{bad}b }}\n");
            assert!(split(&text).is_none(), "{bad:?}");
            let quoted = format!("table: t\nrows:\n  - {{ id: 1, name: 'a{bad}b' }}\n");
            assert!(split(&quoted).is_none(), "{bad:?}");
        }
        // Refused by the full parser, in flow and in block form alike.
        let raw_nul = "table: t\nrows:\n  - { id: 1, name: \"a\0b\" }\n";
        assert!(serde_yaml::from_str::<serde_yaml::Value>(raw_nul).is_err());
        let block = "table: t\nrows:\n  - id: 1\n    name: \"a\0b\"\n";
        assert!(serde_yaml::from_str::<serde_yaml::Value>(block).is_err());
        // Other non-ASCII text stays on the fast path.
        let fine = "table: t\nrows:\n  - { id: 1, name: Zürich \u{a0}\u{e9}\u{2027} }\n";
        assert_eq!(pairs(&split(fine).expect("fast").rows), slow(fine));
    }

    #[test]
    fn big_lists_read_in_two_halves_agree_with_the_full_parser() {
        let mut text = String::from("table: t\nmode: upsert\nrows:\n");
        for i in 0..12_000 {
            // Shapes change along the way, so merging must map them.
            if i % 5000 == 4999 {
                text.push_str(&format!("  - {{ id: {i}, extra: 'x{i}' }}\n"));
            } else {
                text.push_str(&format!(
                    "  - {{ id: {i}, name: name {i}, n: {} }}\n",
                    i as f64 / 4.0
                ));
            }
        }
        text.push_str("key: [id]\n");
        assert!(text.len() > 256 * 1024);
        let fast = split(&text).expect("fast path applies");
        assert_eq!(pairs(&fast.rows), slow(&text));
        assert_eq!(fast.header.lines().count(), text.lines().count());
        // Items of the two halves at different indentation: not for the fast reader.
        let cut = text.len() / 2;
        let nl = cut + text[cut..].find('\n').unwrap() + 1;
        let mut uneven = text[..nl].to_string();
        uneven.push_str(&text[nl..].replace("\n  - {", "\n    - {"));
        assert!(split(&uneven).is_none());
    }
}
