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
    summary: Summary,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    format: &'static str,
    channel: &'static str,
    sheets: Vec<Sheet<'a>>,
}

#[derive(Serialize)]
struct Sheet<'a> {
    name: &'a str,
    header_row: usize,
    data_rows: usize,
    columns: &'a BTreeMap<&'static str, String>,
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
                        .map(|s| Sheet {
                            name: &s.name,
                            header_row: s.header_row,
                            data_rows: s.data_rows,
                            columns: &s.columns,
                        })
                        .collect(),
                })
                .collect(),
            diagnostics: &report.diagnostics,
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
