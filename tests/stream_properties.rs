//! Property tests of the streamed `check` and `fix` (src/engine/stream.rs):
//! on random listings, CSV and xlsx, full of near-duplicate SKUs and parent
//! SKUs across shops and products, the file streamed in short parts gives the
//! report, the changes and the corrected file that reading it whole gives.
//! The planted files of tests/stream.rs hold the cases someone thought of;
//! these find the ones nobody did.

mod common;

use std::path::Path;

use common::report_json;
use proptest::prelude::*;
use skulint::cli::LintOptions;
use skulint::engine::{self, Setup, Unobserved, stream};

/// Part sizes just longer than the rows under the header that may hold
/// instructions (below up to two title rows), so that the faults fall in
/// different parts.
const PARTS: [usize; 3] = [16, 19, 23];

/// A code from a small alphabet, so that a listing often holds the same code
/// twice, or two that differ by spaces, case, look-alike or invisible letters.
fn code() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        8 => prop::sample::select(vec!['K', 'k', 'A', '1', '0', '-']),
        2 => Just(' '),
        1 => Just('\u{00A0}'),
        1 => Just('\u{200B}'),
        1 => Just('Ｋ'),
        1 => Just('К'),
        1 => Just('А'),
    ];
    prop::collection::vec(c, 1..5).prop_map(|chars| chars.into_iter().collect())
}

#[derive(Clone, Debug)]
enum Stock {
    Number(i32),
    Text(&'static str),
    Blank,
}

fn stock() -> impl Strategy<Value = Stock> {
    prop_oneof![
        6 => (-2..30i32).prop_map(Stock::Number),
        1 => prop::sample::select(vec!["N/A", "5 pcs", "3.5"]).prop_map(Stock::Text),
        1 => Just(Stock::Blank),
    ]
}

/// A row under the header: a listing (its product named by id, by name, by
/// both, or not at all: it continues the product above), a row with only a
/// product id (an extra image of the product), a total, or a blank row.
#[derive(Clone, Debug)]
enum Row {
    Listing {
        shop: &'static str,
        id: Option<u8>,
        name: Option<u8>,
        variation: Option<u8>,
        parent: Option<String>,
        sku: Option<String>,
        stock: Stock,
    },
    ImageOnly(u8),
    /// A shop's name on a row of its own, over its listings.
    ShopOnly(&'static str),
    Total,
    Blank,
}

fn row() -> impl Strategy<Value = Row> {
    let product = prop_oneof![
        5 => (0..6u8).prop_map(|p| (Some(p), Some(p))),
        1 => (0..6u8).prop_map(|p| (Some(p), None)),
        1 => (0..6u8).prop_map(|p| (None, Some(p))),
        3 => Just((None, None)),
    ];
    let listing = (
        // A blank shop continues the one above (merged cells), across parts.
        prop::sample::select(vec!["A", "A", "B", " B", ""]),
        product,
        prop::option::weighted(0.5, 0..5u8),
        prop::option::weighted(0.5, code()),
        prop::option::weighted(0.95, code()),
        stock(),
    )
        .prop_map(
            |(shop, (id, name), variation, parent, sku, stock)| Row::Listing {
                shop,
                id,
                name,
                variation,
                parent,
                sku,
                stock,
            },
        );
    prop_oneof![
        40 => listing,
        1 => (0..6u8).prop_map(Row::ImageOnly),
        1 => prop::sample::select(vec!["A", "B"]).prop_map(Row::ShopOnly),
        1 => Just(Row::Total),
        2 => Just(Row::Blank),
    ]
}

fn listing() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(row(), 15..60)
}

/// A row right under the header that tells the seller how to fill the
/// template (Shopee's and TikTok Shop's upload templates have them).
#[derive(Clone, Debug)]
enum Instruction {
    Requirement,
    Prose,
}

/// How a file lays the listing out: its columns (which, in which order),
/// title rows above the header, instruction rows under it, and for a CSV
/// file its dialect.
#[derive(Clone, Debug)]
struct Shape {
    /// Indexes into [`COLUMNS`].
    columns: Vec<usize>,
    title_rows: usize,
    instructions: Vec<Instruction>,
    delimiter: u8,
    crlf: bool,
    bom: bool,
}

const COLUMNS: [&str; 7] = [
    "Shop",
    "Product ID",
    "Variation ID",
    "Product Name",
    "Parent SKU",
    "SKU",
    "Stock",
];

fn shape() -> impl Strategy<Value = Shape> {
    // With or without a shop, product ids (products then told by name) and
    // variation ids.
    let columns = prop::sample::select(vec![
        vec![0, 1, 2, 3, 4, 5, 6],
        vec![0, 1, 3, 4, 5, 6],
        vec![1, 2, 3, 4, 5, 6],
        vec![0, 3, 4, 5, 6],
        vec![2, 3, 4, 5, 6],
        vec![0, 1, 4, 5, 6],
    ])
    .prop_shuffle();
    let instruction = prop_oneof![Just(Instruction::Requirement), Just(Instruction::Prose)];
    (
        columns,
        0..3usize,
        prop::collection::vec(instruction, 0..3),
        prop::sample::select(vec![b',', b';', b'\t']),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(columns, title_rows, instructions, delimiter, crlf, bom)| Shape {
                columns,
                title_rows,
                instructions,
                delimiter,
                crlf,
                bom,
            },
        )
}

/// The cells of a row as text, in [`COLUMNS`] order. Product names hold
/// what a CSV file must quote.
fn texts(row: &Row) -> Vec<String> {
    let mut cells = vec![String::new(); COLUMNS.len()];
    let id = |p: u8| format!("{}", 100 + u32::from(p));
    match row {
        Row::Blank => {}
        Row::ImageOnly(p) => cells[1] = id(*p),
        Row::ShopOnly(shop) => cells[0] = shop.to_string(),
        Row::Total => {
            cells[3] = "Total".into();
            cells[6] = "99".into();
        }
        Row::Listing {
            shop,
            id: product_id,
            name,
            variation,
            parent,
            sku,
            stock,
        } => {
            cells[0] = shop.to_string();
            cells[1] = product_id.map_or(String::new(), id);
            cells[2] = variation.map_or(String::new(), |v| format!("{}", 1000 + u32::from(v)));
            cells[3] = name.map_or(String::new(), |p| match p % 3 {
                0 => format!("Produk {p}"),
                1 => format!("Kaos, \"Polos\" {p}"),
                _ => format!("Kemeja;\tFlanel\n{p}"),
            });
            cells[4] = parent.clone().unwrap_or_default();
            cells[5] = sku.clone().unwrap_or_default();
            cells[6] = match stock {
                Stock::Number(n) => n.to_string(),
                Stock::Text(t) => t.to_string(),
                Stock::Blank => String::new(),
            };
        }
    }
    cells
}

fn instruction_texts(instruction: &Instruction) -> Vec<String> {
    match instruction {
        Instruction::Requirement => vec!["Wajib".into(); COLUMNS.len()],
        Instruction::Prose => {
            let mut cells = vec![String::new(); COLUMNS.len()];
            cells[3] = "Isi nama produk anda di kolom ini".into();
            cells[5] = "Isi kode SKU variasi di kolom ini".into();
            cells
        }
    }
}

/// The rows under the header, instructions first, as text.
fn rows_under_header(shape: &Shape, rows: &[Row]) -> Vec<Vec<String>> {
    let instructions = shape.instructions.iter().map(instruction_texts);
    let cells = |texts: Vec<String>| shape.columns.iter().map(|&c| texts[c].clone()).collect();
    instructions
        .chain(rows.iter().map(texts))
        .map(cells)
        .collect()
}

const TITLE: &str = "Daftar produk toko";

fn write_csv(path: &Path, shape: &Shape, rows: &[Row]) {
    let terminator = if shape.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(shape.delimiter)
        .terminator(terminator)
        .from_writer(Vec::new());
    for _ in 0..shape.title_rows {
        writer.write_record([TITLE]).unwrap();
    }
    writer
        .write_record(shape.columns.iter().map(|&c| COLUMNS[c]))
        .unwrap();
    for cells in rows_under_header(shape, rows) {
        if cells.iter().all(String::is_empty) {
            writer.write_record([""]).unwrap();
        } else {
            writer.write_record(&cells).unwrap();
        }
    }
    let mut bytes = if shape.bom {
        "\u{feff}".as_bytes().to_vec()
    } else {
        Vec::new()
    };
    bytes.extend(writer.into_inner().unwrap());
    std::fs::write(path, bytes).unwrap();
}

/// The same listing as a workbook: ids and stock as numbers.
fn write_xlsx(path: &Path, shape: &Shape, rows: &[Row]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for title in 0..shape.title_rows {
        sheet.write_string(title as u32, 0, TITLE).unwrap();
    }
    let header = shape.title_rows as u32;
    for (col, &c) in shape.columns.iter().enumerate() {
        sheet.write_string(header, col as u16, COLUMNS[c]).unwrap();
    }
    for (at, cells) in rows_under_header(shape, rows).iter().enumerate() {
        let at = header + 1 + at as u32;
        for (col, text) in cells.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let col = col as u16;
            match text.parse::<f64>() {
                Ok(number) if text.trim() == text && !text.starts_with('0') || text == "0" => {
                    sheet.write_number(at, col, number)
                }
                _ => sheet.write_string(at, col, text),
            }
            .unwrap();
        }
    }
    workbook.save(path).unwrap();
}

type InParts = fn(&Path, &Setup, usize, u64) -> Option<(engine::FileResult, Vec<engine::Notice>)>;

/// Checks and fixes `path` streamed in each of [`PARTS`] rows, against the
/// file read whole. A file may be left to the whole-file path (its first part
/// looks product-level, say): then `check` and `fix` both leave it.
fn assert_streams_like_whole(path: &Path, in_parts: InParts) -> Result<(), TestCaseError> {
    let options = LintOptions::default();
    let setup = engine::setup(&options.engine_options(None)).unwrap();
    let (whole, whole_notices) = engine::lint(&[path.to_path_buf()], &setup, &Unobserved);
    let expected = report_json(&whole);
    let mut checked_whole = Vec::new();
    for part_rows in PARTS {
        let Some((result, notices)) = in_parts(path, &setup, part_rows, 0) else {
            checked_whole.push(part_rows);
            continue;
        };
        let (report, streamed_notices) = engine::assemble(&setup, vec![(vec![result], notices)]);
        prop_assert_eq!(
            report_json(&report),
            expected.clone(),
            "in parts of {} rows",
            part_rows
        );
        prop_assert_eq!(&streamed_notices, &whole_notices);
    }
    common::assert_streamed_fix_is_whole_or_falls_back(path, &options, &PARTS, &|part_rows, _| {
        checked_whole.contains(&part_rows)
    });
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_random_csv_listing_streams_and_is_fixed_like_whole(shape in shape(), rows in listing()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("listing.csv");
        write_csv(&path, &shape, &rows);
        assert_streams_like_whole(&path, stream::lint_csv_in_parts)?;
    }

    #[test]
    fn a_random_workbook_streams_and_is_fixed_like_whole(shape in shape(), rows in listing()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("listing.xlsx");
        write_xlsx(&path, &shape, &rows);
        assert_streams_like_whole(&path, stream::lint_xlsx_in_parts)?;
    }
}
