//! CLI tests of `skulint.toml`: discovery, strictness (the line of a bad key),
//! command-line flags over the file, rule parameters, channel overrides and
//! custom rules, and `skulint rules` / `skulint explain` with a configuration.
//!
//! Each test writes its configuration into a temporary folder and runs the real
//! binary there, so the file is found as a user's would be.

mod common;

use common::{cell_codes, code, root, stderr, stdout};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn demo() -> String {
    root()
        .join("fixtures/demo-shopee-sales-info.xlsx")
        .to_str()
        .unwrap()
        .to_string()
}

/// A temporary folder holding `skulint.toml` (when `config` is given) and the
/// given files.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(config: Option<&str>) -> Project {
        let dir = tempfile::tempdir().unwrap();
        if let Some(config) = config {
            std::fs::write(dir.path().join("skulint.toml"), config).unwrap();
        }
        Project { dir }
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The binary, run in the project folder.
    fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        run_in(self.dir.path(), args)
    }

    /// `check ARGS --output-format json`, with the exit code expected.
    fn check_json(&self, args: &[&str], expected: i32) -> Value {
        let output = self.run(
            ["check"]
                .iter()
                .chain(args)
                .chain(&["--output-format", "json"]),
        );
        assert_eq!(code(&output), expected, "stderr: {}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

fn run_in<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::cargo_bin("skulint")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn codes(report: &Value) -> BTreeSet<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Exit 2 with one stderr line that starts with `expected`.
fn assert_config_error(output: &Output, expected: &str) {
    assert_eq!(code(output), 2, "{output:?}");
    let err = stderr(output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(
        lines[0].starts_with(&format!("skulint: error: {expected}")),
        "{}\n  expected to start with: skulint: error: {expected}",
        lines[0]
    );
    assert!(!err.contains("panicked"), "{err}");
}

// ---------------------------------------------------------------------------
// selection, severity and fail-on

#[test]
fn a_config_that_ignores_a_code_removes_it_and_nothing_else() {
    let without = Project::new(None).check_json(&[&demo(), "--fail-on", "never"], 0);
    let with = Project::new(Some("ignore = [\"SKU001\", \"DUP\"]\n"))
        .check_json(&[&demo(), "--fail-on", "never"], 0);
    let expected: BTreeSet<String> = codes(&without)
        .into_iter()
        .filter(|c| c != "SKU001" && !c.starts_with("DUP"))
        .collect();
    assert!(codes(&without).contains("SKU001"));
    assert_eq!(codes(&with), expected);
}

#[test]
fn select_on_the_command_line_replaces_the_config_select() {
    let project = Project::new(Some("select = [\"SKU001\"]\n"));
    let report = project.check_json(&[&demo(), "--fail-on", "never"], 0);
    assert_eq!(codes(&report), set(&["SKU001"]));
    let report = project.check_json(&[&demo(), "--select", "STK001", "--fail-on", "never"], 0);
    assert_eq!(codes(&report), set(&["STK001"]));
}

#[test]
fn ignore_on_the_command_line_replaces_the_config_ignore() {
    let project = Project::new(Some("ignore = [\"SKU001\"]\n"));
    let report = project.check_json(&[&demo(), "--ignore", "STK", "--fail-on", "never"], 0);
    assert!(codes(&report).contains("SKU001"));
    assert!(!codes(&report).iter().any(|c| c.starts_with("STK")));
}

#[test]
fn raising_a_severity_changes_the_exit_code() {
    // SKU005 is a warning: with only it selected, the default fail-on (error) passes.
    let plain = Project::new(None);
    let report = plain.check_json(&[&demo(), "--select", "SKU005"], 0);
    assert_eq!(report["diagnostics"][0]["severity"], "warning");
    let raised = Project::new(Some("[severity]\nSKU005 = \"error\"\n"));
    let report = raised.check_json(&[&demo(), "--select", "SKU005"], 1);
    assert_eq!(report["diagnostics"][0]["severity"], "error");
    // A prefix lowers a whole family; the exact code still wins over it.
    let lowered = Project::new(Some("[severity]\nSKU = \"info\"\nSKU001 = \"error\"\n"));
    let report = lowered.check_json(&[&demo(), "--select", "SKU", "--fail-on", "never"], 0);
    for d in report["diagnostics"].as_array().unwrap() {
        let expected = if d["code"] == "SKU001" {
            "error"
        } else {
            "info"
        };
        assert_eq!(d["severity"], expected, "{d}");
    }
}

#[test]
fn fail_on_from_the_config_and_from_the_command_line() {
    let project = Project::new(Some("fail-on = \"warning\"\n"));
    project.check_json(&[&demo(), "--select", "SKU005"], 1);
    project.check_json(&[&demo(), "--select", "SKU005", "--fail-on", "error"], 0);
    let never = Project::new(Some("fail-on = \"never\"\n"));
    never.check_json(&[&demo()], 0);
}

// ---------------------------------------------------------------------------
// finding the file, strictness

#[test]
fn the_config_is_found_in_a_parent_folder() {
    let project = Project::new(Some("select = [\"SKU001\"]\n"));
    // The search goes up to the repository's root, and no further.
    std::fs::create_dir(project.path().join(".git")).unwrap();
    let nested = project.path().join("exports/2024");
    std::fs::create_dir_all(&nested).unwrap();
    let output = run_in(
        &nested,
        [
            "check",
            &demo(),
            "--output-format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(codes(&report), set(&["SKU001"]));
}

#[test]
fn an_explicit_config_wins_and_a_missing_one_is_an_error() {
    let project = Project::new(Some("select = [\"SKU001\"]\n"));
    let other = project.file("ci/strict.toml", "select = [\"STK001\"]\n");
    let report = project.check_json(&[&demo(), "--config", &other, "--fail-on", "never"], 0);
    assert_eq!(codes(&report), set(&["STK001"]));
    let output = project.run(["check", &demo(), "--config", "nowhere.toml"]);
    assert_config_error(&output, "cannot read the configuration nowhere.toml:");
}

#[test]
fn an_unknown_key_fails_with_its_line() {
    let project = Project::new(Some(
        "select = [\"ALL\"]\n\n[rules.sku-too-long]\nmax-lenght = 60\n",
    ));
    let output = project.run(["check", &demo()]);
    assert_config_error(
        &output,
        "skulint.toml:4:1: rules.sku-too-long.max-lenght: unknown field `max-lenght`, expected `max-length`",
    );
    assert_eq!(
        stdout(&output),
        "",
        "no report when the configuration is bad"
    );
}

#[test]
fn bad_values_fail_with_their_line_and_key() {
    for (config, expected) in [
        (
            "fail-on = \"sometimes\"\n",
            "skulint.toml:1:11: fail-on: unknown variant `sometimes`",
        ),
        (
            "channel = \"ebay\"\n",
            "skulint.toml:1:11: channel: unknown variant `ebay`",
        ),
        (
            "# ours\nignore = [\"SKU010\", \"SKU999\"]\n",
            "skulint.toml:2:21: ignore: unknown rule code or prefix `SKU999`",
        ),
        (
            "[columns]\nstok = \"F\"\n",
            "skulint.toml:2:1: columns.stok: unknown column role `stok`",
        ),
        (
            "[channels.shopee]\nmax-sku-length = \"long\"\n",
            "skulint.toml:2:18: channels.shopee.max-sku-length: invalid type: string \"long\"",
        ),
        (
            "[[custom-rules]]\ncode = \"SKU500\"\nname = \"x\"\npattern = \"x\"\nmessage = \"m\"\n",
            "skulint.toml:2:8: custom-rules[0].code: `SKU500`: a custom rule code is X followed by digits",
        ),
        (
            "[[custom-rules]]\ncode = \"X1\"\nname = \"x\"\npattern = \"[\"\nmessage = \"m\"\n",
            "skulint.toml:4:11: custom-rules[0].pattern: invalid regular expression",
        ),
        ("select = [\"ALL\"\n", "skulint.toml:1:"),
    ] {
        let project = Project::new(Some(config));
        assert_config_error(&project.run(["check", &demo()]), expected);
    }
}

#[test]
fn rules_and_explain_also_refuse_a_bad_config() {
    let project = Project::new(Some("selec = [\"ALL\"]\n"));
    assert_config_error(&project.run(["rules"]), "skulint.toml:1:1: selec:");
    assert_config_error(
        &project.run(["explain", "SKU001"]),
        "skulint.toml:1:1: selec:",
    );
}

// ---------------------------------------------------------------------------
// columns, channel, rule parameters and channel profiles

const LISTING: &str = "Kode Barang,Jumlah,Nama\nKAOS HITAM-L,5,Kaos\nKAOS-HITAM-XXL-PANJANG,3,Kaos\nkaos hitam-l,2,Kaos\n";

#[test]
fn columns_from_the_config_and_the_command_line() {
    let project = Project::new(Some("[columns]\nsku = \"Kode Barang\"\nstock = \"B\"\n"));
    let csv = project.file("listing.csv", LISTING);
    let report = project.check_json(&[&csv, "--fail-on", "never"], 0);
    let columns = &report["files"][0]["sheets"][0]["columns"];
    assert_eq!(columns["sku"], "A");
    assert_eq!(columns["stock"], "B");
    // The command line names another column for the SKU; the file's stock column stays.
    let report = project.check_json(&[&csv, "--sku-column", "Nama", "--fail-on", "never"], 0);
    let columns = &report["files"][0]["sheets"][0]["columns"];
    assert_eq!(columns["sku"], "C");
    assert_eq!(columns["stock"], "B");
}

#[test]
fn channel_from_the_config_and_the_command_line() {
    let project = Project::new(Some(
        "channel = \"tiktok\"\n[columns]\nsku = \"Kode Barang\"\n",
    ));
    let csv = project.file("listing.csv", LISTING);
    // TikTok Shop rejects spaces: rows 2 and 4.
    let report = project.check_json(&[&csv, "--select", "SKU009", "--fail-on", "never"], 0);
    assert_eq!(report["files"][0]["channel"], "tiktok");
    assert_eq!(finding_set(&report), set(&["A2 SKU009", "A4 SKU009"]));
    let report = project.check_json(
        &[
            &csv,
            "--select",
            "SKU009",
            "--channel",
            "generic",
            "--fail-on",
            "never",
        ],
        0,
    );
    assert_eq!(finding_set(&report), set(&[]));
}

#[test]
fn max_length_of_the_rule_and_of_one_channel() {
    let csv_config = "[columns]\nsku = \"Kode Barang\"\n";
    let by_rule = Project::new(Some(&format!(
        "{csv_config}[rules.sku-too-long]\nmax-length = 12\n"
    )));
    let csv = by_rule.file("listing.csv", LISTING);
    let report = by_rule.check_json(&[&csv, "--select", "SKU008", "--fail-on", "never"], 0);
    assert_eq!(finding_set(&report), set(&["A3 SKU008"]));
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 12"),
        "{report}"
    );
    // A channel limit applies to that channel only.
    let by_channel = Project::new(Some(&format!(
        "{csv_config}[channels.generic]\nmax-sku-length = 20\n[channels.shopee]\nmax-sku-length = 5\n"
    )));
    let csv = by_channel.file("listing.csv", LISTING);
    let report = by_channel.check_json(&[&csv, "--select", "SKU008", "--fail-on", "never"], 0);
    assert_eq!(finding_set(&report), set(&["A3 SKU008"]));
    let report = by_channel.check_json(
        &[
            &csv,
            "--select",
            "SKU008",
            "--channel",
            "shopee",
            "--fail-on",
            "never",
        ],
        0,
    );
    assert_eq!(
        finding_set(&report),
        set(&["A2 SKU008", "A3 SKU008", "A4 SKU008"])
    );
}

#[test]
fn a_case_insensitive_channel_makes_case_twins_duplicates() {
    let csv_config = "[columns]\nsku = \"Kode Barang\"\n";
    let sensitive = Project::new(Some(csv_config));
    let csv = sensitive.file("listing.csv", LISTING);
    let report = sensitive.check_json(&[&csv, "--select", "DUP", "--fail-on", "never"], 0);
    assert_eq!(finding_set(&report), set(&["A2 DUP002", "A4 DUP002"]));
    let insensitive = Project::new(Some(&format!(
        "{csv_config}[channels.generic]\ncase-sensitive = false\n"
    )));
    let csv = insensitive.file("listing.csv", LISTING);
    let report = insensitive.check_json(&[&csv, "--select", "DUP", "--fail-on", "never"], 0);
    assert_eq!(finding_set(&report), set(&["A2 DUP001", "A4 DUP001"]));
}

// ---------------------------------------------------------------------------
// custom rules

const CUSTOM: &str = r#"
[[custom-rules]]
code = "X001"
name = "test-sku"
pattern = "^TEST-"
message = "test SKUs must not be listed"
severity = "error"

[[custom-rules]]
code = "X002"
name = "upper-case-sku"
require = "^[A-Z0-9-]+$"
message = "SKUs are upper-case letters, digits and dashes"

[[custom-rules]]
code = "X010"
name = "no-promo-names"
pattern = "(?i)promo"
column = "product_name"
message = "promo names are for campaigns only"
severity = "info"
"#;

const CATALOG: &str = "Product Name,SKU,Stock\nKaos Hitam,TEST-001,1\nKaos Putih,KAOS-PTH-M,4\nKaos PROMO,kaos-pth-m,2\nKaos Navy,TEST-002,0\nKaos Abu,KAOS ABU,3\n";

#[test]
fn custom_rules_fire_on_the_cells_they_should() {
    let project = Project::new(Some(CUSTOM));
    let csv = project.file("catalog.csv", CATALOG);
    let report = project.check_json(&[&csv, "--select", "X"], 1);
    assert_eq!(
        finding_set(&report),
        set(&["B2 X001", "B5 X001", "B4 X002", "B6 X002", "A4 X010"])
    );
    let x001 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "X001")
        .unwrap();
    assert_eq!(x001["name"], "test-sku");
    assert_eq!(x001["severity"], "error");
    assert_eq!(x001["message"], "test SKUs must not be listed");
    assert_eq!(x001["header"], "SKU");
    assert_eq!(x001["fix"], Value::Null);
}

#[test]
fn custom_rules_are_selected_and_ignored_like_built_in_ones() {
    let project = Project::new(Some(CUSTOM));
    let csv = project.file("catalog.csv", CATALOG);
    let report = project.check_json(&[&csv, "--select", "X002", "--fail-on", "never"], 0);
    assert_eq!(codes(&report), set(&["X002"]));
    let report = project.check_json(&[&csv, "--ignore", "X", "--fail-on", "never"], 0);
    assert!(
        !codes(&report).iter().any(|c| c.starts_with('X')),
        "{report}"
    );
    assert!(
        codes(&report).contains("DUP002"),
        "built-in rules still run"
    );
    // By default every rule runs, custom ones included.
    let report = project.check_json(&[&csv, "--fail-on", "never"], 0);
    assert!(codes(&report).is_superset(&set(&["X001", "X002", "X010", "DUP002"])));
    // A severity override applies to a custom code too.
    let lowered = Project::new(Some(&format!("{CUSTOM}\n[severity]\nX001 = \"info\"\n")));
    let csv = lowered.file("catalog.csv", CATALOG);
    lowered.check_json(&[&csv, "--select", "X"], 0);
}

#[test]
fn custom_rules_show_in_the_text_report_and_the_rules_list() {
    let project = Project::new(Some(CUSTOM));
    let csv = project.file("catalog.csv", CATALOG);
    let output = project.run(["check", &csv, "--select", "X001"]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    assert!(
        text.contains("X001 error test SKUs must not be listed"),
        "{text}"
    );
    assert!(text.contains("^^^^^"), "the match is underlined: {text}");
    assert!(text.contains("X001") && text.contains("test-sku"), "{text}");

    let output = project.run(["rules", "--output-format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
    let custom: Vec<&Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"].as_str().unwrap().starts_with('X'))
        .collect();
    assert_eq!(custom.len(), 3);
    assert_eq!(custom[0]["name"], "test-sku");
    assert_eq!(custom[0]["severity"], "error");
    assert_eq!(custom[0]["fix"], "none");
    assert_eq!(custom[1]["severity"], "warning", "the default severity");

    let text = stdout(&project.run(["rules"]));
    let line = text
        .lines()
        .find(|l| l.starts_with("X010"))
        .expect("X010 listed");
    assert!(
        line.contains("no-promo-names") && line.contains("info"),
        "{line}"
    );

    let output = project.run(["explain", "upper-case-sku"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("X002 upper-case-sku"), "{text}");
    assert!(text.contains("does not match /^[A-Z0-9-]+$/"), "{text}");
}

/// The configuration example of the README is a valid configuration.
#[test]
fn the_readme_example_is_accepted() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("### Configuration: `skulint.toml`")
        .nth(1)
        .expect("the README has a configuration section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a toml block");
    let project = Project::new(None);
    let config = project.file("example.toml", example);
    let output = project.run(["rules", "--config", &config]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).contains("X001    test-sku"),
        "{}",
        stdout(&output)
    );
}

/// `CELL CODE` of every finding.
fn finding_set(report: &Value) -> BTreeSet<String> {
    cell_codes(report).into_iter().collect()
}
