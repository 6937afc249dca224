//! SKU010 numeric-sku: a SKU whose typed text cannot be recovered because the
//! sheet stored it as a number: shown in scientific notation, more than 15
//! digits, a decimal part, or a leading zero lost (the same code is text with a
//! leading zero elsewhere in the sheet, in another export of the run, or in the
//! master). A number cell whose digits are all there is not a finding of its
//! own: the column gets one info-level note, at its header cell.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Run, finding, row_list, skus};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::rules::settings::Settings;
use crate::table::{Role, Table, Value};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    static SCIENTIFIC: OnceLock<Regex> = OnceLock::new();
    let scientific = SCIENTIFIC
        .get_or_init(|| Regex::new(r"^\s*-?\d+(\.\d+)?[eE][+-]?\d+\s*$").expect("valid regex"));
    let padded = zero_padded(table);
    let mut diagnostics = Vec::new();
    let mut intact: Vec<usize> = Vec::new();
    for (row, sku) in skus(table) {
        let value = table.value(row, Role::Sku);
        // Scientific notation starts with a digit or a minus sign.
        let numeric_start = sku
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit() || c == '-');
        let message = if numeric_start && scientific.is_match(&sku) {
            "SKU is in scientific notation: its digits were lost when the sheet stored it as a number".to_string()
        } else if value.is_number() {
            match lost_text(value) {
                Some(message) => message,
                None => match padded.get(&*sku) {
                    Some(&(text_row, ref text)) => format!(
                        "SKU is stored as a number, and `{text}` is text on row {}: its leading zeros were lost; format the column as Text and retype it",
                        table.file_row(text_row) + 1
                    ),
                    None => {
                        intact.push(row);
                        continue;
                    }
                },
            }
        } else {
            continue;
        };
        diagnostics.push(finding(table, "SKU010", row, Role::Sku, message));
    }
    if !intact.is_empty() {
        diagnostics.push(column_note(table, &intact));
    }
    diagnostics
}

/// Why the text typed into a number cell cannot be told from the number:
/// a decimal part, or more digits than a spreadsheet keeps.
fn lost_text(value: &Value) -> Option<String> {
    let number = match *value {
        Value::Int(n) => n as f64,
        Value::Float(f) => f,
        _ => return None,
    };
    if number.fract() != 0.0 {
        Some(format!(
            "SKU is a number with a decimal part ({}): what was typed is not known; format the column as Text and retype it",
            value.display()
        ))
    } else if number.abs() >= 1e15 {
        Some("SKU is a number of more than 15 digits: a spreadsheet keeps only 15, so its last digits are lost; format the column as Text and retype it".to_string())
    } else {
        None
    }
}

/// The one note for the number cells whose digits are intact.
fn column_note(table: &Table, rows: &[usize]) -> Diagnostic {
    let (count, stored) = match rows.len() {
        1 => ("1 SKU of this column is".to_string(), "a number (row"),
        n => (format!("{n} SKUs of this column are"), "numbers (rows"),
    };
    let message = format!(
        "{count} stored as {stored} {}); no digit is lost, but a leading zero typed later would be: format the column as Text",
        row_list(table, rows)
    );
    let mut note = finding(table, "SKU010", table.header_row, Role::Sku, message);
    note.severity = Severity::Info;
    note.sku = None;
    note.value = String::new();
    note
}

/// Whether a text SKU is a code of digits with a leading zero, which a number
/// cell would have lost.
pub(crate) fn is_zero_padded(text: &str) -> bool {
    text.len() > 1 && text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())
}

/// The digits a number cell keeps of a zero-padded code (`00123` → `123`).
pub(crate) fn unpadded(text: &str) -> &str {
    let digits = text.trim_start_matches('0');
    if digits.is_empty() { "0" } else { digits }
}

/// The zero-padded text SKUs of a table, by the digits a number would keep,
/// with the first row of each.
fn zero_padded<'t>(table: &'t Table) -> BTreeMap<&'t str, (usize, Cow<'t, str>)> {
    let mut padded = BTreeMap::new();
    for (row, text) in table.texts(Role::Sku) {
        if matches!(table.value(*row, Role::Sku), Value::Text(_)) && is_zero_padded(text) {
            padded.entry(unpadded(text)).or_insert((*row, text.clone()));
        }
    }
    padded
}

/// With `--inventory`: number cells whose code is text with a leading zero in
/// the master or in another export of the run (within one sheet, [`check`]
/// reports it). Run with the cross-file rules, as it compares files.
pub fn check_run(run: &Run, _settings: &Settings) -> Vec<Diagnostic> {
    // digits → where the zero-padded text is, for `related`, and the text.
    let mut padded: BTreeMap<String, (Location, String, Option<usize>)> = BTreeMap::new();
    for item in run.inventory.items() {
        if is_zero_padded(&item.sku) {
            padded.entry(unpadded(&item.sku).to_string()).or_insert((
                item.available_at.clone(),
                item.sku.clone(),
                None,
            ));
        }
    }
    for (index, table) in run.tables.iter().enumerate() {
        for (digits, (row, text)) in zero_padded(table) {
            let related = table.location_of(row, Role::Sku);
            padded
                .entry(digits.to_string())
                .or_insert((related, text.into_owned(), Some(index)));
        }
    }
    let mut diagnostics = Vec::new();
    for (index, table) in run.tables.iter().enumerate() {
        let own = zero_padded(table);
        for (row, sku) in skus(table) {
            let value = table.value(row, Role::Sku);
            if !value.is_number() || lost_text(value).is_some() || own.contains_key(&*sku) {
                continue;
            }
            let Some((related, text, from)) = padded.get(&*sku) else {
                continue;
            };
            if *from == Some(index) {
                continue;
            }
            let place = match from {
                None => "in the master".to_string(),
                Some(_) => format!("in {} sheet {}", related.file, related.sheet),
            };
            let message = format!(
                "SKU is stored as a number, and `{text}` is text {place} ({}): its leading zeros were lost; format the column as Text and retype it",
                related.cell()
            );
            let mut diagnostic = finding(table, "SKU010", row, Role::Sku, message);
            diagnostic.related = vec![related.clone()];
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}
