//! `check` streams long CSV files in parts (src/engine/stream.rs). Its findings
//! must be exactly those of reading the file whole: here the parts are made a few
//! rows long (the shortest that still reach past the rows under the header), so
//! that duplicates, near-duplicates and blocked fixes span parts.

use std::path::{Path, PathBuf};

use skulint::cli::LintOptions;
use skulint::emit::{OutputFormat, Report};
use skulint::engine::{self, Notice, Setup, Unobserved, stream};

fn setup(options: &LintOptions) -> Setup {
    engine::setup(&options.engine_options(None)).unwrap()
}

fn lint(path: &Path, setup: &Setup) -> (Report, Vec<Notice>) {
    engine::lint(&[path.to_path_buf()], setup, &Unobserved)
}

fn json(report: &Report) -> String {
    let mut out = Vec::new();
    OutputFormat::Json
        .emitter(false, false, false)
        .emit(&mut out, report)
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// The file read whole and streamed in parts of several sizes give the same
/// JSON report, byte for byte, and the same notices.
fn assert_streams_like_whole(path: &Path, options: &LintOptions) {
    let setup = setup(options);
    let (whole, whole_notices) = lint(path, &setup);
    assert!(whole.errors.is_empty(), "{:?}", whole.errors);
    let expected = json(&whole);
    for part_rows in [13, 17, 29, 1000] {
        let (result, notices) =
            stream::lint_csv_in_parts(path, &setup, part_rows, 0).expect("a UTF-8 CSV is streamed");
        let (report, streamed_notices) = engine::assemble(&setup, vec![(vec![result], notices)]);
        assert_eq!(
            json(&report),
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
}

#[test]
fn small_files_and_other_encodings_are_read_whole() {
    let setup = setup(&LintOptions::default());
    let path = Path::new("fixtures/csv/semicolon.csv");
    assert!(
        stream::lint_csv(path, &setup).is_none(),
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
    for (max_cells, max_file_size) in [(250, None), (10_000, Some(100))] {
        let options = LintOptions {
            max_cells: Some(max_cells),
            max_file_size: max_file_size.map(skulint::table::read::Size),
            ..LintOptions::default()
        };
        let setup = setup(&options);
        let (whole, _) = lint(&path, &setup);
        assert_eq!(whole.errors.len(), 1, "read whole, the file is refused");
        // Streamed, it is left to the whole-file reader, which refuses it.
        assert!(stream::lint_csv_in_parts(&path, &setup, 13, 0).is_none());
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
