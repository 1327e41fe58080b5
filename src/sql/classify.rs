//! What a statement is, read from its first tokens: transaction control, MySQL's implicit
//! commits, the object created or dropped, the leading words for messages.

use super::lex::{tokens, Lexer, Tok};

/// `BEGIN` / `BEGIN TRANSACTION` / `BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE [TRANSACTION]` / `BEGIN WORK` /
/// `START TRANSACTION` / `COMMIT [WORK|TRANSACTION]` / `END [TRANSACTION]` / `ROLLBACK [WORK|TRANSACTION]`
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
/// Whether the engine of `dialect` commits on its own around this statement (MySQL's DDL,
/// LOCK TABLES, transaction control …; SQLite never does).
pub fn commits_implicitly(dialect: crate::value::Dialect, sql: &str) -> bool {
    match dialect {
        crate::value::Dialect::Mysql => commits_implicitly_mysql(sql),
        crate::value::Dialect::Sqlite => false,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
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
