//! SKU005 compatibility-character: full-width and other compatibility forms that
//! NFKC changes (`ＳＫＵ１２`).

use unicode_normalization::UnicodeNormalization;

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::settings::Settings;
use crate::table::Table;
use crate::text::{is_invisible, nfkc_fix, safe_fix};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter_map(|(row, role, sku)| {
            // ASCII has no compatibility characters, and most SKUs are ASCII.
            if sku.is_ascii() {
                return None;
            }
            let cleaned = safe_fix(&sku);
            if cleaned.nfkc().eq(cleaned.chars()) {
                return None;
            }
            let highlight = char_runs(&sku, |_, c| !is_invisible(c) && !c.to_string().nfkc().eq(std::iter::once(c)));
            let message = "SKU has full-width or compatibility characters; channels treat it as a different SKU".to_string();
            Some(finding(table, "SKU005", row, role, message).with_highlight(highlight).with_fix(Applicability::Unsafe, nfkc_fix(&sku)))
        })
        .collect()
}
