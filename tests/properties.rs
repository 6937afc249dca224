//! Property tests of fixing: the composed safe fix converges (fixing a fixed value
//! changes nothing and linting it finds nothing safe to fix), its output is clean,
//! and `skulint fix` never makes two SKUs equal that were different.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use proptest::prelude::*;
use skulint::diagnostic::{Applicability, Diagnostic};
use skulint::diagnostic::{Edit, TextFix};
use skulint::fix::compose;
use skulint::rules::settings::Settings;
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
        .map(|d| format!("{} {} {:?} {:?}", d.cell(), d.code, d.value, d.fix))
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
        let fixed = compose(&s, &[TextFix::Normalize]);
        prop_assert_eq!(&compose(&fixed, &[TextFix::Normalize]), &fixed);
        prop_assert_eq!(&fixed, &safe_fix(&s));
        prop_assert_eq!(
            &compose(&s, &[TextFix::Normalize, TextFix::Normalize]),
            &fixed
        );

        for d in lint(std::slice::from_ref(&s)) {
            if applicability(&d) == Some(Applicability::Safe) {
                prop_assert_eq!(&d.fix.as_ref().unwrap().replacement, &fixed, "{} {}", d.code, d.cell());
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
        let codes: Vec<TextFix> = diagnostics
            .iter()
            .filter(|d| matches!(applicability(d), Some(Applicability::Safe | Applicability::Unsafe)))
            .filter_map(|d| match d.fix.as_ref()?.edit {
                Edit::Text(fix) => Some(fix),
                Edit::Quantity(_) => None,
            })
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
        .filter(|(_, s)| {
            safe_fix(s) != **s || compose(s, &[TextFix::Compatibility, TextFix::Lookalike]) != **s
        })
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

/// Real words of each script, as sellers type them (`tests/data/typed-words.toml`).
fn typed_words() -> &'static BTreeMap<String, Vec<String>> {
    static WORDS: std::sync::OnceLock<BTreeMap<String, Vec<String>>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        toml::from_str(include_str!("data/typed-words.toml")).expect("typed-words.toml is valid")
    })
}

/// A SKU made the way sellers make them: one to three words of one script,
/// joined by a separator, with an optional code (`KAOS-01`, `XL`) before or after.
fn typed_sku() -> impl Strategy<Value = (String, String)> {
    let scripts: Vec<String> = typed_words().keys().cloned().collect();
    prop::sample::select(scripts).prop_flat_map(|script| {
        let words = typed_words()[&script].clone();
        (
            Just(script),
            prop::collection::vec(prop::sample::select(words), 1..4),
            prop::sample::select(vec!["-", "_", " ", ".", "/", ""]),
            prop::option::of(prop::sample::select(vec!["XL", "M", "01", "A12", "SKU-7"])),
            any::<bool>(),
        )
            .prop_map(|(script, words, separator, code, code_first)| {
                let mut parts: Vec<&str> = words.iter().map(String::as_str).collect();
                if let Some(code) = code {
                    if code_first {
                        parts.insert(0, code);
                    } else {
                        parts.push(code);
                    }
                }
                (script, parts.join(separator))
            })
    })
}

#[test]
fn typed_words_are_in_the_form_keyboards_type() {
    for (script, words) in typed_words() {
        assert!(words.len() >= 10, "{script}: too few words");
        for word in words {
            assert!(is_nfc(word), "{script}: {word:?} is not NFC");
            assert_eq!(word.trim(), word, "{script}: {word:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Text typed normally in Thai, Lao, Khmer, Burmese, Vietnamese, Malay,
    /// Filipino, Chinese, Japanese and Korean gets no SKU finding.
    #[test]
    fn normally_typed_text_gets_no_sku_finding((script, s) in typed_sku()) {
        let found: Vec<Diagnostic> = lint(std::slice::from_ref(&s))
            .into_iter()
            .filter(|d| d.code.starts_with("SKU"))
            .collect();
        prop_assert!(found.is_empty(), "{} {:?}:\n{}", script, s, describe(&found));
    }

    /// The same text with a full-width code in it gets one SKU005, marking the
    /// full-width characters only, and its fix changes only them.
    #[test]
    fn a_full_width_code_in_typed_text_is_still_reported(
        (script, s) in typed_sku(),
        code in prop::sample::select(vec!["ＸＬ", "０１", "ｶﾞ", "ﬁt", "②", "M²"]),
    ) {
        let planted = format!("{s}-{code}");
        let found: Vec<Diagnostic> = lint(std::slice::from_ref(&planted))
            .into_iter()
            .filter(|d| d.code.starts_with("SKU"))
            .collect();
        prop_assert_eq!(found.len(), 1, "{} {:?}:\n{}", script, planted, describe(&found));
        let d = &found[0];
        prop_assert_eq!(d.code, "SKU005");
        let start = s.chars().count() + 1;
        let marked: Vec<usize> = d.highlight.iter().flat_map(|&(a, b)| a..b).collect();
        prop_assert!(marked.iter().all(|&i| i >= start), "{:?} marks {:?}", planted, d.highlight);
        let replacement = &d.fix.as_ref().unwrap().replacement;
        prop_assert!(replacement.starts_with(&format!("{s}-")), "{:?} → {:?}", planted, replacement);
    }
}
