//! DUP003 duplicate-parent-sku: one parent SKU on different products of a
//! shop (by product id, or by product name in exports without ids; a row
//! naming none belongs to the product above, see [`Table::products`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use super::finding;
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};

/// The products that hold one parent SKU in one shop, each with its first
/// row holding it.
type FirstRows<'t> = BTreeMap<&'t Cow<'t, str>, usize>;

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    if table.column(Role::ParentSku).is_none()
        || (table.column(Role::ProductId).is_none() && table.column(Role::ProductName).is_none())
    {
        return Vec::new();
    }
    // A row naming no product continues the one above, as the fix plan
    // groups rows: a parent SKU fix there is blocked by the same products.
    let products = table.products();
    let parents = table.texts(Role::ParentSku);
    // (shop, parent SKU) → product → first row of that product with this
    // parent SKU. Each shop has products of its own: a multichannel tool links
    // the same parent SKU across shops on purpose.
    let mut groups: HashMap<(Cow<str>, &str), FirstRows> = HashMap::with_capacity(parents.len());
    for (row, parent) in parents {
        let Some(product) = products.get(row) else {
            continue;
        };
        groups
            .entry((table.shop(*row), parent))
            .or_default()
            .entry(product)
            .or_insert(*row);
    }
    let mut diagnostics = Vec::new();
    for products in groups.into_values().filter(|p| p.len() > 1) {
        for (product, &row) in &products {
            let others: Vec<(&&Cow<str>, usize)> = products
                .iter()
                .filter(|(p, _)| *p != product)
                .map(|(p, &r)| (p, r))
                .collect();
            let listed: Vec<String> = others
                .iter()
                .map(|(p, r)| format!("product {p} (row {})", table.file_row(*r) + 1))
                .collect();
            let message = format!(
                "parent SKU is also used by {}; their variations get merged",
                listed.join(", ")
            );
            diagnostics.push(
                finding(table, "DUP003", row, Role::ParentSku, message).with_related(
                    table,
                    others.iter().map(|(_, r)| *r),
                    Role::ParentSku,
                ),
            );
        }
    }
    diagnostics
}
