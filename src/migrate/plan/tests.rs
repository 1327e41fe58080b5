use super::*;
use crate::migrate::source::{checksum, Format};
use std::path::PathBuf;

fn file(name: &str, body: &str) -> MigrationFile {
    MigrationFile {
        name: name.into(),
        path: PathBuf::from(name),
        display: format!("migrations/{name}"),
        format: Format::Sql,
        checksum: checksum(body.as_bytes()),
        content: body.as_bytes().to_vec(),
    }
}

fn row(id: i64, name: &str, batch: i64, body: &str) -> AppliedRow {
    AppliedRow {
        id,
        name: name.into(),
        batch,
        migration_time: "2024-01-01 00:00:00".into(),
        checksum: checksum(body.as_bytes()),
        duration_ms: Some(1),
        state: RowState::Applied,
        statements_applied: None,
        error: None,
        progress_checksum: None,
        statement_running: None,
    }
}

const LAX: Policy = Policy {
    ignore_missing: false,
    strict_checksums: false,
    knex_files: Vec::new(),
};

#[test]
fn status_merges_files_and_rows() {
    let files = vec![
        file("20240101000000_a.sql", "a"),
        file("20240102000000_b.sql", "b2"),
        file("20240103000000_c.sql", "c"),
    ];
    let rows = vec![
        row(1, "20240101000000_a.sql", 1, "a"),
        row(2, "20240102000000_b.sql", 1, "b"),
        row(3, "20231231000000_z.sql", 1, "z"),
    ];
    let s: Vec<(String, State)> = status(&files, &rows, &[])
        .into_iter()
        .map(|i| (i.name, i.state))
        .collect();
    assert_eq!(
        s,
        vec![
            ("20231231000000_z.sql".into(), State::Missing),
            ("20240101000000_a.sql".into(), State::Applied),
            ("20240102000000_b.sql".into(), State::Modified),
            ("20240103000000_c.sql".into(), State::Pending),
        ]
    );
}

#[test]
fn latest_plans_pending_in_order_with_a_new_batch() {
    let files = vec![
        file("20240101000000_a.sql", "a"),
        file("20240102000000_b.sql", "b"),
        file("20240103000000_c.sql", "c"),
    ];
    let rows = vec![row(1, "20240102000000_b.sql", 3, "b")];
    let p = latest(&files, &rows, &LAX).unwrap();
    assert_eq!(p.pending, vec![0, 2]);
    assert_eq!(p.batch, 4);
}

#[test]
fn latest_refuses_missing_files_unless_told() {
    let files = vec![file("20240102000000_b.sql", "b")];
    let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
    let e = latest(&files, &rows, &LAX).unwrap_err();
    assert_eq!(e.kind, Kind::MissingFile);
    assert!(e.message.contains("20240101000000_a.sql"));
    let p = latest(
        &files,
        &rows,
        &Policy {
            ignore_missing: true,
            strict_checksums: false,
            knex_files: Vec::new(),
        },
    )
    .unwrap();
    assert_eq!(p.pending, vec![0]);
    assert_eq!(p.missing, vec!["20240101000000_a.sql".to_string()]);
}

#[test]
fn strict_checksums_refuse_modified_history() {
    let files = vec![file("20240101000000_a.sql", "edited")];
    let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
    assert_eq!(
        latest(&files, &rows, &LAX).unwrap().modified,
        vec!["20240101000000_a.sql".to_string()]
    );
    let e = latest(
        &files,
        &rows,
        &Policy {
            ignore_missing: false,
            strict_checksums: true,
            knex_files: Vec::new(),
        },
    )
    .unwrap_err();
    assert!(e.message.contains("changed since they ran"));
}

#[test]
fn partial_migrations_block_until_fixed_then_resume() {
    let files = vec![
        file("20240101000000_a.sql", "a"),
        file("20240102000000_b.sql", "b"),
    ];
    let mut r = row(1, "20240101000000_a.sql", 1, "a");
    r.state = RowState::Partial;
    r.statements_applied = Some(2);
    r.progress_checksum = Some("h2".into());
    r.error = Some("no such table: x".into());
    r.statement_running = Some(3);
    let p = latest(&files, std::slice::from_ref(&r), &LAX).unwrap();
    assert_eq!(
        p.resume.as_ref().map(|r| r.stop),
        Some(Stop::Failed {
            file_changed: false
        })
    );
    let e = partial_error(&r, "migrations/a.sql");
    assert_eq!(e.kind, Kind::Partial);
    assert!(e.message.contains("then it failed"), "{}", e.message);
    assert!(e.hint.as_deref().unwrap_or("").contains("fix statement 3"));
    let fixed = vec![
        file("20240101000000_a.sql", "a fixed"),
        file("20240102000000_b.sql", "b"),
    ];
    let p = latest(&fixed, std::slice::from_ref(&r), &LAX).unwrap();
    assert_eq!(
        p.resume,
        Some(Resume {
            file: 0,
            done: 2,
            progress: "h2".into(),
            stop: Stop::Failed { file_changed: true }
        })
    );
    // A down section stopped half-way: no resume of the up section over it.
    let mut half = r.clone();
    half.error = Some("rollback stopped at down statement 2 of 3: no such table".into());
    let e = latest(&files, std::slice::from_ref(&half), &LAX).unwrap_err();
    assert!(e.message.contains("half rolled back"), "{}", e.message);
    // Killed while statement 3 ran: resumable with the file as it is.
    r.statement_running = Some(3);
    r.error = None;
    let p = latest(&files, std::slice::from_ref(&r), &LAX).unwrap();
    assert_eq!(p.resume.as_ref().map(|r| r.stop), Some(Stop::Running(3)));
    assert!(partial_error(&r, "a")
        .message
        .contains("statement 3 was running"));
    assert_eq!(p.pending, vec![1]);
    assert!(p.modified.is_empty());
}

#[test]
fn rollback_takes_the_last_batch_newest_first() {
    let files = vec![
        file("20240101000000_a.sql", "a"),
        file("20240102000000_b.sql", "b"),
        file("20240103000000_c.sql", "c"),
    ];
    let rows = vec![
        row(1, "20240101000000_a.sql", 1, "a"),
        row(2, "20240102000000_b.sql", 2, "b"),
        row(3, "20240103000000_c.sql", 2, "c"),
    ];
    let names = |v: Vec<Revert>| v.iter().map(|r| r.row.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(rollback(&files, &rows, false, &LAX).unwrap()),
        vec!["20240103000000_c.sql", "20240102000000_b.sql"]
    );
    assert_eq!(names(rollback(&files, &rows, true, &LAX).unwrap()).len(), 3);
    assert!(rollback(&files, &[], false, &LAX).unwrap().is_empty());
}

#[test]
fn up_and_down_by_name() {
    let files = vec![
        file("20240101000000_a.sql", "a"),
        file("20240102000000_b.sql", "b"),
    ];
    let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
    assert_eq!(up(&files, &rows, None).unwrap(), Some(1));
    assert_eq!(up(&files, &rows, Some("b")).unwrap(), Some(1));
    assert!(up(&files, &rows, Some("a"))
        .unwrap_err()
        .message
        .contains("already applied"));
    assert!(up(&files, &rows, Some("zzz"))
        .unwrap_err()
        .message
        .contains("no migration file named"));
    assert_eq!(
        down(&files, &rows, None).unwrap().unwrap().row.name,
        "20240101000000_a.sql"
    );
    assert!(down(&files, &rows, Some("b"))
        .unwrap_err()
        .message
        .contains("is not applied"));
    assert!(down(&files, &[], None).unwrap().is_none());
}

/// A row as Knex writes it: its own file name, no checksum.
fn knex_row(id: i64, name: &str, batch: i64) -> AppliedRow {
    let mut r = row(id, name, batch, "");
    r.checksum = String::new();
    r.duration_ms = None;
    r
}

fn knex_history() -> Vec<AppliedRow> {
    vec![
        knex_row(1, "20240101000000_create_users.js", 1),
        knex_row(2, "20240102000000_add_email.ts", 1),
        knex_row(3, "20240103000000_create_posts.js", 2),
    ]
}

#[test]
fn knex_rows_record_furrow_files_of_the_same_stem() {
    let files = vec![
        file("20240101000000_create_users.yaml", "u"),
        file("20240102000000_add_email.sql", "e"),
        file("20240103000000_create_posts.yaml", "p"),
        file("20240104000000_create_tags.yaml", "t"),
    ];
    let rows = knex_history();
    let items = status(&files, &rows, &[]);
    let s: Vec<(&str, &str, Option<ByKnex>)> = items
        .iter()
        .map(|i| (i.name.as_str(), i.state.name(), i.by_knex.clone()))
        .collect();
    assert_eq!(
        s,
        vec![
            (
                "20240101000000_create_users.yaml",
                "applied",
                Some(ByKnex::TrackedAs("20240101000000_create_users.js".into()))
            ),
            (
                "20240102000000_add_email.sql",
                "applied",
                Some(ByKnex::TrackedAs("20240102000000_add_email.ts".into()))
            ),
            (
                "20240103000000_create_posts.yaml",
                "applied",
                Some(ByKnex::TrackedAs("20240103000000_create_posts.js".into()))
            ),
            ("20240104000000_create_tags.yaml", "pending", None),
        ]
    );
    let p = latest(&files, &rows, &LAX).unwrap();
    assert_eq!(p.pending, vec![3], "only the new file runs");
    assert!(p.missing.is_empty());
    assert_eq!(p.batch, 3);
    assert_eq!(up(&files, &rows, None).unwrap(), Some(3));
    let e = up(&files, &rows, Some("create_users")).unwrap_err();
    assert!(
        e.message
            .contains("already applied (batch 1, by Knex as 20240101000000_create_users.js)"),
        "{}",
        e.message
    );
}

#[test]
fn only_knex_extensions_match_by_stem() {
    // A furrow row of another format is a different migration, not this one.
    let files = vec![file("20240101000000_a.yaml", "a")];
    let rows = vec![row(1, "20240101000000_a.sql", 1, "a")];
    let s: Vec<State> = status(&files, &rows, &[])
        .into_iter()
        .map(|i| i.state)
        .collect();
    assert_eq!(s, vec![State::Missing, State::Pending]);
    assert_eq!(knex_stem("20240101000000_a.mjs"), Some("20240101000000_a"));
    assert_eq!(knex_stem("20240101000000_a.cjs"), Some("20240101000000_a"));
    assert_eq!(knex_stem("20240101000000_a.yaml"), None);
}

#[test]
fn rows_of_knex_files_in_the_directory_are_applied_by_knex_not_missing() {
    let files = vec![file("20240104000000_create_tags.sql", "t")];
    let rows = knex_history();
    let knex_files: Vec<String> = rows.iter().map(|r| r.name.clone()).take(2).collect();
    let items = status(&files, &rows, &knex_files);
    let s: Vec<(&str, &str, Option<ByKnex>)> = items
        .iter()
        .map(|i| (i.name.as_str(), i.state.name(), i.by_knex.clone()))
        .collect();
    assert_eq!(
        s,
        vec![
            (
                "20240101000000_create_users.js",
                "applied",
                Some(ByKnex::KnexFile)
            ),
            (
                "20240102000000_add_email.ts",
                "applied",
                Some(ByKnex::KnexFile)
            ),
            // Its Knex file is gone too: really missing.
            ("20240103000000_create_posts.js", "missing", None),
            ("20240104000000_create_tags.sql", "pending", None),
        ]
    );
    let pol = Policy {
        knex_files: rows.iter().map(|r| r.name.clone()).collect(),
        ..LAX
    };
    let p = latest(&files, &rows, &pol).unwrap();
    assert_eq!(p.pending, vec![0]);
    assert!(p.missing.is_empty(), "no --ignore-missing needed");
    assert!(
        latest(&files, &rows, &LAX).is_err(),
        "without the files: missing"
    );
    // furrow cannot run a Knex file's down.
    let e = rollback(&files, &rows, false, &pol).unwrap_err();
    assert!(
        e.message
            .contains("cannot roll back 20240103000000_create_posts.js"),
        "{}",
        e.message
    );
    assert!(e.hint.unwrap().contains("knex migrate:down"));
}

#[test]
fn rollback_of_a_stem_matched_migration_uses_the_furrow_file_and_the_knex_row() {
    let files = vec![
        file("20240101000000_create_users.yaml", "u"),
        file("20240102000000_add_email.sql", "e"),
        file("20240103000000_create_posts.yaml", "p"),
    ];
    let rows = knex_history();
    let r = rollback(&files, &rows, false, &LAX).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].row.name, "20240103000000_create_posts.js");
    assert_eq!(files[r[0].file].name, "20240103000000_create_posts.yaml");
    let d = down(&files, &rows, Some("add_email")).unwrap().unwrap();
    assert_eq!(d.row.name, "20240102000000_add_email.ts");
    assert_eq!(files[d.file].name, "20240102000000_add_email.sql");
}
