//! The lexical elements of SQL shared by the splitter and the classifiers: quoted tokens,
//! comments, words; and the lexer that reads a statement's head as tokens.

// Classification tokenizer (dialect-agnostic, for short statement heads).

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare word (keyword, identifier, number), uppercased.
    Word(String),
    /// A quoted identifier's content, uppercased.
    Ident(String),
    /// A string literal.
    Str,
    /// Any other character.
    Punct(u8),
}

pub(super) fn tokens(sql: &str, limit: usize) -> Vec<Tok> {
    let mut lx = Lexer::new(sql);
    let mut out = Vec::new();
    while out.len() < limit {
        match lx.next_tok() {
            Some(t) => out.push(t),
            None => break,
        }
    }
    out
}

pub(super) struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    /// Inside a MySQL `/*!NNNNN … */` executable comment: its `*/` is skipped.
    in_exec_comment: bool,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(sql: &'a str) -> Self {
        Lexer {
            b: sql.as_bytes(),
            pos: 0,
            in_exec_comment: false,
        }
    }

    pub(super) fn next_tok(&mut self) -> Option<Tok> {
        let b = self.b;
        loop {
            let c = *b.get(self.pos)?;
            let c1 = b.get(self.pos + 1).copied();
            match c {
                c if c.is_ascii_whitespace() || c == 0x0b => self.pos += 1,
                b'-' if c1 == Some(b'-') => self.skip_line(),
                b'#' => self.skip_line(),
                b'/' if c1 == Some(b'*') => match executable_code(b, self.pos + 2) {
                    Some(code) => {
                        self.pos = code;
                        self.in_exec_comment = true;
                    }
                    None => self.pos = find(b, self.pos + 2, b"*/").map_or(b.len(), |e| e + 2),
                },
                b'*' if c1 == Some(b'/') && self.in_exec_comment => {
                    self.in_exec_comment = false;
                    self.pos += 2;
                }
                b'\'' | b'"' => {
                    let end = quoted_end(b, self.pos, c, true).unwrap_or(b.len());
                    let content = &b[self.pos + 1..end.saturating_sub(1).max(self.pos + 1)];
                    self.pos = end;
                    // A "…" is an identifier in SQLite (and MySQL's ANSI_QUOTES).
                    return Some(if c == b'"' {
                        Tok::Ident(upper(content))
                    } else {
                        Tok::Str
                    });
                }
                b'`' | b'[' => {
                    let close = if c == b'[' { b']' } else { b'`' };
                    let end = quoted_end(b, self.pos, close, false).unwrap_or(b.len());
                    let content = &b[self.pos + 1..end.saturating_sub(1).max(self.pos + 1)];
                    self.pos = end;
                    return Some(Tok::Ident(upper(content)));
                }
                c if is_word_byte(c) => {
                    let start = self.pos;
                    while self.pos < b.len() && is_word_byte(b[self.pos]) {
                        self.pos += 1;
                    }
                    return Some(Tok::Word(upper(&b[start..self.pos])));
                }
                _ => {
                    self.pos += 1;
                    return Some(Tok::Punct(c));
                }
            }
        }
    }

    fn skip_line(&mut self) {
        self.pos = find(self.b, self.pos, b"\n").unwrap_or(self.b.len());
    }
}

/// After the `/*` of a MySQL executable comment (`/*!NNNNN …`, MariaDB's `/*M!NNNNN …`):
/// where the code it holds starts. None for any other comment.
fn executable_code(b: &[u8], after_open: usize) -> Option<usize> {
    let mut p = after_open;
    if b.get(p) == Some(&b'M') && b.get(p + 1) == Some(&b'!') {
        p += 1;
    }
    if b.get(p) != Some(&b'!') {
        return None;
    }
    p += 1;
    while p < b.len() && b[p].is_ascii_digit() {
        p += 1;
    }
    Some(p)
}

/// Whether a comment whose text (after `/*`) is `rest` is code to MySQL: an executable
/// comment or an optimizer hint (`/*+ … */`).
pub(super) fn is_code_comment(rest: &[u8]) -> bool {
    executable_code(rest, 0).is_some() || rest.first() == Some(&b'+')
}

fn upper(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_uppercase()
}

/// End (exclusive) of the quoted token opening at `start` with `q` (closed by `close`, doubled
/// to escape; with `backslash`, `\` escapes the next byte). None when unterminated.
pub(super) fn quoted_end(b: &[u8], start: usize, close: u8, backslash: bool) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        let c = b[i];
        if backslash && c == b'\\' {
            i += 2;
        } else if c == close {
            if close != b']' && b.get(i + 1) == Some(&close) {
                i += 2;
            } else {
                return Some(i + 1);
            }
        } else {
            i += 1;
        }
    }
    None
}

pub(super) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Bytes of a bare word: ASCII letters, digits, `_`, `$`, and any non-ASCII (UTF-8) byte.
pub(super) fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

pub(super) fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}
