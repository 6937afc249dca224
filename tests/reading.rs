//! How exports are read (DESIGN §13): every listing row with or without a SKU,
//! the sheets and rows left out said out loud, a header under a title row, a
//! named column's header row, a product-level SKU column, and unreadable files
//! in every machine report. Each file here is a small export written by the
//! test, named for the layout it stands for.

mod common;

use std::path::{Path, PathBuf};

use common::{cell_codes as cells, code, root, skulint, stderr, stdout};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json(args: &[&str], path: &Path) -> (i32, serde_json::Value) {
    let output = skulint()
        .arg("check")
        .arg(path)
        .args(["--output-format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (code(&output), report)
}

#[test]
fn stock_faults_on_listings_without_a_sku_are_found_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // A TikTok upload whose products have no Seller SKU: each is still a listing.
    let path = write(
        dir.path(),
        "upload.csv",
        "Product Name,Retail Price,Quantity,Seller SKU\n\
         Gamis Anak Abu S,189000,16,\n\
         Gamis Anak Abu M,189000,-5,\n\
         Gamis Anak Abu L,199000,abc,\n\
         Gamis Anak Pink S,189000,4,GMS-PNK-S\n",
    );
    let (exit, report) = json(&[], &path);
    assert_eq!(exit, 1);
    assert_eq!(report["files"][0]["sheets"][0]["data_rows"], 4);
    let found = cells(&report);
    for expected in [
        "C3 STK001",
        "C4 STK001",
        "D2 SKU007",
        "D3 SKU007",
        "D4 SKU007",
    ] {
        assert!(
            found.contains(&expected.to_string()),
            "{expected} in {found:?}"
        );
    }
    assert_eq!(found.len(), 5, "{found:?}");
}

#[test]
fn a_sheet_mostly_without_skus_is_never_a_bare_clean_bill() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "shopify.csv",
        "Handle,Title,Option1 Value,Variant SKU,Variant Inventory Qty,Variant Price,Image Src\n\
         ocean-shirt,Ocean Shirt,S,,5,50,https://cdn.example/a.jpg\n\
         ocean-shirt,,M,,3,50,\n\
         ocean-shirt,,,,,,https://cdn.example/b.jpg\n",
    );
    let output = skulint()
        .arg("check")
        .arg(&path)
        .args(["--ignore", "SKU007"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(code(&output), 0, "{text}");
    assert!(!text.contains("No problems found in 1 file"), "{text}");
    assert!(
        text.contains("the SKU column D is empty in 2 of 2 listing rows"),
        "{text}"
    );
    // The image-only row continues the product: not a listing, and said so.
    assert!(text.contains("1 continuation row"), "{text}");
    let (_, report) = json(&["--ignore", "SKU007"], &path);
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(sheet["rows_skipped"]["continuation"], 1);
    assert_eq!(sheet["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn a_csv_with_a_web_page_inside_a_quoted_field_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "products.csv",
        "Handle,Title,Body (HTML),Variant SKU,Variant Inventory Qty\n\
         shirt,Shirt,\"<html><table><tr><td>Size</td><td>S</td></tr></table></html>\",SH  1,4\n",
    );
    let (exit, report) = json(&[], &path);
    assert_eq!(exit, 1, "{report}");
    assert_eq!(cells(&report), ["D2 SKU001"]);
    // A page saved as .csv is still refused, by where it starts.
    let page = write(
        dir.path(),
        "page.csv",
        "<!DOCTYPE html><html><body><table><tr><td>SKU</td></tr></table></body></html>",
    );
    let output = skulint().arg("check").arg(&page).output().unwrap();
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("web page"), "{}", stderr(&output));
}

#[test]
fn a_header_under_a_title_row_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "po.csv",
        "Purchase order import - fill in from row 3\n\
         *SKU,*Cost,Supplier Code\n\
         PO  001,1200,SUP-1\n\
         PO-002,1500,SUP-1\n",
    );
    let (exit, report) = json(&[], &path);
    assert_eq!(exit, 1);
    assert_eq!(report["files"][0]["sheets"][0]["header_row"], 2);
    assert_eq!(cells(&report), ["A3 SKU001"]);
}

#[test]
fn a_named_column_sets_the_header_row_where_its_header_stands() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing near the top names a known column; the seller names it.
    let path = write(
        dir.path(),
        "custom.csv",
        "Stock list,exported 2026-11-30\n\
         warehouse,Jakarta 2\n\
         Kode Barang,Sisa\n\
         KB  01,4\n\
         KB-02,5\n",
    );
    let (exit, report) = json(&["--sku-column", "Kode Barang"], &path);
    assert_eq!(exit, 1);
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["header_row"], 3);
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(cells(&report), ["A4 SKU001"]);
}

#[test]
fn a_product_level_code_column_reports_only_codes_shared_by_products() {
    let dir = tempfile::tempdir().unwrap();
    // Akulaku-style: one `*Produk SKU` on every variation of a product, its
    // name on every row, or on its first row only.
    for named_once in [false, true] {
        let mut text = String::from("*Goods Name,Color,*Price,*Stock,*Product SKU\n");
        for (name, code) in [
            ("Gamis Naura", "NSB01"),
            ("Sabina One Set", "SABI01"),
            ("Khimar Ceruty", "KHM02"),
            ("Khimar Jersey", "KHM02"),
        ] {
            for (i, color) in ["Abu", "Pink", "Hitam"].into_iter().enumerate() {
                let name = if named_once && i > 0 { "" } else { name };
                text.push_str(&format!("{name},{color},189000,5,{code}\n"));
            }
        }
        let path = write(dir.path(), "akulaku.csv", &text);
        let (_, report) = json(&[], &path);
        let found = cells(&report);
        assert!(found.iter().all(|f| f.ends_with("DUP003")), "{found:?}");
        // The first row of each of the two products that share KHM02.
        assert_eq!(
            found,
            ["E8 DUP003", "E11 DUP003"],
            "named once: {named_once}"
        );
        let sheet = &report["files"][0]["sheets"][0];
        assert_eq!(sheet["columns"]["parent_sku"], "E");
        assert!(sheet["columns"].get("sku").is_none());
        assert_eq!(sheet["notes"].as_array().unwrap().len(), 1);
    }
}

/// A row that leaves the product blank counts with the product above only to
/// confirm a product-level code: under a header that says so, repeating the
/// product's code, and naming no other product.
#[test]
fn rows_leaving_the_product_blank_confirm_a_product_level_code_only_by_repeating_it() {
    let dir = tempfile::tempdir().unwrap();
    // New listings without an id yet, each with its own name, reusing a code:
    // duplicates, not variations of the product above.
    let path = write(
        dir.path(),
        "new-listings.csv",
        "Product ID,Product Name,SKU,Stock\n\
         1001,Kaos Polos,KP-01,5\n\
         ,Kemeja Flanel,KP-01,3\n\
         1002,Celana Chino,CC-01,2\n\
         ,Jaket Denim,CC-01,4\n\
         1003,Topi Baseball,TP-01,1\n",
    );
    let (_, report) = json(&[], &path);
    assert_eq!(
        cells(&report),
        ["C2 DUP001", "C3 DUP001", "C4 DUP001", "C5 DUP001"]
    );
    // A hand-made sheet naming each product once, under a generic `SKU`: two
    // colours sharing one SKU is the fault stock sync trips on.
    let path = write(
        dir.path(),
        "hand-made.csv",
        "Nama Produk,Warna,SKU,Stok\n\
         Kaos Polos,Merah,KP-01,5\n\
         ,Biru,KP-01,3\n\
         Celana Chino,Hitam,CC-01,2\n\
         ,Krem,CC-01,4\n\
         Topi,Hitam,TP-01,1\n",
    );
    let (_, report) = json(&[], &path);
    assert_eq!(
        cells(&report),
        ["C2 DUP001", "C3 DUP001", "C4 DUP001", "C5 DUP001"]
    );
    // Akulaku-style, with two unnamed rows of codes of their own at the end:
    // they do not undo the product-level reading of the rows above.
    let mut text = String::from("*Goods Name,Color,*Price,*Stock,*Product SKU\n");
    for (name, code) in [("Gamis", "NSB01"), ("Sabina", "SAB01"), ("Khimar", "KHM02")] {
        for color in ["Abu", "Pink", "Hitam", "Navy"] {
            text.push_str(&format!("{name},{color},99000,3,{code}\n"));
        }
    }
    text.push_str(",Abu,99000,3,NEW-01\n,Pink,99000,3,NEW-02\n");
    let path = write(dir.path(), "akulaku-tail.csv", &text);
    let (_, report) = json(&[], &path);
    assert_eq!(cells(&report), Vec::<String>::new());
    assert_eq!(
        report["files"][0]["sheets"][0]["columns"]["parent_sku"],
        "E"
    );
}

#[test]
fn the_same_code_on_one_product_only_is_a_duplicate_not_a_parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "shop.csv",
        "Handle,Title,Option1 Value,Variant SKU,Variant Inventory Qty\n\
         route,Route,0.98,ROUTEINS,1\n\
         route,,1.15,ROUTEINS,1\n\
         shirt,Shirt,S,SH-S,1\n\
         shirt,,M,SH-M,1\n",
    );
    let (_, report) = json(&[], &path);
    assert_eq!(cells(&report), ["D2 DUP001", "D3 DUP001"]);
}

#[test]
fn hidden_example_and_instruction_sheets_are_left_out_unless_named() {
    let fixture = root().join("fixtures/lazada-price-stock.xlsx");
    let (_, report) = json(&["--fail-on", "never"], &fixture);
    let sheets = report["files"][0]["sheets"].as_array().unwrap();
    let hidden: Vec<&serde_json::Value> =
        sheets.iter().filter(|s| s["skipped"] == "hidden").collect();
    assert_eq!(hidden.len(), 1, "{sheets:?}");
    assert_eq!(hidden[0]["name"], "template_hide");
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["sheet"] != "template_hide")
    );
}

#[test]
fn an_unreadable_file_is_in_every_machine_report() {
    let dir = tempfile::tempdir().unwrap();
    let good = root().join("fixtures/demo-shopee-sales-info.xlsx");
    let missing = dir.path().join("missing.xlsx");
    let run = |format: &str| {
        let output = skulint()
            .arg("check")
            .arg(&good)
            .arg(&missing)
            .args(["--output-format", format])
            .output()
            .unwrap();
        assert_eq!(code(&output), 2);
        stdout(&output)
    };
    let report: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(report["errors"][0]["file"], missing.display().to_string());
    assert_eq!(report["errors"][0]["message"], "no such file or folder");
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["message"]["text"],
        "no such file or folder"
    );
    let junit = run("junit");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an error test case");
    assert_eq!(error.attribute("message"), Some("no such file or folder"));
    let csv = run("csv");
    assert!(
        csv.lines()
            .any(|l| l.contains("missing.xlsx") && l.contains("unreadable-file")),
        "{csv}"
    );
    let html = run("html");
    assert!(html.contains("Files that could not be read"));
    assert!(html.contains("missing.xlsx"));
}

#[test]
fn layout_shows_what_was_read_and_why() {
    let fixture = root().join("fixtures/demo-shopee-sales-info.xlsx");
    let output = skulint().arg("layout").arg(&fixture).output().unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("channel: Shopee"), "{text}");
    assert!(
        text.contains("sheet Sheet1: header row 3, 28 listing rows, rows 7–34"),
        "{text}"
    );
    assert!(
        text.contains("machine key `et_title_variation_sku` in row 1"),
        "{text}"
    );
    let output = skulint()
        .arg("layout")
        .arg(root().join("fixtures/lazada-price-stock.xlsx"))
        .arg("missing.csv")
        .args(["--output-format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema"], "skulint/layout/v1");
    let sheets = report["files"][0]["sheets"].as_array().unwrap();
    let read = sheets.iter().find(|s| s.get("columns").is_some()).unwrap();
    let sku = read["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["role"] == "sku")
        .unwrap();
    assert_eq!(sku["column"], "L");
    assert!(sheets.iter().any(|s| s["skipped"] == "hidden"));
    assert_eq!(report["errors"][0]["file"], "missing.csv");
}

/// What the reader says about a file (read by its content, not its name) is
/// said by `layout` too, as by `check`.
#[test]
fn layout_says_how_a_file_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("export.xlsx");
    std::fs::write(&named, "SKU;Stock\nKAOS-M;4\n").unwrap();
    for command in ["check", "layout"] {
        let output = skulint().arg(command).arg(&named).output().unwrap();
        assert!(
            stderr(&output).contains("not .xlsx as its name says; read as CSV"),
            "{command}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn findings_follow_the_sheets_order_in_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-sheets.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for name in ["Zeta", "Alpha"] {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        sheet.write_string(0, 0, "SKU").unwrap();
        sheet.write_string(0, 1, "Stock").unwrap();
        sheet.write_string(1, 0, "KAOS  HITAM").unwrap();
        sheet.write_number(1, 1, 3.0).unwrap();
    }
    book.save(&path).unwrap();
    let (_, report) = json(&[], &path);
    let sheets: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["sheet"].as_str().unwrap())
        .collect();
    assert_eq!(sheets, ["Zeta", "Alpha"]);
}

#[test]
fn a_sellers_rows_that_keep_an_instruction_text_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // The template's example row was deleted; the seller's rows keep the
    // prefilled delivery text. Without the example sheet's SKU, each is a listing.
    let delivery = "The delivery options for this product are the same as the default";
    let path = write(
        dir.path(),
        "upload.csv",
        &format!(
            "Product Name,Delivery options,Quantity,Seller SKU\n\
             Mandatory,Optional,Mandatory,Optional\n\
             Fewer than 255 characters.,{delivery},Only positive numbers are accepted.,Identifier of a stock keeping unit\n\
             Gamis Anak Abu S,{delivery},-7,GMS-ABU-S\n\
             Gamis Anak Abu M,{delivery},4,GMS-ABU-M\n"
        ),
    );
    let (_, report) = json(&[], &path);
    let sheet = &report["files"][0]["sheets"][0];
    assert!(sheet["rows_skipped"].get("example").is_none(), "{sheet}");
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(cells(&report), ["C4 STK001"]);
}

#[test]
fn a_small_product_level_code_column_is_a_parent_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "akulaku.csv",
        "*Goods Name,Color,*Stock,*Product SKU\n\
         Gamis Naura,Abu,5,NSB01\n\
         Gamis Naura,Pink,3,NSB01\n\
         Sabina Set,Abu,2,SABI01\n\
         Sabina Set,Pink,4,SABI01\n",
    );
    let (exit, report) = json(&[], &path);
    assert_eq!(exit, 0, "{report}");
    assert_eq!(
        report["files"][0]["sheets"][0]["columns"]["parent_sku"],
        "D"
    );
}

#[test]
fn a_per_warehouse_stock_column_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    // Shopee VN's multi-warehouse mass update: one `Số lượng:<kho>` per warehouse.
    let path = write(
        dir.path(),
        "vn.csv",
        "Tên sản phẩm,SKU,Số lượng:Kho HCM,Số lượng:Kho HN\n\
         Áo thun,AO-M,-4,3\n\
         Áo thun,AO-L,2,1\n",
    );
    let (_, report) = json(&[], &path);
    assert_eq!(report["files"][0]["sheets"][0]["columns"]["stock"], "C");
    assert_eq!(cells(&report), ["C2 STK001"]);
}

/// `check` on a small CSV written by the test: exit code and the JSON report.
fn check_csv(text: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "export.csv", text);
    json(args, &path)
}

#[test]
fn a_column_letter_is_not_matched_against_data_cells() {
    let (exit, report) = check_csv(
        "Name,Grade,Kode,Stock\nShirt,A,SH-1,5\nShirt,B,SH-2,-3\nShirt,C,SH-1,4\nCap,A,CP  1,2\n",
        &["--sku-column", "C"],
    );
    assert_eq!(exit, 1);
    assert_eq!(report["files"][0]["sheets"][0]["header_row"], 1);
    assert_eq!(
        cells(&report),
        ["C2 DUP001", "D3 STK001", "C4 DUP001", "C5 SKU001"]
    );
}

#[test]
fn variation_skus_shared_within_a_product_are_duplicates() {
    // Rows told apart by variation ids, or by variation names under a
    // variation-level header, are variations, each with its own code.
    for text in [
        "Product ID,SkuId,Product Name,Variation,SellerSku,Quantity\n\
         1001,5001,Kaos,Red,KAOS-01,5\n1001,5002,Kaos,Blue,KAOS-01,3\n\
         1002,5003,Topi,S,TOPI-02,4\n1002,5004,Topi,M,TOPI-02,2\n1003,5005,Tas,-,TAS-03,1\n",
        "Product Name,Variation Name,Variation SKU,Stock\n\
         Kaos,Red,KAOS-01,5\nKaos,Blue,KAOS-01,3\nTopi,S,TOPI-02,4\nTopi,M,TOPI-02,2\n",
    ] {
        let (exit, report) = check_csv(text, &[]);
        assert_eq!(exit, 1, "{report}");
        let found = cells(&report);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().all(|f| f.ends_with("DUP001")), "{found:?}");
    }
}

#[test]
fn a_product_without_its_product_level_code_is_reported() {
    let (_, report) = check_csv(
        "Product Name,Produk SKU,Variation Name,Stock\nKaos,KAOS-1,Merah,5\nKaos,KAOS-1,Biru,5\n\
         Topi,TOPI-1,S,3\nTopi,TOPI-1,M,3\nTas,TAS-1,Merah,2\nTas,TAS-1,Hitam,2\nSandal,,39,4\n",
        &[],
    );
    assert_eq!(cells(&report), ["B8 SKU007"]);
    assert_eq!(
        report["files"][0]["sheets"][0]["columns"]["parent_sku"],
        "B"
    );
}

#[test]
fn products_without_variations_linked_by_parent_sku_are_not_warned_about() {
    let (exit, report) = check_csv(
        "Product ID,Product Name,Parent SKU,SKU,Variation Name,Stock\n\
         1,Kaos,KAOS-1,,,5\n2,Topi,TOPI-1,,,3\n3,Tas,TAS-1,TAS-1-M,Merah,2\n",
        &[],
    );
    assert_eq!(exit, 0, "{report}");
    assert_eq!(
        report["files"][0]["sheets"][0]["warnings"],
        serde_json::json!([])
    );
}

#[test]
fn an_availability_flag_is_not_stock() {
    let (exit, report) = check_csv(
        "SKU,Name,Price,Available\nA-1,Shirt,10000,Yes\nA-2,Cap,5000,No\n",
        &[],
    );
    assert_eq!(exit, 0, "{report}");
    assert!(
        report["files"][0]["sheets"][0]["columns"]
            .get("stock")
            .is_none()
    );
}

#[test]
fn a_metadata_row_above_the_header_is_not_the_width_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "meta.csv",
        "Shop,Toko Maju\nExported,2026-01-05\n\nSKU,Name,Price,Stock\nA-1,Shirt,10000,5\nA-2,Cap,5000,3\n",
    );
    let output = skulint().arg("check").arg(&path).output().unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("more fields"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_totals_row_is_not_a_listing() {
    let (exit, report) = check_csv(
        "SKU,Product Name,Price,Stock\nA-1,Shirt,10000,5\nA-2,Cap,5000,3\n,Total,,8\n",
        &[],
    );
    assert_eq!(exit, 0, "{report}");
    let sheet = &report["files"][0]["sheets"][0];
    assert_eq!(sheet["data_rows"], 2);
    assert_eq!(sheet["rows_skipped"]["no-listing"], 1);
}

#[test]
fn an_in_progress_status_is_not_a_sync_failure() {
    let (_, report) = check_csv(
        "SKU,Stock,Alasan Gagal\nA-1,5,Sedang diproses\nA-2,4,Processing\nA-3,3,Error 501: server error\n",
        &[],
    );
    assert_eq!(cells(&report), ["C4 SYN001"]);
}
