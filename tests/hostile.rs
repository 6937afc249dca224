//! An attacker's inputs and outputs, run from the outside: outputs that would
//! destroy an input or a device, values that would run in a terminal, a CI log
//! or a spreadsheet program, folders that loop, rows that exhaust memory,
//! credentials in URLs and configurations planted above the working folder.
//! Devices are stood in for by FIFOs made in temporary folders.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{code, skulint, stderr, stdout};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    let output = skulint().current_dir(dir).args(args).output().unwrap();
    assert!(
        !stderr(&output).contains("panicked"),
        "skulint panicked: {}",
        stderr(&output)
    );
    output
}

const LISTING: &[u8] = b"SKU,Stock\nKAOS  HITAM,5\nKAOS PUTIH,3\n";

#[test]
fn values_from_files_cannot_inject_escapes_or_ci_commands() {
    let dir = temp();
    put(
        dir.path(),
        "x.csv",
        b"SKU,Stock\nKAOS,\"12\n::error title=owned::pwned\"\nKAOS-2,1\n",
    );
    // A CSV file refuses escape characters as binary; a workbook holds them.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS").unwrap();
    sheet
        .write_string(1, 1, "12\u{1b}]8;;http://evil\u{7}x\u{1b}[2J")
        .unwrap();
    book.save(dir.path().join("y.xlsx")).unwrap();
    for file in ["x.csv", "y.xlsx"] {
        for format in ["text", "concise"] {
            let output = run_in(dir.path(), &["check", file, "--output-format", format]);
            assert_eq!(code(&output), 1, "{file} {format}: {}", stderr(&output));
            let shown = stdout(&output);
            assert!(!shown.contains('\x1b'), "{file} {format}: {shown}");
            assert!(!shown.contains('\x07'), "{file} {format}: {shown}");
            assert!(
                !shown
                    .lines()
                    .any(|line| line.trim_start().starts_with("::")),
                "{file} {format}: {shown}"
            );
            assert!(
                shown.contains("⟨U+000A⟩::error") || shown.contains("⟨U+001B⟩]8;;"),
                "{file} {format}: {shown}"
            );
        }
    }
}

#[test]
fn plain_http_to_another_machine_is_refused_without_the_flag() {
    let dir = temp();
    put(dir.path(), "a.csv", LISTING);
    let output = run_in(dir.path(), &["fix", "a.csv"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let output = skulint()
        .current_dir(dir.path())
        .env("SKULINT_WEBHOOK_SECRET", "s")
        .args([
            "resync",
            "a.resync.jsonl",
            "--channel",
            "webhook",
            "--base-url",
            "http://ops:Hunter2Secret@192.0.2.1/hook",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("--allow-insecure-http"), "{message}");
    assert!(!message.contains("Hunter2Secret"), "{message}");
    assert!(!dir.path().join("a.resync.journal.jsonl").exists());
}

#[test]
fn credentials_in_the_url_are_redacted_in_a_dry_run() {
    let dir = temp();
    put(dir.path(), "a.csv", LISTING);
    run_in(dir.path(), &["fix", "a.csv"]);
    let output = skulint()
        .current_dir(dir.path())
        .args([
            "resync",
            "a.resync.jsonl",
            "--channel",
            "webhook",
            "--dry-run",
            "--base-url",
            "https://ops:Hunter2Secret@hooks.example.com/services/T0123/B0456/XyZ0aBcDeFgHiJkLmNoP",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let shown = stdout(&output) + &stderr(&output);
    assert!(!shown.contains("Hunter2Secret"), "{shown}");
    assert!(!shown.contains("XyZ0aBcDeFgHiJkLmNoP"), "{shown}");
    assert!(
        shown.contains("hooks.example.com/services/T0123/B0456/<redacted>"),
        "{shown}"
    );
}

#[test]
fn the_config_search_stops_at_the_repository_or_home_and_is_named() {
    let shared = temp();
    put(shared.path(), "skulint.toml", b"select = [\"STK\"]\n");
    let below = shared.path().join("a/b");
    std::fs::create_dir_all(&below).unwrap();
    put(&below, "x.csv", LISTING);
    let home = temp();
    let check = |dir: &Path| {
        skulint()
            .current_dir(dir)
            .env("HOME", home.path())
            .args(["check", "x.csv", "--output-format", "json"])
            .output()
            .unwrap()
    };
    // Above, outside any repository and the home folder: not applied.
    let output = check(&below);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report.get("config").is_none(), "{report}");
    assert_eq!(code(&output), 1, "the planted select was applied");

    // Inside a repository whose root holds it: applied, and named.
    std::fs::create_dir(shared.path().join(".git")).unwrap();
    let output = check(&below);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let named = report["config"].as_str().unwrap();
    assert!(named.ends_with("skulint.toml"), "{named}");
    assert_eq!(code(&output), 0);
    let text = skulint()
        .current_dir(&below)
        .env("HOME", home.path())
        .args(["check", "x.csv"])
        .output()
        .unwrap();
    assert!(
        stdout(&text).contains("Configuration: "),
        "{}",
        stdout(&text)
    );
}

#[test]
fn huge_configurations_and_regexes_are_refused_quickly() {
    let dir = temp();
    let sparse = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    sparse.set_len(3 << 30).unwrap();
    put(dir.path(), "x.csv", LISTING);
    let started = Instant::now();
    let output = run_in(dir.path(), &["check", "x.csv", "--config", "big.toml"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("larger than 1 MiB"),
        "{}",
        stderr(&output)
    );

    let mut rules = String::new();
    for n in 0..150 {
        rules.push_str(&format!(
            "[[custom-rules]]\ncode = \"X{n:03}\"\nname = \"x{n}\"\npattern = '\\w{{200}}'\nmessage = \"m\"\n"
        ));
    }
    put(dir.path(), "rules.toml", rules.as_bytes());
    let output = run_in(dir.path(), &["check", "x.csv", "--config", "rules.toml"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("too large once compiled")
            || stderr(&output).contains("at most 100"),
        "{}",
        stderr(&output)
    );
    let mut one = String::new();
    one.push_str(
        "[[custom-rules]]\ncode = \"X001\"\nname = \"x\"\npattern = '\\w{200}'\nmessage = \"m\"\n",
    );
    put(dir.path(), "one.toml", one.as_bytes());
    let output = run_in(dir.path(), &["check", "x.csv", "--config", "one.toml"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("too large once compiled"),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fix_never_turns_inert_csv_text_into_a_formula() {
    let dir = temp();
    put(
        dir.path(),
        "x.csv",
        b"SKU,Stock\n\"\t=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",5\n\"\xc2\xa0+1\",4\nKAOS  HITAM,3\n",
    );
    let output = run_in(dir.path(), &["fix", "x.csv", "--changes", "log.csv"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let fixed = std::fs::read_to_string(dir.path().join("x.fixed.csv")).unwrap();
    for line in fixed.lines() {
        let first = line.trim_start_matches('"');
        assert!(!first.starts_with(['=', '+']), "a live formula: {fixed}");
    }
    assert!(fixed.contains("KAOS HITAM"), "{fixed}");
    assert!(stdout(&output).contains("formula"), "{}", stdout(&output));
    let log = std::fs::read_to_string(dir.path().join("log.csv")).unwrap();
    assert!(
        !log.lines()
            .skip(1)
            .any(|l| l.starts_with(['=', '+', '-', '@']))
    );

    // The change log neutralizes values like the CSV report: a stock fix's old value.
    put(dir.path(), "y.csv", b"SKU,Stock\n\"\tKAOS\",3\n");
    let output = run_in(dir.path(), &["fix", "y.csv", "--changes", "ylog.csv"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let log = std::fs::read_to_string(dir.path().join("ylog.csv")).unwrap();
    assert!(log.contains("'\tKAOS"), "{log}");
}

#[test]
fn folder_walks_end_report_each_file_once_and_read_only_files_inside() {
    let outside = temp();
    put(outside.path(), "secret.csv", b"root:TOPSECRET:0:0\n");
    let fifo = outside.path().join("pipe.csv");
    mkfifo(&fifo);
    let dir = temp();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    put(&exports, "a.csv", LISTING);
    std::os::unix::fs::symlink(".", exports.join("s1")).unwrap();
    std::os::unix::fs::symlink(".", exports.join("s2")).unwrap();
    std::os::unix::fs::symlink("..", exports.join("up")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), exports.join("b.csv")).unwrap();
    std::os::unix::fs::symlink(&fifo, exports.join("c.csv")).unwrap();
    mkfifo(&exports.join("d.csv"));
    let started = Instant::now();
    let output = run_in(dir.path(), &["check", "exports", "--output-format", "json"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["exports/a.csv"]);
    assert!(!stderr(&output).contains("TOPSECRET"));
    assert!(!stdout(&output).contains("TOPSECRET"));
}

#[test]
fn wide_rows_and_long_cells_are_refused_within_the_limits() {
    let dir = temp();
    let mut wide = b"SKU,Stock\nA,".to_vec();
    wide.extend(std::iter::repeat_n(b',', 20_000));
    wide.push(b'\n');
    put(dir.path(), "wide.csv", &wide);
    let output = run_in(dir.path(), &["check", "wide.csv"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("more than 16384 cells"),
        "{}",
        stderr(&output)
    );

    let mut long = b"SKU,Stock\nA,".to_vec();
    long.extend(std::iter::repeat_n(b'x', (1 << 20) + 1));
    long.push(b'\n');
    put(dir.path(), "long.csv", &long);
    let output = run_in(dir.path(), &["check", "long.csv"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("more than 1 MiB"),
        "{}",
        stderr(&output)
    );

    // --max-cells holds for a file read in parts (over 16 MiB) too.
    let mut big = b"SKU,Stock\n".to_vec();
    while big.len() < 17 << 20 {
        big.extend_from_slice(b"KAOS-HITAM-0001,5\n");
    }
    put(dir.path(), "big.csv", &big);
    let output = run_in(dir.path(), &["check", "big.csv", "--max-cells", "1000"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--max-cells"),
        "{}",
        stderr(&output)
    );
}
