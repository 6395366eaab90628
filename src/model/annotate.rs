//! A plan file an operator can read without the docs: a comment on every key (`flowcap
//! init`). Comments are looked up by the key's dotted path, then by its last two and its last
//! component, so `other_services.web.limits.cpus` finds `limits.cpus`.

/// What each key means, by path (or its tail).
const COMMENTS: &[(&str, &str)] = &[
    ("name", "a label for reports"),
    ("platform", "compose (one Docker host) or kubernetes (Flow-Like's Helm chart)"),
    ("api", "the API service: it holds the database pool"),
    ("runtime", "the runtime: it runs the executions"),
    ("replicas", "containers (pods) of this service"),
    ("api.db_pool", "database connections per API replica (Flow-Like's max_connections(10))"),
    ("runtime.db_pool", "connections per runtime: 0 for Flow-Like (only the API connects)"),
    ("max_concurrent_executions", "MAX_CONCURRENT_EXECUTIONS per runtime (Flow-Like's default 10)"),
    ("shared_jwt_keys", "whether all API replicas get one BACKEND_KEY/BACKEND_PUB pair"),
    ("published_ports", "fixed host ports: one container per host can bind each"),
    ("container_name", "a fixed container_name: Compose runs one container with it"),
    ("limits", "the most it may use (deploy.resources.limits; on Kubernetes, limits)"),
    ("reservations", "what it is guaranteed (deploy.resources.reservations; on Kubernetes, requests)"),
    ("cpus", "CPUs: a decimal (0.5) or millicores (250m)"),
    ("memory", "bytes: 512Mi, 2Gi (2G reads as 2Gi, not 2·10⁹)"),
    ("autoscaling", "the HorizontalPodAutoscaler; replicas is where it stands now"),
    ("autoscaling.min", "the fewest replicas it keeps"),
    ("autoscaling.max", "the most replicas it scales to: findings are checked there too"),
    ("target_cpu_percent", "scale out past this share of the CPU request"),
    ("target_memory_percent", "scale out past this share of the memory request"),
    ("postgres", "the database Flow-Like's API connects to"),
    ("external", "whether the database is managed, through DATABASE_URL (no container)"),
    ("postgres.managed", "the managed database: its provider's defaults give max_connections"),
    ("managed.provider", "rds | aurora | cloudsql | azure (read from DATABASE_URL's host)"),
    ("managed.instance_class", "the class or SKU: db.r6g.large, D4s_v3, db-f1-micro"),
    ("managed.memory", "the instance's memory as listed, where its class has no published figure"),
    ("postgres.max_connections", "PostgreSQL's max_connections (its default 100)"),
    ("superuser_reserved_connections", "slots only superusers may take (PostgreSQL's default 3)"),
    ("reserved_connections", "slots for roles with pg_use_reserved_connections (PostgreSQL 16+)"),
    ("shared_buffers", "PostgreSQL's shared_buffers (unset: its default 128M, or PGTune's with pgtune)"),
    ("pgtune", "write PGTune's settings (export --pgtune) and judge its worst-case memory"),
    ("data_size", "how much data the database holds, for PGTune (unset: 1-3 x its memory)"),
    ("storage", "hdd | ssd | san | nvme, for PGTune's I/O settings"),
    ("profile", "PGTune's database type: web | oltp | dw | desktop | mixed"),
    ("version", "the PostgreSQL major version (read from the image tag when imported: 16-alpine, pg17)"),
    ("io_uring", "whether Postgres's container may use io_uring (seccomp=unconfined): PGTune's io_method"),
    ("clients_are_superuser", "whether Flow-Like connects as POSTGRES_USER, or a managed database's admin user"),
    ("monitoring", "whether the compose monitoring profile runs (postgres-exporter then connects)"),
    ("postgres_clients", "connections held by clients other than the API"),
    ("exporter", "postgres-exporter: 2 collectors + 1 overlapping scrape (with monitoring)"),
    ("db_init", "the db-init job: Prisma's pool is CPUs × 2 + 1"),
    ("admin", "people with psql, backups"),
    ("other_services", "the rest of the stack, counted in host (or cluster) fit"),
    ("host", "the Docker host; without it host fit is skipped"),
    ("host.cpus", "the host's CPUs"),
    ("host.memory", "the host's memory"),
    ("cluster", "the Kubernetes cluster the pods are placed on"),
    ("node_pools", "node pools; solve grows the one that needs the fewest nodes"),
    ("node_pools.name", "the pool's name, for messages"),
    ("nodes", "nodes running now"),
    ("max_pods", "the kubelet's maxPods: the most pods a node runs (110, or EKS's, when left out)"),
    ("daemonset_pods", "DaemonSet pods on every node: they count against max_pods"),
    ("max_nodes", "the cluster autoscaler's most; leave out for a fixed pool"),
    ("node_pools.cpus", "a node's CPUs"),
    ("node_pools.memory", "a node's memory"),
    ("allocatable", "what a node offers pods; leave out for the provider's formula"),
    ("provider", "gke, eks, aks or generic: what a node reserves for itself (gke when left out)"),
    ("instance_type", "the machine type; on EKS it gives max_pods"),
    ("labels", "the nodes' labels (beside kubernetes.io/os and the provider's pool label)"),
    ("taints", "the nodes' taints: pods that do not tolerate one stay off"),
    (
        "pod_placement",
        "where each workload's pods may go: node_selector, tolerations, required_node_affinity, required_pod_anti_affinity, required_pod_affinity",
    ),
    ("daemonset", "what DaemonSets take on every node (CNI, log shipper, node-exporter)"),
    ("jobs", "Flow-Like's Kubernetes Job backend: one pod per execution"),
    ("max_concurrent", "the most Job pods at once"),
    ("policy", "thresholds the findings use"),
    ("connection_warning_percent", "connection use past this share of usable warns (Flow-Like's alert: 80)"),
    ("min_memory_per_slot", "runtime memory limit ÷ slots below this warns"),
    ("cpu_overcommit_percent", "CPU limits may add up to this share of the host's CPUs"),
    ("memory_overcommit_percent", "memory limits may add up to this share of the host's memory"),
    ("shared_buffers_warning_percent", "shared_buffers past this share of Postgres's memory warns"),
    ("memory_per_connection", "memory one busy Postgres backend uses"),
    ("saturation_warning_percent", "--prometheus: all slots busy longer than this share warns"),
    ("streaming_memory_error_percent", "share of the peak some runtime holds more streaming runs than fit: error"),
    ("streaming_memory_warning_percent", "... and warning"),
    ("cockroachdb", "the chart's internal database (database.type: internal): CockroachDB, not PostgreSQL"),
    ("cockroachdb.cache", "--cache: a share of the pod's memory (25%, .25) or a size (512MiB)"),
    ("cockroachdb.max_sql_memory", "--max-sql-memory: a share of the pod's memory or a size"),
    ("cockroachdb.single_node", "start-single-node: every pod a database of its own (the chart's)"),
    ("http_routing", "how the API's HTTP runs reach the runtimes: dns (one may take all) | balanced"),
    ("base_memory", "a runtime's memory with nothing running (docker stats at idle)"),
    ("redis", "Redis's own settings (its limits are other_services.redis's)"),
    ("maxmemory", "Redis's --maxmemory; leave out for none (no bound)"),
    ("maxmemory_policy", "noeviction (refuses writes when full) | allkeys-* | volatile-*"),
    ("appendonly", "--appendonly yes: an AOF rewrite may need the dataset again"),
    ("state_per_run", "what one run leaves in Redis for 24 h (state and events)"),
    ("workload", "peak load by path, for the waits, the memory risk and `flowcap solve`"),
    ("queued", "queued runs (/invoke/async, bots, async sink triggers): bounded by the slots"),
    ("streaming", "HTTP runs (/invoke, HTTP sink triggers): admitted at once, no limit"),
    ("arrivals_per_minute", "executions started per minute at peak"),
    ("mean_duration", "mean execution time: 500ms, 30s, 2m"),
    ("p95_duration", "the durations' 95th percentile (read as a lognormal)"),
    ("duration_cv", "the durations' standard deviation ÷ mean (1: exponential)"),
    ("memory_per_execution", "memory one running execution adds to its runtime"),
    ("cpu_per_execution", "CPU one running execution keeps busy"),
    ("target", "the wait to size for; give one or both"),
    ("p95_wait", "95 % of executions wait at most this long for a slot"),
    ("wait_probability_percent", "at most this share of executions waits at all"),
];

/// The column comments start at, where the line leaves room.
const COMMENT_COLUMN: usize = 36;

/// The comment for a dotted path: the path, then its last two components, then its last.
pub fn comment_for(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('.').collect();
    let tail = |n: usize| parts[parts.len().saturating_sub(n)..].join(".");
    [path.to_string(), tail(2), tail(1)]
        .iter()
        .find_map(|key| COMMENTS.iter().find(|(k, _)| k == key).map(|(_, comment)| *comment))
}

/// `yaml` (block style, as serde writes a plan) with a comment after every key.
pub fn annotate(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() * 2);
    // The keys enclosing the current line, with their indentation.
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in yaml.lines() {
        let content = line.trim_start();
        let mut indent = line.len() - content.len();
        let mut key_text = content;
        if let Some(item) = key_text.strip_prefix("- ") {
            indent += 2;
            key_text = item;
        }
        let key = key_text.split_once(':').map(|(key, _)| key).filter(|k| !k.is_empty() && !k.starts_with('#'));
        let Some(key) = key else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        while stack.last().is_some_and(|(level, _)| *level >= indent) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, path)| path.clone());
        let path = parent.as_ref().map_or(key.to_string(), |parent| format!("{parent}.{key}"));
        stack.push((indent, path.clone()));
        out.push_str(line);
        // The names under other_services are the operator's: say what they are.
        let comment = match parent.as_deref() {
            Some("other_services") => Some("a service of the stack (its compose name, or the chart's component)"),
            _ => comment_for(&path),
        };
        if let Some(comment) = comment {
            let width = line.chars().count();
            out.push_str(&" ".repeat(COMMENT_COLUMN.saturating_sub(width).max(1)));
            out.push_str("# ");
            out.push_str(comment);
        }
        out.push('\n');
    }
    out
}
