//! DUP002 near-duplicate-sku: different SKUs that are equal once spacing, invisible
//! characters, width and case are ignored.

use super::duplicate_sku::same_sku_key;
use super::{by_shop, finding, skus};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};
use crate::text::{near_duplicate_key_into, visible};

pub fn check(table: &Table, settings: &Settings) -> Vec<Diagnostic> {
    let case_sensitive = settings.profile(table.channel).case_sensitive;
    let mut diagnostics = Vec::new();
    for rows in by_shop(table, skus(table)).into_values() {
        let key = |i: usize, key: &mut String| near_duplicate_key_into(&rows[i].1, key);
        for positions in super::groups_by(rows.len(), key) {
            let group: Vec<(usize, &str)> = positions
                .iter()
                .map(|&i| (rows[i].0, &*rows[i].1))
                .collect();
            // SKUs the channel already treats as one are DUP001's, not near-duplicates.
            let same = |sku: &str| same_sku_key(sku, case_sensitive);
            let distinct = group
                .iter()
                .map(|(_, sku)| same(sku))
                .collect::<std::collections::BTreeSet<_>>();
            if distinct.len() < 2 {
                continue;
            }
            for &(row, sku) in &group {
                let others: Vec<&(usize, &str)> = group
                    .iter()
                    .filter(|(_, other)| same(other) != same(sku))
                    .collect();
                let mut listed: Vec<String> = others
                    .iter()
                    .take(5)
                    .map(|(r, other)| {
                        format!("row {} `{}`", table.file_row(*r) + 1, visible(other))
                    })
                    .collect();
                if others.len() > 5 {
                    listed.push(format!("{} more", others.len() - 5));
                }
                let message = format!(
                    "SKU differs only in spacing, invisible characters, width or case from {}",
                    listed.join(", ")
                );
                diagnostics.push(
                    finding(table, "DUP002", row, Role::Sku, message).with_related(
                        table,
                        others.iter().map(|(r, _)| *r),
                        Role::Sku,
                    ),
                );
            }
        }
    }
    diagnostics
}
