//! Any bytes as any supported file: skulint's reader never panics, never
//! aborts (allocation failures included) and stays within its limits. The
//! first byte picks the name the file is given, so content and name disagree too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skulint::table::read::{Depth, Limits, ReadError, ReadOptions, load_bytes};

const NAMES: &[&str] = &["f.xlsx", "f.xls", "f.xlsb", "f.ods", "f.csv", "f.xlsm"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let options = ReadOptions {
        depth: if pick & 0x80 == 0 {
            Depth::Values
        } else {
            Depth::Full
        },
        // Small enough that a hostile file hits them at fuzzing speed.
        limits: Limits {
            max_file_size: 64 << 20,
            max_cells: 2_000_000,
        },
        encoding: None,
    };
    let name = NAMES[(pick & 0x7F) as usize % NAMES.len()];
    // With SKULINT_FUZZ_READER_PANICS set, a crash inside calamine that skulint
    // caught is saved too: such files become fixtures of the tests.
    let collect = std::env::var_os("SKULINT_FUZZ_READER_PANICS").is_some();
    let loaded = load_bytes(bytes.to_vec(), name.as_ref(), name, &options);
    if collect {
        match &loaded {
            Err(ReadError::ReaderPanic(message)) => panic!("reader panic caught: {message}"),
            Ok(l) if l.notices.iter().any(|n| n.contains("the reader crashed")) => {
                panic!("reader panic caught in one sheet: {:?}", l.notices)
            }
            _ => {}
        }
    }
    if let Ok(loaded) = loaded {
        let cells: usize = loaded
            .workbook
            .sheets
            .iter()
            .map(|s| s.rows.iter().map(Vec::len).sum::<usize>())
            .sum();
        assert!(cells as u64 <= options.limits.max_cells);
        for notice in &loaded.notices {
            assert!(!notice.contains('\n'), "a notice spans lines: {notice:?}");
        }
    }
});
