//! flowcap: a capacity planner for self-hosted Flow-Like on Docker Compose.
//!
//! The core is pure: a [`model::plan::Plan`] goes in, [`analysis::Analysis`] figures and
//! [`rules::Finding`]s come out, and [`report`] renders them. The CLI and the TUI only call it,
//! so they can never disagree.

pub mod analysis;
pub mod drift;
pub mod explain;
pub mod inputs;
pub mod io;
pub mod model;
pub mod pgtune;
pub mod platform;
pub mod queueing;
pub mod report;
pub mod rules;
pub mod solve;
pub mod tui;
pub mod workload;
