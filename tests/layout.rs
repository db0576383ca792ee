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

/// The top-level modules the code of `text` names as `crate::x` or `crate::{x, ...}`
/// (comments and unit tests left out).
fn named_modules(text: &str) -> BTreeSet<String> {
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
    for part in code.split("crate::").skip(1) {
        match part.strip_prefix('{') {
            Some(list) => names.extend(list.split('}').next().unwrap().split(',').map(ident)),
            None => {
                names.insert(ident(part));
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
        let mut names = named_modules(&std::fs::read_to_string(&file).unwrap());
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
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = cycle(m, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {} -> {}", c.join(" -> "), c[0]);
        }
    }
}
