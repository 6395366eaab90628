//! Every command the documentation shows runs as shown: each line of each `sh` block, file by
//! file and in order, with this build of flowcap first on PATH and a Prometheus with data on the
//! monitoring profile's port 9091. The README and then the guide run in one folder set up as
//! their reader has it (Flow-Like's compose file and a `.env`, the examples, Flow-Like's Helm
//! chart with values): the guide goes on where the README's walkthrough stops (its
//! `flowcap.yaml`). The reference's rule examples and the other files' commands run from the
//! repository's root, as they say: a second folder with `examples/` and `docs/examples/` and no
//! compose file (one there would hold every plan against it). A `text` block right after a `sh`
//! block is output the file promises: each of its lines (but `…`) must be a line of what that
//! block printed.
//!
//! What is not run as written, and why: `cargo` lines build flowcap itself; `docker compose …
//! up -d` needs a Docker daemon, so Compose v2 checks the same files and profile with `config
//! --quiet`; `helm upgrade --install` needs a cluster, so `helm template` renders the same chart
//! and values.

use crate::common::{copy_tree, tempdir};
use std::path::Path;
use std::process::Command;

/// Where a file's commands run: the reader's folder, or a copy of the repository's root.
#[derive(Clone, Copy, PartialEq)]
enum Folder {
    Reader,
    Repository,
}

/// The files whose commands run, in the order their reader follows them; every `docs/*.md` must
/// be one of them.
const FILES: [(&str, Folder); 6] = [
    ("README.md", Folder::Reader),
    ("docs/guide.md", Folder::Reader),
    ("docs/reference.md", Folder::Repository),
    ("docs/design.md", Folder::Repository),
    ("docs/benchmarks.md", Folder::Repository),
    ("CONTRIBUTING.md", Folder::Repository),
];

/// A code block of a Markdown file: its language and lines.
struct Block {
    language: String,
    lines: Vec<String>,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        match (line.strip_prefix("```"), open.take()) {
            (Some(language), None) => open = Some(Block { language: language.trim().into(), lines: Vec::new() }),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some(mut block)) => {
                block.lines.push(line.to_string());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The command of a line of a `sh` block: without its trailing `  # comment`.
fn command(line: &str) -> Option<String> {
    let command = match line.find("  #") {
        Some(at) => &line[..at],
        None => line,
    };
    let command = command.trim();
    (!command.is_empty() && !command.starts_with('#')).then(|| command.to_string())
}

/// The folder the documentation's reader works in.
fn reader_folder(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = crate::common::shared_fixtures();
    std::fs::copy(shared.join("flow-like/docker-compose.yml"), dir.join("docker-compose.yml")).unwrap();
    std::fs::write(dir.join(".env"), "POSTGRES_PASSWORD=change-me\n").unwrap();
    copy_tree(&root.join("examples"), &dir.join("examples"));
    copy_tree(&shared.join("flow-like-helm"), &dir.join("helm"));
    std::fs::copy(root.join("tests/fixtures/helm/operator-values.yaml"), dir.join("values.yaml")).unwrap();
    std::fs::copy(shared.join("flow-like-helm/values-secrets.yaml.example"), dir.join("values-secrets.yaml")).unwrap();
    for folder in ["home/.local/share/bash-completion/completions", "home/.local/share/man/man1"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
}

/// The repository's root as the commands run from it see it: the plans, no compose file.
fn repository_folder(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("examples"), &dir.join("examples"));
    copy_tree(&root.join("docs/examples"), &dir.join("docs/examples"));
    std::fs::create_dir_all(dir.join("home")).unwrap();
}

#[test]
fn every_doc_file_has_its_commands_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = path.strip_prefix(root).unwrap().display().to_string();
            assert!(FILES.iter().any(|(file, _)| *file == name), "{name} is not in FILES: its commands would not run");
        }
    }
}

#[test]
#[cfg_attr(
    any(
        missing = "prometheus",
        missing = "promtool",
        missing = "docker-compose-v2",
        missing = "helm",
        missing = "shared-fixtures"
    ),
    ignore = "needs prometheus, promtool, docker-compose-v2, helm and ../shared/fixtures"
)]
fn every_documented_command_runs_as_shown() {
    let (reader, repository) = (tempdir("readme"), tempdir("readme-repository"));
    reader_folder(&reader);
    repository_folder(&repository);
    // Flow-Like's monitoring profile publishes Prometheus on 9091: the README's URL.
    let data = tempdir("readme-prometheus");
    let _prometheus =
        crate::common::prometheus::prometheus_serving(&data, crate::common::prometheus::data_end(), None, Some(9091));
    crate::common::require("docker-compose-v2");
    crate::common::require("helm");
    let path = crate::common::path_with_flowcap();
    let mut ran = 0;
    for (file, folder) in FILES {
        let markdown = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let dir = if folder == Folder::Reader { &reader } else { &repository };
        let commands = run_file(file, &blocks(&markdown), dir, &path);
        // The README's walkthrough, the guide and the rules' examples are most of what is shown.
        assert!(
            commands >= 10 || !["README.md", "docs/guide.md", "docs/reference.md"].contains(&file),
            "{file}: ran {commands}"
        );
        ran += commands;
    }
    assert!(ran >= 60, "ran {ran} documented commands");
}

/// Runs the `sh` blocks of one file in `dir` and checks the `text` block after each; returns how
/// many commands ran.
fn run_file(file: &str, blocks: &[Block], dir: &Path, path: &str) -> usize {
    let mut ran = 0;
    for (index, block) in blocks.iter().enumerate().filter(|(_, b)| b.language == "sh") {
        let mut printed = String::new();
        for line in block.lines.iter().filter_map(|l| command(l)) {
            let run = if line.starts_with("cargo ") {
                continue;
            } else if let Some(rest) = line.strip_prefix("docker compose ") {
                format!("docker-compose-v2 {}", rest.replace(" up -d", " config --quiet"))
            } else if let Some(rest) = line.strip_prefix("helm upgrade --install ") {
                format!("helm template {rest}")
            } else {
                let known = ["flowcap ", "printf ", "mkdir "];
                assert!(line == "flowcap" || known.iter().any(|p| line.starts_with(p)), "{line}");
                line.clone()
            };
            let output = Command::new("bash")
                .current_dir(dir)
                .env("PATH", path)
                .env("HOME", dir.join("home"))
                .env_remove("NO_COLOR")
                .env_remove("COMPOSE_PROFILES")
                .args(["-c", &run])
                .output()
                .unwrap();
            let code = output.status.code();
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            // A check may find what it is shown to find; nothing may be bad input or crash.
            let allowed: &[i32] =
                if line.contains("--check") || line.starts_with("flowcap solve") { &[0, 1] } else { &[0] };
            assert!(
                code.is_some_and(|c| allowed.contains(&c)),
                "{file}: `{line}` exited {code:?}:\n{stdout}\n{stderr}"
            );
            printed.push_str(&stdout);
            printed.push_str(&stderr);
            ran += 1;
        }
        if let Some(shown) = blocks.get(index + 1).filter(|b| b.language == "text") {
            let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
            for line in shown.lines.iter().filter(|l| l.as_str() != "…") {
                assert!(
                    printed.contains(&line.trim_end()),
                    "{file} shows\n{line}\nbut the commands printed:\n{}",
                    printed.join("\n")
                );
            }
        }
    }
    ran
}
