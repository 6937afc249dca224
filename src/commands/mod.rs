//! The commands: each parses its arguments, runs the [`engine`](crate::engine)
//! and prints. Shared here: report output, stderr lines, atomic writes.

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

pub use crate::emit::FileError;
pub use crate::engine::ExitStatus;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{LintOptions, OutputOptions};
use crate::emit::{Emitter, Report};
use crate::engine::{Notice, Setup};

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

/// Whether a progress bar may be shown: only for reports read by people.
pub fn progress_for(output: &OutputOptions) -> bool {
    !output.quiet && output.output_format.is_for_people()
}

/// One warning line per notice on stderr.
pub fn report_notices(notices: &[Notice]) {
    let mut stderr = io::stderr().lock();
    for notice in notices {
        let _ = writeln!(
            stderr,
            "skulint: warning: {}",
            crate::text::printable(&notice.line())
        );
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
    /// A temporary file beside `path`, synced to disk and closed (a run may stage
    /// many), renamed over `path` on commit.
    Temporary(tempfile::TempPath),
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
        content: StagedContent::Temporary(file.into_temp_path()),
    })
}

impl Staged {
    /// Puts the output in place.
    pub fn commit(self) -> Result<()> {
        match self.content {
            StagedContent::Temporary(file) => {
                // On failure the temporary file is removed here, not kept in the error.
                file.persist(&self.path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", self.path.display()))?;
                sync_folder_of(&self.path);
                Ok(())
            }
            StagedContent::WriteThrough(bytes) => {
                outputs::write_through(&self.path, &self.path, &bytes)
            }
        }
    }
}

/// Makes a rename into the folder of `path` durable. Best effort: a file system
/// that cannot sync a folder has still renamed the file.
pub fn sync_folder_of(path: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = folder_of(path)
        && let Ok(folder) = std::fs::File::open(dir)
    {
        let _ = folder.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
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
