//! A small SQLite lexer: enough to find top-level commas, parentheses, names and keywords.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum K {
    Word,
    /// `"x"`, `` `x` ``, `[x]`
    Quoted,
    Str,
    Num,
    LParen,
    RParen,
    Comma,
    Dot,
    Other,
    Space,
    LineComment,
    BlockComment,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub(super) k: K,
    pub(super) s: usize,
    pub(super) e: usize,
}

impl Tok {
    pub(super) fn significant(&self) -> bool {
        !matches!(self.k, K::Space | K::LineComment | K::BlockComment)
    }
}

pub(super) fn lex(src: &str) -> Vec<Tok> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let k = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                K::Space
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                K::LineComment
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                K::BlockComment
            }
            b'\'' | b'"' | b'`' => {
                i = quoted_end(b, i);
                if c == b'\'' {
                    K::Str
                } else {
                    K::Quoted
                }
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                K::Quoted
            }
            b'(' => {
                i += 1;
                K::LParen
            }
            b')' => {
                i += 1;
                K::RParen
            }
            b',' => {
                i += 1;
                K::Comma
            }
            b'.' => {
                i += 1;
                K::Dot
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                K::Word
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                K::Num
            }
            _ => {
                i += 1;
                K::Other
            }
        };
        out.push(Tok { k, s: start, e: i });
    }
    out
}

/// The end of the quoted text starting at `i` (the quote doubled inside it is an escape).
fn quoted_end(b: &[u8], mut i: usize) -> usize {
    let c = b[i];
    i += 1;
    while i < b.len() {
        if b[i] == c {
            if b.get(i + 1) == Some(&c) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    i
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// The significant tokens of a text.
pub(super) struct Toks<'a> {
    pub(super) src: &'a str,
    pub(super) t: Vec<Tok>,
}

impl<'a> Toks<'a> {
    pub(super) fn new(src: &'a str) -> Toks<'a> {
        Toks {
            src,
            t: lex(src).into_iter().filter(Tok::significant).collect(),
        }
    }
    pub(super) fn text(&self, i: usize) -> &'a str {
        &self.src[self.t[i].s..self.t[i].e]
    }
    pub(super) fn kind(&self, i: usize) -> Option<K> {
        self.t.get(i).map(|t| t.k)
    }
    /// The keyword at `i`, upper-cased (bare words only).
    pub(super) fn word(&self, i: usize) -> Option<String> {
        match self.kind(i) {
            Some(K::Word) => Some(self.text(i).to_ascii_uppercase()),
            _ => None,
        }
    }
    pub(super) fn is_word(&self, i: usize, w: &str) -> bool {
        self.word(i).as_deref() == Some(w)
    }
    /// The name at `i` (bare, quoted or a string literal used as a name).
    pub(super) fn name(&self, i: usize) -> Option<String> {
        let t = self.t.get(i)?;
        let raw = self.text(i);
        match t.k {
            K::Word => Some(raw.to_string()),
            K::Quoted | K::Str => Some(unquote(raw)),
            _ => None,
        }
    }
    /// Index of the parenthesis closing the one opened at `open`.
    pub(super) fn close(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for i in open..self.t.len() {
            match self.t[i].k {
                K::LParen => depth += 1,
                K::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }
    /// Token index ranges between `open` and its closing parenthesis, split at top-level commas.
    pub(super) fn list(&self, open: usize) -> Option<(Vec<(usize, usize)>, usize)> {
        let close = self.close(open)?;
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = open + 1;
        for i in open + 1..close {
            match self.t[i].k {
                K::LParen => depth += 1,
                K::RParen => depth -= 1,
                K::Comma if depth == 0 => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push((start, close));
        Some((items, close))
    }
    /// Names (bare or quoted words) mentioned in tokens `from..to`.
    pub(super) fn names_in(&self, from: usize, to: usize) -> Vec<String> {
        (from..to.min(self.t.len()))
            .filter(|&i| matches!(self.t[i].k, K::Word | K::Quoted))
            .filter_map(|i| self.name(i))
            .collect()
    }
}

pub(super) fn unquote(raw: &str) -> String {
    let first = raw.chars().next().unwrap_or(' ');
    let (open, close) = match first {
        '"' => ('"', '"'),
        '`' => ('`', '`'),
        '\'' => ('\'', '\''),
        '[' => ('[', ']'),
        _ => return raw.to_string(),
    };
    let inner = raw.strip_prefix(open).unwrap_or(raw);
    let inner = inner.strip_suffix(close).unwrap_or(inner);
    if open == '[' {
        inner.to_string()
    } else {
        inner.replace(&format!("{close}{close}"), &close.to_string())
    }
}

pub(super) fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

pub(super) fn mentions(names: &[String], any_of: &[String]) -> bool {
    names.iter().any(|n| any_of.iter().any(|c| eq(n, c)))
}
