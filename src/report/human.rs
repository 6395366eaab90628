//! The report for people: figures with their arithmetic, then findings with fixes.

use super::Report;
use crate::analysis::autoscaler::Metric;
use crate::analysis::cockroach::CockroachFigures;
use crate::analysis::figures::{ClusterFit, Connections, PostgresMemory};
use crate::analysis::postgres_memory::SettingsSource;
use crate::analysis::streaming::{Spread, StreamingFigures};
use crate::analysis::workload::{QueuedFigures, wait_text};
use crate::io::text::count;
use crate::model::cockroach::CONNECTIONS_PER_VCPU;
use crate::model::units::{Bytes, Seconds, percent, share_text, trim_decimal};
use std::fmt::Write;

fn cluster(out: &mut String, fit: &ClusterFit) {
    let _ = writeln!(
        out,
        "\nCluster fit (requests placed on the nodes' allocatable, first fit largest or smallest first, or as kube-scheduler spreads them where that places more)"
    );
    for pool in &fit.pools {
        let _ = writeln!(
            out,
            "  {:<22} {} ({}): each offers the plan's pods {} CPUs · {} · {}",
            format!("pool {}", crate::io::text::cut(&pool.name, 16)),
            count(u64::from(pool.nodes), "node"),
            pool.provider,
            trim_decimal(pool.cpus, 3),
            Bytes(pool.memory_bytes),
            count(u64::from(pool.pods), "pod slot")
        );
    }
    for (name, placement) in [("now", &fit.now), ("at maximum", &fit.at_maximum)] {
        let _ = writeln!(
            out,
            "  {name:<22} {} of {} placed on {} · CPU requests {} % · memory requests {} %",
            placement.placed,
            count(placement.pods, "pod"),
            count(u64::from(placement.nodes), "node"),
            percent(placement.cpu_requests_share),
            percent(placement.memory_requests_share)
        );
    }
    let scheduled = &fit.scheduling;
    let line = match (&scheduled.now, &scheduled.at_maximum) {
        (None, None) if scheduled.every_order => {
            format!("every order of arrival ({}) places every pod", scheduled.orders)
        }
        (None, None) => format!(
            "{} orders of arrival (each workload first, the rest largest first) place every pod",
            scheduled.orders
        ),
        (Some(order), _) | (None, Some(order)) => {
            let pending: u32 = order.pending.iter().map(|p| p.pods).sum();
            let when = if scheduled.now.is_some() { "now" } else { "at maximum" };
            // Pods no pool admits wait whatever the order: naming one would mislead.
            if order.pending.iter().all(|p| p.barred) {
                format!("{pending} pod(s) Pending {when} in every order: no node pool admits them")
            } else {
                let name = |w: &str| crate::model::service::workload_name(w).to_string();
                let which: Vec<String> =
                    order.pending.iter().map(|p| format!("{} {}", name(&p.workload), p.pods)).collect();
                let ties = order.ties;
                let order: Vec<String> = order.order.iter().map(|w| name(w)).collect();
                let covered = if scheduled.every_order {
                    format!("all {} orders of arrival", scheduled.orders)
                } else {
                    format!("the {} orders tried", scheduled.orders)
                };
                format!(
                    "{pending} pod(s) Pending {when} ({}) when the pods arrive as {}{} (the worst of {covered})",
                    which.join(", "),
                    order.join(", "),
                    ties.said(),
                )
            }
        }
    };
    let _ = writeln!(out, "  kube-scheduler         {line}");
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let f = &report.figures;
    // A plan without a name is titled by its file: said once.
    let (title, sources) = (report.title(), report.sources());
    if title == sources {
        let _ = writeln!(out, "flowcap check: {title}");
    } else {
        let _ = writeln!(out, "flowcap check: {title} ({sources})");
    }

    let _ = writeln!(out, "\nCapacity");
    if f.queue_consumed {
        let _ = writeln!(
            out,
            "  queued executions      {} at once = {} × {} slots",
            f.concurrent_executions,
            count(u64::from(f.runtime_replicas), "runtime"),
            f.slots_per_replica
        );
    } else {
        let _ = writeln!(
            out,
            "  queued executions      none run: the chart's executor pool has no queue worker ({} × {} slots is the plan's sizing)",
            count(u64::from(f.runtime_replicas), "runtime"),
            f.slots_per_replica
        );
    }
    let http = f.streaming.as_ref().map_or("no limit (HTTP runs are admitted at once)".into(), |s| s.summary());
    let _ = writeln!(out, "  streaming executions   {http}");
    let memory = f.per_slot.memory().map_or("unlimited memory".into(), |m| m.to_string());
    let cpus = f.per_slot.cpus.map_or("unlimited CPU".into(), |c| format!("{} CPU", trim_decimal(c, 3)));
    let _ = writeln!(out, "  per execution slot     {memory} · {cpus} (runtime limits ÷ slots)");

    let c = &f.connections;
    match &f.cockroachdb {
        Some(db) => cockroach_connections(&mut out, c, db),
        None => postgres_connections(&mut out, c),
    }

    if let Some(maximum) = &f.at_maximum {
        let c = &maximum.connections;
        let _ = writeln!(out, "\nAt every autoscaler's maximum");
        let _ = writeln!(
            out,
            "  replicas               api {} · runtime {}",
            maximum.api_replicas, maximum.runtime_replicas
        );
        let _ = writeln!(out, "  concurrent executions  {}", maximum.concurrent_executions);
        match f.cockroachdb.as_ref().and_then(|db| db.connection_guidance) {
            Some(guidance) => {
                let _ = writeln!(out, "  connections            {} (CockroachDB guidance about {guidance})", c.used);
            }
            None if f.cockroachdb.is_some() => {
                let _ = writeln!(out, "  connections            {}", c.used);
            }
            None => {
                let _ =
                    writeln!(out, "  connections            {} / {} usable ({} %)", c.used, c.usable, percent(c.share));
            }
        }
    }

    match (&f.host, &f.cluster) {
        (_, Some(fit)) => cluster(&mut out, fit),
        (None, None) => {
            let _ = writeln!(out, "\nHost fit: skipped (the plan has no host)");
        }
        (Some(h), None) => {
            let _ = writeln!(out, "\nHost fit ({} CPUs, {})", trim_decimal(h.cpus, 3), Bytes(h.memory_bytes));
            let cpu = |used: f64, share: f64| {
                format!("{} / {} CPUs  {} %", trim_decimal(used, 3), trim_decimal(h.cpus, 3), percent(share))
            };
            let mem =
                |used: u64, share: f64| format!("{} / {}  {} %", Bytes(used), Bytes(h.memory_bytes), percent(share));
            let _ = writeln!(out, "  CPU limits             {}", cpu(h.cpu_limits, h.cpu_limits_share));
            let _ = writeln!(out, "  CPU reservations       {}", cpu(h.cpu_reservations, h.cpu_reservations_share));
            let _ = writeln!(out, "  memory limits          {}", mem(h.memory_limits_bytes, h.memory_limits_share));
            let _ = writeln!(
                out,
                "  memory reservations    {}",
                mem(h.memory_reservations_bytes, h.memory_reservations_share)
            );
        }
    }

    match &f.cockroachdb {
        Some(db) => cockroach_memory(&mut out, db),
        // A managed database's memory is its provider's: nothing of the plan's to show.
        None if f.postgres.external => {}
        None => postgres_memory(&mut out, &f.postgres, c.used),
    }

    if let Some(w) = &f.queued {
        queued(&mut out, w);
    }
    if let Some(s) = &f.streaming {
        streaming(&mut out, s);
    }
    if let Some(observed) = &report.observed {
        let _ = write!(
            out,
            "\nObserved: {}\n{}",
            crate::report::observed::heading(observed),
            crate::report::observed::figures(observed)
        );
    }

    let s = &report.summary;
    let _ = writeln!(
        out,
        "\nFindings: {}, {}, {} info",
        count(s.errors as u64, "error"),
        count(s.warnings as u64, "warning"),
        s.infos
    );
    for located in &report.findings {
        let finding = &located.finding;
        let place = match (located.line, located.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", located.file),
            _ => located.file.clone(),
        };
        let _ = writeln!(out, "  {:<7} {}  {place}", finding.severity, finding.rule);
        let _ = writeln!(out, "          {}", finding.message);
        if let Some(fix) = &finding.fix {
            let _ = writeln!(out, "          fix: {fix}");
        }
    }
    let verdict = if s.failed { "FAIL" } else { "PASS" };
    let _ = writeln!(out, "\n{verdict} (fails on {} and above)", s.fail_on);
    out
}

fn queued(out: &mut String, w: &QueuedFigures) {
    let waits = &w.waits;
    let _ = writeln!(out, "\nQueued runs (one queue over every slot: {})", w.model);
    let _ = writeln!(
        out,
        "  offered load           {} Erlangs = {}/min × {} on {} slots ({} % utilisation)",
        trim_decimal(waits.offered_load, 2),
        trim_decimal(w.arrivals_per_minute, 2),
        Seconds(w.mean_duration_seconds),
        waits.slots,
        percent(waits.utilisation)
    );
    let _ = writeln!(out, "  throughput ceiling     {}/min", trim_decimal(w.throughput_ceiling_per_minute, 1));
    if !waits.stable {
        let _ = writeln!(
            out,
            "  UNSTABLE               the queue grows without bound: needs at least {} slots",
            w.slots_for_stability
        );
        return;
    }
    let _ = writeln!(out, "  executions that wait   {} %", waits.waiting_percent());
    let _ = writeln!(
        out,
        "  wait mean / p95 / p99  {} / {} / {}",
        wait_text(waits.mean_wait_seconds),
        wait_text(waits.p95_wait_seconds),
        wait_text(waits.p99_wait_seconds)
    );
    if let (Some(target), Some(met)) = (&w.target, w.target_met) {
        let _ = writeln!(out, "  target                 {target}: {}", if met { "met" } else { "MISSED" });
    }
}

fn streaming(out: &mut String, s: &StreamingFigures) {
    let spread = match s.spread {
        Spread::Even => format!("spread evenly over {}", count(u64::from(s.runtimes_reached), "runtime")),
        Spread::OneRuntime => "through Docker's DNS: the worst case, all on one runtime".to_string(),
    };
    let _ = writeln!(out, "\nStreaming runs (no admission limit; {spread})");
    let _ = writeln!(
        out,
        "  in flight              {} = {}/min × {}",
        trim_decimal(s.mean_per_runtime * f64::from(s.runtimes_reached), 2),
        trim_decimal(s.arrivals_per_minute, 2),
        Seconds(s.mean_duration_seconds)
    );
    let _ = writeln!(
        out,
        "  per runtime            mean {}, p99 {} (Poisson, M/G/∞)",
        trim_decimal(s.mean_per_runtime, 1),
        s.p99_per_runtime
    );
    match (s.memory_fit_per_runtime, s.over_memory_per_runtime, s.over_memory_any_runtime) {
        // One runtime, or both shares the same at the precision shown: one figure, not two.
        (Some(fit), Some(one), Some(any)) if s.runtimes_reached == 1 || share_text(one) == share_text(any) => {
            let _ = writeln!(
                out,
                "  memory fits            {fit} runs per runtime; over it {} of the peak",
                share_text(one)
            );
        }
        (Some(fit), Some(one), Some(any)) => {
            let _ = writeln!(
                out,
                "  memory fits            {fit} runs per runtime; over it {} of the peak on each, {} on some one of {}",
                share_text(one),
                share_text(any),
                s.runtimes_reached
            );
        }
        _ => {
            let _ =
                writeln!(out, "  memory fits            unknown (needs runtime memory limit and memory_per_execution)");
        }
    }
    if let Some(settled) = &s.autoscaler {
        let why = match settled.metric {
            Some(metric) => {
                let target = if metric == Metric::Memory { "memory" } else { "CPU" };
                if settled.wanted > settled.replicas {
                    format!("at its maximum: its {target} target asks for {} at the peak's mean", settled.wanted)
                } else if settled.wanted < settled.replicas {
                    format!("at its minimum: its {target} target asks for {} at the peak's mean", settled.wanted)
                } else {
                    format!("its {target} target holds there at the peak's mean, within its 10 % tolerance")
                }
            }
            None => "taken at its maximum: neither the runs' memory nor their CPU is given".into(),
        };
        let _ = writeln!(out, "  autoscaler             {} of its {} pods ({why})", settled.replicas, settled.maximum);
    }
    if let (Some(demand), Some(stretch)) = (s.cpu_demand_per_runtime, s.cpu_stretch.filter(|s| *s > 1.0)) {
        let _ = writeln!(
            out,
            "  CPU per runtime        {} busy; every run takes {}× as long",
            trim_decimal(demand, 2),
            trim_decimal(stretch, 2)
        );
    }
}

fn postgres_connections(out: &mut String, c: &Connections) {
    let _ = writeln!(out, "\nPostgres connections");
    let _ = writeln!(
        out,
        "  used / usable          {} / {} ({} %; warning line {}, headroom {})",
        c.used,
        c.usable,
        percent(c.share),
        c.warning_line,
        c.headroom
    );
    let clients: Vec<String> =
        c.clients.iter().map(|client| format!("{} {} ({})", client.name, client.connections, client.detail)).collect();
    let _ = writeln!(out, "  clients                {}", clients.join(" · "));
    // With nothing reserved the clients are a superuser; with some still kept, a managed
    // database's admin user, which takes the provider's reserved slots but not its superusers'.
    let superuser = match (c.clients_are_superuser, c.reserved) {
        (false, _) => "",
        (true, 0) => " (the clients connect as a superuser)",
        (true, _) => " (the provider's own: the clients' admin user is no superuser)",
    };
    let _ = writeln!(
        out,
        "  usable                 max_connections {} − reserved {}{superuser} = {}",
        c.max_connections, c.reserved, c.usable
    );
}

fn postgres_memory(out: &mut String, pg: &PostgresMemory, used: u64) {
    let _ = writeln!(out, "\nPostgres memory");
    let shared_buffers = Bytes(pg.shared_buffers_bytes);
    match (pg.memory_limit_bytes, pg.shared_buffers_share) {
        (Some(limit), Some(share)) => {
            let _ = writeln!(
                out,
                "  shared_buffers         {shared_buffers}, {} % of the {} limit",
                percent(share),
                Bytes(limit)
            );
        }
        _ => {
            let _ = writeln!(out, "  shared_buffers         {shared_buffers} (no memory limit)");
        }
    }
    let _ =
        writeln!(out, "  estimated use          {} (shared_buffers + {} connections)", Bytes(pg.estimated_bytes), used);
    let settings = &pg.settings;
    let source = match settings.source {
        SettingsSource::PostgresqlDefaults => "PostgreSQL's defaults",
        SettingsSource::Pgtune => "PGTune's",
    };
    let _ = writeln!(
        out,
        "  at worst               {} (estimate + {used} × work_mem {} + {} autovacuum workers × {} + /dev/shm {}: {source})",
        Bytes(pg.worst_case_bytes),
        Bytes(settings.work_mem_bytes),
        settings.autovacuum_workers,
        Bytes(settings.autovacuum_worker_bytes),
        Bytes(settings.shm_bytes)
    );
    if let Some(tune) = &pg.pgtune {
        let cpus = tune.cpus.map_or("CPUs unknown".into(), |n| format!("{n} CPU"));
        let written = match settings.source {
            SettingsSource::Pgtune => "written",
            SettingsSource::PostgresqlDefaults => "export --pgtune writes them",
        };
        let _ = writeln!(
            out,
            "  PGTune, {} profile for {}, {cpus}, {} connections ({written}):",
            tune.profile.name(),
            Bytes(tune.memory_bytes),
            tune.max_connections
        );
        for setting in &tune.settings {
            let _ = writeln!(out, "    {} = {}", setting.name, setting.value);
        }
    }
}

fn cockroach_connections(out: &mut String, c: &Connections, db: &CockroachFigures) {
    let _ = writeln!(out, "\nCockroachDB connections (no max_connections)");
    let guidance = match (db.connection_guidance, db.vcpus) {
        (Some(guidance), Some(vcpus)) => format!(
            "; guidance about {guidance} ({CONNECTIONS_PER_VCPU} × {} vCPUs of {} pods)",
            trim_decimal(vcpus, 2),
            db.pods
        ),
        _ => "; guidance unknown (the database pods have no CPU request or limit)".into(),
    };
    let _ = writeln!(out, "  used                   {}{guidance}", c.used);
    let clients: Vec<String> =
        c.clients.iter().map(|client| format!("{} {} ({})", client.name, client.connections, client.detail)).collect();
    let _ = writeln!(out, "  clients                {}", clients.join(" · "));
    if db.single_node && db.pods > 1 {
        let _ = writeln!(out, "  databases              {} (each pod runs start-single-node)", db.pods);
    }
}

fn cockroach_memory(out: &mut String, db: &CockroachFigures) {
    let _ = writeln!(out, "\nCockroachDB memory (per pod)");
    match (db.memory_limit_bytes, db.cache_bytes, db.sql_memory_bytes, db.tsdb_memory_bytes, db.memory_share) {
        (Some(limit), Some(cache), Some(sql), Some(tsdb), Some(share)) => {
            let _ = writeln!(
                out,
                "  cache + SQL + tsdb     {} + {} + {} = {} % of the {} limit",
                Bytes(cache),
                Bytes(sql),
                Bytes(tsdb),
                percent(share),
                Bytes(limit)
            );
        }
        _ => {
            let _ = writeln!(out, "  cache + SQL + tsdb     shares of the node's memory (no memory limit)");
        }
    }
}
