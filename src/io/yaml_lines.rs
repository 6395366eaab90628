//! Where each key of a block-style YAML document stands, so findings and range errors can
//! point at a line. The YAML parser reports positions only for its own errors; this light scan of
//! the text covers the rest. Keys inside one-line flow mappings (`{cpus: 4}`) are found too;
//! anything it cannot place falls back to the nearest enclosing key.

use rustc_hash::FxHashMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLines {
    /// Keyed by dotted path. Fx hashing: the keys are the file's own, and scanning is on the
    /// path of every command that reads a compose file.
    positions: FxHashMap<String, (usize, usize)>,
}

impl KeyLines {
    pub fn scan(text: &str) -> KeyLines {
        let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
        let mut positions = FxHashMap::with_capacity_and_hasher(lines, Default::default());
        // The keys enclosing the current line, with their indentation and where each ends in
        // `path`, the dotted path of the current key: one buffer, no string built per line.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let mut path = String::new();
        for (index, raw) in text.lines().enumerate() {
            let line_number = index + 1;
            let content = raw.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let mut indent = raw.len() - content.len();
            let mut content = content;
            while let Some(item) = content.strip_prefix("- ") {
                indent += 2;
                content = item.trim_start_matches(' ');
            }
            let Some((key, rest)) = split_key(content) else { continue };
            while stack.last().is_some_and(|(level, _)| *level >= indent) {
                stack.pop();
            }
            path.truncate(stack.last().map_or(0, |(_, end)| *end));
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            if !positions.contains_key(path.as_str()) {
                positions.insert(path.clone(), (line_number, indent + 1));
            }
            let rest_offset = raw.len() - rest.len();
            let flow = rest.trim_start();
            if flow.starts_with('{') {
                let flow_offset = rest_offset + (rest.len() - flow.len());
                for (inner, column) in flow_keys(flow) {
                    positions.entry(format!("{path}.{inner}")).or_insert((line_number, flow_offset + column + 1));
                }
            }
            stack.push((indent, path.len()));
        }
        KeyLines { positions }
    }

    /// Line and column of exactly `path` (dotted), when the text spells it out.
    pub fn locate_exact(&self, path: &str) -> Option<(usize, usize)> {
        self.positions.get(path).copied()
    }

    /// Line and column of `path` (dotted), or of its nearest enclosing key that was found.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        self.locate_nearest(path).map(|(_, position)| position)
    }

    /// The longest prefix of `path` the text spells out (its length: longer is nearer) and
    /// where it stands.
    pub fn locate_nearest(&self, path: &str) -> Option<(usize, (usize, usize))> {
        let mut path = path;
        loop {
            if let Some(position) = self.positions.get(path) {
                return Some((path.len(), *position));
            }
            path = &path[..path.rfind('.')?];
        }
    }
}

/// `key: rest` → (key without quotes, rest); `None` for lines that do not start a key.
fn split_key(content: &str) -> Option<(&str, &str)> {
    let (key, after) = if let Some(quote @ ('"' | '\'')) = content.chars().next() {
        let end = content[1..].find(quote)? + 1;
        (&content[1..end], content[end + 1..].strip_prefix(':')?)
    } else {
        let bytes = content.as_bytes();
        let colon = (0..bytes.len()).find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' '))?;
        (&content[..colon], &content[colon + 1..])
    };
    let plain = key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '<'));
    (plain && !key.is_empty()).then_some((key, after))
}

/// How deep in a flow mapping keys are placed: deeper than any key flowcap reads, and a bound
/// on the work a hostile line (`{a: {a: {a: …`) can make: each key's path is built once.
const FLOW_DEPTH: usize = 16;

/// Keys of a one-line flow mapping, nested mappings included (`resources.limits.memory`, to
/// [`FLOW_DEPTH`] levels), with their byte offset in `flow`. Keys inside a sequence
/// (`[ { a: 1 } ]`) have no dotted path here and are left to their nearest mapping key;
/// quoted text is skipped.
fn flow_keys(flow: &str) -> Vec<(String, usize)> {
    let mut keys = Vec::new();
    // The open containers (true: a mapping), and the key each mapping is under.
    let mut open: Vec<bool> = Vec::new();
    // Sequences among them: keys inside one have no dotted path.
    let mut sequences = 0usize;
    let mut names: Vec<String> = Vec::new();
    let mut key_start = None;
    let mut quote = None;
    for (offset, c) in flow.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        let in_mapping = sequences == 0 && open.len() <= FLOW_DEPTH && open.last() == Some(&true);
        match c {
            '"' | '\'' => quote = Some(c),
            '{' | '[' => {
                open.push(c == '{');
                sequences += usize::from(c == '[');
                key_start = (c == '{').then_some(offset + 1);
            }
            '}' | ']' => {
                if open.pop() == Some(false) {
                    sequences -= 1;
                }
                names.truncate(open.len().saturating_sub(1));
                key_start = None;
            }
            ',' if in_mapping => key_start = Some(offset + 1),
            ':' if in_mapping => {
                if let Some(start) = key_start.take() {
                    let text = &flow[start..offset];
                    let key = text.trim().trim_matches(['"', '\'']);
                    if !key.is_empty() {
                        names.truncate(open.len() - 1);
                        names.push(key.to_string());
                        keys.push((names.join("."), start + (text.len() - text.trim_start().len())));
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_and_flow_keys() {
        let text = "# plan\nname: x\nruntime:\n  replicas: 4\n  limits: { cpus: 4, memory: 8G }\npostgres:\n  max_connections: 100\n";
        let lines = KeyLines::scan(text);
        assert_eq!(lines.locate("name"), Some((2, 1)));
        assert_eq!(lines.locate("runtime.replicas"), Some((4, 3)));
        assert_eq!(lines.locate("runtime.limits"), Some((5, 3)));
        assert_eq!(lines.locate("runtime.limits.cpus"), Some((5, 13)));
        assert_eq!(lines.locate("runtime.limits.memory"), Some((5, 22)));
        assert_eq!(lines.locate("postgres.max_connections"), Some((7, 3)));
        // Not written: falls back to the enclosing key.
        assert_eq!(lines.locate("postgres.shared_buffers"), Some((6, 1)));
        assert_eq!(lines.locate("host.cpus"), None);
        // Nested flow mappings on one line, and a sequence's items left to their key.
        let text = "api: { resources: { limits: { memory: 1Gi, cpu: '1' } }, replicaCount: 3 }\n\
                    web: { tolerations: [ { key: a } ], 'name:x': { b: 1 } }\n";
        let lines = KeyLines::scan(text);
        assert_eq!(lines.locate_exact("api.resources"), Some((1, 8)));
        assert_eq!(lines.locate_exact("api.resources.limits"), Some((1, 21)));
        assert_eq!(lines.locate_exact("api.resources.limits.memory"), Some((1, 31)));
        assert_eq!(lines.locate_exact("api.resources.limits.cpu"), Some((1, 44)));
        assert_eq!(lines.locate_exact("api.replicaCount"), Some((1, 58)));
        assert_eq!(lines.locate_exact("web.tolerations.key"), None);
        assert_eq!(lines.locate("web.tolerations.0.key"), Some((2, 8)));
        assert_eq!(lines.locate_exact("web.name:x.b"), Some((2, 49)));
    }
}
