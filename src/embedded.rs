//! Files compiled into a binary ([`embed!`](crate::embed)), run like the directory they
//! came from.

/// The files of a directory, compiled in by [`embed!`](crate::embed): each one's path
/// relative to the directory (with `/`) and its bytes.
///
/// A migration run from here and the same file on disk have the same checksum, so a
/// database migrated by the CLI and then by the application agree.
///
/// ```
/// let files = furrow::Embedded::new("migrations", &[
///     ("20240101000000_create_accounts.sql", b"-- migrate:up\nCREATE TABLE accounts (id INTEGER PRIMARY KEY);\n" as &[u8]),
/// ]);
/// assert_eq!(files.len(), 1);
/// assert_eq!(files.directory(), "migrations");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    directory: &'static str,
    files: &'static [(&'static str, &'static [u8])],
}

impl Embedded {
    /// What [`embed!`](crate::embed) writes; also for files a program makes up itself.
    pub const fn new(
        directory: &'static str,
        files: &'static [(&'static str, &'static [u8])],
    ) -> Embedded {
        Embedded { directory, files }
    }

    /// The directory as the macro was given it (`migrations`): how files are shown.
    pub fn directory(&self) -> &'static str {
        self.directory
    }

    /// Each file's path relative to the directory, and its bytes, in name order.
    pub fn files(&self) -> &'static [(&'static str, &'static [u8])] {
        self.files
    }

    /// How many files there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
