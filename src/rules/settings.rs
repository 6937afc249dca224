//! What a run checks and how strictly: rule selection, severities, rule
//! parameters, channel profiles and the seller's own rules.

use std::collections::BTreeMap;

use crate::diagnostic::Severity;
use crate::rules::{self, CustomRule};
use crate::table::ChannelProfile;
use crate::table::columns::Channel;

/// The level at which findings make the run fail (exit code 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Info => true,
            FailOn::Never => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// Codes or prefixes (`SKU`, `DUP001`, `ALL`).
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Severity overrides, by code or prefix (the longest match wins).
    pub severity: BTreeMap<String, Severity>,
    pub fail_on: FailOn,
    /// `[rules.sku-too-long] max-length`: overrides the channel's limit.
    pub max_sku_length: Option<usize>,
    /// `[rules.oversell-risk] safety-stock`: for master rows without a safety stock.
    pub safety_stock: i64,
    /// Channel profiles changed by `[channels.NAME]`; the others are as shipped.
    pub profiles: BTreeMap<Channel, ChannelProfile>,
    /// `[[custom-rules]]`.
    pub custom_rules: Vec<CustomRule>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            select: vec!["ALL".into()],
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            fail_on: FailOn::Error,
            max_sku_length: None,
            safety_stock: 0,
            profiles: BTreeMap::new(),
            custom_rules: Vec::new(),
        }
    }
}

/// A `--select`/`--ignore` entry that names no rule.
#[derive(Debug, thiserror::Error)]
#[error("unknown rule code or prefix {0:?}; see `skulint rules` for the list")]
pub struct UnknownSelector(pub String);

impl Settings {
    /// Checks that every selector names at least one rule.
    pub fn validate(&self) -> Result<(), UnknownSelector> {
        for selector in self
            .select
            .iter()
            .chain(&self.ignore)
            .chain(self.severity.keys())
        {
            if !self.knows(selector) {
                return Err(UnknownSelector(selector.clone()));
            }
        }
        Ok(())
    }

    /// Every code of this run: the built-in rules, then the custom ones.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        rules::codes().chain(self.custom_rules.iter().map(|r| r.code))
    }

    /// Whether a selector names at least one rule of this run.
    pub fn knows(&self, selector: &str) -> bool {
        self.codes().any(|code| matches(selector, code))
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.select.iter().any(|s| matches(s, code))
            && !self.ignore.iter().any(|s| matches(s, code))
    }

    pub fn severity_of(&self, code: &str, default: Severity) -> Severity {
        self.severity
            .iter()
            .filter(|(selector, _)| matches(selector, code))
            .max_by_key(|(selector, _)| {
                // `ALL` is the least specific selector.
                if selector.trim().eq_ignore_ascii_case("ALL") {
                    0
                } else {
                    selector.trim().len()
                }
            })
            .map(|(_, severity)| *severity)
            .unwrap_or(default)
    }

    /// The profile of a channel, with the `[channels.NAME]` changes of the configuration.
    pub fn profile(&self, channel: Channel) -> &ChannelProfile {
        self.profiles
            .get(&channel)
            .unwrap_or_else(|| channel.profile())
    }
}

/// Whether a selector (`ALL`, a prefix such as `SKU`, or a code) covers `code`.
pub fn matches(selector: &str, code: &str) -> bool {
    let selector = selector.trim();
    selector.eq_ignore_ascii_case("ALL")
        || (!selector.is_empty() && code.starts_with(&selector.to_ascii_uppercase()))
}
