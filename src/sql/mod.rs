//! Splitting SQL files into statements, and classifying statements.
//!
//! furrow sends one statement at a time (so that every statement's result is checked),
//! so it must split SQL text itself, the way the `mysql` / `sqlite3` clients do: strings,
//! quoted identifiers and comments never split; `BEGIN … END` bodies of triggers and
//! stored programs are one statement; the MySQL client's `DELIMITER` directive works.
//! Single pass over the bytes, no regex; every token boundary is an ASCII byte.
//!
//! `lex` reads SQL's lexical elements, `split` splits (with `blocks` following `BEGIN … END`
//! and `client` refusing the mysql client's own commands), `classify` reads statement heads.

mod alter;
mod blocks;
mod classify;
mod client;
mod lex;
mod split;
mod tables;

use std::fmt;

pub use alter::{column, ddl, AlterAction, ColumnDef, Ddl, KeyDef, KeyKind};
pub use classify::{
    commits_implicitly, commits_implicitly_mysql, created_or_dropped, first_word,
    is_transaction_control, leading_words,
};
pub use split::split;
pub use tables::{locks_tables, table_shape, TableShape};

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
