//! How MySQL and MariaDB carry out an `ALTER TABLE`: instantly, in place without blocking
//! writes, in place under a shared lock, or by copying the table — per action and server
//! version. The MariaDB 10.4+ verdicts are checked in the tests against the real server
//! (each flagged and each passing statement run with `ALGORITHM=INSTANT` and with
//! `ALGORITHM=INPLACE, LOCK=NONE`); the older-version and MySQL rows follow their manuals.

use crate::sql::{AlterAction, ColumnDef, KeyKind};

/// The cheapest way the server can carry out an ALTER, cheapest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Algorithm {
    /// Metadata only (`ALGORITHM=INSTANT`).
    Instant,
    /// In place, no rebuild of the table, writes go on (`NOCOPY`, `LOCK=NONE`).
    NoCopy,
    /// In place, the table is rebuilt, writes go on (`INPLACE, LOCK=NONE`).
    Rebuild,
    /// In place, but writes wait for the whole operation (`INPLACE, LOCK=SHARED`).
    Blocking,
    /// The table is copied row by row; writes wait throughout (`COPY`).
    Copy,
}

impl Algorithm {
    /// `instant`, `nocopy`, `inplace`, `inplace-shared`, `copy` (for --json).
    pub fn code(self) -> &'static str {
        match self {
            Algorithm::Instant => "instant",
            Algorithm::NoCopy => "nocopy",
            Algorithm::Rebuild => "inplace",
            Algorithm::Blocking => "inplace-shared",
            Algorithm::Copy => "copy",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Algorithm::Instant => "instantly (ALGORITHM=INSTANT)",
            Algorithm::NoCopy => "in place without a rebuild (ALGORITHM=NOCOPY, LOCK=NONE)",
            Algorithm::Rebuild => "in place, rebuilding the table, with writes going on (ALGORITHM=INPLACE, LOCK=NONE)",
            Algorithm::Blocking => "in place, but holding writes for the whole operation (LOCK=SHARED)",
            Algorithm::Copy => "by copying the table, holding writes throughout (ALGORITHM=COPY)",
        }
    }

    /// Whether the server accepts the statement with `ALGORITHM=<alg>` (and `LOCK=<lock>`).
    pub fn allows(self, algorithm: Option<&str>, lock: Option<&str>) -> bool {
        let by_algorithm = match algorithm {
            Some("INSTANT") => self == Algorithm::Instant,
            Some("NOCOPY") => self <= Algorithm::NoCopy,
            Some("INPLACE") => self <= Algorithm::Blocking,
            _ => true,
        };
        let by_lock = match lock {
            Some("NONE") => self <= Algorithm::Rebuild,
            Some("SHARED") => self <= Algorithm::Blocking,
            _ => true,
        };
        by_algorithm && by_lock
    }
}

/// A server: MariaDB or MySQL, and its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    pub mariadb: bool,
    pub version: (u32, u32, u32),
}

impl Server {
    /// `10.11.6-MariaDB-0+deb12u1`, `8.0.36`, `mariadb-10.6`, `mysql-8.0.29`.
    pub fn parse(text: &str) -> Option<Server> {
        let lower = text.to_ascii_lowercase();
        let digits = lower.trim_start_matches(|c: char| !c.is_ascii_digit());
        if digits.is_empty() {
            return None;
        }
        let mut parts = digits
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let major = parts.next()?;
        let version = (major, parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        let mariadb = lower.contains("mariadb") || (!lower.contains("mysql") && major >= 10);
        Some(Server { mariadb, version })
    }

    pub fn name(&self) -> String {
        let (a, b, c) = self.version;
        format!(
            "{} {a}.{b}.{c}",
            if self.mariadb { "MariaDB" } else { "MySQL" }
        )
    }

    fn at_least(&self, v: (u32, u32, u32)) -> bool {
        self.version >= v
    }

    /// ADD COLUMN anywhere / at the end instantly; DROP COLUMN instantly.
    fn instant_columns(&self) -> (bool, bool, bool) {
        if self.mariadb {
            let anywhere = self.at_least((10, 4, 0));
            (anywhere, self.at_least((10, 3, 2)), anywhere)
        } else {
            let anywhere = self.at_least((8, 0, 29));
            (anywhere, self.at_least((8, 0, 12)), anywhere)
        }
    }
}

/// What a column looked like before the statement, when known.
pub struct Before<'a> {
    pub def: Option<&'a ColumnDef>,
    pub indexed: bool,
}

/// Integer types, narrowest first.
const INTS: [&str; 5] = ["TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT"];

fn same_type(a: &ColumnDef, b: &ColumnDef) -> bool {
    let norm = |t: &str| {
        if t == "INTEGER" {
            "INT".to_string()
        } else {
            t.to_string()
        }
    };
    norm(&a.ty) == norm(&b.ty) && a.unsigned == b.unsigned
}

/// How a `MODIFY`/`CHANGE` changes a column (old → new), for the verdict and the
/// destructive rule: None when nothing about the stored values changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeChange {
    Widen,
    Narrow,
    Other,
}

fn norm(t: &str) -> &str {
    if t == "INTEGER" {
        "INT"
    } else {
        t
    }
}

pub fn type_change(old: &ColumnDef, new: &ColumnDef) -> Option<TypeChange> {
    let (o, n) = (norm(&old.ty), norm(&new.ty));
    let rank = |t: &str| INTS.iter().position(|x| *x == t);
    // ENUM and SET list their values as strings, which are not read: any change is unknown.
    if is_list(o) || is_list(n) {
        return Some(TypeChange::Other);
    }
    // An integer's display width (`int(11)`) changes nothing stored.
    if let (Some(a), Some(b)) = (rank(o), rank(n)) {
        return match (a.cmp(&b), old.unsigned == new.unsigned) {
            (std::cmp::Ordering::Equal, true) => None,
            (std::cmp::Ordering::Less, true) => Some(TypeChange::Widen),
            _ => Some(TypeChange::Narrow),
        };
    }
    let charset_same = new.charset.is_none() || old.charset == new.charset;
    if same_type(old, new) && old.args == new.args && charset_same {
        return None;
    }
    if o == n && charset_same {
        if old.args.len() == 2 && new.args.len() == 2 {
            // DECIMAL(p, s): fewer digits before the point, or after it, narrows.
            let (p0, s0, p1, s1) = (old.args[0], old.args[1], new.args[0], new.args[1]);
            let narrower = s1 < s0 || p1.saturating_sub(s1) < p0.saturating_sub(s0);
            return Some(if narrower {
                TypeChange::Narrow
            } else {
                TypeChange::Widen
            });
        }
        let len = |d: &ColumnDef| d.args.first().copied();
        return Some(match (len(old), len(new)) {
            (Some(a), Some(b)) if b < a => TypeChange::Narrow,
            (Some(_), Some(_)) => TypeChange::Widen,
            _ => TypeChange::Other,
        });
    }
    let text = [
        "CHAR",
        "VARCHAR",
        "TINYTEXT",
        "TEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
    ];
    let tr = |t: &str| text.iter().position(|x| *x == t);
    if let (Some(a), Some(b)) = (tr(o), tr(n)) {
        if charset_same && b >= a && a >= 2 {
            return Some(TypeChange::Widen);
        }
        return Some(if b < a {
            TypeChange::Narrow
        } else {
            TypeChange::Other
        });
    }
    Some(TypeChange::Other)
}

fn is_list(ty: &str) -> bool {
    ty == "ENUM" || ty == "SET"
}

fn modify(server: &Server, before: &Before<'_>, def: &ColumnDef) -> Option<Algorithm> {
    let old = before.def?;
    // Appending an ENUM value is instant, changing one copies: the values are not read here,
    // so no verdict is claimed.
    if is_list(&old.ty) || is_list(&def.ty) {
        return None;
    }
    let nullability = old.not_null != def.not_null;
    let change = type_change(old, def);
    Some(match change {
        Some(TypeChange::Widen)
            if same_type(old, def) && old.ty.contains("CHAR") && server.mariadb =>
        {
            // MariaDB 10.4+ extends a VARCHAR instantly (measured: VARCHAR(20) → (100), utf8mb4).
            if nullability {
                Algorithm::Rebuild
            } else if server.at_least((10, 4, 0)) {
                Algorithm::Instant
            } else {
                Algorithm::Copy
            }
        }
        Some(_) => Algorithm::Copy,
        None if nullability => Algorithm::Rebuild,
        None if def.positioned && !server.instant_columns().0 => Algorithm::Rebuild,
        None => Algorithm::Instant,
    })
}

/// The server's verdict on one action (None: not known without the column's old definition).
pub fn action(
    server: &Server,
    a: &AlterAction,
    before: &Before<'_>,
    all: &[AlterAction],
) -> Option<Algorithm> {
    let (add_anywhere, add_last, drop_instant) = server.instant_columns();
    Some(match a {
        AlterAction::AddColumn(c) => {
            if c.auto_increment {
                Algorithm::Blocking
            } else if c.generated == Some(true) {
                Algorithm::Copy
            } else if add_anywhere || (add_last && !c.positioned) {
                Algorithm::Instant
            } else {
                Algorithm::Rebuild
            }
        }
        AlterAction::DropColumn(_) => {
            if before.indexed {
                Algorithm::NoCopy
            } else if drop_instant {
                Algorithm::Instant
            } else {
                Algorithm::Rebuild
            }
        }
        AlterAction::ModifyColumn { def, .. } => return modify(server, before, def),
        AlterAction::RenameColumn { .. }
        | AlterAction::ColumnDefault(_)
        | AlterAction::RenameIndex
        | AlterAction::RenameTable(_)
        | AlterAction::DropForeignKey(_)
        | AlterAction::DropConstraint(_)
        | AlterAction::Option
        | AlterAction::Algorithm(_)
        | AlterAction::Lock(_) => Algorithm::Instant,
        AlterAction::AddKey(k) => match k.kind {
            KeyKind::Plain | KeyKind::Unique => Algorithm::NoCopy,
            KeyKind::Primary => Algorithm::Rebuild,
            KeyKind::Fulltext | KeyKind::Spatial => Algorithm::Blocking,
            // With foreign_key_checks on (as migrations run), MySQL and MariaDB copy.
            KeyKind::Foreign | KeyKind::Check => Algorithm::Copy,
        },
        AlterAction::DropIndex(_) => Algorithm::NoCopy,
        AlterAction::DropPrimaryKey => {
            if all
                .iter()
                .any(|x| matches!(x, AlterAction::AddKey(k) if k.kind == KeyKind::Primary))
            {
                Algorithm::Rebuild
            } else {
                Algorithm::Copy
            }
        }
        AlterAction::Engine(e) if e.eq_ignore_ascii_case("innodb") => Algorithm::Rebuild,
        AlterAction::Rebuild => Algorithm::Rebuild,
        AlterAction::Engine(_) | AlterAction::ConvertCharset => Algorithm::Copy,
        AlterAction::Other(_) => return None,
    })
}

/// The verdict on a whole statement: its costliest action. An instant column change in the
/// same statement as an index build makes the server rebuild (measured).
pub fn statement(verdicts: &[Algorithm], actions: &[AlterAction]) -> Algorithm {
    let worst = verdicts.iter().copied().max().unwrap_or(Algorithm::Instant);
    let column_change = actions
        .iter()
        .any(|a| matches!(a, AlterAction::AddColumn(_) | AlterAction::DropColumn(_)));
    if column_change && worst == Algorithm::NoCopy {
        Algorithm::Rebuild
    } else {
        worst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions_are_read_from_what_servers_say() {
        let m = Server::parse("10.11.19-MariaDB-0+deb12u1").unwrap();
        assert!(m.mariadb && m.version == (10, 11, 19));
        let my = Server::parse("8.0.36").unwrap();
        assert!(!my.mariadb && my.version == (8, 0, 36));
        assert!(Server::parse("mariadb-10.3").unwrap().mariadb);
        assert!(!Server::parse("mysql-5.7.44").unwrap().mariadb);
        assert_eq!(Server::parse("banana"), None);
    }

    #[test]
    fn type_changes_of_decimals_and_lists() {
        let c = |t: &str| crate::sql::column(&format!("x {t}")).unwrap();
        assert_eq!(
            type_change(&c("DECIMAL(12,2)"), &c("DECIMAL(12,4)")),
            Some(TypeChange::Narrow)
        );
        assert_eq!(
            type_change(&c("DECIMAL(12,2)"), &c("DECIMAL(14,3)")),
            Some(TypeChange::Widen)
        );
        assert_eq!(
            type_change(&c("ENUM('a','b')"), &c("ENUM('a')")),
            Some(TypeChange::Other)
        );
        assert_eq!(type_change(&c("int(11)"), &c("INT")), None);
        assert_eq!(
            type_change(&c("VARCHAR(20)"), &c("VARCHAR(10)")),
            Some(TypeChange::Narrow)
        );
    }

    #[test]
    fn algorithms_are_ordered_and_clauses_checked() {
        assert!(Algorithm::Instant.allows(Some("INSTANT"), None));
        assert!(!Algorithm::NoCopy.allows(Some("INSTANT"), None));
        assert!(Algorithm::Rebuild.allows(Some("INPLACE"), Some("NONE")));
        assert!(!Algorithm::Blocking.allows(Some("INPLACE"), Some("NONE")));
        assert!(Algorithm::Blocking.allows(Some("INPLACE"), None));
        assert!(!Algorithm::Copy.allows(Some("INPLACE"), None));
        assert!(Algorithm::Copy.allows(Some("COPY"), None));
    }
}
