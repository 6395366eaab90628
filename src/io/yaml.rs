//! The one door to YAML: flowcap names its YAML crate (yaml_serde, serde_yaml's maintained
//! fork) here and nowhere else. Text is checked for what would make the parser run away before
//! it is parsed; errors come out at file:line:col with what the operator wrote, never a value
//! quoted at length (a `.env` given as YAML would print its secrets).

use crate::io::error::InputError;
use crate::io::text::cut;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use serde_yaml::value::{Tag, TaggedValue};
pub use serde_yaml::{Mapping, Value};

/// How deep `[` and `{` may nest: YAML parsers take time that grows with the square of it,
/// and no plan or compose file nests more than a few levels.
const MAX_FLOW_NESTING: usize = 64;

/// How many bytes YAML aliases may copy: each `*alias` repeats its anchored node, and a few
/// aliases of a large node would otherwise expand a small file into gigabytes.
const MAX_ALIAS_BYTES: usize = 64 * 1024 * 1024;

/// Refuses text that would make the YAML parser run away before it is parsed: flow
/// collections nested deeper than `MAX_FLOW_NESTING`, and aliases that would copy more than
/// `MAX_ALIAS_BYTES` (each alias counted at the size of the block its anchor starts).
pub fn check_bounds(file: &str, text: &str) -> Result<(), InputError> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let mut previous = b'\n';
    for &byte in text.as_bytes() {
        match (quote, byte) {
            (_, b'\n') => {
                comment = false;
                quote = quote.filter(|_| depth > 0);
            }
            _ if comment => {}
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'#') if previous.is_ascii_whitespace() => comment = true,
            (None, b'"' | b'\'') if depth > 0 || matches!(previous, b' ' | b':' | b'\n' | b'-') => quote = Some(byte),
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_FLOW_NESTING {
                    return Err(InputError::syntax(
                        file,
                        None,
                        format!("`[` and `{{` nest deeper than {MAX_FLOW_NESTING} levels"),
                    ));
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = byte;
    }
    if !text.contains('*') || !text.contains('&') {
        return Ok(());
    }
    let lines: Vec<&str> = text.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut anchors: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();

    for (index, line) in lines.iter().enumerate() {
        for name in marked(line, '&') {
            // The anchored node: the rest of its line and every line indented deeper.
            let block: usize = lines[index + 1..]
                .iter()
                .take_while(|next| next.trim().is_empty() || indent(next) > indent(line))
                .map(|next| next.len() + 1)
                .sum();
            anchors.insert(name, line.len() + block);
        }
    }
    let mut copied = 0usize;
    for line in &lines {
        for name in marked(line, '*') {
            copied = copied.saturating_add(anchors.get(name).copied().unwrap_or(0));
            if copied > MAX_ALIAS_BYTES {
                return Err(InputError::syntax(
                    file,
                    None,
                    format!("YAML aliases would copy more than {} MiB", MAX_ALIAS_BYTES / (1024 * 1024)),
                ));
            }
        }
    }
    Ok(())
}

/// The `&anchor` or `*alias` names on a line (`sigil` is `&` or `*`), where a node can start.
fn marked(line: &str, sigil: char) -> Vec<&str> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices(sigil) {
        let before = line[..at].chars().last();
        if before.is_some_and(|c| !(c.is_whitespace() || matches!(c, ':' | '-' | '[' | '{' | ','))) {
            continue;
        }
        let rest = &line[at + 1..];
        let name = &rest[..rest.find(|c: char| c.is_whitespace() || ",[]{}".contains(c)).unwrap_or(rest.len())];
        if !name.is_empty() {
            found.push(name);
        }
    }
    found
}

/// Parses `text` as YAML (bounds checked first), any document shape: a syntax error at its place.
pub fn parse(file: &str, text: &str) -> Result<Value, InputError> {
    check_bounds(file, text)?;
    serde_yaml::from_str(text).map_err(|e| syntax_error(file, &e))
}

/// Parses `text` as a stream of YAML documents (`---` between them), each any shape, in order.
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Value>, InputError> {
    check_bounds(file, text)?;
    serde_yaml::Deserializer::from_str(text)
        .map(|document| <Value as serde::Deserialize>::deserialize(document).map_err(|e| syntax_error(file, &e)))
        .collect()
}

/// Whether `text` is YAML at all (bounds checked first), without building anything: the error
/// to give when reading it as a type failed, since a syntax error further down explains an
/// unknown key or a wrong type above it.
pub fn check_syntax(file: &str, text: &str) -> Result<(), InputError> {
    check_bounds(file, text)?;
    serde_yaml::from_str::<serde::de::IgnoredAny>(text).map(|_| ()).map_err(|e| syntax_error(file, &e))
}

/// `value` as YAML text.
pub fn to_text<T: Serialize>(file: &str, value: &T) -> Result<String, InputError> {
    serde_yaml::to_string(value).map_err(|e| InputError::unwritable(file, e.to_string()))
}

/// Every whole number in `value` written without its `.0` (`arrivals_per_minute: 300`), as an
/// operator writes them, but under the keys in `decimal` (Compose's `cpus: 1.0`, spelt as its
/// docs spell them); what is not whole stays as it is.
pub fn whole_numbers(value: &mut Value, decimal: &[&str]) {
    match value {
        Value::Number(number) => {
            let whole = number.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15);
            if let Some(whole) = whole.filter(|_| number.is_f64()) {
                *number = (whole as i64).into();
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|item| whole_numbers(item, decimal)),
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                if !key.as_str().is_some_and(|key| decimal.contains(&key)) {
                    whole_numbers(item, decimal);
                }
            }
        }
        Value::Tagged(tagged) => whole_numbers(&mut tagged.value, decimal),
        _ => {}
    }
}

/// `value` as a YAML tree, to edit before it is written.
pub fn to_value<T: Serialize>(file: &str, value: &T) -> Result<Value, InputError> {
    serde_yaml::to_value(value).map_err(|e| InputError::unwritable(file, e.to_string()))
}

/// `text` parsed as `T`, for text flowcap itself wrote (built-in defaults): `None` if it does
/// not parse, which a test rules out.
pub fn builtin<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_yaml::from_str(text).ok()
}

/// A parsed YAML tree read as `T`; `None` when it is not one (the caller says why, without
/// repeating the value).
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_yaml::from_value(value.clone()).ok()
}

/// A YAML text that does not parse: the parser's position and message.
pub fn syntax_error(file: &str, error: &serde_yaml::Error) -> InputError {
    let position = error.location().map(|l| (l.line(), l.column()));
    let mut message = error.to_string();
    // libyaml ends with the mark, which the position already gives.
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    InputError::syntax(file, position, quoted_values(&message, 0))
}

/// Reads YAML text as `T`; a value of the wrong type or an unknown key is reported at the
/// parser's position under the key path serde_path_to_error tracked, with unknown keys
/// answered by the nearest known one.
pub fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
    serde_path_to_error::deserialize(serde_yaml::Deserializer::from_str(text)).map_err(|error| {
        let mut path = error.path().to_string();
        let error = error.into_inner();
        // An unknown key's path ends with that key, which the message names: report it under
        // the mapping that has it.
        if error.to_string().contains("unknown field `") {
            path = path.rsplit_once('.').map_or(".".to_string(), |(parent, _)| parent.to_string());
        }
        let path = (path != ".").then_some(path);
        let location = error.location().map(|l| (l.line(), l.column()));
        // An error a type raises about itself (a section checked as a whole) is placed where
        // the deserializer stood, which may be before its key: the key's place is nearer.
        let at_key = path.as_deref().and_then(|p| crate::io::yaml_lines::KeyLines::scan(text).locate(p));
        let location = match (location, at_key) {
            (Some(found), Some(key)) if found < key => Some(key),
            (None, key) => key,
            (found, _) => found,
        };
        let message = serde_message(&error, path.as_deref());
        InputError::invalid(file, location, message)
    })
}

/// serde's message for `error`, without what the error carries as data: the mark (the
/// position is reported apart) and the key path (`path`, given by the caller).
fn serde_message(error: &serde_yaml::Error, path: Option<&str>) -> String {
    let mut message = error.to_string();
    if let Some(mark) = error.location() {
        let suffix = format!(" at line {} column {}", mark.line(), mark.column());
        if let Some(kept) = message.strip_suffix(&suffix) {
            message.truncate(kept.len());
        }
    }
    if let Some(kept) = path.and_then(|path| message.strip_prefix(&format!("{path}: "))) {
        message = kept.to_string();
    }
    let message = reword_unknown_field(&message)
        .unwrap_or(message)
        .replace("expected u32", "expected a whole number (0 or more)");
    // At the root, the whole file was one string: not a plan at all, and maybe a `.env` full of
    // secrets. Below it, a value from the plan is quoted, cut short.
    let message = quoted_values(&message, if path.is_none() { 0 } else { 40 });
    let message =
        message.replace("expected struct Plan", "expected a mapping of plan keys (api, runtime, postgres, ...)");
    // Rust's names for the plan's sections mean nothing to an operator.
    let message = match message.find("expected struct ") {
        Some(at) => format!("{}expected a mapping of its keys (see docs/reference.md#the-plan)", &message[..at]),
        None => message,
    };
    match path {
        Some(path) => format!("{path}: {message}"),
        None => message,
    }
}

/// serde quotes the text it could not use (`invalid type: string "POSTGRES_PASSWORD=…"`): a
/// `.env` passed as a plan would print its secrets. Quoted strings are cut to `max`
/// characters; with 0, only the kind of value is said.
fn quoted_values(message: &str, max: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("string \"") {
        out.push_str(&rest[..start]);
        let quoted = &rest[start + "string \"".len()..];
        // The closing quote is the first one not escaped.
        let mut escaped = false;
        let end = quoted.char_indices().find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        });
        let value = end.map_or(quoted, |(i, _)| &quoted[..i]);
        if max == 0 {
            out.push_str("a string");
        } else {
            out.push_str(&format!("string \"{}\"", cut(value, max)));
        }
        rest = end.map_or("", |(i, _)| &quoted[i + 1..]);
    }
    out.push_str(rest);
    out
}

/// "unknown field `replica`, expected one of `replicas`, `db_pool`" →
/// "unknown key `replica`; did you mean `replicas`? (known keys: replicas, db_pool)".
fn reword_unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    // A key is the plan's own text: quoted, but never at length.
    let unknown = &cut(unknown, 40);
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let nearest = known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(unknown, k), *k))
        .filter(|(distance, k)| *distance <= (k.len() / 2).max(2))
        .min();
    let suggestion = nearest.map(|(_, k)| format!("; did you mean `{k}`?")).unwrap_or_default();
    let listing = if known.is_empty() {
        String::from(" (this section takes no keys)")
    } else {
        format!(" (known keys: {})", known.join(", "))
    };
    Some(format!("unknown key `{unknown}`{suggestion}{listing}"))
}
