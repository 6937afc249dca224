//! The command line: clap derive; the doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use encoding_rs::Encoding;

use crate::emit::OutputFormat;
use crate::settings::FailOn;
use crate::table::columns::Channel;
use crate::table::read::Size;

#[derive(Debug, Parser)]
#[command(
    name = "skulint",
    version,
    about = "Lint SKU and stock data in marketplace listing exports (Shopee, Lazada, TikTok Shop).",
    long_about = "Lint SKU and stock data in marketplace listing exports (Shopee, Lazada, TikTok Shop).\n\n\
        skulint finds the problems that make stock sync fail: SKUs with double spaces (Error 501), \
        invisible characters, duplicate SKUs, and stock below what the platform reserves.",
    after_help = "Examples:\n  skulint check mass_update_sales_info.xlsx\n  skulint check exports/ --output-format json --output-file report.json\n  skulint rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint listing exports: files or folders of .xlsx .xlsm .xlsb .xls .ods .csv .tsv.
    ///
    /// Exit code 0: nothing at or above --fail-on; 1: findings at or above it;
    /// 2: a usage error or a file that could not be read (the other files are still checked).
    #[command(after_help = "Examples:\n  \
        skulint check mass_update_sales_info.xlsx\n  \
        skulint check exports/ --select SKU,DUP --fail-on warning\n  \
        skulint check listing.csv --sku-column \"Kode SKU\" --stock-column F\n  \
        skulint check export.xlsx --output-format json --output-file report.json")]
    Check(Box<CheckArgs>),
    /// Lint, apply the fixes, and write a corrected copy of each export plus a resync plan.
    ///
    /// The corrected workbook is written beside the input as `<name>.fixed.xlsx`
    /// (CSV/TSV in, the same format out), with the fixed cells highlighted and a
    /// note holding the old value. `<name>.resync.jsonl` lists every changed SKU for
    /// `skulint resync`. The input is never modified unless --in-place is given.
    ///
    /// Exit code 0: nothing at or above --fail-on remains after fixing; 1: something
    /// does; 2: a usage error or a file that could not be read or written.
    #[command(after_help = "Examples:\n  \
        skulint fix mass_update_sales_info.xlsx\n  \
        skulint fix export.xlsx -o corrected.xlsx --changes changes.csv\n  \
        skulint fix export.xlsx --diff\n  \
        skulint fix exports/ -o corrected/ --unsafe-fixes\n  \
        skulint fix listing.csv --in-place")]
    Fix(Box<FixArgs>),
    /// List every rule: code, name, default severity and whether it can be fixed.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to check (folders are searched for spreadsheets and CSV files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub lint: LintOptions,
    #[command(flatten)]
    pub output: OutputOptions,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files or folders to fix.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write: a file when there is one input, a folder when there are several.
    #[arg(short, long, value_name = "PATH", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Also apply unsafe fixes (NFKC for full-width characters, lookalike letters to Latin).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print what would change, cell by cell, and write nothing.
    #[arg(long)]
    pub diff: bool,
    /// Replace each input with its corrected version, after saving it as `<name>.bak`.
    #[arg(long)]
    pub in_place: bool,
    /// Also write the list of changed cells to this file (.csv or .xlsx).
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
    #[command(flatten)]
    pub lint: LintOptions,
    #[command(flatten)]
    pub output_options: OutputOptions,
}

/// Options shared by every command that lints.
#[derive(Debug, Args, Clone, Default)]
pub struct LintOptions {
    /// The channel the exports come from; `auto` detects it from the header rows.
    #[arg(long, value_enum, default_value_t = ChannelChoice::Auto)]
    pub channel: ChannelChoice,
    /// Rules to run: comma-separated codes or prefixes (`SKU`, `DUP001`, `ALL`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "CODES",
        default_value = "ALL"
    )]
    pub select: Vec<String>,
    /// Rules to skip: comma-separated codes or prefixes.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// The SKU column: its header text or its letter (`F`).
    #[arg(long, value_name = "HEADER|LETTER")]
    pub sku_column: Option<String>,
    /// The parent SKU column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub parent_sku_column: Option<String>,
    /// The stock column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub stock_column: Option<String>,
    /// The campaign-reserved stock column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub campaign_reserved_column: Option<String>,
    /// The unpaid-orders reserved column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub unpaid_reserved_column: Option<String>,
    /// The product id column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub product_id_column: Option<String>,
    /// The variation id column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub variation_id_column: Option<String>,
    /// The shop column: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER")]
    pub shop_column: Option<String>,
    /// The row (1-based) whose cells name the columns; data starts below it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub header_row: Option<u32>,
    /// Only lint this sheet (repeatable). Other sheets are kept by `fix`.
    #[arg(long, value_name = "NAME")]
    pub sheet: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Refuse a file larger than SIZE, or a workbook whose parts unpack to more
    /// (a zip bomb) [default: 2G]. SIZE is bytes or a number with K, M or G.
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<Size>,
    /// Refuse a workbook holding more than N cells, all sheets together, counting the
    /// empty cells before the last used one of each row [default: 20000000].
    #[arg(long, value_name = "N")]
    pub max_cells: Option<u64>,
    /// The text encoding of CSV/TSV files, e.g. windows-1252, windows-874 (Thai),
    /// utf-16le [default: UTF-8 or UTF-16 by byte-order mark, else detected].
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    pub encoding: Option<&'static Encoding>,
}

/// An encoding by any of its WHATWG labels (`latin1`, `cp1252`, `tis-620`, …).
fn parse_encoding(name: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(name.trim().as_bytes()).ok_or_else(|| {
        format!("unknown encoding {name:?}; use a name such as utf-8, utf-16le, windows-1252, windows-874, shift_jis, gbk")
    })
}

#[derive(Debug, Args, Clone, Default)]
pub struct OutputOptions {
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// The lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Print only the findings, no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--channel`: a channel, or `auto` to detect it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ChannelChoice {
    #[default]
    Auto,
    Shopee,
    Lazada,
    Tiktok,
    Generic,
}

impl ChannelChoice {
    pub fn channel(self) -> Option<Channel> {
        match self {
            ChannelChoice::Auto => None,
            ChannelChoice::Shopee => Some(Channel::Shopee),
            ChannelChoice::Lazada => Some(Channel::Lazada),
            ChannelChoice::Tiktok => Some(Channel::Tiktok),
            ChannelChoice::Generic => Some(Channel::Generic),
        }
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `text` for a table, `json` for an array of rule objects.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
}
