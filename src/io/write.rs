//! Writing files without losing what was there: refuse to replace unless asked, write a
//! temporary file beside the target and rename it over, keep the previous file as `.bak`.

use crate::io::error::InputError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The first line of every file flowcap writes: such files may be replaced without `--force`.
pub const WRITTEN_BY: &str = "# Written by flowcap";

/// Whether the file at `path` starts with [`WRITTEN_BY`].
fn written_by_flowcap(path: &Path) -> bool {
    let mut start = [0u8; WRITTEN_BY.len()];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut start)).is_ok() && start == WRITTEN_BY.as_bytes()
}

/// Whether `path` may be written: it does not exist, or flowcap wrote it, or `force`. Check
/// every file of a set before writing any, so a refusal leaves nothing half done.
pub fn ensure_replaceable(path: &Path, force: bool) -> Result<(), InputError> {
    let fail = |message: &str| Err(InputError::new(path.display().to_string(), message));
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fail("is a directory, expected a file to write"),
        Ok(_) if !force && !written_by_flowcap(path) => {
            fail("exists and was not written by flowcap; pass --force to replace it (the old file is kept as .bak)")
        }
        _ => Ok(()),
    }
}

/// Writes `contents` to `path`. An existing file that flowcap did not write is replaced only
/// with `force`; a replaced file is kept as `path.bak`. On any failure (read-only folder, full
/// disk) the old file is untouched.
pub fn write_file_safely(path: &Path, contents: &str, force: bool) -> Result<(), InputError> {
    ensure_replaceable(path, force)?;
    let name = path.display().to_string();
    let fail = |message: String| InputError::new(&name, message);
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| fail("is not a file name".into()))?.to_string_lossy().into_owned();
    let temporary = folder.join(format!(".{file_name}.flowcap-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(format!("cannot write: {error}")));
    }
    if path.exists() {
        let backup = folder.join(format!("{file_name}.bak"));
        if let Err(error) = std::fs::copy(path, &backup) {
            let _ = std::fs::remove_file(&temporary);
            return Err(fail(format!("cannot keep the old file as {}: {error}", backup.display())));
        }
    }
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        fail(format!("cannot write: {error}"))
    })
}

/// Writes a set of files, checking first that every one may be written, so a refusal leaves
/// nothing half done. Returns the paths written.
pub fn write_all_safely(files: &[(PathBuf, String)], force: bool) -> Result<Vec<PathBuf>, InputError> {
    for (path, _) in files {
        ensure_replaceable(path, force)?;
    }
    for (path, contents) in files {
        write_file_safely(path, contents, force)?;
    }
    Ok(files.iter().map(|(path, _)| path.clone()).collect())
}
