//! The variables Compose interpolates with: the shell environment first, then the `.env` file
//! (or `--env-file`). The `.env` syntax follows Compose: `KEY=VALUE`, an optional `export `,
//! `#` comments (inline only after whitespace in unquoted values), single quotes literal,
//! double quotes with escapes and interpolation, unquoted values trimmed and interpolated.

use super::interpolate::{InterpolationError, interpolate};
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
        for (key, value) in parse_dotenv(file, text, &|name| self.get(name).map(str::to_string))? {
            self.dotenv.insert(key, value);
        }
        Ok(())
    }

    /// This environment with `fallback` added under it: a variable already set keeps its value
    /// (an included project's `.env` fills in only what the including project leaves unset).
    pub fn with_fallback(&self, fallback: Vec<(String, String)>) -> Environment {
        let mut env = self.clone();
        for (key, value) in fallback {
            if env.get(&key).is_none() {
                env.dotenv.insert(key, value);
            }
        }
        env
    }

    /// The shell's variables only, without any `.env` read since.
    pub fn shell_only(&self) -> Environment {
        Environment { shell: self.shell.clone(), dotenv: HashMap::new() }
    }
}

/// The variables of a `.env` or `env_file` text, in order, in Compose's syntax. Values may
/// refer to variables set earlier in the same file, then to `lookup`.
pub fn parse_dotenv(
    file: &str,
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, InputError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut own: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let at = |column: usize, message: String| InputError::syntax(file, Some((index + 1, column)), message);
        let Some((key, value)) = line.split_once('=') else {
            return Err(at(1, "expected KEY=VALUE".to_string()));
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
            return Err(at(1, "expected a variable name before `=`".to_string()));
        }
        let known = |name: &str| own.get(name).map(|&i| pairs[i].1.clone()).or_else(|| lookup(name));
        let resolve =
            |text: &str| interpolate_owned(text, &known).map_err(|e| at(key.len() + 2, format!("{key}: {e}")));
        let value = value.trim_start();
        let value = match value.chars().next() {
            Some('\'') => closed(value, '\'')
                .ok_or_else(|| at(key.len() + 2, format!("{key}: unclosed single quote")))?
                .to_string(),
            Some('"') => {
                let inner =
                    closed(value, '"').ok_or_else(|| at(key.len() + 2, format!("{key}: unclosed double quote")))?;
                resolve(&unescape(inner))?
            }
            _ => {
                let unquoted = match value.find(" #").or_else(|| value.find("\t#")) {
                    Some(comment) => &value[..comment],
                    None => value,
                };
                resolve(unquoted.trim_end())?
            }
        };
        match own.get(key) {
            Some(&i) => pairs[i].1 = value,
            None => {
                own.insert(key.to_string(), pairs.len());
                pairs.push((key.to_string(), value));
            }
        }
    }
    Ok(pairs)
}

/// [`interpolate`] with a lookup that hands out owned values.
fn interpolate_owned(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, InterpolationError> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    // Collect the values first: `interpolate` borrows them for its lifetime.
    let mut values: HashMap<String, String> = HashMap::new();
    for name in variable_names(text) {
        if let Some(value) = lookup(&name) {
            values.insert(name, value);
        }
    }
    interpolate(text, &|name| values.get(name).map(String::as_str))
}

/// Every name that could be looked up in `text`: runs of name characters after a `$` or `${`.
fn variable_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let mut start = i + 1;
            while start < bytes.len() && bytes[start] == b'{' {
                start += 1;
            }
            let end = bytes[start..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |n| start + n);
            if end > start {
                names.push(text[start..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
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
    fn variables_that_double_each_other_stop() {
        let mut text = format!("V0={}\n", "x".repeat(1024));
        for i in 1..40 {
            text.push_str(&format!("V{i}=${{V{}}}${{V{}}}\n", i - 1, i - 1));
        }
        let err = Environment::default().load_dotenv(".env", &text).unwrap_err();
        // 1 KiB doubled ten times is 1 MiB; the next line would be 2 MiB.
        assert_eq!(err.to_string(), ".env:12:5: V11: a value grows past 1 MiB");
    }

    #[test]
    fn dotenv_errors_name_the_line() {
        let mut env = Environment::default();
        let err = env.load_dotenv(".env", "A=1\nnot a pair\n").unwrap_err();
        assert_eq!(err.to_string(), ".env:2:1: expected KEY=VALUE");
        let err = env.load_dotenv(".env", "Q='open\n").unwrap_err();
        assert_eq!(err.to_string(), ".env:1:3: Q: unclosed single quote");
    }
}
