//! The plan and what it is made of: the plan itself and its validation, units, resources,
//! services and the typed edits a fix carries, the deployment facts it takes, the cluster and
//! Flow-Like's chart as data, the built-in presets, what Prometheus observed as data, and
//! loading a plan file with the place of every key.

pub mod annotate;
pub mod chart;
pub mod chart_keys;
pub mod cluster;
pub mod cockroach;
pub mod edit;
pub mod eks;
pub mod facts;
pub mod load;
pub mod managed;
pub mod observed;
pub mod plan;
pub mod plan_file;
pub mod presets;
pub mod redis;
pub mod resources;
pub mod service;
pub mod units;
pub mod validate;
pub mod workload;
