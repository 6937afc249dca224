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

/// A Shopee mass-update result ("[14 Apr 2023] mass-update-shopee-result.xlsx"
/// as Shopee gives it back: machine keys, the `sales_info` marker, Indonesian
/// labels, a note row, then the rows), its `Alasan Gagal` cells holding the
/// reasons sellers get, worded as they come.
fn mass_update_result(dir: &std::path::Path) -> std::path::PathBuf {
    const KEYS: [&str; 9] = [
        "et_title_product_id",
        "et_title_product_name",
        "et_title_variation_id",
        "et_title_variation_name",
        "et_title_parent_sku",
        "et_title_variation_sku",
        "et_title_variation_price",
        "et_title_variation_stock",
        "et_title_reason",
    ];
    const LABELS: [&str; 9] = [
        "Kode Produk",
        "Nama Produk",
        "Kode Variasi",
        "Nama Variasi",
        "SKU Induk",
        "SKU",
        "Harga",
        "Stok",
        "Alasan Gagal",
    ];
    let knt063 = "CELANA CARGO PRIA - KNT 063";
    let knt064 = "CELANA CARGO PRIA - KNT 064";
    let smd346 = "Jaket Anak Perempuan / jaket musim dingin anak perempuan - SMD 346";
    let scr266 = "Baju Koko Kurta / Baju Muslim Pakistan / Gamis Pria - SCR 266";
    let rows: [[&str; 9]; 14] = [
        [
            "23938491611",
            knt063,
            "221464049917",
            "Tanpa Warna,L",
            "KNT 063",
            "4486",
            "157300",
            "4",
            "Gagal update stok: stok tidak boleh lebih kecil dari stok promosi (10)",
        ],
        [
            "23938491611",
            knt063,
            "221464049918",
            "Tanpa Warna,XL",
            "",
            "4487",
            "157300",
            "5",
            "Stok kampanye (12): stok yang dimasukkan lebih rendah dari stok kampanye.",
        ],
        [
            "23938491611",
            knt063,
            "221464049919",
            "Tanpa Warna,S",
            "",
            "4488",
            "157300",
            "5",
            "",
        ],
        [
            "23938491611",
            knt063,
            "221464049920",
            "Tanpa Warna,M",
            "",
            "4485",
            "157300",
            "4",
            "Failed to update stock for item 23938491611: the item has been deleted or does not exist",
        ],
        [
            "23938486435",
            knt064,
            "156807788664",
            "Tanpa Warna,L",
            "KNT 064",
            "2372",
            "157300",
            "0",
            "Produk telah dihapus.",
        ],
        [
            "23938486435",
            knt064,
            "156807788665",
            "Tanpa Warna,XL",
            "",
            "2373",
            "157300",
            "0",
            "SKU tidak ditemukan di toko ini.",
        ],
        [
            "23938486435",
            knt064,
            "156807788666",
            "Tanpa Warna,S",
            "",
            "2374",
            "157300",
            "0",
            "[Shopee] 14:02 · Seller SKU 2374 doesn&#39;t exist in this shop",
        ],
        [
            "23938486435",
            knt064,
            "156807788663",
            "Tanpa Warna,M",
            "",
            "2371",
            "157300",
            "0",
            "Stok tidak boleh kurang dari jumlah pesanan\nyang belum dibayar (2)",
        ],
        [
            "23838663813",
            smd346,
            "194204590956",
            "Abu,10 Tahun",
            "INF 346",
            "39230",
            "150260",
            "1",
            "",
        ],
        [
            "23838663813",
            smd346,
            "194204590957",
            "Abu,6 Tahun",
            "",
            "39231",
            "150260",
            "12",
            "Toko sedang libur, stok tidak dapat diubah.",
        ],
        [
            "23838663813",
            smd346,
            "194204590958",
            "Abu,8 Tahun",
            "",
            "39232",
            "150260",
            "4",
            "error_rate_limit: Too many requests, retry after 3 seconds",
        ],
        [
            "23738668120",
            scr266,
            "231469798274",
            "Navy,M",
            "INF 266",
            "39408",
            "159940",
            "4",
            "Berhasil",
        ],
        [
            "23738668120",
            scr266,
            "231469798275",
            "Navy,XL",
            "",
            "39409",
            "159940",
            "21",
            "Gagal update stok: stok tidak boleh lebih kecil dari stok promosi (10)",
        ],
        [
            "23738668120",
            scr266,
            "231469798273",
            "Navy,L",
            "",
            "39407",
            "159940",
            "21",
            "Terjadi kesalahan yang tidak diketahui.",
        ],
    ];
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, (key, label)) in KEYS.iter().zip(LABELS).enumerate() {
        sheet.write_string(0, col as u16, *key).unwrap();
        sheet.write_string(2, col as u16, label).unwrap();
    }
    sheet.write_string(1, 0, "sales_info").unwrap();
    sheet
        .write_string(1, 1, "4d93e627870723759fffa6927c542c0e")
        .unwrap();
    sheet.write_string(1, 2, "0").unwrap();
    sheet
        .write_string(
            5,
            6,
            "Batas harga produk termahal dibagi harga produk termurah: 9900000",
        )
        .unwrap();
    for (i, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet
                    .write_string(6 + i as u32, col as u16, *value)
                    .unwrap();
            }
        }
    }
    let path = dir.join("[14 Apr 2023] mass-update-shopee-result.xlsx");
    book.save(&path).unwrap();
    path
}

#[test]
fn diagnose_file_groups_a_mass_update_result_by_cause_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = mass_update_result(dir.path());
    let file = path.to_str().unwrap();
    let output = skulint(["diagnose", "--file", file, "--output-format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        report["summary"],
        serde_json::json!({
            "below-campaign-reserve": 3, "item-not-found": 2, "sku-not-found": 2,
            "below-unpaid-reserve": 1, "vacation-mode": 1, "rate-limited": 1, "unknown": 1,
        })
    );
    let by_cell: std::collections::BTreeMap<String, (String, Value)> = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["cell"].as_str().unwrap().to_string(),
                (
                    d["cause"].as_str().unwrap().to_string(),
                    d["numbers"].clone(),
                ),
            )
        })
        .collect();
    let numbers = |cell: &str| by_cell[cell].1.clone();
    assert_eq!(numbers("I7"), serde_json::json!({"reserved": 10}));
    assert_eq!(numbers("I8"), serde_json::json!({"reserved": 12}));
    assert_eq!(
        numbers("I10"),
        serde_json::json!({"item_id": 23938491611_i64})
    );
    assert_eq!(numbers("I14"), serde_json::json!({"unpaid": 2}));
    assert_eq!(numbers("I17"), serde_json::json!({"retry_after": 3}));
    // Empty reasons and "Berhasil" are not failures.
    for cell in ["I9", "I15", "I18"] {
        assert!(!by_cell.contains_key(cell), "{cell}: {by_cell:?}");
    }
    // The steps are Shopee's: the export is a Shopee one.
    let vacation = report["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["cause"] == "vacation-mode")
        .unwrap();
    assert!(
        vacation["steps"][0]
            .as_str()
            .unwrap()
            .contains("Shopee Seller Centre"),
        "{vacation}"
    );

    let output = skulint(["diagnose", "--file", file]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("11 failed rows in 1 sheet"), "{text}");
    let summary = &text[text.find("Summary by cause:").expect("a summary")..];
    for line in [
        "3  below-campaign-reserve  rows 7, 8 and 19",
        "2  item-not-found          rows 10 and 11",
        "2  sku-not-found           rows 12 and 13",
        "1  below-unpaid-reserve    row 14",
    ] {
        assert!(summary.contains(line), "{line:?} missing:\n{summary}");
    }
}
