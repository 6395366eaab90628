//! Managed databases: the provider's default max_connections and reserved connections, checked
//! against each provider's own documented figures; the plan's own always win.

use crate::common::{flowcap, tempdir};
use predicates::prelude::predicate;
use std::path::Path;

fn check(dir: &Path, plan: &str) -> serde_json::Value {
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap().current_dir(dir).args(["--check", "plan.yaml", "--format", "json"]).output().unwrap();
    assert!(output.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// max_connections and the connections ordinary roles may use, as the report counts them.
fn budget(dir: &Path, plan: &str) -> (u64, u64) {
    let report = check(dir, plan);
    let c = &report["figures"]["connections"];
    (c["max_connections"].as_u64().unwrap(), c["usable"].as_u64().unwrap())
}

fn said(report: &serde_json::Value, rule: &str) -> Vec<String> {
    let findings = report["findings"].as_array().unwrap().iter();
    findings.filter(|f| f["rule"] == rule).map(|f| f["message"].as_str().unwrap().to_string()).collect()
}

fn managed(provider: &str, instance: &str) -> String {
    format!("postgres:\n  external: true\n  managed: {{ provider: {provider}, {instance} }}\n")
}

#[test]
fn each_providers_documented_figures() {
    let dir = tempdir("managed-figures");
    // Azure flexible server's table (concepts-limits): max connections, and max user
    // connections 15 fewer.
    assert_eq!(budget(&dir, &managed("azure", "instance_class: B2s")), (429, 414));
    assert_eq!(budget(&dir, &managed("azure", "instance_class: Standard_D4s_v3")), (1718, 1703));
    assert_eq!(budget(&dir, &managed("azure", "instance_class: E8s_v3")), (5000, 4985));
    // Aurora's own table: db.t3.medium 420 (not the formula's 450 on 4 GiB), db.r6g.large 1722;
    // 3 for AWS's automation.
    assert_eq!(budget(&dir, &managed("aurora", "instance_class: db.t3.medium")), (420, 417));
    assert_eq!(budget(&dir, &managed("aurora", "instance_class: db.r6g.large")), (1722, 1719));
    // RDS: AWS's example, 100 − 3 superuser − 2 rds_superuser = 95 for ordinary roles.
    let rds = "postgres:\n  external: true\n  max_connections: 100\n  managed: { provider: rds }\n";
    assert_eq!(budget(&dir, rds), (100, 95));
    // The master user is a member of rds_superuser, not a superuser: it may take those 2, not
    // the 3 kept for AWS's own.
    assert_eq!(budget(&dir, &format!("{rds}  clients_are_superuser: true\n")), (100, 97));
    std::fs::write(dir.join("master.yaml"), format!("{rds}  clients_are_superuser: true\n")).unwrap();
    flowcap().current_dir(&dir).args(["--check", "master.yaml"]).assert().stdout(predicate::str::contains(
        "max_connections 100 − reserved 3 (the provider's own: the clients' admin user is no superuser) = 97",
    ));
    // A database of the stack's own, connected to as POSTGRES_USER: a superuser, nothing held back.
    assert_eq!(budget(&dir, "postgres:\n  max_connections: 100\n  clients_are_superuser: true\n"), (100, 100));
    // Cloud SQL: db-f1-micro 25.
    assert_eq!(budget(&dir, &managed("cloudsql", "instance_class: db-f1-micro")).0, 25);
}

#[test]
fn the_formula_on_listed_memory_is_an_upper_bound_and_says_so() {
    let dir = tempdir("managed-formula");
    // 16 GiB / 9531392 = 1802.5; the 5000 cap from 44.4 GiB.
    let report = check(&dir, &managed("rds", "memory: 16G"));
    assert_eq!(report["figures"]["connections"]["max_connections"], 1802);
    let note = said(&report, "managed-max-connections");
    assert_eq!(note.len(), 1, "{report}");
    assert!(note[0].contains("at most 1802 on 16 GiB"), "{}", note[0]);
    assert_eq!(budget(&dir, &managed("aurora", "memory: 64G")).0, 5000);
    // A class AWS publishes a figure for: nothing to say.
    assert!(
        said(&check(&dir, &managed("aurora", "instance_class: db.r5.large")), "managed-max-connections").is_empty()
    );
    // The instance not named: the budget counts the plan's figure, and the finding says why.
    let unnamed = check(&dir, "postgres:\n  external: true\n  managed: { provider: azure }\n");
    assert!(said(&unnamed, "managed-max-connections")[0].contains("the budget counts 100"), "{unnamed}");
    // Unless the plan gives max_connections: the operator's figure (SHOW max_connections), even
    // PostgreSQL's 100, stands; a plan written from it keeps it.
    let given = "postgres:\n  external: true\n  max_connections: 100\n  managed: { provider: azure }\n";
    assert!(said(&check(&dir, given), "managed-max-connections").is_empty());
    let plan = flowcap::model::load::parse_plan("p.yaml", given).unwrap().plan;
    assert!(plan.to_file_text("t").unwrap().contains("  max_connections: 100"));
}

/// A plan flowcap wrote for a database of the stack's own leaves PostgreSQL's reserved slots
/// unsaid: naming a managed database in it later gets the provider's (RDS: 95 of 100 for an
/// ordinary role, not 97).
#[test]
fn a_written_plan_that_later_names_a_managed_database_gets_its_reserved_slots() {
    let dir = tempdir("managed-later");
    flowcap().current_dir(&dir).args(["init", "--preset", "kubernetes-large", "-o", "plan.yaml"]).assert().success();
    let text = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    assert!(!text.contains("reserved_connections"), "{text}");
    let text = text.replacen("  external: true", "  managed: { provider: rds }\n  external: true", 1);
    let report = check(&dir, &text);
    let c = &report["figures"]["connections"];
    assert_eq!((c["max_connections"].as_u64(), c["usable"].as_u64()), (Some(200), Some(195)), "{c}");
}

/// A managed database's admin user is what people administer it with: Flow-Like connecting as
/// it leaves them no slot once its pools fill the usable ones (RDS: it may take the 2
/// rds_superuser slots too; Aurora holds nothing back from it).
#[test]
fn clients_on_a_managed_admin_user_leave_people_no_slot() {
    let dir = tempdir("managed-admin");
    let rds = "postgres:\n  external: true\n  max_connections: 100\n  clients_are_superuser: true\n  managed: { provider: rds }\n";
    assert_eq!(
        said(&check(&dir, rds), "connections-as-superuser"),
        ["Flow-Like connects as Amazon RDS's admin user, which people administer it with: it may take the 2 slots \
          kept for that user's role too, so when its pools fill the 97 usable an admin cannot connect"]
    );
    let aurora = rds
        .replace("provider: rds", "provider: aurora, instance_class: db.t3.medium")
        .replace("  max_connections: 100\n", "");
    assert_eq!(
        said(&check(&dir, &aurora), "connections-as-superuser"),
        ["Flow-Like connects as Amazon Aurora's admin user, which people administer it with: nothing is held back \
          from it, so when its pools fill the 417 usable an admin cannot connect"]
    );
    // An external database flowcap knows nothing of: nothing to say of its users.
    assert!(
        said(&check(&dir, "postgres:\n  external: true\n  clients_are_superuser: true\n"), "connections-as-superuser")
            .is_empty()
    );
}

#[test]
fn the_plans_own_figures_win_in_any_yaml_style() {
    let dir = tempdir("managed-own");
    let block = "postgres:\n  external: true\n  max_connections: 300\n  managed:\n    provider: aurora\n    \
                 instance_class: db.r5.large\n";
    assert_eq!(budget(&dir, block), (300, 297));
    let flow = "postgres: { external: true, max_connections: 300, superuser_reserved_connections: 1, managed: { provider: azure, instance_class: B2s } }\n";
    assert_eq!(budget(&dir, flow), (300, 299));
    // An SKU flowcap has no figure for is fine when the plan gives max_connections.
    let unknown =
        "postgres:\n  external: true\n  max_connections: 200\n  managed: { provider: azure, instance_class: D3s_v3 }\n";
    assert_eq!(budget(&dir, unknown), (200, 185));
}

#[test]
fn what_has_no_figure_is_bad_input_where_it_stands() {
    let dir = tempdir("managed-bad");
    let refused = |plan: &str, says: &str| {
        std::fs::write(dir.join("plan.yaml"), plan).unwrap();
        flowcap()
            .current_dir(&dir)
            .args(["--check", "plan.yaml"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    };
    refused(
        "postgres:\n  external: true\n  managed:\n    provider: azure\n    instance_class: D3s_v3\n",
        "plan.yaml:5:5: postgres.managed: Azure: no default max_connections known for the SKU D3s_v3",
    );
    refused(
        "postgres:\n  external: true\n  managed:\n    provider: cloudsql\n    instance_class: db-custom-2-7680\n",
        "give postgres.max_connections (SHOW max_connections)",
    );
    refused(
        "postgres:\n  external: true\n  managed:\n    provider: rds\n    instance_class: db.m5.large\n",
        "give its memory (postgres.managed.memory) or postgres.max_connections",
    );
    refused(
        "postgres:\n  managed: { provider: rds }\n",
        "plan.yaml:2:3: postgres.managed: Amazon RDS runs outside the stack",
    );
}

#[test]
fn the_deployments_database_url_names_the_provider_and_never_shows() {
    let dir = tempdir("managed-url");
    let secret = "hunter2-managed-secret";
    let compose = "services:\n  runtime: { image: ghcr.io/tm9657/flow-like-runtime:0.9 }\n  api:\n    image: \
                   ghcr.io/tm9657/flow-like-api:0.9\n    environment:\n      DATABASE_URL: \
                   postgresql://flowlike:${PGPASS}@flow.cluster-c1x2y3.eu-west-1.rds.amazonaws.com:5432/flow\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join(".env"), format!("PGPASS={secret}\n")).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "-f", "compose.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Amazon Aurora derives max_connections from the instance"), "{text}");
    flowcap().current_dir(&dir).args(["init", "-f", "compose.yaml", "-o", "plan.yaml"]).assert().success();
    let plan = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    assert!(plan.contains("provider: aurora"), "{plan}");
    for written in [text.to_string(), plan, String::from_utf8_lossy(&output.stderr).to_string()] {
        assert!(!written.contains(secret) && !written.contains("c1x2y3"), "{written}");
    }
}

#[test]
fn init_leaves_the_providers_figures_to_the_provider() {
    // The plan init writes for an Azure database: naming the SKU afterwards moves the budget.
    let dir = tempdir("managed-init");
    let compose = "services:\n  runtime: { image: ghcr.io/tm9657/flow-like-runtime:0.9 }\n  api:\n    image: \
                   ghcr.io/tm9657/flow-like-api:0.9\n    environment:\n      DATABASE_URL: \
                   postgresql://flow:${PGPASS}@flow.postgres.database.azure.com:5432/flow\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join(".env"), "PGPASS=not-a-real-password\n").unwrap();
    flowcap().current_dir(&dir).args(["init", "-f", "compose.yaml", "-o", "plan.yaml"]).assert().success();
    let plan = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    assert!(!plan.contains("max_connections:") && !plan.contains("reserved_connections:"), "{plan}");
    // Azure keeps 15 whatever the SKU; PostgreSQL's 100 until the SKU is named.
    assert_eq!(budget(&dir, &plan), (100, 85));
    let named = plan.replace("provider: azure", "provider: azure\n    instance_class: B1ms");
    assert_eq!(budget(&dir, &named), (50, 35));
    // A managed database's memory is its provider's: the report shows none of the plan's.
    std::fs::write(dir.join("plan.yaml"), &named).unwrap();
    let human = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(human.contains("max_connections 50 − reserved 15 = 35") && !human.contains("Postgres memory"), "{human}");
}
