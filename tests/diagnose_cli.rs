//! `skulint diagnose` and `skulint explain` through the binary: text and JSON
//! reports, --sku, --file, --channel, exit codes and bad inputs; SYN001 in `check`.

mod common;

use common::{code, stderr, stdout};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const FAILURES: &str = "fixtures/shopee-sales-info-failures.xlsx";

fn skulint<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::cargo_bin("skulint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

/// A usage or input error: exit 2, one line on stderr, nothing on stdout.
fn assert_error(output: &Output, needle: &str) {
    assert_eq!(code(output), 2, "{}", stdout(output));
    assert!(stdout(output).is_empty(), "{}", stdout(output));
    assert!(stderr(output).contains(needle), "{}", stderr(output));
}

#[test]
fn diagnose_text_with_sku_snapshot() {
    let output = skulint([
        "diagnose",
        "Error 501: Kesalahan terjadi karena kesalahan server dari platform. Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        "--sku",
        "KAOS  HITAM-M",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("KAOS␣␣HITAM-M\n"), "{text}");
    assert!(text.contains("    ^^  characters 5–6"), "{text}");
    insta::assert_snapshot!("diagnose_text_sku", text);
}

#[test]
fn diagnose_json_has_one_diagnosis_per_message_and_a_summary() {
    let output = skulint([
        "diagnose",
        "--output-format",
        "json",
        "--sku",
        "KAOS  HITAM-M",
        "Error 501: server error",
        r#"{"type":"ISV","code":"ApiCallLimit","message":"this ban will last 9 seconds"}"#,
        "Kesalahan platform: Platform memesan stok 3 untuk kampanye.",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    let diagnoses = report["diagnoses"].as_array().unwrap();
    assert_eq!(diagnoses.len(), 3);
    for d in diagnoses {
        for key in [
            "input",
            "cause",
            "title",
            "retryable",
            "numbers",
            "steps",
            "related_rules",
            "sku_findings",
        ] {
            assert!(d.get(key).is_some(), "{key} missing: {d}");
        }
        assert!(d.get("file").is_none(), "{d}");
    }
    assert_eq!(diagnoses[0]["cause"], "sku-format");
    assert_eq!(diagnoses[0]["sku_findings"][0]["code"], "SKU001");
    assert_eq!(
        diagnoses[0]["sku_findings"][0]["positions"],
        serde_json::json!([{"start": 5, "end": 6}])
    );
    assert_eq!(diagnoses[0]["sku_findings"][0]["visible"], "KAOS␣␣HITAM-M");
    assert_eq!(diagnoses[1]["cause"], "rate-limited");
    assert_eq!(diagnoses[1]["retryable"], true);
    assert_eq!(diagnoses[1]["numbers"]["ban_seconds"], 9);
    assert_eq!(diagnoses[2]["cause"], "below-campaign-reserve");
    assert_eq!(diagnoses[2]["numbers"]["reserved"], 3);
    assert_eq!(diagnoses[2]["related_rules"], serde_json::json!(["STK002"]));
    assert_eq!(
        report["summary"],
        serde_json::json!({"below-campaign-reserve": 1, "rate-limited": 1, "sku-format": 1})
    );
}

#[test]
fn diagnose_exits_1_when_a_message_is_not_recognised() {
    let output = skulint(["diagnose", "error_auth", "something odd happened"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).contains("message not recognised"));
    let output = skulint([
        "diagnose",
        "--output-format",
        "json",
        "something odd happened",
    ]);
    assert_eq!(code(&output), 1);
    assert_eq!(json(&output)["diagnoses"][0]["recognized"], false);
}

#[test]
fn diagnose_channel_narrows_the_patterns() {
    let body = r#"{"code":36009002,"message":"x","request_id":"1"}"#;
    let output = skulint(["diagnose", "--output-format", "json", body]);
    assert_eq!(code(&output), 0);
    assert_eq!(json(&output)["diagnoses"][0]["cause"], "rate-limited");
    assert_eq!(json(&output)["diagnoses"][0]["channel"], "tiktok");
    let output = skulint([
        "diagnose",
        "--channel",
        "lazada",
        "--output-format",
        "json",
        body,
    ]);
    assert_eq!(code(&output), 1);
    assert_eq!(json(&output)["diagnoses"][0]["cause"], "unknown");
}

#[test]
fn diagnose_file_summarises_the_export_by_cause() {
    let output = skulint(["diagnose", "--file", FAILURES]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    insta::assert_snapshot!("diagnose_file_text", text);
    let output = skulint(["diagnose", "--file", FAILURES, "--output-format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        report["summary"],
        serde_json::json!({
            "auth-expired": 1, "below-campaign-reserve": 2, "below-unpaid-reserve": 1,
            "platform-server-error": 2, "promotion-lock": 1, "rate-limited": 1,
            "sku-format": 2, "unknown": 1, "vacation-mode": 1,
        })
    );
    let cells: Vec<String> = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["file"], FAILURES);
            assert_eq!(d["sheet"], "Sheet1");
            format!(
                "{} {}",
                d["cell"].as_str().unwrap(),
                d["cause"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(cells.first().map(String::as_str), Some("I7 sku-format"));
    assert!(cells.contains(&"I9 sku-format".to_string()), "{cells:?}");
    assert!(
        cells.contains(&"I10 platform-server-error".to_string()),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"I13 below-unpaid-reserve".to_string()),
        "{cells:?}"
    );
    // "Berhasil" (row 14) and empty reasons are not failures.
    assert!(
        !cells
            .iter()
            .any(|c| c.starts_with("I14 ") || c.starts_with("I8 "))
    );
    let first = &report["diagnoses"][0];
    assert_eq!(first["sku"], "KAOS  HITAM-M");
    assert_eq!(first["row"], 7);
    assert_eq!(first["sku_findings"][0]["code"], "SKU001");
}

#[test]
fn check_reports_sync_errors_with_the_severity_of_their_cause() {
    let output = skulint([
        "check",
        FAILURES,
        "--select",
        "SYN",
        "--output-format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    let severity = |cell: &str| {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["cell"] == cell)
            .unwrap_or_else(|| panic!("no finding at {cell}"))["severity"]
            .clone()
    };
    assert_eq!(severity("I7"), "error"); // sku-format
    assert_eq!(severity("I10"), "warning"); // platform-server-error
    assert_eq!(severity("I16"), "warning"); // vacation-mode
    assert_eq!(severity("I19"), "info"); // rate-limited
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("[sku-format]"), "{message}");
}

#[test]
fn diagnose_file_without_failures_says_so() {
    let output = skulint(["diagnose", "--file", "fixtures/demo-shopee-sales-info.xlsx"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).starts_with("No failure reasons in "));
    let output = skulint([
        "diagnose",
        "--file",
        "fixtures/demo-shopee-sales-info.xlsx",
        "--output-format",
        "json",
    ]);
    assert_eq!(
        json(&output),
        serde_json::json!({"diagnoses": [], "summary": {}})
    );
}

#[test]
fn diagnose_file_reads_a_reason_column_it_is_told_about() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hasil.csv");
    std::fs::write(
        &path,
        "SKU,Stok,Keterangan\nKAOS  HITAM-M,3,E501\nKAOS-PUTIH-L,4,akses Anda ke toko telah kedaluwarsa\n",
    )
    .unwrap();
    let output = skulint(["diagnose", "--file", path.to_str().unwrap()]);
    assert_error(&output, "--sync-status-column");
    let output = skulint([
        "diagnose",
        "--file",
        path.to_str().unwrap(),
        "--sync-status-column",
        "C",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        json(&output)["summary"],
        serde_json::json!({"auth-expired": 1, "sku-format": 1})
    );
    // "Fail Reason" is a known label: no override needed.
    let path = dir.path().join("result.csv");
    std::fs::write(
        &path,
        "Seller SKU,Fail Reason\nTAS/SLP-CKL,\"{\"\"code\"\":\"\"ApiCallLimit\"\",\"\"message\"\":\"\"this ban will last 4 seconds\"\"}\"\nTAS-SLP-HTM,OK\n",
    )
    .unwrap();
    let output = skulint([
        "diagnose",
        "--file",
        path.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["summary"], serde_json::json!({"rate-limited": 1}));
    assert_eq!(report["diagnoses"][0]["numbers"]["ban_seconds"], 4);
    assert_eq!(report["diagnoses"][0]["cell"], "B2");
}

#[test]
fn diagnose_usage_and_input_errors_exit_2() {
    let output = skulint(["diagnose"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("MESSAGE"), "{}", stderr(&output));
    assert_eq!(code(&skulint(["diagnose", "E501", "--file", FAILURES])), 2);
    assert_eq!(
        code(&skulint(["diagnose", "--file", FAILURES, "--sku", "X"])),
        2
    );
    assert_error(&skulint(["diagnose", "  "]), "empty");
    assert_error(
        &skulint(["diagnose", "--file", "fixtures/no-such-file.xlsx"]),
        "fixtures/no-such-file.xlsx",
    );
    for bad in [
        "fixtures/bad/random-bytes.xlsx",
        "fixtures/bad/truncated.xlsx",
        "fixtures/bad/empty.csv",
    ] {
        let output = skulint(["diagnose", "--file", bad]);
        assert_error(&output, bad);
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    assert_error(
        &skulint(["diagnose", "--file", "fixtures/bad/no-sku-column.xlsx"]),
        "no SKU column",
    );
}

#[test]
fn explain_lists_causes_and_rules_or_exits_2() {
    let output = skulint(["explain", "E501"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    for needle in [
        "sku-format",
        "below-campaign-reserve",
        "platform-server-error",
        "SKU001",
        "STK002",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let output = skulint(["explain", "negative", "sellable"]);
    assert_eq!(code(&output), 0);
    assert!(stdout(&output).contains("below-campaign-reserve"));
    assert_error(&skulint(["explain", "xyzzy"]), "xyzzy");
    assert_eq!(code(&skulint(["explain"])), 2);
}
