//! The private, empty database `schema:drift` replays the migrations into: SQLite in
//! memory; on MySQL a database of its own, always dropped (see `db::mysql::scratch`).

use crate::config::{Config, Connection, SqlitePath};
use crate::db::{self, mysql, sqlite, Driver, OpenMode};
use crate::error::{Error, Result};

pub struct Scratch {
    /// The environment's configuration, connected to the scratch database.
    pub config: Config,
    /// SQLite: a connection that keeps the in-memory database alive. MySQL: a connection to
    /// the live database that holds the scratch database's lock and drops it at the end.
    keeper: Box<dyn Driver>,
    /// MySQL: the scratch database, until it is dropped.
    database: Option<String>,
    /// Scratch databases of runs that were killed, dropped before this one began.
    pub dropped_stale: Vec<String>,
}

impl Scratch {
    pub fn create(config: &Config) -> Result<Scratch> {
        let mut scratch_config = config.clone();
        // A replay of migrations that already ran: nothing to lint or refuse, no file to write.
        scratch_config.migrations.checks = false;
        scratch_config.migrations.schema_file = None;
        match &config.connection {
            Connection::Sqlite(_) => {
                let path = SqlitePath::Shared(sqlite::scratch::scratch_name());
                scratch_config.connection = Connection::Sqlite(path);
                let keeper = db::open(&scratch_config, OpenMode::ReadWrite, wait(config))?;
                Ok(Scratch {
                    config: scratch_config,
                    keeper,
                    database: None,
                    dropped_stale: Vec::new(),
                })
            }
            Connection::Mysql(m) => {
                let mut keeper = db::open(config, OpenMode::ReadWrite, wait(config))?;
                let cluster = keeper.cluster_facts()?.is_some();
                let dropped_stale =
                    mysql::scratch::drop_stale(&mut *keeper, cluster).map_err(|e| {
                        e.into_error()
                            .context("cannot drop the scratch databases of runs that were killed")
                    })?;
                let name = mysql::scratch::new_name();
                mysql::scratch::create(&mut *keeper, &name)?;
                let mut m = m.clone();
                m.database = Some(name.clone());
                scratch_config.connection = Connection::Mysql(m);
                Ok(Scratch {
                    config: scratch_config,
                    keeper,
                    database: Some(name),
                    dropped_stale,
                })
            }
            Connection::Unusable(why) => Err(Error::config(why.clone())),
        }
    }

    /// Where the replay went, for people.
    pub fn describe(&self) -> String {
        match &self.database {
            Some(name) => format!("the scratch database `{name}`"),
            None => "a scratch database in memory".to_string(),
        }
    }

    pub fn name(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// A connection to the scratch database, to read what the replay made.
    pub fn open(&self) -> Result<Box<dyn Driver>> {
        db::open(&self.config, OpenMode::ReadWrite, wait(&self.config))
    }

    /// Drops the scratch database (MySQL); SQLite's goes with the last connection.
    pub fn close(mut self) -> Result<()> {
        self.drop_database()
    }

    fn drop_database(&mut self) -> Result<()> {
        let Some(name) = self.database.take() else {
            return Ok(());
        };
        // A Ctrl-C still on its way must not stop the DROP.
        crate::interrupt::quiesce();
        let dropped = mysql::scratch::drop(&mut *self.keeper, &name);
        crate::interrupt::resume();
        dropped.map_err(|e| {
            Error::database(format!(
                "cannot drop the scratch database `{name}`: {}",
                e.message
            ))
            .hint(format!(
                "drop it with DROP DATABASE `{name}`; the next schema:drift drops it too"
            ))
        })
    }
}

/// On error, panic or Ctrl-C the scratch database goes too.
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self.drop_database();
    }
}

fn wait(config: &Config) -> std::time::Duration {
    config.migrations.lock_timeout
}
