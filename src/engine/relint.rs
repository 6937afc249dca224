//! The lint of a workbook changed since it was linted (the fixed workbook of
//! `fix`): the rules that look at one row run only on the rows that changed,
//! and what they found on the others is taken over from the first lint.

use rayon::prelude::*;

use super::{Linted, Setup, lint_books_with};
use crate::diagnostic::Diagnostic;
use crate::emit::FileError;
use crate::rules::settings::Settings;
use crate::rules::{Threads, Which, run_which};
use crate::table::columns::Channel;
use crate::table::{Role, Sheet, Table, Workbook, layout};

/// [`lint_books`] of workbooks linted before (`before`, in the same order)
/// and changed since only in some rows: where a workbook's tables have the
/// same layout as then, the rules that look at one row run on the changed
/// rows only, and their findings on the other rows are taken over.
pub fn relint_books<'a>(
    books: &'a [Result<Workbook, FileError>],
    setup: &Setup,
    before: &[Option<Before>],
) -> Vec<Result<Linted<'a>, FileError>> {
    lint_books_with(books, setup, |i, tables| match &before[i] {
        Some(before) if before.fits(tables) => before.relint(tables, &setup.settings),
        _ => crate::rules::run(tables, &setup.settings),
    })
}

/// What the lint of a workbook found that the lint of its changed copy can
/// take over: the findings of the rules that look at one row, the layout they
/// were found in, and the rows changed since.
pub struct Before {
    layout: LayoutShape,
    one_row: Vec<Diagnostic>,
    /// (sheet position, row) of every changed row.
    changed: foldhash::HashSet<(usize, usize)>,
}

impl Before {
    /// `diagnostics` are the findings of `tables`, before a fix plan marked them.
    pub fn new(tables: &[Table], diagnostics: &[Diagnostic]) -> Self {
        Before {
            layout: LayoutShape::of(tables),
            one_row: diagnostics
                .iter()
                .filter(|d| Which::OneRow.covers(d.code))
                .cloned()
                .collect(),
            changed: Default::default(),
        }
    }

    /// Whether `tables` (of the changed workbook) have the layout the findings
    /// were found in, so that they can be taken over.
    pub fn fits(&self, tables: &[Table]) -> bool {
        self.layout == LayoutShape::of(tables)
    }

    /// How many findings there are to take over (before any row changed).
    pub fn taken_over(&self) -> usize {
        self.one_row.len()
    }

    /// The rows changed since: `rows` as (sheet position, row in the file).
    pub fn set_changed(&mut self, rows: impl IntoIterator<Item = (usize, usize)>) {
        self.changed = rows.into_iter().collect();
    }

    /// The findings in `tables`, the tables of the changed workbook (or
    /// the rows of it that the rules comparing rows need, each knowing its
    /// row in the file).
    pub fn relint(&self, tables: &[Table], settings: &Settings) -> Vec<Diagnostic> {
        let mut found = run_which(tables, settings, Which::ComparingRows, Threads::Pool);
        for table in tables {
            let rows: Vec<usize> = table
                .data_rows
                .iter()
                .copied()
                .filter(|&row| {
                    self.changed
                        .contains(&(table.sheet_index, table.file_row(row)))
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let header = &table.sheet.rows[..=table.header_row];
            let mut file_rows: Vec<usize> = (0..header.len()).collect();
            file_rows.extend(rows.iter().map(|&row| table.file_row(row)));
            let sheet = Sheet {
                name: table.sheet.name.clone(),
                visibility: table.sheet.visibility,
                rows: header
                    .iter()
                    .chain(rows.iter().map(|&row| &table.sheet.rows[row]))
                    .cloned()
                    .collect(),
                ..Default::default()
            };
            let changed = table
                .with_sheet(&sheet, header.len())
                .with_file_rows(file_rows);
            found.extend(run_which(
                std::slice::from_ref(&changed),
                settings,
                Which::OneRow,
                Threads::Pool,
            ));
        }
        found.extend(
            self.one_row
                .iter()
                .filter(|d| {
                    let at = (d.location.sheet_index as usize, d.location.row as usize);
                    !self.changed.contains(&at)
                })
                .cloned(),
        );
        found.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        found
    }
}

/// Whether two sets of tables have the same layout: the same rows are
/// listings, and each column the same role.
pub fn same_layout(a: &[Table], b: &[Table]) -> bool {
    LayoutShape::of(a) == LayoutShape::of(b)
}

/// What decides how the rules see each row of a workbook's tables: which
/// rows are listings, and what each column is.
#[derive(PartialEq, Eq)]
struct LayoutShape(Vec<TableShape>);

#[derive(PartialEq, Eq)]
struct TableShape {
    sheet_index: usize,
    channel: Channel,
    header_row: usize,
    roles: Vec<(Role, usize)>,
    data_rows: Vec<usize>,
    skipped: Vec<(usize, layout::RowSkip)>,
    product_level_codes: bool,
}

impl LayoutShape {
    fn of(tables: &[Table]) -> Self {
        LayoutShape(
            tables
                .iter()
                .map(|table| TableShape {
                    sheet_index: table.sheet_index,
                    channel: table.channel,
                    header_row: table.header_row,
                    roles: table.roles().collect(),
                    data_rows: table.data_rows.clone(),
                    skipped: table.skipped.clone(),
                    product_level_codes: table.product_level_codes,
                })
                .collect(),
        )
    }
}
