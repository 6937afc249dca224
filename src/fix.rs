//! Fixing: composing the fixes of each cell into one new value, refusing any fix
//! that would create a duplicate, and applying the rest to a workbook.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, column_letter};
use crate::table::layout::parse_number;
use crate::table::{Role, Table, Value, Workbook};
use crate::text::{lookalike_fix, near_duplicate_key, nfkc_fix, safe_fix, visible};

/// One cell that `fix` changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub file: Arc<str>,
    pub sheet: Arc<str>,
    /// 0-based row and column.
    pub row: usize,
    pub col: usize,
    #[serde(skip)]
    pub role: Role,
    pub old: String,
    pub new: String,
    /// The rules whose fixes made the new value, in code order.
    pub codes: Vec<&'static str>,
}

impl Change {
    pub fn cell(&self) -> String {
        format!("{}{}", column_letter(self.col as u32), self.row + 1)
    }
}

/// The new value of a cell after the fixes of `codes`: the safe ones composed in
/// one pass (invisibles → NFC → trim → collapse), then the unsafe ones.
pub fn compose(old: &str, codes: &[&str]) -> String {
    let mut value = safe_fix(old);
    if codes.contains(&"SKU005") {
        value = nfkc_fix(&value);
    }
    if codes.contains(&"SKU006") {
        value = lookalike_fix(&value);
    }
    value
}

/// Plans the changes for the tables of one workbook. A fix that would make a SKU
/// (or parent SKU) equal, after normalization, to a different SKU of the same
/// shop, or to another fixed one, is not applied: its findings become `blocked`
/// and name the colliding cell.
pub fn plan(tables: &[Table], diagnostics: &mut [Diagnostic], unsafe_fixes: bool) -> Vec<Change> {
    let applies = |d: &Diagnostic| match &d.fix {
        Some(fix) => {
            fix.applicability == Applicability::Safe
                || (unsafe_fixes && fix.applicability == Applicability::Unsafe)
        }
        None => false,
    };
    // (sheet, row, col) → codes to apply
    let mut cells: BTreeMap<(Arc<str>, usize, usize), Vec<&'static str>> = BTreeMap::new();
    for d in diagnostics.iter().filter(|d| applies(d)) {
        cells
            .entry((d.sheet.clone(), d.row as usize - 1, d.col_index as usize))
            .or_default()
            .push(d.code);
    }
    let mut changes = Vec::new();
    let mut blocked: BTreeMap<(Arc<str>, usize, usize), String> = BTreeMap::new();
    for table in tables {
        for role in [Role::Sku, Role::ParentSku] {
            let Some(col) = table.column(role) else {
                continue;
            };
            let mut candidates: Vec<Change> = Vec::new();
            let formulas: BTreeSet<(usize, usize)> = table
                .sheet
                .formulas
                .iter()
                .map(|f| (f.row as usize, f.col as usize))
                .collect();
            for &row in &table.data_rows {
                let Some(codes) = cells.get(&(table.sheet.name.clone(), row, col)) else {
                    continue;
                };
                let old = table.text(row, role);
                let new = compose(&old, codes);
                let refusal = if new == old {
                    continue;
                } else if formulas.contains(&(row, col)) {
                    Some(
                        "not applied: the cell is computed by a formula; fix the formula instead"
                            .to_string(),
                    )
                } else if new.is_empty() {
                    Some("not applied: nothing would be left of the SKU; type it again".to_string())
                } else {
                    None
                };
                if let Some(note) = refusal {
                    blocked.insert((table.sheet.name.clone(), row, col), note);
                    continue;
                }
                {
                    let mut codes = codes.clone();
                    codes.sort();
                    codes.dedup();
                    candidates.push(Change {
                        file: table.file.clone(),
                        sheet: table.sheet.name.clone(),
                        row,
                        col,
                        role,
                        old,
                        new,
                        codes,
                    });
                }
            }
            if candidates.is_empty() {
                continue;
            }
            // Every value of the column after the fixes, by shop and normalized key.
            let fixed: BTreeMap<usize, &str> =
                candidates.iter().map(|c| (c.row, c.new.as_str())).collect();
            let mut keys: BTreeMap<(String, String), Vec<(usize, String)>> = BTreeMap::new();
            for &row in &table.data_rows {
                let old = table.text(row, role);
                if old.is_empty() {
                    continue;
                }
                let value = fixed
                    .get(&row)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| old.clone());
                keys.entry((
                    table.text(row, Role::Shop).trim().to_string(),
                    near_duplicate_key(&value),
                ))
                .or_default()
                .push((row, old));
            }
            for change in candidates {
                let key = (
                    table.text(change.row, Role::Shop).trim().to_string(),
                    near_duplicate_key(&change.new),
                );
                let collision = keys[&key].iter().find(|(_, other)| *other != change.old);
                match collision {
                    Some((row, other)) => {
                        let note = format!(
                            "not applied: `{}` would duplicate {}{} `{}`",
                            visible(&change.new),
                            column_letter(col as u32),
                            row + 1,
                            visible(other)
                        );
                        blocked.insert((change.sheet.clone(), change.row, change.col), note);
                    }
                    None => changes.push(change),
                }
            }
        }
    }
    for d in diagnostics.iter_mut().filter(|d| applies(d)) {
        if let Some(note) =
            blocked.get(&(d.sheet.clone(), d.row as usize - 1, d.col_index as usize))
            && let Some(fix) = &mut d.fix
        {
            fix.applicability = Applicability::Blocked;
            fix.note = Some(note.clone());
        }
    }
    changes
}

/// The workbook with the changes applied (only the changed cells differ).
pub fn apply(workbook: &Workbook, changes: &[Change]) -> Workbook {
    let mut fixed = workbook.clone();
    for change in changes {
        if let Some(sheet) = fixed.sheets.iter_mut().find(|s| s.name == change.sheet)
            && let Some(cell) = sheet
                .rows
                .get_mut(change.row)
                .and_then(|r| r.get_mut(change.col))
        {
            *cell = Value::Text(change.new.clone());
        }
    }
    fixed
}

/// One line of the resync plan: a SKU that changed, with what the channel client needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResyncEntry {
    pub channel: &'static str,
    pub file: Arc<str>,
    pub sheet: Arc<str>,
    /// 1-based.
    pub row: usize,
    pub product_id: Option<String>,
    pub variation_id: Option<String>,
    pub old_sku: String,
    pub new_sku: String,
    pub stock: Option<i64>,
}

/// The resync plan of the SKU changes (parent SKU changes need no resync of stock).
pub fn resync_entries(tables: &[Table], changes: &[Change]) -> Vec<ResyncEntry> {
    let non_empty = |text: String| {
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    changes
        .iter()
        .filter(|c| c.role == Role::Sku)
        .filter_map(|change| {
            let table = tables.iter().find(|t| t.sheet.name == change.sheet)?;
            let stock = parse_number(table.value(change.row, Role::Stock))
                .filter(|n| n.fract() == 0.0 && *n >= 0.0)
                .map(|n| n as i64);
            Some(ResyncEntry {
                channel: table.channel.key(),
                file: change.file.clone(),
                sheet: change.sheet.clone(),
                row: change.row + 1,
                product_id: non_empty(table.text(change.row, Role::ProductId)),
                variation_id: non_empty(table.text(change.row, Role::VariationId)),
                old_sku: change.old.clone(),
                new_sku: change.new.clone(),
                stock,
            })
        })
        .collect()
}
