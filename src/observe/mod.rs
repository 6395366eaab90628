//! What really runs: the figures a plan rests on, read from the deployment's own Prometheus
//! (Flow-Like's `monitoring` profile scrapes the runtime's `flow_executions_total`, the
//! `flow_execution_duration_seconds` histogram, `http_requests_total` and
//! `executor_active_jobs`, postgres-exporter's `pg_stat_activity_count` and
//! `pg_settings_max_connections`, redis_exporter's memory and key sizes; FACTS.md), read as
//! Flow-Like records them (FLOWLIKE.md): a queued run counts in `flow_executions_total` with its
//! whole duration and never in `http_requests_total` nor `executor_active_jobs`; an HTTP run
//! counts in both counters, a streaming one with its time to the response headers.
//! One blocking HTTP client (ureq), no async runtime.

use crate::io::error::InputError;
use crate::io::text::span;
use crate::model::observed::{Observed, Window};
use crate::model::plan::Plan;
use crate::model::units::round4;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The executions counter, summed over its `status` labels: every run, queued or HTTP.
const RUNS: &str = "sum(rate(flow_executions_total[5m])) * 60";
/// HTTP runs: the runtime's requests on its execute routes.
const HTTP: &str = r#"sum(rate(http_requests_total{path=~"/execute.*"}[5m])) * 60"#;
/// Queued runs: every run less the HTTP ones (none at all is no HTTP series).
const QUEUED: &str = r#"clamp_min((sum(rate(flow_executions_total[5m])) - (sum(rate(http_requests_total{path=~"/execute.*"}[5m])) or vector(0))) * 60, 0)"#;
/// HTTP runs in flight (streaming ones until their headers), over every runtime.
const IN_FLIGHT: &str = "sum(executor_active_jobs)";
/// The queued jobs' list, where redis_exporter reads it.
const QUEUE_LENGTH: &str = r#"sum(redis_key_size{key="exec:jobs"})"#;
const REDIS_MEMORY: &str = "max(redis_memory_used_bytes)";
const CONNECTIONS: &str = "sum(pg_stat_activity_count)";
const MAX_CONNECTIONS: &str = "max(pg_settings_max_connections)";

/// A Prometheus server's HTTP API.
pub struct Prometheus {
    base: String,
    /// The URL as messages show it: without credentials in it.
    shown: String,
    agent: ureq::Agent,
    /// The `Authorization` header, from the environment; never shown.
    authorization: Option<String>,
}

/// The environment variables that carry credentials for Prometheus: a bearer token, or a user
/// and password for basic auth.
pub const TOKEN_VARIABLE: &str = "FLOWCAP_PROMETHEUS_TOKEN";
pub const USER_VARIABLE: &str = "FLOWCAP_PROMETHEUS_USER";
pub const PASSWORD_VARIABLE: &str = "FLOWCAP_PROMETHEUS_PASSWORD";

impl Prometheus {
    /// A client for `url`; `ca` is the PEM file of the CA a https Prometheus's certificate is
    /// signed by, when it is not one of Mozilla's (webpki-roots); `variable` looks up the
    /// credentials' environment variables.
    pub fn new(
        url: &str,
        timeout: Duration,
        ca: Option<&Path>,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Prometheus, InputError> {
        use base64::Engine;
        let mut config = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false);
        if let Some(ca) = ca {
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(certificates(ca)?.into()).build());
        }
        let authorization = match (variable(TOKEN_VARIABLE), variable(USER_VARIABLE), variable(PASSWORD_VARIABLE)) {
            (Some(token), _, _) => Some(format!("Bearer {token}")),
            (None, Some(user), password) => {
                let pair = format!("{user}:{}", password.unwrap_or_default());
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
            }
            _ => None,
        };
        Ok(Prometheus {
            base: url.trim_end_matches('/').to_string(),
            shown: without_credentials(url),
            agent: config.build().into(),
            authorization,
        })
    }

    fn fail(&self, message: impl Into<String>) -> InputError {
        InputError::unreadable(&self.shown, message)
    }

    /// `data` of an API call, or why there is none.
    fn call(&self, path: &str, params: &[(&str, String)]) -> Result<Value, InputError> {
        let (status, text) = self.fetch(path, params)?;
        self.answer(status, &text)
    }

    /// The HTTP status and body of an API call.
    fn fetch(&self, path: &str, params: &[(&str, String)]) -> Result<(u16, String), InputError> {
        if !self.base.starts_with("http://") && !self.base.starts_with("https://") {
            return Err(self.fail("is not a URL: expected http://HOST:PORT or https://HOST:PORT"));
        }
        if self.base.contains(['?', '#']) {
            return Err(self.fail(format!(
                "takes no query or fragment: give the server's address alone, and a token in {TOKEN_VARIABLE}"
            )));
        }
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        for (key, value) in params {
            request = request.query(*key, value);
        }
        let mut response = request.call().map_err(|error| match error {
            ureq::Error::Timeout(_) => self.fail("did not answer in time (--timeout)"),
            ureq::Error::HostNotFound => self.fail("no such host"),
            // rustls reports a certificate it does not trust as invalid data on the socket.
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData && self.base.starts_with("https://") => {
                self.fail(format!(
                    "refused its TLS certificate ({io}): for a certificate from your own CA, give its PEM file with --prometheus-ca"
                ))
            }
            ureq::Error::Io(io) => self.fail(format!("cannot connect: {io}")),
            other => self.fail(format!("cannot query: {other}")),
        })?;
        let status = response.status().as_u16();
        let text =
            response.body_mut().read_to_string().map_err(|e| self.fail(format!("cannot read the answer: {e}")))?;
        Ok((status, text))
    }

    /// `data` of an answer, or why there is none.
    fn answer(&self, status: u16, text: &str) -> Result<Value, InputError> {
        let refused = || {
            match status {
            401 | 403 => self.fail(format!(
                "answered HTTP {status}: give credentials in {TOKEN_VARIABLE}, or {USER_VARIABLE} and {PASSWORD_VARIABLE}"
            )),
            _ => self.fail(format!("answered HTTP {status}: is this a Prometheus server, at its address without a path?")),
        }
        };
        let Ok(mut json) = serde_json::from_str::<Value>(text) else {
            return Err(if status >= 400 {
                refused()
            } else {
                self.fail(format!("answered HTTP {status} without Prometheus's JSON: is this a Prometheus server?"))
            });
        };
        match json["status"].as_str() {
            Some("success") => Ok(json.get_mut("data").map(Value::take).unwrap_or_default()),
            Some("error") => Err(self.fail(format!(
                "Prometheus refused the query ({}): {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or("")
            ))),
            _ if status >= 400 => Err(refused()),
            _ => Err(self.fail("does not answer as Prometheus's HTTP API")),
        }
    }

    /// The values of an instant query's vector at `at`.
    pub fn instant(&self, query: &str, at: f64) -> Result<Vec<f64>, InputError> {
        let data = self.call("/api/v1/query", &[("query", query.into()), ("time", at.to_string())])?;
        Ok(data["result"].as_array().into_iter().flatten().filter_map(|series| sample(&series["value"])).collect())
    }

    /// The samples of a range query's one series (flowcap's queries sum), empty without one. A
    /// window of more steps than Prometheus spans in one query is asked in parts on the same
    /// step grid.
    pub fn range(&self, query: &str, window: &Window) -> Result<Vec<f64>, InputError> {
        let start = window.end - window.seconds as f64;
        let mut values = Vec::new();
        let mut from = start;
        while from <= window.end {
            let to = (from + MAX_STEPS as f64 * window.step as f64).min(window.end);
            let params = [
                ("query", query.to_string()),
                ("start", from.to_string()),
                ("end", to.to_string()),
                ("step", window.step.to_string()),
            ];
            // Read straight into its shape: a month at minute steps is 43,200 pairs a query.
            let (status, text) = self.fetch("/api/v1/query_range", &params)?;
            match serde_json::from_str::<RangeAnswer>(&text) {
                Ok(answer) => {
                    let series = answer.data.result.into_iter().next().map(|s| s.values).unwrap_or_default();
                    values.extend(
                        series.iter().filter_map(|(_, value)| value.parse::<f64>().ok().filter(|v| v.is_finite())),
                    );
                }
                // Anything else says why through the general reading.
                _ => {
                    self.answer(status, &text)?;
                    return Err(self.fail("does not answer as Prometheus's HTTP API"));
                }
            }
            from = to + window.step as f64;
        }
        Ok(values)
    }
}

/// A range query's answer, as far as flowcap reads it: a success (an error's reason is read
/// by [`Prometheus::answer`]).
#[derive(serde::Deserialize)]
struct RangeAnswer {
    #[serde(rename = "status")]
    _status: Success,
    data: RangeData,
}

#[derive(serde::Deserialize)]
enum Success {
    #[serde(rename = "success")]
    Success,
}

#[derive(serde::Deserialize)]
struct RangeData {
    result: Vec<RangeSeries>,
}

#[derive(serde::Deserialize)]
struct RangeSeries {
    /// `[time, "value"]` pairs.
    values: Vec<(f64, String)>,
}

/// The certificates in a PEM file.
fn certificates(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, InputError> {
    let file = path.display().to_string();
    let pem = crate::model::load::read_text_file(path)?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem.as_bytes()) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(error) => return Err(InputError::unreadable(&file, format!("is not PEM: {error}"))),
        }
    }
    if certificates.is_empty() {
        return Err(InputError::unreadable(&file, "has no certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(certificates)
}

/// `[time, "value"]` as a number; NaN and infinities are no sample.
fn sample(pair: &Value) -> Option<f64> {
    pair.get(1)?.as_str()?.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The URL without `user:password@`, a query or a fragment (which may carry a token), for
/// messages.
fn without_credentials(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    // Everything up to the last `@` may be a user and a password (which may hold `/` or `@`),
    // with a scheme or without one (refused as no URL, and said).
    let scheme = url.find("://").filter(|&end| !url[..end].contains('@')).map_or("", |end| &url[..end + 3]);
    let rest = &url[scheme.len()..];
    format!("{scheme}{}", rest.rsplit_once('@').map_or(rest, |(_, host)| host))
}

/// Parses a Prometheus duration: `90s`, `5m`, `6h`, `7d`, `2w`.
pub fn duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => {
            return Err(format!(
                "invalid duration `{text}`: expected a whole number with s, m, h, d or w, e.g. 5m or 7d"
            ));
        }
    };
    // Digits past u64 are more than ten years too.
    match number.parse::<u64>().map_err(|e| *e.kind()) {
        Ok(n) if n > 0 && n <= 10 * 365 * 86_400 / scale => Ok(n * scale),
        Ok(1..) | Err(std::num::IntErrorKind::PosOverflow) => {
            Err(format!("invalid duration `{text}`: at most ten years (3650d)"))
        }
        _ => Err(format!("invalid duration `{text}`: expected a whole number greater than 0 with s, m, h, d or w")),
    }
}

/// Parses `--end`: Unix seconds.
pub fn unix_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(seconds),
        _ => Err(format!("invalid time `{text}`: expected Unix seconds, e.g. `$(date -d yesterday +%s)`")),
    }
}

/// The most steps Prometheus spans in one range query ((end − start) ÷ step, 11,001 points;
/// it refuses more).
const MAX_STEPS: u64 = 11_000;

/// Reads the window's figures; the slots of `plan` (read from `source`) are held against the
/// busy ones.
pub fn observe(prometheus: &Prometheus, window: Window, plan: &Plan, source: &str) -> Result<Observed, InputError> {
    let slots = plan.peak_slots();
    if window.step > window.seconds {
        return Err(InputError::conflict(
            "--step",
            format!("{} is longer than --window {}: no peak to find", span(window.step), span(window.seconds)),
        ));
    }
    // The range queries at once: Prometheus evaluates them side by side, and a long window is
    // several parts each.
    let [runs, queued, http, in_flight, queue_length, redis_memory, connections, max_connections] = ranges(
        prometheus,
        [RUNS, QUEUED, HTTP, IN_FLIGHT, QUEUE_LENGTH, REDIS_MEMORY, CONNECTIONS, MAX_CONNECTIONS],
        &window,
    )?;
    if runs.is_empty() {
        // The series may be there between the steps: a step coarser than the data.
        let range = format!("{}s", window.seconds);
        let seen =
            prometheus.instant(&format!("count(count_over_time(flow_executions_total[{range}]))"), window.end)?;
        // A count of no series is no sample (never 0): any sample says the series is there.
        if !seen.is_empty() {
            return Err(prometheus.fail(format!(
                "has flow_executions_total in the window, but no --step {} step lands on its data: shorten --step (or end the window where the data are)",
                span(window.step)
            )));
        }
        return Err(prometheus.fail(
            "has no flow_executions_total in the window: is it scraping Flow-Like's runtime (the monitoring profile)?",
        ));
    }
    if runs.len() < 2 {
        return Err(prometheus.fail(format!(
            "has {} sample of executions in the window: too few to find a peak (widen --window or shorten --step)",
            runs.len()
        )));
    }
    let range = format!("{}s", window.seconds);
    let one = |query: String| -> Result<Option<f64>, InputError> {
        Ok(prometheus.instant(&query, window.end)?.first().copied())
    };
    let mean = one(format!(
        "sum(increase(flow_execution_duration_seconds_sum[{range}])) / sum(increase(flow_execution_duration_seconds_count[{range}]))"
    ))?
    .ok_or_else(|| prometheus.fail("has no flow_execution_duration_seconds histogram in the window"))?;
    let buckets = format!("sum by (le) (increase(flow_execution_duration_seconds_bucket[{range}]))");
    let p95 = one(format!("histogram_quantile(0.95, {buckets})"))?;
    let bounds = bucket_bounds(prometheus, &buckets, window.end)?;
    // The queued runs' duration: the sums less the HTTP requests' (the same handler time).
    let http_sum =
        format!(r#"(sum(increase(http_request_duration_seconds_sum{{path=~"/execute.*"}}[{range}])) or vector(0))"#);
    let http_count = format!(r#"(sum(increase(http_requests_total{{path=~"/execute.*"}}[{range}])) or vector(0))"#);
    let queued_sum = one(format!("sum(increase(flow_execution_duration_seconds_sum[{range}])) - {http_sum}"))?;
    let queued_count = one(format!("sum(increase(flow_executions_total[{range}])) - {http_count}"))?;
    let queued_mean =
        queued_sum.zip(queued_count).filter(|(_, count)| *count >= 1.0).map(|(sum, count)| (sum / count).max(0.0));
    // Blocking `/execute` runs record their whole duration (the handler waits for the run):
    // the one HTTP duration the metrics hold.
    let blocking_sum = one(format!(r#"sum(increase(http_request_duration_seconds_sum{{path="/execute"}}[{range}]))"#))?;
    let blocking_count = one(format!(r#"sum(increase(http_requests_total{{path="/execute"}}[{range}]))"#))?;
    let blocking_mean =
        blocking_sum.zip(blocking_count).filter(|(_, count)| *count >= 1.0).map(|(sum, count)| (sum / count).max(0.0));
    // Busy queue slots by Little's law: no gauge counts them.
    let busy: Vec<f64> = match queued_mean {
        Some(duration) => queued.iter().map(|rate| round4(rate / 60.0 * duration)).collect(),
        None => Vec::new(),
    };
    let state_per_run = one(format!("{REDIS_MEMORY} / sum(increase(flow_executions_total[1d]))"))?;
    let mut observed = Observed {
        prometheus: prometheus.shown.clone(),
        window,
        samples: runs.len(),
        peak_runs_per_minute: round4(max(&runs).unwrap_or(0.0)),
        mean_runs_per_minute: round4(runs.iter().sum::<f64>() / runs.len() as f64),
        covered_seconds: (runs.len() as u64 * window.step).min(window.seconds),
        mean_duration_seconds: round4(mean),
        queued_peak_runs_per_minute: round4(max(&queued).unwrap_or(0.0)),
        queued_mean_runs_per_minute: round4(mean_of(&queued)),
        queued_mean_duration_seconds: queued_mean.map(round4),
        http_peak_runs_per_minute: round4(max(&http).unwrap_or(0.0)),
        http_mean_runs_per_minute: round4(mean_of(&http)),
        http_in_flight_peak: max(&in_flight),
        queue_length_peak: max(&queue_length),
        redis_memory_peak_bytes: max(&redis_memory),
        state_per_run_bytes: state_per_run.filter(|b| *b > 0.0).map(round4),
        blocking_mean_duration_seconds: blocking_mean.map(round4),
        p95_duration_seconds: p95.map(round4),
        // Each bucket holds what lies above the bound before it up to its own (Prometheus's
        // `le`), the first from 0 on.
        p95_bucket_seconds: p95.and_then(|p| bounds.windows(2).find(|b| p >= b[0] && p <= b[1]).map(|b| (b[0], b[1]))),
        busy_slots_peak: max(&busy),
        busy_slots_p95: quantile(&busy, 0.95),
        plan: source.to_string(),
        slots,
        saturated_share: None,
        connections_peak: max(&connections),
        max_connections: max(&max_connections),
        max_connections_now: max_connections.last().copied(),
        busy,
    };
    observed.saturated_share = observed.saturated_share(slots);
    Ok(observed)
}

/// The samples of each range query, asked at once.
fn ranges<const N: usize>(
    prometheus: &Prometheus,
    queries: [&str; N],
    window: &Window,
) -> Result<[Vec<f64>; N], InputError> {
    std::thread::scope(|scope| {
        let asked = queries.map(|query| scope.spawn(move || prometheus.range(query, window)));
        let answers =
            asked.map(|handle| handle.join().unwrap_or_else(|_| Err(prometheus.fail("a query failed inside flowcap"))));
        let mut values = Vec::with_capacity(N);
        for answer in answers {
            values.push(answer?);
        }
        values.try_into().map_err(|_| prometheus.fail("a query failed inside flowcap"))
    })
}

/// The histogram's bucket bounds, 0 first, in order.
fn bucket_bounds(prometheus: &Prometheus, buckets: &str, at: f64) -> Result<Vec<f64>, InputError> {
    let data = prometheus.call("/api/v1/query", &[("query", buckets.to_string()), ("time", at.to_string())])?;
    let mut bounds: Vec<f64> = data["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|series| series["metric"]["le"].as_str()?.parse::<f64>().ok())
        .collect();
    bounds.push(0.0);
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
    Ok(bounds)
}

fn mean_of(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

/// The `q` quantile of the samples (nearest rank).
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever precedes the last `@` is never said, a scheme or not; the query and fragment go.
    #[test]
    fn addresses_are_said_without_credentials() {
        for (url, shown) in [
            ("http://user:pw@prom:9090", "http://prom:9090"),
            ("https://u:pa/ss@w@prom:9090/sub", "https://prom:9090/sub"),
            ("user:pw@prom:9090", "prom:9090"),
            ("us@er://prom", "er://prom"),
            ("http://prom:9090/api?token=t#x", "http://prom:9090/api"),
            ("http://prom:9090", "http://prom:9090"),
        ] {
            assert_eq!(without_credentials(url), shown, "{url}");
        }
    }

    #[test]
    fn durations_in_every_unit_up_to_ten_years() {
        let read: Vec<_> = ["90s", "5m", "6h", "7d", "2w", "3650d", " 1d "].map(duration).into();
        assert_eq!(read, [Ok(90), Ok(300), Ok(21_600), Ok(604_800), Ok(1_209_600), Ok(315_360_000), Ok(86_400)]);
        assert_eq!(duration("3651d").unwrap_err(), "invalid duration `3651d`: at most ten years (3650d)");
        assert_eq!(duration("522w").unwrap_err(), "invalid duration `522w`: at most ten years (3650d)");
        assert_eq!(
            duration("99999999999999999999d").unwrap_err(),
            "invalid duration `99999999999999999999d`: at most ten years (3650d)"
        );
        for zero in ["0m", "m"] {
            assert!(duration(zero).unwrap_err().contains("expected a whole number greater than 0"), "{zero}");
        }
        assert!(duration("5y").unwrap_err().contains("expected a whole number with s, m, h, d or w"));
        assert_eq!((unix_seconds("0"), unix_seconds(" 1.5e9 ")), (Ok(0.0), Ok(1.5e9)));
        for bad in ["-1", "inf", "NaN", "yesterday"] {
            assert!(unix_seconds(bad).is_err(), "{bad}");
        }
    }

    /// The busy slots' figures: the mean of none is 0, the nearest-rank quantile.
    #[test]
    fn means_maxima_and_quantiles_of_samples() {
        assert_eq!((mean_of(&[]), mean_of(&[1.0, 2.0, 6.0])), (0.0, 3.0));
        assert_eq!((max(&[]), max(&[2.0, 7.0, 3.0])), (None, Some(7.0)));
        let samples: Vec<f64> = (1..=20).map(f64::from).rev().collect();
        assert_eq!(
            [0.95, 0.5, 0.0, 1.0].map(|q| quantile(&samples, q)),
            [Some(19.0), Some(10.0), Some(1.0), Some(20.0)]
        );
        assert_eq!(quantile(&[], 0.95), None);
    }
}
