use std::process::ExitCode;

use clap::Parser;
use skulint::cli::{Cli, Command};
use skulint::commands::{self, ExitStatus};

// Reading a sheet allocates a string per cell; mimalloc makes that markedly cheaper
// than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's `mi_option_purge_delay` (the 16th option of `mi_option_t` in the
// mimalloc 2 and 3 headers that libmimalloc-sys builds). By default freed memory
// goes back to the OS after 10 ms, and `fix` of a large workbook, which frees and
// allocates gigabytes in turns, then spends a third of its time in page faults.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

fn main() -> ExitCode {
    // SAFETY: sets a plain option of the allocator linked above; -1 keeps freed
    // memory for reuse until the process exits.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Check(args) => args.lint.threads,
        Command::Fix(args) => args.lint.threads,
        Command::Layout(args) => args.lint.threads,
        Command::Rules(_)
        | Command::Diagnose(_)
        | Command::Explain(_)
        | Command::Resync(_)
        | Command::Serve(_) => None,
    };
    if let Some(threads) = threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let result = match &cli.command {
        Command::Check(args) => commands::check(args),
        Command::Fix(args) => commands::fix(args),
        Command::Rules(args) => commands::list_rules(args),
        Command::Layout(args) => commands::layout(args),
        Command::Diagnose(args) => commands::diagnose(args),
        Command::Explain(args) => commands::explain(args),
        Command::Resync(args) => commands::resync(args),
        Command::Serve(args) => commands::serve(args),
    };
    match result {
        Ok(status) => ExitCode::from(status as u8),
        // A closed pipe (`skulint check … | head`) is not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("skulint: error: {error:#}");
            ExitCode::from(ExitStatus::Error as u8)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
