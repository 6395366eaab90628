//! The Postgres settings the override writes: the plan's (and with `postgres.pgtune`, which
//! `--pgtune` sets, PGTune's) as `-c name=value` over the base's own command, and the
//! `shm_size` they need.

use super::loader::RAW_COMMAND;
use super::postgres_command;
use crate::analysis::pgtune::postgres_size;
use crate::analysis::postgres_memory::PostgresMemory;
use crate::io::yaml::Mapping;
use crate::model::plan::Plan;
use crate::model::units::Bytes;

/// The Postgres command: the base's own words as written (a `${PASSWORD}` stays a reference),
/// without the settings `flags` make, then `flags` as `-c name=value`.
pub(super) fn postgres_command(
    service: &Mapping,
    flags: &[String],
) -> Result<Vec<String>, postgres_command::CommandError> {
    let raw = service.get("command").and(service.get(RAW_COMMAND));
    let words = postgres_command::words(raw)?.unwrap_or_default();
    // The plan decides these even where it leaves them at PostgreSQL's default (and writes none).
    let planned = ["max_connections", "shared_buffers", "superuser_reserved_connections", "reserved_connections"];
    let managed: Vec<&str> = flags.iter().filter_map(|f| f.split_once('=')).map(|(k, _)| k).chain(planned).collect();
    let mut command = vec!["postgres".to_string()];
    for argument in postgres_command::arguments(&words)? {
        if argument.setting.as_ref().is_some_and(|(key, _)| managed.contains(&key.as_str())) {
            continue;
        }
        command.extend(argument.words);
    }
    for flag in flags {
        command.extend(["-c".to_string(), flag.clone()]);
    }
    Ok(command)
}

/// `name=value` settings for the Postgres command: the plan's, then PGTune's when asked.
pub(super) fn postgres_flags(plan: &Plan) -> Vec<String> {
    let pg = &plan.postgres;
    let memory = PostgresMemory::of(plan, 0);
    let mut flags = vec![
        format!("max_connections={}", pg.max_connections),
        format!("shared_buffers={}", postgres_size(memory.shared_buffers_bytes / 1024)),
    ];
    // Only when they differ from PostgreSQL's defaults: reserved_connections is unknown before 16.
    if pg.superuser_reserved_connections != 3 {
        flags.push(format!("superuser_reserved_connections={}", pg.superuser_reserved_connections));
    }
    if pg.reserved_connections != 0 {
        flags.push(format!("reserved_connections={}", pg.reserved_connections));
    }
    if let (true, Some(tune)) = (pg.pgtune, memory.pgtune) {
        let planned = ["max_connections", "shared_buffers"];
        flags.extend(
            tune.settings.iter().filter(|s| !planned.contains(&s.name)).map(|s| format!("{}={}", s.name, s.value)),
        );
    }
    flags
}

/// `/dev/shm` for the parallel hash joins the exported settings allow at once (PGTune's with
/// `postgres.pgtune`, else PostgreSQL's defaults): see
/// [`crate::analysis::pgtune::parallel_hash_shm`]. At least the 128 MiB the postgres image
/// documents, rounded up to a MiB; no upper cap, since a full /dev/shm fails the query ("could
/// not resize shared memory segment").
pub(super) fn shm_size(plan: &Plan) -> Bytes {
    let mib = 1024 * 1024;
    let needed = PostgresMemory::of(plan, 0).settings.shm_bytes;
    Bytes(needed.div_ceil(mib).max(128) * mib)
}
