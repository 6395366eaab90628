//! A Compose project as Compose sees it: the files found or given, each parsed with anchors
//! and merge keys, interpolated, its `extends` and `include` resolved and its `env_file` paths
//! taken from the folder they are relative to, then merged in order by Compose's merge rules,
//! and the services the active profiles select.

use super::env::{Environment, parse_dotenv};
use super::interpolate::{InterpolationError, interpolate};
use crate::io::error::InputError;
use crate::model::load::read_text_file;
use crate::model::yaml_lines::KeyLines;
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The file names Compose looks for, in its order of preference.
pub const DEFAULT_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// How deep `extends` and `include` may chain: real stacks use two or three levels; a cycle
/// or a generated chain stops here instead of running away.
const MAX_NESTING: usize = 32;

/// One input file, kept for locating keys in messages.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub lines: KeyLines,
}

#[derive(Clone, Debug)]
pub struct Project {
    /// The compose files in order, as given (`-f`, `COMPOSE_FILE`) or found.
    pub files: Vec<SourceFile>,
    /// Files read through `extends: {file: ...}` and `include`, for locating keys.
    pub other_sources: Vec<SourceFile>,
    /// `services` after merging every file, active and inactive.
    pub services: Mapping,
    /// Profiles switched on (`--profile` and `COMPOSE_PROFILES`).
    pub profiles: Vec<String>,
    pub env: Environment,
    /// The variables file read, if any.
    pub env_file: Option<String>,
    /// How the project was found, so it can be read again without one of its files.
    pub options: ProjectOptions,
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
/// override file when present. Empty when there are none. A name that is there but cannot be
/// read (a dangling link, no permission) is found all the same, so reading it says why.
pub fn discover(dir: &Path, compose_file: Option<&str>) -> Vec<PathBuf> {
    if let Some(listed) = compose_file.filter(|list| !list.trim().is_empty()) {
        return listed.split(':').filter(|f| !f.is_empty()).map(|f| dir.join(f)).collect();
    }
    let present = |path: &PathBuf| std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir());
    let Some(main) = DEFAULT_FILES.iter().map(|name| dir.join(name)).find(present) else {
        return Vec::new();
    };
    let name = main.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, "yml"));
    let override_file = dir.join(format!("{stem}.override.{extension}"));
    if present(&override_file) { vec![main, override_file] } else { vec![main] }
}

impl Project {
    /// Reads the project; no compose file to read is an error.
    pub fn load(options: &ProjectOptions, env: Environment) -> Result<Project, InputError> {
        Project::find(options, env)?.ok_or_else(|| {
            InputError::unreadable(
                options.dir.display().to_string(),
                format!("no compose file here (looked for {})", DEFAULT_FILES.join(", ")),
            )
        })
    }

    /// Reads the project, or `None` when no file is given and none is found in `options.dir`.
    /// `.env` (or `--env-file`) is read first, so it can set `COMPOSE_FILE` and
    /// `COMPOSE_PROFILES` as in Compose; the shell's values win over it.
    pub fn find(options: &ProjectOptions, mut env: Environment) -> Result<Option<Project>, InputError> {
        // Compose reads `.env` from the project folder: the first file's, else the one searched.
        let env_dir = match options.files.first() {
            Some(first) => first.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => options.dir.clone(),
        };
        // Whatever is there is read, so a FIFO or a dangling link is refused, not skipped.
        let env_path = options
            .env_file
            .clone()
            .or_else(|| Some(env_dir.join(".env")).filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir())));
        if let Some(path) = &env_path {
            env.load_dotenv(&path.display().to_string(), &read_text_file(path)?)?;
        }
        let paths = if options.files.is_empty() {
            discover(&options.dir, env.get("COMPOSE_FILE"))
        } else {
            options.files.clone()
        };
        let Some(first) = paths.first() else { return Ok(None) };
        // Relative paths in every file (env_file, extends, include) are relative to the project
        // folder: the first file's.
        let project_dir = first.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut profiles = options.profiles.clone();
        if let Some(listed) = env.get("COMPOSE_PROFILES") {
            profiles.extend(listed.split(',').map(str::trim).filter(|p| !p.is_empty()).map(String::from));
        }
        let mut loader = Loader::default();
        let mut merged = Value::Mapping(Mapping::new());
        let mut files = Vec::new();
        for path in &paths {
            let value = loader.load(Reading { path, dir: &project_dir, env: &env, depth: 0 })?;
            merge(&mut merged, value, &mut Vec::new());
            let read = loader.sources.remove(path);
            files.extend(read);
        }
        let services = match merged.as_mapping_mut().and_then(|top| top.remove("services")) {
            Some(Value::Mapping(services)) => services,
            None | Some(Value::Null) => Mapping::new(),
            Some(_) => {
                return Err(InputError::invalid(&files[0].name, None, "`services` must be a mapping of service names"));
            }
        };
        // What Compose accepts; flowcap writes these names into the override and file names.
        for name in services.keys() {
            let name = name.as_str().unwrap_or_default();
            if !crate::model::plan::is_service_name(name) {
                let shown = crate::io::text::cut(name, 40);
                return Err(InputError::invalid(
                    &files[0].name,
                    None,
                    format!("services: `{shown}` is not a name Compose accepts (letters, digits, `.`, `_`, `-`)"),
                ));
            }
        }
        let other_sources = loader.sources.into_values().collect();
        let options = ProjectOptions { files: paths, ..options.clone() };
        let env_file = env_path.map(|p| p.display().to_string());
        Ok(Some(Project { files, other_sources, services, profiles, env, env_file, options }))
    }

    /// The same project read again without `file` (an override about to be replaced), or
    /// `None` when `file` is not one of its files.
    pub fn without(&self, file: &Path) -> Result<Option<Project>, InputError> {
        let target = absolute(file);
        let kept: Vec<PathBuf> = self.options.files.iter().filter(|f| absolute(f) != target).cloned().collect();
        if kept.len() == self.options.files.len() {
            return Ok(None);
        }
        if kept.is_empty() {
            return Err(InputError::unwritable(
                file.display().to_string(),
                "is the deployment's only compose file: write the override to another file",
            ));
        }
        let options = ProjectOptions { files: kept, ..self.options.clone() };
        Project::load(&options, self.env.shell_only()).map(Some)
    }

    /// Every `env_file` any service names.
    pub fn env_files(&self) -> Vec<PathBuf> {
        self.services.values().filter_map(Value::as_mapping).flat_map(env_files).map(|(path, _)| path).collect()
    }

    /// The folder relative paths in the files are resolved from: the first file's.
    pub fn dir(&self) -> PathBuf {
        self.options.files[0].parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// Active services by name, in file order: no `profiles`, or one of them switched on.
    pub fn active_services(&self) -> Vec<(&str, &Mapping)> {
        self.services().filter(|(_, service)| self.is_active(service)).collect()
    }

    /// Every service by name, in file order, whatever its profiles.
    pub fn services(&self) -> impl Iterator<Item = (&str, &Mapping)> {
        self.services.iter().filter_map(|(name, service)| Some((name.as_str()?, service.as_mapping()?)))
    }

    fn is_active(&self, service: &Mapping) -> bool {
        match service.get("profiles").and_then(Value::as_sequence) {
            Some(profiles) if !profiles.is_empty() => {
                profiles.iter().filter_map(Value::as_str).any(|p| self.profiles.iter().any(|on| on == p))
            }
            _ => true,
        }
    }

    /// The profiles that switch `service` on, when it exists and none of them is on.
    pub fn hidden_by(&self, service: &str) -> Option<Vec<String>> {
        let mapping = self.services.get(service)?.as_mapping()?;
        if self.is_active(mapping) {
            return None;
        }
        Some(self.profiles_of(service))
    }

    /// "runs only with the profile monitoring (add --profile monitoring)", when `service`
    /// exists and no profile that starts it is on.
    pub fn profile_hint(&self, service: &str) -> Option<String> {
        let profiles = self.hidden_by(service)?;
        let first = profiles.first().map_or("", String::as_str);
        Some(format!("runs only with the profile {} (add --profile {first})", profiles.join(" or ")))
    }

    /// The profiles `service` runs under; empty when it always runs or does not exist.
    pub fn profiles_of(&self, service: &str) -> Vec<String> {
        let profiles = self.services.get(service).and_then(|s| s.get("profiles")).and_then(Value::as_sequence);
        profiles.map(|p| p.iter().filter_map(Value::as_str).map(String::from).collect()).unwrap_or_default()
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
        let sources = || self.files.iter().rev().chain(&self.other_sources);
        let exact = sources().find_map(|f| f.lines.locate_exact(path).map(|p| (f.name.as_str(), p)));
        // Else the nearest enclosing key, in whichever file spells out most of the path (the
        // service's own file, not a later one that only has `services:`).
        let nearest = || {
            let mut best: Option<(usize, &str, (usize, usize))> = None;
            for file in sources() {
                if let Some((depth, position)) = file.lines.locate_nearest(path)
                    && best.is_none_or(|(best_depth, _, _)| depth > best_depth)
                {
                    best = Some((depth, file.name.as_str(), position));
                }
            }
            best.map(|(_, file, position)| (file, position))
        };
        exact.or_else(nearest)
    }

    /// A message about the value at `path`, pointing into the file that sets it.
    pub fn error_at(&self, path: &str, message: String) -> InputError {
        match self.locate(path) {
            Some((file, position)) => InputError::invalid(file, Some(position), format!("{path}: {message}")),
            None => InputError::invalid(&self.files[0].name, None, format!("{path}: {message}")),
        }
    }

    /// A service's environment as its containers get it: the `env_file`s in order, then
    /// `environment`; a list entry or a key without a value takes the shell's or `.env`'s.
    pub fn environment(&self, name: &str, service: &Mapping) -> Result<BTreeMap<String, String>, InputError> {
        let mut env = BTreeMap::new();
        for (path, required) in env_files(service) {
            let shown = path.display().to_string();
            match std::fs::metadata(&path) {
                Err(_) if !required => continue,
                Err(_) => {
                    return Err(self.error_at(
                        &format!("services.{name}.env_file"),
                        format!("env file {shown} not found (mark it `required: false` if it is optional)"),
                    ));
                }
                Ok(_) => {}
            }
            let text = read_text_file(&path)?;
            env.extend(parse_dotenv(&shown, &text, &|key| self.env.get(key).map(str::to_string))?);
        }
        let from_shell = |key: &str| self.env.get(key).map(str::to_string);
        match service.get("environment") {
            Some(Value::Mapping(map)) => {
                for (key, value) in map {
                    let Some(key) = key.as_str() else { continue };
                    match value {
                        Value::Null => match from_shell(key) {
                            Some(value) => env.insert(key.to_string(), value),
                            None => env.remove(key),
                        },
                        other => env.insert(key.to_string(), scalar_text(other)),
                    };
                }
            }
            Some(Value::Sequence(items)) => {
                for item in items.iter().filter_map(Value::as_str) {
                    match item.split_once('=') {
                        Some((key, value)) => env.insert(key.to_string(), value.to_string()),
                        None => match from_shell(item) {
                            Some(value) => env.insert(item.to_string(), value),
                            None => env.remove(item),
                        },
                    };
                }
            }
            _ => {}
        }
        Ok(env)
    }
}

/// A scalar as text: strings as they are, numbers and booleans printed.
pub fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The `env_file` entries of a merged service: paths (already made relative to the folder
/// they were written for) and whether each is required.
fn env_files(service: &Mapping) -> Vec<(PathBuf, bool)> {
    let Some(Value::Sequence(entries)) = service.get("env_file") else { return Vec::new() };
    entries
        .iter()
        .filter_map(|entry| {
            let path = entry.get("path")?.as_str()?;
            let required = entry.get("required").and_then(Value::as_bool).unwrap_or(true);
            Some((PathBuf::from(path), required))
        })
        .collect()
}

/// `path` made absolute without touching the file system more than needed (the file may not
/// exist yet): the folder is resolved, the name kept.
fn absolute(path: &Path) -> PathBuf {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
    folder.join(path.file_name().unwrap_or_default())
}

/// A compose file being read: where it is, the folder its relative paths resolve from, the
/// variables it is interpolated with, and how deep in `extends` and `include` it stands.
#[derive(Clone, Copy)]
struct Reading<'a> {
    path: &'a Path,
    dir: &'a Path,
    env: &'a Environment,
    depth: usize,
}

/// Reads compose files one at a time, as Compose does before it merges them: anchors, merge
/// keys, interpolation, `env_file` paths, `extends` and `include`.
#[derive(Default)]
struct Loader {
    /// Every file read, by path, for locating keys.
    sources: HashMap<PathBuf, SourceFile>,
    /// The files being read, outermost first: one of them again is an include cycle.
    open: Vec<PathBuf>,
}

impl Loader {
    /// One file, with relative paths resolved from `dir`.
    fn load(&mut self, file: Reading) -> Result<Value, InputError> {
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
        crate::model::load::check_yaml_bounds(&name, &text)?;
        let mut value: Value =
            serde_yaml::from_str(&text).map_err(|e| crate::model::load::yaml_syntax_error(&name, &e))?;
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
            // A set, not a scan per item: two long lists merge in linear time.
            let mut seen: std::collections::HashSet<Value> = into.iter().cloned().collect();
            for item in from {
                if seen.insert(item.clone()) {
                    into.push(item);
                }
            }
            Value::Sequence(into)
        }
        (_, over) => strip_tags(over),
    };
}

/// A value as it lands in the merged model: tags (`!reset []` in a first file) removed, in
/// place (most values have none, and rebuilding them would copy the whole file).
fn strip_tags(mut value: Value) -> Value {
    strip_tags_in_place(&mut value);
    value
}

fn strip_tags_in_place(value: &mut Value) {
    match value {
        Value::Tagged(tagged) if tag_is(tagged, "reset") => *value = Value::Null,
        Value::Tagged(tagged) => {
            let inner = std::mem::take(&mut tagged.value);
            *value = strip_tags(inner);
        }
        Value::Mapping(mapping) => mapping.values_mut().for_each(strip_tags_in_place),
        Value::Sequence(items) => items.iter_mut().for_each(strip_tags_in_place),
        _ => {}
    }
}
