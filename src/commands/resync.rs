//! `skulint resync PLAN --channel …`: push the plan's SKUs and stock through a
//! channel client, journaled, and report each entry with the cause of any failure.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Result, bail};

use super::ExitStatus;
use super::diagnose::wrap;
use crate::channel::http::Http;
use crate::channel::journal::{self, Journal};
use crate::channel::lazada::Lazada;
use crate::channel::run::{
    self, Failure, GIVE_UPS_BEFORE_STOP as GIVE_UPS, Options, Status, StopReason, Summary,
    SystemClock,
};
use crate::channel::shopee::Shopee;
use crate::channel::tiktok::Tiktok;
use crate::channel::webhook::Webhook;
use crate::channel::{self, ChannelClient, Credentials, PlanEntry, Redactor};
use crate::cli::{ResyncArgs, ResyncChannel};
use crate::engine::load_config;
use crate::text::printable;

pub fn resync(args: &ResyncArgs) -> Result<ExitStatus> {
    let entries = channel::read_plan(&args.plan)?;
    check_channels(&args.plan, &entries, args.channel)?;
    let entries = select_shop(&args.plan, entries, args.shop.as_deref(), args.channel)?;
    let config = load_config(args.config.as_deref())?.unwrap_or_default();
    let lookup = |name: &str| std::env::var(name).ok();
    let credentials = Credentials::new(&lookup, args.dry_run).renamed(config.credentials.clone());
    let client = client(args, &credentials)?;
    let redactor = Redactor::new(channel::client_secrets(client.as_ref()));
    let endpoint = channel::shown_endpoint(client.as_ref());
    if !args.dry_run && !args.allow_insecure_http && channel::is_insecure(&client.endpoint()) {
        bail!(
            "{endpoint} is plain http:// to another machine: the credentials would cross the network unencrypted; use https://, or give --allow-insecure-http if the network is trusted"
        );
    }
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| journal::default_path(&args.plan));
    let journal = if args.dry_run {
        Journal::read(&journal_path)?
    } else {
        Journal::open(&journal_path)?
    };
    // A journal written before endpoints were stored redacted is shown redacted too.
    let other_endpoints: Vec<String> = journal
        .endpoints
        .iter()
        .map(|e| channel::redacted_url(e))
        .filter(|e| *e != endpoint)
        .collect();
    if !other_endpoints.is_empty() {
        eprintln!(
            "skulint: note: {} holds updates sent to {}; entries done there are skipped (give another --journal to send them here too)",
            journal_path.display(),
            other_endpoints.join(", ")
        );
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    if entries.is_empty() {
        writeln!(
            out,
            "{}: the plan is empty: nothing to resync.",
            args.plan.display()
        )?;
        out.flush()?;
        return Ok(ExitStatus::Clean);
    }
    let clock = SystemClock::new();
    if args.dry_run {
        dry_run(
            &mut out,
            args,
            client.as_ref(),
            &entries,
            &journal,
            &clock,
            &redactor,
        )?;
        out.flush()?;
        return Ok(ExitStatus::Clean);
    }
    let options = Options {
        max_attempts: args.max_attempts,
        rate: args.rate.unwrap_or_else(|| client.default_rate()),
        workers: args.workers as usize,
    };
    writeln!(
        out,
        "Resync of {} entries from {} to {} ({}); journal {}",
        entries.len(),
        args.plan.display(),
        client.title(),
        endpoint,
        journal_path.display()
    )?;
    out.flush()?;
    let notes = |note: &str| {
        eprintln!("skulint: {}", printable(&redactor.redact(note)));
    };
    let summary = run::run(
        client.as_ref(),
        &entries,
        &journal,
        &Http::new(),
        &clock,
        &options,
        &notes,
    );
    report(&mut out, &entries, &summary, &redactor)?;
    out.flush()?;
    if let Some(stop) = &summary.stopped
        && let StopReason::Journal(error) = &stop.reason
    {
        bail!("{error}; the run stopped so nothing is sent twice later");
    }
    let all_done = summary
        .results
        .iter()
        .all(|r| matches!(r.status, Status::Done | Status::AlreadyDone));
    Ok(if all_done {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}

fn client(args: &ResyncArgs, credentials: &Credentials) -> Result<Box<dyn ChannelClient>> {
    let base = args.base_url.as_deref();
    Ok(match args.channel {
        ResyncChannel::Shopee => Box::new(Shopee::new(credentials, base)?),
        ResyncChannel::Lazada => Box::new(Lazada::new(credentials, base)?),
        ResyncChannel::Tiktok => Box::new(Tiktok::new(credentials, base)?),
        ResyncChannel::Webhook => Box::new(Webhook::new(credentials, base)?),
    })
}

/// A marketplace's ids mean nothing to another marketplace: a Lazada export's
/// plan cannot update Shopee. Generic exports and the webhook take anything.
fn check_channels(plan: &Path, entries: &[PlanEntry], target: ResyncChannel) -> Result<()> {
    let target = match target {
        ResyncChannel::Shopee => "shopee",
        ResyncChannel::Lazada => "lazada",
        ResyncChannel::Tiktok => "tiktok",
        ResyncChannel::Webhook => return Ok(()),
    };
    if let Some(entry) = entries
        .iter()
        .find(|e| e.channel != target && e.channel != "generic")
    {
        bail!(
            "{}: {} comes from a {} export; its ids cannot update {target}: use --channel {} (or --channel webhook)",
            plan.display(),
            entry.location(),
            entry.channel,
            entry.channel
        );
    }
    Ok(())
}

/// The entries of the shop `--shop` names. A plan of several shops is
/// refused without it, except by the webhook, whose receiver sees each
/// entry's shop: one channel account would get another shop's ids.
fn select_shop(
    plan: &Path,
    entries: Vec<PlanEntry>,
    shop: Option<&str>,
    target: ResyncChannel,
) -> Result<Vec<PlanEntry>> {
    let shops: std::collections::BTreeSet<&str> =
        entries.iter().filter_map(|e| e.shop.as_deref()).collect();
    let listed = || {
        shops
            .iter()
            .map(|shop| format!("`{shop}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(shop) = shop.map(str::trim) else {
        if shops.len() > 1 && target != ResyncChannel::Webhook {
            bail!(
                "{}: the plan holds the updates of {} shops ({}); each shop is a seller account of its own: give --shop NAME, with that shop's credentials",
                plan.display(),
                shops.len(),
                listed()
            );
        }
        return Ok(entries);
    };
    if !shops.contains(shop) {
        bail!(
            "{}: no entry of the shop `{shop}`; {}",
            plan.display(),
            match shops.len() {
                0 => "the plan names no shop (its export had no Shop column)".to_string(),
                _ => format!("the plan's shops: {}", listed()),
            }
        );
    }
    Ok(entries
        .into_iter()
        .filter(|e| e.shop.as_deref() == Some(shop))
        .collect())
}

fn dry_run(
    out: &mut impl Write,
    args: &ResyncArgs,
    client: &dyn ChannelClient,
    entries: &[PlanEntry],
    journal: &Journal,
    clock: &SystemClock,
    redactor: &Redactor,
) -> Result<()> {
    let preview = run::preview(client, entries, journal, clock);
    writeln!(
        out,
        "Dry run: {} entries from {} to {} ({}); nothing is sent. Secrets and signatures are shown as {}.",
        entries.len(),
        args.plan.display(),
        client.title(),
        channel::shown_endpoint(client),
        channel::REDACTED
    )?;
    for (indices, request) in &preview.requests {
        let places: Vec<String> = indices.iter().map(|&i| entries[i].location()).collect();
        writeln!(out, "\n# {}", printable(&places.join(", ")))?;
        for line in redactor.redact(&request.to_string()).lines() {
            writeln!(out, "{}", printable(line))?;
        }
    }
    let done = preview
        .statuses
        .iter()
        .filter(|s| matches!(s, Some(Status::AlreadyDone)))
        .count();
    let mut invalid = 0;
    for (entry, status) in entries.iter().zip(&preview.statuses) {
        if let Some(Status::Failed(failure)) = status {
            invalid += 1;
            writeln!(
                out,
                "\ncannot be sent: {} ({}): {}",
                printable(&entry.location()),
                printable(&entry.change()),
                printable(&redactor.redact(&failure.message))
            )?;
        }
    }
    writeln!(
        out,
        "\n{} requests; {done} entries already done (journal {}); {invalid} cannot be sent.",
        preview.requests.len(),
        journal.path().display()
    )?;
    Ok(())
}

fn status_word(status: &Status) -> &'static str {
    match status {
        Status::Done => "updated",
        Status::AlreadyDone => "done before",
        Status::Failed(_) => "failed",
        Status::NotSent => "not sent",
    }
}

/// One line per entry in plan order, then, per cause, what to do.
fn report(
    out: &mut impl Write,
    entries: &[PlanEntry],
    summary: &Summary,
    redactor: &Redactor,
) -> Result<()> {
    let place_width = entries
        .iter()
        .map(|e| e.location().chars().count())
        .max()
        .unwrap_or(0);
    // cause id → (the failure shown, entries)
    let mut causes: BTreeMap<String, (&Failure, usize)> = BTreeMap::new();
    for (entry, result) in entries.iter().zip(&summary.results) {
        writeln!(
            out,
            "  {:<11} {:<place_width$}  {}  {}",
            status_word(&result.status),
            printable(&entry.location()),
            printable(&entry.ids()),
            printable(&entry.change())
        )?;
        if let Status::Failed(failure) = &result.status {
            let attempts = if failure.attempts > 1 {
                format!(" after {} attempts", failure.attempts)
            } else {
                String::new()
            };
            let numbers = if failure.numbers.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    failure
                        .numbers
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let step = failure
                .step
                .map(|s| format!("{} update ", s.name()))
                .unwrap_or_default();
            let line = format!(
                "{step}{}{numbers}{attempts}: {}",
                failure.cause_id(),
                printable(&redactor.redact(&failure.message))
            );
            writeln!(out, "  {:<11} {}", "", wrap(&line, 14))?;
            if failure.cause.is_some() {
                causes
                    .entry(failure.cause_id().to_string())
                    .or_insert((failure, 0))
                    .1 += 1;
            }
        }
    }
    if let Some(stop) = &summary.stopped {
        writeln!(out)?;
        match &stop.reason {
            StopReason::Cause => writeln!(
                out,
                "The run stopped: {} fails every update of the shop, so nothing more was sent.",
                stop.failure.cause_id()
            )?,
            StopReason::GaveUp => writeln!(
                out,
                "The run stopped: {GIVE_UPS} items in a row gave up on {}; the platform is not answering.",
                stop.failure.cause_id()
            )?,
            StopReason::Journal(error) => writeln!(out, "The run stopped: {error}")?,
        }
        if let Some(cause) = stop.failure.cause {
            let count = causes.remove(&cause.id).map(|(_, n)| n);
            write_cause(out, stop.failure.cause_id(), cause, count)?;
        }
        writeln!(
            out,
            "  Then run the same command again: the journal skips what is already done."
        )?;
    }
    for (id, (failure, count)) in &causes {
        if let Some(cause) = failure.cause {
            writeln!(out)?;
            write_cause(out, id, cause, Some(*count))?;
        }
    }
    let count = |wanted: fn(&Status) -> bool| summary.count(wanted);
    writeln!(
        out,
        "\n{} updated, {} failed, {} done before, {} not sent ({} call{}).",
        count(|s| matches!(s, Status::Done)),
        count(|s| matches!(s, Status::Failed(_))),
        count(|s| matches!(s, Status::AlreadyDone)),
        count(|s| matches!(s, Status::NotSent)),
        summary.calls,
        if summary.calls == 1 { "" } else { "s" }
    )?;
    Ok(())
}

fn write_cause(
    out: &mut impl Write,
    id: &str,
    cause: &crate::diagnose::Cause,
    entries: Option<usize>,
) -> Result<()> {
    let count = match entries {
        Some(1) => " (1 entry)".to_string(),
        Some(n) => format!(" ({n} entries)"),
        None => String::new(),
    };
    writeln!(out, "{id} — {}{count}", cause.title)?;
    writeln!(out, "  → {}", wrap(&cause.action, 4))?;
    writeln!(out, "  {}", wrap(&cause.explanation, 2))?;
    writeln!(out, "  What to do:")?;
    for (i, step) in cause.steps.iter().enumerate() {
        writeln!(out, "    {}. {}", i + 1, wrap(step, 7))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_from_another_marketplace_is_refused() {
        let entry = |channel: &str| PlanEntry {
            channel: channel.into(),
            file: "f.xlsx".into(),
            sheet: "S".into(),
            row: 2,
            shop: None,
            product_id: Some("1".into()),
            variation_id: None,
            old_sku: "A".into(),
            new_sku: "A".into(),
            stock: Some(1),
        };
        let plan = Path::new("p.resync.jsonl");
        let entries = [entry("shopee"), entry("generic")];
        assert!(check_channels(plan, &entries, ResyncChannel::Shopee).is_ok());
        let error = check_channels(plan, &entries, ResyncChannel::Lazada)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--channel shopee"), "{error}");
        assert!(check_channels(plan, &entries, ResyncChannel::Webhook).is_ok());
    }
}
