//! Flow-Like's Helm chart values read into a plan: merged as Helm merges them, checked as Helm
//! and the API server check them ([`super::export`] writes them from a plan). Every key comes
//! from one table, [`crate::model::chart::WORKLOADS`], the one place that says where a plan's
//! workload lives in the chart.

use super::schema::{self, Problem};
use crate::io::error::InputError;
use crate::io::yaml::{self, Value};
use crate::io::yaml_lines::KeyLines;
use crate::model::chart::{CHART_DEFAULTS, Switch, WORKLOADS};
use crate::model::cluster::{Autoscaling, Constraints, Jobs, NodeSelectorTerm, Platform};
use crate::model::cockroach::{self, CockroachDb, MemoryFlag};
use crate::model::load::Place;
use crate::model::plan::{OtherService, Plan};
use crate::model::redis::{self, Redis};
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus};
use std::collections::BTreeMap;

/// The chart's defaults, parsed once per process.
pub(super) fn chart_defaults() -> Value {
    static PARSED: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    // A constant that parses (a test says so): the fallback is never taken.
    PARSED.get_or_init(|| yaml::builtin(CHART_DEFAULTS).unwrap_or(Value::Null)).clone()
}

/// The value at a dotted path.
pub(super) fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |node, key| node.as_mapping()?.get(key)).filter(|v| !v.is_null())
}

/// `over` merged onto `base` as `helm -f` merges values files: mappings key by key, anything
/// else replaced, and a `null` removes the key.
fn coalesce(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            for (key, value) in over {
                if value.is_null() {
                    base.remove(&key);
                } else if let Some(existing) = base.get_mut(&key) {
                    coalesce(existing, value);
                } else {
                    base.insert(key, value);
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// The values files merged over the chart's defaults in order, as `helm -f` merges them.
pub fn merged(files: &[ValuesFile]) -> Result<Value, InputError> {
    let mut merged = chart_defaults();
    for file in files {
        // Helm merges the documents of one file (`---` between them) in order, as files.
        for mut value in yaml::parse_documents(&file.name, &file.text)? {
            // `<<: *base` merge keys, which Helm applies.
            value.apply_merge().map_err(|e| InputError::invalid(&file.name, None, format!("a YAML merge key: {e}")))?;
            // An empty or comment-only file, `---` or `~`, holds no values: Helm changes
            // nothing for it (merged as a null it would remove every default and every
            // earlier file).
            if value.is_null() {
                continue;
            }
            if !value.is_mapping() {
                return Err(InputError::invalid(&file.name, Some((1, 1)), "Helm values are a mapping of keys"));
            }
            coalesce(&mut merged, value);
        }
    }
    Ok(merged)
}

/// One values file as the operator gave it.
pub struct ValuesFile {
    pub name: String,
    pub text: String,
}

/// A key of the values that no template of the chart reads: Helm ignores it without a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    pub path: String,
    /// The last file that spells it out, and where.
    pub place: Option<Place>,
    /// The known key under the same parent spelt most like it.
    pub nearest: Option<&'static str>,
}

/// The deployment the values files describe.
#[derive(Clone, Debug)]
pub struct Imported {
    pub plan: Plan,
    /// Every plan key at the values key it came from, in the last file that set it.
    pub places: BTreeMap<String, Place>,
    pub unknown_keys: Vec<UnknownKey>,
}

/// The deployment the values files describe, merged over the chart's defaults in order (later
/// files win, as with `helm -f`), read as a Kubernetes plan without a cluster: the values do
/// not say the nodes. What Helm could not render, or the API server would refuse, is an
/// error at its place.
pub fn import(files: &[ValuesFile]) -> Result<Imported, InputError> {
    let merged = merged(files)?;
    let lines: Vec<(&str, KeyLines)> = files.iter().map(|f| (f.name.as_str(), KeyLines::scan(&f.text))).collect();
    let mut reader = Reader { merged: &merged, lines: &lines, places: BTreeMap::new() };
    let mut unknown_keys = Vec::new();
    for problem in schema::check(&merged) {
        match problem {
            Problem::Shape { path, expected } => {
                return Err(reader
                    .error(&path, format!("must be {}: the chart's templates read it as one", expected.describe())));
            }
            Problem::Unknown { path, nearest } => {
                unknown_keys.push(UnknownKey { place: reader.find(&path), path, nearest })
            }
        }
    }
    // In the order the operator wrote them: file by file, line by line.
    unknown_keys.sort_by_key(|key| {
        key.place.as_ref().map(|(file, position)| (files.iter().position(|f| &f.name == file), *position))
    });
    let mut plan = Plan { platform: Platform::Kubernetes, ..Plan::default() };
    // The chart gives every API pod the keys of one Secret, and has no postgres-exporter.
    plan.api.shared_jwt_keys = Some(true);
    plan.monitoring = false;
    // The chart runs no PostgreSQL: the API reaches an external one, or the internal CockroachDB.
    plan.postgres.external = true;
    for workload in &WORKLOADS {
        let text = |path: &str| get(&merged, path).and_then(Value::as_str);
        let on = match workload.switch {
            Switch::Flags(flags) => {
                let mut all = true;
                for flag in flags {
                    all &= reader.flag(flag)?;
                }
                all
            }
            Switch::InternalDatabase => text("database.type") == Some("internal"),
            Switch::JobBackend => {
                [text("execution.backend"), text("execution.asyncBackend")].contains(&Some("kubernetes_job"))
            }
        };
        if !on {
            // Where the operator switched it off, for drift to point at.
            let off_at = match workload.switch {
                Switch::Flags(flags) => flags.iter().copied().find(|f| !matches!(reader.flag(f), Ok(true))),
                Switch::InternalDatabase => Some("database.type"),
                Switch::JobBackend => Some("execution.backend"),
            };
            if let Some(key) = off_at {
                reader.place(&workload.plan.to_string(), key);
            }
            // The chart renders nothing of it: no pods, no connections, nothing to place.
            match workload.plan {
                ServiceKey::Runtime => (plan.runtime.replicas, plan.runtime.autoscaling) = (0, None),
                ServiceKey::Api => (plan.api.replicas, plan.api.autoscaling) = (0, None),
                _ => {}
            }
            continue;
        }
        let at = |key: &str| format!("{}.{key}", workload.values);
        let mut requests = Resources::default();
        let mut limits = Resources::default();
        for (block, into) in [("requests", &mut requests), ("limits", &mut limits)] {
            into.cpus = reader.quantity(&at(&format!("resources.{block}.cpu")), Cpus::parse)?.filter(|c| c.0 > 0);
            into.memory = reader
                .quantity(&at(&format!("resources.{block}.memory")), Bytes::parse_kubernetes)?
                .filter(|m| m.0 > 0);
            let plan_block = if block == "requests" { "reservations" } else { "limits" };
            reader.place(&format!("{}.{plan_block}", workload.plan), &at(&format!("resources.{block}")));
        }
        if let Some(constraints) = reader.constraints(workload.values)? {
            reader.place(&format!("pod_placement.{}", workload.plan), workload.values);
            plan.pod_placement.insert(workload.plan.to_string(), constraints);
        }
        reader.limit_not_below_request(&at("resources"), "cpu", requests.cpus, Cpus::parse)?;
        reader.limit_not_below_request(&at("resources"), "memory", requests.memory, Bytes::parse_kubernetes)?;
        let replicas = match workload.replicas {
            Some(key) => reader.count(&at(key), &format!("{}.replicas", workload.plan))?,
            None => 1,
        };
        // The StatefulSet renders `replicas | default 1`: Helm's `default` takes 0 as unset.
        let replicas = if workload.switch == Switch::InternalDatabase { replicas.max(1) } else { replicas };
        // Its templates read `autoscaling.enabled`: with the mapping removed (a null), helm
        // template fails on a nil pointer.
        if workload.autoscaling && get(reader.merged, &at("autoscaling")).is_none() {
            return Err(reader.error(
                &at("autoscaling"),
                "is removed (null), and the chart's templates read autoscaling.enabled: helm template fails on it; \
                 give `enabled: false` to run without an autoscaler"
                    .into(),
            ));
        }
        let autoscaling = if workload.autoscaling && reader.flag(&at("autoscaling.enabled"))? {
            reader.place(&format!("{}.autoscaling", workload.plan), &at("autoscaling"));
            // The API's and the web's templates render a metric only for a target that is set and
            // not 0; the executor pool's renders both, and the API server refuses one unset or 0.
            // Unset (a null), the template renders `minReplicas:` empty and the API server
            // defaults it to 1.
            reader.place(&format!("{}.autoscaling.min", workload.plan), &at("autoscaling.minReplicas"));
            let min = reader.optional_count(&at("autoscaling.minReplicas"))?.unwrap_or(1);
            let max = reader.count(&at("autoscaling.maxReplicas"), &format!("{}.autoscaling.max", workload.plan))?;
            // As the API server validates an autoscaling/v2 HPA (without the HPAScaleToZero gate).
            if min < 1 {
                return Err(reader.error(
                    &at("autoscaling.minReplicas"),
                    "must be at least 1: the API server refuses an autoscaler's minReplicas of 0".into(),
                ));
            }
            if max < min {
                return Err(reader.error(
                    &at("autoscaling.maxReplicas"),
                    format!("must be at least minReplicas ({min}): the API server refuses a maximum below the minimum"),
                ));
            }
            let target = |key: &str| -> Result<Option<u32>, InputError> {
                let target = reader.optional_count(&at(key))?.filter(|t| *t > 0);
                if target.is_none() && workload.plan == ServiceKey::Runtime {
                    return Err(reader.error(
                        &at(key),
                        "the chart's executor-pool autoscaler renders this metric whether or not it is set, and the \
                         API server refuses a Utilization target that is unset or 0: give a per cent from 1"
                            .into(),
                    ));
                }
                Ok(target)
            };
            let (cpu, memory) =
                (target("autoscaling.targetCPUUtilization")?, target("autoscaling.targetMemoryUtilization")?);
            // An autoscaling/v2 HPA rendered with no metric scales on 80 % CPU, its default.
            let cpu = if cpu.is_none() && memory.is_none() { Some(80) } else { cpu };
            Some(Autoscaling { min, max, target_cpu_percent: cpu, target_memory_percent: memory })
        } else {
            None
        };
        // With an autoscaler the chart sets no replica count: the HPA starts at its minimum.
        // With an autoscaler the chart's API Deployment sets no count: the replica count
        // flowcap writes is where the plan has it now, held within the bounds.
        let replicas = autoscaling.map_or(replicas, |hpa| replicas.clamp(hpa.min, hpa.max.max(hpa.min)));
        match &workload.plan {
            ServiceKey::Api => {
                (plan.api.replicas, plan.api.reservations, plan.api.limits, plan.api.autoscaling) =
                    (replicas, requests, limits, autoscaling)
            }
            ServiceKey::Runtime => {
                (plan.runtime.replicas, plan.runtime.reservations, plan.runtime.limits, plan.runtime.autoscaling) =
                    (replicas, requests, limits, autoscaling);
            }
            ServiceKey::Jobs => {
                let max_concurrent = reader.count(&at("maxConcurrentJobs"), "jobs.max_concurrent")?;
                plan.jobs = Some(Jobs { max_concurrent, limits, reservations: requests });
            }
            ServiceKey::Postgres => {}
            ServiceKey::Other(name) => {
                let service =
                    OtherService { replicas, limits, reservations: requests, autoscaling, ..OtherService::default() };
                if name == cockroach::SERVICE {
                    plan.cockroachdb = Some(CockroachDb {
                        cache: reader.memory_flag(&at("cache"))?,
                        max_sql_memory: reader.memory_flag(&at("maxSqlMemory"))?,
                        // The chart starts every pod with `start-single-node`, whatever else is set.
                        single_node: true,
                    });
                    reader.place("cockroachdb", workload.values);
                    reader.place("cockroachdb.cache", &at("cache"));
                    reader.place("cockroachdb.max_sql_memory", &at("maxSqlMemory"));
                }
                if name == redis::SERVICE {
                    // The chart's redis.yaml runs `redis-server --appendonly yes` and nothing
                    // else: no maxmemory, so Redis's defaults (no bound, noeviction).
                    plan.redis = Some(Redis { appendonly: true, ..Redis::default() });
                    reader.place("redis", "redis");
                }
                plan.other_services.insert(name.to_string(), service);
            }
        }
    }
    Ok(Imported { plan, places: reader.places, unknown_keys })
}

/// Reads typed values from the merged values, placing what it reads in the files.
struct Reader<'a> {
    merged: &'a Value,
    lines: &'a [(&'a str, KeyLines)],
    places: BTreeMap<String, Place>,
}

impl Reader<'_> {
    /// The last file that spells out `values_path`, and where.
    fn find(&self, values_path: &str) -> Option<Place> {
        self.lines
            .iter()
            .rev()
            .find_map(|(file, lines)| lines.locate_exact(values_path).map(|position| (file.to_string(), position)))
    }

    fn place(&mut self, plan_key: &str, values_path: &str) {
        if let Some(place) = self.find(values_path) {
            self.places.insert(plan_key.to_string(), place);
        }
    }

    fn error(&self, values_path: &str, message: String) -> InputError {
        // A key inside a list is placed at the list's key.
        let mut at = values_path;
        while self.find(at).is_none()
            && let Some((parent, _)) = at.rsplit_once('.')
        {
            at = parent;
        }
        match self.find(at) {
            Some((file, position)) => InputError::invalid(file, Some(position), format!("{values_path}: {message}")),
            // From the chart's defaults: no file of the operator's set it.
            None => InputError::invalid(
                self.lines.last().map_or("helm values", |(file, _)| file),
                None,
                format!("{values_path}: {message}"),
            ),
        }
    }

    fn flag(&self, values_path: &str) -> Result<bool, InputError> {
        match get(self.merged, values_path) {
            None => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            // YAML 1.1's words, which Helm's parser still reads as booleans.
            Some(Value::String(word)) if ["yes", "on", "y"].contains(&word.to_lowercase().as_str()) => Ok(true),
            Some(Value::String(word)) if ["no", "off", "n"].contains(&word.to_lowercase().as_str()) => Ok(false),
            // Go templates take any other text as true, "false" included: refused, not guessed.
            Some(_) => Err(self.error(
                values_path,
                "must be true or false, unquoted: the chart's templates take any text as true, \"false\" included"
                    .into(),
            )),
        }
    }

    fn count(&mut self, values_path: &str, plan_key: &str) -> Result<u32, InputError> {
        self.place(plan_key, values_path);
        self.optional_count(values_path)?.ok_or_else(|| self.error(values_path, "must be set".into()))
    }

    /// A whole number as Helm's templates take one: `3`, `3.0` or `"3"`; absent when not set.
    fn optional_count(&self, values_path: &str) -> Result<Option<u32>, InputError> {
        let whole = |n: f64| (n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n)).then_some(n as u32);
        let count = match get(self.merged, values_path) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64().and_then(whole),
            Some(Value::String(text)) => text.trim().parse::<u32>().ok(),
            Some(_) => None,
        };
        // The value is not repeated: values files hold secrets.
        count.map(Some).ok_or_else(|| self.error(values_path, format!("must be a whole number from 0 to {}", u32::MAX)))
    }

    /// Where the chart's template for the component at `values` puts its pods: its
    /// `nodeSelector`, `tolerations` and `affinity`'s required node affinity and required pod
    /// (anti-)affinity, where the chart renders them; `None` when it sets none. Preferences
    /// (preferred…) only score nodes, and are not read.
    fn constraints(&self, values: &str) -> Result<Option<Constraints>, InputError> {
        let rendered = |key: &str| schema::is_chart_key(&format!("{values}.{key}"));
        let mut constraints = Constraints::default();
        let path = format!("{values}.nodeSelector");
        if rendered("nodeSelector")
            && let Some(Value::Mapping(selector)) = get(self.merged, &path)
        {
            for (key, value) in selector {
                match (key.as_str(), value.as_str()) {
                    (Some(key), Some(value)) => {
                        constraints.node_selector.insert(key.to_string(), value.to_string());
                    }
                    _ => return Err(self.error(&path, "maps label names to strings: the API server refuses any other value (quote a number or a boolean)".into())),
                }
            }
        }
        let path = format!("{values}.tolerations");
        if rendered("tolerations")
            && let Some(tolerations) = get(self.merged, &path)
        {
            let items: Vec<Value> = yaml::from_value(tolerations)
                .ok_or_else(|| self.error(&path, "must be a list of tolerations".into()))?;
            for (index, item) in items.iter().enumerate() {
                // Each where it stands; the value is not repeated (values files hold secrets).
                constraints.tolerations.push(yaml::from_value(item).ok_or_else(|| {
                    self.error(&format!("{path}.{index}"), "is not a toleration: key, operator Equal or Exists, value, effect NoSchedule, PreferNoSchedule or NoExecute, tolerationSeconds".into())
                })?);
            }
        }
        // The chart passes the affinity on as written (`toYaml`): a block that is not a mapping
        // renders a pod the API server refuses.
        for block in ["affinity", "affinity.nodeAffinity", "affinity.podAntiAffinity", "affinity.podAffinity"] {
            let path = format!("{values}.{block}");
            if rendered("affinity") && get(self.merged, &path).is_some_and(|v| !v.is_mapping() && !v.is_null()) {
                return Err(self.error(&path, "must be a mapping: the API server refuses the pod otherwise".into()));
            }
        }
        let path =
            format!("{values}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        if rendered("affinity")
            && let Some(terms) = get(self.merged, &path)
        {
            let terms: Vec<Value> = yaml::from_value(terms)
                .ok_or_else(|| self.error(&path, "must be a list of node selector terms".into()))?;
            if terms.is_empty() {
                return Err(self.error(
                    &path,
                    "needs at least one node selector term: the API server refuses an empty list".into(),
                ));
            }
            for term in terms {
                let expressions = term.get("matchExpressions").cloned().unwrap_or(Value::Sequence(Vec::new()));
                let match_expressions = yaml::from_value(&expressions).ok_or_else(|| {
                    self.error(&path, "each term's matchExpressions must be a list of { key, operator In, NotIn, Exists, DoesNotExist, Gt or Lt, values }".into())
                })?;
                constraints.required_node_affinity.push(NodeSelectorTerm { match_expressions });
            }
        }
        for (kind, terms) in [
            ("podAntiAffinity", &mut constraints.required_pod_anti_affinity),
            ("podAffinity", &mut constraints.required_pod_affinity),
        ] {
            let path = format!("{values}.affinity.{kind}.requiredDuringSchedulingIgnoredDuringExecution");
            if !rendered("affinity") {
                continue;
            }
            let Some(given) = get(self.merged, &path) else { continue };
            let given: Vec<Value> = yaml::from_value(given)
                .ok_or_else(|| self.error(&path, "must be a list of pod affinity terms".into()))?;
            for (index, term) in given.iter().enumerate() {
                if term.is_mapping() && term.get("topologyKey").is_none() {
                    return Err(self.error(
                        &format!("{path}.{index}"),
                        "needs a topologyKey: the API server refuses a term without one".into(),
                    ));
                }
                terms.push(yaml::from_value(term).ok_or_else(|| {
                    self.error(&format!("{path}.{index}"), "is not a pod affinity term: labelSelector { matchLabels, matchExpressions }, topologyKey, namespaces, namespaceSelector, matchLabelKeys, mismatchLabelKeys".into())
                })?);
            }
        }
        constraints.check().map_err(|(at, message)| {
            let at = at
                .replacen(
                    "required_node_affinity",
                    "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                    1,
                )
                .replacen(
                    "required_pod_anti_affinity",
                    "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution",
                    1,
                )
                .replacen(
                    "required_pod_affinity",
                    "affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution",
                    1,
                );
            self.error(&format!("{values}.{at}"), message)
        })?;
        Ok((constraints != Constraints::default()).then_some(constraints))
    }

    /// A `cockroach start` memory flag as the chart renders it: `| default "25%"`, so an
    /// unset, empty or 0 value is 25 %.
    fn memory_flag(&self, values_path: &str) -> Result<MemoryFlag, InputError> {
        let text = match get(self.merged, values_path) {
            None => return Ok(MemoryFlag::Share(0.25)),
            Some(Value::String(text)) if text.is_empty() => return Ok(MemoryFlag::Share(0.25)),
            Some(Value::Number(n)) if n.as_f64() == Some(0.0) => return Ok(MemoryFlag::Share(0.25)),
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => String::new(),
        };
        // The value is not repeated: values files hold secrets.
        MemoryFlag::parse(&text).map_err(|_| {
            self.error(values_path, "must be a share of the pod's memory (25%, .25) or a size (512MiB, 1GB)".into())
        })
    }

    /// The API server refuses a container whose limit is below its request, `0` included
    /// (a 0 limit with no request is no limit).
    fn limit_not_below_request<T: PartialOrd>(
        &self,
        resources: &str,
        resource: &str,
        request: Option<T>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<(), InputError> {
        let limit_path = format!("{resources}.limits.{resource}");
        let request_path = format!("{resources}.requests.{resource}");
        // A request no file of the operator's sets is the chart's default: say so, or the
        // operator looks for a request they never wrote.
        let defaults = chart_defaults();
        let whose = match (get(&defaults, &request_path), get(self.merged, &request_path)) {
            (Some(Value::String(default)), Some(merged)) if merged.as_str() == Some(default) => {
                format!(" (the chart's default, {default})")
            }
            _ => String::new(),
        };
        match (request, self.quantity(&limit_path, parse)?) {
            (Some(request), Some(limit)) if limit < request => Err(self.error(
                &limit_path,
                format!(
                    "is below {request_path}{whose}: the API server refuses a pod whose limit is below its request"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A Kubernetes quantity (`250m`, `2`, `512Mi`, `2G`) when set, 0 included.
    fn quantity<T>(&self, values_path: &str, parse: fn(&str) -> Result<T, String>) -> Result<Option<T>, InputError> {
        let quantity = match get(self.merged, values_path) {
            None => return Ok(None),
            Some(Value::String(text)) => parse(text).ok(),
            Some(Value::Number(n)) => parse(&n.to_string()).ok(),
            Some(_) => None,
        };
        // The value is not repeated: values files hold secrets, and a YAML alias can put one here.
        match quantity {
            Some(q) => Ok(Some(q)),
            None => Err(self.error(
                values_path,
                "must be a Kubernetes quantity such as 250m or 2 (CPU), 512Mi or 2G (memory)".into(),
            )),
        }
    }
}
