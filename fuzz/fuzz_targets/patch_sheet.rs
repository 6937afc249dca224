//! Any bytes as the worksheet (and shared strings) of an otherwise valid xlsx
//! package: patching never panics. When it succeeds, the package it writes can
//! be read again, and an edit that was applied is in the patched part.
#![no_main]

use std::io::{Cursor, Read, Write};

use libfuzzer_sys::fuzz_target;
use skulint::table::patch::{self, CellEdit};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

fn package(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    for (name, bytes) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the edited cell; a 0xFF byte splits the sheet from
    // the shared strings.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (sheet, strings) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"<sst><si><t>a</t></si></sst>"[..]),
    };
    let input = package(sheet, strings);
    let edits = [CellEdit {
        sheet: "Sheet1",
        row: u32::from(pick % 8),
        col: u32::from(pick / 8 % 4),
        text: "SKU  <&> 1",
        number: pick & 0x80 != 0,
    }];
    let Ok(patched) = patch::xlsx(&input, &edits) else {
        return;
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(patched.bytes)).expect("a zip");
    let mut part = Vec::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .expect("the sheet is kept")
        .read_to_end(&mut part)
        .expect("the sheet inflates");
    if patched.formula_cells.is_empty() {
        let text = String::from_utf8_lossy(&part);
        assert!(
            text.contains("SKU  &lt;&amp;&gt; 1") || text.contains("<v>"),
            "the edit is not in the patched sheet"
        );
    }
});
