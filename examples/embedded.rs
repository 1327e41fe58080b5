//! A program that migrates and seeds its database at start-up, with the repository's own
//! migrations and seeds compiled into the binary — no `migrations/` folder beside it.
//!
//! `cargo run --example embedded` (scripts/test.sh runs it): it opens a new SQLite file in a
//! temporary directory, runs every migration and every seed, runs them again (nothing to
//! do, nothing changes), and says what it did.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("app.sqlite3");
    let statements = Arc::new(AtomicUsize::new(0));
    let counted = statements.clone();
    let project = furrow::Project::sqlite(&db)?
        .migrations(furrow::embed!("migrations"))
        .seeds(furrow::embed!("seeds"))?
        .on_event(move |event| match event {
            furrow::Event::Migrated { name, duration_ms } => {
                eprintln!("  migrated {name} ({duration_ms} ms)")
            }
            furrow::Event::Statement { .. } => {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        });

    let run = project.migrate_latest()?;
    let batch = run.batch.ok_or("the first run applies a batch")?;
    println!("Batch {batch} run: {} migrations", run.migrations.len());
    let seeded = project.seed_run()?;
    for s in &seeded.seeds {
        println!("{}: {} inserted, {} updated", s.name, s.inserted, s.updated);
    }

    // Start-up again: nothing to do, and the seeds change nothing.
    let again = project.migrate_latest()?;
    if !again.migrations.is_empty() || !again.warnings.is_empty() {
        return Err(format!("a second start-up ran something: {again:?}").into());
    }
    let reseeded = project.seed_run()?;
    if reseeded
        .seeds
        .iter()
        .any(|s| s.inserted + s.updated + s.deleted > 0)
    {
        return Err(format!("re-running the seeds changed rows: {reseeded:?}").into());
    }
    let status = project.status()?;
    if !status.up_to_date {
        return Err(format!("not up to date: {status:?}").into());
    }
    println!(
        "Up to date: {} migrations applied, {} statements run, database {}",
        status.items.len(),
        statements.load(Ordering::Relaxed),
        db.display()
    );
    Ok(())
}
