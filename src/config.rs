//! `skulint.toml`: a project's settings, found from the working directory upward
//! or named with `--config`. Strict: an unknown key or a bad value is an error
//! that names the file, the line and the key, so a typo never silently does nothing.
//!
//! Command-line flags override the file; the merging happens at the command layer.

use std::collections::BTreeMap;
use std::io::Read;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Path, PathBuf};

use regex::RegexBuilder;
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::rules::settings::{FailOn, matches};
use crate::rules::{self, CustomRule};
use crate::table::columns::{Channel, ChannelChoice};
use crate::table::{ChannelProfile, Role};

/// The file looked for in the working directory and its parents.
pub const FILE_NAME: &str = "skulint.toml";

/// A configuration file, checked and ready to apply.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub fail_on: Option<FailOn>,
    pub channel: Option<ChannelChoice>,
    /// Code or prefix → severity.
    pub severity: BTreeMap<String, Severity>,
    /// Role → header text or column letter.
    pub columns: BTreeMap<Role, String>,
    /// `[rules.sku-too-long] max-length`.
    pub max_sku_length: Option<usize>,
    /// `[rules.oversell-risk] safety-stock`.
    pub safety_stock: Option<i64>,
    /// The channel profiles that `[channels.NAME]` changes.
    pub profiles: BTreeMap<Channel, ChannelProfile>,
    pub custom_rules: Vec<CustomRule>,
    /// `[credentials]`: a `SKULINT_…` variable of `resync` → the variable to read instead.
    pub credentials: BTreeMap<String, String>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `key` is the dotted path of the offending key (`rules.sku-too-long.max-length`).
    #[error(
        "the configuration {path} is larger than 1 MiB; a skulint.toml is a few kilobytes: is it the right file?"
    )]
    TooLarge { path: String },
    #[error("{path}:{line}:{column}: {}{message}", key_prefix(.key))]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

// ---------------------------------------------------------------------------
// The file as written. Every table denies unknown keys.

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    fail_on: Option<FailOn>,
    channel: Option<ChannelChoice>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Severity>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    rules: RawRuleParams,
    #[serde(default)]
    channels: RawChannels,
    #[serde(default)]
    custom_rules: Vec<RawCustomRule>,
    #[serde(default)]
    credentials: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// `[rules.<rule-name>]`: the parameters documented in `rules/rules.toml`
/// (a test keeps the two in lockstep).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRuleParams {
    sku_too_long: Option<SkuTooLongParams>,
    oversell_risk: Option<OversellRiskParams>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct SkuTooLongParams {
    max_length: Option<NonZeroUsize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct OversellRiskParams {
    safety_stock: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawChannels {
    shopee: Option<ChannelOverride>,
    lazada: Option<ChannelOverride>,
    tiktok: Option<ChannelOverride>,
    generic: Option<ChannelOverride>,
}

/// `[channels.NAME]`: the profile values a seller may change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ChannelOverride {
    max_sku_length: Option<NonZeroUsize>,
    rejected_characters: Option<String>,
    spaces_allowed: Option<bool>,
    case_sensitive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCustomRule {
    code: Spanned<String>,
    name: Spanned<String>,
    pattern: Option<Spanned<String>>,
    require: Option<Spanned<String>>,
    column: Option<Spanned<String>>,
    message: Spanned<String>,
    severity: Option<Severity>,
}

// ---------------------------------------------------------------------------

/// Finds the configuration: `explicit` if given (it must exist), else the first
/// `skulint.toml` in the working directory or one of its parents.
pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    let (path, shown) = match explicit {
        Some(path) => (path.to_path_buf(), path.to_path_buf()),
        None => {
            let Ok(cwd) = std::env::current_dir() else {
                return Ok(None);
            };
            let Some(found) = discover(&cwd) else {
                return Ok(None);
            };
            let shown = found
                .strip_prefix(&cwd)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| found.clone());
            (found, shown)
        }
    };
    let read_error = |source| ConfigError::Read {
        path: shown.display().to_string(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|file| file.take(MAX_CONFIG_SIZE + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_CONFIG_SIZE {
        return Err(ConfigError::TooLarge {
            path: shown.display().to_string(),
        });
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    parse(&shown, &text).map(Some)
}

/// The largest compiled form of one custom rule's regular expression, and of
/// the cache its matching builds.
const MAX_RULE_REGEX_SIZE: usize = 1 << 20;

/// The most custom rules a configuration may hold: with
/// [`MAX_RULE_REGEX_SIZE`], their memory stays bounded.
const MAX_CUSTOM_RULES: usize = 100;

/// The largest configuration file read: a real one is a few kilobytes.
pub const MAX_CONFIG_SIZE: u64 = 1 << 20;

/// The first `skulint.toml` in `dir` or one of its parents, up to the root of
/// the repository `dir` is in or the home folder, whichever comes first. Outside
/// both, only `dir` itself: a `skulint.toml` in a shared folder above (`/tmp`)
/// must not apply to everyone below it.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .and_then(|h| h.canonicalize().ok());
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut searched = Vec::new();
    let mut bounded = false;
    for folder in dir.ancestors() {
        searched.push(folder);
        if folder.join(".git").exists() || home.as_deref() == Some(folder) {
            bounded = true;
            break;
        }
    }
    if !bounded {
        searched.truncate(1);
    }
    searched
        .into_iter()
        .map(|d| d.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Parses and checks a configuration; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let at = |span: Option<Range<usize>>, key: &str, message: &str| {
        let (line, column) = span
            .map(|s| line_and_column(text, s.start))
            .unwrap_or((1, 1));
        ConfigError::Invalid {
            path: path.display().to_string(),
            line,
            column,
            key: key.to_string(),
            message: one_line(message),
        }
    };
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| at(e.span(), "", e.message()))?;
    let raw: RawConfig = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        at(e.inner().span(), &key, e.inner().message())
    })?;
    let checked = Checker { at: &at }.check(raw)?;
    Ok(Config {
        path: path.to_path_buf(),
        ..checked
    })
}

type At<'a> = &'a dyn Fn(Option<Range<usize>>, &str, &str) -> ConfigError;

/// The checks serde cannot do: codes, roles and regexes that must exist or compile.
struct Checker<'a> {
    at: At<'a>,
}

impl Checker<'_> {
    fn error<T>(&self, spanned: &Spanned<T>, key: &str, message: &str) -> ConfigError {
        (self.at)(Some(spanned.span()), key, message)
    }

    fn check(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        if let Some(rule) = raw.custom_rules.get(MAX_CUSTOM_RULES) {
            return Err(self.error(
                &rule.code,
                "custom-rules",
                &format!("at most {MAX_CUSTOM_RULES} custom rules; join patterns with `|`"),
            ));
        }
        let custom_rules = raw
            .custom_rules
            .iter()
            .enumerate()
            .map(|(index, rule)| self.custom_rule(index, rule, &raw.custom_rules[..index]))
            .collect::<Result<Vec<_>, _>>()?;
        let known = |selector: &str| {
            rules::codes()
                .chain(custom_rules.iter().map(|r| r.code))
                .any(|code| matches(selector, code))
        };
        let selectors = |list: Option<Vec<Spanned<String>>>, key: &str| {
            list.map(|list| {
                list.into_iter()
                    .map(|s| {
                        if known(s.get_ref()) {
                            Ok(s.into_inner())
                        } else {
                            Err(self.error(&s, key, &unknown_selector(s.get_ref())))
                        }
                    })
                    .collect::<Result<Vec<String>, _>>()
            })
            .transpose()
        };
        let select = selectors(raw.select, "select")?;
        let ignore = selectors(raw.ignore, "ignore")?;
        let mut severity = BTreeMap::new();
        for (selector, level) in raw.severity {
            if !known(selector.get_ref()) {
                return Err(self.error(
                    &selector,
                    &format!("severity.{}", selector.get_ref()),
                    &unknown_selector(selector.get_ref()),
                ));
            }
            severity.insert(selector.into_inner(), level);
        }
        let mut columns = BTreeMap::new();
        for (role, given) in raw.columns {
            let key = format!("columns.{}", role.get_ref());
            let Some(parsed) = Role::from_key(role.get_ref()) else {
                return Err(self.error(&role, &key, &unknown_role(role.get_ref())));
            };
            if given.get_ref().trim().is_empty() {
                return Err(self.error(&given, &key, "give the header text or the column letter"));
            }
            columns.insert(parsed, given.into_inner());
        }
        let mut profiles = BTreeMap::new();
        for (channel, change) in [
            (Channel::Shopee, raw.channels.shopee),
            (Channel::Lazada, raw.channels.lazada),
            (Channel::Tiktok, raw.channels.tiktok),
            (Channel::Generic, raw.channels.generic),
        ] {
            if let Some(change) = change {
                profiles.insert(channel, change.apply(channel.profile()));
            }
        }
        let mut credentials = BTreeMap::new();
        for (variable, read) in raw.credentials {
            let key = format!("credentials.{}", variable.get_ref());
            if !crate::channel::VARIABLES.contains(&variable.get_ref().as_str()) {
                return Err(self.error(
                    &variable,
                    &key,
                    &format!(
                        "not a credential variable of resync; expected one of {}",
                        crate::channel::VARIABLES.join(", ")
                    ),
                ));
            }
            let name = read.get_ref();
            let is_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !is_name {
                // The value is not echoed: it may be the secret itself.
                return Err(self.error(
                    &read,
                    &key,
                    "give the name of the environment variable to read (letters, digits, _), never the secret itself",
                ));
            }
            credentials.insert(variable.into_inner(), read.into_inner());
        }
        Ok(Config {
            path: PathBuf::new(),
            credentials,
            select,
            ignore,
            fail_on: raw.fail_on,
            channel: raw.channel,
            severity,
            columns,
            max_sku_length: raw
                .rules
                .sku_too_long
                .and_then(|p| p.max_length)
                .map(NonZeroUsize::get),
            safety_stock: raw
                .rules
                .oversell_risk
                .and_then(|p| p.safety_stock)
                .map(i64::from),
            profiles,
            custom_rules,
        })
    }

    fn custom_rule(
        &self,
        index: usize,
        rule: &RawCustomRule,
        earlier: &[RawCustomRule],
    ) -> Result<CustomRule, ConfigError> {
        let key = |field: &str| format!("custom-rules[{index}].{field}");
        let code = rule.code.get_ref().trim();
        let well_formed = code.len() > 1
            && code.starts_with('X')
            && code[1..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(self.error(
                &rule.code,
                &key("code"),
                &format!("`{code}`: a custom rule code is X followed by digits, such as X001"),
            ));
        }
        if rules::codes().any(|built_in| matches(code, built_in) || built_in == code) {
            return Err(self.error(
                &rule.code,
                &key("code"),
                &format!("`{code}` would select built-in rules; choose another code"),
            ));
        }
        if earlier.iter().any(|r| r.code.get_ref().trim() == code) {
            return Err(self.error(
                &rule.code,
                &key("code"),
                &format!("`{code}` is used by an earlier custom rule"),
            ));
        }
        let name = rule.name.get_ref().trim();
        let kebab = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            return Err(self.error(
                &rule.name,
                &key("name"),
                &format!(
                    "`{name}`: a rule name is lowercase words joined by `-`, such as test-sku"
                ),
            ));
        }
        if rules::find_doc(name).is_some()
            || earlier.iter().any(|r| r.name.get_ref().trim() == name)
        {
            return Err(self.error(
                &rule.name,
                &key("name"),
                &format!("`{name}` is already the name of another rule"),
            ));
        }
        let (source, require) = match (&rule.pattern, &rule.require) {
            (Some(pattern), None) => (pattern, false),
            (None, Some(required)) => (required, true),
            (Some(_), Some(required)) => {
                return Err(self.error(
                    required,
                    &key("require"),
                    "give either `pattern` (a finding where it matches) or `require` (a finding where it does not), not both",
                ));
            }
            (None, None) => {
                return Err(self.error(
                    &rule.code,
                    &key("pattern"),
                    "a custom rule needs `pattern = \"REGEX\"` (a finding where it matches) or `require = \"REGEX\"` (a finding where it does not)",
                ));
            }
        };
        let field = if require { "require" } else { "pattern" };
        // A custom rule is a short pattern; a size limit keeps one such as
        // `\w{1000}` (megabytes of Unicode classes, compiled) from costing
        // gigabytes across a few hundred rules.
        let regex = RegexBuilder::new(source.get_ref())
            .size_limit(MAX_RULE_REGEX_SIZE)
            .dfa_size_limit(MAX_RULE_REGEX_SIZE)
            .build()
            .map_err(|e| {
                let message = match e {
                    regex::Error::CompiledTooBig(_) => format!(
                        "the regular expression is too large once compiled (over {} KiB); shorten its repetitions, or match ASCII only with [A-Za-z0-9_] in place of \\w",
                        MAX_RULE_REGEX_SIZE >> 10
                    ),
                    e => format!("invalid regular expression: {e}"),
                };
                self.error(source, &key(field), &message)
            })?;
        let role = match &rule.column {
            None => Role::Sku,
            Some(column) => Role::from_key(column.get_ref()).ok_or_else(|| {
                self.error(column, &key("column"), &unknown_role(column.get_ref()))
            })?,
        };
        if rule.message.get_ref().trim().is_empty() {
            return Err(self.error(
                &rule.message,
                &key("message"),
                "say what is wrong, for the report",
            ));
        }
        // The configuration lives as long as the process; its rules are named
        // like the built-in ones, with `'static` text.
        Ok(CustomRule {
            code: Box::leak(code.to_string().into_boxed_str()),
            name: Box::leak(name.to_string().into_boxed_str()),
            regex,
            require,
            role,
            message: rule.message.get_ref().trim().to_string(),
            severity: rule.severity.unwrap_or(Severity::Warning),
        })
    }
}

impl ChannelOverride {
    fn apply(self, shipped: &ChannelProfile) -> ChannelProfile {
        let mut profile = shipped.clone();
        if let Some(limit) = self.max_sku_length {
            profile.max_sku_length = Some(limit.get());
        }
        if let Some(rejected) = self.rejected_characters {
            profile.rejected_characters = rejected;
        }
        if let Some(allowed) = self.spaces_allowed {
            profile.spaces_allowed = allowed;
        }
        if let Some(sensitive) = self.case_sensitive {
            profile.case_sensitive = sensitive;
        }
        profile
    }
}

fn unknown_selector(selector: &str) -> String {
    format!("unknown rule code or prefix `{selector}`; see `skulint rules` for the list")
}

fn unknown_role(role: &str) -> String {
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
    format!(
        "unknown column role `{role}`; the roles are {}",
        roles.join(", ")
    )
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("skulint.toml"), text)
    }

    fn error(text: &str) -> String {
        parse_str(text)
            .expect_err("the configuration is refused")
            .to_string()
    }

    #[test]
    fn the_design_example_is_accepted() {
        let config = parse_str(
            r#"
select = ["ALL"]
ignore = ["SKU010"]
fail-on = "error"
channel = "auto"
[severity]
SKU004 = "error"
[columns]
sku = "Seller SKU"
[rules.sku-too-long]
max-length = 60
[rules.oversell-risk]
safety-stock = 2
[channels.shopee]
max-sku-length = 120
[[custom-rules]]
code = "X001"
name = "test-sku"
pattern = "^TEST-"
column = "sku"
message = "test SKUs must not be listed"
severity = "error"
"#,
        )
        .unwrap();
        assert_eq!(config.ignore, Some(vec!["SKU010".to_string()]));
        assert_eq!(config.severity["SKU004"], Severity::Error);
        assert_eq!(config.columns[&Role::Sku], "Seller SKU");
        assert_eq!(config.max_sku_length, Some(60));
        assert_eq!(config.safety_stock, Some(2));
        assert_eq!(config.profiles[&Channel::Shopee].max_sku_length, Some(120));
        assert_eq!(config.custom_rules[0].code, "X001");
        assert_eq!(config.custom_rules[0].severity, Severity::Error);
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        for (text, expected) in [
            (
                "select = [\"SKU\"]\nselec = [\"ALL\"]\n",
                "skulint.toml:2:1: selec: unknown field `selec`",
            ),
            (
                "fail-on = \"sometimes\"\n",
                "skulint.toml:1:11: fail-on: unknown variant `sometimes`",
            ),
            (
                "[rules.sku-too-long]\nmax-length = 0\n",
                "skulint.toml:2:14: rules.sku-too-long.max-length:",
            ),
            (
                "[rules.sku-to-long]\nmax-length = 9\n",
                "skulint.toml:1:8: rules.sku-to-long: unknown field `sku-to-long`",
            ),
            (
                "[rules.oversell-risk]\nsafety-stock = -1\n",
                "skulint.toml:2:16: rules.oversell-risk.safety-stock:",
            ),
            (
                "[channels.shopee]\nmax-sku = 1\n",
                "skulint.toml:2:1: channels.shopee.max-sku: unknown field",
            ),
            (
                "[channels.ebay]\n",
                "skulint.toml:1:11: channels.ebay: unknown field `ebay`",
            ),
            (
                "ignore = [\"SKU010\", \"SKX\"]\n",
                "skulint.toml:1:21: ignore: unknown rule code or prefix `SKX`",
            ),
            (
                "\n[severity]\nSKU099 = \"error\"\n",
                "skulint.toml:3:1: severity.SKU099: unknown rule code",
            ),
            (
                "[columns]\nskus = \"A\"\n",
                "skulint.toml:2:1: columns.skus: unknown column role `skus`",
            ),
            ("select = [\n", "skulint.toml:1:11: unclosed array"),
        ] {
            let message = error(text);
            assert!(
                message.starts_with(expected),
                "{message}\n  expected: {expected}"
            );
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn custom_rules_are_checked() {
        let rule = |body: &str| format!("[[custom-rules]]\n{body}\nmessage = \"m\"\n");
        for (body, expected) in [
            (
                "code = \"SKU011\"\nname = \"a\"\npattern = \"x\"",
                "custom-rules[0].code: `SKU011`: a custom rule code is X followed by digits",
            ),
            (
                "code = \"X1\"\nname = \"Bad Name\"\npattern = \"x\"",
                "custom-rules[0].name:",
            ),
            (
                "code = \"X1\"\nname = \"duplicate-sku\"\npattern = \"x\"",
                "`duplicate-sku` is already the name of another rule",
            ),
            (
                "code = \"X1\"\nname = \"a\"\npattern = \"(\"",
                "custom-rules[0].pattern: invalid regular expression",
            ),
            (
                "code = \"X1\"\nname = \"a\"",
                "custom-rules[0].pattern: a custom rule needs",
            ),
            (
                "code = \"X1\"\nname = \"a\"\npattern = \"x\"\nrequire = \"y\"",
                "custom-rules[0].require: give either",
            ),
            (
                "code = \"X1\"\nname = \"a\"\npattern = \"x\"\ncolumn = \"skus\"",
                "custom-rules[0].column: unknown column role",
            ),
            (
                "code = \"X1\"\nname = \"a\"\npattern = \"x\"\ncolour = \"red\"",
                "custom-rules[0].colour: unknown field",
            ),
        ] {
            let message = error(&rule(body));
            assert!(
                message.contains(expected),
                "{message}\n  expected: {expected}"
            );
        }
        let twice = format!(
            "{}{}",
            rule("code = \"X1\"\nname = \"a\"\npattern = \"x\""),
            rule("code = \"X1\"\nname = \"b\"\npattern = \"x\"")
        );
        assert!(
            error(&twice).contains("custom-rules[1].code: `X1` is used by an earlier custom rule")
        );
    }

    #[test]
    fn selectors_may_name_custom_rules() {
        let config = parse_str(
            "select = [\"X\", \"SKU001\"]\n[severity]\nX7 = \"error\"\n[[custom-rules]]\ncode = \"X7\"\nname = \"no-test\"\nrequire = \"^[A-Z]\"\nmessage = \"m\"\n",
        )
        .unwrap();
        assert_eq!(config.select, Some(vec!["X".into(), "SKU001".into()]));
        assert!(config.custom_rules[0].require);
    }

    #[test]
    fn every_documented_parameter_is_a_config_key() {
        for doc in rules::catalog() {
            for param in &doc.params {
                let text = format!("[rules.{}]\n{} = 3\n", doc.name, param.name);
                assert!(
                    parse_str(&text).is_ok(),
                    "{} {}: {:?}",
                    doc.code,
                    param.name,
                    parse_str(&text).err()
                );
            }
            if doc.params.is_empty() {
                let text = format!("[rules.{}]\n", doc.name);
                assert!(
                    parse_str(&text).is_err(),
                    "{} has no documented parameters but the config accepts [rules.{}]",
                    doc.code,
                    doc.name
                );
            }
        }
    }
}
