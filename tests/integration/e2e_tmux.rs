//! The real binary in a real terminal (tmux): turn a knob, see the total change, leave by q, by
//! Ctrl-C and by every terminating signal, and find the terminal back in cooked mode each time;
//! close the terminal and find the planner gone.
//! Needs tmux; `.ci/run` installs it. Without tmux the tests are ignored, except on CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    dir: PathBuf,
}

impl Tmux {
    fn start(name: &str) -> Tmux {
        crate::common::require("tmux");
        let socket = format!("flowcap-e2e-{name}-{}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        std::fs::create_dir_all(&dir).unwrap();
        let tmux = Tmux { socket, dir };
        tmux.run(&["new-session", "-d", "-x", "100", "-y", "30", "-s", "e2e", "bash --noprofile --norc"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap();
        assert!(output.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "e2e", key]);
        }
    }

    /// The screen as text; the non-breaking spaces that keep a key with its word read as spaces.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"]).replace('\u{a0}', " ")
    }

    /// Waits (up to 20 s: a slow CI machine, not a performance bound) for `text` on screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "{text:?} never appeared; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn start_flowcap(&self) {
        self.start_flowcap_with("--preset medium", "Queued at once 40 = 4 × 10");
    }

    /// Starts the planner in the test's folder with `args`, and waits for `shown`.
    fn start_flowcap_with(&self, args: &str, shown: &str) {
        let binary = env!("CARGO_BIN_EXE_flowcap");
        let dir = self.dir.display();
        self.keys(&[&format!("cd {dir}; clear; {binary} {args}; echo FLOWCAP-EXITED-$?"), "Enter"]);
        self.wait_for(shown);
    }

    /// A mouse wheel turn at a 0-based screen cell, as the terminal reports it (SGR).
    fn wheel(&self, up: bool, column: usize, row: usize) {
        let button = if up { 64 } else { 65 };
        self.run(&["send-keys", "-t", "e2e", "-l", &format!("\x1b[<{button};{};{}M", column + 1, row + 1)]);
    }

    /// The planner's process id, as a child of the pane's shell.
    fn flowcap_pid(&self) -> String {
        let shell = self.run(&["display-message", "-p", "-t", "e2e", "#{pane_pid}"]);
        let child = Command::new("pgrep").args(["-P", shell.trim(), "flowcap"]).output().unwrap();
        let pid = String::from_utf8(child.stdout).unwrap().trim().to_string();
        assert!(!pid.is_empty(), "flowcap is not running under the shell");
        pid
    }

    /// The shell's terminal settings after flowcap left: cooked mode has icanon and echo.
    fn assert_cooked(&self, case: &str) {
        let file = self.dir.join(format!("stty-{case}"));
        self.keys(&[&format!("stty -a > {}", file.display()), "Enter"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        let settings = loop {
            match std::fs::read_to_string(&file) {
                Ok(text) if text.contains("icanon") => break text,
                _ => {
                    assert!(Instant::now() < deadline, "stty never ran; screen:\n{}", self.screen());
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        let flags: Vec<&str> = settings.split_whitespace().collect();
        assert!(flags.contains(&"icanon") && flags.contains(&"echo"), "{case}: not cooked:\n{settings}");
        assert!(!flags.contains(&"-icanon") && !flags.contains(&"-echo"), "{case}: still raw:\n{settings}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn raise_runtimes_then_quit_with_q() {
    let tmux = Tmux::start("quit");
    tmux.start_flowcap();
    // Down to runtime replicas (API: 4 knobs), one step up.
    tmux.keys(&["j", "j", "j", "j", "l"]);
    let screen = tmux.wait_for("Queued at once 50 = 5 × 10 (was 40)");
    assert!(screen.contains("▸ replicas          5 (was 4)"), "{screen}");
    // Resizing redraws: too small gets the notice, big enough the planner again.
    tmux.run(&["resize-window", "-t", "e2e", "-x", "60", "-y", "20"]);
    tmux.wait_for("terminal too small: 60×20");
    // Keys while the notice shows would be invisible edits: they do nothing.
    tmux.keys(&["l", "l"]);
    tmux.run(&["resize-window", "-t", "e2e", "-x", "100", "-y", "30"]);
    tmux.wait_for("Queued at once 50 = 5 × 10 (was 40)");
    tmux.keys(&["q"]);
    tmux.wait_for("Unsaved changes. Quit anyway? y yes · n no");
    tmux.keys(&["y"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
    tmux.assert_cooked("q");
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn ctrl_c_and_sigterm_restore_the_terminal() {
    let tmux = Tmux::start("signals");
    tmux.start_flowcap();
    tmux.keys(&["C-c"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
    tmux.assert_cooked("ctrl-c");

    // Every signal that would end the process leaves the terminal cooked.
    for signal in ["TERM", "INT", "QUIT", "HUP", "USR1", "ALRM"] {
        tmux.start_flowcap();
        let pid = tmux.flowcap_pid();
        assert!(Command::new("kill").args([&format!("-{signal}"), pid.as_str()]).status().unwrap().success());
        tmux.wait_for("FLOWCAP-EXITED-0");
        tmux.assert_cooked(signal);
        tmux.keys(&["clear", "Enter"]);
    }
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn a_closed_terminal_ends_the_planner() {
    let tmux = Tmux::start("closed");
    tmux.start_flowcap();
    let pid = tmux.flowcap_pid();
    // The SSH session drops: the terminal and its shell go away.
    tmux.run(&["kill-session", "-t", "e2e"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "flowcap {pid} still runs after its terminal closed");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn the_wheel_acts_only_under_the_pointer_and_the_findings_scroll_to_the_end() {
    let tmux = Tmux::start("wheel");
    tmux.start_flowcap();
    let screen = tmux.screen();
    let row_of = |screen: &str, text: &str| screen.lines().position(|l| l.contains(text)).unwrap();
    // Over the figures, the wheel changes nothing.
    for _ in 0..3 {
        tmux.wheel(true, 60, row_of(&screen, "Per slot"));
    }
    // Over the knobs, it scrolls the list and changes no value: three turns down over every
    // knob row, then back.
    let knob_rows: Vec<usize> = screen
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("│  ") || l.starts_with("┃  "))
        .map(|(i, _)| i)
        .collect();
    for &row in &knob_rows {
        for up in [false, false, false, true, true, true] {
            tmux.wheel(up, 5, row);
        }
    }
    // A key afterwards shows the screen settled: nothing was edited, nothing is modified.
    tmux.keys(&["?"]);
    tmux.wait_for("(was …): the value at the start");
    tmux.keys(&["?"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = tmux.screen();
    while after.contains("(was …): the value at the start") {
        assert!(Instant::now() < deadline, "the help stays open:\n{after}");
        std::thread::sleep(Duration::from_millis(50));
        after = tmux.screen();
    }
    assert!(after.contains("Queued at once 40 = 4 × 10") && !after.contains("(was"), "{after}");
    assert!(!after.contains("(modified)"), "{after}");
    tmux.keys(&["q"]);
    tmux.wait_for("FLOWCAP-EXITED-0");

    // A plan that overloads its host, held against a deployment it drifts from: more findings
    // than the panel holds.
    tmux.keys(&["clear", "Enter"]);
    let compose = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/docker-compose.yml");
    let args = format!("--preset large -f {} --host-cpus 4 --host-memory 8G", compose.display());
    tmux.start_flowcap_with(&args, "more · Tab, then j/k");
    tmux.keys(&["Tab", "End"]);
    let end = tmux.wait_for("above ┛");
    let border = end.lines().find(|l| l.contains("above ┛")).unwrap_or_else(|| panic!("{end}"));
    assert!(!border.contains("more"), "the last finding is in view: {border}");
    tmux.keys(&["C-c"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn saving_over_a_file_flowcap_did_not_write_needs_f() {
    let tmux = Tmux::start("consent");
    std::fs::write(tmux.dir.join("notes.yaml"), "my notes\n").unwrap();
    tmux.start_flowcap();
    let save_as_notes = || {
        tmux.keys(&["s"]);
        tmux.wait_for("Save plan to: flowcap.yaml");
        for _ in 0.."flowcap.yaml".len() {
            tmux.keys(&["BSpace"]);
        }
        tmux.keys(&["notes.yaml", "Enter"]);
        tmux.wait_for("notes.yaml exists and was not written by flowcap. Replace it anyway, as --force would");
    };
    tmux.keys(&["l"]);
    save_as_notes();
    // y is not consent here; n keeps the file.
    tmux.keys(&["y", "n"]);
    tmux.wait_for("not written: notes.yaml is as it was");
    assert_eq!(std::fs::read_to_string(tmux.dir.join("notes.yaml")).unwrap(), "my notes\n");
    save_as_notes();
    tmux.keys(&["F"]);
    tmux.wait_for("wrote notes.yaml");
    assert!(std::fs::read_to_string(tmux.dir.join("notes.yaml")).unwrap().starts_with("# Written by flowcap"));
    tmux.keys(&["q"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
}

#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn the_report_is_coloured_on_a_terminal_unless_no_color_or_never() {
    let tmux = Tmux::start("colour");
    let binary = env!("CARGO_BIN_EXE_flowcap");
    // The headline is bold on a terminal: the report is written to it, not piped.
    let dir = env!("CARGO_MANIFEST_DIR");
    let line = |env: &str, flags: &str| {
        tmux.keys(&["clear", "Enter"]);
        // Each capture holds this run alone: the earlier reports leave the history.
        tmux.run(&["clear-history", "-t", "e2e"]);
        tmux.keys(&[
            &format!("cd {dir}; clear; {env} {binary} --check --preset medium {flags}; echo REPORT-END-$((6*7))"),
            "Enter",
        ]);
        // The marker is computed, so the typed command line cannot match it before the report.
        tmux.wait_for("REPORT-END-42");
        tmux.run(&["capture-pane", "-p", "-e", "-t", "e2e", "-S", "-200"])
    };
    let bold_headline = "\x1b[1mflowcap check: Medium";
    assert!(line("", "").contains(bold_headline), "{}", line("", ""));
    assert!(line("", "").contains("PASS\x1b[0m"), "{:?}", line("", ""));
    assert!(!line("NO_COLOR=1", "").contains("\x1b[1m"));
    assert!(!line("", "--color never").contains("\x1b[1m"));
    // Piped, auto is plain; always colours anyway.
    assert!(!line("", "| cat").contains("\x1b[1m"));
    assert!(line("", "--color always | cat").contains(bold_headline));
}

/// One plan, whoever writes it: on Flow-Like's compose files, `s` then `e` in the planner
/// write what the README's CI check then passes, as init, export and check do.
#[test]
#[cfg_attr(any(missing = "tmux", missing = "shared-fixtures"), ignore = "needs tmux and ../shared/fixtures")]
fn what_the_planner_saves_and_exports_passes_the_readmes_check() {
    let tmux = Tmux::start("save-export");
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    std::fs::copy(&flow_like, tmux.dir.join("docker-compose.yml")).unwrap();
    tmux.start_flowcap_with("--profile monitoring", "Findings (");
    tmux.keys(&["s"]);
    tmux.wait_for("Save plan to: flowcap.yaml");
    tmux.keys(&["Enter"]);
    // The title still names the files the plan is held against.
    let saved = tmux.wait_for("wrote flowcap.yaml");
    assert!(saved.contains("from flowcap.yaml against "), "{saved}");
    tmux.keys(&["e"]);
    tmux.wait_for("Export override to: ");
    tmux.keys(&["Enter"]);
    tmux.wait_for("apply it: ");
    tmux.keys(&["q"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
    let plan = std::fs::read_to_string(tmux.dir.join("flowcap.yaml")).unwrap();
    assert!(!plan.contains("published_ports") && !plan.contains("container_name"), "{plan}");
    // The README's check, as written there.
    let output = crate::common::flowcap()
        .current_dir(&tmux.dir)
        .args(["--check", "flowcap.yaml", "-f", "docker-compose.yml", "-f", "docker-compose.override.yml"])
        .args(["--profile", "monitoring"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
}

/// At the plan's most, 1,000,000 slots, keys typed in a burst are all handled before the screen
/// catches up, and Ctrl-C with unsaved changes asks as q does (a second Ctrl-C leaves). Without
/// the batching, 20 keys at 1.5 s each pass `wait_for`'s 20 s; how fast a key is at this size is
/// measured in benches/tui.rs, not asserted here.
#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn a_burst_of_keys_at_a_million_slots_and_ctrl_c_asks() {
    let tmux = Tmux::start("million");
    std::fs::write(
        tmux.dir.join("big.yaml"),
        "runtime: { replicas: 1000, max_concurrent_executions: 1000 }\nworkload:\n  \
         queued: { arrivals_per_minute: 1800000, mean_duration: 30s }\n  \
         streaming: { arrivals_per_minute: 1800000, mean_duration: 5s, memory_per_execution: 64M }\n",
    )
    .unwrap();
    tmux.start_flowcap_with("big.yaml", "Queued at once 1000000");
    tmux.keys(&["llllllllllllllllllll"]);
    tmux.wait_for("▸ replicas          21 (was 1)");
    tmux.keys(&["C-c"]);
    tmux.wait_for("Unsaved changes. Quit anyway?");
    tmux.keys(&["C-c"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
}

/// After `o` scales a service that publishes a fixed port, `e` writes the override that moves
/// the port, and the planner holds the plan against the deployment with it: the error goes.
#[test]
#[cfg_attr(any(missing = "tmux", missing = "shared-fixtures"), ignore = "needs tmux and ../shared/fixtures")]
fn the_export_is_part_of_the_deployment_the_planner_holds_the_plan_to() {
    let tmux = Tmux::start("export-reread");
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    std::fs::copy(&flow_like, tmux.dir.join("docker-compose.yml")).unwrap();
    tmux.start_flowcap_with("--profile monitoring", "Findings (");
    // Two runtimes: the runtime's fixed host port 9000 cannot be bound twice.
    tmux.keys(&["j", "j", "j", "j", "l"]);
    tmux.wait_for("fixed-host-port");
    tmux.keys(&["e"]);
    tmux.wait_for("Export override to: ");
    tmux.keys(&["Enter"]);
    let after = tmux.wait_for("apply it:");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut screen = after;
    while screen.contains("fixed-host-port") {
        assert!(Instant::now() < deadline, "the error stays after the export that fixes it:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
        screen = tmux.screen();
    }
    tmux.keys(&["q", "y"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
}

/// `flowcap --helm-values FILE` opens the planner on the operator's values, named in its title.
#[test]
#[cfg_attr(missing = "tmux", ignore = "needs tmux")]
fn the_planner_opens_on_helm_values_from_the_command_line() {
    let tmux = Tmux::start("helm-values");
    let values = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/operator-values.yaml");
    std::fs::copy(values, tmux.dir.join("values.yaml")).unwrap();
    tmux.start_flowcap_with("--helm-values values.yaml --nodes 2 --node-cpus 4 --node-memory 16G", "from values.yaml");
    tmux.wait_for("job-cap-exceeds-cluster");
    tmux.keys(&["q"]);
    tmux.wait_for("FLOWCAP-EXITED-0");
}
