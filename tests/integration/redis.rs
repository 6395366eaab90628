//! A real `redis-server` judges the Redis command flowcap exports: started with exactly the
//! arguments the override gives the redis service, it reports the plan's maxmemory, policy and
//! appendonly; Docker Compose v2 merges the override to that command. The findings hold Flow-Like's
//! own compose file (no maxmemory, no limit) to what it is.

use crate::common::{flowcap, require, shared_fixtures, tempdir};
use flowcap::analysis::rules::RuleId;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Flow-Like's compose file in a fresh folder, exported over with a plan that bounds Redis;
/// returns the folder and the redis command the override writes.
fn exported(plan: &str) -> (crate::common::TestDir, Vec<String>) {
    let dir = tempdir("redis");
    std::fs::copy(shared_fixtures().join("flow-like/docker-compose.yml"), dir.join("docker-compose.yml")).unwrap();
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["export", "plan.yaml", "-f", "docker-compose.yml", "-o", "flowcap.override.yml"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        summary.contains(
            "redis command: maxmemory none, maxmemory-policy noeviction, appendonly yes → maxmemory 768mb, maxmemory-policy noeviction, appendonly yes"
        ),
        "{summary}"
    );
    let text = std::fs::read_to_string(dir.join("flowcap.override.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let command: Vec<String> = serde_yaml::from_value(doc["services"]["redis"]["command"].clone()).unwrap();
    (dir, command)
}

const PLAN: &str = "other_services:\n  redis: { limits: { cpus: 1, memory: 1G } }\n\
                    redis: { maxmemory: 768M, appendonly: true }\n";

/// redis-server on a unix socket in `dir`, stopped on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(socket: &Path, args: &[&str]) -> String {
    let output = Command::new("redis-cli").arg("-s").arg(socket).args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
#[cfg_attr(
    any(missing = "redis-server", missing = "shared-fixtures"),
    ignore = "needs redis-server and ../shared/fixtures"
)]
fn a_real_redis_runs_the_exported_command() {
    require("redis-server");
    let (dir, command) = exported(PLAN);
    assert_eq!(command[0], "redis-server");
    assert!(command.windows(2).any(|w| w == ["--appendonly", "yes"]), "the base's own words stay: {command:?}");
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    let socket = dir.join("redis.sock");
    // The override's arguments, then a private socket and folder (the container's port and
    // /data are not this test's).
    let server = Server(
        Command::new("redis-server")
            .args(&command[1..])
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .arg("--dir")
            .arg(&data)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while cli(&socket, &["PING"]) != "PONG" {
        assert!(start.elapsed() < Duration::from_secs(20), "redis-server did not start with {command:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(cli(&socket, &["CONFIG", "GET", "maxmemory"]), format!("maxmemory\n{}", 768u64 << 20));
    assert_eq!(cli(&socket, &["CONFIG", "GET", "maxmemory-policy"]), "maxmemory-policy\nnoeviction");
    assert_eq!(cli(&socket, &["CONFIG", "GET", "appendonly"]), "appendonly\nyes");
    drop(server);
}

#[test]
#[cfg_attr(
    any(missing = "docker-compose-v2", missing = "shared-fixtures"),
    ignore = "needs docker-compose-v2 and ../shared/fixtures"
)]
fn compose_merges_the_exported_command() {
    require("docker-compose-v2");
    let (dir, command) = exported(PLAN);
    let output = Command::new("docker-compose-v2")
        .current_dir(&dir)
        .args(["-f", "docker-compose.yml", "-f", "flowcap.override.yml", "config", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let merged: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let merged_command: Vec<String> = serde_json::from_value(merged["services"]["redis"]["command"].clone()).unwrap();
    assert_eq!(merged_command, command);
    // Read back, the deployment has the plan's Redis: no drift.
    let yaml = Command::new("docker-compose-v2")
        .current_dir(&dir)
        .args(["-f", "docker-compose.yml", "-f", "flowcap.override.yml", "config"])
        .output()
        .unwrap();
    std::fs::write(dir.join("merged.yml"), yaml.stdout).unwrap();
    let diff = flowcap().current_dir(&dir).args(["diff", "plan.yaml", "-f", "merged.yml"]).output().unwrap();
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(!text.contains("redis."), "{text}");
}

#[test]
#[cfg_attr(missing = "shared-fixtures", ignore = "needs ../shared/fixtures")]
fn flow_likes_redis_is_unbounded_and_a_bound_is_held_to_the_state() {
    let fixture = shared_fixtures().join("flow-like/docker-compose.yml");
    let output = flowcap().args(["--check", "-f"]).arg(&fixture).args(["--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&RuleId::RedisUnbounded.as_str()), "{rules:?}");
    assert_eq!(report["figures"]["redis"]["appendonly"], true);
    assert_eq!(report["figures"]["redis"]["maxmemory_bytes"], serde_json::Value::Null);
    // 60 runs a minute kept 24 h at 100 KiB each is 8.24 GiB; a 4 GiB maxmemory is full.
    let dir = tempdir("redis-state");
    let plan = "other_services:\n  redis: { limits: { cpus: 1, memory: 16G } }\n\
                redis: { maxmemory: 4G, state_per_run: 100K }\n\
                workload:\n  streaming: { arrivals_per_minute: 60, mean_duration: 20s }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["figures"]["redis"]["state_bytes"], 86_400u64 * 100 * 1024);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == RuleId::RedisNoHeadroom.as_str())
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(finding["changes"][0]["path"], "redis.maxmemory");
    // Its fix, applied, clears it.
    let fixed = plan.replace("maxmemory: 4G", "maxmemory: 9.2G");
    std::fs::write(dir.join("fixed.yaml"), fixed).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "fixed.yaml", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(!rules.contains(&RuleId::RedisNoHeadroom.as_str()), "{rules:?}");
    // Under maxmemory but past 90 % of it (8.24 of 9 GiB, 91.5 %): no headroom still.
    std::fs::write(dir.join("close.yaml"), plan.replace("maxmemory: 4G", "maxmemory: 9G")).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "close.yaml", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&RuleId::RedisNoHeadroom.as_str()), "{rules:?}");
    // An allkeys policy can evict the queue; a volatile one the runs' state.
    for (policy, rule) in [("allkeys-lru", RuleId::RedisEvictsQueue), ("volatile-ttl", RuleId::RedisEvictsState)] {
        let text = format!("redis: {{ maxmemory: 1G, maxmemory_policy: {policy} }}\n");
        std::fs::write(dir.join("policy.yaml"), text).unwrap();
        let output = flowcap().current_dir(&dir).args(["--check", "policy.yaml", "--format", "json"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let rules: Vec<&str> =
            report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
        assert!(rules.contains(&rule.as_str()), "{policy}: {rules:?}");
    }
}

/// With the monitoring profile, the export tells redis_exporter to read the queue's length
/// (`redis_key_size{key="exec:jobs"}`, which `flowcap observe` reads); Compose v2 merges it.
#[test]
#[cfg_attr(
    any(missing = "docker-compose-v2", missing = "shared-fixtures"),
    ignore = "needs docker-compose-v2 and ../shared/fixtures"
)]
fn the_export_lets_the_queue_length_be_observed() {
    require("docker-compose-v2");
    let dir = tempdir("redis-exporter");
    crate::common::copy_tree(&shared_fixtures().join("flow-like"), &dir);
    let output = flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-f", "docker-compose.yml", "--profile", "monitoring", "-o", "o.yml"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("redis-exporter REDIS_EXPORTER_CHECK_SINGLE_KEYS: unset → exec:jobs")
    );
    let merged = Command::new("docker-compose-v2")
        .current_dir(&dir)
        .args(["-f", "docker-compose.yml", "-f", "o.yml", "--profile", "monitoring", "config", "--format", "json"])
        .output()
        .unwrap();
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    let env = &merged["services"]["redis-exporter"]["environment"];
    assert_eq!(env["REDIS_EXPORTER_CHECK_SINGLE_KEYS"], "exec:jobs");
    assert_eq!(env["REDIS_ADDR"], "redis://redis:6379", "the exporter's own settings stay");
}

/// The Redis rules at their edges, computed by hand: the suggested maxmemory (75 % of the
/// limit, down to a whole MiB), maxmemory at the limit and one byte past it, an AOF rewrite at
/// exactly twice the dataset, and the queued backlog in the state.
#[test]
fn the_redis_rules_hold_at_their_edges() {
    use flowcap::analysis::figures::analyze;
    use flowcap::analysis::rules::evaluate;
    use flowcap::model::edit::PlanEdit;
    use flowcap::model::units::Bytes;
    let plan = |text: &str| flowcap::model::load::parse_plan("r.yaml", text).unwrap().plan;
    let fired = |text: &str, rule: RuleId| {
        let p = plan(text);
        evaluate(&p, &analyze(&p)).into_iter().filter(|f| f.rule == rule).collect::<Vec<_>>()
    };
    // 1001 MiB ÷ 4 × 3 = 750.75 MiB: 750 MiB.
    let found =
        fired("other_services:\n  redis: { limits: { memory: 1001Mi } }\nredis: {}\n", RuleId::RedisNoMaxmemory);
    assert_eq!(found[0].changes, [PlanEdit::RedisMaxmemory(Bytes::mib(750))], "{found:?}");
    assert!(found[0].fix.as_deref().unwrap().starts_with("set redis.maxmemory to 750 MiB (75 % of the limit)"));
    // At the limit is not over it; a byte past it is.
    let at = "other_services:\n  redis: { limits: { memory: 1Gi } }\nredis: { maxmemory: 1Gi }\n";
    assert!(fired(at, RuleId::RedisMaxmemoryOverLimit).is_empty());
    let past = at.replace("maxmemory: 1Gi", "maxmemory: 1073741825");
    let found = fired(&past, RuleId::RedisMaxmemoryOverLimit);
    assert_eq!(found[0].changes, [PlanEdit::RedisMaxmemory(Bytes::mib(768))], "{found:?}");
    // An AOF rewrite needs the dataset again: a limit of exactly twice maxmemory holds it.
    let aof = "other_services:\n  redis: { limits: { memory: 2Gi } }\nredis: { appendonly: true, maxmemory: 1Gi }\n";
    assert!(fired(aof, RuleId::RedisAofRewrite).is_empty());
    let short = aof.replace("memory: 2Gi", "memory: 2147483647");
    assert_eq!(fired(&short, RuleId::RedisAofRewrite).len(), 1);
    // The state: runs of both paths in 24 h plus the queued runs waiting (arrivals × mean
    // wait), each 1 KiB. 30 + 12 runs a minute are 60,480 a day.
    let text = "redis: { state_per_run: 1Ki }\nworkload:\n  queued: { arrivals_per_minute: 30, mean_duration: 19s }\n  \
                streaming: { arrivals_per_minute: 12, mean_duration: 5s }\n";
    let analysis = analyze(&plan(text));
    let redis = analysis.redis.as_ref().unwrap();
    assert_eq!(redis.runs_per_day, Some(60_480.0));
    let wait = analysis.queued.as_ref().unwrap().waits.mean_wait_seconds.unwrap();
    assert!(wait > 0.0, "the 10 slots are busy 9.5 of 10: runs wait");
    let backlog = 30.0 / 60.0 * wait;
    assert_eq!(redis.backlog_runs, Some(backlog));
    assert_eq!(redis.state_bytes, Some(((60_480.0 + backlog) * 1024.0_f64).ceil() as u64));
}
