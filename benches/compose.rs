//! Compose import: Flow-Like's real files (when `../shared` is there) and generated projects
//! of 1,000 and 10,000 services, to show the cost grows linearly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flowcap::platform::compose::{Environment, Project, ProjectOptions, ServiceNames, import};
use std::fmt::Write;
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// A compose file with `services` services shaped like Flow-Like's: interpolated environment,
/// published ports, resources, an anchor merged into each.
fn generated(services: usize) -> String {
    let mut text = String::from(
        "x-resources: &resources\n  deploy:\n    resources:\n      limits: { cpus: '0.5', memory: 256m }\n\nservices:\n",
    );
    text.push_str(
        "  runtime:\n    image: flow-like/runtime\n    environment:\n      MAX_CONCURRENT_EXECUTIONS: ${SLOTS:-10}\n",
    );
    for i in 0..services - 1 {
        let _ = write!(
            text,
            "  service-{i}:\n    <<: *resources\n    image: example/service:{i}\n    ports:\n      - \"${{PORT_{i}:-{port}}}:8080\"\n    environment:\n      NAME: service-{i}\n      URL: http://service-{i}:${{PORT:-8080}}/x\n      LEVEL: ${{LOG_LEVEL:-info}}\n",
            port = 10_000 + i
        );
    }
    text
}

fn import_folder(dir: &Path) {
    let project =
        Project::load(&ProjectOptions { dir: dir.to_path_buf(), ..ProjectOptions::default() }, Environment::default())
            .unwrap();
    black_box(import(&project, &ServiceNames::default()).unwrap());
}

fn compose(c: &mut Criterion) {
    let flow_like = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/flow-like");
    if flow_like.join("docker-compose.yml").is_file() {
        c.bench_function("import Flow-Like docker-compose.yml", |b| b.iter(|| import_folder(&flow_like)));
    }
    let mut group = c.benchmark_group("import generated");
    group.sample_size(20);
    for services in [1_000, 10_000] {
        let dir: PathBuf = std::env::temp_dir().join(format!("flowcap-bench-{services}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("compose.yaml"), generated(services)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(services), &dir, |b, dir| b.iter(|| import_folder(dir)));
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

criterion_group!(benches, compose);
criterion_main!(benches);
