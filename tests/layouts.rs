//! CLI tests of the export layouts read since real exports came in (the fixtures
//! made by `make_fixtures.py`; their planted findings are checked cell by cell by
//! tests/planted.rs): an untouched official template passes, a KiotViet product
//! list works as the `--inventory` master, and a file that cannot be read is in
//! the JSON report beside the files that could.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::{cell_codes, code, stderr, stdout};
use serde_json::Value;

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
}

/// `skulint ARGS` run in `fixtures/`.
fn run(args: &[&str]) -> Output {
    common::skulint()
        .current_dir(fixtures())
        .args(args)
        .output()
        .unwrap()
}

/// `skulint check PATH --output-format json --fail-on never`.
fn check_json_never(path: &Path) -> Output {
    common::skulint()
        .args(["check", "--output-format", "json", "--fail-on", "never"])
        .arg(path)
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(output), stderr(output)))
}

/// `CELL CODE` of every finding in the report.
fn cells(report: &Value) -> BTreeSet<String> {
    cell_codes(report).into_iter().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// TikTok's batch upload template as TikTok ships it (its example product on
/// row 6, the Example, Instruction and hidden sheets): exit 0 with the default
/// `--fail-on`, and the report says what was not read as listings.
#[test]
fn the_untouched_tiktok_upload_template_exits_0() {
    let output = run(&["check", "tiktok-upload-template.xlsx"]);
    assert_eq!(code(&output), 0, "{}{}", stdout(&output), stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("No problems found"), "{text}");
    assert!(text.contains("1 example row"), "{text}");
    for sheet in ["Example", "Instruction", "Category"] {
        assert!(text.contains(sheet), "{sheet} not named as skipped: {text}");
    }

    let report = json(&run(&[
        "check",
        "tiktok-upload-template.xlsx",
        "--output-format",
        "json",
    ]));
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    let sheets = report["files"][0]["sheets"].as_array().unwrap();
    let template = &sheets[0];
    assert_eq!(template["name"], "Template");
    assert_eq!(template["data_rows"], 0);
    assert_eq!(template["rows_skipped"]["example"], 1, "{template:#}");
    let skipped: Vec<(&str, &str)> = sheets[1..]
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["skipped"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("Example", "example"),
            ("Instruction", "instructions"),
            ("Category", "hidden")
        ]
    );
}

/// The same template filled by a seller: the filled rows are read, TikTok's
/// example row still is not, and the faults on rows without a SKU fail the run.
#[test]
fn the_filled_tiktok_upload_template_fails_on_its_stock_faults() {
    let output = run(&["check", "tiktok-upload-filled.xlsx"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&run(&[
        "check",
        "tiktok-upload-filled.xlsx",
        "--output-format",
        "json",
    ]));
    let stock: BTreeSet<String> = cells(&report)
        .into_iter()
        .filter(|c| c.ends_with("STK001"))
        .collect();
    assert_eq!(stock, set(&["N8 STK001", "N9 STK001"]));
    assert!(!cells(&report).iter().any(|c| c.starts_with("O6 ")));
}

/// A KiotViet product list (`Mã hàng`, `Tồn kho`) as the master: a listing with
/// more than the master's stock is STK004, a code the master lacks is STK006.
#[test]
fn a_kiotviet_product_list_is_an_inventory_master() {
    let args = [
        "check",
        "--inventory",
        "inventory/kiotviet-master.xlsx",
        "inventory/kiotviet-shop.csv",
        "--output-format",
        "json",
    ];
    let output = run(&args);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(cells(&report), set(&["C3 STK004", "B4 STK006"]));
    let oversell = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "STK004")
        .unwrap();
    let message = oversell["message"].as_str().unwrap();
    assert!(
        message.contains("18 available") && message.contains("Sheet1!I3"),
        "the master's Tồn kho of SP000102 is 18, at I3: {message}"
    );
    assert_eq!(oversell["fix"]["replacement"], "18");
}

/// A missing file named beside a good one: the good one is checked, the missing
/// one is in the JSON `errors` with its message, and the run exits 2.
#[test]
fn an_unreadable_file_is_in_the_json_errors_and_exits_2() {
    let output = run(&[
        "check",
        "no-such-export.xlsx",
        "kiotviet-products.xlsx",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let report = json(&output);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["file"], "no-such-export.xlsx");
    assert!(
        !errors[0]["message"].as_str().unwrap().trim().is_empty(),
        "{errors:#?}"
    );
    let paths: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["kiotviet-products.xlsx"]);
    assert!(cells(&report).contains("C10 SKU007"), "{report:#}");
    assert!(
        stderr(&output).contains("no-such-export.xlsx"),
        "{}",
        stderr(&output)
    );
}

/// Shopify's 2024 inventory export: the stock is `Available (not editable)`
/// (Q); `On hand (new)` (S) is left blank for the seller to type into.
#[test]
fn a_shopify_inventory_export_is_checked_on_its_available_column() {
    let report = json(&run(&[
        "check",
        "csv/shopify-inventory.csv",
        "--output-format",
        "json",
        "--fail-on",
        "never",
    ]));
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["columns"]["stock"], "Q", "{sheet:#}");
    assert_eq!(sheet["data_rows"], 6);
    assert_eq!(
        cells(&report),
        set(&[
            "Q3 STK001",
            "I5 SKU007",
            "I6 SKU007",
            "Q6 STK001",
            "I7 SKU002"
        ])
    );
}

/// A variation row without a SKU is SKU007 even when its product's parent SKU
/// is filled on it (Shopee's mass-upload template repeats it on every row);
/// only a product without variations is linked by its parent SKU.
#[test]
fn a_variation_without_a_sku_is_reported_beside_a_filled_parent_sku() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("variations.csv");
    std::fs::write(
        &path,
        "Product Name,Parent SKU,Variation Name,SKU,Stock\n\
         Kaos Polos,KAOS-PLS,Hitam,KAOS-HTM,5\n\
         Kaos Polos,KAOS-PLS,Putih,,7\n\
         Topi Bucket,TOPI-01,,,3\n",
    )
    .unwrap();
    let output = check_json_never(&path);
    assert_eq!(cells(&json(&output)), set(&["D3 SKU007"]));
}

/// A note row above the header (Amazon's manifest: a one-cell note, then
/// two-cell default rows) is not the header the field count is judged by.
#[test]
fn a_csv_with_short_note_rows_above_its_header_gets_no_field_count_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.csv");
    std::fs::write(
        &path,
        "Please review the Example tab before you complete this sheet\n\n\
         Default prep owner,Seller\nDefault labeling owner,Seller\n\n\n,Optional\n\
         Merchant SKU,Quantity,Prep owner,Labeling owner\n\
         KAOS-HTM-M,5,Seller,Seller\nKAOS-HTM-L,-5,Seller,Seller\n",
    )
    .unwrap();
    let output = check_json_never(&path);
    assert_eq!(cells(&json(&output)), set(&["B10 STK001"]));
    assert_eq!(stderr(&output), "", "no warning expected");
}
