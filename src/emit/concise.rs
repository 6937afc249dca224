//! One line per finding, for terminals, editors and grep:
//! `file:Sheet1!F12: CODE [*] message`, `[*]` marking what `skulint fix` fixes.

use std::io::{self, Write};

use super::{Emitter, Report, cell_reference};
use crate::text::printable;

pub struct ConciseEmitter {
    pub quiet: bool,
}

impl Emitter for ConciseEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for d in &report.diagnostics {
            writeln!(
                out,
                "{}:{}: {} {}{}",
                printable(d.file()),
                printable(&cell_reference(d.sheet(), &d.cell())),
                d.code,
                if d.is_fixable() { "[*] " } else { "" },
                printable(&d.message)
            )?;
        }
        if self.quiet || report.files.is_empty() {
            return Ok(());
        }
        let found = report.diagnostics.len();
        if found == 0 {
            return writeln!(out, "No problems found.");
        }
        let fixable = report.fixable();
        write!(
            out,
            "Found {found} problem{}",
            if found == 1 { "" } else { "s" }
        )?;
        if fixable > 0 {
            write!(out, " ({fixable} fixable with `skulint fix`)")?;
        }
        writeln!(out, ".")
    }
}
