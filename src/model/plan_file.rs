//! The plan as a file flowcap writes: a header saying flowcap wrote it, the figures a
//! provider or PostgreSQL gives left out (so naming another later moves them), a Kubernetes
//! plan's quantities spelt as Helm values spell them, and a comment on every key.

use crate::model::plan::{Plan, Postgres};
use crate::model::units::{Bytes, Cpus};

impl Plan {
    /// The plan as a file flowcap writes: a header saying so (and `note`, e.g. where it came
    /// from), then the YAML with a comment on every key.
    pub fn to_file_text(&self, note: &str) -> Result<String, crate::io::error::InputError> {
        use crate::io::yaml::Value;
        let mut value = crate::io::yaml::to_value("plan", self)?;
        // A compose plan spells out how HTTP runs reach its runtimes even at the default: `dns`
        // is the finding an operator most needs to see (one runtime may take them all).
        let routing = crate::io::yaml::to_value("plan", &self.runtime.http_routing)?;
        if self.platform.is_compose()
            && let Some(Value::Mapping(runtime)) = value.get_mut("runtime")
        {
            runtime.insert("http_routing".into(), routing);
        }
        // PostgreSQL's own reserved slots are left out: a plan that later names a managed
        // database (RDS keeps 2 more) then gets its provider's, not PostgreSQL's pinned.
        if let (None, Some(Value::Mapping(postgres))) = (&self.postgres.managed, value.get_mut("postgres")) {
            let (pg, default) = (&self.postgres, Postgres::default());
            if pg.superuser_reserved_connections == default.superuser_reserved_connections {
                postgres.remove("superuser_reserved_connections");
            }
            if pg.reserved_connections == default.reserved_connections {
                postgres.remove("reserved_connections");
            }
        }
        // A managed database's figures its provider gives are left to the provider, so naming
        // the instance later moves them.
        if let (Some(managed), Some(Value::Mapping(postgres))) = (&self.postgres.managed, value.get_mut("postgres")) {
            let pg = &self.postgres;
            let given =
                managed.defaults().ok().flatten().map_or(Postgres::default().max_connections, |d| d.max_connections);
            let reserved = managed.provider.reserved_connections();
            for (key, theirs) in [
                ("max_connections", pg.max_connections == given && !pg.max_connections_given),
                ("superuser_reserved_connections", pg.superuser_reserved_connections == reserved.0),
                ("reserved_connections", pg.reserved_connections == reserved.1),
            ] {
                if theirs {
                    postgres.remove(key);
                }
            }
        }
        // A Kubernetes plan's sizes and CPUs are spelt as its Helm values spell them (`2Gi`,
        // `250m`): an operator copying `2G` into values would get 2·10⁹ bytes.
        if !self.platform.is_compose() {
            kubernetes_quantities(&mut value);
        }
        crate::io::yaml::whole_numbers(&mut value, &["cpus"]);
        let yaml = crate::io::yaml::to_text("plan", &value)?;
        // Every plan flowcap writes explains itself: a comment on every key.
        Ok(crate::model::annotate::annotate(&format!("{} {note}\n{yaml}", crate::io::write::WRITTEN_BY)))
    }
}

/// The plan's keys that hold a size ([`Bytes`]).
const SIZE_KEYS: [&str; 9] = [
    "memory",
    "base_memory",
    "shared_buffers",
    "data_size",
    "min_memory_per_slot",
    "memory_per_connection",
    "memory_per_execution",
    "maxmemory",
    "state_per_run",
];

/// Rewrites every size and CPU amount in a serialized plan in its Kubernetes form (`2G` →
/// `2Gi`, `0.25` → `250m`); the nodes' `labels` are the operator's text and stay as written.
fn kubernetes_quantities(value: &mut crate::io::yaml::Value) {
    use crate::io::yaml::Value;
    match value {
        Value::Mapping(map) => {
            for (key, entry) in map.iter_mut() {
                match (key.as_str(), entry) {
                    (Some("labels"), _) => {}
                    (Some(key), Value::String(text)) if SIZE_KEYS.contains(&key) => {
                        if let Ok(size) = Bytes::parse(text) {
                            *text = size.binary();
                        }
                    }
                    (Some("cpus"), entry @ Value::Number(_)) => {
                        if let Some(cpus) = entry.as_f64().and_then(|n| Cpus::parse(&n.to_string()).ok()) {
                            // Whole CPUs stay a number (`2`); the rest in millicores (`250m`).
                            *entry = if cpus.0.is_multiple_of(1000) {
                                Value::from(cpus.0 / 1000)
                            } else {
                                Value::String(cpus.kubernetes())
                            };
                        }
                    }
                    (_, entry) => kubernetes_quantities(entry),
                }
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(kubernetes_quantities),
        _ => {}
    }
}
