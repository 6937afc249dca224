//! `check` and `fix` on long CSV/TSV exports and xlsx/xlsm workbooks without
//! holding them in memory.
//!
//! The rows come from a [`RowSource`]: the CSV reader, or calamine's streaming
//! cell reader for the one worksheet of a workbook (src/table/xlsx_stream.rs).
//! They are taken in parts of [`PART_ROWS`] rows. The layout is found on the
//! first part, as for any file; every part then gets the rules that look at one
//! row at a time. The rules that compare rows (duplicates, SKU010) and the fix
//! plan (a fix must not create a duplicate) need more: while the parts go by,
//! each row's SKU, and parent SKU with its product id, is written as 64-bit
//! hashes to a temporary file, grouped by hash into 64 ranges. After the last
//! part, the ranges are read back a few at a time, on the pool's threads, to
//! find the hashes met on more than one row. Only the rows with such a hash,
//! the rows with a fix, the rows that share a key a fix makes (`NewKeys`),
//! and the SKUs that are numbers or zero-padded text with a number's digits,
//! can take part in a duplicate, a blocked fix or SKU010's comparison, before
//! or after the fixes; a second pass reads just those rows (CSV: the file
//! again; xlsx: a temporary copy of its rows, cheaper than parsing the XML
//! again) into a small sheet (which knows their rows in the file). Equal
//! hashes of different values only add rows to that sheet.
//!
//! The stream ends with a [`Finish`] on that sheet. `check` runs the fix plan
//! there to mark the blocked fixes, as for a whole file. `fix`
//! (src/engine/fix.rs) plans and applies the fixes there, and lints the fixed
//! rows again: the rules that look at one row run on the changed rows, the
//! rules that compare rows on the fixed small sheet, and the rest is taken
//! over from the stream. So the findings, changes and resync plan are
//! exactly those of the whole-file path.
//!
//! Memory: one part of rows, a few ranges of hashes or chunks of copied rows
//! (two per thread of the pool, and as many being read), the findings with
//! their rows, and, in a file whose rows may leave the product or the shop
//! blank to continue the one above (Shopee's mass-upload template, merged
//! cells), the rows that name a product or shop so continued, where it
//! changes ([`NamedAbove`]: one entry per product, or per change of shop);
//! none of the rest grows with the rows that have no finding.

use std::borrow::Cow;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use foldhash::HashSet;
use foldhash::fast::FixedState;
use rayon::prelude::*;

use super::{FileResult, FileRows, Notice, Setup, Unobserved, file_report};
use crate::diagnostic::{Diagnostic, Edit, TextFix};
use crate::emit::FileError;
use crate::emit::FileReport;
use crate::rules::{Threads, Which, is_zero_padded, trimmed, unpadded};
use crate::table::csv::RowNotices;
use crate::table::csv_stream::CsvRows;
use crate::table::inflating::Package;
use crate::table::layout::NamedAbove;
use crate::table::rows::{NotStreamed, RowSource};
use crate::table::{
    Format, FormulaCell, Role, Sheet, Table, Value, Visibility, Workbook, layout, read, xlsx_stream,
};
use crate::text::near_duplicate_key;

/// Rows read, linted and dropped at a time.
pub const PART_ROWS: usize = 65_536;
/// The same for xlsx sheets, whose rows are parsed on another thread: smaller
/// parts keep the rows in flight few (BENCHMARKS.md).
pub const XLSX_PART_ROWS: usize = 8_192;
/// Smaller files are read whole: that costs little memory, and the whole-file
/// reader also checks that quoting delimits the rows consistently.
pub const STREAM_FROM_BYTES: u64 = 16 << 20;
/// Smaller workbooks are read whole: below this, holding the cells costs less
/// than the thread and temporary file that streaming takes (BENCHMARKS.md).
pub const XLSX_STREAM_FROM_BYTES: u64 = 4 << 20;
/// How many rows under the header the layout may still take for instructions
/// (`layout::PREAMBLE_ROWS`), with room to spare.
const PREAMBLE_ROWS: usize = 12;

/// Lints `path` part by part when it is a long CSV/TSV file or xlsx/xlsm
/// workbook; `None` when it should be read whole (small, not UTF-8, several
/// worksheets, unusual options): the whole-file path then reads it, and
/// reports any error. The notices are those the whole-file reader gives.
/// The listing rows of each part are told to `rows` as they are linted.
pub fn lint(path: &Path, setup: &Setup, rows: &FileRows) -> Option<(FileResult, Vec<Notice>)> {
    csv_in_parts(path, setup, PART_ROWS, STREAM_FROM_BYTES, rows, CHECKED).or_else(|| {
        xlsx_in_parts(
            path,
            setup,
            XLSX_PART_ROWS,
            XLSX_STREAM_FROM_BYTES,
            rows,
            CHECKED,
        )
    })
}

/// The end of a streamed lint, when the rows read again are at hand: what
/// `check` reports, or `fix` plans, from there.
pub struct Streamed<'a, 'b> {
    /// The file's first part, as a workbook: its path, format and layout.
    pub workbook: &'a Workbook,
    /// The tables found in the first part.
    pub layout: &'a [Table<'a>],
    /// The header rows and the rows read again, each knowing its row in the
    /// file ([`Table::file_row`]).
    pub table: &'a Table<'b>,
    /// The findings on every row, sorted, not yet marked by a fix plan.
    pub diagnostics: Vec<Diagnostic>,
    /// How the whole file was read.
    pub report: FileReport,
}

/// How `check` ends a stream: [`checked`].
pub const CHECKED: Finish<'static, (FileReport, Vec<Diagnostic>)> = Finish {
    unsafe_fixes: false,
    with: &checked,
};

/// What `check` reports of a streamed file: the findings, with the fixes
/// that `fix` would block marked so.
fn checked(streamed: Streamed) -> Option<(FileReport, Vec<Diagnostic>)> {
    let Streamed {
        workbook,
        table,
        mut diagnostics,
        report,
        ..
    } = streamed;
    let csv = crate::fix::is_csv(workbook);
    crate::fix::plan(std::slice::from_ref(table), &mut diagnostics, false, csv);
    Some((report, diagnostics))
}

/// Whether `path` is worth streaming at all: the cross-file rules need every
/// table at once, and a file past --max-file-size is left to the whole-file
/// reader, which refuses it.
fn worth_streaming(path: &Path, setup: &Setup, from_bytes: u64, part_rows: usize) -> bool {
    let Ok(size) = std::fs::metadata(path).map(|m| m.len()) else {
        return false;
    };
    // Header rows must all be in the first part.
    setup.inventory.is_none()
        && size >= from_bytes
        && size <= setup.read.limits.max_file_size
        && setup
            .spec
            .header_row
            .is_none_or(|row| row + 20 <= part_rows)
}

/// The format `path` declares, when it is one of `formats` and the file is
/// worth streaming.
fn streamable(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
    formats: &[Format],
) -> Option<Format> {
    let format = read::declared_format(path).ok()?;
    (formats.contains(&format) && worth_streaming(path, setup, from_bytes, part_rows))
        .then_some(format)
}

/// [`lint`] of a CSV/TSV file, with the part size and threshold as parameters, for tests.
pub fn lint_csv_in_parts(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
) -> Option<(FileResult, Vec<Notice>)> {
    csv_in_parts(
        path,
        setup,
        part_rows,
        from_bytes,
        &FileRows::new(&Unobserved),
        CHECKED,
    )
}

/// Streams a CSV/TSV file through the rules, telling `rows` of each part, and
/// ends with `to` (see [`lint`]); `None` when it should be read whole.
pub fn csv_in_parts<T>(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
    rows: &FileRows,
    to: Finish<T>,
) -> Ended<T> {
    let format = streamable(
        path,
        setup,
        part_rows,
        from_bytes,
        &[Format::Csv, Format::Tsv],
    )?;
    // The rows are read as UTF-8: another encoding named is the whole-file
    // reader's to decode.
    if setup
        .read
        .encoding
        .is_some_and(|encoding| encoding != encoding_rs::UTF_8)
    {
        return None;
    }
    let mut source = CsvRows::open(path, format == Format::Tsv).ok()?;
    let file = StreamedFile {
        path,
        format,
        sheet: read::sheet_name_of(path),
        visibility: Visibility::Visible,
    };
    let mut row_notices = RowNotices::default();
    lint_rows(
        &mut source,
        &file,
        setup,
        Parts {
            rows: part_rows,
            told: rows,
        },
        Some(&mut row_notices),
        to,
    )
}

/// [`lint`] of an xlsx/xlsm workbook, with the part size and threshold as parameters, for tests.
pub fn lint_xlsx_in_parts(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
) -> Option<(FileResult, Vec<Notice>)> {
    xlsx_in_parts(
        path,
        setup,
        part_rows,
        from_bytes,
        &FileRows::new(&Unobserved),
        CHECKED,
    )
}

/// How a streamed lint ends, once the rows read again are at hand.
pub struct Finish<'f, T> {
    /// Whether the unsafe fixes are to be applied too: their rows are read
    /// again, and so are the rows that share the SKU keys they make.
    pub unsafe_fixes: bool,
    /// What is made of the findings and the rows read again; `None` leaves
    /// the file to the whole-file path.
    pub with: &'f dyn Fn(Streamed) -> Option<T>,
}

// Not derived: that would ask `T` to be `Copy`.
impl<T> Clone for Finish<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Finish<'_, T> {}

/// Streams an xlsx/xlsm workbook's one worksheet through the rules, telling
/// `rows` of each part, and ends with `to` (see [`lint`]); `None` when it
/// should be read whole.
pub fn xlsx_in_parts<T>(
    path: &Path,
    setup: &Setup,
    part_rows: usize,
    from_bytes: u64,
    rows: &FileRows,
    to: Finish<T>,
) -> Ended<T> {
    streamable(
        path,
        setup,
        part_rows,
        from_bytes,
        &[Format::Xlsx, Format::Xlsm],
    )?;
    // Read for the cell values; a sheet with formulas is read again with them.
    let parts = Parts {
        rows: part_rows,
        told: rows,
    };
    match xlsx_as::<xlsx_stream::Values, T>(path, setup, parts, to) {
        Err(NotStreamed::Formulas) => {
            rows.read_again();
            xlsx_as::<Package, T>(path, setup, parts, to).ok()
        }
        linted => linted.ok(),
    }
    .flatten()
}

type Ended<T> = Option<(Result<T, FileError>, Vec<Notice>)>;

fn xlsx_as<R: xlsx_stream::Reading + Send + 'static, T>(
    path: &Path,
    setup: &Setup,
    parts: Parts,
    to: Finish<T>,
) -> Result<Ended<T>, NotStreamed> {
    let book = xlsx_stream::open::<R>(path, &setup.read.limits)?;
    let sheet = book.sheet.clone();
    let file = StreamedFile {
        path,
        format: book.format,
        sheet: &sheet,
        visibility: book.visibility,
    };
    xlsx_stream::with_rows(book, |rows| lint_rows(rows, &file, setup, parts, None, to))
}

/// How a file is streamed: in parts of `rows` rows, whose listing rows are
/// told to `told` as they are linted.
#[derive(Clone, Copy)]
struct Parts<'t, 'o> {
    rows: usize,
    told: &'t FileRows<'o>,
}

/// The file streamed, and its one sheet.
struct StreamedFile<'a> {
    path: &'a Path,
    format: Format,
    sheet: &'a str,
    visibility: Visibility,
}

/// Lints the rows of `source` part by part (see the module's documentation),
/// and ends with `to`. `row_notices` takes every row for the CSV reader's
/// notices.
fn lint_rows<T>(
    source: &mut dyn RowSource,
    file: &StreamedFile,
    setup: &Setup,
    parts: Parts,
    mut row_notices: Option<&mut RowNotices>,
    to: Finish<T>,
) -> Ended<T> {
    let part_rows = parts.rows;
    let path = file.path;
    // --max-cells holds here too: past it, the whole-file reader refuses the file.
    let mut cells_left = setup.read.limits.max_cells;
    let display = path.display().to_string();
    let name = file.sheet;
    let sheet_of = |rows: Vec<Vec<Value>>| Sheet {
        name: Arc::from(name),
        visibility: file.visibility,
        rows,
        ..Sheet::default()
    };
    // A CSV file past --max-cells is refused here as the whole-file reader
    // refuses it, without reading it whole first; any other stop leaves the
    // file to that reader.
    let is_csv = row_notices.is_some();
    let stopped = |stop: Stopped| match stop {
        Stopped::TooManyCells if is_csv => {
            let limit = setup.read.limits.max_cells;
            let error = FileError {
                path: display.clone(),
                message: crate::table::csv::CsvError::TooManyCells { limit }.to_string(),
            };
            Some((Err(error), Vec::new()))
        }
        _ => None,
    };
    let first = match read_part(
        source,
        part_rows,
        0,
        &mut cells_left,
        row_notices.as_deref_mut(),
    ) {
        Ok(part) => part,
        Err(stop) => return stopped(stop),
    };
    let first_end = first.rows.len();
    let workbook = Workbook {
        path: path.to_path_buf(),
        display: Arc::from(display.as_str()),
        format: file.format,
        sheets: vec![sheet_of(first.rows)],
        dialect: None,
    };
    let layout::Layout { tables, skipped } = match layout::detect(&workbook, &setup.spec) {
        Ok(layout) => layout,
        Err(e) => {
            // The rest of the file is not read: its notices are left out, as a
            // file refused for its layout gets none.
            let error = FileError {
                path: display,
                message: e.to_string(),
            };
            return Some((Err(error), Vec::new()));
        }
    };
    let table = &tables[0];
    // Whether a code column is product-level is decided on all its rows: a
    // long file whose first part looks so is read whole.
    if table.product_level_codes {
        return None;
    }
    // The rows right under the header may be instructions, told apart only in
    // the first part: that part must reach past them.
    if first.next.is_some() && table.header_row + PREAMBLE_ROWS >= first_end {
        return None;
    }
    let header: Vec<Vec<Value>> = workbook.sheets[0].rows[..=table.header_row].to_vec();
    let settings = &setup.settings;
    // Every rule runs on each part. The findings of the rules that compare
    // rows (scope `table`) are only a first look: their rows join the rows
    // read again, where those rules run on what the parts share.
    let mut table_rows: HashSet<usize> = HashSet::default();
    let mut keep = |found: Vec<Diagnostic>, offset: usize| -> Vec<Diagnostic> {
        let (wide, own): (Vec<Diagnostic>, Vec<Diagnostic>) = found
            .into_iter()
            .map(|d| shifted(d, offset))
            .partition(|d| crate::rules::compares_rows(d.code));
        table_rows.extend(wide.iter().map(|d| d.location.row as usize));
        own
    };

    let spill_failed = |e: io::Error| FileError {
        path: display.clone(),
        message: format!("cannot write temporary files to check the file in parts: {e}"),
    };
    let mut state = match State::new(to.unsafe_fixes) {
        Ok(state) => state,
        Err(e) => return Some((Err(spill_failed(e)), Vec::new())),
    };
    // A source that cannot read its rows again cheaply: the rows the second
    // pass may read are copied as they go by.
    let mut copy = match (!source.reads_again()).then(RowCopy::new).transpose() {
        Ok(copy) => copy,
        Err(e) => return Some((Err(spill_failed(e)), Vec::new())),
    };
    // While a thread parses the sheet beside this one, the parts' rules stay here.
    let threads = match source.parses_beside() {
        true => Threads::This,
        false => Threads::Pool,
    };
    let run_part = |table: &Table| {
        crate::rules::run_which(std::slice::from_ref(table), settings, Which::All, threads)
    };
    let mut diagnostics = keep(run_part(table), 0);
    if let Err(e) = state.add(table, copy.as_mut(), None, 0) {
        return Some((Err(spill_failed(e)), Vec::new()));
    }
    let mut data_rows = table.data_rows.len();
    // The listing rows of the file, one bit each: the formulas, read last, are
    // told by them.
    let mut listings: Vec<u64> = Vec::new();
    let mut mark_listings = |rows: &[usize], offset: usize| {
        for row in rows.iter().map(|row| row + offset) {
            if listings.len() <= row / 64 {
                listings.resize(row / 64 + 1, 0);
            }
            listings[row / 64] |= 1 << (row % 64);
        }
    };
    mark_listings(&table.data_rows, 0);
    parts.told.read(data_rows);
    let mut without_sku = super::without_sku(table);
    // The first part's skipped rows are counted by the report of its table.
    let mut rows_skipped: std::collections::BTreeMap<layout::RowSkip, usize> =
        std::collections::BTreeMap::new();
    let mut next = first.next;
    while let Some(start) = next {
        let part = match read_part(
            source,
            part_rows,
            start,
            &mut cells_left,
            row_notices.as_deref_mut(),
        ) {
            Ok(part) => part,
            Err(stop) => return stopped(stop),
        };
        next = part.next;
        // The header rows, then the part from the row below them: a rule sees the
        // same header texts, and its rows are shifted back afterwards.
        let mut sheet_rows = header.clone();
        let offset = start - sheet_rows.len();
        sheet_rows.extend(part.rows);
        let sheet = sheet_of(sheet_rows);
        let part_table = table.with_sheet(&sheet, table.header_row + 1);
        data_rows += part_table.data_rows.len();
        mark_listings(&part_table.data_rows, offset);
        parts.told.read(part_table.data_rows.len());
        without_sku += super::without_sku(&part_table);
        for (_, reason) in &part_table.skipped {
            *rows_skipped.entry(*reason).or_insert(0) += 1;
        }
        let found = run_part(&part_table);
        diagnostics.extend(keep(found, offset));
        // The second pass reads every row of the parts after the first.
        let all_from = Some(header.len());
        if let Err(e) = state.add(&part_table, copy.as_mut(), all_from, offset) {
            return Some((Err(spill_failed(e)), Vec::new()));
        }
    }
    // Formula cells count against --max-cells, as the whole-file reader counts them.
    let formulas = source.formulas();
    cells_left.checked_sub(formulas.len() as u64)?;
    let uncalculated = super::uncalculated(table, &formulas, |row| {
        listings
            .get(row / 64)
            .is_some_and(|bits| bits & (1 << (row % 64)) != 0)
    });
    let products_above = std::mem::take(&mut state.products_above);
    let shops_above = std::mem::take(&mut state.shops_above);
    let shared = match state.shared() {
        Ok(shared) => shared,
        Err(e) => return Some((Err(spill_failed(e)), Vec::new())),
    };

    // The rows that can take part in a duplicate or a blocked fix, and those
    // where a rule comparing rows found something in its part.
    let applies = |d: &&Diagnostic| crate::fix::applies(d, to.unsafe_fixes);
    let mut fixed_rows: HashSet<usize> = diagnostics
        .iter()
        .filter(applies)
        .map(|d| d.row() as usize - 1)
        .collect();
    fixed_rows.extend(table_rows);
    let wanted_keys = NewKeys::of(table, diagnostics.iter().filter(applies));
    // The header rows, then the rows that can take part, each with its row in the file.
    let mut sparse: Vec<Vec<Value>> = header;
    let mut file_rows: Vec<usize> = (0..sparse.len()).collect();
    let wanted =
        |row: usize, keys: &RowKeys| fixed_rows.contains(&row) || shared.shares(keys, &wanted_keys);
    if let Some(mut copy) = copy.take() {
        let kept = copy.kept(|row, keys| wanted(row, keys));
        // Closing the copy lets its cached pages go, which takes a while.
        crate::workers::free_beside(copy);
        match kept {
            Ok(kept) => {
                for (row, cells) in kept {
                    sparse.push(cells);
                    file_rows.push(row);
                }
            }
            Err(e) => return Some((Err(spill_failed(e)), Vec::new())),
        }
    } else {
        let mut rows = source.again().ok()?;
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
            let cell = |role| cell_of(table, &cells, role);
            let shop = trimmed(cell(Role::Shop).text());
            let shop = match &*shop {
                "" => shops_above.continued_at(row).unwrap_or(""),
                named => named,
            };
            let keys = RowKeys::of(
                cell(Role::Sku),
                shop,
                cell(Role::ParentSku),
                to.unsafe_fixes,
            );
            if wanted(row, &keys) {
                sparse.push(std::mem::take(&mut cells));
                file_rows.push(row);
            }
        }
    }
    // The formula cells of the rows read again, at their rows in the small sheet:
    // the fix plan leaves them alone.
    let sparse_row: foldhash::HashMap<usize, u32> = file_rows
        .iter()
        .enumerate()
        .map(|(at, &row)| (row, at as u32))
        .collect();
    let mut sheet = sheet_of(sparse);
    sheet.formulas = formulas
        .into_iter()
        .filter_map(|formula| {
            let row = *sparse_row.get(&(formula.row as usize))?;
            Some(FormulaCell { row, ..formula })
        })
        .collect();
    let sparse_table = table
        .with_sheet(&sheet, table.header_row + 1)
        .with_file_rows(file_rows)
        .with_products_above(products_above)
        .with_shops_above(shops_above);
    diagnostics.extend(crate::rules::run_which(
        std::slice::from_ref(&sparse_table),
        settings,
        Which::ComparingRows,
        crate::rules::Threads::Pool,
    ));
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut report = file_report(&workbook, &tables, &skipped);
    report.sheets[0].data_rows = data_rows;
    report.sheets[0].without_sku = without_sku;
    report.sheets[0].uncalculated = uncalculated;
    for (reason, rows) in rows_skipped {
        *report.sheets[0].rows_skipped.entry(reason).or_insert(0) += rows;
    }
    let ended = (to.with)(Streamed {
        workbook: &workbook,
        layout: &tables,
        table: &sparse_table,
        diagnostics,
        report,
    })?;
    let notices = row_notices
        .map(|notices| std::mem::take(notices).finish())
        .unwrap_or_default()
        .into_iter()
        .map(|message| Notice {
            path: display.clone(),
            message,
        })
        .collect();
    Some((Ok(ended), notices))
}

/// Up to `limit` rows from row `start` on, each at its row number less `start`
/// (blank lines are empty rows), and the row the next part starts at, if any.
struct Part {
    rows: Vec<Vec<Value>>,
    next: Option<usize>,
}

/// Each row costs its cells and one more against `cells_left`, blank rows
/// included, as the whole-file reader counts them.
fn read_part(
    rows: &mut dyn RowSource,
    limit: usize,
    start: usize,
    cells_left: &mut u64,
    mut notices: Option<&mut RowNotices>,
) -> Result<Part, Stopped> {
    let mut part: Vec<Vec<Value>> = Vec::new();
    for _ in 0..limit {
        let mut cells = Vec::new();
        match rows.next_into(&mut cells) {
            Ok(Some(row)) => {
                let blank = (row - start - part.len()) as u64;
                *cells_left = cells_left
                    .checked_sub(cells.len() as u64 + 1 + blank)
                    .ok_or(Stopped::TooManyCells)?;
                if let Some(notices) = notices.as_deref_mut() {
                    notices.add(row, &cells);
                }
                part.resize_with(row - start, Vec::new);
                part.push(cells);
            }
            Ok(None) => {
                return Ok(Part {
                    rows: part,
                    next: None,
                });
            }
            Err(_) => return Err(Stopped::NotStreamed),
        }
    }
    let next = start + part.len();
    Ok(Part {
        rows: part,
        next: Some(next),
    })
}

/// Why the rows stopped before the end of the file.
enum Stopped {
    /// Past --max-cells.
    TooManyCells,
    /// The source cannot go on: the whole-file reader reads the file.
    NotStreamed,
}

/// A finding of a part, at its row in the file.
fn shifted(mut diagnostic: Diagnostic, offset: usize) -> Diagnostic {
    let offset = offset as u32;
    for related in &mut diagnostic.related {
        if !related.elsewhere_than(&diagnostic.location) {
            related.row += offset;
        }
    }
    diagnostic.location.row += offset;
    diagnostic
}

/// What is kept of every data row, on disk: hashes of its SKU and parent SKU
/// under the keys the table-wide rules and the fix plan compare.
struct State {
    /// (shop, near-duplicate key of the SKU) of every SKU.
    skus: Spill,
    /// (parent SKU, product id) of every row that has both.
    parents: Spill,
    /// The digits of every SKU stored as a number, in memory: SKU010 compares
    /// them with the zero-padded text SKUs of the whole sheet.
    numbers: HashSet<u64>,
    /// Whether the rows copied keep their SKU's key ([`RowKeys::sku_key`]).
    sku_keys: bool,
    /// The products that rows naming none continue, in memory (one entry per
    /// row naming a product that rows below it continue): the fix plan tells
    /// by them whether a parent SKU fix merges two products, on the rows read
    /// again.
    products_above: NamedAbove,
    /// The same for shops: the rules that compare rows group them by shop.
    shops_above: NamedAbove,
}

/// The hashes met on more than one row.
struct Shared {
    /// SKU keys on several rows.
    skus: HashSet<u64>,
    /// Parent SKUs on several products.
    parents: HashSet<u64>,
    /// The digits of the SKUs stored as numbers.
    numbers: HashSet<u64>,
}

impl State {
    fn new(sku_keys: bool) -> io::Result<Self> {
        Ok(State {
            skus: Spill::new()?,
            parents: Spill::new()?,
            numbers: HashSet::default(),
            sku_keys,
            products_above: NamedAbove::default(),
            shops_above: NamedAbove::default(),
        })
    }

    fn hasher() -> FixedState {
        FixedState::with_seed(0x0073_6b75_6c69_6e74)
    }

    /// The hash of a near-duplicate key.
    fn key_hash(text: &str) -> u64 {
        Self::hasher().hash_one(near_duplicate_key(text))
    }

    /// The hash of a shop and a SKU's near-duplicate key.
    fn shop_key_hash(shop: &str, key: &str) -> u64 {
        Self::hasher().hash_one((shop, key))
    }

    /// Adds the data rows of a table. With `copy`, also copies the rows the
    /// second pass may read, at their rows in the file (`offset` added): the
    /// data rows, or with `all_from`, every row from there on.
    fn add(
        &mut self,
        table: &Table,
        mut copy: Option<&mut RowCopy>,
        all_from: Option<usize>,
        offset: usize,
    ) -> io::Result<()> {
        let copy_all = copy.is_some() && all_from.is_some();
        let has_parents = table.column(Role::ParentSku).is_some();
        let has_shops = table.column(Role::Shop).is_some();
        // The shops are followed over every row under the header that is not
        // blank, as `Table::shop` follows them.
        let rows: Box<dyn Iterator<Item = usize>> = if copy_all || has_shops {
            let from = all_from.unwrap_or(table.header_row + 1);
            Box::new(from..table.sheet.rows.len())
        } else {
            Box::new(table.data_rows.iter().copied())
        };
        let mut data_rows = table.data_rows.iter().peekable();
        for row in rows {
            let is_data = data_rows.next_if_eq(&&row).is_some();
            // A row that leaves the shop blank continues the one above,
            // across parts, as `Table::shop` follows every row.
            let own_shop = match has_shops {
                true => trimmed(table.value(row, Role::Shop).text()),
                false => Cow::Borrowed(""),
            };
            let shop = if has_shops {
                self.shops_above.follow(row + offset, &own_shop);
                match &*own_shop {
                    "" => self.shops_above.current().unwrap_or(""),
                    named => named,
                }
            } else {
                &own_shop
            };
            if !is_data && !copy_all {
                continue;
            }
            // Products matter to parent SKUs only.
            let product = if is_data && has_parents {
                let product = table.product_key(row);
                self.products_above.follow(row + offset, &product);
                product
            } else {
                Cow::Borrowed("")
            };
            let cells = &table.sheet.rows[row];
            if !is_data && cells.is_empty() {
                continue;
            }
            let value = |role| table.value(row, role);
            let keys = RowKeys::of(
                value(Role::Sku),
                shop,
                value(Role::ParentSku),
                self.sku_keys,
            );
            if is_data {
                if let Some(digits) = keys.number {
                    self.numbers.insert(digits);
                }
                if let Some(sku) = keys.sku {
                    self.skus.push(sku, 0)?;
                }
                // A row naming no product continues the one above, as the
                // fix plan and DUP003 group rows.
                let product = match &*product {
                    "" => self.products_above.current(),
                    named => Some(named),
                };
                if let Some(parent) = keys.parent
                    && let Some(product) = product
                {
                    self.parents
                        .push(parent, Self::hasher().hash_one(product))?;
                }
            }
            if let Some(copy) = copy.as_deref_mut() {
                copy.push(row + offset, &keys, cells)?;
            }
        }
        Ok(())
    }

    /// Reads the two sets back: their ranges are grouped on the pool's
    /// threads, since this runs after the last row, while nothing else does.
    fn shared(self) -> io::Result<Shared> {
        let State {
            skus,
            parents,
            numbers,
            ..
        } = self;
        let (skus, parents) = rayon::join(
            || skus.hashes_where(|_, rows| rows.len() > 1),
            || parents.hashes_where(|_, products| products.iter().any(|&p| p != products[0])),
        );
        Ok(Shared {
            skus: skus?,
            parents: parents?,
            numbers,
        })
    }
}

impl Shared {
    /// Whether a row read again can take part in a duplicate or in SKU010's
    /// comparison: its SKU's key is on another row too, its SKU is a number or
    /// zero-padded text whose digits a number has, its parent SKU is on
    /// several products, or its parent SKU's key is one a parent SKU fix would
    /// produce.
    fn shares(&self, keys: &RowKeys, wanted: &NewKeys) -> bool {
        keys.number.is_some()
            || keys.padded.is_some_and(|d| self.numbers.contains(&d))
            || keys.sku.is_some_and(|k| self.skus.contains(&k))
            || keys.parent.is_some_and(|p| self.parents.contains(&p))
            || keys.parent_key.is_some_and(|k| wanted.parents.contains(&k))
            || keys.sku_key.is_some_and(|k| wanted.skus.contains(&k))
    }
}

/// The keys the fixes give SKUs and parent SKUs, which rows not otherwise
/// read again can share: the fix plan compares them, and so does the lint of
/// the fixed rows.
#[derive(Default)]
struct NewKeys {
    /// The near-duplicate keys of fixed SKUs that differ from their keys
    /// before the fix (the unsafe fixes' look-alike letters), shop aside.
    skus: HashSet<u64>,
    /// The near-duplicate keys of fixed parent SKUs, before and after the fix:
    /// a parent SKU is compared with its own kind under its exact text.
    parents: HashSet<u64>,
}

impl NewKeys {
    fn of<'d>(table: &Table, applied: impl Iterator<Item = &'d Diagnostic>) -> Self {
        // Each cell's text fixes together, composed as the plan composes them.
        let mut cells: foldhash::HashMap<(u32, u32), (Role, &str, Vec<TextFix>)> =
            foldhash::HashMap::default();
        for d in applied {
            let Some(Edit::Text(fix)) = d.fix.as_ref().map(|f| f.edit) else {
                continue;
            };
            let col = Some(d.location.col as usize);
            let Some(role) = [Role::Sku, Role::ParentSku]
                .into_iter()
                .find(|&role| table.column(role) == col)
            else {
                continue;
            };
            cells
                .entry((d.location.row, d.location.col))
                .or_insert_with(|| (role, d.value.as_str(), Vec::new()))
                .2
                .push(fix);
        }
        let mut keys = NewKeys::default();
        for (role, old, fixes) in cells.into_values() {
            let (before, after) = (
                State::key_hash(old),
                State::key_hash(&crate::fix::compose(old, &fixes)),
            );
            if role == Role::ParentSku {
                keys.parents.extend([before, after]);
            } else if after != before {
                keys.skus.insert(after);
            }
        }
        keys
    }
}

/// The cell of `role` in a row's cells.
fn cell_of<'c>(table: &Table, cells: &'c [Value], role: Role) -> &'c Value {
    static EMPTY: Value = Value::Empty;
    table
        .column(role)
        .and_then(|col| cells.get(col))
        .unwrap_or(&EMPTY)
}

/// What tells whether a row can take part in what the second pass looks at,
/// as hashes of its SKU and parent SKU.
#[derive(serde::Serialize, serde::Deserialize)]
struct RowKeys {
    /// (shop, near-duplicate key) of a non-empty SKU.
    sku: Option<u64>,
    /// The digits of a SKU stored as a number.
    number: Option<u64>,
    /// The digits a number would keep of a zero-padded text SKU.
    padded: Option<u64>,
    /// A non-empty parent SKU, and its near-duplicate key.
    parent: Option<u64>,
    parent_key: Option<u64>,
    /// The near-duplicate key of a non-empty SKU, shop aside: kept only when
    /// the unsafe fixes, which can change it, are to be applied.
    sku_key: Option<u64>,
}

impl RowKeys {
    /// The keys of a row, `shop` trimmed (or continued from the row above).
    fn of(sku: &Value, shop: &str, parent: &Value, sku_key: bool) -> Self {
        let hash = |text: &str| State::hasher().hash_one(text);
        let text = sku.text();
        let parent = parent.text();
        // The near-duplicate key, made once for both hashes of it.
        let key = (!text.is_empty()).then(|| near_duplicate_key(&text));
        RowKeys {
            sku_key: key
                .as_deref()
                .filter(|_| sku_key)
                .map(|key| State::hasher().hash_one(key)),
            sku: key.as_deref().map(|key| State::shop_key_hash(shop, key)),
            number: sku.is_number().then(|| hash(&text)),
            padded: (matches!(sku, Value::Text(_)) && is_zero_padded(&text))
                .then(|| hash(unpadded(&text))),
            parent: (!parent.is_empty()).then(|| State::shop_key_hash(shop, &parent)),
            parent_key: (!parent.is_empty()).then(|| State::key_hash(&parent)),
        }
    }
}

/// The rows a second pass may read, in a temporary file: each as its row in
/// the file and [`RowKeys`], read for every row, then its cells, decoded only
/// for the rows kept.
struct RowCopy {
    writer: io::BufWriter<File>,
    record: Vec<u8>,
    /// Rows copied, bytes written, and where each chunk of rows starts.
    rows: usize,
    written: u64,
    chunks: Vec<u64>,
}

impl RowCopy {
    /// Rows read back as one piece of work.
    const CHUNK_ROWS: usize = 4096;

    fn new() -> io::Result<Self> {
        Ok(RowCopy {
            writer: io::BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            record: Vec::new(),
            rows: 0,
            written: 0,
            chunks: Vec::new(),
        })
    }

    fn push(&mut self, row: usize, keys: &RowKeys, cells: &[Value]) -> io::Result<()> {
        let encoded = |e: postcard::Error| io::Error::other(e.to_string());
        if self.rows.is_multiple_of(Self::CHUNK_ROWS) {
            self.chunks.push(self.written);
        }
        let mut record = std::mem::take(&mut self.record);
        record.clear();
        record.extend_from_slice(&[0; 4]);
        record = postcard::to_extend(&(row, keys), record).map_err(encoded)?;
        record = postcard::to_extend(&cells, record).map_err(encoded)?;
        let len = u32::try_from(record.len() - 4).map_err(io::Error::other)?;
        record[..4].copy_from_slice(&len.to_le_bytes());
        self.writer.write_all(&record)?;
        self.rows += 1;
        self.written += record.len() as u64;
        self.record = record;
        Ok(())
    }

    /// The rows `keep` wants, in the order they were copied, with their cells.
    /// The chunks of rows are decoded on the pool's threads.
    fn kept(
        &mut self,
        keep: impl Fn(usize, &RowKeys) -> bool + Sync,
    ) -> io::Result<Vec<(usize, Vec<Value>)>> {
        self.writer.flush()?;
        let ends = self.chunks.iter().skip(1).copied().chain([self.written]);
        let pieces = self
            .chunks
            .iter()
            .zip(ends)
            .map(|(&start, end)| Pieces::one(start, end - start));
        let decoded = |e: postcard::Error| io::Error::other(e.to_string());
        let chunks = map_pieces(self.writer.get_mut(), pieces, |bytes| {
            let mut kept = Vec::new();
            let mut rest = &bytes[..];
            while let Some((len, after)) = rest.split_first_chunk::<4>() {
                let len = u32::from_le_bytes(*len) as usize;
                let record = after.get(..len).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::UnexpectedEof, "a row copy ends early")
                })?;
                rest = &after[len..];
                let ((row, keys), cells): ((usize, RowKeys), &[u8]) =
                    postcard::take_from_bytes(record).map_err(decoded)?;
                if keep(row, &keys) {
                    kept.push((row, postcard::from_bytes(cells).map_err(decoded)?));
                }
            }
            Ok(kept)
        })?;
        Ok(chunks.into_iter().flatten().collect())
    }
}

/// Where the bytes of one piece of work are: parts of a file, then bytes
/// still in memory.
struct Pieces<'a> {
    parts: Vec<(u64, u64)>,
    tail: &'a [u8],
}

impl Pieces<'_> {
    fn one(offset: u64, len: u64) -> Self {
        Pieces {
            parts: vec![(offset, len)],
            tail: &[],
        }
    }
}

/// Reads each piece of `file` and maps its bytes with `work`, a few pieces at
/// a time: the file is read by one thread (it has one cursor) while the
/// pieces read before are mapped on the pool's threads. The results come in
/// the pieces' order.
fn map_pieces<'a, T: Send>(
    file: &mut File,
    pieces: impl IntoIterator<Item = Pieces<'a>, IntoIter: Send>,
    work: impl Fn(Vec<u8>) -> io::Result<T> + Sync,
) -> io::Result<Vec<T>> {
    let at_once = 2 * rayon::current_num_threads();
    let mut pieces = pieces.into_iter();
    let mut read_some = || -> io::Result<Vec<Vec<u8>>> {
        pieces
            .by_ref()
            .take(at_once)
            .map(|piece| {
                let len = piece.parts.iter().map(|part| part.1).sum::<u64>();
                let mut bytes = Vec::with_capacity(len as usize + piece.tail.len());
                for (offset, len) in piece.parts {
                    io::Seek::seek(file, io::SeekFrom::Start(offset))?;
                    if Read::by_ref(file).take(len).read_to_end(&mut bytes)? as u64 != len {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a temporary file ends early",
                        ));
                    }
                }
                bytes.extend_from_slice(piece.tail);
                Ok(bytes)
            })
            .collect()
    };
    let mut results = Vec::new();
    let mut read = read_some()?;
    while !read.is_empty() {
        let (next, mapped) = rayon::join(&mut read_some, || {
            read.into_par_iter().map(&work).collect::<Vec<_>>()
        });
        for result in mapped {
            results.push(result?);
        }
        read = next?;
    }
    Ok(results)
}

/// (hash, value) records in one temporary file, grouped by range of hashes, so
/// that grouping them by hash needs one range in memory at a time. Each range
/// gathers its records in a buffer, written out as a segment when full; a file
/// per range would take 64 file handles for every long file checked at once.
struct Spill {
    file: File,
    /// Where the file ends.
    len: u64,
    buffers: Vec<Vec<u8>>,
    /// Per range, the (offset, length) of its segments in the file.
    segments: Vec<Vec<(u64, usize)>>,
}

impl Spill {
    /// 64 ranges keep one under 16 MiB up to about 60 million rows.
    const PARTITION_BITS: u32 = 6;
    const SEGMENT: usize = 64 << 10;
    const RECORD: usize = 16;

    fn new() -> io::Result<Self> {
        let partitions = 1 << Self::PARTITION_BITS;
        Ok(Spill {
            file: tempfile::tempfile()?,
            len: 0,
            buffers: vec![Vec::new(); partitions],
            segments: vec![Vec::new(); partitions],
        })
    }

    fn push(&mut self, hash: u64, value: u64) -> io::Result<()> {
        let partition = (hash >> (64 - Self::PARTITION_BITS)) as usize;
        let buffer = &mut self.buffers[partition];
        buffer.extend_from_slice(&hash.to_le_bytes());
        buffer.extend_from_slice(&value.to_le_bytes());
        if buffer.len() >= Self::SEGMENT {
            self.file.write_all(buffer)?;
            self.segments[partition].push((self.len, buffer.len()));
            self.len += buffer.len() as u64;
            buffer.clear();
        }
        Ok(())
    }

    /// The hashes whose values `shared` holds for, given each hash and the
    /// values recorded with it; the ranges are grouped on the pool's threads.
    fn hashes_where(
        mut self,
        shared: impl Fn(u64, &[u64]) -> bool + Sync,
    ) -> io::Result<HashSet<u64>> {
        let pieces = self
            .segments
            .iter()
            .zip(&self.buffers)
            .map(|(segments, buffer)| Pieces {
                parts: segments
                    .iter()
                    .map(|&(offset, len)| (offset, len as u64))
                    .collect(),
                tail: buffer,
            });
        let ranges = map_pieces(&mut self.file, pieces, |bytes| {
            let mut records: Vec<(u64, u64)> = bytes
                .chunks_exact(Self::RECORD)
                .map(|r| {
                    let word = |at: usize| u64::from_le_bytes(r[at..at + 8].try_into().unwrap());
                    (word(0), word(8))
                })
                .collect();
            // Only the groups matter, not the order of values in them.
            records.sort_unstable_by_key(|r| r.0);
            let mut values = Vec::new();
            let mut hashes = Vec::new();
            for group in records.chunk_by(|a, b| a.0 == b.0) {
                values.clear();
                values.extend(group.iter().map(|r| r.1));
                if shared(group[0].0, &values) {
                    hashes.push(group[0].0);
                }
            }
            Ok(hashes)
        })?;
        Ok(ranges.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value type comes back as it was copied, with its row and keys.
    #[test]
    fn a_row_copy_gives_back_every_row_and_value_type() {
        let rows = vec![
            (2, vec![Value::Text("A".into()), Value::Text("007".into())]),
            (
                5,
                vec![Value::Empty, Value::Int(7), Value::Text("PRN".into())],
            ),
            (
                9,
                vec![
                    Value::Float(0.1),
                    Value::Text("KAOS\u{200b}  HITAM".into()),
                    Value::Empty,
                    Value::Bool(true),
                    Value::DateTime(45_000.5),
                    Value::Iso("2024-01-02".into()),
                    Value::Error("#N/A".into()),
                ],
            ),
        ];
        let mut copy = RowCopy::new().unwrap();
        for (row, cells) in &rows {
            let cell = |col: usize| cells.get(col).unwrap_or(&Value::Empty);
            copy.push(
                *row,
                &RowKeys::of(cell(1), &cell(0).text(), cell(2), true),
                cells,
            )
            .unwrap();
        }
        let read = copy
            .kept(|row, keys| {
                assert_eq!(keys.padded.is_some(), row == 2, "row {row}");
                assert_eq!(keys.number.is_some(), row == 5, "row {row}");
                assert_eq!(keys.parent.is_some(), row == 5, "row {row}");
                assert!(keys.sku.is_some() && keys.sku != keys.padded);
                true
            })
            .unwrap();
        assert_eq!(read, rows);
    }

    /// Rows over several chunks, read on the pool's threads, come back in
    /// the order they were copied, only those kept.
    #[test]
    fn a_row_copy_keeps_the_rows_wanted_in_order_across_chunks() {
        let rows = 3 * RowCopy::CHUNK_ROWS + 17;
        let mut copy = RowCopy::new().unwrap();
        for row in 0..rows {
            let cells = vec![Value::Text(format!("SKU-{row}")), Value::Int(row as i64)];
            copy.push(
                row,
                &RowKeys::of(&cells[0], "", &Value::Empty, false),
                &cells,
            )
            .unwrap();
        }
        assert_eq!(copy.chunks.len(), 4);
        let kept = copy.kept(|row, _| row % 3 == 1).unwrap();
        let expected: Vec<(usize, Vec<Value>)> = (0..rows)
            .filter(|row| row % 3 == 1)
            .map(|row| {
                (
                    row,
                    vec![Value::Text(format!("SKU-{row}")), Value::Int(row as i64)],
                )
            })
            .collect();
        assert_eq!(kept, expected);
    }

    /// Enough records that every range writes segments to the file, and groups
    /// that span segments and the buffer left in memory.
    #[test]
    fn a_spill_gives_back_every_record_grouped_by_hash() {
        let mut spill = Spill::new().unwrap();
        let mut expected: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut firsts = Vec::new();
        for i in 0..600_000_u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // One hash in eight repeats one of the first hundred.
            let hash = if i % 8 == 7 {
                firsts[i as usize % firsts.len()]
            } else {
                state
            };
            if firsts.len() < 100 {
                firsts.push(hash);
            }
            spill.push(hash, i).unwrap();
            expected.entry(hash).or_default().push(i);
        }
        assert!(spill.segments.iter().all(|s| !s.is_empty()));
        let seen = std::sync::Mutex::new(std::collections::BTreeMap::new());
        // Every hash is given once with all its values; those the test says
        // are shared come back.
        let shared = spill
            .hashes_where(|hash, values| {
                let mut values = values.to_vec();
                values.sort_unstable();
                let shared = values.len() > 1;
                assert!(
                    seen.lock().unwrap().insert(hash, values).is_none(),
                    "hash {hash} grouped twice"
                );
                shared
            })
            .unwrap();
        let seen = seen.into_inner().unwrap();
        let repeated: HashSet<u64> = expected
            .iter()
            .filter(|(_, values)| values.len() > 1)
            .map(|(hash, _)| *hash)
            .collect();
        assert!(!repeated.is_empty());
        assert_eq!(shared, repeated);
        assert_eq!(seen, expected);
    }
}
