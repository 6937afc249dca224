use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::table::columns::Channel;
use crate::table::{Format, Sheet, TableSpec, Value, Visibility, Workbook, layout};

/// A one-sheet workbook from a header and text rows.
fn workbook(columns: &[String], rows: &[Vec<String>]) -> Workbook {
    let text = |t: &String| {
        if t.is_empty() {
            Value::Empty
        } else {
            Value::Text(t.clone())
        }
    };
    let grid = std::iter::once(columns.iter().map(text).collect())
        .chain(rows.iter().map(|r| r.iter().map(text).collect()))
        .collect();
    Workbook {
        path: "example.csv".into(),
        display: Arc::from("example.csv"),
        format: Format::Csv,
        sheets: vec![Sheet {
            name: Arc::from("example"),
            visibility: Visibility::Visible,
            rows: grid,
            ..Sheet::default()
        }],
        dialect: None,
    }
}

fn fired(rule: &Rule, example: &Example, rows: &[Vec<String>]) -> usize {
    let book = workbook(&example.columns, rows);
    let channel = example.channel.as_deref().map(|c| {
        Channel::ALL
            .into_iter()
            .find(|ch| ch.key() == c)
            .expect("known channel")
    });
    let spec = TableSpec {
        channel: channel.or(Some(Channel::Generic)),
        ..TableSpec::default()
    };
    let tables = layout::tables(&book, &spec).expect("example has a SKU column");
    tables
        .iter()
        .flat_map(|t| (rule.check)(t, &Settings::default()))
        .filter(|d| d.code == rule.code)
        .count()
}

#[test]
fn every_rule_has_documentation_and_every_entry_a_rule() {
    let in_code: BTreeSet<&str> = RULES.iter().map(|r| r.code).collect();
    let in_docs: BTreeSet<&str> = catalog().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        in_code, in_docs,
        "rules/rules.toml and RULES must list the same codes"
    );
    assert_eq!(in_code.len(), RULES.len(), "a code is registered twice");
    let names: BTreeSet<&str> = catalog().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), catalog().len(), "rule names must be unique");
    for doc in catalog() {
        for (section, text) in [
            ("name", &doc.name),
            ("summary", &doc.summary),
            ("why", &doc.why),
            ("fix-note", &doc.fix_note),
        ] {
            assert!(
                !text.trim().is_empty(),
                "{} has an empty {section}",
                doc.code
            );
        }
        assert!(
            doc.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} name must be kebab-case",
            doc.code
        );
    }
}

#[test]
fn registry_is_in_code_order() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let docs: Vec<&str> = catalog().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, docs);
}

#[test]
fn documented_examples_fire_before_and_not_after() {
    for rule in RULES {
        let example = &doc(rule.code).example;
        assert!(
            fired(rule, example, &example.before) > 0,
            "{}: the `before` example does not fire",
            rule.code
        );
        assert_eq!(
            fired(rule, example, &example.after),
            0,
            "{}: the `after` example still fires",
            rule.code
        );
    }
}

#[test]
fn fixable_rules_propose_fixes_of_their_documented_kind() {
    for rule in RULES {
        let doc = doc(rule.code);
        let book = workbook(&doc.example.columns, &doc.example.before);
        let spec = TableSpec {
            channel: Some(Channel::Generic),
            ..TableSpec::default()
        };
        for table in layout::tables(&book, &spec).unwrap() {
            for diagnostic in (rule.check)(&table, &Settings::default()) {
                let kind = match &diagnostic.fix {
                    None => FixKind::None,
                    Some(fix) if fix.applicability == Applicability::Safe => FixKind::Safe,
                    Some(_) => FixKind::Unsafe,
                };
                assert_eq!(kind, doc.fix, "{}", rule.code);
            }
        }
    }
}
