//! Writing files without losing what was there: refuse to replace unless asked, write a
//! temporary file beside the target and rename it over, keep the previous file as `.bak`.

use crate::io::error::InputError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The first line of every file flowcap writes: such files may be replaced without `--force`.
pub const WRITTEN_BY: &str = "# Written by flowcap";
/// The same mark as a roff comment, for the manual pages `flowcap man --dir` writes.
pub const ROFF_WRITTEN_BY: &str = ".\\\" Written by flowcap";

/// Whether `a` and `b` name the same existing file (through links and `..`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether the file at `path` starts with [`WRITTEN_BY`] (or [`ROFF_WRITTEN_BY`]).
pub fn written_by_flowcap(path: &Path) -> bool {
    let mut start = [0u8; 32];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut start)).unwrap_or(0);
    [WRITTEN_BY, ROFF_WRITTEN_BY].iter().any(|mark| start[..read].starts_with(mark.as_bytes()))
}

/// Why replacing the file at `path` needs the operator's explicit consent (`--force`, or the
/// planner's `F`): it is a symbolic link, read-only, or a file flowcap did not write. `None`
/// when it does not exist or flowcap wrote it.
pub fn needs_force(path: &Path) -> Option<&'static str> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Some("is a symbolic link"),
        Ok(meta) if meta.is_file() && meta.permissions().readonly() => Some("is read-only"),
        Ok(meta) if meta.is_file() && !written_by_flowcap(path) => Some("exists and was not written by flowcap"),
        _ => None,
    }
}

/// Whether `path` may be written: it does not exist, or flowcap wrote it, or `force`. Check
/// every file of a set before writing any, so a refusal leaves nothing half done.
pub fn ensure_replaceable(path: &Path, force: bool) -> Result<(), InputError> {
    let fail = |message: String| Err(InputError::unwritable(path.display().to_string(), message));
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fail("is a directory, expected a file to write".into()),
        Ok(meta) if !meta.file_type().is_symlink() && !meta.is_file() => {
            fail("is not a regular file (a FIFO, a socket or a device): flowcap writes only files".into())
        }
        _ => match needs_force(path).filter(|_| !force) {
            Some(why) => fail(format!("{why}; pass --force to replace it (the old file is kept as .bak)")),
            None => Ok(()),
        },
    }
}

/// Writes `contents` to `path`, as [`write_all_safely`] does for a set.
pub fn write_file_safely(path: &Path, contents: &str, force: bool) -> Result<(), InputError> {
    write_all_safely(&[(path.to_path_buf(), contents.to_string())], force).map(|_| ())
}

/// Writes a set of files all or nothing. Every file is checked first ([`ensure_replaceable`]),
/// then written to a temporary file beside its target (with the mode of the file it replaces),
/// so a read-only folder or a full disk fails before anything is replaced; the old files are
/// kept as `.bak`, then each temporary file is renamed over its target. Should a rename fail,
/// the files already replaced are put back. Returns the paths written.
pub fn write_all_safely(files: &[(PathBuf, String)], force: bool) -> Result<Vec<PathBuf>, InputError> {
    for (index, (path, _)) in files.iter().enumerate() {
        // Two outputs at one path would leave only the last (`-o X --save-plan X`).
        let earlier = &files[..index];
        if earlier.iter().any(|(other, _)| other == path || same_file(other, path)) {
            return Err(InputError::conflict(path.display().to_string(), "is named for two outputs; name two files"));
        }
        ensure_replaceable(path, force)?;
    }
    let fail = |path: &Path, message: String| InputError::unwritable(path.display().to_string(), message);
    let mut staged = Vec::new();
    for (path, contents) in files {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = folder.filter(|f| !f.is_dir()) {
            return Err(fail(path, format!("cannot write: there is no folder {}", folder.display())));
        }
        // The reason in words, without the temporary file's name the operator never asked for.
        let temporary = stage(path, contents).map_err(|error| {
            let into = folder.unwrap_or(Path::new("."));
            let mut reason = error.to_string();
            if let Some(at) = reason.find(" at path ") {
                reason.truncate(at);
            }
            fail(path, format!("cannot write into {}: {reason}", into.display()))
        })?;
        staged.push((path, temporary));
    }
    let mut backups = Vec::new();
    for (path, _) in &staged {
        let backup = if path.exists() {
            let backup = backup_for(path).map_err(|error| fail(path, format!("cannot keep the old file: {error}")))?;
            keep_as_backup(path, &backup)
                .map_err(|error| fail(path, format!("cannot keep the old file as {}: {error}", backup.display())))?;
            Some(backup)
        } else {
            None
        };
        backups.push(backup);
    }
    let mut replaced: Vec<(&PathBuf, &Option<PathBuf>)> = Vec::new();
    for ((path, temporary), backup) in staged.into_iter().zip(&backups) {
        if let Err(error) = temporary.persist(path) {
            for (done, backup) in replaced.into_iter().rev() {
                let _ = match backup {
                    Some(backup) => std::fs::copy(backup, done).map(|_| ()),
                    None => std::fs::remove_file(done),
                };
            }
            return Err(fail(path, format!("cannot write: {}", error.error)));
        }
        replaced.push((path, backup));
    }
    // The renames are durable once their folders are synced: only then is "wrote" true.
    for (path, _) in files {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| fail(path, format!("cannot sync its folder: {error}")))?;
    }
    Ok(files.iter().map(|(path, _)| path.clone()).collect())
}

/// `contents` in a synced temporary file in `path`'s folder, with the mode of the file at
/// `path` when there is one.
fn stage(path: &Path, contents: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    // A new file gets the usual 0666 less the umask, not a temporary file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temporary = builder.prefix(".flowcap-").suffix(".tmp").tempfile_in(folder)?;
    temporary.write_all(contents.as_bytes())?;
    if let Ok(existing) = std::fs::metadata(path) {
        keep_owner(temporary.as_file(), &existing);
        temporary.as_file().set_permissions(existing.permissions())?;
    }
    temporary.as_file().sync_all()?;
    Ok(temporary)
}

/// Gives `file` the owner and group of the file it replaces, as far as this user may: root
/// keeps both (an export run with sudo leaves the operator's file theirs), others keep the
/// group when they belong to it. Changing owner before mode matters: a chown clears set-id bits.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, existing: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::fchown(file, Some(existing.uid()), Some(existing.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(file, None, Some(existing.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &std::fs::File, _existing: &std::fs::Metadata) {}

/// Retires files flowcap wrote that a new file set no longer uses: each is kept as `.bak` and
/// removed, so nothing stale is left beside what was written and nothing is lost.
pub fn retire(paths: &[PathBuf]) -> Result<(), InputError> {
    for path in paths {
        let fail = |error: std::io::Error| {
            InputError::unwritable(path.display().to_string(), format!("cannot retire: {error}"))
        };
        keep_as_backup(path, &backup_for(path)?).map_err(fail)?;
        std::fs::remove_file(path).map_err(fail)?;
    }
    Ok(())
}

/// Copies `path` to `backup`, never through a link planted at `backup`: whatever is there is
/// removed first and the copy is created new.
fn keep_as_backup(path: &Path, backup: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(backup) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut from = std::fs::File::open(path)?;
    let mut to = std::fs::OpenOptions::new().write(true).create_new(true).open(backup)?;
    std::io::copy(&mut from, &mut to)?;
    to.set_permissions(from.metadata()?.permissions())?;
    to.sync_all()
}

/// Where the file at `path` is kept before it is replaced: `NAME.bak`, unless that holds
/// something flowcap did not write (the operator's own file, kept there when it was first
/// replaced with `--force`), which is never replaced: then the first `NAME.bak.N` that is free
/// or flowcap's.
fn backup_for(path: &Path) -> Result<PathBuf, InputError> {
    let name = path.file_name().unwrap_or_default().to_os_string();
    let candidate = |n: usize| {
        let mut backup = name.clone();
        backup.push(if n == 0 { ".bak".to_string() } else { format!(".bak.{n}") });
        path.with_file_name(backup)
    };
    let free_or_flowcaps = |backup: &Path| match std::fs::symlink_metadata(backup) {
        Err(error) => error.kind() == std::io::ErrorKind::NotFound,
        Ok(meta) => meta.is_file() && written_by_flowcap(backup),
    };
    (0..MAX_BACKUPS).map(candidate).find(|backup| free_or_flowcaps(backup)).ok_or_else(|| {
        InputError::unwritable(
            path.display().to_string(),
            format!("{MAX_BACKUPS} backups of files flowcap did not write are beside it: move some away"),
        )
    })
}

/// How many `.bak` files of other people's content flowcap keeps beside one file.
const MAX_BACKUPS: usize = 100;
