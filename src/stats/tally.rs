//! What every message leaves in the report, counted in one place.
//!
//! [`Tally::fold`] takes one message as it stands (finished or still
//! queued) and adds it to the counts by class and by source, the delivery
//! delays, the spam origins and the spam effort. A report is a tally of
//! every message of a run:
//!
//! - a run that keeps its messages (transcripts, trace, `show`, the GUI)
//!   folds them all when the report is asked for;
//! - a plain statistical run folds each message the moment it reaches its
//!   final state and reuses its storage, so its memory follows the messages
//!   in flight, not the messages ever sent; the report then folds the few
//!   still queued into a copy of the running tally.
//!
//! Both go through `fold`, so they count alike. Anything counted per finished
//! message (per-period series, say) belongs here.

use hdrhistogram::Histogram;

use crate::sim::hop_facts::HopFacts;
use crate::sim::{Fate, MailClass, Message};
use crate::stats::summary::{Delay, MailCounts, SpamOrigin};
use crate::units::SimTime;

/// Delays per series kept exactly by a folding run before it moves them to a
/// histogram (64 Ki delays, 512 KiB): every era of the history tour stays
/// exact, and a large run's memory stays bounded.
pub const EXACT_DELAYS: usize = 1 << 16;

/// Significant decimal digits of the delay histogram: each value is kept
/// within 1/1024 of itself (HdrHistogram's "value equivalence"), so a
/// quantile read from it is never below the exact nearest-rank quantile and
/// at most 0.1% above it; delays under 2,048 ms are kept exactly.
const HISTOGRAM_DIGITS: u8 = 3;

/// Delivery delays in milliseconds: exact up to a limit, then in an HDR
/// histogram (whose memory grows with the range of delays, not their number).
#[derive(Debug, Clone, Default)]
pub struct Delays {
    exact: Vec<u64>,
    histogram: Option<Box<Histogram<u64>>>,
    max: u64,
}

impl Delays {
    /// Adds one delay; past `limit` exact values, all go to the histogram.
    pub fn record(&mut self, ms: u64, limit: usize) {
        self.max = self.max.max(ms);
        if let Some(h) = &mut self.histogram {
            put(h, ms);
        } else if self.exact.len() < limit {
            self.exact.push(ms);
        } else {
            let mut h = Histogram::new(HISTOGRAM_DIGITS).expect("3 significant digits are valid");
            for v in self.exact.drain(..).chain([ms]) {
                put(&mut h, v);
            }
            self.exact = Vec::new();
            self.histogram = Some(Box::new(h));
        }
    }

    /// Adds every delay of `other` (its limit already applied).
    pub fn merge(&mut self, other: &Delays, limit: usize) {
        for &v in &other.exact {
            self.record(v, limit);
        }
        if let Some(o) = &other.histogram {
            if self.histogram.is_none() {
                self.record_all_in_histogram();
            }
            if let Some(h) = &mut self.histogram {
                let _ = h.add(&**o);
            }
            self.max = self.max.max(other.max);
        }
    }

    fn record_all_in_histogram(&mut self) {
        let mut h = Histogram::new(HISTOGRAM_DIGITS).expect("3 significant digits are valid");
        for v in self.exact.drain(..) {
            put(&mut h, v);
        }
        self.exact = Vec::new();
        self.histogram = Some(Box::new(h));
    }

    /// Whether the quantiles are exact (no histogram was needed).
    pub fn is_exact(&self) -> bool {
        self.histogram.is_none()
    }

    /// Median, 95th percentile and maximum, in seconds: nearest rank from the
    /// exact values, or from the histogram within its bound (the maximum is
    /// always exact).
    pub fn summary(&self) -> Delay {
        match &self.histogram {
            None => Delay::of(self.exact.clone()),
            Some(h) => {
                let q = |p: f64| h.value_at_quantile(p).min(self.max) as f64 / 1000.0;
                Delay { median: q(0.5), p95: q(0.95), max: self.max as f64 / 1000.0 }
            }
        }
    }
}

/// Records `v`, growing the histogram to its range (an auto-resizing
/// histogram refuses nothing on a 64-bit machine; clamped if it ever did).
fn put(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// One class of mail: where it ended, what it went through, how long it took.
#[derive(Debug, Clone, Default)]
pub struct ClassTally {
    pub counts: MailCounts,
    pub via_open_relay: u64,
    pub via_isp_relay: u64,
    pub delays: Delays,
}

/// The counts of a run, message by message: see the module's notes.
#[derive(Debug, Clone)]
pub struct Tally {
    /// By [`MailClass`], in the order of [`MailClass::ALL`].
    pub classes: [ClassTally; 4],
    /// By traffic source index: counts and delays of delivered mail.
    pub sources: Vec<(MailCounts, Delays)>,
    /// Spam by the node index that sent it.
    pub spam_origins: std::collections::BTreeMap<usize, SpamOrigin>,
    /// SMTP connection attempts made for spam (`bot_effort`).
    pub spam_attempts: u64,
    /// Exact delays kept per series before the histogram takes over.
    pub exact_limit: usize,
}

impl Tally {
    /// An empty tally for a run with `sources` traffic sources.
    pub fn new(sources: usize, exact_limit: usize) -> Self {
        Tally {
            classes: Default::default(),
            sources: vec![Default::default(); sources],
            spam_origins: Default::default(),
            spam_attempts: 0,
            exact_limit,
        }
    }

    /// Counts `m` as it stands now. `facts` (what its hops went through) is
    /// asked for only when a count needs it: delivered mail and spam.
    pub fn fold(&mut self, m: &Message, facts: impl FnOnce() -> HopFacts) {
        self.fold_as_of(m, SimTime::MAX, facts);
    }

    /// [`Self::fold`] as the message stood at `t`: a fate reached later was
    /// still `queued` then (for counts at a clock, as the GUI shows them).
    pub fn fold_as_of(&mut self, m: &Message, t: SimTime, facts: impl FnOnce() -> HopFacts) {
        let limit = self.exact_limit;
        let class = &mut self.classes[class_index(m.class)];
        class.counts.add_as_of(&m.fate, t);
        let delivered = matches!(m.fate, Fate::Delivered { at, .. } if at <= t);
        let facts = if delivered || m.class == MailClass::Spam { facts() } else { HopFacts::default() };
        if let Fate::Delivered { at, .. } = m.fate
            && delivered
        {
            let delay = at - m.created;
            class.delays.record(delay, limit);
            class.via_open_relay += facts.via_open_relay as u64;
            class.via_isp_relay += facts.via_isp_relay as u64;
            if let Some(s) = m.source {
                self.sources[s].1.record(delay, limit);
            }
        }
        if m.class == MailClass::Spam {
            let o = self.spam_origins.entry(m.origin).or_default();
            o.sent += 1;
            if delivered {
                o.delivered += 1;
                // The first server that took it was the recipient's own.
                o.delivered_direct += facts.direct_from_origin as u64;
            }
            self.spam_attempts += facts.smtp_attempts as u64;
        }
        if let Some(s) = m.source {
            self.sources[s].0.add_as_of(&m.fate, t);
        }
    }

    /// The class tally of `c`.
    pub fn class(&self, c: MailClass) -> &ClassTally {
        &self.classes[class_index(c)]
    }
}

fn class_index(c: MailClass) -> usize {
    match c {
        MailClass::Legit => 0,
        MailClass::Spam => 1,
        MailClass::Bounce => 2,
        MailClass::Backscatter => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_a_thousandth_above_the_exact_ones() {
        // Delays from 1 ms to about 5 days, spread over six decades.
        let values: Vec<u64> = (0..200_000u64).map(|i| 1 + (i * i * 7919) % 432_000_000).collect();
        let (mut exact, mut hist) = (Delays::default(), Delays::default());
        for &v in &values {
            exact.record(v, usize::MAX);
            hist.record(v, 0);
        }
        assert!(exact.is_exact() && !hist.is_exact());
        let (e, h) = (exact.summary(), hist.summary());
        for (a, b) in [(e.median, h.median), (e.p95, h.p95)] {
            assert!(b >= a && b <= a * 1.001, "exact {a}, histogram {b}");
        }
        assert_eq!(e.max, h.max);
    }

    #[test]
    fn moving_to_the_histogram_keeps_every_value() {
        let mut d = Delays::default();
        for v in 1..=100u64 {
            d.record(v * 10, 50);
        }
        assert!(!d.is_exact());
        // Under 2,048 ms the histogram is exact.
        assert_eq!(d.summary(), Delay::of((1..=100).map(|v| v * 10).collect()));
        let mut merged = Delays::default();
        merged.record(5, 1_000);
        merged.merge(&d, 1_000);
        assert!(!merged.is_exact());
        let mut all: Vec<u64> = (1..=100).map(|v| v * 10).collect();
        all.push(5);
        assert_eq!(merged.summary(), Delay::of(all));
    }
}
