use std::collections::BTreeSet;
use std::sync::Arc;

use super::*;
use crate::table::columns::Channel;
use crate::table::{Format, Sheet, TableSpec, Value, Visibility, Workbook, layout};

/// A one-sheet workbook from a header and text rows.
fn workbook(name: &str, columns: &[String], rows: &[Vec<String>]) -> Workbook {
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
        path: name.into(),
        display: Arc::from(name),
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

fn spec(example: &Example) -> TableSpec {
    let channel = example.channel.as_deref().map(|c| {
        Channel::ALL
            .into_iter()
            .find(|ch| ch.key() == c)
            .expect("known channel")
    });
    TableSpec {
        channel: channel.or(Some(Channel::Generic)),
        ..TableSpec::default()
    }
}

/// The findings of a per-table rule on the example sheet `rows`.
fn findings(rule: &Rule, example: &Example, rows: &[Vec<String>]) -> Vec<Diagnostic> {
    let book = workbook("example.csv", &example.columns, rows);
    let tables = layout::tables(&book, &spec(example)).expect("example has a SKU column");
    tables
        .iter()
        .flat_map(|t| (rule.check)(t, &Settings::default()))
        .filter(|d| d.code == rule.code)
        .collect()
}

/// The findings of a cross-file rule on the example export `rows`, run with
/// the example's master inventory and other export.
fn cross_findings(rule: &CrossRule, example: &Example, rows: &[Vec<String>]) -> Vec<Diagnostic> {
    let master = example
        .inventory
        .as_ref()
        .expect("a cross-file rule's example has an inventory");
    let export = workbook("export.csv", &example.columns, rows);
    let other = example
        .other
        .as_ref()
        .map(|o| workbook("other.csv", &example.columns, o));
    let master = workbook("master.csv", &master.columns, &master.rows);
    let master_tables = layout::tables(&master, &TableSpec::default()).expect("master has SKUs");
    let inventory = Inventory::from_tables(master.display.clone(), &master_tables).unwrap();
    let mut tables = layout::tables(&export, &spec(example)).expect("example has a SKU column");
    if let Some(other) = &other {
        tables.extend(layout::tables(other, &spec(example)).unwrap());
    }
    let refs: Vec<&Table> = tables.iter().collect();
    let run = Run {
        tables: &refs,
        inventory: &inventory,
    };
    (rule.check)(&run, &Settings::default())
        .into_iter()
        .filter(|d| d.code == rule.code)
        .collect()
}

#[test]
fn every_rule_has_documentation_and_every_entry_a_rule() {
    let in_code: BTreeSet<&str> = codes().collect();
    let in_docs: BTreeSet<&str> = catalog().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        in_code, in_docs,
        "rules/rules.toml and RULES + CROSS_RULES must list the same codes"
    );
    assert_eq!(
        in_code.len(),
        RULES.len() + CROSS_RULES.len(),
        "a code is registered twice"
    );
    let names: BTreeSet<&str> = catalog().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), catalog().len(), "rule names must be unique");
    for doc in catalog() {
        for (section, text) in [
            ("name", &doc.name),
            ("summary", &doc.summary),
            ("why", &doc.why),
            ("fix-note", &doc.fix_note),
            ("next-step", &doc.next_step),
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
        assert!(
            !doc.errors.is_empty(),
            "{}: `errors` must name the channel error the problem causes",
            doc.code
        );
        let why = doc.why.split_whitespace().collect::<Vec<_>>().join(" ");
        for error in &doc.errors {
            assert!(
                why.contains(error.as_str()),
                "{}: `why` must name the channel error {error:?}",
                doc.code
            );
        }
        for param in &doc.params {
            assert!(
                !param.name.is_empty() && !param.default.is_empty() && !param.about.is_empty(),
                "{}: parameter {:?} needs a name, a default and a description",
                doc.code,
                param.name
            );
        }
        let example = &doc.example;
        assert!(
            !example.before.is_empty() && !example.after.is_empty(),
            "{}: the example needs a before and an after",
            doc.code
        );
        assert_eq!(
            doc.scope == Scope::CrossFile,
            CROSS_RULES.iter().any(|r| r.code == doc.code),
            "{}: the rules registered in CROSS_RULES, and only they, have scope cross-file",
            doc.code
        );
        assert_eq!(
            example.inventory.is_some(),
            is_cross_file(&doc.code),
            "{}: cross-file rules, and only they, have an inventory in their example",
            doc.code
        );
    }
}

/// `SKU`, then `DUP`, `STK`, `SYN`, each by number.
fn code_order(code: &str) -> (usize, String) {
    let prefix = code.trim_end_matches(|c: char| c.is_ascii_digit());
    let rank = ["SKU", "DUP", "STK", "SYN"]
        .iter()
        .position(|p| *p == prefix)
        .unwrap_or(usize::MAX);
    (rank, code.to_string())
}

#[test]
fn catalog_and_registries_are_in_code_order() {
    for (what, codes) in [
        (
            "rules/rules.toml",
            catalog()
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>(),
        ),
        ("RULES", RULES.iter().map(|r| r.code).collect()),
        ("CROSS_RULES", CROSS_RULES.iter().map(|r| r.code).collect()),
    ] {
        let mut sorted = codes.clone();
        sorted.sort_by_key(|c| code_order(c));
        assert_eq!(codes, sorted, "{what} is not in code order");
    }
}

#[test]
fn documented_examples_fire_before_and_not_after() {
    for rule in RULES {
        let example = &doc(rule.code).example;
        assert!(
            !findings(rule, example, &example.before).is_empty(),
            "{}: the `before` example does not fire",
            rule.code
        );
        assert_eq!(
            findings(rule, example, &example.after),
            vec![],
            "{}: the `after` example still fires",
            rule.code
        );
    }
    for rule in CROSS_RULES {
        let example = &doc(rule.code).example;
        assert!(
            !cross_findings(rule, example, &example.before).is_empty(),
            "{}: the `before` example does not fire",
            rule.code
        );
        assert_eq!(
            cross_findings(rule, example, &example.after),
            vec![],
            "{}: the `after` example still fires",
            rule.code
        );
    }
}

fn kind(diagnostic: &Diagnostic) -> FixKind {
    match &diagnostic.fix {
        None => FixKind::None,
        Some(fix) if fix.applicability == Applicability::Safe => FixKind::Safe,
        Some(_) => FixKind::Unsafe,
    }
}

#[test]
fn fixable_rules_propose_fixes_of_their_documented_kind() {
    for rule in RULES {
        let doc = doc(rule.code);
        for diagnostic in findings(rule, &doc.example, &doc.example.before) {
            assert_eq!(kind(&diagnostic), doc.fix, "{}", rule.code);
        }
    }
    for rule in CROSS_RULES {
        let doc = doc(rule.code);
        for diagnostic in cross_findings(rule, &doc.example, &doc.example.before) {
            assert_eq!(kind(&diagnostic), doc.fix, "{}", rule.code);
        }
    }
}

/// Applying a cross-file rule's fix to the documented `before` gives a sheet on
/// which the rule no longer fires.
#[test]
fn cross_file_fixes_clear_their_findings() {
    for rule in CROSS_RULES {
        let doc = doc(rule.code);
        if doc.fix == FixKind::None {
            continue;
        }
        let mut fixed = doc.example.before.clone();
        for diagnostic in cross_findings(rule, &doc.example, &doc.example.before) {
            let fix = diagnostic.fix.expect("a fix");
            // Row 1 is the header; data starts at row 2.
            fixed[diagnostic.location.row as usize - 1][diagnostic.location.col as usize] =
                fix.replacement;
        }
        assert_eq!(
            cross_findings(rule, &doc.example, &fixed),
            vec![],
            "{}",
            rule.code
        );
    }
}

/// WooCommerce marks stock it does not count with `In stock?` and leaves
/// `Stock` blank: that is not a blank stock. Without the status, it is.
#[test]
fn a_blank_stock_beside_a_stock_status_is_not_reported() {
    let rows = |status: &str| -> Vec<Vec<String>> {
        vec![
            vec!["cc-tee".into(), status.into(), String::new()],
            vec!["cc-cap".into(), status.into(), "-1".into()],
        ]
    };
    let columns: Vec<String> = ["SKU", "In stock?", "Stock"].map(String::from).to_vec();
    let cells = |status: &str| -> Vec<String> {
        let book = workbook("woo.csv", &columns, &rows(status));
        let tables = layout::tables(&book, &TableSpec::default()).unwrap();
        assert_eq!(tables[0].column(Role::StockStatus), Some(1));
        invalid_stock::check(&tables[0], &Settings::default())
            .into_iter()
            .map(|d| d.cell())
            .collect()
    };
    assert_eq!(cells("1"), ["C3"]);
    assert_eq!(cells(""), ["C2", "C3"]);
}

/// The README's rule table names every rule, with its code, name and fix kind
/// as the catalog declares them.
#[test]
fn the_readme_rule_table_matches_the_catalog() {
    let readme = include_str!("../../README.md");
    let rows: Vec<Vec<&str>> = readme
        .lines()
        .filter(|line| line.starts_with("| ") && line.ends_with(" |"))
        .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
        .filter(|cells: &Vec<&str>| cells.first().is_some_and(|c| find_doc(c).is_some()))
        .collect();
    let codes: Vec<&str> = rows.iter().map(|cells| cells[0]).collect();
    let expected: Vec<&str> = catalog().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes, expected,
        "the README's rule table lists every rule once, in code order"
    );
    for cells in &rows {
        let doc = find_doc(cells[0]).unwrap();
        assert_eq!(cells[1], doc.name, "{}: name in the README", doc.code);
        let fix = match doc.fix {
            FixKind::None => "–",
            kind => kind.as_str(),
        };
        assert_eq!(
            cells.last().copied(),
            Some(fix),
            "{}: fix in the README",
            doc.code
        );
    }
}
