//! DUP001 duplicate-sku: the same SKU on more than one listing row of a shop
//! (stock listings only: an item nobody tracks stock of is not one).
//! On a channel whose profile says `case-sensitive = false`, SKUs that differ
//! only in case are the same SKU.

use super::{by_shop, finding, row_list, stock_skus};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, settings: &Settings) -> Vec<Diagnostic> {
    let case_sensitive = settings.profile(table.channel).case_sensitive;
    let mut diagnostics = Vec::new();
    for rows in by_shop(table, stock_skus(table)).into_values() {
        let key = |i: usize, key: &mut String| {
            let sku: &str = &rows[i].1;
            if case_sensitive {
                key.push_str(sku);
            } else {
                key.push_str(&sku.to_lowercase());
            }
        };
        for positions in super::groups_by(rows.len(), key) {
            let group: Vec<usize> = positions.iter().map(|&i| rows[i].0).collect();
            for &row in &group {
                let others: Vec<usize> = group.iter().copied().filter(|&r| r != row).collect();
                let plural = if others.len() == 1 { "" } else { "s" };
                let message = format!(
                    "SKU is also on row{plural} {}; stock updates land on the wrong listing",
                    row_list(table, &others)
                );
                diagnostics.push(
                    finding(table, "DUP001", row, Role::Sku, message).with_related(
                        table,
                        others,
                        Role::Sku,
                    ),
                );
            }
        }
    }
    diagnostics
}

/// The text under which two SKUs are the same SKU on a channel.
pub(crate) fn same_sku_key(sku: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        sku.to_string()
    } else {
        sku.to_lowercase()
    }
}
