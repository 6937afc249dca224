//! calamine alone, with no guard: finds the inputs on which the spreadsheet
//! reader itself panics. Each crash it saves is a file that skulint must
//! still refuse cleanly (see tests/hardening.rs, `reader_panics_*`).
#![no_main]

use std::io::Cursor;

use calamine::{Reader, Xls, Xlsb, Xlsx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    // Small inputs only: the dense readers may allocate a lot on a hostile file,
    // which skulint's own probe prevents before calling them.
    if bytes.len() > 1 << 16 {
        return;
    }
    let cursor = Cursor::new(bytes);
    match pick % 3 {
        0 => {
            if let Ok(mut book) = Xlsx::new(cursor) {
                for name in book.sheet_names() {
                    if let Ok(mut cells) = book.worksheet_cells_reader(&name) {
                        while let Ok(Some(_)) = cells.next_cell() {}
                    }
                }
            }
        }
        1 => {
            if let Ok(mut book) = Xlsb::new(cursor) {
                for name in book.sheet_names() {
                    if let Ok(mut cells) = book.worksheet_cells_reader(&name) {
                        while let Ok(Some(_)) = cells.next_cell() {}
                    }
                }
            }
        }
        _ => {
            let _ = Xls::new(cursor);
        }
    }
});
