//! How much work a scenario asks for, estimated before it runs, and the
//! limits `check` holds it to.
//!
//! A file can ask for more than any machine can give: a thousand years of
//! traffic, 10^9 mails a second, 10^9 hosts, a retry every millisecond for
//! five days. Such a file is valid RON and every value in it has a meaning,
//! so it used to pass `check` and then run out of memory. The estimates here
//! are cheap (no simulation) and deliberately simple; each limit is several
//! times what the largest shipped world asks for (the generated benchmark
//! world: about 10^7 mails a day from 10^6 hosts), and `--force` runs a file
//! beyond them anyway.

use super::schema::{Backoff, NodeKind, Retry, Scenario, Source};
use crate::units::{Duration, SECOND};

/// Limits on what one run may ask for (`Limits::default()` is what `check`,
/// `run` and `compare` use; `--force` lifts them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Mails the traffic sources are expected to send in the whole run.
    pub messages: f64,
    /// Hosts: nodes plus every member of a population.
    pub hosts: f64,
    /// Attempts to deliver one mail that never gets through, at one sender.
    pub attempts_per_mail: f64,
    /// Estimated memory of the run, in bytes.
    pub memory_bytes: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Five days of the benchmark world (10^7 mails a day).
            messages: 5e7,
            // Ten times the benchmark world's 10^6 hosts.
            hosts: 1e7,
            // Postfix's defaults (300 s doubling to 4000 s over 5 days) make
            // about 110 attempts; a mail client every 10 minutes for a day,
            // 145. Ten thousand is far beyond any real schedule.
            attempts_per_mail: 1e4,
            // 16 GiB: the benchmark world's day needs under 1 GiB (2.2 GB
            // when every finished message was kept).
            memory_bytes: 16.0 * (1u64 << 30) as f64,
        }
    }
}

/// The estimates for one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Work {
    pub messages: f64,
    pub hosts: f64,
    /// The most attempts any one sender makes for a mail that never gets
    /// through (within the run).
    pub attempts_per_mail: f64,
    pub memory_bytes: f64,
}

/// Which estimate went over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Messages,
    Hosts,
    AttemptsPerMail,
    Memory,
}

impl Measure {
    pub fn describe(self, value: f64) -> String {
        match self {
            Measure::Messages => format!("{} mails", human(value)),
            Measure::Hosts => format!("{} hosts", human(value)),
            Measure::AttemptsPerMail => format!("{} attempts for one undeliverable mail", human(value)),
            Measure::Memory => format!("{} of memory", bytes(value)),
        }
    }
}

/// A quantity of one [`Measure`], shown as people read it ("87.6 million mails").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount {
    pub measure: Measure,
    pub value: f64,
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.measure.describe(self.value))
    }
}

/// Bytes a finished message keeps in a run without transcripts: none, it is
/// folded into the counts and its storage reused (book: Performance). What
/// such a run holds is the messages in flight, counted in `BYTES_FLOOR`.
const BYTES_PER_MESSAGE: f64 = 0.0;
/// A run's own tables whatever its size: messages in flight (under 8,000 in
/// the full benchmark world's day, about 1 KB each), its delay tallies.
const BYTES_FLOOR: f64 = 128.0 * (1u64 << 20) as f64;
/// With transcripts every message is kept with every hop's dialogue: a few KB per mail.
const BYTES_PER_MESSAGE_TRANSCRIPTS: f64 = 4096.0;
/// A population member (its address, its queue, its mail client's state).
const BYTES_PER_HOST: f64 = 128.0;
/// A node of the graph with its server state.
const BYTES_PER_NODE: f64 = 2048.0;

/// Attempts a sender with policy `r` makes for a mail that always fails,
/// within `horizon` ms (capped just above `cap`).
pub fn attempts(r: &Retry, horizon: u64, cap: f64) -> f64 {
    match r {
        Retry::Never => 1.0,
        // One reconnect a second (the simulator's RECONNECT_MS), so no more
        // than the horizon holds.
        Retry::Immediate(n) | Retry::OtherHost(n) | Retry::IgnoreErrors(n) => {
            1.0 + (*n as f64).min((horizon / SECOND) as f64)
        }
        Retry::Rfc(b) => backoff_attempts(b, horizon, cap),
    }
}

/// Attempts under a backoff schedule until its lifetime or the horizon ends.
fn backoff_attempts(b: &Backoff, horizon: u64, cap: f64) -> f64 {
    let end = horizon.min(b.lifetime.0);
    let (mut t, mut n, mut prev) = (0u64, 1.0, 0u64);
    loop {
        // The schedule's own shape (doubling, fixed, Postfix's, a list).
        let d = b.delay_at(n as u32, t, t).max(1);
        if t.saturating_add(d) > end {
            return n;
        }
        if d == prev {
            // Constant from here on: the rest in one step.
            return n + ((end - t) / d) as f64;
        }
        prev = d;
        t += d;
        n += 1.0;
        if n > cap {
            return n;
        }
    }
}

/// Estimates the work of `s` (the run's whole duration).
pub fn estimate(s: &Scenario) -> Work {
    let messages = s.expected_messages(s.duration.0);
    let hosts = s
        .nodes
        .iter()
        .map(|n| match &n.kind {
            NodeKind::Population(p) => p.count as f64,
            _ => 1.0,
        })
        .sum::<f64>();
    let cap = Limits::default().attempts_per_mail * 10.0;
    let horizon = s.duration.0;
    let mut worst: f64 = 1.0;
    for (policy, _) in retry_policies(s) {
        worst = worst.max(policy.attempts(horizon, cap));
    }
    let per_message = if s.transcripts { BYTES_PER_MESSAGE_TRANSCRIPTS } else { BYTES_PER_MESSAGE };
    let memory_bytes =
        BYTES_FLOOR + messages * per_message + hosts * BYTES_PER_HOST + s.nodes.len() as f64 * BYTES_PER_NODE;
    Work { messages, hosts, attempts_per_mail: worst, memory_bytes }
}

/// A sender's retry policy as written in the file.
#[derive(Debug, Clone, Copy)]
pub enum Policy<'a> {
    /// A mail client's or a spam source's `retry`.
    Retry(&'a Retry),
    /// A mail server's `queue`.
    Queue(&'a Backoff),
}

impl Policy<'_> {
    /// Attempts for a mail that always fails within `horizon` ms (capped just above `cap`).
    pub fn attempts(self, horizon: u64, cap: f64) -> f64 {
        match self {
            Policy::Retry(r) => attempts(r, horizon, cap),
            Policy::Queue(b) => backoff_attempts(b, horizon, cap),
        }
    }
}

/// Every retry policy in the file with the path where it is written.
pub fn retry_policies(s: &Scenario) -> Vec<(Policy<'_>, String)> {
    let mut out = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let p = format!("nodes[{i}].kind");
        match &n.kind {
            NodeKind::ClientPc(pc) => {
                out.push((Policy::Retry(&pc.mail_client.retry), format!("{p}.mail_client.retry")))
            }
            NodeKind::Population(pop) => {
                out.push((Policy::Retry(&pop.mail_client.retry), format!("{p}.mail_client.retry")))
            }
            k => {
                if let Some(m) = k.mail_server() {
                    out.push((Policy::Queue(&m.queue), format!("{p}.queue")));
                }
            }
        }
    }
    for (i, t) in s.traffic.iter().enumerate() {
        if let Source::Spam(sp) = t {
            out.push((Policy::Retry(&sp.retry), format!("traffic[{i}].retry")));
            for (j, r) in sp.retry_mix.iter().enumerate() {
                out.push((Policy::Retry(&r.retry), format!("traffic[{i}].retry_mix[{j}].retry")));
            }
        }
    }
    out
}

/// The estimates over their limits, each with the path the problem is
/// reported at (the first retry policy that asks too much, for attempts).
pub fn over(s: &Scenario, limits: &Limits) -> Vec<(String, Measure, f64, f64)> {
    let w = estimate(s);
    let mut out = Vec::new();
    if w.messages > limits.messages {
        let path = if s.traffic.is_empty() { "duration".to_string() } else { "traffic".to_string() };
        out.push((path, Measure::Messages, w.messages, limits.messages));
    }
    if w.hosts > limits.hosts {
        out.push(("nodes".to_string(), Measure::Hosts, w.hosts, limits.hosts));
    }
    if w.attempts_per_mail > limits.attempts_per_mail {
        let cap = limits.attempts_per_mail * 10.0;
        if let Some((policy, path)) =
            retry_policies(s).into_iter().find(|(p, _)| p.attempts(s.duration.0, cap) > limits.attempts_per_mail)
        {
            out.push((path, Measure::AttemptsPerMail, policy.attempts(s.duration.0, cap), limits.attempts_per_mail));
        }
    }
    if w.memory_bytes > limits.memory_bytes {
        out.push(("duration".to_string(), Measure::Memory, w.memory_bytes, limits.memory_bytes));
    }
    out
}

/// `1.2e9`, `87.6 million`: a count as people read it.
pub fn human(v: f64) -> String {
    if v >= 1e12 {
        format!("{v:.1e}")
    } else if v >= 1e9 {
        format!("{:.1} billion", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1} million", v / 1e6)
    } else {
        format!("{}", v.round() as u64)
    }
}

fn bytes(v: f64) -> String {
    let gib = v / (1u64 << 30) as f64;
    if gib >= 1e6 { format!("{gib:.1e} GiB") } else { format!("{gib:.1} GiB") }
}

/// Postfix refuses `minimal_backoff_time` below 1 s (its parameter table
/// gives 1 s as the lowest value) ...
pub const MIN_BACKOFF: Duration = Duration(SECOND);
/// ... and caps `maximal_queue_lifetime` and `bounce_queue_lifetime` at
/// 100 days (qmgr: "capping to 100 days").
pub const MAX_QUEUE_LIFETIME: Duration = Duration(100 * crate::units::DAY);
/// One-way latency of one link. RFC 5321 §4.5.3.2 gives a client 5 minutes
/// for the greeting and each command: a link slower than a minute one way
/// cannot carry an SMTP dialogue, and a bound keeps every sum of latencies
/// far from overflowing.
pub const MAX_LATENCY: Duration = Duration(60 * SECOND);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_follow_the_schedule() {
        let postfix = Retry::Rfc(Backoff::default());
        // 300, 600, 1200, 2400, then 4000 s to 5 days: 5 + 106 = 111 attempts.
        let a = attempts(&postfix, 5 * crate::units::DAY, 1e9);
        assert!((100.0..120.0).contains(&a), "{a}");
        // Within a one-hour run: 0, 300, 900, 2100 s.
        assert_eq!(attempts(&postfix, crate::units::HOUR, 1e9), 4.0);
        let fast = Retry::Rfc(Backoff { min: Duration(1), max: Duration(1), ..Backoff::default() });
        assert!(attempts(&fast, 5 * crate::units::DAY, 1e5) > 1e5);
        assert_eq!(attempts(&Retry::Immediate(3), crate::units::HOUR, 1e9), 4.0);
        // One reconnect a second: no more than the run holds.
        assert_eq!(attempts(&Retry::Immediate(u32::MAX), crate::units::HOUR, 1e9), 3601.0);
        assert_eq!(attempts(&Retry::Never, 1, 1e9), 1.0);
    }
}
