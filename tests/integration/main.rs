//! The integration tests: one binary (each test binary links the whole crate), a module per
//! area. `common` holds what they share.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

mod alert_rules;
mod analysis;
mod anti_affinity;
mod architecture;
mod autoscaler;
mod ci_examples;
mod cli;
mod common;
mod compose;
mod compose_cli;
mod corpus;
mod e2e_tmux;
mod edits;
mod export;
mod export_stacks;
mod formats;
mod helm;
mod helm_values;
mod hostile;
mod init;
mod json_schema;
mod kubernetes;
mod managed;
mod node_models;
mod observe;
mod pgtune;
mod pgtune_export;
mod pod_affinity;
mod postgres;
mod properties;
mod queueing;
mod readme;
mod readme_commands;
mod redis;
mod rules;
mod scheduler;
mod scrape;
mod screenshot;
mod secrets;
mod solve;
mod tui;
mod tui_values;
mod units;
