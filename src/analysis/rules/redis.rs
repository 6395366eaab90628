//! Redis as Flow-Like fills it: a bound it has or lacks, what it evicts at that bound, and
//! whether the state Flow-Like keeps for 24 h fits under it.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::table::{REDIS_HEADROOM_PERCENT, RuleId};
use crate::model::cluster::Platform;
use crate::model::edit::PlanEdit;
use crate::model::plan::Plan;
use crate::model::redis::SERVICE;
use crate::model::units::{Bytes, trim_decimal};

pub fn redis(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let Some(figures) = &analysis.redis else { return };
    // The chart's redis.yaml starts `redis-server --appendonly yes` and takes no other flag
    // from its values: on Kubernetes only the container's limit can bound it.
    let chart_redis = plan.platform == Platform::Kubernetes && plan.other_services.contains_key(SERVICE);
    const CHART_FIX: &str = "set redis.master.resources.limits.memory (other_services.redis.limits.memory): the chart's redis-server takes no --maxmemory from its values, so its limit is the only bound; for a maxmemory, run your own Redis (redis.enabled: false) and give its URL to the API";
    let limit = figures.limit_bytes.map(Bytes);
    let maxmemory = figures.maxmemory_bytes.map(Bytes);
    let state = figures.state_bytes.map(Bytes);
    // What the fix sets maxmemory to: three quarters of the limit leaves Redis its buffers and
    // fragmentation.
    let suggested = limit.map(|l| Bytes(l.0 / 4 * 3 / (1 << 20) * (1 << 20)));
    match (maxmemory, limit) {
        (None, None) => {
            findings.add(
                RuleId::RedisUnbounded,
                "redis.maxmemory",
                format!(
                    "Redis runs with no maxmemory and no memory limit: the queue and 24 h of every run's state grow until the {} kills something",
                    if chart_redis { "node" } else { "host" }
                ),
                Some(if chart_redis {
                    CHART_FIX.into()
                } else {
                    "set other_services.redis.limits.memory and redis.maxmemory (about 75 % of it); flowcap export writes --maxmemory and --maxmemory-policy noeviction".into()
                }),
            );
        }
        (None, Some(limit)) => {
            let fix = if chart_redis {
                Some("the chart's redis-server takes no --maxmemory from its values: run your own Redis with maxmemory (redis.enabled: false) and give its URL to the API".into())
            } else {
                suggested.map(|m| format!("set redis.maxmemory to {m} (75 % of the limit); flowcap export writes it with --maxmemory-policy noeviction"))
            };
            let finding = findings.add(
                RuleId::RedisNoMaxmemory,
                "redis.maxmemory",
                format!("Redis has a {limit} memory limit and no maxmemory: at the limit the kernel kills it, with the queue and every run's state"),
                fix,
            );
            if let Some(m) = suggested.filter(|_| !chart_redis) {
                finding.edit(PlanEdit::RedisMaxmemory(m));
            }
        }
        (Some(max), Some(limit)) if max > limit => {
            let finding = findings.add(
                RuleId::RedisMaxmemoryOverLimit,
                "redis.maxmemory",
                format!("maxmemory {max} is above the container's {limit} limit: the kernel kills Redis first"),
                suggested.map(|m| format!("set redis.maxmemory to {m} (75 % of the limit), or raise the limit")),
            );
            if let Some(m) = suggested {
                finding.edit(PlanEdit::RedisMaxmemory(m));
            }
        }
        _ => {}
    }
    let policy = figures.maxmemory_policy;
    if policy.evicts_any_key() {
        findings.add(
            RuleId::RedisEvictsQueue,
            "redis.maxmemory_policy",
            format!("maxmemory-policy {policy} evicts any key at maxmemory: queued runs (exec:jobs) are lost without a trace"),
            Some("use maxmemory-policy noeviction (a full Redis then refuses new runs, and says so) and size maxmemory for the state".into()),
        );
    } else if policy.evicts_state() {
        findings.add(
            RuleId::RedisEvictsState,
            "redis.maxmemory_policy",
            format!("maxmemory-policy {policy} evicts runs' state (keys with a 24 h expiry) at maxmemory, then refuses writes"),
            Some("use maxmemory-policy noeviction and size maxmemory for the state".into()),
        );
    }
    if let (Some(max), Some(state)) = (maxmemory, state)
        && state.0 as f64 >= max.0 as f64 * f64::from(REDIS_HEADROOM_PERCENT) / 100.0
    {
        let runs = figures.runs_per_day.unwrap_or_default();
        // The first whole MiB past state ÷ 90 %: the state then stays under the line.
        let exact = state.0 as f64 / (f64::from(REDIS_HEADROOM_PERCENT) / 100.0);
        let needed = Bytes(((exact / f64::from(1 << 20)).floor() as u64 + 1) << 20);
        let finding = findings.add(
            RuleId::RedisNoHeadroom,
            "redis.maxmemory",
            format!(
                "{} runs a day at the peak rate, kept 24 h, need about {state} of Redis; maxmemory is {max}: a full Redis refuses new runs",
                trim_decimal(runs, 0)
            ),
            Some(format!("raise redis.maxmemory to at least {needed} (and the container limit above it)")),
        );
        if !chart_redis {
            finding.edit(PlanEdit::RedisMaxmemory(needed));
        }
    }
    let dataset = maxmemory.or(state);
    if figures.appendonly
        && let (Some(limit), Some(dataset)) = (limit, dataset)
        && limit.0 < dataset.0.saturating_mul(2)
    {
        findings.add(
            RuleId::RedisAofRewrite,
            "other_services.redis.limits.memory",
            format!(
                "appendonly: an AOF rewrite can need up to {} again; the {limit} limit is under twice that",
                dataset
            ),
            Some(format!(
                "raise other_services.redis.limits.memory to {} or lower redis.maxmemory to half the limit",
                Bytes(dataset.0 * 2)
            )),
        );
    }
}
