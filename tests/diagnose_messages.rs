//! The message corpus of `tests/diagnose/messages.toml`: sync-error messages as
//! sellers get them, in English, Indonesian, Malay, Filipino, Vietnamese and
//! Thai and as raw API bodies, each with the cause and the numbers `diagnose`
//! must give. Every message is also tried as a seller pastes it: behind a copy
//! prefix, with HTML entities, with line breaks. One test runs them all and
//! reports every mismatch at once.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use skulint::diagnose::{catalog, classify};
use skulint::table::columns::Channel;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    message: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    lang: String,
    channel: Option<String>,
    text: String,
    cause: String,
    #[serde(default)]
    numbers: BTreeMap<String, i64>,
    /// `false`: no pattern may claim the message (it falls back to `unknown`).
    #[serde(default = "yes")]
    recognized: bool,
}

fn yes() -> bool {
    true
}

const LANGUAGES: [&str; 7] = ["en", "id", "ms", "tl", "vi", "th", "api"];

fn corpus() -> Vec<Message> {
    let text = std::fs::read_to_string("tests/diagnose/messages.toml").unwrap();
    toml::from_str::<Corpus>(&text)
        .unwrap_or_else(|e| panic!("tests/diagnose/messages.toml: {e}"))
        .message
}

fn channel(key: &str) -> Channel {
    Channel::ALL
        .into_iter()
        .find(|c| c.key() == key)
        .unwrap_or_else(|| panic!("unknown channel {key}"))
}

/// The message behind the prefix a chat or a tool's log adds when it is copied.
fn with_prefix(text: &str) -> String {
    format!("[Shop Official] 14:02 · {text}")
}

/// The message as it arrives from a web page or an HTML e-mail: `&`, quotes
/// and apostrophes as references, spaces as `&nbsp;`.
fn with_entities(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&quot;")
        .replacen(' ', "&nbsp;", 3)
}

/// The message broken over lines as a cell or a chat wraps it; a JSON body is
/// pretty-printed instead (a line break inside a JSON string would break it).
fn with_line_breaks(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        text.replace(",\"", ",\n  \"").replace('{', "{\n  ")
    } else {
        text.replace(". ", ".\r\n")
            .replace(", ", ",\n")
            .replace(": ", ":\n")
    }
}

#[test]
fn every_message_of_the_corpus_gets_its_cause_and_numbers() {
    let messages = corpus();
    let mut mismatches = Vec::new();
    let mut tried = 0;
    for message in &messages {
        let given = message.channel.as_deref().map(channel);
        let variants: [(&str, String); 4] = [
            ("as given", message.text.clone()),
            ("with a copy prefix", with_prefix(&message.text)),
            ("with HTML entities", with_entities(&message.text)),
            ("with line breaks", with_line_breaks(&message.text)),
        ];
        for (how, text) in variants {
            tried += 1;
            let d = classify(&text, given);
            if d.cause.id != message.cause
                || d.recognized != message.recognized
                || d.numbers != message.numbers
            {
                mismatches.push(format!(
                    "[{}] {how}: {:?}\n    expected {} {:?}\n    got      {}{} {:?}",
                    message.lang,
                    text,
                    message.cause,
                    message.numbers,
                    d.cause.id,
                    if d.recognized {
                        ""
                    } else {
                        " (not recognised)"
                    },
                    d.numbers
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {tried} messages mismatch:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn the_corpus_covers_every_cause_in_every_language() {
    let messages = corpus();
    assert!(messages.len() >= 120, "{} messages", messages.len());
    let ids: BTreeSet<&str> = catalog().causes.iter().map(|c| c.id.as_str()).collect();
    let mut missing = Vec::new();
    for message in &messages {
        assert!(ids.contains(message.cause.as_str()), "{}", message.cause);
        assert!(
            LANGUAGES.contains(&message.lang.as_str()),
            "{}",
            message.lang
        );
    }
    for cause in &ids {
        for lang in ["en", "id", "vi", "th"] {
            if !messages.iter().any(|m| m.cause == *cause && m.lang == lang) {
                missing.push(format!("{cause} × {lang}"));
            }
        }
    }
    assert!(missing.is_empty(), "no message for {}", missing.join(", "));
    for lang in ["ms", "tl"] {
        let causes: BTreeSet<&str> = messages
            .iter()
            .filter(|m| m.lang == lang)
            .map(|m| m.cause.as_str())
            .collect();
        assert!(causes.len() >= 8, "{lang}: only {causes:?}");
    }
    // Raw API bodies of every channel, given with the channel and without.
    for key in ["shopee", "lazada", "tiktok"] {
        let bodies = messages
            .iter()
            .filter(|m| m.lang == "api" && m.channel.as_deref() == Some(key))
            .count();
        assert!(bodies >= 5, "{key}: {bodies} API bodies");
    }
}
