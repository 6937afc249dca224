//! CLI tests: the real `skulint` binary, its reports, exit codes and error lines.
//!
//! Every command runs in the crate root so paths in reports are the relative paths
//! given on the command line (`fixtures/...`) and snapshots are stable.

mod common;

use common::{cell_codes, code, root, stderr, stdout};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Output, Stdio};

use assert_cmd::Command;
use serde_json::Value;

const DEMO: &str = "fixtures/demo-shopee-sales-info.xlsx";

const ALL_CODES: [&str; 20] = [
    "SKU001", "SKU002", "SKU003", "SKU004", "SKU005", "SKU006", "SKU007", "SKU008", "SKU009",
    "SKU010", "DUP001", "DUP002", "DUP003", "STK001", "STK002", "STK003", "STK004", "STK005",
    "STK006", "SYN001",
];

const DIAGNOSTIC_KEYS: [&str; 14] = [
    "code", "name", "severity", "file", "sheet", "row", "column", "cell", "header", "sku", "value",
    "message", "fix", "related",
];

// ---------------------------------------------------------------------------
// helpers

/// The binary, run in the crate root, with no colour forced either way.
fn skulint() -> Command {
    let mut cmd = common::skulint();
    cmd.current_dir(root()).env_remove("NO_COLOR");
    cmd
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    skulint().args(args).output().unwrap()
}

/// Runs `check ARGS --output-format json`, asserts the exit code and parses stdout.
fn json_with_code<I, S>(args: I, expected: i32) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = skulint()
        .arg("check")
        .args(args)
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        expected,
        "stderr: {}\nstdout: {}",
        stderr(&output),
        stdout(&output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(&output)))
}

/// `check ARGS --output-format json --fail-on never`: exit 0 expected.
fn json<I, S>(args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args
        .into_iter()
        .map(|a| a.as_ref().to_os_string())
        .chain(["--fail-on".into(), "never".into()])
        .collect();
    json_with_code(args, 0)
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
}

fn codes(report: &Value) -> Vec<&str> {
    diagnostics(report)
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

/// `A` → 0, `Z` → 25, `AA` → 26.
fn column_index(letters: &str) -> u32 {
    assert!(
        !letters.is_empty() && letters.bytes().all(|b| b.is_ascii_uppercase()),
        "not a column letter: {letters:?}"
    );
    letters
        .bytes()
        .fold(0, |n, b| n * 26 + u32::from(b - b'A') + 1)
        - 1
}

/// Writes `contents` to `dir/name` and returns the path as a string.
fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().expect("a UTF-8 temp path").to_string()
}

/// Asserts the one-line error contract for an input that cannot be read and
/// returns the message after `skulint: error: <path>: `.
fn assert_one_error_line(output: &Output, path: &str) -> String {
    assert_eq!(code(output), 2, "{output:?}");
    let err = stderr(output);
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "a backtrace hint: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one stderr line expected: {err}");
    let prefix = format!("skulint: error: {path}: ");
    let message = lines[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{:?} does not start with {prefix:?}", lines[0]));
    assert!(!message.trim().is_empty(), "empty message: {err}");
    message.to_string()
}

fn fixtures() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["fixtures", "fixtures/csv"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ["xlsx", "csv", "tsv"].contains(&ext) {
                let name = path.file_name().unwrap().to_str().unwrap();
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "fixtures missing: {files:?}");
    files
}

/// A generic CSV with `rows` SKUs that each have a double space (SKU001).
fn big_faulty_csv(dir: &Path, rows: usize) -> String {
    let mut csv = String::from("SKU,Stock\n");
    for i in 0..rows {
        csv.push_str(&format!("KAOS  HITAM-{i},{}\n", i % 50));
    }
    write(dir, "big.csv", &csv)
}

// ---------------------------------------------------------------------------
// 0. grouped text: ten findings of a rule per sheet, the rest counted

#[test]
fn text_shows_ten_findings_of_a_rule_per_sheet_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let csv = big_faulty_csv(dir.path(), 25);
    let text = stdout(&run(["check", csv.as_str()]));
    let shown = |text: &str| {
        text.lines()
            .filter(|l| l.contains(" SKU001 error "))
            .count()
    };
    assert_eq!(shown(&text), 10, "{text}");
    let more: Vec<&str> = text.lines().filter(|l| l.contains("more")).collect();
    assert_eq!(
        more,
        ["    … and 15 more SKU001 in this sheet (--show-all lists them)"],
        "{text}"
    );
    // The count and the next step cover every finding, shown or not.
    assert!(text.contains("Found 25 problems"), "{text}");
    let next = text
        .split("What to do next:")
        .nth(1)
        .expect("a next-steps section");
    assert_eq!(
        next.trim(),
        format!("25  SKU001  run `skulint fix {csv}`"),
        "{text}"
    );

    let all = stdout(&run(["check", csv.as_str(), "--show-all"]));
    assert_eq!(shown(&all), 25, "{all}");
    assert!(!all.contains("more SKU001"), "{all}");

    // Machine formats always list everything.
    let report = json([csv.as_str()]);
    assert_eq!(diagnostics(&report).len(), 25);
}

#[test]
fn next_steps_repeat_the_options_a_fix_needs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "my shop.csv", "Kode,Stock\nKAOS  HITAM,1\n");
    let text = stdout(&run(["check", path.as_str(), "--sku-column", "Kode"]));
    let next = text
        .split("What to do next:")
        .nth(1)
        .expect("a next-steps section");
    assert_eq!(
        next.trim(),
        format!("1  SKU001  run `skulint fix '{path}' --sku-column Kode`"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------
// 1. the demo: exit code and snapshots

#[test]
fn demo_text_report_snapshot_and_exit_1() {
    let output = run(["check", DEMO]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "colour in a pipe: {text}");
    insta::assert_snapshot!("demo_text", text);
}

#[test]
fn demo_json_report_snapshot() {
    let output = run(["check", DEMO, "--output-format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    insta::assert_snapshot!("demo_json", stdout(&output));
}

// ---------------------------------------------------------------------------
// 2. the skulint/v1 JSON shape (DESIGN §6)

#[test]
fn json_document_has_the_v1_shape() {
    let report = json_with_code([DEMO], 1);
    assert_eq!(report["schema"], "skulint/v1");
    let top: BTreeSet<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        top,
        BTreeSet::from(["schema", "files", "diagnostics", "errors", "summary"])
    );
    assert_eq!(report["errors"], serde_json::json!([]));

    let file = &report["files"][0];
    assert_eq!(file["path"], DEMO);
    assert_eq!(file["format"], "xlsx");
    assert_eq!(file["channel"], "shopee");
    let sheet = &file["sheets"][0];
    for key in [
        "name",
        "header_row",
        "data_rows",
        "rows_skipped",
        "columns",
        "notes",
        "warnings",
    ] {
        assert!(sheet.get(key).is_some(), "sheet lacks {key}: {sheet}");
    }
    // The demo's "Wajib" requirement row under the header is not a listing.
    assert_eq!(
        sheet["rows_skipped"],
        serde_json::json!({"instructions": 1})
    );
    assert_eq!(sheet["name"], "Sheet1");
    assert_eq!(sheet["header_row"], 3);
    assert_eq!(sheet["data_rows"], 28);
    let columns = sheet["columns"].as_object().unwrap();
    assert_eq!(columns["sku"], "F");
    assert_eq!(columns["parent_sku"], "E");
    assert_eq!(columns["stock"], "H");
    for (role, letter) in columns {
        column_index(
            letter
                .as_str()
                .unwrap_or_else(|| panic!("{role}: {letter}")),
        );
    }

    let expected_keys: BTreeSet<&str> = DIAGNOSTIC_KEYS.into_iter().collect();
    let all = diagnostics(&report);
    assert!(!all.is_empty());
    for d in all {
        let keys: BTreeSet<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, expected_keys, "{d}");
        assert!(ALL_CODES.contains(&d["code"].as_str().unwrap()), "{d}");
        assert!(
            ["error", "warning", "info"].contains(&d["severity"].as_str().unwrap()),
            "{d}"
        );
        assert_eq!(d["file"], DEMO);
        let row = d["row"].as_u64().unwrap();
        let column = d["column"].as_str().unwrap();
        assert_eq!(d["cell"], format!("{column}{row}"), "{d}");
        match &d["fix"] {
            Value::Null => {}
            Value::Object(fix) => {
                let keys: BTreeSet<&str> = fix.keys().map(String::as_str).collect();
                assert_eq!(
                    keys,
                    BTreeSet::from(["applicability", "replacement", "note"]),
                    "{d}"
                );
                assert!(
                    ["safe", "unsafe", "blocked"].contains(&fix["applicability"].as_str().unwrap()),
                    "{d}"
                );
                assert!(fix["replacement"].is_string(), "{d}");
                assert!(fix["note"].is_null() || fix["note"].is_string(), "{d}");
            }
            other => panic!("fix is neither null nor an object: {other}"),
        }
        for related in d["related"].as_array().unwrap() {
            let row = related["row"].as_u64().unwrap();
            assert!(
                related["cell"]
                    .as_str()
                    .unwrap()
                    .ends_with(&row.to_string()),
                "{d}"
            );
        }
    }

    let summary = &report["summary"];
    let keys: BTreeSet<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["files", "rows", "diagnostics", "by_code", "fixable"])
    );
    assert_eq!(summary["files"], 1);
    assert_eq!(summary["rows"], 28);
    assert_eq!(summary["diagnostics"].as_u64().unwrap() as usize, all.len());
    let by_code = summary["by_code"].as_object().unwrap();
    assert_eq!(
        by_code.values().map(|n| n.as_u64().unwrap()).sum::<u64>() as usize,
        all.len()
    );
    for (code, n) in by_code {
        let count = all.iter().filter(|d| d["code"] == code.as_str()).count();
        assert_eq!(n.as_u64().unwrap() as usize, count, "by_code {code}");
    }
    let safe = all
        .iter()
        .filter(|d| d["fix"]["applicability"] == "safe")
        .count();
    assert_eq!(summary["fixable"].as_u64().unwrap() as usize, safe);
}

/// Asserts diagnostics are in (file, sheet, row, column, code) order, files in
/// the order of `files[]`.
fn assert_sorted(report: &Value) {
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let keys: Vec<(usize, &str, u64, u32, &str)> = diagnostics(report)
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap();
            (
                files
                    .iter()
                    .position(|f| *f == file)
                    .unwrap_or_else(|| panic!("{file} not in files[]")),
                d["sheet"].as_str().unwrap(),
                d["row"].as_u64().unwrap(),
                column_index(d["column"].as_str().unwrap()),
                d["code"].as_str().unwrap(),
            )
        })
        .collect();
    for pair in keys.windows(2) {
        assert!(pair[0] <= pair[1], "out of order: {pair:?}");
    }
}

#[test]
fn diagnostics_are_sorted_by_file_sheet_row_column_code() {
    // One file: same row E11 DUP003 before F11 SKU001.
    let demo = json([DEMO]);
    assert_sorted(&demo);
    let cells = cell_codes(&demo);
    let e11 = cells.iter().position(|c| c == "E11 DUP003").unwrap();
    let f11 = cells.iter().position(|c| c == "F11 SKU001").unwrap();
    assert!(e11 < f11, "{cells:?}");

    // Every fixture in one batch: several files and sheets.
    let all = json(fixtures());
    assert!(all["files"].as_array().unwrap().len() >= 8);
    assert_sorted(&all);
}

// ---------------------------------------------------------------------------
// 3. exit codes, --fail-on, --select, --ignore

#[test]
fn fail_on_never_exits_0_on_the_demo() {
    let output = run(["check", DEMO, "--fail-on", "never"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("SKU001"),
        "the report is still printed"
    );
}

#[test]
fn warnings_fail_only_with_fail_on_warning() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "warn.csv",
        "SKU,Stock\nKAOS-A,5\nkaos-a,3\nKAOS-B,2\n",
    );
    let report = json([&csv]);
    assert_eq!(codes(&report), ["DUP002", "DUP002"]);
    assert!(
        diagnostics(&report)
            .iter()
            .all(|d| d["severity"] == "warning")
    );

    let default = skulint().arg("check").arg(&csv).output().unwrap();
    assert_eq!(code(&default), 0, "warnings do not fail by default");
    let error = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--fail-on", "error"])
        .output()
        .unwrap();
    assert_eq!(code(&error), 0);
    let warning = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--fail-on", "warning"])
        .output()
        .unwrap();
    assert_eq!(code(&warning), 1);
    let info = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--fail-on", "info"])
        .output()
        .unwrap();
    assert_eq!(code(&info), 1, "info is below warning, so warnings fail");
}

#[test]
fn clean_csv_exits_0_and_says_no_problems_found() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "clean.csv", "SKU,Stock\nKAOS-A,5\nKAOS-B,2\n");
    let output = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--fail-on", "info"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let text = stdout(&output);
    assert!(text.contains("No problems found"), "{text}");
    assert!(text.contains("1 file, 2 rows"), "{text}");
}

#[test]
fn select_keeps_only_the_selected_code() {
    let report = json([DEMO, "--select", "SKU001"]);
    assert_eq!(cell_codes(&report), ["F11 SKU001"]);
    assert_eq!(report["summary"]["diagnostics"], 1);
}

#[test]
fn select_by_prefix() {
    let report = json([DEMO, "--select", "STK,DUP001"]);
    assert_eq!(
        cell_codes(&report),
        ["H16 STK001", "H17 STK001", "F20 DUP001", "F21 DUP001"]
    );
}

#[test]
fn ignore_removes_prefixes_and_codes_and_nothing_else() {
    let full = json([DEMO]);
    let kept = json([DEMO, "--ignore", "DUP,SKU010"]);
    let expected: Vec<String> = diagnostics(&full)
        .iter()
        .filter(|d| {
            let code = d["code"].as_str().unwrap();
            !code.starts_with("DUP") && code != "SKU010"
        })
        .map(|d| {
            format!(
                "{} {}",
                d["cell"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect();
    assert!(expected.len() < diagnostics(&full).len());
    assert!(!expected.is_empty());
    assert_eq!(cell_codes(&kept), expected);
}

#[test]
fn unknown_selector_is_a_usage_error_naming_it() {
    let output = run(["check", DEMO, "--select", "XYZ"]);
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "", "no report on a usage error");
    let err = stderr(&output);
    assert!(err.contains("XYZ"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let output = run(["check", DEMO, "--ignore", "SKU999"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("SKU999"), "{}", stderr(&output));
}

// ---------------------------------------------------------------------------
// 4. bad input: exit 2, one line on stderr naming the file, never a panic

#[test]
fn random_bytes_xlsx_is_refused() {
    let path = "fixtures/bad/random-bytes.xlsx";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(message.contains("not a spreadsheet"), "{message}");
}

#[test]
fn truncated_xlsx_is_refused() {
    let path = "fixtures/bad/truncated.xlsx";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(
        message.contains("damaged") || message.contains("incomplete"),
        "{message}"
    );
}

#[test]
fn text_named_xls_suggests_renaming_to_csv() {
    let path = "fixtures/bad/text-named.xls";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(message.contains("rename"), "{message}");
    assert!(message.contains(".csv"), "{message}");
}

#[test]
fn empty_csv_is_refused() {
    let path = "fixtures/bad/empty.csv";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn no_sku_column_lists_headers_and_suggests_sku_column() {
    let path = "fixtures/bad/no-sku-column.xlsx";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(message.contains("Name, Price, Weight"), "{message}");
    assert!(message.contains("--sku-column"), "{message}");
}

#[test]
fn missing_path_is_refused() {
    let path = "fixtures/no-such-export.xlsx";
    let message = assert_one_error_line(&run(["check", path]), path);
    assert!(message.contains("no such file"), "{message}");
}

#[test]
fn bad_inputs_in_json_mode_still_give_one_line_and_valid_json() {
    for path in [
        "fixtures/bad/random-bytes.xlsx",
        "fixtures/bad/truncated.xlsx",
        "fixtures/bad/text-named.xls",
        "fixtures/bad/empty.csv",
        "fixtures/bad/no-sku-column.xlsx",
    ] {
        let output = run(["check", path, "--output-format", "json"]);
        assert_one_error_line(&output, path);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["files"].as_array().unwrap().len(), 0, "{path}");
    }
}

#[test]

fn unreadable_input_is_not_reported_as_clean() {
    for path in [
        "fixtures/bad/random-bytes.xlsx",
        "fixtures/bad/empty.csv",
        "fixtures/no-such-export.xlsx",
    ] {
        let output = run(["check", path]);
        assert_eq!(code(&output), 2);
        let text = stdout(&output);
        assert!(
            !text.contains("No problems found"),
            "{path}: an unreadable file is reported as clean: {text}"
        );
    }
}

#[test]
fn a_bad_file_in_a_batch_does_not_stop_the_others() {
    let bad = "fixtures/bad/truncated.xlsx";
    let output = run(["check", bad, DEMO, "--output-format", "json"]);
    assert_one_error_line(&output, bad);
    let batch: Value = serde_json::from_slice(&output.stdout).unwrap();
    let alone = json_with_code([DEMO], 1);
    let paths: Vec<&str> = batch["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [DEMO]);
    assert_eq!(batch["diagnostics"], alone["diagnostics"]);
    assert_eq!(batch["summary"], alone["summary"]);
}

// ---------------------------------------------------------------------------
// 5. folders

#[test]
fn a_folder_lints_every_csv_and_tsv_in_it() {
    let report = json(["fixtures/csv"]);
    let files = report["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "fixtures/csv/amazon-note-row.csv",
            "fixtures/csv/comma-bom-crlf.csv",
            "fixtures/csv/semicolon.csv",
            "fixtures/csv/shopify-inventory.csv",
            "fixtures/csv/shopify-products.csv",
            "fixtures/csv/shopify-untracked.csv",
            "fixtures/csv/tabs.tsv",
            "fixtures/csv/typed-scripts.csv",
            "fixtures/csv/woocommerce-ru.csv"
        ]
    );
    let formats: Vec<&str> = files
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(
        formats,
        [
            "csv", "csv", "csv", "csv", "csv", "csv", "tsv", "csv", "csv"
        ]
    );
    assert_eq!(report["summary"]["files"], 9);
    for path in paths {
        assert!(
            diagnostics(&report).iter().any(|d| d["file"] == path),
            "{path} has planted faults but no findings"
        );
    }
}

#[test]
fn an_empty_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an export").unwrap();
    let output = skulint().arg("check").arg(dir.path()).output().unwrap();
    let path = dir.path().display().to_string();
    let message = assert_one_error_line(&output, &path);
    assert!(message.contains("no"), "{message}");
}

// ---------------------------------------------------------------------------
// 6. column and layout overrides

#[test]
fn unknown_headers_need_column_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "gudang.csv",
        "Kode Barang,Sisa\nKAOS  A,5\nKAOS-B,x\n",
    );
    let output = skulint().arg("check").arg(&csv).output().unwrap();
    let message = assert_one_error_line(&output, &csv);
    assert!(message.contains("no SKU column"), "{message}");
    assert!(message.contains("Kode Barang, Sisa"), "{message}");

    let report = json_with_code(
        [
            csv.as_str(),
            "--sku-column",
            "Kode Barang",
            "--stock-column",
            "B",
        ],
        1,
    );
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["columns"]["sku"], "A");
    assert_eq!(sheet["columns"]["stock"], "B");
    assert_eq!(sheet["header_row"], 1);
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(cell_codes(&report), ["A2 SKU001", "B3 STK001"]);

    // A column letter works for the SKU too.
    let by_letter = json_with_code(
        [csv.as_str(), "--sku-column", "A", "--stock-column", "Sisa"],
        1,
    );
    assert_eq!(cell_codes(&by_letter), ["A2 SKU001", "B3 STK001"]);
}

#[test]
fn an_unknown_column_override_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "stok.csv", "SKU,Stock\nKAOS-A,5\n");
    let output = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--stock-column", "Jumlah Gudang"])
        .output()
        .unwrap();
    let message = assert_one_error_line(&output, &csv);
    assert!(message.contains("Jumlah Gudang"), "{message}");
}

#[test]

fn a_sku_column_letter_outside_the_sheet_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "stok.csv", "SKU,Stock\nKAOS  A,5\n");
    let output = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--sku-column", "Z"])
        .output()
        .unwrap();
    let message = assert_one_error_line(&output, &csv);
    assert!(message.contains('Z'), "{message}");
}

#[test]
fn header_row_override_starts_the_data_below_it() {
    let dir = tempfile::tempdir().unwrap();
    // Row 1 is a title line whose double space would be SKU001 if it were data.
    let csv = write(
        dir.path(),
        "titled.csv",
        "Daftar  stok toko,Juni\nSKU,Stock\nKAOS  A,5\nKAOS-B,2\n",
    );
    let report = json_with_code([csv.as_str(), "--header-row", "2"], 1);
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["header_row"], 2);
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(sheet["columns"]["sku"], "A");
    assert_eq!(sheet["columns"]["stock"], "B");
    assert_eq!(cell_codes(&report), ["A3 SKU001"]);

    // Row 1 as the header: it names no SKU column, so the override is honoured.
    let output = skulint()
        .arg("check")
        .arg(&csv)
        .args(["--header-row", "1"])
        .output()
        .unwrap();
    let message = assert_one_error_line(&output, &csv);
    assert!(message.contains("--sku-column"), "{message}");
}

#[test]
fn channel_override_applies_the_channel_rules() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "tiktok.csv",
        "SKU,Stock\nKAOS HITAM,5\nKAOS-B,2\n",
    );
    let tiktok = json([csv.as_str(), "--channel", "tiktok"]);
    assert_eq!(tiktok["files"][0]["channel"], "tiktok");
    assert_eq!(cell_codes(&tiktok), ["A2 SKU009"]);

    let generic = json([csv.as_str()]);
    assert_eq!(generic["files"][0]["channel"], "generic");
    assert!(!codes(&generic).contains(&"SKU009"), "{generic}");
    let explicit = json([csv.as_str(), "--channel", "generic"]);
    assert!(!codes(&explicit).contains(&"SKU009"), "{explicit}");
}

// ---------------------------------------------------------------------------
// 7. --output-file, and inputs are never modified

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let target = dir.path().join(format!("report.{format}"));
        let output = skulint()
            .args(["check", DEMO, "--output-format", format, "--output-file"])
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        assert_eq!(stdout(&output), "", "{format}: stdout must stay empty");
        assert_eq!(stderr(&output), "");
        let written = std::fs::read(&target).unwrap();
        let printed = run(["check", DEMO, "--output-format", format]).stdout;
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(printed).unwrap(),
            "{format}: the file holds the same report as stdout"
        );
    }
    // Only the reports are left: no temporary files beside them.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report.json", "report.text"]);
}

#[test]
fn check_never_modifies_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("demo.xlsx");
    std::fs::copy(root().join(DEMO), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    for args in [
        vec!["--output-format", "text"],
        vec!["--output-format", "json"],
        vec!["--channel", "lazada", "--fail-on", "never"],
    ] {
        let output = skulint()
            .arg("check")
            .arg(&copy)
            .args(&args)
            .output()
            .unwrap();
        assert!(matches!(code(&output), 0 | 1), "{args:?}: {output:?}");
        assert_eq!(std::fs::read(&copy).unwrap(), before, "{args:?}");
    }
    let report = dir.path().join("report.json");
    let output = skulint()
        .arg("check")
        .arg(&copy)
        .args(["--output-format", "json", "--output-file"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // Only the copy and the report: nothing else written beside the input.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]

fn output_file_equal_to_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "listing.csv", "SKU,Stock\nKAOS  A,5\n");
    let before = std::fs::read(&csv).unwrap();
    let output = skulint()
        .arg("check")
        .arg(&csv)
        .arg("--output-file")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{output:?}");
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        before,
        "the input was overwritten"
    );
}

// ---------------------------------------------------------------------------
// 8. rules

#[test]
fn rules_text_lists_every_code() {
    let output = run(["rules"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| ALL_CODES.contains(word))
        .collect();
    assert_eq!(listed, ALL_CODES, "{text}");
    for name in [
        "consecutive-spaces",
        "duplicate-sku",
        "below-unpaid-reserve",
    ] {
        assert!(text.contains(name), "{name} missing: {text}");
    }
}

#[test]
fn rules_json_is_an_array_of_one_object_per_rule() {
    let output = run(["rules", "--output-format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().expect("an array");
    assert_eq!(rules.len(), ALL_CODES.len());
    let keys = BTreeSet::from(["code", "name", "severity", "fix", "scope", "summary"]);
    for rule in rules {
        let have: BTreeSet<&str> = rule
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(have, keys, "{rule}");
        assert!(
            ["error", "warning", "info"].contains(&rule["severity"].as_str().unwrap()),
            "{rule}"
        );
        assert!(!rule["summary"].as_str().unwrap().is_empty(), "{rule}");
        assert!(
            ["cell", "row", "table", "cross-file"].contains(&rule["scope"].as_str().unwrap()),
            "{rule}"
        );
    }
    let codes: Vec<&str> = rules.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ALL_CODES);
    let sku001 = &rules[0];
    assert_eq!(sku001["name"], "consecutive-spaces");
    assert_eq!(sku001["severity"], "error");
    assert_eq!(sku001["fix"], "safe");
}

// ---------------------------------------------------------------------------
// 9. help and broken pipes

#[test]
fn check_help_shows_examples() {
    let output = run(["check", "--help"]);
    assert_eq!(code(&output), 0);
    let text = stdout(&output);
    assert!(text.contains("Examples:"), "{text}");
    assert!(text.contains("skulint check"), "{text}");
    assert!(text.contains("--fail-on"), "{text}");
}

/// Starts `skulint check PATH`, reads a few bytes of its stdout, closes the
/// pipe, and returns the exit code and stderr.
fn read_a_little_then_close(path: &Path) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_skulint"))
        .current_dir(root())
        .arg("check")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let output = child.wait_with_output().unwrap();
    (output.status.code(), stderr(&output))
}

#[test]
fn a_closed_pipe_is_not_a_failure_on_the_demo() {
    let (code, err) = read_a_little_then_close(Path::new(DEMO));
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_pipe_is_not_a_failure_on_a_large_report() {
    // 20,000 findings: megabytes of report, far more than a pipe buffer holds,
    // so skulint is certainly still writing when the pipe closes.
    let dir = tempfile::tempdir().unwrap();
    let csv = big_faulty_csv(dir.path(), 20_000);
    let (code, err) = read_a_little_then_close(Path::new(&csv));
    assert!(matches!(code, Some(0 | 1)), "exit {code:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "", "nothing on stderr for a closed pipe");
}

// ---------------------------------------------------------------------------
// 10. header rows are never findings, except a note about a whole column
// (SKU010's number cells with nothing lost), which is an info at its header cell

#[test]
fn no_finding_is_on_or_above_the_header_row() {
    for fixture in fixtures() {
        let report = json([&fixture]);
        let sheets = report["files"][0]["sheets"].as_array().unwrap();
        assert!(!sheets.is_empty(), "{fixture}: no sheet linted");
        for d in diagnostics(&report) {
            let sheet = sheets
                .iter()
                .find(|s| s["name"] == d["sheet"])
                .unwrap_or_else(|| panic!("{fixture}: finding on an unreported sheet: {d}"));
            let header_row = sheet["header_row"].as_u64().unwrap();
            let row = d["row"].as_u64().unwrap();
            let column_note = d["severity"] == "info" && d["value"] == "" && d["sku"].is_null();
            if column_note {
                assert_eq!(
                    row, header_row,
                    "{fixture}: column note {d} not at the header"
                );
                continue;
            }
            assert!(
                row > header_row,
                "{fixture} / {}: {} {} is on or above header row {header_row}",
                d["sheet"],
                d["cell"],
                d["code"]
            );
            for related in d["related"].as_array().unwrap() {
                assert!(
                    related["row"].as_u64().unwrap() > header_row,
                    "{fixture}: related cell {related} in the header rows"
                );
            }
        }
    }
}
