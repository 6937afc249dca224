//! TikTok Shop (API version 202309).
//!
//! - SKU: `POST /product/202309/products/{product_id}/partial_edit` with
//!   `{"skus": [{"id", "seller_sku"}]}`.
//! - Stock: `POST /product/202309/products/{product_id}/inventory/update` with
//!   `{"skus": [{"id", "inventory": [{"quantity"}]}]}` (the default warehouse).
//! - Query `app_key, timestamp (s), shop_cipher, sign`; the access token goes in
//!   the `x-tts-access-token` header and is not signed.
//! - Answers: `code` 0 is success, anything else fails the call (`message`
//!   says why); `data.errors[]` (`code`, `message`, `detail.sku_id`) lists the SKUs refused.

use serde_json::{Value, json};

use super::{
    Body, ChannelClient, Credentials, Field, PlanEntry, Reply, Request, Response, SetupError, Step,
    base_url, sign,
};
use crate::table::columns::Channel;

pub const DEFAULT_BASE_URL: &str = "https://open-api.tiktokglobalshop.com";

pub struct Tiktok {
    base: String,
    app_key: String,
    app_secret: String,
    access_token: String,
    shop_cipher: String,
}

impl Tiktok {
    pub fn new(credentials: &Credentials, base: Option<&str>) -> Result<Self, SetupError> {
        Ok(Tiktok {
            base: base_url(base, DEFAULT_BASE_URL)?,
            app_key: credentials.get("SKULINT_TIKTOK_APP_KEY", "app key")?,
            app_secret: credentials.get("SKULINT_TIKTOK_APP_SECRET", "app secret")?,
            access_token: credentials
                .get("SKULINT_TIKTOK_ACCESS_TOKEN", "seller's access token")?,
            shop_cipher: credentials.get("SKULINT_TIKTOK_SHOP_CIPHER", "shop cipher")?,
        })
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl ChannelClient for Tiktok {
    fn name(&self) -> &'static str {
        "tiktok"
    }

    fn title(&self) -> &'static str {
        "TikTok Shop"
    }

    fn catalog_channel(&self) -> Channel {
        Channel::Tiktok
    }

    fn endpoint(&self) -> String {
        self.base.clone()
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.app_secret.clone(), self.access_token.clone()]
    }

    fn default_rate(&self) -> f64 {
        10.0
    }

    fn batch_key(&self, entry: &PlanEntry) -> Result<String, String> {
        let product = entry.require_product_id()?;
        if entry.variation_id.is_none() {
            return Err(
                "the row has no SKU id (variation id): TikTok Shop addresses each SKU by its id; export the listing with its SKU id column".into(),
            );
        }
        if product.contains(['/', '?', '#']) {
            return Err(format!(
                "the product id {product:?} is not a TikTok Shop id"
            ));
        }
        Ok(product.to_string())
    }

    fn request(&self, step: Step, entries: &[&PlanEntry], unix_millis: u64) -> Request {
        let product = entries[0].product_id.as_deref().unwrap_or_default();
        let sku_id = |e: &PlanEntry| e.variation_id.clone().unwrap_or_default();
        let (path, body) = match step {
            Step::Sku => (
                format!("/product/202309/products/{product}/partial_edit"),
                json!({
                    "skus": entries.iter().map(|e| json!({
                        "id": sku_id(e),
                        "seller_sku": e.new_sku,
                    })).collect::<Vec<_>>(),
                }),
            ),
            Step::Stock | Step::Push => (
                format!("/product/202309/products/{product}/inventory/update"),
                json!({
                    "skus": entries.iter().map(|e| json!({
                        "id": sku_id(e),
                        "inventory": [{ "quantity": e.stock.unwrap_or(0) }],
                    })).collect::<Vec<_>>(),
                }),
            ),
        };
        let body = body.to_string();
        let timestamp = (unix_millis / 1000).to_string();
        let signature = sign::tiktok(
            &self.app_secret,
            &path,
            &[
                ("app_key", &self.app_key),
                ("timestamp", &timestamp),
                ("shop_cipher", &self.shop_cipher),
            ],
            &body,
        );
        Request {
            method: "POST",
            base: self.base.clone(),
            path,
            query: vec![
                Field::new("app_key", &self.app_key),
                Field::new("timestamp", timestamp),
                Field::new("shop_cipher", &self.shop_cipher),
                Field::secret("sign", signature),
            ],
            headers: vec![Field::secret("x-tts-access-token", &self.access_token)],
            body: Body::Json(body),
        }
    }

    fn reply(&self, _step: Step, entries: &[&PlanEntry], response: &Response) -> Reply {
        let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
            return Reply::Failed(response.failure_message());
        };
        let code = body.get("code").and_then(as_text);
        if code.as_deref() != Some("0") || !response.success() {
            return Reply::Failed(response.failure_message());
        }
        let errors = body
            .pointer("/data/errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut failures = Vec::new();
        for error in &errors {
            let message = format!(
                "{}: {}",
                error.get("code").and_then(as_text).unwrap_or_default(),
                error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("refused")
            );
            let sku = error
                .pointer("/detail/sku_id")
                .or_else(|| error.get("sku_id"))
                .and_then(as_text);
            let positions: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| sku.is_none() || e.variation_id == sku)
                .map(|(i, _)| i)
                .collect();
            for position in positions {
                failures.push((position, message.clone()));
            }
        }
        Reply::Accepted { failures }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Tiktok {
        let lookup = |name: &str| {
            Some(
                match name {
                    "SKULINT_TIKTOK_APP_KEY" => "abc",
                    "SKULINT_TIKTOK_APP_SECRET" => "app_secret",
                    "SKULINT_TIKTOK_SHOP_CIPHER" => "GCP_x",
                    _ => "TTP_token",
                }
                .to_string(),
            )
        };
        Tiktok::new(&Credentials::new(&lookup, false), None).unwrap()
    }

    fn entry(sku: &str) -> PlanEntry {
        PlanEntry {
            channel: "tiktok".into(),
            file: "f.xlsx".into(),
            sheet: "S".into(),
            row: 4,
            shop: None,
            product_id: Some("1729592969712207000".into()),
            variation_id: Some(sku.into()),
            old_sku: "A B".into(),
            new_sku: "A-B".into(),
            stock: Some(9),
        }
    }

    #[test]
    fn requests_sign_path_query_and_body() {
        let e = entry("1729592969712207013");
        let request = client().request(Step::Stock, &[&e], 1_625_484_268_000);
        assert_eq!(
            request.path,
            "/product/202309/products/1729592969712207000/inventory/update"
        );
        let Body::Json(body) = &request.body else {
            panic!("json body")
        };
        assert_eq!(
            body,
            r#"{"skus":[{"id":"1729592969712207013","inventory":[{"quantity":9}]}]}"#
        );
        let expected = sign::tiktok(
            "app_secret",
            &request.path,
            &[
                ("shop_cipher", "GCP_x"),
                ("timestamp", "1625484268"),
                ("app_key", "abc"),
            ],
            body,
        );
        assert_eq!(request.query[3].value, expected);
        assert_eq!(request.headers[0].name, "x-tts-access-token");
        assert!(request.url().starts_with(
            "https://open-api.tiktokglobalshop.com/product/202309/products/1729592969712207000/inventory/update?app_key=abc&timestamp=1625484268&shop_cipher=GCP_x&sign="
        ));
    }

    #[test]
    fn errors_name_the_refused_skus() {
        let (a, b) = (entry("1"), entry("2"));
        let response = Response {
            status: 200,
            retry_after: None,
            body: r#"{"code":0,"message":"Success","data":{"errors":[{"code":12052393,"message":"stock can't be updated below current stock","detail":{"sku_id":"2"}}]},"request_id":"x"}"#.into(),
        };
        let Reply::Accepted { failures } = client().reply(Step::Stock, &[&a, &b], &response) else {
            panic!("partial")
        };
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, 1);
        let expired = Response {
            status: 200,
            retry_after: None,
            body: r#"{"code":105002,"message":"Expired credentials","request_id":"x"}"#.into(),
        };
        let Reply::Failed(message) = client().reply(Step::Stock, &[&a], &expired) else {
            panic!("failed")
        };
        let d = crate::diagnose::classify(&message, Some(Channel::Tiktok));
        assert!(d.cause.stops_run, "{}", d.cause.id);
    }
}
