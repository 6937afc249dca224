//! `skulint check`: lint, report, exit code.

use anyhow::Result;

use super::{
    ExitStatus, collect_inputs, emit, exit_status, lint, refuse_input_as_output,
    refuse_inventory_as_input, report_errors, setup,
};
use crate::cli::CheckArgs;

pub fn check(args: &CheckArgs) -> Result<ExitStatus> {
    let setup = setup(&args.lint, args.output.fail_on)?;
    let (files, mut errors) = collect_inputs(&args.paths);
    refuse_input_as_output(args.output.output_file.as_deref(), &files)?;
    refuse_inventory_as_input(&setup, &files)?;
    let (report, lint_errors) = lint(&files, &setup);
    errors.extend(lint_errors);
    report_errors(&errors);
    emit(&report, &args.output)?;
    Ok(exit_status(
        &report.diagnostics,
        &errors,
        setup.settings.fail_on,
    ))
}
