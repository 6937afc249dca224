//! The page and the API calls: each takes the request's query and body
//! and makes the reply; the runs themselves are in [`super::run`].

use std::sync::LazyLock;

use clap::ValueEnum;
use serde::Deserialize;

use super::upload::{self, Outcome, Upload};
use super::{Commands, Reply, upload_name, value};
use crate::emit::OutputFormat;

const PAGE_TEMPLATE: &str = include_str!("page.html");
const REPORT_STYLE: &str = include_str!("../emit/html/report.css");

/// The page: self-contained, loading nothing, with the report's style.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    PAGE_TEMPLATE
        .replace("/*REPORT_STYLE*/", REPORT_STYLE)
        .replace("{{VERSION}}", env!("CARGO_PKG_VERSION"))
});

/// What the page may load and run: its own inline style and script, calls to
/// this server, and the report it shows in a sandboxed frame.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
    img-src data: blob:; connect-src 'self'; frame-src 'self' blob: about:; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// The answer to the page's address without the token.
pub const TOKEN_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>skulint</title></head>\
<body style=\"font:16px system-ui,sans-serif;margin:40px\"><h1>skulint</h1>\
<p>This server needs its token: open this page as <code>/?token=TOKEN</code>.</p>\
<p lang=\"id\">Server ini memerlukan token: buka halaman ini sebagai <code>/?token=TOKEN</code>.</p>\
<p lang=\"vi\">Máy chủ này cần mã token: mở trang này bằng <code>/?token=TOKEN</code>.</p></body></html>\n";

/// The page, told the largest upload so it can say so before sending a file.
pub fn page(max_upload: u64) -> Reply {
    let page = PAGE.replace("{{MAX_UPLOAD}}", &max_upload.to_string());
    Reply::new(200, "text/html; charset=utf-8", page.into_bytes())
        .with_header("Content-Security-Policy", PAGE_POLICY)
        .with_header("X-Frame-Options", "DENY")
}

fn content_type(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Json | OutputFormat::Sarif => "application/json",
        OutputFormat::Jsonl => "application/x-ndjson",
        OutputFormat::Junit => "application/xml",
        OutputFormat::Csv => "text/csv; charset=utf-8",
        OutputFormat::Html => "text/html; charset=utf-8",
        OutputFormat::Text | OutputFormat::Concise | OutputFormat::Github => {
            "text/plain; charset=utf-8"
        }
    }
}

/// Writes the upload into its private folder, or says why not. An empty body
/// is an empty file, which the run says.
fn save(query: &[(String, String)], body: &[u8]) -> Result<(Upload, String), Reply> {
    let name = upload_name(value(query, "name"), body);
    match Upload::new(&name, body) {
        Ok(upload) => Ok((upload, name)),
        Err(e) => Err(Reply::error(500, format!("{e:#}"))),
    }
}

fn unreadable(name: &str, why: String) -> Reply {
    let body = serde_json::json!({ "error": format!("{name}: {why}"), "file": name });
    let mut bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
    bytes.push(b'\n');
    Reply::new(422, "application/json", bytes)
}

/// `POST /api/check?name=FILE&format=page`: what the page shows of a file, from
/// one upload: `{"report": the JSON report, "html": the HTML report, "layout":
/// the layout}`, each as `/api/check` and `/api/layout` answer it.
fn check_for_page(query: &[(String, String)], body: &[u8], commands: &dyn Commands) -> Reply {
    let (upload, name) = match save(query, body) {
        Ok(upload) => upload,
        Err(reply) => return reply,
    };
    let outputs = match upload::page(commands, &upload) {
        Ok(Outcome::Done(outputs)) => outputs,
        Ok(Outcome::Unreadable(why)) => return unreadable(&name, why),
        Err(e) => return Reply::error(500, format!("{e:#}")),
    };
    let document = (|| -> serde_json::Result<Vec<u8>> {
        let page = serde_json::json!({
            "report": serde_json::from_slice::<serde_json::Value>(&outputs.report)?,
            "html": String::from_utf8_lossy(&outputs.html),
            "layout": serde_json::from_slice::<serde_json::Value>(&outputs.layout)?,
        });
        serde_json::to_vec(&page)
    })();
    match document {
        Ok(document) => Reply::new(200, "application/json", document),
        Err(e) => Reply::error(500, format!("the reports are not JSON: {e}")),
    }
}

/// `POST /api/check?name=FILE[&format=FORMAT]`: the report of `skulint check`.
pub fn check(query: &[(String, String)], body: &[u8], commands: &dyn Commands) -> Reply {
    let format = match value(query, "format") {
        None | Some("") => OutputFormat::Json,
        Some("page") => return check_for_page(query, body, commands),
        Some(given) => match OutputFormat::from_str(given, true) {
            Ok(format) => format,
            Err(_) => {
                let names: Vec<&str> = OutputFormat::value_variants()
                    .iter()
                    .map(|f| f.name())
                    .collect();
                return Reply::error(
                    400,
                    format!(
                        "format={given}: expected one of {}, or page",
                        names.join(", ")
                    ),
                );
            }
        },
    };
    let (upload, name) = match save(query, body) {
        Ok(upload) => upload,
        Err(reply) => return reply,
    };
    match upload::check(commands, &upload, format) {
        Ok(Outcome::Done(report)) => Reply::new(200, content_type(format), report),
        Ok(Outcome::Unreadable(why)) => unreadable(&name, why),
        Err(e) => Reply::error(500, format!("{e:#}")),
    }
}

/// `POST /api/layout?name=FILE`: how `skulint layout` reads the file.
pub fn layout(query: &[(String, String)], body: &[u8], commands: &dyn Commands) -> Reply {
    let (upload, name) = match save(query, body) {
        Ok(upload) => upload,
        Err(reply) => return reply,
    };
    match upload::layout(commands, &upload) {
        Ok(Outcome::Done(document)) => Reply::new(200, "application/json", document),
        Ok(Outcome::Unreadable(why)) => unreadable(&name, why),
        Err(e) => Reply::error(500, format!("{e:#}")),
    }
}

/// What `POST /api/fix` answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FixOutput {
    Corrected,
    Plan,
    Changes,
}

fn download_type(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsm" => "application/vnd.ms-excel.sheet.macroEnabled.12",
        "csv" | "txt" => "text/csv; charset=utf-8",
        "tsv" | "tab" => "text/tab-separated-values; charset=utf-8",
        "jsonl" => "application/x-ndjson",
        _ => "application/octet-stream",
    }
}

/// `attachment` with the file name, plain for old clients and UTF-8 for the rest.
fn attachment(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// `POST /api/fix?name=FILE[&output=plan|changes]`: what `skulint fix` writes.
pub fn fix(query: &[(String, String)], body: &[u8], commands: &dyn Commands) -> Reply {
    let output = match value(query, "output") {
        None | Some("" | "file") => FixOutput::Corrected,
        Some("plan") => FixOutput::Plan,
        Some("changes") => FixOutput::Changes,
        Some(other) => {
            return Reply::error(
                400,
                format!("output={other}: expected file (the corrected file), plan or changes"),
            );
        }
    };
    let (upload, name) = match save(query, body) {
        Ok(upload) => upload,
        Err(reply) => return reply,
    };
    let outputs = match upload::fix(commands, &upload) {
        Ok(Outcome::Done(outputs)) => outputs,
        Ok(Outcome::Unreadable(why)) => return unreadable(&name, why),
        Err(e) => return Reply::error(500, format!("{e:#}")),
    };
    let (file, bytes) = match output {
        FixOutput::Corrected => outputs.corrected,
        FixOutput::Plan => outputs.plan,
        FixOutput::Changes => outputs.changes,
    };
    Reply::new(200, download_type(&file), bytes)
        .with_header("Content-Disposition", attachment(&file))
}

/// The body of `POST /api/diagnose`.
#[derive(Deserialize)]
struct DiagnoseRequest {
    message: String,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

/// `POST /api/diagnose` with `{"message", "sku", "channel"}`: the report of
/// `skulint diagnose MESSAGE --sku SKU --channel CHANNEL --output-format json`.
pub fn diagnose(body: &[u8], commands: &dyn Commands) -> Reply {
    let request: DiagnoseRequest = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return Reply::error(
                400,
                format!(
                    "the body must be JSON such as {{\"message\": \"Error 501\", \"sku\": \"KAOS  HITAM\", \"channel\": \"shopee\"}} ({e})"
                ),
            );
        }
    };
    let sku = request.sku.as_deref().filter(|s| !s.is_empty());
    let channel = request
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    match commands.diagnose(&request.message, sku, channel) {
        Ok(report) => Reply::new(200, "application/json", report),
        Err(e) => Reply::error(400, format!("{e:#}")),
    }
}
