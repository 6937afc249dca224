//! STK004 oversell-risk: channel stock above what the master inventory can cover
//! (available minus safety stock).

use super::{Run, finding, normalized_note, run_skus, stock_count};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::rules::settings::Settings;
use crate::table::Role;

pub fn check(run: &Run, settings: &Settings) -> Vec<Diagnostic> {
    run_skus(run)
        .filter_map(|(table, row, sku)| {
            let stock = stock_count(table.value(row, Role::Stock))?;
            let matched = run.inventory.find(&sku)?;
            let item = matched.item;
            let available = item.available?;
            let cover = item.cover(settings.safety_stock)?;
            if stock <= cover {
                return None;
            }
            let safety = item.safety.unwrap_or(settings.safety_stock);
            let master = format!(
                "{}!{} in {}",
                item.available_at.sheet,
                item.available_at.cell(),
                run.inventory.file
            );
            let message = format!(
                "stock {stock} is more than the master can cover: {available} available minus {safety} safety stock = {cover} ({master}){}; the extra units can oversell",
                normalized_note(&matched)
            );
            let mut diagnostic = finding(table, "STK004", row, Role::Stock, message)
                .with_quantity_fix(Applicability::Unsafe, cover);
            diagnostic.related = vec![item.available_at.clone()];
            Some(diagnostic)
        })
        .collect()
}
