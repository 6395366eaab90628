//! A Compose project as Compose sees it: the files found or given, each parsed with anchors
//! and merge keys, interpolated, then merged in order by Compose's merge rules, and the
//! services the active profiles select.

use super::env::Environment;
use super::interpolate::{InterpolationError, interpolate};
use crate::io::error::InputError;
use crate::load::read_text_file;
use crate::yaml_lines::KeyLines;
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};

/// The file names Compose looks for, in its order of preference.
pub const DEFAULT_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// One input file, kept for locating keys in messages.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub lines: KeyLines,
}

#[derive(Clone, Debug)]
pub struct Project {
    pub files: Vec<SourceFile>,
    /// `services` after merging every file, active and inactive.
    pub services: Mapping,
    /// Profiles switched on (`--profile` and `COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    pub env: Environment,
    /// The variables file read, if any.
    pub env_file: Option<String>,
}

/// How to find and read the project.
#[derive(Clone, Debug, Default)]
pub struct ProjectOptions {
    /// `-f` files in order; empty means: look in `dir` the way Compose does.
    pub files: Vec<PathBuf>,
    pub env_file: Option<PathBuf>,
    pub profiles: Vec<String>,
    /// Where to look when no file is given (the current folder).
    pub dir: PathBuf,
}

/// The compose files Compose would load from `dir`: those `COMPOSE_FILE` lists (separated by
/// `:`, relative to `dir`) when it is set, else the first of [`DEFAULT_FILES`] there and its
/// override file when present. Empty when there are none.
pub fn discover(dir: &Path, compose_file: Option<&str>) -> Vec<PathBuf> {
    if let Some(listed) = compose_file.filter(|list| !list.trim().is_empty()) {
        return listed.split(':').filter(|f| !f.is_empty()).map(|f| dir.join(f)).collect();
    }
    let Some(main) = DEFAULT_FILES.iter().map(|name| dir.join(name)).find(|path| path.is_file()) else {
        return Vec::new();
    };
    let name = main.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, "yml"));
    let override_file = dir.join(format!("{stem}.override.{extension}"));
    if override_file.is_file() { vec![main, override_file] } else { vec![main] }
}

impl Project {
    pub fn load(options: &ProjectOptions, mut env: Environment) -> Result<Project, InputError> {
        let paths = if options.files.is_empty() {
            discover(&options.dir, env.get("COMPOSE_FILE"))
        } else {
            options.files.clone()
        };
        let Some(first) = paths.first() else {
            return Err(InputError::new(
                options.dir.display().to_string(),
                format!("no compose file here (looked for {})", DEFAULT_FILES.join(", ")),
            ));
        };
        // Compose reads `.env` from the project folder: the first file's.
        let project_dir = first.parent().map(Path::to_path_buf).unwrap_or_default();
        let env_path = options.env_file.clone().or_else(|| Some(project_dir.join(".env")).filter(|p| p.is_file()));
        if let Some(path) = &env_path {
            env.load_dotenv(&path.display().to_string(), &read_text_file(path)?)?;
        }
        let env_file = env_path.map(|p| p.display().to_string());
        let mut profiles = options.profiles.clone();
        if let Some(listed) = env.get("COMPOSE_PROFILES") {
            profiles.extend(listed.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from));
        }
        let mut files = Vec::new();
        let mut merged = Value::Mapping(Mapping::new());
        for path in &paths {
            let name = path.display().to_string();
            let text = read_text_file(path)?;
            let mut value: Value = serde_yaml::from_str(&text).map_err(|e| crate::load::yaml_error(&name, &e))?;
            if value.is_null() {
                value = Value::Mapping(Mapping::new());
            }
            if !value.is_mapping() {
                return Err(InputError::at(&name, Some((1, 1)), "expected a mapping with `services`"));
            }
            value.apply_merge().map_err(|e| InputError::new(&name, format!("YAML merge key: {e}")))?;
            interpolate_all(&mut value, &env).map_err(|e| interpolation_error(&name, &text, e))?;
            merge(&mut merged, value, &mut Vec::new());
            files.push(SourceFile { name, lines: KeyLines::scan(&text) });
        }
        let services = match merged.get("services") {
            Some(Value::Mapping(services)) => services.clone(),
            None | Some(Value::Null) => Mapping::new(),
            Some(_) => return Err(InputError::new(&files[0].name, "`services` must be a mapping of service names")),
        };
        Ok(Project { files, services, profiles, env, env_file })
    }

    /// Active services by name, in file order: no `profiles`, or one of them switched on.
    pub fn active_services(&self) -> Vec<(&str, &Mapping)> {
        self.services
            .iter()
            .filter_map(|(name, service)| Some((name.as_str()?, service.as_mapping()?)))
            .filter(|(_, service)| match service.get("profiles").and_then(Value::as_sequence) {
                Some(profiles) if !profiles.is_empty() => {
                    profiles.iter().filter_map(Value::as_str).any(|p| self.profiles.iter().any(|on| on == p))
                }
                _ => true,
            })
            .collect()
    }

    /// The files read, as `./docker-compose.yml + ./.env`.
    pub fn describe(&self) -> String {
        let names = self.files.iter().map(|f| f.name.as_str()).chain(self.env_file.as_deref());
        names.collect::<Vec<_>>().join(" + ")
    }

    /// Every service name, active or not, for messages.
    pub fn service_names(&self) -> Vec<&str> {
        self.services.keys().filter_map(Value::as_str).collect()
    }

    /// The file, line and column where a dotted compose path (`services.api.deploy.replicas`)
    /// is set: the last file that spells it out, as later files override earlier ones.
    pub fn locate(&self, path: &str) -> Option<(&str, (usize, usize))> {
        let exact = self.files.iter().rev().find_map(|f| f.lines.locate_exact(path).map(|p| (f.name.as_str(), p)));
        exact.or_else(|| self.files.iter().rev().find_map(|f| f.lines.locate(path).map(|p| (f.name.as_str(), p))))
    }

    /// A message about the value at `path`, pointing into the file that sets it.
    pub fn error_at(&self, path: &str, message: String) -> InputError {
        match self.locate(path) {
            Some((file, position)) => InputError::at(file, Some(position), format!("{path}: {message}")),
            None => InputError::new(&self.files[0].name, format!("{path}: {message}")),
        }
    }
}

fn interpolation_error(file: &str, text: &str, error: InterpolationError) -> InputError {
    let needle = match &error {
        InterpolationError::Required { variable, .. } => format!("${{{variable}"),
        InterpolationError::Invalid { expression } => expression.clone(),
    };
    let position = text.find(&needle).map(|offset| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = offset - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        (line, column)
    });
    InputError::at(file, position, error.to_string())
}

/// Interpolates every string value (not keys), as Compose does.
fn interpolate_all(value: &mut Value, env: &Environment) -> Result<(), InterpolationError> {
    match value {
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

fn tag_is(tagged: &TaggedValue, name: &str) -> bool {
    tagged.tag == Tag::new(name)
}

/// Keys under a service whose sequences the override replaces (Compose: command, entrypoint,
/// healthcheck.test).
fn replaces(path: &[String]) -> bool {
    matches!(path, [s, _, key] if s == "services" && (key == "command" || key == "entrypoint"))
        || matches!(path, [s, _, h, t] if s == "services" && h == "healthcheck" && t == "test")
}

/// Keys under a service that Compose merges as a mapping even when written as a list.
fn merges_by_key(path: &[String]) -> bool {
    matches!(path, [s, _, key] if s == "services" && (key == "environment" || key == "labels"))
}

/// `["A=1", "B"]` → `{A: "1", B: null}`; mappings pass through.
fn as_mapping(value: Value) -> Value {
    match value {
        Value::Sequence(items) => Value::Mapping(
            items
                .into_iter()
                .filter_map(|item| {
                    let text = item.as_str()?.to_string();
                    Some(match text.split_once('=') {
                        Some((k, v)) => (Value::String(k.to_string()), Value::String(v.to_string())),
                        None => (Value::String(text), Value::Null),
                    })
                })
                .collect(),
        ),
        other => other,
    }
}

/// Merges `over` into `base` by Compose's rules: mappings key by key, `environment` and
/// `labels` by variable, command-like sequences replaced, other sequences united without
/// duplicates, scalars replaced; `!reset` removes a value and `!override` replaces it whole.
pub fn merge(base: &mut Value, over: Value, path: &mut Vec<String>) {
    let over = match over {
        Value::Tagged(tagged) if tag_is(&tagged, "override") => {
            *base = tagged.value;
            return;
        }
        Value::Tagged(tagged) if tag_is(&tagged, "reset") => {
            *base = Value::Null;
            return;
        }
        other => other,
    };
    let keyed = merges_by_key(path);
    let (base_value, over) =
        if keyed { (as_mapping(std::mem::take(base)), as_mapping(over)) } else { (std::mem::take(base), over) };
    *base = match (base_value, over) {
        (Value::Mapping(mut into), Value::Mapping(from)) => {
            for (key, value) in from {
                path.push(key.as_str().unwrap_or_default().to_string());
                let reset = matches!(&value, Value::Tagged(t) if tag_is(t, "reset"));
                if reset {
                    into.remove(&key);
                } else {
                    let slot = into.entry(key).or_insert(Value::Null);
                    merge(slot, value, path);
                }
                path.pop();
            }
            Value::Mapping(into)
        }
        (Value::Sequence(mut into), Value::Sequence(from)) if !replaces(path) => {
            for item in from {
                if !into.contains(&item) {
                    into.push(item);
                }
            }
            Value::Sequence(into)
        }
        (_, over) => strip_tags(over),
    };
}

/// A value as it lands in the merged model: tags (`!reset []` in a first file) removed.
fn strip_tags(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) if tag_is(&tagged, "reset") => Value::Null,
        Value::Tagged(tagged) => strip_tags(tagged.value),
        Value::Mapping(mapping) => Value::Mapping(mapping.into_iter().map(|(k, v)| (k, strip_tags(v))).collect()),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(strip_tags).collect()),
        other => other,
    }
}
