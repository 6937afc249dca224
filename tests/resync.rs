//! `skulint resync` and the channel clients against a local marketplace
//! (tests/support) that checks every signature and timestamp and keeps the
//! shop's state. Time is injected: no test waits for a backoff or a ban.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skulint::channel::http::Http;
use skulint::channel::journal::Journal;
use skulint::channel::lazada::Lazada;
use skulint::channel::run::{self, Clock, Options, Status, StopReason, Summary};
use skulint::channel::shopee::Shopee;
use skulint::channel::tiktok::Tiktok;
use skulint::channel::webhook::Webhook;
use skulint::channel::{ChannelClient, Credentials, PlanEntry, VARIABLES};
use support::{Fault, Model, Protocol, Secrets, Server};

const ALL: [Protocol; 4] = [
    Protocol::Shopee,
    Protocol::Lazada,
    Protocol::Tiktok,
    Protocol::Webhook,
];

/// Time that passes only when slept, on top of the real wall clock (the
/// server checks timestamps against it).
struct FakeClock {
    offset: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
    skew_seconds: i64,
}

impl FakeClock {
    fn new() -> Self {
        Self::skewed(0)
    }

    fn skewed(skew_seconds: i64) -> Self {
        FakeClock {
            offset: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
            skew_seconds,
        }
    }

    fn longest_sleep(&self) -> Duration {
        self.sleeps
            .lock()
            .unwrap()
            .iter()
            .copied()
            .max()
            .unwrap_or_default()
    }
}

impl Clock for FakeClock {
    fn elapsed(&self) -> Duration {
        *self.offset.lock().unwrap()
    }

    fn unix_millis(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        (real + self.elapsed().as_millis() as i64 + self.skew_seconds * 1000) as u64
    }

    fn sleep(&self, duration: Duration) {
        *self.offset.lock().unwrap() += duration;
        self.sleeps.lock().unwrap().push(duration);
    }
}

fn entry(
    product: &str,
    variation: Option<&str>,
    old: &str,
    new: &str,
    stock: Option<i64>,
) -> PlanEntry {
    PlanEntry {
        channel: "generic".into(),
        file: "export.xlsx".into(),
        sheet: "Sheet1".into(),
        row: 0,
        shop: None,
        product_id: Some(product.into()),
        variation_id: variation.map(str::to_string),
        old_sku: old.into(),
        new_sku: new.into(),
        stock,
    }
}

/// Numbers rows in plan order, as `fix` does.
fn rows(mut entries: Vec<PlanEntry>) -> Vec<PlanEntry> {
    for (i, e) in entries.iter_mut().enumerate() {
        e.row = i + 4;
    }
    entries
}

/// Two items: one with two variations, one with one; SKUs with the faults `fix` removes.
fn shop() -> Vec<((&'static str, &'static str), Model)> {
    vec![
        (("1001", "11"), Model::new("KAOS  HITAM-M", 3)),
        (("1001", "12"), Model::new("KAOS PUTIH-L ", 5)),
        (("2002", "21"), Model::new("CELANA-S", 9)),
        (("3003", "31"), Model::new("UNTOUCHED", 1)),
    ]
}

fn plan() -> Vec<PlanEntry> {
    rows(vec![
        entry(
            "1001",
            Some("11"),
            "KAOS  HITAM-M",
            "KAOS HITAM-M",
            Some(12),
        ),
        entry("1001", Some("12"), "KAOS PUTIH-L ", "KAOS PUTIH-L", None),
        entry("2002", Some("21"), "CELANA-S", "CELANA-S", Some(0)),
    ])
}

fn client(protocol: Protocol, server: &Server, secrets: &Secrets) -> Box<dyn ChannelClient> {
    let env = secrets.env(protocol, &server.url);
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let credentials = Credentials::new(&lookup, false);
    let base = server.base_url();
    match protocol {
        Protocol::Shopee => Box::new(Shopee::new(&credentials, Some(&base)).unwrap()),
        Protocol::Lazada => Box::new(Lazada::new(&credentials, Some(&base)).unwrap()),
        Protocol::Tiktok => Box::new(Tiktok::new(&credentials, Some(&base)).unwrap()),
        Protocol::Webhook => Box::new(Webhook::new(&credentials, None).unwrap()),
    }
}

struct Run {
    summary: Summary,
    notes: Vec<String>,
}

fn resync(
    client: &dyn ChannelClient,
    entries: &[PlanEntry],
    journal: &Path,
    clock: &FakeClock,
    max_attempts: u32,
    workers: usize,
) -> Run {
    let journal = Journal::open(journal).unwrap();
    let notes = Mutex::new(Vec::new());
    let options = Options {
        max_attempts,
        rate: 1000.0,
        workers,
    };
    let summary = run::run(
        client,
        entries,
        &journal,
        &Http::new(),
        clock,
        &options,
        &|note: &str| notes.lock().unwrap().push(note.to_string()),
    );
    Run {
        summary,
        notes: notes.into_inner().unwrap(),
    }
}

fn statuses(summary: &Summary) -> Vec<&'static str> {
    summary
        .results
        .iter()
        .map(|r| match &r.status {
            Status::Done => "done",
            Status::AlreadyDone => "already",
            Status::Failed(_) => "failed",
            Status::NotSent => "not sent",
        })
        .collect()
}

fn cause(summary: &Summary, index: usize) -> String {
    match &summary.results[index].status {
        Status::Failed(f) => f.cause_id().to_string(),
        other => format!("{other:?}"),
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn every_channel_updates_the_skus_and_stock_once_and_a_rerun_sends_nothing() {
    for protocol in ALL {
        let secrets = Secrets::distinctive();
        let server = Server::start(protocol, secrets.clone(), shop());
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let journal = dir.path().join("plan.resync.journal.jsonl");
        let clock = FakeClock::new();
        let first = resync(client.as_ref(), &plan(), &journal, &clock, 5, 4);
        assert_eq!(statuses(&first.summary), ["done"; 3], "{protocol:?}");
        assert!(
            server.state().rejected.is_empty(),
            "{protocol:?}: {:?}",
            server.state().rejected
        );
        assert_eq!(
            server.model("1001", "11").outcome(),
            ("KAOS HITAM-M", 12, 1, 1),
            "{protocol:?}"
        );
        assert_eq!(
            server.model("1001", "12").outcome(),
            ("KAOS PUTIH-L", 5, 1, 0),
            "{protocol:?}"
        );
        assert_eq!(
            server.model("2002", "21").outcome(),
            ("CELANA-S", 0, 0, 1),
            "{protocol:?}"
        );
        assert_eq!(server.model("3003", "31"), Model::new("UNTOUCHED", 1));
        let calls = server.calls();
        let expected_calls = match protocol {
            // item 1001: SKU + stock; item 2002: stock.
            Protocol::Shopee | Protocol::Lazada | Protocol::Tiktok => 3,
            Protocol::Webhook => 1,
        };
        assert_eq!(
            calls,
            expected_calls,
            "{protocol:?}: {:?}",
            server.state().calls
        );

        let second = resync(client.as_ref(), &plan(), &journal, &clock, 5, 4);
        assert_eq!(statuses(&second.summary), ["already"; 3], "{protocol:?}");
        assert_eq!(
            server.calls(),
            calls,
            "{protocol:?}: the rerun sent something"
        );
    }
}

#[test]
fn server_errors_are_retried_with_growing_backoff_then_succeed() {
    for protocol in ALL {
        let secrets = Secrets::distinctive();
        let server = Server::start(protocol, secrets.clone(), shop());
        server.fail_next(&[Fault::ServerError, Fault::ServerError]);
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let clock = FakeClock::new();
        let run = resync(
            client.as_ref(),
            &plan(),
            &dir.path().join("j.jsonl"),
            &clock,
            5,
            1,
        );
        assert_eq!(
            statuses(&run.summary),
            ["done"; 3],
            "{protocol:?}: {:?}",
            run.notes
        );
        assert_eq!(run.notes.len(), 2, "{protocol:?}: {:?}", run.notes);
        assert!(run.notes[0].starts_with("retry 2/5 in "), "{:?}", run.notes);
        assert!(run.notes[1].starts_with("retry 3/5 in "), "{:?}", run.notes);
        assert!(
            run.notes[0].contains("platform-server-error"),
            "{:?}",
            run.notes
        );
        let waits: Vec<f64> = run
            .notes
            .iter()
            .map(|n| {
                n["retry 2/5 in ".len()..]
                    .split('s')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(waits[0] > 0.0 && waits[1] >= waits[0], "{waits:?}");
        // Each model still got each update once.
        assert_eq!(server.model("1001", "11").sku_updates, 1);
        assert_eq!(server.model("1001", "11").stock_updates, 1);
        // Three SKU calls and one stock call; the webhook pushes the entry in one call.
        let attempts = if protocol == Protocol::Webhook { 3 } else { 4 };
        assert_eq!(run.summary.results[0].attempts, attempts, "{protocol:?}");
    }
}

#[test]
fn a_ban_or_retry_after_is_waited_out_before_the_retry() {
    for (protocol, seconds) in [
        (Protocol::Lazada, 7),
        (Protocol::Shopee, 4),
        (Protocol::Tiktok, 9),
        (Protocol::Webhook, 3),
    ] {
        let secrets = Secrets::distinctive();
        let server = Server::start(protocol, secrets.clone(), shop());
        server.fail_next(&[Fault::RateLimit { seconds }]);
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let clock = FakeClock::new();
        let run = resync(
            client.as_ref(),
            &plan(),
            &dir.path().join("j.jsonl"),
            &clock,
            5,
            2,
        );
        assert_eq!(
            statuses(&run.summary),
            ["done"; 3],
            "{protocol:?}: {:?}",
            run.notes
        );
        assert!(
            clock.longest_sleep() >= Duration::from_secs(seconds.into()),
            "{protocol:?}: waited at most {:?}",
            clock.longest_sleep()
        );
        assert!(run.notes[0].contains("rate-limited"), "{:?}", run.notes);
    }
}

#[test]
fn transient_failures_give_up_after_max_attempts_and_the_rest_goes_on() {
    let secrets = Secrets::distinctive();
    let server = Server::start(Protocol::Shopee, secrets.clone(), shop());
    server.fail_next(&[Fault::ServerError, Fault::ServerError, Fault::ServerError]);
    let client = client(Protocol::Shopee, &server, &secrets);
    let dir = tempdir();
    let clock = FakeClock::new();
    let run = resync(
        client.as_ref(),
        &plan(),
        &dir.path().join("j.jsonl"),
        &clock,
        3,
        1,
    );
    // Item 1001 (rows 4 and 5) gave up on its SKU call; item 2002 went through.
    assert_eq!(statuses(&run.summary), ["failed", "failed", "done"]);
    assert_eq!(cause(&run.summary, 0), "platform-server-error");
    let Status::Failed(failure) = &run.summary.results[0].status else {
        unreachable!()
    };
    assert!(failure.gave_up);
    assert_eq!(run.summary.results[0].attempts, 3);
    assert!(run.summary.stopped.is_none());
    assert_eq!(
        server.model("1001", "11"),
        Model::new("KAOS  HITAM-M", 3),
        "nothing applied"
    );
    assert_eq!(server.calls(), 4, "{:?}", server.state().calls);
}

#[test]
fn an_expired_token_or_vacation_mode_stops_the_run_after_one_call() {
    for protocol in [
        Protocol::Shopee,
        Protocol::Lazada,
        Protocol::Tiktok,
        Protocol::Webhook,
    ] {
        for (fault, expected) in [
            (Fault::ExpiredToken, "auth-expired"),
            (Fault::Vacation, "vacation-mode"),
        ] {
            if protocol == Protocol::Webhook && fault == Fault::Vacation {
                continue;
            }
            let expected = if protocol == Protocol::Webhook {
                "bad-signature"
            } else {
                expected
            };
            let secrets = Secrets::distinctive();
            let server = Server::start(protocol, secrets.clone(), shop());
            server.fail_next(std::slice::from_ref(&fault));
            let client = client(protocol, &server, &secrets);
            let dir = tempdir();
            let journal = dir.path().join("j.jsonl");
            let clock = FakeClock::new();
            let run = resync(client.as_ref(), &plan(), &journal, &clock, 5, 4);
            assert_eq!(
                server.calls(),
                1,
                "{protocol:?} {fault:?}: {:?}",
                server.state().calls
            );
            let stop = run.summary.stopped.as_ref().expect("the run stopped");
            assert!(matches!(stop.reason, StopReason::Cause));
            assert_eq!(stop.failure.cause_id(), expected, "{protocol:?} {fault:?}");
            assert!(run.notes.is_empty(), "no retry: {:?}", run.notes);
            let sent = statuses(&run.summary);
            // The webhook carried the whole plan in that one call.
            if protocol != Protocol::Webhook {
                assert!(sent.contains(&"not sent"), "{protocol:?}: {sent:?}");
            }
            assert!(!sent.contains(&"done"), "{protocol:?}: {sent:?}");
            // The shop is untouched; after reconnecting, the same command finishes the job.
            assert_eq!(server.model("1001", "11").sku_updates, 0);
            let rerun = resync(client.as_ref(), &plan(), &journal, &clock, 5, 4);
            assert_eq!(
                statuses(&rerun.summary),
                ["done"; 3],
                "{protocol:?} {fault:?}"
            );
        }
    }
}

#[test]
fn stock_below_the_reserve_fails_that_entry_only_and_a_rerun_resends_only_the_stock() {
    for protocol in ALL {
        let secrets = Secrets::distinctive();
        let mut models = shop();
        models[0].1 = Model::new("KAOS  HITAM-M", 3).reserved(15);
        let server = Server::start(protocol, secrets.clone(), models);
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let journal = dir.path().join("j.jsonl");
        let clock = FakeClock::new();
        let run = resync(client.as_ref(), &plan(), &journal, &clock, 5, 2);
        assert_eq!(
            statuses(&run.summary),
            ["failed", "done", "done"],
            "{protocol:?}"
        );
        assert_eq!(
            cause(&run.summary, 0),
            "below-campaign-reserve",
            "{protocol:?}"
        );
        assert!(
            run.notes.is_empty(),
            "a refusal is not retried: {:?}",
            run.notes
        );
        let m11 = server.model("1001", "11");
        assert_eq!((m11.stock, m11.stock_updates), (3, 0), "{protocol:?}");
        if protocol != Protocol::Webhook {
            // The SKU step went through before the stock step was refused.
            assert_eq!(
                (m11.sku.as_str(), m11.sku_updates),
                ("KAOS HITAM-M", 1),
                "{protocol:?}"
            );
        }

        // The campaign ends; the rerun sends only what is left.
        server
            .state()
            .models
            .get_mut(&("1001".into(), "11".into()))
            .unwrap()
            .reserved = 0;
        let before = server.calls();
        let rerun = resync(client.as_ref(), &plan(), &journal, &clock, 5, 2);
        assert_eq!(
            statuses(&rerun.summary),
            ["done", "already", "already"],
            "{protocol:?}"
        );
        assert_eq!(server.calls(), before + 1, "{protocol:?}");
        let m11 = server.model("1001", "11");
        // The webhook carries an entry whole, so its receiver sees the SKU again.
        let sku_updates = if protocol == Protocol::Webhook { 2 } else { 1 };
        assert_eq!(
            (m11.stock, m11.stock_updates, m11.sku_updates),
            (12, 1, sku_updates),
            "{protocol:?}"
        );
    }
}

#[test]
fn a_wrong_secret_or_a_clock_far_off_is_refused_and_stops_the_run() {
    for protocol in ALL {
        let secrets = Secrets::distinctive();
        let server = Server::start(protocol, secrets.clone(), shop());
        let wrong = Secrets {
            key: "not-the-partner-key".into(),
            ..secrets.clone()
        };
        let client_with_wrong_key = client(protocol, &server, &wrong);
        let dir = tempdir();
        let run = resync(
            client_with_wrong_key.as_ref(),
            &plan(),
            &dir.path().join("a.jsonl"),
            &FakeClock::new(),
            5,
            4,
        );
        assert_eq!(server.calls(), 1, "{protocol:?}");
        assert_eq!(server.state().rejected.len(), 1);
        assert_eq!(
            run.summary.stopped.unwrap().failure.cause_id(),
            "bad-signature",
            "{protocol:?}"
        );

        let client = client(protocol, &server, &secrets);
        let late = FakeClock::skewed(-600);
        let run = resync(
            client.as_ref(),
            &plan(),
            &dir.path().join("b.jsonl"),
            &late,
            5,
            4,
        );
        assert_eq!(server.calls(), 2, "{protocol:?}");
        assert!(
            server.state().rejected[1].starts_with("timestamp"),
            "{:?}",
            server.state().rejected
        );
        assert_eq!(
            run.summary.stopped.unwrap().failure.cause_id(),
            "bad-signature",
            "{protocol:?}"
        );
        assert_eq!(server.model("1001", "11").sku_updates, 0);
    }
}

#[test]
fn batches_hold_at_most_fifty_models() {
    let secrets = Secrets::distinctive();
    let ids: Vec<String> = (0..120).map(|i| format!("{}", 500 + i)).collect();
    let models: Vec<((&str, &str), Model)> = ids
        .iter()
        .map(|id| (("77", id.as_str()), Model::new("A", 0)))
        .collect();
    let entries = rows(
        ids.iter()
            .map(|id| entry("77", Some(id), "A", "A", Some(2)))
            .collect(),
    );
    for protocol in [Protocol::Shopee, Protocol::Lazada] {
        let server = Server::start(protocol, secrets.clone(), models.clone());
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let run = resync(
            client.as_ref(),
            &entries,
            &dir.path().join("j.jsonl"),
            &FakeClock::new(),
            5,
            3,
        );
        assert!(statuses(&run.summary).iter().all(|s| *s == "done"));
        assert_eq!(server.calls(), 3, "{protocol:?}: 50 + 50 + 20");
        assert!(
            server
                .state()
                .models
                .values()
                .all(|m| m.stock == 2 && m.stock_updates == 1)
        );
    }
}

#[test]
fn a_resync_interrupted_by_an_outage_resumes_without_sending_anything_twice() {
    let secrets = Secrets::distinctive();
    let products: Vec<String> = (0..12).map(|i| format!("{}", 40 + i)).collect();
    let models: Vec<((&str, &str), Model)> = products
        .iter()
        .map(|p| ((p.as_str(), "9"), Model::new("X  Y", 1)))
        .collect();
    let entries = rows(
        products
            .iter()
            .enumerate()
            .map(|(i, p)| entry(p, Some("9"), "X  Y", &format!("X Y-{i}"), Some(i as i64)))
            .collect(),
    );
    for protocol in [Protocol::Shopee, Protocol::Lazada, Protocol::Tiktok] {
        let server = Server::start(protocol, secrets.clone(), models.clone());
        // The platform answers three calls, then its gateway says 503.
        server.state().down_after = Some(3);
        let client = client(protocol, &server, &secrets);
        let dir = tempdir();
        let journal = dir.path().join("j.jsonl");
        let clock = FakeClock::new();
        let first = resync(client.as_ref(), &entries, &journal, &clock, 2, 1);
        let sent = statuses(&first.summary);
        // Product 40 went through; 41 got its SKU but not its stock; 42 to 44
        // gave up on their first call, and after three such in a row the run stopped.
        assert_eq!(
            sent[..5],
            ["done", "failed", "failed", "failed", "failed"],
            "{protocol:?}"
        );
        assert!(
            sent[5..].iter().all(|s| *s == "not sent"),
            "{protocol:?}: {sent:?}"
        );
        let stop = first.summary.stopped.as_ref().expect("stopped");
        assert!(
            matches!(stop.reason, StopReason::GaveUp),
            "{:?}",
            stop.reason
        );
        assert_eq!(stop.failure.cause_id(), "platform-server-error");
        assert_eq!(
            server.calls(),
            11,
            "{protocol:?}: {:?}",
            server.state().calls
        );

        server.state().down_after = None;
        let second = resync(client.as_ref(), &entries, &journal, &clock, 2, 1);
        let sent = statuses(&second.summary);
        assert_eq!(sent[0], "already");
        assert!(
            sent[1..].iter().all(|s| *s == "done"),
            "{protocol:?}: {sent:?}"
        );
        for (i, p) in products.iter().enumerate() {
            assert_eq!(
                server.model(p, "9").outcome(),
                (format!("X Y-{i}").as_str(), i as i64, 1, 1),
                "{protocol:?} product {p}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The command line.

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("skulint")
}

fn command(env: &[(String, String)]) -> Command {
    let mut command = Command::new(binary());
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    command
}

fn run_cli(args: &[&str], env: &[(String, String)], dir: &Path) -> Output {
    command(env).args(args).current_dir(dir).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_plan(dir: &Path, entries: &[PlanEntry]) -> PathBuf {
    let path = dir.join("shop.resync.jsonl");
    let lines: Vec<String> = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn fix_then_resync_puts_exactly_the_fixed_skus_and_stock_in_the_shop() {
    let dir = tempdir();
    let export = dir.path().join("demo-shopee-sales-info.xlsx");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-shopee-sales-info.xlsx"),
        &export,
    )
    .unwrap();
    let fixed = run_cli(&["fix", export.to_str().unwrap()], &[], dir.path());
    assert_eq!(fixed.status.code(), Some(1), "{}", text(&fixed.stderr));
    let plan_path = dir.path().join("demo-shopee-sales-info.resync.jsonl");
    let plan = skulint::channel::read_plan(&plan_path).unwrap();
    assert!(plan.len() >= 3, "{plan:?}");

    // The shop as it was exported: the old SKUs, stock 1, and a model the plan does not touch.
    let ids: Vec<(String, String)> = plan
        .iter()
        .map(|e| {
            (
                e.product_id.clone().unwrap(),
                e.variation_id.clone().unwrap(),
            )
        })
        .collect();
    let mut models: Vec<((&str, &str), Model)> = plan
        .iter()
        .zip(&ids)
        .map(|(e, (p, v))| ((p.as_str(), v.as_str()), Model::new(&e.old_sku, 1)))
        .collect();
    models.push((("23938486435", "999"), Model::new("KAOS-OTHER", 7)));
    let secrets = Secrets::distinctive();
    let server = Server::start(Protocol::Shopee, secrets.clone(), models);
    let env = secrets.env(Protocol::Shopee, &server.url);

    let output = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "shopee",
            "--base-url",
            &server.url,
        ],
        &env,
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{} updated, 0 failed", plan.len())),
        "{stdout}"
    );
    assert!(server.state().rejected.is_empty());
    for (entry, (p, v)) in plan.iter().zip(&ids) {
        let model = server.model(p, v);
        assert_eq!(model.sku, entry.new_sku, "{p}/{v}");
        assert_eq!(
            model.sku_updates,
            u32::from(entry.old_sku != entry.new_sku),
            "{p}/{v}"
        );
        assert_eq!(Some(model.stock), entry.stock.or(Some(1)), "{p}/{v}");
        assert_eq!(
            model.stock_updates,
            u32::from(entry.stock.is_some()),
            "{p}/{v}"
        );
    }
    assert_eq!(
        server.model("23938486435", "999"),
        Model::new("KAOS-OTHER", 7)
    );
    let journal = std::fs::read_to_string(
        dir.path()
            .join("demo-shopee-sales-info.resync.journal.jsonl"),
    )
    .unwrap();
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.contains(r#""outcome":"done""#))
            .count(),
        plan.len()
    );

    let calls = server.calls();
    let again = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "shopee",
            "--base-url",
            &server.url,
        ],
        &env,
        dir.path(),
    );
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains(&format!("0 updated, 0 failed, {} done before", plan.len()))
    );
    assert_eq!(server.calls(), calls, "the rerun sent nothing");
}

#[test]
fn the_command_reports_a_stop_with_the_reconnect_advice_and_exit_1() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    let secrets = Secrets::distinctive();
    let server = Server::start(Protocol::Shopee, secrets.clone(), shop());
    server.fail_next(&[Fault::ExpiredToken]);
    let output = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "shopee",
            "--base-url",
            &server.url,
        ],
        &secrets.env(Protocol::Shopee, &server.url),
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(server.calls(), 1);
    assert!(stdout.contains("The run stopped: auth-expired"), "{stdout}");
    assert!(
        stdout.contains("→ reconnect the shop (authorize it again)"),
        "{stdout}"
    );
    assert!(stdout.contains("not sent"), "{stdout}");
}

#[test]
fn a_killed_resync_resumes_without_sending_anything_twice() {
    let dir = tempdir();
    let ids: Vec<String> = (0..10).map(|i| format!("{}", 700 + i)).collect();
    let products: Vec<String> = (0..10).map(|i| format!("{}", 50 + i)).collect();
    let models: Vec<((&str, &str), Model)> = products
        .iter()
        .zip(&ids)
        .map(|(p, id)| ((p.as_str(), id.as_str()), Model::new("OLD  SKU", 1)))
        .collect();
    let entries = rows(
        products
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(i, (p, id))| {
                entry(
                    p,
                    Some(id),
                    "OLD  SKU",
                    &format!("NEW-{i}"),
                    Some(10 + i as i64),
                )
            })
            .collect(),
    );
    let plan_path = write_plan(dir.path(), &entries);
    let secrets = Secrets::distinctive();
    let server = Server::start(Protocol::Shopee, secrets.clone(), models);
    // Seven calls go through; the next ones hang until the process is killed.
    server.state().hold_after = Some(7);
    let env = secrets.env(Protocol::Shopee, &server.url);
    let args = [
        "resync",
        plan_path.to_str().unwrap(),
        "--channel",
        "shopee",
        "--base-url",
        &server.url,
        "--workers",
        "2",
    ];
    let mut child = command(&env)
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Both workers wait for an answer: everything answered before is journaled.
    for _ in 0..2 {
        server
            .held
            .recv_timeout(Duration::from_secs(120))
            .expect("a held call");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    server.state().hold_after = None;

    let output = run_cli(&args, &env, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    for (i, (p, id)) in products.iter().zip(&ids).enumerate() {
        assert_eq!(
            server.model(p, id).outcome(),
            (format!("NEW-{i}").as_str(), 10 + i as i64, 1, 1),
            "model {p}/{id}"
        );
    }
    // 20 updates applied, 2 calls held and never applied.
    assert_eq!(server.calls(), 22, "{:?}", server.state().calls);
}

#[test]
fn secrets_never_appear_in_output_errors_or_the_journal() {
    for protocol in ALL {
        let dir = tempdir();
        let plan_path = write_plan(dir.path(), &plan());
        let secrets = Secrets::distinctive();
        let server = Server::start(protocol, secrets.clone(), shop());
        server.state().echo_token = true;
        server.fail_next(&[Fault::ServerError, Fault::ExpiredToken]);
        let env = secrets.env(protocol, &server.url);
        let plan_arg = plan_path.to_str().unwrap();
        let base = server.base_url();
        let mut base_args = vec!["resync", plan_arg, "--channel", protocol.name()];
        if protocol != Protocol::Webhook {
            base_args.extend(["--base-url", base.as_str()]);
        }
        let mut outputs = Vec::new();
        let mut dry = base_args.clone();
        dry.push("--dry-run");
        let dry_run = run_cli(&dry, &env, dir.path());
        assert_eq!(dry_run.status.code(), Some(0), "{}", text(&dry_run.stderr));
        assert!(text(&dry_run.stdout).contains("<redacted>"));
        assert_eq!(server.calls(), 0, "a dry run sends nothing");
        outputs.push(dry_run);
        // A retried server error, then an expired token that the answer repeats.
        outputs.push(run_cli(&base_args, &env, dir.path()));
        // The same command again, now accepted.
        outputs.push(run_cli(&base_args, &env, dir.path()));
        assert_eq!(
            outputs[2].status.code(),
            Some(0),
            "{protocol:?}: {}",
            text(&outputs[2].stdout)
        );
        let journal =
            std::fs::read_to_string(dir.path().join("shop.resync.journal.jsonl")).unwrap();
        if protocol != Protocol::Webhook {
            assert!(journal.contains("auth-expired"), "{journal}");
        }
        for secret in secrets.secret_values() {
            for output in &outputs {
                for stream in [&output.stdout, &output.stderr] {
                    assert!(
                        !text(stream).contains(&secret),
                        "{protocol:?}: {secret} in {}",
                        text(stream)
                    );
                }
            }
            assert!(
                !journal.contains(&secret),
                "{protocol:?}: {secret} in the journal"
            );
        }
    }
}

#[test]
fn a_missing_credential_is_exit_2_naming_the_variable() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    let mut env = Secrets::distinctive().env(Protocol::Lazada, "");
    env.retain(|(k, _)| k != "SKULINT_LAZADA_APP_SECRET");
    let output = run_cli(
        &["resync", plan_path.to_str().unwrap(), "--channel", "lazada"],
        &env,
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("SKULINT_LAZADA_APP_SECRET is not set"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!dir.path().join("shop.resync.journal.jsonl").exists());
}

#[test]
fn a_config_can_name_the_variables_to_read() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    std::fs::write(
        dir.path().join("skulint.toml"),
        "[credentials]\nSKULINT_TIKTOK_APP_SECRET = \"SHOP_B_TIKTOK_SECRET\"\n",
    )
    .unwrap();
    let secrets = Secrets::distinctive();
    let server = Server::start(Protocol::Tiktok, secrets.clone(), shop());
    let mut env = secrets.env(Protocol::Tiktok, &server.url);
    env.retain(|(k, _)| k != "SKULINT_TIKTOK_APP_SECRET");
    let args = [
        "resync",
        plan_path.to_str().unwrap(),
        "--channel",
        "tiktok",
        "--base-url",
        &server.url,
    ];
    let missing = run_cli(&args, &env, dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("SHOP_B_TIKTOK_SECRET is not set"),
        "{}",
        text(&missing.stderr)
    );
    env.push(("SHOP_B_TIKTOK_SECRET".into(), secrets.key.clone()));
    let output = run_cli(&args, &env, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert_eq!(server.model("1001", "11").sku, "KAOS HITAM-M");
}

#[test]
fn bad_plans_and_channels_are_exit_2_with_one_line() {
    let dir = tempdir();
    let bad = dir.path().join("bad.resync.jsonl");
    std::fs::write(&bad, "{\"channel\":\"shopee\"}\n").unwrap();
    let output = run_cli(
        &[
            "resync",
            bad.to_str().unwrap(),
            "--channel",
            "shopee",
            "--dry-run",
        ],
        &[],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("bad.resync.jsonl:1:"),
        "{}",
        text(&output.stderr)
    );

    let mut entries = plan();
    entries[1].channel = "lazada".into();
    let plan_path = write_plan(dir.path(), &entries);
    let output = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "shopee",
            "--dry-run",
        ],
        &[],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--channel lazada"),
        "{}",
        text(&output.stderr)
    );

    let missing = run_cli(
        &["resync", "nope.jsonl", "--channel", "webhook", "--dry-run"],
        &[],
        dir.path(),
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("nope.jsonl"));
}

#[test]
fn a_dry_run_needs_no_credentials_and_shows_every_request() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    let output = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "lazada",
            "--dry-run",
        ],
        &[],
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for line in [
        "POST https://api.lazada.co.id/rest/product/update\n",
        "\napp_key=<SKULINT_LAZADA_APP_KEY>\n",
        "\nsign_method=sha256\n",
        "\naccess_token=<redacted>\n",
        "\nsign=<redacted>\n",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    assert!(stdout.contains("payload=<Request><Product><ItemId>1001</ItemId><Skus><Sku><ItemId>1001</ItemId><SkuId>11</SkuId><SellerSku>KAOS HITAM-M</SellerSku></Sku>"), "{stdout}");
    assert!(
        stdout.contains("/product/price_quantity/update"),
        "{stdout}"
    );
    assert!(stdout.contains("3 requests"), "{stdout}");
    assert!(
        !dir.path().join("shop.resync.journal.jsonl").exists(),
        "a dry run writes no journal"
    );
}

#[test]
fn the_command_lists_each_failed_entry_with_its_cause_and_what_to_do() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    let secrets = Secrets::distinctive();
    let mut models = shop();
    models[0].1 = Model::new("KAOS  HITAM-M", 3).reserved(15);
    let server = Server::start(Protocol::Lazada, secrets.clone(), models);
    let output = run_cli(
        &[
            "resync",
            plan_path.to_str().unwrap(),
            "--channel",
            "lazada",
            "--base-url",
            &server.base_url(),
        ],
        &secrets.env(Protocol::Lazada, &server.url),
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let failed = lines
        .iter()
        .position(|l| l.trim_start().starts_with("failed"))
        .expect("a failed line");
    assert!(lines[failed].contains("Sheet1!4"), "{stdout}");
    assert!(
        lines[failed + 1].contains("stock update below-campaign-reserve"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "below-campaign-reserve — Stock below what a campaign or flash sale reserves (1 entry)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("What to do:"), "{stdout}");
    assert!(
        stdout.contains("2 updated, 1 failed, 0 done before, 0 not sent"),
        "{stdout}"
    );
}

#[test]
fn a_bad_credentials_table_is_exit_2_without_echoing_the_value() {
    let dir = tempdir();
    let plan_path = write_plan(dir.path(), &plan());
    let args = [
        "resync",
        plan_path.to_str().unwrap(),
        "--channel",
        "shopee",
        "--dry-run",
    ];
    for (config, expected) in [
        (
            "[credentials]\nSKULINT_SHOPEE_PASSWORD = \"X\"\n",
            "skulint.toml:2:1: credentials.SKULINT_SHOPEE_PASSWORD: not a credential variable",
        ),
        (
            "[credentials]\nSKULINT_SHOPEE_PARTNER_KEY = \"pk-live-93f0a1\"\n",
            "skulint.toml:2:30: credentials.SKULINT_SHOPEE_PARTNER_KEY: give the name of the environment variable",
        ),
    ] {
        std::fs::write(dir.path().join("skulint.toml"), config).unwrap();
        let output = run_cli(&args, &[], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("pk-live-93f0a1"), "{stderr}");
    }
}

/// A plan from an export of several shops names each entry's shop; `resync`
/// to a marketplace sends one shop's entries, named by `--shop`, and refuses
/// the plan without it: one seller account would get another shop's ids.
#[test]
fn a_plan_of_several_shops_is_sent_one_shop_at_a_time() {
    let dir = tempdir();
    let export = dir.path().join("shops.csv");
    std::fs::write(
        &export,
        "Shop,Product ID,Variation ID,Product Name,SKU,Stock\n\
         Toko A,100,1001,Kaos,KAOS  HTM,5\n\
         ,100,1002,Kaos,KAOS-PTH,5\n\
         Toko B,900,9001,Kaos,KAOS  HTM,5\n",
    )
    .unwrap();
    let fixed = run_cli(&["fix", "shops.csv"], &[], dir.path());
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stderr));
    let plan = std::fs::read_to_string(dir.path().join("shops.resync.jsonl")).unwrap();
    let shops: Vec<String> = plan
        .lines()
        .map(|line| {
            serde_json::from_str::<PlanEntry>(line)
                .unwrap()
                .shop
                .unwrap()
        })
        .collect();
    assert_eq!(shops, ["Toko A", "Toko B"]);

    let resync = |extra: &[&str]| {
        let mut args = vec![
            "resync",
            "shops.resync.jsonl",
            "--channel",
            "shopee",
            "--dry-run",
        ];
        args.extend(extra);
        run_cli(&args, &[], dir.path())
    };
    let refused = resync(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains("2 shops (`Toko A`, `Toko B`)"),
        "{message}"
    );
    assert!(message.contains("--shop NAME"), "{message}");

    let one = resync(&["--shop", "Toko B"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let shown = text(&one.stdout);
    assert!(shown.contains("1 entries"), "{shown}");
    assert!(shown.contains("\"item_id\":900"), "{shown}");
    assert!(!shown.contains("\"item_id\":100"), "{shown}");

    let unknown = resync(&["--shop", "Toko C"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("the plan's shops: `Toko A`, `Toko B`"));
}
