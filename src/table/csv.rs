//! CSV and TSV exports: encoding, delimiter sniffing and the dialect a fixed copy keeps.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use encoding_rs::Encoding;

use super::{Format, Sheet, Value, Visibility};

/// How a CSV file is written, so that `fix` can write it back the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub encoding: &'static str,
    pub bom: bool,
    pub crlf: bool,
    /// Every field was quoted, not only those that need it.
    pub quote_all: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error(
        "the file is not UTF-8 (first bad byte at offset {offset}) and its encoding could not be told from its content; pass --encoding NAME (e.g. windows-1252, windows-874 for Thai, utf-16le) or save it as \"CSV UTF-8\" in Excel"
    )]
    Encoding { offset: usize },
    #[error(
        "the text is not valid {encoding}; pass the right --encoding NAME (e.g. windows-1252, utf-16le) or save it as \"CSV UTF-8\" and run again"
    )]
    Undecodable { encoding: &'static str },
    #[error(
        "the file holds binary data, not text (a control character at offset {offset}); if it is a spreadsheet, give it its real extension (.xlsx, .xls)"
    )]
    Binary { offset: usize },
    #[error("malformed CSV at line {line}: {detail}")]
    Malformed { line: u64, detail: String },
    #[error(
        "the file holds more than {limit} cells; if it is a real export, raise the limit with --max-cells N"
    )]
    TooManyCells { limit: u64 },
    #[error(
        "row {line} has more than {MAX_ROW_CELLS} cells, more than a spreadsheet can hold; is the file a CSV export?"
    )]
    RowTooWide { line: u64 },
    #[error(
        "row {line} holds a cell of more than {} MiB; no listing field is that long: is the file a CSV export?",
        MAX_CELL_BYTES >> 20
    )]
    CellTooLong { line: u64 },
}

/// The most cells one row may have: a spreadsheet's column limit.
pub const MAX_ROW_CELLS: usize = 16_384;

/// The longest cell read, in bytes: a spreadsheet holds 32,767 characters in
/// a cell; a CSV file may hold anything, and every cell is kept in memory.
pub const MAX_CELL_BYTES: usize = 1 << 20;

/// Whether a parsed row is within [`MAX_ROW_CELLS`] and [`MAX_CELL_BYTES`].
pub fn check_row(
    fields: usize,
    mut lengths: impl Iterator<Item = usize>,
    line: u64,
) -> Result<(), CsvError> {
    if fields > MAX_ROW_CELLS {
        return Err(CsvError::RowTooWide { line });
    }
    if lengths.any(|length| length > MAX_CELL_BYTES) {
        return Err(CsvError::CellTooLong { line });
    }
    Ok(())
}

/// A CSV file as read.
#[derive(Debug)]
pub struct CsvRead {
    pub sheet: Sheet,
    pub dialect: Dialect,
    /// What the user should know: a detected encoding, joined files, shifted columns.
    pub notices: Vec<String>,
}

/// Decodes and parses a CSV/TSV file into one sheet, detecting the encoding.
pub fn read_csv(bytes: &[u8], format: Format, name: &str) -> Result<(Sheet, Dialect), CsvError> {
    read(bytes, format, name, None, u64::MAX).map(|r| (r.sheet, r.dialect))
}

/// Decodes and parses a CSV/TSV file into one sheet. `encoding` overrides
/// detection; at most `max_cells` cells (each row counts as one more) are held.
pub fn read(
    bytes: &[u8],
    format: Format,
    name: &str,
    encoding: Option<&'static Encoding>,
    max_cells: u64,
) -> Result<CsvRead, CsvError> {
    let mut notices = Vec::new();
    let decoded = decode(bytes, encoding, &mut notices)?;
    let text = decoded.text;
    if let Some(offset) = binary_at(&text) {
        return Err(CsvError::Binary { offset });
    }
    let crlf = text.contains("\r\n");
    let delimiter = if format == Format::Tsv {
        b'\t'
    } else {
        sniff_delimiter(&text)
    };
    let records = records_within(&text, delimiter, max_cells)?;
    let quote_all = records
        .iter()
        .find(|r| !r.cells.is_empty())
        .is_some_and(|r| fully_quoted(&text[r.span.clone()], delimiter, r.cells.len()));
    let mut left = max_cells;
    let mut row_notices = RowNotices::default();
    let mut rows = Vec::with_capacity(records.len());
    for (index, record) in records.into_iter().enumerate() {
        left = left
            .checked_sub(record.cells.len() as u64 + 1)
            .ok_or(CsvError::TooManyCells { limit: max_cells })?;
        row_notices.add(index, &record.cells);
        rows.push(record.cells);
    }
    notices.extend(row_notices.finish());
    let sheet = Sheet {
        name: Arc::from(name),
        visibility: Visibility::Visible,
        rows,
        ..Sheet::default()
    };
    Ok(CsvRead {
        sheet,
        dialect: Dialect {
            delimiter,
            encoding: decoded.encoding,
            bom: decoded.bom,
            crlf,
            quote_all,
        },
        notices,
    })
}

/// One row of a CSV file: its cells and the bytes of the decoded text it spans
/// (terminator included). A blank line is a row without cells, as Excel shows it.
pub struct Record {
    pub span: Range<usize>,
    pub cells: Vec<Value>,
}

/// Splits decoded CSV text into rows numbered as Excel numbers them: a quoted
/// line break stays inside its cell, a blank line is an empty row. The csv
/// crate parses the fields; the byte spans come from a quote-aware line scan
/// that follows the same rules, so untouched rows can be copied verbatim.
pub fn records(text: &str, delimiter: u8) -> Result<Vec<Record>, CsvError> {
    records_within(text, delimiter, u64::MAX)
}

/// [`records`], refused as soon as the file holds more than `max_cells` cells
/// (each row counts as one more), a row is too wide or a cell too long: memory
/// stays bounded by the limits, not by what the file holds.
fn records_within(text: &str, delimiter: u8, max_cells: u64) -> Result<Vec<Record>, CsvError> {
    let mut left = max_cells;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut parsed = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Malformed {
            line: e.position().map(|p| p.line()).unwrap_or(0),
            detail: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        check_row(record.len(), record.iter().map(str::len), line)?;
        left = left
            .checked_sub(record.len() as u64 + 1)
            .ok_or(CsvError::TooManyCells { limit: max_cells })?;
        // Trailing empty fields are kept: a fixed copy must have the same shape.
        parsed.push(record.iter().map(cell_value).collect::<Vec<Value>>());
    }
    let lines = line_spans(text, delimiter);
    let blank = |span: &Range<usize>| text[span.clone()].trim_end_matches(['\r', '\n']).is_empty();
    if lines.iter().filter(|span| !blank(span)).count() != parsed.len() {
        return Err(CsvError::Malformed {
            line: 0,
            detail: "rows could not be delimited consistently (unbalanced quotes?)".into(),
        });
    }
    let mut parsed = parsed.into_iter();
    let mut rows: Vec<Record> = lines
        .into_iter()
        .map(|span| {
            let cells = if blank(&span) {
                Vec::new()
            } else {
                parsed.next().unwrap_or_default()
            };
            Record { span, cells }
        })
        .collect();
    // Blank lines at the very end are not rows.
    while rows.last().is_some_and(|r| r.cells.is_empty()) {
        rows.pop();
    }
    Ok(rows)
}

/// The byte ranges of the rows of `text`, terminators included. A quote opens a
/// quoted field only at the start of a field; inside one, `""` is a quote.
fn line_spans(text: &str, delimiter: u8) -> Vec<Range<usize>> {
    LineSpans::new(text, delimiter).collect()
}

/// [`line_spans`] one at a time.
pub struct LineSpans<'t> {
    bytes: &'t [u8],
    delimiter: u8,
    start: usize,
}

impl<'t> LineSpans<'t> {
    pub fn new(text: &'t str, delimiter: u8) -> Self {
        LineSpans {
            bytes: text.as_bytes(),
            delimiter,
            start: 0,
        }
    }
}

impl Iterator for LineSpans<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let bytes = self.bytes;
        let start = self.start;
        if start >= bytes.len() {
            return None;
        }
        let mut index = start;
        let (mut quoted, mut field_start) = (false, true);
        while index < bytes.len() {
            let byte = bytes[index];
            if quoted {
                if byte == b'"' {
                    if bytes.get(index + 1) == Some(&b'"') {
                        index += 1;
                    } else {
                        quoted = false;
                    }
                }
            } else if byte == b'"' && field_start {
                quoted = true;
                field_start = false;
            } else if byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n')) {
                self.start = index + 1;
                return Some(start..index + 1);
            } else {
                field_start = byte == self.delimiter;
            }
            index += 1;
        }
        self.start = bytes.len();
        Some(start..bytes.len())
    }
}

/// The byte order mark that may open a UTF-8 file.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The dialect [`read`] finds in a UTF-8 file (which the row-by-row reader
/// streams): its `text` after any `bom`, with the delimiter that reader sniffed.
pub fn utf8_dialect(text: &str, bom: bool, delimiter: u8) -> Dialect {
    let first = LineSpans::new(text, delimiter)
        .map(|span| &text[span])
        .find(|line| !line.trim_end_matches(['\r', '\n']).is_empty());
    let quote_all = first.is_some_and(|line| {
        let fields = parse_line(line, delimiter).map_or(0, |cells| cells.len());
        fully_quoted(line, delimiter, fields)
    });
    Dialect {
        delimiter,
        encoding: "UTF-8",
        bom,
        crlf: text.contains("\r\n"),
        quote_all,
    }
}

/// The cells of the rows `rows` of decoded `text`, numbered as [`records`]
/// numbers them, each parsed from its own line(s); `None` if a row is missing.
pub fn rows_at(
    text: &str,
    delimiter: u8,
    rows: &BTreeSet<usize>,
) -> Option<Vec<(usize, Vec<Value>)>> {
    let Some(&last) = rows.last() else {
        return Some(Vec::new());
    };
    let found: Vec<(usize, Vec<Value>)> = LineSpans::new(text, delimiter)
        .enumerate()
        .take(last + 1)
        .filter(|(row, _)| rows.contains(row))
        .map(|(row, span)| {
            let line = &text[span];
            let blank = line.trim_end_matches(['\r', '\n']).is_empty();
            let cells = if blank {
                Some(Vec::new())
            } else {
                parse_line(line, delimiter)
            };
            cells.map(|cells| (row, cells))
        })
        .collect::<Option<_>>()?;
    (found.len() == rows.len()).then_some(found)
}

/// The cells of one record's text, as [`records`] makes them.
fn parse_line(line: &str, delimiter: u8) -> Option<Vec<Value>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(cell_value).collect())
}

/// A field as a cell: empty, or text.
fn cell_value(field: &str) -> Value {
    if field.is_empty() {
        Value::Empty
    } else {
        Value::Text(field.to_string())
    }
}

/// Whether a record's raw text has every field in quotes (`"a","b"`): such files
/// are written back the same way.
fn fully_quoted(raw: &str, delimiter: u8, fields: usize) -> bool {
    let raw = raw.trim_end_matches(['\r', '\n']);
    let separator = format!("\"{}\"", delimiter as char);
    raw.len() >= 2
        && raw.starts_with('"')
        && raw.ends_with('"')
        && raw.matches(&separator).count() + 1 == fields
}

/// The text of a file read in `dialect`, decoded exactly as it was read, so a
/// fixed copy can copy its untouched rows byte for byte. UTF-8 is borrowed.
pub fn decode_as<'b>(bytes: &'b [u8], dialect: &Dialect) -> Result<Cow<'b, str>, CsvError> {
    let encoding = Encoding::for_label(dialect.encoding.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let body = match Encoding::for_bom(bytes) {
        Some((_, bom_length)) => &bytes[bom_length..],
        None => bytes,
    };
    decoded_strictly(encoding, body)
}

/// What the rows of a CSV file tell about it: a byte-order mark starting a
/// row (several files joined into one), and rows with more fields than the
/// header row, which usually mean an unquoted delimiter inside a value that
/// shifts every column after it. Fed one row at a time, so that a file read
/// whole and one streamed in parts give the same notices.
#[derive(Default)]
pub struct RowNotices {
    /// Lines (1-based rows) that start with a byte-order mark.
    joined_at: Vec<u64>,
    /// The header's width, once it is known.
    width: Option<usize>,
    /// Until then, each row of cells seen: (row, cells up to the last non-empty one).
    pending: Vec<(usize, usize)>,
    /// The first row of two filled cells or more, the header without one naming columns.
    first_filled: Option<(usize, usize)>,
    wider: Vec<u64>,
}

/// The header is the first row (of the first [`HEADER_WITHIN`]) that names
/// two known columns: title and note rows above it (an Amazon manifest's) do
/// not, nor does a `Shop, Toko Maju` line. Without one, the first row of two
/// filled cells or more.
const HEADER_WITHIN: usize = 40;

impl RowNotices {
    /// Takes row `row` (0-based; blank rows may be left out).
    pub fn add(&mut self, row: usize, cells: &[Value]) {
        if row > 0 && matches!(cells.first(), Some(Value::Text(f)) if f.starts_with('\u{FEFF}')) {
            self.joined_at.push(row as u64 + 1);
        }
        let extent = cells
            .iter()
            .rposition(|v| !v.is_empty())
            .map_or(0, |i| i + 1);
        if let Some(width) = self.width {
            if extent > width {
                self.wider.push(row as u64 + 1);
            }
            return;
        }
        let filled = cells.iter().filter(|v| !v.is_empty()).count() >= 2;
        if filled && row < HEADER_WITHIN {
            let vocabulary = super::columns::Vocabulary::get();
            let naming = cells
                .iter()
                .filter(|v| match v {
                    Value::Text(text) => !vocabulary.roles_of_header(text).is_empty(),
                    _ => false,
                })
                .count();
            if naming >= 2 {
                self.width = Some(cells.len());
                self.pending.clear();
                return;
            }
        }
        if filled && self.first_filled.is_none() {
            self.first_filled = Some((row, cells.len()));
        }
        self.pending.push((row, extent));
        if row + 1 >= HEADER_WITHIN {
            self.settle_header();
        }
    }

    /// Past the rows that may name columns: the first filled row is the header.
    fn settle_header(&mut self) {
        if let Some((header, width)) = self.first_filled {
            self.width = Some(width);
            self.wider.extend(
                self.pending
                    .iter()
                    .filter(|&&(row, extent)| row > header && extent > width)
                    .map(|&(row, _)| row as u64 + 1),
            );
        }
        // Rows above the header, wherever it turns out to be, are never wider than it.
        self.pending.clear();
    }

    /// The notices, once every row is in.
    pub fn finish(mut self) -> Vec<String> {
        if self.width.is_none() {
            self.settle_header();
        }
        let mut notices = Vec::new();
        if !self.joined_at.is_empty() {
            notices.push(format!(
                "a byte-order mark starts row {}: several CSV files seem joined into one; the mark is flagged as an invisible character, and a repeated header row is read as data",
                list(&self.joined_at)
            ));
        }
        if !self.wider.is_empty() {
            let width = self.width.unwrap_or(0);
            notices.push(format!(
                "{} row(s) have more fields than the header row's {width} (row {}): a delimiter inside an unquoted value shifts the columns after it; quote that value or fix those lines",
                self.wider.len(),
                list(&self.wider)
            ));
        }
        notices
    }
}

/// At most three line numbers, then how many more.
fn list(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(3).map(u64::to_string).collect();
    match lines.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

fn is_control(c: char) -> bool {
    c == '\0' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0C' | '\x1A'))
}

/// Where text that is really binary data shows it: a NUL, or control
/// characters that are more than noise near the start.
fn binary_at(text: &str) -> Option<usize> {
    let head: Vec<char> = text.chars().take(8192).collect();
    let controls = head.iter().filter(|&&c| is_control(c)).count();
    if head.contains(&'\0') || controls * 100 > head.len() {
        text.char_indices()
            .find(|&(_, c)| is_control(c))
            .map(|(i, _)| i)
    } else {
        None
    }
}

struct Decoded {
    text: String,
    encoding: &'static str,
    bom: bool,
}

/// UTF-8 with or without BOM, UTF-16 with BOM or told by its zero bytes, the
/// encoding the user named, or a legacy encoding detected from the bytes (with a notice).
fn decode(
    bytes: &[u8],
    given: Option<&'static Encoding>,
    notices: &mut Vec<String>,
) -> Result<Decoded, CsvError> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        return strict(encoding, &bytes[bom_length..], true);
    }
    if let Some(encoding) = given {
        return strict(encoding, bytes, false);
    }
    // UTF-16 text of ASCII letters is also valid UTF-8, full of NULs: test it first.
    if let Some(little) = super::probe::utf16_zero_side(bytes) {
        let encoding = if little {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let decoded = strict(encoding, bytes, false)?;
        notices.push(format!(
            "the file is {} text without a byte-order mark; read as such (pass --encoding to override)",
            encoding.name()
        ));
        return Ok(decoded);
    }
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => {
            return Ok(Decoded {
                text: text.to_string(),
                encoding: "UTF-8",
                bom: false,
            });
        }
        Err(e) => e,
    };
    // A few accented letters are too little for the detector, which may then
    // read two of them as one Chinese or Japanese character; such files are
    // almost always Windows-1252 (Excel's "CSV" on a Western Windows).
    let guess = if bytes.iter().filter(|b| !b.is_ascii()).count() < 16 {
        encoding_rs::WINDOWS_1252
    } else {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        detector.guess(None, chardetng::Utf8Detection::Allow)
    };
    let refused = || CsvError::Encoding {
        offset: utf8_error.valid_up_to(),
    };
    if guess == encoding_rs::UTF_8 {
        return Err(refused());
    }
    let decoded = strict(guess, bytes, false).map_err(|_| refused())?;
    if let Some(offset) = binary_at(&decoded.text) {
        return Err(CsvError::Binary { offset });
    }
    notices.push(format!(
        "the file is not UTF-8; read as {} (detected from its content); if letters look wrong, pass --encoding NAME",
        guess.name()
    ));
    Ok(decoded)
}

/// Decodes without replacement characters: a byte that is not valid in
/// `encoding` is an error, never a silent U+FFFD inside a SKU.
fn strict(encoding: &'static Encoding, bytes: &[u8], bom: bool) -> Result<Decoded, CsvError> {
    Ok(Decoded {
        text: decoded_strictly(encoding, bytes)?.into_owned(),
        encoding: encoding.name(),
        bom,
    })
}

/// `bytes` decoded as `encoding`, refused if any of them is not valid in it.
fn decoded_strictly<'b>(
    encoding: &'static Encoding,
    bytes: &'b [u8],
) -> Result<Cow<'b, str>, CsvError> {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(CsvError::Undecodable {
            encoding: encoding.name(),
        });
    }
    Ok(text)
}

/// Picks the delimiter (`,` `;` tab `|`) that splits most of the first records
/// into the same number of fields, the larger number on a tie. Title rows
/// above the header (one field) do not count against a delimiter. Quoted
/// fields are skipped, line breaks inside them included.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let candidates = [b',', b';', b'\t', b'|'];
    let mut best = (b',', 0usize, 0usize);
    for delimiter in candidates {
        let counts = unquoted_counts(text, delimiter, 20);
        let mut tally: BTreeMap<usize, usize> = BTreeMap::new();
        for count in counts.into_iter().filter(|&c| c > 0) {
            *tally.entry(count).or_default() += 1;
        }
        let Some((count, records)) = tally
            .into_iter()
            .max_by_key(|&(count, records)| (records, count))
        else {
            continue;
        };
        if (records, count) > (best.1, best.2) {
            best = (delimiter, records, count);
        }
    }
    best.0
}

/// How many unquoted `delimiter`s each of the first `records` non-blank
/// records holds. A line break inside quotes does not end a record.
fn unquoted_counts(text: &str, delimiter: u8, records: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut quoted, mut count, mut blank) = (false, 0, true);
    for byte in text.bytes() {
        match byte {
            b'"' => {
                quoted = !quoted;
                blank = false;
            }
            b'\n' if !quoted => {
                if !blank {
                    counts.push(count);
                    if counts.len() == records {
                        return counts;
                    }
                }
                (count, blank) = (0, true);
            }
            _ if byte == delimiter && !quoted => {
                count += 1;
                blank = false;
            }
            b' ' | b'\r' | b'\t' => {}
            _ => blank = false,
        }
    }
    if !blank {
        counts.push(count);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_semicolons_and_keeps_quoted_commas() {
        let (sheet, dialect) =
            read_csv(b"SKU;Stock;Name\nA-1;5;\"Kaos, hitam\"\n", Format::Csv, "s").unwrap();
        assert_eq!(dialect.delimiter, b';');
        assert_eq!(sheet.rows[1][2], Value::Text("Kaos, hitam".into()));
    }

    #[test]
    fn a_line_break_inside_quotes_does_not_hide_the_delimiter() {
        let (sheet, dialect) =
            read_csv(b"\"Kaos\nhitam\";5\n\"Topi\";3\n", Format::Csv, "s").unwrap();
        assert_eq!(dialect.delimiter, b';');
        assert_eq!(
            sheet.rows[0],
            [Value::Text("Kaos\nhitam".into()), Value::Text("5".into())]
        );
    }

    #[test]
    fn a_title_row_above_the_header_does_not_hide_the_delimiter() {
        let (sheet, dialect) = read_csv(
            b"Daftar Produk\nSKU;Stok;Nama\nA-1;5;Kaos, hitam\nA-2;3;Topi\n",
            Format::Csv,
            "s",
        )
        .unwrap();
        assert_eq!(dialect.delimiter, b';');
        assert_eq!(sheet.rows[2][2], Value::Text("Kaos, hitam".into()));
    }

    #[test]
    fn blank_lines_are_empty_rows_and_quoted_breaks_stay_in_their_cell() {
        let text = b"SKU,Name\n\nA-1,\"two\nlines\"\nA-2,x";
        let (sheet, _) = read_csv(text, Format::Csv, "s").unwrap();
        assert_eq!(sheet.rows.len(), 4);
        let (crlf, _) = read_csv(b"SKU,Name\r\n\r\nA-1,x\r\n", Format::Csv, "s").unwrap();
        assert_eq!(crlf.rows.len(), 3);
        assert!(crlf.rows[1].is_empty());
        assert!(sheet.rows[1].is_empty());
        assert_eq!(sheet.rows[2][1], Value::Text("two\nlines".into()));
        assert_eq!(sheet.rows[3][0], Value::Text("A-2".into()));
    }

    #[test]
    fn reads_bom_and_crlf() {
        let (sheet, dialect) =
            read_csv(b"\xEF\xBB\xBFSKU,Stock\r\nA-1,5\r\n", Format::Csv, "s").unwrap();
        assert!(dialect.bom && dialect.crlf);
        assert_eq!(sheet.rows[0][0], Value::Text("SKU".into()));
    }

    #[test]
    fn reads_utf16_with_bom() {
        let text: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "SKU\tStock\nA\t1\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let (sheet, dialect) = read_csv(&text, Format::Csv, "s").unwrap();
        assert_eq!(dialect.delimiter, b'\t');
        assert_eq!(sheet.rows[1][0], Value::Text("A".into()));
    }

    #[test]
    fn decodes_windows_1252_with_a_notice() {
        let read = read(
            b"SKU,Name\nA,Caf\xE9 cr\xE8me\n",
            Format::Csv,
            "s",
            None,
            u64::MAX,
        )
        .unwrap();
        assert_eq!(read.sheet.rows[1][1], Value::Text("Café crème".into()));
        assert_eq!(read.dialect.encoding, "windows-1252");
        assert!(
            read.notices[0].contains("windows-1252"),
            "{:?}",
            read.notices
        );
    }

    #[test]
    fn a_few_accented_letters_are_not_read_as_chinese() {
        let read = read_with(b"SKU\n0\xE9j\n", None).unwrap();
        assert_eq!(read.sheet.rows[1][0], Value::Text("0éj".into()));
    }

    #[test]
    fn decodes_utf16_without_bom() {
        let text: Vec<u8> = "SKU,Stock\nKAOS-1,5\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let read = read(&text, Format::Csv, "s", None, u64::MAX).unwrap();
        assert_eq!(read.sheet.rows[1][0], Value::Text("KAOS-1".into()));
        assert_eq!(read.dialect.encoding, "UTF-16BE");
        assert!(!read.dialect.bom);
    }

    #[test]
    fn the_encoding_given_wins_and_is_checked() {
        let thai = b"SKU,\xCA\xB5\xE7\xCD\xA1\nA,5\n";
        let read = read(
            thai,
            Format::Csv,
            "s",
            Some(encoding_rs::WINDOWS_874),
            u64::MAX,
        )
        .unwrap();
        assert_eq!(read.sheet.rows[0][1], Value::Text("สต็อก".into()));
        assert!(read.notices.is_empty());
        let err = read_with(b"SKU\n\x82\xA0\x82\n", Some(encoding_rs::SHIFT_JIS)).unwrap_err();
        assert!(err.to_string().contains("not valid Shift_JIS"), "{err}");
    }

    fn read_with(bytes: &[u8], encoding: Option<&'static Encoding>) -> Result<CsvRead, CsvError> {
        read(bytes, Format::Csv, "s", encoding, u64::MAX)
    }

    #[test]
    fn refuses_binary_noise_naming_the_encoding_option() {
        let err = read_with(
            b"SKU,Name\nA,Caf\xE9\x81\x8D\x8F\x90\x9D\n",
            Some(encoding_rs::UTF_8),
        )
        .unwrap_err();
        assert!(err.to_string().contains("--encoding"), "{err}");
        let err =
            read_with(b"SKU,Name\nA,\x01\x02\x03\x04\x05\xFF\xFE\x80\x06\n", None).unwrap_err();
        assert!(matches!(err, CsvError::Binary { .. }), "{err}");
        let err = read_with(b"SKU,Name\nA,\x01\x02\x03\x04\x05\x06\n", None).unwrap_err();
        assert!(matches!(err, CsvError::Binary { .. }), "{err}");
    }

    #[test]
    fn notices_joined_files_and_shifted_columns() {
        let text =
            "SKU,Name,Stock\nA-1,Kaos,5\nA-2,Kaos, hitam,7\n\u{FEFF}SKU,Name,Stock\nB-1,Topi,3\n";
        let read = read_with(text.as_bytes(), None).unwrap();
        assert_eq!(read.notices.len(), 2, "{:?}", read.notices);
        assert!(read.notices[0].contains("row 4"), "{}", read.notices[0]);
        assert!(read.notices[1].contains("row 3"), "{}", read.notices[1]);
        assert_eq!(read.sheet.rows[3][0], Value::Text("\u{FEFF}SKU".into()));
    }

    #[test]
    fn stops_at_the_cell_limit() {
        let err = read(b"a,b,c\nd,e,f\n", Format::Csv, "s", None, 6).unwrap_err();
        assert!(err.to_string().contains("--max-cells"), "{err}");
        assert!(read(b"a,b,c\nd,e,f\n", Format::Csv, "s", None, 8).is_ok());
    }
}
