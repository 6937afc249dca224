//! Sync-error diagnosis, the library: the seed article's hint messages verbatim,
//! API error bodies as Shopee, Lazada and TikTok Shop return them, messages in
//! English, Indonesian, Vietnamese and Thai, precedence, SKU evidence, explain.

use skulint::diagnose::{self, classify};
use skulint::table::columns::Channel;

/// The eight hints of the seed article (PowerSell's Stock Sync help, Indonesian),
/// verbatim, placeholders included, and the cause each one has.
const SEED_HINTS: [(&str, &str); 8] = [
    (
        "Kesalahan platform: Kesalahan terjadi karena toko Anda dalam mode liburan. Kami akan mencoba lagi segera setelah Anda mematikannya.",
        "vacation-mode",
    ),
    (
        "akses Anda ke toko telah kedaluwarsa | error_auth",
        "auth-expired",
    ),
    (
        "Error 501: Kesalahan terjadi karena kesalahan server dari platform. Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        "platform-server-error",
    ),
    (
        "Kesalahan platform: Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        "platform-server-error",
    ),
    (
        "Kesalahan platform: Platform memesan stok {jumlah stok yang dikhususkan untuk campaign} untuk kampanye. Kesalahan biasanya terjadi karena jumlah stok tertentu dicadangkan untuk kampanye atau penjualan kilat, yang perlu diperhitungkan dalam perencanaan stok Anda. Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        "below-campaign-reserve",
    ),
    (
        "Kesalahan platform: Platform membutuhkan setidaknya stok {jumlah stok dicadangkan untuk pesanan yang belum dibayar} untuk pemrosesan pesanan. Anda harus memasukkan jumlah stok yang sama atau lebih besar dari {jumlah stok yang dipesan untuk pesanan yang belum dibayar}.",
        "below-unpaid-reserve",
    ),
    (
        "Kesalahan platform: Tidak dapat menyinkronkan saham karena kesalahan yang tidak ditentukan. Kami akan mencoba lagi nanti.",
        "unknown",
    ),
    (
        "Kesalahan platform: Terjadi kesalahan server internal. Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        "platform-server-error",
    ),
];

#[test]
fn the_seed_hints_verbatim_get_their_causes() {
    for (message, cause) in SEED_HINTS {
        let d = classify(message, None);
        assert_eq!(d.cause.id, cause, "{message}");
        assert!(d.recognized, "{message}");
        assert!(d.numbers.is_empty(), "{message}: {:?}", d.numbers);
    }
}

#[test]
fn the_seed_hints_with_their_numbers_filled_in_capture_them() {
    let d = classify(
        "Kesalahan platform: Platform memesan stok 15 untuk kampanye. Kesalahan biasanya terjadi karena jumlah stok tertentu dicadangkan untuk kampanye atau penjualan kilat. Stok belum diperbarui. Kami akan mencoba lagi nanti.",
        None,
    );
    assert_eq!(d.cause.id, "below-campaign-reserve");
    assert_eq!(d.numbers.get("reserved"), Some(&15));
    let d = classify(
        "Kesalahan platform: Platform membutuhkan setidaknya stok 4 untuk pemrosesan pesanan. Anda harus memasukkan jumlah stok yang sama atau lebih besar dari 4.",
        None,
    );
    assert_eq!(d.cause.id, "below-unpaid-reserve");
    assert_eq!(d.numbers.get("unpaid"), Some(&4));
    let d = classify("Platform memesan stok 1.500 untuk kampanye Harbolnas", None);
    assert_eq!(d.numbers.get("reserved"), Some(&1500));
}

/// A number a message must yield: its name and value.
type Number = Option<(&'static str, i64)>;

/// API error bodies as the platforms return them (channel, body, cause, number).
const API_BODIES: [(&str, &str, &str, Number); 18] = [
    // Shopee Open Platform v2: `error` + `message`, update_stock `failure_list`.
    (
        "shopee",
        r#"{"request_id":"a1f0e6c2b7d94c3e9d0e5f6a7b8c9d0e","error":"invalid_acceess_token","message":"Invalid access_token."}"#,
        "auth-expired",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"b2e1f7d3c8e05d4f","error":"error_auth","message":"No permission. Please inform seller to complete the authorization."}"#,
        "auth-expired",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"c3f2a8e4d9f16e5a","error":"product.error_holiday_mode_change_stock","message":"Shop is in holiday mode, can not change stock."}"#,
        "vacation-mode",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"d4a3b9f5e0a27f6b","error":"error_server","message":"Something wrong. Please try later."}"#,
        "platform-server-error",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"e5b4c0a6f1b38a7c","error":"error_inner","message":"Our system is taking some time to respond, please try later."}"#,
        "platform-server-error",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"f6c5d1b7a2c49b8d","error":"error_system_busy","message":"The system is busy, please try again later."}"#,
        "platform-server-error",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"a7d6e2c8b3d50c9e","error":"error_rate_limit","message":"Request too frequent, please try again later."}"#,
        "rate-limited",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"b8e7f3d9c4e61d0f","error":"","message":"","warning":"","response":{"item_id":23938491611,"failure_list":[{"model_id":221464049917,"failed_reason":"Can not update item with stock less than reserved stock"}],"success_list":[]}}"#,
        "below-campaign-reserve",
        None,
    ),
    (
        "shopee",
        r#"{"request_id":"c9f8a4e0d5f72e1a","error":"error_sign","message":"Wrong sign."}"#,
        "bad-signature",
        None,
    ),
    // Lazada Open Platform: string `code`, `type`, `message`, `detail[]`.
    (
        "lazada",
        r#"{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired","request_id":"0b86d3f017052281000013e2d"}"#,
        "auth-expired",
        None,
    ),
    (
        "lazada",
        r#"{"code":"501","type":"ISP","message":"E0501: Update product failed","detail":[{"field":"SKU","message":"Negative sellable on channel inventory","seller_sku":"KAOS-HITAM-L"}],"request_id":"2101d8c117052281"}"#,
        "below-campaign-reserve",
        None,
    ),
    (
        "lazada",
        r#"{"code":"E501","message":"E501: Update product failed","detail":[{"field":"sellerSku","message":"negative sellable on channel inventory"}],"request_id":"2101d8c117052282"}"#,
        "below-campaign-reserve",
        None,
    ),
    (
        "lazada",
        r#"{"type":"ISV","code":"ApiCallLimit","message":"The request has exceeded the limit, this ban will last 27 seconds","request_id":"2101d8c117052283"}"#,
        "rate-limited",
        Some(("ban_seconds", 27)),
    ),
    (
        "lazada",
        r#"{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards","request_id":"2101d8c117052284"}"#,
        "bad-signature",
        None,
    ),
    // TikTok Shop: numeric `code`, `message`, `request_id`, `data.errors[]`.
    (
        "tiktok",
        r#"{"code":105002,"message":"Expired credentials. Please refresh your access_token.","request_id":"202401150930000101890810281E8C70B7"}"#,
        "auth-expired",
        None,
    ),
    (
        "tiktok",
        r#"{"code":36009002,"message":"Too many requests. You've made too many requests in a short period of time.","request_id":"202401150930000101890810281E8C70B8"}"#,
        "rate-limited",
        None,
    ),
    (
        "tiktok",
        r#"{"code":12052393,"message":"stock can't be updated below current stock","request_id":"202401150930000101890810281E8C70B9"}"#,
        "below-campaign-reserve",
        None,
    ),
    (
        "tiktok",
        r#"{"code":0,"data":{"errors":[{"code":12052393,"message":"Inventory update failed","detail":{"sku_id":"1729592969712207013","extra_errors":[{"warehouse_id":"7068517275539719942","code":12052393,"message":"Inventory update failed"}]}}]},"message":"Success","request_id":"202401150930000101890810281E8C70C0"}"#,
        "below-campaign-reserve",
        None,
    ),
];

fn channel(key: &str) -> Channel {
    Channel::ALL.into_iter().find(|c| c.key() == key).unwrap()
}

#[test]
fn api_error_bodies_get_their_causes_with_and_without_the_channel() {
    for (key, body, cause, number) in API_BODIES {
        for given in [None, Some(channel(key))] {
            let d = classify(body, given);
            assert_eq!(d.cause.id, cause, "{key} {given:?}: {body}");
            assert!(d.recognized, "{body}");
            if let Some((name, value)) = number {
                assert_eq!(d.numbers.get(name), Some(&value), "{body}");
            }
        }
    }
}

#[test]
fn an_api_error_code_names_its_channel() {
    let d = classify(r#"{"code":36009002,"message":"Too many requests."}"#, None);
    assert_eq!(d.channel, Some(Channel::Tiktok));
    let d = classify(r#"{"type":"ISV","code":"IllegalAccessToken"}"#, None);
    assert_eq!(d.channel, Some(Channel::Lazada));
    assert_eq!(classify("Stok belum diperbarui.", None).channel, None);
}

#[test]
fn channel_narrows_the_api_codes_but_not_the_words() {
    let tiktok_only = r#"{"code":36009002,"message":"x","request_id":"1"}"#;
    assert_eq!(classify(tiktok_only, None).cause.id, "rate-limited");
    let d = classify(tiktok_only, Some(Channel::Shopee));
    assert_eq!(d.cause.id, "unknown");
    assert!(!d.recognized);
    assert_eq!(
        classify(r#"{"error":"error_auth"}"#, Some(Channel::Lazada))
            .cause
            .id,
        "unknown"
    );
    // Words describe the same cause whatever the channel.
    for channel in Channel::ALL {
        assert_eq!(
            classify("Your shop is in vacation mode", Some(channel))
                .cause
                .id,
            "vacation-mode"
        );
    }
}

/// One message per cause and language (EN, ID, VI, TH) that is not among the
/// catalog's own examples.
const LANGUAGES: [(&str, &str); 34] = [
    (
        "vacation-mode",
        "Platform error: Stock could not be updated because the shop is on vacation.",
    ),
    (
        "vacation-mode",
        "Toko sedang dalam mode liburan, stok tidak dapat diubah.",
    ),
    (
        "vacation-mode",
        "Không thể cập nhật tồn kho: shop đang bật chế độ tạm nghỉ.",
    ),
    (
        "vacation-mode",
        "ไม่สามารถอัปเดตสต็อกได้ เนื่องจากร้านค้าเปิดโหมดวันหยุดอยู่",
    ),
    (
        "auth-expired",
        "Your access to the shop has expired | error_auth",
    ),
    (
        "auth-expired",
        "Otorisasi toko Lazada sudah kedaluwarsa, silakan sambungkan ulang toko.",
    ),
    (
        "auth-expired",
        "Ủy quyền cửa hàng đã hết hạn, vui lòng kết nối lại.",
    ),
    ("auth-expired", "การอนุญาตร้านค้าหมดอายุแล้ว กรุณาเชื่อมต่อใหม่"),
    (
        "below-campaign-reserve",
        "Platform error: Platform reserves 6 for the flash sale. Stock has not been updated.",
    ),
    (
        "below-campaign-reserve",
        "Stok 6 dicadangkan untuk flash sale, stok tidak boleh lebih kecil.",
    ),
    (
        "below-campaign-reserve",
        "Lỗi nền tảng: Nền tảng giữ 6 sản phẩm cho flash sale.",
    ),
    (
        "below-campaign-reserve",
        "แพลตฟอร์มสงวนสินค้า 6 ชิ้นสำหรับแฟลชเซล",
    ),
    (
        "below-unpaid-reserve",
        "Platform error: Platform needs at least 2 stock for unpaid orders.",
    ),
    (
        "below-unpaid-reserve",
        "Stok harus sama atau lebih besar dari jumlah pesanan yang belum dibayar.",
    ),
    (
        "below-unpaid-reserve",
        "Tồn kho phải lớn hơn số lượng đơn hàng chưa thanh toán.",
    ),
    (
        "below-unpaid-reserve",
        "สต็อกต้องไม่น้อยกว่าจำนวนคำสั่งซื้อที่ยังไม่ได้ชำระ",
    ),
    (
        "platform-server-error",
        "Platform error: An internal server error occurred. Stock has not been updated. We will try again later.",
    ),
    (
        "platform-server-error",
        "Kesalahan server: server sedang sibuk, coba lagi nanti.",
    ),
    (
        "platform-server-error",
        "Lỗi hệ thống, vui lòng thử lại sau.",
    ),
    ("platform-server-error", "ระบบขัดข้อง กรุณาลองใหม่ภายหลัง"),
    (
        "rate-limited",
        "Rate limit exceeded, retry after 30 seconds",
    ),
    ("rate-limited", "Terlalu banyak permintaan ke API Shopee."),
    ("rate-limited", "Bạn đã gửi quá nhiều yêu cầu."),
    ("rate-limited", "ส่งคำขอบ่อยเกินไป"),
    (
        "promotion-lock",
        "Cannot update stock during an ongoing flash sale.",
    ),
    (
        "promotion-lock",
        "Stok terkunci karena produk ikut kampanye.",
    ),
    (
        "auth-expired",
        "Token akses toko sudah kadaluarsa, silakan hubungkan kembali.",
    ),
    (
        "below-campaign-reserve",
        "ข้อผิดพลาดของแพลตฟอร์ม: แพลตฟอร์มจองสต็อก 5 ชิ้นสำหรับแคมเปญ",
    ),
    (
        "rate-limited",
        "Permintaan terlalu sering, coba lagi dalam beberapa detik.",
    ),
    (
        "platform-server-error",
        "Platform error: Stock hasn’t been updated. We will try again later.",
    ),
    (
        "unknown",
        "Platform error: Unable to sync stock due to an unknown error.",
    ),
    (
        "unknown",
        "Kesalahan yang tidak diketahui saat sinkronisasi stok.",
    ),
    ("unknown", "Đồng bộ thất bại vì lỗi không rõ."),
    ("unknown", "ซิงค์สต็อกไม่สำเร็จเนื่องจากข้อผิดพลาดที่ไม่ระบุ"),
];

#[test]
fn messages_in_each_language_get_their_causes() {
    let failures: Vec<String> = LANGUAGES
        .iter()
        .filter_map(|(cause, message)| {
            let d = classify(message, None);
            (d.cause.id != *cause || !d.recognized)
                .then(|| format!("{message:?}: {} (expected {cause})", d.cause.id))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn precedence_is_by_priority_not_by_order_of_words() {
    // "E501" alone is a server error; "negative sellable" wins over it.
    assert_eq!(
        classify("Error 501 server error", None).cause.id,
        "platform-server-error"
    );
    assert_eq!(
        classify(
            "E501: Update product failed: negative sellable on channel inventory",
            None
        )
        .cause
        .id,
        "below-campaign-reserve"
    );
    // An unspecified error is unknown even though it is a "Kesalahan platform".
    assert_eq!(
        classify("Kesalahan platform: kesalahan yang tidak ditentukan", None)
            .cause
            .id,
        "unknown"
    );
}

#[test]
fn an_e501_on_a_double_spaced_sku_is_the_skus_format_with_the_position() {
    let message = "Error 501: Kesalahan terjadi karena kesalahan server dari platform. Stok belum diperbarui. Kami akan mencoba lagi nanti.";
    let d = skulint::engine::diagnose(message, None, Some("KAOS  HITAM-M"));
    assert_eq!(d.cause.id, "sku-format");
    assert!(!d.cause.retryable);
    let finding = d
        .sku_findings
        .iter()
        .find(|f| f.code == "SKU001")
        .expect("SKU001");
    assert_eq!(finding.highlight, vec![(4, 6)]);
    let (shown, carets) = skulint::text::visible_with_carets(&finding.value, &finding.highlight);
    assert_eq!(shown, "KAOS␣␣HITAM-M");
    assert_eq!(carets, "    ^^");

    let d = skulint::engine::diagnose("E501", None, Some("KAOS\u{200B}HITAM-M"));
    assert_eq!(d.cause.id, "sku-format");
    assert!(d.sku_findings.iter().any(|f| f.code == "SKU003"));

    // A clean SKU leaves the server error a server error.
    let d = skulint::engine::diagnose(message, None, Some("KAOS-HITAM-M"));
    assert_eq!(d.cause.id, "platform-server-error");
    assert!(d.sku_findings.is_empty());
    // Without a SKU the diagnosis says to check it.
    let d = skulint::engine::diagnose(message, None, None);
    assert_eq!(d.cause.id, "platform-server-error");
    assert!(d.note.as_deref().is_some_and(|n| n.contains("--sku")));
}

#[test]
fn the_sku_decides_only_between_a_server_error_and_its_format() {
    // A campaign reserve stays a campaign reserve; the SKU's findings are still shown.
    let body = r#"{"code":"501","message":"E0501: Update product failed","detail":[{"message":"Negative sellable on channel inventory"}]}"#;
    let d = skulint::engine::diagnose(body, None, Some("KAOS  HITAM-M"));
    assert_eq!(d.cause.id, "below-campaign-reserve");
    assert!(d.sku_findings.iter().any(|f| f.code == "SKU001"));
    // Not an E501: the SKU does not change the cause.
    let d = skulint::engine::diagnose("error_server", None, Some("KAOS  HITAM-M"));
    assert_eq!(d.cause.id, "platform-server-error");
}

#[test]
fn the_sku_in_an_api_body_is_checked_with_the_channels_profile() {
    let body = r#"{"code":"501","type":"ISP","message":"E0501: Update product failed","detail":[{"field":"SellerSku","message":"Update failed","seller_sku":"DMP  KLT-HTM"}],"request_id":"2101d8c1"}"#;
    let d = skulint::engine::diagnose(body, None, None);
    assert_eq!(d.sku.as_deref(), Some("DMP  KLT-HTM"));
    assert_eq!(d.cause.id, "sku-format");
    // TikTok Shop rejects any space: SKU009 with the TikTok profile.
    let findings = skulint::rules::sku_findings("HJB PSM", Channel::Tiktok);
    assert!(findings.iter().any(|f| f.code == "SKU009"), "{findings:?}");
    assert!(skulint::rules::sku_findings("HJB PSM", Channel::Shopee).is_empty());
}

#[test]
fn a_sku_that_reads_like_an_instruction_is_still_checked() {
    for sku in [
        "Wajib",
        "Masukkan  kode variasi untuk setiap produk",
        "sales_info",
    ] {
        assert!(
            !skulint::rules::sku_findings(&format!("{sku} "), Channel::Generic).is_empty(),
            "{sku:?}"
        );
    }
}

#[test]
fn retry_decisions_come_from_the_cause() {
    let d = classify(
        r#"{"code":"ApiCallLimit","message":"this ban will last 5 seconds"}"#,
        None,
    );
    assert!(d.cause.retryable && !d.cause.stops_run);
    assert_eq!(d.numbers["ban_seconds"], 5);
    let d = classify(r#"{"error":"error_auth"}"#, None);
    assert!(!d.cause.retryable && d.cause.stops_run);
    assert!(classify("error_sign", None).cause.stops_run);
    assert!(classify("error_server", None).cause.retryable);
    assert!(!classify("negative sellable", None).cause.retryable);
}

#[test]
fn an_unrecognised_message_falls_back_to_unknown() {
    let d = classify("Terjadi sesuatu yang aneh", None);
    assert_eq!(d.cause.id, "unknown");
    assert!(!d.recognized);
    assert!(d.cause.fallback);
    assert!(!d.cause.steps.is_empty());
}

/// `skulint explain` with an error code or message words.
fn explain(query: &str) -> Option<String> {
    let output = assert_cmd::Command::cargo_bin("skulint")
        .unwrap()
        .args(["explain", query])
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap())
}

#[test]
fn explain_e501_lists_every_cause_and_rule_tied_to_it() {
    let text = explain("E501").expect("E501 is known");
    for needle in [
        "sku-format",
        "below-campaign-reserve",
        "platform-server-error",
        "SKU001",
        "SKU003",
        "STK002",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert!(!text.contains("vacation-mode"), "{text}");
    let text = explain("error_auth").unwrap();
    assert!(
        text.contains("auth-expired") && !text.contains("sku-format"),
        "{text}"
    );
    assert!(explain("xyzzy").is_none());
    assert!(explain("  ").is_none());
}

#[test]
fn the_misread_messages_get_the_cause_that_tells_the_seller_what_to_do() {
    // "must be greater than the quantity on promotion" is a reserve to reach,
    // not a lock to wait out.
    let d = classify(
        "Số lượng tồn kho phải lớn hơn số lượng đang khuyến mãi",
        None,
    );
    assert_eq!(d.cause.id, "below-campaign-reserve");
    assert!(
        d.steps()
            .iter()
            .any(|s| s.contains("at least the reserved amount"))
    );
    for (message, name, value) in [
        (
            "Gagal update stok: stok tidak boleh lebih kecil dari stok promosi (10)",
            "reserved",
            10,
        ),
        (
            "Stok kampanye (12): stok lebih rendah dari stok kampanye.",
            "reserved",
            12,
        ),
        (
            "Tồn kho phải lớn hơn hoặc bằng số lượng khuyến mãi (10)",
            "reserved",
            10,
        ),
        ("สต็อกต้องไม่น้อยกว่าจำนวนที่สงวนไว้สำหรับแคมเปญ (5)", "reserved", 5),
        (
            "Tồn kho phải lớn hơn số lượng trong đơn hàng chưa thanh toán (2)",
            "unpaid",
            2,
        ),
        (
            "Stock cannot be lower than the quantity in unpaid orders (3)",
            "unpaid",
            3,
        ),
        (
            "Failed to update stock for item 23938491611: the item has been deleted or does not exist",
            "item_id",
            23938491611,
        ),
    ] {
        let d = classify(message, None);
        assert!(d.recognized, "{message}");
        assert_eq!(
            d.numbers.get(name),
            Some(&value),
            "{message}: {:?}",
            d.numbers
        );
    }
}

#[test]
fn a_pasted_message_is_cleaned_and_names_its_channel() {
    let d = classify(
        "[Shopee] 14:02 · Stock &amp; price can&#39;t be updated:&nbsp;the shop is in<br>vacation mode",
        None,
    );
    assert_eq!(d.cause.id, "vacation-mode");
    assert_eq!(d.channel, Some(Channel::Shopee));
    // The time of the prefix and error codes are not amounts.
    let d = classify(
        "[Lazada] 09:15 · Error 501: stok tidak boleh di bawah stok kampanye (7)",
        None,
    );
    assert_eq!(d.cause.id, "below-campaign-reserve");
    assert_eq!(d.numbers.len(), 1, "{:?}", d.numbers);
    assert_eq!(d.numbers["reserved"], 7);
    assert_eq!(d.channel, Some(Channel::Lazada));
    // Two channels named: none is assumed.
    let d = classify("Shopee and Lazada: the access token has expired", None);
    assert_eq!(d.channel, None);
}

#[test]
fn steps_are_the_channels_own_where_it_is_known_and_vendor_neutral_always() {
    let auth = diagnose::catalog().cause("auth-expired").unwrap();
    let neutral = auth.steps_for(None);
    assert!(
        neutral[0].contains("your multichannel tool"),
        "{}",
        neutral[0]
    );
    for channel in [Channel::Shopee, Channel::Lazada, Channel::Tiktok] {
        let steps = auth.steps_for(Some(channel));
        assert_eq!(steps.len(), neutral.len());
        assert_ne!(steps[0], neutral[0], "{channel:?}");
        assert!(
            steps[0].contains(&channel.profile().title.replace(" Shop", "")),
            "{channel:?}: {}",
            steps[0]
        );
    }
    // A generic export has no channel wording: the neutral steps.
    assert_eq!(auth.steps_for(Some(Channel::Generic)), neutral);
    for cause in &diagnose::catalog().causes {
        for channel in [
            None,
            Some(Channel::Shopee),
            Some(Channel::Lazada),
            Some(Channel::Tiktok),
        ] {
            for step in cause.steps_for(channel) {
                assert!(
                    !step.contains("http") && !step.contains("www."),
                    "{}: a step quotes a URL: {step}",
                    cause.id
                );
            }
        }
    }
    // The channel named by an API error code picks the steps.
    let d = classify(r#"{"code":105002,"message":"Expired credentials."}"#, None);
    assert!(d.steps()[0].contains("TikTok Shop"), "{:?}", d.steps());
}

#[test]
fn the_shape_of_an_api_body_names_its_channel() {
    for (body, channel) in [
        (
            r#"{"code":"500","type":"ISV","message":"SellerSku ABC-9 does not exist","request_id":"2141"}"#,
            Channel::Lazada,
        ),
        (
            r#"{"request_id":"a0b1","error":"","message":"","response":{"failure_list":[{"model_id":1,"failed_reason":"The item has been deleted."}]}}"#,
            Channel::Shopee,
        ),
        (
            r#"{"code":12019022,"message":"SKU ID does not exist.","request_id":"20240315"}"#,
            Channel::Tiktok,
        ),
    ] {
        let d = classify(body, None);
        assert_eq!(d.channel, Some(channel), "{body}");
        assert!(d.recognized, "{body}");
    }
}

#[test]
fn related_rules_exist() {
    let codes: std::collections::BTreeSet<&str> = skulint::rules::catalog()
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    for cause in &skulint::diagnose::catalog().causes {
        for code in cause
            .related_rules
            .iter()
            .chain(cause.sku_evidence.iter().flat_map(|e| &e.rules))
        {
            assert!(
                codes.contains(code.as_str()),
                "{}: unknown rule {code}",
                cause.id
            );
        }
    }
}
