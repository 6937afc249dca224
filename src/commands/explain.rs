//! `skulint explain QUERY`: the sync-error causes and rules tied to an error
//! code or message text.

use std::io::{self, Write};

use anyhow::{Result, bail};

use super::ExitStatus;
use crate::cli::ExplainArgs;
use crate::diagnose;

pub fn explain(args: &ExplainArgs) -> Result<ExitStatus> {
    let query = args.query.join(" ");
    let Some(text) = diagnose::explain(&query) else {
        bail!(
            "nothing is known about {query:?}; try an error code such as E501, a rule code (`skulint rules`), or `skulint diagnose \"MESSAGE\"`"
        );
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitStatus::Clean)
}
