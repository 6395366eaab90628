//! The connection budget: what the clients can open against what max_connections leaves them,
//! and clients that connect as the superuser the reserve cannot hold back.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::table::RuleId;
use crate::model::edit::PlanEdit;
use crate::model::managed::Provider;
use crate::model::plan::Plan;
use crate::model::units::percent;

pub fn connections(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    // CockroachDB has no max_connections: its guidance line is cockroach.rs's.
    if analysis.cockroachdb.is_some() {
        return;
    }
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
    let pool = c.warning_line.saturating_sub(others).checked_div(u64::from(plan.api.replicas)).unwrap_or(0);
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
        .edit(PlanEdit::MaxConnections(c.required_max_connections));
}

pub fn connections_as_superuser(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let pg = &plan.postgres;
    let c = &analysis.connections;
    // As an ordinary role the clients lose the reserved slots: the budget must still hold them.
    let reserve = u64::from(pg.superuser_reserved_connections) + u64::from(pg.reserved_connections);
    let needed = (c.used * 100).div_ceil(u64::from(plan.policy.connection_warning_percent)) + reserve;
    // A managed database's admin user is no superuser, but people use it too: the slots the
    // clients fill are theirs.
    let (message, admins) = match &pg.managed {
        None => (
            format!(
                "Flow-Like connects as the database superuser: the {} superuser_reserved_connections do not hold it \
                 back, so when its pools fill max_connections an admin cannot connect",
                pg.superuser_reserved_connections
            ),
            "POSTGRES_USER",
        ),
        Some(managed) => (
            format!(
                "Flow-Like connects as {}'s admin user, which people administer it with: {}, so when its pools fill \
                 the {} usable an admin cannot connect",
                managed.provider.name(),
                match pg.reserved_connections {
                    0 => "nothing is held back from it".to_string(),
                    n => format!("it may take the {n} slots kept for that user's role too"),
                },
                c.usable
            ),
            "the admin user",
        ),
    };
    let mut fix = format!(
        "give DATABASE_URL an ordinary role (CREATE ROLE … LOGIN, with the grants Flow-Like needs) and keep {admins} for admins"
    );
    if needed > c.max_connections {
        fix.push_str(&format!(", with postgres.max_connections raised to {needed} so the reserve leaves it room"));
    }
    let finding = findings.add(RuleId::ConnectionsAsSuperuser, "postgres.clients_are_superuser", message, Some(fix));
    finding.edit(PlanEdit::ClientsAreSuperuser(false));
    if needed > c.max_connections {
        finding.edit(PlanEdit::MaxConnections(needed));
    }
}

/// A managed database's max_connections where its provider's defaults do not settle it: the
/// instance is not given, or its figure is the formula on the listed memory (an upper bound).
pub fn managed_max_connections(plan: &Plan, findings: &mut Findings) {
    let pg = &plan.postgres;
    let Some(managed) = pg.managed.as_ref().filter(|_| pg.external) else { return };
    let provider = managed.provider.name();
    match managed.defaults() {
        // The operator's own figure stands.
        Ok(None) if !pg.max_connections_given => {
            findings.add(
                RuleId::ManagedMaxConnections,
                "postgres.managed",
                format!(
                    "{provider} derives max_connections from the instance, which the plan does not name: the budget \
                     counts {}",
                    pg.max_connections
                ),
                Some(match managed.provider {
                    Provider::Rds | Provider::Aurora => {
                        "give postgres.managed.instance_class (or its memory), or postgres.max_connections".into()
                    }
                    Provider::Azure | Provider::Cloudsql => {
                        "give postgres.managed.instance_class, or postgres.max_connections".into()
                    }
                }),
            );
        }
        Ok(Some(defaults)) if !defaults.exact && defaults.max_connections == pg.max_connections => {
            findings.add(
                RuleId::ManagedMaxConnections,
                "postgres.managed",
                format!(
                    "{provider}'s default is LEAST(DBInstanceClassMemory/9531392, 5000): at most {} on {}; \
                     DBInstanceClassMemory is less than that by what AWS keeps for the OS and its processes, so the \
                     instance allows fewer",
                    defaults.max_connections,
                    managed.memory.map_or_else(|| "this instance".into(), |m| m.to_string())
                ),
                Some("run SHOW max_connections; on the instance and set postgres.max_connections to it".into()),
            );
        }
        _ => {}
    }
}
