//! Emitters: one per output format, behind [`Emitter`]. They only format the
//! [`Report`]; the exit code is decided from the diagnostics elsewhere.

mod concise;
mod csv;
mod github;
mod html;
mod json;
mod jsonl;
mod junit;
pub mod reading;
mod sarif;
mod statistics;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::diagnostic::{Applicability, Diagnostic};
use crate::table::Format;
use crate::table::columns::Channel;
use crate::table::layout::{RowSkip, SkippedSheet};

pub use concise::ConciseEmitter;
pub use csv::CsvEmitter;
pub use github::GithubEmitter;
pub use html::HtmlEmitter;
pub use json::JsonEmitter;
pub use jsonl::JsonlEmitter;
pub use junit::JunitEmitter;
pub use sarif::SarifEmitter;
pub use statistics::{Statistic, StatisticsEmitter, statistics};
pub use text::TextEmitter;

/// A sheet that was linted, and the layout skulint found in it.
#[derive(Clone, Debug)]
pub struct SheetReport {
    pub name: Arc<str>,
    /// 0-based position in the workbook.
    pub position: usize,
    /// 1-based.
    pub header_row: usize,
    pub data_rows: usize,
    /// Role key → column letter.
    pub columns: BTreeMap<&'static str, String>,
    /// Non-empty rows under the header that are not listings, by why.
    pub rows_skipped: BTreeMap<RowSkip, usize>,
    /// Listing rows whose SKU cell is empty.
    pub without_sku: usize,
    /// How the sheet was read, said once (a column read as the parent SKU).
    pub notes: Vec<String>,
    /// The SKU, parent SKU and stock cells under the header that hold a
    /// formula with no saved result.
    pub uncalculated: Uncalculated,
}

/// Cells whose formula has no saved result: how many, and the first few.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uncalculated {
    pub count: usize,
    /// A1-style, in row order.
    pub first: Vec<String>,
}

impl Uncalculated {
    /// Cells named in the warning.
    pub const SHOWN: usize = 3;
}

impl SheetReport {
    /// What the seller must know when the sheet may not have been read as
    /// meant: most of its rows were not listings, or most listings have no SKU.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let listings = self.data_rows;
        let unread = self
            .rows_skipped
            .get(&RowSkip::NoListing)
            .copied()
            .unwrap_or(0);
        if unread > listings {
            warnings.push(format!(
                "{unread} of {} non-empty rows under header row {} have no id, name, price, stock, option or SKU and were not read; if they are listings, name the header row (--header-row) or the columns (--sku-column, --stock-column)",
                unread + listings,
                self.header_row
            ));
        }
        if listings > 0 && self.without_sku * 2 > listings {
            let column = self
                .columns
                .get("sku")
                .or_else(|| self.columns.get("parent_sku"))
                .map_or("", String::as_str);
            warnings.push(format!(
                "the SKU column {column} is empty in {} of {listings} listing rows: stock sync cannot link them to your master items",
                self.without_sku
            ));
        }
        let Uncalculated { count, first } = &self.uncalculated;
        if *count > 0 {
            let cells = match count - first.len() {
                0 => first.join(", "),
                more => format!("{} and {more} more", first.join(", ")),
            };
            let (cells, hold, them) = match count {
                1 => (format!("cell {cells}"), "holds a formula", "it"),
                n => (format!("{n} cells ({cells})"), "hold formulas", "them"),
            };
            warnings.push(format!(
                "{cells} of the SKU and stock columns {hold} with no saved result: the program that wrote the file did not calculate {them}, so skulint and the channels read {them} as blank; open the file in Excel or LibreOffice, save it, and check it again"
            ));
        }
        warnings
    }
}

/// A file that was read.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: Arc<str>,
    pub format: Format,
    pub channel: Channel,
    pub sheets: Vec<SheetReport>,
    /// The sheets that were not linted, and why.
    pub skipped_sheets: Vec<SkippedSheet>,
}

/// A file that could not be checked, with a message saying what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

impl FileError {
    /// The message on one line, whatever the reader's message holds.
    pub fn one_line(&self) -> String {
        self.message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Everything a run found, in report order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub diagnostics: Vec<Diagnostic>,
    /// Codes of the rules that ran, in code order: reports that list passing
    /// checks (JUnit) need to know what was checked, not only what was found.
    pub rules: Vec<&'static str>,
    /// The files that could not be read, in input order.
    pub errors: Vec<FileError>,
    /// The options a `skulint fix` of these files needs to find the same
    /// findings (`--inventory master.csv`, `--sku-column F`), for the commands
    /// the text report suggests.
    pub fix_args: Vec<String>,
    /// The configuration file the run loaded, if any.
    pub config: Option<String>,
}

impl Report {
    pub fn rows(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.sheets)
            .map(|s| s.data_rows)
            .sum()
    }

    /// Whether a sheet read may have lost listings: the report must say so.
    pub fn has_warnings(&self) -> bool {
        self.files
            .iter()
            .flat_map(|f| &f.sheets)
            .any(|s| !s.warnings().is_empty())
    }

    pub fn fixable(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_fixable()).count()
    }

    /// Findings per code, in code order.
    pub fn by_code(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for diagnostic in &self.diagnostics {
            *counts.entry(diagnostic.code).or_default() += 1;
        }
        counts
    }
}

/// Writes a report in one format.
pub trait Emitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()>;
}

/// The output formats of `--output-format` and `--report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Findings grouped by file and sheet, with invisible characters shown, and a summary.
    #[default]
    Text,
    /// One line per finding: `file:Sheet!F12: CODE [*] message`.
    Concise,
    /// The `skulint/v1` JSON document.
    Json,
    /// One JSON diagnostic per line (the objects of the JSON document's `diagnostics`).
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: a test suite per file, a test case per sheet and rule.
    Junit,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// One finding a row; cells that a spreadsheet would run as formulas are escaped.
    Csv,
    /// One self-contained HTML page: charts, a filterable table, fix previews.
    Html,
}

impl OutputFormat {
    /// The emitter of this format. `show_all` lists every finding in the text
    /// report; the other formats always do.
    pub fn emitter(self, color: bool, quiet: bool, show_all: bool) -> Box<dyn Emitter> {
        match self {
            OutputFormat::Text => Box::new(TextEmitter {
                color,
                quiet,
                show_all,
            }),
            OutputFormat::Concise => Box::new(ConciseEmitter { quiet }),
            OutputFormat::Json => Box::new(JsonEmitter),
            OutputFormat::Jsonl => Box::new(JsonlEmitter),
            OutputFormat::Sarif => Box::new(SarifEmitter),
            OutputFormat::Junit => Box::new(JunitEmitter),
            OutputFormat::Github => Box::new(GithubEmitter),
            OutputFormat::Csv => Box::new(CsvEmitter),
            OutputFormat::Html => Box::new(HtmlEmitter),
        }
    }

    /// The emitter of `--statistics` in this format, if the format has one.
    pub fn statistics_emitter(self) -> Option<Box<dyn Emitter>> {
        let emitter = match self {
            OutputFormat::Text | OutputFormat::Concise => StatisticsEmitter::Table,
            OutputFormat::Json => StatisticsEmitter::Json,
            OutputFormat::Jsonl => StatisticsEmitter::Jsonl,
            _ => return None,
        };
        Some(Box::new(emitter))
    }

    /// Formats read by programs, where a progress bar has no place.
    pub fn is_for_people(self) -> bool {
        matches!(self, OutputFormat::Text | OutputFormat::Concise)
    }

    /// The name used on the command line (`sarif`).
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Concise => "concise",
            OutputFormat::Json => "json",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Sarif => "sarif",
            OutputFormat::Junit => "junit",
            OutputFormat::Github => "github",
            OutputFormat::Csv => "csv",
            OutputFormat::Html => "html",
        }
    }
}

/// A cell as Excel names it across sheets: `Sheet1!F12`, `'Stock 2024'!F12`.
pub fn cell_reference(sheet: &str, cell: &str) -> String {
    let plain = sheet
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !sheet.starts_with(|c: char| c.is_ascii_digit())
        && !sheet.is_empty();
    if plain {
        format!("{sheet}!{cell}")
    } else {
        format!("'{}'!{cell}", sheet.replace('\'', "''"))
    }
}

/// How a fix is introduced in one-line reports.
pub fn fix_kind(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::Safe => "fix",
        Applicability::Unsafe => "unsafe fix (--unsafe-fixes)",
        Applicability::Blocked => "fix blocked",
    }
}

#[cfg(test)]
mod tests {
    use super::{OutputFormat, cell_reference};

    #[test]
    fn format_names_are_the_command_line_names() {
        use clap::ValueEnum;
        for format in OutputFormat::value_variants() {
            let value = format.to_possible_value().unwrap();
            assert_eq!(format.name(), value.get_name());
        }
    }

    #[test]
    fn sheet_names_are_quoted_as_excel_quotes_them() {
        assert_eq!(cell_reference("Sheet1", "F12"), "Sheet1!F12");
        assert_eq!(cell_reference("Stok Gudang", "F12"), "'Stok Gudang'!F12");
        assert_eq!(cell_reference("Bob's", "A1"), "'Bob''s'!A1");
        assert_eq!(cell_reference("2024", "A1"), "'2024'!A1");
        assert_eq!(cell_reference("คลัง", "B2"), "คลัง!B2");
    }
}
