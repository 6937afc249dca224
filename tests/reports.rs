//! Report formats: every format over the demo export (insta snapshots), each
//! checked by an independent parser (the SARIF 2.1.0 schema, an XML parser, a
//! CSV reader, the workflow-command grammar), hostile values, `--report` and
//! `--statistics`.
//!
//! Commands run in the crate root (or a temporary folder) so that paths in the
//! reports are the relative paths given on the command line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use regex::Regex;
use serde_json::Value;

const DEMO: &str = "fixtures/demo-shopee-sales-info.xlsx";

// ---------------------------------------------------------------------------
// helpers

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn skulint_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("skulint").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn run_in<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    skulint_in(dir).args(args).output().unwrap()
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_in(root(), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

/// `check DEMO --output-format FORMAT`: exit 1 (the demo has errors), nothing on stderr.
fn demo(format: &str) -> String {
    let output = run(["check", DEMO, "--output-format", format]);
    assert_eq!(code(&output), 1, "{format}: {}", stderr(&output));
    assert_eq!(stderr(&output), "", "{format}");
    stdout(&output)
}

/// The demo's findings from the JSON report: the reference every format is checked against.
fn demo_diagnostics() -> Vec<Value> {
    let json: Value = serde_json::from_str(&demo("json")).unwrap();
    json["diagnostics"].as_array().unwrap().clone()
}

fn s(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// A CSV export whose SKUs would run as formulas or markup, each with a double space
/// (SKU001) so that every one is reported, one with a line break and one with a tab.
const HOSTILE_SKUS: [&str; 7] = [
    "<script>alert(1)</script>  X",
    "=HYPERLINK(\"http://example.invalid\",\"x\")  Y",
    "+62  812",
    "-ABC  D",
    "@SUM  (A1)",
    "50%  off\r\nnext",
    "T\tA\"B'&C",
];

/// The file name has a comma, `<` and `&`: property escaping and HTML escaping both matter.
const HOSTILE_NAME: &str = "hostile, <b>&.csv";

fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = csv::Writer::from_path(dir.path().join(HOSTILE_NAME)).unwrap();
    writer.write_record(["SKU", "Stock"]).unwrap();
    for (i, sku) in HOSTILE_SKUS.iter().enumerate() {
        writer.write_record([*sku, &i.to_string()]).unwrap();
    }
    writer.flush().unwrap();
    dir
}

fn hostile(dir: &Path, format: &str) -> String {
    let output = run_in(dir, ["check", HOSTILE_NAME, "--output-format", format]);
    assert_eq!(code(&output), 1, "{format}: {}", stderr(&output));
    stdout(&output)
}

// ---------------------------------------------------------------------------
// 1. snapshots: every format over the demo

#[test]
fn snapshots_of_every_format_over_the_demo() {
    for format in [
        "concise", "jsonl", "sarif", "junit", "github", "csv", "html",
    ] {
        insta::assert_snapshot!(format!("demo_{format}"), demo(format));
    }
}

#[test]
fn statistics_snapshots() {
    for format in ["text", "json"] {
        let output = run(["check", DEMO, "--statistics", "--output-format", format]);
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        insta::assert_snapshot!(format!("demo_statistics_{format}"), stdout(&output));
    }
}

// ---------------------------------------------------------------------------
// 2. SARIF

/// The official SARIF 2.1.0 schema (fixtures/sarif-schema-2.1.0.json, as published).
///
/// Its `language` patterns (of `run` and `toolComponent`) have a stray `]` that the OASIS repository later fixed
/// (`^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`); a Rust regex refuses the published one, so the
/// fixed pattern is put in its place. skulint does not write `language`.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("fixtures/sarif-schema-2.1.0.json")).unwrap();
    let published = r#""pattern": "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(published).count(), 2, "the schema changed");
    let text = text.replace(published, r#""pattern": "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    log
}

#[test]
fn the_schema_check_rejects_broken_sarif() {
    // The validator is not a rubber stamp: a result without a message is refused.
    let mut log: Value = serde_json::from_str(&demo("sarif")).unwrap();
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!sarif_validator().is_valid(&log));
    log["version"] = "2.0.0".into();
    assert!(!sarif_validator().is_valid(&log));
    // Formats are checked too: a URI with a space is not a URI.
    let mut log: Value = serde_json::from_str(&demo("sarif")).unwrap();
    assert!(sarif_validator().is_valid(&log));
    log["$schema"] = "not a uri".into();
    assert!(!sarif_validator().is_valid(&log));
}

#[test]
fn sarif_validates_and_points_at_sheet_and_cell() {
    let log = assert_valid_sarif(&demo("sarif"));
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "skulint");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        skulint::rules::catalog().len(),
        "every rule of the catalog"
    );
    for rule in rules {
        for key in ["id", "name"] {
            assert!(!s(&rule[key]).is_empty(), "{rule}");
        }
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(!s(&rule[key]["text"]).is_empty(), "{key}: {rule}");
        }
    }
    let rule_ids: Vec<&str> = rules.iter().map(|r| s(&r["id"])).collect();

    let expected = demo_diagnostics();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    for (result, d) in results.iter().zip(&expected) {
        assert_eq!(result["ruleId"], d["code"]);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rule_ids[index],
            s(&d["code"]),
            "ruleIndex points at the rule"
        );
        let level = match s(&d["severity"]) {
            "info" => "note",
            other => other,
        };
        assert_eq!(result["level"], level);
        assert!(s(&result["message"]["text"]).contains(s(&d["message"])));

        let location = &result["locations"][0];
        let physical = &location["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], DEMO);
        let region = &physical["region"];
        let reference = format!("Sheet1!{}", s(&d["cell"]));
        assert_eq!(region["message"]["text"], reference.as_str());
        assert_eq!(region["startLine"], d["row"]);
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            reference.as_str()
        );

        // A fix wherever there is a replacement to apply; none where it is blocked.
        let applicable = matches!(d["fix"]["applicability"].as_str(), Some("safe" | "unsafe"));
        let fixes = result["fixes"].as_array();
        assert_eq!(fixes.is_some(), applicable, "{result}");
        if let Some(fixes) = fixes {
            let replacement = &fixes[0]["artifactChanges"][0]["replacements"][0];
            assert_eq!(
                replacement["insertedContent"]["text"],
                d["fix"]["replacement"]
            );
            assert_eq!(
                replacement["deletedRegion"]["message"]["text"],
                reference.as_str()
            );
        }
        let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
        assert_eq!(related, d["related"].as_array().unwrap().len());
    }
}

#[test]
fn sarif_of_hostile_values_and_no_findings_is_valid() {
    let dir = hostile_dir();
    let log = assert_valid_sarif(&hostile(dir.path(), "sarif"));
    let uri = s(&log["runs"][0]["artifacts"][0]["location"]["uri"]);
    assert_eq!(uri, "hostile%2C%20%3Cb%3E%26.csv");
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["message"]["text"], "'hostile, <b>&'!A2");

    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("clean.csv"), "SKU,Stock\nA-1,5\n").unwrap();
    let output = run_in(
        clean.path(),
        ["check", "clean.csv", "--output-format", "sarif"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let log = assert_valid_sarif(&stdout(&output));
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
}

// ---------------------------------------------------------------------------
// 3. JUnit

#[test]
fn junit_parses_with_one_suite_per_file_and_the_expected_failures() {
    let text = demo("junit");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let top = doc.root_element();
    assert_eq!(top.tag_name().name(), "testsuites");
    let suites: Vec<_> = top
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0].attribute("name"), Some(DEMO));

    let expected = demo_diagnostics();
    let mut by_code: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in &expected {
        by_code
            .entry(s(&d["code"]))
            .or_default()
            .push(s(&d["cell"]));
    }
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let rule_count = skulint::rules::RULES.len();
    assert_eq!(cases.len(), rule_count, "one test case per sheet and rule");
    assert_eq!(
        suites[0].attribute("tests"),
        Some(rule_count.to_string().as_str())
    );
    assert_eq!(
        suites[0].attribute("failures"),
        Some(by_code.len().to_string().as_str())
    );
    for case in cases {
        let name = case.attribute("name").unwrap();
        let code = name.split(' ').next().unwrap();
        assert_eq!(
            case.attribute("classname"),
            Some(format!("{DEMO}:Sheet1").as_str())
        );
        let failure = case.children().find(|n| n.has_tag_name("failure"));
        match by_code.get(code) {
            None => assert!(failure.is_none(), "{name} passes"),
            Some(cells) => {
                let failure = failure.unwrap_or_else(|| panic!("{name} fails"));
                assert_eq!(failure.attribute("type"), Some(code));
                let body = failure.text().unwrap();
                for cell in cells {
                    assert!(
                        body.contains(&format!("Sheet1!{cell} ")),
                        "{name}: {cell} missing from {body}"
                    );
                    assert!(failure.attribute("message").unwrap().contains(cell));
                }
            }
        }
    }
}

#[test]
fn junit_of_hostile_values_is_well_formed() {
    let dir = hostile_dir();
    let text = hostile(dir.path(), "junit");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some(HOSTILE_NAME));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure") && n.attribute("type") == Some("SKU001"))
        .unwrap();
    assert!(
        failure
            .text()
            .unwrap()
            .contains("<script>alert(1)</script>")
    );
}

// ---------------------------------------------------------------------------
// 4. GitHub workflow commands

/// `::error|warning|notice file=F,line=N,title=T::message`; properties hold no raw
/// `,` `:` CR LF, the message no raw CR LF, and every `%` starts an escape.
fn workflow_command() -> Regex {
    Regex::new(
        r"^::(error|warning|notice) file=([^,:\r\n]+),line=([0-9]+),title=([^,:\r\n]+)::([^\r\n]*)$",
    )
    .unwrap()
}

fn unescape(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_lines_match_the_workflow_command_grammar() {
    let grammar = workflow_command();
    let text = demo("github");
    let expected = demo_diagnostics();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len(), "one line per finding");
    for (line, d) in lines.iter().zip(&expected) {
        let m = grammar
            .captures(line)
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        let command = match s(&d["severity"]) {
            "info" => "notice",
            other => other,
        };
        assert_eq!(&m[1], command);
        assert_eq!(&m[2], DEMO);
        assert_eq!(&m[3], d["row"].to_string());
        assert_eq!(&m[4], s(&d["code"]));
        assert!(
            m[5].starts_with(&format!("Sheet1!{}: ", s(&d["cell"]))),
            "{line}"
        );
        assert!(m[5].contains(s(&d["message"])), "{line}");
    }
}

#[test]
fn github_escapes_percent_line_breaks_and_property_delimiters() {
    let dir = hostile_dir();
    let text = hostile(dir.path(), "github");
    let grammar = workflow_command();
    let escape = Regex::new("%(25|0D|0A|3A|2C)").unwrap();
    let mut files = BTreeSet::new();
    for line in text.lines() {
        let m = grammar
            .captures(line)
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        for part in [&m[2], &m[5]] {
            let without_escapes = escape.replace_all(part, "");
            assert!(!without_escapes.contains('%'), "a raw % in {line}");
        }
        files.insert(unescape(&m[2]));
    }
    assert_eq!(files, BTreeSet::from([HOSTILE_NAME.to_string()]));
    assert!(text.contains("file=hostile%2C <b>&.csv,"), "{text}");
    assert!(text.contains("50%25␣off"), "{text}");
}

// ---------------------------------------------------------------------------
// 5. CSV

#[test]
fn csv_has_one_row_per_finding_with_the_documented_columns() {
    let text = demo("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "file", "sheet", "cell", "row", "code", "name", "severity", "sku", "message", "fix"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected = demo_diagnostics();
    assert_eq!(rows.len(), expected.len());
    for (row, d) in rows.iter().zip(&expected) {
        assert_eq!(&row[0], DEMO);
        assert_eq!(&row[1], "Sheet1");
        assert_eq!(&row[2], s(&d["cell"]));
        assert_eq!(&row[3], d["row"].to_string());
        assert_eq!(&row[4], s(&d["code"]));
        assert_eq!(&row[6], s(&d["severity"]));
        assert_eq!(&row[8], s(&d["message"]));
        let fix = match d["fix"]["applicability"].as_str() {
            Some("safe" | "unsafe") => s(&d["fix"]["replacement"]),
            _ => "",
        };
        assert_eq!(&row[9], fix);
    }
}

#[test]
fn csv_neutralises_formula_like_values() {
    let dir = hostile_dir();
    let text = hostile(dir.path(), "csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.len() >= HOSTILE_SKUS.len());
    for row in &rows {
        for field in row.iter() {
            assert!(
                !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a spreadsheet would run {field:?}"
            );
        }
    }
    let skus: BTreeSet<&str> = rows.iter().map(|r| &r[7]).collect();
    for sku in ["=HYPERLINK(", "+62  812", "-ABC  D", "@SUM  (A1)"] {
        assert!(
            skus.iter().any(|s| s.starts_with(&format!("'{sku}"))),
            "{sku} not escaped as text: {skus:?}"
        );
    }
    // Values that are not formula-like are kept as they are.
    assert!(skus.contains("<script>alert(1)</script>  X"));
    assert!(skus.contains("50%  off\r\nnext"));
}

// ---------------------------------------------------------------------------
// 6. HTML

#[test]
fn html_is_self_contained_and_shows_every_finding() {
    let html = demo("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy"));
    // Nothing is loaded from anywhere: no external scripts, styles, images or fonts.
    let external = Regex::new(r#"(?i)(src|href)\s*=\s*"?(https?:)?//|@import|url\("#).unwrap();
    assert!(!external.is_match(&html), "{:?}", external.find(&html));
    assert!(!html.contains("http://") && !html.contains("https://"));

    let expected = demo_diagnostics();
    let rows =
        Regex::new(r#"<tr data-order="(\d+)" data-severity="(\w+)" data-code="(\w+)""#).unwrap();
    let found: Vec<(String, String)> = rows
        .captures_iter(&html)
        .map(|m| (m[2].to_string(), m[3].to_string()))
        .collect();
    let wanted: Vec<(String, String)> = expected
        .iter()
        .map(|d| (s(&d["severity"]).to_string(), s(&d["code"]).to_string()))
        .collect();
    assert_eq!(found, wanted, "one table row per finding, in report order");
    let cells = Regex::new(r#"<td class="cell" data-sort="\d+">([A-Z]+[0-9]+)</td>"#).unwrap();
    let shown: Vec<&str> = cells
        .captures_iter(&html)
        .map(|m| m.get(1).unwrap().as_str())
        .collect();
    let wanted: Vec<&str> = expected.iter().map(|d| s(&d["cell"])).collect();
    assert_eq!(shown, wanted, "every finding's cell");
    // Charts: one bar per rule that found something, one per sheet.
    let codes: BTreeSet<&str> = expected.iter().map(|d| s(&d["code"])).collect();
    for code in &codes {
        assert!(html.contains(&format!(r#"data-rule="{code}""#)), "{code}");
    }
    assert!(html.contains(r#"id="by-rule""#) && html.contains(r#"id="by-sheet""#));
    assert!(html.contains(r#"data-sheet="s0""#));
    // Invisible characters made visible, the offending ones marked, fixes previewed.
    assert!(html.contains("KAOS<mark>␣␣</mark>HITAM-M"));
    assert!(html.contains("KAOS<mark>⟨U+00A0⟩</mark>PUTIH-M"));
    assert!(html.contains(r#"<span class="value new">KAOS␣HITAM-M</span>"#));
}

#[test]
fn html_escapes_every_value_from_the_file() {
    let dir = hostile_dir();
    let html = hostile(dir.path(), "html");
    assert!(
        !html.contains("<script>alert"),
        "markup from a cell was not escaped"
    );
    assert!(
        !html.contains("<b>&"),
        "markup from a file name was not escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("hostile, &lt;b&gt;&amp;.csv"));
    // The only scripts are the page's own.
    assert_eq!(html.matches("<script").count(), 1);
}

// ---------------------------------------------------------------------------
// 7. concise and jsonl

#[test]
fn concise_is_one_line_per_finding() {
    let text = demo("concise");
    let expected = demo_diagnostics();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        expected.len() + 1,
        "findings and a summary line"
    );
    let grammar =
        Regex::new(r"^(.+):(\S+)!([A-Z]+[0-9]+): ([A-Z]+[0-9]{3}) (\[\*\] )?(.+)$").unwrap();
    for (line, d) in lines.iter().zip(&expected) {
        let m = grammar.captures(line).unwrap_or_else(|| panic!("{line}"));
        assert_eq!(&m[1], DEMO);
        assert_eq!(&m[3], s(&d["cell"]));
        assert_eq!(&m[4], s(&d["code"]));
        assert_eq!(m.get(5).is_some(), d["fix"]["applicability"] == "safe");
        assert_eq!(&m[6], s(&d["message"]));
    }
    let quiet = stdout(&run([
        "check",
        DEMO,
        "--output-format",
        "concise",
        "--quiet",
    ]));
    assert_eq!(quiet.lines().count(), expected.len());
}

#[test]
fn jsonl_lines_are_the_json_diagnostics() {
    let text = demo("jsonl");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines, demo_diagnostics());
}

// ---------------------------------------------------------------------------
// 8. --statistics

#[test]
fn statistics_count_each_rule_and_mark_the_fixable_ones() {
    let expected = demo_diagnostics();
    let output = run(["check", DEMO, "--statistics", "--output-format", "json"]);
    let stats: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stats = stats.as_array().unwrap();
    let total: u64 = stats.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, expected.len());
    for stat in stats {
        let code = s(&stat["code"]);
        let of_code: Vec<&Value> = expected.iter().filter(|d| d["code"] == code).collect();
        assert_eq!(stat["count"].as_u64().unwrap() as usize, of_code.len());
        let fixable = of_code.iter().any(|d| d["fix"]["applicability"] == "safe");
        assert_eq!(stat["fixable"], fixable, "{code}");
    }
    let counts: Vec<u64> = stats.iter().map(|s| s["count"].as_u64().unwrap()).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most frequent first"
    );

    let text = stdout(&run(["check", DEMO, "--statistics"]));
    let line = Regex::new(r"^ *([0-9]+)  ([A-Z]+[0-9]{3})  (\[\*\]|   )  ([a-z-]+)$").unwrap();
    assert_eq!(text.lines().count(), stats.len());
    for (text_line, stat) in text.lines().zip(stats) {
        let m = line
            .captures(text_line)
            .unwrap_or_else(|| panic!("{text_line:?}"));
        assert_eq!(&m[1], stat["count"].to_string());
        assert_eq!(&m[2], s(&stat["code"]));
        assert_eq!(&m[3] == "[*]", stat["fixable"] == true);
        assert_eq!(&m[4], s(&stat["name"]));
    }
}

#[test]
fn statistics_in_a_format_without_them_is_a_usage_error() {
    let output = run(["check", DEMO, "--statistics", "--output-format", "sarif"]);
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--statistics") && err.contains("--report"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// 9. --report

#[test]
fn three_reports_in_one_run_and_annotations_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("skulint.sarif");
    let html = dir.path().join("report.html");
    let junit = dir.path().join("junit.xml");
    let output = skulint_in(root())
        .args(["check", DEMO, "--output-format", "github"])
        .arg("--report")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--report")
        .arg(format!("html={}", html.display()))
        .arg("--report")
        .arg(format!("junit={}", junit.display()))
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    assert_eq!(
        stdout(&output),
        demo("github"),
        "stdout keeps its own format"
    );
    assert_eq!(std::fs::read_to_string(&sarif).unwrap(), demo("sarif"));
    assert_eq!(std::fs::read_to_string(&html).unwrap(), demo("html"));
    assert_eq!(std::fs::read_to_string(&junit).unwrap(), demo("junit"));
    assert_valid_sarif(&std::fs::read_to_string(&sarif).unwrap());
    // Written atomically: no temporary file left beside the reports.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn reports_are_written_with_the_permissions_of_an_ordinary_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let ordinary = dir.path().join("ordinary");
    std::fs::write(&ordinary, "").unwrap();
    let output = skulint_in(root())
        .args(["check", DEMO, "--report"])
        .arg(format!("csv={}", report.display()))
        .output()
        .unwrap();
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions();
    assert_eq!(
        mode(&report),
        mode(&ordinary),
        "not a private temporary file"
    );
}

#[test]
fn fix_writes_reports_of_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(DEMO), dir.path().join("demo.xlsx")).unwrap();
    let output = run_in(
        dir.path(),
        [
            "fix",
            "demo.xlsx",
            "--report",
            "sarif=remaining.sarif",
            "--report",
            "csv=remaining.csv",
            "--statistics",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let log =
        assert_valid_sarif(&std::fs::read_to_string(dir.path().join("remaining.sarif")).unwrap());
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for fixed in ["SKU001", "SKU002", "SKU003", "SKU004"] {
        assert!(
            results.iter().all(|r| r["ruleId"] != fixed),
            "{fixed} was fixed and is not reported"
        );
    }
    let csv_rows = std::fs::read_to_string(dir.path().join("remaining.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(csv_rows, results.len() + 1);
    let stats = stdout(&output);
    assert!(
        stats.contains("DUP001") && !stats.contains("SKU001"),
        "{stats}"
    );
}

#[test]
fn a_report_path_equal_to_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("listing.csv");
    std::fs::write(&csv, "SKU,Stock\nKAOS  A,5\n").unwrap();
    let before = std::fs::read(&csv).unwrap();
    for command in ["check", "fix"] {
        let output = run_in(
            dir.path(),
            [command, "listing.csv", "--report", "csv=./listing.csv"],
        );
        assert_eq!(code(&output), 2, "{command}: {output:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("--report csv=./listing.csv is the input listing.csv"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&csv).unwrap(),
            before,
            "{command} overwrote the input"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );
}

#[test]
fn bad_report_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let demo = root().join(DEMO);
    for (args, says) in [
        (vec!["--report", "pdf=out.pdf"], "unknown report format"),
        (vec!["--report", "report.sarif"], "FORMAT=PATH"),
        (vec!["--report", "sarif="], "no PATH"),
        (
            vec!["--report", "sarif=a.json", "--report", "json=a.json"],
            "--report sarif=a.json and --report json=a.json are the same file",
        ),
        (
            vec!["--output-file", "a.json", "--report", "sarif=a.json"],
            "--output-file a.json and --report sarif=a.json are the same file",
        ),
        (
            vec!["--report", "html=missing/report.html"],
            "does not exist",
        ),
    ] {
        let output = skulint_in(dir.path())
            .arg("check")
            .arg(&demo)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(code(&output), 2, "{args:?}: {output:?}");
        assert_eq!(stdout(&output), "", "{args:?}: refused before any report");
        let err = stderr(&output);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn fix_diff_writes_nothing_so_it_takes_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let output = skulint_in(dir.path())
        .arg("fix")
        .arg(root().join(DEMO))
        .args(["--diff", "--report", "sarif=out.sarif"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{output:?}");
    assert!(stderr(&output).contains("--diff"), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------
// 10. the progress bar stays out of pipes

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("SKU,Stock\n");
    for i in 0..20_000 {
        csv.push_str(&format!("KAOS-{i},{}\n", i % 50));
    }
    std::fs::write(dir.path().join("big.csv"), csv).unwrap();
    for format in ["text", "concise"] {
        let output = run_in(dir.path(), ["check", "big.csv", "--output-format", format]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(
            stderr(&output),
            "",
            "{format}: stderr must stay clean in a pipe"
        );
        assert!(!stdout(&output).contains('\x1b'));
    }
}

// ---------------------------------------------------------------------------
// 11. the pre-commit hook runs what it says

#[test]
fn the_pre_commit_hook_entry_checks_the_files_it_is_given() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let entry = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("the hook has an entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("skulint"));
    let args: Vec<&str> = words.collect();
    // pre-commit appends the staged files that match `files`.
    let pattern = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: "))
        .expect("the hook names its files");
    let files = Regex::new(pattern).unwrap();
    assert!(files.is_match(DEMO) && files.is_match("exports/listing.csv"));
    assert!(!files.is_match("README.md"));
    let output = skulint_in(root()).args(&args).arg(DEMO).output().unwrap();
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), demo("concise"));
}

#[test]
fn sarif_places_a_related_cell_of_the_master_file_in_that_file() {
    let output = run([
        "check",
        "--inventory",
        "fixtures/inventory/master.xlsx",
        "fixtures/inventory/shopee-sales-info.xlsx",
        "--output-format",
        "sarif",
    ]);
    let log: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let run = &log["runs"][0];
    let uri_of = |index: u64| s(&run["artifacts"][index as usize]["location"]["uri"]).to_string();
    let mut in_master = 0;
    for result in run["results"].as_array().unwrap() {
        for related in result["relatedLocations"].as_array().into_iter().flatten() {
            let artifact = &related["physicalLocation"]["artifactLocation"];
            let region = s(&related["physicalLocation"]["region"]["message"]["text"]);
            if region.starts_with("'Stok Gudang'!") {
                in_master += 1;
                assert_eq!(s(&artifact["uri"]), "fixtures/inventory/master.xlsx");
                assert_eq!(
                    uri_of(artifact["index"].as_u64().unwrap()),
                    s(&artifact["uri"])
                );
            } else {
                assert_eq!(
                    s(&artifact["uri"]),
                    "fixtures/inventory/shopee-sales-info.xlsx"
                );
            }
        }
    }
    assert!(in_master > 0, "no related cell in the master file");
}
