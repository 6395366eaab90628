//! flowcap: a capacity planner for self-hosted Flow-Like on Docker Compose and Kubernetes.
//!
//! The core is pure: a [`model::plan::Plan`] goes in, [`analysis::figures::Analysis`] figures and
//! [`analysis::rules::Finding`]s come out, and [`report`] renders them. The CLI and the TUI only call it,
//! so they can never disagree.

pub mod analysis;
pub mod inputs;
pub mod io;
pub mod model;
pub mod observe;
pub mod platform;
pub mod report;
pub mod tui;
