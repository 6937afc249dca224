//! The benchmark exports (benches/generate.rs) must read as they are meant to:
//! with `--shops N` every row is listed once per shop, so skulint has to find
//! the Shop column, report each planted fault once per shop and never take the
//! same SKU in two shops for a duplicate — read whole or streamed.

mod common;

#[allow(dead_code)]
#[path = "../benches/generate.rs"]
mod generate;

use std::path::Path;

use clap::Parser;
use common::report_json;
use serde_json::Value;
use skulint::cli::LintOptions;
use skulint::engine::{self, Setup, Unobserved, stream};

type InParts = fn(&Path, &Setup, usize, u64) -> Option<(engine::FileResult, Vec<engine::Notice>)>;

/// Writes `--rows 400` of `layout` for `shops` shops, with the generator's
/// default faults or none.
fn generated(dir: &Path, layout: &str, shops: u32, faults: bool) -> std::path::PathBuf {
    let extension = if layout == "csv" { "csv" } else { "xlsx" };
    let path = dir.join(format!("{layout}-{shops}-{faults}.{extension}"));
    let mut args = vec![
        "generate".to_string(),
        "--rows=400".to_string(),
        format!("--layout={layout}"),
        format!("--shops={shops}"),
        format!("--out={}", path.display()),
    ];
    if !faults {
        for share in ["double-spaces", "invisibles", "duplicates", "bad-stock"] {
            args.push(format!("--{share}=0"));
        }
    }
    generate::generate(&generate::Args::parse_from(args)).unwrap();
    path
}

/// The JSON report of `path` read whole, after checking that streaming it in
/// parts of 64 rows gives the same bytes.
fn report(path: &Path, in_parts: InParts) -> Value {
    let setup = engine::setup(&LintOptions::default().engine_options(None)).unwrap();
    let (whole, _) = engine::lint(&[path.to_path_buf()], &setup, &Unobserved);
    assert!(whole.errors.is_empty(), "{:?}", whole.errors);
    let expected = report_json(&whole);
    let (result, notices) = in_parts(path, &setup, 64, 0).expect("the file is streamed");
    let (streamed, _) = engine::assemble(&setup, vec![(vec![result], notices)]);
    assert_eq!(
        report_json(&streamed),
        expected,
        "{} streamed",
        path.display()
    );
    serde_json::from_str(&expected).unwrap()
}

fn by_code(report: &Value) -> &serde_json::Map<String, Value> {
    report["summary"]["by_code"].as_object().unwrap()
}

fn assert_shops_read_apart(layout: &str, in_parts: InParts) {
    let dir = tempfile::tempdir().unwrap();
    let one = report(&generated(dir.path(), layout, 1, true), in_parts);
    let two = report(&generated(dir.path(), layout, 2, true), in_parts);

    let columns = &two["files"][0]["sheets"][0]["columns"];
    assert_eq!(columns["shop"], "A", "{layout}: {columns}");
    assert_eq!(columns["sku"], "G", "{layout}: {columns}");
    assert_eq!(columns["stock"], "I", "{layout}: {columns}");
    assert!(one["files"][0]["sheets"][0]["columns"]["shop"].is_null());
    assert_eq!(two["summary"]["rows"], 800);

    // Each shop lists the same rows: every finding once per shop, the
    // copy-paste duplicates included, and no duplicate across the shops.
    assert!(by_code(&one).contains_key("DUP001"), "{layout}: {one:#}");
    let doubled: serde_json::Map<String, Value> = by_code(&one)
        .iter()
        .map(|(code, n)| (code.clone(), Value::from(2 * n.as_u64().unwrap())))
        .collect();
    assert_eq!(by_code(&two), &doubled, "{layout}");

    let clean = report(&generated(dir.path(), layout, 2, false), in_parts);
    assert_eq!(clean["summary"]["diagnostics"], 0, "{layout}: {clean:#}");
}

#[test]
fn shopee_exports_of_several_shops_read_apart() {
    assert_shops_read_apart("shopee", stream::lint_xlsx_in_parts);
}

#[test]
fn csv_listings_of_several_shops_read_apart() {
    assert_shops_read_apart("csv", stream::lint_csv_in_parts);
}

/// `fix` lints the fixed export again taking over the first lint's findings
/// on the rows it did not change: on the generated exports, with their
/// copy-paste duplicates, that must find what a whole lint finds.
#[test]
fn the_lint_after_fixing_a_generated_export_finds_what_a_whole_lint_finds() {
    let dir = tempfile::tempdir().unwrap();
    for layout in ["shopee", "csv"] {
        for shops in [1, 2] {
            let path = generated(dir.path(), layout, shops, true);
            let (changed, taken_over) = common::assert_relint_is_whole(&path);
            assert!(changed > 0 && taken_over > 0, "{layout}, {shops} shops");
        }
    }
}

/// `fix` streaming a generated export (a workbook, a CSV listing), with its
/// faults across parts and the same SKUs in two shops, makes what `fix` of
/// the whole file makes.
#[test]
fn a_generated_export_is_fixed_streamed_as_whole() {
    let dir = tempfile::tempdir().unwrap();
    for layout in ["shopee", "csv"] {
        for shops in [1, 2] {
            let path = generated(dir.path(), layout, shops, true);
            common::assert_streamed_fix_is_whole(&path, &LintOptions::default(), &[64, 1000]);
        }
    }
}
