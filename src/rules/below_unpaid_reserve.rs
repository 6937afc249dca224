//! STK003 below-unpaid-reserve: stock below what unpaid orders hold.

use super::below_reserve;
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    below_reserve(table, "STK003", Role::UnpaidReserved, |stock, reserved| {
        format!(
            "stock {stock} is below the {reserved} held for unpaid orders; the update fails (\"Platform needs at least {reserved} for order processing\")"
        )
    })
}
