//! `skulint fix` round-trip tests: the corrected workbook is re-read with calamine
//! (not with skulint's own reader) and compared cell by cell with the input; only
//! the cells whose safe fixes apply may differ, and they must hold exactly the fixed
//! value. Also the blocking of fixes that would create duplicates, the resync plan,
//! and the options of `fix` (`--diff`, `-o`, `--in-place`, `--changes`, exit codes).

mod common;

use common::{code, root, skulint, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use calamine::{Data, Dimensions, Reader, SheetVisible, Xlsx, open_workbook};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula};
use serde_json::Value;

// ---------------------------------------------------------------------------
// helpers

/// Asserts the run did not crash and did not report a usage or input error.
fn assert_ran(output: &Output, what: &str) {
    let code = code(output);
    assert!(
        code == 0 || code == 1,
        "{what}: exit {code}\nstderr: {}",
        stderr(output)
    );
    assert!(
        !stderr(output).contains("panicked"),
        "{what}: {}",
        stderr(output)
    );
}

/// `skulint fix <path> [args]`, expecting exit 0 or 1.
fn fix(path: &Path, args: &[&str]) -> Output {
    let output = skulint().arg("fix").arg(path).args(args).output().unwrap();
    assert_ran(&output, &format!("fix {}", path.display()));
    output
}

/// `skulint check <path> --output-format json [args]`.
fn check_json(path: &Path, args: &[&str]) -> Value {
    let output = skulint()
        .arg("check")
        .arg(path)
        .args(["--output-format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        0,
        "check {}: {}",
        path.display(),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `skulint fix <path> --output-format json [args]`: the report of what remains.
fn fix_json(path: &Path, args: &[&str]) -> Value {
    let output = skulint()
        .arg("fix")
        .arg(path)
        .args(["--output-format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        code(&output),
        0,
        "fix {}: {}",
        path.display(),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().expect("diagnostics array")
}

/// `F11` → (10, 5), 0-based (row, col).
fn parse_cell(cell: &str) -> (u32, u32) {
    let letters: String = cell
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let digits = &cell[letters.len()..];
    let col = letters
        .chars()
        .fold(0u32, |acc, c| acc * 26 + (c as u32 - 'A' as u32 + 1))
        - 1;
    let row: u32 = digits.parse().unwrap_or_else(|_| panic!("bad cell {cell}"));
    (row - 1, col)
}

fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push((b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

/// One worksheet as calamine sees it.
#[derive(Debug)]
struct SheetData {
    name: String,
    visible: SheetVisible,
    /// Non-empty cells by absolute 0-based (row, col).
    cells: BTreeMap<(u32, u32), Data>,
    /// Formula text by absolute (row, col).
    formulas: BTreeMap<(u32, u32), String>,
    merges: BTreeSet<Dimensions>,
}

/// Every worksheet of an xlsx file, in workbook order, read with calamine.
fn read_xlsx(path: &Path) -> Vec<SheetData> {
    let mut book: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|e| panic!("calamine {}: {e}", path.display()));
    let metadata = book.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for meta in metadata {
        let range = book.worksheet_range(&meta.name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let cells = range
            .used_cells()
            .map(|(r, c, v)| ((r0 + r as u32, c0 + c as u32), v.clone()))
            .collect();
        let formula_range = book.worksheet_formula(&meta.name).unwrap();
        let (f0, g0) = formula_range.start().unwrap_or((0, 0));
        let formulas = formula_range
            .used_cells()
            .filter(|(_, _, f)| !f.is_empty())
            .map(|(r, c, f)| ((f0 + r as u32, g0 + c as u32), f.clone()))
            .collect();
        let merges = book
            .merge_cells_by_sheet_name(&meta.name)
            .unwrap()
            .into_iter()
            .collect();
        sheets.push(SheetData {
            name: meta.name.clone(),
            visible: meta.visible,
            cells,
            formulas,
            merges,
        });
    }
    sheets
}

/// (sheet, 0-based row, 0-based col) → (old value, new value).
type Expected = BTreeMap<(String, u32, u32), (String, String)>;

/// Compares input and output workbooks: same sheets in order with the same
/// visibility, same formulas and merged ranges, every cell equal in value and type
/// except the `expected` ones, which must go from the old text to the new text.
/// Returns the list of differences (empty when the round trip is faithful).
fn compare_xlsx(input: &[SheetData], output: &[SheetData], expected: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    let names = |book: &[SheetData]| -> Vec<(String, SheetVisible)> {
        book.iter().map(|s| (s.name.clone(), s.visible)).collect()
    };
    if names(input) != names(output) {
        problems.push(format!(
            "sheets differ: input {:?}, output {:?}",
            names(input),
            names(output)
        ));
        return problems;
    }
    for (a, b) in input.iter().zip(output) {
        let keys: BTreeSet<(u32, u32)> = a.cells.keys().chain(b.cells.keys()).copied().collect();
        for key in keys {
            let before = a.cells.get(&key).unwrap_or(&Data::Empty);
            let after = b.cells.get(&key).unwrap_or(&Data::Empty);
            let at = format!("{}!{}", a.name, cell_name(key.0, key.1));
            match expected.get(&(a.name.clone(), key.0, key.1)) {
                Some((old, new)) => {
                    if *before != Data::String(old.clone()) {
                        problems.push(format!("{at}: input {before:?}, expected text {old:?}"));
                    }
                    if *after != Data::String(new.clone()) {
                        problems.push(format!("{at}: fixed to {after:?}, expected text {new:?}"));
                    }
                }
                None => {
                    if before != after {
                        problems.push(format!("{at}: {before:?} became {after:?}"));
                    }
                }
            }
        }
        if a.formulas != b.formulas {
            problems.push(format!(
                "{}: formulas {:?} became {:?}",
                a.name, a.formulas, b.formulas
            ));
        }
        if a.merges != b.merges {
            problems.push(format!(
                "{}: merged ranges {:?} became {:?}",
                a.name, a.merges, b.merges
            ));
        }
    }
    problems
}

/// The cells a `check` report says `fix` changes: the findings whose fix is safe.
/// All safe findings of one cell must agree on the replacement.
fn safe_fixes(report: &Value) -> Expected {
    let mut expected = Expected::new();
    for d in diagnostics(report) {
        if d["fix"]["applicability"] != "safe" {
            continue;
        }
        let (row, col) = parse_cell(d["cell"].as_str().unwrap());
        let key = (d["sheet"].as_str().unwrap().to_string(), row, col);
        let value = (
            d["value"].as_str().unwrap().to_string(),
            d["fix"]["replacement"].as_str().unwrap().to_string(),
        );
        if let Some(previous) = expected.insert(key.clone(), value.clone()) {
            assert_eq!(previous, value, "two safe fixes of {key:?} disagree");
        }
    }
    expected
}

/// The resync plan: one JSON object per line.
fn read_plan(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("resync plan {}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

const PLAN_KEYS: [&str; 9] = [
    "channel",
    "file",
    "sheet",
    "row",
    "product_id",
    "variation_id",
    "old_sku",
    "new_sku",
    "stock",
];

/// The keys of DESIGN's plan line; `shop` is added in an export of several
/// shops (a Shop column).
fn assert_plan_keys(entry: &Value) {
    let keys: BTreeSet<&str> = entry
        .as_object()
        .expect("plan line is an object")
        .keys()
        .map(String::as_str)
        .filter(|&key| key != "shop" || entry[key].is_string())
        .collect();
    let mut expected = BTreeSet::from(PLAN_KEYS);
    if entry.get("shop").is_some() {
        expected.insert("shop");
    }
    assert_eq!(keys, expected, "{entry}");
}

fn copy_into(dir: &Path, source: &Path) -> PathBuf {
    let target = dir.join(source.file_name().unwrap());
    std::fs::copy(source, &target).unwrap();
    target
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn write_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Records of a UTF-8 CSV without BOM.
fn csv_rows(path: &Path, delimiter: u8) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

// ---------------------------------------------------------------------------
// 1. round trip of a workbook built here

/// The SKU cells of the built workbook that `fix` must change: (Excel row, old, new, stock).
const BUILT_FIXES: [(u32, &str, &str, Option<i64>); 4] = [
    (3, "KAOS  HITAM-L", "KAOS HITAM-L", Some(5)),
    (4, "KAOS\u{00A0}PUTIH-M", "KAOS PUTIH-M", Some(7)),
    (5, "KAOS PUTIH-L ", "KAOS PUTIH-L", Some(3)),
    (7, "HDI  ABU-L", "HDI ABU-L", None),
];

/// A workbook with every kind of cell `fix` must keep: numbers, text with leading
/// zeros, booleans, dates, formulas, formula-looking text, merged ranges, and a
/// hidden and a very hidden sheet.
fn build_workbook(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = book.add_worksheet();
    sheet.set_name("Sheet1").unwrap();
    for (col, title) in ["Product ID", "SKU", "Stock", "Price", "Note"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    // (product id, SKU, stock, price), 0-based rows 1..=9 (Excel rows 2..=10).
    let rows: [(f64, &str, Option<f64>, f64); 9] = [
        (23938491611.0, "00123", Some(12.0), 45000.0),
        (23938491612.0, "KAOS  HITAM-L", Some(5.0), 45000.0),
        (23938491613.0, "KAOS\u{00A0}PUTIH-M", Some(7.0), 45000.0),
        (23938491614.0, "KAOS PUTIH-L ", Some(3.0), 45000.0),
        (23938491615.0, "KMJ-MRH-M", Some(9.0), 129000.0),
        (23938491616.0, "HDI  ABU-L", None, 175000.0),
        (23938491617.0, "SPT-40", Some(2.0), 99000.0),
        (23938491618.0, "SPT-41", Some(4.0), 99000.0),
        (23938491619.0, "SPT-42", Some(6.0), 99000.0),
    ];
    for (i, (id, sku, stock, price)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_number(row, 0, *id).unwrap();
        sheet.write_string(row, 1, *sku).unwrap();
        if let Some(stock) = stock {
            sheet.write_number(row, 2, *stock).unwrap();
        }
        if row != 4 {
            sheet.write_number(row, 3, *price).unwrap();
        }
    }
    sheet.write_string(1, 4, "Kaos polos").unwrap();
    sheet.write_boolean(2, 4, true).unwrap();
    sheet
        .write_datetime_with_format(3, 4, ExcelDateTime::from_ymd(2024, 1, 15).unwrap(), &date)
        .unwrap();
    // D5: a formula with its cached value.
    sheet
        .write_formula(4, 3, Formula::new("=C2*2").set_result("24"))
        .unwrap();
    // E6: text that looks like a formula.
    sheet.write_string(5, 4, "=HYPERLINK(\"x\")").unwrap();
    // E7: double spaces outside the SKU column are not touched.
    sheet.write_string(6, 4, "Kaos  polos ").unwrap();
    sheet.write_number(7, 4, 3.5).unwrap();
    // E9: a date with a time.
    sheet
        .write_datetime_with_format(
            8,
            4,
            ExcelDateTime::from_ymd(2024, 1, 15)
                .unwrap()
                .and_hms(13, 30, 0)
                .unwrap(),
            &Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        )
        .unwrap();
    sheet
        .merge_range(9, 4, 9, 5, "Catatan gabungan", &Format::new())
        .unwrap();

    let hidden = book.add_worksheet();
    hidden.set_name("Kunci").unwrap();
    hidden.set_hidden(true);
    hidden.write_string(0, 0, "key").unwrap();
    hidden.write_number(0, 1, 42.0).unwrap();
    hidden.write_string(1, 0, "007").unwrap();
    hidden
        .write_formula(1, 1, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    hidden
        .write_formula(0, 2, Formula::new("=A1&\"-x\"").set_result("key-x"))
        .unwrap();

    let very_hidden = book.add_worksheet();
    very_hidden.set_name("Rahasia").unwrap();
    very_hidden.set_very_hidden(true);
    very_hidden.write_string(0, 0, "token").unwrap();
    very_hidden.write_boolean(0, 1, false).unwrap();

    book.save(path).unwrap();
}

fn built_expected() -> Expected {
    BUILT_FIXES
        .iter()
        .map(|(row, old, new, _)| {
            (
                ("Sheet1".to_string(), row - 1, 1),
                (old.to_string(), new.to_string()),
            )
        })
        .collect()
}

#[test]
fn built_workbook_round_trips_with_only_the_fixed_skus_changed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    let before = std::fs::read(&input).unwrap();

    let output = fix(&input, &[]);
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");

    let fixed = dir.path().join("export.fixed.xlsx");
    assert!(
        fixed.is_file(),
        "no {}: {}",
        fixed.display(),
        stderr(&output)
    );
    let original = read_xlsx(&input);
    let written = read_xlsx(&fixed);

    // The premises of the comparison: the input is what this test means it to be.
    assert_eq!(original.len(), 3);
    assert_eq!(original[1].visible, SheetVisible::Hidden);
    assert_eq!(original[2].visible, SheetVisible::VeryHidden);

    let problems = compare_xlsx(&original, &written, &built_expected());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let names: Vec<(&str, SheetVisible)> = written
        .iter()
        .map(|s| (s.name.as_str(), s.visible))
        .collect();
    assert_eq!(
        names,
        [
            ("Sheet1", SheetVisible::Visible),
            ("Kunci", SheetVisible::Hidden),
            ("Rahasia", SheetVisible::VeryHidden),
        ]
    );

    let sheet = &written[0];
    // The product id is a number, not text.
    match &sheet.cells[&(1, 0)] {
        Data::Float(f) => assert_eq!(*f, 23938491611.0),
        Data::Int(n) => assert_eq!(*n, 23938491611),
        other => panic!("A2 should be a number, is {other:?}"),
    }
    assert_eq!(sheet.cells[&(1, 1)], Data::String("00123".into()));
    assert_eq!(sheet.cells[&(2, 4)], Data::Bool(true));
    match &sheet.cells[&(3, 4)] {
        Data::DateTime(d) => {
            assert!(d.is_datetime(), "E4 {d:?}");
            assert_eq!(d.as_f64(), 45306.0, "E4 is 2024-01-15");
        }
        other => panic!("E4 should be a date, is {other:?}"),
    }
    // The formula is still a formula, with its cached value.
    assert_eq!(
        sheet.formulas.get(&(4, 3)).map(String::as_str),
        Some("C2*2")
    );
    assert_eq!(sheet.cells[&(4, 3)], Data::Float(24.0));
    // Formula-looking text is text, not a formula.
    assert_eq!(
        sheet.cells[&(5, 4)],
        Data::String("=HYPERLINK(\"x\")".into())
    );
    assert!(
        !sheet.formulas.contains_key(&(5, 4)),
        "E6 became a formula: {:?}",
        sheet.formulas
    );
    assert_eq!(sheet.formulas.len(), 1, "{:?}", sheet.formulas);
    assert_eq!(
        sheet.merges,
        BTreeSet::from([Dimensions {
            start: (9, 4),
            end: (9, 5)
        }])
    );
    assert_eq!(
        sheet.cells[&(9, 4)],
        Data::String("Catatan gabungan".into())
    );
    assert_eq!(sheet.cells[&(6, 4)], Data::String("Kaos  polos ".into()));
    match &sheet.cells[&(8, 4)] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 45306.5625, "E9 is 2024-01-15 13:30"),
        other => panic!("E9 should be a date and time, is {other:?}"),
    }
    let hidden = &written[1];
    assert_eq!(
        hidden.cells[&(1, 1)],
        Data::Error(calamine::CellErrorType::NA)
    );
    assert_eq!(hidden.cells[&(0, 2)], Data::String("key-x".into()));
    assert_eq!(hidden.formulas.len(), 2, "{:?}", hidden.formulas);
    for (row, _, new, _) in BUILT_FIXES {
        assert_eq!(sheet.cells[&(row - 1, 1)], Data::String(new.into()));
    }

    // The resync plan: one line per changed SKU, beside the output.
    let plan = read_plan(&dir.path().join("export.resync.jsonl"));
    assert_eq!(plan.len(), BUILT_FIXES.len(), "{plan:#?}");
    let mut by_row = BTreeMap::new();
    for entry in &plan {
        assert_plan_keys(entry);
        assert_eq!(entry["sheet"], "Sheet1", "{entry}");
        assert!(
            entry["channel"].as_str().is_some_and(|c| !c.is_empty()),
            "{entry}"
        );
        assert!(
            entry["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("export.xlsx")),
            "{entry}"
        );
        assert_eq!(entry["variation_id"], Value::Null, "{entry}");
        by_row.insert(entry["row"].as_u64().expect("row is a number"), entry);
    }
    for (row, old, new, stock) in BUILT_FIXES {
        let entry = by_row
            .get(&(row as u64))
            .unwrap_or_else(|| panic!("no plan line for row {row}: {plan:#?}"));
        assert_eq!(entry["old_sku"], old, "{entry}");
        assert_eq!(entry["new_sku"], new, "{entry}");
        // Product ids are written as numbers show in Excel: no `.0`.
        assert_eq!(
            entry["product_id"],
            format!("2393849161{}", row - 1),
            "{entry}"
        );
        match stock {
            Some(n) => assert_eq!(entry["stock"], Value::from(n), "{entry}"),
            None => assert_eq!(entry["stock"], Value::Null, "{entry}"),
        }
    }
}

#[test]
fn fixed_cells_are_highlighted_and_unfixed_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    fix(&input, &["--rebuild"]);
    let mut book: Xlsx<_> = open_workbook(dir.path().join("export.fixed.xlsx")).unwrap();
    let styles = book.worksheet_style("Sheet1").unwrap();
    let fill = |row: u32, col: u32| {
        styles
            .get((row, col))
            .and_then(|s| s.fill.as_ref())
            .filter(|f| f.pattern != calamine::FillPattern::None)
            .map(|f| format!("{f:?}"))
    };
    for (row, ..) in BUILT_FIXES {
        assert!(
            fill(row - 1, 1).is_some(),
            "fixed cell B{row} has no fill: {:?}",
            styles.get((row - 1, 1))
        );
    }
    assert_eq!(fill(1, 1), None, "B2 was not fixed but has a fill");
    assert_eq!(fill(5, 1), None, "B6 was not fixed but has a fill");
}

#[test]
fn a_rebuilt_workbook_is_the_same_bytes_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    let run = |epoch: Option<&str>| {
        let mut command = skulint();
        command.arg("fix").arg(&input).arg("--rebuild");
        match epoch {
            Some(epoch) => command.env("SOURCE_DATE_EPOCH", epoch),
            None => command.env_remove("SOURCE_DATE_EPOCH"),
        };
        let output = command.output().unwrap();
        assert_ran(&output, "fix --rebuild");
        let bytes = std::fs::read(dir.path().join("export.fixed.xlsx")).unwrap();
        let created = regex::bytes::Regex::new(r"<dcterms:created[^>]*>([^<]*)<")
            .unwrap()
            .captures(&bytes_of_part(&bytes, "docProps/core.xml"))
            .map(|c| String::from_utf8_lossy(&c[1]).into_owned());
        (bytes, created)
    };
    let (first, created) = run(None);
    // Seconds apart: a workbook stamped with the current time would differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (second, _) = run(None);
    assert!(first == second, "two runs wrote different bytes");
    assert_eq!(created.as_deref(), Some("1980-01-01T00:00:00Z"));
    let (dated, created) = run(Some("1700000000"));
    assert_eq!(created.as_deref(), Some("2023-11-14T22:13:20Z"));
    assert!(dated != first);

    let output = skulint()
        .arg("fix")
        .arg(&input)
        .arg("--rebuild")
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("SOURCE_DATE_EPOCH=yesterday"),
        "{}",
        stderr(&output)
    );
}

/// The bytes of one part of a zip package.
fn bytes_of_part(package: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

// ---------------------------------------------------------------------------
// 2. round trip of every fixture

/// Fixes a copy of the xlsx fixture and compares it with the input through calamine,
/// using `check`'s safe fixes as the expected changes.
fn fixture_round_trip(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let input = copy_into(dir.path(), &root().join("fixtures").join(name));
    let before = std::fs::read(&input).unwrap();
    let report = check_json(&input, &[]);
    let expected = safe_fixes(&report);
    assert!(
        !expected.is_empty(),
        "{name}: the fixture has no safe fix, the test proves nothing"
    );

    let output = fix(&input, &[]);
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "{name}: input changed"
    );
    let stem = name.trim_end_matches(".xlsx");
    let fixed = dir.path().join(format!("{stem}.fixed.xlsx"));
    assert!(
        fixed.is_file(),
        "{name}: no {}: {}",
        fixed.display(),
        stderr(&output)
    );
    let problems = compare_xlsx(&read_xlsx(&input), &read_xlsx(&fixed), &expected);
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));

    // One resync line per changed cell in a SKU column; parent SKUs need no
    // resync, except on a product without variations (no SKU, no variation name
    // or id), where the parent SKU is the SKU.
    let column_of = |role: &str| -> BTreeMap<String, u32> {
        report["files"][0]["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| {
                let letter = s["columns"][role].as_str()?;
                Some((
                    s["name"].as_str().unwrap().to_string(),
                    parse_cell(&format!("{letter}1")).1,
                ))
            })
            .collect()
    };
    let sku_columns = column_of("sku");
    let parent_columns = column_of("parent_sku");
    let sheets = read_xlsx(&input);
    let blank = |sheet: &str, row: u32, role: &str| -> bool {
        let Some(col) = column_of(role).get(sheet).copied() else {
            return true;
        };
        let data = sheets.iter().find(|s| s.name == sheet).unwrap();
        data.cells
            .get(&(row, col))
            .is_none_or(|v| matches!(v.to_string().trim(), "" | "0"))
    };
    let single_product = |sheet: &str, row: u32| {
        ["sku", "variation_name", "variation_id"]
            .iter()
            .all(|role| blank(sheet, row, role))
    };
    let want: BTreeSet<(String, u64, String, String)> = expected
        .iter()
        .filter(|((sheet, row, col), _)| {
            sku_columns.get(sheet) == Some(col)
                || (parent_columns.get(sheet) == Some(col) && single_product(sheet, *row))
        })
        .map(|((sheet, row, _), (old, new))| {
            (sheet.clone(), *row as u64 + 1, old.clone(), new.clone())
        })
        .collect();
    let plan = read_plan(&dir.path().join(format!("{stem}.resync.jsonl")));
    for entry in &plan {
        assert_plan_keys(entry);
        assert!(
            entry["stock"].is_null() || entry["stock"].is_u64(),
            "{entry}"
        );
    }
    let got: BTreeSet<(String, u64, String, String)> = plan
        .iter()
        .map(|e| {
            (
                e["sheet"].as_str().unwrap().to_string(),
                e["row"].as_u64().unwrap(),
                e["old_sku"].as_str().unwrap().to_string(),
                e["new_sku"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(plan.len(), want.len(), "{name}: {plan:#?}");
    assert_eq!(got, want, "{name}: resync plan");
}

#[test]
fn fixture_demo_shopee_sales_info_round_trips() {
    fixture_round_trip("demo-shopee-sales-info.xlsx");
}

#[test]
fn fixture_shopee_basic_template_round_trips() {
    fixture_round_trip("shopee-basic-template.xlsx");
}

#[test]
fn fixture_lazada_price_stock_round_trips() {
    fixture_round_trip("lazada-price-stock.xlsx");
}

#[test]
fn fixture_tiktok_batch_edit_round_trips() {
    fixture_round_trip("tiktok-batch-edit.xlsx");
}

#[test]
fn fixture_multichannel_reserved_round_trips() {
    fixture_round_trip("multichannel-reserved.xlsx");
}

/// The merged cells of a multichannel export stay merged in the corrected copy.
#[test]
fn fixture_multichannel_merged_round_trips() {
    fixture_round_trip("multichannel-merged.xlsx");
    let dir = tempfile::tempdir().unwrap();
    let input = copy_into(
        dir.path(),
        &root().join("fixtures/multichannel-merged.xlsx"),
    );
    fix(&input, &[]);
    let merges = |path: &Path| {
        let sheet = bytes_of_part(&std::fs::read(path).unwrap(), "xl/worksheets/sheet1.xml");
        let sheet = String::from_utf8(sheet).unwrap();
        let from = sheet.find("<mergeCells").expect("merged cells");
        let to = sheet.find("</mergeCells>").unwrap();
        sheet[from..to].to_string()
    };
    let fixed = dir.path().join("multichannel-merged.fixed.xlsx");
    assert_eq!(merges(&fixed), merges(&input));
    // The fixed SKU's row leaves its product id to the merged cell above: the
    // resync plan names that product.
    let plan = read_plan(&dir.path().join("multichannel-merged.resync.jsonl"));
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert_eq!(plan[0]["row"], 4);
    assert_eq!(plan[0]["product_id"], "23938486435");
    assert_eq!(plan[0]["shop"], "Riseloka Official (Shopee)");
}

#[test]
fn fixture_shopee_sales_info_failures_round_trips() {
    fixture_round_trip("shopee-sales-info-failures.xlsx");
}

/// The parent SKU repeats on every variation row: its fix applies to all of
/// them, even where a row of the same product already holds the fixed value;
/// only another product's parent SKU blocks it. A product without variations
/// has its parent SKU fix in the resync plan (checked by the round trip).
#[test]
fn fixture_shopee_mass_upload_parents_round_trips() {
    fixture_round_trip("shopee-mass-upload-parents.xlsx");
    let input = root().join("fixtures/shopee-mass-upload-parents.xlsx");
    let report = check_json(&input, &[]);
    for cell in ["D6", "D7", "D8", "D9", "D13", "D14", "D16", "D18"] {
        assert_eq!(
            finding(&report, cell, "SKU001")["fix"]["applicability"],
            "safe",
            "{cell}"
        );
    }
    assert_blocked(&report, "D10", "SKU001", "D12");
    assert_blocked(&report, "D11", "SKU001", "D12");
}

#[test]
fn fixture_shopee_mass_upload_numbers_has_nothing_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let input = copy_into(
        dir.path(),
        &root().join("fixtures/shopee-mass-upload-numbers.xlsx"),
    );
    let report = check_json(&input, &[]);
    assert!(safe_fixes(&report).is_empty(), "{report:#}");
    let note = finding(&report, "N2", "SKU010");
    assert_eq!(note["severity"], "info", "{note:#}");
}

#[test]
fn fixture_kiotviet_products_round_trips() {
    fixture_round_trip("kiotviet-products.xlsx");
}

#[test]
fn fixture_shopee_mass_update_basic_info_round_trips() {
    fixture_round_trip("shopee-mass-update-basic-info.xlsx");
}

#[test]
fn fixture_tiktok_upload_filled_round_trips() {
    fixture_round_trip("tiktok-upload-filled.xlsx");
}

/// `*Produk SKU` is read as the product's code, also where a product's name is
/// merged over its variation rows: the fix of `KHM  03` changes every row of
/// the product together.
#[test]
fn fixture_akulaku_bulk_upload_round_trips() {
    for name in ["akulaku-bulk-upload.xlsx", "akulaku-merged-names.xlsx"] {
        fixture_round_trip(name);
        let input = root().join("fixtures").join(name);
        let report = check_json(&input, &[]);
        for cell in ["G12", "G13", "G14"] {
            let fix = &finding(&report, cell, "SKU001")["fix"];
            assert_eq!(fix["applicability"], "safe", "{name} {cell}");
            assert_eq!(fix["replacement"], "KHM 03", "{name} {cell}");
        }
    }
}

/// Stock that a script wrote as formulas, never calculated: read as blank, as
/// the channels read it, and the report says why and what to do. The fix of a
/// SKU beside them leaves the formulas as they are.
#[test]
fn fixture_shopee_stock_formulas_round_trips() {
    let name = "shopee-stock-formulas.xlsx";
    fixture_round_trip(name);
    let report = check_json(&root().join("fixtures").join(name), &[]);
    let warnings = &report["files"][0]["sheets"][0]["warnings"];
    assert_eq!(
        warnings,
        &serde_json::json!([
            "12 cells (H5, H6, H7 and 9 more) of the SKU and stock columns hold formulas with no saved result: the program that wrote the file did not calculate them, so skulint and the channels read them as blank; open the file in Excel or LibreOffice, save it, and check it again"
        ])
    );
}

/// Nothing in TikTok's own template is the seller's: nothing to fix.
#[test]
fn fixture_tiktok_upload_template_has_nothing_to_fix() {
    let input = root().join("fixtures/tiktok-upload-template.xlsx");
    let report = check_json(&input, &[]);
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report:#}");
}

/// Text written without `xml:space="preserve"` (edge spaces, a double space split
/// across rich-text runs, in shared and inline strings) is read as written, not
/// as calamine trims it: its faults are found and fixed, every other cell stays,
/// and the fixed copy checks clean.
#[test]
fn fixture_shopee_untrimmed_text_round_trips() {
    let name = "shopee-untrimmed-text.xlsx";
    let dir = tempfile::tempdir().unwrap();
    let input = copy_into(dir.path(), &root().join("fixtures").join(name));
    let report = check_json(&input, &[]);
    let expected = safe_fixes(&report);
    let cells: Vec<(String, String)> = expected
        .iter()
        .map(|((_, row, col), (old, _))| (cell_name(*row, *col), old.clone()))
        .collect();
    assert_eq!(
        cells,
        [
            ("F8".to_string(), "KAOS-HITAM-L ".to_string()),
            ("F9".into(), "KAOS  PUTIH-M".into()),
            ("E10".into(), " KMJ-FLN".into()),
            ("F12".into(), " KMJ-FLN-BRU-M".into()),
        ]
    );
    // calamine alone reads those cells trimmed, each run on its own.
    let before = read_xlsx(&input);
    let read_by_calamine = |cell: &str| before[0].cells[&parse_cell(cell)].to_string();
    assert_eq!(read_by_calamine("F9"), "KAOSPUTIH-M");
    assert_eq!(read_by_calamine("F12"), "KMJ-FLN-BRU-M");

    fix(&input, &[]);
    let fixed = dir.path().join("shopee-untrimmed-text.fixed.xlsx");
    // The fixed cells hold their new text; every other cell reads as before.
    let as_calamine_reads: Expected = expected
        .iter()
        .map(|(key, (_, new))| {
            let old = before[0].cells[&(key.1, key.2)].to_string();
            (key.clone(), (old, new.clone()))
        })
        .collect();
    let problems = compare_xlsx(&before, &read_xlsx(&fixed), &as_calamine_reads);
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    let again = check_json(&fixed, &[]);
    assert!(diagnostics(&again).is_empty(), "{:#}", again["diagnostics"]);
    // The SKUs are resynced; the parent SKU of a product with variations is not.
    let plan = read_plan(&dir.path().join("shopee-untrimmed-text.resync.jsonl"));
    let renamed: Vec<(&str, &str)> = plan
        .iter()
        .map(|e| {
            (
                e["old_sku"].as_str().unwrap(),
                e["new_sku"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        renamed,
        [
            ("KAOS-HITAM-L ", "KAOS-HITAM-L"),
            ("KAOS  PUTIH-M", "KAOS PUTIH-M"),
            (" KMJ-FLN-BRU-M", "KMJ-FLN-BRU-M"),
        ]
    );
}

#[test]
fn every_xlsx_fixture_has_a_round_trip_test() {
    let tested = [
        "akulaku-bulk-upload.xlsx",
        "akulaku-merged-names.xlsx",
        "kiotviet-products.xlsx",
        "shopee-mass-update-basic-info.xlsx",
        "tiktok-upload-filled.xlsx",
        "tiktok-upload-template.xlsx",
        "shopee-mass-upload-parents.xlsx",
        "shopee-mass-upload-numbers.xlsx",
        "demo-shopee-sales-info.xlsx",
        "shopee-basic-template.xlsx",
        "lazada-price-stock.xlsx",
        "tiktok-batch-edit.xlsx",
        "multichannel-reserved.xlsx",
        "multichannel-merged.xlsx",
        "shopee-sales-info-failures.xlsx",
        "shopee-untrimmed-text.xlsx",
        "shopee-stock-formulas.xlsx",
    ];
    let found: BTreeSet<String> = files_in(&root().join("fixtures"))
        .into_iter()
        .filter(|f| f.ends_with(".xlsx"))
        .collect();
    assert_eq!(
        found,
        tested.iter().map(|s| s.to_string()).collect(),
        "add a round-trip test for the new fixture"
    );
}

/// Fixes a copy of a CSV/TSV fixture: same delimiter, BOM and line endings, and
/// every line without a fixed cell byte-identical.
fn csv_fixture_round_trip(name: &str, delimiter: u8, bom: bool, crlf: bool) {
    let dir = tempfile::tempdir().unwrap();
    let input = copy_into(dir.path(), &root().join("fixtures/csv").join(name));
    let before = std::fs::read(&input).unwrap();
    // The premises: the fixture is in the dialect this test says it is.
    assert_eq!(before.starts_with(b"\xEF\xBB\xBF"), bom, "{name}: BOM");
    assert_eq!(
        before.windows(2).any(|w| w == b"\r\n"),
        crlf,
        "{name}: CRLF"
    );

    let report = check_json(&input, &[]);
    let expected = safe_fixes(&report);
    assert!(!expected.is_empty(), "{name}: no safe fix to test");

    let output = fix(&input, &[]);
    assert_eq!(
        std::fs::read(&input).unwrap(),
        before,
        "{name}: input changed"
    );
    let (stem, extension) = name.rsplit_once('.').unwrap();
    let fixed = dir.path().join(format!("{stem}.fixed.{extension}"));
    let after = std::fs::read(&fixed)
        .unwrap_or_else(|e| panic!("{name}: {} {e}: {}", fixed.display(), stderr(&output)));

    assert_eq!(after.starts_with(b"\xEF\xBB\xBF"), bom, "{name}: BOM kept");
    let crlf_count = |b: &[u8]| b.windows(2).filter(|w| *w == b"\r\n").count();
    let lf_count = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
    assert_eq!(
        crlf_count(&after),
        crlf_count(&before),
        "{name}: CRLF line endings"
    );
    assert_eq!(lf_count(&after), lf_count(&before), "{name}: line count");

    // Physical lines: equal, or the line of a fixed cell with old → new in it.
    let lines =
        |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
    let (old_lines, new_lines) = (lines(&before), lines(&after));
    assert_eq!(old_lines.len(), new_lines.len(), "{name}: line count");
    let header = &old_lines[0];
    assert_eq!(
        header.iter().filter(|&&c| c == delimiter).count(),
        new_lines[0].iter().filter(|&&c| c == delimiter).count(),
        "{name}: delimiter"
    );
    let mut explained = 0;
    for (i, (old, new)) in old_lines.iter().zip(&new_lines).enumerate() {
        if old == new {
            continue;
        }
        let old_text = String::from_utf8_lossy(old);
        let new_text = String::from_utf8_lossy(new);
        let fixed_here = expected.values().any(|(from, to)| {
            old_text.contains(from.as_str()) && old_text.replacen(from.as_str(), to, 1) == new_text
        });
        assert!(
            fixed_here,
            "{name}: line {} changed but holds no fixed cell:\n  {old_text:?}\n  {new_text:?}",
            i + 1
        );
        explained += 1;
    }
    assert_eq!(
        explained,
        expected.len(),
        "{name}: fixed lines {expected:?}"
    );

    // Field by field: only the expected cells differ, and hold the replacement.
    let strip = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&bytes)
            .to_vec();
        let plain = dir.path().join(format!(
            "{}.plain",
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::write(&plain, body).unwrap();
        csv_rows(&plain, delimiter)
    };
    let (rows_in, rows_out) = (strip(&input), strip(&fixed));
    assert_eq!(rows_in.len(), rows_out.len(), "{name}: records");
    let sheet = stem.to_string();
    for (r, (a, b)) in rows_in.iter().zip(&rows_out).enumerate() {
        assert_eq!(a.len(), b.len(), "{name}: record {} width", r + 1);
        for (c, (x, y)) in a.iter().zip(b).enumerate() {
            match expected.get(&(sheet.clone(), r as u32, c as u32)) {
                Some((old, new)) => {
                    assert_eq!(x, old, "{name}: {}", cell_name(r as u32, c as u32));
                    assert_eq!(y, new, "{name}: {}", cell_name(r as u32, c as u32));
                }
                None => assert_eq!(x, y, "{name}: {}", cell_name(r as u32, c as u32)),
            }
        }
    }
    let plan = read_plan(&dir.path().join(format!("{stem}.resync.jsonl")));
    assert_eq!(plan.len(), expected.len(), "{name}: {plan:#?}");
}

#[test]
fn csv_fixture_comma_bom_crlf_keeps_its_dialect() {
    csv_fixture_round_trip("comma-bom-crlf.csv", b',', true, true);
}

#[test]
fn csv_fixture_semicolon_keeps_its_dialect() {
    csv_fixture_round_trip("semicolon.csv", b';', false, false);
}

/// A tab between two words of a SKU becomes one space; SKUs typed in Thai,
/// Lao, Khmer, Burmese, Vietnamese and CJK are left as they are.
#[test]
fn csv_fixture_typed_scripts_turns_a_tab_into_a_space() {
    csv_fixture_round_trip("typed-scripts.csv", b',', false, false);
    let input = root().join("fixtures/csv/typed-scripts.csv");
    let report = check_json(&input, &[]);
    assert_eq!(
        finding(&report, "B16", "SKU003")["fix"]["replacement"],
        "KAOS BIRU-L"
    );
    assert_eq!(safe_fixes(&report).len(), 1, "{report:#}");
}

#[test]
fn tsv_fixture_tabs_keeps_its_dialect() {
    csv_fixture_round_trip("tabs.tsv", b'\t', false, false);
}

/// The size `<table>` in Body (HTML) spans quoted lines: they are copied as
/// they were, and only the line of the fixed SKU changes.
#[test]
fn csv_fixture_shopify_products_keeps_its_html() {
    csv_fixture_round_trip("shopify-products.csv", b',', false, false);
}

/// Cyrillic headers, a BOM, and a no-break space fixed to a space.
#[test]
fn csv_fixture_woocommerce_ru_keeps_its_dialect() {
    csv_fixture_round_trip("woocommerce-ru.csv", b',', true, false);
}

/// The note rows above the header on row 8 are copied as they were.
#[test]
fn csv_fixture_amazon_note_row_keeps_its_note_rows() {
    csv_fixture_round_trip("amazon-note-row.csv", b',', false, false);
}

// ---------------------------------------------------------------------------
// 3. blocking fixes that would create duplicates

/// The findings of `report` at `cell` with code `code`.
/// Every fix of `<stem>.csv` was blocked: its corrected copy is the input as
/// it was, and the resync plan is empty.
fn assert_nothing_fixed(dir: &Path, stem: &str, content: &str) {
    let fixed = std::fs::read_to_string(dir.join(format!("{stem}.fixed.csv"))).unwrap();
    assert_eq!(fixed, content, "nothing may change");
    assert_eq!(
        std::fs::read_to_string(dir.join(format!("{stem}.resync.jsonl"))).unwrap(),
        "",
        "the resync plan must be empty"
    );
}

fn finding<'a>(report: &'a Value, cell: &str, code: &str) -> &'a Value {
    diagnostics(report)
        .iter()
        .find(|d| d["cell"] == cell && d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} at {cell}: {report:#}"))
}

fn assert_blocked(report: &Value, cell: &str, code: &str, naming: &str) {
    let d = finding(report, cell, code);
    assert_eq!(d["fix"]["applicability"], "blocked", "{d:#}");
    let note = d["fix"]["note"].as_str().unwrap_or_default();
    assert!(
        note.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word == naming),
        "the note of {cell} should name {naming}: {d:#}"
    );
}

#[test]
fn a_fix_that_would_duplicate_another_sku_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let content = "SKU,Stock\nKAOS HITAM,1\nKAOS  HITAM,2\n";
    let input = write_file(dir.path(), "dup.csv", content);

    assert_blocked(&check_json(&input, &[]), "A3", "SKU001", "A2");
    assert_blocked(&fix_json(&input, &[]), "A3", "SKU001", "A2");

    assert_nothing_fixed(dir.path(), "dup", content);
}

#[test]
fn two_fixes_that_would_become_equal_are_both_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let content = "SKU,Stock\n KAOS-1,1\nKAOS-1 ,2\n";
    let input = write_file(dir.path(), "edges.csv", content);

    let report = check_json(&input, &[]);
    assert_blocked(&report, "A2", "SKU002", "A3");
    assert_blocked(&report, "A3", "SKU002", "A2");
    let report = fix_json(&input, &[]);
    assert_blocked(&report, "A2", "SKU002", "A3");
    assert_blocked(&report, "A3", "SKU002", "A2");

    assert_nothing_fixed(dir.path(), "edges", content);
}

#[test]
fn an_unsafe_fix_that_would_duplicate_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let content = "SKU,Stock\nSKU12,1\nＳＫＵ１２,2\n";
    let input = write_file(dir.path(), "wide.csv", content);

    let report = fix_json(&input, &["--unsafe-fixes"]);
    assert_blocked(&report, "A3", "SKU005", "A2");
    assert_nothing_fixed(dir.path(), "wide", content);
}

#[test]
fn an_unsafe_fix_without_a_twin_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_file(dir.path(), "wide.csv", "SKU,Stock\nSKU11,1\nＳＫＵ１２,2\n");

    // Without --unsafe-fixes nothing changes.
    fix(&input, &[]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("wide.fixed.csv")).unwrap(),
        "SKU,Stock\nSKU11,1\nＳＫＵ１２,2\n"
    );

    let report = fix_json(&input, &["--unsafe-fixes"]);
    assert!(
        !diagnostics(&report).iter().any(|d| d["code"] == "SKU005"),
        "SKU005 remains after the fix: {report:#}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("wide.fixed.csv")).unwrap(),
        "SKU,Stock\nSKU11,1\nSKU12,2\n"
    );
    let plan = read_plan(&dir.path().join("wide.resync.jsonl"));
    assert_eq!(plan.len(), 1, "{plan:#?}");
    assert_plan_keys(&plan[0]);
    assert_eq!(plan[0]["old_sku"], "ＳＫＵ１２");
    assert_eq!(plan[0]["new_sku"], "SKU12");
    assert_eq!(plan[0]["row"], 3);
    assert_eq!(plan[0]["stock"], 2);
}

// ---------------------------------------------------------------------------
// 4. options

#[test]
fn diff_prints_each_change_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    let before = files_in(dir.path());

    let output = skulint()
        .arg("fix")
        .arg(&input)
        .arg("--diff")
        .output()
        .unwrap();
    assert_ran(&output, "fix --diff");
    assert_eq!(files_in(dir.path()), before, "--diff wrote a file");
    let out = stdout(&output);
    for line in [
        "Sheet1!B3  KAOS␣␣HITAM-L → KAOS␣HITAM-L  (SKU001)",
        "Sheet1!B4  KAOS⟨U+00A0⟩PUTIH-M → KAOS␣PUTIH-M  (SKU003)",
        "Sheet1!B5  KAOS␣PUTIH-L␣ → KAOS␣PUTIH-L  (SKU002)",
        "Sheet1!B7  HDI␣␣ABU-L → HDI␣ABU-L  (SKU001)",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
    let changes = out.lines().filter(|l| l.starts_with("Sheet1!")).count();
    assert_eq!(changes, BUILT_FIXES.len(), "{out}");
}

#[test]
fn output_option_writes_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    let target = dir.path().join("sub").join("corrected.xlsx");
    std::fs::create_dir(dir.path().join("sub")).unwrap();

    fix(&input, &["-o", target.to_str().unwrap()]);
    assert!(target.is_file());
    assert!(
        !dir.path().join("export.fixed.xlsx").exists(),
        "the default output was written too"
    );
    let problems = compare_xlsx(&read_xlsx(&input), &read_xlsx(&target), &built_expected());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let plan = read_plan(&dir.path().join("sub").join("export.resync.jsonl"));
    assert_eq!(plan.len(), BUILT_FIXES.len());
}

#[test]
fn output_equal_to_the_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("export.xlsx");
    build_workbook(&input);
    let before = std::fs::read(&input).unwrap();
    let listing = files_in(dir.path());

    let output = skulint()
        .arg("fix")
        .arg(&input)
        .arg("-o")
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(!stderr(&output).trim().is_empty());
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");
    assert_eq!(files_in(dir.path()), listing, "a file was written");

    // The same file by another spelling of its path.
    let output = skulint()
        .current_dir(dir.path())
        .args(["fix", "export.xlsx", "-o", "./export.xlsx"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");
}

#[test]
fn in_place_keeps_a_backup_and_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let original = "SKU,Stock\r\nKAOS  HITAM,1\r\nKAOS-PUTIH,2\r\n";
    let input = write_file(dir.path(), "stock.csv", original);

    fix(&input, &["--in-place"]);
    let backup = dir.path().join("stock.csv.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "SKU,Stock\r\nKAOS HITAM,1\r\nKAOS-PUTIH,2\r\n"
    );
    assert!(!dir.path().join("stock.fixed.csv").exists());
    let plan = read_plan(&dir.path().join("stock.resync.jsonl"));
    assert_eq!(plan.len(), 1);
}

fn changes_fixture(dir: &Path) -> PathBuf {
    write_file(
        dir,
        "stock.csv",
        "SKU,Stock\nKAOS  HITAM,1\nKAOS-PUTIH,2\n KAOS-MERAH,3\nKAOS\u{200B}-BIRU,4\n",
    )
}

/// (cell, old, new) of the changes `changes_fixture` needs.
const LOGGED: [(&str, &str, &str); 3] = [
    ("A2", "KAOS  HITAM", "KAOS HITAM"),
    ("A4", " KAOS-MERAH", "KAOS-MERAH"),
    ("A5", "KAOS\u{200B}-BIRU", "KAOS-BIRU"),
];

#[test]
fn changes_csv_has_one_row_per_changed_cell() {
    let dir = tempfile::tempdir().unwrap();
    let input = changes_fixture(dir.path());
    let log = dir.path().join("log.csv");
    fix(&input, &["--changes", log.to_str().unwrap()]);
    let mut reader = csv::Reader::from_path(&log).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
    };
    let (cell, old, new) = (column("cell"), column("old"), column("new"));
    let rows: BTreeSet<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[cell].to_string(), r[old].to_string(), r[new].to_string())
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = LOGGED
        .iter()
        .map(|(c, o, n)| (c.to_string(), o.to_string(), n.to_string()))
        .collect();
    assert_eq!(rows, want);
    assert_eq!(
        csv::Reader::from_path(&log).unwrap().records().count(),
        LOGGED.len()
    );
}

#[test]
fn changes_xlsx_has_one_row_per_changed_cell() {
    let dir = tempfile::tempdir().unwrap();
    let input = changes_fixture(dir.path());
    let log = dir.path().join("log.xlsx");
    fix(&input, &["--changes", log.to_str().unwrap()]);
    let mut book: Xlsx<_> = open_workbook(&log).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 1 + LOGGED.len(), "{rows:?}");
    let header: Vec<String> = rows[0].iter().map(|d| d.to_string()).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (cell, old, new) = (column("cell"), column("old"), column("new"));
    let got: BTreeSet<(String, String, String)> = rows[1..]
        .iter()
        .map(|r| (r[cell].to_string(), r[old].to_string(), r[new].to_string()))
        .collect();
    let want: BTreeSet<(String, String, String)> = LOGGED
        .iter()
        .map(|(c, o, n)| (c.to_string(), o.to_string(), n.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn changes_in_another_format_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = changes_fixture(dir.path());
    let listing = files_in(dir.path());
    let output = skulint()
        .arg("fix")
        .arg(&input)
        .arg("--changes")
        .arg(dir.path().join("log.txt"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("log.txt"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
    assert_eq!(files_in(dir.path()), listing, "a file was written");
}

#[test]
fn exit_code_is_0_when_fixing_leaves_nothing_and_1_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    // Only safe-fixable errors: nothing remains after fixing.
    let clean = write_file(
        dir.path(),
        "fixable.csv",
        "SKU,Stock\nKAOS  HITAM,1\n KAOS-PUTIH,2\nKAOS\u{00A0}MERAH,3\n",
    );
    let before = check_json(&clean, &[]);
    assert!(
        diagnostics(&before)
            .iter()
            .any(|d| d["severity"] == "error"),
        "the premise: the file has errors before fixing"
    );
    let output = fix(&clean, &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));

    // A negative stock cannot be fixed: it remains.
    let broken = write_file(
        dir.path(),
        "negative.csv",
        "SKU,Stock\nKAOS  HITAM,-1\nKAOS-PUTIH,2\n",
    );
    let output = fix(&broken, &[]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    // …unless the threshold says otherwise.
    let output = fix(&broken, &["--fail-on", "never"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

/// `x.xlsx` and `x.csv` side by side, or two `x.csv` in different folders
/// fixed into one: their resync plans would have the same name, and one would
/// be lost. Refused before anything is written.
#[test]
fn inputs_whose_outputs_would_share_a_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_file(dir.path(), "x.csv", "SKU,Stock\nKAOS  HITAM,1\n");
    let tsv = write_file(dir.path(), "x.tsv", "SKU\tStock\nKAOS  PUTIH\t2\n");
    let output = skulint().arg("fix").args([&csv, &tsv]).output().unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("would both write") && stderr(&output).contains("x.resync.jsonl"),
        "{}",
        stderr(&output)
    );
    std::fs::create_dir(dir.path().join("b")).unwrap();
    let other = write_file(&dir.path().join("b"), "x.csv", "SKU,Stock\nKAOS  MERAH,3\n");
    let out = dir.path().join("out");
    let output = skulint()
        .arg("fix")
        .args([&csv, &other])
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(
        files_in(dir.path()),
        BTreeSet::from(["b", "x.csv", "x.tsv"].map(String::from))
    );
}

#[test]
fn several_inputs_are_written_into_the_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_file(dir.path(), "a.csv", "SKU,Stock\nKAOS  HITAM,1\n");
    let b = write_file(dir.path(), "b.tsv", "SKU\tStock\n KAOS-PUTIH\t2\n");
    let c = dir.path().join("c.xlsx");
    build_workbook(&c);
    let out = dir.path().join("out");

    let output = skulint()
        .arg("fix")
        .args([&a, &b, &c])
        .arg("-o")
        .arg(format!("{}/", out.display()))
        .output()
        .unwrap();
    assert_ran(&output, "fix a b c -o out/");
    assert_eq!(
        files_in(&out),
        BTreeSet::from(
            [
                "a.fixed.csv",
                "a.resync.jsonl",
                "b.fixed.tsv",
                "b.resync.jsonl",
                "c.fixed.xlsx",
                "c.resync.jsonl",
            ]
            .map(String::from)
        )
    );
    assert_eq!(
        std::fs::read_to_string(out.join("a.fixed.csv")).unwrap(),
        "SKU,Stock\nKAOS HITAM,1\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("b.fixed.tsv")).unwrap(),
        "SKU\tStock\nKAOS-PUTIH\t2\n"
    );
    let problems = compare_xlsx(
        &read_xlsx(&c),
        &read_xlsx(&out.join("c.fixed.xlsx")),
        &built_expected(),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for name in ["a.fixed.csv", "b.fixed.tsv", "c.fixed.xlsx"] {
        assert!(
            !dir.path().join(name).exists(),
            "{name} written beside the input"
        );
    }
}

// ---------------------------------------------------------------------------
// fidelity beyond the fixtures

/// A SKU computed by a formula: either the fix is not applied (formula and cached
/// value kept), or the formula is replaced by the fixed text. Keeping the formula
/// with a new cached value is wrong: Excel recomputes the old SKU on opening.
#[test]

fn a_sku_computed_by_a_formula_is_not_left_disagreeing_with_its_formula() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("formula.xlsx");
    common::formula_sku_workbook(&input, "KAOS-PUTIH");

    fix(&input, &[]);
    let before = read_xlsx(&input);
    let after = read_xlsx(&dir.path().join("formula.fixed.xlsx"));
    let plan = read_plan(&dir.path().join("formula.resync.jsonl"));
    match after[0].formulas.get(&(1, 0)) {
        Some(formula) => {
            assert_eq!(Some(formula), before[0].formulas.get(&(1, 0)));
            assert_eq!(
                after[0].cells[&(1, 0)],
                Data::String("KAOS  HITAM".into()),
                "the formula {formula} is kept but its cached value was changed"
            );
            assert!(
                plan.is_empty(),
                "not fixed, but in the resync plan: {plan:?}"
            );
        }
        None => {
            assert_eq!(after[0].cells[&(1, 0)], Data::String("KAOS HITAM".into()));
            assert_eq!(plan.len(), 1);
        }
    }
}

/// Chart sheets are sheets too: the corrected workbook keeps every sheet.
#[test]
fn chart_sheets_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chart.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Data").unwrap();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    let mut chart = rust_xlsxwriter::Chart::new(rust_xlsxwriter::ChartType::Column);
    chart.add_series().set_values("Data!$B$2:$B$2");
    let chartsheet = book.add_chartsheet();
    chartsheet.set_name("Grafik").unwrap();
    chartsheet.insert_chart(0, 0, &chart).unwrap();
    book.save(&input).unwrap();

    fix(&input, &[]);
    let names = |path: &Path| -> Vec<String> {
        let book: Xlsx<_> = open_workbook(path).unwrap();
        book.sheet_names()
    };
    assert_eq!(
        names(&dir.path().join("chart.fixed.xlsx")),
        names(&input),
        "sheets of the corrected workbook"
    );
}

/// The lines of a CSV file without a fixed cell must come back byte for byte,
/// whatever quoting the exporter used.
#[test]

fn csv_lines_without_a_fix_keep_their_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let content = "\"SKU\",\"Stock\",\"Name\"\n\"KAOS  HITAM\",\"1\",\"Kaos\"\n\"KAOS-PUTIH\",\"2\",\"Kaos  putih\"\n";
    let input = write_file(dir.path(), "quoted.csv", content);
    fix(&input, &[]);
    let fixed = std::fs::read_to_string(dir.path().join("quoted.fixed.csv")).unwrap();
    let (old, new): (Vec<&str>, Vec<&str>) = (content.lines().collect(), fixed.lines().collect());
    assert_eq!(new.len(), old.len(), "{fixed}");
    assert_eq!(new[0], old[0], "header line");
    assert_eq!(new[2], old[2], "line 3 has no fix");
    assert!(
        new[1] == "\"KAOS HITAM\",\"1\",\"Kaos\"" || new[1] == "KAOS HITAM,\"1\",\"Kaos\"",
        "line 2: {}",
        new[1]
    );
}

/// A CSV file that does not end with a newline is written back without one.
#[test]

fn csv_without_a_final_newline_keeps_it_that_way() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_file(
        dir.path(),
        "nonl.csv",
        "SKU,Stock\nKAOS  HITAM,1\nKAOS-PUTIH,2",
    );
    fix(&input, &[]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("nonl.fixed.csv")).unwrap(),
        "SKU,Stock\nKAOS HITAM,1\nKAOS-PUTIH,2"
    );
}

/// A SKU made only of invisible characters is not "fixed" into an empty SKU: the
/// resync plan would push an empty SKU to the channel.
#[test]

fn a_fix_never_empties_a_sku() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_file(dir.path(), "blank.csv", "SKU,Stock\n\u{200B},1\nKAOS-1,2\n");
    for d in diagnostics(&check_json(&input, &[])) {
        if d["fix"]["applicability"] == "safe" {
            assert_ne!(d["fix"]["replacement"], "", "a safe fix empties {d:#}");
        }
    }
    fix(&input, &[]);
    for entry in read_plan(&dir.path().join("blank.resync.jsonl")) {
        assert_ne!(
            entry["new_sku"], "",
            "the resync plan empties a SKU: {entry}"
        );
    }
}

/// SKUs `KAOS  01` to `KAOS  03` in B2:B4, the first two from an array formula
/// over B2:B3 (B3 written apart with the result it shows), and parent SKUs in
/// column C when given.
fn array_formula_export(path: &Path, parents: Option<[&str; 3]>) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, title) in ["Product Name", "SKU", "Stock", "Parent SKU"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *title).unwrap();
    }
    sheet
        .write_array_formula(1, 1, 2, 1, Formula::new("{\"KAOS  01\";\"KAOS  02\"}"))
        .unwrap();
    sheet.write_string(2, 1, "KAOS  02").unwrap();
    sheet.write_string(3, 1, "KAOS  03").unwrap();
    for row in 1..4 {
        sheet.write_string(row, 0, "Kaos polos").unwrap();
        sheet.write_number(row, 2, 5).unwrap();
        if let Some(parents) = parents {
            sheet
                .write_string(row, 3, parents[row as usize - 1])
                .unwrap();
        }
    }
    book.save(path).unwrap();
}

/// A cell inside an array formula's range holds a result only: its fix is left
/// out, with a notice, and its finding stays among those reported after fixing.
#[test]
fn a_sku_inside_an_array_formula_is_left_and_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("array.xlsx");
    array_formula_export(&path, None);

    let out = dir.path().join("array.fixed.xlsx");
    let output = skulint()
        .arg("fix")
        .arg(&path)
        .args(["-o", out.to_str().unwrap(), "--output-format", "json"])
        .output()
        .unwrap();
    let stderr = stderr(&output);
    assert!(
        stderr.contains("B3 holds a formula, so it is left unchanged"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let left: BTreeSet<(String, String)> = diagnostics(&report)
        .iter()
        .map(|d| {
            (
                d["cell"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(left.contains(&("B3".into(), "SKU001".into())), "{left:?}");
    assert!(!left.contains(&("B4".into(), "SKU001".into())), "{left:?}");
    // Reported after fixing, its fix is not offered again: it is blocked, with why.
    let b3 = diagnostics(&report)
        .iter()
        .find(|d| d["cell"] == "B3" && d["code"] == "SKU001")
        .unwrap()
        .clone();
    assert_eq!(b3["fix"]["applicability"], "blocked", "{b3}");
    assert!(
        b3["fix"]["note"]
            .as_str()
            .unwrap()
            .contains("array formula"),
        "{b3}"
    );
    let sheets = read_xlsx(&out);
    assert_eq!(sheets[0].cells[&(3, 1)], Data::String("KAOS 03".into()));
    assert_eq!(sheets[0].cells[&(2, 1)], Data::String("KAOS  02".into()));
}

/// Patching compresses beside the XML rewriting when a second thread is free;
/// the corrected copy (each entry, in order, uncompressed) and the plan must not
/// depend on it.
#[test]
fn the_corrected_copy_is_the_same_with_one_thread_or_more() {
    let dir = tempfile::tempdir().unwrap();
    let input = root().join("fixtures/demo-shopee-sales-info.xlsx");
    let mut copies = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("threads-{threads}.xlsx"));
        fix(&input, &["--threads", threads, "-o", out.to_str().unwrap()]);
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
        let mut entries = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            entries.push((entry.name().unwrap().to_string(), bytes));
        }
        let plan = dir.path().join("demo-shopee-sales-info.resync.jsonl");
        copies.push((entries, std::fs::read(&plan).unwrap()));
    }
    assert!(copies[0] == copies[1], "the outputs differ");
}

/// A row whose SKU fix is dropped (the SKU is inside an array formula's range)
/// but whose parent SKU is fixed keeps its resync entry; that entry must not
/// rename the SKU to the fix that was not applied.
#[test]
fn a_dropped_sku_fix_is_not_in_the_resync_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("array.xlsx");
    array_formula_export(&path, Some(["INDUK-01", "INDUK  02", "INDUK-03"]));

    let out = dir.path().join("array.fixed.xlsx");
    let output = fix(&path, &["-o", out.to_str().unwrap()]);
    assert!(
        stderr(&output).contains("B3 holds a formula"),
        "{}",
        stderr(&output)
    );
    let plan = read_plan(&dir.path().join("array.resync.jsonl"));
    assert!(
        plan.iter().all(|entry| entry["new_sku"] != "KAOS 02"),
        "the plan renames B3 to a SKU the file does not hold: {plan:?}"
    );
}

#[test]
fn a_stock_computed_by_a_formula_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("master.csv");
    std::fs::write(&master, "SKU,Available\nKAOS-1,1\nKAOS-2,1\n").unwrap();
    let export = dir.path().join("export.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS-1").unwrap();
    sheet
        .write_formula(1, 1, Formula::new("=1+2").set_result("3"))
        .unwrap();
    sheet.write_string(2, 0, "KAOS-2").unwrap();
    sheet.write_number(2, 1, 3.0).unwrap();
    book.save(&export).unwrap();
    let changes = dir.path().join("changes.csv");
    for rebuild in [false, true] {
        let mut args = vec![
            "--unsafe-fixes",
            "--inventory",
            master.to_str().unwrap(),
            "--changes",
            changes.to_str().unwrap(),
        ];
        if rebuild {
            args.push("--rebuild");
        }
        let output = fix(&export, &args);
        assert!(code(&output) <= 1, "{}", stderr(&output));
        let log = std::fs::read_to_string(&changes).unwrap();
        // Only the typed stock of KAOS-2 is clamped; the formula stays.
        assert_eq!(log.lines().count(), 2, "{log}");
        assert!(log.contains(",Sheet1,B3,"), "{log}");
        let fixed = dir.path().join("export.fixed.xlsx");
        let mut workbook: Xlsx<_> = open_workbook(&fixed).unwrap();
        let formulas = workbook.worksheet_formula("Sheet1").unwrap();
        assert_eq!(formulas.get_value((1, 1)).map(String::as_str), Some("1+2"));
        let values = workbook.worksheet_range("Sheet1").unwrap();
        assert_eq!(values.get_value((2, 1)), Some(&Data::Float(1.0)));
        std::fs::remove_file(&fixed).unwrap();
        let _ = std::fs::remove_file(dir.path().join("export.resync.jsonl"));
    }
}

// ---------------------------------------------------------------------------
// all outputs or none

/// A folder with two exports to fix, each with a double-spaced SKU.
fn two_exports(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let csv = write_file(dir, "a.csv", "SKU,Stock\nKAOS  HITAM,5\n");
    let xlsx = dir.join("b.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS  PUTIH").unwrap();
    sheet.write_number(1, 1, 3.0).unwrap();
    book.save(&xlsx).unwrap();
    [csv, xlsx]
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// Every output of a run (the corrected copies, their plans, their backups, the
/// change log) is written to its temporary file before the first is renamed: a
/// failure on the way writes none of them, leaves no temporary file, and leaves
/// the inputs as they were.
#[test]
fn a_failure_before_the_first_rename_writes_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let exports = two_exports(dir.path());
    let before = files_in(dir.path());
    // The change log's folder does not exist: found when it is staged, after the
    // copies and plans of both files are.
    let log = dir.path().join("missing/changes.csv");
    let output = skulint()
        .arg("fix")
        .arg(dir.path())
        .args(["-o", dir.path().to_str().unwrap()])
        .arg("--changes")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("missing"), "{}", stderr(&output));
    assert_eq!(
        files_in(dir.path()),
        before,
        "an output or temporary file was left"
    );
    for (path, bytes) in &exports {
        assert!(
            std::fs::read(path).unwrap() == *bytes,
            "{} changed",
            path.display()
        );
    }

    // --in-place: the second file's plan is taken by a folder. Neither input is
    // replaced, no backup is put in place.
    let blocked = dir.path().join("b.resync.jsonl");
    std::fs::create_dir(&blocked).unwrap();
    let before = files_in(dir.path());
    let output = skulint()
        .arg("fix")
        .arg(&exports[1].0)
        .arg("--in-place")
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("b.resync.jsonl"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        files_in(dir.path()),
        before,
        "an output or temporary file was left"
    );
    assert!(std::fs::read(&exports[1].0).unwrap() == exports[1].1);
    std::fs::remove_dir(&blocked).unwrap();

    // Nothing in the way: every output is in place, and no temporary file is left.
    let log = dir.path().join("changes.csv");
    let output = skulint()
        .arg("fix")
        .arg(&exports[0].0)
        .arg(&exports[1].0)
        .arg("--in-place")
        .arg("--changes")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let expected: BTreeSet<String> = [
        "a.csv",
        "a.csv.bak",
        "a.resync.jsonl",
        "b.xlsx",
        "b.xlsx.bak",
        "b.resync.jsonl",
        "changes.csv",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(files_in(dir.path()), expected);
    assert_eq!(csv_rows(&log, b',').len(), 3, "a header and two changes");
    for (path, bytes) in &exports {
        let mut backup = path.as_os_str().to_owned();
        backup.push(".bak");
        assert!(std::fs::read(&backup).unwrap() == *bytes);
    }
}

/// The lint of a fixed workbook takes over what the first lint found on the
/// rows the fix left alone; it must find exactly what linting the fixed
/// workbook from scratch finds, on every fixture (and the corpus, when it is
/// there), with the safe fixes and with the unsafe ones too.
#[test]
fn the_lint_after_fixing_takes_over_the_first_lint_and_finds_what_a_whole_lint_finds() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e != "md" && e != "toml") {
                out.push(path);
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    walk(&root().join("fixtures"), &mut files);
    walk(&root().join("../shared/corpus"), &mut files);
    files.sort();
    let (mut changed, mut taken_over) = (0, 0);
    for path in &files {
        let (c, t) = common::assert_relint_is_whole(path);
        changed += c;
        taken_over += t;
    }
    assert!(
        changed > 0 && taken_over > 0,
        "nothing was fixed or taken over"
    );
}
