//! The mysql client's own commands (`source`, `\d`, `status` …): furrow cannot run them, and
//! says what to write instead.

use super::SplitError;

/// The mysql client's commands: name, one-letter form (`\x`), and whether it takes an argument.
/// From the client's own table (MariaDB's and MySQL's `client/mysql.cc`).
const CLIENT_COMMANDS: &[(&str, u8, bool)] = &[
    ("?", b'?', true),
    ("charset", b'C', true),
    ("clear", b'c', false),
    ("connect", b'r', true),
    ("delimiter", b'd', true),
    ("edit", b'e', false),
    ("ego", b'G', false),
    ("exit", b'q', false),
    ("go", b'g', false),
    ("help", b'h', true),
    ("nopager", b'n', false),
    ("notee", b't', false),
    ("nowarning", b'w', false),
    ("pager", b'P', true),
    ("print", b'p', false),
    ("prompt", b'R', true),
    ("quit", b'q', false),
    ("rehash", b'#', false),
    ("resetconnection", b'x', false),
    ("sandbox", b'-', false),
    ("source", b'.', true),
    ("status", b's', false),
    ("system", b'!', true),
    ("tee", b'T', true),
    ("use", b'u', true),
    ("warnings", b'W', false),
];

/// Whether `word` is the name of one of the client's commands, in any case.
pub(super) fn is_command_name(word: &[u8]) -> bool {
    CLIENT_COMMANDS
        .iter()
        .any(|(name, _, _)| name.as_bytes().eq_ignore_ascii_case(word))
}

/// The command a `\x` stands for.
pub(super) fn short_command(x: u8) -> Option<&'static str> {
    CLIENT_COMMANDS
        .iter()
        .find(|(_, letter, _)| *letter == x)
        .map(|(name, _, _)| *name)
}

/// The client command a line (or a statement without its delimiter) is, read as the client
/// reads it: the first word (up to a space or tab) is the command's name, in any case; a
/// command without an argument is only itself alone. `USE db` and `HELP 'topic'` are server
/// statements too, so they are not taken as commands.
pub(super) fn client_command(text: &str) -> Option<&'static str> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (word, rest) = match text.find([' ', '\t']) {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    };
    let (name, _, takes_argument) = CLIENT_COMMANDS
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(word))?;
    match *name {
        "use" => None,
        "help" if !rest.is_empty() => None,
        _ if rest.is_empty() || *takes_argument => Some(name),
        _ => None,
    }
}

/// "`source other.sql` is a command of the mysql client, not SQL …", with what to do instead.
pub(super) fn client_command_error(line: usize, text: &str, name: &str) -> SplitError {
    let shown = crate::text::cut(text.lines().next().unwrap_or(text).trim());
    let what_to_do = match name {
        "source" => "furrow does not read other files: paste that file's statements here, or make it a migration (or seed) of its own",
        "delimiter" => "write `DELIMITER x` at the start of a line, outside any statement",
        "use" => "write `USE name;` (a statement the server runs)",
        "charset" => "write `SET NAMES name;` (a statement the server runs)",
        "connect" | "resetconnection" => "furrow runs each file on the connection the knexfile names: remove it",
        "system" => "furrow never runs shell commands: remove it, and run the command yourself",
        "exit" | "quit" => "furrow runs the whole file: remove it (and move what follows into another file)",
        "clear" => "remove it, and the unfinished statement it discards",
        "go" | "ego" => "end the statement with `;` (or the current delimiter) instead",
        _ => "it only changes what the mysql client does or shows: remove it",
    };
    SplitError {
        line,
        message: format!(
            "`{shown}` is a command of the mysql client (`{name}`), not SQL, and furrow cannot run it: {what_to_do}"
        ),
    }
}
