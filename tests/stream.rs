//! `check` streams long CSV files and xlsx workbooks in parts
//! (src/engine/stream.rs). Its findings must be exactly those of reading the
//! file whole: here the parts are made a few rows long (the shortest that still
//! reach past the rows under the header), so that duplicates, near-duplicates,
//! SKU010's comparisons and blocked fixes span parts.

mod common;

use std::path::{Path, PathBuf};

use common::report_json;
use skulint::cli::LintOptions;
use skulint::emit::Report;
use skulint::engine::{self, Notice, Setup, Unobserved, stream};

fn setup(options: &LintOptions) -> Setup {
    engine::setup(&options.engine_options(None)).unwrap()
}

fn lint(path: &Path, setup: &Setup) -> (Report, Vec<Notice>) {
    engine::lint(&[path.to_path_buf()], setup, &Unobserved)
}

/// The file read whole and streamed in parts of several sizes give the same
/// JSON report, byte for byte, and the same notices.
fn assert_streams_like_whole(path: &Path, options: &LintOptions) {
    assert_streamed_like_whole(
        path,
        options,
        &[13, 17, 29, 1000],
        stream::lint_csv_in_parts,
    );
}

type InParts = fn(&Path, &Setup, usize, u64) -> Option<(engine::FileResult, Vec<Notice>)>;

/// [`assert_streams_like_whole`] with the part sizes and the streamed strategy given.
fn assert_streamed_like_whole(
    path: &Path,
    options: &LintOptions,
    part_sizes: &[usize],
    in_parts: InParts,
) {
    let setup = setup(options);
    let (whole, whole_notices) = lint(path, &setup);
    assert!(whole.errors.is_empty(), "{:?}", whole.errors);
    let expected = report_json(&whole);
    for &part_rows in part_sizes {
        let (result, notices) = in_parts(path, &setup, part_rows, 0).expect("the file is streamed");
        let (report, streamed_notices) = engine::assemble(&setup, vec![(vec![result], notices)]);
        assert_eq!(
            report_json(&report),
            expected,
            "{} in parts of {part_rows} rows",
            path.display()
        );
        assert_eq!(streamed_notices, whole_notices, "{}", path.display());
    }
}

#[test]
fn fixture_csv_files_stream_like_whole() {
    for name in ["comma-bom-crlf.csv", "semicolon.csv", "tabs.tsv"] {
        let path = PathBuf::from("fixtures/csv").join(name);
        assert_streams_like_whole(&path, &LintOptions::default());
        assert_fixes_like_whole(&path, &[13, 17, 1000]);
    }
}

#[test]
fn duplicates_and_blocked_fixes_across_parts_stream_like_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("Shop,Product ID,Variation ID,Product Name,Parent SKU,SKU,Stock\n");
    let rows = [
        "A,100,1001,Kaos Polos,KAOS-PLS,KAOS-HTM-M,5",
        "A,100,1002,Kaos Polos,,KAOS-HTM-L,4",
        "",
        "A,101,1011,\"Kemeja, Flanel\nMerah\",KMJ-FLN,KMJ  MRH-M,3",
        "A,101,1012,Kemeja,,KMJ MRH-M,2",
        "A,102,1021,Celana,CHN-SLM,CHN-KHK-30,-1",
        "B,200,2001,Kaos Polos,KAOS-PLS,KAOS-HTM-M,5",
        "A,103,1031,Rok,KAOS-PLS,ROK-PLS-MCA,1",
        "A,104,1041,Topi,TOPI\u{a0}BCK,TOPI-BCK,",
        "A,105,1051,Topi 2,TOPI BCK,TOPI-BCK-2,7",
        "A,106,1061,Tas,TAS-SLP,tas-slp-htm,9",
        "A,106,1062,Tas,,TAS-SLP-HTM,9",
        "A,107,1071,Dompet,DMP,DMP-KLT\u{200b},N/A",
        "A,107,1072,Dompet,,DMP-KLT,2",
        "",
        "",
        "A,108,1081,Sepatu,SPT,KAOS-HTM-L,1",
        "A,109,1091,Gamis,GMS,GMS  JMB,2",
        "A,109,1092,Gamis,,GMS JMB,2",
        "A,110,1101,Jaket,HDI,HDI-ABU-L,0",
        // Fixes that apply, written anew in a quoted row and a plain one.
        "A,114,1141,\"Gelang, Emas\",GLG,\"GLG  EMS\",2",
        "A,115,1151,Cincin,CCN, CCN-PRK ,3",
        // A SKU that a spreadsheet turned into scientific notation (SKU010,
        // a rule that compares the rows of a sheet), in two parts.
        "A,112,1121,Kabel,KBL,1.23E+12,3",
        "A,113,1131,Kabel 2,KBL2,4.56E+11,3",
        // A listing without a SKU, a row that only continues product 110, a
        // row with nothing a listing has.
        "A,111,1111,Sandal,,,-5",
        "A,110,,,,,",
        "A,,,,,,",
    ];
    for (i, row) in rows.iter().enumerate() {
        text.push_str(row);
        text.push('\n');
        // Rows without faults between them, so that the faulty ones fall in
        // different parts.
        for j in 0..3 {
            text.push_str(&format!("A,9{i:02}{j},9{i:02}{j}1,Isi,,ISI-{i}-{j},4\n"));
        }
    }
    std::fs::write(&path, text).unwrap();
    assert_streams_like_whole(&path, &LintOptions::default());
    assert_fixes_like_whole(&path, &[13, 17, 29, 1000]);
}

#[test]
fn small_files_and_other_encodings_are_read_whole() {
    let setup = setup(&LintOptions::default());
    let path = Path::new("fixtures/csv/semicolon.csv");
    assert!(
        stream::lint(path, &setup, &engine::FileRows::new(&Unobserved)).is_none(),
        "below the size threshold"
    );
    let dir = tempfile::tempdir().unwrap();
    let utf16 = dir.path().join("utf16.csv");
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "SKU\tStock\nA\t1\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(&utf16, bytes).unwrap();
    assert!(stream::lint_csv_in_parts(&utf16, &setup, 3, 0).is_none());
}

#[test]
fn a_first_part_that_looks_product_level_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("Product ID,Product Name,SKU,Stock\n");
    // The first part: six products whose two rows repeat one code; later,
    // products whose rows have codes of their own. Over the whole file the
    // repeated codes are duplicates.
    for p in 0..6 {
        for _ in 0..2 {
            text.push_str(&format!("{p},Kaos {p},KAOS-{p},5\n"));
        }
    }
    for p in 10..19 {
        for v in 0..2 {
            text.push_str(&format!("{p},Topi {p},TOPI-{p}-{v},5\n"));
        }
    }
    std::fs::write(&path, text).unwrap();
    let setup = setup(&LintOptions::default());
    let (whole, _) = lint(&path, &setup);
    assert_eq!(whole.diagnostics.len(), 12);
    if let Some((result, _)) = stream::lint_csv_in_parts(&path, &setup, 13, 0) {
        assert_eq!(result.unwrap().1, whole.diagnostics);
    }
}

#[test]
fn reader_notices_are_the_same_when_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ragged.csv");
    let mut text = String::from("SKU,Product Name,Stock\n");
    for i in 0..60 {
        match i {
            // An unquoted comma shifts the stock of these rows.
            7 | 31 | 52 => text.push_str(&format!("KAOS-{i},Kaos, Polos,{i}\n")),
            // A second export pasted under the first, with its byte-order mark.
            40 => text.push_str("\u{feff}SKU,Product Name,Stock\n"),
            _ => text.push_str(&format!("KAOS-{i},Kaos {i},{i}\n")),
        }
    }
    std::fs::write(&path, text).unwrap();
    let (_, notices) = lint(&path, &setup(&LintOptions::default()));
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].message.contains("row 42"), "{notices:?}");
    assert!(notices[1].message.contains("3 row(s)"), "{notices:?}");
    assert_streams_like_whole(&path, &LintOptions::default());
}

#[test]
fn reader_limits_hold_when_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("SKU,Stock\n");
    for i in 0..100 {
        text.push_str(&format!("KAOS-{i},{i}\n\n"));
    }
    std::fs::write(&path, &text).unwrap();
    assert_limits_hold(&path, [(250, None), (10_000, Some(100))], |setup| {
        stream::lint_csv_in_parts(&path, setup, 13, 0)
    });
    // Past --max-cells, the stream refuses the file itself, as the whole-file
    // reader does, instead of leaving it to be read whole first.
    let options = LintOptions {
        max_cells: Some(250),
        ..LintOptions::default()
    };
    let refused = stream::lint_csv_in_parts(&path, &setup(&options), 13, 0);
    assert!(matches!(refused, Some((Err(_), _))));
}

/// Under each (`--max-cells`, `--max-file-size`), the file read whole is
/// refused, and the streamed strategy refuses it with the same error and
/// notices, or leaves it to the whole-file reader.
fn assert_limits_hold(
    path: &Path,
    limits: [(u64, Option<u64>); 2],
    streamed: impl Fn(&Setup) -> Option<(engine::FileResult, Vec<Notice>)>,
) {
    for (max_cells, max_file_size) in limits {
        let options = LintOptions {
            max_cells: Some(max_cells),
            max_file_size: max_file_size.map(skulint::table::read::Size),
            ..LintOptions::default()
        };
        let setup = setup(&options);
        let (whole, whole_notices) = lint(path, &setup);
        assert_eq!(whole.errors.len(), 1, "read whole, the file is refused");
        if let Some((result, notices)) = streamed(&setup) {
            let error = result.expect_err("streamed, the file is refused");
            assert_eq!(
                (error.path, error.message),
                (
                    whole.errors[0].path.clone(),
                    whole.errors[0].message.clone()
                )
            );
            assert_eq!(notices, whole_notices);
        }
    }
}

#[test]
fn a_workbook_named_csv_is_left_to_the_whole_file_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::copy("fixtures/demo-shopee-sales-info.xlsx", &path).unwrap();
    let setup = setup(&LintOptions::default());
    assert!(stream::lint_csv_in_parts(&path, &setup, 13, 0).is_none());
    let html = dir.path().join("page.csv");
    std::fs::write(&html, "<html><table><tr><td>SKU</td></tr></table></html>\n").unwrap();
    assert!(stream::lint_csv_in_parts(&html, &setup, 13, 0).is_none());
}

/// An xlsx workbook with the faults of the CSV test above and those only a
/// workbook has: SKUs stored as numbers (intact, with a leading zero lost that
/// is text in another part, with a decimal part, in scientific notation),
/// formula cells on rows with a fix, dates and booleans, blank rows and a
/// title above the header.
fn planted_workbook(path: &Path) {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Listing").unwrap();
    sheet
        .write_string(0, 0, "Stock update, do not edit the header")
        .unwrap();
    let header = [
        "Shop",
        "Product ID",
        "Variation ID",
        "Product Name",
        "Parent SKU",
        "SKU",
        "Stock",
        "Updated",
    ];
    for (col, text) in header.iter().enumerate() {
        sheet.write_string(1, col as u16, *text).unwrap();
    }
    let mut row = 2u32;
    let mut filler = 0;
    let mut write = |sheet: &mut rust_xlsxwriter::Worksheet, cells: &[Cell]| {
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(text) => sheet.write_string(row, col, *text).map(|_| ()),
                Cell::Number(n) => sheet.write_number(row, col, *n).map(|_| ()),
                Cell::Formula(f, result) => sheet
                    .write_formula(row, col, Formula::new(*f).set_result(*result))
                    .map(|_| ()),
                Cell::Bool(b) => sheet.write_boolean(row, col, *b).map(|_| ()),
                Cell::Blank => Ok(()),
            }
            .unwrap();
        }
        row += 1;
        // Rows without faults between them, so that the faulty ones fall in
        // different parts; now and then a blank row.
        for _ in 0..3 {
            filler += 1;
            let sku = format!("ISI-{filler}");
            sheet.write_string(row, 0, "A").unwrap();
            sheet.write_number(row, 1, 9000.0 + filler as f64).unwrap();
            sheet.write_string(row, 3, "Isi").unwrap();
            sheet.write_string(row, 5, &sku).unwrap();
            sheet.write_number(row, 6, 4.0).unwrap();
            row += if filler % 7 == 0 { 2 } else { 1 };
        }
    };
    use Cell::*;
    let rows: Vec<Vec<Cell>> = vec![
        vec![
            Text("A"),
            Number(100.0),
            Number(1001.0),
            Text("Kaos Polos"),
            Text("KAOS-PLS"),
            Text("KAOS-HTM-M"),
            Number(5.0),
        ],
        vec![
            Text("A"),
            Number(100.0),
            Number(1002.0),
            Text("Kaos Polos"),
            Blank,
            Text("KAOS-HTM-L"),
            Number(4.0),
            Bool(true),
        ],
        vec![
            Text("A"),
            Number(101.0),
            Number(1011.0),
            Text("Kemeja\nFlanel"),
            Text("KMJ-FLN"),
            Text("KMJ  MRH-M"),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(101.0),
            Number(1012.0),
            Text("Kemeja"),
            Blank,
            Text("KMJ MRH-M"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(102.0),
            Number(1021.0),
            Text("Celana"),
            Text("CHN-SLM"),
            Text("CHN-KHK-30"),
            Number(-1.0),
        ],
        vec![
            Text("B"),
            Number(200.0),
            Number(2001.0),
            Text("Kaos Polos"),
            Text("KAOS-PLS"),
            Text("KAOS-HTM-M"),
            Number(5.0),
        ],
        vec![
            Text("A"),
            Number(103.0),
            Number(1031.0),
            Text("Rok"),
            Text("KAOS-PLS"),
            Text("ROK-PLS-MCA"),
            Number(1.0),
        ],
        vec![
            Text("A"),
            Number(104.0),
            Number(1041.0),
            Text("Topi"),
            Text("TOPI\u{a0}BCK"),
            Text("TOPI-BCK"),
            Blank,
        ],
        vec![
            Text("A"),
            Number(105.0),
            Number(1051.0),
            Text("Topi 2"),
            Text("TOPI BCK"),
            Text("TOPI-BCK-2"),
            Number(7.0),
        ],
        vec![
            Text("A"),
            Number(106.0),
            Number(1061.0),
            Text("Tas"),
            Text("TAS-SLP"),
            Text("tas-slp-htm"),
            Number(9.0),
        ],
        vec![
            Text("A"),
            Number(106.0),
            Number(1062.0),
            Text("Tas"),
            Blank,
            Text("TAS-SLP-HTM"),
            Number(9.0),
        ],
        vec![
            Text("A"),
            Number(107.0),
            Number(1071.0),
            Text("Dompet"),
            Text("DMP"),
            Text("DMP-KLT\u{200b}"),
            Text("N/A"),
        ],
        vec![
            Text("A"),
            Number(107.0),
            Number(1072.0),
            Text("Dompet"),
            Blank,
            Text("DMP-KLT"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(108.0),
            Number(1081.0),
            Text("Sepatu"),
            Text("SPT"),
            Text("KAOS-HTM-L"),
            Number(1.0),
        ],
        vec![
            Text("A"),
            Number(109.0),
            Number(1091.0),
            Text("Gamis"),
            Text("GMS"),
            Text("GMS  JMB"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(109.0),
            Number(1092.0),
            Text("Gamis"),
            Blank,
            Text("GMS JMB"),
            Number(2.0),
        ],
        // SKUs stored as numbers: intact; a leading zero lost, the text being
        // in a later part; a decimal part; scientific notation typed as text.
        vec![
            Text("A"),
            Number(112.0),
            Number(1121.0),
            Text("Kabel"),
            Text("KBL"),
            Number(12345.0),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(113.0),
            Number(1131.0),
            Text("Kabel 2"),
            Text("KBL2"),
            Number(777.0),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(114.0),
            Number(1141.0),
            Text("Kabel 3"),
            Text("KBL3"),
            Number(12.5),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(115.0),
            Number(1151.0),
            Text("Kabel 4"),
            Text("KBL4"),
            Text("1.23E+12"),
            Number(3.0),
        ],
        // A SKU computed by a formula, with spaces a fix would remove, and
        // a stock computed by a formula.
        vec![
            Text("A"),
            Number(116.0),
            Number(1161.0),
            Text("Lampu"),
            Text("LMP"),
            Formula("=\"LMP  KNG\"", "LMP  KNG"),
            Number(1.0),
        ],
        vec![
            Text("A"),
            Number(117.0),
            Number(1171.0),
            Text("Lampu 2"),
            Text("LMP2"),
            Text("LMP-PTH"),
            Formula("=1-3", "-2"),
        ],
        vec![
            Text("A"),
            Number(118.0),
            Number(1181.0),
            Text("Kabel 5"),
            Text("KBL5"),
            Text("000777"),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(119.0),
            Number(1191.0),
            Text("Kabel 6"),
            Text("KBL6"),
            Text("0777"),
            Number(3.0),
        ],
        vec![
            Text("A"),
            Number(120.0),
            Number(1201.0),
            Text("Jaket"),
            Text("HDI"),
            Text("HDI-ABU-L"),
            Number(0.0),
        ],
        vec![
            Text("A"),
            Number(111.0),
            Number(1111.0),
            Text("Sandal"),
            Blank,
            Blank,
            Number(-5.0),
        ],
        // Unsafe fixes: look-alike letters whose fix would duplicate a SKU
        // and a parent SKU of other parts, one whose fix is free, and
        // compatibility characters.
        vec![
            Text("A"),
            Number(121.0),
            Number(1211.0),
            Text("Sabuk"),
            Text("\u{0405}\u{0411}K"),
            Text("\u{0405}\u{0420}T-B\u{0405}"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(122.0),
            Number(1221.0),
            Text("Sabuk 2"),
            Text("Z\u{0406}P"),
            Text("\u{041a}PT-X"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(123.0),
            Number(1231.0),
            Text("Sabuk 3"),
            Text("SBK"),
            Text("\u{ff27}\u{ff2d}\u{ff33}-\u{ff2a}\u{ff2d}\u{ff22}"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(124.0),
            Number(1241.0),
            Text("Sepatu 2"),
            Text("SPT2"),
            Text("spt-bs"),
            Number(2.0),
        ],
        vec![
            Text("A"),
            Number(125.0),
            Number(1251.0),
            Text("Ritsleting"),
            Text("ZIP"),
            Text("ZIP-1"),
            Number(2.0),
        ],
        vec![Text("A"), Number(120.0)],
        vec![Text("A")],
    ];
    for cells in &rows {
        write(sheet, cells);
    }
    workbook.save(path).unwrap();
}

enum Cell {
    Text(&'static str),
    Number(f64),
    /// A formula and its cached value.
    Formula(&'static str, &'static str),
    Bool(bool),
    Blank,
}

/// Part sizes for workbooks: the first part reaches past the rows under the header.
const XLSX_PARTS: [usize; 4] = [16, 19, 31, 1000];

#[test]
fn a_workbook_with_faults_across_parts_streams_like_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.xlsx");
    planted_workbook(&path);
    let setup = setup(&LintOptions::default());
    let (whole, _) = lint(&path, &setup);
    let codes: std::collections::BTreeSet<&str> =
        whole.diagnostics.iter().map(|d| d.code).collect();
    for code in ["DUP001", "DUP002", "DUP003", "SKU010", "STK001"] {
        assert!(codes.contains(code), "{code} is planted: {codes:?}");
    }
    assert!(
        whole
            .diagnostics
            .iter()
            .any(|d| d.code == "SKU010" && d.message.contains("`000777` is text")),
        "a leading zero lost across parts is planted"
    );
    assert!(
        report_json(&whole).contains("the cell is computed by a formula"),
        "a fix of a formula cell is planted"
    );
    assert_streamed_like_whole(
        &path,
        &LintOptions::default(),
        &XLSX_PARTS,
        stream::lint_xlsx_in_parts,
    );
    // With one worker thread, the sheet is parsed on the thread that lints it.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| {
            assert_streamed_like_whole(
                &path,
                &LintOptions::default(),
                &XLSX_PARTS,
                stream::lint_xlsx_in_parts,
            )
        });
}

#[test]
fn fixture_workbooks_stream_like_whole() {
    let mut streamed = 0;
    let mut not_streamed = Vec::new();
    for entry in std::fs::read_dir("fixtures").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xlsx") {
            continue;
        }
        let setup = setup(&LintOptions::default());
        if stream::lint_xlsx_in_parts(&path, &setup, 1000, 0).is_none() {
            // Several worksheets (which hold listings is decided on all of
            // them), codes that may be product-level (decided on all rows), or
            // texts the cell reader trims.
            not_streamed.push(path.file_name().unwrap().to_string_lossy().into_owned());
            continue;
        }
        streamed += 1;
        assert_streamed_like_whole(
            &path,
            &LintOptions::default(),
            &[1000],
            stream::lint_xlsx_in_parts,
        );
        // Parts short enough to split the listing, where the header leaves room.
        let (whole, _) = lint(&path, &setup);
        let header = whole.files[0].sheets[0].header_row;
        let short = [header + 13, header + 17];
        if stream::lint_xlsx_in_parts(&path, &setup, short[0], 0).is_some() {
            assert_streamed_like_whole(
                &path,
                &LintOptions::default(),
                &short,
                stream::lint_xlsx_in_parts,
            );
        }
    }
    not_streamed.sort();
    assert_eq!(
        not_streamed,
        [
            "akulaku-bulk-upload.xlsx",
            "akulaku-merged-names.xlsx",
            "lazada-price-stock.xlsx",
            "shopee-basic-template.xlsx",
            // Texts the cell reader trims, which only the whole-file reader restores.
            "shopee-untrimmed-text.xlsx",
            "tiktok-upload-filled.xlsx",
            "tiktok-upload-template.xlsx"
        ],
        "{streamed} streamed"
    );
}

#[test]
fn workbook_limits_hold_when_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.xlsx");
    planted_workbook(&path);
    assert_limits_hold(&path, [(300, None), (10_000_000, Some(1000))], |setup| {
        stream::lint_xlsx_in_parts(&path, setup, 16, 0)
    });
}

#[test]
fn a_csv_named_xlsx_is_left_to_the_whole_file_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    std::fs::copy("fixtures/csv/semicolon.csv", &path).unwrap();
    let setup = setup(&LintOptions::default());
    assert!(stream::lint_xlsx_in_parts(&path, &setup, 16, 0).is_none());
    let (whole, notices) = lint(&path, &setup);
    assert!(whole.errors.is_empty());
    assert_eq!(notices.len(), 1, "{notices:?}");
}

/// A listing long enough that the package inflates its worksheet on a thread
/// of its own (src/table/inflating.rs), with a SKU fix in a formula row at
/// each of `formula_rows`. `constant_memory` writes every text as an inline
/// string.
fn long_workbook(path: &Path, formula_rows: &[u32], constant_memory: bool) {
    use rust_xlsxwriter::{Formula, Workbook};
    let mut workbook = Workbook::new();
    let sheet = if constant_memory {
        workbook.add_worksheet_with_constant_memory().unwrap()
    } else {
        workbook.add_worksheet()
    };
    for (col, text) in ["Product ID", "Product Name", "SKU", "Stock"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *text).unwrap();
    }
    for row in 1..30_000u32 {
        sheet.write_number(row, 0, f64::from(row / 3)).unwrap();
        sheet.write_string(row, 1, "Kaos Polos Hitam").unwrap();
        if formula_rows.contains(&row) {
            let sku = format!("KAOS  {row}");
            sheet
                .write_formula(row, 2, Formula::new("=\"KAOS  \"&A1").set_result(&sku))
                .unwrap();
        } else if row % 4_999 == 0 {
            // Spaces a fix removes, here and there.
            sheet.write_string(row, 2, format!("KAOS  {row}")).unwrap();
        } else {
            sheet.write_string(row, 2, format!("KAOS-{row}")).unwrap();
        }
        sheet.write_number(row, 3, f64::from(row % 50)).unwrap();
    }
    workbook.save(path).unwrap();
}

#[test]
fn formulas_anywhere_in_a_long_sheet_stream_like_whole() {
    let dir = tempfile::tempdir().unwrap();
    // No formula; one in the first row; the first far into the sheet, where
    // the parser has long been reading cells without their formulas.
    for formula_rows in [&[][..], &[1, 20_000], &[25_000, 29_999]] {
        let path = dir.path().join("long.xlsx");
        long_workbook(&path, formula_rows, false);
        let setup = setup(&LintOptions::default());
        let (whole, _) = lint(&path, &setup);
        let blocked = report_json(&whole)
            .matches("the cell is computed by a formula")
            .count();
        assert_eq!(blocked, formula_rows.len(), "{formula_rows:?}");
        assert_streamed_like_whole(
            &path,
            &LintOptions::default(),
            &[1000, 8192],
            stream::lint_xlsx_in_parts,
        );
    }
}

/// A sheet is read for its cell values first; one whose formulas the package
/// sees ahead of the parser, wherever they are, is read again with them.
#[test]
fn a_sheet_read_for_its_values_asks_to_be_read_again_for_its_formulas() {
    use skulint::table::inflating::Package;
    use skulint::table::rows::NotStreamed;
    use skulint::table::xlsx_stream::{self, Values};
    let dir = tempfile::tempdir().unwrap();
    let limits = setup(&LintOptions::default()).read.limits;
    let rows_read = |source: &mut dyn skulint::table::rows::RowSource| {
        let mut cells = Vec::new();
        let mut rows = 0;
        while let Ok(Some(_)) = source.next_into(&mut cells) {
            rows += 1;
        }
        rows
    };
    for formula_rows in [&[][..], &[1][..], &[29_999][..]] {
        let path = dir.path().join("long.xlsx");
        long_workbook(&path, formula_rows, false);
        // With a core to spare (a parser thread), and with every worker taken
        // (the sheet parsed on the reader's own thread).
        for taken in [0, usize::MAX] {
            let _claimed = skulint::workers::claim(taken);
            let values = xlsx_stream::open::<Values>(&path, &limits).unwrap();
            let read = xlsx_stream::with_rows(values, rows_read);
            if formula_rows.is_empty() {
                assert_eq!(read.unwrap(), 30_000);
            } else {
                assert!(
                    matches!(read, Err(NotStreamed::Formulas)),
                    "{formula_rows:?}, {taken} taken: {read:?}"
                );
            }
            let formulas = xlsx_stream::open::<Package>(&path, &limits).unwrap();
            assert_eq!(xlsx_stream::with_rows(formulas, rows_read).unwrap(), 30_000);
        }
    }
}

#[test]
fn a_long_sheet_of_inline_strings_is_left_to_the_whole_file_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rebuilt.xlsx");
    long_workbook(&path, &[], true);
    let setup = setup(&LintOptions::default());
    assert!(stream::lint_xlsx_in_parts(&path, &setup, 8192, 0).is_none());
    // With every worker taken (a folder, several uploads to `skulint serve`),
    // the package is looked at on the reader's own thread: the report must not
    // depend on what else runs.
    let _every_worker = skulint::workers::claim(usize::MAX);
    assert!(!skulint::workers::spare());
    assert!(stream::lint_xlsx_in_parts(&path, &setup, 8192, 0).is_none());
}

/// See [`common::assert_streamed_fix_is_whole`].
fn assert_fixes_like_whole(path: &Path, part_sizes: &[usize]) {
    common::assert_streamed_fix_is_whole(path, &LintOptions::default(), part_sizes);
}

#[test]
fn a_workbook_with_faults_across_parts_is_fixed_like_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.xlsx");
    planted_workbook(&path);
    let setup = setup(&LintOptions::default());
    let options = skulint::engine::fix::FixOptions {
        unsafe_fixes: true,
        rebuild: false,
    };
    let whole = skulint::engine::fix::fix_group(
        std::slice::from_ref(&path),
        &setup,
        &options,
        &|_| true,
        &Unobserved,
    )
    .pop()
    .unwrap()
    .unwrap();
    // What the planted unsafe fixes do across parts.
    let changed: Vec<(&str, &str)> = whole
        .changes
        .iter()
        .map(|c| (c.old.as_str(), c.new.as_str()))
        .collect();
    assert!(changed.contains(&("\u{041a}PT-X", "KPT-X")), "{changed:?}");
    assert!(changed.contains(&(
        "\u{ff27}\u{ff2d}\u{ff33}-\u{ff2a}\u{ff2d}\u{ff22}",
        "GMS-JMB"
    )));
    for blocked in ["\u{0405}\u{0420}T-B\u{0405}", "Z\u{0406}P"] {
        assert!(
            !changed.iter().any(|(old, _)| *old == blocked),
            "the fix of {blocked} would make a duplicate in another part"
        );
    }
    assert_fixes_like_whole(&path, &XLSX_PARTS);
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| assert_fixes_like_whole(&path, &XLSX_PARTS));
}

#[test]
fn fixture_workbooks_are_fixed_like_whole() {
    for entry in std::fs::read_dir("fixtures").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xlsx") {
            continue;
        }
        let setup = setup(&LintOptions::default());
        let Some((Ok((report, _)), _)) = stream::lint_xlsx_in_parts(&path, &setup, 1000, 0) else {
            continue;
        };
        let header = report.sheets[0].header_row;
        assert_fixes_like_whole(&path, &[header + 13, 1000]);
    }
}

#[test]
fn a_long_sheet_with_formulas_is_fixed_like_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xlsx");
    long_workbook(&path, &[1, 2_000, 29_999], false);
    assert_fixes_like_whole(&path, &[8192]);
}

/// Every xlsx/xlsm workbook of the corpus of real spreadsheets that streams:
/// checked and fixed as when read whole. Ignored by default (the corpus lives
/// outside the repository; see tests/corpus.rs):
/// `cargo test --release --test stream -- --ignored`.
#[test]
#[ignore]
fn corpus_workbooks_stream_and_are_fixed_like_whole() {
    let root = std::env::var_os("SKULINT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/corpus"));
    let mut dirs = vec![root.clone()];
    let mut streamed = 0;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let workbook = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"));
            if !workbook {
                continue;
            }
            // `--sku-column A` takes every readable sheet through the rules.
            let sku_column_a = LintOptions {
                sku_column: Some("A".into()),
                ..LintOptions::default()
            };
            for options in [LintOptions::default(), sku_column_a] {
                let setup = setup(&options);
                let Some((Ok(_), _)) = stream::lint_xlsx_in_parts(&path, &setup, 1000, 0) else {
                    continue;
                };
                streamed += 1;
                assert_streamed_like_whole(&path, &options, &[1000], stream::lint_xlsx_in_parts);
                common::assert_streamed_fix_is_whole(&path, &options, &[1000]);
            }
        }
    }
    eprintln!(
        "{streamed} runs on workbooks of {} streamed",
        root.display()
    );
}

/// A row that names no product continues the product above it, which the
/// small sheet of rows read again may not hold: the plan of a parent SKU fix
/// there tells products apart as the whole file does.
#[test]
fn a_parent_sku_fix_on_a_row_continuing_a_product_is_planned_as_in_the_whole_file() {
    use skulint::engine::fix::{FixOptions, fix_group};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("Shop,Product ID,Variation ID,Product Name,Parent SKU,SKU,Stock\n");
    let filler = |text: &mut String, from: usize| {
        for i in from..from + 20 {
            text.push_str(&format!("A,9{i:03},9{i:03}1,Isi,,ISI-{i},4\n"));
        }
    };
    // Product 300 named (by a row that is not read again), then continued
    // across parts' ends by rows that name none: two of them hold parent SKUs
    // that the fix makes equal, within product 300: applied. No row read
    // again comes before them, so on the small sheet they continue none.
    text.push_str("A,300,3001,Jaket,JX,JKT-1,5\n");
    text.push_str("A,,3002,,J1,JKT-2,5\n");
    for i in 0..40 {
        text.push_str(&format!("A,,31{i:02},,,JKT-V{i},5\n"));
    }
    text.push_str("A,,3003,,J1 ,JKT-3,5\n");
    filler(&mut text, 0);
    text.push_str("A,100,1001,Celana,PX,PNT-1 ,5\n");
    filler(&mut text, 100);
    // Product 200 named once; the row under it continues it, and its parent
    // SKU's fix would make it product 100's.
    text.push_str("A,200,2001,Kemeja,Q,SHR-1,5\n");
    text.push_str("A,,2002,,P1 ,SHR-2,5\n");
    filler(&mut text, 200);
    text.push_str("A,100,1002,Celana,P1,PNT-2,5\n");
    std::fs::write(&path, text).unwrap();
    let setup = setup(&LintOptions::default());
    let whole = fix_group(
        std::slice::from_ref(&path),
        &setup,
        &FixOptions::default(),
        &|_| true,
        &Unobserved,
    )
    .pop()
    .unwrap()
    .unwrap();
    assert!(
        whole.changes.iter().all(|c| c.old != "P1 "),
        "the fix would merge products 200 and 100: {:?}",
        whole.changes
    );
    for fixed in ["PNT-1 ", "J1 "] {
        assert!(whole.changes.iter().any(|c| c.old == fixed), "{fixed}");
    }
    assert_streams_like_whole(&path, &LintOptions::default());
    assert_fixes_like_whole(&path, &[13, 17, 29, 1000]);
}

/// A parent SKU on a row that continues a product (it names none) belongs to
/// that product: DUP003 reports it shared with another product, as the fix
/// plan, which blocks a fix that would merge them, counts it. The row naming
/// the product is far above, in another part, and not read again.
#[test]
fn a_parent_sku_on_a_row_continuing_a_product_is_a_duplicate_as_in_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("Shop,Product ID,Variation ID,Product Name,Parent SKU,SKU,Stock\n");
    text.push_str("A,200,2001,Kemeja,Q,SHR-1,5\n");
    for i in 0..40 {
        text.push_str(&format!("A,,21{i:02},,,SHR-V{i},5\n"));
    }
    text.push_str("A,,2002,,P1,SHR-2,5\n");
    for i in 0..20 {
        text.push_str(&format!("A,9{i:03},9{i:03}1,Isi,,ISI-{i},4\n"));
    }
    text.push_str("A,100,1001,Celana,P1,PNT-1,5\n");
    std::fs::write(&path, text).unwrap();
    let setup = setup(&LintOptions::default());
    let (whole, _) = lint(&path, &setup);
    let shared: Vec<(u32, &str)> = whole
        .diagnostics
        .iter()
        .filter(|d| d.code == "DUP003")
        .map(|d| (d.location.row + 1, d.message.as_str()))
        .collect();
    assert_eq!(
        shared,
        [
            (
                43,
                "parent SKU is also used by product 100 (row 64); their variations get merged"
            ),
            (
                64,
                "parent SKU is also used by product 200 (row 43); their variations get merged"
            ),
        ]
    );
    assert_streams_like_whole(&path, &LintOptions::default());
    assert_fixes_like_whole(&path, &[13, 17, 29, 1000]);
}

/// `--encoding` naming another encoding than UTF-8 leaves a CSV file to the
/// whole-file reader, which decodes it so, even when its bytes are UTF-8.
#[test]
fn an_encoding_named_leaves_a_csv_file_to_the_whole_file_reader() {
    let path = PathBuf::from("fixtures/csv/semicolon.csv");
    let utf8 = LintOptions {
        encoding: Some(encoding_rs::UTF_8),
        ..LintOptions::default()
    };
    assert!(stream::lint_csv_in_parts(&path, &setup(&utf8), 13, 0).is_some());
    let windows_1252 = LintOptions {
        encoding: Some(encoding_rs::WINDOWS_1252),
        ..LintOptions::default()
    };
    assert!(stream::lint_csv_in_parts(&path, &setup(&windows_1252), 13, 0).is_none());
}

/// A file whose lines end in a lone CR (old Mac files), with a blank line: the
/// csv parser counts `\n` lines only, so the rows after the blank line would be
/// numbered one short. It is read whole.
#[test]
fn a_csv_file_of_lone_cr_line_ends_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("Shop,Product ID,Variation ID,Product Name,Parent SKU,SKU,Stock\r");
    for i in 0..60 {
        if i == 10 {
            text.push('\r');
        }
        let sku = if i == 40 {
            "KAOS  M".to_string()
        } else {
            format!("KAOS-{i}")
        };
        let stock = if i == 30 { -1 } else { 4 };
        text.push_str(&format!("A,{i},{i}1,Kaos,,{sku},{stock}\r"));
    }
    std::fs::write(&path, text).unwrap();
    let setup = setup(&LintOptions::default());
    assert!(stream::lint_csv_in_parts(&path, &setup, 13, 0).is_none());
    let (whole, _) = lint(&path, &setup);
    let rows: Vec<u32> = whole.diagnostics.iter().map(|d| d.location.row).collect();
    assert_eq!(rows, [32, 42], "0-based rows, the blank line counted");
}

/// Records what an observer is told.
#[derive(Default)]
struct Told {
    rows: std::sync::Mutex<Vec<isize>>,
    files: std::sync::atomic::AtomicUsize,
    /// Each change of the copies being made, with the row counts told before it.
    copies: std::sync::Mutex<Vec<(usize, isize)>>,
}

impl engine::Observer for Told {
    fn rows_read(&self, delta: isize) {
        self.rows.lock().unwrap().push(delta);
    }

    fn copies_made(&self, delta: isize) {
        let told = self.rows.lock().unwrap().len();
        self.copies.lock().unwrap().push((told, delta));
    }

    fn file_done(&self) {
        self.files
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A long file tells a progress bar of its rows part by part, for `check`
/// and `fix`; once done, the rows told add up to its listing rows, also
/// when it was told of more on the way (a file read again).
#[test]
fn a_streamed_file_tells_its_rows_part_by_part() {
    use skulint::engine::FileRows;
    use skulint::engine::fix::{FixOptions, fix_streamed};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listing.csv");
    let mut text = String::from("SKU,Stock\n");
    for i in 0..100 {
        text.push_str(&format!("KAOS-{i},{}\n", i % 7));
    }
    std::fs::write(&path, text).unwrap();
    let setup = setup(&LintOptions::default());
    let told = Told::default();
    let rows = FileRows::new(&told);
    let (result, _) = stream::csv_in_parts(&path, &setup, 20, 0, &rows, stream::CHECKED).unwrap();
    let (report, _) = result.unwrap();
    assert_eq!(report.sheets[0].data_rows, 100);
    let parts = told.rows.lock().unwrap().clone();
    assert!(parts.len() >= 5, "{parts:?}");
    assert_eq!(parts.iter().sum::<isize>(), 100);
    // Done after being told of the rows twice (a file streamed again).
    for delta in parts {
        rows.read(delta as usize);
    }
    rows.done(100);
    assert_eq!(told.rows.lock().unwrap().iter().sum::<isize>(), 100);
    assert_eq!(told.files.load(std::sync::atomic::Ordering::Relaxed), 1);

    let told = Told::default();
    let rows = FileRows::new(&told);
    let fixed = fix_streamed(
        &path,
        &setup,
        &FixOptions::default(),
        &|_| true,
        20,
        0,
        &rows,
    );
    assert!(fixed.unwrap().is_ok());
    let parts = told.rows.lock().unwrap().clone();
    assert!(parts.len() >= 5, "{parts:?}");
    assert_eq!(parts.iter().sum::<isize>(), 100);
    // The copy is made once every row is read, and done with the file.
    assert_eq!(*told.copies.lock().unwrap(), [(parts.len(), 1)]);
    rows.done(100);
    assert_eq!(
        *told.copies.lock().unwrap(),
        [(parts.len(), 1), (parts.len() + 1, -1)]
    );

    // Without a copy wanted (`--diff`), none is told of.
    let told = Told::default();
    let fixed = fix_streamed(
        &path,
        &setup,
        &FixOptions::default(),
        &|_| false,
        20,
        0,
        &FileRows::new(&told),
    );
    assert!(fixed.unwrap().is_ok());
    assert!(told.copies.lock().unwrap().is_empty());

    // Read whole: the rows are told when the file is done, after its copy.
    let told = Told::default();
    let fixed = skulint::engine::fix::fix_group(
        std::slice::from_ref(&path),
        &setup,
        &FixOptions::default(),
        &|_| true,
        &told,
    );
    assert!(fixed[0].is_ok());
    assert_eq!(*told.rows.lock().unwrap(), [100]);
    assert_eq!(*told.copies.lock().unwrap(), [(0, 1), (1, -1)]);
}

/// A sheet read for its values that turns out to have formulas is streamed
/// again with them: the rows told on the first pass are taken back, so the
/// bar never counts more rows than the file has.
#[test]
fn a_sheet_streamed_again_for_its_formulas_is_not_counted_twice() {
    use skulint::engine::FileRows;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xlsx");
    long_workbook(&path, &[29_999], false);
    let setup = setup(&LintOptions::default());
    let told = Told::default();
    let rows = FileRows::new(&told);
    let (result, _) =
        stream::xlsx_in_parts(&path, &setup, 1000, 0, &rows, stream::CHECKED).unwrap();
    let data_rows = result.unwrap().0.sheets[0].data_rows as isize;
    rows.done(data_rows as usize);
    let mut count = 0;
    let mut most = 0;
    for delta in told.rows.lock().unwrap().iter() {
        count += delta;
        most = most.max(count);
        assert!(count >= 0);
    }
    assert_eq!(count, data_rows);
    assert_eq!(most, data_rows, "counted past the file's rows");
}
