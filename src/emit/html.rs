//! One self-contained HTML page for people: a summary, bar charts by rule and
//! by sheet, and a filterable, sortable table of the findings with the values'
//! invisible characters made visible and a preview of each fix.
//!
//! The page loads nothing (its Content-Security-Policy forbids it): the style and
//! script are inlined, and the charts are plain HTML, so it reads the same
//! offline, attached to a ticket, or with scripts turned off. Every value from a
//! file is escaped by the template engine.

use std::collections::BTreeMap;
use std::io::{self, Write};

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Emitter, Report};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::rules;
use crate::text::{cut_note, visible_cut, visible_runs};

pub struct HtmlEmitter;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");
const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

impl Emitter for HtmlEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        out.write_all(page(report).into_string().as_bytes())?;
        writeln!(out)
    }
}

/// A sheet as the report names it: with its file when several files were read.
struct SheetKey {
    id: String,
    label: String,
}

fn sheet_keys<'a>(report: &'a Report) -> Vec<(SheetKey, (&'a str, &'a str))> {
    let several_files = report.files.len() > 1;
    let mut keys: Vec<(&str, &str)> = report
        .files
        .iter()
        .flat_map(|f| f.sheets.iter().map(move |s| (&*f.path, &*s.name)))
        .collect();
    for d in &report.diagnostics {
        if !keys.contains(&(d.file(), d.sheet())) {
            keys.push((d.file(), d.sheet()));
        }
    }
    // File names are enough to tell files apart, unless two folders hold the same name.
    let name = |path: &'a str| path.rsplit(['/', '\\']).next().unwrap_or(path);
    let names_unique = {
        let mut names: Vec<&str> = report.files.iter().map(|f| name(&f.path)).collect();
        names.sort_unstable();
        names.windows(2).all(|w| w[0] != w[1])
    };
    keys.into_iter()
        .enumerate()
        .map(|(i, (file, sheet))| {
            let label = match (several_files, names_unique) {
                (false, _) => sheet.to_string(),
                (true, true) => format!("{} › {sheet}", name(file)),
                (true, false) => format!("{file} › {sheet}"),
            };
            (
                SheetKey {
                    id: format!("s{i}"),
                    label,
                },
                (file, sheet),
            )
        })
        .collect()
}

fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn page(report: &Report) -> Markup {
    let sheets = sheet_keys(report);
    let sheet_id = |d: &Diagnostic| {
        sheets
            .iter()
            .find(|(_, (f, s))| *f == d.file() && *s == d.sheet())
            .map(|(k, _)| k.id.as_str())
            .unwrap_or_default()
    };
    let count = |s: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let by_code = report.by_code();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(POLICY);
                meta name="generator" content=(format!("skulint {}", env!("CARGO_PKG_VERSION")));
                title { "skulint report" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { "skulint report" }
                    p.totals {
                        @if report.diagnostics.is_empty() {
                            span.clean { "No problems found" }
                        } @else {
                            strong { (plural(report.diagnostics.len(), "problem")) }
                            @if errors > 0 { " " span.pill.error { (plural(errors, "error")) } }
                            @if warnings > 0 { " " span.pill.warning { (plural(warnings, "warning")) } }
                            @if infos > 0 { " " span.pill.info { (infos) " info" } }
                        }
                        " in " (plural(report.files.len(), "file")) ", " (plural(report.rows(), "row")) "."
                        @if report.fixable() > 0 {
                            " " span.pill.fixable { (report.fixable()) " fixable with " code { "skulint fix" } }
                        }
                    }
                    (files_table(report))
                    (reading(report))
                }
                @if !report.diagnostics.is_empty() {
                    section.charts {
                        (rule_chart(report, &by_code))
                        (sheet_chart(report, &sheets))
                    }
                    section #findings {
                        h2 { "Findings" }
                        (filters(report, &by_code, &sheets))
                        div.scroll {
                            table.findings {
                                thead {
                                    tr {
                                        @for (i, title) in ["Sheet", "Cell", "Rule", "Severity", "SKU", "Value", "Message", "Fix"].iter().enumerate() {
                                            th data-col=(i) { button type="button" { (title) } }
                                        }
                                    }
                                }
                                tbody {
                                    @for (order, d) in report.diagnostics.iter().enumerate() {
                                        (finding_row(order, d, sheet_id(d), &sheets))
                                    }
                                }
                            }
                        }
                        p.none hidden { "No finding matches the filters." }
                    }
                    (rule_docs(&by_code))
                }
                footer {
                    "Made by skulint " (env!("CARGO_PKG_VERSION")) ". Spaces are shown as "
                    span.value { "␣" } ", invisible characters by their code, such as "
                    span.value { "⟨U+00A0⟩" } "."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn files_table(report: &Report) -> Markup {
    html! {
        @if !report.files.is_empty() {
            table.files {
                thead { tr { th { "File" } th { "Format" } th { "Channel" } th { "Sheet" } th { "Header row" } th { "Data rows" } } }
                tbody {
                    @for file in &report.files {
                        @if file.sheets.is_empty() {
                            tr {
                                td.path { (file.path) } td { (file.format) } td { (file.channel.profile().title) }
                                td colspan="3" { "no sheet with a SKU column" }
                            }
                        }
                        @for (i, sheet) in file.sheets.iter().enumerate() {
                            tr {
                                @if i == 0 {
                                    td.path rowspan=(file.sheets.len()) { (file.path) }
                                    td rowspan=(file.sheets.len()) { (file.format) }
                                    td rowspan=(file.sheets.len()) { (file.channel.profile().title) }
                                }
                                td { (sheet.name) } td.num { (sheet.header_row) } td.num { (sheet.data_rows) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How the files were read (rows and sheets not read as listings, notes,
/// warnings), and the files that could not be read.
fn reading(report: &Report) -> Markup {
    let lines: Vec<(&str, Vec<String>)> = report
        .files
        .iter()
        .map(|f| (&*f.path, super::reading::lines(f)))
        .filter(|(_, lines)| !lines.is_empty())
        .collect();
    html! {
        @if !lines.is_empty() {
            section #reading {
                h2 { "How the files were read" }
                @for (path, lines) in &lines {
                    p { strong.path { (path) } }
                    ul {
                        @for line in lines {
                            @if let Some(rest) = line.strip_prefix("warning: ") {
                                li.warning { span.pill.warning { "warning" } " " (rest) }
                            } @else {
                                li { (line) }
                            }
                        }
                    }
                }
            }
        }
        @if !report.errors.is_empty() {
            section #errors {
                h2 { "Files that could not be read" }
                table.files {
                    thead { tr { th { "File" } th { "Why" } } }
                    tbody {
                        @for error in &report.errors {
                            tr { td.path { (error.path) } td { (error.one_line()) } }
                        }
                    }
                }
            }
        }
    }
}

/// Horizontal bars, one per rule, coloured by the rule's most serious finding.
fn rule_chart(report: &Report, by_code: &BTreeMap<&'static str, usize>) -> Markup {
    let max = by_code.values().copied().max().unwrap_or(1).max(1);
    let mut bars: Vec<(&str, usize)> = by_code.iter().map(|(c, n)| (*c, *n)).collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    html! {
        figure.chart #by-rule {
            figcaption { "Findings by rule" }
            @for (code, n) in bars {
                @let worst = report.diagnostics.iter().filter(|d| d.code == code).map(|d| d.severity).max().unwrap_or(Severity::Info);
                @let name = report.diagnostics.iter().find(|d| d.code == code).map(|d| d.name).unwrap_or_default();
                button.bar type="button" data-rule=(code) title=(format!("Show only {code}")) {
                    span.label { code { (code) } " " (name) }
                    span.track { span class=(format!("fill {}", worst.as_str())) style=(format!("width:{:.1}%", n as f64 * 100.0 / max as f64)) {} }
                    span.count { (n) }
                }
            }
        }
    }
}

/// Horizontal bars, one per sheet with findings, split by severity.
fn sheet_chart(report: &Report, sheets: &[(SheetKey, (&str, &str))]) -> Markup {
    let counts: Vec<(&SheetKey, [usize; 3])> = sheets
        .iter()
        .map(|(key, (file, sheet))| {
            let mut n = [0; 3];
            for d in report
                .diagnostics
                .iter()
                .filter(|d| d.file() == *file && d.sheet() == *sheet)
            {
                n[severity_rank(d.severity) as usize] += 1;
            }
            (key, n)
        })
        .filter(|(_, n)| n.iter().sum::<usize>() > 0)
        .collect();
    let max = counts
        .iter()
        .map(|(_, n)| n.iter().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    html! {
        figure.chart #by-sheet {
            figcaption { "Findings by sheet" }
            @for (key, n) in &counts {
                @let total: usize = n.iter().sum();
                button.bar type="button" data-sheet=(key.id) title=(format!("Show only {}", key.label)) {
                    span.label { (key.label) }
                    span.track {
                        @for (i, class) in ["error", "warning", "info"].iter().enumerate() {
                            @if n[i] > 0 {
                                span class=(format!("fill {class}")) title=(plural(n[i], class)) style=(format!("width:{:.1}%", n[i] as f64 * 100.0 / max as f64)) {}
                            }
                        }
                    }
                    span.count { (total) }
                }
            }
        }
    }
}

fn filters(
    report: &Report,
    by_code: &BTreeMap<&'static str, usize>,
    sheets: &[(SheetKey, (&str, &str))],
) -> Markup {
    html! {
        form.filters role="search" {
            label { "Search " input #q type="search" placeholder="SKU, cell, message…"; }
            label { "Severity "
                select #severity {
                    option value="" { "all" }
                    option value="error" { "error" }
                    option value="warning" { "warning" }
                    option value="info" { "info" }
                }
            }
            label { "Rule "
                select #rule {
                    option value="" { "all" }
                    @for (code, n) in by_code {
                        @let name = report.diagnostics.iter().find(|d| d.code == *code).map(|d| d.name).unwrap_or_default();
                        option value=(code) { (code) " " (name) " (" (n) ")" }
                    }
                }
            }
            label { "Sheet "
                select #sheet {
                    option value="" { "all" }
                    @for (key, _) in sheets {
                        option value=(key.id) { (key.label) }
                    }
                }
            }
            label.check { input #fixable type="checkbox"; " fixable only" }
            button #reset type="reset" { "Clear" }
            output #shown { "Showing " span #shown-count { (report.diagnostics.len()) } " of " (report.diagnostics.len()) }
        }
    }
}

/// Values longer than this may wrap; shorter ones stay on one line, as a SKU
/// broken at its hyphens reads as two.
fn is_long(value: &str) -> bool {
    value.chars().nth(28).is_some()
}

/// The value with spaces and invisible characters made visible, the
/// characters the rule points at marked; a very long value cut, with its length.
fn visible_value(value: &str, highlight: &[(usize, usize)]) -> Markup {
    let (runs, cut) = visible_runs(value, highlight);
    html! {
        span.value.long[is_long(value)] {
            @for (marked, run) in &runs {
                @if *marked { mark { (run) } } @else { (run) }
            }
            @if let Some(total) = cut { (cut_note(total)) }
        }
    }
}

fn finding_row(
    order: usize,
    d: &Diagnostic,
    sheet_id: &str,
    sheets: &[(SheetKey, (&str, &str))],
) -> Markup {
    let sheet_label = sheets
        .iter()
        .find(|(k, _)| k.id == sheet_id)
        .map(|(k, _)| k.label.as_str())
        .unwrap_or(d.sheet());
    let sheet_index: usize = sheet_id.trim_start_matches('s').parse().unwrap_or(0);
    let cell_sort = format!("{sheet_index:05}{:08}{:05}", d.row(), d.location.col);
    let summary = rules::catalog()
        .iter()
        .find(|doc| doc.code == d.code)
        .map(|doc| doc.summary.as_str())
        .unwrap_or_default();
    html! {
        tr data-order=(order) data-severity=(d.severity.as_str()) data-code=(d.code) data-sheet=(sheet_id) data-fixable=(if d.is_fixable() { "1" } else { "0" }) {
            td data-sort=(format!("{sheet_index:05}")) title=(format!("{} › {}", d.file(), d.sheet())) { (sheet_label) }
            td.cell data-sort=(cell_sort) { (d.cell()) }
            td.rule title=(summary) { code { (d.code) } br; small { (d.name) } }
            td data-sort=(severity_rank(d.severity)) { span class=(format!("pill {}", d.severity.as_str())) { (d.severity.as_str()) } }
            td.sku { @if let Some(sku) = &d.sku { span.value.long[is_long(sku)] { (visible_cut(sku)) } } }
            td.val { @if !d.value.is_empty() { (visible_value(&d.value, &d.highlight)) } }
            td.message {
                (d.message)
                @if !d.related.is_empty() {
                    br; small { "Also: " (d.related.iter().map(|r| r.cell()).collect::<Vec<_>>().join(", ")) }
                }
            }
            td.fix {
                @if let Some(fix) = &d.fix {
                    @let kind = match fix.applicability {
                        Applicability::Safe => "safe",
                        Applicability::Unsafe => "unsafe",
                        Applicability::Blocked => "blocked",
                    };
                    span class=(format!("pill {kind}")) title=(match fix.applicability {
                        Applicability::Safe => "applied by skulint fix",
                        Applicability::Unsafe => "applied by skulint fix --unsafe-fixes",
                        Applicability::Blocked => "not applied: it would create a duplicate SKU",
                    }) { (kind) }
                    br;
                    span.value.old.long[is_long(&d.value)] { (visible_cut(&d.value)) }
                    br;
                    "→ " span.value.new.long[is_long(&fix.replacement)] { (visible_cut(&fix.replacement)) }
                    @if let Some(note) = &fix.note { br; small { (note) } }
                }
            }
        }
    }
}

/// What each rule that found something means, from the rule catalog.
fn rule_docs(by_code: &BTreeMap<&'static str, usize>) -> Markup {
    html! {
        section.rules {
            h2 { "What the rules mean" }
            @for doc in rules::catalog().iter().filter(|doc| by_code.contains_key(doc.code.as_str())) {
                details {
                    summary { code { (doc.code) } " " (doc.name) " — " (doc.summary) }
                    p { (doc.why) }
                    p { strong { "Fix: " } (doc.fix_note) }
                }
            }
        }
    }
}
