//! `skulint fix`: lint, apply the fixes, write the corrected copy, the resync plan
//! and the change log, and report what remains.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use super::{
    ExitStatus, FileError, Outputs, Progress, check_outputs, emit, progress_for, report_errors,
    stage, sync_folder_of,
};
use crate::cli::FixArgs;
use crate::emit::Report;
use crate::engine::fix::{Corrected, FixOptions, Fixed, Made};
use crate::engine::{
    self, collect_inputs, enabled_rules, exit_status, groups, refuse_inventory_as_input, same_file,
    setup,
};
use crate::fix::Change;
use crate::plan::PlanEntry;
use crate::table::Format;
use crate::text::{neutralize, visible};

/// One file fixed, and where its outputs go.
struct Done {
    fixed: Fixed,
    written: Option<Written>,
    /// The outputs of the file, in their temporary files until every output of
    /// the run is staged.
    staged: Option<StagedOutputs>,
}

struct Written {
    output: PathBuf,
    plan: PathBuf,
    /// Named when it is put in place: the first free backup name then.
    backup: Option<PathBuf>,
}

/// The outputs of one file, each in its temporary file, synced to disk.
struct StagedOutputs {
    /// For `--in-place`: a copy of the input.
    backup: Option<StagedBackup>,
    output: super::Staged,
    plan: super::Staged,
}

impl StagedOutputs {
    /// Puts the outputs in place, in a fixed order: the backup before the copy
    /// that replaces its input, the copy before its plan (a plan never describes
    /// a copy that is not there). Returns the backup's name.
    fn commit(self) -> Result<Option<PathBuf>> {
        let backup = self.backup.map(StagedBackup::commit).transpose()?;
        self.output.commit()?;
        self.plan.commit()?;
        Ok(backup)
    }
}

pub fn fix(args: &FixArgs) -> Result<ExitStatus> {
    let setup = setup(&args.lint.engine_options(args.output_options.fail_on))?;
    if let Some(changes) = &args.changes {
        change_log_format(changes)?;
    }
    let engine::Inputs {
        files,
        mut errors,
        notices,
    } = collect_inputs(&args.paths);
    super::report_notices(&notices);
    refuse_inventory_as_input(&setup, &files)?;
    let mut outputs = check_outputs(&args.output_options, &files, &setup)?;
    if let Some(changes) = &args.changes {
        outputs.add(format!("--changes {}", changes.display()), changes)?;
    }
    let several = files.len() > 1 || args.paths.iter().any(|p| p.is_dir());
    refuse_shared_outputs(&files, args, several)?;
    if !args.diff {
        for file in &files {
            add_file_outputs(&mut outputs, file, args, several)?;
        }
    }
    let outputs = Mutex::new(outputs);
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
    let mut report = Report {
        rules: enabled_rules(&setup),
        fix_args: super::fix_args(&args.lint),
        config: setup.config_path.as_ref().map(|p| p.display().to_string()),
        ..Report::default()
    };
    let mut all_changes = Vec::new();
    let progress = Progress::new(
        files.len(),
        progress_for(&args.output_options) && !args.diff,
    );
    let options = FixOptions {
        unsafe_fixes: args.unsafe_fixes,
        rebuild: args.rebuild,
    };
    // `--diff` writes nothing; `--in-place` leaves a file without changes alone.
    let copy = |changes: &[Change]| !(args.diff || (args.in_place && changes.is_empty()));
    // Every file is read in parallel, in a group or alone.
    let _workers = crate::workers::claim(files.len());
    // Files are fixed in parallel, and reported in input order.
    let results: Vec<Result<Done, FileError>> = groups(&files, &setup)
        .par_iter()
        .flat_map_iter(|group| {
            engine::fix::fix_group(group, &setup, &options, &copy, &progress)
                .into_iter()
                .map(|fixed| stage_file(fixed?, args, several, &outputs))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut fixed_files = Vec::new();
    for result in results {
        match result {
            Ok(done) => {
                all_changes.extend(done.fixed.changes.iter().cloned());
                fixed_files.push(done);
            }
            Err(error) => errors.push(error),
        }
    }
    if !args.diff {
        // Every output is in its temporary file before the first is put in place:
        // an error until then leaves none written and no temporary file.
        let change_log = match &args.changes {
            Some(path) => Some(stage(path, &change_log(path, &all_changes)?)?),
            None => None,
        };
        commit_outputs(&mut fixed_files, change_log)?;
    }
    for done in fixed_files {
        for notice in &done.fixed.notices {
            progress.suspend(|| eprintln!("skulint: warning: {notice}"));
        }
        if !args.output_options.quiet && !args.diff {
            progress.suspend(|| eprintln!("{}", summary_line(&done)));
        }
        report.files.push(done.fixed.report);
        report.diagnostics.extend(done.fixed.remaining);
    }
    progress.finish();
    report_errors(&errors);
    report.errors = errors;
    if args.diff {
        print_diff(&all_changes)?;
    } else {
        emit(&report, &args.output_options)?;
    }
    Ok(exit_status(
        &report.diagnostics,
        &report.errors,
        setup.settings.fail_on,
    ))
}

/// Puts every staged output in place: each file's (see [`StagedOutputs::commit`])
/// in input order, then the change log. A failure stops there: the outputs not
/// yet in place are dropped, which removes their temporary files.
fn commit_outputs(done: &mut [Done], change_log: Option<super::Staged>) -> Result<()> {
    for file in done.iter_mut() {
        if let (Some(staged), Some(written)) = (file.staged.take(), &mut file.written) {
            written.backup = staged.commit().with_context(|| {
                format!(
                    "{}: its outputs were not all written",
                    file.fixed.report.path
                )
            })?;
        }
    }
    if let Some(log) = change_log {
        log.commit()?;
    }
    Ok(())
}

/// Two inputs whose outputs would have the same names (`a/x.xlsx` and
/// `b/x.xlsx` with `-o DIR`, or `x.xlsx` beside `x.csv`) would overwrite each
/// other's resync plan, or corrected copy: refused before any work.
fn refuse_shared_outputs(files: &[PathBuf], args: &FixArgs, several: bool) -> Result<()> {
    if args.diff {
        return Ok(());
    }
    let mut plans: HashMap<PathBuf, &PathBuf> = HashMap::new();
    for file in files {
        let folder = match &args.output {
            Some(dir) if several || dir.is_dir() => dir.as_path(),
            Some(output) => output.parent().unwrap_or(Path::new("")),
            None => file.parent().unwrap_or(Path::new("")),
        };
        let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("export");
        let plan = folder.join(format!("{stem}.resync.jsonl"));
        if let Some(other) = plans.insert(plan.clone(), file) {
            bail!(
                "{} and {} would both write {}: fix them in separate runs, or give each its own -o folder",
                other.display(),
                file.display(),
                plan.display()
            );
        }
    }
    Ok(())
}

/// Stages the outputs of a fixed file (see [`stage_outputs`]).
fn stage_file(
    mut fixed: Fixed,
    args: &FixArgs,
    several: bool,
    outputs: &Mutex<Outputs>,
) -> Result<Done, FileError> {
    let Some(made) = fixed.made.take() else {
        return Ok(Done {
            fixed,
            written: None,
            staged: None,
        });
    };
    let (written, staged) = made
        .and_then(|made| {
            stage_outputs(
                &fixed.path,
                fixed.format,
                made,
                &fixed.resync,
                args,
                several,
                outputs,
            )
        })
        .map_err(|e| FileError {
            path: fixed.report.path.to_string(),
            message: format!("{e:#}"),
        })?;
    Ok(Done {
        fixed,
        written: Some(written),
        staged: Some(staged),
    })
}

fn summary_line(done: &Done) -> String {
    let fixed = &done.fixed;
    let cells = match fixed.changes.len() {
        1 => "1 cell".to_string(),
        n => format!("{n} cells"),
    };
    match &done.written {
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

/// The outputs fixing `input` writes, as far as they are known before it is
/// read (a corrected copy's type depends on what the file holds): added to
/// `outputs` so that none overwrites an input or another output.
fn add_file_outputs(
    outputs: &mut Outputs,
    input: &Path,
    args: &FixArgs,
    several: bool,
) -> Result<()> {
    let given = input
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let extension = match given.as_str() {
        "csv" | "tsv" | "txt" | "tab" | "xlsx" | "xlsm" => given.as_str(),
        _ => "xlsx",
    };
    let output = if args.in_place {
        outputs.add_in_place(format!("the fixed copy of {}", input.display()), input)?;
        let backup = backup_path(input, 0);
        outputs.add(format!("the backup {}", backup.display()), &backup)?;
        input.to_path_buf()
    } else {
        let output = corrected_path(input, extension, args, several);
        outputs.add(format!("the fixed copy {}", output.display()), &output)?;
        output
    };
    let plan = plan_path(input, &output);
    outputs.add(format!("the resync plan {}", plan.display()), &plan)
}

/// Whether the corrected copy of `workbook` is a CSV or TSV file.
/// Where the corrected copy of `input` goes, written as `extension`.
fn corrected_path(input: &Path, extension: &str, args: &FixArgs, several: bool) -> PathBuf {
    let stem = input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export");
    let default_name = format!("{stem}.fixed.{extension}");
    match &args.output {
        Some(dir) if several || dir.is_dir() => dir.join(default_name),
        Some(file) => file.clone(),
        None => input.with_file_name(default_name),
    }
}

/// The resync plan of `input` goes beside its corrected copy.
fn plan_path(input: &Path, output: &Path) -> PathBuf {
    numbered_plan_path(input, output, 0)
}

/// The `n`th name of the resync plan of `input`: `x.resync.jsonl`, then
/// `x.resync.1.jsonl`, …
fn numbered_plan_path(input: &Path, output: &Path, n: usize) -> PathBuf {
    let stem = input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export");
    if n == 0 {
        output.with_file_name(format!("{stem}.resync.jsonl"))
    } else {
        output.with_file_name(format!("{stem}.resync.{n}.jsonl"))
    }
}

/// Where the resync plan of `input` is written: its usual name, unless a plan
/// there was never sent (it has entries and no journal), which is kept: the new
/// plan is written beside it, numbered.
fn free_plan_path(input: &Path, output: &Path) -> PathBuf {
    let unsent = |plan: &Path| {
        std::fs::metadata(plan).is_ok_and(|m| m.is_file() && m.len() > 0)
            && !crate::channel::journal::default_path(plan).exists()
    };
    (0..1000)
        .map(|n| numbered_plan_path(input, output, n))
        .find(|plan| !unsent(plan))
        .unwrap_or_else(|| plan_path(input, output))
}

/// The `n`th backup name of `input` for `--in-place`: `x.xlsx.bak`, then
/// `x.xlsx.bak.1`, `x.xlsx.bak.2`, …
fn backup_path(input: &Path, n: usize) -> PathBuf {
    let mut name = input.as_os_str().to_owned();
    name.push(".bak");
    if n > 0 {
        name.push(format!(".{n}"));
    }
    PathBuf::from(name)
}

/// Where the corrected copy of `input` goes.
fn output_path(
    input: &Path,
    format: Format,
    corrected: Corrected,
    args: &FixArgs,
    several: bool,
) -> Result<PathBuf> {
    let extension = match (format, corrected) {
        // A CSV file read by its content from a workbook name is written as .csv.
        (Format::Csv | Format::Tsv, _) => input
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| ["csv", "tsv", "txt", "tab"].contains(&e.to_ascii_lowercase().as_str()))
            .unwrap_or("csv")
            .to_string(),
        // A patched package keeps its type: an .xlsm stays an .xlsm with its macros.
        (format, Corrected::Patched) => format.as_str().to_string(),
        (_, Corrected::Rebuilt) => "xlsx".to_string(),
    };
    if args.in_place {
        if extension != format.as_str() {
            bail!(
                "--in-place works for .xlsx, .csv and .tsv files and for .xlsm files that can be patched; this .{} export is written as a new .xlsx: use -o",
                format
            );
        }
        return Ok(input.to_path_buf());
    }
    if let Some(file) = &args.output
        && !(several || file.is_dir())
    {
        let given = file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if given.as_deref() != Some(extension.as_str()) {
            bail!(
                "-o {}: the corrected {} export must be written as .{extension}",
                file.display(),
                format
            );
        }
    }
    let output = corrected_path(input, &extension, args, several);
    if same_file(&output, input) {
        bail!(
            "the output {} is the input itself; use --in-place to replace it (a .bak copy is kept)",
            output.display()
        );
    }
    Ok(output)
}

/// Writes the outputs of one file to their temporary files; see [`StagedOutputs`].
fn stage_outputs(
    input: &Path,
    format: Format,
    made: Made,
    resync: &[PlanEntry],
    args: &FixArgs,
    several: bool,
    outputs: &Mutex<Outputs>,
) -> Result<(Written, StagedOutputs)> {
    let output = output_path(input, format, made.corrected, args, several)?;
    {
        // A copy whose type was known only once the file was read is checked now.
        let mut outputs = outputs.lock().unwrap_or_else(|e| e.into_inner());
        if !args.in_place && !outputs.contains(&output) {
            outputs.add(format!("the fixed copy {}", output.display()), &output)?;
        }
        let plan = plan_path(input, &output);
        if !outputs.contains(&plan) {
            outputs.add(format!("the resync plan {}", plan.display()), &plan)?;
        }
    }
    let plan = free_plan_path(input, &output);
    if plan != plan_path(input, &output) {
        let mut outputs = outputs.lock().unwrap_or_else(|e| e.into_inner());
        outputs.add(format!("the resync plan {}", plan.display()), &plan)?;
    }
    let mut lines = Vec::new();
    for entry in resync {
        serde_json::to_writer(&mut lines, entry)?;
        lines.push(b'\n');
    }
    // A staged output dropped on an error on the way removes its temporary file.
    let staged = StagedOutputs {
        output: stage(&output, &made.bytes)?,
        plan: stage(&plan, &lines)?,
        backup: match args.in_place {
            true => Some(stage_backup(input)?),
            false => None,
        },
    };
    let written = Written {
        output,
        plan,
        backup: None,
    };
    Ok((written, staged))
}

/// A copy of an input in a temporary file beside it, synced to disk, waiting to
/// be put in place as its backup.
struct StagedBackup {
    input: PathBuf,
    /// Closed: a run may stage many.
    file: tempfile::TempPath,
}

impl StagedBackup {
    /// Puts the copy in place under the first free backup name: an earlier backup
    /// is never overwritten.
    fn commit(self) -> Result<PathBuf> {
        const MOST_BACKUPS: usize = 1000;
        let StagedBackup { input, mut file } = self;
        for n in 0..MOST_BACKUPS {
            let backup = backup_path(&input, n);
            match file.persist_noclobber(&backup) {
                Ok(_) => {
                    sync_folder_of(&backup);
                    return Ok(backup);
                }
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => file = e.path,
                Err(e) => {
                    return Err(e.error)
                        .with_context(|| format!("cannot write {}", backup.display()));
                }
            }
        }
        bail!(
            "{} has {MOST_BACKUPS} backups already ({} …): remove the old ones",
            input.display(),
            backup_path(&input, 0).display()
        )
    }
}

/// Copies `input` to a temporary file beside it, with the input's permissions
/// and, where allowed, its owner.
fn stage_backup(input: &Path) -> Result<StagedBackup> {
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let metadata =
        std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    let dir = match input.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(&bytes)
        .and_then(|()| file.as_file().sync_all())
        .and_then(|()| file.as_file().set_permissions(metadata.permissions()))
        .with_context(|| format!("cannot write a backup of {}", input.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; anyone else keeps their own.
        let _ =
            std::os::unix::fs::fchown(file.as_file(), Some(metadata.uid()), Some(metadata.gid()));
    }
    Ok(StagedBackup {
        input: input.to_path_buf(),
        file: file.into_temp_path(),
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

/// The change log, as `path`'s extension says.
fn change_log(path: &Path, changes: &[Change]) -> Result<Vec<u8>> {
    Ok(match change_log_format(path)? {
        LogFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(LOG_HEADER)?;
            for change in changes {
                // Values from sellers' files: none may run as a formula when the
                // log is opened in a spreadsheet program.
                writer.write_record(log_row(change).iter().map(|v| neutralize(v)))?;
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A rename that fails after others succeeded stops there: the outputs
    /// renamed before it stay (whole), the rest are not written, and no
    /// temporary file is left.
    #[test]
    fn a_failed_rename_stops_in_the_fixed_order_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("a.csv");
        std::fs::write(&input, "SKU\nKAOS  HITAM\n").unwrap();
        let staged = StagedOutputs {
            backup: Some(stage_backup(&input).unwrap()),
            output: stage(&dir.path().join("a.fixed.csv"), b"SKU\nKAOS HITAM\n").unwrap(),
            plan: stage(&dir.path().join("a.resync.jsonl"), b"{}\n").unwrap(),
        };
        assert_eq!(
            names(dir.path()).len(),
            4,
            "the input and three temporary files"
        );
        // The plan's place is taken by a folder once it is staged.
        std::fs::create_dir(dir.path().join("a.resync.jsonl")).unwrap();
        std::fs::write(dir.path().join("a.resync.jsonl/keep"), "").unwrap();
        assert!(staged.commit().is_err());
        assert_eq!(
            names(dir.path()),
            ["a.csv", "a.csv.bak", "a.fixed.csv", "a.resync.jsonl"]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.fixed.csv")).unwrap(),
            "SKU\nKAOS HITAM\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.csv.bak")).unwrap(),
            "SKU\nKAOS  HITAM\n"
        );
    }
}
