//! `check` and `fix` on every file of a corpus of real spreadsheets (other
//! projects' test suites, real marketplace exports): each run ends with exit
//! 0, 1 or 2, a refused file gets one error line naming it, nothing panics, and
//! each run stays within a memory cap and a hang guard.
//!
//! Ignored by default (the corpus lives outside the repository):
//! `SKULINT_CORPUS=/path/to/corpus cargo test --release --test corpus -- --ignored`
//! (default path: /work/shared/corpus; absent, the test says so and passes).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Address space for one run. A hostile file must be refused long before this.
const MEMORY_CAP_KIB: u64 = 4 << 20;
/// A run still going after this is hung, not slow: the largest corpus file takes well under a second.
const HANG_GUARD: Duration = Duration::from_secs(120);

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e != "md") {
            out.push(path);
        }
    }
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

/// Runs skulint under `ulimit -v`, killing it if it outlives the hang guard.
fn run(args: &[&str]) -> Outcome {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_skulint"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > HANG_GUARD {
            child.kill().unwrap();
            panic!("skulint {args:?} still running after {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Outcome {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
#[ignore]
fn every_corpus_file_is_checked_or_refused_cleanly() {
    let root = std::env::var_os("SKULINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus"));
    if !root.is_dir() {
        eprintln!(
            "no corpus at {}; set SKULINT_CORPUS to run this test",
            root.display()
        );
        return;
    }
    let mut inputs = Vec::new();
    files(&root, &mut inputs);
    assert!(
        !inputs.is_empty(),
        "the corpus at {} is empty",
        root.display()
    );
    let out = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut refused = 0;
    for input in &inputs {
        let path = input.to_str().unwrap();
        let is_text = ["csv", "tsv", "txt"]
            .iter()
            .any(|e| input.extension().is_some_and(|x| x.eq_ignore_ascii_case(e)));
        let fixed = out
            .path()
            .join(if is_text { "fixed.csv" } else { "fixed.xlsx" });
        let fixed = fixed.to_str().unwrap();
        // `--sku-column A` makes every readable sheet go through the rules and the fix.
        for args in [
            vec!["check", path],
            vec!["check", path, "--sku-column", "A"],
            vec!["fix", path, "--sku-column", "A", "-o", fixed],
        ] {
            let outcome = run(&args);
            let problem = match outcome.code {
                None => Some("killed by a signal (memory cap or abort)".to_string()),
                Some(code) if code > 2 => Some(format!("exit code {code}")),
                _ if outcome.stderr.contains("panicked") => Some("a panic".to_string()),
                Some(2) => {
                    let errors: Vec<&str> = outcome
                        .stderr
                        .lines()
                        .filter(|l| l.starts_with("skulint: error:"))
                        .collect();
                    let named = format!("skulint: error: {path}: ");
                    let stray = outcome.stderr.lines().any(|l| {
                        !l.starts_with("skulint: error:") && !l.starts_with("skulint: warning:")
                    });
                    if errors.len() != 1 || !errors[0].starts_with(&named) || stray {
                        Some(format!("not one clear error line: {:?}", outcome.stderr))
                    } else {
                        refused += 1;
                        None
                    }
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                failures.push(format!("{args:?}: {problem}\n{}", outcome.stderr));
            }
        }
        let _ = std::fs::remove_file(out.path().join("fixed.xlsx"));
        let _ = std::fs::remove_file(out.path().join("fixed.csv"));
    }
    eprintln!(
        "{} files, {} runs, {refused} refused with one line",
        inputs.len(),
        inputs.len() * 3
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Inputs are never modified: the corpus is read-only here, and nothing was written beside it.
    let mut after = Vec::new();
    files(&root, &mut after);
    assert_eq!(
        after, inputs,
        "files appeared in or vanished from the corpus"
    );
}
