//! Channel clients: pushing the SKUs and stock of a resync plan (written by
//! `skulint fix`) back to Shopee, Lazada, TikTok Shop or a signed webhook.
//!
//! Each channel is a [`ChannelClient`]: it groups plan entries into batches,
//! builds and signs the request of each step (the SKU, then the stock) and reads
//! the platform's answer per entry. What the answer means — retry, give up on
//! the entry, or stop the run — is decided by the sync-error catalog
//! ([`crate::diagnose::classify`]), in [`run`], which also holds the retry with
//! backoff, the rate limit and the worker pool. [`journal`] makes a rerun skip
//! what was already sent.

pub mod http;
pub mod journal;
pub mod lazada;
pub mod run;
pub mod shopee;
pub mod sign;
pub mod tiktok;
pub mod webhook;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::table::columns::Channel;

pub use crate::plan::PlanEntry;

/// The calls that make up an entry's update, in the order they are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Set the seller SKU.
    Sku,
    /// Set the stock.
    Stock,
    /// Push the whole entry at once (the webhook).
    Push,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Sku, Step::Stock, Step::Push];

    pub fn name(self) -> &'static str {
        match self {
            Step::Sku => "sku",
            Step::Stock => "stock",
            Step::Push => "push",
        }
    }
}

/// The SKU step when the SKU changed, then the stock step when the plan has a stock.
pub fn sku_then_stock(entry: &PlanEntry) -> Vec<Step> {
    let mut steps = Vec::new();
    if entry.sku_changed() {
        steps.push(Step::Sku);
    }
    if entry.stock.is_some() {
        steps.push(Step::Stock);
    }
    steps
}

/// A query parameter or header. Secret ones (tokens, signatures) are never shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

impl Field {
    pub fn new(name: &str, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            secret: false,
        }
    }

    pub fn secret(name: &str, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            secret: true,
        }
    }

    fn shown(&self) -> &str {
        if self.secret { REDACTED } else { &self.value }
    }
}

/// What replaces a secret wherever a request or a message is shown.
pub const REDACTED: &str = "<redacted>";

/// A request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Json(String),
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<Field>),
}

/// Characters escaped in a query value or form field: everything but the
/// unreserved ones of RFC 3986.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

impl Body {
    pub fn content_type(&self) -> &'static str {
        match self {
            Body::Json(_) => "application/json",
            Body::Form(_) => "application/x-www-form-urlencoded",
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(text) => text.clone().into_bytes(),
            Body::Form(fields) => fields
                .iter()
                .map(|field| format!("{}={}", encode(&field.name), encode(&field.value)))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        }
    }
}

/// One HTTP call, signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    /// The base URL (`https://partner.shopeemobile.com`), or the whole URL of a webhook.
    pub base: String,
    /// The API path (`/api/v2/product/update_stock`), empty for a webhook.
    pub path: String,
    pub query: Vec<Field>,
    pub headers: Vec<Field>,
    pub body: Body,
}

impl Request {
    /// The URL to call, its query encoded.
    pub fn url(&self) -> String {
        let mut url = self.address();
        for (i, field) in self.query.iter().enumerate() {
            let separator = if i == 0 && !url.contains('?') {
                '?'
            } else {
                '&'
            };
            url.push(separator);
            url.push_str(&encode(&field.name));
            url.push('=');
            url.push_str(&encode(&field.value));
        }
        url
    }

    /// The URL without the query parameters of the request.
    fn address(&self) -> String {
        if self.path.is_empty() {
            self.base.clone()
        } else {
            format!("{}{}", self.base.trim_end_matches('/'), self.path)
        }
    }

    /// `POST /api/v2/product/update_stock`, for notes.
    pub fn summary(&self) -> String {
        if self.path.is_empty() {
            format!("{} {}", self.method, strip_query(&self.base))
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

pub(crate) fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The request as `--dry-run` prints it: secrets and signatures redacted, the
/// query and form values decoded so they can be read.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.address();
        // A webhook URL's own query may hold an access key: never shown.
        if self.path.is_empty() && url.contains('?') {
            url = format!("{}?{REDACTED}", strip_query(&url));
        }
        for (i, field) in self.query.iter().enumerate() {
            let separator = if i == 0 && !url.contains('?') {
                '?'
            } else {
                '&'
            };
            url.push(separator);
            url.push_str(&format!("{}={}", field.name, field.shown()));
        }
        writeln!(f, "{} {url}", self.method)?;
        writeln!(f, "content-type: {}", self.body.content_type())?;
        for header in &self.headers {
            writeln!(f, "{}: {}", header.name, header.shown())?;
        }
        match &self.body {
            Body::Json(text) => writeln!(f, "{text}"),
            Body::Form(fields) => {
                for field in fields {
                    writeln!(f, "{}={}", field.name, field.shown())?;
                }
                Ok(())
            }
        }
    }
}

/// A platform's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The `Retry-After` header, when there is one.
    pub retry_after: Option<String>,
    pub body: String,
}

impl Response {
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The failure as one message for the sync-error catalog: the HTTP status
    /// with its reason phrase when it is not a success, `Retry-After`, the body.
    pub fn failure_message(&self) -> String {
        let mut message = String::new();
        if !self.success() {
            message.push_str(&format!("HTTP {}", self.status));
            if let Some(reason) = reason_phrase(self.status) {
                message.push(' ');
                message.push_str(reason);
            }
        }
        if let Some(after) = &self.retry_after {
            message.push_str(&format!(" (Retry-After: {after})"));
        }
        let body = self.body.trim();
        if !body.is_empty() {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&truncate(body, 2000));
        }
        if message.is_empty() {
            message = format!("HTTP {} with an empty body", self.status);
        }
        message.trim().to_string()
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// What a call's answer says about the entries it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The call went through; the entries (by index in the call) the platform
    /// refused, each with its reason. The others are updated.
    Accepted { failures: Vec<(usize, String)> },
    /// The whole call failed, with the platform's message.
    Failed(String),
}

/// A channel's protocol: batching, request building and signing, reading answers.
pub trait ChannelClient: Send + Sync {
    /// `shopee`, `lazada`, `tiktok` or `webhook`.
    fn name(&self) -> &'static str;

    /// `Shopee`, for people.
    fn title(&self) -> &'static str;

    /// Whose API error codes the sync-error catalog should recognise.
    fn catalog_channel(&self) -> Channel;

    /// Where the requests go (no secrets in it).
    fn endpoint(&self) -> String;

    /// The secrets of the client: never shown, and removed from any message.
    fn secrets(&self) -> Vec<String>;

    /// Requests per second when `--rate` is not given.
    fn default_rate(&self) -> f64;

    /// The steps an entry needs, in order.
    fn steps(&self, entry: &PlanEntry) -> Vec<Step> {
        sku_then_stock(entry)
    }

    /// The batch an entry goes in (entries of one batch share each call), or why
    /// the entry cannot be sent.
    fn batch_key(&self, entry: &PlanEntry) -> Result<String, String>;

    /// At most this many entries in one batch.
    fn batch_limit(&self, _key: &str) -> usize {
        50
    }

    /// The signed request of one step for the entries of one batch, at
    /// `unix_millis` (the signing timestamp).
    fn request(&self, step: Step, entries: &[&PlanEntry], unix_millis: u64) -> Request;

    /// What the answer says about each entry of the call.
    fn reply(&self, step: Step, entries: &[&PlanEntry], response: &Response) -> Reply;
}

/// Why a client cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "{variable} is not set{named}: export it with the {what} from the platform's developer console (or use --dry-run to see the requests without sending them)"
    )]
    Missing {
        variable: String,
        /// How the variable was chosen, when a configuration named it.
        named: String,
        what: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
}

/// The environment variables the clients read their credentials from.
pub const VARIABLES: [&str; 13] = [
    "SKULINT_SHOPEE_PARTNER_ID",
    "SKULINT_SHOPEE_PARTNER_KEY",
    "SKULINT_SHOPEE_SHOP_ID",
    "SKULINT_SHOPEE_ACCESS_TOKEN",
    "SKULINT_LAZADA_APP_KEY",
    "SKULINT_LAZADA_APP_SECRET",
    "SKULINT_LAZADA_ACCESS_TOKEN",
    "SKULINT_TIKTOK_APP_KEY",
    "SKULINT_TIKTOK_APP_SECRET",
    "SKULINT_TIKTOK_ACCESS_TOKEN",
    "SKULINT_TIKTOK_SHOP_CIPHER",
    "SKULINT_WEBHOOK_URL",
    "SKULINT_WEBHOOK_SECRET",
];

/// Reads the credentials a client needs from the environment: each from its
/// `SKULINT_…` variable, or from the variable a configuration names instead
/// (`[credentials]` of `skulint.toml`). In a dry run an unset variable is shown
/// as `<NAME>` instead of failing: nothing is sent.
pub struct Credentials<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    dry_run: bool,
    /// `SKULINT_…` variable → the variable to read instead.
    renamed: BTreeMap<String, String>,
}

impl<'a> Credentials<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>, dry_run: bool) -> Self {
        Credentials {
            lookup,
            dry_run,
            renamed: BTreeMap::new(),
        }
    }

    /// Reads the variables a configuration names instead of the `SKULINT_…` ones.
    pub fn renamed(mut self, renamed: BTreeMap<String, String>) -> Self {
        self.renamed = renamed;
        self
    }

    pub fn get(&self, variable: &'static str, what: &'static str) -> Result<String, SetupError> {
        let (read, named) = match self.renamed.get(variable) {
            Some(other) => (
                other.as_str(),
                format!(" (skulint.toml [credentials] reads {variable} from it)"),
            ),
            None => (variable, String::new()),
        };
        match (self.lookup)(read).filter(|v| !v.trim().is_empty()) {
            Some(value) => Ok(value.trim().to_string()),
            None if self.dry_run => Ok(format!("<{read}>")),
            None => Err(SetupError::Missing {
                variable: read.to_string(),
                named,
                what,
            }),
        }
    }
}

/// The base URL: `--base-url`, else the production host.
pub fn base_url(given: Option<&str>, default: &str) -> Result<String, SetupError> {
    let url = given.unwrap_or(default).trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(SetupError::Invalid(format!(
            "--base-url {url:?} is not an http:// or https:// URL"
        )));
    }
    Ok(url.to_string())
}

/// The parts of a URL that are credentials: the `user:password@` before the
/// host, and path segments that look like keys or tokens (a webhook address such
/// as `/services/T0123/B0456/XyZ…`): a segment of 16 or more characters with
/// both letters and digits, or of 32 or more.
pub fn url_secrets(url: &str) -> Vec<String> {
    let url = strip_query(url);
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut secrets = Vec::new();
    if let Some((userinfo, _host)) = authority.rsplit_once('@') {
        secrets.push(userinfo.to_string());
        if let Some((_user, password)) = userinfo.split_once(':') {
            secrets.push(password.to_string());
        }
    }
    secrets.extend(
        path.split('/')
            .filter(|segment| looks_like_a_key(segment))
            .map(str::to_string),
    );
    secrets.retain(|s| !s.is_empty());
    secrets
}

fn looks_like_a_key(segment: &str) -> bool {
    let length = segment.chars().count();
    let letters = segment.chars().any(|c| c.is_ascii_alphabetic());
    let digits = segment.chars().any(|c| c.is_ascii_digit());
    length >= 32 || (length >= 16 && letters && digits)
}

/// `url` without its credentials ([`url_secrets`]) and its query string: what
/// is shown and written to the journal.
pub fn redacted_url(url: &str) -> String {
    Redactor::new(url_secrets(url)).redact(strip_query(url))
}

/// Every secret of `client`: its keys and tokens, and those in its URL.
pub fn client_secrets(client: &dyn ChannelClient) -> Vec<String> {
    let mut secrets = client.secrets();
    secrets.extend(url_secrets(&client.endpoint()));
    secrets
}

/// Where `client` sends, as shown and journaled: credentials redacted.
pub fn shown_endpoint(client: &dyn ChannelClient) -> String {
    redacted_url(&client.endpoint())
}

/// Whether `url` sends in clear text to another machine: `http://` to a host
/// other than `localhost`, `127.x.x.x` or `[::1]`.
pub fn is_insecure(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Removes every secret from a text before it is shown or written.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: Vec<String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
            let encoded = encode(secret);
            if encoded != *secret && text.contains(&encoded) {
                text = text.replace(&encoded, REDACTED);
            }
        }
        text
    }
}

/// Why a plan cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read the resync plan {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: not a resync plan line ({message}); resync reads the <name>.resync.jsonl that `skulint fix` writes"
    )]
    Line {
        path: String,
        line: usize,
        message: String,
    },
}

/// Reads a resync plan: one JSON object a line; blank lines are ignored.
pub fn read_plan(path: &Path) -> Result<Vec<PlanEntry>, PlanError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        let entry: PlanEntry = serde_json::from_str(line).map_err(|e| PlanError::Line {
            path: shown.clone(),
            line: index + 1,
            message: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Escapes text for an XML element.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lines_take_ids_as_text_or_numbers() {
        let line = r#"{"channel":"shopee","file":"a.xlsx","sheet":"S","row":3,"product_id":123,"variation_id":" 45 ","old_sku":"A  B","new_sku":"A B","stock":null}"#;
        let entry: PlanEntry = serde_json::from_str(line).unwrap();
        assert_eq!(entry.product_id.as_deref(), Some("123"));
        assert_eq!(entry.variation_id.as_deref(), Some("45"));
        assert_eq!(entry.stock, None);
        assert_eq!(sku_then_stock(&entry), [Step::Sku]);
    }

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            redacted_url(
                "https://ops:hunter2@hooks.example.com/services/T0123/B0456/XyZ0aBcDeFgHiJkLmNoP?key=1"
            ),
            "https://<redacted>@hooks.example.com/services/T0123/B0456/<redacted>"
        );
        assert_eq!(
            redacted_url("https://api.lazada.com.my/rest"),
            "https://api.lazada.com.my/rest"
        );
        assert_eq!(
            redacted_url("https://partner.shopeemobile.com/api/update_stock_for_many_items"),
            "https://partner.shopeemobile.com/api/update_stock_for_many_items"
        );
        assert_eq!(
            url_secrets("http://user:p%40ss@h/x"),
            ["user:p%40ss", "p%40ss"]
        );
    }

    #[test]
    fn plain_http_is_insecure_but_to_this_machine() {
        for url in [
            "http://example.com",
            "http://10.0.0.1:80/x",
            "http://127.0.0.1@evil.com/",
        ] {
            assert!(is_insecure(url), "{url}");
        }
        for url in [
            "https://example.com",
            "http://127.0.0.1:9/hook",
            "http://localhost",
            "http://[::1]:8080/",
            "http://u:p@127.0.0.2/",
        ] {
            assert!(!is_insecure(url), "{url}");
        }
    }

    #[test]
    fn redaction_removes_secrets_and_their_encoded_forms() {
        let redactor = Redactor::new(vec!["s3cr3t/key+1".into(), "s3cr3t".into(), String::new()]);
        let text = "token s3cr3t/key+1 in url s3cr3t%2Fkey%2B1, and s3cr3t alone";
        assert_eq!(
            redactor.redact(text),
            "token <redacted> in url <redacted>, and <redacted> alone"
        );
    }

    #[test]
    fn urls_encode_query_values_and_display_hides_secrets() {
        let request = Request {
            method: "POST",
            base: "https://example.test/".into(),
            path: "/api".into(),
            query: vec![Field::new("a", "x y"), Field::secret("sign", "ABC")],
            headers: vec![Field::secret("x-token", "T0KEN")],
            body: Body::Form(vec![
                Field::new("payload", "<R>&</R>"),
                Field::secret("access_token", "T0KEN"),
            ]),
        };
        assert_eq!(request.url(), "https://example.test/api?a=x%20y&sign=ABC");
        let shown = request.to_string();
        assert!(
            !shown.contains("ABC") && !shown.contains("T0KEN"),
            "{shown}"
        );
        assert!(shown.contains("payload=<R>&</R>"), "{shown}");
        assert_eq!(
            String::from_utf8(request.body.bytes()).unwrap(),
            "payload=%3CR%3E%26%3C%2FR%3E&access_token=T0KEN"
        );
    }

    #[test]
    fn failure_messages_carry_status_reason_and_retry_after() {
        let response = Response {
            status: 429,
            retry_after: Some("7".into()),
            body: String::new(),
        };
        assert_eq!(
            response.failure_message(),
            "HTTP 429 Too Many Requests (Retry-After: 7)"
        );
        let d = crate::diagnose::classify(&response.failure_message(), None);
        assert_eq!(d.cause.id, "rate-limited");
        assert_eq!(d.numbers["retry_after"], 7);
    }
}
