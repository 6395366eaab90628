//! Redis as Flow-Like uses it: the queued runs' list (`exec:jobs`, no expiry) and every run's
//! state and events, kept 24 h (`DEFAULT_TTL_SECS` in the API's Redis state store; the compose
//! file's `EXECUTION_STATE_TTL_SECONDS` is read by nothing). Its container's limits are those
//! of `other_services.redis`, like every other service's.

use crate::model::units::Bytes;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long Flow-Like keeps a run's state in Redis: 24 h, fixed in its code.
pub const STATE_SECONDS: f64 = 86_400.0;

/// The service whose limits are Redis's: `other_services.redis`.
pub const SERVICE: &str = "redis";

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Redis {
    /// `--maxmemory`; none is Redis's default (0: no bound at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maxmemory: Option<Bytes>,
    /// `--maxmemory-policy`: what Redis does at maxmemory (its default, `noeviction`, refuses
    /// writes).
    pub maxmemory_policy: EvictionPolicy,
    /// `--appendonly yes`: an AOF rewrite forks, and copy-on-write can need up to the dataset
    /// again.
    pub appendonly: bool,
    /// What one run leaves in Redis for its 24 h (state and events); unknown until given or
    /// observed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_per_run: Option<Bytes>,
}

/// Redis's `maxmemory-policy` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvictionPolicy {
    #[default]
    Noeviction,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl EvictionPolicy {
    pub const ALL: [EvictionPolicy; 8] = [
        EvictionPolicy::Noeviction,
        EvictionPolicy::AllkeysLru,
        EvictionPolicy::AllkeysLfu,
        EvictionPolicy::AllkeysRandom,
        EvictionPolicy::VolatileLru,
        EvictionPolicy::VolatileLfu,
        EvictionPolicy::VolatileRandom,
        EvictionPolicy::VolatileTtl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EvictionPolicy::Noeviction => "noeviction",
            EvictionPolicy::AllkeysLru => "allkeys-lru",
            EvictionPolicy::AllkeysLfu => "allkeys-lfu",
            EvictionPolicy::AllkeysRandom => "allkeys-random",
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
        }
    }

    pub fn parse(text: &str) -> Option<EvictionPolicy> {
        EvictionPolicy::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(text))
    }

    /// Evicts any key: the queue list included.
    pub fn evicts_any_key(self) -> bool {
        self.name().starts_with("allkeys-")
    }

    /// Evicts keys with an expiry only: the runs' state, never the queue.
    pub fn evicts_state(self) -> bool {
        self.name().starts_with("volatile-")
    }
}

impl fmt::Display for EvictionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A size as Redis reads it (`redis.conf`: "1k => 1000 bytes, 1kb => 1024 bytes", and so on
/// for m/mb and g/gb, case-insensitive; a bare number is bytes).
pub fn parse_size(text: &str) -> Option<Bytes> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let number: u64 = number.parse().ok()?;
    let scale: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(scale).map(Bytes)
}

/// A size as Redis's command line takes it, exactly: `512mb`, `1gb`, or bytes.
pub fn size_argument(bytes: Bytes) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match bytes.0 {
        0 => "0".into(),
        n if n % GIB == 0 => format!("{}gb", n / GIB),
        n if n % MIB == 0 => format!("{}mb", n / MIB),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_redis_reads_them() {
        assert_eq!(parse_size("1gb"), Some(Bytes(1 << 30)));
        assert_eq!(parse_size("1G"), Some(Bytes(1_000_000_000)));
        assert_eq!(parse_size("100mb"), Some(Bytes(100 << 20)));
        assert_eq!(parse_size("5k"), Some(Bytes(5000)));
        assert_eq!(parse_size("4096"), Some(Bytes(4096)));
        assert_eq!(parse_size("12 parsecs"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("2KB"), Some(Bytes(2048)));
        assert_eq!(parse_size("3m"), Some(Bytes(3_000_000)));
        assert_eq!(parse_size("7b"), Some(Bytes(7)));
        for (bytes, argument) in
            [(Bytes(3 << 30), "3gb"), (Bytes(768 << 20), "768mb"), (Bytes(1234567), "1234567"), (Bytes(0), "0")]
        {
            assert_eq!(size_argument(bytes), argument);
            assert_eq!(parse_size(argument), Some(bytes));
        }
    }

    #[test]
    fn policies_by_what_they_evict() {
        assert!(EvictionPolicy::AllkeysLru.evicts_any_key() && !EvictionPolicy::AllkeysLru.evicts_state());
        assert!(EvictionPolicy::VolatileTtl.evicts_state() && !EvictionPolicy::VolatileTtl.evicts_any_key());
        assert!(!EvictionPolicy::Noeviction.evicts_any_key() && !EvictionPolicy::Noeviction.evicts_state());
        assert_eq!(EvictionPolicy::parse("ALLKEYS-LFU"), Some(EvictionPolicy::AllkeysLfu));
        assert_eq!(EvictionPolicy::parse("lru"), None);
    }
}
