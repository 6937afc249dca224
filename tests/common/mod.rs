//! What the CLI test files share: the binary, the repository root, and the
//! parts of a finished run. Each file uses some of them.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn skulint() -> Command {
    Command::cargo_bin("skulint").unwrap()
}

pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {output:?}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `CELL CODE` of every finding of a JSON report (`F11 SKU001`), in report order.
pub fn cell_codes(report: &serde_json::Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .expect("a skulint/v1 report")
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["cell"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect()
}

/// A workbook whose SKU in A2 is computed by a formula giving `KAOS  HITAM`
/// (two spaces), with `second_sku` typed in A3.
pub fn formula_sku_workbook(path: &Path, second_sku: &str) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    let formula = rust_xlsxwriter::Formula::new("=\"KAOS\"&\"  \"&\"HITAM\"");
    sheet
        .write_formula(1, 0, formula.set_result("KAOS  HITAM"))
        .unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    sheet.write_string(2, 0, second_sku).unwrap();
    sheet.write_number(2, 1, 4.0).unwrap();
    book.save(path).unwrap();
}

/// A report as `--output-format json` writes it.
pub fn report_json(report: &skulint::emit::Report) -> String {
    let mut out = Vec::new();
    skulint::emit::OutputFormat::Json
        .emitter(false, false, false)
        .emit(&mut out, report)
        .unwrap();
    String::from_utf8(out).unwrap()
}
