//! The documentation: the option reference is what the clap definitions generate, every
//! relative link of the README and the guides leads somewhere, and every command line they
//! show parses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's root.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn commands_md_is_what_the_clap_definitions_generate() {
    let out = crate::common::cutroom(&["help-markdown"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(repo().join("docs/commands.md")).unwrap();
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(g, c)| g != c)
            .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
        panic!(
            "docs/commands.md differs from the clap definitions in src/cli/ from line {}: \
             run `cargo run -q --bin cutroom -- help-markdown > docs/commands.md` to regenerate \
             it\n  generated: {:?}\n  committed: {:?}",
            line + 1,
            generated.lines().nth(line),
            committed.lines().nth(line)
        );
    }
}

/// The Markdown files users read: the README, the guides, the benchmark notes.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md"), repo().join("bench/README.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    files.extend(guides);
    files
}

/// `text` without fenced code blocks and inline code spans (no links live there).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            let spans: Vec<&str> = line.split('`').collect();
            out += &spans.iter().step_by(2).copied().collect::<String>();
            out.push('\n');
        }
    }
    out
}

/// The targets of the inline links `[text](target)` of a Markdown text.
fn links(text: &str) -> Vec<String> {
    let prose = prose(text);
    let mut found = Vec::new();
    let mut rest = prose.as_str();
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            found.push(rest[..end].trim().to_string());
            rest = &rest[end..];
        }
    }
    found
}

/// `s` with each link `[text](target)` reduced to its text.
fn link_text(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("](") {
        out += &rest[..i];
        rest = rest[i..].split_once(')').map_or("", |(_, after)| after);
    }
    out + rest
}

/// The anchors GitHub gives a Markdown file's headings: lower case, spaces to `-`, other
/// punctuation but `-` and `_` dropped, repeats numbered (`-1`, `-2`).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let Some(title) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let title = title.trim_start_matches('#').trim();
        let title = link_text(title);
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while !seen.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
    }
    seen
}

#[test]
fn relative_links_in_the_readme_and_the_guides_resolve() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            let name = doc.strip_prefix(repo()).unwrap().display();
            if !path.exists() {
                broken.push(format!("{name}: {target} (no such file)"));
            } else if !anchor.is_empty() && path.extension().is_some_and(|e| e == "md") {
                let heads = anchors(&std::fs::read_to_string(&path).unwrap());
                if !heads.contains(anchor) {
                    broken.push(format!("{name}: {target} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// The `cutroom` command lines a Markdown text shows (`$ cutroom ...`, `\` continuations
/// joined), without leading `VAR=value` settings and without what the shell adds after them
/// (a comment, a pipe, a redirection, `&&`, a trailing `&`).
fn example_commands(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(first) = line.strip_prefix("$ ") else {
            continue;
        };
        let mut cmd = first.to_string();
        while let Some(head) = cmd.strip_suffix('\\') {
            cmd = format!("{head} {}", lines.next().unwrap_or("").trim());
        }
        for end in [" # ", " | ", " > ", " && "] {
            if let Some(i) = cmd.find(end) {
                cmd.truncate(i);
            }
        }
        let cmd = cmd.trim().trim_end_matches(" &").trim();
        let words: Vec<&str> = cmd.split(' ').collect();
        let start = words.iter().position(|w| !w.contains('=')).unwrap_or(0);
        if words.get(start) == Some(&"cutroom") {
            found.push(words[start..].join(" "));
        }
    }
    found
}

#[test]
fn every_example_command_line_parses() {
    let exe = env!("CARGO_BIN_EXE_cutroom");
    let mut shown = 0;
    let mut refused = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for cmd in example_commands(&text) {
            shown += 1;
            // The shell splits the words (quotes as written); `--help` at the end makes clap
            // check every option and value before it, and stop before any work.
            let line = format!("'{exe}'{} --help", &cmd["cutroom".len()..]);
            let out = std::process::Command::new("sh")
                .args(["-c", &line])
                .output()
                .expect("run sh");
            if !out.status.success() {
                let name = doc.strip_prefix(repo()).unwrap().display();
                let err = String::from_utf8_lossy(&out.stderr);
                refused.push(format!("{name}: $ {cmd}\n  {}", err.trim()));
            }
        }
    }
    assert!(shown >= 30, "only {shown} example command lines found");
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
