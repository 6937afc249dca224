//! Custom rules: a seller's own SKU conventions from `[[custom-rules]]` in
//! `skulint.toml`, each a regular expression over the cells of one column.

use regex::Regex;

use super::finding_as;
use crate::diagnostic::{Diagnostic, Severity};
use crate::table::{Role, Table};

/// A seller's rule. Its code and name are `'static` like the built-in ones: they
/// come from the configuration, which lives as long as the process.
#[derive(Clone, Debug)]
pub struct CustomRule {
    /// `X` followed by digits.
    pub code: &'static str,
    pub name: &'static str,
    pub regex: Regex,
    /// `true` (`require = "..."`): a finding where the cell does not match;
    /// `false` (`pattern = "..."`): a finding where it does.
    pub require: bool,
    /// The column the rule reads.
    pub role: Role,
    pub message: String,
    pub severity: Severity,
}

impl CustomRule {
    /// What the rule looks for, for `skulint rules` and `skulint explain`.
    pub fn describe(&self) -> String {
        let how = if self.require {
            "does not match"
        } else {
            "matches"
        };
        format!(
            "a {} cell that {how} /{}/",
            self.role.key(),
            self.regex.as_str()
        )
    }
}

/// Non-empty cells of the rule's column that break the convention. Empty cells
/// are left to SKU007 (empty-sku).
pub fn check(table: &Table, rule: &CustomRule) -> Vec<Diagnostic> {
    if table.column(rule.role).is_none() {
        return Vec::new();
    }
    table
        .data_rows
        .iter()
        .filter_map(|&row| {
            let text = table.text(row, rule.role);
            if text.is_empty() {
                return None;
            }
            // Empty when the rule requires a match: nothing to underline.
            let matches: Vec<(usize, usize)> = rule
                .regex
                .find_iter(&text)
                .map(|m| char_range(&text, m.start(), m.end()))
                .collect();
            let fires = rule.require != rule.regex.is_match(&text);
            fires.then(|| {
                let diagnostic = finding_as(
                    table,
                    rule.code,
                    rule.name,
                    rule.severity,
                    row,
                    rule.role,
                    rule.message.clone(),
                );
                diagnostic.with_highlight(matches)
            })
        })
        .collect()
}

/// Converts a byte range of `text` into a character range, for carets (an
/// empty match such as `^` gets none).
fn char_range(text: &str, start: usize, end: usize) -> (usize, usize) {
    let start_chars = text[..start].chars().count();
    (start_chars, start_chars + text[start..end].chars().count())
}
