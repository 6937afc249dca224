//! Sync errors: what the message of a failed stock or SKU update means and what
//! to do about it.
//!
//! The causes live in `rules/sync-errors.toml` (embedded at build time): each
//! with its patterns over English, Indonesian, Vietnamese and Thai messages and
//! the API error bodies of Shopee, Lazada and TikTok Shop, the numbers they
//! capture, an explanation, the steps to take and the rules that find the cause
//! in an export. One catalog serves `skulint diagnose`, `skulint explain`, rule
//! SYN001 and the channel client's retry decisions:
//!
//! ```
//! use skulint::diagnose;
//! let d = diagnose::classify(r#"{"code":"ApiCallLimit","message":"this ban will last 3 seconds"}"#, None);
//! assert_eq!(d.cause.id, "rate-limited");
//! assert!(d.cause.retryable);
//! assert_eq!(d.numbers["ban_seconds"], 3);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules;
use crate::settings::Settings;
use crate::table::columns::Channel;
use crate::table::{Format, Sheet, TableSpec, Value, Visibility, Workbook, layout};

/// Every cause of `rules/sync-errors.toml`, with its patterns compiled.
#[derive(Debug)]
pub struct Catalog {
    pub causes: Vec<Cause>,
    success: Vec<Regex>,
}

/// One cause of sync failures.
#[derive(Debug)]
pub struct Cause {
    pub id: String,
    pub title: String,
    /// Sending the same update again later can succeed without anyone changing anything.
    pub retryable: bool,
    /// Every other update to the same shop fails the same way.
    pub stops_run: bool,
    /// The severity of a SYN001 finding with this cause.
    pub severity: Severity,
    /// What to do, in one line.
    pub action: String,
    pub explanation: String,
    pub steps: Vec<String>,
    pub related_rules: Vec<String>,
    pub patterns: Vec<Pattern>,
    /// Messages that must be given this cause (checked by tests).
    pub examples: Vec<String>,
    pub sku_evidence: Option<SkuEvidence>,
    /// The cause of messages no pattern matches.
    pub fallback: bool,
}

/// A pattern of a cause: when it matches a message, the cause applies with its priority.
#[derive(Debug)]
pub struct Pattern {
    pub regex: Regex,
    /// Higher wins when patterns of several causes match one message.
    pub priority: u32,
    /// The channels whose API errors it describes; empty: any message.
    pub channels: Vec<Channel>,
}

impl Pattern {
    /// Whether the pattern is used when matching for `channel` (`None`: any channel;
    /// `Generic`: only channel-independent patterns).
    fn applies(&self, channel: Option<Channel>) -> bool {
        match channel {
            None => true,
            Some(channel) => self.channels.is_empty() || self.channels.contains(&channel),
        }
    }
}

/// When the SKU an error is about decides the cause: an E501 on a SKU with
/// double spaces is the SKU's format, not a server error.
#[derive(Debug)]
pub struct SkuEvidence {
    /// The message is one of these errors (E501 …).
    pub trigger: Vec<Regex>,
    /// The SKU has a finding of one of these rules.
    pub rules: Vec<String>,
    /// The causes this one replaces when both hold.
    pub replaces: Vec<String>,
    /// Printed when the message triggers but no SKU was given.
    pub hint: String,
}

/// What a message means.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// The message as given.
    pub message: String,
    pub cause: &'static Cause,
    /// A pattern matched; `false`: the message fell back to the `unknown` cause.
    pub recognized: bool,
    /// Numbers the message gives (`reserved`, `unpaid`, `ban_seconds`, `retry_after`).
    pub numbers: BTreeMap<String, i64>,
    /// The channel given, or the one whose API error code the message carries.
    pub channel: Option<Channel>,
    /// The SKU the error is about: given, or found in the API body.
    pub sku: Option<String>,
    /// What the SKU rules find in that SKU.
    pub sku_findings: Vec<Diagnostic>,
    /// A hint for the reader, when the message alone cannot settle the cause.
    pub note: Option<String>,
    /// The message is an error whose cause a SKU can change (an E501).
    sku_sensitive: bool,
}

impl Diagnosis {
    /// Whether the SKU could change the cause: check it before settling on this one.
    pub fn needs_sku(&self) -> bool {
        self.sku_sensitive
            && evidence_cause().is_some_and(|(_, e)| e.replaces.contains(&self.cause.id))
    }

    /// Adds the SKU the error is about and what the SKU rules found in it; the
    /// cause becomes the SKU's format when the message is an E501 and a format
    /// rule fired.
    pub fn with_sku(mut self, sku: String, findings: Vec<Diagnostic>) -> Self {
        if self.needs_sku()
            && let Some((cause, evidence)) = evidence_cause()
            && findings
                .iter()
                .any(|f| evidence.rules.iter().any(|r| r == f.code))
        {
            let fired: BTreeSet<&str> = findings
                .iter()
                .map(|f| f.code)
                .filter(|code| evidence.rules.iter().any(|r| r == code))
                .collect();
            self.note = Some(format!(
                "the message is an E501 and the SKU has {} findings, so the cause is the SKU's format, not {}",
                fired.into_iter().collect::<Vec<_>>().join(", "),
                self.cause.id
            ));
            self.cause = cause;
            self.recognized = true;
        } else {
            self.note = None;
        }
        self.sku = Some(sku);
        self.sku_findings = findings;
        self
    }

    /// The numbers as `reserved=5, unpaid=2`.
    pub fn numbers_text(&self) -> String {
        self.numbers
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why `rules/sync-errors.toml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("rules/sync-errors.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rules/sync-errors.toml: cause {cause}: pattern {pattern:?}: {error}")]
    Regex {
        cause: String,
        pattern: String,
        error: regex::Error,
    },
    #[error("rules/sync-errors.toml: cause {cause}: unknown channel {channel:?}")]
    Channel { cause: String, channel: String },
    #[error("rules/sync-errors.toml: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    success: Vec<String>,
    cause: Vec<CauseEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CauseEntry {
    id: String,
    title: String,
    retryable: bool,
    stops_run: bool,
    severity: Severity,
    #[serde(default)]
    fallback: bool,
    action: String,
    explanation: String,
    steps: Vec<String>,
    related_rules: Vec<String>,
    patterns: Vec<PatternEntry>,
    #[serde(default)]
    examples: Vec<String>,
    sku_evidence: Option<SkuEvidenceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    priority: u32,
    #[serde(default)]
    channels: Vec<String>,
    regex: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SkuEvidenceEntry {
    trigger: Vec<String>,
    rules: Vec<String>,
    replaces: Vec<String>,
    hint: String,
}

/// Patterns ignore case, and `.` crosses lines (API bodies may be pretty-printed).
fn compile(cause: &str, pattern: &str) -> Result<Regex, CatalogError> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .dot_matches_new_line(true)
        .build()
        .map_err(|error| CatalogError::Regex {
            cause: cause.to_string(),
            pattern: pattern.to_string(),
            error,
        })
}

/// Parses and checks a catalog.
pub fn load(text: &str) -> Result<Catalog, CatalogError> {
    let file: CatalogFile = toml::from_str(text)?;
    let success = file
        .success
        .iter()
        .map(|p| compile("success", p))
        .collect::<Result<_, _>>()?;
    let mut causes = Vec::with_capacity(file.cause.len());
    for entry in file.cause {
        let patterns = entry
            .patterns
            .iter()
            .map(|p| {
                let channels = p
                    .channels
                    .iter()
                    .map(|name| {
                        Channel::ALL
                            .into_iter()
                            .find(|c| c.key() == name && *c != Channel::Generic)
                            .ok_or_else(|| CatalogError::Channel {
                                cause: entry.id.clone(),
                                channel: name.clone(),
                            })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Pattern {
                    regex: compile(&entry.id, &p.regex)?,
                    priority: p.priority,
                    channels,
                })
            })
            .collect::<Result<_, CatalogError>>()?;
        let sku_evidence = match entry.sku_evidence {
            Some(e) => Some(SkuEvidence {
                trigger: e
                    .trigger
                    .iter()
                    .map(|t| compile(&entry.id, t))
                    .collect::<Result<_, _>>()?,
                rules: e.rules,
                replaces: e.replaces,
                hint: e.hint,
            }),
            None => None,
        };
        causes.push(Cause {
            id: entry.id,
            title: entry.title,
            retryable: entry.retryable,
            stops_run: entry.stops_run,
            severity: entry.severity,
            action: entry.action,
            explanation: entry
                .explanation
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            steps: entry.steps,
            related_rules: entry.related_rules,
            patterns,
            examples: entry.examples,
            sku_evidence,
            fallback: entry.fallback,
        });
    }
    let ids: BTreeSet<&str> = causes.iter().map(|c| c.id.as_str()).collect();
    if ids.len() != causes.len() {
        return Err(CatalogError::Invalid("a cause id is used twice".into()));
    }
    if causes.iter().filter(|c| c.fallback).count() != 1 {
        return Err(CatalogError::Invalid(
            "exactly one cause must be the fallback".into(),
        ));
    }
    for cause in &causes {
        for replaced in cause.sku_evidence.iter().flat_map(|e| &e.replaces) {
            if !ids.contains(replaced.as_str()) {
                return Err(CatalogError::Invalid(format!(
                    "cause {}: sku-evidence replaces unknown cause {replaced}",
                    cause.id
                )));
            }
        }
    }
    Ok(Catalog { causes, success })
}

/// The catalog embedded from `rules/sync-errors.toml`.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        load(include_str!("../rules/sync-errors.toml"))
            .expect("rules/sync-errors.toml is valid (checked by tests)")
    })
}

impl Catalog {
    pub fn cause(&self, id: &str) -> Option<&Cause> {
        self.causes.iter().find(|c| c.id == id)
    }

    pub fn fallback(&self) -> &Cause {
        self.causes
            .iter()
            .find(|c| c.fallback)
            .expect("one fallback cause (checked at load)")
    }
}

fn evidence_cause() -> Option<(&'static Cause, &'static SkuEvidence)> {
    catalog()
        .causes
        .iter()
        .find_map(|c| c.sku_evidence.as_ref().map(|e| (c, e)))
}

/// Whether a sync-status cell holds a failure: not empty, and not a success
/// word such as `OK` or `Berhasil`.
pub fn is_failure(text: &str) -> bool {
    !text.trim().is_empty() && !catalog().success.iter().any(|r| r.is_match(text))
}

/// The JSON document a message holds or ends with (an API error body).
fn json_in(message: &str) -> Option<serde_json::Value> {
    let start = message.find(['{', '['])?;
    serde_json::Deserializer::from_str(&message[start..])
        .into_iter::<serde_json::Value>()
        .next()?
        .ok()
}

fn string_leaves<'v>(value: &'v serde_json::Value, out: &mut Vec<(Option<&'v str>, &'v str)>) {
    fn walk<'v>(
        key: Option<&'v str>,
        value: &'v serde_json::Value,
        out: &mut Vec<(Option<&'v str>, &'v str)>,
    ) {
        match value {
            serde_json::Value::String(s) => out.push((key, s)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(key, v, out)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(Some(k), v, out)),
            _ => {}
        }
    }
    walk(None, value, out);
}

/// The text patterns run on: the message in NFC, and the strings of its JSON
/// body unescaped (a Thai message may arrive as `\u0e2a…`).
fn haystack(message: &str) -> String {
    let mut text: String = message.nfc().collect();
    if let Some(json) = json_in(message) {
        let mut leaves = Vec::new();
        string_leaves(&json, &mut leaves);
        for (_, leaf) in leaves {
            text.push('\n');
            text.extend(leaf.nfc());
        }
    }
    text
}

/// The seller SKU an API error body names (`seller_sku`, `SellerSku`,
/// `model_sku`, `item_sku`), when it names exactly one.
pub fn sku_in_message(message: &str) -> Option<String> {
    let json = json_in(message)?;
    let mut leaves = Vec::new();
    string_leaves(&json, &mut leaves);
    let skus: BTreeSet<&str> = leaves
        .into_iter()
        .filter(|(key, value)| {
            let key = key
                .unwrap_or_default()
                .replace(['_', '-', '.'], "")
                .to_ascii_lowercase();
            matches!(key.as_str(), "sellersku" | "modelsku" | "itemsku") && !value.is_empty()
        })
        .map(|(_, value)| value)
        .collect();
    match skus.len() {
        1 => skus.into_iter().next().map(str::to_string),
        _ => None,
    }
}

/// A captured number: `1.000` and `1,000` are a thousand.
fn parse_number(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Classifies a message by its patterns alone. `channel` narrows the patterns to
/// that channel's API errors and the channel-independent ones.
pub fn classify(message: &str, channel: Option<Channel>) -> Diagnosis {
    let catalog = catalog();
    let text = haystack(message);
    let mut best: Option<(u32, &Cause, &Pattern)> = None;
    for cause in &catalog.causes {
        for pattern in cause.patterns.iter().filter(|p| p.applies(channel)) {
            let better = best.is_none_or(|(priority, _, _)| pattern.priority > priority);
            if better && pattern.regex.is_match(&text) {
                best = Some((pattern.priority, cause, pattern));
            }
        }
    }
    let (cause, recognized) = match best {
        Some((_, cause, _)) => (cause, true),
        None => (catalog.fallback(), false),
    };
    let mut numbers = BTreeMap::new();
    for pattern in cause.patterns.iter().filter(|p| p.applies(channel)) {
        for captures in pattern.regex.captures_iter(&text) {
            for name in pattern.regex.capture_names().flatten() {
                if let Some(value) = captures.name(name).and_then(|m| parse_number(m.as_str())) {
                    numbers.entry(name.to_string()).or_insert(value);
                }
            }
        }
    }
    let channel = channel.or_else(|| match best {
        Some((_, _, pattern)) if pattern.channels.len() == 1 => Some(pattern.channels[0]),
        _ => None,
    });
    let sku_sensitive = evidence_cause()
        .is_some_and(|(_, evidence)| evidence.trigger.iter().any(|t| t.is_match(&text)));
    let mut diagnosis = Diagnosis {
        message: message.to_string(),
        cause,
        recognized,
        numbers,
        channel,
        sku: None,
        sku_findings: Vec::new(),
        note: None,
        sku_sensitive,
    };
    if diagnosis.needs_sku() {
        diagnosis.note = evidence_cause().map(|(_, e)| e.hint.clone());
    }
    diagnosis
}

/// Classifies a message and checks the SKU it is about: the one given, or the
/// one its API body names. The SKU rules run on it with the channel's profile.
pub fn diagnose(message: &str, channel: Option<Channel>, sku: Option<&str>) -> Diagnosis {
    let diagnosis = classify(message, channel);
    match sku.map(str::to_string).or_else(|| sku_in_message(message)) {
        Some(sku) => {
            let findings = sku_findings(&sku, diagnosis.channel.unwrap_or(Channel::Generic));
            diagnosis.with_sku(sku, findings)
        }
        None => diagnosis,
    }
}

/// What the SKU rules (SKU001–SKU010) find in one SKU, linted as the only row of
/// a `channel` export.
pub fn sku_findings(sku: &str, channel: Channel) -> Vec<Diagnostic> {
    let text = |t: &str| Value::Text(t.to_string());
    // Id columns make the row a listing whatever the SKU says: a SKU that reads
    // like a sentence or a "Wajib" must not be taken for an instruction row.
    let workbook = Workbook {
        path: "sku".into(),
        display: Arc::from("--sku"),
        format: Format::Csv,
        sheets: vec![Sheet {
            name: Arc::from("sku"),
            visibility: Visibility::Visible,
            rows: vec![
                vec![text("Product ID"), text("Variation ID"), text("SKU")],
                vec![text("1"), text("1"), text(sku)],
            ],
            ..Sheet::default()
        }],
        dialect: None,
    };
    let spec = TableSpec {
        channel: Some(channel),
        header_row: Some(1),
        ..TableSpec::default()
    };
    let settings = Settings {
        select: vec!["SKU".into()],
        ..Settings::default()
    };
    match layout::tables(&workbook, &spec) {
        Ok(tables) => rules::run(&tables, &settings),
        Err(_) => Vec::new(),
    }
}

/// Every sync-error cause and rule tied to an error code, a rule code or name,
/// or a piece of message text, as text for `skulint explain`; `None` when
/// nothing is.
pub fn explain(query: &str) -> Option<String> {
    let query = query.trim();
    if query.is_empty() {
        return None;
    }
    let text = haystack(query);
    let word = Regex::new(&format!(r"(?i)(^|[^\w]){}($|[^\w])", regex::escape(query))).ok()?;
    let rule_named = |code: &str| {
        rules::catalog().iter().any(|d| {
            d.code == code
                && (d.code.eq_ignore_ascii_case(query) || d.name.eq_ignore_ascii_case(query))
        })
    };
    let causes: Vec<&Cause> = catalog()
        .causes
        .iter()
        .filter(|c| {
            c.id.eq_ignore_ascii_case(query)
                || c.patterns.iter().any(|p| p.regex.is_match(&text))
                || c.sku_evidence
                    .as_ref()
                    .is_some_and(|e| e.trigger.iter().any(|t| t.is_match(&text)))
                || [&c.title, &c.explanation].iter().any(|t| word.is_match(t))
                || c.related_rules.iter().any(|r| rule_named(r))
        })
        .collect();
    let tied: BTreeSet<&str> = causes
        .iter()
        .flat_map(|c| c.related_rules.iter().map(String::as_str))
        .collect();
    let named_rule = rules::catalog().iter().any(|d| rule_named(&d.code));
    let docs: Vec<&rules::RuleDoc> = rules::catalog()
        .iter()
        .filter(|d| {
            if named_rule {
                return rule_named(&d.code);
            }
            tied.contains(d.code.as_str()) || [&d.summary, &d.why].iter().any(|t| word.is_match(t))
        })
        .collect();
    // Rules alone (a word found in a rule's text) are not an answer: `explain`
    // then suggests the nearest rule codes and names instead.
    if causes.is_empty() && !named_rule {
        return None;
    }
    let mut out = String::new();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if !causes.is_empty() {
        out.push_str(&format!(
            "{query:?} is tied to {}:\n",
            plural(causes.len(), "sync-error cause")
        ));
        for cause in &causes {
            out.push_str(&format!("\n  {} — {}\n", cause.id, cause.title));
            out.push_str(&format!(
                "    {}; {}\n",
                if cause.retryable {
                    "retryable"
                } else {
                    "not retryable"
                },
                cause.action
            ));
            if !cause.related_rules.is_empty() {
                out.push_str(&format!("    rules: {}\n", cause.related_rules.join(", ")));
            }
        }
    }
    if !docs.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Rules that find it in an export before an update fails:\n");
        let width = docs.iter().map(|d| d.name.len()).max().unwrap_or(0);
        for doc in &docs {
            out.push_str(&format!(
                "  {}  {:<width$}  {}\n",
                doc.code, doc.name, doc.summary
            ));
        }
    }
    out.push_str(
        "\n`skulint diagnose \"MESSAGE\" --sku SKU` explains one message with the steps to take.\n",
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_loads_and_every_example_gets_its_cause() {
        let catalog =
            load(include_str!("../rules/sync-errors.toml")).unwrap_or_else(|e| panic!("{e}"));
        let mut failures = Vec::new();
        for cause in &catalog.causes {
            assert!(!cause.steps.is_empty(), "{} has no steps", cause.id);
            for example in &cause.examples {
                let got = classify(example, None);
                if got.cause.id != cause.id || !got.recognized {
                    failures.push(format!(
                        "{example:?}: {} (expected {})",
                        got.cause.id, cause.id
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn related_rules_exist() {
        let codes: BTreeSet<&str> = rules::catalog().iter().map(|d| d.code.as_str()).collect();
        for cause in &catalog().causes {
            for code in cause
                .related_rules
                .iter()
                .chain(cause.sku_evidence.iter().flat_map(|e| &e.rules))
            {
                assert!(
                    codes.contains(code.as_str()),
                    "{}: unknown rule {code}",
                    cause.id
                );
            }
        }
    }

    #[test]
    fn a_broken_catalog_is_an_error_naming_the_cause() {
        let broken = include_str!("../rules/sync-errors.toml")
            .replace(r"regex = '\bE0?501\b'", r"regex = '\bE0?501('");
        let error = load(&broken).unwrap_err().to_string();
        assert!(error.contains("platform-server-error"), "{error}");
    }

    #[test]
    fn numbers_accept_thousands_separators() {
        assert_eq!(parse_number("1.000"), Some(1000));
        assert_eq!(parse_number("12,500"), Some(12500));
        let d = classify("Platform memesan stok 1.200 untuk kampanye.", None);
        assert_eq!(d.cause.id, "below-campaign-reserve");
        assert_eq!(d.numbers["reserved"], 1200);
    }

    #[test]
    fn a_json_body_names_its_sku() {
        let body = r#"{"code":"501","message":"E0501: Update product failed","detail":[{"field":"SellerSku","seller_sku":"KAOS  HITAM-L"}]}"#;
        assert_eq!(sku_in_message(body).as_deref(), Some("KAOS  HITAM-L"));
        assert_eq!(sku_in_message("E501 on KAOS  HITAM-L"), None);
    }

    #[test]
    fn escaped_unicode_in_a_body_is_matched() {
        let body = r#"{"error":"","message":"\u0e42\u0e2b\u0e21\u0e14\u0e27\u0e31\u0e19\u0e2b\u0e22\u0e38\u0e14"}"#;
        assert_eq!(classify(body, None).cause.id, "vacation-mode");
    }

    #[test]
    fn success_words_are_not_failures() {
        for text in [
            "",
            "  ",
            "OK",
            "Berhasil",
            "success",
            "Thành công",
            "สำเร็จ",
            "-",
            "0",
            "FALSE",
        ] {
            assert!(!is_failure(text), "{text:?}");
        }
        for text in ["error_auth", "Gagal", "E501"] {
            assert!(is_failure(text), "{text:?}");
        }
    }
}
