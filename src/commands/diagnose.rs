//! `skulint diagnose`: classify sync-error messages, or every failure reason of
//! an export, and say what to do.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Value as Json, json};

use super::ExitStatus;
use crate::cli::{DiagnoseArgs, DiagnoseFormat};
use crate::diagnose::{self, Diagnosis};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::rules::settings::Settings;
use crate::table::columns::Channel;
use crate::table::{Role, TableSpec, layout, read};
use crate::text::{printable, visible, visible_with_carets};

/// A diagnosed message, and the cell it came from when it came from an export.
struct Entry {
    diagnosis: Diagnosis,
    place: Option<Place>,
}

struct Place {
    file: String,
    sheet: String,
    /// 1-based.
    row: u32,
    cell: String,
}

pub fn diagnose(args: &DiagnoseArgs) -> Result<ExitStatus> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let status = diagnose_into(args, &mut out)?;
    out.flush()?;
    Ok(status)
}

/// [`diagnose`], writing the report to `out` instead of standard output.
pub fn diagnose_into(args: &DiagnoseArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let (entries, file) = match &args.file {
        Some(path) => (diagnose_file(args, path)?, Some(path.display().to_string())),
        None => (diagnose_messages(args)?, None),
    };
    match args.output_format {
        DiagnoseFormat::Json => write_json(out, &entries)?,
        DiagnoseFormat::Text => match file {
            Some(file) => write_file_report(out, &file, &entries)?,
            None => write_messages(out, &entries)?,
        },
    }
    out.flush()?;
    Ok(if entries.iter().all(|e| e.diagnosis.recognized) {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn diagnose_messages(args: &DiagnoseArgs) -> Result<Vec<Entry>> {
    if args.messages.iter().any(|m| m.trim().is_empty()) {
        bail!("a MESSAGE is empty; give the error text as the tool or the API showed it");
    }
    let channel = args.channel.channel();
    Ok(args
        .messages
        .iter()
        .map(|message| Entry {
            diagnosis: crate::engine::diagnose(message, channel, args.sku.as_deref()),
            place: None,
        })
        .collect())
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn diagnose_file(args: &DiagnoseArgs, path: &Path) -> Result<Vec<Entry>> {
    let display = path.display().to_string();
    if !path.is_file() {
        bail!("{display}: no such file");
    }
    let workbook = read::read_workbook(path, &display, read::Depth::Values)
        .map_err(|e| anyhow::anyhow!("{display}: {}", one_line(&e.to_string())))?;
    let columns = [
        (Role::Sku, &args.sku_column),
        (Role::SyncStatus, &args.sync_status_column),
    ]
    .into_iter()
    .filter_map(|(role, given)| given.clone().map(|g| (role, g)))
    .collect();
    let spec = TableSpec {
        channel: args.channel.channel(),
        header_row: args.header_row.map(|n| n as usize),
        columns,
        sheets: args.sheet.clone(),
        inventory: false,
    };
    let tables = layout::tables(&workbook, &spec)
        .map_err(|e| anyhow::anyhow!("{display}: {}", one_line(&e.to_string())))?;
    let with_reasons: Vec<_> = tables
        .iter()
        .filter(|t| t.column(Role::SyncStatus).is_some())
        .collect();
    if with_reasons.is_empty() {
        let seen = tables
            .iter()
            .flat_map(|t| t.roles().map(move |(_, col)| t.header(col)))
            .filter(|h| !h.trim().is_empty())
            .map(|h| one_line(&h))
            .collect::<Vec<_>>()
            .join(", ");
        bail!(
            "{display}: no failure-reason column found (columns recognised: {seen}); name it with --sync-status-column \"HEADER\" or a column letter"
        );
    }
    // The SKU rules run on the whole sheet, as `check` runs them.
    let settings = Settings {
        select: vec!["SKU".into()],
        ..Settings::default()
    };
    let mut entries = Vec::new();
    for table in with_reasons {
        let sku_col = table.column(Role::Sku).map(|c| c as u32);
        let mut findings: BTreeMap<u32, Vec<Diagnostic>> = BTreeMap::new();
        for finding in rules::run(std::slice::from_ref(table), &settings) {
            if Some(finding.location.col) == sku_col {
                findings.entry(finding.row()).or_default().push(finding);
            }
        }
        let channel = args
            .channel
            .channel()
            .or((table.channel != Channel::Generic).then_some(table.channel));
        let reason_col = table.column(Role::SyncStatus).expect("filtered above");
        let failures = rules::sync_error::failures(table, channel, |row, _| {
            Some(findings.remove(&(row as u32 + 1)).unwrap_or_default())
        });
        for (row, diagnosis) in failures {
            let at = table.location(row, reason_col);
            entries.push(Entry {
                diagnosis,
                place: Some(Place {
                    file: display.clone(),
                    sheet: table.sheet.name.to_string(),
                    row: at.row_number(),
                    cell: at.cell(),
                }),
            });
        }
    }
    Ok(entries)
}

// ---------------------------------------------------------------------------
// JSON

fn finding_json(finding: &Diagnostic) -> Json {
    let (shown, carets) = visible_with_carets(&finding.value, &finding.highlight);
    json!({
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "value": finding.value,
        "visible": shown,
        "carets": carets,
        "positions": finding.highlight.iter()
            .map(|&(start, end)| json!({"start": start + 1, "end": end}))
            .collect::<Vec<_>>(),
        "fix": finding.fix.as_ref().map(|f| &f.replacement),
    })
}

fn entry_json(entry: &Entry) -> Json {
    let d = &entry.diagnosis;
    let mut object = json!({
        "input": d.message,
        "cause": d.cause.id,
        "title": d.cause.title,
        "recognized": d.recognized,
        "retryable": d.cause.retryable,
        "stops_run": d.cause.stops_run,
        "severity": d.cause.severity,
        "action": d.cause.action,
        "explanation": d.cause.explanation,
        "numbers": d.numbers,
        "steps": d.steps(),
        "related_rules": d.cause.related_rules,
        "channel": d.channel.map(Channel::key),
        "sku": d.sku,
        "sku_findings": d.sku_findings.iter().map(finding_json).collect::<Vec<_>>(),
        "note": d.note,
    });
    if let (Some(place), Json::Object(map)) = (&entry.place, &mut object) {
        map.insert("file".into(), json!(place.file));
        map.insert("sheet".into(), json!(place.sheet));
        map.insert("row".into(), json!(place.row));
        map.insert("cell".into(), json!(place.cell));
    }
    object
}

/// `{"diagnoses": [...], "summary": {...}}`, one diagnosis at a time: an export
/// can have a hundred thousand failed rows.
fn write_json(out: &mut dyn Write, entries: &[Entry]) -> Result<()> {
    let mut summary: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in entries {
        *summary
            .entry(entry.diagnosis.cause.id.as_str())
            .or_default() += 1;
    }
    write!(out, "{{\n  \"diagnoses\": [")?;
    for (i, entry) in entries.iter().enumerate() {
        let text = serde_json::to_string_pretty(&entry_json(entry))?;
        let indented = text.replace('\n', "\n    ");
        write!(out, "{}\n    {indented}", if i == 0 { "" } else { "," })?;
    }
    let summary = serde_json::to_string_pretty(&summary)?.replace('\n', "\n  ");
    let close = if entries.is_empty() { "]" } else { "\n  ]" };
    writeln!(out, "{close},\n  \"summary\": {summary}\n}}")?;
    Ok(())
}

// ---------------------------------------------------------------------------
// text

const WIDTH: usize = 100;

/// Greedy word wrap; every line after the first is indented by `indent` spaces.
pub(super) fn wrap(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    // Reasons come from servers and files: shown, never run by the terminal.
    for word in text.split_whitespace().map(printable) {
        let length = word.chars().count();
        if line > 0 && indent + line + 1 + length > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(&word);
        line += length;
    }
    out
}

/// A long message cut to one line of reasonable length.
fn shorten(text: &str, max: usize) -> String {
    let line = printable(&one_line(text));
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// `character 5` or `characters 5–6, 9` (1-based) for the highlighted ranges.
fn positions(ranges: &[(usize, usize)]) -> String {
    let parts: Vec<String> = ranges
        .iter()
        .map(|&(start, end)| {
            if end - start == 1 {
                format!("{}", start + 1)
            } else {
                format!("{}–{}", start + 1, end)
            }
        })
        .collect();
    let single = ranges.len() == 1 && ranges[0].1 - ranges[0].0 == 1;
    format!(
        "{} {}",
        if single { "character" } else { "characters" },
        parts.join(", ")
    )
}

fn write_findings(out: &mut dyn Write, d: &Diagnosis, indent: usize) -> io::Result<()> {
    let pad = " ".repeat(indent);
    for finding in &d.sku_findings {
        writeln!(
            out,
            "{pad}{} {} {}",
            finding.code,
            finding.severity,
            wrap(&finding.message, indent + 7)
        )?;
        let (shown, carets) = visible_with_carets(&finding.value, &finding.highlight);
        writeln!(out, "{pad}  │ {shown}")?;
        if !carets.is_empty() {
            writeln!(out, "{pad}  │ {carets}  {}", positions(&finding.highlight))?;
        }
    }
    Ok(())
}

fn write_messages(out: &mut dyn Write, entries: &[Entry]) -> io::Result<()> {
    const LABEL: usize = 11;
    let label = |name: &str| format!("  {name:<8} ");
    for (i, entry) in entries.iter().enumerate() {
        let d = &entry.diagnosis;
        let cause = d.cause;
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", shorten(&d.message, 200))?;
        writeln!(out, "{}{} — {}", label("cause"), cause.id, cause.title)?;
        let mut facts = vec![
            cause.severity.to_string(),
            if cause.retryable {
                "retryable"
            } else {
                "not retryable"
            }
            .to_string(),
        ];
        if !d.recognized {
            facts.push("message not recognised".into());
        }
        if let Some(channel) = d.channel {
            facts.push(channel.profile().title.clone());
        }
        writeln!(out, "{}{}", " ".repeat(LABEL), facts.join(", "))?;
        if let Some(sku) = &d.sku {
            writeln!(out, "{}{}", label("SKU"), visible(sku))?;
            if d.sku_findings.is_empty() {
                writeln!(
                    out,
                    "{}no SKU rule finds a problem in it",
                    " ".repeat(LABEL)
                )?;
            }
            write_findings(out, d, LABEL)?;
        }
        if !d.numbers.is_empty() {
            writeln!(out, "{}{}", label("numbers"), d.numbers_text())?;
        }
        if let Some(note) = &d.note {
            writeln!(out, "{}{}", label("note"), wrap(note, LABEL))?;
        }
        writeln!(out, "{}{}", label("why"), wrap(&cause.explanation, LABEL))?;
        for (n, step) in d.steps().iter().enumerate() {
            let name = if n == 0 { "do" } else { "" };
            writeln!(out, "{}{}. {}", label(name), n + 1, wrap(step, LABEL + 3))?;
        }
        if !cause.related_rules.is_empty() {
            writeln!(
                out,
                "{}{}",
                label("rules"),
                rule_names(&cause.related_rules, LABEL)
            )?;
        }
    }
    Ok(())
}

fn rule_names(codes: &[String], indent: usize) -> String {
    let names: Vec<String> = codes
        .iter()
        .map(
            |code| match rules::catalog().iter().find(|d| &d.code == code) {
                Some(doc) => format!("{code} {}", doc.name),
                None => code.clone(),
            },
        )
        .collect();
    wrap(&names.join(", "), indent)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Row numbers as `8, 9 and 12`, or the first ten and how many more.
fn rows_text(rows: &[u32]) -> String {
    const SHOWN: usize = 10;
    let numbers: Vec<String> = rows.iter().take(SHOWN).map(u32::to_string).collect();
    match rows.len() {
        0 => String::new(),
        1 => numbers[0].clone(),
        n if n <= SHOWN => format!("{} and {}", numbers[..n - 1].join(", "), numbers[n - 1]),
        n => format!("{} and {} more", numbers.join(", "), n - SHOWN),
    }
}

fn write_file_report(out: &mut dyn Write, file: &str, entries: &[Entry]) -> io::Result<()> {
    if entries.is_empty() {
        writeln!(out, "No failure reasons in {}.", printable(file))?;
        return Ok(());
    }
    // Causes with the most rows first; ties in catalog order.
    let catalog = diagnose::catalog();
    let mut groups: Vec<(&diagnose::Cause, Vec<&Entry>)> = catalog
        .causes
        .iter()
        .map(|cause| {
            let rows = entries
                .iter()
                .filter(|e| std::ptr::eq(e.diagnosis.cause, cause))
                .collect::<Vec<_>>();
            (cause, rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    groups.sort_by_key(|(_, rows)| std::cmp::Reverse(rows.len()));
    let sheets: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e.place.as_ref().map(|p| p.sheet.as_str()))
        .collect();
    writeln!(
        out,
        "{}: {} in {}",
        printable(file),
        plural(entries.len(), "failed row"),
        plural(sheets.len(), "sheet")
    )?;
    for (cause, rows) in &groups {
        writeln!(out)?;
        writeln!(out, "{} — {}", cause.id, cause.title)?;
        writeln!(
            out,
            "  {}; {}; {}",
            plural(rows.len(), "row"),
            cause.severity,
            if cause.retryable {
                "retryable"
            } else {
                "not retryable"
            }
        )?;
        for entry in rows {
            let d = &entry.diagnosis;
            let place = entry
                .place
                .as_ref()
                .expect("rows of an export have a place");
            let mut line = format!("  {}!{:<6}", printable(&place.sheet), place.cell);
            if let Some(sku) = &d.sku {
                line.push_str(&format!(" {}", visible(sku)));
            }
            if !d.numbers.is_empty() {
                line.push_str(&format!(" [{}]", d.numbers_text()));
            }
            if !d.recognized {
                line.push_str(" [not recognised]");
            }
            writeln!(out, "{line}")?;
            writeln!(out, "      “{}”", shorten(&d.message, 90))?;
            if let Some(note) = &d.note {
                writeln!(out, "      note: {}", wrap(note, 12))?;
            }
            write_findings(out, d, 6)?;
        }
        writeln!(out, "  why: {}", wrap(&cause.explanation, 7))?;
        // The channel's own steps when every row of the group has the same channel.
        let channels: std::collections::BTreeSet<_> =
            rows.iter().map(|e| e.diagnosis.channel).collect();
        let channel = match channels.len() {
            1 => channels.into_iter().next().flatten(),
            _ => None,
        };
        writeln!(out, "  what to do:")?;
        for (n, step) in cause.steps_for(channel).iter().enumerate() {
            writeln!(out, "    {}. {}", n + 1, wrap(step, 7))?;
        }
        if !cause.related_rules.is_empty() {
            writeln!(out, "  rules: {}", rule_names(&cause.related_rules, 9))?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Summary by cause:")?;
    let width = groups.iter().map(|(c, _)| c.id.len()).max().unwrap_or(0);
    for (cause, rows) in &groups {
        let numbers: Vec<u32> = rows
            .iter()
            .filter_map(|e| e.place.as_ref().map(|p| p.row))
            .collect();
        writeln!(
            out,
            "  {:>5}  {:<width$}  {} {}",
            rows.len(),
            cause.id,
            if numbers.len() == 1 { "row" } else { "rows" },
            rows_text(&numbers)
        )?;
    }
    let unrecognised = entries.iter().filter(|e| !e.diagnosis.recognized).count();
    if unrecognised > 0 {
        writeln!(
            out,
            "{} not recognised (shown as unknown).",
            plural(unrecognised, "reason")
        )?;
    }
    Ok(())
}
