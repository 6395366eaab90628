//! The documentation is part of the interface: the rules table, a heading for every rule and
//! the plan examples must stay true, every relative link must lead somewhere, and the README
//! must stay short enough to read first.

use flowcap::analysis::rules::RULES;
use flowcap::model::load::parse_plan;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A documentation file's text, by its path from the repository's root.
fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// README.md, CONTRIBUTING.md and every `docs/*.md`: the files whose links must resolve.
fn documentation() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 4, "found the docs: {docs:?}");
    files.extend(docs);
    files
}

#[test]
fn rules_table_matches_the_rules() {
    let reference = read("docs/reference.md");
    for rule in RULES {
        let row = format!("| `{}` | {} | {} | {} |", rule.id, rule.severity, rule.checks, rule.threshold());
        assert!(reference.contains(&row), "docs/reference.md lacks or misstates:\n{row}");
    }
    let rows = reference.lines().filter(|l| l.starts_with("| `") && l.matches(" | ").count() == 3).count();
    assert_eq!(rows, RULES.len(), "docs/reference.md lists a rule flowcap does not have");
}

#[test]
fn every_rule_has_a_heading_of_its_own() {
    // Where the rule table says each rule is explained: a file and a heading in it.
    for rule in RULES {
        let reference = rule.id.reference();
        let (file, anchor) = reference.split_once('#').unwrap();
        assert!(
            anchors(&read(file)).iter().any(|a| a == anchor),
            "{file} has no heading whose anchor is #{anchor} (### `{}`)",
            rule.id
        );
    }
}

#[test]
fn the_readme_is_short_enough_to_read_first() {
    let size = std::fs::metadata(root().join("README.md")).unwrap().len();
    assert!(size <= 15_000, "README.md is {size} bytes; move the detail to docs/ (at most 15,000)");
}

/// The first YAML block after `heading` in `file`.
fn first_yaml_block_after(file: &str, heading: &str) -> String {
    let text = read(file);
    let block = &text[text.find(heading).unwrap_or_else(|| panic!("{file} lacks {heading}"))..];
    let yaml = &block[block.find("```yaml\n").unwrap() + 8..];
    yaml[..yaml.find("```").unwrap()].to_string()
}

#[test]
fn annotated_plan_example_parses_with_its_values() {
    let yaml = first_yaml_block_after("docs/reference.md", "## The plan");
    let plan = parse_plan("docs/reference.md", &yaml).unwrap().plan;
    assert_eq!(plan.api.replicas, 2);
    assert_eq!(plan.runtime.replicas, 4);
    assert_eq!(plan.other_services.len(), 1);
    let workload = plan.workload.clone().expect("the example shows a workload");
    let queued = workload.queued.unwrap();
    assert_eq!((queued.arrivals_per_minute, queued.mean_duration.0), (120.0, 30.0));
    assert_eq!(plan, {
        // Apart from its name, the services it lists, the runtime's idle memory, the data size,
        // Redis's settings and the workload, the example is the Medium preset.
        let mut medium = flowcap::model::presets::load_preset("medium").unwrap().plan;
        medium.postgres.data_size = Some(flowcap::model::units::Bytes::gib(200));
        medium.runtime.base_memory = flowcap::model::units::Bytes::mib(512);
        medium.redis = Some(flowcap::model::redis::Redis {
            maxmemory: Some(flowcap::model::units::Bytes::mib(768)),
            maxmemory_policy: flowcap::model::redis::EvictionPolicy::Noeviction,
            appendonly: true,
            state_per_run: Some(flowcap::model::units::Bytes(20 * 1024)),
        });
        medium.name = Some("My deployment".into());
        medium.other_services.retain(|name, _| name == "redis");
        medium.workload = Some(workload);
        medium
    });
}

#[test]
fn the_kubernetes_plan_example_parses_and_places() {
    let yaml = first_yaml_block_after("docs/guide.md", "## When one host is not enough");
    let plan = parse_plan("docs/guide.md", &yaml).unwrap().plan;
    assert_eq!(plan.platform, flowcap::model::cluster::Platform::Kubernetes);
    let fit = flowcap::analysis::figures::analyze(&plan).cluster.unwrap();
    assert!(fit.now.unplaced.is_empty() && fit.at_maximum.unplaced.is_empty(), "{fit:?}");
}

/// The text outside fenced code blocks, with inline code spans (which may wrap lines) blanked:
/// neither holds headings or links.
fn prose(markdown: &str) -> String {
    let mut outside = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            outside.push('\n');
        } else if !fenced {
            outside.push_str(line);
            outside.push('\n');
        } else {
            outside.push('\n');
        }
    }
    let chars: Vec<char> = outside.chars().collect();
    let run = |at: usize| chars[at..].iter().take_while(|&&c| c == '`').count();
    let mut text = String::new();
    let mut at = 0;
    while at < chars.len() {
        if chars[at] != '`' {
            text.push(chars[at]);
            at += 1;
            continue;
        }
        let open = run(at);
        // The closing run has exactly as many backticks; without one, they are literal.
        let mut close = at + open;
        while close < chars.len()
            && !(chars[close] == '`' && run(close) == open && (close == 0 || chars[close - 1] != '`'))
        {
            close += 1;
        }
        if close < chars.len() {
            text.push_str("code");
            text.extend(chars[at..close + open].iter().filter(|&&c| c == '\n'));
            at = close + open;
        } else {
            text.push_str(&"`".repeat(open));
            at += open;
        }
    }
    text
}

/// GitHub's anchor for a heading: lower case, spaces to hyphens, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every heading's anchor in a Markdown file, as GitHub makes them (a repeated one gets `-1`,
/// `-2`, …).
fn anchors(markdown: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if fenced || !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let count = seen.entry(base.clone()).or_insert(0);
        anchors.push(if *count == 0 { base.clone() } else { format!("{base}-{count}") });
        *count += 1;
    }
    anchors
}

/// The targets of the inline links and images in a Markdown file's prose.
fn links(markdown: &str) -> Vec<String> {
    let text = prose(markdown);
    let mut targets = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').expect("a link's target ends with )");
        targets.push(rest[..end].trim().to_string());
        rest = &rest[end..];
    }
    targets
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in documentation() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for target in links(&text) {
            if ["http://", "https://", "mailto:"].iter().any(|scheme| target.starts_with(scheme)) {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let linked = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            if !linked.exists() {
                broken.push(format!("{name}: ({target}): no file {}", linked.display()));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            let headings = anchors(&std::fs::read_to_string(&linked).unwrap());
            if !headings.iter().any(|heading| heading == anchor) {
                broken.push(format!("{name}: ({target}): no heading with that anchor in {}", linked.display()));
            }
        }
    }
    assert!(checked > 50, "found only {checked} relative links");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn slugs_and_links_are_read_as_github_reads_them() {
    assert_eq!(slug(" `flowcap --check`"), "flowcap---check");
    assert_eq!(slug(" From your deployment: `--compose`"), "from-your-deployment---compose");
    assert_eq!(slug(" Five minutes with Flow-Like's compose files"), "five-minutes-with-flow-likes-compose-files");
    assert_eq!(anchors("# A\n```sh\n# not a heading\n```\n## A\n#not one\n"), ["a", "a-1"]);
    let markdown = "[a](x.md#y) `[b](in-code)` and `wrapped\n[c](in-code)` ![d](e.svg)\n```\n[f](g)\n```\n";
    assert_eq!(links(markdown), ["x.md#y", "e.svg"]);
}
