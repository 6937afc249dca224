//! `skulint check`: lint, report, exit code.

use anyhow::Result;

use super::{ExitStatus, emit, exit_status, lint, report_errors, settings};
use crate::cli::CheckArgs;

pub fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let settings = settings(&args.lint, args.output.fail_on)?;
    let (report, errors) = lint(&args.paths, &args.lint, &settings);
    report_errors(&errors);
    emit(&report, &args.output)?;
    Ok(exit_status(&report.diagnostics, &errors, settings.fail_on))
}
