//! Emitters: one per output format, behind [`Emitter`]. They only format the
//! [`Report`]; the exit code is decided from the diagnostics elsewhere.

mod json;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::table::Format;
use crate::table::columns::Channel;

pub use json::JsonEmitter;
pub use text::TextEmitter;

/// A sheet that was linted, and the layout skulint found in it.
#[derive(Clone, Debug)]
pub struct SheetReport {
    pub name: Arc<str>,
    /// 1-based.
    pub header_row: usize,
    pub data_rows: usize,
    /// Role key → column letter.
    pub columns: BTreeMap<&'static str, String>,
}

/// A file that was read.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: Arc<str>,
    pub format: Format,
    pub channel: Channel,
    pub sheets: Vec<SheetReport>,
}

/// Everything a run found, in report order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn rows(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.sheets)
            .map(|s| s.data_rows)
            .sum()
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

/// The output formats of `--output-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Findings grouped by file and sheet, with invisible characters shown, and a summary.
    #[default]
    Text,
    /// The `skulint/v1` JSON document.
    Json,
}

impl OutputFormat {
    pub fn emitter(self, color: bool, quiet: bool) -> Box<dyn Emitter> {
        match self {
            OutputFormat::Text => Box::new(TextEmitter { color, quiet }),
            OutputFormat::Json => Box::new(JsonEmitter),
        }
    }
}
