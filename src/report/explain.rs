//! `flowcap explain`: each default a plan may rely on, its value in the plan, whether the plan
//! set it, and where its figure comes from.

use crate::analysis::explain::{DEFAULTS, Explained, KUBERNETES_DEFAULTS};
use crate::model::plan::Plan;

/// The explanation for `plan`: each default, its value there, and whether the plan set it.
pub fn render(plan: &Plan) -> String {
    let defaults = Plan::default();
    let mut entries: Vec<&Explained> = DEFAULTS.iter().collect();
    if plan.platform == crate::model::cluster::Platform::Kubernetes {
        entries.extend(KUBERNETES_DEFAULTS);
    }
    let width = entries.iter().map(|d| d.path.len()).max().unwrap_or(0);
    let mut out = String::new();
    for entry in entries {
        let value = (entry.read)(plan);
        let default = (entry.read)(&defaults);
        let state = if value == default { "default".to_string() } else { format!("set (default {default})") };
        out.push_str(&format!("{:<width$}  {value:<8} {state}\n{:<width$}  {}\n", entry.path, "", entry.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_explained_by_its_path() {
        let text = render(&Plan::default());
        assert!(text.contains("api.db_pool"));
        assert!(!text.contains("set (default"), "{text}");
        assert_eq!(text.lines().count(), DEFAULTS.len() * 2);
        let mut plan = Plan::default();
        plan.postgres.max_connections = 200;
        let text = render(&plan);
        let line = text.lines().find(|l| l.starts_with("postgres.max_connections ")).unwrap();
        assert!(line.ends_with("200      set (default 100)"), "{line}");
    }
}

#[cfg(test)]
mod kubernetes_tests {
    use super::*;

    #[test]
    fn a_kubernetes_plan_lists_the_charts_defaults_and_which_it_set() {
        let plan = crate::model::presets::load_preset("kubernetes-large").unwrap().plan;
        let text = render(&plan);
        let line = |path: &str| text.lines().find(|l| l.starts_with(path)).unwrap_or_default().to_string();
        assert!(line("*.autoscaling.target_cpu_percent").ends_with("70       default"), "{text}");
        assert!(line("cluster.node_pools.*.allocatable").ends_with("formula  default"), "{text}");
        assert!(line("cluster.daemonset ").ends_with("set (default 0/0)"), "{text}");
        assert!(line("cluster.provider").ends_with("gke      default"), "{text}");
        assert!(line("cluster.node_pools.*.max_pods").contains("110"), "{text}");
        assert!(!render(&Plan::default()).contains("cluster.daemonset"));
    }
}
