//! The report for people: findings grouped by file and sheet, the value with
//! invisible characters made visible and a caret under them, then a summary.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{Emitter, Report};
use crate::diagnostic::{Applicability, Severity};
use crate::text::{printable, visible_cut, visible_with_carets};

pub struct TextEmitter {
    pub color: bool,
    pub quiet: bool,
    /// List every finding; otherwise each sheet shows the first
    /// [`SHOWN_PER_RULE`] findings of a rule and counts the rest.
    pub show_all: bool,
}

/// How many findings of one rule a sheet shows without `--show-all`: a seller
/// reads ten examples, not 866 copies of one warning.
pub const SHOWN_PER_RULE: usize = 10;

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

impl TextEmitter {
    /// How each file was read, when something was not read as a listing.
    fn write_reading(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut any = false;
        for file in &report.files {
            let lines = super::reading::lines(file);
            if lines.is_empty() {
                continue;
            }
            writeln!(
                out,
                "{}",
                self.paint("1", &format!("How {} was read", file.path))
            )?;
            for line in lines {
                let line = match line.strip_prefix("warning: ") {
                    Some(rest) => format!("{}: {rest}", self.paint("1;33", "warning")),
                    None => line,
                };
                writeln!(out, "  {line}")?;
            }
            any = true;
        }
        if any {
            writeln!(out)?;
        }
        Ok(())
    }
}

impl Emitter for TextEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut current: Option<(&str, &str)> = None;
        let totals = per_sheet_counts(report);
        // Findings shown so far in the current sheet, per code.
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        // The rules whose cells hold a channel's message, looked up once.
        let message_codes: Vec<&str> = crate::rules::catalog()
            .iter()
            .filter(|doc| doc.value == crate::rules::CellValue::Message)
            .map(|doc| doc.code.as_str())
            .collect();
        for d in &report.diagnostics {
            if current != Some((d.file(), d.sheet())) {
                if let Some((file, sheet)) = current {
                    self.more_lines(out, &totals, file, sheet)?;
                }
                shown.clear();
            }
            if current.map(|(f, _)| f) != Some(d.file()) {
                if current.is_some() {
                    writeln!(out)?;
                }
                let file = report.files.iter().find(|f| &*f.path == d.file());
                let about = file
                    .map(|f| format!(" ({}, {})", f.format, f.channel.profile().title))
                    .unwrap_or_default();
                writeln!(out, "{}{about}", self.paint("1", &printable(d.file())))?;
                current = None;
            }
            if current.map(|(_, s)| s) != Some(d.sheet()) {
                let sheet = report
                    .files
                    .iter()
                    .find(|f| &*f.path == d.file())
                    .and_then(|f| f.sheets.iter().find(|s| &*s.name == d.sheet()));
                let layout = sheet
                    .map(|s| format!(" (header row {}, {} data rows)", s.header_row, s.data_rows))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}{layout}",
                    self.paint("1", &format!("sheet {}", printable(d.sheet())))
                )?;
            }
            current = Some((d.file(), d.sheet()));
            let count = shown.entry(d.code).or_default();
            *count += 1;
            if !self.show_all && *count > SHOWN_PER_RULE {
                continue;
            }
            writeln!(
                out,
                "    {:<6} {} {} {}",
                d.cell(),
                self.paint("1", d.code),
                self.severity(d.severity),
                printable(&d.message)
            )?;
            // A sync failure reason is a message, not a code: shown as words on one line.
            if !d.value.is_empty() && message_codes.contains(&d.code) {
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
        if let Some((file, sheet)) = current {
            self.more_lines(out, &totals, file, sheet)?;
        }
        // With no file read (each was an error on stderr) there is nothing to sum up.
        if self.quiet || report.files.is_empty() {
            return Ok(());
        }
        if !report.diagnostics.is_empty() {
            writeln!(out)?;
        }
        self.write_reading(out, report)?;
        if let Some(config) = &report.config {
            writeln!(out, "Configuration: {}", printable(config))?;
        }
        let files = report.files.len();
        let rows = report.rows();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if report.diagnostics.is_empty() {
            if report.has_warnings() {
                // Not a clean bill: the rows that were not read may hold the problems.
                writeln!(
                    out,
                    "No problems found in the {} read from {}, but see the warnings above: listings may have been missed.",
                    plural(rows, "row"),
                    plural(files, "file"),
                )?;
            } else {
                writeln!(
                    out,
                    "No problems found in {}, {}.",
                    plural(files, "file"),
                    plural(rows, "row")
                )?;
            }
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
        self.next_steps(out, report)
    }
}

/// (file, sheet, code) → how many findings.
type SheetCounts<'r> = BTreeMap<(&'r str, &'r str, &'static str), usize>;

fn per_sheet_counts(report: &Report) -> SheetCounts<'_> {
    let mut counts = SheetCounts::new();
    for d in &report.diagnostics {
        *counts.entry((d.file(), d.sheet(), d.code)).or_default() += 1;
    }
    counts
}

impl TextEmitter {
    /// After a sheet's findings: one line per rule whose findings were not all shown.
    fn more_lines<'r>(
        &self,
        out: &mut dyn Write,
        totals: &SheetCounts<'r>,
        file: &'r str,
        sheet: &'r str,
    ) -> io::Result<()> {
        if self.show_all {
            return Ok(());
        }
        let of_sheet = totals
            .range((file, sheet, "")..)
            .take_while(|((f, s, _), _)| (*f, *s) == (file, sheet));
        for (&(_, _, code), &total) in of_sheet {
            if total > SHOWN_PER_RULE {
                writeln!(
                    out,
                    "    … and {} more {code} in this sheet (--show-all lists them)",
                    total - SHOWN_PER_RULE
                )?;
            }
        }
        Ok(())
    }

    /// "What to do next": per rule found, how many and what to do — the
    /// `skulint fix` command for fixable findings, the rule's manual step otherwise.
    fn next_steps(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        writeln!(out)?;
        writeln!(out, "{}", self.paint("1", "What to do next:"))?;
        for (code, n) in report.by_code() {
            let of_code = || report.diagnostics.iter().filter(move |d| d.code == code);
            let files_with = |applicability: Applicability| -> Vec<&str> {
                let mut files: Vec<&str> = Vec::new();
                for d in of_code() {
                    if d.fix.as_ref().map(|f| f.applicability) == Some(applicability)
                        && !files.contains(&d.file())
                    {
                        files.push(d.file());
                    }
                }
                files
            };
            let mut steps: Vec<String> = Vec::new();
            let safe = files_with(Applicability::Safe);
            if !safe.is_empty() {
                steps.push(format!(
                    "run `{}`",
                    fix_command(&safe, &report.fix_args, false)
                ));
            }
            let unsafe_ = files_with(Applicability::Unsafe);
            if !unsafe_.is_empty() {
                steps.push(format!(
                    "check each proposed change, then run `{}`",
                    fix_command(&unsafe_, &report.fix_args, true)
                ));
            }
            let blocked = of_code()
                .filter(|d| {
                    d.fix
                        .as_ref()
                        .is_some_and(|f| f.applicability == Applicability::Blocked)
                })
                .count();
            let by_hand = of_code().filter(|d| d.fix.is_none()).count() + blocked;
            if by_hand > 0 {
                let step = match crate::rules::find_doc(code) {
                    Some(doc) => doc.next_step.clone(),
                    // A seller's own rule: its message says what it wants.
                    None => "see the findings of this rule from skulint.toml".to_string(),
                };
                if by_hand == n {
                    steps.push(step);
                } else if by_hand == blocked {
                    steps.push(format!("{blocked} blocked: {step}"));
                } else {
                    steps.push(format!("{by_hand} by hand: {step}"));
                }
            }
            writeln!(
                out,
                "  {n:>5}  {}  {}",
                self.paint("1", code),
                steps.join("; ")
            )?;
        }
        Ok(())
    }
}

/// `skulint fix FILE… [options] [--unsafe-fixes]`, quoted for a POSIX shell.
fn fix_command(files: &[&str], args: &[String], unsafe_fixes: bool) -> String {
    let mut words = vec!["skulint".to_string(), "fix".to_string()];
    words.extend(files.iter().map(|f| shell_quote(f)));
    words.extend(args.iter().map(|a| shell_quote(a)));
    if unsafe_fixes {
        words.push("--unsafe-fixes".to_string());
    }
    words.join(" ")
}

/// A word as a POSIX shell reads it back: bare when it is plain, else in single quotes.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./,:=@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
