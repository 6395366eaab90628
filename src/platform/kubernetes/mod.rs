//! Flow-Like on Kubernetes with its Helm chart: placing the plan's pods on the cluster, and
//! the chart's values in and out.

pub mod fit;
pub mod values;
