//! What a plan means: its figures (concurrent executions, connections, host fit, Postgres
//! memory, pods placed on the cluster's nodes), the rules that turn them into findings (the
//! plan held against what Prometheus observed among them), PGTune's advice, queueing under a
//! workload, the smallest change that meets it, drift from a deployment, and where each
//! default comes from.

pub mod affinity;
pub mod autoscaler;
pub mod cockroach;
pub mod drift;
pub mod explain;
pub mod figures;
pub mod node_model;
pub mod orders;
pub mod pgtune;
pub mod placement;
pub mod pod_workloads;
pub mod poisson;
pub mod postgres_memory;
pub mod queueing;
pub mod redis;
pub mod rules;
pub mod scheduler;
pub mod solve;
pub mod streaming;
pub mod workload;
