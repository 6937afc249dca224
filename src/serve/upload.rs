//! An upload in its private folder, and what the commands made of it: the
//! outputs read back with the folder taken out of their paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use super::Commands;
use crate::emit::OutputFormat;

/// The upload folders that exist now, so that stopping the server removes
/// them (see [`remove_all`]); only folders this server made are ever listed.
struct Folders {
    live: BTreeSet<PathBuf>,
    /// Set once the server stops: no folder is made after that.
    stopping: bool,
}

static FOLDERS: Mutex<Folders> = Mutex::new(Folders {
    live: BTreeSet::new(),
    stopping: false,
});

fn folders() -> MutexGuard<'static, Folders> {
    // The list stays right even if a thread panicked while holding it.
    FOLDERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every upload folder that exists now and lets no new one be made:
/// the server is stopping, maybe while requests run. Returns the folders that
/// could not be removed. The list stays locked, so call this just before the
/// process ends.
pub fn remove_all() -> Vec<PathBuf> {
    let mut folders = folders();
    folders.stopping = true;
    let mut left = Vec::new();
    for folder in std::mem::take(&mut folders.live) {
        // A run may be writing into the folder as it is removed: try again.
        let removed = (0..3).any(|_| match std::fs::remove_dir_all(&folder) {
            Ok(()) => true,
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        });
        if !removed {
            left.push(folder);
        }
    }
    // Held until the process ends, so no upload makes a folder after this.
    std::mem::forget(folders);
    left
}

/// An uploaded export in its private folder, removed when this is dropped.
pub struct Upload {
    dir: TempDir,
    path: PathBuf,
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Removed while the list is held, so a stop in between cannot miss it.
        let mut folders = folders();
        let _ = std::fs::remove_dir_all(self.dir.path());
        folders.live.remove(self.dir.path());
    }
}

impl Upload {
    /// Writes `body` into a new private folder under `name`, a plain file name
    /// (see [`super::upload_name`]).
    pub fn new(name: &str, body: &[u8]) -> Result<Upload> {
        let dir = {
            let mut folders = folders();
            if folders.stopping {
                bail!("the server is stopping");
            }
            let dir = tempfile::Builder::new()
                .prefix("skulint-serve-")
                .tempdir()
                .context("cannot create a temporary folder")?;
            folders.live.insert(dir.path().to_path_buf());
            dir
        };
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

/// The report of `skulint check NAME --output-format FORMAT`.
pub fn check(
    commands: &dyn Commands,
    upload: &Upload,
    format: OutputFormat,
) -> Result<Outcome<Vec<u8>>> {
    let report = upload.log("report");
    let errors = upload.log("errors.json");
    commands.check(&upload.path, format, &report, &errors)?;
    if let Some(why) = upload.unreadable(&errors)? {
        return Ok(Outcome::Unreadable(why));
    }
    let bytes = std::fs::read(&report).context("the check wrote no report")?;
    Ok(Outcome::Done(upload.unplace(bytes)))
}

/// What the page shows of an upload, from one check run and one layout run.
pub struct PageOutputs {
    /// The report of `skulint check NAME --output-format json`.
    pub report: Vec<u8>,
    /// The report of `skulint check NAME --output-format html`.
    pub html: Vec<u8>,
    /// The JSON of `skulint layout NAME --output-format json`.
    pub layout: Vec<u8>,
}

/// The JSON and HTML reports of one `skulint check NAME --output-format html
/// --report json=REPORT` run, and the layout.
pub fn page(commands: &dyn Commands, upload: &Upload) -> Result<Outcome<PageOutputs>> {
    let html = upload.log("report.html");
    let report = upload.log("report.json");
    commands.check(&upload.path, OutputFormat::Html, &html, &report)?;
    if let Some(why) = upload.unreadable(&report)? {
        return Ok(Outcome::Unreadable(why));
    }
    let report = upload.unplace(std::fs::read(&report).context("the check wrote no report")?);
    let html = upload.unplace(std::fs::read(&html).context("the check wrote no report")?);
    let layout = match layout(commands, upload)? {
        Outcome::Done(layout) => layout,
        Outcome::Unreadable(why) => return Ok(Outcome::Unreadable(why)),
    };
    Ok(Outcome::Done(PageOutputs {
        report,
        html,
        layout,
    }))
}

/// The JSON of `skulint layout NAME --output-format json`.
pub fn layout(commands: &dyn Commands, upload: &Upload) -> Result<Outcome<Vec<u8>>> {
    let out = upload.unplace(commands.layout(&upload.path)?);
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

/// The corrected copy, the resync plan and the change log of
/// `skulint fix NAME -o FOLDER --changes CHANGES.csv`.
pub fn fix(commands: &dyn Commands, upload: &Upload) -> Result<Outcome<FixOutputs>> {
    let report = upload.log("report.json");
    let changes = upload.log("changes.csv");
    commands.fix(&upload.path, &upload.out(), &changes, &report)?;
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
