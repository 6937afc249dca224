//! `skulint rules`: the rule catalog as a table or JSON.

use std::io::{self, Write};

use anyhow::Result;

use super::ExitStatus;
use crate::cli::{RulesArgs, RulesFormat};
use crate::rules;

pub fn list_rules(args: &RulesArgs) -> Result<ExitStatus> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.output_format {
        RulesFormat::Json => {
            let rules: Vec<serde_json::Value> = rules::catalog()
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "code": d.code, "name": d.name, "severity": d.severity,
                        "fix": d.fix, "summary": d.summary,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rules)?;
            writeln!(out)?;
        }
        RulesFormat::Text => {
            writeln!(
                out,
                "{:<7} {:<24} {:<8} {:<7} summary",
                "code", "name", "severity", "fix"
            )?;
            for d in rules::catalog() {
                let fix = match d.fix {
                    rules::FixKind::Safe => "safe",
                    rules::FixKind::Unsafe => "unsafe",
                    rules::FixKind::None => "-",
                };
                writeln!(
                    out,
                    "{:<7} {:<24} {:<8} {:<7} {}",
                    d.code,
                    d.name,
                    d.severity.as_str(),
                    fix,
                    d.summary
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}
