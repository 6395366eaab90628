#!/usr/bin/env bash
# How long `flowcap observe` takes against a local Prometheus: DAYS (default 30) of a Flow-Like
# deployment at 60 s scrapes, as its code records them (queued and HTTP runs in the runs
# counter and its duration histogram, the HTTP ones in http_requests_total too, the queue's
# length, Redis's memory, connections), are backfilled with promtool, Prometheus serves them on
# 127.0.0.1, and hyperfine times the whole process over the whole span at STEP (default 1m:
# 43,200 steps, asked in parts of 11,000) and over 7 days at 5-minute steps (target: 1 s).
#
#   benches/observe.sh [DAYS] [STEP]
#
# Needs prometheus and promtool (Debian's prometheus package) and hyperfine; builds flowcap in
# release.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
flowcap="$PWD/target/release/flowcap"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
days=${1:-30}
step=${2:-1m}
end=$(( $(date +%s) / 300 * 300 - 600 ))
python3 - "$end" "$days" > "$work/data.om" <<'PY'
import sys
end = int(sys.argv[1]); start = end - int(sys.argv[2]) * 86400
bounds = ["0.1", "0.5", "1", "5", "10", "30", "60", "120", "300", "+Inf"]
points, runs, http = [], 0, 0
for t in range(start, end + 1, 60):
    # A daily peak of twice the base rate for two hours; a third of the runs over HTTP.
    peak = (t % 86400) // 3600 in (14, 15)
    runs += 120 if peak else 60
    http += 40 if peak else 20
    points.append((t, runs, peak, http))
out = ["# TYPE flow_executions counter"]
out += [f'flow_executions_total{{status="success"}} {r} {t}' for t, r, _, _ in points]
out.append("# TYPE http_requests counter")
out += [f'http_requests_total{{method="POST",path="/execute/sse",status="200"}} {h} {t}' for t, _, _, h in points]
out.append("# TYPE http_request_duration_seconds summary")
for t, _, _, h in points:
    out.append(f'http_request_duration_seconds_count{{method="POST",path="/execute/sse"}} {h} {t}')
    out.append(f'http_request_duration_seconds_sum{{method="POST",path="/execute/sse"}} {h * 0.05:.2f} {t}')
out.append("# TYPE flow_execution_duration_seconds histogram")
for t, r, _, _ in points:
    for b in bounds:
        c = 0 if b in ("0.1", "0.5", "1", "5") else r // 3 if b == "10" else r * 2 // 3 if b == "30" else r
        out.append(f'flow_execution_duration_seconds_bucket{{le="{b}"}} {c} {t}')
    out.append(f"flow_execution_duration_seconds_count {r} {t}")
    out.append(f"flow_execution_duration_seconds_sum {30 * r} {t}")
for name, base, high in (("executor_active_jobs", 0, 1), ("pg_stat_activity_count", 25, 31), ("redis_memory_used_bytes", 90000000, 99000000)):
    out.append(f"# TYPE {name} gauge")
    out += [f"{name} {high if p else base} {t}" for t, _, p, _ in points]
out.append("# TYPE redis_key_size gauge")
out += [f'redis_key_size{{key="exec:jobs"}} {12 if p else 0} {t}' for t, _, p, _ in points]
out.append("# TYPE pg_settings_max_connections gauge")
out += [f"pg_settings_max_connections 100 {t}" for t, _, _, _ in points]
out.append("# EOF")
print("\n".join(out))
PY
promtool tsdb create-blocks-from openmetrics "$work/data.om" "$work/tsdb" >/dev/null
echo "global: {}" > "$work/prometheus.yml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" --storage.tsdb.retention.time=400d \
  --web.listen-address="127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
until curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null; do sleep 0.2; done
"$flowcap" observe --preset medium --prometheus "http://127.0.0.1:$port" --window "${days}d" --step "$step" --end "$end"
hyperfine -N --warmup 3 --min-runs 10 \
  "$flowcap observe --preset medium --prometheus http://127.0.0.1:$port --window ${days}d --step $step --end $end" \
  "$flowcap observe --preset medium --prometheus http://127.0.0.1:$port --window 7d --step 5m --end $end"
