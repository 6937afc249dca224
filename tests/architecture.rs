//! The shape of the code, checked: data moves forward through the stages, so the
//! top-level modules depend on each other without cycles, and only the command
//! line (`cli`, `commands`) knows clap's argument types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its files name as `crate::X`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![Path::new("src").to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix("src").unwrap();
            let first = relative.components().next().unwrap();
            let module = first
                .as_os_str()
                .to_str()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            if module == "main" || module == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let named = graph.entry(module.clone()).or_default();
            for (at, _) in text.match_indices("crate::") {
                let rest = &text[at + "crate::".len()..];
                let target: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !target.is_empty() && target != module {
                    named.insert(target);
                }
            }
        }
    }
    graph
}

#[test]
fn top_level_modules_have_no_cycles() {
    let graph = dependencies();
    assert!(graph.len() > 10, "{graph:?}");
    // Depth-first search for a path back to where it started.
    fn path_back(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if path_back(graph, start, next, seen, path) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for module in graph.keys() {
        let mut path = vec![module.clone()];
        if path_back(&graph, module, module, &mut BTreeSet::new(), &mut path) {
            panic!("module cycle: {}", path.join(" → "));
        }
    }
}

#[test]
fn only_the_command_line_knows_its_argument_types() {
    let graph = dependencies();
    let outside: Vec<&String> = graph
        .iter()
        .filter(|(module, uses)| {
            !["cli", "commands"].contains(&module.as_str()) && uses.contains("cli")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(outside.is_empty(), "modules using crate::cli: {outside:?}");
}
