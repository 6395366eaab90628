//! The merged values held to the chart's keys ([`crate::model::chart_keys`]): a value of the
//! wrong shape where the chart's templates walk into a mapping (`api: [1, 2]`), which Helm
//! cannot render, and keys no template reads, which Helm ignores without a word.

use crate::io::yaml::Value;
use crate::model::chart_keys::{CHART_KEYS, COMPONENTS, KeyShape};

/// One thing the chart's keys say about the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `path` is not what the chart expects there: Helm fails to render, or renders a
    /// manifest the API server refuses.
    Shape { path: String, expected: KeyShape },
    /// No template reads `path`; `nearest` is the known key under the same parent that is
    /// spelt most like it.
    Unknown { path: String, nearest: Option<&'static str> },
}

/// Every problem in `merged` under the components flowcap plans, in the order of the keys.
pub fn check(merged: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(root) = merged.as_mapping() else { return problems };
    for component in COMPONENTS {
        if let Some(value) = root.get(component) {
            walk(component, value, &mut problems);
        }
    }
    problems
}

/// Whether the chart reads the key at `path` (dotted, from the top).
pub fn is_chart_key(path: &str) -> bool {
    shape_of(path).is_some()
}

fn shape_of(path: &str) -> Option<KeyShape> {
    CHART_KEYS.binary_search_by(|(key, _)| key.cmp(&path)).ok().map(|i| CHART_KEYS[i].1)
}

fn walk(path: &str, value: &Value, problems: &mut Vec<Problem>) {
    // A null removes the key (the chart's default goes, as with `helm -f`): nothing to check.
    if value.is_null() {
        return;
    }
    let Some(expected) = shape_of(path) else { return };
    let fits = match expected {
        KeyShape::Map | KeyShape::FreeMap => value.is_mapping(),
        KeyShape::List => value.is_sequence(),
        KeyShape::Scalar => !(value.is_mapping() || value.is_sequence()),
    };
    if !fits {
        problems.push(Problem::Shape { path: path.to_string(), expected });
        return;
    }
    if expected != KeyShape::Map {
        return;
    }
    let Some(map) = value.as_mapping() else { return };
    for (key, child) in map {
        let Some(key) = key.as_str() else { continue };
        let child_path = format!("{path}.{key}");
        if shape_of(&child_path).is_some() {
            walk(&child_path, child, problems);
        } else {
            problems.push(Problem::Unknown { nearest: nearest(path, key), path: child_path });
        }
    }
}

/// The known key under `parent` spelt most like `key`, when one is close (Jaro–Winkler 0.8
/// or better, or the same but for case: `replicacount` for `replicaCount`).
fn nearest(parent: &str, key: &str) -> Option<&'static str> {
    let prefix = format!("{parent}.");
    CHART_KEYS
        .iter()
        .filter_map(|(known, _)| {
            let rest = known.strip_prefix(&prefix)?;
            (!rest.contains('.')).then_some((*known, rest))
        })
        .map(|(known, rest)| (known, strsim::jaro_winkler(&key.to_lowercase(), &rest.to_lowercase())))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(known, _)| known)
}
