//! The canary: one secret planted in every place a secret lives (`.env`, an `env_file`, the
//! shell environment, a compose `environment`, `command` and `DATABASE_URL`), and malformed
//! lines of each kind; every command and every `--format`, on success and error paths, and
//! every file written. The canary may appear nowhere.
//!
//! One deliberate exception, not planted here: the words of the operator's own Postgres
//! `command` are copied into the override as written (a `${VAR}` stays a reference), so a
//! literal the operator typed there is in the override as it is in their compose file.

use crate::common::{flowcap, tempdir};
use std::path::Path;

const CANARY: &str = "CANARY-7f3a9c";

/// A stack with the canary in every secret place; its figures are fine.
fn stack(dir: &Path) {
    let compose = format!(
        "services:\n  postgres:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${{POSTGRES_PASSWORD}}\n    \
         command: postgres -c max_connections=150 -c \"primary_conninfo=password=${{POSTGRES_PASSWORD}}\"\n  \
         api:\n    image: api\n    ports: [\"8080:8080\"]\n    env_file: api.env\n    environment:\n      \
         DATABASE_URL: postgresql://flowlike:${{POSTGRES_PASSWORD}}@postgres:5432/flowlike\n      BACKEND_KEY: {CANARY}-inline\n  \
         runtime:\n    image: runtime\n    environment:\n      API_TOKEN: ${{SHELL_SECRET}}\n"
    );
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join(".env"), format!("POSTGRES_PASSWORD={CANARY}-dotenv\n")).unwrap();
    std::fs::write(dir.join("api.env"), format!("BACKEND_PUB={CANARY}-envfile\n")).unwrap();
}

/// Runs flowcap in `dir` with the canary in the shell too; returns stdout + stderr.
fn run(dir: &Path, args: &[&str]) -> String {
    let output = flowcap().current_dir(dir).env("SHELL_SECRET", format!("{CANARY}-shell")).args(args).output().unwrap();
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} leaks the canary:\n{text}");
}

#[test]
fn success_paths_and_written_files() {
    let dir = tempdir("canary");
    stack(&dir);
    for format in ["human", "json", "sarif", "junit", "github"] {
        assert_clean(format, &run(&dir, &["--check", "--format", format]));
        assert_clean(format, &run(&dir, &["--check", "--preset", "medium", "-f", "compose.yaml", "--format", format]));
    }
    assert_clean("explain", &run(&dir, &["explain"]));
    assert_clean("diff", &run(&dir, &["diff", "--preset", "large", "-f", "compose.yaml"]));
    assert_clean("solve", &run(&dir, &["solve", "--preset", "medium"]));
    let export = run(&dir, &["export", "--preset", "large", "--pgtune", "-o", "o.yml", "--save-plan", "plan.yaml"]);
    assert!(export.contains("apply with:"), "{export}");
    assert_clean("export", &export);
    assert_clean("init", &run(&dir, &["init", "-o", "plan-init.yaml"]));
    assert!(dir.join("plan-init.yaml").is_file());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let written = path.file_name().unwrap().to_string_lossy().starts_with(['o', 'p']);
        if written {
            assert_clean(&path.display().to_string(), &std::fs::read_to_string(&path).unwrap());
        }
    }
    // The operator's own command words are kept, as written: a reference, not the value.
    let written = std::fs::read_to_string(dir.join("o.yml")).unwrap();
    assert!(written.contains("primary_conninfo=password=${POSTGRES_PASSWORD}"), "{written}");
}

#[test]
fn error_paths() {
    let secret_in = |name: &str, file: &str, text: &str, args: &[&str]| {
        let dir = tempdir(&format!("canary-{name}"));
        stack(&dir);
        std::fs::write(dir.join(file), text).unwrap();
        let output = run(&dir, args);
        assert!(output.contains("error:"), "{name}: expected an error:\n{output}");
        assert_clean(name, &output);
    };
    let check = ["--check"];
    // A .env passed as the plan.
    secret_in("dotenv-as-plan", ".env", &format!("POSTGRES_PASSWORD={CANARY}\n"), &["--check", ".env"]);
    // Malformed .env lines: no `=`, an unclosed quote, an unquoted PEM key, a bad interpolation.
    secret_in("no-equals", ".env", &format!("POSTGRES_PASSWORD:{CANARY}\n"), &check);
    secret_in("unclosed", ".env", &format!("POSTGRES_PASSWORD=\"{CANARY}\n"), &check);
    let pem = format!(
        "KEY=-----BEGIN PRIVATE KEY-----\n{CANARY}MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    );
    secret_in("pem", ".env", &pem, &check);
    secret_in("interpolation", ".env", &format!("POSTGRES_PASSWORD=pre${{{CANARY}\n"), &check);
    secret_in("env-file", "api.env", &format!("BACKEND_PUB {CANARY}\n"), &check);
    // Figures that come from a secret are refused without repeating it.
    for (name, key) in [
        ("replicas", "    deploy:\n      replicas: ${POSTGRES_PASSWORD}\n"),
        ("cpus", "    deploy:\n      resources:\n        limits:\n          cpus: ${POSTGRES_PASSWORD}\n"),
        ("memory", "    deploy:\n      resources:\n        limits:\n          memory: ${POSTGRES_PASSWORD}\n"),
        ("shm", "    shm_size: ${POSTGRES_PASSWORD}\n"),
        ("ports", "    ports: [\"${POSTGRES_PASSWORD}\"]\n"),
        ("slots", "    environment:\n      MAX_CONCURRENT_EXECUTIONS: ${POSTGRES_PASSWORD}\n"),
    ] {
        let compose = format!("services:\n  runtime:\n    image: r\n{key}");
        secret_in(name, "compose.yaml", &compose, &check);
    }
    // A required variable's message that names another variable.
    let required = "services:\n  runtime:\n    image: r\n    environment:\n      X: ${UNSET_X:?${POSTGRES_PASSWORD}}\n";
    secret_in("required-message", "compose.yaml", required, &check);
    let command = "services:\n  runtime:\n    image: r\n  postgres:\n    image: p\n    command: postgres -c max_connections=${POSTGRES_PASSWORD}\n";
    secret_in("max-connections", "compose.yaml", command, &check);
    let command = "services:\n  runtime:\n    image: r\n  postgres:\n    image: p\n    command: ${POSTGRES_PASSWORD} -c max_connections=1\n";
    secret_in("command-word", "compose.yaml", command, &check);
}

/// Helm values: the chart's secrets file (JWT keys, storage keys, a database URL) beside the
/// operator's values, through every Kubernetes command and format, good and broken.
#[test]
fn helm_values_secrets_never_leave() {
    let dir = tempdir("canary-helm");
    let secrets = format!(
        "jwt:\n  backendKey: {CANARY}-jwt\n  backendPub: {CANARY}-pub\nstorage:\n  azure:\n    accountKey: {CANARY}-storage\n\
         database:\n  type: external\n  external:\n    connectionString: postgresql://u:{CANARY}-db@db/flowlike\n"
    );
    std::fs::write(dir.join("secrets.yaml"), secrets).unwrap();
    std::fs::write(
        dir.join("broken.yaml"),
        format!("api:\n  replicaCount: {CANARY}-count\n  resources: {{ limits: {{ memory: {CANARY}-m }} }}\n"),
    )
    .unwrap();
    let nodes = ["--nodes", "3", "--node-cpus", "16", "--node-memory", "64Gi"];
    for values in ["secrets.yaml", "broken.yaml"] {
        for format in ["human", "json", "sarif", "junit", "github"] {
            let mut args = vec!["--check", "--helm-values", values, "--format", format];
            args.extend(nodes);
            assert_clean(format, &run(&dir, &args));
            assert_clean(
                format,
                &run(&dir, &["--check", "--preset", "kubernetes-large", "--helm-values", values, "--format", format]),
            );
        }
        assert_clean("diff", &run(&dir, &["diff", "--preset", "kubernetes-large", "--helm-values", values]));
        assert_clean("explain", &run(&dir, &["explain", "--preset", "kubernetes-large", "--helm-values", values]));
        let export = run(
            &dir,
            &[
                "export",
                "--helm",
                "--preset",
                "kubernetes-large",
                "--helm-values",
                values,
                "-o",
                "out.yaml",
                "--save-plan",
                "plan-out.yaml",
            ],
        );
        assert_clean("export", &export);
    }
    for written in ["out.yaml", "plan-out.yaml"] {
        assert_clean(written, &std::fs::read_to_string(dir.join(written)).unwrap());
    }
}
