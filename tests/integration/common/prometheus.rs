//! A real Prometheus with known data, for the tests that read one: OpenMetrics with known
//! rates, durations, busy slots and connections, backfilled with promtool and served on
//! 127.0.0.1. Needs Debian's `prometheus` (with `promtool`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Six hours of a Medium deployment at 15 s scrapes: 60 runs a minute, 120 for the 30 minutes
/// from three hours before the end; a third of runs within 10 s, two thirds within 30 s, all
/// within 60 s, 30 s on average; 20 busy slots (40 in the peak); 25 connections (31 in the peak)
/// of max_connections 100.
pub fn openmetrics(end: u64) -> String {
    let start = end - 6 * 3_600;
    let peak = (end - 3 * 3_600, end - 3 * 3_600 + 1_800);
    let bounds = ["0.1", "0.5", "1", "5", "10", "30", "60", "120", "300", "+Inf"];
    let (mut runs, mut sum, mut text) = (0u64, 0u64, String::new());
    let mut points = Vec::new();
    for t in (start..=end).step_by(15) {
        let in_peak = t > peak.0 && t <= peak.1;
        runs += if in_peak { 30 } else { 15 };
        sum += 30 * if in_peak { 30 } else { 15 };
        points.push((t, runs, sum, in_peak));
    }
    text.push_str("# TYPE flow_executions counter\n");
    for (t, runs, ..) in &points {
        text.push_str(&format!("flow_executions_total{{status=\"success\"}} {runs} {t}\n"));
    }
    text.push_str("# TYPE flow_execution_duration_seconds histogram\n");
    for (t, runs, sum, _) in &points {
        for bound in bounds {
            let count = match bound {
                "0.1" | "0.5" | "1" | "5" => 0,
                "10" => runs / 3,
                "30" => runs * 2 / 3,
                _ => *runs,
            };
            text.push_str(&format!("flow_execution_duration_seconds_bucket{{le=\"{bound}\"}} {count} {t}\n"));
        }
        text.push_str(&format!("flow_execution_duration_seconds_count {runs} {t}\n"));
        text.push_str(&format!("flow_execution_duration_seconds_sum {sum} {t}\n"));
    }
    for (name, base, high) in [("executor_active_jobs", 20, 40), ("pg_stat_activity_count", 25, 31)] {
        text.push_str(&format!("# TYPE {name} gauge\n"));
        for (t, .., in_peak) in &points {
            text.push_str(&format!("{name} {} {t}\n", if *in_peak { high } else { base }));
        }
    }
    text.push_str("# TYPE pg_settings_max_connections gauge\n");
    for (t, ..) in &points {
        text.push_str(&format!("pg_settings_max_connections 100 {t}\n"));
    }
    text.push_str("# EOF\n");
    text
}

/// Six hours of a Flow-Like deployment as its code records it (FLOWLIKE.md), two runtimes of
/// 10 queue slots, 15 s scrapes. Queued runs (35 s each) count in `flow_executions_total` and
/// its duration histogram only; streaming runs (`/execute/sse`) count there and in
/// `http_requests_total`, each with its 50 ms to the response headers; `executor_active_jobs`
/// stays 0 (queued runs never touch it, streaming ones leave it at their headers). Off the peak:
/// 12 queued and 12 streaming runs a minute; in the 40-minute peak from three hours before the
/// end, 36 queued (21 busy slots of 20: the queue grows) and 24 streaming. The queue's length
/// (`redis_key_size{key="exec:jobs"}`) grows by the excess in the peak and drains after.
pub fn flowlike_openmetrics(end: u64) -> String {
    let start = end - 6 * 3_600;
    let peak = (end - 3 * 3_600, end - 3 * 3_600 + 2_400);
    let mut points = Vec::new();
    let (mut queued, mut streaming, mut queue) = (0.0f64, 0.0f64, 0.0f64);
    for t in (start..=end).step_by(15) {
        let in_peak = t > peak.0 && t <= peak.1;
        let (q, s) = if in_peak { (36.0, 24.0) } else { (12.0, 12.0) };
        queued += q / 4.0;
        streaming += s / 4.0;
        // 20 slots finish 20 × 60 ÷ 35 runs a minute.
        queue = (queue + (q - 20.0 * 60.0 / 35.0) / 4.0).max(0.0);
        points.push((t, queued, streaming, queue));
    }
    let mut text = String::new();
    let per_runtime = |total: f64| total / 2.0;
    text.push_str("# TYPE flow_executions counter\n");
    for (t, q, s, _) in &points {
        for instance in ["runtime-1:9000", "runtime-2:9000"] {
            let runs = per_runtime(q + s);
            text.push_str(&format!("flow_executions_total{{instance=\"{instance}\",status=\"success\"}} {runs} {t}\n"));
        }
    }
    text.push_str("# TYPE flow_execution_duration_seconds histogram\n");
    for (t, q, s, _) in &points {
        for instance in ["runtime-1:9000", "runtime-2:9000"] {
            let (q, s) = (per_runtime(*q), per_runtime(*s));
            for (bound, count) in [("0.1", s), ("60", q + s), ("+Inf", q + s)] {
                text.push_str(&format!(
                    "flow_execution_duration_seconds_bucket{{instance=\"{instance}\",le=\"{bound}\"}} {count} {t}\n"
                ));
            }
            text.push_str(&format!("flow_execution_duration_seconds_count{{instance=\"{instance}\"}} {} {t}\n", q + s));
            text.push_str(&format!(
                "flow_execution_duration_seconds_sum{{instance=\"{instance}\"}} {} {t}\n",
                q * 35.0 + s * 0.05
            ));
        }
    }
    text.push_str("# TYPE http_requests counter\n");
    for (t, _, s, _) in &points {
        for instance in ["runtime-1:9000", "runtime-2:9000"] {
            text.push_str(&format!(
                "http_requests_total{{instance=\"{instance}\",method=\"POST\",path=\"/execute/sse\",status=\"200\"}} {} {t}\n",
                per_runtime(*s)
            ));
        }
    }
    text.push_str("# TYPE http_request_duration_seconds summary\n");
    for (t, _, s, _) in &points {
        for instance in ["runtime-1:9000", "runtime-2:9000"] {
            let s = per_runtime(*s);
            text.push_str(&format!(
                "http_request_duration_seconds_count{{instance=\"{instance}\",method=\"POST\",path=\"/execute/sse\"}} {s} {t}\n"
            ));
            text.push_str(&format!(
                "http_request_duration_seconds_sum{{instance=\"{instance}\",method=\"POST\",path=\"/execute/sse\"}} {} {t}\n",
                s * 0.05
            ));
        }
    }
    text.push_str("# TYPE executor_active_jobs gauge\n");
    for (t, ..) in &points {
        for instance in ["runtime-1:9000", "runtime-2:9000"] {
            text.push_str(&format!("executor_active_jobs{{instance=\"{instance}\"}} 0 {t}\n"));
        }
    }
    text.push_str("# TYPE redis_key_size gauge\n");
    for (t, .., queue) in &points {
        text.push_str(&format!("redis_key_size{{db=\"db0\",key=\"exec:jobs\"}} {} {t}\n", queue.round()));
    }
    for (name, value) in [
        ("redis_memory_used_bytes", 100_000_000.0),
        ("redis_memory_max_bytes", 0.0),
        ("pg_stat_activity_count", 20.0),
        ("pg_settings_max_connections", 100.0),
    ] {
        text.push_str(&format!("# TYPE {name} gauge\n"));
        for (t, ..) in &points {
            text.push_str(&format!("{name} {value} {t}\n"));
        }
    }
    text.push_str("# EOF\n");
    text
}

/// Where the generated data end: a round five minutes, ten minutes ago (recent enough for a
/// 7-day window ending now, settled enough that no scrape is still due).
pub fn data_end() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    now - now % 300 - 600
}

/// A Prometheus serving `data` on a free port, stopped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Backfills the data and starts Prometheus on it. A test that calls it is ignored where
/// Prometheus is missing: `#[cfg_attr(any(missing = "prometheus", missing = "promtool"), ignore = ...)]`.
pub fn prometheus(dir: &std::path::Path, end: u64) -> Server {
    prometheus_serving(dir, end, None, None)
}

/// As [`prometheus`]; with `tls`, the web config that makes it serve https and an agent that
/// trusts its certificate.
pub fn prometheus_serving(
    dir: &std::path::Path,
    end: u64,
    tls: Option<(&std::path::Path, ureq::Agent)>,
    port: Option<u16>,
) -> Server {
    serve(dir, &openmetrics(end), tls, port)
}

/// Backfills `data` (OpenMetrics) and starts Prometheus on it.
pub fn serve(
    dir: &std::path::Path,
    data: &str,
    tls: Option<(&std::path::Path, ureq::Agent)>,
    port: Option<u16>,
) -> Server {
    super::require("prometheus");
    super::require("promtool");
    std::fs::write(dir.join("data.om"), data).unwrap();
    let backfill = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.join("data.om"))
        .arg(dir.join("tsdb"))
        .output()
        .unwrap();
    assert!(backfill.status.success(), "{}", String::from_utf8_lossy(&backfill.stderr));
    std::fs::write(dir.join("prometheus.yml"), "global: {}\n").unwrap();
    let port = port.unwrap_or_else(free_port);
    let mut command = Command::new("prometheus");
    let (scheme, agent) = match tls {
        Some((web, agent)) => {
            command.arg(format!("--web.config.file={}", web.display()));
            ("https", agent)
        }
        None => ("http", ureq::Agent::new_with_defaults()),
    };
    let child = command
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let ready = Instant::now();
    while ready.elapsed() < Duration::from_secs(60) {
        let answer = agent.get(format!("{scheme}://127.0.0.1:{port}/-/ready")).call();
        if answer.is_ok_and(|r| r.status() == 200) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("Prometheus did not become ready on port {port}");
}
