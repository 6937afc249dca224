//! The reference for `skulint check`: calamine alone loading every worksheet of
//! an xlsx file, either into a `Range` (`--mode range`, what most programs do)
//! or cell by cell with its streaming reader (`--mode stream`). It prints the
//! number of non-empty cells so that the work cannot be skipped.
//!
//! cargo bench --bench calamine_load -- --mode range /tmp/x.xlsx

use std::path::PathBuf;

use calamine::{Data, DataRef, Reader, Xlsx, open_workbook};
use clap::{Parser, ValueEnum};

#[derive(Parser)]
struct Args {
    #[arg(long, value_enum, default_value_t = Mode::Range)]
    mode: Mode,
    /// `cargo bench` runs every bench with no file: then there is nothing to do.
    file: Option<PathBuf>,
    /// `cargo bench` adds this flag; it is ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Range,
    Stream,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let Some(file) = args.file else {
        eprintln!("usage: calamine_load [--mode range|stream] FILE.xlsx");
        return Ok(());
    };
    let mut workbook: Xlsx<_> = open_workbook(&file)?;
    let mut cells = 0usize;
    for name in workbook.sheet_names() {
        match args.mode {
            Mode::Range => {
                let range = workbook.worksheet_range(&name)?;
                cells += range
                    .used_cells()
                    .filter(|(_, _, d)| **d != Data::Empty)
                    .count();
            }
            Mode::Stream => {
                let mut reader = workbook.worksheet_cells_reader(&name)?;
                while let Some(cell) = reader.next_cell()? {
                    if *cell.get_value() != DataRef::Empty {
                        cells += 1;
                    }
                }
            }
        }
    }
    println!("{cells} cells");
    Ok(())
}
