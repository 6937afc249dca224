//! `fix` in the engine: plan the fixes of each file, apply them, lint the fixed
//! workbooks again and make each corrected copy in memory. Where the copies,
//! plans and backups are written is the command's business.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::{
    Before, FileRows, Observer, Setup, data_rows, file_report, lint_books, read_books,
    relint_books, stream,
};
use crate::diagnostic::Diagnostic;
use crate::emit::{FileError, FileReport};
use crate::fix::{self, Change, is_csv};
use crate::plan::PlanEntry;
use crate::table::patch::{self, CellEdit};
use crate::table::write::{self, Highlight};
use crate::table::{Format, Role, Sheet, Value, Workbook, csv, csv_stream, read};
use crate::text::visible;

/// How `fix` changes files.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixOptions {
    /// Apply the unsafe fixes too.
    pub unsafe_fixes: bool,
    /// Rebuild every copy from the cell values instead of patching the original.
    pub rebuild: bool,
}

/// What fixing one file did.
pub struct Fixed {
    pub path: PathBuf,
    pub format: Format,
    pub report: FileReport,
    /// Findings left after fixing.
    pub remaining: Vec<Diagnostic>,
    pub changes: Vec<Change>,
    /// The resync plan of the changes kept.
    pub resync: Vec<PlanEntry>,
    /// The corrected copy, when one was wanted, or why it could not be made.
    pub made: Option<Result<Made>>,
    /// Lines for stderr that must not go unnoticed: how the file was read, a
    /// workbook rebuilt because it could not be patched, a fix left out because
    /// its cell holds a formula.
    pub notices: Vec<String>,
}

/// What the corrected copy was made from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Corrected {
    /// The original package with only the fixed cells changed.
    Patched,
    /// Rebuilt from the cell values (CSV/TSV, xls/xlsb/ods, `--rebuild`, or a
    /// package that could not be patched).
    Rebuilt,
}

/// The corrected copy of one file, in memory until it is written.
pub struct Made {
    pub corrected: Corrected,
    pub bytes: Vec<u8>,
    /// Cells the patcher left alone because they are inside an array formula.
    formula_cells: Vec<patch::Skipped>,
    notices: Vec<String>,
}

/// Fixes a group of files linted together (see [`groups`]): plans the fixes of
/// each and applies them to the workbooks as read, then lints the fixed
/// workbooks again (together, so the cross-file rules see the fixed stock)
/// while the corrected copies of the files `copy` wants (given their changes)
/// are made in memory. Nothing is written here.
/// `observer` is told of the rows read and of each file done.
pub fn fix_group(
    paths: &[PathBuf],
    setup: &Setup,
    options: &FixOptions,
    copy: &(dyn Fn(&[Change]) -> bool + Sync),
    observer: &dyn Observer,
) -> Vec<Result<Fixed, FileError>> {
    let rows = FileRows::new(observer);
    let fixed = fix_files(paths, setup, options, copy, &rows);
    for fixed in &fixed {
        rows.done(fixed.as_ref().map_or(0, |fixed| data_rows(&fixed.report)));
    }
    fixed
}

fn fix_files(
    paths: &[PathBuf],
    setup: &Setup,
    options: &FixOptions,
    copy: &(dyn Fn(&[Change]) -> bool + Sync),
    rows: &FileRows,
) -> Vec<Result<Fixed, FileError>> {
    // A long CSV export or workbook is fixed as it is read, without holding it.
    if let [path] = paths {
        let (part_rows, from_bytes) = match read::declared_format(path) {
            Ok(Format::Csv | Format::Tsv) => (stream::PART_ROWS, stream::STREAM_FROM_BYTES),
            _ => (stream::XLSX_PART_ROWS, stream::XLSX_STREAM_FROM_BYTES),
        };
        if let Some(fixed) = fix_streamed(path, setup, options, copy, part_rows, from_bytes, rows) {
            return vec![fixed];
        }
    }
    let depth = if options.rebuild {
        read::Depth::Full
    } else {
        read::Depth::Patch
    };
    let mut read = read_books(paths, setup, depth);
    let mut first = lint_books(&read.books, setup);
    let read_notices = read.settle(&mut first);
    // What the first lint found on each row, for the lint of the fixed workbook.
    let mut before: Vec<Option<Before>> = Vec::with_capacity(paths.len());
    let mut planned: Vec<Result<Vec<Change>, FileError>> = first
        .into_iter()
        .map(|linted| {
            let mut linted = match linted {
                Ok(linted) => linted,
                Err(e) => {
                    before.push(None);
                    return Err(e);
                }
            };
            before.push(Some(Before::new(&linted.tables, &linted.diagnostics)));
            let csv = is_csv(linted.workbook);
            Ok(fix::plan(
                &linted.tables,
                &mut linted.diagnostics,
                options.unsafe_fixes,
                csv,
            ))
        })
        .collect();
    let mark_changed = |before: &mut [Option<Before>],
                        planned: &[Result<Vec<Change>, FileError>]| {
        for (before, changes) in before.iter_mut().zip(planned) {
            if let (Some(before), Ok(changes)) = (before, changes) {
                before.set_changed(changes.iter().map(|c| (c.sheet_index, c.row)));
            }
        }
    };
    mark_changed(&mut before, &planned);
    for (book, planned) in read.books.iter_mut().zip(&planned) {
        if let (Ok(workbook), Ok(changes)) = (book, planned) {
            fix::apply_in_place(workbook, changes);
        }
    }
    let (mut relinted, mut made) = {
        let books = &read.books;
        let planned = &planned;
        rayon::join(
            || relint_books(books, setup, &before),
            || {
                books
                    .par_iter()
                    .zip(planned)
                    .map(|(book, planned)| match (book, planned) {
                        (Ok(workbook), Ok(changes)) if copy(changes) => {
                            rows.making_copy();
                            Some(make_corrected(workbook, changes, options, setup))
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            },
        )
    };

    // Cells inside an array formula's range are found only by the patcher: their
    // changes are dropped, and the workbooks they were applied to linted again.
    let mut notices: Vec<Vec<String>> = read_notices
        .iter()
        .map(|notices| notices.iter().map(|n| n.line()).collect())
        .collect();
    let mut reverted = Vec::new();
    for (i, (planned, made)) in planned.iter_mut().zip(&mut made).enumerate() {
        let (Ok(changes), Some(Ok(made))) = (planned, made) else {
            continue;
        };
        notices[i].append(&mut made.notices);
        let formulas: HashSet<(&str, u32, u32)> = made
            .formula_cells
            .iter()
            .map(|c| (c.sheet.as_str(), c.row, c.col))
            .collect();
        let dropped = leave_formula_cells(changes, &formulas, &mut notices[i]);
        if !dropped.is_empty() {
            reverted.push((i, dropped));
        }
    }
    if !reverted.is_empty() {
        drop(relinted);
        for (i, dropped) in &reverted {
            if let Ok(workbook) = &mut read.books[*i] {
                fix::revert_in_place(workbook, dropped);
            }
        }
        mark_changed(&mut before, &planned);
        relinted = relint_books(&read.books, setup, &before);
    }

    let mut dropped: Vec<Vec<Change>> = vec![Vec::new(); paths.len()];
    for (i, changes) in reverted {
        dropped[i] = changes;
    }
    read.books
        .iter()
        .zip(planned)
        .zip(relinted)
        .zip(made)
        .zip(notices)
        .zip(dropped)
        .map(
            |(((((fixed, planned), relinted), made), notices), dropped)| {
                let changes = planned?;
                let mut linted = relinted?;
                let workbook = fixed.as_ref().map_err(Clone::clone)?;
                // From the fixed workbook and the changes kept: a change dropped for
                // a formula renames nothing.
                let resync = fix::resync_entries(&linted.tables, &changes);
                let csv = is_csv(linted.workbook);
                fix::plan(
                    &linted.tables,
                    &mut linted.diagnostics,
                    options.unsafe_fixes,
                    csv,
                );
                fix::block_formula_cells(&mut linted.diagnostics, &dropped);
                let report = file_report(linted.workbook, &linted.tables, &linted.skipped);
                // A copy whose every change was dropped is made only if still wanted.
                let made = made.filter(|_| copy(&changes));
                Ok(Fixed {
                    path: workbook.path.clone(),
                    format: workbook.format,
                    report,
                    remaining: linted.diagnostics,
                    changes,
                    resync,
                    made,
                    notices,
                })
            },
        )
        .collect()
}

/// `fix` of a long CSV/TSV file or xlsx/xlsm workbook as it is read
/// ([`stream`]), with the part size and threshold as parameters, for tests:
/// the fixes are planned on the rows read again, the lint of the fixed rows
/// takes the rest over from the streamed lint, and the original is patched (a
/// CSV file: its fixed rows written anew, the rest copied). `None` leaves the
/// file to [`fix_group`]'s whole-file path: a small or unusual file,
/// `--rebuild`, a package that cannot be patched, a fixed cell inside an
/// array formula (which only the patcher finds), or a CSV file whose lines to
/// write anew do not hold the rows the stream read there (unbalanced quotes
/// before the last fixed row). Quoting that goes wrong after the last fixed
/// row is copied as it is, where that path refuses the file. The rows of
/// each part are told to `rows`.
pub fn fix_streamed(
    path: &Path,
    setup: &Setup,
    options: &FixOptions,
    copy: &(dyn Fn(&[Change]) -> bool + Sync),
    part_rows: usize,
    from_bytes: u64,
    rows: &FileRows,
) -> Option<Result<Fixed, FileError>> {
    if options.rebuild {
        return None;
    }
    let to = stream::Finish {
        unsafe_fixes: options.unsafe_fixes,
        with: &|streamed| plan_streamed(streamed, setup, options),
    };
    let format = read::declared_format(path).ok()?;
    let text = matches!(format, Format::Csv | Format::Tsv);
    let (planned, notices) = if text {
        stream::csv_in_parts(path, setup, part_rows, from_bytes, rows, to)?
    } else {
        stream::xlsx_in_parts(path, setup, part_rows, from_bytes, rows, to)?
    };
    let planned = match planned {
        Ok(planned) => planned,
        Err(e) => return Some(Err(e)),
    };
    let wanted = copy(&planned.changes);
    if wanted {
        rows.making_copy();
    }
    let made = if !wanted {
        None
    } else if text {
        Some(Ok(corrected_csv(path, format, &planned)?))
    } else {
        let edits: Vec<CellEdit> = planned
            .changes
            .iter()
            .zip(&planned.numbers)
            .map(|(change, &number)| cell_edit(change, number))
            .collect();
        let patched = patch_file(path, &edits).ok()?;
        if !patched.formula_cells.is_empty() {
            return None;
        }
        Some(Ok(Made {
            corrected: Corrected::Patched,
            bytes: patched.bytes,
            formula_cells: Vec::new(),
            notices: Vec::new(),
        }))
    };
    Some(Ok(Fixed {
        path: path.to_path_buf(),
        format: planned.format,
        report: planned.report,
        remaining: planned.remaining,
        changes: planned.changes,
        resync: planned.resync,
        made,
        notices: notices.iter().map(|n| n.line()).collect(),
    }))
}

/// The corrected copy of a streamed CSV/TSV file: its fixed rows written
/// anew in its dialect, every other byte copied. `None` when a line to write
/// anew does not hold the row the stream read there.
fn corrected_csv(path: &Path, format: Format, planned: &Planned) -> Option<Made> {
    let original = std::fs::read(path).ok()?;
    let delimiter = csv_stream::delimiter_of(&original, format == Format::Tsv);
    let body = original.strip_prefix(csv::UTF8_BOM);
    let text = std::str::from_utf8(body.unwrap_or(&original)).ok()?;
    let dialect = csv::utf8_dialect(text, body.is_some(), delimiter);
    let rows: BTreeSet<usize> = planned.rows.keys().copied().collect();
    let found = csv::rows_at(text, delimiter, &rows)?;
    let holds_rows_read = found
        .iter()
        .all(|(row, cells)| planned.rows.get(row).is_some_and(|(read, _)| read == cells));
    if !holds_rows_read {
        return None;
    }
    let fixed = planned
        .rows
        .iter()
        .map(|(&row, (_, fixed))| (row, fixed.as_slice()))
        .collect();
    Some(Made {
        corrected: Corrected::Rebuilt,
        bytes: write::csv(&original, &dialect, &fixed).ok()?,
        formula_cells: Vec::new(),
        notices: Vec::new(),
    })
}

/// What `fix` of a streamed file plans, before the original is patched.
struct Planned {
    format: Format,
    report: FileReport,
    remaining: Vec<Diagnostic>,
    /// At their rows in the file.
    changes: Vec<Change>,
    /// Whether each change's fixed cell is a number.
    numbers: Vec<bool>,
    /// The cells of each changed row (by its row in the file) as read and as
    /// fixed: a CSV file's fixed rows are written anew from them.
    rows: BTreeMap<usize, (Vec<Value>, Vec<Value>)>,
    resync: Vec<PlanEntry>,
}

/// The fixes of a streamed workbook, planned on its rows read again (every
/// row a fix or a rule comparing rows can touch), applied to them, and the
/// fixed rows linted again, as [`fix_group`] does with a whole workbook.
fn plan_streamed(
    streamed: stream::Streamed,
    setup: &Setup,
    options: &FixOptions,
) -> Option<Planned> {
    let stream::Streamed {
        workbook,
        layout,
        table,
        mut diagnostics,
        report,
    } = streamed;
    let csv = is_csv(workbook);
    let mut before = Before::new(std::slice::from_ref(table), &diagnostics);
    let changes = fix::plan(
        std::slice::from_ref(table),
        &mut diagnostics,
        options.unsafe_fixes,
        csv,
    );
    // The changes at their rows in the file, as the patcher and the report take them.
    let in_file: Vec<Change> = changes
        .iter()
        .map(|c| Change {
            row: table.file_row(c.row),
            ..c.clone()
        })
        .collect();
    // The whole-file path finds the layout of the fixed workbook again; the
    // stream found it on the first part, so that part is fixed and looked at
    // again. A fix that changes it leaves the file to the whole-file path.
    let first_rows = workbook.sheets[0].rows.len();
    if in_file.iter().any(|c| c.row < first_rows) {
        let fixed_first = fix::apply(workbook, &in_file);
        let found = crate::table::layout::detect(&fixed_first, &setup.spec).ok()?;
        if !super::relint::same_layout(layout, &found.tables) {
            return None;
        }
    }
    before.set_changed(in_file.iter().map(|c| (c.sheet_index, c.row)));
    let mut sheet = table.sheet.clone();
    fix::apply_to_sheet(&mut sheet, &changes);
    let fixed = table.on_changed(&sheet);
    let fixed = std::slice::from_ref(&fixed);
    // A fix that changes which rows are listings leaves the file to the
    // whole-file path, which lints the fixed workbook in full.
    if !before.fits(fixed) {
        return None;
    }
    let mut remaining = before.relint(fixed, &setup.settings);
    let resync = fix::resync_entries(fixed, &changes);
    fix::plan(fixed, &mut remaining, options.unsafe_fixes, csv);
    let numbers = changes
        .iter()
        .map(|c| sheet.cell(c.row, c.col).is_number())
        .collect();
    let rows = if csv {
        changes
            .iter()
            .map(|c| {
                let cells = |sheet: &Sheet| sheet.rows.get(c.row).cloned().unwrap_or_default();
                (table.file_row(c.row), (cells(table.sheet), cells(&sheet)))
            })
            .collect()
    } else {
        BTreeMap::new()
    };
    Some(Planned {
        format: workbook.format,
        report,
        remaining,
        changes: in_file,
        rows,
        numbers,
        resync,
    })
}

/// The corrected copy of a fixed workbook: the original package patched when it
/// can be, else rebuilt from the fixed cells; CSV/TSV with only the fixed rows
/// written anew.
fn make_corrected(
    fixed: &Workbook,
    changes: &[Change],
    options: &FixOptions,
    setup: &Setup,
) -> Result<Made> {
    let mut notices = Vec::new();
    if let (Format::Csv | Format::Tsv, Some(dialect)) = (fixed.format, &fixed.dialect) {
        let original = std::fs::read(&fixed.path)
            .with_context(|| format!("cannot read {} again", fixed.path.display()))?;
        let sheet = &fixed.sheets[0];
        let rows = changes
            .iter()
            .filter_map(|c| Some((c.row, sheet.rows.get(c.row)?.as_slice())))
            .collect();
        return Ok(Made {
            corrected: Corrected::Rebuilt,
            bytes: write::csv(&original, dialect, &rows)?,
            formula_cells: Vec::new(),
            notices,
        });
    }
    if !options.rebuild && matches!(fixed.format, Format::Xlsx | Format::Xlsm) {
        match patch_original(fixed, changes) {
            Ok(patched) => {
                return Ok(Made {
                    corrected: Corrected::Patched,
                    bytes: patched.bytes,
                    formula_cells: patched.formula_cells,
                    notices,
                });
            }
            Err(e) => notices.push(format!(
                "{}: cannot patch the original workbook ({e:#}); it is rebuilt from its cell values instead, without its styles, validation, protection or macros",
                fixed.display
            )),
        }
    }
    // Read for patching, the workbook lacks what a faithful rebuild needs.
    let reread;
    let fixed = if options.rebuild || !matches!(fixed.format, Format::Xlsx | Format::Xlsm) {
        fixed
    } else {
        let options = read::ReadOptions {
            depth: read::Depth::Full,
            ..setup.read
        };
        let mut full = read::load(&fixed.path, &fixed.display, &options)?.workbook;
        fix::apply_in_place(&mut full, changes);
        reread = full;
        &reread
    };
    let highlights: Vec<Highlight> = changes
        .iter()
        .map(|c| Highlight {
            sheet: c.sheet.to_string(),
            row: c.row as u32,
            col: c.col as u32,
            note: format!(
                "skulint fixed this cell ({}).\nWas: {}",
                c.codes.join(", "),
                visible(&c.old)
            ),
        })
        .collect();
    Ok(Made {
        corrected: Corrected::Rebuilt,
        bytes: write::xlsx(fixed, &highlights)?,
        formula_cells: Vec::new(),
        notices,
    })
}

/// Drops the changes of cells that hold a formula: patching the value would throw
/// the formula away. Each one gets a notice; the dropped changes are returned.
fn leave_formula_cells(
    changes: &mut Vec<Change>,
    formulas: &HashSet<(&str, u32, u32)>,
    notices: &mut Vec<String>,
) -> Vec<Change> {
    if formulas.is_empty() {
        return Vec::new();
    }
    let (dropped, kept) = std::mem::take(changes)
        .into_iter()
        .partition(|c| formulas.contains(&(&*c.sheet, c.row as u32, c.col as u32)));
    *changes = kept;
    for c in &dropped {
        notices.push(format!(
            "{}: {}!{} holds a formula, so it is left unchanged; correct the formula so it gives `{}`",
            c.file,
            c.sheet,
            c.cell(),
            visible(&c.new)
        ));
    }
    dropped
}

fn patch_original(fixed: &Workbook, changes: &[Change]) -> Result<patch::Patched> {
    // Applying a fix keeps a number a number, so the fixed cell tells.
    let is_number = |c: &Change| {
        fixed
            .sheets
            .iter()
            .find(|s| s.name == c.sheet)
            .is_some_and(|s| s.cell(c.row, c.col).is_number())
    };
    let edits: Vec<CellEdit> = changes.iter().map(|c| cell_edit(c, is_number(c))).collect();
    patch_file(&fixed.path, &edits)
}

/// The package at `path` with `edits` made.
fn patch_file(path: &Path, edits: &[CellEdit]) -> Result<patch::Patched> {
    let input =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(patch::xlsx_from(std::io::BufReader::new(input), edits)?)
}

/// The patcher's edit for a change; `fixed_is_number` tells whether the
/// fixed cell holds a number.
fn cell_edit(c: &Change, fixed_is_number: bool) -> CellEdit<'_> {
    CellEdit {
        sheet: &c.sheet,
        row: c.row as u32,
        col: c.col as u32,
        text: &c.new,
        // A stock that was a number stays a number; a SKU is always text.
        number: c.role == Role::Stock && fixed_is_number && c.new.parse::<f64>().is_ok(),
    }
}
