//! Splitting SQL files into statements, and classifying statements.
//!
//! furrow sends one statement at a time (so that every statement's result is checked),
//! so it must split SQL text itself, the way the `mysql` / `sqlite3` clients do: strings,
//! quoted identifiers and comments never split; `BEGIN … END` bodies of triggers and
//! stored programs are one statement; the MySQL client's `DELIMITER` directive works.
//! Single pass over the bytes, no regex; every token boundary is an ASCII byte.

use crate::db::Dialect;
use std::fmt;

/// One statement of a SQL file, as furrow sends it to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Statement text without its delimiter, leading whitespace/comments removed
    /// (but MySQL `/*! ... */` and `/*+ ... */` kept, they are code), trailing whitespace
    /// (and trailing comments) removed. Comments inside the statement are kept as written.
    pub sql: String,
    /// 1-based line number, in the whole file, of the statement's first significant character.
    pub line: usize,
    /// 1-based position of the statement within the text that was split.
    pub number: usize,
}

/// A SQL text that cannot be split.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitError {
    /// 1-based line in the whole file where the problem starts (e.g. where an unterminated
    /// string opened).
    pub line: usize,
    /// What is wrong and what to do, e.g.
    /// "unterminated string literal starting at line 12: add the closing '".
    pub message: String,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SplitError {}

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

/// BEGIN / BEGIN TRANSACTION / BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE [TRANSACTION] / BEGIN WORK /
/// START TRANSACTION / COMMIT [WORK|TRANSACTION] / END [TRANSACTION] / ROLLBACK [WORK|TRANSACTION]
/// (but NOT `ROLLBACK TO [SAVEPOINT] x`, and NOT a `BEGIN ... END` compound block of a trigger).
///
/// Also accepted: SQLite's optional transaction name after TRANSACTION, MySQL's
/// `START TRANSACTION <characteristics>` and `COMMIT|ROLLBACK … [AND [NO] CHAIN] [[NO] RELEASE]`.
pub fn is_transaction_control(sql: &str) -> bool {
    let toks = tokens(sql, 16);
    let mut toks: &[Tok] = &toks;
    while let [rest @ .., Tok::Punct(b';')] = toks {
        toks = rest;
    }
    let Some((Tok::Word(first), rest)) = toks.split_first() else {
        return false;
    };
    match first.as_str() {
        "BEGIN" => {
            let mut rest = rest;
            if let [Tok::Word(w), tail @ ..] = rest {
                match w.as_str() {
                    "WORK" => return tail.is_empty(),
                    "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE" => rest = tail,
                    _ => {}
                }
            }
            match rest {
                [] => true,
                [Tok::Word(t), name @ ..] if t == "TRANSACTION" => optional_name(name).is_empty(),
                _ => false,
            }
        }
        "START" => matches!(rest.first(), Some(Tok::Word(w)) if w == "TRANSACTION"),
        "COMMIT" | "END" | "ROLLBACK" => {
            let rest = match rest {
                [Tok::Word(w), tail @ ..] if w == "WORK" => tail,
                [Tok::Word(w), tail @ ..] if w == "TRANSACTION" => optional_name(tail),
                _ => rest,
            };
            completion_tail(rest)
        }
        _ => false,
    }
}

/// Skips an optional transaction name (SQLite `BEGIN TRANSACTION name`).
fn optional_name(toks: &[Tok]) -> &[Tok] {
    match toks {
        [Tok::Word(w), tail @ ..] if !matches!(w.as_str(), "AND" | "NO" | "RELEASE" | "TO") => tail,
        [Tok::Ident(_), tail @ ..] => tail,
        _ => toks,
    }
}

/// MySQL's `[AND [NO] CHAIN] [[NO] RELEASE]` after COMMIT / ROLLBACK; nothing else (no `TO`).
fn completion_tail(toks: &[Tok]) -> bool {
    let words: Option<Vec<&str>> = toks
        .iter()
        .map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let Some(mut w) = words else { return false };
    if let ["AND", rest @ ..] = w.as_slice() {
        w = match rest {
            ["NO", "CHAIN", tail @ ..] | ["CHAIN", tail @ ..] => tail.to_vec(),
            _ => return false,
        };
    }
    matches!(w.as_slice(), [] | ["RELEASE"] | ["NO", "RELEASE"])
}

/// True when MySQL/MariaDB commits implicitly before/after this statement (DDL etc.), per the MySQL
/// manual page "Statements That Cause an Implicit Commit": CREATE/ALTER/DROP/RENAME/TRUNCATE of
/// tables, databases, indexes, views, triggers, procedures, functions, events, users...; but
/// CREATE TEMPORARY TABLE and DROP TEMPORARY TABLE do NOT commit; also GRANT, REVOKE, SET PASSWORD,
/// LOCK TABLES, UNLOCK TABLES, ANALYZE/CHECK/OPTIMIZE/REPAIR TABLE, LOAD INDEX INTO CACHE, FLUSH,
/// RESET, INSTALL/UNINSTALL PLUGIN, CACHE INDEX, and transaction control (BEGIN/START TRANSACTION...).
/// Plain DML (INSERT/UPDATE/DELETE/REPLACE/SELECT/SET/CALL...) returns false.
///
/// Also true: `SET autocommit = 1`, replication control (START/STOP REPLICA|SLAVE,
/// CHANGE MASTER|REPLICATION SOURCE). False: `DROP PREPARE`, `RESET PERSIST`.
pub fn commits_implicitly_mysql(sql: &str) -> bool {
    let toks = tokens(sql, 12);
    let words: Vec<&str> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    if !matches!(toks.first(), Some(Tok::Word(_))) {
        return false;
    }
    let next = |i: usize| words.get(i).copied().unwrap_or("");
    match words[0] {
        "CREATE" => {
            let i = if next(1) == "OR" && next(2) == "REPLACE" {
                3
            } else {
                1
            };
            next(i) != "TEMPORARY"
        }
        "DROP" => !matches!(next(1), "TEMPORARY" | "PREPARE"),
        "ALTER" | "RENAME" | "TRUNCATE" | "GRANT" | "REVOKE" | "FLUSH" => true,
        "SET" => next(1) == "PASSWORD" || sets_autocommit_on(&toks),
        "LOCK" | "UNLOCK" => matches!(next(1), "TABLE" | "TABLES"),
        "ANALYZE" | "CHECK" | "OPTIMIZE" | "REPAIR" => {
            let i = if matches!(next(1), "NO_WRITE_TO_BINLOG" | "LOCAL") {
                2
            } else {
                1
            };
            matches!(next(i), "TABLE" | "TABLES")
        }
        "CACHE" | "LOAD" => next(1) == "INDEX",
        "RESET" => next(1) != "PERSIST",
        "INSTALL" | "UNINSTALL" => matches!(next(1), "PLUGIN" | "COMPONENT"),
        "START" => matches!(next(1), "TRANSACTION" | "REPLICA" | "SLAVE"),
        "STOP" => matches!(next(1), "REPLICA" | "SLAVE"),
        "CHANGE" => matches!(next(1), "MASTER" | "REPLICATION"),
        "BEGIN" | "COMMIT" | "ROLLBACK" | "END" => is_transaction_control(sql),
        _ => false,
    }
}

/// The first word of a statement, uppercased (comments skipped, MySQL's `/*!NNNNN … */`
/// read as code): `INSERT`, `SET` …; empty when there is none.
pub fn first_word(sql: &str) -> String {
    leading_words(sql, 1).pop().unwrap_or_default()
}

/// The object a statement creates or drops, as far as a later run can check it:
/// `CREATE [OR REPLACE] TABLE|VIEW [IF NOT EXISTS] name` and `DROP TABLE|VIEW [IF EXISTS] name`
/// (one unqualified name). Returns (creates, kind, name).
pub fn created_or_dropped(sql: &str) -> Option<(bool, &'static str, String)> {
    let toks = tokens(sql, 12);
    let name_at = |i: usize| -> Option<(String, usize)> {
        let one = |t: &Tok| match t {
            Tok::Word(w) | Tok::Ident(w) => Some(w.clone()),
            _ => None,
        };
        let first = one(toks.get(i)?)?;
        // `other_db.t`: the check would look in the wrong database; say nothing.
        if matches!(toks.get(i + 1), Some(Tok::Punct(b'.'))) {
            return None;
        }
        Some((first, i + 1))
    };
    let word = |i: usize, w: &str| matches!(toks.get(i), Some(Tok::Word(x)) if x == w);
    let (creates, mut i) = if word(0, "CREATE") {
        (true, 1)
    } else if word(0, "DROP") {
        (false, 1)
    } else {
        return None;
    };
    if creates && word(i, "OR") && word(i + 1, "REPLACE") {
        i += 2;
    }
    let kind = if word(i, "TABLE") {
        "table"
    } else if word(i, "VIEW") {
        "view"
    } else {
        return None;
    };
    i += 1;
    if creates && word(i, "IF") && word(i + 1, "NOT") && word(i + 2, "EXISTS") {
        i += 3;
    } else if !creates && word(i, "IF") && word(i + 1, "EXISTS") {
        i += 2;
    }
    let (name, end) = name_at(i)?;
    // `DROP TABLE a, b` and `CREATE TABLE … LIKE` are fine; more than one dropped name is not.
    if !creates && matches!(toks.get(end), Some(Tok::Punct(b','))) {
        return None;
    }
    Some((creates, kind, name))
}

/// `SET [SESSION|LOCAL|@@[session.]]autocommit = 1|ON|TRUE` (the first assignment).
fn sets_autocommit_on(toks: &[Tok]) -> bool {
    let mut i = 1;
    let word = |i: usize, w: &str| matches!(toks.get(i), Some(Tok::Word(x)) if x == w);
    let punct = |i: usize, c: u8| matches!(toks.get(i), Some(Tok::Punct(x)) if *x == c);
    if word(i, "SESSION") || word(i, "LOCAL") {
        i += 1;
    } else if punct(i, b'@') && punct(i + 1, b'@') {
        i += 2;
        if (word(i, "SESSION") || word(i, "LOCAL")) && punct(i + 1, b'.') {
            i += 2;
        }
    }
    if !word(i, "AUTOCOMMIT") {
        return false;
    }
    i += 1;
    if punct(i, b':') {
        i += 1;
    }
    punct(i, b'=') && (word(i + 1, "1") || word(i + 1, "ON") || word(i + 1, "TRUE"))
}

/// The first `n` keywords of a statement, uppercased, skipping leading comments (for messages
/// and classification), e.g. ["CREATE", "TABLE", "ACCOUNTS"].
///
/// Words are bare words and quoted identifiers (without their quotes); punctuation, string
/// literals and comments are skipped; MySQL `/*!NNNNN … */` is read as the code it holds.
pub fn leading_words(sql: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut lx = Lexer::new(sql);
    while let Some(t) = lx.next_tok() {
        if let Tok::Word(w) | Tok::Ident(w) = t {
            out.push(w);
            if out.len() == n {
                break;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Classification tokenizer (dialect-agnostic, for short statement heads).

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A bare word (keyword, identifier, number), uppercased.
    Word(String),
    /// A quoted identifier's content, uppercased.
    Ident(String),
    /// A string literal.
    Str,
    /// Any other character.
    Punct(u8),
}

fn tokens(sql: &str, limit: usize) -> Vec<Tok> {
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

struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    /// Inside a MySQL `/*!NNNNN … */` executable comment: its `*/` is skipped.
    in_exec_comment: bool,
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str) -> Self {
        Lexer {
            b: sql.as_bytes(),
            pos: 0,
            in_exec_comment: false,
        }
    }

    fn next_tok(&mut self) -> Option<Tok> {
        let b = self.b;
        loop {
            let c = *b.get(self.pos)?;
            let c1 = b.get(self.pos + 1).copied();
            match c {
                c if c.is_ascii_whitespace() || c == 0x0b => self.pos += 1,
                b'-' if c1 == Some(b'-') => self.skip_line(),
                b'#' => self.skip_line(),
                b'/' if c1 == Some(b'*') => {
                    let mut p = self.pos + 2;
                    if b.get(p) == Some(&b'M') && b.get(p + 1) == Some(&b'!') {
                        p += 1;
                    }
                    if b.get(p) == Some(&b'!') {
                        p += 1;
                        while p < b.len() && b[p].is_ascii_digit() {
                            p += 1;
                        }
                        self.pos = p;
                        self.in_exec_comment = true;
                    } else {
                        self.pos = find(b, self.pos + 2, b"*/").map_or(b.len(), |e| e + 2);
                    }
                }
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

fn upper(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_uppercase()
}

/// End (exclusive) of the quoted token opening at `start` with `q` (closed by `close`, doubled
/// to escape; with `backslash`, `\` escapes the next byte). None when unterminated.
fn quoted_end(b: &[u8], start: usize, close: u8, backslash: bool) -> Option<usize> {
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

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Bytes of a bare word: ASCII letters, digits, `_`, `$`, and any non-ASCII (UTF-8) byte.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

// ---------------------------------------------------------------------------------------------
// The splitter.

/// Keywords that matter to block tracking.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kw {
    Begin,
    Case,
    End,
    If,
    Loop,
    While,
    Repeat,
    Then,
    Else,
    Do,
    Row,
    Not,
    Atomic,
    Create,
    /// TRIGGER, PROCEDURE, FUNCTION, EVENT, PACKAGE: a CREATE with a compound body.
    Routine,
    /// TABLE, VIEW, INDEX…: a CREATE without one.
    Plain,
    Other,
}

fn keyword(w: &[u8]) -> Kw {
    const TABLE: &[(&str, Kw)] = &[
        ("BEGIN", Kw::Begin),
        ("CASE", Kw::Case),
        ("END", Kw::End),
        ("IF", Kw::If),
        ("LOOP", Kw::Loop),
        ("WHILE", Kw::While),
        ("REPEAT", Kw::Repeat),
        ("THEN", Kw::Then),
        ("ELSE", Kw::Else),
        ("DO", Kw::Do),
        ("ROW", Kw::Row),
        ("NOT", Kw::Not),
        ("ATOMIC", Kw::Atomic),
        ("CREATE", Kw::Create),
        ("TRIGGER", Kw::Routine),
        ("PROCEDURE", Kw::Routine),
        ("FUNCTION", Kw::Routine),
        ("EVENT", Kw::Routine),
        ("PACKAGE", Kw::Routine),
        ("TABLE", Kw::Plain),
        ("VIEW", Kw::Plain),
        ("INDEX", Kw::Plain),
        ("UNIQUE", Kw::Plain),
        ("FULLTEXT", Kw::Plain),
        ("SPATIAL", Kw::Plain),
        ("DATABASE", Kw::Plain),
        ("SCHEMA", Kw::Plain),
        ("USER", Kw::Plain),
        ("ROLE", Kw::Plain),
        ("SERVER", Kw::Plain),
        ("TABLESPACE", Kw::Plain),
        ("SEQUENCE", Kw::Plain),
        ("VIRTUAL", Kw::Plain),
        ("LOGFILE", Kw::Plain),
    ];
    if w.len() > 10 || w.len() < 2 {
        return Kw::Other;
    }
    TABLE
        .iter()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(w))
        .map_or(Kw::Other, |(_, kw)| *kw)
}

/// A significant token, as block tracking sees it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum T {
    Word(Kw),
    Punct(u8),
    Other,
}

/// What kind of statement is being read, for block tracking.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// No token yet.
    Start,
    /// Read `CREATE` and `n` more tokens, not yet known whether it has a compound body.
    Header(usize),
    /// Read `BEGIN` as first word: MariaDB's `BEGIN NOT ATOMIC … END` is a block, else not.
    MaybeAnonymousBlock(u8),
    /// A CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT (or anonymous block): track depth.
    Compound,
    /// Anything else: `;` always splits.
    Plain,
}

/// The previous significant token, as far as block tracking cares.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Prev {
    /// Where a statement of a body can start: after `;`, a label's `:`, BEGIN, THEN, ELSE,
    /// DO, LOOP, REPEAT, FOR EACH ROW.
    StatementStart,
    /// After `.` or `@`: the next word is a name part or variable, never a keyword.
    Qualifier,
    Other,
}

/// An open block of a compound statement.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Block {
    /// BEGIN, or IF/LOOP/WHILE/REPEAT/CASE starting a statement of a body.
    Statement,
    /// CASE inside an expression: its THEN/ELSE are followed by expressions, not statements
    /// (so `THEN IF(a, b, c)` is the IF() function).
    CaseExpression,
}

struct Cur {
    start: usize,
    line: usize,
    /// End of the last significant token.
    end: usize,
    kind: Kind,
    /// Open blocks (their count is the depth; `;` splits only at depth 0).
    blocks: Vec<Block>,
    prev: Prev,
    /// The previous token was END (MySQL): a following IF/LOOP/WHILE/REPEAT/CASE belongs to it.
    after_end: bool,
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
        let mysql = self.dialect == Dialect::Mysql;
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
                b'\\' if c1.is_some_and(|x| short_command(x).is_some()) => match c1 {
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
                },
                b'/' if c1 == Some(b'*') => {
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
                    let code = mysql
                        && matches!(&b[start + 2..], [b'!', ..] | [b'+', ..] | [b'M', b'!', ..]);
                    if code {
                        self.token(start, start_line, T::Other);
                    }
                }
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
        }
        self.finish()
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
        if !CLIENT_COMMANDS
            .iter()
            .any(|(name, _, _)| name.as_bytes().eq_ignore_ascii_case(word))
        {
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
        let line = self.line;
        let what = if short { "`\\d`" } else { "DELIMITER" };
        let delim = match quote {
            None => b[i..j].to_vec(),
            Some(q) => match unquote_delimiter(&b[i..eol], q, short) {
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
            kind: Kind::Start,
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
            Kind::Start => {
                cur.kind = match t {
                    T::Word(Kw::Create) => Kind::Header(0),
                    T::Word(Kw::Begin) if mysql => Kind::MaybeAnonymousBlock(0),
                    _ => Kind::Plain,
                }
            }
            Kind::Header(n) => {
                cur.kind = match t {
                    T::Word(Kw::Routine) => Kind::Compound,
                    T::Word(Kw::Plain) => Kind::Plain,
                    _ if n >= 32 => Kind::Plain,
                    _ => Kind::Header(n + 1),
                }
            }
            Kind::MaybeAnonymousBlock(0) if t == T::Word(Kw::Not) => {
                cur.kind = Kind::MaybeAnonymousBlock(1);
            }
            Kind::MaybeAnonymousBlock(1) if t == T::Word(Kw::Atomic) => {
                cur.kind = Kind::Compound;
                cur.blocks.push(Block::Statement);
                cur.prev = Prev::StatementStart;
            }
            Kind::MaybeAnonymousBlock(_) => cur.kind = Kind::Plain,
            Kind::Plain => {}
            Kind::Compound => track(cur, t, mysql),
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

/// Block tracking inside a compound statement.
///
/// BEGIN and CASE always open a block, END closes one. In MySQL, IF/LOOP/WHILE/REPEAT open a
/// block only where a statement of the body starts (after `;`, a label's `:`, BEGIN, THEN, ELSE,
/// DO, LOOP, REPEAT, FOR EACH ROW): elsewhere they are the IF()/REPEAT() functions or the
/// `IF [NOT] EXISTS` clause. This also handles `IF (x) THEN` and `IF NOT EXISTS (…) THEN`.
fn track(cur: &mut Cur, t: T, mysql: bool) {
    if std::mem::take(&mut cur.after_end) {
        if let T::Word(Kw::If | Kw::Loop | Kw::While | Kw::Repeat | Kw::Case) = t {
            cur.prev = Prev::Other;
            return;
        }
    }
    let keyword_ok = cur.prev != Prev::Qualifier;
    let at_start = cur.prev == Prev::StatementStart;
    if let (T::Word(kw), true) = (t, keyword_ok) {
        match kw {
            Kw::Begin => cur.blocks.push(Block::Statement),
            Kw::Case if mysql && at_start => cur.blocks.push(Block::Statement),
            Kw::Case => cur.blocks.push(Block::CaseExpression),
            Kw::End => {
                cur.blocks.pop();
                cur.after_end = mysql;
            }
            Kw::If | Kw::Loop | Kw::While | Kw::Repeat if mysql && at_start => {
                cur.blocks.push(Block::Statement);
            }
            _ => {}
        }
    }
    let in_case_expression = cur.blocks.last() == Some(&Block::CaseExpression);
    cur.prev = match t {
        T::Word(Kw::Then | Kw::Else) if keyword_ok && !in_case_expression => Prev::StatementStart,
        T::Word(Kw::Begin | Kw::Do | Kw::Loop | Kw::Repeat | Kw::Row) if keyword_ok => {
            Prev::StatementStart
        }
        T::Punct(b';' | b':') => Prev::StatementStart,
        T::Punct(b'.' | b'@') => Prev::Qualifier,
        _ => Prev::Other,
    };
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

/// The mysql client's commands: name, one-letter form (`\x`), and whether it takes an argument.
/// From the client's own table (MariaDB's and MySQL's `client/mysql.cc`).
const CLIENT_COMMANDS: &[(&str, u8, bool)] = &[
    ("?", b'?', true),
    ("charset", b'C', true),
    ("clear", b'c', false),
    ("connect", b'r', true),
    ("delimiter", b'd', true),
    ("edit", b'e', false),
    ("ego", b'G', false),
    ("exit", b'q', false),
    ("go", b'g', false),
    ("help", b'h', true),
    ("nopager", b'n', false),
    ("notee", b't', false),
    ("nowarning", b'w', false),
    ("pager", b'P', true),
    ("print", b'p', false),
    ("prompt", b'R', true),
    ("quit", b'q', false),
    ("rehash", b'#', false),
    ("resetconnection", b'x', false),
    ("sandbox", b'-', false),
    ("source", b'.', true),
    ("status", b's', false),
    ("system", b'!', true),
    ("tee", b'T', true),
    ("use", b'u', true),
    ("warnings", b'W', false),
];

/// The command a `\x` stands for.
fn short_command(x: u8) -> Option<&'static str> {
    CLIENT_COMMANDS
        .iter()
        .find(|(_, letter, _)| *letter == x)
        .map(|(name, _, _)| *name)
}

/// The client command a line (or a statement without its delimiter) is, read as the client
/// reads it: the first word (up to a space or tab) is the command's name, in any case; a
/// command without an argument is only itself alone. `USE db` and `HELP 'topic'` are server
/// statements too, so they are not taken as commands.
fn client_command(text: &str) -> Option<&'static str> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (word, rest) = match text.find([' ', '\t']) {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    };
    let (name, _, takes_argument) = CLIENT_COMMANDS
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(word))?;
    match *name {
        "use" => None,
        "help" if !rest.is_empty() => None,
        _ if rest.is_empty() || *takes_argument => Some(name),
        _ => None,
    }
}

/// "`source other.sql` is a command of the mysql client, not SQL …", with what to do instead.
fn client_command_error(line: usize, text: &str, name: &str) -> SplitError {
    let shown = crate::text::cut(text.lines().next().unwrap_or(text).trim());
    let what_to_do = match name {
        "source" => "furrow does not read other files: paste that file's statements here, or make it a migration (or seed) of its own",
        "delimiter" => "write `DELIMITER x` at the start of a line, outside any statement",
        "use" => "write `USE name;` (a statement the server runs)",
        "charset" => "write `SET NAMES name;` (a statement the server runs)",
        "connect" | "resetconnection" => "furrow runs each file on the connection the knexfile names: remove it",
        "system" => "furrow never runs shell commands: remove it, and run the command yourself",
        "exit" | "quit" => "furrow runs the whole file: remove it (and move what follows into another file)",
        "clear" => "remove it, and the unfinished statement it discards",
        "go" | "ego" => "end the statement with `;` (or the current delimiter) instead",
        _ => "it only changes what the mysql client does or shows: remove it",
    };
    SplitError {
        line,
        message: format!(
            "`{shown}` is a command of the mysql client (`{name}`), not SQL, and furrow cannot run it: {what_to_do}"
        ),
    }
}

fn count_newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{Mysql, Sqlite};

    /// (sql, line) of each statement; also checks the numbering.
    fn sp(text: &str, d: Dialect) -> Vec<(String, usize)> {
        let stmts = split(text, 1, d).unwrap_or_else(|e| panic!("split failed: {e:?}"));
        for (i, s) in stmts.iter().enumerate() {
            assert_eq!(s.number, i + 1, "numbering of {stmts:?}");
        }
        stmts.into_iter().map(|s| (s.sql, s.line)).collect()
    }

    fn texts(text: &str, d: Dialect) -> Vec<String> {
        sp(text, d).into_iter().map(|(s, _)| s).collect()
    }

    fn both(text: &str) -> Vec<String> {
        let m = texts(text, Mysql);
        assert_eq!(m, texts(text, Sqlite), "dialects differ on {text:?}");
        m
    }

    fn err(text: &str, first_line: usize, d: Dialect) -> SplitError {
        match split(text, first_line, d) {
            Err(e) => e,
            Ok(s) => panic!("expected an error, got {s:?}"),
        }
    }

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn empty_inputs() {
        for d in [Mysql, Sqlite] {
            assert_eq!(split("", 1, d), Ok(vec![]));
            assert_eq!(split("  \n\t\r\n", 1, d), Ok(vec![]));
            assert_eq!(split(";;\n ; ", 1, d), Ok(vec![]));
            assert_eq!(
                split("-- only a comment\n/* and\nanother */\n", 1, d),
                Ok(vec![])
            );
        }
        assert_eq!(split("# mysql comment\n", 1, Mysql), Ok(vec![]));
    }

    #[test]
    fn basic_split_and_lines() {
        let text = "CREATE TABLE a (id INT);\n\nINSERT INTO a VALUES (1);  \n  SELECT 1";
        assert_eq!(
            split(text, 1, Sqlite).unwrap(),
            vec![
                Statement {
                    sql: "CREATE TABLE a (id INT)".into(),
                    line: 1,
                    number: 1
                },
                Statement {
                    sql: "INSERT INTO a VALUES (1)".into(),
                    line: 3,
                    number: 2
                },
                Statement {
                    sql: "SELECT 1".into(),
                    line: 4,
                    number: 3
                },
            ]
        );
        assert_eq!(
            both("SELECT 1; SELECT 2;"),
            owned(&["SELECT 1", "SELECT 2"])
        );
    }

    #[test]
    fn first_line_offset() {
        let text = "\nCREATE TABLE a (id INT);\n\n  DROP TABLE b;\n";
        let stmts = split(text, 40, Mysql).unwrap();
        assert_eq!(stmts.len(), 2);
        assert_eq!((stmts[0].line, stmts[0].number), (41, 1));
        assert_eq!((stmts[1].line, stmts[1].number), (43, 2));
        let e = err("SELECT 1;\nSELECT 'x", 12, Sqlite);
        assert_eq!(e.line, 13);
    }

    #[test]
    fn leading_comments_removed_inner_and_trailing_handled() {
        let text =
            "-- header\n/* block */ -- more\n  SELECT /* inner; */ 1 -- tail; x\n  ;\n-- after\n";
        assert_eq!(
            sp(text, Sqlite),
            vec![("SELECT /* inner; */ 1".to_string(), 3)]
        );
        // The last statement lacks a delimiter; its trailing comment is not part of it.
        assert_eq!(
            sp("SELECT 1;\nSELECT 2 -- no delimiter\n\n", Mysql),
            vec![("SELECT 1".to_string(), 1), ("SELECT 2".to_string(), 2)]
        );
        assert_eq!(texts("SELECT 3 /* c */", Sqlite), owned(&["SELECT 3"]));
        assert_eq!(
            texts("INSERT INTO t -- note\nVALUES (1);", Mysql),
            owned(&["INSERT INTO t -- note\nVALUES (1)"])
        );
    }

    #[test]
    fn mysql_executable_comments_are_code() {
        let text = "/*!40101 SET NAMES utf8 */;\n/*+ hint */ SELECT 1;\nCREATE TABLE t (a INT) /*!50100 ENGINE=InnoDB */;\n/*M!100100 SET x = 1 */;";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("/*!40101 SET NAMES utf8 */".to_string(), 1),
                ("/*+ hint */ SELECT 1".to_string(), 2),
                (
                    "CREATE TABLE t (a INT) /*!50100 ENGINE=InnoDB */".to_string(),
                    3
                ),
                ("/*M!100100 SET x = 1 */".to_string(), 4),
            ]
        );
        // In SQLite they are plain comments.
        assert_eq!(
            sp(text, Sqlite),
            vec![
                ("SELECT 1".to_string(), 2),
                ("CREATE TABLE t (a INT)".to_string(), 3)
            ]
        );
        // A `;` inside one never splits.
        assert_eq!(
            texts("/*!50003 SET a=1; */ ;", Mysql),
            owned(&["/*!50003 SET a=1; */"])
        );
    }

    #[test]
    fn strings_with_semicolons() {
        assert_eq!(
            both("INSERT INTO t VALUES ('a;b', 'it''s; ok');SELECT ';'"),
            owned(&["INSERT INTO t VALUES ('a;b', 'it''s; ok')", "SELECT ';'"])
        );
        assert_eq!(
            both("SELECT \"a;b\", `c;d`, \"x\"\"y;\", `p``q;`; SELECT 2"),
            owned(&["SELECT \"a;b\", `c;d`, \"x\"\"y;\", `p``q;`", "SELECT 2"])
        );
        // Multi-line string: the next statement's line is right.
        assert_eq!(
            sp(
                "INSERT INTO t VALUES ('one;\ntwo;\nthree');\nSELECT 1;",
                Sqlite
            ),
            vec![
                ("INSERT INTO t VALUES ('one;\ntwo;\nthree')".to_string(), 1),
                ("SELECT 1".to_string(), 4)
            ]
        );
    }

    #[test]
    fn backslash_escapes_per_dialect() {
        // MySQL: `\'` escapes the quote.
        assert_eq!(
            texts("SELECT 'it\\'s; fine'; SELECT \"a\\\";b\"; SELECT 2", Mysql),
            owned(&["SELECT 'it\\'s; fine'", "SELECT \"a\\\";b\"", "SELECT 2"])
        );
        assert_eq!(
            texts("SELECT 'a\\\\'; SELECT 2", Mysql),
            owned(&["SELECT 'a\\\\'", "SELECT 2"])
        );
        // SQLite: backslash is an ordinary character.
        assert_eq!(
            texts("INSERT INTO p VALUES ('C:\\'); SELECT 2", Sqlite),
            owned(&["INSERT INTO p VALUES ('C:\\')", "SELECT 2"])
        );
        // The same text is one unterminated string in MySQL.
        let e = err("INSERT INTO p VALUES ('C:\\');\nSELECT 2", 1, Mysql);
        assert_eq!(e.line, 1);
        // Backticks have no backslash escape, in either dialect.
        assert_eq!(
            both("SELECT `a\\`; SELECT 2"),
            owned(&["SELECT `a\\`", "SELECT 2"])
        );
    }

    #[test]
    fn sqlite_brackets() {
        assert_eq!(
            texts("SELECT [a;b] FROM [t]; SELECT 2", Sqlite),
            owned(&["SELECT [a;b] FROM [t]", "SELECT 2"])
        );
        // In MySQL `[` is just a character.
        assert_eq!(
            texts("SELECT '[';SELECT ']'", Mysql),
            owned(&["SELECT '['", "SELECT ']'"])
        );
        let e = err("SELECT 1;\n\nSELECT [a;\n", 1, Sqlite);
        assert_eq!(e.line, 3);
        assert_eq!(
            e.message,
            "unterminated bracketed identifier starting at line 3: add the closing ]"
        );
    }

    #[test]
    fn hash_comment_mysql_only() {
        assert_eq!(
            sp("# comment; here\nSELECT 1; # trailing; x\nSELECT 2;", Mysql),
            vec![("SELECT 1".to_string(), 2), ("SELECT 2".to_string(), 3)]
        );
        // In SQLite `#` is an ordinary character: the `;` after it splits.
        assert_eq!(
            texts("SELECT a # b; c\nFROM t;", Sqlite),
            owned(&["SELECT a # b", "c\nFROM t"])
        );
        assert_eq!(
            texts("SELECT a # b; c\nFROM t;", Mysql),
            owned(&["SELECT a # b; c\nFROM t"])
        );
    }

    #[test]
    fn double_dash_rules() {
        // MySQL: `--` needs a following blank/control char (or end of input) to be a comment.
        assert_eq!(
            texts("SELECT 1--1;SELECT 2", Mysql),
            owned(&["SELECT 1--1", "SELECT 2"])
        );
        assert_eq!(
            texts("SELECT 1 --\tx;\n;SELECT 2", Mysql),
            owned(&["SELECT 1", "SELECT 2"])
        );
        assert_eq!(
            texts("SELECT 1 --\n;SELECT 2 --", Mysql),
            owned(&["SELECT 1", "SELECT 2"])
        );
        assert_eq!(texts("SELECT 1 --\r\n;", Mysql), owned(&["SELECT 1"]));
        // SQLite: any `--` starts a comment.
        assert_eq!(
            texts("SELECT 1--1;\n;SELECT 2", Sqlite),
            owned(&["SELECT 1", "SELECT 2"])
        );
    }

    #[test]
    fn block_comments_span_lines() {
        let text = "/* a\n b;\n c */ SELECT 1;\n/* x;\n*/\nSELECT /* y\n; */ 2;\nSELECT 3;";
        assert_eq!(
            sp(text, Sqlite),
            vec![
                ("SELECT 1".to_string(), 3),
                ("SELECT /* y\n; */ 2".to_string(), 6),
                ("SELECT 3".to_string(), 8)
            ]
        );
        // Not nested: the first `*/` ends it.
        assert_eq!(
            both("/* a /* b */ SELECT 1; */"),
            owned(&["SELECT 1", "*/"])
        );
    }

    #[test]
    fn unterminated_errors() {
        let e = err("SELECT 1;\n\nSELECT 'abc;\nmore;\n", 1, Sqlite);
        assert_eq!(
            e,
            SplitError {
                line: 3,
                message: "unterminated string literal starting at line 3: add the closing '".into()
            }
        );
        let e = err("SELECT 1;\nSELECT \"abc;\n", 10, Sqlite);
        assert_eq!(e.line, 11);
        assert_eq!(
            e.message,
            "unterminated quoted identifier starting at line 11: add the closing \""
        );
        let e = err("SELECT \"abc;\n", 1, Mysql);
        assert_eq!(
            e.message,
            "unterminated string literal starting at line 1: add the closing \""
        );
        let e = err("SELECT 1;\nSELECT `abc;\n", 1, Mysql);
        assert_eq!(
            e,
            SplitError {
                line: 2,
                message: "unterminated quoted identifier starting at line 2: add the closing `"
                    .into()
            }
        );
        let e = err("SELECT 1;\n\n\n/* never\nclosed;", 1, Mysql);
        assert_eq!(
            e,
            SplitError {
                line: 4,
                message: "unterminated block comment starting at line 4: add the closing */".into()
            }
        );
        // A doubled quote at the end does not close the string.
        assert_eq!(err("SELECT 'a''", 1, Sqlite).line, 1);
        // A string opened on a later line of a multi-line statement.
        assert_eq!(err("INSERT INTO t\nVALUES (\n'x);\n", 5, Mysql).line, 7);
    }

    #[test]
    fn crlf_input() {
        let text = "-- migrate:up\r\nCREATE TABLE a (id INT);\r\n\r\nINSERT INTO a\r\nVALUES (1);\r\nSELECT 1\r\n";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("CREATE TABLE a (id INT)".to_string(), 2),
                ("INSERT INTO a\r\nVALUES (1)".to_string(), 4),
                ("SELECT 1".to_string(), 6)
            ]
        );
        let text = "DELIMITER $$\r\nCREATE PROCEDURE p()\r\nBEGIN\r\n  SELECT 1;\r\nEND$$\r\nDELIMITER ;\r\nSELECT 2;\r\n";
        assert_eq!(
            sp(text, Mysql),
            vec![
                (
                    "CREATE PROCEDURE p()\r\nBEGIN\r\n  SELECT 1;\r\nEND".to_string(),
                    2
                ),
                ("SELECT 2".to_string(), 7)
            ]
        );
    }

    #[test]
    fn byte_order_mark_and_unicode() {
        assert_eq!(
            sp("\u{feff}SELECT 'é;ü'; SELECT naïve FROM t;", Sqlite),
            vec![
                ("SELECT 'é;ü'".to_string(), 1),
                ("SELECT naïve FROM t".to_string(), 1)
            ]
        );
    }

    #[test]
    fn sqlite_trigger_with_case() {
        let text = "CREATE TABLE a (x INT);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; INSERT INTO c VALUES (1); END;\nSELECT 1;";
        assert_eq!(
            sp(text, Sqlite),
            vec![
                ("CREATE TABLE a (x INT)".to_string(), 1),
                (
                    "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 ELSE 3 END; INSERT INTO c VALUES (1); END"
                        .to_string(),
                    2
                ),
                ("SELECT 1".to_string(), 3)
            ]
        );
    }

    #[test]
    fn sqlite_trigger_variants() {
        let text = "create temp trigger if not exists \"t;\" before update of x on a\nfor each row when new.x > 0\nbegin\n  -- end;\n  update b set begin_date = 1, blend = 'END;', \"END\" = 2;\n  select raise(abort, 'no;');\nend;\nselect 2;";
        assert_eq!(
            sp(text, Sqlite),
            vec![
                (
                    "create temp trigger if not exists \"t;\" before update of x on a\nfor each row when new.x > 0\nbegin\n  -- end;\n  update b set begin_date = 1, blend = 'END;', \"END\" = 2;\n  select raise(abort, 'no;');\nend"
                        .to_string(),
                    1
                ),
                ("select 2".to_string(), 8)
            ]
        );
        // SQLite has no IF/LOOP/WHILE/REPEAT blocks: such column names do not open one.
        let text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET repeat = 1, loop = 2;\n  UPDATE b SET while = 3;\nEND;\nSELECT 1;";
        assert_eq!(texts(text, Sqlite).len(), 2);
        // A WHEN clause with a CASE before BEGIN.
        let text = "CREATE TRIGGER t AFTER UPDATE ON a WHEN CASE WHEN new.x THEN 1 END BEGIN SELECT 1; SELECT 2; END; SELECT 3;";
        assert_eq!(texts(text, Sqlite).len(), 2);
    }

    #[test]
    fn mysql_trigger_without_delimiter() {
        let text = "DROP TRIGGER IF EXISTS trg;\nCREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON accounts\nFOR EACH ROW\nBEGIN\n  IF NEW.name IS NULL THEN\n    SET NEW.name = 'x;y';\n  END IF;\n  SET @begin = 1;\nEND;\nINSERT INTO accounts VALUES (1);\n";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("DROP TRIGGER IF EXISTS trg".to_string(), 1),
                (
                    "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON accounts\nFOR EACH ROW\nBEGIN\n  IF NEW.name IS NULL THEN\n    SET NEW.name = 'x;y';\n  END IF;\n  SET @begin = 1;\nEND"
                        .to_string(),
                    2
                ),
                ("INSERT INTO accounts VALUES (1)".to_string(), 10)
            ]
        );
        // A single-statement trigger body without BEGIN splits at its `;`.
        assert_eq!(
            texts(
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1; SELECT 1;",
                Mysql
            ),
            owned(&[
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1",
                "SELECT 1"
            ])
        );
        // A single compound statement as the body (IF without BEGIN).
        assert_eq!(
            texts(
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW IF NEW.x < 0 THEN SET NEW.x = 0; END IF; SELECT 1;",
                Mysql
            ),
            owned(&[
                "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW IF NEW.x < 0 THEN SET NEW.x = 0; END IF",
                "SELECT 1"
            ])
        );
    }

    #[test]
    fn mysql_procedure_with_all_blocks() {
        let body = "CREATE OR REPLACE DEFINER = 'admin'@'%' PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT FALSE;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  DROP TABLE IF EXISTS tmp;
  CREATE TEMPORARY TABLE IF NOT EXISTS tmp (v INT);
  IF n > 100 THEN
    SET n = 100;
  ELSEIF n < 0 THEN
    SET n = IF(n < -10, 0, 1);
  ELSE
    IF (n = 5) THEN SET n = 6; END IF;
  END IF;
  WHILE i < n DO
    INSERT INTO tmp VALUES (i);
    SET i = i + 1;
  END WHILE;
  WHILE (i > 0) DO SET i = i - 1; END WHILE;
  lbl: LOOP
    SET i = i + 1;
    IF i >= n THEN LEAVE lbl; END IF;
  END LOOP lbl;
  REPEAT
    SET i = i - 1;
  UNTIL i <= 0 END REPEAT;
  CASE n
    WHEN 1 THEN SELECT 'one';
    ELSE SELECT CASE WHEN n > 1 THEN 'many' ELSE 'none' END;
  END CASE;
  SELECT IF(n > 1, 'a', 'b'), REPEAT('x', 3), t.end_date FROM t;
  IF NOT EXISTS (SELECT 1 FROM tmp) THEN SET n = 0; END IF;
  IF EXISTS(SELECT 1 FROM tmp) THEN SET n = 1; END IF;
  SET n = CASE WHEN n > 1 THEN IF(n > 2, 3, 2) ELSE IF(n < 0, 0, 1) END;
  SET n = (CASE n WHEN 1 THEN REPEAT('a', 2) END);
END";
        let text = format!("{body};\nCALL fill(3);\n");
        assert_eq!(
            sp(&text, Mysql),
            vec![(body.to_string(), 1), ("CALL fill(3)".to_string(), 38)]
        );
    }

    #[test]
    fn mysql_body_constructs_one_by_one() {
        let bodies = [
            "IF a THEN SELECT 1; END IF;",
            "IF (a) THEN SELECT 1; ELSEIF b THEN SELECT 2; ELSE SELECT 3; END IF;",
            "IF NOT EXISTS (SELECT 1 FROM t) THEN SELECT 1; END IF;",
            "ELSE_x: LOOP LEAVE ELSE_x; END LOOP ELSE_x;",
            "WHILE a < 3 DO SET a = a + 1; END WHILE;",
            "WHILE (a < 3) DO SET a = a + 1; END WHILE;",
            "REPEAT SET a = a + 1; UNTIL a > 3 END REPEAT;",
            "REPEAT IF a THEN SET a = 0; END IF; UNTIL a END REPEAT;",
            "CASE a WHEN 1 THEN SELECT 1; ELSE BEGIN END; END CASE;",
            "CASE WHEN a THEN IF a THEN SELECT 1; END IF; END CASE;",
            "SET a = CASE WHEN b THEN IF(c, 1, 2) ELSE REPEAT('x', 2) END;",
            "SELECT IF(a, b, c); SET a = IF(b, 1, 2);",
            "DROP TABLE IF EXISTS x; CREATE TABLE IF NOT EXISTS x (a INT);",
            "lbl: BEGIN SELECT 1; END lbl;",
            "DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; END; START TRANSACTION; COMMIT;",
        ];
        for body in bodies {
            let routine = format!("CREATE PROCEDURE p()\nBEGIN\n  {body}\nEND");
            let text = format!("{routine};\nSELECT 9;");
            assert_eq!(
                sp(&text, Mysql),
                vec![(routine.clone(), 1), ("SELECT 9".to_string(), 5)],
                "body: {body}"
            );
        }
    }

    #[test]
    fn mysql_function_and_event_without_delimiter() {
        let text = "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, x, 0);\nCREATE FUNCTION g(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END;\nCREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM logs; END;\nCREATE VIEW v AS SELECT CASE WHEN a THEN 1 END AS c FROM t;\nSELECT 1;";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN IF(x > 0, x, 0)".to_string(), 1),
                ("CREATE FUNCTION g(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END".to_string(), 2),
                ("CREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM logs; END".to_string(), 3),
                ("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 END AS c FROM t".to_string(), 4),
                ("SELECT 1".to_string(), 5),
            ]
        );
    }

    #[test]
    fn create_trigger_if_not_exists() {
        let text = "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a FOR EACH ROW BEGIN INSERT INTO b VALUES (1); INSERT INTO b VALUES (2); END;\nSELECT 1;";
        assert_eq!(
            texts(text, Mysql),
            owned(&[
                "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a FOR EACH ROW BEGIN INSERT INTO b VALUES (1); INSERT INTO b VALUES (2); END",
                "SELECT 1"
            ])
        );
        let text = "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); INSERT INTO b VALUES (2); END;\nSELECT 1;";
        assert_eq!(texts(text, Sqlite).len(), 2);
    }

    #[test]
    fn keywords_are_whole_words_only() {
        let text = "CREATE PROCEDURE p() BEGIN SELECT begin_date, blend, `end`, \"END\", t.end, @end, 'END' FROM t; UPDATE ifs SET loops = 1; END; SELECT 2;";
        assert_eq!(
            texts(text, Mysql),
            owned(&[
                "CREATE PROCEDURE p() BEGIN SELECT begin_date, blend, `end`, \"END\", t.end, @end, 'END' FROM t; UPDATE ifs SET loops = 1; END",
                "SELECT 2"
            ])
        );
    }

    #[test]
    fn begin_end_only_inside_routines() {
        // Standalone transaction control: separate statements.
        let text = "BEGIN;\nINSERT INTO a VALUES (1);\nCOMMIT;\nBEGIN TRANSACTION;\nDELETE FROM a;\nEND;\nSTART TRANSACTION;\nROLLBACK;";
        let expected = owned(&[
            "BEGIN",
            "INSERT INTO a VALUES (1)",
            "COMMIT",
            "BEGIN TRANSACTION",
            "DELETE FROM a",
            "END",
            "START TRANSACTION",
            "ROLLBACK",
        ]);
        assert_eq!(both(text), expected);
        assert_eq!(
            texts("BEGIN WORK; SELECT 1;", Mysql),
            owned(&["BEGIN WORK", "SELECT 1"])
        );
        // Tables and views are never blocks, even with CASE … END.
        assert_eq!(
            both("CREATE TABLE trigger_log (begin INT, x TEXT); SELECT CASE WHEN 1 THEN 2 END; SELECT 3"),
            owned(&[
                "CREATE TABLE trigger_log (begin INT, x TEXT)",
                "SELECT CASE WHEN 1 THEN 2 END",
                "SELECT 3"
            ])
        );
        // MariaDB anonymous block.
        assert_eq!(
            texts("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3;", Mysql),
            owned(&["BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "SELECT 3"])
        );
    }

    #[test]
    fn delimiter_procedure_with_dollars() {
        let text = "DROP PROCEDURE IF EXISTS p;\nDELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  IF (1) THEN SELECT 'a;b'; END IF;\n  SELECT \"$$\"; -- $$ in a comment\nEND$$\n\nDELIMITER ;\nCALL p();\n";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("DROP PROCEDURE IF EXISTS p".to_string(), 1),
                (
                    "CREATE PROCEDURE p()\nBEGIN\n  IF (1) THEN SELECT 'a;b'; END IF;\n  SELECT \"$$\"; -- $$ in a comment\nEND"
                        .to_string(),
                    3
                ),
                ("CALL p()".to_string(), 10)
            ]
        );
    }

    #[test]
    fn delimiter_function_with_slashes() {
        let text = "delimiter //\n\nCREATE FUNCTION f(a INT) RETURNS INT\nBEGIN\n  RETURN a + 1;\nEND //\nCREATE FUNCTION g() RETURNS INT RETURN 1//\n  DELIMITER ;\nSELECT f(1); SELECT g();";
        assert_eq!(
            sp(text, Mysql),
            vec![
                (
                    "CREATE FUNCTION f(a INT) RETURNS INT\nBEGIN\n  RETURN a + 1;\nEND".to_string(),
                    3
                ),
                ("CREATE FUNCTION g() RETURNS INT RETURN 1".to_string(), 7),
                ("SELECT f(1)".to_string(), 9),
                ("SELECT g()".to_string(), 9)
            ]
        );
    }

    #[test]
    fn delimiter_in_sqlite_and_double_semicolon() {
        let text = "DELIMITER ;;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;;\nSELECT 2;;\nDELIMITER ;\nSELECT 3;";
        assert_eq!(
            sp(text, Sqlite),
            vec![
                (
                    "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END".to_string(),
                    2
                ),
                ("SELECT 2".to_string(), 3),
                ("SELECT 3".to_string(), 5)
            ]
        );
    }

    #[test]
    fn delimiter_edge_cases() {
        // A statement whose delimiter was forgotten ends at the next DELIMITER line.
        let text = "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;";
        assert_eq!(
            texts(text, Mysql),
            owned(&["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"])
        );
        // DELIMITER inside strings or comments, or not at a line start, is not a directive.
        let text = "SELECT 'x\nDELIMITER $$\n'; /*\nDELIMITER $$ */ SELECT 2;";
        assert_eq!(
            texts(text, Mysql),
            owned(&["SELECT 'x\nDELIMITER $$\n'", "SELECT 2"])
        );
        // A column named `delimiter` inside a statement is not a directive.
        let text = "CREATE TABLE imports (\n  id INT,\n  delimiter CHAR(1)\n);\nSELECT\n  delimiter\nFROM imports;";
        assert_eq!(
            texts(text, Mysql),
            owned(&[
                "CREATE TABLE imports (\n  id INT,\n  delimiter CHAR(1)\n)",
                "SELECT\n  delimiter\nFROM imports"
            ])
        );
        // The delimiter ends a word too (`END$$`), and an empty statement is dropped.
        assert_eq!(
            texts("DELIMITER $$\nSELECT a$$ $$\n$$SELECT 2", Sqlite),
            owned(&["SELECT a", "SELECT 2"])
        );
    }

    #[test]
    fn delimiter_errors() {
        let e = err("SELECT 1;\n\nDELIMITER\nSELECT 2;", 1, Mysql);
        assert_eq!(
            e,
            SplitError {
                line: 3,
                message: "DELIMITER directive at line 3 has no delimiter: write e.g. `DELIMITER $$` (and `DELIMITER ;` to restore the default)".into()
            }
        );
        assert_eq!(err("delimiter   \r\n", 20, Sqlite).line, 20);
        let e = err("\nDELIMITER \\\\\n", 1, Mysql);
        assert_eq!(e.line, 2);
        assert!(e.message.contains("backslash"), "{}", e.message);
    }

    #[test]
    fn quoted_delimiters_lose_their_quotes_as_in_the_mysql_client() {
        let text = "delimiter ':'\nCREATE TABLE a (id INT):\nINSERT INTO a VALUES (1):\ndelimiter ';'\nINSERT INTO a VALUES (2);";
        assert_eq!(
            both(text),
            owned(&[
                "CREATE TABLE a (id INT)",
                "INSERT INTO a VALUES (1)",
                "INSERT INTO a VALUES (2)"
            ])
        );
        let text = "DELIMITER 'MySQL'\nSELECT 1 MySQL\nSELECT 2MySQL\nDELIMITER \"$$\"\nSELECT 3$$\nDELIMITER `//`\nSELECT 4//\nDELIMITER ;\nSELECT 5;";
        assert_eq!(
            texts(text, Mysql),
            owned(&["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5"])
        );
        // A doubled quote is one quote; what follows the closing quote is ignored.
        assert_eq!(
            texts(
                "DELIMITER 'a''b' trailing words\nSELECT 1a'b\nDELIMITER ;",
                Mysql
            ),
            owned(&["SELECT 1"])
        );
        // Inside a statement, a quoted word after `delimiter` is SQL (a column and its alias).
        assert_eq!(
            texts("SELECT\n  delimiter ';'\nFROM imports;", Mysql),
            owned(&["SELECT\n  delimiter ';'\nFROM imports"])
        );
        let e = err("SELECT 1;\nDELIMITER '$$\nSELECT 2;", 1, Mysql);
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no closing '"), "{}", e.message);
        let e = err("DELIMITER ''\nSELECT 2;", 1, Mysql);
        assert!(e.message.contains("has no delimiter"), "{}", e.message);
        let e = err("DELIMITER 'a\\\\b'\n", 1, Mysql);
        assert!(e.message.contains("backslash"), "{}", e.message);
    }

    #[test]
    fn short_delimiter_command_and_statement_terminators() {
        let text = "\\d //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\n\\d ;\nCALL p();";
        assert_eq!(
            both(text),
            owned(&["CREATE PROCEDURE p() BEGIN SELECT 1; END", "CALL p()"])
        );
        // No blank needed after `\d`; anywhere a statement may end, as in the client.
        assert_eq!(
            texts("\\d;;\nSELECT 1;;\nSELECT 2;; \\d ;\nSELECT 3;", Mysql),
            owned(&["SELECT 1", "SELECT 2", "SELECT 3"])
        );
        assert_eq!(
            texts("\\d '$$'\nSELECT 1$$\n\\d ;", Mysql),
            owned(&["SELECT 1"])
        );
        // `\g` and `\G` send the statement, as its delimiter does.
        assert_eq!(
            texts("SELECT 1\\g\nSELECT 2\\G SELECT 3;", Mysql),
            owned(&["SELECT 1", "SELECT 2", "SELECT 3"])
        );
        let e = err("\\d\nSELECT 1;", 4, Mysql);
        assert_eq!(e.line, 4);
        assert!(
            e.message
                .contains("`\\d` directive at line 4 has no delimiter"),
            "{}",
            e.message
        );
    }

    #[test]
    fn mysql_client_commands_are_refused_with_their_line() {
        for (cmd, name) in [
            ("source other.sql", "source"),
            ("SOURCE other.sql;", "source"),
            ("\\. other.sql", "source"),
            ("SELECT 1; source other.sql;", "source"),
            ("status", "status"),
            ("status;", "status"),
            ("\\s", "status"),
            ("exit", "exit"),
            ("quit;", "quit"),
            ("\\q", "exit"),
            ("system rm -rf /tmp/x", "system"),
            ("\\! ls", "system"),
            ("tee /tmp/out.log", "tee"),
            ("\\T /tmp/out.log", "tee"),
            ("notee", "notee"),
            ("\\t", "notee"),
            ("pager less", "pager"),
            ("nopager", "nopager"),
            ("prompt mysql>", "prompt"),
            ("\\R x>", "prompt"),
            ("rehash", "rehash"),
            ("warnings", "warnings"),
            ("\\W", "warnings"),
            ("nowarning", "nowarning"),
            ("\\w", "nowarning"),
            ("charset utf8mb4", "charset"),
            ("\\C utf8mb4", "charset"),
            ("connect other_db", "connect"),
            ("\\r", "connect"),
            ("print", "print"),
            ("\\p", "print"),
            ("go", "go"),
            ("ego", "ego"),
            ("edit", "edit"),
            ("\\e", "edit"),
            ("clear", "clear"),
            ("SELECT 1 \\c", "clear"),
            ("help", "help"),
            ("\\h", "help"),
            ("?", "?"),
            ("\\u other_db", "use"),
            ("SELECT 1; delimiter $$\nSELECT 2;", "delimiter"),
        ] {
            for d in [Mysql, Sqlite] {
                let text = format!("CREATE TABLE a (id INT);\n\n{cmd}\nCREATE TABLE b (id INT);\n");
                let e = split(&text, 10, d).expect_err(cmd);
                assert_eq!(e.line, 12, "{cmd}: {e:?}");
                assert!(
                    e.message.contains(&format!("mysql client (`{name}`)")),
                    "{cmd}: {}",
                    e.message
                );
            }
        }
        let e = err("source ../schema/other.sql", 1, Mysql);
        assert_eq!(
            e.message,
            "`source ../schema/other.sql` is a command of the mysql client (`source`), not SQL, and furrow cannot run it: furrow does not read other files: paste that file's statements here, or make it a migration (or seed) of its own"
        );
    }

    #[test]
    fn sql_that_looks_like_client_commands_is_sent() {
        let fine = [
            "SET @status = 1",
            "SELECT status FROM t",
            "UPDATE t SET status = 'exit'",
            "USE other_db",
            "use other_db",
            "HELP 'contents'",
            "SELECT '\\d //', '\\q'",
            "SELECT `a\\q`",
            "CREATE TABLE help (status INT, source TEXT, `go` INT)",
            "INSERT INTO t (source) VALUES ('source x.sql')",
            "SELECT\nsource\nFROM t",
            "SELECT\n  status\nFROM t",
            "SELECT /* \\q */ 2",
        ];
        for sql in fine {
            let text = format!("{sql};\n");
            assert_eq!(texts(&text, Mysql), owned(&[sql]), "{sql}");
        }
        // MySQL's `\N` (NULL) is not a command.
        assert_eq!(texts("SELECT \\N;", Mysql), owned(&["SELECT \\N"]));
        // Comment lines that name commands are comments.
        assert_eq!(
            texts("-- source x.sql\n# status\n/* exit */\nSELECT 1;", Mysql),
            owned(&["SELECT 1"])
        );
    }

    #[test]
    fn a_mysqldump_file_splits_as_the_client_splits_it() {
        let dump = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: shop\n\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n\nDROP TABLE IF EXISTS `orders`;\nCREATE TABLE `orders` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `orders_ai` AFTER INSERT ON `orders` FOR EACH ROW BEGIN\n  INSERT INTO log VALUES (NEW.id);\nEND */;;\nDELIMITER ;\n/*!50003 SET sql_mode              = @saved_sql_mode */ ;\ndelimiter ':'\nCREATE PROCEDURE p() BEGIN SELECT 1; END:\ndelimiter ';'\n\\d //\nCREATE FUNCTION f() RETURNS INT RETURN 1//\n\\d ;\n-- Dump completed on 2024-01-01 12:00:00\n";
        let stmts = split(dump, 1, Mysql).unwrap();
        let heads: Vec<(String, usize)> = stmts
            .iter()
            .map(|s| (leading_words(&s.sql, 2).join(" "), s.line))
            .collect();
        assert_eq!(
            heads,
            vec![
                ("SET OLD_CHARACTER_SET_CLIENT".to_string(), 5),
                ("SET NAMES".into(), 6),
                ("DROP TABLE".into(), 8),
                ("CREATE TABLE".into(), 9),
                ("SET SAVED_SQL_MODE".into(), 13),
                ("CREATE DEFINER".into(), 15),
                ("SET SQL_MODE".into(), 19),
                ("CREATE PROCEDURE".into(), 21),
                ("CREATE FUNCTION".into(), 24),
            ]
        );
    }

    #[test]
    fn statement_lines_after_multiline_tokens() {
        let text = "SELECT 1 /* a\nb */;\n-- c\n\n   SELECT\n2; SELECT '\n'; SELECT 4";
        assert_eq!(
            sp(text, Mysql),
            vec![
                ("SELECT 1".to_string(), 1),
                ("SELECT\n2".to_string(), 5),
                ("SELECT '\n'".to_string(), 6),
                ("SELECT 4".to_string(), 7)
            ]
        );
    }

    #[test]
    fn large_input_is_linear() {
        let one = "INSERT INTO t VALUES (1, 'a;b', \"c\"); -- x\n";
        let text = one.repeat(50_000);
        let stmts = split(&text, 1, Mysql).unwrap();
        assert_eq!(stmts.len(), 50_000);
        assert_eq!(stmts[49_999].line, 50_000);
        assert_eq!(stmts[49_999].sql, "INSERT INTO t VALUES (1, 'a;b', \"c\")");
        let long_string = format!("SELECT '{}';", "x".repeat(2_000_000));
        assert_eq!(split(&long_string, 1, Sqlite).unwrap().len(), 1);
    }

    #[test]
    fn transaction_control_table() {
        let yes = [
            "BEGIN",
            "begin;",
            "BEGIN TRANSACTION",
            "BEGIN DEFERRED",
            "BEGIN IMMEDIATE TRANSACTION",
            "Begin Exclusive",
            "BEGIN WORK",
            "BEGIN TRANSACTION t1",
            "START TRANSACTION",
            "START TRANSACTION READ ONLY",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE",
            "COMMIT",
            "COMMIT WORK",
            "COMMIT TRANSACTION",
            "commit and no chain no release",
            "END",
            "END TRANSACTION",
            "ROLLBACK",
            "ROLLBACK WORK",
            "ROLLBACK TRANSACTION",
            "ROLLBACK AND CHAIN",
            "-- done\nCOMMIT",
            "/* x */ ROLLBACK",
        ];
        for s in yes {
            assert!(
                is_transaction_control(s),
                "{s:?} should be transaction control"
            );
        }
        let no = [
            "",
            "-- nothing",
            "ROLLBACK TO SAVEPOINT a",
            "ROLLBACK TO a",
            "ROLLBACK TRANSACTION TO SAVEPOINT a",
            "ROLLBACK WORK TO SAVEPOINT a",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "BEGIN SELECT 1; END",
            "BEGIN NOT ATOMIC SELECT 1; END",
            "BEGIN DEFERRED WORK",
            "START",
            "START REPLICA",
            "COMMIT PREPARED 'x'",
            "ENDX",
            "BEGINNING",
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END",
            "SELECT 'BEGIN'",
            "SET autocommit = 0",
        ];
        for s in no {
            assert!(
                !is_transaction_control(s),
                "{s:?} should not be transaction control"
            );
        }
    }

    #[test]
    fn implicit_commit_table() {
        let yes = [
            "CREATE TABLE a (id INT)",
            "create index i on a (x)",
            "CREATE UNIQUE INDEX i ON a (x)",
            "CREATE DATABASE d",
            "CREATE VIEW v AS SELECT 1",
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            "CREATE DEFINER=`root`@`%` TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1",
            "CREATE PROCEDURE p() BEGIN END",
            "CREATE FUNCTION f() RETURNS INT RETURN 1",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1",
            "CREATE USER 'u'@'%' IDENTIFIED BY 'p'",
            "ALTER TABLE a ADD COLUMN b INT",
            "ALTER USER u IDENTIFIED BY 'x'",
            "DROP TABLE a",
            "DROP TABLE IF EXISTS a",
            "DROP INDEX i ON a",
            "DROP VIEW v",
            "DROP TRIGGER t",
            "DROP PROCEDURE IF EXISTS p",
            "DROP FUNCTION f",
            "DROP EVENT e",
            "DROP DATABASE d",
            "DROP USER u",
            "RENAME TABLE a TO b",
            "RENAME USER a TO b",
            "TRUNCATE TABLE a",
            "TRUNCATE a",
            "GRANT SELECT ON *.* TO u",
            "REVOKE SELECT ON *.* FROM u",
            "SET PASSWORD FOR u = 'x'",
            "SET autocommit = 1",
            "SET @@session.autocommit := ON",
            "SET SESSION AUTOCOMMIT=1",
            "LOCK TABLES a WRITE",
            "LOCK TABLE a READ",
            "UNLOCK TABLES",
            "ANALYZE TABLE a",
            "ANALYZE NO_WRITE_TO_BINLOG TABLE a",
            "CHECK TABLE a",
            "OPTIMIZE LOCAL TABLE a",
            "REPAIR TABLE a",
            "LOAD INDEX INTO CACHE a",
            "CACHE INDEX a IN hot",
            "FLUSH PRIVILEGES",
            "FLUSH TABLES",
            "RESET MASTER",
            "INSTALL PLUGIN p SONAME 'p.so'",
            "UNINSTALL PLUGIN p",
            "BEGIN",
            "BEGIN WORK",
            "START TRANSACTION",
            "COMMIT",
            "ROLLBACK",
            "START REPLICA",
            "STOP SLAVE",
            "CHANGE MASTER TO MASTER_HOST='h'",
            "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1 */",
            "-- comment\nCREATE TABLE a (id INT)",
        ];
        for s in yes {
            assert!(
                commits_implicitly_mysql(s),
                "{s:?} should commit implicitly"
            );
        }
        let no = [
            "",
            "-- only a comment",
            "INSERT INTO a VALUES (1)",
            "UPDATE a SET x = 1",
            "DELETE FROM a",
            "REPLACE INTO a VALUES (1)",
            "SELECT 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SET @x = 1",
            "SET NAMES utf8mb4",
            "SET autocommit = 0",
            "SET @autocommit = 1",
            "SET foreign_key_checks = 0",
            "CALL p()",
            "DO SLEEP(1)",
            "CREATE TEMPORARY TABLE t (id INT)",
            "CREATE OR REPLACE TEMPORARY TABLE t (id INT)",
            "DROP TEMPORARY TABLE t",
            "DROP TEMPORARY TABLE IF EXISTS t",
            "DROP PREPARE s",
            "ANALYZE SELECT 1",
            "CHECKSUM TABLE a",
            "LOAD DATA INFILE 'x' INTO TABLE a",
            "RESET PERSIST",
            "SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "BEGIN NOT ATOMIC SELECT 1; END",
            "/*!40101 SET NAMES utf8 */",
            "'CREATE TABLE'",
            "`CREATE` TABLE",
        ];
        for s in no {
            assert!(
                !commits_implicitly_mysql(s),
                "{s:?} should not commit implicitly"
            );
        }
    }

    #[test]
    fn leading_words_examples() {
        assert_eq!(
            leading_words("CREATE TABLE accounts (id INTEGER PRIMARY KEY)", 3),
            owned(&["CREATE", "TABLE", "ACCOUNTS"])
        );
        assert_eq!(
            leading_words("-- c\n/* d */ # e\n insert into `Ac` (a) values (1)", 4),
            owned(&["INSERT", "INTO", "AC", "A"])
        );
        assert_eq!(
            leading_words("/*!40101 SET NAMES utf8 */", 5),
            owned(&["SET", "NAMES", "UTF8"])
        );
        assert_eq!(
            leading_words("/*+ hint */ SELECT 'x' , 1", 5),
            owned(&["SELECT", "1"])
        );
        assert_eq!(
            leading_words("drop table \"é\"", 3),
            owned(&["DROP", "TABLE", "É"])
        );
        assert_eq!(leading_words("SELECT 1", 0), Vec::<String>::new());
        assert_eq!(leading_words("", 3), Vec::<String>::new());
        assert_eq!(leading_words("BEGIN", 3), owned(&["BEGIN"]));
    }
}
