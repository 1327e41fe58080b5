//! Ctx and dispatch: a parsed command line → the command's runner → a Report.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{self, Cli, Command};
use crate::config::{Config, Overrides};
use crate::error::{self, Error, Result};
use crate::report::{self, Output, Report, Style};
use crate::{config, fleet, interrupt, migrate, scaffold, schemafile, seed};

use crate::ctx::Ctx;

/// Runs the command line; returns the process exit code.
pub fn run(args: Vec<OsString>) -> i32 {
    interrupt::install();
    let wants_json = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => return usage_error(e, wants_json),
    };
    let out = Output::new(cli.global.json, cli.global.verbose, cli.global.no_color);
    let command = cli.command.name();
    match dispatch(&cli, &out) {
        Ok(report) => report::emit(&out, report),
        Err(e) => report::emit_error(&out, command, &e),
    }
}

fn usage_error(e: clap::Error, json: bool) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return 0;
        }
        _ => {}
    }
    if json {
        let text = e.render().to_string();
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid arguments")
            .trim_start_matches("error: ")
            .to_string();
        let doc = serde_json::json!({
            "ok": false,
            "error": {"code": "usage", "message": first, "details": text.lines().skip(1).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>()}
        });
        println!("{doc}");
    } else {
        let _ = e.print();
    }
    2
}

fn working_dir(cli: &Cli) -> Result<PathBuf> {
    let here = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the working directory: {e}")))?;
    match &cli.global.cwd {
        None => Ok(here),
        Some(d) => {
            let dir = here.join(d);
            if dir.is_dir() {
                Ok(dir)
            } else {
                Err(Error::usage(format!(
                    "--cwd {}: no such directory",
                    d.display()
                )))
            }
        }
    }
}

fn load_config(cli: &Cli, cwd: &Path, out: &Output) -> Result<Config> {
    let g = &cli.global;
    let ov = Overrides {
        knexfile: g.knexfile.clone(),
        env: g.env.clone(),
        client: g.client.clone(),
        connection: g.connection.clone(),
        migrations_directory: g.migrations_directory.clone(),
        migrations_table_name: g.migrations_table_name.clone(),
        seeds_directory: g.seeds_directory.clone(),
    };
    let config = config::load(cwd, &ov, &|k| std::env::var(k).ok())?;
    out.add_secrets(config.secrets());
    if out.verbose {
        out.note(format!(
            "Using {} (environment {}), {} {}",
            config
                .knexfile
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "no knexfile".into()),
            config.env,
            config.client_name,
            config.connection.redacted()
        ));
    }
    Ok(config)
}

/// A command whose output is a text for another program (a script, a page): printed as is.
fn text_report(command: &str, text: String) -> Result<Report> {
    let mut r = Report::new(command);
    r.line(Style::Plain, text.trim_end().to_string());
    r.set("text", text);
    Ok(r)
}

fn dispatch(cli: &Cli, out: &Output) -> Result<Report> {
    let cwd = working_dir(cli)?;
    match &cli.command {
        Command::Init => return init(&cwd),
        Command::Completions { shell } => {
            return text_report("completions", crate::complete::script(shell)?)
        }
        Command::Man { command } => {
            return text_report("man", crate::complete::man(command.as_deref())?)
        }
        _ => {}
    }
    let config = load_config(cli, &cwd, out)?;
    if let Some(flags) = cli.command.fleet() {
        if flags.selected() {
            let plan = fleet_plan(flags);
            let command = |ctx: &Ctx| dispatch_command(ctx, &cli.command, &cwd);
            return fleet::run(&config, out, &plan, cli.command.name(), &command, &|k| {
                std::env::var(k).ok()
            });
        }
        reject_fleet_flags(flags)?;
    }
    let ctx = Ctx {
        config: &config,
        out,
    };
    dispatch_command(&ctx, &cli.command, &cwd)
}

fn fleet_plan(flags: &cli::FleetArgs) -> fleet::Plan {
    fleet::Plan {
        names: flags.target.clone(),
        parallel: flags.parallel.map_or(4, |n| n as usize),
        stop_on_error: flags.on_error == Some(cli::OnError::Stop),
        canary: flags.canary.map(|k| k as usize),
    }
}

/// `--parallel`, `--on-error` and `--canary` say how a fleet runs: alone they would do nothing.
fn reject_fleet_flags(flags: &cli::FleetArgs) -> Result<()> {
    let given: Vec<&str> = [
        (flags.parallel.is_some(), "--parallel"),
        (flags.on_error.is_some(), "--on-error"),
        (flags.canary.is_some(), "--canary"),
    ]
    .iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| *name)
    .collect();
    match given.first() {
        None => Ok(()),
        Some(flag) => Err(Error::usage(format!(
            "{flag} applies to a fleet, and no target was chosen"
        ))
        .hint("add --all-targets, or --target NAME for each target")),
    }
}

/// One command on one database: what a single run does, and what a fleet runs per target.
fn dispatch_command(ctx: &Ctx, command: &Command, cwd: &Path) -> Result<Report> {
    match command {
        Command::SeedMake {
            name,
            extension,
            timestamp_filename_prefix,
        } => seed::make(
            ctx,
            name,
            extension.map(|e| e.name()),
            *timestamp_filename_prefix,
        ),
        Command::SeedRun {
            specific,
            changed,
            atomic,
            dry_run,
            force,
            fleet: _,
        } => seed::run(
            ctx,
            &seed::SeedRunOpts {
                specific: specific.clone(),
                changed: *changed,
                atomic: *atomic,
                dry_run: *dry_run,
                force: *force,
            },
        ),
        Command::SeedStatus { .. } => seed::status(ctx),
        Command::SeedUndo { name, all } => seed::undo(ctx, name.as_deref(), *all),
        Command::SeedUnlock => seed::unlock(ctx),
        Command::SchemaDump {
            output,
            include_tracking,
        } => schemafile::dump(
            ctx,
            output.as_ref().map(|o| cwd.join(o)).as_deref(),
            *include_tracking,
        ),
        Command::SchemaDrift { .. } => schemafile::drift(ctx),
        Command::SchemaLoad { file } => schemafile::load(ctx, &cwd.join(file)),
        other => dispatch_migrate(ctx, other).map(|r| schemafile::after_migrate(ctx, r)),
    }
}

/// The migrate commands.
fn dispatch_migrate(ctx: &Ctx, command: &Command) -> Result<Report> {
    let opts =
        |dry_run: bool, ignore_missing: bool, resume_from: Option<usize>| migrate::MigrateOpts {
            dry_run,
            ignore_missing,
            resume_from,
        };
    match command {
        Command::MigrateMake { name, extension } => {
            migrate::make(ctx, name, extension.map(|e| e.name()))
        }
        Command::MigrateLatest {
            dry_run,
            ignore_missing,
            resume_from,
            fleet: _,
        } => migrate::latest(ctx, opts(*dry_run, *ignore_missing, *resume_from)),
        Command::MigrateRollback {
            all,
            dry_run,
            ignore_missing,
            fleet: _,
        } => migrate::rollback(ctx, *all, opts(*dry_run, *ignore_missing, None)),
        Command::MigrateUp {
            name,
            ignore_missing,
            resume_from,
        } => migrate::up(
            ctx,
            name.as_deref(),
            opts(false, *ignore_missing, *resume_from),
        ),
        Command::MigrateDown { name } => migrate::down(ctx, name.as_deref()),
        Command::MigrateStatus { check, .. } => migrate::status(ctx, *check),
        Command::MigrateList { .. } => migrate::list(ctx),
        Command::MigrateLint {
            names,
            pending,
            server_version,
            fleet: _,
        } => migrate::lint::command(
            ctx,
            &migrate::lint::LintOpts {
                names,
                pending: *pending,
                server_version: server_version.as_deref(),
            },
        ),
        Command::MigrateCurrentVersion => migrate::current_version(ctx),
        Command::MigrateUnlock => migrate::unlock(ctx),
        Command::MigrateAdopt {
            from,
            table,
            dry_run,
        } => migrate::knex::adopt(
            ctx,
            match from {
                cli::AdoptFrom::Dbmate => migrate::knex::From::Dbmate,
                cli::AdoptFrom::Knex => migrate::knex::From::Knex,
            },
            table.as_deref(),
            *dry_run,
        ),
        Command::MigrateSql { name, down } => migrate::sql(ctx, name, *down),
        Command::Init
        | Command::Completions { .. }
        | Command::Man { .. }
        | Command::SeedMake { .. }
        | Command::SeedRun { .. }
        | Command::SeedStatus { .. }
        | Command::SeedUndo { .. }
        | Command::SeedUnlock
        | Command::SchemaDump { .. }
        | Command::SchemaDrift { .. }
        | Command::SchemaLoad { .. } => unreachable!("dispatched above"),
    }
}

/// `furrow init`: knexfile.yaml, migrations/ and seeds/ in the working directory.
fn init(cwd: &Path) -> Result<Report> {
    for name in ["knexfile.yaml", "knexfile.yml"] {
        if cwd.join(name).exists() {
            return Err(Error::validation(format!(
                "./{name} already exists; furrow init never overwrites it"
            ))
            .hint("edit it, or remove it and run `furrow init` again"));
        }
    }
    let content = scaffold::render(Some(cwd), scaffold::KNEXFILE, &tera::Context::new())?;
    scaffold::write_new(&cwd.join("knexfile.yaml"), &content)?;
    let mut r = Report::new("init");
    r.line(Style::Success, "Created ./knexfile.yaml");
    let mut created = vec!["knexfile.yaml".to_string()];
    for dir in ["migrations", "seeds"] {
        let p = cwd.join(dir);
        if !p.exists() {
            std::fs::create_dir_all(&p)
                .map_err(|e| error::io_error("create the directory", &p, &e))?;
            r.line(Style::Success, format!("Created ./{dir}/"));
            created.push(format!("{dir}/"));
        }
    }
    r.line(
        Style::Plain,
        "Next: `furrow migrate:make create_accounts`, then `furrow migrate:latest`.",
    );
    r.set("created", serde_json::json!(created));
    Ok(r)
}
