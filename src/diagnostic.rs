//! Findings: what a rule reports about one cell.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a fix may be applied without the seller looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Applied by `skulint fix`.
    Safe,
    /// Applied only with `--unsafe-fixes`.
    Unsafe,
    /// Not applied: it would create a duplicate SKU.
    Blocked,
}

/// A proposed new value for the cell a finding points at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// The whole new cell value.
    pub replacement: String,
    pub note: Option<String>,
    /// How the new value is made, for composing it with the other fixes of the cell.
    #[serde(skip)]
    pub edit: Edit,
}

/// A cell of a sheet of a file. Findings and fixes hold cells this way; the
/// `Sheet1!F12` forms are made only when a report is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file, as the report names it.
    pub file: Arc<str>,
    /// 0-based position of the sheet in its workbook.
    pub sheet_index: u32,
    pub sheet: Arc<str>,
    /// 0-based row and column of the cell in its sheet.
    pub row: u32,
    pub col: u32,
}

impl Location {
    /// The row as Excel shows it (1-based).
    pub fn row_number(&self) -> u32 {
        self.row + 1
    }

    /// The column's letters (`F`).
    pub fn column(&self) -> String {
        column_letter(self.col)
    }

    /// The A1-style cell (`F12`).
    pub fn cell(&self) -> String {
        format!("{}{}", self.column(), self.row_number())
    }

    /// Whether the cell is in another sheet or file than `other`.
    pub fn elsewhere_than(&self, other: &Location) -> bool {
        self.file != other.file || self.sheet_index != other.sheet_index
    }
}

/// What a fix changes in its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text through a normalization, composed with the other fixes of the
    /// same cell in [`TextFix`] order.
    Text(TextFix),
    /// The stock set to a quantity.
    Quantity(i64),
}

/// The text normalizations of the SKU rules, in the order they compose: the
/// safe one first (invisibles → NFC → trim → collapse), then the unsafe ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextFix {
    /// SKU001–SKU004.
    Normalize,
    /// SKU005: compatibility characters to their plain forms.
    Compatibility,
    /// SKU006: look-alike letters to Latin.
    Lookalike,
}

impl TextFix {
    pub fn apply(self, text: &str) -> String {
        match self {
            TextFix::Normalize => crate::text::safe_fix(text),
            TextFix::Compatibility => crate::text::compatibility_fix(text),
            TextFix::Lookalike => crate::text::lookalike_fix(text),
        }
    }
}

/// One finding at one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub location: Location,
    /// Header text of the column.
    pub header: String,
    /// The SKU of the row, if it has one.
    pub sku: Option<String>,
    /// The cell's value as Excel shows it.
    pub value: String,
    pub message: String,
    pub fix: Option<Fix>,
    /// Other cells involved in the same finding (the other rows of a duplicate
    /// group, or a cell of another file of the run).
    pub related: Vec<Location>,
    /// Character ranges of `value` to underline in text reports.
    pub highlight: Vec<(usize, usize)>,
}

impl Diagnostic {
    /// The deterministic report order: file, sheet position, row, column, code.
    pub fn sort_key(&self) -> (&str, u32, u32, u32, &'static str) {
        (
            &self.location.file,
            self.location.sheet_index,
            self.location.row,
            self.location.col,
            self.code,
        )
    }

    pub fn is_fixable(&self) -> bool {
        matches!(
            self.fix,
            Some(Fix {
                applicability: Applicability::Safe,
                ..
            })
        )
    }

    pub fn file(&self) -> &str {
        &self.location.file
    }

    pub fn sheet(&self) -> &str {
        &self.location.sheet
    }

    /// The row as Excel shows it (1-based).
    pub fn row(&self) -> u32 {
        self.location.row_number()
    }

    /// The column's letters (`F`).
    pub fn column(&self) -> String {
        self.location.column()
    }

    /// The A1-style cell (`F12`).
    pub fn cell(&self) -> String {
        self.location.cell()
    }
}

/// A finding as reports write it: the location as file, sheet, row, column
/// letters and cell; related cells in other files or sheets name them.
impl Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Related<'d> {
            cell: String,
            row: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            file: Option<&'d str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            sheet: Option<&'d str>,
        }
        #[derive(Serialize)]
        struct Finding<'d> {
            code: &'static str,
            name: &'static str,
            severity: Severity,
            file: &'d str,
            sheet: &'d str,
            row: u32,
            column: String,
            cell: String,
            header: &'d str,
            sku: &'d Option<String>,
            value: &'d str,
            message: &'d str,
            fix: &'d Option<Fix>,
            related: Vec<Related<'d>>,
        }
        let here = &self.location;
        Finding {
            code: self.code,
            name: self.name,
            severity: self.severity,
            file: &here.file,
            sheet: &here.sheet,
            row: here.row_number(),
            column: here.column(),
            cell: here.cell(),
            header: &self.header,
            sku: &self.sku,
            value: &self.value,
            message: &self.message,
            fix: &self.fix,
            related: self
                .related
                .iter()
                .map(|r| {
                    let elsewhere = r.elsewhere_than(here);
                    Related {
                        cell: r.cell(),
                        row: r.row_number(),
                        file: elsewhere.then_some(&*r.file),
                        sheet: elsewhere.then_some(&*r.sheet),
                    }
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

/// Converts a 0-based column index into its letters (`0` → `A`, `26` → `AA`).
pub fn column_letter(mut index: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Parses column letters (`F`, `aa`) into a 0-based index; `None` if not letters
/// or beyond Excel's last column (XFD).
pub fn parse_column_letter(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut index: u32 = 0;
    for b in text.bytes() {
        index = index * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    (index <= 16_384).then(|| index - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_round_trip() {
        for (index, letters) in [
            (0, "A"),
            (5, "F"),
            (25, "Z"),
            (26, "AA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16_383, "XFD"),
        ] {
            assert_eq!(column_letter(index), letters);
            assert_eq!(parse_column_letter(letters), Some(index));
        }
        assert_eq!(parse_column_letter("XFE"), None);
        assert_eq!(parse_column_letter("A1"), None);
    }
}
