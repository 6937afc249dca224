//! The rules: each a pure function from a [`Table`] and [`Settings`] to diagnostics.
//!
//! A rule's documentation and metadata live in `rules/rules.toml` (embedded at
//! build time); [`RULES`] links each code to its function. Adding a rule means one
//! file here, one line in [`RULES`], one entry in `rules/rules.toml` and one fixture.
//!
//! Rules that compare a channel export with the master inventory or with the
//! other exports of the run (`--inventory`) are [`CrossRule`]s: pure functions
//! from a [`Run`] (every table of the run plus the inventory) to diagnostics,
//! registered in [`CROSS_RULES`]. Sellers' own rules from `skulint.toml` are
//! [`CustomRule`]s, run like the built-in ones.

mod below_campaign_reserve;
mod below_unpaid_reserve;
mod compatibility_character;
mod consecutive_spaces;
mod custom;
mod disallowed_character;
mod duplicate_parent_sku;
mod duplicate_sku;
mod edge_whitespace;
mod empty_sku;
mod invalid_stock;
mod invisible_character;
mod lookalike_character;
mod near_duplicate_sku;
mod numeric_sku;
pub(crate) use numeric_sku::{is_zero_padded, unpadded};
mod oversell_risk;
pub mod settings;
mod sku_too_long;
mod stock_mismatch;
pub mod sync_error;
mod unlinked_sku;
mod unnormalized_unicode;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::FixedState;
use rayon::prelude::*;
use serde::Deserialize;

pub use custom::CustomRule;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity, TextFix};
use crate::inventory::Inventory;
use crate::rules::settings::Settings;
use crate::table::columns::Channel;
use crate::table::{Format, Role, Sheet, Table, TableSpec, Value, Visibility, Workbook, layout};
use std::sync::Arc;

/// A rule: its permanent code and the function that checks a table.
pub struct Rule {
    pub code: &'static str,
    pub check: fn(&Table, &Settings) -> Vec<Diagnostic>,
}

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    Rule {
        code: "SKU001",
        check: consecutive_spaces::check,
    },
    Rule {
        code: "SKU002",
        check: edge_whitespace::check,
    },
    Rule {
        code: "SKU003",
        check: invisible_character::check,
    },
    Rule {
        code: "SKU004",
        check: unnormalized_unicode::check,
    },
    Rule {
        code: "SKU005",
        check: compatibility_character::check,
    },
    Rule {
        code: "SKU006",
        check: lookalike_character::check,
    },
    Rule {
        code: "SKU007",
        check: empty_sku::check,
    },
    Rule {
        code: "SKU008",
        check: sku_too_long::check,
    },
    Rule {
        code: "SKU009",
        check: disallowed_character::check,
    },
    Rule {
        code: "SKU010",
        check: numeric_sku::check,
    },
    Rule {
        code: "DUP001",
        check: duplicate_sku::check,
    },
    Rule {
        code: "DUP002",
        check: near_duplicate_sku::check,
    },
    Rule {
        code: "DUP003",
        check: duplicate_parent_sku::check,
    },
    Rule {
        code: "STK001",
        check: invalid_stock::check,
    },
    Rule {
        code: "STK002",
        check: below_campaign_reserve::check,
    },
    Rule {
        code: "STK003",
        check: below_unpaid_reserve::check,
    },
    Rule {
        code: "SYN001",
        check: sync_error::check,
    },
];

/// What a cross-file rule sees: every channel table of the run and the master inventory.
pub struct Run<'r, 't> {
    pub tables: &'r [&'r Table<'t>],
    pub inventory: &'r Inventory,
}

/// A rule that needs more than one table: its code and the function that checks a run.
pub struct CrossRule {
    pub code: &'static str,
    pub check: fn(&Run, &Settings) -> Vec<Diagnostic>,
}

/// Every cross-file rule, in code order. They run only with `--inventory`.
pub const CROSS_RULES: &[CrossRule] = &[
    CrossRule {
        code: "STK004",
        check: oversell_risk::check,
    },
    CrossRule {
        code: "STK005",
        check: stock_mismatch::check,
    },
    CrossRule {
        code: "STK006",
        check: unlinked_sku::check,
    },
];

/// Every built-in code: the per-table rules, then the cross-file ones.
pub fn codes() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .map(|r| r.code)
        .chain(CROSS_RULES.iter().map(|r| r.code))
}

/// What a built-in rule needs to see; `None` for a custom rule's code.
fn scope_of(code: &str) -> Option<Scope> {
    catalog().iter().find(|d| d.code == code).map(|d| d.scope)
}

/// Whether `code` is a cross-file rule (it runs only with `--inventory`).
pub fn is_cross_file(code: &str) -> bool {
    scope_of(code) == Some(Scope::CrossFile)
}

/// Whether and how a rule's finding can be fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixKind {
    Safe,
    Unsafe,
    None,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Safe => "safe",
            FixKind::Unsafe => "unsafe",
            FixKind::None => "none",
        }
    }
}

/// What a rule needs to see to decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// One cell.
    Cell,
    /// The cells of one row.
    Row,
    /// The rows of a sheet, compared with each other.
    Table,
    /// The exports of a run and the master file (`--inventory`).
    CrossFile,
}

/// What the cell a finding points at holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellValue {
    /// A code or a quantity, shown as typed, spaces made visible.
    #[default]
    Code,
    /// A channel's message (a sync failure reason), shown as words.
    Message,
}

/// A worked example: a small sheet on which the rule fires (`before`) and
/// the corrected one on which it does not (`after`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub columns: Vec<String>,
    pub before: Vec<Vec<String>>,
    pub after: Vec<Vec<String>>,
    pub channel: Option<String>,
    /// Cross-file rules: another channel export of the run, with the same columns.
    pub other: Option<Vec<Vec<String>>>,
    /// Cross-file rules: the master inventory file.
    pub inventory: Option<ExampleSheet>,
}

/// A sheet of an example besides the one being fixed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSheet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A rule parameter, set in `skulint.toml` under `[rules.<rule-name>]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub default: String,
    pub about: String,
}

/// A rule's entry in `rules/rules.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleDoc {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub fix: FixKind,
    pub scope: Scope,
    /// What the cells the rule points at hold.
    #[serde(default)]
    pub value: CellValue,
    pub summary: String,
    pub why: String,
    /// The channel errors (or sync states) the problem causes; each is named in `why`.
    pub errors: Vec<String>,
    pub fix_note: String,
    /// What the seller does by hand where `fix` does not: the text report's
    /// "What to do next" line for the rule.
    pub next_step: String,
    #[serde(default)]
    pub params: Vec<Param>,
    pub example: Example,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    rule: Vec<RuleDoc>,
}

/// Every rule's documentation, in the order of `rules/rules.toml`.
pub fn catalog() -> &'static [RuleDoc] {
    static CATALOG: OnceLock<Vec<RuleDoc>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        toml::from_str::<Catalog>(include_str!("../../rules/rules.toml"))
            .expect("rules/rules.toml is valid (checked by tests)")
            .rule
    })
}

/// The documentation of a code. Every built-in code has one (checked by tests).
pub fn doc(code: &str) -> &'static RuleDoc {
    find_doc(code).unwrap_or_else(|| panic!("{code} has no entry in rules/rules.toml"))
}

/// The documentation of a built-in rule, by code or name (any case).
pub fn find_doc(code_or_name: &str) -> Option<&'static RuleDoc> {
    let wanted = code_or_name.trim();
    catalog()
        .iter()
        .find(|d| d.code.eq_ignore_ascii_case(wanted) || d.name.eq_ignore_ascii_case(wanted))
}

/// What the SKU rules (SKU001–SKU010) find in one SKU, linted as the only row of
/// a `channel` export.
pub fn sku_findings(sku: &str, channel: Channel) -> Vec<Diagnostic> {
    let text = |t: &str| Value::Text(t.to_string());
    // Id columns make the row a listing whatever the SKU says: a SKU that reads
    // like a sentence or a "Wajib" must not be taken for an instruction row.
    let workbook = Workbook {
        path: "sku".into(),
        display: Arc::from("--sku"),
        format: Format::Csv,
        sheets: vec![Sheet {
            name: Arc::from("sku"),
            visibility: Visibility::Visible,
            rows: vec![
                vec![text("Product ID"), text("Variation ID"), text("SKU")],
                vec![text("1"), text("1"), text(sku)],
            ],
            ..Sheet::default()
        }],
        dialect: None,
    };
    let spec = TableSpec {
        channel: Some(channel),
        header_row: Some(1),
        ..TableSpec::default()
    };
    let settings = Settings {
        select: vec!["SKU".into()],
        ..Settings::default()
    };
    match layout::tables(&workbook, &spec) {
        Ok(tables) => run(&tables, &settings),
        Err(_) => Vec::new(),
    }
}

/// Which of the enabled rules of a run to run on a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    All,
    /// The rules that compare the rows of a table (scope `table`).
    ComparingRows,
    /// The rules that look at one row at a time (scope `cell` or `row`, and
    /// the custom rules): their findings on a row follow from that row alone
    /// and the table's layout.
    OneRow,
}

impl Which {
    pub fn covers(self, code: &str) -> bool {
        match self {
            Which::All => true,
            Which::ComparingRows => compares_rows(code),
            Which::OneRow => !matches!(scope_of(code), Some(Scope::Table | Scope::CrossFile)),
        }
    }
}

/// Whether `code` is a built-in rule that compares the rows of a table.
pub fn compares_rows(code: &str) -> bool {
    scope_of(code) == Some(Scope::Table)
}

/// Runs every enabled rule (built-in and custom) on every table in parallel and
/// returns the findings in report order, with the configured severities.
pub fn run(tables: &[Table], settings: &Settings) -> Vec<Diagnostic> {
    run_which(tables, settings, Which::All, Threads::Pool)
}

/// Where the rules of a run go: spread over the pool's threads, or all on
/// the calling thread, when the other cores already have their work (a
/// streamed sheet's parser): rules spread over them would only take turns
/// with it, and make it wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    Pool,
    This,
}

/// [`run`] with only the enabled rules `which` covers, on `threads`.
pub fn run_which(
    tables: &[Table],
    settings: &Settings,
    which: Which,
    threads: Threads,
) -> Vec<Diagnostic> {
    let enabled: Vec<&Rule> = RULES
        .iter()
        .filter(|r| settings.is_enabled(r.code) && which.covers(r.code))
        .collect();
    let custom: Vec<&CustomRule> = settings
        .custom_rules
        .iter()
        .filter(|r| settings.is_enabled(r.code) && which.covers(r.code))
        .collect();
    let built_in = |table, rule: &&Rule| (rule.check)(table, settings);
    let own = |table, rule: &&CustomRule| custom::check(table, rule);
    let mut diagnostics: Vec<Diagnostic> = match threads {
        Threads::Pool => tables
            .par_iter()
            .flat_map(|table| {
                let built_in = enabled
                    .par_iter()
                    .flat_map_iter(move |r| built_in(table, r));
                let own = custom.par_iter().flat_map_iter(move |r| own(table, r));
                built_in.chain(own)
            })
            .collect(),
        Threads::This => tables
            .iter()
            .flat_map(|table| {
                let built_in = enabled.iter().flat_map(move |r| built_in(table, r));
                let own = custom.iter().flat_map(move |r| own(table, r));
                built_in.chain(own)
            })
            .collect(),
    };
    finish(&mut diagnostics, settings);
    diagnostics
}

/// Runs every enabled cross-file rule over the tables of one run.
pub fn run_cross(tables: &[&Table], inventory: &Inventory, settings: &Settings) -> Vec<Diagnostic> {
    let run = Run { tables, inventory };
    let mut diagnostics: Vec<Diagnostic> = CROSS_RULES
        .par_iter()
        .filter(|r| settings.is_enabled(r.code))
        .flat_map_iter(|rule| (rule.check)(&run, settings))
        .collect();
    // SKU010 is a per-table rule that also compares a number SKU with the
    // zero-padded codes of the master and the other exports, when there are any.
    if settings.is_enabled("SKU010") {
        diagnostics.extend(numeric_sku::check_run(&run, settings));
    }
    finish(&mut diagnostics, settings);
    diagnostics
}

/// Applies the configured severities and sorts into report order.
fn finish(diagnostics: &mut [Diagnostic], settings: &Settings) {
    for diagnostic in diagnostics.iter_mut() {
        diagnostic.severity = settings.severity_of(diagnostic.code, diagnostic.severity);
    }
    diagnostics.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A finding of rule `code` at the cell of `role` in `row` (0-based).
pub(crate) fn finding(
    table: &Table,
    code: &'static str,
    row: usize,
    role: Role,
    message: String,
) -> Diagnostic {
    let doc = doc(code);
    finding_as(
        table,
        code,
        doc.name.as_str(),
        doc.severity,
        row,
        role,
        message,
    )
}

/// A finding at the cell of `role` in `row` (0-based), for a rule with no
/// catalog entry (a custom rule names itself).
pub(crate) fn finding_as(
    table: &Table,
    code: &'static str,
    name: &'static str,
    severity: Severity,
    row: usize,
    role: Role,
    message: String,
) -> Diagnostic {
    let col = table.column(role).unwrap_or(0);
    let sku = table.text(row, Role::Sku);
    Diagnostic {
        code,
        name,
        severity,
        location: table.location(row, col),
        header: table.header(col),
        sku: (!sku.is_empty()).then_some(sku),
        value: table.text(row, role),
        message,
        fix: None,
        related: Vec::new(),
        highlight: Vec::new(),
    }
}

impl Diagnostic {
    /// A fix that passes the cell's text through `fix`.
    pub(crate) fn with_text_fix(mut self, applicability: Applicability, fix: TextFix) -> Self {
        self.fix = Some(Fix {
            applicability,
            replacement: fix.apply(&self.value),
            note: None,
            edit: Edit::Text(fix),
        });
        self
    }

    /// A fix that sets the stock cell to `quantity`.
    pub(crate) fn with_quantity_fix(mut self, applicability: Applicability, quantity: i64) -> Self {
        self.fix = Some(Fix {
            applicability,
            replacement: quantity.to_string(),
            note: None,
            edit: Edit::Quantity(quantity),
        });
        self
    }

    pub(crate) fn with_highlight(mut self, ranges: Vec<(usize, usize)>) -> Self {
        self.highlight = ranges;
        self
    }

    /// Names the other rows of a group, at the cells of `role`.
    pub(crate) fn with_related(
        mut self,
        table: &Table,
        rows: impl IntoIterator<Item = usize>,
        role: Role,
    ) -> Self {
        self.related = rows
            .into_iter()
            .map(|row| table.location_of(row, role))
            .collect();
        self
    }
}

/// The data rows with a non-empty SKU, with the SKU as Excel shows it.
pub(crate) fn skus<'t>(table: &'t Table) -> impl Iterator<Item = (usize, Cow<'t, str>)> + 't {
    table
        .texts(Role::Sku)
        .iter()
        .map(|(row, text)| (*row, Cow::Borrowed(&**text)))
}

/// Whether a row is a stock listing: not an item whose stock nobody tracks
/// (a blank `Variant Inventory Tracker`, as on shipping protection or gift
/// wrap). Duplicate-SKU and stock rules look only at stock listings.
pub(crate) fn is_stock_listing(table: &Table, row: usize) -> bool {
    table.column(Role::StockTracker).is_none()
        || !table.str(row, Role::StockTracker).trim().is_empty()
}

/// [`skus`] of the stock listings only (see [`is_stock_listing`]).
pub(crate) fn stock_skus<'t>(table: &'t Table) -> impl Iterator<Item = (usize, Cow<'t, str>)> + 't {
    skus(table).filter(move |(row, _)| is_stock_listing(table, *row))
}

/// The non-empty SKU and parent SKU cells of the data rows: the rules about the
/// characters of a SKU check both.
pub(crate) fn sku_cells<'t>(
    table: &'t Table,
) -> impl Iterator<Item = (usize, Role, Cow<'t, str>)> + 't {
    [Role::Sku, Role::ParentSku]
        .into_iter()
        .flat_map(move |role| {
            table
                .texts(role)
                .iter()
                .map(move |(row, text)| (*row, role, Cow::Borrowed(&**text)))
        })
}

/// Character ranges (end exclusive) of the runs of characters matching `pred`.
pub(crate) fn char_runs(text: &str, pred: impl Fn(usize, char) -> bool) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (index, c) in text.chars().enumerate() {
        if pred(index, c) {
            match runs.last_mut() {
                Some(last) if last.1 == index => last.1 = index + 1,
                _ => runs.push((index, index + 1)),
            }
        }
    }
    runs
}

/// Row numbers for a message: `3, 4 and 5`, or the first ten and how many more.
pub(crate) fn row_list(table: &Table, rows: &[usize]) -> String {
    const SHOWN: usize = 10;
    let numbers: Vec<String> = rows
        .iter()
        .take(SHOWN)
        .map(|&r| (table.file_row(r) + 1).to_string())
        .collect();
    match rows.len() {
        0 => String::new(),
        1 => numbers[0].clone(),
        n if n <= SHOWN => format!("{} and {}", numbers[..n - 1].join(", "), numbers[n - 1]),
        n => format!("{} and {} more", numbers.join(", "), n - SHOWN),
    }
}

/// Rows grouped by the shop they belong to ([`Table::shop`]; one group without
/// a shop column): duplicates only matter within one shop.
pub(crate) fn by_shop<'t>(
    table: &'t Table,
    rows: impl Iterator<Item = (usize, Cow<'t, str>)>,
) -> BTreeMap<Cow<'t, str>, Vec<(usize, Cow<'t, str>)>> {
    let mut groups: BTreeMap<Cow<'t, str>, Vec<(usize, Cow<'t, str>)>> = BTreeMap::new();
    if table.column(Role::Shop).is_none() {
        groups.insert(Cow::Borrowed(""), rows.collect());
        return groups;
    }
    for (row, value) in rows {
        groups
            .entry(table.shop(row))
            .or_default()
            .push((row, value));
    }
    groups
}

/// The positions `0..len` whose keys are equal, grouped, for the keys that
/// occur more than once; each group in order. `key` writes the key of a
/// position into a buffer, so that no key is allocated: positions are sorted by
/// the hash of their key, and only those with equal hashes are compared.
pub(crate) fn groups_by(len: usize, mut key: impl FnMut(usize, &mut String)) -> Vec<Vec<usize>> {
    let state = FixedState::with_seed(0x0073_6b75_6c69_6e74);
    let mut buffer = String::new();
    let mut hashes: Vec<(u64, usize)> = (0..len)
        .map(|position| {
            buffer.clear();
            key(position, &mut buffer);
            (state.hash_one(buffer.as_str()), position)
        })
        .collect();
    hashes.sort_unstable();
    let mut groups = Vec::new();
    for run in hashes
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        let mut keyed: Vec<(String, usize)> = run
            .iter()
            .map(|&(_, position)| {
                let mut text = String::new();
                key(position, &mut text);
                (text, position)
            })
            .collect();
        keyed.sort_unstable();
        for same in keyed
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|same| same.len() > 1)
        {
            groups.push(same.iter().map(|(_, position)| *position).collect());
        }
    }
    groups
}

/// The text without its edge whitespace, still borrowed when it was.
pub(crate) fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) if text.trim().len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
    }
}

#[cfg(test)]
mod tests;

/// Findings where the stock is a valid number below the amount in the `reserved` column.
pub(crate) fn below_reserve(
    table: &Table,
    code: &'static str,
    reserved: Role,
    message: impl Fn(i64, i64) -> String,
) -> Vec<Diagnostic> {
    use crate::table::layout::parse_number;
    if table.column(Role::Stock).is_none() || table.column(reserved).is_none() {
        return Vec::new();
    }
    let whole = |value| {
        parse_number(value)
            .filter(|n: &f64| *n >= 0.0 && n.fract() == 0.0)
            .map(|n| n as i64)
    };
    table
        .data_rows
        .iter()
        .filter(|&&row| is_stock_listing(table, row))
        .filter_map(|&row| {
            let stock = whole(table.value(row, Role::Stock))?;
            let held = whole(table.value(row, reserved))?;
            (stock < held).then(|| finding(table, code, row, Role::Stock, message(stock, held)))
        })
        .collect()
}

/// A stock cell as a whole number from 0 up; `None` for anything STK001 reports.
pub(crate) fn stock_count(value: &crate::table::Value) -> Option<i64> {
    crate::table::layout::parse_number(value)
        .filter(|n| *n >= 0.0 && n.fract() == 0.0 && *n < 1e15)
        .map(|n| n as i64)
}

/// Every stock listing with a SKU, in every table of a run.
pub(crate) fn run_skus<'r, 't>(
    run: &'r Run<'r, 't>,
) -> impl Iterator<Item = (&'r Table<'t>, usize, String)> + 'r {
    run.tables
        .iter()
        .flat_map(|table| stock_skus(table).map(move |(row, sku)| (*table, row, sku.into_owned())))
}

/// What a message adds when a SKU matched the master only after normalization.
pub(crate) fn normalized_note(matched: &crate::inventory::Match) -> String {
    if matched.exact {
        String::new()
    } else {
        format!(
            " (matched the master's `{}` only after ignoring spacing, invisible characters, width and case)",
            crate::text::visible(&matched.item.sku)
        )
    }
}
