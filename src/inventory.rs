//! The master inventory (`--inventory FILE`): the stock the warehouse holds for
//! each SKU, which the cross-file rules (STK004–STK006) compare with the channel
//! exports. Built from the tables of the master file; no I/O here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::Location;
use crate::table::layout::parse_number;
use crate::table::{Role, Table};
use crate::text::near_duplicate_key;

/// One SKU row of the master file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The SKU as the master writes it.
    pub sku: String,
    /// The cell of the available stock.
    pub available_at: Location,
    /// `None` when the cell is blank or not a whole number.
    pub available: Option<i64>,
    /// `None` when the file has no safety stock column or the cell is blank.
    pub safety: Option<i64>,
}

impl Item {
    /// What the master can give a channel: available minus safety stock, at least 0.
    /// `default_safety` stands in for a missing safety stock.
    pub fn cover(&self, default_safety: i64) -> Option<i64> {
        let safety = self.safety.unwrap_or(default_safety);
        self.available.map(|a| a.saturating_sub(safety).max(0))
    }
}

/// A channel SKU found in the master.
#[derive(Clone, Copy, Debug)]
pub struct Match<'i> {
    pub item: &'i Item,
    /// `false` when the SKUs are equal only after normalization (spacing,
    /// invisible characters, width, case), as the DUP rules compare them.
    pub exact: bool,
}

/// The master inventory, keyed for matching.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// The path as the user gave it, for reports.
    pub file: Arc<str>,
    items: HashMap<String, Vec<Item>>,
}

/// Why a master file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(
        "no available-stock column in the master file (looked for \"Available\", \"On Hand\", \"Stok Tersedia\", \"Stock\" and similar); name it in skulint.toml under [columns]: available = \"HEADER\""
    )]
    NoAvailableColumn,
    #[error("the master file lists no SKUs")]
    Empty,
}

impl Inventory {
    /// Reads the SKU, available stock (or, without such a column, the stock) and
    /// safety stock of every data row of the master's tables.
    pub fn from_tables(file: Arc<str>, tables: &[Table]) -> Result<Inventory, InventoryError> {
        let mut items: HashMap<String, Vec<Item>> = HashMap::new();
        let mut any_stock_column = false;
        for table in tables {
            let Some(available_role) = [Role::Available, Role::Stock]
                .into_iter()
                .find(|&r| table.column(r).is_some())
            else {
                continue;
            };
            any_stock_column = true;
            let available_col = table.column(available_role).unwrap_or(0);
            let whole = |value| {
                parse_number(value)
                    .filter(|n: &f64| n.fract() == 0.0 && n.abs() < 1e15)
                    .map(|n| n as i64)
            };
            for &row in &table.data_rows {
                let sku = table.text(row, Role::Sku);
                if sku.trim().is_empty() {
                    continue;
                }
                let item = Item {
                    available_at: table.location(row, available_col),
                    available: whole(table.value(row, available_role)),
                    safety: whole(table.value(row, Role::SafetyStock)),
                    sku,
                };
                items
                    .entry(near_duplicate_key(&item.sku))
                    .or_default()
                    .push(item);
            }
        }
        if !any_stock_column {
            return Err(InventoryError::NoAvailableColumn);
        }
        if items.is_empty() {
            return Err(InventoryError::Empty);
        }
        Ok(Inventory { file, items })
    }

    /// The master item of a channel SKU: the one written the same way if there
    /// is one, else the first that is equal after normalization.
    pub fn find(&self, sku: &str) -> Option<Match<'_>> {
        let candidates = self.items.get(&near_duplicate_key(sku))?;
        let exact = candidates.iter().find(|item| item.sku == sku);
        Some(match exact {
            Some(item) => Match { item, exact: true },
            None => Match {
                item: &candidates[0],
                exact: false,
            },
        })
    }

    /// Every master item, in no particular order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values().flatten()
    }

    /// How many SKU rows the master has.
    pub fn len(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
