//! The layers hold: each source file imports only files of its own layer or below, and no
//! files import each other in a cycle (docs/design.md draws the layers). The core stays free of
//! terminal code: only `src/tui/` may use ratatui or crossterm, so `--check` and the planner
//! share one analysis and the core stays cheap to test.
//!
//! Imports are read with syn: every `use` tree and every `crate::`/`super::`/`self::`/
//! `flowcap::` path (in code and in macro arguments), each resolved to the file that defines
//! it, through `pub use` re-exports to the file they name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The layers, lowest first: a file may import its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &["io"],
    &["model"],
    &["analysis"],
    &["platform", "observe"],
    &["report"],
    &["inputs"],
    &["cli", "tui"],
    &["commands"],
    &["main"],
];

/// The binary's own modules (declared in main.rs); every other file is the library's.
const BINARY: &[&str] = &["main", "cli", "commands"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A source file's module path: `src/model/plan.rs` → `["model", "plan"]`, `mod.rs` its folder,
/// `lib.rs` the library's root (`[]`), `main.rs` → `["main"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Everything one file refers to: full paths (`crate` resolved), and what it re-exports.
#[derive(Default)]
struct Refs {
    /// The module the code being visited is in (the file's, plus inline `mod` blocks).
    module: Vec<String>,
    /// Whether the file is the binary's (where `crate` is the binary and `flowcap` the library).
    binary: bool,
    paths: Vec<Vec<String>>,
    /// `pub use` names: the name as seen here → the full path it stands for.
    exports: BTreeMap<String, Vec<String>>,
}

impl Refs {
    /// A path as written, made absolute: `["lib" | "bin", ...]`. A path that starts with a plain
    /// name is taken as relative to this module (a child module, as in `pub use env::Environment`);
    /// another crate's or a name in scope then resolves to this file itself, which is no import.
    fn absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        let own = if self.binary { "bin" } else { "lib" };
        let first = segments.first()?;
        let (mut base, rest) = match first.as_str() {
            "crate" => (vec![own.to_string()], &segments[1..]),
            "flowcap" => (vec!["lib".to_string()], &segments[1..]),
            "self" => (self.rooted(own), &segments[1..]),
            "super" => {
                let mut base = self.rooted(own);
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            _ => (self.rooted(own), segments),
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn rooted(&self, own: &str) -> Vec<String> {
        let module = if self.binary {
            self.module.iter().filter(|m| *m != "main").cloned().collect()
        } else {
            self.module.clone()
        };
        std::iter::once(own.to_string()).chain(module).collect()
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                let mut prefix = prefix;
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, public);
            }
            syn::UseTree::Name(n) => self.used(prefix, &n.ident.to_string(), &n.ident.to_string(), public),
            syn::UseTree::Rename(r) => self.used(prefix, &r.ident.to_string(), &r.rename.to_string(), public),
            syn::UseTree::Glob(_) => {
                if let Some(path) = self.absolute(&prefix) {
                    self.paths.push(path);
                }
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix.clone(), tree, public);
                }
            }
        }
    }

    fn used(&mut self, mut prefix: Vec<String>, name: &str, alias: &str, public: bool) {
        if name != "self" {
            prefix.push(name.to_string());
        }
        let Some(path) = self.absolute(&prefix) else { return };
        if public {
            self.exports.insert(alias.to_string(), path);
        } else {
            self.paths.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        self.use_tree(Vec::new(), &item.tree, public);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(path) = self.absolute(&segments) {
            self.paths.push(path);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Macro arguments are tokens, not syntax: read them as the expressions most macros take
        // (format!, assert!, vec!), else look for `crate :: a :: b` among the tokens.
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(arguments) = mac.parse_body_with(parser) {
            for argument in &arguments {
                self.visit_expr(argument);
            }
        } else {
            let tokens: Vec<String> = mac.tokens.to_string().split_whitespace().map(String::from).collect();
            for (at, token) in tokens.iter().enumerate() {
                if ["crate", "super", "flowcap"].contains(&token.as_str()) {
                    let segments: Vec<String> = std::iter::once(token.clone())
                        .chain(
                            tokens[at + 1..]
                                .chunks(2)
                                .take_while(|pair| pair[0] == "::")
                                .filter_map(|p| p.get(1).cloned()),
                        )
                        .collect();
                    if let Some(path) = self.absolute(&segments) {
                        self.paths.push(path);
                    }
                }
            }
        }
        syn::visit::visit_macro(self, mac);
    }

    /// `pub(super)` names a module that may see an item, not one it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// The source tree as files and what each refers to.
struct Tree {
    /// Absolute module path (`["lib", "model", "plan"]`) → the file's name under `src/`.
    files: BTreeMap<Vec<String>, String>,
    refs: BTreeMap<String, Refs>,
}

impl Tree {
    fn read(src: &Path) -> Tree {
        let mut paths = Vec::new();
        rust_files(src, &mut paths);
        let (mut files, mut refs) = (BTreeMap::new(), BTreeMap::new());
        for path in paths {
            let module = module_of(src, &path);
            let binary = module.first().is_some_and(|m| BINARY.contains(&m.as_str()));
            let name = path.strip_prefix(src).unwrap().display().to_string();
            let root = if binary { "bin" } else { "lib" };
            let key: Vec<String> = std::iter::once(root.to_string())
                .chain(module.iter().filter(|m| !(binary && *m == "main")).cloned())
                .collect();
            let text = std::fs::read_to_string(&path).unwrap();
            let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut found = Refs { module, binary, ..Refs::default() };
            found.visit_file(&syntax);
            files.insert(key, name.clone());
            refs.insert(name, found);
        }
        Tree { files, refs }
    }

    /// The file that defines what `path` names: the longest module prefix that is a file,
    /// followed through that file's `pub use` of the next name.
    fn file_of(&self, path: &[String], depth: usize) -> Option<String> {
        let prefix = (1..=path.len()).rev().find(|&n| self.files.contains_key(&path[..n]))?;
        let file = &self.files[&path[..prefix]];
        if depth < 8
            && let Some(next) = path.get(prefix)
            && let Some(target) = self.refs[file].exports.get(next)
        {
            let mut target = target.clone();
            target.extend(path[prefix + 1..].iter().cloned());
            return self.file_of(&target, depth + 1);
        }
        Some(file.clone())
    }

    /// Which files each file imports (itself and the library root left out).
    fn imports(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut imports = BTreeMap::new();
        for (name, refs) in &self.refs {
            let targets: BTreeSet<String> = refs
                .paths
                .iter()
                .filter_map(|p| self.file_of(p, 0))
                .filter(|target| target != name && target != "lib.rs")
                .collect();
            imports.insert(name.clone(), targets);
        }
        imports
    }
}

fn layer(file: &str) -> Option<usize> {
    let top = file.split('/').next()?.trim_end_matches(".rs");
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// Every import up the layers and every cycle between files, as sentences.
fn violations(src: &Path) -> Vec<String> {
    let imports = Tree::read(src).imports();
    let mut found = Vec::new();
    for (file, targets) in &imports {
        for target in targets {
            match (layer(file), layer(target)) {
                (Some(from), Some(to)) if to > from => found.push(format!("{file} imports {target}, a layer above it")),
                (None, _) if file != "lib.rs" => found.push(format!("{file} is in no layer")),
                _ => {}
            }
        }
    }
    for component in cycles(&imports) {
        found.push(format!("a cycle: {}", shortest_cycle(&imports, &component).join(" → ")));
    }
    found
}

/// The shortest import path from the first file of `component` back to it, through its files:
/// the imports to break.
fn shortest_cycle(imports: &BTreeMap<String, BTreeSet<String>>, component: &[String]) -> Vec<String> {
    let start = &component[0];
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(file) = queue.pop_front() {
        for target in imports[file].iter().filter(|t| component.contains(t)) {
            if target == start {
                let mut chain = Vec::new();
                let mut at = file;
                while at != start {
                    chain.push(at.clone());
                    at = came_from[at];
                }
                chain.reverse();
                return std::iter::once(start.clone()).chain(chain).chain([start.clone()]).collect();
            }
            if !came_from.contains_key(target) {
                came_from.insert(target, file);
                queue.push_back(target);
            }
        }
    }
    component.to_vec()
}

/// The strongly connected components of more than one file (Tarjan), each as a path that
/// closes on its first file.
fn cycles(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Search<'a> {
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, file: &'a str) {
            let at = self.index.len();
            self.index.insert(file, at);
            self.low.insert(file, at);
            self.stack.push(file);
            for target in self.imports.get(file).into_iter().flatten() {
                let target = target.as_str();
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[file].min(self.low[target]);
                    self.low.insert(file, low);
                } else if self.stack.contains(&target) {
                    let low = self.low[file].min(self.index[target]);
                    self.low.insert(file, low);
                }
            }
            if self.low[file] == self.index[file] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    component.push(top.to_string());
                    if top == file {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.reverse();
                    component.push(component[0].clone());
                    self.components.push(component);
                }
            }
        }
    }
    let mut search =
        Search { imports, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), components: Vec::new() };
    for file in imports.keys() {
        if !search.index.contains_key(file.as_str()) {
            search.visit(file);
        }
    }
    search.components
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layers").join(name).join("src")
}

#[test]
fn the_sources_keep_their_layers_without_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let imports = Tree::read(&src).imports();
    assert!(imports.len() > 40, "found the sources");
    // The check sees imports at all: the report imports the analysis.
    assert!(imports["report/check.rs"].iter().any(|t| t.starts_with("analysis/")), "{:?}", imports["report/check.rs"]);
    assert_eq!(violations(&src), Vec::<String>::new());
}

#[test]
fn a_cycle_between_files_is_found_behind_a_re_export() {
    // io/a.rs uses crate::io::b::B; io/b.rs uses super::A, which io/mod.rs re-exports from
    // io/a.rs; io/c.rs is imported by both.
    assert_eq!(violations(&fixture("cycle")), ["a cycle: io/a.rs → io/b.rs → io/a.rs"]);
}

#[test]
fn an_import_up_the_layers_is_found() {
    // model/plan.rs imports io through io/mod.rs's re-export (allowed); io/text.rs reaches up to
    // the model in a format! argument.
    assert_eq!(violations(&fixture("upward")), ["io/text.rs imports model/plan.rs, a layer above it"]);
}

#[test]
fn only_io_yaml_names_the_yaml_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let door = src.join("io/yaml.rs");
    let named: Vec<String> = files
        .iter()
        .filter(|f| **f != door && std::fs::read_to_string(f).unwrap().contains("serde_yaml"))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert!(std::fs::read_to_string(&door).unwrap().contains("serde_yaml"), "the door is where it was");
    assert_eq!(named, Vec::<String>::new(), "YAML goes through io/yaml.rs");
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

#[test]
fn no_source_file_is_over_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|file| (file, std::fs::read_to_string(file).unwrap().lines().count()))
        .filter(|(_, lines)| *lines > 600)
        .map(|(file, lines)| format!("{}: {lines} lines", file.strip_prefix(&src).unwrap().display()))
        .collect();
    assert_eq!(long, Vec::<String>::new(), "split along the seams");
}

/// The functions of a test file that need a tool the machine may lack: the common helpers that
/// ask for one, and every function of the file that calls one of those, however deep.
fn needing_a_tool(syntax: &syn::File) -> BTreeSet<String> {
    #[derive(Default)]
    struct Calls(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Calls {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let syn::Expr::Path(path) = &*call.func {
                let segments = &path.path.segments;
                let last = segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                // `Tmux::start`, `chart()`: a type's function by the type's and its own name.
                let named = match segments.len() {
                    n if n >= 2 => format!("{}::{last}", segments[n - 2].ident),
                    _ => last.clone(),
                };
                self.0.extend([last, named]);
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut functions: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut collect = |name: String, block: &syn::Block| {
        let mut calls = Calls::default();
        calls.visit_block(block);
        functions.push((name, calls.0));
    };
    for item in &syntax.items {
        match item {
            syn::Item::Fn(f) => collect(f.sig.ident.to_string(), &f.block),
            syn::Item::Impl(i) => {
                let owner = match &*i.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
                    _ => String::new(),
                };
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item {
                        collect(format!("{owner}::{}", f.sig.ident), &f.block);
                    }
                }
            }
            _ => {}
        }
    }
    let mut needing: BTreeSet<String> =
        ["require", "shared_fixtures", "prometheus", "prometheus_serving", "server_binaries"].map(String::from).into();
    loop {
        let more: Vec<String> = functions
            .iter()
            .filter(|(name, calls)| !needing.contains(name) && calls.iter().any(|c| needing.contains(c)))
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            return needing;
        }
        needing.extend(more);
    }
}

#[test]
fn a_test_that_needs_a_tool_is_ignored_without_it() {
    // `#[cfg_attr(missing = "TOOL", ignore = "needs TOOL")]` (build.rs sets the cfg): the
    // summary names what did not run here, and CI, where nothing is missing, runs it.
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    let (mut marked, mut unmarked) = (0, Vec::new());
    for file in files.iter().filter(|f| !f.starts_with(tests.join("common"))) {
        let syntax = syn::parse_file(&std::fs::read_to_string(file).unwrap()).unwrap();
        let needing = needing_a_tool(&syntax);
        for item in &syntax.items {
            let syn::Item::Fn(f) = item else { continue };
            let is = |name: &str| f.attrs.iter().any(|a| a.path().is_ident(name));
            if !is("test") || !needing.contains(&f.sig.ident.to_string()) {
                continue;
            }
            let ignored = f.attrs.iter().any(|a| match &a.meta {
                syn::Meta::List(list) if a.path().is_ident("cfg_attr") => {
                    let text = list.tokens.to_string();
                    text.contains("missing") && text.contains("ignore")
                }
                _ => false,
            });
            match ignored {
                true => marked += 1,
                false => unmarked.push(format!("{}: {}", file.strip_prefix(&tests).unwrap().display(), f.sig.ident)),
            }
        }
    }
    assert!(marked >= 20, "found the tests that need a tool: {marked}");
    assert_eq!(unmarked, Vec::<String>::new(), "tests that need a tool but are not ignored without it");
}
