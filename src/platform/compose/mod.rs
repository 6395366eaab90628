//! Docker Compose: reading the deployment operators run (files, `.env`, interpolation, merge
//! rules, profiles) into a plan, and writing the override that makes a plan real.

pub mod balancer;
pub mod env;
pub mod export;
pub mod import;
pub mod interpolate;
pub mod postgres_command;
pub mod project;
pub mod scrape;

pub use env::Environment;
pub use export::{Change, Export, ExportOptions, export};
pub use import::{PortBinding, Role, ServiceFacts, ServiceNames, import, service_facts};
pub use project::{Project, ProjectOptions, discover};
