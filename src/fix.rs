//! Fixing: composing the fixes of each cell into one new value, refusing any fix
//! that would create a duplicate, and applying the rest to a workbook.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, Edit, TextFix, column_letter};
use crate::plan::PlanEntry;
use crate::table::layout::parse_number;
use crate::table::{Role, Sheet, Table, Value, Workbook};
use crate::text::{near_duplicate_key, near_duplicate_key_into, starts_like_formula, visible};

/// (row in the file, column) → the codes and edits of the fixes that apply to that cell.
type CellEdits = HashMap<(usize, usize), Vec<(&'static str, Edit)>>;

/// A cell of one workbook: sheet position, row in the file, column.
type CellKey = (u32, usize, usize);

/// A shop and a normalized SKU: fixes must not make two SKUs of a shop equal.
type ShopKey<'t> = (Cow<'t, str>, String);

/// One cell that `fix` changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub file: Arc<str>,
    pub sheet: Arc<str>,
    /// 0-based position of the sheet in its workbook.
    #[serde(skip)]
    pub sheet_index: usize,
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

/// Marks the fixes of the cells whose changes were dropped because the cell
/// lies in an array formula's range (found when the workbook is patched) as
/// blocked, with the reason: the report after `fix` never offers them again.
pub fn block_formula_cells(diagnostics: &mut [Diagnostic], dropped: &[Change]) {
    if dropped.is_empty() {
        return;
    }
    let cells: HashSet<(usize, usize, usize)> = dropped
        .iter()
        .map(|c| (c.sheet_index, c.row, c.col))
        .collect();
    for d in diagnostics {
        let at = &d.location;
        if let Some(fix) = &mut d.fix
            && cells.contains(&(at.sheet_index as usize, at.row as usize, at.col as usize))
        {
            fix.applicability = Applicability::Blocked;
            fix.note = Some(
                "not applied: the cell is inside an array formula, which holds results only; fix the formula instead"
                    .to_string(),
            );
        }
    }
}

/// Whether a workbook is a CSV or TSV file, where a fix must not make a formula.
pub fn is_csv(workbook: &Workbook) -> bool {
    matches!(
        workbook.format,
        crate::table::Format::Csv | crate::table::Format::Tsv
    )
}

/// The new value of a cell after the text fixes `fixes`, each once, in
/// [`TextFix`] order: the safe normalization (invisibles → NFC → trim →
/// collapse), then the unsafe ones.
pub fn compose(old: &str, fixes: &[TextFix]) -> String {
    let fixes: BTreeSet<TextFix> = fixes.iter().copied().collect();
    let mut value = old.to_string();
    for fix in fixes {
        value = fix.apply(&value);
    }
    value
}

/// Plans the changes for the tables of one workbook. A fix that would make a SKU
/// (or parent SKU) equal, after normalization, to a different SKU of the same
/// shop, or to another fixed one, is not applied: its findings become `blocked`
/// and name the colliding cell.
///
/// Stock cells (STK004, STK005 with `unsafe_fixes`) take the proposed quantity;
/// when several fixes propose one, the lowest, which oversells least.
///
/// In a CSV or TSV file (`csv`), a SKU fix whose result would start like a
/// formula (`\t=HYPERLINK(…)` trimmed to `=HYPERLINK(…)`) is not applied:
/// inert text would become a formula that runs when the file is opened.
///
/// Findings name rows of the file ([`Table::file_row`]); changes, rows of the
/// table's sheet, where they are applied.
pub fn plan(
    tables: &[Table],
    diagnostics: &mut [Diagnostic],
    unsafe_fixes: bool,
    csv: bool,
) -> Vec<Change> {
    let applies = |d: &Diagnostic| applies(d, unsafe_fixes);
    // sheet → (row, col) → the fixes to apply, and for stock cells the lowest
    // quantity proposed. Looked up for every data row, so hashed.
    let mut cells: HashMap<u32, CellEdits> = HashMap::new();
    let mut quantities: HashMap<u32, HashMap<(usize, usize), i64>> = HashMap::new();
    for d in diagnostics.iter().filter(|d| applies(d)) {
        let Some(fix) = &d.fix else { continue };
        let at = &d.location;
        let key = (at.row as usize, at.col as usize);
        if let Edit::Quantity(quantity) = fix.edit {
            quantities
                .entry(at.sheet_index)
                .or_default()
                .entry(key)
                .and_modify(|q| *q = (*q).min(quantity))
                .or_insert(quantity);
        }
        cells
            .entry(at.sheet_index)
            .or_default()
            .entry(key)
            .or_default()
            .push((d.code, fix.edit));
    }
    let no_cells = HashMap::new();
    let mut changes = Vec::new();
    let mut blocked: BTreeMap<CellKey, String> = BTreeMap::new();
    for table in tables {
        let Some(col) = table.column(Role::Stock) else {
            continue;
        };
        let sheet = table.sheet_index as u32;
        let Some(quantities) = quantities.get(&sheet) else {
            continue;
        };
        for &row in &table.data_rows {
            let Some(&quantity) = quantities.get(&(table.file_row(row), col)) else {
                continue;
            };
            let old = table.text(row, Role::Stock);
            let new = quantity.to_string();
            // A value written over a formula would disagree with it once the
            // workbook is opened and recalculated.
            let computed = table
                .sheet
                .formulas
                .iter()
                .any(|f| (f.row as usize, f.col as usize) == (row, col));
            if old.trim() != new && computed {
                blocked.insert(
                    (sheet, table.file_row(row), col),
                    "not applied: the stock is computed by a formula; fix the formula instead"
                        .to_string(),
                );
            } else if old.trim() != new {
                let codes = codes_of(&cells[&sheet][&(table.file_row(row), col)]);
                changes.push(Change {
                    file: table.file.clone(),
                    sheet: table.sheet.name.clone(),
                    sheet_index: table.sheet_index,
                    row,
                    col,
                    role: Role::Stock,
                    old,
                    new,
                    codes,
                });
            }
        }
    }
    for table in tables {
        let sheet = table.sheet_index as u32;
        let cells = cells.get(&sheet).unwrap_or(&no_cells);
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
                let Some(edits) = cells.get(&(table.file_row(row), col)) else {
                    continue;
                };
                let old = table.text(row, role);
                let texts: Vec<TextFix> = edits
                    .iter()
                    .filter_map(|(_, edit)| match edit {
                        Edit::Text(fix) => Some(*fix),
                        Edit::Quantity(_) => None,
                    })
                    .collect();
                let new = compose(&old, &texts);
                let refusal = if new == old {
                    continue;
                } else if formulas.contains(&(row, col)) {
                    Some(
                        "not applied: the cell is computed by a formula; fix the formula instead"
                            .to_string(),
                    )
                } else if new.is_empty() {
                    Some("not applied: nothing would be left of the SKU; type it again".to_string())
                } else if csv && starts_like_formula(&new) {
                    Some(format!(
                        "not applied: the SKU would start with `{}`, and a spreadsheet program opening the CSV file runs it as a formula; correct the cell by hand",
                        new.chars().next().unwrap_or_default()
                    ))
                } else {
                    None
                };
                if let Some(note) = refusal {
                    blocked.insert((sheet, table.file_row(row), col), note);
                    continue;
                }
                {
                    let codes = codes_of(edits);
                    candidates.push(Change {
                        file: table.file.clone(),
                        sheet: table.sheet.name.clone(),
                        sheet_index: table.sheet_index,
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
            // The values of the column after the fixes, by shop and normalized key;
            // only the keys a fix would produce matter.
            let shop = |row| table.shop(row);
            let fixed: HashMap<usize, &str> =
                candidates.iter().map(|c| (c.row, c.new.as_str())).collect();
            let wanted: HashSet<ShopKey> = candidates
                .iter()
                .map(|c| (shop(c.row), near_duplicate_key(&c.new)))
                .collect();
            let wanted_keys: HashSet<&str> = wanted.iter().map(|(_, key)| key.as_str()).collect();
            let mut keys: HashMap<ShopKey, Vec<(usize, &str)>> = HashMap::new();
            let mut buffer = String::new();
            for (row, old) in table.texts(role) {
                let value = fixed.get(row).copied().unwrap_or(old);
                buffer.clear();
                near_duplicate_key_into(value, &mut buffer);
                if !wanted_keys.contains(buffer.as_str()) {
                    continue;
                }
                let key = (shop(*row), buffer.clone());
                if wanted.contains(&key) {
                    keys.entry(key).or_default().push((*row, old));
                }
            }
            let products = if role == Role::ParentSku {
                table.products()
            } else {
                HashMap::new()
            };
            for change in candidates {
                let key = (shop(change.row), near_duplicate_key(&change.new));
                // A parent SKU repeats on the rows of its product: those rows
                // hold one value, fixed together, whatever each cell held.
                let collision = keys[&key].iter().find(|(row, other)| {
                    let same_product = role == Role::ParentSku
                        && products.contains_key(&change.row)
                        && products.get(&change.row) == products.get(row);
                    *other != change.old && !same_product
                });
                match collision {
                    Some((row, other)) => {
                        let note = format!(
                            "not applied: `{}` would duplicate {}{} `{}`",
                            visible(&change.new),
                            column_letter(col as u32),
                            table.file_row(*row) + 1,
                            visible(other)
                        );
                        let at = (sheet, table.file_row(change.row), change.col);
                        blocked.insert(at, note);
                    }
                    None => changes.push(change),
                }
            }
        }
    }
    for d in diagnostics.iter_mut().filter(|d| applies(d)) {
        if let Some(note) = blocked.get(&(
            d.location.sheet_index,
            d.location.row as usize,
            d.location.col as usize,
        )) && let Some(fix) = &mut d.fix
        {
            fix.applicability = Applicability::Blocked;
            fix.note = Some(note.clone());
        }
    }
    changes
}

/// Whether `fix` applies the fix of a finding: a safe one, or with
/// `unsafe_fixes` an unsafe one too.
pub fn applies(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix.as_ref().is_some_and(|fix| {
        fix.applicability == Applicability::Safe
            || (unsafe_fixes && fix.applicability == Applicability::Unsafe)
    })
}

/// The codes of a cell's fixes, in code order, each once.
fn codes_of(edits: &[(&'static str, Edit)]) -> Vec<&'static str> {
    let codes: BTreeSet<&'static str> = edits.iter().map(|(code, _)| *code).collect();
    codes.into_iter().collect()
}

/// Whether a row is a product without variations: no variation SKU, no
/// variation name and no variation id (or Shopee's `0`). Its parent SKU is the
/// SKU that stock updates use.
pub fn is_single_product(table: &Table, row: usize) -> bool {
    table.column(Role::ParentSku).is_some() && !table.is_variation(row)
}

/// The workbook with the changes applied (only the changed cells differ). A
/// stock stored as a number stays a number.
pub fn apply(workbook: &Workbook, changes: &[Change]) -> Workbook {
    let mut fixed = workbook.clone();
    apply_in_place(&mut fixed, changes);
    fixed
}

/// [`apply`] without a copy: the workbook itself becomes the fixed one.
pub fn apply_in_place(fixed: &mut Workbook, changes: &[Change]) {
    set_cells(fixed, changes, |change| &change.new);
}

/// Undoes [`apply_in_place`] for `changes`: their cells get their old values back.
pub fn revert_in_place(fixed: &mut Workbook, changes: &[Change]) {
    set_cells(fixed, changes, |change| &change.old);
}

/// [`apply_in_place`] on one sheet, the sheet of every change: `fix` of a
/// long workbook changes the small sheet of its rows read again.
pub fn apply_to_sheet(sheet: &mut Sheet, changes: &[Change]) {
    for change in changes {
        set_cell(sheet, change, &change.new);
    }
}

fn set_cells(workbook: &mut Workbook, changes: &[Change], text: impl Fn(&Change) -> &str) {
    for change in changes {
        if let Some(sheet) = workbook.sheets.get_mut(change.sheet_index) {
            set_cell(sheet, change, text(change));
        }
    }
}

fn set_cell(sheet: &mut Sheet, change: &Change, text: &str) {
    if let Some(cell) = sheet
        .rows
        .get_mut(change.row)
        .and_then(|r| r.get_mut(change.col))
    {
        *cell = fixed_value(cell, change.role, text);
    }
}

/// A cell's value once it holds `text`: a stock number stays a number.
fn fixed_value(cell: &Value, role: Role, text: &str) -> Value {
    if role == Role::Stock && cell.is_number() {
        if let Ok(n) = text.parse::<i64>() {
            return Value::Int(n);
        }
        if let Ok(n) = text.parse::<f64>() {
            return Value::Float(n);
        }
    }
    Value::Text(text.to_string())
}

/// The SKU change and the stock change of one row.
type RowChanges<'c> = (Option<&'c Change>, Option<&'c Change>);

/// The resync plan: one entry per row whose SKU or stock changed, with the new
/// SKU and the stock to push. A parent SKU change needs no resync, except on a
/// product without variations ([`is_single_product`]), where the parent SKU is
/// the SKU.
pub fn resync_entries(tables: &[Table], changes: &[Change]) -> Vec<PlanEntry> {
    let non_empty = |text: String| {
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    // (table, row) → the SKU change and the stock change of that row, in sheet order.
    let mut rows: BTreeMap<(usize, usize), RowChanges> = BTreeMap::new();
    for change in changes {
        let Some(index) = tables
            .iter()
            .position(|t| t.sheet_index == change.sheet_index)
        else {
            continue;
        };
        let entry = rows.entry((index, change.row)).or_default();
        match change.role {
            Role::Sku => entry.0 = Some(change),
            Role::ParentSku if is_single_product(&tables[index], change.row) => {
                entry.0 = Some(change)
            }
            Role::Stock => entry.1 = Some(change),
            _ => {}
        }
    }
    // A row that leaves the product id blank continues the product above
    // (merged cells, Shopee's mass-upload template): its id is that product's.
    let mut product_ids: HashMap<usize, HashMap<usize, Cow<str>>> = HashMap::new();
    for &(index, _) in rows.keys() {
        let table = &tables[index];
        if table.column(Role::ProductId).is_some() {
            product_ids.entry(index).or_insert_with(|| table.products());
        }
    }
    rows.into_iter()
        .filter(|(_, (sku, stock))| sku.is_some() || stock.is_some())
        .map(|((index, row), (sku, stock))| {
            let table = &tables[index];
            let product_id = non_empty(table.text(row, Role::ProductId)).or_else(|| {
                let continued = product_ids.get(&index)?.get(&row)?;
                non_empty(continued.to_string())
            });
            let current_sku = if is_single_product(table, row) {
                table.text(row, Role::ParentSku)
            } else {
                table.text(row, Role::Sku)
            };
            let stock = match stock {
                Some(change) => change.new.parse::<i64>().ok(),
                None => parse_number(table.value(row, Role::Stock))
                    .filter(|n| n.fract() == 0.0 && *n >= 0.0)
                    .map(|n| n as i64),
            };
            PlanEntry {
                channel: table.channel.key().to_string(),
                file: table.file.to_string(),
                sheet: table.sheet.name.to_string(),
                row: table.file_row(row) + 1,
                shop: table
                    .column(Role::Shop)
                    .map(|_| table.shop(row).into_owned())
                    .filter(|shop| !shop.is_empty()),
                product_id,
                variation_id: non_empty(table.text(row, Role::VariationId)),
                old_sku: sku.map_or_else(|| current_sku.clone(), |c| c.old.clone()),
                new_sku: sku.map_or(current_sku, |c| c.new.clone()),
                stock,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Fix;
    use crate::table::{Format, Sheet, TableSpec, Visibility, layout};

    fn book() -> Workbook {
        let text = |t: &str| Value::Text(t.into());
        Workbook {
            path: "stock.csv".into(),
            display: Arc::from("stock.csv"),
            format: Format::Csv,
            sheets: vec![Sheet {
                name: Arc::from("stock"),
                visibility: Visibility::Visible,
                rows: vec![
                    vec![text("SKU"), text("Stock")],
                    vec![text("KAOS-L"), Value::Int(9)],
                    vec![text("KAOS-M"), text("3")],
                ],
                ..Sheet::default()
            }],
            dialect: None,
        }
    }

    /// An unsafe stock fix at B`row` (1-based) proposing `quantity`.
    fn stock_fix(tables: &[Table], code: &'static str, row: usize, quantity: i64) -> Diagnostic {
        crate::rules::finding(&tables[0], code, row - 1, Role::Stock, String::new())
            .with_quantity_fix(Applicability::Unsafe, quantity)
    }

    #[test]
    fn stock_cells_take_the_lowest_proposed_quantity_and_stay_numbers() {
        let book = book();
        let tables = layout::tables(&book, &TableSpec::default()).unwrap();
        let mut diagnostics = vec![
            stock_fix(&tables, "STK004", 2, 6),
            stock_fix(&tables, "STK005", 2, 4),
            stock_fix(&tables, "STK005", 3, 3),
        ];
        assert!(
            plan(&tables, &mut diagnostics, false, false).is_empty(),
            "unsafe fixes need the flag"
        );
        let changes = plan(&tables, &mut diagnostics, true, false);
        assert_eq!(
            changes.len(),
            1,
            "B3 already holds the proposed 3: {changes:?}"
        );
        assert_eq!(
            (changes[0].cell(), changes[0].new.as_str()),
            ("B2".to_string(), "4")
        );
        assert_eq!(changes[0].codes, ["STK004", "STK005"]);
        let fixed = apply(&book, &changes);
        assert_eq!(fixed.sheets[0].rows[1][1], Value::Int(4));
        let resync = resync_entries(&tables, &changes);
        assert_eq!(resync.len(), 1);
        assert_eq!((resync[0].row, resync[0].stock), (2, Some(4)));
        assert_eq!(resync[0].old_sku, resync[0].new_sku);
        assert!(diagnostics.iter().all(|d| matches!(
            d.fix,
            Some(Fix {
                applicability: Applicability::Unsafe,
                ..
            })
        )));
    }

    /// A SKU fix whose result reads as a number (`１２３` → `123`) is a text
    /// change of the SKU cell: it proposes no stock.
    #[test]
    fn a_sku_fix_that_reads_as_a_number_stays_a_sku_change() {
        let mut book = book();
        book.sheets[0].rows[1][0] = Value::Text("１２３".into());
        let tables = layout::tables(&book, &TableSpec::default()).unwrap();
        let mut diagnostics = vec![
            crate::rules::finding(&tables[0], "SKU005", 1, Role::Sku, String::new())
                .with_text_fix(Applicability::Unsafe, TextFix::Compatibility),
        ];
        assert_eq!(diagnostics[0].fix.as_ref().unwrap().replacement, "123");
        let changes = plan(&tables, &mut diagnostics, true, false);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(
            (changes[0].role, changes[0].new.as_str()),
            (Role::Sku, "123")
        );
        assert_eq!(changes[0].cell(), "A2");
    }

    /// A cell with one fix gets exactly the value the rule computed.
    #[test]
    fn one_fix_gives_the_value_the_rule_computed() {
        for fix in [
            TextFix::Normalize,
            TextFix::Compatibility,
            TextFix::Lookalike,
        ] {
            for old in ["ＫＡＯＳ  L", " KАOS\u{200b}-M ", "Áo"] {
                assert_eq!(compose(old, &[fix]), fix.apply(old), "{fix:?} {old:?}");
            }
        }
    }
}
