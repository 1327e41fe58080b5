//! Small helpers for messages people read.

/// The closest candidate to `word`, if it looks like a typo of it: the one suggestion for the
/// knexfile, seed and migration files, the YAML schema language and names typed on the command line.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let cl = c.to_ascii_lowercase();
        let jw = strsim::jaro_winkler(&lower, &cl);
        let lev = strsim::levenshtein(&lower, &cl);
        // Close by edit distance (short words) or by Jaro-Winkler (long words, prefixes).
        let mut score = if lev <= 2 && lev < cl.len() {
            1.0 + jw
        } else {
            jw
        };
        // Suggest in the writer's style: snake_case for lower-case words, camelCase otherwise.
        let camel_word = word.chars().any(|ch| ch.is_ascii_uppercase());
        let camel_cand = c.chars().any(|ch| ch.is_ascii_uppercase());
        if camel_word != camel_cand && (camel_cand || c.contains('_')) {
            score -= 0.5;
        }
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.filter(|(_, s)| *s >= 0.85).map(|(c, _)| c)
}

/// ", did you mean `x`?" or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match nearest(word, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

/// How much of a quoted statement (or other long text) a message shows.
pub const QUOTE_LIMIT: usize = 300;

/// Text quoted into a message, cut to its first [`QUOTE_LIMIT`] characters when longer, with
/// what was cut said: `INSERT INTO t VALUES (1),… (10,485,760 bytes; cut)`. A 10 MB statement
/// must not become a 10 MB error message (twice: on stderr and in the tracking table).
pub fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(QUOTE_LIMIT) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} bytes; cut)",
            text[..end].trim_end(),
            thousands(text.len())
        )),
    }
}

/// A MySQL server message quotes the statement in `… near '<text>' at line N`: that text is
/// cut as [`cut`] does; the rest of the message (and the line) stays.
pub fn cut_near(message: &str) -> std::borrow::Cow<'_, str> {
    const NEAR: &str = " near '";
    const AT_LINE: &str = "' at line ";
    let (Some(a), Some(z)) = (message.find(NEAR), message.rfind(AT_LINE)) else {
        return std::borrow::Cow::Borrowed(message);
    };
    let inner = a + NEAR.len();
    if z < inner {
        return std::borrow::Cow::Borrowed(message);
    }
    match cut(&message[inner..z]) {
        std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(message),
        std::borrow::Cow::Owned(quoted) => {
            std::borrow::Cow::Owned(format!("{}{quoted}{}", &message[..inner], &message[z..]))
        }
    }
}

/// 10485760 → "10,485,760".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_cut_and_say_so() {
        assert_eq!(cut("SELECT 1"), "SELECT 1");
        let exact = "x".repeat(QUOTE_LIMIT);
        assert_eq!(cut(&exact), exact.as_str());
        let mut big = format!("INSERT INTO t VALUES {}", "(1),".repeat(2_621_434));
        big.push_str(" x");
        let c = cut(&big);
        assert!(c.starts_with("INSERT INTO t VALUES (1),(1)"), "{c}");
        assert!(c.ends_with("… (10,485,759 bytes; cut)"), "{c}");
        assert!(c.len() < QUOTE_LIMIT + 40, "{}", c.len());
        // Cut on a character boundary.
        let wide = "é".repeat(QUOTE_LIMIT + 1);
        assert!(cut(&wide).starts_with(&"é".repeat(QUOTE_LIMIT)));
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_036), "1,000,036");
    }

    #[test]
    fn the_servers_near_quote_is_cut_and_its_line_kept() {
        let short = "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'garbage' at line 3";
        assert_eq!(cut_near(short), short);
        let long = format!(
            "You have an error in your SQL syntax; check the manual for the right syntax to use near '{}' at line 12",
            "x, ".repeat(1000)
        );
        let c = cut_near(&long);
        assert!(c.starts_with("You have an error"), "{c}");
        assert!(c.ends_with("x,… (3,000 bytes; cut)' at line 12"), "{c}");
        assert_eq!(
            cut_near("Table 'a' doesn't exist"),
            "Table 'a' doesn't exist"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["directory", "tableName", "extension"];
        assert_eq!(nearest("directroy", keys), Some("directory"));
        assert_eq!(nearest("tablename", keys), Some("tableName"));
        assert_eq!(nearest("zzz", keys), None);
        assert_eq!(
            did_you_mean("extention", keys),
            "; did you mean `extension`?"
        );
    }
}
