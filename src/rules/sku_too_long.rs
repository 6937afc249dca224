//! SKU008 sku-too-long: longer than the channel allows.

use super::{finding, sku_cells};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::Table;

pub fn check(table: &Table, settings: &Settings) -> Vec<Diagnostic> {
    let profile = settings.profile(table.channel);
    let Some(limit) = settings.max_sku_length.or(profile.max_sku_length) else {
        return Vec::new();
    };
    sku_cells(table)
        .filter_map(|(row, role, sku)| {
            // A string has at most as many characters as bytes.
            if sku.len() <= limit {
                return None;
            }
            let length = sku.chars().count();
            (length > limit).then(|| {
                let message = format!(
                    "SKU is {length} characters; {} allows at most {limit}",
                    profile.title
                );
                finding(table, "SKU008", row, role, message).with_highlight(vec![(limit, length)])
            })
        })
        .collect()
}
