//! Text that reaches a terminal: a plan name, a key or a file name may carry escape sequences
//! (which can retitle or clear the terminal) or right-to-left overrides (which reorder what is
//! shown). They are written as `\uXXXX` instead, which JSON and XML both read back as the same
//! character and a person can read as it is.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: control characters other than newline and tab,
/// and the bidirectional formatting characters.
pub fn unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `text` on one line: line breaks written as `\u000a`/`\u000d` too, so a name cannot start a
/// line of its own (a forged `::error` in a CI log, say).
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\r']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace('\n', "\\u000a").replace('\r', "\\u000d"))
}

/// A word as a shell reads it back: quoted when it needs to be, as it is otherwise (and as it
/// is when no quoting can hold it, a NUL).
pub fn shell_word(word: &str) -> String {
    shlex::try_quote(word).map_or_else(|_| word.to_string(), |quoted| quoted.into_owned())
}

/// `text` with every character [`unsafe_for_terminal`] written as `\uXXXX`.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_for_terminal(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` cut to `max` characters, with `…` where it was cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A duration as `--window` takes it: `7d`, `1h 30m`, `90s` as `1m 30s`.
pub fn span(seconds: u64) -> String {
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut rest = seconds;
    let mut parts = Vec::new();
    for (size, unit) in units {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if parts.is_empty() { "0s".into() } else { parts.join(" ") }
}

/// `1 error`, `2 errors`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_are_written_out() {
        assert_eq!(terminal_safe("plain\nnext\tcol"), "plain\nnext\tcol");
        assert_eq!(terminal_safe("\u{1b}]0;owned\u{7}x"), "\\u001b]0;owned\\u0007x");
        assert_eq!(terminal_safe("abc\u{202e}def"), "abc\\u202edef");
        // Still valid JSON inside a string, meaning the same character.
        let json: String = serde_json::from_str(&format!("\"{}\"", terminal_safe("a\u{202e}b"))).unwrap();
        assert_eq!(json, "a\u{202e}b");
    }
}
