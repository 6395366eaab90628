//! The workload: peak load by the path an execution takes in Flow-Like's code, in the plan
//! file's two forms (by path; the one-path form of earlier plans).

use crate::model::units::{Bytes, Cpus, Seconds};
use serde::{Deserialize, Serialize};

/// Peak load, by the path an execution takes in Flow-Like's code (FLOWLIKE.md): queued runs
/// wait for one of runtimes × `MAX_CONCURRENT_EXECUTIONS` slots; streaming (HTTP) runs are
/// admitted at once, however many.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(try_from = "WorkloadFile")]
pub struct Workload {
    /// `/invoke/async`, Telegram and Discord triggers, service triggers on `/sink/trigger/async`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<PathLoad>,
    /// `/invoke` and HTTP sink triggers: the runtime's `/execute/sse`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streaming: Option<PathLoad>,
    /// The queued runs' wait for a slot (streaming runs do not wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// How the plan file wrote it: errors name the keys it has, and a one-path form with
    /// `dispatch: round-robin` is said in the report.
    #[serde(skip)]
    pub written_as: WrittenAs,
}

/// The same workload whichever form the file wrote it in.
impl PartialEq for Workload {
    fn eq(&self, other: &Workload) -> bool {
        (self.queued, self.streaming, self.target) == (other.queued, other.streaming, other.target)
    }
}

/// The form a plan file gave `workload:` in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WrittenAs {
    /// `queued:` and `streaming:`.
    #[default]
    ByPath,
    /// The one-path form of earlier plans, which means queued runs.
    OnePath,
    /// The one-path form with `dispatch: round-robin`: the HTTP path, which the old M/M/k
    /// model gave a limit the code does not have.
    RoundRobin,
}

impl Workload {
    /// The plan key of a path's field as the file wrote it: `workload.queued.mean_duration`,
    /// or `workload.mean_duration` in the one-path form.
    pub fn key(&self, path: &str, field: &str) -> String {
        match self.written_as {
            WrittenAs::ByPath => format!("workload.{path}.{field}"),
            WrittenAs::OnePath | WrittenAs::RoundRobin => format!("workload.{field}"),
        }
    }
}

/// The load on one path at the peak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathLoad {
    pub arrivals_per_minute: f64,
    /// Mean execution time.
    pub mean_duration: Seconds,
    /// The spread of execution times, as the 95th percentile (read as a lognormal) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_duration: Option<Seconds>,
    /// ... or as the coefficient of variation (standard deviation ÷ mean). Neither: 1, the
    /// exponential of M/M/c.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_cv: Option<f64>,
    /// Memory one running execution adds to its runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_per_execution: Option<Bytes>,
    /// CPU one running execution keeps busy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_per_execution: Option<Cpus>,
}

impl PathLoad {
    pub fn new(arrivals_per_minute: f64, mean_duration: Seconds) -> PathLoad {
        PathLoad { arrivals_per_minute, mean_duration, ..PathLoad::default() }
    }

    /// Offered load, Erlangs: arrivals per minute × duration ÷ 60, multiplied first so that
    /// whole numbers stay whole (1998/min × 30 s is 999, not 998.9999999999999).
    pub fn offered_load(&self) -> f64 {
        self.arrivals_per_minute * self.mean_duration.0 / 60.0
    }

    /// The squared coefficient of variation of the durations: from `duration_cv`, or from
    /// `p95_duration` read as a lognormal (cv² = e^(σ²) − 1), or 1 (exponential).
    pub fn duration_cv2(&self) -> f64 {
        if let Some(cv) = self.duration_cv {
            return cv * cv;
        }
        match self.p95_duration.and_then(|p95| lognormal_sigma(self.mean_duration.0, p95.0)) {
            Some(sigma) => (sigma * sigma).exp_m1(),
            None => 1.0,
        }
    }
}

/// The standard normal's 95th percentile.
const Z95: f64 = 1.644_853_626_951_472_2;

/// The largest p95 ÷ mean a lognormal has: e^(z²/2) ≈ 3.87. A spread past it is heavier than
/// lognormal; the plan then gives `duration_cv`.
pub fn max_p95_ratio() -> f64 {
    (Z95 * Z95 / 2.0).exp()
}

/// σ of the lognormal with mean `mean` and 95th percentile `p95`: ln(p95 / mean) = zσ − σ²/2,
/// the smaller root (the larger one puts the mean above the p95). `None` outside
/// mean ≤ p95 ≤ 3.87 × mean.
pub fn lognormal_sigma(mean: f64, p95: f64) -> Option<f64> {
    let ratio = (p95 / mean).ln();
    let discriminant = Z95 * Z95 - 2.0 * ratio;
    (ratio >= 0.0 && discriminant >= 0.0).then(|| Z95 - discriminant.sqrt())
}

impl Workload {
    /// A workload of queued runs only.
    pub fn queued(arrivals_per_minute: f64, mean_duration: Seconds) -> Workload {
        Workload { queued: Some(PathLoad::new(arrivals_per_minute, mean_duration)), ..Workload::default() }
    }
}

/// `workload:` as a plan file writes it: by path, or in the one-path form of earlier plans
/// (`arrivals_per_minute`, `mean_duration`, `dispatch`), which means queued runs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadFile {
    #[serde(default)]
    queued: Option<PathLoad>,
    #[serde(default)]
    streaming: Option<PathLoad>,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    arrivals_per_minute: Option<f64>,
    #[serde(default)]
    mean_duration: Option<Seconds>,
    #[serde(default)]
    dispatch: Option<Dispatch>,
}

impl TryFrom<WorkloadFile> for Workload {
    type Error = String;

    fn try_from(file: WorkloadFile) -> Result<Workload, String> {
        let by_path = file.queued.is_some() || file.streaming.is_some();
        let one_path = file.arrivals_per_minute.is_some() || file.mean_duration.is_some() || file.dispatch.is_some();
        match (by_path, one_path) {
            (true, true) => Err(
                "give `queued:` and `streaming:`, or the one-path form (arrivals_per_minute, mean_duration), not both"
                    .into(),
            ),
            (false, false) => {
                Err("give `queued:`, `streaming:` or both, each with arrivals_per_minute and mean_duration".into())
            }
            (true, false) => Ok(Workload {
                queued: file.queued,
                streaming: file.streaming,
                target: file.target,
                written_as: WrittenAs::ByPath,
            }),
            (false, true) => {
                let Some(arrivals_per_minute) = file.arrivals_per_minute else {
                    return Err("missing field `arrivals_per_minute`".into());
                };
                let Some(mean_duration) = file.mean_duration else {
                    return Err("missing field `mean_duration`".into());
                };
                let path = Some(PathLoad::new(arrivals_per_minute, mean_duration));
                Ok(match file.dispatch.unwrap_or_default() {
                    Dispatch::Queue => {
                        Workload { queued: path, streaming: None, target: file.target, written_as: WrittenAs::OnePath }
                    }
                    Dispatch::RoundRobin => Workload {
                        queued: None,
                        streaming: path,
                        target: file.target,
                        written_as: WrittenAs::RoundRobin,
                    },
                })
            }
        }
    }
}

/// How executions reach runtime slots, in the one-path form of earlier plans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Dispatch {
    /// The Redis queue: the queued path.
    #[default]
    Queue,
    /// HTTP to `EXECUTOR_URL`: the streaming path.
    RoundRobin,
}

/// What the operator needs; a plan meets it when every given bound holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Target {
    /// The 95th percentile of the wait for a slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_wait: Option<Seconds>,
    /// The share of executions that wait at all, in per cent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_probability_percent: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One workload whichever form the file wrote it in; another path or target is another.
    #[test]
    fn a_workload_is_its_paths_and_target_in_either_form() {
        let by_path = Workload { queued: Some(PathLoad::new(10.0, Seconds(30.0))), ..Workload::default() };
        let one_path = Workload { written_as: WrittenAs::OnePath, ..by_path.clone() };
        assert_eq!(by_path, one_path);
        assert_ne!(by_path, Workload { queued: Some(PathLoad::new(11.0, Seconds(30.0))), ..by_path.clone() });
        assert_ne!(by_path, Workload { streaming: by_path.queued, ..by_path.clone() });
        assert_eq!(by_path.key("queued", "mean_duration"), "workload.queued.mean_duration");
        assert_eq!(one_path.key("queued", "mean_duration"), "workload.mean_duration");
        let round_robin = Workload { written_as: WrittenAs::RoundRobin, ..by_path };
        assert_eq!(round_robin.key("streaming", "arrivals_per_minute"), "workload.arrivals_per_minute");
    }

    /// Any one of the one-path form's keys makes it that form, and it then needs both numbers.
    #[test]
    fn the_one_path_form_is_known_by_any_of_its_keys() {
        let error = |text: &str| crate::io::yaml::from_str::<Workload>("w.yaml", text).unwrap_err().to_string();
        for text in ["mean_duration: 30s", "dispatch: queue", "dispatch: round-robin"] {
            assert!(error(text).contains(": missing field `arrivals_per_minute`"), "{text}: {}", error(text));
        }
        assert!(error("arrivals_per_minute: 5").contains(": missing field `mean_duration`"));
        assert!(error("{}").contains(": give `queued:`, `streaming:` or both"));
        assert!(
            error("{ arrivals_per_minute: 5, streaming: { arrivals_per_minute: 1, mean_duration: 2s } }")
                .contains(": give `queued:` and `streaming:`, or the one-path form")
        );
    }

    /// e^(z²/2) at z = Φ⁻¹(0.95), by mpmath at 30 digits: 3.868132092353787.
    #[test]
    fn a_lognormals_p95_is_at_most_3_87_times_its_mean() {
        assert!((max_p95_ratio() - 3.868_132_092_353_787).abs() < 1e-14, "{}", max_p95_ratio());
        let sigma = lognormal_sigma(1.0, max_p95_ratio()).unwrap();
        assert!((sigma - Z95).abs() < 1e-6, "{sigma}");
        assert_eq!((lognormal_sigma(1.0, 1.0), lognormal_sigma(1.0, 0.99)), (Some(0.0), None));
        assert_eq!(lognormal_sigma(1.0, max_p95_ratio() * 1.000_001), None);
    }
}
