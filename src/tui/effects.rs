//! The planner's only I/O: carrying out the [`Effect`]s `update` returns. Each effect that
//! has an outcome answers with a [`Msg`] that goes back through `update`.

use super::state::{App, Consent, Effect, Msg, Output, ReadBack};
use super::update::update;
use crate::inputs;
use crate::io::error::InputError;
use crate::io::write::{needs_force, retire, write_all_safely};
use crate::model::cluster::Platform;
use std::path::{Path, PathBuf};

/// What one write makes: the files (path, contents), the files to retire once they are
/// written, and for an override the command that applies it.
struct FileSet {
    files: Vec<(PathBuf, String)>,
    retired: Vec<PathBuf>,
    apply: Option<String>,
}

/// Runs `msg` through `update` and carries out what it asks, feeding each outcome back in,
/// until nothing is left to do. Returns whether the planner should quit.
pub fn dispatch(app: &mut App, msg: Msg) -> bool {
    let mut next = Some(msg);
    while let Some(msg) = next.take() {
        match update(app, msg) {
            Some(Effect::Quit) => return true,
            Some(effect) => next = perform(app, effect),
            None => {}
        }
    }
    false
}

/// Carries out `effect`, returning the message that reports its outcome.
pub fn perform(app: &App, effect: Effect) -> Option<Msg> {
    match effect {
        Effect::Quit => None,
        Effect::Write { output, path, consent } => Some(match write(app, output, &path, consent) {
            Ok(Written::Files(files, apply)) => Msg::Wrote { output, path, files, apply },
            Ok(Written::AskFirst(needs_force)) => Msg::AskToReplace { output, path, needs_force },
            Err(error) => Msg::WriteFailed(error.to_string()),
        }),
        Effect::ReadDeployment(path) => {
            let deployment = app.deployment.as_ref()?;
            match inputs::with_override(deployment, &path, crate::platform::compose::Environment::from_process()) {
                Ok(read) => Some(Msg::DeploymentRead(ReadBack(Box::new(read)))),
                Err(error) => {
                    Some(Msg::WriteFailed(format!("wrote it, but cannot read the deployment with it: {error}")))
                }
            }
        }
    }
}

enum Written {
    /// The files written, and for an override the command that applies it.
    Files(Vec<PathBuf>, Option<String>),
    /// Files are in the way and the operator has not agreed; with the reason one of them is
    /// not flowcap's to replace.
    AskFirst(Option<String>),
}

fn write(app: &App, output: Output, path: &Path, consent: Consent) -> Result<Written, InputError> {
    let FileSet { files, retired, apply } = files(app, output, path)?;
    // What cannot be replaced at all is said before any question about replacing it.
    for (file, _) in &files {
        crate::io::write::ensure_replaceable(file, true)?;
    }
    let in_the_way: Vec<&Path> = files.iter().map(|(file, _)| file.as_path()).filter(|f| f.exists()).collect();
    let needs_force = in_the_way.iter().find_map(|file| needs_force(file).map(|why| (file, why)));
    let needs_force = needs_force.map(|(file, why)| format!("{} {why}", file.display()));
    let asked = match consent {
        Consent::Nothing => !in_the_way.is_empty(),
        Consent::FlowcapFiles => needs_force.is_some(),
        Consent::Anything => false,
    };
    if asked {
        return Ok(Written::AskFirst(needs_force));
    }
    let written = write_all_safely(&files, consent == Consent::Anything)?;
    retire(&retired)?;
    Ok(Written::Files(written, apply))
}

/// The files `output` writes at `path`, and those to retire once they are written (stale
/// balancer configs). The override is exactly what `flowcap export` writes from the same
/// inputs; the plan is never written over a file the session reads other than the plan itself.
fn files(app: &App, output: Output, path: &Path) -> Result<FileSet, InputError> {
    match output {
        Output::Plan => {
            inputs::refuse_inputs(path, None, app.deployment.as_ref(), false, &[])?;
            let plan = app.loaded.to_save(app.plan());
            let edited = if *app.plan() == app.baseline { "" } else { ", edited in the planner" };
            let text = plan.to_file_text(&format!("from {}{edited}.", app.origin))?;
            Ok(FileSet { files: vec![(path.to_path_buf(), text)], retired: Vec::new(), apply: None })
        }
        Output::Override if app.plan().platform == Platform::Kubernetes => {
            let read = app.values.as_ref().map_or(&[][..], |values| &values.read);
            let (text, apply) = inputs::export_values(app.plan(), &app.loaded.file, path, read)?;
            Ok(FileSet { files: vec![(path.to_path_buf(), text)], retired: Vec::new(), apply: Some(apply) })
        }
        Output::Override => inputs::export(app.plan(), &app.loaded.file, app.deployment.as_ref(), path, false)
            .map(|export| FileSet { files: export.files, retired: export.retired, apply: Some(export.apply) }),
    }
}
