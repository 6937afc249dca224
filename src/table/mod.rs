//! The table stage: workbooks as read from disk, and the linted view of each sheet.
//!
//! [`read`] turns a file into a [`Workbook`] of raw cell grids; [`layout`] finds
//! the header rows, the channel and the column roles of each sheet and yields a
//! [`Table`] that the rules run on.

pub mod columns;
pub mod csv;
pub mod csv_stream;
pub mod inflating;
pub mod layout;
pub mod patch;
pub mod probe;
pub mod raw_text;
pub mod read;
pub mod rows;
pub mod write;
pub mod xlsx_stream;

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use columns::{ChannelProfile, Role};
pub use layout::{Table, TableSpec};

/// One cell value, keeping the type the spreadsheet stored.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum Value {
    #[default]
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An Excel date/time serial number (the cell had a date format).
    DateTime(f64),
    /// A date, time or duration stored as ISO 8601 text (ODS).
    Iso(String),
    /// An error value such as `#N/A`.
    Error(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(text) => text.is_empty(),
            _ => false,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    /// The text as Excel shows it, borrowed when the cell holds text: rules read
    /// every SKU of a sheet, and a copy per cell would dominate their cost.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Value::Text(text) | Value::Iso(text) | Value::Error(text) => Cow::Borrowed(text),
            Value::Empty => Cow::Borrowed(""),
            _ => Cow::Owned(self.display()),
        }
    }

    /// The text as Excel shows it: `4486`, never `4486.0`.
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(text) | Value::Iso(text) | Value::Error(text) => text.clone(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) | Value::DateTime(f) => format_number(*f),
            Value::Bool(true) => "TRUE".into(),
            Value::Bool(false) => "FALSE".into(),
        }
    }
}

/// Formats a number the way a General-formatted cell shows it: integral values
/// without a decimal point, others with the shortest exact digits.
pub fn format_number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Visibility {
    #[default]
    Visible,
    Hidden,
    VeryHidden,
}

/// A merged range, 0-based and inclusive; its value is in the top-left cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// A formula cell: `rows` holds its cached value, this its formula text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormulaCell {
    pub row: u32,
    pub col: u32,
    pub formula: String,
    /// Whether the file holds the formula's last result. A program that writes
    /// formulas without calculating them leaves none: the cell reads as blank.
    pub cached: bool,
}

/// One worksheet: its cells as rows (0-based), each row as long as its last used cell.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: Arc<str>,
    pub visibility: Visibility,
    pub rows: Vec<Vec<Value>>,
    /// Read only when a workbook is going to be written again (`fix`).
    pub merges: Vec<Merge>,
    /// Formula cells (xlsx/xlsm only).
    pub formulas: Vec<FormulaCell>,
}

impl Sheet {
    pub fn cell(&self, row: usize, col: usize) -> &Value {
        static EMPTY: Value = Value::Empty;
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&EMPTY)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Csv,
    Tsv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file as read: every sheet in workbook order.
#[derive(Clone, Debug)]
pub struct Workbook {
    pub path: PathBuf,
    /// The path as the user gave it, for reports.
    pub display: Arc<str>,
    pub format: Format,
    pub sheets: Vec<Sheet>,
    /// How a CSV/TSV file was written, so a fixed copy can be written the same way.
    pub dialect: Option<csv::Dialect>,
}
