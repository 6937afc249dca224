//! `skulint check`: lint, report, exit code.

use anyhow::Result;

use super::{
    ExitStatus, Progress, check_outputs, collect_inputs, emit, exit_status, fix_args,
    lint_with_progress, progress_for, refuse_inventory_as_input, report_errors, setup,
};
use crate::cli::CheckArgs;

pub fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let setup = setup(&args.lint, args.output.fail_on)?;
    let (files, mut errors) = collect_inputs(&args.paths);
    refuse_inventory_as_input(&setup, &files)?;
    check_outputs(&args.output, &files, &setup)?;
    let progress = Progress::new(files.len(), progress_for(&args.output));
    let (mut report, lint_errors) = lint_with_progress(&files, &setup, &progress);
    report.fix_args = fix_args(&args.lint);
    errors.extend(lint_errors);
    report_errors(&errors);
    report.errors = errors;
    emit(&report, &args.output)?;
    Ok(exit_status(
        &report.diagnostics,
        &report.errors,
        setup.settings.fail_on,
    ))
}
