//! `skulint rules`: the rule catalog, with the custom rules of `skulint.toml`,
//! as a table or JSON.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use super::ExitStatus;
use crate::cli::{RulesArgs, RulesFormat};
use crate::diagnostic::Severity;
use crate::engine::load_config;
use crate::rules::{self, FixKind, Scope};

/// One line of the listing (also the JSON object).
#[derive(Serialize)]
struct Entry<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    fix: FixKind,
    scope: Scope,
    summary: String,
}

pub fn list_rules(args: &RulesArgs) -> Result<ExitStatus> {
    let config = load_config(args.config.as_deref())?.unwrap_or_default();
    let built_in = rules::catalog().iter().map(|d| Entry {
        code: &d.code,
        name: &d.name,
        severity: d.severity,
        fix: d.fix,
        scope: d.scope,
        summary: d.summary.clone(),
    });
    let custom = config.custom_rules.iter().map(|r| Entry {
        code: r.code,
        name: r.name,
        severity: r.severity,
        fix: FixKind::None,
        scope: Scope::Cell,
        summary: format!("{} (custom rule: {})", r.message, r.describe()),
    });
    let entries: Vec<Entry> = built_in.chain(custom).collect();
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.output_format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &entries)?;
            writeln!(out)?;
        }
        RulesFormat::Text => {
            writeln!(
                out,
                "{:<7} {:<24} {:<8} {:<7} summary",
                "code", "name", "severity", "fix"
            )?;
            for e in &entries {
                let fix = match e.fix {
                    FixKind::None => "-",
                    kind => kind.as_str(),
                };
                writeln!(
                    out,
                    "{:<7} {:<24} {:<8} {:<7} {}",
                    e.code,
                    e.name,
                    e.severity.as_str(),
                    fix,
                    e.summary
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}
