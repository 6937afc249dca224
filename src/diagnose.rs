//! Sync errors: what the message of a failed stock or SKU update means and what
//! to do about it.
//!
//! The causes live in `rules/sync-errors.toml` (embedded at build time). Words
//! are not matched as sentences: the catalog holds *concepts* (stock, campaign,
//! "less than", unpaid, deleted, …) with their words in English, Indonesian,
//! Malay, Filipino, Vietnamese and Thai, and a cause is recognised when the
//! concepts it needs all appear in the message, whatever the wording and the
//! order. Channel API error codes of Shopee, Lazada and TikTok Shop are matched
//! as regular expressions. Numbers in the message are named by the concept they
//! stand next to (a campaign reserve, unpaid orders, seconds to wait, a limit).
//! One catalog serves `skulint diagnose`, `skulint explain`, rule SYN001 and the
//! channel client's retry decisions:
//!
//! ```
//! use skulint::diagnose;
//! let d = diagnose::classify(r#"{"code":"ApiCallLimit","message":"this ban will last 3 seconds"}"#, None);
//! assert_eq!(d.cause.id, "rate-limited");
//! assert!(d.cause.retryable);
//! assert_eq!(d.numbers["ban_seconds"], 3);
//! let d = diagnose::classify("Gagal update stok: stok tidak boleh lebih kecil dari stok promosi (10)", None);
//! assert_eq!(d.cause.id, "below-campaign-reserve");
//! assert_eq!(d.numbers["reserved"], 10);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::diagnostic::{Diagnostic, Severity};
use crate::table::columns::Channel;

/// Every cause of `rules/sync-errors.toml`, with its patterns compiled.
#[derive(Debug)]
pub struct Catalog {
    pub causes: Vec<Cause>,
    /// The concepts patterns combine, by name.
    pub concepts: BTreeMap<String, Concept>,
    success: Vec<Regex>,
    /// How a message names the channel it comes from.
    channel_names: Vec<(Channel, Regex)>,
}

/// A concept and its words in every language of the catalog, as one regex.
#[derive(Debug)]
pub struct Concept {
    pub name: String,
    /// The words as one regex (see `concept_regex`).
    regex: Regex,
}

impl Concept {
    /// Where the concept's words appear in `text`, as whole words (in spaced
    /// scripts; Thai words anywhere).
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let mut at = 0;
        while at <= text.len() {
            let Some(m) = self.regex.find_at(text, at) else {
                break;
            };
            let (mut start, mut end) = (m.start(), m.end());
            // The edges the regex matched in place of word boundaries.
            if let Some(c) = text[start..end]
                .chars()
                .next()
                .filter(|&c| !is_word_char(c))
            {
                start += c.len_utf8();
            }
            if let Some(c) = text[start..end]
                .chars()
                .next_back()
                .filter(|&c| !is_word_char(c))
            {
                end -= c.len_utf8();
            }
            found.push((start, end));
            // The edge after a word may be the edge before the next one.
            at = end.max(m.start() + 1);
            while !text.is_char_boundary(at) {
                at += 1;
            }
        }
        found
    }

    pub fn is_in(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A concept's words as one regex the fast engines can run: words of spaced
/// scripts between non-word characters (what `\b` means, without `\b`, which
/// needs a slow engine on Thai or Vietnamese text), Thai words anywhere.
fn concept_regex(words: &[&String]) -> String {
    concept_words(words, true)
}

/// The alternatives of a concept's words: words of spaced scripts start after
/// a non-word character (and, with `whole`, end before one); Thai words,
/// written without spaces, stand anywhere.
fn concept_words(words: &[&String], whole: bool) -> String {
    let (thai, spaced): (Vec<&String>, Vec<&String>) =
        words.iter().partition(|w| w.chars().any(is_thai));
    let group = |words: &[&String]| {
        words
            .iter()
            .map(|w| format!("(?:{w})"))
            .collect::<Vec<_>>()
            .join("|")
    };
    let end = if whole { r"(?:$|[^\p{L}\p{N}_])" } else { "" };
    let mut parts = Vec::new();
    if !spaced.is_empty() {
        parts.push(format!(
            r"(?:^|[^\p{{L}}\p{{N}}_])(?:{}){end}",
            group(&spaced)
        ));
    }
    if !thai.is_empty() {
        parts.push(format!("(?:{})", group(&thai)));
    }
    parts.join("|")
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
    /// What to do, in order, worded for any channel and any multichannel tool.
    pub steps: Vec<String>,
    /// Per step, its wording for a known channel (where it differs).
    step_variants: Vec<BTreeMap<Channel, String>>,
    pub related_rules: Vec<String>,
    pub patterns: Vec<Pattern>,
    /// How the numbers of a message with this cause are named.
    pub numbers: Vec<NumberSpec>,
    /// Messages that must be given this cause (checked by tests).
    pub examples: Vec<String>,
    pub sku_evidence: Option<SkuEvidence>,
    /// The cause of messages no pattern matches.
    pub fallback: bool,
}

impl Cause {
    /// The steps for `channel`: its own wording where the catalog has one.
    pub fn steps_for(&self, channel: Option<Channel>) -> Vec<&str> {
        self.steps
            .iter()
            .zip(&self.step_variants)
            .map(|(any, variants)| {
                channel
                    .and_then(|c| variants.get(&c))
                    .map_or(any.as_str(), String::as_str)
            })
            .collect()
    }
}

/// What a pattern looks for.
#[derive(Debug)]
pub enum Matcher {
    /// A regular expression (API error codes, fixed phrases, numbers).
    Regex(Regex),
    /// Every concept of `all` appears in the message and none of `none`.
    Concepts { all: Vec<String>, none: Vec<String> },
}

/// A pattern of a cause: when it matches a message, the cause applies with its priority.
#[derive(Debug)]
pub struct Pattern {
    pub matcher: Matcher,
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

    fn is_match(&self, text: &Text) -> bool {
        match &self.matcher {
            Matcher::Regex(regex) => regex.is_match(&text.haystack),
            Matcher::Concepts { all, none } => {
                all.iter().all(|c| text.has(c)) && !none.iter().any(|c| text.has(c))
            }
        }
    }

    fn regex(&self) -> Option<&Regex> {
        match &self.matcher {
            Matcher::Regex(regex) => Some(regex),
            Matcher::Concepts { .. } => None,
        }
    }
}

/// A number of the message that stands next to one of `near` is the `name` of
/// the diagnosis (`reserved`, `unpaid`, `retry_after`, `limit`, `item_id`).
#[derive(Debug)]
pub struct NumberSpec {
    pub name: String,
    pub near: Vec<String>,
    /// The number is an id (8 digits or more) rather than a quantity.
    pub id: bool,
    /// What the number is multiplied by: 60 names minutes in seconds.
    pub scale: i64,
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
    /// Numbers the message gives (`reserved`, `unpaid`, `ban_seconds`, `retry_after`, `limit`, `item_id`).
    pub numbers: BTreeMap<String, i64>,
    /// The channel given, or the one the message names or whose API error code it carries.
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

    /// The steps to take, worded for the diagnosis's channel where it is known.
    pub fn steps(&self) -> Vec<&str> {
        self.cause.steps_for(self.channel)
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
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CatalogFile {
    success: Vec<String>,
    channel_names: BTreeMap<String, String>,
    concepts: BTreeMap<String, ConceptEntry>,
    cause: Vec<CauseEntry>,
}

/// A concept's words (regular expressions) per language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptEntry {
    #[serde(default)]
    en: Vec<String>,
    #[serde(default)]
    id: Vec<String>,
    #[serde(default)]
    ms: Vec<String>,
    #[serde(default)]
    tl: Vec<String>,
    #[serde(default)]
    vi: Vec<String>,
    #[serde(default)]
    th: Vec<String>,
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
    steps: Vec<StepEntry>,
    related_rules: Vec<String>,
    patterns: Vec<PatternEntry>,
    #[serde(default)]
    numbers: Vec<NumberEntry>,
    #[serde(default)]
    examples: Vec<String>,
    sku_evidence: Option<SkuEvidenceEntry>,
}

/// A step: one text for every channel, or a text for any channel (`any`) and
/// the channels' own wording.
#[derive(Deserialize)]
#[serde(untagged)]
enum StepEntry {
    Any(String),
    PerChannel(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    priority: u32,
    #[serde(default)]
    channels: Vec<String>,
    regex: Option<String>,
    all: Option<Vec<String>>,
    #[serde(default)]
    none: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberEntry {
    name: String,
    near: Vec<String>,
    #[serde(default)]
    id: bool,
    #[serde(default = "one")]
    scale: i64,
}

fn one() -> i64 {
    1
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

/// Thai is written without spaces between words: its words have no word
/// boundaries to anchor on.
fn is_thai(c: char) -> bool {
    ('\u{0E00}'..='\u{0E7F}').contains(&c)
}

/// A concept's words as one alternation for a `{concept}` in a regex: words in
/// spaced scripts start a word (`stok` is not in `pastok`), Thai words start
/// anywhere. The start is a non-word character rather than `\b`, which needs a
/// slow regex engine on Thai or Vietnamese text; `{stock}\s*{campaign}` still
/// matches "stok kampanye" (the space is the second word's start).
fn concept_alternation(words: &[&String]) -> String {
    format!("(?:{})", concept_words(words, false))
}

/// Replaces every `{concept}` of a pattern with the concept's alternation; a
/// `{name}` that is no concept is an error (regex repetitions are `{2,5}`).
fn expand_concepts(
    cause: &str,
    pattern: &str,
    alternations: &BTreeMap<String, String>,
) -> Result<String, CatalogError> {
    let reference = Regex::new(r"\{([a-z][a-z-]*)\}").expect("a valid regex");
    let mut unknown = None;
    let expanded = reference.replace_all(pattern, |caps: &regex::Captures| {
        match alternations.get(&caps[1]) {
            Some(alternation) => alternation.clone(),
            None => {
                unknown = Some(caps[1].to_string());
                String::new()
            }
        }
    });
    match unknown {
        Some(name) => Err(CatalogError::Invalid(format!(
            "cause {cause}: pattern {pattern:?} names unknown concept {{{name}}}"
        ))),
        None => Ok(expanded.into_owned()),
    }
}

fn channel_named(cause: &str, name: &str) -> Result<Channel, CatalogError> {
    Channel::ALL
        .into_iter()
        .find(|c| c.key() == name && *c != Channel::Generic)
        .ok_or_else(|| CatalogError::Channel {
            cause: cause.to_string(),
            channel: name.to_string(),
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
    let channel_names = file
        .channel_names
        .iter()
        .map(|(name, regex)| Ok((channel_named("channel-names", name)?, compile(name, regex)?)))
        .collect::<Result<_, CatalogError>>()?;
    let mut alternations = BTreeMap::new();
    let mut concepts = BTreeMap::new();
    for (name, entry) in &file.concepts {
        let words: Vec<&String> = [
            &entry.en, &entry.id, &entry.ms, &entry.tl, &entry.vi, &entry.th,
        ]
        .into_iter()
        .flatten()
        .collect();
        if words.is_empty() {
            return Err(CatalogError::Invalid(format!(
                "concept {name} has no words"
            )));
        }
        let alternation = concept_alternation(&words);
        let regex = compile(&format!("concept {name}"), &concept_regex(&words))?;
        alternations.insert(name.clone(), alternation);
        concepts.insert(
            name.clone(),
            Concept {
                name: name.clone(),
                regex,
            },
        );
    }
    let known_concept = |cause: &str, name: &String| {
        if concepts.contains_key(name) {
            Ok(name.clone())
        } else {
            Err(CatalogError::Invalid(format!(
                "cause {cause}: unknown concept {name:?}"
            )))
        }
    };
    let mut causes = Vec::with_capacity(file.cause.len());
    for entry in file.cause {
        let id = entry.id.as_str();
        let mut patterns = Vec::with_capacity(entry.patterns.len());
        for p in &entry.patterns {
            let channels = p
                .channels
                .iter()
                .map(|name| channel_named(id, name))
                .collect::<Result<_, _>>()?;
            let matcher = match (&p.regex, &p.all) {
                (Some(regex), None) if p.none.is_empty() => {
                    Matcher::Regex(compile(id, &expand_concepts(id, regex, &alternations)?)?)
                }
                (None, Some(all)) if !all.is_empty() => Matcher::Concepts {
                    all: all
                        .iter()
                        .map(|c| known_concept(id, c))
                        .collect::<Result<_, _>>()?,
                    none: p
                        .none
                        .iter()
                        .map(|c| known_concept(id, c))
                        .collect::<Result<_, _>>()?,
                },
                _ => {
                    return Err(CatalogError::Invalid(format!(
                        "cause {id}: a pattern has either `regex` or `all` (with `none`)"
                    )));
                }
            };
            patterns.push(Pattern {
                matcher,
                priority: p.priority,
                channels,
            });
        }
        let numbers = entry
            .numbers
            .iter()
            .map(|n| {
                Ok(NumberSpec {
                    name: n.name.clone(),
                    near: n
                        .near
                        .iter()
                        .map(|c| known_concept(id, c))
                        .collect::<Result<_, CatalogError>>()?,
                    id: n.id,
                    scale: n.scale,
                })
            })
            .collect::<Result<_, CatalogError>>()?;
        let mut steps = Vec::with_capacity(entry.steps.len());
        let mut step_variants = Vec::with_capacity(entry.steps.len());
        for step in entry.steps {
            match step {
                StepEntry::Any(text) => {
                    steps.push(text);
                    step_variants.push(BTreeMap::new());
                }
                StepEntry::PerChannel(mut texts) => {
                    let any = texts.remove("any").ok_or_else(|| {
                        CatalogError::Invalid(format!(
                            "cause {id}: a per-channel step needs `any`, the wording for any channel"
                        ))
                    })?;
                    steps.push(any);
                    step_variants.push(
                        texts
                            .into_iter()
                            .map(|(name, text)| Ok((channel_named(id, &name)?, text)))
                            .collect::<Result<_, CatalogError>>()?,
                    );
                }
            }
        }
        let sku_evidence = match entry.sku_evidence {
            Some(e) => Some(SkuEvidence {
                trigger: e
                    .trigger
                    .iter()
                    .map(|t| compile(id, t))
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
            steps,
            step_variants,
            related_rules: entry.related_rules,
            patterns,
            numbers,
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
    Ok(Catalog {
        causes,
        concepts,
        success,
        channel_names,
    })
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
    let text = clean(text);
    !text.trim().is_empty() && !catalog().success.iter().any(|r| r.is_match(&text))
}

/// The JSON document a message holds or ends with (an API error body).
fn json_in(message: &str) -> Option<serde_json::Value> {
    json_at(message).map(|(_, json)| json)
}

/// Where the JSON document of a message starts, and the document. A bracket
/// before the body (`[Lazada] {"code":…}`) is not where it starts.
fn json_at(message: &str) -> Option<(usize, serde_json::Value)> {
    message
        .match_indices(['{', '['])
        .take(8)
        .find_map(|(start, _)| {
            serde_json::Deserializer::from_str(&message[start..])
                .into_iter::<serde_json::Value>()
                .next()?
                .ok()
                .filter(|v| v.is_object() || v.as_array().is_some_and(|a| !a.is_empty()))
                .map(|json| (start, json))
        })
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

/// Decodes the HTML character references a message picks up when it is copied
/// from a web page or an HTML e-mail (`&amp;`, `&#39;`, `&nbsp;`, `&#x2F;`);
/// anything that is not a reference stays as it is.
fn decode_html_entities(text: &str) -> String {
    static REFERENCE: OnceLock<Regex> = OnceLock::new();
    let reference = REFERENCE.get_or_init(|| {
        Regex::new(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});").expect("a valid regex")
    });
    let resolve = |name: &str| match name {
        "nbsp" => Some(" "),
        "ndash" => Some("–"),
        "mdash" => Some("—"),
        "middot" => Some("·"),
        "hellip" => Some("…"),
        "lsquo" | "rsquo" => Some("'"),
        "ldquo" | "rdquo" => Some("\""),
        _ => quick_xml::escape::resolve_xml_entity(name),
    };
    reference
        .replace_all(text, |caps: &regex::Captures| {
            quick_xml::escape::unescape_with(&caps[0], resolve)
                .map(|decoded| decoded.into_owned())
                .unwrap_or_else(|_| caps[0].to_string())
        })
        .into_owned()
}

/// The message as the patterns see it: HTML references decoded (twice: a copy
/// of a copy has `&amp;amp;`), HTML tags and line breaks made spaces, runs of
/// whitespace (no-break and zero-width spaces too) one space, NFC.
fn clean(message: &str) -> String {
    static TAG: OnceLock<Regex> = OnceLock::new();
    let tag = TAG.get_or_init(|| {
        Regex::new(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]{0,200})?/?>").expect("a valid regex")
    });
    let decoded = decode_html_entities(&decode_html_entities(message));
    let untagged = tag.replace_all(&decoded, " ");
    let spaced: String = untagged
        .nfc()
        .map(|c| match c {
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => ' ',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The message without what a copy puts before it: a channel or shop tag in
/// brackets (`[Shopee]`), a date and a time (`14:02`), a separator (`·`).
fn without_prefix(text: &str) -> &str {
    static PREFIX: OnceLock<Regex> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        Regex::new(
            r"^(?:\s*\[[^\[\]]{1,40}\])?(?:\s*\d{4}-\d{2}-\d{2}[ T]?)?(?:\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)?\s*[·•|»>–—-]?\s*",
        )
        .expect("a valid regex")
    });
    let end = prefix.find(text).map_or(0, |m| m.end());
    &text[end..]
}

/// Whether a JSON body's field holds text for people (`message`, `msg`,
/// `failed_reason`, `description`, `warning`) rather than an id or a code.
fn is_message_key(key: Option<&str>) -> bool {
    let key = key.unwrap_or_default().to_ascii_lowercase();
    ["message", "msg", "reason", "desc", "warning", "hint"]
        .iter()
        .any(|word| key.contains(word))
}

/// A message made ready for the patterns: cleaned, its copy prefix kept out of
/// the prose, and the strings of its JSON body unescaped (a Thai message may
/// arrive as `\u0e2a…`).
struct Text {
    /// The cleaned message and the cleaned string leaves of its JSON body, one per line.
    haystack: String,
    /// The prose of the message (without JSON syntax and copy prefix), where numbers are looked for.
    prose: String,
    /// Which concepts appear, computed on demand.
    concepts: std::cell::RefCell<BTreeMap<String, bool>>,
}

impl Text {
    fn new(message: &str) -> Text {
        let cleaned = clean(message);
        let rest = without_prefix(&cleaned);
        let mut haystack = cleaned.clone();
        let mut prose = rest.to_string();
        // The body is parsed from the decoded message: a copied body may have `&quot;`.
        let decoded = decode_html_entities(&decode_html_entities(message));
        if let Some((start, json)) = json_at(&decoded) {
            let before = clean(&decoded[..start]);
            prose = without_prefix(&before).to_string();
            let mut leaves = Vec::new();
            string_leaves(&json, &mut leaves);
            for (key, leaf) in leaves {
                let leaf = clean(leaf);
                haystack.push('\n');
                haystack.push_str(&leaf);
                // Numbers are read from the texts meant for people, not from
                // ids, SKUs and codes (`"request_id":"21"`, `"seller_sku":"KAOS-1"`).
                if is_message_key(key) {
                    prose.push_str(" | ");
                    prose.push_str(&leaf);
                }
            }
        }
        Text {
            haystack,
            prose,
            concepts: Default::default(),
        }
    }

    fn has(&self, concept: &str) -> bool {
        *self
            .concepts
            .borrow_mut()
            .entry(concept.to_string())
            .or_insert_with(|| {
                catalog()
                    .concepts
                    .get(concept)
                    .is_some_and(|c| c.is_in(&self.haystack))
            })
    }
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

/// A number standing on its own in the prose of a message.
struct Candidate {
    start: usize,
    end: usize,
    value: i64,
    /// 8 digits or more without separators: an item, model or request id.
    id: bool,
}

/// The numbers of `prose` that can be quantities or ids: not part of a word or
/// code (`E501`, `KNT063`), of a time (`14:02`) or a decimal, and not an error
/// code (`Error 501`, `HTTP 429`).
fn candidates(prose: &str) -> Vec<Candidate> {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    let number =
        NUMBER.get_or_init(|| Regex::new(r"\d{1,3}(?:[.,]\d{3})+|\d+").expect("a valid regex"));
    let code_word = catalog().concepts.get("error-code");
    let mut out = Vec::new();
    for m in number.find_iter(prose) {
        let before = prose[..m.start()].chars().next_back();
        let after = prose[m.end()..].chars().next();
        let after2 = prose[m.end()..].chars().nth(1);
        let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if glued(before) && !before.is_some_and(is_thai)
            || glued(after) && !after.is_some_and(is_thai)
        {
            continue;
        }
        // A time, a decimal, a version, a range of digits: `14:02`, `1.5`, `2.0.1`.
        let joins = |c: Option<char>| matches!(c, Some(':' | '.' | ',' | '/' | '-'));
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        if joins(after) && digit(after2) {
            continue;
        }
        let mut back = prose[..m.start()].chars().rev();
        if joins(back.next()) && digit(back.next()) {
            continue;
        }
        // An error code names the error, not an amount.
        let lead = &prose[..m.start()];
        let lead = &lead[lead.char_indices().rev().nth(15).map_or(0, |(i, _)| i)..];
        if code_word.is_some_and(|c| {
            c.find(lead)
                .iter()
                .any(|&(_, end)| lead[end..].chars().all(|c| !c.is_alphanumeric()))
        }) {
            continue;
        }
        let Some(value) = parse_number(m.as_str()) else {
            continue;
        };
        let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
        out.push(Candidate {
            start: m.start(),
            end: m.end(),
            value,
            id: digits >= 8 && m.as_str().chars().all(|c| c.is_ascii_digit()),
        });
    }
    out
}

/// Characters between two spans of `text` (0 when they touch or overlap).
fn gap(text: &str, a: (usize, usize), b: (usize, usize)) -> usize {
    if a.1 <= b.0 {
        text[a.1..b.0].chars().count()
    } else if b.1 <= a.0 {
        text[b.1..a.0].chars().count()
    } else {
        0
    }
}

/// How far a number may stand from the word that names it.
const NEAR: usize = 40;

/// Names the numbers of the prose by the concepts they stand next to: for each
/// of the cause's names, the closest number within reach. Numbers a pattern
/// captured by name keep that name.
fn name_numbers(cause: &Cause, prose: &str, numbers: &mut BTreeMap<String, i64>) {
    let catalog = catalog();
    let mut taken: BTreeSet<i64> = numbers.values().copied().collect();
    let found = candidates(prose);
    for spec in &cause.numbers {
        if numbers.contains_key(&spec.name) {
            continue;
        }
        let words: Vec<(usize, usize)> = spec
            .near
            .iter()
            .filter_map(|c| catalog.concepts.get(c))
            .flat_map(|c| c.find(prose))
            .collect();
        let best = found
            .iter()
            .filter(|n| n.id == spec.id && !taken.contains(&n.value))
            .filter_map(|n| {
                words
                    .iter()
                    .map(|&w| gap(prose, (n.start, n.end), w))
                    .min()
                    .filter(|&d| d <= NEAR)
                    .map(|d| (d, n))
            })
            .min_by_key(|(d, n)| (*d, n.start));
        if let Some((_, n)) = best {
            numbers.insert(spec.name.clone(), n.value.saturating_mul(spec.scale));
            taken.insert(n.value);
        }
    }
}

/// The channel a message names (`[Shopee]`, "Lazada", "TikTok Shop"), when it names exactly one.
fn channel_named_in(text: &Text) -> Option<Channel> {
    let named: BTreeSet<Channel> = catalog()
        .channel_names
        .iter()
        .filter(|(_, regex)| regex.is_match(&text.haystack))
        .map(|(channel, _)| *channel)
        .collect();
    match named.len() {
        1 => named.into_iter().next(),
        _ => None,
    }
}

/// Classifies a message by its patterns alone. `channel` narrows the patterns to
/// that channel's API errors and the channel-independent ones.
pub fn classify(message: &str, channel: Option<Channel>) -> Diagnosis {
    let catalog = catalog();
    let text = Text::new(message);
    let mut best: Option<(u32, &Cause, &Pattern)> = None;
    for cause in &catalog.causes {
        for pattern in cause.patterns.iter().filter(|p| p.applies(channel)) {
            let better = best.is_none_or(|(priority, _, _)| pattern.priority > priority);
            if better && pattern.is_match(&text) {
                best = Some((pattern.priority, cause, pattern));
            }
        }
    }
    let (cause, recognized) = match best {
        Some((_, cause, _)) => (cause, true),
        None => (catalog.fallback(), false),
    };
    let mut numbers = BTreeMap::new();
    for regex in cause
        .patterns
        .iter()
        .filter(|p| p.applies(channel))
        .filter_map(Pattern::regex)
    {
        for captures in regex.captures_iter(&text.haystack) {
            for name in regex.capture_names().flatten() {
                if let Some(value) = captures.name(name).and_then(|m| parse_number(m.as_str())) {
                    numbers.entry(name.to_string()).or_insert(value);
                }
            }
        }
    }
    name_numbers(cause, &text.prose, &mut numbers);
    let channel = channel
        .or_else(|| match best {
            Some((_, _, pattern)) if pattern.channels.len() == 1 => Some(pattern.channels[0]),
            _ => None,
        })
        .or_else(|| channel_named_in(&text));
    let sku_sensitive = evidence_cause()
        .is_some_and(|(_, evidence)| evidence.trigger.iter().any(|t| t.is_match(&text.haystack)));
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

/// The causes tied to `query`: by id, by a message pattern or SKU trigger it
/// matches, by a whole word of their title or explanation, or by a related
/// rule that `names_rule` says the query names. For `skulint explain`.
pub fn causes_for(query: &str, names_rule: impl Fn(&str) -> bool) -> Vec<&'static Cause> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let text = Text::new(query);
    let Some(word) = whole_word(query) else {
        return Vec::new();
    };
    catalog()
        .causes
        .iter()
        .filter(|c| {
            c.id.eq_ignore_ascii_case(query)
                || c.patterns.iter().any(|p| p.is_match(&text))
                || c.sku_evidence
                    .as_ref()
                    .is_some_and(|e| e.trigger.iter().any(|t| t.is_match(&text.haystack)))
                || [&c.title, &c.explanation].iter().any(|t| word.is_match(t))
                || c.related_rules.iter().any(|r| names_rule(r))
        })
        .collect()
}

/// A pattern for `query` as a whole word, in any case.
pub fn whole_word(query: &str) -> Option<Regex> {
    Regex::new(&format!(
        r"(?i)(^|[^\w]){}($|[^\w])",
        regex::escape(query.trim())
    ))
    .ok()
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
    fn a_broken_catalog_is_an_error_naming_the_cause() {
        let broken = include_str!("../rules/sync-errors.toml")
            .replace(r"regex = '\bE0?501\b'", r"regex = '\bE0?501('");
        let error = load(&broken).unwrap_err().to_string();
        assert!(error.contains("platform-server-error"), "{error}");
    }

    #[test]
    fn a_catalog_naming_an_unknown_concept_or_a_step_without_its_neutral_wording_is_an_error() {
        let catalog = include_str!("../rules/sync-errors.toml");
        let broken = catalog.replacen(
            r#"all = ["unpaid", "order"]"#,
            r#"all = ["unpaid", "ordre"]"#,
            1,
        );
        let error = load(&broken).unwrap_err().to_string();
        assert!(
            error.contains("below-unpaid-reserve") && error.contains("ordre"),
            "{error}"
        );
        let broken = catalog.replacen("{stock}\\s*", "{stok}\\s*", 1);
        let error = load(&broken).unwrap_err().to_string();
        assert!(error.contains("{stok}"), "{error}");
        let broken = catalog.replacen(
            "{ any = \"Open the channel's",
            "{ every = \"Open the channel's",
            1,
        );
        let error = load(&broken).unwrap_err().to_string();
        assert!(
            error.contains("vacation-mode") && error.contains("any"),
            "{error}"
        );
    }

    #[test]
    fn html_references_are_decoded_and_anything_else_is_left_alone() {
        assert_eq!(
            decode_html_entities("can&#39;t &amp; won&#x27;t&nbsp;go"),
            "can't & won't go"
        );
        assert_eq!(
            decode_html_entities("A & B; &unknown; &#99999999;"),
            "A & B; &unknown; &#99999999;"
        );
        assert_eq!(
            clean("Stok&amp;amp;<br/>harga\r\n  habis"),
            "Stok& harga habis"
        );
    }

    #[test]
    fn error_codes_times_and_glued_numbers_are_not_amounts() {
        let values = |text: &str| candidates(text).iter().map(|c| c.value).collect::<Vec<_>>();
        assert_eq!(values("Error 501: stok 5"), vec![5]);
        assert_eq!(values("HTTP 429 at 14:02, E0501, KNT063, (12)"), vec![12]);
        assert_eq!(values("stok: 1.500 pcs"), vec![1500]);
        let ids = candidates("item 23938491611");
        assert!(ids[0].id && ids[0].value == 23938491611);
    }

    #[test]
    fn concept_words_match_as_whole_words_and_thai_words_anywhere() {
        let concepts = &catalog().concepts;
        let stock = &concepts["stock"];
        assert!(!stock.is_in("stokis resmi"));
        assert_eq!(stock.find("stok stok"), vec![(0, 4), (5, 9)]);
        assert_eq!(stock.find("(stok)"), vec![(1, 5)]);
        // A word of one language is not cut short by a shorter word of another.
        let campaign = &concepts["campaign"];
        assert_eq!(campaign.find("stok promosi (10)"), vec![(5, 12)]);
        let thai = "สต็อกแคมเปญ";
        assert!(stock.is_in(thai) && campaign.is_in(thai));
        assert!(concepts["bound"].is_in("phải lớn hơn số lượng"));
        assert!(!concepts["bound"].is_in("lớnhơn"));
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
