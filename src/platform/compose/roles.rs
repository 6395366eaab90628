//! Which service plays which part: Flow-Like's API, runtime, Postgres, its exporter and db-init,
//! by Flow-Like's names or as `--service ROLE=NAME` renames them.

use crate::io::error::InputError;
use crate::model::plan::Plan;
use std::collections::BTreeMap;

/// What a service is to Flow-Like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Api,
    Runtime,
    Postgres,
    Exporter,
    DbInit,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Api, Role::Runtime, Role::Postgres, Role::Exporter, Role::DbInit];

    /// The name `--service ROLE=NAME` takes.
    pub fn key(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Runtime => "runtime",
            Role::Postgres => "postgres",
            Role::Exporter => "exporter",
            Role::DbInit => "db-init",
        }
    }

    /// The service's name in Flow-Like's own compose file.
    pub fn default_service(self) -> &'static str {
        match self {
            Role::Exporter => "postgres-exporter",
            other => other.key(),
        }
    }
}

/// Which service plays which role: Flow-Like's names unless `--service` renames them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNames {
    names: BTreeMap<Role, String>,
    /// The roles `--service` named: those must exist and be active.
    named: Vec<Role>,
}

impl Default for ServiceNames {
    fn default() -> Self {
        ServiceNames {
            names: Role::ALL.iter().map(|r| (*r, r.default_service().to_string())).collect(),
            named: Vec::new(),
        }
    }
}

impl ServiceNames {
    /// Reads `--service` values: `ROLE=NAME`, repeated or comma-separated
    /// (`runtime=worker,api=backend`). A role given twice, or one service given two roles, is
    /// an error.
    pub fn parse(values: &[String]) -> Result<ServiceNames, InputError> {
        let mut names = ServiceNames::default();
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        for text in values.iter().flat_map(|v| v.split(',')) {
            let bad = || {
                InputError::invalid(
                    "--service",
                    None,
                    format!("`{}`: expected ROLE=NAME with ROLE one of {}", text.trim(), roles.join(", ")),
                )
            };
            let (role, name) = text.split_once('=').ok_or_else(bad)?;
            let role = Role::ALL.into_iter().find(|r| r.key() == role.trim()).ok_or_else(bad)?;
            let name = name.trim();
            if !crate::model::validate::is_service_name(name) {
                return Err(bad());
            }
            if names.named.contains(&role) {
                return Err(InputError::conflict("--service", format!("role {} is given twice", role.key())));
            }
            names.named.push(role);
            names.names.insert(role, name.to_string());
        }
        for role in &names.named {
            let name = &names.names[role];
            let clash = Role::ALL.into_iter().find(|other| other != role && &names.names[other] == name);
            if let Some(other) = clash {
                return Err(InputError::conflict(
                    "--service",
                    format!("service `{name}` is given two roles, {} and {}", role.key(), other.key()),
                ));
            }
        }
        Ok(names)
    }

    pub fn get(&self, role: Role) -> &str {
        &self.names[&role]
    }

    pub fn role_of(&self, service: &str) -> Option<Role> {
        self.names.iter().find(|(_, name)| *name == service).map(|(role, _)| *role)
    }

    /// Whether `--service` named the role (rather than Flow-Like's name standing for it).
    pub fn named(&self, role: Role) -> bool {
        self.named.contains(&role)
    }

    /// Refuses a plan whose `other_services` repeat the API's, the runtime's or Postgres's
    /// service: the export would write that service twice.
    /// A built-in preset describes Flow-Like's own stack: its `other_services` named like a
    /// service this deployment plays the API, runtime or Postgres with (a preset's `web` is
    /// Flow-Like's frontend; a stack's `web` may be its API) are not this stack's. They are
    /// left out; returns their names.
    pub fn drop_foreign_services(&self, plan: &mut Plan) -> Vec<String> {
        let foreign: Vec<String> = plan
            .other_services
            .keys()
            .filter(|name| self.role_of(name).is_some_and(|r| matches!(r, Role::Api | Role::Runtime | Role::Postgres)))
            .cloned()
            .collect();
        for name in &foreign {
            plan.other_services.remove(name);
        }
        foreign
    }

    pub fn check_plan(&self, plan: &Plan, file: &str) -> Result<(), InputError> {
        for name in plan.other_services.keys() {
            if let Some(role) = self.role_of(name).filter(|r| matches!(r, Role::Api | Role::Runtime | Role::Postgres)) {
                return Err(InputError::conflict(
                    file,
                    format!("other_services.{name}: `{name}` is the {} service; plan it under its own key", role.key()),
                ));
            }
        }
        Ok(())
    }
}
