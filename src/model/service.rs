//! A service of the plan by its key, so code matches an enum, not a string.

use std::borrow::Cow;
use std::fmt;

/// A workload of the plan by its key in the plan file: Flow-Like's API, runtime and Postgres,
/// the Job pods (Kubernetes), or another service by its name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    Api,
    Runtime,
    Postgres,
    Jobs,
    /// Another service by its name (borrowed in built-in tables, owned when read).
    Other(Cow<'static, str>),
}

impl ServiceKey {
    /// The key as the plan file spells it: `api`, `other_services.redis`.
    pub fn parse(key: &str) -> Option<ServiceKey> {
        Some(match key {
            "api" => ServiceKey::Api,
            "runtime" => ServiceKey::Runtime,
            "postgres" => ServiceKey::Postgres,
            "jobs" => ServiceKey::Jobs,
            other => ServiceKey::other(other.strip_prefix("other_services.")?),
        })
    }

    /// An other service by its name.
    pub fn other(name: &str) -> ServiceKey {
        ServiceKey::Other(Cow::Owned(name.to_string()))
    }
}

/// A workload named as a person says it: `tempo`, not `other_services.tempo` (messages that
/// name pods read the same whether the plan came from a plan file or Helm values).
pub fn workload_name(key: &str) -> &str {
    key.strip_prefix("other_services.").unwrap_or(key)
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Api => f.write_str("api"),
            ServiceKey::Runtime => f.write_str("runtime"),
            ServiceKey::Postgres => f.write_str("postgres"),
            ServiceKey::Jobs => f.write_str("jobs"),
            ServiceKey::Other(name) => write!(f, "other_services.{name}"),
        }
    }
}
