//! SARIF 2.1.0 for code scanning (GitHub) and other SARIF viewers.
//!
//! One run; the driver's rules come from the rule catalog. A spreadsheet has no
//! text lines, so each location says where the finding is in two ways: the
//! region's `startLine` is the row number (what line-based viewers can show) and
//! its message, like the logical location, names the sheet and cell (`Sheet1!F12`).
//! The test suite validates this output against the official 2.1.0 schema.

use std::collections::BTreeMap;
use std::io::{self, Write};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use super::{Emitter, Report, cell_reference};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::rules::{self, FixKind};
use crate::text::visible;

pub struct SarifEmitter;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// One invocation, carrying the files that could not be read.
    invocations: [Invocation; 1],
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

/// A file that could not be read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    locations: [NotificationLocation; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: NotificationPhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationPhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<RuleDescriptor>,
}

#[derive(Serialize, Clone)]
struct Text {
    text: String,
}

impl Text {
    fn new(text: impl Into<String>) -> Self {
        Text { text: text.into() }
    }
}

#[derive(Serialize)]
struct MarkdownText {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: MarkdownText,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    fix: FixKind,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct Artifact {
    location: ArtifactLocation,
}

#[derive(Serialize, Clone)]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    logical_locations: [LogicalLocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text>,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: [ArtifactChange; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: [Replacement; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
struct ResultProperties {
    sheet: String,
    cell: String,
    header: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sku: Option<String>,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<Applicability>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Characters a URI reference keeps as they are: unreserved ones and the path separator.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A file path as a URI reference: relative paths stay relative (code scanning
/// resolves them against the repository root), absolute ones become `file:` URIs.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let encoded = utf8_percent_encode(&path, URI_PATH).to_string();
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else if path.as_bytes().get(1) == Some(&b':') {
        // A Windows drive path (`C:/exports/a.xlsx`): the drive letter's colon stays.
        format!("file:///{}:{}", &path[..1], &encoded[4..])
    } else {
        encoded
    }
}

fn rule_descriptor(doc: &rules::RuleDoc) -> RuleDescriptor {
    let fix = match doc.fix {
        FixKind::Safe => "Safe fix, applied by `skulint fix`",
        FixKind::Unsafe => "Unsafe fix, applied by `skulint fix --unsafe-fixes`",
        FixKind::None => "No automatic fix",
    };
    let example = |rows: &[Vec<String>]| {
        rows.iter()
            .map(|row| {
                row.iter()
                    .map(|v| visible(v))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let before = example(&doc.example.before);
    let after = example(&doc.example.after);
    // A note that already says what the fix is ("No automatic fix: …") is not
    // said twice.
    let note = doc
        .fix_note
        .strip_prefix(fix)
        .map_or(doc.fix_note.as_str(), |rest| {
            rest.trim_start_matches([':', '.']).trim_start()
        });
    let text = format!(
        "{}\n\n{}\n\n{fix}: {note}\n\nExample: {before} → {after}",
        doc.summary, doc.why
    );
    let markdown = format!(
        "{}\n\n{}\n\n**{fix}.** {note}\n\nExample: `{before}` → `{after}`",
        doc.summary, doc.why
    );
    RuleDescriptor {
        id: doc.code.clone(),
        name: doc.name.clone(),
        short_description: Text::new(doc.summary.clone()),
        full_description: Text::new(doc.why.clone()),
        help: MarkdownText { text, markdown },
        default_configuration: Configuration {
            level: level(doc.severity),
        },
        properties: RuleProperties {
            fix: doc.fix,
            tags: vec!["sku", "stock-sync"],
        },
    }
}

fn region(row: u32, sheet: &str, cell: &str, snippet: &str) -> Region {
    Region {
        start_line: row,
        snippet: (!snippet.is_empty()).then(|| Text::new(snippet)),
        message: Text::new(cell_reference(sheet, cell)),
    }
}

fn location(
    artifact: &ArtifactLocation,
    region: Region,
    cell: &str,
    id: Option<usize>,
) -> Location {
    let name = cell.to_string();
    let reference = region.message.text.clone();
    Location {
        id,
        message: id.map(|_| Text::new(reference.clone())),
        logical_locations: [LogicalLocation {
            name,
            fully_qualified_name: reference,
            kind: "element",
        }],
        physical_location: PhysicalLocation {
            artifact_location: artifact.clone(),
            region,
        },
    }
}

fn result(
    d: &Diagnostic,
    artifact: &ArtifactLocation,
    artifact_of: &dyn Fn(&str) -> ArtifactLocation,
    rule_index: &BTreeMap<&str, usize>,
) -> SarifResult {
    let reference = cell_reference(d.sheet(), &d.cell());
    let cell_region = region(d.row(), d.sheet(), &d.cell(), &d.value);
    let mut message = format!("{reference}: {}", d.message);
    if !d.value.is_empty() {
        message.push_str(&format!(" (value: {})", visible(&d.value)));
    }
    let fixes = d
        .fix
        .iter()
        .filter(|f| f.applicability != Applicability::Blocked)
        .map(|f| {
            let how = match f.applicability {
                Applicability::Safe => "`skulint fix`",
                _ => "`skulint fix --unsafe-fixes`",
            };
            SarifFix {
                description: Text::new(format!(
                    "Replace {reference} with {} ({how})",
                    visible(&f.replacement)
                )),
                artifact_changes: [ArtifactChange {
                    artifact_location: artifact.clone(),
                    replacements: [Replacement {
                        deleted_region: region(d.row(), d.sheet(), &d.cell(), ""),
                        inserted_content: Text::new(f.replacement.clone()),
                    }],
                }],
            }
        })
        .collect();
    let related_locations = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // A related cell may be in another file (the master inventory)
            // and another sheet: it is located there, not in the finding's.
            let related = region(r.row_number(), &r.sheet, &r.cell(), "");
            let file = if &*r.file == d.file() {
                artifact.clone()
            } else {
                artifact_of(&r.file)
            };
            location(&file, related, &r.cell(), Some(i + 1))
        })
        .collect();
    SarifResult {
        rule_id: d.code,
        rule_index: rule_index.get(d.code).copied(),
        level: level(d.severity),
        message: Text::new(message),
        locations: [location(artifact, cell_region, &d.cell(), None)],
        related_locations,
        // Stable across runs while the finding stays at its cell, so code scanning
        // tracks an alert instead of opening a new one on every upload.
        partial_fingerprints: BTreeMap::from([(
            "skulintCell/v1",
            format!("{}:{}:{reference}", d.code, d.file()),
        )]),
        fixes,
        properties: ResultProperties {
            sheet: d.sheet().to_string(),
            cell: d.cell().clone(),
            header: d.header.clone(),
            sku: d.sku.clone(),
            value: d.value.clone(),
            fix: d.fix.as_ref().map(|f| f.applicability),
        },
    }
}

impl Emitter for SarifEmitter {
    fn emit(&self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        let catalog = rules::catalog();
        let rule_index: BTreeMap<&str, usize> = catalog
            .iter()
            .enumerate()
            .map(|(i, doc)| (doc.code.as_str(), i))
            .collect();
        let mut paths: Vec<&str> = report.files.iter().map(|f| &*f.path).collect();
        for d in &report.diagnostics {
            let related = d.related.iter().map(|r| &*r.file);
            for path in std::iter::once(d.file()).chain(related) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        let artifacts: Vec<ArtifactLocation> = paths
            .iter()
            .enumerate()
            .map(|(index, path)| ArtifactLocation {
                uri: uri(path),
                index: Some(index),
            })
            .collect();
        let results = report
            .diagnostics
            .iter()
            .map(|d| {
                let index = paths.iter().position(|p| *p == d.file()).unwrap_or(0);
                let artifact_of = |path: &str| {
                    let index = paths.iter().position(|p| *p == path).unwrap_or(0);
                    artifacts[index].clone()
                };
                result(d, &artifacts[index], &artifact_of, &rule_index)
            })
            .collect();
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "skulint",
                        version: env!("CARGO_PKG_VERSION"),
                        semantic_version: env!("CARGO_PKG_VERSION"),
                        rules: catalog.iter().map(rule_descriptor).collect(),
                    },
                },
                invocations: [Invocation {
                    execution_successful: report.errors.is_empty(),
                    tool_execution_notifications: report
                        .errors
                        .iter()
                        .map(|error| Notification {
                            level: "error",
                            message: Text::new(error.one_line()),
                            locations: [NotificationLocation {
                                physical_location: NotificationPhysicalLocation {
                                    artifact_location: ArtifactLocation {
                                        uri: uri(&error.path),
                                        index: None,
                                    },
                                },
                            }],
                        })
                        .collect(),
                }],
                artifacts: artifacts
                    .into_iter()
                    .map(|location| Artifact {
                        location: ArtifactLocation {
                            index: None,
                            ..location
                        },
                    })
                    .collect(),
                results,
            }],
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri("fixtures/demo-shopee-sales-info.xlsx"),
            "fixtures/demo-shopee-sales-info.xlsx"
        );
        assert_eq!(
            uri("exports/Stok Gudang#1.xlsx"),
            "exports/Stok%20Gudang%231.xlsx"
        );
        assert_eq!(uri("/srv/exports/a.csv"), "file:///srv/exports/a.csv");
        assert_eq!(uri("C:\\exports\\a.xlsx"), "file:///C:/exports/a.xlsx");
        assert_eq!(uri("ảnh/sku.csv"), "%E1%BA%A3nh/sku.csv");
    }
}
