//! What every command gets: the configuration and the one place that prints.

use crate::config::Config;
use crate::report::{Output, Report, Style};

/// The configuration of the chosen environment, and the output.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub out: &'a Output,
}

impl Ctx<'_> {
    /// A report that starts, as Knex's output does, with the environment in use.
    pub fn report(&self, command: &str) -> Report {
        let mut r = Report::new(command);
        r.line(
            Style::Dim,
            format!("Using environment: {}", self.config.env),
        );
        r.set("environment", self.config.env.clone());
        r
    }
}
