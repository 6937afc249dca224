//! Writes a synthetic marketplace export for benchmarks: N variation rows in the
//! layout of a real channel export, with products named in Indonesian,
//! Vietnamese and Thai, four variations per product, and set shares of the
//! faults skulint finds. The same seed gives the same file.
//!
//! cargo bench --bench generate -- --rows 100000 --layout shopee --out /tmp/x.xlsx
//!
//! Layouts follow the fixtures: `shopee` is fixtures/demo-shopee-sales-info.xlsx
//! (machine keys, `sales_info` marker, Indonesian labels, a note in row 6, data
//! from row 7, ids/prices/stock as text), `lazada` is fixtures/lazada-price-stock.xlsx
//! (visible `template` sheet with four header rows, hidden `template_hide` with the
//! machine keys), `tiktok` is fixtures/tiktok-batch-edit.xlsx (five header rows)
//! and `csv` is a plain one-header-row multichannel listing.
//!
//! `--shops N` lists every row once per shop, shop after shop, in a Shop column
//! put first (`shopee` and `csv`): the file has N × `--rows` data rows but the
//! same distinct SKUs, and none of the repeats is a duplicate, since duplicate
//! rules compare SKUs within one shop. With one shop there is no Shop column.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, Worksheet, XlsxError};

#[derive(Parser)]
#[command(
    name = "generate",
    about = "Write a synthetic listing export for skulint's benchmarks"
)]
pub struct Args {
    /// Variation (data) rows.
    #[arg(long, default_value_t = 10_000)]
    rows: u32,
    #[arg(long, value_enum, default_value_t = Layout::Shopee)]
    layout: Layout,
    /// Output file (.xlsx, or .csv for --layout csv).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Shops that list the same rows (layouts shopee and csv): every row is
    /// written once per shop, in a Shop column; 1 writes no Shop column.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    shops: u32,
    /// Share of SKUs with a double space inside.
    #[arg(long, default_value_t = 0.01)]
    double_spaces: f64,
    /// Share of SKUs with an invisible character (no-break or zero-width space).
    #[arg(long, default_value_t = 0.005)]
    invisibles: f64,
    /// Share of rows whose SKU repeats the row above (a copy-paste slip).
    #[arg(long, default_value_t = 0.005)]
    duplicates: f64,
    /// Share of rows with blank, negative, fractional or non-numeric stock.
    #[arg(long, default_value_t = 0.005)]
    bad_stock: f64,
    /// `cargo bench` adds this flag; it is ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Layout {
    Shopee,
    Lazada,
    Tiktok,
    Csv,
}

/// Words that product names are made of, per language: product type with its SKU
/// prefix, attributes, materials or styles, colours with their SKU code.
struct Language {
    types: &'static [(&'static str, &'static str)],
    attributes: &'static [&'static str],
    materials: &'static [&'static str],
    colours: &'static [(&'static str, &'static str)],
}

const INDONESIAN: Language = Language {
    types: &[
        ("Kaos Polos", "KAOS-PLS"),
        ("Kemeja Flanel Pria", "KMJ-FLN"),
        ("Celana Cargo Pria", "CLN-CRG"),
        ("Celana Chino Slim Fit", "CHN-SLM"),
        ("Hijab Pashmina Plisket", "HJB-PSM"),
        ("Gamis Syari Jumbo", "GMS-JMB"),
        ("Tas Selempang Wanita", "TAS-SLP"),
        ("Dompet Kulit Pria Lipat", "DMP-KLT"),
        ("Sepatu Sneakers Wanita", "SPT-SNK"),
        ("Jaket Hoodie Oversize Unisex", "HDI-OVS"),
        ("Rok Plisket Panjang", "ROK-PLS"),
        ("Blouse Wanita Lengan Panjang", "BLS-WNT"),
    ],
    attributes: &[
        "Premium",
        "Terbaru",
        "Original",
        "Anti Air",
        "Lengan Panjang",
        "Oversize",
        "Termurah",
        "Import",
        "Best Seller",
        "Kekinian",
    ],
    materials: &[
        "Cotton Combed 30s",
        "Katun Jepang",
        "Linen Rami",
        "Kanvas Tebal",
        "Kulit Sintetis",
        "Ceruty Babydoll",
        "Rajut Halus",
        "Denim Stretch",
    ],
    colours: &[
        ("Hitam", "HTM"),
        ("Putih", "PTH"),
        ("Navy", "NVY"),
        ("Merah", "MRH"),
        ("Abu", "ABU"),
        ("Mocca", "MCA"),
        ("Coklat", "CKL"),
        ("Sage", "SGE"),
    ],
};

const VIETNAMESE: Language = Language {
    types: &[
        ("Áo thun nam cổ tròn", "AO-THUN"),
        ("Áo sơ mi nữ tay dài", "AO-SMI"),
        ("Quần jean nữ ống rộng", "QJ-ONG"),
        ("Đầm maxi hoa nhí", "DAM-MXI"),
        ("Váy xếp ly dáng dài", "VAY-XLY"),
        ("Túi xách nữ đeo chéo", "TUI-XCH"),
        ("Giày thể thao nữ", "GIAY-TT"),
        ("Áo khoác gió chống nước", "AK-GIO"),
        ("Quần tây nam công sở", "QT-NAM"),
        ("Nón bucket thời trang", "NON-BKT"),
    ],
    attributes: &[
        "cao cấp",
        "hàng mới về",
        "phong cách Hàn Quốc",
        "dáng suông",
        "siêu nhẹ",
        "giá rẻ",
        "chính hãng",
        "form rộng",
    ],
    materials: &[
        "vải cotton 100%",
        "lụa mềm mịn",
        "kaki co giãn",
        "da tổng hợp",
        "len dệt kim",
        "vải đũi",
    ],
    colours: &[
        ("Đen", "DEN"),
        ("Trắng", "TRG"),
        ("Xanh navy", "NVY"),
        ("Đỏ đô", "DDO"),
        ("Xám", "XAM"),
        ("Be", "BE"),
        ("Hồng", "HNG"),
    ],
};

const THAI: Language = Language {
    types: &[
        ("เสื้อยืดคอกลม", "TSH-CK"),
        ("กางเกงยีนส์ขายาว", "JNS-LG"),
        ("กระเป๋าสะพายข้าง", "BAG-SD"),
        ("รองเท้าผ้าใบ", "SNK-CV"),
        ("ชุดเดรสยาว", "DRS-LG"),
        ("เสื้อเชิ้ตแขนยาว", "SHT-LS"),
        ("หมวกบักเก็ต", "HAT-BK"),
        ("กางเกงขาสั้นผู้ชาย", "SHT-MN"),
    ],
    attributes: &[
        "พรีเมียม",
        "ทรงโอเวอร์ไซส์",
        "กันน้ำ",
        "สไตล์เกาหลี",
        "ใส่สบาย",
        "ราคาถูก",
        "ของแท้",
    ],
    materials: &[
        "ผ้าฝ้าย 100%",
        "ผ้าลินิน",
        "ผ้าไหม",
        "หนังเทียม",
        "ผ้ายีนส์",
        "ลายดอกไม้",
    ],
    colours: &[
        ("ดำ", "BLK"),
        ("ขาว", "WHT"),
        ("กรมท่า", "NVY"),
        ("แดง", "RED"),
        ("เทา", "GRY"),
        ("ครีม", "CRM"),
    ],
};

const SIZES: &[&str] = &[
    "S", "M", "L", "XL", "XXL", "All Size", "38", "39", "40", "41",
];
const VARIATIONS_PER_PRODUCT: u32 = 4;

/// One listing row (a variation of a product).
struct Row {
    product_id: u64,
    variation_id: u64,
    product_name: String,
    /// Colour, size.
    colour: &'static str,
    size: &'static str,
    /// Only on the first variation of a product, as Shopee exports it.
    parent_sku: Option<String>,
    sku: String,
    price: u32,
    stock: Stock,
    category: u32,
}

enum Stock {
    Count(i64),
    Text(&'static str),
    Fraction(f64),
    Blank,
}

impl Stock {
    fn text(&self) -> String {
        match self {
            Stock::Count(n) => n.to_string(),
            Stock::Text(t) => t.to_string(),
            Stock::Fraction(f) => f.to_string(),
            Stock::Blank => String::new(),
        }
    }
}

/// Makes rows product by product, with the faults planted at the set shares.
struct Rows {
    rng: fastrand::Rng,
    args_shares: [f64; 4],
    index: u32,
    product: Product,
    previous_sku: String,
}

struct Product {
    id: u64,
    name: String,
    prefix: String,
    colours: Vec<(&'static str, &'static str)>,
    sizes: Vec<&'static str>,
    price: u32,
    category: u32,
}

impl Rows {
    fn new(args: &Args) -> Rows {
        let mut rng = fastrand::Rng::with_seed(args.seed);
        let product = Product::new(&mut rng, 0);
        Rows {
            rng,
            args_shares: [
                args.double_spaces,
                args.invisibles,
                args.duplicates,
                args.bad_stock,
            ],
            index: 0,
            product,
            previous_sku: String::new(),
        }
    }

    fn next_row(&mut self) -> Row {
        let variation = self.index % VARIATIONS_PER_PRODUCT;
        if variation == 0 && self.index > 0 {
            self.product = Product::new(&mut self.rng, self.index / VARIATIONS_PER_PRODUCT);
        }
        let product = &self.product;
        let (colour, colour_code) = product.colours[variation as usize / 2];
        let size = product.sizes[variation as usize % 2];
        let size_code: String = size.split_whitespace().collect();
        let mut sku = format!(
            "{}-{:06}-{colour_code}-{}",
            product.prefix,
            self.index / VARIATIONS_PER_PRODUCT,
            size_code.to_uppercase()
        );
        let [double_spaces, invisibles, duplicates, bad_stock] = self.args_shares;
        let rng = &mut self.rng;
        if rng.f64() < double_spaces {
            sku = sku.replacen('-', "  ", 1);
        }
        if rng.f64() < invisibles {
            let invisible = ['\u{00A0}', '\u{200B}', '\u{FEFF}'][rng.usize(0..3)];
            match invisible {
                '\u{00A0}' => sku = sku.replacen('-', "\u{00A0}", 1),
                _ => sku.push(invisible),
            }
        }
        if variation > 0 && rng.f64() < duplicates {
            sku = self.previous_sku.clone();
        }
        let stock = if rng.f64() < bad_stock {
            match rng.u8(0..4) {
                0 => Stock::Blank,
                1 => Stock::Count(-(rng.i64(1..10))),
                2 => Stock::Fraction(rng.u8(1..20) as f64 + 0.5),
                _ => Stock::Text("N/A"),
            }
        } else {
            Stock::Count(rng.i64(0..500))
        };
        self.previous_sku = sku.clone();
        let row = Row {
            product_id: product.id,
            variation_id: 150_000_000_000 + self.index as u64 * 7 + rng.u64(0..7),
            product_name: product.name.clone(),
            colour,
            size,
            parent_sku: (variation == 0).then(|| {
                format!(
                    "{}-{:06}",
                    product.prefix,
                    self.index / VARIATIONS_PER_PRODUCT
                )
            }),
            sku,
            price: product.price,
            stock,
            category: product.category,
        };
        self.index += 1;
        row
    }
}

impl Product {
    fn new(rng: &mut fastrand::Rng, number: u32) -> Product {
        let language = match rng.u8(0..4) {
            0 | 1 => &INDONESIAN,
            2 => &VIETNAMESE,
            _ => &THAI,
        };
        let (kind, prefix) = language.types[rng.usize(0..language.types.len())];
        let attribute = language.attributes[rng.usize(0..language.attributes.len())];
        let material = language.materials[rng.usize(0..language.materials.len())];
        let name = format!("{kind} {material} {attribute}");
        let mut colours = language.colours.to_vec();
        rng.shuffle(&mut colours);
        let first_size = rng.usize(0..SIZES.len() - 1);
        Product {
            id: 20_000_000_000 + number as u64 * 13 + rng.u64(0..13),
            name,
            prefix: prefix.to_string(),
            colours: colours[..2].to_vec(),
            sizes: vec![SIZES[first_size], SIZES[first_size + 1]],
            price: rng.u32(15..500) * 1000 - 100 * rng.u32(0..2),
            category: 100_000 + rng.u32(0..900),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.shops > 1 && !matches!(args.layout, Layout::Shopee | Layout::Csv) {
        Args::command()
            .error(
                ErrorKind::ArgumentConflict,
                "--shops is supported for the shopee and csv layouts only",
            )
            .exit();
    }
    generate(&args)
}

/// Writes the export that `args` describe (tests/generated.rs calls it too).
pub fn generate(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    match args.layout {
        Layout::Csv => write_csv(args)?,
        layout => {
            let mut workbook = Workbook::new();
            // A set creation date, not the clock's: the same seed gives the same bytes.
            let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
            workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
            match layout {
                Layout::Shopee => shopee(workbook.add_worksheet(), args)?,
                Layout::Lazada => lazada(&mut workbook, args, &mut Rows::new(args))?,
                Layout::Tiktok => tiktok(workbook.add_worksheet(), args, &mut Rows::new(args))?,
                Layout::Csv => unreachable!(),
            }
            workbook.save(&args.out)?;
        }
    }
    Ok(())
}

/// Names of the shops that list the same rows, as sellers with several shops
/// name them.
const SHOP_NAMES: &[&str] = &[
    "Toko Sinar Jaya",
    "Grosir Murah Official",
    "Butik Melati",
    "Kedai Fashion Bandung",
];

fn shop_name(shop: u32) -> String {
    match SHOP_NAMES.get(shop as usize) {
        Some(name) => name.to_string(),
        None => format!("Toko Cabang {}", shop + 1),
    }
}

/// The rows of every shop, shop after shop: each shop lists the same rows
/// (the same seed), so the distinct SKUs do not grow with the shops. The shop
/// is `None` when there is one shop, written without a Shop column.
fn shop_rows(args: &Args) -> impl Iterator<Item = (Option<String>, Row)> + '_ {
    (0..args.shops).flat_map(move |shop| {
        let name = (args.shops > 1).then(|| shop_name(shop));
        let mut rows = Rows::new(args);
        (0..args.rows).map(move |_| (name.clone(), rows.next_row()))
    })
}

/// `cells`, after a Shop column cell when the file has one.
fn with_shop<'a>(shop: Option<&'a str>, cells: &[&'a str]) -> Vec<&'a str> {
    shop.into_iter().chain(cells.iter().copied()).collect()
}

fn header(sheet: &mut Worksheet, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
    for (col, text) in cells.iter().enumerate() {
        if !text.is_empty() {
            sheet.write_string(row, col as u16, *text)?;
        }
    }
    Ok(())
}

/// Text cells, as Shopee exports every id, price and stock.
fn texts(sheet: &mut Worksheet, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
    header(sheet, row, cells)
}

fn shopee(sheet: &mut Worksheet, args: &Args) -> Result<(), XlsxError> {
    sheet.set_name("Sheet1")?;
    // The Shop column comes first, with a machine key and an Indonesian label
    // like the others; the rest of the header rows are Shopee's own.
    let shops = args.shops > 1;
    let (key, marker, label) = if shops {
        (Some("shop"), Some(""), Some("Toko"))
    } else {
        (None, None, None)
    };
    header(
        sheet,
        0,
        &with_shop(
            key,
            &[
                "et_title_product_id",
                "et_title_product_name",
                "et_title_variation_id",
                "et_title_variation_name",
                "et_title_parent_sku",
                "et_title_variation_sku",
                "et_title_variation_price",
                "et_title_variation_stock",
                "et_title_reason",
            ],
        ),
    )?;
    header(
        sheet,
        1,
        &with_shop(
            marker,
            &["sales_info", "6f1c3c2b0d8e4f7a9b5c1d2e3f4a5b6c", "0"],
        ),
    )?;
    header(
        sheet,
        2,
        &with_shop(
            label,
            &[
                "Kode Produk",
                "Nama Produk",
                "Kode Variasi",
                "Nama Variasi",
                "SKU Induk",
                "SKU",
                "Harga",
                "Stok",
                "Alasan Gagal",
            ],
        ),
    )?;
    sheet.write_string(
        5,
        6 + u16::from(shops),
        "Batas harga produk termahal dibagi harga produk termurah: 9900000",
    )?;
    for (index, (shop, row)) in shop_rows(args).enumerate() {
        let excel_row = 6 + u32::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)?;
        let product_id = row.product_id.to_string();
        let variation_id = row.variation_id.to_string();
        let variation = format!("{},{}", row.colour, row.size);
        let price = row.price.to_string();
        let stock = row.stock.text();
        texts(
            sheet,
            excel_row,
            &with_shop(
                shop.as_deref(),
                &[
                    &product_id,
                    &row.product_name,
                    &variation_id,
                    &variation,
                    row.parent_sku.as_deref().unwrap_or(""),
                    &row.sku,
                    &price,
                    &stock,
                ],
            ),
        )?;
    }
    Ok(())
}

const LAZADA_COLUMNS: [(&str, &str, &str); 15] = [
    ("Product ID", "id", "Not editable"),
    ("catId", "catId", "Not editable"),
    ("Product Name", "name", "Not editable"),
    ("currencyCode", "currencyCode", "Not editable"),
    ("sku.skuId", "sku.skuId", "Not editable"),
    ("status", "sku.status", "Optional"),
    ("Shop SKU", "sku.ShopSku", "Not editable"),
    ("SpecialPrice", "sku.special_price", "Optional"),
    ("SpecialPrice Start", "sku.special_from_time", "Optional"),
    ("SpecialPrice End", "sku.special_to_time", "Optional"),
    ("Price", "sku.price", "Mandatory"),
    ("SellerSKU", "sku.SellerSku", "Optional"),
    ("Quantity", "sku.quantity", "Mandatory"),
    ("Variations Combo", "sku.variation", "Not editable"),
    (
        "tr(s-wb-product@md5key)",
        "tr(s-wb-product@md5key)",
        "Not editable",
    ),
];

fn lazada(workbook: &mut Workbook, args: &Args, rows: &mut Rows) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name("template")?;
    header(sheet, 0, &LAZADA_COLUMNS.map(|c| c.0))?;
    header(sheet, 1, &LAZADA_COLUMNS.map(|c| c.2))?;
    let dont = "Do not edit this column.";
    header(
        sheet,
        2,
        &[
            dont,
            dont,
            dont,
            dont,
            dont,
            "active / inactive",
            dont,
            "Sale price, lower than Price.",
            "yyyy-mm-dd hh:mm",
            "yyyy-mm-dd hh:mm",
            "Price in IDR, numbers only.",
            "Your own SKU code, up to 200 characters.",
            "Sellable stock in your warehouse, 0-999999.",
            dont,
            dont,
        ],
    )?;
    sheet.write_string(
        3,
        0,
        "Changes to columns marked Not editable are ignored when the file is uploaded.",
    )?;
    let mut key_hash = fastrand::Rng::with_seed(args.seed ^ 0x5eed);
    for index in 0..args.rows {
        let row = rows.next_row();
        let r = 4 + index;
        let product_id = (row.product_id / 10).to_string();
        let sku_id = (row.variation_id / 20).to_string();
        let md5: String = (0..32)
            .map(|_| char::from_digit(key_hash.u32(0..16), 16).unwrap())
            .collect();
        texts(
            sheet,
            r,
            &[
                &product_id,
                &row.category.to_string(),
                &row.product_name,
                "IDR",
                &sku_id,
                "active",
                &format!("{product_id}_ID-{sku_id}"),
            ],
        )?;
        sheet.write_number(r, 10, row.price as f64)?;
        sheet.write_string(r, 11, &row.sku)?;
        write_stock(sheet, r, 12, &row.stock)?;
        sheet.write_string(r, 13, format!("{}, {}", row.colour, row.size))?;
        sheet.write_string(r, 14, &md5)?;
    }
    let hidden = workbook.add_worksheet();
    hidden.set_name("template_hide")?;
    hidden.set_hidden(true);
    header(hidden, 0, &LAZADA_COLUMNS.map(|c| c.1))?;
    Ok(())
}

/// Stock as a number cell (Lazada, TikTok); faults keep their text or blank.
fn write_stock(sheet: &mut Worksheet, row: u32, col: u16, stock: &Stock) -> Result<(), XlsxError> {
    match stock {
        Stock::Count(n) => sheet.write_number(row, col, *n as f64).map(|_| ()),
        Stock::Fraction(f) => sheet.write_number(row, col, *f).map(|_| ()),
        Stock::Text(t) => sheet.write_string(row, col, *t).map(|_| ()),
        Stock::Blank => Ok(()),
    }
}

fn tiktok(sheet: &mut Worksheet, args: &Args, rows: &mut Rows) -> Result<(), XlsxError> {
    sheet.set_name("Template")?;
    header(
        sheet,
        0,
        &[
            "product_id",
            "category",
            "product_name",
            "sku_id",
            "property_value_1",
            "property_value_2",
            "price",
            "quantity",
            "seller_sku",
        ],
    )?;
    header(sheet, 1, &["V4", "edit_product", "metric"])?;
    header(
        sheet,
        2,
        &[
            "Product ID",
            "Category",
            "Product Name",
            "SKU ID",
            "Variation 1 (Colour)",
            "Variation 2 (Size)",
            "Retail Price (Local Currency)",
            "Quantity",
            "Seller SKU",
        ],
    )?;
    header(
        sheet,
        3,
        &[
            "Mandatory",
            "Optional",
            "Mandatory",
            "Mandatory",
            "Optional",
            "Optional",
            "Mandatory",
            "Mandatory",
            "Optional",
        ],
    )?;
    header(
        sheet,
        4,
        &[
            "Do not edit. Used to identify the product.",
            "Copy a category name & ID from the system.",
            "Fewer than 255 characters.",
            "Do not edit. Used to identify the SKU.",
            "Up to 50 characters.",
            "Up to 50 characters.",
            "Only positive numbers are accepted.",
            "Your product stock. Only positive numbers are accepted.",
            "Identifier of a stock keeping unit from the seller, up to 50 characters, no spaces.",
        ],
    )?;
    for index in 0..args.rows {
        let row = rows.next_row();
        let r = 5 + index;
        let product_id = (1_729_384_756_000_000_000 + row.product_id).to_string();
        let sku_id = (1_729_384_756_000_000_000 + row.variation_id).to_string();
        let category = format!("{}/Fashion/Apparel", 600_000 + row.category);
        texts(
            sheet,
            r,
            &[
                &product_id,
                &category,
                &row.product_name,
                &sku_id,
                row.colour,
                row.size,
            ],
        )?;
        sheet.write_number(r, 6, row.price as f64)?;
        write_stock(sheet, r, 7, &row.stock)?;
        sheet.write_string(r, 8, &row.sku)?;
    }
    Ok(())
}

fn write_csv(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let file = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    let mut writer = csv::Writer::from_writer(file);
    let shop_label = (args.shops > 1).then_some("Shop");
    writer.write_record(with_shop(
        shop_label,
        &[
            "Product ID",
            "Variation ID",
            "Product Name",
            "Variation",
            "Parent SKU",
            "SKU",
            "Price",
            "Stock",
        ],
    ))?;
    for (shop, row) in shop_rows(args) {
        writer.write_record(with_shop(
            shop.as_deref(),
            &[
                row.product_id.to_string().as_str(),
                &row.variation_id.to_string(),
                &row.product_name,
                &format!("{}, {}", row.colour, row.size),
                row.parent_sku.as_deref().unwrap_or(""),
                &row.sku,
                &row.price.to_string(),
                &row.stock.text(),
            ],
        ))?;
    }
    writer.into_inner()?.flush()?;
    Ok(())
}
