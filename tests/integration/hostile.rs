//! Input that would hang, grow without bound, or turn a write against the operator: each ends
//! at once with exit 2 and a clear message.

use crate::common::{flowcap, tempdir};
use predicates::prelude::*;
use std::path::Path;

fn medium_stack(dir: &Path) {
    let compose = "services:\n  runtime:\n    image: r\n  api:\n    image: a\n  postgres:\n    image: p\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
}

#[cfg(unix)]
fn fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_wherever_a_file_goes() {
    let dir = tempdir("fifo");
    medium_stack(&dir);
    fifo(&dir.join("pipe"));
    let refused = |args: &[&str]| {
        flowcap()
            .current_dir(&dir)
            .args(args)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("pipe: is not a regular file"));
    };
    refused(&["--check", "pipe"]);
    refused(&["--check", "-f", "pipe"]);
    refused(&["--check", "--env-file", "pipe"]);
    refused(&["export", "--preset", "medium", "-o", "pipe"]);
    refused(&["export", "--preset", "medium", "-o", "pipe", "--force"]);
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_fails() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("flowcap"))
        .args(["--check", "--preset", "medium", "--format", "sarif"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: cannot write the output"));
}

#[cfg(unix)]
#[test]
fn writes_never_follow_a_planted_link() {
    let dir = tempdir("links");
    medium_stack(&dir);
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    // An old flowcap file, with a link planted where its backup will go.
    std::fs::write(dir.join("o.yml"), "# Written by flowcap: an older export\n").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("o.yml.bak")).unwrap();
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).assert().success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n", "the link's target is untouched");
    // The link is not flowcap's to replace either: the backup goes beside it.
    assert!(std::fs::symlink_metadata(dir.join("o.yml.bak")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(dir.join("o.yml.bak.1")).unwrap(), "# Written by flowcap: an older export\n");

    // A link at the output itself, even to a flowcap file, is replaced only with --force.
    std::fs::write(dir.join("real.yml"), "# Written by flowcap: an older export\n").unwrap();
    std::os::unix::fs::symlink(dir.join("real.yml"), dir.join("link.yml")).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "link.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("link.yml: is a symbolic link; pass --force"));
    assert_eq!(std::fs::read_to_string(dir.join("real.yml")).unwrap(), "# Written by flowcap: an older export\n");
}

#[cfg(unix)]
#[test]
fn a_read_only_file_needs_force() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir("read-only");
    medium_stack(&dir);
    std::fs::write(dir.join("o.yml"), "# Written by flowcap: an older export\n").unwrap();
    std::fs::set_permissions(dir.join("o.yml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "o.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("o.yml: is read-only; pass --force"));
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml", "--force"]).assert().success();
    let mode = std::fs::metadata(dir.join("o.yml")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444, "replaced, and still read-only");
}

#[test]
fn interpolation_that_would_run_away_stops() {
    let dir = tempdir("runaway");
    medium_stack(&dir);
    // Each variable doubles the one before: 2^40 bytes without a bound.
    let mut env = format!("V0={}\n", "x".repeat(1024));
    for i in 1..40 {
        env.push_str(&format!("V{i}=${{V{}}}${{V{}}}\n", i - 1, i - 1));
    }
    std::fs::write(dir.join(".env"), env).unwrap();
    flowcap().current_dir(&dir).arg("--check").assert().code(2).stderr(predicate::str::contains("grows past 1 MiB"));
    // Defaults nested 30,000 deep.
    std::fs::write(dir.join(".env"), "").unwrap();
    let deep = format!("{}x{}", "${A:-".repeat(30_000), "}".repeat(30_000));
    std::fs::write(dir.join("compose.yaml"), format!("services:\n  runtime:\n    image: \"{deep}\"\n")).unwrap();
    flowcap().current_dir(&dir).arg("--check").assert().code(2).stderr(predicate::str::contains("nest deeper than 16"));
}

#[test]
fn yaml_that_would_explode_is_refused_before_it_is_parsed() {
    let dir = tempdir("yaml-bombs");
    // 4 MB behind an anchor, copied by 100 aliases: 400 MB.
    let mut bomb =
        format!("x-big: &big \"{}\"\nservices:\n  runtime:\n    image: r\n    labels:\n", "b".repeat(4 << 20));
    for i in 0..100 {
        bomb.push_str(&format!("      l{i}: *big\n"));
    }
    std::fs::write(dir.join("compose.yaml"), bomb).unwrap();
    flowcap()
        .current_dir(&dir)
        .arg("--check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("compose.yaml: YAML aliases would copy more than 64 MiB"));
    // 80,000 nested flow mappings.
    let deep = format!("api: {}{}\n", "{a: ".repeat(80_000), "}".repeat(80_000));
    std::fs::write(dir.join("plan.yaml"), deep).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plan.yaml: `[` and `{` nest deeper than 64 levels"));
}

#[test]
fn a_byte_order_mark_is_read_past() {
    let dir = tempdir("bom");
    std::fs::write(dir.join("plan.yaml"), "\u{feff}api:\n  replicas: 2\nruntime:\n  replicas: 3\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "--format", "json"])
        .assert()
        .stdout(predicate::str::contains("\"runtime_replicas\": 3"));
}

#[test]
fn an_export_never_writes_over_what_it_reads() {
    let dir = tempdir("inputs");
    medium_stack(&dir);
    std::fs::write(dir.join("plan.yaml"), "# Written by flowcap: a saved plan\nruntime:\n  replicas: 2\n").unwrap();
    std::fs::write(dir.join(".env"), "# Written by flowcap\nA=1\n").unwrap();
    for (args, message) in [
        (&["export", "plan.yaml", "-o", "plan.yaml", "--force"][..], "plan.yaml: is the plan this command reads"),
        (&["export", "plan.yaml", "-o", ".env", "--force"][..], ".env: is the variables file this command reads"),
        (
            &["export", "plan.yaml", "-o", "o.yml", "--save-plan", "compose.yaml", "--force"][..],
            "compose.yaml: is a compose file this command reads",
        ),
    ] {
        flowcap().current_dir(&dir).args(args).assert().code(2).stderr(predicate::str::contains(message));
    }
    assert!(std::fs::read_to_string(dir.join("plan.yaml")).unwrap().contains("replicas: 2"));
}

#[test]
fn inputs_that_should_not_pass() {
    let dir = tempdir("should-not-pass");
    // Nothing to check: no plan, no preset, no compose file.
    flowcap()
        .current_dir(&dir)
        .arg("--check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to check: give PLAN, --preset NAME or -f FILE"));
    // An empty plan, or one of comments only.
    for text in ["", "# just a comment\n\n"] {
        std::fs::write(dir.join("plan.yaml"), text).unwrap();
        flowcap()
            .current_dir(&dir)
            .args(["--check", "plan.yaml"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("plan.yaml: is empty"));
    }
    // A compose file that is there but cannot be read is an error, not the Development preset.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("nowhere.yaml"), dir.join("compose.yaml")).unwrap();
        flowcap()
            .current_dir(&dir)
            .arg("--check")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("compose.yaml: no such file"));
    }
}

#[test]
fn nothing_reaches_the_terminal_raw() {
    let dir = tempdir("raw");
    // A name that would retitle the terminal, ring its bell and reverse the text after it.
    std::fs::write(dir.join("plan.yaml"), "name: \"evil\\e]0;owned\\u0007 \\u202eredro\"\nruntime:\n  replicas: 2\n")
        .unwrap();
    for format in ["human", "github", "junit", "json", "sarif"] {
        let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml", "--format", format]).output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'), "{format}:\n{text}");
        match format {
            "junit" => {
                roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("JUnit is not XML: {e}\n{text}"));
            }
            "json" | "sarif" => {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(value.to_string().contains("\\u001b") || format == "sarif", "the name is kept, escaped");
            }
            "human" => assert!(text.contains("\\u001b]0;owned\\u0007"), "{format}:\n{text}"),
            _ => {}
        }
    }
    // An error that names such a key says it escaped too.
    std::fs::write(dir.join("plan.yaml"), "\"bad\\ekey\": 1\n").unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("bad\\u001bkey") && !stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn errors_people_can_act_on() {
    let dir = tempdir("errors");
    let error = |text: &str| {
        std::fs::write(dir.join("plan.yaml"), text).unwrap();
        let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        String::from_utf8(output.stderr).unwrap()
    };
    // A syntax error is one, not the first key serde happened to read.
    assert_eq!(error("a: b: c\n"), "error: plan.yaml:1:5: mapping values are not allowed in this context\n");
    // No Rust type names.
    let wrong = error("runtime: 5\n");
    assert!(!wrong.contains("struct") && wrong.contains("expected a mapping of its keys"), "{wrong}");
    // With --format json, the reason is on stdout too.
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["error"]["file"], "plan.yaml");
    assert_eq!((value["error"]["line"].as_u64(), value["error"]["column"].as_u64()), (Some(1), Some(10)));
    assert_eq!(value["error"]["kind"], "invalid");
    // Each kind of bad input says which it is, for tooling that will not parse the message.
    let kind = |args: &[&str]| {
        let output = flowcap().current_dir(&dir).args(args).args(["--format", "json"]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        value["error"]["kind"].as_str().unwrap().to_string()
    };
    std::fs::write(dir.join("plan.yaml"), "a: b: c\n").unwrap();
    assert_eq!(kind(&["--check", "plan.yaml"]), "syntax");
    assert_eq!(kind(&["--check", "missing.yaml"]), "unreadable");
    assert_eq!(kind(&["--check"]), "conflict");
}

#[test]
fn a_name_cannot_forge_lines_or_yaml() {
    let dir = tempdir("forge");
    // A plan name with a line break would start a GitHub annotation of its own in a CI log.
    std::fs::write(dir.join("plan.yaml"), "name: \"x\\n::error file=evil::PWNED\"\nruntime:\n  replicas: 2\n").unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.lines().any(|l| l.starts_with("::error")), "{stdout}");
    std::fs::write(dir.join("plan.yaml"), "\"k\\n::error::PWNED\": 1\n").unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.lines().any(|l| l.starts_with("::error")), "{stderr}");
    // A service name Compose would refuse never reaches an override (as new YAML, or a file name).
    let compose = "services:\n  runtime: { image: r }\n  \"api:\\n    privileged: true\\n  zz\": { image: a }\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "large", "-o", "o.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a name Compose accepts"));
    assert!(!dir.join("o.yml").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_is_no_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("flowcap"))
        .args(["--check", "no-such-plan.yaml"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "bad input, not a panic (101)");
}

#[test]
fn compose_edges_an_operator_meets() {
    let dir = tempdir("edges");
    medium_stack(&dir);
    // A .env value full of braces is a value, not YAML.
    std::fs::write(dir.join(".env"), format!("PW={}\n", "{".repeat(100))).unwrap();
    flowcap().current_dir(&dir).args(["--check", "--preset", "medium"]).assert().success();
    // An include cycle and a long extends chain are named as what they are.
    std::fs::write(dir.join(".env"), "").unwrap();
    std::fs::write(dir.join("a.yaml"), "include: [b.yaml]\nservices:\n  runtime: { image: r }\n").unwrap();
    std::fs::write(dir.join("b.yaml"), "include: [a.yaml]\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "a.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("includes itself (an include cycle)"));
    // An include whose path lists no file name is an error at its place, not a panic (the
    // compose fuzz target found it).
    for path in ["[]", "[{composme: x}]"] {
        std::fs::write(
            dir.join("empty.yaml"),
            format!("include:\n  - path: {path}\nservices:\n  runtime: {{ image: r }}\n"),
        )
        .unwrap();
        flowcap()
            .current_dir(&dir)
            .args(["--check", "-f", "empty.yaml"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("empty.yaml:1:1: include: `path:` names no file"));
    }
    // Listed from the far end, so resolving the runtime walks the whole chain at once.
    let mut chain = String::from("services:\n  runtime: { extends: s99 }\n");
    for i in (1..100).rev() {
        chain.push_str(&format!("  s{i}: {{ extends: s{} }}\n", i - 1));
    }
    chain.push_str("  s0: { image: x }\n");
    std::fs::write(dir.join("chain.yaml"), chain).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "chain.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the extends chain is longer than 32"));
    // A runtime that runs only under a profile says which.
    std::fs::write(dir.join("profiled.yaml"), "services:\n  runtime: { image: r, profiles: [workers] }\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "profiled.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("runs only with the profile workers (add --profile workers)"));
}

#[test]
fn forced_writes_still_spare_every_input() {
    let dir = tempdir("spare");
    std::fs::write(
        dir.join("compose.yaml"),
        "include: [inc.yaml]\nservices:\n  runtime: { image: r, env_file: rt.env }\n  api: { image: a }\n",
    )
    .unwrap();
    std::fs::write(dir.join("inc.yaml"), "services:\n  postgres: { image: p }\n").unwrap();
    std::fs::write(dir.join("rt.env"), "# Written by flowcap\nA=1\n").unwrap();
    for (args, message) in [
        (
            &["export", "--preset", "medium", "-o", "o.yml", "--save-plan", "inc.yaml", "--force"][..],
            "inc.yaml: is a compose file",
        ),
        (&["export", "--preset", "medium", "-o", "rt.env", "--force"][..], "rt.env: is an env_file"),
    ] {
        flowcap().current_dir(&dir).args(args).assert().code(2).stderr(predicate::str::contains(message));
    }
    assert_eq!(std::fs::read_to_string(dir.join("inc.yaml")).unwrap(), "services:\n  postgres: { image: p }\n");
}

#[cfg(unix)]
#[test]
fn a_fifo_dotenv_is_refused_not_skipped() {
    let dir = tempdir("fifo-env");
    medium_stack(&dir);
    fifo(&dir.join(".env"));
    flowcap()
        .current_dir(&dir)
        .arg("--check")
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".env: is not a regular file"));
}

#[test]
fn a_plan_service_name_cannot_forge_lines() {
    let dir = tempdir("plan-names");
    std::fs::write(dir.join("plan.yaml"), "other_services:\n  \"web\\n::error::PWNED\": { replicas: 1 }\n").unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("is not a name Compose accepts") && !stderr.lines().any(|l| l.starts_with("::error")),
        "{stderr}"
    );
}

#[test]
fn a_workload_on_more_slots_than_flowcap_sizes_is_refused_with_the_limit() {
    let dir = tempdir("slots");
    let plan = "runtime:\n  replicas: 1000\n  max_concurrent_executions: 10000\nworkload:\n  arrivals_per_minute: 60\n  mean_duration: 30s\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("plan.yaml:3:3: runtime.max_concurrent_executions: with a workload, runtime.replicas × max_concurrent_executions must be at most 1000000"),
        "{stderr}"
    );
    // Without a workload there are no waits to compute: ten million slots are a plan like any.
    std::fs::write(dir.join("plan.yaml"), "runtime:\n  replicas: 1000\n  max_concurrent_executions: 10000\n").unwrap();
    assert_ne!(flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap().status.code(), Some(2));
}
