//! `skulint serve`: the page and the HTTP API, served by a small synchronous
//! server (`tiny_http`) with a fixed number of workers.
//!
//! Nothing a request says reaches the file system: an upload is written under
//! a cleaned file name into a private temporary folder, removed after the
//! response, and the only paths served are the page and the API calls.
//! Each request is handled under `catch_unwind`, so one bad file answers 500 and
//! the server goes on.

mod api;
mod upload;

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::emit::OutputFormat;

/// The variable that holds the token when `--token` is not given.
pub const TOKEN_VARIABLE: &str = "SKULINT_SERVE_TOKEN";

/// How the server runs (`skulint serve`'s options).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// `ADDRESS:PORT`, or a name and a port.
    pub bind: String,
    pub open: bool,
    /// Given on the command line; else read from [`TOKEN_VARIABLE`].
    pub token: Option<String>,
    /// The largest upload, in bytes.
    pub max_upload: u64,
    pub workers: u16,
    /// How long a request body may go without a byte arriving.
    pub read_timeout: Duration,
}

/// What the server runs on an upload: the `check`, `fix`, `layout` and
/// `diagnose` commands, each writing where it is told. The command line
/// provides them, so a result is the command's own, byte for byte.
pub trait Commands: Send + Sync {
    /// Fails when the configuration cannot be loaded; called before the server starts.
    fn check_config(&self) -> anyhow::Result<()>;
    /// `skulint check FILE --output-format FORMAT --output-file REPORT --report json=JSON`.
    fn check(
        &self,
        file: &Path,
        format: OutputFormat,
        report: &Path,
        json: &Path,
    ) -> anyhow::Result<()>;
    /// `skulint fix FILE -o FOLDER --changes CHANGES --output-format json --output-file REPORT`.
    fn fix(&self, file: &Path, folder: &Path, changes: &Path, report: &Path) -> anyhow::Result<()>;
    /// `skulint layout FILE --output-format json`: the document.
    fn layout(&self, file: &Path) -> anyhow::Result<Vec<u8>>;
    /// `skulint diagnose MESSAGE [--sku SKU] [--channel CHANNEL] --output-format json`:
    /// the document. A channel that is not one of the command's is an error.
    fn diagnose(
        &self,
        message: &str,
        sku: Option<&str>,
        channel: Option<&str>,
    ) -> anyhow::Result<Vec<u8>>;
}

/// What every request is checked against and run with.
struct State {
    token: Option<String>,
    max_upload: u64,
    read_timeout: Duration,
    /// Without a token, requests must name this machine in their `Host`
    /// header, so a web page elsewhere cannot reach the server through a
    /// name it points at 127.0.0.1.
    local_hosts_only: bool,
    commands: Box<dyn Commands>,
}

/// A response, built before it is sent.
pub(crate) struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// `{"error": message}` with `status`.
    fn error(status: u16, message: impl Into<String>) -> Reply {
        let body = serde_json::json!({ "error": message.into() });
        let mut bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
        bytes.push(b'\n');
        Reply::new(status, "application/json", bytes)
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self) -> Response<io::Cursor<Vec<u8>>> {
        let mut response = Response::from_data(self.body).with_status_code(self.status);
        let mut add = |name: &str, value: &str| {
            if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        };
        add("Content-Type", self.content_type);
        add("Cache-Control", "no-store");
        add("X-Content-Type-Options", "nosniff");
        add("Referrer-Policy", "no-referrer");
        for (name, value) in &self.headers {
            add(name, value);
        }
        response
    }
}

/// Serves until the process is stopped.
pub fn serve(args: &ServeOptions, commands: Box<dyn Commands>) -> Result<()> {
    let address = bind_address(&args.bind)?;
    // A token read from a file or a variable often ends in a line break.
    let token = match &args.token {
        Some(token) => Some(token.clone()),
        None => std::env::var(TOKEN_VARIABLE).ok(),
    }
    .map(|t| t.trim().to_string())
    .filter(|t| !t.is_empty());
    if !address.ip().is_loopback() && token.is_none() {
        bail!(
            "--bind {}: other machines could reach the server; give a token with --token or {TOKEN_VARIABLE}, or bind 127.0.0.1",
            args.bind
        );
    }
    commands.check_config()?;
    let server = Server::http(address)
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
    let listening = server
        .server_addr()
        .to_ip()
        .context("the server listens on no IP address")?;
    let url = page_url(listening);
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{url}")?;
        stdout.flush()?;
    }
    if listening.ip().is_unspecified() {
        eprintln!(
            "skulint: listening on every address of this machine, port {}",
            listening.port()
        );
    }
    if token.is_some() {
        eprintln!("skulint: every request needs the token; open the page as {url}?token=TOKEN");
    }
    eprintln!(
        "skulint: serving {} worker(s), uploads up to {}; Ctrl-C stops",
        args.workers,
        crate::table::read::Size(args.max_upload)
    );
    if args.open {
        let target = match &token {
            Some(token) => format!("{url}?token={}", encode_query(token)),
            None => url.clone(),
        };
        open_browser(&target, &url);
    }
    let state = Arc::new(State {
        token,
        max_upload: args.max_upload,
        read_timeout: args.read_timeout,
        local_hosts_only: address.ip().is_loopback(),
        commands,
    });
    // A stop (Ctrl-C, or the service manager's SIGTERM) ends the process at
    // once, requests running or not: their upload folders are removed first.
    let stopped = ctrlc::set_handler(|| {
        let left = upload::remove_all();
        for folder in &left {
            eprintln!(
                "skulint: warning: cannot remove the upload folder {}",
                folder.display()
            );
        }
        eprintln!("skulint: stopped");
        std::process::exit(0);
    });
    if let Err(e) = stopped {
        eprintln!("skulint: warning: stopping the server may leave upload folders behind ({e})");
    }
    let server = Arc::new(server);
    let workers: Vec<_> = (0..args.workers)
        .map(|_| {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(request, &state);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// `--bind`: an address and port, or a name (`localhost:8765`) resolved to its first address.
fn bind_address(given: &str) -> Result<SocketAddr> {
    if let Ok(address) = given.parse::<SocketAddr>() {
        return Ok(address);
    }
    given
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .with_context(|| {
            format!("--bind {given}: give an address and a port, such as 127.0.0.1:8765")
        })
}

/// The URL of the page: an address that listens everywhere is reached here as 127.0.0.1.
fn page_url(listening: SocketAddr) -> String {
    let ip = match listening.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, listening.port()))
}

/// Opens `url` in the default browser; a failure names `shown` (the URL without its token).
fn open_browser(url: &str, shown: &str) {
    let (program, arguments): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let opened = std::process::Command::new(program)
        .args(&arguments)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let shown = shown.to_string();
    match opened {
        // Waited for on a thread of its own: a browser may keep it running.
        Ok(mut child) => {
            std::thread::spawn(move || {
                if child.wait().is_ok_and(|status| !status.success()) {
                    eprintln!(
                        "skulint: warning: {program} could not open a browser; open {shown} yourself"
                    );
                }
            });
        }
        Err(e) => eprintln!(
            "skulint: warning: cannot open a browser ({program}: {e}); open {shown} yourself"
        ),
    }
}

/// Handles one request. Its body is read on a thread of its own while the
/// worker waits for it with a deadline (see [`receive_body`]); the reply is
/// made under `catch_unwind`, so a panic while checking a file answers 500
/// and the worker goes on.
fn handle(request: Request, state: &State) {
    let admitted =
        catch_unwind(AssertUnwindSafe(|| admit(&request, state))).unwrap_or_else(|_| Err(failed()));
    let (path, query) = match admitted {
        Ok(Admitted::Page) => return finish(request, api::page(state.max_upload), false),
        Ok(Admitted::Api { path, query }) => (path, query),
        Err(reply) => return finish(request, reply, false),
    };
    let Some(arrived) = receive_body(request, state.max_upload, state.read_timeout) else {
        // The body stalled: its reader answers once the client sends again or goes away.
        return;
    };
    let reply = match arrived.body {
        Err(reply) => reply,
        Ok(body) => catch_unwind(AssertUnwindSafe(|| {
            let commands = &*state.commands;
            match path {
                ApiCall::Check => api::check(&query, &body, commands),
                ApiCall::Fix => api::fix(&query, &body, commands),
                ApiCall::Layout => api::layout(&query, &body, commands),
                ApiCall::Diagnose => api::diagnose(&body, commands),
            }
        }))
        .unwrap_or_else(|_| failed()),
    };
    finish(arrived.request, reply, arrived.body_read);
}

fn failed() -> Reply {
    Reply::error(
        500,
        "skulint failed on this request; the server goes on. Please report the file that caused it.",
    )
}

fn finish(request: Request, reply: Reply, body_read: bool) {
    let _ = catch_unwind(AssertUnwindSafe(|| send(request, reply, body_read)));
}

/// The most of an unread body read and thrown away before answering, so the
/// client reads the answer instead of a reset connection.
const MOST_DRAINED: u64 = 1 << 30;

/// Sends `reply`. A request body left unread (an upload refused for its
/// length) is read and thrown away first, in small pieces, on a
/// thread of its own so the worker goes on: the server library would throw it
/// away after the answer with one buffer the size the client declared.
fn send(mut request: Request, mut reply: Reply, body_read: bool) {
    let declared = request.body_length().map(|n| n as u64);
    let has_body =
        declared.is_some_and(|n| n > 0) || header(&request, "Transfer-Encoding").is_some();
    if body_read || !has_body {
        let _ = request.respond(reply.into_response());
    } else if declared.is_some_and(|n| n > MOST_DRAINED) {
        // Declared larger than anything worth reading: the request is never
        // dropped (so never drained), and the answer ends the exchange.
        let length = reply.body.len().to_string();
        reply.headers.push(("Content-Length", length));
        let stream = request.upgrade("close", reply.into_response());
        std::mem::forget(stream);
    } else if header(&request, "Expect").is_some() {
        // The client waits for a go-ahead before sending the body: it never comes.
        reply.headers.push(("Connection", "close".into()));
        let _ = request.respond(reply.into_response());
    } else {
        std::thread::spawn(move || {
            let _ = io::copy(&mut request.as_reader().take(MOST_DRAINED), &mut io::sink());
            let _ = request.respond(reply.into_response());
        });
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

/// What a request asks for, once its headers are admitted.
enum Admitted {
    Page,
    Api {
        path: ApiCall,
        query: Vec<(String, String)>,
    },
}

#[derive(Clone, Copy)]
enum ApiCall {
    Check,
    Fix,
    Layout,
    Diagnose,
}

/// Checks a request's headers (host, token, path, method): what it asks
/// for, or the refusal.
fn admit(request: &Request, state: &State) -> Result<Admitted, Reply> {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let query = parse_query(query);
    if state.local_hosts_only && !is_local_host(header(request, "Host").as_deref()) {
        return Err(Reply::error(
            403,
            "this server answers requests to 127.0.0.1 or localhost only",
        ));
    }
    if let Some(token) = &state.token {
        let bearer = header(request, "Authorization")
            .and_then(|value| value.strip_prefix("Bearer ").map(|t| t.trim().to_string()));
        let given = bearer.or_else(|| value(&query, "token").map(str::to_string));
        if !given.is_some_and(|given| same_secret(&given, token)) {
            return Err(if path == "/" {
                Reply::new(
                    401,
                    "text/html; charset=utf-8",
                    api::TOKEN_PAGE.as_bytes().to_vec(),
                )
            } else {
                Reply::error(
                    401,
                    "this server needs its token: send Authorization: Bearer TOKEN",
                )
            }
            .with_header("WWW-Authenticate", "Bearer"));
        }
    }
    let method = request.method();
    let (allowed, call) = match path {
        "/" => ("GET, HEAD", None),
        "/api/check" => ("POST", Some(ApiCall::Check)),
        "/api/fix" => ("POST", Some(ApiCall::Fix)),
        "/api/layout" => ("POST", Some(ApiCall::Layout)),
        "/api/diagnose" => ("POST", Some(ApiCall::Diagnose)),
        _ => {
            return Err(Reply::error(
                404,
                format!(
                    "no such page: {path}; the API is POST /api/check, /api/fix, /api/layout and /api/diagnose"
                ),
            ));
        }
    };
    match (call, method) {
        (None, Method::Get | Method::Head) => Ok(Admitted::Page),
        (Some(path), Method::Post) => Ok(Admitted::Api { path, query }),
        _ => Err(
            Reply::error(405, format!("{path} takes {allowed}, not {method}"))
                .with_header("Allow", allowed),
        ),
    }
}

/// Whether a `Host` header names this machine (a missing one is an HTTP/1.0 client here).
fn is_local_host(host: Option<&str>) -> bool {
    let Some(host) = host else {
        return true;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A request with its body read, or the reply that refuses it.
struct Arrived {
    request: Request,
    body: Result<Vec<u8>, Reply>,
    /// Whether nothing is left of the body to read (see [`send`]).
    body_read: bool,
}

enum Arrival {
    /// Some more of the body arrived.
    Progress,
    Complete(Box<Arrived>),
}

/// The body of `request`, read on a thread of its own while the worker waits
/// for it: a client that sends nothing for `patience` (a stalled upload, or a
/// body declared and never sent) no longer holds the worker, which goes on to
/// the next request. The server library gives no hold on the connection's
/// socket, so its reader cannot be interrupted: it answers 408 itself when the
/// client sends again or closes the connection. `None` when the worker gave up.
fn receive_body(request: Request, max: u64, patience: Duration) -> Option<Arrived> {
    if request.body_length().is_some_and(|n| n as u64 > max) {
        return Some(Arrived {
            request,
            body: Err(too_large(max)),
            body_read: false,
        });
    }
    let (sender, receiver) = mpsc::channel();
    let reader = move || {
        let mut request = request;
        let (body, body_read) = read_body(&mut request, max, &|| {
            let _ = sender.send(Arrival::Progress);
        });
        let arrived = Arrived {
            request,
            body,
            body_read,
        };
        if let Err(mpsc::SendError(Arrival::Complete(late))) =
            sender.send(Arrival::Complete(Box::new(arrived)))
        {
            let reply = Reply::error(
                408,
                format!(
                    "the upload stalled: nothing arrived for {} s; send it again",
                    patience.as_secs()
                ),
            )
            .with_header("Connection", "close");
            finish(late.request, reply, late.body_read);
        }
    };
    std::thread::Builder::new()
        .name("skulint-serve-body".into())
        .spawn(reader)
        .ok()?;
    loop {
        match receiver.recv_timeout(patience) {
            Ok(Arrival::Progress) => {}
            Ok(Arrival::Complete(arrived)) => return Some(*arrived),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // It may have completed just now.
                return receiver.try_iter().find_map(|arrival| match arrival {
                    Arrival::Complete(arrived) => Some(*arrived),
                    Arrival::Progress => None,
                });
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    }
}

fn too_large(max: u64) -> Reply {
    Reply::error(
        413,
        format!(
            "the upload is larger than this server accepts ({}); start it with a larger --max-upload",
            crate::table::read::Size(max)
        ),
    )
    .with_header("Connection", "close")
}

/// The body, up to `max` bytes, calling `progress` as pieces arrive: a larger
/// one is 413, one cut short 400. Also says whether nothing is left to read.
fn read_body(
    request: &mut Request,
    max: u64,
    progress: &dyn Fn(),
) -> (Result<Vec<u8>, Reply>, bool) {
    let declared = request.body_length().map(|n| n as u64);
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(max) as usize);
    let mut piece = vec![0; 64 * 1024];
    let mut reader = request.as_reader().take(max + 1);
    loop {
        match reader.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => {
                body.extend_from_slice(&piece[..n]);
                progress();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // The connection is broken: there is nothing more to read.
                return (
                    Err(Reply::error(
                        400,
                        format!("cannot read the request body: {e}"),
                    )),
                    true,
                );
            }
        }
    }
    if body.len() as u64 > max {
        // A body sent without its length, cut at the limit: the rest is
        // thrown away before the answer.
        return (Err(too_large(max)), false);
    }
    if declared.is_some_and(|n| (body.len() as u64) < n) {
        return (
            Err(Reply::error(
                400,
                "the connection closed before the whole upload arrived",
            )),
            true,
        );
    }
    (Ok(body), true)
}

/// `a=1&b=x%20y`, decoded (`+` is a space, as forms send it).
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(key), decode(value))
        })
        .collect()
}

fn value<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn encode_query(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The file name an upload is written under: the last part of the name given
/// (no folder, no `..`), with only letters, digits, marks and a few signs,
/// and an extension; a missing or odd name becomes `upload.xlsx`, `upload.xls`
/// or `upload.csv` by the body's first bytes.
pub(crate) fn upload_name(given: Option<&str>, body: &[u8]) -> String {
    let sniffed = if body.starts_with(b"PK\x03\x04") {
        "xlsx"
    } else if body.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "xls"
    } else {
        "csv"
    };
    let last = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric()
                || unicode_normalization::char::is_combining_mark(c)
                || " ._-()[]+,&@#=~!'".contains(c)
            {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches([' ', '.']);
    // The most bytes of a file name on common file systems, with room for `.fixed.xlsx`.
    const MOST_BYTES: usize = 180;
    let mut cleaned = cleaned.to_string();
    if cleaned.len() > MOST_BYTES {
        let extension = cleaned
            .rsplit_once('.')
            .map(|(_, e)| e.to_string())
            .filter(|e| e.len() <= 10)
            .unwrap_or_default();
        let mut end = MOST_BYTES - extension.len() - 1;
        while !cleaned.is_char_boundary(end) {
            end -= 1;
        }
        cleaned.truncate(end);
        if !extension.is_empty() {
            cleaned = format!("{cleaned}.{extension}");
        }
    }
    match cleaned.rsplit_once('.') {
        Some((stem, extension))
            if !stem.is_empty()
                && !extension.is_empty()
                && extension.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            cleaned
        }
        _ if cleaned.is_empty() => format!("upload.{sniffed}"),
        _ => format!("{cleaned}.{sniffed}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_plain_file_names() {
        let zip = b"PK\x03\x04rest";
        assert_eq!(upload_name(Some("export.xlsx"), zip), "export.xlsx");
        assert_eq!(upload_name(Some("../../etc/passwd"), b"a,b"), "passwd.csv");
        assert_eq!(
            upload_name(Some("C:\\Users\\x\\Toko.xlsx"), zip),
            "Toko.xlsx"
        );
        assert_eq!(upload_name(Some(".."), zip), "upload.xlsx");
        assert_eq!(upload_name(None, b"\xD0\xCF\x11\xE0"), "upload.xls");
        assert_eq!(upload_name(Some(""), b"SKU,Stock"), "upload.csv");
        assert_eq!(upload_name(Some("a\"b\n.csv"), b""), "a_b_.csv");
        assert_eq!(upload_name(Some("Sản phẩm.xlsx"), zip), "Sản phẩm.xlsx");
        assert_eq!(upload_name(Some(".hidden.csv"), b""), "hidden.csv");
        let long = format!("{}.xlsx", "x".repeat(400));
        let cut = upload_name(Some(&long), zip);
        assert!(cut.len() <= 180 && cut.ends_with(".xlsx"), "{cut}");
    }

    #[test]
    fn only_this_machine_is_a_local_host() {
        assert!(is_local_host(Some("127.0.0.1:8765")));
        assert!(is_local_host(Some("localhost")));
        assert!(is_local_host(Some("[::1]:8765")));
        assert!(!is_local_host(Some("attacker.example:8765")));
        assert!(!is_local_host(Some("192.168.1.2:8765")));
    }

    #[test]
    fn queries_are_decoded() {
        let query = parse_query("name=Toko%20A+B.xlsx&output=plan&flag");
        assert_eq!(value(&query, "name"), Some("Toko A B.xlsx"));
        assert_eq!(value(&query, "output"), Some("plan"));
        assert_eq!(value(&query, "flag"), Some(""));
        assert_eq!(value(&query, "missing"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
    }
}
