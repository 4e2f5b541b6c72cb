//! The retry room: what a sender or a queue does after a failed attempt.
//!
//! Heads up: read RFC 5321 §4.5.4.1 ("Sending Strategy") first. A message that
//! could not be handed over stays with whoever holds it (its writer's outbox
//! or spam software, [`Holder::Sender`], or a mail server's queue,
//! [`Holder::Node`]) and is tried again by an [`Event::Attempt`] after a
//! delay. This file decides, without side effects, three things:
//!
//! - **when** to retry: the schedule of a [`Backoff`] (its `shape`) and the
//!   "immediate" reconnects of spam software ([`Retry`]);
//! - **when to give up**: after the schedule's `lifetime` (Postfix
//!   `maximal_queue_lifetime`), after a sender's last try, or at once;
//! - **whether to bounce**: a queue returns a DSN to the envelope sender
//!   (RFC 5321 §6.1), never for a bounce itself (the null reverse-path,
//!   §4.5.5); a sender without a queue just loses the message.
//!
//! The scenario schema keeps the data ([`Backoff`], [`Shape`], [`Retry`]);
//! the behaviour is here, with its tests. [`Simulation::failed`] applies the
//! decisions to the run (`outcome.rs` handles what comes before: the end of a
//! session, the server taking custody).
//!
//! [`Event::Attempt`]: super::simulation::Event::Attempt

use super::message::{Fate, Holder, MsgId};
use super::simulation::{Event, Simulation};
use super::smtp::Outcome;
use crate::scenario::{Backoff, NodeKind, Retry, Shape, Source, Strategy};
use crate::units::{SECOND, SimTime};

/// Spam software that "reconnects immediately" still needs a moment.
const RECONNECT_MS: u64 = SECOND;

impl Backoff {
    /// Delay before attempt number `attempts + 1` (after `attempts` failures).
    pub fn delay_after(&self, attempts: u32) -> u64 {
        let doubled = self.min.0.saturating_mul(1u64 << attempts.saturating_sub(1).min(40));
        doubled.clamp(self.min.0, self.max.0.max(self.min.0))
    }

    /// Delay before the next attempt of this schedule's shape, after
    /// `attempts` failures of a message that has waited `waited` ms, at
    /// time `now` (ms from the start of the run).
    pub fn delay_at(&self, attempts: u32, waited: u64, now: u64) -> u64 {
        match &self.shape {
            Shape::Doubling => self.delay_after(attempts),
            Shape::Fixed(every) => every.0,
            Shape::Postfix { queue_run_delay } => {
                // qmgr_active.c: delay = time in queue, clamped to [min, max].
                let delay = waited.clamp(self.min.0, self.max.0.max(self.min.0));
                let due = now.saturating_add(delay);
                match queue_run_delay.0 {
                    0 => delay,
                    q => due.div_ceil(q).saturating_mul(q).saturating_sub(now),
                }
            }
            Shape::Delays(list) => {
                let k = (attempts.max(1) as usize - 1).min(list.len().saturating_sub(1));
                list.get(k).map_or(self.min.0, |d| d.0)
            }
        }
    }
}

/// The delay before the next try of a sender with policy `r`, after
/// `attempts` tries and `waited` ms since it started, at time `now`;
/// `None` = give up.
pub(crate) fn retry_after(r: &Retry, attempts: u32, waited: u64, now: SimTime) -> Option<u64> {
    match r {
        Retry::Never => None,
        Retry::Immediate(n) | Retry::OtherHost(n) | Retry::IgnoreErrors(n) => (attempts <= *n).then_some(RECONNECT_MS),
        Retry::Rfc(b) => {
            let d = b.delay_at(attempts, waited, now);
            (waited.saturating_add(d) <= b.lifetime.0).then_some(d)
        }
    }
}

/// What a mail server's queue does with a message after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueDecision {
    /// A 5xx: return it to the sender at once.
    BounceNow,
    /// A server that does not retry (`retries: false`): the mail is gone, no bounce.
    Drop,
    /// Try again in this many ms.
    RetryIn(u64),
    /// Its time in the queue is over (`lifetime`): return it to the sender.
    Expired,
}

/// A queue's decision after `outcome`, for a message tried `attempts` times
/// that has been held `held` ms, at time `now` (Postfix: a 5xx bounces, a
/// 4xx or a failed connection is deferred until `maximal_queue_lifetime`).
pub(crate) fn queue_decision(
    outcome: &Outcome,
    retries: bool,
    backoff: &Backoff,
    attempts: u32,
    held: u64,
    now: SimTime,
) -> QueueDecision {
    if let Outcome::Permanent(_) = outcome {
        return QueueDecision::BounceNow;
    }
    if !retries {
        return QueueDecision::Drop;
    }
    match retry_after(&Retry::Rfc(backoff.clone()), attempts, held, now) {
        Some(d) => QueueDecision::RetryIn(d),
        None => QueueDecision::Expired,
    }
}

/// A sender's decision after `outcome`: `Some(delay)` to try again, `None`
/// to give up. Spam software drops a refused (5xx) message; a mail client
/// (`in_outbox`) keeps it and tries again at the next send/receive cycle,
/// whatever the error was (the user sees the error each time).
pub(crate) fn sender_decision(
    outcome: &Outcome,
    retry: &Retry,
    in_outbox: bool,
    attempts: u32,
    waited: u64,
    now: SimTime,
) -> Option<u64> {
    // Software that ignores errors reconnects after a 5xx too (seed 003 §3.4).
    if matches!(outcome, Outcome::Permanent(_)) && !in_outbox && !matches!(retry, Retry::IgnoreErrors(_)) {
        return None;
    }
    retry_after(retry, attempts, waited, now)
}

/// Whether a message that cannot be delivered is returned to its envelope
/// sender: never one with the null reverse-path `<>` (a bounce itself,
/// RFC 5321 §4.5.5), which would make bounces loop.
pub(crate) fn returns_dsn(mail_from: &str) -> bool {
    !mail_from.is_empty()
}

impl Simulation {
    /// A failed attempt of `id` (at `server`, if it reached one): its holder
    /// retries, moves on, bounces or gives up.
    pub(crate) fn failed(&mut self, id: MsgId, outcome: Outcome, t: SimTime, server: Option<usize>) {
        match self.messages[id.0 as usize].holder {
            Holder::Node(n) => self.queue_failure(n, id, outcome, t),
            Holder::Sender => self.sender_failure(id, outcome, t, server),
        }
    }

    /// A relay's queue: 5xx bounces at once; anything else is retried on the
    /// node's schedule until its lifetime ends (Postfix `maximal_queue_lifetime`).
    fn queue_failure(&mut self, n: usize, id: MsgId, outcome: Outcome, t: SimTime) {
        let server = self.nodes[n].kind.mail_server();
        let retries = server.is_none_or(|m| m.retries);
        let backoff = server.map(|m| m.queue.clone()).unwrap_or_default();
        let m = &self.messages[id.0 as usize];
        let decision = queue_decision(&outcome, retries, &backoff, m.attempts, t - m.held_since, t);
        if decision != QueueDecision::BounceNow {
            self.nodes[n].counters.deferred += 1;
        }
        match decision {
            QueueDecision::BounceNow => {
                let reason = self.reason(|| match &outcome {
                    Outcome::Permanent(reply) => reply.to_string(),
                    other => describe(other),
                });
                self.bounce(n, id, t, reason, true);
            }
            QueueDecision::Drop => {
                let reason = self.reason(|| format!("sender does not retry: {}", describe(&outcome)));
                self.end(id, t, Fate::Lost { at: t, reason });
            }
            QueueDecision::RetryIn(d) => self.queue.schedule_in(d, Event::Attempt(id)),
            QueueDecision::Expired => {
                let why = self.reason(|| {
                    format!(
                        "delivery temporarily suspended, message expired after {}: {}",
                        backoff.lifetime,
                        describe(&outcome)
                    )
                });
                self.bounce(n, id, t, why, false);
            }
        }
    }

    /// The originator's own handling: a mail client's outbox, or spam software.
    fn sender_failure(&mut self, id: MsgId, outcome: Outcome, t: SimTime, server: Option<usize>) {
        let m = &self.messages[id.0 as usize];
        let traffic = std::sync::Arc::clone(&self.traffic);
        let source = m.source.map(|s| &traffic[s]);
        let retry = match (&self.nodes[m.origin].kind, source) {
            (_, Some(Source::Spam(sp))) => {
                let relays = self.spam_relays(m, sp);
                if !m.direct && relays > 0 {
                    // Spam software moves down its list of relays at once.
                    let m = &mut self.messages[id.0 as usize];
                    m.relays_tried += 1;
                    if (m.relays_tried as usize) < relays {
                        m.relay_cursor = (m.relay_cursor + 1) % relays as u16;
                        m.attempts = 0;
                        self.queue.schedule_in(0, Event::Attempt(id));
                        return;
                    }
                    if m.channel.is_none() && matches!(sp.strategy, Strategy::OpenRelaysThenDirect(_)) {
                        m.direct = true;
                        m.attempts = 0;
                        self.queue.schedule_in(0, Event::Attempt(id));
                        return;
                    }
                }
                self.spam_retry(&self.messages[id.0 as usize], sp)
            }
            (NodeKind::ClientPc(pc), _) => pc.mail_client.retry.clone(),
            (NodeKind::Population(p), _) => p.mail_client.retry.clone(),
            _ => Retry::Never,
        };
        let in_outbox = self.mail_client_of(id).is_some();
        let m = &self.messages[id.0 as usize];
        match sender_decision(&outcome, &retry, in_outbox, m.attempts, t - m.created, t) {
            Some(d) => {
                if let Retry::OtherHost(_) = retry {
                    // The botnet hands the job to the next infected host.
                    let infected = &self.nodes[m.origin].infected;
                    if !infected.is_empty() {
                        let pos = infected.binary_search(&m.origin_host).map_or(0, |p| (p + 1) % infected.len());
                        let next = infected[pos];
                        self.messages[id.0 as usize].origin_host = next;
                    }
                }
                self.queue.schedule_in(d, Event::Attempt(id));
            }
            None => {
                let fate = match &outcome {
                    Outcome::Permanent(reply) => {
                        Fate::Rejected { at: t, node: server, reason: self.reason(|| reply.to_string()) }
                    }
                    // Blocked on the way: the connection never reached a server.
                    Outcome::ConnectFailed { blocked_by: Some(r), reason } => {
                        Fate::Rejected { at: t, node: Some(*r), reason: self.reason(|| format!("blocked: {reason}")) }
                    }
                    o => Fate::Lost {
                        at: t,
                        reason: self
                            .reason(|| format!("sender gave up after {} attempt(s): {}", m.attempts, describe(o))),
                    },
                };
                self.end(id, t, fate);
            }
        }
    }
}

/// An outcome in a few words, for a fate's reason.
fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Accepted => "accepted".into(),
        Outcome::Transient(r) | Outcome::Permanent(r) => r.last_line(),
        Outcome::ConnectFailed { reason, .. } => reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::smtp::Reply;
    use crate::units::{Duration, MINUTE};

    fn transient() -> Outcome {
        Outcome::Transient(Reply::new(451, "4.7.1 try again later".to_string()))
    }

    fn permanent() -> Outcome {
        Outcome::Permanent(Reply::new(550, "5.1.1 no such user".to_string()))
    }

    #[test]
    fn doubling_starts_at_min_and_stops_at_max() {
        let b = Backoff::default();
        let delays: Vec<u64> = (1..6).map(|a| b.delay_after(a) / SECOND).collect();
        assert_eq!(delays, [300, 600, 1200, 2400, 4000]);
        assert_eq!(b.delay_after(0), 300 * SECOND, "no failure yet: the minimum");
        assert_eq!(b.delay_after(u32::MAX), 4000 * SECOND, "no overflow");
    }

    #[test]
    fn a_max_below_min_keeps_min() {
        let b = Backoff { min: Duration::from_secs(600), max: Duration::from_secs(60), ..Backoff::default() };
        assert_eq!(b.delay_after(3), 600 * SECOND);
    }

    #[test]
    fn fixed_and_listed_delays() {
        let fixed = Backoff { shape: Shape::Fixed(Duration::from_mins(15)), ..Backoff::default() };
        assert!((1..5).all(|a| fixed.delay_at(a, 0, 0) == 15 * MINUTE));
        let list = Backoff {
            shape: Shape::Delays(vec![Duration::from_mins(5), Duration::from_mins(30)]),
            ..Backoff::default()
        };
        let delays: Vec<u64> = (1..5).map(|a| list.delay_at(a, 0, 0) / MINUTE).collect();
        assert_eq!(delays, [5, 30, 30, 30], "the last delay repeats");
        let empty = Backoff { shape: Shape::Delays(vec![]), ..Backoff::default() };
        assert_eq!(empty.delay_at(1, 0, 0), 300 * SECOND, "an empty list falls back to min");
    }

    #[test]
    fn postfix_waits_its_time_in_queue_then_the_next_queue_run() {
        let b = Backoff { shape: Shape::Postfix { queue_run_delay: Duration::from_secs(300) }, ..Backoff::default() };
        // 10 s in the queue: at least min (300 s), due at 310 s, next scan at 600 s.
        assert_eq!(b.delay_at(1, 10 * SECOND, 10 * SECOND), 590 * SECOND);
        // A day in the queue: at most max (4000 s), then the next scan.
        let now = 86_400 * SECOND;
        assert_eq!(b.delay_at(5, now, now), 4200 * SECOND);
        let no_scan = Backoff { shape: Shape::Postfix { queue_run_delay: Duration::from_secs(0) }, ..b };
        assert_eq!(no_scan.delay_at(1, 10 * SECOND, 10 * SECOND), 300 * SECOND);
    }

    #[test]
    fn a_sender_gives_up_when_its_policy_says_so() {
        assert_eq!(retry_after(&Retry::Never, 1, 0, 0), None);
        assert_eq!(retry_after(&Retry::Immediate(2), 1, 0, 0), Some(RECONNECT_MS));
        assert_eq!(retry_after(&Retry::Immediate(2), 2, 0, 0), Some(RECONNECT_MS));
        assert_eq!(retry_after(&Retry::Immediate(2), 3, 0, 0), None);
        assert_eq!(retry_after(&Retry::OtherHost(0), 1, 0, 0), None);
    }

    #[test]
    fn a_schedule_gives_up_when_the_next_try_would_pass_its_lifetime() {
        let b = Backoff { lifetime: Duration::from_secs(1000), ..Backoff::default() };
        let r = Retry::Rfc(b);
        assert_eq!(retry_after(&r, 1, 0, 0), Some(300 * SECOND));
        assert_eq!(retry_after(&r, 1, 700 * SECOND, 0), Some(300 * SECOND), "exactly at the lifetime");
        assert_eq!(retry_after(&r, 1, 701 * SECOND, 0), None);
    }

    #[test]
    fn a_queue_bounces_a_5xx_and_defers_the_rest() {
        let b = Backoff::default();
        assert_eq!(queue_decision(&permanent(), true, &b, 1, 0, 0), QueueDecision::BounceNow);
        assert_eq!(queue_decision(&permanent(), false, &b, 1, 0, 0), QueueDecision::BounceNow);
        assert_eq!(queue_decision(&transient(), true, &b, 1, 0, 0), QueueDecision::RetryIn(300 * SECOND));
        assert_eq!(queue_decision(&transient(), false, &b, 1, 0, 0), QueueDecision::Drop);
        let five_days = 5 * 86_400 * SECOND;
        assert_eq!(queue_decision(&transient(), true, &b, 9, five_days, five_days), QueueDecision::Expired);
    }

    #[test]
    fn spam_software_drops_a_5xx_and_an_outbox_keeps_it() {
        let outbox = Retry::mail_client();
        assert_eq!(sender_decision(&permanent(), &outbox, false, 1, 0, 0), None);
        assert_eq!(sender_decision(&permanent(), &outbox, true, 1, 0, 0), Some(10 * MINUTE));
        assert_eq!(sender_decision(&transient(), &outbox, false, 1, 0, 0), Some(10 * MINUTE));
        assert_eq!(sender_decision(&transient(), &Retry::Never, false, 1, 0, 0), None);
    }

    #[test]
    fn software_that_ignores_errors_reconnects_after_a_5xx_too() {
        let ignore = Retry::IgnoreErrors(2);
        assert_eq!(sender_decision(&permanent(), &ignore, false, 1, 0, 0), Some(RECONNECT_MS));
        assert_eq!(sender_decision(&permanent(), &ignore, false, 3, 0, 0), None, "up to its count");
        assert_eq!(sender_decision(&permanent(), &Retry::Immediate(2), false, 1, 0, 0), None);
    }

    #[test]
    fn a_bounce_is_never_bounced() {
        assert!(returns_dsn("alice@isp-a.example"));
        assert!(!returns_dsn(""));
    }
}
