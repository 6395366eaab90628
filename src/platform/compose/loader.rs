//! Reading one compose file as Compose does: YAML with anchors and merge keys, interpolated,
//! `env_file` paths made relative to its folder, its `extends` and `include` resolved.

use super::env::{Environment, parse_dotenv};
use super::interpolate::{InterpolationError, interpolate};
use super::merge::{merge, tag_is};
use crate::io::error::InputError;
use crate::io::yaml::{self, Tag, TaggedValue};
use crate::io::yaml::{Mapping, Value};
use crate::io::yaml_lines::KeyLines;
use crate::model::load::read_text_file;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One input file, kept for locating keys in messages.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub lines: KeyLines,
}

/// How deep `extends` and `include` may chain: real stacks use two or three levels; a cycle
/// or a generated chain stops here instead of running away.
const MAX_NESTING: usize = 32;

/// A compose file being read: where it is, the folder its relative paths resolve from, the
/// variables it is interpolated with, and how deep in `extends` and `include` it stands.
#[derive(Clone, Copy)]
pub(super) struct Reading<'a> {
    pub(super) path: &'a Path,
    pub(super) dir: &'a Path,
    pub(super) env: &'a Environment,
    pub(super) depth: usize,
}

/// Reads compose files one at a time, as Compose does before it merges them: anchors, merge
/// keys, interpolation, `env_file` paths, `extends` and `include`.
#[derive(Default)]
pub(super) struct Loader {
    /// Every file read, by path, for locating keys.
    pub(super) sources: HashMap<PathBuf, SourceFile>,
    /// The files being read, outermost first: one of them again is an include cycle.
    open: Vec<PathBuf>,
}

impl Loader {
    /// One file, with relative paths resolved from `dir`.
    pub(super) fn load(&mut self, file: Reading) -> Result<Value, InputError> {
        let path = file.path;
        let identity = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.open.contains(&identity) {
            return Err(InputError::invalid(path.display().to_string(), None, "includes itself (an include cycle)"));
        }
        self.open.push(identity);
        let mut value = self.read(file)?;
        self.apply_extends(&mut value, file)?;
        self.apply_include(&mut value, file)?;
        self.open.pop();
        Ok(value)
    }

    /// One file as YAML with merge keys applied, interpolated, its `env_file` paths resolved
    /// from `dir`; kept for locating keys. `extends` and `include` are left to the caller.
    fn read(&mut self, file: Reading) -> Result<Value, InputError> {
        let Reading { path, dir, env, depth } = file;
        let name = path.display().to_string();
        if depth > MAX_NESTING {
            return Err(InputError::invalid(
                &name,
                None,
                format!("extends or include nest deeper than {MAX_NESTING} files"),
            ));
        }
        crate::model::load::refuse_variables_file(path, "a compose file: give it with --env-file")?;
        let text = read_text_file(path)?;
        let mut value = yaml::parse(&name, &text)?;
        if value.is_null() {
            value = Value::Mapping(Mapping::new());
        }
        if !value.is_mapping() {
            return Err(InputError::invalid(&name, Some((1, 1)), "expected a mapping with `services`"));
        }
        value.apply_merge().map_err(|e| InputError::syntax(&name, None, format!("YAML merge key: {e}")))?;
        keep_raw_commands(&mut value);
        interpolate_all(&mut value, env).map_err(|e| interpolation_error(&name, &text, e))?;
        self.sources.insert(path.to_path_buf(), SourceFile { name: name.clone(), lines: KeyLines::scan(&text) });
        let services = match value.get_mut("services") {
            Some(Value::Mapping(services)) => services,
            None | Some(Value::Null) => &mut Mapping::new(),
            Some(_) => return Err(InputError::invalid(&name, None, "`services` must be a mapping of service names")),
        };
        for (service_name, service) in services.iter_mut() {
            if let Value::Mapping(service) = service {
                let at = format!("services.{}.env_file", service_name.as_str().unwrap_or_default());
                normalize_env_file(service, dir).map_err(|message| self.error(path, &at, message))?;
            }
        }
        Ok(value)
    }

    fn error(&self, file: &Path, at: &str, message: String) -> InputError {
        let source = self.sources.get(file);
        let name = source.map_or_else(|| file.display().to_string(), |s| s.name.clone());
        InputError::invalid(name, source.and_then(|s| s.lines.locate(at)), format!("{at}: {message}"))
    }

    /// Replaces every service that `extends` another by the other merged with it.
    fn apply_extends(&mut self, value: &mut Value, file: Reading) -> Result<(), InputError> {
        let Some(Value::Mapping(services)) = value.get("services") else { return Ok(()) };
        let names: Vec<String> = services
            .iter()
            .filter(|(_, s)| s.get("extends").is_some())
            .filter_map(|(name, _)| name.as_str().map(String::from))
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        let file_services = services.clone();
        let mut resolved = HashMap::new();
        for name in names {
            let service = self.extended(&file_services, &name, file, &mut resolved, &mut Vec::new())?;
            if let Some(Value::Mapping(services)) = value.get_mut("services") {
                services.insert(Value::String(name), service);
            }
        }
        Ok(())
    }

    /// `name` of `services` (read from `file`) with its `extends` chain applied.
    fn extended(
        &mut self,
        services: &Mapping,
        name: &str,
        file: Reading,
        resolved: &mut HashMap<(PathBuf, String), Value>,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Value, InputError> {
        let Reading { path, dir, env, depth } = file;
        let key = (path.to_path_buf(), name.to_string());
        if let Some(done) = resolved.get(&key) {
            return Ok(done.clone());
        }
        let at = format!("services.{name}.extends");
        let Some(mut service) = services.get(name).cloned() else {
            // The caller checked: only a service named by `extends` can be missing.
            return Err(self.error(path, "services", format!("no service `{name}`")));
        };
        let Some(extends) = service.as_mapping_mut().and_then(|s| s.remove("extends")) else {
            return Ok(service);
        };
        if chain.contains(&key) {
            return Err(self.error(path, &at, "extends itself through a cycle".to_string()));
        }
        if chain.len() > MAX_NESTING {
            return Err(self.error(path, &at, format!("the extends chain is longer than {MAX_NESTING}")));
        }
        chain.push(key.clone());
        let (base_name, base_file) = match &extends {
            Value::String(base) => (base.clone(), None),
            Value::Mapping(spec) => match spec.get("service").and_then(Value::as_str) {
                Some(base) => (base.to_string(), spec.get("file").and_then(Value::as_str).map(String::from)),
                None => return Err(self.error(path, &at, "expected `service:` (and optionally `file:`)".into())),
            },
            _ => return Err(self.error(path, &at, "expected a service name or `service:` and `file:`".into())),
        };
        let mut base = match base_file {
            None if !services.contains_key(base_name.as_str()) => {
                let message = format!("no service `{base_name}` to extend in {}", path.display());
                return Err(self.error(path, &at, message));
            }
            None => self.extended(services, &base_name, file, resolved, chain)?,
            Some(other) => {
                let other_path = dir.join(&other);
                // Relative paths in the extended file are relative to that file.
                let other_dir = other_path.parent().map(Path::to_path_buf).unwrap_or_default();
                // Compose takes only the service from it: no includes of its own.
                let other_file = Reading { path: &other_path, dir: &other_dir, env, depth: depth + 1 };
                let other = self.read(other_file)?;
                let other_services = other.get("services").and_then(Value::as_mapping).cloned().unwrap_or_default();
                if !other_services.contains_key(base_name.as_str()) {
                    let message = format!("no service `{base_name}` to extend in {}", other_path.display());
                    return Err(self.error(path, &at, message));
                }
                self.extended(&other_services, &base_name, other_file, resolved, chain)?
            }
        };
        chain.pop();
        let mut keys = vec!["services".to_string(), name.to_string()];
        merge(&mut base, service, &mut keys);
        resolved.insert(key, base.clone());
        Ok(base)
    }

    /// Adds the services of every `include`d project; a service both define is an error, as
    /// in Compose.
    fn apply_include(&mut self, value: &mut Value, file: Reading) -> Result<(), InputError> {
        let Reading { path, dir, env, depth } = file;
        let Some(top) = value.as_mapping_mut() else { return Ok(()) };
        let Some(include) = top.remove("include") else { return Ok(()) };
        let entries = match include {
            Value::Sequence(entries) => entries,
            Value::Null => return Ok(()),
            _ => return Err(self.error(path, "include", "expected a list of files".into())),
        };
        for entry in entries {
            let (files, project_dir, env_files) = match &entry {
                Value::String(file) => (vec![file.clone()], None, None),
                Value::Mapping(long) => {
                    let files = match long.get("path") {
                        Some(Value::String(file)) => vec![file.clone()],
                        Some(Value::Sequence(files)) => {
                            files.iter().filter_map(Value::as_str).map(String::from).collect()
                        }
                        _ => return Err(self.error(path, "include", "an entry needs `path:`".into())),
                    };
                    let project_dir = long.get("project_directory").and_then(Value::as_str).map(String::from);
                    let env_files = match long.get("env_file") {
                        Some(Value::String(file)) => Some(vec![file.clone()]),
                        Some(Value::Sequence(f)) => {
                            Some(f.iter().filter_map(Value::as_str).map(String::from).collect())
                        }
                        _ => None,
                    };
                    (files, project_dir, env_files)
                }
                _ => return Err(self.error(path, "include", "expected a file or `path:`".into())),
            };
            // `path: []`, or a list of what are not file names (found by the fuzzer).
            if files.is_empty() {
                return Err(self.error(
                    path,
                    "include",
                    "`path:` names no file: give a file name or a list of them".into(),
                ));
            }
            if let Some(remote) = files.iter().find(|f| f.contains("://") || f.starts_with("git@")) {
                let message = format!("`{remote}`: flowcap reads local files only");
                return Err(self.error(path, "include", message));
            }
            let first = dir.join(&files[0]);
            let included_dir = match &project_dir {
                Some(d) => dir.join(d),
                None => first.parent().map(Path::to_path_buf).unwrap_or_default(),
            };
            // The included project's `.env` fills in what the including project leaves unset.
            let env_paths = match env_files {
                Some(files) => files.iter().map(|f| dir.join(f)).collect(),
                None => vec![included_dir.join(".env")].into_iter().filter(|p| p.is_file()).collect::<Vec<_>>(),
            };
            let mut fallback = Vec::new();
            for env_path in env_paths {
                let text = read_text_file(&env_path)?;
                let shown = env_path.display().to_string();
                fallback.extend(parse_dotenv(&shown, &text, &|key| env.get(key).map(str::to_string))?);
            }
            let included_env = env.with_fallback(fallback);
            let mut included = Value::Mapping(Mapping::new());
            for file in &files {
                let path = dir.join(file);
                let loaded =
                    self.load(Reading { path: &path, dir: &included_dir, env: &included_env, depth: depth + 1 })?;
                merge(&mut included, loaded, &mut Vec::new());
            }
            let Some(Value::Mapping(added)) = included.get("services").cloned() else { continue };
            let Some(top) = value.as_mapping_mut() else { return Ok(()) };
            let services = top.entry(Value::String("services".into())).or_insert(Value::Mapping(Mapping::new()));
            if services.is_null() {
                *services = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(services) = services else { continue };
            for (name, service) in added {
                if services.contains_key(&name) {
                    let name = name.as_str().unwrap_or_default().to_string();
                    let message = format!("`{name}` is also defined by the included {}", files.join(", "));
                    return Err(self.error(path, &format!("services.{name}"), message));
                }
                services.insert(name, service);
            }
        }
        Ok(())
    }
}

/// `env_file` in any of its forms (a path, a list of paths, a list of `path:`/`required:`)
/// as a list of `{path, required}` with the path resolved from `dir`.
fn normalize_env_file(service: &mut Mapping, dir: &Path) -> Result<(), String> {
    let Some(env_file) = service.get_mut("env_file") else { return Ok(()) };
    let entries = match std::mem::take(env_file) {
        Value::Null => Vec::new(),
        Value::String(path) => vec![Value::String(path)],
        Value::Sequence(entries) => entries,
        _ => return Err("expected a path or a list of paths".into()),
    };
    let mut normalized = Vec::new();
    for entry in entries {
        let (path, required) = match &entry {
            Value::String(path) => (path.clone(), true),
            Value::Mapping(long) => match long.get("path").and_then(Value::as_str) {
                Some(path) => (path.to_string(), long.get("required").and_then(Value::as_bool).unwrap_or(true)),
                None => return Err("an entry needs `path:`".into()),
            },
            _ => return Err("expected a path or `path:`".into()),
        };
        let mut long = Mapping::new();
        long.insert("path".into(), Value::String(dir.join(path).display().to_string()));
        long.insert("required".into(), Value::Bool(required));
        normalized.push(Value::Mapping(long));
    }
    *env_file = Value::Sequence(normalized);
    Ok(())
}

fn interpolation_error(file: &str, text: &str, error: InterpolationError) -> InputError {
    let needle = match &error {
        InterpolationError::Required { variable, .. } => format!("${{{variable}"),
        InterpolationError::Invalid { expression } => expression.clone(),
        InterpolationError::TooDeep | InterpolationError::TooLong => "${".to_string(),
    };
    let position = text.find(&needle).map(|offset| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = offset - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        (line, column)
    });
    InputError::syntax(file, position, error.to_string())
}

/// Where a service keeps its `command` as written, before interpolation: an export that
/// rewrites the command copies the operator's other words as written, so a `${PASSWORD}` in
/// them stays a reference and never becomes the secret. Compose ignores `x-` keys; the merge
/// rules carry it along with `command` (files, `extends`, `include`).
pub const RAW_COMMAND: &str = "x-flowcap-raw-command";

/// The tag that keeps [`RAW_COMMAND`] out of interpolation; the merge removes it.
const RAW: &str = "flowcap-raw";

fn keep_raw_commands(value: &mut Value) {
    let Some(Value::Mapping(services)) = value.get_mut("services") else { return };
    for (_, service) in services.iter_mut() {
        let Value::Mapping(service) = service else { continue };
        if let Some(command) = service.get("command").cloned() {
            let raw = Value::Tagged(Box::new(TaggedValue { tag: Tag::new(RAW), value: command }));
            service.insert(Value::String(RAW_COMMAND.into()), raw);
        }
    }
}

/// Interpolates every string value (not keys), as Compose does.
fn interpolate_all(value: &mut Value, env: &Environment) -> Result<(), InterpolationError> {
    match value {
        Value::Tagged(tagged) if tag_is(tagged, RAW) => {}
        Value::String(text) if text.contains('$') => *text = interpolate(text, &|name| env.get(name))?,
        Value::Sequence(items) => {
            for item in items {
                interpolate_all(item, env)?;
            }
        }
        Value::Mapping(mapping) => {
            for (_, item) in mapping.iter_mut() {
                interpolate_all(item, env)?;
            }
        }
        Value::Tagged(tagged) => interpolate_all(&mut tagged.value, env)?,
        _ => {}
    }
    Ok(())
}
