//! The commands. Shared here: collecting inputs, reading and linting files,
//! emitting reports, atomic writes, and the exit code decided from the diagnostics.

mod check;
mod fix;
mod rules;

pub use check::check;
pub use fix::fix;
pub use rules::list_rules;

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::cli::{LintOptions, OutputOptions};
use crate::diagnostic::Diagnostic;
use crate::emit::{FileReport, Report, SheetReport};
use crate::settings::{FailOn, Settings};
use crate::table::{Role, Table, TableSpec, Workbook, layout, read};

/// The process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// A usage, configuration or input error.
    Error = 2,
}

/// A file that could not be checked, with a message saying what to do.
#[derive(Debug)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"];

/// Expands folders into the spreadsheets they hold (sorted), keeping files as given.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files, &mut errors);
            if files.len() == before {
                errors.push(FileError {
                    path: path.display().to_string(),
                    message: "the folder holds no .xlsx .xlsm .xlsb .xls .ods .csv or .tsv files"
                        .into(),
                });
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            errors.push(FileError {
                path: path.display().to_string(),
                message: "no such file or folder".into(),
            });
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<FileError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(FileError {
                path: dir.display().to_string(),
                message: format!("cannot list the folder: {e}"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // Hidden files and Excel's `~$` lock files are not exports.
        if name.starts_with('.') || name.starts_with("~$") {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, errors);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            files.push(path);
        }
    }
}

/// The table layout the user asked for.
pub fn table_spec(options: &LintOptions) -> TableSpec {
    let columns = [
        (Role::Sku, &options.sku_column),
        (Role::ParentSku, &options.parent_sku_column),
        (Role::Stock, &options.stock_column),
        (Role::CampaignReserved, &options.campaign_reserved_column),
        (Role::UnpaidReserved, &options.unpaid_reserved_column),
        (Role::ProductId, &options.product_id_column),
        (Role::VariationId, &options.variation_id_column),
        (Role::Shop, &options.shop_column),
    ]
    .into_iter()
    .filter_map(|(role, given)| given.clone().map(|g| (role, g)))
    .collect();
    TableSpec {
        channel: options.channel.channel(),
        header_row: options.header_row.map(|n| n as usize),
        columns,
        sheets: options.sheet.clone(),
    }
}

pub fn settings(options: &LintOptions, fail_on: FailOn) -> Result<Settings> {
    let settings = Settings {
        select: options.select.clone(),
        ignore: options.ignore.clone(),
        fail_on,
        ..Settings::default()
    };
    settings.validate()?;
    Ok(settings)
}

/// How to read inputs, from the command line.
pub fn read_options(options: &LintOptions, depth: read::Depth) -> read::ReadOptions {
    let defaults = read::Limits::default();
    read::ReadOptions {
        depth,
        limits: read::Limits {
            max_file_size: options
                .max_file_size
                .map_or(defaults.max_file_size, |s| s.0),
            max_cells: options.max_cells.unwrap_or(defaults.max_cells),
        },
        encoding: options.encoding,
    }
}

/// Reads one input; also returns what the user should know about how it was read.
pub fn read_input(
    path: &Path,
    display: &str,
    options: &LintOptions,
    depth: read::Depth,
) -> Result<(Workbook, Vec<String>), read::ReadError> {
    read::load(path, display, &read_options(options, depth)).map(|l| (l.workbook, l.notices))
}

/// A file that ends refused gets one line: the notices from reading it (a
/// file read by its content, say) explain the refusal, so they join the message.
pub fn with_notices(message: String, notices: &[String]) -> String {
    if notices.is_empty() {
        message
    } else {
        format!("{message} (note: {})", notices.join("; "))
    }
}

/// One warning line per notice on stderr.
pub fn report_notices(path: &str, notices: &[String]) {
    let mut stderr = io::stderr().lock();
    for notice in notices {
        let notice = notice.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(stderr, "skulint: warning: {path}: {notice}");
    }
}

/// A linted file: its report and findings, or why it could not be linted.
type Linted = Result<(FileReport, Vec<Diagnostic>), FileError>;

/// Reads and lints one file; also returns the notices from reading it.
fn lint_file(
    path: &Path,
    options: &LintOptions,
    spec: &TableSpec,
    settings: &Settings,
) -> (Vec<String>, Linted) {
    let display = path.display().to_string();
    let error = |message: String| FileError {
        path: display.clone(),
        message,
    };
    let loaded = match read::load(path, &display, &read_options(options, read::Depth::Values)) {
        Ok(loaded) => loaded,
        Err(e) => return (Vec::new(), Err(error(e.to_string()))),
    };
    let workbook = loaded.workbook;
    match layout::tables(&workbook, spec) {
        Ok(tables) => {
            let mut diagnostics = crate::rules::run(&tables, settings);
            // What `skulint fix` would do, so the report can say which fixes are blocked.
            crate::fix::plan(&tables, &mut diagnostics, false);
            (
                loaded.notices,
                Ok((file_report(&workbook, &tables), diagnostics)),
            )
        }
        Err(e) => (
            Vec::new(),
            Err(error(with_notices(e.to_string(), &loaded.notices))),
        ),
    }
}

/// The layout skulint found in a file, for reports.
pub fn file_report(workbook: &Workbook, tables: &[Table]) -> FileReport {
    let channel = tables
        .first()
        .map(|t| t.channel)
        .unwrap_or_else(|| layout::detect_channel(workbook));
    let sheets = tables
        .iter()
        .map(|t| SheetReport {
            name: t.sheet.name.clone(),
            header_row: t.header_row + 1,
            data_rows: t.data_rows.len(),
            columns: t
                .roles()
                .map(|(role, col)| (role.key(), crate::diagnostic::column_letter(col as u32)))
                .collect::<BTreeMap<_, _>>(),
        })
        .collect();
    FileReport {
        path: workbook.display.clone(),
        format: workbook.format,
        channel,
        sheets,
    }
}

/// Refuses a report path that is one of the inputs: a report never overwrites an export.
pub fn refuse_input_as_output(output: Option<&Path>, files: &[PathBuf]) -> Result<()> {
    if let Some(output) = output
        && files.iter().any(|f| same_file(f, output))
    {
        anyhow::bail!(
            "--output-file {} is one of the inputs; choose another path",
            output.display()
        );
    }
    Ok(())
}

/// Whether two paths name the same file (existing or not).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Reads and lints `files` in parallel; the report is in input order.
pub fn lint(
    files: &[PathBuf],
    options: &LintOptions,
    settings: &Settings,
) -> (Report, Vec<FileError>) {
    let mut errors = Vec::new();
    let spec = table_spec(options);
    let results: Vec<_> = files
        .par_iter()
        .map(|path| lint_file(path, options, &spec, settings))
        .collect();
    let mut report = Report::default();
    for (path, (notices, result)) in files.iter().zip(results) {
        report_notices(&path.display().to_string(), &notices);
        match result {
            Ok((file, diagnostics)) => {
                report.files.push(file);
                report.diagnostics.extend(diagnostics);
            }
            Err(error) => errors.push(error),
        }
    }
    // Files in input order, findings in report order within each file.
    let order: BTreeMap<String, usize> = report
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.to_string(), i))
        .collect();
    report
        .diagnostics
        .sort_by(|a, b| (order[&*a.file], a.sort_key()).cmp(&(order[&*b.file], b.sort_key())));
    (report, errors)
}

/// The exit code: 2 if a file could not be read, else 1 if any finding is at or above `fail_on`.
pub fn exit_status(
    diagnostics: &[Diagnostic],
    errors: &[FileError],
    fail_on: FailOn,
) -> ExitStatus {
    if !errors.is_empty() {
        ExitStatus::Error
    } else if diagnostics.iter().any(|d| fail_on.fails(d.severity)) {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

pub fn report_errors(errors: &[FileError]) {
    let mut stderr = io::stderr().lock();
    for error in errors {
        // One line per file, whatever the reader's message holds.
        let message = error
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(stderr, "skulint: error: {}: {message}", error.path);
    }
}

/// Writes `report` to `--output-file` (atomically) or standard output.
pub fn emit(report: &Report, output: &OutputOptions) -> Result<()> {
    match &output.output_file {
        Some(path) => {
            let emitter = output.output_format.emitter(false, output.quiet);
            let mut buffer = Vec::new();
            emitter.emit(&mut buffer, report)?;
            write_atomically(path, &buffer)
        }
        None => {
            let stdout = io::stdout();
            let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let emitter = output.output_format.emitter(color, output.quiet);
            let mut out = io::BufWriter::new(stdout.lock());
            emitter.emit(&mut out, report)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Writes to a temporary file beside `path`, then renames it over `path`, so an
/// interrupted run never leaves a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
