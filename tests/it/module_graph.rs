//! The house rule that keeps walab simple to read: modules point one way. No file of `src/`
//! imports, directly or through others, a file that imports it back; and the crate's top-level
//! modules (`cli`, `commands`, `tui`, `checks`, `locallab`, …) form no circle either.
//!
//! An import is any `crate::…`, `super::…` or `self::…` path in a file's code (comments and its
//! own `#[cfg(test)]` module aside), resolved to the file that defines what it names: through
//! a module's re-exports (`pub use state::*;`, `pub use modal::Modal;`), `super::App` is the
//! file defining `App`, not the `mod.rs` that re-exports it. A fixture tree proves the reader
//! finds circles through `super::`, `self::` and re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`locallab::cognito::signin`) of every file under `src/`.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
                parts.pop();
            }
            if parts.is_empty() {
                continue; // lib.rs and main.rs are the crate root, which only declares.
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The code of a file without comments, strings' contents matter little, and without its own
/// test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The paths (`crate::a::b`, `super::c`) mentioned in `code`, with `{a, b}` groups expanded
/// one level.
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts = |word: &str| bytes[i..].iter().take(word.len()).copied().eq(word.chars());
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        if boundary && (starts("crate::") || starts("super::") || starts("self::")) {
            let mut j = i;
            let mut segments = Vec::new();
            let mut current = String::new();
            while j < bytes.len() {
                let c = bytes[j];
                if c.is_alphanumeric() || c == '_' {
                    current.push(c);
                    j += 1;
                } else if c == ':' && bytes.get(j + 1) == Some(&':') {
                    segments.push(std::mem::take(&mut current));
                    j += 2;
                } else {
                    break;
                }
            }
            if !current.is_empty() {
                segments.push(current);
            }
            if bytes.get(j) == Some(&'{') {
                // `crate::a::{b, c::d}`: each member extends the path.
                let end = bytes[j..].iter().position(|c| *c == '}').map(|p| j + p).unwrap_or(bytes.len());
                let group: String = bytes[j + 1..end].iter().collect();
                for member in group.split(',') {
                    let mut path = segments.clone();
                    path.extend(member.trim().split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
                    out.push(path);
                }
                i = end;
            } else {
                out.push(segments);
                i = j;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// What a module brings in with `use` (public or not: its children see both): each name it
/// can be reached by, and the path it stands for; `*` for a glob. Paths without `crate::`,
/// `super::` or `self::` name a child module (or an outside crate, which resolves to nothing).
fn reexports(code: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        let line = match line.strip_prefix("pub") {
            Some(rest) if rest.starts_with('(') => rest.split_once(')').map_or("", |(_, r)| r).trim_start(),
            Some(rest) => rest.trim_start(),
            None => line,
        };
        let Some(tree) = line.strip_prefix("use ") else { continue };
        let mut tree = tree.to_string();
        while !tree.contains(';') {
            let Some(more) = lines.next() else { break };
            tree.push(' ');
            tree.push_str(more);
        }
        let tree = tree.split(';').next().unwrap_or_default().replace(":: ", "::").replace(" ::", "::");
        let (prefix, members) = match tree.find("::{") {
            Some(open) => {
                (&tree[..open], tree[open + 3..].trim_end().trim_end_matches('}').split(',').collect::<Vec<_>>())
            }
            None => match tree.rsplit_once("::") {
                Some((prefix, last)) => (prefix, vec![last]),
                None => continue,
            },
        };
        let prefix: Vec<String> = prefix.trim().split("::").map(String::from).collect();
        for member in members.into_iter().map(str::trim).filter(|m| !m.is_empty() && !m.contains('{')) {
            let (original, name) = member.split_once(" as ").map_or((member, member), |(o, n)| (o.trim(), n.trim()));
            let mut path = prefix.clone();
            path.extend(original.split("::").map(String::from));
            let name = name.rsplit("::").next().unwrap_or(name).to_string();
            if name != "self" && name != "_" {
                found.push((name, path));
            }
        }
    }
    found
}

/// Whether `code` defines an item called `name` (what a glob re-export makes visible).
fn defines(code: &str, name: &str) -> bool {
    const KINDS: [&str; 9] = ["struct", "enum", "fn", "trait", "type", "const", "static", "mod", "union"];
    code.split(['\n', '{', ';']).any(|line| {
        let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == '(' || c == '<' || c == ':').collect();
        words.windows(2).any(|w| KINDS.contains(&w[0]) && w[1] == name)
    })
}

/// Everything the graph is read from: each module's file and code.
struct Tree {
    files: BTreeMap<String, PathBuf>,
    code: BTreeMap<String, String>,
}

impl Tree {
    fn read(src: &Path) -> Tree {
        let files = modules(src);
        let code =
            files.iter().map(|(name, file)| (name.clone(), code_of(&std::fs::read_to_string(file).unwrap()))).collect();
        Tree { files, code }
    }

    /// The module `item` of module `module` comes from, through its re-exports (`depth`
    /// bounds a chain of them).
    fn origin(&self, module: &str, item: &str, depth: usize) -> Option<String> {
        let code = self.code.get(module)?;
        if depth == 0 || defines(code, item) {
            return None;
        }
        let mut globs = Vec::new();
        for (name, path) in reexports(code) {
            let path = if ["crate", "super", "self"].contains(&path[0].as_str()) {
                path
            } else {
                std::iter::once("self".to_string()).chain(path).collect()
            };
            if name == item {
                return resolve(module, &path, self, depth - 1);
            }
            if name == "*" {
                globs.extend(resolve(module, &path, self, depth - 1));
            }
        }
        globs
            .into_iter()
            .find(|glob| {
                self.code.get(glob).is_some_and(|c| defines(c, item)) || self.origin(glob, item, depth - 1).is_some()
            })
            .map(|glob| self.origin(&glob, item, depth - 1).unwrap_or(glob))
    }
}

/// The file a path in module `from` names: the longest prefix that is a module, or, when the
/// next segment is an item that module re-exports, the module the item comes from.
fn resolve(from: &str, path: &[String], tree: &Tree, depth: usize) -> Option<String> {
    let modules = &tree.files;
    let mut base: Vec<String> = from.split("::").map(String::from).collect();
    // In `a/b.rs` `super` is `a`; in `a/b/mod.rs` too, `self` is `a::b` either way.
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        _ => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
    }
    let mut best = None;
    for n in 1..=rest.len() {
        let mut candidate = base.clone();
        candidate.extend(rest[..n].iter().cloned());
        let name = candidate.join("::");
        if modules.contains_key(&name) {
            best = Some((name, n));
        }
    }
    let (module, used) = match best {
        Some(found) => found,
        None => ((!base.is_empty()).then(|| base.join("::")).filter(|b| modules.contains_key(b))?, 0),
    };
    match rest.get(used) {
        Some(item) => Some(tree.origin(&module, item, depth).unwrap_or(module)),
        None => Some(module),
    }
}

/// How many re-exports deep a name is followed.
const DEPTH: usize = 8;

/// `MODULE_GRAPH_SRC` reads another tree (an older checkout, to compare).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::env::var_os("MODULE_GRAPH_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    graph_of(&src)
}

fn graph_of(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let tree = Tree::read(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in &tree.code {
        let targets = edges.entry(name.clone()).or_default();
        for path in paths(code) {
            if let Some(target) = resolve(name, &path, &tree, DEPTH)
                && target != *name
                // A module's own children are its inner parts, not imports.
                && !(target.starts_with(&format!("{name}::")) && path.first().is_some_and(|s| s == "self"))
            {
                targets.insert(target);
            }
        }
    }
    edges
}

/// A cycle in `edges`, if any, as the list of its nodes.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut found = stack[start..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Mark::New => {
                    if let Some(found) = visit(next, edges, marks, stack) {
                        return Some(found);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(found) = visit(node, edges, &mut marks, &mut Vec::new())
        {
            return Some(found);
        }
    }
    None
}

#[test]
fn no_file_of_src_imports_one_that_imports_it_back() {
    let edges = graph();
    if std::env::var_os("MODULE_GRAPH_PRINT").is_some() {
        for (from, targets) in &edges {
            println!("{from} → {}", targets.iter().cloned().collect::<Vec<_>>().join(", "));
        }
    }
    assert!(edges.len() > 40, "the graph was read: {} files", edges.len());
    if let Some(found) = cycle(&edges) {
        panic!("import circle between files: {}", found.join(" → "));
    }
}

#[test]
fn the_top_level_modules_point_one_way() {
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in graph() {
        let from_top = top(&from);
        let entry = edges.entry(from_top.clone()).or_default();
        for target in targets {
            if top(&target) != from_top {
                entry.insert(top(&target));
            }
        }
    }
    if let Some(found) = cycle(&edges) {
        panic!("import circle between top-level modules: {}", found.join(" → "));
    }
}

#[test]
fn the_reader_finds_imports_and_circles() {
    let found = paths(&code_of("use crate::a::{b, c::D};\nlet x = super::e::f(); // crate::not::this"));
    let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["crate::a::b", "crate::a::c::D", "super::e::f"]);
    let edges = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycle(&edges), Some(vec!["a".to_string(), "b".to_string(), "a".to_string()]));
}

/// A fake `src/` written to a temporary directory: (path, code) per file.
fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, code) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, code).unwrap();
    }
    dir
}

#[test]
fn a_circle_through_super_self_and_re_exports_is_found() {
    // tui::app as it was: state and modal reach each other only through the mod.rs's
    // re-exports (a glob and a named one).
    let through_re_exports = fixture(&[
        ("lib.rs", "pub mod app;\n"),
        ("app/mod.rs", "mod modal;\nmod state;\npub use modal::{Modal, on_key};\npub use state::*;\n"),
        ("app/state.rs", "use super::Modal;\npub struct App {\n    pub modal: Option<Modal>,\n}\n"),
        ("app/modal.rs", "pub enum Modal {}\npub fn on_key(app: &mut super::App) {}\n"),
    ]);
    let edges = graph_of(through_re_exports.path());
    assert_eq!(edges["app::state"], BTreeSet::from(["app::modal".to_string()]), "{edges:?}");
    assert_eq!(edges["app::modal"], BTreeSet::from(["app::state".to_string()]), "{edges:?}");
    assert!(cycle(&edges).is_some());

    // `self::` in a re-export, `super::` and `crate::` paths, and a rename.
    let through_self = fixture(&[
        ("lib.rs", "pub mod a;\n"),
        ("a/mod.rs", "mod b;\nmod c;\npub(crate) use self::b::B as Renamed;\n"),
        ("a/b.rs", "pub struct B;\nfn f() { crate::a::c::g(); }\n"),
        ("a/c.rs", "use super::Renamed;\npub fn g() {}\n"),
    ]);
    let found = cycle(&graph_of(through_self.path())).expect("the circle b → c → b");
    assert!(found.contains(&"a::b".to_string()) && found.contains(&"a::c".to_string()), "{found:?}");

    // The same tree with the types in one leaf module has no circle.
    let broken = fixture(&[
        ("lib.rs", "pub mod app;\n"),
        (
            "app/mod.rs",
            "mod modal;\nmod state;\nmod types;\npub use modal::on_key;\npub use state::*;\npub use types::Modal;\n",
        ),
        ("app/types.rs", "pub enum Modal {}\n"),
        ("app/state.rs", "use super::Modal;\npub struct App {\n    pub modal: Option<Modal>,\n}\n"),
        ("app/modal.rs", "use super::Modal;\npub fn on_key(app: &mut super::App, m: Modal) {}\n"),
    ]);
    let edges = graph_of(broken.path());
    assert_eq!(edges["app::modal"], BTreeSet::from(["app::state".to_string(), "app::types".to_string()]));
    assert_eq!(cycle(&edges), None, "{edges:?}");
}
