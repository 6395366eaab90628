//! Docker Compose: reading the deployment operators run (files, `.env`, interpolation, merge
//! rules, profiles) into a plan, and writing the override that makes a plan real.

pub mod env;
pub mod export;
pub mod import;
pub mod interpolate;
pub mod project;

pub use env::Environment;
pub use export::{Export, ExportOptions, export, export_files};
pub use import::{Role, ServiceNames, import};
pub use project::{Project, ProjectOptions, discover};
