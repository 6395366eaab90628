//! Bad input: what was wrong, and where, so the operator can go straight to it.

use std::fmt;

/// An input the planner cannot use: a file that cannot be read, YAML that does not parse, a
/// value of the wrong type or out of range. Shown as `file:line:column: message`; the CLI exits
/// with status 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { file: file.into(), position: None, message: message.into() }
    }

    pub fn at(file: impl Into<String>, position: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        InputError { file: file.into(), position, message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for InputError {}
