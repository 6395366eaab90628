//! Bad input: what was wrong, and where, so the operator can go straight to it.

use std::fmt;

/// Where a bad input is: the file (or the flag, for command-line values) and, when the parser
/// knows it, the 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn new(file: impl Into<String>, position: Option<(usize, usize)>) -> Self {
        let (line, column) = position.unzip();
        Location { file: file.into(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}", self.file),
            _ => f.write_str(&self.file),
        }
    }
}

/// An input the planner cannot use. Shown as `file:line:column: message`; the CLI exits with
/// status 2 for every kind. The kind tells tooling (the JSON error object) what went wrong
/// without parsing the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The file cannot be read as text: missing, a directory or a FIFO, too large, not UTF-8.
    #[error("{at}: {message}")]
    Unreadable { at: Location, message: String },
    /// The text does not parse: YAML syntax, a `.env` line, an interpolation.
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },
    /// A value parses but cannot be used: a wrong type, out of range, an unknown key or name.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    /// The inputs contradict each other or lack what the command needs: a role given twice,
    /// no plan to diff, a plan name that clashes with the deployment's.
    #[error("{at}: {message}")]
    Conflict { at: Location, message: String },
    /// flowcap refuses to write there, or the write failed (nothing was changed).
    #[error("{at}: {message}")]
    Unwritable { at: Location, message: String },
}

impl InputError {
    pub fn unreadable(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Unreadable { at: Location::new(file, None), message: message.into() }
    }

    pub fn syntax(file: impl Into<String>, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        InputError::Syntax { at: Location::new(file, position), message: message.into() }
    }

    pub fn invalid(file: impl Into<String>, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        InputError::Invalid { at: Location::new(file, position), message: message.into() }
    }

    pub fn conflict(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Conflict { at: Location::new(file, None), message: message.into() }
    }

    pub fn unwritable(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::Unwritable { at: Location::new(file, None), message: message.into() }
    }

    pub fn location(&self) -> &Location {
        match self {
            InputError::Unreadable { at, .. }
            | InputError::Syntax { at, .. }
            | InputError::Invalid { at, .. }
            | InputError::Conflict { at, .. }
            | InputError::Unwritable { at, .. } => at,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            InputError::Unreadable { message, .. }
            | InputError::Syntax { message, .. }
            | InputError::Invalid { message, .. }
            | InputError::Conflict { message, .. }
            | InputError::Unwritable { message, .. } => message,
        }
    }

    /// The kind as a stable lower-case word, for the JSON error object.
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::Unreadable { .. } => "unreadable",
            InputError::Syntax { .. } => "syntax",
            InputError::Invalid { .. } => "invalid",
            InputError::Conflict { .. } => "conflict",
            InputError::Unwritable { .. } => "unwritable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_shows_as_file_line_column_and_its_absence_as_the_file_alone() {
        let placed = InputError::invalid("plan.yaml", Some((3, 13)), "runtime.replicas: too large");
        assert_eq!(placed.to_string(), "plan.yaml:3:13: runtime.replicas: too large");
        assert_eq!((placed.location().line, placed.location().column), (Some(3), Some(13)));
        let unplaced = InputError::conflict("--service", "role runtime is given twice");
        assert_eq!(unplaced.to_string(), "--service: role runtime is given twice");
        assert_eq!(unplaced.kind(), "conflict");
        assert_eq!(unplaced.message(), "role runtime is given twice");
    }
}
