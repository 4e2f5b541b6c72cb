//! The result of one run: counts per class of mail, per traffic source and
//! per node, and legit delivery delays. This is what `run --format json` prints.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::scenario::NodeKind;
use crate::sim::world::NodeCounters;
use crate::sim::{Fate, MailClass, Simulation};
use crate::stats::tally::{Delays, Tally};
use crate::units::SimTime;

/// Where the messages of one class (or source) ended. For every row,
/// `sent = delivered + rejected + lost + queued`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MailCounts {
    pub sent: u64,
    pub delivered: u64,
    pub rejected: u64,
    pub lost: u64,
    pub queued: u64,
}

impl MailCounts {
    /// Counts one message sent by `t` as it stood at `t`: a fate reached
    /// later was still `queued` then. The GUI's statistics at its clock use
    /// this, so they say what `run --until` says at the same time.
    pub fn add_as_of(&mut self, fate: &Fate, t: SimTime) {
        self.sent += 1;
        match fate.settled_at() {
            Some(at) if at <= t => self.settle(fate),
            _ => self.queued += 1,
        }
    }

    /// Adds every column of `other`.
    pub fn merge(&mut self, other: &MailCounts) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.rejected += other.rejected;
        self.lost += other.lost;
        self.queued += other.queued;
    }

    /// Adds one to the column of a final fate (nothing for `Queued`).
    pub fn settle(&mut self, fate: &Fate) {
        match fate {
            Fate::Queued => {}
            Fate::Delivered { .. } => self.delivered += 1,
            Fate::Rejected { .. } => self.rejected += 1,
            Fate::Lost { .. } => self.lost += 1,
        }
    }
    /// Conservation: every message sent is in exactly one final state.
    pub fn balanced(&self) -> bool {
        self.sent == self.delivered + self.rejected + self.lost + self.queued
    }
}

/// Delivery delay (creation to mailbox) of delivered messages, in seconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Delay {
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

impl Delay {
    /// Nearest-rank percentiles of a sample in milliseconds.
    pub fn of(mut ms: Vec<u64>) -> Self {
        if ms.is_empty() {
            return Delay::default();
        }
        ms.sort_unstable();
        let rank = |p: f64| ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1] as f64 / 1000.0;
        Delay { median: rank(0.5), p95: rank(0.95), max: *ms.last().unwrap_or(&0) as f64 / 1000.0 }
    }
}

/// Where one origin's spam went. `delivered_direct`: delivered after the
/// origin itself handed it to the recipient's own server (its MX), with no
/// relay in between — what Outbound Port 25 Blocking stops.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SpamOrigin {
    pub sent: u64,
    pub delivered: u64,
    pub delivered_direct: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassReport {
    #[serde(flatten)]
    pub counts: MailCounts,
    /// Delivered messages that passed through a third party's open relay.
    pub via_open_relay: u64,
    /// Delivered messages that an ISP's relay accepted and relayed (for a
    /// domain not its own): mail sent through an ISP's outgoing server.
    pub via_isp_relay: u64,
    pub delay_s: Delay,
}

/// What one run did, in numbers: mail counted by class (`legit`, `spam`,
/// `bounce`, `backscatter`) and by traffic source, delivery delays, where spam
/// came from, and every node's counters. Made from a finished (or stopped)
/// [`Simulation`](crate::sim::Simulation) by [`Report::of`]; `relaysim run`
/// prints it as tables ([`Report::to_table`]) or as one JSON object (serde).
/// For every class and source, `sent = delivered + rejected + lost + queued`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub sim_time_s: u64,
    pub events: u64,
    pub dns_queries: u64,
    pub mail: BTreeMap<String, ClassReport>,
    pub sources: BTreeMap<String, MailCounts>,
    /// Delivery delay of each traffic source's delivered mail.
    pub source_delay_s: BTreeMap<String, Delay>,
    /// Spam by the node that sent it (a population, a bot, a spammer's server).
    pub spam_origins: BTreeMap<String, SpamOrigin>,
    pub nodes: BTreeMap<String, NodeCounters>,
    /// Narration steps reached (`run --narrate --format json` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub narration: Vec<crate::sim::Fired>,
    /// The mail period by period (`run --format json`; see [`super::series`]).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub series: Option<super::series::Series>,
}

impl Report {
    pub fn of(sim: &Simulation) -> Self {
        Self::from_tally(sim, &sim.tally())
    }

    /// The report of `sim` from its [`Tally`] (see [`Simulation::tally`]).
    pub fn from_tally(sim: &Simulation, tally: &Tally) -> Self {
        let mail = MailClass::ALL
            .iter()
            .map(|&c| {
                let t = tally.class(c);
                (
                    c.name().to_string(),
                    ClassReport {
                        counts: t.counts.clone(),
                        via_open_relay: t.via_open_relay,
                        via_isp_relay: t.via_isp_relay,
                        delay_s: t.delays.summary(),
                    },
                )
            })
            .collect();
        // Sources by id (ids are unique in a valid scenario; were two alike,
        // their counts would add up, as they always have).
        let mut sources: BTreeMap<String, MailCounts> = BTreeMap::new();
        let mut source_delays: BTreeMap<String, Delays> = BTreeMap::new();
        for (src, (counts, delays)) in sim.scenario.traffic.iter().zip(&tally.sources) {
            sources.entry(src.id().to_string()).or_default().merge(counts);
            source_delays.entry(src.id().to_string()).or_default().merge(delays, tally.exact_limit);
        }
        let spam_origins = tally.spam_origins.iter().map(|(&n, o)| (sim.nodes[n].id.clone(), o.clone())).collect();
        let nodes = sim
            .nodes
            .iter()
            .filter(|n| {
                // Hosts are left out, unless one served as an open proxy.
                n.counters.proxied > 0
                    || !matches!(
                        n.kind,
                        NodeKind::ClientPc(_) | NodeKind::SpamBot(_) | NodeKind::Population(_) | NodeKind::Dns
                    )
            })
            .map(|n| (n.id.clone(), n.counters.clone()))
            .collect();
        Report {
            scenario: sim.scenario.name.clone(),
            seed: sim.seed,
            sim_time_s: sim.now() / 1000,
            events: sim.events(),
            dns_queries: sim.dns.queries,
            mail,
            source_delay_s: source_delays.iter().map(|(k, d)| (k.clone(), d.summary())).collect(),
            sources,
            spam_origins,
            nodes,
            narration: Vec::new(),
            series: None,
        }
    }

    /// The report as an aligned text table.
    pub fn to_table(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} (seed {}, {} s simulated, {} events)\n",
            self.scenario, self.seed, self.sim_time_s, self.events
        );
        let _ = writeln!(
            o,
            "{:<14} {:>8} {:>10} {:>9} {:>7} {:>7} {:>11} {:>10}",
            "mail", "sent", "delivered", "rejected", "lost", "queued", "median s", "p95 s"
        );
        for (name, c) in &self.mail {
            let k = &c.counts;
            let _ = writeln!(
                o,
                "{:<14} {:>8} {:>10} {:>9} {:>7} {:>7} {:>11.1} {:>10.1}",
                name, k.sent, k.delivered, k.rejected, k.lost, k.queued, c.delay_s.median, c.delay_s.p95
            );
        }
        let _ = writeln!(
            o,
            "\n{:<24} {:>8} {:>10} {:>9} {:>7} {:>7}",
            "source", "sent", "delivered", "rejected", "lost", "queued"
        );
        for (name, k) in &self.sources {
            let _ = writeln!(
                o,
                "{:<24} {:>8} {:>10} {:>9} {:>7} {:>7}",
                name, k.sent, k.delivered, k.rejected, k.lost, k.queued
            );
        }
        let _ = writeln!(
            o,
            "\n{:<18} {:>9} {:>9} {:>8} {:>10} {:>8} {:>8} {:>7}  refused",
            "node", "sessions", "accepted", "relayed", "delivered", "bounces", "deferred", "queued"
        );
        for (name, n) in &self.nodes {
            let refused: Vec<String> = n.refused.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let dropped = if n.connections_seen > 0 {
                format!("  dropped {}/{} connections", n.dropped, n.connections_seen)
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "{:<18} {:>9} {:>9} {:>8} {:>10} {:>8} {:>8} {:>7}  {}{}",
                name,
                n.sessions_in,
                n.accepted,
                n.relayed,
                n.delivered,
                n.bounces_sent,
                n.deferred,
                n.queued,
                refused.join(" "),
                dropped
            );
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d = Delay::of((1..=100).map(|s| s * 1000).collect());
        assert_eq!((d.median, d.p95, d.max), (50.0, 95.0, 100.0));
        assert_eq!(Delay::of(vec![]), Delay::default());
        assert_eq!(Delay::of(vec![1500]).median, 1.5);
    }
}
