//! STK006 unlinked-sku: a channel SKU that the master inventory does not have.

use super::{Run, finding, run_skus};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::Role;

pub fn check(run: &Run, _settings: &Settings) -> Vec<Diagnostic> {
    run_skus(run)
        .filter(|(_, _, sku)| run.inventory.find(sku).is_none())
        .map(|(table, row, _)| {
            let message = format!(
                "SKU is not in the master inventory {}, even ignoring spacing, invisible characters, width and case; the listing is not linked and its stock never syncs",
                run.inventory.file
            );
            finding(table, "STK006", row, Role::Sku, message)
        })
        .collect()
}
