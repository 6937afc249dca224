//! Finding the layout of a sheet: its header rows, channel and column roles, by
//! content. Real exports put 0–6 rows before the data (machine keys, markers,
//! localized labels, "Mandatory/Wajib" rows, instructions); data starts after them.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::columns::{AliasKind, Channel, ChannelProfile, Role, Vocabulary, normalize_header};
use super::{Sheet, Value, Visibility, Workbook};
use crate::diagnostic::parse_column_letter;

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
}

/// The non-empty texts of one column in the data rows: (row, text).
pub type ColumnTexts<'a> = Vec<(usize, Cow<'a, str>)>;

/// The linted view of one sheet: where its header is, which column holds what,
/// and which rows are data.
#[derive(Debug)]
pub struct Table<'a> {
    pub file: Arc<str>,
    pub sheet: &'a Sheet,
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
    /// `first_data_row` on that have an identity are the data rows. A long
    /// file read in parts is linted part by part this way.
    pub fn with_sheet<'b>(&self, sheet: &'b Sheet, first_data_row: usize) -> Table<'b> {
        let mut table = Table {
            file: self.file.clone(),
            sheet,
            channel: self.channel,
            profile: self.profile,
            header_row: self.header_row,
            columns: self.columns,
            data_rows: Vec::new(),
            texts: std::array::from_fn(|_| OnceLock::new()),
            file_rows: Vec::new(),
        };
        table.data_rows = (first_data_row..sheet.rows.len())
            .filter(|&row| has_identity(&table, row))
            .collect();
        table
    }

    /// This table over a sheet that holds only some rows of the file:
    /// `file_rows[i]` is the row in the file of the sheet's row `i`.
    pub fn with_file_rows(mut self, file_rows: Vec<usize>) -> Self {
        self.file_rows = file_rows;
        self
    }

    /// The 0-based row in the file of the sheet's row `row`: what findings and
    /// messages name.
    pub fn file_row(&self, row: usize) -> usize {
        self.file_rows.get(row).copied().unwrap_or(row)
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
    let selected: Vec<&Sheet> = if spec.sheets.is_empty() {
        workbook.sheets.iter().collect()
    } else {
        let found: Vec<&Sheet> = workbook
            .sheets
            .iter()
            .filter(|s| spec.sheets.iter().any(|w| **w == *s.name))
            .collect();
        if found.is_empty() {
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
        found
    };
    let channel = spec.channel.unwrap_or_else(|| detect_channel(workbook));
    let mut tables = Vec::new();
    // A column or header row the user named may exist in one sheet and not in
    // another (a guide sheet); it is an error only when no sheet has it.
    let mut first_error = None;
    for sheet in selected {
        match table_of(workbook, sheet, channel, spec) {
            Ok(Some(table)) => tables.push(table),
            Ok(None) => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if tables.is_empty() {
        if let Some(error) = first_error {
            return Err(error);
        }
        let seen = workbook
            .sheets
            .iter()
            .filter(|s| s.visibility == Visibility::Visible)
            .find_map(|s| s.rows.iter().find(|r| r.iter().any(|v| !v.is_empty())))
            .map(|row| {
                row.iter()
                    .map(|v| short(&v.display()))
                    .filter(|t| !t.is_empty())
                    .take(12)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "none, the workbook is empty".into());
        return Err(LayoutError::NoSkuColumn { seen });
    }
    Ok(tables)
}

fn table_of<'a>(
    workbook: &'a Workbook,
    sheet: &'a Sheet,
    channel: Channel,
    spec: &TableSpec,
) -> Result<Option<Table<'a>>, LayoutError> {
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
    let scan = sheet.rows.len().min(HEADER_SCAN_ROWS);
    let matches: Vec<RowMatch> = (0..scan)
        .map(|r| match_row(vocabulary, &sheet.rows[r]))
        .collect();

    // Header rows: those naming at least two roles, or a first row naming the SKU.
    let first_row = sheet
        .rows
        .iter()
        .position(|r| r.iter().any(|v| !v.is_empty()));
    let header_rows: Vec<usize> = match spec.header_row {
        Some(n) => vec![n.saturating_sub(1)],
        None => (0..scan)
            .filter(|&r| {
                matches[r].is_header() || (Some(r) == first_row && matches[r].names(Role::Sku))
            })
            .collect(),
    };
    let mut columns = [None; Role::ALL.len()];
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
                row_match.assign(kind, &mut columns);
            }
        }
    }
    for (&role, given) in &spec.columns {
        let col =
            resolve_column(sheet, header_row, given).ok_or_else(|| LayoutError::NoSuchColumn {
                role: role.key().replace('_', "-"),
                given: given.clone(),
                sheet: sheet.name.to_string(),
            })?;
        columns.iter_mut().for_each(|c| {
            if *c == Some(col) {
                *c = None
            }
        });
        columns[role.index()] = Some(col);
        header_row.get_or_insert(0);
    }
    let Some(header_row) = header_row else {
        return Ok(None);
    };
    if columns[Role::Sku.index()].is_none() {
        return Ok(None);
    }
    let mut table = Table {
        file: workbook.display.clone(),
        sheet,
        channel,
        profile: channel.profile(),
        header_row,
        columns,
        data_rows: Vec::new(),
        texts: std::array::from_fn(|_| OnceLock::new()),
        file_rows: Vec::new(),
    };
    table.data_rows = (header_row + 1..sheet.rows.len())
        .filter(|&row| has_identity(&table, row))
        .filter(|&row| row > header_row + PREAMBLE_ROWS || !is_preamble(vocabulary, &table, row))
        .collect();
    Ok(Some(table))
}

/// Header text on one line, at most 40 characters, for error messages.
fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// A column given as header text (matched like aliases) or as a column letter.
fn resolve_column(sheet: &Sheet, header_row: Option<usize>, given: &str) -> Option<usize> {
    let wanted = normalize_header(given);
    let rows = match header_row {
        Some(last) => 0..=last,
        None => 0..=sheet.rows.len().min(HEADER_SCAN_ROWS).saturating_sub(1),
    };
    rows.rev()
        .find_map(|row| {
            sheet
                .rows
                .get(row)?
                .iter()
                .position(|v| !wanted.is_empty() && normalize_header(&v.display()) == wanted)
        })
        .or_else(|| {
            let col = parse_column_letter(given.trim())? as usize;
            // A letter names a column only where the sheet has data in it.
            sheet
                .rows
                .iter()
                .any(|r| r.get(col).is_some_and(|v| !v.is_empty()))
                .then_some(col)
        })
}

/// Rows with no product id, variation id, SKU or parent SKU are not listings.
fn has_identity(table: &Table, row: usize) -> bool {
    [
        Role::ProductId,
        Role::VariationId,
        Role::Sku,
        Role::ParentSku,
    ]
    .into_iter()
    .any(|role| !table.value(row, role).text().trim().is_empty())
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

/// The roles the cells of one row name.
#[derive(Clone, Debug, Default)]
struct RowMatch {
    /// (column, candidate roles with how they matched).
    cells: Vec<(usize, Vec<(Role, AliasKind)>)>,
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
            .any(|(_, candidates)| candidates.iter().any(|(r, _)| *r == role))
    }

    /// Gives each unassigned role a column: unambiguous cells first, then cells
    /// that could name several roles take the first role still free.
    fn assign(&self, kind: AliasKind, columns: &mut [Option<usize>; Role::ALL.len()]) {
        let taken =
            |columns: &[Option<usize>; Role::ALL.len()], col: usize| columns.contains(&Some(col));
        let of_kind = |candidates: &[(Role, AliasKind)]| {
            candidates
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(r, _)| *r)
                .collect::<Vec<Role>>()
        };
        for (col, candidates) in &self.cells {
            let roles = of_kind(candidates);
            if let [role] = roles.as_slice()
                && columns[role.index()].is_none()
                && !taken(columns, *col)
            {
                columns[role.index()] = Some(*col);
            }
        }
        for (col, candidates) in &self.cells {
            if taken(columns, *col) {
                continue;
            }
            if let Some(role) = of_kind(candidates)
                .into_iter()
                .find(|r| columns[r.index()].is_none())
            {
                columns[role.index()] = Some(*col);
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
                let roles = vocabulary.roles_of(&normalize_header(text));
                (!roles.is_empty()).then(|| (col, roles.to_vec()))
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
