//! The house rule that keeps walab simple to read: modules point one way. No file of `src/`
//! imports, directly or through others, a file that imports it back; and the crate's top-level
//! modules (`cli`, `commands`, `tui`, `checks`, `locallab`, …) form no circle either.
//!
//! An import is any `crate::…`, `super::…` or `self::…` path in a file's code (comments and its
//! own `#[cfg(test)]` module aside), resolved to the file of the module it names.

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

/// The module a path in module `from` names: the longest prefix that is a module.
fn resolve(from: &str, path: &[String], modules: &BTreeMap<String, PathBuf>, is_dir_module: bool) -> Option<String> {
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
    let _ = is_dir_module;
    let mut best = None;
    for n in 1..=rest.len() {
        let mut candidate = base.clone();
        candidate.extend(rest[..n].iter().cloned());
        let name = candidate.join("::");
        if modules.contains_key(&name) {
            best = Some(name);
        }
    }
    best.or_else(|| (!base.is_empty()).then(|| base.join("::")).filter(|b| modules.contains_key(b)))
}

/// `MODULE_GRAPH_SRC` reads another tree (an older checkout, to compare).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::env::var_os("MODULE_GRAPH_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let modules = modules(&src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, file) in &modules {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let dir_module = file.ends_with("mod.rs");
        let targets = edges.entry(name.clone()).or_default();
        for path in paths(&code) {
            if let Some(target) = resolve(name, &path, &modules, dir_module)
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
