//! STK002 below-campaign-reserve: stock below what a campaign or flash sale holds.

use super::below_reserve;
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    below_reserve(
        table,
        "STK002",
        Role::CampaignReserved,
        |stock, reserved| {
            format!(
                "stock {stock} is below the {reserved} the platform reserves for a campaign; the update fails (\"Platform reserves {reserved} for the campaign\")"
            )
        },
    )
}
