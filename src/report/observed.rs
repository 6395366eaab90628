//! `flowcap observe`'s report, and the Observed section of a check.

use crate::io::text::span;
use crate::model::observed::{FEW_SAMPLES, Observed};
use std::time::Duration;

/// The report for people.
pub fn render(observed: &Observed) -> String {
    format!("flowcap observe: {}\n{}", heading(observed), figures(observed))
}

/// Where and when: `URL over 7d to 2026-11-30T00:00:00Z at 5m steps (2016 samples)`.
pub fn heading(observed: &Observed) -> String {
    let o = observed;
    let end = std::time::UNIX_EPOCH + Duration::from_secs(o.window.end.max(0.0) as u64);
    // Less than nine tenths of the window with data: the mean and the shares are of that part.
    let mut covered = if o.covered_seconds * 10 < o.window.seconds * 9 {
        format!("; data for {} of it", span(o.covered_seconds))
    } else {
        String::new()
    };
    // A share of a handful of steps is a handful of coin flips.
    if o.samples < FEW_SAMPLES {
        covered.push_str(&format!("; too few for the shares: shorten --step to at least {FEW_SAMPLES} samples"));
    }
    format!(
        "{} over {} to {} at {} steps ({} samples{covered})",
        o.prometheus,
        span(o.window.seconds),
        humantime::format_rfc3339_seconds(end),
        span(o.window.step),
        o.samples
    )
}

/// The figures, one indented line each.
pub fn figures(observed: &Observed) -> String {
    use crate::model::units::trim_decimal;
    let o = observed;
    let seconds = |s: f64| format!("{} s", trim_decimal(s, 2));
    let mut out = String::new();
    out.push_str(&format!(
        "  peak runs / minute     {} (the highest 5-minute rate)\n",
        trim_decimal(o.peak_runs_per_minute, 2)
    ));
    out.push_str(&format!(
        "  mean runs / minute     {} (the mean 5-minute rate)\n",
        trim_decimal(o.mean_runs_per_minute, 2)
    ));
    out.push_str(&format!(
        "  mean duration          {} (sum ÷ count, as recorded: streaming runs to their headers)\n",
        seconds(o.mean_duration_seconds)
    ));
    let queued_mean = o.queued_mean_duration_seconds.map_or("—".into(), seconds);
    out.push_str(&format!(
        "  queued runs / minute   peak {}, mean {}, {queued_mean} each (all runs less the HTTP requests)\n",
        trim_decimal(o.queued_peak_runs_per_minute, 2),
        trim_decimal(o.queued_mean_runs_per_minute, 2)
    ));
    out.push_str(&format!(
        "  HTTP runs / minute     peak {}, mean {} (their durations are not in the metrics: the plan's workload.streaming.mean_duration stands)\n",
        trim_decimal(o.http_peak_runs_per_minute, 2),
        trim_decimal(o.http_mean_runs_per_minute, 2)
    ));
    if let Some(blocking) = o.blocking_mean_duration_seconds {
        out.push_str(&format!("  blocking /execute      {} each (measured in full)\n", seconds(blocking)));
    }
    if let Some(in_flight) = o.http_in_flight_peak {
        out.push_str(&format!(
            "  executor_active_jobs   peak {} (HTTP runs in flight, streaming ones until their headers; never queued runs)\n",
            trim_decimal(in_flight, 1)
        ));
    }
    match (o.p95_duration_seconds, o.p95_bucket_seconds) {
        (Some(p95), Some((low, high))) => out.push_str(&format!(
            "  p95 duration           {} (within the {}–{} bucket)\n",
            seconds(p95),
            seconds(low),
            seconds(high)
        )),
        (Some(p95), None) => out.push_str(&format!("  p95 duration           {}\n", seconds(p95))),
        _ => out.push_str("  p95 duration           unknown (no buckets in the window)\n"),
    }
    match (o.busy_slots_peak, o.busy_slots_p95, o.saturated_share) {
        (Some(peak), Some(p95), Some(share)) => out.push_str(&format!(
            "  busy queue slots       peak {}, p95 {} of the {} slots of {} (Little's law); every slot busy {} % of the time\n",
            trim_decimal(peak, 1),
            trim_decimal(p95, 1),
            o.slots,
            o.plan,
            crate::model::units::percent(share)
        )),
        _ => out.push_str("  busy queue slots       none (no queued runs recorded)\n"),
    }
    match o.queue_length_peak {
        Some(length) => out.push_str(&format!("  queue length           peak {} (exec:jobs)\n", trim_decimal(length, 0))),
        None => out.push_str(
            "  queue length           unknown (set REDIS_EXPORTER_CHECK_SINGLE_KEYS: exec:jobs on the redis-exporter)\n",
        ),
    }
    if let Some(memory) = o.redis_memory_peak_bytes {
        let per_run = o.state_per_run_bytes.map_or(String::new(), |b| {
            format!(", about {} per run kept 24 h", crate::model::units::Bytes(b.round() as u64))
        });
        out.push_str(&format!(
            "  Redis memory           peak {}{per_run}\n",
            crate::model::units::Bytes(memory.round() as u64)
        ));
    }
    match (o.connections_peak, o.max_connections) {
        (Some(peak), Some(max)) => out.push_str(&format!(
            "  Postgres connections   peak {} of max_connections {}\n",
            trim_decimal(peak, 0),
            trim_decimal(max, 0)
        )),
        _ => out.push_str("  Postgres connections   unknown (no postgres-exporter series)\n"),
    }
    out
}
