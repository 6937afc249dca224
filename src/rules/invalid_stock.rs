//! STK001 invalid-stock: stock blank, negative, fractional or not a number, on
//! any listing row, with or without a SKU.
//! A blank stock is fine on a row whose stock status column (`In stock?`) is
//! filled: the quantity is not counted there.

use super::{finding, is_stock_listing};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::layout::parse_number;
use crate::table::{Role, Table, Value};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    if table.column(Role::Stock).is_none() {
        return Vec::new();
    }
    table
        .data_rows
        .iter()
        .filter(|&&row| is_stock_listing(table, row))
        .filter_map(|&row| {
            let value = table.value(row, Role::Stock);
            let problem = match parse_number(value) {
                _ if value.is_empty() || matches!(value, Value::Text(t) if t.trim().is_empty()) => {
                    // A blank quantity beside a stock status is stock that is not
                    // counted, which the channel takes as it is.
                    if !table.str(row, Role::StockStatus).trim().is_empty() {
                        return None;
                    }
                    "stock is blank".to_string()
                }
                None => format!("stock `{}` is not a number", value.display()),
                Some(n) if n < 0.0 => format!("stock {} is negative", value.display().trim()),
                Some(n) if n.fract() != 0.0 => {
                    format!("stock {} is not a whole number", value.display().trim())
                }
                Some(_) => return None,
            };
            Some(finding(
                table,
                "STK001",
                row,
                Role::Stock,
                format!("{problem}; the channel rejects the update"),
            ))
        })
        .collect()
}
