//! The resync plan (`<stem>.resync.jsonl`): written by `skulint fix`, read and
//! sent by `skulint resync`. One type for both, so the two cannot drift apart.

use serde::{Deserialize, Deserializer, Serialize};

use crate::text::visible;

/// One line of a resync plan: a row whose SKU or stock `fix` changed, with
/// what the channel client needs to push it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct PlanEntry {
    /// The channel of the export the entry comes from.
    pub channel: String,
    pub file: String,
    pub sheet: String,
    /// 1-based, as in the spreadsheet.
    pub row: usize,
    /// The shop of the row, in an export of several shops (its Shop column):
    /// each shop is a seller account of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "id")]
    pub variation_id: Option<String>,
    pub old_sku: String,
    pub new_sku: String,
    #[serde(default)]
    pub stock: Option<i64>,
}

/// An id given as a string or, in a hand-written plan, as a number.
fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Option::<Id>::deserialize(deserializer)? {
        Some(Id::Text(text)) => Some(text.trim().to_string()),
        Some(Id::Number(n)) => Some(n.to_string()),
        None => None,
    }
    .filter(|s| !s.is_empty()))
}

impl PlanEntry {
    /// Where the entry comes from: `Sheet1!11`.
    pub fn location(&self) -> String {
        format!("{}!{}", self.sheet, self.row)
    }

    pub fn sku_changed(&self) -> bool {
        self.old_sku != self.new_sku
    }

    /// What the entry changes, for people: `KAOS␣␣HITAM-M → KAOS HITAM-M, stock 12`.
    pub fn change(&self) -> String {
        let mut text = if self.sku_changed() {
            format!("{} → {}", visible(&self.old_sku), visible(&self.new_sku))
        } else {
            visible(&self.new_sku)
        };
        if let Some(stock) = self.stock {
            text.push_str(&format!(", stock {stock}"));
        }
        text
    }

    /// The platform's ids: `item 23938486435 model 156807788664`.
    pub fn ids(&self) -> String {
        match (&self.product_id, &self.variation_id) {
            (Some(p), Some(v)) => format!("{p}/{v}"),
            (Some(p), None) => p.clone(),
            (None, Some(v)) => format!("?/{v}"),
            (None, None) => "no ids".into(),
        }
    }

    /// The product id, or why the entry cannot be sent without it.
    pub fn require_product_id(&self) -> Result<&str, String> {
        self.product_id.as_deref().ok_or_else(|| {
            "the row has no product id; export the listing with its product id column and run `skulint fix` again".into()
        })
    }

    /// The product id as a number (Shopee item ids, Lazada ItemId).
    pub fn numeric_product_id(&self) -> Result<u64, String> {
        let id = self.require_product_id()?;
        id.parse()
            .map_err(|_| format!("the product id {id:?} is not a number"))
    }

    /// The variation id as a number, if the entry has one.
    pub fn numeric_variation_id(&self) -> Result<Option<u64>, String> {
        match &self.variation_id {
            Some(id) => id
                .parse()
                .map(Some)
                .map_err(|_| format!("the variation id {id:?} is not a number")),
            None => Ok(None),
        }
    }
}
