//! SKU005 compatibility-character: full-width and other compatibility forms that
//! NFKC changes (`ＳＫＵ１２`), but not the ones keyboards of Thai, Lao, Korean,
//! Chinese and Japanese type (see [`is_compatibility_character`]).

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::{Applicability, Diagnostic, TextFix};
use crate::rules::settings::Settings;
use crate::table::Table;
use crate::text::{has_cjk, is_compatibility_character};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    sku_cells(table)
        .filter_map(|(row, role, sku)| {
            // ASCII has no compatibility characters, and most SKUs are ASCII.
            if sku.is_ascii() {
                return None;
            }
            let cjk = has_cjk(&sku);
            if !sku.chars().any(|c| is_compatibility_character(c, cjk)) {
                return None;
            }
            let highlight = char_runs(&sku, |_, c| is_compatibility_character(c, cjk));
            let message = "SKU has full-width or compatibility characters; channels treat it as a different SKU".to_string();
            Some(
                finding(table, "SKU005", row, role, message)
                    .with_highlight(highlight)
                    .with_text_fix(Applicability::Unsafe, TextFix::Compatibility),
            )
        })
        .collect()
}
