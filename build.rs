//! Which of the real tools the tests are judged by are missing here: each becomes
//! `--cfg missing="TOOL"`, and a test that needs one is `#[cfg_attr(missing = "TOOL", ignore =
//! "needs TOOL")]`, so the summary shows what did not run. Under `CI` nothing is missing: such a
//! test runs and fails without its tool (`.ci/run` installs them all). flowcap itself needs none
//! of them: the cfg only ever appears in tests.

use std::path::Path;
use std::process::{Command, Stdio};

/// The tools the tests use, each with the arguments that make it print its version.
const TOOLS: &[(&str, &[&str])] = &[
    ("bash", &["--version"]),
    ("check-jsonschema", &["--version"]),
    ("docker-compose-v2", &["version"]),
    ("groff", &["--version"]),
    ("helm", &["version"]),
    ("kubernetes-validate", &["--version"]),
    ("node", &["--version"]),
    ("openssl", &["version"]),
    ("podman-compose", &["-m", "podman_compose", "--dry-run", "version"]),
    ("prometheus", &["--version"]),
    ("promtool", &["--version"]),
    ("redis-server", &["--version"]),
    ("tmux", &["-V"]),
];

/// What else a test may need: the shared fixtures beside the project, PostgreSQL's server
/// binaries (Debian keeps them off the PATH), and root (to hand a file to another user, to mount).
const OTHERS: &[&str] = &["shared-fixtures", "postgres", "root"];

fn runs(program: &str, args: &[&str]) -> bool {
    // podman-compose is a Python module: asked for through the interpreter, as the tests run it.
    let (program, args) = if program == "podman-compose" { ("python3", args) } else { (program, args) };
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn postgres() -> bool {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|version| version.path().join("bin/initdb").exists());
    installed || runs("initdb", &["--version"])
}

fn root() -> bool {
    runs("sh", &["-c", "test \"$(id -u)\" = 0"])
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let names: Vec<String> =
        TOOLS.iter().map(|(name, _)| *name).chain(OTHERS.iter().copied()).map(|n| format!("\"{n}\"")).collect();
    println!("cargo::rustc-check-cfg=cfg(missing, values({}))", names.join(", "));
    if std::env::var_os("CI").is_some() {
        return;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    let present = [("shared-fixtures", shared.is_dir()), ("postgres", postgres()), ("root", root())];
    // Asked all at once: the Python tools take a while to start, and this runs on every build
    // of the crate (release builds too).
    let tools: Vec<(&str, bool)> = std::thread::scope(|scope| {
        let asked: Vec<_> = TOOLS.iter().map(|(name, args)| (*name, scope.spawn(move || runs(name, args)))).collect();
        asked.into_iter().map(|(name, answer)| (name, answer.join().unwrap_or(false))).collect()
    });
    for (name, found) in tools.into_iter().chain(present) {
        if !found {
            println!("cargo::rustc-cfg=missing=\"{name}\"");
        }
    }
}
