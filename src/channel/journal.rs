//! The resync journal: an append-only JSONL file with one record per finished
//! entry (and one per finished step of an entry that has more to do), each
//! written and flushed before the next call, so a rerun after an interruption
//! skips everything already sent.

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{PlanEntry, Step};

/// What identifies an entry across runs: the target channel and everything the
/// entry sends. An entry whose new SKU or stock changed in a new plan is sent again.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryKey {
    /// The channel the entry is sent to (`--channel`).
    pub target: String,
    pub file: String,
    pub sheet: String,
    pub row: usize,
    pub product_id: Option<String>,
    pub variation_id: Option<String>,
    pub new_sku: String,
    pub stock: Option<i64>,
}

impl EntryKey {
    pub fn new(target: &str, entry: &PlanEntry) -> Self {
        EntryKey {
            target: target.to_string(),
            file: entry.file.clone(),
            sheet: entry.sheet.clone(),
            row: entry.row,
            product_id: entry.product_id.clone(),
            variation_id: entry.variation_id.clone(),
            new_sku: entry.new_sku.clone(),
            stock: entry.stock,
        }
    }
}

/// How a record leaves its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every step succeeded.
    Done,
    /// A step failed for good; a rerun tries the entry again.
    Failed,
    /// Some steps succeeded (listed in `steps`) and the next is about to be sent.
    Progress,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub key: EntryKey,
    pub outcome: Outcome,
    /// The steps that succeeded so far.
    pub steps: Vec<Step>,
    /// Calls that carried the entry in this run.
    pub attempts: u32,
    /// The sync-error cause of a failure.
    pub cause: Option<String>,
    /// The platform's message of a failure, secrets removed.
    pub message: Option<String>,
    pub endpoint: String,
    /// Unix seconds.
    pub at: u64,
}

/// What earlier runs did to an entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub done: bool,
    pub steps: BTreeSet<Step>,
}

/// Why the journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the journal {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the journal {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: not a skulint journal record ({message}); give another --journal, or move the file aside to send everything again"
    )]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

/// The journal of a run: what earlier runs did, and the file new records go to.
pub struct Journal {
    path: PathBuf,
    past: HashMap<EntryKey, Progress>,
    /// Endpoints earlier records went to.
    pub endpoints: BTreeSet<String>,
    file: Mutex<Option<File>>,
}

impl Journal {
    /// Reads the records of earlier runs (a missing file has none). A line cut
    /// short by an interruption is ignored.
    pub fn read(path: &Path) -> Result<Journal, JournalError> {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(JournalError::Read {
                    path: shown,
                    source,
                });
            }
        };
        let mut past: HashMap<EntryKey, Progress> = HashMap::new();
        let mut endpoints = BTreeSet::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = match serde_json::from_str(line) {
                Ok(record) => record,
                Err(e) if e.is_eof() => continue,
                Err(e) => {
                    return Err(JournalError::Invalid {
                        path: shown,
                        line: index + 1,
                        message: e.to_string(),
                    });
                }
            };
            endpoints.insert(record.endpoint.clone());
            let progress = past.entry(record.key).or_default();
            progress.steps.extend(record.steps);
            if record.outcome == Outcome::Done {
                progress.done = true;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            past,
            endpoints,
            file: Mutex::new(None),
        })
    }

    /// Reads the journal and opens it for appending (creating it), so a path
    /// that cannot be written is found before anything is sent.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let journal = Self::read(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| JournalError::Write {
                path: path.display().to_string(),
                source,
            })?;
        // A line cut short by an interruption must not swallow the next record.
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        if length > 0 {
            let text = std::fs::read(path).unwrap_or_default();
            if text.last() != Some(&b'\n') {
                file.write_all(b"\n")
                    .map_err(|source| JournalError::Write {
                        path: path.display().to_string(),
                        source,
                    })?;
            }
        }
        *journal.file.lock().expect("journal lock") = Some(file);
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What earlier runs did to the entry.
    pub fn progress(&self, key: &EntryKey) -> Progress {
        self.past.get(key).cloned().unwrap_or_default()
    }

    /// How many entries earlier runs finished.
    pub fn done_count(&self) -> usize {
        self.past.values().filter(|p| p.done).count()
    }

    /// Appends a record as one line and flushes it. Without an open file (a dry
    /// run) nothing is written.
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(record).expect("a record serializes");
        line.push(b'\n');
        let mut file = self.file.lock().expect("journal lock");
        if let Some(file) = file.as_mut() {
            file.write_all(&line)
                .and_then(|()| file.flush())
                .map_err(|source| JournalError::Write {
                    path: self.path.display().to_string(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// The default journal of a plan: `x.resync.jsonl` → `x.resync.journal.jsonl`.
pub fn default_path(plan: &Path) -> PathBuf {
    let name = plan
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".into());
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    plan.with_file_name(format!("{stem}.journal.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(row: usize) -> PlanEntry {
        PlanEntry {
            channel: "shopee".into(),
            file: "a.xlsx".into(),
            sheet: "S".into(),
            row,
            shop: None,
            product_id: Some("1".into()),
            variation_id: Some(row.to_string()),
            old_sku: "A  B".into(),
            new_sku: "A B".into(),
            stock: Some(3),
        }
    }

    fn record(row: usize, outcome: Outcome, steps: &[Step]) -> Record {
        Record {
            key: EntryKey::new("shopee", &entry(row)),
            outcome,
            steps: steps.to_vec(),
            attempts: 1,
            cause: None,
            message: None,
            endpoint: "http://127.0.0.1:1".into(),
            at: 0,
        }
    }

    #[test]
    fn records_survive_a_reopen_and_a_cut_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.resync.journal.jsonl");
        {
            let journal = Journal::open(&path).unwrap();
            journal
                .append(&record(2, Outcome::Done, &[Step::Sku, Step::Stock]))
                .unwrap();
            journal
                .append(&record(3, Outcome::Progress, &[Step::Sku]))
                .unwrap();
        }
        // An interruption in the middle of a write.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"key":{"target":"sho"#).unwrap();
        drop(file);

        let journal = Journal::open(&path).unwrap();
        let done = journal.progress(&EntryKey::new("shopee", &entry(2)));
        assert!(done.done);
        let half = journal.progress(&EntryKey::new("shopee", &entry(3)));
        assert!(!half.done);
        assert_eq!(half.steps, BTreeSet::from([Step::Sku]));
        assert_eq!(
            journal.progress(&EntryKey::new("lazada", &entry(2))),
            Progress::default()
        );
        journal
            .append(&record(3, Outcome::Done, &[Step::Sku, Step::Stock]))
            .unwrap();
        drop(journal);
        let journal = Journal::read(&path).unwrap();
        assert!(journal.progress(&EntryKey::new("shopee", &entry(3))).done);
        assert_eq!(journal.done_count(), 2);
    }

    #[test]
    fn a_broken_line_in_the_middle_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "not json\n{}\n").unwrap();
        let error = Journal::read(&path).err().unwrap().to_string();
        assert!(error.contains("j.jsonl:1:"), "{error}");
    }

    #[test]
    fn the_default_journal_sits_beside_the_plan() {
        assert_eq!(
            default_path(Path::new("out/demo.resync.jsonl")),
            Path::new("out/demo.resync.journal.jsonl")
        );
    }
}
