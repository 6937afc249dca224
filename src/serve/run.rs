//! Every call the server makes into skulint's check, fix and diagnose: the
//! arguments the command line would build, handed to the same functions the
//! `check`, `fix` and `diagnose` commands run, with every output written into
//! the upload's private folder. So a result of the API is the command's result
//! on the same file, byte for byte.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::TempDir;

use crate::cli::{
    ChannelChoice, CheckArgs, DiagnoseArgs, DiagnoseFormat, FixArgs, LayoutArgs, LintOptions,
    OutputOptions, ReportTarget, RulesFormat,
};
use crate::commands;
use crate::emit::OutputFormat;
use crate::table::read::Size;

/// What every run of the server is told, from `skulint serve`'s options.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub config: Option<PathBuf>,
    pub max_file_size: Option<Size>,
    pub max_cells: Option<u64>,
}

impl RunOptions {
    fn lint(&self) -> LintOptions {
        LintOptions {
            config: self.config.clone(),
            max_file_size: self.max_file_size,
            max_cells: self.max_cells,
            ..LintOptions::default()
        }
    }
}

/// Checks that the configuration loads, before the server starts.
pub fn check_config(options: &RunOptions) -> Result<()> {
    commands::load_config(options.config.as_deref()).map(|_| ())
}

/// An uploaded export in its private folder, removed when this is dropped.
pub struct Upload {
    dir: TempDir,
    path: PathBuf,
}

impl Upload {
    /// Writes `body` into a new private folder under `name`, a plain file name
    /// (see [`super::upload_name`]).
    pub fn new(name: &str, body: &[u8]) -> Result<Upload> {
        let dir = tempfile::Builder::new()
            .prefix("skulint-serve-")
            .tempdir()
            .context("cannot create a temporary folder")?;
        let path = dir.path().join(name);
        std::fs::write(&path, body).context("cannot write the upload")?;
        std::fs::create_dir(dir.path().join("out"))
            .and_then(|()| std::fs::create_dir(dir.path().join("log")))
            .context("cannot create a temporary folder")?;
        Ok(Upload { dir, path })
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join("log").join(name)
    }

    /// A text output with the private folder taken out of its paths: the
    /// upload is named by its file name, as `skulint check NAME` run in the
    /// file's own folder names it.
    fn unplace(&self, bytes: Vec<u8>) -> Vec<u8> {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(not_text) => return not_text.into_bytes(),
        };
        let mut folders = vec![self.dir.path().display().to_string()];
        if let Ok(real) = self.dir.path().canonicalize() {
            folders.push(real.display().to_string());
        }
        let mut prefixes = Vec::new();
        for folder in folders {
            for separator in ['/', '\\'] {
                let prefix = format!("{folder}{separator}");
                // As a JSON string writes it (a Windows path's backslashes).
                let escaped = serde_json::to_string(&prefix).unwrap_or_default();
                let escaped = escaped.trim_matches('"').to_string();
                prefixes.push(escaped);
                prefixes.push(prefix);
            }
        }
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let text = prefixes
            .iter()
            .fold(text, |text, prefix| text.replace(prefix.as_str(), ""));
        text.into_bytes()
    }

    /// Why the upload could not be read, from the JSON report of a run.
    fn unreadable(&self, report: &Path) -> Result<Option<String>> {
        let bytes = self.unplace(std::fs::read(report).context("the run wrote no report")?);
        let document: serde_json::Value = serde_json::from_slice(&bytes)?;
        Ok(document["errors"]
            .as_array()
            .and_then(|errors| errors.first())
            .map(|error| error["message"].as_str().unwrap_or_default().to_string()))
    }
}

/// What a run made of an upload.
pub enum Outcome<T> {
    Done(T),
    /// The file could not be read, and why.
    Unreadable(String),
}

/// `skulint check NAME --output-format FORMAT`: the report.
pub fn check(
    upload: &Upload,
    format: OutputFormat,
    options: &RunOptions,
) -> Result<Outcome<Vec<u8>>> {
    let report = upload.log("report");
    let errors = upload.log("errors.json");
    let args = CheckArgs {
        paths: vec![upload.path.clone()],
        lint: options.lint(),
        output: OutputOptions {
            output_format: format,
            output_file: Some(report.clone()),
            reports: vec![ReportTarget {
                format: OutputFormat::Json,
                path: errors.clone(),
            }],
            ..OutputOptions::default()
        },
    };
    commands::check(&args)?;
    if let Some(why) = upload.unreadable(&errors)? {
        return Ok(Outcome::Unreadable(why));
    }
    let bytes = std::fs::read(&report).context("the check wrote no report")?;
    Ok(Outcome::Done(upload.unplace(bytes)))
}

/// `skulint layout NAME --output-format json`: how the file is read.
pub fn layout(upload: &Upload, options: &RunOptions) -> Result<Outcome<Vec<u8>>> {
    let args = LayoutArgs {
        paths: vec![upload.path.clone()],
        lint: options.lint(),
        output_format: RulesFormat::Json,
    };
    let mut out = Vec::new();
    commands::layout_into(&args, &mut out)?;
    let out = upload.unplace(out);
    let document: serde_json::Value = serde_json::from_slice(&out)?;
    if let Some(error) = document["errors"].as_array().and_then(|e| e.first()) {
        let why = error["message"].as_str().unwrap_or_default().to_string();
        return Ok(Outcome::Unreadable(why));
    }
    Ok(Outcome::Done(out))
}

/// What `skulint fix NAME --changes CHANGES.csv` writes.
pub struct FixOutputs {
    /// The corrected copy: its file name and bytes.
    pub corrected: (String, Vec<u8>),
    /// The resync plan (JSON lines).
    pub plan: (String, Vec<u8>),
    /// The change log (CSV).
    pub changes: (String, Vec<u8>),
}

/// `skulint fix NAME -o DIR --changes CHANGES.csv`: the corrected copy, the
/// resync plan and the change log.
pub fn fix(upload: &Upload, options: &RunOptions) -> Result<Outcome<FixOutputs>> {
    let report = upload.log("report.json");
    let changes = upload.log("changes.csv");
    let args = FixArgs {
        paths: vec![upload.path.clone()],
        output: Some(upload.out()),
        unsafe_fixes: false,
        diff: false,
        in_place: false,
        changes: Some(changes.clone()),
        rebuild: false,
        lint: options.lint(),
        output_options: OutputOptions {
            output_format: OutputFormat::Json,
            output_file: Some(report.clone()),
            quiet: true,
            ..OutputOptions::default()
        },
    };
    commands::fix(&args)?;
    if let Some(why) = upload.unreadable(&report)? {
        return Ok(Outcome::Unreadable(why));
    }
    let stem = upload
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("export")
        .to_string();
    let plan_name = format!("{stem}.resync.jsonl");
    let corrected_prefix = format!("{stem}.fixed.");
    let mut corrected = None;
    for entry in std::fs::read_dir(upload.out())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&corrected_prefix) {
            corrected = Some(name);
        }
    }
    let corrected = corrected.context("the fix wrote no corrected copy")?;
    let corrected_bytes = std::fs::read(upload.out().join(&corrected))?;
    let plan = upload.unplace(std::fs::read(upload.out().join(&plan_name))?);
    let log = upload.unplace(std::fs::read(&changes)?);
    Ok(Outcome::Done(FixOutputs {
        corrected: (corrected, corrected_bytes),
        plan: (plan_name, plan),
        changes: (format!("{stem}.changes.csv"), log),
    }))
}

/// `skulint diagnose MESSAGE [--sku SKU] [--channel CHANNEL] --output-format json`.
/// An empty message is the command's usage error.
pub fn diagnose(message: &str, sku: Option<&str>, channel: ChannelChoice) -> Result<Vec<u8>> {
    let args = DiagnoseArgs {
        messages: vec![message.to_string()],
        sku: sku.map(str::to_string),
        file: None,
        channel,
        sync_status_column: None,
        sku_column: None,
        header_row: None,
        sheet: Vec::new(),
        output_format: DiagnoseFormat::Json,
    };
    let mut out = Vec::new();
    commands::diagnose_into(&args, &mut out)?;
    out.flush()?;
    Ok(out)
}
