//! A signed webhook, for in-house systems and multichannel tools: the plan's
//! entries are `POST`ed as JSON batches to `SKULINT_WEBHOOK_URL`:
//!
//! ```json
//! {"schema": "skulint/resync-v1", "sent_at": 1717000000,
//!  "entries": [{"id": "export.xlsx:Sheet1!11", "channel": "shopee", "file": "export.xlsx",
//!               "sheet": "Sheet1", "row": 11, "product_id": "…", "variation_id": "…",
//!               "old_sku": "KAOS  HITAM-M", "new_sku": "KAOS HITAM-M", "stock": 12}]}
//! ```
//!
//! An entry from an export of several shops also has its `"shop"`.
//!
//! with `X-Skulint-Signature: sha256=<hex HMAC-SHA256 of the body under
//! SKULINT_WEBHOOK_SECRET>`. Any 2xx answer accepts the batch; a JSON answer
//! may list refused entries as `{"failures": [{"id", "message"}]}`. Other
//! statuses fail the batch: 5xx and 429 are retried, 401/403 stop the run.

use serde_json::{Value, json};

use super::{
    Body, ChannelClient, Credentials, Field, PlanEntry, Reply, Request, Response, SetupError, Step,
    sign,
};
use crate::table::columns::Channel;

pub struct Webhook {
    url: String,
    secret: String,
}

impl Webhook {
    pub fn new(credentials: &Credentials, url: Option<&str>) -> Result<Self, SetupError> {
        let url = match url {
            Some(url) => url.trim().to_string(),
            None => credentials.get("SKULINT_WEBHOOK_URL", "URL of the receiving system")?,
        };
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('<')) {
            return Err(SetupError::Invalid(format!(
                "the webhook URL {:?} is not an http:// or https:// URL",
                super::strip_query(&url)
            )));
        }
        Ok(Webhook {
            url,
            secret: credentials.get("SKULINT_WEBHOOK_SECRET", "shared secret")?,
        })
    }
}

/// The id of an entry in a webhook batch: `file:sheet!row`.
pub fn entry_id(entry: &PlanEntry) -> String {
    format!("{}:{}!{}", entry.file, entry.sheet, entry.row)
}

impl ChannelClient for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    fn title(&self) -> &'static str {
        "webhook"
    }

    fn catalog_channel(&self) -> Channel {
        Channel::Generic
    }

    fn endpoint(&self) -> String {
        super::strip_query(&self.url).to_string()
    }

    fn secrets(&self) -> Vec<String> {
        // A query string in the URL is often an access key of the receiver.
        let query = self.url.split_once('?').map(|(_, q)| q.to_string());
        std::iter::once(self.secret.clone()).chain(query).collect()
    }

    fn default_rate(&self) -> f64 {
        20.0
    }

    fn steps(&self, _entry: &PlanEntry) -> Vec<Step> {
        vec![Step::Push]
    }

    fn batch_key(&self, _entry: &PlanEntry) -> Result<String, String> {
        Ok(String::new())
    }

    fn request(&self, _step: Step, entries: &[&PlanEntry], unix_millis: u64) -> Request {
        let body = json!({
            "schema": "skulint/resync-v1",
            "sent_at": unix_millis / 1000,
            "entries": entries.iter().map(|e| {
                let mut entry = json!({
                    "id": entry_id(e),
                    "channel": e.channel,
                    "file": e.file,
                    "sheet": e.sheet,
                    "row": e.row,
                    "product_id": e.product_id,
                    "variation_id": e.variation_id,
                    "old_sku": e.old_sku,
                    "new_sku": e.new_sku,
                    "stock": e.stock,
                });
                // An export of several shops: the receiver tells them apart.
                if let Some(shop) = &e.shop {
                    entry["shop"] = json!(shop);
                }
                entry
            }).collect::<Vec<_>>(),
        })
        .to_string();
        Request {
            method: "POST",
            base: self.url.clone(),
            path: String::new(),
            query: Vec::new(),
            headers: vec![Field::secret(
                "X-Skulint-Signature",
                sign::webhook(&self.secret, body.as_bytes()),
            )],
            body: Body::Json(body),
        }
    }

    fn reply(&self, _step: Step, entries: &[&PlanEntry], response: &Response) -> Reply {
        if !response.success() {
            return Reply::Failed(response.failure_message());
        }
        let failures = serde_json::from_str::<Value>(&response.body)
            .ok()
            .and_then(|body| body.get("failures").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        let mut refused = Vec::new();
        for failure in &failures {
            let Some(id) = failure.get("id").and_then(Value::as_str) else {
                continue;
            };
            let message = failure
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("refused by the receiving system")
                .to_string();
            if let Some(position) = entries.iter().position(|e| entry_id(e) == id) {
                refused.push((position, message));
            }
        }
        Reply::Accepted { failures: refused }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_exact_body() {
        let lookup = |name: &str| match name {
            "SKULINT_WEBHOOK_URL" => Some("http://127.0.0.1:9/hook?k=1".to_string()),
            _ => Some("whsec".to_string()),
        };
        let hook = Webhook::new(&Credentials::new(&lookup, false), None).unwrap();
        assert_eq!(hook.endpoint(), "http://127.0.0.1:9/hook");
        let entry = PlanEntry {
            channel: "shopee".into(),
            file: "f.xlsx".into(),
            sheet: "S".into(),
            row: 2,
            shop: None,
            product_id: None,
            variation_id: None,
            old_sku: "A".into(),
            new_sku: "A".into(),
            stock: Some(1),
        };
        let request = hook.request(Step::Push, &[&entry], 5_000);
        let bytes = request.body.bytes();
        assert_eq!(request.headers[0].value, sign::webhook("whsec", &bytes));
        assert_eq!(request.url(), "http://127.0.0.1:9/hook?k=1");
        assert!(
            request
                .to_string()
                .starts_with("POST http://127.0.0.1:9/hook?<redacted>\n")
        );
        let answer = Response {
            status: 200,
            retry_after: None,
            body: r#"{"failures":[{"id":"f.xlsx:S!2","message":"unknown SKU"}]}"#.into(),
        };
        assert_eq!(
            hook.reply(Step::Push, &[&entry], &answer),
            Reply::Accepted {
                failures: vec![(0, "unknown SKU".into())]
            }
        );
    }
}
