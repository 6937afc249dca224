//! A progress bar on stderr (files done, rows read) for runs long enough to
//! need one. It is drawn only when stderr is a terminal and the report is for
//! people, and only once the run has taken longer than [`DELAY`], so quick
//! runs, pipes and machine formats never see it.

use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const DELAY: Duration = Duration::from_millis(700);

pub struct Progress {
    bar: ProgressBar,
    /// What the message tells; it is set under the lock, so files told of at
    /// once never leave an older count on the bar.
    told: Mutex<Told>,
    /// Set when the work is done; the delayed start checks it under the lock,
    /// so a bar that was cleared is never drawn again.
    done: Arc<Mutex<bool>>,
}

impl Progress {
    /// A bar for `files` files; drawn only if `for_people` and stderr is a terminal.
    pub fn new(files: usize, for_people: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} files, {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(Told::default().message());
        let done = Arc::new(Mutex::new(false));
        if for_people && io::stderr().is_terminal() {
            let bar = bar.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                std::thread::sleep(DELAY);
                let done = done.lock().unwrap_or_else(|e| e.into_inner());
                if !*done {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Progress {
            bar,
            told: Mutex::new(Told::default()),
            done,
        }
    }

    /// Runs `f` with the bar out of the way, for lines written to stderr meanwhile.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the bar for good.
    pub fn finish(&self) {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done = true;
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// What the bar's message tells.
#[derive(Default)]
struct Told {
    /// Listing rows read.
    rows: isize,
    /// Corrected copies `fix` is making.
    copies: isize,
}

impl Told {
    fn message(&self) -> String {
        match self.copies {
            ..=0 => format!("{} rows", self.rows),
            1 => format!("{} rows; making the corrected copy", self.rows),
            copies => format!("{} rows; making {copies} corrected copies", self.rows),
        }
    }
}

impl Progress {
    fn tell(&self, change: impl FnOnce(&mut Told)) {
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut told);
        self.bar.set_message(told.message());
    }
}

impl crate::engine::Observer for Progress {
    fn rows_read(&self, delta: isize) {
        self.tell(|told| told.rows += delta);
    }

    fn file_done(&self) {
        self.bar.inc(1);
    }

    fn copies_made(&self, delta: isize) {
        self.tell(|told| told.copies += delta);
    }
}
