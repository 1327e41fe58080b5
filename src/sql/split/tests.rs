//! The splitter's cases, one behaviour a test.

use super::*;
use crate::sql::leading_words;
use Dialect::{Mysql, Sqlite};

/// (sql, line) of each statement; also checks the numbering.
pub(in crate::sql) fn sp(text: &str, d: Dialect) -> Vec<(String, usize)> {
    let stmts = split(text, 1, d).unwrap_or_else(|e| panic!("split failed: {e:?}"));
    for (i, s) in stmts.iter().enumerate() {
        assert_eq!(s.number, i + 1, "numbering of {stmts:?}");
    }
    stmts.into_iter().map(|s| (s.sql, s.line)).collect()
}

pub(in crate::sql) fn texts(text: &str, d: Dialect) -> Vec<String> {
    sp(text, d).into_iter().map(|(s, _)| s).collect()
}

pub(in crate::sql) fn both(text: &str) -> Vec<String> {
    let m = texts(text, Mysql);
    assert_eq!(m, texts(text, Sqlite), "dialects differ on {text:?}");
    m
}

pub(in crate::sql) fn err(text: &str, first_line: usize, d: Dialect) -> SplitError {
    match split(text, first_line, d) {
        Err(e) => e,
        Ok(s) => panic!("expected an error, got {s:?}"),
    }
}

pub(in crate::sql) fn owned(v: &[&str]) -> Vec<String> {
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
            message: "unterminated quoted identifier starting at line 2: add the closing `".into()
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
