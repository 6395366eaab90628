//! The variables Compose interpolates with: the shell environment first, then the `.env` file
//! (or `--env-file`). The `.env` syntax follows Compose: `KEY=VALUE`, an optional `export `,
//! `#` comments (inline only after whitespace in unquoted values), single quotes literal,
//! double quotes with escapes and interpolation, unquoted values trimmed and interpolated.

use super::interpolate::interpolate;
use crate::io::error::InputError;
use std::collections::HashMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    shell: HashMap<String, String>,
    dotenv: HashMap<String, String>,
}

impl Environment {
    /// The process environment, without a `.env` file.
    pub fn from_process() -> Environment {
        Environment { shell: std::env::vars().collect(), dotenv: HashMap::new() }
    }

    /// Only the given variables: for tests and reproducible runs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Environment {
        Environment {
            shell: pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            dotenv: HashMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.shell.get(name).or_else(|| self.dotenv.get(name)).map(String::as_str)
    }

    /// Reads a `.env` file's text (`file` names it in errors); the shell still wins.
    pub fn load_dotenv(&mut self, file: &str, text: &str) -> Result<(), InputError> {
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let at = |column: usize, message: String| InputError::at(file, Some((index + 1, column)), message);
            let Some((key, value)) = line.split_once('=') else {
                return Err(at(1, format!("expected KEY=VALUE, found `{}`", first_word(line))));
            };
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
                return Err(at(1, format!("`{key}` is not a variable name")));
            }
            let value = value.trim_start();
            let value = match value.chars().next() {
                Some('\'') => {
                    closed(value, '\'').ok_or_else(|| at(key.len() + 2, "unclosed single quote".into()))?.to_string()
                }
                Some('"') => {
                    let inner = closed(value, '"').ok_or_else(|| at(key.len() + 2, "unclosed double quote".into()))?;
                    let unescaped = unescape(inner);
                    interpolate(&unescaped, &|name| self.get(name)).map_err(|e| at(key.len() + 2, e.to_string()))?
                }
                _ => {
                    let unquoted = match value.find(" #").or_else(|| value.find("\t#")) {
                        Some(comment) => &value[..comment],
                        None => value,
                    };
                    interpolate(unquoted.trim_end(), &|name| self.get(name))
                        .map_err(|e| at(key.len() + 2, e.to_string()))?
                }
            };
            self.dotenv.insert(key.to_string(), value);
        }
        Ok(())
    }
}

/// The text between an opening quote at the start of `value` and its closing quote.
fn closed(value: &str, quote: char) -> Option<&str> {
    let body = &value[1..];
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(&body[..i]),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_syntax() {
        let mut env = Environment::from_pairs([("SHELL_WINS", "shell")]);
        let text = "# comment\n\nA=1\nexport B=two\nC = spaced  \nD='lit $A'\nE=\"x\\ny $A\"\nF=val # note\nG=a#b\nH=${A}0\nSHELL_WINS=file\nEMPTY=\n";
        env.load_dotenv(".env", text).unwrap();
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("B"), Some("two"));
        assert_eq!(env.get("C"), Some("spaced"));
        assert_eq!(env.get("D"), Some("lit $A"));
        assert_eq!(env.get("E"), Some("x\ny 1"));
        assert_eq!(env.get("F"), Some("val"));
        assert_eq!(env.get("G"), Some("a#b"));
        assert_eq!(env.get("H"), Some("10"));
        assert_eq!(env.get("SHELL_WINS"), Some("shell"));
        assert_eq!(env.get("EMPTY"), Some(""));
        assert_eq!(env.get("MISSING"), None);
    }

    #[test]
    fn dotenv_errors_name_the_line() {
        let mut env = Environment::default();
        let err = env.load_dotenv(".env", "A=1\nnot a pair\n").unwrap_err();
        assert_eq!(err.to_string(), ".env:2:1: expected KEY=VALUE, found `not`");
        let err = env.load_dotenv(".env", "Q='open\n").unwrap_err();
        assert_eq!(err.to_string(), ".env:1:3: unclosed single quote");
    }
}
