//! A local marketplace for the channel tests: one loopback HTTP server that
//! speaks the Shopee, Lazada, TikTok Shop or webhook protocol, checks every
//! signature and timestamp on its own (not with skulint's signing code), keeps
//! the shop's SKUs and stock, counts every update, and answers with each
//! failure kind on demand.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Shopee,
    Lazada,
    Tiktok,
    Webhook,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Shopee => "shopee",
            Protocol::Lazada => "lazada",
            Protocol::Tiktok => "tiktok",
            Protocol::Webhook => "webhook",
        }
    }
}

/// The shop's credentials, as the platform knows them.
#[derive(Clone, Debug)]
pub struct Secrets {
    /// Shopee partner id, Lazada / TikTok app key.
    pub id: String,
    /// Partner key, app secret, webhook secret.
    pub key: String,
    /// The access token.
    pub token: String,
    /// Shopee shop id, TikTok shop cipher.
    pub shop: String,
}

impl Secrets {
    pub fn distinctive() -> Self {
        Secrets {
            id: "2001887".into(),
            key: "pk-S3CRET-partner-key-4f1c9e".into(),
            token: "at-S3CRET-token-77b2d0a5".into(),
            shop: "14701711".into(),
        }
    }

    /// The values that must never be shown.
    pub fn secret_values(&self) -> Vec<String> {
        vec![self.key.clone(), self.token.clone()]
    }

    /// The environment a client of `protocol` reads, pointing at `url` for the webhook.
    pub fn env(&self, protocol: Protocol, url: &str) -> Vec<(String, String)> {
        let pairs: Vec<(&str, String)> = match protocol {
            Protocol::Shopee => vec![
                ("SKULINT_SHOPEE_PARTNER_ID", self.id.clone()),
                ("SKULINT_SHOPEE_PARTNER_KEY", self.key.clone()),
                ("SKULINT_SHOPEE_SHOP_ID", self.shop.clone()),
                ("SKULINT_SHOPEE_ACCESS_TOKEN", self.token.clone()),
            ],
            Protocol::Lazada => vec![
                ("SKULINT_LAZADA_APP_KEY", self.id.clone()),
                ("SKULINT_LAZADA_APP_SECRET", self.key.clone()),
                ("SKULINT_LAZADA_ACCESS_TOKEN", self.token.clone()),
            ],
            Protocol::Tiktok => vec![
                ("SKULINT_TIKTOK_APP_KEY", self.id.clone()),
                ("SKULINT_TIKTOK_APP_SECRET", self.key.clone()),
                ("SKULINT_TIKTOK_ACCESS_TOKEN", self.token.clone()),
                ("SKULINT_TIKTOK_SHOP_CIPHER", self.shop.clone()),
            ],
            Protocol::Webhook => vec![
                ("SKULINT_WEBHOOK_URL", format!("{url}/hooks/skulint")),
                ("SKULINT_WEBHOOK_SECRET", self.key.clone()),
            ],
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// One SKU of the shop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub sku: String,
    pub stock: i64,
    /// Held for a campaign: the stock cannot go below it.
    pub reserved: i64,
    pub sku_updates: u32,
    pub stock_updates: u32,
}

impl Model {
    pub fn new(sku: &str, stock: i64) -> Self {
        Model {
            sku: sku.into(),
            stock,
            reserved: 0,
            sku_updates: 0,
            stock_updates: 0,
        }
    }

    pub fn reserved(mut self, reserved: i64) -> Self {
        self.reserved = reserved;
        self
    }

    /// What the tests compare: the SKU, the stock, and how many updates of each came.
    pub fn outcome(&self) -> (&str, i64, u32, u32) {
        (&self.sku, self.stock, self.sku_updates, self.stock_updates)
    }
}

/// An answer the server gives instead of doing the work, once, in call order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    RateLimit { seconds: u32 },
    ExpiredToken,
    Vacation,
}

#[derive(Debug, Default)]
pub struct State {
    /// (product id, variation id or "0") → model.
    pub models: BTreeMap<(String, String), Model>,
    /// Every call received: `POST /path`.
    pub calls: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// Calls after this many get `503` from a gateway and do nothing.
    pub down_after: Option<usize>,
    /// Calls after this many are held without an answer and do nothing.
    pub hold_after: Option<usize>,
    /// Signatures or timestamps refused.
    pub rejected: Vec<String>,
    /// Error messages repeat the access token they were sent (as some gateways do).
    pub echo_token: bool,
}

pub struct Server {
    pub url: String,
    pub protocol: Protocol,
    pub state: Arc<Mutex<State>>,
    inner: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    /// One message per held call.
    pub held: Receiver<()>,
}

impl Server {
    pub fn start(protocol: Protocol, secrets: Secrets, models: Vec<((&str, &str), Model)>) -> Self {
        let inner = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a loopback port"));
        let port = inner.server_addr().to_ip().expect("an ip address").port();
        let state = Arc::new(Mutex::new(State {
            models: models
                .into_iter()
                .map(|((p, m), model)| ((p.to_string(), m.to_string()), model))
                .collect(),
            ..State::default()
        }));
        let (held_tx, held) = channel();
        let thread = {
            let inner = inner.clone();
            let state = state.clone();
            std::thread::spawn(move || serve(&inner, protocol, &secrets, &state, &held_tx))
        };
        Server {
            url: format!("http://127.0.0.1:{port}"),
            protocol,
            state,
            inner,
            thread: Some(thread),
            held,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn model(&self, product: &str, variation: &str) -> Model {
        self.state().models[&(product.to_string(), variation.to_string())].clone()
    }

    pub fn calls(&self) -> usize {
        self.state().calls.len()
    }

    pub fn fail_next(&self, faults: &[Fault]) {
        self.state().faults.extend(faults.iter().cloned());
    }

    /// The base URL a client of the protocol is given.
    pub fn base_url(&self) -> String {
        match self.protocol {
            Protocol::Lazada => format!("{}/rest", self.url),
            Protocol::Webhook => format!("{}/hooks/skulint", self.url),
            _ => self.url.clone(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.inner.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    server: &tiny_http::Server,
    protocol: Protocol,
    secrets: &Secrets,
    state: &Mutex<State>,
    held_tx: &Sender<()>,
) {
    let mut held = Vec::new();
    while let Ok(mut request) = server.recv() {
        let mut body = String::new();
        let _ = request.as_reader().read_to_string(&mut body);
        let (path, query) = match request.url().split_once('?') {
            Some((path, query)) => (path.to_string(), decode_pairs(query, false)),
            None => (request.url().to_string(), Vec::new()),
        };
        let headers: BTreeMap<String, String> = request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect();
        let mut st = state.lock().unwrap();
        st.calls.push(format!("{} {path}", request.method()));
        let n = st.calls.len();
        if st.hold_after.is_some_and(|h| n > h) {
            drop(st);
            held.push(request);
            let _ = held_tx.send(());
            continue;
        }
        if st.down_after.is_some_and(|d| n > d) {
            drop(st);
            let _ = request.respond(
                tiny_http::Response::from_string(
                    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                )
                .with_status_code(503),
            );
            continue;
        }
        let (status, answer, retry_after) =
            answer(protocol, secrets, &mut st, &path, &query, &headers, &body);
        drop(st);
        let mut response = tiny_http::Response::from_string(answer)
            .with_status_code(status)
            .with_header(
                tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
            );
        if let Some(seconds) = retry_after {
            response = response.with_header(
                tiny_http::Header::from_bytes("Retry-After", seconds.to_string()).unwrap(),
            );
        }
        let _ = request.respond(response);
    }
    drop(held);
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let text = if plus_is_space {
        text.replace('+', " ")
    } else {
        text.to_string()
    };
    percent_decode_str(&text).decode_utf8_lossy().into_owned()
}

fn decode_pairs(text: &str, plus_is_space: bool) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, plus_is_space), decode(v, plus_is_space))
        })
        .collect()
}

fn get<'q>(query: &'q [(String, String)], name: &str) -> &'q str {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

/// Timestamps more than five minutes off are refused, as the platforms do.
fn fresh(seconds: i64) -> bool {
    (now_seconds() - seconds).abs() <= 300
}

enum Check {
    Ok,
    BadSign,
    BadTimestamp,
    BadToken,
}

/// Checks the request the way the platform documents it.
fn check(
    protocol: Protocol,
    secrets: &Secrets,
    path: &str,
    query: &[(String, String)],
    headers: &BTreeMap<String, String>,
    form: &[(String, String)],
    body: &str,
) -> Check {
    match protocol {
        Protocol::Shopee => {
            let base = format!(
                "{}{}{}{}{}",
                get(query, "partner_id"),
                path,
                get(query, "timestamp"),
                get(query, "access_token"),
                get(query, "shop_id")
            );
            if get(query, "partner_id") != secrets.id
                || get(query, "shop_id") != secrets.shop
                || get(query, "sign") != hmac_hex(&secrets.key, &base)
            {
                return Check::BadSign;
            }
            if !get(query, "timestamp").parse().is_ok_and(fresh) {
                return Check::BadTimestamp;
            }
            if get(query, "access_token") != secrets.token {
                return Check::BadToken;
            }
            Check::Ok
        }
        Protocol::Lazada => {
            // Parameters may come in the query or the form body.
            let all: Vec<(String, String)> = query.iter().chain(form).cloned().collect();
            let query = all.as_slice();
            let mut params: Vec<(String, String)> =
                all.iter().filter(|(k, _)| k != "sign").cloned().collect();
            params.sort();
            let base = params.iter().fold(
                path.trim_start_matches("/rest").to_string(),
                |mut base, (k, v)| {
                    base.push_str(k);
                    base.push_str(v);
                    base
                },
            );
            if get(query, "app_key") != secrets.id
                || get(query, "sign_method") != "sha256"
                || get(query, "sign") != hmac_hex(&secrets.key, &base).to_uppercase()
            {
                return Check::BadSign;
            }
            if !get(query, "timestamp")
                .parse::<i64>()
                .is_ok_and(|ms| fresh(ms / 1000))
            {
                return Check::BadTimestamp;
            }
            if get(query, "access_token") != secrets.token {
                return Check::BadToken;
            }
            Check::Ok
        }
        Protocol::Tiktok => {
            let mut params: Vec<&(String, String)> = query
                .iter()
                .filter(|(k, _)| k != "sign" && k != "access_token")
                .collect();
            params.sort();
            let mut base = format!("{}{path}", secrets.key);
            for (k, v) in params {
                base.push_str(k);
                base.push_str(v);
            }
            base.push_str(body);
            base.push_str(&secrets.key);
            if get(query, "app_key") != secrets.id
                || get(query, "shop_cipher") != secrets.shop
                || get(query, "sign") != hmac_hex(&secrets.key, &base)
            {
                return Check::BadSign;
            }
            if !get(query, "timestamp").parse().is_ok_and(fresh) {
                return Check::BadTimestamp;
            }
            if headers.get("x-tts-access-token").map(String::as_str) != Some(secrets.token.as_str())
            {
                return Check::BadToken;
            }
            Check::Ok
        }
        Protocol::Webhook => {
            let expected = format!("sha256={}", hmac_hex(&secrets.key, body));
            if headers.get("x-skulint-signature") != Some(&expected) {
                return Check::BadSign;
            }
            let sent_at = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|b| b.get("sent_at").and_then(Value::as_i64))
                .unwrap_or(0);
            if !fresh(sent_at) {
                return Check::BadTimestamp;
            }
            Check::Ok
        }
    }
}

type Answer = (u16, String, Option<u32>);

fn answer(
    protocol: Protocol,
    secrets: &Secrets,
    st: &mut State,
    path: &str,
    query: &[(String, String)],
    headers: &BTreeMap<String, String>,
    body: &str,
) -> Answer {
    let form = if protocol == Protocol::Lazada {
        decode_pairs(body, true)
    } else {
        Vec::new()
    };
    let token_note = if st.echo_token {
        format!(
            " (token {})",
            match protocol {
                Protocol::Tiktok => headers
                    .get("x-tts-access-token")
                    .cloned()
                    .unwrap_or_default(),
                Protocol::Lazada => get(&form, "access_token").to_string(),
                _ => get(query, "access_token").to_string(),
            }
        )
    } else {
        String::new()
    };
    match check(protocol, secrets, path, query, headers, &form, body) {
        Check::Ok => {}
        Check::BadSign => {
            st.rejected.push(format!("sign {path}"));
            return bad_sign(protocol);
        }
        Check::BadTimestamp => {
            st.rejected.push(format!("timestamp {path}"));
            return bad_timestamp(protocol);
        }
        Check::BadToken => return fault(protocol, &Fault::ExpiredToken, &token_note),
    }
    if let Some(f) = st.faults.pop_front() {
        return fault(protocol, &f, &token_note);
    }
    match protocol {
        Protocol::Shopee => shopee(st, path, body),
        Protocol::Lazada => lazada(st, path, get(&form, "payload")),
        Protocol::Tiktok => tiktok(st, path, body),
        Protocol::Webhook => webhook(st, body),
    }
}

fn bad_sign(protocol: Protocol) -> Answer {
    match protocol {
        Protocol::Shopee => (403, json!({"request_id":"r1","error":"error_sign","message":"Wrong sign."}).to_string(), None),
        Protocol::Lazada => (200, json!({"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards","request_id":"r1"}).to_string(), None),
        Protocol::Tiktok => (401, json!({"code":106001,"message":"Invalid sign","request_id":"r1"}).to_string(), None),
        Protocol::Webhook => (401, "signature mismatch".into(), None),
    }
}

fn bad_timestamp(protocol: Protocol) -> Answer {
    match protocol {
        Protocol::Shopee => (403, json!({"request_id":"r1","error":"error_param","message":"Invalid timestamp: the request timestamp is expired."}).to_string(), None),
        Protocol::Lazada => (200, json!({"type":"ISV","code":"InvalidTimestamp","message":"The request timestamp is expired or invalid","request_id":"r1"}).to_string(), None),
        Protocol::Tiktok => (401, json!({"code":106002,"message":"The timestamp is invalid or expired","request_id":"r1"}).to_string(), None),
        Protocol::Webhook => (401, "timestamp expired".into(), None),
    }
}

fn fault(protocol: Protocol, fault: &Fault, token_note: &str) -> Answer {
    match (protocol, fault) {
        (Protocol::Shopee, Fault::ServerError) => (500, json!({"request_id":"r2","error":"error_server","message":"Something wrong. Please try later."}).to_string(), None),
        (Protocol::Shopee, Fault::RateLimit { seconds }) => (429, json!({"request_id":"r2","error":"error_too_many_request","message":"Too many requests."}).to_string(), Some(*seconds)),
        (Protocol::Shopee, Fault::ExpiredToken) => (403, json!({"request_id":"r2","error":"invalid_acceess_token","message":format!("Invalid access_token.{token_note}")}).to_string(), None),
        (Protocol::Shopee, Fault::Vacation) => (200, json!({"request_id":"r2","error":"product.error_holiday_mode_change_stock","message":"Shop is in holiday mode, can not change stock."}).to_string(), None),
        (Protocol::Lazada, Fault::ServerError) => (200, json!({"type":"ISP","code":"InternalError","message":"The request has failed due to an internal error","request_id":"r2"}).to_string(), None),
        (Protocol::Lazada, Fault::RateLimit { seconds }) => (200, json!({"type":"ISV","code":"ApiCallLimit","message":format!("The request has exceeded the limit, this ban will last {seconds} seconds"),"request_id":"r2"}).to_string(), None),
        (Protocol::Lazada, Fault::ExpiredToken) => (200, json!({"type":"ISV","code":"IllegalAccessToken","message":format!("The specified access token is invalid or expired{token_note}"),"request_id":"r2"}).to_string(), None),
        (Protocol::Lazada, Fault::Vacation) => (200, json!({"type":"ISP","code":"500","message":"The shop is in holiday mode","request_id":"r2"}).to_string(), None),
        (Protocol::Tiktok, Fault::ServerError) => (500, json!({"code":36009003,"message":"Internal system error, please try again later","request_id":"r2"}).to_string(), None),
        (Protocol::Tiktok, Fault::RateLimit { seconds }) => (429, json!({"code":36009002,"message":"Too many requests","request_id":"r2"}).to_string(), Some(*seconds)),
        (Protocol::Tiktok, Fault::ExpiredToken) => (401, json!({"code":105002,"message":format!("Expired credentials. Please refresh your access_token.{token_note}"),"request_id":"r2"}).to_string(), None),
        (Protocol::Tiktok, Fault::Vacation) => (200, json!({"code":12052700,"message":"The shop is in vacation mode","request_id":"r2"}).to_string(), None),
        (Protocol::Webhook, Fault::ServerError) => (500, "Internal Server Error".into(), None),
        (Protocol::Webhook, Fault::RateLimit { seconds }) => (429, String::new(), Some(*seconds)),
        (Protocol::Webhook, Fault::ExpiredToken) => (401, String::new(), None),
        (Protocol::Webhook, Fault::Vacation) => (200, json!({"failures":[]}).to_string(), None),
    }
}

const BELOW_RESERVE: &str = "Can not update item with stock less than reserved stock";

fn as_id(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Sets a model's SKU; `false` when the shop has no such model.
fn set_sku(st: &mut State, product: &str, variation: &str, sku: &str) -> bool {
    match st
        .models
        .get_mut(&(product.to_string(), variation.to_string()))
    {
        Some(model) => {
            model.sku = sku.to_string();
            model.sku_updates += 1;
            true
        }
        None => false,
    }
}

/// Sets a model's stock; the refusal when there is one.
fn set_stock(
    st: &mut State,
    product: &str,
    variation: &str,
    stock: i64,
) -> Result<(), &'static str> {
    match st
        .models
        .get_mut(&(product.to_string(), variation.to_string()))
    {
        Some(model) if stock < model.reserved => Err(BELOW_RESERVE),
        Some(model) => {
            model.stock = stock;
            model.stock_updates += 1;
            Ok(())
        }
        None => Err("Model not found"),
    }
}

fn shopee(st: &mut State, path: &str, body: &str) -> Answer {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return (
            400,
            json!({"error":"error_param","message":"Invalid JSON body."}).to_string(),
            None,
        );
    };
    let item = as_id(body.get("item_id"));
    let mut failures = Vec::new();
    let mut successes = Vec::new();
    match path {
        "/api/v2/product/update_item" => {
            let sku = body
                .get("item_sku")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !set_sku(st, &item, "0", sku) {
                return (
                    200,
                    json!({"error":"product.error_item_not_found","message":"Item not found."})
                        .to_string(),
                    None,
                );
            }
        }
        "/api/v2/product/update_model" => {
            for model in body
                .get("model")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = as_id(model.get("model_id"));
                let sku = model
                    .get("model_sku")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if set_sku(st, &item, &id, sku) {
                    successes.push(json!({"model_id": id.parse::<u64>().unwrap_or(0)}));
                } else {
                    failures.push(json!({"model_id": id.parse::<u64>().unwrap_or(0), "failed_reason": "Model not found"}));
                }
            }
        }
        "/api/v2/product/update_stock" => {
            let list = body
                .get("stock_list")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if list.len() > 50 {
                return (
                    200,
                    json!({"error":"error_param","message":"stock_list has more than 50 models."})
                        .to_string(),
                    None,
                );
            }
            for entry in list {
                let id = as_id(entry.get("model_id"));
                let stock = entry
                    .pointer("/seller_stock/0/stock")
                    .and_then(Value::as_i64)
                    .unwrap_or(-1);
                match set_stock(st, &item, &id, stock) {
                    Ok(()) => successes.push(json!({"model_id": id.parse::<u64>().unwrap_or(0), "stock": stock})),
                    Err(reason) => failures.push(json!({"model_id": id.parse::<u64>().unwrap_or(0), "failed_reason": reason})),
                }
            }
        }
        _ => {
            return (
                404,
                json!({"error":"error_not_found","message":"Wrong path."}).to_string(),
                None,
            );
        }
    }
    (
        200,
        json!({"request_id":"r3","error":"","message":"","response":{"failure_list":failures,"success_list":successes}}).to_string(),
        None,
    )
}

fn lazada(st: &mut State, path: &str, payload: &str) -> Answer {
    let Ok(doc) = roxmltree::Document::parse(payload) else {
        return (
            200,
            json!({"type":"ISV","code":"InvalidParameter","message":"payload is not XML"})
                .to_string(),
            None,
        );
    };
    let text = |node: roxmltree::Node, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    let skus: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Sku"))
        .collect();
    if skus.len() > 50 {
        return (
            200,
            json!({"type":"ISV","code":"InvalidParameter","message":"more than 50 SKUs"})
                .to_string(),
            None,
        );
    }
    let mut details = Vec::new();
    for sku in skus {
        let item = text(sku, "ItemId");
        let sku_id = text(sku, "SkuId");
        let seller_sku = text(sku, "SellerSku");
        match path {
            "/rest/product/update" => {
                if !set_sku(st, &item, &sku_id, &seller_sku) {
                    details.push(json!({"field":"SkuId","message":"SKU not found","seller_sku":seller_sku}));
                }
            }
            "/rest/product/price_quantity/update" => {
                let quantity = text(sku, "Quantity").parse().unwrap_or(-1);
                if let Err(reason) = set_stock(st, &item, &sku_id, quantity) {
                    let message = if reason == BELOW_RESERVE {
                        "Negative sellable on channel inventory"
                    } else {
                        "SKU not found"
                    };
                    details.push(json!({"field":"Quantity","message":message,"seller_sku":seller_sku}));
                }
            }
            _ => return (404, json!({"type":"ISV","code":"InvalidApiPath","message":"The specified API path is invalid"}).to_string(), None),
        }
    }
    if details.is_empty() {
        (200, json!({"code":"0","request_id":"r3"}).to_string(), None)
    } else {
        (
            200,
            json!({"code":"501","type":"ISP","message":"E0501: Update product failed","detail":details,"request_id":"r3"}).to_string(),
            None,
        )
    }
}

fn tiktok(st: &mut State, path: &str, body: &str) -> Answer {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return (
            400,
            json!({"code":36009004,"message":"Invalid params"}).to_string(),
            None,
        );
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (product, action) = match parts.as_slice() {
        ["product", "202309", "products", product, action] => (product.to_string(), *action),
        [
            "product",
            "202309",
            "products",
            product,
            "inventory",
            "update",
        ] => (product.to_string(), "inventory"),
        _ => {
            return (
                404,
                json!({"code":36009004,"message":"Invalid path"}).to_string(),
                None,
            );
        }
    };
    let mut errors = Vec::new();
    for sku in body
        .get("skus")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = as_id(sku.get("id"));
        let ok = match action {
            "partial_edit" => {
                let seller_sku = sku
                    .get("seller_sku")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                set_sku(st, &product, &id, seller_sku)
                    .then_some(())
                    .ok_or("sku ID is invalid")
            }
            _ => {
                let quantity = sku
                    .pointer("/inventory/0/quantity")
                    .and_then(Value::as_i64)
                    .unwrap_or(-1);
                set_stock(st, &product, &id, quantity).map_err(|r| {
                    if r == BELOW_RESERVE {
                        "stock can't be updated below current stock"
                    } else {
                        "sku ID is invalid"
                    }
                })
            }
        };
        if let Err(message) = ok {
            let code = if message.starts_with("stock") {
                12052393
            } else {
                12019022
            };
            errors.push(json!({"code":code,"message":message,"detail":{"sku_id":id}}));
        }
    }
    (
        200,
        json!({"code":0,"message":"Success","data":{"errors":errors},"request_id":"r3"})
            .to_string(),
        None,
    )
}

fn webhook(st: &mut State, body: &str) -> Answer {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return (400, "not JSON".into(), None);
    };
    let mut failures = Vec::new();
    for entry in body
        .get("entries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = entry.get("id").and_then(Value::as_str).unwrap_or_default();
        let product = as_id(entry.get("product_id"));
        let variation = entry
            .get("variation_id")
            .and_then(Value::as_str)
            .unwrap_or("0")
            .to_string();
        let sku = entry
            .get("new_sku")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let old = entry
            .get("old_sku")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if sku != old && !set_sku(st, &product, &variation, sku) {
            failures.push(json!({"id":id,"message":"SKU not found"}));
            continue;
        }
        if let Some(stock) = entry.get("stock").and_then(Value::as_i64)
            && let Err(reason) = set_stock(st, &product, &variation, stock)
        {
            failures.push(json!({"id":id,"message":reason}));
        }
    }
    (200, json!({"failures":failures}).to_string(), None)
}
