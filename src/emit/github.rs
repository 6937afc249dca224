//! GitHub Actions workflow commands: one `::error`, `::warning` or `::notice`
//! line per finding, which GitHub shows as an annotation on the file.
//!
//! Escaping follows the workflow-command rules: in the message `%`, CR and LF are
//! percent-encoded; in properties `:` and `,` too, since they delimit properties.

use std::io::{self, Write};

use super::{Emitter, Report, cell_reference, fix_kind};
use crate::diagnostic::Severity;
use crate::text::visible;

pub struct GithubEmitter;

impl Emitter for GithubEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        for d in &report.diagnostics {
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut message = format!("{}: {}", cell_reference(d.sheet(), &d.cell()), d.message);
            if let Some(fix) = &d.fix {
                let kind = fix_kind(fix.applicability);
                message.push_str(&format!(" ({kind}: {})", visible(&fix.replacement)));
            }
            writeln!(
                out,
                "::{command} file={},line={},title={}::{}",
                escape_property(d.file()),
                d.row(),
                escape_property(d.code),
                escape_data(&message)
            )?;
        }
        Ok(())
    }
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% off\r\nnext"), "50%25 off%0D%0Anext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(
            escape_property("C:\\exports\\a,b.xlsx"),
            "C%3A\\exports\\a%2Cb.xlsx"
        );
        assert_eq!(escape_property("100%\n"), "100%25%0A");
    }
}
