//! DUP001 duplicate-sku: the same SKU on more than one listing row of a shop.

use super::{by_shop, finding, row_list, skus};
use crate::diagnostic::Diagnostic;
use crate::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for rows in by_shop(table, skus(table)).into_values() {
        for positions in super::groups_by(rows.len(), |i, key| key.push_str(&rows[i].1)) {
            let group: Vec<usize> = positions.iter().map(|&i| rows[i].0).collect();
            for &row in &group {
                let others: Vec<usize> = group.iter().copied().filter(|&r| r != row).collect();
                let plural = if others.len() == 1 { "" } else { "s" };
                let message = format!(
                    "SKU is also on row{plural} {}; stock updates land on the wrong listing",
                    row_list(&others)
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
