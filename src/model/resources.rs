//! CPU and memory for one container: what a service's limits and reservations (a pod's
//! requests) are made of, and what a node offers.

use crate::model::units::{Bytes, Cpus};
use serde::{Deserialize, Serialize};

/// CPU and memory for one container; absent means unlimited (or unreserved).
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Cpus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
}
