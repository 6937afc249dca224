//! Property tests of fixing: the composed safe fix converges (fixing a fixed value
//! changes nothing and linting it finds nothing safe to fix), its output is clean,
//! and `skulint fix` never makes two SKUs equal that were different.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use proptest::prelude::*;
use skulint::diagnostic::{Applicability, Diagnostic};
use skulint::fix::compose;
use skulint::settings::Settings;
use skulint::table::layout::{self, TableSpec};
use skulint::table::read::{self, Depth};
use skulint::text::{is_invisible, near_duplicate_key, safe_fix};
use unicode_normalization::is_nfc;

/// Characters that make SKUs go wrong, mixed with the ones they are made of.
fn sku_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::sample::select(
            "ABKLMOSTXZaks0123456789-".chars().collect::<Vec<_>>()
        ),
        3 => Just(' '),
        1 => Just('\u{00A0}'),
        1 => Just('\u{200B}'),
        1 => Just('\u{FEFF}'),
        1 => Just('\t'),
        1 => Just('\u{0301}'),
        1 => prop::sample::select(vec!['Ａ', 'Ｋ', 'ｓ', '１', '２']),
        1 => Just('А'),
    ]
}

fn sku() -> impl Strategy<Value = String> {
    prop::collection::vec(sku_char(), 0..14).prop_map(|chars| chars.into_iter().collect())
}

/// A smaller alphabet, so that lists of SKUs often hold near-duplicates.
fn colliding_sku() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        6 => prop::sample::select(vec!['K', 'k', 'A', '1', '-']),
        3 => Just(' '),
        1 => Just('\u{00A0}'),
        1 => Just('\u{200B}'),
        1 => Just('\u{0301}'),
        1 => Just('Ｋ'),
        1 => Just('А'),
    ];
    prop::collection::vec(c, 1..6).prop_map(|chars| chars.into_iter().collect())
}

/// A CSV with a `SKU,Stock` header and one row per SKU (stock 1, 2, …).
fn write_csv(path: &Path, skus: &[String]) {
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(["SKU", "Stock"]).unwrap();
    for (i, sku) in skus.iter().enumerate() {
        writer
            .write_record([sku.as_str(), &(i + 1).to_string()])
            .unwrap();
    }
    writer.flush().unwrap();
}

/// The findings of a CSV holding `skus`, through the library (no process).
fn lint(skus: &[String]) -> Vec<Diagnostic> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.csv");
    write_csv(&path, skus);
    let workbook = read::read_workbook(&path, "one.csv", Depth::Values).unwrap();
    let tables = layout::tables(&workbook, &TableSpec::default()).unwrap();
    skulint::rules::run(&tables, &Settings::default())
}

fn applicability(d: &Diagnostic) -> Option<Applicability> {
    d.fix.as_ref().map(|f| f.applicability)
}

fn describe(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{} {} {:?} {:?}", d.cell, d.code, d.value, d.fix))
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) The composed safe fix is a fixed point: fixing again changes nothing,
    /// linting the fixed value finds nothing with a safe fix, and every safe fix
    /// the linter proposes is that composed value.
    #[test]
    fn safe_fix_converges(s in sku()) {
        let fixed = compose(&s, &["SKU001"]);
        prop_assert_eq!(&compose(&fixed, &["SKU001"]), &fixed);
        prop_assert_eq!(&fixed, &safe_fix(&s));
        prop_assert_eq!(
            &compose(&s, &["SKU001", "SKU002", "SKU003", "SKU004"]),
            &fixed
        );

        for d in lint(std::slice::from_ref(&s)) {
            if applicability(&d) == Some(Applicability::Safe) {
                prop_assert_eq!(&d.fix.as_ref().unwrap().replacement, &fixed, "{} {}", d.code, d.cell);
            }
        }
        let after = lint(std::slice::from_ref(&fixed));
        let safe: Vec<Diagnostic> = after
            .into_iter()
            .filter(|d| applicability(d) == Some(Applicability::Safe))
            .collect();
        prop_assert!(safe.is_empty(), "{:?} → {:?} still has safe fixes:\n{}", s, fixed, describe(&safe));
    }

    /// (b) The output of the safe fix is clean: no double or edge spaces, no
    /// invisible characters, NFC.
    #[test]
    fn safe_fix_output_is_clean(s in sku()) {
        let fixed = safe_fix(&s);
        prop_assert!(!fixed.contains("  "), "{:?} → {:?}", s, fixed);
        prop_assert!(!fixed.starts_with(' ') && !fixed.ends_with(' '), "{:?} → {:?}", s, fixed);
        prop_assert!(!fixed.chars().any(is_invisible), "{:?} → {:?}", s, fixed);
        prop_assert!(is_nfc(&fixed), "{:?} → {:?}", s, fixed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a′) With `--unsafe-fixes`: the value made from every fix the linter offers
    /// for a cell (safe and unsafe, as `fix` composes them) has nothing left to fix.
    #[test]
    fn unsafe_fix_converges(s in sku()) {
        let diagnostics = lint(std::slice::from_ref(&s));
        let codes: Vec<&str> = diagnostics
            .iter()
            .filter(|d| matches!(applicability(d), Some(Applicability::Safe | Applicability::Unsafe)))
            .map(|d| d.code)
            .collect();
        let fixed = compose(&s, &codes);
        prop_assert_eq!(&compose(&fixed, &codes), &fixed);
        let fixable: Vec<Diagnostic> = lint(std::slice::from_ref(&fixed))
            .into_iter()
            .filter(|d| matches!(applicability(d), Some(Applicability::Safe | Applicability::Unsafe)))
            .collect();
        prop_assert!(
            fixable.is_empty(),
            "{:?} → {:?} (codes {:?}) still has fixes:\n{}",
            s, fixed, codes, describe(&fixable)
        );
    }
}

/// Runs `skulint fix` on a CSV of `skus` and returns the SKU column of the output.
fn fix_skus(skus: &[String], unsafe_fixes: bool) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("list.csv");
    write_csv(&input, skus);
    let mut command = Command::cargo_bin("skulint").unwrap();
    command.arg("fix").arg(&input).arg("--quiet");
    if unsafe_fixes {
        command.arg("--unsafe-fixes");
    }
    let output = command.output().unwrap();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{skus:?}: exit {code:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(dir.path().join("list.fixed.csv"))
        .unwrap();
    let out: Vec<String> = reader
        .records()
        .map(|r| r.unwrap().get(0).unwrap_or_default().to_string())
        .collect();
    assert_eq!(out.len(), skus.len(), "{skus:?} → {out:?}");
    out
}

/// (c) No fix creates a duplicate: two non-empty output SKUs are equal only if
/// the input SKUs were equal; and a changed SKU is not a near-duplicate (same key
/// after normalization) of any other SKU with a different original value.
fn check_no_new_duplicates(input: &[String], output: &[String]) -> Result<(), TestCaseError> {
    for i in 0..input.len() {
        for j in 0..input.len() {
            if i == j || output[i].is_empty() || output[j].is_empty() {
                continue;
            }
            if output[i] == output[j] {
                prop_assert_eq!(
                    &input[i],
                    &input[j],
                    "rows {} and {} became equal: {:?} → {:?}",
                    i + 2,
                    j + 2,
                    input,
                    output
                );
            }
            let changed = output[i] != input[i];
            if changed && input[j] != input[i] && !input[j].trim().is_empty() {
                prop_assert_ne!(
                    near_duplicate_key(&output[i]),
                    near_duplicate_key(&output[j]),
                    "row {} was fixed into a near-duplicate of row {}: {:?} → {:?}",
                    i + 2,
                    j + 2,
                    input,
                    output
                );
            }
        }
    }
    // Cells that no fix applies to are byte-identical.
    let fixable: BTreeMap<usize, ()> = input
        .iter()
        .enumerate()
        .filter(|(_, s)| safe_fix(s) != **s || compose(s, &["SKU005", "SKU006"]) != **s)
        .map(|(i, _)| (i, ()))
        .collect();
    for (i, (a, b)) in input.iter().zip(output).enumerate() {
        if !fixable.contains_key(&i) {
            prop_assert_eq!(a, b, "row {} changed but had nothing to fix", i + 2);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn safe_fixes_never_create_duplicates(skus in prop::collection::vec(colliding_sku(), 1..7)) {
        let output = fix_skus(&skus, false);
        check_no_new_duplicates(&skus, &output)?;
    }

    #[test]
    fn unsafe_fixes_never_create_duplicates(skus in prop::collection::vec(colliding_sku(), 1..7)) {
        let output = fix_skus(&skus, true);
        check_no_new_duplicates(&skus, &output)?;
    }
}
