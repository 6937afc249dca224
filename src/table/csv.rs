//! CSV and TSV exports: encoding, delimiter sniffing and the dialect a fixed copy keeps.

use std::ops::Range;
use std::sync::Arc;

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
        "the file is not valid UTF-8 (first bad byte at offset {offset}); save it as \"CSV UTF-8\" in Excel and run again"
    )]
    Encoding { offset: usize },
    #[error("the {encoding} text could not be decoded; save it as \"CSV UTF-8\" and run again")]
    Undecodable { encoding: &'static str },
    #[error("malformed CSV at line {line}: {detail}")]
    Malformed { line: u64, detail: String },
}

/// Decodes and parses a CSV/TSV file into one sheet.
pub fn read_csv(bytes: &[u8], format: Format, name: &str) -> Result<(Sheet, Dialect), CsvError> {
    let (text, encoding, bom) = decode(bytes)?;
    let crlf = text.contains("\r\n");
    let delimiter = if format == Format::Tsv {
        b'\t'
    } else {
        sniff_delimiter(&text)
    };
    let records = records(&text, delimiter)?;
    let quote_all = records
        .iter()
        .find(|r| !r.cells.is_empty())
        .is_some_and(|r| fully_quoted(&text[r.span.clone()], delimiter, r.cells.len()));
    let sheet = Sheet {
        name: Arc::from(name),
        visibility: Visibility::Visible,
        rows: records.into_iter().map(|r| r.cells).collect(),
        ..Sheet::default()
    };
    let dialect = Dialect {
        delimiter,
        encoding,
        bom,
        crlf,
        quote_all,
    };
    Ok((sheet, dialect))
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
        // Trailing empty fields are kept: a fixed copy must have the same shape.
        parsed.push(
            record
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(f.to_string())
                    }
                })
                .collect::<Vec<Value>>(),
        );
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
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let (mut start, mut index) = (0, 0);
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
            spans.push(start..index + 1);
            start = index + 1;
            field_start = true;
        } else {
            field_start = byte == delimiter;
        }
        index += 1;
    }
    if start < bytes.len() {
        spans.push(start..bytes.len());
    }
    spans
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

/// UTF-8 with or without BOM, or UTF-16 with BOM. Anything else is refused, never guessed.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str, bool), CsvError> {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        if had_errors {
            return Err(CsvError::Undecodable {
                encoding: encoding.name(),
            });
        }
        return Ok((text.into_owned(), encoding.name(), true));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_string(), "UTF-8", false)),
        Err(e) => Err(CsvError::Encoding {
            offset: e.valid_up_to(),
        }),
    }
}

/// Picks the delimiter (`,` `;` tab `|`) that splits the first lines into the
/// same, largest number of fields. Quoted fields are skipped.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let candidates = [b',', b';', b'\t', b'|'];
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b',', 0usize, 0usize);
    for delimiter in candidates {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| count_unquoted(line, delimiter))
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (delimiter, consistent, first);
        }
    }
    best.0
}

fn count_unquoted(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
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
    fn refuses_latin1_with_a_clear_error() {
        let err = read_csv(b"SKU,Name\nA,Caf\xE9\n", Format::Csv, "s").unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }
}
