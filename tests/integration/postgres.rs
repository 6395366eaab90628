//! A real PostgreSQL judges the connection budget. Started with exactly the flags flowcap's
//! override gives the postgres service, the server lets an ordinary role open flowcap's
//! "usable" figure and refuses the next one; a superuser gets all of max_connections.
//! Needs PostgreSQL's server binaries (`.ci/run` installs Debian's `postgresql`); without them
//! the test is ignored, except on CI.

use crate::common::{copy_tree, flowcap, tempdir};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder with initdb, pg_ctl and postgres: the newest under /usr/lib/postgresql (where
/// Debian puts them, off the PATH), else wherever `initdb` is on the PATH.
fn server_binaries() -> Option<PathBuf> {
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    installed.sort_by_key(|bin| bin.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()));
    installed.pop().or_else(|| {
        let found = Command::new("sh").args(["-c", "command -v initdb"]).output().ok()?;
        let path = PathBuf::from(String::from_utf8(found.stdout).ok()?.trim());
        Some(std::fs::canonicalize(path).ok()?.parent()?.to_path_buf())
    })
}

/// A PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a free port, stopped on drop.
/// initdb refuses to run as root: then the server runs as the `postgres` user.
struct Server {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Server {
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn start(bin: PathBuf, folder: &Path, flags: &[String]) -> Server {
        let as_postgres = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        if as_postgres {
            let id = |flag: &str| {
                let out = Command::new("id").args([flag, "postgres"]).output().unwrap();
                String::from_utf8(out.stdout).unwrap().trim().parse::<u32>().unwrap()
            };
            std::os::unix::fs::chown(folder, Some(id("-u")), Some(id("-g"))).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = Server { bin, data: folder.join("data"), port, as_postgres };
        let status = server
            .command("initdb")
            .args(["-D"])
            .arg(&server.data)
            .args(["-U", "admin", "--auth=trust", "-E", "UTF8"])
            .output()
            .unwrap();
        assert!(status.status.success(), "initdb: {}", String::from_utf8_lossy(&status.stderr));
        let mut options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", folder.display());
        for flag in flags {
            options.push_str(&format!(" -c {flag}"));
        }
        let log = folder.join("server.log");
        let started = server
            .command("pg_ctl")
            .arg("-D")
            .arg(&server.data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-o", &options, "start"])
            .output();
        let started = started.unwrap();
        assert!(
            started.status.success(),
            "pg_ctl start: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        server
    }

    fn connect(&self, user: &str) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(user)
            .dbname("postgres")
            .connect(postgres::NoTls)
            .map_err(|error| error.as_db_error().map_or(error.to_string(), |db| db.message().to_string()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(&self.data).args(["-m", "immediate", "stop"]).output();
    }
}

/// The `-c` settings in the postgres service's `command` of an override flowcap wrote.
fn exported_flags(override_text: &str) -> Vec<String> {
    let compose: serde_yaml::Value = serde_yaml::from_str(override_text).unwrap();
    let command = compose["services"]["postgres"]["command"].as_sequence().unwrap();
    let words: Vec<&str> = command.iter().map(|word| word.as_str().unwrap()).collect();
    words.windows(2).filter(|pair| pair[0] == "-c").map(|pair| pair[1].to_string()).collect()
}

/// PostgreSQL's binaries and a real stack (Flow-Like's published images) with `plan` beside
/// it.
fn binaries_and_stack(name: &str, plan: &str) -> (PathBuf, crate::common::TestDir) {
    let bin = server_binaries().expect("PostgreSQL's server binaries (.ci/run installs them)");
    let stack = tempdir(name);
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/upstream-images"), &stack);
    std::fs::write(stack.join("plan.yaml"), plan).unwrap();
    (bin, stack)
}

#[test]
#[cfg_attr(missing = "postgres", ignore = "needs postgres")]
fn a_real_postgres_refuses_exactly_where_flowcap_says() {
    // A small, odd budget: 23 connections, 4 kept for superusers.
    let plan = "postgres:\n  max_connections: 23\n  superuser_reserved_connections: 4\n  shared_buffers: 32M\n";
    let (bin, stack) = binaries_and_stack("pg-stack", plan);
    flowcap().current_dir(&stack).args(["export", "plan.yaml", "-o", "override.yml"]).assert().success();
    let flags = exported_flags(&std::fs::read_to_string(stack.join("override.yml")).unwrap());
    assert!(
        flags.contains(&"max_connections=23".to_string())
            && flags.contains(&"superuser_reserved_connections=4".to_string()),
        "{flags:?}"
    );
    // flowcap's figures: for clients with an ordinary role (the plan alone), and for this stack,
    // whose DATABASE_URL connects as POSTGRES_USER, a superuser.
    let budget = |dir: &Path, args: &[&str]| -> (u64, u64) {
        let report = flowcap().current_dir(dir).args(["--check", "--format", "json"]).args(args).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        let connections = &report["figures"]["connections"];
        (connections["usable"].as_u64().unwrap(), connections["max_connections"].as_u64().unwrap())
    };
    let plan_only = tempdir("pg-plan");
    std::fs::copy(stack.join("plan.yaml"), plan_only.join("plan.yaml")).unwrap();
    let (usable, max_connections) = budget(&plan_only, &["plan.yaml"]);
    assert_eq!((usable, max_connections), (19, 23));
    let (usable_as_superuser, _) = budget(&stack, &["plan.yaml", "-f", "docker-compose.yml"]);
    assert_eq!(usable_as_superuser, 23, "the stack connects as the superuser: nothing is held back");

    let folder = tempdir("pg-cluster");
    let server = Server::start(bin, &folder, &flags);
    server.connect("admin").unwrap().batch_execute("CREATE ROLE app LOGIN").unwrap();

    // An ordinary role (how Flow-Like's services should connect): exactly `usable`, then refused.
    let mut held = Vec::new();
    for n in 0..usable {
        held.push(server.connect("app").unwrap_or_else(|e| panic!("connection {} of {usable} refused: {e}", n + 1)));
    }
    let refused = server.connect("app").map(|_| ()).unwrap_err();
    assert!(refused.contains("remaining connection slots are reserved"), "{refused}");
    // A superuser gets the reserved slots too, up to max_connections, and then nothing.
    for _ in usable..max_connections {
        held.push(server.connect("admin").unwrap());
    }
    let refused = server.connect("admin").map(|_| ()).unwrap_err();
    assert!(refused.contains("sorry, too many clients already"), "{refused}");
    assert_eq!(held.len() as u64, usable_as_superuser);
}

#[test]
#[cfg_attr(missing = "postgres", ignore = "needs postgres")]
fn pgtunes_settings_as_exported_start_a_real_postgres() {
    // The flags for the version of the server here (Debian's apt: 15 in CI). 16 CPUs: parallel
    // and autovacuum settings too; 1 GiB keeps the test server small; the plan sets no
    // shared_buffers, so PGTune's is written; data smaller than RAM raises work_mem by 30 %.
    let bin = server_binaries().expect("PostgreSQL's server binaries (.ci/run installs them)");
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": the major version.
    let said = Command::new(bin.join("postgres")).arg("--version").output().unwrap().stdout;
    let said = String::from_utf8(said).unwrap();
    let version: u32 = said.split_whitespace().nth(2).and_then(|v| v.split('.').next()?.parse().ok()).expect(&said);
    let plan = format!(
        "postgres:\n  version: {version}\n  max_connections: 40\n  data_size: 200M\n  limits: {{ cpus: 16, memory: 1G }}\n"
    );
    let (bin, stack) = binaries_and_stack("pg-tuned", &plan);
    // The stack runs the version here, as the export requires of PGTune's settings.
    let compose = std::fs::read_to_string(stack.join("docker-compose.yml")).unwrap();
    let compose = compose.replace("image: postgres:16-alpine", &format!("image: postgres:{version}-alpine"));
    std::fs::write(stack.join("docker-compose.yml"), compose).unwrap();
    flowcap().current_dir(&stack).args(["export", "plan.yaml", "--pgtune", "-o", "override.yml"]).assert().success();
    let flags = exported_flags(&std::fs::read_to_string(stack.join("override.yml")).unwrap());
    // (1048576 − 262144) kB / ((40 + 16) × 3) = 4681 kB, × 1.3 = 6085 kB.
    for expected in
        ["shared_buffers=256MB", "work_mem=6085kB", "jit=off", "autovacuum_max_workers=4", "max_parallel_workers=16"]
    {
        assert!(flags.contains(&expected.to_string()), "{expected} not in {flags:?}");
    }
    if version >= 15 {
        assert!(flags.contains(&"wal_compression=lz4".to_string()), "{flags:?}");
    }
    let folder = tempdir("pg-tuned-cluster");
    let server = Server::start(bin, &folder, &flags);
    let mut admin = server.connect("admin").unwrap();
    // The server took every setting as given.
    for flag in &flags {
        let (name, value) = flag.split_once('=').unwrap();
        let shown: String = admin.query_one(&format!("SHOW {name}"), &[]).unwrap().get(0);
        let normalise = |v: &str| v.to_lowercase();
        assert_eq!(normalise(&shown), normalise(value), "{name}");
    }
}
