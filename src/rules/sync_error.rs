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
    if table.column(Role::SyncStatus).is_none() {
        return Vec::new();
    }
    // A generic export says nothing about which API errors to expect.
    let channel = (table.channel != Channel::Generic).then_some(table.channel);
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
            if diagnosis.needs_sku() && !sku.is_empty() {
                let findings = super::sku_findings(&sku, table.channel);
                diagnosis = diagnosis.with_sku(sku, findings);
            }
            let cause = diagnosis.cause;
            let mut about = cause.id.clone();
            if !diagnosis.numbers.is_empty() {
                about = format!("{about}, {}", diagnosis.numbers_text());
            }
            let message = format!("sync failed: {} [{about}]; {}", cause.title, cause.action);
            let mut diagnostic = finding(table, "SYN001", row, Role::SyncStatus, message);
            diagnostic.severity = cause.severity;
            Some(diagnostic)
        })
        .collect()
}
