//! `check` on long CSV/TSV exports without holding them in memory.
//!
//! The file is read in parts of [`PART_ROWS`] rows. The layout is found on the
//! first part, as for any file; every part then gets the rules that look at one
//! row at a time. The rules that compare rows (duplicates) and the fix plan (a
//! fix must not create a duplicate) need more: while the parts go by, each SKU,
//! parent SKU and product id is kept only as a 64-bit hash with a count. Only the
//! rows whose hashes meet again, and the rows with a fix, can take part in a
//! duplicate or a blocked fix; a second pass reads just those rows into a sparse
//! sheet, where the same rules and plan as for a whole file run. Equal hashes of
//! different values only add rows to that sheet, so the findings are exactly
//! those of the whole-file path.
//!
//! Memory: one part of rows, the findings, and about 40 bytes per distinct SKU
//! (three hash tables), plus, at the end, 24 bytes per row for the sparse sheet's
//! row index.

use std::hash::BuildHasher;
use std::path::Path;
use std::sync::Arc;

use foldhash::fast::FixedState;
use foldhash::{HashMap, HashSet};

use super::{FileError, Setup, file_report};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::emit::FileReport;
use crate::rules::trimmed;
use crate::settings::Settings;
use crate::table::csv_stream::CsvRows;
use crate::table::{Format, Role, Sheet, Table, Value, Visibility, Workbook, layout};
use crate::text::near_duplicate_key;

/// Rows read, linted and dropped at a time.
pub const PART_ROWS: usize = 65_536;
/// Smaller files are read whole: that costs little memory, and the whole-file
/// reader also checks that quoting delimits the rows consistently.
pub const STREAM_FROM_BYTES: u64 = 16 << 20;
/// The rules that compare rows with each other.
const TABLE_WIDE: [&str; 3] = ["DUP001", "DUP002", "DUP003"];

/// Lints `path` part by part when it is a CSV/TSV file worth streaming; `None`
/// when it should be read whole (small, not UTF-8, not CSV at all, unusual
/// options): the whole-file path then reads it, and reports any error.
pub fn lint_csv(
    path: &Path,
    setup: &Setup,
) -> Option<Result<(FileReport, Vec<Diagnostic>), FileError>> {
    lint_csv_in_parts(path, setup, PART_ROWS, STREAM_FROM_BYTES)
}

/// [`lint_csv`] with the part size and threshold as parameters, for tests.
pub fn lint_csv_in_parts(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
) -> Option<Result<(FileReport, Vec<Diagnostic>), FileError>> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let format = match extension.as_str() {
        "csv" | "txt" => Format::Csv,
        "tsv" | "tab" => Format::Tsv,
        _ => return None,
    };
    if setup.inventory.is_some() || std::fs::metadata(path).ok()?.len() < from_bytes {
        return None;
    }
    // Header rows must all be in the first part.
    if setup
        .spec
        .header_row
        .is_some_and(|row| row + 20 > part_rows)
    {
        return None;
    }
    let mut rows = CsvRows::open(path, format == Format::Tsv).ok()?;
    let display = path.display().to_string();
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Sheet1");
    let first = read_part(&mut rows, part_rows, 0)?;
    let first_end = first.rows.len();
    let workbook = Workbook {
        path: path.to_path_buf(),
        display: Arc::from(display.as_str()),
        format,
        sheets: vec![Sheet {
            name: Arc::from(name),
            visibility: Visibility::Visible,
            rows: first.rows,
            ..Sheet::default()
        }],
        dialect: None,
    };
    let tables = match layout::tables(&workbook, &setup.spec) {
        Ok(tables) => tables,
        Err(e) => {
            return Some(Err(FileError {
                path: display,
                message: e.to_string(),
            }));
        }
    };
    let table = &tables[0];
    let header: Vec<Vec<Value>> = workbook.sheets[0].rows[..=table.header_row].to_vec();
    let settings = &setup.settings;
    let mut row_settings = settings.clone();
    row_settings
        .ignore
        .extend(TABLE_WIDE.iter().map(|c| c.to_string()));

    let mut state = State::default();
    let mut diagnostics = crate::rules::run(std::slice::from_ref(table), &row_settings);
    state.add(table);
    let mut data_rows = table.data_rows.len();
    let mut next = first.next;
    while let Some(start) = next {
        let part = read_part(&mut rows, part_rows, start)?;
        next = part.next;
        // The header rows, then the part from the row below them: a rule sees the
        // same header texts, and its rows are shifted back afterwards.
        let mut sheet_rows = header.clone();
        let offset = start - sheet_rows.len();
        sheet_rows.extend(part.rows);
        let sheet = Sheet {
            name: Arc::from(name),
            visibility: Visibility::Visible,
            rows: sheet_rows,
            ..Sheet::default()
        };
        let part_table = table.with_sheet(&sheet, table.header_row + 1);
        data_rows += part_table.data_rows.len();
        let found = crate::rules::run(std::slice::from_ref(&part_table), &row_settings);
        diagnostics.extend(found.into_iter().map(|d| shifted(d, offset)));
        state.add(&part_table);
    }

    // The rows that can take part in a duplicate or a blocked fix.
    let fixed_rows: HashSet<usize> = diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .map(|d| d.row as usize - 1)
        .collect();
    // A parent SKU fix keeps the key it is compared under.
    let wanted_parents: HashSet<u64> = diagnostics
        .iter()
        .filter(|d| {
            table.column(Role::ParentSku) == Some(d.col_index as usize)
                && d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .map(|d| State::key_hash(&d.value))
        .collect();
    let mut rows = CsvRows::open(path, format == Format::Tsv).ok()?;
    let mut sparse: Vec<Vec<Value>> = header;
    let mut cells = Vec::new();
    loop {
        let row = match rows.next_into(&mut cells) {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(_) => return None,
        };
        if row <= table.header_row
            || (row < first_end && table.data_rows.binary_search(&row).is_err())
        {
            continue;
        }
        if fixed_rows.contains(&row) || state.shares(table, &cells, &wanted_parents) {
            if sparse.len() < row {
                sparse.resize_with(row, Vec::new);
            }
            sparse.push(std::mem::take(&mut cells));
        }
    }
    let sheet = Sheet {
        name: Arc::from(name),
        visibility: Visibility::Visible,
        rows: sparse,
        ..Sheet::default()
    };
    let sparse_table = table.with_sheet(&sheet, table.header_row + 1);
    let mut table_wide: Settings = settings.clone();
    table_wide.select = TABLE_WIDE
        .iter()
        .filter(|code| settings.is_enabled(code))
        .map(|code| code.to_string())
        .collect();
    table_wide.custom_rules.clear();
    if !table_wide.select.is_empty() {
        diagnostics.extend(crate::rules::run(
            std::slice::from_ref(&sparse_table),
            &table_wide,
        ));
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    crate::fix::plan(std::slice::from_ref(&sparse_table), &mut diagnostics, false);
    let mut report = file_report(&workbook, &tables);
    report.sheets[0].data_rows = data_rows;
    Some(Ok((report, diagnostics)))
}

/// Up to `limit` rows from row `start` on, each at its row number less `start`
/// (blank lines are empty rows), and the row the next part starts at, if any.
struct Part {
    rows: Vec<Vec<Value>>,
    next: Option<usize>,
}

fn read_part(rows: &mut CsvRows, limit: usize, start: usize) -> Option<Part> {
    let mut part: Vec<Vec<Value>> = Vec::new();
    for _ in 0..limit {
        match rows.next_row() {
            Ok(Some((row, cells))) => {
                part.resize_with(row - start, Vec::new);
                part.push(cells);
            }
            Ok(None) => {
                return Some(Part {
                    rows: part,
                    next: None,
                });
            }
            Err(_) => return None,
        }
    }
    let next = start + part.len();
    Some(Part {
        rows: part,
        next: Some(next),
    })
}

/// A finding of a part, at its row in the file.
fn shifted(mut diagnostic: Diagnostic, offset: usize) -> Diagnostic {
    diagnostic.row += offset as u32;
    diagnostic.cell = format!("{}{}", diagnostic.column, diagnostic.row);
    for related in &mut diagnostic.related {
        related.row += offset as u32;
        let letters: String = related
            .cell
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        related.cell = format!("{letters}{}", related.row);
    }
    diagnostic
}

/// What is kept of every data row: hashes of its SKU and parent SKU under the
/// keys the table-wide rules and the fix plan compare.
#[derive(Default)]
struct State {
    /// (shop, near-duplicate key of the SKU) of every SKU seen, and of those seen
    /// on more than one row.
    skus: HashSet<u64>,
    repeated: HashSet<u64>,
    /// parent SKU → the first product id's hash, and whether another product has it.
    parents: HashMap<u64, (u64, bool)>,
}

impl State {
    fn hasher() -> FixedState {
        FixedState::with_seed(0x0073_6b75_6c69_6e74)
    }

    /// The hash of a near-duplicate key.
    fn key_hash(text: &str) -> u64 {
        Self::hasher().hash_one(near_duplicate_key(text))
    }

    fn shop_key_hash(shop: &str, sku: &str) -> u64 {
        Self::hasher().hash_one((shop, near_duplicate_key(sku)))
    }

    fn add(&mut self, table: &Table) {
        for &row in &table.data_rows {
            let sku = table.str(row, Role::Sku);
            if !sku.is_empty() {
                let shop = trimmed(table.str(row, Role::Shop));
                let key = Self::shop_key_hash(&shop, &sku);
                if !self.skus.insert(key) {
                    self.repeated.insert(key);
                }
            }
            let parent = table.str(row, Role::ParentSku);
            let product = trimmed(table.str(row, Role::ProductId));
            if !parent.is_empty() && !product.is_empty() {
                let product = Self::hasher().hash_one(&*product);
                self.parents
                    .entry(Self::hasher().hash_one(&*parent))
                    .and_modify(|(first, several)| *several |= *first != product)
                    .or_insert((product, false));
            }
        }
    }

    /// Whether a row read again can take part in a duplicate: its SKU's key is
    /// on another row too, its parent SKU is on several products, or its parent
    /// SKU's key is one a parent SKU fix would produce.
    fn shares(&self, table: &Table, cells: &[Value], wanted_parents: &HashSet<u64>) -> bool {
        let cell = |role: Role| -> &Value {
            static EMPTY: Value = Value::Empty;
            table
                .column(role)
                .and_then(|col| cells.get(col))
                .unwrap_or(&EMPTY)
        };
        let sku = cell(Role::Sku).text();
        if !sku.is_empty() {
            let shop = trimmed(cell(Role::Shop).text());
            if self.repeated.contains(&Self::shop_key_hash(&shop, &sku)) {
                return true;
            }
        }
        let parent = cell(Role::ParentSku).text();
        !parent.is_empty()
            && (self
                .parents
                .get(&Self::hasher().hash_one(&*parent))
                .is_some_and(|(_, several)| *several)
                || wanted_parents.contains(&Self::key_hash(&parent)))
    }
}
