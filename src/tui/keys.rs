//! Every key binding, in one table. The key handler, the hint bar, the `?` overlay and the
//! key table in docs/guide.md are all read from [`BINDINGS`], so they cannot disagree.

use super::state::{App, Erase, Focus, Mode, Move, Msg, Output, PAGE};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding acts: the mode, and in normal mode the focused pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Plan,
    Findings,
    /// Typing a value or a path.
    Editing,
    /// A y/n question: replace a file flowcap wrote, or quit with unsaved changes.
    Question,
    /// Replacing a file flowcap did not write.
    Force,
    Help,
    /// One finding open whole.
    Finding,
}

impl Context {
    pub fn of(app: &App) -> Context {
        match (&app.mode, app.focus) {
            (Mode::Normal, Focus::Plan) => Context::Plan,
            (Mode::Normal, Focus::Findings) => Context::Findings,
            (Mode::EditKnob(_) | Mode::Path { .. }, _) => Context::Editing,
            (Mode::ConfirmOverwrite { needs_force: Some(_), .. }, _) => Context::Force,
            (Mode::ConfirmOverwrite { .. } | Mode::ConfirmQuit, _) => Context::Question,
            (Mode::Help, _) => Context::Help,
            (Mode::Finding(_), _) => Context::Finding,
        }
    }
}

/// A key as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Code(KeyCode),
    Ctrl(char),
    /// A digit or `.`: starts typing a value.
    Digit,
    /// Any printable character (while typing).
    Printable,
}

impl Key {
    fn matches(self, code: KeyCode, ctrl: bool) -> bool {
        match (self, code) {
            (Key::Ctrl(want), KeyCode::Char(got)) => ctrl && want == got,
            _ if ctrl => false,
            (Key::Char(want), KeyCode::Char(got)) => want == got,
            (Key::Code(want), got) => want == got,
            (Key::Digit, KeyCode::Char(c)) => c.is_ascii_digit() || c == '.',
            (Key::Printable, KeyCode::Char(c)) => !c.is_control(),
            _ => false,
        }
    }
}

/// What a binding does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Send(Msg),
    /// The typed character.
    Type,
}

pub struct Binding {
    pub contexts: &'static [Context],
    pub keys: &'static [Key],
    /// The keys as the help and the guide show them; empty when the row above names them too.
    pub label: &'static str,
    pub action: Action,
    /// The help text; `None` when the row above says it for both.
    pub help: Option<&'static str>,
    /// The hint bar's entry in these contexts: the key and a word or two.
    pub hint: Option<&'static str>,
}

const NORMAL: &[Context] = &[Context::Plan, Context::Findings];
const PLAN: &[Context] = &[Context::Plan];
const FINDINGS: &[Context] = &[Context::Findings];
const EVERYWHERE: &[Context] = &[
    Context::Plan,
    Context::Findings,
    Context::Editing,
    Context::Question,
    Context::Force,
    Context::Help,
    Context::Finding,
];

const fn bind(
    contexts: &'static [Context],
    keys: &'static [Key],
    label: &'static str,
    action: Action,
    help: Option<&'static str>,
    hint: Option<&'static str>,
) -> Binding {
    Binding { contexts, keys, label, action, help, hint }
}

use Key::{Char, Code, Ctrl};

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(PLAN, &[Code(KeyCode::Up), Char('k')], "↑ ↓  k j", Action::Send(Msg::Move(Move::Up(1))),
         Some("select a knob (or click it); in Findings: scroll"), Some("↑↓ select")),
    bind(PLAN, &[Code(KeyCode::Down), Char('j')], "", Action::Send(Msg::Move(Move::Down(1))), None, None),
    bind(FINDINGS, &[Code(KeyCode::Up), Char('k')], "", Action::Send(Msg::Move(Move::Up(1))), None, Some("↑↓ scroll")),
    bind(FINDINGS, &[Code(KeyCode::Down), Char('j')], "", Action::Send(Msg::Move(Move::Down(1))), None, None),
    bind(FINDINGS, &[Code(KeyCode::Enter)], "Enter", Action::Send(Msg::OpenFinding),
         Some("in Findings: read the finding at the top whole"), Some("Enter read")),
    bind(&[Context::Finding], &[Code(KeyCode::Esc), Code(KeyCode::Enter), Char('q')], "", Action::Send(Msg::Cancel),
         None, Some("Esc close")),
    bind(NORMAL, &[Code(KeyCode::PageUp)], "PgUp PgDn Home End g G", Action::Send(Msg::Move(Move::Up(PAGE))),
         Some("five up, down; the first, the last"), None),
    bind(NORMAL, &[Code(KeyCode::PageDown)], "", Action::Send(Msg::Move(Move::Down(PAGE))), None, None),
    bind(NORMAL, &[Code(KeyCode::Home), Char('g')], "", Action::Send(Msg::Move(Move::First)), None, None),
    bind(NORMAL, &[Code(KeyCode::End), Char('G')], "", Action::Send(Msg::Move(Move::Last)), None, None),
    bind(NORMAL, &[Code(KeyCode::Tab), Code(KeyCode::BackTab)], "Tab  Shift-Tab", Action::Send(Msg::SwitchFocus),
         Some("switch between the Plan and the Findings"), Some("Tab switch pane")),
    bind(PLAN, &[Code(KeyCode::Left), Char('h'), Char('-')], "← →  h l  - +", Action::Send(Msg::Step { up: false }),
         Some("step the value (the wheel only scrolls)"), Some("←→ adjust")),
    bind(PLAN, &[Code(KeyCode::Right), Char('l'), Char('+')], "", Action::Send(Msg::Step { up: true }), None, None),
    bind(PLAN, &[Key::Digit, Char('n')], "0-9 .  n", Action::Type,
         Some("type a value with its unit (8G, 0.5, 30s), or none"), Some("0-9 type")),
    bind(PLAN, &[Char('x'), Code(KeyCode::Delete), Code(KeyCode::Backspace)], "x  Delete  Backspace", Action::Send(Msg::Clear),
         Some("clear: no limit, no host, no workload, no target"), None),
    bind(NORMAL, &[Char('p')], "p", Action::Send(Msg::NextPreset),
         Some("next built-in preset (u brings your plan back)"), Some("p preset")),
    bind(NORMAL, &[Char('o')], "o", Action::Send(Msg::Solve),
         Some("apply the smallest change that meets the workload"), Some("o solve")),
    bind(NORMAL, &[Char('u')], "u  Ctrl-r", Action::Send(Msg::Undo), Some("undo, redo"), Some("u undo")),
    bind(NORMAL, &[Ctrl('r')], "", Action::Send(Msg::Redo), None, None),
    bind(NORMAL, &[Char('s')], "s", Action::Send(Msg::StartWrite(Output::Plan)),
         Some("save the plan (asks for a path)"), Some("s save")),
    bind(NORMAL, &[Char('e')], "e", Action::Send(Msg::StartWrite(Output::Override)),
         Some("export the override or Helm values (asks for a path)"), Some("e export")),
    bind(NORMAL, &[Char('?')], "?", Action::Send(Msg::ToggleHelp), Some("this help"), Some("? help")),
    bind(NORMAL, &[Char('q')], "q  Ctrl-c", Action::Send(Msg::Quit),
         Some("quit (asks first if there are unsaved changes)"), Some("q quit")),
    bind(NORMAL, &[Code(KeyCode::Esc)], "Esc", Action::Send(Msg::Cancel), Some("dismiss a refused value"), None),
    bind(&[Context::Editing], &[Code(KeyCode::Enter)], "Enter  Esc", Action::Send(Msg::Confirm),
         Some("typing: apply, cancel (← → Home End move the cursor)"), Some("Enter apply")),
    bind(&[Context::Editing], &[Code(KeyCode::Esc)], "", Action::Send(Msg::Cancel), None, Some("Esc cancel")),
    bind(&[Context::Editing], &[Code(KeyCode::Left)], "", Action::Send(Msg::MoveCursor(Move::Up(1))), None, None),
    bind(&[Context::Editing], &[Code(KeyCode::Right)], "", Action::Send(Msg::MoveCursor(Move::Down(1))), None, None),
    bind(&[Context::Editing], &[Code(KeyCode::Home)], "", Action::Send(Msg::MoveCursor(Move::First)), None, None),
    bind(&[Context::Editing], &[Code(KeyCode::End)], "", Action::Send(Msg::MoveCursor(Move::Last)), None, None),
    bind(&[Context::Editing], &[Code(KeyCode::Backspace)], "", Action::Send(Msg::Backspace), None, None),
    bind(&[Context::Editing], &[Ctrl('u')], "Ctrl-u  Ctrl-w", Action::Send(Msg::Erase(Erase::ToStart)),
         Some("typing: erase to the start, the word before the cursor"), None),
    bind(&[Context::Editing], &[Ctrl('w')], "", Action::Send(Msg::Erase(Erase::Word)), None, None),
    bind(&[Context::Editing], &[Key::Printable], "", Action::Type, None, None),
    bind(&[Context::Question], &[Char('y'), Char('Y')], "y  n", Action::Send(Msg::Yes),
         Some("replace a file flowcap wrote? quit unsaved?"), Some("y yes")),
    bind(&[Context::Question, Context::Force], &[Char('n'), Char('N'), Code(KeyCode::Esc)], "", Action::Send(Msg::No),
         None, Some("n no")),
    bind(&[Context::Force], &[Char('F')], "F", Action::Send(Msg::Force),
         Some("replace a file flowcap did not write, as --force"), Some("F replace")),
    bind(&[Context::Help], &[Char('?'), Code(KeyCode::Esc), Char('q')], "", Action::Send(Msg::ToggleHelp), None,
         Some("Esc close")),
    bind(EVERYWHERE, &[Ctrl('c')], "", Action::Send(Msg::Abort), None, None),
];

/// What `key` means in the app's current context. Alt-modified keys mean nothing: Alt-q is
/// not q.
pub fn message_for_key(app: &App, key: KeyEvent) -> Option<Msg> {
    if key.modifiers.intersects(KeyModifiers::ALT | KeyModifiers::META | KeyModifiers::SUPER) {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let context = Context::of(app);
    let binding =
        BINDINGS.iter().find(|b| b.contexts.contains(&context) && b.keys.iter().any(|k| k.matches(key.code, ctrl)))?;
    match &binding.action {
        Action::Send(msg) => Some(msg.clone()),
        Action::Type => match key.code {
            KeyCode::Char(c) => Some(Msg::Type(c)),
            _ => None,
        },
    }
}

/// The hint bar's entries in `context`: `↑↓ select`, `←→ adjust`, ...
pub fn hints(context: Context) -> Vec<&'static str> {
    BINDINGS.iter().filter(|b| b.contexts.contains(&context)).filter_map(|b| b.hint).collect()
}

/// The rows of the `?` overlay and the guide's table: (keys, what they do).
pub fn help_rows() -> Vec<(&'static str, &'static str)> {
    BINDINGS.iter().filter_map(|b| Some((b.label, b.help?))).collect()
}

/// The guide's key table, exactly.
pub fn markdown_table() -> String {
    let mut table = String::from("| keys | does |\n|---|---|\n");
    for (keys, does) in help_rows() {
        table.push_str(&format!("| {} | {does} |\n", keys.split_whitespace().collect::<Vec<_>>().join(" ")));
    }
    table
}
