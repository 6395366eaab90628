//! Reading input files and turning plan YAML into a validated [`Plan`], with every error
//! pointing at file, line and column.

use crate::io::error::InputError;
use crate::io::yaml;
use crate::io::yaml_lines::KeyLines;
use crate::model::plan::Plan;
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
        // Read from a deployment, its ports and container names are the files' to say: a plan
        // that kept them would hold the next check to the old ones (the override moves them).
        if matches!(self.locator, Locator::Deployment(_)) {
            plan = plan.without_deployment_facts();
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

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

pub fn load_plan_file(path: &Path) -> Result<LoadedPlan, InputError> {
    load_plan_file_with(path, |_| {})
}

/// A plan file with what the command line gives (`--nodes`' cluster) set before it is judged.
pub fn load_plan_file_with(path: &Path, given: impl FnOnce(&mut Plan)) -> Result<LoadedPlan, InputError> {
    refuse_variables_file(path, "a plan: give it with --env-file, and the plan as YAML (flowcap init writes one)")?;
    let text = read_text_file(path)?;
    parse_plan_with(&path.display().to_string(), &text, given)
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
    parse_plan_with(file, text, |_| {})
}

fn parse_plan_with(file: &str, text: &str, given: impl FnOnce(&mut Plan)) -> Result<LoadedPlan, InputError> {
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
    // Parsed once. When it does not read as a plan, a syntax error further down is the reason
    // to give: otherwise serde stops at the first key it does not know and `a: b: c` reads as
    // an unknown key rather than the syntax error it is.
    yaml::check_bounds(file, text)?;
    let plan: Plan = yaml::from_str(file, text).map_err(|error| match yaml::check_syntax(file, text) {
        Err(syntax) => syntax,
        Ok(()) => error,
    })?;
    let mut plan = plan;
    given(&mut plan);
    if plan.postgres.managed.is_some() {
        // Read from the document, not the key lines, so `postgres: { max_connections: 300 }` counts.
        let document = yaml::parse(file, text)?;
        managed_defaults(&mut plan, &document["postgres"])
            .map_err(|message| InputError::invalid(file, lines.locate("postgres.managed.instance_class"), message))?;
    }
    plan.validate().map_err(|invalid| InputError::invalid(file, lines.locate(&invalid.path), invalid.to_string()))?;
    Ok(LoadedPlan { plan, file: file.to_string(), locator: Locator::Plan(lines), inherited: BTreeMap::new() })
}

/// A managed database's connection figures from its provider's defaults, for each one the file
/// leaves out (the file's own always win); why there are none, when the file needs them.
fn managed_defaults(plan: &mut Plan, postgres: &yaml::Value) -> Result<(), String> {
    let unset = |key: &str| postgres.get(key).is_none();
    let pg = &mut plan.postgres;
    pg.max_connections_given = !unset("max_connections");
    let Some(managed) = &pg.managed else { return Ok(()) };
    let (superuser_reserved, reserved) = managed.provider.reserved_connections();
    match managed.defaults() {
        Ok(Some(defaults)) if unset("max_connections") => pg.max_connections = defaults.max_connections,
        Err(message) if unset("max_connections") => return Err(format!("postgres.managed: {message}")),
        _ => {}
    }
    if unset("superuser_reserved_connections") {
        pg.superuser_reserved_connections = superuser_reserved;
    }
    if unset("reserved_connections") {
        pg.reserved_connections = reserved;
    }
    Ok(())
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
