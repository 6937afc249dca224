//! SKU001 consecutive-spaces: two or more spaces in a row inside a SKU, the classic
//! cause of "Error 501" on stock sync.

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter_map(|(row, role, sku)| {
            if !sku.contains("  ") {
                return None;
            }
            let chars: Vec<char> = sku.chars().collect();
            let first = chars.iter().position(|&c| c != ' ')?;
            let last = chars.iter().rposition(|&c| c != ' ')?;
            let runs: Vec<(usize, usize)> = char_runs(&sku, |i, c| c == ' ' && i > first && i < last)
                .into_iter()
                .filter(|(start, end)| end - start >= 2)
                .collect();
            let longest = runs.iter().map(|(s, e)| e - s).max()?;
            let message = format!("SKU has {longest} consecutive spaces; the channel stores it differently and stock updates fail with E501");
            Some(finding(table, "SKU001", row, role, message).with_highlight(runs).with_text_fix(Applicability::Safe, TextFix::Normalize))
        })
        .collect()
}
