//! The report for people: findings grouped by file and sheet, the value with
//! invisible characters made visible and a caret under them, then a summary.

use std::io::{self, Write};

use super::{Emitter, Report};
use crate::diagnostic::{Applicability, Severity};
use crate::text::{printable, visible_cut, visible_with_carets};

pub struct TextEmitter {
    pub color: bool,
    pub quiet: bool,
}

impl TextEmitter {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let style = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(style, severity.as_str())
    }
}

impl Emitter for TextEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut current: Option<(&str, &str)> = None;
        for d in &report.diagnostics {
            if current.map(|(f, _)| f) != Some(&*d.file) {
                if current.is_some() {
                    writeln!(out)?;
                }
                let file = report.files.iter().find(|f| f.path == d.file);
                let about = file
                    .map(|f| format!(" ({}, {})", f.format, f.channel.profile().title))
                    .unwrap_or_default();
                writeln!(out, "{}{about}", self.paint("1", &printable(&d.file)))?;
                current = None;
            }
            if current.map(|(_, s)| s) != Some(&*d.sheet) {
                let sheet = report
                    .files
                    .iter()
                    .find(|f| f.path == d.file)
                    .and_then(|f| f.sheets.iter().find(|s| s.name == d.sheet));
                let layout = sheet
                    .map(|s| format!(" (header row {}, {} data rows)", s.header_row, s.data_rows))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}{layout}",
                    self.paint("1", &format!("sheet {}", printable(&d.sheet)))
                )?;
            }
            current = Some((&d.file, &d.sheet));
            writeln!(
                out,
                "    {:<6} {} {} {}",
                d.cell,
                self.paint("1", d.code),
                self.severity(d.severity),
                printable(&d.message)
            )?;
            // A sync failure reason is a message, not a code: shown as words on one line.
            if !d.value.is_empty() && d.code.starts_with("SYN") {
                let line = d.value.split_whitespace().collect::<Vec<_>>().join(" ");
                let shown = match line.char_indices().nth(160) {
                    Some((cut, _)) => format!("{}…", &line[..cut]),
                    None => line,
                };
                writeln!(
                    out,
                    "           {} {}",
                    self.paint("2", "│"),
                    printable(&shown)
                )?;
            } else if !d.value.is_empty() {
                let (shown, carets) = visible_with_carets(&d.value, &d.highlight);
                writeln!(out, "           {} {shown}", self.paint("2", "│"))?;
                if !carets.is_empty() {
                    writeln!(
                        out,
                        "           {} {}",
                        self.paint("2", "│"),
                        self.paint("1;31", &carets)
                    )?;
                }
            }
            if let Some(fix) = &d.fix {
                let kind = match fix.applicability {
                    Applicability::Safe => "fix",
                    Applicability::Unsafe => "unsafe fix (--unsafe-fixes)",
                    Applicability::Blocked => "fix blocked",
                };
                writeln!(
                    out,
                    "           {} {kind}: {}",
                    self.paint("2", "└"),
                    self.paint("32", &visible_cut(&fix.replacement))
                )?;
                if let Some(note) = &fix.note {
                    writeln!(out, "             {}", self.paint("2", &printable(note)))?;
                }
            }
        }
        // With no file read (each was an error on stderr) there is nothing to sum up.
        if self.quiet || report.files.is_empty() {
            return Ok(());
        }
        if !report.diagnostics.is_empty() {
            writeln!(out)?;
        }
        if let Some(config) = &report.config {
            writeln!(out, "Configuration: {}", printable(config))?;
        }
        let files = report.files.len();
        let rows = report.rows();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if report.diagnostics.is_empty() {
            writeln!(
                out,
                "No problems found in {}, {}.",
                plural(files, "file"),
                plural(rows, "row")
            )?;
            return Ok(());
        }
        let count = |s: Severity| {
            report
                .diagnostics
                .iter()
                .filter(|d| d.severity == s)
                .count()
        };
        let mut parts = Vec::new();
        for (severity, word) in [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Info, "info"),
        ] {
            let n = count(severity);
            if n > 0 {
                parts.push(if severity == Severity::Info {
                    format!("{n} info")
                } else {
                    plural(n, word)
                });
            }
        }
        writeln!(
            out,
            "Found {} ({}) in {}, {}.",
            plural(report.diagnostics.len(), "problem"),
            parts.join(", "),
            plural(files, "file"),
            plural(rows, "row")
        )?;
        for (code, n) in report.by_code() {
            let of_code = || report.diagnostics.iter().filter(|d| d.code == code);
            let fixable = of_code().any(|d| d.is_fixable());
            // Custom rules have no catalog entry: the findings carry the name.
            let name = of_code().next().map_or("", |d| d.name);
            writeln!(
                out,
                "  {n:>5}  {code}  {}  {name}",
                if fixable { "[*]" } else { "   " },
            )?;
        }
        let fixable = report.fixable();
        if fixable > 0 {
            writeln!(out, "[*] {fixable} fixable with `skulint fix`.")?;
        }
        Ok(())
    }
}
