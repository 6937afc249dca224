//! One JSON diagnostic per line: the objects of the JSON document's
//! `diagnostics`, for streaming tools (`jq`, log pipelines).

use std::io::{self, Write};

use super::{Emitter, Report};

pub struct JsonlEmitter;

impl Emitter for JsonlEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for diagnostic in &report.diagnostics {
            serde_json::to_writer(&mut *out, diagnostic)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
