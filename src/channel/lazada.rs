//! Lazada Open Platform.
//!
//! - SKU: `POST /product/update` (one product a call) with the XML `payload`
//!   `<Request><Product><ItemId/><Skus><Sku><ItemId/><SkuId/><SellerSku/></Sku>…`.
//! - Stock: `POST /product/price_quantity/update` with `<Sku><ItemId/><SkuId/>
//!   <SellerSku/><Quantity/></Sku>` (at most 50 SKUs).
//! - A form-encoded `POST` of the system parameters `app_key, timestamp (ms),
//!   sign_method=sha256, access_token, sign` and the `payload`; the signature
//!   covers all of them but `sign`.
//! - Answers: `code` is a string, `"0"` for success; `detail[]` names the SKUs refused.
//!
//! Lazada has one host per country (`api.lazada.co.id`, `.com.my`, `.com.ph`,
//! `.sg`, `.co.th`, `.vn`, each with `/rest`): `--base-url` picks it.

use serde_json::Value;

use super::{
    Body, ChannelClient, Credentials, Field, PlanEntry, Reply, Request, Response, SetupError, Step,
    base_url, sign, xml_escape,
};
use crate::table::columns::Channel;

pub const DEFAULT_BASE_URL: &str = "https://api.lazada.co.id/rest";

pub struct Lazada {
    base: String,
    app_key: String,
    app_secret: String,
    access_token: String,
}

impl Lazada {
    pub fn new(credentials: &Credentials, base: Option<&str>) -> Result<Self, SetupError> {
        Ok(Lazada {
            base: base_url(base, DEFAULT_BASE_URL)?,
            app_key: credentials.get("SKULINT_LAZADA_APP_KEY", "app key")?,
            app_secret: credentials.get("SKULINT_LAZADA_APP_SECRET", "app secret")?,
            access_token: credentials
                .get("SKULINT_LAZADA_ACCESS_TOKEN", "seller's access token")?,
        })
    }

    fn call(&self, path: &str, payload: String, unix_millis: u64) -> Request {
        let timestamp = unix_millis.to_string();
        let signature = sign::lazada(
            &self.app_secret,
            path,
            &[
                ("app_key", &self.app_key),
                ("timestamp", &timestamp),
                ("sign_method", "sha256"),
                ("access_token", &self.access_token),
                ("payload", &payload),
            ],
        );
        Request {
            method: "POST",
            base: self.base.clone(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Form(vec![
                Field::new("app_key", &self.app_key),
                Field::new("timestamp", timestamp),
                Field::new("sign_method", "sha256"),
                Field::secret("access_token", &self.access_token),
                Field::new("payload", payload),
                Field::secret("sign", signature),
            ]),
        }
    }
}

fn sku_xml(entry: &PlanEntry, quantity: bool) -> String {
    let mut xml = String::from("<Sku>");
    if let Some(item) = &entry.product_id {
        xml.push_str(&format!("<ItemId>{}</ItemId>", xml_escape(item)));
    }
    if let Some(sku) = &entry.variation_id {
        xml.push_str(&format!("<SkuId>{}</SkuId>", xml_escape(sku)));
    }
    xml.push_str(&format!(
        "<SellerSku>{}</SellerSku>",
        xml_escape(&entry.new_sku)
    ));
    if quantity {
        xml.push_str(&format!(
            "<Quantity>{}</Quantity>",
            entry.stock.unwrap_or(0)
        ));
    }
    xml.push_str("</Sku>");
    xml
}

/// A field of a `detail[]` element, whatever its case or separators.
fn field(detail: &Value, names: &[&str]) -> Option<String> {
    let object = detail.as_object()?;
    object.iter().find_map(|(key, value)| {
        let key = key.replace(['_', '-'], "").to_ascii_lowercase();
        if !names.contains(&key.as_str()) {
            return None;
        }
        match value {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

impl ChannelClient for Lazada {
    fn name(&self) -> &'static str {
        "lazada"
    }

    fn title(&self) -> &'static str {
        "Lazada"
    }

    fn catalog_channel(&self) -> Channel {
        Channel::Lazada
    }

    fn endpoint(&self) -> String {
        self.base.clone()
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.app_secret.clone(), self.access_token.clone()]
    }

    fn default_rate(&self) -> f64 {
        5.0
    }

    fn batch_key(&self, entry: &PlanEntry) -> Result<String, String> {
        let item = entry.numeric_product_id()?;
        let sku_id = entry.numeric_variation_id()?;
        if sku_id.is_none() && entry.sku_changed() {
            return Err(
                "the row has no SkuId (variation id): Lazada needs it to change a SellerSku; export the listing with its SkuId column".into(),
            );
        }
        // UpdateProduct takes one product a call.
        Ok(item.to_string())
    }

    fn request(&self, step: Step, entries: &[&PlanEntry], unix_millis: u64) -> Request {
        let skus: String = entries
            .iter()
            .map(|e| sku_xml(e, step != Step::Sku))
            .collect();
        match step {
            Step::Sku => {
                let item = entries[0].product_id.as_deref().unwrap_or_default();
                self.call(
                    "/product/update",
                    format!(
                        "<Request><Product><ItemId>{}</ItemId><Skus>{skus}</Skus></Product></Request>",
                        xml_escape(item)
                    ),
                    unix_millis,
                )
            }
            Step::Stock | Step::Push => self.call(
                "/product/price_quantity/update",
                format!("<Request><Product><Skus>{skus}</Skus></Product></Request>"),
                unix_millis,
            ),
        }
    }

    fn reply(&self, _step: Step, entries: &[&PlanEntry], response: &Response) -> Reply {
        let Ok(body) = serde_json::from_str::<Value>(&response.body) else {
            return Reply::Failed(response.failure_message());
        };
        let code = match body.get("code") {
            Some(Value::String(code)) => code.trim().to_string(),
            Some(Value::Number(code)) => code.to_string(),
            _ => String::new(),
        };
        let succeeded = code == "0" && response.success();
        let details = body
            .get("detail")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut failures = Vec::new();
        let top = format!(
            "{code}: {}",
            body.get("message").and_then(Value::as_str).unwrap_or("")
        );
        for detail in &details {
            let seller_sku = field(detail, &["sellersku"]);
            let sku_id = field(detail, &["skuid"]);
            let message = field(detail, &["message", "msg"]).unwrap_or_else(|| detail.to_string());
            let positions: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    sku_id.is_some() && e.variation_id == sku_id
                        || seller_sku
                            .as_ref()
                            .is_some_and(|s| *s == e.new_sku || *s == e.old_sku)
                })
                .map(|(i, _)| i)
                .collect();
            for position in positions {
                failures.push((position, format!("{message} [{top}]")));
            }
        }
        if succeeded || !failures.is_empty() {
            // A refusal that names SKUs is about those SKUs only.
            Reply::Accepted { failures }
        } else {
            Reply::Failed(response.failure_message())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Lazada {
        let lookup = |name: &str| {
            Some(
                match name {
                    "SKULINT_LAZADA_APP_KEY" => "123456",
                    "SKULINT_LAZADA_APP_SECRET" => "helloworld",
                    _ => "test",
                }
                .to_string(),
            )
        };
        Lazada::new(
            &Credentials::new(&lookup, false),
            Some("http://127.0.0.1:9/rest"),
        )
        .unwrap()
    }

    fn entry(sku_id: &str, new: &str) -> PlanEntry {
        PlanEntry {
            channel: "lazada".into(),
            file: "f.xlsx".into(),
            sheet: "S".into(),
            row: 4,
            shop: None,
            product_id: Some("100".into()),
            variation_id: Some(sku_id.into()),
            old_sku: "A  B".into(),
            new_sku: new.into(),
            stock: Some(4),
        }
    }

    #[test]
    fn the_payload_is_signed_with_the_system_parameters() {
        let e = entry("7", "A&B");
        let request = client().request(Step::Stock, &[&e], 1_517_820_392_000);
        let Body::Form(fields) = &request.body else {
            panic!("form body")
        };
        let value = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.value.clone())
                .unwrap()
        };
        let payload = &value("payload");
        assert_eq!(
            payload,
            "<Request><Product><Skus><Sku><ItemId>100</ItemId><SkuId>7</SkuId><SellerSku>A&amp;B</SellerSku><Quantity>4</Quantity></Sku></Skus></Product></Request>"
        );
        let expected = sign::lazada(
            "helloworld",
            "/product/price_quantity/update",
            &[
                ("access_token", "test"),
                ("app_key", "123456"),
                ("payload", payload),
                ("sign_method", "sha256"),
                ("timestamp", "1517820392000"),
            ],
        );
        assert_eq!(value("sign"), expected);
        assert_eq!(value("sign"), expected.to_uppercase());
        assert_eq!(value("app_key"), "123456");
        assert_eq!(value("timestamp"), "1517820392000");
        assert_eq!(value("sign_method"), "sha256");
        assert_eq!(value("access_token"), "test");
        assert_eq!(
            request.url(),
            "http://127.0.0.1:9/rest/product/price_quantity/update"
        );
    }

    #[test]
    fn detail_names_the_refused_skus() {
        let (a, b) = (entry("7", "A-1"), entry("8", "A-2"));
        let response = Response {
            status: 200,
            retry_after: None,
            body: r#"{"code":"501","type":"ISP","message":"E0501: Update product failed","detail":[{"field":"SKU","message":"Negative sellable on channel inventory","seller_sku":"A-2"}],"request_id":"1"}"#.into(),
        };
        let Reply::Accepted { failures } = client().reply(Step::Stock, &[&a, &b], &response) else {
            panic!("partial")
        };
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, 1);
        let d = crate::diagnose::classify(&failures[0].1, Some(Channel::Lazada));
        assert_eq!(d.cause.id, "below-campaign-reserve");

        let limit = Response {
            status: 200,
            retry_after: None,
            body: r#"{"type":"ISV","code":"ApiCallLimit","message":"The request has exceeded the limit, this ban will last 3 seconds","request_id":"1"}"#.into(),
        };
        assert!(matches!(
            client().reply(Step::Stock, &[&a], &limit),
            Reply::Failed(m) if m.contains("ban will last 3 seconds")
        ));
        let ok = Response {
            status: 200,
            retry_after: None,
            body: r#"{"code":"0","request_id":"1"}"#.into(),
        };
        assert_eq!(
            client().reply(Step::Sku, &[&a], &ok),
            Reply::Accepted { failures: vec![] }
        );
    }

    #[test]
    fn a_sku_change_needs_the_sku_id() {
        let mut e = entry("7", "A-1");
        e.variation_id = None;
        assert!(client().batch_key(&e).unwrap_err().contains("SkuId"));
        e.new_sku = e.old_sku.clone();
        assert_eq!(client().batch_key(&e).unwrap(), "100");
    }
}
