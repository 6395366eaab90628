//! The edges every command shares: input errors that point at file, line and column, and
//! writes that never lose what was there.

pub mod error;
pub mod text;
pub mod write;
pub mod yaml;
pub mod yaml_lines;
