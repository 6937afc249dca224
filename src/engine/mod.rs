//! The engine: everything a run does between the inputs and the report, with
//! plain options, so that the command line, `skulint serve` and tests run the
//! same pipeline: read → table → rules → diagnostics → fix plan.
//!
//! Nothing here prints: what the user should know about how a file was read
//! comes back as [`Notice`]s, progress goes to an [`Observer`].

pub mod fix;
mod inputs;
mod relint;
pub mod stream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use rayon::prelude::*;

use crate::config::{self, Config};
use crate::diagnose::{self, Diagnosis};
use crate::diagnostic::Diagnostic;
use crate::emit::{FileError, FileReport, Report, SheetReport, Uncalculated};
use crate::inventory::Inventory;
use crate::rules::settings::{FailOn, Settings};
use crate::table::columns::{Channel, ChannelChoice};
use crate::table::{FormulaCell, Role, Table, TableSpec, Workbook, layout, read};

pub use inputs::{Inputs, collect_inputs};
pub use relint::{Before, relint_books};

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

/// What a run is told, as plain values: the command line (or a request to
/// `skulint serve`) fills it, `skulint.toml` fills what it leaves unset.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `auto` detects the channel; `None` leaves it to the configuration.
    pub channel: Option<ChannelChoice>,
    /// Rule codes or prefixes to run; empty: the configuration's, or all.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// The configuration file; `None`: the `skulint.toml` found upward.
    pub config: Option<PathBuf>,
    /// The master stock file of `--inventory`.
    pub inventory: Option<PathBuf>,
    /// Role → header text or column letter, over the configuration's `[columns]`.
    pub columns: BTreeMap<Role, String>,
    /// The 1-based header row, when the user names it.
    pub header_row: Option<usize>,
    /// The sheets to check; empty: every sheet with a listing.
    pub sheets: Vec<String>,
    pub limits: read::Limits,
    /// The encoding of CSV files, when the user names it.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `--fail-on`, over the configuration's.
    pub fail_on: Option<FailOn>,
}

/// Something the user should know about how a file was read (a CSV named
/// `.xlsx`, a guessed encoding, rows of uneven length): a warning, not a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub path: String,
    pub message: String,
}

impl Notice {
    /// The notice as one line: `path: message`, whitespace collapsed.
    pub fn line(&self) -> String {
        let message = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        format!("{}: {message}", self.path)
    }
}

/// What watches a run (a progress bar): told of the listing rows read and of
/// each file done.
pub trait Observer: Sync {
    /// The listing rows read so far change by `delta`: a long file read in
    /// parts tells of each part, and a file done makes its count right
    /// ([`FileRows`]).
    fn rows_read(&self, _delta: isize) {}
    fn file_done(&self) {}
    /// The corrected copies `fix` is making change by `delta`: a file's rows
    /// are read and its copy is being made (on a long workbook, seconds in
    /// which no more rows are read), or it is done.
    fn copies_made(&self, _delta: isize) {}
}

/// The rows of the files of one group told to an observer: as they are read
/// (a long file, part by part), and in all when each file is done, less what
/// was told on the way (a file left to the whole-file path after some parts
/// was told of them). What was told goes to the first file done: only a group
/// of one file is streamed.
pub struct FileRows<'o> {
    observer: &'o dyn Observer,
    told: AtomicUsize,
    /// Corrected copies being made.
    copies: AtomicUsize,
}

impl<'o> FileRows<'o> {
    pub fn new(observer: &'o dyn Observer) -> Self {
        FileRows {
            observer,
            told: AtomicUsize::new(0),
            copies: AtomicUsize::new(0),
        }
    }

    /// `rows` more listing rows read.
    pub fn read(&self, rows: usize) {
        self.told.fetch_add(rows, Ordering::Relaxed);
        self.observer.rows_read(signed(rows));
    }

    /// Takes back the rows told so far: the file is read again from its first row.
    pub fn read_again(&self) {
        let told = self.told.swap(0, Ordering::Relaxed);
        self.observer.rows_read(-signed(told));
    }

    /// The rows of a file are read, and its corrected copy is being made.
    pub fn making_copy(&self) {
        self.copies.fetch_add(1, Ordering::Relaxed);
        self.observer.copies_made(1);
    }

    /// A file done, with `rows` listing rows in all; the copies being made
    /// are too (a group's files are done together).
    pub fn done(&self, rows: usize) {
        let told = self.told.swap(0, Ordering::Relaxed);
        self.observer.rows_read(signed(rows) - signed(told));
        let copies = self.copies.swap(0, Ordering::Relaxed);
        if copies > 0 {
            self.observer.copies_made(-signed(copies));
        }
        self.observer.file_done();
    }
}

fn signed(rows: usize) -> isize {
    isize::try_from(rows).unwrap_or(isize::MAX)
}

/// The listing rows of a file linted.
pub fn data_rows(report: &FileReport) -> usize {
    report.sheets.iter().map(|s| s.data_rows).sum()
}

/// An observer that watches nothing.
pub struct Unobserved;

impl Observer for Unobserved {}

/// Everything a lint run is told: by the command line, over `skulint.toml`,
/// over the defaults.
pub struct Setup {
    pub settings: Settings,
    pub spec: TableSpec,
    /// How inputs are read: limits and encoding (`--max-cells`, `--encoding`, …).
    pub read: read::ReadOptions,
    /// The master file of `--inventory`; the cross-file rules run only with it.
    pub inventory: Option<Inventory>,
    /// Where the master file was read from.
    pub inventory_path: Option<PathBuf>,
    /// The configuration file loaded (`--config`, or the `skulint.toml` found).
    pub config_path: Option<PathBuf>,
}

/// The configuration of `--config`, or the `skulint.toml` found from the working directory up.
pub fn load_config(explicit: Option<&Path>) -> Result<Option<Config>> {
    Ok(config::load(explicit)?)
}

/// Merges the command line, the configuration and the defaults, and reads the master file.
pub fn setup(options: &Options) -> Result<Setup> {
    let config = load_config(options.config.as_deref())?;
    let config_path = config.as_ref().map(|c| c.path.clone());
    let config = config.unwrap_or_default();
    let settings = settings(options, &config)?;
    let spec = table_spec(options, &config);
    let inventory = options
        .inventory
        .as_deref()
        .map(|path| load_inventory(path, &config))
        .transpose()?;
    Ok(Setup {
        settings,
        spec,
        read: read::ReadOptions {
            depth: read::Depth::Values,
            limits: options.limits,
            encoding: options.encoding,
        },
        inventory,
        inventory_path: options.inventory.clone(),
        config_path,
    })
}

/// Roles that only a master inventory has: `[columns]` entries for them name
/// columns of the `--inventory` file, never of the exports.
const MASTER_ROLES: [Role; 2] = [Role::Available, Role::SafetyStock];

/// The table layout the user asked for: command-line columns over the configuration's.
pub fn table_spec(options: &Options, config: &Config) -> TableSpec {
    let mut columns: BTreeMap<Role, String> = config
        .columns
        .iter()
        .filter(|(role, _)| !MASTER_ROLES.contains(role))
        .map(|(role, given)| (*role, given.clone()))
        .collect();
    columns.extend(options.columns.clone());
    TableSpec {
        channel: options
            .channel
            .or(config.channel)
            .unwrap_or(ChannelChoice::Auto)
            .channel(),
        header_row: options.header_row,
        columns,
        sheets: options.sheets.clone(),
        inventory: false,
    }
}

/// The rules to run and how: each command-line flag replaces the configuration's value.
pub fn settings(options: &Options, config: &Config) -> Result<Settings> {
    let defaults = Settings::default();
    let given = |list: &Vec<String>| (!list.is_empty()).then(|| list.clone());
    let settings = Settings {
        select: given(&options.select)
            .or_else(|| config.select.clone())
            .unwrap_or(defaults.select),
        ignore: given(&options.ignore)
            .or_else(|| config.ignore.clone())
            .unwrap_or(defaults.ignore),
        severity: config.severity.clone(),
        fail_on: options
            .fail_on
            .or(config.fail_on)
            .unwrap_or(defaults.fail_on),
        max_sku_length: config.max_sku_length,
        safety_stock: config.safety_stock.unwrap_or(defaults.safety_stock),
        profiles: config.profiles.clone(),
        custom_rules: config.custom_rules.clone(),
    };
    settings.validate()?;
    Ok(settings)
}

/// Reads the master file of `--inventory`.
fn load_inventory(path: &Path, config: &Config) -> Result<Inventory> {
    let display = path.display().to_string();
    let fail = |message: String| {
        anyhow::anyhow!(
            "--inventory {display}: {}",
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        )
    };
    let workbook = read::read_workbook(path, &display, read::Depth::Values)
        .map_err(|e| fail(e.to_string()))?;
    let spec = TableSpec {
        channel: Some(Channel::Generic),
        inventory: true,
        columns: config
            .columns
            .iter()
            .filter(|(role, _)| MASTER_ROLES.contains(role))
            .map(|(role, given)| (*role, given.clone()))
            .collect(),
        ..TableSpec::default()
    };
    let tables = layout::tables(&workbook, &spec).map_err(|e| match e {
        layout::LayoutError::NoSkuColumn { seen } => fail(format!(
            "the master file has no SKU column (headers seen: {seen}); its header row needs one such as \"SKU\" or \"Seller SKU\""
        )),
        other => fail(other.to_string()),
    })?;
    Inventory::from_tables(workbook.display.clone(), &tables).map_err(|e| fail(e.to_string()))
}

/// Refuses a master file that is also one of the exports to lint.
pub fn refuse_inventory_as_input(setup: &Setup, files: &[PathBuf]) -> Result<()> {
    if let Some(master) = &setup.inventory_path
        && files.iter().any(|f| same_file(f, master))
    {
        anyhow::bail!(
            "--inventory {} is also given as an export to check; pass the master file only with --inventory",
            master.display()
        );
    }
    Ok(())
}

/// The files linted together: with a master inventory, every file in one run
/// (the cross-file rules compare them); otherwise each file alone, so only one
/// workbook is held in memory per worker.
pub fn groups<'p>(files: &'p [PathBuf], setup: &Setup) -> Vec<&'p [PathBuf]> {
    if setup.inventory.is_some() {
        vec![files]
    } else {
        files.chunks(1).collect()
    }
}
/// The inputs as read: each workbook (or why it could not be read), and what
/// the user should know about how it was read (a CSV named .xlsx, a guessed
/// encoding), kept apart until the file is linted.
pub struct Books {
    pub books: Vec<Result<Workbook, FileError>>,
    notices: Vec<Vec<String>>,
}

/// Reads `paths` in parallel, in input order.
pub fn read_books(paths: &[PathBuf], setup: &Setup, depth: read::Depth) -> Books {
    let options = read::ReadOptions {
        depth,
        ..setup.read
    };
    let (books, notices) = paths
        .par_iter()
        .map(|path| {
            let display = path.display().to_string();
            match read::load(path, &display, &options) {
                Ok(loaded) => (Ok(loaded.workbook), loaded.notices),
                Err(e) => (
                    Err(FileError {
                        path: display.clone(),
                        message: e.to_string(),
                    }),
                    Vec::new(),
                ),
            }
        })
        .unzip();
    Books { books, notices }
}

impl Books {
    /// The notices of each file, once it is linted: a file refused for its layout
    /// gets them in its one error line (they often explain it); the others get
    /// them as warnings, returned in input order, one list per file.
    pub fn settle<T>(&self, linted: &mut [Result<T, FileError>]) -> Vec<Vec<Notice>> {
        let mut warnings = Vec::new();
        for ((book, notices), result) in self.books.iter().zip(&self.notices).zip(linted) {
            warnings.push(match (book, result) {
                (Ok(_), Err(error)) => {
                    error.message = with_notices(std::mem::take(&mut error.message), notices);
                    Vec::new()
                }
                (Ok(workbook), Ok(_)) => notices
                    .iter()
                    .map(|message| Notice {
                        path: workbook.display.to_string(),
                        message: message.clone(),
                    })
                    .collect(),
                (Err(_), _) => Vec::new(),
            });
        }
        warnings
    }
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

/// One workbook of a run, its tables and its findings.
pub struct Linted<'a> {
    pub workbook: &'a Workbook,
    pub tables: Vec<Table<'a>>,
    /// The sheets not linted, and why.
    pub skipped: Vec<layout::SkippedSheet>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lints workbooks read together: the per-table rules on each, then, with a
/// master inventory, the cross-file rules over all of them. Each file's
/// findings are in report order.
pub fn lint_books<'a>(
    books: &'a [Result<Workbook, FileError>],
    setup: &Setup,
) -> Vec<Result<Linted<'a>, FileError>> {
    lint_books_with(books, setup, |_, tables| {
        crate::rules::run(tables, &setup.settings)
    })
}

/// [`lint_books`] with `check` finding what the per-table rules find in the
/// tables of the `i`th workbook.
fn lint_books_with<'a>(
    books: &'a [Result<Workbook, FileError>],
    setup: &Setup,
    check: impl Fn(usize, &[Table]) -> Vec<Diagnostic> + Sync,
) -> Vec<Result<Linted<'a>, FileError>> {
    let mut linted: Vec<Result<Linted<'a>, FileError>> = books
        .par_iter()
        .enumerate()
        .map(|(i, book)| {
            let workbook = book.as_ref().map_err(Clone::clone)?;
            let layout::Layout { tables, skipped } = layout::detect(workbook, &setup.spec)
                .map_err(|e| FileError {
                    path: workbook.display.to_string(),
                    message: e.to_string(),
                })?;
            let diagnostics = check(i, &tables);
            Ok(Linted {
                workbook,
                tables,
                skipped,
                diagnostics,
            })
        })
        .collect();
    if let Some(inventory) = &setup.inventory {
        let cross = {
            let tables: Vec<&Table> = linted.iter().flatten().flat_map(|l| &l.tables).collect();
            crate::rules::run_cross(&tables, inventory, &setup.settings)
        };
        let mut by_file: BTreeMap<Arc<str>, Vec<Diagnostic>> = BTreeMap::new();
        for diagnostic in cross {
            by_file
                .entry(diagnostic.location.file.clone())
                .or_default()
                .push(diagnostic);
        }
        for linted in linted.iter_mut().flatten() {
            if let Some(found) = by_file.remove(&linted.workbook.display) {
                linted.diagnostics.extend(found);
                linted
                    .diagnostics
                    .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            }
        }
    }
    linted
}

/// One file linted: how it was read and its findings, or why it could not be.
pub type FileResult = Result<(FileReport, Vec<Diagnostic>), FileError>;

/// Reads and lints a group of files (see [`groups`]), with what the user should
/// know about how they were read.
fn lint_group(paths: &[PathBuf], setup: &Setup, rows: &FileRows) -> (Vec<FileResult>, Vec<Notice>) {
    // A long CSV export or xlsx workbook is linted as it is read, without holding it.
    if let [path] = paths
        && let Some((result, notices)) = stream::lint(path, setup, rows)
    {
        return (vec![result], notices);
    }
    let books = read_books(paths, setup, read::Depth::Values);
    let mut linted = lint_books(&books.books, setup);
    let notices = books.settle(&mut linted).concat();
    let results = linted
        .into_iter()
        .map(|linted| {
            let mut linted = linted?;
            // What `skulint fix` would do, so the report can say which fixes are blocked.
            let csv = crate::fix::is_csv(linted.workbook);
            crate::fix::plan(&linted.tables, &mut linted.diagnostics, false, csv);
            Ok((
                file_report(linted.workbook, &linted.tables, &linted.skipped),
                linted.diagnostics,
            ))
        })
        .collect();
    (results, notices)
}

/// The layout skulint found in a file, for reports.
pub fn file_report(
    workbook: &Workbook,
    tables: &[Table],
    skipped: &[layout::SkippedSheet],
) -> FileReport {
    let channel = tables
        .first()
        .map(|t| t.channel)
        .unwrap_or_else(|| layout::detect_channel(workbook));
    let sheets = tables.iter().map(sheet_report).collect();
    FileReport {
        path: workbook.display.clone(),
        format: workbook.format,
        channel,
        sheets,
        skipped_sheets: skipped.to_vec(),
    }
}

/// How one sheet was read.
fn sheet_report(table: &Table) -> SheetReport {
    let mut rows_skipped = BTreeMap::new();
    for (_, reason) in &table.skipped {
        *rows_skipped.entry(*reason).or_insert(0) += 1;
    }
    SheetReport {
        name: table.sheet.name.clone(),
        position: table.sheet_index,
        header_row: table.header_row + 1,
        data_rows: table.data_rows.len(),
        columns: table
            .roles()
            .map(|(role, col)| (role.key(), crate::diagnostic::column_letter(col as u32)))
            .collect::<BTreeMap<_, _>>(),
        rows_skipped,
        without_sku: without_sku(table),
        notes: table.notes.clone(),
        uncalculated: uncalculated(table, &table.sheet.formulas, |row| {
            table.data_rows.binary_search(&row).is_ok()
        }),
    }
}

/// Which of `formulas` (cells of the table's sheet, or of the whole file when
/// it is streamed) have no saved result in the SKU, parent SKU or stock column
/// of a listing row (`is_listing`, by row in the file; not a total row under
/// them): they read as blank, to skulint and to the channels.
pub fn uncalculated(
    table: &Table,
    formulas: &[FormulaCell],
    is_listing: impl Fn(usize) -> bool,
) -> Uncalculated {
    let columns: Vec<u32> = [Role::Sku, Role::ParentSku, Role::Stock]
        .into_iter()
        .filter_map(|role| table.column(role))
        .map(|col| col as u32)
        .collect();
    let mut cells: Vec<(u32, u32)> = formulas
        .iter()
        .filter(|f| !f.cached && columns.contains(&f.col) && is_listing(f.row as usize))
        .map(|f| (f.row, f.col))
        .collect();
    cells.sort_unstable();
    Uncalculated {
        count: cells.len(),
        first: cells
            .iter()
            .take(Uncalculated::SHOWN)
            .map(|&(row, col)| format!("{}{}", crate::diagnostic::column_letter(col), row + 1))
            .collect(),
    }
}

/// The listing rows of a table that stock sync cannot link: SKU007's rows.
pub fn without_sku(table: &Table) -> usize {
    table
        .data_rows
        .iter()
        .filter(|&&row| table.lacks_sku(row))
        .count()
}

/// The codes of the rules a run checks, in code order.
pub fn enabled_rules(setup: &Setup) -> Vec<&'static str> {
    setup
        .settings
        .codes()
        .filter(|code| setup.inventory.is_some() || !crate::rules::is_cross_file(code))
        .filter(|code| setup.settings.is_enabled(code))
        .collect()
}

/// Whether two paths name the same file (existing or not).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Reads and lints `files` in parallel: the report, in input order, with the
/// files that could not be read in its `errors`, and the notices of the files
/// read, in input order.
pub fn lint(files: &[PathBuf], setup: &Setup, observer: &dyn Observer) -> (Report, Vec<Notice>) {
    // Every file is read in parallel, in a group or alone.
    let _workers = crate::workers::claim(files.len());
    let results: Vec<(Vec<FileResult>, Vec<Notice>)> = groups(files, setup)
        .par_iter()
        .map(|group| {
            let rows = FileRows::new(observer);
            let linted = lint_group(group, setup, &rows);
            for result in &linted.0 {
                rows.done(result.as_ref().map_or(0, |(file, _)| data_rows(file)));
            }
            linted
        })
        .collect();
    assemble(setup, results)
}

/// The report of a run from its groups' results, taken in input order.
pub fn assemble(
    setup: &Setup,
    results: Vec<(Vec<FileResult>, Vec<Notice>)>,
) -> (Report, Vec<Notice>) {
    let mut report = Report {
        rules: enabled_rules(setup),
        config: setup.config_path.as_ref().map(|p| p.display().to_string()),
        ..Report::default()
    };
    let mut notices = Vec::new();
    for (results, group_notices) in results {
        notices.extend(group_notices);
        for result in results {
            match result {
                Ok((file, diagnostics)) => {
                    report.files.push(file);
                    report.diagnostics.extend(diagnostics);
                }
                Err(error) => report.errors.push(error),
            }
        }
    }
    // Files in input order, findings in report order within each file.
    let order: BTreeMap<String, usize> = report
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.to_string(), i))
        .collect();
    let in_order = |a: &Diagnostic, b: &Diagnostic| {
        (order[a.file()], a.sort_key()).cmp(&(order[b.file()], b.sort_key()))
    };
    // Each file's findings come sorted: most runs need no sort here.
    if !report
        .diagnostics
        .is_sorted_by(|a, b| in_order(a, b).is_le())
    {
        report.diagnostics.sort_by(in_order);
    }
    (report, notices)
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

/// Classifies a message and checks the SKU it is about: the one given, or the
/// one its API body names. The SKU rules run on it with the channel's profile.
pub fn diagnose(message: &str, channel: Option<Channel>, sku: Option<&str>) -> Diagnosis {
    let diagnosis = diagnose::classify(message, channel);
    match sku
        .map(str::to_string)
        .or_else(|| diagnose::sku_in_message(message))
    {
        Some(sku) => {
            let findings =
                crate::rules::sku_findings(&sku, diagnosis.channel.unwrap_or(Channel::Generic));
            diagnosis.with_sku(sku, findings)
        }
        None => diagnosis,
    }
}
