//! Any bytes as a CSV export: reading never panics, and what is read goes
//! through header detection, the rules and the fix plan without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skulint::settings::Settings;
use skulint::table::{Format, TableSpec, Workbook, csv, layout};

fuzz_target!(|data: &[u8]| {
    let format = if data.first() == Some(&b'\t') {
        Format::Tsv
    } else {
        Format::Csv
    };
    let Ok(read) = csv::read(data, format, "fuzz", None, 200_000) else {
        return;
    };
    for notice in &read.notices {
        assert!(!notice.contains('\n'), "a notice spans lines: {notice:?}");
    }
    let workbook = Workbook {
        path: "fuzz.csv".into(),
        display: "fuzz.csv".into(),
        format,
        sheets: vec![read.sheet],
        dialect: Some(read.dialect),
    };
    if let Ok(tables) = layout::tables(&workbook, &TableSpec::default()) {
        let mut diagnostics = skulint::rules::run(&tables, &Settings::default());
        skulint::fix::plan(&tables, &mut diagnostics, true, true);
    }
});
