//! What a deployment of the plan must get right beyond capacity: fixed host ports and
//! container names on scaled services, reservations above limits, one JWT key pair.

use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::fit::problems_from;
use crate::analysis::rules::table::RuleId;
use crate::model::cluster::Platform;
use crate::model::edit::{Block, PlanEdit};
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;

pub fn fixed_host_ports(plan: &Plan, findings: &mut Findings) {
    for container in plan.containers() {
        if container.replicas < 2 || container.published_ports.is_empty() {
            continue;
        }
        let ports: Vec<String> = container.published_ports.iter().map(u16::to_string).collect();
        let fix = "flowcap export resets its published ports (`ports: !reset []`) and puts a load balancer on them";
        let in_planner =
            "the override (e) resets its published ports (`ports: !reset []`) and puts a load balancer on them";
        findings
            .add(
                RuleId::FixedHostPort,
                &format!("{}.published_ports", container.key),
                format!(
                    "{} publishes host port {}; its {} replicas cannot all bind it (\"port is already allocated\")",
                    container.name,
                    ports.join(", "),
                    container.replicas
                ),
                Some(fix.to_string()),
            )
            .in_planner(in_planner);
    }
}

pub fn fixed_container_names(plan: &Plan, findings: &mut Findings) {
    for container in plan.containers() {
        let Some(fixed) = container.container_name.filter(|_| container.replicas > 1) else { continue };
        findings
            .add(
                RuleId::FixedContainerName,
                &format!("{}.container_name", container.key),
                format!(
                    "{} has container_name `{fixed}`; Compose refuses {} replicas with one fixed name",
                    container.name, container.replicas
                ),
                Some("flowcap export resets container_name (`container_name: !reset null`)".to_string()),
            )
            .in_planner("the override (e) resets container_name (`container_name: !reset null`)");
    }
}

pub fn reservations_above_limits(plan: &Plan, findings: &mut Findings) {
    // Docker refuses the container; the Kubernetes API server refuses the pod.
    let (id, reserves) = match plan.platform {
        Platform::Compose => (RuleId::ReservationAboveLimit, "reserves"),
        Platform::Kubernetes => (RuleId::LimitsBelowRequests, "requests"),
    };
    let mut workloads: Vec<(ServiceKey, String, Resources, Resources)> =
        plan.containers().iter().map(|c| (c.key.clone(), c.name.to_string(), *c.limits, *c.reservations)).collect();
    if let Some(jobs) = &plan.jobs {
        workloads.push((ServiceKey::Jobs, "the Job pods".into(), jobs.limits, jobs.reservations));
    }
    for (key, name, limits, reserved) in workloads {
        // Each pair: the limit raised to the reservation, the reservation lowered to the limit.
        let over = [
            (
                limits.cpus.zip(reserved.cpus).filter(|(l, r)| r > l).map(|(l, r)| {
                    (PlanEdit::Cpus(key.clone(), Block::Limits, r), PlanEdit::Cpus(key.clone(), Block::Reservations, l))
                }),
                "cpus",
            ),
            (
                limits.memory.zip(reserved.memory).filter(|(l, r)| r > l).map(|(l, r)| {
                    (
                        PlanEdit::Memory(key.clone(), Block::Limits, r),
                        PlanEdit::Memory(key.clone(), Block::Reservations, l),
                    )
                }),
                "memory",
            ),
        ];
        for (edits, resource) in over {
            let Some((raise, lower)) = edits else { continue };
            let (limit_text, reservation_text) = (lower.value().to_string(), raise.value().to_string());
            let message = match resource {
                "cpus" => format!("{name} {reserves} {reservation_text} CPUs but is limited to {limit_text}"),
                _ => format!("{name} {reserves} {reservation_text} of memory but is limited to {limit_text}"),
            };
            let reservation_path = lower.path();
            // Each alternative is the edit a fix carries, tried on the plan.
            let option = |verb: &str, edit: PlanEdit| {
                let problems = problems_from(plan, |edited| {
                    let _ = edit.apply(edited);
                });
                (format!("{verb} {} to {}", edit.path(), edit.value()), edit, problems)
            };
            let raise = option("raise", raise);
            let lower = option("lower", lower);
            // On Kubernetes the request is what the scheduler placed: keep it and raise the
            // limit; on a host the reservation comes down to the limit. Either only when it
            // brings no new problem (a request lowered may pack a node past its memory).
            let options = match plan.platform {
                Platform::Kubernetes => [raise, lower],
                Platform::Compose => [lower, raise],
            };
            let finding = findings.add(id, &reservation_path, message, None);
            match options.iter().find(|(_, _, problems)| problems.is_empty()) {
                Some((text, edit, _)) => {
                    let other = options.iter().find(|(_, other, _)| other != edit).map_or("", |(t, ..)| t.as_str());
                    finding.fix = Some(format!("{text}, or {other}"));
                    finding.edit(edit.clone());
                }
                None => {
                    let why: Vec<String> = options
                        .iter()
                        .map(|(text, _, problems)| format!("to {text} brings {}", problems.join("; ")))
                        .collect();
                    finding.fix = Some(format!("{}: use bigger nodes or a smaller workload", why.join(", and ")));
                }
            }
        }
    }
}

/// Several API replicas without one shared JWT key pair. The chart gives every API pod the
/// same keys from one Secret.
pub fn jwt_keys(plan: &Plan, findings: &mut Findings) {
    if plan.platform == Platform::Compose && plan.api.replicas > 1 && plan.api.shared_jwt_keys == Some(false) {
        findings
            .add(
                RuleId::JwtKeysNotShared,
                "api.shared_jwt_keys",
                format!("{} API replicas each sign tokens with their own key", plan.api.replicas),
                Some("give every API replica the same BACKEND_KEY / BACKEND_PUB / BACKEND_KID".into()),
            )
            .edit(PlanEdit::SharedJwtKeys(true));
    }
}
