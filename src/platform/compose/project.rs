//! A Compose project as Compose sees it: the files found or given, each read by the
//! [`super::loader`] (anchors, interpolation, `extends`, `include`, `env_file` paths), merged in
//! order by Compose's rules ([`super::merge`]), and the services the active profiles select,
//! with where each key was set.

use super::env::{Environment, parse_dotenv};
use super::loader::{Loader, Reading, SourceFile};
use super::merge::merge;
use crate::io::error::InputError;
use crate::io::yaml::{Mapping, Value};
use crate::model::load::read_text_file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file names Compose looks for, in its order of preference.
pub const DEFAULT_FILES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

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
            if !crate::model::validate::is_service_name(name) {
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
