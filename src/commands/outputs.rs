//! Where a run writes, checked before anything is written: no output is an
//! input, no two outputs are the same file, and writing never turns a device,
//! a FIFO or a symlink into a regular file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A path as the file system sees it: `.` and `..` and symlinks resolved (the
/// folder of a file that does not exist yet), and the device and inode of an
/// existing file, so that a hard link is known for the file it links.
#[derive(Debug)]
struct Resolved {
    given: String,
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Resolved {
    fn new(given: String, path: &Path) -> Resolved {
        let path = resolve(path);
        let inode = inode(&path);
        Resolved { given, path, inode }
    }

    fn is(&self, other: &Resolved) -> bool {
        match (self.inode, other.inode) {
            (Some(a), Some(b)) => a == b,
            _ => self.path == other.path,
        }
    }
}

/// The absolute path `path` names, symlinks resolved; for a file that does not
/// exist, its folder's resolved path joined with its name.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let folder = folder.canonicalize().unwrap_or_else(|_| absolute(folder));
    match path.file_name() {
        Some(name) => folder.join(name),
        None => absolute(path),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<(u64, u64)> {
    None
}

/// The inputs of a run and the outputs it will write, each output checked
/// against every input and every other output as it is added.
#[derive(Debug, Default)]
pub struct Outputs {
    inputs: Vec<Resolved>,
    outputs: Vec<Resolved>,
}

impl Outputs {
    /// The files a run reads: they are never written (but with `--in-place`).
    pub fn new<'p>(inputs: impl IntoIterator<Item = &'p PathBuf>) -> Outputs {
        Outputs {
            inputs: inputs
                .into_iter()
                .map(|path| Resolved::new(format!("the input {}", path.display()), path))
                .collect(),
            outputs: Vec::new(),
        }
    }

    /// Adds the file that `what` (`--changes x.csv`, `the resync plan x.jsonl`)
    /// writes; refused when it is an input or an output already added.
    pub fn add(&mut self, what: String, path: &Path) -> Result<()> {
        let output = Resolved::new(what, path);
        if let Some(input) = self.inputs.iter().find(|input| input.is(&output)) {
            bail!(
                "{} is {}: it would be overwritten; choose another path",
                output.given,
                input.given
            );
        }
        self.add_beside_inputs(output)
    }

    /// Adds an output that may be an input: the copy `--in-place` writes over
    /// its input.
    pub fn add_in_place(&mut self, what: String, path: &Path) -> Result<()> {
        self.add_beside_inputs(Resolved::new(what, path))
    }

    fn add_beside_inputs(&mut self, output: Resolved) -> Result<()> {
        if let Some(other) = self.outputs.iter().find(|other| other.is(&output)) {
            bail!(
                "{} and {} are the same file; give each its own path",
                other.given,
                output.given
            );
        }
        self.outputs.push(output);
        Ok(())
    }

    /// Whether `path` is one of the outputs added (the same file, however named).
    pub fn contains(&self, path: &Path) -> bool {
        let path = Resolved::new(String::new(), path);
        self.outputs.iter().any(|output| output.is(&path))
    }
}

/// How a file is written: replaced through a temporary file, or written through
/// because what is there is not a regular file.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing there yet, or a regular file: written beside it and renamed over it
    /// (the path is the symlink's target when `path` is a symlink).
    Replace(PathBuf),
    /// A character device, a FIFO or a socket (`/dev/null`, `/dev/stdout`, a
    /// pipe): opened and written, never replaced by a regular file.
    WriteThrough(PathBuf),
}

/// Where and how `path` is written.
pub fn target(path: &Path) -> Result<Target> {
    let link = match std::fs::symlink_metadata(path) {
        Ok(link) => link,
        Err(_) => return Ok(Target::Replace(path.to_path_buf())),
    };
    let resolved = if link.file_type().is_symlink() {
        // The link stays a link: the file it points to is written.
        path.canonicalize().with_context(|| {
            format!(
                "cannot write {}: it is a symlink to a file that does not exist",
                path.display()
            )
        })?
    } else {
        path.to_path_buf()
    };
    let metadata =
        std::fs::metadata(&resolved).with_context(|| format!("cannot write {}", path.display()))?;
    if metadata.is_dir() {
        bail!("cannot write {}: it is a folder", path.display());
    }
    Ok(if metadata.is_file() {
        Target::Replace(resolved)
    } else {
        Target::WriteThrough(resolved)
    })
}

/// Writes `bytes` into the existing special file `path` (a device, a FIFO).
pub fn write_through(path: &Path, shown: &Path, bytes: &[u8]) -> Result<()> {
    let mut file: File = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot write {}", shown.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .with_context(|| format!("cannot write {}", shown.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_and_hard_links_name_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("a.csv");
        std::fs::write(&input, "SKU\nA\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let mut outputs = Outputs::new([&input]);
        let error = outputs
            .add("--changes".into(), &dir.path().join("sub/../a.csv"))
            .unwrap_err();
        assert!(error.to_string().contains("the input"), "{error}");

        let link = dir.path().join("b.csv");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(outputs.add("-o b.csv".into(), &link).is_err());

        outputs
            .add("-o c.csv".into(), &dir.path().join("c.csv"))
            .unwrap();
        let error = outputs
            .add("--changes c.csv".into(), &dir.path().join("sub/../c.csv"))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "-o c.csv and --changes c.csv are the same file; give each its own path"
        );
    }
}
