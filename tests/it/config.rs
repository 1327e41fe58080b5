//! knexfile.yaml: discovery, environments, variables, overrides, and its errors.

use crate::support::*;

fn sqlite_project() -> Project {
    Project::new(Backend::Sqlite)
}

#[test]
fn no_knexfile() {
    let p = sqlite_project();
    p.remove("knexfile.yaml");
    p.run(&["migrate:latest"])
        .code(2)
        .has("no knexfile.yaml found")
        .has("furrow init");
    p.write("knexfile.js", "module.exports = {}");
    p.run(&["migrate:status"]).code(2).has("found knexfile.js");
    assert!(!p.sqlite_exists());
    let j = p.run(&["--json", "migrate:status"]).code(2).json();
    assert_eq!(j["error"]["code"], "config");
}

#[test]
fn discovered_in_a_parent_directory_with_paths_relative_to_it() {
    let p = sqlite_project();
    p.migration("20240101000000_a.sql", &create_table_migration("a"));
    std::fs::create_dir_all(p.path("src/deep")).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["migrate:latest"])
        .current_dir(p.path("src/deep"))
        .env_remove("FURROW_ENV")
        .env_remove("NODE_ENV")
        .output()
        .unwrap();
    let out = to_run(out).ok().has("Batch 1 run: 1 migrations");
    drop(out);
    assert!(p.sqlite_exists(), "the database is beside the knexfile");
    assert!(!p.path("src/deep/dev.sqlite3").exists());
    // --cwd does the same from anywhere.
    p.migration("20240102000000_b.sql", &create_table_migration("b"));
    let out = std::process::Command::new(BIN)
        .args(["--cwd", p.path("src").to_str().unwrap(), "migrate:latest"])
        .env_remove("FURROW_ENV")
        .env_remove("NODE_ENV")
        .output()
        .unwrap();
    to_run(out).ok().has("Batch 2 run: 1 migrations");
}

#[test]
fn explicit_knexfile_and_environments() {
    let p = sqlite_project();
    p.write(
        "conf/furrow.yaml",
        "development:\n  client: sqlite3\n  connection: { filename: ./dev.sqlite3 }\n  migrations: { directory: ../migrations, extension: sql }\nstaging:\n  client: sqlite3\n  connection: { filename: ./staging.sqlite3 }\n  migrations: { directory: ../migrations }\ntest:\n  client: sqlite3\n  connection: { filename: ./test.sqlite3 }\n  migrations: { directory: ../migrations }\n",
    );
    p.migration("20240101000000_a.sql", &create_table_migration("a"));
    p.run(&["--knexfile", "conf/furrow.yaml", "migrate:latest"])
        .ok()
        .has("Using environment: development");
    assert!(p.path("conf/dev.sqlite3").exists());
    p.run(&[
        "--knexfile",
        "conf/furrow.yaml",
        "--env",
        "staging",
        "migrate:latest",
    ])
    .ok()
    .has("Using environment: staging");
    assert!(p.path("conf/staging.sqlite3").exists());
    p.run_env(
        &["--knexfile", "conf/furrow.yaml", "migrate:latest"],
        &[("FURROW_ENV", "test")],
    )
    .ok();
    assert!(p.path("conf/test.sqlite3").exists());
    // NODE_ENV is read too, after FURROW_ENV.
    p.run_env(
        &["--knexfile", "conf/furrow.yaml", "migrate:status"],
        &[("NODE_ENV", "staging")],
    )
    .ok()
    .has("Using environment: staging");
    p.run_env(
        &["--knexfile", "conf/furrow.yaml", "migrate:status"],
        &[("NODE_ENV", "staging"), ("FURROW_ENV", "test")],
    )
    .ok()
    .has("Using environment: test");
    p.run(&[
        "--knexfile",
        "conf/furrow.yaml",
        "--env",
        "prod",
        "migrate:status",
    ])
    .code(2)
    .has("unknown environment `prod`")
    .has("development, staging, test");
    p.run(&["--knexfile", "conf/nope.yaml", "migrate:status"])
        .code(2)
        .has("nope.yaml");
}

#[test]
fn single_configuration_form_and_variables() {
    let p = sqlite_project();
    p.write("knexfile.yaml", "client: ${DB_CLIENT:-sqlite3}\nconnection:\n  filename: ${DB_FILE}\nmigrations:\n  extension: sql\n");
    p.migration("20240101000000_a.sql", &create_table_migration("a"));
    p.run(&["migrate:latest"])
        .code(2)
        .has("`DB_FILE`")
        .has("connection.filename")
        .has("knexfile.yaml line 3");
    // .env beside the knexfile…
    p.write(
        ".env",
        "DB_FILE=./from_dotenv.sqlite3\n# comment\nexport OTHER=1\n",
    );
    p.run(&["migrate:latest", "--env", "anything"]).ok();
    assert!(p.path("from_dotenv.sqlite3").exists());
    // …but the real environment wins.
    p.run_env(&["migrate:latest"], &[("DB_FILE", "./from_env.sqlite3")])
        .ok();
    assert!(p.path("from_env.sqlite3").exists());
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let p = sqlite_project();
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  connection: {filename: ./a.db\n  migrations: x\n",
    );
    p.run(&["migrate:status"])
        .code(2)
        .has("knexfile.yaml is not valid YAML at line")
        .has("column");
    assert!(!p.path("a.db").exists());
}

#[test]
fn unknown_keys_name_the_nearest_valid_one() {
    let p = sqlite_project();
    p.write("knexfile.yaml", "development:\n  client: sqlite3\n  useNullAsDefault: true\n  connection:\n    filename: ./dev.sqlite3\n  migrations:\n    tableName: x\n    directroy: ./m\n");
    p.run(&["migrate:status"])
        .code(2)
        .has("unknown key `directroy`")
        .has("did you mean `directory`")
        .has("line 8");
    assert!(!p.sqlite_exists());
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  conection:\n    filename: ./dev.sqlite3\n",
    );
    p.run(&["migrate:status"])
        .code(2)
        .has("unknown key `conection`")
        .has("did you mean `connection`");
}

#[test]
fn unsupported_client() {
    let p = sqlite_project();
    p.write(
        "knexfile.yaml",
        "development:\n  client: pg\n  connection: postgres://localhost/x\n",
    );
    p.run(&["migrate:status"])
        .code(2)
        .has("unsupported client `pg`")
        .has("sqlite3")
        .has("mysql");
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite4\n  connection: ./x.db\n",
    );
    p.run(&["migrate:status"])
        .code(2)
        .has("did you mean `sqlite");
}

#[test]
fn flags_override_the_file_and_replace_it() {
    let p = sqlite_project();
    p.write("other/20240101000000_a.sql", &create_table_migration("a"));
    p.run(&[
        "--migrations-directory",
        "other",
        "--migrations-table-name",
        "schema_history",
        "migrate:latest",
    ])
    .ok()
    .has("Batch 1 run: 1 migrations");
    assert_eq!(p.db().scalar("SELECT COUNT(*) FROM schema_history"), 1);
    // No knexfile needed with --client and --connection.
    p.remove("knexfile.yaml");
    p.run(&[
        "--client",
        "sqlite3",
        "--connection",
        "sqlite://./flags.sqlite3",
        "--migrations-directory",
        "other",
        "migrate:latest",
    ])
    .ok();
    assert!(p.path("flags.sqlite3").exists());
    p.run(&[
        "--client",
        "better-sqlite3",
        "--connection",
        ":memory:",
        "--migrations-directory",
        "other",
        "migrate:latest",
    ])
    .ok()
    .has("Batch 1 run: 1 migrations");
}

#[test]
fn mysql_passwords_never_appear_in_output() {
    let p = sqlite_project();
    p.write(
        "knexfile.yaml",
        "development:\n  client: mysql\n  connection: mysql://app:Sup3rS3cret@127.0.0.1:1/app\n",
    );
    let out = p.run(&["migrate:status", "--verbose"]);
    assert_ne!(out.code, 0);
    assert!(!out.all().contains("Sup3rS3cret"), "{}", out.all());
    let out = p.run(&["--json", "migrate:status", "--verbose"]);
    assert!(!out.all().contains("Sup3rS3cret"), "{}", out.all());
    p.write("knexfile.yaml", "development:\n  client: mysql\n  connection: mysql://app:Sup3rS3cret@127.0.0.1:notaport/app\n");
    let out = p.run(&["migrate:status"]).code(2);
    assert!(!out.all().contains("Sup3rS3cret"), "{}", out.all());
}

#[test]
fn help_and_version() {
    let p = sqlite_project();
    p.run(&["--help"])
        .ok()
        .has("migrate:latest")
        .has("seed:run");
    p.run(&["--version"]).ok().has("furrow");
    p.run(&["migrate:latest", "--help"]).ok().has("--dry-run");
    p.run(&["migrate:nope"]).code(2);
}
