//! CLI tests of `skulint explain` and of the rule catalog behind it.

mod common;

use common::{stderr, stdout};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::cargo_bin("skulint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn explain_sku001_names_e501_and_shows_the_example() {
    let output = run(&["explain", "SKU001"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("SKU001 consecutive-spaces\n"), "{text}");
    assert!(text.contains("Severity: error · Fix: safe"), "{text}");
    assert!(
        text.contains("Two or more spaces in a row inside a SKU."),
        "{text}"
    );
    assert!(text.contains("E501"), "the channel error: {text}");
    // The example, with the spaces made visible, before and after.
    let before = text.find("KAOS␣␣HITAM-L").expect("the before value");
    let after = text.find("KAOS␣HITAM-L").expect("the after value");
    assert!(
        before < text.find("after (clean)").unwrap() && after > before,
        "{text}"
    );
    assert!(text.contains("`skulint fix` applies it"), "{text}");
}

#[test]
fn explain_takes_a_name_in_any_case() {
    let by_code = stdout(&run(&["explain", "sku008"]));
    let by_name = stdout(&run(&["explain", "SKU-TOO-LONG"]));
    assert_eq!(by_code, by_name);
    assert!(by_code.starts_with("SKU008 sku-too-long"), "{by_code}");
    assert!(
        by_code.contains("max-length (default: the channel's limit"),
        "parameters with defaults: {by_code}"
    );
    assert!(
        by_code.contains("[rules.sku-too-long] max-length"),
        "{by_code}"
    );
}

#[test]
fn explain_shows_invisible_characters_and_the_inventory_of_cross_file_rules() {
    let text = stdout(&run(&["explain", "invisible-character"]));
    assert!(text.contains("KAOS⟨U+00A0⟩PUTIH-M"), "{text}");
    let text = stdout(&run(&["explain", "STK004"]));
    assert!(text.contains("Runs with: --inventory FILE"), "{text}");
    assert!(text.contains("master inventory (--inventory):"), "{text}");
    assert!(text.contains("| Safety Stock |"), "{text}");
    assert!(text.contains("safety-stock (default: 0)"), "{text}");
    assert!(
        text.contains("Unsafe: `skulint fix --unsafe-fixes` applies it."),
        "{text}"
    );
    let text = stdout(&run(&["explain", "stock-mismatch"]));
    assert!(text.contains("another export of the same run:"), "{text}");
}

#[test]
fn an_unknown_rule_exits_2_with_the_nearest_codes_and_names() {
    for (query, nearest) in [
        ("SKU01", "SKU001 (consecutive-spaces)"),
        ("duplicate", "DUP001 (duplicate-sku)"),
        ("oversel-risk", "STK004 (oversell-risk)"),
    ] {
        let output = run(&["explain", query]);
        assert_eq!(output.status.code(), Some(2), "{query}");
        assert_eq!(stdout(&output), "");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!(
                "skulint: error: `{query}` is not a rule code or name; did you mean "
            )),
            "{err}"
        );
        assert!(err.contains(nearest), "{query}: {err}");
    }
    let err = stderr(&run(&["explain", "qqqqqqqq"]));
    assert!(err.contains("`skulint rules` lists every rule"), "{err}");
    assert!(!err.contains("did you mean"), "nothing is near: {err}");
}

#[test]
fn every_listed_rule_can_be_explained() {
    let output = run(&["rules", "--output-format", "json"]);
    let rules: Value = serde_json::from_slice(&output.stdout).unwrap();
    for rule in rules.as_array().unwrap() {
        let code = rule["code"].as_str().unwrap();
        let output = run(&["explain", code]);
        assert_eq!(output.status.code(), Some(0), "{code}: {}", stderr(&output));
        let text = stdout(&output);
        for section in [
            "Why it breaks sync",
            "What the seller sees: ",
            "Example",
            "before (the rule fires):",
            "after (clean):",
            "Fix",
            "Parameters",
        ] {
            assert!(text.contains(section), "{code} lacks {section:?}: {text}");
        }
        assert!(text.contains(rule["summary"].as_str().unwrap()), "{code}");
    }
}
