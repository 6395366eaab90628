//! The core stays free of terminal code: only `src/tui/` may use ratatui or crossterm, so
//! `--check` and the TUI share one analysis and the core stays cheap to test.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_tui_imports_terminal_crates() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let tui = src.join("tui");
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&tui)) {
        let text = std::fs::read_to_string(file).unwrap();
        if text.contains("ratatui") || text.contains("crossterm") {
            offenders.push(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert!(files.len() > 10, "found the sources");
    assert_eq!(offenders, Vec::<String>::new(), "terminal code outside src/tui/");
}
