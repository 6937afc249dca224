//! The `skulint/v1` JSON document (DESIGN §6).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Emitter, Report};
use crate::diagnostic::Diagnostic;

pub struct JsonEmitter;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    /// The configuration file loaded, so a run is never shaped by a file nobody saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<&'a str>,
    files: Vec<File<'a>>,
    diagnostics: &'a [Diagnostic],
    /// The files that could not be read.
    errors: Vec<Error<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Error<'a> {
    file: &'a str,
    message: String,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    format: &'static str,
    channel: &'static str,
    sheets: Vec<Sheet<'a>>,
}

/// A sheet read, or a sheet left out (`skipped` and `reason` only).
#[derive(Serialize)]
#[serde(untagged)]
enum Sheet<'a> {
    Read {
        name: &'a str,
        header_row: usize,
        data_rows: usize,
        /// Why non-empty rows under the header were not read as listings: reason → rows.
        rows_skipped: BTreeMap<&'static str, usize>,
        columns: &'a BTreeMap<&'static str, String>,
        notes: &'a [String],
        warnings: Vec<String>,
    },
    Skipped {
        name: &'a str,
        skipped: &'static str,
        reason: String,
    },
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    rows: usize,
    diagnostics: usize,
    by_code: BTreeMap<&'static str, usize>,
    fixable: usize,
}

impl Emitter for JsonEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let document = Document {
            schema: "skulint/v1",
            config: report.config.as_deref(),
            files: report
                .files
                .iter()
                .map(|f| File {
                    path: &f.path,
                    format: f.format.as_str(),
                    channel: f.channel.key(),
                    sheets: f
                        .sheets
                        .iter()
                        .map(|s| {
                            (
                                s.position,
                                Sheet::Read {
                                    name: &s.name,
                                    header_row: s.header_row,
                                    data_rows: s.data_rows,
                                    rows_skipped: s
                                        .rows_skipped
                                        .iter()
                                        .map(|(reason, rows)| (reason.key(), *rows))
                                        .collect(),
                                    columns: &s.columns,
                                    notes: &s.notes,
                                    warnings: s.warnings(),
                                },
                            )
                        })
                        .chain(f.skipped_sheets.iter().map(|s| {
                            (
                                s.position,
                                Sheet::Skipped {
                                    name: &s.name,
                                    skipped: s.reason.key(),
                                    reason: s.reason.to_string(),
                                },
                            )
                        }))
                        .collect::<BTreeMap<usize, Sheet>>()
                        .into_values()
                        .collect(),
                })
                .collect(),
            diagnostics: &report.diagnostics,
            errors: report
                .errors
                .iter()
                .map(|e| Error {
                    file: &e.path,
                    message: e.one_line(),
                })
                .collect(),
            summary: Summary {
                files: report.files.len(),
                rows: report.rows(),
                diagnostics: report.diagnostics.len(),
                by_code: report.by_code(),
                fixable: report.fixable(),
            },
        };
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}
