//! `skulint serve`: the real binary started on a free port, called with a real
//! HTTP client; its answers compared with the commands' on the same files.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{code, root, skulint, stderr};

const DEMO: &str = "demo-shopee-sales-info.xlsx";

/// A running `skulint serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    /// The folder its uploads are written in (its TMPDIR).
    temp: tempfile::TempDir,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server::start_with_token_variable(args, None)
    }

    /// Started with `SKULINT_SERVE_TOKEN` set to `token`, or unset.
    fn start_with_token_variable(args: &[&str], token: Option<&str>) -> Server {
        let temp = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("skulint"))
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("TMPDIR", temp.path())
            .env_remove("SKULINT_SERVE_TOKEN")
            .envs(token.map(|token| ("SKULINT_SERVE_TOKEN", token)))
            .current_dir(work.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with('/') && !url.ends_with(":0/"),
            "the first line is the URL with the port picked: {url:?}"
        );
        Server { child, url, temp }
    }

    fn port(&self) -> u16 {
        self.url
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches('/')
            .parse()
            .unwrap()
    }

    /// The upload folders left behind.
    fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.temp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// Status and body of a POST.
fn post(url: &str, body: &[u8], headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body).unwrap();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(100 << 20)
        .read_to_vec()
        .unwrap();
    (status, body)
}

fn get(url: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_vec().unwrap())
}

fn error_of(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)));
    json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("an error document: {json}"))
        .to_string()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures").join(name)).unwrap()
}

/// The fixture copied into a new folder, where the command runs as `skulint check NAME`.
fn cli_folder(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), fixture(name)).unwrap();
    dir
}

fn cli(dir: &Path, args: &[&str]) -> Vec<u8> {
    let output = skulint().current_dir(dir).args(args).output().unwrap();
    assert!(code(&output) < 2, "{}", stderr(&output));
    output.stdout
}

/// A small OpenDocument spreadsheet with a SKU to fix: `fix` rebuilds it as .xlsx.
fn ods_export() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let row = |cells: &[&str]| {
        let cells: String = cells
            .iter()
            .map(|c| {
                format!(
                    "<table:table-cell office:value-type=\"string\"><text:p>{c}</text:p></table:table-cell>"
                )
            })
            .collect();
        format!("<table:table-row>{cells}</table:table-row>")
    };
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
         <office:body><office:spreadsheet><table:table table:name=\"Stok\">{}{}{}</table:table>\
         </office:spreadsheet></office:body></office:document-content>",
        row(&["SKU", "Stok"]),
        row(&["KAOS  HITAM", "5"]),
        row(&["KAOS PUTIH", "3"]),
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest \
          xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
          <manifest:file-entry manifest:full-path=\"/\" \
          manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
          <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
          </manifest:manifest>",
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn api_answers_equal_the_commands_on_the_same_file() {
    let server = Server::start(&[]);
    // A patched workbook, a rebuilt one, and a CSV file.
    for name in [
        DEMO,
        "stok.ods",
        "tiktok-batch-edit.xlsx",
        "csv/semicolon.csv",
    ] {
        let file = Path::new(name).file_name().unwrap().to_str().unwrap();
        let body = if name == "stok.ods" {
            ods_export()
        } else {
            fixture(name)
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), &body).unwrap();

        // check: the JSON report and the HTML report, byte for byte. The
        // upload is named as the command names a file given by its name.
        for format in ["json", "html"] {
            let (status, api) = post(
                &format!("{}api/check?name={file}&format={format}", server.url),
                &body,
                &[],
            );
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api));
            let expected = cli(dir.path(), &["check", file, "--output-format", format]);
            assert_eq!(
                String::from_utf8_lossy(&api),
                String::from_utf8_lossy(&expected),
                "{name} {format}"
            );
        }

        // layout: the JSON of `skulint layout`.
        let (status, api) = post(&format!("{}api/layout?name={file}", server.url), &body, &[]);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api));
        let expected = cli(dir.path(), &["layout", file, "--output-format", "json"]);
        assert_eq!(
            String::from_utf8_lossy(&api),
            String::from_utf8_lossy(&expected),
            "{name} layout"
        );

        // format=page: the JSON report, the HTML report and the layout from one upload.
        let (status, api) = post(
            &format!("{}api/check?name={file}&format=page", server.url),
            &body,
            &[],
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api));
        let page: serde_json::Value = serde_json::from_slice(&api).unwrap();
        let json = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
        let cli_report = cli(dir.path(), &["check", file, "--output-format", "json"]);
        assert_eq!(page["report"], json(&cli_report), "{name} page report");
        let cli_html = cli(dir.path(), &["check", file, "--output-format", "html"]);
        assert_eq!(
            page["html"].as_str().unwrap(),
            String::from_utf8_lossy(&cli_html),
            "{name} page html"
        );
        assert_eq!(page["layout"], json(&expected), "{name} page layout");

        // fix: the corrected file, the resync plan and the change log.
        let output = skulint()
            .current_dir(dir.path())
            .args(["fix", file, "--changes", "changes.csv", "--quiet"])
            .output()
            .unwrap();
        assert!(code(&output) < 2, "{}", stderr(&output));
        let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let corrected = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .find(|n| n.starts_with(&format!("{stem}.fixed.")))
            .expect("fix writes a corrected copy");
        for (output, written) in [
            ("file", corrected.as_str()),
            ("plan", &format!("{stem}.resync.jsonl")),
            ("changes", "changes.csv"),
        ] {
            let (status, api) = post(
                &format!("{}api/fix?name={file}&output={output}", server.url),
                &body,
                &[],
            );
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api));
            let expected = std::fs::read(dir.path().join(written)).unwrap();
            if name.ends_with(".ods") && output == "file" {
                assert!(
                    written.ends_with(".fixed.xlsx"),
                    "a rebuilt workbook: {written}"
                );
            }
            assert!(
                api == expected,
                "{name}: fix output={output} differs from {written}"
            );
        }
    }

    // diagnose: the JSON of `skulint diagnose`.
    let dir = tempfile::tempdir().unwrap();
    for (message, sku, channel) in [
        ("Error 501: server error", Some("KAOS  HITAM-M"), None),
        (
            "{\"error\":\"error_param\",\"message\":\"stock is less than reserved\"}",
            None,
            Some("shopee"),
        ),
        ("something nobody has seen", None, None),
    ] {
        let body = serde_json::json!({ "message": message, "sku": sku, "channel": channel });
        let (status, api) = post(
            &format!("{}api/diagnose", server.url),
            body.to_string().as_bytes(),
            &[("Content-Type", "application/json")],
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api));
        let mut args = vec!["diagnose", message, "--output-format", "json"];
        if let Some(sku) = sku {
            args.extend(["--sku", sku]);
        }
        if let Some(channel) = channel {
            args.extend(["--channel", channel]);
        }
        let expected = cli(dir.path(), &args);
        assert_eq!(
            String::from_utf8_lossy(&api),
            String::from_utf8_lossy(&expected)
        );
    }
    assert_eq!(
        server.leftovers(),
        Vec::<PathBuf>::new(),
        "uploads are removed"
    );
}

#[test]
fn requests_get_their_status_codes() {
    let server = Server::start(&["--max-upload", "64K"]);
    let url = &server.url;
    let demo = fixture(DEMO);

    let (status, page) = get(url, &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<!DOCTYPE html>"));

    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "POST",
            "api/check?name=x.xlsx",
            Vec::new(),
            422,
            "the file is empty",
        ),
        (
            "POST",
            "api/check?name=x.xlsx&format=pdf",
            demo.clone(),
            400,
            "format=pdf",
        ),
        (
            "POST",
            "api/fix?name=x.xlsx&output=zip",
            demo.clone(),
            400,
            "output=zip",
        ),
        (
            "POST",
            "api/diagnose",
            b"not json".to_vec(),
            400,
            "must be JSON",
        ),
        (
            "POST",
            "api/diagnose",
            br#"{"message":"  "}"#.to_vec(),
            400,
            "empty",
        ),
        (
            "POST",
            "api/diagnose",
            br#"{"message":"E501","channel":"amazon"}"#.to_vec(),
            400,
            "channel",
        ),
        ("GET", "api/check", Vec::new(), 405, "takes POST"),
        ("POST", "", Vec::new(), 405, "takes GET"),
        ("GET", "etc/passwd", Vec::new(), 404, "no such page"),
        ("GET", "../../etc/passwd", Vec::new(), 404, "no such page"),
        (
            "POST",
            "api/check?name=big.csv",
            vec![b'a'; 65 << 10],
            413,
            "--max-upload",
        ),
    ];
    for (method, path, body, expected, says) in cases {
        let (status, answer) = if method == "GET" {
            get(&format!("{url}{path}"), &[])
        } else {
            post(&format!("{url}{path}"), &body, &[])
        };
        let error = error_of(&answer);
        assert_eq!(status, expected, "{method} /{path}: {error}");
        assert!(error.contains(says), "{method} /{path}: {error}");
    }

    // An upload declared too large is refused before it is read, however large.
    for (declared, expect) in [
        ("70000", "Expect: 100-continue\r\n"),
        ("100000000000000", ""),
        ("9223372036854775807", ""),
    ] {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "POST /api/check?name=a.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {declared}\r\n{expect}\r\nSKU\n"
        )
        .unwrap();
        let mut answer = [0; 64];
        let n = stream.read(&mut answer).unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{declared}: {answer}");
    }
    // A chunked upload (no length given) is cut at the limit.
    let mut reader: &[u8] = &[b'a'; 100 << 10];
    let mut response = agent()
        .post(format!("{url}api/check?name=big.csv"))
        .send(ureq::SendBody::from_reader(&mut reader))
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let _ = response.body_mut().read_to_vec();

    // A file that cannot be read is 422 with why; the server goes on.
    let (status, answer) = post(
        &format!("{url}api/check?name=broken.xlsx"),
        b"PK\x03\x04 broken zip",
        &[],
    );
    assert_eq!(status, 422);
    let error = error_of(&answer);
    assert!(error.starts_with("broken.xlsx: "), "{error}");
    let (status, answer) = post(
        &format!("{url}api/fix?name=broken.xlsx"),
        b"PK\x03\x04 broken zip",
        &[],
    );
    assert_eq!(status, 422, "{}", error_of(&answer));
    let (status, _) = post(&format!("{url}api/check?name={DEMO}"), &demo, &[]);
    assert_eq!(status, 200);

    // Every damaged file of fixtures/bad gets the command's own message
    // (`fix` reads as `check` does).
    for entry in std::fs::read_dir(root().join("fixtures/bad")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        for (call, command) in [("check", "check"), ("fix", "check"), ("layout", "layout")] {
            let output = skulint()
                .current_dir(path.parent().unwrap())
                .args([command, name])
                .output()
                .unwrap();
            let expected = stderr(&output);
            let expected = expected.trim_end().trim_start_matches("skulint: error: ");
            let (status, answer) = post(
                &format!("{url}api/{call}?name={name}"),
                &std::fs::read(&path).unwrap(),
                &[],
            );
            assert_eq!(status, 422, "{call} {name}");
            assert_eq!(error_of(&answer), expected, "{call} {name}");
        }
    }

    // A name with folders in it is a plain file name.
    let (status, answer) = post(
        &format!("{url}api/check?name=..%2F..%2Fx%2F{DEMO}"),
        &demo,
        &[],
    );
    assert_eq!(status, 200);
    let report: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(report["files"][0]["path"], DEMO);

    // A page elsewhere reaching the server by a name it points at 127.0.0.1 is refused.
    let (status, _) = get(url, &[("Host", "shop-tools.example:80")]);
    assert_eq!(status, 403);
    assert_eq!(
        server.leftovers(),
        Vec::<PathBuf>::new(),
        "uploads are removed"
    );
}

#[test]
fn a_token_guards_every_request() {
    let server = Server::start(&["--token", "s3cret-token"]);
    let url = &server.url;
    let demo = fixture(DEMO);
    let check = format!("{url}api/check?name={DEMO}");
    assert_eq!(get(url, &[]).0, 401);
    assert_eq!(get(&format!("{url}?token=wrong"), &[]).0, 401);
    assert_eq!(get(&format!("{url}?token=s3cret-token"), &[]).0, 200);
    assert_eq!(post(&check, &demo, &[]).0, 401);
    assert_eq!(
        post(&check, &demo, &[("Authorization", "Bearer s3cret-tokeN")]).0,
        401
    );
    assert_eq!(post(&format!("{url}nothing"), &demo, &[]).0, 401);
    assert_eq!(
        post(&check, &demo, &[("Authorization", "Bearer s3cret-token")]).0,
        200
    );

    // The variable, as a secrets file often holds it, with a line break.
    let server = Server::start_with_token_variable(&[], Some("from-variable\n"));
    let check = format!("{}api/check?name={DEMO}", server.url);
    assert_eq!(post(&check, &demo, &[]).0, 401);
    let bearer = [("Authorization", "Bearer from-variable")];
    assert_eq!(post(&check, &demo, &bearer).0, 200);
}

#[test]
fn another_address_than_loopback_needs_a_token() {
    let output = skulint()
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env_remove("SKULINT_SERVE_TOKEN")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(
        message.contains("--token") && message.contains("SKULINT_SERVE_TOKEN"),
        "{message}"
    );
    assert!(output.stdout.is_empty());
    let output = skulint()
        .args(["serve", "--bind", "nowhere"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

#[test]
fn concurrent_uploads_each_get_their_own_answer() {
    let server = Server::start(&["--workers", "2"]);
    let files = [DEMO, "lazada-price-stock.xlsx", "tiktok-batch-edit.xlsx"];
    let expected: Vec<Vec<u8>> = files
        .iter()
        .map(|name| {
            cli(
                cli_folder(name).path(),
                &["check", name, "--output-format", "json"],
            )
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..9)
            .map(|i| {
                let name = files[i % files.len()];
                let url = format!("{}api/check?name={name}", server.url);
                scope.spawn(move || (i, post(&url, &fixture(name), &[])))
            })
            .collect();
        for handle in handles {
            let (i, (status, body)) = handle.join().unwrap();
            assert_eq!(status, 200);
            assert!(
                body == expected[i % files.len()],
                "request {i} got another file's report"
            );
        }
    });
    assert_eq!(
        server.leftovers(),
        Vec::<PathBuf>::new(),
        "uploads are removed"
    );
}

/// The page in Debian's Chromium, driven by `tests/browser/serve.mjs`
/// (playwright-core from npm, `npm ci` in tests/browser): upload the demo
/// export, see the findings, download the corrected workbook, the change log
/// and the resync plan, diagnose a message. The downloads equal `skulint fix`'s
/// files, and the downloaded workbook reads back with the same findings.
/// Skipped, saying so, where Chromium, node or the npm packages are missing.
#[test]
fn the_page_checks_fixes_and_diagnoses_in_a_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let script = root().join("tests/browser/serve.mjs");
    let packages = root().join("tests/browser/node_modules/playwright-core");
    let node = Command::new("node").arg("--version").output();
    if !Path::new(&chromium).exists() || !packages.exists() || node.is_err() {
        eprintln!(
            "skipped: the browser test needs {chromium}, node and `npm ci` in tests/browser (.ci/run installs them)"
        );
        return;
    }
    // With a token: the page's address carries it, and the page passes it on.
    let server = Server::start(&["--token", "page-token"]);
    let downloads = tempfile::tempdir().unwrap();
    let mut command = Command::new("node");
    command
        .arg(&script)
        .arg(format!("{}?token=page-token", server.url))
        .arg(downloads.path())
        .env("CHROMIUM", &chromium);
    if let Ok(screenshot) = std::env::var("SKULINT_SCREENSHOT") {
        command.arg(screenshot);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    // What `skulint fix` writes for the same file.
    let dir = cli_folder(DEMO);
    let fixed = skulint()
        .current_dir(dir.path())
        .args(["fix", DEMO, "--changes", "changes.csv", "--quiet"])
        .output()
        .unwrap();
    assert!(code(&fixed) < 2, "{}", stderr(&fixed));
    let stem = DEMO.trim_end_matches(".xlsx");
    for (output, written) in [
        ("file", format!("{stem}.fixed.xlsx")),
        ("changes", "changes.csv".to_string()),
        ("plan", format!("{stem}.resync.jsonl")),
    ] {
        let name = seen["downloads"][output].as_str().unwrap();
        let downloaded = std::fs::read(downloads.path().join(name)).unwrap();
        let expected = std::fs::read(dir.path().join(&written)).unwrap();
        assert!(
            downloaded == expected,
            "the downloaded {name} differs from {written}"
        );
    }

    // The downloaded workbook, read again, has what the fixed one has left.
    let name = seen["downloads"]["file"].as_str().unwrap();
    let again = cli(
        downloads.path(),
        &["check", name, "--output-format", "json"],
    );
    let expected = cli(dir.path(), &["check", name, "--output-format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&expected)
    );
    let report: serde_json::Value = serde_json::from_slice(&again).unwrap();
    let before: serde_json::Value = serde_json::from_slice(&cli(
        dir.path(),
        &["check", DEMO, "--output-format", "json"],
    ))
    .unwrap();
    assert!(
        report["summary"]["fixable"] == 0 && before["summary"]["fixable"].as_u64() > Some(0),
        "the fixes are in the downloaded workbook"
    );
    assert_eq!(
        seen["findings"].as_u64().unwrap(),
        before["summary"]["diagnostics"].as_u64().unwrap(),
        "the page shows every finding"
    );
}

#[test]
fn uploads_are_read_with_the_commands_limits() {
    let server = Server::start(&["--max-cells", "50"]);
    let dir = cli_folder(DEMO);
    let output = skulint()
        .current_dir(dir.path())
        .args(["check", DEMO, "--max-cells", "50"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    let expected = stderr(&output);
    let expected = expected.trim_end().trim_start_matches("skulint: error: ");
    let (status, answer) = post(
        &format!("{}api/check?name={DEMO}", server.url),
        &fixture(DEMO),
        &[],
    );
    assert_eq!(status, 422);
    let error = error_of(&answer);
    assert!(error.contains("50"), "{error}");
    assert_eq!(error, expected);
}

/// A request that declares a body and sends only part of it, over a raw
/// connection. (The server library reads a body of 1 KiB or less itself
/// before handing the request over, so this one is larger.)
fn stalled_upload(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/check?name=a.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nSKU,Stock\n"
    )
    .unwrap();
    stream.flush().unwrap();
    stream
}

#[test]
fn stalled_uploads_do_not_hold_the_workers() {
    let server = Server::start(&["--workers", "2", "--read-timeout", "1"]);
    let mut stalled = [stalled_upload(&server), stalled_upload(&server)];
    // Both workers wait for those bodies; a third request is answered once
    // they give up on them.
    let started = std::time::Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .build()
        .into();
    let answer = agent
        .post(format!("{}api/check?name={DEMO}", server.url))
        .send(&fixture(DEMO)[..]);
    assert_eq!(answer.unwrap().status().as_u16(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered after {:?}",
        started.elapsed()
    );
    // A stalled client that ends its side after the worker gave up on it is
    // told why. The third request may have been taken before a stalled one,
    // whose worker then gives up a read timeout (1 s) after that answer; a
    // client that ends its side sooner is told its upload was cut short.
    std::thread::sleep(Duration::from_secs(2));
    for stream in &mut stalled {
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("the upload stalled"), "{answer}");
    }
}

/// Stopping the server while uploads are being checked removes their folders,
/// and nothing else in the temporary folder.
#[cfg(unix)]
#[test]
fn stopping_the_server_removes_the_upload_folders() {
    let mut server = Server::start(&["--workers", "2"]);
    let someone_elses = server.temp.path().join("skulint-serve-not-ours");
    std::fs::create_dir(&someone_elses).unwrap();
    // Large enough to take a while to check.
    let mut big = String::from("SKU,Name,Stock\n");
    for i in 0..200_000 {
        big.push_str(&format!("KAOS-{i} ,Kaos  {i},{}\n", i % 50));
    }
    let url = format!("{}api/check?name=big.csv", server.url);
    let uploads: Vec<_> = (0..2)
        .map(|_| {
            let (url, big) = (url.clone(), big.clone());
            std::thread::spawn(move || agent().post(&url).send(big.as_bytes()).is_ok())
        })
        .collect();
    let ours = |server: &Server| {
        server
            .leftovers()
            .into_iter()
            .filter(|p| *p != someone_elses)
            .count()
    };
    let started = std::time::Instant::now();
    while ours(&server) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no upload folder appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(server.leftovers(), vec![someone_elses]);
    for upload in uploads {
        // Their connections end without an answer.
        let _ = upload.join();
    }
}
