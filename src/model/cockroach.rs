//! CockroachDB as Flow-Like's chart runs it (`database.type: internal`, `templates/cockroachdb.yaml`
//! at ab1f822d): a StatefulSet of `database.internal.replicas` pods, each started with
//! `cockroach start-single-node --cache=… --max-sql-memory=…`. It has no `max_connections`
//! (connections are goroutines): Cockroach Labs sizes a pool at about 4 active connections
//! per vCPU of the cluster. Its pods' requests and limits are `other_services.cockroachdb`'s.

use crate::model::units::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The service whose pods are the database's: `other_services.cockroachdb`.
pub const SERVICE: &str = "cockroachdb";

/// Cockroach Labs' connection-pool guidance: about 4 active connections per vCPU of the cluster
/// ("Size connection pools", docs/design.md cites it).
pub const CONNECTIONS_PER_VCPU: u64 = 4;

/// `cockroach start` warns when --cache, --max-sql-memory and --max-tsdb-memory together pass
/// this share of the memory the process sees.
pub const MEMORY_SHARE_LINE: f64 = 0.75;

/// `--max-tsdb-memory`'s default: 1 % of the memory, at least 64 MiB.
pub fn tsdb_memory(memory: Bytes) -> Bytes {
    Bytes((memory.0 / 100).max(64 << 20))
}

#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CockroachDb {
    /// `--cache`: the storage engine's block cache.
    pub cache: MemoryFlag,
    /// `--max-sql-memory`: what SQL (sessions, sorts, joins) may hold.
    pub max_sql_memory: MemoryFlag,
    /// `start-single-node`: every pod is a database of its own, with nothing replicated.
    pub single_node: bool,
}

impl Default for CockroachDb {
    /// The chart's: 25 % each, `start-single-node`.
    fn default() -> Self {
        CockroachDb { cache: MemoryFlag::Share(0.25), max_sql_memory: MemoryFlag::Share(0.25), single_node: true }
    }
}

/// A memory flag of `cockroach start`: a share of the memory the process sees (`25%`, `.25`)
/// or a size (`512MiB`, `1GB`, bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MemoryFlag {
    Share(f64),
    Size(Bytes),
}

impl MemoryFlag {
    /// As `cockroach start` reads it: a trailing `%` is a percentage, a number below 1 a
    /// fraction, anything else a size (`KiB`…`TiB` binary, `KB`…`TB` decimal, else bytes).
    pub fn parse(text: &str) -> Result<MemoryFlag, String> {
        let text = text.trim();
        let expected = || format!("`{text}` is not a share (25%, .25) or a size (512MiB, 1GB)");
        if let Some(percent) = text.strip_suffix('%') {
            let percent: f64 = percent.trim().parse().map_err(|_| expected())?;
            return if (0.0..=100.0).contains(&percent) && percent > 0.0 {
                Ok(MemoryFlag::Share(percent / 100.0))
            } else {
                Err(expected())
            };
        }
        if let Ok(number) = text.parse::<f64>() {
            return match number {
                n if n > 0.0 && n < 1.0 => Ok(MemoryFlag::Share(n)),
                n if n >= 1.0 && n.fract() == 0.0 && n < 2f64.powi(63) => Ok(MemoryFlag::Size(Bytes(n as u64))),
                _ => Err(expected()),
            };
        }
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(expected)?;
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| expected())?;
        let scale = match unit.trim().to_ascii_lowercase().as_str() {
            // go-humanize's table, which cockroach reads sizes with: `Gi` and `GiB` alike.
            "b" => 1.0,
            "ki" | "kib" => 1024.0,
            "mi" | "mib" => 1024f64.powi(2),
            "gi" | "gib" => 1024f64.powi(3),
            "ti" | "tib" => 1024f64.powi(4),
            "k" | "kb" => 1e3,
            "m" | "mb" => 1e6,
            "g" | "gb" => 1e9,
            "t" | "tb" => 1e12,
            _ => return Err(expected()),
        };
        let bytes = number * scale;
        if bytes >= 1.0 && bytes < 2f64.powi(63) { Ok(MemoryFlag::Size(Bytes(bytes as u64))) } else { Err(expected()) }
    }

    /// What it comes to in a process that sees `memory`.
    pub fn of(self, memory: Bytes) -> Bytes {
        match self {
            MemoryFlag::Share(share) => Bytes((memory.0 as f64 * share) as u64),
            MemoryFlag::Size(size) => size,
        }
    }
}

impl fmt::Display for MemoryFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemoryFlag::Share(share) => write!(f, "{}%", crate::model::units::trim_decimal(share * 100.0, 2)),
            MemoryFlag::Size(size) => write!(f, "{}B", size.0),
        }
    }
}

impl Serialize for MemoryFlag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemoryFlag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(f64),
            Text(String),
        }
        let text = match Written::deserialize(deserializer)? {
            Written::Number(n) => n.to_string(),
            Written::Text(t) => t,
        };
        MemoryFlag::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_cockroach_start_reads_them() {
        assert_eq!(MemoryFlag::parse("25%"), Ok(MemoryFlag::Share(0.25)));
        assert_eq!(MemoryFlag::parse(".35"), Ok(MemoryFlag::Share(0.35)));
        assert_eq!(MemoryFlag::parse("512MiB"), Ok(MemoryFlag::Size(Bytes(512 << 20))));
        assert_eq!(MemoryFlag::parse("1GB"), Ok(MemoryFlag::Size(Bytes(1_000_000_000))));
        assert_eq!(MemoryFlag::parse("3Gi"), Ok(MemoryFlag::Size(Bytes(3 << 30))));
        assert_eq!(MemoryFlag::parse("1048576"), Ok(MemoryFlag::Size(Bytes(1 << 20))));
        for bad in ["", "0%", "150%", "-1", "lots", "3 parsecs", "0"] {
            assert!(MemoryFlag::parse(bad).is_err(), "{bad}");
        }
        // The share of a 2 GiB limit; a size is what it says.
        assert_eq!(MemoryFlag::Share(0.25).of(Bytes(2 << 30)), Bytes(512 << 20));
        assert_eq!(MemoryFlag::Size(Bytes(7)).of(Bytes(2 << 30)), Bytes(7));
        // --max-tsdb-memory: 1 %, at least 64 MiB.
        assert_eq!(tsdb_memory(Bytes(2 << 30)), Bytes(64 << 20));
        assert_eq!(tsdb_memory(Bytes(100 << 30)), Bytes((100 << 30) / 100));
        assert_eq!(MemoryFlag::Share(0.25).to_string(), "25%");
    }
}
