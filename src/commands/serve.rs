//! `skulint serve`: the checks, fixes and diagnoses as a local web page and API.

use anyhow::Result;

use super::ExitStatus;
use crate::cli::ServeArgs;

pub fn serve(args: &ServeArgs) -> Result<ExitStatus> {
    crate::serve::serve(args)?;
    Ok(ExitStatus::Clean)
}
