//! Every fixture in `fixtures/planted.toml` is checked through the binary: every
//! planted fault is reported at its exact cell with its code, nothing else is
//! reported (clean cells stay clean), and the layout and channel are detected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use serde::Deserialize;

#[derive(Deserialize)]
struct Planted {
    file: Vec<PlantedFile>,
}

#[derive(Deserialize)]
struct PlantedFile {
    path: String,
    channel: String,
    sheet: Vec<PlantedSheet>,
}

#[derive(Deserialize)]
struct PlantedSheet {
    name: String,
    header_row: u64,
    first_data_row: u64,
    data_rows: u64,
    findings: Vec<String>,
}

fn check_json(path: &Path) -> serde_json::Value {
    let output = Command::cargo_bin("skulint")
        .unwrap()
        .arg("check")
        .arg(path)
        .args(["--output-format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_planted_fault_is_found_at_its_cell_and_nothing_else() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let planted: Planted =
        toml::from_str(&std::fs::read_to_string(fixtures.join("planted.toml")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for file in &planted.file {
        let report = check_json(&fixtures.join(&file.path));
        let reported = &report["files"][0];
        if reported["channel"] != file.channel.as_str() {
            failures.push(format!(
                "{}: channel {} (expected {})",
                file.path, reported["channel"], file.channel
            ));
        }
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for d in report["diagnostics"].as_array().unwrap() {
            found
                .entry(d["sheet"].as_str().unwrap().to_string())
                .or_default()
                .insert(format!(
                    "{} {}",
                    d["cell"].as_str().unwrap(),
                    d["code"].as_str().unwrap()
                ));
        }
        for sheet in &file.sheet {
            let layout = reported["sheets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == sheet.name.as_str());
            let Some(layout) = layout else {
                failures.push(format!("{} / {}: sheet not linted", file.path, sheet.name));
                continue;
            };
            if layout["header_row"] != sheet.header_row || layout["data_rows"] != sheet.data_rows {
                failures.push(format!(
                    "{} / {}: header row {} with {} data rows (expected {} with {})",
                    file.path,
                    sheet.name,
                    layout["header_row"],
                    layout["data_rows"],
                    sheet.header_row,
                    sheet.data_rows
                ));
            }
            let expected: BTreeSet<String> = sheet.findings.iter().cloned().collect();
            let actual = found.remove(&sheet.name).unwrap_or_default();
            for missing in expected.difference(&actual) {
                failures.push(format!("{} / {}: missed {missing}", file.path, sheet.name));
            }
            for extra in actual.difference(&expected) {
                failures.push(format!(
                    "{} / {}: unexpected {extra}",
                    file.path, sheet.name
                ));
            }
            let before_data = report["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    // A note about a whole column (SKU010's numbers with nothing
                    // lost) is an info at the column's header cell.
                    let column_note =
                        d["severity"] == "info" && d["row"].as_u64() == Some(sheet.header_row);
                    d["sheet"] == sheet.name.as_str()
                        && d["row"].as_u64().unwrap() < sheet.first_data_row
                        && !column_note
                });
            for d in before_data {
                failures.push(format!(
                    "{} / {}: finding {} in the header rows",
                    file.path, sheet.name, d["cell"]
                ));
            }
        }
        for (sheet, extra) in found {
            failures.push(format!(
                "{}: findings on sheet {sheet}, which has no planted faults: {extra:?}",
                file.path
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
