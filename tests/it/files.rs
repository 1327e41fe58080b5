//! Files that can't be read are errors, and messages stay readable (issue 9, items 10–12):
//! dangling links, link loops and directories named like migrations or seeds; missing
//! directories; huge statements quoted in errors; SQLite files that are not databases or
//! cannot be written; NUL bytes in YAML rows; a lost MySQL connection.

use std::os::unix::fs::symlink;

use crate::both;
use crate::mysql_test;
use crate::support::*;

fn link(p: &Project, target: &str, rel: &str) {
    symlink(target, p.path(rel)).unwrap();
}

/// Nothing ran: no table of the migration, no tracking row.
fn untouched(p: &Project) {
    let tables = p.tables();
    assert!(!tables.iter().any(|t| t == "a" || t == "b"), "{tables:?}");
    if tables.iter().any(|t| t == "furrow_migrations") {
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
    }
}

both! {
    fn a_dangling_link_named_like_a_migration_is_an_error(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        link(&p, "../elsewhere/b.sql", "migrations/20240102000000_b.sql");
        let out = p.run(&["migrate:latest"]).code(1);
        out.has("migrations/20240102000000_b.sql is a link to ../elsewhere/b.sql, which does not exist")
            .has("restore the file it points to, or remove the link");
        untouched(&p);
        let j = p.run(&["--json", "migrate:status"]).code(1).json();
        assert_eq!(j["error"]["code"], "missing_file");
        // Links and files not named like migrations stay ignored, readable or not.
        p.remove("migrations/20240102000000_b.sql");
        link(&p, "nowhere", "migrations/README.md");
        link(&p, "nowhere", "migrations/.#20240103000000_c.sql"); // an editor's lock link
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
    }

    fn a_link_loop_or_a_directory_named_like_a_migration_is_an_error(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        link(&p, "20240102000000_b.sql", "migrations/20240103000000_c.sql");
        link(&p, "20240103000000_c.sql", "migrations/20240102000000_b.sql");
        p.run(&["migrate:latest"])
            .code(1)
            .has("is a link that leads back to itself")
            .has("migrations/20240102000000_b.sql");
        untouched(&p);
        p.remove("migrations/20240102000000_b.sql");
        p.remove("migrations/20240103000000_c.sql");
        std::fs::create_dir(p.path("migrations/20240102000000_b.sql")).unwrap();
        p.run(&["migrate:latest"])
            .code(1)
            .has("migrations/20240102000000_b.sql is a directory, but its name is that of a migration file");
        untouched(&p);
        // A link to a real file is a migration like any other.
        std::fs::remove_dir(p.path("migrations/20240102000000_b.sql")).unwrap();
        p.write("shared/b.sql", &create_table_migration("b"));
        link(&p, "../shared/b.sql", "migrations/20240102000000_b.sql");
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 2 migrations");
    }

    fn seeds_that_cannot_be_read_are_errors_and_linked_seeds_run(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        p.write("shared/a.yaml", "table: a\nrows:\n  - { id: 1, name: linked }\n");
        link(&p, "../shared/a.yaml", "seeds/01_a.yaml");
        link(&p, "nowhere.yaml", "seeds/02_gone.yaml");
        p.run(&["seed:run"])
            .code(1)
            .has("seeds/02_gone.yaml is a link to nowhere.yaml, which does not exist");
        p.run(&["seed:status"]).code(1).has("seeds/02_gone.yaml");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM a"), 0, "nothing ran");
        p.remove("seeds/02_gone.yaml");
        link(&p, "03_loop.sql", "seeds/03_loop.sql");
        p.run(&["seed:run"]).code(1).has("seeds/03_loop.sql is a link that leads back to itself");
        p.remove("seeds/03_loop.sql");
        std::fs::create_dir(p.path("seeds/04_dir.yaml")).unwrap();
        p.run(&["seed:run"])
            .code(1)
            .has("seeds/04_dir.yaml is a directory, but its name is that of a seed file");
        std::fs::remove_dir(p.path("seeds/04_dir.yaml")).unwrap();
        link(&p, "nowhere", "seeds/notes.txt");
        link(&p, "nowhere", "seeds/.#01_a.yaml");
        // Before: a linked seed was silently skipped.
        p.run(&["seed:run"]).ok().has("Ran 1 seed file").has("01_a.yaml");
        assert_eq!(p.db().col("SELECT name FROM a"), vec!["linked"]);
    }

    fn a_missing_seeds_directory_is_an_error_that_seed_make_fixes(p) {
        std::fs::remove_dir(p.path("seeds")).unwrap();
        for args in [&["seed:run"][..], &["seed:status"], &["seed:undo", "--all"]] {
            p.run(args)
                .code(1)
                .has("the seeds directory seeds does not exist")
                .has("fix `seeds.directory` in the knexfile");
        }
        let j = p.run(&["--json", "seed:run"]).code(1).json();
        assert_eq!(j["error"]["code"], "missing_file");
        p.run(&["--seeds-directory", "seeds_typo", "seed:run"])
            .code(1)
            .has("the seeds directory seeds_typo does not exist");
        p.run(&["seed:make", "accounts"]).ok().has("Created seed file: seeds/accounts.yaml");
        p.run(&["seed:status"]).ok();
    }

    fn a_missing_migrations_directory_is_an_error_that_migrate_make_fixes(p) {
        std::fs::remove_dir(p.path("migrations")).unwrap();
        p.run(&["migrate:latest"])
            .code(1)
            .has("the migrations directory migrations does not exist")
            .has("fix `migrations.directory` in the knexfile");
        p.run(&["migrate:status"]).code(1).has("does not exist");
        p.run(&["migrate:make", "create_a"]).ok();
        p.run(&["migrate:status"]).ok();
    }

    fn a_huge_invalid_statement_is_quoted_cut(p) {
        // 10 MB of VALUES with a mistake at the end, after a DDL statement (so that MySQL
        // records the migration as partial, with the error).
        let mut big = String::with_capacity(10_500_000);
        big.push_str("INSERT INTO a (id) VALUES (1)");
        while big.len() < 10 * 1024 * 1024 {
            big.push_str(",(1)");
        }
        big.push_str(" garbage garbage");
        p.migration(
            "20240101000000_a.sql",
            &format!("-- migrate:up\nCREATE TABLE a (id INT);\n{big};\n-- migrate:down\nDROP TABLE a;\n"),
        );
        let out = p.run(&["migrate:latest"]).code(1).has("statement 2 (line 3) failed");
        assert!(out.stderr.len() < 4096, "{} bytes on stderr", out.stderr.len());
        if p.backend == Backend::Sqlite {
            out.has("bytes; cut)");
        }
        let j = p.run(&["--json", "migrate:latest"]).json();
        let message = j["error"]["message"].as_str().unwrap().to_string();
        assert!(message.len() < 2048, "{} bytes", message.len());
        let status = p.run(&["migrate:status"]);
        assert!(status.all().len() < 4096, "{}", status.all().len());
    }

    fn a_nul_byte_in_a_seed_row_gets_one_answer_in_flow_and_block_form(p) {
        p.migration("20240101000000_a.sql", &create_table_migration("a"));
        p.run(&["migrate:latest"]).ok();
        // A raw NUL byte: YAML does not allow it; before, the one-line reader loaded it.
        let flow = "table: a\nrows:\n  - { id: 1, name: \"a\0b\" }\n";
        let block = "table: a\nrows:\n  - id: 1\n    name: \"a\0b\"\n";
        for (text, line) in [(flow, 3), (block, 4)] {
            p.seed("nul.yaml", text);
            p.run(&["seed:run"])
                .code(1)
                .has(&format!("seeds/nul.yaml line {line} column"))
                .has("U+0000 (a control character) is not allowed in YAML");
            assert_eq!(p.db().scalar("SELECT COUNT(*) FROM a"), 0);
        }
        // The `\0` escape is YAML for that character: both forms load it, alike.
        let mut loaded = Vec::new();
        for text in [flow, block] {
            p.seed("nul.yaml", &text.replace('\0', "\\0"));
            p.run(&["seed:run"]).ok();
            loaded.push(p.db().rows("SELECT id, hex(name) FROM a"));
            p.run(&["seed:undo", "nul"]).ok();
        }
        assert_eq!(loaded[0], vec![vec!["1".to_string(), "610062".into()]]);
        assert_eq!(loaded[0], loaded[1]);
    }
}

#[test]
fn a_file_that_is_not_a_sqlite_database_is_named() {
    let p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_a.sql", &create_table_migration("a"));
    let text = "name,email\nJohn,john@example.com\n";
    p.write("dev.sqlite3", text);
    let out = p.run(&["migrate:latest"]).code(1);
    out.has("dev.sqlite3: the file is not a SQLite database")
        .has("check `connection.filename` in the knexfile");
    assert_eq!(
        std::fs::read_to_string(p.path("dev.sqlite3")).unwrap(),
        text
    );
    // Before: `file is not a database`, with no file named.
    p.run(&["--json", "migrate:status"]).code(1);
}

#[test]
fn a_read_only_sqlite_database_is_named_and_the_lock_not_blamed() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let p = Project::new(Backend::Sqlite);
    p.migration("20240101000000_a.sql", &create_table_migration("a"));
    p.run(&["migrate:status"]).ok(); // creates the database
    p.migration("20240102000000_b.sql", &create_table_migration("b"));
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = p.command(&["migrate:latest"]);
    if root {
        // Root writes any file: run as nobody, who may read the project but not write it.
        std::fs::set_permissions(p.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
        cmd.uid(65534).gid(65534);
    } else {
        let db = p.path("dev.sqlite3");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    let out = to_run(cmd.output().unwrap());
    let out = out
        .code(1)
        .has("cannot write to the SQLite database")
        .has("dev.sqlite3")
        .has("check that this user may write the file and its directory")
        .lacks("the lock");
    drop(out);
    assert!(!p.db().has_table("b"));
}

mysql_test! {
    fn a_lost_connection_is_said_in_words(p) {
        // The migration kills its own connection: the next thing furrow sends finds it gone.
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up\nCREATE TABLE a (id INT);\nKILL CONNECTION_ID();\nCREATE TABLE b (id INT);\n-- migrate:down\nDROP TABLE a;\n",
        );
        let out = p.run(&["migrate:latest"]).code(1);
        out.has("the connection to the MySQL server was lost (")
            .has("statement 2 was running when the connection was lost: it may have committed")
            .lacks("CodecError")
            .lacks("IoError")
            .lacks("os error");
        // The runner's own connection was not the one lost: the state is on record.
        assert_eq!(
            p.db().rows("SELECT state, statements_applied, statement_running FROM furrow_migrations"),
            vec![vec!["partial".to_string(), "1".into(), "2".into()]]
        );
    }
}
