//! SKU007 empty-sku: a listing or variation row without a SKU cannot be linked.

use super::finding;
use crate::diagnostic::Diagnostic;
use crate::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    // An export without a variation SKU column (Shopee's basic-info update
    // carries only the parent SKU) has nothing to report here.
    if table.column(Role::Sku).is_none() {
        return Vec::new();
    }
    table
        .data_rows
        .iter()
        .filter(|&&row| table.str(row, Role::Sku).trim().is_empty())
        .filter(|&&row| {
            // A product without variations may be linked by its parent SKU.
            table.is_variation(row) || table.str(row, Role::ParentSku).trim().is_empty()
        })
        .map(|&row| {
            finding(
                table,
                "SKU007",
                row,
                Role::Sku,
                "listing has no SKU, so stock sync cannot link it to a master item".to_string(),
            )
        })
        .collect()
}
