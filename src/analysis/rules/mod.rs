//! Findings: what is wrong or risky in a plan, each under a stable rule id ([`RULES`], one
//! table) with the numbers and a concrete fix that carries its plan edits. The checks live by
//! topic; [`evaluate`] runs them all.

mod check;
mod cockroach;
mod connections;
mod deployment;
mod finding;
mod fit;
pub mod observed;
mod postgres;
mod redis;
mod slots;
mod streaming;
mod table;
mod workload;

pub use check::{brought, evaluate, resource_problems, serious};
pub use finding::Finding;
pub use table::{RULES, Rule, RuleId, Severity};
