//! `skulint check`: lint, report, exit code.

use anyhow::Result;

use super::{
    ExitStatus, Progress, check_outputs, emit, fix_args, progress_for, report_errors,
    report_notices,
};
use crate::cli::CheckArgs;
use crate::engine::{self, collect_inputs, exit_status, refuse_inventory_as_input};

pub fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let setup = engine::setup(&args.lint.engine_options(args.output.fail_on))?;
    let engine::Inputs {
        files,
        mut errors,
        notices: input_notices,
    } = collect_inputs(&args.paths);
    report_notices(&input_notices);
    refuse_inventory_as_input(&setup, &files)?;
    check_outputs(&args.output, &files, &setup)?;
    let progress = Progress::new(files.len(), progress_for(&args.output));
    let (mut report, notices) = engine::lint(&files, &setup, &progress);
    progress.finish();
    report.fix_args = fix_args(&args.lint);
    errors.append(&mut report.errors);
    report_notices(&notices);
    report_errors(&errors);
    report.errors = errors;
    emit(&report, &args.output)?;
    Ok(exit_status(
        &report.diagnostics,
        &report.errors,
        setup.settings.fail_on,
    ))
}
