//! JUnit XML for CI test dashboards: one test suite per file, one test case per
//! sheet and rule that ran. A test case fails when the rule found something on
//! the sheet; the failure lists each cell with its message. A file that could
//! not be read is a suite with one test case in error.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::{Emitter, Report, cell_reference, fix_kind};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::text::visible;

pub struct JunitEmitter;

/// Cells named in a failure's one-line message; the body lists them all.
const CELLS_IN_MESSAGE: usize = 10;

impl Emitter for JunitEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let mut junit = quick_junit::Report::new("skulint");
        for file in &report.files {
            let mut suite = TestSuite::new(&*file.path);
            for sheet in &file.sheets {
                let findings: Vec<&Diagnostic> = report
                    .diagnostics
                    .iter()
                    .filter(|d| d.file() == &*file.path && d.sheet() == &*sheet.name)
                    .collect();
                // The rules that ran, then any other code that reported here.
                let mut codes: Vec<&str> = report.rules.clone();
                for d in &findings {
                    if !codes.contains(&d.code) {
                        codes.push(d.code);
                    }
                }
                for code in codes {
                    let of_rule: Vec<&Diagnostic> = findings
                        .iter()
                        .copied()
                        .filter(|d| d.code == code)
                        .collect();
                    let name = of_rule
                        .first()
                        .map(|d| d.name)
                        .or_else(|| {
                            rules::catalog()
                                .iter()
                                .find(|doc| doc.code == code)
                                .map(|doc| doc.name.as_str())
                        })
                        .unwrap_or_default();
                    let mut case = TestCase::new(format!("{code} {name}"), status(&of_rule));
                    case.set_classname(format!("{}:{}", file.path, sheet.name));
                    suite.add_test_case(case);
                }
            }
            junit.add_test_suite(suite);
        }
        // A file that could not be read is an error case of its own suite.
        for error in &report.errors {
            let mut suite = TestSuite::new(&*error.path);
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.one_line());
            status.set_type("unreadable-file");
            let mut case = TestCase::new("read the file", status);
            case.set_classname(&*error.path);
            suite.add_test_case(case);
            junit.add_test_suite(suite);
        }
        junit.serialize(&mut *out).map_err(io::Error::other)?;
        writeln!(out)
    }
}

fn status(findings: &[&Diagnostic]) -> TestCaseStatus {
    let Some(first) = findings.first() else {
        return TestCaseStatus::success();
    };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let cells: Vec<String> = findings
        .iter()
        .take(CELLS_IN_MESSAGE)
        .map(|d| d.cell())
        .collect();
    let more = findings.len().saturating_sub(CELLS_IN_MESSAGE);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let count = findings.len();
    let noun = if count == 1 { "finding" } else { "findings" };
    status.set_message(format!("{count} {noun} at {}{more}", cells.join(", ")));
    status.set_type(first.code);
    let body: Vec<String> = findings.iter().map(|d| describe(d)).collect();
    status.set_description(body.join("\n"));
    status
}

/// One line per finding: where, how serious, what, and the value made visible.
fn describe(d: &Diagnostic) -> String {
    let mut line = format!(
        "{} {}: {}",
        cell_reference(d.sheet(), &d.cell()),
        d.severity,
        d.message
    );
    if !d.value.is_empty() {
        line.push_str(&format!(" | value: {}", visible(&d.value)));
    }
    if let Some(fix) = &d.fix {
        let kind = fix_kind(fix.applicability);
        line.push_str(&format!(" | {kind}: {}", visible(&fix.replacement)));
    }
    line
}
