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
}

/// Another cell involved in the same finding (the other rows of a duplicate group,
/// or a cell of another file of the run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub cell: String,
    pub row: u32,
    /// Set when the cell is in another file (the master inventory, another export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The sheet of that other file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<Arc<str>>,
}

/// One finding at one cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub file: Arc<str>,
    pub sheet: Arc<str>,
    /// 1-based row, as Excel shows it.
    pub row: u32,
    /// Column letter (`F`).
    pub column: String,
    /// A1-style cell (`F12`).
    pub cell: String,
    /// Header text of the column.
    pub header: String,
    /// The SKU of the row, if it has one.
    pub sku: Option<String>,
    /// The cell's value as Excel shows it.
    pub value: String,
    pub message: String,
    pub fix: Option<Fix>,
    pub related: Vec<Related>,
    /// 0-based position of the sheet in its workbook, for ordering.
    #[serde(skip)]
    pub sheet_index: u32,
    /// 0-based column index, for ordering.
    #[serde(skip)]
    pub col_index: u32,
    /// Character ranges of `value` to underline in text reports.
    #[serde(skip)]
    pub highlight: Vec<(usize, usize)>,
}

impl Diagnostic {
    /// The deterministic report order: file, sheet position, row, column, code.
    pub fn sort_key(&self) -> (&str, u32, u32, u32, &'static str) {
        (
            &self.file,
            self.sheet_index,
            self.row,
            self.col_index,
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
