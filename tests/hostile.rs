//! An attacker's inputs and outputs, run from the outside: outputs that would
//! destroy an input or a device, values that would run in a terminal, a CI log
//! or a spreadsheet program, folders that loop, rows that exhaust memory,
//! credentials in URLs and configurations planted above the working folder.
//! Devices are stood in for by FIFOs made in temporary folders.

mod common;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
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
fn a_folder_of_links_to_files_elsewhere_says_why_it_reads_none() {
    let outside = temp();
    put(outside.path(), "a.csv", LISTING);
    put(outside.path(), "b.csv", LISTING);
    put(outside.path(), "notes.txt", b"not a listing");
    std::fs::create_dir(outside.path().join("more")).unwrap();
    let dir = temp();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, links.join(name));
    link(&outside.path().join("a.csv"), "a.csv").unwrap();
    link(&outside.path().join("b.csv"), "b.csv").unwrap();
    link(&outside.path().join("more"), "more").unwrap();
    // Not counted: nothing a folder run could read, named or not.
    link(&outside.path().join("notes.txt"), "notes.txt").unwrap();
    link(&outside.path().join("gone.csv"), "gone.csv").unwrap();
    link(Path::new("/dev/null"), "null.csv").unwrap();
    let output = run_in(dir.path(), &["check", "links"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "the folder holds no .xlsx .xlsm .xlsb .xls .ods .csv or .tsv files \
             (it has 3 links to spreadsheets or folders outside it, which a folder run \
             does not follow; name them instead)"
        ),
        "{}",
        stderr(&output)
    );
    // Named, the files are read.
    let named = run_in(dir.path(), &["check", "links/a.csv", "links/b.csv"]);
    assert_ne!(code(&named), 2, "{}", stderr(&named));
    // Beside a spreadsheet of its own, the folder is read, and the links said.
    put(&links, "c.csv", LISTING);
    for command in ["check", "layout"] {
        let output = run_in(dir.path(), &[command, "links"]);
        assert_ne!(code(&output), 2, "{}", stderr(&output));
        assert!(
            stderr(&output).contains(
                "skulint: warning: links: the folder has 3 links to spreadsheets or folders \
                 outside it, which a folder run does not follow; name them instead"
            ),
            "{command}: {}",
            stderr(&output)
        );
    }
}

/// A folder whose spreadsheets were already listed through another path
/// holds them all the same: each file is read once, and nothing is refused.
#[test]
fn a_folder_given_twice_is_not_empty_the_second_time() {
    let dir = temp();
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    put(&exports, "a.csv", LISTING);
    for args in [
        &["check", "exports", "exports", "--output-format", "json"][..],
        &[
            "check",
            "exports/a.csv",
            "exports",
            "--output-format",
            "json",
        ][..],
    ] {
        let output = run_in(dir.path(), args);
        assert_ne!(code(&output), 2, "{args:?}: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(report["files"].as_array().unwrap().len(), 1, "{args:?}");
    }
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

/// Exit 2, one line naming both paths, and the input unchanged.
fn assert_collision(dir: &Path, args: &[&str], names: [&str; 2]) {
    let output = run_in(dir, args);
    assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
    let message = stderr(&output);
    for name in names {
        assert!(message.contains(name), "{args:?}: {name} not in {message}");
    }
    assert_eq!(
        std::fs::read(dir.join("a.csv")).unwrap(),
        LISTING,
        "{args:?}"
    );
}

#[test]
fn no_output_overwrites_an_input_or_another_output() {
    let dir = temp();
    put(dir.path(), "a.csv", LISTING);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("a.csv", dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(dir.path().join("a.csv"), dir.path().join("hard.csv")).unwrap();
    for changes in ["a.csv", "./a.csv", "sub/../a.csv", "link.csv", "hard.csv"] {
        assert_collision(
            dir.path(),
            &["fix", "a.csv", "--changes", changes],
            [changes, "a.csv"],
        );
    }
    assert_collision(
        dir.path(),
        &[
            "fix",
            "a.csv",
            "-o",
            "out.csv",
            "--changes",
            "sub/../out.csv",
        ],
        ["out.csv", "--changes"],
    );
    assert_collision(
        dir.path(),
        &["fix", "a.csv", "--output-file", "a.resync.jsonl"],
        ["a.resync.jsonl", "resync plan"],
    );
    assert_collision(
        dir.path(),
        &["check", "a.csv", "--report", "json=hard.csv"],
        ["hard.csv", "a.csv"],
    );
    assert_collision(
        dir.path(),
        &[
            "check",
            "a.csv",
            "--output-file",
            "r.json",
            "--report",
            "json=sub/../r.json",
        ],
        ["r.json", "--report"],
    );
    // Nothing was written by any of them.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.csv", "hard.csv", "link.csv", "sub"]);
}

#[test]
fn a_fifo_output_is_written_through_and_a_symlink_stays_a_symlink() {
    let dir = temp();
    put(dir.path(), "a.csv", LISTING);
    let fifo = dir.path().join("null");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let output = run_in(
        dir.path(),
        &[
            "check",
            "a.csv",
            "--output-format",
            "json",
            "--output-file",
            "null",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let received = reader.join().unwrap();
    assert!(
        String::from_utf8(received)
            .unwrap()
            .contains("\"skulint/v1\"")
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced by a regular file"
    );

    put(dir.path(), "real.json", b"old");
    std::os::unix::fs::symlink("real.json", dir.path().join("out.json")).unwrap();
    let output = run_in(
        dir.path(),
        &[
            "check",
            "a.csv",
            "--output-format",
            "json",
            "--output-file",
            "out.json",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let link = dir.path().join("out.json");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(dir.path().join("real.json")).unwrap();
    assert!(written.contains("\"skulint/v1\""), "{written}");
}

#[test]
fn in_place_backups_keep_the_mode_and_are_never_overwritten() {
    let dir = temp();
    let input = put(dir.path(), "a.csv", LISTING);
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = run_in(dir.path(), &["fix", "a.csv", "--in-place"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let backup = dir.path().join("a.csv.bak");
    assert_eq!(std::fs::read(&backup).unwrap(), LISTING);
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let first_plan = std::fs::read(dir.path().join("a.resync.jsonl")).unwrap();
    assert!(!first_plan.is_empty());

    // A second run, on a file that again needs fixing.
    std::fs::write(&input, b"SKU,Stock\nKAOS  BIRU,5\n").unwrap();
    let output = run_in(dir.path(), &["fix", "a.csv", "--in-place"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        std::fs::read(&backup).unwrap(),
        LISTING,
        "the first backup was overwritten"
    );
    assert_eq!(
        std::fs::read(dir.path().join("a.csv.bak.1")).unwrap(),
        b"SKU,Stock\nKAOS  BIRU,5\n"
    );
    // The first plan was never sent: it is kept, and the new one written beside it.
    assert_eq!(
        std::fs::read(dir.path().join("a.resync.jsonl")).unwrap(),
        first_plan
    );
    let second = std::fs::read_to_string(dir.path().join("a.resync.1.jsonl")).unwrap();
    assert!(second.contains("KAOS BIRU"), "{second}");
    assert!(
        stderr(&output).contains("a.resync.1.jsonl"),
        "{}",
        stderr(&output)
    );
}
