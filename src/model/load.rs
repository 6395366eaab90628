//! Reading input files and turning plan YAML into a validated [`Plan`], with every error
//! pointing at file, line and column.

use crate::io::error::InputError;
use crate::io::text::cut;
use crate::model::plan::Plan;
use crate::model::yaml_lines::KeyLines;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Input files larger than this are refused before they are read: no plan or compose file is
/// anywhere near it, and reading a huge file whole would only waste memory.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// A plan together with where it came from, so findings can point into the file.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedPlan {
    pub plan: Plan,
    /// The file as the operator named it (or `presets/NAME.yaml` for a built-in preset, or the
    /// first compose file of an imported deployment).
    pub file: String,
    pub locator: Locator,
    /// Keys whose values came from the deployment (its fixed ports and container names, which
    /// a plan inherits), with where the deployment sets them when known. They are facts, not
    /// plan decisions: a saved plan leaves them out.
    pub inherited: BTreeMap<String, Option<Place>>,
}

/// A file and the line and column in it.
pub type Place = (String, (usize, usize));

/// Where the plan's keys stand in its source files.
#[derive(Clone, Debug, PartialEq)]
pub enum Locator {
    /// A plan file: its keys.
    Plan(KeyLines),
    /// An imported deployment (compose files, Helm values): plan keys placed at the keys they
    /// came from, in whichever file set them.
    Deployment(BTreeMap<String, Place>),
}

impl LoadedPlan {
    /// Takes the deployment's fixed ports and container names, and where they are set.
    pub fn inherit_deployment_facts(&mut self, deployed: &LoadedPlan) {
        for key in self.plan.inherit_deployment_facts(&deployed.plan) {
            let place = match &deployed.locator {
                Locator::Deployment(places) => places.get(&key).cloned(),
                Locator::Plan(_) => None,
            };
            self.inherited.insert(key, place);
        }
    }

    /// `plan` (this one, or one made from it) as a plan file holds it: without the facts it
    /// inherited from the deployment.
    pub fn to_save(&self, plan: &Plan) -> Plan {
        let mut plan = plan.clone();
        for key in self.inherited.keys() {
            plan.forget_fact(key);
        }
        plan
    }

    /// File, line and column of a plan key (dotted path), or of the nearest enclosing key the
    /// source spells out.
    pub fn locate(&self, path: &str) -> Option<(&str, (usize, usize))> {
        if let Some(Some((file, position))) = self.inherited.get(path) {
            return Some((file.as_str(), *position));
        }
        match &self.locator {
            Locator::Plan(lines) => lines.locate(path).map(|position| (self.file.as_str(), position)),
            Locator::Deployment(places) => {
                let mut path = path;
                loop {
                    if let Some((file, position)) = places.get(path) {
                        return Some((file.as_str(), *position));
                    }
                    path = &path[..path.rfind('.')?];
                }
            }
        }
    }
}

/// Reads a UTF-8 text file, refusing directories, missing files and files over
/// [`MAX_INPUT_BYTES`] with a message that says which.
pub fn read_text_file(path: &Path) -> Result<String, InputError> {
    let name = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|e| InputError::unreadable(&name, describe_io(&e)))?;
    if metadata.is_dir() {
        return Err(InputError::unreadable(&name, "is a directory, expected a YAML file"));
    }
    // A FIFO or a device would block the read forever, or never end.
    if !metadata.is_file() {
        return Err(InputError::unreadable(&name, "is not a regular file (a FIFO, a socket or a device)"));
    }
    if metadata.len() > MAX_INPUT_BYTES {
        return Err(InputError::unreadable(
            &name,
            format!("is {} bytes; flowcap reads files up to {} MiB", metadata.len(), MAX_INPUT_BYTES / (1024 * 1024)),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| InputError::unreadable(&name, describe_io(&e)))?;
    // The size can change between the check and the read: never read more than the cap.
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::unreadable(&name, describe_io(&e)))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::unreadable(
            &name,
            format!("grew past {} MiB while being read", MAX_INPUT_BYTES / (1024 * 1024)),
        ));
    }
    // Editors on Windows start UTF-8 files with a byte order mark; YAML allows it, serde does not.
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let text = String::from_utf8(text.to_vec()).map_err(|e| {
        InputError::unreadable(
            &name,
            format!("is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
        )
    })?;
    Ok(text)
}

/// How deep `[` and `{` may nest: YAML parsers take time that grows with the square of it,
/// and no plan or compose file nests more than a few levels.
const MAX_FLOW_NESTING: usize = 64;

/// How many bytes YAML aliases may copy: each `*alias` repeats its anchored node, and a few
/// aliases of a large node would otherwise expand a small file into gigabytes.
const MAX_ALIAS_BYTES: usize = 64 * 1024 * 1024;

/// Refuses text that would make the YAML parser run away before it is parsed: flow
/// collections nested deeper than [`MAX_FLOW_NESTING`], and aliases that would copy more than
/// [`MAX_ALIAS_BYTES`] (each alias counted at the size of the block its anchor starts).
pub fn check_yaml_bounds(file: &str, text: &str) -> Result<(), InputError> {
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

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

pub fn load_plan_file(path: &Path) -> Result<LoadedPlan, InputError> {
    refuse_variables_file(path, "a plan: give it with --env-file, and the plan as YAML (flowcap init writes one)")?;
    let text = read_text_file(path)?;
    parse_plan(&path.display().to_string(), &text)
}

/// A variables file (`.env`, `prod.env`, `.env.example`) where YAML is expected: say what it
/// is, `not_what` the command wanted (and never what it holds).
pub fn refuse_variables_file(path: &Path, not_what: &str) -> Result<(), InputError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return Err(InputError::invalid(
            path.display().to_string(),
            None,
            format!("is a variables file, not {not_what}"),
        ));
    }
    Ok(())
}

/// Parses and validates plan YAML. `file` names the source in messages.
pub fn parse_plan(file: &str, text: &str) -> Result<LoadedPlan, InputError> {
    let lines = KeyLines::scan(text);
    // An empty file is more likely a failed write or the wrong file than a wish for defaults.
    let only_comments = text.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
    if only_comments {
        return Err(InputError::invalid(
            file,
            None,
            "is empty: a plan sets at least one key (`flowcap explain` lists them)",
        ));
    }
    // The whole text must be YAML first: otherwise serde stops at the first key it does not
    // know and `a: b: c` reads as an unknown key rather than the syntax error it is.
    check_yaml_bounds(file, text)?;
    serde_yaml::from_str::<serde::de::IgnoredAny>(text).map_err(|e| yaml_syntax_error(file, &e))?;
    let plan: Plan = from_yaml(file, text)?;
    plan.validate().map_err(|invalid| {
        InputError::invalid(file, lines.locate(&invalid.path), format!("{}: {}", invalid.path, invalid.message))
    })?;
    Ok(LoadedPlan { plan, file: file.to_string(), locator: Locator::Plan(lines), inherited: BTreeMap::new() })
}

/// A YAML text that does not parse: the parser's position and message.
pub fn yaml_syntax_error(file: &str, error: &serde_yaml::Error) -> InputError {
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
pub fn from_yaml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
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
        Some(at) => format!("{}expected a mapping of its keys (see the README)", &message[..at]),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dotenv_passed_as_the_plan_is_not_printed() {
        let err = parse_plan(".env", "POSTGRES_PASSWORD=hunter2\nBACKEND_KEY=\"k\\\"sekrit\"\n").unwrap_err();
        assert!(!err.message().contains("hunter2") && !err.message().contains("sekrit"), "{}", err.message());
        assert!(err.message().contains("invalid type: a string"), "{}", err.message());
    }

    #[test]
    fn unknown_key_suggests_the_nearest() {
        let err = parse_plan("p.yaml", "api:\n  replica: 2\n").unwrap_err();
        assert_eq!((err.location().line, err.location().column), (Some(2), Some(3)));
        assert!(err.message().starts_with("api: unknown key `replica`; did you mean `replicas`?"), "{}", err.message());
        assert!(err.message().contains("known keys: replicas, db_pool"), "{}", err.message());
    }

    #[test]
    fn far_unknown_key_gets_no_guess() {
        let err = parse_plan("p.yaml", "zzzzzzzz: 1\n").unwrap_err();
        assert!(!err.message().contains("did you mean"), "{}", err.message());
        assert!(
            err.message().starts_with("unknown key `zzzzzzzz` (known keys: name, platform, api"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn range_errors_point_at_the_key() {
        let err = parse_plan("p.yaml", "api:\n  db_pool: 0\n").unwrap_err();
        assert_eq!(err.to_string(), "p.yaml:2:3: api.db_pool: must be between 1 and 10000, got 0");
    }
}
