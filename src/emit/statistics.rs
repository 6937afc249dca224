//! `--statistics`: how many findings each rule made, instead of the findings
//! (ruff style: `count  code  [*]  name`, `[*]` when `skulint fix` fixes them).

use std::io::{self, Write};

use serde::Serialize;

use super::{Emitter, Report};
use crate::rules;

/// The findings of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statistic {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
    /// Whether `skulint fix` fixes some of them.
    pub fixable: bool,
}

/// Counts by rule, most frequent first, then by code.
pub fn statistics(report: &Report) -> Vec<Statistic> {
    let mut stats: Vec<Statistic> = report
        .by_code()
        .into_iter()
        .map(|(code, count)| Statistic {
            code,
            name: report
                .diagnostics
                .iter()
                .find(|d| d.code == code)
                .map(|d| d.name)
                .unwrap_or_else(|| rules::doc(code).name.as_str()),
            count,
            fixable: report
                .diagnostics
                .iter()
                .any(|d| d.code == code && d.is_fixable()),
        })
        .collect();
    stats.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    stats
}

pub enum StatisticsEmitter {
    /// Aligned columns for people.
    Table,
    /// A JSON array of `{code, name, count, fixable}`.
    Json,
    /// One `{code, name, count, fixable}` object per line.
    Jsonl,
}

impl Emitter for StatisticsEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let stats = statistics(report);
        match self {
            StatisticsEmitter::Table => {
                let count_width = stats
                    .iter()
                    .map(|s| s.count.to_string().len())
                    .max()
                    .unwrap_or(1);
                let code_width = stats.iter().map(|s| s.code.len()).max().unwrap_or(0);
                for s in &stats {
                    writeln!(
                        out,
                        "{:>count_width$}  {:<code_width$}  {}  {}",
                        s.count,
                        s.code,
                        if s.fixable { "[*]" } else { "   " },
                        s.name
                    )?;
                }
                Ok(())
            }
            StatisticsEmitter::Json => {
                serde_json::to_writer_pretty(&mut *out, &stats)?;
                writeln!(out)
            }
            StatisticsEmitter::Jsonl => {
                for s in &stats {
                    serde_json::to_writer(&mut *out, s)?;
                    writeln!(out)?;
                }
                Ok(())
            }
        }
    }
}
