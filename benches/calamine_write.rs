//! The reference for `skulint fix`: calamine loads every worksheet of an xlsx file
//! into a `Range` and rust_xlsxwriter writes all its cells, with their types, to a
//! new workbook: the least a program that rewrites a workbook has to do.
//!
//! cargo bench --bench calamine_write -- /tmp/x.xlsx /tmp/copy.xlsx
//!
//! By default the writer runs in its standard mode with its default compression,
//! as a plain program would; `--constant-memory` and `--compression-level` show
//! what its tuning options change.

use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx, open_workbook};
use clap::Parser;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

#[derive(Parser)]
struct Args {
    /// `cargo bench` runs every bench with no file: then there is nothing to do.
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    /// Write row by row with inline strings (rust_xlsxwriter's constant-memory mode).
    #[arg(long)]
    constant_memory: bool,
    /// Zip compression level, 1 (fastest) to 9; rust_xlsxwriter's default is 6.
    #[arg(long)]
    compression_level: Option<u8>,
    /// `cargo bench` adds this flag; it is ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (Some(input), Some(output)) = (&args.input, &args.output) else {
        eprintln!(
            "usage: calamine_write [--constant-memory] [--compression-level N] IN.xlsx OUT.xlsx"
        );
        return Ok(());
    };
    let mut source: Xlsx<_> = open_workbook(input)?;
    let mut book = Workbook::new();
    if let Some(level) = args.compression_level {
        book.set_zip_compression_level(level);
    }
    for name in source.sheet_names() {
        let range = source.worksheet_range(&name)?;
        let sheet = if args.constant_memory {
            book.add_worksheet_with_constant_memory()?
        } else {
            book.add_worksheet()
        };
        sheet.set_name(&name)?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        for (row, col, data) in range.used_cells() {
            write(
                sheet,
                first_row + row as u32,
                (first_col as usize + col) as u16,
                data,
            )?;
        }
    }
    book.save(output)?;
    Ok(())
}

fn write(sheet: &mut Worksheet, row: u32, col: u16, data: &Data) -> Result<(), XlsxError> {
    match data {
        Data::Empty => Ok(()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            sheet.write_string(row, col, s).map(|_| ())
        }
        Data::Float(f) => sheet.write_number(row, col, *f).map(|_| ()),
        Data::Int(n) => sheet.write_number(row, col, *n as f64).map(|_| ()),
        Data::Bool(b) => sheet.write_boolean(row, col, *b).map(|_| ()),
        Data::DateTime(dt) => sheet.write_number(row, col, dt.as_f64()).map(|_| ()),
        Data::Error(e) => sheet.write_string(row, col, e.to_string()).map(|_| ()),
    }
}
