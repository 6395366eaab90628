//! The planner's state: what it holds, the messages that change it ([`super::update`] alone
//! does), and the effects it asks of the event loop. Keys and mouse events become [`Msg`]s in
//! [`super::keys`] and [`super::mouse`]; the report is recomputed once per change so rendering
//! only reads.

use super::findings::{Entry, entries};
use super::knobs::Knob;
use super::layout::Drawn;
use crate::analysis::rules::Severity;
use crate::inputs::{self, Deployment, ValuesDeployment};
use crate::io::error::InputError;
use crate::model::cluster::Platform;
use crate::model::load::{LoadedPlan, Locator};
use crate::model::observed::Observed;
use crate::model::plan::Plan;
use crate::model::presets::{PRESETS, keys_for, load_preset};
use crate::report::{Context, Report};
use ratatui::layout::Rect;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Undo keeps this many steps; older ones are dropped.
pub const UNDO_LIMIT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// `?`: the help overlay.
    Help,
    /// `Enter` on the findings: this entry whole, over the screen.
    Finding(usize),
    /// Typing a value for the selected knob.
    EditKnob(String),
    /// Typing the path to write the plan or the override to.
    Path {
        output: Output,
        text: String,
    },
    /// Files to write exist: replace them (keeping a .bak)? With `needs_force`, one of them is
    /// not flowcap's to replace (the reason, naming the file): only `F` replaces it, as
    /// `--force` does on the command line.
    ConfirmOverwrite {
        output: Output,
        path: PathBuf,
        needs_force: Option<String>,
    },
    /// Unsaved changes: quit anyway?
    ConfirmQuit,
}

/// What `s` and `e` write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The plan (`s`).
    Plan,
    /// The compose override, and the load balancer config when the API scales (`e`).
    Override,
}

/// The pane that takes the movement keys: Tab and Shift-Tab switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Plan,
    Findings,
}

/// A movement in the focused pane: the knobs, or the findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Up(usize),
    Down(usize),
    First,
    Last,
}

/// What Ctrl-U and Ctrl-W erase in a text field, as in a shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erase {
    /// Everything before the cursor.
    ToStart,
    /// The word before the cursor, and the spaces after it.
    Word,
}

/// PgUp and PgDn move this many knobs or findings.
pub const PAGE: usize = 5;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A click on a knob: select it (and the Plan pane).
    Select(Knob),
    /// Arrows, j/k, PgUp/PgDn, Home/End/g/G in the focused pane.
    Move(Move),
    /// The wheel over the findings.
    ScrollFindings(Move),
    /// The wheel over the knobs: the list moves, nothing is selected or changed.
    ScrollPlan(Move),
    /// The wheel over the figures, when they do not all fit.
    ScrollCapacity(Move),
    /// Tab and Shift-Tab.
    SwitchFocus,
    /// `Enter` on the findings: open the one at the top of the pane whole.
    OpenFinding,
    /// The terminal's size, at start and on every resize: layout and scrolling follow it, and
    /// keys do nothing while it is too small to show what they would change.
    Resize {
        width: u16,
        height: u16,
    },
    Step {
        up: bool,
    },
    /// A character typed into the open text field at the cursor (a digit in normal mode opens
    /// the editor).
    Type(char),
    /// ← → Home End in the open text field.
    MoveCursor(Move),
    /// Ctrl-U and Ctrl-W in the open text field.
    Erase(Erase),
    /// Delete in normal mode: the selected knob to "none" (no limit, no workload, no target).
    Clear,
    Backspace,
    Confirm,
    Cancel,
    NextPreset,
    /// `o`: apply `flowcap solve`'s smallest change for the workload.
    Solve,
    Undo,
    Redo,
    ToggleHelp,
    /// `s` or `e`: ask for the path.
    StartWrite(Output),
    Yes,
    /// `F` at a confirmation that needs it: replace a file flowcap did not write.
    Force,
    No,
    Quit,
    /// Ctrl-C: leave, asking first when there are unsaved changes (a second Ctrl-C leaves).
    Abort,
    /// From [`Effect::Write`]: files are in the way; ask.
    AskToReplace {
        output: Output,
        path: PathBuf,
        needs_force: Option<String>,
    },
    /// From [`Effect::Write`]: these files were written; `apply`, for an override, is the
    /// command that applies it.
    Wrote {
        output: Output,
        path: PathBuf,
        files: Vec<PathBuf>,
        apply: Option<String>,
    },
    /// From [`Effect::Write`]: nothing was written, and why.
    WriteFailed(String),
    /// From [`Effect::ReadDeployment`]: the deployment with the override just written.
    DeploymentRead(ReadBack),
}

/// A deployment read again ([`Msg::DeploymentRead`]); equal only to itself.
#[derive(Clone, Debug)]
pub struct ReadBack(pub Box<Deployment>);

impl PartialEq for ReadBack {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0.as_ref(), other.0.as_ref())
    }
}

impl Eq for ReadBack {}

/// What `update` asks of the event loop, which alone does I/O ([`super::effects::perform`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write what `output` makes at `path`, all files or none, replacing what `consent` allows;
    /// the loop answers with [`Msg::Wrote`], [`Msg::AskToReplace`] or [`Msg::WriteFailed`].
    Write {
        output: Output,
        path: PathBuf,
        consent: Consent,
    },
    /// Read the deployment again with the override just written at this path, so the plan is
    /// held against what now runs; answered with [`Msg::DeploymentRead`].
    ReadDeployment(PathBuf),
    Quit,
}

/// What the operator agreed to replace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// Nothing yet: any file in the way is asked about first.
    Nothing,
    /// Files flowcap wrote (`y`).
    FlowcapFiles,
    /// Any file, as `--force` (`F`, after the file and what it is were named).
    Anything,
}

/// What undo and redo restore: the plan and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub(super) plan: Plan,
    origin: String,
    preset: Option<usize>,
}

/// One half of a host the plan does not have yet: kept until the other is typed, since the
/// host fit needs both and nothing is made up for the other.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HostHalf {
    Cpus(crate::model::units::Cpus),
    Memory(crate::model::units::Bytes),
}

/// A one-line message at the bottom: what just happened, or why it did not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Clone, Debug)]
pub struct App {
    pub loaded: LoadedPlan,
    /// Where the plan came from, for the title ("Medium preset", "plan.yaml").
    pub origin: String,
    /// The plan the session started from: changed values show "was …" against it.
    pub baseline: Plan,
    pub baseline_report: Report,
    /// The plan as last loaded or saved: quitting with anything else asks first.
    pub saved: Plan,
    /// Figures and findings for `loaded.plan`, recomputed by `update` on every change.
    pub report: Report,
    /// The Findings panel's entries for `report`, made with it.
    pub findings: Vec<Entry>,
    pub selected: Knob,
    pub mode: Mode,
    /// The knob whose typed value was refused, and why.
    pub knob_error: Option<(Knob, String)>,
    pub status: Option<Status>,
    /// Oldest first; bounded by [`UNDO_LIMIT`].
    pub undo: VecDeque<Snapshot>,
    pub redo: Vec<Snapshot>,
    /// Index into `planner_presets` of the preset shown, when it is one.
    pub preset: Option<usize>,
    /// Where `s` saved last; it suggests the same path next time.
    pub saved_path: Option<PathBuf>,
    /// The compose files the session started from, if any: the base `e` exports over.
    pub deployment: Option<Deployment>,
    /// The Helm values the session started from, if any: drift, the chart's keys in fixes,
    /// and the operator's files `e` exports after.
    pub values: Option<Values>,
    /// What the deployment's Prometheus saw (`--prometheus`): findings and figures beside the
    /// plan's, recomputed with it.
    pub observed: Option<Observed>,
    pub color: bool,
    pub focus: Focus,
    /// The first finding shown.
    pub findings_scroll: usize,
    /// The first row of the Plan panel shown, once the wheel or a click has set it; `None`
    /// follows the selected knob (the keyboard).
    pub plan_scroll: Option<usize>,
    /// The first line of the Capacity panel shown (the wheel's).
    pub capacity_scroll: usize,
    /// The half of the host typed while the plan has none (left out of what is saved).
    pub host_half: Option<HostHalf>,
    /// While the event loop handles a batch of waiting events, the analysis waits for the
    /// batch's end ([`App::refresh`]): one analysis a frame, however fast the keys come.
    pub defer_analysis: bool,
    /// The plan changed since the last analysis (only while deferred).
    pub stale: bool,
    /// The host is the operator's (the command line, a plan file, a deployment's plan), not a
    /// preset's: presets keep it.
    pub host_given: bool,
    /// The terminal's size, from [`Msg::Resize`]; 120×40 until the first one.
    pub screen: Rect,
    /// Where typing goes in the open text field, in characters.
    pub cursor: usize,
    /// Where the last draw put things (the event loop sets it after each draw).
    pub drawn: Option<Drawn>,
}

/// Helm values the planner holds its plan to.
#[derive(Clone, Debug)]
pub struct Values {
    pub deployment: ValuesDeployment,
    /// The operator's values files, in order: the export goes after them, never over them.
    pub read: Vec<PathBuf>,
    /// A plan or preset was named: the values are the deployment it is compared with.
    pub named: bool,
}

/// The presets `p` cycles through: every one, but over a deployment only those for its
/// platform (a Docker host's over compose files, a cluster's over Helm values).
pub(super) fn planner_presets(app: Option<&App>) -> Vec<&'static str> {
    match app {
        Some(app) if app.deployment.is_some() => keys_for(Platform::Compose),
        Some(app) if app.values.is_some() => keys_for(Platform::Kubernetes),
        _ => PRESETS.iter().map(|p| p.key).collect(),
    }
}

impl App {
    pub fn new(loaded: LoadedPlan, color: bool) -> App {
        let report = Report::new(&loaded, Severity::Error);
        let preset = planner_presets(None).iter().position(|key| loaded.file == format!("presets/{key}.yaml"));
        // From a plan file, the host is the operator's; from a preset, the preset's.
        let host_given = preset.is_none() && loaded.plan.host.is_some();
        let origin = match preset {
            Some(_) => format!("{} preset", loaded.plan.name.as_deref().unwrap_or("built-in")),
            None => loaded.file.clone(),
        };
        App {
            origin,
            baseline: loaded.plan.clone(),
            baseline_report: report.clone(),
            saved: loaded.plan.clone(),
            findings: entries(&report),
            report,
            loaded,
            selected: Knob::ALL[0],
            mode: Mode::Normal,
            knob_error: None,
            status: None,
            undo: VecDeque::new(),
            redo: Vec::new(),
            preset,
            saved_path: None,
            deployment: None,
            values: None,
            observed: None,
            color,
            focus: Focus::Plan,
            findings_scroll: 0,
            plan_scroll: None,
            capacity_scroll: 0,
            host_half: None,
            defer_analysis: false,
            stale: false,
            host_given,
            screen: Rect::new(0, 0, 120, 40),
            cursor: 0,
            drawn: None,
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.loaded.plan
    }

    /// Whether quitting loses anything: a change not saved, or half a host typed.
    pub fn modified(&self) -> bool {
        self.loaded.plan != self.saved || self.host_half.is_some()
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot { plan: self.loaded.plan.clone(), origin: self.origin.clone(), preset: self.preset }
    }

    /// Puts `snapshot` in place and returns what was there.
    pub(super) fn restore(&mut self, snapshot: Snapshot) -> Snapshot {
        let current = self.snapshot();
        self.loaded.plan = snapshot.plan;
        self.origin = snapshot.origin;
        self.preset = snapshot.preset;
        if self.defer_analysis {
            self.stale = true;
        } else {
            self.recompute();
        }
        current
    }

    /// Replaces the plan, keeping the old state for undo, and recomputes the figures.
    pub(super) fn change(&mut self, next: Plan) {
        if next == self.loaded.plan {
            return;
        }
        if self.undo.len() == UNDO_LIMIT {
            self.undo.pop_front();
        }
        self.undo.push_back(self.snapshot());
        self.redo.clear();
        self.loaded.plan = next;
        if self.defer_analysis {
            self.stale = true;
        } else {
            self.recompute();
        }
    }

    /// The analysis of the plan as it is now, if a batch of events left it behind.
    pub fn refresh(&mut self) {
        if self.stale {
            self.stale = false;
            self.recompute();
        }
    }

    pub(super) fn recompute(&mut self) {
        // A plan of the other platform has other knobs: keep the selection on one it shows.
        if !Knob::for_plan(&self.loaded.plan).contains(&self.selected) {
            self.selected = Knob::ApiReplicas;
        }
        let values = self.values.as_ref();
        let context = Context {
            compared: match values {
                Some(values) if values.named => Some(&values.deployment.loaded),
                _ => self.deployment.as_ref().and_then(Deployment::compared),
            },
            scraped: self.deployment.as_ref().map_or(&[], |d| &d.scraped),
            alert_rules: self.deployment.as_ref().map_or(&[], |d| &d.alert_rules),
            observed: self.observed.as_ref(),
            read: None,
            unknown_values_keys: values.map_or(&[], |v| &v.deployment.unknown_keys),
            from_helm_values: values.is_some_and(|v| !v.named),
        };
        self.report = Report::in_context(&self.loaded, Severity::Error, context);
        self.findings = entries(&self.report);
    }

    pub(super) fn fail(&mut self, text: String) {
        self.status = Some(Status { text, error: true });
    }

    pub(super) fn tell(&mut self, text: String) {
        self.status = Some(Status { text, error: false });
    }

    /// Starts from a compose deployment: `e` exports over its base files.
    /// Holds the session to the operator's Helm values `read` (the plan read from them when no
    /// plan or preset is `named`).
    pub fn with_values(mut self, deployment: ValuesDeployment, read: Vec<PathBuf>, named: bool) -> App {
        self.origin = match named {
            true => format!("{} against {}", self.origin, deployment.files),
            false => deployment.files.clone(),
        };
        self.values = Some(Values { deployment, read, named });
        // `p` cycles through the cluster's presets now: the one shown is found among them.
        let file = &self.loaded.file;
        self.preset = planner_presets(Some(&self)).iter().position(|key| *file == format!("presets/{key}.yaml"));
        self.recompute();
        self.baseline_report = self.report.clone();
        self
    }

    pub fn with_deployment(mut self, deployment: Deployment) -> App {
        // A session that starts from the compose files names them all, .env included.
        if matches!(self.loaded.locator, Locator::Deployment(_)) {
            self.origin = deployment.project.describe();
        }
        self.deployment = Some(deployment);
        self.recompute();
        self.baseline_report = self.report.clone();
        self
    }

    /// Holds the plan against `deployment` read again (with the override `e` wrote): its ports
    /// and names are the facts now, in place of those the plan had from before.
    pub(super) fn reread(&mut self, deployment: Deployment) {
        let unsaved = self.modified();
        self.loaded.plan = self.loaded.plan.without_deployment_facts();
        self.loaded.inherited.clear();
        self.loaded.inherit_deployment_facts(&deployment.imported);
        if !unsaved {
            self.saved = self.loaded.plan.clone();
        }
        self.deployment = Some(deployment);
        self.recompute();
    }

    /// The host came from the command line (`--host-cpus`, `--host-memory`): presets keep it.
    pub fn with_given_host(mut self) -> App {
        self.host_given = self.loaded.plan.host.is_some();
        self
    }

    /// Holds every plan against what the deployment's Prometheus saw.
    pub fn with_observed(mut self, observed: Observed) -> App {
        self.observed = Some(observed);
        self.recompute();
        self.baseline_report = self.report.clone();
        self
    }

    /// Preset `index` as the planner shows it: held against the deployment, with its facts.
    pub(super) fn preset_plan(&self, index: usize) -> Result<Plan, InputError> {
        let loaded = load_preset(planner_presets(Some(self))[index])?;
        Ok(inputs::with_deployment_facts(loaded, self.deployment.as_ref()).plan)
    }

    /// Says what `what` (undo, redo) changed from `before`, and selects that knob.
    pub(super) fn report_change(&mut self, what: &str, before: &Plan) {
        let changed: Vec<Knob> =
            Knob::for_plan(self.plan()).into_iter().filter(|k| k.display(before) != k.display(self.plan())).collect();
        if let Some(first) = changed.first() {
            self.selected = *first;
            self.focus = Focus::Plan;
        }
        let text = match changed.as_slice() {
            [] => format!("{what}: back to {}", self.origin),
            [knob] => format!(
                "{what}: {} {} {} (was {})",
                knob.group(),
                knob.label(),
                knob.display(self.plan()),
                knob.display(before)
            ),
            many => {
                let labels: Vec<String> = many.iter().take(3).map(|k| format!("{} {}", k.group(), k.label())).collect();
                let more = if many.len() > 3 { " and more" } else { "" };
                format!("{what}: {} values ({}{more})", many.len(), labels.join(", "))
            }
        };
        self.tell(text);
    }

    /// The path `s` or `e` suggests. The plan: where it was saved last, else its own file,
    /// else a new one. The override: beside the deployment's compose file.
    pub(super) fn suggestion(&self, output: Output) -> String {
        match output {
            Output::Plan => match (&self.saved_path, self.preset) {
                (Some(path), _) => path.display().to_string(),
                // Opened on a plan file (with or without its deployment): that file.
                (None, None) if matches!(self.loaded.locator, Locator::Plan(_)) => self.loaded.file.clone(),
                // The README's name: its CI check reads flowcap.yaml.
                _ => "flowcap.yaml".to_string(),
            },
            Output::Override if self.plan().platform == Platform::Kubernetes => "values-flowcap.yaml".to_string(),
            Output::Override => {
                let folder = self.deployment.as_ref().and_then(|d| Path::new(&d.project.files[0].name).parent());
                folder.unwrap_or(Path::new("")).join("docker-compose.override.yml").display().to_string()
            }
        }
    }
}
