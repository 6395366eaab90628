//! Compose's merge rules for several files: mappings merge key by key, command-like sequences
//! are replaced and others united, the keys Compose merges by a key do so, and `!reset` /
//! `!override` tags win.

use crate::io::yaml::Value;
use crate::io::yaml::{Tag, TaggedValue};

pub(super) fn tag_is(tagged: &TaggedValue, name: &str) -> bool {
    tagged.tag == Tag::new(name)
}

/// Keys under a service whose sequences the override replaces (Compose: command, entrypoint,
/// healthcheck.test).
fn replaces(path: &[String]) -> bool {
    matches!(path, [s, _, key] if s == "services" && (key == "command" || key == "entrypoint"))
        || matches!(path, [s, _, h, t] if s == "services" && h == "healthcheck" && t == "test")
}

/// Keys under a service that Compose merges as a mapping even when written as a list.
fn merges_by_key(path: &[String]) -> bool {
    matches!(path, [s, _, key] if s == "services" && (key == "environment" || key == "labels"))
}

/// `["A=1", "B"]` → `{A: "1", B: null}`; mappings pass through.
fn as_mapping(value: Value) -> Value {
    match value {
        Value::Sequence(items) => Value::Mapping(
            items
                .into_iter()
                .filter_map(|item| {
                    let text = item.as_str()?.to_string();
                    Some(match text.split_once('=') {
                        Some((k, v)) => (Value::String(k.to_string()), Value::String(v.to_string())),
                        None => (Value::String(text), Value::Null),
                    })
                })
                .collect(),
        ),
        other => other,
    }
}

/// Merges `over` into `base` by Compose's rules: mappings key by key, `environment` and
/// `labels` by variable, command-like sequences replaced, other sequences united without
/// duplicates, scalars replaced; `!reset` removes a value and `!override` replaces it whole.
pub fn merge(base: &mut Value, over: Value, path: &mut Vec<String>) {
    let over = match over {
        Value::Tagged(tagged) if tag_is(&tagged, "override") => {
            *base = tagged.value;
            return;
        }
        Value::Tagged(tagged) if tag_is(&tagged, "reset") => {
            *base = Value::Null;
            return;
        }
        other => other,
    };
    let keyed = merges_by_key(path);
    let (base_value, over) =
        if keyed { (as_mapping(std::mem::take(base)), as_mapping(over)) } else { (std::mem::take(base), over) };
    *base = match (base_value, over) {
        (Value::Mapping(mut into), Value::Mapping(from)) => {
            for (key, value) in from {
                path.push(key.as_str().unwrap_or_default().to_string());
                let reset = matches!(&value, Value::Tagged(t) if tag_is(t, "reset"));
                if reset {
                    into.remove(&key);
                } else {
                    let slot = into.entry(key).or_insert(Value::Null);
                    merge(slot, value, path);
                }
                path.pop();
            }
            Value::Mapping(into)
        }
        (Value::Sequence(mut into), Value::Sequence(from)) if !replaces(path) => {
            // A set, not a scan per item: two long lists merge in linear time.
            let mut seen: std::collections::HashSet<Value> = into.iter().cloned().collect();
            for item in from {
                if seen.insert(item.clone()) {
                    into.push(item);
                }
            }
            Value::Sequence(into)
        }
        (_, over) => strip_tags(over),
    };
}

/// A value as it lands in the merged model: tags (`!reset []` in a first file) removed, in
/// place (most values have none, and rebuilding them would copy the whole file).
pub(super) fn strip_tags(mut value: Value) -> Value {
    strip_tags_in_place(&mut value);
    value
}

fn strip_tags_in_place(value: &mut Value) {
    match value {
        Value::Tagged(tagged) if tag_is(tagged, "reset") => *value = Value::Null,
        Value::Tagged(tagged) => {
            let inner = std::mem::take(&mut tagged.value);
            *value = strip_tags(inner);
        }
        Value::Mapping(mapping) => mapping.values_mut().for_each(strip_tags_in_place),
        Value::Sequence(items) => items.iter_mut().for_each(strip_tags_in_place),
        _ => {}
    }
}
