//! SKU004 unnormalized-unicode: text not in NFC, such as Vietnamese typed as base
//! letters plus combining accents.

use unicode_normalization::is_nfc;

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;
use crate::text::replace_invisibles;

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter(|(_, _, sku)| !sku.is_ascii() && !is_nfc(&replace_invisibles(sku)))
        .map(|(row, role, sku)| {
            let highlight = char_runs(&sku, |_, c| matches!(c, '\u{0300}'..='\u{036F}'));
            let message = "SKU is not in Unicode NFC form (letters and accents stored apart); it looks equal to the master SKU but does not match".to_string();
            finding(table, "SKU004", row, role, message).with_highlight(highlight).with_text_fix(Applicability::Safe, TextFix::Normalize)
        })
        .collect()
}
