//! Whether the plan fits where it runs: the host's CPUs and memory (Compose), the cluster's
//! nodes (Kubernetes), and whether a fix that asks for more still fits.

use crate::analysis::figures::{self, Analysis, HostFit};
use crate::analysis::orders::Scheduling;
use crate::analysis::placement;
use crate::analysis::rules::finding::{Finding, Findings};
use crate::analysis::rules::table::{RuleId, Severity};
use crate::model::cluster::Platform;
use crate::model::edit::{Block, PlanEdit};
use crate::model::plan::Plan;
use crate::model::service::{ServiceKey, workload_name};
use crate::model::units::{Bytes, Cpus, percent, trim_decimal};

/// The host's (or the cluster's) problems, warnings and errors, that `edit` would bring to the
/// plan: a bigger limit or one more runtime is a fix only when the host or cluster holds it.
pub fn problems_from(plan: &Plan, edit: impl FnOnce(&mut Plan)) -> Vec<String> {
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
pub fn raise_limit(finding: &mut Finding, plan: &Plan, key: ServiceKey, value: Bytes, otherwise: &str) {
    let edit = PlanEdit::Memory(key.clone(), Block::Limits, value);
    let path = edit.path();
    // Exact where the rounded figure would read as the limit it raises ("3.2 GiB to 3.2 GiB").
    let now = plan.containers().into_iter().find(|c| c.key == key).and_then(|c| c.limits.memory);
    let value =
        if now.is_some_and(|now| now.to_string() == value.to_string()) { value.compose() } else { value.to_string() };
    // A service the plan lacks takes no limit: nothing changes, nothing is lacking.
    let lacking = problems_from(plan, |edited| {
        let _ = edit.apply(edited);
    });
    if lacking.is_empty() {
        finding.fix = Some(format!(
            "raise {path} to {value}{otherwise}",
            otherwise = if otherwise.is_empty() { String::new() } else { format!(", or {otherwise}") }
        ));
        finding.edit(edit);
    } else {
        let place = if plan.platform == Platform::Kubernetes { "the cluster" } else { "this host" };
        finding.fix = Some(format!("{path} {value} would not fit {place} ({}): {otherwise}", lacking.join("; ")));
    }
}

pub fn host_fit(plan: &Plan, host: Option<&HostFit>, findings: &mut Findings) {
    let Some(fit) = host else {
        findings
            .add(
                RuleId::HostUnknown,
                "host",
                "no host given: host CPU and memory fit not checked".into(),
                Some("add host: { cpus: N, memory: SIZE } to the plan, or pass --host-cpus and --host-memory".into()),
            )
            .in_planner("set the Host's cpus and memory in the Plan");
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
            .edit(PlanEdit::HostCpus(Cpus::whole(needed as u64)));
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
            .edit(PlanEdit::HostMemory(Bytes(needed)));
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
            .edit(PlanEdit::HostCpus(Cpus((fit.cpu_reservations * 1000.0).round() as u64)));
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
            .edit(PlanEdit::HostMemory(Bytes(fit.memory_reservations_bytes)));
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

/// The Kubernetes findings: placement now and at the maximum, the connection budget at the
/// API autoscaler's maximum, autoscalers without requests, per-node limit overcommit.
pub fn cluster(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let Some(fit) = &analysis.cluster else { return };
    // Pods short now are short at the maximum too: say it once.
    let short = |placement: &'_ placement::Placement| -> Vec<placement::Unplaced> {
        placement.unplaced.iter().filter(|u| u.workload != "jobs").cloned().collect()
    };
    let (unplaced, when, nodes) = match short(&fit.now) {
        now if !now.is_empty() => (now, "now", "nodes"),
        _ => (short(&fit.at_maximum), "at every autoscaler's maximum", "max_nodes"),
    };
    // Packed largest first they all fit, but kube-scheduler, which spreads and never moves a
    // pod, leaves some Pending in some order of arrival.
    if unplaced.is_empty() {
        pending_in_some_order(plan, &fit.scheduling, findings);
    }
    for unplaced in unplaced {
        let fix = if unplaced.barred {
            let w = &unplaced.workload;
            // Where the chart renders them: only some of its templates do.
            let values = crate::model::chart::placement_keys(w).map_or(String::new(), |(v, affinity)| {
                let affinity = if affinity { format!(", {v}.affinity") } else { String::new() };
                format!("; in Helm values {v}.nodeSelector, {v}.tolerations{affinity}")
            });
            format!(
                "change where {w} may run (pod_placement.{w}{values}), or give a node pool the labels it selects and no taint it does not tolerate (cluster.node_pools.*.labels, taints)"
            )
        } else if unplaced.apart {
            apart_fix(plan, &unplaced.workload, nodes)
        } else if unplaced.beside {
            beside_fix(plan, &unplaced.workload)
        } else if unplaced.reason == placement::NO_POD_SLOTS {
            "lower cluster.daemonset_pods below the nodes' max_pods, or raise the pools' max_pods".to_string()
        } else if unplaced.pods_full {
            format!(
                "raise the pools' max_pods (the kubelet's maxPods) or add nodes (cluster.node_pools: {nodes}): the nodes have room, not pod slots"
            )
        } else if unplaced.too_big {
            // What the DaemonSets request on every node is part of what is too big.
            let daemonsets = plan
                .cluster
                .as_ref()
                .filter(|c| c.daemonset.cpus.is_some() || c.daemonset.memory.is_some())
                .map_or(String::new(), |_| ", or what the DaemonSets request on every node (cluster.daemonset)".into());
            format!("use a node pool with bigger nodes, or {}{daemonsets}", lower_requests(&unplaced.workload))
        } else {
            format!("add nodes (cluster.node_pools: {nodes}) or bigger ones, or {}", lower_requests(&unplaced.workload))
        };
        findings.add(
            RuleId::PodsUnschedulable,
            // Where the operator said where the pods may run, when that bars them.
            &if (unplaced.barred || unplaced.apart || unplaced.beside)
                && plan.pod_placement.contains_key(&unplaced.workload)
            {
                format!("pod_placement.{}", unplaced.workload)
            } else {
                "cluster.node_pools".to_string()
            },
            format!(
                "{} {} pod(s) cannot be placed {when}: {}",
                unplaced.pods,
                workload_name(&unplaced.workload),
                unplaced.reason
            ),
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
            .edit(PlanEdit::JobsMaxConcurrent(fitting.into()));
    }
    if let Some(maximum) = &analysis.at_maximum
        && let Some(hpa) = plan.api.autoscaling
        && analysis.cockroachdb.is_none()
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
                finding.edit(PlanEdit::ApiAutoscalingMax(within));
            } else {
                finding.fix = Some(format!("raise postgres.max_connections to {}", c.required_max_connections));
                finding.edit(PlanEdit::MaxConnections(c.required_max_connections));
            }
        }
    }
    let containers = plan.containers();
    for (key, _, hpa) in plan.autoscalers() {
        let Some(container) = containers.iter().find(|c| c.key == key) else { continue };
        let requests = placement::effective_requests(container.reservations, container.limits);
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
                Some(format!(
                    "set {key}.requests.{}{}",
                    missing.join(" and "),
                    crate::model::chart::chart_workload(&key)
                        .map_or(String::new(), |w| format!(" (in Helm values {}.resources.requests)", w.values))
                )),
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
        // A pod without a memory limit may take all a node has: the sum counts it at its
        // request, which understates, and says so.
        let unlimited: Vec<String> = placement::pods(plan, placement::Scale::Maximum)
            .iter()
            .filter(|g| g.count > 0 && g.memory_limit.is_none())
            .map(|g| workload_name(&g.workload).to_string())
            .collect();
        let unlimited = match unlimited.as_slice() {
            [] => String::new(),
            [one] => format!("; {one} has no memory limit: counted at its request, though it may take all a node has"),
            many => format!(
                "; {} have no memory limit: counted at their requests, though they may take all a node has",
                many.join(", ")
            ),
        };
        // Without an autoscaler of pods or nodes the maximum is what runs now.
        let scales = !plan.autoscalers().is_empty()
            || plan.jobs.is_some()
            || plan
                .cluster
                .as_ref()
                .is_some_and(|c| c.node_pools.iter().any(|p| p.max_nodes.is_some_and(|m| m > p.nodes)));
        findings.add(
            RuleId::NodeLimitsOvercommit,
            "cluster.node_pools",
            format!(
                "{}the pods' memory limits overcommit {} node(s) (the most, {}: {} % of what it offers pods); under load the kernel kills one{unlimited}",
                if scales { "at the maximum " } else { "" },
                nodes.len(),
                first.node,
                percent(first.memory_limits_share)
            ),
            Some("raise memory requests toward the limits (the scheduler then spreads the pods), lower the limits, or add nodes".into()),
        );
    }
}

/// The first order of arrival that leaves pods Pending now, else at the maximum, with what the
/// packing largest first would have done beside it.
fn pending_in_some_order(plan: &Plan, scheduling: &Scheduling, findings: &mut Findings) {
    let found = [(&scheduling.now, "now", true), (&scheduling.at_maximum, "at every autoscaler's maximum", false)]
        .into_iter()
        .find_map(|(order, when, now)| Some((order.as_ref()?, when, now)));
    let Some((order, when, now)) = found else { return };
    let Some(cluster) = plan.cluster.as_ref() else { return };
    for waiting in &order.pending {
        let name = workload_name(&waiting.workload);
        let before: Vec<&str> =
            order.order.iter().take_while(|w| **w != waiting.workload).map(|w| workload_name(w)).collect();
        let arrival = if before.is_empty() {
            format!("when {name}'s pods come first{}", order.ties.said())
        } else {
            let before = match before.split_last() {
                Some((last, [])) => format!("{last}'s pods come"),
                Some((last, rest)) => format!("the pods of {} and {last} come", rest.join(", ")),
                None => String::new(),
            };
            format!("when {before} before {name}'s{}", order.ties.said())
        };
        let finding = findings.add(
            RuleId::PodsPendingInSomeOrder,
            "cluster.node_pools",
            format!("{} {name} pod(s) stay Pending {when} {arrival}: {}", waiting.pods, waiting.reason),
            None,
        );
        let best = "the pods fit the nodes (in the right order every pod finds room), but the scheduler spreads pods and never moves one";
        match order
            .extra_nodes
            .zip(order.extra_nodes_pool)
            .and_then(|(extra, at)| Some((extra, at, cluster.node_pools.get(at)?)))
        {
            Some((extra, at, pool)) => {
                // Now: more nodes, and the autoscaler's maximum as far above them as it was.
                let nodes = now.then_some(pool.nodes + extra);
                let max_nodes = if now {
                    pool.max_nodes.map(|m| m + extra)
                } else {
                    Some(pool.max_nodes.unwrap_or(pool.nodes) + extra)
                };
                let mut set = Vec::new();
                if let Some(nodes) = nodes {
                    set.push(format!("cluster.node_pools.{at}.nodes to {nodes}"));
                    finding.edit(PlanEdit::PoolNodes(at, u64::from(nodes)));
                }
                if let Some(max) = max_nodes {
                    set.push(format!("cluster.node_pools.{at}.max_nodes to {max}"));
                    finding.edit(PlanEdit::PoolMaxNodes(at, u64::from(max)));
                }
                if cluster.node_pools.len() > 1 {
                    set.push(format!("(pool {})", pool.name));
                }
                let orders = if scheduling.every_order { "every order" } else { "each order tried" };
                finding.fix = Some(format!(
                    "{best}: the spread costs {extra} node(s) in {orders}; set {}, or {}",
                    set.join(" and ").replace(" and (pool", " (pool"),
                    relief(waiting)
                ));
            }
            None => {
                finding.fix = Some(format!("{best}: use bigger nodes, or {}", relief(waiting)));
            }
        }
    }
}

/// What else lets a Pending pod in: a required pod (anti-)affinity relaxed where that kept it
/// off nodes with room, else smaller requests.
fn relief(waiting: &crate::analysis::scheduler::Pending) -> String {
    if waiting.apart {
        format!("relax {}'s required pod anti-affinity (preferred keeps the spread)", workload_name(&waiting.workload))
    } else if waiting.beside {
        format!(
            "relax {}'s required pod affinity (a preferred one keeps them together where there is room)",
            workload_name(&waiting.workload)
        )
    } else {
        lower_requests(&waiting.workload)
    }
}

/// "lower tempo's requests", with the keys that set them: the plan's, and the chart's where
/// the chart renders them.
fn lower_requests(workload: &str) -> String {
    let values = ServiceKey::parse(workload)
        .as_ref()
        .and_then(crate::model::chart::chart_workload)
        .map_or(String::new(), |w| format!("; in Helm values {}.resources.requests", w.values));
    format!("lower {}'s requests ({workload}.reservations{values})", workload_name(workload))
}

/// What lets in a pod that its required pod affinity keeps off every node with room: room where
/// the pods it joins run (or the label its terms group by, where no node has it), or the term
/// relaxed, at its plan and values keys.
fn beside_fix(plan: &Plan, workload: &str) -> String {
    let group = placement::pods(plan, placement::Scale::Maximum).into_iter().find(|g| g.workload == workload);
    // Some pool turns it away: the pods it joins may run only there.
    let confined = group.as_ref().is_some_and(|g| g.admission.pools.contains(&false));
    let beside = group.and_then(|g| g.beside);
    let room = match beside.as_ref().map(|b| (b.unlabelled(), b.terms.iter().any(|term| term.domains.is_some()))) {
        // Nothing it joins ever runs: a term without a selector, a component switched off.
        _ if beside.as_ref().is_some_and(|b| b.with.is_empty() && !b.outside) => {
            "give its terms a labelSelector that selects pods the plan runs (or switch on the component it names)"
                .into()
        }
        Some((Some(key), _)) => {
            format!("give the node pools where it may run the label {key} (cluster.node_pools.*.labels)")
        }
        Some((None, true)) => {
            "make room for it where the pods it joins run (more or bigger nodes in their domain, or fewer other pods)"
                .into()
        }
        _ => "make room for it where the pods it joins run (bigger nodes there, or fewer other pods)".into(),
    };
    let values = crate::model::chart::placement_keys(workload)
        .filter(|(_, affinity)| *affinity)
        .map_or(String::new(), |(values, _)| format!("; in Helm values {values}.affinity.podAffinity"));
    let admit = if confined {
        format!(
            ", or let it run where they run (pod_placement.{workload}: its node_selector, node affinity, tolerations)"
        )
    } else {
        String::new()
    };
    format!(
        "{room}{admit}, or relax {}'s required pod affinity (pod_placement.{workload}.required_pod_affinity{values}): a preferred one keeps them together where there is room",
        workload_name(workload)
    )
}

/// What lets in a pod that its required pod anti-affinity keeps off every node with room:
/// more nodes where the domains are nodes, another domain (a pool with another value of the
/// key) where they are zones, or the term relaxed, at its plan and values keys.
fn apart_fix(plan: &Plan, workload: &str, nodes: &str) -> String {
    let group = placement::pods(plan, placement::Scale::Maximum).into_iter().find(|g| g.workload == workload);
    let mut keys: Vec<&str> = Vec::new();
    for rule in group.iter().flat_map(|g| &g.apart) {
        if rule.domains.is_some() && !keys.contains(&rule.topology_key.as_str()) {
            keys.push(&rule.topology_key);
        }
    }
    let more = if keys.is_empty() {
        format!("add nodes (cluster.node_pools: {nodes})")
    } else {
        format!(
            "add a node pool with another {} (its labels): more nodes in the same one do not help",
            keys.join(" or ")
        )
    };
    let values = crate::model::chart::placement_keys(workload)
        .filter(|(_, affinity)| *affinity)
        .map_or(String::new(), |(values, _)| format!("; in Helm values {values}.affinity.podAntiAffinity"));
    format!(
        "{more}, or relax {}'s required pod anti-affinity (pod_placement.{workload}.required_pod_anti_affinity{values}): a preferred one keeps the spread without leaving pods Pending",
        workload_name(workload)
    )
}
