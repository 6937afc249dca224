//! `check` streams long CSV files in parts (src/commands/stream.rs). Its findings
//! must be exactly those of reading the file whole: here the parts are made a few
//! rows long (the shortest that still reach past the rows under the header), so
//! that duplicates, near-duplicates and blocked fixes span parts.

use std::path::{Path, PathBuf};

use skulint::cli::LintOptions;
use skulint::commands::{self, stream};

fn assert_streams_like_whole(path: &Path, options: &LintOptions) {
    let setup = commands::setup(options, None).unwrap();
    let (whole, errors) = commands::lint(&[path.to_path_buf()], &setup);
    assert!(errors.is_empty(), "{:?}", errors);
    for part_rows in [13, 17, 29, 1000] {
        let (report, diagnostics) = stream::lint_csv_in_parts(path, &setup, part_rows, 0)
            .expect("a UTF-8 CSV is streamed")
            .unwrap();
        assert_eq!(
            report.sheets[0].data_rows,
            whole.files[0].sheets[0].data_rows
        );
        assert_eq!(
            report.sheets[0].header_row,
            whole.files[0].sheets[0].header_row
        );
        assert_eq!(
            report.sheets[0].rows_skipped,
            whole.files[0].sheets[0].rows_skipped
        );
        assert_eq!(
            report.sheets[0].without_sku,
            whole.files[0].sheets[0].without_sku
        );
        assert_eq!(
            diagnostics,
            whole.diagnostics,
            "{} in parts of {part_rows} rows",
            path.display()
        );
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
    let setup = commands::setup(&LintOptions::default(), None).unwrap();
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
    let setup = commands::setup(&LintOptions::default(), None).unwrap();
    let (whole, _) = commands::lint(std::slice::from_ref(&path), &setup);
    assert_eq!(whole.diagnostics.len(), 12);
    if let Some(result) = stream::lint_csv_in_parts(&path, &setup, 13, 0) {
        assert_eq!(result.unwrap().1, whole.diagnostics);
    }
}
