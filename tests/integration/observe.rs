//! Observed figures are right when a real Prometheus returns them: OpenMetrics with known
//! rates, durations, busy slots and connections is backfilled with promtool, a Prometheus
//! serves it on 127.0.0.1, and `flowcap observe` must read back the generated truth. Needs
//! Debian's `prometheus` (with `promtool`): ignored outside CI when absent, required on CI.

use crate::common::prometheus::{data_end, flowlike_openmetrics, free_port, prometheus, prometheus_serving, serve};
use crate::common::{flowcap, tempdir};
use flowcap::analysis::rules::RuleId;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

fn observe(args: &[&str]) -> (Option<i32>, String, String) {
    let output = flowcap().args(["observe", "--preset", "medium"]).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[test]
#[cfg_attr(
    any(missing = "prometheus", missing = "promtool", missing = "check-jsonschema", missing = "shared-fixtures"),
    ignore = "needs prometheus, promtool, check-jsonschema and ../shared/fixtures"
)]
fn a_real_prometheus_gives_back_the_generated_truth() {
    let dir = tempdir("observe");
    let end = data_end();
    let server = prometheus(&dir, end);
    let url = format!("http://127.0.0.1:{}", server.port);
    let end_arg = end.to_string();
    let saved = dir.join("observed.yaml").display().to_string();
    let (code, stdout, stderr) = observe(&[
        "--prometheus",
        &url,
        "--window",
        "6h",
        "--step",
        "5m",
        "--end",
        &end_arg,
        "--format",
        "json",
        "-o",
        &saved,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let o: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // Rates exactly: the peak's 5-minute rate is 2 a second.
    assert_eq!(o["peak_runs_per_minute"], 120.0, "{o}");
    assert_eq!(o["mean_duration_seconds"], 30.0, "{o}");
    // The 95th percentile interpolates within the 30–60 s bucket: 30 + (0.95 − 2/3) ÷ (1/3) × 30.
    assert_eq!(o["p95_duration_seconds"], 55.5, "{o}");
    assert_eq!(o["p95_bucket_seconds"], serde_json::json!([30.0, 60.0]));
    // Every run here is queued (no HTTP requests on the execute routes): the queue slots busy by
    // Little's law peak at 120 a minute × 30 s = 60.
    assert_eq!((o["busy_slots_peak"].as_f64(), o["busy_slots_p95"].as_f64()), (Some(60.0), Some(60.0)));
    assert_eq!(
        (o["queued_peak_runs_per_minute"].as_f64(), o["queued_mean_duration_seconds"].as_f64()),
        (Some(120.0), Some(30.0))
    );
    assert_eq!(o["http_peak_runs_per_minute"], 0.0);
    // Medium's 40 slots are all busy for the 30 minutes of the peak: 6 of the 73 five-minute
    // samples, give or take the one at each edge.
    assert_eq!(o["slots"], 40);
    let share = o["saturated_share"].as_f64().unwrap();
    assert!((5.0 / 73.0..=7.0 / 73.0).contains(&(share + 1e-9)), "{share}");
    assert_eq!((o["connections_peak"].as_f64(), o["max_connections"].as_f64()), (Some(31.0), Some(100.0)));
    // The window's first step has no 5-minute rate yet: the data start there.
    assert_eq!(o["samples"], 72);
    // The plan with the observed peak as its workload: Medium's 40 slots at 120 runs a minute of
    // 30 s, 60 Erlangs, queue without bound; solve sizes for it.
    let plan = flowcap::model::load::load_plan_file(std::path::Path::new(&saved)).unwrap().plan;
    let workload = plan.workload.clone().unwrap();
    let queued = workload.queued.unwrap();
    assert_eq!((queued.arrivals_per_minute, queued.mean_duration.0), (120.0, 30.0));
    flowcap()
        .args(["--check", &saved])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(RuleId::WorkloadUnstable.as_str()));
    // 19,800 runs at 60 a minute and 3,600 in the peak's 30 minutes, over 360 minutes.
    let mean = o["mean_runs_per_minute"].as_f64().unwrap();
    assert!((mean - 65.0).abs() < 0.5, "{mean}");

    // --check holds the plan against what ran: Medium counts 28 connections and has 40 slots.
    let output = flowcap()
        .args(["--check", "--preset", "medium", "--prometheus", &url, "--window", "6h", "--end", &end_arg])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["observed"]["peak_runs_per_minute"], 120.0);
    std::fs::write(dir.join("report.json"), &output.stdout).unwrap();
    crate::common::assert_report_schema(&[dir.join("report.json")]);
    let finding = |rule: &str| {
        let found = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule);
        found.unwrap_or_else(|| panic!("no {rule} in {report:#}")).clone()
    };
    let connections = finding(RuleId::ObservedConnectionsOverBudget.as_str());
    assert_eq!(
        connections["message"],
        "Postgres held 31 connections at its observed peak; the plan counts 28 for its clients (97 usable)"
    );
    let saturated = finding(RuleId::ObservedSlotsSaturated.as_str());
    assert!(saturated["message"].as_str().unwrap().starts_with("all 40 queue slots were busy 8."), "{saturated}");
    let peak = finding(RuleId::ObservedPeakPastTarget.as_str());
    assert_eq!(peak["severity"], "error");
    assert!(
        peak["message"].as_str().unwrap().starts_with(
            "the observed peak of 120 queued runs per minute at 30 s each is more than the slots finish on 40 slots"
        ),
        "{peak}"
    );
    // The fix is solve's for the observed workload: the changes carry it.
    let changes = peak["changes"].as_array().unwrap();
    assert_eq!(changes, &[serde_json::json!({"path": "runtime.max_concurrent_executions", "value": 18})], "{peak}");
    // The model beside the measurement: Erlang C at the mean load is the share of time all
    // slots are busy.
    let predicted = flowcap::analysis::queueing::erlang_c(40, mean * 30.0 / 60.0);
    let beside = finding(RuleId::ObservedWaitVsPredicted.as_str());
    let expected = format!("the model predicts P(wait) {} % on 40 slots", flowcap::model::units::percent(predicted));
    assert!(beside["message"].as_str().unwrap().contains(&expected), "{beside} {expected}");
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == RuleId::ObservedMaxConnectionsDiffers.as_str())
    );
    // A plan whose max_connections is not the one Postgres runs with.
    let medium = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/medium.yaml")).unwrap();
    let raised = medium.replace("max_connections: 100", "max_connections: 120");
    assert_ne!(raised, medium);
    std::fs::write(dir.join("raised.yaml"), raised).unwrap();
    let output = flowcap()
        .arg("--check")
        .arg(dir.join("raised.yaml"))
        .args(["--prometheus", &url, "--window", "6h", "--end", &end_arg, "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let differs = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == RuleId::ObservedMaxConnectionsDiffers.as_str());
    assert_eq!(
        differs.unwrap()["message"],
        "Postgres reported max_connections 100 at the window's end; the plan has 120",
        "{report:#}"
    );
    // People get the observed figures under the plan's.
    let human = flowcap()
        .args(["--check", "--preset", "medium", "--prometheus", &url, "--window", "6h", "--end", &end_arg])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(human.contains(&format!("Observed: {url} over 6h to ")), "{human}");
    assert!(human.contains("  observed-peak-past-target"), "{human}");

    // Without --prometheus, Flow-Like's own compose file says where: its monitoring profile
    // publishes Prometheus on ${PROMETHEUS_PORT:-9091}.
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    let output = flowcap()
        .env("PROMETHEUS_PORT", server.port.to_string())
        .args(["observe", "-f"])
        .arg(&flow_like)
        .args(["--profile", "monitoring", "--window", "6h", "--end", &end_arg, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let o: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(o["prometheus"], format!("http://127.0.0.1:{}", server.port));
    assert_eq!(o["peak_runs_per_minute"], 120.0);

    let (code, human, _) = observe(&["--prometheus", &url, "--window", "6h", "--end", &end_arg]);
    assert_eq!(code, Some(0));
    assert!(human.starts_with(&format!("flowcap observe: {url} over 6h to ")), "{human}");
    assert!(human.lines().next().unwrap().ends_with("Z at 5m steps (72 samples)"), "{human}");
    assert!(human.contains("peak runs / minute     120 (the highest 5-minute rate)"), "{human}");
    assert!(human.contains("p95 duration           55.5 s (within the 30 s–60 s bucket)"), "{human}");

    // Prometheus spans at most 11,000 steps in a range query: flowcap asks for no more, and
    // asks a longer window in parts on the same step grid.
    let steps = |n: u64| {
        let start = (end - n * 60).to_string();
        let answer = ureq::get(format!("{url}/api/v1/query_range"))
            .query("query", "sum(executor_active_jobs)")
            .query("start", &start)
            .query("end", &end_arg)
            .query("step", "60")
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        answer.status().as_u16()
    };
    assert_eq!((steps(11_000), steps(11_001)), (200, 400), "Prometheus's own limit moved");
    let (code, _, stderr) = observe(&["--prometheus", &url, "--window", "11000m", "--step", "1m", "--end", &end_arg]);
    assert_eq!(code, Some(0), "{stderr}");
    let whole =
        observe(&["--prometheus", &url, "--window", "6h", "--step", "1m", "--end", &end_arg, "--format", "json"]);
    let parts =
        observe(&["--prometheus", &url, "--window", "22001m", "--step", "1m", "--end", &end_arg, "--format", "json"]);
    assert_eq!((whole.0, parts.0), (Some(0), Some(0)), "{}", parts.2);
    let (whole, parts): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&whole.1).unwrap(), serde_json::from_str(&parts.1).unwrap());
    // Three parts, the same samples where the data are.
    assert_eq!(parts["samples"], whole["samples"]);
    assert_eq!(parts["peak_runs_per_minute"], whole["peak_runs_per_minute"]);
    assert_eq!(parts["busy_slots_peak"], whole["busy_slots_peak"]);

    // A week's window with six hours of data: the means and shares are of those six hours, and
    // the heading says so.
    let (code, human, _) = observe(&["--prometheus", &url, "--end", &end_arg]);
    assert_eq!(code, Some(0));
    assert!(human.lines().next().unwrap().ends_with("at 5m steps (72 samples; data for 6h of it)"), "{human}");
    assert!(human.contains("mean runs / minute     65 (the mean 5-minute rate)"), "{human}");

    // Steps that miss the data say so, rather than that nothing scrapes Flow-Like; a handful
    // of steps is said to be too few for the shares.
    let later = (end + 3 * 3_600).to_string();
    let (code, _, stderr) = observe(&["--prometheus", &url, "--window", "1d", "--step", "12h", "--end", &later]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("has flow_executions_total in the window, but no --step 12h step lands on its data"),
        "{stderr}"
    );
    let (code, human, _) = observe(&["--prometheus", &url, "--window", "6h", "--step", "1h", "--end", &end_arg]);
    assert_eq!(code, Some(0));
    assert!(
        human.lines().next().unwrap().ends_with("too few for the shares: shorten --step to at least 24 samples)"),
        "{human}"
    );

    // Windows without Flow-Like.
    let (code, _, stderr) = observe(&["--prometheus", &url, "--window", "1h", "--end", "1000000000"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("has no flow_executions_total in the window"), "{stderr}");
    // A window that ends a minute into the data: its first step is before them.
    let first_minute = (end - 6 * 3_600 + 60).to_string();
    let (code, _, stderr) = observe(&["--prometheus", &url, "--window", "5m", "--step", "5m", "--end", &first_minute]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("has 1 sample of executions in the window: too few"), "{stderr}");
    // Two samples are enough for a peak.
    let two = (end - 6 * 3_600 + 360).to_string();
    let (code, human, stderr) = observe(&["--prometheus", &url, "--window", "5m", "--step", "5m", "--end", &two]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(human.lines().next().unwrap().contains("at 5m steps (2 samples"), "{human}");
    let (code, _, stderr) = observe(&["--prometheus", &format!("{url}/nothing-here"), "--end", &end_arg]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("answered HTTP 404: is this a Prometheus server, at its address without a path?"),
        "{stderr}"
    );
    drop(server);
}

/// A server on 127.0.0.1 that answers every connection with `answer` (or, for `None`, holds it
/// without a word).
fn fake(answer: Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            match answer {
                Some(text) => {
                    let _ = stream.write_all(text.as_bytes());
                }
                None => held.push(stream),
            }
        }
    });
    port
}

#[test]
fn what_is_not_a_prometheus_answer_is_exit_2_with_why() {
    let closed = free_port();
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://127.0.0.1:{closed}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot connect"), "{stderr}");
    // With --format json, stdout carries the reason as --check gives it.
    let (code, stdout, _) = observe(&["--prometheus", &format!("http://127.0.0.1:{closed}"), "--format", "json"]);
    assert_eq!(code, Some(2));
    let error: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["error"]["kind"], "unreadable", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().starts_with("cannot connect"), "{error}");
    // Over https too: a port nobody listens on is no certificate refused.
    let (code, _, stderr) = observe(&["--prometheus", &format!("https://127.0.0.1:{closed}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot connect") && !stderr.contains("certificate"), "{stderr}");

    for (url, why) in [
        ("prometheus:9090", "is not a URL: expected http://HOST:PORT"),
        ("ftp://127.0.0.1:9091", "is not a URL: expected http://HOST:PORT or https://HOST:PORT"),
        ("http://127.0.0.1:9091/?token=canary-77", "takes no query or fragment"),
        ("user:canary-77@127.0.0.1:9091", "is not a URL: expected http://HOST:PORT"),
    ] {
        let (code, _, stderr) = observe(&["--prometheus", url]);
        assert_eq!(code, Some(2));
        assert!(stderr.contains(why), "{stderr}");
        assert!(!stderr.contains("canary-77"), "{stderr}");
    }

    // Windows Prometheus cannot answer, refused before asking it.
    for (args, why) in [
        (&["--window", "4h", "--step", "5h"][..], "--step: 5h is longer than --window 4h"),
        (&["--window", "3660d"][..], "at most ten years (3650d)"),
        (&["--end", "yesterday"][..], "expected Unix seconds"),
    ] {
        let (code, _, stderr) = observe(&[&["--prometheus", &format!("http://127.0.0.1:{closed}")][..], args].concat());
        assert_eq!(code, Some(2), "{args:?}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = observe(&["--prometheus", "http://prometheus.invalid:9091"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot connect: failed to lookup address"), "{stderr}");
    // The window flags say nothing without a Prometheus to read: --check refuses them.
    flowcap()
        .args(["--check", "--preset", "medium", "--window", "4h"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--window: reads the deployment's Prometheus: give --prometheus URL too"));

    // Prometheus's own refusal, as it sends it.
    let refusing = fake(Some(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n\
         {\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum resolution\"}",
    ));
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://127.0.0.1:{refusing}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("Prometheus refused the query (bad_data): exceeded maximum resolution"), "{stderr}");

    let silent = fake(None);
    let started = Instant::now();
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://127.0.0.1:{silent}"), "--timeout", "1s"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));

    let web = fake(Some("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"));
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://127.0.0.1:{web}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("is this a Prometheus server?"), "{stderr}");

    let broken = fake(Some("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://user:SECRET-PASSWORD@127.0.0.1:{broken}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("answered HTTP 503"), "{stderr}");
    assert!(!stderr.contains("SECRET-PASSWORD"), "credentials in the URL never show: {stderr}");
    // JSON that is not Prometheus's, answered with 200: no HTTP status to blame.
    let other = fake(Some("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
    let (code, _, stderr) = observe(&["--prometheus", &format!("http://127.0.0.1:{other}")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("does not answer as Prometheus's HTTP API") && !stderr.contains("HTTP 200"), "{stderr}");
}

/// A deployment idle the whole window, from a Prometheus that answers every query with 0 (as
/// a series at every step, and at the instant): the figures are 0, an idle Redis gives no state
/// per run (0 bytes a run would be no estimate), and a p95 of 0 lies in the first bucket.
#[test]
fn an_idle_window_reads_as_zeros() {
    let zeros = fake(Some(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n\
         {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"le\":\"0.5\"},\
         \"value\":[1,\"0\"],\"values\":[[1,\"0\"],[2,\"0\"]]}]}}",
    ));
    let (code, stdout, stderr) =
        observe(&["--prometheus", &format!("http://127.0.0.1:{zeros}"), "--end", "1800000000", "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let o: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((o["peak_runs_per_minute"].as_f64(), o["mean_duration_seconds"].as_f64()), (Some(0.0), Some(0.0)));
    assert_eq!(o["state_per_run_bytes"], serde_json::Value::Null, "{o}");
    assert_eq!(o["p95_bucket_seconds"], serde_json::json!([0.0, 0.5]), "{o}");
}

#[test]
fn credentials_come_from_the_environment_and_never_show() {
    // A Prometheus behind auth that refuses everyone, keeping what each request carried.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 8192];
            let read = stream.read(&mut request).unwrap_or(0);
            kept.lock().unwrap().push(String::from_utf8_lossy(&request[..read]).to_lowercase());
            let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let run = |variables: &[(&str, &str)]| {
        let mut command = flowcap();
        command.args(["observe", "--preset", "medium", "--prometheus", &url]);
        for (name, value) in variables {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        (
            output.status.code(),
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
        )
    };
    let (code, said) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(said.contains("answered HTTP 401: give credentials in FLOWCAP_PROMETHEUS_TOKEN"), "{said}");
    let (code, said) = run(&[("FLOWCAP_PROMETHEUS_TOKEN", "TOKEN-CANARY-41")]);
    assert_eq!(code, Some(2));
    assert!(!said.contains("TOKEN-CANARY-41"), "{said}");
    assert!(seen.lock().unwrap().last().unwrap().contains("authorization: bearer token-canary-41"));
    // Basic auth: base64 of user:password.
    let (_, said) = run(&[("FLOWCAP_PROMETHEUS_USER", "ops"), ("FLOWCAP_PROMETHEUS_PASSWORD", "PASS-CANARY-7")]);
    assert!(!said.contains("PASS-CANARY-7"), "{said}");
    assert!(seen.lock().unwrap().last().unwrap().contains("authorization: basic b3bzolbbu1mtq0foqvjzltc="));
}

/// Runs openssl in `dir`, which CI installs.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("openssl").current_dir(dir).args(args).output().unwrap();
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
#[cfg_attr(
    any(missing = "prometheus", missing = "promtool", missing = "openssl"),
    ignore = "needs prometheus, promtool and openssl"
)]
fn https_with_the_operators_own_ca() {
    let dir = tempdir("observe-tls");
    crate::common::require("openssl");
    // A CA of the operator's own, and Prometheus's certificate for 127.0.0.1 signed by it.
    let ca_request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"];
    openssl(&dir, &[&ca_request[..], &["-days", "2", "-subj", "/CN=flowcap test CA"]].concat());
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.cnf",
        ],
    );
    let web = dir.join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            dir.join("server.crt").display(),
            dir.join("server.key").display()
        ),
    )
    .unwrap();
    let ca = std::fs::read(dir.join("ca.crt")).unwrap();
    let roots: Vec<_> = ureq::tls::parse_pem(&ca)
        .filter_map(|item| match item.unwrap() {
            ureq::tls::PemItem::Certificate(certificate) => Some(certificate),
            _ => None,
        })
        .collect();
    let trusting = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots.into()).build())
        .build()
        .into();
    let end = data_end();
    let server = prometheus_serving(&dir, end, Some((&web, trusting)), None);
    let url = format!("https://127.0.0.1:{}", server.port);
    let end_arg = end.to_string();
    let ca_arg = dir.join("ca.crt").display().to_string();

    let (code, stdout, stderr) = observe(&[
        "--prometheus",
        &url,
        "--prometheus-ca",
        &ca_arg,
        "--window",
        "6h",
        "--end",
        &end_arg,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let o: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(o["peak_runs_per_minute"], 120.0);
    // Without the CA the certificate is refused, and the message says what to give.
    let (code, _, stderr) = observe(&["--prometheus", &url, "--window", "6h", "--end", &end_arg]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("refused its TLS certificate") && stderr.contains("--prometheus-ca"), "{stderr}");
    // A CA file that is not one.
    let (code, _, stderr) = observe(&["--prometheus", &url, "--prometheus-ca", &web.display().to_string()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("has no certificate"), "{stderr}");
    drop(server);
}

/// Flow-Like's metrics as its code records them: the queue overloaded in the peak (36 queued
/// runs a minute of 35 s on 20 slots) while `executor_active_jobs` stays 0 and streaming runs
/// record their header time. Read as recorded, the queued path is found, its slots are busy
/// past the plan's, and the check fails; read as before (all runs, their recorded mean, the
/// gauge) it would have passed with "busy slots 0".
#[test]
#[cfg_attr(
    any(missing = "prometheus", missing = "promtool", missing = "check-jsonschema"),
    ignore = "needs prometheus, promtool and check-jsonschema"
)]
fn the_metrics_are_read_as_flow_like_records_them() {
    let dir = tempdir("observe-paths");
    let end = data_end();
    let server = serve(&dir, &flowlike_openmetrics(end), None, None);
    let url = format!("http://127.0.0.1:{}", server.port);
    let end_arg = end.to_string();
    let plan = "name: Two runtimes\nruntime: { replicas: 2, max_concurrent_executions: 10, limits: { cpus: 4, memory: 8G } }\n\
                other_services:\n  redis: { limits: { cpus: 1, memory: 4G } }\nredis: { maxmemory: 3G }\n\
                workload:\n  queued: { arrivals_per_minute: 30, mean_duration: 35s }\n  streaming: { arrivals_per_minute: 20, mean_duration: 20s }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let saved = dir.join("observed.yaml").display().to_string();
    let output = flowcap()
        .current_dir(&dir)
        .args([
            "observe",
            "plan.yaml",
            "--prometheus",
            &url,
            "--window",
            "6h",
            "--end",
            &end_arg,
            "--format",
            "json",
            "-o",
            &saved,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let o: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // All runs and their recorded mean: what the metric alone says. 5,280 queued runs of 35 s
    // and 4,800 streaming ones recorded at 50 ms: 185,040 s over 10,080 runs, 18.36 s, which
    // is no run's duration.
    assert_eq!(o["peak_runs_per_minute"], 60.0, "{o}");
    assert!((o["mean_duration_seconds"].as_f64().unwrap() - 18.357).abs() < 0.01, "{o}");
    // By path: 36 queued runs a minute of 35 s, 24 HTTP runs; 21 queue slots busy of 20.
    assert_eq!(o["queued_peak_runs_per_minute"], 36.0, "{o}");
    assert_eq!(o["queued_mean_duration_seconds"], 35.0, "{o}");
    assert_eq!(o["http_peak_runs_per_minute"], 24.0, "{o}");
    assert_eq!(o["busy_slots_peak"], 21.0, "{o}");
    assert_eq!(o["http_in_flight_peak"], 0.0, "executor_active_jobs never counts a queued run: {o}");
    assert_eq!(o["slots"], 20);
    assert!(o["saturated_share"].as_f64().unwrap() > 0.1, "{o}");
    // The queue grows in the peak by 1.71 runs a minute for 40 minutes.
    let length = o["queue_length_peak"].as_f64().unwrap();
    assert!((60.0..=75.0).contains(&length), "{length}");
    // 100 MB of Redis over about 10,080 runs recorded (the data are shorter than a day).
    let per_run = o["state_per_run_bytes"].as_f64().unwrap();
    assert!((9_000.0..=11_000.0).contains(&per_run), "{per_run}");
    // The plan written back has both paths: the queued one observed, the streaming one at the
    // plan's own duration (not in the metrics), and Redis's state per run.
    let written = flowcap::model::load::load_plan_file(std::path::Path::new(&saved)).unwrap().plan;
    let workload = written.workload.clone().unwrap();
    let (queued, streaming) = (workload.queued.unwrap(), workload.streaming.unwrap());
    assert_eq!((queued.arrivals_per_minute, queued.mean_duration.0), (36.0, 35.0));
    assert_eq!((streaming.arrivals_per_minute, streaming.mean_duration.0), (24.0, 20.0));
    assert!(written.redis.unwrap().state_per_run.is_some());
    // --check holds the plan to it: the queue is overloaded, an error.
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "--prometheus", &url, "--window", "6h", "--end", &end_arg, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stdout));
    std::fs::write(dir.join("report.json"), &output.stdout).unwrap();
    crate::common::assert_report_schema(&[dir.join("report.json")]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let peak = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == RuleId::ObservedPeakPastTarget.as_str())
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(peak["severity"], "error");
    assert!(
        peak["message"].as_str().unwrap().starts_with(
            "the observed peak of 36 queued runs per minute at 35 s each is more than the slots finish on 20 slots"
        ),
        "{peak}"
    );
    drop(server);
}

/// A plan that counts on queued runs, against a deployment that recorded none (every run
/// went over HTTP): said, with why.
#[test]
#[cfg_attr(any(missing = "prometheus", missing = "promtool"), ignore = "needs prometheus and promtool")]
fn no_queued_runs_recorded_is_said() {
    let dir = tempdir("observe-no-queue");
    let end = data_end();
    // Every run an HTTP one: no queued run in the counters.
    let server = serve(&dir, &http_only(end), None, None);
    let url = format!("http://127.0.0.1:{}", server.port);
    std::fs::write(dir.join("plan.yaml"), "workload: { queued: { arrivals_per_minute: 30, mean_duration: 35s } }\n")
        .unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args([
            "--check",
            "plan.yaml",
            "--prometheus",
            &url,
            "--window",
            "6h",
            "--end",
            &end.to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found =
        report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == RuleId::ObservedNoQueuedRuns.as_str());
    assert!(found.is_some_and(|f| f["message"].as_str().unwrap().contains("Prometheus recorded none")), "{report:#}");
    // Blocking /execute runs record their whole duration: 40 s. The plan gives no streaming
    // duration, so the observed plan takes theirs for its HTTP runs (36 a minute).
    let output = flowcap()
        .current_dir(&dir)
        .args(["observe", "plan.yaml", "--prometheus", &url, "--window", "6h", "--end", &end.to_string()])
        .args(["--format", "json", "-o", "observed.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let o: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (o["blocking_mean_duration_seconds"].as_f64(), o["queued_peak_runs_per_minute"].as_f64()),
        (Some(40.0), Some(0.0)),
        "{o}"
    );
    let written = flowcap::model::load::load_plan_file(&dir.join("observed.yaml")).unwrap().plan;
    let workload = written.workload.unwrap();
    assert!(workload.queued.is_none(), "no queued runs recorded: none planned");
    let streaming = workload.streaming.unwrap();
    assert_eq!((streaming.arrivals_per_minute, streaming.mean_duration.0), (36.0, 40.0));
    drop(server);
}

/// Six hours of HTTP runs only, as the runtime records them: 30 streaming runs a minute (50 ms
/// to their headers) and 6 blocking `/execute` runs a minute of 40 s each, measured in full.
fn http_only(end: u64) -> String {
    let mut text = String::from("# TYPE flow_executions counter\n");
    let points: Vec<(u64, f64)> =
        (end - 6 * 3_600..=end).step_by(15).enumerate().map(|(i, t)| (t, i as f64 * 7.5)).collect();
    let blocking = |runs: f64| runs / 5.0;
    for (t, runs) in &points {
        text.push_str(&format!("flow_executions_total{{status=\"success\"}} {} {t}\n", runs + blocking(*runs)));
    }
    text.push_str("# TYPE flow_execution_duration_seconds histogram\n");
    for (t, runs) in &points {
        let all = runs + blocking(*runs);
        text.push_str(&format!("flow_execution_duration_seconds_bucket{{le=\"+Inf\"}} {all} {t}\n"));
        text.push_str(&format!("flow_execution_duration_seconds_count {all} {t}\n"));
        text.push_str(&format!("flow_execution_duration_seconds_sum {} {t}\n", runs * 0.05 + blocking(*runs) * 40.0));
    }
    text.push_str("# TYPE http_requests counter\n");
    for (t, runs) in &points {
        text.push_str(&format!(
            "http_requests_total{{method=\"POST\",path=\"/execute/sse\",status=\"200\"}} {runs} {t}\n"
        ));
        text.push_str(&format!(
            "http_requests_total{{method=\"POST\",path=\"/execute\",status=\"200\"}} {} {t}\n",
            blocking(*runs)
        ));
    }
    text.push_str("# TYPE http_request_duration_seconds summary\n");
    for (t, runs) in &points {
        text.push_str(&format!(
            "http_request_duration_seconds_count{{method=\"POST\",path=\"/execute/sse\"}} {runs} {t}\n"
        ));
        text.push_str(&format!(
            "http_request_duration_seconds_sum{{method=\"POST\",path=\"/execute/sse\"}} {} {t}\n",
            runs * 0.05
        ));
        text.push_str(&format!(
            "http_request_duration_seconds_count{{method=\"POST\",path=\"/execute\"}} {} {t}\n",
            blocking(*runs)
        ));
        text.push_str(&format!(
            "http_request_duration_seconds_sum{{method=\"POST\",path=\"/execute\"}} {} {t}\n",
            blocking(*runs) * 40.0
        ));
    }
    text.push_str("# EOF\n");
    text
}

/// The observed peak as the plan's workload, path by path (no Prometheus needed: the figures
/// are given). Queued runs need a rate and a duration above 0; streaming runs a rate above 0,
/// at the plan's duration, else the blocking `/execute` runs' measured one when above 0.
#[test]
fn the_observed_peak_becomes_the_plans_workload_path_by_path() {
    use flowcap::model::observed::with_observed_workload;
    use flowcap::model::plan::PathLoad;
    use flowcap::model::units::Seconds;
    let plan = flowcap::model::presets::load_preset("medium").unwrap().plan;
    let seen = crate::common::medium_observed();
    let queued = |o: &flowcap::model::observed::Observed, rate| o.workload(&plan, rate).map(|w| w.queued.unwrap());
    let at = |rate, seconds| {
        Some(PathLoad { arrivals_per_minute: rate, mean_duration: Seconds(seconds), ..Default::default() })
    };
    assert_eq!(queued(&seen, 90.0), at(90.0, 30.0));
    assert_eq!(queued(&seen, 0.0), None, "no queued run at the peak");
    let instant = flowcap::model::observed::Observed { queued_mean_duration_seconds: Some(0.0), ..seen.clone() };
    assert_eq!(queued(&instant, 90.0), None, "runs of no duration");

    let streaming = |http: f64, blocking: Option<f64>, planned: Option<PathLoad>| {
        let mut plan = plan.clone();
        plan.workload.get_or_insert_with(Default::default).streaming = planned;
        let observed = flowcap::model::observed::Observed {
            http_peak_runs_per_minute: http,
            blocking_mean_duration_seconds: blocking,
            ..seen.clone()
        };
        with_observed_workload(&plan, &observed).workload.and_then(|w| w.streaming)
    };
    let planned = at(5.0, 2.0);
    assert_eq!(streaming(12.0, None, planned), at(12.0, 2.0), "the plan's duration, the observed rate");
    assert_eq!(streaming(0.0, Some(4.0), planned), None, "no HTTP run recorded");
    assert_eq!(streaming(12.0, Some(4.0), None), at(12.0, 4.0), "the blocking runs' duration");
    assert_eq!(streaming(0.0, Some(4.0), None), None);
    assert_eq!(streaming(12.0, Some(0.0), None), None);
    assert_eq!(streaming(12.0, None, None), None, "no duration to take");
}
