//! Whether the work on one file may take threads beside its worker.
//!
//! Reading, streaming and patching one workbook can each hand part of their
//! work to a thread of its own (a sheet parser, an inflater, a compressor),
//! which shortens that file's wall time when a core is free. When every worker
//! already has a file of its own (a folder run, or several uploads to
//! `skulint serve` at once), no core is free: those threads only add their
//! hand-over and switching (about a fifth of `check`'s time over a folder on
//! two cores, see BENCHMARKS.md). Runs claim the workers they keep busy, and
//! each file asks [`spare`] before it spawns a thread beside its own.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Workers claimed by the runs under way.
static CLAIMED: AtomicUsize = AtomicUsize::new(0);

/// Workers claimed until this is dropped.
#[must_use = "the claim ends when this is dropped"]
pub struct Claim(usize);

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMED.fetch_sub(self.0, Ordering::Relaxed);
    }
}

/// Claims the workers a run of `files` files worked on in parallel keeps busy:
/// one per file, up to the pool's threads.
pub fn claim(files: usize) -> Claim {
    let busy = files.clamp(1, rayon::current_num_threads());
    CLAIMED.fetch_add(busy, Ordering::Relaxed);
    Claim(busy)
}

/// Whether a thread beside this file's worker would find a core of its own:
/// the pool has more threads than the runs under way keep busy.
pub fn spare() -> bool {
    let threads = rayon::current_num_threads();
    threads >= 2 && CLAIMED.load(Ordering::Relaxed) < threads
}

/// Drops `value` on a thread of its own, so that what follows does not wait
/// for it to be freed: the workbook's shared strings, or a temporary file
/// whose cached pages the system lets go of when it is closed. If no thread
/// starts, the value is dropped here, with the closure that holds it.
pub fn free_beside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("skulint-free".into())
        .spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_more_files_than_threads_leaves_no_thread_spare() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            // Other tests of this binary may hold claims of their own; these
            // hold on top of them.
            let one = claim(1);
            let claimed = CLAIMED.load(Ordering::Relaxed);
            assert!(claimed >= 1);
            let folder = claim(20);
            assert_eq!(CLAIMED.load(Ordering::Relaxed), claimed + 2);
            assert!(!spare());
            drop(folder);
            drop(one);
        });
        let alone = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        alone.install(|| assert!(!spare()));
    }
}
