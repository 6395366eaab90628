//! `flowcap init`: a starter plan with a comment on every key, that reads back as the plan it
//! was made from, and the shell completions and manual page, checked by bash and groff.

use crate::common::{flowcap, require, tempdir};
use flowcap::analysis::rules::RuleId;
use flowcap::model::load::load_plan_file;
use flowcap::model::presets::{PRESET_KEYS, load_preset};
use std::path::Path;
use std::process::Command;

/// Every line that sets a key has a comment (the items of a list of values are not keys).
fn assert_every_key_commented(text: &str) {
    for line in text.lines().skip(1).filter(|l| !l.trim_start().starts_with("- ") || l.contains(':')) {
        assert!(line.contains("  # ") || line.contains(" # "), "no comment on `{line}`:\n{text}");
    }
}

#[test]
fn every_preset_starts_a_commented_plan_that_reads_back_as_itself() {
    let dir = tempdir("init");
    for key in PRESET_KEYS {
        let out = dir.join(format!("{key}.yaml"));
        flowcap().current_dir(&dir).args(["init", "--preset", key, "-o"]).arg(&out).assert().success();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with(&format!("# Written by flowcap init from presets/{key}.yaml.")), "{text}");
        assert_every_key_commented(&text);
        let plan = load_plan_file(&out).unwrap().plan;
        // A compose plan spells out how HTTP runs reach its runtimes, default or not; a
        // Kubernetes Service balances them, so its plans do not carry the key.
        assert_eq!(text.contains("\n  http_routing: dns "), plan.platform.is_compose(), "{key}:\n{text}");
        // Sizes as the platform spells them: Compose's `2G`, Helm values' `2Gi` (where `2G`
        // would be 2·10⁹ bytes); both read back as the same plan.
        let sizes: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("memory: ").map(|(_, v)| v.split_whitespace().next().unwrap()))
            .collect();
        assert!(!sizes.is_empty(), "{key}");
        let binary = sizes.iter().all(|s| s.ends_with('i'));
        let compose = sizes.iter().all(|s| s.ends_with(['K', 'M', 'G', 'T']));
        assert!(if plan.platform.is_compose() { compose } else { binary }, "{key}: {sizes:?}");
        // CPUs likewise: Kubernetes' whole numbers and millicores, Compose's decimals.
        let cpus: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("cpus: ").map(|(_, v)| v.split_whitespace().next().unwrap()))
            .collect();
        let millicores = cpus.iter().all(|c| c.ends_with('m') || c.parse::<u64>().is_ok());
        let decimals = cpus.iter().all(|c| c.contains('.'));
        assert!(if plan.platform.is_compose() { decimals } else { millicores }, "{key}: {cpus:?}");
        assert_eq!(plan, load_preset(key).unwrap().plan, "{key}");
    }
}

#[test]
fn a_deployment_starts_a_plan_it_does_not_drift_from() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose");
    let dir = tempdir("init-compose");
    crate::common::copy_tree(&fixture, &dir);
    let output = flowcap().current_dir(&dir).arg("init").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "wrote flowcap.yaml\nnext: flowcap --check flowcap.yaml -f ./docker-compose.yml -f ./docker-compose.override.yml\n"
    );
    let text = std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap();
    assert_every_key_commented(&text);
    // The next step as printed: the plan and the files it came from agree.
    let check = flowcap()
        .current_dir(&dir)
        .args(["--check", "flowcap.yaml", "-f", "./docker-compose.yml", "-f", "./docker-compose.override.yml"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let drift: Vec<_> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == RuleId::Drift.as_str()).collect();
    assert!(drift.is_empty(), "{drift:#?}");

    // Run again, it replaces its own file (keeping the old one); never the operator's, nor a
    // compose file.
    flowcap().current_dir(&dir).arg("init").assert().success();
    assert!(dir.join("flowcap.yaml.bak").is_file());
    std::fs::write(dir.join("mine.yaml"), "name: mine\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["init", "-o", "mine.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(dir.join("mine.yaml")).unwrap(), "name: mine\n");
    flowcap()
        .current_dir(&dir)
        .args(["init", "-o", "docker-compose.yml", "--force"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a compose file this command reads"));
}

#[test]
#[cfg_attr(missing = "bash", ignore = "needs bash")]
fn bash_completes_subcommands_and_flags_from_the_script() {
    let script = flowcap().args(["completions", "bash"]).output().unwrap().stdout;
    require("bash");
    let dir = tempdir("completions");
    std::fs::write(dir.join("flowcap.bash"), &script).unwrap();
    // The words typed so far, the last the one being completed ('' after a space), as bash
    // calls the function: command, current word, previous word.
    let complete = |words: &str| {
        let line = words.trim_end_matches("''");
        let probe = format!(
            "source flowcap.bash; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"{line}\"; COMP_POINT=${{#COMP_LINE}}; _flowcap flowcap \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let output = Command::new("bash").current_dir(&dir).args(["-c", &probe]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(complete("flowcap ob").lines().any(|w| w == "observe"), "{}", complete("flowcap ob"));
    assert!(complete("flowcap init --pre").lines().any(|w| w == "--preset"));
    assert!(complete("flowcap --check --format ''").lines().any(|w| w == "sarif"));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = flowcap().args(["completions", shell]).output().unwrap();
        assert!(output.status.success() && String::from_utf8_lossy(&output.stdout).contains("observe"), "{shell}");
    }
}

#[test]
#[cfg_attr(missing = "groff", ignore = "needs groff")]
fn the_manual_page_renders_with_groff_without_warnings() {
    let page = flowcap().arg("man").output().unwrap().stdout;
    let text = String::from_utf8_lossy(&page);
    assert!(text.starts_with(".ie \\n(.g .ds Aq"), "{text}");
    assert!(text.contains("observe") && text.contains("\\-\\-check"), "{text}");
    require("groff");
    let dir = tempdir("man");
    std::fs::write(dir.join("flowcap.1"), &page).unwrap();
    // The page is UTF-8 (×, →): groff reads it through preconv (-k), as man does.
    let output =
        Command::new("groff").args(["-k", "-man", "-Tutf8", "-ww"]).arg(dir.join("flowcap.1")).output().unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "groff warns");
    let rendered = String::from_utf8_lossy(&output.stdout);
    assert!(rendered.contains("Capacity planner for self-hosted Flow-Like"), "{rendered}");
    assert!(text.contains(".SH \"EXIT STATUS\""), "{text}");
}

#[test]
#[cfg_attr(missing = "groff", ignore = "needs groff")]
fn man_dir_writes_a_page_per_command_that_groff_renders_and_replaces_only_its_own() {
    let dir = tempdir("man-dir");
    flowcap().args(["man", "--dir"]).arg(&*dir).assert().success();
    let mut pages: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    for command in ["observe", "init", "solve", "export", "completions"] {
        assert!(pages.contains(&format!("flowcap-{command}.1")), "{pages:?}");
    }
    assert!(pages.contains(&"flowcap.1".to_string()));
    // The main page names the others under SUBCOMMANDS: each one it names exists.
    let main = std::fs::read_to_string(dir.join("flowcap.1")).unwrap();
    for line in main.lines().filter_map(|l| l.strip_prefix("flowcap\\-")) {
        let name = line.split('(').next().unwrap().replace("\\-", "-");
        assert!(pages.contains(&format!("flowcap-{name}.1")), "flowcap-{name}(1) is named but not written");
    }
    require("groff");
    for page in &pages {
        let output = Command::new("groff").args(["-k", "-man", "-Tutf8", "-ww"]).arg(dir.join(page)).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "groff warns on {page}");
    }
    // Again: its own pages are replaced; a page it did not write is not.
    flowcap().args(["man", "--dir"]).arg(&*dir).assert().success();
    std::fs::write(dir.join("flowcap-rules.1"), ".TH MINE 1\n").unwrap();
    flowcap().args(["man", "--dir"]).arg(&*dir).assert().code(2).stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(dir.join("flowcap-rules.1")).unwrap(), ".TH MINE 1\n");
}

#[test]
#[cfg_attr(missing = "shared-fixtures", ignore = "needs ../shared/fixtures")]
fn a_plan_that_runs_monitoring_is_checked_with_its_profile_and_every_written_plan_is_commented() {
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    let dir = tempdir("init-monitoring");
    std::fs::copy(&flow_like, dir.join("docker-compose.yml")).unwrap();
    // Medium runs monitoring; Flow-Like starts the exporter with the monitoring profile. A
    // preset is not the deployment yet: the next step is to see and make the change.
    let output = flowcap().current_dir(&dir).args(["init", "--preset", "medium"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "wrote flowcap.yaml\nnext: flowcap diff flowcap.yaml -f ./docker-compose.yml --profile monitoring shows what the \
         deployment would change; flowcap export flowcap.yaml -o docker-compose.override.yml makes it real\n"
    );
    flowcap()
        .current_dir(&dir)
        .args(["export", "flowcap.yaml", "-o", "docker-compose.override.yml", "--profile", "monitoring"])
        .assert()
        .success();
    // Made real, the deployment has no drift from the plan, the monitoring profile included.
    let check = flowcap()
        .current_dir(&dir)
        .args(["--check", "flowcap.yaml", "-f", "docker-compose.yml", "-f", "docker-compose.override.yml"])
        .args(["--profile", "monitoring", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let drift: Vec<_> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == RuleId::Drift.as_str()).collect();
    assert!(drift.is_empty(), "{drift:#?}");
    // The balancers the export added count in host fit for the plan as for the deployment.
    let cpu_limits = |plan: &[&str]| {
        let output = flowcap()
            .current_dir(&dir)
            .arg("--check")
            .args(plan)
            .args(["-f", "docker-compose.yml", "-f", "docker-compose.override.yml", "--profile", "monitoring"])
            .args(["--host-cpus", "64", "--host-memory", "256G", "--format", "json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["figures"]["host"]["cpu_limits"].as_f64().unwrap()
    };
    assert_eq!(cpu_limits(&["flowcap.yaml"]), cpu_limits(&[]));
    // They are the deployment's, not the plan's: a plan saved from it has none.
    flowcap()
        .current_dir(&dir)
        .args(["export", "flowcap.yaml", "-o", "docker-compose.override.yml", "--profile", "monitoring"])
        .args(["--save-plan", "saved.yaml"])
        .assert()
        .success();
    let saved = std::fs::read_to_string(dir.join("saved.yaml")).unwrap();
    assert!(!saved.contains("-lb:"), "{saved}");
    // solve -o (and export --save-plan, observe -o, the planner's s) write commented plans too.
    std::fs::write(
        dir.join("busy.yaml"),
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/busy-medium.yaml")).unwrap(),
    )
    .unwrap();
    flowcap().current_dir(&dir).args(["solve", "busy.yaml", "--output", "solved.yaml"]).assert().success();
    let solved = std::fs::read_to_string(dir.join("solved.yaml")).unwrap();
    assert!(solved.starts_with("# Written by flowcap solve from busy.yaml"), "{solved}");
    assert_every_key_commented(&solved);
}

/// `-o -` prints the plan (and writes no file named `-`); `solve -o -`, `observe -o -` and
/// `export --save-plan -` are refused, since standard output is their report's (or the
/// values'). A Kubernetes plan exported to `-` without `--helm` is told to use it.
#[test]
fn a_dash_prints_one_document_and_a_second_is_refused() {
    let dir = tempdir("init-stdout");
    let printed = flowcap().current_dir(&dir).args(["init", "--preset", "medium", "-o", "-"]).output().unwrap();
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let text = String::from_utf8(printed.stdout).unwrap();
    assert_every_key_commented(&text);
    let plan = flowcap::model::load::parse_plan("PLAN", &text).unwrap().plan;
    assert_eq!(plan.runtime.replicas, load_preset("medium").unwrap().plan.runtime.replicas);
    assert_eq!(String::from_utf8_lossy(&printed.stderr), "next: save it as PLAN, then flowcap --check PLAN\n");
    for (args, said) in [
        (&["solve", "--preset", "medium", "-o", "-"][..], "--write: -: the report goes to standard output"),
        (
            &["observe", "--preset", "medium", "--prometheus", "http://127.0.0.1:1", "-o", "-"],
            "--save-plan: -: the report goes to standard output",
        ),
        (
            &["export", "--helm", "--preset", "kubernetes-large", "-o", "-", "--save-plan", "-"],
            "--save-plan: -: the export goes to standard output",
        ),
        (&["export", "--preset", "kubernetes-large", "-o", "-"], "a Kubernetes plan is made real with Helm values"),
    ] {
        flowcap().current_dir(&dir).args(args).assert().code(2).stdout("").stderr(predicates::str::contains(said));
    }
    assert_eq!(std::fs::read_dir(&*dir).unwrap().count(), 0, "no file written");
    // Values that cannot be printed leave no plan behind either.
    let full = std::fs::File::create("/dev/full").unwrap();
    let failed = Command::new(env!("CARGO_BIN_EXE_flowcap"))
        .current_dir(&dir)
        .args(["export", "--helm", "--preset", "kubernetes-large", "-o", "-", "--save-plan", "saved.yaml"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot write the output"));
    assert!(!dir.join("saved.yaml").exists());
}
