//! Seeds, end to end, on both engines: modes, tracking, undo, and their errors.

use crate::both;
use crate::support::*;

const ACCOUNTS: &str = "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, description VARCHAR(200))";

fn accounts_seed(mode: &str) -> String {
    format!(
        "table: accounts\nmode: {mode}\nrows:\n  - {{ id: 1, name: John Smith, description: CEO }}\n  - {{ id: 2, name: Ed Williams, description: CTO }}\n  - {{ id: 3, name: Wendy Jones, description: CFO }}\n"
    )
}

fn names(p: &Project) -> Vec<String> {
    p.db().col("SELECT name FROM accounts ORDER BY id")
}

fn with_accounts(p: &Project) {
    p.db().exec(ACCOUNTS);
}

both! {
    fn upsert_inserts_updates_and_leaves_other_rows(p) {
        with_accounts(&p);
        p.db().exec("INSERT INTO accounts VALUES (1, 'Old Name', 'old'), (9, 'Kept Row', 'not in the seed')");
        p.seed("accounts.yaml", &accounts_seed("upsert"));
        p.run(&["seed:run"]).ok().has("Ran 1 seed file").has("accounts.yaml: 2 inserted, 1 updated, 0 unchanged");
        assert_eq!(names(&p), vec!["John Smith", "Ed Williams", "Wendy Jones", "Kept Row"]);
        p.run(&["seed:run"]).ok().has("0 inserted, 0 updated, 3 unchanged");
        assert_eq!(names(&p).len(), 4);
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT run_count FROM furrow_seeds WHERE name = 'accounts.yaml'"), 2);
        assert_eq!(db.col("SELECT checksum FROM furrow_seeds")[0].len(), 64);
        assert_eq!(db.scalar("SELECT last_rows FROM furrow_seeds"), 0);
        assert_eq!(db.col("SELECT description FROM accounts WHERE id = 9"), vec!["not in the seed"]);
    }

    fn insert_missing_keeps_existing_rows(p) {
        with_accounts(&p);
        p.db().exec("INSERT INTO accounts VALUES (1, 'Old Name', 'old')");
        p.seed("accounts.yaml", &accounts_seed("insert_missing"));
        p.run(&["seed:run"]).ok().has("2 inserted, 0 updated, 1 unchanged");
        assert_eq!(names(&p), vec!["Old Name", "Ed Williams", "Wendy Jones"]);
        p.run(&["seed:run"]).ok().has("0 inserted, 0 updated, 3 unchanged");
    }

    fn replace_deletes_every_row_first(p) {
        with_accounts(&p);
        p.db().exec("INSERT INTO accounts VALUES (9, 'Gone', 'x')");
        p.seed("accounts.yaml", &accounts_seed("replace"));
        p.run(&["seed:run"]).ok().has("1 deleted, 3 inserted");
        assert_eq!(names(&p), vec!["John Smith", "Ed Williams", "Wendy Jones"]);
        p.run(&["seed:run"]).ok().has("3 deleted, 3 inserted");
        assert_eq!(names(&p).len(), 3);
    }

    fn insert_fails_on_the_second_run_and_rolls_back_whole(p) {
        with_accounts(&p);
        p.seed("accounts.yaml", &accounts_seed("insert"));
        p.run(&["seed:run"]).ok().has("3 inserted");
        p.db().exec("DELETE FROM accounts WHERE id = 3");
        p.run(&["seed:run"]).code(1).has("accounts.yaml").has("accounts.yaml was rolled back");
        assert_eq!(names(&p), vec!["John Smith", "Ed Williams"], "nothing of the failed run stays (row 3 would have been inserted)");
        assert_eq!(p.db().scalar("SELECT run_count FROM furrow_seeds"), 1);
    }

    fn specific_changed_and_order(p) {
        with_accounts(&p);
        p.db().exec("CREATE TABLE roles (id INTEGER PRIMARY KEY, name VARCHAR(20))");
        p.seed("02_accounts.yaml", &accounts_seed("upsert"));
        p.seed("01_roles.yaml", "table: roles\nrows: [{ id: 1, name: admin }]\n");
        let out = p.run(&["seed:run"]).ok().has("Ran 2 seed files");
        let roles_at = out.stdout.find("01_roles.yaml").unwrap();
        let accounts_at = out.stdout.find("02_accounts.yaml").unwrap();
        assert!(roles_at < accounts_at, "seeds run in path order");
        p.run(&["seed:run", "--specific", "01_roles"]).ok().has("Ran 1 seed file").has("01_roles.yaml");
        assert_eq!(p.db().scalar("SELECT run_count FROM furrow_seeds WHERE name = '02_accounts.yaml'"), 1);
        p.run(&["seed:run", "--specific", "nope"]).code(1).has("no seed file named `nope`");
        p.run(&["seed:run", "--changed"]).ok().has("Ran 0 seed files");
        p.seed("01_roles.yaml", "table: roles\nrows: [{ id: 1, name: administrator }]\n");
        p.run(&["seed:run", "--changed"]).ok().has("Ran 1 seed file").has("01_roles.yaml: 0 inserted, 1 updated");
        assert_eq!(p.db().col("SELECT name FROM roles"), vec!["administrator"]);
    }

    fn atomic_runs_roll_back_everything(p) {
        with_accounts(&p);
        p.seed("01_accounts.yaml", &accounts_seed("upsert"));
        p.seed("02_bad.yaml", "table: accounts\nmode: insert\nrows:\n  - { id: 1, name: Duplicate }\n");
        p.run(&["seed:run", "--atomic"]).code(1).has("02_bad.yaml").has("rolled back too: 01_accounts.yaml");
        assert!(names(&p).is_empty());
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM furrow_seeds"), 0);
        // Without --atomic the first seed stays.
        p.run(&["seed:run"]).code(1).has("seeds that ran before it are kept: 01_accounts.yaml");
        assert_eq!(names(&p).len(), 3);
        assert_eq!(p.db().col("SELECT name FROM furrow_seeds"), vec!["01_accounts.yaml"]);
    }

    fn dry_run_changes_nothing(p) {
        with_accounts(&p);
        p.seed("accounts.yaml", &accounts_seed("upsert"));
        p.run(&["seed:run", "--dry-run"]).ok().has("accounts.yaml: accounts ← 3 rows, mode upsert, key id").has("nothing was changed");
        let mut db = p.db();
        assert!(!db.has_table("furrow_seeds"));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM accounts"), 0);
    }

    fn status_shows_every_state(p) {
        with_accounts(&p);
        p.seed("a.yaml", "table: accounts\nrows: [{ id: 1, name: A }]\n");
        p.seed("b.yaml", "table: accounts\nrows: [{ id: 2, name: B }]\n");
        p.seed("c.yaml", "table: accounts\nrows: [{ id: 3, name: C }]\n");
        p.run(&["seed:run", "--specific", "a", "--specific", "b"]).ok();
        p.seed("b.yaml", "table: accounts\nrows: [{ id: 2, name: Bee }]\n");
        p.seed("d.yaml", "table: accounts\nrows: [{ id: 4, name: D }]\n");
        p.run(&["seed:run", "--specific", "d"]).ok();
        p.remove("seeds/d.yaml");
        p.run(&["seed:status"]).ok()
            .has("up to date a.yaml")
            .has("changed    b.yaml")
            .has("never run  c.yaml")
            .has("missing    d.yaml");
        let j = p.run(&["--json", "seed:status"]).ok().json();
        let states: Vec<(String, String)> = j["items"].as_array().unwrap().iter()
            .map(|i| (i["name"].as_str().unwrap().to_string(), i["state"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(states, vec![
            ("a.yaml".into(), "up_to_date".into()), ("b.yaml".into(), "changed".into()),
            ("c.yaml".into(), "never_run".into()), ("d.yaml".into(), "missing".into()),
        ]);
        assert_eq!(j["items"][0]["run_count"], 1);
    }

    fn undo_removes_only_declared_rows(p) {
        with_accounts(&p);
        p.db().exec("INSERT INTO accounts VALUES (9, 'Kept', 'x')");
        p.seed("accounts.yaml", &accounts_seed("upsert"));
        p.seed("extra.sql", "INSERT INTO accounts (id, name) VALUES (20, 'From SQL');\n-- seed:undo\nDELETE FROM accounts WHERE id = 20;\n");
        p.seed("noundo.sql", "UPDATE accounts SET description = 'touched' WHERE id = 9;\n");
        p.run(&["seed:run"]).ok().has("Ran 3 seed files").has("extra.sql: 1 rows affected");
        p.run(&["seed:undo", "noundo"]).code(1).has("no `-- seed:undo` section");
        p.run(&["seed:undo", "accounts"]).ok().has("accounts.yaml: 3 rows deleted");
        assert_eq!(names(&p), vec!["Kept", "From SQL"]);
        p.run(&["seed:undo", "extra.sql"]).ok().has("extra.sql: 1 rows deleted");
        assert_eq!(names(&p), vec!["Kept"]);
        assert_eq!(p.db().col("SELECT name FROM furrow_seeds"), vec!["noundo.sql"]);
        p.run(&["seed:undo", "accounts"]).ok().has("Nothing to undo");
    }

    fn env_filtering_skips_and_says_so(p) {
        with_accounts(&p);
        p.seed("demo.yaml", "table: accounts\nenv: [test]\nrows: [{ id: 1, name: Demo }]\n");
        p.seed("mixed.yaml", "- table: accounts\n  env: [development]\n  rows: [{ id: 2, name: Dev }]\n- table: accounts\n  env: test\n  rows: [{ id: 3, name: Test }]\n");
        p.run(&["seed:run"]).ok()
            .has("Ran 1 seed file")
            .has("mixed.yaml: 1 inserted, 0 updated, 0 unchanged, skipped block 2 (accounts) (env: test)")
            .has("Skipped 1 seed file(s) not meant for environment `development`")
            .has("demo.yaml");
        assert_eq!(names(&p), vec!["Dev"]);
        assert_eq!(p.db().col("SELECT name FROM furrow_seeds"), vec!["mixed.yaml"]);
    }

    fn csv_rows_stream_with_nulls_and_empty_strings(p) {
        with_accounts(&p);
        p.write("seeds/accounts.csv", "id,name,description\n1,John Smith,\n2,\"Williams, Ed\",\"\"\n3,Wendy Jones,CFO\n");
        p.seed("accounts.yaml", "table: accounts\nrows_from: accounts.csv\n");
        p.run(&["seed:run"]).ok().has("3 inserted");
        let mut db = p.db();
        assert_eq!(db.col("SELECT name FROM accounts ORDER BY id"), vec!["John Smith", "Williams, Ed", "Wendy Jones"]);
        assert_eq!(db.col("SELECT COALESCE(description, 'NULL!') FROM accounts ORDER BY id"), vec!["NULL!", "", "CFO"]);
        drop(db);
        // The CSV is part of the checksum.
        p.run(&["seed:run", "--changed"]).ok().has("Ran 0 seed files");
        p.write("seeds/accounts.csv", "id,name,description\n1,John Smith,CEO\n");
        p.run(&["seed:run", "--changed"]).ok().has("Ran 1 seed file").has("1 updated");
        p.run(&["seed:undo"]).ok().has("1 rows deleted");
        assert_eq!(names(&p), vec!["Williams, Ed", "Wendy Jones"]);
    }

    fn foreign_key_checks_false_loads_in_any_order(p) {
        p.db().exec("CREATE TABLE parents (id INTEGER PRIMARY KEY, name VARCHAR(20))");
        p.db().exec("CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, FOREIGN KEY (parent_id) REFERENCES parents (id))");
        let blocks = "- table: children\n  rows: [{ id: 1, parent_id: 7 }]\n- table: parents\n  rows: [{ id: 7, name: p }]\n";
        p.seed("family.yaml", blocks);
        p.run(&["seed:run"]).code(1);
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM children"), 0);
        p.seed("family.yaml", &blocks.replace("- table: children\n", "- table: children\n  foreign_key_checks: false\n"));
        p.run(&["seed:run"]).ok().has("Ran 1 seed file");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM children"), 1);
    }

    fn sql_looking_values_are_stored_verbatim(p) {
        with_accounts(&p);
        let evil = "x'); DROP TABLE accounts; --";
        p.seed("accounts.yaml", &format!("table: accounts\nrows:\n  - {{ id: 1, name: \"{evil}\", description: \"Robert'); DROP TABLE students;--\" }}\n"));
        p.run(&["seed:run"]).ok();
        assert_eq!(names(&p), vec![evil]);
    }

    fn values_convert_from_yaml(p) {
        p.db().exec("CREATE TABLE things (id INTEGER PRIMARY KEY, flag INTEGER, amount DOUBLE, note TEXT, data TEXT)");
        p.seed("things.yaml", "table: things\nrows:\n  - { id: 1, flag: true, amount: 2.5, note: null, data: { a: [1, 2] } }\n  - { id: 2, flag: false, amount: 3, note: '007', data: [x] }\n");
        p.run(&["seed:run"]).ok();
        let rows = p.db().rows("SELECT flag, amount, note, data FROM things ORDER BY id");
        assert_eq!(rows[0], vec!["1", "2.5", "NULL", "{\"a\":[1,2]}"]);
        assert_eq!(rows[1][0], "0");
        assert_eq!(rows[1][2], "007");
        assert_eq!(rows[1][3], "[\"x\"]");
    }

    fn make_seed_with_and_without_a_live_table(p) {
        p.run(&["seed:make", "accounts"]).ok().has("Created seed file: seeds/accounts.yaml");
        let generic = std::fs::read_to_string(p.path("seeds/accounts.yaml")).unwrap();
        assert!(generic.contains("table: accounts") && generic.contains("# key: [id]"), "{generic}");
        with_accounts(&p);
        p.run(&["make:seed", "accounts"]).code(1).has("already exists");
        p.remove("seeds/accounts.yaml");
        p.run(&["make:seed", "accounts"]).ok().has("live table");
        let live = std::fs::read_to_string(p.path("seeds/accounts.yaml")).unwrap();
        assert!(live.contains("key: [id]"), "{live}");
        assert!(live.contains("#   name: \"\""), "{live}");
        assert!(live.to_lowercase().contains("varchar(50)"), "{live}");
        assert!(live.contains("not null"), "{live}");
        // The template as written runs (no rows yet).
        p.run(&["seed:run"]).ok().has("0 inserted");
        p.run(&["seed:make", "roles", "-x", "sql", "--timestamp-filename-prefix"]).ok().has("_roles.sql");
        for bad in ["a/b", "..", "a b", ""] {
            p.run(&["seed:make", bad]).code(2).has("invalid seed name");
        }
    }

    fn replace_is_refused_in_production_without_force(p) {
        let dev = p.knexfile_text("");
        p.write("knexfile.yaml", &format!("{dev}{}", dev.replacen("development:", "production:", 1)));
        with_accounts(&p);
        p.db().exec("INSERT INTO accounts VALUES (9, 'Precious', 'x')");
        p.seed("accounts.yaml", &accounts_seed("replace"));
        p.run(&["seed:run", "--env", "production"]).code(1).has("mode `replace` deletes every row").has("--force");
        assert_eq!(names(&p), vec!["Precious"]);
        p.run(&["seed:run", "--env", "production", "--force"]).ok().has("1 deleted, 3 inserted");
    }

    fn concurrent_insert_missing_runs_write_each_row_once(p) {
        with_accounts(&p);
        let rows: String = (1..=3000).map(|i| format!("{i},name {i},d\n")).collect();
        p.write("seeds/accounts.csv", &format!("id,name,description\n{rows}"));
        p.seed("accounts.yaml", "table: accounts\nmode: insert_missing\nrows_from: accounts.csv\n");
        let children: Vec<_> = (0..2)
            .map(|_| p.command(&["seed:run"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap())
            .collect();
        let outs: Vec<Run> = children.into_iter().map(|c| to_run(c.wait_with_output().unwrap())).collect();
        for o in &outs {
            assert_eq!(o.code, 0, "{}", o.all());
        }
        assert!(outs.iter().any(|o| o.stdout.contains("3000 inserted")));
        assert!(outs.iter().any(|o| o.stdout.contains("0 inserted, 0 updated, 3000 unchanged")));
        let mut db = p.db();
        assert_eq!(db.scalar("SELECT COUNT(*) FROM accounts"), 3000);
        assert_eq!(db.scalar("SELECT run_count FROM furrow_seeds"), 2);
    }

    fn json_output(p) {
        with_accounts(&p);
        p.seed("accounts.yaml", &accounts_seed("upsert"));
        let j = p.run(&["--json", "seed:run"]).ok().json();
        assert_eq!(j["ok"], true);
        assert_eq!(j["seeds"][0]["name"], "accounts.yaml");
        assert_eq!(j["seeds"][0]["inserted"], 3);
        let j = p.run(&["--json", "seed:run", "--specific", "zzz"]).code(1).json();
        assert_eq!(j["ok"], false);
        assert_eq!(j["error"]["code"], "validation");
        let none = Project::new(p.backend);
        none.run(&["seed:run"]).ok().has("No seed files exist");
    }

    fn kill_9_mid_seed_leaves_nothing_and_the_next_run_loads_all(p) {
        with_accounts(&p);
        let mut csv = String::with_capacity(100_000 * 30);
        csv.push_str("id,name,description\n");
        for i in 1..=100_000 {
            csv.push_str(&format!("{i},name {i},a description for row {i}\n"));
        }
        p.write("seeds/accounts.csv", &csv);
        p.seed("accounts.yaml", "table: accounts\nmode: insert\nrows_from: accounts.csv\n");
        // The runner stops after its first batch of rows, inside the seed's transaction.
        let marker = p.path("paused");
        let mut child = p
            .command(&["seed:run"])
            .env("FURROW_TEST_PAUSE", "seed-load")
            .env("FURROW_TEST_PAUSE_FILE", &marker)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        assert!(wait_for(60, || marker.exists()), "the runner reached its first batch");
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the seed was still running when killed");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM accounts"), 0, "no row of a killed seed stays");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM furrow_seeds"), 0);
        p.run(&["seed:run"]).ok().has("100000 inserted");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM accounts"), 100_000);
    }
}

mod bad_input {
    use super::*;

    both! {
        fn malformed_yaml_names_file_and_line(p) {
            with_accounts(&p);
            p.seed("accounts.yaml", "table: accounts\nrows:\n  - { id: 1, name: [unclosed }\n");
            p.run(&["seed:run"]).code(1).has("seeds/accounts.yaml line 3").has("invalid YAML");
        }

        fn unknown_key_and_mode(p) {
            with_accounts(&p);
            p.seed("accounts.yaml", "table: accounts\nmdoe: upsert\nrows: []\n");
            p.run(&["seed:run"]).code(1).has("line 2").has("unknown key `mdoe`").has("did you mean `mode`");
            p.seed("accounts.yaml", "table: accounts\nmode: upsret\nrows: []\n");
            p.run(&["seed:run"]).code(1).has("unknown mode `upsret`").has("did you mean `upsert`");
        }

        fn unknown_column_is_checked_before_any_row_is_written(p) {
            with_accounts(&p);
            p.seed("01_ok.yaml", &accounts_seed("upsert"));
            p.seed("02_bad.yaml", "- table: accounts\n  rows: [{ id: 5, name: Fine }]\n- table: accounts\n  rows:\n    - { id: 6, nmae: Typo }\n");
            p.run(&["seed:run"]).code(1).has("02_bad.yaml line 5").has("the table `accounts` has no column `nmae`").has("did you mean `name`");
            assert!(names(&p).is_empty(), "checked before the first seed ran");
            assert!(!p.db().tables().contains(&"x".to_string()));
        }

        fn upsert_without_primary_key_or_key(p) {
            p.db().exec("CREATE TABLE logs (msg VARCHAR(20))");
            p.seed("logs.yaml", "table: logs\nrows: [{ msg: hi }]\n");
            p.run(&["seed:run"]).code(1).has("`logs` has no primary key").has("key:");
            p.seed("logs.yaml", "table: logs\nkey: [msg]\nrows: [{ msg: hi }]\n");
            p.run(&["seed:run"]).ok().has("1 inserted");
            p.run(&["seed:run"]).ok().has("0 inserted, 0 updated, 1 unchanged");
            p.seed("logs.yaml", "table: logs\nmode: insert\nrows: [{ msg: hi }]\n");
            p.run(&["seed:run"]).ok().has("1 inserted");
        }

        fn row_missing_a_key_column(p) {
            with_accounts(&p);
            p.seed("accounts.yaml", "table: accounts\nrows:\n  - { id: 1, name: A }\n  - { name: B }\n");
            p.run(&["seed:run"]).code(1).has("line 4").has("row 2 has no value for the key column `id`");
            assert!(names(&p).is_empty());
        }

        fn missing_csv(p) {
            with_accounts(&p);
            p.seed("accounts.yaml", "table: accounts\nrows_from: nope.csv\n");
            p.run(&["seed:run"]).code(1).has("rows_from seeds/nope.csv").has("does not exist");
        }

        fn csv_row_with_the_wrong_number_of_fields(p) {
            with_accounts(&p);
            p.write("seeds/accounts.csv", "id,name,description\n1,A,x\n2,B\n3,C,z\n");
            p.seed("accounts.yaml", "table: accounts\nrows_from: accounts.csv\n");
            p.run(&["seed:run"]).code(1).has("seeds/accounts.csv line 3: 2 field(s), but the header has 3");
            assert!(names(&p).is_empty(), "rolled back whole");
        }

        fn csv_header_with_an_unknown_column(p) {
            with_accounts(&p);
            p.write("seeds/accounts.csv", "id,nmae\n1,A\n");
            p.seed("accounts.yaml", "table: accounts\nrows_from: accounts.csv\n");
            p.run(&["seed:run"]).code(1).has("accounts.csv line 1").has("no column `nmae`");
        }

        fn missing_table(p) {
            p.seed("accounts.yaml", &accounts_seed("upsert"));
            p.run(&["seed:run"]).code(1).has("the table `accounts` does not exist").has("migrate:latest");
        }
    }
}
