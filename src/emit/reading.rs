//! How each file was read, for people: the sheets and rows that were not read
//! as listings and why, what a column was taken for, and what may have been
//! missed. Nothing is skipped without a word.

use super::FileReport;
use crate::text::printable;

/// The lines that tell how `file` was read; empty when every row under each
/// header was a listing and every sheet was checked. Names and notes come from
/// the file: their control characters are shown by code.
pub fn lines(file: &FileReport) -> Vec<String> {
    raw_lines(file).iter().map(|line| printable(line)).collect()
}

fn raw_lines(file: &FileReport) -> Vec<String> {
    let mut lines = Vec::new();
    for sheet in &file.sheets {
        if !sheet.rows_skipped.is_empty() {
            let skipped: Vec<String> = sheet
                .rows_skipped
                .iter()
                .map(|(reason, rows)| reason.count(*rows))
                .collect();
            lines.push(format!(
                "sheet {}: {} listing rows under header row {}; not read as listings: {}",
                sheet.name,
                sheet.data_rows,
                sheet.header_row,
                skipped.join(", ")
            ));
        }
        for note in &sheet.notes {
            lines.push(format!("note: sheet {}: {note}", sheet.name));
        }
        for warning in sheet.warnings() {
            lines.push(format!("warning: sheet {}: {warning}", sheet.name));
        }
    }
    if !file.skipped_sheets.is_empty() {
        // Sheets left out for the same reason on one line: a template's hidden
        // list sheets are many.
        let mut by_reason: Vec<(String, Vec<&str>)> = Vec::new();
        for sheet in &file.skipped_sheets {
            let reason = sheet.reason.to_string();
            match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, names)) => names.push(&sheet.name),
                None => by_reason.push((reason, vec![&sheet.name])),
            }
        }
        let sheets: Vec<String> = by_reason
            .iter()
            .map(|(reason, names)| format!("{} ({reason})", names.join(", ")))
            .collect();
        lines.push(format!(
            "sheets not checked: {}; name a sheet with --sheet to check it",
            sheets.join("; ")
        ));
    }
    lines
}
