//! `skulint fix`: lint, apply the fixes, write the corrected copy, the resync plan
//! and the change log, and report what remains.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{
    ExitStatus, FileError, collect_inputs, emit, exit_status, file_report, refuse_input_as_output,
    report_errors, same_file, settings, table_spec, write_atomically,
};
use crate::cli::FixArgs;
use crate::diagnostic::Diagnostic;
use crate::emit::{FileReport, Report};
use crate::fix::{self, Change, ResyncEntry};
use crate::settings::Settings;
use crate::table::write::{self, Highlight};
use crate::table::{Format, TableSpec, Workbook, layout, read};
use crate::text::visible;

/// What fixing one file did.
struct Fixed {
    report: FileReport,
    /// Findings left after fixing.
    remaining: Vec<Diagnostic>,
    changes: Vec<Change>,
    written: Option<Written>,
}

struct Written {
    output: PathBuf,
    plan: PathBuf,
    backup: Option<PathBuf>,
}

pub fn fix(args: &FixArgs) -> Result<ExitStatus> {
    let settings = settings(&args.lint, args.output_options.fail_on)?;
    if let Some(changes) = &args.changes {
        change_log_format(changes)?;
    }
    let (files, mut errors) = collect_inputs(&args.paths);
    refuse_input_as_output(args.output_options.output_file.as_deref(), &files)?;
    let spec = table_spec(&args.lint);
    let several = files.len() > 1 || args.paths.iter().any(|p| p.is_dir());
    if several && let Some(output) = &args.output {
        if output.is_file() {
            bail!(
                "-o {} is a file, but there are several inputs: give a folder",
                output.display()
            );
        }
        std::fs::create_dir_all(output)
            .with_context(|| format!("cannot create the folder {}", output.display()))?;
    }
    let mut report = Report::default();
    let mut all_changes = Vec::new();
    let mut stderr = io::stderr().lock();
    for path in &files {
        match fix_file(path, args, &spec, &settings, several) {
            Ok(fixed) => {
                if !args.output_options.quiet && !args.diff {
                    let _ = writeln!(stderr, "{}", summary_line(&fixed));
                }
                report.files.push(fixed.report);
                report.diagnostics.extend(fixed.remaining);
                all_changes.extend(fixed.changes);
            }
            Err(error) => errors.push(error),
        }
    }
    drop(stderr);
    report_errors(&errors);
    if args.diff {
        print_diff(&all_changes)?;
    } else {
        if let Some(path) = &args.changes {
            write_change_log(path, &all_changes)?;
        }
        emit(&report, &args.output_options)?;
    }
    Ok(exit_status(&report.diagnostics, &errors, settings.fail_on))
}

fn summary_line(fixed: &Fixed) -> String {
    let cells = match fixed.changes.len() {
        1 => "1 cell".to_string(),
        n => format!("{n} cells"),
    };
    match &fixed.written {
        Some(w) => {
            let backup = w
                .backup
                .as_ref()
                .map(|b| format!(" (original kept as {})", b.display()))
                .unwrap_or_default();
            format!(
                "{}: fixed {cells} → {}{backup}; resync plan: {}",
                fixed.report.path,
                w.output.display(),
                w.plan.display()
            )
        }
        None => format!("{}: nothing to fix", fixed.report.path),
    }
}

fn fix_file(
    path: &Path,
    args: &FixArgs,
    spec: &TableSpec,
    settings: &Settings,
    several: bool,
) -> Result<Fixed, FileError> {
    let display = path.display().to_string();
    let error = |message: String| FileError {
        path: display.clone(),
        message,
    };
    let (workbook, notices) = super::read_input(path, &display, &args.lint, read::Depth::Full)
        .map_err(|e| error(e.to_string()))?;
    let tables = layout::tables(&workbook, spec)
        .map_err(|e| error(super::with_notices(e.to_string(), &notices)))?;
    super::report_notices(&display, &notices);
    let mut diagnostics = crate::rules::run(&tables, settings);
    let changes = fix::plan(&tables, &mut diagnostics, args.unsafe_fixes);
    let resync = fix::resync_entries(&tables, &changes);
    let fixed = fix::apply(&workbook, &changes);
    let fixed_tables = layout::tables(&fixed, spec).map_err(|e| error(e.to_string()))?;
    let mut remaining = crate::rules::run(&fixed_tables, settings);
    fix::plan(&fixed_tables, &mut remaining, args.unsafe_fixes);
    let report = file_report(&fixed, &fixed_tables);
    let written = if args.diff || (args.in_place && changes.is_empty()) {
        None
    } else {
        Some(
            write_outputs(&workbook, &fixed, &changes, &resync, args, several)
                .map_err(|e| error(format!("{e:#}")))?,
        )
    };
    Ok(Fixed {
        report,
        remaining,
        changes,
        written,
    })
}

/// Where the corrected copy of `input` goes.
fn output_path(workbook: &Workbook, args: &FixArgs, several: bool) -> Result<PathBuf> {
    let input = &workbook.path;
    let extension = match workbook.format {
        // A CSV file read by its content from a workbook name is written as .csv.
        Format::Csv | Format::Tsv => input
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| ["csv", "tsv", "txt", "tab"].contains(&e.to_ascii_lowercase().as_str()))
            .unwrap_or("csv")
            .to_string(),
        _ => "xlsx".to_string(),
    };
    if args.in_place {
        if !matches!(workbook.format, Format::Xlsx | Format::Csv | Format::Tsv) {
            bail!(
                "--in-place works for .xlsx, .csv and .tsv files; a .{} export is written as a new .xlsx: use -o",
                workbook.format
            );
        }
        return Ok(input.clone());
    }
    let stem = input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export");
    let default_name = format!("{stem}.fixed.{extension}");
    let output = match &args.output {
        Some(dir) if several || dir.is_dir() => dir.join(default_name),
        Some(file) => {
            let given = file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if given.as_deref() != Some(extension.as_str()) {
                bail!(
                    "-o {}: the corrected {} export must be written as .{extension}",
                    file.display(),
                    workbook.format
                );
            }
            file.clone()
        }
        None => input.with_file_name(default_name),
    };
    if same_file(&output, input) {
        bail!(
            "the output {} is the input itself; use --in-place to replace it (a .bak copy is kept)",
            output.display()
        );
    }
    Ok(output)
}

fn write_outputs(
    original: &Workbook,
    fixed: &Workbook,
    changes: &[Change],
    resync: &[ResyncEntry],
    args: &FixArgs,
    several: bool,
) -> Result<Written> {
    let output = output_path(original, args, several)?;
    let bytes = match (fixed.format, &fixed.dialect) {
        (Format::Csv | Format::Tsv, Some(dialect)) => write::csv(&fixed.sheets[0], dialect)?,
        _ => {
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
            write::xlsx(fixed, &highlights)?
        }
    };
    let backup = if args.in_place {
        let mut name = original.path.as_os_str().to_owned();
        name.push(".bak");
        let backup = PathBuf::from(name);
        let original_bytes = std::fs::read(&original.path)
            .with_context(|| format!("cannot read {}", original.path.display()))?;
        write_atomically(&backup, &original_bytes)?;
        Some(backup)
    } else {
        None
    };
    write_atomically(&output, &bytes)?;
    let stem = original
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export");
    let plan = output.with_file_name(format!("{stem}.resync.jsonl"));
    let mut lines = Vec::new();
    for entry in resync {
        serde_json::to_writer(&mut lines, entry)?;
        lines.push(b'\n');
    }
    write_atomically(&plan, &lines)?;
    Ok(Written {
        output,
        plan,
        backup,
    })
}

fn print_diff(changes: &[Change]) -> Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut by_file: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        by_file.entry(&change.file).or_default().push(change);
    }
    for (file, changes) in by_file {
        writeln!(out, "--- {file}")?;
        for c in changes {
            writeln!(
                out,
                "{}!{}  {} → {}  ({})",
                c.sheet,
                c.cell(),
                visible(&c.old),
                visible(&c.new),
                c.codes.join(", ")
            )?;
        }
    }
    if changes.is_empty() {
        writeln!(out, "Nothing to fix.")?;
    }
    out.flush()?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Csv,
    Xlsx,
}

fn change_log_format(path: &Path) -> Result<LogFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(LogFormat::Csv),
        Some("xlsx") => Ok(LogFormat::Xlsx),
        _ => bail!(
            "--changes {}: the change log is written as .csv or .xlsx",
            path.display()
        ),
    }
}

const LOG_HEADER: [&str; 8] = [
    "file",
    "sheet",
    "cell",
    "row",
    "old",
    "new",
    "old (visible)",
    "rules",
];

fn log_row(c: &Change) -> [String; 8] {
    [
        c.file.to_string(),
        c.sheet.to_string(),
        c.cell(),
        (c.row + 1).to_string(),
        c.old.clone(),
        c.new.clone(),
        visible(&c.old),
        c.codes.join(" "),
    ]
}

fn write_change_log(path: &Path, changes: &[Change]) -> Result<()> {
    let bytes = match change_log_format(path)? {
        LogFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(LOG_HEADER)?;
            for change in changes {
                writer.write_record(log_row(change))?;
            }
            writer.into_inner().map_err(|e| e.into_error())?
        }
        LogFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            sheet.set_name("changes")?;
            for (col, title) in LOG_HEADER.iter().enumerate() {
                sheet.write_string(0, col as u16, *title)?;
            }
            for (row, change) in changes.iter().enumerate() {
                for (col, value) in log_row(change).iter().enumerate() {
                    if col == 3 {
                        sheet.write_number(row as u32 + 1, col as u16, (change.row + 1) as f64)?;
                    } else {
                        sheet.write_string(row as u32 + 1, col as u16, value)?;
                    }
                }
            }
            book.save_to_buffer()?
        }
    };
    write_atomically(path, &bytes)
}
