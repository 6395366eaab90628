//! Findings: what is wrong or risky in a plan, each under a stable rule id with the numbers and
//! a concrete fix.

use crate::analysis::figures::{self, Analysis, HostFit, PerSlot};
use crate::analysis::pgtune;
use crate::analysis::placement;
use crate::model::cluster::Platform;
use crate::model::plan::{Plan, Policy, Resources};
use crate::model::units::{Bytes, Cpus, percent, trim_decimal};
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so reports can align severities with `{:<7}`.
        f.pad(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A rule's stable id: an enum, so a typo is a compile error, not a finding that never fires.
/// Shown and serialized as its kebab-case name (`connections-exhausted`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    NoExecutionSlots,
    ConnectionsExhausted,
    ConnectionsNearLimit,
    HostCpuOvercommit,
    HostMemoryOvercommit,
    ReservationsExceedHost,
    MemoryPerSlotLow,
    SharedBuffersExceedMemory,
    SharedBuffersHigh,
    PostgresMemoryTight,
    PostgresMemoryWorstCase,
    JwtKeysNotShared,
    FixedHostPort,
    FixedContainerName,
    WorkloadUnstable,
    WorkloadTargetMissed,
    Drift,
    HostUnknown,
    ConnectionsAsSuperuser,
    ReservationAboveLimit,
    LimitsMissing,
    PodsUnschedulable,
    HpaMaxExhaustsConnections,
    RequestsMissing,
    LimitsBelowRequests,
    JobCapExceedsCluster,
    NodeLimitsOvercommit,
    ObservedConnectionsOverBudget,
    ObservedSlotsSaturated,
    ObservedPeakPastTarget,
    ObservedWaitVsPredicted,
    ObservedMaxConnectionsDiffers,
    PrometheusScrapesOneReplica,
}

impl RuleId {
    /// Every rule id, for checks that each has its entry in [`RULES`].
    pub const ALL: [RuleId; 33] = [
        RuleId::NoExecutionSlots,
        RuleId::ConnectionsExhausted,
        RuleId::ConnectionsNearLimit,
        RuleId::HostCpuOvercommit,
        RuleId::HostMemoryOvercommit,
        RuleId::ReservationsExceedHost,
        RuleId::MemoryPerSlotLow,
        RuleId::SharedBuffersExceedMemory,
        RuleId::SharedBuffersHigh,
        RuleId::PostgresMemoryTight,
        RuleId::PostgresMemoryWorstCase,
        RuleId::JwtKeysNotShared,
        RuleId::FixedHostPort,
        RuleId::FixedContainerName,
        RuleId::WorkloadUnstable,
        RuleId::WorkloadTargetMissed,
        RuleId::Drift,
        RuleId::HostUnknown,
        RuleId::ConnectionsAsSuperuser,
        RuleId::ReservationAboveLimit,
        RuleId::LimitsMissing,
        RuleId::PodsUnschedulable,
        RuleId::HpaMaxExhaustsConnections,
        RuleId::RequestsMissing,
        RuleId::LimitsBelowRequests,
        RuleId::JobCapExceedsCluster,
        RuleId::NodeLimitsOvercommit,
        RuleId::ObservedConnectionsOverBudget,
        RuleId::ObservedSlotsSaturated,
        RuleId::ObservedPeakPastTarget,
        RuleId::ObservedWaitVsPredicted,
        RuleId::ObservedMaxConnectionsDiffers,
        RuleId::PrometheusScrapesOneReplica,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::NoExecutionSlots => "no-execution-slots",
            RuleId::ConnectionsExhausted => "connections-exhausted",
            RuleId::ConnectionsNearLimit => "connections-near-limit",
            RuleId::HostCpuOvercommit => "host-cpu-overcommit",
            RuleId::HostMemoryOvercommit => "host-memory-overcommit",
            RuleId::ReservationsExceedHost => "reservations-exceed-host",
            RuleId::MemoryPerSlotLow => "memory-per-slot-low",
            RuleId::SharedBuffersExceedMemory => "shared-buffers-exceed-memory",
            RuleId::SharedBuffersHigh => "shared-buffers-high",
            RuleId::PostgresMemoryTight => "postgres-memory-tight",
            RuleId::PostgresMemoryWorstCase => "postgres-memory-worst-case",
            RuleId::JwtKeysNotShared => "jwt-keys-not-shared",
            RuleId::FixedHostPort => "fixed-host-port",
            RuleId::FixedContainerName => "fixed-container-name",
            RuleId::WorkloadUnstable => "workload-unstable",
            RuleId::WorkloadTargetMissed => "workload-target-missed",
            RuleId::Drift => "drift",
            RuleId::HostUnknown => "host-unknown",
            RuleId::ConnectionsAsSuperuser => "connections-as-superuser",
            RuleId::ReservationAboveLimit => "reservation-above-limit",
            RuleId::LimitsMissing => "limits-missing",
            RuleId::PodsUnschedulable => "pods-unschedulable",
            RuleId::HpaMaxExhaustsConnections => "hpa-max-exhausts-connections",
            RuleId::RequestsMissing => "requests-missing",
            RuleId::LimitsBelowRequests => "limits-below-requests",
            RuleId::JobCapExceedsCluster => "job-cap-exceeds-cluster",
            RuleId::NodeLimitsOvercommit => "node-limits-overcommit",
            RuleId::ObservedConnectionsOverBudget => "observed-connections-over-budget",
            RuleId::ObservedSlotsSaturated => "observed-slots-saturated",
            RuleId::ObservedPeakPastTarget => "observed-peak-past-target",
            RuleId::ObservedWaitVsPredicted => "observed-wait-vs-predicted",
            RuleId::ObservedMaxConnectionsDiffers => "observed-max-connections-differs",
            RuleId::PrometheusScrapesOneReplica => "prometheus-scrapes-one-replica",
        }
    }

    /// The stronger level of the same check, for a rule that has one: a plan past the
    /// stronger line is past the milder one too, though only the stronger is said.
    pub fn stronger(self) -> Option<RuleId> {
        match self {
            RuleId::ConnectionsNearLimit => Some(RuleId::ConnectionsExhausted),
            RuleId::PostgresMemoryWorstCase => Some(RuleId::PostgresMemoryTight),
            RuleId::SharedBuffersHigh => Some(RuleId::SharedBuffersExceedMemory),
            RuleId::WorkloadTargetMissed => Some(RuleId::WorkloadUnstable),
            _ => None,
        }
    }

    /// A finding about the workload's waits (its fix comes from `flowcap solve`).
    pub fn is_workload(self) -> bool {
        matches!(self, RuleId::WorkloadUnstable | RuleId::WorkloadTargetMissed)
    }

    /// The rule as the reference lists it.
    pub fn rule(self) -> &'static Rule {
        // Every id has its entry (a test checks): the fallback is never reached.
        RULES.iter().find(|r| r.id == self).unwrap_or(&RULES[0])
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A rule as the reference lists it.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: RuleId,
    pub severity: Severity,
    pub checks: &'static str,
    /// The threshold under a policy and the policy key that moves it, if any: the reference
    /// shows it under `Policy::default()`, so its numbers are the code's, not copies.
    pub threshold_for: fn(&Policy) -> String,
}

impl Rule {
    /// The threshold under the default policy.
    pub fn threshold(&self) -> String {
        (self.threshold_for)(&Policy::default())
    }
}

pub const RULES: &[Rule] = &[
    Rule {
        id: RuleId::NoExecutionSlots,
        severity: Severity::Error,
        checks: "runtime.replicas × runtime.max_concurrent_executions is 0: nothing can run",
        threshold_for: |_| "0 slots".into(),
    },
    Rule {
        id: RuleId::ConnectionsExhausted,
        severity: Severity::Error,
        checks: "Postgres clients can open more connections than max_connections leaves to ordinary roles",
        threshold_for: |_| "used > max_connections − superuser_reserved − reserved".into(),
    },
    Rule {
        id: RuleId::ConnectionsNearLimit,
        severity: Severity::Warning,
        checks: "connection use past the warning line (Flow-Like's own Prometheus alert)",
        threshold_for: |p| {
            format!("used > {} % of usable (policy.connection_warning_percent)", p.connection_warning_percent)
        },
    },
    Rule {
        id: RuleId::HostCpuOvercommit,
        severity: Severity::Warning,
        checks: "CPU limits of all containers add up past the host's CPUs",
        threshold_for: |p| format!("> {} % of host.cpus (policy.cpu_overcommit_percent)", p.cpu_overcommit_percent),
    },
    Rule {
        id: RuleId::HostMemoryOvercommit,
        severity: Severity::Warning,
        checks: "memory limits of all containers add up past the host's memory",
        threshold_for: |p| {
            format!("> {} % of host.memory (policy.memory_overcommit_percent)", p.memory_overcommit_percent)
        },
    },
    Rule {
        id: RuleId::ReservationsExceedHost,
        severity: Severity::Error,
        checks: "CPU or memory reservations add up to more than the host has",
        threshold_for: |_| "> 100 % of host.cpus or host.memory".into(),
    },
    Rule {
        id: RuleId::MemoryPerSlotLow,
        severity: Severity::Warning,
        checks: "runtime memory limit ÷ max_concurrent_executions is below the policy's minimum",
        threshold_for: |p| format!("< {} per slot (policy.min_memory_per_slot)", p.min_memory_per_slot),
    },
    Rule {
        id: RuleId::SharedBuffersExceedMemory,
        severity: Severity::Error,
        checks: "shared_buffers is larger than the Postgres container's memory limit",
        threshold_for: |_| "shared_buffers > postgres.limits.memory".into(),
    },
    Rule {
        id: RuleId::SharedBuffersHigh,
        severity: Severity::Warning,
        checks: "shared_buffers is a large share of the Postgres memory limit (25 % is the guidance)",
        threshold_for: |p| {
            format!(
                "> {} % of postgres.limits.memory (policy.shared_buffers_warning_percent)",
                p.shared_buffers_warning_percent
            )
        },
    },
    Rule {
        id: RuleId::PostgresMemoryTight,
        severity: Severity::Warning,
        checks: "shared_buffers plus memory for the connections in use exceeds the Postgres memory limit",
        threshold_for: |p| {
            format!(
                "shared_buffers + used × {} > postgres.limits.memory (policy.memory_per_connection)",
                p.memory_per_connection
            )
        },
    },
    Rule {
        id: RuleId::PostgresMemoryWorstCase,
        severity: Severity::Warning,
        checks: "at worst (every connection sorting in work_mem, autovacuum, parallel hashes in /dev/shm, all charged to the container) Postgres outgrows its memory limit",
        threshold_for: |_| {
            "estimate + used × 4 MiB + 3 × 64 MiB + 96 MiB > postgres.limits.memory (PostgreSQL's defaults)".into()
        },
    },
    Rule {
        id: RuleId::JwtKeysNotShared,
        severity: Severity::Error,
        checks: "several API replicas without one shared JWT key pair: tokens from one replica fail on another",
        threshold_for: |_| "api.replicas > 1 and api.shared_jwt_keys: false".into(),
    },
    Rule {
        id: RuleId::FixedHostPort,
        severity: Severity::Error,
        checks: "a service scaled past one replica publishes a fixed host port: only one container per host can bind it",
        threshold_for: |_| "replicas > 1 and a published host port".into(),
    },
    Rule {
        id: RuleId::FixedContainerName,
        severity: Severity::Error,
        checks: "a service scaled past one replica has a fixed container_name: Compose refuses to create the second",
        threshold_for: |_| "replicas > 1 and container_name set".into(),
    },
    Rule {
        id: RuleId::WorkloadUnstable,
        severity: Severity::Error,
        checks: "the workload offers as much work as the slots can do or more: the queue grows without bound",
        threshold_for: |_| "arrivals × mean duration ≥ slots (workload)".into(),
    },
    Rule {
        id: RuleId::WorkloadTargetMissed,
        severity: Severity::Error,
        checks: "the wait for a slot misses the workload's target",
        threshold_for: |_| {
            "p95 wait > workload.target.p95_wait, or P(wait) > workload.target.wait_probability_percent".into()
        },
    },
    Rule {
        id: RuleId::Drift,
        severity: Severity::Error,
        checks: "the compose files (or Helm values) set a value differently from the plan (--check PLAN -f FILE, or --helm-values FILE)",
        threshold_for: |_| {
            "any difference in replicas, resources, slots, autoscalers, Postgres settings, monitoring or the services that run".into()
        },
    },
    Rule {
        id: RuleId::HostUnknown,
        severity: Severity::Info,
        checks: "the plan has no host section, so host-fit checks are skipped",
        threshold_for: |_| "no host".into(),
    },
    Rule {
        id: RuleId::ConnectionsAsSuperuser,
        severity: Severity::Warning,
        checks: "Flow-Like connects as the database superuser (POSTGRES_USER): superuser_reserved_connections do not hold it back, so an admin has no guaranteed slot",
        threshold_for: |_| "DATABASE_URL's user is the postgres service's POSTGRES_USER (imported)".into(),
    },
    Rule {
        id: RuleId::ReservationAboveLimit,
        severity: Severity::Error,
        checks: "a service reserves more CPU or memory than its limit: Docker refuses to create the container",
        threshold_for: |_| "reservations.cpus > limits.cpus or reservations.memory > limits.memory".into(),
    },
    Rule {
        id: RuleId::LimitsMissing,
        severity: Severity::Info,
        checks: "containers without a CPU or memory limit may take the whole host; host fit counts only limits",
        threshold_for: |_| "a service without limits.cpus or limits.memory".into(),
    },
    Rule {
        id: RuleId::PodsUnschedulable,
        severity: Severity::Error,
        checks: "Kubernetes: pods whose requests no node can take, now or at every autoscaler's maximum (they stay Pending)",
        threshold_for: |_| "a pod's CPU and memory requests fit no node's allocatable less what is placed".into(),
    },
    Rule {
        id: RuleId::HpaMaxExhaustsConnections,
        severity: Severity::Error,
        checks: "Kubernetes: at the API autoscaler's maximum the clients open more connections than max_connections leaves",
        threshold_for: |_| "used at maximum > max_connections − superuser_reserved − reserved".into(),
    },
    Rule {
        id: RuleId::RequestsMissing,
        severity: Severity::Warning,
        checks: "Kubernetes: an autoscaled workload without the request its autoscaler measures against cannot scale",
        threshold_for: |_| "autoscaling set and requests.cpus (or requests.memory) missing".into(),
    },
    Rule {
        id: RuleId::LimitsBelowRequests,
        severity: Severity::Error,
        checks: "Kubernetes: a pod's limit below its request: the API server refuses the pod",
        threshold_for: |_| "requests.cpus > limits.cpus or requests.memory > limits.memory".into(),
    },
    Rule {
        id: RuleId::JobCapExceedsCluster,
        severity: Severity::Warning,
        checks: "Kubernetes: the Job backend's cap allows more execution pods than the cluster can place next to the rest",
        threshold_for: |_| "jobs.max_concurrent Job pods do not all fit at the maximum".into(),
    },
    Rule {
        id: RuleId::NodeLimitsOvercommit,
        severity: Severity::Warning,
        checks: "Kubernetes: the memory limits of the pods placed on one node add up past what it offers pods (CPU is compressible: its limits only throttle)",
        threshold_for: |p| {
            format!(
                "memory limits > {} % of a node's allocatable at the maximum (policy.memory_overcommit_percent)",
                p.memory_overcommit_percent
            )
        },
    },
    Rule {
        id: RuleId::ObservedConnectionsOverBudget,
        severity: Severity::Warning,
        checks: "--prometheus: Postgres held more connections at its observed peak than the plan counts for its clients (a client the plan does not know, or clients refused past the usable)",
        threshold_for: |_| "max of sum(pg_stat_activity_count) > the plan's connections used".into(),
    },
    Rule {
        id: RuleId::ObservedSlotsSaturated,
        severity: Severity::Warning,
        checks: "--prometheus: every execution slot of the plan was busy for a share of the observed time: executions waited",
        threshold_for: |p| {
            format!(
                "sum(executor_active_jobs) ≥ slots in > {} % of the steps (policy.saturation_warning_percent), of at least {} steps",
                p.saturation_warning_percent,
                crate::model::observed::FEW_SAMPLES
            )
        },
    },
    Rule {
        id: RuleId::ObservedPeakPastTarget,
        severity: Severity::Error,
        checks: "--prometheus: the observed peak of runs per minute, at the observed mean duration, is more than the plan's slots serve within its target (or at all)",
        threshold_for: |_| {
            format!(
                "the plan with the observed workload misses workload.target (without one: a p95 wait of {} % of the mean duration, as solve)",
                crate::analysis::workload::DEFAULT_P95_WAIT_SHARE * 100.0
            )
        },
    },
    Rule {
        id: RuleId::ObservedWaitVsPredicted,
        severity: Severity::Info,
        checks: "--prometheus: the model's P(wait) at the observed mean load beside the observed share of time with every slot busy (an arrival then waits)",
        threshold_for: |_| "always, when busy slots were observed".into(),
    },
    Rule {
        id: RuleId::ObservedMaxConnectionsDiffers,
        severity: Severity::Warning,
        checks: "--prometheus: the max_connections Postgres reported is not the plan's: the budget the plan shows is not the one in force",
        threshold_for: |_| "max(pg_settings_max_connections) at the window's end ≠ postgres.max_connections".into(),
    },
    Rule {
        id: RuleId::PrometheusScrapesOneReplica,
        severity: Severity::Warning,
        checks: "the deployment's Prometheus scrapes a scaled service as one static target: each scrape reaches one replica Docker's DNS picks, so observed figures are one replica's",
        threshold_for: |_| "static_configs target SERVICE:PORT and SERVICE.replicas > 1".into(),
    },
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The plan key the finding is about, as a dotted path.
    pub path: String,
    /// The fix's first alternative as plan edits, for tools that apply it; empty when the fix
    /// is not a plan value (export the override, tell flowcap the host).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

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

impl Finding {
    fn change(&mut self, path: &str, value: Setting) -> &mut Finding {
        self.changes.push(Change { path: path.to_string(), value });
        self
    }
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, id: RuleId, path: &str, message: String, fix: Option<String>) -> &mut Finding {
        let severity = id.rule().severity;
        self.0.push(Finding { rule: id, severity, message, fix, path: path.to_string(), changes: Vec::new() });
        let added = self.0.len() - 1;
        &mut self.0[added]
    }
}

/// Every finding for the plan, most severe first, then by rule id: a stable order. A fix is
/// offered as plan changes only when it holds: see [`verify_changes`].
pub fn evaluate(plan: &Plan, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = evaluate_unverified(plan, analysis);
    verify_changes(plan, &mut findings);
    findings
}

/// A fix's changes stand only when the plan with them has no error or warning it did not have
/// (a milder level of one it had does not count: it was already there). A change that would
/// bring one is withdrawn and the fix says what it would bring — packing pods differently can
/// strand another, for one.
fn verify_changes(plan: &Plan, findings: &mut [Finding]) {
    let had: Vec<RuleId> = findings.iter().filter(|f| f.severity > Severity::Info).map(|f| f.rule).collect();
    let new = |rule: RuleId| !had.contains(&rule) && !rule.stronger().is_some_and(|s| had.contains(&s));
    for finding in findings.iter_mut().filter(|f| !f.changes.is_empty()) {
        let mut edited = plan.clone();
        if !finding.changes.iter().all(|change| change.apply(&mut edited)) || edited.validate().is_err() {
            finding.changes.clear();
            continue;
        }
        let after = evaluate_unverified(&edited, &figures::analyze(&edited));
        if after.iter().any(|f| f.rule == finding.rule && f.path == finding.path) {
            // Not a fix after all (a rounding, a second cause): say only the prose.
            finding.changes.clear();
            continue;
        }
        let brought: Vec<String> =
            after.into_iter().filter(|f| f.severity > Severity::Info && new(f.rule)).map(|f| f.message).collect();
        if !brought.is_empty() {
            finding.changes.clear();
            let fix = finding.fix.take().unwrap_or_default();
            finding.fix = Some(format!(
                "{fix} — but that alone brings: {}; `flowcap solve` looks for a change that fits",
                brought.join("; ")
            ));
        }
    }
}

fn evaluate_unverified(plan: &Plan, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = Findings(Vec::new());
    execution_slots(plan, &mut findings);
    connections(plan, analysis, &mut findings);
    if plan.platform == Platform::Kubernetes {
        cluster(plan, analysis, &mut findings);
    } else {
        host_fit(plan, analysis.host.as_ref(), &mut findings);
    }
    memory_per_slot(plan, &analysis.per_slot, &mut findings);
    workload(plan, analysis, &mut findings);
    fixed_host_ports(plan, &mut findings);
    fixed_container_names(plan, &mut findings);
    reservations_above_limits(plan, &mut findings);
    if plan.postgres.clients_are_superuser && !plan.postgres.external {
        connections_as_superuser(plan, analysis, &mut findings);
    }
    postgres_memory(plan, analysis, &mut findings);
    // The chart gives every API pod the same keys from one Secret.
    if plan.platform == Platform::Compose && plan.api.replicas > 1 && plan.api.shared_jwt_keys == Some(false) {
        findings
            .add(
                RuleId::JwtKeysNotShared,
                "api.shared_jwt_keys",
                format!("{} API replicas each sign tokens with their own key", plan.api.replicas),
                Some("give every API replica the same BACKEND_KEY / BACKEND_PUB / BACKEND_KID".into()),
            )
            .change("api.shared_jwt_keys", Setting::Flag(true));
    }
    let mut findings = findings.0;
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(a.rule.as_str().cmp(b.rule.as_str())).then(a.path.cmp(&b.path))
    });
    findings
}

/// The warnings and errors the host and per-slot policy raise against the plan: what
/// `flowcap solve` must not cause. Cheap: no connection, Postgres or workload figures.
pub fn resource_problems(plan: &Plan) -> Vec<Finding> {
    let mut findings = Findings(Vec::new());
    host_fit(plan, figures::host_fit(plan).as_ref(), &mut findings);
    memory_per_slot(plan, &figures::per_slot(plan), &mut findings);
    findings.0.retain(|f| f.severity > Severity::Info);
    findings.0
}

/// The host's (or the cluster's) problems, warnings and errors, that `edit` would bring to the
/// plan: a bigger limit or one more runtime is a fix only when the host or cluster holds it.
fn problems_from(plan: &Plan, edit: impl FnOnce(&mut Plan)) -> Vec<String> {
    let problems = |plan: &Plan| {
        let mut findings = Findings(Vec::new());
        match plan.platform {
            Platform::Compose => host_fit(plan, figures::host_fit(plan).as_ref(), &mut findings),
            Platform::Kubernetes => cluster(plan, &figures::analyze(plan), &mut findings),
        }
        findings.0.into_iter().filter(|f| f.severity > Severity::Info)
    };
    let mut edited = plan.clone();
    edit(&mut edited);
    let before: Vec<RuleId> = problems(plan).map(|f| f.rule).collect();
    problems(&edited).filter(|f| !before.contains(&f.rule)).map(|f| f.message).collect()
}

/// Adds a fix that raises the memory limit of the workload at `key` to `value`, or, when the
/// host (cluster) cannot hold that, says so and offers `otherwise`.
fn raise_limit(finding: &mut Finding, plan: &Plan, key: &str, value: Bytes, otherwise: &str) {
    let path = format!("{key}.limits.memory");
    let lacking = problems_from(plan, |edited| {
        if let Some((limits, _)) = edited.resources_mut(key) {
            limits.memory = Some(value);
        }
    });
    if lacking.is_empty() {
        finding.fix = Some(format!(
            "raise {path} to {value}{otherwise}",
            otherwise = if otherwise.is_empty() { String::new() } else { format!(", or {otherwise}") }
        ));
        finding.change(&path, Setting::Size(value));
    } else {
        let place = if plan.platform == Platform::Kubernetes { "the cluster" } else { "this host" };
        finding.fix = Some(format!("{path} {value} would not fit {place} ({}): {otherwise}", lacking.join("; ")));
    }
}

/// The Kubernetes findings: placement now and at the maximum, the connection budget at the
/// API autoscaler's maximum, autoscalers without requests, per-node limit overcommit.
fn cluster(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let Some(fit) = &analysis.cluster else { return };
    // Pods short now are short at the maximum too: say it once.
    let short = |placement: &'_ placement::Placement| -> Vec<placement::Unplaced> {
        placement.unplaced.iter().filter(|u| u.workload != "jobs").cloned().collect()
    };
    let (unplaced, when, nodes) = match short(&fit.now) {
        now if !now.is_empty() => (now, "now", "nodes"),
        _ => (short(&fit.at_maximum), "at every autoscaler's maximum", "max_nodes"),
    };
    for unplaced in unplaced {
        let fix = if unplaced.too_big {
            format!("use a node pool with bigger nodes, or lower {}'s requests", unplaced.workload)
        } else {
            format!("add nodes (cluster.node_pools: {nodes}) or bigger ones, or lower {}'s requests", unplaced.workload)
        };
        findings.add(
            RuleId::PodsUnschedulable,
            "cluster.node_pools",
            format!("{} {} pod(s) cannot be placed {when}: {}", unplaced.pods, unplaced.workload, unplaced.reason),
            Some(fix),
        );
    }
    if let Some(jobs) = &plan.jobs
        && let Some(unplaced) = fit.at_maximum.unplaced.iter().find(|u| u.workload == "jobs")
    {
        let fitting = jobs.max_concurrent - unplaced.pods;
        findings
            .add(
                RuleId::JobCapExceedsCluster,
                "jobs.max_concurrent",
                format!(
                    "{} of the {} Jobs the cap allows find no node at the maximum ({}): executions past {fitting} wait as Pending pods",
                    unplaced.pods, jobs.max_concurrent, unplaced.reason
                ),
                Some(format!("lower jobs.max_concurrent to {fitting}, or add nodes")),
            )
            .change("jobs.max_concurrent", Setting::Count(fitting.into()));
    }
    if let Some(maximum) = &analysis.at_maximum
        && let Some(hpa) = plan.api.autoscaling
    {
        let c = &maximum.connections;
        let now = &analysis.connections;
        let at = format!(
            "at the API autoscaler's maximum of {} replicas the clients can open {} connections",
            hpa.max, c.used
        );
        let found = if c.used > c.usable {
            Some((
                RuleId::HpaMaxExhaustsConnections,
                format!("{at}; max_connections {} leaves {} usable", c.max_connections, c.usable),
            ))
        } else if c.used > c.warning_line && now.used <= now.warning_line {
            let warning = plan.policy.connection_warning_percent;
            Some((
                RuleId::ConnectionsNearLimit,
                format!("{at}, {} % of the {} usable: past the {warning} % warning line", percent(c.share), c.usable),
            ))
        } else {
            None
        };
        if let Some((id, message)) = found {
            // The most API replicas whose pools keep every client within the warning line.
            let others = c.used - c.clients[0].connections;
            let within = c.warning_line.saturating_sub(others) / u64::from(plan.api.db_pool.max(1));
            let finding = findings.add(id, "api.autoscaling.max", message, None);
            if within >= u64::from(plan.api.replicas) && within >= u64::from(hpa.min) {
                finding.fix = Some(format!(
                    "lower api.autoscaling.max to {within}, or raise postgres.max_connections to {}",
                    c.required_max_connections
                ));
                finding.change("api.autoscaling.max", Setting::Count(within));
            } else {
                finding.fix = Some(format!("raise postgres.max_connections to {}", c.required_max_connections));
                finding.change("postgres.max_connections", Setting::Count(c.required_max_connections));
            }
        }
    }
    for (key, autoscaling, requests) in [
        ("api", plan.api.autoscaling, placement::effective_requests(&plan.api.reservations, &plan.api.limits)),
        (
            "runtime",
            plan.runtime.autoscaling,
            placement::effective_requests(&plan.runtime.reservations, &plan.runtime.limits),
        ),
    ] {
        let Some(hpa) = autoscaling else { continue };
        let missing: Vec<&str> = [
            ("cpus", hpa.target_cpu_percent.is_some() && requests.cpus.is_none()),
            ("memory", hpa.target_memory_percent.is_some() && requests.memory.is_none()),
        ]
        .into_iter()
        .filter_map(|(resource, missing)| missing.then_some(resource))
        .collect();
        if !missing.is_empty() {
            findings.add(
                RuleId::RequestsMissing,
                &format!("{key}.reservations"),
                format!(
                    "{key} autoscales on use relative to its requests but requests no {}: the autoscaler cannot compute it and does not scale",
                    missing.join(" or ")
                ),
                Some(format!("set {key}.requests.{} (the chart's resources.requests)", missing.join(" and "))),
            );
        }
    }
    let policy = &plan.policy;
    let over = |share: f64, percent: u32| share * 100.0 > f64::from(percent);
    let nodes: Vec<_> = fit
        .at_maximum
        .overcommitted
        .iter()
        .filter(|n| over(n.memory_limits_share, policy.memory_overcommit_percent))
        .collect();
    let worst = nodes.iter().max_by(|a, b| a.memory_limits_share.total_cmp(&b.memory_limits_share));
    if let Some(first) = worst {
        findings.add(
            RuleId::NodeLimitsOvercommit,
            "cluster.node_pools",
            format!(
                "at the maximum the pods' memory limits overcommit {} node(s) (the most, {}: {} % of what it offers pods); under load the kernel kills one",
                nodes.len(),
                first.node,
                percent(first.memory_limits_share)
            ),
            Some("raise memory requests toward the limits (the scheduler then spreads the pods), lower the limits, or add nodes".into()),
        );
    }
}

fn fixed_host_ports(plan: &Plan, findings: &mut Findings) {
    for container in plan.containers() {
        if container.replicas < 2 || container.published_ports.is_empty() {
            continue;
        }
        let ports: Vec<String> = container.published_ports.iter().map(u16::to_string).collect();
        let fix = "flowcap export resets its published ports (`ports: !reset []`) and puts a load balancer on them";
        findings.add(
            RuleId::FixedHostPort,
            &format!("{}.published_ports", container.key),
            format!(
                "{} publishes host port {}; its {} replicas cannot all bind it (\"port is already allocated\")",
                container.name,
                ports.join(", "),
                container.replicas
            ),
            Some(fix.to_string()),
        );
    }
}

fn fixed_container_names(plan: &Plan, findings: &mut Findings) {
    for container in plan.containers() {
        let Some(fixed) = container.container_name.filter(|_| container.replicas > 1) else { continue };
        findings.add(
            RuleId::FixedContainerName,
            &format!("{}.container_name", container.key),
            format!(
                "{} has container_name `{fixed}`; Compose refuses {} replicas with one fixed name",
                container.name, container.replicas
            ),
            Some("flowcap export resets container_name (`container_name: !reset null`)".to_string()),
        );
    }
}

fn reservations_above_limits(plan: &Plan, findings: &mut Findings) {
    // Docker refuses the container; the Kubernetes API server refuses the pod.
    let (id, reserves) = match plan.platform {
        Platform::Compose => (RuleId::ReservationAboveLimit, "reserves"),
        Platform::Kubernetes => (RuleId::LimitsBelowRequests, "requests"),
    };
    let mut workloads: Vec<(String, String, Resources, Resources)> =
        plan.containers().iter().map(|c| (c.key.clone(), c.name.to_string(), *c.limits, *c.reservations)).collect();
    if let Some(jobs) = &plan.jobs {
        workloads.push(("jobs".into(), "the Job pods".into(), jobs.limits, jobs.reservations));
    }
    for (key, name, limits, reserved) in workloads {
        let over = [
            (
                limits
                    .cpus
                    .zip(reserved.cpus)
                    .filter(|(l, r)| r > l)
                    .map(|(l, r)| (Setting::Cpus(l), Setting::Cpus(r))),
                "cpus",
            ),
            (
                limits
                    .memory
                    .zip(reserved.memory)
                    .filter(|(l, r)| r > l)
                    .map(|(l, r)| (Setting::Size(l), Setting::Size(r))),
                "memory",
            ),
        ];
        for (values, resource) in over {
            let Some((limit, reservation)) = values else { continue };
            let (limit_text, reservation_text) = (limit.to_string(), reservation.to_string());
            let message = match resource {
                "cpus" => format!("{name} {reserves} {reservation_text} CPUs but is limited to {limit_text}"),
                _ => format!("{name} {reserves} {reservation_text} of memory but is limited to {limit_text}"),
            };
            let (reservation_path, limit_path) =
                (format!("{key}.reservations.{resource}"), format!("{key}.limits.{resource}"));
            // Each alternative is the change a fix carries, tried on the plan.
            let option = |verb: &str, path: &str, value: Setting| {
                let change = Change { path: path.to_string(), value };
                let problems = problems_from(plan, |edited| {
                    change.apply(edited);
                });
                (format!("{verb} {path} to {value}"), path.to_string(), value, problems)
            };
            let raise = option("raise", &limit_path, reservation);
            let lower = option("lower", &reservation_path, limit);
            // On Kubernetes the request is what the scheduler placed: keep it and raise the
            // limit; on a host the reservation comes down to the limit. Either only when it
            // brings no new problem (a request lowered may pack a node past its memory).
            let options = match plan.platform {
                Platform::Kubernetes => [raise, lower],
                Platform::Compose => [lower, raise],
            };
            let finding = findings.add(id, &reservation_path, message, None);
            match options.iter().find(|(_, _, _, problems)| problems.is_empty()) {
                Some((text, path, value, _)) => {
                    let other = options.iter().find(|(_, other, _, _)| other != path).map_or("", |(t, ..)| t.as_str());
                    finding.fix = Some(format!("{text}, or {other}"));
                    finding.change(path, *value);
                }
                None => {
                    let why: Vec<String> = options
                        .iter()
                        .map(|(text, _, _, problems)| format!("to {text} brings {}", problems.join("; ")))
                        .collect();
                    finding.fix = Some(format!("{}: use bigger nodes or a smaller workload", why.join(", and ")));
                }
            }
        }
    }
}

fn execution_slots(plan: &Plan, findings: &mut Findings) {
    let runtime = &plan.runtime;
    // The one-Job-per-execution backend runs executions without the executor pool.
    let jobs = plan.jobs.is_some_and(|jobs| jobs.max_concurrent > 0);
    if jobs || runtime.replicas > 0 && runtime.max_concurrent_executions > 0 {
        return;
    }
    let path = if runtime.replicas == 0 { "runtime.replicas" } else { "runtime.max_concurrent_executions" };
    // A runtime the host cannot hold is no fix: say what it lacks instead.
    let lacking = problems_from(plan, |one_slot| {
        one_slot.runtime.replicas = runtime.replicas.max(1);
        one_slot.runtime.max_concurrent_executions = runtime.max_concurrent_executions.max(1);
    });
    let fix = if lacking.is_empty() {
        "set runtime.replicas and runtime.max_concurrent_executions to at least 1".to_string()
    } else {
        format!("one runtime does not fit this host ({}): use a bigger host or smaller services", lacking.join("; "))
    };
    let finding = findings.add(
        RuleId::NoExecutionSlots,
        path,
        format!(
            "{} runtime replicas × {} executions each = 0 execution slots",
            runtime.replicas, runtime.max_concurrent_executions
        ),
        Some(fix),
    );
    if lacking.is_empty() {
        if runtime.replicas == 0 {
            finding.change("runtime.replicas", Setting::Count(1));
        }
        if runtime.max_concurrent_executions == 0 {
            finding.change("runtime.max_concurrent_executions", Setting::Count(1));
        }
    }
}

fn connections_as_superuser(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let pg = &plan.postgres;
    let c = &analysis.connections;
    // As an ordinary role the clients lose the reserved slots: the budget must still hold them.
    let reserve = u64::from(pg.superuser_reserved_connections) + u64::from(pg.reserved_connections);
    let needed = (c.used * 100).div_ceil(u64::from(plan.policy.connection_warning_percent)) + reserve;
    let mut fix = "give DATABASE_URL an ordinary role (CREATE ROLE … LOGIN, with the grants Flow-Like needs) \
                   and keep POSTGRES_USER for admins"
        .to_string();
    if needed > c.max_connections {
        fix.push_str(&format!(", with postgres.max_connections raised to {needed} so the reserve leaves it room"));
    }
    let finding = findings.add(
        RuleId::ConnectionsAsSuperuser,
        "postgres.clients_are_superuser",
        format!(
            "Flow-Like connects as the database superuser: the {} superuser_reserved_connections do not hold it back, \
             so when its pools fill max_connections an admin cannot connect",
            pg.superuser_reserved_connections
        ),
        Some(fix),
    );
    finding.change("postgres.clients_are_superuser", Setting::Flag(false));
    if needed > c.max_connections {
        finding.change("postgres.max_connections", Setting::Count(needed));
    }
}

fn connections(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let c = &analysis.connections;
    let warning_percent = plan.policy.connection_warning_percent;
    let id = if c.used > c.usable {
        RuleId::ConnectionsExhausted
    } else if c.used > c.warning_line {
        RuleId::ConnectionsNearLimit
    } else {
        return;
    };
    let others = c.used - c.clients[0].connections;
    // The largest pool that brings use back under the warning line with today's API replicas.
    let pool = c.warning_line.saturating_sub(others) / u64::from(plan.api.replicas);
    let mut fix = format!("raise postgres.max_connections to at least {}", c.required_max_connections);
    if pool >= 1 && pool < u64::from(plan.api.db_pool) {
        fix.push_str(&format!(", or lower api.db_pool to {pool}"));
    }
    let message = format!(
        "clients can open {} connections; max_connections {} leaves {} usable ({} reserved): {} % in use{}",
        c.used,
        c.max_connections,
        c.usable,
        c.reserved,
        percent(c.share),
        if id == RuleId::ConnectionsNearLimit {
            format!(", past the {warning_percent} % warning line")
        } else {
            String::new()
        }
    );
    findings
        .add(id, "postgres.max_connections", message, Some(fix))
        .change("postgres.max_connections", Setting::Count(c.required_max_connections));
}

fn host_fit(plan: &Plan, host: Option<&HostFit>, findings: &mut Findings) {
    let Some(fit) = host else {
        findings.add(
            RuleId::HostUnknown,
            "host",
            "no host given: host CPU and memory fit not checked".into(),
            Some("add host: { cpus: N, memory: SIZE } to the plan, or pass --host-cpus and --host-memory".into()),
        );
        return;
    };
    let policy = &plan.policy;
    let cpu_allowed = fit.cpus * f64::from(policy.cpu_overcommit_percent) / 100.0;
    if fit.cpu_limits > cpu_allowed {
        let needed = (fit.cpu_limits * 100.0 / f64::from(policy.cpu_overcommit_percent)).ceil();
        findings
            .add(
                RuleId::HostCpuOvercommit,
                "host.cpus",
                format!(
                    "CPU limits add up to {} of {} host CPUs ({} %)",
                    trim_decimal(fit.cpu_limits, 3),
                    trim_decimal(fit.cpus, 3),
                    percent(fit.cpu_limits_share)
                ),
                Some(format!(
                    "raise host.cpus to {}, or lower the CPU limits by {}",
                    trim_decimal(needed, 0),
                    trim_decimal(fit.cpu_limits - cpu_allowed, 3)
                )),
            )
            .change("host.cpus", Setting::Cpus(Cpus::whole(needed as u64)));
    }
    let memory_allowed =
        (u128::from(fit.memory_bytes) * u128::from(policy.memory_overcommit_percent) / 100).min(u64::MAX.into()) as u64;
    if fit.memory_limits_bytes > memory_allowed {
        let needed = (u128::from(fit.memory_limits_bytes) * 100)
            .div_ceil(u128::from(policy.memory_overcommit_percent))
            .min(u64::MAX.into()) as u64;
        findings
            .add(
                RuleId::HostMemoryOvercommit,
                "host.memory",
                format!(
                    "memory limits add up to {} of {} host memory ({} %)",
                    Bytes(fit.memory_limits_bytes),
                    Bytes(fit.memory_bytes),
                    percent(fit.memory_limits_share)
                ),
                Some(format!(
                    "raise host.memory to {}, or lower the memory limits by {}",
                    Bytes(needed),
                    Bytes(fit.memory_limits_bytes - memory_allowed)
                )),
            )
            .change("host.memory", Setting::Size(Bytes(needed)));
    }
    if fit.cpu_reservations > fit.cpus {
        findings
            .add(
                RuleId::ReservationsExceedHost,
                "host.cpus",
                format!(
                    "CPU reservations add up to {} but the host has {}",
                    trim_decimal(fit.cpu_reservations, 3),
                    trim_decimal(fit.cpus, 3)
                ),
                Some(format!(
                    "raise host.cpus to {}, or lower the CPU reservations by {}",
                    trim_decimal(fit.cpu_reservations, 3),
                    trim_decimal(fit.cpu_reservations - fit.cpus, 3)
                )),
            )
            .change("host.cpus", Setting::Cpus(Cpus((fit.cpu_reservations * 1000.0).round() as u64)));
    }
    if fit.memory_reservations_bytes > fit.memory_bytes {
        findings
            .add(
                RuleId::ReservationsExceedHost,
                "host.memory",
                format!(
                    "memory reservations add up to {} but the host has {}",
                    Bytes(fit.memory_reservations_bytes),
                    Bytes(fit.memory_bytes)
                ),
                Some(format!(
                    "raise host.memory to {}, or lower the memory reservations by {}",
                    Bytes(fit.memory_reservations_bytes),
                    Bytes(fit.memory_reservations_bytes - fit.memory_bytes)
                )),
            )
            .change("host.memory", Setting::Size(Bytes(fit.memory_reservations_bytes)));
    }
    if !fit.unlimited.is_empty() {
        findings.add(
            RuleId::LimitsMissing,
            &format!("{}.limits", fit.unlimited[0]),
            format!("no CPU or memory limit on: {}; host fit counts only limits", fit.unlimited.join(", ")),
            Some("set limits.cpus and limits.memory on every service".into()),
        );
    }
}

fn memory_per_slot(plan: &Plan, per_slot: &PerSlot, findings: &mut Findings) {
    let (Some(per_slot), Some(limit)) = (per_slot.memory_bytes, plan.runtime.limits.memory) else { return };
    let minimum = plan.policy.min_memory_per_slot;
    if per_slot < minimum.0 {
        let slots = plan.runtime.max_concurrent_executions;
        let fitting = limit.0 / minimum.0;
        let otherwise = if fitting >= 1 {
            format!("lower runtime.max_concurrent_executions to {fitting} and add runtime replicas")
        } else {
            "use a bigger host".to_string()
        };
        let finding = findings.add(
            RuleId::MemoryPerSlotLow,
            "runtime.max_concurrent_executions",
            format!("{} ÷ {} slots = {} per execution, below {}", limit, slots, Bytes(per_slot), minimum),
            None,
        );
        raise_limit(finding, plan, "runtime", Bytes(minimum.0 * u64::from(slots)), &otherwise);
    }
}

/// What to do about Postgres memory when the host cannot give it more.
const SMALLER_POSTGRES: &str = "lower postgres.shared_buffers or the connections (api.db_pool), or use a bigger host";

fn postgres_memory(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let pg = &analysis.postgres;
    let Some(limit) = pg.memory_limit_bytes else { return };
    let shared_buffers = Bytes(pg.shared_buffers_bytes);
    let share = pg.shared_buffers_share.unwrap_or_default();
    let quarter = Bytes(limit / 4);
    if pg.shared_buffers_bytes > limit {
        findings
            .add(
                RuleId::SharedBuffersExceedMemory,
                "postgres.shared_buffers",
                format!("shared_buffers {shared_buffers} is larger than the Postgres memory limit {}", Bytes(limit)),
                Some(format!("lower postgres.shared_buffers to {quarter} (25 % of the limit)")),
            )
            .change("postgres.shared_buffers", Setting::Size(quarter));
    } else if u128::from(pg.shared_buffers_bytes) * 100
        > u128::from(limit) * u128::from(plan.policy.shared_buffers_warning_percent)
    {
        // Compared in whole bytes: the rounded share could hide a byte past the line.
        findings
            .add(
                RuleId::SharedBuffersHigh,
                "postgres.shared_buffers",
                format!(
                    "shared_buffers {shared_buffers} is {} % of the Postgres memory limit {}",
                    percent(share),
                    Bytes(limit)
                ),
                Some(format!("lower postgres.shared_buffers to {quarter} (25 % of the limit)")),
            )
            .change("postgres.shared_buffers", Setting::Size(quarter));
    }
    if pg.estimated_bytes > limit {
        let finding = findings.add(
            RuleId::PostgresMemoryTight,
            "postgres.limits.memory",
            format!(
                "shared_buffers {shared_buffers} + {} connections × {} = {}, over the Postgres memory limit {}",
                analysis.connections.used,
                plan.policy.memory_per_connection,
                Bytes(pg.estimated_bytes),
                Bytes(limit)
            ),
            None,
        );
        // To the worst case: a limit at the estimate would only trade this for that warning.
        raise_limit(finding, plan, "postgres", Bytes(pg.worst_case_bytes), SMALLER_POSTGRES);
    } else if pg.worst_case_bytes > limit {
        let finding = findings.add(
            RuleId::PostgresMemoryWorstCase,
            "postgres.limits.memory",
            format!(
                "at worst Postgres uses {}: the estimate {} + {} connections × work_mem {} + {} autovacuum workers × \
                 {} + {} of /dev/shm (PostgreSQL's defaults), over its memory limit {} (the kernel kills it there)",
                Bytes(pg.worst_case_bytes),
                Bytes(pg.estimated_bytes),
                analysis.connections.used,
                Bytes(pgtune::DEFAULT_WORK_MEM_KB * 1024),
                pgtune::DEFAULT_AUTOVACUUM_WORKERS,
                Bytes(pgtune::DEFAULT_MAINTENANCE_WORK_MEM_KB * 1024),
                Bytes(pgtune::default_shm_bytes()),
                Bytes(limit)
            ),
            None,
        );
        raise_limit(finding, plan, "postgres", Bytes(pg.worst_case_bytes), SMALLER_POSTGRES);
    }
}

/// The workload's findings carry no fix here: the only true one is a change that also fits
/// the host, which `flowcap solve` finds (the report asks it: [`crate::report::Report::new`]).
fn workload(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let (Some(workload), Some(figures)) = (&plan.workload, &analysis.workload) else { return };
    let waits = &figures.waits;
    if !waits.stable {
        findings.add(
            RuleId::WorkloadUnstable,
            "workload.arrivals_per_minute",
            format!(
                "offered load {} Erlangs ({}/min × {}) on {} slots: executions queue without bound (needs at least {} slots)",
                trim_decimal(waits.offered_load, 1),
                trim_decimal(workload.arrivals_per_minute, 1),
                workload.mean_duration,
                waits.slots,
                figures.slots_for_stability
            ),
            None,
        );
    } else if figures.target_met == Some(false) {
        let p95 = crate::analysis::workload::wait_text(waits.p95_wait_seconds);
        let waiting = waits.waiting_percent();
        findings.add(
            RuleId::WorkloadTargetMissed,
            "workload.target",
            format!(
                "p95 wait {p95} and {waiting} % of executions wait, missing the target ({})",
                workload.target.unwrap_or_default()
            ),
            None,
        );
    }
}
