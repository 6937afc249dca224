//! SYN001 sync-error: the row's sync-status cell holds a failure reason. The
//! finding names the cause from `rules/sync-errors.toml` and has its severity.

use std::collections::HashMap;

use super::finding;
use crate::diagnose::{self, Diagnosis};
use crate::diagnostic::Diagnostic;
use crate::rules::settings::Settings;
use crate::table::columns::Channel;
use crate::table::{Role, Table};

pub fn check(table: &Table, _settings: &Settings) -> Vec<Diagnostic> {
    // A generic export says nothing about which API errors to expect.
    let channel = (table.channel != Channel::Generic).then_some(table.channel);
    failures(table, channel, |row, diagnosis| {
        diagnosis
            .needs_sku()
            .then(|| super::sku_findings(&table.text(row, Role::Sku), table.channel))
    })
    .into_iter()
    .map(|(row, diagnosis)| {
        let cause = diagnosis.cause;
        let mut about = cause.id.clone();
        if !diagnosis.numbers.is_empty() {
            about = format!("{about}, {}", diagnosis.numbers_text());
        }
        let message = format!("sync failed: {} [{about}]; {}", cause.title, cause.action);
        let mut diagnostic = finding(table, "SYN001", row, Role::SyncStatus, message);
        diagnostic.severity = cause.severity;
        diagnostic
    })
    .collect()
}

/// The rows whose sync-status cell holds a failure, each with its diagnosis.
/// `sku_findings` gives the findings of a row's SKU (when it has one) that the
/// diagnosis weighs, or `None` to leave them out. SYN001 and `skulint diagnose
/// --file` both read failures this way.
pub fn failures(
    table: &Table,
    channel: Option<Channel>,
    mut sku_findings: impl FnMut(usize, &Diagnosis) -> Option<Vec<Diagnostic>>,
) -> Vec<(usize, Diagnosis)> {
    if table.column(Role::SyncStatus).is_none() {
        return Vec::new();
    }
    // Exports repeat a handful of reasons over thousands of rows: classify each once.
    let mut known: HashMap<String, Option<Diagnosis>> = HashMap::new();
    table
        .data_rows
        .iter()
        .filter_map(|&row| {
            let reason = table.str(row, Role::SyncStatus);
            // Most rows have no reason at all: no failure, and no need to look it up.
            if reason.trim().is_empty() {
                return None;
            }
            let mut diagnosis = known
                .entry(reason.into_owned())
                .or_insert_with_key(|reason| {
                    diagnose::is_failure(reason).then(|| diagnose::classify(reason, channel))
                })
                .clone()?;
            let sku = table.text(row, Role::Sku);
            if !sku.is_empty()
                && let Some(findings) = sku_findings(row, &diagnosis)
            {
                diagnosis = diagnosis.with_sku(sku, findings);
            }
            Some((row, diagnosis))
        })
        .collect()
}
