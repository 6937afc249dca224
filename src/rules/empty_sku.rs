//! SKU007 empty-sku: a listing or variation row without a SKU cannot be linked.

use super::finding;
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    // An export without a variation SKU column (Shopee's basic-info update
    // carries only the parent SKU) has nothing to report here, unless its
    // product-level codes are the listings' SKUs.
    let role = if table.column(Role::Sku).is_some() {
        Role::Sku
    } else if table.product_level_codes {
        Role::ParentSku
    } else {
        return Vec::new();
    };
    table
        .data_rows
        .iter()
        .filter(|&&row| table.lacks_sku(row))
        .map(|&row| {
            finding(
                table,
                "SKU007",
                row,
                role,
                "listing has no SKU, so stock sync cannot link it to a master item".to_string(),
            )
        })
        .collect()
}
