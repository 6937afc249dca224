//! SKU002 edge-whitespace: a SKU that starts or ends with a space.

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter(|(_, _, sku)| sku.starts_with(' ') || sku.ends_with(' '))
        .map(|(row, role, sku)| {
            let length = sku.chars().count();
            let leading = sku.chars().take_while(|&c| c == ' ').count();
            let trailing = sku.chars().rev().take_while(|&c| c == ' ').count();
            let highlight = char_runs(&sku, |i, _| i < leading || i >= length - trailing);
            let place = match (leading > 0, trailing > 0) {
                (true, true) => "starts and ends",
                (true, false) => "starts",
                _ => "ends",
            };
            let message = format!(
                "SKU {place} with a space; Seller Center trims it, so the SKUs no longer match"
            );
            finding(table, "SKU002", row, role, message)
                .with_highlight(highlight)
                .with_text_fix(Applicability::Safe, TextFix::Normalize)
        })
        .collect()
}
