//! An attacker's inputs and outputs, run from the outside: outputs that would
//! destroy an input or a device, values that would run in a terminal, a CI log
//! or a spreadsheet program, folders that loop, rows that exhaust memory,
//! credentials in URLs and configurations planted above the working folder.
//! Devices are stood in for by FIFOs made in temporary folders.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{code, skulint, stderr, stdout};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    let output = skulint().current_dir(dir).args(args).output().unwrap();
    assert!(
        !stderr(&output).contains("panicked"),
        "skulint panicked: {}",
        stderr(&output)
    );
    output
}

#[test]
fn values_from_files_cannot_inject_escapes_or_ci_commands() {
    let dir = temp();
    put(
        dir.path(),
        "x.csv",
        b"SKU,Stock\nKAOS,\"12\n::error title=owned::pwned\"\nKAOS-2,1\n",
    );
    // A CSV file refuses escape characters as binary; a workbook holds them.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "SKU").unwrap();
    sheet.write_string(0, 1, "Stock").unwrap();
    sheet.write_string(1, 0, "KAOS").unwrap();
    sheet
        .write_string(1, 1, "12\u{1b}]8;;http://evil\u{7}x\u{1b}[2J")
        .unwrap();
    book.save(dir.path().join("y.xlsx")).unwrap();
    for file in ["x.csv", "y.xlsx"] {
        for format in ["text", "concise"] {
            let output = run_in(dir.path(), &["check", file, "--output-format", format]);
            assert_eq!(code(&output), 1, "{file} {format}: {}", stderr(&output));
            let shown = stdout(&output);
            assert!(!shown.contains('\x1b'), "{file} {format}: {shown}");
            assert!(!shown.contains('\x07'), "{file} {format}: {shown}");
            assert!(
                !shown
                    .lines()
                    .any(|line| line.trim_start().starts_with("::")),
                "{file} {format}: {shown}"
            );
            assert!(
                shown.contains("⟨U+000A⟩::error") || shown.contains("⟨U+001B⟩]8;;"),
                "{file} {format}: {shown}"
            );
        }
    }
}
