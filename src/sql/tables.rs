//! What a `CREATE TABLE`, `ALTER TABLE` or `LOCK TABLES` statement does to a table's primary
//! key and storage engine, as `sql::ddl` reads it (for the cluster checks run before a batch).

use super::{AlterAction, Ddl, KeyKind};

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

/// The name as the statement spells it (its case), for messages: its first occurrence as
/// a whole word (`b` in `CREATE TABLE b`, not the `b` of `TABLE`).
fn as_written(sql: &str, name: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    let wanted = name.to_ascii_lowercase();
    let word =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    for (at, _) in lower.match_indices(&wanted) {
        let end = at + wanted.len();
        if word(lower[..at].chars().next_back()) || word(lower[end..].chars().next()) {
            continue;
        }
        if sql.is_char_boundary(at) && sql.is_char_boundary(end) {
            return sql[at..end].to_string();
        }
    }
    wanted
}

/// `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] [db.]name …` or
/// `ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] [db.]name …`, as `sql::ddl` reads them; None
/// for any other statement.
pub fn table_shape(sql: &str) -> Option<TableShape> {
    match super::ddl(sql)? {
        Ddl::CreateTable {
            name,
            temporary,
            like,
            columns,
            keys,
            engine,
        } => Some(TableShape {
            name: as_written(sql, &name),
            creates: true,
            temporary,
            like,
            adds_primary_key: columns.iter().any(|c| c.primary)
                || keys.iter().any(|k| k.kind == KeyKind::Primary),
            drops_primary_key: false,
            engine: engine.map(|e| as_written(sql, &e)),
        }),
        Ddl::Alter { table, actions } => Some(TableShape {
            name: as_written(sql, &table),
            creates: false,
            temporary: false,
            like: false,
            adds_primary_key: actions.iter().any(|a| match a {
                AlterAction::AddKey(k) => k.kind == KeyKind::Primary,
                AlterAction::AddColumn(c) | AlterAction::ModifyColumn { def: c, .. } => c.primary,
                _ => false,
            }),
            drops_primary_key: actions.contains(&AlterAction::DropPrimaryKey),
            engine: actions.iter().find_map(|a| match a {
                AlterAction::Engine(e) => Some(as_written(sql, e)),
                _ => None,
            }),
        }),
        _ => None,
    }
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
        assert_eq!(shape("CREATE TABLE b (y INT)").name, "b");
        assert_eq!(shape("alter table `Ta` engine=MyISAM").name, "Ta");
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
