//! What a `CREATE TABLE`, `ALTER TABLE` or `LOCK TABLES` statement does to a table's primary
//! key and storage engine, read from its tokens (for the cluster checks run before a batch).

use super::lex::{Lexer, Tok};

/// A table a statement creates or alters, as far as keys and engines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    /// The table's name as written (without quotes or database).
    pub name: String,
    /// `CREATE TABLE` (else `ALTER TABLE`).
    pub creates: bool,
    /// `CREATE TEMPORARY TABLE`: never replicated, nothing to check.
    pub temporary: bool,
    /// `CREATE TABLE … LIKE other`: the copy has the other table's keys and engine.
    pub like: bool,
    /// A `PRIMARY KEY` is declared (a column's or the table's), or added by the ALTER.
    pub adds_primary_key: bool,
    /// `ALTER TABLE … DROP PRIMARY KEY`.
    pub drops_primary_key: bool,
    /// `ENGINE = X`, as written.
    pub engine: Option<String>,
}

fn all_tokens(sql: &str) -> Vec<Tok> {
    let mut lx = Lexer::new(sql);
    std::iter::from_fn(|| lx.next_tok()).collect()
}

/// The name as the statement spells it (its case), for messages.
fn as_written(sql: &str, upper: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    match lower.find(&upper.to_ascii_lowercase()) {
        Some(at) if sql.is_char_boundary(at) && sql.is_char_boundary(at + upper.len()) => {
            sql[at..at + upper.len()].to_string()
        }
        _ => upper.to_ascii_lowercase(),
    }
}

/// `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] [db.]name …` or
/// `ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] [db.]name …`; None for any other statement.
pub fn table_shape(sql: &str) -> Option<TableShape> {
    let head = super::leading_words(sql, 1);
    let creates = match head.first().map(String::as_str) {
        Some("CREATE") => true,
        Some("ALTER") => false,
        _ => return None,
    };
    let toks = all_tokens(sql);
    let word = |i: usize, w: &str| matches!(toks.get(i), Some(Tok::Word(x)) if x == w);
    let mut i = 1;
    let mut temporary = false;
    while let Some(Tok::Word(w)) = toks.get(i) {
        match w.as_str() {
            "OR" | "REPLACE" | "ONLINE" | "IGNORE" => i += 1,
            "TEMPORARY" | "TEMP" => {
                temporary = true;
                i += 1
            }
            _ => break,
        }
    }
    if !word(i, "TABLE") {
        return None;
    }
    i += 1;
    if word(i, "IF") {
        i += if word(i + 1, "NOT") { 3 } else { 2 };
    }
    let mut name = match toks.get(i) {
        Some(Tok::Word(w) | Tok::Ident(w)) => w.clone(),
        _ => return None,
    };
    i += 1;
    if matches!(toks.get(i), Some(Tok::Punct(b'.'))) {
        if let Some(Tok::Word(w) | Tok::Ident(w)) = toks.get(i + 1) {
            name = w.clone();
            i += 2;
        }
    }
    let mut shape = TableShape {
        name: as_written(sql, &name),
        creates,
        temporary,
        like: false,
        adds_primary_key: false,
        drops_primary_key: false,
        engine: None,
    };
    let mut depth = 0usize;
    let mut k = i;
    while k < toks.len() {
        match &toks[k] {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') => depth = depth.saturating_sub(1),
            Tok::Word(w) if w == "LIKE" && creates && k <= i + 1 => shape.like = true,
            Tok::Word(w) if w == "PRIMARY" && word(k + 1, "KEY") => {
                let dropped = k > 0 && word(k - 1, "DROP");
                if dropped && !creates {
                    shape.drops_primary_key = true;
                } else if (creates && depth >= 1) || (!creates && !dropped) {
                    shape.adds_primary_key = true;
                }
            }
            // A table option (depth 0): `ENGINE = X` or `ENGINE X`.
            Tok::Word(w) if w == "ENGINE" && depth == 0 => {
                let mut j = k + 1;
                if matches!(toks.get(j), Some(Tok::Punct(b'='))) {
                    j += 1;
                }
                if let Some(Tok::Word(e) | Tok::Ident(e)) = toks.get(j) {
                    shape.engine = Some(as_written(sql, e));
                }
            }
            // `CREATE TABLE t AS SELECT …`: the rest is a query, not the table's definition.
            Tok::Word(w) if (w == "SELECT" || w == "AS") && creates && depth == 0 => break,
            _ => {}
        }
        k += 1;
    }
    Some(shape)
}

/// `LOCK TABLE[S] …` (not `UNLOCK TABLES`).
pub fn locks_tables(sql: &str) -> bool {
    let w = super::leading_words(sql, 2);
    w.len() == 2 && w[0] == "LOCK" && (w[1] == "TABLES" || w[1] == "TABLE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> TableShape {
        table_shape(sql).unwrap_or_else(|| panic!("not a table statement: {sql}"))
    }

    #[test]
    fn a_primary_key_is_found_on_a_column_or_the_table() {
        assert!(shape("CREATE TABLE t (id INT PRIMARY KEY, v INT)").adds_primary_key);
        assert!(
            shape("CREATE TABLE `t` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB")
                .adds_primary_key
        );
        assert!(shape("create table t (id int, constraint pk primary key (id))").adds_primary_key);
        let s = shape("CREATE TABLE IF NOT EXISTS shop.Orders (id INT, note VARCHAR(20) DEFAULT 'PRIMARY KEY', KEY k (id))");
        assert_eq!(s.name, "Orders");
        assert!(!s.adds_primary_key, "{s:?}");
        assert!(!shape("CREATE TABLE t AS SELECT 1 AS x").adds_primary_key);
        assert!(!shape("CREATE TABLE t SELECT id FROM u").adds_primary_key);
    }

    #[test]
    fn engines_like_and_temporary_tables() {
        assert_eq!(
            shape("CREATE TABLE t (id INT PRIMARY KEY) ENGINE = MyISAM DEFAULT CHARSET=latin1")
                .engine
                .as_deref(),
            Some("MyISAM")
        );
        assert_eq!(
            shape("CREATE TABLE t (id INT PRIMARY KEY) /*!50100 ENGINE=Aria */")
                .engine
                .as_deref(),
            Some("Aria")
        );
        assert_eq!(shape("CREATE TABLE t (id INT PRIMARY KEY)").engine, None);
        assert!(shape("CREATE TABLE t LIKE u").like);
        assert!(shape("CREATE TABLE t (LIKE u)").like);
        assert!(shape("CREATE TEMPORARY TABLE t (v INT)").temporary);
        assert!(shape("CREATE TEMP TABLE t (v INT)").temporary);
        let s = shape("CREATE OR REPLACE TABLE logs (msg TEXT) ENGINE=MyISAM");
        assert!(!s.adds_primary_key && s.engine.as_deref() == Some("MyISAM"));
        assert!(shape("ALTER ONLINE IGNORE TABLE t ENGINE=Aria")
            .engine
            .is_some());
        assert!(table_shape("CREATE VIEW v AS SELECT 1").is_none());
        assert!(table_shape("CREATE INDEX i ON t (a)").is_none());
    }

    #[test]
    fn alters_add_and_drop_keys_and_change_engines() {
        assert!(shape("ALTER TABLE t ADD PRIMARY KEY (id)").adds_primary_key);
        assert!(shape("ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id)").adds_primary_key);
        let s = shape("ALTER TABLE t DROP PRIMARY KEY");
        assert!(s.drops_primary_key && !s.adds_primary_key);
        let s = shape("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)");
        assert!(s.drops_primary_key && s.adds_primary_key);
        assert_eq!(
            shape("ALTER TABLE t ENGINE=MEMORY").engine.as_deref(),
            Some("MEMORY")
        );
        assert!(locks_tables("LOCK TABLES `t` WRITE"));
        assert!(locks_tables("/*!40000 */ lock table t read"));
        assert!(!locks_tables("UNLOCK TABLES"));
    }
}
