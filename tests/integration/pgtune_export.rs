//! What flowcap writes with PGTune is one consistent server (its shared_buffers too), the
//! worst-case memory is made of what is written, and a plan's own shared_buffers wins.

use crate::common::{flowcap, tempdir};
use flowcap::analysis::figures::analyze;
use flowcap::analysis::postgres_memory::SettingsSource;
use flowcap::analysis::rules::{RuleId, evaluate};
use flowcap::model::plan::Plan;
use flowcap::model::presets::load_preset;
use flowcap::model::units::{Bytes, Cpus};
use predicates::prelude::predicate;
use std::path::Path;

const MIB: u64 = 1 << 20;

fn stack(name: &str) -> crate::common::TestDir {
    let dir = tempdir(name);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/docker-compose.yml");
    std::fs::copy(base, dir.join("docker-compose.yml")).unwrap();
    dir
}

fn command_flags(override_text: &str) -> Vec<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(override_text).unwrap();
    let command = doc["services"]["postgres"]["command"].as_sequence().unwrap();
    command.iter().map(|v| v.as_str().unwrap().to_string()).filter(|w| w.contains('=')).collect()
}

#[test]
fn pgtune_writes_its_own_shared_buffers_and_the_check_holds_the_deployment_to_it() {
    // The case: 64 GiB and 8 CPUs, and a plan without shared_buffers.
    let dir = stack("pgtune-sb");
    std::fs::write(dir.join("plan.yaml"), "postgres:\n  max_connections: 100\n  limits: { cpus: 8, memory: 64G }\n")
        .unwrap();
    let args = ["export", "plan.yaml", "--pgtune", "-o", "o.yml", "--save-plan", "tuned.yaml"];
    flowcap().current_dir(&dir).args(args).assert().success();
    let flags = command_flags(&std::fs::read_to_string(dir.join("o.yml")).unwrap());
    // (67108864 − 16777216) kB / ((100 + 8) × 3) = 155344 kB: work_mem from the shared_buffers
    // written beside it.
    for expected in ["shared_buffers=16GB", "effective_cache_size=48GB", "work_mem=155344kB", "huge_pages=try"] {
        assert!(flags.contains(&expected.to_string()), "{expected} not in {flags:?}");
    }
    assert_eq!(flags.iter().filter(|f| f.starts_with("shared_buffers=")).count(), 1, "{flags:?}");
    let saved = std::fs::read_to_string(dir.join("tuned.yaml")).unwrap();
    assert!(saved.contains("pgtune: true") && !saved.contains("  shared_buffers:"), "{saved}");
    // The saved plan, held against the deployment the export made: no drift, and it passes.
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "tuned.yaml", "-f", "docker-compose.yml", "-f", "o.yml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(!rules.contains(&"plan-drift"), "{rules:?}");
    assert_eq!(report["figures"]["postgres"]["shared_buffers_bytes"], 16u64 << 30);
    assert_eq!(report["figures"]["postgres"]["settings"]["source"], "pgtune");
    // The plan without pgtune, against the same deployment: the server runs 16 GB, not the
    // 128 MB the plan means, and the check says so.
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "-f", "docker-compose.yml", "-f", "o.yml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("postgres.shared_buffers") && text.contains("16 GiB"), "{text}");
}

#[test]
fn pgtune_without_memory_to_size_for_is_refused() {
    let dir = stack("pgtune-nomem");
    std::fs::write(dir.join("plan.yaml"), "postgres:\n  max_connections: 100\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "plan.yaml", "--pgtune", "-o", "o.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pgtune: PGTune sizes for the memory Postgres may use"));
    assert!(!dir.join("o.yml").exists());
}

#[test]
fn the_worst_case_is_made_of_the_settings_written() {
    // medium: Postgres 4 CPUs, 8 GiB, its own shared_buffers 2 GiB; 28 connections in use.
    let mut plan: Plan = load_preset("medium").unwrap().plan;
    let defaults = analyze(&plan).postgres;
    assert_eq!(defaults.settings.source, SettingsSource::PostgresqlDefaults);
    assert_eq!(defaults.worst_case_bytes, defaults.estimated_bytes + 28 * 4 * MIB + 3 * 64 * MIB + 96 * MIB);
    plan.postgres.pgtune = true;
    let tuned = analyze(&plan).postgres;
    assert_eq!(tuned.settings.source, SettingsSource::Pgtune);
    assert_eq!(tuned.shared_buffers_bytes, 2 << 30, "the plan's own");
    // work_mem (8388608 − 2097152) / ((100 + 4) × 3) = 20164 kB; 3 autovacuum workers (fewer
    // than 16 CPUs) × maintenance_work_mem 512 MB; /dev/shm: 4 parallel workers ÷ 2 per gather
    // = 2 hash joins × 20164 kB × 2 × 3.
    let work_mem = 20_164 * 1024;
    assert_eq!(tuned.settings.work_mem_bytes, work_mem);
    assert_eq!(tuned.settings.autovacuum_workers, 3);
    assert_eq!(tuned.settings.autovacuum_worker_bytes, 512 * MIB);
    assert_eq!(tuned.settings.shm_bytes, 2 * work_mem * 2 * 3);
    assert_eq!(tuned.worst_case_bytes, tuned.estimated_bytes + 28 * work_mem + 3 * 512 * MIB + 2 * work_mem * 2 * 3);
    // 32 CPUs: 5 workers, each held to autovacuum_work_mem 2 GB once maintenance_work_mem
    // (64 GiB / 16 = 4 GB) passes it.
    plan.postgres.limits.cpus = Some(Cpus::whole(32));
    plan.postgres.limits.memory = Some(Bytes::gib(64));
    let big = analyze(&plan).postgres;
    assert_eq!((big.settings.autovacuum_workers, big.settings.autovacuum_worker_bytes), (5, 2 << 30));
}

#[test]
fn under_pgtune_the_fix_is_the_limit_at_which_the_worst_case_fits() {
    // Many connections on a small limit: PGTune's settings grow with the limit, so a limit at
    // today's worst case is not enough; the fix's limit is, and a MiB less is not.
    let mut plan: Plan = load_preset("medium").unwrap().plan;
    plan.postgres.pgtune = true;
    plan.postgres.shared_buffers = None;
    plan.postgres.max_connections = 400;
    plan.api.db_pool = 90;
    plan.postgres.limits.memory = Some(Bytes::gib(2));
    let findings = evaluate(&plan, &analyze(&plan));
    let finding = findings
        .iter()
        .find(|f| matches!(f.rule, RuleId::PostgresMemoryTight | RuleId::PostgresMemoryWorstCase))
        .unwrap_or_else(|| panic!("{findings:?}"));
    let before = analyze(&plan).postgres.worst_case_bytes;
    let mut fixed = plan.clone();
    for edit in &finding.changes {
        edit.apply(&mut fixed).unwrap();
    }
    let limit = fixed.postgres.limits.memory.unwrap().0;
    assert!(limit > before, "more than the worst case at the old limit: {limit} vs {before}");
    let after = evaluate(&fixed, &analyze(&fixed));
    assert!(after.iter().all(|f| f.rule != finding.rule && f.rule != RuleId::PostgresMemoryWorstCase), "{after:?}");
    let mut less = fixed.clone();
    less.postgres.limits.memory = Some(Bytes(limit - MIB));
    let tight = analyze(&less).postgres;
    assert!(tight.worst_case_bytes > limit - MIB, "the least such limit");
    // Within a MiB of the limit, the message still tells the two apart.
    let said = evaluate(&less, &analyze(&less));
    let over = said.iter().find(|f| f.rule == RuleId::PostgresMemoryWorstCase).unwrap_or_else(|| panic!("{said:?}"));
    let (worst, limit) = Bytes(tight.worst_case_bytes).beside(Bytes(limit - MIB));
    assert_ne!(worst, limit);
    assert!(
        over.message.starts_with(&format!("at worst Postgres uses {worst}:"))
            && over.message.contains(&format!("over its memory limit {limit} (")),
        "{}",
        over.message
    );
}

#[test]
fn a_shared_buffers_far_from_pgtunes_is_kept_and_said() {
    let mut plan: Plan = load_preset("medium").unwrap().plan;
    plan.postgres.pgtune = true;
    // medium's 2 GiB is PGTune's quarter of 8 GiB: nothing to say.
    let says = |plan: &Plan| {
        evaluate(plan, &analyze(plan)).into_iter().filter(|f| f.rule == RuleId::SharedBuffersFarFromPgtune).count()
    };
    assert_eq!(says(&plan), 0);
    plan.postgres.shared_buffers = Some(Bytes::gib(1));
    assert_eq!(says(&plan), 0, "half: not yet far");
    plan.postgres.shared_buffers = Some(Bytes(Bytes::gib(1).0 - MIB));
    let findings = evaluate(&plan, &analyze(&plan));
    let far = findings.iter().find(|f| f.rule == RuleId::SharedBuffersFarFromPgtune).unwrap();
    assert!(far.message.contains("far from PGTune's 2 GiB for 8 GiB"), "{}", far.message);
    // (8388608 − 1047552) kB / 312 = 23529 kB.
    assert!(far.message.contains("work_mem 23 MiB"), "{}", far.message);
    let mut fixed = plan.clone();
    for edit in &far.changes {
        edit.apply(&mut fixed).unwrap();
    }
    assert_eq!(fixed.postgres.shared_buffers, Some(Bytes::gib(2)));
    assert_eq!(says(&fixed), 0);
    plan.postgres.shared_buffers = Some(Bytes(Bytes::gib(4).0 + MIB));
    assert_eq!(says(&plan), 1, "past twice");
}

#[test]
fn pgtune_for_another_version_than_the_image_runs_is_refused() {
    let dir = tempdir("pgtune-version");
    let compose = "services:\n  api: { image: ghcr.io/tm9657/flow-like-api:0.9 }\n  runtime: { image: \
                   ghcr.io/tm9657/flow-like-runtime:0.9 }\n  postgres:\n    image: postgres:16-alpine\n";
    std::fs::write(dir.join("docker-compose.yml"), compose).unwrap();
    std::fs::write(dir.join("plan.yaml"), "postgres:\n  version: 18\n  limits: { cpus: 4, memory: 8G }\n").unwrap();
    flowcap().current_dir(&dir).args(["export", "plan.yaml", "--pgtune", "-o", "o.yml"]).assert().code(2).stderr(
        predicate::str::contains(
            "docker-compose.yml:5:5: services.postgres.image: runs PostgreSQL 16, and the plan's PGTune settings are \
             for postgres.version 18",
        ),
    );
    assert!(!dir.join("o.yml").exists());
    // Without PGTune's settings the plan's own are version-blind: written.
    flowcap().current_dir(&dir).args(["export", "plan.yaml", "-o", "o.yml"]).assert().success();
    // A managed database: PGTune has nothing to write, and says so.
    std::fs::write(dir.join("managed.yaml"), "postgres:\n  external: true\n  max_connections: 200\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "managed.yaml", "--pgtune", "-o", "m.yml"])
        .assert()
        .success()
        .stderr(predicate::str::contains("note: --pgtune: the database is managed"));
}

#[test]
fn a_fix_that_would_read_as_the_limit_it_raises_is_exact() {
    // Worst case 3298 MiB over a 3250 MiB limit: both are "3.2 GiB" rounded.
    let dir = tempdir("worst-exact");
    let plan = "postgres:\n  shared_buffers: 2800M\n  limits: { cpus: 1, memory: 3250M }\napi: { limits: { cpus: 1, memory: 1G } }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("fix: raise postgres.limits.memory to 3298M,"), "{text}");
}

#[test]
fn a_postgres_without_a_seccomp_profile_gets_pgtunes_io_uring() {
    // PostgreSQL 18 under Docker's default seccomp profile: io_uring is blocked, worker is
    // written. Unconfined (as operators run it for io_uring), PGTune's io_uring is.
    let dir = tempdir("pgtune-io-uring");
    let compose = |security: &str| {
        format!(
            "services:\n  api: {{ image: ghcr.io/tm9657/flow-like-api:0.9 }}\n  runtime: {{ image: \
             ghcr.io/tm9657/flow-like-runtime:0.9 }}\n  postgres:\n    image: postgres:18\n{security}    \
             deploy: {{ resources: {{ limits: {{ cpus: '16', memory: 8G }} }} }}\n"
        )
    };
    for (security, method, blocked) in [
        ("", "io_method=worker", true),
        ("    security_opt: [ \"seccomp=unconfined\" ]\n", "io_method=io_uring", false),
        ("    security_opt:\n      - seccomp:unconfined\n", "io_method=io_uring", false),
        ("    security_opt: [ \"seccomp=./profile.json\" ]\n", "io_method=worker", true),
    ] {
        std::fs::write(dir.join("docker-compose.yml"), compose(security)).unwrap();
        flowcap().current_dir(&dir).args(["export", "--pgtune", "--force", "-o", "o.yml"]).assert().success();
        let flags = command_flags(&std::fs::read_to_string(dir.join("o.yml")).unwrap());
        assert!(flags.contains(&method.to_string()), "{security}: {flags:?}");
        // io_workers (from 16 CPUs) belong to the worker method only.
        assert_eq!(flags.iter().any(|f| f.starts_with("io_workers=")), method.ends_with("worker"), "{flags:?}");
        let output = flowcap().current_dir(&dir).args(["init", "--force", "-o", "plan.yaml"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let mut plan = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
        assert_eq!(plan.contains("  io_uring: true"), !blocked, "{plan}");
        let at = plan.find("\npostgres:").unwrap() + 1;
        let at = at + plan[at..].find('\n').unwrap() + 1;
        plan.insert_str(at, "  pgtune: true\n");
        std::fs::write(dir.join("plan.yaml"), plan).unwrap();
        let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml", "--format", "json"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let rules: Vec<&str> =
            report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
        assert_eq!(rules.contains(&"io-uring-blocked"), blocked, "{security}: {rules:?}");
    }
}

/// A plan's io_uring and version are held to the stack it is exported onto: flowcap never adds
/// security_opt, so io_method = io_uring onto a container under Docker's default profile, or
/// PostgreSQL 18's io_method onto an image whose tag names another (or no) version, would keep
/// the server from starting: exit 2 at the image or the service. `--check` names the drift.
#[test]
fn the_plans_io_uring_and_version_are_held_to_the_stack() {
    let dir = tempdir("pgtune-io-uring-drift");
    let compose = |image: &str, security: &str| {
        format!(
            "services:\n  api: {{ image: ghcr.io/tm9657/flow-like-api:0.9 }}\n  runtime: {{ image: \
             ghcr.io/tm9657/flow-like-runtime:0.9 }}\n  postgres:\n    image: {image}\n{security}    \
             deploy: {{ resources: {{ limits: {{ cpus: '4', memory: 8G }} }} }}\n"
        )
    };
    let plan = |io_uring: bool| {
        format!("postgres: {{ version: 18, pgtune: true, io_uring: {io_uring}, limits: {{ cpus: 4, memory: 8G }} }}\n")
    };
    let export = |dir: &Path| {
        flowcap()
            .current_dir(dir)
            .args(["export", "plan.yaml", "-f", "docker-compose.yml", "--force", "-o", "o.yml"])
            .output()
            .unwrap()
    };
    // io_uring planned, the container confined: refused at the service.
    std::fs::write(dir.join("docker-compose.yml"), compose("postgres:18", "")).unwrap();
    std::fs::write(dir.join("plan.yaml"), plan(true)).unwrap();
    let output = export(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("docker-compose.yml:4:3: services.postgres: runs under a seccomp profile (Docker's default"),
        "{stderr}"
    );
    let check = |dir: &Path| {
        let found = crate::common::drift_findings(dir, "plan.yaml");
        let text = |f: &serde_json::Value, key: &str| f[key].as_str().unwrap().to_string();
        found.iter().map(|f| (text(f, "message"), text(f, "fix"))).collect::<Vec<_>>()
    };
    let drift = check(&dir);
    assert!(
        drift.iter().any(|(m, f)| m.contains("postgres.io_uring") && f.contains("security_opt: [seccomp=unconfined]")),
        "{drift:?}"
    );
    // The other way round: a plan without io_uring onto an unconfined container exports
    // (worker starts either way), and the drift is named.
    std::fs::write(dir.join("docker-compose.yml"), compose("postgres:18", "    security_opt: [seccomp=unconfined]\n"))
        .unwrap();
    std::fs::write(dir.join("plan.yaml"), plan(false)).unwrap();
    assert!(export(&dir).status.success());
    assert!(command_flags(&std::fs::read_to_string(dir.join("o.yml")).unwrap()).contains(&"io_method=worker".into()));
    let drift = check(&dir);
    assert!(
        drift.iter().any(|(m, f)| m.contains("postgres.io_uring") && f.starts_with("set postgres.io_uring: true")),
        "{drift:?}"
    );
    // An extension image names its server in a pgN part: 17, not the plan's 18. The check
    // names it as drift (an override written for 18 would keep 17 from starting).
    std::fs::write(dir.join("docker-compose.yml"), compose("pgvector/pgvector:0.8.0-pg17", "")).unwrap();
    let drift = check(&dir);
    assert!(
        drift.iter().any(|(m, f)| m == "postgres.version: the deployment has 17, the plan 18"
            && f.starts_with("the image runs PostgreSQL 17: set postgres.version: 17, or run a PostgreSQL 18 image")),
        "{drift:?}"
    );
    let diff = flowcap().current_dir(&dir).args(["diff", "plan.yaml", "-f", "docker-compose.yml"]).output().unwrap();
    assert!(String::from_utf8_lossy(&diff.stdout).contains("postgres.version"), "{diff:?}");
    let output = export(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("docker-compose.yml:5:5: services.postgres.image: runs PostgreSQL 17"), "{stderr}");
    // A tag that names no version: pinned first, for 18's settings; 16's start on any. No
    // version read, no drift on it.
    std::fs::write(dir.join("docker-compose.yml"), compose("postgres:latest", "")).unwrap();
    assert!(!check(&dir).iter().any(|(m, _)| m.starts_with("postgres.version")));
    let output = export(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("services.postgres.image: its tag names no PostgreSQL major version"), "{stderr}");
    assert!(!stderr.contains("latest"), "{stderr}");
    std::fs::write(dir.join("plan.yaml"), plan(false).replace("version: 18", "version: 16")).unwrap();
    assert!(export(&dir).status.success());
}
