//! The interactive planner. Elm-style: [`state::App`] holds the state, keys and the mouse become
//! [`state::Msg`]s ([`keys`], [`mouse`]), [`update::update`] changes the state, and the screen
//! is a pure function of it ([`view`], which builds each panel's view model). The core never
//! imports this module.

mod capacity;
pub mod effects;
mod findings;
mod help;
pub mod keys;
pub mod knobs;
mod layout;
pub mod mouse;
mod plan_panel;
pub mod state;
mod theme;
pub mod update;
pub mod view;

use crate::model::load::LoadedPlan;
use keys::message_for_key;
use mouse::message_for_mouse;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::execute;
use state::App;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs the planner until the operator quits. The terminal is restored on quit, Ctrl-C, SIGTERM
/// and panic (ratatui's hook, extended to release the mouse).
pub fn run(
    loaded: LoadedPlan,
    deployment: Option<crate::inputs::Deployment>,
    values: Option<state::Values>,
    observed: Option<crate::model::observed::Observed>,
    host_given: bool,
    color: bool,
) -> io::Result<()> {
    let terminate = Arc::new(AtomicBool::new(false));
    // Every signal that would end the process ends the loop instead, so the terminal is
    // restored: a closed SSH session (HUP), kill (TERM, INT, QUIT) and the user signals.
    use signal_hook::consts::{SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    for signal in [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM] {
        signal_hook::flag::register(signal, Arc::clone(&terminate))?;
    }
    let mut app = App::new(loaded, color);
    if host_given {
        app = app.with_given_host();
    }
    if let Some(deployment) = deployment {
        app = app.with_deployment(deployment);
    }
    if let Some(values) = values {
        app = app.with_values(values.deployment, values.read, values.named);
    }
    if let Some(observed) = observed {
        app = app.with_observed(observed);
    }
    let mut terminal = ratatui::init();
    let restore_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        restore_hook(info);
    }));
    let result =
        execute!(io::stdout(), EnableMouseCapture).and_then(|()| event_loop(&mut terminal, &mut app, &terminate));
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Whether the terminal has hung up (an SSH session dropped, a tmux pane killed): reads then
/// return end-of-file forever, and waiting for a key would spin.
fn terminal_gone() -> bool {
    let stdin = rustix::stdio::stdin();
    let mut fds = [rustix::event::PollFd::new(&stdin, rustix::event::PollFlags::IN)];
    let hung_up = rustix::event::PollFlags::HUP | rustix::event::PollFlags::ERR | rustix::event::PollFlags::NVAL;
    let now = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
    matches!(rustix::event::poll(&mut fds, Some(&now)), Ok(n) if n > 0) && fds[0].revents().intersects(hung_up)
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App, terminate: &AtomicBool) -> io::Result<()> {
    let size = terminal.size()?;
    effects::dispatch(app, state::Msg::Resize { width: size.width, height: size.height });
    loop {
        // One layout a frame: drawn, and kept for the mouse.
        let mut drawn = None;
        terminal.draw(|frame| {
            let screen = view::compose(app, frame.area());
            frame.render_widget(&screen, frame.area());
            drawn = screen.drawn();
        })?;
        app.drawn = drawn;
        // Wake up now and then to notice a signal even when no key comes; check it on every
        // pass too, since a terminal that went away can keep `poll` ready forever.
        loop {
            if terminate.load(Ordering::Relaxed) || terminal_gone() {
                return Ok(());
            }
            if event::poll(Duration::from_millis(200))? {
                break;
            }
        }
        // Every event already waiting is handled before the next draw: keys typed faster than
        // frames are drawn do not queue up behind a frame each, and a q or Ctrl-C among them
        // answers at once. A bounded batch, so the screen still moves under a flood.
        let batch_started = std::time::Instant::now();
        // The analysis runs once for the whole batch, before the draw (a plan of a million
        // slots takes milliseconds to analyse; a held key sends dozens a second).
        app.defer_analysis = true;
        loop {
            // A read that fails (the terminal is gone) ends the session.
            let msg = match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => message_for_key(app, key),
                Event::Mouse(mouse) => message_for_mouse(app, mouse),
                Event::Resize(width, height) => Some(state::Msg::Resize { width, height }),
                _ => None,
            };
            if let Some(msg) = msg
                && effects::dispatch(app, msg)
            {
                return Ok(());
            }
            if batch_started.elapsed() >= FRAME || !event::poll(Duration::ZERO)? {
                break;
            }
        }
        app.defer_analysis = false;
        app.refresh();
    }
}

/// The longest a batch of waiting events holds the next draw back.
const FRAME: Duration = Duration::from_millis(16);
