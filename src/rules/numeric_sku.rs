//! SKU010 numeric-sku: a SKU stored as a number, or already shown in scientific notation.

use std::sync::OnceLock;

use regex::Regex;

use super::{finding, skus};
use crate::diagnostic::Diagnostic;
use crate::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    static SCIENTIFIC: OnceLock<Regex> = OnceLock::new();
    let scientific = SCIENTIFIC
        .get_or_init(|| Regex::new(r"^\s*-?\d+(\.\d+)?[eE][+-]?\d+\s*$").expect("valid regex"));
    skus(table)
        .filter_map(|(row, sku)| {
            // Scientific notation starts with a digit or a minus sign.
            let numeric_start = sku
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-');
            let message = if numeric_start && scientific.is_match(&sku) {
                "SKU is in scientific notation: its digits were lost when the sheet stored it as a number"
            } else if table.value(row, Role::Sku).is_number() {
                "SKU is stored as a number cell: leading zeros and long digits can be lost; format the column as Text"
            } else {
                return None;
            };
            Some(finding(table, "SKU010", row, Role::Sku, message.to_string()))
        })
        .collect()
}
