//! The binary as a user runs it: exit codes, formats, and bad input.

use crate::common::{flowcap, tempdir};
use flowcap::analysis::rules::RuleId;
use predicates::prelude::*;
use std::path::Path;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).display().to_string()
}

/// Runs flowcap in a temporary folder holding `plan.yaml` with `text`; the plan is named
/// relatively so messages are stable.
fn check_text(text: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let dir = tempdir("cli");
    std::fs::write(dir.join("plan.yaml"), text).unwrap();
    flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).args(extra).assert()
}

#[test]
fn presets_pass_check() {
    for preset in ["development", "small-team", "medium", "large"] {
        flowcap().args(["--check", "--preset", preset]).assert().success().stdout(predicate::str::contains("PASS"));
    }
}

#[test]
fn no_arguments_prints_the_development_report() {
    flowcap()
        .assert()
        .success()
        .stdout(predicate::str::starts_with("flowcap check: Development (presets/development.yaml)\n"));
}

#[test]
fn medium_report_shows_the_arithmetic() {
    flowcap()
        .args(["--check", "--preset", "medium"])
        .assert()
        .success()
        .stdout(predicate::str::contains("queued executions      40 at once = 4 runtimes × 10 slots"))
        .stdout(predicate::str::contains("used / usable          28 / 97 (28.9 %; warning line 77, headroom 69)"));
}

#[test]
fn errors_fail_the_check_with_exit_1() {
    flowcap()
        .args(["--check", &fixture("overloaded.yaml")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(RuleId::ConnectionsNearLimit.as_str()))
        .stdout(predicate::str::contains(RuleId::JwtKeysNotShared.as_str()))
        .stdout(predicate::str::contains("FAIL"));
}

#[test]
fn warnings_fail_only_with_fail_on_warning() {
    // 3 API replicas × 11 + db-init 3 + admin 2 = 38: past the warning line 37 (80 % of 47
    // usable), within the budget → a warning only.
    let plan = "api: { replicas: 3, db_pool: 11 }\npostgres: { max_connections: 50 }\n";
    check_text(plan, &[]).code(0).stdout(predicate::str::contains(RuleId::ConnectionsNearLimit.as_str()));
    check_text(plan, &["--fail-on", "warning"]).code(1);
    check_text(plan, &["--fail-on", "error"]).code(0);
}

#[test]
fn without_check_findings_do_not_change_the_exit_code() {
    flowcap().arg(fixture("overloaded.yaml")).assert().success().stdout(predicate::str::contains("FAIL"));
}

#[test]
fn same_input_same_bytes() {
    for format in ["human", "json", "sarif", "junit", "github"] {
        let run =
            || flowcap().args(["--check", &fixture("overloaded.yaml"), "--format", format]).output().unwrap().stdout;
        assert_eq!(run(), run(), "{format}");
    }
}

#[test]
fn rules_reference_lists_every_rule() {
    let output = flowcap().arg("rules").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(output).unwrap();
    for rule in flowcap::analysis::rules::RULES {
        assert!(text.contains(rule.id.as_str()), "{}", rule.id);
        assert!(text.contains(&rule.threshold()), "{}", rule.id);
    }
}

#[test]
fn unknown_preset_is_a_usage_error() {
    flowcap().args(["--check", "--preset", "huge"]).assert().code(2).stderr(predicate::str::contains("medium"));
}

/// Each bad input: exit 2, a message with file:line:column, and no panic.
#[test]
fn bad_input_names_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("api: {replicas: 1\n", "plan.yaml:2:1: did not find expected ',' or '}'"),
        (
            "api:\n  replicas: two\n",
            "plan.yaml:2:13: api.replicas: invalid type: string \"two\", expected a whole number (0 or more)",
        ),
        (
            "api:\n  replicas: -1\n",
            "plan.yaml:2:13: api.replicas: invalid type: integer `-1`, expected a whole number (0 or more)",
        ),
        ("runtime:\n  replica: 2\n", "plan.yaml:2:3: runtime: unknown key `replica`; did you mean `replicas`?"),
        ("runtime:\n  limits: { memory: 8X }\n", "plan.yaml:2:21: runtime.limits.memory: invalid memory size `8X`"),
        (
            "runtime:\n  limits: { cpus: -2 }\n",
            "plan.yaml:2:19: runtime.limits.cpus: a CPU amount such as 0.5 or 4 must not be negative, got -2",
        ),
        (
            "host: { cpus: 4, memory: 99999999999999G }\n",
            "plan.yaml:1:26: host.memory: memory size `99999999999999G` is larger than 1 PiB",
        ),
        ("api:\n  replicas: 0\n", "plan.yaml:2:3: api.replicas: must be between 1 and 1000, got 0"),
        (
            "api:\n  replicas: 99999999999\n",
            "plan.yaml:2:13: api.replicas: invalid value: integer `99999999999`, expected a whole number (0 or more)",
        ),
        (
            "postgres:\n  max_connections: 3\n",
            "plan.yaml:2:3: postgres.max_connections: superuser_reserved_connections (3) + reserved_connections (0) must be less than max_connections (3)",
        ),
        ("host:\n  cpus: 0\n  memory: 8G\n", "plan.yaml:2:3: host.cpus: must be greater than 0"),
        ("host:\n  cpus: 4\n", "plan.yaml:2:3: host: missing field `memory`"),
        (
            "runtime:\n  limits:\n    memory: 0\n",
            "plan.yaml:3:5: runtime.limits.memory: must be greater than 0 (leave it out for no limit)",
        ),
        (
            "- just\n- a list\n",
            "plan.yaml:1:1: invalid type: sequence, expected a mapping of plan keys (api, runtime, postgres, ...)",
        ),
    ];
    for (text, expected) in cases {
        let assert = check_text(text, &[]).code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with(&format!("error: {expected}")), "input {text:?}\n  got: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn unreadable_inputs_are_named() {
    let dir = tempdir("cli");
    flowcap()
        .current_dir(&dir)
        .args(["--check", "missing.yaml"])
        .assert()
        .code(2)
        .stderr("error: missing.yaml: no such file\n");
    std::fs::create_dir_all(dir.join("folder.yaml")).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "folder.yaml"])
        .assert()
        .code(2)
        .stderr("error: folder.yaml: is a directory, expected a YAML file\n");
    std::fs::write(dir.join("binary.yaml"), [0xff, 0xfe, 0x00]).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "binary.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not UTF-8 text"));
}

#[test]
fn oversized_file_is_refused_without_reading_it() {
    let dir = tempdir("cli");
    let file = std::fs::File::create(dir.join("huge.yaml")).unwrap();
    // Sparse: 100 MB on paper, nothing on disk.
    file.set_len(100 * 1000 * 1000).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "huge.yaml"])
        .assert()
        .code(2)
        .stderr("error: huge.yaml: is 100000000 bytes; flowcap reads files up to 16 MiB\n");
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).display().to_string()
}

#[test]
fn unstable_workload_fails_the_check() {
    flowcap()
        .args(["--check", &example("busy-medium.yaml")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "offered load           60 Erlangs = 120/min × 30 s on 40 slots (150 % utilisation)",
        ))
        .stdout(predicate::str::contains(RuleId::WorkloadUnstable.as_str()));
    let output = flowcap().args(["--check", &example("busy-medium.yaml"), "--format", "json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let workload = &json["figures"]["queued"];
    assert_eq!(workload["offered_load"], 60.0);
    assert_eq!(workload["stable"], false);
    assert_eq!(workload["throughput_ceiling_per_minute"], 80.0);
    assert_eq!(workload["slots_for_stability"], 61);
    assert_eq!(workload["curve"].as_array().unwrap().len(), 19);
}

#[test]
fn solve_prints_before_and_after_and_writes_a_plan_that_passes() {
    let dir = tempdir("cli");
    flowcap()
        .current_dir(&dir)
        .args(["solve", &example("busy-medium.yaml"), "--write", "solved.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("~ runtime.max_concurrent_executions          10 → 18"))
        .stdout(predicate::str::contains("~ p95 wait                                    ∞ → 1.5 s"));
    let written = std::fs::read_to_string(dir.join("solved.yaml")).unwrap();
    assert!(written.starts_with("# Written by flowcap solve from "));
    flowcap().current_dir(&dir).args(["--check", "solved.yaml"]).assert().success();

    // Never overwritten without --force; with it, the old file is kept.
    std::fs::write(dir.join("solved.yaml"), "mine\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["solve", &example("busy-medium.yaml"), "--write", "solved.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("solved.yaml: exists and was not written by flowcap; pass --force"));
    assert_eq!(std::fs::read_to_string(dir.join("solved.yaml")).unwrap(), "mine\n");
    flowcap()
        .current_dir(&dir)
        .args(["solve", &example("busy-medium.yaml"), "--write", "solved.yaml", "--force"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(dir.join("solved.yaml.bak")).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(dir.join("solved.yaml")).unwrap(), written);
}

#[test]
fn solve_without_workload_is_bad_input() {
    flowcap()
        .args(["solve", "--preset", "medium"])
        .assert()
        .code(2)
        .stderr("error: presets/medium.yaml: has no workload section to solve for\n");
}

#[test]
fn bad_workloads_are_refused() {
    let base = "workload:\n  arrivals_per_minute: 120\n  mean_duration: ";
    let cases: &[(&str, &str)] = &[
        ("0s\n", "plan.yaml:3:3: workload.mean_duration: must be more than 0 s and at most 7 days, got 0 s"),
        ("-5s\n", "plan.yaml:3:18: workload.mean_duration: invalid duration `-5s`"),
        ("30 parsecs\n", "plan.yaml:3:18: workload.mean_duration: invalid duration `30 parsecs`"),
        ("30s\n  target: {}\n", "plan.yaml:4:3: workload.target: give p95_wait, wait_probability_percent or both"),
        (
            "30s\n  dispatch: random\n",
            "plan.yaml:4:13: workload.dispatch: unknown variant `random`, expected `queue` or `round-robin`",
        ),
    ];
    for (rest, expected) in cases {
        let assert = check_text(&format!("{base}{rest}"), &[]).code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with(&format!("error: {expected}")), "{rest:?}\n  got: {stderr}");
    }
    check_text("workload:\n  arrivals_per_minute: 1e12\n  mean_duration: 1s\n", &[])
        .code(2)
        .stderr(predicate::str::contains("workload.arrivals_per_minute: must be more than 0 and at most 10000000"));
    check_text("workload:\n  arrivals_per_minute: 0\n  mean_duration: 1s\n", &[])
        .code(2)
        .stderr(predicate::str::contains("workload.arrivals_per_minute: must be more than 0"));
    check_text("workload:\n  mean_duration: 1s\n", &[])
        .code(2)
        .stderr(predicate::str::contains("workload: missing field `arrivals_per_minute`"));
}

#[test]
fn explain_says_where_defaults_come_from() {
    flowcap()
        .args(["explain", "--preset", "large"])
        .assert()
        .success()
        .stdout(predicate::str::contains("alerts.yml alerts at connections / max_connections > 0.8"))
        .stdout(predicate::str::is_match(r"postgres.max_connections +200 +set \(default 100\)").unwrap());
}

#[test]
fn a_variables_file_given_as_the_plan_is_named_for_what_it_is() {
    let dir = crate::common::tempdir("env-as-plan");
    std::fs::write(dir.join(".env"), "POSTGRES_PASSWORD=hunter2\n").unwrap();
    let output = crate::common::flowcap().current_dir(&dir).args(["--check", ".env"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "error: .env: is a variables file, not a plan: give it with --env-file, and the plan as YAML (flowcap init writes one)\n"
    );
    let output = crate::common::flowcap().current_dir(&dir).args(["--check", "-f", ".env"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: .env: is a variables file, not a compose file: give it with --env-file\n"
    );
}

/// The workload by path: a section checked as a whole is refused at its key, a path's own
/// values at theirs, and a wait target without queued runs (which streaming runs never need)
/// is refused rather than met by default.
#[test]
fn bad_workloads_by_path_are_refused_where_they_are() {
    let base = "runtime: { replicas: 2 }\n";
    let cases: &[(&str, &str)] = &[
        ("workload:\n  streaming:\n", "plan.yaml:2:1: workload: give `queued:`, `streaming:` or both"),
        (
            "workload:\n  arrivals_per_minute: 5\n  mean_duration: 30s\n  streaming: { arrivals_per_minute: 5, mean_duration: 30s }\n",
            "plan.yaml:2:1: workload: give `queued:` and `streaming:`, or the one-path form",
        ),
        (
            "workload:\n  queued: { arrivals_per_minute: 5, mean_duration: 30s, p95_duration: 10s }\n",
            "plan.yaml:3:57: workload.queued.p95_duration: read as a lognormal, a p95 must be between the mean (30 s) and 116 s (3.8681 × the mean), got 10 s",
        ),
        (
            "workload:\n  streaming: { arrivals_per_minute: 5, mean_duration: 30s }\n  target: { p95_wait: 5s }\n",
            "plan.yaml:4:3: workload.target: is the queued runs' wait for a slot, and the workload has no queued runs",
        ),
        (
            "workload:\n  streaming: { arrivals_per_minute: 2000000.1, mean_duration: 30s }\n",
            "workload.streaming.arrivals_per_minute: arrivals × mean duration is 1000000.05 runs in flight; flowcap plans at most 1000000",
        ),
    ];
    for (rest, expected) in cases {
        let assert = check_text(&format!("{base}{rest}"), &[]).code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(expected), "{rest:?}\n  got: {stderr}");
    }
    check_text("redis: { maxmemory: 0 }\n", &[]).code(2).stderr(predicate::str::contains(
        "plan.yaml:1:10: redis.maxmemory: must be more than 0 (leave it out for no bound)",
    ));
    // An earlier plan's round-robin workload keeps loading, its target said to no longer apply.
    check_text(
        "workload: { arrivals_per_minute: 30, mean_duration: 30s, dispatch: round-robin, target: { p95_wait: 5s } }\n",
        &[],
    )
    .success()
    .stdout(predicate::str::contains("(the wait target no longer applies)"));
}

/// Without --check the report prints FAIL and exits 0, and says so on stderr; with it, 1.
#[test]
fn a_report_without_check_says_it_exits_0() {
    let args = ["--preset", "large", "--host-cpus", "4", "--host-memory", "8G"];
    let report = flowcap().args(args).output().unwrap();
    assert_eq!(report.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&report.stdout).contains("\nFAIL (fails on error and above)"));
    assert!(
        String::from_utf8_lossy(&report.stderr)
            .contains("note: a report, not a check: it exits 0; with --check the same findings exit 1")
    );
    let check = flowcap().arg("--check").args(args).output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&check.stderr).contains("note: a report"));
}

/// A preset on a foreign stack whose API service is called `web`: the preset's `web` is
/// Flow-Like's frontend, not this stack's API, so it is left out instead of refused.
#[test]
fn a_preset_fits_a_stack_whose_api_is_called_web() {
    let dir = crate::common::tempdir("foreign-web");
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  web:\n    image: ghcr.io/tm9657/flow-like-api:latest\n  \
         worker:\n    image: ghcr.io/tm9657/flow-like-runtime:latest\n  postgres:\n    image: postgres:16\n",
    )
    .unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args([
            "export",
            "--preset",
            "medium",
            "-f",
            "compose.yaml",
            "--service",
            "api=web",
            "--service",
            "runtime=worker",
        ])
        .args(["-o", "o.yml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("web replicas: 1 → 2") && stdout.contains("worker replicas: 1 → 4"), "{stdout}");
}
