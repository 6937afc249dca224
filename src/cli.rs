//! The command line: clap derive; the doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use encoding_rs::Encoding;

use crate::emit::OutputFormat;
use crate::rules::settings::FailOn;
pub use crate::table::columns::ChannelChoice;

use crate::table::Role;
use crate::table::read::{Limits, Size};

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
        skulint check export.xlsx --output-format json --output-file report.json\n  \
        skulint check exports/ --output-format github --report sarif=skulint.sarif --report html=skulint.html")]
    Check(Box<CheckArgs>),
    /// Lint, apply the fixes, and write a corrected copy of each export plus a resync plan.
    ///
    /// The corrected workbook is written beside the input as `<name>.fixed.xlsx`
    /// (`.fixed.xlsm` for an .xlsm; CSV/TSV in, the same format out). An .xlsx or
    /// .xlsm is patched: only the fixed cells change, and styles, hidden rows,
    /// validation, protection and macros are kept. Other workbooks (and any with
    /// --rebuild) are rebuilt from their values, with the fixed cells highlighted
    /// and a note holding the old value. `<name>.resync.jsonl` lists every changed
    /// SKU for `skulint resync`. The input is never modified unless --in-place is given.
    ///
    /// Exit code 0: nothing at or above --fail-on remains after fixing; 1: something
    /// does; 2: a usage error or a file that could not be read or written.
    #[command(after_help = "Examples:\n  \
        skulint fix mass_update_sales_info.xlsx\n  \
        skulint fix export.xlsx -o corrected.xlsx --changes changes.csv\n  \
        skulint fix export.xlsx --diff\n  \
        skulint fix export.xlsx --rebuild\n  \
        skulint fix exports/ -o corrected/ --unsafe-fixes\n  \
        skulint fix listing.csv --in-place")]
    Fix(Box<FixArgs>),
    /// List every rule: code, name, default severity and whether it can be fixed.
    ///
    /// The seller's own rules of `skulint.toml` (`[[custom-rules]]`) are listed too.
    Rules(RulesArgs),
    /// Show how skulint reads each export: sheets read and left out, header row,
    /// listing rows, each column's role and why it was chosen, and the channel.
    ///
    /// For support agents and sellers whose file gives no findings, or the wrong
    /// ones: it shows what was read before any rule runs. The same options as
    /// `check` name columns, the header row or sheets.
    ///
    /// Exit code 0: every file was read; 2: a file could not be read or has no SKU column.
    #[command(after_help = "Examples:\n  \
        skulint layout export.xlsx\n  \
        skulint layout listing.csv --sku-column \"Kode SKU\"\n  \
        skulint layout exports/ --output-format json")]
    Layout(Box<LayoutArgs>),
    /// Explain sync errors: the cause, the numbers in the message and what to do.
    ///
    /// Give the messages the multichannel tool or Seller Center showed, or the
    /// API error bodies Shopee, Lazada and TikTok Shop returned (English,
    /// Indonesian, Vietnamese or Thai). With --sku the SKU is checked too: an
    /// E501 on a SKU with double spaces is the SKU's format, not a server error.
    /// With --file every failure reason in an export is diagnosed and summed up
    /// by cause.
    ///
    /// Exit code 0: every message was recognised; 1: some fell back to the
    /// `unknown` cause; 2: a usage error or an export that could not be read.
    #[command(after_help = "Examples:\n  \
        skulint diagnose \"Error 501: server error\" --sku \"KAOS  HITAM-M\"\n  \
        skulint diagnose '{\"type\":\"ISV\",\"code\":\"ApiCallLimit\",\"message\":\"this ban will last 10 seconds\"}'\n  \
        skulint diagnose --file mass_update_sales_info_result.xlsx\n  \
        skulint diagnose --file export.xlsx --output-format json")]
    Diagnose(Box<DiagnoseArgs>),
    /// Explain a rule (by code or name), or a sync error (by code or message words).
    ///
    /// A rule code (`SKU001`) or name (`consecutive-spaces`) prints the rule's
    /// documentation: what it finds, why it breaks sync, an example. Anything else
    /// (`E501`, `error_auth`, words of a message) lists every sync-error cause and
    /// rule tied to it. Exit code 2, with the nearest codes, when nothing matches.
    #[command(after_help = "Examples:\n  \
        skulint explain SKU001\n  \
        skulint explain consecutive-spaces\n  \
        skulint explain X001            # a custom rule of skulint.toml\n  \
        skulint explain E501\n  \
        skulint explain negative sellable")]
    Explain(ExplainArgs),
    /// Push the fixed SKUs and stock of a resync plan to Shopee, Lazada, TikTok Shop or a webhook.
    ///
    /// PLAN is the `<name>.resync.jsonl` that `skulint fix` wrote. Each entry's
    /// SKU is set (when it changed), then its stock (when the plan has one),
    /// through the channel's API, signed as the platform requires. Credentials
    /// come from environment variables (SKULINT_SHOPEE_PARTNER_ID,
    /// SKULINT_SHOPEE_PARTNER_KEY, SKULINT_SHOPEE_SHOP_ID,
    /// SKULINT_SHOPEE_ACCESS_TOKEN; SKULINT_LAZADA_APP_KEY, _APP_SECRET,
    /// _ACCESS_TOKEN; SKULINT_TIKTOK_APP_KEY, _APP_SECRET, _ACCESS_TOKEN,
    /// _SHOP_CIPHER; SKULINT_WEBHOOK_URL, _SECRET) and never appear in the output
    /// or the journal.
    ///
    /// Server errors, timeouts and rate limits are retried with backoff; refusals
    /// such as stock below the campaign reserve fail that entry with the cause and
    /// what to do; an expired authorization or a rejected signature stops the run.
    /// The journal records every finished entry, so running the same command again
    /// sends only what is not done yet.
    ///
    /// Exit code 0: every entry is updated; 1: some failed or were not sent; 2: a
    /// usage error, a missing credential or an unreadable plan or journal.
    #[command(after_help = "Examples:\n  \
        skulint resync export.resync.jsonl --channel shopee --dry-run\n  \
        skulint resync export.resync.jsonl --channel shopee\n  \
        skulint resync export.resync.jsonl --channel lazada --base-url https://api.lazada.com.my/rest\n  \
        skulint resync export.resync.jsonl --channel webhook --rate 2 --max-attempts 8")]
    Resync(Box<ResyncArgs>),
    /// Serve skulint as a local web page and HTTP API, for people who never open a terminal.
    ///
    /// The page checks the exports dropped on it (findings, the layout read, and the
    /// corrected file, change log and resync plan to download) and explains pasted
    /// sync-error messages. Files never leave this machine: each upload is processed in
    /// a private temporary folder, removed after the response. The first line of
    /// standard output is the page's URL.
    ///
    /// The API, for multichannel tools; the file is the request body:
    ///
    ///   POST /api/check?name=FILE     → the skulint/v1 JSON report of `skulint check`
    ///                                   (&format=html, sarif, … for another --output-format)
    ///   POST /api/fix?name=FILE       → the corrected file of `skulint fix`
    ///                                   (&output=changes: the change log, CSV;
    ///                                    &output=plan: the resync plan, JSON lines)
    ///   POST /api/layout?name=FILE    → the JSON of `skulint layout --output-format json`
    ///   POST /api/diagnose            {"message": "…", "sku": "…", "channel": "shopee"}
    ///                                 → the JSON of `skulint diagnose --output-format json`
    ///
    /// Errors are {"error": "…"} with status 400 (a bad request), 401 (no token), 403
    /// (another host), 404, 405, 413 (over --max-upload) or 422 (a file that cannot be read).
    ///
    /// The server listens on 127.0.0.1 unless --bind names another address; then a token
    /// is required (--token or SKULINT_SERVE_TOKEN), and every request must carry it as
    /// `Authorization: Bearer TOKEN` (the page: `?token=TOKEN` in its URL). `skulint resync`
    /// is not served. Ctrl-C stops the server.
    #[command(
        verbatim_doc_comment,
        about = "Serve skulint as a local web page and HTTP API, for people who never open a terminal",
        after_help = "Examples:\n  \
        skulint serve --open\n  \
        skulint serve --bind 127.0.0.1:0\n  \
        SKULINT_SERVE_TOKEN=s3cret skulint serve --bind 0.0.0.0:8765 --workers 4\n  \
        curl --data-binary @export.xlsx 'http://127.0.0.1:8765/api/check?name=export.xlsx'\n  \
        curl --data-binary @export.xlsx -o export.fixed.xlsx 'http://127.0.0.1:8765/api/fix?name=export.xlsx'\n  \
        curl -H 'Content-Type: application/json' -d '{\"message\":\"Error 501\",\"sku\":\"KAOS  HITAM\"}' http://127.0.0.1:8765/api/diagnose"
    )]
    Serve(Box<ServeArgs>),
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
    #[arg(long, conflicts_with = "reports")]
    pub diff: bool,
    /// Replace each input with its corrected version, after saving it as `<name>.bak`.
    #[arg(long)]
    pub in_place: bool,
    /// Also write the list of changed cells to this file (.csv or .xlsx).
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
    /// Rebuild .xlsx/.xlsm workbooks from their cell values, with the fixed cells
    /// highlighted and a note holding each old value, instead of patching the
    /// original. A rebuilt workbook loses styles, validation, protection and macros.
    #[arg(long)]
    pub rebuild: bool,
    #[command(flatten)]
    pub lint: LintOptions,
    #[command(flatten)]
    pub output_options: OutputOptions,
}

/// Options shared by every command that lints. The flags that `skulint.toml`
/// can also set are `Option`s (or empty lists) here: given on the command line,
/// they replace the file's value; left out, the file's value (or the default) holds.
#[derive(Debug, Args, Clone, Default)]
pub struct LintOptions {
    /// The channel the exports come from; `auto` detects it from the header rows [default: auto].
    #[arg(long, value_enum)]
    pub channel: Option<ChannelChoice>,
    /// Rules to run: comma-separated codes or prefixes (`SKU`, `DUP001`, `X` for custom rules, `ALL`) [default: ALL].
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Rules to skip: comma-separated codes or prefixes.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// The configuration file [default: skulint.toml in the working directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The master stock file (.xlsx or .csv: SKU, available stock, optional safety stock).
    /// Enables the cross-checks STK004-STK006 between it and the exports.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
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

impl LintOptions {
    /// The options as the engine takes them.
    pub fn engine_options(&self, fail_on: Option<FailOn>) -> crate::engine::Options {
        let defaults = Limits::default();
        let given = [
            (Role::Sku, &self.sku_column),
            (Role::ParentSku, &self.parent_sku_column),
            (Role::Stock, &self.stock_column),
            (Role::CampaignReserved, &self.campaign_reserved_column),
            (Role::UnpaidReserved, &self.unpaid_reserved_column),
            (Role::ProductId, &self.product_id_column),
            (Role::VariationId, &self.variation_id_column),
            (Role::Shop, &self.shop_column),
        ];
        crate::engine::Options {
            channel: self.channel,
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            config: self.config.clone(),
            inventory: self.inventory.clone(),
            columns: given
                .into_iter()
                .filter_map(|(role, given)| given.clone().map(|g| (role, g)))
                .collect(),
            header_row: self.header_row.map(|n| n as usize),
            sheets: self.sheet.clone(),
            limits: Limits {
                max_file_size: self.max_file_size.map_or(defaults.max_file_size, |s| s.0),
                max_cells: self.max_cells.unwrap_or(defaults.max_cells),
            },
            encoding: self.encoding,
            fail_on,
        }
    }
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
    /// Also write a report in FORMAT to PATH (repeatable), e.g. `--report sarif=skulint.sarif
    /// --report html=report.html`.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report_target)]
    pub reports: Vec<ReportTarget>,
    /// Print how many findings each rule made (`count  code  [*]  name`) instead of the
    /// findings. Works with text, concise, json and jsonl; --report files still get the findings.
    #[arg(long)]
    pub statistics: bool,
    /// The lowest severity that makes the exit code 1 [default: error].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Print only the findings, no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// List every finding in the text report. Without it, a sheet shows the
    /// first 10 findings of each rule and counts the rest; machine formats
    /// always list every finding.
    #[arg(long)]
    pub show_all: bool,
}

/// `--report FORMAT=PATH`: one more report, written to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: OutputFormat,
    pub path: PathBuf,
}

fn parse_report_target(value: &str) -> Result<ReportTarget, String> {
    let Some((format, path)) = value.split_once('=') else {
        return Err("expected FORMAT=PATH, e.g. sarif=skulint.sarif".into());
    };
    let format = OutputFormat::from_str(format.trim(), true).map_err(|_| {
        let names: Vec<&str> = OutputFormat::value_variants()
            .iter()
            .map(|f| f.name())
            .collect();
        format!(
            "unknown report format {format:?}; expected one of {}",
            names.join(", ")
        )
    })?;
    if path.is_empty() {
        return Err(format!("no PATH after {}=", format.name()));
    }
    Ok(ReportTarget {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, Args)]
pub struct LayoutArgs {
    /// Files or folders to read.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub lint: LintOptions,
    /// `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub output_format: RulesFormat,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `text` for a table, `json` for an array of rule objects.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub output_format: RulesFormat,
    /// The configuration whose custom rules are listed too [default: skulint.toml in the working directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The formats of `skulint rules` and `skulint layout`: a table for people or JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["messages", "file"]))]
pub struct DiagnoseArgs {
    /// Error messages or API error bodies, one per argument.
    #[arg(value_name = "MESSAGE", conflicts_with = "file")]
    pub messages: Vec<String>,
    /// The SKU the messages are about: the SKU rules check it too.
    #[arg(long, value_name = "SKU", conflicts_with = "file")]
    pub sku: Option<String>,
    /// An export with a failure-reason column (Shopee `Alasan Gagal`, `Reason`, `Sync Status`, …):
    /// diagnose every row that failed.
    #[arg(long, value_name = "EXPORT")]
    pub file: Option<PathBuf>,
    /// Only recognise the API errors of this channel (and messages of any channel);
    /// for --file, the channel of the export instead of the detected one.
    #[arg(long, value_enum, default_value_t = ChannelChoice::Auto)]
    pub channel: ChannelChoice,
    /// The failure-reason column of --file: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER", requires = "file")]
    pub sync_status_column: Option<String>,
    /// The SKU column of --file: header text or letter.
    #[arg(long, value_name = "HEADER|LETTER", requires = "file")]
    pub sku_column: Option<String>,
    /// The row (1-based) of --file whose cells name the columns.
    #[arg(long, value_name = "N", requires = "file", value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub header_row: Option<u32>,
    /// Only this sheet of --file (repeatable).
    #[arg(long, value_name = "NAME", requires = "file")]
    pub sheet: Vec<String>,
    /// `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = DiagnoseFormat::Text)]
    pub output_format: DiagnoseFormat,
}

/// The report formats of `diagnose`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiagnoseFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (`SKU001`) or name (`consecutive-spaces`), an error code (`E501`,
    /// `error_auth`, `105002`) or words of a message; several words are one query.
    #[arg(required = true, value_name = "QUERY", num_args = 1..)]
    pub query: Vec<String>,
    /// The configuration whose custom rules can be explained too [default: skulint.toml in the working directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResyncArgs {
    /// The resync plan `skulint fix` wrote (`<name>.resync.jsonl`).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Where to send the updates.
    #[arg(long, value_enum)]
    pub channel: ResyncChannel,
    /// Send only the entries of this shop, from an export of several shops (its
    /// Shop column). A plan that holds several shops needs it: each shop is a
    /// seller account of its own, with its own credentials.
    #[arg(long, value_name = "NAME")]
    pub shop: Option<String>,
    /// Print every request (method, URL, body; secrets and signatures redacted) and send nothing.
    /// Needs no credentials: unset ones are shown as `<NAME>`.
    #[arg(long)]
    pub dry_run: bool,
    /// Send to this base URL instead of the production host: a sandbox, another
    /// Lazada country (`https://api.lazada.com.my/rest`), a local test server.
    /// For the webhook: the URL, instead of SKULINT_WEBHOOK_URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Send to a plain http:// URL on another machine, credentials unencrypted.
    /// Refused without this flag; http:// to this machine (localhost, 127.0.0.1, [::1]) is always allowed.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// The journal of finished entries [default: the plan's name with `.journal.jsonl`].
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Calls per second, for all workers together [default: shopee 10, lazada 5, tiktok 10, webhook 20].
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Calls per step before giving up on a transient failure (1: no retries).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_attempts: u32,
    /// Batches sent at the same time.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub workers: u32,
    /// The configuration whose `[credentials]` table names other variables to read [default: skulint.toml in the working directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The channels `resync` sends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResyncChannel {
    Shopee,
    Lazada,
    Tiktok,
    Webhook,
}

fn parse_rate(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 1000.0 => Ok(rate),
        _ => {
            Err("give calls per second: a number above 0 and at most 1000, such as 5 or 0.5".into())
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on; port 0 picks a free port (the printed URL names it).
    /// An address other than loopback (127.0.0.1, ::1) requires --token.
    #[arg(long, value_name = "ADDRESS:PORT", default_value = "127.0.0.1:8765")]
    pub bind: String,
    /// Open the page in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,
    /// The secret every request must carry (`Authorization: Bearer TOKEN`, or
    /// `?token=TOKEN` in the page's URL) [default: the SKULINT_SERVE_TOKEN variable].
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The largest upload accepted; a larger one is answered with 413. SIZE is bytes or a
    /// number with K, M or G.
    #[arg(long, value_name = "SIZE", default_value = "50M")]
    pub max_upload: Size,
    /// Requests handled at the same time; the others wait their turn.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,
    /// Seconds a request body may go without a byte arriving; then the upload is
    /// answered with 408 and its worker goes on to the next request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub read_timeout: u64,
    /// The configuration applied to every upload [default: skulint.toml in the working directory or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Refuse an upload that unpacks to more than SIZE (a zip bomb) [default: 2G].
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<Size>,
    /// Refuse a workbook holding more than N cells, all sheets together [default: 20000000].
    #[arg(long, value_name = "N")]
    pub max_cells: Option<u64>,
}
