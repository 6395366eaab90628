//! Compose's variable interpolation, written by hand because no maintained crate follows
//! Compose's rules: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}`
//! (unset), `${VAR:?message}` / `${VAR?message}` (required), `${VAR:+alt}` / `${VAR+alt}`,
//! nested expressions inside defaults, and `$$` for a literal `$`. An unset variable without a
//! default becomes the empty string, as in Compose.

/// Why a string could not be interpolated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${VAR:?message}` or `${VAR?message}` with VAR unset (or empty, for `:?`).
    Required { variable: String, message: String },
    /// Not a valid expression, e.g. `${}` or an unclosed `${`.
    Invalid { expression: String },
    /// Defaults nested deeper than [`MAX_NESTING`].
    TooDeep,
    /// A value grew past [`MAX_VALUE_BYTES`] (variables that double each other, say).
    TooLong,
}

/// How deep `${A:-${B:-…}}` may nest: real files use two or three levels.
pub const MAX_NESTING: usize = 16;

/// The longest value interpolation may make: no compose value is near it, and variables that
/// double each other would otherwise grow until memory runs out.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

impl std::fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolationError::Required { variable, message } if message.is_empty() => {
                write!(f, "required variable {variable} is not set")
            }
            InterpolationError::Required { variable, message } => {
                write!(f, "required variable {variable} is not set: {message}")
            }
            // The expression may be part of a secret (a password containing `${`): its place is
            // given, not its text.
            InterpolationError::Invalid { .. } => {
                write!(f, "invalid interpolation: a `$` that starts no variable (`$$` is a literal `$`)")
            }
            InterpolationError::TooDeep => write!(f, "defaults nest deeper than {MAX_NESTING} `${{…}}`"),
            InterpolationError::TooLong => write!(f, "a value grows past {} MiB", MAX_VALUE_BYTES / (1024 * 1024)),
        }
    }
}

/// Interpolates `text`, looking variables up with `lookup`.
///
/// ```
/// use flowcap::platform::compose::interpolate::interpolate;
/// let env = |name: &str| (name == "API_PORT").then_some("9000");
/// assert_eq!(interpolate("${API_PORT:-8080}:8080", &env).unwrap(), "9000:8080");
/// assert_eq!(interpolate("${METRICS_PORT:-9090}", &env).unwrap(), "9090");
/// assert_eq!(interpolate("$$HOME", &env).unwrap(), "$HOME");
/// ```
pub fn interpolate<'a>(text: &str, lookup: &impl Fn(&str) -> Option<&'a str>) -> Result<String, InterpolationError> {
    interpolate_nested(text, lookup, 0)
}

fn interpolate_nested<'a>(
    text: &str,
    lookup: &impl Fn(&str) -> Option<&'a str>,
    depth: usize,
) -> Result<String, InterpolationError> {
    if depth > MAX_NESTING {
        return Err(InterpolationError::TooDeep);
    }
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if after.starts_with('{') {
            let end = closing_brace(after).ok_or_else(|| invalid(&rest[dollar..]))?;
            let value = braced(&after[1..end], lookup, depth).map_err(|error| match error {
                InterpolationError::Invalid { .. } => invalid(&rest[dollar..dollar + end + 2]),
                required => required,
            })?;
            out.push_str(&value);
            rest = &after[end + 1..];
        } else {
            let length = name_length(after);
            if length == 0 {
                let shown: String = rest[dollar..].chars().take(2).collect();
                return Err(invalid(&shown));
            }
            out.push_str(lookup(&after[..length]).unwrap_or(""));
            rest = &after[length..];
        }
    }
    out.push_str(rest);
    if out.len() > MAX_VALUE_BYTES {
        return Err(InterpolationError::TooLong);
    }
    Ok(out)
}

fn invalid(expression: &str) -> InterpolationError {
    InterpolationError::Invalid { expression: expression.to_string() }
}

/// Length of the variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn name_length(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.first().is_none_or(|b| !(b.is_ascii_alphabetic() || *b == b'_')) {
        return 0;
    }
    bytes.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
}

/// Index of the `}` that closes the `{` at the start of `text`, counting nested `${`.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'{' if i == 0 => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `${...}`.
fn braced<'a>(
    inner: &str,
    lookup: &impl Fn(&str) -> Option<&'a str>,
    depth: usize,
) -> Result<String, InterpolationError> {
    let length = name_length(inner);
    if length == 0 {
        return Err(invalid(inner));
    }
    let (name, operator) = inner.split_at(length);
    let value = lookup(name);
    let set_and_nonempty = value.is_some_and(|v| !v.is_empty());
    let (op, argument) = [":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find_map(|op| operator.strip_prefix(op).map(|arg| (*op, arg)))
        .unwrap_or(("", operator));
    if op.is_empty() && !argument.is_empty() {
        return Err(invalid(inner));
    }
    let nested = |text: &str| interpolate_nested(text, lookup, depth + 1);
    match op {
        "" => Ok(value.unwrap_or("").to_string()),
        ":-" if set_and_nonempty => Ok(value.unwrap_or("").to_string()),
        ":-" => nested(argument),
        "-" => value.map_or_else(|| nested(argument), |v| Ok(v.to_string())),
        ":?" | "?" => {
            let missing = if op == ":?" { !set_and_nonempty } else { value.is_none() };
            if missing {
                // The message as written: interpolated, it could carry another variable's secret.
                Err(InterpolationError::Required { variable: name.to_string(), message: argument.to_string() })
            } else {
                Ok(value.unwrap_or("").to_string())
            }
        }
        ":+" if set_and_nonempty => nested(argument),
        "+" if value.is_some() => nested(argument),
        _ => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_for_any_input() {
        let deep = format!("{}x{}", "${A:-".repeat(30_000), "}".repeat(30_000));
        assert_eq!(interpolate(&deep, &|_| None), Err(InterpolationError::TooDeep));
        let big = "y".repeat(MAX_VALUE_BYTES / 2 + 1);
        assert_eq!(interpolate("$B$B", &|_| Some(big.as_str())), Err(InterpolationError::TooLong));
    }

    fn env(name: &str) -> Option<&'static str> {
        match name {
            "SET" => Some("value"),
            "EMPTY" => Some(""),
            "PORT" => Some("9000"),
            _ => None,
        }
    }

    fn run(text: &str) -> Result<String, InterpolationError> {
        interpolate(text, &env)
    }

    #[test]
    fn every_form() {
        let cases = [
            ("plain", "plain"),
            ("$SET", "value"),
            ("${SET}", "value"),
            ("a${SET}b", "avalueb"),
            ("$SET-x", "value-x"),
            ("${UNSET}", ""),
            ("$UNSET", ""),
            ("${UNSET:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${SET:-d}", "value"),
            ("${UNSET-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${SET:+alt}", "alt"),
            ("${EMPTY:+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${UNSET+alt}", ""),
            ("${UNSET:-${PORT}}", "9000"),
            ("${UNSET:-${ALSO:-deep}}", "deep"),
            ("${PORT:-8080}:9000", "9000:9000"),
            ("$$", "$"),
            ("$$SET", "$SET"),
            ("pg_isready -U $$POSTGRES_USER", "pg_isready -U $POSTGRES_USER"),
            ("${UNSET:-a:b}", "a:b"),
            ("${UNSET:-}", ""),
            ("${SET?must}", "value"),
            ("${EMPTY?must}", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(run(text), Ok(expected.to_string()), "{text}");
        }
    }

    #[test]
    fn required_variables() {
        assert_eq!(
            run("${UNSET:?set the key}"),
            Err(InterpolationError::Required { variable: "UNSET".into(), message: "set the key".into() })
        );
        assert!(matches!(run("${EMPTY:?x}"), Err(InterpolationError::Required { .. })));
        assert!(matches!(run("${UNSET?x}"), Err(InterpolationError::Required { .. })));
        assert_eq!(run("${UNSET?}").unwrap_err().to_string(), "required variable UNSET is not set");
    }

    #[test]
    fn invalid_forms() {
        for text in ["${}", "${", "${SET", "$", "a $ b", "${1X}", "${SET:x}", "$-"] {
            assert!(matches!(run(text), Err(InterpolationError::Invalid { .. })), "{text}: {:?}", run(text));
        }
    }
}
