//! Reading files into [`Workbook`]s: spreadsheets through calamine, CSV/TSV through
//! [`super::csv`]. The format is decided by the file's content, not only its name.

use std::cell::Cell as StdCell;
use std::io::{Cursor, Read, Seek};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once, mpsc};

use calamine::{
    Data, DataRef, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx, XlsxCellFormula,
    XlsxCellReader, XlsxError,
};

use super::{Format, FormulaCell, Merge, Sheet, Value, Visibility, Workbook};

/// Why a file could not be read. Each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty (0 bytes); export the listing again")]
    Empty,
    #[error("unsupported file type{0}; skulint reads .xlsx .xlsm .xlsb .xls .ods .csv .tsv")]
    UnsupportedExtension(String),
    #[error("not a spreadsheet: {0}")]
    NotSpreadsheet(String),
    #[error(
        "the workbook is password-protected or encrypted; remove the password (Excel: File > Info > Protect Workbook) and save it again"
    )]
    Password,
    #[error(
        "the {format} file is damaged or incomplete ({detail}); export it again from Seller Center or open and re-save it in Excel"
    )]
    Corrupt { format: Format, detail: String },
    #[error(
        "the spreadsheet reader failed on this file ({0}); it may be damaged: open and re-save it in Excel, or export it again"
    )]
    ReaderPanic(String),
    #[error(transparent)]
    Csv(#[from] super::csv::CsvError),
}

/// How much of a workbook to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Cell values (and, for xlsx, formulas): all that linting needs.
    Values,
    /// Values and merged ranges: what writing a faithful copy needs.
    Full,
}

/// Reads a file into a workbook. Never panics: a crash inside the spreadsheet
/// reader is turned into [`ReadError::ReaderPanic`].
pub fn read_workbook(path: &Path, display: &str, depth: Depth) -> Result<Workbook, ReadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let declared = match extension.as_str() {
        "xlsx" => Format::Xlsx,
        "xlsm" => Format::Xlsm,
        "xlsb" => Format::Xlsb,
        "xls" => Format::Xls,
        "ods" => Format::Ods,
        "csv" | "txt" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        "" => return Err(ReadError::UnsupportedExtension(String::new())),
        other => return Err(ReadError::UnsupportedExtension(format!(" .{other}"))),
    };
    let bytes = std::fs::read(path)?;
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let format = sniff(&bytes, declared)?;
    let (sheets, dialect) = match format {
        Format::Csv | Format::Tsv => {
            let (sheet, dialect) = super::csv::read_csv(&bytes, format, sheet_name_of(path))?;
            (vec![sheet], Some(dialect))
        }
        _ => (guarded(|| read_spreadsheet(bytes, format, depth))??, None),
    };
    Ok(Workbook {
        path: path.to_path_buf(),
        display: Arc::from(display),
        format,
        sheets,
        dialect,
    })
}

/// A CSV file has one sheet, named after the file like Excel names it.
fn sheet_name_of(path: &Path) -> &str {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Sheet1")
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides the real format from the first bytes, given the one the name declares.
fn sniff(bytes: &[u8], declared: Format) -> Result<Format, ReadError> {
    let is_zip = bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(b"PK\x05\x06");
    let is_ole = bytes.starts_with(OLE_MAGIC);
    let is_text = looks_like_text(bytes);
    match declared {
        Format::Csv | Format::Tsv if is_zip || is_ole => Err(ReadError::NotSpreadsheet(
            "named as CSV but it is an Excel workbook; rename it to .xlsx (or .xls) and run again"
                .into(),
        )),
        Format::Csv | Format::Tsv => Ok(declared),
        // An encrypted xlsx is an OLE container; the xlsx reader reports it as password-protected.
        Format::Xlsx | Format::Xlsm | Format::Xlsb if is_ole => Ok(declared),
        Format::Xlsx | Format::Xlsm | Format::Xlsb | Format::Ods if is_zip => Ok(declared),
        Format::Xls if is_ole => Ok(declared),
        Format::Xls if is_zip => Ok(Format::Xlsx),
        _ if is_text => Err(ReadError::NotSpreadsheet(format!(
            "the file is plain text, not a .{declared} workbook; if it is a CSV export, rename it to .csv"
        ))),
        _ => Err(ReadError::NotSpreadsheet(format!(
            "the content is not a .{declared} workbook (no zip or Excel signature); export it again from Seller Center"
        ))),
    }
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    std::str::from_utf8(head).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    }) || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
}

thread_local! {
    static GUARDED: StdCell<bool> = const { StdCell::new(false) };
}

/// Runs `f`, turning a panic into an error. The panic message is not printed:
/// the caller reports the file as unreadable instead.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ReadError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(StdCell::get) {
                default(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        ReadError::ReaderPanic(message)
    })
}

fn read_spreadsheet(bytes: Vec<u8>, format: Format, depth: Depth) -> Result<Vec<Sheet>, ReadError> {
    let cursor = Cursor::new(bytes);
    let corrupt = |detail: String| {
        if detail.contains("password protected") {
            ReadError::Password
        } else {
            ReadError::Corrupt { format, detail }
        }
    };
    match format {
        Format::Xlsx | Format::Xlsm => {
            // Merged ranges come after the cells in a worksheet's XML, and calamine
            // finds them by parsing the sheet again: that runs on another thread
            // while this one reads the cells.
            let copy = (depth == Depth::Full).then(|| cursor.get_ref().clone());
            let (sheets, merges) = rayon::join(
                || -> Result<Vec<Sheet>, ReadError> {
                    let mut workbook = Xlsx::new(cursor).map_err(|e| corrupt(e.to_string()))?;
                    let metadata = workbook.sheets_metadata().to_vec();
                    let mut sheets = Vec::new();
                    for meta in metadata.iter().filter(|m| m.typ == SheetType::WorkSheet) {
                        let (rows, formulas) = {
                            let mut reader = workbook
                                .worksheet_cells_reader(&meta.name)
                                .map_err(|e| corrupt(e.to_string()))?;
                            xlsx_cells(&mut reader).map_err(|e| corrupt(e.to_string()))?
                        };
                        sheets.push(Sheet {
                            name: Arc::from(meta.name.as_str()),
                            visibility: visibility(meta.visible),
                            rows,
                            formulas,
                            ..Sheet::default()
                        });
                    }
                    Ok(sheets)
                },
                || copy.map(xlsx_merges),
            );
            let mut sheets = sheets?;
            if let Some(merges) = merges {
                let merges = merges.map_err(|e| corrupt(e.to_string()))?;
                for (sheet, merges) in sheets.iter_mut().zip(merges) {
                    sheet.merges = merges;
                }
            }
            Ok(sheets)
        }
        Format::Xlsb => read_ranges(
            Xlsb::new(cursor).map_err(|e| corrupt(e.to_string()))?,
            corrupt,
        ),
        Format::Xls => read_ranges(
            Xls::new(cursor).map_err(|e| corrupt(e.to_string()))?,
            corrupt,
        ),
        Format::Ods => read_ranges(
            Ods::new(cursor).map_err(|e| corrupt(e.to_string()))?,
            corrupt,
        ),
        Format::Csv | Format::Tsv => unreachable!("CSV is read by the csv module"),
    }
}

/// The merged ranges of every worksheet, in workbook order.
fn xlsx_merges(bytes: Vec<u8>) -> Result<Vec<Vec<Merge>>, XlsxError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))?;
    let metadata = workbook.sheets_metadata().to_vec();
    metadata
        .iter()
        .filter(|m| m.typ == SheetType::WorkSheet)
        .map(|meta| {
            Ok(workbook
                .merge_cells_by_sheet_name(&meta.name)?
                .into_iter()
                .map(|d| Merge {
                    first_row: d.start.0,
                    first_col: d.start.1,
                    last_row: d.end.0,
                    last_col: d.end.1,
                })
                .collect())
        })
        .collect()
}

/// Cells parsed from a worksheet, sent in batches to be turned into values.
type CellBatch<'a> = Vec<((u32, u32), DataRef<'a>)>;

/// The values and formulas of one xlsx worksheet, in one pass: a SKU computed
/// by a formula must not be "fixed" in its cached value only. Parsing the XML
/// takes most of the time; when a second worker thread is free, it turns the
/// parsed cells into values meanwhile.
fn xlsx_cells<RS: Read + Seek + Send>(
    reader: &mut XlsxCellReader<'_, RS>,
) -> Result<(Vec<Vec<Value>>, Vec<FormulaCell>), XlsxError> {
    const BATCH: usize = 4096;
    let mut formulas = Vec::new();
    let formula_of = |cell: &XlsxCellFormula| {
        let formula = cell.formula.as_ref().filter(|f| !f.is_empty())?;
        let (row, col) = cell.pos;
        Some(FormulaCell {
            row,
            col,
            formula: formula.clone(),
        })
    };
    if rayon::current_num_threads() < 2 {
        let mut rows = Vec::new();
        while let Some(cell) = reader.next_cell_with_formula()? {
            formulas.extend(formula_of(&cell));
            let value = value_of_ref(&cell.value);
            if value != Value::Empty {
                place(&mut rows, cell.pos.0 as usize, cell.pos.1 as usize, value);
            }
        }
        return Ok((rows, formulas));
    }
    // Unbounded: if no thread is free to take the values, the parser must not wait
    // for them; they are then made after parsing, on this thread.
    let (sender, receiver) = mpsc::channel::<CellBatch>();
    let (parsed, rows) = rayon::join(
        move || {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(cell) = reader.next_cell_with_formula()? {
                formulas.extend(formula_of(&cell));
                if cell.value != DataRef::Empty {
                    batch.push((cell.pos, cell.value));
                }
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // The receiver only stops when this thread panicked.
                    let _ = sender.send(full);
                }
            }
            let _ = sender.send(batch);
            Ok::<_, XlsxError>(formulas)
        },
        move || {
            let mut rows = Vec::new();
            for batch in receiver {
                for ((row, col), data) in batch {
                    let value = value_of_ref(&data);
                    if value != Value::Empty {
                        place(&mut rows, row as usize, col as usize, value);
                    }
                }
            }
            rows
        },
    );
    Ok((rows, parsed?))
}

fn read_ranges<R, E>(
    mut workbook: R,
    corrupt: impl Fn(String) -> ReadError,
) -> Result<Vec<Sheet>, ReadError>
where
    R: Reader<Cursor<Vec<u8>>, Error = E>,
    E: std::fmt::Display + std::fmt::Debug + From<std::io::Error>,
{
    let metadata = workbook.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for meta in metadata.iter().filter(|m| m.typ == SheetType::WorkSheet) {
        let range = workbook
            .worksheet_range(&meta.name)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut rows: Vec<Vec<Value>> = Vec::new();
        if let Some((start_row, start_col)) = range.start() {
            for (row, col, data) in range.used_cells() {
                let value = value_of(data);
                if value != Value::Empty {
                    place(
                        &mut rows,
                        start_row as usize + row,
                        start_col as usize + col,
                        value,
                    );
                }
            }
        }
        sheets.push(Sheet {
            name: Arc::from(meta.name.as_str()),
            visibility: visibility(meta.visible),
            rows,
            ..Sheet::default()
        });
    }
    Ok(sheets)
}

fn place(rows: &mut Vec<Vec<Value>>, row: usize, col: usize, value: Value) {
    if rows.len() <= row {
        // Rows of a sheet are about as wide as the one before: one allocation each.
        let width = rows.last().map_or(0, Vec::len);
        rows.resize_with(row, Vec::new);
        rows.push(Vec::with_capacity(width.max(col + 1)));
    }
    let cells = &mut rows[row];
    if cells.len() <= col {
        cells.resize(col + 1, Value::Empty);
    }
    cells[col] = value;
}

fn visibility(visible: SheetVisible) -> Visibility {
    match visible {
        SheetVisible::Visible => Visibility::Visible,
        SheetVisible::Hidden => Visibility::Hidden,
        SheetVisible::VeryHidden => Visibility::VeryHidden,
    }
}

fn value_of(data: &Data) -> Value {
    match data {
        Data::Int(n) => Value::Int(*n),
        Data::Float(f) => Value::Float(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => Value::DateTime(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Iso(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::Empty => Value::Empty,
    }
}

fn value_of_ref(data: &DataRef<'_>) -> Value {
    match data {
        DataRef::Int(n) => Value::Int(*n),
        DataRef::Float(f) => Value::Float(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text((*s).to_string()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) => Value::DateTime(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Iso(s.clone()),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::Empty => Value::Empty,
    }
}
