//! Writing a workbook back: xlsx rebuilt from values with rust_xlsxwriter, CSV/TSV
//! in the dialect it was read in.

use std::collections::{BTreeMap, HashMap};

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format as CellFormat, Formula, Note,
    Workbook as XlsxWorkbook,
};

use super::csv::Dialect;
use super::{Value, Visibility, Workbook};

/// A cell to highlight in the written workbook, with the note it carries.
#[derive(Clone, Debug)]
pub struct Highlight {
    pub sheet: String,
    /// 0-based.
    pub row: u32,
    pub col: u32,
    pub note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write the CSV file: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("cannot read the original CSV again: {0}")]
    Source(super::csv::CsvError),
    #[error(
        "the corrected CSV holds characters that {0} cannot store; save the export as \"CSV UTF-8\" and run again"
    )]
    Unencodable(&'static str),
    #[error(
        "SOURCE_DATE_EPOCH={0}: expected a number of seconds since 1970-01-01 00:00 UTC, for a time in the years 1900 to 9999"
    )]
    SourceDateEpoch(String),
    #[error("sheet {sheet}, cell {cell}: {detail}")]
    Cell {
        sheet: String,
        cell: String,
        detail: String,
    },
}

/// The variable that sets the creation time a rebuilt workbook is stamped
/// with, in seconds since 1970 (the reproducible-builds convention).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The creation time of a rebuilt workbook: [`SOURCE_DATE_EPOCH`] when set,
/// else 1980-01-01 00:00 UTC, the time its package's parts carry. Never the
/// current time, so the same input and fixes give the same bytes.
fn creation_time(source_date_epoch: Option<&str>) -> Result<ExcelDateTime, WriteError> {
    let Some(given) = source_date_epoch.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(ExcelDateTime::from_ymd(1980, 1, 1)?);
    };
    given
        .parse::<i64>()
        .ok()
        .and_then(|seconds| ExcelDateTime::from_timestamp(seconds).ok())
        .ok_or_else(|| WriteError::SourceDateEpoch(given.to_string()))
}

/// An xlsx file with every sheet of `workbook`, in order, with its name and
/// visibility, every value with its type, formulas with their cached values and
/// merged ranges. The `highlights` cells get a fill and a note. The same
/// workbook gives the same bytes (see [`creation_time`]).
pub fn xlsx(workbook: &Workbook, highlights: &[Highlight]) -> Result<Vec<u8>, WriteError> {
    let mut book = XlsxWorkbook::new();
    let created = creation_time(std::env::var(SOURCE_DATE_EPOCH).ok().as_deref())?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // Level 3 saves about a third of the compression time for files ~5% larger
    // (rust_xlsxwriter's measurements; Excel itself uses it).
    book.set_zip_compression_level(3);
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let date_time = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let fixed = CellFormat::new().set_background_color(Color::RGB(0xFFF2CC));
    let merged = CellFormat::new();
    let first_visible = workbook
        .sheets
        .iter()
        .position(|s| s.visibility == Visibility::Visible);
    for (index, sheet) in workbook.sheets.iter().enumerate() {
        // A sheet without merged ranges is written row by row, keeping only the
        // current row in memory, with its strings inline (no shared-string table to
        // build: the fastest way rust_xlsxwriter writes). Merged ranges write ahead
        // into later rows, which that mode cannot take back, so their sheets are
        // built in memory.
        let worksheet = if sheet.merges.is_empty() {
            book.add_worksheet_with_constant_memory()?
        } else {
            book.add_worksheet()
        };
        worksheet.set_name(sheet.name.as_ref())?;
        match sheet.visibility {
            Visibility::Visible => {}
            Visibility::Hidden => {
                worksheet.set_hidden(true);
            }
            Visibility::VeryHidden => {
                worksheet.set_very_hidden(true);
            }
        }
        if Some(index) == first_visible {
            worksheet.set_active(true);
        }
        let notes: HashMap<(u32, u32), &Highlight> = highlights
            .iter()
            .filter(|h| *h.sheet == *sheet.name)
            .map(|h| ((h.row, h.col), h))
            .collect();
        let formulas: HashMap<(u32, u32), &str> = sheet
            .formulas
            .iter()
            .map(|f| ((f.row, f.col), f.formula.as_str()))
            .collect();
        for merge in &sheet.merges {
            if (merge.first_row, merge.first_col) != (merge.last_row, merge.last_col) {
                // Overlapping or malformed ranges are left unmerged rather than failing the file.
                let _ = worksheet.merge_range(
                    merge.first_row,
                    merge.first_col as u16,
                    merge.last_row,
                    merge.last_col as u16,
                    "",
                    &merged,
                );
            }
        }
        for (row_index, cells) in sheet.rows.iter().enumerate() {
            let row = row_index as u32;
            for (col_index, value) in cells.iter().enumerate() {
                let col = col_index as u16;
                let highlight = notes.get(&(row, col as u32));
                let format = highlight.map(|_| &fixed);
                if let Some(formula) = formulas.get(&(row, col as u32)) {
                    worksheet.write_formula(
                        row,
                        col,
                        Formula::new(*formula).set_result(value.display()),
                    )?;
                    continue;
                }
                let written = match value {
                    Value::Empty => match format {
                        Some(f) => worksheet.write_blank(row, col, f).map(|_| ()),
                        None => Ok(()),
                    },
                    // Text is always written as text: `=HYPERLINK(…)` typed by a seller is not run.
                    Value::Text(text) | Value::Iso(text) => match format {
                        Some(f) => worksheet
                            .write_string_with_format(row, col, text, f)
                            .map(|_| ()),
                        None => worksheet.write_string(row, col, text).map(|_| ()),
                    },
                    Value::Int(n) => write_number(worksheet, row, col, *n as f64, format),
                    Value::Float(f) => write_number(worksheet, row, col, *f, format),
                    Value::Bool(b) => worksheet.write_boolean(row, col, *b).map(|_| ()),
                    Value::DateTime(serial) => {
                        let f = if serial.fract() == 0.0 {
                            &date
                        } else {
                            &date_time
                        };
                        worksheet
                            .write_number_with_format(row, col, *serial, f)
                            .map(|_| ())
                    }
                    Value::Error(code) => worksheet
                        .write_formula(row, col, Formula::new(format!("={code}")).set_result(code))
                        .map(|_| ()),
                };
                written.map_err(|e| WriteError::Cell {
                    sheet: sheet.name.to_string(),
                    cell: format!(
                        "{}{}",
                        crate::diagnostic::column_letter(col as u32),
                        row + 1
                    ),
                    detail: e.to_string(),
                })?;
                if let Some(highlight) = highlight {
                    worksheet.insert_note(
                        row,
                        col,
                        &Note::new(&highlight.note)
                            .set_author("skulint")
                            .add_author_prefix(false),
                    )?;
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

fn write_number(
    worksheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    number: f64,
    format: Option<&CellFormat>,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match format {
        Some(f) => worksheet
            .write_number_with_format(row, col, number, f)
            .map(|_| ()),
        None => worksheet.write_number(row, col, number).map(|_| ()),
    }
}

/// The corrected CSV/TSV: the rows in `changed` (by row, as
/// [`super::csv::records`] numbers them) are written from their cells in the
/// file's dialect; everything else, blank lines and the end of the file
/// included, is copied from `original` byte for byte, quoting included.
pub fn csv(
    original: &[u8],
    dialect: &Dialect,
    changed: &BTreeMap<usize, &[Value]>,
) -> Result<Vec<u8>, WriteError> {
    let source = super::csv::decode_as(original, dialect).map_err(WriteError::Source)?;
    let utf8 = dialect.encoding == "UTF-8";
    let mut text = String::with_capacity(source.len() + 64);
    // UTF-8 text is the file's bytes, its BOM included: written as they are.
    if utf8 && dialect.bom {
        text.push('\u{feff}');
    }
    let mut copied_to = 0;
    let last = changed.last_key_value().map_or(0, |(&row, _)| row);
    let spans = super::csv::LineSpans::new(&source, dialect.delimiter);
    for (index, span) in spans.enumerate().take(last + 1) {
        let Some(cells) = changed.get(&index) else {
            continue;
        };
        text.push_str(&source[copied_to..span.start]);
        copied_to = span.end;
        let raw = &source[span];
        let terminator = &raw[raw.trim_end_matches(['\r', '\n']).len()..];
        let quote_style = if dialect.quote_all {
            ::csv::QuoteStyle::Always
        } else {
            ::csv::QuoteStyle::Necessary
        };
        let mut writer = ::csv::WriterBuilder::new()
            .delimiter(dialect.delimiter)
            .quote_style(quote_style)
            .terminator(::csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(Vec::new());
        writer.write_record(cells.iter().map(Value::display))?;
        let line = writer
            .into_inner()
            .map_err(|e| ::csv::Error::from(e.into_error()))?;
        let line = String::from_utf8(line).expect("CSV of UTF-8 fields is UTF-8");
        text.push_str(line.trim_end_matches('\n'));
        text.push_str(terminator);
    }
    text.push_str(&source[copied_to..]);
    if utf8 {
        return Ok(text.into_bytes());
    }
    let mut bytes = Vec::with_capacity(text.len() + 3);
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
        // A legacy encoding the file was read in (windows-1252, windows-874, …).
        other => {
            let encoding = encoding_rs::Encoding::for_label(other.as_bytes())
                .ok_or(WriteError::Unencodable(other))?;
            let (encoded, _, unmappable) = encoding.encode(&text);
            // The encoder would write `&#NNNN;` for a character it cannot hold.
            if unmappable {
                return Err(WriteError::Unencodable(encoding.name()));
            }
            bytes.extend_from_slice(&encoded);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creation_time_is_never_the_current_time() {
        // Excel's serial day numbers: 1980-01-01 is 29221.
        let serial = |given| creation_time(given).unwrap().to_excel();
        assert_eq!(serial(None), 29221.0);
        assert_eq!(serial(Some(" ")), 29221.0);
        let expected = 45244.0 + (22.0 * 3600.0 + 13.0 * 60.0 + 20.0) / 86400.0;
        assert!((serial(Some("1700000000")) - expected).abs() < 1e-9);
        for bad in ["yesterday", "1.5", "99999999999999"] {
            let error = creation_time(Some(bad)).err().unwrap().to_string();
            assert!(
                error.starts_with(&format!("SOURCE_DATE_EPOCH={bad}:")),
                "{error}"
            );
        }
    }
}
