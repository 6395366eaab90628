//! What a deployment of the plan must get right beyond capacity: fixed host ports and
//! container names on scaled services, reservations above limits, one JWT key pair.

use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::fit::problems_from;
use crate::analysis::rules::table::RuleId;
use crate::model::cluster::Platform;
use crate::model::edit::{Change, Setting};
use crate::model::plan::{Plan, Resources};

pub fn fixed_host_ports(plan: &Plan, findings: &mut Findings) {
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

pub fn fixed_container_names(plan: &Plan, findings: &mut Findings) {
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

pub fn reservations_above_limits(plan: &Plan, findings: &mut Findings) {
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
            .change("api.shared_jwt_keys", Setting::Flag(true));
    }
}
