//! CLI tests of `--inventory`: a master stock file and a Shopee and a Lazada
//! export of the same SKUs (fixtures/inventory/, made by make_fixtures.py),
//! checked together (STK004-STK006) and fixed with `--unsafe-fixes`.

mod common;

use common::{code, stderr};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use calamine::{Data, Reader, open_workbook_auto};
use serde::Deserialize;
use serde_json::Value;

const MASTER: &str = "inventory/master.xlsx";
const SHOPEE: &str = "inventory/shopee-sales-info.xlsx";
const LAZADA: &str = "inventory/lazada-price-stock.xlsx";

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("skulint")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// `check ARGS --output-format json --fail-on never` in `fixtures/`.
fn check(args: &[&str]) -> Value {
    let output = run_in(
        fixtures(),
        &[
            &["check"],
            args,
            &["--output-format", "json", "--fail-on", "never"],
        ]
        .concat(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().unwrap()
}

/// `FILE SHEET!CELL CODE` of every finding, as `expected.toml` writes them.
fn findings(report: &Value) -> BTreeSet<String> {
    diagnostics(report)
        .iter()
        .map(|d| {
            format!(
                "{} {}!{} {}",
                d["file"].as_str().unwrap(),
                d["sheet"].as_str().unwrap(),
                d["cell"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect()
}

fn finding<'r>(report: &'r Value, file: &str, cell: &str, code: &str) -> &'r Value {
    diagnostics(report)
        .iter()
        .find(|d| d["file"] == file && d["cell"] == cell && d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} at {file} {cell}: {report}"))
}

#[derive(Deserialize)]
struct Expected {
    inventory: String,
    exports: Vec<String>,
    findings: Vec<String>,
}

fn expected() -> Expected {
    toml::from_str(&std::fs::read_to_string(fixtures().join("inventory/expected.toml")).unwrap())
        .unwrap()
}

#[test]
fn a_master_and_two_exports_yield_exactly_the_planted_stock_findings() {
    let expected = expected();
    let mut args = vec!["--inventory", expected.inventory.as_str()];
    args.extend(expected.exports.iter().map(String::as_str));
    let report = check(&args);
    let want: BTreeSet<String> = expected.findings.iter().cloned().collect();
    assert_eq!(findings(&report), want);
    // Only the exports are reported as files; the master is the reference.
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, [SHOPEE, LAZADA]);
}

#[test]
fn findings_name_the_master_and_the_other_export() {
    let report = check(&["--inventory", MASTER, SHOPEE, LAZADA]);
    let over = finding(&report, SHOPEE, "H8", "STK004");
    assert_eq!(over["severity"], "warning");
    assert_eq!(over["value"], "9");
    assert_eq!(over["sku"], "KAOS-HTM-L");
    let message = over["message"].as_str().unwrap();
    assert!(
        message.contains("8 available minus 2 safety stock = 6"),
        "{message}"
    );
    assert_eq!(over["fix"]["applicability"], "unsafe");
    assert_eq!(over["fix"]["replacement"], "6");
    assert_eq!(
        over["related"],
        serde_json::json!([{"cell": "C3", "row": 3, "file": MASTER, "sheet": "Stok Gudang"}])
    );

    let mismatch = finding(&report, SHOPEE, "H13", "STK005");
    let message = mismatch["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("10 in {LAZADA} template!M8")),
        "{message}"
    );
    assert_eq!(mismatch["fix"]["replacement"], "10");
    let related = mismatch["related"].as_array().unwrap();
    assert_eq!(related[0]["file"], LAZADA);
    assert_eq!(related[0]["cell"], "M8");
    assert_eq!(related[1]["file"], MASTER);

    // The Lazada SKU is written in lower case: it matches only after normalization, and says so.
    let normalized = finding(&report, LAZADA, "M6", "STK004");
    let message = normalized["message"].as_str().unwrap();
    assert!(
        message.contains("matched the master's `KAOS-PTH-L` only after"),
        "{message}"
    );
    assert_eq!(normalized["fix"]["replacement"], "10");

    let unlinked = finding(&report, LAZADA, "L9", "STK006");
    assert_eq!(unlinked["value"], "SLG-MNI-BGE");
    assert_eq!(unlinked["fix"], Value::Null);
}

#[test]
fn without_inventory_the_cross_file_rules_do_not_run() {
    let report = check(&[SHOPEE, LAZADA]);
    assert!(findings(&report).is_empty(), "{report}");
}

#[test]
fn the_safety_stock_parameter_is_the_default_for_rows_without_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("skulint.toml"),
        "[rules.oversell-risk]\nsafety-stock = 1\n",
    )
    .unwrap();
    let path = |p: &str| fixtures().join(p).to_str().unwrap().to_string();
    let output = run_in(
        dir.path(),
        &[
            "check",
            "--inventory",
            &path(MASTER),
            &path(SHOPEE),
            &path(LAZADA),
            "--select",
            "STK004",
            "--output-format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let cells: BTreeSet<String> = diagnostics(&report)
        .iter()
        .map(|d| d["cell"].as_str().unwrap().to_string())
        .collect();
    // KAOS-PTH-M has no safety stock in the master: 5 available minus 1 = 4 < 5 on both channels.
    // Rows with their own safety stock are unchanged.
    assert_eq!(
        cells,
        BTreeSet::from(["H8", "H9", "H14", "M5", "M6"].map(String::from))
    );
}

#[test]
fn fix_with_unsafe_fixes_sets_the_stock_the_master_can_cover() {
    let dir = tempfile::tempdir().unwrap();
    for file in [MASTER, SHOPEE, LAZADA] {
        let name = Path::new(file).file_name().unwrap();
        std::fs::copy(fixtures().join(file), dir.path().join(name)).unwrap();
    }
    let master = "master.xlsx";
    // Without --unsafe-fixes nothing changes: every stock fix is unsafe.
    let output = run_in(
        dir.path(),
        &[
            "fix",
            "--inventory",
            master,
            "shopee-sales-info.xlsx",
            "lazada-price-stock.xlsx",
            "--diff",
        ],
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "Nothing to fix.\n"
    );

    let output = run_in(
        dir.path(),
        &[
            "fix",
            "--inventory",
            master,
            "shopee-sales-info.xlsx",
            "lazada-price-stock.xlsx",
            "--unsafe-fixes",
            "--output-format",
            "json",
        ],
    );
    // STK006 (warnings) remain; fail-on error passes.
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let remaining: Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<&str> = diagnostics(&remaining)
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["STK006", "STK006"]);

    // Shopee keeps stock as text, Lazada as numbers.
    let cell = |file: &str, sheet: &str, row: u32, col: u32| {
        let mut book = open_workbook_auto(dir.path().join(file)).unwrap();
        let range = book.worksheet_range(sheet).unwrap();
        range
            .get_value((row - 1, col))
            .cloned()
            .unwrap_or(Data::Empty)
    };
    assert_eq!(
        cell("shopee-sales-info.fixed.xlsx", "Sheet1", 8, 7),
        Data::String("6".into())
    );
    assert_eq!(
        cell("shopee-sales-info.fixed.xlsx", "Sheet1", 13, 7),
        Data::String("10".into())
    );
    assert_eq!(
        cell("shopee-sales-info.fixed.xlsx", "Sheet1", 14, 7),
        Data::String("0".into())
    );
    assert_eq!(
        cell("shopee-sales-info.fixed.xlsx", "Sheet1", 7, 7),
        Data::String("18".into())
    );
    let lazada = cell("lazada-price-stock.fixed.xlsx", "template", 6, 12);
    assert!(
        matches!(lazada, Data::Float(f) if f == 10.0) || lazada == Data::Int(10),
        "{lazada:?}"
    );

    // The resync plan pushes the new stock of each changed row.
    let plan = std::fs::read_to_string(dir.path().join("shopee-sales-info.resync.jsonl")).unwrap();
    let entries: Vec<Value> = plan
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stock: Vec<(u64, i64)> = entries
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["stock"].as_i64().unwrap()))
        .collect();
    assert_eq!(stock, [(8, 6), (13, 10), (14, 0)]);
    assert_eq!(entries[0]["old_sku"], entries[0]["new_sku"]);

    // The inputs are untouched; checking the fixed files together finds only the unlinked SKUs.
    let output = run_in(
        dir.path(),
        &[
            "check",
            "--inventory",
            master,
            "shopee-sales-info.fixed.xlsx",
            "lazada-price-stock.fixed.xlsx",
            "--select",
            "STK004,STK005",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let original = cell("shopee-sales-info.xlsx", "Sheet1", 8, 7);
    assert_eq!(original, Data::String("9".into()));
}

#[test]
fn bad_master_files_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let shopee = fixtures().join(SHOPEE);
    let shopee = shopee.to_str().unwrap();
    std::fs::write(dir.path().join("names.csv"), "SKU,Name\nKAOS-HTM-M,Kaos\n").unwrap();
    std::fs::write(dir.path().join("prices.csv"), "Name,Price\nKaos,1000\n").unwrap();
    for (args, expected) in [
        (
            vec!["--inventory", "missing.xlsx", shopee],
            "skulint: error: --inventory missing.xlsx: ",
        ),
        (
            vec!["--inventory", "names.csv", shopee],
            "skulint: error: --inventory names.csv: no available-stock column",
        ),
        (
            vec!["--inventory", "prices.csv", shopee],
            "skulint: error: --inventory prices.csv: the master file has no SKU column",
        ),
        (
            vec!["--inventory", shopee, shopee],
            "skulint: error: --inventory",
        ),
    ] {
        let output = run_in(dir.path(), &[&["check"], args.as_slice()].concat());
        assert_eq!(code(&output), 2, "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(expected), "{err}\n  expected: {expected}");
    }
    let output = run_in(dir.path(), &["check", "--inventory", shopee, shopee]);
    assert!(stderr(&output).contains("is also given as an export to check"));
}

/// `check ARGS --output-format json --fail-on never` in `dir`.
fn check_in(dir: &Path, args: &[&str]) -> Value {
    let output = run_in(
        dir,
        &[
            &["check"],
            args,
            &["--output-format", "json", "--fail-on", "never"],
        ]
        .concat(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A SKU stored as the number 40111 lost its leading zero when the master has
/// the text `040111`: a finding of its own, naming the master's cell.
#[test]
fn a_number_sku_whose_master_code_has_a_leading_zero_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("master.csv"), "SKU,Available\n040111,5\n").unwrap();
    let export = fixtures().join("shopee-mass-upload-numbers.xlsx");
    let export = export.to_str().unwrap();
    let report = check_in(dir.path(), &[export, "--inventory", "master.csv"]);
    let numeric: BTreeSet<String> = diagnostics(&report)
        .iter()
        .filter(|d| d["code"] == "SKU010")
        .map(|d| d["cell"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = ["N2", "N7", "N14", "N16", "N17"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(numeric, expected, "{report:#}");
    let lost = diagnostics(&report)
        .iter()
        .find(|d| d["code"] == "SKU010" && d["cell"] == "N7")
        .unwrap();
    assert!(
        lost["message"]
            .as_str()
            .unwrap()
            .contains("`040111` is text in the master"),
        "{lost:#}"
    );
    assert_eq!(lost["related"][0]["file"], "master.csv", "{lost:#}");
}

/// Items whose stock nobody tracks (a blank Variant Inventory Tracker: Route's
/// ROUTEINS, a gift wrap) are not stock listings: no cross-file stock findings.
#[test]
fn untracked_items_get_no_stock_findings_against_the_master() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("master.csv"),
        "SKU,Available\nLNN-SHT-M,3\nLNN-SHT-XL,1\n",
    )
    .unwrap();
    let export = fixtures().join("csv/shopify-untracked.csv");
    let report = check_in(
        dir.path(),
        &[export.to_str().unwrap(), "--inventory", "master.csv"],
    );
    for d in diagnostics(&report) {
        let sku = d["sku"].as_str().unwrap_or_default();
        assert!(
            sku != "ROUTEINS" && sku != "GIFTWRAP",
            "a finding on an untracked item: {d:#}"
        );
    }
    assert!(
        diagnostics(&report).iter().any(|d| d["code"] == "STK004"),
        "the tracked rows are still checked: {report:#}"
    );
}
