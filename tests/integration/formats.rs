//! Every output format, parsed back the way its consumer would.

use flowcap::analysis::rules::RuleId;
use flowcap::analysis::rules::{RULES, Severity};
use flowcap::model::load::{LoadedPlan, load_plan_file};
use flowcap::model::presets::load_preset;
use flowcap::report::{Format, Report};
use serde_json::Value;
use std::path::Path;

/// The overloaded fixture, named relative to the crate so reports are stable anywhere.
fn overloaded() -> LoadedPlan {
    let mut loaded =
        load_plan_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/overloaded.yaml")).unwrap();
    loaded.file = "tests/fixtures/overloaded.yaml".into();
    loaded
}

fn render(loaded: &LoadedPlan, format: Format) -> String {
    Report::new(loaded, Severity::Error).render(format)
}

#[test]
fn json_has_the_documented_shape() {
    let json: Value = serde_json::from_str(&render(&overloaded(), Format::Json)).unwrap();
    assert_eq!(json["schema_version"], 2);
    assert_eq!(json["plan"]["name"], "Overloaded");
    assert_eq!(json["figures"]["concurrent_executions"], 40);
    assert_eq!(json["figures"]["connections"]["used"], 88);
    assert_eq!(json["figures"]["connections"]["usable"], 97);
    assert_eq!(json["figures"]["host"]["cpu_limits"], 26.0);
    assert_eq!(json["figures"]["per_slot"]["memory_bytes"], 858993459);
    let findings = json["findings"].as_array().unwrap();
    let first = &findings[0];
    assert_eq!(first["rule"], RuleId::JwtKeysNotShared.as_str());
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "tests/fixtures/overloaded.yaml");
    assert_eq!(first["line"], 7);
    assert_eq!(first["column"], 3);
    assert_eq!(first["path"], "api.shared_jwt_keys");
    assert!(first["fix"].as_str().unwrap().contains("BACKEND_KEY"));
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["failed"], true);
    assert_eq!(json["summary"]["fail_on"], "error");
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render(&overloaded(), Format::Json));
}

#[test]
fn sarif_has_what_github_code_scanning_requires() {
    let sarif: Value = serde_json::from_str(&render(&overloaded(), Format::Sarif)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "flowcap");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for rule in rules {
        assert!(rule["id"].is_string() && rule["shortDescription"]["text"].is_string());
        assert!(["error", "warning", "note"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["message"]["text"].as_str().unwrap().len() > 10);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "tests/fixtures/overloaded.yaml");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let connections = results.iter().find(|r| r["ruleId"] == RuleId::ConnectionsNearLimit.as_str()).unwrap();
    assert_eq!(connections["level"], "warning");
    // postgres.max_connections is on line 13 of the fixture.
    assert_eq!(connections["locations"][0]["physicalLocation"]["region"]["startLine"], 13);
}

#[test]
fn junit_is_one_test_case_per_rule() {
    let xml = render(&overloaded(), Format::Junit);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(suites.attribute("tests"), Some(RULES.len().to_string().as_str()));
    // Only the error fails at --fail-on error; the warnings pass with their text in system-out.
    assert_eq!(suites.attribute("failures"), Some("1"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), RULES.len());
    let jwt = cases.iter().find(|c| c.attribute("name") == Some(RuleId::JwtKeysNotShared.as_str())).unwrap();
    let failure = jwt.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(failure.attribute("type"), Some("error"));
    assert!(failure.text().unwrap().contains("tests/fixtures/overloaded.yaml:7"));
    let near = cases.iter().find(|c| c.attribute("name") == Some(RuleId::ConnectionsNearLimit.as_str())).unwrap();
    assert!(near.children().any(|n| n.has_tag_name("system-out")));
    assert!(!near.children().any(|n| n.has_tag_name("failure")));

    let warning_fails = Report::new(&overloaded(), Severity::Warning).render(Format::Junit);
    let doc = roxmltree::Document::parse(&warning_fails).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("4"));
}

#[test]
fn github_annotations_point_at_lines() {
    let text = render(&overloaded(), Format::Github);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=tests/fixtures/overloaded.yaml,line=7,col=3,title=jwt-keys-not-shared::8 API replicas each sign tokens"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1]
            .starts_with("::warning file=tests/fixtures/overloaded.yaml,line=13,col=3,title=connections-near-limit::")
    );
    assert_eq!(lines.last().unwrap(), &"flowcap: 1 error, 3 warnings, 0 info in tests/fixtures/overloaded.yaml");
    assert!(lines.iter().all(|l| !l.contains('\n')));
}

#[test]
fn human_reports_for_each_preset() {
    for key in ["development", "small-team", "medium", "large"] {
        insta::assert_snapshot!(format!("human_{key}"), render(&load_preset(key).unwrap(), Format::Human));
    }
    insta::assert_snapshot!("human_overloaded", render(&overloaded(), Format::Human));
}

#[test]
fn finding_formats_carry_the_figures_too() {
    let text = include_str!("../../examples/busy-medium.yaml")
        .replace("max_concurrent_executions: 10", "max_concurrent_executions: 18");
    let loaded = flowcap::model::load::parse_plan("examples/busy-medium.yaml", &text).unwrap();
    let report = Report::new(&loaded, Severity::Error);
    let p95 = report.figures.queued.as_ref().unwrap().waits.p95_wait_seconds.unwrap().to_string();

    let sarif: Value = serde_json::from_str(&report.render(Format::Sarif)).unwrap();
    let figures = &sarif["runs"][0]["properties"]["flowcapFigures"];
    assert_eq!(figures["concurrent_executions"], "72");
    assert_eq!(figures["offered_load"], "60");
    assert_eq!(figures["p95_wait_seconds"], p95.as_str());

    let xml = report.render(Format::Junit);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let property = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(String::from)
    };
    assert_eq!(property("concurrent_executions").as_deref(), Some("72"));
    assert_eq!(property("p95_wait_seconds"), Some(p95.clone()));

    let github = report.render(Format::Github);
    let notice = github.lines().find(|l| l.starts_with("::notice title=flowcap figures::")).unwrap();
    assert!(
        notice.contains("concurrent_executions=72") && notice.contains(&format!("p95_wait_seconds={p95}")),
        "{notice}"
    );
}

/// The streaming memory line gives the share of the peak one runtime spends past its fit and
/// the share some runtime does, and only one figure where the two read the same.
#[test]
fn the_streaming_memory_line_says_each_share_once() {
    let line = |replicas: u32, routing: &str| {
        let text = format!(
            "runtime: {{ replicas: {replicas}, http_routing: {routing}, limits: {{ cpus: 8, memory: 8Gi }} }}\n\
             workload:\n  streaming: {{ arrivals_per_minute: 120, mean_duration: 60s, memory_per_execution: 256Mi }}\n"
        );
        let loaded = flowcap::model::load::parse_plan("plan.yaml", &text).unwrap();
        let report = render(&loaded, Format::Human);
        report.lines().find(|l| l.contains("memory fits")).unwrap_or_else(|| panic!("{report}")).to_string()
    };
    // 120 in flight over 4 runtimes: Poisson(30) past 32 is 31.55 %, and some one of 4
    // 1 − (1 − 0.31546)⁴ = 78.04 % (mpmath).
    assert_eq!(
        line(4, "balanced"),
        "  memory fits            32 runs per runtime; over it 31.55 % of the peak on each, 78.04 % on some one of 4"
    );
    // Docker's DNS: one runtime takes all 120, past its 32 all the time.
    assert_eq!(line(4, "dns"), "  memory fits            32 runs per runtime; over it 100 % of the peak");
    // One runtime of one: the same share, said once.
    assert_eq!(line(1, "balanced"), "  memory fits            32 runs per runtime; over it 100 % of the peak");
}
