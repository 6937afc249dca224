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

/// Fixes `path` in memory (safe fixes, then unsafe ones too) and checks that
/// linting the fixed workbook again, taking over the first lint's findings on
/// the rows not changed, finds exactly what a whole lint of it finds. Returns
/// how many cells were changed and how many findings were taken over.
pub fn assert_relint_is_whole(path: &Path) -> (usize, usize) {
    use skulint::engine::{self, Before, Options};
    use skulint::table::read::Depth;

    let setup = engine::setup(&Options::default()).unwrap();
    let (mut changed, mut taken_over) = (0, 0);
    for unsafe_fixes in [false, true] {
        let mut read = engine::read_books(&[path.to_path_buf()], &setup, Depth::Values);
        let mut before = Vec::new();
        let planned: Vec<Vec<skulint::fix::Change>> = engine::lint_books(&read.books, &setup)
            .into_iter()
            .map(|linted| {
                let Ok(mut linted) = linted else {
                    before.push(None);
                    return Vec::new();
                };
                let mut kept = Before::new(&linted.tables, &linted.diagnostics);
                let csv = skulint::fix::is_csv(linted.workbook);
                let changes =
                    skulint::fix::plan(&linted.tables, &mut linted.diagnostics, unsafe_fixes, csv);
                changed += changes.len();
                kept.set_changed(changes.iter().map(|c| (c.sheet_index, c.row)));
                before.push(Some(kept));
                changes
            })
            .collect();
        for (book, changes) in read.books.iter_mut().zip(&planned) {
            if let Ok(workbook) = book {
                skulint::fix::apply_in_place(workbook, changes);
            }
        }
        let whole = engine::lint_books(&read.books, &setup);
        let again = engine::relint_books(&read.books, &setup, &before);
        for ((whole, again), before) in whole.iter().zip(&again).zip(&before) {
            match (whole, again) {
                (Ok(whole), Ok(again)) => {
                    assert!(
                        whole.diagnostics == again.diagnostics,
                        "{}: the lint after fixing differs from a whole lint",
                        path.display()
                    );
                    // Counted only where they were taken over, not linted again.
                    if let Some(before) = before.as_ref().filter(|b| b.fits(&whole.tables)) {
                        taken_over += before.taken_over();
                    }
                }
                (Err(whole), Err(again)) => assert_eq!(whole.message, again.message),
                _ => panic!("{}: one lint failed, the other did not", path.display()),
            }
        }
    }
    (changed, taken_over)
}

/// `fix` of a workbook streamed (src/engine/stream.rs) in parts of each of
/// `part_sizes` rows, whatever its size, makes what the whole-file path makes:
/// the same changes, resync plan, findings left, report, notices and patched
/// package, with and without the unsafe fixes.
pub fn assert_streamed_fix_is_whole(
    path: &Path,
    options: &skulint::cli::LintOptions,
    part_sizes: &[usize],
) {
    assert_streamed_fix_is_whole_or_falls_back(path, options, part_sizes, &|_, _| false);
}

/// [`assert_streamed_fix_is_whole`], where a streamed fix may also be left
/// to the whole-file path when `may_fall_back` says so for the part size and
/// whether the unsafe fixes are applied.
pub fn assert_streamed_fix_is_whole_or_falls_back(
    path: &Path,
    options: &skulint::cli::LintOptions,
    part_sizes: &[usize],
    may_fall_back: &dyn Fn(usize, bool) -> bool,
) {
    use skulint::engine::fix::{Corrected, FixOptions, fix_group, fix_streamed};
    use skulint::engine::{FileRows, Unobserved};
    use skulint::table::Format;
    let setup = skulint::engine::setup(&options.engine_options(None)).unwrap();
    let copy = |_: &[skulint::fix::Change]| true;
    for unsafe_fixes in [false, true] {
        let options = FixOptions {
            unsafe_fixes,
            rebuild: false,
        };
        let whole = fix_group(&[path.to_path_buf()], &setup, &options, &copy, &Unobserved)
            .pop()
            .unwrap()
            .unwrap();
        for &part_rows in part_sizes {
            let at = format!(
                "{} in parts of {part_rows} rows, unsafe fixes: {unsafe_fixes}",
                path.display()
            );
            let Some(streamed) = fix_streamed(
                path,
                &setup,
                &options,
                &copy,
                part_rows,
                0,
                &FileRows::new(&Unobserved),
            ) else {
                // Left to the whole-file path: a package the patcher cannot
                // take, or a fixed cell inside an array formula. The CSV
                // files given here must be fixed streamed.
                let workbook = matches!(whole.format, Format::Xlsx | Format::Xlsm);
                let rebuilt = workbook
                    && matches!(&whole.made, Some(Ok(made)) if made.corrected == Corrected::Rebuilt);
                let formula = whole.notices.iter().any(|n| n.contains("holds a formula"));
                assert!(
                    rebuilt || formula || may_fall_back(part_rows, unsafe_fixes),
                    "{at}: not streamed"
                );
                continue;
            };
            let streamed = streamed.unwrap();
            assert_eq!(streamed.changes, whole.changes, "{at}");
            assert_eq!(streamed.resync, whole.resync, "{at}");
            assert_eq!(streamed.remaining, whole.remaining, "{at}");
            assert_eq!(
                format!("{:?}", streamed.report),
                format!("{:?}", whole.report),
                "{at}"
            );
            assert_eq!(streamed.notices, whole.notices, "{at}");
            let bytes = |fixed: &skulint::engine::fix::Fixed| {
                fixed
                    .made
                    .as_ref()
                    .map(|made| made.as_ref().unwrap().bytes.clone())
            };
            assert!(bytes(&whole).is_some(), "{at}");
            assert!(
                bytes(&streamed) == bytes(&whole),
                "{at}: the patched packages differ"
            );
        }
    }
}
