//! furrow as a library: a `Project` with the repository's migrations and seeds compiled in
//! agrees with the CLI on the same database (same checksums, either order), and its errors
//! have the CLI's kinds and exit codes, without passwords.

use crate::mysql_test;
use crate::support::*;

const MIGRATIONS: furrow::Embedded = furrow::embed!("migrations");
const SEEDS: furrow::Embedded = furrow::embed!("seeds");

/// A project with copies of the repository's migrations and seeds on disk.
fn example_project() -> Project {
    let p = Project::new(Backend::Sqlite);
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  connection: { filename: ./dev.sqlite3 }\n",
    );
    for (name, bytes) in MIGRATIONS.files() {
        p.write_bytes(&format!("migrations/{name}"), bytes);
    }
    for (name, bytes) in SEEDS.files() {
        p.write_bytes(&format!("seeds/{name}"), bytes);
    }
    p
}

fn app(p: &Project) -> furrow::Project {
    furrow::Project::sqlite(p.path("dev.sqlite3"))
        .unwrap()
        .migrations(MIGRATIONS)
        .seeds(SEEDS)
        .unwrap()
}

#[test]
fn the_embedded_files_and_the_files_on_disk_are_the_same_migrations() {
    assert!(MIGRATIONS.len() >= 2 && !SEEDS.is_empty());
    // The CLI first, then the application.
    let p = example_project();
    p.run(&["migrate:latest"]).ok();
    p.run(&["seed:run"]).ok();
    let a = app(&p);
    let status = a.status().unwrap();
    assert!(status.up_to_date, "{status:?}");
    assert!(status
        .items
        .iter()
        .all(|i| i.state == furrow::State::Applied));
    let run = a.migrate_latest().unwrap();
    assert_eq!(
        (run.batch, run.migrations.len(), run.warnings.len()),
        (None, 0, 0),
        "{run:?}"
    );
    let seeds = a.seed_status().unwrap();
    assert!(
        seeds.items.iter().all(|s| s.state == "up_to_date"),
        "{seeds:?}"
    );
    // The application first, then the CLI.
    let q = example_project();
    let a = app(&q);
    assert_eq!(a.migrate_latest().unwrap().batch, Some(1));
    assert_eq!(a.seed_run().unwrap().seeds[0].inserted, 3);
    q.run(&["migrate:status", "--check"]).ok().lacks("modified");
    q.run(&["seed:status"]).ok().has("up to date");
    assert_eq!(
        q.db().col("SELECT name FROM accounts ORDER BY id"),
        vec!["John Smith", "Ed Williams", "Wendy Jones"]
    );
}

#[test]
fn errors_have_the_clis_kinds_and_exit_codes() {
    let p = example_project();
    let e = furrow::Project::open(p.path("knexfile.yaml"), "staging").unwrap_err();
    assert_eq!((e.kind, e.kind.exit_code()), (furrow::Kind::Config, 2));
    assert!(e.message.contains("known environments: development"), "{e}");
    // A migration that fails: an error naming it, and nothing of it kept.
    let bad = furrow::Project::sqlite(p.path("dev.sqlite3"))
        .unwrap()
        .migrations(furrow::Embedded::new(
            "migrations",
            &[(
                "20240101000000_bad.sql",
                b"-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO missing VALUES (1);\n",
            )],
        ));
    let e = bad.migrate_latest().unwrap_err();
    assert_eq!((e.kind, e.kind.exit_code()), (furrow::Kind::Database, 1));
    assert!(e.to_string().contains("20240101000000_bad.sql"), "{e}");
    assert!(!p.db().has_table("t"), "rolled back whole");
}

mysql_test! {
    fn a_password_appears_in_no_error_and_no_event(p) {
        let url = p.connection();
        let wrong = url.replacen("furrow-test-pw", "not-the-Pa55word", 1);
        assert_ne!(url, wrong, "the test URL carries the password");
        let e = furrow::Project::mysql(&wrong).unwrap().status().unwrap_err();
        assert_eq!(e.kind, furrow::Kind::Connection, "{e}");
        let text = format!("{e} {:?}", e.details);
        assert!(!text.contains("not-the-Pa55word"), "{text}");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let log = seen.clone();
        let project = furrow::Project::mysql(&url)
            .unwrap()
            .migrations(furrow::Embedded::new("migrations", &[(
                "20240101000000_pw.sql",
                b"-- migrate:up\nCREATE TABLE pw (id INT PRIMARY KEY, note VARCHAR(40));\nINSERT INTO pw VALUES (1, 'furrow-test-pw');\n\n-- migrate:down\nDROP TABLE pw;\n",
            )]))
            .on_event(move |e| log.lock().unwrap().push_str(&format!("{e:?}\n")));
        let run = project.migrate_latest().unwrap();
        assert_eq!(run.batch, Some(1));
        let events = seen.lock().unwrap().clone();
        assert!(events.contains("Statement") && events.contains("INSERT INTO pw VALUES (1, '***')"), "{events}");
        assert!(!events.contains("furrow-test-pw"), "{events}");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM pw"), 1);
    }
}

#[test]
fn the_library_rewrites_the_schema_file_as_the_cli_does() {
    let p = example_project();
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  connection: { filename: ./dev.sqlite3 }\n  migrations:\n    schemaFile: ./schema.sql\n",
    );
    let project = furrow::Project::open(p.path("knexfile.yaml"), "development").unwrap();
    assert_eq!(project.migrate_latest().unwrap().batch, Some(1));
    let written = std::fs::read_to_string(p.path("schema.sql")).expect("schema.sql written");
    assert!(
        written.contains("accounts") && written.contains("roles"),
        "{written}"
    );
    assert_eq!(written, project.schema_dump().unwrap());
}
