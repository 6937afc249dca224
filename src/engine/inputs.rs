//! The files a run reads: folders walked into the spreadsheets they hold.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Notice;
use crate::emit::FileError;

const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "tsv"];

/// The files a run reads, the paths given that it cannot read, and what the
/// user should know about the folders walked.
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub errors: Vec<FileError>,
    pub notices: Vec<Notice>,
}

/// Expands folders into the spreadsheets they hold (sorted), keeping files as given.
/// Each file is listed once, however many paths lead to it.
pub fn collect_inputs(paths: &[PathBuf]) -> Inputs {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut notices = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if path.is_dir() {
            let mut walk = Walk {
                root: path.canonicalize().unwrap_or_else(|_| path.clone()),
                folders: HashSet::new(),
                met: 0,
                links_out: 0,
            };
            walk.folder(path, &mut seen, &mut files, &mut errors);
            // Links to exports kept elsewhere are skipped: said, so that no
            // file goes unread without a word.
            let links_out = (walk.links_out > 0).then(|| {
                format!(
                    "{} link{} to spreadsheets or folders outside it, which a folder run does \
                     not follow; name them instead",
                    walk.links_out,
                    if walk.links_out == 1 { "" } else { "s" },
                )
            });
            // A spreadsheet already listed through another path still counts.
            if walk.met == 0 {
                let mut message =
                    "the folder holds no .xlsx .xlsm .xlsb .xls .ods .csv or .tsv files"
                        .to_string();
                if let Some(links_out) = links_out {
                    message.push_str(&format!(" (it has {links_out})"));
                }
                errors.push(FileError {
                    path: path.display().to_string(),
                    message,
                });
            } else if let Some(links_out) = links_out {
                notices.push(Notice {
                    path: path.display().to_string(),
                    message: format!("the folder has {links_out}"),
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
    Inputs {
        files,
        errors,
        notices,
    }
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

/// Whether a file's name ends with a spreadsheet's extension.
fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// A walk through one folder given on the command line. Symlinks are followed
/// only to what lies inside that folder, each folder is entered once (a link
/// to `.` or `..` cannot make the walk go round), and only regular files are
/// listed: a link to `/dev/zero`, a FIFO or a file elsewhere on the machine is
/// not read for a folder.
struct Walk {
    root: PathBuf,
    folders: HashSet<(u64, u64)>,
    /// Spreadsheets met, each file once or more.
    met: usize,
    /// Symlinks met that lead to a spreadsheet or a folder outside the
    /// folder given, not followed.
    links_out: usize,
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
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            let spreadsheet = metadata.is_file() && is_spreadsheet(&path);
            if link.file_type().is_symlink()
                && !path
                    .canonicalize()
                    .is_ok_and(|target| target.starts_with(&self.root))
            {
                if spreadsheet || metadata.is_dir() {
                    self.links_out += 1;
                }
                continue;
            }
            if metadata.is_dir() {
                self.folder(&path, seen, files, errors);
            } else if spreadsheet {
                self.met += 1;
                if file_identity(&path, &metadata).is_none_or(|id| seen.insert(id)) {
                    files.push(path);
                }
            }
        }
    }
}
