//! `skulint explain QUERY`: a rule's documentation for people, or the sync-error
//! causes and rules tied to an error code or message text.

use std::collections::BTreeSet;
use std::io::{self, Write};

use anyhow::Result;

use super::ExitStatus;
use crate::cli::ExplainArgs;
use crate::config::Config;
use crate::diagnose;
use crate::engine::load_config;
use crate::rules::{self, CustomRule, ExampleSheet, FixKind, RuleDoc};
use crate::text::visible;

/// What a query names.
enum Topic<'c> {
    Rule(&'static RuleDoc),
    Custom(&'c CustomRule),
}

impl<'c> Topic<'c> {
    fn find(query: &str, config: &'c Config) -> Option<Topic<'c>> {
        let wanted = query.trim();
        if let Some(doc) = rules::find_doc(wanted) {
            return Some(Topic::Rule(doc));
        }
        config
            .custom_rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name.eq_ignore_ascii_case(wanted))
            .map(Topic::Custom)
    }
}

pub fn explain(args: &ExplainArgs) -> Result<ExitStatus> {
    let config = load_config(args.config.as_deref())?.unwrap_or_default();
    let query = args.query.join(" ");
    let mut out = io::BufWriter::new(io::stdout().lock());
    match Topic::find(&query, &config) {
        Some(Topic::Rule(doc)) => write_rule(&mut out, doc)?,
        Some(Topic::Custom(rule)) => write_custom(&mut out, rule, &config)?,
        // Not a rule: an error code or words of a sync-error message (`explain E501`).
        None => match explain_causes(&query) {
            Some(text) => out.write_all(text.as_bytes())?,
            None => return Err(unknown(&query, &config)),
        },
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}

fn write_rule(out: &mut dyn Write, doc: &RuleDoc) -> io::Result<()> {
    writeln!(out, "{} {}", doc.code, doc.name)?;
    writeln!(
        out,
        "Severity: {} · Fix: {}",
        doc.severity,
        doc.fix.as_str()
    )?;
    if rules::is_cross_file(&doc.code) {
        writeln!(
            out,
            "Runs with: --inventory FILE (compares the exports with the master stock file)"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", doc.summary)?;
    writeln!(out)?;
    writeln!(out, "Why it breaks sync")?;
    indented(out, &doc.why)?;
    writeln!(out, "  What the seller sees: {}", doc.errors.join(", "))?;
    writeln!(out)?;
    writeln!(out, "Example")?;
    let example = &doc.example;
    if let Some(channel) = &example.channel {
        writeln!(out, "  (a {channel} export)")?;
    }
    if let Some(master) = &example.inventory {
        writeln!(out, "  master inventory (--inventory):")?;
        table(out, master)?;
    }
    if let Some(other) = &example.other {
        writeln!(out, "  another export of the same run:")?;
        table(out, &sheet(&example.columns, other))?;
    }
    writeln!(out, "  before (the rule fires):")?;
    table(out, &sheet(&example.columns, &example.before))?;
    writeln!(out, "  after (clean):")?;
    table(out, &sheet(&example.columns, &example.after))?;
    writeln!(out)?;
    writeln!(out, "Fix")?;
    match doc.fix {
        FixKind::Safe => writeln!(out, "  Safe: `skulint fix` applies it.")?,
        FixKind::Unsafe => writeln!(out, "  Unsafe: `skulint fix --unsafe-fixes` applies it.")?,
        FixKind::None => {}
    }
    indented(out, &doc.fix_note)?;
    writeln!(out)?;
    writeln!(out, "Parameters")?;
    if doc.params.is_empty() {
        writeln!(out, "  None.")?;
    }
    for param in &doc.params {
        writeln!(out, "  {} (default: {})", param.name, param.default)?;
        writeln!(out, "    {}", param.about)?;
        writeln!(
            out,
            "    In skulint.toml: [rules.{}] {} = ...",
            doc.name, param.name
        )?;
    }
    Ok(())
}

fn write_custom(out: &mut dyn Write, rule: &CustomRule, config: &Config) -> io::Result<()> {
    writeln!(
        out,
        "{} {} (custom rule of {})",
        rule.code,
        rule.name,
        config.path.display()
    )?;
    writeln!(out, "Severity: {} · Fix: none", rule.severity)?;
    writeln!(out)?;
    writeln!(out, "{}", rule.message)?;
    writeln!(out)?;
    writeln!(out, "Finds: {}", rule.describe())?;
    Ok(())
}

/// The query is neither a code nor a name: exit 2 with the nearest ones.
fn unknown(query: &str, config: &Config) -> anyhow::Error {
    let rules = rules::catalog()
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .chain(config.custom_rules.iter().map(|r| (r.code, r.name)));
    let wanted = query.trim().to_lowercase();
    let mut scored: Vec<(f64, &str, &str)> = rules
        .map(|(code, name)| {
            let score = strsim::jaro_winkler(&wanted, &code.to_lowercase())
                .max(strsim::jaro_winkler(&wanted, name));
            (score, code, name)
        })
        .filter(|(score, _, _)| *score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let nearest: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, code, name)| format!("{code} ({name})"))
        .collect();
    let hint = if nearest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", nearest.join(", "))
    };
    anyhow::anyhow!(
        "`{}` is not a rule code or name{hint} `skulint rules` lists every rule",
        query.trim()
    )
}

fn sheet(columns: &[String], rows: &[Vec<String>]) -> ExampleSheet {
    ExampleSheet {
        columns: columns.to_vec(),
        rows: rows.to_vec(),
    }
}

fn indented(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.trim().lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// A small table, the cells (not the headers) with spaces and invisible characters made visible.
fn table(out: &mut dyn Write, sheet: &ExampleSheet) -> io::Result<()> {
    let shown = |cell: &String| {
        if cell.is_empty() {
            "(empty)".to_string()
        } else {
            visible(cell)
        }
    };
    let rows: Vec<Vec<String>> = std::iter::once(sheet.columns.clone())
        .chain(sheet.rows.iter().map(|r| r.iter().map(shown).collect()))
        .collect();
    let widths: Vec<usize> = (0..sheet.columns.len())
        .map(|col| {
            rows.iter()
                .filter_map(|r| r.get(col))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "    | {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Every sync-error cause and rule tied to an error code, a rule code or name,
/// or a piece of message text, as text for `skulint explain`; `None` when
/// nothing is.
fn explain_causes(query: &str) -> Option<String> {
    let query = query.trim();
    if query.is_empty() {
        return None;
    }
    let word = diagnose::whole_word(query)?;
    let rule_named = |code: &str| {
        rules::catalog().iter().any(|d| {
            d.code == code
                && (d.code.eq_ignore_ascii_case(query) || d.name.eq_ignore_ascii_case(query))
        })
    };
    let causes = diagnose::causes_for(query, rule_named);
    let tied: BTreeSet<&str> = causes
        .iter()
        .flat_map(|c| c.related_rules.iter().map(String::as_str))
        .collect();
    let named_rule = rules::catalog().iter().any(|d| rule_named(&d.code));
    let docs: Vec<&RuleDoc> = rules::catalog()
        .iter()
        .filter(|d| {
            if named_rule {
                return rule_named(&d.code);
            }
            tied.contains(d.code.as_str()) || [&d.summary, &d.why].iter().any(|t| word.is_match(t))
        })
        .collect();
    // Rules alone (a word found in a rule's text) are not an answer: `explain`
    // then suggests the nearest rule codes and names instead.
    if causes.is_empty() && !named_rule {
        return None;
    }
    let mut out = String::new();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if !causes.is_empty() {
        out.push_str(&format!(
            "{query:?} is tied to {}:\n",
            plural(causes.len(), "sync-error cause")
        ));
        for cause in &causes {
            out.push_str(&format!("\n  {} — {}\n", cause.id, cause.title));
            out.push_str(&format!(
                "    {}; {}\n",
                if cause.retryable {
                    "retryable"
                } else {
                    "not retryable"
                },
                cause.action
            ));
            if !cause.related_rules.is_empty() {
                out.push_str(&format!("    rules: {}\n", cause.related_rules.join(", ")));
            }
        }
    }
    if !docs.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("Rules that find it in an export before an update fails:\n");
        let width = docs.iter().map(|d| d.name.len()).max().unwrap_or(0);
        for doc in &docs {
            out.push_str(&format!(
                "  {}  {:<width$}  {}\n",
                doc.code, doc.name, doc.summary
            ));
        }
    }
    out.push_str(
        "\n`skulint diagnose \"MESSAGE\" --sku SKU` explains one message with the steps to take.\n",
    );
    Some(out)
}
