//! Managed PostgreSQL: the default `max_connections` each provider derives from the instance,
//! and the connections it keeps for itself, as each provider publishes them (docs/design.md,
//! "Managed databases", cites every figure):
//!
//! - Amazon RDS: `LEAST({DBInstanceClassMemory/9531392}, 5000)`, where DBInstanceClassMemory is
//!   the class's memory less what RDS keeps for the OS and its processes, which AWS does not
//!   publish: from the class's memory the formula gives an upper bound. 3 slots for superusers
//!   and 2 for `rds_superuser` (`rds.rds_superuser_reserved_connections`).
//! - Amazon Aurora PostgreSQL: the same formula; AWS publishes the value per instance class,
//!   which is lower than the formula on the nominal memory (db.t3.medium 420, not 450). 3
//!   connections for AWS's automation.
//! - Azure Database for PostgreSQL flexible server: a table by SKU; 15 connections reserved for
//!   replication and monitoring.
//! - Google Cloud SQL: 25 on db-f1-micro; the other tiers' figures are not in flowcap's sources,
//!   so the plan gives them.

use crate::model::units::Bytes;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Rds,
    Aurora,
    Cloudsql,
    Azure,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Rds => "Amazon RDS",
            Provider::Aurora => "Amazon Aurora",
            Provider::Cloudsql => "Cloud SQL",
            Provider::Azure => "Azure Database for PostgreSQL",
        }
    }

    /// The slots no Flow-Like client can take (PostgreSQL's superuser slots, or the provider's
    /// own), and those only a privileged role takes (RDS's `rds_superuser` ones).
    pub fn reserved_connections(self) -> (u32, u32) {
        match self {
            Provider::Rds => (3, 2),
            Provider::Aurora | Provider::Cloudsql => (3, 0),
            Provider::Azure => (AZURE_RESERVED, 0),
        }
    }

    /// The provider a database host name says, where it says one: `*.rds.amazonaws.com`
    /// (Aurora's cluster endpoints `*.cluster-*`), `*.postgres.database.azure.com`, and Cloud
    /// SQL's socket directory `/cloudsql/…` in the URL.
    pub fn of_url(host: Option<&str>, url: &str) -> Option<Provider> {
        let host = host.unwrap_or_default().to_ascii_lowercase();
        if host.ends_with(".rds.amazonaws.com") {
            let cluster = host.split('.').any(|label| label.starts_with("cluster-"));
            Some(if cluster { Provider::Aurora } else { Provider::Rds })
        } else if host.ends_with(".postgres.database.azure.com") {
            Some(Provider::Azure)
        } else if url.contains("/cloudsql/") || url.contains("%2Fcloudsql%2F") {
            Some(Provider::Cloudsql)
        } else {
            None
        }
    }
}

/// `postgres.managed`: the provider, and the instance its defaults come from.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    pub provider: Provider,
    /// The instance class or SKU: `db.r6g.large`, `D4s_v3`, `db-f1-micro`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    /// The instance's memory as the provider lists it, where its class is not in a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
}

/// What a provider's defaults give this instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defaults {
    pub max_connections: u32,
    /// The provider's published figure for this class; `false` when it is the formula on the
    /// listed memory, which the running instance may fall short of.
    pub exact: bool,
}

/// RDS's and Aurora's divisor: bytes of instance memory per default connection.
const AWS_BYTES_PER_CONNECTION: u64 = 9_531_392;
const AWS_MOST: u32 = 5000;

/// Aurora PostgreSQL's default max_connections by instance class, as AWS lists it
/// (AuroraUserGuide, "Maximum connections to an Aurora PostgreSQL DB instance"); classes from
/// 2xlarge up are at the 5000 cap.
const AURORA: &[(&str, u32)] = &[
    ("db.t3.medium", 420),
    ("db.t3.large", 844),
    ("db.t4g.medium", 405),
    ("db.t4g.large", 844),
    ("db.r4.large", 1600),
    ("db.r4.xlarge", 3200),
    ("db.r5.large", 1600),
    ("db.r5.xlarge", 3300),
    ("db.r6g.large", 1722),
    ("db.r6g.xlarge", 3479),
    ("db.x2g.large", 3479),
];

/// Azure flexible server's default max_connections by SKU (learn.microsoft.com,
/// flexible-server/concepts-limits); SKUs from 16 vCores (B12ms up, D16s up, E8s up) are at 5000.
const AZURE: &[(&str, u32)] = &[
    ("B1ms", 50),
    ("B2s", 429),
    ("B2ms", 859),
    ("B4ms", 1718),
    ("B8ms", 3437),
    ("B12ms", 5000),
    ("B16ms", 5000),
    ("B20ms", 5000),
    ("D2s_v3", 859),
    ("D2ds_v4", 859),
    ("D2ds_v5", 859),
    ("D2ads_v5", 859),
    ("D4s_v3", 1718),
    ("D8s_v3", 3437),
    ("D16s_v3", 5000),
    ("D32s_v3", 5000),
    ("D48s_v3", 5000),
    ("D64s_v3", 5000),
    ("E2s_v3", 1718),
    ("E4s_v3", 3437),
    ("E8s_v3", 5000),
    ("E16s_v3", 5000),
    ("E32s_v3", 5000),
    ("E48s_v3", 5000),
    ("E64s_v3", 5000),
];

const AZURE_RESERVED: u32 = 15;

/// A class's row, in any case; Azure's SKUs also as its CLI spells them (`Standard_D4s_v3`).
fn table(rows: &[(&str, u32)], class: &str) -> Option<u32> {
    let class = class.get(..9).filter(|p| p.eq_ignore_ascii_case("standard_")).map_or(class, |_| &class[9..]);
    rows.iter().find(|(name, _)| name.eq_ignore_ascii_case(class)).map(|(_, n)| *n)
}

fn aws_formula(memory: Bytes) -> u32 {
    u32::try_from(memory.0 / AWS_BYTES_PER_CONNECTION).unwrap_or(u32::MAX).min(AWS_MOST)
}

impl Managed {
    /// The provider's defaults for this instance, `None` when nothing says which instance it
    /// is, or why the instance given has none flowcap knows.
    pub fn defaults(&self) -> Result<Option<Defaults>, String> {
        let class = self.instance_class.as_deref();
        let known = |rows: &[(&str, u32)]| class.and_then(|c| table(rows, c));
        let (max_connections, exact) = match self.provider {
            Provider::Aurora if let Some(n) = known(AURORA) => (n, true),
            Provider::Rds | Provider::Aurora => match (self.memory, class) {
                (Some(memory), _) => (aws_formula(memory), false),
                (None, Some(class)) => {
                    return Err(format!(
                        "{}: AWS publishes no default max_connections for {class}: give its memory \
                         (postgres.managed.memory) or postgres.max_connections",
                        self.provider.name()
                    ));
                }
                (None, None) => return Ok(None),
            },
            Provider::Azure => match (known(AZURE), class) {
                (Some(n), _) => (n, true),
                (None, Some(class)) => {
                    let names: Vec<&str> = AZURE.iter().map(|(name, _)| *name).collect();
                    return Err(format!(
                        "Azure: no default max_connections known for the SKU {class}: give postgres.max_connections \
                         (known SKUs: {})",
                        names.join(", ")
                    ));
                }
                (None, None) => return Ok(None),
            },
            Provider::Cloudsql => match class {
                Some(class) if class.eq_ignore_ascii_case("db-f1-micro") => (25, true),
                Some(class) => {
                    return Err(format!(
                        "Cloud SQL: flowcap's sources give the default max_connections only for db-f1-micro, not \
                         {class}: give postgres.max_connections (SHOW max_connections)"
                    ));
                }
                None => return Ok(None),
            },
        };
        Ok(Some(Defaults { max_connections, exact }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn managed(provider: Provider, class: Option<&str>, memory: Option<Bytes>) -> Result<Option<Defaults>, String> {
        Managed { provider, instance_class: class.map(str::to_string), memory }.defaults()
    }

    #[test]
    fn aws_divides_the_memory_and_stops_at_5000() {
        // 4 GiB / 9531392 = 450.6: at most 450; 64 GiB would be 7209.
        let rds = managed(Provider::Rds, Some("db.t3.medium"), Some(Bytes::gib(4))).unwrap().unwrap();
        assert_eq!((rds.max_connections, rds.exact), (450, false));
        assert_eq!(Provider::Rds.reserved_connections(), (3, 2));
        assert_eq!(managed(Provider::Rds, None, Some(Bytes::gib(64))).unwrap().unwrap().max_connections, 5000);
        // Aurora's own figure for the class is lower than the formula on its 4 GiB.
        let aurora = managed(Provider::Aurora, Some("db.t3.medium"), Some(Bytes::gib(4))).unwrap().unwrap();
        assert_eq!((aurora.max_connections, aurora.exact), (420, true));
        assert!(managed(Provider::Rds, Some("db.m5.large"), None).unwrap_err().contains("give its memory"));
        assert_eq!(managed(Provider::Rds, None, None), Ok(None));
    }

    #[test]
    fn azure_by_sku_less_fifteen_and_cloud_sql_only_where_known() {
        let azure = managed(Provider::Azure, Some("Standard_D4s_v3"), None).unwrap().unwrap();
        assert_eq!((azure.max_connections, azure.exact), (1718, true));
        assert_eq!(Provider::Azure.reserved_connections(), (15, 0));
        assert!(managed(Provider::Azure, Some("D3s_v3"), None).unwrap_err().contains("known SKUs: B1ms"));
        assert_eq!(managed(Provider::Cloudsql, Some("db-f1-micro"), None).unwrap().unwrap().max_connections, 25);
        assert!(managed(Provider::Cloudsql, Some("db-custom-2-7680"), None).unwrap_err().contains("db-f1-micro"));
    }

    #[test]
    fn the_host_says_the_provider_and_nothing_else_is_kept() {
        let of = |host: &str| Provider::of_url(Some(host), "");
        assert_eq!(of("mydb.abc123.eu-west-1.rds.amazonaws.com"), Some(Provider::Rds));
        assert_eq!(of("app.cluster-abc123.eu-west-1.rds.amazonaws.com"), Some(Provider::Aurora));
        assert_eq!(of("app.cluster-ro-abc123.eu-west-1.rds.amazonaws.com"), Some(Provider::Aurora));
        assert_eq!(of("flow.postgres.database.azure.com"), Some(Provider::Azure));
        assert_eq!(of("postgres"), None);
        let socket = "postgresql://u:p@localhost/flow?host=/cloudsql/proj:europe-west1:db";
        assert_eq!(Provider::of_url(Some("localhost"), socket), Some(Provider::Cloudsql));
    }
}
