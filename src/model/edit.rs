//! Plan edits: a value set at a dotted plan path, in the form the plan file takes. A finding's
//! fix carries them, so the planner and `flowcap solve` act on data, not on the fix's words.

use crate::model::plan::Plan;
use crate::model::units::{Bytes, Cpus};
use serde::Serialize;
use std::fmt;

/// One plan edit: set the value at a dotted plan path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub value: Setting,
}

/// A plan value in the form the plan file takes (a count, `0.5` CPUs, `512MiB`, a flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Setting {
    Count(u64),
    Cpus(Cpus),
    Size(Bytes),
    Flag(bool),
}

impl Change {
    /// Sets the value in `plan`; false when the path is not one a fix sets.
    pub fn apply(&self, plan: &mut Plan) -> bool {
        let count = |value: Setting| match value {
            Setting::Count(n) => u32::try_from(n).ok(),
            _ => None,
        };
        let value = self.value;
        let set_u32 = |field: &mut u32| count(value).map(|n| *field = n).is_some();
        match (self.path.as_str(), value) {
            ("host.cpus", Setting::Cpus(cpus)) => plan.host.as_mut().map(|h| h.cpus = cpus).is_some(),
            ("host.memory", Setting::Size(size)) => plan.host.as_mut().map(|h| h.memory = size).is_some(),
            ("postgres.max_connections", _) => set_u32(&mut plan.postgres.max_connections),
            ("postgres.shared_buffers", Setting::Size(size)) => {
                plan.postgres.shared_buffers = size;
                true
            }
            ("postgres.clients_are_superuser", Setting::Flag(flag)) => {
                plan.postgres.clients_are_superuser = flag;
                true
            }
            ("api.shared_jwt_keys", Setting::Flag(flag)) => {
                plan.api.shared_jwt_keys = Some(flag);
                true
            }
            ("runtime.replicas", _) => set_u32(&mut plan.runtime.replicas),
            ("runtime.max_concurrent_executions", _) => set_u32(&mut plan.runtime.max_concurrent_executions),
            ("api.autoscaling.max", _) => plan.api.autoscaling.as_mut().is_some_and(|hpa| set_u32(&mut hpa.max)),
            ("jobs.max_concurrent", _) => plan.jobs.as_mut().is_some_and(|jobs| set_u32(&mut jobs.max_concurrent)),
            (path, value) => {
                // `KEY.limits.cpus`, `KEY.reservations.memory`, …
                let Some((rest, resource)) = path.rsplit_once('.') else { return false };
                let Some((key, block)) = rest.rsplit_once('.') else { return false };
                let Some((limits, reservations)) = plan.resources_mut(key) else { return false };
                let resources = match block {
                    "limits" => limits,
                    "reservations" => reservations,
                    _ => return false,
                };
                match (resource, value) {
                    ("cpus", Setting::Cpus(cpus)) => resources.cpus = Some(cpus),
                    ("memory", Setting::Size(size)) => resources.memory = Some(size),
                    _ => return false,
                }
                true
            }
        }
    }
}

impl fmt::Display for Setting {
    /// As the findings write the value: `113`, `0.5`, `2 GiB`, `true`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Count(n) => write!(f, "{n}"),
            Setting::Cpus(cpus) => write!(f, "{cpus}"),
            Setting::Size(size) => write!(f, "{size}"),
            Setting::Flag(flag) => write!(f, "{flag}"),
        }
    }
}
