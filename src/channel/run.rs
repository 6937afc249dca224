//! Running a resync: batches, a small worker pool, a token-bucket rate limit,
//! retries with exponential backoff and jitter, and every retry / give-up /
//! stop decision taken from the sync-error catalog.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::http::Transport;
use super::journal::{EntryKey, Journal, Outcome, Record};
use super::{ChannelClient, PlanEntry, Redactor, Reply, Request, Step};
use crate::diagnose::{self, Cause, Diagnosis};

/// Time, injectable so tests do not wait.
pub trait Clock: Send + Sync {
    /// Monotonic time since an arbitrary origin.
    fn elapsed(&self) -> Duration;
    /// Milliseconds since the Unix epoch: the timestamps requests are signed with.
    fn unix_millis(&self) -> u64;
    fn sleep(&self, duration: Duration);
}

/// The computer's clock.
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn unix_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct Options {
    /// Calls per step before giving up on a transient failure (1: no retry).
    pub max_attempts: u32,
    /// Calls per second, across all workers.
    pub rate: f64,
    /// Batches sent at the same time.
    pub workers: usize,
}

/// The first retry waits about this long; each next one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Batches in a row that give up on a transient cause before the run stops:
/// the platform is down, and the rest would only fail the same way.
pub const GIVE_UPS_BEFORE_STOP: usize = 3;

/// Why an entry was not updated.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The step that failed; `None` when the entry could not be sent at all.
    pub step: Option<Step>,
    /// The sync-error cause; `None` for an entry the plan does not let us send.
    pub cause: Option<&'static Cause>,
    /// The platform's message (or ours), secrets removed.
    pub message: String,
    /// Numbers the message gives (`reserved`, `ban_seconds`, …).
    pub numbers: BTreeMap<String, i64>,
    /// The cause is transient but the attempts ran out.
    pub gave_up: bool,
    /// Calls made for the failed step.
    pub attempts: u32,
}

impl Failure {
    fn from_diagnosis(step: Step, diagnosis: &Diagnosis, message: String, attempts: u32) -> Self {
        Failure {
            step: Some(step),
            cause: Some(diagnosis.cause),
            message,
            numbers: diagnosis.numbers.clone(),
            gave_up: false,
            attempts,
        }
    }

    fn invalid(message: String) -> Self {
        Failure {
            step: None,
            cause: None,
            message,
            numbers: BTreeMap::new(),
            gave_up: false,
            attempts: 0,
        }
    }

    pub fn cause_id(&self) -> &str {
        self.cause.map_or("invalid-entry", |c| c.id.as_str())
    }
}

/// What happened to one plan entry.
#[derive(Clone, Debug)]
pub enum Status {
    Done,
    /// An earlier run (the journal) already did it.
    AlreadyDone,
    Failed(Failure),
    /// The run stopped before the entry was (completely) sent.
    NotSent,
}

#[derive(Clone, Debug)]
pub struct EntryResult {
    pub status: Status,
    /// Calls that carried the entry in this run.
    pub attempts: u32,
}

/// Why a run stopped early.
#[derive(Clone, Debug)]
pub enum StopReason {
    /// A cause that fails every update of the shop (authorization, signature, vacation).
    Cause,
    /// Several batches in a row gave up on a transient cause.
    GaveUp,
    /// The journal could not be written: sending more could send things twice later.
    Journal(String),
}

#[derive(Clone, Debug)]
pub struct Stop {
    pub reason: StopReason,
    pub failure: Failure,
}

/// The result of a run, in plan order.
#[derive(Clone, Debug)]
pub struct Summary {
    pub results: Vec<EntryResult>,
    pub stopped: Option<Stop>,
    /// HTTP calls made.
    pub calls: usize,
}

impl Summary {
    pub fn count(&self, wanted: fn(&Status) -> bool) -> usize {
        self.results.iter().filter(|r| wanted(&r.status)).count()
    }
}

/// A token bucket of one token, refilled `rate` times a second and shared by
/// the workers; a platform's ban empties it for the time the ban lasts.
struct Limiter {
    interval: Duration,
    next: Mutex<Duration>,
}

impl Limiter {
    fn new(rate: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        Limiter {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(Duration::ZERO),
        }
    }

    fn acquire(&self, clock: &dyn Clock) {
        let wait = {
            let mut next = self.next.lock().expect("limiter lock");
            let now = clock.elapsed();
            let start = (*next).max(now);
            *next = start + self.interval;
            start - now
        };
        if !wait.is_zero() {
            clock.sleep(wait);
        }
    }

    fn pause_until(&self, until: Duration) {
        let mut next = self.next.lock().expect("limiter lock");
        *next = (*next).max(until);
    }
}

/// Per entry, while the run goes.
struct State {
    key: EntryKey,
    needed: Vec<Step>,
    done: BTreeSet<Step>,
    status: Option<Status>,
    attempts: u32,
}

/// The entries of one batch, by plan index.
type Batch = Vec<usize>;

/// The entries to send and their batches, after the journal and the checks.
fn prepare(
    client: &dyn ChannelClient,
    entries: &[PlanEntry],
    journal: &Journal,
) -> (Vec<State>, Vec<Batch>) {
    let mut states = Vec::with_capacity(entries.len());
    let mut batches: Vec<Batch> = Vec::new();
    let mut open: HashMap<String, usize> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let key = EntryKey::new(client.name(), entry);
        let past = journal.progress(&key);
        let needed = client.steps(entry);
        let mut state = State {
            key,
            needed: needed.clone(),
            done: past.steps.clone(),
            status: None,
            attempts: 0,
        };
        if needed.is_empty() {
            // Neither the SKU nor the stock changes: there is nothing to send.
            state.status = Some(Status::Done);
        } else if past.done || needed.iter().all(|s| past.steps.contains(s)) {
            state.status = Some(Status::AlreadyDone);
        } else {
            match client.batch_key(entry) {
                Err(message) => state.status = Some(Status::Failed(Failure::invalid(message))),
                Ok(batch_key) => {
                    let limit = client.batch_limit(&batch_key).max(1);
                    match open.get(&batch_key) {
                        Some(&b) if batches[b].len() < limit => batches[b].push(index),
                        _ => {
                            open.insert(batch_key, batches.len());
                            batches.push(vec![index]);
                        }
                    }
                }
            }
        }
        states.push(state);
    }
    (states, batches)
}

/// What a dry run shows: the requests a run would send, assuming every call
/// succeeds, each with the plan indices of the entries it carries; and per
/// entry what is known without sending (already done, or not sendable).
pub struct Preview {
    pub requests: Vec<(Vec<usize>, Request)>,
    pub statuses: Vec<Option<Status>>,
}

/// The requests of a run, signed at the clock's time, sent nowhere (`--dry-run`).
pub fn preview(
    client: &dyn ChannelClient,
    entries: &[PlanEntry],
    journal: &Journal,
    clock: &dyn Clock,
) -> Preview {
    let (states, batches) = prepare(client, entries, journal);
    let mut requests = Vec::new();
    for batch in &batches {
        for step in Step::ALL {
            let indices: Vec<usize> = batch
                .iter()
                .copied()
                .filter(|&i| states[i].needed.contains(&step) && !states[i].done.contains(&step))
                .collect();
            if !indices.is_empty() {
                let carried: Vec<&PlanEntry> = indices.iter().map(|&i| &entries[i]).collect();
                let request = client.request(step, &carried, clock.unix_millis());
                requests.push((indices, request));
            }
        }
    }
    Preview {
        requests,
        statuses: states.into_iter().map(|s| s.status).collect(),
    }
}

/// Sends the plan's entries through the client. The first batch goes alone, so
/// a shop-wide failure (expired authorization, wrong signature) stops the run
/// after one call; then `workers` batches go at a time. Retry notes go to `notes`.
pub fn run(
    client: &dyn ChannelClient,
    entries: &[PlanEntry],
    journal: &Journal,
    transport: &dyn Transport,
    clock: &dyn Clock,
    options: &Options,
    notes: &(dyn Fn(&str) + Sync),
) -> Summary {
    let (states, batches) = prepare(client, entries, journal);
    let engine = Engine {
        client,
        entries,
        journal,
        transport,
        clock,
        options,
        notes,
        redactor: Redactor::new(super::client_secrets(client)),
        limiter: Limiter::new(options.rate),
        states: Mutex::new(states),
        stop: Mutex::new(None),
        stopped: AtomicBool::new(false),
        give_ups_in_a_row: AtomicUsize::new(0),
        calls: AtomicUsize::new(0),
        endpoint: super::shown_endpoint(client),
    };
    // Entries that cannot be sent are journaled as failed, like any other.
    let invalid: Vec<usize> = engine
        .lock()
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.status, Some(Status::Failed(_))))
        .map(|(i, _)| i)
        .collect();
    for index in invalid {
        engine.journal_failure(index);
    }
    if let Some((first, rest)) = batches.split_first() {
        engine.process(first);
        let next = AtomicUsize::new(0);
        let workers = options.workers.clamp(1, rest.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(batch) = rest.get(index) else {
                            break;
                        };
                        engine.process(batch);
                    }
                });
            }
        });
    }
    let stopped = engine.stop.lock().expect("stop lock").clone();
    let calls = engine.calls.load(Ordering::SeqCst);
    let results = engine
        .states
        .into_inner()
        .expect("state lock")
        .into_iter()
        .map(|s| EntryResult {
            status: s.status.unwrap_or(Status::NotSent),
            attempts: s.attempts,
        })
        .collect();
    Summary {
        results,
        stopped,
        calls,
    }
}

struct Engine<'a> {
    client: &'a dyn ChannelClient,
    entries: &'a [PlanEntry],
    journal: &'a Journal,
    transport: &'a dyn Transport,
    clock: &'a dyn Clock,
    options: &'a Options,
    notes: &'a (dyn Fn(&str) + Sync),
    redactor: Redactor,
    limiter: Limiter,
    states: Mutex<Vec<State>>,
    stop: Mutex<Option<Stop>>,
    stopped: AtomicBool,
    give_ups_in_a_row: AtomicUsize,
    calls: AtomicUsize,
    endpoint: String,
}

/// What happened to a batch, for the give-up streak.
#[derive(Default)]
struct BatchTally {
    successes: usize,
    give_up: Option<Failure>,
}

impl Engine<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<State>> {
        self.states.lock().expect("state lock")
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn halt(&self, reason: StopReason, failure: Failure) {
        let mut stop = self.stop.lock().expect("stop lock");
        if stop.is_none() {
            *stop = Some(Stop { reason, failure });
        }
        self.stopped.store(true, Ordering::SeqCst);
    }

    fn unix_seconds(&self) -> u64 {
        self.clock.unix_millis() / 1000
    }

    fn write(&self, record: Record) {
        if let Err(error) = self.journal.append(&record) {
            self.halt(
                StopReason::Journal(error.to_string()),
                Failure::invalid(error.to_string()),
            );
        }
    }

    fn record(&self, index: usize, outcome: Outcome) -> Record {
        let states = self.lock();
        let state = &states[index];
        let (cause, message) = match &state.status {
            Some(Status::Failed(f)) => (Some(f.cause_id().to_string()), Some(f.message.clone())),
            _ => (None, None),
        };
        Record {
            key: state.key.clone(),
            outcome,
            steps: state.done.iter().copied().collect(),
            attempts: state.attempts,
            cause,
            message,
            endpoint: self.endpoint.clone(),
            at: self.unix_seconds(),
        }
    }

    fn journal_failure(&self, index: usize) {
        let record = self.record(index, Outcome::Failed);
        self.write(record);
    }

    fn fail(&self, index: usize, failure: Failure) {
        self.lock()[index].status = Some(Status::Failed(failure));
        self.journal_failure(index);
    }

    /// Marks a step done; journals the progress when the entry has more steps.
    fn step_done(&self, index: usize, step: Step) {
        let more = {
            let mut states = self.lock();
            let state = &mut states[index];
            state.done.insert(step);
            state.needed.iter().any(|s| !state.done.contains(s))
        };
        if more {
            let record = self.record(index, Outcome::Progress);
            self.write(record);
        }
    }

    fn process(&self, batch: &Batch) {
        let mut tally = BatchTally::default();
        for step in Step::ALL {
            if self.is_stopped() {
                break;
            }
            let pending: Vec<usize> = {
                let states = self.lock();
                batch
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let s = &states[i];
                        s.status.is_none() && s.needed.contains(&step) && !s.done.contains(&step)
                    })
                    .collect()
            };
            if !pending.is_empty() {
                self.send_step(step, pending, &mut tally);
            }
        }
        for &index in batch {
            let finished = {
                let mut states = self.lock();
                let state = &mut states[index];
                if state.status.is_none() && state.needed.iter().all(|s| state.done.contains(s)) {
                    state.status = Some(Status::Done);
                    true
                } else {
                    false
                }
            };
            if finished {
                let record = self.record(index, Outcome::Done);
                self.write(record);
            }
        }
        if tally.successes > 0 {
            self.give_ups_in_a_row.store(0, Ordering::SeqCst);
        } else if let Some(failure) = tally.give_up {
            let streak = self.give_ups_in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
            if streak >= GIVE_UPS_BEFORE_STOP {
                self.halt(StopReason::GaveUp, failure);
            }
        }
    }

    /// Sends one step for the pending entries of a batch, retrying those whose
    /// failure is transient.
    fn send_step(&self, step: Step, mut pending: Vec<usize>, tally: &mut BatchTally) {
        let channel = Some(self.client.catalog_channel());
        let max_attempts = self.options.max_attempts.max(1);
        let mut attempt = 0;
        while !pending.is_empty() {
            if self.is_stopped() {
                return;
            }
            attempt += 1;
            self.limiter.acquire(self.clock);
            if self.is_stopped() {
                return;
            }
            let carried: Vec<&PlanEntry> = pending.iter().map(|&i| &self.entries[i]).collect();
            let request = self
                .client
                .request(step, &carried, self.clock.unix_millis());
            self.calls.fetch_add(1, Ordering::SeqCst);
            {
                let mut states = self.lock();
                for &i in &pending {
                    states[i].attempts += 1;
                }
            }
            let reply = match self.transport.send(&request) {
                Ok(response) => self.client.reply(step, &carried, &response),
                Err(message) => Reply::Failed(message),
            };
            let mut refused: HashMap<usize, String> = HashMap::new();
            match reply {
                Reply::Failed(message) => {
                    for position in 0..pending.len() {
                        refused.insert(position, message.clone());
                    }
                }
                Reply::Accepted { failures } => {
                    for (position, message) in failures {
                        if position < pending.len() {
                            refused.entry(position).or_insert(message);
                        }
                    }
                }
            }
            let mut retry = Vec::new();
            let mut wait = Duration::ZERO;
            let mut reasons: BTreeSet<String> = BTreeSet::new();
            let mut stop_with: Option<Failure> = None;
            for (position, &index) in pending.iter().enumerate() {
                let Some(message) = refused.remove(&position) else {
                    tally.successes += 1;
                    self.step_done(index, step);
                    continue;
                };
                let message = self.redactor.redact(&message);
                let diagnosis = diagnose::classify(&message, channel);
                let mut failure = Failure::from_diagnosis(step, &diagnosis, message, attempt);
                if diagnosis.cause.stops_run {
                    self.fail(index, failure.clone());
                    stop_with.get_or_insert(failure);
                } else if diagnosis.cause.retryable && attempt < max_attempts {
                    retry.push(index);
                    wait = wait.max(self.delay(attempt, &diagnosis));
                    let numbers = diagnosis.numbers_text();
                    reasons.insert(if numbers.is_empty() {
                        diagnosis.cause.id.clone()
                    } else {
                        format!("{} ({numbers})", diagnosis.cause.id)
                    });
                } else {
                    failure.gave_up = diagnosis.cause.retryable;
                    if failure.gave_up {
                        tally.give_up = Some(failure.clone());
                    }
                    self.fail(index, failure);
                }
            }
            if let Some(failure) = stop_with {
                self.halt(StopReason::Cause, failure);
                return;
            }
            if retry.is_empty() {
                return;
            }
            let places: Vec<String> = retry.iter().map(|&i| self.entries[i].location()).collect();
            (self.notes)(&format!(
                "retry {}/{} in {:.1}s: {} ({}): {}",
                attempt + 1,
                max_attempts,
                wait.as_secs_f64(),
                places.join(", "),
                request.summary(),
                reasons.into_iter().collect::<Vec<_>>().join("; ")
            ));
            self.clock.sleep(wait);
            pending = retry;
        }
    }

    /// How long to wait before attempt `attempt + 1`: exponential backoff with
    /// jitter, and at least what the platform asked for (`Retry-After`, "ban
    /// will last N seconds"), which also holds back the other workers.
    fn delay(&self, attempt: u32, diagnosis: &Diagnosis) -> Duration {
        let exponential = BACKOFF_BASE
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(BACKOFF_CAP);
        let jittered = exponential / 2 + exponential.mul_f64(fastrand::f64() / 2.0);
        let asked = diagnosis
            .numbers
            .get("ban_seconds")
            .or_else(|| diagnosis.numbers.get("retry_after"))
            .map(|&s| Duration::from_secs(s.clamp(0, 3600) as u64));
        match asked {
            Some(asked) => {
                self.limiter.pause_until(self.clock.elapsed() + asked);
                asked.max(jittered)
            }
            None => jittered,
        }
    }
}
