//! SKU009 disallowed-character: characters the channel rejects in a SKU.

use super::{char_runs, finding, sku_cells};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::Table;

pub fn check(table: &Table, settings: &Settings) -> Vec<Diagnostic> {
    let profile = settings.profile(table.channel);
    let rejected = |c: char| {
        profile.rejected_characters.contains(c) || (!profile.spaces_allowed && c.is_whitespace())
    };
    if profile.rejected_characters.is_empty() && profile.spaces_allowed {
        return Vec::new();
    }
    sku_cells(table)
        .filter(|(_, _, sku)| sku.chars().any(rejected))
        .map(|(row, role, sku)| {
            let mut found: Vec<String> = sku
                .chars()
                .filter(|&c| rejected(c))
                .map(|c| {
                    if c.is_whitespace() {
                        "space".to_string()
                    } else {
                        format!("`{c}`")
                    }
                })
                .collect();
            found.sort();
            found.dedup();
            let message = format!("{} rejects {} in a SKU", profile.title, found.join(", "));
            finding(table, "SKU009", row, role, message)
                .with_highlight(char_runs(&sku, |_, c| rejected(c)))
        })
        .collect()
}
