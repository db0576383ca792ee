//! The library's module layout: its top-level modules import one another one way, never in a
//! cycle (#17: shared pieces below the stages that use them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files.extend(sources(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            files.push(p);
        }
    }
    files
}

/// The modules the code of `text` names as `PREFIX::x` or `PREFIX::{x, ...}` for each of
/// `prefixes` (comments and unit tests left out).
fn named_modules(text: &str, prefixes: &[&str]) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap()
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for prefix in prefixes {
        for part in code.split(prefix).skip(1) {
            match part.strip_prefix('{') {
                Some(list) => names.extend(list.split('}').next().unwrap().split(',').map(ident)),
                None => {
                    names.insert(ident(part));
                }
            }
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// Which top-level modules of the library each one imports (the binaries' `cli` left out).
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(src) {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let top = first.trim_end_matches(".rs").to_string();
        if ["cli", "bin", "main", "lib"].contains(&top.as_str()) {
            continue;
        }
        let mut names = named_modules(&std::fs::read_to_string(&file).unwrap(), &["crate::"]);
        names.remove(&top);
        graph.entry(top).or_default().extend(names);
    }
    graph
}

/// A cycle through `m` (the modules from where it closes), if a depth-first walk finds one.
fn cycle(
    m: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|p| p == m) {
        return Some(path[at..].to_vec());
    }
    if !done.insert(m.to_string()) {
        return None;
    }
    path.push(m.to_string());
    for next in graph.get(m).into_iter().flatten() {
        if let Some(c) = cycle(next, graph, path, done) {
            return Some(c);
        }
    }
    path.pop();
    None
}

#[test]
fn top_level_modules_import_one_another_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&src);
    assert!(
        graph["sync"].contains("audio"),
        "the walk sees imports: {graph:?}"
    );
    assert_acyclic(&graph);
}

fn assert_acyclic(graph: &BTreeMap<String, BTreeSet<String>>) {
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = cycle(m, graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {} -> {}", c.join(" -> "), c[0]);
        }
    }
}

/// Which sibling files of a module directory `dir` (top-level module `top`) each one imports,
/// as `super::x` or `crate::top::x` (`mod.rs` left out: it declares and re-exports them all).
fn sibling_imports(dir: &Path, top: &str) -> BTreeMap<String, BTreeSet<String>> {
    let own = format!("crate::{top}::");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let (name, file) = match p.is_dir() {
            true => (p.file_name().unwrap(), p.join("mod.rs")),
            false => (p.file_stem().unwrap(), p.clone()),
        };
        let name = name.to_str().unwrap().to_string();
        if name == "mod" || !file.exists() || file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let mut names = named_modules(&text, &["super::", &own]);
        names.remove(&name);
        graph.insert(name, names);
    }
    let files: BTreeSet<String> = graph.keys().cloned().collect();
    for names in graph.values_mut() {
        names.retain(|n| files.contains(n));
    }
    graph
}

#[test]
fn files_of_a_module_import_one_another_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let fetch = sibling_imports(&src.join("fetch"), "fetch");
    assert!(
        fetch["render"].contains("client"),
        "the walk sees imports: {fetch:?}"
    );
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            let top = dir.file_name().unwrap().to_str().unwrap().to_string();
            assert_acyclic(&sibling_imports(&dir, &top));
        }
    }
}
