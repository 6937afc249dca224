//! SKU004 unnormalized-unicode: text not in NFC, such as Vietnamese typed as base
//! letters plus combining accents.

use unicode_normalization::is_nfc;

use super::{char_runs, finding, skus};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::settings::Settings;
use crate::table::{Role, Table};
use crate::text::{replace_invisibles, safe_fix};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    skus(table)
        .filter(|(_, sku)| !is_nfc(&replace_invisibles(sku)))
        .map(|(row, sku)| {
            let highlight = char_runs(&sku, |_, c| matches!(c, '\u{0300}'..='\u{036F}'));
            let message = "SKU is not in Unicode NFC form (letters and accents stored apart); it looks equal to the master SKU but does not match".to_string();
            finding(table, "SKU004", row, Role::Sku, message).with_highlight(highlight).with_fix(Applicability::Safe, safe_fix(&sku))
        })
        .collect()
}
