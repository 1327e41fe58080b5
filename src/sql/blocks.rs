//! Following `BEGIN … END` (and IF/LOOP/CASE … END) in the statement being split, so that
//! a trigger's or stored program's body is one statement.

/// Keywords that matter to block tracking.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Kw {
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

pub(super) fn keyword(w: &[u8]) -> Kw {
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
pub(super) enum T {
    Word(Kw),
    Punct(u8),
    Other,
}

/// What kind of statement is being read, for block tracking.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum StatementShape {
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
pub(super) enum Prev {
    /// Where a statement of a body can start: after `;`, a label's `:`, BEGIN, THEN, ELSE,
    /// DO, LOOP, REPEAT, FOR EACH ROW.
    StatementStart,
    /// After `.` or `@`: the next word is a name part or variable, never a keyword.
    Qualifier,
    Other,
}

/// An open block of a compound statement.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Block {
    /// BEGIN, or IF/LOOP/WHILE/REPEAT/CASE starting a statement of a body.
    Statement,
    /// CASE inside an expression: its THEN/ELSE are followed by expressions, not statements
    /// (so `THEN IF(a, b, c)` is the IF() function).
    CaseExpression,
}

pub(super) struct Cur {
    pub(super) start: usize,
    pub(super) line: usize,
    /// End of the last significant token.
    pub(super) end: usize,
    pub(super) kind: StatementShape,
    /// Open blocks (their count is the depth; `;` splits only at depth 0).
    pub(super) blocks: Vec<Block>,
    pub(super) prev: Prev,
    /// The previous token was END (MySQL): a following IF/LOOP/WHILE/REPEAT/CASE belongs to it.
    pub(super) after_end: bool,
}

/// Block tracking inside a compound statement.
///
/// BEGIN and CASE always open a block, END closes one. In MySQL, IF/LOOP/WHILE/REPEAT open a
/// block only where a statement of the body starts (after `;`, a label's `:`, BEGIN, THEN, ELSE,
/// DO, LOOP, REPEAT, FOR EACH ROW): elsewhere they are the IF()/REPEAT() functions or the
/// `IF [NOT] EXISTS` clause. This also handles `IF (x) THEN` and `IF NOT EXISTS (…) THEN`.
pub(super) fn follow_block(cur: &mut Cur, t: T, mysql: bool) {
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

#[cfg(test)]
mod tests {
    use super::super::split::tests::{both, owned, sp, texts};
    use crate::value::Dialect::{Mysql, Sqlite};

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
}
