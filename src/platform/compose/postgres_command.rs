//! The Postgres container's `command`, read as the postgres server reads its arguments:
//! `-c name=value`, `-cname=value`, `--name=value`, and the short `-N` (max_connections) and
//! `-B` (shared_buffers) options. Import reads the settings from it; export keeps every word the
//! plan does not manage and replaces the rest.

use crate::io::yaml::Value;

/// One argument of the command: the words it spans and the setting it makes, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argument {
    pub words: Vec<String>,
    /// `(name, value)`, the name with `-` as `_` (`--max-connections` is `max_connections`).
    pub setting: Option<(String, String)>,
}

/// Why a command cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    UnbalancedQuotes,
    /// It runs another program (a shell wrapper, say): its settings are out of sight. The
    /// program is not named: the word may come from a variable.
    NotPostgres,
    /// The same of a Redis container's command.
    NotRedis,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::UnbalancedQuotes => write!(f, "unbalanced quotes in the command"),
            CommandError::NotPostgres => {
                write!(f, "flowcap reads `postgres -c name=value` commands; this one runs another program")
            }
            CommandError::NotRedis => {
                write!(f, "flowcap reads `redis-server --name value` commands; this one runs another program")
            }
        }
    }
}

/// The command's words: a string is split as a shell would (as Compose does), a list taken as
/// it is; `None` without a command.
pub fn words(command: Option<&Value>) -> Result<Option<Vec<String>>, CommandError> {
    match command {
        Some(Value::String(line)) => shlex::split(line).map(Some).ok_or(CommandError::UnbalancedQuotes),
        Some(Value::Sequence(items)) => Ok(Some(items.iter().map(super::project::scalar_text).collect())),
        _ => Ok(None),
    }
}

/// The arguments after the program: the postgres image runs `postgres` with the command when
/// it starts with a flag, so both `postgres -c …` and `-c …` are the server's.
pub fn arguments(words: &[String]) -> Result<Vec<Argument>, CommandError> {
    let rest = match words.first().map(String::as_str) {
        None => return Ok(Vec::new()),
        Some("postgres") => &words[1..],
        Some(first) if first.starts_with('-') => words,
        Some(_) => return Err(CommandError::NotPostgres),
    };
    let mut arguments = Vec::new();
    let mut iter = rest.iter();
    while let Some(word) = iter.next() {
        let mut spanned = vec![word.clone()];
        let setting = match word.as_str() {
            "-c" => iter.next().inspect(|value| spanned.push((*value).clone())).and_then(|s| pair(s)),
            "-N" | "-B" => iter.next().map(|value| {
                spanned.push(value.clone());
                let name = if word == "-N" { "max_connections" } else { "shared_buffers" };
                (name.to_string(), value.trim().to_string())
            }),
            other => other.strip_prefix("-c").or_else(|| other.strip_prefix("--")).and_then(pair),
        };
        arguments.push(Argument { words: spanned, setting });
    }
    Ok(arguments)
}

fn pair(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    Some((name.trim().replace('-', "_"), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(line: &str) -> Vec<(String, String)> {
        let words = words(Some(&Value::String(line.into()))).unwrap().unwrap();
        arguments(&words).unwrap().into_iter().filter_map(|a| a.setting).collect()
    }

    #[test]
    fn every_spelling_of_a_setting() {
        let read = settings("postgres -c 'max_connections=250' -cshared_buffers=1GB --work-mem=4MB -N 300 -B 2GB -d 2");
        let expected = [
            ("max_connections", "250"),
            ("shared_buffers", "1GB"),
            ("work_mem", "4MB"),
            ("max_connections", "300"),
            ("shared_buffers", "2GB"),
        ];
        assert_eq!(read, expected.map(|(k, v)| (k.to_string(), v.to_string())));
    }

    #[test]
    fn words_stay_with_their_setting() {
        let words = words(Some(&Value::String("-c wal_level=logical -d 2".into()))).unwrap().unwrap();
        let arguments = arguments(&words).unwrap();
        assert_eq!(arguments[0].words, ["-c", "wal_level=logical"]);
        assert_eq!(arguments[1].words, ["-d"], "an option flowcap does not know keeps its words");
        assert_eq!(arguments[2].words, ["2"]);
    }

    #[test]
    fn other_programs_and_bad_quotes_are_refused() {
        let words = vec!["bash".to_string(), "-c".into(), "postgres".into()];
        assert_eq!(arguments(&words), Err(CommandError::NotPostgres));
        assert_eq!(words_of("postgres -c 'x=1"), Err(CommandError::UnbalancedQuotes));
    }

    fn words_of(line: &str) -> Result<Option<Vec<String>>, CommandError> {
        words(Some(&Value::String(line.into())))
    }
}
