//! Completion scripts load in the shells they are for, and complete the project's own
//! environments, migrations and seeds; the manual page comes from the same clap tree.
//! (scripts/test.sh installs zsh and fish and sets FURROW_TEST_REQUIRE_SHELLS=1.)

use std::process::{Command, Stdio};

use crate::support::*;

/// The shell, or a visible skip.
fn shell(name: &str, test: &str) -> Option<String> {
    let found = Command::new(name)
        .arg("-c")
        .arg("exit 0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(name.to_string());
    }
    if std::env::var("FURROW_TEST_REQUIRE_SHELLS").is_ok_and(|v| v == "1") {
        panic!("{test}: FURROW_TEST_REQUIRE_SHELLS=1 but `{name}` is not installed");
    }
    eprintln!("SKIPPED {test}: {name} is not installed (scripts/test.sh installs it)");
    None
}

/// A project with two environments, two migrations and a seed; the binary on PATH.
fn project() -> Project {
    let p = Project::new(Backend::Sqlite);
    p.write(
        "knexfile.yaml",
        "development:\n  client: sqlite3\n  connection: { filename: ./dev.sqlite3 }\n  migrations: { extension: sql }\nstaging:\n  client: sqlite3\n  connection: { filename: ./staging.sqlite3 }\n",
    );
    p.migration(
        "20240101000000_create_accounts.sql",
        &create_table_migration("accounts"),
    );
    p.migration(
        "20240102000000_add_roles.sql",
        &create_table_migration("roles"),
    );
    p.seed("accounts.yaml", "table: accounts\nrows:\n  - { id: 1 }\n");
    p
}

fn in_shell(p: &Project, sh: &str, script: &str) -> Run {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    to_run(
        Command::new(sh)
            .arg("-c")
            .arg(script)
            .current_dir(p.root())
            .env("PATH", path)
            .env_remove("FURROW_ENV")
            .env_remove("NODE_ENV")
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    )
}

#[test]
fn bash_loads_the_script_and_completes_names_from_the_project() {
    let Some(bash) = shell(
        "bash",
        "shell::bash_loads_the_script_and_completes_names_from_the_project",
    ) else {
        return;
    };
    let p = project();
    let loaded = in_shell(
        &p,
        &bash,
        "source <(furrow completions bash) && complete -p furrow",
    );
    assert_eq!(loaded.code, 0, "{}", loaded.all());
    assert!(
        loaded.stdout.contains("-F _clap_complete_furrow furrow"),
        "{}",
        loaded.all()
    );
    // What bash asks when Tab is pressed after these words.
    let ask = |words: &str, cword: usize, current: &str| {
        in_shell(&p, &bash, &format!(
            "source <(furrow completions bash); COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_TYPE=9; _clap_complete_furrow furrow '{current}' furrow; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ))
        .stdout
    };
    let up = ask("furrow migrate:up ''", 2, "");
    assert!(
        up.contains("20240101000000_create_accounts.sql")
            && up.contains("20240102000000_add_roles.sql"),
        "{up}"
    );
    let down = ask("furrow migrate:down 2024010200", 2, "2024010200");
    assert_eq!(
        down.lines().collect::<Vec<_>>(),
        ["20240102000000_add_roles.sql"],
        "{down}"
    );
    let env = ask("furrow --env ''", 2, "");
    assert!(
        env.contains("development") && env.contains("staging"),
        "{env}"
    );
    let seeds = ask("furrow seed:run --specific ''", 3, "");
    assert!(seeds.contains("accounts.yaml"), "{seeds}");
    let commands = ask("furrow migrate:l", 1, "migrate:l");
    assert!(
        commands.contains("migrate:latest") && commands.contains("migrate:lint"),
        "{commands}"
    );
}

#[test]
fn zsh_and_fish_accept_their_scripts() {
    let p = project();
    if let Some(zsh) = shell("zsh", "shell::zsh_and_fish_accept_their_scripts (zsh)") {
        let out = in_shell(&p, &zsh, "autoload -U compinit && compinit -u && source <(furrow completions zsh) && whence -w _clap_dynamic_completer_furrow");
        assert_eq!(out.code, 0, "{}", out.all());
        assert!(out.stdout.contains("function"), "{}", out.all());
    }
    if let Some(fish) = shell("fish", "shell::zsh_and_fish_accept_their_scripts (fish)") {
        let out = in_shell(
            &p,
            &fish,
            "furrow completions fish | source; and complete -C 'furrow migrate:up '",
        );
        assert_eq!(out.code, 0, "{}", out.all());
        assert!(
            out.stdout.contains("20240101000000_create_accounts.sql"),
            "{}",
            out.all()
        );
    }
    let ps = p.run(&["completions", "powershell"]).ok();
    assert!(
        ps.stdout.contains("Register-ArgumentCompleter"),
        "{}",
        ps.all()
    );
    p.run(&["completions", "tcsh"]).code(2).has("bash");
}

#[test]
fn the_manual_page_lists_every_command_help_lists() {
    let p = project();
    let page = p.run(&["man"]).ok().stdout;
    assert!(
        page.starts_with(".ie") || page.contains(".TH furrow 1"),
        "{page}"
    );
    let help = p.run(&["--help"]).ok().stdout;
    for line in help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
    {
        let Some(cmd) = line.split_whitespace().next() else {
            break;
        };
        // `help`, and the tail of a wrapped `[alias: …]`.
        if cmd == "help" || cmd.contains(']') {
            continue;
        }
        assert!(
            page.contains(&cmd.replace('-', "\\-")) || page.contains(cmd),
            "{cmd} is in --help but not in the page"
        );
    }
    let sub = p.run(&["man", "migrate:latest"]).ok().stdout;
    assert!(
        sub.contains(".TH furrow\\-migrate\\-latest") || sub.contains(".TH furrow-migrate-latest"),
        "{sub}"
    );
    assert!(sub.contains("dry\\-run"), "{sub}");
    p.run(&["man", "migrate:lates"]).code(2).has("did you mean");
}
