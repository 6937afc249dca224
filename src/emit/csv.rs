//! One finding a row, for spreadsheets and scripts:
//! `file, sheet, cell, row, code, name, severity, sku, message, fix`. A file
//! that could not be read gets a row with the name `unreadable-file` and why.
//!
//! SKUs come from sellers' files, and a value such as `=HYPERLINK(...)` or
//! `-2+3` would run as a formula when the report is opened in a spreadsheet
//! program. Every text cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is written with a leading `'`, which the program shows as text.

use std::io::{self, Write};

use super::{Emitter, Report};
use crate::diagnostic::Applicability;
use crate::text::neutralize;

pub struct CsvEmitter;

const HEADER: [&str; 10] = [
    "file", "sheet", "cell", "row", "code", "name", "severity", "sku", "message", "fix",
];

impl Emitter for CsvEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(HEADER)?;
        for d in &report.diagnostics {
            // A blocked fix is not a replacement anyone should apply.
            let fix = d
                .fix
                .as_ref()
                .filter(|f| f.applicability != Applicability::Blocked)
                .map(|f| f.replacement.as_str())
                .unwrap_or_default();
            writer.write_record([
                neutralize(d.file()),
                neutralize(d.sheet()),
                neutralize(&d.cell()),
                d.row().to_string(),
                neutralize(d.code),
                neutralize(d.name),
                neutralize(d.severity.as_str()),
                neutralize(d.sku.as_deref().unwrap_or_default()),
                neutralize(&d.message),
                neutralize(fix),
            ])?;
        }
        // A file that could not be read is a row too: a report that leaves it
        // out would read as a clean file.
        for error in &report.errors {
            writer.write_record([
                neutralize(&error.path),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "unreadable-file".to_string(),
                "error".to_string(),
                String::new(),
                neutralize(&error.one_line()),
                String::new(),
            ])?;
        }
        writer.flush()
    }
}
