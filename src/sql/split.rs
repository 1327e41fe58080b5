//! Splitting SQL text into statements: quotes, comments, `BEGIN … END` bodies, `DELIMITER`,
//! the mysql client's commands.

use super::blocks::{follow_block, keyword, Block, Cur, Kw, Prev, StatementShape, T};
use super::client::{client_command, client_command_error, is_command_name, short_command};
use super::lex::{find, is_blank, is_code_comment, is_word_byte, quoted_end};
use super::{SplitError, Statement};
use crate::value::Dialect;

/// Splits `text` into statements. `first_line` is the file line number of the first line of
/// `text` (the text is often a section of a file that starts after a marker line).
///
/// `BEGIN … END` bodies are tracked only in CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT (and
/// MariaDB's `BEGIN NOT ATOMIC`) while the delimiter is `;`. A `DELIMITER x` line is a directive
/// between statements; inside an unfinished statement only a punctuation-only delimiter alone
/// on its line is (so a column named `delimiter` at a line start stays a column), and it ends
/// that statement, as the mysql client does.
pub fn split(
    text: &str,
    first_line: usize,
    dialect: Dialect,
) -> Result<Vec<Statement>, SplitError> {
    let mut s = Splitter {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        line: first_line,
        dialect,
        delim: b";".to_vec(),
        out: Vec::new(),
        cur: None,
        line_start: true,
    };
    // A UTF-8 byte order mark is not part of the first statement.
    if text.starts_with('\u{feff}') {
        s.pos = 3;
    }
    s.run()?;
    Ok(s.out)
}

struct Splitter<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: usize,
    dialect: Dialect,
    delim: Vec<u8>,
    out: Vec<Statement>,
    cur: Option<Cur>,
    /// Only blanks since the start of the current line (where `DELIMITER` is recognized).
    line_start: bool,
}

impl Splitter<'_> {
    fn run(&mut self) -> Result<(), SplitError> {
        let b = self.b;
        while self.pos < b.len() {
            let c = b[self.pos];
            if c == b'\n' {
                self.line += 1;
                self.pos += 1;
                self.line_start = true;
                continue;
            }
            if is_blank(c) {
                self.pos += 1;
                continue;
            }
            if self.line_start && (c == b'D' || c == b'd') && self.delimiter_directive()? {
                continue;
            }
            if self.line_start && self.cur.is_none() {
                self.client_command_line()?;
            }
            self.line_start = false;
            if self.at_delimiter() {
                let depth = self.cur.as_ref().map_or(0, |cur| cur.blocks.len());
                if depth == 0 || self.delim != b";" {
                    self.finish()?;
                    self.pos += self.delim.len();
                    continue;
                }
            }
            self.significant(c)?;
        }
        self.finish()
    }

    /// Reads the token starting with `c` at `self.pos` (not a blank, not the delimiter).
    fn significant(&mut self, c: u8) -> Result<(), SplitError> {
        let b = self.b;
        let mysql = self.dialect == Dialect::Mysql;
        let start = self.pos;
        let start_line = self.line;
        let c1 = b.get(start + 1).copied();
        match c {
            b'\'' => {
                self.quoted(b'\'', mysql, "string literal")?;
                self.token(start, start_line, T::Other);
            }
            b'"' => {
                let what = if mysql {
                    "string literal"
                } else {
                    "quoted identifier"
                };
                self.quoted(b'"', mysql, what)?;
                self.token(start, start_line, T::Other);
            }
            b'`' => {
                self.quoted(b'`', false, "quoted identifier")?;
                self.token(start, start_line, T::Other);
            }
            b'[' if !mysql => {
                self.quoted(b']', false, "bracketed identifier")?;
                self.token(start, start_line, T::Other);
            }
            b'-' if c1 == Some(b'-')
                && (!mysql || b.get(start + 2).is_none_or(|&c| c <= b' ' || c == 0x7f)) =>
            {
                self.pos = find(b, start, b"\n").unwrap_or(b.len());
            }
            b'#' if mysql => {
                self.pos = find(b, start, b"\n").unwrap_or(b.len());
            }
            // The mysql client's `\x` commands, recognised anywhere outside strings and
            // comments, as the client does (`\N`, MySQL's NULL, is not one).
            b'\\' if c1.is_some_and(|x| short_command(x).is_some()) => {
                self.client_escape(start, start_line)?
            }
            b'/' if c1 == Some(b'*') => self.block_comment(start, start_line, mysql)?,
            c if is_word_byte(c) => {
                let custom = self.delim != b";";
                let mut i = start + 1;
                while i < b.len()
                    && is_word_byte(b[i])
                    && !(custom && b[i..].starts_with(&self.delim))
                {
                    i += 1;
                }
                self.pos = i;
                let kw = if custom {
                    Kw::Other
                } else {
                    keyword(&b[start..i])
                };
                self.token(start, start_line, T::Word(kw));
            }
            _ => {
                self.pos += 1;
                let t = if c == b':' && c1 == Some(b'=') {
                    self.pos += 1;
                    T::Other
                } else {
                    T::Punct(c)
                };
                self.token(start, start_line, t);
            }
        }
        Ok(())
    }

    /// At `\x`, one of the mysql client's short commands.
    fn client_escape(&mut self, start: usize, start_line: usize) -> Result<(), SplitError> {
        let b = self.b;
        match b.get(start + 1).copied() {
            Some(b'd') => {
                self.delimiter_directive()?;
            }
            Some(b'g' | b'G') => {
                // `\g` / `\G` send the statement, as its delimiter would.
                self.finish()?;
                self.pos += 2;
            }
            Some(x) => {
                let eol = find(b, start, b"\n").unwrap_or(b.len());
                return Err(client_command_error(
                    start_line,
                    &self.src[start..eol],
                    short_command(x).unwrap_or(""),
                ));
            }
            None => unreachable!(),
        }
        Ok(())
    }

    /// At `/*`: a comment, or in MySQL `/*! … */` and `/*+ … */`, code.
    fn block_comment(
        &mut self,
        start: usize,
        start_line: usize,
        mysql: bool,
    ) -> Result<(), SplitError> {
        let b = self.b;
        let Some(end) = find(b, start + 2, b"*/") else {
            return Err(SplitError {
                line: start_line,
                message: format!(
                    "unterminated block comment starting at line {start_line}: add the closing */"
                ),
            });
        };
        self.line += count_newlines(&b[start..end]);
        self.pos = end + 2;
        if mysql && is_code_comment(&b[start + 2..]) {
            self.token(start, start_line, T::Other);
        }
        Ok(())
    }

    /// At the start of a statement and of a line: a line that the mysql client would take as
    /// one of its own commands (`source f.sql`, `status`, `exit` …) is refused. A line holding
    /// the delimiter is left to `finish`, as the client leaves it to the end of the statement.
    fn client_command_line(&self) -> Result<(), SplitError> {
        let b = self.b;
        // Most lines start with a word no command has: decide that before reading the line.
        let word_end = b[self.pos..]
            .iter()
            .position(|&c| is_blank(c))
            .map_or(b.len(), |n| self.pos + n);
        let word = &b[self.pos..word_end];
        if !is_command_name(word) {
            return Ok(());
        }
        let eol = find(b, self.pos, b"\n").unwrap_or(b.len());
        let line = &self.src[self.pos..eol];
        if find(line.as_bytes(), 0, &self.delim).is_some() {
            return Ok(());
        }
        match client_command(line) {
            Some(name) => Err(client_command_error(self.line, line.trim(), name)),
            None => Ok(()),
        }
    }

    fn at_delimiter(&self) -> bool {
        if self.delim == b";" {
            self.b[self.pos] == b';'
        } else {
            self.b[self.pos..].starts_with(&self.delim)
        }
    }

    /// At the first non-blank of a line starting with `d`/`D`, or at `\d` anywhere outside
    /// strings and comments: handles a `DELIMITER xx` (or `\d xx`) directive. The delimiter
    /// is read as the mysql client reads it: up to a blank, or quoted with `'`, `"` or `` ` ``
    /// (the quotes are not part of it). Returns false (consuming nothing) when the line is not
    /// a directive.
    fn delimiter_directive(&mut self) -> Result<bool, SplitError> {
        const WORD: &[u8] = b"DELIMITER";
        let b = self.b;
        let start = self.pos;
        let short = b[start] == b'\\';
        let after = if short {
            start + 2
        } else {
            let after = start + WORD.len();
            if b.len() < after
                || !b[start..after].eq_ignore_ascii_case(WORD)
                || b.get(after).is_some_and(|&c| !is_blank(c))
            {
                return Ok(false);
            }
            after
        };
        let eol = find(b, after, b"\n").unwrap_or(b.len());
        let mut i = after;
        while i < eol && is_blank(b[i]) {
            i += 1;
        }
        let quote = b
            .get(i)
            .copied()
            .filter(|q| matches!(q, b'\'' | b'"' | b'`') && i < eol);
        let mut j = i;
        while j < eol && !is_blank(b[j]) {
            j += 1;
        }
        if self.cur.is_some() && !short {
            // Inside a statement, a line starting with the word `delimiter` is usually a column
            // (`delimiter CHAR(1),`): only a punctuation-only delimiter alone on its line (the
            // closing `DELIMITER ;` after a forgotten `$$`) is taken as the directive.
            let rest_blank = b[j..eol].iter().all(|&c| is_blank(c));
            if i == j || !rest_blank || quote.is_some() || b[i..j].iter().any(|&c| is_word_byte(c))
            {
                return Ok(false);
            }
        }
        let delim = directive_delimiter(&b[i..j], &b[i..eol], quote, short, self.line)?;
        // A statement left open (its delimiter forgotten) ends here, as in the mysql client.
        self.finish()?;
        self.delim = delim;
        self.pos = eol;
        Ok(true)
    }

    /// Consumes a quoted token opening at `self.pos`.
    fn quoted(&mut self, close: u8, backslash: bool, what: &str) -> Result<(), SplitError> {
        let start = self.pos;
        match quoted_end(self.b, start, close, backslash) {
            Some(end) => {
                self.line += count_newlines(&self.b[start..end]);
                self.pos = end;
                Ok(())
            }
            None => {
                let line = self.line;
                let closing = close as char;
                Err(SplitError {
                    line,
                    message: format!(
                        "unterminated {what} starting at line {line}: add the closing {closing}"
                    ),
                })
            }
        }
    }

    /// Records a significant token spanning `start..self.pos`.
    fn token(&mut self, start: usize, start_line: usize, t: T) {
        let end = self.pos;
        let mysql = self.dialect == Dialect::Mysql;
        let cur = self.cur.get_or_insert(Cur {
            start,
            line: start_line,
            end,
            kind: StatementShape::Start,
            blocks: Vec::new(),
            prev: Prev::Other,
            after_end: false,
        });
        cur.end = end;
        if self.delim != b";" {
            // With a custom delimiter, `;` never splits: no block tracking needed.
            return;
        }
        match cur.kind {
            StatementShape::Start => {
                cur.kind = match t {
                    T::Word(Kw::Create) => StatementShape::Header(0),
                    T::Word(Kw::Begin) if mysql => StatementShape::MaybeAnonymousBlock(0),
                    _ => StatementShape::Plain,
                }
            }
            StatementShape::Header(n) => {
                cur.kind = match t {
                    T::Word(Kw::Routine) => StatementShape::Compound,
                    T::Word(Kw::Plain) => StatementShape::Plain,
                    _ if n >= 32 => StatementShape::Plain,
                    _ => StatementShape::Header(n + 1),
                }
            }
            StatementShape::MaybeAnonymousBlock(0) if t == T::Word(Kw::Not) => {
                cur.kind = StatementShape::MaybeAnonymousBlock(1);
            }
            StatementShape::MaybeAnonymousBlock(1) if t == T::Word(Kw::Atomic) => {
                cur.kind = StatementShape::Compound;
                cur.blocks.push(Block::Statement);
                cur.prev = Prev::StatementStart;
            }
            StatementShape::MaybeAnonymousBlock(_) => cur.kind = StatementShape::Plain,
            StatementShape::Plain => {}
            StatementShape::Compound => follow_block(cur, t, mysql),
        }
    }

    /// Ends the current statement (if it has any significant token). A statement that is a
    /// command of the mysql client (`source f.sql;`, `status;`) is refused, as the client
    /// would run it itself rather than send it.
    fn finish(&mut self) -> Result<(), SplitError> {
        if let Some(cur) = self.cur.take() {
            let sql = &self.src[cur.start..cur.end];
            if let Some(name) = client_command(sql) {
                return Err(client_command_error(cur.line, sql, name));
            }
            self.out.push(Statement {
                sql: sql.to_string(),
                line: cur.line,
                number: self.out.len() + 1,
            });
        }
        Ok(())
    }
}

/// The delimiter a directive at `line` names: `word` as written, or unquoted from `rest` (the
/// line from its opening quote on) when it opens with a quote.
fn directive_delimiter(
    word: &[u8],
    rest: &[u8],
    quote: Option<u8>,
    short: bool,
    line: usize,
) -> Result<Vec<u8>, SplitError> {
    let what = if short { "`\\d`" } else { "DELIMITER" };
    let delim = match quote {
        None => word.to_vec(),
        Some(q) => match unquote_delimiter(rest, q, short) {
            Some(d) => d,
            None => {
                return Err(SplitError {
                    line,
                    message: format!(
                        "{what} directive at line {line}: the quoted delimiter has no closing {}",
                        q as char
                    ),
                })
            }
        },
    };
    if delim.is_empty() {
        return Err(SplitError {
            line,
            message: format!(
                "{what} directive at line {line} has no delimiter: write e.g. `DELIMITER $$` \
                 (and `DELIMITER ;` to restore the default)"
            ),
        });
    }
    if delim.contains(&b'\\') {
        return Err(SplitError {
            line,
            message: format!(
                "{what} directive at line {line}: a delimiter cannot contain a backslash; \
                 use e.g. `$$` or `//`"
            ),
        });
    }
    Ok(delim)
}

/// The argument of a quoted `DELIMITER 'x'` (from its opening quote to the end of the line),
/// unquoted as the mysql client does: a doubled quote is one quote, and a backslash escapes
/// the next byte (not in backticks, but always after `\d`). None when it is not closed.
fn unquote_delimiter(rest: &[u8], q: u8, short: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < rest.len() {
        let c = rest[i];
        if c == b'\\' && i + 1 < rest.len() && (short || q != b'`') {
            out.push(rest[i + 1]);
            i += 2;
        } else if c == q && rest.get(i + 1) == Some(&q) && !short {
            out.push(q);
            i += 2;
        } else if c == q {
            return Some(out);
        } else {
            out.push(c);
            i += 1;
        }
    }
    None
}

fn count_newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

#[cfg(test)]
pub(super) mod tests;
