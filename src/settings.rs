//! What a run checks and how strictly: rule selection, severities and rule parameters.

use std::collections::BTreeMap;

use crate::diagnostic::Severity;
use crate::rules;

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
    /// Per-code severity overrides.
    pub severity: BTreeMap<String, Severity>,
    pub fail_on: FailOn,
    /// `[rules.sku-too-long] max-length`: overrides the channel's limit.
    pub max_sku_length: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            select: vec!["ALL".into()],
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            fail_on: FailOn::Error,
            max_sku_length: None,
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
            if !rules::RULES.iter().any(|rule| matches(selector, rule.code)) {
                return Err(UnknownSelector(selector.clone()));
            }
        }
        Ok(())
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.select.iter().any(|s| matches(s, code))
            && !self.ignore.iter().any(|s| matches(s, code))
    }

    pub fn severity_of(&self, code: &str, default: Severity) -> Severity {
        self.severity.get(code).copied().unwrap_or(default)
    }
}

fn matches(selector: &str, code: &str) -> bool {
    let selector = selector.trim();
    selector.eq_ignore_ascii_case("ALL")
        || (!selector.is_empty() && code.starts_with(&selector.to_ascii_uppercase()))
}
