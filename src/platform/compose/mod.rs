//! Docker Compose: reading the deployment operators run (files, `.env`, interpolation, merge
//! rules, profiles) into a plan, and writing the override that makes a plan real.

pub mod alert_rules;
pub mod balancer;
pub mod env;
pub mod export;
pub mod import;
pub mod interpolate;
mod loader;
mod merge;
mod ports;
pub mod postgres_command;
mod postgres_flags;
pub mod project;
mod redis_command;
mod roles;
pub mod scrape;
mod writer;

pub use env::Environment;
pub use export::{Export, ExportOptions, export};
pub use import::{ServiceFacts, import, service_facts};
pub use ports::PortBinding;
pub use project::{Project, ProjectOptions};
pub use roles::{Role, ServiceNames};
pub use writer::OverrideChange;
