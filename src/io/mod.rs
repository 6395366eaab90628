//! The edges every command shares: input errors that point at file, line and column, writes
//! that never lose what was there, text safe for a terminal, and YAML through one door
//! ([`yaml`], the only module that names the YAML crate; [`yaml_lines`] places its keys).

pub mod error;
pub mod text;
pub mod write;
pub mod yaml;
pub mod yaml_lines;
