//! Rows: batched multi-row INSERTs and DELETEs by key with bound parameters, and parameters
//! inlined as literals for previews.

use super::column::literal;
use super::{q, qlist};
use crate::value::{Dialect, Value};

/// Most rows in one INSERT/DELETE statement.
pub(super) const MAX_ROWS: usize = 1000;
/// Most bound parameters in one statement: far below SQLite's 32766 and MySQL's 65535.
pub(super) const MAX_PARAMS: usize = 10_000;
/// Rough payload cap per statement, far below MySQL's smallest usual max_allowed_packet (4 MiB).
pub(super) const MAX_BYTES: usize = 1 << 20;

pub(super) fn value_size(v: &Value) -> usize {
    match v {
        Value::Text(s) => s.len() + 4,
        Value::Bytes(b) => b.len() * 2 + 4,
        _ => 8,
    }
}

/// Multi-row INSERTs with bound parameters. Consecutive rows with the same set of columns share
/// statements; a column a row does not give is left out (so its default applies), never NULL.
pub(super) fn insert_statements(
    table: &str,
    rows: &[Vec<(String, Value)>],
    d: Dialect,
) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    let same_set = |a: &[(String, Value)], b: &[(String, Value)]| {
        a.len() == b.len()
            && a.iter()
                .all(|(n, _)| b.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)))
    };
    let mut i = 0;
    while i < rows.len() {
        let cols: Vec<String> = rows[i].iter().map(|(n, _)| n.clone()).collect();
        let per_stmt = (MAX_PARAMS / cols.len().max(1)).clamp(1, MAX_ROWS);
        let mut j = i;
        let mut params: Vec<Value> = Vec::new();
        let mut bytes = 0;
        let mut count = 0;
        let flush =
            |params: &mut Vec<Value>, count: &mut usize, out: &mut Vec<(String, Vec<Value>)>| {
                if *count == 0 {
                    return;
                }
                let one = format!("({})", vec!["?"; cols.len()].join(", "));
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    q(d, table),
                    qlist(d, &cols),
                    vec![one; *count].join(", ")
                );
                out.push((sql, std::mem::take(params)));
                *count = 0;
            };
        while j < rows.len() && same_set(&rows[i], &rows[j]) {
            let row = &rows[j];
            let size: usize = row.iter().map(|(_, v)| value_size(v)).sum();
            if count == per_stmt || (count > 0 && bytes + size > MAX_BYTES) {
                flush(&mut params, &mut count, &mut out);
                bytes = 0;
            }
            for c in &cols {
                let v = row
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(c))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null);
                params.push(v);
            }
            bytes += size;
            count += 1;
            j += 1;
        }
        flush(&mut params, &mut count, &mut out);
        i = j;
    }
    out
}

/// DELETEs that remove exactly these rows, identified by `key` (rows newest first).
pub(crate) fn delete_rows(
    table: &str,
    key: &[String],
    rows: &[Vec<(String, Value)>],
    d: Dialect,
) -> Result<Vec<(String, Vec<Value>)>, String> {
    if key.is_empty() {
        return Err(format!(
            "table `{table}` has no primary key to delete the inserted rows by"
        ));
    }
    let mut keyed: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut vals = Vec::with_capacity(key.len());
        for k in key {
            match row.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
                Some((_, v)) => vals.push(v.clone()),
                None => {
                    return Err(format!(
                        "row {} inserted into `{table}` has no value for the key column `{k}`, so it cannot be deleted by key",
                        i + 1
                    ))
                }
            }
        }
        keyed.push(vals);
    }
    let mut out = Vec::new();
    let table_q = q(d, table);
    if key.len() == 1 {
        let col = q(d, &key[0]);
        if keyed.iter().any(|v| v[0].is_null()) {
            out.push((
                format!("DELETE FROM {table_q} WHERE {col} IS NULL"),
                Vec::new(),
            ));
        }
        let values: Vec<Value> = keyed
            .into_iter()
            .map(|mut v| v.remove(0))
            .filter(|v| !v.is_null())
            .collect();
        for chunk in values.chunks(MAX_ROWS) {
            let marks = vec!["?"; chunk.len()].join(", ");
            out.push((
                format!("DELETE FROM {table_q} WHERE {col} IN ({marks})"),
                chunk.to_vec(),
            ));
        }
    } else {
        let per = (MAX_PARAMS / key.len()).clamp(1, MAX_ROWS / 2);
        for chunk in keyed.chunks(per) {
            let mut params = Vec::new();
            let mut ors = Vec::new();
            for vals in chunk {
                let mut ands = Vec::new();
                for (k, v) in key.iter().zip(vals) {
                    if v.is_null() {
                        ands.push(format!("{} IS NULL", q(d, k)));
                    } else {
                        ands.push(format!("{} = ?", q(d, k)));
                        params.push(v.clone());
                    }
                }
                ors.push(format!("({})", ands.join(" AND ")));
            }
            out.push((
                format!("DELETE FROM {table_q} WHERE {}", ors.join(" OR ")),
                params,
            ));
        }
    }
    Ok(out)
}

/// The statement with its parameters as literals, for previews (never executed).
pub(crate) fn inline_params(sql: &str, params: &[Value], d: Dialect) -> String {
    let mut out = String::with_capacity(sql.len() + params.len() * 4);
    let mut params = params.iter();
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(qc) => {
                out.push(c);
                if c == qc {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '?' => match params.next() {
                    Some(v) => out.push_str(&literal(v, d)),
                    None => out.push('?'),
                },
                _ => out.push(c),
            },
        }
    }
    out
}

/// The `delete` op: one DELETE with its equality conditions ANDed (a NULL means `IS NULL`).
pub(super) fn delete_where(
    table: &str,
    conditions: &[(String, Value)],
    d: Dialect,
) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let mut conds = Vec::new();
    for (c, v) in conditions {
        if v.is_null() {
            conds.push(format!("{} IS NULL", q(d, c)));
        } else {
            conds.push(format!("{} = ?", q(d, c)));
            params.push(v.clone());
        }
    }
    (
        format!("DELETE FROM {} WHERE {}", q(d, table), conds.join(" AND ")),
        params,
    )
}
