//! STK005 stock-mismatch: one SKU with different stock in different channel
//! exports of the same run.

use std::collections::{BTreeMap, BTreeSet};

use super::{Run, finding, normalized_note, run_skus, stock_count};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::rules::settings::Settings;
use crate::table::{Role, Table};
use crate::text::{near_duplicate_key, visible};

/// One listing row of a SKU group.
struct Listing<'r, 't> {
    table: &'r Table<'t>,
    row: usize,
    sku: String,
    stock: i64,
}

impl Listing<'_, '_> {
    fn cell(&self) -> String {
        self.table.location_of(self.row, Role::Stock).cell()
    }
}

pub fn check(run: &Run, settings: &Settings) -> Vec<Diagnostic> {
    let mut groups: BTreeMap<String, Vec<Listing>> = BTreeMap::new();
    for (table, row, sku) in run_skus(run) {
        let Some(stock) = stock_count(table.value(row, Role::Stock)) else {
            continue;
        };
        groups
            .entry(near_duplicate_key(&sku))
            .or_default()
            .push(Listing {
                table,
                row,
                sku,
                stock,
            });
    }
    let mut diagnostics = Vec::new();
    for group in groups.values() {
        let files: BTreeSet<&str> = group.iter().map(|l| &*l.table.file).collect();
        let stocks: BTreeSet<i64> = group.iter().map(|l| l.stock).collect();
        if files.len() < 2 || stocks.len() < 2 {
            continue;
        }
        let matched = run.inventory.find(&group[0].sku);
        let master = matched.and_then(|m| m.item.cover(settings.safety_stock));
        for listing in group {
            if master == Some(listing.stock) {
                continue;
            }
            let others: Vec<&Listing> = group
                .iter()
                .filter(|o| o.table.file != listing.table.file && o.stock != listing.stock)
                .collect();
            if others.is_empty() {
                continue;
            }
            let mut elsewhere: Vec<String> = others
                .iter()
                .take(5)
                .map(|o| {
                    let spelled = if o.sku == listing.sku {
                        String::new()
                    } else {
                        format!(" as `{}`", visible(&o.sku))
                    };
                    format!(
                        "{} in {} {}!{}{spelled}",
                        o.stock,
                        o.table.file,
                        o.table.sheet.name,
                        o.cell()
                    )
                })
                .collect();
            if others.len() > 5 {
                elsewhere.push(format!("{} more", others.len() - 5));
            }
            let master_says = match (run.inventory.find(&listing.sku), master) {
                (Some(m), Some(value)) => format!(
                    "; the master says {value} ({}!{} in {}){}",
                    m.item.available_at.sheet,
                    m.item.available_at.cell(),
                    run.inventory.file,
                    normalized_note(&m)
                ),
                _ => String::new(),
            };
            let message = format!(
                "stock {} here but {}{master_says}; a sync failed somewhere",
                listing.stock,
                elsewhere.join(", ")
            );
            let mut diagnostic =
                finding(listing.table, "STK005", listing.row, Role::Stock, message);
            diagnostic.related = others
                .iter()
                .map(|o| o.table.location_of(o.row, Role::Stock))
                .collect();
            if let (Some(m), Some(value)) = (matched, master) {
                diagnostic.related.push(m.item.available_at.clone());
                diagnostic = diagnostic.with_quantity_fix(Applicability::Unsafe, value);
            }
            diagnostics.push(diagnostic);
        }
    }
    diagnostics
}
