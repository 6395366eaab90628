//! Flow-Like on Kubernetes with its Helm chart: the chart's values in and out (placing the pods is
//! arithmetic: [`crate::analysis::placement`]).

pub mod export;
pub mod schema;
pub mod values;
