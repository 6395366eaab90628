#!/usr/bin/env bash
# How much faster `flowcap --check -f` reads Flow-Like's compose file than Docker Compose v2's
# own `config` does: whole processes, CPU time (user + system) from hyperfine, and the ratio.
#
#   benches/compose-ratio.sh [COMPOSE_FILE]   # default: ../shared/fixtures/flow-like/docker-compose.yml
#
# Needs hyperfine and docker-compose-v2 (.ci/install-compose-v2); builds flowcap in release.
set -euo pipefail
cd "$(dirname "$0")/.."
file=$(realpath "${1:-../shared/fixtures/flow-like/docker-compose.yml}")
cargo build --release --quiet
flowcap="$PWD/target/release/flowcap"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$file" "$work/docker-compose.yml"
cd "$work"
hyperfine -N --warmup 20 --min-runs 300 --export-json times.json \
  "$flowcap --check -f docker-compose.yml" \
  "docker-compose-v2 -f docker-compose.yml config" \
  "$flowcap --version" >/dev/null
python3 - times.json <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
cpu = [(r["user"] + r["system"]) * 1000 for r in runs]
wall = [r["mean"] * 1000 for r in runs]
print(f"flowcap --check -f      {cpu[0]:6.2f} ms CPU  {wall[0]:6.2f} ms wall")
print(f"docker-compose-v2 config {cpu[1]:6.2f} ms CPU  {wall[1]:6.2f} ms wall")
print(f"flowcap --version       {cpu[2]:6.2f} ms CPU  {wall[2]:6.2f} ms wall")
print(f"ratio: {cpu[1] / cpu[0]:.1f}x CPU, {wall[1] / wall[0]:.1f}x wall")
PY
