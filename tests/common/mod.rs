//! Helpers the command-line tests share.

use assert_cmd::Command;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The built binary.
pub fn flowcap() -> Command {
    Command::cargo_bin("flowcap").unwrap()
}

/// A fresh, empty folder, unique to this call: tests run in parallel.
pub fn tempdir(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("flowcap-{name}-{}-{unique}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
