//! Reading files into [`Workbook`]s: spreadsheets through calamine, CSV/TSV through
//! [`super::csv`]. The format is decided by the file's content, not only its name,
//! and what a file may cost to read is bounded ([`Limits`]): a hostile or broken
//! file is refused with a message, never a crash or an exhausted machine.

use std::cell::Cell as StdCell;
use std::io::{Cursor, Read, Seek};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Once};

use calamine::{
    Data, DataRef, Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx, XlsxCellFormula,
    XlsxCellReader,
};

use super::inflating::Package;
use super::probe::{self, Content, OleKind, XlsEncryption, ZipKind};
use super::raw_text;
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
        "the workbook is encrypted ({0}); open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password), save it as .xlsx and run again"
    )]
    Encrypted(&'static str),
    #[error(
        "the file is an Excel {0} worksheet (BIFF{1}), a format skulint cannot read; open it in Excel or LibreOffice, save it as .xlsx and run again"
    )]
    OldExcel(&'static str, u8),
    #[error(
        "the {format} file is damaged or incomplete ({detail}); export it again from Seller Center or open and re-save it in Excel"
    )]
    Corrupt { format: Format, detail: String },
    #[error(
        "the spreadsheet reader failed on this file ({0}); it may be damaged: open and re-save it in Excel, or export it again"
    )]
    ReaderPanic(String),
    #[error(
        "the file is {size}, more than the {limit} limit; if it is a real export, raise the limit with --max-file-size {suggested}"
    )]
    TooLarge {
        size: Size,
        limit: Size,
        suggested: Size,
    },
    #[error(
        "the workbook unpacks to {size}, more than the {limit} limit (a zip bomb looks like this); if it is a real export, raise the limit with --max-file-size {suggested}"
    )]
    UnpacksTooLarge {
        size: Size,
        limit: Size,
        suggested: Size,
    },
    #[error(
        "{place} holds more than {limit} cells (counting the empty cells before the last used one of each row{dense}); if it is a real export, raise the limit with --max-cells N"
    )]
    TooManyCells {
        place: String,
        limit: u64,
        dense: &'static str,
    },
    #[error(
        "the workbook declares {declared} distinct texts, more than the {limit}-cell limit (a damaged or hostile file looks like this); if it is a real export, raise the limit with --max-cells N"
    )]
    TooManyStrings { declared: u64, limit: u64 },
    #[error(
        "sheet '{sheet}' could not be read ({detail}); a corrected copy would lose it, so nothing was written: repair or delete that sheet in Excel and run again"
    )]
    SheetUnreadable { sheet: String, detail: String },
    #[error(transparent)]
    Csv(#[from] super::csv::CsvError),
}

/// A byte count that prints the way people write sizes (`512 MiB`) and parses
/// back from that, so a message can name the exact flag value to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const UNITS: [(&str, u64); 3] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
        for (unit, scale) in UNITS {
            if self.0 >= scale {
                // Rounded up, so the size shown is never below the real one.
                return write!(f, "{}{unit}", self.0.div_ceil(scale));
            }
        }
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Size {
    type Err = String;

    /// `1048576`, `512K`, `300M`, `2G` (also `300MB`, `2GiB`); units are powers of 1024.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size; write e.g. 500M or 2G"))?;
        let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 1,
            "K" | "KB" | "KIB" => 1 << 10,
            "M" | "MB" | "MIB" => 1 << 20,
            "G" | "GB" | "GIB" => 1 << 30,
            "T" | "TB" | "TIB" => 1 << 40,
            _ => return Err(format!("{text:?} is not a size; write e.g. 500M or 2G")),
        };
        number
            .checked_mul(scale)
            .map(Size)
            .ok_or_else(|| format!("{text:?} is too large"))
    }
}

/// What one file may cost to read. Exports of a few hundred thousand rows fit
/// well within the defaults; a file past them is refused with the flag that raises them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest file, and the largest total a workbook's parts may unpack to.
    pub max_file_size: u64,
    /// The most cells held for one workbook, all sheets together.
    pub max_cells: u64,
}

impl Limits {
    pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 << 30;
    pub const DEFAULT_MAX_CELLS: u64 = 20_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: Self::DEFAULT_MAX_FILE_SIZE,
            max_cells: Self::DEFAULT_MAX_CELLS,
        }
    }
}

/// How much of a workbook to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// Cell values: all that linting needs.
    Values,
    /// Values, formulas and merged ranges: what writing a faithful copy needs.
    Full,
    /// What a fix needs: [`Depth::Values`] for xlsx/xlsm, whose packages are
    /// patched cell by cell, [`Depth::Full`] for the formats a copy is rebuilt from.
    Patch,
}

/// How to read a file.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    pub depth: Depth,
    pub limits: Limits,
    /// The text encoding of CSV/TSV files; `None`: detect it.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl ReadOptions {
    pub fn new(depth: Depth) -> Self {
        ReadOptions {
            depth,
            limits: Limits::default(),
            encoding: None,
        }
    }
}

/// A workbook as read, with what the user should know about how it was read
/// (a file read by its content rather than its name, a sheet that could not be read).
#[derive(Debug)]
pub struct Loaded {
    pub workbook: Workbook,
    /// One line each.
    pub notices: Vec<String>,
}

/// Reads a file into a workbook with the default limits. Never panics.
pub fn read_workbook(path: &Path, display: &str, depth: Depth) -> Result<Workbook, ReadError> {
    load(path, display, &ReadOptions::new(depth)).map(|loaded| loaded.workbook)
}

/// Reads a file into a workbook. Never panics: a crash inside the spreadsheet
/// reader is turned into [`ReadError::ReaderPanic`], or into a notice when only
/// one sheet is affected and the other sheets could be read.
pub fn load(path: &Path, display: &str, options: &ReadOptions) -> Result<Loaded, ReadError> {
    declared_format(path)?;
    let size = std::fs::metadata(path)?.len();
    check_file_size(size, &options.limits)?;
    let mut bytes = Vec::new();
    // The file may grow between the size check and the read.
    std::fs::File::open(path)?
        .take(options.limits.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    check_file_size(bytes.len() as u64, &options.limits)?;
    load_bytes(bytes, path, display, options)
}

pub(super) fn check_file_size(size: u64, limits: &Limits) -> Result<(), ReadError> {
    if size > limits.max_file_size {
        return Err(ReadError::TooLarge {
            size: Size(size),
            limit: Size(limits.max_file_size),
            suggested: Size(size),
        });
    }
    Ok(())
}

/// The format a file's name declares.
pub fn declared_format(path: &Path) -> Result<Format, ReadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "xlsx" => Format::Xlsx,
        "xlsm" => Format::Xlsm,
        "xlsb" => Format::Xlsb,
        "xls" => Format::Xls,
        "ods" => Format::Ods,
        "csv" | "txt" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        "" => return Err(ReadError::UnsupportedExtension(String::new())),
        other => return Err(ReadError::UnsupportedExtension(format!(" .{other}"))),
    })
}

/// Reads a file already in memory; `path` names it (its extension is the
/// declared format) and is kept in the workbook.
pub fn load_bytes(
    bytes: Vec<u8>,
    path: &Path,
    display: &str,
    options: &ReadOptions,
) -> Result<Loaded, ReadError> {
    let declared = declared_format(path)?;
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let mut notices = Vec::new();
    let format = real_format(&bytes, declared, &options.limits, &mut notices)?;
    let (sheets, dialect) = match format {
        Format::Csv | Format::Tsv => {
            let read = super::csv::read(
                &bytes,
                format,
                sheet_name_of(path),
                options.encoding,
                options.limits.max_cells,
            )?;
            notices.extend(read.notices);
            (vec![read.sheet], Some(read.dialect))
        }
        _ => (
            read_spreadsheet(bytes, format, options, &mut notices)?,
            None,
        ),
    };
    Ok(Loaded {
        workbook: Workbook {
            path: path.to_path_buf(),
            display: Arc::from(display),
            format,
            sheets,
            dialect,
        },
        notices,
    })
}

/// A CSV file has one sheet, named after the file like Excel names it.
pub fn sheet_name_of(path: &Path) -> &str {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Sheet1")
}

/// Decides the real format from the bytes, given the one the name declares.
/// A file whose content is another readable format is read as what it is, with a notice.
pub(super) fn real_format(
    bytes: &[u8],
    declared: Format,
    limits: &Limits,
    notices: &mut Vec<String>,
) -> Result<Format, ReadError> {
    let not_spreadsheet = |what: &str| Err(ReadError::NotSpreadsheet(what.to_string()));
    let found = match probe::content(bytes) {
        Content::Zip => {
            let summary = probe::zip_summary(bytes).map_err(|e| ReadError::Corrupt {
                format: if matches!(declared, Format::Csv | Format::Tsv) {
                    Format::Xlsx
                } else {
                    declared
                },
                detail: format!("not a complete zip archive: {e}"),
            })?;
            if summary.unpacked > limits.max_file_size {
                return Err(ReadError::UnpacksTooLarge {
                    size: Size(summary.unpacked),
                    limit: Size(limits.max_file_size),
                    suggested: Size(summary.unpacked),
                });
            }
            if summary.kind == ZipKind::Xlsx
                && let Some(declared) = probe::xlsx_declared_strings(bytes)
                && declared > limits.max_cells
            {
                return Err(ReadError::TooManyStrings {
                    declared,
                    limit: limits.max_cells,
                });
            }
            match summary.kind {
                ZipKind::Xlsx if declared == Format::Xlsm => Format::Xlsm,
                ZipKind::Xlsx => Format::Xlsx,
                ZipKind::Xlsb => Format::Xlsb,
                ZipKind::Ods => {
                    // An unreadable content.xml is left to the reader, which says what is wrong.
                    let cells = probe::ods_cells(bytes, limits.max_cells).unwrap_or(0);
                    if cells > limits.max_cells {
                        return Err(ReadError::TooManyCells {
                            place: "the workbook".into(),
                            limit: limits.max_cells,
                            dense: "; repeated rows and columns count as many times as they repeat",
                        });
                    }
                    Format::Ods
                }
                ZipKind::OtherOffice(what) => {
                    return not_spreadsheet(&format!(
                        "the file is {what}, not a workbook; export the listing as .xlsx or .csv"
                    ));
                }
                ZipKind::Archive => {
                    return not_spreadsheet(&format!(
                        "the file is a zip archive of {} files, not a workbook; unzip it and run skulint on the files inside",
                        summary.entries
                    ));
                }
            }
        }
        Content::Ole => match probe::ole_summary(bytes) {
            Ok(OleKind::EncryptedPackage) => {
                return Err(ReadError::Encrypted("a password is needed to open it"));
            }
            Ok(OleKind::Xls(summary)) => {
                match summary.encryption {
                    Some(XlsEncryption::Xor) => {
                        return Err(ReadError::Encrypted(
                            "Excel 95-style XOR password obfuscation",
                        ));
                    }
                    Some(XlsEncryption::Rc4) => {
                        return Err(ReadError::Encrypted(
                            "RC4; Excel also saves a workbook this way when it is only protected against changes",
                        ));
                    }
                    None => {}
                }
                if summary.dense_cells > limits.max_cells {
                    return Err(ReadError::TooManyCells {
                        place: "the workbook".into(),
                        limit: limits.max_cells,
                        dense: "; the .xls reader holds each sheet as the full rectangle from its first to its last used cell",
                    });
                }
                Format::Xls
            }
            Ok(OleKind::Other) => {
                return not_spreadsheet(
                    "the file is an Office document with no workbook inside (a Word or Outlook file?); export the listing as .xlsx or .csv",
                );
            }
            Err(detail) => {
                return Err(ReadError::Corrupt {
                    format: Format::Xls,
                    detail: format!("its container is broken: {detail}"),
                });
            }
        },
        Content::OldBiff(version) => {
            let name = match version {
                2 => "2.x",
                3 => "3.0",
                _ => "4.0",
            };
            return Err(ReadError::OldExcel(name, version));
        }
        Content::Gzip => {
            return not_spreadsheet(
                "the file is gzip-compressed; decompress it first (gunzip, or 7-Zip on Windows) and run skulint on the file inside",
            );
        }
        Content::Pdf => {
            return not_spreadsheet(
                "the file is a PDF document; export the listing from Seller Center as .xlsx or .csv",
            );
        }
        Content::Html => {
            return not_spreadsheet(&format!(
                "the file is a web page (HTML) named .{declared}, as some systems export tables; open it in Excel, save it as .xlsx and run again"
            ));
        }
        Content::XmlSpreadsheet => {
            return not_spreadsheet(
                "the file is an Excel 2003 XML spreadsheet; open it in Excel, save it as .xlsx and run again",
            );
        }
        Content::Xml => {
            return not_spreadsheet(&format!(
                "the file is an XML document named .{declared}, not a spreadsheet; export the listing again as .xlsx or .csv"
            ));
        }
        Content::Text => match declared {
            Format::Tsv => Format::Tsv,
            _ => Format::Csv,
        },
        // The CSV reader says where the binary data is, or decodes an encoding it recognizes.
        Content::Binary if matches!(declared, Format::Csv | Format::Tsv) => declared,
        Content::Binary => {
            let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02X}")).collect();
            return not_spreadsheet(&format!(
                "the content is not a .{declared} file (no zip, Excel or text signature; it starts with bytes {}); export it again from Seller Center",
                head.join(" ")
            ));
        }
    };
    let family = |f: Format| match f {
        Format::Xlsm => Format::Xlsx,
        Format::Tsv => Format::Csv,
        other => other,
    };
    if family(found) != family(declared) {
        let what = match found {
            Format::Csv | Format::Tsv => "plain text".to_string(),
            other => format!("an .{other} workbook"),
        };
        notices.push(format!(
            "the file is {what}, not .{declared} as its name says; read as {} (rename it to .{})",
            found.as_str().to_uppercase(),
            family(found)
        ));
    }
    Ok(found)
}

thread_local! {
    static GUARDED: StdCell<bool> = const { StdCell::new(false) };
}

/// Runs `f`, turning a panic into an error. The panic message is not printed:
/// the caller reports the file or sheet as unreadable instead.
pub(super) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, ReadError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(StdCell::get) {
                default(info);
            }
        }));
    });
    let outer = GUARDED.with(|g| g.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        ReadError::ReaderPanic(message)
    })
}

/// Cells left before `--max-cells` is reached, for the whole workbook.
struct Budget {
    left: u64,
    limit: u64,
}

impl Budget {
    fn spend(&mut self, cells: u64, sheet: &str) -> Result<(), SheetError> {
        match self.left.checked_sub(cells) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(SheetError::Fatal(ReadError::TooManyCells {
                place: format!("sheet '{sheet}'"),
                limit: self.limit,
                dense: "",
            })),
        }
    }
}

/// Why one sheet could not be read.
enum SheetError {
    /// The whole file must be refused (a limit was reached).
    Fatal(ReadError),
    /// This sheet is unreadable; the others may still be read.
    Sheet(String),
}

/// Excel's grid: a cell past it is damage, and would make the grid huge.
pub(super) const MAX_ROWS: u32 = 1 << 20;
pub(super) const MAX_COLS: u32 = 1 << 14;

/// A sheet's rows, built cell by cell within the budget.
struct Grid<'a> {
    rows: Vec<Vec<Value>>,
    budget: &'a mut Budget,
    sheet: &'a str,
}

impl Grid<'_> {
    fn place(&mut self, row: u32, col: u32, value: Value) -> Result<(), SheetError> {
        if value == Value::Empty {
            return Ok(());
        }
        if row >= MAX_ROWS || col >= MAX_COLS {
            return Err(SheetError::Sheet(format!(
                "a cell lies outside Excel's grid (row {}, column {})",
                row as u64 + 1,
                col as u64 + 1
            )));
        }
        let (row, col) = (row as usize, col as usize);
        if self.rows.len() <= row {
            // Every row slot costs memory too, so it counts as a cell.
            self.budget
                .spend((row + 1 - self.rows.len()) as u64, self.sheet)?;
            self.rows.resize_with(row + 1, Vec::new);
        }
        let cells = &mut self.rows[row];
        if cells.len() <= col {
            self.budget
                .spend((col + 1 - cells.len()) as u64, self.sheet)?;
            cells.resize(col + 1, Value::Empty);
        }
        cells[col] = value;
        Ok(())
    }
}

fn read_spreadsheet(
    bytes: Vec<u8>,
    format: Format,
    options: &ReadOptions,
    notices: &mut Vec<String>,
) -> Result<Vec<Sheet>, ReadError> {
    let corrupt = |detail: String| {
        if detail.contains("password protected") {
            ReadError::Password
        } else {
            ReadError::Corrupt { format, detail }
        }
    };
    let mut budget = Budget {
        left: options.limits.max_cells,
        limit: options.limits.max_cells,
    };
    let depth = match (options.depth, format) {
        (Depth::Patch, Format::Xlsx | Format::Xlsm) => Depth::Values,
        (Depth::Patch, _) => Depth::Full,
        (depth, _) => depth,
    };
    let mut outcomes = Vec::new();
    match format {
        Format::Xlsx | Format::Xlsm => {
            // The shared strings are read again for the texts calamine trims
            // (see raw_text) while calamine reads them, with the package's large
            // parts inflated ahead when a thread is free (see inflating).
            let bytes = Arc::new(bytes);
            let package = Package::new(Arc::clone(&bytes));
            let (workbook, raw) = rayon::join(
                || guarded(|| Xlsx::new(package)),
                || guarded(|| raw_text::Package::new(&bytes)).ok(),
            );
            let mut workbook = workbook?.map_err(|e| corrupt(e.to_string()))?;
            for meta in worksheets(workbook.sheets_metadata()) {
                let sheet = read_sheet(&meta, &mut budget, |grid| {
                    xlsx_sheet(&mut workbook, &meta.name, depth, grid, raw.as_ref())
                });
                outcomes.push((meta, sheet));
            }
        }
        Format::Xlsb => {
            let mut workbook =
                guarded(|| Xlsb::new(Cursor::new(bytes)))?.map_err(|e| corrupt(e.to_string()))?;
            for meta in worksheets(workbook.sheets_metadata()) {
                let sheet = read_sheet(&meta, &mut budget, |grid| {
                    let mut reader = workbook
                        .worksheet_cells_reader(&meta.name)
                        .map_err(|e| SheetError::Sheet(e.to_string()))?;
                    while let Some(cell) = reader
                        .next_cell()
                        .map_err(|e| SheetError::Sheet(e.to_string()))?
                    {
                        let (row, col) = cell.get_position();
                        grid.place(row, col, value_of_ref(cell.get_value()))?;
                    }
                    Ok((Vec::new(), Vec::new()))
                });
                outcomes.push((meta, sheet));
            }
        }
        Format::Xls => {
            let mut workbook =
                guarded(|| Xls::new(Cursor::new(bytes)))?.map_err(|e| corrupt(e.to_string()))?;
            for meta in worksheets(workbook.sheets_metadata()) {
                let sheet = read_sheet(&meta, &mut budget, |grid| {
                    range_sheet(&mut workbook, &meta.name, grid)
                });
                outcomes.push((meta, sheet));
            }
        }
        Format::Ods => {
            let mut workbook =
                guarded(|| Ods::new(Cursor::new(bytes)))?.map_err(|e| corrupt(e.to_string()))?;
            for meta in worksheets(workbook.sheets_metadata()) {
                let sheet = read_sheet(&meta, &mut budget, |grid| {
                    range_sheet(&mut workbook, &meta.name, grid)
                });
                outcomes.push((meta, sheet));
            }
        }
        Format::Csv | Format::Tsv => unreachable!("CSV is read by the csv module"),
    }
    let readable = outcomes.iter().filter(|(_, s)| s.is_ok()).count();
    let mut sheets = Vec::with_capacity(outcomes.len());
    for (meta, outcome) in outcomes {
        match outcome {
            Ok(sheet) => sheets.push(sheet),
            Err(SheetError::Fatal(error)) => return Err(error),
            // Writing a copy without the sheet would lose it.
            Err(SheetError::Sheet(detail)) if depth == Depth::Full => {
                return Err(ReadError::SheetUnreadable {
                    sheet: meta.name,
                    detail,
                });
            }
            Err(SheetError::Sheet(detail)) if readable == 0 => {
                return Err(corrupt(format!("sheet '{}': {detail}", meta.name)));
            }
            Err(SheetError::Sheet(detail)) => notices.push(format!(
                "sheet '{}' could not be read and was not checked ({detail}); the other sheets were",
                meta.name
            )),
        }
    }
    Ok(sheets)
}

/// The worksheets, in workbook order: chart, dialog and macro sheets hold no listings.
pub(super) fn worksheets(metadata: &[calamine::Sheet]) -> Vec<calamine::Sheet> {
    metadata
        .iter()
        .filter(|m| m.typ == SheetType::WorkSheet)
        .cloned()
        .collect()
}

/// Reads one sheet with `fill`, which places its cells and returns its formulas
/// and merged ranges. A panic inside fails this sheet only.
fn read_sheet(
    meta: &calamine::Sheet,
    budget: &mut Budget,
    fill: impl FnOnce(&mut Grid) -> Result<(Vec<FormulaCell>, Vec<Merge>), SheetError>,
) -> Result<Sheet, SheetError> {
    let mut grid = Grid {
        rows: Vec::new(),
        budget,
        sheet: &meta.name,
    };
    let (formulas, merges) = match guarded(|| fill(&mut grid)) {
        Ok(result) => result?,
        Err(panic) => {
            return Err(SheetError::Sheet(match panic {
                ReadError::ReaderPanic(message) => format!("the reader crashed: {message}"),
                other => other.to_string(),
            }));
        }
    };
    Ok(Sheet {
        name: Arc::from(meta.name.as_str()),
        visibility: visibility(meta.visible),
        rows: grid.rows,
        merges,
        formulas,
    })
}

/// Streams an xlsx sheet's cells: memory follows the cells present, not the
/// dimension the sheet declares (which some exports get wrong).
/// Cells parsed from a worksheet, sent in batches to be turned into values.
type CellBatch<'a> = Vec<((u32, u32), DataRef<'a>)>;

/// The values (into `grid`) and formulas of one xlsx worksheet, in one pass: a
/// SKU computed by a formula must not be "fixed" in its cached value only. Also
/// whether the sheet has inline strings (text cells without a formula that are not
/// shared strings), whose text calamine may have trimmed.
/// Parsing the XML takes most of the time; when a core is free (see
/// [`crate::workers`]), a second thread turns the parsed cells into values
/// meanwhile.
fn xlsx_cells<RS: Read + Seek + Send>(
    reader: &mut XlsxCellReader<'_, RS>,
    grid: &mut Grid,
) -> Result<(Vec<FormulaCell>, bool), SheetError> {
    const BATCH: usize = 4096;
    let failed = |e: calamine::XlsxError| SheetError::Sheet(e.to_string());
    let mut formulas = Vec::new();
    let mut inline_seen = false;
    if !crate::workers::spare() {
        while let Some(cell) = reader.next_cell_with_formula().map_err(failed)? {
            formulas.extend(formula_of(&cell));
            inline_seen |= is_inline_string(&cell);
            grid.place(cell.pos.0, cell.pos.1, value_of_ref(&cell.value))?;
        }
        return Ok((formulas, inline_seen));
    }
    // Unbounded: if no thread is free to take the values, the parser must not wait
    // for them; they are then made after parsing, on this thread.
    let (sender, receiver) = mpsc::channel::<CellBatch>();
    let (parsed, placed) = rayon::join(
        move || {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(cell) = reader.next_cell_with_formula().map_err(failed)? {
                formulas.extend(formula_of(&cell));
                inline_seen |= is_inline_string(&cell);
                if cell.value != DataRef::Empty {
                    batch.push((cell.pos, cell.value));
                }
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    // The values side stops early only on an error (a limit hit).
                    if sender.send(full).is_err() {
                        return Ok((formulas, inline_seen));
                    }
                }
            }
            let _ = sender.send(batch);
            Ok::<_, SheetError>((formulas, inline_seen))
        },
        move || -> Result<(), SheetError> {
            for batch in receiver {
                for ((row, col), data) in batch {
                    grid.place(row, col, value_of_ref(&data))?;
                }
            }
            Ok(())
        },
    );
    placed?;
    parsed
}

/// Whether an xlsx cell holds an inline string: a text that is neither a
/// shared string nor a formula's result, whose text calamine may have trimmed.
pub(super) fn is_inline_string(cell: &XlsxCellFormula) -> bool {
    matches!(cell.value, DataRef::String(_)) && cell.formula.as_ref().is_none_or(String::is_empty)
}

/// The formula of an xlsx cell, if it has one.
pub(super) fn formula_of(cell: &XlsxCellFormula) -> Option<FormulaCell> {
    let formula = cell.formula.as_ref().filter(|f| !f.is_empty())?;
    let (row, col) = cell.pos;
    Some(FormulaCell {
        row,
        col,
        formula: formula.clone(),
        cached: cell.value != DataRef::Empty,
    })
}

fn xlsx_sheet(
    workbook: &mut Xlsx<Package>,
    name: &str,
    depth: Depth,
    grid: &mut Grid,
    raw: Option<&raw_text::Package>,
) -> Result<(Vec<FormulaCell>, Vec<Merge>), SheetError> {
    let failed = |e: calamine::XlsxError| SheetError::Sheet(e.to_string());
    let (formulas, inline) = {
        let mut reader = workbook.worksheet_cells_reader(name).map_err(failed)?;
        xlsx_cells(&mut reader, grid)?
    };
    if let Some(raw) = raw {
        // A failure here leaves calamine's values, as read.
        let _ = guarded(|| {
            raw.restore_sheet(name, inline, |row, col, restored| {
                // Only where the cell holds what calamine read of that text.
                if let Some(cell) = grid
                    .rows
                    .get_mut(row as usize)
                    .and_then(|cells| cells.get_mut(col as usize))
                    && matches!(cell, Value::Text(text) if *text == restored.read)
                {
                    *cell = Value::Text(restored.written);
                }
            })
        });
    }
    grid.budget.spend(formulas.len() as u64, grid.sheet)?;
    if depth == Depth::Values {
        return Ok((formulas, Vec::new()));
    }
    let merges = workbook
        .merge_cells_by_sheet_name(name)
        .map_err(failed)?
        .into_iter()
        .map(|d| Merge {
            first_row: d.start.0,
            first_col: d.start.1,
            last_row: d.end.0,
            last_col: d.end.1,
        })
        .collect();
    Ok((formulas, merges))
}

/// Copies a sheet that the reader has already loaded as a dense range (xls, ods).
fn range_sheet<R, E>(
    workbook: &mut R,
    name: &str,
    grid: &mut Grid,
) -> Result<(Vec<FormulaCell>, Vec<Merge>), SheetError>
where
    R: Reader<Cursor<Vec<u8>>, Error = E>,
    E: std::fmt::Display + std::fmt::Debug + From<std::io::Error>,
{
    let range = workbook
        .worksheet_range(name)
        .map_err(|e| SheetError::Sheet(e.to_string()))?;
    if let Some((start_row, start_col)) = range.start() {
        for (row, col, data) in range.used_cells() {
            grid.place(
                start_row.saturating_add(row as u32),
                start_col.saturating_add(col as u32),
                value_of(data),
            )?;
        }
    }
    Ok((Vec::new(), Vec::new()))
}

pub(super) fn visibility(visible: SheetVisible) -> Visibility {
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

pub(super) fn value_of_ref(data: &DataRef<'_>) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn worksheet(name: &str) -> calamine::Sheet {
        calamine::Sheet {
            name: name.into(),
            typ: SheetType::WorkSheet,
            visible: SheetVisible::Visible,
        }
    }

    #[test]
    fn a_crash_while_reading_one_sheet_fails_that_sheet_only() {
        let mut budget = Budget {
            left: 10,
            limit: 10,
        };
        let broken = read_sheet(&worksheet("Broken"), &mut budget, |_| {
            panic!("index out of bounds: the len is 0 but the index is 3")
        });
        assert!(matches!(
            broken,
            Err(SheetError::Sheet(ref m)) if m == "the reader crashed: index out of bounds: the len is 0 but the index is 3"
        ));
        let listing = read_sheet(&worksheet("Listing"), &mut budget, |grid| {
            grid.place(0, 1, Value::Text("SKU".into()))?;
            Ok((Vec::new(), Vec::new()))
        });
        let Ok(listing) = listing else {
            panic!("the next sheet was not read")
        };
        assert_eq!(listing.rows, [[Value::Empty, Value::Text("SKU".into())]]);
        // One row and two cells spent; a cell past the budget refuses the whole file.
        assert_eq!(budget.left, 7);
        let over = read_sheet(&worksheet("Big"), &mut budget, |grid| {
            grid.place(0, 20, Value::Int(1))?;
            Ok((Vec::new(), Vec::new()))
        });
        assert!(matches!(
            over,
            Err(SheetError::Fatal(ReadError::TooManyCells { .. }))
        ));
    }
}
