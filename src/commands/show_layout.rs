//! `skulint layout`: how each export is read, before any rule runs. Support
//! agents use it when a file gives no findings, or the wrong ones.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use super::{ExitStatus, FileError, report_errors, report_notices};
use crate::cli::{LayoutArgs, RulesFormat};
use crate::diagnostic::column_letter;
use crate::engine::{Inputs, collect_inputs, read_books, setup};
use crate::table::layout::{self, Layout, RowSkip, Table};
use crate::table::{Role, Workbook, read};

/// Row numbers listed per reason; the rest are counted.
const ROWS_SHOWN: usize = 10;

#[derive(Serialize)]
struct Document {
    schema: &'static str,
    files: Vec<FileLayout>,
    errors: Vec<ErrorEntry>,
}

#[derive(Serialize)]
struct ErrorEntry {
    file: String,
    message: String,
}

#[derive(Serialize)]
struct FileLayout {
    path: String,
    format: &'static str,
    channel: &'static str,
    /// How the channel was decided.
    channel_source: &'static str,
    sheets: Vec<SheetLayout>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SheetLayout {
    Read {
        name: String,
        /// 1-based.
        header_row: usize,
        listing_rows: usize,
        /// 1-based rows of the first and last listing.
        first_listing_row: Option<usize>,
        last_listing_row: Option<usize>,
        /// Why non-empty rows under the header are not listings, with their 1-based rows.
        rows_skipped: Vec<Skipped>,
        columns: Vec<ColumnLayout>,
        notes: Vec<String>,
    },
    Skipped {
        name: String,
        skipped: &'static str,
        reason: String,
    },
}

#[derive(Serialize)]
struct Skipped {
    reason: &'static str,
    description: &'static str,
    rows: Vec<usize>,
}

#[derive(Serialize)]
struct ColumnLayout {
    role: &'static str,
    column: String,
    header: String,
    /// Why the column was given the role.
    source: String,
}

pub fn layout(args: &LayoutArgs) -> Result<ExitStatus> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let status = layout_into(args, &mut out)?;
    out.flush()?;
    Ok(status)
}

/// [`layout`], writing the report to `out` instead of standard output.
pub fn layout_into(args: &LayoutArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let setup = setup(&args.lint.engine_options(None))?;
    let Inputs {
        files,
        mut errors,
        notices,
    } = collect_inputs(&args.paths);
    super::report_notices(&notices);
    let books = read_books(&files, &setup, read::Depth::Values);
    let mut document = Document {
        schema: "skulint/layout/v1",
        files: Vec::new(),
        errors: Vec::new(),
    };
    let mut detected: Vec<Result<(&Workbook, Layout), FileError>> = books
        .books
        .iter()
        .map(|book| {
            let workbook = book.as_ref().map_err(Clone::clone)?;
            let found = layout::detect(workbook, &setup.spec).map_err(|e| FileError {
                path: workbook.display.to_string(),
                message: e.to_string(),
            })?;
            Ok((workbook, found))
        })
        .collect();
    // How a file was read (a CSV named .xlsx, a guessed encoding) bears on its layout.
    let notices = books.settle(&mut detected).concat();
    for result in detected {
        match result {
            Ok((workbook, found)) => {
                document
                    .files
                    .push(file_layout(workbook, &found, setup.spec.channel.is_some()))
            }
            Err(error) => errors.push(error),
        }
    }
    report_notices(&notices);
    report_errors(&errors);
    document.errors = errors
        .iter()
        .map(|e| ErrorEntry {
            file: e.path.clone(),
            message: e.one_line(),
        })
        .collect();
    match args.output_format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &document)?;
            writeln!(out)?;
        }
        RulesFormat::Text => write_text(out, &document)?,
    }
    Ok(if errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Error
    })
}

fn file_layout(workbook: &Workbook, found: &Layout, channel_given: bool) -> FileLayout {
    let channel = found
        .tables
        .first()
        .map(|t| t.channel)
        .unwrap_or_else(|| layout::detect_channel(workbook));
    let channel_source = if channel_given {
        "given with --channel or in skulint.toml"
    } else if channel == crate::table::columns::Channel::Generic {
        "no channel's sheet names, machine keys or marker rows were found"
    } else {
        "detected from the sheet names, machine keys and marker rows"
    };
    let mut sheets: BTreeMap<usize, SheetLayout> = found
        .skipped
        .iter()
        .map(|s| {
            (
                s.position,
                SheetLayout::Skipped {
                    name: s.name.to_string(),
                    skipped: s.reason.key(),
                    reason: s.reason.to_string(),
                },
            )
        })
        .collect();
    for table in &found.tables {
        sheets.insert(table.sheet_index, sheet_layout(table));
    }
    FileLayout {
        path: workbook.display.to_string(),
        format: workbook.format.as_str(),
        channel: channel.key(),
        channel_source,
        sheets: sheets.into_values().collect(),
    }
}

fn sheet_layout(table: &Table) -> SheetLayout {
    let mut skipped: BTreeMap<RowSkip, Vec<usize>> = BTreeMap::new();
    for (row, reason) in &table.skipped {
        skipped
            .entry(*reason)
            .or_default()
            .push(table.file_row(*row) + 1);
    }
    SheetLayout::Read {
        name: table.sheet.name.to_string(),
        header_row: table.header_row + 1,
        listing_rows: table.data_rows.len(),
        first_listing_row: table.data_rows.first().map(|r| table.file_row(*r) + 1),
        last_listing_row: table.data_rows.last().map(|r| table.file_row(*r) + 1),
        rows_skipped: skipped
            .into_iter()
            .map(|(reason, rows)| Skipped {
                reason: reason.key(),
                description: reason.describe(),
                rows,
            })
            .collect(),
        columns: table
            .roles()
            .map(|(role, col)| ColumnLayout {
                role: role.key(),
                column: column_letter(col as u32),
                header: one_line(&table.header(col)),
                source: table
                    .source(role)
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
            .collect(),
        notes: table.notes.clone(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Names, headers and notes come from the file: shown with their control
/// characters by code, in text.
fn shown(text: &str) -> String {
    crate::text::printable(text)
}

fn write_text(out: &mut dyn Write, document: &Document) -> io::Result<()> {
    for (i, file) in document.files.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let title = crate::table::columns::ChannelProfile::all()
            .iter()
            .find(|(c, _)| c.key() == file.channel)
            .map_or(file.channel, |(_, p)| p.title.as_str());
        writeln!(out, "{} ({})", shown(&file.path), file.format)?;
        writeln!(out, "  channel: {title} ({})", file.channel_source)?;
        for sheet in &file.sheets {
            match sheet {
                SheetLayout::Skipped { name, reason, .. } => {
                    writeln!(
                        out,
                        "  sheet {}: not checked: {}",
                        shown(name),
                        shown(reason)
                    )?;
                }
                SheetLayout::Read {
                    name,
                    header_row,
                    listing_rows,
                    first_listing_row,
                    last_listing_row,
                    rows_skipped,
                    columns,
                    notes,
                } => {
                    let span = match (first_listing_row, last_listing_row) {
                        (Some(first), Some(last)) => format!(", rows {first}–{last}"),
                        _ => String::new(),
                    };
                    writeln!(
                        out,
                        "  sheet {}: header row {header_row}, {listing_rows} listing rows{span}",
                        shown(name)
                    )?;
                    for skipped in rows_skipped {
                        let shown: Vec<String> = skipped
                            .rows
                            .iter()
                            .take(ROWS_SHOWN)
                            .map(ToString::to_string)
                            .collect();
                        let more = skipped.rows.len().saturating_sub(ROWS_SHOWN);
                        let more = if more > 0 {
                            format!(" and {more} more")
                        } else {
                            String::new()
                        };
                        let rows = if skipped.rows.len() == 1 {
                            "row"
                        } else {
                            "rows"
                        };
                        writeln!(
                            out,
                            "    not read: {} ({rows} {}{more})",
                            skipped.description,
                            shown.join(", ")
                        )?;
                    }
                    let width = columns.iter().map(|c| c.role.len()).max().unwrap_or(0);
                    for column in columns {
                        writeln!(
                            out,
                            "    {:<width$}  {:<3} {}",
                            column.role,
                            column.column,
                            shown(&column.source)
                        )?;
                    }
                    if !columns.iter().any(|c| c.role == Role::Stock.key()) {
                        writeln!(
                            out,
                            "    (no stock column: name one with --stock-column to check stock)"
                        )?;
                    }
                    for note in notes {
                        writeln!(out, "    note: {}", shown(note))?;
                    }
                }
            }
        }
    }
    Ok(())
}
