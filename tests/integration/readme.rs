//! The README is part of the interface: its rules table and plan example must stay true.

use flowcap::analysis::rules::RULES;
use flowcap::model::load::parse_plan;

const README: &str = include_str!("../../README.md");

#[test]
fn rules_table_matches_the_rules() {
    for rule in RULES {
        let row = format!("| `{}` | {} | {} | {} |", rule.id, rule.severity, rule.checks, rule.threshold());
        assert!(README.contains(&row), "README lacks or misstates:\n{row}");
    }
    let rows = README.lines().filter(|l| l.starts_with("| `") && l.matches(" | ").count() == 3).count();
    assert_eq!(rows, RULES.len(), "the README lists a rule flowcap does not have");
}

/// The first YAML block after `heading`.
fn first_yaml_block_after(heading: &str) -> &'static str {
    let block = &README[README.find(heading).unwrap()..];
    let yaml = &block[block.find("```yaml\n").unwrap() + 8..];
    &yaml[..yaml.find("```").unwrap()]
}

#[test]
fn annotated_plan_example_parses_with_its_values() {
    let plan = parse_plan("README.md", first_yaml_block_after("## The plan")).unwrap().plan;
    assert_eq!(plan.api.replicas, 2);
    assert_eq!(plan.runtime.replicas, 4);
    assert_eq!(plan.other_services.len(), 1);
    let workload = plan.workload.clone().expect("the example shows a workload");
    assert_eq!((workload.arrivals_per_minute, workload.mean_duration.0), (120.0, 30.0));
    assert_eq!(plan, {
        // Apart from its name, the services it lists and the workload, the example is the Medium preset.
        let mut medium = flowcap::model::presets::load_preset("medium").unwrap().plan;
        medium.name = Some("My deployment".into());
        medium.other_services.retain(|name, _| name == "redis");
        medium.workload = Some(workload);
        medium
    });
}

#[test]
fn the_kubernetes_plan_example_parses_and_places() {
    let plan = parse_plan("README.md", first_yaml_block_after("## When one host is not enough")).unwrap().plan;
    assert_eq!(plan.platform, flowcap::model::cluster::Platform::Kubernetes);
    let fit = flowcap::analysis::figures::analyze(&plan).cluster.unwrap();
    assert!(fit.now.unplaced.is_empty() && fit.at_maximum.unplaced.is_empty(), "{fit:?}");
}
