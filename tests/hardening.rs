//! Hostile, broken and huge inputs (DESIGN §10): every file ends with exit 0, 1
//! or 2, a refused file gets one line naming it and what to do, nothing panics,
//! what is read stays within the limits, and outputs are written atomically.
//! The files are built here, at test time, in temporary folders.

mod common;

use common::skulint;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use skulint::table::csv::Dialect;
use skulint::table::read::{self, Depth, Limits, ReadOptions};
use skulint::table::{Format, Sheet, TableSpec, Value, Visibility, Workbook, layout, write};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let output = skulint().args(args).output().unwrap();
    let run = Run {
        code: output
            .status
            .code()
            .expect("skulint was killed by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "skulint panicked: {}",
        run.stderr
    );
    run
}

/// A refused file: exit 2 and exactly one error line, naming the file and
/// holding `expected`.
fn assert_refused(path: &Path, args: &[&str], expected: &str) -> String {
    let path = path.to_str().unwrap();
    let mut all = vec!["check", path];
    all.extend(args);
    let run = run(&all);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("skulint: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    let line = errors[0];
    assert!(
        line.contains(path),
        "the message does not name the file: {line}"
    );
    assert!(line.contains(expected), "expected {expected:?} in: {line}");
    line.to_string()
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn options(depth: Depth) -> ReadOptions {
    ReadOptions::new(depth)
}

// ---------------------------------------------------------------- builders

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn column_letter(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}

/// A cell of hand-written sheet XML.
fn cell(row: u32, col: u32, value: &str) -> String {
    let at = format!("{}{}", column_letter(col), row + 1);
    match value.parse::<f64>() {
        Ok(_) => format!(r#"<c r="{at}"><v>{value}</v></c>"#),
        Err(_) => format!(
            r#"<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
            escape(value)
        ),
    }
}

/// Sheet XML rows from (row, cells) pairs, 0-based.
fn rows_xml(rows: &[(u32, Vec<(u32, &str)>)]) -> String {
    rows.iter()
        .map(|(row, cells)| {
            let cells: String = cells.iter().map(|(col, v)| cell(*row, *col, v)).collect();
            format!(r#"<row r="{}">{cells}</row>"#, row + 1)
        })
        .collect()
}

fn sheet_xml(dimension: &str, rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
    )
}

/// A minimal xlsx package written part by part, so a test controls every byte
/// of the sheet XML (a wrong dimension, a broken sheet, an entity bomb).
fn xlsx(sheets: &[(&str, String)], extra: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    let overrides: String = (1..=sheets.len())
        .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
        .collect();
    part(
        "[Content_Types].xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
        ),
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    let entries: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!(
                r#"<sheet name="{}" sheetId="{}" r:id="rId{}"/>"#,
                escape(name),
                i + 1,
                i + 1
            )
        })
        .collect();
    part(
        "xl/workbook.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#
        ),
    );
    let relationships: String = (1..=sheets.len())
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    part(
        "xl/_rels/workbook.xml.rels",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relationships}</Relationships>"#
        ),
    );
    for (i, (_, xml)) in sheets.iter().enumerate() {
        part(&format!("xl/worksheets/sheet{}.xml", i + 1), xml);
    }
    for (name, text) in extra {
        part(name, text);
    }
    zip.finish().unwrap().into_inner()
}

const LISTING: &[(u32, &[&str])] = &[
    (0, &["SKU", "Stock"]),
    (1, &["KAOS  HITAM-L", "5"]),
    (2, &["KAOS-PUTIH", "3"]),
];

fn listing_rows() -> String {
    rows_xml(
        &LISTING
            .iter()
            .map(|(row, cells)| {
                (
                    *row,
                    cells
                        .iter()
                        .enumerate()
                        .map(|(c, v)| (c as u32, *v))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
    )
}

/// A listing xlsx: a header, one SKU with a double space (SKU001), one clean SKU.
fn listing_xlsx() -> Vec<u8> {
    xlsx(&[("Listing", sheet_xml("A1:B3", &listing_rows()))], &[])
}

/// One BIFF record.
fn record(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut out = kind.to_le_bytes().to_vec();
    out.extend((body.len() as u16).to_le_bytes());
    out.extend(body);
    out
}

fn bof(kind: u16) -> Vec<u8> {
    let mut body = vec![0x00, 0x06];
    body.extend(kind.to_le_bytes());
    body.extend([0; 12]);
    record(0x0809, &body)
}

enum XlsCell<'a> {
    Number(f64),
    Label(&'a str),
}

/// A BIFF8 `.xls` workbook stream with one sheet, and `globals` records
/// (a FILEPASS, say) after the globals' BOF.
fn xls_stream(globals: &[Vec<u8>], cells: &[(u16, u16, XlsCell)]) -> Vec<u8> {
    let mut head = bof(0x0005);
    head.extend(record(0x0042, &1200u16.to_le_bytes()));
    for r in globals {
        head.extend(r.clone());
    }
    let name = b"Listing";
    let boundsheet_len = 4 + (4 + 2 + 2 + name.len());
    let sheet_at = (head.len() + boundsheet_len + 4) as u32;
    let mut boundsheet = sheet_at.to_le_bytes().to_vec();
    boundsheet.extend([0, 0, name.len() as u8, 0]);
    boundsheet.extend(name);
    let mut stream = head;
    stream.extend(record(0x0085, &boundsheet));
    stream.extend(record(0x000A, &[]));
    assert_eq!(stream.len() as u32, sheet_at);
    stream.extend(bof(0x0010));
    for (row, col, value) in cells {
        let mut body = row.to_le_bytes().to_vec();
        body.extend(col.to_le_bytes());
        body.extend(0u16.to_le_bytes());
        match value {
            XlsCell::Number(n) => {
                body.extend(n.to_le_bytes());
                stream.extend(record(0x0203, &body));
            }
            XlsCell::Label(text) => {
                body.extend((text.len() as u16).to_le_bytes());
                body.push(0);
                body.extend(text.as_bytes());
                stream.extend(record(0x0204, &body));
            }
        }
    }
    stream.extend(record(0x000A, &[]));
    stream
}

/// An OLE compound document holding the given streams.
fn ole(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (name, bytes) in streams {
        let mut stream = file.create_stream(name).unwrap();
        stream.write_all(bytes).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

fn listing_xls_cells() -> Vec<(u16, u16, XlsCell<'static>)> {
    vec![
        (0, 0, XlsCell::Label("SKU")),
        (0, 1, XlsCell::Label("Stock")),
        (1, 0, XlsCell::Label("KAOS  HITAM-L")),
        (1, 1, XlsCell::Number(5.0)),
    ]
}

// ------------------------------------------------------- content and names

#[test]
fn a_built_xls_is_read_so_the_refusals_below_are_real() {
    let dir = temp();
    let path = put(
        dir.path(),
        "listing.xls",
        &ole(&[("Workbook", xls_stream(&[], &listing_xls_cells()))]),
    );
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("SKU001"), "{}", run.stdout);
}

#[test]
fn xor_obfuscated_xls_is_named_as_such() {
    let dir = temp();
    // FILEPASS with wEncryptionType 0: XOR obfuscation, which the reader would
    // otherwise decode as garbage (a codepage error).
    let filepass = record(0x002F, &[0, 0, 0x34, 0x12, 0x78, 0x56]);
    let path = put(
        dir.path(),
        "locked.xls",
        &ole(&[("Workbook", xls_stream(&[filepass], &listing_xls_cells()))]),
    );
    assert_refused(&path, &[], "XOR password obfuscation");
}

#[test]
fn rc4_encrypted_xls_is_refused_with_what_to_do() {
    let dir = temp();
    let mut body = vec![1, 0, 1, 0, 1, 0];
    body.extend([0; 48]);
    let path = put(
        dir.path(),
        "locked.xls",
        &ole(&[(
            "Workbook",
            xls_stream(&[record(0x002F, &body)], &listing_xls_cells()),
        )]),
    );
    let line = assert_refused(&path, &[], "encrypted (RC4");
    assert!(line.contains("remove the password"), "{line}");
}

#[test]
fn encrypted_ooxml_is_refused_whatever_its_extension() {
    let dir = temp();
    let bytes = ole(&[
        ("EncryptionInfo", vec![4, 0, 4, 0, 0x40, 0, 0, 0]),
        ("EncryptedPackage", vec![0; 64]),
    ]);
    for name in ["locked.xlsx", "locked.xlsm", "locked.xls", "locked.xlsb"] {
        let path = put(dir.path(), name, &bytes);
        assert_refused(&path, &[], "a password is needed to open it");
    }
}

#[test]
fn biff2_to_4_worksheets_are_named() {
    let dir = temp();
    for (version, kind, name) in [
        (2, 0x0009u16, "2.x"),
        (3, 0x0209, "3.0"),
        (4, 0x0409, "4.0"),
    ] {
        let mut bytes = record(kind, &[0x00, version, 0x10, 0x00, 0, 0]);
        bytes.extend(record(0x000A, &[]));
        let path = put(dir.path(), &format!("old{version}.xls"), &bytes);
        assert_refused(
            &path,
            &[],
            &format!("Excel {name} worksheet (BIFF{version})"),
        );
    }
}

#[test]
fn csv_named_xlsx_is_read_as_csv_and_fixed_as_csv() {
    let dir = temp();
    let path = put(dir.path(), "export.xlsx", b"SKU,Stock\nKAOS  HITAM,5\n");
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("SKU001"));
    assert!(
        run.stderr.contains("warning: ")
            && run
                .stderr
                .contains("the file is plain text, not .xlsx as its name says; read as CSV"),
        "{}",
        run.stderr
    );
    let fixed = crate::run(&["fix", path.to_str().unwrap()]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let written = std::fs::read_to_string(dir.path().join("export.fixed.csv")).unwrap();
    assert_eq!(written, "SKU,Stock\nKAOS HITAM,5\n");
    assert_eq!(std::fs::read(&path).unwrap(), b"SKU,Stock\nKAOS  HITAM,5\n");
}

#[test]
fn xlsx_named_xls_or_csv_is_read_as_xlsx() {
    let dir = temp();
    for name in ["export.xls", "export.csv", "export.ods"] {
        let path = put(dir.path(), name, &listing_xlsx());
        let run = run(&["check", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(run.stdout.contains("SKU001"), "{name}: {}", run.stdout);
        assert!(
            run.stderr.contains("read as XLSX"),
            "{name}: {}",
            run.stderr
        );
    }
}

#[test]
fn other_contents_get_a_specific_message() {
    let dir = temp();
    let gzip = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x01, 0x00];
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    archive
        .start_file("photo.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    archive.write_all(b"not really a photo").unwrap();
    let archive = archive.finish().unwrap().into_inner();
    let cases: &[(&str, &[u8], &str)] = &[
        ("listing.csv", &gzip, "gzip-compressed"),
        ("listing.xlsx", &gzip, "gzip-compressed"),
        ("listing.csv", &archive, "zip archive of 1 files"),
        ("listing.xls", b"<html><body><table><tr><td>SKU</td></tr></table></body></html>", "web page (HTML)"),
        (
            "listing.xls",
            b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"></Workbook>",
            "Excel 2003 XML spreadsheet",
        ),
        ("listing.xlsx", b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", "PDF document"),
        ("listing.xlsx", &[0x00, 0x01, 0x02, 0x03, 0xFF, 0x00, 0x00, 0x10], "starts with bytes 00 01 02 03"),
        ("listing.csv", b"SKU,Stock\n\x00\x01\x02\x03\x04\x05\x06\x07,1\n", "binary data"),
        ("listing.csv", b"", "empty (0 bytes)"),
        ("listing.xlsx", b"", "empty (0 bytes)"),
        ("listing.pdf", b"%PDF", "unsupported file type .pdf"),
    ];
    for (name, bytes, expected) in cases {
        let path = put(dir.path(), name, bytes);
        assert_refused(&path, &[], expected);
    }
}

// ------------------------------------------------------- damaged packages

/// Found by fuzzing calamine: files on which the spreadsheet reader itself
/// panics (a missing relationship key, a slice past a record's end). The
/// panic is caught, kept off stderr, and the file refused in one line.
#[test]
fn reader_panics_are_caught_and_the_file_refused() {
    for path in [
        "fixtures/bad/reader-panic.xlsb",
        "fixtures/bad/reader-panic.xls",
    ] {
        let error = read::load(Path::new(path), path, &options(Depth::Values)).unwrap_err();
        assert!(
            matches!(error, read::ReadError::ReaderPanic(_)),
            "{path}: {error}"
        );
        assert_refused(
            Path::new(path),
            &[],
            "the spreadsheet reader failed on this file",
        );
        assert_refused(
            Path::new(path),
            &["--sku-column", "A"],
            "the spreadsheet reader failed on this file",
        );
        let fix = run(&["fix", path, "--diff"]);
        assert_eq!(fix.code, 2, "{}", fix.stderr);
        assert_eq!(fix.stderr.lines().count(), 1, "{}", fix.stderr);
    }
}

/// Found by fuzzing calamine: a sector chain that loops makes its container
/// parser grow a buffer until memory runs out (or run for minutes). The
/// container is checked first, so these are refused at once.
#[test]
fn an_xls_whose_sector_chain_loops_is_refused_not_followed() {
    for path in [
        "fixtures/bad/xls-sector-loop-oom.xls",
        "fixtures/bad/xls-sector-loop-hang.xls",
    ] {
        let error = read::load(Path::new(path), path, &options(Depth::Values)).unwrap_err();
        assert!(
            error.to_string().contains("its container is broken"),
            "{path}: {error}"
        );
        assert_refused(Path::new(path), &[], "damaged or incomplete");
    }
}

#[test]
fn truncated_and_corrupt_zips_are_refused_cleanly() {
    let dir = temp();
    let good = std::fs::read("fixtures/demo-shopee-sales-info.xlsx").unwrap();
    for cut in [good.len() / 3, good.len() / 2, good.len() - 30, 40] {
        let path = put(dir.path(), "cut.xlsx", &good[..cut]);
        assert_refused(&path, &[], "damaged or incomplete");
    }
    // Flipped bytes inside the compressed data: the checksum or inflater notices.
    for at in [200, good.len() / 2] {
        let mut bad = good.clone();
        for b in &mut bad[at..at + 64] {
            *b ^= 0x5A;
        }
        let path = put(dir.path(), "flipped.xlsx", &bad);
        let run = run(&["check", path.to_str().unwrap()]);
        assert!(matches!(run.code, 0..=2), "{}", run.stderr);
        if run.code == 2 {
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
    }
}

#[test]
fn zip_bomb_is_refused_naming_the_limit_and_the_flag() {
    let dir = temp();
    // 64 MiB of zeros in one part compress to about 64 KiB.
    let padding = "\0".repeat(64 << 20);
    let bytes = xlsx(
        &[("Listing", sheet_xml("A1:B3", &listing_rows()))],
        &[("xl/media/padding.bin", padding)],
    );
    assert!(bytes.len() < 1 << 20, "the bomb is {} bytes", bytes.len());
    let path = put(dir.path(), "bomb.xlsx", &bytes);
    let line = assert_refused(
        &path,
        &["--max-file-size", "16M"],
        "unpacks to 65M, more than the 16M limit",
    );
    assert!(
        line.contains("zip bomb") && line.contains("--max-file-size 65M"),
        "{line}"
    );
    // Raised as the message says, the file is read.
    let raised = run(&["check", path.to_str().unwrap(), "--max-file-size", "65M"]);
    assert_eq!(raised.code, 1, "{}", raised.stderr);
}

#[test]
fn a_zip_entry_larger_than_it_declares_is_refused() {
    let dir = temp();
    let mut body = listing_rows();
    body.push_str(&rows_xml(&[(3, vec![(0, "B"), (1, "1")])]).repeat(20_000));
    let bytes = xlsx(&[("Listing", sheet_xml("A1:B3", &body))], &[]);
    let declared = sheet_xml("A1:B3", &body).len() as u32;
    // Make both headers of the sheet part declare 1 KiB.
    let mut lying = bytes.clone();
    let mut patched = 0;
    for at in 0..lying.len().saturating_sub(30) {
        let local = lying[at..].starts_with(b"PK\x03\x04");
        let central = lying[at..].starts_with(b"PK\x01\x02");
        let offset = if local {
            22
        } else if central {
            24
        } else {
            continue;
        };
        if u32::from_le_bytes(lying[at + offset..at + offset + 4].try_into().unwrap()) == declared {
            lying[at + offset..at + offset + 4].copy_from_slice(&1024u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    let path = put(dir.path(), "lying.xlsx", &lying);
    // The sheet is the only one, so the file is refused; its declared size bounded the unpacking.
    assert_refused(&path, &[], "larger than its declared uncompressed size");
}

#[test]
fn xml_entity_bombs_are_not_expanded() {
    let dir = temp();
    let mut doctype = String::from(r#"<!DOCTYPE worksheet [<!ENTITY lol "lol">"#);
    for level in 1..=9 {
        let previous = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        doctype.push_str(&format!(
            r#"<!ENTITY lol{level} "{}">"#,
            format!("&{previous};").repeat(10)
        ));
    }
    doctype.push(']');
    doctype.push('>');
    let bomb_row = r#"<row r="4"><c r="A4" t="inlineStr"><is><t>&lol9;</t></is></c></row>"#;
    let sheet = sheet_xml("A1:B4", &format!("{}{bomb_row}", listing_rows())).replacen(
        "<worksheet",
        &format!("{doctype}<worksheet"),
        1,
    );
    let path = put(dir.path(), "laughs.xlsx", &xlsx(&[("Listing", sheet)], &[]));
    let loaded = read::load(&path, "laughs.xlsx", &options(Depth::Values));
    match loaded {
        // Read with the entity left unexpanded: never a billion "lol"s.
        Ok(loaded) => {
            let cells: usize = loaded.workbook.sheets[0]
                .rows
                .iter()
                .flatten()
                .map(|v| v.display().len())
                .sum();
            assert!(cells < 1000, "the entity was expanded to {cells} bytes");
        }
        Err(error) => assert!(error.to_string().contains("damaged"), "{error}"),
    }
    let run = run(&["check", path.to_str().unwrap()]);
    assert!(matches!(run.code, 1 | 2), "{}", run.stderr);
}

// --------------------------------------------------------------- sheets

#[test]
fn one_unreadable_sheet_is_reported_and_the_others_are_checked() {
    let dir = temp();
    let broken = sheet_xml(
        "A1:A1",
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c>"#,
    )
    .replace("</sheetData>", "");
    let bytes = xlsx(
        &[
            ("Guide", broken),
            ("Listing", sheet_xml("A1:B3", &listing_rows())),
        ],
        &[],
    );
    let path = put(dir.path(), "mixed.xlsx", &bytes);
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("SKU001"), "{}", run.stdout);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].contains("sheet 'Guide' could not be read and was not checked")
            && warnings[0].contains("the other sheets were"),
        "{}",
        warnings[0]
    );
    // A patched copy keeps the sheet it cannot read as it is, byte for byte.
    let fixed = dir.path().join("mixed.fixed.xlsx");
    let fix = skulint()
        .args(["fix", path.to_str().unwrap(), "-o", fixed.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&fix.stderr);
    assert_eq!(fix.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("sheet 'Guide' could not be read"),
        "{stderr}"
    );
    let part = |path: &std::path::Path, name: &str| {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(name).unwrap(), &mut bytes).unwrap();
        bytes
    };
    assert_eq!(
        part(&path, "xl/worksheets/sheet1.xml"),
        part(&fixed, "xl/worksheets/sheet1.xml")
    );
    // A rebuilt copy would lose it: nothing is written.
    std::fs::remove_file(&fixed).unwrap();
    std::fs::remove_file(dir.path().join("mixed.resync.jsonl")).unwrap();
    let fix = skulint()
        .args(["fix", "--rebuild", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(fix.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&fix.stderr);
    assert!(
        stderr.contains("a corrected copy would lose it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_declared_dimension_smaller_than_the_data_loses_nothing() {
    let dir = temp();
    let mut rows = listing_rows();
    for row in 3..40 {
        rows.push_str(&rows_xml(&[(
            row,
            vec![(0, "KAOS  X"), (1, "2"), (7, "far")],
        )]));
    }
    let path = put(
        dir.path(),
        "shopee.xlsx",
        &xlsx(&[("Listing", sheet_xml("A1:B2", &rows))], &[]),
    );
    let workbook = read::read_workbook(&path, "shopee.xlsx", Depth::Values).unwrap();
    let sheet = &workbook.sheets[0];
    assert_eq!(sheet.rows.len(), 40);
    assert_eq!(sheet.cell(39, 7), &Value::Text("far".into()));
    let tables = layout::tables(&workbook, &TableSpec::default()).unwrap();
    assert_eq!(tables[0].data_rows.len(), 39);
}

#[test]
fn a_sparse_xlsx_spanning_the_whole_grid_stays_small() {
    let dir = temp();
    let rows = rows_xml(&[
        (0, vec![(0, "SKU"), (1, "Stock")]),
        (1, vec![(0, "KAOS  HITAM"), (1, "1")]),
        (1_048_575, vec![(16_383, "corner")]),
    ]);
    let path = put(
        dir.path(),
        "sparse.xlsx",
        &xlsx(&[("Listing", sheet_xml("A1:XFD1048576", &rows))], &[]),
    );
    // The grid is ragged: a million empty rows and one 16,384-cell row fit in
    // little more than a million cells, where a dense grid would need 17 billion.
    let tight = ReadOptions {
        limits: Limits {
            max_cells: 1_100_000,
            ..Limits::default()
        },
        ..options(Depth::Values)
    };
    let loaded = read::load(&path, "sparse.xlsx", &tight).unwrap();
    let sheet = &loaded.workbook.sheets[0];
    assert_eq!(sheet.rows.len(), 1_048_576);
    assert_eq!(sheet.cell(1_048_575, 16_383), &Value::Text("corner".into()));
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn a_cell_outside_excels_grid_fails_its_sheet() {
    let dir = temp();
    let rows = format!(
        r#"{}<row r="2000000"><c r="A2000000"><v>1</v></c></row>"#,
        listing_rows()
    );
    let path = put(
        dir.path(),
        "outside.xlsx",
        &xlsx(&[("Listing", sheet_xml("A1:B3", &rows))], &[]),
    );
    assert_refused(&path, &[], "outside Excel's grid (row 2000000, column 1)");
}

#[test]
fn a_sparse_xls_is_refused_before_the_reader_allocates_its_rectangle() {
    let dir = temp();
    let mut cells = listing_xls_cells();
    // Two cells at opposite corners: the xls reader would allocate 65536 × 65536 cells.
    cells.push((65535, 65535, XlsCell::Number(1.0)));
    let path = put(
        dir.path(),
        "sparse.xls",
        &ole(&[("Workbook", xls_stream(&[], &cells))]),
    );
    let line = assert_refused(&path, &[], "more than 20000000 cells");
    assert!(
        line.contains("full rectangle") && line.contains("--max-cells N"),
        "{line}"
    );
    // Within an explicit, smaller limit the same holds for a sheet Excel could make.
    let mut cells = listing_xls_cells();
    cells.push((65535, 255, XlsCell::Number(1.0)));
    let path = put(
        dir.path(),
        "wide.xls",
        &ole(&[("Workbook", xls_stream(&[], &cells))]),
    );
    assert_refused(
        &path,
        &["--max-cells", "1000000"],
        "more than 1000000 cells",
    );
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

/// A minimal ODS package around the rows of one table.
fn ods(rows: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    write!(zip, r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Listing">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#).unwrap();
    zip.finish().unwrap().into_inner()
}

fn ods_text(text: &str, repeat: u32) -> String {
    format!(
        r#"<table:table-cell table:number-columns-repeated="{repeat}" office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

fn ods_listing() -> String {
    format!(
        "<table:table-row>{}{}</table:table-row><table:table-row>{}{}</table:table-row>",
        ods_text("SKU", 1),
        ods_text("Stock", 1),
        ods_text("KAOS  HITAM", 1),
        r#"<table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell>"#
    )
}

#[test]
fn ods_repeats_are_counted_before_the_reader_expands_them() {
    let dir = temp();
    // As LibreOffice saves a sheet: empty repeats to the end of the grid cost nothing.
    let tail = r#"<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
    let path = put(
        dir.path(),
        "listing.ods",
        &ods(&format!("{}{tail}", ods_listing())),
    );
    let run1 = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    assert!(run1.stdout.contains("SKU001"), "{}", run1.stdout);
    // One row of 90 values repeated a million times: 90 million cells from 300 bytes
    // (under the reader's own cap of 100 million, about 10 GB once expanded and copied).
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="1000000">{}</table:table-row>"#,
        ods_listing(),
        ods_text("x", 90)
    );
    let path = put(dir.path(), "repeated-rows.ods", &ods(&rows));
    let line = assert_refused(&path, &[], "more than 20000000 cells");
    assert!(line.contains("repeated rows and columns"), "{line}");
    // Thousands of rows, each one value repeated across all 16,384 columns.
    let wide = format!(
        "<table:table-row>{}</table:table-row>",
        ods_text("x", 16_384)
    )
    .repeat(2_000);
    let path = put(
        dir.path(),
        "repeated-columns.ods",
        &ods(&format!("{}{wide}", ods_listing())),
    );
    assert_refused(&path, &[], "more than 20000000 cells");
}

/// The readers reserve memory for what a file declares: an xlsx shared-string
/// count, an xls DIMENSIONS record. A 400-byte file declaring four billion
/// strings made the process abort on a 96 GB allocation; such declarations are
/// checked against the limits first.
#[test]
fn declared_sizes_are_checked_before_the_reader_reserves_them() {
    let dir = temp();
    let strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>SKU</t></si></sst>"#;
    let bytes = xlsx(
        &[("Listing", sheet_xml("A1:B3", &listing_rows()))],
        &[("xl/sharedStrings.xml", strings.to_string())],
    );
    let path = put(dir.path(), "strings.xlsx", &bytes);
    assert_refused(&path, &[], "declares 4000000000 distinct texts");
    // DIMENSIONS claiming four billion rows by 256 columns.
    let mut dimensions = 0u32.to_le_bytes().to_vec();
    dimensions.extend(4_000_000_000u32.to_le_bytes());
    dimensions.extend([0, 0, 0, 1, 0, 0]);
    let mut stream = xls_stream(&[], &listing_xls_cells());
    // Insert the record right after the sheet's BOF (the second BOF in the stream).
    let second_bof = stream
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == &[0x09, 0x08])
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    let at = second_bof + 4 + 16;
    stream.splice(at..at, record(0x0200, &dimensions));
    let path = put(dir.path(), "dimensions.xls", &ole(&[("Workbook", stream)]));
    assert_refused(&path, &[], "--max-cells N");
}

#[test]
fn too_many_cells_names_the_sheet_and_the_flag() {
    let dir = temp();
    let mut rows = listing_rows();
    for row in 3..200 {
        rows.push_str(&rows_xml(&[(row, (0..10).map(|c| (c, "x")).collect())]));
    }
    let path = put(
        dir.path(),
        "big.xlsx",
        &xlsx(&[("Listing", sheet_xml("A1:J200", &rows))], &[]),
    );
    assert_refused(
        &path,
        &["--max-cells", "1000"],
        "sheet 'Listing' holds more than 1000 cells",
    );
    assert_eq!(
        run(&["check", path.to_str().unwrap(), "--max-cells", "5000"]).code,
        1
    );
    let csv = put(
        dir.path(),
        "big.csv",
        "SKU,Stock\nA,1\n".repeat(100).as_bytes(),
    );
    assert_refused(&csv, &["--max-cells", "100"], "more than 100 cells");
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = temp();
    let path = put(
        dir.path(),
        "big.csv",
        "SKU,Stock\nKAOS,1\n".repeat(1000).as_bytes(),
    );
    let line = assert_refused(
        &path,
        &["--max-file-size", "10K"],
        "the file is 17K, more than the 10K limit",
    );
    assert!(line.contains("--max-file-size 17K"), "{line}");
    // Raised as the message says, the file is read (its repeated SKUs are findings).
    assert_eq!(
        run(&["check", path.to_str().unwrap(), "--max-file-size", "17K"]).code,
        1
    );
    let bad = run(&["check", path.to_str().unwrap(), "--max-file-size", "lots"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("is not a size"), "{}", bad.stderr);
}

#[test]
fn sixteen_thousand_columns_are_read_and_fixed() {
    let dir = temp();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 16_383, "Stock").unwrap();
    for col in 1..16_383u16 {
        sheet
            .write_string(0, col, format!("Attribute {col}"))
            .unwrap();
        sheet.write_number(1, col, col as f64).unwrap();
    }
    sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
    sheet.write_number(1, 16_383, 4.0).unwrap();
    let path = dir.path().join("wide.xlsx");
    book.save(&path).unwrap();
    let run = run(&["check", path.to_str().unwrap(), "--output-format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["files"][0]["sheets"][0]["columns"]["stock"], "XFD");
    let fixed = crate::run(&["fix", path.to_str().unwrap()]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let workbook =
        read::read_workbook(&dir.path().join("wide.fixed.xlsx"), "w", Depth::Values).unwrap();
    assert_eq!(
        workbook.sheets[0].cell(1, 0),
        &Value::Text("KAOS HITAM".into())
    );
    assert_eq!(workbook.sheets[0].cell(1, 16_382), &Value::Float(16_382.0));
    assert_eq!(workbook.sheets[0].rows[1].len(), 16_384);
}

/// A million rows, the sheet XML written directly. Slow in a debug build: run
/// with `cargo test --release -- --ignored`.
#[test]
#[ignore]
fn a_million_rows_are_checked() {
    let dir = temp();
    let mut rows = String::with_capacity(80 << 20);
    rows.push_str(&rows_xml(&[(0, vec![(0, "SKU"), (1, "Stock")])]));
    for row in 1..=1_000_000u32 {
        let sku = if row % 1000 == 0 {
            format!("KAOS  {row}")
        } else {
            format!("KAOS-{row}")
        };
        rows.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{sku}</t></is></c><c r="B{r}"><v>{}</v></c></row>"#,
            row % 50,
            r = row + 1
        ));
    }
    let path = put(
        dir.path(),
        "million.xlsx",
        &xlsx(&[("Listing", sheet_xml("A1:B1000001", &rows))], &[]),
    );
    drop(rows);
    let run = run(&["check", path.to_str().unwrap(), "--output-format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["files"][0]["sheets"][0]["data_rows"], 1_000_000);
    assert_eq!(report["summary"]["by_code"]["SKU001"], 1000);
}

// ------------------------------------------------------------------- CSV

#[test]
fn legacy_encodings_are_decoded_or_named() {
    let dir = temp();
    let latin = put(
        dir.path(),
        "latin.csv",
        b"SKU,Nama\nCAF\xC9  1,Caf\xE9 cr\xE8me\n",
    );
    let run1 = run(&["check", latin.to_str().unwrap()]);
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    assert!(run1.stdout.contains("CAFÉ"), "{}", run1.stdout);
    assert!(
        run1.stderr.contains("read as windows-1252"),
        "{}",
        run1.stderr
    );
    // Fixed and written back in the encoding it came in.
    let fixed = run(&["fix", latin.to_str().unwrap()]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(
        std::fs::read(dir.path().join("latin.fixed.csv")).unwrap(),
        b"SKU,Nama\nCAF\xC9 1,Caf\xE9 cr\xE8me\n"
    );
    let thai = put(
        dir.path(),
        "thai.csv",
        b"SKU,\xCA\xB5\xE7\xCD\xA1\nA  1,5\n",
    );
    let run2 = run(&[
        "check",
        thai.to_str().unwrap(),
        "--encoding",
        "tis-620",
        "--output-format",
        "json",
    ]);
    assert_eq!(run2.code, 1, "{}", run2.stderr);
    assert!(!run2.stderr.contains("warning"), "{}", run2.stderr);
    let unknown = run(&["check", thai.to_str().unwrap(), "--encoding", "klingon"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown encoding"),
        "{}",
        unknown.stderr
    );
    let wrong = put(dir.path(), "sjis.csv", b"SKU\n\x82\xA0\x82\n");
    assert_refused(&wrong, &["--encoding", "shift_jis"], "not valid Shift_JIS");
}

#[test]
fn utf16_with_and_without_bom_round_trips() {
    let dir = temp();
    for (name, bom) in [("le-bom.csv", true), ("le.csv", false)] {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(
            "SKU\tStock\r\nKAOS  1\t5\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let path = put(dir.path(), name, &bytes);
        let fixed = run(&["fix", path.to_str().unwrap()]);
        assert_eq!(fixed.code, 0, "{}", fixed.stderr);
        let mut expected = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        expected.extend(
            "SKU\tStock\r\nKAOS 1\t5\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let written = dir.path().join(name.replace(".csv", ".fixed.csv"));
        assert_eq!(std::fs::read(written).unwrap(), expected, "{name}");
    }
}

#[test]
fn a_bom_in_mid_file_and_ragged_rows_are_noticed_and_kept() {
    let dir = temp();
    let text = "SKU,Name,Stock\nA-1,Kaos,5\nA-2,Kaos, hitam,7\n\u{FEFF}B-1,Topi,3\nB-2\n";
    let path = put(dir.path(), "joined.csv", text.as_bytes());
    let run = run(&["check", path.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("SKU003"), "{}", run.stdout);
    assert!(
        run.stderr.contains("a byte-order mark starts row 4"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("1 row(s) have more fields than the header row's 3 (row 3)"),
        "{}",
        run.stderr
    );
    // B-2 has no stock (STK001), which stays after fixing.
    let fixed = crate::run(&["fix", path.to_str().unwrap()]);
    assert_eq!(fixed.code, 1, "{}", fixed.stderr);
    let written = std::fs::read_to_string(dir.path().join("joined.fixed.csv")).unwrap();
    assert_eq!(written, text.replace('\u{FEFF}', ""));
}

// ----------------------------------------------------------- atomic output

#[test]
fn a_failed_write_leaves_the_input_intact_and_no_partial_output() {
    let dir = temp();
    let input = put(dir.path(), "listing.csv", b"SKU,Stock\nKAOS  HITAM,5\n");
    // The output path is taken by a folder: the final rename must fail.
    let blocker = dir.path().join("listing.fixed.csv");
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("keep.txt"), b"keep").unwrap();
    let before = listing(dir.path());
    let run = run(&["fix", input.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("skulint: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(errors[0].contains("listing.fixed.csv"), "{}", errors[0]);
    assert_eq!(
        std::fs::read(&input).unwrap(),
        b"SKU,Stock\nKAOS  HITAM,5\n"
    );
    assert_eq!(
        listing(dir.path()),
        before,
        "a temporary or partial file was left behind"
    );
    assert_eq!(std::fs::read(blocker.join("keep.txt")).unwrap(), b"keep");
}

#[test]
fn in_place_with_a_failed_write_keeps_the_input() {
    let dir = temp();
    let input = put(dir.path(), "listing.xlsx", &listing_xlsx());
    let original = std::fs::read(&input).unwrap();
    // The resync plan's path is taken by a folder: the run fails after the backup.
    std::fs::create_dir(dir.path().join("listing.resync.jsonl")).unwrap();
    std::fs::write(dir.path().join("listing.resync.jsonl/keep.txt"), b"keep").unwrap();
    let run = run(&["fix", input.to_str().unwrap(), "--in-place"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Either the input is untouched or it was replaced whole, with the original kept as .bak.
    let now = std::fs::read(&input).unwrap();
    if now != original {
        assert_eq!(
            std::fs::read(dir.path().join("listing.xlsx.bak")).unwrap(),
            original
        );
        read::read_workbook(&input, "listing.xlsx", Depth::Values).unwrap();
    }
    let names = listing(dir.path());
    assert!(names.iter().all(|n| !n.starts_with(".tmp")), "{names:?}");
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ------------------------------------------------------------- properties

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 _-]{0,12}",
        "\\PC{0,16}",
        // Leading zeros, formula-looking text, XML escapes, Excel's own `_x` escapes.
        prop::sample::select(vec![
            "007".to_string(),
            "=SUM(A1)".into(),
            "+62 812".into(),
            "-".into(),
            "@home".into(),
            "a<b>&c\"'".into(),
            "_x000D_".into(),
            "KAOS\u{00A0}PUTIH".into(),
            "  lead".into(),
            "trail  ".into(),
            "line\nbreak".into(),
            "Ｓ Ｋ Ｕ".into(),
            "Tiếng Việt".into(),
            "สต็อก".into(),
        ]),
    ]
}

/// A value as the xlsx reader returns it: text, numbers as floats, booleans, dates.
fn xlsx_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Empty),
        4 => text_strategy().prop_filter("empty text reads back as empty", |t| !t.is_empty()).prop_map(Value::Text),
        2 => prop_oneof![
            (-1e15f64..1e15).prop_map(|f| f.trunc()),
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
        ]
        .prop_map(Value::Float),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => (1u32..2_958_465).prop_map(|d| Value::DateTime(d as f64)),
    ]
}

fn trim_rows(rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    // The reader's rows end at their last used cell, and the grid at its last used row.
    let mut rows: Vec<Vec<Value>> = rows
        .into_iter()
        .map(|mut row| {
            while row.last() == Some(&Value::Empty) {
                row.pop();
            }
            row
        })
        .collect();
    while rows.last().is_some_and(Vec::is_empty) {
        rows.pop();
    }
    rows
}

fn sheet(name: &str, rows: Vec<Vec<Value>>) -> Sheet {
    Sheet {
        name: name.into(),
        visibility: Visibility::Visible,
        rows,
        ..Sheet::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn xlsx_written_and_read_back_is_equal_cell_for_cell(
        sheets in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(xlsx_value(), 0..6), 0..8),
            1..3,
        )
    ) {
        let dir = temp();
        let workbook = Workbook {
            path: dir.path().join("in.xlsx"),
            display: "in.xlsx".into(),
            format: Format::Xlsx,
            sheets: sheets
                .into_iter()
                .enumerate()
                .map(|(i, rows)| sheet(&format!("Sheet{}", i + 1), trim_rows(rows)))
                .collect(),
            dialect: None,
        };
        let bytes = write::xlsx(&workbook, &[]).unwrap();
        let path = put(dir.path(), "out.xlsx", &bytes);
        let back = read::read_workbook(&path, "out.xlsx", Depth::Full).unwrap();
        prop_assert_eq!(back.sheets.len(), workbook.sheets.len());
        for (written, read) in workbook.sheets.iter().zip(&back.sheets) {
            prop_assert_eq!(&read.name, &written.name);
            prop_assert_eq!(&read.rows, &written.rows);
        }
    }

    #[test]
    fn csv_written_and_read_back_is_equal_cell_for_cell(
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    1 => Just(Value::Empty),
                    4 => "[A-Za-z0-9 \"\r\n_.\u{00A0}é-]{1,10}".prop_map(Value::Text),
                ],
                1..6,
            ),
            1..10,
        ),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        encoding in prop::sample::select(vec!["UTF-8", "UTF-16LE", "UTF-16BE", "windows-1252"]),
        bom in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        // A row of nothing but empty fields is written as an empty line, which CSV cannot tell from no row.
        prop_assume!(rows.iter().all(|r| r.iter().any(|v| !v.is_empty())));
        let dialect = Dialect { delimiter, encoding, bom: bom && encoding != "windows-1252", crlf, quote_all: false };
        // The writer re-serializes the changed rows of an original file: here every row
        // of a placeholder file with as many rows, in the same encoding and line endings.
        let line_end = if crlf { "\r\n" } else { "\n" };
        let original = encoded(&format!("x{line_end}").repeat(rows.len()), &dialect);
        let changed = rows.iter().enumerate().map(|(row, cells)| (row, cells.as_slice())).collect();
        let bytes = write::csv(&original, &dialect, &changed).unwrap();
        // windows-1252 bytes that happen to be valid UTF-8 (`é` and two no-break
        // spaces are E9 A0 A0, which is `頠`) are UTF-8 to any reader: not a
        // round trip a file can promise.
        prop_assume!(encoding != "windows-1252" || bytes.is_ascii() || std::str::from_utf8(&bytes).is_err());
        let format = if delimiter == b'\t' { Format::Tsv } else { Format::Csv };
        let read = skulint::table::csv::read(&bytes, format, "s", None, u64::MAX).unwrap();
        prop_assert_eq!(&read.sheet.rows, &rows);
        // With one field per row there is no delimiter to see.
        if rows.iter().any(|r| r.len() > 1) {
            prop_assert_eq!(read.dialect.delimiter, delimiter);
        }
        // ASCII text is the same bytes in UTF-8 and windows-1252.
        let ascii = rows.iter().flatten().all(|v| v.display().is_ascii());
        if !(ascii && encoding == "windows-1252") {
            prop_assert_eq!(read.dialect.encoding, encoding);
        }
    }

    #[test]
    fn the_csv_reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = skulint::table::csv::read(&bytes, Format::Csv, "s", None, 10_000);
        let _ = skulint::table::csv::read(&bytes, Format::Tsv, "s", Some(encoding_rs::SHIFT_JIS), 10_000);
    }

    #[test]
    fn the_csv_reader_never_panics_on_near_csv(
        lines in prop::collection::vec("[A-Za-z0-9,;|\t\" \r\u{FEFF}\u{00A0}é]{0,20}", 0..12),
        prefix in prop::sample::select(vec![&b""[..], b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF"]),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(lines.join("\n").as_bytes());
        let _ = skulint::table::csv::read(&bytes, Format::Csv, "s", None, 10_000);
    }

    #[test]
    fn header_detection_never_panics(
        rows in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just(Value::Empty),
                    prop::sample::select(vec![
                        "SKU", "Stock", "Stok", "Parent SKU", "et_title_variation_sku", "sales_info",
                        "Wajib", "Mandatory", "Product ID", "seller_sku", "sku.SellerSku", "Harga",
                    ]).prop_map(|t| Value::Text(t.to_string())),
                    text_strategy().prop_map(Value::Text),
                    any::<i64>().prop_map(Value::Int),
                    any::<f64>().prop_map(Value::Float),
                ],
                0..8,
            ),
            0..30,
        ),
        header_row in prop::option::of(1usize..40),
        sku_column in prop::option::of(prop_oneof![Just("A".to_string()), Just("SKU".to_string()), "[A-Z]{1,3}", "\\PC{0,6}"]),
    ) {
        let workbook = Workbook {
            path: "grid.xlsx".into(),
            display: "grid.xlsx".into(),
            format: Format::Xlsx,
            sheets: vec![sheet("Sheet1", rows)],
            dialect: None,
        };
        let mut spec = TableSpec { header_row, ..TableSpec::default() };
        if let Some(sku) = sku_column {
            spec.columns.insert(skulint::table::Role::Sku, sku);
        }
        if let Ok(tables) = layout::tables(&workbook, &spec) {
            for table in &tables {
                for &row in &table.data_rows {
                    prop_assert!(row > table.header_row && row < table.sheet.rows.len());
                }
            }
            let _ = skulint::rules::run(&tables, &skulint::rules::settings::Settings::default());
        }
    }
}

/// Text in a dialect's encoding, with its byte-order mark.
fn encoded(text: &str, dialect: &Dialect) -> Vec<u8> {
    let mut bytes = Vec::new();
    match dialect.encoding {
        "UTF-16LE" => {
            if dialect.bom {
                bytes.extend_from_slice(&[0xFF, 0xFE]);
            }
            bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        }
        "UTF-16BE" => {
            if dialect.bom {
                bytes.extend_from_slice(&[0xFE, 0xFF]);
            }
            bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        }
        _ => {
            if dialect.bom {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
            }
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    bytes
}

/// A 2.9 KB workbook whose SKU is `A  ` 350,000 times: rendering its carets
/// was quadratic (minutes in text and HTML, against 0.1 s for JSON); now it
/// is linear, and the value is shown cut with its length.
#[test]
fn a_million_character_value_is_rendered_in_linear_time_and_shown_cut() {
    let dir = temp();
    let sku = "A  ".repeat(350_000);
    let rows = format!(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>SKU</t></is></c><c r="B1" t="inlineStr"><is><t>Stock</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">{sku}</t></is></c><c r="B2"><v>5</v></c></row>"#
    );
    let path = put(
        dir.path(),
        "long.xlsx",
        &xlsx(&[("Sheet1", sheet_xml("A1:B2", &rows))], &[]),
    );
    for format in ["text", "html"] {
        let started = std::time::Instant::now();
        let run = run(&["check", path.to_str().unwrap(), "--output-format", format]);
        let elapsed = started.elapsed();
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        // Debug builds read and check the file in a few seconds.
        assert!(elapsed.as_secs() < 60, "{format}: {elapsed:?}");
        assert!(run.stdout.contains("… (1050000 characters)"), "{format}");
        assert!(
            run.stdout.len() < 100_000,
            "{format}: {} bytes",
            run.stdout.len()
        );
    }
}
