//! Any grid of cells, with any user overrides: header, channel and column
//! detection never panic, and the tables they find point inside the sheet.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use skulint::table::{Format, Role, Sheet, TableSpec, Value, Visibility, Workbook, layout};

/// Header words the detector knows, so the fuzzer reaches real tables quickly.
const WORDS: &[&str] = &[
    "SKU",
    "Seller SKU",
    "Stok",
    "Stock",
    "Parent SKU",
    "et_title_variation_sku",
    "et_title_variation_stock",
    "sales_info",
    "Wajib",
    "Mandatory",
    "Product ID",
    "sku.SellerSku",
    "seller_sku",
    "Kode Variasi",
    "Harga",
    "Reserved Stock",
    "",
];

#[derive(Arbitrary, Debug)]
enum Cell {
    Empty,
    Word(u8),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Arbitrary, Debug)]
struct Input {
    sheets: Vec<(String, bool, Vec<Vec<Cell>>)>,
    header_row: Option<u8>,
    sku_column: Option<String>,
    stock_column: Option<String>,
    sheet: Option<String>,
}

fuzz_target!(|input: Input| {
    let sheets = input
        .sheets
        .into_iter()
        .take(4)
        .map(|(name, hidden, rows)| Sheet {
            name: name.into(),
            visibility: if hidden {
                Visibility::Hidden
            } else {
                Visibility::Visible
            },
            rows: rows
                .into_iter()
                .take(200)
                .map(|row| {
                    row.into_iter()
                        .take(64)
                        .map(|cell| match cell {
                            Cell::Empty => Value::Empty,
                            Cell::Word(i) => Value::Text(WORDS[i as usize % WORDS.len()].into()),
                            Cell::Text(t) => Value::Text(t),
                            Cell::Int(n) => Value::Int(n),
                            Cell::Float(f) => Value::Float(f),
                            Cell::Bool(b) => Value::Bool(b),
                        })
                        .collect()
                })
                .collect(),
            ..Sheet::default()
        })
        .collect();
    let workbook = Workbook {
        path: "fuzz.xlsx".into(),
        display: "fuzz.xlsx".into(),
        format: Format::Xlsx,
        sheets,
        dialect: None,
    };
    let mut spec = TableSpec {
        header_row: input.header_row.map(|n| n as usize + 1),
        sheets: input.sheet.into_iter().collect(),
        ..TableSpec::default()
    };
    if let Some(sku) = input.sku_column {
        spec.columns.insert(Role::Sku, sku);
    }
    if let Some(stock) = input.stock_column {
        spec.columns.insert(Role::Stock, stock);
    }
    let _ = layout::detect_channel(&workbook);
    if let Ok(tables) = layout::tables(&workbook, &spec) {
        for table in &tables {
            assert!(table.header_row < table.sheet.rows.len().max(1));
            for &row in &table.data_rows {
                assert!(row > table.header_row && row < table.sheet.rows.len());
            }
            for (_, col) in table.roles() {
                let _ = table.header(col);
            }
        }
        let _ = skulint::rules::run(&tables, &skulint::settings::Settings::default());
    }
});
