//! A compose deployment as every command reads it (`inputs::resolve`): a compose file, a
//! `.env` and an override, given as one input split at NUL bytes. Bad input must be an error,
//! never a panic or a hang.
#![no_main]

use flowcap::inputs::{Request, resolve};
use flowcap::platform::compose::Environment;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn folder() -> &'static tempfile::TempDir {
    static FOLDER: OnceLock<tempfile::TempDir> = OnceLock::new();
    FOLDER.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |byte| *byte == 0);
    let dir = folder().path();
    let files = ["compose.yaml", ".env", "compose.override.yaml"];
    for name in files {
        std::fs::write(dir.join(name), parts.next().unwrap_or_default()).expect("a writable folder");
    }
    let request = Request {
        compose_files: vec![dir.join(files[0]), dir.join(files[2])],
        env_file: Some(dir.join(files[1])),
        ..Request::default()
    };
    let _ = resolve(&request, Environment::from_pairs([("HOME", "/home/op")]));
});
