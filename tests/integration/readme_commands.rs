//! Every command the README shows runs as shown: each line of each `sh` block, in order, in one
//! folder set up as the README's reader has it (Flow-Like's compose file and a `.env`, the
//! examples, Flow-Like's Helm chart with values, a Prometheus with data on the monitoring
//! profile's port 9091), with this build of flowcap first on PATH. A `text` block right after a
//! `sh` block is output the README promises: each of its lines (but `…`) must be a line of what
//! that block printed.
//!
//! What is not run as written, and why: `cargo` lines build flowcap itself; `docker compose …
//! up -d` needs a Docker daemon, so Compose v2 checks the same files and profile with `config
//! --quiet`; `helm upgrade --install` needs a cluster, so `helm template` renders the same chart
//! and values.

use crate::common::{copy_tree, tempdir};
use std::path::Path;
use std::process::Command;

const README: &str = include_str!("../../README.md");

/// A code block of the README: its language and lines.
struct Block {
    language: String,
    lines: Vec<String>,
}

fn blocks() -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in README.lines() {
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

/// The command of a README line: without its trailing `  # comment`.
fn command(line: &str) -> Option<String> {
    let command = match line.find("  #") {
        Some(at) => &line[..at],
        None => line,
    };
    let command = command.trim();
    (!command.is_empty() && !command.starts_with('#')).then(|| command.to_string())
}

/// The folder the README's reader works in.
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
fn every_readme_command_runs_as_shown() {
    let dir = tempdir("readme");
    reader_folder(&dir);
    // Flow-Like's monitoring profile publishes Prometheus on 9091: the README's URL.
    let data = tempdir("readme-prometheus");
    let _prometheus =
        crate::common::prometheus::prometheus_serving(&data, crate::common::prometheus::data_end(), None, Some(9091));
    crate::common::require("docker-compose-v2");
    crate::common::require("helm");
    let path = crate::common::path_with_flowcap();
    let blocks = blocks();
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
                .current_dir(&dir)
                .env("PATH", &path)
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
            assert!(code.is_some_and(|c| allowed.contains(&c)), "`{line}` exited {code:?}:\n{stdout}\n{stderr}");
            printed.push_str(&stdout);
            printed.push_str(&stderr);
            ran += 1;
        }
        if let Some(shown) = blocks.get(index + 1).filter(|b| b.language == "text") {
            let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
            for line in shown.lines.iter().filter(|l| l.as_str() != "…") {
                assert!(
                    printed.contains(&line.trim_end()),
                    "the README shows\n{line}\nbut the commands printed:\n{}",
                    printed.join("\n")
                );
            }
        }
    }
    assert!(ran >= 30, "ran {ran} README commands");
}
