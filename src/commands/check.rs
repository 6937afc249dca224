//! `skulint check`: lint, report, exit code.

use anyhow::Result;

use super::{
    ExitStatus, collect_inputs, emit, exit_status, lint, refuse_input_as_output, report_errors,
    settings,
};
use crate::cli::CheckArgs;

pub fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let settings = settings(&args.lint, args.output.fail_on)?;
    let (files, mut errors) = collect_inputs(&args.paths);
    refuse_input_as_output(args.output.output_file.as_deref(), &files)?;
    let (report, lint_errors) = lint(&files, &args.lint, &settings);
    errors.extend(lint_errors);
    report_errors(&errors);
    emit(&report, &args.output)?;
    Ok(exit_status(&report.diagnostics, &errors, settings.fail_on))
}
