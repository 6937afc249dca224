//! What a file really is, found from its bytes before a spreadsheet reader runs,
//! and what reading it would cost. The readers trust what they are given: a
//! zip that unpacks to gigabytes, an `.xls` whose two cells sit at opposite
//! corners of the sheet (the reader allocates every cell in between), or an
//! encrypted workbook that decodes as garbage. Those are caught here, with a
//! message that says which.

use std::io::{Cursor, Read};

/// The container a file's bytes are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Zip,
    /// An OLE compound document: `.xls`, or an encrypted Office file.
    Ole,
    Gzip,
    /// An Excel 2.x, 3.0 or 4.0 worksheet: a bare BIFF stream of that version.
    OldBiff(u8),
    /// An HTML table saved with a spreadsheet name, as some systems export.
    Html,
    /// Excel 2003 XML ("XML Spreadsheet").
    XmlSpreadsheet,
    /// Another XML document.
    Xml,
    Pdf,
    Text,
    Binary,
}

const ZIP_MAGIC: &[&[u8]] = &[b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub fn content(bytes: &[u8]) -> Content {
    if ZIP_MAGIC.iter().any(|m| bytes.starts_with(m)) {
        return Content::Zip;
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Content::Ole;
    }
    if bytes.starts_with(&[0x1F, 0x8B]) {
        return Content::Gzip;
    }
    if bytes.starts_with(b"%PDF") {
        return Content::Pdf;
    }
    // A BIFF2–4 worksheet starts with its BOF record: type 0x0009, 0x0209 or 0x0409,
    // a 4- to 16-byte body, then the BIFF version word.
    if let [0x09, kind @ (0x00 | 0x02 | 0x04), length, 0x00, ..] = bytes
        && (4..=16).contains(length)
    {
        return Content::OldBiff(match kind {
            0x00 => 2,
            0x02 => 3,
            _ => 4,
        });
    }
    if !looks_like_text(bytes) {
        return Content::Binary;
    }
    // Markup is judged by where the file starts: a delimited file can hold
    // HTML inside a quoted field (Shopify's `Body (HTML)`), a page cannot
    // start with a header row.
    let head = text_head(bytes);
    let start = head.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if !start.starts_with('<') {
        Content::Text
    } else if head.contains("urn:schemas-microsoft-com:office:spreadsheet") {
        Content::XmlSpreadsheet
    } else if start.starts_with("<?xml") && !head.contains("<html") {
        Content::Xml
    } else {
        Content::Html
    }
}

/// The first few kilobytes, lower-cased, for recognizing markup.
fn text_head(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4096)];
    let text = match encoding_rs::Encoding::for_bom(head) {
        Some((encoding, bom)) => encoding.decode_without_bom_handling(&head[bom..]).0,
        None => String::from_utf8_lossy(head),
    };
    text.to_lowercase()
}

/// Text in some encoding: no NUL bytes (or the regular NULs of UTF-16) and few
/// control characters.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || utf16_without_bom(head)
    {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1A))
        .count();
    !head.contains(&0) && controls * 100 <= head.len()
}

/// UTF-16 text without a BOM: ASCII-range characters leave every other byte zero.
pub fn utf16_without_bom(head: &[u8]) -> bool {
    utf16_zero_side(head).is_some()
}

/// `Some(true)` for little-endian UTF-16 (zeros in odd bytes), `Some(false)` for big-endian.
pub fn utf16_zero_side(head: &[u8]) -> Option<bool> {
    let head = &head[..head.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let zero_odd = head
        .chunks_exact(2)
        .filter(|p| p[1] == 0 && p[0] != 0)
        .count();
    let zero_even = head
        .chunks_exact(2)
        .filter(|p| p[0] == 0 && p[1] != 0)
        .count();
    if zero_odd * 10 >= pairs * 7 && zero_even == 0 {
        Some(true)
    } else if zero_even * 10 >= pairs * 7 && zero_odd == 0 {
        Some(false)
    } else {
        None
    }
}

/// What a zip archive holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZipKind {
    Xlsx,
    Xlsb,
    Ods,
    /// Another OOXML package (a Word document, a presentation).
    OtherOffice(&'static str),
    /// A zip of anything else.
    Archive,
}

/// A zip archive's kind and the total size its entries declare once unpacked.
#[derive(Debug)]
pub struct ZipSummary {
    pub kind: ZipKind,
    pub entries: usize,
    pub unpacked: u64,
}

/// Reads a zip's central directory (nothing is unpacked). The zip reader refuses
/// to unpack an entry past its declared size, so the declared total bounds
/// what any later reader can unpack.
pub fn zip_summary(bytes: &[u8]) -> Result<ZipSummary, zip::result::ZipError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut unpacked: u64 = 0;
    let mut names = Vec::with_capacity(archive.len().min(4096));
    for index in 0..archive.len() {
        let file = archive.by_index_raw(index)?;
        unpacked = unpacked.saturating_add(file.size());
        // Some writers use Windows separators inside the archive.
        let name = String::from_utf8_lossy(file.name_raw())
            .to_ascii_lowercase()
            .replace('\\', "/");
        names.push(name.trim_start_matches('/').to_string());
    }
    let has = |name: &str| names.iter().any(|n| n == name);
    let ends = |suffix: &str| names.iter().any(|n| n.ends_with(suffix));
    let kind = if ends("workbook.bin") {
        ZipKind::Xlsb
    } else if ends("workbook.xml") || names.iter().any(|n| n.starts_with("xl/")) {
        ZipKind::Xlsx
    } else if has("content.xml") && (has("mimetype") || has("meta-inf/manifest.xml")) {
        ZipKind::Ods
    } else if has("word/document.xml") {
        ZipKind::OtherOffice("a Word document")
    } else if has("ppt/presentation.xml") {
        ZipKind::OtherOffice("a PowerPoint presentation")
    } else if has("[content_types].xml") {
        // An Office package laid out unusually: the workbook reader finds its parts.
        ZipKind::Xlsx
    } else {
        ZipKind::Archive
    };
    Ok(ZipSummary {
        kind,
        entries: names.len(),
        unpacked,
    })
}

/// Cells the ODS reader allocates for a spreadsheet's `content.xml`: each row
/// as written, expanded to its last non-empty cell, and then each sheet as the
/// dense rectangle from its first to its last non-empty cell with repeated rows
/// and columns expanded. A few bytes of XML can repeat a cell 16,384 times and
/// a row a million times, so this is counted before the reader runs.
pub fn ods_cells(bytes: &[u8], stop_above: u64) -> Result<u64, String> {
    use quick_xml::events::Event;
    const MAX_ROWS: u64 = 1 << 20;
    const MAX_COLUMNS: u64 = 1 << 14;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let content = archive.by_name("content.xml").map_err(|e| e.to_string())?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let repeats = |e: &quick_xml::events::BytesStart, name: &str| {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
    };
    let mut total: u64 = 0;
    // The table being read: rows so far, first and last non-empty row, column span.
    let (mut row, mut first_row, mut end_row, mut first_col, mut end_col) =
        (0u64, None, 0u64, u64::MAX, 0u64);
    // The row being read: its repeat count, next column, end of its last non-empty cell.
    let (mut row_repeats, mut col, mut row_end) = (1u64, 0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        match &event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" => {
                    (row, first_row, end_row, first_col, end_col) = (0, None, 0, u64::MAX, 0)
                }
                "table:table-row" => {
                    row_repeats =
                        repeats(e, "table:number-rows-repeated").min(MAX_ROWS.saturating_sub(row));
                    (col, row_end) = (0, 0);
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    let span = repeats(e, "table:number-columns-repeated")
                        .min(MAX_COLUMNS.saturating_sub(col));
                    let has_value = matches!(event, Event::Start(_))
                        || e.try_get_attribute("office:value-type")
                            .ok()
                            .flatten()
                            .is_some()
                        || e.try_get_attribute("table:formula")
                            .ok()
                            .flatten()
                            .is_some();
                    if has_value && span > 0 {
                        first_col = first_col.min(col);
                        row_end = col + span;
                    }
                    col += span;
                }
                _ => {}
            },
            _ => {}
        }
        match &event {
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                // The reader holds each row as written, up to its last value.
                total = total.saturating_add(row_end);
                if row_end > 0 {
                    first_row.get_or_insert(row);
                    end_row = row + row_repeats;
                    end_col = end_col.max(row_end);
                }
                row += row_repeats;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                if let Some(first) = first_row {
                    let dense = (end_row - first).saturating_mul(end_col.saturating_sub(first_col));
                    total = total.saturating_add(dense);
                }
                first_row = None;
            }
            Event::Eof => break,
            _ => {}
        }
        if total > stop_above {
            break;
        }
        buf.clear();
    }
    Ok(total)
}

/// The number of distinct texts an xlsx's shared-string table declares
/// (`uniqueCount`): the reader reserves room for that many strings up front,
/// whatever the table really holds.
pub fn xlsx_declared_strings(bytes: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let index = (0..archive.len()).find(|&i| {
        archive.name_for_index(i).is_some_and(|n| {
            n.is_ok_and(|n| {
                n.to_ascii_lowercase()
                    .replace('\\', "/")
                    .ends_with("sharedstrings.xml")
            })
        })
    })?;
    let mut head = Vec::new();
    archive
        .by_index(index)
        .ok()?
        .take(64 << 10)
        .read_to_end(&mut head)
        .ok()?;
    let head = String::from_utf8_lossy(&head);
    let at = head.find("uniqueCount=")? + "uniqueCount=".len();
    let digits: String = head[at..]
        .chars()
        .skip(1)
        .take_while(|c| c.is_ascii_digit())
        .collect();
    // Past u64, the reader's own reservation fails as an overflow it reports.
    digits.parse().ok()
}

/// What an OLE compound document holds.
#[derive(Debug, PartialEq, Eq)]
pub enum OleKind {
    /// An xlsx/xlsb encrypted with a password to open (ECMA-376 encryption).
    EncryptedPackage,
    /// An `.xls` workbook.
    Xls(XlsSummary),
    /// An OLE file with no workbook stream: a Word document, an Outlook message…
    Other,
}

/// An `.xls` workbook stream, as far as safety needs it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct XlsSummary {
    /// The BIFF version of the workbook globals (5 or 8; 2–4 for old files).
    pub biff: u8,
    pub encryption: Option<XlsEncryption>,
    /// Cells the reader allocates: it stores every sheet densely, as the rectangle
    /// from its first to its last used cell (values and formulas apart).
    pub dense_cells: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XlsEncryption {
    /// Excel 95-style XOR obfuscation.
    Xor,
    /// RC4 encryption (also what Excel writes for a workbook that is only
    /// protected against changes, with its built-in password).
    Rc4,
}

/// Opens an OLE document and summarizes it. A container that does not hold
/// together (a sector chain that loops or points past the end, a stream
/// declared larger than the file) is an error: the spreadsheet reader's own
/// container parser follows such chains without bound, until memory runs out.
pub fn ole_summary(bytes: &[u8]) -> Result<OleKind, String> {
    // Some writers leave the last sector short; readers (Excel's too) take the
    // missing bytes as zeros, and so does this check.
    let sector = u16_at(bytes, 30)
        .filter(|&shift| (7..=16).contains(&shift))
        .map_or(512, |shift| 1usize << shift);
    let mut padded = bytes.to_vec();
    padded.resize(bytes.len().next_multiple_of(sector), 0);
    let mut file = cfb::CompoundFile::open(Cursor::new(&padded[..])).map_err(|e| e.to_string())?;
    let file_size = bytes.len() as u64;
    if let Some(entry) = file.walk().find(|e| e.len() > file_size) {
        return Err(format!(
            "its part {:?} claims {} bytes in a file of {file_size}",
            entry.name(),
            entry.len()
        ));
    }
    if file.exists("EncryptionInfo") || file.exists("EncryptedPackage") {
        return Ok(OleKind::EncryptedPackage);
    }
    // The reader looks the stream up by name, ignoring case.
    let Some(name) = file
        .read_root_storage()
        .map(|e| e.name().to_string())
        .find(|n| n.eq_ignore_ascii_case("Workbook") || n.eq_ignore_ascii_case("Book"))
    else {
        return Ok(OleKind::Other);
    };
    let mut stream = Vec::new();
    file.open_stream(&name)
        .and_then(|s| s.take(file_size).read_to_end(&mut stream))
        .map_err(|e| format!("its workbook stream cannot be read: {e}"))?;
    Ok(OleKind::Xls(xls_summary(&stream)))
}

/// One BIFF record: type and body.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = stream.get(at..at + 4)?;
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let length = u16::from_le_bytes([header[2], header[3]]) as usize;
        let body = stream.get(at + 4..at + 4 + length)?;
        at += 4 + length;
        Some((kind, body))
    })
}

fn u16_at(body: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(body.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(body: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?))
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;

/// Walks the workbook globals (encryption, version, sheet offsets) and then
/// each sheet from its offset, as the reader will, adding up the cells it
/// will allocate.
pub fn xls_summary(stream: &[u8]) -> XlsSummary {
    let mut summary = XlsSummary::default();
    let mut sheet_offsets = Vec::new();
    for (kind, body) in records(stream) {
        match kind {
            BOF if summary.biff == 0 => {
                summary.biff = match u16_at(body, 0) {
                    Some(0x0500) => 5,
                    Some(0x0200 | 0x0002 | 0x0007) => 2,
                    Some(0x0300) => 3,
                    Some(0x0400) => 4,
                    _ => 8,
                };
            }
            FILEPASS => {
                summary.encryption = Some(match (summary.biff, u16_at(body, 0)) {
                    (5, _) | (_, Some(0)) => XlsEncryption::Xor,
                    _ => XlsEncryption::Rc4,
                });
            }
            BOUNDSHEET => {
                if let Some(offset) = u32_at(body, 0) {
                    sheet_offsets.push(offset as usize);
                }
            }
            EOF => break,
            _ => {}
        }
    }
    if summary.encryption.is_some() {
        return summary;
    }
    // The same offset twice is the same sheet read twice: cost it each time, walk it once.
    let mut costs: std::collections::HashMap<usize, u64> = std::collections::HashMap::new();
    for offset in sheet_offsets {
        let cost = *costs
            .entry(offset)
            .or_insert_with(|| stream.get(offset..).map_or(0, sheet_cost));
        summary.dense_cells = summary.dense_cells.saturating_add(cost);
    }
    summary
}

/// The bounding rectangle of a set of cells.
#[derive(Default)]
struct Bounds(Option<(u32, u32, u32, u32)>);

impl Bounds {
    fn add(&mut self, row: u16, first_col: u16, last_col: u16) {
        let (row, first, last) = (row as u32, first_col as u32, last_col.max(first_col) as u32);
        self.0 = Some(match self.0 {
            None => (row, row, first, last),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
        });
    }

    fn area(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64
        })
    }
}

/// The cells the reader reserves for a DIMENSIONS record, computed as it does
/// (32-bit row arithmetic that wraps, columns past 255 taken from 0).
fn declared_cells(body: &[u8]) -> u64 {
    let (first_row, last_row, mut first_col, last_col) = match body.len() {
        10 => (
            u16_at(body, 0).unwrap_or(0) as u32,
            u16_at(body, 2).unwrap_or(0) as u32,
            u16_at(body, 4).unwrap_or(0) as u32,
            u16_at(body, 6).unwrap_or(0) as u32,
        ),
        14 | 16 => (
            u32_at(body, 0).unwrap_or(0),
            u32_at(body, 4).unwrap_or(0),
            u16_at(body, 8).unwrap_or(0) as u32,
            u16_at(body, 10).unwrap_or(0) as u32,
        ),
        _ => return 0,
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    if last_row < 1 || last_col < 1 {
        return 1;
    }
    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1) as u64;
    let cols = (last_col - 1).wrapping_sub(first_col).wrapping_add(1) as u64;
    rows.saturating_mul(cols)
}

/// Cells the reader allocates for one sheet substream: the rectangle of its
/// values plus the rectangle of its formulas, or what its DIMENSIONS record
/// makes it reserve if that is more. Embedded substreams (charts) are skipped.
fn sheet_cost(stream: &[u8]) -> u64 {
    let mut values = Bounds::default();
    let mut formulas = Bounds::default();
    let mut reserved = 0u64;
    let mut depth = 0usize;
    let mut seen_bof = false;
    for (kind, body) in records(stream) {
        if depth > 0 {
            match kind {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let position = || Some((u16_at(body, 0)?, u16_at(body, 2)?));
        match kind {
            BOF if seen_bof => depth += 1,
            BOF => seen_bof = true,
            EOF => break,
            // Dimensions: the reader reserves room for that many cells up front.
            0x0200 => reserved = reserved.max(declared_cells(body)),
            // Number, Label, RString, BoolErr, RK, LabelSst.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                if let Some((row, col)) = position() {
                    values.add(row, col, col);
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                if let (Some((row, first)), Some(last)) =
                    (position(), u16_at(body, body.len().saturating_sub(2)))
                {
                    values.add(row, first, last);
                }
            }
            // Formula: a value (cached result) and a formula text.
            0x0006 => {
                if let Some((row, col)) = position() {
                    values.add(row, col, col);
                    formulas.add(row, col, col);
                }
            }
            _ => {}
        }
    }
    values.area().saturating_add(formulas.area()).max(reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((body.len() as u16).to_le_bytes());
        out.extend(body);
        out
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut body = row.to_le_bytes().to_vec();
        body.extend(col.to_le_bytes());
        body.extend([0, 0]);
        body.extend(1.0f64.to_le_bytes());
        record(0x0203, &body)
    }

    #[test]
    fn costs_an_xls_sheet_as_the_rectangle_of_its_cells() {
        let mut stream = record(BOF, &[0x00, 0x06, 0x05, 0x00]);
        let sheet_at = stream.len() + (4 + 9) + 4;
        let mut boundsheet = (sheet_at as u32).to_le_bytes().to_vec();
        boundsheet.extend([0, 0, 1, 0, b'S']);
        stream.extend(record(BOUNDSHEET, &boundsheet));
        stream.extend(record(EOF, &[]));
        assert_eq!(stream.len(), sheet_at);
        stream.extend(record(BOF, &[0x00, 0x06, 0x10, 0x00]));
        stream.extend(number(0, 0));
        stream.extend(number(65535, 255));
        stream.extend(record(EOF, &[]));
        let summary = xls_summary(&stream);
        assert_eq!(summary.biff, 8);
        assert_eq!(summary.encryption, None);
        assert_eq!(summary.dense_cells, 65536 * 256);
    }

    #[test]
    fn tells_xor_obfuscation_from_rc4() {
        let globals = |filepass: &[u8]| {
            let mut stream = record(BOF, &[0x00, 0x06, 0x05, 0x00]);
            stream.extend(record(FILEPASS, filepass));
            stream.extend(record(EOF, &[]));
            xls_summary(&stream).encryption
        };
        assert_eq!(globals(&[0, 0, 1, 2, 3, 4]), Some(XlsEncryption::Xor));
        assert_eq!(globals(&[1, 0, 1, 0, 1, 0]), Some(XlsEncryption::Rc4));
    }

    #[test]
    fn recognizes_containers_and_old_formats() {
        assert_eq!(content(b"PK\x03\x04rest"), Content::Zip);
        assert_eq!(content(&[0x1F, 0x8B, 8, 0]), Content::Gzip);
        assert_eq!(
            content(&[0x09, 0x00, 0x04, 0x00, 0x02, 0x00, 0x10, 0x00]),
            Content::OldBiff(2)
        );
        assert_eq!(
            content(&[0x09, 0x04, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0, 0]),
            Content::OldBiff(4)
        );
        assert_eq!(content(b"SKU,Stock\nA,1\n"), Content::Text);
        assert_eq!(
            content(b"<html><body><table><tr><td>SKU</td></tr></table>"),
            Content::Html
        );
        assert_eq!(
            content(b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">"),
            Content::XmlSpreadsheet
        );
        // Markup inside a quoted field is a CSV, wherever the field is.
        assert_eq!(
            content(
                b"Handle,Title,Body (HTML),Variant SKU\nshirt,Shirt,\"<table><tr><td>Size</td></tr></table>\",SH-1\n"
            ),
            Content::Text
        );
        assert_eq!(
            content(b"SKU;Deskripsi\nA;<html><body>x</body></html>\n"),
            Content::Text
        );
        assert_eq!(
            content(b"\r\n  <!DOCTYPE html><html><table></table>"),
            Content::Html
        );
        assert_eq!(
            content(b"<!-- export --><table><tr><td>SKU</td></tr></table>"),
            Content::Html
        );
        assert_eq!(
            content(b"<?xml version=\"1.0\"?>\n<products><sku>A</sku></products>"),
            Content::Xml
        );
        let utf16: Vec<u8> = "SKU,Stock\nA,1\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(content(&utf16), Content::Text);
        assert_eq!(content(&[0, 1, 2, 3, 4, 5, 6, 7, 0, 0]), Content::Binary);
    }
}
