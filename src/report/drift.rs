//! `flowcap diff`: each value the deployment sets differently from the plan, `path: before →
//! after`.

use crate::analysis::drift::Difference;

/// The changes as `path: before → after` lines.
pub fn render(changes: &[Difference]) -> String {
    if changes.is_empty() {
        return "no differences: the deployment matches the plan\n".to_string();
    }
    let width = changes.iter().map(|c| c.path.len()).max().unwrap_or(0);
    changes.iter().map(|c| format!("{:<width$}  {} → {}\n", c.path, c.deployed, c.planned)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_difference_on_a_line_in_columns() {
        let change = |path: &str, deployed: &str, planned: &str| Difference {
            path: path.into(),
            deployed: deployed.into(),
            planned: planned.into(),
        };
        assert_eq!(render(&[]), "no differences: the deployment matches the plan\n");
        let text = render(&[change("runtime.replicas", "1", "4"), change("postgres.limits.memory", "none", "8 GiB")]);
        assert_eq!(text, "runtime.replicas        1 → 4\npostgres.limits.memory  none → 8 GiB\n");
    }
}
