//! Shopee Open Platform v2 (shop APIs).
//!
//! - SKU: `POST /api/v2/product/update_model` (`{"item_id", "model": [{"model_id",
//!   "model_sku"}]}`) for variations, `update_item` (`{"item_id", "item_sku"}`) for
//!   items without them.
//! - Stock: `POST /api/v2/product/update_stock` (`{"item_id", "stock_list":
//!   [{"model_id", "seller_stock": [{"stock"}]}]}`; model id 0 for an item without variations).
//! - Query: `partner_id, timestamp (s), access_token, shop_id, sign`.
//! - Answers: a top-level `error` (with `message`) fails the call; otherwise
//!   `response.failure_list[]` (`model_id`, `failed_reason`) lists the models refused.

use serde_json::{Value, json};

use super::{
    Body, ChannelClient, Credentials, Field, PlanEntry, Reply, Request, Response, SetupError, Step,
    base_url, sign,
};
use crate::table::columns::Channel;

pub const DEFAULT_BASE_URL: &str = "https://partner.shopeemobile.com";

pub struct Shopee {
    base: String,
    partner_id: String,
    partner_key: String,
    shop_id: String,
    access_token: String,
}

impl Shopee {
    pub fn new(credentials: &Credentials, base: Option<&str>) -> Result<Self, SetupError> {
        Ok(Shopee {
            base: base_url(base, DEFAULT_BASE_URL)?,
            partner_id: credentials.get("SKULINT_SHOPEE_PARTNER_ID", "partner id")?,
            partner_key: credentials.get("SKULINT_SHOPEE_PARTNER_KEY", "partner key")?,
            shop_id: credentials.get("SKULINT_SHOPEE_SHOP_ID", "shop id")?,
            access_token: credentials.get("SKULINT_SHOPEE_ACCESS_TOKEN", "shop's access token")?,
        })
    }

    fn call(&self, path: &str, body: Value, unix_millis: u64) -> Request {
        let timestamp = unix_millis / 1000;
        let signature = sign::shopee(
            &self.partner_key,
            &self.partner_id,
            path,
            timestamp,
            &self.access_token,
            &self.shop_id,
        );
        Request {
            method: "POST",
            base: self.base.clone(),
            path: path.into(),
            query: vec![
                Field::new("partner_id", &self.partner_id),
                Field::new("timestamp", timestamp.to_string()),
                Field::secret("access_token", &self.access_token),
                Field::new("shop_id", &self.shop_id),
                Field::secret("sign", signature),
            ],
            headers: Vec::new(),
            body: Body::Json(body.to_string()),
        }
    }
}

/// Ids checked by `batch_key`.
fn item_id(entry: &PlanEntry) -> u64 {
    entry.numeric_product_id().unwrap_or_default()
}

fn model_id(entry: &PlanEntry) -> u64 {
    entry.numeric_variation_id().ok().flatten().unwrap_or(0)
}

/// Ids in answers may be numbers or strings.
fn as_id(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl ChannelClient for Shopee {
    fn name(&self) -> &'static str {
        "shopee"
    }

    fn title(&self) -> &'static str {
        "Shopee"
    }

    fn catalog_channel(&self) -> Channel {
        Channel::Shopee
    }

    fn endpoint(&self) -> String {
        self.base.clone()
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.partner_key.clone(), self.access_token.clone()]
    }

    fn default_rate(&self) -> f64 {
        10.0
    }

    fn batch_key(&self, entry: &PlanEntry) -> Result<String, String> {
        let item = entry.numeric_product_id()?;
        Ok(match entry.numeric_variation_id()? {
            Some(_) => format!("{item}/models"),
            // update_item carries one item: one entry a call.
            None => format!("{item}/item/{}", entry.row),
        })
    }

    fn request(&self, step: Step, entries: &[&PlanEntry], unix_millis: u64) -> Request {
        let item = item_id(entries[0]);
        match step {
            Step::Sku if entries[0].variation_id.is_none() => self.call(
                "/api/v2/product/update_item",
                json!({ "item_id": item, "item_sku": entries[0].new_sku }),
                unix_millis,
            ),
            Step::Sku => self.call(
                "/api/v2/product/update_model",
                json!({
                    "item_id": item,
                    "model": entries.iter().map(|e| json!({
                        "model_id": model_id(e),
                        "model_sku": e.new_sku,
                    })).collect::<Vec<_>>(),
                }),
                unix_millis,
            ),
            Step::Stock | Step::Push => self.call(
                "/api/v2/product/update_stock",
                json!({
                    "item_id": item,
                    "stock_list": entries.iter().map(|e| json!({
                        "model_id": model_id(e),
                        "seller_stock": [{ "stock": e.stock.unwrap_or(0) }],
                    })).collect::<Vec<_>>(),
                }),
                unix_millis,
            ),
        }
    }

    fn reply(&self, _step: Step, entries: &[&PlanEntry], response: &Response) -> Reply {
        let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
            return Reply::Failed(response.failure_message());
        };
        let error = body.get("error").and_then(Value::as_str).unwrap_or("");
        if !error.is_empty() || !response.success() {
            return Reply::Failed(response.failure_message());
        }
        let mut failures = Vec::new();
        let listed = body
            .pointer("/response/failure_list")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for failed in listed {
            let reason = failed
                .get("failed_reason")
                .or_else(|| failed.get("fail_reason"))
                .and_then(Value::as_str)
                .unwrap_or("refused without a reason")
                .to_string();
            let model = failed.get("model_id").and_then(as_id).unwrap_or(0);
            let positions: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| model_id(e) == model)
                .map(|(i, _)| i)
                .collect();
            // A failure that names no model of the call is about all of them.
            let positions = if positions.is_empty() {
                (0..entries.len()).collect()
            } else {
                positions
            };
            for position in positions {
                failures.push((position, reason.clone()));
            }
        }
        Reply::Accepted { failures }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Shopee {
        let lookup = |name: &str| {
            Some(
                match name {
                    "SKULINT_SHOPEE_PARTNER_ID" => "2001887",
                    "SKULINT_SHOPEE_PARTNER_KEY" => "my_partner_key",
                    "SKULINT_SHOPEE_SHOP_ID" => "14701711",
                    _ => "59777174636562737266615546704c6d",
                }
                .to_string(),
            )
        };
        Shopee::new(
            &Credentials::new(&lookup, false),
            Some("http://127.0.0.1:9"),
        )
        .unwrap()
    }

    fn entry(model: Option<&str>, stock: Option<i64>) -> PlanEntry {
        PlanEntry {
            channel: "shopee".into(),
            file: "f.xlsx".into(),
            sheet: "S".into(),
            row: 4,
            shop: None,
            product_id: Some("100".into()),
            variation_id: model.map(str::to_string),
            old_sku: "A  B".into(),
            new_sku: "A B".into(),
            stock,
        }
    }

    #[test]
    fn requests_are_signed_as_shopee_documents() {
        let e = entry(Some("7"), Some(3));
        let request = client().request(Step::Sku, &[&e], 1_655_714_431_000);
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            query[..4],
            [
                ("partner_id", "2001887"),
                ("timestamp", "1655714431"),
                ("access_token", "59777174636562737266615546704c6d"),
                ("shop_id", "14701711"),
            ]
        );
        let expected = sign::shopee(
            "my_partner_key",
            "2001887",
            "/api/v2/product/update_model",
            1655714431,
            "59777174636562737266615546704c6d",
            "14701711",
        );
        assert_eq!(query[4], ("sign", expected.as_str()));
        assert_eq!(
            request.body,
            Body::Json(r#"{"item_id":100,"model":[{"model_id":7,"model_sku":"A B"}]}"#.into())
        );
    }

    #[test]
    fn an_item_without_variations_uses_update_item_and_model_zero() {
        let e = entry(None, Some(5));
        let c = client();
        assert_eq!(
            c.request(Step::Sku, &[&e], 0).path,
            "/api/v2/product/update_item"
        );
        let stock = c.request(Step::Stock, &[&e], 0);
        assert_eq!(
            stock.body,
            Body::Json(
                r#"{"item_id":100,"stock_list":[{"model_id":0,"seller_stock":[{"stock":5}]}]}"#
                    .into()
            )
        );
    }

    #[test]
    fn failure_list_names_the_refused_models() {
        let (a, b) = (entry(Some("7"), Some(1)), entry(Some("8"), Some(1)));
        let response = Response {
            status: 200,
            retry_after: None,
            body: r#"{"error":"","message":"","response":{"failure_list":[{"model_id":8,"failed_reason":"Can not update item with stock less than reserved stock"}],"success_list":[{"model_id":7,"stock":1}]}}"#.into(),
        };
        assert_eq!(
            client().reply(Step::Stock, &[&a, &b], &response),
            Reply::Accepted {
                failures: vec![(
                    1,
                    "Can not update item with stock less than reserved stock".into()
                )]
            }
        );
        let error = Response {
            status: 403,
            retry_after: None,
            body: r#"{"error":"invalid_acceess_token","message":"Invalid access_token."}"#.into(),
        };
        assert!(matches!(
            client().reply(Step::Stock, &[&a], &error),
            Reply::Failed(m) if m.contains("invalid_acceess_token")
        ));
    }

    #[test]
    fn ids_must_be_numbers() {
        let mut e = entry(Some("x"), None);
        assert!(client().batch_key(&e).is_err());
        e.variation_id = Some("9".into());
        e.product_id = None;
        assert!(
            client()
                .batch_key(&e)
                .unwrap_err()
                .contains("no product id")
        );
    }
}
