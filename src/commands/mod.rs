//! The commands. Shared here: collecting inputs, reading and linting files,
//! emitting reports, atomic writes, and the exit code decided from the diagnostics.

mod check;
mod diagnose;
mod explain;
mod fix;
mod outputs;
mod progress;
mod resync;
mod rules;
mod serve;
mod show_layout;
pub mod stream;

pub use check::check;
pub use diagnose::{diagnose, diagnose_into};
pub use explain::explain;
pub use fix::fix;
pub use outputs::Outputs;
pub use progress::Progress;
pub use resync::resync;
pub use rules::list_rules;
pub use serve::serve;
pub use show_layout::{layout, layout_into};

use std::collections::{BTreeMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::cli::{ChannelChoice, LintOptions, OutputOptions};
use crate::config::{self, Config};
use crate::diagnostic::Diagnostic;
use crate::emit::{Emitter, FileReport, Report, SheetReport};
use crate::inventory::Inventory;
use crate::settings::{FailOn, Settings};
use crate::table::columns::Channel;
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

pub use crate::emit::FileError;

const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"];

/// Expands folders into the spreadsheets they hold (sorted), keeping files as given.
/// Each file is listed once, however many paths lead to it.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            let mut walk = Walk {
                root: path.canonicalize().unwrap_or_else(|_| path.clone()),
                folders: HashSet::new(),
            };
            walk.folder(path, &mut seen, &mut files, &mut errors);
            if files.len() == before {
                errors.push(FileError {
                    path: path.display().to_string(),
                    message: "the folder holds no .xlsx .xlsm .xlsb .xls .ods .csv or .tsv files"
                        .into(),
                });
            }
        } else if let Ok(metadata) = std::fs::metadata(path) {
            if let Some(reason) = not_readable(&metadata) {
                errors.push(FileError {
                    path: path.display().to_string(),
                    message: reason.into(),
                });
            } else if file_identity(path, &metadata).is_none_or(|id| seen.insert(id)) {
                files.push(path.clone());
            }
        } else {
            errors.push(FileError {
                path: path.display().to_string(),
                message: "no such file or folder".into(),
            });
        }
    }
    (files, errors)
}

/// Why a file given by its path is not read: a device (`/dev/zero`) never ends.
/// A FIFO is read, up to `--max-file-size`, so an export can be piped in.
fn not_readable(metadata: &std::fs::Metadata) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_char_device() || kind.is_block_device() || kind.is_socket() {
            return Some("is a device or a socket, not a file; export the sheet to a file");
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    None
}

/// The device and inode of a file, which tell two paths to one file apart.
fn file_identity(path: &Path, metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        let _ = path;
        use std::os::unix::fs::MetadataExt;
        Some((metadata.dev(), metadata.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        path.canonicalize().ok().map(|p| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            p.hash(&mut hasher);
            (0, hasher.finish())
        })
    }
}

/// A walk through one folder given on the command line. Symlinks are followed
/// only to what lies inside that folder, each folder is entered once (a link
/// to `.` or `..` cannot make the walk go round), and only regular files are
/// listed: a link to `/dev/zero`, a FIFO or a file elsewhere on the machine is
/// not read for a folder.
struct Walk {
    root: PathBuf,
    folders: HashSet<(u64, u64)>,
}

impl Walk {
    fn folder(
        &mut self,
        dir: &Path,
        seen: &mut HashSet<(u64, u64)>,
        files: &mut Vec<PathBuf>,
        errors: &mut Vec<FileError>,
    ) {
        let entered = std::fs::metadata(dir)
            .ok()
            .and_then(|m| file_identity(dir, &m))
            .is_none_or(|id| self.folders.insert(id));
        if !entered {
            return;
        }
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
            let Ok(link) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if link.file_type().is_symlink()
                && !path
                    .canonicalize()
                    .is_ok_and(|target| target.starts_with(&self.root))
            {
                continue;
            }
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            if metadata.is_dir() {
                self.folder(&path, seen, files, errors);
            } else if metadata.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                && file_identity(&path, &metadata).is_none_or(|id| seen.insert(id))
            {
                files.push(path);
            }
        }
    }
}

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
pub fn setup(options: &LintOptions, fail_on: Option<FailOn>) -> Result<Setup> {
    let config = load_config(options.config.as_deref())?;
    let config_path = config.as_ref().map(|c| c.path.clone());
    let config = config.unwrap_or_default();
    let settings = settings(options, fail_on, &config)?;
    let spec = table_spec(options, &config);
    let inventory = options
        .inventory
        .as_deref()
        .map(|path| load_inventory(path, &config))
        .transpose()?;
    Ok(Setup {
        settings,
        spec,
        read: read_options(options, read::Depth::Values),
        inventory,
        inventory_path: options.inventory.clone(),
        config_path,
    })
}

/// Roles that only a master inventory has: `[columns]` entries for them name
/// columns of the `--inventory` file, never of the exports.
const MASTER_ROLES: [Role; 2] = [Role::Available, Role::SafetyStock];

/// The table layout the user asked for: command-line columns over the configuration's.
pub fn table_spec(options: &LintOptions, config: &Config) -> TableSpec {
    let mut columns: BTreeMap<Role, String> = config
        .columns
        .iter()
        .filter(|(role, _)| !MASTER_ROLES.contains(role))
        .map(|(role, given)| (*role, given.clone()))
        .collect();
    let given = [
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
    .filter_map(|(role, given)| given.clone().map(|g| (role, g)));
    columns.extend(given);
    TableSpec {
        channel: options
            .channel
            .or(config.channel)
            .unwrap_or(ChannelChoice::Auto)
            .channel(),
        header_row: options.header_row.map(|n| n as usize),
        columns,
        sheets: options.sheet.clone(),
        inventory: false,
    }
}

/// The rules to run and how: each command-line flag replaces the configuration's value.
pub fn settings(
    options: &LintOptions,
    fail_on: Option<FailOn>,
    config: &Config,
) -> Result<Settings> {
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
        fail_on: fail_on.or(config.fail_on).unwrap_or(defaults.fail_on),
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
    /// them as warnings, in input order.
    pub fn settle<T>(&self, linted: &mut [Result<T, FileError>]) {
        for ((book, notices), result) in self.books.iter().zip(&self.notices).zip(linted) {
            match (book, result) {
                (Ok(_), Err(error)) => {
                    error.message = with_notices(std::mem::take(&mut error.message), notices)
                }
                (Ok(workbook), Ok(_)) => report_notices(&workbook.display, notices),
                (Err(_), _) => {}
            }
        }
    }
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
    let mut linted: Vec<Result<Linted<'a>, FileError>> = books
        .par_iter()
        .map(|book| {
            let workbook = book.as_ref().map_err(Clone::clone)?;
            let layout::Layout { tables, skipped } = layout::detect(workbook, &setup.spec)
                .map_err(|e| FileError {
                    path: workbook.display.to_string(),
                    message: e.to_string(),
                })?;
            let diagnostics = crate::rules::run(&tables, &setup.settings);
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
                .entry(diagnostic.file.clone())
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

/// Reads and lints a group of files (see [`groups`]).
fn lint_group(
    paths: &[PathBuf],
    setup: &Setup,
) -> Vec<Result<(FileReport, Vec<Diagnostic>), FileError>> {
    // A long CSV export is linted as it is read, without holding it.
    if let [path] = paths
        && let Some(result) = stream::lint_csv(path, setup)
    {
        return vec![result];
    }
    let books = read_books(paths, setup, read::Depth::Values);
    let mut linted = lint_books(&books.books, setup);
    books.settle(&mut linted);
    linted
        .into_iter()
        .map(|linted| {
            let mut linted = linted?;
            // What `skulint fix` would do, so the report can say which fixes are blocked.
            let csv = fix::is_csv(linted.workbook);
            crate::fix::plan(&linted.tables, &mut linted.diagnostics, false, csv);
            Ok((
                file_report(linted.workbook, &linted.tables, &linted.skipped),
                linted.diagnostics,
            ))
        })
        .collect()
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

/// Checks the report options before any work: no report overwrites an input
/// (or the master file), no two reports share a path, and `--statistics` has a
/// format to print in. Returns the outputs, for a command that writes more.
pub fn check_outputs(output: &OutputOptions, files: &[PathBuf], setup: &Setup) -> Result<Outputs> {
    let mut outputs = Outputs::new(files.iter().chain(&setup.inventory_path));
    if let Some(path) = &output.output_file {
        outputs.add(format!("--output-file {}", path.display()), path)?;
    }
    for target in &output.reports {
        outputs.add(
            format!(
                "--report {}={}",
                target.format.name(),
                target.path.display()
            ),
            &target.path,
        )?;
    }
    // Found out before the work rather than after it.
    for path in output
        .output_file
        .iter()
        .chain(output.reports.iter().map(|r| &r.path))
    {
        folder_of(path)?;
    }
    if output.statistics && output.output_format.statistics_emitter().is_none() {
        anyhow::bail!(
            "--statistics prints as text, concise, json or jsonl, not {}; write {} reports with --report",
            output.output_format.name(),
            output.output_format.name()
        );
    }
    Ok(outputs)
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

/// Whether a progress bar may be shown: only for reports read by people.
pub fn progress_for(output: &OutputOptions) -> bool {
    !output.quiet && output.output_format.is_for_people()
}

/// Whether two paths name the same file (existing or not).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Reads and lints `files` in parallel; the report is in input order.
pub fn lint(files: &[PathBuf], setup: &Setup) -> (Report, Vec<FileError>) {
    lint_with_progress(files, setup, &Progress::new(files.len(), false))
}

/// [`lint`], counting the files and rows done on `progress`.
pub fn lint_with_progress(
    files: &[PathBuf],
    setup: &Setup,
    progress: &Progress,
) -> (Report, Vec<FileError>) {
    let mut errors = Vec::new();
    let results: Vec<_> = groups(files, setup)
        .par_iter()
        .flat_map_iter(|group| {
            let results = lint_group(group, setup);
            for result in &results {
                let rows = result.as_ref().map_or(0, |(file, _)| {
                    file.sheets.iter().map(|s| s.data_rows).sum::<usize>()
                });
                progress.file_done(rows);
            }
            results
        })
        .collect();
    progress.finish();
    let mut report = Report {
        rules: enabled_rules(setup),
        config: setup.config_path.as_ref().map(|p| p.display().to_string()),
        ..Report::default()
    };
    for result in results {
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
        let _ = writeln!(
            stderr,
            "skulint: error: {}: {}",
            crate::text::printable(&error.path),
            crate::text::printable(&error.one_line())
        );
    }
}

/// Writes `report` to `--output-file` (atomically) or standard output, as
/// statistics with `--statistics`, then each `--report` file (atomically).
pub fn emit(report: &Report, output: &OutputOptions) -> Result<()> {
    let main = |color: bool| -> Result<Box<dyn Emitter>> {
        if output.statistics {
            // check_outputs refused the formats without statistics before any work.
            output
                .output_format
                .statistics_emitter()
                .context("--statistics has no form in this format")
        } else {
            Ok(output
                .output_format
                .emitter(color, output.quiet, output.show_all))
        }
    };
    match &output.output_file {
        Some(path) => {
            let mut buffer = Vec::new();
            main(false)?.emit(&mut buffer, report)?;
            write_atomically(path, &buffer)?;
        }
        None => {
            let stdout = io::stdout();
            let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = io::BufWriter::new(stdout.lock());
            main(color)?.emit(&mut out, report)?;
            out.flush()?;
        }
    }
    for target in &output.reports {
        let mut buffer = Vec::new();
        target
            .format
            .emitter(false, output.quiet, output.show_all)
            .emit(&mut buffer, report)?;
        write_atomically(&target.path, &buffer)?;
    }
    Ok(())
}

/// The folder `path` is written into, which must exist.
fn folder_of(path: &Path) -> Result<&Path> {
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
    Ok(dir)
}

/// Writes to a temporary file beside `path`, then renames it over `path`, so an
/// interrupted run never leaves a half-written file. A symlink stays a symlink
/// (the file it points to is replaced), and a device or FIFO (`/dev/null`,
/// `/dev/stdout`) is written through, never replaced by a regular file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// An output written to its temporary file, not yet in place: a command with
/// several outputs stages them all, then commits them one after the other. A
/// staged output dropped without being committed removes its temporary file.
pub struct Staged {
    path: PathBuf,
    content: StagedContent,
}

enum StagedContent {
    /// A temporary file beside `path`, synced to disk, renamed over `path` on commit.
    Temporary(tempfile::NamedTempFile),
    /// The bytes for a device or FIFO, written on commit.
    WriteThrough(Vec<u8>),
}

/// Prepares writing `bytes` to `path` (see [`write_atomically`]).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let path = match outputs::target(path)? {
        outputs::Target::WriteThrough(device) => {
            return Ok(Staged {
                path: device,
                content: StagedContent::WriteThrough(bytes.to_vec()),
            });
        }
        outputs::Target::Replace(resolved) => resolved,
    };
    let dir = folder_of(&path)?;
    let mut builder = tempfile::Builder::new();
    // A temporary file is private (0600); the output is an ordinary file, readable
    // as the user's umask allows, like any file the user creates.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // A file that is replaced (`--in-place`, a report written again) keeps its permissions.
    if let Ok(existing) = std::fs::metadata(&path) {
        let _ = file.as_file().set_permissions(existing.permissions());
    }
    Ok(Staged {
        path,
        content: StagedContent::Temporary(file),
    })
}

impl Staged {
    /// Puts the output in place.
    pub fn commit(self) -> Result<()> {
        match self.content {
            StagedContent::Temporary(file) => {
                file.persist(&self.path)
                    .with_context(|| format!("cannot write {}", self.path.display()))?;
                Ok(())
            }
            StagedContent::WriteThrough(bytes) => {
                outputs::write_through(&self.path, &self.path, &bytes)
            }
        }
    }
}

/// The options of `lint` that decide what a run finds, as command-line
/// arguments: the text report's suggested `skulint fix` commands repeat them,
/// so that the fix finds what the report shows.
pub fn fix_args(lint: &LintOptions) -> Vec<String> {
    use clap::ValueEnum;
    let mut args: Vec<String> = Vec::new();
    let mut push = |flag: &str, value: String| {
        args.push(flag.to_string());
        args.push(value);
    };
    if let Some(channel) = lint.channel
        && let Some(value) = channel.to_possible_value()
    {
        push("--channel", value.get_name().to_string());
    }
    if !lint.select.is_empty() {
        push("--select", lint.select.join(","));
    }
    if !lint.ignore.is_empty() {
        push("--ignore", lint.ignore.join(","));
    }
    if let Some(config) = &lint.config {
        push("--config", config.display().to_string());
    }
    if let Some(inventory) = &lint.inventory {
        push("--inventory", inventory.display().to_string());
    }
    for (flag, column) in [
        ("--sku-column", &lint.sku_column),
        ("--parent-sku-column", &lint.parent_sku_column),
        ("--stock-column", &lint.stock_column),
        ("--campaign-reserved-column", &lint.campaign_reserved_column),
        ("--unpaid-reserved-column", &lint.unpaid_reserved_column),
        ("--product-id-column", &lint.product_id_column),
        ("--variation-id-column", &lint.variation_id_column),
        ("--shop-column", &lint.shop_column),
    ] {
        if let Some(column) = column {
            push(flag, column.clone());
        }
    }
    if let Some(row) = lint.header_row {
        push("--header-row", row.to_string());
    }
    for sheet in &lint.sheet {
        push("--sheet", sheet.clone());
    }
    if let Some(encoding) = lint.encoding {
        push("--encoding", encoding.name().to_string());
    }
    args
}
