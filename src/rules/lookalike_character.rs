//! SKU006 lookalike-character: Cyrillic or Greek letters that look Latin in an
//! otherwise Latin SKU (`KАOS` with a Cyrillic `А`).

use unicode_normalization::UnicodeNormalization;

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;
use crate::text::{is_latin_letter, latin_lookalike};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter(|(_, _, sku)| {
            // Full-width Latin (`Ａ`) counts as Latin: NFKC makes it so.
            let mut letters = sku.nfkc().filter(|c| c.is_alphabetic());
            !sku.is_ascii()
                && sku.chars().any(|c| latin_lookalike(c).is_some())
                && letters.all(|c| is_latin_letter(c) || latin_lookalike(c).is_some())
        })
        .map(|(row, role, sku)| {
            let found: Vec<String> = sku
                .chars()
                .filter_map(|c| {
                    latin_lookalike(c).map(|l| format!("{c} U+{:04X} looks like {l}", c as u32))
                })
                .collect();
            let message = format!(
                "SKU mixes in letters of another script that look Latin ({})",
                found.join(", ")
            );
            let highlight = char_runs(&sku, |_, c| latin_lookalike(c).is_some());
            finding(table, "SKU006", row, role, message)
                .with_highlight(highlight)
                .with_text_fix(Applicability::Unsafe, TextFix::Lookalike)
        })
        .collect()
}
