//! Finding the layout of a sheet: its header rows, channel and column roles, by
//! content. Real exports put 0–6 rows before the data (machine keys, markers,
//! localized labels, "Mandatory/Wajib" rows, instructions); data starts after them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, OnceLock};

use super::columns::{AliasKind, Channel, ChannelProfile, Role, Vocabulary, normalize_header};
use super::{Sheet, Value, Visibility, Workbook};
use crate::diagnostic::{column_letter, parse_column_letter};

/// How far down a sheet header rows are looked for.
const HEADER_SCAN_ROWS: usize = 40;
/// How many rows after the last header row may still be requirement,
/// instruction or marker rows rather than data.
const PREAMBLE_ROWS: usize = 10;

/// What the user told skulint about the layout (`--header-row`, `--sku-column`, …).
#[derive(Clone, Debug, Default)]
pub struct TableSpec {
    /// `None`: detect the channel.
    pub channel: Option<Channel>,
    /// 1-based header row.
    pub header_row: Option<usize>,
    /// Role → header text or column letter.
    pub columns: BTreeMap<Role, String>,
    /// Only these sheets (by name); empty: every sheet.
    pub sheets: Vec<String>,
    /// The file is the master inventory (`--inventory`), whose available
    /// stock is a column of its own.
    pub inventory: bool,
}

/// The non-empty texts of one column in the data rows: (row, text).
pub type ColumnTexts<'a> = Vec<(usize, Cow<'a, str>)>;

/// The linted view of one sheet: where its header is, which column holds what,
/// and which rows are data.
#[derive(Debug)]
pub struct Table<'a> {
    pub file: Arc<str>,
    pub sheet: &'a Sheet,
    /// 0-based position of the sheet in its workbook: reports follow it.
    pub sheet_index: usize,
    pub channel: Channel,
    pub profile: &'static ChannelProfile,
    /// 0-based index of the header row that names the columns for people.
    pub header_row: usize,
    columns: [Option<usize>; Role::ALL.len()],
    /// 0-based indexes of the rows that are data (have an identity).
    pub data_rows: Vec<usize>,
    /// Per role, the non-empty texts of the data rows, read once for all rules.
    texts: [OnceLock<ColumnTexts<'a>>; Role::ALL.len()],
    /// The row in the file of each row of the sheet, when the sheet holds only
    /// some rows of a file; empty: row `i` of the sheet is row `i` of the file.
    file_rows: Vec<usize>,
    /// When the sheet holds only some rows of a file: the products that rows
    /// naming none continue (see [`NamedAbove`]).
    products_above: Option<Arc<NamedAbove>>,
    /// The same for shops: given when the sheet holds only some rows of a
    /// file, else followed over the sheet's rows on first use.
    shops_above: OnceLock<Arc<NamedAbove>>,
    /// The non-empty rows under the header that are not linted, and why.
    pub skipped: Vec<(usize, RowSkip)>,
    /// Why each column was given its role, for `skulint layout`.
    sources: [Option<ColumnSource>; Role::ALL.len()],
    /// What the seller should know about how the sheet was read, said once.
    pub notes: Vec<String>,
    /// The SKU column holds one code per product and was read as the parent
    /// SKU: that code is each listing's SKU.
    pub product_level_codes: bool,
}

/// A listing row that leaves a product or a shop blank continues the one of
/// the last listing row above it that names one: Shopee's mass-upload
/// template names a product on its first variation row only, and a
/// multichannel export with merged cells names a shop (and product) on the
/// first row under it only. A sheet that holds only some rows of a file may
/// not hold that row: this keeps, in file order, each row that names a value
/// some row below it continues, with that value.
#[derive(Debug, Default)]
pub struct NamedAbove {
    /// The rows naming a value that a row below continues, with it.
    named: Vec<(usize, Box<str>)>,
    /// The last row that named a value, with it, and whether a row below
    /// continues it.
    last: Option<(usize, String, bool)>,
}

impl NamedAbove {
    /// Follows the listing rows of a file in order: `row` names `value`, or
    /// none when it is blank.
    pub fn follow(&mut self, row: usize, value: &str) {
        if !value.is_empty() {
            let (named_row, named, continued) = self.last.get_or_insert_default();
            *named_row = row;
            named.clear();
            named.push_str(value);
            *continued = false;
        } else if let Some((named_row, named, continued)) = &mut self.last
            && !*continued
        {
            // The entry before gives the same value: a lookup finds it instead.
            if self.named.last().is_none_or(|(_, last)| **last != **named) {
                self.named.push((*named_row, named.as_str().into()));
            }
            *continued = true;
        }
    }

    /// The value that the row just followed names or continues.
    pub fn current(&self) -> Option<&str> {
        self.last.as_ref().map(|(_, value, _)| value.as_str())
    }

    /// The value that a listing row of the file naming none continues.
    pub fn continued_at(&self, row: usize) -> Option<&str> {
        let above = self.named.partition_point(|(named, _)| *named < row);
        above.checked_sub(1).map(|at| &*self.named[at].1)
    }
}

/// Why a non-empty row under the header is not a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowSkip {
    /// Requirement ("Mandatory", "Wajib"), marker or instruction rows right under the header.
    Preamble,
    /// The channel's example product, left in its template.
    Example,
    /// A row that only carries the product's id, continuing the listing above
    /// (Shopify's extra image rows).
    Continuation,
    /// No id, name, price, stock, option or SKU: a note or a total, not a listing.
    NoListing,
}

impl RowSkip {
    /// The key used in the JSON report.
    pub fn key(self) -> &'static str {
        match self {
            RowSkip::Preamble => "instructions",
            RowSkip::Example => "example",
            RowSkip::Continuation => "continuation",
            RowSkip::NoListing => "no-listing",
        }
    }

    /// `3 instruction rows`, `1 example row`.
    pub fn count(self, rows: usize) -> String {
        let (one, many) = match self {
            RowSkip::Preamble => ("instruction row", "instruction rows"),
            RowSkip::Example => ("example row", "example rows"),
            RowSkip::Continuation => ("continuation row", "continuation rows"),
            RowSkip::NoListing => (
                "row without listing content",
                "rows without listing content",
            ),
        };
        format!("{rows} {}", if rows == 1 { one } else { many })
    }

    /// What the rows are, for people.
    pub fn describe(self) -> &'static str {
        match self {
            RowSkip::Preamble => "requirement or instruction rows under the header",
            RowSkip::Example => "the template's example product",
            RowSkip::Continuation => "rows that only continue the listing above (extra images)",
            RowSkip::NoListing => "rows without an id, name, price, stock, option or SKU",
        }
    }
}

/// How a column got its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnSource {
    /// A machine key in a header row (`et_title_variation_sku`), 0-based row.
    Key { row: usize, text: String },
    /// A label in a header row (`SKU Induk`), 0-based row.
    Label { row: usize, text: String },
    /// Named by the user (`--sku-column`, `[columns]`).
    Given(String),
    /// Read from the data: why.
    Inferred(String),
}

impl std::fmt::Display for ColumnSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnSource::Key { row, text } => {
                write!(f, "machine key `{}` in row {}", short(text), row + 1)
            }
            ColumnSource::Label { row, text } => {
                write!(f, "label `{}` in row {}", short(text), row + 1)
            }
            ColumnSource::Given(given) => write!(
                f,
                "named on the command line or in skulint.toml (`{given}`)"
            ),
            ColumnSource::Inferred(why) => f.write_str(why),
        }
    }
}

/// A sheet that is not linted, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedSheet {
    pub name: Arc<str>,
    /// 0-based position in the workbook.
    pub position: usize,
    pub reason: SheetSkip,
}

/// Why a sheet is not linted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetSkip {
    /// Hidden sheets hold the template's settings and lists, not listings.
    Hidden,
    /// The channel's example sheet (`Example`, `Contoh Upload`).
    Example,
    /// Instructions or a guide.
    Guide,
    /// Nothing in it.
    Empty,
    /// No header row with a SKU or parent SKU column.
    NoSkuColumn { seen: String },
}

impl SheetSkip {
    /// The key used in the JSON report.
    pub fn key(&self) -> &'static str {
        match self {
            SheetSkip::Hidden => "hidden",
            SheetSkip::Example => "example",
            SheetSkip::Guide => "instructions",
            SheetSkip::Empty => "empty",
            SheetSkip::NoSkuColumn { .. } => "no-sku-column",
        }
    }
}

impl std::fmt::Display for SheetSkip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SheetSkip::Hidden => f.write_str("hidden"),
            SheetSkip::Example => f.write_str("the channel's example products"),
            SheetSkip::Guide => f.write_str("instructions"),
            SheetSkip::Empty => f.write_str("empty"),
            SheetSkip::NoSkuColumn { seen } => {
                write!(f, "no SKU column (headers seen: {seen})")
            }
        }
    }
}

/// The sheets of a workbook: the tables to lint, and the sheets left out.
#[derive(Debug)]
pub struct Layout<'a> {
    pub tables: Vec<Table<'a>>,
    pub skipped: Vec<SkippedSheet>,
}

impl<'a> Table<'a> {
    pub fn column(&self, role: Role) -> Option<usize> {
        self.columns[role.index()]
    }

    /// The cell of `role` in `row`; empty when the sheet has no such column.
    pub fn value(&self, row: usize, role: Role) -> &'a Value {
        static EMPTY: Value = Value::Empty;
        match self.column(role) {
            Some(col) => self.sheet.cell(row, col),
            None => &EMPTY,
        }
    }

    /// The text of `role` in `row`, as Excel shows it.
    pub fn text(&self, row: usize, role: Role) -> String {
        self.value(row, role).display()
    }

    /// [`Table::text`] without a copy when the cell holds text.
    pub fn str(&self, row: usize, role: Role) -> Cow<'a, str> {
        self.value(row, role).text()
    }

    /// The header text of a column, from the header row (or the nearest one above that has it).
    pub fn header(&self, col: usize) -> String {
        (0..=self.header_row)
            .rev()
            .map(|row| self.sheet.cell(row, col).display())
            .find(|text| !text.trim().is_empty())
            .unwrap_or_default()
    }

    /// The data rows whose `role` cell is not empty, with its text as Excel
    /// shows it. Several rules read every SKU of a table: the column is
    /// gathered once, on first use, and shared.
    pub fn texts(&self, role: Role) -> &[(usize, Cow<'a, str>)] {
        self.texts[role.index()].get_or_init(|| {
            if self.column(role).is_none() {
                return Vec::new();
            }
            self.data_rows
                .iter()
                .filter_map(|&row| {
                    let text = self.str(row, role);
                    (!text.is_empty()).then_some((row, text))
                })
                .collect()
        })
    }

    /// This layout on another sheet that has the same header rows: its rows from
    /// `first_data_row` on that are listings are the data rows. A long
    /// file read in parts is linted part by part this way.
    pub fn with_sheet<'b>(&self, sheet: &'b Sheet, first_data_row: usize) -> Table<'b> {
        let mut table = Table {
            file: self.file.clone(),
            sheet,
            sheet_index: self.sheet_index,
            channel: self.channel,
            profile: self.profile,
            header_row: self.header_row,
            columns: self.columns,
            data_rows: Vec::new(),
            texts: std::array::from_fn(|_| OnceLock::new()),
            file_rows: Vec::new(),
            products_above: None,
            shops_above: OnceLock::new(),
            skipped: Vec::new(),
            sources: self.sources.clone(),
            notes: Vec::new(),
            product_level_codes: self.product_level_codes,
        };
        for row in first_data_row..sheet.rows.len() {
            match listing_kind(&table, row) {
                RowKind::Listing => table.data_rows.push(row),
                RowKind::Skip(reason) => table.skipped.push((row, reason)),
                RowKind::Blank => {}
            }
        }
        table
    }

    /// What tells the products of this table apart: the product id, or the
    /// product name in exports without ids (Akulaku, TikTok uploads); trimmed.
    pub fn product_key(&self, row: usize) -> Cow<'a, str> {
        let role = if self.column(Role::ProductId).is_some() {
            Role::ProductId
        } else {
            Role::ProductName
        };
        self.trimmed(row, role)
    }

    /// The text of a cell without its edge whitespace.
    fn trimmed(&self, row: usize, role: Role) -> Cow<'a, str> {
        match self.str(row, role) {
            Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
            Cow::Owned(text) => Cow::Owned(text.trim().to_string()),
        }
    }

    /// The product of each data row ([`Table::product_key`]). A row that
    /// leaves it blank continues the product above (Shopee's mass-upload
    /// template names a product on its first variation row only), which a
    /// sheet of some rows of a file may not hold ([`NamedAbove`]). Rows
    /// before any named product have none. The fix plan and DUP003 both group
    /// rows by it.
    pub fn products(&self) -> foldhash::HashMap<usize, Cow<'_, str>> {
        let mut products = foldhash::HashMap::default();
        if self.column(Role::ProductId).is_none() && self.column(Role::ProductName).is_none() {
            return products;
        }
        let above = self.products_above();
        let mut current: Option<Cow<'_, str>> = None;
        for &row in &self.data_rows {
            let value = self.product_key(row);
            if !value.is_empty() {
                current = Some(value);
            } else if let Some(above) = above {
                current = above.continued_at(self.file_row(row)).map(Cow::Borrowed);
            }
            if let Some(product) = &current {
                products.insert(row, product.clone());
            }
        }
        products
    }

    /// Whether a row is a variation: it has a variation SKU, a variation name or
    /// a variation id (other than Shopee's `0` for a product without variations).
    pub fn is_variation(&self, row: usize) -> bool {
        let filled = |role| !self.str(row, role).trim().is_empty();
        let id = self.str(row, Role::VariationId);
        filled(Role::Sku)
            || filled(Role::VariationName)
            || !(id.trim().is_empty() || id.trim() == "0")
    }

    /// Whether a listing row has no SKU that stock sync could link it by: no
    /// SKU on a variation, or no code at all on a product without variations
    /// (whose parent SKU is its SKU), or no product-level code.
    pub fn lacks_sku(&self, row: usize) -> bool {
        let blank = |role| self.str(row, role).trim().is_empty();
        if self.column(Role::Sku).is_some() {
            blank(Role::Sku) && (self.is_variation(row) || blank(Role::ParentSku))
        } else {
            self.product_level_codes && blank(Role::ParentSku)
        }
    }

    /// Why the column of `role` was given it.
    pub fn source(&self, role: Role) -> Option<&ColumnSource> {
        self.sources[role.index()].as_ref()
    }

    /// This table over a sheet that holds only some rows of the file:
    /// `file_rows[i]` is the row in the file of the sheet's row `i`.
    pub fn with_file_rows(mut self, file_rows: Vec<usize>) -> Self {
        self.file_rows = file_rows;
        self
    }

    /// This table over a copy of its sheet with some cells changed (the fixed
    /// rows of `fix`): the rows from below the header are classified again,
    /// and keep their rows in the file.
    pub fn on_changed<'b>(&self, sheet: &'b Sheet) -> Table<'b> {
        let mut table = self
            .with_sheet(sheet, self.header_row + 1)
            .with_file_rows(self.file_rows.clone());
        table.products_above = self.products_above.clone();
        table.shops_above = self.shops_above.clone();
        table
    }

    /// This table over a sheet that holds only some rows of the file, with
    /// the products its rows that name none continue.
    pub fn with_products_above(mut self, products: NamedAbove) -> Self {
        self.products_above = Some(Arc::new(products));
        self
    }

    /// This table over a sheet that holds only some rows of the file, with
    /// the shops its rows that name none continue.
    pub fn with_shops_above(self, shops: NamedAbove) -> Self {
        let _ = self.shops_above.set(Arc::new(shops));
        self
    }

    /// The shop of a data row, trimmed: its own, or, left blank, the one of
    /// the last row above that names one (a multichannel export with merged
    /// cells names it on the first row under it only, which may be a row of
    /// its own, not a listing). Duplicates are compared within a shop.
    pub fn shop(&self, row: usize) -> Cow<'_, str> {
        let own = self.trimmed(row, Role::Shop);
        if !own.is_empty() || self.column(Role::Shop).is_none() {
            return own;
        }
        // Every row under the header is followed: a blank one only continues,
        // so a listing's lookup finds the last row above that names a shop.
        let above = self.shops_above.get_or_init(|| {
            let mut shops = NamedAbove::default();
            for row in self.header_row + 1..self.sheet.rows.len() {
                shops.follow(self.file_row(row), &self.trimmed(row, Role::Shop));
            }
            Arc::new(shops)
        });
        above
            .continued_at(self.file_row(row))
            .map_or(own, Cow::Borrowed)
    }

    /// The products continued by rows that name none, when the sheet holds
    /// only some rows of the file; `None`: the rows above are on the sheet.
    pub fn products_above(&self) -> Option<&NamedAbove> {
        self.products_above.as_deref()
    }

    /// The 0-based row in the file of the sheet's row `row`: what findings and
    /// messages name.
    pub fn file_row(&self, row: usize) -> usize {
        self.file_rows.get(row).copied().unwrap_or(row)
    }

    /// The file's cell at the sheet's row `row` and column `col`.
    pub fn location(&self, row: usize, col: usize) -> crate::diagnostic::Location {
        crate::diagnostic::Location {
            file: self.file.clone(),
            sheet_index: self.sheet_index as u32,
            sheet: self.sheet.name.clone(),
            row: self.file_row(row) as u32,
            col: col as u32,
        }
    }

    /// The cell of `role` in row `row` (the first column when the table has none).
    pub fn location_of(&self, row: usize, role: Role) -> crate::diagnostic::Location {
        self.location(row, self.column(role).unwrap_or(0))
    }

    /// Column roles found, in role order.
    pub fn roles(&self) -> impl Iterator<Item = (Role, usize)> + '_ {
        Role::ALL
            .into_iter()
            .filter_map(|role| self.column(role).map(|col| (role, col)))
    }
}

/// Why a sheet or workbook has nothing to lint.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "no SKU column found (headers seen: {seen}); name it with --sku-column \"HEADER\" or a column letter"
    )]
    NoSkuColumn { seen: String },
    #[error("no sheet holds listings: {skipped}; name the sheet to check with --sheet \"NAME\"")]
    NoListingSheet { skipped: String },
    #[error("no sheet named {wanted} (sheets: {available})")]
    NoSuchSheet { wanted: String, available: String },
    #[error(
        "--{role}-column {given}: sheet {sheet} has no such header, and no data in a column of that letter"
    )]
    NoSuchColumn {
        role: String,
        given: String,
        sheet: String,
    },
    #[error("--header-row {row}: sheet {sheet} has only {rows} rows")]
    HeaderRowPastEnd {
        row: usize,
        sheet: String,
        rows: usize,
    },
}

/// Finds the tables of every sheet with a SKU column. Other sheets (guides,
/// hidden lists) are kept by `fix` but not linted.
pub fn tables<'a>(workbook: &'a Workbook, spec: &TableSpec) -> Result<Vec<Table<'a>>, LayoutError> {
    detect(workbook, spec).map(|layout| layout.tables)
}

/// The tables of a workbook and the sheets left out, with why. By default the
/// visible sheets that hold listings are linted; hidden sheets and the
/// channels' example and instruction sheets only when named with `--sheet`.
pub fn detect<'a>(workbook: &'a Workbook, spec: &TableSpec) -> Result<Layout<'a>, LayoutError> {
    let named = |sheet: &Sheet| spec.sheets.iter().any(|w| **w == *sheet.name);
    if !spec.sheets.is_empty() && !workbook.sheets.iter().any(named) {
        return Err(LayoutError::NoSuchSheet {
            wanted: spec.sheets.join(", "),
            available: workbook
                .sheets
                .iter()
                .map(|s| s.name.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let vocabulary = Vocabulary::get();
    let channel = spec.channel.unwrap_or_else(|| detect_channel(workbook));
    // A CSV file's one sheet is named after the file, which the seller chose.
    let by_name = workbook.sheets.len() > 1;
    let selected: Vec<(usize, &Sheet, Option<SheetSkip>)> = workbook
        .sheets
        .iter()
        .enumerate()
        .filter(|(_, sheet)| spec.sheets.is_empty() || named(sheet))
        .map(|(position, sheet)| {
            let name = normalize_header(&sheet.name);
            let skip = if named(sheet) {
                None
            } else if sheet.visibility != Visibility::Visible {
                Some(SheetSkip::Hidden)
            } else if by_name && vocabulary.is_example_sheet(&name) {
                Some(SheetSkip::Example)
            } else if by_name && vocabulary.is_guide_sheet(&name) {
                Some(SheetSkip::Guide)
            } else {
                None
            };
            (position, sheet, skip)
        })
        .collect();
    // The products of the channel's example sheets: the same product left in
    // the listing sheet is the template's example, not the seller's.
    let mut context = Context::default();
    for (position, sheet, skip) in &selected {
        if *skip == Some(SheetSkip::Example)
            && let Ok(Ok(example)) = table_of(
                workbook,
                sheet,
                *position,
                channel,
                spec,
                &Context::default(),
            )
        {
            context.example_skus.extend(
                example
                    .texts(Role::Sku)
                    .iter()
                    .map(|(_, sku)| sku.trim().to_string()),
            );
        }
    }
    let mut layout = Layout {
        tables: Vec::new(),
        skipped: Vec::new(),
    };
    // A column or header row the user named may exist in one sheet and not in
    // another (a guide sheet); it is an error only when no sheet has it.
    let mut first_error = None;
    for (position, sheet, skip) in selected {
        if let Some(reason) = skip {
            layout.skipped.push(SkippedSheet {
                name: sheet.name.clone(),
                position,
                reason,
            });
            continue;
        }
        match table_of(workbook, sheet, position, channel, spec, &context) {
            Ok(Ok(table)) => layout.tables.push(table),
            Ok(Err(reason)) => layout.skipped.push(SkippedSheet {
                name: sheet.name.clone(),
                position,
                reason,
            }),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if layout.tables.is_empty() {
        if let Some(error) = first_error {
            return Err(error);
        }
        let seen = layout.skipped.iter().find_map(|s| match &s.reason {
            SheetSkip::NoSkuColumn { seen } => Some(seen.clone()),
            _ => None,
        });
        return Err(match seen {
            Some(seen) => LayoutError::NoSkuColumn { seen },
            None if layout.skipped.is_empty() => LayoutError::NoSkuColumn {
                seen: "none, the workbook is empty".into(),
            },
            None => LayoutError::NoListingSheet {
                skipped: layout
                    .skipped
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        });
    }
    Ok(layout)
}

/// What the layout of one sheet may learn from the other sheets of its workbook.
#[derive(Default)]
struct Context {
    /// The SKUs of the channel's example sheets.
    example_skus: HashSet<String>,
}

/// The header labels of a sheet without a SKU column, for the message: the row
/// with the most cells near the top, so a title or note row above the header
/// does not hide it.
fn headers_seen(sheet: &Sheet) -> String {
    let best = sheet
        .rows
        .iter()
        .take(HEADER_SCAN_ROWS)
        .enumerate()
        .max_by_key(|(index, row)| {
            (
                row.iter().filter(|v| !v.is_empty()).count(),
                std::cmp::Reverse(*index),
            )
        })
        .map(|(_, row)| row);
    best.map(|row| {
        row.iter()
            .map(|v| short(&v.display()))
            .filter(|t| !t.is_empty())
            .take(12)
            .collect::<Vec<_>>()
            .join(", ")
    })
    .unwrap_or_default()
}

fn table_of<'a>(
    workbook: &'a Workbook,
    sheet: &'a Sheet,
    sheet_index: usize,
    channel: Channel,
    spec: &TableSpec,
    context: &Context,
) -> Result<Result<Table<'a>, SheetSkip>, LayoutError> {
    let vocabulary = Vocabulary::get();
    if let Some(row) = spec.header_row
        && row > sheet.rows.len()
    {
        return Err(LayoutError::HeaderRowPastEnd {
            row,
            sheet: sheet.name.to_string(),
            rows: sheet.rows.len(),
        });
    }
    let Some(first_row) = sheet
        .rows
        .iter()
        .position(|r| r.iter().any(|v| !v.is_empty()))
    else {
        return Ok(Err(SheetSkip::Empty));
    };
    let scan = sheet.rows.len().min(HEADER_SCAN_ROWS);
    let matches: Vec<RowMatch> = (0..scan)
        .map(|r| match_row(vocabulary, &sheet.rows[r]))
        .collect();

    // Header rows: those naming at least two roles, or a row naming the SKU
    // with nothing above it but a title or notes (one or two cells a row).
    let notes_only = |row: usize| {
        sheet.rows[first_row..row]
            .iter()
            .all(|r| r.iter().filter(|v| !v.is_empty()).count() <= 2)
    };
    let header_rows: Vec<usize> = match spec.header_row {
        Some(n) => vec![n.saturating_sub(1)],
        None => (first_row..scan)
            .filter(|&r| matches[r].is_header() || (matches[r].names(Role::Sku) && notes_only(r)))
            .collect(),
    };
    let mut columns = [None; Role::ALL.len()];
    let mut sources: [Option<ColumnSource>; Role::ALL.len()] = std::array::from_fn(|_| None);
    let mut header_row = header_rows.last().copied();
    if let Some(last) = header_row {
        // A header block is consecutive (markers and requirement rows may sit between);
        // keep only the block that ends at the last header row found near the top.
        let first = header_rows
            .iter()
            .copied()
            .rev()
            .take_while(|&r| last - r <= PREAMBLE_ROWS)
            .last()
            .unwrap_or(last);
        let block: Vec<usize> = header_rows
            .iter()
            .copied()
            .filter(|&r| r >= first)
            .collect();
        // Machine keys first, then labels, so `Kode Variasi` can't steal a role a key named.
        for kind in [AliasKind::Key, AliasKind::Label] {
            for &row in &block {
                let row_match = if row < scan {
                    matches[row].clone()
                } else {
                    match_row(
                        vocabulary,
                        sheet.rows.get(row).map(Vec::as_slice).unwrap_or(&[]),
                    )
                };
                row_match.assign(kind, row, &mut columns, &mut sources);
            }
        }
    }
    for (&role, given) in &spec.columns {
        let (col, found_at) =
            resolve_column(sheet, header_row, given).ok_or_else(|| LayoutError::NoSuchColumn {
                role: role.key().replace('_', "-"),
                given: given.clone(),
                sheet: sheet.name.to_string(),
            })?;
        for (c, source) in columns.iter_mut().zip(sources.iter_mut()) {
            if *c == Some(col) {
                *c = None;
                *source = None;
            }
        }
        columns[role.index()] = Some(col);
        sources[role.index()] = Some(ColumnSource::Given(given.clone()));
        // The row where a named header stands is a header row: nothing above it
        // is data (unless the user named the header row too).
        let at_least = found_at.unwrap_or(0);
        header_row = match (spec.header_row, header_row) {
            (Some(_), Some(row)) => Some(row),
            (_, row) => Some(row.map_or(at_least, |row| row.max(at_least))),
        };
    }
    let Some(header_row) = header_row else {
        return Ok(Err(SheetSkip::NoSkuColumn {
            seen: headers_seen(sheet),
        }));
    };
    if columns[Role::Sku.index()].is_none() && columns[Role::ParentSku.index()].is_none() {
        return Ok(Err(SheetSkip::NoSkuColumn {
            seen: headers_seen(sheet),
        }));
    }
    let mut table = Table {
        file: workbook.display.clone(),
        sheet,
        sheet_index,
        channel,
        profile: channel.profile(),
        header_row,
        columns,
        data_rows: Vec::new(),
        texts: std::array::from_fn(|_| OnceLock::new()),
        file_rows: Vec::new(),
        products_above: None,
        shops_above: OnceLock::new(),
        skipped: Vec::new(),
        sources,
        notes: Vec::new(),
        product_level_codes: false,
    };
    let near_header = |row: usize| row <= header_row + PREAMBLE_ROWS;
    for row in header_row + 1..sheet.rows.len() {
        let kind = match listing_kind(&table, row) {
            RowKind::Blank => continue,
            RowKind::Skip(reason) => Err(reason),
            RowKind::Listing if near_header(row) && is_preamble(vocabulary, &table, row) => {
                Err(RowSkip::Preamble)
            }
            RowKind::Listing if near_header(row) && is_example(&table, row, context) => {
                Err(RowSkip::Example)
            }
            RowKind::Listing => Ok(()),
        };
        match kind {
            Ok(()) => table.data_rows.push(row),
            Err(reason) => table.skipped.push((row, reason)),
        }
    }
    if !spec.inventory {
        read_available_as_stock(&mut table);
    }
    if !spec.columns.contains_key(&Role::Sku) {
        read_product_level_sku_as_parent(&mut table);
    }
    Ok(Ok(table))
}

/// In a channel's export, the stock it can sell is the stock to check
/// (Shopify's inventory export names it `Available`), when it holds
/// quantities: an `Available` column of yes and no is not stock.
fn read_available_as_stock(table: &mut Table) {
    if table.column(Role::Stock).is_some() {
        return;
    }
    let Some(col) = table.column(Role::Available) else {
        return;
    };
    let values: Vec<&Value> = table
        .data_rows
        .iter()
        .map(|&row| table.sheet.cell(row, col))
        .filter(|v| !v.text().trim().is_empty())
        .collect();
    let numbers = values.iter().filter(|v| parse_number(v).is_some()).count();
    if numbers * 2 < values.len() {
        return;
    }
    table.columns[Role::Stock.index()] = table.columns[Role::Available.index()].take();
    table.sources[Role::Stock.index()] = table.sources[Role::Available.index()].take();
}

/// A SKU column that repeats one code on every row of a product, with other
/// codes on other products (Akulaku's `*Produk SKU`), holds the products'
/// parent SKUs: its rows are variations of one product, not duplicates.
fn read_product_level_sku_as_parent(table: &mut Table) {
    let Some(col) = table.column(Role::Sku) else {
        return;
    };
    // A machine key names the variation's own code (`et_title_variation_sku`,
    // `seller_sku`): a code repeated there is a duplicate.
    if table.column(Role::ParentSku).is_some()
        || matches!(table.source(Role::Sku), Some(ColumnSource::Key { .. }))
    {
        return;
    }
    if table.column(Role::ProductId).is_none() && table.column(Role::ProductName).is_none() {
        return;
    }
    // Whether the header says the code is the product's (`*Produk SKU`).
    let header = normalize_header(&table.header(col));
    let product_header = ["product", "produk", "sảnphẩm", "parent", "induk"]
        .iter()
        .any(|word| header.contains(word));
    // Product → the distinct codes on its rows, and how many rows.
    let mut products: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
    // Product → its rows' variation ids and names: rows told apart by them are
    // variations, each meant to have its own code.
    let mut variations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The product named last, and its name.
    let mut above: Option<(String, String)> = None;
    for &row in &table.data_rows {
        let sku = table.str(row, Role::Sku);
        let sku = sku.trim();
        let own = table.product_key(row);
        let name = table.str(row, Role::ProductName);
        let name = name.trim();
        let key = if !own.is_empty() {
            above = Some((own.to_string(), name.to_string()));
            own.into_owned()
        } else {
            // A row that leaves the product blank (a name merged over its
            // variation rows) counts with the product above only as evidence
            // for it: under a header that says the code is the product's,
            // repeating that product's code, and naming no other product (a new
            // listing without an id yet). Otherwise it is left out, as a row
            // with no product is: a generic `SKU` repeated on unnamed rows is a
            // duplicate, and codes of their own say nothing about the column.
            let Some((key, named)) = &above else {
                continue;
            };
            if !name.is_empty() && name != named {
                above = None;
                continue;
            }
            let repeats = products
                .get(key)
                .is_some_and(|(codes, _)| codes.contains(sku));
            if !product_header || !repeats {
                continue;
            }
            key.clone()
        };
        if sku.is_empty() {
            continue;
        }
        let entry = products.entry(key.clone()).or_default();
        entry.0.insert(sku.to_string());
        entry.1 += 1;
        for role in [Role::VariationId, Role::VariationName] {
            let variation = table.str(row, role);
            if !variation.trim().is_empty() {
                variations.entry(key.clone()).or_default().insert(format!(
                    "{}:{}",
                    role.key(),
                    variation.trim()
                ));
            }
        }
    }
    // Rows of one product told apart by variation ids are variations, each
    // meant to have its own code (Lazada's SellerSku beside its SkuId): a code
    // repeated on them is a duplicate. By variation names only, unless the
    // header says the code is the product's.
    let told_apart = products.iter().any(|(product, (codes, rows))| {
        *rows > 1
            && codes.len() == 1
            && variations.get(product).is_some_and(|v| {
                let ids = v.iter().filter(|t| t.starts_with("variation_id:")).count();
                ids > 1 || (!product_header && v.len() > 1)
            })
    });
    if told_apart {
        return;
    }
    // By design, not by accident: the column is filled on nearly every row,
    // several products have variations, and nearly all of those repeat one
    // code (a code copied onto a few rows is a duplicate, reported as such).
    let filled: usize = products.values().map(|(_, rows)| rows).sum();
    let multi: Vec<&(BTreeSet<String>, usize)> =
        products.values().filter(|(_, rows)| *rows > 1).collect();
    let single_code = multi.iter().filter(|(codes, _)| codes.len() == 1).count();
    let codes: BTreeSet<&String> = products.values().flat_map(|(codes, _)| codes).collect();
    if filled * 5 < table.data_rows.len() * 4
        || multi.len() < 2
        || single_code * 10 < multi.len() * 9
        || codes.len() < 2
    {
        return;
    }
    let header = short(&table.header(col));
    table.columns[Role::Sku.index()] = None;
    table.sources[Role::Sku.index()] = None;
    table.columns[Role::ParentSku.index()] = Some(col);
    table.product_level_codes = true;
    table.sources[Role::ParentSku.index()] = Some(ColumnSource::Inferred(format!(
        "label `{header}` repeats one code on every row of a product: read as the parent SKU"
    )));
    table.notes.push(format!(
        "column {} ({header}) holds one code per product, repeated on each of its variations: it is read as the parent SKU, and only a code shared by different products is reported (DUP003)",
        column_letter(col as u32)
    ));
}
/// Header text on one line, at most 40 characters, for error messages.
fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// A column given as a column letter (`F`) or as header text (matched like
/// aliases), with the row where the header text stands. A short uppercase
/// letter with data in its column is a letter: data cells (a size `L`, a grade
/// `C`) are never taken for its header. Header text is looked for in the
/// detected header rows, or near the top of a sheet without one.
fn resolve_column(
    sheet: &Sheet,
    header_row: Option<usize>,
    given: &str,
) -> Option<(usize, Option<usize>)> {
    let has_data = |col: usize| {
        sheet
            .rows
            .iter()
            .any(|r| r.get(col).is_some_and(|v| !v.is_empty()))
    };
    let trimmed = given.trim();
    let letter = (trimmed.len() <= 3 && trimmed.chars().all(|c| c.is_ascii_uppercase()))
        .then(|| parse_column_letter(trimmed))
        .flatten()
        .map(|col| col as usize)
        .filter(|&col| has_data(col));
    if let Some(col) = letter {
        return Some((col, None));
    }
    let wanted = normalize_header(given);
    let last = match header_row {
        Some(header) => header,
        None => sheet.rows.len().min(HEADER_SCAN_ROWS).saturating_sub(1),
    };
    (0..=last)
        .rev()
        .find_map(|row| {
            let col = sheet
                .rows
                .get(row)?
                .iter()
                .position(|v| !wanted.is_empty() && normalize_header(&v.display()) == wanted)?;
            Some((col, Some(row)))
        })
        .or_else(|| {
            let col = parse_column_letter(trimmed)? as usize;
            has_data(col).then_some((col, None))
        })
}

/// What a row under the header is.
enum RowKind {
    /// Nothing in it.
    Blank,
    /// A listing: it has a SKU, an id, a name, a price, a stock or an option.
    Listing,
    /// Something else.
    Skip(RowSkip),
}

/// The roles whose content makes a row a listing, whether or not it has a SKU.
const LISTING_ROLES: [Role; 7] = [
    Role::Sku,
    Role::ParentSku,
    Role::VariationId,
    Role::ProductName,
    Role::VariationName,
    Role::Price,
    Role::Stock,
];

fn listing_kind(table: &Table, row: usize) -> RowKind {
    let filled = |role: Role| !table.value(row, role).text().trim().is_empty();
    // A totals row under the data (`Total`, `Tổng cộng` and a sum) has no id or SKU.
    let identity = [
        Role::Sku,
        Role::ParentSku,
        Role::ProductId,
        Role::VariationId,
    ]
    .into_iter()
    .any(filled);
    if !identity
        && let Some(first) = table.sheet.rows[row]
            .iter()
            .map(Value::text)
            .find(|t| !t.trim().is_empty())
        && Vocabulary::get().is_total_word(&normalize_header(&first))
    {
        return RowKind::Skip(RowSkip::NoListing);
    }
    if LISTING_ROLES.into_iter().any(filled) {
        return RowKind::Listing;
    }
    if filled(Role::ProductId) {
        // A product id alone, where listings also have a name, price, stock or
        // option, continues the product above (its extra images).
        let described = [
            Role::ProductName,
            Role::Price,
            Role::Stock,
            Role::VariationName,
        ]
        .into_iter()
        .any(|role| table.column(role).is_some());
        return if described {
            RowKind::Skip(RowSkip::Continuation)
        } else {
            RowKind::Listing
        };
    }
    let blank = table.sheet.rows[row]
        .iter()
        .all(|v| v.text().trim().is_empty());
    if blank {
        RowKind::Blank
    } else {
        RowKind::Skip(RowSkip::NoListing)
    }
}

/// The channel's example product left in its template: its SKU is on the
/// workbook's example sheet. Only rows right under the header are looked at.
fn is_example(table: &Table, row: usize, context: &Context) -> bool {
    let sku = table.str(row, Role::Sku);
    !sku.trim().is_empty() && context.example_skus.contains(sku.trim())
}

/// Requirement rows ("Wajib", "Mandatory"), marker rows and instruction rows that
/// templates put right after the header.
fn is_preamble(vocabulary: &Vocabulary, table: &Table, row: usize) -> bool {
    let cells: Vec<String> = table.sheet.rows[row]
        .iter()
        .map(Value::display)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let Some(first) = cells.first() else {
        return false;
    };
    if vocabulary.is_marker(&normalize_header(first)) {
        return true;
    }
    let requirement = cells
        .iter()
        .filter(|t| vocabulary.is_requirement_word(&normalize_header(t)))
        .count();
    if requirement * 2 >= cells.len() && requirement > 0 {
        return true;
    }
    // Instructions are sentences, and none of the number columns holds a number.
    let numeric = [Role::ProductId, Role::VariationId, Role::Stock, Role::Price]
        .into_iter()
        .any(|role| parse_number(table.value(row, role)).is_some());
    let prose = cells.iter().filter(|t| is_prose(t)).count();
    !numeric && prose * 2 > cells.len()
}

fn is_prose(text: &str) -> bool {
    text.split_whitespace().count() >= 4 || (text.chars().count() > 40 && text.contains(' '))
}

/// A number in a number cell or in text (`"240"`, `" 12 "`).
pub fn parse_number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        Value::Text(text) => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A header cell that names roles: (column, its text, the roles it may name
/// with how they matched).
type HeaderCell = (usize, String, Vec<(Role, AliasKind)>);

/// The roles the cells of one row name.
#[derive(Clone, Debug, Default)]
struct RowMatch {
    cells: Vec<HeaderCell>,
}

impl RowMatch {
    /// A header row has at least two cells that name roles: a lone `SKU` or
    /// `Kode Variasi` cell is more likely a word in a guide sheet than a header.
    fn is_header(&self) -> bool {
        self.cells.len() >= 2
    }

    fn names(&self, role: Role) -> bool {
        self.cells
            .iter()
            .any(|(_, _, candidates)| candidates.iter().any(|(r, _)| *r == role))
    }

    /// Gives each unassigned role a column: unambiguous cells first, then cells
    /// that could name several roles take the first role still free.
    fn assign(
        &self,
        kind: AliasKind,
        row: usize,
        columns: &mut [Option<usize>; Role::ALL.len()],
        sources: &mut [Option<ColumnSource>; Role::ALL.len()],
    ) {
        let taken =
            |columns: &[Option<usize>; Role::ALL.len()], col: usize| columns.contains(&Some(col));
        let of_kind = |candidates: &[(Role, AliasKind)]| {
            candidates
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(r, _)| *r)
                .collect::<Vec<Role>>()
        };
        let source = |text: &String| match kind {
            AliasKind::Key => ColumnSource::Key {
                row,
                text: text.clone(),
            },
            AliasKind::Label => ColumnSource::Label {
                row,
                text: text.clone(),
            },
        };
        for (col, text, candidates) in &self.cells {
            let roles = of_kind(candidates);
            if let [role] = roles.as_slice()
                && columns[role.index()].is_none()
                && !taken(columns, *col)
            {
                columns[role.index()] = Some(*col);
                sources[role.index()] = Some(source(text));
            }
        }
        for (col, text, candidates) in &self.cells {
            if taken(columns, *col) {
                continue;
            }
            if let Some(role) = of_kind(candidates)
                .into_iter()
                .find(|r| columns[r.index()].is_none())
            {
                columns[role.index()] = Some(*col);
                sources[role.index()] = Some(source(text));
            }
        }
    }
}

fn match_row(vocabulary: &Vocabulary, row: &[Value]) -> RowMatch {
    let cells = row
        .iter()
        .enumerate()
        .filter_map(|(col, value)| match value {
            Value::Text(text) if text.chars().count() <= 80 => {
                let roles = vocabulary.roles_of_header(text);
                (!roles.is_empty()).then(|| (col, text.clone(), roles))
            }
            _ => None,
        })
        .collect();
    RowMatch { cells }
}

/// The channel an export comes from, by its markers: sheet names, machine-key
/// prefixes and marker cells in the first rows (`rules/channels.toml`).
pub fn detect_channel(workbook: &Workbook) -> Channel {
    let mut scores: BTreeMap<Channel, usize> = BTreeMap::new();
    for sheet in &workbook.sheets {
        for channel in [Channel::Shopee, Channel::Lazada, Channel::Tiktok] {
            let profile = channel.profile();
            if profile
                .sheet_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&sheet.name))
            {
                *scores.entry(channel).or_default() += 10;
            }
            for row in sheet.rows.iter().take(HEADER_SCAN_ROWS.min(8)) {
                for value in row {
                    let Value::Text(text) = value else { continue };
                    let text = text.trim();
                    if profile.key_prefixes.iter().any(|p| {
                        text.starts_with(p.as_str()) && text.len() > p.len() && !text.contains(' ')
                    }) {
                        *scores.entry(channel).or_default() += 2;
                    }
                    if profile.markers.iter().any(|m| m == text) {
                        *scores.entry(channel).or_default() += 3;
                    }
                }
            }
        }
    }
    scores
        .into_iter()
        .filter(|&(_, score)| score > 0)
        .max_by_key(|&(_, score)| score)
        .map(|(c, _)| c)
        .unwrap_or(Channel::Generic)
}
