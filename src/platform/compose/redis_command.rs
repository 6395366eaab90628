//! The Redis container's `command`, read as `redis-server` reads its arguments: an optional
//! config file, then `--name value…` options. Import reads maxmemory, its policy and
//! appendonly; export keeps every other word as written and sets those three.

use super::loader::RAW_COMMAND;
pub use super::postgres_command::CommandError;
use super::postgres_command::words;
use crate::io::yaml::{Mapping, Value};
use crate::model::redis::{EvictionPolicy, Redis, parse_size, size_argument};

/// The options flowcap sets; every other word of the command is the operator's.
const MANAGED: [&str; 3] = ["maxmemory", "maxmemory-policy", "appendonly"];

/// One `--name value…` option and the words it spans.
struct Flag {
    name: String,
    values: Vec<String>,
    words: Vec<String>,
}

/// What the command says, as Redis would read it.
pub enum RedisCommand {
    /// The settings (Redis's defaults where the command says nothing).
    Read(Redis),
    /// A config file holds settings flowcap cannot see.
    ConfigFile,
}

/// The program, the config file if any, and the options. The redis image runs `redis-server`
/// with a command that starts with a flag or names a `.conf` file.
fn parse(words: &[String]) -> Result<(Vec<String>, Vec<Flag>), CommandError> {
    let mut head = Vec::new();
    let mut rest = match words.first().map(String::as_str) {
        None => return Ok((vec!["redis-server".into()], Vec::new())),
        Some(first) if first == "redis-server" || first.ends_with("/redis-server") => {
            head.push(first.to_string());
            &words[1..]
        }
        Some(first) if first.starts_with('-') || first.ends_with(".conf") => {
            head.push("redis-server".into());
            words
        }
        Some(_) => return Err(CommandError::NotRedis),
    };
    if let Some(file) = rest.first().filter(|w| !w.starts_with("--")) {
        head.push(file.clone());
        rest = &rest[1..];
    }
    let mut options: Vec<Flag> = Vec::new();
    for word in rest {
        match word.strip_prefix("--") {
            Some(name) => {
                options.push(Flag { name: name.to_ascii_lowercase(), values: Vec::new(), words: vec![word.clone()] })
            }
            None => match options.last_mut() {
                Some(option) => {
                    option.values.push(word.clone());
                    option.words.push(word.clone());
                }
                None => head.push(word.clone()),
            },
        }
    }
    Ok((head, options))
}

/// The settings of a redis service's (interpolated) command.
pub fn read(service: &Mapping) -> Result<RedisCommand, CommandError> {
    let words = words(service.get("command"))?.unwrap_or_default();
    let (head, options) = parse(&words)?;
    if head.len() > 1 {
        return Ok(RedisCommand::ConfigFile);
    }
    let mut redis = Redis::default();
    for option in options {
        let value = option.values.join(" ");
        match option.name.as_str() {
            "maxmemory" => redis.maxmemory = parse_size(&value).filter(|m| m.0 > 0),
            "maxmemory-policy" => redis.maxmemory_policy = EvictionPolicy::parse(&value).unwrap_or_default(),
            "appendonly" => redis.appendonly = value.eq_ignore_ascii_case("yes"),
            _ => {}
        }
    }
    Ok(RedisCommand::Read(redis))
}

/// The command that runs `redis` over the base's: its own words as written (a `${VAR}` stays a
/// reference), the managed options replaced.
pub fn command(service: &Mapping, redis: &Redis) -> Result<Vec<String>, CommandError> {
    let raw: Option<&Value> = service.get("command").and(service.get(RAW_COMMAND));
    let words = words(raw)?.unwrap_or_default();
    let (mut command, options) = parse(&words)?;
    for option in options.into_iter().filter(|o| !MANAGED.contains(&o.name.as_str())) {
        command.extend(option.words);
    }
    let appendonly = if redis.appendonly { "yes" } else { "no" };
    command.extend(["--appendonly".to_string(), appendonly.to_string()]);
    if let Some(maxmemory) = redis.maxmemory {
        command.extend(["--maxmemory".to_string(), size_argument(maxmemory)]);
    }
    command.extend(["--maxmemory-policy".to_string(), redis.maxmemory_policy.to_string()]);
    Ok(command)
}

/// The managed settings as the change list shows them.
pub fn describe(redis: &Redis) -> String {
    let maxmemory = redis.maxmemory.map_or("none".to_string(), size_argument);
    format!(
        "maxmemory {maxmemory}, maxmemory-policy {}, appendonly {}",
        redis.maxmemory_policy,
        if redis.appendonly { "yes" } else { "no" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::units::Bytes;

    /// A service as the loader leaves it: the command, and the command as written.
    fn service(command: &str) -> Mapping {
        crate::io::yaml::from_str("compose.yaml", &format!("command: {command}\n{RAW_COMMAND}: {command}\n")).unwrap()
    }

    fn read_redis(command: &str) -> Redis {
        match read(&service(command)).unwrap() {
            RedisCommand::Read(redis) => redis,
            RedisCommand::ConfigFile => panic!("{command}"),
        }
    }

    #[test]
    fn flow_likes_command_and_others() {
        let flow_like = read_redis("redis-server --appendonly yes");
        assert_eq!(flow_like, Redis { appendonly: true, ..Redis::default() });
        let bounded = read_redis("[\"--maxmemory\", \"1gb\", \"--maxmemory-policy\", \"allkeys-lru\"]");
        assert_eq!(bounded.maxmemory, Some(Bytes(1 << 30)));
        assert_eq!(bounded.maxmemory_policy, EvictionPolicy::AllkeysLru);
        assert!(matches!(read(&service("redis-server /etc/redis.conf")).unwrap(), RedisCommand::ConfigFile));
        assert!(read(&service("sh -c 'redis-server'")).is_err());
    }

    #[test]
    fn export_keeps_the_operators_words() {
        let base = service("redis-server --appendonly yes --requirepass \"${REDIS_PASSWORD}\" --maxmemory 2gb");
        let redis = Redis { maxmemory: Some(Bytes(768 << 20)), appendonly: true, ..Redis::default() };
        let command = command(&base, &redis).unwrap();
        assert_eq!(
            command,
            [
                "redis-server",
                "--requirepass",
                "${REDIS_PASSWORD}",
                "--appendonly",
                "yes",
                "--maxmemory",
                "768mb",
                "--maxmemory-policy",
                "noeviction"
            ]
        );
    }
}
