//! The sender: a background task that hands due notices to Kakao's Event API.
//!
//! One pass (`Sender::pass_at`):
//! 1. **Look back.** Rows of a sender that stopped mid-send come back (queued again if they never left,
//!    `unsure` if they may have); `unsure` rows whose wait is over and that never showed are queued again;
//!    accepted tasks whose time has come have their result read (users Kakao could not reach fail, with
//!    Kakao's reason).
//! 2. **Claim** due rows (a conditional update: two senders never claim one row).
//! 3. **Decide** each row: a member who left → dropped; an alert to a member who turned alerts off →
//!    dropped; an alert at night without consent → held until 08:00 KST; a keyword alert past the
//!    member's allowance → folded into the next morning's digest; alerts past the daily cap → held until
//!    the next morning. Trade notices always go (and count against the cap).
//! 4. **Send** in calls of at most 100 different users. Each call is named (`batch`) in the rows before
//!    it is made, then: accepted → the task is read later; refused (4xx) → failed with the reason;
//!    Kakao unavailable (5xx, no connection) → queued again with a growing wait, failed after
//!    [`MAX_ATTEMPTS`]; no answer → `unsure`: the event block's skill records a delivery when Kakao
//!    shows the notice, and only a notice that never showed within `NOTIFY_RECHECK_SECS` is sent again.
//!    So a lost answer does not tell anyone twice.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::hours;
use super::model::{Class, Kind, State};
use super::outbox::Outbox;
use super::store::{self, Claimed};
use crate::clock::now_ms;
use crate::config::NotifySettings;
use crate::db::Db;
use crate::domain::ids::MemberId;
use crate::kakao_event::{EventApi, MAX_USERS, SendOutcome, TaskResult};

/// Rows claimed per pass.
const CLAIM: i64 = 500;
/// Kakao delivers a task within seconds; its result is read this long after it was accepted…
const TASK_CHECK_MS: i64 = 30_000;
/// … and again this long after, while it is still running or cannot be read…
const TASK_RECHECK_MS: i64 = 60_000;
/// … for at most this long after it was accepted.
const TASK_GIVE_UP_MS: i64 = 24 * 3_600_000;
/// Sends Kakao did not take (5xx, no connection) are tried this many times in all.
pub const MAX_ATTEMPTS: i64 = 8;
/// The wait before the second try; it doubles for each try after that, up to [`LONGEST_RETRY_MS`].
const FIRST_RETRY_MS: i64 = 5_000;
const LONGEST_RETRY_MS: i64 = 600_000;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows handed to Kakao and accepted.
    pub accepted: usize,
    /// Calls made.
    pub calls: usize,
    /// Rows Kakao refused, or gave up on.
    pub failed: usize,
    /// Rows whose send had no answer.
    pub unsure: usize,
    /// Rows queued again for a retry (Kakao unavailable).
    pub retried: usize,
    /// Rows held for the morning (quiet hours, the daily cap).
    pub held: usize,
    /// Rows dropped (member left, alerts off).
    pub dropped: usize,
    /// Keyword alerts folded into a digest.
    pub folded: usize,
}

/// The sender. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Sender {
    db: Db,
    api: EventApi,
    outbox: Outbox,
    daily_cap: u32,
    keyword_alerts_per_day: u32,
    recheck_ms: i64,
    /// How long a claim holds before another sender may take the rows back (`NOTIFY_LEASE_SECS`).
    lease: Duration,
    /// The longest one Event API call takes.
    call_timeout: Duration,
    poll_every: Duration,
}

impl Sender {
    pub fn new(settings: &NotifySettings, db: Db, outbox: Outbox) -> Result<Self, String> {
        Ok(Self {
            api: EventApi::new(&settings.event_api)?,
            db,
            outbox,
            daily_cap: settings.daily_cap,
            keyword_alerts_per_day: settings.keyword_alerts_per_day,
            recheck_ms: i64::try_from(settings.recheck_after.as_millis()).unwrap_or(i64::MAX),
            lease: settings.lease,
            call_timeout: settings.event_api.timeout,
            poll_every: settings.poll_every,
        })
    }

    /// Runs passes until the process ends: every `NOTIFY_POLL_MS`, and at once when a change rang the
    /// outbox's bell. A pass that fails (the database) is logged and the next one tries again.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.pass_at(now_ms()).await {
                    Ok(report) if report != Report::default() => tracing::info!(?report, "notices sent"),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %crate::telemetry::error_chain(&e), "notice pass failed")
                    }
                }
                tokio::select! {
                    () = self.outbox.rung() => {}
                    () = tokio::time::sleep(self.poll_every) => {}
                }
            }
        })
    }

    /// One pass as if the clock said `now` (tests move time forward instead of sleeping).
    pub async fn pass_at(&self, now: i64) -> Result<Report, sqlx::Error> {
        let mut report = Report::default();
        self.look_back(now).await?;
        loop {
            let claimed_at = Instant::now();
            let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
            let claimed = store::claim(&self.db, now, now.saturating_add(lease_ms), CLAIM).await?;
            if claimed.is_empty() {
                break;
            }
            let full = claimed.len() as i64 == CLAIM;
            let sendable = self.decide(claimed, now, &mut report).await?;
            self.send_all(sendable, now, claimed_at, &mut report).await?;
            if !full {
                break;
            }
        }
        Ok(report)
    }

    /// Step 1: rows left by a stopped sender, unsure sends whose wait is over, and task results.
    async fn look_back(&self, now: i64) -> Result<(), sqlx::Error> {
        store::recover_abandoned(&self.db, now, now + self.recheck_ms).await?;
        let resent = store::resend_unsure(&self.db, now).await?;
        if resent > 0 {
            tracing::warn!(
                resent,
                "notices whose send had no answer never showed: sending them again"
            );
        }
        for task_id in store::tasks_due(&self.db, now, 100).await? {
            match self.api.task(&task_id).await {
                TaskResult::Done { failed } => {
                    if !failed.is_empty() {
                        tracing::info!(task_id, failed = failed.len(), "Kakao could not reach some users");
                    }
                    store::task_done(&self.db, &task_id, &failed, now).await?;
                }
                still_open => {
                    if let TaskResult::Unknown { reason } = &still_open {
                        tracing::debug!(task_id, reason, "task result unreadable; asking again later");
                    }
                    store::task_later(
                        &self.db,
                        &task_id,
                        now + TASK_RECHECK_MS,
                        now - TASK_GIVE_UP_MS,
                        now,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Step 3: sorts claimed rows into sent now, held, dropped or folded; returns those to send.
    async fn decide(
        &self,
        claimed: Vec<Claimed>,
        now: i64,
        report: &mut Report,
    ) -> Result<Vec<Claimed>, sqlx::Error> {
        let mut dropped_left = Vec::new();
        let mut dropped_off = Vec::new();
        let mut held = Vec::new();
        let mut trade = Vec::new();
        let mut alerts = Vec::new();
        let mut keyword_counts: HashMap<MemberId, i64> = HashMap::new();
        let since = hours::today_since(now);
        for row in claimed {
            if row.member_left {
                dropped_left.push(row.id);
                continue;
            }
            if row.kind.class() == Class::Trade {
                trade.push(row);
                continue;
            }
            if row.alerts_off {
                dropped_off.push(row.id);
            } else if hours::is_quiet(now) && !row.night_consent {
                held.push(row.id);
            } else if row.kind == Kind::KeywordMatch {
                let count = match keyword_counts.get(&row.recipient_id) {
                    Some(count) => *count,
                    None => store::keyword_alerts_since(&self.db, row.recipient_id, since).await?,
                };
                if count >= i64::from(self.keyword_alerts_per_day) {
                    store::fold_into_digest(&self.db, &row, now).await?;
                    report.folded += 1;
                } else {
                    keyword_counts.insert(row.recipient_id, count + 1);
                    alerts.push(row);
                }
            } else {
                alerts.push(row);
            }
        }
        report.dropped += (store::drop_rows(&self.db, &dropped_left, "member left", now).await?
            + store::drop_rows(&self.db, &dropped_off, "alerts turned off", now).await?)
            as usize;
        // Alerts reserve their place under the daily cap; the rest wait for the morning.
        let day = hours::day(now);
        let wanted = u32::try_from(alerts.len()).unwrap_or(u32::MAX);
        let granted = if wanted == 0 {
            0
        } else {
            store::reserve(&self.db, &day, wanted, self.daily_cap).await? as usize
        };
        held.extend(alerts.iter().skip(granted).map(|r| r.id));
        alerts.truncate(granted);
        if !trade.is_empty() {
            store::count_day(&self.db, &day, trade.len() as i64).await?;
        }
        report.held += store::hold(&self.db, &held, hours::next_morning(now), now).await? as usize;
        trade.extend(alerts);
        Ok(trade)
    }

    /// Step 4: sends rows in calls of at most [`MAX_USERS`] different users. A call is made only while
    /// the claim will still hold when it ends (a slow Kakao must not let another sender take rows that
    /// are being sent); the rest go back to the queue for the next pass.
    async fn send_all(
        &self,
        rows: Vec<Claimed>,
        now: i64,
        claimed_at: Instant,
        report: &mut Report,
    ) -> Result<(), sqlx::Error> {
        let day = hours::day(now);
        let mut calls = calls(rows).into_iter();
        while let Some(call) = calls.next() {
            if claimed_at.elapsed() + self.call_timeout >= self.lease {
                let rest: Vec<i64> = std::iter::once(call)
                    .chain(calls)
                    .flatten()
                    .map(|r| r.id)
                    .collect();
                let released = store::hold(&self.db, &rest, now, now).await?;
                store::count_day(&self.db, &day, -(released as i64)).await?;
                tracing::warn!(
                    released,
                    "the claim ran short before these notices were sent; queued again"
                );
                break;
            }
            let outcome = self.send_one(&call, now).await?;
            report.calls += 1;
            let n = call.len();
            match outcome {
                SendOutcome::Accepted { .. } => report.accepted += n,
                SendOutcome::Refused { .. } => {
                    report.failed += n;
                    store::count_day(&self.db, &day, -(n as i64)).await?;
                }
                SendOutcome::Unavailable { .. } => {
                    report.retried += n;
                    store::count_day(&self.db, &day, -(n as i64)).await?;
                }
                SendOutcome::Unsure { .. } => report.unsure += n,
            }
        }
        Ok(())
    }

    /// Names the call in its rows, makes it, and records the outcome.
    async fn send_one(&self, rows: &[Claimed], now: i64) -> Result<SendOutcome, sqlx::Error> {
        let batch = uuid::Uuid::new_v4().simple().to_string();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        store::start_send(&self.db, &ids, &batch, now).await?;
        let users: Vec<&str> = rows.iter().map(|r| r.user_key.as_str()).collect();
        let mut data = serde_json::Map::new();
        data.insert("batch".into(), serde_json::Value::String(batch.clone()));
        let outcome = match self.api.send(&users, &data).await {
            Ok(outcome) => outcome,
            // `calls` never builds such a call; if it did, nothing was sent.
            Err(invalid) => SendOutcome::Refused {
                reason: invalid.to_string(),
            },
        };
        let after = now_ms().max(now);
        match &outcome {
            SendOutcome::Accepted { task_id } => {
                store::finish_send(
                    &self.db,
                    &batch,
                    State::Accepted,
                    Some(now + TASK_CHECK_MS),
                    Some(task_id),
                    None,
                    after,
                )
                .await?;
            }
            SendOutcome::Refused { reason } => {
                tracing::warn!(batch, reason, users = rows.len(), "Kakao refused a notice");
                store::finish_send(&self.db, &batch, State::Failed, None, None, Some(reason), after).await?;
            }
            SendOutcome::Unavailable { reason } => {
                // The rows of a call move together, so the first speaks for them; this send was one more try.
                let attempts = rows.first().map_or(1, |r| r.attempts + 1);
                let wait = retry_wait(attempts);
                tracing::info!(
                    batch,
                    reason,
                    wait_ms = wait,
                    "Event API unavailable; sending later"
                );
                store::retry_later(&self.db, &batch, now + wait, MAX_ATTEMPTS, reason, after).await?;
            }
            SendOutcome::Unsure { reason } => {
                tracing::warn!(
                    batch,
                    reason,
                    "no answer to a notice send; waiting for proof of delivery"
                );
                store::finish_send(
                    &self.db,
                    &batch,
                    State::Unsure,
                    Some(now + self.recheck_ms),
                    None,
                    Some(reason),
                    after,
                )
                .await?;
            }
        }
        Ok(outcome)
    }
}

/// The wait before try `attempts + 1`: 5 s, 10 s, 20 s, … up to 10 minutes.
fn retry_wait(attempts: i64) -> i64 {
    let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    FIRST_RETRY_MS
        .saturating_mul(1_i64 << doublings)
        .min(LONGEST_RETRY_MS)
}

/// Splits rows into calls of at most [`MAX_USERS`] rows, no user twice in one call (a user with two
/// notices gets them in two calls), keeping the rows' order.
fn calls(rows: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut calls: Vec<(HashSet<String>, Vec<Claimed>)> = Vec::new();
    for row in rows {
        let slot = calls
            .iter_mut()
            .find(|(users, call)| call.len() < MAX_USERS && !users.contains(&row.user_key));
        match slot {
            Some((users, call)) => {
                users.insert(row.user_key.clone());
                call.push(row);
            }
            None => {
                let users = HashSet::from([row.user_key.clone()]);
                calls.push((users, vec![row]));
            }
        }
    }
    calls.into_iter().map(|(_, call)| call).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, user: &str) -> Claimed {
        Claimed {
            id,
            recipient_id: MemberId::new(id),
            user_key: user.into(),
            kind: Kind::OrderPaid,
            member_left: false,
            alerts_off: false,
            night_consent: false,
            attempts: 0,
        }
    }

    #[test]
    fn calls_hold_at_most_a_hundred_users_and_no_user_twice() {
        let mut rows: Vec<Claimed> = (0..250).map(|i| row(i, &format!("u{i}"))).collect();
        rows.push(row(250, "u0"));
        rows.push(row(251, "u0"));
        let calls = calls(rows);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 51, 1]);
        for call in &calls {
            let users: HashSet<&str> = call.iter().map(|r| r.user_key.as_str()).collect();
            assert_eq!(users.len(), call.len(), "a user twice in one call");
        }
    }

    #[test]
    fn retries_wait_longer_each_time() {
        assert_eq!(retry_wait(1), 5_000);
        assert_eq!(retry_wait(2), 10_000);
        assert_eq!(retry_wait(4), 40_000);
        assert_eq!(retry_wait(30), LONGEST_RETRY_MS);
    }
}
